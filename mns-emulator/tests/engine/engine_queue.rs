//! Behaviour of the sans-IO queue engine (reference mns-queues.md §4, §5, §8, §9), on explicit
//! `now` values: no runtime, no sleeps.

use mns_emulator::engine::{
    CreateOutcome, Engine, EngineConfig, ListRequest, MessageState, Millis, QueueAttributesInput,
    SendMessageInput, UserProperty, limits,
};
use mns_emulator::error::{ErrorCode, MnsError};

/// An arbitrary epoch-ms start time (2023-11-14).
const T0: Millis = 1_700_000_000_000;
const SEC: Millis = 1000;

fn config() -> EngineConfig {
    let mut c = EngineConfig::default();
    c.seed = Some(7);
    c
}

fn engine() -> Engine {
    Engine::new(config())
}

fn engine_with_queue(name: &str) -> Engine {
    let mut e = engine();
    e.create_queue(name, QueueAttributesInput::default(), T0)
        .unwrap();
    e
}

fn send(e: &mut Engine, q: &str, body: &str, now: Millis) -> String {
    e.send_messages(q, vec![SendMessageInput::new(body)], now)
        .unwrap()[0]
        .message_id
        .clone()
}

fn send_with(
    e: &mut Engine,
    q: &str,
    body: &str,
    priority: Option<i64>,
    delay: Option<i64>,
    now: Millis,
) {
    let mut m = SendMessageInput::new(body);
    m.priority = priority;
    m.delay_seconds = delay;
    e.send_messages(q, vec![m], now).unwrap();
}

fn bodies_received(e: &mut Engine, q: &str, max: usize, now: Millis) -> Vec<String> {
    e.receive_messages(q, max, now)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

fn assert_err(r: Result<impl std::fmt::Debug, MnsError>, code: ErrorCode, status: u16) -> MnsError {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), &code, "{e}");
    assert_eq!(e.status(), status, "{e}");
    e
}

fn counters(e: &mut Engine, q: &str, now: Millis) -> (u64, u64, u64) {
    let a = e.get_queue_attributes(q, now).unwrap();
    (a.active_messages, a.inactive_messages, a.delay_messages)
}

// ---------------------------------------------------------------- queue management

#[test]
fn create_queue_is_201_then_204_for_identical_then_409_for_different() {
    let mut e = engine();
    let mut attrs = QueueAttributesInput {
        visibility_timeout: Some(60),
        ..Default::default()
    };
    assert_eq!(
        e.create_queue("q1", attrs.clone(), T0).unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        e.create_queue("q1", attrs.clone(), T0 + SEC).unwrap(),
        CreateOutcome::Existed
    );
    attrs.visibility_timeout = Some(61);
    let err = assert_err(
        e.create_queue("q1", attrs, T0),
        ErrorCode::QueueAlreadyExist,
        409,
    );
    assert_eq!(
        err.message(),
        "The queue you want to create is already exist."
    );
    // Default config compares effective values: omitting VisibilityTimeout means 30 != 60.
    assert_err(
        e.create_queue("q1", QueueAttributesInput::default(), T0),
        ErrorCode::QueueAlreadyExist,
        409,
    );
    // The existing queue is unchanged.
    assert_eq!(
        e.get_queue_attributes("q1", T0).unwrap().visibility_timeout,
        60
    );
}

#[test]
fn create_queue_can_compare_only_given_attributes() {
    let mut c = config();
    c.create_compares_effective_values = false;
    let mut e = Engine::new(c);
    let attrs = QueueAttributesInput {
        visibility_timeout: Some(60),
        ..Default::default()
    };
    e.create_queue("q", attrs, T0).unwrap();
    assert_eq!(
        e.create_queue("q", QueueAttributesInput::default(), T0)
            .unwrap(),
        CreateOutcome::Existed
    );
    let other = QueueAttributesInput {
        delay_seconds: Some(5),
        ..Default::default()
    };
    assert_err(
        e.create_queue("q", other, T0),
        ErrorCode::QueueAlreadyExist,
        409,
    );
}

#[test]
fn create_queue_validates_name_and_attributes_and_creates_nothing_on_error() {
    let mut e = engine();
    assert_err(
        e.create_queue(&"a".repeat(121), QueueAttributesInput::default(), T0),
        ErrorCode::QueueNameLengthError,
        400,
    );
    assert_err(
        e.create_queue("", QueueAttributesInput::default(), T0),
        ErrorCode::QueueNameLengthError,
        400,
    );
    for bad in ["-q", "q_1", "q.1", "q 1", "队列"] {
        assert_err(
            e.create_queue(bad, QueueAttributesInput::default(), T0),
            ErrorCode::InvalidQueueName,
            400,
        );
    }
    type Setter = fn(&mut QueueAttributesInput, i64);
    let cases: [(Setter, i64, i64, &str); 5] = [
        (
            |a, v| a.delay_seconds = Some(v),
            0,
            604_800,
            "The value of DelaySeconds should between 0 and 604800 seconds.",
        ),
        (
            |a, v| a.maximum_message_size = Some(v),
            1024,
            65_536,
            "The value of MaximumMessageSize should between 1024 and 65536 bytes.",
        ),
        (
            |a, v| a.message_retention_period = Some(v),
            60,
            604_800,
            "The value of MessageRetentionPeriod should between 60 and 604800 seconds.",
        ),
        (
            |a, v| a.visibility_timeout = Some(v),
            1,
            43_200,
            "The value of VisibilityTimeout should between 1 and 43200 seconds.",
        ),
        (
            |a, v| a.polling_wait_seconds = Some(v),
            0,
            30,
            "The value of PollingWaitSeconds should between 0 and 30 seconds.",
        ),
    ];
    for (i, (set, lo, hi, msg)) in cases.into_iter().enumerate() {
        for bad in [lo - 1, hi + 1] {
            let mut a = QueueAttributesInput::default();
            set(&mut a, bad);
            let err = assert_err(
                e.create_queue("bad", a, T0),
                ErrorCode::InvalidArgument,
                400,
            );
            assert_eq!(err.message(), msg);
        }
        for good in [lo, hi] {
            let mut a = QueueAttributesInput::default();
            set(&mut a, good);
            let name = format!("good-{i}-{good}");
            assert_eq!(
                e.create_queue(&name, a, T0).unwrap(),
                CreateOutcome::Created
            );
        }
    }
    assert!(!e.queue_exists("bad"));
    assert_eq!(
        e.create_queue(&"a".repeat(120), QueueAttributesInput::default(), T0)
            .unwrap(),
        CreateOutcome::Created
    );
}

