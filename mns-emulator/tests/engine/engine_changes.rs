//! Change tracking (`engine/changes.rs`): applying every `ChangeSet` in order to a row store
//! reproduces the engine's state image exactly, after every operation of a long random mix
//! (what the data directory relies on).

use std::collections::BTreeMap;

use mns_emulator::engine::__change_tracking as tracking;
use mns_emulator::engine::{
    ChangeSet, DeliveryImage, Engine, EngineConfig, MessageImage, Millis, PublishMessageInput,
    QueueAttributesInput, QueueDlqPolicy, QueueImage, QueueKind, RowChange, SendMessageInput,
    StateImage, SubscribeInput, SubscriptionDlqPolicy, SubscriptionImage, TopicAttributesInput,
    TopicImage,
};

const T0: Millis = 1_700_000_000_000;

/// The rows a store holds, keyed as the data directory keys them.
#[derive(Default)]
struct Rows {
    queues: BTreeMap<String, QueueImage>,
    messages: BTreeMap<u64, MessageImage>,
    topics: BTreeMap<String, TopicImage>,
    subscriptions: BTreeMap<(String, String), SubscriptionImage>,
    deliveries: BTreeMap<u64, DeliveryImage>,
}

impl Rows {
    fn apply(&mut self, changes: ChangeSet) {
        for op in changes.ops {
            match op {
                RowChange::Reset => *self = Rows::default(),
                RowChange::DropQueue(name) => {
                    self.queues.remove(&name);
                    self.messages.retain(|_, m| m.queue != name);
                }
                RowChange::PutQueue(q) => {
                    self.queues.insert(q.name.clone(), *q);
                }
                RowChange::PutMessage(m) => {
                    self.messages.insert(m.seq, *m);
                }
                RowChange::DeleteMessage { queue, seq } => {
                    if self.messages.get(&seq).is_some_and(|m| m.queue == queue) {
                        self.messages.remove(&seq);
                    }
                }
                RowChange::DropTopic(name) => {
                    self.topics.remove(&name);
                    self.subscriptions.retain(|(t, _), _| *t != name);
                }
                RowChange::PutTopic(t) => {
                    self.topics.insert(t.name.clone(), *t);
                }
                RowChange::PutSubscription(s) => {
                    self.subscriptions
                        .insert((s.topic.clone(), s.name.clone()), *s);
                }
                RowChange::DeleteSubscription { topic, name } => {
                    self.subscriptions.remove(&(topic, name));
                }
                RowChange::PutDelivery(d) => {
                    self.deliveries.insert(d.id, *d);
                }
                RowChange::DeleteDelivery(id) => {
                    self.deliveries.remove(&id);
                }
                other => panic!("unknown change {other:?}"),
            }
        }
    }

    /// Compares with the engine's image (globals aside: they are checked separately).
    fn assert_matches(&self, image: &StateImage, step: usize) {
        let queues: Vec<_> = self.queues.values().cloned().collect();
        assert_eq!(queues, image.queues, "queues after step {step}");
        let mut messages: Vec<_> = self.messages.values().cloned().collect();
        messages.sort_by(|a, b| (&a.queue, a.seq).cmp(&(&b.queue, b.seq)));
        assert_eq!(messages, image.messages, "messages after step {step}");
        let topics: Vec<_> = self.topics.values().cloned().collect();
        assert_eq!(topics, image.topics, "topics after step {step}");
        let subs: Vec<_> = self.subscriptions.values().cloned().collect();
        assert_eq!(subs, image.subscriptions, "subscriptions after step {step}");
        let deliveries: Vec<_> = self.deliveries.values().cloned().collect();
        assert_eq!(deliveries, image.deliveries, "deliveries after step {step}");
    }
}

