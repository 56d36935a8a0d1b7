//! Message properties and group ids (reference queues §6, `F§` = mns-openapi-fifo-dlq §4.2, §6):
//! every user property type and the trace-context system properties round-trip, group ids are
//! echoed, and names, types and sizes the service refuses are refused.

use mns_client::topic::{NotifyContentFormat, PublishOptions, TopicOptions};
use mns_client::{
    BatchSendEntry, PropertyValue, QueueOptions, SendOptions, SystemProperties, SystemProperty,
    UserProperty,
};

use super::fanout::{delivered, subscribed_queue};
use super::receive_now;
use crate::{CaseResult, RawRequest, Target};

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn every_type() -> Vec<UserProperty> {
    vec![
        UserProperty::string("s", "hang&zhou <x>"),
        UserProperty::number("n", -12.5),
        UserProperty::boolean("b", false),
        UserProperty::binary("x", [0u8, 0xff, 0x10, b'&']),
    ]
}

fn trace() -> SystemProperties {
    SystemProperties::new()
        .with(SystemProperty::traceparent(TRACEPARENT))
        .with(SystemProperty::tracestate("rojo=00f067aa0ba902b7"))
        .with(SystemProperty::baggage("userId=alice"))
}

fn sorted(mut v: Vec<UserProperty>) -> Vec<UserProperty> {
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// STRING, NUMBER, BOOLEAN and BINARY (base64 on the wire) user properties come back unchanged
/// on peek and receive, and read back as typed values.
pub async fn every_property_type_round_trips(t: &Target) -> CaseResult {
    let q = t.create_queue("ptypes", &QueueOptions::default()).await?;
    let options = SendOptions {
        user_properties: every_type(),
        ..SendOptions::default()
    };
    q.send_message_opts("typed", options).await?;
    let peeked = q.peek_message().await?.expect("peek");
    assert_eq!(sorted(peeked.user_properties), sorted(every_type()));
    let m = receive_now(&q).await?;
    assert_eq!(sorted(m.user_properties.clone()), sorted(every_type()));
    assert_eq!(
        m.user_property("x").and_then(UserProperty::typed_value),
        Some(PropertyValue::Binary(vec![0, 0xff, 0x10, b'&']))
    );
    assert_eq!(
        m.user_property("n").and_then(UserProperty::as_f64),
        Some(-12.5)
    );
    assert_eq!(
        m.user_property("b").and_then(UserProperty::as_bool),
        Some(false)
    );
    Ok(())
}

/// `traceparent`, `tracestate` and `baggage` system properties come back unchanged on peek and
/// receive.
pub async fn system_properties_round_trip(t: &Target) -> CaseResult {
    let q = t.create_queue("sysprops", &QueueOptions::default()).await?;
    let options = SendOptions {
        system_properties: trace(),
        ..SendOptions::default()
    };
    q.send_message_opts("traced", options).await?;
    let peeked = q.peek_message().await?.expect("peek");
    assert_eq!(peeked.system_properties.traceparent(), Some(TRACEPARENT));
    let m = receive_now(&q).await?;
    let mut got: Vec<_> = m.system_properties.iter().cloned().collect();
    let mut want: Vec<_> = trace().iter().cloned().collect();
    got.sort_by(|a, b| a.name.cmp(&b.name));
    want.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(got, want);
    assert_eq!(m.system_properties.dlq_message_type(), None);
    Ok(())
}

/// SendMessage echoes `MessageGroupId` and the message carries it; a batch keeps each entry's
/// group. On a normal (non-FIFO) queue \[unconfirmed: whether the service ignores or refuses
/// a group id there\].
pub async fn group_id_is_echoed_on_send_and_batch(t: &Target) -> CaseResult {
    let q = t.create_queue("groups", &QueueOptions::default()).await?;
    let receipt = q
        .send_message_opts("one", SendOptions::in_group("order-1"))
        .await?;
    assert_eq!(receipt.message_group_id.as_deref(), Some("order-1"));
    let results = q
        .batch_send_message([
            BatchSendEntry::with_options("two", SendOptions::in_group("order-2")),
            BatchSendEntry::with_options("three", SendOptions::in_group("order-3")),
        ])
        .await?;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut groups = Vec::new();
    for _ in 0..3 {
        let m = receive_now(&q).await?;
        groups.push((m.body_str().unwrap_or("").to_owned(), m.message_group_id));
    }
    groups.sort();
    assert_eq!(
        groups,
        [
            ("one".to_owned(), Some("order-1".to_owned())),
            ("three".to_owned(), Some("order-3".to_owned())),
            ("two".to_owned(), Some("order-2".to_owned())),
        ]
    );
    Ok(())
}

/// PublishMessage accepts user and system properties and echoes `MessageGroupId`. Whether the
/// properties reach a queue subscription is \[unconfirmed\] (F§6); the emulator's default
/// (`EngineConfig::topic_forwards_properties` = false) does not forward them, so a SIMPLIFIED
/// delivery carries the body only.
pub async fn publish_carries_properties_and_echoes_group(t: &Target) -> CaseResult {
    let topic = t.create_topic("pprops", &TopicOptions::default()).await?;
    let q = subscribed_queue(t, &topic, "pprops-q", NotifyContentFormat::Simplified, None).await?;
    let receipt = topic
        .publish_message_opts(
            "published",
            PublishOptions {
                user_properties: every_type(),
                system_properties: trace(),
                message_group_id: Some("pg".into()),
                ..PublishOptions::default()
            },
        )
        .await?;
    assert_eq!(receipt.message_group_id.as_deref(), Some("pg"));
    let m = delivered(t, &q).await?.expect("a delivery");
    assert_eq!(m.body_str(), Some("published"));
    if t.caps.manual_time {
        assert!(m.user_properties.is_empty(), "{:?}", m.user_properties);
        assert!(m.system_properties.is_empty());
    }
    Ok(())
}

fn system_property(name: &str, kind: &str) -> String {
    format!(
        "<Message><MessageBody>x</MessageBody><SystemProperties><SystemPropertyValue>\
         <Name>{name}</Name><Value>v</Value><Type>{kind}</Type></SystemPropertyValue>\
         </SystemProperties></Message>"
    )
}

/// An unknown system property name, a non-STRING system property, or a user property of an
/// unknown type answers 400 `InvalidArgument` and stores nothing. \[unconfirmed: code; whether
/// client-set `DLQ*` names are refused (the emulator accepts the six SDK names, setting
/// `EngineConfig::system_property_names`)\]
pub async fn bad_property_names_and_types_are_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("badprops", &QueueOptions::default()).await?;
    let path = format!("/queues/{}/messages", q.name());
    let user_typed = "<Message><MessageBody>x</MessageBody><UserProperties><PropertyValue>\
                      <Name>d</Name><Value>v</Value><Type>DATE</Type></PropertyValue>\
                      </UserProperties></Message>"
        .to_owned();
    for body in [
        system_property("traceParent", "STRING"),
        system_property("x-custom", "STRING"),
        system_property("traceparent", "NUMBER"),
        user_typed,
    ] {
        let resp = t
            .raw(RawRequest::new("POST", path.clone()).body(body))
            .await?;
        resp.assert_error(400, "InvalidArgument");
    }
    assert!(q.peek_message().await?.is_none());
    Ok(())
}
