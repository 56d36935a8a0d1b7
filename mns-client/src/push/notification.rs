//! What a push delivers, in the three `NotifyContentFormat`s (reference §5.2, §6.2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest as _, Md5};

use super::error::NotificationError;
use super::request::PushRequest;
use crate::topic::NotifyContentFormat;

/// A notification in the `XML` or `JSON` format: the published message and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notification {
    /// Account id of the topic's owner.
    pub topic_owner: String,
    /// The topic's name.
    pub topic_name: String,
    /// Account id of the subscriber.
    pub subscriber: String,
    /// The subscription's name.
    pub subscription_name: String,
    /// The published message's id (opaque).
    pub message_id: String,
    /// The published message body, verbatim (the service never decodes Base64).
    pub message: String,
    /// Upper-case hex MD5 of `message`, as the service reports it.
    pub message_md5: String,
    /// The publisher's `MessageTag`, if any.
    pub message_tag: Option<String>,
    /// When the message was published (millisecond precision).
    pub publish_time: SystemTime,
}

impl Notification {
    /// Whether `message_md5` is the MD5 of `message` (case-insensitive hex compare).
    pub fn message_md5_matches(&self) -> bool {
        let hex: String = Md5::digest(self.message.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        hex.eq_ignore_ascii_case(&self.message_md5)
    }
}

/// A notification in the `SIMPLIFIED` format: the body is the published message itself; the
/// metadata comes from the `x-mns-*` headers that were sent (which ones is partly
/// (unconfirmed), reference §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimplifiedNotification {
    /// The published message body.
    pub message: String,
    /// `x-mns-message-id`.
    pub message_id: Option<String>,
    /// `x-mns-message-tag`.
    pub message_tag: Option<String>,
    /// `x-mns-topic-owner`.
    pub topic_owner: Option<String>,
    /// `x-mns-topic-name`.
    pub topic_name: Option<String>,
    /// `x-mns-subscriber`.
    pub subscriber: Option<String>,
    /// `x-mns-subscription-name`.
    pub subscription_name: Option<String>,
    /// `x-mns-publish-time` (milliseconds since the epoch).
    pub publish_time: Option<SystemTime>,
}

/// A parsed push body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushNotification {
    /// `XML` or `JSON` format.
    Full(Notification),
    /// `SIMPLIFIED` format.
    Simplified(SimplifiedNotification),
}

impl PushNotification {
    /// The published message body.
    pub fn message(&self) -> &str {
        match self {
            PushNotification::Full(n) => &n.message,
            PushNotification::Simplified(n) => &n.message,
        }
    }

    /// The published message's id, when known.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            PushNotification::Full(n) => Some(&n.message_id),
            PushNotification::Simplified(n) => n.message_id.as_deref(),
        }
    }

    /// The publisher's tag, when any.
    pub fn message_tag(&self) -> Option<&str> {
        match self {
            PushNotification::Full(n) => n.message_tag.as_deref(),
            PushNotification::Simplified(n) => n.message_tag.as_deref(),
        }
    }

    /// Parses `request`'s body as `format`. Does not verify anything: use
    /// [`VerifiedPush::notification`](super::VerifiedPush::notification) on requests from the
    /// network.
    pub fn parse(
        format: NotifyContentFormat,
        request: &PushRequest,
    ) -> Result<Self, NotificationError> {
        let text = std::str::from_utf8(request.body()).map_err(|_| NotificationError::NotUtf8)?;
        match format {
            NotifyContentFormat::Xml => parse_xml(text).map(PushNotification::Full),
            NotifyContentFormat::Json => parse_json(text).map(PushNotification::Full),
            NotifyContentFormat::Simplified => {
                let h = |name: &str| request.header(name).map(str::to_owned);
                let publish_time = match request.header("x-mns-publish-time") {
                    Some(v) => Some(parse_millis(v)?),
                    None => None,
                };
                Ok(PushNotification::Simplified(SimplifiedNotification {
                    message: text.to_owned(),
                    message_id: h("x-mns-message-id"),
                    message_tag: h("x-mns-message-tag").filter(|t| !t.is_empty()),
                    topic_owner: h("x-mns-topic-owner"),
                    topic_name: h("x-mns-topic-name"),
                    subscriber: h("x-mns-subscriber"),
                    subscription_name: h("x-mns-subscription-name"),
                    publish_time,
                }))
            }
        }
    }
}

