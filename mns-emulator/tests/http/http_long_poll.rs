//! Long polling driven by the emulator's `ManualClock`: no sleeps. Each test waits until the
//! poll is parked on the server (`wait_for_waiting_receives`), checks it has not answered, then
//! sends or moves the clock and checks it answers.

use std::collections::HashSet;

use crate::http_common::{Harness, Req, Resp, send_with, start};
use tokio::task::JoinHandle;

/// Starts a receive in its own task; it owns only a client handle and strings, so the harness
/// stays free for the test (e.g. to shut the emulator down).
fn spawn_receive(h: &Harness, target: &str) -> JoinHandle<Resp> {
    let http = h.http.clone();
    let endpoint = h.emu.endpoint().to_owned();
    let date = h.http_date();
    let req = Req::get(target);
    tokio::spawn(async move { send_with(&http, &endpoint, &date, req).await })
}

async fn parked(h: &Harness, n: usize, poll: &JoinHandle<Resp>) {
    h.emu.wait_for_waiting_receives(n).await;
    assert!(!poll.is_finished(), "the poll must still be waiting");
}

#[tokio::test]
async fn waiting_receive_returns_when_a_message_is_sent() {
    let h = start().await;
    h.create_queue("q", "").await;
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    let sent = h.send_message("q", "<MessageBody>wake</MessageBody>").await;
    assert_eq!(sent.status, 201);
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("wake"));
    assert_eq!(h.emu.waiting_receives(), 0);
}

#[tokio::test]
async fn waiting_receive_returns_when_a_delay_ends() {
    let h = start().await;
    h.create_queue("q", "").await;
    let r = h
        .send_message(
            "q",
            "<MessageBody>later</MessageBody><DelaySeconds>5</DelaySeconds>",
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(
        r.text("ReceiptHandle").is_some(),
        "delayed send returns a handle"
    );
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    h.advance(4);
    // Still parked: the clock has not reached the end of the delay.
    h.emu.wait_for_waiting_receives(1).await;
    let peek = h.send(Req::get("/queues/q/messages?peekonly=true")).await;
    assert_eq!(peek.status, 404, "not visible yet");
    assert!(!poll.is_finished());
    h.advance(1);
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("later"));
}

#[tokio::test]
async fn waiting_receive_returns_when_visibility_expires() {
    let h = start().await;
    h.create_queue("q", "<VisibilityTimeout>10</VisibilityTimeout>")
        .await;
    h.send_message("q", "<MessageBody>again</MessageBody>")
        .await;
    let first = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(first.text("DequeueCount").as_deref(), Some("1"));
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    h.advance(10);
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("DequeueCount").as_deref(), Some("2"));
    assert_ne!(r.text("ReceiptHandle"), first.text("ReceiptHandle"));
}

