//! Fault injection: make the emulator misbehave on purpose, deterministically, so that retry and
//! recovery code can be tested.
//!
//! A [`FaultPlan`] is a seed plus an ordered list of [`FaultRule`]s. Each rule matches an
//! [`Operation`] (or any) and a queue or topic name (or any), fires with a probability and/or for
//! the next N matching calls, and then applies a [`Fault`]:
//!
//! * [`Fault::Error`]: answer a chosen MNS error (status + `Code`) without touching any state;
//! * [`Fault::Latency`]: wait on the emulator's clock before handling the request;
//! * [`Fault::DropConnection`]: close the connection without an answer, before handling;
//! * [`Fault::DropResponse`]: handle the request, then close the connection without an answer
//!   (the change happened, the client cannot know);
//! * [`Fault::DropDuringLongPoll`]: a receive still waiting after the given time is abandoned
//!   (taking nothing) and its connection closed;
//! * [`Fault::DuplicateDelivery`]: messages a receive returns become visible again at once, so
//!   another receive gets them too (their first receipt handles stop working);
//! * [`Fault::ExpireReceiptHandles`]: every outstanding receipt handle of the queue expires
//!   before the request is handled (messages keep their visibility times).
//!
//! Decisions come from a small generator seeded by [`FaultPlan::seed`]: the same plan and the
//! same order of requests give the same faults.
//!
//! Set a plan from Rust with [`FaultInjector::set_plan`] (via
//! [`Emulator::faults`](crate::Emulator::faults)), or over HTTP when the admin endpoint is on
//! ([`EmulatorBuilder::admin_endpoint`](crate::EmulatorBuilder::admin_endpoint), or
//! `mns-emulator --admin`):
//!
//! ```text
//! POST   /__emulator/faults   {"seed":7,"rules":[{"operation":"SendMessage","probability":0.2,
//!                               "fault":{"kind":"error","status":500,"code":"InternalError"}}]}
//! GET    /__emulator/faults   the plan and how often each rule fired
//! DELETE /__emulator/faults   no more faults
//! ```
//!
//! Control-plane OpenAPI requests go through the same plan as [`Operation::ControlPlane`] (the
//! rule's `resource` is then the action name), and an injected error is answered as the
//! OpenAPI's JSON error envelope instead of the data plane's XML `<Error>`.
//!
//! `/__emulator/…` cannot collide with the MNS API: its paths start with `/queues`, `/topics`,
//! `/commonbuy` or are `/?accountmeta`, and queue and topic names cannot contain `_`.
//!
//! ```
//! # async fn demo() -> std::io::Result<()> {
//! use mns_emulator::Emulator;
//! use mns_emulator::faults::{Fault, FaultPlan, FaultRule, Operation};
//!
//! let emu = Emulator::builder().start().await?;
//! emu.faults().set_plan(FaultPlan::seeded(42).rule(
//!     FaultRule::new(Fault::error(500, "InternalError"))
//!         .operation(Operation::SendMessage)
//!         .resource("jobs")
//!         .probability(0.2),
//! ));
//! // ... 20% of the sends to `jobs` now fail with 500 InternalError ...
//! emu.faults().clear();
//! # emu.shutdown().await;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::{ErrorCode, MnsError};

/// The path of the fault admin endpoint (only served when enabled).
pub const ADMIN_FAULTS_PATH: &str = "/__emulator/faults";

