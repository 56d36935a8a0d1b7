//! The runtime state every part of a running emulator shares: the engine behind its lock, the
//! clock, authentication, long-poll wake-ups, push coordination and fault injection. Its own
//! module so that the HTTP layer and the push worker both use it without depending on each
//! other.
//!
//! Locking (issue 21, "state that scales"): the engine sits behind one `RwLock`. Everything
//! takes it exclusively ([`Shared::lock`]) except the hot message operations on a queue the
//! engine grants as shared ([`crate::engine::Engine::shared_queue`]): those take it for reading
//! ([`Shared::read`]) plus the queue's own mutex, so operations on different queues run at the
//! same time. Long-poll bookkeeping has its own small mutexes (`polls.rs`, one per part of the
//! queue names). Lock order: the engine lock, then a queue's mutex, then the long-poll mutex of
//! that queue's part; never the reverse, and never two long-poll mutexes at once.

mod polls;

pub(crate) use polls::{ExclusivePoll, PollStep, TimerHandOver, WaitingGuard, Wakes, poll_once};
pub(crate) use polls::{PollBook, Polls, Wake};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::engine::Engine;

/// Everything behind the engine lock.
#[derive(Debug)]
pub(crate) struct Locked {
    pub(crate) engine: Engine,
    /// Long-poll bookkeeping (waiters, timer owners, poll ids). Its own mutexes so that handlers
    /// holding the engine lock only for reading can use it; taken last (see the module docs).
    pub(crate) polls: PollBook,
    /// Wake-ups decided under the exclusive lock, delivered by [`StateGuard`] after it releases
    /// the lock, so a woken poll never finds the lock still held by the sender that woke it.
    pub(crate) pending_wakes: Vec<(Arc<Notify>, Wake)>,
    /// Control-plane nonces (`crate::openapi`; account settings are engine state).
    pub(crate) openapi: crate::openapi::OpenApiState,
    /// The data directory's journal: every release of the lock records the engine's changes.
    #[cfg(feature = "persistence")]
    pub(crate) journal: Option<Arc<crate::persist::Journal>>,
}

/// State shared by every request handler.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: RwLock<Locked>,
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
            state: RwLock::new(Locked {
                engine,
                polls: PollBook::default(),
                pending_wakes: Vec::new(),
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
        let fresh = self.lock().engine.empty_successor();
        self.replace_engine(fresh);
    }

    /// Swaps in `engine` (reset, snapshot restore) under this emulator's account; waiting long
    /// polls wake and re-check against the new state, and the push task re-plans.
    pub(crate) fn replace_engine(&self, mut engine: Engine) {
        engine.set_topic_account(&self.account_id, &self.region);
        {
            let mut state = self.lock();
            state.engine.replace_with(engine);
            // Every parked poll re-checks against the new state (and re-plans its sleep).
            state.polls.forget_all();
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

    /// Locks the state exclusively. A panic while holding the lock (a bug) must not wedge the
    /// emulator, so a poisoned lock is used anyway: engine methods validate before they mutate.
    pub(crate) fn lock(&self) -> StateGuard<'_> {
        StateGuard(Some(self.state.write().unwrap_or_else(|e| e.into_inner())))
    }

    /// Locks the state for reading: the engine's `&self` methods and its shared queues
    /// ([`Engine::shared_queue`]), which bring their own locks. Never held while taking
    /// [`Shared::lock`] (drop it first), nor taken twice by one thread.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Locked> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every long poll, e.g. after direct engine access through the library API.
    pub(crate) fn wake_all(&self) {
        let mut state = self.lock();
        let all = state.polls.all_waiters();
        state
            .pending_wakes
            .extend(all.into_iter().map(|n| (n, Wake::All)));
        drop(state);
        // Direct engine access may also have published topic messages.
        self.push.wake();
    }

    /// A 24 upper-case hex request id like the service's (`61EC20AC324430C923273326`): the
    /// first 8 digits are the clock's epoch seconds, the rest a per-request counter scrambled by
    /// an odd multiplier (a bijection, so ids never repeat within 2^64 requests).
    pub(crate) fn next_request_id(&self) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let secs = (self.clock.now_millis() / 1000) as u32;
        request_id(secs, seq)
    }
}

