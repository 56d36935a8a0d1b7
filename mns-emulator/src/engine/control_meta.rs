//! Per-resource settings that only the control-plane OpenAPI carries (reference
//! mns-openapi-fifo-dlq §3.2): tags, a tenant rate-limit policy and, for topics, the topic type.
//! They live on the queue, topic and subscription records as plain owned values ([`ResourceMeta`],
//! `Clone`), so they are deleted with their resource and can be saved with the rest of the state.
//!
//! A rate-limit policy is stored and reported, not enforced: what the service does when it is
//! exceeded is \[unconfirmed\] (reference §3.2), and throttling receives on a guess would break
//! programs that work on MNS.
//!
//! ```
//! use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, RateLimitPolicy, ResourceTag};
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! engine.create_queue("jobs", QueueAttributesInput::default(), 0).unwrap();
//! engine.set_queue_tags("jobs", vec![ResourceTag::new("env", "test")], 0).unwrap();
//! engine.set_queue_rate_limit("jobs", Some(RateLimitPolicy::per_second(100)), 0).unwrap();
//! let meta = engine.queue_meta("jobs").unwrap();
//! assert_eq!(meta.tags[0].key, "env");
//! assert_eq!(meta.rate_limit.unwrap().max_receives_per_second, Some(100));
//! ```

use super::{CreateOutcome, Engine, Millis, QueueKind, TopicAttributesInput};
use crate::error::MnsError;

/// Most tags on one resource (\[unconfirmed\]: the Alibaba Cloud tag service's usual limit).
pub const MAX_TAGS: usize = 20;
/// Longest tag key, in characters (\[unconfirmed\]: the tag service's usual limit).
pub const MAX_TAG_KEY_LEN: usize = 128;
/// Longest tag value, in characters (\[unconfirmed\]: the tag service's usual limit).
pub const MAX_TAG_VALUE_LEN: usize = 128;

/// One tag of a queue or topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceTag {
    /// The key (unique on a resource).
    pub key: String,
    /// The value (may be empty).
    pub value: String,
}

impl ResourceTag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        ResourceTag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `TenantRateLimitPolicy` of a queue or subscription (stored, not enforced; see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Whether the limit is on.
    pub enabled: bool,
    /// The cap (receives per second for a queue, pushes per second for a subscription).
    pub max_receives_per_second: Option<u32>,
}

impl RateLimitPolicy {
    /// An enabled limit.
    pub fn per_second(max: u32) -> Self {
        RateLimitPolicy {
            enabled: true,
            max_receives_per_second: Some(max),
        }
    }
}

/// Control-plane settings of one queue, topic or subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceMeta {
    /// Tags, in the order given (queues and topics).
    pub tags: Vec<ResourceTag>,
    /// Rate limit (queues and subscriptions).
    pub rate_limit: Option<RateLimitPolicy>,
}

/// Checks a tag list: at most [`MAX_TAGS`], keys non-empty and unique, lengths within bounds
/// (400 `InvalidArgument` otherwise).
pub fn validate_tags(tags: &[ResourceTag]) -> Result<(), MnsError> {
    if tags.len() > MAX_TAGS {
        return Err(MnsError::invalid_argument(format!(
            "A resource has at most {MAX_TAGS} tags."
        )));
    }
    for (i, t) in tags.iter().enumerate() {
        let key_len = t.key.chars().count();
        if key_len == 0 || key_len > MAX_TAG_KEY_LEN {
            return Err(MnsError::out_of_range(
                "Tag.Key length",
                1,
                MAX_TAG_KEY_LEN,
                "",
            ));
        }
        if t.value.chars().count() > MAX_TAG_VALUE_LEN {
            return Err(MnsError::out_of_range(
                "Tag.Value length",
                0,
                MAX_TAG_VALUE_LEN,
                "",
            ));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(MnsError::invalid_argument(format!(
                "The tag key \"{}\" is given twice.",
                t.key
            )));
        }
    }
    Ok(())
}

impl Engine {
    /// A queue's control-plane settings.
    pub fn queue_meta(&self, name: &str) -> Result<ResourceMeta, MnsError> {
        self.queues
            .get(name)
            .map(|q| q.lock().meta.clone())
            .ok_or_else(MnsError::queue_not_exist)
    }

