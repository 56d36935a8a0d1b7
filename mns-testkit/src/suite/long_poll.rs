//! Long polling (reference §4.8, §4.9, §8 long poll).

use std::time::Duration;

use mns_client::{QueueOptions, SendOptions};

use crate::{CaseResult, RawRequest, Target};

/// A long poll on an empty queue waits the full `waitseconds` and then answers empty (404
/// `MessageNotExist`).
pub async fn long_poll_on_empty_queue_times_out_empty(t: &Target) -> CaseResult {
    let q = t.create_queue("lpempty", &QueueOptions::default()).await?;
    let poll = {
        let q = q.clone();
        tokio::spawn(async move { q.receive_message(Some(Duration::from_secs(2))).await })
    };
    t.receives_parked(1).await;
    assert!(!poll.is_finished(), "the poll returned before its wait");
    t.elapse(Duration::from_secs(2)).await;
    let got = poll.await??;
    assert!(got.is_none());
    Ok(())
}

/// A parked long poll returns as soon as a message is sent.
pub async fn long_poll_wakes_on_send(t: &Target) -> CaseResult {
    let q = t.create_queue("lpwake", &QueueOptions::default()).await?;
    let poll = {
        let q = q.clone();
        tokio::spawn(async move { q.receive_message(Some(Duration::from_secs(20))).await })
    };
    t.receives_parked(1).await;
    q.send_message("wake up").await?;
    let got = tokio::time::timeout(Duration::from_secs(10), poll).await??;
    assert_eq!(got?.expect("the sent message").body, b"wake up");
    Ok(())
}

/// A parked long poll returns when a delayed message becomes due.
pub async fn long_poll_wakes_when_delay_ends(t: &Target) -> CaseResult {
    let q = t.create_queue("lpdelay", &QueueOptions::default()).await?;
    q.send_message_opts(
        "due",
        SendOptions {
            delay_seconds: Some(2),
            ..Default::default()
        },
    )
    .await?;
    let poll = {
        let q = q.clone();
        tokio::spawn(async move { q.receive_message(Some(Duration::from_secs(10))).await })
    };
    t.receives_parked(1).await;
    t.elapse(Duration::from_secs(2)).await;
    let got = tokio::time::timeout(Duration::from_secs(10), poll).await??;
    assert_eq!(got?.expect("the delayed message").body, b"due");
    Ok(())
}

/// A parked long poll returns when an in-flight message's visibility timeout ends.
pub async fn long_poll_wakes_when_visibility_ends(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "lpvis",
            &QueueOptions {
                visibility_timeout: Some(2),
                ..Default::default()
            },
        )
        .await?;
    q.send_message("again").await?;
    let first = q
        .receive_message(Some(Duration::ZERO))
        .await?
        .expect("message");
    let poll = {
        let q = q.clone();
        tokio::spawn(async move { q.receive_message(Some(Duration::from_secs(10))).await })
    };
    t.receives_parked(1).await;
    t.elapse(Duration::from_secs(2)).await;
    let got = tokio::time::timeout(Duration::from_secs(10), poll).await??;
    let m = got?.expect("the message again");
    assert_eq!(m.message_id, first.message_id);
    assert_eq!(m.dequeue_count, 2);
    Ok(())
}

/// Without `waitseconds` the queue's `PollingWaitSeconds` applies.
pub async fn queue_polling_wait_applies_without_waitseconds(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "lpqueue",
            &QueueOptions {
                polling_wait_seconds: Some(2),
                ..Default::default()
            },
        )
        .await?;
    let poll = {
        let q = q.clone();
        tokio::spawn(async move { q.receive_message(None).await })
    };
    t.receives_parked(1).await;
    assert!(!poll.is_finished());
    q.send_message("via queue wait").await?;
    let got = tokio::time::timeout(Duration::from_secs(10), poll).await??;
    assert!(got?.is_some());
    Ok(())
}

/// `waitseconds=0` answers at once, even when the queue has a `PollingWaitSeconds`.
pub async fn wait_zero_returns_immediately(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "lpzero",
            &QueueOptions {
                polling_wait_seconds: Some(30),
                ..Default::default()
            },
        )
        .await?;
    let got = tokio::time::timeout(
        Duration::from_secs(5),
        q.receive_message(Some(Duration::ZERO)),
    )
    .await??;
    assert!(got.is_none());
    Ok(())
}

/// A batch long poll returns as soon as one message is available (it does not wait to fill).
pub async fn batch_long_poll_returns_on_first_message(t: &Target) -> CaseResult {
    let q = t.create_queue("lpbatch", &QueueOptions::default()).await?;
    let poll = {
        let q = q.clone();
        tokio::spawn(async move {
            q.batch_receive_message(16, Some(Duration::from_secs(20)))
                .await
        })
    };
    t.receives_parked(1).await;
    q.send_message("one").await?;
    let got = tokio::time::timeout(Duration::from_secs(10), poll).await???;
    assert_eq!(got.len(), 1);
    Ok(())
}

/// Several parked polls each get a different message; nothing is delivered twice.
pub async fn concurrent_long_polls_share_messages(t: &Target) -> CaseResult {
    let q = t.create_queue("lpmany", &QueueOptions::default()).await?;
    let mut polls = Vec::new();
    for _ in 0..3 {
        let q = q.clone();
        polls.push(tokio::spawn(async move {
            q.receive_message(Some(Duration::from_secs(20))).await
        }));
    }
    t.receives_parked(3).await;
    for i in 0..3 {
        q.send_message(format!("m{i}")).await?;
    }
    let mut ids = std::collections::HashSet::new();
    for p in polls {
        let m = tokio::time::timeout(Duration::from_secs(10), p)
            .await???
            .expect("each poll gets a message");
        ids.insert(m.message_id);
    }
    assert_eq!(ids.len(), 3);
    Ok(())
}

/// `waitseconds` outside 0–30 answers 400 `InvalidArgument`. \[unconfirmed\]
pub async fn wait_seconds_out_of_range_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("lprange", &QueueOptions::default()).await?;
    let resp = t
        .raw(RawRequest::new(
            "GET",
            format!("/queues/{}/messages?waitseconds=31", q.name()),
        ))
        .await?;
    resp.assert_error(400, "InvalidArgument");
    Ok(())
}
