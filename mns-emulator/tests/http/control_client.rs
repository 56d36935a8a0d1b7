//! `mns-client`'s control-plane client against the emulator: every queue, topic, subscription
//! and account action, pagination as a stream, the data plane seeing what the control plane set
//! (a FIFO queue with a DLQ policy behaves as one over XML). Hostile input is in
//! `control_hostile.rs`.

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

pub(crate) struct Setup {
    pub(crate) emu: RunningEmulator,
    pub(crate) clock: ManualClock,
    pub(crate) control: ControlClient,
    pub(crate) data: Client,
}

pub(crate) async fn setup() -> Setup {
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

pub(crate) fn code(e: &Error) -> (u16, String) {
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

/// The fault plan reaches the control plane: an injected `Throttling.User` comes back as the
/// OpenAPI's JSON error (the client reads its code), and a retrying client gets through.
#[tokio::test]
async fn injected_gateway_throttling_is_json_and_retried() {
    use mns_emulator::faults::{Fault, FaultPlan, FaultRule, Operation};

    let s = setup().await;
    let throttle = |times| {
        FaultPlan::seeded(1).rule(
            FaultRule::new(Fault::error(400, "Throttling.User"))
                .operation(Operation::ControlPlane)
                .resource("GetQueueAttributes")
                .times(times),
        )
    };
    s.control
        .create_queue("throttled", &CreateQueueOptions::default())
        .await
        .unwrap();

    // Without retries the caller sees the gateway's error, decoded from the JSON envelope.
    s.emu.faults().set_plan(throttle(1));
    let err = s
        .control
        .get_queue_attributes("throttled")
        .await
        .expect_err("throttled");
    let service = err.as_service().expect("a service error");
    assert_eq!(service.status, 400);
    assert_eq!(service.code.as_str(), "Throttling.User");
    assert!(!service.request_id.is_empty(), "{service:?}");
    // Only the named action is hit; nothing was changed by the refused call.
    s.control.get_account_attributes().await.unwrap();
    assert_eq!(s.emu.faults().fired_total(), 1);

    // A retrying client is throttled twice, then answered.
    s.emu.faults().set_plan(throttle(2));
    let retrying = ControlClient::builder("cn-hangzhou")
        .base_url(s.emu.endpoint())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(s.emu.clock()))
        .retry(mns_client::RetryConfig {
            max_retries: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            max_elapsed: Duration::from_secs(60),
            ..mns_client::RetryConfig::default()
        })
        .build()
        .unwrap();
    let queue = retrying.get_queue_attributes("throttled").await.unwrap();
    assert_eq!(queue.name, "throttled");
    assert_eq!(s.emu.faults().fired_total(), 2);
}

/// `CreateQueue` / `CreateTopic` on an existing name: the same tags and rate limit (in any
/// order) succeed; different ones are 409 and change nothing
/// (`openapi::CREATE_EXISTING_COMPARES_TAGS_AND_RATE_LIMIT`).
#[tokio::test]
async fn create_on_an_existing_name_compares_tags_and_rate_limit() {
    let s = setup().await;
    let options = CreateQueueOptions {
        tags: vec![Tag::new("env", "test"), Tag::new("team", "mq")],
        rate_limit: Some(RateLimitPolicy::per_second(100)),
        ..CreateQueueOptions::default()
    };
    s.control.create_queue("q", &options).await.unwrap();
    let reordered = CreateQueueOptions {
        tags: vec![Tag::new("team", "mq"), Tag::new("env", "test")],
        ..options.clone()
    };
    s.control.create_queue("q", &reordered).await.unwrap();
    for (what, changed) in [
        (
            "another tag value",
            CreateQueueOptions {
                tags: vec![Tag::new("env", "prod"), Tag::new("team", "mq")],
                ..options.clone()
            },
        ),
        (
            "no tags",
            CreateQueueOptions {
                tags: Vec::new(),
                ..options.clone()
            },
        ),
        (
            "another rate limit",
            CreateQueueOptions {
                rate_limit: Some(RateLimitPolicy::per_second(5)),
                ..options.clone()
            },
        ),
        (
            "no rate limit",
            CreateQueueOptions {
                rate_limit: None,
                ..options.clone()
            },
        ),
    ] {
        let err = s.control.create_queue("q", &changed).await.unwrap_err();
        let service = err.as_service().unwrap_or_else(|| panic!("{what}: {err}"));
        assert_eq!(
            (service.status, service.code.as_str()),
            (409, "QueueAlreadyExist"),
            "{what}"
        );
    }
    let q = s.control.get_queue_attributes("q").await.unwrap();
    assert_eq!(q.tags, options.tags, "unchanged");
    assert_eq!(q.rate_limit, options.rate_limit, "unchanged");

    let topic = CreateTopicOptions {
        tags: vec![Tag::new("env", "test")],
        ..CreateTopicOptions::default()
    };
    s.control.create_topic("t", &topic).await.unwrap();
    s.control.create_topic("t", &topic).await.unwrap();
    let other = CreateTopicOptions {
        tags: vec![Tag::new("env", "prod")],
        ..CreateTopicOptions::default()
    };
    let err = s.control.create_topic("t", &other).await.unwrap_err();
    let service = err.as_service().expect("a service error");
    assert_eq!(
        (service.status, service.code.as_str()),
        (409, "TopicAlreadyExist")
    );
    let t = s.control.get_topic_attributes("t").await.unwrap();
    assert_eq!(t.tags, topic.tags, "unchanged");
}
