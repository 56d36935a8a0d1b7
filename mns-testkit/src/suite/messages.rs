//! Sending, receiving and deleting single messages; bodies, MD5 and message fields
//! (reference §4.6, §4.8, §4.11, §6).

use std::collections::HashSet;
use std::time::Duration;

use mns_client::signing::md5_hex_upper;
use mns_client::{BodyCodec, ErrorCode, Priority, QueueOptions, SendOptions, UserProperty};

use super::{expect_code, receive_now};
use crate::{CaseResult, RawRequest, Target};

/// A message sent is received with the same body, id and MD5.
pub async fn send_then_receive_round_trips(t: &Target) -> CaseResult {
    let q = t.create_queue("rt", &QueueOptions::default()).await?;
    let sent = q.send_message("hello world").await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body, b"hello world");
    assert_eq!(m.message_id, sent.message_id);
    assert!(
        sent.receipt_handle.is_none(),
        "no handle for an undelayed send"
    );
    Ok(())
}

/// `MessageBodyMD5` is the upper-case hex MD5 of the transmitted body text (§6); message ids are
/// 32 upper-case hex characters.
pub async fn send_reports_body_md5(t: &Target) -> CaseResult {
    let q = t.create_queue("md5", &QueueOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name())).body(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                 <Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
                 <MessageBody>hello world</MessageBody></Message>",
            ),
        )
        .await?;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(
        resp.text("MessageBodyMD5").as_deref(),
        Some("5EB63BBBE01EEED093CB22BB8F5ACDC3")
    );
    let id = resp.text("MessageId").unwrap_or_default();
    assert_eq!(id.len(), 32, "message id {id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    );
    Ok(())
}

/// Non-ASCII text (CJK, emoji, accents) round-trips byte for byte and its MD5 is over UTF-8.
pub async fn body_non_ascii_round_trips(t: &Target) -> CaseResult {
    let q = t.create_queue("utf8", &QueueOptions::default()).await?;
    let body = "I am 测试字符串. Grüße 🚀 ñ";
    let sent = q.send_message(body).await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body_str(), Some(body));
    assert_eq!(sent.message_id, m.message_id);
    // The client has already checked the received MD5; check the one reported on send too.
    assert_eq!(sent.body_md5, md5_hex_upper(body.as_bytes()));
    Ok(())
}

/// XML-special characters (`< > & ' "`, a CDATA terminator, an entity lookalike) round-trip.
pub async fn body_xml_special_chars_round_trip(t: &Target) -> CaseResult {
    let q = t.create_queue("xml", &QueueOptions::default()).await?;
    let body = r#"<a href="x">&amp; 'quoted' ]]> &lt;not-an-entity&gt; & < > </a>"#;
    q.send_message(body).await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body_str(), Some(body));
    Ok(())
}

/// Leading/trailing whitespace and newlines in a body are kept.
pub async fn body_whitespace_is_preserved(t: &Target) -> CaseResult {
    let q = t.create_queue("ws", &QueueOptions::default()).await?;
    let body = "  line one\n\tline two\r\n  ";
    q.send_message(body).await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body_str(), Some(body));
    Ok(())
}

/// With the base64 codec the service stores the base64 text (it never decodes); a raw reader sees
/// that text and the MD5 is over it.
pub async fn body_base64_is_stored_as_transmitted(t: &Target) -> CaseResult {
    let q = t.create_queue("b64", &QueueOptions::default()).await?;
    let b64 = q.clone().with_codec(BodyCodec::Base64);
    b64.send_message("hello world").await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body_str(), Some("aGVsbG8gd29ybGQ="));
    Ok(())
}

/// Arbitrary bytes (all 256 values) round-trip with the base64 codec.
pub async fn body_binary_round_trips_with_base64(t: &Target) -> CaseResult {
    let q = t
        .create_queue("bin", &QueueOptions::default())
        .await?
        .with_codec(BodyCodec::Base64);
    let body: Vec<u8> = (0..=255u8).collect();
    q.send_message(&body).await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body, body);
    Ok(())
}

/// A body of exactly the queue's `MaximumMessageSize` is accepted; one byte more answers 400
/// `InvalidArgument`. \[unconfirmed: error text\]
pub async fn body_size_limit_is_maximum_message_size(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "size",
            &QueueOptions {
                maximum_message_size: Some(1024),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("x".repeat(1024)).await?;
    let r = q.send_message("x".repeat(1025)).await;
    expect_code(r.map(|_| ()), 400, ErrorCode::InvalidArgument);
    assert_eq!(q.batch_peek_message(16).await?.len(), 1);
    Ok(())
}

/// A 64 KB body (the largest allowed) round-trips.
pub async fn body_of_64_kib_round_trips(t: &Target) -> CaseResult {
    let q = t.create_queue("big", &QueueOptions::default()).await?;
    let body: String = (0..65_536)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    q.send_message(&body).await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body.len(), 65_536);
    assert_eq!(m.body_str(), Some(body.as_str()));
    Ok(())
}

/// An empty `MessageBody` is rejected with 400 `InvalidArgument`. \[unconfirmed\]
pub async fn empty_body_is_rejected(t: &Target) -> CaseResult {
    let q = t.create_queue("empty", &QueueOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name()))
                .body("<Message><MessageBody></MessageBody></Message>"),
        )
        .await?;
    resp.assert_error(400, "InvalidArgument");
    Ok(())
}

