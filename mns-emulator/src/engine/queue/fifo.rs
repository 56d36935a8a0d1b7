//! FIFO queues: message groups and the group lock (reference mns-openapi-fifo-dlq §4.3).
//!
//! Each group keeps its stored messages in arrival order (`seqs`) and the number of its messages
//! that are Inactive (received, neither deleted nor timed out). A group is *locked* while that
//! number is non-zero. Only the Active head of an unlocked group is in the store's `visible`
//! set (`listed` remembers its key), so a receive pops the next group head in O(log n) and never
//! looks at blocked messages; every transition re-lists at most one group.

use std::collections::BTreeSet;

use super::{QueueStore, StoredMessage, group_id};
use crate::engine::types::MessageState;
use crate::error::{ErrorCode, MnsError};

/// One message group of a FIFO queue.
#[derive(Debug, Default)]
pub(crate) struct Group {
    /// Stored messages of the group, in arrival order.
    seqs: BTreeSet<u64>,
    /// How many of them are Inactive; the group is locked while this is non-zero.
    inactive: u32,
    /// The `visible` key of the group's head while it is receivable.
    pub(super) listed: Option<(u8, u64)>,
}

impl Group {
    pub(super) fn lock_one(&mut self) {
        self.inactive += 1;
    }
}

impl QueueStore {
    /// Checks a message's `MessageGroupId`: required (non-empty) in a FIFO queue, bounded in
    /// length everywhere.
    pub(super) fn validate_group_id(&self, group: Option<&str>) -> Result<(), MnsError> {
        let group = group.filter(|g| !g.is_empty());
        match group {
            None if self.mode.fifo() => Err(MnsError::new(
                ErrorCode::FifoMissingMessageGroupId,
                "A message sent to a FIFO queue must have a MessageGroupId.",
            )),
            Some(g) if g.chars().count() > self.mode.max_group_id_len => {
                Err(MnsError::invalid_argument(format!(
                    "The MessageGroupId should not be longer than {} characters.",
                    self.mode.max_group_id_len
                )))
            }
            _ => Ok(()),
        }
    }

    /// Re-lists `group`: drops its old `visible` entry and lists its head if the group is
    /// unlocked and the head is Active. Forgets the group once it is empty.
    fn refresh_group(&mut self, group: &str) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if let Some(key) = g.listed.take() {
            self.visible.remove(&key);
        }
        let Some(&head) = g.seqs.first() else {
            self.groups.remove(group);
            return;
        };
        if g.inactive > 0 {
            return;
        }
        if let Some(msg) = self.messages.get(&head)
            && msg.state == MessageState::Active
        {
            let key = QueueStore::visible_key(&self.mode, msg, head);
            self.visible.insert(key);
            g.listed = Some(key);
        }
    }

    /// Adds a just-stored message to its group.
    pub(super) fn fifo_insert(&mut self, seq: u64) {
        let Some(group) = self.messages.get(&seq).and_then(group_id) else {
            return;
        };
        let group = group.to_owned();
        self.groups
            .entry(group.clone())
            .or_default()
            .seqs
            .insert(seq);
        self.refresh_group(&group);
    }

    /// A message of a group became Active (delay over or visibility timeout passed).
    pub(super) fn fifo_became_active(&mut self, seq: u64, was_inactive: bool) {
        let Some(group) = self.messages.get(&seq).and_then(group_id) else {
            return;
        };
        let group = group.to_owned();
        if was_inactive && let Some(g) = self.groups.get_mut(&group) {
            g.inactive = g.inactive.saturating_sub(1);
        }
        self.refresh_group(&group);
    }

    /// A message left the store (deleted, expired or dead-lettered) in state `msg.state`.
    pub(super) fn fifo_remove(&mut self, seq: u64, msg: &StoredMessage) {
        let Some(group) = group_id(msg) else {
            return;
        };
        if let Some(g) = self.groups.get_mut(group) {
            g.seqs.remove(&seq);
            if msg.state == MessageState::Inactive {
                g.inactive = g.inactive.saturating_sub(1);
            }
        }
        self.refresh_group(group);
    }

    /// Adds a restored message to its group (counting it if Inactive), without listing yet.
    pub(super) fn fifo_restore(&mut self, seq: u64, msg: &StoredMessage) {
        let Some(group) = group_id(msg) else {
            return;
        };
        let g = self.groups.entry(group.to_owned()).or_default();
        g.seqs.insert(seq);
        if msg.state == MessageState::Inactive {
            g.inactive += 1;
        }
    }

    /// Re-lists every group (after a restore).
    pub(super) fn fifo_relist_all(&mut self) {
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for name in names {
            self.refresh_group(&name);
        }
    }

    /// Up to `n` Active messages that directly follow `head` in its group (for batch receives
    /// that may take several messages of one group; none when `n` is 0).
    pub(super) fn fifo_followers(&self, head: u64, n: usize) -> Vec<u64> {
        if n == 0 {
            return Vec::new();
        }
        let Some(g) = self
            .messages
            .get(&head)
            .and_then(group_id)
            .and_then(|g| self.groups.get(g))
        else {
            return Vec::new();
        };
        g.seqs
            .range(head + 1..)
            .take(n)
            .take_while(|s| {
                self.messages.get(s).is_some_and(|m| {
                    m.state == MessageState::Active
                        && self.dlq_limit.is_none_or(|limit| m.dequeue_count < limit)
                })
            })
            .copied()
            .collect()
    }

    /// Number of message groups that hold messages (for tests and the scale check).
    pub(crate) fn group_count(&self) -> usize {
        self.groups.len()
    }
}
