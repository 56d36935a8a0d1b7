//! Poison messages and a server-side dead-letter queue (DLQ), then a redrive.
//!
//! ```sh
//! cargo run --example dead_letters    # embedded emulator
//! ```
//!
//! A consumer fails on one message ("poison") and never deletes it. The source queue's DLQ
//! policy (`MaxReceiveCount` = 2) moves it to the DLQ instead of delivering it a third time, with
//! the `DLQSourceArn` / `DLQOriginMessageId` system properties. After "fixing" the consumer, the
//! example redrives the DLQ: receive, send back to the source queue, delete from the DLQ.
//!
//! Queue types and DLQ policies are control-plane settings (the XML API cannot set them), so the
//! example sets them through the embedded emulator; against real MNS, configure the policy in the
//! console, Terraform or the OpenAPI first.

mod common;

use std::time::Duration;

use mns_client::{Queue, QueueOptions, ReceivedMessage};
use mns_emulator::engine::{QueueAttributesInput, QueueDlqPolicy, QueueKind};

/// How many times a message may be received before the service dead-letters it.
const MAX_RECEIVES: u32 = 2;

/// The consumer: fails on "poison" unless `fixed`.
fn handle(msg: &ReceivedMessage, fixed: bool) -> Result<(), String> {
    match msg.body_str() {
        Some("poison") if !fixed => Err("cannot parse the order".to_owned()),
        Some(body) => {
            println!("handled {body:?} (receive #{})", msg.dequeue_count);
            Ok(())
        }
        None => Err("not UTF-8".to_owned()),
    }
}

/// Receives and handles until the queue stays empty for one long poll; failed messages are left
/// alone (no delete), so they come back after the visibility timeout.
async fn consume(q: &Queue, fixed: bool) -> Result<usize, common::BoxError> {
    let mut handled = 0;
    while let Some(msg) = q.receive_message(Some(Duration::from_secs(2))).await? {
        match handle(&msg, fixed) {
            Ok(()) => {
                q.delete_message(&msg.receipt_handle).await?;
                handled += 1;
            }
            Err(e) => println!("failed {:?}: {e}; leaving it for a retry", msg.body_str()),
        }
    }
    Ok(handled)
}

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;
    let Some(emu) = env.emulator.as_ref() else {
        println!(
            "dead_letters sets the DLQ policy through the embedded emulator; unset MNS_ENDPOINT"
        );
        return Ok(());
    };
    let (source_name, dlq_name) = (env.name("orders"), env.name("orders-dlq"));
    env.client
        .create_queue(&dlq_name, &QueueOptions::default())
        .await?;
    emu.emulator().create_queue_with(
        &source_name,
        QueueAttributesInput {
            visibility_timeout: Some(1),
            ..Default::default()
        },
        QueueKind::Normal,
        Some(QueueDlqPolicy::new(&dlq_name, MAX_RECEIVES)),
    )?;
    let source = env.client.queue(&source_name)?;
    let dlq = env.client.queue(&dlq_name)?;

    for body in ["order-1", "poison", "order-2"] {
        source.send_message(body).await?;
    }
    let handled = consume(&source, false).await?;
    assert_eq!(handled, 2, "the two good orders are handled");

    // The poison message is now in the DLQ, with where it came from.
    let dead = emu.emulator().inspect_queue(&dlq_name)?;
    assert_eq!(dead.len(), 1);
    for p in &dead[0].system_properties {
        println!("dead letter {:?}: {} = {}", dead[0].body, p.name, p.value);
    }

    // Redrive after the fix: move everything from the DLQ back to the source queue.
    let mut redriven = 0;
    while let Some(msg) = dlq.receive_message(Some(Duration::ZERO)).await? {
        source.send_message(msg.body.clone()).await?;
        dlq.delete_message(&msg.receipt_handle).await?;
        redriven += 1;
    }
    println!("redrove {redriven} message(s) to {source_name}");
    let handled = consume(&source, true).await?;
    assert_eq!(
        handled, 1,
        "the redriven message is handled by the fixed consumer"
    );

    env.client.delete_queue(&source_name).await?;
    env.client.delete_queue(&dlq_name).await?;
    env.shutdown().await;
    println!("dead_letters: done");
    Ok(())
}
