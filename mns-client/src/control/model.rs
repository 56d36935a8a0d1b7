//! Typed values of the control-plane OpenAPI (reference mns-openapi-fifo-dlq §3.2–3.6): queue and
//! topic types, dead-letter and rate-limit policies, tags, and the request and response shapes of
//! each action.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::error::Error;
use crate::topic::{NotifyContentFormat, NotifyStrategy};

fn invalid(message: String) -> Error {
    Error::InvalidInput(message)
}

macro_rules! kind_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            /// `normal`: at-least-once, no ordering (the default, and the only kind the XML API
            /// creates).
            #[default]
            Normal,
            /// `fifo`: every message carries a `MessageGroupId`; order holds within a group.
            Fifo,
        }

        impl $name {
            /// `normal` or `fifo`, as on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $name::Normal => "normal",
                    $name::Fifo => "fifo",
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s.to_ascii_lowercase().as_str() {
                    "normal" => Ok($name::Normal),
                    "fifo" => Ok($name::Fifo),
                    other => Err(invalid(format!(
                        concat!("unknown ", $what, " {:?}: use normal or fifo"),
                        other
                    ))),
                }
            }
        }
    };
}

kind_enum!(
    /// A queue's type (`QueueType`), fixed at creation.
    QueueType,
    "queue type"
);
kind_enum!(
    /// A topic's type (`TopicType`), fixed at creation.
    TopicType,
    "topic type"
);

/// A resource tag (`Tag.N.Key` / `Tag.N.Value` in requests, `{TagKey, TagValue}` in answers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl Tag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// What `TagResources` / `UntagResources` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaggedResourceType {
    /// Queues (`ResourceType=queue`).
    Queue,
    /// Topics (`ResourceType=topic`).
    Topic,
}

impl TaggedResourceType {
    /// `queue` or `topic`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaggedResourceType::Queue => "queue",
            TaggedResourceType::Topic => "topic",
        }
    }
}

/// A queue's dead-letter policy (`DlqPolicy`): a message received `max_receive_count` times
/// without being deleted moves to `dead_letter_target_queue` instead of being delivered again.
///
/// ```
/// use mns_client::control::QueueDlqPolicy;
/// let on = QueueDlqPolicy::enabled("orders-dlq", 3);
/// assert_eq!(on.to_json(), r#"{"DeadLetterTargetQueue":"orders-dlq","Enabled":true,"MaxReceiveCount":3}"#);
/// assert_eq!(QueueDlqPolicy::disabled().to_json(), r#"{"Enabled":false}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDlqPolicy {
    /// Whether messages are moved.
    pub enabled: bool,
    /// The target queue's name (same account and region).
    pub dead_letter_target_queue: Option<String>,
    /// Receives after which a message is moved.
    pub max_receive_count: Option<u32>,
}

impl QueueDlqPolicy {
    /// An enabled policy.
    pub fn enabled(target: impl Into<String>, max_receive_count: u32) -> Self {
        QueueDlqPolicy {
            enabled: true,
            dead_letter_target_queue: Some(target.into()),
            max_receive_count: Some(max_receive_count),
        }
    }

    /// `{"Enabled":false}`: what Terraform sends to turn dead-lettering off.
    pub fn disabled() -> Self {
        QueueDlqPolicy {
            enabled: false,
            dead_letter_target_queue: None,
            max_receive_count: None,
        }
    }

    /// The JSON text sent as the `DlqPolicy` parameter (keys in the SDK's order).
    pub fn to_json(&self) -> String {
        let mut map = serde_json::Map::new();
        if let Some(t) = &self.dead_letter_target_queue {
            map.insert("DeadLetterTargetQueue".into(), t.clone().into());
        }
        map.insert("Enabled".into(), self.enabled.into());
        if let Some(n) = self.max_receive_count {
            map.insert("MaxReceiveCount".into(), n.into());
        }
        serde_json::Value::Object(map).to_string()
    }
}

/// A subscription's dead-letter policy: after the last failed push retry the message goes to
/// the target queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDlqPolicy {
    /// Whether messages are moved.
    pub enabled: bool,
    /// The target queue's name.
    pub dead_letter_target_queue: Option<String>,
}

impl SubscriptionDlqPolicy {
    /// An enabled policy.
    pub fn enabled(target: impl Into<String>) -> Self {
        SubscriptionDlqPolicy {
            enabled: true,
            dead_letter_target_queue: Some(target.into()),
        }
    }

    /// `{"Enabled":false}`.
    pub fn disabled() -> Self {
        SubscriptionDlqPolicy {
            enabled: false,
            dead_letter_target_queue: None,
        }
    }

