//! Model-based test of FIFO queues and queue dead-letter policies: random sequences of batch
//! sends with message group ids, (batch) receives, peeks, deletes and visibility changes with
//! current, stale and cross-queue handles, DLQ policy changes and clock advances run against the
//! engine and against a naive model of two queues: a source queue (normal or FIFO) whose DLQ
//! policy targets a second queue of the same kind.
//!
//! The model encodes the engine's default [`EngineConfig`] reading of the unconfirmed points:
//! a group hands out one message per receive and is locked while one of its messages is
//! Inactive (`fifo_messages_per_group_per_receive = 1`); group heads go out in arrival order,
//! priorities ignored (`fifo_honours_priority = false`); delays apply and a Delayed head blocks
//! its group (`fifo_honours_delay = true`); a message received `MaxReceiveCount` times moves at
//! the receive that would deliver it again (`dlq_move_timing = AtNextReceive`), staying Active
//! in the source until then; the moved message keeps body, group, priority, enqueue time and
//! arrival position, gets `DequeueCount` 0, a new message id and the `DLQMessageType`
//! (`QUEUE`), `DLQSourceArn` and `DLQOriginMessageId` system properties.
//!
//! After every operation both queues' counters, next wake-ups and full contents (state, group,
//! DLQ properties; each message in exactly one queue) are compared with the model.

use std::cell::RefCell;

use mns_emulator::engine::{
    Engine, EngineConfig, MessageState, QueueAttributesInput, QueueDlqPolicy, QueueKind,
    SendMessageInput,
};
use mns_emulator::error::ErrorCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const T0: u64 = 1_700_000_000_000;
const VISIBILITY_S: u64 = 20;
const RETENTION_S: u64 = 240;
const QUEUES: [&str; 2] = ["src", "dlq"];
const SRC: usize = 0;
const DLQ: usize = 1;
const GROUPS: u8 = 3;

#[derive(Debug, Clone)]
enum Op {
    /// One (batch) send of `(group, delay_s, priority)` entries to `queue`.
    Send {
        queue: usize,
        msgs: Vec<(u8, u8, u8)>,
    },
    Receive {
        queue: usize,
        max: u8,
    },
    Peek {
        queue: usize,
        max: u8,
    },
    /// Deletes with an issued handle, on the queue that issued it or (`cross`) the other one.
    Delete {
        pick: usize,
        cross: bool,
    },
    ChangeVisibility {
        pick: usize,
        secs: u16,
    },
    /// Replaces the source's policy: `None` removes it, `Some((enabled, count))` sets one.
    SetPolicy {
        policy: Option<(bool, u8)>,
    },
    Advance {
        ms: u32,
    },
}

fn queue() -> impl Strategy<Value = usize> {
    prop_oneof![4 => Just(SRC), 1 => Just(DLQ)]
}

