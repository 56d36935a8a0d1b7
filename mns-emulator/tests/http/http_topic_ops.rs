//! Every topic and subscription operation over HTTP: statuses, documents, `Location` headers,
//! list paging, and the `<Error>` answers (reference §1.3, §2, §7).

use crate::http_common::{Harness, Req, T0_MS, start};

const NS: &str = r#"xmlns="http://mns.aliyuncs.com/doc/v1/""#;

fn topic_body(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Topic {NS}>{inner}</Topic>"#)
}

fn sub_body(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Subscription {NS}>{inner}</Subscription>"#)
}

fn publish_body(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Message {NS}>{inner}</Message>"#)
}

async fn create_topic(h: &Harness, name: &str, inner: &str) -> crate::http_common::Resp {
    h.send(Req::put(&format!("/topics/{name}"), &topic_body(inner)))
        .await
}

async fn subscribe(h: &Harness, topic: &str, sub: &str, inner: &str) -> crate::http_common::Resp {
    h.send(Req::put(
        &format!("/topics/{topic}/subscriptions/{sub}"),
        &sub_body(inner),
    ))
    .await
}

#[tokio::test]
async fn create_get_set_delete_topic() {
    let h = start().await;
    let r = create_topic(
        &h,
        "orders",
        "<MaximumMessageSize>10240</MaximumMessageSize><LoggingEnabled>True</LoggingEnabled>",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.assert_envelope();
    assert!(r.body.is_empty());
    let location = format!("{}/topics/orders", h.emu.endpoint());
    assert_eq!(r.header("location"), Some(location.as_str()));

    // Same attributes: 204 with Location; different: 409.
    let r = create_topic(
        &h,
        "orders",
        "<MaximumMessageSize>10240</MaximumMessageSize><LoggingEnabled>true</LoggingEnabled>",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("location"), Some(location.as_str()));
    create_topic(&h, "orders", "")
        .await
        .assert_error(409, "TopicAlreadyExist");

    h.advance(7);
    let r = h.send(Req::get("/topics/orders")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    let secs = (T0_MS / 1000).to_string();
    assert_eq!(r.text("TopicName").as_deref(), Some("orders"));
    assert_eq!(r.text("CreateTime").as_deref(), Some(secs.as_str()));
    assert_eq!(r.text("LastModifyTime").as_deref(), Some(secs.as_str()));
    assert_eq!(r.text("MaximumMessageSize").as_deref(), Some("10240"));
    assert_eq!(r.text("MessageRetentionPeriod").as_deref(), Some("86400"));
    assert_eq!(r.text("MessageCount").as_deref(), Some("0"));
    assert_eq!(r.text("LoggingEnabled").as_deref(), Some("True"));
    assert!(r.body.contains("<Topic xmlns="), "{}", r.body);

    let r = h
        .send(Req::put(
            "/topics/orders?metaoverride=true",
            &topic_body("<LoggingEnabled>false</LoggingEnabled>"),
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = h.send(Req::get("/topics/orders")).await;
    assert_eq!(r.text("LoggingEnabled").as_deref(), Some("False"));
    assert_eq!(r.text("MaximumMessageSize").as_deref(), Some("10240"));
    let later = (T0_MS / 1000 + 7).to_string();
    assert_eq!(r.text("LastModifyTime").as_deref(), Some(later.as_str()));

    h.send(Req::put(
        "/topics/orders?metaoverride=true",
        &topic_body("<MaximumMessageSize>1</MaximumMessageSize>"),
    ))
    .await
    .assert_error(400, "InvalidArgument");
    h.send(Req::put(
        "/topics/nope?metaoverride=true",
        &topic_body("<LoggingEnabled>True</LoggingEnabled>"),
    ))
    .await
    .assert_error(404, "TopicNotExist");

    let r = h.send(Req::delete("/topics/orders")).await;
    assert_eq!(r.status, 204);
    r.assert_envelope();
    assert_eq!(h.send(Req::delete("/topics/orders")).await.status, 204);
    h.send(Req::get("/topics/orders"))
        .await
        .assert_error(404, "TopicNotExist");
}

#[tokio::test]
async fn topic_request_errors() {
    let h = start().await;
    create_topic(&h, "-bad", "")
        .await
        .assert_error(400, "TopicNameInvalid");
    create_topic(&h, &"a".repeat(256), "")
        .await
        .assert_error(400, "TopicNameLengthError");
    h.send(Req::put("/topics/t", "<Topic><LoggingEnabled>x"))
        .await
        .assert_error(400, "MalformedXML");
    h.send(Req::put("/topics/t", "<Queue/>"))
        .await
        .assert_error(400, "InvalidArgument");
    create_topic(&h, "t", "<MaximumMessageSize>70000</MaximumMessageSize>")
        .await
        .assert_error(400, "InvalidArgument");
    // An empty body is a topic with default attributes.
    assert_eq!(h.send(Req::put("/topics/t", "")).await.status, 201);
    h.send(Req::post("/topics/t", ""))
        .await
        .assert_error(400, "InvalidRequestURL");
    // Unsigned requests are refused before routing.
    h.send(Req::get("/topics/t").unsigned())
        .await
        .assert_error(400, "MissingAuthorizationHeader");
}

#[tokio::test]
async fn list_topics_with_prefix_paging_and_meta() {
    let h = start().await;
    for n in ["t-a", "t-b", "t-c", "u-a"] {
        assert_eq!(create_topic(&h, n, "").await.status, 201);
    }
    let r = h.send(Req::get("/topics")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    let base = h.emu.endpoint();
    assert_eq!(
        r.texts("TopicURL"),
        ["t-a", "t-b", "t-c", "u-a"].map(|n| format!("{base}/topics/{n}"))
    );
    assert!(r.text("NextMarker").is_none());
    assert!(r.text("TopicName").is_none());

    let r = h
        .send(
            Req::get("/topics")
                .header("x-mns-prefix", "t-")
                .header("x-mns-ret-number", "2")
                .header("x-mns-with-meta", "true"),
        )
        .await;
    assert_eq!(r.texts("TopicName"), ["t-a", "t-b"]);
    assert_eq!(r.texts("MessageRetentionPeriod").len(), 2);
    let marker = r.text("NextMarker").expect("a next page");
    let r = h
        .send(
            Req::get("/topics")
                .header("x-mns-prefix", "t-")
                .header("x-mns-ret-number", "2")
                .header("x-mns-marker", &marker),
        )
        .await;
    assert_eq!(r.texts("TopicURL"), [format!("{base}/topics/t-c")]);
    assert!(r.text("NextMarker").is_none());

    h.send(Req::get("/topics").header("x-mns-ret-number", "0"))
        .await
        .assert_error(400, "InvalidArgument");
    h.send(Req::get("/topics").header("x-mns-marker", "%%%"))
        .await
        .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn subscription_lifecycle() {
    let h = start().await;
    create_topic(&h, "t", "").await;
    let inner = "<Endpoint>http://example.com/hook</Endpoint><FilterTag>vip</FilterTag><NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy><NotifyContentFormat>JSON</NotifyContentFormat>";
    let r = subscribe(&h, "t", "s1", inner).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.assert_envelope();
    let location = format!("{}/topics/t/subscriptions/s1", h.emu.endpoint());
    assert_eq!(r.header("location"), Some(location.as_str()));
    let r = subscribe(&h, "t", "s1", inner).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("location"), Some(location.as_str()));
    subscribe(
        &h,
        "t",
        "s1",
        "<Endpoint>http://example.com/other</Endpoint>",
    )
    .await
    .assert_error(409, "SubscriptionAlreadyExist");

    let r = h.send(Req::get("/topics/t/subscriptions/s1")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    for (el, want) in [
        ("SubscriptionName", "s1"),
        ("Subscriber", "1234567890123456"),
        ("TopicOwner", "1234567890123456"),
        ("TopicName", "t"),
        ("Endpoint", "http://example.com/hook"),
        ("NotifyStrategy", "EXPONENTIAL_DECAY_RETRY"),
        ("NotifyContentFormat", "JSON"),
        ("FilterTag", "vip"),
    ] {
        assert_eq!(r.text(el).as_deref(), Some(want), "{el}: {}", r.body);
    }
    let secs = (T0_MS / 1000).to_string();
    assert_eq!(r.text("CreateTime").as_deref(), Some(secs.as_str()));

    let r = h
        .send(Req::put(
            "/topics/t/subscriptions/s1?metaoverride=true",
            &sub_body("<NotifyStrategy>BACKOFF_RETRY</NotifyStrategy>"),
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = h.send(Req::get("/topics/t/subscriptions/s1")).await;
    assert_eq!(r.text("NotifyStrategy").as_deref(), Some("BACKOFF_RETRY"));
    assert_eq!(r.text("FilterTag").as_deref(), Some("vip"));
    h.send(Req::put(
        "/topics/t/subscriptions/s1?metaoverride=true",
        &sub_body("<NotifyStrategy>NEVER</NotifyStrategy>"),
    ))
    .await
    .assert_error(400, "InvalidArgument");
    h.send(Req::put(
        "/topics/t/subscriptions/nope?metaoverride=true",
        &sub_body("<NotifyStrategy>BACKOFF_RETRY</NotifyStrategy>"),
    ))
    .await
    .assert_error(404, "SubscriptionNotExist");

    let r = h.send(Req::delete("/topics/t/subscriptions/s1")).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        h.send(Req::delete("/topics/t/subscriptions/s1"))
            .await
            .status,
        204
    );
    h.send(Req::get("/topics/t/subscriptions/s1"))
        .await
        .assert_error(404, "SubscriptionNotExist");
}

#[tokio::test]
async fn subscription_errors() {
    let h = start().await;
    subscribe(&h, "none", "s", "<Endpoint>http://h/</Endpoint>")
        .await
        .assert_error(404, "TopicNotExist");
    create_topic(&h, "t", "").await;
    for (inner, status, code) in [
        ("<Endpoint>gopher://h/</Endpoint>", 400, "EndpointInvalid"),
        (
            "<Endpoint>acs:mns:cn-beijing:1234567890123456:queues/q</Endpoint>",
            400,
            "EndpointInvalid",
        ),
        ("", 400, "InvalidArgument"),
        (
            "<Endpoint>http://h/</Endpoint><NotifyContentFormat>CSV</NotifyContentFormat>",
            400,
            "InvalidArgument",
        ),
        (
            "<Endpoint>http://h/</Endpoint><FilterTag>12345678901234567</FilterTag>",
            400,
            "InvalidArgument",
        ),
    ] {
        subscribe(&h, "t", "s", inner)
            .await
            .assert_error(status, code);
    }
    subscribe(&h, "t", "bad_name", "<Endpoint>http://h/</Endpoint>")
        .await
        .assert_error(400, "SubscriptionNameInvalid");
    h.send(Req::get("/topics/none/subscriptions"))
        .await
        .assert_error(404, "TopicNotExist");
    h.send(Req::delete("/topics/none/subscriptions/s"))
        .await
        .assert_error(404, "TopicNotExist");
}

#[tokio::test]
async fn list_subscriptions_with_paging_and_meta() {
    let h = start().await;
    create_topic(&h, "t", "").await;
    for s in ["a1", "a2", "b1"] {
        let r = subscribe(&h, "t", s, "<Endpoint>http://h/x</Endpoint>").await;
        assert_eq!(r.status, 201);
    }
    let base = format!("{}/topics/t/subscriptions", h.emu.endpoint());
    let r = h.send(Req::get("/topics/t/subscriptions")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    assert_eq!(
        r.texts("SubscriptionURL"),
        ["a1", "a2", "b1"].map(|s| format!("{base}/{s}"))
    );
    let r = h
        .send(
            Req::get("/topics/t/subscriptions")
                .header("x-mns-prefix", "a")
                .header("x-mns-ret-number", "1")
                .header("x-mns-with-meta", "True"),
        )
        .await;
    assert_eq!(r.texts("SubscriptionName"), ["a1"]);
    assert_eq!(r.texts("Endpoint"), ["http://h/x"]);
    let marker = r.text("NextMarker").unwrap();
    let r = h
        .send(
            Req::get("/topics/t/subscriptions")
                .header("x-mns-prefix", "a")
                .header("x-mns-marker", &marker),
        )
        .await;
    assert_eq!(r.texts("SubscriptionURL"), [format!("{base}/a2")]);
    assert!(r.text("NextMarker").is_none());
}

#[tokio::test]
async fn publish_fans_out_into_queues() {
    let h = start().await;
    create_topic(&h, "t", "").await;
    h.create_queue("inbox", "").await;
    let ep = "acs:mns:cn-hangzhou:1234567890123456:queues/inbox";
    subscribe(
        &h,
        "t",
        "s",
        &format!("<Endpoint>{ep}</Endpoint><NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>"),
    )
    .await;
    let r = h
        .send(Req::post(
            "/topics/t/messages",
            &publish_body("<MessageBody>hello &amp; bye</MessageBody><MessageTag>tag</MessageTag><MessageAttributes><DirectMail>{\"Subject\":\"s\"}</DirectMail></MessageAttributes>"),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.assert_envelope();
    let id = r.text("MessageId").unwrap();
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(parts.len(), 4, "{id}");
    assert_eq!(parts[2], format!("{T0_MS:X}"));
    // MD5 of the body text as published ("hello & bye"), upper-case hex.
    use md5::Digest as _;
    let want: String = md5::Md5::digest(b"hello & bye")
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(r.text("MessageBodyMD5"), Some(want));
    let got = h.send(Req::get("/queues/inbox/messages")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.text("MessageBody").as_deref(), Some("hello &amp; bye"));

    h.send(Req::post(
        "/topics/none/messages",
        &publish_body("<MessageBody>x</MessageBody>"),
    ))
    .await
    .assert_error(404, "TopicNotExist");
    h.send(Req::post(
        "/topics/t/messages",
        &publish_body("<MessageTag>x</MessageTag>"),
    ))
    .await
    .assert_error(400, "InvalidArgument");
    h.send(Req::post("/topics/t/messages", "<Message><MessageBody>"))
        .await
        .assert_error(400, "MalformedXML");
    h.send(Req::post(
        "/topics/t/messages",
        &publish_body("<MessageBody></MessageBody>"),
    ))
    .await
    .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn long_poll_wakes_on_topic_delivery() {
    let h = start().await;
    create_topic(&h, "t", "").await;
    h.create_queue("inbox", "").await;
    subscribe(
        &h,
        "t",
        "s",
        "<Endpoint>acs:mns:cn-hangzhou:1234567890123456:queues/inbox</Endpoint><NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
    )
    .await;
    let poll = {
        let http = h.http.clone();
        let endpoint = h.emu.endpoint().to_owned();
        let date = h.http_date();
        tokio::spawn(async move {
            crate::http_common::send_with(
                &http,
                &endpoint,
                &date,
                Req::get("/queues/inbox/messages?waitseconds=30"),
            )
            .await
        })
    };
    h.emu.wait_for_waiting_receives(1).await;
    let r = h
        .send(Req::post(
            "/topics/t/messages",
            &publish_body("<MessageBody>wake</MessageBody>"),
        ))
        .await;
    assert_eq!(r.status, 201);
    let got = poll.await.unwrap();
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.text("MessageBody").as_deref(), Some("wake"));
}
