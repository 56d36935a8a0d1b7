//! A typed async client for Alibaba Cloud Message Service (MNS).
#![deny(rustdoc::broken_intra_doc_links)]

pub mod credentials;
pub mod error;
pub mod push;
pub mod topic;

pub use credentials::{Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider};
pub use error::{Error, ErrorCode, Result, ServiceError};
