//! Timestamps and waits as the wire carries them.

use super::*;

/// Epoch milliseconds to [`SystemTime`].
pub(crate) fn from_millis(ms: u64) -> SystemTime {
    from_secs(ms / 1000) + Duration::from_millis(ms % 1000)
}

/// The latest time a decoded timestamp may name: 9999-12-31T23:59:59Z. Later values (only a
/// broken answer sends them) are clamped to it, since `UNIX_EPOCH + huge` would overflow
/// `SystemTime` and panic (found by the `client_response_decoding` fuzz target).
pub(crate) const MAX_DECODED_SECS: u64 = 253_402_300_799;

/// Epoch seconds to [`SystemTime`], clamped to [`MAX_DECODED_SECS`].
pub(crate) fn from_secs(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s.min(MAX_DECODED_SECS))
}

/// Validates a long-poll wait (whole seconds, 0–30) and returns the seconds.
pub(crate) fn wait_seconds(wait: Duration) -> Result<u32, Error> {
    if wait.subsec_nanos() != 0 {
        return Err(invalid(format!("wait must be whole seconds, got {wait:?}")));
    }
    let secs = u32::try_from(wait.as_secs()).unwrap_or(u32::MAX);
    check_range("wait seconds", secs, (0, limits::WAIT_SECONDS_MAX))?;
    Ok(secs)
}

/// Validates a batch size (1–16).
pub(crate) fn batch_count(what: &str, n: usize) -> Result<(), Error> {
    if n == 0 || n > limits::BATCH_MAX_ENTRIES {
        return Err(invalid(format!(
            "{what} takes 1 to {} entries, got {n}",
            limits::BATCH_MAX_ENTRIES
        )));
    }
    Ok(())
}
