//! Visibility timeouts, receipt handles and ChangeMessageVisibility (reference §4.11, §4.13, §8).

use std::time::Duration;

use mns_client::{ErrorCode, QueueOptions, ReceiptHandle};

use super::{expect_code, receive_now};
use crate::{CaseResult, RawRequest, Target};

fn short_visibility(seconds: u32) -> QueueOptions {
    QueueOptions {
        visibility_timeout: Some(seconds),
        ..Default::default()
    }
}

/// A received message is invisible until its visibility timeout ends, then visible again with
/// `DequeueCount` 2 and a new receipt handle.
pub async fn received_message_reappears_after_visibility_timeout(t: &Target) -> CaseResult {
    let q = t.create_queue("reappear", &short_visibility(3)).await?;
    q.send_message("x").await?;
    let first = receive_now(&q).await?;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    t.elapse(Duration::from_secs(3)).await;
    let second = receive_now(&q).await?;
    assert_eq!(second.message_id, first.message_id);
    assert_eq!(second.dequeue_count, 2);
    assert_eq!(second.first_dequeue_time, first.first_dequeue_time);
    assert_ne!(second.receipt_handle, first.receipt_handle);
    Ok(())
}

/// After a re-receive the earlier handle is stale: DeleteMessage with it answers 404
/// `MessageNotExist` and the message stays; the newest handle deletes it.
pub async fn stale_handle_after_rereceive_cannot_delete(t: &Target) -> CaseResult {
    let q = t.create_queue("stale", &short_visibility(2)).await?;
    q.send_message("x").await?;
    let first = receive_now(&q).await?;
    t.elapse(Duration::from_secs(2)).await;
    let second = receive_now(&q).await?;
    expect_code(
        q.delete_message(&first.receipt_handle).await,
        404,
        ErrorCode::MessageNotExist,
    );
    q.delete_message(&second.receipt_handle).await?;
    Ok(())
}

/// Once the visibility timeout has passed (message Active again), DeleteMessage with its handle
/// answers 404 `MessageNotExist` and the message is still there.
pub async fn delete_after_visibility_expired_is_message_not_exist(t: &Target) -> CaseResult {
    let q = t.create_queue("expired", &short_visibility(2)).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    t.elapse(Duration::from_secs(2)).await;
    expect_code(
        q.delete_message(&m.receipt_handle).await,
        404,
        ErrorCode::MessageNotExist,
    );
    assert!(q.peek_message().await?.is_some());
    Ok(())
}

