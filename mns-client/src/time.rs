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
//!
//! This is the crate's one time module: the client's `Date` header, credential expiry and
//! refresh ([`credentials`](crate::credentials)), and push-signature date checks
//! ([`push::PushVerifier`](crate::push::PushVerifier)) all read a [`TimeSource`], set with one
//! `time_source` setter each that takes any implementation, a [`SharedTimeSource`] included.
//! [`SystemTimeSource`] is the one place that reads the system clock; tests use a
//! [`ManualTimeSource`] or a [`FixedTimeSource`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

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

/// A shared clock is a clock: `Arc<dyn TimeSource>` or `Arc<MyClock>` can be passed wherever a
/// [`TimeSource`] is taken.
impl<T: TimeSource + ?Sized> TimeSource for Arc<T> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        (**self).sleep_until(deadline)
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

/// A cheaply cloned, type-erased [`TimeSource`] that is itself a [`TimeSource`]: what the
/// client, the credential providers and the push verifier keep, so one clock can be handed to
/// all of them.
///
/// ```
/// use mns_client::time::{FixedTimeSource, SharedTimeSource, TimeSource};
/// use std::time::UNIX_EPOCH;
/// let shared = SharedTimeSource::new(FixedTimeSource(UNIX_EPOCH));
/// let copy = shared.clone();
/// assert_eq!(copy.now(), UNIX_EPOCH);
/// ```
#[derive(Clone)]
pub struct SharedTimeSource(Arc<dyn TimeSource>);

impl SharedTimeSource {
    /// Wraps `source`.
    pub fn new(source: impl TimeSource + 'static) -> Self {
        SharedTimeSource(Arc::new(source))
    }

    /// Wraps an already shared trait object.
    pub fn from_arc(source: Arc<dyn TimeSource>) -> Self {
        SharedTimeSource(source)
    }
}

impl Default for SharedTimeSource {
    /// The system clock.
    fn default() -> Self {
        SharedTimeSource::new(SystemTimeSource)
    }
}

impl fmt::Debug for SharedTimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TimeSource for SharedTimeSource {
    fn now(&self) -> SystemTime {
        self.0.now()
    }

    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        self.0.sleep_until(deadline)
    }
}

/// A clock that only moves when told to; for tests.
///
/// Clones share the same time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use mns_client::time::{ManualTimeSource, TimeSource};
///
/// let clock = ManualTimeSource::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_060));
/// ```
#[derive(Debug, Clone)]
pub struct ManualTimeSource {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualTimeSource {
    /// A clock reading `start`.
    pub fn new(start: SystemTime) -> Self {
        ManualTimeSource {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Sets the current time.
    pub fn set(&self, now: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl TimeSource for ManualTimeSource {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
