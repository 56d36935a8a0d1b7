//! Types for queue and message operations: validated names and values, options, results.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, ErrorCode};

/// The service's limits, checked client-side before anything is sent.
///
/// Where the reference documents disagree, the current documented limit is used; each one is
/// defined here only.
pub mod limits {
    /// Longest queue name.
    pub const QUEUE_NAME_MAX_LEN: usize = 120;
    /// Largest message body, in bytes as transmitted (after base64 encoding, if any).
    pub const MESSAGE_BODY_MAX_BYTES: usize = 65_536;
    /// Largest total of the bodies in one BatchSendMessage, in bytes as transmitted.
    pub const BATCH_BODY_MAX_BYTES: usize = 65_536;
    /// Most entries in one batch operation (send, receive, peek, delete).
    pub const BATCH_MAX_ENTRIES: usize = 16;
    /// Longest delay, in seconds (7 days).
    pub const DELAY_SECONDS_MAX: u32 = 604_800;
    /// Visibility timeout range, in seconds.
    pub const VISIBILITY_TIMEOUT: (u32, u32) = (1, 43_200);
    /// Long-poll wait range, in seconds.
    pub const WAIT_SECONDS_MAX: u32 = 30;
    /// `MaximumMessageSize` attribute range, in bytes.
    pub const MAXIMUM_MESSAGE_SIZE: (u32, u32) = (1_024, 65_536);
    /// `MessageRetentionPeriod` attribute range, in seconds.
    pub const MESSAGE_RETENTION_PERIOD: (u32, u32) = (60, 604_800);
    /// ListQueue page size range (`x-mns-ret-number`).
    pub const LIST_PAGE_SIZE: (u32, u32) = (1, 1_000);
    /// Most user properties on one message.
    pub const USER_PROPERTIES_MAX: usize = 50;
    /// Longest user property name, in characters.
    pub const USER_PROPERTY_NAME_MAX_LEN: usize = 256;
    /// Longest user property value, in characters.
    pub const USER_PROPERTY_VALUE_MAX_LEN: usize = 4_096;
}

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

fn check_range(what: &str, value: u32, (low, high): (u32, u32)) -> Result<(), Error> {
    if value < low || value > high {
        return Err(invalid(format!(
            "{what} must be between {low} and {high}, got {value}"
        )));
    }
    Ok(())
}

/// A validated queue name: 1–120 characters, ASCII letters, digits and `-`, starting with a letter
/// or digit.
///
/// ```
/// use mns_client::QueueName;
/// assert!(QueueName::new("orders-2024").is_ok());
/// assert!(QueueName::new("-orders").is_err());
/// assert!(QueueName::new("orders/1").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueName(String);

impl QueueName {
    /// Validates `name`.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        if name.is_empty() || name.len() > limits::QUEUE_NAME_MAX_LEN {
            return Err(invalid(format!(
                "queue name must be 1 to {} characters long, got {}",
                limits::QUEUE_NAME_MAX_LEN,
                name.len()
            )));
        }
        let bytes = name.as_bytes();
        let ok = bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        if !ok {
            return Err(invalid(format!(
                "queue name {name:?} is invalid: use ASCII letters, digits and '-', starting with a letter or digit"
            )));
        }
        Ok(QueueName(name))
    }

    /// A name as the service reported it, not validated again (the service only reports names
    /// it accepted).
    pub(crate) fn from_service(name: impl Into<String>) -> Self {
        QueueName(name.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for QueueName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QueueName::new(s)
    }
}

impl AsRef<str> for QueueName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A message priority, 1 (highest) to 16 (lowest); the service's default is 8.
///
/// ```
/// use mns_client::Priority;
/// assert_eq!(Priority::new(1)?.get(), 1);
/// assert!(Priority::new(0).is_err());
/// assert!(Priority::new(17).is_err());
/// assert_eq!(Priority::default().get(), 8);
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(u8);

impl Priority {
    /// The highest priority (1).
    pub const HIGHEST: Priority = Priority(1);
    /// The lowest priority (16).
    pub const LOWEST: Priority = Priority(16);
    /// The service's default (8).
    pub const DEFAULT: Priority = Priority(8);

