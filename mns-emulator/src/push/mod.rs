//! Delivery of topic messages that needs I/O: the background task that performs the HTTP pushes
//! handed out by [`Engine::run_due_deliveries`](crate::engine::Engine::run_due_deliveries),
//! signs them like MNS (reference §6), and reports each result back so the engine schedules the
//! retries. All waiting happens on the emulator's [`Clock`](crate::clock::Clock): with a
//! [`ManualClock`](crate::clock::ManualClock), retries and the 5-second answer limit move only
//! when a test advances time.
//!
//! [`Deliveries`] is the public inspection handle (attempts, deliveries, drops, the signing
//! certificate).

mod signer;

pub use signer::DEVELOPMENT_PUSH_SIGNING_KEY_PEM;
pub(crate) use signer::PushSigner;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use tokio::sync::{Notify, watch};

use crate::clock::from_millis;
use crate::engine::{DeliveryAttempt, DeliveryRecord, HttpPush, Millis, NotifyContentFormat};
use crate::shared::Shared;

pub(crate) use signer::KEY_BITS;

/// Where each emulator serves the push signing certificate (outside the MNS routes, unsigned).
pub(crate) const CERTIFICATE_PATH: &str = "/mns-emulator/x509_public_certificate.pem";

/// How long an endpoint has to answer with a 2xx (reference §6.3).
pub const PUSH_ANSWER_LIMIT: Duration = Duration::from_secs(5);

/// At most this many HTTP pushes are in flight per emulator; more wait (still due) for a slot.
pub const MAX_PUSHES_IN_FLIGHT: usize = 64;

/// The `User-Agent` MNS pushes with.
const USER_AGENT: &str = "Aliyun Notification Service Agent";

/// Coordination between request handlers, the push task and tests.
#[derive(Debug)]
pub(crate) struct PushHub {
    /// Woken when deliveries may be due (a publish, a finished attempt) so the push task
    /// re-plans.
    wake: Notify,
    /// Bumped after every settled batch of attempts, so tests can wait without sleeping.
    settled: watch::Sender<u64>,
    /// The HTTP client for pushes (no proxy, no redirects), built on the first push: building
    /// one loads the system's root certificates, which would otherwise dominate start-up time.
    http: OnceLock<reqwest::Client>,
    /// Which key signs pushes (first configuration wins; unset means the development key).
    key_choice: OnceLock<KeyChoice>,
    /// The key generated for this emulator, when [`KeyChoice::Generate`] asked for one.
    generated: tokio::sync::OnceCell<Result<Arc<PushSigner>, String>>,
    /// The base URL receivers reach this emulator at, when configured.
    advertised_url: OnceLock<String>,
    /// CA certificates trusted for `https://` endpoints on top of the system's roots.
    extra_roots: OnceLock<Vec<reqwest::Certificate>>,
}

impl PushHub {
    pub(crate) fn new() -> Self {
        PushHub {
            wake: Notify::new(),
            settled: watch::Sender::new(0),
            http: OnceLock::new(),
            key_choice: OnceLock::new(),
            generated: tokio::sync::OnceCell::new(),
            advertised_url: OnceLock::new(),
            extra_roots: OnceLock::new(),
        }
    }

    /// Trusts these CA certificates for `https://` pushes, on top of the system's roots
    /// (first call wins).
    pub(crate) fn configure_extra_roots(&self, roots: Vec<reqwest::Certificate>) {
        let _ = self.extra_roots.set(roots);
    }

    /// Advertises `url` (no trailing slash) as this emulator's base URL in
    /// `x-mns-signing-cert-url` (first call wins).
    pub(crate) fn configure_advertised_url(&self, url: &str) {
        let _ = self
            .advertised_url
            .set(url.trim_end_matches('/').to_owned());
    }

    /// Signs with the key `choice` names instead of the development key (first call wins).
    pub(crate) fn configure_key(&self, choice: KeyChoice) {
        let _ = self.key_choice.set(choice);
    }

    /// The signer: a configured key, a key generated for this emulator on first use, or (by
    /// default) the development key.
    pub(crate) async fn signer(&self) -> Result<Arc<PushSigner>, String> {
        match self.key_choice.get() {
            Some(KeyChoice::Configured(s)) => Ok(s.clone()),
            Some(KeyChoice::Generate) => self
                .generated
                .get_or_init(signer::generated_signer)
                .await
                .clone(),
            None => signer::development_signer().await,
        }
    }

    /// The HTTP client for pushes.
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            let builder = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .tls_certs_merge(self.extra_roots.get().cloned().unwrap_or_default());
            builder.build().unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot build the push client with the configured CA certificates; pushes use the system roots only");
                reqwest::Client::default()
            })
        })
    }

    /// Tells the push task that deliveries may be due.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    fn bump_settled(&self) {
        self.settled.send_modify(|n| *n += 1);
    }
}

