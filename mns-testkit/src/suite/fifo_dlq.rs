//! FIFO queues and dead-letter queues (reference mns-openapi-fifo-dlq §4, §5). Queue types and
//! DLQ policies are set through the control-plane OpenAPI ([`Target::control_client`]), so these
//! cases run live too, except the subscription DLQ case, which waits for push attempts only the
//! emulator can count. Each names the `EngineConfig` setting it relies on where the reference
//! leaves a point unconfirmed.

use std::time::Duration;

use mns_client::control::{QueueDlqPolicy, QueueType};
use mns_client::topic::{Endpoint, TopicOptions};
use mns_client::{ErrorCode, Queue, QueueOptions, SendOptions};

use super::expect_code;
use crate::control::assert_dead_lettered;
use crate::{CaseResult, Target};

/// The default visibility timeout.
const VIS: Duration = Duration::from_secs(30);

async fn send_in(q: &Queue, body: &str, group: &str) -> CaseResult {
    q.send_message_opts(body, SendOptions::in_group(group))
        .await?;
    Ok(())
}

async fn receive_all(q: &Queue) -> Result<Vec<mns_client::ReceivedMessage>, crate::CaseError> {
    Ok(q.batch_receive_message(16, Some(Duration::ZERO)).await?)
}

fn bodies(ms: &[mns_client::ReceivedMessage]) -> Vec<&str> {
    ms.iter().map(|m| m.body_str().unwrap_or("")).collect()
}

/// A FIFO queue refuses a message without `MessageGroupId`.
pub async fn fifo_missing_group_id_is_refused(t: &Target) -> CaseResult {
    let q = t.create_fifo_queue("fifo-nogroup").await?;
    expect_code(
        q.send_message("no group").await,
        400,
        ErrorCode::Other("FifoMissingMessageGroupId".into()),
    );
    assert!(
        q.receive_message(Some(Duration::ZERO)).await?.is_none(),
        "nothing was stored"
    );
    Ok(())
}

/// Messages of one group come out in send order; groups are independent. Setting:
/// `fifo_messages_per_group_per_receive` (1) and `fifo_honours_priority` (false).
pub async fn fifo_keeps_order_within_a_group(t: &Target) -> CaseResult {
    let q = t.create_fifo_queue("fifo-order").await?;
    for (body, group) in [
        ("a1", "a"),
        ("b1", "b"),
        ("a2", "a"),
        ("a3", "a"),
        ("b2", "b"),
    ] {
        send_in(&q, body, group).await?;
    }
    let mut seen = Vec::new();
    loop {
        let got = receive_all(&q).await?;
        if got.is_empty() {
            break;
        }
        for m in &got {
            seen.push(m.body_str().unwrap_or("").to_owned());
            q.delete_message(&m.receipt_handle).await?;
        }
    }
    let of = |g: char| -> Vec<&str> {
        seen.iter()
            .filter(|b| b.starts_with(g))
            .map(String::as_str)
            .collect()
    };
    assert_eq!(of('a'), ["a1", "a2", "a3"]);
    assert_eq!(of('b'), ["b1", "b2"]);
    Ok(())
}

/// While a group's message is in flight the group's later messages are held back (other groups
/// are served); delete releases the next one, a visibility timeout brings the same one back.
pub async fn fifo_group_lock_holds_until_delete_or_timeout(t: &Target) -> CaseResult {
    let q = t.create_fifo_queue("fifo-lock").await?;
    for (body, group) in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("b2", "b")] {
        send_in(&q, body, group).await?;
    }
    let first = receive_all(&q).await?;
    assert_eq!(bodies(&first), ["a1", "b1"]);
    assert_eq!(first[0].message_group_id.as_deref(), Some("a"));
    assert!(receive_all(&q).await?.is_empty(), "both groups are locked");
    q.delete_message(&first[0].receipt_handle).await?;
    assert_eq!(bodies(&receive_all(&q).await?), ["a2"]);
    t.elapse(VIS).await;
    let again = receive_all(&q).await?;
    let b = again
        .iter()
        .find(|m| m.message_group_id.as_deref() == Some("b"))
        .expect("group b is served again");
    assert_eq!((b.body_str(), b.dequeue_count), (Some("b1"), 2));
    Ok(())
}

