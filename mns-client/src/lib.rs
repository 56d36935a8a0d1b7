//! A typed async client for Alibaba Cloud Message Service (MNS).
//!
//! It speaks the classic XML API (`x-mns-version: 2015-06-06`) with either request signature
//! (the classic HMAC-SHA1 one by default, or V4 `MNS4-HMAC-SHA256` through
//! [`ClientBuilder::signature_version`]; [`SignatureVersion`] says how to choose), STS tokens,
//! retries with backoff and jitter, long polling with timeouts derived from the wait, batch
//! operations with per-entry results, and an explicit body codec.
//!
//! # Quick start
//!
//! ```no_run
//! use mns_client::{Client, Credentials, Endpoint, QueueOptions};
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), mns_client::Error> {
//! let client = Client::builder(Endpoint::public("1234567890123456", "cn-hangzhou")?)
//!     .credentials(Credentials::new("my-access-key-id", "my-access-key-secret"))
//!     .build()?;
//!
//! client.create_queue("orders", &QueueOptions::default()).await?;
//! let queue = client.queue("orders")?;
//! queue.send_message("order #1").await?;
//!
//! // Long poll up to 10 s; `None` when nothing arrived (an empty queue is not an error).
//! if let Some(msg) = queue.receive_message(Some(Duration::from_secs(10))).await? {
//!     println!("{:?}", msg.body_str());
//!     queue.delete_message(&msg.receipt_handle).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! Against a local emulator, use its base URL: `Endpoint::from_url("http://127.0.0.1:9911")?`.
//! Building a client and signing a request needs no network:
//!
//! ```
//! use mns_client::{Client, Credentials, Endpoint, SendOptions};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let creds = Credentials::new("testid", "testsecret");
//! let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
//!     .credentials(creds.clone())
//!     .build()?;
//! let now = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
//! let req = client
//!     .queue("orders")?
//!     .prepare_send_message("hello", &SendOptions::default(), &creds, now)?;
//! assert_eq!(req.method, "POST");
//! assert_eq!(req.header("x-mns-version"), Some("2015-06-06"));
//! # Ok::<(), mns_client::Error>(())
//! ```
//!
//! # Shape of the API
//!
//! * [`Client`]: cheap to clone, shareable across tasks; queue administration
//!   ([`create_queue`](Client::create_queue), [`list_queues`](Client::list_queues), ...).
//! * [`Queue`] (from [`Client::queue`]): message operations, named after the MNS operations
//!   (`send_message`, `batch_receive_message`, `change_message_visibility`, ...), each with an
//!   `_opts` variant where options exist.
//! * Validated newtypes ([`QueueName`], [`Priority`], [`ReceiptHandle`]) and the service's limits
//!   ([`queue::limits`]) are checked before anything is sent: bad input is
//!   [`Error::InvalidInput`] and no request leaves the process.
//! * [`control::ControlClient`] ([`control`]): the control-plane OpenAPI (Mns-open 2022-01-19),
//!   the only way to set a queue's type (FIFO), dead-letter policies, tags and rate limits.
//! * [`Worker`] ([`worker`]): a consumer loop over a [`Queue`] with bounded concurrency, batched
//!   receives and deletes, retry backoff, visibility heartbeats, a dead-letter policy, graceful
//!   shutdown and counters.
//!
//! # Errors
//!
//! One [`Error`] type. [`Error::Service`] carries the HTTP status, [`ErrorCode`], message, request
//! id and host id of an MNS `<Error>` document; [`Error::Timeout`], [`Error::Transport`],
//! [`Error::Decode`], [`Error::Md5Mismatch`], [`Error::InvalidInput`], [`Error::InvalidEndpoint`]
//! and [`Error::Credentials`] cover the rest. Helpers: [`Error::code`], [`Error::request_id`],
//! [`Error::is_retryable`], [`Error::is_not_found`].
//!
//! Batch operations return one result per entry: a partial failure is data, not an `Err`.
//!
//! # Long polling
//!
//! `receive_message`/`batch_receive_message` take a wait of 0–30 whole seconds. The HTTP timeout of
//! that request is the wait plus [`ClientBuilder::long_poll_margin`], so a long poll never times
//! out early. An empty result (`404 MessageNotExist`) is `Ok(None)` / an empty `Vec`. Receive
//! futures can be dropped at any time.
//!
//! # Body codec
//!
//! Each [`Queue`] handle has a [`BodyCodec`]: [`BodyCodec::Raw`] (default; UTF-8 text, XML-escaped)
//! or [`BodyCodec::Base64`] (what the Python, Java and PHP SDKs do by default). `MessageBodyMD5`
//! is checked on every send and receive.
//!
//! # Credentials
//!
//! A client asks its [`ProvideCredentials`] before every attempt. [`Credentials`] is itself one
//! (static keys, or a fixed STS token sent in the `security-token` header); the
//! [`credentials`] module has the rest, with the Alibaba Cloud conventions:
//!
//! | source | provider |
//! |---|---|
//! | the default chain: environment, OIDC (RRSA), `~/.aliyun/config.json`, `~/.alibabacloud/credentials[.ini]`, ECS RAM role, credentials URI | [`credentials::default_provider`], [`credentials::DefaultCredentialsChain`] |
//! | `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN` | [`credentials::EnvironmentVariableProvider`] |
//! | a RAM role through STS `AssumeRole` (RPC signature v1) | [`credentials::AssumeRoleProvider`] |
//! | an OIDC role through STS `AssumeRoleWithOIDC` | [`credentials::OidcRoleArnProvider`] |
//! | the ECS instance's RAM role (metadata service, IMDSv2) | [`credentials::EcsRamRoleProvider`] |
//! | profile files, credentials URI | [`credentials::ProfileFileProvider`], [`credentials::CliProfileProvider`], [`credentials::CredentialsUriProvider`] |
//!
//! Temporary credentials are cached by [`credentials::CachingProvider`]: refreshed 15 minutes
//! before they expire, one refresh at a time however many requests wait, and still-valid ones are
//! kept if a refresh fails, so a long-running client never fails a call on an expired token.
//!
//! ```
//! use mns_client::{Client, Endpoint};
//!
//! // What other Alibaba Cloud SDKs do: the default chain over the process environment
//! // (nothing is read until the first request).
//! let client = Client::builder(Endpoint::public("1234567890123456", "cn-hangzhou")?)
//!     .credentials(mns_client::credentials::default_provider())
//!     .build()?;
//! # let _ = client;
//! # Ok::<(), mns_client::Error>(())
//! ```
//!
//! Every provider reads time through a [`TimeSource`] and its endpoints from a
//! [`credentials::ProviderConfig`], so tests can point STS and the metadata service at an
//! emulator (`mns-emulator` serves both) and drive expiry on a virtual clock. The
//! `credentials` example (`cargo run --example credentials`) runs each way end to end.
//!
//! # Retries and time
//!
//! [`RetryConfig`] (exponential backoff with jitter, bounded by count and total time) applies to
//! 5xx answers, throttling, timeouts and connection errors; see [`retry`]. The `Date` header comes
//! from a [`TimeSource`] (the system clock by default) so tests can plug in an emulator's virtual
//! clock. Each request runs in a `mns_request` [`tracing`](https://docs.rs/tracing) span with its
//! operation, resource, attempt, status and request id.
//!
//! # Command-line tool
//!
//! The `cli` feature builds `mns`, an operations CLI over this client (`cargo install
//! mns-client --features cli`): queue, topic and subscription administration, send, receive,
//! peek, purge, drain, an at-least-once `move`/`redrive`, `stats` and `watch`, with JSON output
//! and exit codes per failure kind. The feature adds an optional dependency on `mns-emulator`
//! for `mns --emulator`; the library itself never needs it. See the repository README.
//!
//! # Secrets
//!
//! Access key secrets and STS tokens never appear in `Debug` output, logs or errors.
//!
//! # Features
//!
//! * `push` (default): the `push` module, verification of MNS HTTP-push requests. It brings in
//!   `rsa` and `x509-cert`; a program that never receives pushes can leave it out with
//!   `default-features = false`.
//! * `axum` (implies `push`): an axum extractor that runs a handler only for verified pushes.
#![deny(rustdoc::broken_intra_doc_links)]

// The crate README (the crates.io page) is compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod account;
mod client;
mod common;
pub mod control;
pub mod credentials;
pub mod endpoint;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod otel;
#[cfg(feature = "push")]
pub mod push;
pub mod queue;
pub mod retry;
pub mod signing;
pub mod time;
pub mod topic;
mod transport;
pub mod worker;
mod xml;

pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_LONG_POLL_MARGIN,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT, ENDPOINT_ENV, MAX_WAIT, REGION_ENV,
    SIGNATURE_VERSION_ENV, USER_REQUEST_ID_MAX_LEN,
};
pub use common::{CreateOutcome, ListOptions, ListStream};
pub use credentials::{
    Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider,
};
pub use endpoint::{Endpoint, Scheme};
pub use error::{Error, ErrorCode, PropertyProblem, Result, ServiceError};
pub use queue::{
    BatchEntryError, BatchSendEntry, BodyCodec, PeekedMessage, Priority, PropertyNumber,
    PropertyType, PropertyValue, Queue, QueueAttributes, QueueName, QueueOptions, QueuePage,
    QueueSummary, ReceiptHandle, ReceivedMessage, SendOptions, SendReceipt, SystemProperties,
    SystemProperty, SystemPropertyName, UserProperty, VisibilityChange,
};
pub use retry::RetryConfig;
pub use signing::SignatureVersion;
pub use time::{SharedTimeSource, SystemTimeSource, TimeSource};
pub use topic::{PublishReceipt, Topic};
pub use transport::SignedRequest;
pub use worker::{DeadLetter, Worker, WorkerBuilder};
