//! Delayed messages, priorities and retention (reference §4.6, §5, §8).

use std::time::Duration;

use mns_client::{ErrorCode, Priority, QueueOptions, SendOptions};

use super::{expect_code, receive_now};
use crate::{CaseResult, RawRequest, Target};

fn delayed(seconds: u32) -> SendOptions {
    SendOptions {
        delay_seconds: Some(seconds),
        ..Default::default()
    }
}

fn with_priority(p: u8) -> Result<SendOptions, mns_client::Error> {
    Ok(SendOptions {
        priority: Some(Priority::new(p)?),
        ..Default::default()
    })
}

/// A message sent with `DelaySeconds` is neither receivable nor peekable until the delay ends;
/// the send response carries a receipt handle.
pub async fn delayed_message_is_hidden_until_due(t: &Target) -> CaseResult {
    let q = t.create_queue("delay", &QueueOptions::default()).await?;
    let sent = q.send_message_opts("later", delayed(3)).await?;
    assert!(
        sent.receipt_handle.is_some(),
        "delayed send returns a ReceiptHandle"
    );
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    assert!(q.peek_message().await?.is_none());
    t.elapse(Duration::from_secs(3)).await;
    let m = receive_now(&q).await?;
    assert_eq!(m.body, b"later");
    Ok(())
}

/// The queue's `DelaySeconds` applies to messages sent without their own delay.
pub async fn queue_delay_applies_by_default(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "qdelay",
            &QueueOptions {
                delay_seconds: Some(2),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("x").await?;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    t.elapse(Duration::from_secs(2)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_some());
    Ok(())
}

/// A message's own `DelaySeconds` (even 0) overrides the queue's.
pub async fn message_delay_overrides_queue_delay(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "override",
            &QueueOptions {
                delay_seconds: Some(600),
                ..Default::default()
            },
        )
        .await?;
    q.send_message_opts("now", delayed(0)).await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body, b"now");
    Ok(())
}

/// Changing the queue's `DelaySeconds` affects only later sends. \[unconfirmed\]
pub async fn queue_delay_change_affects_only_later_sends(t: &Target) -> CaseResult {
    let q = t.create_queue("dchange", &QueueOptions::default()).await?;
    q.send_message("before").await?;
    q.set_attributes(&QueueOptions {
        delay_seconds: Some(600),
        ..Default::default()
    })
    .await?;
    q.send_message("after").await?;
    let m = receive_now(&q).await?;
    assert_eq!(m.body, b"before");
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    Ok(())
}

/// The receipt handle returned for a delayed send deletes the message while it is still delayed.
/// \[unconfirmed\]
pub async fn delayed_send_handle_deletes_delayed_message(t: &Target) -> CaseResult {
    let q = t.create_queue("dhandle", &QueueOptions::default()).await?;
    let sent = q.send_message_opts("x", delayed(3)).await?;
    let handle = sent.receipt_handle.expect("handle for a delayed send");
    q.delete_message(&handle).await?;
    t.elapse(Duration::from_secs(3)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    Ok(())
}

/// `DelaySeconds` outside 0–604800 answers 400 `InvalidArgument`.
pub async fn delay_out_of_range_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("drange", &QueueOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name())).body(
                "<Message><MessageBody>x</MessageBody><DelaySeconds>604801</DelaySeconds></Message>",
            ),
        )
        .await?;
    resp.assert_error(400, "InvalidArgument");
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// Visible messages are received highest priority (1) first.
pub async fn higher_priority_is_received_first(t: &Target) -> CaseResult {
    let q = t.create_queue("prio", &QueueOptions::default()).await?;
    q.send_message_opts("low", with_priority(16)?).await?;
    q.send_message_opts("mid", with_priority(8)?).await?;
    q.send_message_opts("high", with_priority(1)?).await?;
    let mut order = Vec::new();
    for _ in 0..3 {
        let m = receive_now(&q).await?;
        order.push((
            m.body_str().unwrap_or_default().to_owned(),
            m.priority.get(),
        ));
    }
    assert_eq!(
        order,
        vec![
            ("high".to_owned(), 1),
            ("mid".to_owned(), 8),
            ("low".to_owned(), 16)
        ]
    );
    Ok(())
}

