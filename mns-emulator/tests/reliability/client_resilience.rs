//! Client resilience: `mns-client` (producer) and `mns_client::worker::Worker` (consumer) move N
//! messages through an emulator that answers 20% of requests with 500 `InternalError` and drops
//! the connection on 5% (half before handling, half after, so some answers are lost after the
//! change happened). Nothing may be lost; duplicates are counted and reported (at least once).
//!
//! CI size: 1,000 messages. Full size (RELIABILITY.md):
//! `MNS_RESILIENCE_MESSAGES=10000 cargo test -p mns-emulator --test reliability -- client_resilience:: --nocapture`
//!
//! The emulator runs on the system clock here (the client's retry backoff and the worker's
//! heartbeats are real time); correctness never depends on timing, only the run's duration does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mns_client::queue::{BatchSendEntry, QueueOptions};
use mns_client::worker::Worker;
use mns_client::{Client, Credentials, Endpoint, RetryConfig};
use mns_emulator::Emulator;
use mns_emulator::faults::{Fault, FaultPlan, FaultRule};

const QUEUE: &str = "resilience";

fn message_count() -> usize {
    std::env::var("MNS_RESILIENCE_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

/// 5% dropped connections (2.5% before handling, 2.5% after), then 20% of all requests 500.
/// Rules are tried in order, so later probabilities are scaled to be shares of all requests.
fn plan(seed: u64) -> FaultPlan {
    let drop_before = 0.025;
    let drop_after = 0.025 / (1.0 - drop_before);
    let error = 0.20 / (1.0 - 0.05);
    FaultPlan::seeded(seed)
        .rule(
            FaultRule::new(Fault::DropConnection)
                .resource(QUEUE)
                .probability(drop_before),
        )
        .rule(
            FaultRule::new(Fault::DropResponse)
                .resource(QUEUE)
                .probability(drop_after),
        )
        .rule(
            FaultRule::new(Fault::error(500, "InternalError"))
                .resource(QUEUE)
                .probability(error),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The wall clock only bounds the run (a safety deadline) and reports its duration.
#[expect(
    clippy::disallowed_methods,
    reason = "wall-clock bound on a real process or server"
)]
async fn producer_and_worker_lose_nothing_under_injected_faults() {
    let n = message_count();
    let emu = Emulator::builder().start().await.expect("emulator starts");
    // The client's default retry policy (10 retries, 30 s in all); `MNS_RESILIENCE_MAX_RETRIES=3`
    // shows what a policy of 3 retries surfaces at these fault rates (about 1 call in 250).
    let defaults = RetryConfig::default();
    let max_retries = std::env::var("MNS_RESILIENCE_MAX_RETRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(defaults.max_retries);
    let retry = RetryConfig {
        max_retries,
        ..defaults
    };
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .retry(retry)
        .build()
        .unwrap();
    let queue = client.queue(QUEUE).unwrap();
    queue
        .create(&QueueOptions {
            visibility_timeout: Some(2),
            ..QueueOptions::default()
        })
        .await
        .expect("create queue");
    emu.faults().set_plan(plan(2026));
    let started = Instant::now();

    // Consumer: the worker records every delivery.
    let seen: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let record = seen.clone();
    let worker = Worker::builder(queue.clone(), move |msg| {
        let record = record.clone();
        async move {
            let body = String::from_utf8(msg.body).map_err(|_| "not UTF-8")?;
            *record.lock().unwrap().entry(body).or_default() += 1;
            Ok(())
        }
    })
    .concurrency(32)
    .pollers(2)
    .wait(Duration::from_secs(1))
    .build()
    .expect("worker");
    let stats = worker.stats();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let consumer = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    // Producer: 4 tasks sending batches of 16; an error surfacing after the client's retries is
    // counted and the batch sent again (so the count is the only effect of a failure).
    let surfaced = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut producers = Vec::new();
    let batches: Vec<Vec<usize>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(16)
        .map(<[usize]>::to_vec)
        .collect();
    let per_task = batches.len().div_ceil(4).max(1);
    for chunk in batches.chunks(per_task) {
        let chunk = chunk.to_vec();
        let queue = queue.clone();
        let surfaced = surfaced.clone();
        producers.push(tokio::spawn(async move {
            for batch in chunk {
                loop {
                    let entries = batch.iter().map(|i| BatchSendEntry::new(format!("m{i}")));
                    match queue.batch_send_message(entries).await {
                        Ok(results) if results.iter().all(Result::is_ok) => break,
                        Ok(results) => surfaced.lock().unwrap().push(format!("{results:?}")),
                        Err(e) => surfaced.lock().unwrap().push(e.to_string()),
                    }
                }
            }
        }));
    }
    for p in producers {
        p.await.expect("producer");
    }
    let produced_in = started.elapsed();

    // Done when every message was handled and the queue is empty (duplicates included).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let distinct = seen.lock().unwrap().len();
        let left = emu.inspect_queue(QUEUE).expect("queue").len();
        if distinct == n && left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stuck: {distinct} of {n} handled, {left} stored; {:?}",
            stats.snapshot()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let last = consumer.await.expect("worker");
    let injected = emu.faults().report();
    emu.faults().clear();

    let seen = seen.lock().unwrap();
    let deliveries: u64 = seen.values().map(|c| u64::from(*c)).sum();
    let duplicates = deliveries - n as u64;
    let lost = (0..n)
        .filter(|i| !seen.contains_key(&format!("m{i}")))
        .count();
    println!(
        "client_resilience: max_retries {max_retries}; {n} messages in {:.1?} (produced in {produced_in:.1?}); lost {lost}; \
         deliveries {deliveries} (duplicates {duplicates}); surfaced errors {}; faults injected \
         {} (drop before {}, drop after {}, 500 {}); worker {:?}",
        started.elapsed(),
        surfaced.lock().unwrap().len(),
        injected.fired.iter().sum::<u64>(),
        injected.fired[0],
        injected.fired[1],
        injected.fired[2],
        last,
    );
    assert_eq!(lost, 0, "messages lost");
    assert!(
        surfaced.lock().unwrap().is_empty(),
        "errors surfaced on retryable calls: {:?}",
        surfaced.lock().unwrap()
    );
    assert_eq!(
        last.receive_errors, 0,
        "receive errors surfaced to the worker"
    );
    assert!(
        injected.fired.iter().all(|f| *f > 0),
        "every fault kind fired"
    );
}