fn op() -> impl Strategy<Value = Op> {
    let entry =
        (0..GROUPS, 0u8..=30, 1u8..=16).prop_map(|(g, d, p)| (g, if d > 8 { 0 } else { d }, p));
    prop_oneof![
        4 => (queue(), prop::collection::vec(entry, 1..=3))
            .prop_map(|(queue, msgs)| Op::Send { queue, msgs }),
        5 => (queue(), 1u8..=4).prop_map(|(queue, max)| Op::Receive { queue, max }),
        1 => (queue(), 1u8..=4).prop_map(|(queue, max)| Op::Peek { queue, max }),
        3 => (any::<usize>(), prop::bool::weighted(0.1))
            .prop_map(|(pick, cross)| Op::Delete { pick, cross }),
        1 => (any::<usize>(), 1u16..=40).prop_map(|(pick, secs)| Op::ChangeVisibility { pick, secs }),
        1 => prop::option::weighted(0.8, (prop::bool::weighted(0.8), 1u8..=3))
            .prop_map(|policy| Op::SetPolicy { policy }),
        4 => (0u32..=30_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

/// The fixed part of a case: queue kind and the source's initial policy count.
#[derive(Debug, Clone)]
struct Setup {
    fifo: bool,
    max_receive_count: Option<u8>,
}

fn setup() -> impl Strategy<Value = Setup> {
    (any::<bool>(), prop::option::weighted(0.85, 1u8..=3)).prop_map(|(fifo, max_receive_count)| {
        Setup {
            fifo,
            max_receive_count,
        }
    })
}

#[derive(Debug, Clone)]
struct Msg {
    /// Arrival position (send order); a moved message keeps it.
    order: u64,
    queue: usize,
    body: String,
    group: Option<String>,
    priority: u8,
    enqueue: u64,
    visible_at: u64,
    received: bool,
    dequeue_count: u32,
    handle: Option<String>,
    /// The id as last seen (`None` right after a move: the new id is not known yet).
    message_id: Option<String>,
    /// The source message id, once dead-lettered.
    origin: Option<String>,
}

#[derive(Debug, Default)]
struct Model {
    now: u64,
    fifo: bool,
    /// The source's receive count limit (enabled policy).
    limit: Option<u32>,
    messages: Vec<Msg>,
    /// `(queue, handle)` of every handle ever issued.
    handles: Vec<(usize, String)>,
    next: u64,
}

/// How often the interesting outcomes happened over a whole run.
#[derive(Debug, Default)]
struct Coverage {
    received: usize,
    moved: usize,
    received_dead_letters: usize,
    deleted: usize,
    stale_rejected: usize,
    changed: usize,
    /// Receives that returned fewer messages than asked while Active messages remained (FIFO
    /// group locks at work).
    blocked_by_lock: usize,
}

impl Model {
    fn state(&self, m: &Msg) -> MessageState {
        if m.visible_at <= self.now {
            MessageState::Active
        } else if m.received {
            MessageState::Inactive
        } else {
            MessageState::Delayed
        }
    }

    fn expire(&mut self) {
        let now = self.now;
        self.messages
            .retain(|m| now < m.enqueue + RETENTION_S * 1000);
    }

    /// Receivable messages of `queue` in receive order: normal queue, every Active message by
    /// (priority, arrival); FIFO, the Active head of each group with no Inactive message, by
    /// arrival.
    fn candidates(&self, queue: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.messages.len())
            .filter(|&i| {
                let m = &self.messages[i];
                if m.queue != queue || self.state(m) != MessageState::Active {
                    return false;
                }
                if !self.fifo {
                    return true;
                }
                let same_group = self
                    .messages
                    .iter()
                    .filter(|o| o.queue == queue && o.group == m.group);
                let mut head = true;
                for o in same_group {
                    if self.state(o) == MessageState::Inactive || o.order < m.order {
                        head = false;
                    }
                }
                head
            })
            .collect();
        idx.sort_by_key(|&i| {
            let m = &self.messages[i];
            (if self.fifo { 8 } else { m.priority }, m.order)
        });
        idx
    }

    /// The message `handle` currently settles in `queue`.
    fn holder(&self, queue: usize, handle: &str) -> Option<usize> {
        self.messages.iter().position(|m| {
            m.queue == queue
                && m.handle.as_deref() == Some(handle)
                && self.state(m) == MessageState::Inactive
        })
    }

    fn counters(&self, queue: usize) -> (u64, u64, u64) {
        let mut c = (0, 0, 0);
        for m in self.messages.iter().filter(|m| m.queue == queue) {
            match self.state(m) {
                MessageState::Active => c.0 += 1,
                MessageState::Inactive => c.1 += 1,
                MessageState::Delayed => c.2 += 1,
            }
        }
        c
    }

    fn next_wakeup(&self, queue: usize) -> Option<u64> {
        if !self.candidates(queue).is_empty() {
            return Some(self.now);
        }
        self.messages
            .iter()
            .filter(|m| m.queue == queue && m.visible_at > self.now)
            .map(|m| m.visible_at)
            .min()
    }
}

fn fail(step: usize, what: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("step {step}: {what}"))
}

fn policy(count: u8, enabled: bool) -> QueueDlqPolicy {
    QueueDlqPolicy {
        enabled,
        ..QueueDlqPolicy::new(QUEUES[DLQ], u32::from(count))
    }
}

fn run(setup: &Setup, ops: &[Op], cov: &mut Coverage) -> Result<(), TestCaseError> {
    let mut config = EngineConfig::default();
    config.seed = Some(7);
    let mut engine = Engine::new(config);
    let kind = if setup.fifo {
        QueueKind::Fifo
    } else {
        QueueKind::Normal
    };
    let attrs = QueueAttributesInput {
        visibility_timeout: Some(VISIBILITY_S as i64),
        message_retention_period: Some(RETENTION_S as i64),
        ..QueueAttributesInput::default()
    };
    engine
        .create_queue_with(QUEUES[DLQ], attrs.clone(), kind, None, T0)
        .map_err(|e| fail(0, e))?;
    let initial = setup.max_receive_count.map(|n| policy(n, true));
    engine
        .create_queue_with(QUEUES[SRC], attrs, kind, initial, T0)
        .map_err(|e| fail(0, e))?;
    let mut model = Model {
        now: T0,
        fifo: setup.fifo,
        limit: setup.max_receive_count.map(u32::from),
        ..Model::default()
    };
    for (step, op) in ops.iter().enumerate() {
        model.expire();
        apply(&mut engine, &mut model, step, op, cov)?;
        model.expire();
        check(&mut engine, &mut model, step)?;
    }
    Ok(())
}

fn apply(
    engine: &mut Engine,
    model: &mut Model,
    step: usize,
    op: &Op,
    cov: &mut Coverage,
) -> Result<(), TestCaseError> {
    let now = model.now;
    match op {
        Op::Send { queue, msgs } => {
            let inputs: Vec<SendMessageInput> = msgs
                .iter()
                .enumerate()
                .map(|(k, &(g, delay, priority))| SendMessageInput {
                    delay_seconds: Some(i64::from(delay)),
                    priority: Some(i64::from(priority)),
                    message_group_id: model.fifo.then(|| format!("g{g}")),
                    ..SendMessageInput::new(format!("b{}-{k}", model.next))
                })
                .collect();
            let sent = engine
                .send_messages(QUEUES[*queue], inputs.clone(), now)
                .map_err(|e| fail(step, format!("send: {e}")))?;
            prop_assert_eq!(sent.len(), inputs.len(), "step {}", step);
            for (input, s) in inputs.into_iter().zip(sent) {
                prop_assert_eq!(
                    &s.message_group_id,
                    &input.message_group_id,
                    "step {}",
                    step
                );
                model.messages.push(Msg {
                    order: model.next,
                    queue: *queue,
                    group: input.message_group_id,
                    priority: input.priority.unwrap_or(8) as u8,
                    enqueue: now,
                    visible_at: now + input.delay_seconds.unwrap_or(0) as u64 * 1000,
                    received: false,
                    dequeue_count: 0,
                    handle: None,
                    message_id: Some(s.message_id),
                    origin: None,
                    body: input.body,
                });
                model.next += 1;
            }
        }
        Op::Receive { queue, max } => {
            let q = *queue;
            let max = usize::from(*max);
            let got = engine
                .receive_messages(QUEUES[q], max, now)
                .map_err(|e| fail(step, format!("receive: {e}")))?;
            // The model's receive: take candidates one at a time; a source message already
            // received `limit` times moves to the DLQ instead (and may unblock its group).
            let mut expected = Vec::new();
            while expected.len() < max {
                let Some(&i) = model.candidates(q).first() else {
                    break;
                };
                let m = &mut model.messages[i];
                if q == SRC && model.limit.is_some_and(|n| m.dequeue_count >= n) {
                    m.queue = DLQ;
                    m.origin = m.message_id.take();
                    m.dequeue_count = 0;
                    m.received = false;
                    m.visible_at = now;
                    m.handle = None;
                    cov.moved += 1;
                    continue;
                }
                m.received = true;
                m.dequeue_count += 1;
                m.visible_at = now + VISIBILITY_S * 1000;
                expected.push(i);
            }
            let want: Vec<&str> = expected
                .iter()
                .map(|&i| model.messages[i].body.as_str())
                .collect();
            let have: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
            prop_assert_eq!(&have, &want, "step {}: receive from {}", step, QUEUES[q]);
            if got.len() < max && model.counters(q).0 > 0 {
                cov.blocked_by_lock += 1;
            }
            for (r, &i) in got.iter().zip(&expected) {
                let m = &mut model.messages[i];
                m.handle = Some(r.receipt_handle.clone());
                prop_assert_eq!(r.dequeue_count, m.dequeue_count, "step {}", step);
                prop_assert_eq!(r.next_visible_time, m.visible_at, "step {}", step);
                prop_assert_eq!(&r.message_group_id, &m.group, "step {}", step);
                prop_assert_eq!(r.priority, m.priority, "step {}", step);
                if let Some(id) = &m.message_id {
                    prop_assert_eq!(&r.message_id, id, "step {}: message id", step);
                }
                check_dlq_properties(m, &r.message_id, &r.system_properties, step)?;
                m.message_id = Some(r.message_id.clone());
                if m.origin.is_some() {
                    cov.received_dead_letters += 1;
                }
                model.handles.push((q, r.receipt_handle.clone()));
            }
            cov.received += got.len();
        }
        Op::Peek { queue, max } => {
            let got = engine
                .peek_messages(QUEUES[*queue], usize::from(*max), now)
                .map_err(|e| fail(step, format!("peek: {e}")))?;
            let want: Vec<String> = model
                .candidates(*queue)
                .into_iter()
                .take(usize::from(*max))
                .map(|i| model.messages[i].body.clone())
                .collect();
            let have: Vec<String> = got.into_iter().map(|m| m.body).collect();
            prop_assert_eq!(have, want, "step {}: peek", step);
        }
        Op::Delete { pick, cross } => {
            if model.handles.is_empty() {
                return Ok(());
            }
            let (issued_by, handle) = model.handles[pick % model.handles.len()].clone();
            let q = if *cross { 1 - issued_by } else { issued_by };
            let result = engine.delete_message(QUEUES[q], &handle, now);
            match model.holder(q, &handle) {
                Some(i) => {
                    prop_assert!(result.is_ok(), "step {step}: delete refused: {result:?}");
                    model.messages.remove(i);
                    cov.deleted += 1;
                }
                None => {
                    prop_assert_eq!(
                        result.map_err(|e| e.code().clone()),
                        Err(ErrorCode::MessageNotExist),
                        "step {}: stale handle",
                        step
                    );
                    cov.stale_rejected += 1;
                }
            }
        }
        Op::ChangeVisibility { pick, secs } => {
            if model.handles.is_empty() {
                return Ok(());
            }
            let (q, handle) = model.handles[pick % model.handles.len()].clone();
            let result =
                engine.change_message_visibility(QUEUES[q], &handle, i64::from(*secs), now);
            match model.holder(q, &handle) {
                Some(i) => {
                    let changed = result.map_err(|e| fail(step, format!("change refused: {e}")))?;
                    let m = &mut model.messages[i];
                    m.visible_at = now + u64::from(*secs) * 1000;
                    m.handle = Some(changed.receipt_handle.clone());
                    prop_assert_eq!(changed.next_visible_time, m.visible_at, "step {}", step);
                    model.handles.push((q, changed.receipt_handle));
                    cov.changed += 1;
                }
                None => {
                    prop_assert_eq!(
                        result.map(|_| ()).map_err(|e| e.code().clone()),
                        Err(ErrorCode::MessageNotExist),
                        "step {}: stale handle",
                        step
                    );
                    cov.stale_rejected += 1;
                }
            }
        }
        Op::SetPolicy { policy: p } => {
            let p2 = p.map(|(enabled, count)| policy(count, enabled));
            engine
                .set_queue_dlq_policy(QUEUES[SRC], p2.clone(), now)
                .map_err(|e| fail(step, format!("set policy: {e}")))?;
            prop_assert_eq!(
                engine
                    .queue_dlq_policy(QUEUES[SRC])
                    .map_err(|e| fail(step, e))?,
                p2,
                "step {}",
                step
            );
            model.limit = p.and_then(|(enabled, count)| enabled.then_some(u32::from(count)));
        }
        Op::Advance { ms } => model.now += u64::from(*ms),
    }
    Ok(())
}

/// A dead-lettered message carries exactly the three DLQ properties and a new id; any other
/// carries none.
fn check_dlq_properties(
    m: &Msg,
    id: &str,
    props: &[mns_emulator::engine::SystemProperty],
    step: usize,
) -> Result<(), TestCaseError> {
    let get = |name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    };
    match &m.origin {
        None => prop_assert!(props.is_empty(), "step {step}: {} has {props:?}", m.body),
        Some(origin) => {
            prop_assert_eq!(props.len(), 3, "step {}: {:?}", step, props);
            prop_assert_eq!(get("DLQMessageType"), Some("QUEUE"), "step {}", step);
            prop_assert_eq!(
                get("DLQOriginMessageId"),
                Some(origin.as_str()),
                "step {}",
                step
            );
            prop_assert!(
                get("DLQSourceArn").is_some_and(|a| a.ends_with(":queues/src")),
                "step {step}: {props:?}"
            );
            prop_assert_ne!(
                id,
                origin.as_str(),
                "step {}: dead letter keeps its id",
                step
            );
        }
    }
    Ok(())
}