/// Messages of equal priority come out in send order (best effort on the service; deterministic
/// on the emulator).
pub async fn equal_priority_is_received_in_send_order(t: &Target) -> CaseResult {
    let q = t.create_queue("fifo", &QueueOptions::default()).await?;
    for i in 0..5 {
        q.send_message(format!("m{i}")).await?;
        if t.caps.manual_time {
            // Distinct enqueue times on the virtual clock.
            t.elapse(Duration::from_millis(10)).await;
        }
    }
    let got = q.batch_receive_message(16, Some(Duration::ZERO)).await?;
    let bodies: Vec<String> = got
        .iter()
        .map(|m| m.body_str().unwrap_or_default().to_owned())
        .collect();
    if t.caps.manual_time {
        assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
    } else {
        assert!(!bodies.is_empty());
    }
    Ok(())
}

/// A message sent without `Priority` has priority 8.
pub async fn default_priority_is_8(t: &Target) -> CaseResult {
    let q = t.create_queue("p8", &QueueOptions::default()).await?;
    q.send_message("x").await?;
    assert_eq!(
        q.peek_message().await?.expect("peek").priority,
        Priority::DEFAULT
    );
    Ok(())
}

/// `Priority` 0 (what the Go SDK sends when unset) or 17 answers 400 `InvalidArgument` "The value
/// of Priority should between 1 and 16".
pub async fn priority_out_of_range_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("prange", &QueueOptions::default()).await?;
    for p in [0, 17] {
        let resp = t
            .raw(
                RawRequest::new("POST", format!("/queues/{}/messages", q.name())).body(format!(
                    "<Message><MessageBody>x</MessageBody><Priority>{p}</Priority></Message>"
                )),
            )
            .await?;
        resp.assert_error(400, "InvalidArgument");
        assert_eq!(
            resp.message().as_deref(),
            Some("The value of Priority should between 1 and 16")
        );
    }
    Ok(())
}

/// A message older than `MessageRetentionPeriod` disappears from receive and peek.
pub async fn message_expires_after_retention_period(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "retain",
            &QueueOptions {
                message_retention_period: Some(60),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("old").await?;
    t.elapse(Duration::from_secs(30)).await;
    q.send_message("young").await?;
    t.elapse(Duration::from_secs(30)).await;
    let peeked = q.batch_peek_message(16).await?;
    let bodies: Vec<&[u8]> = peeked.iter().map(|m| m.body.as_slice()).collect();
    assert_eq!(bodies, [b"young".as_slice()]);
    Ok(())
}

/// Retention also removes in-flight messages: their handle then answers 404 `MessageNotExist`,
/// and they never become visible again.
pub async fn in_flight_message_expires_too(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "retainif",
            &QueueOptions {
                message_retention_period: Some(60),
                visibility_timeout: Some(43_200),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("x").await?;
    let m = receive_now(&q).await?;
    t.elapse(Duration::from_secs(60)).await;
    expect_code(
        q.delete_message(&m.receipt_handle).await,
        404,
        ErrorCode::MessageNotExist,
    );
    expect_code(
        q.change_message_visibility(&m.receipt_handle, 1)
            .await
            .map(|_| ()),
        404,
        ErrorCode::MessageNotExist,
    );
    Ok(())
}

/// Retention counts from the enqueue time, even for a message that is still delayed.
pub async fn delayed_message_expires_from_enqueue_time(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "retaind",
            &QueueOptions {
                message_retention_period: Some(60),
                ..Default::default()
            },
        )
        .await?;
    q.send_message_opts("x", delayed(120)).await?;
    t.elapse(Duration::from_secs(120)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    assert!(q.peek_message().await?.is_none());
    Ok(())
}
