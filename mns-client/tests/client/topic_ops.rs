//! The client against wiremock: every topic and subscription operation with response bodies in
//! the documented shapes (reference §2), the request method, path and body each one sends, the
//! mapping of every topic error code, 201/204/409 outcomes, paging streams, publish MD5 checks,
//! and input rejected before anything is sent.

use std::time::{Duration, UNIX_EPOCH};

use futures_util::TryStreamExt as _;
use mns_client::signing::md5_hex_upper;
use mns_client::topic::{
    DirectMailAttributes, DysmsAttributes, Endpoint, FilterTag, MessageAttributes, MessageTag,
    NotifyContentFormat, NotifyStrategy, PublishOptions, SubscribeOptions, SubscriptionUpdate,
    TopicOptions,
};
use mns_client::{BodyCodec, CreateOutcome, Credentials, Error, ErrorCode, ListOptions};
use wiremock::matchers::{any, body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn doc(root: &str, inner: &str) -> String {
    format!(r#"{DECL}<{root} xmlns="{NS}">{inner}</{root}>"#)
}

fn secs(s: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

// -------------------------------------------------------------------------------------------------
// CreateTopic / SetTopicAttributes / GetTopicAttributes / DeleteTopic

#[tokio::test]
async fn create_topic_tells_created_from_already_existed() {
    let server = MockServer::start().await;
    let location = format!("{HOST}/topics/orders");
    let expected = doc(
        "Topic",
        "<MaximumMessageSize>10240</MaximumMessageSize><LoggingEnabled>True</LoggingEnabled>",
    );
    Mock::given(method("PUT"))
        .and(path("/topics/orders"))
        .and(body_string(expected.clone()))
        .respond_with(empty(201).insert_header("Location", location.as_str()))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/topics/orders"))
        .and(body_string(expected))
        .respond_with(empty(204).insert_header("Location", location.as_str()))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let opts = TopicOptions {
        maximum_message_size: Some(10240),
        logging_enabled: Some(true),
    };
    assert_eq!(
        c.create_topic("orders", &opts).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        c.topic("orders").unwrap().create(&opts).await.unwrap(),
        CreateOutcome::AlreadyExisted
    );
    let reqs = requests(&server).await;
    assert_eq!(target(&reqs[0]), "/topics/orders");
    assert_signed(&reqs[0]);
}

#[tokio::test]
async fn create_topic_with_defaults_sends_an_empty_topic_element() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/topics/t1"))
        .and(body_string(doc("Topic", "")))
        .respond_with(empty(201))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client(&server)
        .create_topic("t1", &TopicOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome, CreateOutcome::Created);
}

#[tokio::test]
async fn create_topic_conflict_is_topic_already_exist() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(xml(
            409,
            error_body(
                "TopicAlreadyExist",
                "The topic you want to create already exists.",
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_topic("orders", &TopicOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TopicAlreadyExist));
    let s = service(&err);
    assert_eq!(s.status, 409);
    assert_eq!(s.request_id, REQUEST_ID);
    assert_eq!(s.host_id, HOST);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn set_topic_attributes_sends_metaoverride_and_only_given_values() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/topics/orders"))
        .and(query_param("metaoverride", "true"))
        .and(body_string(doc(
            "Topic",
            "<LoggingEnabled>False</LoggingEnabled>",
        )))
        .respond_with(empty(204))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let opts = TopicOptions {
        logging_enabled: Some(false),
        ..Default::default()
    };
    c.set_topic_attributes("orders", &opts).await.unwrap();
    c.topic("orders")
        .unwrap()
        .set_attributes(&opts)
        .await
        .unwrap();
    let reqs = requests(&server).await;
    assert_eq!(target(&reqs[0]), "/topics/orders?metaoverride=true");
    assert_signed(&reqs[0]);
}

const GET_TOPIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Topic xmlns="http://mns.aliyuncs.com/doc/v1/">
  <TopicName>orders</TopicName>
  <CreateTime>1449554277</CreateTime>
  <LastModifyTime>1449554460</LastModifyTime>
  <MaximumMessageSize>65536</MaximumMessageSize>
  <MessageRetentionPeriod>86400</MessageRetentionPeriod>
  <MessageCount>3</MessageCount>
  <LoggingEnabled>False</LoggingEnabled>
</Topic>"#;

#[tokio::test]
async fn get_topic_attributes_decodes_the_documented_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics/orders"))
        .respond_with(xml(200, GET_TOPIC))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let a = c.get_topic_attributes("orders").await.unwrap();
    assert_eq!(a.topic_name.as_str(), "orders");
    assert_eq!(a.create_time, secs(1_449_554_277));
    assert_eq!(a.last_modify_time, secs(1_449_554_460));
    assert_eq!(a.maximum_message_size, 65_536);
    assert_eq!(a.message_retention_period, Duration::from_secs(86_400));
    assert_eq!(a.message_count, 3);
    assert!(!a.logging_enabled);
    assert_eq!(
        c.topic("orders").unwrap().get_attributes().await.unwrap(),
        a
    );
    let reqs = requests(&server).await;
    assert!(reqs[0].body.is_empty());
    assert_eq!(hdr(&reqs[0], "content-type"), None);
    assert_signed(&reqs[0]);
}

#[tokio::test]
async fn missing_topic_is_topic_not_exist_on_every_topic_operation() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(xml(
            404,
            error_body("TopicNotExist", "The topic you provided does not exist."),
        ))
        .mount(&server)
        .await;
    let c = client(&server);
    let t = c.topic("gone").unwrap();
    let endpoint = Endpoint::http("http://example.com/notify").unwrap();
    let errors = [
        c.get_topic_attributes("gone").await.unwrap_err(),
        c.set_topic_attributes("gone", &TopicOptions::default())
            .await
            .unwrap_err(),
        t.publish_message("hi").await.unwrap_err(),
        t.subscribe("s", &endpoint).await.unwrap_err(),
        t.list_subscription_page(&ListOptions::default())
            .await
            .unwrap_err(),
    ];
    for err in &errors {
        assert_eq!(err.code(), Some(&ErrorCode::TopicNotExist), "{err:?}");
        assert_eq!(service(err).status, 404);
        assert!(err.is_not_found());
        assert!(!err.is_retryable());
    }
    // No retries for a 404.
    assert_eq!(requests(&server).await.len(), errors.len());
}

#[tokio::test]
async fn delete_topic_sends_a_bodyless_delete() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/topics/orders"))
        .and(body_string(""))
        .respond_with(empty(204))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    c.delete_topic("orders").await.unwrap();
    c.topic("orders").unwrap().delete().await.unwrap();
    let reqs = requests(&server).await;
    assert_eq!(hdr(&reqs[0], "content-length"), Some("0"));
    assert_eq!(hdr(&reqs[0], "content-md5"), None);
    assert_signed(&reqs[0]);
}

