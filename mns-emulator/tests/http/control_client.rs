//! `mns-client`'s control-plane client against the emulator: every queue, topic, subscription
//! and account action, pagination as a stream, the data plane seeing what the control plane set
//! (a FIFO queue with a DLQ policy behaves as one over XML), and hostile control-plane input
//! answered with the gateway's code and status while changing nothing.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use mns_client::control::{
    AccountUpdate, ControlClient, ControlListOptions, CreateQueueOptions, CreateTopicOptions,
    QueueDlqPolicy, QueueType, QueueUpdate, RateLimitPolicy, SubscribeOptions,
    SubscriptionDlqPolicy, SubscriptionUpdate, Tag, TopicType, TopicUpdate,
};
use mns_client::topic::NotifyStrategy;
use mns_client::{Client, Credentials, Endpoint, Error, SendOptions};
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::engine::QueueKind;
use mns_emulator::{Emulator, RunningEmulator};

#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

struct Setup {
    emu: RunningEmulator,
    clock: ManualClock,
    control: ControlClient,
    data: Client,
}

async fn setup() -> Setup {
    let clock = ManualClock::at_millis(1_704_164_645_000);
    let emu = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .expect("emulator starts");
    let control = ControlClient::builder("cn-hangzhou")
        .base_url(emu.endpoint())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .retry(mns_client::RetryConfig::disabled())
        .build()
        .unwrap();
    let data = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .build()
        .unwrap();
    Setup {
        emu,
        clock,
        control,
        data,
    }
}

fn code(e: &Error) -> (u16, String) {
    let s = e.as_service().expect("a service error");
    (s.status, s.code.as_str().to_owned())
}

fn fifo(dlq: Option<QueueDlqPolicy>) -> CreateQueueOptions {
    CreateQueueOptions {
        queue_type: Some(QueueType::Fifo),
        visibility_timeout: Some(30),
        dlq_policy: dlq,
        ..CreateQueueOptions::default()
    }
}

