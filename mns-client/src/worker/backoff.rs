//! Exponential backoff for the worker: how long a failed message stays invisible, and how long
//! the worker waits after a failed receive.

use std::time::Duration;

/// Exponential backoff: attempt `n` (1-based) waits `min(max, initial * multiplier^(n-1))`.
///
/// The worker uses one for failed messages (the delay becomes the message's new visibility
/// timeout, so it is rounded up to whole seconds, at least 1) and one for failed receives.
///
/// ```
/// use mns_client::worker::Backoff;
/// use std::time::Duration;
/// let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
/// assert_eq!(b.delay(1), Duration::from_secs(1));
/// assert_eq!(b.delay(2), Duration::from_secs(2));
/// assert_eq!(b.delay(4), Duration::from_secs(8));
/// assert_eq!(b.delay(30), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay of the first attempt.
    pub initial: Duration,
    /// Upper bound for any delay.
    pub max: Duration,
    /// Growth factor between attempts (at least 1).
    pub multiplier: f64,
}

impl Backoff {
    /// Doubling backoff from `initial` up to `max`.
    ///
    /// ```
    /// use mns_client::worker::Backoff;
    /// use std::time::Duration;
    /// let b = Backoff::new(Duration::from_millis(500), Duration::from_secs(5));
    /// assert_eq!(b.multiplier, 2.0);
    /// ```
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            multiplier: 2.0,
        }
    }

    /// The delay before attempt `attempt` (1-based; 0 is treated as 1).
    ///
    /// ```
    /// use mns_client::worker::Backoff;
    /// use std::time::Duration;
    /// let b = Backoff { multiplier: 3.0, ..Backoff::new(Duration::from_secs(1), Duration::from_secs(100)) };
    /// assert_eq!(b.delay(3), Duration::from_secs(9));
    /// ```
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(64) as i32;
        let factor = self.multiplier.max(1.0).powi(exp);
        let secs = self.initial.as_secs_f64() * factor;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs).min(self.max)
        }
    }

    /// [`delay`](Self::delay) as whole seconds for a visibility timeout: rounded up, clamped to
    /// `1..=43200` (the service's range for `VisibilityTimeout`).
    ///
    /// ```
    /// use mns_client::worker::Backoff;
    /// use std::time::Duration;
    /// let b = Backoff::new(Duration::from_millis(300), Duration::from_secs(86_400));
    /// assert_eq!(b.visibility_seconds(1), 1);
    /// assert_eq!(b.visibility_seconds(40), 43_200);
    /// ```
    pub fn visibility_seconds(&self, attempt: u32) -> u32 {
        let (low, high) = crate::queue::limits::VISIBILITY_TIMEOUT;
        let d = self.delay(attempt);
        let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(high).clamp(low, high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        let d: Vec<u64> = (0..7).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(d, [1, 1, 2, 4, 8, 10, 10]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn multiplier_below_one_is_constant() {
        let b = Backoff {
            multiplier: 0.5,
            ..Backoff::new(Duration::from_secs(3), Duration::from_secs(10))
        };
        assert_eq!(b.delay(5), Duration::from_secs(3));
    }

    #[test]
    fn visibility_rounds_up() {
        let b = Backoff::new(Duration::from_millis(1_500), Duration::from_secs(60));
        assert_eq!(b.visibility_seconds(1), 2);
        assert_eq!(b.visibility_seconds(2), 3);
        let zero = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(zero.visibility_seconds(1), 1);
    }
}