/// A message received `MaxReceiveCount` times moves to the DLQ with its body, properties and
/// group id plus `DLQMessageType`, `DLQSourceArn`, `DLQOriginMessageId`. Settings:
/// `dlq_move_timing` (AtNextReceive), `dlq_new_message_id` (true).
pub async fn queue_dlq_moves_after_max_receives(t: &Target) -> CaseResult {
    let dlq = t.create_queue("dlq", &QueueOptions::default()).await?;
    let src = t
        .create_queue_of_type("dlq-src", QueueType::Normal, Some((dlq.name().as_str(), 2)))
        .await?;
    let sent = src.send_message("poison").await?;
    for _ in 0..2 {
        let m = super::receive_now(&src).await?;
        assert_eq!(m.body_str(), Some("poison"));
        t.elapse(VIS).await;
    }
    assert!(
        src.receive_message(Some(Duration::ZERO)).await?.is_none(),
        "the third receive moves it instead of delivering it"
    );
    let m = super::receive_now(&dlq).await?;
    assert_eq!(m.body_str(), Some("poison"));
    assert_eq!(m.dequeue_count, 1);
    let origin = assert_dead_lettered(&m, &format!("queues/{}", src.name().as_str()));
    assert_eq!(origin, sent.message_id);
    Ok(())
}

/// A queue cannot be its own dead-letter queue (the policy is refused with 400 and nothing
/// changes). Setting: `dlq_policy_error_code` (InvalidArgument, `InvalidParameter` on the
/// control plane).
pub async fn queue_cannot_be_its_own_dlq(t: &Target) -> CaseResult {
    let q = t.create_queue("self-dlq", &QueueOptions::default()).await?;
    let name = q.name().as_str().to_owned();
    let err = t
        .set_queue_dlq_policy(&name, QueueDlqPolicy::enabled(name.clone(), 3))
        .await?
        .expect_err("a self-DLQ is refused");
    assert_eq!(err.as_service().map(|e| e.status), Some(400), "{err}");
    let attrs = t.control_client()?.get_queue_attributes(&name).await?;
    assert_eq!(attrs.dlq_policy, None, "nothing changed");
    Ok(())
}

/// After the NotifyStrategy's last failed retry the notification lands in the subscription's
/// DLQ instead of being dropped. Setting: `subscription_dlq_stores_raw_message` (false: the
/// notification as the endpoint would have received it).
pub async fn subscription_dlq_catches_the_last_failed_retry(t: &Target) -> CaseResult {
    let dlq = t.create_queue("sub-dlq", &QueueOptions::default()).await?;
    let topic = t.create_topic("sub-dlq", &TopicOptions::default()).await?;
    // A queue endpoint whose queue does not exist: every attempt fails.
    let missing = t.unique_name("missing");
    let endpoint = Endpoint::queue(t.region(), t.account_id(), &missing)?;
    topic.subscribe("s", &endpoint).await?;
    t.set_subscription_dlq(topic.name().as_str(), "s", dlq.name().as_str())
        .await?;
    topic.publish_message("undeliverable").await?;
    // BACKOFF_RETRY: the first attempt plus 3 retries, 10–20 s apart.
    for n in 2..=4 {
        assert!(
            dlq.receive_message(Some(Duration::ZERO)).await?.is_none(),
            "not before the last retry"
        );
        t.elapse(Duration::from_secs(20)).await;
        t.push_attempts(n).await;
    }
    let m = super::receive_now(&dlq).await?;
    assert!(m.body_str().unwrap_or("").contains("undeliverable"));
    assert_dead_lettered(
        &m,
        &format!("topics/{}/subscriptions/s", topic.name().as_str()),
    );
    Ok(())
}
