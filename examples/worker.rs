//! A queue consumer built on `mns_client::worker::Worker`: the template to copy into a service.
//!
//! ```sh
//! cargo run --example worker    # embedded emulator: seeds a few orders, handles them, exits
//! MNS_ENDPOINT=https://<account>.mns.<region>.aliyuncs.com \
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//!     cargo run --example worker    # real MNS: consumes until Ctrl-C
//! ```
//!
//! What the worker does for you: batched long polls, bounded concurrency, batched deletes on
//! success, exponential backoff on failure, heartbeats that keep a slow job's message invisible,
//! a dead-letter queue for poison messages, and a graceful shutdown on Ctrl-C that lets running
//! jobs finish and puts unfinished ones back on the queue.

mod common;

use std::time::Duration;

use mns_client::worker::{Backoff, DeadLetter, HandlerResult, Worker};
use mns_client::{BatchSendEntry, Queue, QueueOptions, ReceivedMessage};

/// The business logic: one order. Returning `Err` retries the message later; after
/// `MAX_RECEIVES` failed attempts it goes to the dead-letter queue.
async fn handle_order(msg: ReceivedMessage) -> HandlerResult {
    let order: serde_json::Value = serde_json::from_slice(&msg.body)?;
    let id = order["id"].as_u64().ok_or("order without an id")?;
    // Stand-in for real work (a database write, an HTTP call, ...). Handlers that take longer
    // than the queue's visibility timeout are fine: the worker extends it while they run.
    tokio::time::sleep(Duration::from_millis(50)).await;
    println!(
        "order {id}: {} x {} (attempt {})",
        order["quantity"], order["item"], msg.dequeue_count
    );
    Ok(())
}

/// How many times a message may be received before it is dead-lettered.
const MAX_RECEIVES: u32 = 3;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;

    // The work queue and its dead-letter queue. Creating an existing queue with the same
    // attributes is a no-op, so this is safe on every start.
    let attributes = QueueOptions {
        visibility_timeout: Some(30),
        ..QueueOptions::default()
    };
    let queue_name = env.name("orders");
    let dlq_name = env.name("orders-dead-letter");
    env.client.create_queue(&queue_name, &attributes).await?;
    env.client.create_queue(&dlq_name, &attributes).await?;
    let queue = env.client.queue(&queue_name)?;
    let dlq = env.client.queue(&dlq_name)?;

    let worker = Worker::builder(queue.clone(), handle_order)
        .concurrency(16)
        .wait(Duration::from_secs(20))
        .retry_backoff(Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(300),
        ))
        .max_receives(MAX_RECEIVES, DeadLetter::Queue(dlq.clone()))
        .shutdown_timeout(Duration::from_secs(30))
        .build()?;
    let stats = worker.stats();

    // On the emulator there is nobody else producing, so seed some orders (one of them poison)
    // and stop once they are all settled. Against real MNS, run until Ctrl-C.
    let demo = if env.is_emulator() {
        Some(seed_orders(&queue).await?)
    } else {
        None
    };
    let shutdown = async move {
        let all_settled = async {
            let Some(expected) = demo else {
                return std::future::pending().await;
            };
            loop {
                let s = stats.snapshot();
                if s.succeeded + s.dead_lettered >= expected && s.in_flight == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => println!("Ctrl-C: shutting down"),
            () = all_settled => println!("all demo orders settled: shutting down"),
        }
    };

    let last = worker.run(shutdown).await;
    println!(
        "received {}, succeeded {}, failed attempts {}, dead-lettered {}",
        last.received, last.succeeded, last.failed, last.dead_lettered
    );

    if env.is_emulator() {
        if let Some(dead) = dlq.receive_message(Some(Duration::ZERO)).await? {
            println!(
                "dead-letter queue holds: {:?}",
                dead.body_str().unwrap_or("<binary>")
            );
        }
        queue.delete().await?;
        dlq.delete().await?;
    }
    env.shutdown().await;
    Ok(())
}

/// Sends five orders and one message the handler cannot parse; returns how many were sent.
async fn seed_orders(queue: &Queue) -> Result<u64, common::BoxError> {
    let mut entries: Vec<BatchSendEntry> = (1..=5)
        .map(|id| {
            let order = serde_json::json!({"id": id, "item": "widget", "quantity": id * 2});
            BatchSendEntry::new(order.to_string())
        })
        .collect();
    entries.push(BatchSendEntry::new("this is not an order"));
    let count = entries.len() as u64;
    for result in queue.batch_send_message(entries).await? {
        result?;
    }
    println!("seeded {count} messages (one of them poison)");
    Ok(count)
}
