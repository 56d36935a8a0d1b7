//! The library entry point: [`Emulator::builder`] → [`EmulatorBuilder::start`] →
//! [`RunningEmulator`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::{AccessKey, AuthConfig, Authenticator, KeyStore};
use crate::clock::{Clock, SystemClock};
use crate::engine::{Engine, EngineConfig, MessageSnapshot, Millis, QueueDlqPolicy, QueueKind};
use crate::error::MnsError;
use crate::faults::{FaultInjector, FaultPlan};
use crate::http::{self, DEFAULT_MAX_REQUEST_BODY_BYTES};
use crate::server::{self, ConnectionLimits};
use crate::shared::Shared;
use crate::sts::{CredentialServices, CredentialServicesConfig};

/// Account id used when none is configured.
pub const DEFAULT_ACCOUNT_ID: &str = "1234567890123456";
/// Region used when none is configured.
pub const DEFAULT_REGION: &str = "cn-hangzhou";
/// Access key id accepted when no key is configured.
pub const DEFAULT_ACCESS_KEY_ID: &str = "testid";
/// Access key secret accepted when no key is configured.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "testsecret";

/// Configures an emulator. Every setting has a default that works.
///
/// ```
/// # async fn demo() -> std::io::Result<()> {
/// use mns_emulator::Emulator;
/// use mns_emulator::clock::ManualClock;
///
/// let clock = ManualClock::new();
/// let emu = Emulator::builder().clock(clock.clone()).start().await?;
/// println!("MNS endpoint: {}", emu.endpoint());
/// emu.shutdown().await;
/// # Ok(()) }
/// ```
pub struct EmulatorBuilder {
    account_id: String,
    region: String,
    keys: Vec<AccessKey>,
    clock: Arc<dyn Clock>,
    bind: SocketAddr,
    pub(crate) engine_config: EngineConfig,
    auth_config: AuthConfig,
    max_request_body_bytes: usize,
    connection_limits: ConnectionLimits,
    credential_services: CredentialServicesConfig,
    admin_endpoint: bool,
    admin_body_limit_bytes: usize,
    metrics_endpoint: bool,
    fault_plan: Option<FaultPlan>,
    push_key: Option<crate::push::KeyChoice>,
    advertised_url: Option<String>,
    queues: Vec<crate::control::DeclaredQueue>,
    push_ca_certificates: Vec<reqwest::Certificate>,
    /// The data directory, opened by `EmulatorBuilder::data_dir` (`crate::persist`).
    #[cfg(feature = "persistence")]
    pub(crate) data_dir: Option<crate::persist::OpenedDataDir>,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("account_id", &self.account_id)
            .field("region", &self.region)
            .field("keys", &self.keys)
            .field("clock", &self.clock)
            .field("bind", &self.bind)
            .field("engine_config", &self.engine_config)
            .field("auth_config", &self.auth_config)
            .field("max_request_body_bytes", &self.max_request_body_bytes)
            .field("connection_limits", &self.connection_limits)
            .field("credential_services", &self.credential_services)
            .field("admin_endpoint", &self.admin_endpoint)
            .field("admin_body_limit_bytes", &self.admin_body_limit_bytes)
            .field("metrics_endpoint", &self.metrics_endpoint)
            .field("fault_plan", &self.fault_plan)
            .field(
                "push_signing_key",
                &match &self.push_key {
                    None => "<development key>",
                    Some(crate::push::KeyChoice::Configured(_)) => "<configured>",
                    Some(crate::push::KeyChoice::Generate) => "<generated>",
                },
            )
            .field("advertised_url", &self.advertised_url)
            .field("push_ca_certificates", &self.push_ca_certificates.len())
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            keys: Vec::new(),
            clock: Arc::new(SystemClock),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            engine_config: EngineConfig::default(),
            auth_config: AuthConfig::default(),
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            connection_limits: ConnectionLimits::default(),
            credential_services: CredentialServicesConfig::default(),
            admin_endpoint: false,
            admin_body_limit_bytes: crate::admin::DEFAULT_ADMIN_BODY_LIMIT_BYTES,
            metrics_endpoint: false,
            fault_plan: None,
            push_key: None,
            advertised_url: None,
            queues: Vec::new(),
            push_ca_certificates: Vec::new(),
            #[cfg(feature = "persistence")]
            data_dir: None,
        }
    }
}

