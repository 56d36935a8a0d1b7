//! Long-poll bookkeeping: which queues have parked receives, which parked receive watches a
//! queue's timer, and the wake-ups decided under a lock and delivered after it is released.
//!
//! [`Polls`] sits behind mutexes of its own inside the engine lock's state (`Locked::polls`, a
//! [`PollBook`] of [`POLL_SHARDS`] parts, a queue's entries in the part its name hashes to), so a
//! receive or send on a shared queue (engine lock held for reading, the queue's mutex held) can
//! use it, and sends on different queues seldom take the same mutex; it is always taken last. A queue's entries are only changed while that queue is
//! locked (its mutex, or the engine lock exclusively), so a poll's "saw nothing, now listening"
//! and a sender's "stored, now waking" are ordered by the queue's lock.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, futures::OwnedNotified, watch};

use super::Shared;
use crate::engine::{CachePadded, Engine, LockedQueue, Millis, ReceivedMessage};
use crate::error::MnsError;

/// How many of a queue's parked long polls a change wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The longest-waiting poll. It takes what it can and, if messages are still receivable,
    /// wakes the next (the `was_waiting` hand-over in [`poll_once`]), so a burst of `n`
    /// messages wakes the polls that can take them, one after another, and never the whole
    /// herd. A poll that is woken but dropped before it looks (client gone) hands the wake-up to
    /// the next poll (tokio's `Notified` does that on drop).
    One,
    /// Every parked poll: each re-plans its sleep (a message will become visible at a new time)
    /// or sees that its queue is gone.
    All,
}

/// Wake-ups decided under a lock, delivered when this is dropped: declare it before the guards
/// so that it is dropped after them, and a woken poll never finds the lock still held by the
/// change that woke it.
#[derive(Debug, Default)]
pub(crate) struct Wakes(pub(crate) Vec<(Arc<Notify>, Wake)>);

impl From<Vec<(Arc<Notify>, Wake)>> for Wakes {
    fn from(v: Vec<(Arc<Notify>, Wake)>) -> Self {
        Wakes(v)
    }
}

impl Wakes {
    /// Adds a wake-up, if one was decided.
    pub(crate) fn add(&mut self, wake: Option<(Arc<Notify>, Wake)>) {
        self.0.extend(wake);
    }
}

impl Drop for Wakes {
    fn drop(&mut self) {
        for (notify, wake) in self.0.drain(..) {
            match wake {
                Wake::One => notify.notify_one(),
                Wake::All => notify.notify_waiters(),
            }
        }
    }
}

/// The parked polls of every queue.
#[derive(Debug, Default)]
pub(crate) struct Polls {
    /// Per-queue wake-up for long polls. An entry exists only while some receive has waited on
    /// an existing queue; it is removed when the queue is deleted (after waking its waiters).
    waiters: HashMap<String, Arc<Notify>>,
    /// Per queue, the parked poll that sleeps until the queue's next timed change (a delay or a
    /// visibility timeout ending) and the time it sleeps until; the other parked polls sleep
    /// until their deadlines. See [`Polls::claim_timer`].
    timer_owners: HashMap<String, (u64, Millis)>,
    /// Source of poll ids for `timer_owners`.
    next_poll_id: u64,
}

/// A wake-up to deliver once the locks are released.
type Decided = Option<(Arc<Notify>, Wake)>;

impl Polls {
    fn schedule(&self, queue: &str, wake: Wake) -> Decided {
        self.waiters.get(queue).map(|n| (Arc::clone(n), wake))
    }

    /// Messages may have arrived on `queue`: one parked poll if `receivable()` (a message is
    /// receivable now), otherwise every parked poll re-plans (the messages are delayed, and the
    /// next visibility time may now be earlier than the one each planned for). Nothing when no
    /// poll has ever parked on the queue.
    pub(crate) fn wake_queue(&self, queue: &str, receivable: impl FnOnce() -> bool) -> Decided {
        let n = self.waiters.get(queue)?;
        let wake = if receivable() { Wake::One } else { Wake::All };
        Some((Arc::clone(n), wake))
    }

