//! Retry policy: exponential backoff with jitter, bounded by attempts and total time.
//!
//! A request is retried when it failed in a way that another attempt may fix:
//!
//! * HTTP 5xx (with or without an `<Error>` body), `InternalError`, `InternalServerError`;
//! * throttling: HTTP 429 / `TooManyRequests`, and `QpsLimitExceeded` (which the service sends with 400);
//! * a timeout, or a transport error (connection refused or reset, ...).
//!
//! Nothing else is retried: 4xx answers say the request itself is wrong.
//!
//! **Duplicates.** A retried `SendMessage`/`BatchSendMessage` whose first attempt reached the service
//! but whose answer was lost (a timeout) is sent again, so the message can be enqueued twice.
//! MNS queues are at-least-once anyway; consumers should be idempotent. Set
//! [`RetryConfig::max_retries`] to 0 to turn retries off.
//!
//! The delay before retry `n` (1-based) is `min(max_backoff, initial_backoff * multiplier^(n-1))`,
//! of which the upper half is randomised ("equal jitter"): `cap/2 + random(0..cap/2)`. Retries stop
//! after [`RetryConfig::max_retries`] retries, or when the next delay would end later than
//! [`RetryConfig::max_elapsed`] after the first attempt started. Each retry is logged at `WARN`
//! level in the request's tracing span with the attempt number, the delay and the error.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt as _, SeedableRng as _};

/// How failed requests are retried. See the [module docs](self).
///
/// ```
/// use mns_client::RetryConfig;
/// use std::time::Duration;
/// let retry = RetryConfig {
///     max_retries: 5,
///     initial_backoff: Duration::from_millis(50),
///     ..RetryConfig::default()
/// }
/// .with_jitter_seed(7);
/// assert_eq!(retry.max_retries, 5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Retries after the first attempt (0 disables retrying). Default 10: with the default
    /// backoffs that is about 20 s of retrying, so in practice [`max_elapsed`](Self::max_elapsed)
    /// bounds a call first and a transient outage or a burst of throttling is ridden out
    /// (at a 25% failure rate per attempt, 3 retries would still fail 1 call in 250).
    pub max_retries: u32,
    /// Delay cap before the first retry. Default 100 ms.
    pub initial_backoff: Duration,
    /// Upper bound for a single delay. Default 5 s.
    pub max_backoff: Duration,
    /// Growth factor between retries. Default 2.0.
    pub multiplier: f64,
    /// No retry is started if its delay would end later than this after the first attempt began.
    /// Default 30 s. Long-poll waits count towards it like any other time spent.
    pub max_elapsed: Duration,
    /// Seed for the jitter generator; `None` (the default) seeds from the operating system.
    /// Set it to make delays reproducible in tests.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            max_elapsed: Duration::from_secs(30),
            jitter_seed: None,
        }
    }
}

impl RetryConfig {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        }
    }

    /// Returns the policy with a fixed jitter seed (reproducible delays).
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// The delay cap before retry number `retry` (1-based), before jitter.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(64);
        let factor = self
            .multiplier
            .max(1.0)
            .powi(i32::try_from(exp).unwrap_or(64));
        let secs = self.initial_backoff.as_secs_f64() * factor;
        let max = self.max_backoff.as_secs_f64();
        Duration::from_secs_f64(if secs.is_finite() { secs.min(max) } else { max })
    }

    /// The delay before retry number `retry` (1-based), given a jitter sample `unit` in `[0, 1)`:
    /// `cap/2 + unit * cap/2`.
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let cap = self.backoff_cap(retry);
        let half = cap / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// The jitter generator a client owns (seeded or from the OS).
#[derive(Debug)]
pub(crate) struct Jitter(Mutex<SmallRng>);

impl Jitter {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => SmallRng::seed_from_u64(s),
            None => rand::make_rng::<SmallRng>(),
        };
        Jitter(Mutex::new(rng))
    }

    /// A sample in `[0, 1)`. The lock is never held across an await.
    pub(crate) fn sample(&self) -> f64 {
        match self.0.lock() {
            Ok(mut rng) => rng.random::<f64>(),
            Err(poisoned) => poisoned.into_inner().random::<f64>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let c = RetryConfig::default();
        assert_eq!(c.backoff_cap(1), Duration::from_millis(100));
        assert_eq!(c.backoff_cap(2), Duration::from_millis(200));
        assert_eq!(c.backoff_cap(3), Duration::from_millis(400));
        assert_eq!(c.backoff_cap(40), Duration::from_secs(5));
        assert_eq!(c.delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(c.delay(1, 1.0), Duration::from_millis(100));
    }

    #[test]
    fn seeded_jitter_is_reproducible() {
        let a = Jitter::new(Some(42));
        let b = Jitter::new(Some(42));
        let xs: Vec<f64> = (0..5).map(|_| a.sample()).collect();
        let ys: Vec<f64> = (0..5).map(|_| b.sample()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
    }
}
