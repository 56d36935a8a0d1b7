//! The engine's state image (`engine/image/`): export → import → export is the identity, a
//! restored engine behaves exactly like the original (handles, delays, visibility, retention,
//! clock), and a bad image is refused with a clear error.

use mns_emulator::engine::{
    Engine, EngineConfig, HttpPush, ImageError, MessageState, Millis, PublishMessageInput,
    QueueAttributesInput, QueueDlqPolicy, QueueKind, STATE_FORMAT_VERSION, SendMessageInput,
    StateImage, SubscribeInput, SubscriptionDlqPolicy, TopicAttributesInput, UserProperty,
};

const T0: Millis = 1_700_000_000_000;
const SEC: Millis = 1000;

fn config() -> EngineConfig {
    let mut c = EngineConfig::default();
    c.seed = Some(17);
    c.queue_deleted_recently_window = 60 * SEC;
    c
}

fn queue_endpoint(queue: &str) -> String {
    format!("acs:mns:cn-hangzhou:1234567890123456:queues/{queue}")
}

/// An engine with something in every part of the image; returns it, the handles it issued (an
/// Inactive message's, a Delayed message's) and the HTTP push it left in flight.
fn busy_engine() -> (Engine, String, String, HttpPush) {
    let mut e = Engine::new(config());
    e.set_topic_account("1234567890123456", "cn-hangzhou");
    let attrs = QueueAttributesInput {
        visibility_timeout: Some(600),
        message_retention_period: Some(3600),
        ..QueueAttributesInput::default()
    };
    e.create_queue("dlq", QueueAttributesInput::default(), T0)
        .unwrap();
    e.create_queue("jobs", attrs, T0).unwrap();
    e.create_queue_with(
        "poison",
        QueueAttributesInput::default(),
        QueueKind::Normal,
        Some(QueueDlqPolicy::new("dlq", 2)),
        T0,
    )
    .unwrap();
    e.create_queue_with(
        "ordered",
        QueueAttributesInput::default(),
        QueueKind::Fifo,
        None,
        T0,
    )
    .unwrap();
    e.create_queue("gone", QueueAttributesInput::default(), T0)
        .unwrap();
    e.delete_queue("gone", T0 + SEC).unwrap();

    let with_props = SendMessageInput {
        priority: Some(3),
        user_properties: vec![UserProperty {
            name: "k".into(),
            value: "v".into(),
            value_type: "STRING".into(),
        }],
        ..SendMessageInput::new("first")
    };
    let delayed = SendMessageInput {
        delay_seconds: Some(1000),
        ..SendMessageInput::new("later")
    };
    let sent = e
        .send_messages("jobs", vec![with_props, delayed], T0 + 2 * SEC)
        .unwrap();
    let delayed_handle = sent[1].receipt_handle.clone().unwrap();
    // "first" (priority 3) is received and left in flight.
    let got = e.receive_messages("jobs", 1, T0 + 3 * SEC).unwrap();
    assert_eq!(got[0].body, "first");
    let inflight_handle = got[0].receipt_handle.clone();
    // "p" is received twice without delete: the next receive dead-letters it.
    e.send_messages("poison", vec![SendMessageInput::new("p")], T0 + 2 * SEC)
        .unwrap();
    for at in [3, 50, 100] {
        e.receive_messages("poison", 1, T0 + at * SEC).unwrap();
    }

    for (body, group) in [("a1", "a"), ("a2", "a"), ("b1", "b")] {
        let m = SendMessageInput {
            message_group_id: Some(group.into()),
            ..SendMessageInput::new(body)
        };
        e.send_messages("ordered", vec![m], T0 + 160 * SEC).unwrap();
    }
    e.receive_messages("ordered", 1, T0 + 161 * SEC).unwrap();

    e.create_topic("orders", TopicAttributesInput::default(), T0)
        .unwrap();
    for (name, endpoint) in [
        ("to-dlq", queue_endpoint("dlq")),
        ("hook", "http://127.0.0.1:9/hook".to_owned()),
        ("mail", "mail:directmail:a@example.com".to_owned()),
    ] {
        let sub = SubscribeInput {
            endpoint: Some(endpoint),
            notify_content_format: Some("JSON".into()),
            ..SubscribeInput::default()
        };
        e.subscribe("orders", name, sub, T0).unwrap();
    }
    e.set_subscription_dlq_policy(
        "orders",
        "hook",
        Some(SubscriptionDlqPolicy::new("dlq")),
        T0,
    )
    .unwrap();
    e.publish_message("orders", PublishMessageInput::new("news"), T0 + 170 * SEC)
        .unwrap();
    // The HTTP push is handed out and left in flight.
    let mut due = e.run_due_deliveries(T0 + 170 * SEC);
    assert_eq!(due.http.len(), 1);
    let push = due.http.remove(0);
    (e, inflight_handle, delayed_handle, push)
}

