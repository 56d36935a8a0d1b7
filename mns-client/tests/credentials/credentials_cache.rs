//! The caching layer: refresh ahead of expiry on an injected clock, single flight, and serving
//! still-valid credentials when a refresh fails. No sleeps.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mns_client::credentials::{
    AssumeRoleProvider, CachingProvider, Env, ManualTimeSource, ProviderConfig,
};
use mns_client::{Credentials, CredentialsError, ProvideCredentials};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const MIN: Duration = Duration::from_secs(60);

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_704_110_400) // 2024-01-01T12:00:00Z
}

/// Answers from a script; counts calls. `Ok(lifetime)` issues credentials `key-{n}` expiring
/// `lifetime` after the clock's current time (`None`: no expiry).
#[derive(Debug)]
struct Scripted {
    clock: ManualTimeSource,
    script: Mutex<VecDeque<Result<Option<Duration>, &'static str>>>,
    calls: AtomicUsize,
}

impl Scripted {
    fn new(
        clock: &ManualTimeSource,
        script: impl IntoIterator<Item = Result<Option<Duration>, &'static str>>,
    ) -> Arc<Self> {
        Arc::new(Scripted {
            clock: clock.clone(),
            script: Mutex::new(script.into_iter().collect()),
            calls: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for Scripted {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        use mns_client::credentials::TimeSource;
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let next = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Err("script exhausted"));
        match next {
            Ok(lifetime) => Ok(Credentials::with_security_token(
                format!("key-{n}"),
                format!("secret-{n}-do-not-log"),
                format!("token-{n}-do-not-log"),
                lifetime.map(|l| self.clock.now() + l),
            )),
            Err(reason) => Err(CredentialsError::ProviderError {
                provider: "scripted",
                reason: reason.to_string(),
                source: None,
            }),
        }
    }
}

fn cache(inner: &Arc<Scripted>, clock: &ManualTimeSource) -> CachingProvider {
    CachingProvider::builder_shared(inner.clone())
        .time_source(clock.clone())
        .build()
}

async fn id(cache: &CachingProvider) -> String {
    cache
        .provide_credentials()
        .await
        .unwrap()
        .access_key_id()
        .to_string()
}

#[tokio::test]
async fn credentials_without_expiry_are_cached_forever() {
    let clock = ManualTimeSource::new(start());
    let inner = Scripted::new(&clock, [Ok(None)]);
    let cache = cache(&inner, &clock);
    assert_eq!(id(&cache).await, "key-1");
    clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    for _ in 0..10 {
        assert_eq!(id(&cache).await, "key-1");
    }
    assert_eq!(inner.calls(), 1);
}

#[tokio::test]
async fn refreshes_fifteen_minutes_before_expiry_by_default() {
    let clock = ManualTimeSource::new(start());
    let inner = Scripted::new(&clock, [Ok(Some(60 * MIN)), Ok(Some(60 * MIN))]);
    let cache = cache(&inner, &clock);
    assert_eq!(id(&cache).await, "key-1");
    clock.advance(45 * MIN - Duration::from_secs(1));
    assert_eq!(id(&cache).await, "key-1", "still outside the window");
    assert_eq!(inner.calls(), 1);
    clock.advance(Duration::from_secs(1));
    assert_eq!(id(&cache).await, "key-2", "refreshed at expiry - 15 min");
    assert_eq!(inner.calls(), 2);
    assert_eq!(id(&cache).await, "key-2");
    assert_eq!(inner.calls(), 2);
}

#[tokio::test]
async fn refresh_window_is_configurable() {
    let clock = ManualTimeSource::new(start());
    let inner = Scripted::new(&clock, [Ok(Some(60 * MIN)), Ok(Some(60 * MIN))]);
    let cache = CachingProvider::builder_shared(inner.clone())
        .time_source(clock.clone())
        .refresh_before_expiry(5 * MIN)
        .build();
    assert_eq!(id(&cache).await, "key-1");
    clock.advance(50 * MIN);
    assert_eq!(id(&cache).await, "key-1");
    clock.advance(5 * MIN);
    assert_eq!(id(&cache).await, "key-2");
}

#[tokio::test]
async fn short_lived_credentials_are_refreshed_halfway() {
    let clock = ManualTimeSource::new(start());
    // Issued for 10 minutes, less than the 15-minute window.
    let inner = Scripted::new(&clock, [Ok(Some(10 * MIN)), Ok(Some(60 * MIN))]);
    let cache = cache(&inner, &clock);
    assert_eq!(id(&cache).await, "key-1");
    clock.advance(4 * MIN);
    assert_eq!(
        id(&cache).await,
        "key-1",
        "used, not refetched on every call"
    );
    clock.advance(MIN);
    assert_eq!(id(&cache).await, "key-2");
}

#[tokio::test]
async fn failed_refresh_keeps_serving_valid_credentials_then_fails_after_expiry() {
    let clock = ManualTimeSource::new(start());
    let inner = Scripted::new(
        &clock,
        [
            Ok(Some(60 * MIN)),
            Err("sts down"),
            Err("sts down"),
            Err("sts down"),
        ],
    );
    let cache = cache(&inner, &clock);
    assert_eq!(id(&cache).await, "key-1");

    let (_guard, logs) = capture_logs();
    clock.advance(50 * MIN); // inside the refresh window, 10 min before expiry
    assert_eq!(
        id(&cache).await,
        "key-1",
        "still valid: served despite failure"
    );
    assert_eq!(inner.calls(), 2);

    // A warning was logged, naming the error but no secret.
    let text = logs.lock().unwrap().clone();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("sts down"), "{text}");
    assert!(!text.contains("do-not-log"), "{text}");

    // Within the retry pause (10 s) the provider is not hammered.
    clock.advance(Duration::from_secs(5));
    assert_eq!(id(&cache).await, "key-1");
    assert_eq!(inner.calls(), 2);
    clock.advance(Duration::from_secs(5));
    assert_eq!(id(&cache).await, "key-1");
    assert_eq!(inner.calls(), 3);

    // Once expired, the error comes through.
    clock.advance(10 * MIN);
    let err = cache.provide_credentials().await.unwrap_err();
    assert!(err.to_string().contains("sts down"), "{err}");
}

#[tokio::test]
async fn failure_without_cached_credentials_is_returned_and_retried_next_call() {
    let clock = ManualTimeSource::new(start());
    let inner = Scripted::new(&clock, [Err("boom"), Ok(None)]);
    let cache = cache(&inner, &clock);
    assert!(cache.provide_credentials().await.is_err());
    assert_eq!(id(&cache).await, "key-2");
}

#[tokio::test]
async fn invalidate_forces_a_fetch() {
    let clock = ManualTimeSource::new(start());
    let inner = Scripted::new(&clock, [Ok(None), Ok(None)]);
    let cache = cache(&inner, &clock);
    assert_eq!(id(&cache).await, "key-1");
    cache.invalidate();
    assert_eq!(id(&cache).await, "key-2");
}

fn sts_body(id: &str) -> serde_json::Value {
    serde_json::json!({
        "RequestId": "r",
        "Credentials": {"AccessKeyId": id, "AccessKeySecret": "s", "SecurityToken": "t",
                        "Expiration": "2024-01-01T13:00:00Z"}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sts_call_for_a_hundred_concurrent_requests() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(sts_body("STS.first"))
                // Keeps the refresh in flight while the other requests pile up; the assertion
                // holds whatever the timing, the delay only makes the overlap certain.
                .set_delay(Duration::from_millis(200)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sts_body("STS.second")))
        .mount(&server)
        .await;
    let clock = ManualTimeSource::new(start());
    let config = ProviderConfig::new()
        .with_env(Env::from_vars([("X", "y")]))
        .with_time_source(clock.clone())
        .with_sts_endpoint(server.uri());
    let provider =
        AssumeRoleProvider::builder("acs:ram::1:role/r", Credentials::new("id", "secret"))
            .configure(&config)
            .build()
            .unwrap();
    let cache = Arc::new(
        CachingProvider::builder(provider)
            .time_source(clock.clone())
            .build(),
    );

    let run_100 = || {
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.provide_credentials().await })
            })
            .collect();
        async move {
            let mut ids = Vec::new();
            for h in handles {
                ids.push(h.await.unwrap().unwrap().access_key_id().to_string());
            }
            ids
        }
    };

    let ids = run_100().await;
    assert!(ids.iter().all(|id| id == "STS.first"));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // Into the refresh window (expiry 13:00, now 12:46): again exactly one call for 100 requests;
    // while it runs, callers may still be served the valid STS.first.
    clock.advance(46 * MIN);
    let ids = run_100().await;
    assert!(
        ids.iter().all(|id| id == "STS.first" || id == "STS.second"),
        "{ids:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_eq!(
        cache.provide_credentials().await.unwrap().access_key_id(),
        "STS.second"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// Blocks inside `provide_credentials` until released; tells when it has started.
#[derive(Debug)]
struct Gated {
    clock: ManualTimeSource,
    calls: AtomicUsize,
    started: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl ProvideCredentials for Gated {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        use mns_client::credentials::TimeSource;
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n > 1 {
            self.started.notify_one();
            self.release.notified().await;
        }
        Ok(Credentials::with_security_token(
            format!("key-{n}"),
            "s",
            "t",
            Some(self.clock.now() + 60 * MIN),
        ))
    }
}

#[tokio::test]
async fn valid_credentials_are_served_while_a_refresh_is_in_flight() {
    let clock = ManualTimeSource::new(start());
    let inner = Arc::new(Gated {
        clock: clock.clone(),
        calls: AtomicUsize::new(0),
        started: tokio::sync::Notify::new(),
        release: tokio::sync::Notify::new(),
    });
    let cache = Arc::new(
        CachingProvider::builder_shared(inner.clone())
            .time_source(clock.clone())
            .build(),
    );
    assert_eq!(id(&cache).await, "key-1");
    clock.advance(50 * MIN);

    let refresher = tokio::spawn({
        let cache = cache.clone();
        async move { id(&cache).await }
    });
    inner.started.notified().await; // the refresh holds the lock now
    assert_eq!(id(&cache).await, "key-1", "served without waiting");
    assert_eq!(inner.calls.load(Ordering::SeqCst), 2, "no second refresh");
    inner.release.notify_one();
    assert_eq!(refresher.await.unwrap(), "key-2");
    assert_eq!(id(&cache).await, "key-2");
}

// ---- a minimal tracing subscriber that records formatted events -------------------------------

/// Records events on this thread (the current-thread test runtime) while the guard lives.
fn capture_logs() -> (tracing::subscriber::DefaultGuard, Arc<Mutex<String>>) {
    let sink = Arc::new(Mutex::new(String::new()));
    let subscriber = Capture { sink: sink.clone() };
    (tracing::subscriber::set_default(subscriber), sink)
}

struct Capture {
    sink: Arc<Mutex<String>>,
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("{}", event.metadata().level());
        event.record(&mut Fields(&mut line));
        line.push('\n');
        self.sink.lock().unwrap().push_str(&line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