    /// The JSON text sent as the `DlqPolicy` parameter.
    pub fn to_json(&self) -> String {
        let mut map = serde_json::Map::new();
        if let Some(t) = &self.dead_letter_target_queue {
            map.insert("DeadLetterTargetQueue".into(), t.clone().into());
        }
        map.insert("Enabled".into(), self.enabled.into());
        serde_json::Value::Object(map).to_string()
    }
}

/// `TenantRateLimitPolicy`: a cap on receives (queues) or pushes (subscriptions) per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Whether the limit applies.
    pub enabled: bool,
    /// The cap.
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

    /// The JSON text sent as the `TenantRateLimitPolicy` parameter.
    pub fn to_json(&self) -> String {
        let mut map = serde_json::Map::new();
        map.insert("Enabled".into(), self.enabled.into());
        if let Some(n) = self.max_receives_per_second {
            map.insert("MaxReceivesPerSecond".into(), n.into());
        }
        serde_json::Value::Object(map).to_string()
    }
}

/// Settings of `CreateQueue` (everything optional; the service's defaults apply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateQueueOptions {
    /// `normal` (default) or `fifo`.
    pub queue_type: Option<QueueType>,
    /// Default delay of new messages, 0–604800 s.
    pub delay_seconds: Option<u32>,
    /// Largest message, 1024–65536 bytes.
    pub maximum_message_size: Option<u32>,
    /// Retention, 60–604800 s.
    pub message_retention_period: Option<u32>,
    /// Visibility timeout, 1–43200 s.
    pub visibility_timeout: Option<u32>,
    /// Default long-poll wait, 0–30 s.
    pub polling_wait_seconds: Option<u32>,
    /// `EnableLogging`.
    pub logging_enabled: Option<bool>,
    /// Dead-letter policy.
    pub dlq_policy: Option<QueueDlqPolicy>,
    /// Rate limit.
    pub rate_limit: Option<RateLimitPolicy>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Settings of `SetQueueAttributes`: only those given change (the type and tags cannot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueUpdate {
    /// Default delay, 0–604800 s.
    pub delay_seconds: Option<u32>,
    /// Largest message, 1024–65536 bytes.
    pub maximum_message_size: Option<u32>,
    /// Retention, 60–604800 s.
    pub message_retention_period: Option<u32>,
    /// Visibility timeout, 1–43200 s.
    pub visibility_timeout: Option<u32>,
    /// Default long-poll wait, 0–30 s.
    pub polling_wait_seconds: Option<u32>,
    /// `EnableLogging`.
    pub logging_enabled: Option<bool>,
    /// Dead-letter policy ([`QueueDlqPolicy::disabled`] turns it off).
    pub dlq_policy: Option<QueueDlqPolicy>,
    /// Rate limit.
    pub rate_limit: Option<RateLimitPolicy>,
}

/// A queue as the control plane reports it (`GetQueueAttributes`, `ListQueue` items).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ControlQueue {
    /// Name.
    pub name: String,
    /// Type.
    pub queue_type: QueueType,
    /// Creation, Unix seconds.
    pub create_time: u64,
    /// Last change, Unix seconds.
    pub last_modify_time: u64,
    /// Default delay, seconds.
    pub delay_seconds: u32,
    /// Largest message, bytes.
    pub maximum_message_size: u32,
    /// Retention, seconds.
    pub message_retention_period: u32,
    /// Default long-poll wait, seconds.
    pub polling_wait_seconds: u32,
    /// Visibility timeout, seconds.
    pub visibility_timeout: u32,
    /// Logging.
    pub logging_enabled: bool,
    /// Dead-letter policy, if one is set.
    pub dlq_policy: Option<QueueDlqPolicy>,
    /// Rate limit, if one is set (not in `ListQueue` items).
    pub rate_limit: Option<RateLimitPolicy>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Filters and page size of `ListQueue` / `ListTopic`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlListOptions {
    /// Name filter (`QueueName` / `TopicName`; the emulator matches it as a prefix).
    pub name: Option<String>,
    /// Only resources of this type (`normal` / `fifo`).
    pub fifo: Option<bool>,
    /// Only resources carrying all these tags.
    pub tags: Vec<Tag>,
    /// Page size, 10–50 (the service clamps other values).
    pub page_size: Option<u32>,
}

/// One page of a control-plane listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// This page's number, from 1.
    pub page_num: u32,
    /// The page size used.
    pub page_size: u32,
    /// Matching items over all pages.
    pub total: u64,
}

