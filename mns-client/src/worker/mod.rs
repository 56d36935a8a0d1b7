//! A consumer worker: the receive–handle–delete loop done right.
//!
//! [`Worker`] long-polls a [`Queue`] in batches and runs an async handler on each message with
//! bounded concurrency:
//!
//! * **Success** (`Ok(())`): the message is deleted. Deletes of handlers that finish close
//!   together share one BatchDeleteMessage request.
//! * **Failure** (`Err(_)` or a panic): the message becomes visible again after an exponential
//!   [`Backoff`] on its dequeue count (ChangeMessageVisibility), so a failing message is retried
//!   after 1 s, 2 s, 4 s, ... rather than in a tight loop.
//! * **Heartbeat**: while a handler runs, the worker extends the message's visibility every
//!   [`heartbeat_interval`](WorkerBuilder::heartbeat_interval), so a handler slower than the
//!   queue's visibility timeout never has its message handed to another consumer.
//! * **Poison messages**: with [`max_receives`](WorkerBuilder::max_receives), a message whose
//!   handler fails on its last allowed receive, or that arrives with a higher dequeue count, is
//!   sent to a dead-letter queue (send, then delete, keeping properties and the group id) or
//!   dropped ([`DeadLetter`]). Or, with
//!   [`dead_letters_by_server`](WorkerBuilder::dead_letters_by_server), left to the queue's
//!   server-side dead-letter policy: the worker then never deletes a failed message early.
//! * **FIFO queues**: messages of one `MessageGroupId` are handled one at a time in receive
//!   order (other groups, and messages without a group, concurrently); when one fails, the later
//!   messages of its group in hand are made visible again unhandled, so the group comes back in
//!   order.
//! * **Errors and empty receives**: a failed receive is retried after a backoff; an empty long
//!   poll is simply followed by the next one.
//! * **Graceful shutdown**: when the future given to [`Worker::run`] completes, the worker stops
//!   receiving, lets in-flight handlers finish within
//!   [`shutdown_timeout`](WorkerBuilder::shutdown_timeout), then interrupts the rest and makes
//!   their messages visible again at once.
//!
//! Everything is logged with [`tracing`](https://docs.rs/tracing) (span `mns_worker` with the
//! queue name, span `mns_message` with message id and dequeue count), and counted in
//! [`WorkerStats`].
//!
//! Delivery is at least once, as with any MNS consumer: a message whose delete fails, or whose
//! visibility could not be extended in time, is delivered again. Make handlers idempotent.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use mns_client::worker::{DeadLetter, Worker};
//!
//! # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
//! let worker = Worker::builder(client.queue("orders")?, |msg| async move {
//!     let order = msg.body_str().ok_or("order is not UTF-8")?;
//!     println!("processing {order}");
//!     Ok(())
//! })
//! .concurrency(32)
//! .max_receives(5, DeadLetter::Queue(client.queue("orders-dead-letter")?))
//! .build()?;
//!
//! let stats = worker.stats();
//! // Any future stops the worker: here a token that a signal handler cancels. With tokio's
//! // `signal` feature, `async { let _ = tokio::signal::ctrl_c().await; }` works as well.
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let running = tokio::spawn(worker.run(shutdown.clone().cancelled_owned()));
//! // ... on SIGTERM:
//! shutdown.cancel();
//! let last = running.await.expect("worker task");
//! println!("handled {} messages ({} now)", last.succeeded, stats.snapshot().succeeded);
//! # Ok(()) }
//! ```
//!
//! # Time
//!
//! Heartbeats, retry and error backoff and the shutdown deadline wait on a
//! [`TimeSource`] ([`TimeSource::sleep_until`]): by default the queue's client's, so a test that
//! gives the client a virtual clock drives the whole worker with it.

mod backoff;
mod builder;
mod deleter;
mod groups;
mod message;
mod stats;

pub use builder::WorkerBuilder;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