/// Counters, wake-ups and the full contents of both queues agree with the model.
fn check(engine: &mut Engine, model: &mut Model, step: usize) -> Result<(), TestCaseError> {
    for q in [SRC, DLQ] {
        let attrs = engine
            .get_queue_attributes(QUEUES[q], model.now)
            .map_err(|e| fail(step, e))?;
        prop_assert_eq!(
            (
                attrs.active_messages,
                attrs.inactive_messages,
                attrs.delay_messages
            ),
            model.counters(q),
            "step {}: {} counters (active, inactive, delayed)",
            step,
            QUEUES[q]
        );
        prop_assert_eq!(
            engine.next_wakeup(QUEUES[q], model.now),
            model.next_wakeup(q),
            "step {}: {} next wake-up",
            step,
            QUEUES[q]
        );
        let snap = engine
            .inspect_queue(QUEUES[q], model.now)
            .map_err(|e| fail(step, e))?;
        let mut want: Vec<usize> = (0..model.messages.len())
            .filter(|&i| model.messages[i].queue == q)
            .collect();
        want.sort_by_key(|&i| model.messages[i].order);
        let have: Vec<(&str, MessageState)> =
            snap.iter().map(|s| (s.body.as_str(), s.state)).collect();
        let expected: Vec<(&str, MessageState)> = want
            .iter()
            .map(|&i| {
                let m = &model.messages[i];
                (m.body.as_str(), model.state(m))
            })
            .collect();
        prop_assert_eq!(have, expected, "step {}: {} contents", step, QUEUES[q]);
        for (s, &i) in snap.iter().zip(&want) {
            let m = &mut model.messages[i];
            prop_assert_eq!(&s.message_group_id, &m.group, "step {}", step);
            prop_assert_eq!(s.dequeue_count, m.dequeue_count, "step {}", step);
            prop_assert_eq!(s.enqueue_time, m.enqueue, "step {}", step);
            if let Some(id) = &m.message_id {
                prop_assert_eq!(&s.message_id, id, "step {}: message id", step);
            }
            check_dlq_properties(m, &s.message_id, &s.system_properties, step)?;
            m.message_id = Some(s.message_id.clone());
        }
    }
    Ok(())
}

#[test]
fn fifo_and_dlq_match_the_reference_model() {
    let cases = super::cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let cov = RefCell::new(Coverage::default());
    let strategy = (setup(), prop::collection::vec(op(), 1..150));
    let result = runner.run(&strategy, |(setup, ops)| {
        run(&setup, &ops, &mut cov.borrow_mut())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let cov = cov.into_inner();
    eprintln!("{cases} sequences: {cov:?}");
    // The run really exercised the paths this model is about.
    if cases >= 64 {
        assert!(cov.received > 100, "{cov:?}");
        assert!(cov.moved > 5, "{cov:?}");
        assert!(cov.received_dead_letters > 0, "{cov:?}");
        assert!(cov.deleted > 10, "{cov:?}");
        assert!(cov.stale_rejected > 10, "{cov:?}");
        assert!(cov.changed > 5, "{cov:?}");
        assert!(cov.blocked_by_lock > 0, "{cov:?}");
    }
}
