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
