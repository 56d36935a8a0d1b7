//! Types for queue and message operations: validated names and values, options, results.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, ErrorCode};

/// The service's limits, checked client-side before anything is sent.
///
/// Where the reference documents disagree, the current documented limit is used; each one is
/// defined here only.
pub mod limits {
    /// Longest queue name.
    pub const QUEUE_NAME_MAX_LEN: usize = 120;
    /// Largest message body, in bytes as transmitted (after base64 encoding, if any).
    pub const MESSAGE_BODY_MAX_BYTES: usize = 65_536;
    /// Largest total of the bodies in one BatchSendMessage, in bytes as transmitted.
    pub const BATCH_BODY_MAX_BYTES: usize = 65_536;
    /// Most entries in one batch operation (send, receive, peek, delete).
    pub const BATCH_MAX_ENTRIES: usize = 16;
    /// Longest delay, in seconds (7 days).
    pub const DELAY_SECONDS_MAX: u32 = 604_800;
    /// Visibility timeout range, in seconds.
    pub const VISIBILITY_TIMEOUT: (u32, u32) = (1, 43_200);
    /// Long-poll wait range, in seconds.
    pub const WAIT_SECONDS_MAX: u32 = 30;
    /// `MaximumMessageSize` attribute range, in bytes.
    pub const MAXIMUM_MESSAGE_SIZE: (u32, u32) = (1_024, 65_536);
    /// `MessageRetentionPeriod` attribute range, in seconds.
    pub const MESSAGE_RETENTION_PERIOD: (u32, u32) = (60, 604_800);
    /// ListQueue page size range (`x-mns-ret-number`).
    pub const LIST_PAGE_SIZE: (u32, u32) = (1, 1_000);
    /// Most user properties on one message.
    pub const USER_PROPERTIES_MAX: usize = 50;
    /// Longest user property name, in characters.
    pub const USER_PROPERTY_NAME_MAX_LEN: usize = 256;
    /// Longest user property value, in characters.
    pub const USER_PROPERTY_VALUE_MAX_LEN: usize = 4_096;
    /// Longest system property value, in characters. The reference gives no limit for system
    /// properties \[unconfirmed\]; this mirrors the user-property limit (and the emulator's),
    /// which a W3C `traceparent`/`tracestate`/`baggage` header never approaches.
    pub const SYSTEM_PROPERTY_VALUE_MAX_LEN: usize = 4_096;
}

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

fn check_range(what: &str, value: u32, (low, high): (u32, u32)) -> Result<(), Error> {
    if value < low || value > high {
        return Err(invalid(format!(
            "{what} must be between {low} and {high}, got {value}"
        )));
    }
    Ok(())
}

mod attributes;
mod messages;
mod names;
mod properties;
mod system_properties;
mod time;

pub use attributes::*;
pub use messages::*;
pub use names::*;
pub use properties::*;
pub use system_properties::*;
pub(crate) use time::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names() {
        assert!(QueueName::new("a").is_ok());
        assert!(QueueName::new("1abc-DEF").is_ok());
        assert!(QueueName::new("a".repeat(120)).is_ok());
        assert!(QueueName::new("a".repeat(121)).is_err());
        assert!(QueueName::new("").is_err());
        assert!(QueueName::new("a_b").is_err());
        assert!(QueueName::new("a b").is_err());
        assert!(QueueName::new("队列").is_err());
    }

    #[test]
    fn receipt_handle_query_value() {
        let h = ReceiptHandle::new("1-ODU4+OTk/zNDU5My0=10").unwrap();
        assert_eq!(h.query_value(), "1-ODU4+OTk/zNDU5My0=10");
        let h = ReceiptHandle::new("a&b#c%").unwrap();
        assert_eq!(h.query_value(), "a%26b%23c%25");
        assert!(ReceiptHandle::new("").is_err());
        assert!(ReceiptHandle::new("a b").is_err());
    }

    #[test]
    fn codecs() {
        assert_eq!(BodyCodec::Raw.encode(b"hi <x>").unwrap(), "hi <x>");
        assert!(BodyCodec::Raw.encode(&[0xff]).is_err());
        assert!(matches!(
            BodyCodec::Raw.encode(b"a\x01"),
            Err(Error::InvalidXmlChar {
                field: "MessageBody",
                code: 1,
                index: 1
            })
        ));
        assert!(matches!(
            BodyCodec::Raw.encode("\u{fffe}".as_bytes()),
            Err(Error::InvalidXmlChar { code: 0xFFFE, .. })
        ));
        assert_eq!(
            BodyCodec::Base64.encode(b"hello world").unwrap(),
            "aGVsbG8gd29ybGQ="
        );
        assert_eq!(
            BodyCodec::Base64.decode("aGVsbG8gd29ybGQ=".into()).unwrap(),
            b"hello world"
        );
        assert!(BodyCodec::Base64.decode("not base64!".into()).is_err());
    }

    #[test]
    fn waits_and_batches() {
        assert_eq!(wait_seconds(Duration::from_secs(30)).unwrap(), 30);
        // Absurd timestamps from a broken answer are clamped, never a panic.
        assert_eq!(from_secs(u64::MAX), from_secs(MAX_DECODED_SECS));
        assert_eq!(
            from_millis(u64::MAX),
            from_secs(MAX_DECODED_SECS) + Duration::from_millis(615)
        );
        assert!(wait_seconds(Duration::from_secs(31)).is_err());
        assert!(wait_seconds(Duration::from_millis(1500)).is_err());
        assert!(batch_count("x", 0).is_err());
        assert!(batch_count("x", 17).is_err());
        assert!(batch_count("x", 16).is_ok());
    }

    #[test]
    fn user_properties() {
        assert!(validate_user_properties(&[UserProperty::string("city", "hz")]).is_ok());
        for bad in [".a", "a.", "a..b", "a b", ""] {
            assert!(
                validate_user_properties(&[UserProperty::string(bad, "v")]).is_err(),
                "{bad}"
            );
        }
        let dup = [
            UserProperty::string("a", "1"),
            UserProperty::string("a", "2"),
        ];
        assert!(validate_user_properties(&dup).is_err());
    }
}
