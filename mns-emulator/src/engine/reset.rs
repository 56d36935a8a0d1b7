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
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut();
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

impl Engine {
    /// An empty engine with these settings that continues this one's message sequence numbers
    /// (the admin API's full reset). Message ids and receipt handles derive from the seed and the
    /// sequence number, so with a fixed [`EngineConfig::seed`](super::EngineConfig::seed) a
    /// restart from 0 would issue the same ids again and a handle received before the reset
    /// would delete a message sent after it.
    pub fn empty_successor(&self) -> Engine {
        let mut fresh = Engine::new(self.config.clone());
        *fresh.next_seq.get_mut() = self.next_seq();
        fresh
    }
}
