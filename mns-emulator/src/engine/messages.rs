//! Message operations on a queue: send, receive, peek, delete (one or a batch) and
//! `ChangeMessageVisibility`. Queue management is in `mod.rs`, the per-queue store in `queue/`.

use super::queue::QueueStore;
use super::shared_queue::{QueueOps, batch_max};
use super::{
    BatchDeleteFailure, Engine, Millis, PeekedMessage, ReceivedMessage, SendMessageInput,
    SentMessage, VisibilityChanged, limits,
};
use crate::error::MnsError;

impl Engine {
    /// `SendMessage` / `BatchSendMessage`: validates every message first (any invalid one fails the
    /// whole request with `InvalidArgument` and stores nothing), then stores them in order.
    ///
    /// More than one message is a batch: 1..=16 entries, bodies totalling at most 64 KB.
    pub fn send_messages(
        &mut self,
        queue: &str,
        msgs: Vec<SendMessageInput>,
        now: Millis,
    ) -> Result<Vec<SentMessage>, MnsError> {
        let now = self.observe(now);
        send(&mut self.exclusive(queue)?, msgs, now)
    }

    /// `ReceiveMessage` / `BatchReceiveMessage`: up to `max` (1..=16) visible messages, priority 1
    /// first, then send order. Each becomes Inactive for the queue's `VisibilityTimeout` with a new
    /// receipt handle.
    ///
    /// An empty `Vec` means nothing is visible now; the HTTP layer long-polls with
    /// [`Engine::next_wakeup`] and finally answers 404 `MessageNotExist`.
    pub fn receive_messages(
        &mut self,
        queue: &str,
        max: usize,
        now: Millis,
    ) -> Result<Vec<ReceivedMessage>, MnsError> {
        let now = self.observe(now);
        receive(&mut self.exclusive(queue)?, max, now)
    }

    /// `PeekMessage` / `BatchPeekMessage`: up to `max` (1..=16) Active messages in receive order,
    /// without changing anything. Empty `Vec` → the HTTP layer answers 404 `MessageNotExist`.
    pub fn peek_messages(
        &mut self,
        queue: &str,
        max: usize,
        now: Millis,
    ) -> Result<Vec<PeekedMessage>, MnsError> {
        let now = self.observe(now);
        peek(&mut self.exclusive(queue)?, max, now)
    }

    /// `DeleteMessage` with the message's current receipt handle.
    ///
    /// Garbage or never-issued handle → 400 `ReceiptHandleError`; a handle this engine issued that
    /// is no longer current (message deleted, expired, re-received, visibility changed or timed
    /// out) → 404 `MessageNotExist`.
    pub fn delete_message(
        &mut self,
        queue: &str,
        receipt_handle: &str,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        delete(&mut self.exclusive(queue)?, receipt_handle, now)
    }

    /// `BatchDeleteMessage`: 1..=16 handles (else whole-request `InvalidArgument`); deletes every
    /// valid one and returns a failure per invalid one (empty `Vec` = all deleted, HTTP 204).
    pub fn batch_delete_messages(
        &mut self,
        queue: &str,
        handles: &[String],
        now: Millis,
    ) -> Result<Vec<BatchDeleteFailure>, MnsError> {
        let now = self.observe(now);
        batch_delete(&mut self.exclusive(queue)?, handles, now)
    }

    /// `ChangeMessageVisibility`: the message becomes visible `visibility_timeout` seconds from now
    /// (1..=43200, or 0 when [`EngineConfig::change_visibility_allows_zero`](super::EngineConfig::change_visibility_allows_zero)); returns a new handle
    /// and invalidates the old one. `DequeueCount` is unchanged.
    pub fn change_message_visibility(
        &mut self,
        queue: &str,
        receipt_handle: &str,
        visibility_timeout: i64,
        now: Millis,
    ) -> Result<VisibilityChanged, MnsError> {
        let now = self.observe(now);
        change_visibility(
            &mut self.exclusive(queue)?,
            receipt_handle,
            visibility_timeout,
            now,
        )
    }

    /// Exclusive access to an existing queue for the message operations.
    fn exclusive<'a>(&'a mut self, queue: &'a str) -> Result<ExclusiveQueue<'a>, MnsError> {
        self.require_queue(queue)?;
        Ok(ExclusiveQueue {
            engine: self,
            name: queue,
        })
    }
}