    /// Validates `value` (1–16).
    pub fn new(value: u8) -> Result<Self, Error> {
        if (1..=16).contains(&value) {
            Ok(Priority(value))
        } else {
            Err(invalid(format!(
                "priority must be between 1 and 16, got {value}"
            )))
        }
    }

    /// The numeric priority.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Priority::DEFAULT
    }
}

/// The handle that identifies one receipt of a message; needed to delete it or change its
/// visibility. Every receive and every visibility change issues a new handle and invalidates the
/// previous one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiptHandle(String);

impl ReceiptHandle {
    /// Wraps a handle; it must be non-empty and free of whitespace and control characters.
    pub fn new(handle: impl Into<String>) -> Result<Self, Error> {
        let handle = handle.into();
        if handle.is_empty() {
            return Err(invalid("receipt handle must not be empty"));
        }
        if handle.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "receipt handle must not contain whitespace or control characters",
            ));
        }
        Ok(ReceiptHandle(handle))
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The handle as a query-string value: URL-safe characters (and `+`, `/`, `=`, which the
    /// official SDKs also send raw) are kept, anything else is percent-encoded.
    pub(crate) fn query_value(&self) -> Cow<'_, str> {
        let safe = |b: u8| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b);
        if self.0.bytes().all(safe) {
            return Cow::Borrowed(&self.0);
        }
        let mut out = String::with_capacity(self.0.len() * 3);
        for b in self.0.bytes() {
            if safe(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        Cow::Owned(out)
    }
}

impl fmt::Display for ReceiptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ReceiptHandle {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReceiptHandle::new(s)
    }
}

/// How message bodies are put on the wire. Chosen per queue handle with
/// [`Queue::with_codec`](crate::Queue::with_codec).
///
/// The service stores `MessageBody` as an opaque string. The official Python, Java and PHP SDKs
/// base64-encode bodies by default; Go and Node send them raw. Use the codec that the other side of
/// your queue uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BodyCodec {
    /// Bodies are UTF-8 text sent as-is (XML-escaped). Bytes that are not UTF-8, or characters XML
    /// cannot carry (most control characters), are rejected before sending. The default.
    #[default]
    Raw,
    /// Bodies are arbitrary bytes, sent base64-encoded and decoded on receipt (interoperates with
    /// the Python/Java/PHP SDK defaults).
    Base64,
}

impl BodyCodec {
    /// The text to transmit for `body`.
    pub(crate) fn encode<'a>(self, body: &'a [u8]) -> Result<Cow<'a, str>, Error> {
        match self {
            BodyCodec::Raw => {
                let text = std::str::from_utf8(body).map_err(|_| {
                    invalid("message body is not UTF-8; use BodyCodec::Base64 for binary bodies")
                })?;
                // Use BodyCodec::Base64 for such bodies.
                crate::xml::check_text("MessageBody", text)?;
                Ok(Cow::Borrowed(text))
            }
            BodyCodec::Base64 => Ok(Cow::Owned(STANDARD.encode(body))),
        }
    }

    /// The body bytes for transmitted `text`.
    pub(crate) fn decode(self, text: String) -> Result<Vec<u8>, String> {
        match self {
            BodyCodec::Raw => Ok(text.into_bytes()),
            BodyCodec::Base64 => STANDARD.decode(text.as_bytes()).map_err(|e| {
                format!(
                    "message body is not valid base64 ({e}); is the queue using BodyCodec::Raw?"
                )
            }),
        }
    }
}

