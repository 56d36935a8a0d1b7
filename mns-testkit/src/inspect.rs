//! Assertions on what an emulator queue holds.

use mns_emulator::engine::{DeliveryAttempt, DeliveryRecord, MessageSnapshot, MessageState};

/// A snapshot of every message stored in one emulator queue (visible, in flight and delayed),
/// with chainable assertions. Obtained from [`TestEnv::assert_queue`](crate::TestEnv::assert_queue)
/// or built from [`mns_emulator::Emulator::inspect_queue`] output with [`QueueAssert::new`].
///
/// Each assertion panics with the queue's content when it fails.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use mns_testkit::TestEnv;
/// let env = TestEnv::start().await?;
/// let q = env.queue("inspect").await?;
/// q.send_message("a").await?;
/// q.send_message("b").await?;
/// let _m = q.receive_message(Some(Duration::ZERO)).await?;
/// env.assert_queue(q.name())
///     .has_len(2)
///     .has_visible(1)
///     .has_in_flight(1)
///     .contains_body("a")
///     .contains_body("b");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct QueueAssert {
    queue: String,
    messages: Vec<MessageSnapshot>,
}

impl QueueAssert {
    /// Assertions over `messages` of the queue named `queue`.
    pub fn new(queue: impl Into<String>, messages: Vec<MessageSnapshot>) -> Self {
        QueueAssert {
            queue: queue.into(),
            messages,
        }
    }

    /// The messages.
    pub fn messages(&self) -> &[MessageSnapshot] {
        &self.messages
    }

    /// The bodies, sorted by enqueue time.
    pub fn bodies(&self) -> Vec<&str> {
        let mut m: Vec<&MessageSnapshot> = self.messages.iter().collect();
        m.sort_by_key(|m| m.enqueue_time);
        m.into_iter().map(|m| m.body.as_str()).collect()
    }

    fn count(&self, state: MessageState) -> usize {
        self.messages.iter().filter(|m| m.state == state).count()
    }

    #[track_caller]
    fn check(&self, ok: bool, what: std::fmt::Arguments<'_>) -> &Self {
        assert!(
            ok,
            "queue {}: expected {what}; it holds {:#?}",
            self.queue, self.messages
        );
        self
    }

    /// Exactly `n` messages in any state.
    #[track_caller]
    pub fn has_len(&self, n: usize) -> &Self {
        self.check(
            self.messages.len() == n,
            format_args!("{n} message(s) in total"),
        )
    }

    /// No message in any state.
    #[track_caller]
    pub fn is_empty(&self) -> &Self {
        self.has_len(0)
    }

    /// Exactly `n` visible (Active) messages.
    #[track_caller]
    pub fn has_visible(&self, n: usize) -> &Self {
        self.check(
            self.count(MessageState::Active) == n,
            format_args!("{n} visible message(s)"),
        )
    }

    /// Exactly `n` in-flight (received, not yet visible again) messages.
    #[track_caller]
    pub fn has_in_flight(&self, n: usize) -> &Self {
        self.check(
            self.count(MessageState::Inactive) == n,
            format_args!("{n} in-flight message(s)"),
        )
    }

    /// Exactly `n` delayed messages.
    #[track_caller]
    pub fn has_delayed(&self, n: usize) -> &Self {
        self.check(
            self.count(MessageState::Delayed) == n,
            format_args!("{n} delayed message(s)"),
        )
    }

    /// Some message has exactly this body.
    #[track_caller]
    pub fn contains_body(&self, body: &str) -> &Self {
        self.check(
            self.messages.iter().any(|m| m.body == body),
            format_args!("a message with body {body:?}"),
        )
    }

    /// No message has this body.
    #[track_caller]
    pub fn lacks_body(&self, body: &str) -> &Self {
        self.check(
            self.messages.iter().all(|m| m.body != body),
            format_args!("no message with body {body:?}"),
        )
    }

