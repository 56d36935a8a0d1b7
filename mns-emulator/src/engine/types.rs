//! Inputs and outputs of the queue engine's operations.
//!
//! Times are epoch milliseconds ([`Millis`]) except `CreateTime`/`LastModifyTime`, which the
//! service reports in seconds.

use super::Millis;
use crate::error::MnsError;

/// Queue attributes as given to `CreateQueue` / `SetQueueAttributes`; `None` means "not in the request".
///
/// Numbers are `i64` so out-of-range values get the service's range message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueAttributesInput {
    /// `DelaySeconds`, 0..=604800.
    pub delay_seconds: Option<i64>,
    /// `MaximumMessageSize`, 1024..=65536.
    pub maximum_message_size: Option<i64>,
    /// `MessageRetentionPeriod`, 60..=604800 (see `EngineConfig::max_retention_seconds`).
    pub message_retention_period: Option<i64>,
    /// `VisibilityTimeout`, 1..=43200.
    pub visibility_timeout: Option<i64>,
    /// `PollingWaitSeconds`, 0..=30.
    pub polling_wait_seconds: Option<i64>,
    /// `LoggingEnabled`.
    pub logging_enabled: Option<bool>,
}

/// What `CreateQueue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// A new queue was created (HTTP 201).
    Created,
    /// The queue already existed with the same attributes (HTTP 204).
    Existed,
}

/// A queue's attributes as `GetQueueAttributes` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAttributes {
    /// The queue name.
    pub name: String,
    /// Creation time, epoch **seconds**.
    pub create_time: u64,
    /// Last `SetQueueAttributes` (or creation) time, epoch **seconds**.
    pub last_modify_time: u64,
    /// Default delay of new messages, seconds.
    pub delay_seconds: u32,
    /// Maximum body size, bytes.
    pub maximum_message_size: u32,
    /// Retention period, seconds.
    pub message_retention_period: u32,
    /// Visibility timeout after a receive, seconds.
    pub visibility_timeout: u32,
    /// Default long-poll wait, seconds.
    pub polling_wait_seconds: u32,
    /// Logging switch.
    pub logging_enabled: bool,
    /// Messages visible now.
    pub active_messages: u64,
    /// Messages received and not yet visible again.
    pub inactive_messages: u64,
    /// Messages still delayed.
    pub delay_messages: u64,
}

/// Options of a listing (`ListQueue`, `ListTopic`, `ListSubscriptionByTopic`; headers
/// `x-mns-prefix`, `x-mns-marker`, `x-mns-ret-number`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// Only names starting with this prefix.
    pub prefix: Option<String>,
    /// Continuation marker from a previous page's `next_marker`.
    pub marker: Option<String>,
    /// Page size 1..=1000; `None` means 1000.
    pub ret_number: Option<i64>,
}

/// One page of `ListQueue`, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    /// The queues on this page (with attributes; the HTTP layer decides what to render).
    pub queues: Vec<QueueAttributes>,
    /// Marker for the next page, when more queues match.
    pub next_marker: Option<String>,
}

/// A user property of a message (`<PropertyValue>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProperty {
    /// Property name.
    pub name: String,
    /// Property value (base64 for `BINARY`).
    pub value: String,
    /// `STRING`, `NUMBER`, `BOOLEAN` or `BINARY`.
    pub value_type: String,
}

/// A system property of a message (`<SystemPropertyValue>`), e.g. `traceparent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemProperty {
    /// Property name.
    pub name: String,
    /// Property value.
    pub value: String,
    /// Value type (`STRING`).
    pub value_type: String,
}

/// One message of a `SendMessage` / `BatchSendMessage` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendMessageInput {
    /// `MessageBody` text exactly as sent (after XML unescaping).
    pub body: String,
    /// `DelaySeconds`; `None` uses the queue's.
    pub delay_seconds: Option<i64>,
    /// `Priority` 1..=16; `None` means 8.
    pub priority: Option<i64>,
    /// `UserProperties`.
    pub user_properties: Vec<UserProperty>,
    /// `SystemProperties`.
    pub system_properties: Vec<SystemProperty>,
    /// `MessageGroupId`: required in a FIFO queue (order and group lock per group); stored and
    /// echoed in a normal one.
    pub message_group_id: Option<String>,
}

