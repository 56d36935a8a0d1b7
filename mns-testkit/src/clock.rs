//! Time control: the bridge between the emulator's virtual clock and the client's `Date` header.

use std::sync::Arc;
use std::time::SystemTime;

use mns_client::TimeSource;
use mns_emulator::clock::Clock;

/// A [`TimeSource`] for `mns-client` that reads an emulator [`Clock`] (typically a
/// [`ManualClock`](mns_emulator::clock::ManualClock)), so the `Date` a client signs always matches the emulator's idea of "now",
/// however far a test moves the clock.
///
/// ```
/// use mns_client::TimeSource;
/// use mns_emulator::clock::{Clock, ManualClock};
/// use mns_testkit::ClockTimeSource;
/// use std::time::Duration;
///
/// let clock = ManualClock::at_millis(1_704_164_645_000);
/// let source = ClockTimeSource::new(clock.clone());
/// clock.advance(Duration::from_secs(3600));
/// assert_eq!(source.now(), clock.now());
/// ```
#[derive(Debug, Clone)]
pub struct ClockTimeSource {
    clock: Arc<dyn Clock>,
}

impl ClockTimeSource {
    /// A time source reading `clock`.
    pub fn new(clock: impl Clock) -> Self {
        ClockTimeSource {
            clock: Arc::new(clock),
        }
    }

    /// A time source reading an already shared clock (e.g. [`mns_emulator::Emulator::clock`]).
    pub fn shared(clock: Arc<dyn Clock>) -> Self {
        ClockTimeSource { clock }
    }
}

impl TimeSource for ClockTimeSource {
    fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

/// Gives a manual clock a moment to wake what its last move made due: long polls parked in
/// the emulator answer on another task, so a test that advances the clock and then immediately
/// looks at state yields a few times first.
pub(crate) async fn settle() {
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
}
