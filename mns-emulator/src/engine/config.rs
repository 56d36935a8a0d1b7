//! [`EngineConfig`]: the one place where every "unconfirmed" service behaviour is decided.
//!
//! Each field documents what the reference knows and why the default was chosen. Change a
//! default here (or per emulator instance) when the real service is shown to behave otherwise.

use super::Millis;
use super::limits;

/// When a queue's DLQ policy moves a message (see [`EngineConfig::dlq_move_timing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DlqMoveTiming {
    /// At the receive that would deliver it for the `MaxReceiveCount + 1`-th time (lazy, like
    /// SQS): until then it counts as Active in the source.
    #[default]
    AtNextReceive,
    /// As soon as the visibility timeout of its `MaxReceiveCount`-th receive passes.
    AtVisibilityExpiry,
}

/// Engine settings: limits that differ between documentation versions and every behaviour the
/// reference marks "unconfirmed".
///
/// `EngineConfig::default()` is the emulator's best reading of the current service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Upper bound of `MessageRetentionPeriod` in seconds. Current docs: 604800 (7 days, default);
    /// older docs and the Go SDK: 1296000 (15 days).
    pub max_retention_seconds: u32,
    /// Maximum queue name length. Current docs: 120 (default); older docs and error text: 256.
    pub max_queue_name_len: usize,
    /// `DeleteQueue` on a missing queue: `false` (default) answers success (204); `true` answers
    /// 404 `QueueNotExist`. Unconfirmed.
    pub delete_missing_queue_is_error: bool,
    /// `CreateQueue` on an existing queue: `true` (default) compares effective values (the requested
    /// value, else the default) with the queue's, so omitting an attribute that was set differently
    /// gives 409; `false` compares only the attributes present in the request. Unconfirmed.
    pub create_compares_effective_values: bool,
    /// How long after `DeleteQueue` a `CreateQueue` of the same name fails with 400
    /// `QueueDeletedRecently`, in milliseconds. Default 0 (off): the window is unpublished.
    pub queue_deleted_recently_window: Millis,
    /// Whether `ChangeMessageVisibility` accepts `VisibilityTimeout=0` (the Python SDK allows it;
    /// the docs say 1–43200). Default `false`.
    pub change_visibility_allows_zero: bool,
    /// Whether the receipt handle returned by `SendMessage` for a delayed message can delete the
    /// message (or change its delay) while it is still Delayed. Default `true`. Unconfirmed.
    pub delayed_send_handle_valid: bool,
    /// Whether `GetQueueAttributes` reports real `ActiveMessages`/`InactiveMessages`/`DelayMessages`
    /// (default `true`) or 0 as the service announced it will.
    pub report_message_counts: bool,
    /// Maximum number of queues; `None` (default) means unlimited. The service's default quota is
    /// 1000 per region; its error code is unpublished ([`EngineConfig::queue_quota_error_code`]).
    pub max_queues: Option<usize>,
    /// Error code answered when [`EngineConfig::max_queues`] is reached (unpublished; HTTP 400).
    pub queue_quota_error_code: &'static str,
    /// System property names a message may carry, each at most once (default
    /// [`limits::SYSTEM_PROPERTY_NAMES`]: the six names SDKs know). Whether the service refuses
    /// other names is unconfirmed; refusing them keeps system properties bounded in number.
    pub system_property_names: &'static [&'static str],
    /// Whether a topic forwards a publish's `UserProperties`, `SystemProperties` and
    /// `MessageGroupId` to the messages it delivers into subscribed queues (reference
    /// mns-openapi-fifo-dlq §6: \[unconfirmed\]). Default `false`: the notification formats
    /// document no such fields and the delivered queue message is an ordinary send of the
    /// rendered notification.
    pub topic_forwards_properties: bool,
    /// FIFO (reference mns-openapi-fifo-dlq §4.3, §7 q8): how many consecutive messages of one
    /// group a single (batch) receive may hand out. Default 1: the group-lock text ("once a
    /// message of group G has been received … later messages of G are not delivered") suggests
    /// at most one in flight per group. Unconfirmed.
    pub fifo_messages_per_group_per_receive: usize,
    /// FIFO: whether `Priority` orders the heads of different groups (within a group, arrival
    /// order always wins). Default `false`: the FIFO pages describe arrival order only, so group
    /// heads are handed out in arrival order. Unconfirmed (§7 q7).
    pub fifo_honours_priority: bool,
    /// FIFO: whether `DelaySeconds` (message or queue default) applies to FIFO queues; a delayed
    /// message blocks its group until it matures. Default `true`: nothing says FIFO queues drop
    /// the parameter. Unconfirmed (§7 q7).
    pub fifo_honours_delay: bool,
    /// Maximum `MessageGroupId` length in characters (longer → `InvalidArgument`). Default 128
    /// (the service's limit is unpublished; a bound keeps group memory finite). Unconfirmed (§7 q6).
    pub max_message_group_id_len: usize,
    /// When a queue dead-letters a message that has been received `MaxReceiveCount` times
    /// (§5.3, §7 q11). Default [`DlqMoveTiming::AtNextReceive`]: the docs say the message moves
    /// once its receive count "goes beyond" the maximum, i.e. instead of being delivered again.
    pub dlq_move_timing: DlqMoveTiming,
    /// Largest accepted `MaxReceiveCount` of a queue DLQ policy (the smallest is 1). Default
    /// 1000 (the range is unpublished; SQS uses 1..=1000). Unconfirmed.
    pub dlq_max_receive_count: u32,
    /// Whether a DLQ policy's target queue must exist when the policy is set (else
    /// `QueueNotExist`). Default `true`. A target deleted later stops the moves (messages are
    /// then redelivered in the source as if there were no policy). Unconfirmed (§5.5).
    pub dlq_target_must_exist: bool,
    /// Whether a queue's DLQ must be of the same kind (FIFO source → FIFO target, normal →
    /// normal). Default `true` (SQS's rule; it also keeps group-less messages out of FIFO
    /// queues). With `false` a group-less message entering a FIFO DLQ gets its original message
    /// id as its group. Unconfirmed (§5.5, §7 q13).
    pub dlq_kinds_must_match: bool,
    /// Error code (HTTP 400) for an invalid DLQ policy: the queue (or a subscription's own
    /// queue) as its own DLQ, a cycle of DLQs, a kind mismatch, a count out of range. Default
    /// `InvalidArgument` (the real codes are unpublished, §5.5).
    pub dlq_policy_error_code: &'static str,
    /// `DLQMessageType` value of a message moved by a queue policy. Default `"QUEUE"`; values
    /// are unpublished (§5.4, §7 q12).
    pub dlq_message_type_queue: &'static str,
    /// `DLQMessageType` value of a notification moved by a subscription policy. Default
    /// `"SUBSCRIPTION"`. Unconfirmed (§7 q12).
    pub dlq_message_type_subscription: &'static str,
    /// Whether a moved message gets a new `MessageId` in the DLQ (the old one is in
    /// `DLQOriginMessageId`). Default `true`: an "origin message id" property only makes sense
    /// if the id changes. Unconfirmed (§7 q12).
    pub dlq_new_message_id: bool,
    /// What a subscription DLQ stores: the notification body as the endpoint would have
    /// received it (default `false`), or the raw published message body (`true`). Unconfirmed
    /// (§5.4, §7 q14); the notification keeps the topic, subscription and message id.
    pub subscription_dlq_stores_raw_message: bool,
    /// Seed for message ids and receipt-handle keys. `None` (default) picks a random seed per engine;
    /// a fixed seed makes ids and handles reproducible.
    pub seed: Option<u64>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_retention_seconds: limits::MAX_RETENTION_SECONDS,
            max_queue_name_len: limits::MAX_QUEUE_NAME_LEN,
            delete_missing_queue_is_error: false,
            create_compares_effective_values: true,
            queue_deleted_recently_window: 0,
            change_visibility_allows_zero: false,
            delayed_send_handle_valid: true,
            report_message_counts: true,
            max_queues: None,
            queue_quota_error_code: "QueueNumExceededLimit",
            system_property_names: limits::SYSTEM_PROPERTY_NAMES,
            topic_forwards_properties: false,
            fifo_messages_per_group_per_receive: 1,
            fifo_honours_priority: false,
            fifo_honours_delay: true,
            max_message_group_id_len: 128,
            dlq_move_timing: DlqMoveTiming::AtNextReceive,
            dlq_max_receive_count: 1000,
            dlq_target_must_exist: true,
            dlq_kinds_must_match: true,
            dlq_policy_error_code: "InvalidArgument",
            dlq_message_type_queue: "QUEUE",
            dlq_message_type_subscription: "SUBSCRIPTION",
            dlq_new_message_id: true,
            subscription_dlq_stores_raw_message: false,
            seed: None,
        }
    }
}