pub use backoff::Backoff;
pub use stats::{StatsSnapshot, WorkerStats};

use crate::error::Error;
use crate::queue::{Queue, ReceivedMessage, limits};
use crate::time::{SharedTimeSource, TimeSource};
use deleter::Deleter;

/// The error a handler returns: anything that converts into a boxed error, so `?` works on most
/// error types and on `&str`/`String` messages.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What a handler returns: `Ok(())` deletes the message, `Err(_)` retries it later.
pub type HandlerResult = Result<(), HandlerError>;

type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send>>;
type HandlerFn = Arc<dyn Fn(ReceivedMessage) -> HandlerFuture + Send + Sync>;

/// Default [`WorkerBuilder::concurrency`].
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Default [`WorkerBuilder::wait`].
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);
/// Visibility timeout assumed when none is configured and the queue's attributes cannot be read.
pub const FALLBACK_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`WorkerBuilder::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// What happens to a message that reached the receive limit ([`WorkerBuilder::max_receives`]).
///
/// ```
/// # fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
/// use mns_client::worker::DeadLetter;
/// let to_dlq = DeadLetter::Queue(client.queue("orders-dead-letter")?);
/// let discard = DeadLetter::Drop;
/// # let _ = (to_dlq, discard); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub enum DeadLetter {
    /// Send the body (with its priority, user properties and message group id) to this queue,
    /// then delete the
    /// message from the worker's queue.
    Queue(Queue),
    /// Delete the message (it is logged at `WARN` level and counted as dropped).
    Drop,
}

