//! Differential check of the shared-queue path (`Engine::shared_queue`, issue 21): random
//! sequences of message operations over a normal queue, a FIFO queue and a dead-letter pair run
//! against two engines with the same seed, one only through the `&mut self` methods, the other
//! through a shared queue wherever the engine grants one (and the `&mut self` methods
//! elsewhere). Every result (ids, handles, bodies, attributes, errors), every next wake-up and,
//! at the end, every queue's full contents must be identical.
//!
//! The sequences also set and remove a dead-letter policy on the normal queue (which takes it off
//! the shared path and back), delete and re-create the FIFO queue (operations on a missing
//! queue), and run with either dead-letter move timing.

use std::cell::RefCell;

use mns_emulator::engine::{
    DlqMoveTiming, Engine, EngineConfig, LockedQueue, QueueAttributesInput, QueueDlqPolicy,
    QueueKind, SendMessageInput,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const T0: u64 = 1_700_000_000_000;
/// `plain` (normal), `fifo` (FIFO), `src` (normal, DLQ policy → `dlq`), `dlq` (normal).
const QUEUES: [&str; 4] = ["plain", "fifo", "src", "dlq"];
const FIFO: usize = 1;

#[derive(Debug, Clone)]
enum Op {
    /// A (batch) send of `(group, delay_s, priority)` entries; `bad` adds an invalid entry.
    Send {
        queue: usize,
        msgs: Vec<(u8, u8, u8)>,
        bad: bool,
    },
    Receive {
        queue: usize,
        max: u8,
    },
    Peek {
        queue: usize,
        max: u8,
    },
    /// Deletes an issued handle (`pick` into the handles seen) on `queue`.
    Delete {
        queue: usize,
        pick: usize,
    },
    BatchDelete {
        queue: usize,
        picks: Vec<usize>,
    },
    ChangeVisibility {
        queue: usize,
        pick: usize,
        secs: i64,
    },
    /// Sets (`true`) or removes the normal queue's DLQ policy (→ `dlq`).
    PlainPolicy(bool),
    /// Deletes (`false`) or re-creates (`true`) the FIFO queue.
    Fifo(bool),
    Advance {
        ms: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let queue = 0..QUEUES.len();
    let entry =
        (0u8..3, 0u8..=20, 1u8..=16).prop_map(|(g, d, p)| (g, if d > 5 { 0 } else { d }, p));
    prop_oneof![
        5 => (queue.clone(), prop::collection::vec(entry, 1..=4), prop::bool::weighted(0.05))
            .prop_map(|(queue, msgs, bad)| Op::Send { queue, msgs, bad }),
        5 => (queue.clone(), 0u8..=17).prop_map(|(queue, max)| Op::Receive { queue, max }),
        1 => (queue.clone(), 1u8..=16).prop_map(|(queue, max)| Op::Peek { queue, max }),
        3 => (queue.clone(), any::<usize>()).prop_map(|(queue, pick)| Op::Delete { queue, pick }),
        1 => (queue.clone(), prop::collection::vec(any::<usize>(), 0..=17))
            .prop_map(|(queue, picks)| Op::BatchDelete { queue, picks }),
        2 => (queue, any::<usize>(), -1i64..=40)
            .prop_map(|(queue, pick, secs)| Op::ChangeVisibility { queue, pick, secs }),
        1 => any::<bool>().prop_map(Op::PlainPolicy),
        1 => any::<bool>().prop_map(Op::Fifo),
        4 => (0u32..25_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

/// How often each path ran, over all sequences.
#[derive(Debug, Default)]
struct Coverage {
    shared: usize,
    exclusive: usize,
    received: usize,
}

fn engine(timing: DlqMoveTiming) -> Engine {
    let mut config = EngineConfig::default();
    config.seed = Some(21);
    config.dlq_move_timing = timing;
    let mut e = Engine::new(config);
    let attrs = || QueueAttributesInput {
        visibility_timeout: Some(10),
        ..QueueAttributesInput::default()
    };
    e.create_queue("plain", attrs(), T0).expect("plain");
    e.create_queue_with("fifo", attrs(), QueueKind::Fifo, None, T0)
        .expect("fifo");
    e.create_queue("dlq", attrs(), T0).expect("dlq");
    let policy = QueueDlqPolicy::new("dlq", 2);
    e.create_queue_with("src", attrs(), QueueKind::Normal, Some(policy), T0)
        .expect("src");
    e
}

/// Runs `shared` on `b`'s shared queue if the engine grants one, else `exclusive` on `b`.
fn on_b<T>(
    b: &mut Engine,
    queue: &str,
    cov: &mut Coverage,
    shared: impl FnOnce(&mut LockedQueue<'_>) -> T,
    exclusive: impl FnOnce(&mut Engine) -> T,
) -> T {
    if let Some(q) = b.shared_queue(queue) {
        cov.shared += 1;
        return shared(&mut q.lock());
    }
    cov.exclusive += 1;
    exclusive(b)
}

fn pick(handles: &[String], i: usize) -> String {
    if handles.is_empty() {
        "garbage".to_owned()
    } else {
        handles[i % handles.len()].clone()
    }
}

fn run(timing: DlqMoveTiming, ops: &[Op], cov: &mut Coverage) -> Result<(), TestCaseError> {
    let mut a = engine(timing);
    let mut b = engine(timing);
    let mut now = T0;
    let mut handles: Vec<String> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Send { queue, msgs, bad } => {
                let name = QUEUES[*queue];
                let mut inputs: Vec<SendMessageInput> = msgs
                    .iter()
                    .enumerate()
                    .map(|(i, &(g, d, p))| SendMessageInput {
                        delay_seconds: Some(i64::from(d)),
                        priority: Some(i64::from(p)),
                        message_group_id: Some(format!("g{g}")),
                        ..SendMessageInput::new(format!("m{step}-{i}"))
                    })
                    .collect();
                if *bad {
                    inputs.push(SendMessageInput::new(""));
                }
                let ra = a.send_messages(name, inputs.clone(), now);
                let rb = on_b(
                    &mut b,
                    name,
                    cov,
                    |q| q.send_messages(inputs.clone(), now),
                    |e| e.send_messages(name, inputs.clone(), now),
                );
                prop_assert_eq!(&ra, &rb, "step {}: {:?}", step, op);
                if let Ok(sent) = ra {
                    handles.extend(sent.into_iter().filter_map(|m| m.receipt_handle));
                }
            }
            Op::Receive { queue, max } => {
                let name = QUEUES[*queue];
                let max = usize::from(*max);
                let ra = a.receive_messages(name, max, now);
                let rb = on_b(
                    &mut b,
                    name,
                    cov,
                    |q| q.receive_messages(max, now),
                    |e| e.receive_messages(name, max, now),
                );
                prop_assert_eq!(&ra, &rb, "step {}: {:?}", step, op);
                if let Ok(got) = ra {
                    cov.received += got.len();
                    handles.extend(got.into_iter().map(|m| m.receipt_handle));
                }
            }
            Op::Peek { queue, max } => {
                let name = QUEUES[*queue];
                let max = usize::from(*max);
                let ra = a.peek_messages(name, max, now);
                let rb = on_b(
                    &mut b,
                    name,
                    cov,
                    |q| q.peek_messages(max, now),
                    |e| e.peek_messages(name, max, now),
                );
                prop_assert_eq!(ra, rb, "step {}: {:?}", step, op);
            }
            Op::Delete { queue, pick: i } => {
                let name = QUEUES[*queue];
                let h = pick(&handles, *i);
                let ra = a.delete_message(name, &h, now);
                let rb = on_b(
                    &mut b,
                    name,
                    cov,
                    |q| q.delete_message(&h, now),
                    |e| e.delete_message(name, &h, now),
                );
                prop_assert_eq!(ra, rb, "step {}: {:?}", step, op);
            }
            Op::BatchDelete { queue, picks } => {
                let name = QUEUES[*queue];
                let hs: Vec<String> = picks.iter().map(|&i| pick(&handles, i)).collect();
                let ra = a.batch_delete_messages(name, &hs, now);
                let rb = on_b(
                    &mut b,
                    name,
                    cov,
                    |q| q.batch_delete_messages(&hs, now),
                    |e| e.batch_delete_messages(name, &hs, now),
                );
                prop_assert_eq!(ra, rb, "step {}: {:?}", step, op);
            }
            Op::ChangeVisibility {
                queue,
                pick: i,
                secs,
            } => {
                let name = QUEUES[*queue];
                let h = pick(&handles, *i);
                let ra = a.change_message_visibility(name, &h, *secs, now);
                let rb = on_b(
                    &mut b,
                    name,
                    cov,
                    |q| q.change_message_visibility(&h, *secs, now),
                    |e| e.change_message_visibility(name, &h, *secs, now),
                );
                prop_assert_eq!(&ra, &rb, "step {}: {:?}", step, op);
                if let Ok(changed) = ra {
                    handles.push(changed.receipt_handle);
                }
            }
            Op::PlainPolicy(on) => {
                let policy = on.then(|| QueueDlqPolicy::new("dlq", 2));
                let ra = a.set_queue_dlq_policy("plain", policy.clone(), now);
                let rb = b.set_queue_dlq_policy("plain", policy, now);
                prop_assert_eq!(ra, rb, "step {}", step);
            }
            Op::Fifo(create) => {
                let (ra, rb) = if *create {
                    let attrs = || QueueAttributesInput {
                        visibility_timeout: Some(10),
                        ..QueueAttributesInput::default()
                    };
                    (
                        a.create_queue_with("fifo", attrs(), QueueKind::Fifo, None, now)
                            .map(|_| ()),
                        b.create_queue_with("fifo", attrs(), QueueKind::Fifo, None, now)
                            .map(|_| ()),
                    )
                } else {
                    (
                        a.delete_queue(QUEUES[FIFO], now),
                        b.delete_queue(QUEUES[FIFO], now),
                    )
                };
                prop_assert_eq!(ra, rb, "step {}", step);
            }
            Op::Advance { ms } => now += u64::from(*ms),
        }
        for name in QUEUES {
            prop_assert_eq!(
                a.next_wakeup(name, now),
                b.next_wakeup(name, now),
                "step {}: next wake-up of {}",
                step,
                name
            );
        }
    }
    for name in QUEUES {
        prop_assert_eq!(
            a.inspect_queue(name, now),
            b.inspect_queue(name, now),
            "final contents of {}",
            name
        );
        prop_assert_eq!(
            a.get_queue_attributes(name, now),
            b.get_queue_attributes(name, now),
            "final attributes of {}",
            name
        );
    }
    prop_assert_eq!(a.export_image(), b.export_image(), "final state image");
    Ok(())
}

#[test]
fn shared_queue_operations_match_the_exclusive_ones() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let cov = RefCell::new(Coverage::default());
    let timing = prop_oneof![
        Just(DlqMoveTiming::AtNextReceive),
        Just(DlqMoveTiming::AtVisibilityExpiry)
    ];
    let strategy = (timing, prop::collection::vec(op(), 1..150));
    let result = runner.run(&strategy, |(timing, ops)| {
        run(timing, &ops, &mut cov.borrow_mut())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let cov = cov.into_inner();
    eprintln!("{cases} sequences: {cov:?}");
    // Both paths really ran, on queues holding messages.
    if cases >= 64 {
        assert!(cov.shared > 400, "{cov:?}");
        assert!(cov.exclusive > 400, "{cov:?}");
        assert!(cov.received > 300, "{cov:?}");
    }
}

#[test]
fn shared_queues_are_granted_only_where_nothing_else_is_touched() {
    let mut e = engine(DlqMoveTiming::AtNextReceive);
    assert!(e.shared_queue("plain").is_some());
    assert!(e.shared_queue("fifo").is_some());
    assert!(e.shared_queue("src").is_none(), "a DLQ source");
    assert!(e.shared_queue("dlq").is_none(), "a DLQ target");
    assert!(e.shared_queue("missing").is_none());
    // A disabled policy moves nothing: the queues are independent again.
    let mut off = QueueDlqPolicy::new("dlq", 2);
    off.enabled = false;
    e.set_queue_dlq_policy("src", Some(off), T0)
        .expect("policy");
    assert!(e.shared_queue("src").is_some());
    assert!(e.shared_queue("dlq").is_some());
    // Change tracking (persistence) keeps every queue on the exclusive path.
    mns_emulator::engine::__change_tracking::set(&mut e, true);
    assert!(e.shared_queue("plain").is_none());
}

#[test]
fn a_locked_queue_leaves_the_other_queues_free() {
    let e = engine(DlqMoveTiming::AtNextReceive);
    let plain = e.shared_queue("plain").expect("shared");
    let held = plain.lock();
    assert!(plain.try_lock().is_none(), "one queue: one holder");
    // Another thread works on another queue while `plain` stays locked (it would block here,
    // and the test never end, if the queues shared a lock).
    std::thread::scope(|s| {
        s.spawn(|| {
            let fifo = e.shared_queue("fifo").expect("shared");
            let mut q = fifo.try_lock().expect("another queue is free");
            let input = SendMessageInput {
                message_group_id: Some("g".to_owned()),
                ..SendMessageInput::new("while plain is locked")
            };
            q.send_messages(vec![input], T0).expect("send");
            let got = q.receive_messages(1, T0).expect("receive");
            q.delete_message(&got[0].receipt_handle, T0)
                .expect("delete");
        });
    });
    drop(held);
    assert!(plain.try_lock().is_some());
}
