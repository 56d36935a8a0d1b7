//! Message properties: typed user properties (STRING, NUMBER, BOOLEAN, BINARY), the W3C
//! trace-context system properties and a `MessageGroupId`, sent and received unchanged.
//!
//! ```sh
//! cargo run --example message_properties           # round trip on an embedded emulator
//! # Interop with another SDK (interop/run.sh python): send the canonical message to a queue,
//! # or check that the next message on a queue is exactly the canonical one, then delete it.
//! MNS_ENDPOINT=... ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//!     cargo run --example message_properties -- send <queue>
//! ... cargo run --example message_properties -- check <queue>
//! ```

mod common;

use std::time::Duration;

use mns_client::{
    Queue, QueueOptions, ReceivedMessage, SendOptions, SystemProperties, SystemProperty,
    UserProperty,
};

/// The body every SDK in the interop run sends.
const BODY: &str = "interop: every property type";
/// The group id every SDK in the interop run sends.
const GROUP: &str = "g-interop";

fn user_properties() -> Vec<UserProperty> {
    vec![
        UserProperty::string("city", "hang&zhou <x>"),
        UserProperty::number("count", 42),
        UserProperty::boolean("urgent", true),
        UserProperty::binary("blob", [0u8, 0xff, b'<', 7]),
    ]
}

fn system_properties() -> SystemProperties {
    SystemProperties::new()
        .with(SystemProperty::traceparent(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ))
        .with(SystemProperty::tracestate("rojo=00f067aa0ba902b7"))
        .with(SystemProperty::baggage("userId=alice"))
}

async fn send(queue: &Queue) -> Result<(), common::BoxError> {
    let receipt = queue
        .send_message_opts(
            BODY,
            SendOptions {
                user_properties: user_properties(),
                system_properties: system_properties(),
                message_group_id: Some(GROUP.to_owned()),
                ..SendOptions::default()
            },
        )
        .await?;
    println!(
        "sent     {} (group {:?})",
        receipt.message_id, receipt.message_group_id
    );
    Ok(())
}

/// Whether `m` is the canonical message, property order aside.
fn check(m: &ReceivedMessage) -> Result<(), common::BoxError> {
    let sorted = |mut v: Vec<UserProperty>| {
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    if m.body_str() != Some(BODY) {
        return Err(format!("body {:?}", m.body_str()).into());
    }
    if sorted(m.user_properties.clone()) != sorted(user_properties()) {
        return Err(format!("user properties {:?}", m.user_properties).into());
    }
    for want in &system_properties() {
        if m.system_properties.get(&want.name) != Some(want.value.as_str()) {
            return Err(format!("system properties {:?}", m.system_properties).into());
        }
    }
    if m.message_group_id.as_deref() != Some(GROUP) {
        return Err(format!("group {:?}", m.message_group_id).into());
    }
    let blob = m.user_property("blob").and_then(UserProperty::as_bytes);
    if blob.as_deref() != Some(&[0u8, 0xff, b'<', 7][..]) {
        return Err(format!("blob {blob:?}").into());
    }
    println!(
        "received {}: body, {} user properties (typed), {} system properties (traceparent {}) and group {GROUP} as sent",
        m.message_id,
        m.user_properties.len(),
        m.system_properties.len(),
        m.system_properties.traceparent().unwrap_or("-"),
    );
    Ok(())
}

async fn receive_and_check(queue: &Queue) -> Result<(), common::BoxError> {
    let Some(m) = queue.receive_message(Some(Duration::from_secs(5))).await? else {
        return Err("no message arrived within 5 s".into());
    };
    check(&m)?;
    queue.delete_message(&m.receipt_handle).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, name] if mode == "send" => {
            env.client
                .create_queue(name, &QueueOptions::default())
                .await?;
            send(&env.client.queue(name)?).await?;
        }
        [mode, name] if mode == "check" => receive_and_check(&env.client.queue(name)?).await?,
        [] => {
            let name = env.name("properties");
            env.client
                .create_queue(&name, &QueueOptions::default())
                .await?;
            let queue = env.client.queue(&name)?;
            send(&queue).await?;
            receive_and_check(&queue).await?;
            env.client.queue(&name)?.delete().await?;
        }
        _ => return Err("usage: message_properties [send <queue> | check <queue>]".into()),
    }
    env.shutdown().await;
    Ok(())
}