/// An MNS operation a rule can target. Batch forms share their single form's name (the HTTP
/// route is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Operation {
    /// `PUT /queues/{q}`.
    CreateQueue,
    /// `PUT /queues/{q}?metaoverride=true`.
    SetQueueAttributes,
    /// `GET /queues/{q}`.
    GetQueueAttributes,
    /// `DELETE /queues/{q}`.
    DeleteQueue,
    /// `GET /queues`.
    ListQueue,
    /// `POST /queues/{q}/messages` (single and batch).
    SendMessage,
    /// `GET /queues/{q}/messages` (single and batch).
    ReceiveMessage,
    /// `GET /queues/{q}/messages?peekonly=true` (single and batch).
    PeekMessage,
    /// `DELETE /queues/{q}/messages` (single and batch).
    DeleteMessage,
    /// `PUT /queues/{q}/messages?receiptHandle=…&visibilityTimeout=…`.
    ChangeMessageVisibility,
    /// `PUT /topics/{t}`.
    CreateTopic,
    /// `PUT /topics/{t}?metaoverride=true`.
    SetTopicAttributes,
    /// `GET /topics/{t}`.
    GetTopicAttributes,
    /// `DELETE /topics/{t}`.
    DeleteTopic,
    /// `GET /topics`.
    ListTopic,
    /// `POST /topics/{t}/messages`.
    PublishMessage,
    /// Any other request under `/topics/{t}/subscriptions` (subscribe, unsubscribe, …).
    Subscription,
    /// Account operations and anything else on the data plane.
    Other,
    /// Any control-plane OpenAPI request (Mns-open 2022-01-19, JSON, served on the same port).
    /// For these the rule's `resource` is matched against the action name (`CreateQueue`,
    /// `ListTopic`, `SetAccountAttributes`, ...), known from the request head. An injected
    /// [`Fault::Error`] is answered in the OpenAPI's JSON error envelope (`Code`, `Message`,
    /// `RequestId`, ...), e.g. `{"kind":"error","status":400,"code":"Throttling.User"}` to
    /// exercise a client's gateway-throttling retries; receipt-handle faults do nothing here.
    ControlPlane,
}

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Answer this MNS error (the service's `<Error>` document) without handling the request.
    Error {
        /// HTTP status, e.g. 500 or 503: [`FAULT_STATUSES`] only (a plan with another one is
        /// refused when read from JSON; set in code, it is answered as 500).
        #[serde(deserialize_with = "error_status")]
        status: u16,
        /// The `<Code>`, e.g. `InternalError` or `QpsLimitExceeded`.
        code: String,
        /// The `<Message>`; a generic text when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Wait this long on the emulator's clock, then handle the request normally.
    Latency {
        /// Milliseconds of added latency.
        millis: u64,
    },
    /// Close the connection without answering, before the request is handled (nothing changes).
    DropConnection,
    /// Handle the request, then close the connection without answering (the change stays).
    DropResponse,
    /// A receive still long-polling after `after_millis` (emulator clock) is abandoned, taking
    /// nothing, and its connection closed. Receives answered earlier are not affected.
    DropDuringLongPoll {
        /// How far into the long poll the connection drops.
        after_millis: u64,
    },
    /// Messages a receive returns also become visible again at once (delivered twice; the
    /// first delivery's receipt handle stops working).
    DuplicateDelivery,
    /// Every outstanding receipt handle of the queue expires before the request is handled.
    ExpireReceiptHandles,
}

/// The statuses an injected error may have: 400-599. The answer carries the service's `<Error>`
/// document, which only an error status can: 1xx, 204 and 304 cannot have a body at all, SDKs
/// read a 2xx or 3xx as success or redirect rather than as the error, and statuses from 600 are
/// not HTTP.
pub const FAULT_STATUSES: std::ops::RangeInclusive<u16> = 400..=599;

fn error_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let status = u16::deserialize(d)?;
    if FAULT_STATUSES.contains(&status) {
        Ok(status)
    } else {
        Err(serde::de::Error::custom(format!(
            "fault status {status} is not allowed: an injected error needs an HTTP error status \
             from {} to {}",
            FAULT_STATUSES.start(),
            FAULT_STATUSES.end()
        )))
    }
}

impl Fault {
    /// [`Fault::Error`] with a generic message.
    pub fn error(status: u16, code: impl Into<String>) -> Self {
        Fault::Error {
            status,
            code: code.into(),
            message: None,
        }
    }

    /// [`Fault::Latency`].
    pub fn latency(by: Duration) -> Self {
        Fault::Latency {
            millis: u64::try_from(by.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// One rule: which requests, how often, and what happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The operation to target; `None` matches every operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// The queue or topic name to target; `None` matches every resource (and none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Probability (0..=1) that a matching request is hit (default 1).
    #[serde(default = "one")]
    pub probability: f64,
    /// Hit at most this many requests, then stop (default: no limit). With probability 1 this is
    /// "the next N calls".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// What happens.
    pub fault: Fault,
}

fn one() -> f64 {
    1.0
}

impl FaultRule {
    /// A rule hitting every request with `fault` (narrow it with the other methods).
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            operation: None,
            resource: None,
            probability: 1.0,
            times: None,
            fault,
        }
    }

    /// Only this operation.
    pub fn operation(mut self, op: Operation) -> Self {
        self.operation = Some(op);
        self
    }

    /// Only this queue or topic.
    pub fn resource(mut self, name: impl Into<String>) -> Self {
        self.resource = Some(name.into());
        self
    }

    /// Hit a matching request with this probability (clamped to 0..=1).
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p.clamp(0.0, 1.0);
        self
    }