#[test]
fn legacy_retention_maximum_is_a_config_switch() {
    let a = QueueAttributesInput {
        message_retention_period: Some(1_296_000),
        ..Default::default()
    };
    assert_err(
        engine().create_queue("q", a.clone(), T0),
        ErrorCode::InvalidArgument,
        400,
    );
    let mut c = config();
    c.max_retention_seconds = limits::LEGACY_MAX_RETENTION_SECONDS;
    assert_eq!(
        Engine::new(c).create_queue("q", a, T0).unwrap(),
        CreateOutcome::Created
    );
}

#[test]
fn get_queue_attributes_reports_defaults_and_times_in_seconds() {
    let mut e = engine_with_queue("q");
    let a = e.get_queue_attributes("q", T0 + 5 * SEC).unwrap();
    assert_eq!(a.name, "q");
    assert_eq!(a.create_time, T0 / 1000);
    assert_eq!(a.last_modify_time, T0 / 1000);
    assert_eq!(a.delay_seconds, 0);
    assert_eq!(a.maximum_message_size, 65_536);
    assert_eq!(a.message_retention_period, 345_600);
    assert_eq!(a.visibility_timeout, 30);
    assert_eq!(a.polling_wait_seconds, 0);
    assert!(!a.logging_enabled);
    assert_eq!(
        (a.active_messages, a.inactive_messages, a.delay_messages),
        (0, 0, 0)
    );
    assert_err(
        e.get_queue_attributes("nope", T0),
        ErrorCode::QueueNotExist,
        404,
    );
}

#[test]
fn set_queue_attributes_is_a_partial_update_and_bumps_last_modify_time() {
    let mut e = engine();
    let a = QueueAttributesInput {
        visibility_timeout: Some(45),
        polling_wait_seconds: Some(10),
        ..Default::default()
    };
    e.create_queue("q", a, T0).unwrap();
    let change = QueueAttributesInput {
        delay_seconds: Some(3),
        logging_enabled: Some(true),
        ..Default::default()
    };
    e.set_queue_attributes("q", change, T0 + 60 * SEC).unwrap();
    let got = e.get_queue_attributes("q", T0 + 61 * SEC).unwrap();
    assert_eq!(got.delay_seconds, 3);
    assert!(got.logging_enabled);
    assert_eq!(
        got.visibility_timeout, 45,
        "untouched attributes keep their values"
    );
    assert_eq!(got.polling_wait_seconds, 10);
    assert_eq!(got.create_time, T0 / 1000);
    assert_eq!(got.last_modify_time, T0 / 1000 + 60);
    assert_eq!(e.polling_wait_seconds("q").unwrap(), 10);

    // An invalid value changes nothing (not even LastModifyTime).
    let bad = QueueAttributesInput {
        visibility_timeout: Some(100),
        maximum_message_size: Some(100),
        ..Default::default()
    };
    assert_err(
        e.set_queue_attributes("q", bad, T0 + 90 * SEC),
        ErrorCode::InvalidArgument,
        400,
    );
    let after = e.get_queue_attributes("q", T0 + 91 * SEC).unwrap();
    assert_eq!(after, got);

    assert_err(
        e.set_queue_attributes("nope", QueueAttributesInput::default(), T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_err(
        e.polling_wait_seconds("nope"),
        ErrorCode::QueueNotExist,
        404,
    );
}

#[test]
fn new_visibility_timeout_and_delay_apply_to_later_operations() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "before", T0);
    let change = QueueAttributesInput {
        visibility_timeout: Some(5),
        delay_seconds: Some(10),
        ..Default::default()
    };
    e.set_queue_attributes("q", change, T0).unwrap();
    let got = e.receive_messages("q", 1, T0 + SEC).unwrap();
    assert_eq!(got[0].next_visible_time, T0 + SEC + 5 * SEC);
    send(&mut e, "q", "after", T0 + SEC);
    assert_eq!(counters(&mut e, "q", T0 + SEC), (0, 1, 1));
    assert_eq!(counters(&mut e, "q", T0 + 11 * SEC), (2, 0, 0));
}

#[test]
fn delete_queue_discards_messages_and_missing_queue_is_configurable() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    e.delete_queue("q", T0).unwrap();
    assert!(!e.queue_exists("q"));
    assert_err(
        e.receive_messages("q", 1, T0),
        ErrorCode::QueueNotExist,
        404,
    );
    e.delete_queue("q", T0).unwrap(); // default: success
    // Recreating gives an empty queue.
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    assert!(e.inspect_queue("q", T0).unwrap().is_empty());

    let mut c = config();
    c.delete_missing_queue_is_error = true;
    assert_err(
        Engine::new(c).delete_queue("q", T0),
        ErrorCode::QueueNotExist,
        404,
    );
}

#[test]
fn queue_deleted_recently_window() {
    let mut e = engine_with_queue("q");
    e.delete_queue("q", T0).unwrap();
    // Off by default.
    assert_eq!(
        e.create_queue("q", QueueAttributesInput::default(), T0)
            .unwrap(),
        CreateOutcome::Created
    );

    let mut c = config();
    c.queue_deleted_recently_window = 10 * SEC;
    let mut e = Engine::new(c);
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    e.delete_queue("q", T0).unwrap();
    let err = assert_err(
        e.create_queue("q", QueueAttributesInput::default(), T0 + 9 * SEC),
        ErrorCode::QueueDeletedRecently,
        400,
    );
    assert_eq!(
        err.message(),
        "The queue you want to create is deleted recently."
    );
    assert_eq!(
        e.create_queue("q", QueueAttributesInput::default(), T0 + 10 * SEC)
            .unwrap(),
        CreateOutcome::Created
    );
}

#[test]
fn queue_quota_is_optional() {
    let mut c = config();
    c.max_queues = Some(2);
    let mut e = Engine::new(c);
    e.create_queue("a", QueueAttributesInput::default(), T0)
        .unwrap();
    e.create_queue("b", QueueAttributesInput::default(), T0)
        .unwrap();
    assert_err(
        e.create_queue("c", QueueAttributesInput::default(), T0),
        ErrorCode::Other("QueueNumExceededLimit".into()),
        400,
    );
    // Re-creating an existing one is still fine.
    assert_eq!(
        e.create_queue("a", QueueAttributesInput::default(), T0)
            .unwrap(),
        CreateOutcome::Existed
    );
}