    /// The message with this body; panics if there is none.
    #[track_caller]
    pub fn message(&self, body: &str) -> &MessageSnapshot {
        self.contains_body(body);
        self.messages
            .iter()
            .find(|m| m.body == body)
            .unwrap_or_else(|| unreachable!("checked above"))
    }

    /// The message with this body was received `n` times.
    #[track_caller]
    pub fn has_dequeue_count(&self, body: &str, n: u32) -> &Self {
        let count = self.message(body).dequeue_count;
        self.check(
            count == n,
            format_args!("message {body:?} received {n} time(s), not {count}"),
        )
    }
}

/// A snapshot of an emulator's topic deliveries (every attempt, what was delivered with the exact
/// body written, what was dropped), with chainable assertions. Obtained from
/// [`TestEnv::assert_deliveries`](crate::TestEnv::assert_deliveries).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mns_client::topic::Endpoint;
/// use mns_testkit::TestEnv;
/// let env = TestEnv::start().await?;
/// let topic = env.topic("news").await?;
/// let q = env.queue("reader").await?;
/// let emu = env.emulator();
/// topic.subscribe("reader", &Endpoint::queue(emu.region(), emu.account_id(), q.name().as_str())?).await?;
/// topic.publish_message("extra").await?;
/// env.wait_for_delivery_attempts(1).await;
/// env.assert_deliveries().has_delivered(1).has_dropped(0).delivered_body_contains("reader", "extra");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DeliveriesAssert {
    attempts: Vec<DeliveryAttempt>,
    delivered: Vec<DeliveryRecord>,
    dropped: Vec<DeliveryRecord>,
}

impl DeliveriesAssert {
    /// Assertions over the given log.
    pub fn new(
        attempts: Vec<DeliveryAttempt>,
        delivered: Vec<DeliveryRecord>,
        dropped: Vec<DeliveryRecord>,
    ) -> Self {
        DeliveriesAssert {
            attempts,
            delivered,
            dropped,
        }
    }

    /// Every attempt, oldest first.
    pub fn attempts(&self) -> &[DeliveryAttempt] {
        &self.attempts
    }

    /// Every delivered notification, oldest first.
    pub fn delivered(&self) -> &[DeliveryRecord] {
        &self.delivered
    }

    /// Every dropped notification, oldest first.
    pub fn dropped(&self) -> &[DeliveryRecord] {
        &self.dropped
    }

    /// Delivered notifications of one subscription.
    pub fn delivered_to(&self, subscription: &str) -> Vec<&DeliveryRecord> {
        self.delivered
            .iter()
            .filter(|d| d.subscription == subscription)
            .collect()
    }

    #[track_caller]
    fn check(&self, ok: bool, what: std::fmt::Arguments<'_>) -> &Self {
        assert!(
            ok,
            "deliveries: expected {what}; delivered {:#?}, dropped {:#?}",
            self.delivered, self.dropped
        );
        self
    }

    /// Exactly `n` notifications delivered (all subscriptions).
    #[track_caller]
    pub fn has_delivered(&self, n: usize) -> &Self {
        self.check(
            self.delivered.len() == n,
            format_args!("{n} delivered notification(s)"),
        )
    }

    /// Exactly `n` notifications dropped.
    #[track_caller]
    pub fn has_dropped(&self, n: usize) -> &Self {
        self.check(
            self.dropped.len() == n,
            format_args!("{n} dropped notification(s)"),
        )
    }

    /// Exactly `n` attempts made (all subscriptions, first tries and retries).
    #[track_caller]
    pub fn has_attempts(&self, n: usize) -> &Self {
        self.check(
            self.attempts.len() == n,
            format_args!("{n} delivery attempt(s), not {}", self.attempts.len()),
        )
    }

    /// Some notification delivered to `subscription` has a body containing `text`.
    #[track_caller]
    pub fn delivered_body_contains(&self, subscription: &str, text: &str) -> &Self {
        self.check(
            self.delivered_to(subscription)
                .iter()
                .any(|d| d.body.contains(text)),
            format_args!("a delivery to {subscription:?} whose body contains {text:?}"),
        )
    }
}
