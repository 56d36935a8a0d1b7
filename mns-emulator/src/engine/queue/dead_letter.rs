//! Taking messages out of a queue for dead-lettering, and storing them in the target queue
//! (reference mns-openapi-fifo-dlq §5). The engine (`engine/dead_letter.rs`) decides when and
//! where; this file only moves one message between two stores without losing or copying it.

use super::{Extras, QueueStore, StoredMessage, group_id, id_seq};
use crate::engine::Millis;
use crate::engine::types::{MessageState, SystemProperty};

/// A message taken out of its source queue, on its way to the dead-letter queue.
#[derive(Debug)]
pub(crate) struct DeadLetter {
    /// Storage key; kept in the target so retention order (and FIFO group order) holds.
    seq: u64,
    msg: StoredMessage,
}

impl DeadLetter {
    /// The sequence number the source message id derives from.
    pub(crate) fn source_id_seq(&self) -> u64 {
        id_seq(self.seq, &self.msg)
    }

    /// The message group id, if any.
    pub(crate) fn group_id(&self) -> Option<&str> {
        group_id(&self.msg)
    }
}

impl QueueStore {
    /// Removes message `seq` (already out of `visible` and `timers`, counted as Active) and queues
    /// it in `dead_letters`. `group_state` is the state its group still counts it in.
    pub(super) fn take_dead_letter(&mut self, seq: u64, group_state: MessageState) {
        let Some(mut msg) = self.messages.remove(&seq) else {
            return;
        };
        self.mark(seq);
        if self.mode.fifo() {
            msg.state = group_state;
            self.fifo_remove(seq, &msg);
        }
        self.dead_letters.push(DeadLetter { seq, msg });
    }

    /// Stores a dead letter as a new Active message: same body, properties, priority, group id
    /// and enqueue time (so retention is not reset), `DequeueCount` 0, with `dlq_properties`
    /// replacing any `DLQ*` system properties it had. `id_seq` gives it a new message id
    /// (`None` keeps the source id). A group-less message entering a FIFO queue is put in a group
    /// named `fallback_group`.
    pub(crate) fn accept_dead_letter(
        &mut self,
        dl: DeadLetter,
        dlq_properties: Vec<SystemProperty>,
        id_seq: Option<u64>,
        fallback_group: &str,
        now: Millis,
    ) {
        let DeadLetter { seq, mut msg } = dl;
        let fifo = self.mode.fifo();
        let extras = msg.extras.get_or_insert_with(Box::<Extras>::default);
        extras
            .system_properties
            .retain(|p| !p.name.starts_with("DLQ"));
        extras.system_properties.extend(dlq_properties);
        extras.id_seq = id_seq.or(extras.id_seq);
        if fifo && extras.message_group_id.is_none() {
            extras.message_group_id = Some(fallback_group.to_owned());
        }
        msg.state = MessageState::Active;
        msg.dequeue_count = 0;
        msg.first_dequeue_time = 0;
        msg.next_visible = now;
        // The generation continues, so no handle issued by the source can act on the copy.
        msg.generation = msg.generation.wrapping_add(1);
        self.messages.insert(seq, msg);
        self.index_new(seq);
        self.mark(seq);
    }
}

impl DeadLetter {
    /// A dead letter that was never in a queue: a notification whose push retries ran out
    /// (subscription DLQ), stored under the new sequence number `seq`, enqueued `now`.
    pub(crate) fn from_notification(
        seq: u64,
        body: String,
        group: Option<&str>,
        now: Millis,
    ) -> Self {
        DeadLetter {
            seq,
            msg: StoredMessage {
                md5: crate::engine::ids::body_md5(&body),
                body: body.into_boxed_str(),
                extras: group.map(|g| {
                    Box::new(Extras {
                        message_group_id: Some(g.to_owned()),
                        ..Extras::default()
                    })
                }),
                enqueue_time: now,
                first_dequeue_time: 0,
                next_visible: now,
                dequeue_count: 0,
                generation: 0,
                priority: crate::engine::limits::DEFAULT_PRIORITY,
                state: MessageState::Active,
            },
        }
    }
}
