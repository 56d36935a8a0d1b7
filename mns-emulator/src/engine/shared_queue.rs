//! Per-queue locking: each queue's store sits behind its own mutex ([`QueueCell`]), so the hot
//! message operations on one queue can run through `&Engine` ([`Engine::shared_queue`]) while
//! operations on other queues run at the same time.
//!
//! The `&mut self` methods of [`Engine`] and the handles here run the same per-queue code
//! (`messages.rs`, written once over `QueueAccess`): only how a queue is reached (exclusive
//! access, or its own lock) and how it is advanced differs. A handle is granted only where
//! advancing the queue cannot reach any other queue and nothing needs recording, so the result
//! is exactly what the `&mut self` method would have returned:
//!
//! * change tracking (persistence) is off: the journal logic stays on the exclusive path;
//! * the queue is neither the source of an enabled dead-letter policy nor any such policy's
//!   target: dead-letter moves touch two queues and stay atomic under exclusive access.
//!
//! A queue that is not a source has no dead-letter limit, so a receive or a visibility timeout
//! never takes a message out for another queue; a queue that is not a target is never advanced
//! through its sources. Everything else (queue management, listing, topics and fan-out, dead
//! letters, persistence, admin reads) takes `&mut Engine`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::config::EngineConfig;
use super::ids::IdCodec;
use super::messages::{self, QueueAccess};
use super::queue::QueueStore;
use super::{
    BatchDeleteFailure, Engine, Millis, PeekedMessage, ReceivedMessage, SendMessageInput,
    SentMessage, VisibilityChanged, limits, validate_batch_size,
};
use crate::error::MnsError;

/// One queue's store behind its own lock. Exclusive (`&mut`) access reaches the store without
/// locking ([`QueueCell::get_mut`]). Cells sit side by side in the engine's map: each starts on
/// its own cache lines, so taking one queue's lock does not slow a thread working on the next.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct QueueCell(Mutex<QueueStore>);

/// A value on cache lines of its own (128 bytes: x86-64 fetches lines in pairs), so that threads
/// writing it do not slow threads reading its neighbours (the engine's settings, codec and queue
/// map). `crossbeam_utils::CachePadded` does the same; one attribute is not worth a dependency.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl QueueCell {
    pub(crate) fn new(store: QueueStore) -> Self {
        QueueCell(Mutex::new(store))
    }

    /// The store, through exclusive access (no locking). A lock poisoned by a panic is used
    /// anyway: operations validate before they mutate.
    pub(crate) fn get_mut(&mut self) -> &mut QueueStore {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// The store, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, QueueStore> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the per-queue operations read besides the queue: the engine's settings, its id codec and
/// its message sequence counter.
#[derive(Clone, Copy)]
pub(crate) struct QueueOps<'a> {
    pub(crate) config: &'a EngineConfig,
    pub(crate) codec: &'a IdCodec,
    pub(crate) next_seq: &'a AtomicU64,
}

impl QueueOps<'_> {
    /// `SendMessage` / `BatchSendMessage` checks, before anything is stored: the batch size,
    /// every message against the queue's limits, the batch total.
    pub(crate) fn validate_sends(
        self,
        q: &QueueStore,
        msgs: Vec<SendMessageInput>,
    ) -> Result<Vec<super::queue::ValidatedSend>, MnsError> {
        limits::validate_batch_entries(msgs.len(), "Message")?;
        let validated = msgs
            .into_iter()
            .map(|m| q.validate_send(m, self.config.system_property_names))
            .collect::<Result<Vec<_>, _>>()?;
        let total: usize = validated.iter().map(|v| v.size()).sum();
        if total > limits::MAX_BATCH_SEND_BYTES {
            return Err(MnsError::invalid_argument(format!(
                "The total size of messages should not exceed {} bytes.",
                limits::MAX_BATCH_SEND_BYTES
            )));
        }
        Ok(validated)
    }

    /// Stores validated messages in order, each under the next engine-wide sequence number.
    pub(crate) fn store_sends(
        self,
        q: &mut QueueStore,
        validated: Vec<super::queue::ValidatedSend>,
        now: Millis,
    ) -> Vec<SentMessage> {
        let mut sent = Vec::with_capacity(validated.len());
        for v in validated {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            sent.push(q.store(v, seq, self.codec, now));
        }
        sent
    }

    /// `BatchDeleteMessage` on an advanced queue: deletes every valid handle, a failure per
    /// invalid one.
    pub(crate) fn delete_batch(
        self,
        q: &mut QueueStore,
        handles: &[String],
    ) -> Vec<BatchDeleteFailure> {
        handles
            .iter()
            .filter_map(|h| {
                q.delete(h, self.codec, self.config)
                    .err()
                    .map(|error| BatchDeleteFailure {
                        receipt_handle: h.clone(),
                        error,
                    })
            })
            .collect()
    }

    /// The `ChangeMessageVisibility` timeout, validated (seconds).
    pub(crate) fn visibility_timeout(self, visibility_timeout: i64) -> Result<u32, MnsError> {
        limits::validate_change_visibility_timeout(
            visibility_timeout,
            self.config.change_visibility_allows_zero,
        )
    }
}

