//! Topics and their subscriptions: create/get/set/delete/list, subscribe/unsubscribe, and
//! `PublishMessage` fanning out to every subscription whose `FilterTag` matches (reference §2,
//! §3, §5.1).
//!
//! Publishing renders each subscription's body ([`super::notify_format`]) and enqueues one
//! delivery per subscription ([`super::delivery`]); queue and record-only endpoints are attempted
//! before `publish_message` returns, HTTP endpoints by the I/O layer.
//!
//! ```
//! use mns_emulator::engine::{
//!     Engine, EngineConfig, PublishMessageInput, QueueAttributesInput, SubscribeInput,
//!     TopicAttributesInput,
//! };
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! engine.set_topic_account("1234567890123456", "cn-hangzhou");
//! engine.create_queue("inbox", QueueAttributesInput::default(), 1_000).unwrap();
//! engine.create_topic("orders", TopicAttributesInput::default(), 1_000).unwrap();
//! let sub = SubscribeInput {
//!     endpoint: Some("acs:mns:cn-hangzhou:1234567890123456:queues/inbox".into()),
//!     notify_content_format: Some("SIMPLIFIED".into()),
//!     ..Default::default()
//! };
//! engine.subscribe("orders", "to-inbox", sub, 1_000).unwrap();
//! engine.publish_message("orders", PublishMessageInput::new("hello"), 2_000).unwrap();
//! let got = engine.receive_messages("inbox", 1, 2_000).unwrap();
//! assert_eq!(got[0].body, "hello");
//! ```

use std::collections::BTreeMap;

use super::delivery::{Delivery, DeliveryQueue, TOPIC_RETENTION_MILLIS};
use super::notify_format::{self, NotificationFields};
use super::subscription::{SubscriptionAttributes, SubscriptionStore, validate_tag};
use super::types::ListRequest;
use super::{CreateOutcome, Engine, Millis, SystemProperty, UserProperty, ids};
use crate::error::{ErrorCode, MnsError};

/// Maximum topic and subscription name length (API pages; some SDKs say 256).
pub const MAX_TOPIC_NAME_LEN: usize = 255;
/// Default and maximum topic `MaximumMessageSize`, bytes.
pub const DEFAULT_TOPIC_MAXIMUM_MESSAGE_SIZE: u32 = 65_536;
/// The fixed topic `MessageRetentionPeriod`, seconds.
pub const TOPIC_MESSAGE_RETENTION_SECONDS: u32 = 86_400;

/// The attributes of `CreateTopic` / `SetTopicAttributes`; `None` = not in the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicAttributesInput {
    /// `MaximumMessageSize`, 1024..=65536.
    pub maximum_message_size: Option<i64>,
    /// `LoggingEnabled`.
    pub logging_enabled: Option<bool>,
}

/// `GetTopicAttributes` (and `ListTopic` with meta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicAttributes {
    /// Topic name.
    pub name: String,
    /// Creation time, epoch **seconds**.
    pub create_time: u64,
    /// Last change, epoch **seconds**.
    pub last_modify_time: u64,
    /// Largest accepted message body, bytes.
    pub maximum_message_size: u32,
    /// Always 86400.
    pub message_retention_period: u32,
    /// Messages not yet delivered to every subscription.
    pub message_count: u64,
    /// `LoggingEnabled`.
    pub logging_enabled: bool,
}

/// One page of `ListTopic`, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPage {
    /// The topics on this page.
    pub topics: Vec<TopicAttributes>,
    /// Marker for the next page, when more topics match.
    pub next_marker: Option<String>,
}

/// One page of `ListSubscriptionByTopic`, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionPage {
    /// The subscriptions on this page.
    pub subscriptions: Vec<SubscriptionAttributes>,
    /// Marker for the next page, when more subscriptions match.
    pub next_marker: Option<String>,
}

/// A `PublishMessage` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishMessageInput {
    /// `MessageBody`, as sent (never decoded).
    pub body: String,
    /// `MessageTag` (≤ 16 characters); `None` or empty = untagged.
    pub message_tag: Option<String>,
    /// `MessageAttributes` children: element name and its JSON text (`DirectMail`, `DirectSMS`,
    /// `DM`, `DYSMS`, …). Each must be valid JSON; they are kept in the delivery records.
    pub message_attributes: Vec<(String, String)>,
    /// `UserProperties` (forwarded to queue subscriptions only with
    /// [`EngineConfig::topic_forwards_properties`](super::EngineConfig)).
    pub user_properties: Vec<UserProperty>,
    /// `SystemProperties` (forwarded like `user_properties`).
    pub system_properties: Vec<SystemProperty>,
    /// `MessageGroupId` (echoed).
    pub message_group_id: Option<String>,
}

