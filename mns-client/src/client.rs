//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::queue::{Queue, QueueName};
use crate::retry::{Jitter, RetryConfig};
use crate::signing::SignatureVersion;
use crate::time::{SharedTimeSource, TimeSource};
use crate::transport::Signer;
use crate::transport::http::{HttpSender, HttpSettings};

/// Default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout for one request attempt (long polls get their wait time added, see
/// [`ClientBuilder::long_poll_margin`]).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default extra time allowed on top of a long poll's wait.
pub const DEFAULT_LONG_POLL_MARGIN: Duration = Duration::from_secs(5);
/// Default cap on a response body the client reads: 16 MiB. The largest legal MNS answer, a
/// BatchReceiveMessage of 16 messages of 64 KB each with every character escaped (`&quot;` is 6
/// bytes), is about 6 MB; a body past the cap comes from something that is not MNS (a broken
/// proxy, a wrong host) and fails with [`Error::ResponseTooLarge`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// The longest wait MNS allows for a long poll (also used when the queue's own
/// `PollingWaitSeconds` applies, since the client does not know it).
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// A client for one MNS endpoint (one account in one region).
///
/// Cheap to clone (an [`Arc`] inside) and safe to share across tasks: all clones share one pooled
/// HTTP connection pool, one credentials provider and one retry policy.
///
/// ```
/// use mns_client::{Client, Credentials, Endpoint};
/// let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
///     .credentials(Credentials::new("my-access-key-id", "my-access-key-secret"))
///     .build()?;
/// let queue = client.queue("orders")?;
/// assert_eq!(queue.name().as_str(), "orders");
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// `x-mns-user-request-id` sent with every request of this handle (and of the queue and
    /// topic handles made from it), if set.
    pub(crate) user_request_id: Option<Arc<str>>,
}

pub(crate) struct Inner {
    /// Sends the signed requests (`transport/http.rs`: direct over hyper for `http://`,
    /// reqwest for `https://` and proxied endpoints).
    pub(crate) http: HttpSender,
    pub(crate) endpoint: Endpoint,
    /// The endpoint parsed once; each request's URL is this with its path and query set
    /// (`Client::url_for`), so the scheme and host are not parsed again per request.
    pub(crate) base_url: url::Url,
    pub(crate) credentials: SharedCredentialsProvider,
    pub(crate) retry: RetryConfig,
    pub(crate) jitter: Jitter,
    pub(crate) request_timeout: Duration,
    pub(crate) long_poll_margin: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) time_source: SharedTimeSource,
    pub(crate) user_agent: String,
    pub(crate) signer: Signer,
}

/// The environment variable [`Client::from_env`] reads the endpoint from.
pub const ENDPOINT_ENV: &str = "MNS_ENDPOINT";

/// The environment variable [`Client::from_env`] reads the [`SignatureVersion`] from (`v2`,
/// `v4` or `apsara-v4`; default `v2`).
pub const SIGNATURE_VERSION_ENV: &str = "MNS_SIGNATURE_VERSION";

/// The environment variable [`Client::from_env`] reads the region from when the endpoint's host
/// does not name it (an emulator, a proxy); V4 signing needs it.
pub const REGION_ENV: &str = "MNS_REGION";

impl Client {
    /// Starts building a client for `endpoint`.
    pub fn builder(endpoint: Endpoint) -> ClientBuilder {
        ClientBuilder::new(endpoint)
    }