#[tokio::test]
async fn queue_actions_reach_the_data_plane_and_its_fifo_dlq_semantics() {
    let s = setup().await;
    s.control
        .create_queue("orders-dlq", &fifo(None))
        .await
        .unwrap();
    let options = CreateQueueOptions {
        tags: vec![Tag::new("env", "test a/b*c~d é"), Tag::new("team", "mq")],
        rate_limit: Some(RateLimitPolicy::per_second(100)),
        logging_enabled: Some(true),
        ..fifo(Some(QueueDlqPolicy::enabled("orders-dlq", 1)))
    };
    s.control.create_queue("orders", &options).await.unwrap();
    // The same settings again: success, as the data plane's 204.
    s.control.create_queue("orders", &options).await.unwrap();

    let q = s.control.get_queue_attributes("orders").await.unwrap();
    assert_eq!(q.queue_type, QueueType::Fifo);
    assert_eq!(q.dlq_policy, Some(QueueDlqPolicy::enabled("orders-dlq", 1)));
    assert_eq!(q.rate_limit, Some(RateLimitPolicy::per_second(100)));
    assert_eq!(q.tags, options.tags);
    assert!(q.logging_enabled);
    assert_eq!(q.visibility_timeout, 30);

    // The XML API sees the same queue.
    let xml = s.data.get_queue_attributes("orders").await.unwrap();
    assert_eq!(xml.visibility_timeout, 30);
    assert_eq!(
        s.emu.emulator().queue_kind("orders").unwrap(),
        QueueKind::Fifo
    );

    // FIFO: a send without a group id is refused; DLQ: a message received once and not deleted
    // moves to orders-dlq instead of coming back.
    let queue = s.data.queue("orders").unwrap();
    assert_eq!(
        code(&queue.send_message("no group").await.unwrap_err()).1,
        "FifoMissingMessageGroupId"
    );
    let grouped = SendOptions {
        message_group_id: Some("order-42".into()),
        ..SendOptions::default()
    };
    queue.send_message_opts("poison", grouped).await.unwrap();
    let got = queue.receive_message(None).await.unwrap().unwrap();
    assert_eq!(got.body, b"poison");
    s.clock.advance(Duration::from_secs(31));
    assert!(
        queue
            .receive_message(Some(Duration::ZERO))
            .await
            .unwrap()
            .is_none()
    );
    let dead = s
        .data
        .queue("orders-dlq")
        .unwrap()
        .receive_message(Some(Duration::ZERO))
        .await
        .unwrap()
        .expect("dead-lettered");
    assert_eq!(dead.body, b"poison");

    // Set: only what is named changes; the DLQ can be switched off.
    let update = QueueUpdate {
        visibility_timeout: Some(60),
        dlq_policy: Some(QueueDlqPolicy::disabled()),
        ..QueueUpdate::default()
    };
    s.control
        .set_queue_attributes("orders", &update)
        .await
        .unwrap();
    let q = s.control.get_queue_attributes("orders").await.unwrap();
    assert_eq!(q.visibility_timeout, 60);
    assert!(!q.dlq_policy.unwrap().enabled);
    assert_eq!(q.tags.len(), 2);

    // List as a stream over pages of 10, with filters.
    for i in 0..12 {
        s.control
            .create_queue(&format!("bulk-{i:02}"), &CreateQueueOptions::default())
            .await
            .unwrap();
    }
    let all: Vec<_> = s
        .control
        .list_queues(ControlListOptions {
            name: Some("bulk-".into()),
            page_size: Some(10),
            ..ControlListOptions::default()
        })
        .map(|r| r.unwrap().name)
        .collect()
        .await;
    assert_eq!(all.len(), 12);
    let page = s
        .control
        .list_queues_page(
            &ControlListOptions {
                fifo: Some(true),
                tags: vec![Tag::new("team", "mq")],
                ..ControlListOptions::default()
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].name, "orders");

    s.control.delete_queue("bulk-00").await.unwrap();
    assert!(
        s.data
            .get_queue_attributes("bulk-00")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let e = s.control.get_queue_attributes("bulk-00").await.unwrap_err();
    assert_eq!(code(&e), (404, "QueueNotExist".into()));
}

#[tokio::test]
async fn topic_subscription_and_account_actions() {
    let s = setup().await;
    s.control
        .create_queue("sink", &CreateQueueOptions::default())
        .await
        .unwrap();
    s.control
        .create_queue("sink-dlq", &CreateQueueOptions::default())
        .await
        .unwrap();
    let topic = CreateTopicOptions {
        topic_type: Some(TopicType::Fifo),
        max_message_size: Some(32768),
        tags: vec![Tag::new("env", "test")],
        ..CreateTopicOptions::default()
    };
    s.control.create_topic("events", &topic).await.unwrap();
    let t = s.control.get_topic_attributes("events").await.unwrap();
    assert_eq!((t.topic_type, t.max_message_size), (TopicType::Fifo, 32768));
    assert_eq!(t.tags, vec![Tag::new("env", "test")]);
    s.control
        .set_topic_attributes(
            "events",
            &TopicUpdate {
                logging_enabled: Some(true),
                ..TopicUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(
        s.control
            .get_topic_attributes("events")
            .await
            .unwrap()
            .logging_enabled
    );
    let listed: Vec<_> = s
        .control
        .list_topics(ControlListOptions::default())
        .collect()
        .await;
    assert_eq!(listed.len(), 1);

    let arn = "acs:mns:cn-hangzhou:1234567890123456:queues/sink";
    let sub = SubscribeOptions {
        notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
        dlq_policy: Some(SubscriptionDlqPolicy::enabled("sink-dlq")),
        ..SubscribeOptions::queue(arn)
    };
    s.control
        .subscribe("events", "to-sink", &sub)
        .await
        .unwrap();
    let got = s
        .control
        .get_subscription_attributes("events", "to-sink")
        .await
        .unwrap();
    assert_eq!(got.endpoint, arn);
    assert_eq!(got.notify_strategy, "EXPONENTIAL_DECAY_RETRY");
    assert_eq!(
        got.dlq_policy,
        Some(SubscriptionDlqPolicy::enabled("sink-dlq"))
    );
    s.control
        .set_subscription_attributes(
            "events",
            "to-sink",
            &SubscriptionUpdate {
                notify_strategy: Some(NotifyStrategy::BackoffRetry),
                dlq_policy: Some(SubscriptionDlqPolicy::disabled()),
                rate_limit: Some(RateLimitPolicy::per_second(5)),
            },
        )
        .await
        .unwrap();
    let got = s
        .control
        .get_subscription_attributes("events", "to-sink")
        .await
        .unwrap();
    assert_eq!(got.notify_strategy, "BACKOFF_RETRY");
    assert!(!got.dlq_policy.unwrap().enabled);
    assert_eq!(got.rate_limit, Some(RateLimitPolicy::per_second(5)));
    let subs: Vec<_> = s.control.list_subscriptions("events").collect().await;
    assert_eq!(subs.len(), 1);
    s.control.unsubscribe("events", "to-sink").await.unwrap();
    assert_eq!(
        code(
            &s.control
                .get_subscription_attributes("events", "to-sink")
                .await
                .unwrap_err()
        ),
        (404, "SubscriptionNotExist".into())
    );
    s.control.delete_topic("events").await.unwrap();
    assert_eq!(
        code(&s.control.get_topic_attributes("events").await.unwrap_err()),
        (404, "TopicNotExist".into())
    );

    let before = s.control.get_account_attributes().await.unwrap();
    assert!(!before.log_enabled);
    s.control
        .set_account_attributes(&AccountUpdate {
            log_enabled: Some(true),
            project_name: Some("p".into()),
            log_store_name: Some("l".into()),
            ..AccountUpdate::default()
        })
        .await
        .unwrap();
    let after = s.control.get_account_attributes().await.unwrap();
    assert!(after.log_enabled);
    assert_eq!(after.project_name.as_deref(), Some("p"));
}

/// Action, query parameters, expected status and code.
type HostileCase = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    u16,
    &'static str,
);

/// Hostile control-plane input: each gets its code and status, and nothing changes.
#[tokio::test]
async fn hostile_control_plane_input_changes_nothing() {
    let s = setup().await;
    s.control
        .create_queue("dlq", &CreateQueueOptions::default())
        .await
        .unwrap();
    let raw = |action: &'static str, params: Vec<(&str, &str)>| {
        let control = s.control.clone();
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        async move {
            let http = reqwest::Client::new();
            let mut p = mns_client::control::ControlParams::default();
            for (k, v) in params {
                p.query(&k, v);
            }
            let creds = Credentials::new("testid", "testsecret");
            let nonce = format!("{:032x}", rand_nonce());
            let req = control
                .prepare(
                    action,
                    &p,
                    &creds,
                    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_164_645),
                    &nonce,
                )
                .unwrap();
            let mut builder = http.post(&req.url).body(req.body.clone());
            for (n, v) in &req.headers {
                if n != "host" {
                    builder = builder.header(n, v);
                }
            }
            let resp = builder.send().await.unwrap();
            let status = resp.status().as_u16();
            let doc: serde_json::Value =
                serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
            (status, doc["Code"].as_str().unwrap_or_default().to_owned())
        }
    };
    let cases: Vec<HostileCase> = vec![
        ("CreateQueue", vec![], 400, "MissingQueueName"),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("QueueType", "lifo")],
            400,
            "InvalidQueueType",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("VisibilityTimeout", "ten")],
            400,
            "InvalidVisibilityTimeout",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("VisibilityTimeout", "0")],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("EnableLogging", "yes")],
            400,
            "InvalidEnableLogging",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("DlqPolicy", "{not json")],
            400,
            "InvalidDlqPolicy",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                ("DlqPolicy", r#"{"Enabled":true,"MaxReceiveCount":3}"#),
            ],
            400,
            "InvalidDlqPolicy",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"missing","MaxReceiveCount":3}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"q","MaxReceiveCount":3}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"dlq","MaxReceiveCount":0}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("Tag.1.Value", "v")],
            400,
            "InvalidTag",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "bad_name!")],
            400,
            "InvalidQueueName",
        ),
        (
            "SetQueueAttributes",
            vec![
                ("QueueName", "dlq"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"dlq","MaxReceiveCount":3}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "GetQueueAttributes",
            vec![("QueueName", "nope")],
            404,
            "QueueNotExist",
        ),
        ("NoSuchAction", vec![], 404, "InvalidApi.NotFound"),
        (
            "CreateEventRule",
            vec![],
            403,
            "Forbidden.FeatureNotEnabled",
        ),
    ];
    for (action, params, status, expected) in cases {
        let label = format!("{action} {params:?}");
        let got = raw(action, params).await;
        assert_eq!(got, (status, expected.to_owned()), "{label}");
    }
    // Nothing was created or changed.
    let names: Vec<_> = s
        .control
        .list_queues(ControlListOptions::default())
        .map(|r| r.unwrap().name)
        .collect()
        .await;
    assert_eq!(names, vec!["dlq".to_owned()]);
    assert_eq!(s.emu.emulator().queue_dlq_policy("dlq").unwrap(), None);
}

