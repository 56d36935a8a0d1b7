//! The sans-IO topic engine: topic and subscription lifecycle, limits and error codes, fan-out
//! with filter tags, the body written for each content format, and the retry schedules — all
//! with explicit `now` values.

use mns_emulator::engine::{
    AttemptOutcome, CreateOutcome, Endpoint, Engine, EngineConfig, ListRequest,
    NotifyContentFormat, NotifyStrategy, PublishMessageInput, QueueAttributesInput, SubscribeInput,
    SubscriptionUpdate, TopicAttributesInput,
};
use mns_emulator::error::ErrorCode;

const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const T0: u64 = 1_704_110_400_000;

fn engine() -> Engine {
    let mut config = EngineConfig::default();
    config.seed = Some(7);
    let mut e = Engine::new(config);
    e.set_topic_account(ACCOUNT, REGION);
    e
}

fn queue_endpoint(q: &str) -> String {
    format!("acs:mns:{REGION}:{ACCOUNT}:queues/{q}")
}

fn sub(endpoint: &str, format: Option<&str>, filter: Option<&str>) -> SubscribeInput {
    SubscribeInput {
        endpoint: Some(endpoint.to_owned()),
        filter_tag: filter.map(str::to_owned),
        notify_strategy: None,
        notify_content_format: format.map(str::to_owned),
    }
}

fn receive_all(e: &mut Engine, q: &str, now: u64) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let got = e.receive_messages(q, 16, now).unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend(got.into_iter().map(|m| m.body));
    }
}

#[test]
fn topic_create_semantics_and_attributes() {
    let mut e = engine();
    assert_eq!(
        e.create_topic("orders", TopicAttributesInput::default(), T0)
            .unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        e.create_topic("orders", TopicAttributesInput::default(), T0 + 1)
            .unwrap(),
        CreateOutcome::Existed
    );
    let differs = TopicAttributesInput {
        maximum_message_size: Some(2048),
        logging_enabled: None,
    };
    let err = e.create_topic("orders", differs.clone(), T0).unwrap_err();
    assert_eq!(err.code(), &ErrorCode::TopicAlreadyExist);
    assert_eq!(err.status(), 409);

    let a = e.get_topic_attributes("orders", T0).unwrap();
    assert_eq!(a.maximum_message_size, 65_536);
    assert_eq!(a.message_retention_period, 86_400);
    assert_eq!(a.create_time, T0 / 1000);
    assert!(!a.logging_enabled);

    let set = TopicAttributesInput {
        maximum_message_size: Some(2048),
        logging_enabled: Some(true),
    };
    e.set_topic_attributes("orders", set, T0 + 5_000).unwrap();
    let a = e.get_topic_attributes("orders", T0 + 5_000).unwrap();
    assert_eq!(
        (
            a.maximum_message_size,
            a.logging_enabled,
            a.last_modify_time
        ),
        (2048, true, T0 / 1000 + 5)
    );
    // Bad values change nothing.
    for bad in [1023, 65_537] {
        let input = TopicAttributesInput {
            maximum_message_size: Some(bad),
            logging_enabled: Some(false),
        };
        let err = e.set_topic_attributes("orders", input, T0).unwrap_err();
        assert_eq!(err.code(), &ErrorCode::InvalidArgument);
        assert_eq!(
            err.message(),
            "The value of MaximumMessageSize should between 1024 and 65536 bytes."
        );
    }
    assert!(
        e.get_topic_attributes("orders", T0)
            .unwrap()
            .logging_enabled
    );

    let missing = e.get_topic_attributes("nope", T0).unwrap_err();
    assert_eq!(
        (missing.code(), missing.status()),
        (&ErrorCode::TopicNotExist, 404)
    );
    assert_eq!(
        e.set_topic_attributes("nope", TopicAttributesInput::default(), T0)
            .unwrap_err()
            .code(),
        &ErrorCode::TopicNotExist
    );
    e.delete_topic("orders", T0).unwrap();
    e.delete_topic("orders", T0).unwrap(); // absent: still success
    assert!(!e.topic_exists("orders"));
}

