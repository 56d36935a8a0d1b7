//! The send path of one queue: checking a message against the queue's limits, then storing it
//! (ids, delay, indexes, change marks).

use super::super::ids::{self, IdCodec};
use super::super::limits;
use super::super::properties::{validate_system_properties, validate_user_properties};
use super::super::types::{MessageState, SendMessageInput, SentMessage};
use super::{Extras, QueueStore, StoredMessage, ValidatedSend, secs_to_ms};
use crate::engine::Millis;
use crate::error::MnsError;

impl QueueStore {
    /// Checks one message against the queue's limits without storing anything.
    ///
    /// A FIFO queue requires a non-empty `MessageGroupId` (`FifoMissingMessageGroupId`).
    pub(crate) fn validate_send(
        &self,
        input: SendMessageInput,
        system_property_names: &[&str],
    ) -> Result<ValidatedSend, MnsError> {
        self.validate_group_id(input.message_group_id.as_deref())?;
        let delay_seconds = match input.delay_seconds {
            Some(d) => limits::validate_delay_seconds(d)?,
            None => self.settings.delay_seconds,
        };
        let delay_seconds = if self.mode.fifo() && !self.mode.fifo_honours_delay {
            0
        } else {
            delay_seconds
        };
        let priority = match input.priority {
            Some(p) => limits::validate_priority(p)?,
            None => limits::DEFAULT_PRIORITY,
        };
        let props_size = validate_user_properties(&input.user_properties)?
            + validate_system_properties(&input.system_properties, system_property_names)?;
        let size = input.body.len() + props_size;
        let max = self.settings.maximum_message_size as usize;
        if input.body.is_empty() || size > max {
            return Err(MnsError::out_of_range("MessageBody", 1, max, "bytes"));
        }
        Ok(ValidatedSend {
            input,
            delay_seconds,
            priority,
            size,
        })
    }

    /// Stores a validated message under `seq`.
    pub(crate) fn store(
        &mut self,
        send: ValidatedSend,
        seq: u64,
        codec: &IdCodec,
        now: Millis,
    ) -> SentMessage {
        let ValidatedSend {
            input,
            delay_seconds,
            priority,
            ..
        } = send;
        let md5 = ids::body_md5(&input.body);
        let group = input.message_group_id.filter(|g| !g.is_empty());
        let extras = if input.user_properties.is_empty()
            && input.system_properties.is_empty()
            && group.is_none()
        {
            None
        } else {
            Some(Box::new(Extras {
                user_properties: input.user_properties,
                system_properties: input.system_properties,
                message_group_id: group.clone(),
                id_seq: None,
            }))
        };
        let delayed = delay_seconds > 0;
        let next_visible = now + secs_to_ms(delay_seconds);
        let msg = StoredMessage {
            body: input.body.into_boxed_str(),
            md5,
            extras,
            enqueue_time: now,
            first_dequeue_time: 0,
            next_visible,
            dequeue_count: 0,
            generation: 0,
            priority,
            state: if delayed {
                MessageState::Delayed
            } else {
                MessageState::Active
            },
        };
        self.messages.insert(seq, msg);
        self.index_new(seq);
        self.mark(seq);
        SentMessage {
            message_id: codec.message_id(seq),
            body_md5: ids::md5_hex(&md5),
            receipt_handle: delayed.then(|| codec.receipt_handle(seq, 0)),
            message_group_id: group,
        }
    }
}