/// A receive or peek batch size, validated 1..=16.
pub(crate) fn batch_max(max: usize) -> Result<usize, MnsError> {
    validate_batch_size(i64::try_from(max).unwrap_or(i64::MAX))
}

/// A queue reachable through `&Engine`, granted by [`Engine::shared_queue`]: lock it to run the
/// hot message operations on this queue while other threads work on other queues (the engine
/// shared, e.g. behind an `RwLock` held for reading).
///
/// Granted only while the queue's operations cannot touch another queue or the change log:
/// change tracking (persistence) is off, and the queue is neither the source nor the target of
/// an enabled dead-letter policy (dead-letter moves touch two queues, so they stay on the
/// `&mut Engine` path). The handle borrows the engine, so nothing can change that while it
/// lives. Results are exactly those of the [`Engine`] methods of the same names.
///
/// ```
/// use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput};
///
/// let mut engine = Engine::new(EngineConfig::default());
/// engine.create_queue("jobs", QueueAttributesInput::default(), 1_000).unwrap();
/// let jobs = engine.shared_queue("jobs").expect("a plain queue is eligible");
/// let mut q = jobs.lock();
/// q.send_messages(vec![SendMessageInput::new("hello")], 1_000).unwrap();
/// let got = q.receive_messages(1, 2_000).unwrap();
/// q.delete_message(&got[0].receipt_handle, 3_000).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SharedQueue<'a> {
    engine: &'a Engine,
    cell: &'a QueueCell,
}

impl<'a> SharedQueue<'a> {
    /// Locks the queue (only this queue: other queues stay free).
    pub fn lock(&self) -> LockedQueue<'a> {
        LockedQueue {
            engine: self.engine,
            store: self.cell.lock(),
        }
    }

    /// Locks the queue if no other thread holds it (`None` otherwise): for callers that count
    /// or avoid contention.
    pub fn try_lock(&self) -> Option<LockedQueue<'a>> {
        let store = match self.cell.0.try_lock() {
            Ok(store) => store,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(LockedQueue {
            engine: self.engine,
            store,
        })
    }
}

/// A locked [`SharedQueue`]: the hot message operations, with the same results as the
/// [`Engine`] methods of the same names.
pub struct LockedQueue<'a> {
    engine: &'a Engine,
    store: MutexGuard<'a, QueueStore>,
}

impl std::fmt::Debug for LockedQueue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedQueue")
            .field("queue", &self.store.name)
            .finish_non_exhaustive()
    }
}

impl QueueAccess for LockedQueue<'_> {
    fn ops(&self) -> QueueOps<'_> {
        self.engine.ops()
    }

    fn parts(&mut self) -> Result<(&mut QueueStore, QueueOps<'_>), MnsError> {
        Ok((&mut *self.store, self.engine.ops()))
    }

    fn advance(&mut self, now: Millis) -> Result<(), MnsError> {
        // Eligibility means no enabled dead-letter policy: the limit `advance_one` would set.
        self.store.advance_with_limit(None, now);
        Ok(())
    }

    fn flush(&mut self, _now: Millis) {
        debug_assert!(
            self.store.dead_letters.is_empty(),
            "a queue without a dead-letter limit takes no dead letters"
        );
    }
}