#[test]
fn names_are_validated() {
    let mut e = engine();
    for (name, code) in [
        ("", ErrorCode::TopicNameLengthError),
        (&"a".repeat(256) as &str, ErrorCode::TopicNameLengthError),
        ("-a", ErrorCode::TopicNameInvalid),
        ("a_b", ErrorCode::TopicNameInvalid),
    ] {
        let err = e
            .create_topic(name, TopicAttributesInput::default(), T0)
            .unwrap_err();
        assert_eq!(err.code(), &code, "{name}");
        assert_eq!(err.status(), 400);
    }
    e.create_topic(&"a".repeat(255), TopicAttributesInput::default(), T0)
        .unwrap();
    e.create_topic("0-t", TopicAttributesInput::default(), T0)
        .unwrap();
    for (name, code) in [
        ("", ErrorCode::SubscriptionNameLengthError),
        ("a.b", ErrorCode::SubscriptionNameInvalid),
    ] {
        let err = e
            .subscribe("0-t", name, sub("http://h/", None, None), T0)
            .unwrap_err();
        assert_eq!(err.code(), &code, "{name}");
    }
}

#[test]
fn subscription_semantics_and_errors() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    let s = sub("http://example.com/hook", Some("JSON"), Some("vip"));
    assert_eq!(
        e.subscribe("t", "s1", s.clone(), T0).unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        e.subscribe("t", "s1", s.clone(), T0).unwrap(),
        CreateOutcome::Existed
    );
    let err = e
        .subscribe(
            "t",
            "s1",
            sub("http://example.com/hook", None, Some("vip")),
            T0,
        )
        .unwrap_err();
    assert_eq!(
        (err.code(), err.status()),
        (&ErrorCode::SubscriptionAlreadyExist, 409)
    );
    let err = e.subscribe("missing", "s1", s.clone(), T0).unwrap_err();
    assert_eq!(err.code(), &ErrorCode::TopicNotExist);

    let a = e.get_subscription_attributes("t", "s1").unwrap();
    assert_eq!(a.topic_owner, ACCOUNT);
    assert_eq!(a.subscriber, ACCOUNT);
    assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
    assert_eq!(a.notify_content_format, NotifyContentFormat::Json);
    assert_eq!(a.filter_tag.as_deref(), Some("vip"));
    assert_eq!(
        a.endpoint,
        Endpoint::Http {
            url: "http://example.com/hook".into()
        }
    );

    e.set_subscription_attributes(
        "t",
        "s1",
        SubscriptionUpdate {
            notify_strategy: Some("EXPONENTIAL_DECAY_RETRY".into()),
            filter_tag: Some(String::new()),
        },
        T0 + 2_000,
    )
    .unwrap();
    let a = e.get_subscription_attributes("t", "s1").unwrap();
    assert_eq!(a.notify_strategy, NotifyStrategy::ExponentialDecayRetry);
    assert_eq!(a.filter_tag, None);
    assert_eq!(a.last_modify_time, T0 / 1000 + 2);

    let bad_strategy = SubscriptionUpdate {
        notify_strategy: Some("SOMETIMES".into()),
        filter_tag: None,
    };
    assert_eq!(
        e.set_subscription_attributes("t", "s1", bad_strategy, T0)
            .unwrap_err()
            .code(),
        &ErrorCode::InvalidArgument
    );
    assert_eq!(
        e.set_subscription_attributes("t", "nope", SubscriptionUpdate::default(), T0)
            .unwrap_err()
            .code(),
        &ErrorCode::SubscriptionNotExist
    );
    assert_eq!(
        e.get_subscription_attributes("t", "nope")
            .unwrap_err()
            .code(),
        &ErrorCode::SubscriptionNotExist
    );

    for (input, code) in [
        (sub("ftp://x", None, None), ErrorCode::EndpointInvalid),
        (
            sub("acs:mns:cn-beijing:1:queues/q", None, None),
            ErrorCode::EndpointInvalid,
        ),
        (
            sub("http://h/", None, Some("seventeen-chars-x")),
            ErrorCode::InvalidArgument,
        ),
        (
            sub("http://h/", Some("YAML"), None),
            ErrorCode::InvalidArgument,
        ),
        (
            SubscribeInput {
                endpoint: None,
                ..Default::default()
            },
            ErrorCode::InvalidArgument,
        ),
    ] {
        assert_eq!(
            e.subscribe("t", "s2", input.clone(), T0)
                .unwrap_err()
                .code(),
            &code,
            "{input:?}"
        );
    }

    e.unsubscribe("t", "s1", T0).unwrap();
    e.unsubscribe("t", "s1", T0).unwrap();
    assert_eq!(
        e.unsubscribe("missing", "s1", T0).unwrap_err().code(),
        &ErrorCode::TopicNotExist
    );
}