fn list(
    e: &mut Engine,
    prefix: Option<&str>,
    marker: Option<String>,
    n: Option<i64>,
) -> (Vec<String>, Option<String>) {
    let page = e
        .list_queues(
            ListRequest {
                prefix: prefix.map(str::to_owned),
                marker,
                ret_number: n,
            },
            T0,
        )
        .unwrap();
    (
        page.queues.into_iter().map(|q| q.name).collect(),
        page.next_marker,
    )
}

#[test]
fn list_queues_sorts_filters_and_pages_with_opaque_markers() {
    let mut e = engine();
    for name in ["b-2", "a-1", "b-1", "c", "b-3", "B-0"] {
        e.create_queue(name, QueueAttributesInput::default(), T0)
            .unwrap();
    }
    assert_eq!(
        list(&mut e, None, None, None),
        (
            vec![
                "B-0".into(),
                "a-1".into(),
                "b-1".into(),
                "b-2".into(),
                "b-3".into(),
                "c".into()
            ],
            None
        )
    );
    assert_eq!(
        list(&mut e, Some("b-"), None, None).0,
        ["b-1", "b-2", "b-3"]
    );
    assert_eq!(list(&mut e, Some("zzz"), None, None), (vec![], None));

    // Page through the prefix two at a time.
    let (page1, m1) = list(&mut e, Some("b-"), None, Some(2));
    assert_eq!(page1, ["b-1", "b-2"]);
    let m1 = m1.expect("more pages");
    assert!(!m1.contains("b-3"), "marker is opaque");
    let (page2, m2) = list(&mut e, Some("b-"), Some(m1), Some(2));
    assert_eq!(page2, ["b-3"]);
    assert_eq!(m2, None);

    // Exactly filling a page gives no marker.
    assert_eq!(list(&mut e, Some("b-"), None, Some(3)).1, None);
    // Page through everything one by one.
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let (names, next) = list(&mut e, None, marker, Some(1));
        all.extend(names);
        match next {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    assert_eq!(all.len(), 6);

    for bad in [0, 1001, -1] {
        let err = assert_err(
            e.list_queues(
                ListRequest {
                    ret_number: Some(bad),
                    ..Default::default()
                },
                T0,
            ),
            ErrorCode::InvalidArgument,
            400,
        );
        assert_eq!(
            err.message(),
            "The value of x-mns-ret-number should between 1 and 1000"
        );
    }
    assert_eq!(list(&mut e, None, None, Some(1000)).0.len(), 6);
    assert_err(
        e.list_queues(
            ListRequest {
                marker: Some("%%%".into()),
                ..Default::default()
            },
            T0,
        ),
        ErrorCode::InvalidArgument,
        400,
    );
}

#[test]
fn list_queues_carries_attributes_and_counters() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "x", T0);
    let page = e.list_queues(ListRequest::default(), T0).unwrap();
    assert_eq!(page.queues[0].active_messages, 1);
    assert_eq!(page.queues[0].visibility_timeout, 30);
}

// ---------------------------------------------------------------- send / receive

