//! Read-only views of the engine for the admin API, the dashboard and the metrics: queues with
//! their counts, every message of a queue in every state, topics with subscriptions, the
//! delivery log. Nothing here takes or changes a message (reading applies what the clock
//! already made happen, e.g. retention, exactly as any MNS request would).

use serde::Serialize;

use crate::engine::{
    AttemptOutcome, DeliveryAttempt, DeliveryRecord, Engine, ListRequest, MessageSnapshot,
    MessageState, Millis, QueueAttributes, SubscriptionAttributes, TopicAttributes,
};
use crate::error::MnsError;

/// Every item of a listing, following its markers: `page` answers one page (its items and the
/// next page's marker), or `None` when the listing fails (the items so far are kept).
fn all_pages<T>(mut page: impl FnMut(ListRequest) -> Option<(Vec<T>, Option<String>)>) -> Vec<T> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let req = ListRequest {
            marker: marker.take(),
            ..ListRequest::default()
        };
        let Some((items, next)) = page(req) else {
            break;
        };
        out.extend(items);
        match next {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    out
}

/// Every queue's attributes (all pages of `ListQueue`), by name.
pub(crate) fn all_queue_attributes(engine: &mut Engine, now: Millis) -> Vec<QueueAttributes> {
    all_pages(|req| {
        let page = engine.list_queues(req, now).ok()?;
        Some((page.queues, page.next_marker))
    })
}

fn all_topics(engine: &mut Engine, now: Millis) -> Vec<TopicAttributes> {
    all_pages(|req| {
        let page = engine.list_topics(req, now).ok()?;
        Some((page.topics, page.next_marker))
    })
}

fn all_subscriptions(engine: &mut Engine, topic: &str, now: Millis) -> Vec<SubscriptionAttributes> {
    all_pages(|req| {
        let page = engine.list_subscriptions(topic, req, now).ok()?;
        Some((page.subscriptions, page.next_marker))
    })
}

/// A DLQ policy as the admin API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct DlqView {
    enabled: bool,
    dead_letter_target_queue: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_receive_count: Option<u32>,
}

/// One queue with its message counts.
#[derive(Debug, Serialize)]
pub(crate) struct QueueView {
    name: String,
    kind: &'static str,
    active: u64,
    inactive: u64,
    delayed: u64,
    delay_seconds: u32,
    visibility_timeout: u32,
    message_retention_period: u32,
    maximum_message_size: u32,
    polling_wait_seconds: u32,
    dlq_policy: Option<DlqView>,
}

pub(crate) fn queues(engine: &mut Engine, now: Millis) -> Vec<QueueView> {
    all_queue_attributes(engine, now)
        .into_iter()
        .map(|q| QueueView {
            kind: engine.queue_kind(&q.name).map_or("normal", |k| k.as_str()),
            dlq_policy: engine
                .queue_dlq_policy(&q.name)
                .ok()
                .flatten()
                .map(|p| DlqView {
                    enabled: p.enabled,
                    dead_letter_target_queue: p.dead_letter_target_queue,
                    max_receive_count: Some(p.max_receive_count),
                }),
            active: q.active_messages,
            inactive: q.inactive_messages,
            delayed: q.delay_messages,
            delay_seconds: q.delay_seconds,
            visibility_timeout: q.visibility_timeout,
            message_retention_period: q.message_retention_period,
            maximum_message_size: q.maximum_message_size,
            polling_wait_seconds: q.polling_wait_seconds,
            name: q.name,
        })
        .collect()
}

/// One stored message in any state.
#[derive(Debug, Serialize)]
pub(crate) struct MessageView {
    message_id: String,
    /// `visible`, `in_flight` or `delayed`.
    state: &'static str,
    body: String,
    body_md5: String,
    priority: u8,
    dequeue_count: u32,
    enqueue_time_ms: Millis,
    first_dequeue_time_ms: Millis,
    next_visible_time_ms: Millis,
    expires_at_ms: Millis,
    receipt_handle: Option<String>,
    message_group_id: Option<String>,
    user_properties: Vec<PropertyView>,
    system_properties: Vec<PropertyView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PropertyView {
    name: String,
    value: String,
    #[serde(rename = "type")]
    value_type: String,
}

fn state_name(state: MessageState) -> &'static str {
    match state {
        MessageState::Active => "visible",
        MessageState::Inactive => "in_flight",
        MessageState::Delayed => "delayed",
    }
}

impl From<MessageSnapshot> for MessageView {
    fn from(m: MessageSnapshot) -> Self {
        MessageView {
            message_id: m.message_id,
            state: state_name(m.state),
            body: m.body,
            body_md5: m.body_md5,
            priority: m.priority,
            dequeue_count: m.dequeue_count,
            enqueue_time_ms: m.enqueue_time,
            first_dequeue_time_ms: m.first_dequeue_time,
            next_visible_time_ms: m.next_visible_time,
            expires_at_ms: m.expires_at,
            receipt_handle: m.receipt_handle,
            message_group_id: m.message_group_id,
            user_properties: m
                .user_properties
                .into_iter()
                .map(|p| PropertyView {
                    name: p.name,
                    value: p.value,
                    value_type: p.value_type,
                })
                .collect(),
            system_properties: m
                .system_properties
                .into_iter()
                .map(|p| PropertyView {
                    name: p.name,
                    value: p.value,
                    value_type: p.value_type,
                })
                .collect(),
        }
    }
}

