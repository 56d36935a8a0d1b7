//! [`Target`]: what a conformance case runs against (a client, the backend's capabilities, a
//! unique name prefix, time control and cleanup).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mns_client::credentials::ProviderConfig;
use mns_client::{
    Client, Credentials, Endpoint, Queue, QueueOptions, RetryConfig, SharedTimeSource, TimeSource,
    topic::{Topic, TopicOptions},
};
use mns_emulator::clock::ManualClock;
use mns_emulator::{EmulatorBuilder, RunningEmulator};

use crate::clock::{ClockTimeSource, settle};
use crate::raw::{self, RawRequest, RawResponse};

/// The error type of a conformance case. Checks are assertions (a failing check panics with its
/// message); `Err` is for operations that failed where the case expected them to work.
pub type CaseError = Box<dyn std::error::Error + Send + Sync>;

/// The result of a conformance case.
pub type CaseResult = Result<(), CaseError>;

/// Extra time added to every real wait against a live service, for clock granularity and network
/// latency.
pub const LIVE_SLACK: Duration = Duration::from_millis(1500);

/// What the backend behind a [`Target`] can do beyond the common protocol. Cases consult these
/// flags instead of `cfg`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Time is virtual: [`Target::elapse`] moves it instantly.
    pub manual_time: bool,
    /// Topic subscriptions can push to HTTP endpoints reachable from the test process.
    pub http_push: bool,
}

impl Capabilities {
    /// The in-process emulator on a [`ManualClock`].
    pub fn emulator() -> Self {
        Capabilities {
            manual_time: true,
            http_push: true,
        }
    }

    /// A live MNS endpoint (real time; pushes cannot reach this machine).
    pub fn live() -> Self {
        Capabilities {
            manual_time: false,
            http_push: false,
        }
    }
}

/// What a conformance case runs against.
///
/// Every case gets a fresh target: a client, the backend's [`Capabilities`], a unique name prefix
/// (so cases never collide and never assume an empty account), time control and a record of what
/// it created, deleted by [`Target::cleanup`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), mns_testkit::CaseError> {
/// use mns_testkit::Target;
/// let t = Target::emulator().await;
/// let queue = t.create_queue("demo", &Default::default()).await?;
/// queue.send_message("hi").await?;
/// t.cleanup().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Target {
    /// The client every case uses.
    pub client: Client,
    /// What the backend supports.
    pub caps: Capabilities,
    backend: &'static str,
    account_id: String,
    region: String,
    sts_endpoint: Option<String>,
    role_arn: Option<String>,
    prefix: String,
    credentials: Credentials,
    time_source: SharedTimeSource,
    clock: Option<ManualClock>,
    emulator: Option<RunningEmulator>,
    http: reqwest::Client,
    counter: AtomicU32,
    queues: Mutex<Vec<String>>,
    topics: Mutex<Vec<String>>,
}

/// A run-unique token: process id and wall-clock nanoseconds, base-36.
fn run_token() -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let mut n = (nanos as u64) ^ (u64::from(std::process::id()) << 40) ^ u64::from(seq) << 20;
    let mut out = String::new();
    for _ in 0..8 {
        let d = (n % 36) as u32;
        out.push(char::from_digit(d, 36).unwrap_or('0'));
        n /= 36;
    }
    out
}

impl Target {
    /// A target on a fresh in-process emulator with a [`ManualClock`] (starting at the current
    /// time) and the default test key.
    ///
    /// Panics if the emulator cannot start (a test fixture has no better option).
    pub async fn emulator() -> Target {
        Self::emulator_with(|b| b).await
    }

    /// Like [`Target::emulator`], with the emulator builder adjusted by `configure` (the clock is
    /// already set to the target's [`ManualClock`]).
    pub async fn emulator_with(
        configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
    ) -> Target {
        let clock = ManualClock::new();
        let emu = configure(mns_emulator::Emulator::builder().clock(clock.clone()))
            .start()
            .await
            .expect("the in-process emulator starts");
        let key = emu.access_key();
        let credentials = Credentials::new(key.id(), key.secret());
        let time_source = SharedTimeSource::new(ClockTimeSource::new(clock.clone()));
        let endpoint = Endpoint::from_url(emu.endpoint()).expect("emulator endpoint is a URL");
        let client = Client::builder(endpoint)
            .credentials(credentials.clone())
            .time_source(time_source.clone())
            .build()
            .expect("client builds");
        Target {
            client,
            caps: Capabilities::emulator(),
            backend: "emulator",
            account_id: emu.account_id().to_owned(),
            region: emu.region().to_owned(),
            sts_endpoint: Some(emu.sts_endpoint()),
            role_arn: Some(format!(
                "acs:ram::{}:role/mns-conformance",
                emu.account_id()
            )),
            prefix: format!("t{}", run_token()),
            credentials,
            time_source,
            clock: Some(clock),
            emulator: Some(emu),
            http: http_client(),
            counter: AtomicU32::new(0),
            queues: Mutex::new(Vec::new()),
            topics: Mutex::new(Vec::new()),
        }
    }

