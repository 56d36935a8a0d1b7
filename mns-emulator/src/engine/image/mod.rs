//! The engine's state image: every piece of state an [`Engine`] holds, as plain serde types.
//!
//! One image format serves both the admin API's snapshot/restore and the standalone emulator's
//! data directory (`--data-dir`), under one version number, [`STATE_FORMAT_VERSION`]. The image
//! is *relational*: flat lists of rows (globals, queues, messages, topics, subscriptions, pending
//! deliveries), each row self-contained, so a store can keep one row per entity and rewrite only
//! the rows that changed.
//!
//! What is in it: the engine's seed (message ids and receipt handles derive from the seed, a
//! sequence number and a handle generation, so a restored engine accepts the handles issued
//! before), the next sequence number, the clock's high-water mark, recently deleted queue names,
//! every queue with its settings, kind and DLQ policy, every message in every state (body,
//! properties, enqueue time, next-visible time, dequeue count, handle generation, priority,
//! group id), topics, subscriptions with their DLQ policies, and pending topic deliveries with
//! their retry schedule, and the account-level settings (`SetAccountAttributes`, both APIs).
//! Message counters are not stored: they are derived from the messages.
//!
//! What is not: the delivery *logs* (attempts, delivered, dropped; diagnostic records for tests,
//! capped at [`super::MAX_LOG_ENTRIES`]) and which queues wait for a long-poll wake-up. An HTTP
//! push in flight when the image was taken is restored as due again at its last due time, with
//! its attempt not counted (the push's result can no longer be reported): at-least-once, as the
//! service promises.
//!
//! ```
//! use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput, StateImage};
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! engine.create_queue("jobs", QueueAttributesInput::default(), 1_000).unwrap();
//! engine.send_messages("jobs", vec![SendMessageInput::new("hello")], 1_000).unwrap();
//! let handle = engine.receive_messages("jobs", 1, 2_000).unwrap()[0].receipt_handle.clone();
//!
//! let bytes = engine.export_image().encode();
//! let mut restored = Engine::from_image(EngineConfig::default(), StateImage::decode(&bytes).unwrap()).unwrap();
//! // The handle issued before the image still works.
//! restored.delete_message("jobs", &handle, 3_000).unwrap();
//! ```

mod export;
pub(crate) use export::queue_row;
mod import;
mod meta;
pub(crate) use import::bad;
pub use meta::{MetaImage, RateLimitImage, TagImage};

use serde::{Deserialize, Serialize};

use super::Millis;

#[cfg(doc)]
use super::Engine;

/// The version of the state image format (and of the data directory's rows).
///
/// Bumped on any change a reader of the previous version would misread; a reader refuses
/// every other version with [`ImageError::UnsupportedVersion`] rather than guess.
///
/// History: 1, the first; 2, the data directory's rows are CBOR instead of JSON (the image's
/// fields and its JSON form, the admin API's snapshots, are unchanged, but a version-1 reader
/// would misread a version-2 data directory and the other way round).
pub const STATE_FORMAT_VERSION: u32 = 2;

/// The complete state of an [`Engine`]. See the [module docs](self).
///
/// `Debug` shows counts only, never message bodies.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateImage {
    /// Always [`STATE_FORMAT_VERSION`] for an image this build wrote.
    pub format_version: u32,
    /// Engine-wide values.
    pub globals: GlobalsImage,
    /// Every queue, by name.
    pub queues: Vec<QueueImage>,
    /// Every stored message of every queue.
    pub messages: Vec<MessageImage>,
    /// Every topic, by name.
    pub topics: Vec<TopicImage>,
    /// Every subscription of every topic.
    pub subscriptions: Vec<SubscriptionImage>,
    /// Every topic delivery not yet delivered or dropped.
    pub deliveries: Vec<DeliveryImage>,
}

impl std::fmt::Debug for StateImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateImage")
            .field("format_version", &self.format_version)
            .field("queues", &self.queues.len())
            .field("messages", &self.messages.len())
            .field("topics", &self.topics.len())
            .field("subscriptions", &self.subscriptions.len())
            .field("deliveries", &self.deliveries.len())
            .finish()
    }
}