/// Settable queue attributes. Every field is optional: `None` leaves the service default (on
/// create) or the current value (on [`set_queue_attributes`](crate::Client::set_queue_attributes)).
///
/// ```
/// use mns_client::QueueOptions;
/// let attrs = QueueOptions { visibility_timeout: Some(60), ..QueueOptions::default() };
/// assert!(attrs.validate().is_ok());
/// let bad = QueueOptions { polling_wait_seconds: Some(31), ..QueueOptions::default() };
/// assert!(bad.validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueOptions {
    /// Default delay of new messages, 0–604800 s (service default 0).
    pub delay_seconds: Option<u32>,
    /// Largest accepted body, 1024–65536 bytes (service default 65536).
    pub maximum_message_size: Option<u32>,
    /// How long messages are kept, 60–604800 s (service default 345600).
    pub message_retention_period: Option<u32>,
    /// How long a received message stays invisible, 1–43200 s (service default 30).
    pub visibility_timeout: Option<u32>,
    /// Default long-poll wait, 0–30 s (service default 0).
    pub polling_wait_seconds: Option<u32>,
    /// Whether access logging is enabled (service default false).
    pub logging_enabled: Option<bool>,
}

impl QueueOptions {
    /// Checks every present value against the service's ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(v) = self.delay_seconds {
            check_range("DelaySeconds", v, (0, limits::DELAY_SECONDS_MAX))?;
        }
        if let Some(v) = self.maximum_message_size {
            check_range("MaximumMessageSize", v, limits::MAXIMUM_MESSAGE_SIZE)?;
        }
        if let Some(v) = self.message_retention_period {
            check_range(
                "MessageRetentionPeriod",
                v,
                limits::MESSAGE_RETENTION_PERIOD,
            )?;
        }
        if let Some(v) = self.visibility_timeout {
            check_range("VisibilityTimeout", v, limits::VISIBILITY_TIMEOUT)?;
        }
        if let Some(v) = self.polling_wait_seconds {
            check_range("PollingWaitSeconds", v, (0, limits::WAIT_SECONDS_MAX))?;
        }
        Ok(())
    }
}

/// Everything GetQueueAttributes reports about a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueAttributes {
    /// The queue's name.
    pub name: String,
    /// When the queue was created (the service reports whole seconds).
    pub create_time: SystemTime,
    /// When the attributes last changed (whole seconds).
    pub last_modify_time: SystemTime,
    /// Default delay of new messages, in seconds.
    pub delay_seconds: u32,
    /// Largest accepted body, in bytes.
    pub maximum_message_size: u32,
    /// How long messages are kept, in seconds.
    pub message_retention_period: u32,
    /// How long a received message stays invisible, in seconds.
    pub visibility_timeout: u32,
    /// Default long-poll wait, in seconds.
    pub polling_wait_seconds: u32,
    /// Approximate number of visible messages (deprecated by the service; may be 0).
    pub active_messages: u64,
    /// Approximate number of received, not yet visible messages (may be 0).
    pub inactive_messages: u64,
    /// Approximate number of delayed messages (may be 0).
    pub delay_messages: u64,
    /// Whether access logging is enabled.
    pub logging_enabled: bool,
}

/// One page of ListQueue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueuePage {
    /// The queues on this page.
    pub queues: Vec<QueueSummary>,
    /// Marker for the next page; `None` on the last page.
    pub next_marker: Option<String>,
}

/// One queue in a ListQueue page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueSummary {
    /// The queue's name.
    pub name: QueueName,
    /// The queue's URL as reported by the service.
    pub url: String,
    /// The attributes, when listed with [`ListOptions::with_meta`](crate::ListOptions::with_meta).
    pub attributes: Option<QueueAttributes>,
}

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

/// Epoch milliseconds to [`SystemTime`].
pub(crate) fn from_millis(ms: u64) -> SystemTime {
    from_secs(ms / 1000) + Duration::from_millis(ms % 1000)
}

/// The latest time a decoded timestamp may name: 9999-12-31T23:59:59Z. Later values (only a
/// broken answer sends them) are clamped to it, since `UNIX_EPOCH + huge` would overflow
/// `SystemTime` and panic (found by the `client_response_decoding` fuzz target).
const MAX_DECODED_SECS: u64 = 253_402_300_799;

/// Epoch seconds to [`SystemTime`], clamped to [`MAX_DECODED_SECS`].
pub(crate) fn from_secs(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s.min(MAX_DECODED_SECS))
}

