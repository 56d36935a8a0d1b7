//! Batch operations and peeking (reference §4.7, §4.9, §4.10, §4.12, §8 batch size, peek).

use std::collections::HashSet;
use std::time::Duration;

use mns_client::signing::md5_hex_upper;
use mns_client::{BatchSendEntry, ErrorCode, Priority, QueueOptions, ReceiptHandle, SendOptions};

use super::receive_now;
use crate::{CaseResult, RawRequest, Target};

/// BatchSendMessage returns one entry per message in request order, each with its id and MD5.
pub async fn batch_send_returns_entries_in_order(t: &Target) -> CaseResult {
    let q = t.create_queue("bsend", &QueueOptions::default()).await?;
    let bodies: Vec<String> = (0..16).map(|i| format!("body-{i}")).collect();
    let results = q
        .batch_send_message(bodies.iter().map(|b| BatchSendEntry::new(b.as_bytes())))
        .await?;
    assert_eq!(results.len(), 16);
    let mut ids = HashSet::new();
    for (r, body) in results.iter().zip(&bodies) {
        let receipt = r.as_ref().map_err(|e| e.to_string())?;
        assert_eq!(receipt.body_md5, md5_hex_upper(body.as_bytes()));
        ids.insert(receipt.message_id.clone());
    }
    assert_eq!(ids.len(), 16);
    assert_eq!(q.batch_peek_message(16).await?.len(), 16);
    Ok(())
}

/// Per-entry options in a batch send (delay, priority) apply to their own message.
pub async fn batch_send_entry_options_apply(t: &Target) -> CaseResult {
    let q = t.create_queue("bopts", &QueueOptions::default()).await?;
    let entries = vec![
        BatchSendEntry::with_options(
            "delayed",
            SendOptions {
                delay_seconds: Some(60),
                ..Default::default()
            },
        ),
        BatchSendEntry::new("normal"),
        BatchSendEntry::with_options(
            "urgent",
            SendOptions {
                priority: Some(Priority::HIGHEST),
                ..Default::default()
            },
        ),
    ];
    let results = q.batch_send_message(entries).await?;
    assert!(results.iter().all(Result::is_ok));
    let got = q.batch_receive_message(16, Some(Duration::ZERO)).await?;
    let bodies: Vec<&str> = got.iter().filter_map(|m| m.body_str()).collect();
    assert_eq!(bodies, ["urgent", "normal"]);
    let handles: Vec<ReceiptHandle> = got.into_iter().map(|m| m.receipt_handle).collect();
    q.batch_delete_message(&handles).await?;
    t.elapse(Duration::from_secs(60)).await;
    let later = receive_now(&q).await?;
    assert_eq!(later.body_str(), Some("delayed"));
    Ok(())
}

/// BatchReceiveMessage returns at most `numOfMessages`, each marked in flight.
pub async fn batch_receive_returns_at_most_n(t: &Target) -> CaseResult {
    let q = t.create_queue("brecv", &QueueOptions::default()).await?;
    for i in 0..10 {
        q.send_message(format!("m{i}")).await?;
    }
    let got = q.batch_receive_message(4, Some(Duration::ZERO)).await?;
    assert!(!got.is_empty() && got.len() <= 4, "got {}", got.len());
    // The received ones are in flight: only the others can still be peeked.
    assert_eq!(q.batch_peek_message(16).await?.len(), 10 - got.len());
    Ok(())
}

/// BatchReceiveMessage asking for more than are visible returns what is there (no waiting to
/// fill); on an empty queue it answers empty.
pub async fn batch_receive_returns_what_is_available(t: &Target) -> CaseResult {
    let q = t.create_queue("bavail", &QueueOptions::default()).await?;
    assert!(
        q.batch_receive_message(16, Some(Duration::ZERO))
            .await?
            .is_empty()
    );
    for i in 0..3 {
        q.send_message(format!("m{i}")).await?;
    }
    let mut total = 0;
    for _ in 0..3 {
        total += q
            .batch_receive_message(16, Some(Duration::ZERO))
            .await?
            .len();
        if total == 3 {
            break;
        }
    }
    assert_eq!(total, 3);
    Ok(())
}

