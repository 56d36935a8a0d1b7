//! Long polls and the per-queue locks (issue 21): a send on a plain queue takes only that
//! queue's lock (`Engine::shared_queue`), and a poll parked on the queue must still wake on it,
//! including when the poll parked on one path and the send comes through the other. On the
//! emulator's `ManualClock`, which no test here moves: a parked poll returns only when woken.

use mns_emulator::engine::{QueueDlqPolicy, SendMessageInput};
use tokio::task::JoinHandle;

use crate::http_common::{Harness, Req, Resp, send_with, start};

fn spawn_receive(h: &Harness, target: &str) -> JoinHandle<Resp> {
    let http = h.http.clone();
    let endpoint = h.emu.endpoint().to_owned();
    let date = h.http_date();
    let req = Req::get(target);
    tokio::spawn(async move { send_with(&http, &endpoint, &date, req).await })
}

fn shared(h: &Harness, queue: &str) -> bool {
    h.emu.with_engine(|e, _| e.shared_queue(queue).is_some())
}

#[tokio::test]
async fn a_poll_parked_on_a_shared_queue_wakes_on_a_send_to_it_only() {
    let h = start().await;
    h.create_queue("a", "").await;
    h.create_queue("b", "").await;
    assert!(
        shared(&h, "a") && shared(&h, "b"),
        "plain queues are shared"
    );
    let poll = spawn_receive(&h, "/queues/a/messages?waitseconds=30");
    h.emu.wait_for_waiting_receives(1).await;
    // A send to another queue leaves the poll parked.
    assert_eq!(
        h.send_message("b", "<MessageBody>other</MessageBody>")
            .await
            .status,
        201
    );
    h.emu.wait_for_waiting_receives(1).await;
    assert!(!poll.is_finished());
    assert_eq!(
        h.send_message("a", "<MessageBody>wake</MessageBody>")
            .await
            .status,
        201
    );
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("wake"));
    assert_eq!(h.emu.waiting_receives(), 0);
}

#[tokio::test]
async fn a_batch_send_wakes_one_parked_poll_per_message_through_the_hand_over() {
    let h = start().await;
    h.create_queue("a", "").await;
    let polls: Vec<_> = (0..3)
        .map(|_| spawn_receive(&h, "/queues/a/messages?waitseconds=30"))
        .collect();
    h.emu.wait_for_waiting_receives(3).await;
    let batch = "<Message><MessageBody>1</MessageBody></Message>\
                 <Message><MessageBody>2</MessageBody></Message>\
                 <Message><MessageBody>3</MessageBody></Message>";
    let r = h
        .send(Req::post(
            "/queues/a/messages",
            &format!("<Messages>{batch}</Messages>"),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut bodies = Vec::new();
    for p in polls {
        let r = p.await.expect("poll task");
        assert_eq!(r.status, 200, "{}", r.body);
        bodies.extend(r.text("MessageBody"));
    }
    bodies.sort();
    assert_eq!(bodies, ["1", "2", "3"]);
}

#[tokio::test]
async fn a_poll_parked_on_the_shared_path_wakes_on_an_exclusive_send() {
    let h = start().await;
    h.create_queue("dlq", "").await;
    h.create_queue("src", "").await;
    let poll = spawn_receive(&h, "/queues/dlq/messages?waitseconds=30");
    h.emu.wait_for_waiting_receives(1).await;
    // The queue becomes a dead-letter target: its operations now take the exclusive lock.
    h.emu.with_engine(|e, now| {
        e.set_queue_dlq_policy("src", Some(QueueDlqPolicy::new("dlq", 1)), now)
            .expect("policy");
    });
    assert!(!shared(&h, "dlq"));
    h.emu.wait_for_waiting_receives(1).await;
    assert_eq!(
        h.send_message("dlq", "<MessageBody>exclusive</MessageBody>")
            .await
            .status,
        201
    );
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("exclusive"));
}

#[tokio::test]
async fn a_poll_parked_on_the_exclusive_path_wakes_on_a_shared_send() {
    let h = start().await;
    h.create_queue("dlq", "").await;
    h.create_queue("src", "").await;
    h.emu.with_engine(|e, now| {
        e.set_queue_dlq_policy("src", Some(QueueDlqPolicy::new("dlq", 1)), now)
            .expect("policy");
    });
    let poll = spawn_receive(&h, "/queues/dlq/messages?waitseconds=30");
    h.emu.wait_for_waiting_receives(1).await;
    // The policy goes: the queue is shared again, and the send takes only its lock.
    h.emu.with_engine(|e, now| {
        e.set_queue_dlq_policy("src", None, now).expect("policy");
    });
    assert!(shared(&h, "dlq"));
    h.emu.wait_for_waiting_receives(1).await;
    assert_eq!(
        h.send_message("dlq", "<MessageBody>shared</MessageBody>")
            .await
            .status,
        201
    );
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("shared"));
}

#[tokio::test]
async fn a_parked_poll_wakes_when_a_library_send_goes_through_the_engine() {
    let h = start().await;
    h.create_queue("a", "").await;
    let poll = spawn_receive(&h, "/queues/a/messages?waitseconds=30");
    h.emu.wait_for_waiting_receives(1).await;
    h.emu
        .with_engine(|e, now| e.send_messages("a", vec![SendMessageInput::new("lib")], now))
        .expect("send");
    let r = poll.await.expect("poll task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("lib"));
}