// -------------------------------------------------------------------------------------------------
// ListTopic

fn topics_page(names: &[&str], next: Option<&str>) -> String {
    let mut inner = String::new();
    for n in names {
        inner.push_str(&format!(
            "<Topic><TopicURL>{HOST}/topics/{n}</TopicURL></Topic>"
        ));
    }
    if let Some(m) = next {
        inner.push_str(&format!("<NextMarker>{m}</NextMarker>"));
    }
    doc("Topics", &inner)
}

#[tokio::test]
async fn list_topic_sends_signed_option_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .and(header("x-mns-prefix", "or"))
        .and(header("x-mns-marker", "m0"))
        .and(header("x-mns-ret-number", "2"))
        .respond_with(xml(200, topics_page(&["orders", "orders-dlq"], Some("m1"))))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_topic_page(&ListOptions {
            prefix: Some("or".into()),
            marker: Some("m0".into()),
            page_size: Some(2),
            with_meta: false,
        })
        .await
        .unwrap();
    let names: Vec<&str> = page.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orders", "orders-dlq"]);
    assert_eq!(page.topics[0].url, format!("{HOST}/topics/orders"));
    assert!(page.topics[0].attributes.is_none());
    assert_eq!(page.next_marker.as_deref(), Some("m1"));
    let reqs = requests(&server).await;
    assert_eq!(hdr(&reqs[0], "x-mns-with-meta"), None);
    assert_signed(&reqs[0]);
}

