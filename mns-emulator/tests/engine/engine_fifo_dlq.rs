//! FIFO queues and dead-letter queues in the sans-IO engine (reference mns-openapi-fifo-dlq §4,
//! §5), on explicit `now` values.

use mns_emulator::engine::{
    DlqMoveTiming, Engine, EngineConfig, MessageState, Millis, PublishMessageInput,
    QueueAttributesInput, QueueDlqPolicy, QueueKind, SendMessageInput, SubscribeInput,
    SubscriptionDlqPolicy, TopicAttributesInput, UserProperty,
};
use mns_emulator::error::ErrorCode;

const T0: Millis = 1_700_000_000_000;
const SEC: Millis = 1000;
/// The default visibility timeout.
const VIS: Millis = 30 * SEC;

fn config() -> EngineConfig {
    let mut c = EngineConfig::default();
    c.seed = Some(11);
    c
}

fn fifo_engine(config: EngineConfig) -> Engine {
    let mut e = Engine::new(config);
    e.create_queue_with(
        "f",
        QueueAttributesInput::default(),
        QueueKind::Fifo,
        None,
        T0,
    )
    .unwrap();
    e
}

fn grouped(body: &str, group: &str) -> SendMessageInput {
    SendMessageInput {
        message_group_id: Some(group.to_owned()),
        ..SendMessageInput::new(body)
    }
}

fn bodies(e: &mut Engine, q: &str, n: usize, now: Millis) -> Vec<(String, String)> {
    e.receive_messages(q, n, now)
        .unwrap()
        .into_iter()
        .map(|m| (m.body, m.receipt_handle))
        .collect()
}

fn names(got: &[(String, String)]) -> Vec<&str> {
    got.iter().map(|(b, _)| b.as_str()).collect()
}

#[test]
fn fifo_send_without_group_id_fails_and_stores_nothing() {
    let mut e = fifo_engine(config());
    for input in [SendMessageInput::new("x"), grouped("x", "")] {
        let err = e.send_messages("f", vec![input], T0).unwrap_err();
        assert_eq!(err.code(), &ErrorCode::FifoMissingMessageGroupId);
        assert_eq!(err.status(), 400);
    }
    // One entry without a group fails the whole batch.
    let err = e
        .send_messages("f", vec![grouped("a", "g"), SendMessageInput::new("b")], T0)
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::FifoMissingMessageGroupId);
    assert_eq!(e.queue_len("f", T0).unwrap(), 0);
    let long = "g".repeat(129);
    let err = e
        .send_messages("f", vec![grouped("a", &long)], T0)
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidArgument);
}

#[test]
fn fifo_keeps_group_order_and_locks_the_group() {
    let mut e = fifo_engine(config());
    let sent = e
        .send_messages(
            "f",
            vec![
                grouped("a1", "a"),
                grouped("b1", "b"),
                grouped("a2", "a"),
                grouped("b2", "b"),
                grouped("a3", "a"),
            ],
            T0,
        )
        .unwrap();
    assert_eq!(sent[0].message_group_id.as_deref(), Some("a"));
    // One message per group per receive; the other groups are served.
    let got = bodies(&mut e, "f", 16, T0);
    assert_eq!(names(&got), ["a1", "b1"]);
    // Both groups are locked: nothing else is handed out, though 3 messages are Active.
    assert!(e.receive_messages("f", 16, T0).unwrap().is_empty());
    assert!(e.peek_messages("f", 16, T0).unwrap().is_empty());
    let attrs = e.get_queue_attributes("f", T0).unwrap();
    assert_eq!((attrs.active_messages, attrs.inactive_messages), (3, 2));
    // Deleting a group's head releases its next message at once.
    e.delete_message("f", &got[0].1, T0 + SEC).unwrap();
    let got2 = bodies(&mut e, "f", 16, T0 + SEC);
    assert_eq!(names(&got2), ["a2"]);
    // Group b's head times out and comes back before b2, with DequeueCount 2.
    let again = e.receive_messages("f", 16, T0 + VIS + SEC).unwrap();
    let b = again
        .iter()
        .find(|m| m.message_group_id.as_deref() == Some("b"))
        .unwrap();
    assert_eq!((b.body.as_str(), b.dequeue_count), ("b1", 2));
    // a2 timed out too (received at T0+1s): it is redelivered, not a3.
    let a = again
        .iter()
        .find(|m| m.message_group_id.as_deref() == Some("a"))
        .unwrap();
    assert_eq!(a.body, "a2");
}

