//! Publishing to subscribed queues: fan-out, notification formats and filter tags (reference
//! topics §3.5, §5).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mns_client::signing::md5_hex_upper;
use mns_client::topic::{
    Endpoint, FilterTag, MessageTag, NotifyContentFormat, PublishOptions, SubscribeOptions, Topic,
    TopicOptions,
};
use mns_client::{BodyCodec, Queue, QueueOptions, ReceivedMessage};

use crate::{CaseResult, Target};

/// A queue subscribed to `topic` as `sub` with `format` and an optional filter tag.
pub(crate) async fn subscribed_queue(
    t: &Target,
    topic: &Topic,
    sub: &str,
    format: NotifyContentFormat,
    filter: Option<&str>,
) -> Result<Queue, crate::CaseError> {
    let q = t.create_queue(sub, &QueueOptions::default()).await?;
    let endpoint = Endpoint::queue(t.region(), t.account_id(), q.name().as_str())?;
    topic
        .subscribe_opts(
            sub,
            &endpoint,
            &SubscribeOptions {
                notify_content_format: Some(format),
                filter_tag: filter.map(FilterTag::new).transpose()?,
                ..Default::default()
            },
        )
        .await?;
    Ok(q)
}

/// The next delivered message: at once on the emulator (delivery to queues happens on publish),
/// with a long poll against the service (delivery is asynchronous there).
pub(crate) async fn delivered(
    t: &Target,
    q: &Queue,
) -> Result<Option<ReceivedMessage>, mns_client::Error> {
    let wait = if t.caps.manual_time { 0 } else { 10 };
    q.receive_message(Some(Duration::from_secs(wait))).await
}

/// Asserts nothing is delivered to `q` (after giving a live service a few seconds).
async fn nothing_delivered(t: &Target, q: &Queue) -> CaseResult {
    let wait = if t.caps.manual_time { 0 } else { 3 };
    let got = q.receive_message(Some(Duration::from_secs(wait))).await?;
    assert!(
        got.is_none(),
        "unexpected delivery: {:?}",
        got.map(|m| m.body)
    );
    Ok(())
}