#[test]
fn send_returns_id_and_md5_and_receive_returns_the_message() {
    let mut e = engine_with_queue("q");
    let sent = e
        .send_messages("q", vec![SendMessageInput::new("hello world")], T0)
        .unwrap();
    assert_eq!(sent.len(), 1);
    let s = &sent[0];
    assert_eq!(s.message_id.len(), 32);
    assert!(
        s.message_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    );
    assert_eq!(s.body_md5, "5EB63BBBE01EEED093CB22BB8F5ACDC3");
    assert_eq!(
        s.receipt_handle, None,
        "no handle for a message that is not delayed"
    );

    let got = e.receive_messages("q", 1, T0 + 2 * SEC).unwrap();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.message_id, s.message_id);
    assert_eq!(m.body, "hello world");
    assert_eq!(m.body_md5, s.body_md5);
    assert_eq!(m.enqueue_time, T0);
    assert_eq!(m.first_dequeue_time, T0 + 2 * SEC);
    assert_eq!(m.next_visible_time, T0 + 2 * SEC + 30 * SEC);
    assert_eq!(m.dequeue_count, 1);
    assert_eq!(m.priority, 8);
    assert!(!m.receipt_handle.is_empty());
    assert!(
        m.receipt_handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    );

    // Nothing else visible: empty, not an error.
    assert!(
        e.receive_messages("q", 16, T0 + 3 * SEC)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn message_ids_are_unique() {
    let mut e = engine_with_queue("q");
    let mut ids = std::collections::HashSet::new();
    for i in 0..1000 {
        assert!(ids.insert(send(&mut e, "q", &format!("m{i}"), T0)));
    }
}

#[test]
fn unicode_body_and_properties_survive() {
    let mut e = engine_with_queue("q");
    let mut m = SendMessageInput::new("I am 测试字符串.");
    m.user_properties.push(UserProperty {
        name: "city".into(),
        value: "hangzhou".into(),
        value_type: "STRING".into(),
    });
    m.message_group_id = Some("g1".into());
    let sent = e.send_messages("q", vec![m], T0).unwrap();
    assert_eq!(sent[0].body_md5, "9D75198CAA17528AB23790C1861987AF");
    assert_eq!(sent[0].message_group_id.as_deref(), Some("g1"));
    let peeked = e.peek_messages("q", 1, T0).unwrap();
    assert_eq!(peeked[0].user_properties[0].value, "hangzhou");
    let got = e.receive_messages("q", 1, T0).unwrap();
    assert_eq!(got[0].body, "I am 测试字符串.");
    assert_eq!(got[0].user_properties[0].name, "city");
    assert_eq!(got[0].message_group_id.as_deref(), Some("g1"));
}

#[test]
fn priority_one_is_served_first_and_equal_priorities_in_send_order() {
    let mut e = engine_with_queue("q");
    send_with(&mut e, "q", "p8-a", None, None, T0);
    send_with(&mut e, "q", "p16", Some(16), None, T0);
    send_with(&mut e, "q", "p1-a", Some(1), None, T0 + 1);
    send_with(&mut e, "q", "p8-b", Some(8), None, T0 + 2);
    send_with(&mut e, "q", "p1-b", Some(1), None, T0 + 3);
    send_with(&mut e, "q", "p8-c", None, None, T0 + 4);
    let peeked: Vec<_> = e
        .peek_messages("q", 16, T0 + 5)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    let expected = ["p1-a", "p1-b", "p8-a", "p8-b", "p8-c", "p16"];
    assert_eq!(peeked, expected);
    assert_eq!(bodies_received(&mut e, "q", 2, T0 + 5), ["p1-a", "p1-b"]);
    assert_eq!(
        bodies_received(&mut e, "q", 16, T0 + 5),
        ["p8-a", "p8-b", "p8-c", "p16"]
    );
}

#[test]
fn fifo_within_a_priority_across_many_messages() {
    let mut e = engine_with_queue("q");
    for i in 0..100 {
        send(&mut e, "q", &format!("{i:03}"), T0 + i);
    }
    let mut got = Vec::new();
    while got.len() < 100 {
        got.extend(bodies_received(&mut e, "q", 16, T0 + 200));
    }
    let expected: Vec<String> = (0..100).map(|i| format!("{i:03}")).collect();
    assert_eq!(got, expected);
}

#[test]
fn batch_receive_returns_what_is_available_up_to_max() {
    let mut e = engine_with_queue("q");
    for i in 0..3 {
        send(&mut e, "q", &i.to_string(), T0);
    }
    assert_eq!(e.receive_messages("q", 16, T0).unwrap().len(), 3);
    for bad in [0, 17] {
        let err = assert_err(
            e.receive_messages("q", bad, T0),
            ErrorCode::InvalidArgument,
            400,
        );
        assert_eq!(
            err.message(),
            "The value of numOfMessages should between 1 and 16"
        );
        assert_err(
            e.peek_messages("q", bad, T0),
            ErrorCode::InvalidArgument,
            400,
        );
    }
}

// ---------------------------------------------------------------- delay

#[test]
fn delayed_messages_become_visible_when_the_delay_passes() {
    let mut e = engine_with_queue("q");
    let mut m = SendMessageInput::new("later");
    m.delay_seconds = Some(10);
    let sent = e.send_messages("q", vec![m], T0).unwrap();
    assert!(
        sent[0].receipt_handle.is_some(),
        "delayed sends return a receipt handle"
    );
    assert_eq!(counters(&mut e, "q", T0), (0, 0, 1));
    assert!(
        e.receive_messages("q", 1, T0 + 10 * SEC - 1)
            .unwrap()
            .is_empty()
    );
    assert!(
        e.peek_messages("q", 1, T0 + 10 * SEC - 1)
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.next_wakeup("q", T0), Some(T0 + 10 * SEC));
    assert_eq!(counters(&mut e, "q", T0 + 10 * SEC), (1, 0, 0));
    let got = e.receive_messages("q", 1, T0 + 10 * SEC).unwrap();
    assert_eq!(got[0].body, "later");
    assert_eq!(got[0].enqueue_time, T0);
    assert_eq!(got[0].dequeue_count, 1);
}

#[test]
fn queue_delay_applies_when_the_message_has_none_and_message_delay_overrides_it() {
    let mut e = engine();
    let a = QueueAttributesInput {
        delay_seconds: Some(5),
        ..Default::default()
    };
    e.create_queue("q", a, T0).unwrap();
    send_with(&mut e, "q", "queue-delay", None, None, T0);
    send_with(&mut e, "q", "no-delay", None, Some(0), T0);
    send_with(&mut e, "q", "long-delay", None, Some(20), T0);
    assert_eq!(bodies_received(&mut e, "q", 16, T0), ["no-delay"]);
    assert_eq!(
        bodies_received(&mut e, "q", 16, T0 + 5 * SEC),
        ["queue-delay"]
    );
    assert!(
        e.receive_messages("q", 16, T0 + 19 * SEC)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        bodies_received(&mut e, "q", 16, T0 + 20 * SEC),
        ["long-delay"]
    );
}

#[test]
fn delayed_send_handle_can_delete_while_delayed_by_default() {
    let mut e = engine_with_queue("q");
    let mut m = SendMessageInput::new("d");
    m.delay_seconds = Some(10);
    let h = e.send_messages("q", vec![m.clone()], T0).unwrap()[0]
        .receipt_handle
        .clone()
        .unwrap();
    e.delete_message("q", &h, T0 + SEC).unwrap();
    assert!(e.inspect_queue("q", T0 + SEC).unwrap().is_empty());
    assert_err(
        e.delete_message("q", &h, T0 + SEC),
        ErrorCode::MessageNotExist,
        404,
    );

    // Once the delay has passed the send handle is stale.
    let h = e.send_messages("q", vec![m.clone()], T0 + SEC).unwrap()[0]
        .receipt_handle
        .clone()
        .unwrap();
    assert_err(
        e.delete_message("q", &h, T0 + 11 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );

    let mut c = config();
    c.delayed_send_handle_valid = false;
    let mut e = Engine::new(c);
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    let h = e.send_messages("q", vec![m], T0).unwrap()[0]
        .receipt_handle
        .clone()
        .unwrap();
    assert_err(
        e.delete_message("q", &h, T0 + SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_eq!(e.inspect_queue("q", T0 + SEC).unwrap().len(), 1);
}

#[test]
fn change_visibility_with_send_handle_moves_the_delay() {
    let mut e = engine_with_queue("q");
    let mut m = SendMessageInput::new("d");
    m.delay_seconds = Some(10);
    let h = e.send_messages("q", vec![m], T0).unwrap()[0]
        .receipt_handle
        .clone()
        .unwrap();
    let changed = e.change_message_visibility("q", &h, 100, T0 + SEC).unwrap();
    assert_eq!(changed.next_visible_time, T0 + 101 * SEC);
    assert_eq!(counters(&mut e, "q", T0 + 50 * SEC), (0, 0, 1));
    assert_eq!(counters(&mut e, "q", T0 + 101 * SEC), (1, 0, 0));
}

// ---------------------------------------------------------------- visibility

#[test]
fn received_message_reappears_after_visibility_timeout_with_new_handle() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    let first = e.receive_messages("q", 1, T0 + SEC).unwrap().remove(0);
    assert!(
        e.receive_messages("q", 1, T0 + 30 * SEC)
            .unwrap()
            .is_empty()
    );
    assert!(
        e.peek_messages("q", 1, T0 + 30 * SEC).unwrap().is_empty(),
        "peek shows Active only"
    );
    assert_eq!(e.next_wakeup("q", T0 + 2 * SEC), Some(T0 + 31 * SEC));
    let second = e.receive_messages("q", 1, T0 + 31 * SEC).unwrap().remove(0);
    assert_eq!(second.message_id, first.message_id);
    assert_eq!(second.dequeue_count, 2);
    assert_eq!(
        second.first_dequeue_time,
        T0 + SEC,
        "first dequeue time is kept"
    );
    assert_eq!(second.next_visible_time, T0 + 61 * SEC);
    assert_ne!(second.receipt_handle, first.receipt_handle);
    // The first handle is stale: 404 MessageNotExist, not 400.
    let err = assert_err(
        e.delete_message("q", &first.receipt_handle, T0 + 32 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_eq!(
        err.message(),
        "The receipt handle you provided has expired."
    );
    e.delete_message("q", &second.receipt_handle, T0 + 32 * SEC)
        .unwrap();
    assert!(e.inspect_queue("q", T0 + 100 * SEC).unwrap().is_empty());
}

#[test]
fn handle_expires_when_visibility_timeout_passes_even_without_a_new_receive() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    assert_err(
        e.delete_message("q", &m.receipt_handle, T0 + 30 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_err(
        e.change_message_visibility("q", &m.receipt_handle, 10, T0 + 30 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    // One millisecond before, it would have worked.
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    e.delete_message("q", &m.receipt_handle, T0 + 30 * SEC - 1)
        .unwrap();
}

#[test]
fn change_visibility_issues_new_handle_and_invalidates_the_old_one() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    let changed = e
        .change_message_visibility("q", &m.receipt_handle, 100, T0 + 20 * SEC)
        .unwrap();
    assert_eq!(
        changed.next_visible_time,
        T0 + 120 * SEC,
        "counted from the call"
    );
    assert_ne!(changed.receipt_handle, m.receipt_handle);
    assert_err(
        e.delete_message("q", &m.receipt_handle, T0 + 21 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_err(
        e.change_message_visibility("q", &m.receipt_handle, 5, T0 + 21 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    // Still invisible after the original 30 s.
    assert!(
        e.receive_messages("q", 1, T0 + 119 * SEC)
            .unwrap()
            .is_empty()
    );
    let snap = e.inspect_queue("q", T0 + 119 * SEC).unwrap();
    assert_eq!(snap[0].state, MessageState::Inactive);
    assert_eq!(snap[0].dequeue_count, 1, "DequeueCount unchanged");
    assert_eq!(
        snap[0].receipt_handle.as_deref(),
        Some(changed.receipt_handle.as_str())
    );
    // It can also be shortened.
    let again = e
        .change_message_visibility("q", &changed.receipt_handle, 1, T0 + 119 * SEC)
        .unwrap();
    assert_eq!(again.next_visible_time, T0 + 120 * SEC);
    let back = e
        .receive_messages("q", 1, T0 + 120 * SEC)
        .unwrap()
        .remove(0);
    assert_eq!(back.dequeue_count, 2);
    assert_err(
        e.delete_message("q", &again.receipt_handle, T0 + 120 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    e.delete_message("q", &back.receipt_handle, T0 + 120 * SEC)
        .unwrap();
}

#[test]
fn change_visibility_validates_the_timeout() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    for bad in [0, -1, 43_201] {
        let err = assert_err(
            e.change_message_visibility("q", &m.receipt_handle, bad, T0),
            ErrorCode::InvalidArgument,
            400,
        );
        assert_eq!(
            err.message(),
            "The value of VisibilityTimeout should between 1 and 43200 seconds."
        );
    }
    let c = e
        .change_message_visibility("q", &m.receipt_handle, 43_200, T0)
        .unwrap();
    assert_eq!(c.next_visible_time, T0 + 43_200 * SEC);
    assert_err(
        e.change_message_visibility("q", "garbage", 10, T0),
        ErrorCode::ReceiptHandleError,
        400,
    );
    assert_err(
        e.change_message_visibility("nope", &c.receipt_handle, 10, T0),
        ErrorCode::QueueNotExist,
        404,
    );
}

#[test]
fn change_visibility_zero_is_a_config_switch_and_makes_the_message_visible() {
    let mut c = config();
    c.change_visibility_allows_zero = true;
    let mut e = Engine::new(c);
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    let changed = e
        .change_message_visibility("q", &m.receipt_handle, 0, T0 + SEC)
        .unwrap();
    assert_eq!(changed.next_visible_time, T0 + SEC);
    assert_eq!(counters(&mut e, "q", T0 + SEC), (1, 0, 0));
    assert_eq!(bodies_received(&mut e, "q", 1, T0 + SEC), ["m"]);
}

// ---------------------------------------------------------------- delete

#[test]
fn delete_with_garbage_stale_or_foreign_handles() {
    let mut e = engine_with_queue("q");
    e.create_queue("other", QueueAttributesInput::default(), T0)
        .unwrap();
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    for garbage in [
        "",
        "garbage",
        "1-abc",
        "8-0zxjHBaWtzPz8zphz0z6OGz5yWWidU1fJM",
    ] {
        let err = assert_err(
            e.delete_message("q", garbage, T0),
            ErrorCode::ReceiptHandleError,
            400,
        );
        assert_eq!(
            err.message(),
            "The receipt handle you provide is not valid."
        );
    }
    // A handle from another engine was never issued here.
    let mut other_engine = Engine::new({
        let mut c = config();
        c.seed = Some(8);
        c
    });
    other_engine
        .create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    send(&mut other_engine, "q", "x", T0);
    let foreign = other_engine
        .receive_messages("q", 1, T0)
        .unwrap()
        .remove(0)
        .receipt_handle;
    assert_err(
        e.delete_message("q", &foreign, T0),
        ErrorCode::ReceiptHandleError,
        400,
    );
    // A valid handle used on another queue of this engine designates no message there.
    assert_err(
        e.delete_message("other", &m.receipt_handle, T0),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_err(
        e.delete_message("nope", &m.receipt_handle, T0),
        ErrorCode::QueueNotExist,
        404,
    );
    // Delete, then delete again.
    e.delete_message("q", &m.receipt_handle, T0).unwrap();
    let err = assert_err(
        e.delete_message("q", &m.receipt_handle, T0),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_eq!(err.message(), "Message not exist.");
    assert_err(
        e.change_message_visibility("q", &m.receipt_handle, 10, T0),
        ErrorCode::MessageNotExist,
        404,
    );
}

#[test]
fn batch_delete_deletes_good_handles_and_reports_each_bad_one() {
    let mut e = engine_with_queue("q");
    for i in 0..4 {
        send(&mut e, "q", &i.to_string(), T0);
    }
    let got = e.receive_messages("q", 4, T0).unwrap();
    // Make got[1]'s handle stale by changing its visibility.
    let fresh = e
        .change_message_visibility("q", &got[1].receipt_handle, 60, T0)
        .unwrap();
    let handles = vec![
        got[0].receipt_handle.clone(),
        got[1].receipt_handle.clone(),
        "garbage".to_owned(),
        got[2].receipt_handle.clone(),
        got[2].receipt_handle.clone(),
    ];
    let failures = e.batch_delete_messages("q", &handles, T0 + SEC).unwrap();
    let summary: Vec<_> = failures
        .iter()
        .map(|f| (f.receipt_handle.as_str(), f.error.code().clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (got[1].receipt_handle.as_str(), ErrorCode::MessageNotExist),
            ("garbage", ErrorCode::ReceiptHandleError),
            (got[2].receipt_handle.as_str(), ErrorCode::MessageNotExist),
        ]
    );
    assert_eq!(
        failures[1].error.message(),
        "The receipt handle you provide is not valid."
    );
    let left: Vec<_> = e
        .inspect_queue("q", T0 + SEC)
        .unwrap()
        .into_iter()
        .map(|s| s.body)
        .collect();
    assert_eq!(left, ["1", "3"]);
    // All good → no failures.
    let ok = e
        .batch_delete_messages(
            "q",
            &[fresh.receipt_handle, got[3].receipt_handle.clone()],
            T0 + SEC,
        )
        .unwrap();
    assert!(ok.is_empty());
    assert!(e.inspect_queue("q", T0 + SEC).unwrap().is_empty());
    // Whole-request errors.
    assert_err(
        e.batch_delete_messages("q", &[], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    let many = vec!["x".to_owned(); 17];
    assert_err(
        e.batch_delete_messages("q", &many, T0),
        ErrorCode::InvalidArgument,
        400,
    );
    assert_err(
        e.batch_delete_messages("nope", &handles, T0),
        ErrorCode::QueueNotExist,
        404,
    );
}

// ---------------------------------------------------------------- peek

#[test]
fn peek_has_no_side_effects_and_shows_active_messages_only() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "a", T0);
    send(&mut e, "q", "b", T0 + 1);
    send_with(&mut e, "q", "delayed", None, Some(60), T0 + 2);
    let before = e.inspect_queue("q", T0 + 3).unwrap();
    let p1 = e.peek_messages("q", 16, T0 + 3).unwrap();
    let p2 = e.peek_messages("q", 16, T0 + 3).unwrap();
    assert_eq!(p1, p2);
    assert_eq!(
        p1.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(p1[0].dequeue_count, 0);
    assert_eq!(
        p1[0].first_dequeue_time, p1[0].enqueue_time,
        "never dequeued: FirstDequeueTime = EnqueueTime"
    );
    assert_eq!(e.inspect_queue("q", T0 + 3).unwrap(), before);
    // Receive one; peek now shows only the other.
    e.receive_messages("q", 1, T0 + 4).unwrap();
    let p3 = e.peek_messages("q", 16, T0 + 4).unwrap();
    assert_eq!(p3.len(), 1);
    assert_eq!(p3[0].body, "b");
    assert_err(
        e.peek_messages("nope", 1, T0),
        ErrorCode::QueueNotExist,
        404,
    );
    // After the visibility timeout the peeked message shows its dequeue data.
    let p4 = e.peek_messages("q", 1, T0 + 4 + 30 * SEC).unwrap();
    assert_eq!(p4[0].body, "a");
    assert_eq!(p4[0].dequeue_count, 1);
    assert_eq!(p4[0].first_dequeue_time, T0 + 4);
}

// ---------------------------------------------------------------- retention

#[test]
fn retention_deletes_messages_in_every_state() {
    let mut e = engine();
    let a = QueueAttributesInput {
        message_retention_period: Some(60),
        visibility_timeout: Some(43_200),
        ..Default::default()
    };
    e.create_queue("q", a, T0).unwrap();
    send(&mut e, "q", "active", T0);
    send(&mut e, "q", "inactive", T0);
    send_with(&mut e, "q", "delayed", None, Some(3600), T0);
    let received = e.receive_messages("q", 1, T0).unwrap();
    assert_eq!(received.len(), 1);
    let inactive = e.receive_messages("q", 1, T0 + SEC).unwrap().remove(0);
    assert_eq!(inactive.body, "inactive");
    e.change_message_visibility("q", &received[0].receipt_handle, 1, T0 + SEC)
        .unwrap();
    assert_eq!(counters(&mut e, "q", T0 + 2 * SEC), (1, 1, 1));
    assert_eq!(counters(&mut e, "q", T0 + 60 * SEC - 1), (1, 1, 1));
    // now >= enqueue + retention: everything is gone.
    assert_eq!(counters(&mut e, "q", T0 + 60 * SEC), (0, 0, 0));
    assert!(e.inspect_queue("q", T0 + 60 * SEC).unwrap().is_empty());
    assert!(
        e.receive_messages("q", 16, T0 + 60 * SEC)
            .unwrap()
            .is_empty()
    );
    assert!(e.peek_messages("q", 16, T0 + 60 * SEC).unwrap().is_empty());
    assert_err(
        e.delete_message("q", &inactive.receipt_handle, T0 + 60 * SEC),
        ErrorCode::MessageNotExist,
        404,
    );
    assert_eq!(e.next_wakeup("q", T0 + 60 * SEC), None);
}

#[test]
fn retention_is_rolling_per_message() {
    let mut e = engine();
    let a = QueueAttributesInput {
        message_retention_period: Some(60),
        ..Default::default()
    };
    e.create_queue("q", a, T0).unwrap();
    for i in 0..5 {
        send(&mut e, "q", &i.to_string(), T0 + i * 10 * SEC);
    }
    let left: Vec<_> = e
        .inspect_queue("q", T0 + 80 * SEC)
        .unwrap()
        .into_iter()
        .map(|s| s.body)
        .collect();
    assert_eq!(left, ["3", "4"]);
    let snap = e.inspect_queue("q", T0 + 80 * SEC).unwrap();
    assert_eq!(snap[0].expires_at, T0 + 30 * SEC + 60 * SEC);
}

#[test]
fn shortening_retention_expires_old_messages() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "old", T0);
    send(&mut e, "q", "new", T0 + 100 * SEC);
    let a = QueueAttributesInput {
        message_retention_period: Some(60),
        ..Default::default()
    };
    e.set_queue_attributes("q", a, T0 + 120 * SEC).unwrap();
    assert_eq!(bodies_received(&mut e, "q", 16, T0 + 120 * SEC), ["new"]);
}

// ---------------------------------------------------------------- counters

#[test]
fn counters_are_exact_through_every_transition() {
    let mut e = engine_with_queue("q");
    assert_eq!(counters(&mut e, "q", T0), (0, 0, 0));
    for i in 0..5 {
        send(&mut e, "q", &i.to_string(), T0);
    }
    send_with(&mut e, "q", "d1", None, Some(10), T0);
    send_with(&mut e, "q", "d2", None, Some(20), T0);
    assert_eq!(counters(&mut e, "q", T0), (5, 0, 2));
    let got = e.receive_messages("q", 3, T0).unwrap();
    assert_eq!(counters(&mut e, "q", T0), (2, 3, 2));
    e.delete_message("q", &got[0].receipt_handle, T0).unwrap();
    assert_eq!(counters(&mut e, "q", T0), (2, 2, 2));
    assert_eq!(counters(&mut e, "q", T0 + 10 * SEC), (3, 2, 1));
    assert_eq!(counters(&mut e, "q", T0 + 30 * SEC), (6, 0, 0));
    let mut c = config();
    c.report_message_counts = false;
    let mut e = Engine::new(c);
    e.create_queue("q", QueueAttributesInput::default(), T0)
        .unwrap();
    send(&mut e, "q", "x", T0);
    assert_eq!(counters(&mut e, "q", T0), (0, 0, 0));
}

// ---------------------------------------------------------------- limits on send

#[test]
fn send_validates_body_priority_and_delay() {
    let mut e = engine();
    let a = QueueAttributesInput {
        maximum_message_size: Some(1024),
        ..Default::default()
    };
    e.create_queue("q", a, T0).unwrap();
    let err = assert_err(
        e.send_messages("q", vec![SendMessageInput::new("")], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    assert_eq!(
        err.message(),
        "The value of MessageBody should between 1 and 1024 bytes."
    );
    assert_err(
        e.send_messages("q", vec![SendMessageInput::new("x".repeat(1025))], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    e.send_messages("q", vec![SendMessageInput::new("x".repeat(1024))], T0)
        .unwrap();
    // Size counts UTF-8 bytes.
    assert_err(
        e.send_messages("q", vec![SendMessageInput::new("é".repeat(513))], T0),
        ErrorCode::InvalidArgument,
        400,
    );

    for bad in [0, 17, -1] {
        let mut m = SendMessageInput::new("x");
        m.priority = Some(bad);
        let err = assert_err(
            e.send_messages("q", vec![m], T0),
            ErrorCode::InvalidArgument,
            400,
        );
        assert_eq!(
            err.message(),
            "The value of Priority should between 1 and 16"
        );
    }
    for bad in [-1, 604_801] {
        let mut m = SendMessageInput::new("x");
        m.delay_seconds = Some(bad);
        let err = assert_err(
            e.send_messages("q", vec![m], T0),
            ErrorCode::InvalidArgument,
            400,
        );
        assert_eq!(
            err.message(),
            "The value of DelaySeconds should between 0 and 604800 seconds."
        );
    }
    let mut m = SendMessageInput::new("x");
    m.delay_seconds = Some(604_800);
    m.priority = Some(16);
    e.send_messages("q", vec![m], T0).unwrap();
    assert_err(
        e.send_messages("nope", vec![SendMessageInput::new("x")], T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_eq!(e.inspect_queue("q", T0).unwrap().len(), 2);
}

#[test]
fn send_validates_user_properties() {
    let mut e = engine_with_queue("q");
    let prop = |name: &str, value: &str, ty: &str| UserProperty {
        name: name.into(),
        value: value.into(),
        value_type: ty.into(),
    };
    let bad_sets = vec![
        vec![prop(".a", "v", "STRING")],
        vec![prop("a..b", "v", "STRING")],
        vec![prop("a b", "v", "STRING")],
        vec![prop("", "v", "STRING")],
        vec![prop("a", "v", "STRING"), prop("a", "w", "STRING")],
        vec![prop("a", &"v".repeat(4097), "STRING")],
        vec![prop("a", "v", "DATE")],
        (0..51)
            .map(|i| prop(&format!("p{i}"), "v", "NUMBER"))
            .collect(),
    ];
    for props in bad_sets {
        let mut m = SendMessageInput::new("x");
        m.user_properties = props;
        assert_err(
            e.send_messages("q", vec![m], T0),
            ErrorCode::InvalidArgument,
            400,
        );
    }
    let mut m = SendMessageInput::new("x");
    m.user_properties = (0..50)
        .map(|i| prop(&format!("p_{i}.x-y"), "1", "NUMBER"))
        .collect();
    e.send_messages("q", vec![m], T0).unwrap();
}

#[test]
fn batch_send_is_validated_as_a_whole_before_anything_is_stored() {
    let mut e = engine_with_queue("q");
    let good = SendMessageInput::new("ok");
    let mut bad = SendMessageInput::new("bad");
    bad.priority = Some(0);
    let err = assert_err(
        e.send_messages("q", vec![good.clone(), bad, good.clone()], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    assert_eq!(
        err.message(),
        "The value of Priority should between 1 and 16"
    );
    assert!(
        e.inspect_queue("q", T0).unwrap().is_empty(),
        "nothing stored"
    );

    assert_err(
        e.send_messages("q", vec![], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    assert_err(
        e.send_messages("q", vec![good.clone(); 17], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    // Two 40 KB bodies: each fits the queue's 64 KB limit, together they exceed the 64 KB batch limit.
    let big = SendMessageInput::new("x".repeat(40_000));
    assert_err(
        e.send_messages("q", vec![big.clone(), big.clone()], T0),
        ErrorCode::InvalidArgument,
        400,
    );
    assert!(e.inspect_queue("q", T0).unwrap().is_empty());

    let sent = e.send_messages("q", vec![good; 16], T0).unwrap();
    assert_eq!(sent.len(), 16);
    let got = e.receive_messages("q", 16, T0).unwrap();
    let ids: Vec<_> = got.iter().map(|m| m.message_id.clone()).collect();
    let sent_ids: Vec<_> = sent.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids, sent_ids, "batch entries keep their order");
    let exactly = SendMessageInput::new("x".repeat(limits::MAX_BATCH_SEND_BYTES / 2));
    e.send_messages("q", vec![exactly.clone(), exactly], T0)
        .unwrap();
}

// ---------------------------------------------------------------- wake-ups, inspection, hooks

#[test]
fn next_wakeup_reports_the_earliest_visibility_change() {
    let mut e = engine_with_queue("q");
    assert_eq!(e.next_wakeup("q", T0), None);
    assert_eq!(e.next_wakeup("nope", T0), None);
    send_with(&mut e, "q", "d", None, Some(50), T0);
    send(&mut e, "q", "m", T0);
    assert_eq!(
        e.next_wakeup("q", T0),
        Some(T0),
        "a visible message: wake now"
    );
    e.receive_messages("q", 1, T0 + SEC).unwrap(); // inactive until T0 + 31 s
    assert_eq!(e.next_wakeup("q", T0 + SEC), Some(T0 + 31 * SEC));
    assert_eq!(
        e.receive_messages("q", 1, T0 + 31 * SEC).unwrap()[0].body,
        "m"
    );
    assert_eq!(e.next_wakeup("q", T0 + 31 * SEC), Some(T0 + 50 * SEC));
}

#[test]
fn inspect_queue_lists_every_message_with_state_and_handle() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "active", T0);
    send(&mut e, "q", "inactive", T0);
    let mut d = SendMessageInput::new("delayed");
    d.delay_seconds = Some(10);
    d.priority = Some(3);
    let dh = e.send_messages("q", vec![d], T0).unwrap()[0]
        .receipt_handle
        .clone();
    // Receive "active" first then let the second receive take "inactive"... priority order is send order here.
    let first = e.receive_messages("q", 1, T0).unwrap().remove(0);
    e.change_message_visibility("q", &first.receipt_handle, 1, T0)
        .unwrap();
    let second = e.receive_messages("q", 1, T0 + 500).unwrap().remove(0);
    assert_eq!(second.body, "inactive");
    let snap = e.inspect_queue("q", T0 + SEC).unwrap();
    assert_eq!(snap.len(), 3);
    assert_eq!(snap[0].body, "active");
    assert_eq!(snap[0].state, MessageState::Active);
    assert_eq!(snap[0].receipt_handle, None);
    assert_eq!(snap[0].dequeue_count, 1);
    assert_eq!(snap[1].state, MessageState::Inactive);
    assert_eq!(
        snap[1].receipt_handle.as_deref(),
        Some(second.receipt_handle.as_str())
    );
    assert_eq!(snap[1].next_visible_time, T0 + 500 + 30 * SEC);
    assert_eq!(snap[2].state, MessageState::Delayed);
    assert_eq!(snap[2].priority, 3);
    assert_eq!(snap[2].receipt_handle, dh);
    assert_eq!(snap[2].first_dequeue_time, T0);
    assert_err(e.inspect_queue("nope", T0), ErrorCode::QueueNotExist, 404);
}

#[test]
fn expire_receipt_handles_hook_makes_outstanding_handles_stale() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    e.expire_receipt_handles("q").unwrap();
    assert_err(
        e.delete_message("q", &m.receipt_handle, T0),
        ErrorCode::MessageNotExist,
        404,
    );
    // The message still reappears after its visibility timeout.
    assert_eq!(bodies_received(&mut e, "q", 1, T0 + 30 * SEC), ["m"]);
    assert_err(
        e.expire_receipt_handles("nope"),
        ErrorCode::QueueNotExist,
        404,
    );
}

#[test]
fn time_never_goes_backwards_inside_the_engine() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "m", T0 + 10 * SEC);
    let m = e.receive_messages("q", 1, T0).unwrap().remove(0);
    assert_eq!(m.first_dequeue_time, T0 + 10 * SEC);
    assert_eq!(m.next_visible_time, T0 + 40 * SEC);
}

#[test]
fn every_message_operation_on_a_missing_queue_is_queue_not_exist() {
    let mut e = engine();
    assert_err(
        e.receive_messages("q", 1, T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_err(e.peek_messages("q", 1, T0), ErrorCode::QueueNotExist, 404);
    assert_err(
        e.send_messages("q", vec![SendMessageInput::new("x")], T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_err(
        e.delete_message("q", "garbage", T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_err(
        e.batch_delete_messages("q", &["g".into()], T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_err(
        e.change_message_visibility("q", "garbage", 10, T0),
        ErrorCode::QueueNotExist,
        404,
    );
    assert_err(e.queue_len("q", T0), ErrorCode::QueueNotExist, 404);
}

#[test]
fn query_parameter_validators() {
    assert_eq!(limits::validate_wait_seconds(30).unwrap(), 30);
    assert_err(
        limits::validate_wait_seconds(31),
        ErrorCode::InvalidArgument,
        400,
    );
    assert_err(
        limits::validate_wait_seconds(-1),
        ErrorCode::InvalidArgument,
        400,
    );
    assert_eq!(limits::validate_batch_size(16).unwrap(), 16);
    assert_err(
        limits::validate_batch_size(17),
        ErrorCode::InvalidArgument,
        400,
    );
}

#[test]
fn debug_output_names_queues_but_not_message_bodies() {
    let mut e = engine_with_queue("q");
    send(&mut e, "q", "secret-body", T0);
    let shown = format!("{e:?}");
    assert!(shown.contains("\"q\""), "{shown}");
    assert!(!shown.contains("secret-body"), "{shown}");
}
