//! Randomised check of the queue engine against a naive reference model.
//!
//! The model keeps every message in a `Vec` and recomputes everything by linear scans, the
//! obvious-but-slow way; the engine must agree with it after every operation: which messages a
//! receive returns and in what order, delete/change-visibility outcomes for current and stale
//! handles, and the three counters. The random generator is seeded, so failures reproduce.

use mns_emulator::engine::{
    Engine, EngineConfig, MessageState, QueueAttributesInput, SendMessageInput,
};
use mns_emulator::error::ErrorCode;

const T0: u64 = 1_700_000_000_000;
const RETENTION_MS: u64 = 120_000;
const VISIBILITY_MS: u64 = 10_000;

/// xorshift64*: enough randomness for choosing operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug)]
struct ModelMessage {
    body: String,
    priority: u8,
    enqueue: u64,
    visible_at: u64,
    dequeue_count: u32,
    handle: Option<String>,
    deleted: bool,
}

impl ModelMessage {
    fn alive(&self, now: u64) -> bool {
        !self.deleted && now < self.enqueue + RETENTION_MS
    }
    fn state(&self, now: u64) -> MessageState {
        if self.visible_at <= now {
            MessageState::Active
        } else if self.dequeue_count == 0 {
            MessageState::Delayed
        } else {
            MessageState::Inactive
        }
    }
    fn handle_is_current(&self, handle: &str, now: u64) -> bool {
        self.alive(now) && self.visible_at > now && self.handle.as_deref() == Some(handle)
    }
}

/// How often each interesting outcome happened, so the test can show it exercised them.
#[derive(Debug, Default)]
struct Coverage {
    received: usize,
    deleted: usize,
    stale_rejected: usize,
    changed: usize,
    expired: usize,
}