    /// After a change that can only make messages receivable now (a delete releasing a FIFO
    /// group's next message, or a woken poll that took messages and leaves more): one parked
    /// poll, if `receivable()`.
    pub(crate) fn wake_if_receivable(
        &self,
        queue: &str,
        receivable: impl FnOnce() -> bool,
    ) -> Decided {
        let n = self.waiters.get(queue)?;
        receivable().then(|| (Arc::clone(n), Wake::One))
    }

    /// After a change of when messages become visible: every parked poll re-plans its sleep.
    pub(crate) fn replan_queue(&self, queue: &str) -> Decided {
        self.schedule(queue, Wake::All)
    }

    /// The wake-up handle of `queue`, created on first use.
    fn waiter(&mut self, queue: &str) -> Arc<Notify> {
        if let Some(n) = self.waiters.get(queue) {
            return Arc::clone(n);
        }
        let n = Arc::new(Notify::new());
        self.waiters.insert(queue.to_owned(), Arc::clone(&n));
        n
    }

    /// A new id for a receive that may park (for [`Polls::claim_timer`]).
    fn next_poll_id(&mut self) -> u64 {
        self.next_poll_id = self.next_poll_id.wrapping_add(1);
        self.next_poll_id
    }

    /// Asks to be the poll that sleeps until `at`, the queue's next timed change. Granted when
    /// no poll holds the timer or the holder sleeps until later; the others sleep until their
    /// deadlines and are reached through the wake-up chain, so a timer that ends wakes one poll,
    /// not every poll that planned for it.
    fn claim_timer(&mut self, queue: &str, poll: u64, at: Millis) -> bool {
        match self.timer_owners.get(queue) {
            Some(&(_, held)) if held <= at => false,
            _ => {
                self.timer_owners.insert(queue.to_owned(), (poll, at));
                true
            }
        }
    }

    /// A poll that held the timer is awake and about to look (it re-plans if it parks again).
    fn release_timer(&mut self, queue: &str, poll: u64) {
        if self
            .timer_owners
            .get(queue)
            .is_some_and(|&(p, _)| p == poll)
        {
            self.timer_owners.remove(queue);
        }
    }

    /// A poll leaves (answered, timed out, or its client went away): if it held the timer, or
    /// nobody does while a timed change is pending (`timed_change_pending()`), one parked poll
    /// is woken to take it over.
    fn hand_over_timer(
        &mut self,
        queue: &str,
        poll: u64,
        timed_change_pending: impl FnOnce() -> bool,
    ) -> Decided {
        self.release_timer(queue, poll);
        if !self.timer_owners.contains_key(queue) && timed_change_pending() {
            self.schedule(queue, Wake::One)
        } else {
            None
        }
    }

    /// Forgets the waiters of a deleted queue; the returned wake-up makes them look again (and
    /// see `QueueNotExist`).
    pub(crate) fn forget_waiters(&mut self, queue: &str) -> Decided {
        self.timer_owners.remove(queue);
        self.waiters.remove(queue).map(|n| (n, Wake::All))
    }

    /// The whole state was replaced: every parked poll re-checks against the new state (and
    /// re-plans its sleep).
    pub(crate) fn forget_all(&mut self) {
        self.timer_owners.clear();
        for (_, n) in self.waiters.drain() {
            n.notify_waiters();
        }
    }

    /// Every queue's wake-up handle.
    pub(crate) fn all_waiters(&self) -> Vec<Arc<Notify>> {
        self.waiters.values().cloned().collect()
    }
}

/// The queue a receive polls, as [`poll_once`] needs it: exclusively through the engine, or a
/// shared queue under its own lock.
pub(crate) trait PollQueue {
    /// `Engine::receive_messages`.
    fn receive(&mut self, max: usize, now: Millis) -> Result<Vec<ReceivedMessage>, MnsError>;
    /// `Engine::next_wakeup`.
    fn next_wakeup(&self, now: Millis) -> Option<Millis>;
    /// `Engine::receivable_now`.
    fn receivable_now(&self) -> bool;
}

