//! [`TestEnv`]: an in-process emulator on a virtual clock plus a ready client, in one call.

use std::fmt;
use std::io;
use std::time::Duration;

use mns_client::{Client, Endpoint, QueueOptions, topic::TopicOptions};
use mns_emulator::clock::ManualClock;
use mns_emulator::{Deliveries, Emulator, EmulatorBuilder, RunningEmulator};

use crate::clock::{ClockTimeSource, settle};
use crate::guard::{QueueGuard, TopicGuard};
use crate::inspect::{DeliveriesAssert, QueueAssert};
use mns_emulator::engine::MessageSnapshot;

/// An emulator serving on a free local port, driven by a [`ManualClock`], and a
/// [`Client`] already pointed at it with the emulator's key and the virtual time.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use mns_client::SendOptions;
/// use mns_testkit::{MessageState, TestEnv};
///
/// let env = TestEnv::start().await?;
/// let queue = env.queue("jobs").await?;
/// queue
///     .send_message_opts("later", SendOptions { delay_seconds: Some(3600), ..Default::default() })
///     .await?;
/// env.assert_queue(queue.name()).has_delayed(1).has_visible(0);
/// env.advance(Duration::from_secs(3600)); // an hour passes instantly
/// env.assert_queue(queue.name()).has_visible(1);
/// assert_eq!(env.messages(queue.name())[0].state, MessageState::Active);
/// # Ok(()) }
/// ```
pub struct TestEnv {
    emulator: RunningEmulator,
    client: Client,
    clock: ManualClock,
}

impl fmt::Debug for TestEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestEnv")
            .field("endpoint", &self.emulator.endpoint())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl TestEnv {
    /// Starts an emulator on a [`ManualClock`] set to the current time, and a client for it.
    pub async fn start() -> io::Result<TestEnv> {
        Self::start_with(|b| b).await
    }

    /// Like [`TestEnv::start`], with the emulator builder adjusted by `configure` (its clock is
    /// already the environment's [`ManualClock`]; keys, account, region and engine settings are
    /// yours to change).
    pub async fn start_with(
        configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
    ) -> io::Result<TestEnv> {
        let clock = ManualClock::new();
        let emulator = configure(Emulator::builder().clock(clock.clone()))
            .start()
            .await?;
        let key = emulator.access_key();
        let endpoint = Endpoint::from_url(emulator.endpoint()).map_err(io::Error::other)?;
        let client = Client::builder(endpoint)
            .credentials(mns_client::Credentials::new(key.id(), key.secret()))
            .time_source(ClockTimeSource::new(clock.clone()))
            .build()
            .map_err(io::Error::other)?;
        Ok(TestEnv {
            emulator,
            client,
            clock,
        })
    }

    /// The client, signed with the emulator's key and reading the virtual clock.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The running emulator (for its key store, engine access, long-poll counters, ...).
    pub fn emulator(&self) -> &RunningEmulator {
        &self.emulator
    }

    /// The emulator's base URL, e.g. for programs under test that read an endpoint.
    pub fn endpoint(&self) -> &str {
        self.emulator.endpoint()
    }

    /// The virtual clock.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// Moves virtual time forward: visibility timeouts, delays, retention and long-poll deadlines
    /// that fall due are applied at once.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// [`advance`](Self::advance), then yields so that long polls woken by the move have answered.
    pub async fn advance_and_settle(&self, by: Duration) {
        self.clock.advance(by);
        settle().await;
    }

    /// Waits (up to 10 s of real time) until `n` receives are parked in a long poll, so a test can
    /// send or advance time knowing the poll is waiting. Panics on timeout.
    pub async fn wait_for_parked_receives(&self, n: usize) {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            self.emulator.wait_for_waiting_receives(n),
        )
        .await;
        assert!(r.is_ok(), "{n} long poll(s) never parked");
    }

    /// Creates a queue named `{tag}-{unique suffix}` with default attributes; it is deleted when
    /// the guard is dropped.
    pub async fn queue(&self, tag: &str) -> Result<QueueGuard, mns_client::Error> {
        QueueGuard::create(&self.client, tag, &QueueOptions::default()).await
    }

    /// Creates a uniquely named queue with `attributes`.
    pub async fn queue_with(
        &self,
        tag: &str,
        attributes: &QueueOptions,
    ) -> Result<QueueGuard, mns_client::Error> {
        QueueGuard::create(&self.client, tag, attributes).await
    }

    /// Creates a uniquely named topic; it is deleted when the guard is dropped.
    pub async fn topic(&self, tag: &str) -> Result<TopicGuard, mns_client::Error> {
        TopicGuard::create(&self.client, tag, &TopicOptions::default()).await
    }

    /// Every message stored in `queue` (visible, in flight and delayed) as of the virtual now,
    /// in no particular order. Panics if the queue does not exist.
    pub fn messages(&self, queue: impl fmt::Display) -> Vec<MessageSnapshot> {
        let name = queue.to_string();
        self.emulator
            .inspect_queue(&name)
            .unwrap_or_else(|e| panic!("cannot inspect queue {name}: {e}"))
    }

    /// Assertions on everything stored in `queue` right now.
    pub fn assert_queue(&self, queue: impl fmt::Display) -> QueueAssert {
        let name = queue.to_string();
        QueueAssert::new(name.clone(), self.messages(name))
    }

    /// Topic deliveries so far: every attempt (queue and HTTP endpoints), what was delivered (with
    /// the exact body written) and what was dropped, plus the push signing certificate.
    pub fn deliveries(&self) -> Deliveries {
        self.emulator.deliveries()
    }

    /// Waits (up to 10 s of real time) until at least `n` topic delivery attempts have been made;
    /// pair it with [`advance`](Self::advance) to step through a push retry schedule. Panics on
    /// timeout.
    pub async fn wait_for_delivery_attempts(&self, n: usize) {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            self.emulator.deliveries().wait_for_attempts(n),
        )
        .await;
        assert!(r.is_ok(), "{n} delivery attempt(s) never happened");
    }

    /// Assertions on the topic deliveries so far.
    pub fn assert_deliveries(&self) -> DeliveriesAssert {
        let d = self.emulator.deliveries();
        DeliveriesAssert::new(d.attempts(), d.delivered(), d.dropped())
    }

    /// Stops the emulator and waits until it has stopped.
    pub async fn shutdown(self) {
        self.emulator.shutdown().await;
    }
}
