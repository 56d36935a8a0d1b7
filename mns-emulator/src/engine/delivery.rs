//! Topic message delivery: one pending delivery per (message, subscription), attempted when due,
//! retried on the subscription's `NotifyStrategy` schedule, then delivered or dropped
//! (reference §3.4, §5, §6.3).
//!
//! Queue and record-only endpoints are attempted inside the engine. HTTP endpoints need I/O: the
//! engine hands them out as [`HttpPush`] jobs from [`Engine::run_due_deliveries`] and learns the
//! result through [`Engine::complete_http_push`]. Every attempt, delivery and drop is logged for
//! tests (the logs keep the most recent [`MAX_LOG_ENTRIES`] entries each).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::notify_format::{self, NotificationFields};
use super::subscription::{Endpoint, NotifyContentFormat, NotifyStrategy};
use super::{Engine, Millis, SendMessageInput};

/// How many entries each delivery log keeps (oldest dropped first). Records keep the body they
/// delivered, so the bound also caps memory on a long-running standalone emulator.
pub const MAX_LOG_ENTRIES: usize = 10_000;

/// Topic messages are kept (and retried) at most this long: `MessageRetentionPeriod`, 1 day.
pub const TOPIC_RETENTION_MILLIS: Millis = 86_400_000;

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// Accepted: a 2xx from an HTTP endpoint (`status`), or stored in a queue / recorded
    /// (`status` is `None`).
    Delivered {
        /// The HTTP status, for HTTP endpoints.
        status: Option<u16>,
    },
    /// Refused or failed; retried on the strategy's schedule, then dropped.
    Failed {
        /// The HTTP status when the endpoint answered.
        status: Option<u16>,
        /// Why, in words (status, timeout, connection error, missing queue …).
        reason: String,
    },
}

impl AttemptOutcome {
    /// Whether the attempt delivered the message.
    pub fn is_delivered(&self) -> bool {
        matches!(self, AttemptOutcome::Delivered { .. })
    }
}

/// One attempt to deliver one message to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Identifies the (message, subscription) delivery across its attempts.
    pub delivery_id: u64,
    /// Topic name.
    pub topic: String,
    /// Subscription name.
    pub subscription: String,
    /// Endpoint string.
    pub endpoint: String,
    /// Topic message id.
    pub message_id: String,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// When the attempt started, epoch ms.
    pub at: Millis,
    /// The result.
    pub outcome: AttemptOutcome,
}

/// A delivery that ended: delivered, or dropped after its last retry (or with its topic or
/// subscription, or at the end of the retention period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Identifies the delivery (see [`DeliveryAttempt::delivery_id`]).
    pub delivery_id: u64,
    /// Topic name.
    pub topic: String,
    /// Subscription name.
    pub subscription: String,
    /// Endpoint string.
    pub endpoint: String,
    /// Topic message id.
    pub message_id: String,
    /// The subscription's content format.
    pub format: NotifyContentFormat,
    /// The body written to the endpoint.
    pub body: String,
    /// The published `MessageAttributes` (element name, JSON text).
    pub message_attributes: Vec<(String, String)>,
    /// Number of attempts made.
    pub attempts: u32,
    /// When it ended, epoch ms.
    pub at: Millis,
    /// For dropped deliveries: why.
    pub reason: Option<String>,
}

/// An HTTP push the I/O layer must perform now (see [`Engine::run_due_deliveries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPush {
    /// The delivery this attempt belongs to.
    pub delivery_id: u64,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The endpoint URL.
    pub url: String,
    /// The subscription's content format.
    pub format: NotifyContentFormat,
    /// The request body.
    pub body: String,
    /// The notification's metadata (for SIMPLIFIED headers).
    pub fields: NotificationFields,
    /// The state the attempt was handed out from ([`Engine::replace_with`] starts a new one):
    /// reporting it to a replaced state (after a full reset or a restore, where delivery ids
    /// start again) settles nothing.
    epoch: u64,
}