/// Which key an emulator signs pushes with, when not the development key.
#[derive(Debug, Clone)]
pub(crate) enum KeyChoice {
    /// A key the user configured.
    Configured(Arc<PushSigner>),
    /// A fresh key for this emulator, generated on first use.
    Generate,
}

/// Reads an RSA private key (PEM, PKCS#8 or PKCS#1) into a push signer with a self-signed
/// certificate.
pub(crate) fn signer_from_pem(pem: &str) -> Result<Arc<PushSigner>, String> {
    PushSigner::from_private_key_pem(pem).map(Arc::new)
}

/// Starts the push task of an emulator; it ends when the emulator shuts down.
pub(crate) fn spawn(shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(shared))
}

async fn run(shared: Arc<Shared>) {
    loop {
        let now = shared.clock.now_millis();
        let (jobs, next_due, settled_any) = {
            let mut state = shared.lock();
            let before = state.engine.delivery_attempts_len();
            let due = state
                .engine
                .run_due_deliveries_limited(now, MAX_PUSHES_IN_FLIGHT);
            for q in &due.queues_delivered {
                state.wake_queue(q);
            }
            let settled_any = state.engine.delivery_attempts_len() != before;
            // Anything still due now is an HTTP push waiting for a free slot: a finished attempt
            // wakes us, so do not spin on a deadline in the past.
            let next_due = state.engine.next_delivery_due().filter(|&at| at > now);
            (due.http, next_due, settled_any)
        };
        if settled_any {
            shared.push.bump_settled();
        }
        for job in jobs {
            tokio::spawn(attempt(shared.clone(), job, now));
        }
        let sleep = async {
            match next_due {
                Some(at) => shared.clock.sleep_until(from_millis(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shared.push.wake.notified() => {}
            () = sleep => {}
            () = shared.shutdown.cancelled() => return,
        }
    }
}

/// One HTTP attempt: signed POST, a 2xx within [`PUSH_ANSWER_LIMIT`] on the emulator clock.
async fn attempt(shared: Arc<Shared>, job: HttpPush, started: Millis) {
    let deadline = started + PUSH_ANSWER_LIMIT.as_millis() as Millis;
    let result = tokio::select! {
        r = send(&shared, &job, started) => r,
        () = shared.clock.sleep_until(from_millis(deadline)) => {
            Err(format!("no answer within {} s", PUSH_ANSWER_LIMIT.as_secs()))
        }
        () = shared.shutdown.cancelled() => return,
    };
    if let Err(reason) = &result {
        tracing::debug!(url = %job.url, attempt = job.attempt, %reason, "push attempt failed");
    }
    let now = shared.clock.now_millis();
    // The last failed retry may dead-letter the notification: releasing the lock wakes the
    // dead-letter queue's long polls.
    shared
        .lock()
        .engine
        .complete_http_push(&job, started, result, now);
    shared.push.bump_settled();
    shared.push.wake();
}

/// The URL to POST to and its request target: the endpoint's path and query, or
/// `/notifications` when the endpoint has no path (reference §6.1).
pub(crate) fn push_url(endpoint: &str) -> Result<(url::Url, String), String> {
    let mut url = url::Url::parse(endpoint).map_err(|e| format!("bad endpoint URL: {e}"))?;
    let after_scheme = endpoint.find("://").map_or("", |i| &endpoint[i + 3..]);
    let has_path = after_scheme
        .find(['/', '?'])
        .is_some_and(|j| after_scheme[j..].starts_with('/'));
    if !has_path {
        url.set_path("/notifications");
    }
    url.set_fragment(None);
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    Ok((url, target))
}

/// The emulator's base URL for receivers: the configured one, else `http://{bound address}`
/// with an unspecified address (`0.0.0.0`, `[::]`) replaced by the loopback address.
fn base_url(shared: &Shared) -> String {
    if let Some(url) = shared.push.advertised_url.get() {
        return url.clone();
    }
    let host = shared
        .default_host
        .read()
        .map(|h| h.clone())
        .unwrap_or_else(|e| e.into_inner().clone());
    let host = match host.parse::<std::net::SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => {
            let ip: std::net::IpAddr = if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            std::net::SocketAddr::new(ip, addr.port()).to_string()
        }
        _ => host,
    };
    format!("http://{host}")
}

/// A request id like the service's: 8 hex digits of epoch seconds, then 16 random.
fn request_id(now: Millis) -> String {
    format!("{:08X}{:016X}", (now / 1000) as u32, rand::random::<u64>())
}

async fn send(shared: &Shared, job: &HttpPush, now: Millis) -> Result<u16, String> {
    let signer = shared.push.signer().await?;
    let (url, target) = push_url(&job.url)?;
    let md5_hex: String = Md5::digest(job.body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let content_md5 = STANDARD.encode(md5_hex);
    let content_type = job.content_type();
    let date = httpdate::fmt_http_date(from_millis(now));
    let cert_url = format!("{}{CERTIFICATE_PATH}", base_url(shared));
    let mut mns = vec![
        ("x-mns-request-id".to_owned(), request_id(now)),
        (
            "x-mns-version".to_owned(),
            crate::auth::MNS_VERSION.to_owned(),
        ),
        (
            "x-mns-signing-cert-url".to_owned(),
            STANDARD.encode(cert_url),
        ),
    ];
    if job.format == NotifyContentFormat::Simplified {
        let f = &job.fields;
        mns.push(("x-mns-message-id".to_owned(), f.message_id.clone()));
        if let Some(tag) = &f.message_tag {
            mns.push(("x-mns-message-tag".to_owned(), tag.clone()));
        }
        mns.push(("x-mns-topic-owner".to_owned(), f.topic_owner.clone()));
        mns.push(("x-mns-topic-name".to_owned(), f.topic_name.clone()));
        mns.push(("x-mns-subscriber".to_owned(), f.subscriber.clone()));
        mns.push((
            "x-mns-subscription-name".to_owned(),
            f.subscription_name.clone(),
        ));
        mns.push(("x-mns-publish-time".to_owned(), f.publish_time.to_string()));
    }
    let sts = signer::string_to_sign(&content_md5, content_type, &date, &mns, &target);
    let authorization = signer.sign(&sts);
    let mut req = shared
        .push
        .http()
        .post(url)
        .header("Content-MD5", content_md5)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::DATE, date)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::AUTHORIZATION, authorization);
    for (n, v) in &mns {
        req = req.header(n.as_str(), v.as_str());
    }
    let resp = req
        .body(job.body.clone())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    Ok(resp.status().as_u16())
}

/// Inspection of an emulator's topic deliveries, for tests: what was attempted, delivered and
/// dropped, and the push signing certificate. Get it from
/// [`Emulator::deliveries`](crate::Emulator::deliveries).
///
/// HTTP pushes are made by a started emulator ([`Emulator::start`](crate::Emulator::start));
/// an emulator used only through [`Emulator::router`](crate::Emulator::router) delivers to
/// queues but leaves HTTP deliveries pending.
#[derive(Debug, Clone)]
pub struct Deliveries {
    shared: Arc<Shared>,
}

impl Deliveries {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Deliveries { shared }
    }

    /// Every delivery attempt so far (queue, HTTP and record-only endpoints), oldest first.
    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        self.shared.lock().engine.delivery_attempts()
    }

    /// Every delivered notification so far, oldest first.
    pub fn delivered(&self) -> Vec<DeliveryRecord> {
        self.shared.lock().engine.delivered_notifications()
    }

    /// Every dropped notification so far (retries exhausted, topic or subscription deleted,
    /// retention over), oldest first.
    pub fn dropped(&self) -> Vec<DeliveryRecord> {
        self.shared.lock().engine.dropped_notifications()
    }

    /// Deliveries not yet delivered or dropped.
    pub fn pending(&self) -> usize {
        self.shared.lock().engine.pending_deliveries()
    }

    /// When the next attempt is due (epoch ms on the emulator clock), if any is waiting.
    pub fn next_due(&self) -> Option<Millis> {
        self.shared.lock().engine.next_delivery_due()
    }

    /// Waits until at least `n` attempts have been made (no sleeping: woken by each settled
    /// attempt). Pair it with advancing a [`ManualClock`](crate::clock::ManualClock) to step
    /// through a retry schedule.
    pub async fn wait_for_attempts(&self, n: usize) {
        let mut rx = self.shared.push.settled.subscribe();
        loop {
            rx.borrow_and_update();
            if self.shared.lock().engine.delivery_attempts_len() >= n {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// The URL of the push signing certificate, as carried (base64) in
    /// `x-mns-signing-cert-url`.
    pub fn certificate_url(&self) -> String {
        format!("{}{CERTIFICATE_PATH}", base_url(&self.shared))
    }

    /// The push signing certificate (PEM), self-signed for the signing key: by default the
    /// published development key [`DEVELOPMENT_PUSH_SIGNING_KEY_PEM`]; a key configured with
    /// [`EmulatorBuilder::push_signing_key_pem`](crate::EmulatorBuilder::push_signing_key_pem);
    /// or a [`Deliveries::KEY_BITS`]-bit key generated on first use when
    /// [`EmulatorBuilder::generate_push_signing_key`](crate::EmulatorBuilder::generate_push_signing_key)
    /// asked for one.
    pub async fn certificate_pem(&self) -> Result<String, String> {
        Ok(self
            .shared
            .push
            .signer()
            .await?
            .certificate_pem()
            .to_owned())
    }

    /// Size of a generated RSA signing key (and of the development key), in bits.
    pub const KEY_BITS: usize = KEY_BITS;
}
