//! Injectable time source for credential expiry decisions.
//!
//! Every "what time is it" question asked by the credential providers and the cache goes through a
//! [`TimeSource`] (the crate's one clock trait, [`crate::time::TimeSource`], re-exported here).
//! [`SystemTimeSource`] is the one place that reads the system clock; tests use a
//! [`ManualTimeSource`] and move it by hand, so expiry and refresh are tested without sleeping.
//! The same [`ManualTimeSource`] can drive the client's request dates.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

pub use crate::time::{SystemTimeSource, TimeSource};

/// A shareable, type-erased [`TimeSource`].
pub type SharedTimeSource = Arc<dyn TimeSource>;

/// The default time source: the system clock.
pub fn system_time_source() -> SharedTimeSource {
    Arc::new(SystemTimeSource)
}

/// A clock that only moves when told to; for tests.
///
/// Clones share the same time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use mns_client::credentials::{ManualTimeSource, TimeSource};
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