/// BatchDeleteMessage with only valid handles deletes them all (204).
pub async fn batch_delete_all_valid(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "bdel",
            &QueueOptions {
                visibility_timeout: Some(2),
                ..Default::default()
            },
        )
        .await?;
    for i in 0..5 {
        q.send_message(format!("m{i}")).await?;
    }
    let mut handles = Vec::new();
    while handles.len() < 5 {
        let got = q.batch_receive_message(16, Some(Duration::ZERO)).await?;
        assert!(!got.is_empty(), "messages disappeared");
        handles.extend(got.into_iter().map(|m| m.receipt_handle));
    }
    let results = q.batch_delete_message(&handles).await?;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    t.elapse(Duration::from_secs(2)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    Ok(())
}

/// BatchDeleteMessage with a mix of valid, never-issued and expired handles deletes the valid ones
/// and reports each failed handle with its `ErrorCode` (`ReceiptHandleError`, `MessageNotExist`).
pub async fn batch_delete_partial_failure_reports_each_handle(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "bdelpart",
            &QueueOptions {
                visibility_timeout: Some(2),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("stale").await?;
    let stale = receive_now(&q).await?;
    t.elapse(Duration::from_secs(2)).await;
    let fresh = receive_now(&q).await?; // the same message, new handle
    q.send_message("other").await?;
    let other = receive_now(&q).await?;
    let bogus = ReceiptHandle::new("bogus-handle")?;
    let handles = vec![
        other.receipt_handle.clone(),
        bogus,
        stale.receipt_handle.clone(),
    ];
    let results = q.batch_delete_message(&handles).await?;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let e1 = results[1].as_ref().expect_err("bogus handle fails");
    assert_eq!(e1.code, ErrorCode::ReceiptHandleError);
    assert_eq!(e1.index, 1);
    let e2 = results[2].as_ref().expect_err("stale handle fails");
    assert_eq!(e2.code, ErrorCode::MessageNotExist);
    // The re-received message is still there and its current handle works.
    q.delete_message(&fresh.receipt_handle).await?;
    Ok(())
}

/// A partial BatchDeleteMessage failure is a non-2xx `<Errors>` document whose entries have
/// exactly `ErrorCode`, `ErrorMessage` and `ReceiptHandle` (§4.12).
pub async fn batch_delete_error_document_shape(t: &Target) -> CaseResult {
    let q = t.create_queue("bdeldoc", &QueueOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new("DELETE", format!("/queues/{}/messages", q.name())).body(
                "<ReceiptHandles xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
                 <ReceiptHandle>bogus-1</ReceiptHandle></ReceiptHandles>",
            ),
        )
        .await?;
    assert!(resp.status >= 400, "status {}", resp.status);
    assert!(resp.body.contains("<Errors"), "{}", resp.body);
    assert_eq!(resp.texts("ErrorCode"), ["ReceiptHandleError"]);
    assert_eq!(
        resp.texts("ErrorMessage"),
        ["The receipt handle you provide is not valid."]
    );
    assert_eq!(resp.texts("ReceiptHandle"), ["bogus-1"]);
    assert!(resp.header("x-mns-request-id").is_some());
    Ok(())
}

/// More than 16 entries in a BatchSendMessage answers 400 `InvalidArgument` and enqueues nothing.
/// \[unconfirmed\]
pub async fn batch_send_over_16_entries_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("b17", &QueueOptions::default()).await?;
    let entries: String = (0..17)
        .map(|i| format!("<Message><MessageBody>m{i}</MessageBody></Message>"))
        .collect();
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name()))
                .body(format!("<Messages>{entries}</Messages>")),
        )
        .await?;
    resp.assert_error(400, "InvalidArgument");
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// A batch with one invalid entry is rejected as a whole (400 `InvalidArgument`), enqueuing none.
/// \[unconfirmed\]
pub async fn batch_send_invalid_entry_rejects_whole_batch(t: &Target) -> CaseResult {
    let q = t.create_queue("binval", &QueueOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name())).body(
                "<Messages><Message><MessageBody>ok</MessageBody></Message>\
                 <Message><MessageBody>bad</MessageBody><Priority>99</Priority></Message></Messages>",
            ),
        )
        .await?;
    resp.assert_error(400, "InvalidArgument");
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// `numOfMessages` outside 1–16 answers 400 `InvalidArgument` for receive and peek. \[unconfirmed\]
pub async fn batch_size_out_of_range_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("bnum", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    for query in [
        "numOfMessages=17",
        "numOfMessages=0",
        "peekonly=true&numOfMessages=17",
    ] {
        let resp = t
            .raw(RawRequest::new(
                "GET",
                format!("/queues/{}/messages?{query}", q.name()),
            ))
            .await?;
        resp.assert_error(400, "InvalidArgument");
    }
    Ok(())
}