/// A receipt handle that was never issued answers 400 `ReceiptHandleError` "The receipt handle
/// you provide is not valid." on delete and on change-visibility.
pub async fn garbage_handle_is_receipt_handle_error(t: &Target) -> CaseResult {
    let q = t.create_queue("garbage", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    let bogus = ReceiptHandle::new("not-a-real-handle")?;
    let e = expect_code(
        q.delete_message(&bogus).await,
        400,
        ErrorCode::ReceiptHandleError,
    );
    assert_eq!(e.message, "The receipt handle you provide is not valid.");
    expect_code(
        q.change_message_visibility(&bogus, 10).await.map(|_| ()),
        400,
        ErrorCode::ReceiptHandleError,
    );
    Ok(())
}

/// ChangeMessageVisibility sets `NextVisibleTime` = now + the new timeout (counted from the
/// call) and keeps the message invisible until then.
pub async fn change_visibility_extends_invisibility(t: &Target) -> CaseResult {
    let q = t.create_queue("extend", &short_visibility(2)).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    let before = t.now();
    let changed = q.change_message_visibility(&m.receipt_handle, 5).await?;
    let window = changed
        .next_visible_time
        .duration_since(before)
        .unwrap_or_default();
    assert!(
        window >= Duration::from_secs(4) && window <= Duration::from_secs(6),
        "next visible in {window:?}"
    );
    t.elapse(Duration::from_secs(2)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    t.elapse(Duration::from_secs(3)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_some());
    Ok(())
}

/// ChangeMessageVisibility can shorten the timeout: the message is visible after the new one.
pub async fn change_visibility_can_shorten(t: &Target) -> CaseResult {
    let q = t.create_queue("shorten", &short_visibility(600)).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    q.change_message_visibility(&m.receipt_handle, 1).await?;
    t.elapse(Duration::from_secs(1)).await;
    let again = receive_now(&q).await?;
    assert_eq!(again.message_id, m.message_id);
    Ok(())
}

/// ChangeMessageVisibility returns a new handle; the old one stops working; the new one deletes.
pub async fn change_visibility_issues_new_handle(t: &Target) -> CaseResult {
    let q = t.create_queue("newhandle", &short_visibility(30)).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    let changed = q.change_message_visibility(&m.receipt_handle, 60).await?;
    assert_ne!(changed.receipt_handle, m.receipt_handle);
    let old = q.delete_message(&m.receipt_handle).await;
    assert!(
        matches!(
            old.as_ref().err().and_then(|e| e.code()),
            Some(ErrorCode::MessageNotExist | ErrorCode::ReceiptHandleError)
        ),
        "old handle after change-visibility: {old:?}"
    );
    q.delete_message(&changed.receipt_handle).await?;
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// ChangeMessageVisibility does not change `DequeueCount`.
pub async fn change_visibility_keeps_dequeue_count(t: &Target) -> CaseResult {
    let q = t.create_queue("dqcount", &short_visibility(30)).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    q.change_message_visibility(&m.receipt_handle, 1).await?;
    t.elapse(Duration::from_secs(1)).await;
    let again = receive_now(&q).await?;
    assert_eq!(again.dequeue_count, 2);
    Ok(())
}

/// ChangeMessageVisibility with an expired handle answers 404 `MessageNotExist`.
pub async fn change_visibility_expired_handle_is_message_not_exist(t: &Target) -> CaseResult {
    let q = t.create_queue("cvexp", &short_visibility(1)).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    t.elapse(Duration::from_secs(1)).await;
    expect_code(
        q.change_message_visibility(&m.receipt_handle, 10)
            .await
            .map(|_| ()),
        404,
        ErrorCode::MessageNotExist,
    );
    Ok(())
}

/// ChangeMessageVisibility without `ReceiptHandle` answers 400 `MissingReceiptHandle`; without
/// `VisibilityTimeout` 400 `MissingVisibilityTimeout`.
pub async fn change_visibility_missing_parameters(t: &Target) -> CaseResult {
    let q = t.create_queue("cvmiss", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    let path = format!("/queues/{}/messages", q.name());
    let resp = t
        .raw(RawRequest::new(
            "PUT",
            format!("{path}?VisibilityTimeout=10"),
        ))
        .await?;
    resp.assert_error(400, "MissingReceiptHandle");
    assert_eq!(
        resp.message().as_deref(),
        Some("ReceiptHandle is required.")
    );
    let resp = t
        .raw(RawRequest::new(
            "PUT",
            format!("{path}?ReceiptHandle={}", m.receipt_handle),
        ))
        .await?;
    resp.assert_error(400, "MissingVisibilityTimeout");
    assert_eq!(
        resp.message().as_deref(),
        Some("VisibilityTimeout is required.")
    );
    Ok(())
}

/// ChangeMessageVisibility with a timeout outside 1–43200 answers 400 `InvalidArgument`.
pub async fn change_visibility_out_of_range_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("cvrange", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    let path = format!("/queues/{}/messages", q.name());
    for v in [43_201, 0] {
        let resp = t
            .raw(RawRequest::new(
                "PUT",
                format!(
                    "{path}?ReceiptHandle={}&VisibilityTimeout={v}",
                    m.receipt_handle
                ),
            ))
            .await?;
        resp.assert_error(400, "InvalidArgument");
    }
    // The handle still works: nothing changed.
    q.delete_message(&m.receipt_handle).await?;
    Ok(())
}

/// Query names are matched case-insensitively: `receiptHandle`/`visibilityTimeout` (Node, PHP,
/// docs) work like `ReceiptHandle`/`VisibilityTimeout` (§2.4).
pub async fn change_visibility_accepts_lower_camel_query_names(t: &Target) -> CaseResult {
    let q = t.create_queue("camel", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    let resp = t
        .raw(RawRequest::new(
            "PUT",
            format!(
                "/queues/{}/messages?receiptHandle={}&visibilityTimeout=20",
                q.name(),
                m.receipt_handle
            ),
        ))
        .await?;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let new_handle = resp.text("ReceiptHandle").expect("new handle");
    assert!(resp.text("NextVisibleTime").is_some());
    q.delete_message(&ReceiptHandle::new(new_handle)?).await?;
    Ok(())
}

/// DeleteMessage without a handle (and without a body) answers 400 `MissingReceiptHandle`.
/// \[unconfirmed\]
pub async fn delete_without_handle_is_missing_receipt_handle(t: &Target) -> CaseResult {
    let q = t.create_queue("delmiss", &QueueOptions::default()).await?;
    let resp = t
        .raw(RawRequest::new(
            "DELETE",
            format!("/queues/{}/messages?ReceiptHandle=", q.name()),
        ))
        .await?;
    resp.assert_error(400, "MissingReceiptHandle");
    Ok(())
}
