//! Subscription operations on the engine: `Subscribe`, `Unsubscribe`, get/set attributes and
//! `ListSubscriptionByTopic` (reference §3.2-§3.5). The subscription types are in
//! `subscription.rs`, topics and publishing in `topic.rs`.

use super::subscription::{
    Endpoint, SubscribeInput, SubscriptionAttributes, SubscriptionSettings, SubscriptionStore,
    SubscriptionUpdate, resolve_filter_tag,
};
use super::topic::{SubscriptionPage, validate_subscription_name};
use super::types::ListRequest;
use super::{CreateOutcome, Engine, Millis};
use crate::error::{ErrorCode, MnsError};

impl Engine {
    fn subscription_attributes(
        &self,
        topic: &str,
        name: &str,
        s: &SubscriptionStore,
    ) -> SubscriptionAttributes {
        SubscriptionAttributes {
            name: name.to_owned(),
            topic_name: topic.to_owned(),
            topic_owner: self.topics.account_id.clone(),
            subscriber: self.topics.account_id.clone(),
            endpoint: s.settings.endpoint.clone(),
            notify_strategy: s.settings.notify_strategy,
            notify_content_format: s.settings.notify_content_format,
            filter_tag: s.settings.filter_tag.clone(),
            create_time: s.create_time / 1000,
            last_modify_time: s.last_modify_time / 1000,
        }
    }

    /// `Subscribe`: [`CreateOutcome::Created`] (201), [`CreateOutcome::Existed`] when the same
    /// subscription exists (204), 409 `SubscriptionAlreadyExist` when it differs. Queue endpoints
    /// must name this emulator's region and account (else 400 `EndpointInvalid`).
    pub fn subscribe(
        &mut self,
        topic: &str,
        name: &str,
        input: SubscribeInput,
        now: Millis,
    ) -> Result<CreateOutcome, MnsError> {
        validate_subscription_name(name)?;
        let settings = SubscriptionSettings::resolve(&input)?;
        if let Endpoint::Queue {
            region, account_id, ..
        } = &settings.endpoint
            && (*region != self.topics.region || *account_id != self.topics.account_id)
        {
            return Err(MnsError::new(
                ErrorCode::EndpointInvalid,
                format!(
                    "The endpoint you provided is invalid: a queue endpoint must be in region {} and account {}.",
                    self.topics.region, self.topics.account_id
                ),
            ));
        }
        let now = self.observe(now);
        let t = self.topic_mut(topic)?;
        if let Some(existing) = t.subscriptions.get(name) {
            return if existing.settings == settings {
                Ok(CreateOutcome::Existed)
            } else {
                Err(MnsError::subscription_already_exist())
            };
        }
        t.subscriptions.insert(
            name.to_owned(),
            SubscriptionStore {
                settings,
                dlq_policy: None,
                meta: super::ResourceMeta::default(),
                create_time: now,
                last_modify_time: now,
            },
        );
        self.log.subscription(topic, name);
        Ok(CreateOutcome::Created)
    }

    /// `SetSubscriptionAttributes`: `NotifyStrategy` and `FilterTag` (an empty tag clears it).
    pub fn set_subscription_attributes(
        &mut self,
        topic: &str,
        name: &str,
        update: SubscriptionUpdate,
        now: Millis,
    ) -> Result<(), MnsError> {
        let strategy = match update.notify_strategy.as_deref() {
            Some(s) if !s.trim().is_empty() => Some(super::subscription::NotifyStrategy::parse(s)?),
            _ => None,
        };
        let filter_tag = match update.filter_tag.as_deref() {
            Some(t) => Some(resolve_filter_tag(Some(t))?),
            None => None,
        };
        let now = self.observe(now);
        let s = self
            .topic_mut(topic)?
            .subscriptions
            .get_mut(name)
            .ok_or_else(MnsError::subscription_not_exist)?;
        if let Some(strategy) = strategy {
            s.settings.notify_strategy = strategy;
        }
        if let Some(tag) = filter_tag {
            s.settings.filter_tag = tag;
        }
        s.last_modify_time = now;
        self.log.subscription(topic, name);
        Ok(())
    }

    /// `GetSubscriptionAttributes`.
    pub fn get_subscription_attributes(
        &self,
        topic: &str,
        name: &str,
    ) -> Result<SubscriptionAttributes, MnsError> {
        let t = self
            .topics
            .topics
            .get(topic)
            .ok_or_else(MnsError::topic_not_exist)?;
        let s = t
            .subscriptions
            .get(name)
            .ok_or_else(MnsError::subscription_not_exist)?;
        Ok(self.subscription_attributes(topic, name, s))
    }

    /// `Unsubscribe`: removes the subscription and drops its pending deliveries. A missing
    /// subscription is success; a missing topic is 404 `TopicNotExist`.
    pub fn unsubscribe(&mut self, topic: &str, name: &str, now: Millis) -> Result<(), MnsError> {
        let now = self.observe(now);
        let t = self.topic_mut(topic)?;
        if t.subscriptions.remove(name).is_some() {
            self.log.subscription(topic, name);
            self.topics.deliveries.drop_where(
                |d| d.topic == topic && d.subscription == name,
                "the subscription was deleted",
                now,
            );
        }
        Ok(())
    }

    /// `ListSubscriptionByTopic`: the topic's subscriptions sorted by name, filtered by prefix.
    pub fn list_subscriptions(
        &mut self,
        topic: &str,
        req: ListRequest,
        now: Millis,
    ) -> Result<SubscriptionPage, MnsError> {
        self.observe(now);
        let t = self
            .topics
            .topics
            .get(topic)
            .ok_or_else(MnsError::topic_not_exist)?;
        let (items, next_marker) = super::list_page(&t.subscriptions, &req)?;
        let subscriptions = items
            .into_iter()
            .map(|(n, s)| self.subscription_attributes(topic, n, s))
            .collect();
        Ok(SubscriptionPage {
            subscriptions,
            next_marker,
        })
    }
}