impl PublishMessageInput {
    /// A message with this body and nothing else.
    pub fn new(body: impl Into<String>) -> Self {
        PublishMessageInput {
            body: body.into(),
            ..Default::default()
        }
    }

    /// The same message with a `MessageTag`.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.message_tag = Some(tag.into());
        self
    }
}

/// The result of `PublishMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMessage {
    /// Topic message id (`{16 hex}-1-{hex publish ms}-{seq}`).
    pub message_id: String,
    /// Upper-case hex MD5 of the body.
    pub body_md5: String,
    /// The message group id, when one was sent.
    pub message_group_id: Option<String>,
    /// How many subscriptions matched (deliveries enqueued).
    pub deliveries: usize,
    /// Queues that already received the message (wake their long polls).
    pub queues_delivered: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TopicSettings {
    pub(super) maximum_message_size: u32,
    pub(super) logging_enabled: bool,
}

impl Default for TopicSettings {
    fn default() -> Self {
        TopicSettings {
            maximum_message_size: DEFAULT_TOPIC_MAXIMUM_MESSAGE_SIZE,
            logging_enabled: false,
        }
    }
}

impl TopicSettings {
    fn overlay(mut self, input: &TopicAttributesInput) -> Result<Self, MnsError> {
        if let Some(v) = input.maximum_message_size {
            self.maximum_message_size = super::limits::validate_maximum_message_size(v)?;
        }
        if let Some(v) = input.logging_enabled {
            self.logging_enabled = v;
        }
        Ok(self)
    }
}

#[derive(Debug)]
pub(crate) struct TopicStore {
    pub(super) settings: TopicSettings,
    pub(crate) create_time: Millis,
    pub(crate) last_modify_time: Millis,
    pub(crate) subscriptions: BTreeMap<String, SubscriptionStore>,
    /// `normal` unless created as FIFO through the control plane.
    pub(crate) kind: super::QueueKind,
    /// Control-plane settings (`control_meta.rs`).
    pub(crate) meta: super::ResourceMeta,
}

/// All topics, their subscriptions and pending deliveries.
#[derive(Debug)]
pub(crate) struct Topics {
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) topics: BTreeMap<String, TopicStore>,
    pub(crate) deliveries: DeliveryQueue,
}

impl Topics {
    pub(crate) fn new(seed: u64) -> Self {
        Topics {
            account_id: crate::DEFAULT_ACCOUNT_ID.to_owned(),
            region: crate::DEFAULT_REGION.to_owned(),
            topics: BTreeMap::new(),
            deliveries: DeliveryQueue::new(seed),
        }
    }

    /// A subscription (404 `TopicNotExist` / `SubscriptionNotExist`).
    pub(crate) fn subscription(
        &self,
        topic: &str,
        name: &str,
    ) -> Result<&SubscriptionStore, MnsError> {
        self.topics
            .get(topic)
            .ok_or_else(MnsError::topic_not_exist)?
            .subscriptions
            .get(name)
            .ok_or_else(MnsError::subscription_not_exist)
    }

    /// A subscription, mutable.
    pub(crate) fn subscription_mut(
        &mut self,
        topic: &str,
        name: &str,
    ) -> Result<&mut SubscriptionStore, MnsError> {
        self.topics
            .get_mut(topic)
            .ok_or_else(MnsError::topic_not_exist)?
            .subscriptions
            .get_mut(name)
            .ok_or_else(MnsError::subscription_not_exist)
    }

    /// Number of topics.
    pub(crate) fn len(&self) -> usize {
        self.topics.len()
    }
}

fn validate_name(
    name: &str,
    length_code: ErrorCode,
    invalid_code: ErrorCode,
    what: &str,
) -> Result<(), MnsError> {
    let len = name.chars().count();
    if !(1..=MAX_TOPIC_NAME_LEN).contains(&len) {
        return Err(MnsError::new(
            length_code,
            format!("The length of {what} name should between 1 and {MAX_TOPIC_NAME_LEN}."),
        ));
    }
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(MnsError::new(
            invalid_code,
            format!(
                "The {what} name you provided is invalid. It should start with a letter or digit and contain only letters, digits or - ."
            ),
        ));
    }
    Ok(())
}

/// Checks a topic name: 1..=255 characters, `[A-Za-z0-9][A-Za-z0-9-]*`
/// (400 `TopicNameLengthError` / `TopicNameInvalid`).
pub fn validate_topic_name(name: &str) -> Result<(), MnsError> {
    validate_name(
        name,
        ErrorCode::TopicNameLengthError,
        ErrorCode::TopicNameInvalid,
        "topic",
    )
}

