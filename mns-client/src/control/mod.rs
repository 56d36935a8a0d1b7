//! The control plane: a typed client for the MNS OpenAPI "Mns-open" (version `2022-01-19`,
//! JSON over HTTPS, `ACS3-HMAC-SHA256` signatures; reference mns-openapi-fifo-dlq §1–3).
//!
//! The data plane (the XML API of [`Client`](crate::Client)) cannot set a queue's type (FIFO), a
//! dead-letter policy, tags or a rate limit: only this API can. [`ControlClient`] covers every
//! queue, topic and subscription action and the account actions:
//!
//! | resource | actions |
//! |---|---|
//! | queues | `CreateQueue`, `SetQueueAttributes`, `GetQueueAttributes`, `DeleteQueue`, `ListQueue` |
//! | topics | `CreateTopic`, `SetTopicAttributes`, `GetTopicAttributes`, `DeleteTopic`, `ListTopic` |
//! | subscriptions | `Subscribe`, `SetSubscriptionAttributes`, `GetSubscriptionAttributes`, `Unsubscribe`, `ListSubscriptionByTopic` |
//! | tags | `TagResources`, `UntagResources` (what Terraform uses; not in the Python SDK 1.4.1) |
//! | account | `GetAccountAttributes`, `SetAccountAttributes` |
//!
//! Not covered yet: the endpoint ACL actions (`AuthorizeEndpointAcl`, `RevokeEndpointAcl`,
//! `EnableEndpoint`, `DisableEndpoint`, `GetEndpointAttribute`) and the event-rule actions
//! (`CreateEventRule`, `DeleteEventRule`, `GetEventRule`, `ListEventRules`).
//!
//! The client shares the data-plane client's conventions: any
//! [`ProvideCredentials`] (the default chain, STS, ECS role, ...),
//! [`RetryConfig`], timeouts, a [`TimeSource`], a `mns_control_request`
//! tracing span per call, and [`Error`] (a JSON error envelope becomes [`Error::Service`] with
//! the service's code, message and request id). Requests go to `mns-open.{region}.aliyuncs.com`
//! or to a custom base URL (an emulator's).
//!
//! ```no_run
//! use mns_client::Credentials;
//! use mns_client::control::{ControlClient, CreateQueueOptions, QueueDlqPolicy, QueueType, Tag};
//!
//! # async fn run() -> Result<(), mns_client::Error> {
//! let control = ControlClient::builder("cn-hangzhou")
//!     .credentials(Credentials::new("my-access-key-id", "my-access-key-secret"))
//!     .build()?;
//! control.create_queue("orders-dlq", &CreateQueueOptions {
//!     queue_type: Some(QueueType::Fifo),
//!     ..CreateQueueOptions::default()
//! }).await?;
//! control.create_queue("orders", &CreateQueueOptions {
//!     queue_type: Some(QueueType::Fifo),
//!     dlq_policy: Some(QueueDlqPolicy::enabled("orders-dlq", 3)),
//!     tags: vec![Tag::new("team", "shop")],
//!     ..CreateQueueOptions::default()
//! }).await?;
//! # Ok(()) }
//! ```

mod actions;
mod model;
pub mod signing;
mod transport;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use model::{
    AccountUpdate, ControlAccountAttributes, ControlListOptions, ControlPage, ControlQueue,
    ControlSubscription, ControlTopic, CreateQueueOptions, CreateTopicOptions, PushType,
    QueueDlqPolicy, QueueType, QueueUpdate, RateLimitPolicy, SubscribeOptions,
    SubscriptionDlqPolicy, SubscriptionUpdate, Tag, TaggedResourceType, TopicType, TopicUpdate,
};
pub use transport::{ControlParams, ControlRequest};

use crate::client::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT};
use crate::credentials::{CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use crate::error::Error;
use crate::retry::{Jitter, RetryConfig};
use crate::time::{SharedTimeSource, TimeSource};

/// The OpenAPI version this client speaks (`x-acs-version`).
pub const API_VERSION: &str = "2022-01-19";

/// The public control-plane host of a region: `mns-open.{region}.aliyuncs.com`.
pub fn regional_host(region: &str) -> String {
    format!("mns-open.{region}.aliyuncs.com")
}

/// A client for the control-plane OpenAPI of one region. Cheap to clone; share it.
#[derive(Clone)]
pub struct ControlClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: url::Url,
    pub(crate) region: String,
    pub(crate) credentials: SharedCredentialsProvider,
    pub(crate) retry: RetryConfig,
    pub(crate) jitter: Jitter,
    pub(crate) request_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) time_source: SharedTimeSource,
    pub(crate) user_agent: String,
}

impl fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("ControlClient")
            .field("base_url", &i.base_url.as_str())
            .field("region", &i.region)
            .field("credentials", &i.credentials)
            .field("retry", &i.retry)
            .field("request_timeout", &i.request_timeout)
            .finish_non_exhaustive()
    }
}