#[test]
fn listing_pages_with_prefix_and_marker() {
    let mut e = engine();
    for n in ["a1", "a2", "a3", "b1"] {
        e.create_topic(n, TopicAttributesInput::default(), T0)
            .unwrap();
        e.subscribe("a1", n, sub("http://h/", None, None), T0)
            .unwrap();
    }
    let req = |prefix: Option<&str>, marker: Option<String>, n: Option<i64>| ListRequest {
        prefix: prefix.map(str::to_owned),
        marker,
        ret_number: n,
    };
    let all = e.list_topics(req(None, None, None), T0).unwrap();
    let names: Vec<_> = all.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a1", "a2", "a3", "b1"]);
    assert_eq!(all.next_marker, None);

    let p1 = e.list_topics(req(Some("a"), None, Some(2)), T0).unwrap();
    assert_eq!(p1.topics.len(), 2);
    let p2 = e
        .list_topics(req(Some("a"), p1.next_marker.clone(), Some(2)), T0)
        .unwrap();
    let names: Vec<_> = p2.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a3"]);
    assert_eq!(p2.next_marker, None);

    for bad in [0, 1001] {
        assert_eq!(
            e.list_topics(req(None, None, Some(bad)), T0)
                .unwrap_err()
                .code(),
            &ErrorCode::InvalidArgument
        );
    }

    let s1 = e
        .list_subscriptions("a1", req(Some("a"), None, Some(1)), T0)
        .unwrap();
    assert_eq!(s1.subscriptions[0].name, "a1");
    let s2 = e
        .list_subscriptions("a1", req(Some("a"), s1.next_marker, Some(5)), T0)
        .unwrap();
    let names: Vec<_> = s2.subscriptions.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a2", "a3"]);
    assert_eq!(
        e.list_subscriptions("zz", ListRequest::default(), T0)
            .unwrap_err()
            .code(),
        &ErrorCode::TopicNotExist
    );
}

#[test]
fn fan_out_writes_each_content_format_into_queues() {
    let mut e = engine();
    e.create_topic("orders", TopicAttributesInput::default(), T0)
        .unwrap();
    for (q, fmt) in [
        ("qx", "XML"),
        ("qj", "JSON"),
        ("qs", "SIMPLIFIED"),
        ("qd", ""),
    ] {
        e.create_queue(q, QueueAttributesInput::default(), T0)
            .unwrap();
        let f = (!fmt.is_empty()).then_some(fmt);
        e.subscribe(
            "orders",
            &format!("s-{q}"),
            sub(&queue_endpoint(q), f, None),
            T0,
        )
        .unwrap();
    }
    let body = "hello <topic> & \"friends\" 中文";
    let published = e
        .publish_message(
            "orders",
            PublishMessageInput::new(body).with_tag("important"),
            T0,
        )
        .unwrap();
    assert_eq!(published.deliveries, 4);
    assert_eq!(published.body_md5.len(), 32);
    let mut queues = published.queues_delivered.clone();
    queues.sort();
    assert_eq!(queues, ["qd", "qj", "qs", "qx"]);
    let id = &published.message_id;
    let md5 = &published.body_md5;

    let xml = receive_all(&mut e, "qx", T0);
    assert_eq!(
        xml,
        [format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Notification xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><TopicOwner>{ACCOUNT}</TopicOwner><TopicName>orders</TopicName><Subscriber>{ACCOUNT}</Subscriber><SubscriptionName>s-qx</SubscriptionName><MessageId>{id}</MessageId><Message>hello &lt;topic&gt; &amp; &quot;friends&quot; 中文</Message><MessageMD5>{md5}</MessageMD5><MessageTag>important</MessageTag><PublishTime>{T0}</PublishTime></Notification>"
        )]
    );
    // XML is the default format.
    assert_eq!(
        receive_all(&mut e, "qd", T0),
        [xml[0].replace("s-qx", "s-qd")]
    );

    let json = receive_all(&mut e, "qj", T0);
    let v: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    let expect = serde_json::json!({
        "TopicOwner": ACCOUNT, "TopicName": "orders", "Subscriber": ACCOUNT,
        "SubscriptionName": "s-qj", "MessageId": id, "Message": body, "MessageMD5": md5,
        "MessageTag": "important", "PublishTime": T0.to_string(),
    });
    assert_eq!(v, expect);
    assert!(json[0].starts_with("{\"TopicOwner\":"), "{}", json[0]);

    assert_eq!(receive_all(&mut e, "qs", T0), [body]);
    assert_eq!(e.delivered_notifications().len(), 4);
    assert_eq!(e.pending_deliveries(), 0);
    assert_eq!(
        e.get_topic_attributes("orders", T0).unwrap().message_count,
        0
    );
}