/// More than 16 handles in a BatchDeleteMessage answers 400 `InvalidArgument`. \[unconfirmed\]
pub async fn batch_delete_over_16_handles_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("bdel17", &QueueOptions::default()).await?;
    let handles: String = (0..17)
        .map(|i| format!("<ReceiptHandle>h-{i}</ReceiptHandle>"))
        .collect();
    let resp = t
        .raw(
            RawRequest::new("DELETE", format!("/queues/{}/messages", q.name()))
                .body(format!("<ReceiptHandles>{handles}</ReceiptHandles>")),
        )
        .await?;
    resp.assert_error(400, "InvalidArgument");
    Ok(())
}

/// PeekMessage returns the next visible message without a handle and changes nothing.
pub async fn peek_changes_nothing(t: &Target) -> CaseResult {
    let q = t.create_queue("peek", &QueueOptions::default()).await?;
    q.send_message("look").await?;
    for _ in 0..3 {
        let p = q.peek_message().await?.expect("peek");
        assert_eq!(p.body, b"look");
        assert_eq!(p.dequeue_count, 0);
        assert_eq!(p.first_dequeue_time, p.enqueue_time);
    }
    let m = receive_now(&q).await?;
    assert_eq!(m.dequeue_count, 1);
    Ok(())
}

/// The peek document has no `ReceiptHandle` and no `NextVisibleTime` (§4.10).
pub async fn peek_document_has_no_handle(t: &Target) -> CaseResult {
    let q = t.create_queue("peekdoc", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    let resp = t
        .raw(RawRequest::new(
            "GET",
            format!("/queues/{}/messages?peekonly=true", q.name()),
        ))
        .await?;
    assert_eq!(resp.status, 200);
    assert!(resp.text("ReceiptHandle").is_none(), "{}", resp.body);
    assert!(resp.text("NextVisibleTime").is_none());
    for el in [
        "MessageId",
        "MessageBody",
        "MessageBodyMD5",
        "EnqueueTime",
        "FirstDequeueTime",
        "DequeueCount",
        "Priority",
    ] {
        assert!(resp.text(el).is_some(), "{el} missing");
    }
    Ok(())
}

/// Peek shows only visible messages: in-flight and delayed ones are skipped; an empty result is
/// `MessageNotExist`.
pub async fn peek_skips_in_flight_and_delayed(t: &Target) -> CaseResult {
    let q = t.create_queue("peekskip", &QueueOptions::default()).await?;
    assert!(q.peek_message().await?.is_none());
    q.send_message("inflight").await?;
    receive_now(&q).await?;
    q.send_message_opts(
        "delayed",
        SendOptions {
            delay_seconds: Some(60),
            ..Default::default()
        },
    )
    .await?;
    assert!(q.peek_message().await?.is_none());
    assert!(q.batch_peek_message(16).await?.is_empty());
    q.send_message("visible").await?;
    let all = q.batch_peek_message(16).await?;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].body, b"visible");
    Ok(())
}

/// BatchPeekMessage returns up to N visible messages, with the dequeue count of a message that was
/// received before.
pub async fn batch_peek_returns_visible_messages(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "bpeek",
            &QueueOptions {
                visibility_timeout: Some(1),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("first").await?;
    receive_now(&q).await?;
    t.elapse(Duration::from_secs(1)).await;
    for i in 0..3 {
        q.send_message(format!("m{i}")).await?;
    }
    let all = q.batch_peek_message(16).await?;
    assert_eq!(all.len(), 4);
    let first = all
        .iter()
        .find(|m| m.body == b"first")
        .expect("received-then-visible message is peekable");
    assert_eq!(first.dequeue_count, 1);
    assert!(first.first_dequeue_time >= first.enqueue_time);
    assert_eq!(q.batch_peek_message(2).await?.len(), 2);
    Ok(())
}