/// Validates a long-poll wait (whole seconds, 0–30) and returns the seconds.
pub(crate) fn wait_seconds(wait: Duration) -> Result<u32, Error> {
    if wait.subsec_nanos() != 0 {
        return Err(invalid(format!("wait must be whole seconds, got {wait:?}")));
    }
    let secs = u32::try_from(wait.as_secs()).unwrap_or(u32::MAX);
    check_range("wait seconds", secs, (0, limits::WAIT_SECONDS_MAX))?;
    Ok(secs)
}

/// Validates a batch size (1–16).
pub(crate) fn batch_count(what: &str, n: usize) -> Result<(), Error> {
    if n == 0 || n > limits::BATCH_MAX_ENTRIES {
        return Err(invalid(format!(
            "{what} takes 1 to {} entries, got {n}",
            limits::BATCH_MAX_ENTRIES
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names() {
        assert!(QueueName::new("a").is_ok());
        assert!(QueueName::new("1abc-DEF").is_ok());
        assert!(QueueName::new("a".repeat(120)).is_ok());
        assert!(QueueName::new("a".repeat(121)).is_err());
        assert!(QueueName::new("").is_err());
        assert!(QueueName::new("a_b").is_err());
        assert!(QueueName::new("a b").is_err());
        assert!(QueueName::new("队列").is_err());
    }

    #[test]
    fn receipt_handle_query_value() {
        let h = ReceiptHandle::new("1-ODU4+OTk/zNDU5My0=10").unwrap();
        assert_eq!(h.query_value(), "1-ODU4+OTk/zNDU5My0=10");
        let h = ReceiptHandle::new("a&b#c%").unwrap();
        assert_eq!(h.query_value(), "a%26b%23c%25");
        assert!(ReceiptHandle::new("").is_err());
        assert!(ReceiptHandle::new("a b").is_err());
    }

    #[test]
    fn codecs() {
        assert_eq!(BodyCodec::Raw.encode(b"hi <x>").unwrap(), "hi <x>");
        assert!(BodyCodec::Raw.encode(&[0xff]).is_err());
        assert!(matches!(
            BodyCodec::Raw.encode(b"a\x01"),
            Err(Error::InvalidXmlChar {
                field: "MessageBody",
                code: 1,
                index: 1
            })
        ));
        assert!(matches!(
            BodyCodec::Raw.encode("\u{fffe}".as_bytes()),
            Err(Error::InvalidXmlChar { code: 0xFFFE, .. })
        ));
        assert_eq!(
            BodyCodec::Base64.encode(b"hello world").unwrap(),
            "aGVsbG8gd29ybGQ="
        );
        assert_eq!(
            BodyCodec::Base64.decode("aGVsbG8gd29ybGQ=".into()).unwrap(),
            b"hello world"
        );
        assert!(BodyCodec::Base64.decode("not base64!".into()).is_err());
    }

    #[test]
    fn waits_and_batches() {
        assert_eq!(wait_seconds(Duration::from_secs(30)).unwrap(), 30);
        // Absurd timestamps from a broken answer are clamped, never a panic.
        assert_eq!(from_secs(u64::MAX), from_secs(MAX_DECODED_SECS));
        assert_eq!(
            from_millis(u64::MAX),
            from_secs(MAX_DECODED_SECS) + Duration::from_millis(615)
        );
        assert!(wait_seconds(Duration::from_secs(31)).is_err());
        assert!(wait_seconds(Duration::from_millis(1500)).is_err());
        assert!(batch_count("x", 0).is_err());
        assert!(batch_count("x", 17).is_err());
        assert!(batch_count("x", 16).is_ok());
    }

    #[test]
    fn user_properties() {
        assert!(validate_user_properties(&[UserProperty::string("city", "hz")]).is_ok());
        for bad in [".a", "a.", "a..b", "a b", ""] {
            assert!(
                validate_user_properties(&[UserProperty::string(bad, "v")]).is_err(),
                "{bad}"
            );
        }
        let dup = [
            UserProperty::string("a", "1"),
            UserProperty::string("a", "2"),
        ];
        assert!(validate_user_properties(&dup).is_err());
    }
}
