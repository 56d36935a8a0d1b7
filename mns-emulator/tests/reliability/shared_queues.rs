//! Concurrency over HTTP on several queues at once (issue 21: the hot queue operations run under
//! per-queue locks, `Engine::shared_queue`): producers and consumers on a multi-threaded runtime
//! send, receive and delete on four queues, two tasks of each kind per queue, so requests on
//! different queues run at the same time and requests on one queue contend on its lock.
//!
//! Two queues are drained only by long polls: the emulator's `ManualClock` never moves, so a
//! parked poll returns only when a send wakes it, and a lost wake-up leaves messages behind (the
//! safety deadline fails the test). The other two are drained by polls that do not wait. One
//! more queue is the target of a dead-letter policy (so it always takes the exclusive path) and
//! gets the same treatment, so both paths run side by side.
//!
//! At the end every message sent was received exactly once and deleted, and every queue is
//! empty.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mns_client::{BatchSendEntry, Client, Credentials, Endpoint, ReceiptHandle};
use mns_emulator::Emulator;
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::engine::{QueueAttributesInput, QueueDlqPolicy, QueueKind};
use tokio::sync::Mutex;

/// `(name, consumers long-poll)`; `dlq` is the target of `feeder`'s dead-letter policy.
const QUEUES: [(&str, bool); 5] = [
    ("lp-a", true),
    ("lp-b", true),
    ("sp-a", false),
    ("sp-b", false),
    ("dlq", true),
];
const PER_PRODUCER: usize = 300;
const PRODUCERS: usize = 2;
const CONSUMERS: usize = 2;

#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The wall clock only bounds the run (a safety deadline).
#[expect(
    clippy::disallowed_methods,
    reason = "wall-clock bound on a real server"
)]
async fn every_message_is_received_once_across_concurrent_queues() {
    let clock = ManualClock::at_millis(1_704_164_645_000);
    let emu = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .expect("emulator starts");
    emu.with_engine(|e, now| {
        for (name, _) in QUEUES {
            e.create_queue(name, QueueAttributesInput::default(), now)
                .expect("create");
        }
        e.create_queue_with(
            "feeder",
            QueueAttributesInput::default(),
            QueueKind::Normal,
            Some(QueueDlqPolicy::new("dlq", 3)),
            now,
        )
        .expect("feeder");
        assert!(e.shared_queue("lp-a").is_some() && e.shared_queue("sp-a").is_some());
        assert!(
            e.shared_queue("dlq").is_none(),
            "a DLQ target takes the exclusive path"
        );
    });
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .build()
        .unwrap();

    // Body → times received.
    let received: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let mut consumers = Vec::new();
    for (name, long_poll) in QUEUES {
        for c in 0..CONSUMERS {
            let queue = client.queue(name).unwrap();
            let received = received.clone();
            consumers.push(tokio::spawn(async move {
                let wait = if long_poll {
                    Duration::from_secs(30)
                } else {
                    Duration::ZERO
                };
                loop {
                    // Half the consumers take batches, half single messages.
                    let got = if c == 0 {
                        queue
                            .batch_receive_message(16, Some(wait))
                            .await
                            .expect("receive")
                    } else {
                        queue
                            .receive_message(Some(wait))
                            .await
                            .expect("receive")
                            .into_iter()
                            .collect()
                    };
                    if got.is_empty() {
                        tokio::task::yield_now().await;
                        continue;
                    }
                    let handles: Vec<ReceiptHandle> =
                        got.iter().map(|m| m.receipt_handle.clone()).collect();
                    if handles.len() == 1 {
                        queue.delete_message(&handles[0]).await.expect("delete");
                    } else {
                        let results = queue.batch_delete_message(&handles).await.expect("delete");
                        assert!(results.iter().all(Result::is_ok), "{results:?}");
                    }
                    let mut seen = received.lock().await;
                    for m in got {
                        *seen
                            .entry(String::from_utf8_lossy(&m.body).into_owned())
                            .or_default() += 1;
                    }
                }
            }));
        }
    }
    let mut producers = Vec::new();
    for (name, _) in QUEUES {
        for p in 0..PRODUCERS {
            let queue = client.queue(name).unwrap();
            producers.push(tokio::spawn(async move {
                let mut i = 0;
                while i < PER_PRODUCER {
                    // Alternate single sends and batches of up to 5.
                    let n = if i % 2 == 0 {
                        1
                    } else {
                        5.min(PER_PRODUCER - i)
                    };
                    let bodies: Vec<String> =
                        (i..i + n).map(|k| format!("{name}/{p}/{k}")).collect();
                    if n == 1 {
                        queue.send_message(&bodies[0]).await.expect("send");
                    } else {
                        let results = queue
                            .batch_send_message(bodies.into_iter().map(BatchSendEntry::new))
                            .await
                            .expect("send");
                        assert!(results.iter().all(Result::is_ok), "{results:?}");
                    }
                    i += n;
                }
            }));
        }
    }
    for p in producers {
        p.await.expect("producer");
    }
    // Wait until everything sent was received (consumers loop until stopped; the long polls
    // would otherwise stay parked on the frozen clock).
    let total = QUEUES.len() * PRODUCERS * PER_PRODUCER;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen = received.lock().await.values().sum::<usize>();
        if seen >= total {
            break;
        }
        for c in &consumers {
            assert!(!c.is_finished(), "a consumer failed");
        }
        assert!(
            Instant::now() < deadline,
            "{} of {total} received: a lost wake-up or a lost message",
            seen
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for c in &consumers {
        c.abort();
    }
    for c in consumers {
        let _ = c.await;
    }

    let received = received.lock().await;
    let mut expected = 0;
    for (name, _) in QUEUES {
        for p in 0..PRODUCERS {
            for k in 0..PER_PRODUCER {
                let body = format!("{name}/{p}/{k}");
                assert_eq!(received.get(&body), Some(&1), "{body} received");
                expected += 1;
            }
        }
    }
    assert_eq!(received.len(), expected, "nothing else was received");
    for (name, _) in QUEUES {
        assert!(emu.inspect_queue(name).expect("queue").is_empty(), "{name}");
    }
    emu.shutdown().await;
}