/// Receive sets `DequeueCount` 1, `FirstDequeueTime` ≥ `EnqueueTime`, and `NextVisibleTime` =
/// receive time + the queue's `VisibilityTimeout` (§8 visibility on receive).
pub async fn receive_sets_dequeue_fields(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "fields",
            &QueueOptions {
                visibility_timeout: Some(40),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.dequeue_count, 1);
    assert!(m.first_dequeue_time >= m.enqueue_time);
    assert_eq!(
        m.next_visible_time
            .duration_since(m.first_dequeue_time)
            .unwrap_or_default(),
        Duration::from_secs(40)
    );
    assert_eq!(m.priority, Priority::DEFAULT);
    Ok(())
}

/// Receive on an empty queue answers 404 `MessageNotExist` "Message not exist." (the client turns
/// it into `None`).
pub async fn receive_on_empty_queue_is_message_not_exist(t: &Target) -> CaseResult {
    let q = t.create_queue("emptyq", &QueueOptions::default()).await?;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    let resp = t
        .raw(RawRequest::new(
            "GET",
            format!("/queues/{}/messages?waitseconds=0", q.name()),
        ))
        .await?;
    resp.assert_error(404, "MessageNotExist");
    assert_eq!(resp.message().as_deref(), Some("Message not exist."));
    Ok(())
}

/// User properties (`STRING`, `NUMBER`, `BOOLEAN`) are stored and returned on receive and peek.
pub async fn user_properties_round_trip(t: &Target) -> CaseResult {
    let q = t.create_queue("props", &QueueOptions::default()).await?;
    let props = vec![
        UserProperty::string("city", "hangzhou"),
        UserProperty {
            name: "count".into(),
            value: "42".into(),
            kind: mns_client::PropertyType::Number,
        },
        UserProperty {
            name: "urgent".into(),
            value: "true".into(),
            kind: mns_client::PropertyType::Boolean,
        },
    ];
    q.send_message_opts(
        "with props",
        SendOptions {
            user_properties: props.clone(),
            ..Default::default()
        },
    )
    .await?;
    let peeked = q.peek_message().await?.expect("peek");
    assert_eq!(sorted(peeked.user_properties), sorted(props.clone()));
    let m = receive_now(&q).await?;
    assert_eq!(sorted(m.user_properties), sorted(props));
    Ok(())
}

fn sorted(mut v: Vec<UserProperty>) -> Vec<UserProperty> {
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Message ids are unique within a queue.
pub async fn message_ids_are_unique(t: &Target) -> CaseResult {
    let q = t.create_queue("ids", &QueueOptions::default()).await?;
    let mut ids = HashSet::new();
    for i in 0..20 {
        ids.insert(q.send_message(format!("m{i}")).await?.message_id);
    }
    assert_eq!(ids.len(), 20);
    Ok(())
}

/// SendMessage to a missing queue answers 404 `QueueNotExist`.
pub async fn send_to_missing_queue_is_queue_not_exist(t: &Target) -> CaseResult {
    let q = t.client.queue(&t.queue_name("nosuch"))?;
    expect_code(
        q.send_message("x").await.map(|_| ()),
        404,
        ErrorCode::QueueNotExist,
    );
    expect_code(
        q.receive_message(Some(Duration::ZERO)).await.map(|_| ()),
        404,
        ErrorCode::QueueNotExist,
    );
    expect_code(
        q.peek_message().await.map(|_| ()),
        404,
        ErrorCode::QueueNotExist,
    );
    Ok(())
}

/// DeleteMessage with the current handle answers 204 and the message is gone for good.
pub async fn delete_message_removes_it(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "delm",
            &QueueOptions {
                visibility_timeout: Some(2),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    q.delete_message(&m.receipt_handle).await?;
    t.elapse(Duration::from_secs(2)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// Deleting the same message twice: the second answers 404 `MessageNotExist`. \[unconfirmed\]
pub async fn delete_message_twice_is_message_not_exist(t: &Target) -> CaseResult {
    let q = t.create_queue("deltwice", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    q.delete_message(&m.receipt_handle).await?;
    expect_code(
        q.delete_message(&m.receipt_handle).await,
        404,
        ErrorCode::MessageNotExist,
    );
    Ok(())
}

/// A send body whose XML is not well-formed answers 400 `MalformedXML` and enqueues nothing.
pub async fn send_malformed_xml_is_400(t: &Target) -> CaseResult {
    let q = t.create_queue("malsend", &QueueOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name()))
                .body("<Message><MessageBody>a < b</MessageBody></Message>"),
        )
        .await?;
    resp.assert_error(400, "MalformedXML");
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// Request bodies are accepted without an XML declaration and with any or no namespace (§2.3).
pub async fn request_xml_namespace_is_optional(t: &Target) -> CaseResult {
    let q = t.create_queue("ns", &QueueOptions::default()).await?;
    for body in [
        "<Message><MessageBody>go style</MessageBody></Message>",
        "<Message xmlns=\"http://mns.aliyuncs.com/doc/v1\"><MessageBody>java style</MessageBody></Message>",
    ] {
        let resp = t
            .raw(RawRequest::new("POST", format!("/queues/{}/messages", q.name())).body(body))
            .await?;
        assert_eq!(resp.status, 201, "{}", resp.body);
    }
    assert_eq!(q.batch_peek_message(16).await?.len(), 2);
    Ok(())
}
