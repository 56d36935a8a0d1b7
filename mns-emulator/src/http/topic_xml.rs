//! The XML of topic and subscription operations: lenient request parsing (local names, any
//! namespace, any order) and exact response documents (reference §2).

use crate::engine::{
    PublishMessageInput, PublishedMessage, SubscribeInput, SubscriptionAttributes,
    SubscriptionUpdate, SystemProperty, TopicAttributes, TopicAttributesInput, UserProperty,
};
use crate::error::MnsError;
use crate::xml::{
    Doc, Element, bool_child, bool_text, expect_root, int_child, parse_document, single_child,
    text_child,
};

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Parses a `<Topic>` body (CreateTopic, SetTopicAttributes); empty means no attributes.
/// `MessageRetentionPeriod` is accepted and ignored (it is fixed at one day, §2.1).
pub(crate) fn parse_topic_attributes(body: &[u8]) -> Result<TopicAttributesInput, MnsError> {
    if is_blank(body) {
        return Ok(TopicAttributesInput::default());
    }
    let root = parse_document(body)?;
    expect_root(&root, "Topic")?;
    Ok(TopicAttributesInput {
        maximum_message_size: int_child(&root, "MaximumMessageSize")?,
        logging_enabled: bool_child(&root, "LoggingEnabled")?,
    })
}

fn trimmed_child(e: &Element, name: &str) -> Option<String> {
    text_child(e, name).map(|s| s.trim().to_owned())
}

/// Parses a `<Subscription>` body of Subscribe.
pub(crate) fn parse_subscribe(body: &[u8]) -> Result<SubscribeInput, MnsError> {
    if is_blank(body) {
        return Ok(SubscribeInput::default());
    }
    let root = parse_document(body)?;
    expect_root(&root, "Subscription")?;
    Ok(SubscribeInput {
        endpoint: trimmed_child(&root, "Endpoint"),
        filter_tag: text_child(&root, "FilterTag"),
        notify_strategy: trimmed_child(&root, "NotifyStrategy"),
        notify_content_format: trimmed_child(&root, "NotifyContentFormat"),
    })
}

/// Parses a `<Subscription>` body of SetSubscriptionAttributes.
pub(crate) fn parse_subscription_update(body: &[u8]) -> Result<SubscriptionUpdate, MnsError> {
    if is_blank(body) {
        return Ok(SubscriptionUpdate::default());
    }
    let root = parse_document(body)?;
    expect_root(&root, "Subscription")?;
    Ok(SubscriptionUpdate {
        notify_strategy: trimmed_child(&root, "NotifyStrategy"),
        filter_tag: text_child(&root, "FilterTag"),
    })
}