impl EmulatorBuilder {
    /// The account id (default `1234567890123456`).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = account_id.into();
        self
    }

    /// The region id (default `cn-hangzhou`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Accepts this access key. The first call replaces the default `testid`/`testsecret` pair;
    /// further calls add keys.
    pub fn access_key(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.keys.push(AccessKey::new(id, secret));
        self
    }

    /// The clock driving every time-dependent behaviour (default: [`SystemClock`]). Pass a
    /// [`ManualClock`](crate::clock::ManualClock) and keep a clone to move time in tests.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Like [`EmulatorBuilder::clock`] for an already shared clock.
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where to listen (default `127.0.0.1:0`, i.e. a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Engine settings: limits and every behaviour the reference marks unconfirmed.
    pub fn engine_config(mut self, config: EngineConfig) -> Self {
        self.engine_config = config;
        self
    }

    /// Accept requests whatever their signature (default `false`: signatures are verified).
    pub fn accept_any_signature(mut self, yes: bool) -> Self {
        self.auth_config.accept_any_signature = yes;
        self
    }

    /// Largest tolerated difference between a request's `Date` and the emulator clock (default
    /// 15 minutes); `None` turns the check off, which helps tests that move a
    /// [`ManualClock`](crate::clock::ManualClock) far ahead while a real-time client signs requests.
    pub fn max_date_skew(mut self, skew: Option<Duration>) -> Self {
        self.auth_config.max_date_skew = skew;
        self
    }

    /// Whether requests must carry `x-mns-version: 2015-06-06` (default `true`).
    pub fn require_version_header(mut self, yes: bool) -> Self {
        self.auth_config.require_version_header = yes;
        self
    }

    /// Largest accepted request body in bytes; larger ones get 400 `InvalidArgument`.
    pub fn max_request_body_bytes(mut self, bytes: usize) -> Self {
        self.max_request_body_bytes = bytes;
        self
    }

    /// Most connections served at once (default [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS)).
    /// Past it, a new connection closes the longest-idle one, or waits until a request finishes
    /// when every connection is busy. Values below 1 count as 1. Shorthand for the field of
    /// [`EmulatorBuilder::connection_limits`].
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.connection_limits.max_connections = connections.max(1);
        self
    }

    /// The connection cap and the deadlines of connections: header read, body read, idle
    /// keep-alive and the shutdown grace period (see [`ConnectionLimits`] for the defaults).
    pub fn connection_limits(mut self, limits: ConnectionLimits) -> Self {
        let max = limits.max_connections.max(1);
        self.connection_limits = ConnectionLimits {
            max_connections: max,
            ..limits
        };
        self
    }

    /// Settings of the emulated STS and ECS metadata services (see [`crate::sts`]); on by default.
    pub fn credential_services(mut self, config: CredentialServicesConfig) -> Self {
        self.credential_services = config;
        self
    }

    /// Longest session STS grants (`DurationSeconds`, the role's `MaxSessionDuration`; default
    /// 1 hour). Requests without `DurationSeconds` get the smaller of this and 1 hour.
    pub fn sts_max_session_duration(mut self, max: Duration) -> Self {
        self.credential_services.max_session_duration = max;
        self
    }

    /// The RAM role attached to the emulated ECS instance (default
    /// [`DEFAULT_ECS_ROLE_NAME`](crate::sts::DEFAULT_ECS_ROLE_NAME)); `None` attaches none.
    pub fn ecs_role_name(mut self, role: Option<impl Into<String>>) -> Self {
        self.credential_services.ecs_role_name = role.map(Into::into);
        self
    }

    /// Lifetime of the credentials the metadata service hands out (default 6 hours); they are
    /// replaced once less than
    /// [`ecs_rotate_before_expiry`](CredentialServicesConfig::ecs_rotate_before_expiry) remains.
    pub fn ecs_credentials_duration(mut self, duration: Duration) -> Self {
        self.credential_services.ecs_credentials_duration = duration;
        self
    }

    /// Serves the admin API under [`ADMIN_PREFIX`](crate::admin::ADMIN_PREFIX) (default
    /// `false`): reset, message inspection, delivery and request logs, the virtual clock, the
    /// fault plan ([`ADMIN_FAULTS_PATH`](crate::faults::ADMIN_FAULTS_PATH)) and the dashboard.
    /// Unauthenticated, so only for test set-ups. See [`crate::admin`].
    pub fn admin_endpoint(mut self, yes: bool) -> Self {
        self.admin_endpoint = yes;
        self
    }

    /// Largest admin API request body in bytes (default
    /// [`DEFAULT_ADMIN_BODY_LIMIT_BYTES`](crate::admin::DEFAULT_ADMIN_BODY_LIMIT_BYTES), 256 MiB,
    /// enough to restore a large snapshot); larger ones get 413 with `{"error": …}`.
    pub fn admin_body_limit_bytes(mut self, bytes: usize) -> Self {
        self.admin_body_limit_bytes = bytes;
        self
    }

    /// Serves Prometheus metrics at [`METRICS_PATH`](crate::admin::METRICS_PATH) and a health
    /// check at [`HEALTH_PATH`](crate::admin::HEALTH_PATH) (default `false`; the
    /// `mns-emulator` binary turns them on). Read-only and free of secrets.
    pub fn metrics_endpoint(mut self, yes: bool) -> Self {
        self.metrics_endpoint = yes;
        self
    }

    /// Starts with this fault plan (see [`crate::faults`]); change it later with
    /// [`Emulator::faults`].
    pub fn fault_plan(mut self, plan: FaultPlan) -> Self {
        self.fault_plan = Some(plan);
        self
    }

    /// Signs topic HTTP pushes with this RSA private key (PEM: PKCS#8 `BEGIN PRIVATE KEY` or
    /// PKCS#1 `BEGIN RSA PRIVATE KEY`) and a certificate self-signed for it, instead of the
    /// published development key
    /// [`DEVELOPMENT_PUSH_SIGNING_KEY_PEM`](crate::DEVELOPMENT_PUSH_SIGNING_KEY_PEM): e.g. a key
    /// only your receivers trust, or the throw-away key of the push test vectors. Fails with
    /// [`io::ErrorKind::InvalidInput`] if the key cannot be read, leaving the builder unchanged.
    pub fn push_signing_key_pem(mut self, pem: &str) -> io::Result<Self> {
        let signer = crate::push::signer_from_pem(pem)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.push_key = Some(crate::push::KeyChoice::Configured(signer));
        Ok(self)
    }

    /// Signs topic HTTP pushes with a fresh
    /// [`Deliveries::KEY_BITS`](crate::Deliveries::KEY_BITS)-bit RSA key generated for this
    /// emulator on first use (the first push or certificate request), instead of the published
    /// development key: for a receiver test that must not accept a key anyone knows. Generation
    /// runs on a blocking thread; it is a random prime search, up to seconds in a debug build
    /// (the development key is read in milliseconds). Replaces an earlier [`push_signing_key_pem`](Self::push_signing_key_pem).
    pub fn generate_push_signing_key(mut self) -> Self {
        self.push_key = Some(crate::push::KeyChoice::Generate);
        self
    }

    /// Trusts the CA certificate(s) in this PEM text for topic pushes to `https://` endpoints,
    /// on top of the system's roots (e.g. the CA of a test receiver's self-signed certificate).
    /// Call again to add more. Fails with [`io::ErrorKind::InvalidInput`] if the text holds no
    /// certificate or one does not parse, leaving the builder unchanged.
    pub fn push_ca_certificate_pem(mut self, pem: &[u8]) -> io::Result<Self> {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        if certs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no PEM certificate found",
            ));
        }
        self.push_ca_certificates.extend(certs);
        Ok(self)
    }

    /// The base URL push receivers reach this emulator at, e.g. `http://mns-emulator:9911` in a
    /// container network. It is where `x-mns-signing-cert-url` points (default: the bound
    /// address, with `0.0.0.0`/`[::]` replaced by the loopback address).
    pub fn advertised_url(mut self, url: impl Into<String>) -> Self {
        self.advertised_url = Some(url.into());
        self
    }

    /// Declares a queue created at build time with a kind (normal / FIFO) and an optional DLQ
    /// policy: the control-plane settings the XML API cannot set. Declare a DLQ target before
    /// the queues that use it. A queue that already exists in the data directory
    /// (`EmulatorBuilder::data_dir`) is left as it is. [`EmulatorBuilder::build`] panics if a declaration is invalid (a
    /// test setup error), with the engine's message; [`EmulatorBuilder::try_build`] returns it.
    pub fn queue(
        mut self,
        name: impl Into<String>,
        kind: QueueKind,
        dlq: Option<QueueDlqPolicy>,
    ) -> Self {
        self.queues.push(crate::control::DeclaredQueue {
            name: name.into(),
            kind,
            dlq,
        });
        self
    }

    /// Builds the emulator without listening (for [`Emulator::router`]-based tests).
    ///
    /// # Panics
    ///
    /// If a queue declared with [`EmulatorBuilder::queue`] is invalid.
    pub fn build(self) -> Emulator {
        match self.try_build() {
            Ok(emulator) => emulator,
            Err(e) => panic!("{e}"),
        }
    }

    /// Builds the emulator without listening, or returns the error of the first invalid queue
    /// declared with [`EmulatorBuilder::queue`].
    pub fn try_build(self) -> Result<Emulator, MnsError> {
        let store = KeyStore::new();
        if self.keys.is_empty() {
            store.add(AccessKey::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            ));
        }
        for k in self.keys {
            store.add(k);
        }
        let mut auth_config = self.auth_config;
        auth_config.region = self.region.clone();
        let auth = Authenticator::new(store, auth_config);
        let credentials = Arc::new(CredentialServices::new(
            self.clock.clone(),
            auth.clone(),
            self.account_id.clone(),
            self.credential_services,
        ));
        #[cfg(feature = "persistence")]
        let (mut engine, journal) = match self.data_dir {
            Some(dir) => {
                let (engine, journal) = dir
                    .start(self.engine_config)
                    .map_err(|e| MnsError::invalid_argument(e.to_string()))?;
                (engine, Some(journal))
            }
            None => (Engine::new(self.engine_config), None),
        };
        // Time never goes back past what the data directory has seen: a virtual clock that
        // starts earlier (a restart without `--start`, or with an older one) resumes there.
        #[cfg(feature = "persistence")]
        if journal.is_some()
            && let Some(manual) = self.clock.manual()
        {
            let stored = engine.globals_image().high_water;
            if manual.now_millis() < stored {
                manual.set(crate::clock::from_millis(stored));
            }
        }
        #[cfg(not(feature = "persistence"))]
        let mut engine = Engine::new(self.engine_config);
        engine.set_topic_account(&self.account_id, &self.region);
        // Queues restored from a data directory are left as they are (they may have been
        // changed at run time), as `--config` declarations are.
        let restored: Vec<bool> = self
            .queues
            .iter()
            .map(|q| engine.queue_exists(&q.name))
            .collect();
        for (q, restored) in self.queues.into_iter().zip(restored) {
            if restored {
                continue;
            }
            let created = engine.create_queue_with(
                &q.name,
                crate::engine::QueueAttributesInput::default(),
                q.kind,
                q.dlq,
                self.clock.now_millis(),
            );
            created?;
        }
        let mut shared = Shared::new(
            engine,
            self.clock,
            auth,
            self.account_id,
            self.region,
            self.max_request_body_bytes,
        );
        shared.body_read_timeout = self.connection_limits.body_read_timeout;
        #[cfg(feature = "persistence")]
        if let Some(journal) = journal {
            shared.set_journal(journal);
        }
        if let Some(plan) = self.fault_plan {
            shared.faults.set_plan(plan);
        }
        if let Some(choice) = self.push_key {
            shared.push.configure_key(choice);
        }
        if let Some(url) = &self.advertised_url {
            shared.push.configure_advertised_url(url);
        }
        if !self.push_ca_certificates.is_empty() {
            shared.push.configure_extra_roots(self.push_ca_certificates);
        }
        Ok(Emulator {
            shared: Arc::new(shared),
            credentials,
            bind: self.bind,
            admin_endpoint: self.admin_endpoint,
            admin_body_limit_bytes: self.admin_body_limit_bytes,
            metrics_endpoint: self.metrics_endpoint,
            connection_limits: self.connection_limits,
        })
    }

    /// Builds the emulator and starts serving; returns once the socket is bound.
    pub async fn start(self) -> io::Result<RunningEmulator> {
        self.build().start().await
    }
}