#[test]
fn untagged_messages_omit_message_tag() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.create_queue("qx", QueueAttributesInput::default(), T0)
        .unwrap();
    e.create_queue("qj", QueueAttributesInput::default(), T0)
        .unwrap();
    e.subscribe("t", "x", sub(&queue_endpoint("qx"), Some("XML"), None), T0)
        .unwrap();
    e.subscribe("t", "j", sub(&queue_endpoint("qj"), Some("JSON"), None), T0)
        .unwrap();
    e.publish_message("t", PublishMessageInput::new("m"), T0)
        .unwrap();
    let xml = receive_all(&mut e, "qx", T0);
    assert!(!xml[0].contains("MessageTag"), "{}", xml[0]);
    let json = receive_all(&mut e, "qj", T0);
    let v: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert!(v.get("MessageTag").is_none());
}

#[test]
fn filter_tags_select_subscriptions() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    for (q, filter) in [("all", None), ("vip", Some("vip")), ("other", Some("VIP"))] {
        e.create_queue(q, QueueAttributesInput::default(), T0)
            .unwrap();
        e.subscribe(
            "t",
            q,
            sub(&queue_endpoint(q), Some("SIMPLIFIED"), filter),
            T0,
        )
        .unwrap();
    }
    e.publish_message("t", PublishMessageInput::new("untagged"), T0)
        .unwrap();
    e.publish_message("t", PublishMessageInput::new("tagged").with_tag("vip"), T0)
        .unwrap();
    e.publish_message("t", PublishMessageInput::new("else").with_tag("else"), T0)
        .unwrap();
    assert_eq!(
        receive_all(&mut e, "all", T0),
        ["untagged", "tagged", "else"]
    );
    // Exact, case-sensitive equality; untagged messages never reach a filtered subscription.
    assert_eq!(receive_all(&mut e, "vip", T0), ["tagged"]);
    assert!(receive_all(&mut e, "other", T0).is_empty());
}

#[test]
fn subscriptions_only_get_later_messages() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    e.publish_message("t", PublishMessageInput::new("before"), T0)
        .unwrap();
    e.subscribe(
        "t",
        "s",
        sub(&queue_endpoint("q"), Some("SIMPLIFIED"), None),
        T0,
    )
    .unwrap();
    e.publish_message("t", PublishMessageInput::new("after"), T0 + 1)
        .unwrap();
    assert_eq!(receive_all(&mut e, "q", T0 + 1), ["after"]);
}

