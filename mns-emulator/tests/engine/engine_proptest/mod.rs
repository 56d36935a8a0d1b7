//! Model-based test of the queue engine with proptest: random sequences of sends, receives,
//! peeks, deletes and visibility changes (with current, stale and garbage receipt handles) and
//! clock advances run against the engine and against a small reference model written here from
//! the reference's semantics (§8), independently of the engine's data structures. Any divergence
//! fails with a shrunk sequence.
//!
//! The model is deliberately naive: a `Vec` of messages whose state is derived from times on
//! every look (visible when `visible_at <= now`, gone when `now >= enqueue + retention`).
//!
//! FIFO queues and queue DLQ policies have their own model in [`fifo_dlq`].
//!
//! Cases: `PROPTEST_CASES` (default 64, a few seconds in debug). Full run (RELIABILITY.md):
//! `PROPTEST_CASES=10000 cargo test --release -p mns-emulator --test engine engine_proptest::`

mod fifo_dlq;

use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput};
use mns_emulator::error::ErrorCode;
use proptest::prelude::*;
use proptest::test_runner::Config;

const T0: u64 = 1_700_000_000_000;
const VISIBILITY_S: u64 = 20;
const RETENTION_S: u64 = 90;
const Q: &str = "model";

#[derive(Debug, Clone)]
enum Op {
    Send { delay_s: u8, priority: u8 },
    Receive { max: u8 },
    Peek { max: u8 },
    Delete { pick: usize },
    ChangeVisibility { pick: usize, secs: u16 },
    DeleteGarbage,
    Advance { ms: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..=25, 1u8..=16).prop_map(|(delay_s, priority)| Op::Send {
            delay_s: if delay_s > 20 { 0 } else { delay_s },
            priority,
        }),
        3 => (1u8..=4).prop_map(|max| Op::Receive { max }),
        1 => (1u8..=4).prop_map(|max| Op::Peek { max }),
        2 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        2 => (any::<usize>(), 1u16..=40).prop_map(|(pick, secs)| Op::ChangeVisibility { pick, secs }),
        1 => Just(Op::DeleteGarbage),
        3 => (0u32..=30_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

#[derive(Debug, Clone)]
struct ModelMessage {
    body: String,
    priority: u8,
    enqueue: u64,
    visible_at: u64,
    received: bool,
    dequeue_count: u32,
    handle: Option<String>,
}

#[derive(Debug, Default)]
struct Model {
    now: u64,
    messages: Vec<ModelMessage>,
    /// Every handle ever issued (stale ones included), for picking.
    handles: Vec<String>,
    next_body: u64,
}

impl Model {
    fn expire(&mut self) {
        let now = self.now;
        self.messages
            .retain(|m| now < m.enqueue + RETENTION_S * 1000);
    }

    /// Visible messages in receive order: priority 1 first, then send order.
    fn visible(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.messages.len())
            .filter(|&i| self.messages[i].visible_at <= self.now)
            .collect();
        // `messages` is in send order, so a stable sort by priority keeps send order within one.
        idx.sort_by_key(|&i| self.messages[i].priority);
        idx
    }

    /// The message a handle currently settles: issued last for it, still invisible.
    fn holder(&self, handle: &str) -> Option<usize> {
        self.messages.iter().position(|m| {
            m.handle.as_deref() == Some(handle) && m.received && self.now < m.visible_at
        })
    }

    fn counters(&self) -> (u64, u64, u64) {
        let (mut active, mut inactive, mut delayed) = (0, 0, 0);
        for m in &self.messages {
            if m.visible_at <= self.now {
                active += 1;
            } else if m.received {
                inactive += 1;
            } else {
                delayed += 1;
            }
        }
        (active, inactive, delayed)
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .create_queue(
            Q,
            QueueAttributesInput {
                visibility_timeout: Some(VISIBILITY_S as i64),
                message_retention_period: Some(RETENTION_S as i64),
                ..QueueAttributesInput::default()
            },
            T0,
        )
        .expect("create");
    let mut model = Model {
        now: T0,
        ..Model::default()
    };
    for (step, op) in ops.iter().enumerate() {
        model.expire();
        let now = model.now;
        match op {
            Op::Send { delay_s, priority } => {
                let body = format!("b{}", model.next_body);
                model.next_body += 1;
                let input = SendMessageInput {
                    delay_seconds: Some(i64::from(*delay_s)),
                    priority: Some(i64::from(*priority)),
                    ..SendMessageInput::new(body.clone())
                };
                let sent = engine.send_messages(Q, vec![input], now);
                prop_assert!(sent.is_ok(), "step {step}: send failed: {sent:?}");
                model.messages.push(ModelMessage {
                    body,
                    priority: *priority,
                    enqueue: now,
                    visible_at: now + u64::from(*delay_s) * 1000,
                    received: false,
                    dequeue_count: 0,
                    handle: None,
                });
            }
            Op::Receive { max } => {
                let got = engine
                    .receive_messages(Q, usize::from(*max), now)
                    .map_err(|e| TestCaseError::fail(format!("step {step}: {e}")))?;
                let expected: Vec<usize> = model
                    .visible()
                    .into_iter()
                    .take(usize::from(*max))
                    .collect();
                let want: Vec<&str> = expected
                    .iter()
                    .map(|&i| model.messages[i].body.as_str())
                    .collect();
                let have: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
                prop_assert_eq!(&have, &want, "step {}: receive order", step);
                for (m, &i) in got.iter().zip(&expected) {
                    let mm = &mut model.messages[i];
                    mm.received = true;
                    mm.dequeue_count += 1;
                    mm.visible_at = now + VISIBILITY_S * 1000;
                    mm.handle = Some(m.receipt_handle.clone());
                    prop_assert_eq!(m.dequeue_count, mm.dequeue_count, "step {}", step);
                    prop_assert_eq!(m.next_visible_time, mm.visible_at, "step {}", step);
                    model.handles.push(m.receipt_handle.clone());
                }
            }
            Op::Peek { max } => {
                let got = engine
                    .peek_messages(Q, usize::from(*max), now)
                    .map_err(|e| TestCaseError::fail(format!("step {step}: {e}")))?;
                let want: Vec<String> = model
                    .visible()
                    .into_iter()
                    .take(usize::from(*max))
                    .map(|i| model.messages[i].body.clone())
                    .collect();
                let have: Vec<String> = got.into_iter().map(|m| m.body).collect();
                prop_assert_eq!(have, want, "step {}: peek", step);
            }
            Op::Delete { pick } => {
                if model.handles.is_empty() {
                    continue;
                }
                let handle = model.handles[pick % model.handles.len()].clone();
                let result = engine.delete_message(Q, &handle, now);
                match model.holder(&handle) {
                    Some(i) => {
                        prop_assert!(result.is_ok(), "step {step}: delete refused: {result:?}");
                        model.messages.remove(i);
                    }
                    None => prop_assert_eq!(
                        result.map_err(|e| e.code().clone()),
                        Err(ErrorCode::MessageNotExist),
                        "step {}: stale handle",
                        step
                    ),
                }
            }
            Op::ChangeVisibility { pick, secs } => {
                if model.handles.is_empty() {
                    continue;
                }
                let handle = model.handles[pick % model.handles.len()].clone();
                let result = engine.change_message_visibility(Q, &handle, i64::from(*secs), now);
                match model.holder(&handle) {
                    Some(i) => {
                        let changed = result.map_err(|e| {
                            TestCaseError::fail(format!("step {step}: change refused: {e}"))
                        })?;
                        let mm = &mut model.messages[i];
                        mm.visible_at = now + u64::from(*secs) * 1000;
                        mm.handle = Some(changed.receipt_handle.clone());
                        prop_assert_eq!(changed.next_visible_time, mm.visible_at, "step {}", step);
                        model.handles.push(changed.receipt_handle);
                    }
                    None => prop_assert_eq!(
                        result.map(|_| ()).map_err(|e| e.code().clone()),
                        Err(ErrorCode::MessageNotExist),
                        "step {}: stale handle",
                        step
                    ),
                }
            }
            Op::DeleteGarbage => {
                let result = engine.delete_message(Q, "not-a-handle", now);
                prop_assert_eq!(
                    result.map_err(|e| e.code().clone()),
                    Err(ErrorCode::ReceiptHandleError),
                    "step {}",
                    step
                );
            }
            Op::Advance { ms } => model.now += u64::from(*ms),
        }
        // Counters agree after every step (as of the model's now).
        model.expire();
        let attrs = engine
            .get_queue_attributes(Q, model.now)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(
            (
                attrs.active_messages,
                attrs.inactive_messages,
                attrs.delay_messages
            ),
            model.counters(),
            "step {}: counters (active, inactive, delayed)",
            step
        );
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn engine_matches_the_reference_model(ops in prop::collection::vec(op(), 1..120)) {
        run(&ops)?;
    }
}
