//! Service limits (reference §5, §9) and the validation helpers that enforce them with the
//! service's error codes and message texts.
//!
//! Numbers arrive as `i64` so that out-of-range values (negative, huge) get the service's
//! "should between" message rather than a parse error; the HTTP layer answers `InvalidArgument`
//! itself only for text that is not an integer at all.

use crate::error::MnsError;

/// Minimum queue name length.
pub const MIN_QUEUE_NAME_LEN: usize = 1;
/// Maximum queue name length (current docs; see [`super::EngineConfig::max_queue_name_len`]).
pub const MAX_QUEUE_NAME_LEN: usize = 120;

/// `DelaySeconds` range (queue attribute and per message), seconds.
pub const MIN_DELAY_SECONDS: i64 = 0;
/// Maximum `DelaySeconds` (7 days).
pub const MAX_DELAY_SECONDS: i64 = 604_800;
/// Default queue `DelaySeconds`.
pub const DEFAULT_DELAY_SECONDS: u32 = 0;

/// Minimum `MaximumMessageSize`, bytes.
pub const MIN_MAXIMUM_MESSAGE_SIZE: i64 = 1024;
/// Maximum `MaximumMessageSize`, bytes (64 KB).
pub const MAX_MAXIMUM_MESSAGE_SIZE: i64 = 65_536;
/// Default `MaximumMessageSize`.
pub const DEFAULT_MAXIMUM_MESSAGE_SIZE: u32 = 65_536;

/// Minimum `MessageRetentionPeriod`, seconds.
pub const MIN_RETENTION_SECONDS: i64 = 60;
/// Maximum `MessageRetentionPeriod` per current docs (7 days).
pub const MAX_RETENTION_SECONDS: u32 = 604_800;
/// Maximum `MessageRetentionPeriod` per older docs and the Go SDK (15 days).
pub const LEGACY_MAX_RETENTION_SECONDS: u32 = 1_296_000;
/// Default `MessageRetentionPeriod` (4 days).
pub const DEFAULT_RETENTION_SECONDS: u32 = 345_600;

/// Minimum queue `VisibilityTimeout`, seconds.
pub const MIN_VISIBILITY_TIMEOUT: i64 = 1;
/// Maximum `VisibilityTimeout` (12 hours), also for `ChangeMessageVisibility`.
pub const MAX_VISIBILITY_TIMEOUT: i64 = 43_200;
/// Default queue `VisibilityTimeout`.
pub const DEFAULT_VISIBILITY_TIMEOUT: u32 = 30;

/// Minimum long-poll wait (`PollingWaitSeconds`, `waitseconds`), seconds.
pub const MIN_WAIT_SECONDS: i64 = 0;
/// Maximum long-poll wait, seconds.
pub const MAX_WAIT_SECONDS: i64 = 30;
/// Default queue `PollingWaitSeconds`.
pub const DEFAULT_POLLING_WAIT_SECONDS: u32 = 0;

/// Minimum message priority (served first).
pub const MIN_PRIORITY: i64 = 1;
/// Maximum message priority (served last).
pub const MAX_PRIORITY: i64 = 16;
/// Priority of a message sent without one.
pub const DEFAULT_PRIORITY: u8 = 8;

/// Maximum entries in BatchSend/BatchReceive/BatchPeek/BatchDelete.
pub const MAX_BATCH_SIZE: usize = 16;
/// Maximum total body size of one BatchSendMessage, bytes.
pub const MAX_BATCH_SEND_BYTES: usize = 65_536;

/// Minimum `x-mns-ret-number`.
pub const MIN_LIST_RET_NUMBER: i64 = 1;
/// Maximum (and default) `x-mns-ret-number`.
pub const MAX_LIST_RET_NUMBER: i64 = 1000;

/// Maximum user properties per message.
pub const MAX_USER_PROPERTIES: usize = 50;
/// Maximum user property name length.
pub const MAX_USER_PROPERTY_NAME_LEN: usize = 256;
/// Maximum user property value length.
pub const MAX_USER_PROPERTY_VALUE_LEN: usize = 4096;
/// The system property names SDKs can send: the OpenTelemetry ones and the dead-letter ones the
/// Python and PHP SDKs accept (reference: mns-openapi-fifo-dlq §6). Each name may appear once, so
/// this also caps their number. Whether the service refuses other names is \[unconfirmed\]; the
/// emulator does (see [`EngineConfig::system_property_names`](super::EngineConfig)), so
/// system properties cannot carry unbounded data past every limit.
pub const SYSTEM_PROPERTY_NAMES: &[&str] = &[
    "traceparent",
    "tracestate",
    "baggage",
    "DLQMessageType",
    "DLQSourceArn",
    "DLQOriginMessageId",
];
/// Maximum system property value length, characters [unconfirmed: the user property limit is
/// assumed]. Names and values count towards `MaximumMessageSize` like user properties.
pub const MAX_SYSTEM_PROPERTY_VALUE_LEN: usize = 4096;