/// Engine-wide values of a [`StateImage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalsImage {
    /// The seed ids and receipt handles derive from.
    pub seed: u64,
    /// The next message sequence number (every stored sequence number is below it).
    pub next_seq: u64,
    /// The newest `now` the engine has seen; time never goes back past it.
    pub high_water: Millis,
    /// The account id of topic notifications.
    pub account_id: String,
    /// The region of topic notifications.
    pub region: String,
    /// Recently deleted queue names and when they were deleted (`QueueDeletedRecently`).
    pub deleted_recently: Vec<(String, Millis)>,
    /// The next topic delivery id.
    pub next_delivery_id: u64,
    /// The state of the random source of delivery retry delays.
    pub delivery_rng: u64,
    /// Account-level settings (absent while all are unset, so an image without them is read
    /// as before: no version bump).
    #[serde(default, skip_serializing_if = "super::AccountSettings::is_default")]
    pub account: super::AccountSettings,
}

/// A queue's kind in an image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKindImage {
    /// [`super::QueueKind::Normal`].
    #[default]
    Normal,
    /// [`super::QueueKind::Fifo`].
    Fifo,
}

/// A DLQ policy in an image (queue or subscription; `max_receive_count` is 0 for a
/// subscription's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DlqPolicyImage {
    /// Whether messages are moved.
    pub enabled: bool,
    /// The target queue's name.
    pub target: String,
    /// Receive count that moves a message (queues only).
    pub max_receive_count: u32,
}

/// One queue without its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueImage {
    /// Queue name.
    pub name: String,
    /// Normal or FIFO.
    pub kind: QueueKindImage,
    /// `DelaySeconds`.
    pub delay_seconds: u32,
    /// `MaximumMessageSize`, bytes.
    pub maximum_message_size: u32,
    /// `MessageRetentionPeriod`, seconds.
    pub message_retention_period: u32,
    /// `VisibilityTimeout`, seconds.
    pub visibility_timeout: u32,
    /// `PollingWaitSeconds`.
    pub polling_wait_seconds: u32,
    /// `LoggingEnabled`.
    pub logging_enabled: bool,
    /// Creation time, epoch ms.
    pub create_time: Millis,
    /// Last attribute change, epoch ms.
    pub last_modify_time: Millis,
    /// The DLQ policy as set.
    pub dlq_policy: Option<DlqPolicyImage>,
    /// Tags and rate limit (control plane only; absent when none).
    #[serde(default, skip_serializing_if = "MetaImage::is_empty")]
    pub meta: MetaImage,
}

/// A message's state in an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStateImage {
    /// Waiting for its delay; visible at `next_visible`.
    Delayed,
    /// Visible.
    Active,
    /// Received; visible again at `next_visible`.
    Inactive,
}

/// A user or system property in an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyImage {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Value type.
    pub value_type: String,
}

/// One stored message.
///
/// `Debug` leaves the body and property values out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageImage {
    /// The queue holding it.
    pub queue: String,
    /// Engine-wide sequence number: storage order, and the receipt handle's key.
    pub seq: u64,
    /// The sequence number its message id derives from, when not `seq` (a dead-lettered copy).
    pub id_seq: Option<u64>,
    /// Body, as sent.
    pub body: String,
    /// Delayed, Active or Inactive.
    pub state: MessageStateImage,
    /// Enqueue time, epoch ms (retention counts from it).
    pub enqueue_time: Millis,
    /// First receive, epoch ms (meaningful once `dequeue_count > 0`).
    pub first_dequeue_time: Millis,
    /// Delayed/Inactive: when it becomes visible; Active: when it last did.
    pub next_visible: Millis,
    /// Times received.
    pub dequeue_count: u32,
    /// Receipt-handle generation (a handle is current only with this generation).
    pub generation: u32,
    /// Priority, 1 (first) ..= 16.
    pub priority: u8,
    /// FIFO message group.
    pub message_group_id: Option<String>,
    /// User properties.
    pub user_properties: Vec<PropertyImage>,
    /// System properties.
    pub system_properties: Vec<PropertyImage>,
}

