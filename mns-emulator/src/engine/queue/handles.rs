//! Receipt-handle operations of a queue store: `DeleteMessage` and `ChangeMessageVisibility`.

use super::{QueueStore, secs_to_ms};
use crate::engine::Millis;
use crate::engine::config::EngineConfig;
use crate::engine::ids::IdCodec;
use crate::engine::types::{MessageState, VisibilityChanged};
use crate::error::MnsError;

impl QueueStore {
    /// Resolves a receipt handle to the message it currently designates.
    ///
    /// Garbage or never-issued → 400 `ReceiptHandleError`; issued but no longer current (message
    /// deleted, expired, re-received, visibility changed or timed out) → 404 `MessageNotExist`.
    fn current_handle(
        &self,
        handle: &str,
        codec: &IdCodec,
        config: &EngineConfig,
    ) -> Result<u64, MnsError> {
        let (seq, generation) = codec
            .parse_receipt_handle(handle)
            .ok_or_else(MnsError::receipt_handle_error)?;
        let Some(msg) = self.messages.get(&seq) else {
            return Err(MnsError::message_not_exist());
        };
        let state_ok = match msg.state {
            MessageState::Inactive => true,
            MessageState::Delayed => config.delayed_send_handle_valid,
            MessageState::Active => false,
        };
        if msg.generation != generation || !state_ok {
            return Err(MnsError::receipt_handle_expired());
        }
        Ok(seq)
    }

    /// Deletes the message a current receipt handle designates.
    pub(crate) fn delete(
        &mut self,
        handle: &str,
        codec: &IdCodec,
        config: &EngineConfig,
    ) -> Result<(), MnsError> {
        let seq = self.current_handle(handle, codec, config)?;
        self.mark(seq);
        if let Some(msg) = self.messages.remove(&seq) {
            self.forget_index(seq, &msg);
        }
        Ok(())
    }

    /// Makes the message invisible for `timeout` seconds from `now` and issues a new handle.
    ///
    /// A Delayed message (send handle, when allowed) stays Delayed with its delay moved.
    pub(crate) fn change_visibility(
        &mut self,
        handle: &str,
        timeout: u32,
        codec: &IdCodec,
        config: &EngineConfig,
        now: Millis,
    ) -> Result<VisibilityChanged, MnsError> {
        let seq = self.current_handle(handle, codec, config)?;
        self.mark(seq);
        let Some(msg) = self.messages.get_mut(&seq) else {
            return Err(MnsError::message_not_exist());
        };
        self.timers.remove(&(msg.next_visible, seq));
        msg.generation = msg.generation.wrapping_add(1);
        msg.next_visible = now + secs_to_ms(timeout);
        let changed = VisibilityChanged {
            receipt_handle: codec.receipt_handle(seq, msg.generation),
            next_visible_time: msg.next_visible,
        };
        self.timers.insert((msg.next_visible, seq));
        // A zero timeout (when allowed) makes the message visible at once.
        self.advance(now);
        Ok(changed)
    }
}