#[test]
fn fifo_change_visibility_extends_the_lock() {
    let mut e = fifo_engine(config());
    e.send_messages("f", vec![grouped("1", "g"), grouped("2", "g")], T0)
        .unwrap();
    let got = bodies(&mut e, "f", 1, T0);
    let changed = e
        .change_message_visibility("f", &got[0].1, 100, T0 + SEC)
        .unwrap();
    assert!(
        e.receive_messages("f", 1, T0 + 60 * SEC)
            .unwrap()
            .is_empty()
    );
    e.delete_message("f", &changed.receipt_handle, T0 + 60 * SEC)
        .unwrap();
    assert_eq!(names(&bodies(&mut e, "f", 1, T0 + 60 * SEC)), ["2"]);
}

#[test]
fn fifo_batch_may_take_several_of_one_group_when_configured() {
    let mut c = config();
    c.fifo_messages_per_group_per_receive = 2;
    let mut e = fifo_engine(c);
    e.send_messages(
        "f",
        vec![grouped("1", "g"), grouped("2", "g"), grouped("3", "g")],
        T0,
    )
    .unwrap();
    let got = bodies(&mut e, "f", 16, T0);
    assert_eq!(names(&got), ["1", "2"]);
    // Locked while either is in flight; 1 expiring first still comes back before 3.
    e.delete_message("f", &got[1].1, T0 + SEC).unwrap();
    assert!(e.receive_messages("f", 16, T0 + SEC).unwrap().is_empty());
    let got = bodies(&mut e, "f", 16, T0 + VIS);
    assert_eq!(names(&got), ["1", "3"]);
}

#[test]
fn fifo_ignores_priority_across_groups_by_default() {
    let mut e = fifo_engine(config());
    let mut urgent = grouped("late-urgent", "b");
    urgent.priority = Some(1);
    e.send_messages("f", vec![grouped("early", "a"), urgent], T0)
        .unwrap();
    assert_eq!(names(&bodies(&mut e, "f", 1, T0)), ["early"]);
}

#[test]
fn fifo_delayed_head_blocks_its_group() {
    let mut e = fifo_engine(config());
    let mut delayed = grouped("d", "g");
    delayed.delay_seconds = Some(10);
    e.send_messages("f", vec![delayed, grouped("after", "g")], T0)
        .unwrap();
    assert!(e.receive_messages("f", 16, T0).unwrap().is_empty());
    assert_eq!(e.next_wakeup("f", T0), Some(T0 + 10 * SEC));
    assert_eq!(names(&bodies(&mut e, "f", 16, T0 + 10 * SEC)), ["d"]);
}

#[test]
fn fifo_xml_create_queue_of_an_existing_fifo_queue_is_existed() {
    let mut e = fifo_engine(config());
    assert_eq!(
        e.create_queue("f", QueueAttributesInput::default(), T0)
            .unwrap(),
        mns_emulator::engine::CreateOutcome::Existed
    );
    assert_eq!(e.queue_kind("f").unwrap(), QueueKind::Fifo);
    // A control-plane create with another kind conflicts.
    let err = e
        .create_queue_with(
            "f",
            QueueAttributesInput::default(),
            QueueKind::Normal,
            None,
            T0,
        )
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::QueueAlreadyExist);
}

fn dlq_engine(config: EngineConfig, kind: QueueKind, max: u32) -> Engine {
    let mut e = Engine::new(config);
    e.set_topic_account("1234567890123456", "cn-hangzhou");
    e.create_queue_with("dlq", QueueAttributesInput::default(), kind, None, T0)
        .unwrap();
    e.create_queue_with(
        "src",
        QueueAttributesInput::default(),
        kind,
        Some(QueueDlqPolicy::new("dlq", max)),
        T0,
    )
    .unwrap();
    e
}

#[test]
fn dlq_policy_validation() {
    let mut e = dlq_engine(config(), QueueKind::Normal, 3);
    let own = e
        .set_queue_dlq_policy("src", Some(QueueDlqPolicy::new("src", 3)), T0)
        .unwrap_err();
    assert_eq!(own.code(), &ErrorCode::InvalidArgument);
    let missing = e
        .set_queue_dlq_policy("src", Some(QueueDlqPolicy::new("nope", 3)), T0)
        .unwrap_err();
    assert_eq!(missing.code(), &ErrorCode::QueueNotExist);
    for count in [0, 1001] {
        let err = e
            .set_queue_dlq_policy("src", Some(QueueDlqPolicy::new("dlq", count)), T0)
            .unwrap_err();
        assert_eq!(err.code(), &ErrorCode::InvalidArgument);
    }
    // dlq → src would close a cycle.
    let cycle = e
        .set_queue_dlq_policy("dlq", Some(QueueDlqPolicy::new("src", 3)), T0)
        .unwrap_err();
    assert_eq!(cycle.code(), &ErrorCode::InvalidArgument);
    // Kinds must match by default.
    e.create_queue_with(
        "ff",
        QueueAttributesInput::default(),
        QueueKind::Fifo,
        None,
        T0,
    )
    .unwrap();
    let kind = e
        .set_queue_dlq_policy("src", Some(QueueDlqPolicy::new("ff", 3)), T0)
        .unwrap_err();
    assert_eq!(kind.code(), &ErrorCode::InvalidArgument);
    // Failed sets changed nothing.
    assert_eq!(
        e.queue_dlq_policy("src").unwrap(),
        Some(QueueDlqPolicy::new("dlq", 3))
    );
    // A disabled policy reads back as set.
    let off = QueueDlqPolicy {
        enabled: false,
        ..QueueDlqPolicy::new("dlq", 3)
    };
    e.set_queue_dlq_policy("src", Some(off.clone()), T0)
        .unwrap();
    assert_eq!(e.queue_dlq_policy("src").unwrap(), Some(off));
}