impl HttpPush {
    /// The `Content-Type` to send.
    pub fn content_type(&self) -> &'static str {
        notify_format::content_type(self.format)
    }
}

/// What [`Engine::run_due_deliveries`] did and what is left to the I/O layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueDeliveries {
    /// HTTP pushes to perform now; report each with [`Engine::complete_http_push`].
    pub http: Vec<HttpPush>,
    /// Queues that received messages (their long polls should be woken).
    pub queues_delivered: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) id: u64,
    pub(crate) topic: String,
    pub(crate) subscription: String,
    pub(crate) endpoint: Endpoint,
    pub(crate) format: NotifyContentFormat,
    pub(crate) strategy: NotifyStrategy,
    pub(crate) fields: NotificationFields,
    pub(crate) body: String,
    pub(crate) message_attributes: Vec<(String, String)>,
    /// What a queue endpoint's message carries beyond the body: the publish's properties and
    /// group id when [`EngineConfig::topic_forwards_properties`](super::EngineConfig) is on.
    pub(crate) forwarded: Option<Box<Forwarded>>,
    pub(crate) attempts: u32,
    pub(crate) next_due: Millis,
    pub(crate) expires_at: Millis,
}

/// A publish's properties and group id, forwarded to queue subscriptions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Forwarded {
    pub(crate) user_properties: Vec<super::UserProperty>,
    pub(crate) system_properties: Vec<super::SystemProperty>,
    pub(crate) message_group_id: Option<String>,
}

/// Pending deliveries and the logs.
#[derive(Debug, Default)]
pub(crate) struct DeliveryQueue {
    pub(super) pending: BTreeMap<u64, Delivery>,
    /// Deliveries waiting for their next attempt (not in flight), by due time.
    pub(super) due: BTreeSet<(Millis, u64)>,
    /// Deliveries whose HTTP attempt is in flight.
    pub(super) in_flight: BTreeSet<u64>,
    pub(super) next_id: u64,
    attempts: VecDeque<DeliveryAttempt>,
    delivered: VecDeque<DeliveryRecord>,
    dropped: VecDeque<DeliveryRecord>,
    pub(super) rng: u64,
    /// Whether changes are recorded in `changed` (for `Engine::take_changes`).
    pub(super) track: bool,
    /// Deliveries added, attempted, settled or dropped since the last `Engine::take_changes`.
    pub(super) changed: Vec<u64>,
    /// Running totals (not capped like the logs), for metrics.
    totals: DeliveryTotals,
}

/// Running totals of topic deliveries since the engine was built (not part of the state
/// image; a restored engine starts from zero). Unlike the logs they are never capped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryTotals {
    /// Attempts that delivered.
    pub attempts_delivered: u64,
    /// Attempts that failed (each is retried or ends the delivery).
    pub attempts_failed: u64,
    /// Deliveries that ended delivered.
    pub delivered: u64,
    /// Deliveries that ended dropped (retries exhausted, topic or subscription gone, reset,
    /// retention over).
    pub dropped: u64,
}

fn push_capped<T>(log: &mut VecDeque<T>, item: T) {
    if log.len() == MAX_LOG_ENTRIES {
        log.pop_front();
    }
    log.push_back(item);
}

fn record(d: &Delivery, at: Millis, reason: Option<String>) -> DeliveryRecord {
    DeliveryRecord {
        delivery_id: d.id,
        topic: d.topic.clone(),
        subscription: d.subscription.clone(),
        endpoint: d.endpoint.as_str(),
        message_id: d.fields.message_id.clone(),
        format: d.format,
        body: d.body.clone(),
        message_attributes: d.message_attributes.clone(),
        attempts: d.attempts,
        at,
        reason,
    }
}

impl DeliveryQueue {
    pub(crate) fn new(seed: u64) -> Self {
        DeliveryQueue {
            rng: seed ^ 0x7075_7368_5f72_6e67,
            ..Default::default()
        }
    }

