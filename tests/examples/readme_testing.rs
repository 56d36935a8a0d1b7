//! The example of the README section "Testing your code with the emulator", verbatim (between the
//! `README:begin` and `README:end` markers), plus a check that the README still shows it.

// README:begin
use std::time::Duration;

use mns_client::{Queue, QueueOptions};
use mns_testkit::{MockMns, MockResponse, TestEnv};

/// The code under test: handles one message and deletes it only if handling succeeded.
async fn handle_one(queue: &Queue, fail: bool) -> Result<bool, mns_client::Error> {
    let Some(msg) = queue.receive_message(Some(Duration::from_secs(1))).await? else {
        return Ok(false);
    };
    if !fail {
        queue.delete_message(&msg.receipt_handle).await?;
    }
    Ok(true)
}

#[tokio::test]
async fn a_failed_message_comes_back_after_its_visibility_timeout()
-> Result<(), Box<dyn std::error::Error>> {
    // An in-process emulator on a virtual clock, and a client for it.
    let env = TestEnv::start().await?;
    let attrs = QueueOptions {
        visibility_timeout: Some(60),
        ..Default::default()
    };
    let queue = env.queue_with("orders", &attrs).await?; // unique name, deleted on drop
    queue.send_message("order #1").await?;

    assert!(handle_one(&queue, true).await?); // handling fails: the message stays in flight
    env.assert_queue(queue.name())
        .has_in_flight(1)
        .has_visible(0);

    env.advance(Duration::from_secs(60)); // a minute passes instantly
    env.assert_queue(queue.name())
        .has_visible(1)
        .has_dequeue_count("order #1", 1);

    assert!(handle_one(&queue, false).await?); // the retry succeeds and deletes it
    env.assert_queue(queue.name()).is_empty();
    Ok(())
}

#[tokio::test]
async fn a_missing_queue_is_an_error() {
    // A mock endpoint answering like MNS, for error paths the emulator would not produce.
    let mock = MockMns::start().await;
    mock.respond(
        "GET",
        "/queues/orders/messages",
        MockResponse::queue_not_exist(),
    )
    .await;
    let queue = mock.client().queue("orders").unwrap();
    let err = handle_one(&queue, false).await.unwrap_err();
    assert!(err.is_not_found());
}
// README:end

#[test]
fn readme_shows_this_example() {
    let this = include_str!("readme_testing.rs");
    let begin = this.find("// README:begin\n").expect("begin marker") + "// README:begin\n".len();
    let end = this.find("// README:end").expect("end marker");
    let example = &this[begin..end];
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(example),
        "README.md's \"Testing your code with the emulator\" must show tests/readme_testing.rs verbatim"
    );
}