/// An emulator that is configured but not listening. Use [`Emulator::start`] to serve it over
/// TCP, or [`Emulator::router`] to call it in-process.
#[derive(Debug, Clone)]
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
    credentials: Arc<CredentialServices>,
    bind: SocketAddr,
    admin_endpoint: bool,
    admin_body_limit_bytes: usize,
    metrics_endpoint: bool,
    connection_limits: ConnectionLimits,
}

impl Emulator {
    /// A builder with the defaults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The emulator as an axum router (a `tower::Service`), e.g. for `ServiceExt::oneshot` tests.
    /// Requests without a `Host` header are answered as if addressed to `127.0.0.1`.
    pub fn router(&self) -> axum::Router {
        let mut router = http::router(self.shared.clone());
        if self.admin_endpoint {
            router = router.merge(crate::admin::admin_routes(
                self.shared.clone(),
                self.admin_body_limit_bytes,
            ));
        }
        if self.metrics_endpoint {
            router = router.merge(crate::admin::metrics_routes(self.shared.clone()));
        }
        if self.credentials.config().enabled {
            router.merge(http::credential_routes(self.credentials.clone()))
        } else {
            router
        }
    }

    /// Binds the configured address and serves until [`RunningEmulator::shutdown`] or drop.
    pub async fn start(self) -> io::Result<RunningEmulator> {
        crate::http::header_case::init().await;
        let listener = TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        if let Ok(mut h) = self.shared.default_host.write() {
            *h = addr.to_string();
        }
        let router = self.router();
        let token = self.shared.shutdown.clone();
        let app = server::App {
            shared: self.shared.clone(),
            router,
        };
        let task = tokio::spawn(server::serve(
            listener,
            app,
            token,
            self.connection_limits.clone(),
        ));
        // Topic HTTP pushes and delivery retries; stops with the server (same token).
        crate::push::spawn(self.shared.clone());
        Ok(RunningEmulator {
            endpoint: format!("http://{addr}"),
            addr,
            emulator: self,
            task: Some(task),
        })
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.shared.account_id
    }

