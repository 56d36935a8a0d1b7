//! The worker's counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A live view of a worker's counters; cheap to clone, readable from any task while the worker
/// runs and after it stopped.
///
/// ```
/// # fn demo(worker: &mns_client::worker::Worker) {
/// let stats = worker.stats();
/// // ... spawn worker.run(shutdown) ...
/// let now = stats.snapshot();
/// println!("{} handled, {} in flight", now.succeeded, now.in_flight);
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    dead_lettered: AtomicU64,
    dropped: AtomicU64,
    in_flight: AtomicU64,
    heartbeats: AtomicU64,
    released: AtomicU64,
    receive_errors: AtomicU64,
    settle_errors: AtomicU64,
}

/// The counters at one moment ([`WorkerStats::snapshot`]).
///
/// ```
/// let s = mns_client::worker::StatsSnapshot::default();
/// assert_eq!(s.received, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Messages received (each delivery counts, so a retried message counts again).
    pub received: u64,
    /// Handler calls that returned `Ok`.
    pub succeeded: u64,
    /// Handler calls that returned `Err` or panicked.
    pub failed: u64,
    /// Messages sent to the dead-letter queue (and deleted from this queue).
    pub dead_lettered: u64,
    /// Messages deleted without handling because they reached the receive limit under
    /// [`DeadLetter::Drop`](super::DeadLetter::Drop).
    pub dropped: u64,
    /// Messages received and not yet settled (handled and deleted, made visible again, or
    /// dead-lettered).
    pub in_flight: u64,
    /// Visibility extensions sent for slow handlers.
    pub heartbeats: u64,
    /// Messages made visible again at shutdown because their handler did not finish in time.
    pub released: u64,
    /// Receive requests that failed.
    pub receive_errors: u64,
    /// Deletes, visibility changes and dead-letter sends that failed (the message then comes back
    /// when its visibility timeout ends: nothing is lost, but it may be handled again).
    pub settle_errors: u64,
}

impl WorkerStats {
    /// The counters now.
    ///
    /// ```
    /// let stats = mns_client::worker::WorkerStats::default();
    /// assert_eq!(stats.snapshot().in_flight, 0);
    /// ```
    pub fn snapshot(&self) -> StatsSnapshot {
        let c = &self.inner;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        StatsSnapshot {
            received: get(&c.received),
            succeeded: get(&c.succeeded),
            failed: get(&c.failed),
            dead_lettered: get(&c.dead_lettered),
            dropped: get(&c.dropped),
            in_flight: get(&c.in_flight),
            heartbeats: get(&c.heartbeats),
            released: get(&c.released),
            receive_errors: get(&c.receive_errors),
            settle_errors: get(&c.settle_errors),
        }
    }

    pub(super) fn received(&self, n: u64) {
        self.inner.received.fetch_add(n, Ordering::SeqCst);
        self.inner.in_flight.fetch_add(n, Ordering::SeqCst);
    }
    pub(super) fn settled(&self) {
        self.inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    pub(super) fn succeeded(&self) {
        self.inner.succeeded.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn failed(&self) {
        self.inner.failed.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn dead_lettered(&self) {
        self.inner.dead_lettered.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn dropped(&self) {
        self.inner.dropped.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn heartbeat(&self) {
        self.inner.heartbeats.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn released(&self) {
        self.inner.released.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn receive_error(&self) {
        self.inner.receive_errors.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn settle_error(&self) {
        self.inner.settle_errors.fetch_add(1, Ordering::SeqCst);
    }
}