fn parse_millis(v: &str) -> Result<SystemTime, NotificationError> {
    v.trim()
        .parse::<u64>()
        .ok()
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .ok_or_else(|| NotificationError::InvalidPublishTime(v.to_owned()))
}

/// The fields of `<Notification>` / the JSON object, all optional on the wire.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    topic_owner: Option<String>,
    topic_name: Option<String>,
    subscriber: Option<String>,
    subscription_name: Option<String>,
    message_id: Option<String>,
    message: Option<String>,
    #[serde(rename = "MessageMD5")]
    message_md5: Option<String>,
    message_tag: Option<String>,
    publish_time: Option<String>,
}

impl Wire {
    fn finish(self, format: &'static str) -> Result<Notification, NotificationError> {
        let need = |v: Option<String>, field: &'static str| {
            v.ok_or(NotificationError::MissingField { format, field })
        };
        let publish_time = match self.publish_time {
            Some(s) => parse_millis(&s)?,
            None => {
                return Err(NotificationError::MissingField {
                    format,
                    field: "PublishTime",
                });
            }
        };
        Ok(Notification {
            topic_owner: need(self.topic_owner, "TopicOwner")?,
            topic_name: need(self.topic_name, "TopicName")?,
            subscriber: need(self.subscriber, "Subscriber")?,
            subscription_name: need(self.subscription_name, "SubscriptionName")?,
            message_id: need(self.message_id, "MessageId")?,
            // An empty `<Message/>` deserialises as absent; an empty body is still a body.
            message: self.message.unwrap_or_default(),
            message_md5: need(self.message_md5, "MessageMD5")?,
            message_tag: self.message_tag.filter(|t| !t.is_empty()),
            publish_time,
        })
    }
}

fn parse_xml(text: &str) -> Result<Notification, NotificationError> {
    let malformed = |e: String| NotificationError::Malformed {
        format: "XML",
        reason: e,
    };
    let trimmed = text.trim_start();
    if !trimmed.starts_with('<') {
        return Err(malformed("body is not XML".into()));
    }
    // The root element's name is checked by hand: serde ignores it.
    let root_ok = root_element_name(trimmed).is_some_and(|n| n == "Notification");
    if !root_ok {
        return Err(malformed("root element is not <Notification>".into()));
    }
    let wire: Wire = quick_xml::de::from_str(text).map_err(|e| malformed(e.to_string()))?;
    wire.finish("XML")
}

/// The local name of the first element, skipping the declaration, comments and whitespace.
fn root_element_name(mut s: &str) -> Option<&str> {
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("<?") {
            s = &rest[rest.find("?>")? + 2..];
        } else if let Some(rest) = s.strip_prefix("<!--") {
            s = &rest[rest.find("-->")? + 3..];
        } else if let Some(rest) = s.strip_prefix('<') {
            let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            let name = &rest[..end];
            return Some(name.rsplit(':').next().unwrap_or(name));
        } else {
            return None;
        }
    }
}

fn parse_json(text: &str) -> Result<Notification, NotificationError> {
    let malformed = |e: serde_json::Error| NotificationError::Malformed {
        format: "JSON",
        reason: e.to_string(),
    };
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(malformed)?;
    // The documented form quotes every value; accept a bare number for `PublishTime` too.
    if let Some(t) = value.get_mut("PublishTime")
        && let Some(n) = t.as_u64()
    {
        *t = serde_json::Value::String(n.to_string());
    }
    let wire: Wire = serde_json::from_value(value).map_err(malformed)?;
    wire.finish("JSON")
}
