//! Messages: send options and receipts, received and peeked messages.

use super::*;

/// Options for SendMessage (and each BatchSendMessage entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Delay before the message becomes visible, 0–604800 s; `None` uses the queue's default.
    pub delay_seconds: Option<u32>,
    /// Priority; `None` leaves it to the service (8).
    pub priority: Option<Priority>,
    /// User properties (sent only when non-empty).
    pub user_properties: Vec<UserProperty>,
    /// `MessageGroupId`: required by FIFO queues (order and the group lock hold per group);
    /// sent only when set. Must be non-empty when set.
    pub message_group_id: Option<String>,
    /// System properties (sent only when non-empty); only the client-settable names
    /// (`traceparent`, `tracestate`, `baggage`) are accepted.
    pub system_properties: SystemProperties,
}

impl SendOptions {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(d) = self.delay_seconds {
            check_range("DelaySeconds", d, (0, limits::DELAY_SECONDS_MAX))?;
        }
        if let Some(g) = &self.message_group_id {
            if g.is_empty() {
                return Err(Error::InvalidInput(
                    "message group id must not be empty".to_owned(),
                ));
            }
            crate::xml::check_text("MessageGroupId", g)?;
        }
        validate_user_properties(&self.user_properties)?;
        self.system_properties.validate_for_send()
    }

    /// Options with only a `MessageGroupId` (for FIFO queues).
    pub fn in_group(group: impl Into<String>) -> Self {
        SendOptions {
            message_group_id: Some(group.into()),
            ..SendOptions::default()
        }
    }
}

/// One entry of a BatchSendMessage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSendEntry {
    /// The body (encoded with the queue handle's codec).
    pub body: Vec<u8>,
    /// Per-message options.
    pub options: SendOptions,
}

impl BatchSendEntry {
    /// An entry with default options.
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        BatchSendEntry {
            body: body.into(),
            options: SendOptions::default(),
        }
    }

    /// An entry with options.
    pub fn with_options(body: impl Into<Vec<u8>>, options: SendOptions) -> Self {
        BatchSendEntry {
            body: body.into(),
            options,
        }
    }
}

/// What the service returned for a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendReceipt {
    /// The new message's id.
    pub message_id: String,
    /// Upper-case hex MD5 of the transmitted body (already checked by the client).
    pub body_md5: String,
    /// A receipt handle, which the service returns for delayed messages.
    pub receipt_handle: Option<ReceiptHandle>,
    /// The `MessageGroupId` the service echoed (FIFO queues), if any.
    pub message_group_id: Option<String>,
}

/// Why one entry of a batch operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("batch entry {index} failed: {code}: {message}")]
#[non_exhaustive]
pub struct BatchEntryError {
    /// Position of the entry in the request (0-based).
    pub index: usize,
    /// The service's `ErrorCode`.
    pub code: ErrorCode,
    /// The service's `ErrorMessage`.
    pub message: String,
    /// For BatchDeleteMessage: the handle that failed.
    pub receipt_handle: Option<ReceiptHandle>,
}

/// A received message (ReceiveMessage / BatchReceiveMessage).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// The message id.
    pub message_id: String,
    /// The handle for deleting the message or changing its visibility.
    pub receipt_handle: ReceiptHandle,
    /// The body, decoded with the queue handle's codec.
    pub body: Vec<u8>,
    /// Upper-case hex MD5 of the transmitted body (checked by the client).
    pub body_md5: String,
    /// When the message was enqueued.
    pub enqueue_time: SystemTime,
    /// When the message was first received.
    pub first_dequeue_time: SystemTime,
    /// When the message becomes visible again unless deleted.
    pub next_visible_time: SystemTime,
    /// How many times the message has been received, this time included.
    pub dequeue_count: u32,
    /// The message's priority.
    pub priority: Priority,
    /// User properties, if the message has any.
    pub user_properties: Vec<UserProperty>,
    /// The FIFO message group, if any.
    pub message_group_id: Option<String>,
    /// System properties: trace context and, on dead-lettered messages, the DLQ stamps.
    pub system_properties: SystemProperties,
}

impl ReceivedMessage {
    /// The body as UTF-8 text, if it is.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The user property with this name, if the message has one.
    pub fn user_property(&self, name: &str) -> Option<&UserProperty> {
        self.user_properties.iter().find(|p| p.name == name)
    }
}

/// A peeked message (PeekMessage / BatchPeekMessage): no receipt handle, no state change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeekedMessage {
    /// The message id.
    pub message_id: String,
    /// The body, decoded with the queue handle's codec.
    pub body: Vec<u8>,
    /// Upper-case hex MD5 of the transmitted body (checked by the client).
    pub body_md5: String,
    /// When the message was enqueued.
    pub enqueue_time: SystemTime,
    /// When the message was first received (equals `enqueue_time` if never received).
    pub first_dequeue_time: SystemTime,
    /// How many times the message has been received.
    pub dequeue_count: u32,
    /// The message's priority.
    pub priority: Priority,
    /// User properties, if the message has any.
    pub user_properties: Vec<UserProperty>,
    /// The FIFO message group, if any.
    pub message_group_id: Option<String>,
    /// System properties: trace context and, on dead-lettered messages, the DLQ stamps.
    pub system_properties: SystemProperties,
}

impl PeekedMessage {
    /// The body as UTF-8 text, if it is.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The user property with this name, if the message has one.
    pub fn user_property(&self, name: &str) -> Option<&UserProperty> {
        self.user_properties.iter().find(|p| p.name == name)
    }
}

/// The result of ChangeMessageVisibility.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VisibilityChange {
    /// The new receipt handle; the old one is no longer valid.
    pub receipt_handle: ReceiptHandle,
    /// When the message becomes visible again.
    pub next_visible_time: SystemTime,
}