fn rand_nonce() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    u128::from(N.fetch_add(1, Ordering::Relaxed)) << 64 | 0xabc
}

/// A Terraform-style RPC v1 request: common parameters in the query, every business parameter
/// in the form body, `true` in lower case, signed over both (reference §2.5).
async fn rpc_call(
    endpoint: &str,
    version: &str,
    nonce: &str,
    body: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    use std::collections::BTreeMap;

    use mns_emulator::sts::rpc_signature;
    let common = [
        ("Action", "CreateQueue"),
        ("Format", "JSON"),
        ("Version", version),
        ("AccessKeyId", "testid"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", "2024-01-02T03:04:05Z"),
    ];
    let mut signed: BTreeMap<String, String> = common
        .iter()
        .chain(body)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let signature = rpc_signature::sign(
        "testsecret",
        &rpc_signature::string_to_sign("POST", &signed),
    );
    signed.clear();
    let query = {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in common {
            query.append_pair(k, v);
        }
        query.append_pair("Signature", &signature);
        query.finish()
    };
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in body {
            form.append_pair(k, v);
        }
        form.finish()
    };
    let resp = reqwest::Client::new()
        .post(format!("{endpoint}/?{query}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn terraform_style_rpc_requests_and_wrong_versions() {
    let s = setup().await;
    s.control
        .create_queue("tf-dlq", &CreateQueueOptions::default())
        .await
        .unwrap();
    let body = [
        ("QueueName", "tf-queue"),
        ("RegionId", "cn-hangzhou"),
        ("VisibilityTimeout", "45"),
        ("EnableLogging", "true"),
        (
            "DlqPolicy",
            r#"{"DeadLetterTargetQueue":"tf-dlq","Enabled":true,"MaxReceiveCount":5}"#,
        ),
    ];
    let (status, doc) = rpc_call(s.emu.endpoint(), "2015-01-01", "n-1", &body).await;
    assert_eq!(
        (status, doc["Code"].as_str()),
        (400, Some("InvalidVersion")),
        "{doc}"
    );
    assert!(s.control.get_queue_attributes("tf-queue").await.is_err());
    let (status, doc) = rpc_call(s.emu.endpoint(), "2022-01-19", "n-2", &body).await;
    assert_eq!(status, 200, "{doc}");
    let q = s.control.get_queue_attributes("tf-queue").await.unwrap();
    assert_eq!(q.visibility_timeout, 45);
    assert!(q.logging_enabled);
    assert_eq!(q.dlq_policy, Some(QueueDlqPolicy::enabled("tf-dlq", 5)));
}