/// How a message operation reaches its queue: exclusively through `&mut Engine`
/// ([`ExclusiveQueue`]) or under the queue's own lock (`shared_queue::LockedQueue`). The
/// operations below are written once over this trait, so both paths run the same code.
pub(crate) trait QueueAccess {
    /// The engine's read-only context.
    fn ops(&self) -> QueueOps<'_>;

    /// The queue's store and the engine's read-only context.
    fn parts(&mut self) -> Result<(&mut QueueStore, QueueOps<'_>), MnsError>;

    /// Brings the queue up to `now` (timers, retention, dead letters; with exclusive access also
    /// the queues feeding it).
    fn advance(&mut self, now: Millis) -> Result<(), MnsError>;

    /// Moves the dead letters the operation took out (only with exclusive access: a shared
    /// queue never takes any).
    fn flush(&mut self, now: Millis);
}

/// A queue reached through `&mut Engine`.
pub(crate) struct ExclusiveQueue<'a> {
    engine: &'a mut Engine,
    name: &'a str,
}

impl QueueAccess for ExclusiveQueue<'_> {
    fn ops(&self) -> QueueOps<'_> {
        self.engine.ops()
    }

    fn parts(&mut self) -> Result<(&mut QueueStore, QueueOps<'_>), MnsError> {
        let Engine {
            queues,
            config,
            codec,
            next_seq,
            ..
        } = &mut *self.engine;
        let q = queues
            .get_mut(self.name)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut();
        Ok((
            q,
            QueueOps {
                config,
                codec,
                next_seq,
            },
        ))
    }

    fn advance(&mut self, now: Millis) -> Result<(), MnsError> {
        self.engine.advance_queue(self.name, now)
    }

    fn flush(&mut self, now: Millis) {
        self.engine.flush_dead_letters(self.name, now);
    }
}

/// `SendMessage` / `BatchSendMessage` on a queue (`now` already observed).
pub(crate) fn send(
    a: &mut impl QueueAccess,
    msgs: Vec<SendMessageInput>,
    now: Millis,
) -> Result<Vec<SentMessage>, MnsError> {
    let validated = {
        let (q, ops) = a.parts()?;
        ops.validate_sends(q, msgs)?
    };
    a.advance(now)?;
    let (q, ops) = a.parts()?;
    Ok(ops.store_sends(q, validated, now))
}

/// `ReceiveMessage` / `BatchReceiveMessage` on a queue.
pub(crate) fn receive(
    a: &mut impl QueueAccess,
    max: usize,
    now: Millis,
) -> Result<Vec<ReceivedMessage>, MnsError> {
    let max = batch_max(max)?;
    a.advance(now)?;
    let got = {
        let (q, ops) = a.parts()?;
        q.receive(max, ops.codec, now)
    };
    a.flush(now);
    Ok(got)
}

/// `PeekMessage` / `BatchPeekMessage` on a queue.
pub(crate) fn peek(
    a: &mut impl QueueAccess,
    max: usize,
    now: Millis,
) -> Result<Vec<PeekedMessage>, MnsError> {
    let max = batch_max(max)?;
    a.advance(now)?;
    let (q, ops) = a.parts()?;
    Ok(q.peek(max, ops.codec))
}

/// `DeleteMessage` on a queue.
pub(crate) fn delete(
    a: &mut impl QueueAccess,
    receipt_handle: &str,
    now: Millis,
) -> Result<(), MnsError> {
    a.advance(now)?;
    let (q, ops) = a.parts()?;
    q.delete(receipt_handle, ops.codec, ops.config)
}

/// `BatchDeleteMessage` on a queue.
pub(crate) fn batch_delete(
    a: &mut impl QueueAccess,
    handles: &[String],
    now: Millis,
) -> Result<Vec<BatchDeleteFailure>, MnsError> {
    limits::validate_batch_entries(handles.len(), "ReceiptHandle")?;
    a.advance(now)?;
    let (q, ops) = a.parts()?;
    Ok(ops.delete_batch(q, handles))
}

/// `ChangeMessageVisibility` on a queue.
pub(crate) fn change_visibility(
    a: &mut impl QueueAccess,
    receipt_handle: &str,
    visibility_timeout: i64,
    now: Millis,
) -> Result<VisibilityChanged, MnsError> {
    let timeout = a.ops().visibility_timeout(visibility_timeout)?;
    a.advance(now)?;
    let changed = {
        let (q, ops) = a.parts()?;
        q.change_visibility(receipt_handle, timeout, ops.codec, ops.config, now)
    };
    a.flush(now);
    changed
}