impl LockedQueue<'_> {
    /// Raises the engine's newest time to `now` and returns it. Under the queue's lock, so the
    /// queue sees its times in order.
    fn observe(&self, now: Millis) -> Millis {
        let high_water = &self.engine.high_water;
        let seen = high_water.load(Ordering::Relaxed);
        if now <= seen {
            // Most operations see no new time: reading keeps the line shared between threads.
            return seen;
        }
        high_water.fetch_max(now, Ordering::Relaxed).max(now)
    }

    /// [`Engine::send_messages`].
    pub fn send_messages(
        &mut self,
        msgs: Vec<SendMessageInput>,
        now: Millis,
    ) -> Result<Vec<SentMessage>, MnsError> {
        let now = self.observe(now);
        messages::send(self, msgs, now)
    }

    /// [`Engine::receive_messages`].
    pub fn receive_messages(
        &mut self,
        max: usize,
        now: Millis,
    ) -> Result<Vec<ReceivedMessage>, MnsError> {
        let now = self.observe(now);
        messages::receive(self, max, now)
    }

    /// [`Engine::peek_messages`].
    pub fn peek_messages(
        &mut self,
        max: usize,
        now: Millis,
    ) -> Result<Vec<PeekedMessage>, MnsError> {
        let now = self.observe(now);
        messages::peek(self, max, now)
    }

    /// [`Engine::delete_message`].
    pub fn delete_message(&mut self, receipt_handle: &str, now: Millis) -> Result<(), MnsError> {
        let now = self.observe(now);
        messages::delete(self, receipt_handle, now)
    }

    /// [`Engine::batch_delete_messages`].
    pub fn batch_delete_messages(
        &mut self,
        handles: &[String],
        now: Millis,
    ) -> Result<Vec<BatchDeleteFailure>, MnsError> {
        let now = self.observe(now);
        messages::batch_delete(self, handles, now)
    }

    /// [`Engine::change_message_visibility`].
    pub fn change_message_visibility(
        &mut self,
        receipt_handle: &str,
        visibility_timeout: i64,
        now: Millis,
    ) -> Result<VisibilityChanged, MnsError> {
        let now = self.observe(now);
        messages::change_visibility(self, receipt_handle, visibility_timeout, now)
    }

    /// [`Engine::next_wakeup`] for this queue (which feeds no other: no dead-letter sources).
    pub fn next_wakeup(&self, now: Millis) -> Option<Millis> {
        self.store.next_wakeup(self.engine.now().max(now))
    }

    /// Whether a message may be receivable right now (`Engine::receivable_now`).
    pub(crate) fn receivable_now(&self) -> bool {
        let hw = self.engine.now();
        self.store.next_wakeup(hw).is_some_and(|at| at <= hw)
    }
}

impl Engine {
    /// The queue, reachable through `&Engine` for the hot message operations (send, receive,
    /// peek, delete, change visibility), if they cannot touch anything outside it: the queue
    /// exists, change tracking is off, and it is neither the source nor the target of an
    /// enabled dead-letter policy. `None` means: use the `&mut self` methods (which give the
    /// same results, and the same errors for a missing queue). See [`SharedQueue`].
    pub fn shared_queue(&self, name: &str) -> Option<SharedQueue<'_>> {
        if self.log.on || self.dlq_sources.links(name) {
            return None;
        }
        let cell = self.queues.get(name)?;
        Some(SharedQueue { engine: self, cell })
    }

    /// The read-only context of the per-queue operations.
    pub(crate) fn ops(&self) -> QueueOps<'_> {
        QueueOps {
            config: &self.config,
            codec: &self.codec,
            next_seq: &self.next_seq,
        }
    }

    /// The newest `now` the engine has seen.
    pub(crate) fn now(&self) -> Millis {
        self.high_water.load(Ordering::Relaxed)
    }

    /// The next message sequence number.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }
}