    fn random(&mut self) -> u64 {
        // splitmix64 step.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Records that delivery `id` changed (when tracking).
    pub(super) fn mark(&mut self, id: u64) {
        if self.track {
            self.changed.push(id);
        }
    }

    /// Adds a delivery due at `now`; returns its id.
    pub(crate) fn enqueue(&mut self, mut d: Delivery, now: Millis) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.mark(id);
        d.id = id;
        d.next_due = now;
        self.due.insert((now, id));
        self.pending.insert(id, d);
        id
    }

    /// Drops every pending delivery matching `pred` (topic deleted, unsubscribed).
    pub(crate) fn drop_where(
        &mut self,
        pred: impl Fn(&Delivery) -> bool,
        reason: &str,
        now: Millis,
    ) {
        let ids: Vec<u64> = self
            .pending
            .values()
            .filter(|d| pred(d))
            .map(|d| d.id)
            .collect();
        for id in ids {
            self.mark(id);
            if let Some(d) = self.pending.remove(&id) {
                self.due.remove(&(d.next_due, id));
                self.in_flight.remove(&id);
                push_capped(&mut self.dropped, record(&d, now, Some(reason.to_owned())));
            }
        }
    }

    /// Distinct messages of `topic` not yet delivered everywhere (`MessageCount`).
    pub(crate) fn message_count(&self, topic: &str) -> u64 {
        let ids: BTreeSet<&str> = self
            .pending
            .values()
            .filter(|d| d.topic == topic)
            .map(|d| d.fields.message_id.as_str())
            .collect();
        ids.len() as u64
    }

    /// Records the outcome of attempt `d.attempts` (already incremented) and either finishes the
    /// delivery or schedules its retry. A delivery whose retries ran out is returned unlogged:
    /// the engine dead-letters it or logs it as dropped ([`Engine::exhausted`]).
    #[must_use]
    fn settle(
        &mut self,
        mut d: Delivery,
        started: Millis,
        outcome: AttemptOutcome,
        now: Millis,
    ) -> Option<Delivery> {
        push_capped(
            &mut self.attempts,
            DeliveryAttempt {
                delivery_id: d.id,
                topic: d.topic.clone(),
                subscription: d.subscription.clone(),
                endpoint: d.endpoint.as_str(),
                message_id: d.fields.message_id.clone(),
                attempt: d.attempts,
                at: started,
                outcome: outcome.clone(),
            },
        );
        if outcome.is_delivered() {
            self.totals.attempts_delivered += 1;
            self.totals.delivered += 1;
            push_capped(&mut self.delivered, record(&d, now, None));
            return None;
        }
        self.totals.attempts_failed += 1;
        let random = self.random();
        match d.strategy.retry_delay(d.attempts - 1, random) {
            Some(delay) if now.saturating_add(delay) < d.expires_at => {
                d.next_due = now + delay;
                self.due.insert((d.next_due, d.id));
                self.pending.insert(d.id, d);
            }
            Some(_) => {
                let r = record(&d, now, Some("the retention period ended".to_owned()));
                self.totals.dropped += 1;
                push_capped(&mut self.dropped, r);
            }
            None => return Some(d),
        }
        None
    }

    /// Logs a delivery whose retries ran out as dropped, with `suffix` after the reason.
    pub(crate) fn record_exhausted(&mut self, d: &Delivery, suffix: &str, now: Millis) {
        let reason = format!(
            "{} retries of {} exhausted{suffix}",
            d.strategy.max_retries(),
            d.strategy
        );
        self.totals.dropped += 1;
        push_capped(&mut self.dropped, record(d, now, Some(reason)));
    }

    pub(crate) fn next_due(&self) -> Option<Millis> {
        self.due.first().map(|&(at, _)| at)
    }

    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

impl Engine {
    /// Attempts every delivery that is due at `now`: queue endpoints are written (or fail)
    /// here, record-only endpoints are recorded, and HTTP endpoints are returned as jobs that
    /// the caller performs and reports with [`Engine::complete_http_push`]. A job's delivery is
    /// not due again until it is reported.
    pub fn run_due_deliveries(&mut self, now: Millis) -> DueDeliveries {
        self.run_due(now, usize::MAX)
    }

