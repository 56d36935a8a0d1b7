//! Message operations on a queue: send, receive, peek, delete (one or a batch) and
//! `ChangeMessageVisibility`. Queue management is in `mod.rs`, the per-queue store in `queue/`.

use super::{
    BatchDeleteFailure, Engine, Millis, PeekedMessage, ReceivedMessage, SendMessageInput,
    SentMessage, VisibilityChanged, limits, validate_batch_size,
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
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
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
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        let mut sent = Vec::with_capacity(validated.len());
        for v in validated {
            let seq = self.next_seq;
            self.next_seq += 1;
            sent.push(q.store(v, seq, &self.codec, now));
        }
        Ok(sent)
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
        self.require_queue(queue)?;
        let max = validate_batch_size(i64::try_from(max).unwrap_or(i64::MAX))?;
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        let got = q.receive(max, &self.codec, now);
        self.flush_dead_letters(queue, now);
        Ok(got)
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
        self.require_queue(queue)?;
        let max = validate_batch_size(i64::try_from(max).unwrap_or(i64::MAX))?;
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        Ok(q.peek(max, &self.codec))
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
        self.require_queue(queue)?;
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        q.delete(receipt_handle, &self.codec, &self.config)
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
        self.require_queue(queue)?;
        limits::validate_batch_entries(handles.len(), "ReceiptHandle")?;
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        Ok(handles
            .iter()
            .filter_map(|h| {
                q.delete(h, &self.codec, &self.config)
                    .err()
                    .map(|error| BatchDeleteFailure {
                        receipt_handle: h.clone(),
                        error,
                    })
            })
            .collect())
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
        self.require_queue(queue)?;
        let timeout = limits::validate_change_visibility_timeout(
            visibility_timeout,
            self.config.change_visibility_allows_zero,
        )?;
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        let changed = q.change_visibility(receipt_handle, timeout, &self.codec, &self.config, now);
        self.flush_dead_letters(queue, now);
        changed
    }
}
