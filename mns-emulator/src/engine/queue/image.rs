//! A queue store's messages to and from state-image rows (`engine/image/`).

use super::{Extras, QueueStore, StoredMessage, group_id};
use crate::engine::ids;
use crate::engine::image::{MessageImage, MessageStateImage, PropertyImage};
use crate::engine::types::{MessageState, SystemProperty, UserProperty};

fn state_image(s: MessageState) -> MessageStateImage {
    match s {
        MessageState::Delayed => MessageStateImage::Delayed,
        MessageState::Active => MessageStateImage::Active,
        MessageState::Inactive => MessageStateImage::Inactive,
    }
}

fn state_of(s: MessageStateImage) -> MessageState {
    match s {
        MessageStateImage::Delayed => MessageState::Delayed,
        MessageStateImage::Active => MessageState::Active,
        MessageStateImage::Inactive => MessageState::Inactive,
    }
}

pub(crate) fn user_image(p: &UserProperty) -> PropertyImage {
    PropertyImage {
        name: p.name.clone(),
        value: p.value.clone(),
        value_type: p.value_type.clone(),
    }
}

pub(crate) fn system_image(p: &SystemProperty) -> PropertyImage {
    PropertyImage {
        name: p.name.clone(),
        value: p.value.clone(),
        value_type: p.value_type.clone(),
    }
}

pub(crate) fn user_of(p: &PropertyImage) -> UserProperty {
    UserProperty {
        name: p.name.clone(),
        value: p.value.clone(),
        value_type: p.value_type.clone(),
    }
}

pub(crate) fn system_of(p: &PropertyImage) -> SystemProperty {
    SystemProperty {
        name: p.name.clone(),
        value: p.value.clone(),
        value_type: p.value_type.clone(),
    }
}

impl QueueStore {
    /// The row of message `seq`, if it is stored here.
    pub(crate) fn message_image(&self, seq: u64) -> Option<MessageImage> {
        let msg = self.messages.get(&seq)?;
        let extras = msg.extras.as_deref();
        Some(MessageImage {
            queue: self.name.clone(),
            seq,
            id_seq: extras.and_then(|e| e.id_seq),
            body: msg.body.to_string(),
            state: state_image(msg.state),
            enqueue_time: msg.enqueue_time,
            first_dequeue_time: msg.first_dequeue_time,
            next_visible: msg.next_visible,
            dequeue_count: msg.dequeue_count,
            generation: msg.generation,
            priority: msg.priority,
            message_group_id: group_id(msg).map(str::to_owned),
            user_properties: extras
                .map(|e| e.user_properties.iter().map(user_image).collect())
                .unwrap_or_default(),
            system_properties: extras
                .map(|e| e.system_properties.iter().map(system_image).collect())
                .unwrap_or_default(),
        })
    }

    /// The sequence numbers of every stored message, in send order.
    pub(crate) fn message_seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.messages.keys().copied()
    }

    /// Stores a message row as it was (state, times, generation), indexing it like a live
    /// transition would. The caller has checked the row; call [`QueueStore::finish_restore`]
    /// after the last one.
    pub(crate) fn restore_message(&mut self, m: &MessageImage) {
        let extras = if m.user_properties.is_empty()
            && m.system_properties.is_empty()
            && m.message_group_id.is_none()
            && m.id_seq.is_none()
        {
            None
        } else {
            Some(Box::new(Extras {
                user_properties: m.user_properties.iter().map(user_of).collect(),
                system_properties: m.system_properties.iter().map(system_of).collect(),
                message_group_id: m.message_group_id.clone(),
                id_seq: m.id_seq,
            }))
        };
        let state = state_of(m.state);
        let msg = StoredMessage {
            md5: ids::body_md5(&m.body),
            body: m.body.clone().into_boxed_str(),
            extras,
            enqueue_time: m.enqueue_time,
            first_dequeue_time: m.first_dequeue_time,
            next_visible: m.next_visible,
            dequeue_count: m.dequeue_count,
            generation: m.generation,
            priority: m.priority,
            state,
        };
        let seq = m.seq;
        match state {
            MessageState::Active => {}
            MessageState::Delayed => {
                self.timers.insert((msg.next_visible, seq));
                self.delayed_count += 1;
            }
            MessageState::Inactive => {
                self.timers.insert((msg.next_visible, seq));
                self.inactive_count += 1;
            }
        }
        if self.mode.fifo() {
            self.fifo_restore(seq, &msg);
        } else if state == MessageState::Active {
            self.visible.insert((msg.priority, seq));
        }
        self.messages.insert(seq, msg);
    }

    /// Lists the receivable head of every FIFO group once all rows are restored.
    pub(crate) fn finish_restore(&mut self) {
        self.fifo_relist_all();
    }
}