    /// Like [`Engine::run_due_deliveries`], but hands out HTTP pushes only while fewer than
    /// `max_in_flight` are in flight; the others stay due (oldest first) for a later call.
    pub fn run_due_deliveries_limited(
        &mut self,
        now: Millis,
        max_in_flight: usize,
    ) -> DueDeliveries {
        let budget = max_in_flight.saturating_sub(self.topics.deliveries.in_flight.len());
        self.run_due(now, budget)
    }

    /// Like [`Engine::run_due_deliveries`] but leaves HTTP deliveries due; returns the queues
    /// that received messages.
    pub(crate) fn run_due_non_http(&mut self, now: Millis) -> Vec<String> {
        self.run_due(now, 0).queues_delivered
    }

    /// Attempts what is due; at most `http_budget` HTTP pushes are handed out.
    fn run_due(&mut self, now: Millis, mut http_budget: usize) -> DueDeliveries {
        let now = self.observe(now);
        let mut out = DueDeliveries::default();
        let due: Vec<(Millis, u64)> = self
            .topics
            .deliveries
            .due
            .range(..=(now, u64::MAX))
            .copied()
            .collect();
        for (at, id) in due {
            let q = &mut self.topics.deliveries;
            let is_http = matches!(
                q.pending.get(&id).map(|d| &d.endpoint),
                Some(Endpoint::Http { .. })
            );
            if is_http {
                if http_budget == 0 {
                    continue;
                }
                http_budget -= 1;
            }
            q.due.remove(&(at, id));
            q.mark(id);
            let Some(mut d) = q.pending.remove(&id) else {
                continue;
            };
            if now >= d.expires_at {
                let r = record(&d, now, Some("the retention period ended".to_owned()));
                push_capped(&mut q.dropped, r);
                continue;
            }
            d.attempts += 1;
            match d.endpoint.clone() {
                Endpoint::Http { url } => {
                    out.http.push(HttpPush {
                        delivery_id: d.id,
                        attempt: d.attempts,
                        url,
                        format: d.format,
                        body: d.body.clone(),
                        fields: d.fields.clone(),
                        epoch: self.epoch,
                    });
                    q.in_flight.insert(d.id);
                    q.pending.insert(d.id, d);
                }
                Endpoint::RecordOnly { .. } => {
                    // A delivered attempt never exhausts retries.
                    let _ = q.settle(d, now, AttemptOutcome::Delivered { status: None }, now);
                }
                Endpoint::Queue {
                    region,
                    account_id,
                    queue,
                } => {
                    let outcome =
                        if region != self.topics.region || account_id != self.topics.account_id {
                            AttemptOutcome::Failed {
                                status: None,
                                reason: "the queue is in another region or account".to_owned(),
                            }
                        } else {
                            match self.send_messages(&queue, vec![forwarded_input(&d)], now) {
                                Ok(_) => {
                                    if !out.queues_delivered.contains(&queue) {
                                        out.queues_delivered.push(queue.clone());
                                    }
                                    AttemptOutcome::Delivered { status: None }
                                }
                                Err(e) => AttemptOutcome::Failed {
                                    status: None,
                                    reason: e.to_string(),
                                },
                            }
                        };
                    if let Some(d) = self.topics.deliveries.settle(d, now, outcome, now) {
                        self.exhausted(d, now);
                    }
                }
            }
        }
        out
    }