/// Text of `<name>` in an XML notification, with the five predefined entities resolved.
fn xml_field(doc: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = doc.find(&open)? + open.len();
    let end = doc[start..].find(&format!("</{name}>"))? + start;
    Some(
        doc[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// The string value of `"key"` in a flat JSON object of strings (escapes `\"`, `\\`, `\/`,
/// `\n`, `\uXXXX` resolved).
fn json_field(doc: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":");
    let rest = doc[doc.find(&pat)? + pat.len()..].trim_start();
    let mut chars = rest.strip_prefix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// One publish reaches every subscribed queue once.
pub async fn publish_fans_out_to_every_queue(t: &Target) -> CaseResult {
    let topic = t.create_topic("fan", &TopicOptions::default()).await?;
    let a = subscribed_queue(t, &topic, "fan-a", NotifyContentFormat::Simplified, None).await?;
    let b = subscribed_queue(t, &topic, "fan-b", NotifyContentFormat::Simplified, None).await?;
    topic.publish_message("to everyone").await?;
    for q in [&a, &b] {
        let m = delivered(t, q).await?.expect("a delivery");
        assert_eq!(m.body_str(), Some("to everyone"));
        q.delete_message(&m.receipt_handle).await?;
        nothing_delivered(t, q).await?;
    }
    Ok(())
}

/// An `XML` notification carries TopicOwner, TopicName, Subscriber, SubscriptionName, the publish
/// MessageId, the Message verbatim, its MD5, the MessageTag and PublishTime in ms.
pub async fn xml_notification_fields(t: &Target) -> CaseResult {
    let topic = t.create_topic("xmlfmt", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "xmlsub", NotifyContentFormat::Xml, None).await?;
    let body = "order <b>&</b> 订单";
    let before = t.now();
    let receipt = topic
        .publish_message_opts(
            body,
            PublishOptions {
                message_tag: Some(MessageTag::new("new")?),
                ..Default::default()
            },
        )
        .await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    let doc = m.body_str().expect("UTF-8").to_owned();
    assert!(doc.contains("<Notification"), "{doc}");
    assert_eq!(
        xml_field(&doc, "TopicOwner").as_deref(),
        Some(t.account_id())
    );
    assert_eq!(
        xml_field(&doc, "TopicName").as_deref(),
        Some(topic.name().as_str())
    );
    assert_eq!(
        xml_field(&doc, "Subscriber").as_deref(),
        Some(t.account_id())
    );
    assert_eq!(
        xml_field(&doc, "SubscriptionName").as_deref(),
        Some("xmlsub")
    );
    assert_eq!(
        xml_field(&doc, "MessageId").as_deref(),
        Some(receipt.message_id.as_str())
    );
    assert_eq!(xml_field(&doc, "Message").as_deref(), Some(body));
    assert_eq!(
        xml_field(&doc, "MessageMD5"),
        Some(md5_hex_upper(body.as_bytes()))
    );
    assert_eq!(xml_field(&doc, "MessageTag").as_deref(), Some("new"));
    let publish_ms: u128 = xml_field(&doc, "PublishTime")
        .unwrap_or_default()
        .parse()
        .unwrap_or(0);
    let before_ms = millis(before);
    assert!(
        publish_ms + 5_000 >= before_ms && publish_ms <= before_ms + 60_000,
        "PublishTime {publish_ms} vs {before_ms}"
    );
    Ok(())
}

/// An untagged message's `XML` notification has no `MessageTag` element.
pub async fn xml_notification_omits_missing_tag(t: &Target) -> CaseResult {
    let topic = t.create_topic("notag", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "notagsub", NotifyContentFormat::Xml, None).await?;
    topic.publish_message("plain").await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    let doc = m.body_str().unwrap_or_default();
    assert!(xml_field(doc, "MessageTag").is_none(), "{doc}");
    assert_eq!(xml_field(doc, "Message").as_deref(), Some("plain"));
    Ok(())
}

/// A `JSON` notification has the same fields, every value a JSON string (PublishTime too).
pub async fn json_notification_fields_are_strings(t: &Target) -> CaseResult {
    let topic = t.create_topic("jsonfmt", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "jsonsub", NotifyContentFormat::Json, None).await?;
    let body = "say \"hi\"\n测试";
    let receipt = topic
        .publish_message_opts(
            body,
            PublishOptions {
                message_tag: Some(MessageTag::new("t1")?),
                ..Default::default()
            },
        )
        .await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    let doc = m.body_str().expect("UTF-8").trim().to_owned();
    assert!(doc.starts_with('{') && doc.ends_with('}'), "{doc}");
    assert_eq!(json_field(&doc, "Message").as_deref(), Some(body));
    assert_eq!(
        json_field(&doc, "MessageId").as_deref(),
        Some(receipt.message_id.as_str())
    );
    assert_eq!(
        json_field(&doc, "TopicOwner").as_deref(),
        Some(t.account_id())
    );
    assert_eq!(
        json_field(&doc, "TopicName").as_deref(),
        Some(topic.name().as_str())
    );
    assert_eq!(
        json_field(&doc, "SubscriptionName").as_deref(),
        Some("jsonsub")
    );
    assert_eq!(json_field(&doc, "MessageTag").as_deref(), Some("t1"));
    assert_eq!(
        json_field(&doc, "MessageMD5"),
        Some(md5_hex_upper(body.as_bytes()))
    );
    let publish_time = json_field(&doc, "PublishTime").expect("PublishTime as a JSON string");
    assert!(publish_time.parse::<u64>().is_ok(), "{publish_time}");
    Ok(())
}

/// A `SIMPLIFIED` notification is exactly the published body.
pub async fn simplified_notification_is_the_body(t: &Target) -> CaseResult {
    let topic = t.create_topic("simple", &TopicOptions::default()).await?;
    let q = subscribed_queue(
        t,
        &topic,
        "simplesub",
        NotifyContentFormat::Simplified,
        None,
    )
    .await?;
    let body = "<not>xml & not json</not>";
    topic.publish_message(body).await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    assert_eq!(m.body_str(), Some(body));
    Ok(())
}

/// A subscription with a `FilterTag` receives only messages tagged with exactly that tag.
pub async fn filter_tag_delivers_only_matching(t: &Target) -> CaseResult {
    let topic = t.create_topic("filter", &TopicOptions::default()).await?;
    let q = subscribed_queue(
        t,
        &topic,
        "filtered",
        NotifyContentFormat::Simplified,
        Some("red"),
    )
    .await?;
    for (body, tag) in [
        ("untagged", None),
        ("blue one", Some("blue")),
        ("red one", Some("red")),
    ] {
        topic
            .publish_message_opts(
                body,
                PublishOptions {
                    message_tag: tag.map(MessageTag::new).transpose()?,
                    ..Default::default()
                },
            )
            .await?;
    }
    let m = delivered(t, &q).await?.expect("the red message");
    assert_eq!(m.body_str(), Some("red one"));
    q.delete_message(&m.receipt_handle).await?;
    nothing_delivered(t, &q).await?;
    Ok(())
}

/// A subscription without a `FilterTag` receives tagged and untagged messages.
pub async fn no_filter_tag_receives_everything(t: &Target) -> CaseResult {
    let topic = t.create_topic("nofilter", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "all", NotifyContentFormat::Simplified, None).await?;
    topic.publish_message("untagged").await?;
    topic
        .publish_message_opts(
            "tagged",
            PublishOptions {
                message_tag: Some(MessageTag::new("x")?),
                ..Default::default()
            },
        )
        .await?;
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let m = delivered(t, &q).await?.expect("a delivery");
        bodies.push(m.body_str().unwrap_or_default().to_owned());
    }
    bodies.sort();
    assert_eq!(bodies, ["tagged", "untagged"]);
    Ok(())
}

/// Filter tags compare case-sensitively. \[unconfirmed\]
pub async fn filter_tag_is_case_sensitive(t: &Target) -> CaseResult {
    let topic = t.create_topic("case", &TopicOptions::default()).await?;
    let q = subscribed_queue(
        t,
        &topic,
        "casesub",
        NotifyContentFormat::Simplified,
        Some("Red"),
    )
    .await?;
    topic
        .publish_message_opts(
            "lower",
            PublishOptions {
                message_tag: Some(MessageTag::new("red")?),
                ..Default::default()
            },
        )
        .await?;
    nothing_delivered(t, &q).await?;
    Ok(())
}

/// Only messages published after a subscription exists reach it.
pub async fn only_later_messages_reach_a_new_subscription(t: &Target) -> CaseResult {
    let topic = t.create_topic("later", &TopicOptions::default()).await?;
    topic.publish_message("before").await?;
    let q = subscribed_queue(t, &topic, "latesub", NotifyContentFormat::Simplified, None).await?;
    topic.publish_message("after").await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    assert_eq!(m.body_str(), Some("after"));
    q.delete_message(&m.receipt_handle).await?;
    nothing_delivered(t, &q).await?;
    Ok(())
}

/// After Unsubscribe, later publishes no longer reach the queue.
pub async fn unsubscribe_stops_delivery(t: &Target) -> CaseResult {
    let topic = t.create_topic("stop", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "stopsub", NotifyContentFormat::Simplified, None).await?;
    topic.unsubscribe("stopsub").await?;
    topic.publish_message("nobody listens").await?;
    nothing_delivered(t, &q).await?;
    Ok(())
}

/// The service never decodes bodies: a base64 publish arrives as the base64 text, and the
/// notification's MD5 is over that text.
pub async fn base64_publish_arrives_as_transmitted(t: &Target) -> CaseResult {
    let topic = t.create_topic("b64", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "b64sub", NotifyContentFormat::Xml, None).await?;
    topic
        .clone()
        .with_codec(BodyCodec::Base64)
        .publish_message("hello world")
        .await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    let doc = m.body_str().unwrap_or_default();
    assert_eq!(
        xml_field(doc, "Message").as_deref(),
        Some("aGVsbG8gd29ybGQ=")
    );
    assert_eq!(
        xml_field(doc, "MessageMD5"),
        Some(md5_hex_upper(b"aGVsbG8gd29ybGQ="))
    );
    Ok(())
}

/// The queue message made from a notification is an ordinary message of that queue (its own
/// enqueue, dequeue count 1, MD5 over the stored notification text).
pub async fn delivered_queue_message_is_ordinary(t: &Target) -> CaseResult {
    let topic = t.create_topic("ordinary", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "ordsub", NotifyContentFormat::Json, None).await?;
    topic.publish_message("x").await?;
    let m = delivered(t, &q).await?.expect("a delivery");
    assert_eq!(m.dequeue_count, 1);
    // The client has verified MessageBodyMD5 against the received text already.
    q.delete_message(&m.receipt_handle).await?;
    Ok(())
}

/// Publishing to a topic without subscriptions succeeds.
pub async fn publish_without_subscriptions_succeeds(t: &Target) -> CaseResult {
    let topic = t.create_topic("lonely", &TopicOptions::default()).await?;
    let r = topic.publish_message("into the void").await?;
    assert!(!r.message_id.is_empty());
    Ok(())
}