    /// A client configured from the environment, the way every Alibaba Cloud SDK is: the endpoint
    /// from `MNS_ENDPOINT` (a base URL such as
    /// `https://1234567890123456.mns.cn-hangzhou.aliyuncs.com`, or an emulator's URL) and
    /// credentials from the default provider chain
    /// ([`credentials::default_provider`](crate::credentials::default_provider): environment
    /// keys, OIDC, profile files, ECS RAM role, credentials URI), resolved on first use and
    /// refreshed before they expire.
    ///
    /// The signature is chosen by `MNS_SIGNATURE_VERSION` (`v2`, the default, `v4` or
    /// `apsara-v4`); `MNS_REGION` gives the V4 region when the endpoint's host does not.
    ///
    /// Fails with [`Error::InvalidEndpoint`] when `MNS_ENDPOINT` is unset or not a usable URL,
    /// and with [`Error::InvalidInput`] for an unknown signature version or V4 without a region.
    /// Use [`Client::builder`] for timeouts, retries or a specific credentials provider.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), mns_client::Error> {
    /// // MNS_ENDPOINT=https://1234567890123456.mns.cn-hangzhou.aliyuncs.com
    /// // ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
    /// let client = mns_client::Client::from_env()?;
    /// client.queue("orders")?.send_message("hello").await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        let url = std::env::var(ENDPOINT_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::InvalidEndpoint(format!("{ENDPOINT_ENV} is not set")))?;
        let env = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut builder = Client::builder(Endpoint::from_url(url.trim())?)
            .credentials(crate::credentials::default_provider());
        if let Some(version) = env(SIGNATURE_VERSION_ENV) {
            builder = builder.signature_version(version.parse()?);
        }
        if let Some(region) = env(REGION_ENV) {
            builder = builder.region(region);
        }
        builder.build()
    }

    /// The signature this client puts on its requests.
    pub fn signature_version(&self) -> SignatureVersion {
        self.inner.signer.version
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.inner.retry
    }

    /// A handle on the queue `name` (validated, no request is sent). The handle uses the raw body
    /// codec; see [`Queue::with_codec`].
    pub fn queue(&self, name: &str) -> Result<Queue, Error> {
        Ok(Queue::new(self.clone(), QueueName::new(name)?))
    }

    /// A handle on an already validated queue name.
    pub fn queue_named(&self, name: QueueName) -> Queue {
        Queue::new(self.clone(), name)
    }

    /// The timeout for a request that long-polls for `wait` (`None`: the queue's own
    /// `PollingWaitSeconds`, at most 30 s): the wait plus the long-poll margin, and never less
    /// than the client's request timeout.
    pub(crate) fn long_poll_timeout(&self, wait: Option<Duration>) -> Duration {
        let wait = wait.unwrap_or(MAX_WAIT);
        (wait + self.inner.long_poll_margin).max(self.inner.request_timeout)
    }
}

/// Longest `x-mns-user-request-id` the client sends. The reference gives no limit
/// \[unconfirmed\]; 128 characters holds any UUID or trace id with room to spare.
pub const USER_REQUEST_ID_MAX_LEN: usize = 128;

impl Client {
    /// A handle (sharing this client's connections and credentials) whose requests carry
    /// `x-mns-user-request-id: id` (reference mns-queues §2.1; signed, as every `x-mns-*`
    /// header). Queue and topic handles made from it carry it too.
    ///
    /// The id must be 1 to [`USER_REQUEST_ID_MAX_LEN`] visible ASCII characters (no spaces),
    /// so that it fits an HTTP header unchanged.
    ///
    /// ```
    /// use mns_client::{Client, Credentials, Endpoint};
    /// let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
    ///     .credentials(Credentials::new("id", "secret"))
    ///     .build()?;
    /// let tagged = client.with_user_request_id("order-42-attempt-1")?;
    /// assert_eq!(tagged.user_request_id(), Some("order-42-attempt-1"));
    /// assert!(client.with_user_request_id("has space").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn with_user_request_id(&self, id: &str) -> Result<Client, Error> {
        if id.is_empty()
            || id.len() > USER_REQUEST_ID_MAX_LEN
            || !id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::InvalidInput(format!(
                "a user request id is 1 to {USER_REQUEST_ID_MAX_LEN} visible ASCII characters"
            )));
        }
        Ok(Client {
            inner: Arc::clone(&self.inner),
            user_request_id: Some(Arc::from(id)),
        })
    }

    /// The `x-mns-user-request-id` this handle sends, if any.
    pub fn user_request_id(&self) -> Option<&str> {
        self.user_request_id.as_deref()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &i.endpoint)
            .field("credentials", &i.credentials)
            .field("retry", &i.retry)
            .field("request_timeout", &i.request_timeout)
            .field("long_poll_margin", &i.long_poll_margin)
            .field("time_source", &i.time_source)
            .field("user_agent", &i.user_agent)
            .field("signature_version", &i.signer.version)
            .field("user_request_id", &self.user_request_id)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Only the endpoint and credentials are required.
///
/// ```
/// use mns_client::{Client, Credentials, Endpoint, RetryConfig};
/// use std::time::Duration;
/// let client = Client::builder(Endpoint::public("1234567890123456", "cn-hangzhou")?)
///     .credentials(Credentials::new("id", "secret"))
///     .retry(RetryConfig { max_retries: 5, ..RetryConfig::default() })
///     .connect_timeout(Duration::from_secs(3))
///     .request_timeout(Duration::from_secs(20))
///     .user_agent("my-app/1.0")
///     .build()?;
/// # let _ = client;
/// # Ok::<(), mns_client::Error>(())
/// ```
pub struct ClientBuilder {
    endpoint: Endpoint,
    credentials: Option<SharedCredentialsProvider>,
    retry: RetryConfig,
    connect_timeout: Duration,
    request_timeout: Duration,
    long_poll_margin: Duration,
    max_response_bytes: usize,
    user_agent: String,
    time_source: SharedTimeSource,
    signature_version: SignatureVersion,
    region: Option<String>,
}

