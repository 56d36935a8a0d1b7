//! Messages: user properties, send options and receipts, received and peeked messages.

use super::*;

/// The type of a user property value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyType {
    /// Text.
    String,
    /// A number, as text.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Base64-encoded bytes.
    Binary,
    /// A type this version of the crate does not know, kept verbatim.
    Other(String),
}

impl PropertyType {
    /// The type as the service spells it.
    pub fn as_str(&self) -> &str {
        match self {
            PropertyType::String => "STRING",
            PropertyType::Number => "NUMBER",
            PropertyType::Boolean => "BOOLEAN",
            PropertyType::Binary => "BINARY",
            PropertyType::Other(s) => s,
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s.trim() {
            "STRING" => PropertyType::String,
            "NUMBER" => PropertyType::Number,
            "BOOLEAN" => PropertyType::Boolean,
            "BINARY" => PropertyType::Binary,
            other => PropertyType::Other(other.to_owned()),
        }
    }
}

/// A user-defined message property (`<UserProperties><PropertyValue>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserProperty {
    /// Name: up to 256 characters of `[A-Za-z0-9_.-]`, not starting or ending with `.`, no `..`.
    pub name: String,
    /// Value, up to 4096 characters.
    pub value: String,
    /// Type of the value.
    pub kind: PropertyType,
}

impl UserProperty {
    /// A `STRING` property.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        UserProperty {
            name: name.into(),
            value: value.into(),
            kind: PropertyType::String,
        }
    }
}

pub(crate) fn validate_user_properties(props: &[UserProperty]) -> Result<(), Error> {
    if props.len() > limits::USER_PROPERTIES_MAX {
        return Err(invalid(format!(
            "at most {} user properties per message, got {}",
            limits::USER_PROPERTIES_MAX,
            props.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for p in props {
        let n = &p.name;
        let chars_ok = n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if n.is_empty()
            || n.chars().count() > limits::USER_PROPERTY_NAME_MAX_LEN
            || !chars_ok
            || n.starts_with('.')
            || n.ends_with('.')
            || n.contains("..")
        {
            return Err(invalid(format!("invalid user property name {n:?}")));
        }
        if !seen.insert(n.as_str()) {
            return Err(invalid(format!("duplicate user property name {n:?}")));
        }
        if p.value.chars().count() > limits::USER_PROPERTY_VALUE_MAX_LEN {
            return Err(invalid(format!(
                "user property {n:?} has a value that is too long"
            )));
        }
        crate::xml::check_text("UserProperty value", &p.value)?;
    }
    Ok(())
}

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
        validate_user_properties(&self.user_properties)
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
}

impl ReceivedMessage {
    /// The body as UTF-8 text, if it is.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
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
}

impl PeekedMessage {
    /// The body as UTF-8 text, if it is.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
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