fn run(seed: u64, steps: usize, cov: &mut Coverage) {
    let mut rng = Rng(seed);
    let mut config = EngineConfig::default();
    config.seed = Some(seed);
    let mut e = Engine::new(config);
    let attrs = QueueAttributesInput {
        message_retention_period: Some((RETENTION_MS / 1000) as i64),
        visibility_timeout: Some((VISIBILITY_MS / 1000) as i64),
        ..Default::default()
    };
    e.create_queue("q", attrs, T0).unwrap();
    let mut model: Vec<ModelMessage> = Vec::new();
    let mut issued: Vec<String> = Vec::new();
    let mut now = T0;

    for step in 0..steps {
        match rng.below(10) {
            0..=2 => {
                let n = 1 + rng.below(3) as usize;
                let mut batch = Vec::new();
                for _ in 0..n {
                    let mut m = SendMessageInput::new(format!("s{step}-{}", batch.len()));
                    m.priority = Some(1 + rng.below(3) as i64 * 7);
                    m.delay_seconds = Some([0, 0, 0, 3, 15][rng.below(5) as usize]);
                    batch.push(m);
                }
                let sent = e.send_messages("q", batch.clone(), now).unwrap();
                for (m, s) in batch.into_iter().zip(sent) {
                    let delay = m.delay_seconds.unwrap_or(0) as u64 * 1000;
                    assert_eq!(s.receipt_handle.is_some(), delay > 0);
                    if let Some(h) = &s.receipt_handle {
                        issued.push(h.clone());
                    }
                    model.push(ModelMessage {
                        body: m.body,
                        priority: m.priority.unwrap_or(8) as u8,
                        enqueue: now,
                        visible_at: now + delay,
                        dequeue_count: 0,
                        handle: s.receipt_handle,
                        deleted: false,
                    });
                }
            }
            3..=4 => {
                let max = 1 + rng.below(4) as usize;
                let got = e.receive_messages("q", max, now).unwrap();
                let mut expected: Vec<usize> = (0..model.len())
                    .filter(|&i| model[i].alive(now) && model[i].visible_at <= now)
                    .collect();
                // Send order is index order, so a stable sort by priority gives (priority, send order).
                expected.sort_by_key(|&i| model[i].priority);
                expected.truncate(max);
                let got_bodies: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
                let want: Vec<_> = expected.iter().map(|&i| model[i].body.clone()).collect();
                assert_eq!(got_bodies, want, "seed {seed} step {step}: receive");
                for (m, &i) in got.iter().zip(&expected) {
                    let mm = &mut model[i];
                    mm.dequeue_count += 1;
                    mm.visible_at = now + VISIBILITY_MS;
                    mm.handle = Some(m.receipt_handle.clone());
                    assert_eq!(m.dequeue_count, mm.dequeue_count);
                    assert_eq!(m.next_visible_time, mm.visible_at);
                    issued.push(m.receipt_handle.clone());
                }
                cov.received += got.len();
            }
            5..=6 if !issued.is_empty() => {
                let h = issued[rng.below(issued.len() as u64) as usize].clone();
                let target = model
                    .iter()
                    .position(|m| m.handle.as_deref() == Some(h.as_str()));
                let current = target.is_some_and(|i| model[i].handle_is_current(&h, now));
                let result = e.delete_message("q", &h, now);
                if current {
                    assert!(
                        result.is_ok(),
                        "seed {seed} step {step}: delete current {result:?}"
                    );
                    if let Some(i) = target {
                        model[i].deleted = true;
                    }
                    cov.deleted += 1;
                } else {
                    let err = result.expect_err("stale handle must fail");
                    assert_eq!(
                        err.code(),
                        &ErrorCode::MessageNotExist,
                        "seed {seed} step {step}"
                    );
                    cov.stale_rejected += 1;
                }
            }
            7 if !issued.is_empty() => {
                let h = issued[rng.below(issued.len() as u64) as usize].clone();
                let target = model
                    .iter()
                    .position(|m| m.handle.as_deref() == Some(h.as_str()));
                let current = target.is_some_and(|i| model[i].handle_is_current(&h, now));
                let secs = 1 + rng.below(20);
                let result = e.change_message_visibility("q", &h, secs as i64, now);
                match (current, target) {
                    (true, Some(i)) => {
                        let changed = result.unwrap();
                        model[i].visible_at = now + secs * 1000;
                        model[i].handle = Some(changed.receipt_handle.clone());
                        assert_eq!(changed.next_visible_time, model[i].visible_at);
                        issued.push(changed.receipt_handle);
                        cov.changed += 1;
                    }
                    _ => {
                        let err = result.expect_err("stale handle must fail");
                        assert_eq!(
                            err.code(),
                            &ErrorCode::MessageNotExist,
                            "seed {seed} step {step}"
                        );
                        cov.stale_rejected += 1;
                    }
                }
            }
            _ => now += rng.below(8_000),
        }
        if step % 7 == 0 {
            let a = e.get_queue_attributes("q", now).unwrap();
            let count = |s: MessageState| {
                model
                    .iter()
                    .filter(|m| m.alive(now) && m.state(now) == s)
                    .count() as u64
            };
            assert_eq!(
                (a.active_messages, a.inactive_messages, a.delay_messages),
                (
                    count(MessageState::Active),
                    count(MessageState::Inactive),
                    count(MessageState::Delayed)
                ),
                "seed {seed} step {step}: counters"
            );
            let wake = e.next_wakeup("q", now);
            let model_wake = model
                .iter()
                .filter(|m| m.alive(now))
                .map(|m| m.visible_at.max(now))
                .min();
            assert_eq!(wake, model_wake, "seed {seed} step {step}: next_wakeup");
        }
    }
    // Bodies in inspect order match the model's live messages in send order.
    let live: Vec<_> = model
        .iter()
        .filter(|m| m.alive(now))
        .map(|m| m.body.clone())
        .collect();
    let snap: Vec<_> = e
        .inspect_queue("q", now)
        .unwrap()
        .into_iter()
        .map(|s| s.body)
        .collect();
    assert_eq!(snap, live, "seed {seed}: inspect");
    cov.expired += model.iter().filter(|m| !m.deleted && !m.alive(now)).count();
}

#[test]
fn engine_agrees_with_a_naive_model() {
    let mut cov = Coverage::default();
    for seed in 1..=20u64 {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 2_000, &mut cov);
    }
    // The run really exercised every path.
    assert!(cov.received > 1000, "{cov:?}");
    assert!(cov.deleted > 100, "{cov:?}");
    assert!(cov.stale_rejected > 100, "{cov:?}");
    assert!(cov.changed > 50, "{cov:?}");
    assert!(cov.expired > 100, "{cov:?}");
}