#[test]
fn publish_validation() {
    let mut e = engine();
    e.create_topic(
        "small",
        TopicAttributesInput {
            maximum_message_size: Some(1024),
            logging_enabled: None,
        },
        T0,
    )
    .unwrap();
    let err = e
        .publish_message("small", PublishMessageInput::new("x".repeat(1025)), T0)
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidArgument);
    e.publish_message("small", PublishMessageInput::new("x".repeat(1024)), T0)
        .unwrap();
    assert_eq!(
        e.publish_message("small", PublishMessageInput::new(""), T0)
            .unwrap_err()
            .code(),
        &ErrorCode::InvalidArgument
    );
    assert_eq!(
        e.publish_message(
            "small",
            PublishMessageInput::new("a").with_tag("x".repeat(17)),
            T0
        )
        .unwrap_err()
        .code(),
        &ErrorCode::InvalidArgument
    );
    let bad_attr = PublishMessageInput {
        message_attributes: vec![("DirectMail".into(), "{not json".into())],
        ..PublishMessageInput::new("a")
    };
    assert_eq!(
        e.publish_message("small", bad_attr, T0).unwrap_err().code(),
        &ErrorCode::InvalidArgument
    );
    assert_eq!(
        e.publish_message("none", PublishMessageInput::new("a"), T0)
            .unwrap_err()
            .code(),
        &ErrorCode::TopicNotExist
    );
}

#[test]
fn record_only_endpoints_keep_message_attributes() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.subscribe(
        "t",
        "mail",
        sub("mail:directmail:a@example.com", None, None),
        T0,
    )
    .unwrap();
    let attrs = r#"{"AccountName":"no-reply@mail.example.com","Subject":"Hi","AddressType":1,"IsHtml":0,"ReplyToAddress":0}"#;
    let input = PublishMessageInput {
        message_attributes: vec![("DirectMail".into(), attrs.into())],
        ..PublishMessageInput::new("body")
    };
    e.publish_message("t", input, T0).unwrap();
    let delivered = e.delivered_notifications();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].endpoint, "mail:directmail:a@example.com");
    assert_eq!(
        delivered[0].message_attributes,
        [("DirectMail".to_owned(), attrs.to_owned())]
    );
}

#[test]
fn missing_queue_is_retried_on_backoff_schedule_then_dropped() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.subscribe("t", "s", sub(&queue_endpoint("later"), None, None), T0)
        .unwrap();
    e.publish_message("t", PublishMessageInput::new("m"), T0)
        .unwrap();
    let attempts = e.delivery_attempts();
    assert_eq!(attempts.len(), 1);
    assert!(matches!(
        &attempts[0].outcome,
        AttemptOutcome::Failed { reason, .. } if reason.contains("QueueNotExist")
    ));
    assert_eq!(e.get_topic_attributes("t", T0).unwrap().message_count, 1);
    let mut now = T0;
    for retry in 0..3 {
        let due = e.next_delivery_due().expect("a retry is scheduled");
        let wait = due - now;
        assert!((10_000..=20_000).contains(&wait), "retry {retry}: {wait}");
        // Nothing happens before it is due.
        assert!(e.run_due_deliveries(due - 1).queues_delivered.is_empty());
        assert_eq!(e.delivery_attempts().len(), retry + 1);
        now = due;
        e.run_due_deliveries(now);
        assert_eq!(e.delivery_attempts().len(), retry + 2);
    }
    assert_eq!(e.next_delivery_due(), None);
    let dropped = e.dropped_notifications();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].attempts, 4);
    assert_eq!(e.pending_deliveries(), 0);
}

#[test]
fn queue_created_before_a_retry_receives_the_message() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.subscribe(
        "t",
        "s",
        sub(&queue_endpoint("later"), Some("SIMPLIFIED"), None),
        T0,
    )
    .unwrap();
    e.publish_message("t", PublishMessageInput::new("m"), T0)
        .unwrap();
    e.create_queue("later", QueueAttributesInput::default(), T0 + 1)
        .unwrap();
    let due = e.next_delivery_due().unwrap();
    let done = e.run_due_deliveries(due);
    assert_eq!(done.queues_delivered, ["later"]);
    assert_eq!(receive_all(&mut e, "later", due), ["m"]);
    let attempts = e.delivery_attempts();
    assert_eq!(attempts.len(), 2);
    assert!(attempts[1].outcome.is_delivered());
}

