//! The bodies the service writes to endpoints for each `NotifyContentFormat` (reference §5.2).
//!
//! Queue endpoints get exactly these bytes as the message body (no base64, §5.3); HTTP endpoints
//! get them as the request body (SIMPLIFIED moves the metadata into headers, §6.2).

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::Millis;
use super::subscription::NotifyContentFormat;

/// Everything a notification says about one message for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationFields {
    /// Account id owning the topic.
    pub topic_owner: String,
    /// Topic name.
    pub topic_name: String,
    /// Subscriber account id.
    pub subscriber: String,
    /// Subscription name.
    pub subscription_name: String,
    /// The topic message id.
    pub message_id: String,
    /// The published `MessageBody`, verbatim.
    pub message: String,
    /// Upper-case hex MD5 of the message body.
    pub message_md5: String,
    /// The publisher's `MessageTag`, when there was one (omitted otherwise).
    pub message_tag: Option<String>,
    /// Publish time, epoch milliseconds.
    pub publish_time: Millis,
}

/// The body for `format`.
pub fn render(format: NotifyContentFormat, n: &NotificationFields) -> String {
    match format {
        NotifyContentFormat::Xml => render_xml(n),
        NotifyContentFormat::Json => render_json(n),
        NotifyContentFormat::Simplified => n.message.clone(),
    }
}

/// The `Content-Type` an HTTP endpoint gets for `format` (JSON's is unconfirmed, §6.2).
pub fn content_type(format: NotifyContentFormat) -> &'static str {
    match format {
        NotifyContentFormat::Xml => "text/xml;charset=utf-8",
        NotifyContentFormat::Json => "application/json;charset=utf-8",
        NotifyContentFormat::Simplified => "text/plain;charset=utf-8",
    }
}

fn render_xml(n: &NotificationFields) -> String {
    let mut s = String::with_capacity(n.message.len() + 512);
    s.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    s.push_str(r#"<Notification xmlns="http://mns.aliyuncs.com/doc/v1/">"#);
    let mut el = |name: &str, value: &str| {
        let _ = write!(s, "<{name}>{}</{name}>", escape(value));
    };
    el("TopicOwner", &n.topic_owner);
    el("TopicName", &n.topic_name);
    el("Subscriber", &n.subscriber);
    el("SubscriptionName", &n.subscription_name);
    el("MessageId", &n.message_id);
    el("Message", &n.message);
    el("MessageMD5", &n.message_md5);
    if let Some(tag) = &n.message_tag {
        el("MessageTag", tag);
    }
    el("PublishTime", &n.publish_time.to_string());
    s.push_str("</Notification>");
    s
}

fn render_json(n: &NotificationFields) -> String {
    let mut s = String::with_capacity(n.message.len() + 512);
    s.push('{');
    let mut first = true;
    let mut field = |name: &str, value: &str| {
        if !first {
            s.push(',');
        }
        first = false;
        // serde_json string encoding cannot fail for a &str.
        let value = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned());
        let _ = write!(s, "\"{name}\":{value}");
    };
    field("TopicOwner", &n.topic_owner);
    field("TopicName", &n.topic_name);
    field("Subscriber", &n.subscriber);
    field("SubscriptionName", &n.subscription_name);
    field("MessageId", &n.message_id);
    field("Message", &n.message);
    field("MessageMD5", &n.message_md5);
    if let Some(tag) = &n.message_tag {
        field("MessageTag", tag);
    }
    field("PublishTime", &n.publish_time.to_string());
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The XML push vector's body (`testdata/vectors/push-signature.json`) is what we render.
    #[test]
    fn xml_body_matches_the_push_vector() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/push-signature.json"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let v = &doc["vectors"][0];
        assert_eq!(v["notify_content_format"], "XML");
        let fields = NotificationFields {
            topic_owner: "1234567890123456".into(),
            topic_name: "orders".into(),
            subscriber: "1234567890123456".into(),
            subscription_name: "orders-http".into(),
            message_id: "5F4C6B1A2D3E4F50-1-18CC4E52200-200000001".into(),
            message: "hello topic".into(),
            message_md5: "D6206122A430035E4EC1463CDD704B59".into(),
            message_tag: Some("important".into()),
            publish_time: 1_704_110_400_000,
        };
        assert_eq!(
            render(NotifyContentFormat::Xml, &fields),
            v["body"].as_str().unwrap()
        );
        assert_eq!(
            content_type(NotifyContentFormat::Xml),
            v["headers"]["Content-Type"].as_str().unwrap()
        );
    }
}