fn check_range(value: i64, low: i64, high: i64, element: &str, unit: &str) -> Result<(), MnsError> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(MnsError::out_of_range(element, low, high, unit))
    }
}

/// Checks a queue name: 1..=`max_len` characters matching `^[A-Za-z0-9][A-Za-z0-9-]*$`.
///
/// Length is checked first (400 `QueueNameLengthError`), then the charset (400 `InvalidQueueName`).
pub fn validate_queue_name(name: &str, max_len: usize) -> Result<(), MnsError> {
    let len = name.chars().count();
    if !(MIN_QUEUE_NAME_LEN..=max_len).contains(&len) {
        return Err(MnsError::queue_name_length_error(max_len));
    }
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(MnsError::invalid_queue_name());
    }
    Ok(())
}

/// Checks a long-poll wait (`waitseconds` query parameter or `PollingWaitSeconds`): 0..=30.
pub fn validate_wait_seconds(value: i64) -> Result<u32, MnsError> {
    check_range(
        value,
        MIN_WAIT_SECONDS,
        MAX_WAIT_SECONDS,
        "waitseconds",
        "seconds",
    )?;
    Ok(value as u32)
}

/// Checks a batch receive/peek size (`numOfMessages`): 1..=16.
pub fn validate_batch_size(value: i64) -> Result<usize, MnsError> {
    check_range(value, 1, MAX_BATCH_SIZE as i64, "numOfMessages", "")?;
    Ok(value as usize)
}

/// Checks the number of entries of a BatchSend/BatchDelete request: 1..=16.
pub fn validate_batch_entries(count: usize, element: &str) -> Result<(), MnsError> {
    if (1..=MAX_BATCH_SIZE).contains(&count) {
        Ok(())
    } else {
        Err(MnsError::invalid_argument(format!(
            "The count of {element} should between 1 and {MAX_BATCH_SIZE}"
        )))
    }
}

/// Checks a `x-mns-ret-number` page size: 1..=1000.
pub fn validate_ret_number(value: i64) -> Result<usize, MnsError> {
    check_range(
        value,
        MIN_LIST_RET_NUMBER,
        MAX_LIST_RET_NUMBER,
        "x-mns-ret-number",
        "",
    )?;
    Ok(value as usize)
}

/// Checks a message priority: 1..=16 ("The value of Priority should between 1 and 16").
pub fn validate_priority(value: i64) -> Result<u8, MnsError> {
    check_range(value, MIN_PRIORITY, MAX_PRIORITY, "Priority", "")?;
    Ok(value as u8)
}

/// Checks a `DelaySeconds` value (queue attribute or message): 0..=604800.
pub fn validate_delay_seconds(value: i64) -> Result<u32, MnsError> {
    check_range(
        value,
        MIN_DELAY_SECONDS,
        MAX_DELAY_SECONDS,
        "DelaySeconds",
        "seconds",
    )?;
    Ok(value as u32)
}

/// Checks a queue `VisibilityTimeout`: 1..=43200.
pub fn validate_visibility_timeout(value: i64) -> Result<u32, MnsError> {
    check_range(
        value,
        MIN_VISIBILITY_TIMEOUT,
        MAX_VISIBILITY_TIMEOUT,
        "VisibilityTimeout",
        "seconds",
    )?;
    Ok(value as u32)
}

/// Checks a `ChangeMessageVisibility` timeout: 1..=43200, or 0..=43200 when `allow_zero`.
pub fn validate_change_visibility_timeout(value: i64, allow_zero: bool) -> Result<u32, MnsError> {
    let low = if allow_zero {
        0
    } else {
        MIN_VISIBILITY_TIMEOUT
    };
    check_range(
        value,
        low,
        MAX_VISIBILITY_TIMEOUT,
        "VisibilityTimeout",
        "seconds",
    )?;
    Ok(value as u32)
}

/// Checks a `MaximumMessageSize`: 1024..=65536.
pub fn validate_maximum_message_size(value: i64) -> Result<u32, MnsError> {
    check_range(
        value,
        MIN_MAXIMUM_MESSAGE_SIZE,
        MAX_MAXIMUM_MESSAGE_SIZE,
        "MaximumMessageSize",
        "bytes",
    )?;
    Ok(value as u32)
}