impl SendMessageInput {
    /// A message with this body and no options.
    pub fn new(body: impl Into<String>) -> Self {
        SendMessageInput {
            body: body.into(),
            ..Default::default()
        }
    }
}

/// The result of sending one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// 32 upper-case hex characters.
    pub message_id: String,
    /// Upper-case hex MD5 of the body text.
    pub body_md5: String,
    /// Receipt handle, only for delayed messages.
    pub receipt_handle: Option<String>,
    /// The message group id, when one was sent.
    pub message_group_id: Option<String>,
}

/// A message returned by `ReceiveMessage` / `BatchReceiveMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Message id.
    pub message_id: String,
    /// The new receipt handle (`[A-Za-z0-9-]`).
    pub receipt_handle: String,
    /// Upper-case hex MD5 of the body.
    pub body_md5: String,
    /// The body text.
    pub body: String,
    /// Enqueue time, epoch ms.
    pub enqueue_time: Millis,
    /// When the message becomes visible again, epoch ms.
    pub next_visible_time: Millis,
    /// First receive time, epoch ms.
    pub first_dequeue_time: Millis,
    /// Number of receives including this one.
    pub dequeue_count: u32,
    /// Priority 1..=16.
    pub priority: u8,
    /// User properties.
    pub user_properties: Vec<UserProperty>,
    /// System properties.
    pub system_properties: Vec<SystemProperty>,
    /// Message group id.
    pub message_group_id: Option<String>,
}

/// A message returned by `PeekMessage` / `BatchPeekMessage` (no handle, no visibility time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeekedMessage {
    /// Message id.
    pub message_id: String,
    /// Upper-case hex MD5 of the body.
    pub body_md5: String,
    /// The body text.
    pub body: String,
    /// Enqueue time, epoch ms.
    pub enqueue_time: Millis,
    /// First receive time, epoch ms (= enqueue time while never received).
    pub first_dequeue_time: Millis,
    /// Number of receives so far.
    pub dequeue_count: u32,
    /// Priority 1..=16.
    pub priority: u8,
    /// User properties.
    pub user_properties: Vec<UserProperty>,
    /// System properties.
    pub system_properties: Vec<SystemProperty>,
    /// Message group id.
    pub message_group_id: Option<String>,
}

/// A receipt handle that `BatchDeleteMessage` could not delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchDeleteFailure {
    /// The handle as given.
    pub receipt_handle: String,
    /// Why (`ReceiptHandleError` or `MessageNotExist`).
    pub error: MnsError,
}

/// The result of `ChangeMessageVisibility`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibilityChanged {
    /// The new receipt handle; the old one is no longer valid.
    pub receipt_handle: String,
    /// When the message becomes visible, epoch ms.
    pub next_visible_time: Millis,
}

/// The state of a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// Waiting for its delay to pass.
    Delayed,
    /// Visible: can be received or peeked.
    Active,
    /// Received and not yet visible again.
    Inactive,
}

/// Everything the engine knows about one stored message (for tests and the testkit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSnapshot {
    /// Message id.
    pub message_id: String,
    /// Current state.
    pub state: MessageState,
    /// Body text.
    pub body: String,
    /// Upper-case hex MD5 of the body.
    pub body_md5: String,
    /// Priority 1..=16.
    pub priority: u8,
    /// Number of receives.
    pub dequeue_count: u32,
    /// Enqueue time, epoch ms.
    pub enqueue_time: Millis,
    /// First receive time (= enqueue time while never received), epoch ms.
    pub first_dequeue_time: Millis,
    /// Delayed: when the delay ends; Inactive: when it becomes visible; Active: when it last became visible.
    pub next_visible_time: Millis,
    /// When retention deletes it, epoch ms.
    pub expires_at: Millis,
    /// The currently valid receipt handle (Inactive, or Delayed with a send handle).
    pub receipt_handle: Option<String>,
    /// Message group id (FIFO queues; echoed in normal ones).
    pub message_group_id: Option<String>,
    /// User properties.
    pub user_properties: Vec<UserProperty>,
    /// System properties (a dead-lettered message carries `DLQMessageType`, `DLQSourceArn` and
    /// `DLQOriginMessageId`).
    pub system_properties: Vec<SystemProperty>,
}
