//! State image → engine, checking that the image is consistent first.
//!
//! Every row is checked before it is used (ranges, names, references between rows, duplicate
//! keys), so a corrupt or hand-edited image is refused with [`ImageError::Inconsistent`] naming
//! the row, never half-loaded. A DLQ policy naming a missing queue is accepted: the live engine
//! holds such policies too (the target was deleted after the policy was set), and then moves
//! nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::{
    DeliveryImage, DlqPolicyImage, ImageError, QueueImage, QueueKindImage, StateImage,
    SubscriptionImage, TopicImage, check_version,
};
use crate::engine::delivery::{Delivery, Forwarded};
use crate::engine::notify_format::NotificationFields;
use crate::engine::queue::{QueueSettings, QueueStore, StoreMode, system_of, user_of};
use crate::engine::shared_queue::QueueCell;
use crate::engine::subscription::{
    Endpoint, NotifyContentFormat, NotifyStrategy, SubscriptionSettings, SubscriptionStore,
    resolve_filter_tag,
};
use crate::engine::topic::{TopicSettings, TopicStore};
use crate::engine::{
    Engine, EngineConfig, QueueDlqPolicy, QueueKind, SubscriptionDlqPolicy, limits,
    validate_subscription_name, validate_topic_name,
};
use crate::error::MnsError;

pub(crate) fn bad(what: impl std::fmt::Display) -> ImageError {
    ImageError::Inconsistent(what.to_string())
}

/// Wraps an engine validation error with the row it was found in.
fn in_row<T>(row: &str, r: Result<T, MnsError>) -> Result<T, ImageError> {
    r.map_err(|e| bad(format!("{row}: {e}")))
}

fn queue_kind(kind: QueueKindImage) -> QueueKind {
    match kind {
        QueueKindImage::Normal => QueueKind::Normal,
        QueueKindImage::Fifo => QueueKind::Fifo,
    }
}

fn queue_store(config: &EngineConfig, q: &QueueImage) -> Result<QueueStore, ImageError> {
    let row = format!("queue {:?}", q.name);
    in_row(
        &row,
        limits::validate_queue_name(&q.name, config.max_queue_name_len),
    )?;
    let settings = QueueSettings {
        delay_seconds: in_row(&row, limits::validate_delay_seconds(q.delay_seconds.into()))?,
        maximum_message_size: in_row(
            &row,
            limits::validate_maximum_message_size(q.maximum_message_size.into()),
        )?,
        message_retention_period: in_row(
            &row,
            limits::validate_retention_period(
                q.message_retention_period.into(),
                config
                    .max_retention_seconds
                    .max(limits::LEGACY_MAX_RETENTION_SECONDS),
            ),
        )?,
        visibility_timeout: in_row(
            &row,
            limits::validate_visibility_timeout(q.visibility_timeout.into()),
        )?,
        polling_wait_seconds: in_row(
            &row,
            limits::validate_polling_wait_seconds(q.polling_wait_seconds.into()),
        )?,
        logging_enabled: q.logging_enabled,
    };
    let kind = queue_kind(q.kind);
    let mut store = QueueStore::new(
        q.name.clone(),
        settings,
        StoreMode::new(kind, config),
        q.create_time,
    );
    store.last_modify_time = q.last_modify_time;
    store.meta = q.meta.to_meta(&row)?;
    store.dlq_policy = match &q.dlq_policy {
        None => None,
        Some(p) => {
            policy_target(&row, config, p)?;
            if p.max_receive_count == 0 {
                return Err(bad(format!("{row}: a DLQ MaxReceiveCount of 0")));
            }
            Some(QueueDlqPolicy {
                enabled: p.enabled,
                dead_letter_target_queue: p.target.clone(),
                max_receive_count: p.max_receive_count,
            })
        }
    };
    Ok(store)
}

fn policy_target(row: &str, config: &EngineConfig, p: &DlqPolicyImage) -> Result<(), ImageError> {
    in_row(
        row,
        limits::validate_queue_name(&p.target, config.max_queue_name_len),
    )
}