    /// A target on real MNS, configured from the environment:
    ///
    /// * `MNS_ENDPOINT` (e.g. `https://1234567890123456.mns.cn-hangzhou.aliyuncs.com`), or
    ///   `MNS_ACCOUNT_ID` plus `MNS_REGION` (or `ALIBABA_CLOUD_REGION_ID`) to build the public one;
    /// * `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and optionally
    ///   `ALIBABA_CLOUD_SECURITY_TOKEN`.
    ///
    /// Panics with a message naming what is missing (a live run without configuration must fail,
    /// never pass silently).
    pub async fn live_from_env() -> Target {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let endpoint = match var("MNS_ENDPOINT") {
            Some(url) => Endpoint::from_url(url.trim()).expect("MNS_ENDPOINT is a valid endpoint"),
            None => {
                let account = var("MNS_ACCOUNT_ID");
                let region = var("MNS_REGION").or_else(|| var("ALIBABA_CLOUD_REGION_ID"));
                match (account, region) {
                    (Some(a), Some(r)) => {
                        Endpoint::public(&a, &r).expect("MNS_ACCOUNT_ID/MNS_REGION are valid")
                    }
                    _ => panic!(
                        "live conformance run needs MNS_ENDPOINT (or MNS_ACCOUNT_ID and MNS_REGION), \
                         ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"
                    ),
                }
            }
        };
        let (Some(id), Some(secret)) = (
            var("ALIBABA_CLOUD_ACCESS_KEY_ID"),
            var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ) else {
            panic!(
                "live conformance run needs ALIBABA_CLOUD_ACCESS_KEY_ID and \
                 ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            );
        };
        // `{account}.mns.{region}[-internal[-vpc]].aliyuncs.com`, unless given explicitly.
        let mut labels = endpoint.host().split('.');
        let host_account = labels.next().unwrap_or_default().to_owned();
        let host_region = match (labels.next(), labels.next()) {
            (Some("mns"), Some(r)) => r
                .trim_end_matches("-internal-vpc")
                .trim_end_matches("-internal")
                .to_owned(),
            _ => String::new(),
        };
        let account_id = var("MNS_ACCOUNT_ID").unwrap_or(host_account);
        let region = var("MNS_REGION")
            .or_else(|| var("ALIBABA_CLOUD_REGION_ID"))
            .unwrap_or(host_region);
        let credentials = match var("ALIBABA_CLOUD_SECURITY_TOKEN") {
            Some(token) => Credentials::with_security_token(id, secret, token, None),
            None => Credentials::new(id, secret),
        };
        let time_source = SharedTimeSource::new(mns_client::SystemTimeSource);
        let client = Client::builder(endpoint)
            .credentials(credentials.clone())
            .retry(RetryConfig::default())
            .build()
            .expect("client builds");
        Target {
            client,
            caps: Capabilities::live(),
            backend: "live",
            account_id,
            region,
            sts_endpoint: var("MNS_STS_ENDPOINT"),
            role_arn: var("ALIBABA_CLOUD_ROLE_ARN"),
            prefix: format!("mnsrs-conf-{}", run_token()),
            credentials,
            time_source,
            clock: None,
            emulator: None,
            http: http_client(),
            counter: AtomicU32::new(0),
            queues: Mutex::new(Vec::new()),
            topics: Mutex::new(Vec::new()),
        }
    }

    /// `"emulator"` or `"live"`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The account id (for queue endpoints of subscriptions).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The region id.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Where temporary credentials come from: a provider configuration (STS endpoint, time) and
    /// the RAM role to assume with the target's credentials. The emulator serves STS itself; a
    /// live target needs `ALIBABA_CLOUD_ROLE_ARN` (and optionally `MNS_STS_ENDPOINT`).
    pub fn sts(&self) -> Result<(ProviderConfig, String), CaseError> {
        let role = self
            .role_arn
            .clone()
            .ok_or("STS cases need ALIBABA_CLOUD_ROLE_ARN: a RAM role the test keys may assume")?;
        let mut config = ProviderConfig::new().with_time_source(self.time_source.clone());
        if let Some(endpoint) = &self.sts_endpoint {
            config = config.with_sts_endpoint(endpoint.clone());
        }
        Ok((config, role))
    }

    /// The prefix of every name this target makes.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The credentials the client signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The emulator, when the target is one.
    pub fn emulator_handle(&self) -> Option<&RunningEmulator> {
        self.emulator.as_ref()
    }

    /// The virtual clock, when the target has one.
    pub fn clock(&self) -> Option<&ManualClock> {
        self.clock.as_ref()
    }

    /// The time source the target's client signs with (the virtual clock on the emulator).
    pub fn time_source(&self) -> SharedTimeSource {
        self.time_source.clone()
    }

    /// The current time as the backend sees it (the virtual clock, else the system clock).
    pub fn now(&self) -> SystemTime {
        self.time_source.now()
    }

    /// A unique name `{prefix}-{tag}-{n}` (tag cut to keep it short). Not registered for
    /// cleanup; use [`Target::queue_name`] / [`Target::topic_name`] for things you create.
    pub fn unique_name(&self, tag: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(24)
            .collect();
        format!("{}-{tag}-{n}", self.prefix)
    }

    /// A unique queue name, registered so [`Target::cleanup`] deletes the queue if it exists.
    pub fn queue_name(&self, tag: &str) -> String {
        let name = self.unique_name(tag);
        lock(&self.queues).push(name.clone());
        name
    }

    /// Registers a queue name (made with [`Target::unique_name`]) for cleanup.
    pub fn register_queue(&self, name: &str) {
        lock(&self.queues).push(name.to_owned());
    }

    /// Registers a topic name for cleanup.
    pub fn register_topic(&self, name: &str) {
        lock(&self.topics).push(name.to_owned());
    }

    /// A unique topic name, registered for cleanup like [`Target::queue_name`].
    pub fn topic_name(&self, tag: &str) -> String {
        let name = self.unique_name(tag);
        lock(&self.topics).push(name.clone());
        name
    }

    /// Creates a uniquely named queue with `attributes` and returns its handle.
    pub async fn create_queue(
        &self,
        tag: &str,
        attributes: &QueueOptions,
    ) -> Result<Queue, mns_client::Error> {
        let name = self.queue_name(tag);
        self.client.create_queue(&name, attributes).await?;
        self.client.queue(&name)
    }

    /// Creates a uniquely named topic with `options` and returns its handle.
    pub async fn create_topic(
        &self,
        tag: &str,
        options: &TopicOptions,
    ) -> Result<Topic, mns_client::Error> {
        let name = self.topic_name(tag);
        self.client.create_topic(&name, options).await?;
        self.client.topic(&name)
    }

    /// Lets `d` pass: instantly on a virtual clock, otherwise by sleeping `d` plus
    /// [`LIVE_SLACK`]. Keep live durations to a few seconds.
    pub async fn elapse(&self, d: Duration) {
        match &self.clock {
            Some(clock) => {
                clock.advance(d);
                settle().await;
            }
            None => tokio::time::sleep(d + LIVE_SLACK).await,
        }
    }

    /// Waits until `n` receive requests are parked in a long poll. Exact on the emulator (bounded
    /// by 10 s of real time); a short real wait against a live service.
    pub async fn receives_parked(&self, n: usize) {
        match &self.emulator {
            Some(emu) => {
                let parked =
                    tokio::time::timeout(Duration::from_secs(10), emu.wait_for_waiting_receives(n))
                        .await;
                assert!(
                    parked.is_ok(),
                    "{n} long poll(s) never parked in the emulator"
                );
            }
            None => tokio::time::sleep(Duration::from_millis(700)).await,
        }
    }

    /// Waits until the backend has made at least `n` topic delivery attempts (queue and HTTP
    /// endpoints). Exact on the emulator (bounded by 10 s of real time); a short real wait
    /// against a live service.
    pub async fn push_attempts(&self, n: usize) {
        match &self.emulator {
            Some(emu) => {
                let done = tokio::time::timeout(
                    Duration::from_secs(10),
                    emu.deliveries().wait_for_attempts(n),
                )
                .await;
                assert!(done.is_ok(), "{n} delivery attempt(s) never happened");
            }
            None => tokio::time::sleep(Duration::from_secs(3)).await,
        }
    }

    /// Signs `req` with the target's credentials and sends it.
    pub async fn raw(&self, req: RawRequest) -> Result<RawResponse, CaseError> {
        Ok(raw::send(
            &self.http,
            self.client.endpoint().as_str(),
            &req,
            &self.credentials,
            self.now(),
        )
        .await?)
    }

    /// Deletes every queue and topic this target registered (ignoring errors: the case may have
    /// deleted them already). Safe to call more than once.
    pub async fn cleanup(&self) {
        let topics: Vec<String> = std::mem::take(&mut *lock(&self.topics));
        for name in topics {
            let _ = self.client.delete_topic(&name).await;
        }
        let queues: Vec<String> = std::mem::take(&mut *lock(&self.queues));
        for name in queues {
            let _ = self.client.delete_queue(&name).await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client builds")
}