#[tokio::test]
async fn list_topic_with_meta_and_empty_result() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .and(header("x-mns-with-meta", "true"))
        .respond_with(xml(
            200,
            doc(
                "Topics",
                &format!(
                    "<Topic><TopicURL>{HOST}/topics/orders</TopicURL><TopicName>orders</TopicName>\
                     <CreateTime>1449554277</CreateTime><LastModifyTime>1449554460</LastModifyTime>\
                     <MaximumMessageSize>1024</MaximumMessageSize><MessageRetentionPeriod>86400</MessageRetentionPeriod>\
                     <MessageCount>7</MessageCount><LoggingEnabled>True</LoggingEnabled></Topic>"
                ),
            ),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .respond_with(xml(200, format!("<Topics xmlns=\"{NS}\"/>")))
        .with_priority(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let page = c
        .list_topic_page(&ListOptions {
            with_meta: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let a = page.topics[0].attributes.as_ref().unwrap();
    assert_eq!(page.topics[0].name.as_str(), "orders");
    assert_eq!(a.maximum_message_size, 1024);
    assert_eq!(a.message_count, 7);
    assert!(a.logging_enabled);
    assert_eq!(a.create_time, secs(1_449_554_277));
    let page = c.list_topic_page(&ListOptions::default()).await.unwrap();
    assert!(page.topics.is_empty());
    assert_eq!(page.next_marker, None);
}

#[tokio::test]
async fn list_topics_streams_every_page_via_markers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .and(header("x-mns-marker", "m1"))
        .respond_with(xml(200, topics_page(&["p3"], Some("m2"))))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .and(header("x-mns-marker", "m2"))
        .respond_with(xml(200, topics_page(&["p4"], None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .and(header("x-mns-prefix", "p"))
        .respond_with(xml(200, topics_page(&["p1", "p2"], Some("m1"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let names: Vec<String> = client(&server)
        .list_topics(Some("p"))
        .map_ok(|t| t.name.into_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["p1", "p2", "p3", "p4"]);
    // Every page keeps the prefix.
    for r in requests(&server).await {
        assert_eq!(hdr(&r, "x-mns-prefix"), Some("p"));
    }
}

#[tokio::test]
async fn list_stream_ends_at_the_first_error_and_on_a_stuck_marker() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .and(header("x-mns-marker", "m1"))
        .respond_with(xml(403, error_body("AccessDenied", "denied")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/topics"))
        .respond_with(xml(200, topics_page(&["a"], Some("m1"))))
        .with_priority(2)
        .mount(&server)
        .await;
    // A marker that repeats itself ends the stream instead of looping.
    Mock::given(method("GET"))
        .and(path("/topics/t/subscriptions"))
        .respond_with(xml(
            200,
            doc(
                "Subscriptions",
                &format!(
                    "<Subscription><SubscriptionURL>{HOST}/topics/t/subscriptions/s1</SubscriptionURL></Subscription>\
                     <NextMarker>same</NextMarker>"
                ),
            ),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let items: Vec<Result<_, Error>> = futures_util::StreamExt::collect(c.list_topics(None)).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().name.as_str(), "a");
    assert_eq!(
        items[1].as_ref().unwrap_err().code(),
        Some(&ErrorCode::AccessDenied)
    );
    let subs: Vec<_> = c
        .topic("t")
        .unwrap()
        .list_subscriptions(None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(subs.len(), 2);
}

// -------------------------------------------------------------------------------------------------
// Subscribe / SetSubscriptionAttributes / GetSubscriptionAttributes / Unsubscribe

#[tokio::test]
async fn subscribe_tells_created_from_already_existed_and_sends_every_option() {
    let server = MockServer::start().await;
    let expected = doc(
        "Subscription",
        "<Endpoint>http://example.com/mns/notify?a=1&amp;b=2</Endpoint><FilterTag>important</FilterTag>\
         <NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy><NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
    );
    let location = format!("{HOST}/topics/orders/subscriptions/orders-http");
    Mock::given(method("PUT"))
        .and(path("/topics/orders/subscriptions/orders-http"))
        .and(body_string(expected.clone()))
        .respond_with(empty(201).insert_header("Location", location.as_str()))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/topics/orders/subscriptions/orders-http"))
        .and(body_string(expected))
        .respond_with(empty(204).insert_header("Location", location.as_str()))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let t = client(&server).topic("orders").unwrap();
    let endpoint = Endpoint::http("http://example.com/mns/notify?a=1&b=2").unwrap();
    let opts = SubscribeOptions {
        filter_tag: Some(FilterTag::new("important").unwrap()),
        notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
        notify_content_format: Some(NotifyContentFormat::Simplified),
    };
    assert_eq!(
        t.subscribe_opts("orders-http", &endpoint, &opts)
            .await
            .unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        t.subscribe_opts("orders-http", &endpoint, &opts)
            .await
            .unwrap(),
        CreateOutcome::AlreadyExisted
    );
    assert_signed(&requests(&server).await[0]);
}

#[tokio::test]
async fn subscribe_with_defaults_sends_only_the_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/topics/orders/subscriptions/orders-q"))
        .and(body_string(doc(
            "Subscription",
            "<Endpoint>acs:mns:cn-hangzhou:1234567890123456:queues/orders-q</Endpoint>",
        )))
        .respond_with(empty(201))
        .expect(1)
        .mount(&server)
        .await;
    let endpoint = Endpoint::queue("cn-hangzhou", "1234567890123456", "orders-q").unwrap();
    let outcome = client(&server)
        .topic("orders")
        .unwrap()
        .subscribe("orders-q", &endpoint)
        .await
        .unwrap();
    assert_eq!(outcome, CreateOutcome::Created);
}

#[tokio::test]
async fn subscribe_conflict_is_subscription_already_exist() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(xml(
            409,
            error_body(
                "SubscriptionAlreadyExist",
                "The subscription you want to create already exists.",
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .topic("orders")
        .unwrap()
        .subscribe("s1", &Endpoint::mail("ops@example.com").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::SubscriptionAlreadyExist));
    assert_eq!(service(&err).status, 409);
}

#[tokio::test]
async fn set_subscription_attributes_sends_metaoverride() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/topics/orders/subscriptions/orders-http"))
        .and(query_param("metaoverride", "true"))
        .and(body_string(doc(
            "Subscription",
            "<NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy>",
        )))
        .respond_with(empty(204))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/topics/orders/subscriptions/orders-http"))
        .and(query_param("metaoverride", "true"))
        .and(body_string(doc(
            "Subscription",
            "<NotifyStrategy>BACKOFF_RETRY</NotifyStrategy><FilterTag>vip</FilterTag>",
        )))
        .respond_with(empty(204))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let t = client(&server).topic("orders").unwrap();
    t.set_subscription_attributes(
        "orders-http",
        &SubscriptionUpdate {
            notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    t.set_subscription_attributes(
        "orders-http",
        &SubscriptionUpdate {
            notify_strategy: Some(NotifyStrategy::BackoffRetry),
            filter_tag: Some(FilterTag::new("vip").unwrap()),
        },
    )
    .await
    .unwrap();
    let reqs = requests(&server).await;
    assert_eq!(
        target(&reqs[0]),
        "/topics/orders/subscriptions/orders-http?metaoverride=true"
    );
    assert_signed(&reqs[0]);
}

const GET_SUBSCRIPTION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Subscription xmlns="http://mns.aliyuncs.com/doc/v1/">
  <SubscriptionName>orders-http</SubscriptionName>
  <Subscriber>1234567890123456</Subscriber>
  <TopicOwner>1234567890123456</TopicOwner>
  <TopicName>orders</TopicName>
  <Endpoint>http://example.com/mns/notify</Endpoint>
  <NotifyStrategy>BACKOFF_RETRY</NotifyStrategy>
  <NotifyContentFormat>XML</NotifyContentFormat>
  <FilterTag>important</FilterTag>
  <CreateTime>1449554806</CreateTime>
  <LastModifyTime>1449554962</LastModifyTime>
</Subscription>"#;

#[tokio::test]
async fn get_subscription_attributes_decodes_the_documented_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions/orders-http"))
        .respond_with(xml(200, GET_SUBSCRIPTION))
        .expect(1)
        .mount(&server)
        .await;
    let a = client(&server)
        .topic("orders")
        .unwrap()
        .get_subscription_attributes("orders-http")
        .await
        .unwrap();
    assert_eq!(a.subscription_name.as_str(), "orders-http");
    assert_eq!(a.topic_name.as_str(), "orders");
    assert_eq!(a.topic_owner, "1234567890123456");
    assert_eq!(a.subscriber.as_deref(), Some("1234567890123456"));
    assert_eq!(
        a.endpoint,
        Endpoint::http("http://example.com/mns/notify").unwrap()
    );
    assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
    assert_eq!(a.notify_content_format, NotifyContentFormat::Xml);
    assert_eq!(a.filter_tag, Some(FilterTag::new("important").unwrap()));
    assert_eq!(a.create_time, secs(1_449_554_806));
    assert_eq!(a.last_modify_time, secs(1_449_554_962));
    assert_signed(&requests(&server).await[0]);
}

#[tokio::test]
async fn get_subscription_attributes_types_queue_endpoints_and_tolerates_missing_optionals() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(
            200,
            "<Subscription><SubscriptionName>q</SubscriptionName><TopicOwner>1</TopicOwner>\
             <TopicName>orders</TopicName><Endpoint>acs:mns:cn-hangzhou:1:queues/orders-q</Endpoint>\
             <NotifyStrategy>BACKOFF_RETRY</NotifyStrategy><NotifyContentFormat>JSON</NotifyContentFormat>\
             <CreateTime>1</CreateTime><LastModifyTime>2</LastModifyTime></Subscription>",
        ))
        .mount(&server)
        .await;
    let a = client(&server)
        .topic("orders")
        .unwrap()
        .get_subscription_attributes("q")
        .await
        .unwrap();
    let Endpoint::Queue(q) = &a.endpoint else {
        panic!("expected a queue endpoint, got {:?}", a.endpoint)
    };
    assert_eq!(
        (q.region(), q.account_id(), q.queue_name()),
        ("cn-hangzhou", "1", "orders-q")
    );
    assert_eq!(a.notify_content_format, NotifyContentFormat::Json);
    assert_eq!(a.filter_tag, None);
    assert_eq!(a.subscriber, None);
}

#[tokio::test]
async fn undecodable_subscription_attributes_are_decode_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions/bad-strategy"))
        .respond_with(xml(
            200,
            GET_SUBSCRIPTION.replace("BACKOFF_RETRY", "SOMETIMES_RETRY"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions/no-endpoint"))
        .respond_with(xml(
            200,
            GET_SUBSCRIPTION.replace("<Endpoint>http://example.com/mns/notify</Endpoint>", ""),
        ))
        .mount(&server)
        .await;
    let t = client(&server).topic("orders").unwrap();
    for name in ["bad-strategy", "no-endpoint"] {
        let err = t.get_subscription_attributes(name).await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { operation: "GetSubscriptionAttributes", status: 200, request_id: Some(id), .. } if id == REQUEST_ID),
            "{name}: {err:?}"
        );
    }
}

#[tokio::test]
async fn missing_subscription_is_subscription_not_exist() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(xml(
            404,
            error_body(
                "SubscriptionNotExist",
                "The subscription you provided does not exits.",
            ),
        ))
        .mount(&server)
        .await;
    let t = client(&server).topic("orders").unwrap();
    let errors = [
        t.get_subscription_attributes("gone").await.unwrap_err(),
        t.set_subscription_attributes("gone", &SubscriptionUpdate::default())
            .await
            .unwrap_err(),
    ];
    for err in &errors {
        assert_eq!(err.code(), Some(&ErrorCode::SubscriptionNotExist));
        assert_eq!(service(err).status, 404);
        assert!(err.is_not_found());
    }
}

#[tokio::test]
async fn unsubscribe_sends_a_bodyless_delete() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/topics/orders/subscriptions/orders-http"))
        .and(body_string(""))
        .respond_with(empty(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .topic("orders")
        .unwrap()
        .unsubscribe("orders-http")
        .await
        .unwrap();
    let reqs = requests(&server).await;
    assert_eq!(hdr(&reqs[0], "content-length"), Some("0"));
    assert_signed(&reqs[0]);
}

// -------------------------------------------------------------------------------------------------
// ListSubscriptionByTopic

fn subscriptions_page(topic: &str, names: &[&str], next: Option<&str>) -> String {
    let mut inner = String::new();
    for n in names {
        inner.push_str(&format!(
            "<Subscription><SubscriptionURL>{HOST}/topics/{topic}/subscriptions/{n}</SubscriptionURL></Subscription>"
        ));
    }
    if let Some(m) = next {
        inner.push_str(&format!("<NextMarker>{m}</NextMarker>"));
    }
    doc("Subscriptions", &inner)
}

#[tokio::test]
async fn list_subscription_by_topic_sends_signed_option_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions"))
        .and(header("x-mns-prefix", "orders-"))
        .and(header("x-mns-marker", "m0"))
        .and(header("x-mns-ret-number", "1000"))
        .respond_with(xml(
            200,
            subscriptions_page("orders", &["orders-http", "orders-q"], Some("m1")),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .topic("orders")
        .unwrap()
        .list_subscription_page(&ListOptions {
            prefix: Some("orders-".into()),
            marker: Some("m0".into()),
            page_size: Some(1000),
            with_meta: false,
        })
        .await
        .unwrap();
    let names: Vec<&str> = page.subscriptions.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["orders-http", "orders-q"]);
    assert_eq!(
        page.subscriptions[0].url,
        format!("{HOST}/topics/orders/subscriptions/orders-http")
    );
    assert!(page.subscriptions[0].attributes.is_none());
    assert_eq!(page.next_marker.as_deref(), Some("m1"));
    assert_signed(&requests(&server).await[0]);
}

#[tokio::test]
async fn list_subscription_by_topic_with_meta() {
    let server = MockServer::start().await;
    let entry = GET_SUBSCRIPTION
        .split_once("<Subscription xmlns=\"http://mns.aliyuncs.com/doc/v1/\">")
        .unwrap()
        .1
        .replace("</Subscription>", "");
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions"))
        .and(header("x-mns-with-meta", "true"))
        .respond_with(xml(
            200,
            doc(
                "Subscriptions",
                &format!(
                    "<Subscription><SubscriptionURL>{HOST}/topics/orders/subscriptions/orders-http</SubscriptionURL>{entry}</Subscription>"
                ),
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .topic("orders")
        .unwrap()
        .list_subscription_page(&ListOptions {
            with_meta: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.next_marker, None);
    let s = &page.subscriptions[0];
    assert_eq!(s.name.as_str(), "orders-http");
    let a = s.attributes.as_ref().unwrap();
    assert_eq!(
        a.filter_tag.as_ref().map(FilterTag::as_str),
        Some("important")
    );
    assert_eq!(a.endpoint.to_string(), "http://example.com/mns/notify");
}

#[tokio::test]
async fn list_subscriptions_streams_every_page_via_markers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions"))
        .and(header("x-mns-marker", "m1"))
        .respond_with(xml(200, subscriptions_page("orders", &["c"], None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/topics/orders/subscriptions"))
        .respond_with(xml(
            200,
            subscriptions_page("orders", &["a", "b"], Some("m1")),
        ))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let names: Vec<String> = client(&server)
        .topic("orders")
        .unwrap()
        .list_subscriptions(None)
        .map_ok(|s| s.name.into_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(hdr(&requests(&server).await[0], "x-mns-prefix"), None);
}

// -------------------------------------------------------------------------------------------------
// PublishMessage

fn publish_ok(md5_of: &str) -> ResponseTemplate {
    xml(
        201,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<Message xmlns="{NS}">
  <MessageId>5F4C6B1A2D3E4F50-1-18CC4E52200-200000001</MessageId>
  <MessageBodyMD5>{}</MessageBodyMD5>
</Message>"#,
            md5_hex_upper(md5_of.as_bytes())
        ),
    )
}

#[tokio::test]
async fn publish_message_sends_the_body_and_checks_the_md5() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/topics/orders/messages"))
        .and(body_string(doc(
            "Message",
            "<MessageBody>hello topic</MessageBody>",
        )))
        .respond_with(publish_ok("hello topic"))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = client(&server)
        .topic("orders")
        .unwrap()
        .publish_message("hello topic")
        .await
        .unwrap();
    assert_eq!(
        receipt.message_id,
        "5F4C6B1A2D3E4F50-1-18CC4E52200-200000001"
    );
    assert_eq!(receipt.body_md5, md5_hex_upper(b"hello topic"));
    assert_signed(&requests(&server).await[0]);
}

#[tokio::test]
async fn publish_message_with_tag_and_attributes_escapes_every_value() {
    let server = MockServer::start().await;
    let text = "a < b & \"c\"";
    Mock::given(method("POST"))
        .and(path("/topics/orders/messages"))
        .respond_with(publish_ok(text))
        .expect(1)
        .mount(&server)
        .await;
    let options = PublishOptions {
        message_tag: Some(MessageTag::new("important").unwrap()),
        message_attributes: MessageAttributes {
            direct_mail: Some(DirectMailAttributes::new("no-reply@mail.example.com", "Hi")),
            dysms: Some(DysmsAttributes::new("13800000000")),
            ..Default::default()
        },
        ..Default::default()
    };
    client(&server)
        .topic("orders")
        .unwrap()
        .publish_message_opts(text, options)
        .await
        .unwrap();
    let reqs = requests(&server).await;
    assert_eq!(
        body(&reqs[0]),
        doc(
            "Message",
            "<MessageBody>a &lt; b &amp; &quot;c&quot;</MessageBody><MessageTag>important</MessageTag>\
             <MessageAttributes><DirectMail>{&quot;AccountName&quot;:&quot;no-reply@mail.example.com&quot;,\
             &quot;Subject&quot;:&quot;Hi&quot;,&quot;AddressType&quot;:0,&quot;IsHtml&quot;:0,&quot;ReplyToAddress&quot;:0}</DirectMail>\
             <DYSMS>{&quot;PhoneNumber&quot;:&quot;13800000000&quot;}</DYSMS></MessageAttributes>"
        )
    );
    assert_signed(&reqs[0]);
}

#[tokio::test]
async fn base64_codec_publishes_the_encoded_body_and_checks_its_md5() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string(doc(
            "Message",
            "<MessageBody>AAH/aGk=</MessageBody>",
        )))
        .respond_with(publish_ok("AAH/aGk="))
        .expect(1)
        .mount(&server)
        .await;
    let t = client(&server)
        .topic("orders")
        .unwrap()
        .with_codec(BodyCodec::Base64);
    assert_eq!(t.codec(), BodyCodec::Base64);
    let receipt = t.publish_message([0u8, 1, 0xff, b'h', b'i']).await.unwrap();
    assert_eq!(receipt.body_md5, md5_hex_upper(b"AAH/aGk="));
}

#[tokio::test]
async fn publish_md5_mismatch_is_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(publish_ok("something else"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .topic("orders")
        .unwrap()
        .publish_message("hello world")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Md5Mismatch { message_id, expected, actual }
            if message_id == "5F4C6B1A2D3E4F50-1-18CC4E52200-200000001"
                && expected == &md5_hex_upper(b"something else")
                && actual == "5EB63BBBE01EEED093CB22BB8F5ACDC3"),
        "got {err:?}"
    );
}

#[tokio::test]
async fn publish_answers_without_message_id_or_with_a_wrong_status_are_decode_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/topics/no-id/messages"))
        .respond_with(xml(
            201,
            doc("Message", "<MessageBodyMD5>X</MessageBodyMD5>"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/topics/no-content/messages"))
        .respond_with(empty(204))
        .mount(&server)
        .await;
    let c = client(&server);
    for topic in ["no-id", "no-content"] {
        let err = c
            .topic(topic)
            .unwrap()
            .publish_message("x")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Decode {
                    operation: "PublishMessage",
                    ..
                }
            ),
            "{topic}: {err:?}"
        );
    }
}

#[tokio::test]
async fn publish_is_retried_on_5xx_like_every_operation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(xml(503, error_body("InternalError", "busy")))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(publish_ok("hi"))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let receipt = client(&server)
        .topic("orders")
        .unwrap()
        .publish_message("hi")
        .await
        .unwrap();
    assert_eq!(receipt.body_md5, md5_hex_upper(b"hi"));
}

#[tokio::test]
async fn prepare_publish_message_signs_what_publish_sends() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(publish_ok("hello"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let t = c.topic("orders").unwrap();
    let opts = PublishOptions {
        message_tag: Some(MessageTag::new("t1").unwrap()),
        ..Default::default()
    };
    let prepared = t
        .prepare_publish_message(
            "hello",
            &opts,
            &Credentials::new("testid", "testsecret"),
            secs(NOW_SECS),
        )
        .unwrap();
    t.publish_message_opts("hello", opts).await.unwrap();
    let sent = &requests(&server).await[0];
    // wiremock rebuilds the request URL from the Host header, so compare the path and query only.
    assert!(prepared.url.ends_with(sent.url.path()), "{}", prepared.url);
    assert_eq!(prepared.body.as_deref(), Some(body(sent)));
    assert_eq!(prepared.header("authorization"), hdr(sent, "authorization"));
}

// -------------------------------------------------------------------------------------------------
// Error codes and input validation

#[tokio::test]
async fn every_topic_error_code_maps_to_its_typed_code() {
    let cases = [
        (400, "InvalidArgument", ErrorCode::InvalidArgument),
        (400, "MalformedXML", ErrorCode::MalformedXML),
        (400, "TopicNameInvalid", ErrorCode::TopicNameInvalid),
        (400, "TopicNameLengthError", ErrorCode::TopicNameLengthError),
        (
            400,
            "SubscriptionNameInvalid",
            ErrorCode::SubscriptionNameInvalid,
        ),
        (
            400,
            "SubscriptionNameLengthError",
            ErrorCode::SubscriptionNameLengthError,
        ),
        (400, "EndpointInvalid", ErrorCode::EndpointInvalid),
        (404, "SubscriberNotExist", ErrorCode::SubscriberNotExist),
        (404, "TopicNotExist", ErrorCode::TopicNotExist),
        (404, "SubscriptionNotExist", ErrorCode::SubscriptionNotExist),
        (409, "TopicAlreadyExist", ErrorCode::TopicAlreadyExist),
        (
            409,
            "SubscriptionAlreadyExist",
            ErrorCode::SubscriptionAlreadyExist,
        ),
        (403, "AccessDenied", ErrorCode::AccessDenied),
        (
            403,
            "SignatureDoesNotMatch",
            ErrorCode::SignatureDoesNotMatch,
        ),
        (400, "SomethingNew", ErrorCode::Other("SomethingNew".into())),
    ];
    for (status, code, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(xml(status, error_body(code, "msg")))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server)
            .topic("orders")
            .unwrap()
            .subscribe("s", &Endpoint::http("http://example.com").unwrap())
            .await
            .unwrap_err();
        let s = service(&err);
        assert_eq!(s.code, expected, "{code}");
        assert_eq!(s.status, status);
        assert_eq!(s.message, "msg");
        assert_eq!(err.request_id(), Some(REQUEST_ID));
    }
}

#[tokio::test]
async fn invalid_input_is_rejected_before_anything_is_sent() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(empty(204))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let long = "a".repeat(256);
    let bad_names = ["", "-t", "t_1", "t/1", "t 1", "tö", long.as_str()];
    for name in bad_names {
        assert!(c.topic(name).is_err(), "{name:?}");
        assert!(invalid(
            c.create_topic(name, &TopicOptions::default()).await
        ));
        assert!(invalid(
            c.set_topic_attributes(name, &TopicOptions::default()).await
        ));
        assert!(invalid(c.get_topic_attributes(name).await));
        assert!(invalid(c.delete_topic(name).await));
    }
    for size in [1023, 65_537, 0] {
        let opts = TopicOptions {
            maximum_message_size: Some(size),
            ..Default::default()
        };
        assert!(invalid(c.create_topic("t", &opts).await));
        assert!(invalid(c.set_topic_attributes("t", &opts).await));
    }
    for bad in [
        ListOptions {
            page_size: Some(0),
            ..Default::default()
        },
        ListOptions {
            page_size: Some(1001),
            ..Default::default()
        },
        ListOptions {
            prefix: Some("ö".into()),
            ..Default::default()
        },
        ListOptions {
            marker: Some("m\n1".into()),
            ..Default::default()
        },
    ] {
        assert!(invalid(c.list_topic_page(&bad).await), "{bad:?}");
        assert!(invalid(
            c.topic("t").unwrap().list_subscription_page(&bad).await
        ));
    }

    let t = c.topic("t").unwrap();
    let endpoint = Endpoint::http("http://example.com").unwrap();
    for name in bad_names {
        assert!(invalid(t.subscribe(name, &endpoint).await), "{name:?}");
        assert!(invalid(
            t.set_subscription_attributes(name, &SubscriptionUpdate::default())
                .await
        ));
        assert!(invalid(t.get_subscription_attributes(name).await));
        assert!(invalid(t.unsubscribe(name).await));
    }

    // Bodies: empty, too large as transmitted, not XML-safe, base64 inflation.
    assert!(invalid(t.publish_message("").await));
    assert!(invalid(t.publish_message(vec![b'a'; 65_537]).await));
    assert!(invalid(t.publish_message([0xffu8, 0xfe]).await));
    assert!(matches!(
        t.publish_message("bell\u{7}").await,
        Err(Error::InvalidXmlChar { code: 7, .. })
    ));
    let b64 = t.clone().with_codec(BodyCodec::Base64);
    assert!(invalid(b64.publish_message(vec![0u8; 49_200]).await));
    // The largest body goes through validation (it fails later only because nothing answers).
    assert!(
        t.prepare_publish_message(
            vec![b'a'; 65_536],
            &PublishOptions::default(),
            &Credentials::new("id", "secret"),
            secs(NOW_SECS)
        )
        .is_ok()
    );
    // Message attributes are validated too.
    for attrs in [
        MessageAttributes {
            dysms: Some(DysmsAttributes::new("not-a-phone")),
            ..Default::default()
        },
        MessageAttributes {
            direct_mail: Some(DirectMailAttributes::new("", "subject")),
            ..Default::default()
        },
    ] {
        let opts = PublishOptions {
            message_attributes: attrs,
            ..Default::default()
        };
        assert!(invalid(t.publish_message_opts("x", opts).await));
    }
    // Tags, filter tags and endpoints cannot even be built when invalid.
    assert!(MessageTag::new("seventeen-chars-x").is_err());
    assert!(FilterTag::new("").is_err());
    assert!(Endpoint::http("ftp://example.com").is_err());
    assert!(
        "mail:directmail:not-an-address"
            .parse::<Endpoint>()
            .is_err()
    );
}