/// Checks a subscription name like a topic name (400 `SubscriptionNameLengthError` /
/// `SubscriptionNameInvalid`).
pub fn validate_subscription_name(name: &str) -> Result<(), MnsError> {
    validate_name(
        name,
        ErrorCode::SubscriptionNameLengthError,
        ErrorCode::SubscriptionNameInvalid,
        "subscription",
    )
}

impl Engine {
    /// The account id and region of this emulator: the `TopicOwner`/`Subscriber` of every
    /// notification, and the only region/account whose queues can be subscribed.
    ///
    /// Both are engine-wide state (the globals row of the image): a change is recorded for
    /// persistence, so a data directory opened under another account keeps the new one.
    pub fn set_topic_account(&mut self, account_id: &str, region: &str) {
        if self.topics.account_id == account_id && self.topics.region == region {
            return;
        }
        self.topics.account_id = account_id.to_owned();
        self.topics.region = region.to_owned();
        self.log.globals();
    }

    pub(crate) fn topic_mut(&mut self, name: &str) -> Result<&mut TopicStore, MnsError> {
        self.topics
            .topics
            .get_mut(name)
            .ok_or_else(MnsError::topic_not_exist)
    }

    fn topic_attributes(&self, name: &str, t: &TopicStore) -> TopicAttributes {
        TopicAttributes {
            name: name.to_owned(),
            create_time: t.create_time / 1000,
            last_modify_time: t.last_modify_time / 1000,
            maximum_message_size: t.settings.maximum_message_size,
            message_retention_period: TOPIC_MESSAGE_RETENTION_SECONDS,
            message_count: self.topics.deliveries.message_count(name),
            logging_enabled: t.settings.logging_enabled,
        }
    }

    /// `CreateTopic`: [`CreateOutcome::Created`] (201), [`CreateOutcome::Existed`] when a topic
    /// with the same attributes exists (204), 409 `TopicAlreadyExist` when they differ (compared
    /// as [`EngineConfig::create_compares_effective_values`](super::EngineConfig) says).
    pub fn create_topic(
        &mut self,
        name: &str,
        attrs: TopicAttributesInput,
        now: Millis,
    ) -> Result<CreateOutcome, MnsError> {
        validate_topic_name(name)?;
        let requested = TopicSettings::default().overlay(&attrs)?;
        let now = self.observe(now);
        if let Some(existing) = self.topics.topics.get(name) {
            let same = if self.config.create_compares_effective_values {
                existing.settings == requested
            } else {
                existing.settings.overlay(&attrs)? == existing.settings
            };
            return if same {
                Ok(CreateOutcome::Existed)
            } else {
                Err(MnsError::topic_already_exist())
            };
        }
        self.topics.topics.insert(
            name.to_owned(),
            TopicStore {
                settings: requested,
                create_time: now,
                last_modify_time: now,
                subscriptions: BTreeMap::new(),
                kind: super::QueueKind::Normal,
                meta: super::ResourceMeta::default(),
            },
        );
        self.log.topic(name);
        Ok(CreateOutcome::Created)
    }

    /// `SetTopicAttributes`: changes the attributes present and bumps `LastModifyTime`.
    pub fn set_topic_attributes(
        &mut self,
        name: &str,
        attrs: TopicAttributesInput,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        let t = self.topic_mut(name)?;
        t.settings = t.settings.overlay(&attrs)?;
        t.last_modify_time = now;
        self.log.topic(name);
        Ok(())
    }

    /// `GetTopicAttributes`.
    pub fn get_topic_attributes(
        &mut self,
        name: &str,
        now: Millis,
    ) -> Result<TopicAttributes, MnsError> {
        self.observe(now);
        let t = self
            .topics
            .topics
            .get(name)
            .ok_or_else(MnsError::topic_not_exist)?;
        Ok(self.topic_attributes(name, t))
    }

    /// `DeleteTopic`: removes the topic, its subscriptions and its undelivered messages (they
    /// appear in [`Engine::dropped_notifications`]). A missing topic is success.
    pub fn delete_topic(&mut self, name: &str, now: Millis) -> Result<(), MnsError> {
        let now = self.observe(now);
        if self.topics.topics.remove(name).is_some() {
            self.log.drop_topic(name);
            self.topics
                .deliveries
                .drop_where(|d| d.topic == name, "the topic was deleted", now);
        }
        Ok(())
    }

