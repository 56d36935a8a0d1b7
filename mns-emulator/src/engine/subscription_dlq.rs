//! Subscription dead-letter policies (reference mns-openapi-fifo-dlq §5.2): set, read, and the
//! target looked up when a delivery's last retry fails (`delivery.rs`).

use super::subscription::Endpoint;
use super::{Engine, Millis};
use crate::error::MnsError;

impl Engine {
    /// Sets (`Some`) or removes (`None`) a subscription's DLQ policy. The target must be another
    /// queue than the subscription's own endpoint queue and (per
    /// [`super::EngineConfig::dlq_target_must_exist`]) exist.
    pub fn set_subscription_dlq_policy(
        &mut self,
        topic: &str,
        name: &str,
        policy: Option<super::SubscriptionDlqPolicy>,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        if let Some(p) = policy.as_ref().filter(|p| p.enabled) {
            let target = p.dead_letter_target_queue.as_str();
            super::limits::validate_queue_name(target, self.config.max_queue_name_len)?;
            if self.config.dlq_target_must_exist && !self.queue_exists(target) {
                return Err(MnsError::queue_not_exist());
            }
            let own = self.topics.subscription(topic, name)?;
            if matches!(&own.settings.endpoint, Endpoint::Queue { queue, .. } if queue == target) {
                return Err(super::dead_letter::policy_error(
                    &self.config,
                    "A subscription's dead-letter queue cannot be its own endpoint queue.",
                ));
            }
        }
        let s = self.topics.subscription_mut(topic, name)?;
        s.dlq_policy = policy;
        s.last_modify_time = now;
        self.log.subscription(topic, name);
        Ok(())
    }

    /// A subscription's DLQ policy, as set.
    pub fn subscription_dlq_policy(
        &self,
        topic: &str,
        name: &str,
    ) -> Result<Option<super::SubscriptionDlqPolicy>, MnsError> {
        Ok(self.topics.subscription(topic, name)?.dlq_policy.clone())
    }

    /// The target of a subscription's enabled DLQ policy.
    pub(crate) fn subscription_dlq_target(&self, topic: &str, name: &str) -> Option<String> {
        self.topics
            .subscription(topic, name)
            .ok()?
            .dlq_policy
            .as_ref()
            .filter(|p| p.enabled)
            .map(|p| p.dead_letter_target_queue.clone())
    }
}
