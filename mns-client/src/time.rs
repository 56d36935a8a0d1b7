//! Where the client reads the current time from.
//!
//! The client needs "now" for the `Date` header it signs. The MNS service (and the emulator) reject
//! requests whose date is more than 15 minutes off, so tests that run against an emulator with a
//! virtual clock plug that clock in here with
//! [`ClientBuilder::time_source`](crate::ClientBuilder::time_source).

use std::fmt;
use std::time::SystemTime;

/// A source of wall-clock time.
pub trait TimeSource: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
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
