//! A caching layer that refreshes expiring credentials ahead of time, one refresh at a time.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use super::{Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use crate::time::{SharedTimeSource, TimeSource};

/// Default time before expiry at which credentials are refreshed (15 minutes, as the Java,
/// Python and Node libraries do).
pub const DEFAULT_REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Default pause before retrying a failed refresh while still-valid credentials are served.
pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// Caches the credentials of any provider.
///
/// * Credentials without an expiry are fetched once and cached forever.
/// * Expiring credentials are refreshed once the time left falls under the refresh window
///   (15 minutes by default). If they were issued with less time than the window, they are
///   refreshed halfway through their remaining life instead.
/// * Only one refresh runs at a time. While it runs, other callers get the cached credentials if
///   they are still valid, and otherwise wait for the refresh and share its result.
/// * If a refresh fails while the cached credentials are still valid, those keep being served
///   (a warning is logged, without any secret) and the refresh is retried after a pause
///   (10 s by default). Once they have expired, the error is returned.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use mns_client::{Credentials, ProvideCredentials};
/// use mns_client::credentials::CachingProvider;
///
/// let cached = CachingProvider::builder(Credentials::new("LTAI_example", "example-secret"))
///     .refresh_before_expiry(Duration::from_secs(300))
///     .build();
/// let creds = cached.provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "LTAI_example");
/// # });
/// ```
#[derive(Debug)]
pub struct CachingProvider {
    inner: SharedCredentialsProvider,
    time: SharedTimeSource,
    refresh_before_expiry: Duration,
    retry_after_failure: Duration,
    state: RwLock<CacheState>,
    refresh_lock: tokio::sync::Mutex<()>,
}

/// Name used in log records and errors.
const NAME: &str = "credentials_cache";

#[derive(Debug, Default)]
struct CacheState {
    cached: Option<Cached>,
}

#[derive(Debug, Clone)]
struct Cached {
    credentials: Credentials,
    /// When to fetch anew (`None`: never).
    refresh_at: Option<SystemTime>,
}

impl Cached {
    fn is_usable(&self, now: SystemTime) -> bool {
        self.credentials.expiry().is_none_or(|expiry| now < expiry)
    }

    fn is_fresh(&self, now: SystemTime) -> bool {
        self.refresh_at.is_none_or(|at| now < at) && self.is_usable(now)
    }
}

/// Builder for [`CachingProvider`].
#[derive(Debug)]
pub struct CachingProviderBuilder {
    inner: SharedCredentialsProvider,
    time: SharedTimeSource,
    refresh_before_expiry: Duration,
    retry_after_failure: Duration,
}

impl CachingProviderBuilder {
    /// How long before expiry to refresh (default 15 minutes).
    pub fn refresh_before_expiry(mut self, window: Duration) -> Self {
        self.refresh_before_expiry = window;
        self
    }

    /// After a failed refresh while valid credentials remain, wait this long before trying again
    /// (default 10 s).
    pub fn retry_after_failure(mut self, pause: Duration) -> Self {
        self.retry_after_failure = pause;
        self
    }

    /// The clock used for expiry decisions (default: the system clock); any [`TimeSource`],
    /// a [`SharedTimeSource`] included.
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time = SharedTimeSource::new(time);
        self
    }

    /// Builds the cache (empty: the first call fetches).
    pub fn build(self) -> CachingProvider {
        CachingProvider {
            inner: self.inner,
            time: self.time,
            refresh_before_expiry: self.refresh_before_expiry,
            retry_after_failure: self.retry_after_failure,
            state: RwLock::new(CacheState::default()),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }
}

/// Another name for [`CachingProvider`], after the smithy-rs type of the same role.
pub type LazyCredentialsCache = CachingProvider;

impl CachingProvider {
    /// Caches `inner` with the default settings and the system clock.
    pub fn new(inner: impl ProvideCredentials + 'static) -> Self {
        CachingProvider::builder(inner).build()
    }

    /// Starts a builder around `inner`.
    pub fn builder(inner: impl ProvideCredentials + 'static) -> CachingProviderBuilder {
        CachingProvider::builder_shared(Arc::new(inner))
    }

    /// Starts a builder around an already shared provider.
    pub fn builder_shared(inner: SharedCredentialsProvider) -> CachingProviderBuilder {
        CachingProviderBuilder {
            inner,
            time: SharedTimeSource::default(),
            refresh_before_expiry: DEFAULT_REFRESH_BEFORE_EXPIRY,
            retry_after_failure: DEFAULT_RETRY_AFTER_FAILURE,
        }
    }

    /// Drops the cached credentials so the next call fetches anew.
    pub fn invalidate(&self) {
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .cached = None;
    }

    fn current(&self) -> Option<Cached> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .cached
            .clone()
    }

    fn store(&self, cached: Cached) {
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .cached = Some(cached);
    }

    /// When credentials fetched at `now` should be refreshed.
    fn refresh_time(&self, credentials: &Credentials, now: SystemTime) -> Option<SystemTime> {
        let expiry = credentials.expiry()?;
        let remaining = expiry.duration_since(now).unwrap_or(Duration::ZERO);
        if remaining > self.refresh_before_expiry {
            Some(expiry - self.refresh_before_expiry)
        } else {
            // Issued with less life than the window: refresh halfway through what is left.
            Some(now + remaining / 2)
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for CachingProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let current = self.current();
        let now = self.time.now();
        if let Some(cached) = current.as_ref().filter(|c| c.is_fresh(now)) {
            return Ok(cached.credentials.clone());
        }

        // Single flight: one caller refreshes. While it does, callers holding still-valid
        // credentials get them at once; the others wait here and then find the fresh values.
        let _guard = match self.refresh_lock.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                if let Some(cached) = current.filter(|c| c.is_usable(now)) {
                    return Ok(cached.credentials);
                }
                self.refresh_lock.lock().await
            }
        };
        let now = self.time.now();
        let previous = self.current();
        if let Some(cached) = previous.as_ref().filter(|c| c.is_fresh(now)) {
            return Ok(cached.credentials.clone());
        }

        match self.inner.provide_credentials().await {
            Ok(credentials) => {
                let refresh_at = self.refresh_time(&credentials, now);
                self.store(Cached {
                    credentials: credentials.clone(),
                    refresh_at,
                });
                tracing::debug!(
                    cache = NAME,
                    access_key_id = credentials.access_key_id(),
                    expiry = ?credentials.expiry(),
                    "credentials refreshed"
                );
                Ok(credentials)
            }
            Err(err) => match previous {
                Some(cached) if cached.is_usable(now) => {
                    tracing::warn!(
                        cache = NAME,
                        error = %err,
                        expiry = ?cached.credentials.expiry(),
                        "credentials refresh failed; still serving the cached credentials until they expire"
                    );
                    let retry_at = now + self.retry_after_failure;
                    let refresh_at = match cached.credentials.expiry() {
                        Some(expiry) => Some(retry_at.min(expiry)),
                        None => Some(retry_at),
                    };
                    let credentials = cached.credentials.clone();
                    self.store(Cached {
                        credentials: credentials.clone(),
                        refresh_at,
                    });
                    Ok(credentials)
                }
                _ => Err(err),
            },
        }
    }
}