fn topic_store(t: &TopicImage) -> Result<TopicStore, ImageError> {
    let row = format!("topic {:?}", t.name);
    in_row(&row, validate_topic_name(&t.name))?;
    Ok(TopicStore {
        settings: TopicSettings {
            maximum_message_size: in_row(
                &row,
                limits::validate_maximum_message_size(t.maximum_message_size.into()),
            )?,
            logging_enabled: t.logging_enabled,
        },
        create_time: t.create_time,
        last_modify_time: t.last_modify_time,
        subscriptions: BTreeMap::new(),
        kind: queue_kind(t.kind),
        meta: t.meta.to_meta(&row)?,
    })
}

fn subscription_store(
    config: &EngineConfig,
    s: &SubscriptionImage,
) -> Result<SubscriptionStore, ImageError> {
    let row = format!("subscription {:?} of topic {:?}", s.name, s.topic);
    in_row(&row, validate_subscription_name(&s.name))?;
    let dlq_policy = match &s.dlq_policy {
        None => None,
        Some(p) => {
            policy_target(&row, config, p)?;
            Some(SubscriptionDlqPolicy {
                enabled: p.enabled,
                dead_letter_target_queue: p.target.clone(),
            })
        }
    };
    Ok(SubscriptionStore {
        settings: SubscriptionSettings {
            endpoint: in_row(&row, Endpoint::parse(&s.endpoint))?,
            filter_tag: in_row(&row, resolve_filter_tag(s.filter_tag.as_deref()))?,
            notify_strategy: in_row(&row, NotifyStrategy::parse(&s.notify_strategy))?,
            notify_content_format: in_row(
                &row,
                NotifyContentFormat::parse(&s.notify_content_format),
            )?,
        },
        dlq_policy,
        create_time: s.create_time,
        last_modify_time: s.last_modify_time,
        meta: s.meta.to_meta(&row)?,
    })
}

fn delivery(d: &DeliveryImage) -> Result<Delivery, ImageError> {
    let row = format!("delivery {}", d.id);
    Ok(Delivery {
        id: d.id,
        topic: d.topic.clone(),
        subscription: d.subscription.clone(),
        endpoint: in_row(&row, Endpoint::parse(&d.endpoint))?,
        format: in_row(&row, NotifyContentFormat::parse(&d.notify_content_format))?,
        strategy: in_row(&row, NotifyStrategy::parse(&d.notify_strategy))?,
        fields: NotificationFields {
            topic_owner: d.topic_owner.clone(),
            topic_name: d.topic.clone(),
            subscriber: d.subscriber.clone(),
            subscription_name: d.subscription.clone(),
            message_id: d.message_id.clone(),
            message: d.message.clone(),
            message_md5: d.message_md5.clone(),
            message_tag: d.message_tag.clone(),
            publish_time: d.publish_time,
        },
        body: d.body.clone(),
        message_attributes: d.message_attributes.clone(),
        forwarded: d.forwarded.as_ref().map(|f| {
            Box::new(Forwarded {
                user_properties: f.user_properties.iter().map(user_of).collect(),
                system_properties: f.system_properties.iter().map(system_of).collect(),
                message_group_id: f.message_group_id.clone(),
            })
        }),
        attempts: d.attempts,
        next_due: d.next_due,
        expires_at: d.expires_at,
    })
}