/// A small deterministic generator (no test may depend on luck).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn applying_every_change_set_reproduces_the_image() {
    let mut config = EngineConfig::default();
    config.seed = Some(5);
    config.queue_deleted_recently_window = 0;
    let mut e = Engine::new(config);
    e.set_topic_account("1234567890123456", "cn-hangzhou");
    tracking::set(&mut e, true);
    let mut rows = Rows::default();
    let mut rng = Lcg(99);
    let mut now = T0;
    let mut handles: Vec<(String, String)> = Vec::new();
    let mut pushes = Vec::new();
    let queues = ["a", "b", "dlq"];
    let short = QueueAttributesInput {
        visibility_timeout: Some(5),
        message_retention_period: Some(120),
        ..QueueAttributesInput::default()
    };
    for q in queues {
        e.create_queue(q, short.clone(), now).unwrap();
    }
    e.set_queue_dlq_policy("a", Some(QueueDlqPolicy::new("dlq", 2)), now)
        .unwrap();
    e.create_queue_with(
        "f",
        QueueAttributesInput::default(),
        QueueKind::Fifo,
        None,
        now,
    )
    .unwrap();
    e.create_topic("t", TopicAttributesInput::default(), now)
        .unwrap();
    for (name, endpoint) in [
        ("to-b", "acs:mns:cn-hangzhou:1234567890123456:queues/b"),
        ("hook", "http://127.0.0.1:9/x"),
    ] {
        let sub = SubscribeInput {
            endpoint: Some(endpoint.into()),
            ..SubscribeInput::default()
        };
        e.subscribe("t", name, sub, now).unwrap();
    }
    e.set_subscription_dlq_policy("t", "hook", Some(SubscriptionDlqPolicy::new("dlq")), now)
        .unwrap();
    for step in 0..3000 {
        now += rng.next(3000);
        let q = queues[rng.next(2) as usize];
        match rng.next(14) {
            0..=2 => {
                let n = 1 + rng.next(4) as usize;
                let msgs = (0..n)
                    .map(|i| SendMessageInput {
                        delay_seconds: (rng.next(4) == 0).then_some(3),
                        priority: Some(1 + rng.next(16) as i64),
                        ..SendMessageInput::new(format!("m{step}-{i}"))
                    })
                    .collect();
                for s in e.send_messages(q, msgs, now).unwrap() {
                    if let Some(h) = s.receipt_handle {
                        handles.push((q.to_owned(), h));
                    }
                }
            }
            3..=5 => {
                for m in e
                    .receive_messages(q, 1 + rng.next(3) as usize, now)
                    .unwrap()
                {
                    handles.push((q.to_owned(), m.receipt_handle));
                }
            }
            6 | 7 if !handles.is_empty() => {
                let (q, h) = handles.swap_remove(rng.next(handles.len() as u64) as usize);
                let _ = e.delete_message(&q, &h, now);
            }
            8 if !handles.is_empty() => {
                let i = rng.next(handles.len() as u64) as usize;
                let (q, h) = handles[i].clone();
                if let Ok(c) = e.change_message_visibility(&q, &h, 1 + rng.next(9) as i64, now) {
                    handles[i].1 = c.receipt_handle;
                }
            }
            9 => {
                let m = SendMessageInput {
                    message_group_id: Some(format!("g{}", rng.next(3))),
                    ..SendMessageInput::new(format!("f{step}"))
                };
                e.send_messages("f", vec![m], now).unwrap();
                for m in e.receive_messages("f", 2, now).unwrap() {
                    handles.push(("f".to_owned(), m.receipt_handle));
                }
            }
            10 => {
                e.publish_message("t", PublishMessageInput::new(format!("p{step}")), now)
                    .unwrap();
                pushes.extend(e.run_due_deliveries(now).http);
            }
            11 if !pushes.is_empty() => {
                let p = pushes.swap_remove(0);
                let status = if rng.next(2) == 0 { 200 } else { 500 };
                e.complete_http_push(&p, now, Ok(status), now);
                pushes.extend(e.run_due_deliveries(now).http);
            }
            12 if rng.next(20) == 0 => {
                // Delete and recreate a queue in one batch.
                e.delete_queue("b", now).unwrap();
                e.create_queue("b", short.clone(), now).unwrap();
                e.send_messages("b", vec![SendMessageInput::new("fresh")], now)
                    .unwrap();
            }
            13 if rng.next(10) == 0 => {
                // Reads advance queues (delays mature, timeouts pass, retention expires).
                e.get_queue_attributes(q, now).unwrap();
                e.expire_receipt_handles("dlq").unwrap();
            }
            _ => {
                e.peek_messages(q, 4, now).unwrap();
            }
        }
        if let Some(changes) = tracking::take(&mut e) {
            let globals = changes.globals.clone();
            rows.apply(changes);
            let image = e.export_image();
            let mut expected = image.globals.clone();
            expected.high_water = globals.high_water;
            assert_eq!(globals, expected, "globals after step {step}");
            rows.assert_matches(&image, step);
        } else {
            rows.assert_matches(&e.export_image(), step);
        }
    }
    assert!(rows.messages.len() > 5, "the mix keeps some messages");
    assert!(rows.messages.values().any(|m| m.queue == "dlq"));
}

#[test]
fn a_restore_rewrites_every_row() {
    let mut config = EngineConfig::default();
    config.seed = Some(8);
    let mut source = Engine::new(config.clone());
    source
        .create_queue("kept", QueueAttributesInput::default(), T0)
        .unwrap();
    source
        .send_messages("kept", vec![SendMessageInput::new("m")], T0)
        .unwrap();
    let image = source.export_image();

    let mut e = Engine::new(config);
    tracking::set(&mut e, true);
    e.create_queue("dropped", QueueAttributesInput::default(), T0)
        .unwrap();
    let mut rows = Rows::default();
    rows.apply(tracking::take(&mut e).unwrap());
    let mut bad = image.clone();
    bad.format_version += 1;
    assert!(e.restore_image(bad).is_err());
    assert!(
        tracking::take(&mut e).is_none(),
        "a refused restore changes nothing"
    );
    e.restore_image(image.clone()).unwrap();
    let changes = tracking::take(&mut e).unwrap();
    assert_eq!(changes.ops[0], RowChange::Reset);
    rows.apply(changes);
    rows.assert_matches(&image, 0);
    assert_eq!(e.export_image(), image);
}