impl ClientBuilder {
    /// A builder with defaults: no credentials yet, [`RetryConfig::default`], 5 s connect timeout,
    /// 10 s request timeout, 5 s long-poll margin, the system clock.
    pub fn new(endpoint: Endpoint) -> Self {
        ClientBuilder {
            endpoint,
            credentials: None,
            retry: RetryConfig::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            long_poll_margin: DEFAULT_LONG_POLL_MARGIN,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: default_user_agent(),
            time_source: SharedTimeSource::default(),
            signature_version: SignatureVersion::default(),
            region: None,
        }
    }

    /// Where credentials come from: a [`Credentials`](crate::Credentials) value (static keys or
    /// a fixed STS token) or any other provider. The provider is asked before every attempt.
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Like [`credentials`](Self::credentials), for a provider that is already shared.
    pub fn credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The retry policy (default [`RetryConfig::default`]).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Timeout for establishing a TCP/TLS connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout for one attempt of an ordinary request (sending, reading the answer).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Extra time allowed on top of a long poll's wait before the attempt times out.
    pub fn long_poll_margin(mut self, margin: Duration) -> Self {
        self.long_poll_margin = margin;
        self
    }

    /// Largest response body read (default [`DEFAULT_MAX_RESPONSE_BYTES`]). A longer one is
    /// abandoned once the cap is reached, so no more than the cap is ever held in memory, and the
    /// call fails with [`Error::ResponseTooLarge`], which is not retried.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The `User-Agent` header (default `aliyun-sdk-rust/{version}({os}/-/{arch};mns-client)`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Where the `Date` header's time comes from (default: the system clock); any
    /// [`TimeSource`], a [`SharedTimeSource`] included. Tests against an emulator with a virtual
    /// clock pass that clock here.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = SharedTimeSource::new(time_source);
        self
    }

    /// The request signature (default [`SignatureVersion::V2`]; see its docs for how to choose).
    ///
    /// ```
    /// use mns_client::{Client, Credentials, Endpoint, SignatureVersion};
    /// let client = Client::builder(Endpoint::public("1234567890123456", "cn-hangzhou")?)
    ///     .credentials(Credentials::new("id", "secret"))
    ///     .signature_version(SignatureVersion::V4) // region taken from the endpoint
    ///     .build()?;
    /// assert_eq!(client.signature_version(), SignatureVersion::V4);
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    /// The region for the V4 credential scope, for endpoints whose host does not name it (an
    /// emulator: its region, `cn-hangzhou` unless configured otherwise). Overrides the region
    /// read from an Alibaba Cloud endpoint.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Builds the client.
    ///
    /// Fails with [`Error::Credentials`] if no credentials were given, and with
    /// [`Error::InvalidInput`] for a user agent that is not a valid header value, a V4 signature
    /// without a known region, or an HTTP stack that cannot be initialised.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::Credentials(CredentialsError::InvalidConfiguration {
                provider: "ClientBuilder",
                reason: "no credentials provider configured; call .credentials(..)".into(),
            })
        })?;
        if reqwest::header::HeaderValue::from_str(&self.user_agent).is_err() {
            return Err(Error::InvalidInput(
                "user agent is not a valid header value".into(),
            ));
        }
        let region = self
            .region
            .or_else(|| self.endpoint.region().map(str::to_owned))
            .unwrap_or_default();
        if self.signature_version.v4_algorithm().is_some() {
            let ok = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(Error::InvalidInput(format!(
                    "{} signing needs the region (got {region:?}): the endpoint {} does not name \
                     one, so set it with ClientBuilder::region or {REGION_ENV}",
                    self.signature_version, self.endpoint
                )));
            }
        }
        let signer = Signer::new(self.signature_version, region);
        let base_url = url::Url::parse(self.endpoint.as_str())
            .map_err(|e| Error::InvalidEndpoint(format!("{}: {e}", self.endpoint.as_str())))?;
        let http = HttpSender::new(
            &base_url,
            &HttpSettings {
                connect_timeout: self.connect_timeout,
                user_agent: &self.user_agent,
            },
        )?;
        Ok(Client {
            user_request_id: None,
            inner: Arc::new(Inner {
                http,
                endpoint: self.endpoint,
                base_url,
                credentials,
                jitter: Jitter::new(self.retry.jitter_seed),
                retry: self.retry,
                request_timeout: self.request_timeout,
                long_poll_margin: self.long_poll_margin,
                max_response_bytes: self.max_response_bytes,
                time_source: self.time_source,
                user_agent: self.user_agent,
                signer,
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("long_poll_margin", &self.long_poll_margin)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("user_agent", &self.user_agent)
            .field("time_source", &self.time_source)
            .field("signature_version", &self.signature_version)
            .field("region", &self.region)
            .finish()
    }
}

fn default_user_agent() -> String {
    format!(
        "aliyun-sdk-rust/{}({}/-/{};mns-client)",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
