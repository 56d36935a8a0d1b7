//! Quickstart: create a queue, send a message, receive it, delete it.
//!
//! ```sh
//! cargo run --example quickstart              # against an embedded emulator
//! MNS_ENDPOINT=https://<account>.mns.<region>.aliyuncs.com \
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//!     cargo run --example quickstart          # against real MNS
//! ```

mod common;

use std::time::Duration;

use mns_client::QueueOptions;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;

    // Create the queue (idempotent when the attributes match) and get a handle on it.
    let name = env.name("quickstart");
    env.client
        .create_queue(&name, &QueueOptions::default())
        .await?;
    let queue = env.client.queue(&name)?;

    let sent = queue.send_message("hello from mns-rs").await?;
    println!("sent     {} to queue {name}", sent.message_id);

    // Long poll: wait up to 10 s for a message.
    let Some(msg) = queue.receive_message(Some(Duration::from_secs(10))).await? else {
        return Err("no message arrived within 10 s".into());
    };
    println!(
        "received {} (dequeue count {}): {}",
        msg.message_id,
        msg.dequeue_count,
        msg.body_str().unwrap_or("<binary>")
    );

    // Deleting with the receipt handle acknowledges the message; otherwise it would become
    // visible again when the queue's visibility timeout ends.
    queue.delete_message(&msg.receipt_handle).await?;
    println!("deleted  {}", msg.message_id);

    queue.delete().await?;
    env.shutdown().await;
    Ok(())
}