#[test]
fn http_pushes_follow_the_exponential_schedule() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    let mut s = sub("http://127.0.0.1:9/hook", Some("XML"), None);
    s.notify_strategy = Some("EXPONENTIAL_DECAY_RETRY".into());
    e.subscribe("t", "h", s, T0).unwrap();
    e.publish_message("t", PublishMessageInput::new("m"), T0)
        .unwrap();
    // Publishing leaves HTTP deliveries to the I/O layer.
    assert!(e.delivery_attempts().is_empty());
    let mut now = T0;
    let mut waits = Vec::new();
    for attempt in 1..=177 {
        let jobs = e.run_due_deliveries(now).http;
        assert_eq!(jobs.len(), 1, "attempt {attempt}");
        assert_eq!(jobs[0].attempt, attempt);
        assert_eq!(jobs[0].url, "http://127.0.0.1:9/hook");
        // In flight: not handed out twice.
        assert!(e.run_due_deliveries(now).http.is_empty());
        e.complete_http_push(&jobs[0], now, Ok(500), now);
        match e.next_delivery_due() {
            Some(due) => {
                waits.push((due - now) / 1000);
                now = due;
            }
            None => break,
        }
    }
    assert_eq!(waits.len(), 176);
    assert_eq!(&waits[..10], [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    assert!(waits[9..].iter().all(|&w| w == 512));
    assert_eq!(e.delivery_attempts().len(), 177);
    assert_eq!(e.dropped_notifications().len(), 1);
}

#[test]
fn http_success_and_deletion_while_in_flight() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.subscribe("t", "h", sub("http://h/", None, None), T0)
        .unwrap();
    e.publish_message("t", PublishMessageInput::new("m"), T0)
        .unwrap();
    let job = e.run_due_deliveries(T0).http.remove(0);
    e.complete_http_push(&job, T0, Ok(204), T0 + 10);
    let delivered = e.delivered_notifications();
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        e.delivery_attempts()[0].outcome,
        AttemptOutcome::Delivered { status: Some(204) }
    );

    e.publish_message("t", PublishMessageInput::new("m2"), T0)
        .unwrap();
    let job = e.run_due_deliveries(T0).http.remove(0);
    e.delete_topic("t", T0).unwrap();
    e.complete_http_push(&job, T0, Err("timeout".into()), T0);
    assert_eq!(
        e.dropped_notifications()[0].reason.as_deref(),
        Some("the topic was deleted")
    );
    assert_eq!(e.next_delivery_due(), None);
}

#[test]
fn http_pushes_in_flight_are_limited() {
    let mut e = engine();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    for n in ["a", "b", "c"] {
        e.subscribe("t", n, sub(&format!("http://h/{n}"), None, None), T0)
            .unwrap();
    }
    e.publish_message("t", PublishMessageInput::new("m"), T0)
        .unwrap();
    let first = e.run_due_deliveries_limited(T0, 2).http;
    assert_eq!(first.len(), 2);
    assert!(e.run_due_deliveries_limited(T0, 2).http.is_empty());
    assert_eq!(e.next_delivery_due(), Some(T0), "the third is still due");
    e.complete_http_push(&first[0], T0, Ok(200), T0);
    let second = e.run_due_deliveries_limited(T0, 2).http;
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].delivery_id, first[1].delivery_id);
}

/// A push handed out before a full reset (or restore) is not settled against the new state,
/// whose delivery ids start again: the new delivery with the same id stays in flight.
#[test]
fn a_push_from_before_a_reset_settles_nothing_after_it() {
    let publish = |e: &mut Engine| {
        e.create_topic("t", TopicAttributesInput::default(), T0)
            .unwrap();
        e.subscribe("t", "h", sub("http://h/", None, None), T0)
            .unwrap();
        e.publish_message("t", PublishMessageInput::new("m"), T0)
            .unwrap();
        e.run_due_deliveries(T0).http.remove(0)
    };
    let mut e = engine();
    let old = publish(&mut e);
    e.replace_with(engine());
    let new = publish(&mut e);
    assert_eq!(old.delivery_id, new.delivery_id, "ids start again");
    e.complete_http_push(&old, T0, Ok(204), T0 + 10);
    assert!(
        e.delivered_notifications().is_empty(),
        "the old push settles nothing"
    );
    assert_eq!(e.pending_deliveries(), 1);
    e.complete_http_push(&new, T0, Ok(204), T0 + 10);
    assert_eq!(e.delivered_notifications().len(), 1);
}