    /// Replaces a queue's tags.
    pub fn set_queue_tags(
        &mut self,
        name: &str,
        tags: Vec<ResourceTag>,
        now: Millis,
    ) -> Result<(), MnsError> {
        validate_tags(&tags)?;
        let now = self.observe(now);
        let q = self
            .queues
            .get_mut(name)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut();
        q.meta.tags = tags;
        q.last_modify_time = now;
        self.queue_meta_changed(name);
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) a queue's rate limit.
    pub fn set_queue_rate_limit(
        &mut self,
        name: &str,
        policy: Option<RateLimitPolicy>,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        let q = self
            .queues
            .get_mut(name)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut();
        q.meta.rate_limit = policy;
        q.last_modify_time = now;
        self.queue_meta_changed(name);
        Ok(())
    }

    /// `CreateTopic` with a type: an existing topic of another type is 409 `TopicAlreadyExist`.
    pub fn create_topic_with(
        &mut self,
        name: &str,
        attrs: TopicAttributesInput,
        kind: QueueKind,
        now: Millis,
    ) -> Result<CreateOutcome, MnsError> {
        if self.topics.topics.get(name).is_some_and(|t| t.kind != kind) {
            return Err(MnsError::topic_already_exist());
        }
        let outcome = self.create_topic(name, attrs, now)?;
        if let Some(t) = self.topics.topics.get_mut(name) {
            t.kind = kind;
            self.log.topic(name);
        }
        Ok(outcome)
    }

    /// A topic's type (`normal` unless created as FIFO through the control plane).
    pub fn topic_kind(&self, name: &str) -> Result<QueueKind, MnsError> {
        self.topics
            .topics
            .get(name)
            .map(|t| t.kind)
            .ok_or_else(MnsError::topic_not_exist)
    }

    /// A topic's control-plane settings.
    pub fn topic_meta(&self, name: &str) -> Result<ResourceMeta, MnsError> {
        self.topics
            .topics
            .get(name)
            .map(|t| t.meta.clone())
            .ok_or_else(MnsError::topic_not_exist)
    }

    /// Replaces a topic's tags.
    pub fn set_topic_tags(
        &mut self,
        name: &str,
        tags: Vec<ResourceTag>,
        now: Millis,
    ) -> Result<(), MnsError> {
        validate_tags(&tags)?;
        let now = self.observe(now);
        let t = self.topic_mut(name)?;
        t.meta.tags = tags;
        t.last_modify_time = now;
        self.log.topic(name);
        Ok(())
    }

    /// A subscription's control-plane settings.
    pub fn subscription_meta(&self, topic: &str, name: &str) -> Result<ResourceMeta, MnsError> {
        Ok(self.topics.subscription(topic, name)?.meta.clone())
    }

    /// Sets (`Some`) or removes (`None`) a subscription's rate limit.
    pub fn set_subscription_rate_limit(
        &mut self,
        topic: &str,
        name: &str,
        policy: Option<RateLimitPolicy>,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        let s = self.topics.subscription_mut(topic, name)?;
        s.meta.rate_limit = policy;
        s.last_modify_time = now;
        self.log.subscription(topic, name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineConfig, PublishMessageInput};

    #[test]
    fn bad_tags_change_nothing() {
        let mut e = Engine::new(EngineConfig::default());
        e.create_queue("q", Default::default(), 0).unwrap();
        e.set_queue_tags("q", vec![ResourceTag::new("a", "1")], 0)
            .unwrap();
        for bad in [
            vec![ResourceTag::new("", "x")],
            vec![ResourceTag::new("k", "1"), ResourceTag::new("k", "2")],
            (0..=MAX_TAGS)
                .map(|i| ResourceTag::new(format!("k{i}"), ""))
                .collect(),
        ] {
            assert!(e.set_queue_tags("q", bad, 0).is_err());
        }
        assert_eq!(
            e.queue_meta("q").unwrap().tags,
            vec![ResourceTag::new("a", "1")]
        );
    }

    #[test]
    fn fifo_topics_keep_their_type_and_need_a_group_id() {
        let mut e = Engine::new(EngineConfig::default());
        e.create_topic_with("t", Default::default(), QueueKind::Fifo, 0)
            .unwrap();
        assert_eq!(e.topic_kind("t").unwrap(), QueueKind::Fifo);
        assert!(
            e.create_topic_with("t", Default::default(), QueueKind::Normal, 0)
                .is_err()
        );
        let err = e
            .publish_message("t", PublishMessageInput::new("x"), 0)
            .unwrap_err();
        assert_eq!(err.code().as_str(), "FifoMissingMessageGroupId");
        let mut grouped = PublishMessageInput::new("x");
        grouped.message_group_id = Some("g".into());
        e.publish_message("t", grouped, 0).unwrap();
    }
}
