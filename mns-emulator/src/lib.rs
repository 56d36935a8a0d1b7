//! A faithful emulator of Alibaba Cloud Message Service (MNS).
#![deny(rustdoc::broken_intra_doc_links)]

pub mod auth;
pub mod clock;
pub mod engine;
pub mod error;
mod xml;