impl Engine {
    /// Builds the engine an image describes (see [`crate::engine::image`]), with `config`'s
    /// settings except the seed, which is the image's (so the receipt handles and message ids
    /// issued before stay valid).
    ///
    /// Another format version is [`ImageError::UnsupportedVersion`]; an image whose parts
    /// contradict each other is [`ImageError::Inconsistent`]. Nothing is built on error.
    pub fn from_image(config: EngineConfig, image: StateImage) -> Result<Engine, ImageError> {
        check_version(image.format_version)?;
        let g = &image.globals;
        let config = EngineConfig {
            seed: Some(g.seed),
            ..config
        };
        let mut engine = Engine::new(config);
        *engine.next_seq.get_mut() = g.next_seq;
        *engine.high_water.get_mut() = g.high_water;
        engine.topics.account_id.clone_from(&g.account_id);
        engine.topics.region.clone_from(&g.region);
        engine.topics.deliveries.next_id = g.next_delivery_id;
        engine.topics.deliveries.rng = g.delivery_rng;
        engine.account.clone_from(&g.account);
        for (name, at) in &g.deleted_recently {
            if engine.deleted_recently.insert(name.clone(), *at).is_some() {
                return Err(bad(format!("queue {name:?} is deleted twice")));
            }
        }
        for q in &image.queues {
            let store = queue_store(&engine.config, q)?;
            if engine
                .queues
                .insert(q.name.clone(), QueueCell::new(store))
                .is_some()
            {
                return Err(bad(format!("queue {:?} appears twice", q.name)));
            }
        }
        engine.restore_messages(&image)?;
        let names: Vec<String> = engine.queues.keys().cloned().collect();
        for name in &names {
            if let Some(q) = engine.queues.get_mut(name) {
                q.get_mut().finish_restore();
            }
            engine.sync_dlq_source(name);
        }
        for t in &image.topics {
            let store = topic_store(t)?;
            if engine.topics.topics.insert(t.name.clone(), store).is_some() {
                return Err(bad(format!("topic {:?} appears twice", t.name)));
            }
        }
        for s in &image.subscriptions {
            let store = subscription_store(&engine.config, s)?;
            let topic = engine.topics.topics.get_mut(&s.topic).ok_or_else(|| {
                bad(format!(
                    "subscription {:?} belongs to the missing topic {:?}",
                    s.name, s.topic
                ))
            })?;
            if topic.subscriptions.insert(s.name.clone(), store).is_some() {
                return Err(bad(format!(
                    "subscription {:?} of topic {:?} appears twice",
                    s.name, s.topic
                )));
            }
        }
        engine.restore_deliveries(&image)?;
        Ok(engine)
    }

    fn restore_messages(&mut self, image: &StateImage) -> Result<(), ImageError> {
        let mut seqs = HashSet::with_capacity(image.messages.len());
        let next_seq = self.next_seq();
        for m in &image.messages {
            let row = format!("message {} of queue {:?}", m.seq, m.queue);
            if m.seq >= next_seq || m.id_seq.is_some_and(|s| s >= next_seq) {
                return Err(bad(format!(
                    "{row}: sequence number not below next_seq {next_seq}"
                )));
            }
            if !seqs.insert(m.seq) {
                return Err(bad(format!("{row}: sequence number used twice")));
            }
            in_row(&row, limits::validate_priority(m.priority.into()))?;
            if m.state == super::MessageStateImage::Inactive && m.dequeue_count == 0 {
                return Err(bad(format!("{row}: inactive but never received")));
            }
            if m.body.is_empty() {
                return Err(bad(format!("{row}: empty body")));
            }
            let q = self
                .queues
                .get_mut(&m.queue)
                .ok_or_else(|| bad(format!("{row}: no such queue")))?
                .get_mut();
            let group = m.message_group_id.as_deref().filter(|g| !g.is_empty());
            if q.mode.kind == QueueKind::Fifo && group.is_none() {
                return Err(bad(format!("{row}: a FIFO message without a group id")));
            }
            if m.message_group_id.is_some() && group.is_none() {
                return Err(bad(format!("{row}: an empty group id")));
            }
            q.restore_message(m);
        }
        Ok(())
    }

    fn restore_deliveries(&mut self, image: &StateImage) -> Result<(), ImageError> {
        let mut ids = BTreeSet::new();
        for d in &image.deliveries {
            if d.id >= self.topics.deliveries.next_id || !ids.insert(d.id) {
                return Err(bad(format!(
                    "delivery {}: id used twice or not below next_delivery_id",
                    d.id
                )));
            }
            if self.topics.subscription(&d.topic, &d.subscription).is_err() {
                return Err(bad(format!(
                    "delivery {}: subscription {:?} of topic {:?} does not exist",
                    d.id, d.subscription, d.topic
                )));
            }
            let delivery = delivery(d)?;
            let q = &mut self.topics.deliveries;
            q.due.insert((delivery.next_due, delivery.id));
            q.pending.insert(delivery.id, delivery);
        }
        Ok(())
    }
}