impl std::fmt::Debug for MessageImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageImage")
            .field("queue", &self.queue)
            .field("seq", &self.seq)
            .field("state", &self.state)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// One topic without its subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicImage {
    /// Topic name.
    pub name: String,
    /// `MaximumMessageSize`, bytes.
    pub maximum_message_size: u32,
    /// `LoggingEnabled`.
    pub logging_enabled: bool,
    /// Creation time, epoch ms.
    pub create_time: Millis,
    /// Last change, epoch ms.
    pub last_modify_time: Millis,
    /// The topic type (`normal` unless created as FIFO through the control plane).
    #[serde(default)]
    pub kind: QueueKindImage,
    /// Tags (control plane only; absent when none).
    #[serde(default, skip_serializing_if = "MetaImage::is_empty")]
    pub meta: MetaImage,
}

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionImage {
    /// Its topic.
    pub topic: String,
    /// Subscription name.
    pub name: String,
    /// Endpoint string, as subscribed.
    pub endpoint: String,
    /// `FilterTag`.
    pub filter_tag: Option<String>,
    /// `NotifyStrategy`, as the service spells it.
    pub notify_strategy: String,
    /// `NotifyContentFormat`, as the service spells it.
    pub notify_content_format: String,
    /// Creation time, epoch ms.
    pub create_time: Millis,
    /// Last change, epoch ms.
    pub last_modify_time: Millis,
    /// The DLQ policy as set.
    pub dlq_policy: Option<DlqPolicyImage>,
    /// Rate limit (control plane only; absent when none).
    #[serde(default, skip_serializing_if = "MetaImage::is_empty")]
    pub meta: MetaImage,
}

/// One pending topic delivery (a message on its way to one subscription).
///
/// `Debug` leaves the bodies out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryImage {
    /// Delivery id.
    pub id: u64,
    /// Topic name.
    pub topic: String,
    /// Subscription name.
    pub subscription: String,
    /// Endpoint string.
    pub endpoint: String,
    /// `NotifyContentFormat`.
    pub notify_content_format: String,
    /// `NotifyStrategy`.
    pub notify_strategy: String,
    /// Topic owner account id.
    pub topic_owner: String,
    /// Subscriber account id.
    pub subscriber: String,
    /// Topic message id.
    pub message_id: String,
    /// The published body.
    pub message: String,
    /// Upper-case hex MD5 of the published body.
    pub message_md5: String,
    /// `MessageTag`.
    pub message_tag: Option<String>,
    /// Publish time, epoch ms.
    pub publish_time: Millis,
    /// The rendered body the endpoint gets.
    pub body: String,
    /// `MessageAttributes` (element name, JSON text).
    pub message_attributes: Vec<(String, String)>,
    /// Forwarded properties and group id (queue endpoints), when forwarding is on.
    pub forwarded: Option<ForwardedImage>,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due, epoch ms.
    pub next_due: Millis,
    /// When the delivery is dropped (end of the topic retention), epoch ms.
    pub expires_at: Millis,
}

impl std::fmt::Debug for DeliveryImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryImage")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("subscription", &self.subscription)
            .field("attempts", &self.attempts)
            .field("next_due", &self.next_due)
            .finish_non_exhaustive()
    }
}

/// What a delivery forwards to a queue endpoint beyond the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardedImage {
    /// User properties.
    pub user_properties: Vec<PropertyImage>,
    /// System properties.
    pub system_properties: Vec<PropertyImage>,
    /// Message group id.
    pub message_group_id: Option<String>,
}

/// Why an image cannot become an engine (or bytes cannot become an image). Nothing is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Written by another version of the format.
    #[error("state format version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version found.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// Not a state image at all (truncated, corrupt, or another kind of document).
    #[error("not a valid state image: {0}")]
    Malformed(String),
    /// A well-formed image whose parts contradict each other (a duplicate sequence number, a
    /// message of a missing queue, a value out of range ...).
    #[error("inconsistent state image: {0}")]
    Inconsistent(String),
}

/// Only the version, read before the rest so another version is reported as such.
#[derive(Deserialize)]
struct VersionOnly {
    format_version: u32,
}

impl StateImage {
    /// The image as JSON bytes (the snapshot and export format).
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a state image always serialises")
    }

    /// Reads an image written by [`StateImage::encode`]: [`ImageError::UnsupportedVersion`] for
    /// another format version, [`ImageError::Malformed`] for anything that is not an image.
    /// Consistency is checked by [`Engine::from_image`].
    pub fn decode(bytes: &[u8]) -> Result<StateImage, ImageError> {
        let version: VersionOnly =
            serde_json::from_slice(bytes).map_err(|e| ImageError::Malformed(e.to_string()))?;
        check_version(version.format_version)?;
        serde_json::from_slice(bytes).map_err(|e| ImageError::Malformed(e.to_string()))
    }
}

/// [`ImageError::UnsupportedVersion`] unless `found` is [`STATE_FORMAT_VERSION`].
pub fn check_version(found: u32) -> Result<(), ImageError> {
    if found == STATE_FORMAT_VERSION {
        Ok(())
    } else {
        Err(ImageError::UnsupportedVersion {
            found,
            supported: STATE_FORMAT_VERSION,
        })
    }
}
