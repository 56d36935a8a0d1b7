//! Wire shapes of topic and subscription requests and responses (reference §2), and their
//! conversion to and from the public model types.

use std::time::Duration;

use serde::Deserialize;

use super::model::{
    Endpoint, FilterTag, NotifyContentFormat, NotifyStrategy, PublishOptions, PublishReceipt,
    SubscribeOptions, SubscriptionAttributes, SubscriptionName, SubscriptionUpdate,
    TopicAttributes, TopicName, TopicOptions,
};
use crate::error::Error;
use crate::queue::model::from_secs;
use crate::signing::md5_hex_upper;
use crate::xml::{XmlWriter, parse_bool};

// ---------------------------------------------------------------------------------------------
// Requests

fn bool_text(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// `<Topic>` body for CreateTopic / SetTopicAttributes, in the documented element order.
pub(crate) fn topic_body(o: &TopicOptions) -> String {
    let mut w = XmlWriter::new("Topic", 96);
    w.opt_num("MaximumMessageSize", o.maximum_message_size);
    if let Some(b) = o.logging_enabled {
        w.elem("LoggingEnabled", bool_text(b));
    }
    w.finish()
}

/// `<Subscription>` body for Subscribe, in the documented element order.
pub(crate) fn subscribe_body(endpoint: &Endpoint, o: &SubscribeOptions) -> String {
    let endpoint = endpoint.to_string();
    let mut w = XmlWriter::new("Subscription", endpoint.len() + 160);
    w.elem("Endpoint", &endpoint);
    if let Some(tag) = &o.filter_tag {
        w.elem("FilterTag", tag.as_str());
    }
    if let Some(s) = o.notify_strategy {
        w.elem("NotifyStrategy", s.as_str());
    }
    if let Some(f) = o.notify_content_format {
        w.elem("NotifyContentFormat", f.as_str());
    }
    w.finish()
}

/// `<Subscription>` body for SetSubscriptionAttributes.
pub(crate) fn subscription_update_body(u: &SubscriptionUpdate) -> String {
    let mut w = XmlWriter::new("Subscription", 96);
    if let Some(s) = u.notify_strategy {
        w.elem("NotifyStrategy", s.as_str());
    }
    if let Some(tag) = &u.filter_tag {
        w.elem("FilterTag", tag.as_str());
    }
    w.finish()
}

/// `<Message>` body for PublishMessage; `body` is the transmitted (encoded) text and
/// `attributes` the `(element, JSON text)` children of `<MessageAttributes>`.
pub(crate) fn publish_body(
    body: &str,
    options: &PublishOptions,
    attributes: &[(&'static str, String)],
) -> String {
    let cap = body.len() + attributes.iter().map(|(_, v)| v.len() + 32).sum::<usize>() + 96;
    let mut w = XmlWriter::new("Message", cap);
    w.elem("MessageBody", body);
    if let Some(tag) = &options.message_tag {
        w.elem("MessageTag", tag.as_str());
    }
    crate::queue::wire::properties(&mut w, &options.user_properties, &options.system_properties);
    if let Some(g) = &options.message_group_id {
        w.elem("MessageGroupId", g);
    }
    if !attributes.is_empty() {
        w.open("MessageAttributes");
        for (name, json) in attributes {
            w.elem(name, json);
        }
        w.close("MessageAttributes");
    }
    w.finish()
}

// ---------------------------------------------------------------------------------------------
// Responses

fn trimmed(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The last path segment of a resource URL (`…/topics/orders` → `orders`).
pub(crate) fn name_from_url(url: &str) -> &str {
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// `<Topic>`: a GetTopicAttributes answer, or one entry of a ListTopic page.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct TopicXml {
    #[serde(rename = "TopicURL")]
    topic_url: Option<String>,
    topic_name: Option<String>,
    create_time: Option<u64>,
    last_modify_time: Option<u64>,
    maximum_message_size: Option<u32>,
    message_retention_period: Option<u64>,
    message_count: Option<u64>,
    logging_enabled: Option<String>,
}

impl TopicXml {
    /// `TopicURL`, trimmed (empty when absent).
    pub(crate) fn url(&self) -> String {
        self.topic_url
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Whether attribute elements are present (a `with_meta` listing).
    pub(crate) fn has_meta(&self) -> bool {
        self.create_time.is_some() || self.maximum_message_size.is_some()
    }

    /// The attributes; `fallback_name` is used when `<TopicName>` is absent.
    pub(crate) fn into_attributes(self, fallback_name: &str) -> Result<TopicAttributes, String> {
        let name = trimmed(self.topic_name).unwrap_or_else(|| fallback_name.to_owned());
        if name.is_empty() {
            return Err("<Topic> has no <TopicName>".into());
        }
        let logging_enabled = match self.logging_enabled.as_deref() {
            None => false,
            Some(s) => parse_bool(s).ok_or_else(|| format!("bad <LoggingEnabled> {s:?}"))?,
        };
        Ok(TopicAttributes {
            topic_name: TopicName::from_service(name),
            create_time: from_secs(self.create_time.unwrap_or(0)),
            last_modify_time: from_secs(self.last_modify_time.unwrap_or(0)),
            maximum_message_size: self.maximum_message_size.unwrap_or(0),
            message_retention_period: Duration::from_secs(
                self.message_retention_period.unwrap_or(0),
            ),
            message_count: self.message_count.unwrap_or(0),
            logging_enabled,
        })
    }
}

/// `<Topics>`: a ListTopic page.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct TopicsXml {
    #[serde(rename = "Topic")]
    pub(crate) topics: Vec<TopicXml>,
    next_marker: Option<String>,
}

impl TopicsXml {
    /// `NextMarker`, trimmed; `None` when absent or empty.
    pub(crate) fn next_marker(&mut self) -> Option<String> {
        trimmed(self.next_marker.take())
    }
}

/// `<Subscription>`: a GetSubscriptionAttributes answer, or one entry of a
/// ListSubscriptionByTopic page.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct SubscriptionXml {
    #[serde(rename = "SubscriptionURL")]
    subscription_url: Option<String>,
    subscription_name: Option<String>,
    subscriber: Option<String>,
    topic_owner: Option<String>,
    topic_name: Option<String>,
    endpoint: Option<String>,
    notify_strategy: Option<String>,
    notify_content_format: Option<String>,
    filter_tag: Option<String>,
    create_time: Option<u64>,
    last_modify_time: Option<u64>,
}

impl SubscriptionXml {
    /// `SubscriptionURL`, trimmed (empty when absent).
    pub(crate) fn url(&self) -> String {
        self.subscription_url
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Whether attribute elements are present (a `with_meta` listing).
    pub(crate) fn has_meta(&self) -> bool {
        self.endpoint.is_some() || self.create_time.is_some()
    }

    /// The attributes; the fallbacks are used when `<SubscriptionName>` / `<TopicName>` are
    /// absent.
    pub(crate) fn into_attributes(
        self,
        fallback_name: &str,
        fallback_topic: &str,
    ) -> Result<SubscriptionAttributes, String> {
        let name = trimmed(self.subscription_name).unwrap_or_else(|| fallback_name.to_owned());
        if name.is_empty() {
            return Err("<Subscription> has no <SubscriptionName>".into());
        }
        let endpoint = trimmed(self.endpoint).ok_or("<Subscription> has no <Endpoint>")?;
        let notify_strategy = match trimmed(self.notify_strategy) {
            None => NotifyStrategy::default(),
            Some(s) => s
                .parse::<NotifyStrategy>()
                .map_err(|_| format!("unknown <NotifyStrategy> {s:?}"))?,
        };
        let notify_content_format = match trimmed(self.notify_content_format) {
            None => NotifyContentFormat::default(),
            Some(s) => s
                .parse::<NotifyContentFormat>()
                .map_err(|_| format!("unknown <NotifyContentFormat> {s:?}"))?,
        };
        Ok(SubscriptionAttributes {
            subscription_name: SubscriptionName::from_service(name),
            topic_name: TopicName::from_service(
                trimmed(self.topic_name).unwrap_or_else(|| fallback_topic.to_owned()),
            ),
            topic_owner: trimmed(self.topic_owner).unwrap_or_default(),
            subscriber: trimmed(self.subscriber),
            endpoint: Endpoint::from_service(&endpoint),
            notify_strategy,
            notify_content_format,
            filter_tag: trimmed(self.filter_tag).map(FilterTag::from_service),
            create_time: from_secs(self.create_time.unwrap_or(0)),
            last_modify_time: from_secs(self.last_modify_time.unwrap_or(0)),
        })
    }
}

/// `<Subscriptions>`: a ListSubscriptionByTopic page.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct SubscriptionsXml {
    #[serde(rename = "Subscription")]
    pub(crate) subscriptions: Vec<SubscriptionXml>,
    next_marker: Option<String>,
}

impl SubscriptionsXml {
    /// `NextMarker`, trimmed; `None` when absent or empty.
    pub(crate) fn next_marker(&mut self) -> Option<String> {
        trimmed(self.next_marker.take())
    }
}

/// `<Message>`: the PublishMessage answer.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct PublishXml {
    message_id: Option<String>,
    #[serde(rename = "MessageBodyMD5")]
    message_body_md5: Option<String>,
    message_group_id: Option<String>,
}

/// Why a publish answer was refused: a decode problem or an MD5 mismatch.
pub(crate) enum PublishError {
    Decode(String),
    Fatal(Error),
}

impl PublishXml {
    /// The receipt, after checking `MessageBodyMD5` against the transmitted `sent_text`.
    pub(crate) fn into_receipt(self, sent_text: &str) -> Result<PublishReceipt, PublishError> {
        let message_id = trimmed(self.message_id)
            .ok_or_else(|| PublishError::Decode("<Message> has no <MessageId>".into()))?;
        let reported = trimmed(self.message_body_md5).unwrap_or_default();
        let actual = md5_hex_upper(sent_text.as_bytes());
        if !reported.is_empty() && !reported.eq_ignore_ascii_case(&actual) {
            return Err(PublishError::Fatal(Error::Md5Mismatch {
                message_id,
                expected: reported.to_ascii_uppercase(),
                actual,
            }));
        }
        Ok(PublishReceipt {
            message_id,
            body_md5: if reported.is_empty() {
                actual
            } else {
                reported.to_ascii_uppercase()
            },
            message_group_id: self.message_group_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::model::MessageTag;
    use crate::xml::from_xml;

    const NS: &str = "http://mns.aliyuncs.com/doc/v1/";

    #[test]
    fn topic_body_in_documented_order() {
        let o = TopicOptions {
            maximum_message_size: Some(10240),
            logging_enabled: Some(true),
        };
        assert_eq!(
            topic_body(&o),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Topic xmlns=\"{NS}\">\
                 <MaximumMessageSize>10240</MaximumMessageSize><LoggingEnabled>True</LoggingEnabled></Topic>"
            )
        );
    }

    #[test]
    fn publish_body_escapes_every_value() {
        let options = PublishOptions {
            message_tag: Some(MessageTag::new("a&b").unwrap()),
            ..PublishOptions::default()
        };
        let body = publish_body(
            "<hi>",
            &options,
            &[("DYSMS", r#"{"PhoneNumber":"1"}"#.into())],
        );
        assert_eq!(
            body,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message xmlns=\"{NS}\">\
                 <MessageBody>&lt;hi&gt;</MessageBody><MessageTag>a&amp;b</MessageTag>\
                 <MessageAttributes><DYSMS>{{&quot;PhoneNumber&quot;:&quot;1&quot;}}</DYSMS></MessageAttributes></Message>"
            )
        );
    }

    #[test]
    fn publish_body_carries_properties_and_group() {
        use crate::queue::model::{SystemProperty, UserProperty};
        let options = PublishOptions {
            user_properties: vec![
                UserProperty::number("n", 3),
                UserProperty::binary("b", b"x"),
            ],
            system_properties: [SystemProperty::traceparent("00-a&b")]
                .into_iter()
                .collect(),
            message_group_id: Some("g1".into()),
            ..PublishOptions::default()
        };
        assert_eq!(
            publish_body("hi", &options, &[]),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message xmlns=\"{NS}\">\
                 <MessageBody>hi</MessageBody><UserProperties>\
                 <PropertyValue><Name>n</Name><Value>3</Value><Type>NUMBER</Type></PropertyValue>\
                 <PropertyValue><Name>b</Name><Value>eA==</Value><Type>BINARY</Type></PropertyValue>\
                 </UserProperties><SystemProperties><SystemPropertyValue><Name>traceparent</Name>\
                 <Value>00-a&amp;b</Value><Type>STRING</Type></SystemPropertyValue></SystemProperties>\
                 <MessageGroupId>g1</MessageGroupId></Message>"
            )
        );
    }

    #[test]
    fn subscription_decodes_with_any_namespace_and_unknown_endpoint() {
        for ns in [format!(" xmlns=\"{NS}\""), String::new()] {
            let xml = format!(
                "<Subscription{ns}><SubscriptionName>s</SubscriptionName><TopicName>t</TopicName>\
                 <TopicOwner>1</TopicOwner><Endpoint>sms:dayu:138</Endpoint>\
                 <NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy>\
                 <NotifyContentFormat>JSON</NotifyContentFormat><FilterTag></FilterTag>\
                 <CreateTime>10</CreateTime><LastModifyTime>20</LastModifyTime></Subscription>"
            );
            let s: SubscriptionXml = from_xml(&xml).unwrap();
            let a = s
                .into_attributes("x", "y")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.endpoint, Endpoint::Other("sms:dayu:138".into()));
            assert_eq!(a.notify_strategy, NotifyStrategy::ExponentialDecayRetry);
            assert_eq!(a.notify_content_format, NotifyContentFormat::Json);
            assert_eq!(a.filter_tag, None);
            assert_eq!(a.subscriber, None);
            assert_eq!(a.last_modify_time, from_secs(20));
        }
    }

    #[test]
    fn names_from_urls() {
        assert_eq!(name_from_url("http://h/topics/orders"), "orders");
        assert_eq!(name_from_url("http://h/topics/t/subscriptions/s/"), "s");
        assert_eq!(name_from_url(""), "");
    }
}