/// How many independently locked parts the long-poll book has. Every send and delete on a
/// shared queue looks in the book for parked polls; with one mutex, sends on independent queues
/// would meet there. 64 parts keep two busy queues apart with probability 63/64 at the cost of
/// 64 small maps (8 KiB with the cache-line padding).
pub(crate) const POLL_SHARDS: usize = 64;

/// The parked polls of every queue, in [`POLL_SHARDS`] parts, each behind its own mutex on its
/// own cache lines; a queue's entries (waiters, timer owner, poll ids) all live in the part its
/// name hashes to, so everything [`Polls`] decides for one queue is decided under one mutex.
#[derive(Debug)]
pub(crate) struct PollBook {
    shards: Box<[CachePadded<Mutex<Polls>>]>,
}

impl Default for PollBook {
    fn default() -> Self {
        PollBook {
            shards: (0..POLL_SHARDS)
                .map(|_| CachePadded(Mutex::new(Polls::default())))
                .collect(),
        }
    }
}

impl PollBook {
    /// The part holding `queue`'s entries (FNV-1a of the name: cheap, and any spread will do:
    /// the worst case, every queue in one part, is one mutex, as before the book was split).
    pub(crate) fn shard(&self, queue: &str) -> &Mutex<Polls> {
        &self.shards[Self::index(queue)]
    }

    fn index(queue: &str) -> usize {
        let mut h: u32 = 0x811c_9dc5;
        for &b in queue.as_bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        h as usize % POLL_SHARDS
    }

    /// `queue`'s part, locked (for holders of a read guard on the engine lock).
    pub(crate) fn lock(&self, queue: &str) -> MutexGuard<'_, Polls> {
        self.shard(queue)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `queue`'s part, through exclusive access (no locking).
    pub(crate) fn get_mut(&mut self, queue: &str) -> &mut Polls {
        self.shards[Self::index(queue)]
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The whole state was replaced: every parked poll of every queue re-checks.
    pub(crate) fn forget_all(&mut self) {
        for shard in self.shards.iter_mut() {
            shard
                .0
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .forget_all();
        }
    }

    /// Every queue's wake-up handle.
    pub(crate) fn all_waiters(&self) -> Vec<Arc<Notify>> {
        self.shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .all_waiters()
            })
            .collect()
    }
}

/// A queue polled through exclusive access to the engine.
pub(crate) struct ExclusivePoll<'a> {
    pub(crate) engine: &'a mut Engine,
    pub(crate) queue: &'a str,
}

impl PollQueue for ExclusivePoll<'_> {
    fn receive(&mut self, max: usize, now: Millis) -> Result<Vec<ReceivedMessage>, MnsError> {
        self.engine.receive_messages(self.queue, max, now)
    }

    fn next_wakeup(&self, now: Millis) -> Option<Millis> {
        self.engine.next_wakeup(self.queue, now)
    }

    fn receivable_now(&self) -> bool {
        self.engine.receivable_now(self.queue)
    }
}

impl PollQueue for LockedQueue<'_> {
    fn receive(&mut self, max: usize, now: Millis) -> Result<Vec<ReceivedMessage>, MnsError> {
        self.receive_messages(max, now)
    }

    fn next_wakeup(&self, now: Millis) -> Option<Millis> {
        LockedQueue::next_wakeup(self, now)
    }

    fn receivable_now(&self) -> bool {
        LockedQueue::receivable_now(self)
    }
}

/// What one look of a long poll found.
pub(crate) enum PollStep {
    /// Messages, taken.
    Got(Vec<ReceivedMessage>),
    /// Nothing yet: wait for `notified` (already registered) or until `until`.
    Park {
        notified: Pin<Box<OwnedNotified>>,
        until: Millis,
    },
}

/// `polls`, locked on first use.
fn book<'a, 'b>(
    book: &'b mut Option<MutexGuard<'a, Polls>>,
    polls: &'a Mutex<Polls>,
) -> &'b mut Polls {
    book.get_or_insert_with(|| polls.lock().unwrap_or_else(|e| e.into_inner()))
}