    /// Hit at most `n` requests (with probability 1: exactly the next `n`).
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, op: Operation, resource: Option<&str>) -> bool {
        self.operation.is_none_or(|o| o == op)
            && self.resource.as_deref().is_none_or(|r| resource == Some(r))
    }
}

/// A seed and an ordered list of rules; the first matching rule that fires decides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// Seed of the decision generator.
    #[serde(default)]
    pub seed: u64,
    /// The rules, tried in order.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// An empty plan with this seed.
    pub fn seeded(seed: u64) -> Self {
        FaultPlan {
            seed,
            rules: Vec::new(),
        }
    }

    /// Appends a rule.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }
}

/// SplitMix64: tiny, seedable, and the same on every platform and `rand` version.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug)]
struct InjectorState {
    plan: FaultPlan,
    rng: SplitMix64,
    /// How often each rule fired.
    fired: Vec<u64>,
}

/// The live fault settings of one emulator; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct FaultInjector {
    state: Arc<Mutex<InjectorState>>,
    /// Whether the plan has any rule, written under the state's lock: requests read it without
    /// taking the lock (a lock on every request otherwise, contended across cores).
    armed: Arc<AtomicBool>,
}

impl Default for FaultInjector {
    fn default() -> Self {
        FaultInjector {
            state: Arc::new(Mutex::new(InjectorState {
                plan: FaultPlan::default(),
                rng: SplitMix64(0),
                fired: Vec::new(),
            })),
            armed: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// A plan and how often each of its rules fired (what `GET /__emulator/faults` answers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// The current plan.
    pub plan: FaultPlan,
    /// Per rule (same order), how many requests it hit.
    pub fired: Vec<u64>,
}

impl FaultInjector {
    fn lock(&self) -> std::sync::MutexGuard<'_, InjectorState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the plan and restarts the generator from the plan's seed.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut s = self.lock();
        s.rng = SplitMix64(plan.seed);
        s.fired = vec![0; plan.rules.len()];
        self.armed.store(!plan.rules.is_empty(), Ordering::Release);
        s.plan = plan;
    }

    /// Appends a rule to the current plan (the generator continues).
    pub fn add_rule(&self, rule: FaultRule) {
        let mut s = self.lock();
        s.plan.rules.push(rule);
        s.fired.push(0);
        self.armed.store(true, Ordering::Release);
    }

    /// Removes every rule: the emulator behaves normally again.
    pub fn clear(&self) {
        let seed = self.lock().plan.seed;
        self.set_plan(FaultPlan::seeded(seed));
    }

    /// Whether the plan has any rule. A request that sees `false` is served as if no rule matched
    /// it, which is what the lock would have decided at that moment; one that starts after a
    /// plan is installed sees it.
    pub(crate) fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    /// The plan and per-rule hit counts.
    pub fn report(&self) -> FaultReport {
        let s = self.lock();
        FaultReport {
            plan: s.plan.clone(),
            fired: s.fired.clone(),
        }
    }

    /// Total number of requests hit by any rule.
    pub fn fired_total(&self) -> u64 {
        self.lock().fired.iter().sum()
    }

    /// Decides the fault (if any) for one request. Every matching rule with a probability below
    /// 1 draws one number, so decisions depend only on the seed and the order of requests.
    fn decide(&self, op: Operation, resource: Option<&str>) -> Option<Fault> {
        if !self.is_armed() {
            return None;
        }
        let mut s = self.lock();
        if s.plan.rules.is_empty() {
            return None;
        }
        let InjectorState { plan, rng, fired } = &mut *s;
        for (rule, count) in plan.rules.iter_mut().zip(fired.iter_mut()) {
            if !rule.matches(op, resource) || rule.times == Some(0) {
                continue;
            }
            let hit = rule.probability >= 1.0 || rng.next_f64() < rule.probability;
            if hit {
                if let Some(t) = rule.times.as_mut() {
                    *t -= 1;
                }
                *count += 1;
                return Some(rule.fault.clone());
            }
        }
        None
    }
}

/// What the HTTP layer should do with a request after fault injection.
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    /// The answer (possibly an injected error).
    pub(crate) result: Result<T, MnsError>,
    /// Close the connection instead of answering.
    pub(crate) drop_connection: bool,
}

