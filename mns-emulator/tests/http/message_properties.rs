//! `mns-client` against the emulator: every user property type, system properties and a group
//! id survive send, batch send, receive and peek unchanged; publish carries them too; names
//! the client may not set are refused before anything is sent (reference mns-queues §6,
//! mns-openapi-fifo-dlq §6).

use std::sync::Arc;
use std::time::SystemTime;

use mns_client::topic::PublishOptions;
use mns_client::{
    BatchSendEntry, Client, Credentials, Endpoint, Error, PropertyProblem, PropertyValue,
    SendOptions, SystemProperties, SystemProperty, SystemPropertyName, UserProperty,
};
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::{Emulator, RunningEmulator};

#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

async fn setup() -> (RunningEmulator, Client) {
    let emu = Emulator::builder()
        .clock(ManualClock::at_millis(1_704_164_645_000))
        .start()
        .await
        .expect("emulator starts");
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .build()
        .unwrap();
    (emu, client)
}

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn every_property() -> Vec<UserProperty> {
    vec![
        UserProperty::string("city", "hang&zhou <x>"),
        UserProperty::number("count", 42),
        UserProperty::number("ratio", -0.25),
        UserProperty::boolean("urgent", true),
        UserProperty::binary("blob", [0u8, 0xff, b'<', 7]),
    ]
}

fn trace() -> SystemProperties {
    SystemProperties::new()
        .with(SystemProperty::traceparent(TRACEPARENT))
        .with(SystemProperty::tracestate("vendor=a,other=b"))
        .with(SystemProperty::baggage("user=1"))
}

fn options(group: &str) -> SendOptions {
    SendOptions {
        user_properties: every_property(),
        system_properties: trace(),
        message_group_id: Some(group.to_owned()),
        ..SendOptions::default()
    }
}

#[tokio::test]
async fn every_property_type_round_trips() {
    let (_emu, client) = setup().await;
    let q = client.queue("props").unwrap();
    q.create(&Default::default()).await.unwrap();
    let receipt = q.send_message_opts("one", options("g1")).await.unwrap();
    assert_eq!(receipt.message_group_id.as_deref(), Some("g1"));

    let peeked = q.peek_message().await.unwrap().expect("a message");
    assert_eq!(peeked.user_properties, every_property());
    assert_eq!(peeked.system_properties, trace());
    assert_eq!(peeked.message_group_id.as_deref(), Some("g1"));

    let m = q.receive_message(None).await.unwrap().expect("a message");
    assert_eq!(m.user_properties, every_property());
    assert_eq!(m.system_properties.traceparent(), Some(TRACEPARENT));
    assert_eq!(m.system_properties.tracestate(), Some("vendor=a,other=b"));
    assert_eq!(m.system_properties.baggage(), Some("user=1"));
    assert_eq!(m.system_properties.dlq_source_arn(), None);
    assert_eq!(m.message_group_id.as_deref(), Some("g1"));
    let typed: Vec<_> = m
        .user_properties
        .iter()
        .map(|p| p.typed_value().unwrap())
        .collect();
    assert_eq!(
        typed,
        [
            PropertyValue::String("hang&zhou <x>".into()),
            PropertyValue::Number(42.0),
            PropertyValue::Number(-0.25),
            PropertyValue::Boolean(true),
            PropertyValue::Binary(vec![0, 0xff, b'<', 7]),
        ]
    );
    assert_eq!(m.user_property("count").unwrap().as_i64(), Some(42));
}

#[tokio::test]
async fn batch_send_carries_properties_and_groups() {
    let (_emu, client) = setup().await;
    let q = client.queue("batch-props").unwrap();
    q.create(&Default::default()).await.unwrap();
    let results = q
        .batch_send_message(vec![
            BatchSendEntry::with_options("a", options("ga")),
            BatchSendEntry::with_options("b", options("gb")),
        ])
        .await
        .unwrap();
    // The emulator's batch answer carries only MessageId and MessageBodyMD5 per entry (the
    // older Python decoder refuses more); the groups arrive with the messages.
    assert!(results.iter().all(Result::is_ok));
    let got = q.batch_receive_message(16, None).await.unwrap();
    let groups: Vec<_> = got.iter().map(|m| m.message_group_id.clone()).collect();
    assert_eq!(groups, [Some("ga".into()), Some("gb".into())]);
    for m in got {
        assert_eq!(m.user_properties, every_property());
        assert_eq!(m.system_properties, trace());
    }
}

#[tokio::test]
async fn publish_carries_properties_and_echoes_group() {
    let (_emu, client) = setup().await;
    let topic = client.topic("props-topic").unwrap();
    topic.create(&Default::default()).await.unwrap();
    let receipt = topic
        .publish_message_opts(
            "hello",
            PublishOptions {
                user_properties: every_property(),
                system_properties: trace(),
                message_group_id: Some("tg".into()),
                ..PublishOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(receipt.message_group_id.as_deref(), Some("tg"));
}

#[tokio::test]
async fn refused_properties_send_nothing() {
    let (_emu, client) = setup().await;
    let q = client.queue("refused").unwrap();
    q.create(&Default::default()).await.unwrap();
    let service_owned = SendOptions {
        system_properties: SystemProperties::new()
            .with(SystemProperty::new(SystemPropertyName::DlqSourceArn, "x")),
        ..SendOptions::default()
    };
    let bad_number = SendOptions {
        user_properties: vec![UserProperty::number("n", f64::INFINITY)],
        ..SendOptions::default()
    };
    let bad_name = SendOptions {
        user_properties: vec![UserProperty::string("a..b", "v")],
        ..SendOptions::default()
    };
    for (opts, want) in [
        (service_owned.clone(), PropertyProblem::ServiceOwned),
        (bad_number, PropertyProblem::ValueNotOfType("NUMBER".into())),
        (bad_name, PropertyProblem::InvalidName),
    ] {
        match q.send_message_opts("x", opts).await {
            Err(Error::InvalidProperty { problem, .. }) => assert_eq!(problem, want),
            other => panic!("expected InvalidProperty, got {other:?}"),
        }
    }
    let topic = client.topic("refused-topic").unwrap();
    topic.create(&Default::default()).await.unwrap();
    let publish = PublishOptions {
        system_properties: service_owned.system_properties,
        ..PublishOptions::default()
    };
    assert!(matches!(
        topic.publish_message_opts("x", publish).await,
        Err(Error::InvalidProperty { .. })
    ));
    assert!(
        q.peek_message().await.unwrap().is_none(),
        "nothing was sent"
    );
}