/// One look of a long poll at `queue`, under whichever lock reaches it (`q`): takes up to
/// `max` messages, or (before `deadline`) registers the wake-up in the same critical section
/// that saw nothing (`Notified::enable`), so a change made under the queue's lock is either seen
/// here or finds the poll registered. A poll that has waited (`was_waiting`) and takes messages
/// wakes the next if more are receivable. `polls` is taken last, and only when needed;
/// wake-ups decided here go to `wakes`, delivered by the caller after releasing its locks.
#[expect(
    clippy::too_many_arguments,
    reason = "one look's inputs, each used once"
)]
pub(crate) fn poll_once(
    q: &mut impl PollQueue,
    polls: &Mutex<Polls>,
    wakes: &mut Vec<(Arc<Notify>, Wake)>,
    queue: &str,
    timer: &mut TimerHandOver<'_>,
    was_waiting: bool,
    max: usize,
    now: Millis,
    deadline: Millis,
) -> Result<PollStep, MnsError> {
    let mut held = None;
    if timer.parked {
        book(&mut held, polls).release_timer(queue, timer.poll);
    }
    let msgs = q.receive(max, now)?;
    if !msgs.is_empty() {
        if was_waiting {
            wakes.extend(book(&mut held, polls).wake_if_receivable(queue, || q.receivable_now()));
        }
        return Ok(PollStep::Got(msgs));
    }
    if now >= deadline {
        return Err(MnsError::message_not_exist());
    }
    let b = book(&mut held, polls);
    if !timer.parked {
        timer.poll = b.next_poll_id();
        timer.parked = true;
    }
    // Sleep until the deadline, or until the next message becomes visible if this poll holds
    // the queue's timer.
    let timed = q
        .next_wakeup(now)
        .filter(|&at| at < deadline && b.claim_timer(queue, timer.poll, at));
    // Start listening before the locks are released.
    let mut notified = Box::pin(b.waiter(queue).notified_owned());
    notified.as_mut().enable();
    // Never target the past (that would spin); a wake-up in the past means "re-check now".
    Ok(PollStep::Park {
        notified,
        until: timed.unwrap_or(deadline).max(now + 1),
    })
}

impl Shared {
    /// [`Polls::hand_over_timer`] for a poll that leaves `queue`.
    fn hand_over_timer(&self, queue: &str, poll: u64) {
        let mut wakes = Wakes::default();
        {
            let state = self.read();
            if let Some(shared) = state.engine.shared_queue(queue) {
                let q = shared.lock();
                wakes.add(
                    state
                        .polls(queue)
                        .hand_over_timer(queue, poll, || q.next_wakeup(0).is_some()),
                );
                return;
            }
        }
        let mut state = self.lock();
        let super::Locked {
            engine,
            polls,
            pending_wakes,
            ..
        } = &mut *state;
        let polls = polls.get_mut(queue);
        pending_wakes
            .extend(polls.hand_over_timer(queue, poll, || engine.next_wakeup(queue, 0).is_some()));
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

/// Hands the queue's timer over when a receive that may hold it ends, answered or not (also
/// when its future is dropped because the client went away, or the server stopping).
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
            self.shared.hand_over_timer(self.queue, self.poll);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{POLL_SHARDS, PollBook};

    #[test]
    fn queue_names_spread_over_every_part_and_stay_in_theirs() {
        let mut used = [0usize; POLL_SHARDS];
        for i in 0..4096 {
            let name = format!("queue-{i}");
            let part = PollBook::index(&name);
            assert_eq!(part, PollBook::index(&name));
            used[part] += 1;
        }
        // 64 names per part on average: every part is used, none holds a quarter of them.
        assert!(used.iter().all(|&n| n > 0 && n < 1024), "{used:?}");
    }

    #[test]
    fn a_queue_is_looked_up_in_the_part_it_was_registered_in() {
        let mut book = PollBook::default();
        let n = book.get_mut("jobs").waiter("jobs");
        assert!(book.lock("jobs").replan_queue("jobs").is_some());
        assert!(book.lock("other").replan_queue("other").is_none());
        assert_eq!(book.all_waiters().len(), 1);
        assert!(std::sync::Arc::ptr_eq(&book.all_waiters()[0], &n));
        book.forget_all();
        assert!(book.all_waiters().is_empty());
    }
}
