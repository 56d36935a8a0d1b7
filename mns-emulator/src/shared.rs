//! The runtime state every part of a running emulator shares: the engine behind one lock, the
//! clock, authentication, long-poll wake-ups, push coordination and fault injection. Its own
//! module so that the HTTP layer and the push worker both use it without depending on each
//! other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::engine::Engine;

/// Everything behind the engine lock.
#[derive(Debug)]
pub(crate) struct Locked {
    pub(crate) engine: Engine,
    /// Per-queue wake-up for long polls. An entry exists only while some receive has waited on an
    /// existing queue; it is removed when the queue is deleted (after waking its waiters).
    waiters: HashMap<String, Arc<Notify>>,
    /// `SetAccountAttributes` values (not part of the queue engine).
    pub(crate) logging_bucket: String,
    pub(crate) trace_enabled: Option<String>,
    /// Control-plane nonces and account settings (`crate::openapi`).
    pub(crate) openapi: crate::openapi::OpenApiState,
    /// The data directory's journal: every release of the lock records the engine's changes.
    #[cfg(feature = "persistence")]
    pub(crate) journal: Option<Arc<crate::persist::Journal>>,
}

/// State shared by every request handler.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: Mutex<Locked>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth: Authenticator,
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) max_request_body_bytes: usize,
    /// Deadline for receiving a request body once its head has arrived.
    pub(crate) body_read_timeout: std::time::Duration,
    /// `host:port` used in `Location`/`QueueURL`/`HostId` when a request has no `Host` header.
    pub(crate) default_host: RwLock<String>,
    /// Cancelled on shutdown: waiting long polls end (taking nothing) so the server can stop.
    pub(crate) shutdown: CancellationToken,
    request_seq: AtomicU64,
    /// Number of receives currently waiting (long polling); observable so tests can wait until a
    /// poll is parked before moving the clock, instead of sleeping.
    pub(crate) waiting: watch::Sender<usize>,
    /// Topic push coordination (`crate::push`).
    pub(crate) push: crate::push::PushHub,
    /// Fault injection (`crate::faults`).
    pub(crate) faults: crate::faults::FaultInjector,
    /// Request log and metrics (`crate::admin`).
    pub(crate) observer: crate::admin::Observer,
    /// The data directory's journal, when there is one: responses wait on it.
    #[cfg(feature = "persistence")]
    pub(crate) journal: Option<Arc<crate::persist::Journal>>,
}

impl Shared {
    pub(crate) fn new(
        engine: Engine,
        clock: Arc<dyn Clock>,
        auth: Authenticator,
        account_id: String,
        region: String,
        max_request_body_bytes: usize,
    ) -> Self {
        let mut engine = engine;
        engine.set_topic_account(&account_id, &region);
        Shared {
            state: Mutex::new(Locked {
                engine,
                waiters: HashMap::new(),
                logging_bucket: String::new(),
                trace_enabled: None,
                openapi: crate::openapi::OpenApiState::default(),
                #[cfg(feature = "persistence")]
                journal: None,
            }),
            clock,
            auth,
            account_id,
            region,
            max_request_body_bytes,
            body_read_timeout: crate::server::DEFAULT_BODY_READ_TIMEOUT,
            default_host: RwLock::new("127.0.0.1".to_owned()),
            shutdown: CancellationToken::new(),
            // Random start so request ids differ between emulator instances.
            request_seq: AtomicU64::new(rand::random::<u64>()),
            waiting: watch::Sender::new(0),
            push: crate::push::PushHub::new(),
            faults: crate::faults::FaultInjector::default(),
            observer: crate::admin::Observer::default(),
            #[cfg(feature = "persistence")]
            journal: None,
        }
    }

    /// Replaces the engine with an empty one of the same settings (the admin API's reset):
    /// every queue, topic, message and delivery goes; waiting long polls wake and answer
    /// `QueueNotExist`.
    pub(crate) fn reset_engine(&self) {
        let config = self.lock().engine.config().clone();
        self.replace_engine(Engine::new(config));
    }

