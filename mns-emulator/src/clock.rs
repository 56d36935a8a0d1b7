//! Injected time for the emulator.
//!
//! Every time-dependent behaviour of the emulator (visibility timeouts, delays, retention, long-poll
//! deadlines, the `Date` header skew check, request ids) reads time from one [`Clock`], never from
//! `SystemTime::now()` directly (`clippy.toml` bans it outside this file). Tests use a
//! [`ManualClock`] and move time forward explicitly, so no test ever sleeps and no test depends on
//! wall-clock luck.
//!
//! ```
//! use std::time::Duration;
//! use mns_emulator::clock::{Clock, ManualClock};
//!
//! let clock = ManualClock::at_millis(1_700_000_000_000);
//! clock.advance(Duration::from_secs(30));
//! assert_eq!(clock.now_millis(), 1_700_000_030_000);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// A future returned by [`Clock::sleep_until`]; it owns everything it needs (`'static`), so it can
/// be raced in `select!` against other wake-up sources.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of time and of timed wake-ups.
///
/// Implementations must make [`Clock::sleep_until`] complete as soon as [`Clock::now`] reaches the
/// deadline, whatever moves the time (the real clock ticking or a test advancing a
/// [`ManualClock`]).
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// A future that completes once [`Clock::now`] is at or after `deadline` (immediately if it
    /// already is).
    fn sleep_until(&self, deadline: SystemTime) -> Sleep;

    /// The current time in milliseconds since the Unix epoch (the unit of the engine's `now`).
    fn now_millis(&self) -> u64 {
        to_millis(self.now())
    }

    /// The [`ManualClock`] behind this clock, if it is one: the admin API's clock endpoints
    /// set and advance it (see `crate::admin`). `None` by default (a real clock cannot be moved).
    fn manual(&self) -> Option<&ManualClock> {
        None
    }
}

/// Converts a time to milliseconds since the Unix epoch; times before the epoch become 0.
pub fn to_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Converts milliseconds since the Unix epoch to a time.
pub fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The real clock: `SystemTime::now()` and tokio timers. This is the default clock of an emulator.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that may read the wall clock"
    )]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "the system clock reads and sleeps on the wall clock"
    )]
    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        Box::pin(async move {
            // Loop because the wall clock can be adjusted while we sleep: re-check against the
            // wall clock rather than trusting a single monotonic sleep.
            loop {
                let remaining = match deadline.duration_since(SystemTime::now()) {
                    Ok(d) if !d.is_zero() => d,
                    _ => return,
                };
                tokio::time::sleep(remaining).await;
            }
        })
    }
}

/// The latest instant a virtual clock may show, in milliseconds after the Unix epoch:
/// 9999-12-31T23:59:59.999Z, the last instant RFC 3339 (and so the admin API, the request log
/// and every `Date`-style header) can write. The admin API refuses to set or advance the clock
/// past it, with a 400, instead of overflowing.
pub const LATEST_INSTANT_MS: u64 = 253_402_300_799_999;

/// [`LATEST_INSTANT_MS`] as a [`SystemTime`].
pub fn latest_instant() -> SystemTime {
    from_millis(LATEST_INSTANT_MS)
}

/// A virtual clock that only moves when a test moves it.
///
/// Cloning gives another handle to the same clock. [`ManualClock::advance`] and
/// [`ManualClock::set`] wake every [`Clock::sleep_until`] whose deadline has been reached, which in
/// the emulator means long polls time out or pick up messages whose delay or visibility timeout
/// just ended.
#[derive(Clone)]
pub struct ManualClock {
    // A watch channel is both the storage of the current time and the broadcast that wakes
    // sleepers: each sleeper waits for a value >= its deadline.
    time: Arc<watch::Sender<SystemTime>>,
}