/// Settings of `CreateTopic`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTopicOptions {
    /// `normal` (default) or `fifo`.
    pub topic_type: Option<TopicType>,
    /// Largest message, 1024–65536 bytes.
    pub max_message_size: Option<u32>,
    /// `EnableLogging`.
    pub logging_enabled: Option<bool>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Settings of `SetTopicAttributes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicUpdate {
    /// Largest message, 1024–65536 bytes.
    pub max_message_size: Option<u32>,
    /// `EnableLogging`.
    pub logging_enabled: Option<bool>,
}

/// A topic as the control plane reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ControlTopic {
    /// Name.
    pub name: String,
    /// Type.
    pub topic_type: TopicType,
    /// Creation, Unix seconds.
    pub create_time: u64,
    /// Last change, Unix seconds.
    pub last_modify_time: u64,
    /// Largest message, bytes.
    pub max_message_size: u32,
    /// Retention, seconds.
    pub message_retention_period: u32,
    /// Messages waiting to be pushed.
    pub message_count: u64,
    /// Logging.
    pub logging_enabled: bool,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `PushType` of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushType {
    /// HTTP(S) endpoint.
    Http,
    /// An MNS queue (`acs:mns:{region}:{account}:queues/{name}`).
    Queue,
}

impl PushType {
    /// `http` or `queue`.
    pub fn as_str(self) -> &'static str {
        match self {
            PushType::Http => "http",
            PushType::Queue => "queue",
        }
    }
}

/// Settings of `Subscribe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// How messages are delivered.
    pub push_type: PushType,
    /// The endpoint, in the form of [`PushType`].
    pub endpoint: String,
    /// Retry strategy.
    pub notify_strategy: Option<NotifyStrategy>,
    /// Content format.
    pub notify_content_format: Option<NotifyContentFormat>,
    /// Filter tag (`MessageTag`, at most 16 characters).
    pub filter_tag: Option<String>,
    /// Dead-letter policy.
    pub dlq_policy: Option<SubscriptionDlqPolicy>,
    /// Rate limit.
    pub rate_limit: Option<RateLimitPolicy>,
}

impl SubscribeOptions {
    /// A subscription that pushes to a queue, given by its ARN
    /// (`acs:mns:{region}:{account}:queues/{name}`).
    pub fn queue(arn: impl Into<String>) -> Self {
        SubscribeOptions {
            push_type: PushType::Queue,
            endpoint: arn.into(),
            notify_strategy: None,
            notify_content_format: None,
            filter_tag: None,
            dlq_policy: None,
            rate_limit: None,
        }
    }

    /// A subscription that pushes to an HTTP(S) URL.
    pub fn http(url: impl Into<String>) -> Self {
        SubscribeOptions {
            push_type: PushType::Http,
            ..SubscribeOptions::queue(url)
        }
    }
}

/// Settings of `SetSubscriptionAttributes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// Retry strategy.
    pub notify_strategy: Option<NotifyStrategy>,
    /// Dead-letter policy ([`SubscriptionDlqPolicy::disabled`] turns it off).
    pub dlq_policy: Option<SubscriptionDlqPolicy>,
    /// Rate limit.
    pub rate_limit: Option<RateLimitPolicy>,
}

/// A subscription as the control plane reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ControlSubscription {
    /// Name.
    pub name: String,
    /// The topic's name.
    pub topic_name: String,
    /// The topic owner's account id.
    pub topic_owner: String,
    /// Endpoint.
    pub endpoint: String,
    /// Filter tag, if any.
    pub filter_tag: Option<String>,
    /// Retry strategy, as reported.
    pub notify_strategy: String,
    /// Content format, as reported.
    pub notify_content_format: String,
    /// Creation, Unix seconds.
    pub create_time: u64,
    /// Last change, Unix seconds.
    pub last_modify_time: u64,
    /// Dead-letter policy, if one is set.
    pub dlq_policy: Option<SubscriptionDlqPolicy>,
    /// Rate limit, if one is set.
    pub rate_limit: Option<RateLimitPolicy>,
}

/// `GetAccountAttributes`: the account's logging and message-trace settings (unrelated to the
/// data plane's `LoggingBucket`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ControlAccountAttributes {
    /// Logging to SLS.
    pub log_enabled: bool,
    /// The SLS logstore.
    pub log_store_name: Option<String>,
    /// Message trace.
    pub message_trace_enabled: bool,
    /// The SLS project.
    pub project_name: Option<String>,
}

/// Settings of `SetAccountAttributes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountUpdate {
    /// Logging to SLS.
    pub log_enabled: Option<bool>,
    /// The SLS logstore.
    pub log_store_name: Option<String>,
    /// Message trace.
    pub message_trace_enabled: Option<bool>,
    /// The SLS project.
    pub project_name: Option<String>,
}