#[test]
fn dlq_moves_after_max_receives_with_properties() {
    let mut e = dlq_engine(config(), QueueKind::Normal, 2);
    let props = vec![UserProperty {
        name: "k".into(),
        value: "v".into(),
        value_type: "STRING".into(),
    }];
    let sent = e
        .send_messages(
            "src",
            vec![SendMessageInput {
                user_properties: props.clone(),
                message_group_id: Some("grp".into()),
                ..SendMessageInput::new("poison")
            }],
            T0,
        )
        .unwrap();
    let origin = sent[0].message_id.clone();
    assert_eq!(e.receive_messages("src", 1, T0).unwrap().len(), 1);
    assert_eq!(e.receive_messages("src", 1, T0 + VIS).unwrap().len(), 1);
    // Received twice: the next receive moves it instead of delivering it.
    assert!(e.take_woken_queues().is_empty());
    assert!(
        e.receive_messages("src", 1, T0 + 2 * VIS)
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.take_woken_queues(), ["dlq"]);
    assert_eq!(e.queue_len("src", T0 + 2 * VIS).unwrap(), 0);
    let dead = e.receive_messages("dlq", 1, T0 + 2 * VIS).unwrap();
    let m = &dead[0];
    assert_eq!(m.body, "poison");
    assert_eq!(m.user_properties, props);
    assert_eq!(m.message_group_id.as_deref(), Some("grp"));
    assert_eq!(m.enqueue_time, T0, "the original enqueue time is kept");
    assert_eq!(m.dequeue_count, 1, "counting restarts in the DLQ");
    assert_ne!(m.message_id, origin);
    let prop = |n: &str| {
        m.system_properties
            .iter()
            .find(|p| p.name == n)
            .map(|p| p.value.clone())
    };
    assert_eq!(prop("DLQMessageType").as_deref(), Some("QUEUE"));
    assert_eq!(
        prop("DLQSourceArn").as_deref(),
        Some("acs:mns:cn-hangzhou:1234567890123456:queues/src")
    );
    assert_eq!(prop("DLQOriginMessageId"), Some(origin));
}