#[tokio::test]
async fn waiting_receive_wakes_when_visibility_is_shortened() {
    let h = start().await;
    h.create_queue("q", "<VisibilityTimeout>600</VisibilityTimeout>")
        .await;
    h.send_message("q", "<MessageBody>m</MessageBody>").await;
    let first = h.send(Req::get("/queues/q/messages")).await;
    let handle = first.text("ReceiptHandle").expect("handle");
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    let r = h
        .send(Req::new(
            "PUT",
            &format!("/queues/q/messages?ReceiptHandle={handle}&VisibilityTimeout=2"),
        ))
        .await;
    assert_eq!(r.status, 200);
    h.emu.wait_for_waiting_receives(1).await;
    h.advance(2);
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn waiting_receive_times_out_with_message_not_exist() {
    let h = start().await;
    h.create_queue("q", "").await;
    let poll = spawn_receive(&h, "/queues/q/messages?numOfMessages=4&waitseconds=5");
    parked(&h, 1, &poll).await;
    h.advance(4);
    h.emu.wait_for_waiting_receives(1).await;
    assert!(!poll.is_finished());
    h.advance(1);
    poll.await
        .expect("poll task")
        .assert_error(404, "MessageNotExist");
}

#[tokio::test]
async fn wait_defaults_to_the_queue_polling_wait_seconds() {
    let h = start().await;
    h.create_queue("q", "<PollingWaitSeconds>3</PollingWaitSeconds>")
        .await;
    let poll = spawn_receive(&h, "/queues/q/messages");
    parked(&h, 1, &poll).await;
    h.advance(3);
    poll.await
        .expect("poll task")
        .assert_error(404, "MessageNotExist");
}

#[tokio::test]
async fn deleting_the_queue_ends_waiting_receives() {
    let h = start().await;
    h.create_queue("q", "").await;
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    assert_eq!(h.send(Req::delete("/queues/q")).await.status, 204);
    poll.await
        .expect("poll task")
        .assert_error(404, "QueueNotExist");
}

#[tokio::test]
async fn many_waiters_get_distinct_messages() {
    const N: usize = 8;
    let h = start().await;
    h.create_queue("q", "").await;
    let polls: Vec<_> = (0..N)
        .map(|_| spawn_receive(&h, "/queues/q/messages?waitseconds=30"))
        .collect();
    h.emu.wait_for_waiting_receives(N).await;
    let entries: String = (0..N)
        .map(|i| format!("<Message><MessageBody>m{i}</MessageBody></Message>"))
        .collect();
    let r = h
        .send(Req::post(
            "/queues/q/messages",
            &format!("<Messages>{entries}</Messages>"),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut bodies = HashSet::new();
    for p in polls {
        let r = p.await.expect("poll task");
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(bodies.insert(r.text("MessageBody").expect("body")));
    }
    assert_eq!(bodies.len(), N);
}

#[tokio::test]
async fn a_waiter_that_disconnects_takes_nothing() {
    let h = start().await;
    h.create_queue("q", "").await;
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    // Dropping the client future closes its connection; the server drops the waiting request.
    poll.abort();
    let _ = poll.await;
    h.emu.wait_for_waiting_receives(0).await;
    h.send_message("q", "<MessageBody>kept</MessageBody>").await;
    let r = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("kept"));
    assert_eq!(r.text("DequeueCount").as_deref(), Some("1"));
}

#[tokio::test]
async fn shutdown_ends_waiting_receives_without_taking_messages() {
    let h = start().await;
    h.create_queue("q", "").await;
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    h.emu.shutdown().await;
    let r = poll.await.expect("poll task");
    r.assert_error(404, "MessageNotExist");
}

#[tokio::test]
async fn one_message_answers_one_of_many_parked_polls() {
    const N: usize = 4;
    let h = start().await;
    h.create_queue("q", "").await;
    let polls: Vec<_> = (0..N)
        .map(|_| spawn_receive(&h, "/queues/q/messages?waitseconds=30"))
        .collect();
    h.emu.wait_for_waiting_receives(N).await;
    let mut bodies = HashSet::new();
    for i in 0..N {
        h.send_message("q", &format!("<MessageBody>m{i}</MessageBody>"))
            .await;
        // One more poll answers; the others stay parked.
        h.emu.wait_for_waiting_receives(N - i - 1).await;
    }
    for p in polls {
        let r = p.await.expect("poll task");
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(bodies.insert(r.text("MessageBody").expect("body")));
    }
    assert_eq!(bodies.len(), N);
}

#[tokio::test]
async fn a_batch_poll_takes_a_whole_batch_and_leaves_the_next_parked() {
    let h = start().await;
    h.create_queue("q", "").await;
    let polls: Vec<_> = (0..2)
        .map(|_| spawn_receive(&h, "/queues/q/messages?numOfMessages=16&waitseconds=30"))
        .collect();
    h.emu.wait_for_waiting_receives(2).await;
    // Answers arrive on a channel, so the test learns which poll answered without racing it.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for p in polls {
        let tx = tx.clone();
        tokio::spawn(async move { tx.send(p.await.expect("poll task")) });
    }
    let entries: String = (0..16)
        .map(|i| format!("<Message><MessageBody>m{i}</MessageBody></Message>"))
        .collect();
    let r = h
        .send(Req::post(
            "/queues/q/messages",
            &format!("<Messages>{entries}</Messages>"),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = rx.recv().await.expect("first answer");
    assert_eq!(r.texts("MessageBody").len(), 16, "{}", r.body);
    // The other poll is still parked: the batch went to one poll whole.
    h.emu.wait_for_waiting_receives(1).await;
    h.send_message("q", "<MessageBody>next</MessageBody>").await;
    let r = rx.recv().await.expect("second answer");
    assert_eq!(r.texts("MessageBody"), vec!["next".to_owned()]);
}

#[tokio::test]
async fn a_parked_poll_re_plans_for_a_message_delayed_after_it_parked() {
    let h = start().await;
    h.create_queue("q", "").await;
    let poll = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &poll).await;
    let r = h
        .send_message(
            "q",
            "<MessageBody>soon</MessageBody><DelaySeconds>2</DelaySeconds>",
        )
        .await;
    assert_eq!(r.status, 201);
    h.emu.wait_for_waiting_receives(1).await;
    assert!(!poll.is_finished());
    h.advance(2);
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("soon"));
}

/// Awaits a poll, failing (instead of hanging) if it never answers.
async fn answer(poll: JoinHandle<Resp>) -> Resp {
    tokio::time::timeout(std::time::Duration::from_secs(30), poll)
        .await
        .expect("the poll never answered")
        .expect("poll task")
}

#[tokio::test]
async fn a_timer_that_ends_answers_every_poll_it_can() {
    const N: usize = 3;
    let h = start().await;
    h.create_queue("q", "<VisibilityTimeout>10</VisibilityTimeout>")
        .await;
    for i in 0..N {
        h.send_message("q", &format!("<MessageBody>m{i}</MessageBody>"))
            .await;
        let r = h.send(Req::get("/queues/q/messages")).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Three messages in flight, all visible again at the same time; three polls parked.
    let polls: Vec<_> = (0..N)
        .map(|_| spawn_receive(&h, "/queues/q/messages?waitseconds=30"))
        .collect();
    h.emu.wait_for_waiting_receives(N).await;
    h.advance(10);
    let mut bodies = HashSet::new();
    for p in polls {
        let r = answer(p).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.text("DequeueCount").as_deref(), Some("2"));
        assert!(bodies.insert(r.text("MessageBody").expect("body")));
    }
    assert_eq!(bodies.len(), N);
}

#[tokio::test]
async fn the_timer_passes_on_when_the_poll_watching_it_goes_away() {
    let h = start().await;
    h.create_queue("q", "<VisibilityTimeout>10</VisibilityTimeout>")
        .await;
    h.send_message("q", "<MessageBody>again</MessageBody>")
        .await;
    assert_eq!(h.send(Req::get("/queues/q/messages")).await.status, 200);
    // The first poll to park watches the visibility timer; the second sleeps to its deadline.
    let first = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 1, &first).await;
    let second = spawn_receive(&h, "/queues/q/messages?waitseconds=30");
    parked(&h, 2, &second).await;
    first.abort();
    let _ = first.await;
    h.emu.wait_for_waiting_receives(1).await;
    h.advance(10);
    let r = answer(second).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("again"));
}