/// A consumer of one queue; see the [module docs](self). Built with [`Worker::builder`], started
/// with [`Worker::run`].
///
/// ```no_run
/// # async fn demo(queue: mns_client::Queue) -> Result<(), mns_client::Error> {
/// use mns_client::worker::Worker;
/// let worker = Worker::builder(queue, |msg| async move {
///     println!("{:?}", msg.body_str());
///     Ok(())
/// })
/// .build()?;
/// let shutdown = tokio_util::sync::CancellationToken::new(); // cancel it to stop
/// worker.run(shutdown.cancelled_owned()).await;
/// # Ok(()) }
/// ```
pub struct Worker {
    queue: Queue,
    handler: HandlerFn,
    concurrency: usize,
    pollers: usize,
    batch_size: usize,
    wait: Duration,
    visibility_timeout: Option<Duration>,
    heartbeat_interval: Option<Duration>,
    retry_backoff: Backoff,
    error_backoff: Backoff,
    max_receives: Option<(u32, DeadLetter)>,
    shutdown_timeout: Duration,
    time: SharedTimeSource,
    stats: WorkerStats,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("queue", &self.queue.name())
            .field("concurrency", &self.concurrency)
            .field("pollers", &self.pollers)
            .field("batch_size", &self.batch_size)
            .field("wait", &self.wait)
            .field("visibility_timeout", &self.visibility_timeout)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("max_receives", &self.max_receives)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

/// What every task of a running worker shares.
struct Shared {
    queue: Queue,
    handler: HandlerFn,
    batch_size: usize,
    wait: Duration,
    visibility_seconds: u32,
    heartbeat_interval: Duration,
    retry_backoff: Backoff,
    error_backoff: Backoff,
    max_receives: Option<(u32, DeadLetter)>,
    time: SharedTimeSource,
    stats: WorkerStats,
    deleter: Deleter,
    tracker: TaskTracker,
    /// Stop receiving.
    stop: CancellationToken,
    /// Interrupt handlers (the shutdown deadline passed).
    abort: CancellationToken,
    /// Receive order within FIFO message groups.
    groups: Arc<groups::GroupOrder>,
}

impl Worker {
    /// Starts configuring a worker that consumes `queue` and passes each message to `handler`.
    ///
    /// The handler gets the message by value and returns `Ok(())` (delete it) or `Err(_)` (retry
    /// it later). The worker owns the message's settlement: heartbeats replace its receipt
    /// handle, so the handler must not delete it or change its visibility itself.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) -> Result<(), mns_client::Error> {
    /// use mns_client::worker::Worker;
    /// let worker = Worker::builder(queue, |msg| async move {
    ///     let n: u64 = msg.body_str().ok_or("not UTF-8")?.trim().parse()?;
    ///     println!("{n} squared is {}", n * n);
    ///     Ok(())
    /// })
    /// .build()?;
    /// # let _ = worker; Ok(()) }
    /// ```
    pub fn builder<F, Fut>(queue: Queue, handler: F) -> WorkerBuilder
    where
        F: Fn(ReceivedMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: HandlerFn = Arc::new(move |msg| Box::pin(handler(msg)) as HandlerFuture);
        WorkerBuilder {
            queue,
            handler,
            concurrency: DEFAULT_CONCURRENCY,
            pollers: 1,
            batch_size: limits::BATCH_MAX_ENTRIES,
            wait: DEFAULT_WAIT,
            visibility_timeout: None,
            heartbeat_interval: None,
            retry_backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(600)),
            error_backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(30)),
            max_receives: None,
            server_dead_letters: false,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            time: None,
        }
    }

    /// A live view of the counters, usable while [`run`](Self::run) runs and afterwards.
    ///
    /// ```
    /// # fn demo(worker: mns_client::worker::Worker) {
    /// let stats = worker.stats();
    /// assert_eq!(stats.snapshot().received, 0);
    /// # }
    /// ```
    pub fn stats(&self) -> WorkerStats {
        self.stats.clone()
    }

    /// The queue this worker consumes.
    ///
    /// ```
    /// # fn demo(worker: mns_client::worker::Worker) {
    /// println!("consuming {}", worker.queue().name());
    /// # }
    /// ```
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Runs until `shutdown` completes, then shuts down gracefully (see the
    /// [module docs](self)) and returns the final counters.
    ///
    /// `shutdown` is any future: `tokio::signal::ctrl_c()`, a `CancellationToken`'s
    /// `cancelled_owned()`, a oneshot receiver, ... The worker spawns its tasks on the current
    /// tokio runtime.
    ///
    /// ```no_run
    /// # async fn demo(worker: mns_client::worker::Worker) {
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let running = tokio::spawn(worker.run(async { let _ = stopped.await; }));
    /// // ... later:
    /// let _ = stop.send(());
    /// let stats = running.await.expect("worker task");
    /// println!("{} handled", stats.succeeded);
    /// # }
    /// ```
    pub async fn run<S>(self, shutdown: S) -> StatsSnapshot
    where
        S: Future<Output = ()> + Send,
    {
        let span = tracing::info_span!("mns_worker", queue = %self.queue.name());
        self.run_inner(shutdown).instrument(span).await
    }

    async fn run_inner<S>(self, shutdown: S) -> StatsSnapshot
    where
        S: Future<Output = ()> + Send,
    {
        let visibility = match self.visibility_timeout {
            Some(v) => v,
            None => match self.queue.get_attributes().await {
                Ok(info) => Duration::from_secs(u64::from(info.visibility_timeout.max(1))),
                Err(e) => {
                    tracing::warn!(error = %e, fallback = ?FALLBACK_VISIBILITY_TIMEOUT,
                        "could not read the queue's visibility timeout");
                    FALLBACK_VISIBILITY_TIMEOUT
                }
            },
        };
        let heartbeat_interval = self
            .heartbeat_interval
            .unwrap_or(visibility / 3)
            .max(Duration::from_millis(100));
        let (deleter, delete_task) = Deleter::spawn(self.queue.clone());
        let tracker = TaskTracker::new();
        let shared = Arc::new(Shared {
            queue: self.queue,
            handler: self.handler,
            batch_size: self.batch_size,
            wait: self.wait,
            visibility_seconds: message::visibility_seconds(visibility),
            heartbeat_interval,
            retry_backoff: self.retry_backoff,
            error_backoff: self.error_backoff,
            max_receives: self.max_receives,
            time: self.time,
            stats: self.stats.clone(),
            deleter,
            tracker: tracker.clone(),
            stop: CancellationToken::new(),
            abort: CancellationToken::new(),
            groups: Arc::default(),
        });
        let permits = Arc::new(Semaphore::new(self.concurrency));
        for _ in 0..self.pollers {
            let poller = poll(shared.clone(), permits.clone());
            tracker.spawn(poller.in_current_span());
        }
        tracing::info!(
            concurrency = self.concurrency,
            visibility_seconds = shared.visibility_seconds,
            heartbeat = ?heartbeat_interval,
            "worker started"
        );

        shutdown.await;

        tracing::info!(
            in_flight = self.stats.snapshot().in_flight,
            "shutting down: no more receives, waiting for handlers"
        );
        shared.stop.cancel();
        tracker.close();
        let deadline = shared.time.now() + self.shutdown_timeout;
        tokio::select! {
            () = tracker.wait() => {}
            () = shared.time.sleep_until(deadline) => {
                tracing::warn!(
                    in_flight = self.stats.snapshot().in_flight,
                    "shutdown deadline reached: interrupting handlers and releasing their messages"
                );
                shared.abort.cancel();
                tracker.wait().await;
            }
        }
        // Every task is done, so this is the last handle on the deleter: its task drains and ends.
        drop(shared);
        if let Err(e) = delete_task.await {
            tracing::error!(error = %e, "delete task failed");
        }
        let last = self.stats.snapshot();
        tracing::info!(?last, "worker stopped");
        last
    }
}

