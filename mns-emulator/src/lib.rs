//! A faithful emulator of Alibaba Cloud Message Service (MNS).
#![deny(rustdoc::broken_intra_doc_links)]

pub mod auth;
pub mod clock;
pub mod engine;
pub mod error;
mod http;
mod server;
mod xml;

mod emulator;

pub use emulator::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Emulator,
    EmulatorBuilder, RunningEmulator,
};