    /// The region id.
    pub fn region(&self) -> &str {
        &self.shared.region
    }

    /// The accepted keys; changes (e.g. adding a temporary STS key) apply to later requests.
    pub fn keys(&self) -> &KeyStore {
        self.shared.auth.keys()
    }

    /// The first long-lived access key (the default `testid`/`testsecret` unless configured).
    pub fn access_key(&self) -> AccessKey {
        self.keys()
            .keys()
            .into_iter()
            .next()
            .unwrap_or_else(|| AccessKey::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET))
    }

    /// The emulator's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.shared.clock.clone()
    }

    /// The emulated STS and ECS metadata services (issue temporary keys, count them).
    pub fn credential_services(&self) -> &CredentialServices {
        &self.credentials
    }

    /// Topic deliveries: attempts, delivered and dropped notifications, the push certificate.
    pub fn deliveries(&self) -> crate::Deliveries {
        crate::Deliveries::new(self.shared.clone())
    }

    /// The live fault injection settings (see [`crate::faults`]).
    pub fn faults(&self) -> &FaultInjector {
        &self.shared.faults
    }

    /// Every stored message of `queue` with its state, as of the emulator clock's now.
    pub fn inspect_queue(&self, queue: &str) -> Result<Vec<MessageSnapshot>, MnsError> {
        let now = self.shared.clock.now_millis();
        self.shared.lock().engine.inspect_queue(queue, now)
    }

    /// The newest `limit` MNS requests served, oldest first (operation, status, code, latency,
    /// access key id; never a secret): the admin API's request log.
    pub fn recent_requests(&self, limit: usize) -> Vec<crate::admin::RequestRecord> {
        self.shared.observer.recent(limit)
    }

    /// How many receive requests are currently long-polling (parked until a message or their
    /// deadline).
    pub fn waiting_receives(&self) -> usize {
        *self.shared.waiting.borrow()
    }

    /// Waits until exactly `n` receive requests are long-polling. Tests use it to make sure a
    /// poll is parked before they move a [`ManualClock`](crate::clock::ManualClock) or send,
    /// without sleeping.
    pub async fn wait_for_waiting_receives(&self, n: usize) {
        let mut rx = self.shared.waiting.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we borrow it.
        let _ = rx.wait_for(|count| *count == n).await;
    }

    /// Runs `f` on the engine with the clock's current time, then wakes every long poll (in case
    /// `f` made messages visible). For tests and fault injection. With a data directory, the
    /// changes are recorded when `f` returns; [`Emulator::durable`] waits until they are on disk.
    pub fn with_engine<R>(&self, f: impl FnOnce(&mut Engine, Millis) -> R) -> R {
        let now = self.shared.clock.now_millis();
        let result = f(&mut self.shared.lock().engine, now);
        self.shared.wake_all();
        result
    }
}

mod durable;
mod running;
pub use running::RunningEmulator;
