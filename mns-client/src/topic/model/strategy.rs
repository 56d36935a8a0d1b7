//! How a subscription retries and what its pushes carry: `NotifyStrategy`, `NotifyContentFormat`.

use super::*;

/// How the service retries a push that failed (reference §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum NotifyStrategy {
    /// `BACKOFF_RETRY` (default): 3 retries, each after a random 10–20 s.
    #[default]
    BackoffRetry,
    /// `EXPONENTIAL_DECAY_RETRY`: 176 retries at 1, 2, 4 … 256 s, then every 512 s (about a day).
    ExponentialDecayRetry,
}

impl NotifyStrategy {
    /// The value as the service spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyStrategy::BackoffRetry => "BACKOFF_RETRY",
            NotifyStrategy::ExponentialDecayRetry => "EXPONENTIAL_DECAY_RETRY",
        }
    }

    /// Number of retries after the first failed attempt.
    pub fn max_retries(self) -> u32 {
        match self {
            NotifyStrategy::BackoffRetry => 3,
            NotifyStrategy::ExponentialDecayRetry => 176,
        }
    }

    /// The wait before retry number `retry` (1-based), as a `(min, max)` range; the service picks
    /// a random value in it for `BACKOFF_RETRY`. `None` once the retries are used up.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mns_client::topic::NotifyStrategy;
    /// let s = NotifyStrategy::ExponentialDecayRetry;
    /// assert_eq!(s.retry_delay(1), Some((Duration::from_secs(1), Duration::from_secs(1))));
    /// assert_eq!(s.retry_delay(10), Some((Duration::from_secs(512), Duration::from_secs(512))));
    /// assert_eq!(s.retry_delay(177), None);
    /// ```
    pub fn retry_delay(self, retry: u32) -> Option<(Duration, Duration)> {
        if retry == 0 || retry > self.max_retries() {
            return None;
        }
        match self {
            NotifyStrategy::BackoffRetry => {
                Some((Duration::from_secs(10), Duration::from_secs(20)))
            }
            NotifyStrategy::ExponentialDecayRetry => {
                let secs = 1u64 << (retry - 1).min(9);
                Some((Duration::from_secs(secs), Duration::from_secs(secs)))
            }
        }
    }
}

impl fmt::Display for NotifyStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotifyStrategy {
    type Err = Error;
    /// Parses `BACKOFF_RETRY` or `EXPONENTIAL_DECAY_RETRY` (exact spelling).
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "BACKOFF_RETRY" => Ok(NotifyStrategy::BackoffRetry),
            "EXPONENTIAL_DECAY_RETRY" => Ok(NotifyStrategy::ExponentialDecayRetry),
            other => Err(invalid(format!(
                "unknown NotifyStrategy {other:?} (expected BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY)"
            ))),
        }
    }
}

/// The shape of what a subscription delivers (reference §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum NotifyContentFormat {
    /// `XML` (default): a `<Notification>` document with the message and its metadata.
    #[default]
    Xml,
    /// `JSON`: the same fields as a JSON object whose values are all strings.
    Json,
    /// `SIMPLIFIED`: the published message body alone; for HTTP the metadata travels in
    /// `x-mns-*` headers.
    Simplified,
}

impl NotifyContentFormat {
    /// The value as the service spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyContentFormat::Xml => "XML",
            NotifyContentFormat::Json => "JSON",
            NotifyContentFormat::Simplified => "SIMPLIFIED",
        }
    }
}

impl fmt::Display for NotifyContentFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotifyContentFormat {
    type Err = Error;
    /// Parses `XML`, `JSON` or `SIMPLIFIED` (exact spelling).
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "XML" => Ok(NotifyContentFormat::Xml),
            "JSON" => Ok(NotifyContentFormat::Json),
            "SIMPLIFIED" => Ok(NotifyContentFormat::Simplified),
            other => Err(invalid(format!(
                "unknown NotifyContentFormat {other:?} (expected XML, JSON or SIMPLIFIED)"
            ))),
        }
    }
}
