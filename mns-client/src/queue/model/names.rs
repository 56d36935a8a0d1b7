//! Validated names and values: queue names, priorities, receipt handles, the body codec.

use super::*;

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