fn restore(e: &Engine) -> Engine {
    let bytes = e.export_image().encode();
    Engine::from_image(config(), StateImage::decode(&bytes).unwrap()).unwrap()
}

#[test]
fn export_import_export_is_the_identity() {
    let (e, ..) = busy_engine();
    let image = e.export_image();
    assert_eq!(image.format_version, STATE_FORMAT_VERSION);
    assert_eq!(image.queues.len(), 4);
    assert_eq!(image.topics.len(), 1);
    assert_eq!(image.subscriptions.len(), 3);
    assert_eq!(image.deliveries.len(), 1);
    assert_eq!(image.globals.deleted_recently.len(), 1);
    assert!(
        image.messages.iter().any(|m| m.id_seq.is_some()),
        "a dead letter"
    );
    let restored = restore(&e);
    assert_eq!(restored.export_image(), image);
    // Debug never shows bodies.
    assert!(!format!("{image:?}").contains("first"));
}

#[test]
fn a_restored_engine_behaves_exactly_like_the_original() {
    let (mut a, inflight, delayed, push) = busy_engine();
    let mut b = restore(&a);
    let now = T0 + 171 * SEC;
    // The push in flight is handed out again (its result could not reach the image), as the
    // same attempt; both engines then learn the same result.
    let again = b.run_due_deliveries(now);
    assert_eq!(again.http, vec![push.clone()]);
    a.complete_http_push(&push, now, Ok(200), now);
    b.complete_http_push(&push, now, Ok(200), now);
    for q in ["jobs", "poison", "dlq", "ordered"] {
        assert_eq!(
            a.get_queue_attributes(q, now).unwrap(),
            b.get_queue_attributes(q, now).unwrap()
        );
        assert_eq!(
            a.inspect_queue(q, now).unwrap(),
            b.inspect_queue(q, now).unwrap()
        );
    }
    // Handles issued before the image work on the restored engine.
    b.change_message_visibility("jobs", &delayed, 10, now)
        .unwrap();
    a.change_message_visibility("jobs", &delayed, 10, now)
        .unwrap();
    a.delete_message("jobs", &inflight, now).unwrap();
    b.delete_message("jobs", &inflight, now).unwrap();
    // Later operations give identical ids, handles and times.
    for step in 0..6 {
        let at = now + step * 20 * SEC;
        let send = |e: &mut Engine| {
            e.send_messages("jobs", vec![SendMessageInput::new("more")], at)
                .unwrap()
        };
        assert_eq!(send(&mut a), send(&mut b));
        for q in ["jobs", "poison", "dlq", "ordered"] {
            assert_eq!(
                a.receive_messages(q, 16, at).unwrap(),
                b.receive_messages(q, 16, at).unwrap()
            );
        }
        assert_eq!(a.run_due_deliveries(at), b.run_due_deliveries(at));
    }
    assert_eq!(a.export_image(), b.export_image());
}

#[test]
fn delays_visibility_retention_and_the_clock_carry_over() {
    let (mut a, ..) = busy_engine();
    let high_water = a.export_image().globals.high_water;
    let mut b = restore(&a);
    let snap = b.inspect_queue("jobs", high_water).unwrap();
    let later = snap.iter().find(|m| m.body == "later").unwrap();
    assert_eq!(later.state, MessageState::Delayed);
    assert_eq!(later.next_visible_time, T0 + 1002 * SEC);
    let first = snap.iter().find(|m| m.body == "first").unwrap();
    assert_eq!(first.state, MessageState::Inactive);
    assert_eq!(first.next_visible_time, T0 + 603 * SEC);
    assert_eq!(first.expires_at, T0 + 3602 * SEC);
    // Time never goes back: a `now` before the high-water mark is the high-water mark.
    b.send_messages("jobs", vec![SendMessageInput::new("x")], 0)
        .unwrap();
    let x = b.inspect_queue("jobs", 0).unwrap();
    assert_eq!(
        x.iter().find(|m| m.body == "x").unwrap().enqueue_time,
        high_water
    );
    // Retention continues from the original enqueue time.
    let expiry = T0 + 3602 * SEC;
    assert!(
        b.inspect_queue("jobs", expiry)
            .unwrap()
            .iter()
            .all(|m| m.body != "first" && m.body != "later")
    );
    assert_eq!(
        a.inspect_queue("jobs", expiry).unwrap().len() + 1,
        b.inspect_queue("jobs", expiry).unwrap().len()
    );
}