/// One receive loop: take free concurrency, long-poll for that many messages, hand each to its
/// own task.
async fn poll(shared: Arc<Shared>, permits: Arc<Semaphore>) {
    let mut errors = 0u32;
    loop {
        let first = tokio::select! {
            biased;
            () = shared.stop.cancelled() => return,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let mut batch: Vec<OwnedSemaphorePermit> = vec![first];
        while batch.len() < shared.batch_size {
            match permits.clone().try_acquire_owned() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let received = tokio::select! {
            biased;
            () = shared.stop.cancelled() => return,
            r = shared.queue.batch_receive_message(batch.len(), Some(shared.wait)) => r,
        };
        match received {
            Ok(messages) => {
                errors = 0;
                if messages.is_empty() {
                    tracing::trace!("empty receive");
                    if shared.wait.is_zero() {
                        // Short polling: pause briefly instead of spinning on an empty queue.
                        let pause = shared.time.now() + shared.error_backoff.initial;
                        tokio::select! {
                            () = shared.stop.cancelled() => return,
                            () = shared.time.sleep_until(pause) => {}
                        }
                    }
                    continue;
                }
                tracing::debug!(count = messages.len(), "received");
                shared.stats.received(messages.len() as u64);
                for msg in messages {
                    // The service never returns more than asked; if it did, the extra messages
                    // are handled anyway, just outside the concurrency bound.
                    let permit = batch.pop();
                    // Entered here, in receive order, before the task is spawned.
                    let group = msg
                        .message_group_id
                        .as_deref()
                        .map(|g| shared.groups.enter(g));
                    shared.tracker.spawn(
                        message::process(shared.clone(), msg, permit, group).in_current_span(),
                    );
                }
            }
            Err(e) => {
                drop(batch);
                errors = errors.saturating_add(1);
                shared.stats.receive_error();
                let delay = shared.error_backoff.delay(errors);
                tracing::warn!(error = %e, retry_in = ?delay, "receive failed");
                let until = shared.time.now() + delay;
                tokio::select! {
                    () = shared.stop.cancelled() => return,
                    () = shared.time.sleep_until(until) => {}
                }
            }
        }
    }
}
