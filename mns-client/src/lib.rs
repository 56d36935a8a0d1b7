//! A typed async client for Alibaba Cloud Message Service (MNS).
#![deny(rustdoc::broken_intra_doc_links)]

mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod push;
pub mod queue;
pub mod retry;
pub mod signing;
pub mod time;
pub mod topic;
mod transport;
mod xml;

pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_LONG_POLL_MARGIN,
    DEFAULT_REQUEST_TIMEOUT, MAX_WAIT,
};
pub use credentials::{
    Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider,
};
pub use endpoint::{Endpoint, Scheme};
pub use error::{Error, ErrorCode, Result, ServiceError};
pub use queue::{
    BatchEntryError, BatchSendEntry, BodyCodec, CreateOutcome, ListOptions, PeekedMessage,
    Priority, PropertyType, Queue, QueueAttributes, QueueInfo, QueueName, QueuePage, QueueSummary,
    ReceiptHandle, ReceivedMessage, SendOptions, SendReceipt, UserProperty, VisibilityChange,
};
pub use retry::RetryConfig;
pub use time::{SystemTimeSource, TimeSource};
pub use transport::SignedRequest;
