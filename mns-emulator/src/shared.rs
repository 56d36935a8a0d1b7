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
use crate::engine::{Engine, Millis};

/// Everything behind the engine lock.
#[derive(Debug)]
pub(crate) struct Locked {
    pub(crate) engine: Engine,
    /// Per-queue wake-up for long polls. An entry exists only while some receive has waited on an
    /// existing queue; it is removed when the queue is deleted (after waking its waiters).
    waiters: HashMap<String, Arc<Notify>>,
    /// Wake-ups decided under the lock, delivered by [`StateGuard`] after it releases the lock,
    /// so a woken poll never finds the lock still held by the sender that woke it.
    pending_wakes: Vec<(Arc<Notify>, Wake)>,
    /// Per queue, the parked poll that sleeps until the queue's next timed change (a delay or a
    /// visibility timeout ending) and the time it sleeps until; the other parked polls sleep
    /// until their deadlines. See [`Locked::claim_timer`].
    timer_owners: HashMap<String, (u64, Millis)>,
    /// Source of poll ids for `timer_owners`.
    next_poll_id: u64,
    /// Control-plane nonces (`crate::openapi`; account settings are engine state).
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
                pending_wakes: Vec::new(),
                timer_owners: HashMap::new(),
                next_poll_id: 0,
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
            state.timer_owners.clear();
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
        StateGuard(Some(self.state.lock().unwrap_or_else(|e| e.into_inner())))
    }

    /// Wakes every long poll, e.g. after direct engine access through the library API.
    pub(crate) fn wake_all(&self) {
        let mut state = self.lock();
        let all: Vec<_> = state.waiters.values().cloned().collect();
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

/// The locked state. Whatever engine call ran under it may have moved dead letters (a receive
/// past `MaxReceiveCount`, a visibility timeout passing, a push's last failed retry), so
/// releasing it wakes the long polls of the queues that received them: every path, HTTP or
/// library API, gets that without another lock round.
///
/// Wake-ups requested under the lock ([`Locked::wake_queue`] and friends) are delivered after
/// the lock is released: a woken poll's first act is to take the lock, so waking it while the
/// lock is still held only makes it contend. Delivering late is safe because a poll registers
/// its wake-up (`Notified::enable`) under the lock, in the same step that saw the queue empty:
/// a change made under the lock either is seen by that check or finds the poll registered.
pub(crate) struct StateGuard<'a>(Option<MutexGuard<'a, Locked>>);

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
        let pending = std::mem::take(&mut guard.pending_wakes);
        drop(guard);
        for (notify, wake) in pending {
            match wake {
                Wake::One => notify.notify_one(),
                Wake::All => notify.notify_waiters(),
            }
        }
    }
}

/// How many of a queue's parked long polls a change wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// The longest-waiting poll. It takes what it can and, if messages are still receivable,
    /// wakes the next ([`Locked::pass_wake_on`]), so a burst of `n` messages wakes the polls
    /// that can take them, one after another, and never the whole herd. A poll that is woken
    /// but dropped before it looks (client gone) hands the wake-up to the next poll (tokio's
    /// `Notified` does that on drop).
    One,
    /// Every parked poll: each re-plans its sleep (a message will become visible at a new time)
    /// or sees that its queue is gone.
    All,
}

impl Locked {
    /// Messages may have arrived on `queue` (send, topic fan-out, dead letters, redelivery):
    /// wakes one parked poll if a message is receivable now; otherwise (the messages are
    /// delayed) every parked poll re-plans its sleep, since the next visibility time may now
    /// be earlier than the one each planned for.
    pub(crate) fn wake_queue(&mut self, queue: &str) {
        if self.waiters.contains_key(queue) {
            let wake = if self.engine.receivable_now(queue) {
                Wake::One
            } else {
                Wake::All
            };
            self.schedule(queue, wake);
        }
    }

    /// After a change that can only make messages receivable now (a delete releasing a FIFO
    /// group's next message): wakes one parked poll if one is.
    pub(crate) fn wake_if_receivable(&mut self, queue: &str) {
        if self.waiters.contains_key(queue) && self.engine.receivable_now(queue) {
            self.schedule(queue, Wake::One);
        }
    }

    /// After a change of when messages become visible (`ChangeMessageVisibility`, delayed
    /// sends): every parked poll on `queue` re-plans its sleep.
    pub(crate) fn replan_queue(&mut self, queue: &str) {
        self.schedule(queue, Wake::All);
    }

    /// Called by a poll that was parked, woke and took messages: if more are receivable, the
    /// next parked poll is woken (the chain behind [`Wake::One`]).
    pub(crate) fn pass_wake_on(&mut self, queue: &str) {
        self.wake_if_receivable(queue);
    }

    /// Queues a wake-up for delivery after the lock is released. Nothing to do when no poll has
    /// ever parked on the queue.
    fn schedule(&mut self, queue: &str, wake: Wake) {
        if let Some(n) = self.waiters.get(queue) {
            let n = Arc::clone(n);
            self.pending_wakes.push((n, wake));
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

    /// A new id for a receive that may park (for [`Locked::claim_timer`]).
    pub(crate) fn next_poll_id(&mut self) -> u64 {
        self.next_poll_id = self.next_poll_id.wrapping_add(1);
        self.next_poll_id
    }

    /// Asks to be the poll that sleeps until `at`, the queue's next timed change. Granted when no
    /// poll holds the timer or the holder sleeps until later; the others sleep until their
    /// deadlines and are reached through the wake-up chain (`pass_wake_on`), so a timer that
    /// ends wakes one poll, not every poll that planned for it.
    pub(crate) fn claim_timer(&mut self, queue: &str, poll: u64, at: Millis) -> bool {
        match self.timer_owners.get(queue) {
            Some(&(_, held)) if held <= at => false,
            _ => {
                self.timer_owners.insert(queue.to_owned(), (poll, at));
                true
            }
        }
    }

    /// A poll that held the timer is awake and about to look (it re-plans if it parks again).
    pub(crate) fn release_timer(&mut self, queue: &str, poll: u64) {
        if self
            .timer_owners
            .get(queue)
            .is_some_and(|&(p, _)| p == poll)
        {
            self.timer_owners.remove(queue);
        }
    }

    /// A poll leaves (answered, timed out, or its client went away): if it held the timer, or
    /// nobody does while a timed change is pending, one parked poll is woken to take it over.
    pub(crate) fn hand_over_timer(&mut self, queue: &str, poll: u64) {
        self.release_timer(queue, poll);
        if !self.timer_owners.contains_key(queue) && self.engine.next_wakeup(queue, 0).is_some() {
            self.schedule(queue, Wake::One);
        }
    }

    /// Wakes and forgets the waiters of a deleted queue (they then see `QueueNotExist`).
    pub(crate) fn forget_waiters(&mut self, queue: &str) {
        self.timer_owners.remove(queue);
        if let Some(n) = self.waiters.remove(queue) {
            self.pending_wakes.push((n, Wake::All));
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

/// Hands the queue's timer over when a receive that may hold it ends without reaching its own
/// exit path (its future dropped because the client went away, or the server stopping).
pub(crate) struct TimerHandOver<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) queue: &'a str,
    pub(crate) poll: u64,
    /// Set once the receive has parked: a receive that never parked holds nothing.
    pub(crate) parked: bool,
}

impl Drop for TimerHandOver<'_> {
    fn drop(&mut self) {
        if self.parked {
            self.shared.lock().hand_over_timer(self.queue, self.poll);
        }
    }
}