/// Hooks the HTTP layer calls around one request.
pub(crate) trait FaultHost {
    /// The emulator's clock.
    fn clock(&self) -> &Arc<dyn Clock>;
    /// Expires every receipt handle of `queue` (no-op if it does not exist).
    fn expire_receipt_handles(&self, queue: &str);
    /// Makes the messages behind these receipt handles of `queue` visible again now.
    fn redeliver(&self, queue: &str, handles: &[String]);
}

/// Runs `handle` (the un-started request future) under the fault, if any, chosen for this
/// request. `body_of` extracts the response body of a successful answer (for receipt handles).
pub(crate) async fn around<T, F>(
    injector: &FaultInjector,
    host: &(impl FaultHost + Sync),
    op: Operation,
    resource: Option<String>,
    handle: F,
    body_of: impl FnOnce(&T) -> Option<&str> + Send,
) -> Outcome<T>
where
    T: Send,
    F: Future<Output = Result<T, MnsError>> + Send,
{
    let plain = |result| Outcome {
        result,
        drop_connection: false,
    };
    let Some(fault) = injector.decide(op, resource.as_deref()) else {
        return plain(handle.await);
    };
    tracing::debug!(?op, ?resource, ?fault, "injecting fault");
    match fault {
        Fault::Error {
            status,
            code,
            message,
        } => plain(Err(MnsError::with_status(
            ErrorCode::parse(&code),
            message.unwrap_or_else(|| "Injected fault.".to_owned()),
            if FAULT_STATUSES.contains(&status) {
                status
            } else {
                tracing::warn!(status, "fault status outside 400-599: answering 500");
                500
            },
        ))),
        Fault::Latency { millis } => {
            let deadline = host.clock().now() + Duration::from_millis(millis);
            host.clock().sleep_until(deadline).await;
            plain(handle.await)
        }
        Fault::DropConnection => Outcome {
            result: Err(MnsError::internal_error()),
            drop_connection: true,
        },
        Fault::DropResponse => Outcome {
            result: handle.await,
            drop_connection: true,
        },
        Fault::DropDuringLongPoll { after_millis } => {
            let deadline = host.clock().now() + Duration::from_millis(after_millis);
            tokio::select! {
                result = handle => plain(result),
                () = host.clock().sleep_until(deadline) => Outcome {
                    result: Err(MnsError::internal_error()),
                    drop_connection: true,
                },
            }
        }
        Fault::DuplicateDelivery => {
            let result = handle.await;
            if let (Ok(reply), Some(queue), Operation::ReceiveMessage) =
                (&result, resource.as_deref(), op)
            {
                let handles = body_of(reply).map(receipt_handles).unwrap_or_default();
                host.redeliver(queue, &handles);
            }
            plain(result)
        }
        Fault::ExpireReceiptHandles => {
            // A control-plane rule's resource is an action name, not a queue.
            if let (Some(queue), false) = (resource.as_deref(), op == Operation::ControlPlane) {
                host.expire_receipt_handles(queue);
            }
            plain(handle.await)
        }
    }
}

/// The texts of every `<ReceiptHandle>` in one of our own response documents.
fn receipt_handles(body: &str) -> Vec<String> {
    const OPEN: &str = "<ReceiptHandle>";
    const CLOSE: &str = "</ReceiptHandle>";
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(OPEN) {
        let after = &rest[i + OPEN.len()..];
        let Some(j) = after.find(CLOSE) else { break };
        out.push(after[..j].to_owned());
        rest = &after[j + CLOSE.len()..];
    }
    out
}

#[cfg(test)]
mod tests;
