//! [`WorkerBuilder`]: every setting of a worker, validated by [`WorkerBuilder::build`].

use super::*;

/// Configures a [`Worker`]; from [`Worker::builder`].
///
/// ```
/// # fn demo(queue: mns_client::Queue) -> Result<(), mns_client::Error> {
/// use std::time::Duration;
/// use mns_client::worker::{Backoff, DeadLetter, Worker};
/// let worker = Worker::builder(queue, |_msg| async { Ok(()) })
///     .concurrency(64)
///     .batch_size(16)
///     .wait(Duration::from_secs(30))
///     .visibility_timeout(Duration::from_secs(60))
///     .retry_backoff(Backoff::new(Duration::from_secs(5), Duration::from_secs(600)))
///     .max_receives(10, DeadLetter::Drop)
///     .shutdown_timeout(Duration::from_secs(20))
///     .build()?;
/// # let _ = worker; Ok(()) }
/// ```
pub struct WorkerBuilder {
    pub(super) queue: Queue,
    pub(super) handler: HandlerFn,
    pub(super) concurrency: usize,
    pub(super) pollers: usize,
    pub(super) batch_size: usize,
    pub(super) wait: Duration,
    pub(super) visibility_timeout: Option<Duration>,
    pub(super) heartbeat_interval: Option<Duration>,
    pub(super) retry_backoff: Backoff,
    pub(super) error_backoff: Backoff,
    pub(super) max_receives: Option<(u32, DeadLetter)>,
    pub(super) server_dead_letters: bool,
    pub(super) shutdown_timeout: Duration,
    pub(super) time: Option<SharedTimeSource>,
}

