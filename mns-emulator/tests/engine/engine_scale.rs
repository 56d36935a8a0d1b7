//! The engine keeps working with a deep queue: one million queued messages, then the usual
//! operations. Asserts behaviour only; speed is measured in benchmarks, never in tests.

use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput};

const T0: u64 = 1_700_000_000_000;
const N: usize = 1_000_000;

#[test]
fn one_million_queued_messages_then_receive_change_and_delete() {
    let mut config = EngineConfig::default();
    config.seed = Some(1);
    let mut e = Engine::new(config);
    e.create_queue("deep", QueueAttributesInput::default(), T0)
        .unwrap();

    let mut batch = Vec::with_capacity(16);
    for i in 0..N {
        let mut m = SendMessageInput::new(format!("m{i}"));
        // Three are urgent; those must come out first.
        if i % 300_000 == 299_999 {
            m.priority = Some(1);
        }
        batch.push(m);
        if batch.len() == 16 {
            e.send_messages("deep", std::mem::take(&mut batch), T0)
                .unwrap();
        }
    }
    if !batch.is_empty() {
        e.send_messages("deep", batch, T0).unwrap();
    }
    let attrs = e.get_queue_attributes("deep", T0).unwrap();
    assert_eq!(attrs.active_messages, N as u64);

    // The urgent ones first, in send order.
    let got = e.receive_messages("deep", 3, T0 + 1).unwrap();
    let bodies: Vec<_> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["m299999", "m599999", "m899999"]);
    e.delete_message("deep", &got[0].receipt_handle, T0 + 2)
        .unwrap();
    let changed = e
        .change_message_visibility("deep", &got[1].receipt_handle, 5, T0 + 2)
        .unwrap();
    assert!(
        e.batch_delete_messages("deep", &[changed.receipt_handle], T0 + 3)
            .unwrap()
            .is_empty()
    );
    let attrs = e.get_queue_attributes("deep", T0 + 3).unwrap();
    assert_eq!(attrs.active_messages, N as u64 - 3);
    assert_eq!(attrs.inactive_messages, 1);

    // A new urgent message jumps the million-deep queue.
    let mut urgent = SendMessageInput::new("now");
    urgent.priority = Some(1);
    e.send_messages("deep", vec![urgent], T0 + 4).unwrap();
    let peeked = e.peek_messages("deep", 16, T0 + 4).unwrap();
    assert_eq!(peeked.len(), 16);
    assert_eq!(peeked[0].body, "now");
    assert_eq!(peeked[1].body, "m0");
    assert_eq!(peeked[15].body, "m14");

    // got[2] times out after 30 s and is served again before the priority-8 backlog.
    let again = e.receive_messages("deep", 1, T0 + 1 + 30_000).unwrap();
    assert_eq!(again[0].body, "m899999");
    assert_eq!(again[0].dequeue_count, 2);

    // Retention (default 4 days) drops the whole backlog at once.
    let expired_at = T0 + 345_600_000;
    assert!(
        e.receive_messages("deep", 16, expired_at + 4)
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.queue_len("deep", expired_at + 4).unwrap(), 0);
}

/// FIFO at scale: `MNS_SCALE_FIFO_MESSAGES` messages (default 100,000; the full run uses
/// 1,000,000) spread round-robin over a hundredth as many groups (10,000 at full size). A
/// receive hands out group heads only, so the queue must never walk the blocked backlog: the
/// test checks group order and locks across every group.
#[test]
fn fifo_messages_over_many_groups_keep_order_and_locks() {
    use mns_emulator::engine::QueueKind;
    let n: usize = std::env::var("MNS_SCALE_FIFO_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let groups = (n / 100).max(16);
    let mut config = EngineConfig::default();
    config.seed = Some(2);
    let mut e = Engine::new(config);
    e.create_queue_with(
        "fifo",
        QueueAttributesInput::default(),
        QueueKind::Fifo,
        None,
        T0,
    )
    .unwrap();
    let mut batch = Vec::with_capacity(16);
    for i in 0..n {
        batch.push(SendMessageInput {
            message_group_id: Some(format!("g{}", i % groups)),
            ..SendMessageInput::new(format!("{}-{}", i % groups, i / groups))
        });
        if batch.len() == 16 {
            e.send_messages("fifo", std::mem::take(&mut batch), T0)
                .unwrap();
        }
    }
    if !batch.is_empty() {
        e.send_messages("fifo", batch, T0).unwrap();
    }
    assert_eq!(e.message_group_count("fifo").unwrap(), groups);

    // One head per group, groups in arrival order of their heads.
    let mut handles = Vec::with_capacity(groups);
    let mut next_group = 0;
    while next_group < groups {
        let got = e.receive_messages("fifo", 16, T0 + 1).unwrap();
        assert!(!got.is_empty());
        for m in got {
            assert_eq!(m.body, format!("{next_group}-0"));
            handles.push(m.receipt_handle);
            next_group += 1;
        }
    }
    // Every group is locked: nothing is handed out, though almost everything is Active.
    assert!(e.receive_messages("fifo", 16, T0 + 2).unwrap().is_empty());
    let attrs = e.get_queue_attributes("fifo", T0 + 2).unwrap();
    assert_eq!(attrs.active_messages as usize, n - groups);
    assert_eq!(attrs.inactive_messages as usize, groups);

    // Deleting the even groups' heads releases exactly their second messages, in order.
    for (g, h) in handles.iter().enumerate().step_by(2) {
        assert_eq!(g % 2, 0);
        e.delete_message("fifo", h, T0 + 3).unwrap();
    }
    let mut expected = (0..groups).step_by(2);
    loop {
        let got = e.receive_messages("fifo", 16, T0 + 4).unwrap();
        if got.is_empty() {
            break;
        }
        for m in got {
            assert_eq!(m.body, format!("{}-1", expected.next().unwrap()));
        }
    }
    assert_eq!(expected.next(), None);

    // After the visibility timeout the odd groups' heads come back before their successors.
    let again = e.receive_messages("fifo", 16, T0 + 1 + 30_000).unwrap();
    assert_eq!(again[0].body, "1-0");
    assert_eq!(again[0].dequeue_count, 2);

    // Retention drops everything and the groups with it.
    let expired_at = T0 + 345_600_000;
    assert_eq!(e.queue_len("fifo", expired_at).unwrap(), 0);
    assert_eq!(e.message_group_count("fifo").unwrap(), 0);
}
