//! Resetting one queue or topic without deleting it (the admin API's `reset`): tests that share
//! one emulator start each case from empty resources with their settings intact.

use super::{Engine, Millis};
use crate::error::MnsError;

impl Engine {
    /// Removes every message of `queue` (visible, in flight, delayed); the queue keeps its
    /// attributes, kind and DLQ policy, and receipt handles issued before stop working. Returns
    /// how many messages were removed; 404 `QueueNotExist` changes nothing.
    pub fn purge_queue(&mut self, queue: &str, now: Millis) -> Result<usize, MnsError> {
        let now = self.observe(now);
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?;
        let removed = q.purge();
        self.log.queue(queue);
        Ok(removed)
    }

    /// Drops every pending delivery of `topic` (logged as dropped, reason "reset"); the topic and
    /// its subscriptions stay. 404 `TopicNotExist` changes nothing.
    pub fn purge_topic(&mut self, topic: &str, now: Millis) -> Result<(), MnsError> {
        let now = self.observe(now);
        if !self.topic_exists(topic) {
            return Err(MnsError::topic_not_exist());
        }
        self.topics.deliveries.drop_where(
            |d| d.topic == topic,
            "the topic was reset through the admin API",
            now,
        );
        Ok(())
    }
}
