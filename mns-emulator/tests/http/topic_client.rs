//! `mns-client` against the emulator: a message published to a topic reaches subscribed queues
//! in each content format (XML, JSON, SIMPLIFIED), filter tags apply, and the client's topic
//! decoders accept every topic/subscription answer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mns_client::topic::{
    Endpoint as SubEndpoint, FilterTag, MessageTag, NotifyContentFormat, NotifyStrategy,
    PublishOptions, SubscribeOptions, SubscriptionUpdate, TopicOptions,
};
use mns_client::{Client, Credentials, Endpoint};
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
    let clock = ManualClock::at_millis(1_704_164_645_000);
    let emu = Emulator::builder()
        .clock(clock)
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

async fn receive_body(client: &Client, queue: &str) -> String {
    let q = client.queue(queue).unwrap();
    let m = q
        .receive_message(None)
        .await
        .unwrap()
        .expect("a delivered message");
    String::from_utf8(m.body).unwrap()
}

#[tokio::test]
async fn published_message_reaches_queues_in_each_format() {
    let (emu, client) = setup().await;
    let topic = client.topic("orders").unwrap();
    topic.create(&TopicOptions::default()).await.unwrap();
    let formats = [
        ("q-xml", NotifyContentFormat::Xml),
        ("q-json", NotifyContentFormat::Json),
        ("q-simple", NotifyContentFormat::Simplified),
    ];
    for (q, format) in formats {
        client
            .queue(q)
            .unwrap()
            .create(&Default::default())
            .await
            .unwrap();
        let endpoint = SubEndpoint::queue(emu.region(), emu.account_id(), q).unwrap();
        let options = SubscribeOptions {
            notify_content_format: Some(format),
            ..Default::default()
        };
        topic
            .subscribe_opts(&format!("sub-{q}"), &endpoint, &options)
            .await
            .unwrap();
    }
    let body = "order #1 <b>&</b> 订单";
    let options = PublishOptions {
        message_tag: Some(MessageTag::new("new").unwrap()),
        ..Default::default()
    };
    let receipt = topic
        .publish_message_opts(body.as_bytes(), options)
        .await
        .unwrap();

    let xml = receive_body(&client, "q-xml").await;
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#),
        "{xml}"
    );
    for part in [
        "<TopicName>orders</TopicName>".to_owned(),
        "<SubscriptionName>sub-q-xml</SubscriptionName>".to_owned(),
        format!("<MessageId>{}</MessageId>", receipt.message_id),
        "<Message>order #1 &lt;b&gt;&amp;&lt;/b&gt; 订单</Message>".to_owned(),
        format!("<MessageMD5>{}</MessageMD5>", receipt.body_md5),
        "<MessageTag>new</MessageTag>".to_owned(),
        "<PublishTime>1704164645000</PublishTime>".to_owned(),
    ] {
        assert!(xml.contains(&part), "{part} in {xml}");
    }

    let json = receive_body(&client, "q-json").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["Message"], body);
    assert_eq!(v["MessageId"], receipt.message_id.as_str());
    assert_eq!(v["MessageMD5"], receipt.body_md5.as_str());
    assert_eq!(v["SubscriptionName"], "sub-q-json");
    assert_eq!(v["TopicOwner"], emu.account_id());
    assert_eq!(v["MessageTag"], "new");
    assert_eq!(v["PublishTime"], "1704164645000");

    assert_eq!(receive_body(&client, "q-simple").await, body);
}

#[tokio::test]
async fn filter_tag_applies_through_the_client() {
    let (emu, client) = setup().await;
    let topic = client.topic("t").unwrap();
    topic.create(&TopicOptions::default()).await.unwrap();
    client
        .queue("vip")
        .unwrap()
        .create(&Default::default())
        .await
        .unwrap();
    let endpoint = SubEndpoint::queue(emu.region(), emu.account_id(), "vip").unwrap();
    let options = SubscribeOptions {
        filter_tag: Some(FilterTag::new("vip").unwrap()),
        notify_content_format: Some(NotifyContentFormat::Simplified),
        ..Default::default()
    };
    topic
        .subscribe_opts("s", &endpoint, &options)
        .await
        .unwrap();
    topic.publish_message("plain").await.unwrap();
    let tagged = PublishOptions {
        message_tag: Some(MessageTag::new("vip").unwrap()),
        ..Default::default()
    };
    topic
        .publish_message_opts("for vips", tagged)
        .await
        .unwrap();
    assert_eq!(receive_body(&client, "vip").await, "for vips");
    let q = client.queue("vip").unwrap();
    assert!(q.receive_message(None).await.unwrap().is_none());
}

#[tokio::test]
async fn client_decodes_every_topic_answer() {
    let (_emu, client) = setup().await;
    let topic = client.topic("decode").unwrap();
    topic.create(&TopicOptions::default()).await.unwrap();
    let attrs = topic.get_attributes().await.unwrap();
    assert_eq!(attrs.topic_name.as_str(), "decode");
    assert_eq!(attrs.maximum_message_size, 65_536);
    assert_eq!(attrs.message_retention_period, Duration::from_secs(86_400));
    assert!(!attrs.logging_enabled);

    let endpoint = SubEndpoint::http("http://127.0.0.1:9/hook").unwrap();
    topic.subscribe("http-sub", &endpoint).await.unwrap();
    let update = SubscriptionUpdate {
        notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
        ..Default::default()
    };
    topic
        .set_subscription_attributes("http-sub", &update)
        .await
        .unwrap();
    let sub = topic.get_subscription_attributes("http-sub").await.unwrap();
    assert_eq!(sub.notify_strategy, NotifyStrategy::ExponentialDecayRetry);
    let page = topic
        .list_subscription_page(&Default::default())
        .await
        .unwrap();
    assert_eq!(page.subscriptions.len(), 1);
    let topics = client.list_topic_page(&Default::default()).await.unwrap();
    assert_eq!(topics.topics.len(), 1);
    topic.unsubscribe("http-sub").await.unwrap();
    topic.delete().await.unwrap();
}
