//! The user-facing helpers: `TestEnv`, guards, `QueueAssert`, `MockMns`, `Target`.

use std::time::Duration;

use mns_client::{ErrorCode, QueueOptions, SendOptions};
use mns_testkit::{MessageState, MockMns, MockResponse, QueueGuard, RawRequest, Target, TestEnv};

#[tokio::test]
async fn test_env_client_signs_with_virtual_time_far_ahead() {
    let env = TestEnv::start().await.unwrap();
    // Far beyond the 15-minute skew window: the client reads the virtual clock, so it still works.
    env.advance(Duration::from_secs(7 * 24 * 3600));
    let q = env.queue("skew").await.unwrap();
    q.send_message("still signed correctly").await.unwrap();
    env.assert_queue(q.name()).has_visible(1);
}

#[tokio::test]
async fn assert_queue_sees_every_state() {
    let env = TestEnv::start().await.unwrap();
    let q = env.queue("states").await.unwrap();
    q.send_message("visible").await.unwrap();
    q.send_message("inflight").await.unwrap();
    q.send_message_opts(
        "delayed",
        SendOptions {
            delay_seconds: Some(10),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Receive one of the two visible messages: it goes in flight, the other stays visible.
    let m = q
        .receive_message(Some(Duration::ZERO))
        .await
        .unwrap()
        .unwrap();
    let a = env.assert_queue(q.name());
    a.has_len(3).has_in_flight(1).has_visible(1).has_delayed(1);
    assert_eq!(
        a.message(m.body_str().unwrap()).state,
        MessageState::Inactive
    );
    assert_eq!(a.bodies().len(), 3);
    env.advance(Duration::from_secs(30));
    env.assert_queue(q.name())
        .has_visible(3)
        .has_dequeue_count(m.body_str().unwrap(), 1);
}

#[tokio::test]
#[should_panic(expected = "2 visible message(s)")]
async fn failed_assertion_names_what_was_expected() {
    let env = TestEnv::start().await.unwrap();
    let q = env.queue("fail").await.unwrap();
    q.send_message("only one").await.unwrap();
    env.assert_queue(q.name()).has_visible(2);
}

#[tokio::test]
async fn queue_guard_deletes_on_drop_and_on_delete() {
    let env = TestEnv::start().await.unwrap();
    let q = QueueGuard::create(env.client(), "guard", &QueueOptions::default())
        .await
        .unwrap();
    let name = q.name().as_str().to_owned();
    drop(q);
    // The delete runs in the background; wait for it without sleeping blindly.
    for _ in 0..200 {
        if env.client().get_queue_attributes(&name).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let err = env.client().get_queue_attributes(&name).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::QueueNotExist));

    let q = env.queue("explicit").await.unwrap();
    let name = q.name().as_str().to_owned();
    q.delete().await.unwrap();
    assert!(env.client().get_queue_attributes(&name).await.is_err());

    let kept = env.queue("kept").await.unwrap().keep();
    tokio::task::yield_now().await;
    assert!(kept.get_attributes().await.is_ok());
}

#[tokio::test]
async fn topic_guard_creates_a_unique_topic() {
    let env = TestEnv::start().await.unwrap();
    let a = env.topic("events").await.unwrap();
    let b = env.topic("events").await.unwrap();
    assert_ne!(a.name().as_str(), b.name().as_str());
    assert!(a.name().as_str().starts_with("events-"));
    a.publish_message("x").await.unwrap();
    b.delete().await.unwrap();
}

#[tokio::test]
async fn long_poll_parks_and_wakes_on_advance() {
    let env = TestEnv::start().await.unwrap();
    let q = env
        .queue_with(
            "poll",
            &QueueOptions {
                visibility_timeout: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let poll = {
        let q = q.queue().clone();
        tokio::spawn(async move { q.receive_message(Some(Duration::from_secs(20))).await })
    };
    env.wait_for_parked_receives(1).await;
    env.advance_and_settle(Duration::from_secs(20)).await;
    assert!(poll.await.unwrap().unwrap().is_none());
}

#[tokio::test]
async fn mock_answers_mns_errors_and_successes() {
    let mock = MockMns::start().await;
    mock.respond_times(
        "POST",
        "/queues/q/messages",
        MockResponse::internal_error(),
        2,
    )
    .await;
    mock.respond(
        "POST",
        "/queues/q/messages",
        MockResponse::sent("M1", "body"),
    )
    .await;
    // Without retries the 500 surfaces as a retryable service error with the request id.
    let err = mock
        .client()
        .queue("q")
        .unwrap()
        .send_message("body")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InternalError));
    assert!(err.is_retryable());
    let service = err.as_service().unwrap();
    assert_eq!(service.status, 500);
    assert_eq!(service.request_id.len(), 24);
    // With retries the second 500 is absorbed and the success comes through.
    let receipt = mock
        .client_with_retries(3)
        .queue("q")
        .unwrap()
        .send_message("body")
        .await
        .unwrap();
    assert_eq!(receipt.message_id, "M1");
    assert_eq!(mock.requests().await.len(), 3);
}

#[tokio::test]
async fn mock_receive_and_throttling() {
    let mock = MockMns::start().await;
    mock.respond_times("GET", "/queues/q/messages", MockResponse::throttled(), 1)
        .await;
    mock.respond(
        "GET",
        "/queues/q/messages",
        MockResponse::received_batch(&[("A", "h-1", "one"), ("B", "h-2", "two & <three>")]),
    )
    .await;
    let q = mock.client().queue("q").unwrap();
    let err = q.batch_receive_message(16, None).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TooManyRequests));
    let got = q.batch_receive_message(16, None).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].body_str(), Some("two & <three>"));

    mock.respond_matching(
        "DELETE",
        "^/queues/q/messages$",
        MockResponse::receipt_handle_error(),
    )
    .await;
    let err = q.delete_message(&got[0].receipt_handle).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::ReceiptHandleError));
}