pub(crate) fn messages(
    engine: &mut Engine,
    queue: &str,
    now: Millis,
) -> Result<Vec<MessageView>, MnsError> {
    Ok(engine
        .inspect_queue(queue, now)?
        .into_iter()
        .map(MessageView::from)
        .collect())
}

/// One subscription of a topic.
#[derive(Debug, Serialize)]
pub(crate) struct SubscriptionView {
    name: String,
    endpoint: String,
    notify_strategy: &'static str,
    notify_content_format: &'static str,
    filter_tag: Option<String>,
    dlq_policy: Option<DlqView>,
}

/// One topic with its subscriptions.
#[derive(Debug, Serialize)]
pub(crate) struct TopicView {
    name: String,
    message_count: u64,
    maximum_message_size: u32,
    subscriptions: Vec<SubscriptionView>,
}

pub(crate) fn topics(engine: &mut Engine, now: Millis) -> Vec<TopicView> {
    all_topics(engine, now)
        .into_iter()
        .map(|t| {
            let subscriptions = all_subscriptions(engine, &t.name, now)
                .into_iter()
                .map(|s| SubscriptionView {
                    dlq_policy: engine
                        .subscription_dlq_policy(&t.name, &s.name)
                        .ok()
                        .flatten()
                        .map(|p| DlqView {
                            enabled: p.enabled,
                            dead_letter_target_queue: p.dead_letter_target_queue,
                            max_receive_count: None,
                        }),
                    endpoint: s.endpoint.as_str(),
                    notify_strategy: s.notify_strategy.as_str(),
                    notify_content_format: s.notify_content_format.as_str(),
                    filter_tag: s.filter_tag,
                    name: s.name,
                })
                .collect();
            TopicView {
                message_count: t.message_count,
                maximum_message_size: t.maximum_message_size,
                subscriptions,
                name: t.name,
            }
        })
        .collect()
}

/// One delivery attempt.
#[derive(Debug, Serialize)]
pub(crate) struct AttemptView {
    delivery_id: u64,
    topic: String,
    subscription: String,
    endpoint: String,
    message_id: String,
    attempt: u32,
    at_ms: Millis,
    delivered: bool,
    status: Option<u16>,
    reason: Option<String>,
}

impl From<DeliveryAttempt> for AttemptView {
    fn from(a: DeliveryAttempt) -> Self {
        let (delivered, status, reason) = match a.outcome {
            AttemptOutcome::Delivered { status } => (true, status, None),
            AttemptOutcome::Failed { status, reason } => (false, status, Some(reason)),
        };
        AttemptView {
            delivery_id: a.delivery_id,
            topic: a.topic,
            subscription: a.subscription,
            endpoint: a.endpoint,
            message_id: a.message_id,
            attempt: a.attempt,
            at_ms: a.at,
            delivered,
            status,
            reason,
        }
    }
}

/// One ended delivery.
#[derive(Debug, Serialize)]
pub(crate) struct RecordView {
    delivery_id: u64,
    topic: String,
    subscription: String,
    endpoint: String,
    message_id: String,
    notify_content_format: &'static str,
    body: String,
    attempts: u32,
    at_ms: Millis,
    reason: Option<String>,
}

impl From<DeliveryRecord> for RecordView {
    fn from(r: DeliveryRecord) -> Self {
        RecordView {
            delivery_id: r.delivery_id,
            topic: r.topic,
            subscription: r.subscription,
            endpoint: r.endpoint,
            message_id: r.message_id,
            notify_content_format: r.format.as_str(),
            body: r.body,
            attempts: r.attempts,
            at_ms: r.at,
            reason: r.reason,
        }
    }
}

/// The topic delivery log, optionally of one topic.
#[derive(Debug, Serialize)]
pub(crate) struct DeliveriesView {
    pending: usize,
    attempts: Vec<AttemptView>,
    delivered: Vec<RecordView>,
    dropped: Vec<RecordView>,
}

pub(crate) fn deliveries(engine: &Engine, topic: Option<&str>) -> DeliveriesView {
    let keep = |t: &str| topic.is_none_or(|want| want == t);
    DeliveriesView {
        pending: engine.pending_deliveries(),
        attempts: engine
            .delivery_attempts()
            .into_iter()
            .filter(|a| keep(&a.topic))
            .map(AttemptView::from)
            .collect(),
        delivered: engine
            .delivered_notifications()
            .into_iter()
            .filter(|r| keep(&r.topic))
            .map(RecordView::from)
            .collect(),
        dropped: engine
            .dropped_notifications()
            .into_iter()
            .filter(|r| keep(&r.topic))
            .map(RecordView::from)
            .collect(),
    }
}
