//! Engine → state image: the whole image, or one row at a time (for the data directory).

use super::{
    DeliveryImage, DlqPolicyImage, ForwardedImage, GlobalsImage, MessageImage, MetaImage,
    QueueImage, QueueKindImage, STATE_FORMAT_VERSION, StateImage, SubscriptionImage, TopicImage,
};
use crate::engine::delivery::Delivery;
use crate::engine::queue::{QueueStore, system_image, user_image};
use crate::engine::{Engine, QueueDlqPolicy, QueueKind, SubscriptionDlqPolicy};

fn queue_policy(p: &QueueDlqPolicy) -> DlqPolicyImage {
    DlqPolicyImage {
        enabled: p.enabled,
        target: p.dead_letter_target_queue.clone(),
        max_receive_count: p.max_receive_count,
    }
}

fn subscription_policy(p: &SubscriptionDlqPolicy) -> DlqPolicyImage {
    DlqPolicyImage {
        enabled: p.enabled,
        target: p.dead_letter_target_queue.clone(),
        max_receive_count: 0,
    }
}

pub(crate) fn queue_row(q: &QueueStore) -> QueueImage {
    let s = &q.settings;
    QueueImage {
        name: q.name.clone(),
        kind: kind_row(q.mode.kind),
        delay_seconds: s.delay_seconds,
        maximum_message_size: s.maximum_message_size,
        message_retention_period: s.message_retention_period,
        visibility_timeout: s.visibility_timeout,
        polling_wait_seconds: s.polling_wait_seconds,
        logging_enabled: s.logging_enabled,
        create_time: q.create_time,
        last_modify_time: q.last_modify_time,
        dlq_policy: q.dlq_policy.as_ref().map(queue_policy),
        meta: MetaImage::of(&q.meta),
    }
}

fn kind_row(kind: QueueKind) -> QueueKindImage {
    match kind {
        QueueKind::Normal => QueueKindImage::Normal,
        QueueKind::Fifo => QueueKindImage::Fifo,
    }
}

/// A pending delivery's row. One in flight is written as due again with its attempt uncounted:
/// its result can no longer reach an engine built from the image.
fn delivery_row(d: &Delivery, in_flight: bool) -> DeliveryImage {
    let f = &d.fields;
    DeliveryImage {
        id: d.id,
        topic: d.topic.clone(),
        subscription: d.subscription.clone(),
        endpoint: d.endpoint.as_str(),
        notify_content_format: d.format.as_str().to_owned(),
        notify_strategy: d.strategy.as_str().to_owned(),
        topic_owner: f.topic_owner.clone(),
        subscriber: f.subscriber.clone(),
        message_id: f.message_id.clone(),
        message: f.message.clone(),
        message_md5: f.message_md5.clone(),
        message_tag: f.message_tag.clone(),
        publish_time: f.publish_time,
        body: d.body.clone(),
        message_attributes: d.message_attributes.clone(),
        forwarded: d.forwarded.as_deref().map(|fw| ForwardedImage {
            user_properties: fw.user_properties.iter().map(user_image).collect(),
            system_properties: fw.system_properties.iter().map(system_image).collect(),
            message_group_id: fw.message_group_id.clone(),
        }),
        attempts: if in_flight {
            d.attempts.saturating_sub(1)
        } else {
            d.attempts
        },
        next_due: d.next_due,
        expires_at: d.expires_at,
    }
}

impl Engine {
    /// The complete state as a [`StateImage`] (see [`crate::engine::image`]). Taking it changes
    /// nothing; [`Engine::from_image`] builds an engine that behaves exactly like this one.
    pub fn export_image(&self) -> StateImage {
        let mut messages = Vec::new();
        for q in self.queues.values() {
            let q = q.lock();
            messages.extend(q.message_seqs().filter_map(|seq| q.message_image(seq)));
        }
        let mut subscriptions = Vec::new();
        for (topic, t) in &self.topics.topics {
            for name in t.subscriptions.keys() {
                subscriptions.extend(self.subscription_image(topic, name));
            }
        }
        StateImage {
            format_version: STATE_FORMAT_VERSION,
            globals: self.globals_image(),
            queues: self.queues.values().map(|q| queue_row(&q.lock())).collect(),
            messages,
            topics: self
                .topics
                .topics
                .keys()
                .filter_map(|name| self.topic_image(name))
                .collect(),
            subscriptions,
            deliveries: self
                .topics
                .deliveries
                .pending
                .keys()
                .filter_map(|&id| self.delivery_image(id))
                .collect(),
        }
    }

    /// The engine-wide row of the image.
    pub fn globals_image(&self) -> GlobalsImage {
        let mut deleted_recently: Vec<(String, u64)> = self
            .deleted_recently
            .iter()
            .map(|(name, &at)| (name.clone(), at))
            .collect();
        deleted_recently.sort();
        GlobalsImage {
            seed: self.seed,
            next_seq: self.next_seq(),
            high_water: self.now(),
            account_id: self.topics.account_id.clone(),
            region: self.topics.region.clone(),
            deleted_recently,
            next_delivery_id: self.topics.deliveries.next_id,
            delivery_rng: self.topics.deliveries.rng,
            account: self.account.clone(),
        }
    }

    /// The row of queue `name` (without messages), if it exists.
    pub fn queue_image(&self, name: &str) -> Option<QueueImage> {
        self.queues.get(name).map(|q| queue_row(&q.lock()))
    }

    /// The row of message `seq` of queue `queue`, if it is stored there.
    pub fn message_image(&self, queue: &str, seq: u64) -> Option<MessageImage> {
        self.queues.get(queue)?.lock().message_image(seq)
    }

    /// The row of topic `name` (without subscriptions), if it exists.
    pub fn topic_image(&self, name: &str) -> Option<TopicImage> {
        let t = self.topics.topics.get(name)?;
        Some(TopicImage {
            name: name.to_owned(),
            maximum_message_size: t.settings.maximum_message_size,
            logging_enabled: t.settings.logging_enabled,
            create_time: t.create_time,
            last_modify_time: t.last_modify_time,
            kind: kind_row(t.kind),
            meta: MetaImage::of(&t.meta),
        })
    }

    /// The row of subscription `name` of `topic`, if it exists.
    pub fn subscription_image(&self, topic: &str, name: &str) -> Option<SubscriptionImage> {
        let s = self.topics.subscription(topic, name).ok()?;
        Some(SubscriptionImage {
            topic: topic.to_owned(),
            name: name.to_owned(),
            endpoint: s.settings.endpoint.as_str(),
            filter_tag: s.settings.filter_tag.clone(),
            notify_strategy: s.settings.notify_strategy.as_str().to_owned(),
            notify_content_format: s.settings.notify_content_format.as_str().to_owned(),
            create_time: s.create_time,
            last_modify_time: s.last_modify_time,
            dlq_policy: s.dlq_policy.as_ref().map(subscription_policy),
            meta: MetaImage::of(&s.meta),
        })
    }

    /// The row of pending delivery `id`, if it is still pending.
    pub fn delivery_image(&self, id: u64) -> Option<DeliveryImage> {
        let q = &self.topics.deliveries;
        let d = q.pending.get(&id)?;
        Some(delivery_row(d, q.in_flight.contains(&id)))
    }
}