impl fmt::Debug for WorkerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerBuilder")
            .field("queue", &self.queue.name())
            .field("concurrency", &self.concurrency)
            .field("pollers", &self.pollers)
            .field("batch_size", &self.batch_size)
            .field("wait", &self.wait)
            .field("visibility_timeout", &self.visibility_timeout)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("retry_backoff", &self.retry_backoff)
            .field("error_backoff", &self.error_backoff)
            .field("max_receives", &self.max_receives)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl WorkerBuilder {
    /// At most this many messages are being handled (or settled) at once. Default
    /// [`DEFAULT_CONCURRENCY`].
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) }).concurrency(32);
    /// # let _ = b; }
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// How many receive loops run in parallel (default 1). One loop with batches of 16 keeps a
    /// few dozen handlers busy; add loops when the round trip to MNS is long compared to the
    /// handlers.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) }).pollers(2);
    /// # let _ = b; }
    /// ```
    pub fn pollers(mut self, n: usize) -> Self {
        self.pollers = n;
        self
    }

    /// Messages asked for per receive (1–16, default 16); never more than the free concurrency.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) }).batch_size(4);
    /// # let _ = b; }
    /// ```
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Long-poll wait per receive (whole seconds, 0–30; default [`DEFAULT_WAIT`]).
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::time::Duration;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .wait(Duration::from_secs(30));
    /// # let _ = b; }
    /// ```
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The visibility timeout the worker assumes for received messages and sets on each
    /// heartbeat (whole seconds, 1–43200). Default: the queue's `VisibilityTimeout`, read with
    /// GetQueueAttributes when the worker starts ([`FALLBACK_VISIBILITY_TIMEOUT`] if that fails).
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::time::Duration;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .visibility_timeout(Duration::from_secs(60));
    /// # let _ = b; }
    /// ```
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = Some(timeout);
        self
    }

    /// How often a running handler's message gets its visibility extended. Default: a third of
    /// the visibility timeout. It must be shorter than the visibility timeout.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::time::Duration;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .visibility_timeout(Duration::from_secs(60))
    ///     .heartbeat_interval(Duration::from_secs(15));
    /// # let _ = b; }
    /// ```
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = Some(interval);
        self
    }

    /// Delay before a failed message is delivered again, by its dequeue count. Default 1 s
    /// doubling up to 10 minutes.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::time::Duration;
    /// use mns_client::worker::Backoff;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .retry_backoff(Backoff::new(Duration::from_secs(10), Duration::from_secs(3600)));
    /// # let _ = b; }
    /// ```
    pub fn retry_backoff(mut self, backoff: Backoff) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Pause after consecutive failed receives (network down, queue missing, ...). Default
    /// 200 ms doubling up to 30 s; reset by the next successful receive.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::time::Duration;
    /// use mns_client::worker::Backoff;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .error_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(60)));
    /// # let _ = b; }
    /// ```
    pub fn error_backoff(mut self, backoff: Backoff) -> Self {
        self.error_backoff = backoff;
        self
    }

    /// Poison-message policy: a message may be received at most `max` times (its dequeue count).
    /// When its handler fails on receive number `max`, or it arrives with a higher dequeue count,
    /// it goes to `then` instead of being retried. Default: retried forever.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue, dlq: mns_client::Queue) {
    /// use mns_client::worker::DeadLetter;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .max_receives(5, DeadLetter::Queue(dlq));
    /// # let _ = b; }
    /// ```
    pub fn max_receives(mut self, max: u32, then: DeadLetter) -> Self {
        self.max_receives = Some((max, then));
        self
    }

    /// Leaves poison messages to the queue's server-side dead-letter policy (`MaxReceiveCount`,
    /// set through the control plane): a failed message is never deleted early nor re-sent by
    /// the worker, only made visible again after the retry backoff, so the service counts its
    /// receives and moves it. Cannot be combined with [`max_receives`](Self::max_receives)
    /// ([`build`](Self::build) refuses the pair).
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .dead_letters_by_server();
    /// # let _ = b; }
    /// ```
    pub fn dead_letters_by_server(mut self) -> Self {
        self.server_dead_letters = true;
        self
    }

    /// How long in-flight handlers may keep running after shutdown is requested before they are
    /// interrupted and their messages made visible again. Default [`DEFAULT_SHUTDOWN_TIMEOUT`].
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::time::Duration;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .shutdown_timeout(Duration::from_secs(10));
    /// # let _ = b; }
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The clock for heartbeats, backoff and the shutdown deadline. Default: the time source of
    /// the queue's client ([`ClientBuilder::time_source`](crate::ClientBuilder::time_source)).
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use std::sync::Arc;
    /// use mns_client::time::SystemTimeSource;
    /// let b = mns_client::worker::Worker::builder(queue, |_m| async { Ok(()) })
    ///     .time_source(SystemTimeSource);
    /// # let _ = b; }
    /// ```
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time = Some(SharedTimeSource::new(time));
        self
    }

    /// Checks the settings and builds the worker; [`Error::InvalidInput`] names the first bad one.
    ///
    /// ```
    /// # fn demo(queue: mns_client::Queue) {
    /// use mns_client::worker::Worker;
    /// let bad = Worker::builder(queue, |_m| async { Ok(()) }).batch_size(17).build();
    /// assert!(matches!(bad, Err(mns_client::Error::InvalidInput(_))));
    /// # }
    /// ```
    pub fn build(self) -> Result<Worker, Error> {
        let invalid = |m: String| Err(Error::InvalidInput(m));
        if self.concurrency == 0 {
            return invalid("worker concurrency must be at least 1".into());
        }
        if self.pollers == 0 {
            return invalid("worker pollers must be at least 1".into());
        }
        if !(1..=limits::BATCH_MAX_ENTRIES).contains(&self.batch_size) {
            return invalid(format!(
                "worker batch size must be between 1 and {}, got {}",
                limits::BATCH_MAX_ENTRIES,
                self.batch_size
            ));
        }
        if self.wait.subsec_nanos() != 0
            || self.wait.as_secs() > u64::from(limits::WAIT_SECONDS_MAX)
        {
            return invalid(format!(
                "worker wait must be whole seconds between 0 and {}, got {:?}",
                limits::WAIT_SECONDS_MAX,
                self.wait
            ));
        }
        if let Some(v) = self.visibility_timeout {
            let (low, high) = limits::VISIBILITY_TIMEOUT;
            if v.subsec_nanos() != 0 || !(u64::from(low)..=u64::from(high)).contains(&v.as_secs()) {
                return invalid(format!(
                    "worker visibility timeout must be whole seconds between {low} and {high}, got {v:?}"
                ));
            }
            if let Some(h) = self.heartbeat_interval
                && h >= v
            {
                return invalid(format!(
                    "heartbeat interval {h:?} must be shorter than the visibility timeout {v:?}"
                ));
            }
        }
        if self.heartbeat_interval.is_some_and(|h| h.is_zero()) {
            return invalid("heartbeat interval must not be zero".into());
        }
        if let Some((0, _)) = self.max_receives {
            return invalid("max_receives must be at least 1".into());
        }
        if self.server_dead_letters && self.max_receives.is_some() {
            return invalid(
                "dead_letters_by_server and max_receives exclude each other: dead letters are \
                 either the service's or the worker's"
                    .into(),
            );
        }
        let time = self
            .time
            .unwrap_or_else(|| self.queue.client().inner.time_source.clone());
        Ok(Worker {
            queue: self.queue,
            handler: self.handler,
            concurrency: self.concurrency,
            pollers: self.pollers,
            batch_size: self.batch_size,
            wait: self.wait,
            visibility_timeout: self.visibility_timeout,
            heartbeat_interval: self.heartbeat_interval,
            retry_backoff: self.retry_backoff,
            error_backoff: self.error_backoff,
            max_receives: self.max_receives,
            shutdown_timeout: self.shutdown_timeout,
            time,
            stats: WorkerStats::default(),
        })
    }
}
