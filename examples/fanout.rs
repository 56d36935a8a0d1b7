//! Fan-out: one topic, several queues. A message published once reaches every subscribed queue,
//! in the format each subscription asked for, and filter tags route messages to only some.
//!
//! ```sh
//! cargo run --example fanout    # embedded emulator
//! MNS_ENDPOINT=https://<account>.mns.<region>.aliyuncs.com \
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//!     cargo run --example fanout    # real MNS
//! ```

mod common;

use std::time::Duration;

use mns_client::topic::{
    Endpoint, FilterTag, MessageTag, NotifyContentFormat, PublishOptions, SubscribeOptions,
    TopicOptions,
};
use mns_client::{Queue, QueueOptions};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;
    let (account, region) = env.account_and_region()?;

    let topic = env.client.topic(&env.name("events"))?;
    topic.create(&TopicOptions::default()).await?;

    // Three consumers of the same events:
    // * billing gets every message, just the body (SIMPLIFIED);
    // * audit gets every message with its metadata, as JSON;
    // * shipping gets only messages tagged "order", as XML.
    let subscriptions = [
        ("billing", NotifyContentFormat::Simplified, None),
        ("audit", NotifyContentFormat::Json, None),
        ("shipping", NotifyContentFormat::Xml, Some("order")),
    ];
    let mut queues: Vec<(Queue, usize)> = Vec::new();
    for (name, format, tag) in subscriptions {
        let queue_name = env.name(name);
        env.client
            .create_queue(&queue_name, &QueueOptions::default())
            .await?;
        let endpoint = Endpoint::queue(&region, &account, &queue_name)?;
        let options = SubscribeOptions {
            notify_content_format: Some(format),
            filter_tag: tag.map(FilterTag::new).transpose()?,
            ..SubscribeOptions::default()
        };
        topic.subscribe_opts(name, &endpoint, &options).await?;
        println!(
            "subscribed queue {queue_name} ({}{})",
            format.as_str(),
            tag.map(|t| format!(", only tag {t:?}")).unwrap_or_default()
        );
        let expected = if tag.is_some() { 1 } else { 2 };
        queues.push((env.client.queue(&queue_name)?, expected));
    }

    // Publish twice: an order (tagged "order") and a refund (tagged "refund").
    for (tag, body) in [
        ("order", r#"{"order": 1001, "total": "25.00"}"#),
        ("refund", r#"{"refund": 77, "order": 998}"#),
    ] {
        let options = PublishOptions {
            message_tag: Some(MessageTag::new(tag)?),
            ..PublishOptions::default()
        };
        let receipt = topic.publish_message_opts(body, options).await?;
        println!("published {} ({tag}): {body}", receipt.message_id);
    }

    // Each queue now holds its copies. Delivery into queues is asynchronous on the real
    // service, so long-poll for them.
    for (queue, expected) in &queues {
        let mut got = 0;
        while got < *expected {
            let batch = queue
                .batch_receive_message(16, Some(Duration::from_secs(10)))
                .await?;
            if batch.is_empty() {
                return Err(format!("{} got {got} of {expected} messages", queue.name()).into());
            }
            for msg in batch {
                got += 1;
                let body = msg.body_str().unwrap_or("<binary>");
                println!("{:<28} <- {}", queue.name().as_str(), one_line(body));
                queue.delete_message(&msg.receipt_handle).await?;
            }
        }
    }

    // Clean up: subscriptions go with the topic.
    topic.delete().await?;
    for (queue, _) in queues {
        queue.delete().await?;
    }
    env.shutdown().await;
    Ok(())
}

/// The body on one line, shortened for the terminal.
fn one_line(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 160 {
        format!("{}...", flat.chars().take(160).collect::<String>())
    } else {
        flat
    }
}
