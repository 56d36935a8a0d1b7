//! Concurrency stress over HTTP: 64 consumers (each its own `mns-client` handle sharing one
//! connection pool) batch-receive and batch-delete N messages from one queue.
//!
//! The emulator runs on a `ManualClock` that only the test moves, so "inside one visibility
//! window" is exact: every receive records the hold `[next_visible - VisibilityTimeout,
//! next_visible)` it got, and no two holds of one message may overlap. Consumers "forget" to
//! delete every 7th message on its first delivery; when only such messages are left, the test
//! moves the clock past the visibility timeout so they are delivered again (to any consumer).
//! At the end: every message delivered, every one deleted, the queue empty, and forgotten
//! messages delivered exactly twice, the rest exactly once.
//!
//! CI size: 2,000 messages. Full size (RELIABILITY.md):
//! `MNS_STRESS_MESSAGES=100000 cargo test -p mns-emulator --test reliability -- http_stress:: --nocapture`

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use mns_client::{Client, Credentials, Endpoint, ReceiptHandle};
use mns_emulator::Emulator;
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::engine::{MessageState, QueueAttributesInput, SendMessageInput};
use tokio::sync::Mutex;

const QUEUE: &str = "stress";
const CONSUMERS: usize = 64;
const VISIBILITY_S: u64 = 30;

#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

fn message_count() -> usize {
    std::env::var("MNS_STRESS_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// One delivery: which consumer held the message, and during which window.
#[derive(Debug, Clone, Copy)]
struct Hold {
    consumer: usize,
    from: SystemTime,
    until: SystemTime,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The wall clock only bounds the run (a safety deadline) and reports its duration.
#[expect(
    clippy::disallowed_methods,
    reason = "wall-clock bound on a real process or server"
)]
async fn sixty_four_consumers_lose_nothing_and_never_share_a_message() {
    let n = message_count();
    let clock = ManualClock::at_millis(1_704_164_645_000);
    let emu = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .expect("emulator starts");
    let now = clock.now_millis();
    emu.with_engine(|e, now| {
        e.create_queue(
            QUEUE,
            QueueAttributesInput {
                visibility_timeout: Some(VISIBILITY_S as i64),
                ..QueueAttributesInput::default()
            },
            now,
        )
    })
    .expect("create");
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let batch = chunk
            .iter()
            .map(|i| SendMessageInput::new(format!("{i}")))
            .collect();
        emu.with_engine(|e, _| e.send_messages(QUEUE, batch, now))
            .expect("send");
    }
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .build()
        .unwrap();

    let holds: Arc<Mutex<HashMap<usize, Vec<Hold>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut consumers = Vec::new();
    for consumer in 0..CONSUMERS {
        let queue = client.queue(QUEUE).unwrap();
        let holds = holds.clone();
        let stop = stop.clone();
        consumers.push(tokio::spawn(async move {
            let mut receives = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let got = queue
                    .batch_receive_message(16, Some(Duration::ZERO))
                    .await
                    .expect("receive");
                receives += 1;
                if got.is_empty() {
                    tokio::task::yield_now().await;
                    continue;
                }
                let mut delete: Vec<ReceiptHandle> = Vec::new();
                {
                    let mut holds = holds.lock().await;
                    for m in &got {
                        let i: usize = String::from_utf8_lossy(&m.body).parse().expect("index");
                        holds.entry(i).or_default().push(Hold {
                            consumer,
                            from: m.next_visible_time - Duration::from_secs(VISIBILITY_S),
                            until: m.next_visible_time,
                        });
                        if !(i.is_multiple_of(7) && m.dequeue_count == 1) {
                            delete.push(m.receipt_handle.clone());
                        }
                    }
                }
                if !delete.is_empty() {
                    let results = queue.batch_delete_message(&delete).await.expect("delete");
                    assert!(
                        results.iter().all(Result::is_ok),
                        "a current handle failed to delete: {results:?}"
                    );
                }
            }
            receives
        }));
    }

    // Move the clock past the visibility timeout whenever only forgotten (invisible) messages
    // are left, until the queue is empty.
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut advances = 0;
    loop {
        // Counters are O(1); the full snapshot is taken only once nothing is visible.
        let attrs = emu
            .with_engine(|e, now| e.get_queue_attributes(QUEUE, now))
            .expect("queue");
        let left = attrs.active_messages + attrs.inactive_messages + attrs.delay_messages;
        if left == 0 {
            break;
        }
        if attrs.active_messages == 0 {
            // Only forgotten messages left (Inactive, first delivery, every 7th): nobody holds
            // one between receive and delete, so moving the clock cannot expire a handle in use.
            let stored = emu.inspect_queue(QUEUE).expect("queue");
            let only_forgotten = stored.iter().all(|m| {
                m.state == MessageState::Inactive
                    && m.dequeue_count == 1
                    && m.body.parse::<usize>().is_ok_and(|i| i.is_multiple_of(7))
            });
            if only_forgotten {
                clock.advance(Duration::from_secs(VISIBILITY_S + 1));
                advances += 1;
            }
        }
        assert!(Instant::now() < deadline, "{left} messages stuck");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut receives = 0;
    for c in consumers {
        receives += c.await.expect("consumer");
    }

    let holds = holds.lock().await;
    let mut deliveries = 0;
    let mut overlaps = Vec::new();
    for i in 0..n {
        let hs = holds
            .get(&i)
            .unwrap_or_else(|| panic!("message {i} never delivered"));
        deliveries += hs.len();
        let want = if i.is_multiple_of(7) { 2 } else { 1 };
        assert_eq!(hs.len(), want, "message {i} delivered {hs:?}");
        let mut sorted = hs.clone();
        sorted.sort_by_key(|h| h.from);
        for pair in sorted.windows(2) {
            if pair[1].from < pair[0].until {
                overlaps.push((i, pair[0], pair[1]));
            }
        }
    }
    assert!(overlaps.is_empty(), "held twice at once: {overlaps:?}");
    let consumers_used = holds
        .values()
        .flatten()
        .map(|h| h.consumer)
        .collect::<std::collections::HashSet<_>>()
        .len();
    println!(
        "http_stress: {n} messages, {CONSUMERS} consumers ({consumers_used} got messages), \
         {deliveries} deliveries, {receives} receive calls, {advances} clock advances, \
         0 lost, 0 overlapping holds, queue empty; {:.1?}",
        started.elapsed()
    );
}