    /// Swaps in `engine` (reset, snapshot restore) under this emulator's account; waiting long
    /// polls wake and re-check against the new state, and the push task re-plans.
    pub(crate) fn replace_engine(&self, mut engine: Engine) {
        engine.set_topic_account(&self.account_id, &self.region);
        {
            let mut state = self.lock();
            state.engine.replace_with(engine);
            for (_, n) in state.waiters.drain() {
                n.notify_waiters();
            }
        }
        self.push.wake();
    }

    /// Records every later engine change in `journal` (the data directory).
    #[cfg(feature = "persistence")]
    pub(crate) fn set_journal(&mut self, journal: Arc<crate::persist::Journal>) {
        self.state
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .journal = Some(journal.clone());
        self.journal = Some(journal);
    }

    /// Waits until every engine change made so far is durable (at once without a data
    /// directory); `Err` if the data directory cannot be written.
    pub(crate) async fn durable(&self) -> Result<(), crate::error::MnsError> {
        #[cfg(feature = "persistence")]
        if let Some(j) = &self.journal {
            return j
                .wait_durable()
                .await
                .map_err(|_| crate::error::MnsError::internal_error());
        }
        Ok(())
    }

    /// Locks the state. A panic while holding the lock (a bug) must not wedge the emulator, so a
    /// poisoned lock is used anyway: engine methods validate before they mutate.
    pub(crate) fn lock(&self) -> StateGuard<'_> {
        StateGuard(self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Wakes every long poll, e.g. after direct engine access through the library API.
    pub(crate) fn wake_all(&self) {
        for n in self.lock().waiters.values() {
            n.notify_waiters();
        }
        // Direct engine access may also have published topic messages.
        self.push.wake();
    }

    /// A 24 upper-case hex request id like the service's (`61EC20AC324430C923273326`): the
    /// first 8 digits are the clock's epoch seconds, the rest a per-request counter scrambled by
    /// an odd multiplier (a bijection, so ids never repeat within 2^64 requests).
    pub(crate) fn next_request_id(&self) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let secs = (self.clock.now_millis() / 1000) as u32;
        format!("{secs:08X}{:016X}", seq.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// The locked state. Whatever engine call ran under it may have moved dead letters (a receive
/// past `MaxReceiveCount`, a visibility timeout passing, a push's last failed retry), so
/// releasing it wakes the long polls of the queues that received them: every path, HTTP or
/// library API, gets that without another lock round.
pub(crate) struct StateGuard<'a>(MutexGuard<'a, Locked>);

impl std::ops::Deref for StateGuard<'_> {
    type Target = Locked;

    fn deref(&self) -> &Locked {
        &self.0
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut Locked {
        &mut self.0
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        self.0.wake_dead_letter_targets();
        #[cfg(feature = "persistence")]
        {
            let locked = &mut *self.0;
            if let Some(journal) = &locked.journal
                && let Some(changes) = locked.engine.take_changes()
            {
                journal.record(changes);
            }
        }
    }
}

impl Locked {
    /// Wakes long polls waiting on `queue` (after a send or visibility change).
    pub(crate) fn wake_queue(&self, queue: &str) {
        if let Some(n) = self.waiters.get(queue) {
            n.notify_waiters();
        }
    }

    /// Wakes the long polls of queues that received dead letters since the last call (done by
    /// [`StateGuard`] on release).
    fn wake_dead_letter_targets(&mut self) {
        for q in self.engine.take_woken_queues() {
            self.wake_queue(&q);
        }
    }

    /// The wake-up handle of `queue`, created on first use.
    pub(crate) fn waiter(&mut self, queue: &str) -> Arc<Notify> {
        self.waiters
            .entry(queue.to_owned())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    /// Wakes and forgets the waiters of a deleted queue (they then see `QueueNotExist`).
    pub(crate) fn forget_waiters(&mut self, queue: &str) {
        if let Some(n) = self.waiters.remove(queue) {
            n.notify_waiters();
        }
    }
}

/// Counts one waiting receive for as long as it lives (dropped when the receive returns or its
/// future is dropped, e.g. because the client went away).
#[derive(Debug)]
pub(crate) struct WaitingGuard<'a>(&'a watch::Sender<usize>);

impl<'a> WaitingGuard<'a> {
    pub(crate) fn new(counter: &'a watch::Sender<usize>) -> Self {
        counter.send_modify(|n| *n += 1);
        WaitingGuard(counter)
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}