#[tokio::test]
async fn mock_single_receive_and_empty() {
    let mock = MockMns::start().await;
    mock.respond_times(
        "GET",
        "/queues/q/messages",
        MockResponse::received("A", "h-1", "hello"),
        1,
    )
    .await;
    mock.respond(
        "GET",
        "/queues/q/messages",
        MockResponse::message_not_exist(),
    )
    .await;
    let q = mock.client().queue("q").unwrap();
    let m = q.receive_message(None).await.unwrap().unwrap();
    assert_eq!(m.body_str(), Some("hello"));
    assert!(q.receive_message(None).await.unwrap().is_none());
}

#[tokio::test]
async fn mock_delay_triggers_client_timeout() {
    let mock = MockMns::start().await;
    mock.respond(
        "GET",
        "/queues/slow",
        MockResponse::access_denied().delayed_by(Duration::from_secs(5)),
    )
    .await;
    let client = mock
        .client_builder()
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.get_queue_attributes("slow").await.unwrap_err();
    assert!(matches!(err, mns_client::Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn target_names_are_unique_and_cleanup_removes_what_was_made() {
    let t = Target::emulator().await;
    let a = t.queue_name("x");
    let b = t.queue_name("x");
    assert_ne!(a, b);
    assert!(a.starts_with(t.prefix()));
    t.client
        .create_queue(&a, &Default::default())
        .await
        .unwrap();
    let topic = t.create_topic("y", &Default::default()).await.unwrap();
    t.cleanup().await;
    assert!(t.client.get_queue_attributes(&a).await.is_err());
    assert!(topic.get_attributes().await.is_err());
    assert_eq!(t.backend(), "emulator");
    assert!(t.caps.manual_time);
}

#[tokio::test]
async fn raw_requests_are_signed_and_errors_are_checked() {
    let t = Target::emulator().await;
    let ok = t.raw(RawRequest::new("GET", "/queues")).await.unwrap();
    assert_eq!(ok.status, 200);
    let missing = t
        .raw(RawRequest::new("GET", "/queues/nope-nope"))
        .await
        .unwrap();
    missing.assert_error(404, "QueueNotExist");
    assert_eq!(
        missing.message().as_deref(),
        Some("The queue name you provided is not exist.")
    );
}

#[tokio::test]
async fn deliveries_show_what_a_topic_delivered() {
    use mns_client::topic::Endpoint;
    let env = TestEnv::start().await.unwrap();
    let topic = env.topic("news").await.unwrap();
    let q = env.queue("reader").await.unwrap();
    let endpoint = Endpoint::queue(
        env.emulator().region(),
        env.emulator().account_id(),
        q.name().as_str(),
    )
    .unwrap();
    topic.subscribe("reader", &endpoint).await.unwrap();
    topic.publish_message("extra! extra!").await.unwrap();
    env.wait_for_delivery_attempts(1).await;
    let delivered = env.deliveries().delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].subscription, "reader");
    assert!(delivered[0].body.contains("extra! extra!"));
    env.assert_queue(q.name()).has_visible(1);
}
