//! Every queue, message and account operation over real HTTP with raw signed requests: statuses,
//! headers and bodies as the service answers them (reference §4, §7, §11).

use crate::http_common::{Req, start};

const NS: &str = r#"xmlns="http://mns.aliyuncs.com/doc/v1/""#;

#[tokio::test]
async fn create_queue_201_then_204_with_location_then_409() {
    let h = start().await;
    let body = format!(r#"<Queue {NS}><VisibilityTimeout>60</VisibilityTimeout></Queue>"#);
    let r = h.send(Req::put("/queues/q1", &body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.assert_envelope();
    let location = format!("{}/queues/q1", h.emu.endpoint());
    assert_eq!(r.header("location"), Some(location.as_str()));

    let r = h.send(Req::put("/queues/q1", &body)).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("location"), Some(location.as_str()));
    r.assert_envelope();

    let other = format!(r#"<Queue {NS}><VisibilityTimeout>61</VisibilityTimeout></Queue>"#);
    h.send(Req::put("/queues/q1", &other))
        .await
        .assert_error(409, "QueueAlreadyExist");
}

#[tokio::test]
async fn create_queue_errors() {
    let h = start().await;
    h.send(Req::put("/queues/bad_name", ""))
        .await
        .assert_error(400, "InvalidQueueName");
    h.send(Req::put(&format!("/queues/{}", "a".repeat(121)), ""))
        .await
        .assert_error(400, "QueueNameLengthError");
    h.send(Req::put(
        "/queues/q",
        "<Queue><DelaySeconds>1</DelaySeconds>",
    ))
    .await
    .assert_error(400, "MalformedXML");
    let r = h
        .send(Req::put(
            "/queues/q",
            "<Queue><PollingWaitSeconds>31</PollingWaitSeconds></Queue>",
        ))
        .await;
    r.assert_error(400, "InvalidArgument");
    assert_eq!(
        r.text("Message").as_deref(),
        Some("The value of PollingWaitSeconds should between 0 and 30 seconds.")
    );
}

#[tokio::test]
async fn get_set_and_delete_queue_attributes() {
    let h = start().await;
    h.create_queue("q1", "").await;
    let r = h.send(Req::get("/queues/q1")).await;
    assert_eq!(r.status, 200);
    r.assert_envelope();
    for element in [
        "QueueName",
        "CreateTime",
        "LastModifyTime",
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "VisibilityTimeout",
        "PollingWaitSeconds",
        "ActiveMessages",
        "InactiveMessages",
        "DelayMessages",
        "LoggingEnabled",
    ] {
        assert!(
            r.text(element).is_some_and(|t| !t.is_empty()),
            "{element} in {}",
            r.body
        );
    }
    assert_eq!(r.text("CreateTime").as_deref(), Some("1704164645"));
    assert_eq!(r.text("LoggingEnabled").as_deref(), Some("False"));

    // Partial update, lower-case boolean accepted, emitted as `True`.
    h.advance(10);
    let r = h
        .send(Req::put(
            "/queues/q1?metaoverride=true",
            "<Queue><LoggingEnabled>true</LoggingEnabled><VisibilityTimeout>45</VisibilityTimeout></Queue>",
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = h.send(Req::get("/queues/q1")).await;
    assert_eq!(r.text("LoggingEnabled").as_deref(), Some("True"));
    assert_eq!(r.text("VisibilityTimeout").as_deref(), Some("45"));
    assert_eq!(r.text("LastModifyTime").as_deref(), Some("1704164655"));
    assert_eq!(r.text("MaximumMessageSize").as_deref(), Some("65536"));

    let r = h.send(Req::delete("/queues/q1")).await;
    assert_eq!(r.status, 204);
    r.assert_envelope();
    h.send(Req::get("/queues/q1"))
        .await
        .assert_error(404, "QueueNotExist");
    h.send(Req::put("/queues/nope?metaoverride=true", "<Queue/>"))
        .await
        .assert_error(404, "QueueNotExist");
}

#[tokio::test]
async fn list_queues_with_prefix_paging_and_meta() {
    let h = start().await;
    for name in ["a1", "a2", "a3", "b1"] {
        h.create_queue(name, "").await;
    }
    let r = h
        .send(
            Req::get("/queues")
                .header("x-mns-prefix", "a")
                .header("x-mns-ret-number", "2"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    let urls = r.texts("QueueURL");
    let base = h.emu.endpoint();
    assert_eq!(
        urls,
        [format!("{base}/queues/a1"), format!("{base}/queues/a2")]
    );
    let marker = r.text("NextMarker").expect("a next page");
    let r = h
        .send(
            Req::get("/queues")
                .header("x-mns-prefix", "a")
                .header("x-mns-ret-number", "2")
                .header("x-mns-marker", &marker),
        )
        .await;
    assert_eq!(r.texts("QueueURL"), [format!("{base}/queues/a3")]);
    assert!(r.text("NextMarker").is_none(), "{}", r.body);
    assert!(!r.body.contains("<NextMarker"), "no empty NextMarker");

    let r = h
        .send(Req::get("/queues").header("x-mns-with-meta", "true"))
        .await;
    assert_eq!(r.texts("QueueName"), ["a1", "a2", "a3", "b1"]);
    assert_eq!(r.texts("VisibilityTimeout").len(), 4);

    h.send(Req::get("/queues").header("x-mns-ret-number", "0"))
        .await
        .assert_error(400, "InvalidArgument");
    let r = h
        .send(Req::get("/queues").header("x-mns-prefix", "zzz"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.texts("QueueURL").is_empty());
}

#[tokio::test]
async fn send_receive_change_visibility_and_delete() {
    let h = start().await;
    h.create_queue("q", "").await;
    let r = h
        .send_message(
            "q",
            "<MessageBody>hello world</MessageBody><Priority>3</Priority>",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.assert_envelope();
    assert_eq!(
        r.text("MessageBodyMD5").as_deref(),
        Some("5EB63BBBE01EEED093CB22BB8F5ACDC3")
    );
    let id = r.text("MessageId").expect("id");
    assert!(r.text("ReceiptHandle").is_none(), "no handle without delay");

    let r = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    for element in [
        "MessageId",
        "ReceiptHandle",
        "MessageBodyMD5",
        "MessageBody",
        "EnqueueTime",
        "NextVisibleTime",
        "FirstDequeueTime",
        "DequeueCount",
        "Priority",
    ] {
        assert!(r.text(element).is_some(), "{element} in {}", r.body);
    }
    assert_eq!(r.text("MessageId"), Some(id));
    assert_eq!(r.text("MessageBody").as_deref(), Some("hello world"));
    assert_eq!(r.text("Priority").as_deref(), Some("3"));
    assert_eq!(r.text("EnqueueTime").as_deref(), Some("1704164645000"));
    assert_eq!(r.text("NextVisibleTime").as_deref(), Some("1704164675000"));
    let handle = r.text("ReceiptHandle").expect("handle");

    h.advance(5);
    let r = h
        .send(Req::new(
            "PUT",
            &format!("/queues/q/messages?ReceiptHandle={handle}&VisibilityTimeout=100"),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    assert!(r.body.contains("<ChangeVisibility "), "{}", r.body);
    assert_eq!(r.text("NextVisibleTime").as_deref(), Some("1704164750000"));
    let new_handle = r.text("ReceiptHandle").expect("new handle");
    assert_ne!(new_handle, handle);

    // The old handle is stale now.
    h.send(Req::delete(&format!(
        "/queues/q/messages?ReceiptHandle={handle}"
    )))
    .await
    .assert_error(404, "MessageNotExist");
    let r = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={new_handle}"
        )))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    r.assert_envelope();
    assert!(h.emu.inspect_queue("q").expect("queue").is_empty());
}

#[tokio::test]
async fn empty_receive_and_peek_are_404_message_not_exist() {
    let h = start().await;
    h.create_queue("q", "").await;
    h.send(Req::get("/queues/q/messages"))
        .await
        .assert_error(404, "MessageNotExist");
    h.send(Req::get("/queues/q/messages?waitseconds=0"))
        .await
        .assert_error(404, "MessageNotExist");
    h.send(Req::get("/queues/q/messages?numOfMessages=16"))
        .await
        .assert_error(404, "MessageNotExist");
    h.send(Req::get("/queues/q/messages?peekonly=true"))
        .await
        .assert_error(404, "MessageNotExist");
    h.send(Req::get("/queues/q/messages?peekonly=true&numOfMessages=3"))
        .await
        .assert_error(404, "MessageNotExist");
    h.send(Req::get("/queues/nope/messages"))
        .await
        .assert_error(404, "QueueNotExist");
}

#[tokio::test]
async fn batch_send_receive_peek_and_delete() {
    let h = start().await;
    h.create_queue("q", "").await;
    let entries: String = (0..5)
        .map(|i| format!("<Message><MessageBody>m{i}</MessageBody></Message>"))
        .collect();
    let r = h
        .send(Req::post(
            "/queues/q/messages",
            &format!("<Messages {NS}>{entries}</Messages>"),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.texts("MessageId").len(), 5);
    assert!(!r.body.contains("ReceiptHandle"));

    let r = h
        .send(Req::get(
            "/queues/q/messages?peekonly=true&numOfMessages=16",
        ))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<Messages "), "{}", r.body);
    assert_eq!(r.texts("MessageBody"), ["m0", "m1", "m2", "m3", "m4"]);
    assert!(!r.body.contains("ReceiptHandle") && !r.body.contains("NextVisibleTime"));
    let r = h.send(Req::get("/queues/q/messages?peekonly=true")).await;
    assert!(r.body.contains("<Message "), "{}", r.body);
    assert_eq!(r.text("DequeueCount").as_deref(), Some("0"));
    assert_eq!(r.text("FirstDequeueTime"), r.text("EnqueueTime"));

    let r = h
        .send(Req::get("/queues/q/messages?numOfMessages=3&waitseconds=1"))
        .await;
    assert_eq!(r.status, 200);
    let handles = r.texts("ReceiptHandle");
    assert_eq!(handles.len(), 3);

    // One good handle, one garbage, one well-formed but stale: only failures are listed, 404.
    let stale = handles[1].clone();
    h.send(Req::delete(&format!(
        "/queues/q/messages?ReceiptHandle={stale}"
    )))
    .await;
    let body = format!(
        "<ReceiptHandles {NS}><ReceiptHandle>{}</ReceiptHandle><ReceiptHandle>garbage</ReceiptHandle><ReceiptHandle>{stale}</ReceiptHandle></ReceiptHandles>",
        handles[0]
    );
    let r = h
        .send(Req::new("DELETE", "/queues/q/messages").xml(&body))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    r.assert_envelope();
    assert!(r.body.contains("<Errors "), "{}", r.body);
    assert_eq!(
        r.texts("ErrorCode"),
        ["ReceiptHandleError", "MessageNotExist"]
    );
    assert_eq!(r.texts("ReceiptHandle"), ["garbage".to_owned(), stale]);
    assert_eq!(r.texts("ErrorMessage").len(), 2);

    let body = format!(
        "<ReceiptHandles><ReceiptHandle>{}</ReceiptHandle></ReceiptHandles>",
        handles[2]
    );
    let r = h
        .send(Req::new("DELETE", "/queues/q/messages").xml(&body))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.emu.inspect_queue("q").expect("queue").len(), 2);
}

#[tokio::test]
async fn message_level_errors() {
    let h = start().await;
    h.create_queue("q", "").await;
    let r = h
        .send_message("q", "<MessageBody>x</MessageBody><Priority>0</Priority>")
        .await;
    r.assert_error(400, "InvalidArgument");
    assert_eq!(
        r.text("Message").as_deref(),
        Some("The value of Priority should between 1 and 16")
    );
    h.send_message("q", "<Priority>1</Priority>")
        .await
        .assert_error(400, "InvalidArgument");
    h.send(Req::post("/queues/q/messages", "<Message><MessageBody>"))
        .await
        .assert_error(400, "MalformedXML");
    h.send(Req::post(
        "/queues/nope/messages",
        "<Message><MessageBody>x</MessageBody></Message>",
    ))
    .await
    .assert_error(404, "QueueNotExist");
    let seventeen: String = (0..17)
        .map(|_| "<Message><MessageBody>x</MessageBody></Message>")
        .collect();
    h.send(Req::post(
        "/queues/q/messages",
        &format!("<Messages>{seventeen}</Messages>"),
    ))
    .await
    .assert_error(400, "InvalidArgument");
    h.send(Req::get("/queues/q/messages?numOfMessages=17"))
        .await
        .assert_error(400, "InvalidArgument");
    h.send(Req::get("/queues/q/messages?waitseconds=31"))
        .await
        .assert_error(400, "InvalidArgument");
    h.send(Req::get("/queues/q/messages?waitseconds=soon"))
        .await
        .assert_error(400, "InvalidQueryString");
    h.send(Req::delete("/queues/q/messages"))
        .await
        .assert_error(400, "MissingReceiptHandle");
    h.send(Req::delete("/queues/q/messages?ReceiptHandle="))
        .await
        .assert_error(400, "MissingReceiptHandle");
    h.send(Req::delete("/queues/q/messages?ReceiptHandle=garbage"))
        .await
        .assert_error(400, "ReceiptHandleError");
    h.send(Req::new("PUT", "/queues/q/messages?VisibilityTimeout=10"))
        .await
        .assert_error(400, "MissingReceiptHandle");
    h.send(Req::new("PUT", "/queues/q/messages?ReceiptHandle=garbage"))
        .await
        .assert_error(400, "MissingVisibilityTimeout");
    h.send(Req::new(
        "PUT",
        "/queues/q/messages?ReceiptHandle=garbage&VisibilityTimeout=10",
    ))
    .await
    .assert_error(400, "ReceiptHandleError");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_invalid_request_url() {
    let h = start().await;
    h.create_queue("q", "").await;
    for req in [
        Req::get("/nothing"),
        Req::get("/queues/q/messages/extra"),
        Req::new("POST", "/queues"),
        Req::new("POST", "/queues/q"),
        Req::new("PATCH", "/queues/q/messages"),
        Req::get("/"),
    ] {
        h.send(req).await.assert_error(400, "InvalidRequestURL");
    }
}

#[tokio::test]
async fn oversized_body_is_rejected_with_the_service_error() {
    let h = start_small_limit().await;
    h.create_queue("q", "").await;
    let big = "x".repeat(5000);
    let r = h
        .send_message("q", &format!("<MessageBody>{big}</MessageBody>"))
        .await;
    r.assert_error(400, "InvalidArgument");
    // The server is still fine afterwards.
    let r = h
        .send_message("q", "<MessageBody>small</MessageBody>")
        .await;
    assert_eq!(r.status, 201);
}

async fn start_small_limit() -> crate::http_common::Harness {
    crate::http_common::start_with(|b| b.max_request_body_bytes(4096)).await
}

#[tokio::test]
async fn message_body_over_queue_maximum_is_invalid_argument() {
    let h = start().await;
    h.create_queue("q", "<MaximumMessageSize>1024</MaximumMessageSize>")
        .await;
    let big = "x".repeat(1025);
    h.send_message("q", &format!("<MessageBody>{big}</MessageBody>"))
        .await
        .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn account_attributes_and_open_service() {
    let h = start().await;
    let r = h.send(Req::get("/?accountmeta=true")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    assert!(
        r.body.contains("<LoggingBucket></LoggingBucket>"),
        "{}",
        r.body
    );
    let r = h
        .send(Req::put(
            "/?accountmeta=true",
            &format!("<Account {NS}><LoggingBucket>logs</LoggingBucket></Account>"),
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = h.send(Req::get("/?accountmeta=true")).await;
    assert_eq!(r.text("LoggingBucket").as_deref(), Some("logs"));

    let r = h.send(Req::new("POST", "/commonbuy/openservice")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.text("OrderId").is_some_and(|o| !o.is_empty()));
}

#[tokio::test]
async fn request_ids_are_unique() {
    let h = start().await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let r = h.send(Req::get("/queues")).await;
        assert!(ids.insert(r.header("x-mns-request-id").expect("id").to_owned()));
    }
}

#[tokio::test]
async fn router_answers_in_process_without_a_socket() {
    use tower::ServiceExt as _;
    let emu = mns_emulator::Emulator::builder()
        .accept_any_signature(true)
        .build();
    let req = axum::http::Request::builder()
        .method("PUT")
        .uri("/queues/inproc")
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = emu.router().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("http://127.0.0.1/queues/inproc")
    );
    assert!(emu.inspect_queue("inproc").expect("created").is_empty());
}