impl ControlClient {
    /// Starts building a client for `region` (e.g. `cn-hangzhou`).
    pub fn builder(region: impl Into<String>) -> ControlClientBuilder {
        ControlClientBuilder::new(region.into())
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url.as_str()
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.inner.region
    }
}

/// Builds a [`ControlClient`]. Only the credentials are required.
///
/// ```
/// use mns_client::Credentials;
/// use mns_client::control::ControlClient;
///
/// let control = ControlClient::builder("cn-hangzhou")
///     .credentials(Credentials::new("id", "secret"))
///     .build()?;
/// assert_eq!(control.base_url(), "https://mns-open.cn-hangzhou.aliyuncs.com/");
/// let local = ControlClient::builder("cn-hangzhou")
///     .credentials(Credentials::new("id", "secret"))
///     .base_url("http://127.0.0.1:9911")
///     .build()?;
/// assert_eq!(local.base_url(), "http://127.0.0.1:9911/");
/// # Ok::<(), mns_client::Error>(())
/// ```
pub struct ControlClientBuilder {
    region: String,
    base_url: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    retry: RetryConfig,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_bytes: usize,
    time_source: SharedTimeSource,
    user_agent: String,
}

impl fmt::Debug for ControlClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlClientBuilder")
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl crate::Client {
    /// A [`ControlClientBuilder`] for `region` that shares this data-plane client's credentials
    /// provider, retry policy, request timeout, response cap, time source and user agent; add
    /// [`base_url`](ControlClientBuilder::base_url) for an emulator.
    ///
    /// ```
    /// use mns_client::{Client, Credentials, Endpoint};
    /// let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
    ///     .credentials(Credentials::new("id", "secret"))
    ///     .build()?;
    /// let control = client.control_builder("cn-hangzhou").base_url("http://127.0.0.1:9911").build()?;
    /// assert_eq!(control.region(), "cn-hangzhou");
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn control_builder(&self, region: impl Into<String>) -> ControlClientBuilder {
        let i = &self.inner;
        let mut b = ControlClientBuilder::new(region.into());
        b.credentials = Some(Arc::clone(&i.credentials));
        b.retry = i.retry.clone();
        b.request_timeout = i.request_timeout;
        b.max_response_bytes = i.max_response_bytes;
        b.time_source = i.time_source.clone();
        b.user_agent = i.user_agent.clone();
        b
    }
}

impl ControlClientBuilder {
    fn new(region: String) -> Self {
        ControlClientBuilder {
            region,
            base_url: None,
            credentials: None,
            retry: RetryConfig::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            time_source: SharedTimeSource::default(),
            user_agent: format!(
                "aliyun-sdk-rust/{}({}/-/{};mns-client-control)",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
        }
    }

    /// A custom base URL (an emulator's, a proxy) instead of
    /// `https://mns-open.{region}.aliyuncs.com`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Where credentials come from (asked before every attempt).
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Like [`credentials`](Self::credentials), for a provider that is already shared (the one
    /// a data-plane [`Client`](crate::Client) uses, say).
    pub fn credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The retry policy (5xx, throttling, timeouts and connection errors are retried).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Timeout for establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout for one attempt.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Largest response body read.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Where `x-acs-date` comes from (default: the system clock).
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = SharedTimeSource::new(time_source);
        self
    }

    /// The `user-agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the client: [`Error::Credentials`] without credentials,
    /// [`Error::InvalidEndpoint`] for a base URL that is not `http(s)://host[:port]`.
    pub fn build(self) -> Result<ControlClient, Error> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::Credentials(CredentialsError::InvalidConfiguration {
                provider: "ControlClientBuilder",
                reason: "no credentials provider configured; call .credentials(..)".into(),
            })
        })?;
        if self.region.is_empty()
            || !self
                .region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::InvalidEndpoint(format!(
                "{:?} is not a region id",
                self.region
            )));
        }
        let raw = self
            .base_url
            .unwrap_or_else(|| format!("https://{}", regional_host(&self.region)));
        let base_url = url::Url::parse(raw.trim())
            .map_err(|e| Error::InvalidEndpoint(format!("{raw}: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https")
            || base_url.host_str().is_none()
            || base_url.path() != "/"
            || base_url.query().is_some()
        {
            return Err(Error::InvalidEndpoint(format!(
                "{raw}: expected http(s)://host[:port]"
            )));
        }
        if reqwest::header::HeaderValue::from_str(&self.user_agent).is_err() {
            return Err(Error::InvalidInput(
                "user agent is not a valid header value".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            .build()
            .map_err(|e| Error::InvalidInput(format!("HTTP client: {e}")))?;
        Ok(ControlClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                region: self.region,
                credentials,
                jitter: Jitter::new(self.retry.jitter_seed),
                retry: self.retry,
                request_timeout: self.request_timeout,
                max_response_bytes: self.max_response_bytes,
                time_source: self.time_source,
                user_agent: self.user_agent,
            }),
        })
    }
}
