//! `mns-client`'s account operations and `x-mns-user-request-id` against the emulator
//! (reference mns-queues §2.1, §4.14, §4.15).

use std::sync::Arc;
use std::time::SystemTime;

use mns_client::account::AccountOptions;
use mns_client::topic::PublishOptions;
use mns_client::{Client, Credentials, Endpoint};
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::{Emulator, RunningEmulator};

#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

async fn setup() -> (RunningEmulator, Client) {
    let emu = Emulator::builder()
        .clock(ManualClock::at_millis(1_704_164_645_000))
        .start()
        .await
        .expect("emulator starts");
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .build()
        .unwrap();
    (emu, client)
}

#[tokio::test]
async fn account_attributes_and_open_service() {
    let (emu, client) = setup().await;
    client
        .set_account_attributes(&AccountOptions {
            logging_bucket: Some("logs-bucket".into()),
            trace_enabled: Some(true),
        })
        .await
        .unwrap();
    let attrs = client.get_account_attributes().await.unwrap();
    assert_eq!(attrs.logging_bucket, "logs-bucket");
    assert_eq!(attrs.trace_enabled, Some(true));
    // A partial update leaves the rest alone.
    client
        .set_account_attributes(&AccountOptions {
            trace_enabled: Some(false),
            ..AccountOptions::default()
        })
        .await
        .unwrap();
    let attrs = client.get_account_attributes().await.unwrap();
    assert_eq!(attrs.logging_bucket, "logs-bucket");
    assert_eq!(attrs.trace_enabled, Some(false));
    let order = client.open_service().await.unwrap();
    assert!(order.starts_with(emu.account_id()), "{order}");
}

#[tokio::test]
async fn user_request_id_is_sent_and_signed() {
    let (emu, client) = setup().await;
    let tagged = client.with_user_request_id("req-0001").unwrap();
    // The emulator verifies the signature over every x-mns-* header: these succeed only if
    // the id is both sent and signed.
    let q = tagged.queue("tagged").unwrap();
    q.create(&Default::default()).await.unwrap();
    q.send_message("hello").await.unwrap();
    assert!(q.receive_message(None).await.unwrap().is_some());
    let creds = Credentials::new("testid", "testsecret");
    let req = tagged
        .topic("t")
        .unwrap()
        .prepare_publish_message("x", &PublishOptions::default(), &creds, emu.clock().now())
        .unwrap();
    assert_eq!(req.header("x-mns-user-request-id"), Some("req-0001"));
    let plain = client
        .topic("t")
        .unwrap()
        .prepare_publish_message("x", &PublishOptions::default(), &creds, emu.clock().now())
        .unwrap();
    assert_eq!(plain.header("x-mns-user-request-id"), None);
    assert!(client.with_user_request_id("").is_err());
    assert!(client.with_user_request_id(&"x".repeat(129)).is_err());
    assert!(client.with_user_request_id("tab\there").is_err());
}