/// `{secs:08X}{scrambled seq:016X}`, written digit by digit: this runs on every request, and
/// `format!` costs several times as much.
fn request_id(secs: u32, seq: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let scrambled = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = [0u8; 24];
    for (i, b) in out[..8].iter_mut().enumerate() {
        *b = HEX[((secs >> (28 - 4 * i)) & 0xF) as usize];
    }
    for (i, b) in out[8..].iter_mut().enumerate() {
        *b = HEX[((scrambled >> (60 - 4 * i)) & 0xF) as usize];
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// The locked state. Whatever engine call ran under it may have moved dead letters (a receive
/// past `MaxReceiveCount`, a visibility timeout passing, a push's last failed retry), so
/// releasing it wakes the long polls of the queues that received them: every path, HTTP or
/// library API, gets that without another lock round.
///
/// Wake-ups requested under the lock ([`Locked::wake_queue`] and friends) are delivered after
/// the lock is released: a woken poll's first act is to take the lock, so waking it while the
/// lock is still held only makes it contend. Delivering late is safe because a poll registers
/// its wake-up (`Notified::enable`) under the queue's lock (this exclusive lock, or the queue's
/// own mutex under a read guard), in the same step that saw the queue empty: a change made
/// under the exclusive lock, or under the queue's mutex, either is seen by that check or finds
/// the poll registered. Handlers on shared queues deliver theirs the same way ([`Wakes`]).
pub(crate) struct StateGuard<'a>(Option<RwLockWriteGuard<'a, Locked>>);

impl std::ops::Deref for StateGuard<'_> {
    type Target = Locked;

    fn deref(&self) -> &Locked {
        self.0.as_deref().expect("the guard is held until drop")
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut Locked {
        self.0.as_deref_mut().expect("the guard is held until drop")
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        let Some(mut guard) = self.0.take() else {
            return;
        };
        guard.wake_dead_letter_targets();
        #[cfg(feature = "persistence")]
        {
            let locked = &mut *guard;
            if let Some(journal) = &locked.journal
                && let Some(changes) = locked.engine.take_changes()
            {
                journal.record(changes);
            }
        }
        let pending = Wakes::from(std::mem::take(&mut guard.pending_wakes));
        drop(guard);
        drop(pending);
    }
}

impl Locked {
    /// `queue`'s long-poll bookkeeping, through exclusive access (no locking).
    fn polls_mut(&mut self, queue: &str) -> &mut Polls {
        self.polls.get_mut(queue)
    }

    /// `queue`'s long-poll bookkeeping, locked (for holders of a read guard).
    pub(crate) fn polls(&self, queue: &str) -> std::sync::MutexGuard<'_, Polls> {
        self.polls.lock(queue)
    }

    /// Messages may have arrived on `queue` (send, topic fan-out, dead letters, redelivery):
    /// wakes one parked poll if a message is receivable now; otherwise (the messages are
    /// delayed) every parked poll re-plans its sleep, since the next visibility time may now
    /// be earlier than the one each planned for.
    pub(crate) fn wake_queue(&mut self, queue: &str) {
        let Locked {
            engine,
            polls,
            pending_wakes,
            ..
        } = self;
        let polls = polls.get_mut(queue);
        pending_wakes.extend(polls.wake_queue(queue, || engine.receivable_now(queue)));
    }

    /// After a change that can only make messages receivable now (a delete releasing a FIFO
    /// group's next message): wakes one parked poll if one is.
    pub(crate) fn wake_if_receivable(&mut self, queue: &str) {
        let Locked {
            engine,
            polls,
            pending_wakes,
            ..
        } = self;
        let polls = polls.get_mut(queue);
        pending_wakes.extend(polls.wake_if_receivable(queue, || engine.receivable_now(queue)));
    }

    /// After a change of when messages become visible (`ChangeMessageVisibility`, delayed
    /// sends): every parked poll on `queue` re-plans its sleep.
    pub(crate) fn replan_queue(&mut self, queue: &str) {
        let wake = self.polls_mut(queue).replan_queue(queue);
        self.pending_wakes.extend(wake);
    }

    /// Wakes the long polls of queues that received dead letters since the last call (done by
    /// [`StateGuard`] on release).
    fn wake_dead_letter_targets(&mut self) {
        for q in self.engine.take_woken_queues() {
            self.wake_queue(&q);
        }
    }

    /// Wakes and forgets the waiters of a deleted queue (they then see `QueueNotExist`).
    pub(crate) fn forget_waiters(&mut self, queue: &str) {
        let wake = self.polls_mut(queue).forget_waiters(queue);
        self.pending_wakes.extend(wake);
    }
}

#[cfg(test)]
mod request_id_tests {
    #[test]
    fn request_id_matches_the_formatted_layout() {
        for (secs, seq) in [(0, 0), (0x61EC_20AC, 1), (u32::MAX, u64::MAX), (7, 12_345)] {
            let want = format!(
                "{secs:08X}{:016X}",
                seq.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64)
            );
            assert_eq!(super::request_id(secs, seq), want);
        }
    }
}