    /// Reports the result of an [`HttpPush`] started at `started`: `Ok(status)` when the endpoint
    /// answered within the time limit (2xx delivers, anything else fails), `Err(reason)` for a
    /// timeout or connection error. Results for deliveries that no longer exist (topic deleted,
    /// unsubscribed) are logged and otherwise ignored.
    pub fn complete_http_push(
        &mut self,
        push: &HttpPush,
        started: Millis,
        result: Result<u16, String>,
        now: Millis,
    ) {
        let now = self.observe(now);
        let outcome = match result {
            Ok(status) if (200..300).contains(&status) => AttemptOutcome::Delivered {
                status: Some(status),
            },
            Ok(status) => AttemptOutcome::Failed {
                status: Some(status),
                reason: format!("the endpoint answered {status}"),
            },
            Err(reason) => AttemptOutcome::Failed {
                status: None,
                reason,
            },
        };
        let q = &mut self.topics.deliveries;
        if push.epoch != self.epoch || !q.in_flight.remove(&push.delivery_id) {
            return;
        }
        q.mark(push.delivery_id);
        let Some(d) = q.pending.remove(&push.delivery_id) else {
            return;
        };
        if let Some(d) = q.settle(d, started, outcome, now) {
            self.exhausted(d, now);
        }
    }

    /// A delivery's last retry failed: with an enabled subscription DLQ policy whose target
    /// exists, the notification is stored there (with `DLQ*` system properties); otherwise it is
    /// dropped. Either way it is logged in [`Engine::dropped_notifications`].
    fn exhausted(&mut self, d: Delivery, now: Millis) {
        let target = self.subscription_dlq_target(&d.topic, &d.subscription);
        let stored = target.as_ref().is_some_and(|t| {
            let body = if self.config.subscription_dlq_stores_raw_message {
                d.fields.message.clone()
            } else {
                d.body.clone()
            };
            let arn = format!(
                "acs:mns:{}:{}:topics/{}/subscriptions/{}",
                self.topics.region, self.topics.account_id, d.topic, d.subscription
            );
            self.dead_letter_notification(t, &arn, &d.fields.message_id, body, None, now)
        });
        let suffix = match (&target, stored) {
            (Some(t), true) => format!("; moved to dead-letter queue {t}"),
            (Some(t), false) => format!("; dead-letter queue {t} does not exist"),
            (None, _) => String::new(),
        };
        self.topics.deliveries.record_exhausted(&d, &suffix, now);
    }

    /// When the next delivery (first attempt or retry) is due, if any.
    pub fn next_delivery_due(&self) -> Option<Millis> {
        self.topics.deliveries.next_due()
    }

    /// Number of deliveries not yet delivered or dropped (including HTTP attempts in flight).
    pub fn pending_deliveries(&self) -> usize {
        self.topics.deliveries.pending_len()
    }

    /// Every delivery attempt so far, oldest first.
    pub fn delivery_attempts(&self) -> Vec<DeliveryAttempt> {
        self.topics.deliveries.attempts.iter().cloned().collect()
    }

    /// Number of entries in [`Engine::delivery_attempts`].
    pub fn delivery_attempts_len(&self) -> usize {
        self.topics.deliveries.attempts.len()
    }

    /// Running totals of attempts and ended deliveries (see [`DeliveryTotals`]).
    pub fn delivery_totals(&self) -> DeliveryTotals {
        self.topics.deliveries.totals
    }

    /// Every delivered notification so far (the newest [`MAX_LOG_ENTRIES`]), oldest first.
    pub fn delivered_notifications(&self) -> Vec<DeliveryRecord> {
        self.topics.deliveries.delivered.iter().cloned().collect()
    }

    /// Every dropped notification so far, oldest first.
    pub fn dropped_notifications(&self) -> Vec<DeliveryRecord> {
        self.topics.deliveries.dropped.iter().cloned().collect()
    }
}

/// The queue message a delivery writes: the rendered notification, plus the publish's properties
/// and group id when they are forwarded.
fn forwarded_input(d: &Delivery) -> SendMessageInput {
    let mut input = SendMessageInput::new(d.body.clone());
    if let Some(f) = &d.forwarded {
        input.user_properties = f.user_properties.clone();
        input.system_properties = f.system_properties.clone();
        input.message_group_id = f.message_group_id.clone();
    }
    input
}