#[test]
fn tracking_is_off_by_default_and_reports_nothing() {
    let mut e = Engine::new(EngineConfig::default());
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    assert!(tracking::take(&mut e).is_none());
}

/// Tags, rate limits and the topic type (set only through the control-plane OpenAPI) are rows of
/// the image too: every change to them is reported, and an engine built from the image has them.
#[test]
fn control_plane_settings_are_tracked_and_restored() {
    use mns_emulator::engine::{RateLimitPolicy, ResourceTag};

    let mut config = EngineConfig::default();
    config.seed = Some(6);
    let mut e = Engine::new(config.clone());
    e.set_topic_account("1234567890123456", "cn-hangzhou");
    tracking::set(&mut e, true);
    let mut rows = Rows::default();
    let now = T0;
    e.create_queue("q", QueueAttributesInput::default(), now)
        .unwrap();
    e.create_topic_with("ft", TopicAttributesInput::default(), QueueKind::Fifo, now)
        .unwrap();
    let sub = SubscribeInput {
        endpoint: Some("acs:mns:cn-hangzhou:1234567890123456:queues/q".into()),
        ..SubscribeInput::default()
    };
    e.subscribe("ft", "s", sub, now).unwrap();
    rows.apply(tracking::take(&mut e).expect("creations are changes"));

    let steps: [&dyn Fn(&mut Engine); 4] = [
        &|e| {
            e.set_queue_tags("q", vec![ResourceTag::new("env", "dev")], now + 1)
                .unwrap()
        },
        &|e| {
            e.set_queue_rate_limit("q", Some(RateLimitPolicy::per_second(50)), now + 2)
                .unwrap()
        },
        &|e| {
            e.set_topic_tags("ft", vec![ResourceTag::new("team", "a")], now + 3)
                .unwrap()
        },
        &|e| {
            e.set_subscription_rate_limit("ft", "s", Some(RateLimitPolicy::per_second(7)), now + 4)
                .unwrap()
        },
    ];
    for (step, change) in steps.iter().enumerate() {
        change(&mut e);
        rows.apply(tracking::take(&mut e).expect("a settings change is a change"));
        rows.assert_matches(&e.export_image(), step);
    }

    let image = e.export_image();
    let restored =
        Engine::from_image(config, StateImage::decode(&image.encode()).unwrap()).unwrap();
    assert_eq!(restored.export_image(), image);
    assert_eq!(
        restored.queue_meta("q").unwrap(),
        e.queue_meta("q").unwrap()
    );
    assert_eq!(restored.topic_kind("ft").unwrap(), QueueKind::Fifo);
    assert_eq!(restored.topic_meta("ft").unwrap().tags[0].key, "team");
    assert_eq!(
        restored.subscription_meta("ft", "s").unwrap().rate_limit,
        Some(RateLimitPolicy::per_second(7))
    );
}

/// Account settings (data plane and control plane) are engine-wide state: a change to them
/// alone is a change set carrying the new globals row, so a data directory keeps it.
#[test]
fn an_account_settings_change_alone_is_reported() {
    let mut e = Engine::new(EngineConfig::default());
    tracking::set(&mut e, true);
    e.update_account_settings(|a| {
        a.logging_bucket = "logs".into();
        a.control.log_store_name = "store".into();
    });
    let changes = tracking::take(&mut e).expect("an account change is a change");
    assert!(changes.ops.is_empty());
    assert_eq!(changes.globals.account.logging_bucket, "logs");
    assert_eq!(changes.globals.account.control.log_store_name, "store");
    assert!(tracking::take(&mut e).is_none(), "reported once");
}

/// The account id and region (set when an emulator starts, e.g. on a data directory written
/// under another account) are in the globals row: changing them alone is reported.
#[test]
fn a_new_topic_account_alone_is_reported() {
    let mut e = Engine::new(EngineConfig::default());
    e.set_topic_account("111", "cn-hangzhou");
    tracking::set(&mut e, true);
    e.set_topic_account("111", "cn-hangzhou");
    assert!(
        tracking::take(&mut e).is_none(),
        "the same account changes nothing"
    );
    e.set_topic_account("222", "cn-beijing");
    let changes = tracking::take(&mut e).expect("a new account is a change");
    assert_eq!(changes.globals.account_id, "222");
    assert_eq!(changes.globals.region, "cn-beijing");
}
