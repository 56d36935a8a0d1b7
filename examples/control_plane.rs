//! The control plane: create a FIFO queue with a dead-letter policy and tags through the
//! Mns-open OpenAPI (`mns_client::control`), then watch the FIFO and DLQ behaviour through the
//! data-plane client.
//!
//! ```sh
//! cargo run --example control_plane              # against an embedded emulator
//! MNS_ENDPOINT=https://<account>.mns.<region>.aliyuncs.com \
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//!     cargo run --example control_plane          # against real MNS (mns-open.<region>.aliyuncs.com)
//! ```
//!
//! Queue types, DLQ policies and tags exist only in the control plane: the XML API cannot set
//! them. The emulator serves both on one port.

mod common;

use std::time::Duration;

use mns_client::control::{
    ControlClient, ControlListOptions, CreateQueueOptions, QueueDlqPolicy, QueueType, Tag,
};
use mns_client::{Credentials, SendOptions};

/// The visibility timeout of the example's queues: short, so a message left undeleted comes
/// back (or is dead-lettered) quickly.
const VISIBILITY: Duration = Duration::from_secs(1);

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;
    let control = match &env.emulator {
        Some(emu) => {
            let key = emu.access_key();
            ControlClient::builder(emu.region())
                .base_url(emu.endpoint())
                .credentials(Credentials::new(key.id(), key.secret()))
                .build()?
        }
        None => {
            let (_, region) = env.account_and_region()?;
            ControlClient::builder(region)
                .credentials(mns_client::credentials::default_provider())
                .build()?
        }
    };
    println!("control plane at {}", control.base_url());

    // 1. Control plane: a FIFO dead-letter queue, then a FIFO queue whose messages move there
    //    after one receive without a delete.
    let dlq = env.name("cp-dlq");
    let orders = env.name("cp-orders");
    let fifo = |dlq_policy| CreateQueueOptions {
        queue_type: Some(QueueType::Fifo),
        visibility_timeout: Some(VISIBILITY.as_secs() as u32),
        dlq_policy,
        tags: vec![Tag::new("example", "control_plane")],
        ..CreateQueueOptions::default()
    };
    control.create_queue(&dlq, &fifo(None)).await?;
    control
        .create_queue(&orders, &fifo(Some(QueueDlqPolicy::enabled(&dlq, 1))))
        .await?;
    let q = control.get_queue_attributes(&orders).await?;
    println!(
        "created {} type={} dlq={:?} tags={:?}",
        q.name, q.queue_type, q.dlq_policy, q.tags
    );
    let tagged = control
        .list_queues_page(
            &ControlListOptions {
                tags: vec![Tag::new("example", "control_plane")],
                ..ControlListOptions::default()
            },
            1,
        )
        .await?;
    println!("{} queues carry the example's tag", tagged.total);

    // 2. Data plane: the same queue over XML.
    let queue = env.client.queue(&orders)?;
    let xml = queue.get_attributes().await?;
    println!(
        "the XML API sees visibility timeout {} s",
        xml.visibility_timeout
    );

    // FIFO: every message needs a group id; order holds within a group.
    let send = |group: &str| SendOptions {
        message_group_id: Some(group.to_owned()),
        ..SendOptions::default()
    };
    for step in ["created", "paid", "shipped"] {
        queue
            .send_message_opts(format!("order-1 {step}"), send("order-1"))
            .await?;
    }
    queue
        .send_message_opts("order-2 created", send("order-2"))
        .await?;
    if let Err(e) = queue.send_message("no group").await {
        println!(
            "a send without MessageGroupId is refused: {}",
            e.code().map_or("?", |c| c.as_str())
        );
    }

    // The group lock: one batch gets the head of each group, never two of one group.
    let heads = queue
        .batch_receive_message(16, Some(Duration::ZERO))
        .await?;
    for m in &heads {
        println!(
            "received {:?} (group {:?})",
            m.body_str(),
            m.message_group_id
        );
        queue.delete_message(&m.receipt_handle).await?;
    }

    // DLQ: "order-1 paid" is received and not deleted (a failing consumer); once its visibility
    // timeout ends it moves to the DLQ and the group moves on to "order-1 shipped".
    let paid = queue
        .receive_message(Some(Duration::ZERO))
        .await?
        .ok_or("order-1 paid should be next")?;
    println!("received {:?}, not deleting it", paid.body_str());
    tokio::time::sleep(VISIBILITY + Duration::from_millis(200)).await;
    let next = queue
        .receive_message(Some(Duration::from_secs(2)))
        .await?
        .ok_or("order-1 shipped should be next")?;
    println!(
        "received {:?} (the failed one went to the DLQ)",
        next.body_str()
    );
    queue.delete_message(&next.receipt_handle).await?;
    let dead = env
        .client
        .queue(&dlq)?
        .receive_message(Some(Duration::from_secs(2)))
        .await?
        .ok_or("the dead letter should be in the DLQ")?;
    println!(
        "DLQ holds {:?} from {:?}",
        dead.body_str(),
        dead.system_properties.dlq_source_arn()
    );

    // 3. Control plane: clean up.
    control.delete_queue(&orders).await?;
    control.delete_queue(&dlq).await?;
    env.shutdown().await;
    Ok(())
}