/// Checks a `MessageRetentionPeriod`: 60..=`max` (see [`super::EngineConfig::max_retention_seconds`]).
pub fn validate_retention_period(value: i64, max: u32) -> Result<u32, MnsError> {
    check_range(
        value,
        MIN_RETENTION_SECONDS,
        i64::from(max),
        "MessageRetentionPeriod",
        "seconds",
    )?;
    Ok(value as u32)
}

/// Checks a queue `PollingWaitSeconds`: 0..=30.
pub fn validate_polling_wait_seconds(value: i64) -> Result<u32, MnsError> {
    check_range(
        value,
        MIN_WAIT_SECONDS,
        MAX_WAIT_SECONDS,
        "PollingWaitSeconds",
        "seconds",
    )?;
    Ok(value as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn queue_names() {
        assert!(validate_queue_name("a", 120).is_ok());
        assert!(validate_queue_name("0abc-DEF-9", 120).is_ok());
        assert!(validate_queue_name(&"a".repeat(120), 120).is_ok());
        let long = validate_queue_name(&"a".repeat(121), 120).unwrap_err();
        assert_eq!(long.code(), &ErrorCode::QueueNameLengthError);
        assert_eq!(
            long.message(),
            "Queue name length should between 1 and 120."
        );
        assert_eq!(
            validate_queue_name("", 120).unwrap_err().code(),
            &ErrorCode::QueueNameLengthError
        );
        for bad in ["-a", "a_b", "a.b", "a b", "é", "a/b"] {
            let e = validate_queue_name(bad, 120).unwrap_err();
            assert_eq!(e.code(), &ErrorCode::InvalidQueueName, "{bad}");
            assert_eq!(e.status(), 400);
        }
    }

    #[test]
    fn ranges_accept_bounds_and_reject_outside() {
        type Check = fn(i64) -> Result<u32, MnsError>;
        let cases: [(Check, i64, i64, &str); 5] = [
            (
                validate_wait_seconds as Check,
                0,
                30,
                "The value of waitseconds should between 0 and 30 seconds.",
            ),
            (
                validate_delay_seconds as Check,
                0,
                604_800,
                "The value of DelaySeconds should between 0 and 604800 seconds.",
            ),
            (
                validate_visibility_timeout as Check,
                1,
                43_200,
                "The value of VisibilityTimeout should between 1 and 43200 seconds.",
            ),
            (
                validate_maximum_message_size as Check,
                1024,
                65_536,
                "The value of MaximumMessageSize should between 1024 and 65536 bytes.",
            ),
            (
                validate_polling_wait_seconds as Check,
                0,
                30,
                "The value of PollingWaitSeconds should between 0 and 30 seconds.",
            ),
        ];
        for (check, lo, hi, msg) in cases {
            assert_eq!(check(lo).unwrap() as i64, lo);
            assert_eq!(check(hi).unwrap() as i64, hi);
            for bad in [lo - 1, hi + 1, i64::MIN, i64::MAX] {
                let e = check(bad).unwrap_err();
                assert_eq!(e.code(), &ErrorCode::InvalidArgument);
                assert_eq!(e.message(), msg);
            }
        }
    }

    #[test]
    fn priority_batch_ret_number_and_retention() {
        assert_eq!(validate_priority(1).unwrap(), 1);
        assert_eq!(validate_priority(16).unwrap(), 16);
        assert_eq!(
            validate_priority(0).unwrap_err().message(),
            "The value of Priority should between 1 and 16"
        );
        assert!(validate_priority(17).is_err());
        assert_eq!(validate_batch_size(16).unwrap(), 16);
        assert!(validate_batch_size(0).is_err());
        assert!(validate_batch_size(17).is_err());
        assert_eq!(validate_ret_number(1000).unwrap(), 1000);
        assert!(validate_ret_number(0).is_err());
        assert!(validate_ret_number(1001).is_err());
        assert!(validate_retention_period(59, MAX_RETENTION_SECONDS).is_err());
        assert!(validate_retention_period(604_800, MAX_RETENTION_SECONDS).is_ok());
        assert!(validate_retention_period(604_801, MAX_RETENTION_SECONDS).is_err());
        assert!(validate_retention_period(1_296_000, LEGACY_MAX_RETENTION_SECONDS).is_ok());
        assert!(validate_change_visibility_timeout(0, false).is_err());
        assert_eq!(validate_change_visibility_timeout(0, true).unwrap(), 0);
        assert!(validate_batch_entries(0, "Message").is_err());
        assert!(validate_batch_entries(17, "Message").is_err());
        assert!(validate_batch_entries(16, "Message").is_ok());
    }
}