    /// Whether the topic exists.
    pub fn topic_exists(&self, name: &str) -> bool {
        self.topics.topics.contains_key(name)
    }

    /// `ListTopic`: topics sorted by name, filtered by prefix, one page at a time (`next_marker`
    /// is opaque and present only when more topics match).
    pub fn list_topics(&mut self, req: ListRequest, now: Millis) -> Result<TopicPage, MnsError> {
        self.observe(now);
        let (items, next_marker) = super::list_page(&self.topics.topics, &req)?;
        let topics = items
            .into_iter()
            .map(|(n, t)| self.topic_attributes(n, t))
            .collect();
        Ok(TopicPage {
            topics,
            next_marker,
        })
    }

    /// `PublishMessage`: validates, then enqueues one delivery for every subscription whose
    /// `FilterTag` matches the `MessageTag` and attempts the queue and record-only ones at once.
    pub fn publish_message(
        &mut self,
        topic: &str,
        input: PublishMessageInput,
        now: Millis,
    ) -> Result<PublishedMessage, MnsError> {
        let now = self.observe(now);
        let t = self
            .topics
            .topics
            .get(topic)
            .ok_or_else(MnsError::topic_not_exist)?;
        let max = t.settings.maximum_message_size as usize;
        if t.kind == super::QueueKind::Fifo
            && input.message_group_id.as_deref().is_none_or(str::is_empty)
        {
            return Err(MnsError::new(
                ErrorCode::FifoMissingMessageGroupId,
                "A message published to a FIFO topic needs a MessageGroupId.",
            ));
        }
        let props_size = super::properties::validate_user_properties(&input.user_properties)?
            + super::properties::validate_system_properties(
                &input.system_properties,
                self.config.system_property_names,
            )?;
        if input.body.is_empty() || input.body.len() + props_size > max {
            return Err(MnsError::out_of_range("MessageBody", 1, max, "bytes"));
        }
        let tag = input.message_tag.clone().filter(|t| !t.is_empty());
        if let Some(tag) = &tag {
            validate_tag(tag, "MessageTag")?;
        }
        for (name, json) in &input.message_attributes {
            if serde_json::from_str::<serde_json::Value>(json).is_err() {
                return Err(MnsError::invalid_argument(format!(
                    "The value of MessageAttributes.{name} should be a JSON string."
                )));
            }
        }
        let seq = {
            let next = self.next_seq.get_mut();
            *next += 1;
            *next - 1
        };
        let message_id = format!(
            "{}-1-{now:X}-{:09}",
            &self.codec.message_id(seq)[..16],
            seq % 1_000_000_000
        );
        let body_md5 = ids::md5_hex(&ids::body_md5(&input.body));
        let forwarded = self.config.topic_forwards_properties.then(|| {
            Box::new(super::delivery::Forwarded {
                user_properties: input.user_properties.clone(),
                system_properties: input.system_properties.clone(),
                message_group_id: input.message_group_id.clone(),
            })
        });
        let mut deliveries = Vec::new();
        for (sub_name, s) in &t.subscriptions {
            if !s.settings.accepts(tag.as_deref()) {
                continue;
            }
            let fields = NotificationFields {
                topic_owner: self.topics.account_id.clone(),
                topic_name: topic.to_owned(),
                subscriber: self.topics.account_id.clone(),
                subscription_name: sub_name.clone(),
                message_id: message_id.clone(),
                message: input.body.clone(),
                message_md5: body_md5.clone(),
                message_tag: tag.clone(),
                publish_time: now,
            };
            deliveries.push(Delivery {
                id: 0,
                topic: topic.to_owned(),
                subscription: sub_name.clone(),
                endpoint: s.settings.endpoint.clone(),
                format: s.settings.notify_content_format,
                strategy: s.settings.notify_strategy,
                body: notify_format::render(s.settings.notify_content_format, &fields),
                fields,
                message_attributes: input.message_attributes.clone(),
                forwarded: forwarded.clone(),
                attempts: 0,
                next_due: now,
                expires_at: now + TOPIC_RETENTION_MILLIS,
            });
        }
        let count = deliveries.len();
        for d in deliveries {
            self.topics.deliveries.enqueue(d, now);
        }
        // Queue and record-only endpoints are written now; HTTP ones stay due for the I/O layer
        // (they are handed out again by its next `run_due_deliveries`).
        let due = self.run_due_non_http(now);
        Ok(PublishedMessage {
            message_id,
            body_md5,
            message_group_id: input.message_group_id,
            deliveries: count,
            queues_delivered: due,
        })
    }
}