impl ManualClock {
    /// A manual clock starting at the current wall-clock time (so requests signed by a real client
    /// right now pass the `Date` skew check).
    #[expect(
        clippy::disallowed_methods,
        reason = "the system clock reads and sleeps on the wall clock"
    )]
    pub fn new() -> Self {
        Self::at(SystemTime::now())
    }

    /// A manual clock starting at `start`.
    pub fn at(start: SystemTime) -> Self {
        let (tx, _rx) = watch::channel(start);
        Self { time: Arc::new(tx) }
    }

    /// A manual clock starting at `ms` milliseconds after the Unix epoch.
    pub fn at_millis(ms: u64) -> Self {
        Self::at(from_millis(ms))
    }

    /// Moves the clock forward by `by` and wakes sleepers whose deadline is reached.
    ///
    /// # Panics
    ///
    /// When the result would be later than [`LATEST_INSTANT_MS`]; [`ManualClock::try_advance`]
    /// reports that instead.
    pub fn advance(&self, by: Duration) {
        if self.try_advance(by).is_none() {
            panic!("ManualClock::advance({by:?}) would move the clock past year 9999");
        }
    }

    /// Moves the clock forward by `by` and wakes sleepers whose deadline is reached, returning the
    /// new time; `None` (and the clock unchanged) when the result would be later than
    /// [`LATEST_INSTANT_MS`]. Checking and moving are one step, so concurrent callers cannot
    /// together push the clock past the limit.
    pub fn try_advance(&self, by: Duration) -> Option<SystemTime> {
        let mut moved = None;
        self.time.send_if_modified(|t| {
            moved = t.checked_add(by).filter(|&next| next <= latest_instant());
            if let Some(next) = moved {
                *t = next;
            }
            moved.is_some()
        });
        moved
    }

    /// Sets the clock to `to` (forwards or backwards) and wakes sleepers whose deadline is reached.
    pub fn set(&self, to: SystemTime) {
        self.time.send_modify(|t| *t = to);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now_millis", &to_millis(*self.time.borrow()))
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.time.borrow()
    }

    fn manual(&self) -> Option<&ManualClock> {
        Some(self)
    }

    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        let mut rx = self.time.subscribe();
        Box::pin(async move {
            // `wait_for` checks the current value first, so a deadline already passed completes at
            // once. It errors only when the sender is gone, i.e. the clock no longer exists: then
            // nobody can ever advance it and waking up is the only useful outcome.
            let _ = rx.wait_for(|now| *now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Context, Poll, Waker};

    fn poll_once(f: &mut Sleep) -> Poll<()> {
        let mut cx = Context::from_waker(Waker::noop());
        f.as_mut().poll(&mut cx)
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_millis(1_000);
        assert_eq!(c.now_millis(), 1_000);
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now_millis(), 1_500);
        c.set(from_millis(10));
        assert_eq!(c.now_millis(), 10);
        let c2 = c.clone();
        c2.advance(Duration::from_millis(1));
        assert_eq!(c.now_millis(), 11, "clones share the time");
    }

    #[test]
    fn manual_sleep_completes_exactly_at_deadline() {
        let c = ManualClock::at_millis(1_000);
        let mut s = c.sleep_until(from_millis(2_000));
        assert!(poll_once(&mut s).is_pending());
        c.advance(Duration::from_millis(999));
        assert!(poll_once(&mut s).is_pending());
        c.advance(Duration::from_millis(1));
        assert!(poll_once(&mut s).is_ready());
    }

    #[test]
    fn manual_sleep_in_the_past_is_ready() {
        let c = ManualClock::at_millis(5_000);
        let mut s = c.sleep_until(from_millis(4_000));
        assert!(poll_once(&mut s).is_ready());
    }

    #[test]
    fn advancing_past_the_latest_instant_is_refused_and_changes_nothing() {
        let c = ManualClock::at_millis(1_000);
        assert_eq!(c.try_advance(Duration::from_secs(u64::MAX)), None);
        assert_eq!(
            c.try_advance(Duration::from_millis(LATEST_INSTANT_MS)),
            None
        );
        assert_eq!(c.now_millis(), 1_000);
        let last = Duration::from_millis(LATEST_INSTANT_MS - 1_000);
        assert_eq!(c.try_advance(last), Some(latest_instant()));
    }

    #[test]
    fn millis_round_trip() {
        assert_eq!(to_millis(from_millis(1_704_164_645_123)), 1_704_164_645_123);
        assert_eq!(to_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }

    #[tokio::test]
    async fn system_clock_sleep_in_the_past_returns() {
        SystemClock
            .sleep_until(SystemClock.now() - Duration::from_secs(1))
            .await;
    }
}