/// Parses a PublishMessage `<Message>` body.
pub(crate) fn parse_publish(body: &[u8]) -> Result<PublishMessageInput, MnsError> {
    let root = parse_document(body)?;
    expect_root(&root, "Message")?;
    let body = root
        .child("MessageBody")
        .ok_or_else(|| MnsError::schema_violation("MessageBody"))?
        .text
        .clone();
    let message_attributes = root
        .child("MessageAttributes")
        .map(|a| {
            a.children
                .iter()
                .map(|c| (c.name.clone(), c.text.clone()))
                .collect()
        })
        .unwrap_or_default();
    // Each list at most once: a second one would otherwise be dropped unseen (and with it the
    // property count cap).
    single_child(&root, "UserProperties")?;
    single_child(&root, "SystemProperties")?;
    let props = |list: &str, item: &str| -> Vec<(String, String, String)> {
        root.child(list)
            .map(|p| {
                p.children_named(item)
                    .map(|v| {
                        (
                            text_child(v, "Name").unwrap_or_default(),
                            text_child(v, "Value").unwrap_or_default(),
                            text_child(v, "Type").unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(PublishMessageInput {
        body,
        message_tag: text_child(&root, "MessageTag"),
        message_attributes,
        user_properties: props("UserProperties", "PropertyValue")
            .into_iter()
            .map(|(name, value, value_type)| UserProperty {
                name,
                value,
                value_type,
            })
            .collect(),
        system_properties: props("SystemProperties", "SystemPropertyValue")
            .into_iter()
            .map(|(name, value, value_type)| SystemProperty {
                name,
                value,
                value_type,
            })
            .collect(),
        message_group_id: text_child(&root, "MessageGroupId").filter(|s| !s.is_empty()),
    })
}

fn write_topic(d: &mut Doc, a: &TopicAttributes) {
    d.text("TopicName", &a.name)
        .text("CreateTime", a.create_time)
        .text("LastModifyTime", a.last_modify_time)
        .text("MaximumMessageSize", a.maximum_message_size)
        .text("MessageRetentionPeriod", a.message_retention_period)
        .text("MessageCount", a.message_count)
        .text("LoggingEnabled", bool_text(a.logging_enabled));
}

/// GetTopicAttributes: `<Topic>` with all seven elements (the Python SDK requires each).
pub(super) fn topic_attributes_document(a: &TopicAttributes) -> String {
    let mut d = Doc::new("Topic");
    write_topic(&mut d, a);
    d.finish("Topic")
}

/// ListTopic: `<Topics>` of `<Topic><TopicURL>` (plus attributes with meta) and `NextMarker`
/// only when there is a next page.
pub(super) fn topic_list_document(
    topics: &[TopicAttributes],
    next_marker: Option<&str>,
    with_meta: bool,
    topic_url: impl Fn(&str) -> String,
) -> String {
    let mut d = Doc::new("Topics");
    for t in topics {
        d.open("Topic");
        d.text("TopicURL", topic_url(&t.name));
        if with_meta {
            write_topic(&mut d, t);
        }
        d.close("Topic");
    }
    if let Some(m) = next_marker.filter(|m| !m.is_empty()) {
        d.text("NextMarker", m);
    }
    d.finish("Topics")
}

fn write_subscription(d: &mut Doc, s: &SubscriptionAttributes) {
    d.text("SubscriptionName", &s.name)
        .text("Subscriber", &s.subscriber)
        .text("TopicOwner", &s.topic_owner)
        .text("TopicName", &s.topic_name)
        .text("Endpoint", s.endpoint.as_str())
        .text("NotifyStrategy", s.notify_strategy)
        .text("NotifyContentFormat", s.notify_content_format);
    if let Some(tag) = &s.filter_tag {
        d.text("FilterTag", tag);
    }
    d.text("CreateTime", s.create_time)
        .text("LastModifyTime", s.last_modify_time);
}

/// GetSubscriptionAttributes: `<Subscription>` (FilterTag only when set).
pub(super) fn subscription_attributes_document(s: &SubscriptionAttributes) -> String {
    let mut d = Doc::new("Subscription");
    write_subscription(&mut d, s);
    d.finish("Subscription")
}

/// ListSubscriptionByTopic: `<Subscriptions>` of `<Subscription><SubscriptionURL>` (plus
/// attributes with meta) and `NextMarker` only when there is a next page.
pub(super) fn subscription_list_document(
    subs: &[SubscriptionAttributes],
    next_marker: Option<&str>,
    with_meta: bool,
    subscription_url: impl Fn(&str) -> String,
) -> String {
    let mut d = Doc::new("Subscriptions");
    for s in subs {
        d.open("Subscription");
        d.text("SubscriptionURL", subscription_url(&s.name));
        if with_meta {
            write_subscription(&mut d, s);
        }
        d.close("Subscription");
    }
    if let Some(m) = next_marker.filter(|m| !m.is_empty()) {
        d.text("NextMarker", m);
    }
    d.finish("Subscriptions")
}

/// PublishMessage: `<Message>` with `MessageId`, `MessageBodyMD5` (and the group id if sent).
pub(super) fn published_document(m: &PublishedMessage) -> String {
    let mut d = Doc::new("Message");
    d.text("MessageId", &m.message_id)
        .text("MessageBodyMD5", &m.body_md5);
    if let Some(g) = &m.message_group_id {
        d.text("MessageGroupId", g);
    }
    d.finish("Message")
}
