//! Where the client reads the current time from.
//!
//! The client needs "now" for the `Date` header it signs. The MNS service (and the emulator) reject
//! requests whose date is more than 15 minutes off, so tests that run against an emulator with a
//! virtual clock plug that clock in here with
//! [`ClientBuilder::time_source`](crate::ClientBuilder::time_source).
//!
//! The [`Worker`](crate::worker::Worker) also waits on it ([`TimeSource::sleep_until`]) for
//! heartbeats, backoff and its shutdown deadline, so a test can drive a whole worker on a virtual
//! clock by implementing `sleep_until` over that clock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

/// The future returned by [`TimeSource::sleep_until`]: owned (`'static`) and `Send`, so it can
/// be raced against other events in `tokio::select!`.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of wall-clock time.
pub trait TimeSource: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// A future that completes once `deadline` is reached.
    ///
    /// The default sleeps (on the tokio timer) for the time from [`now`](Self::now) to
    /// `deadline`, and completes at once for a deadline in the past. A virtual clock overrides it
    /// so that sleepers wake when the clock is moved.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use mns_client::time::{SystemTimeSource, TimeSource};
    /// use std::time::Duration;
    /// let clock = SystemTimeSource;
    /// clock.sleep_until(clock.now() - Duration::from_secs(1)).await; // already passed
    /// # }
    /// ```
    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        let wait = deadline.duration_since(self.now()).unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The operating system's clock ([`SystemTime::now`]); the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTimeSource;

impl TimeSource for SystemTimeSource {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that always answers the same instant (useful for reproducible signatures).
///
/// ```
/// use mns_client::time::{FixedTimeSource, TimeSource};
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
/// assert_eq!(FixedTimeSource(t).now(), t);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FixedTimeSource(pub SystemTime);

impl TimeSource for FixedTimeSource {
    fn now(&self) -> SystemTime {
        self.0
    }
}