#[test]
fn dlq_retention_counts_from_the_original_enqueue_time() {
    let mut e = dlq_engine(config(), QueueKind::Normal, 1);
    e.set_queue_attributes(
        "dlq",
        QueueAttributesInput {
            message_retention_period: Some(300),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    e.send_messages("src", vec![SendMessageInput::new("x")], T0)
        .unwrap();
    e.receive_messages("src", 1, T0).unwrap();
    assert!(
        e.receive_messages("src", 1, T0 + 200 * SEC)
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.queue_len("dlq", T0 + 200 * SEC).unwrap(), 1);
    assert_eq!(e.queue_len("dlq", T0 + 300 * SEC).unwrap(), 0);
}

#[test]
fn deleting_before_the_limit_prevents_the_move_and_old_handles_die() {
    let mut e = dlq_engine(config(), QueueKind::Normal, 1);
    e.send_messages(
        "src",
        vec![SendMessageInput::new("ok"), SendMessageInput::new("bad")],
        T0,
    )
    .unwrap();
    let got = e.receive_messages("src", 2, T0).unwrap();
    let ok = got.iter().find(|m| m.body == "ok").unwrap();
    let bad = got.iter().find(|m| m.body == "bad").unwrap();
    e.delete_message("src", &ok.receipt_handle, T0).unwrap();
    assert!(e.receive_messages("src", 16, T0 + VIS).unwrap().is_empty());
    let err = e
        .delete_message("src", &bad.receipt_handle, T0 + VIS)
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::MessageNotExist);
    let dead: Vec<String> = e
        .inspect_queue("dlq", T0 + VIS)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(dead, ["bad"]);
}

#[test]
fn dlq_at_visibility_expiry_moves_without_a_source_receive() {
    let mut c = config();
    c.dlq_move_timing = DlqMoveTiming::AtVisibilityExpiry;
    let mut e = dlq_engine(c, QueueKind::Normal, 1);
    e.send_messages("src", vec![SendMessageInput::new("x")], T0)
        .unwrap();
    e.receive_messages("src", 1, T0).unwrap();
    // A poll on the DLQ knows when to look again.
    assert_eq!(e.next_wakeup("dlq", T0), Some(T0 + VIS));
    assert!(
        e.receive_messages("dlq", 1, T0 + VIS - 1)
            .unwrap()
            .is_empty()
    );
    let got = e.receive_messages("dlq", 1, T0 + VIS).unwrap();
    assert_eq!(got[0].body, "x");
    assert_eq!(e.queue_len("src", T0 + VIS).unwrap(), 0);
}

#[test]
fn fifo_dlq_releases_the_group_and_keeps_group_order() {
    let mut e = dlq_engine(config(), QueueKind::Fifo, 1);
    e.send_messages("src", vec![grouped("p", "g"), grouped("next", "g")], T0)
        .unwrap();
    assert_eq!(names(&bodies(&mut e, "src", 16, T0)), ["p"]);
    // p times out; the next receive dead-letters it and hands out its successor.
    assert_eq!(names(&bodies(&mut e, "src", 16, T0 + VIS)), ["next"]);
    let dead = e.receive_messages("dlq", 1, T0 + VIS).unwrap();
    assert_eq!(dead[0].message_group_id.as_deref(), Some("g"));
}

#[test]
fn dlq_target_deleted_later_stops_moves() {
    let mut e = dlq_engine(config(), QueueKind::Normal, 1);
    e.send_messages("src", vec![SendMessageInput::new("x")], T0)
        .unwrap();
    e.receive_messages("src", 1, T0).unwrap();
    e.delete_queue("dlq", T0).unwrap();
    let got = e.receive_messages("src", 1, T0 + VIS).unwrap();
    assert_eq!((got[0].body.as_str(), got[0].dequeue_count), ("x", 2));
}

#[test]
fn subscription_dlq_catches_the_last_failed_retry() {
    let mut e = Engine::new(config());
    e.set_topic_account("1234567890123456", "cn-hangzhou");
    e.create_queue("dlq", QueueAttributesInput::default(), T0)
        .unwrap();
    e.create_topic("t", TopicAttributesInput::default(), T0)
        .unwrap();
    e.subscribe(
        "t",
        "s",
        SubscribeInput {
            endpoint: Some("acs:mns:cn-hangzhou:1234567890123456:queues/missing".into()),
            notify_content_format: Some("SIMPLIFIED".into()),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    e.subscribe(
        "t",
        "own",
        SubscribeInput {
            endpoint: Some("acs:mns:cn-hangzhou:1234567890123456:queues/dlq".into()),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    // A subscription's DLQ cannot be its own endpoint queue.
    let err = e
        .set_subscription_dlq_policy("t", "own", Some(SubscriptionDlqPolicy::new("dlq")), T0)
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidArgument);
    e.unsubscribe("t", "own", T0).unwrap();
    e.set_subscription_dlq_policy("t", "s", Some(SubscriptionDlqPolicy::new("dlq")), T0)
        .unwrap();
    assert_eq!(
        e.subscription_dlq_policy("t", "s").unwrap(),
        Some(SubscriptionDlqPolicy::new("dlq"))
    );
    let published = e
        .publish_message("t", PublishMessageInput::new("hello"), T0)
        .unwrap();
    // BACKOFF_RETRY: 3 retries 10–20 s apart; run the schedule.
    let mut now = T0;
    while e.pending_deliveries() > 0 {
        assert_eq!(
            e.queue_len("dlq", now).unwrap(),
            0,
            "moved only after the last retry"
        );
        now = e.next_delivery_due().unwrap();
        e.run_due_deliveries(now);
    }
    assert_eq!(e.delivery_attempts().len(), 4);
    let dead = e.receive_messages("dlq", 1, now).unwrap();
    assert_eq!(dead[0].body, "hello");
    let origin = dead[0]
        .system_properties
        .iter()
        .find(|p| p.name == "DLQOriginMessageId")
        .unwrap();
    assert_eq!(origin.value, published.message_id);
    let dropped = e.dropped_notifications();
    assert!(
        dropped[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("moved to dead-letter queue dlq")
    );
}

#[test]
fn dlq_message_state_is_visible_in_snapshots() {
    let mut e = dlq_engine(config(), QueueKind::Normal, 1);
    e.send_messages("src", vec![SendMessageInput::new("x")], T0)
        .unwrap();
    e.receive_messages("src", 1, T0).unwrap();
    e.receive_messages("src", 1, T0 + VIS).unwrap();
    let snap = e.inspect_queue("dlq", T0 + VIS).unwrap();
    assert_eq!(snap[0].state, MessageState::Active);
    assert!(
        snap[0]
            .system_properties
            .iter()
            .any(|p| p.name == "DLQSourceArn")
    );
}
