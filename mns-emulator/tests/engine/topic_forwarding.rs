//! `EngineConfig::topic_forwards_properties` (reference mns-openapi-fifo-dlq §6, unconfirmed):
//! off by default, a publish's properties and group id stay with the topic; on, they reach the
//! messages written into subscribed queues.

use mns_emulator::engine::{
    Engine, EngineConfig, PublishMessageInput, QueueAttributesInput, SubscribeInput,
    SystemProperty, TopicAttributesInput, UserProperty,
};

const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const T0: u64 = 1_704_110_400_000;

fn engine(forward: bool) -> Engine {
    let mut config = EngineConfig::default();
    config.seed = Some(7);
    config.topic_forwards_properties = forward;
    let mut e = Engine::new(config);
    e.set_topic_account(ACCOUNT, REGION);
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    let sub = SubscribeInput {
        endpoint: Some(format!("acs:mns:{REGION}:{ACCOUNT}:queues/q")),
        filter_tag: None,
        notify_strategy: None,
        notify_content_format: Some("SIMPLIFIED".to_owned()),
    };
    e.subscribe("t", "s", sub, T0).unwrap();
    e
}

fn publish(e: &mut Engine) {
    let mut input = PublishMessageInput::new("hello");
    input.user_properties = vec![UserProperty {
        name: "n".into(),
        value: "1".into(),
        value_type: "NUMBER".into(),
    }];
    input.system_properties = vec![SystemProperty {
        name: "traceparent".into(),
        value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
        value_type: "STRING".into(),
    }];
    input.message_group_id = Some("g".into());
    e.publish_message("t", input, T0).unwrap();
}

#[test]
fn properties_stay_with_the_topic_by_default() {
    let mut e = engine(false);
    publish(&mut e);
    let got = e.receive_messages("q", 16, T0).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "hello");
    assert!(got[0].user_properties.is_empty());
    assert!(got[0].system_properties.is_empty());
    assert_eq!(got[0].message_group_id, None);
}

#[test]
fn forwarding_carries_properties_and_group_to_queues() {
    let mut e = engine(true);
    publish(&mut e);
    let got = e.receive_messages("q", 16, T0).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "hello");
    assert_eq!(got[0].user_properties[0].name, "n");
    assert_eq!(got[0].system_properties[0].name, "traceparent");
    assert_eq!(got[0].message_group_id.as_deref(), Some("g"));
}