#[test]
fn another_version_is_refused_by_number() {
    let (e, ..) = busy_engine();
    let mut image = e.export_image();
    image.format_version = STATE_FORMAT_VERSION + 1;
    let err = StateImage::decode(&image.encode()).unwrap_err();
    assert_eq!(
        err,
        ImageError::UnsupportedVersion {
            found: STATE_FORMAT_VERSION + 1,
            supported: STATE_FORMAT_VERSION
        }
    );
    assert!(err.to_string().contains("version"));
    assert!(matches!(
        Engine::from_image(config(), image),
        Err(ImageError::UnsupportedVersion { .. })
    ));
}

#[test]
fn truncated_or_foreign_bytes_are_malformed() {
    let (e, ..) = busy_engine();
    let bytes = e.export_image().encode();
    for bad in [
        &bytes[..bytes.len() / 2],
        b"{}".as_slice(),
        b"\x00\x01garbage",
    ] {
        assert!(
            matches!(StateImage::decode(bad), Err(ImageError::Malformed(_))),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// A change that makes an image inconsistent.
type Corruption = Box<dyn Fn(&mut StateImage)>;

#[test]
fn inconsistent_images_are_refused() {
    let (e, ..) = busy_engine();
    let good = e.export_image();
    let cases: Vec<(&str, Corruption)> = vec![
        (
            "used twice",
            Box::new(|i| {
                let m = i.messages[0].clone();
                i.messages.push(m);
            }),
        ),
        (
            "no such queue",
            Box::new(|i| i.messages[0].queue = "nowhere".into()),
        ),
        (
            "not below next_seq",
            Box::new(|i| i.messages[0].seq = i.globals.next_seq),
        ),
        (
            "appears twice",
            Box::new(|i| {
                let q = i.queues[0].clone();
                i.queues.push(q);
            }),
        ),
        (
            "missing topic",
            Box::new(|i| i.subscriptions[0].topic = "nowhere".into()),
        ),
        (
            "without a group id",
            Box::new(|i| {
                let m = i
                    .messages
                    .iter_mut()
                    .find(|m| m.queue == "ordered")
                    .unwrap();
                m.message_group_id = None;
            }),
        ),
        (
            "queue \"jobs\"",
            Box::new(|i| {
                let q = i.queues.iter_mut().find(|q| q.name == "jobs").unwrap();
                q.visibility_timeout = 0;
            }),
        ),
        (
            "does not exist",
            Box::new(|i| i.deliveries[0].subscription = "nobody".into()),
        ),
    ];
    for (expected, corrupt) in cases {
        let mut image = good.clone();
        corrupt(&mut image);
        let err = Engine::from_image(config(), image).unwrap_err();
        assert!(
            matches!(&err, ImageError::Inconsistent(m) if m.contains(expected)),
            "{expected}: {err}"
        );
    }
}

/// Account settings travel with the image; an image written before they existed (no `account`
/// field) still reads, with nothing set.
#[test]
fn account_settings_are_in_the_image() {
    let mut e = Engine::new(config());
    e.update_account_settings(|a| {
        a.trace_enabled = Some("true".into());
        a.control.message_trace_enabled = true;
        a.control.project_name = "proj".into();
    });
    let restored = restore(&e);
    assert_eq!(restored.account_settings(), e.account_settings());

    let plain = Engine::new(config()).export_image().encode();
    let text = String::from_utf8(plain.clone()).unwrap();
    assert!(!text.contains("\"account\":{"), "absent while unset");
    let back = Engine::from_image(config(), StateImage::decode(&plain).unwrap()).unwrap();
    assert!(back.account_settings().is_default());
}
