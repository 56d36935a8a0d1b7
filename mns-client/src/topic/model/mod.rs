//! Typed values of the topic side of MNS: names, subscription endpoints, notify strategy and format,
//! tags, topic and subscription attributes, and the per-endpoint message attributes of
//! `PublishMessage`.
//!
//! Everything here is pure (no I/O). Values with rules are validated newtypes built with `new`
//! or [`str::parse`]; a value that breaks a rule is refused with [`Error::InvalidInput`] and
//! nothing is sent. Each type prints exactly the string the service uses on the wire.
//!
//! The limits live in the `limits` constants below, so a rule the service changes is changed in
//! one place.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::queue::model::{SystemProperties, UserProperty};

/// Limits the service applies to topic-side values (reference §1.1, §2, §3).
pub mod limits {
    /// Longest topic or subscription name, in characters (API pages; the Go SDK allows 256).
    pub const MAX_NAME_LEN: usize = 255;
    /// Longest `MessageTag` / `FilterTag`, in characters.
    pub const MAX_TAG_LEN: usize = 16;
    /// Smallest topic `MaximumMessageSize`, in bytes.
    pub const MIN_MAXIMUM_MESSAGE_SIZE: u32 = 1024;
    /// Largest (and default) topic `MaximumMessageSize`, in bytes.
    pub const MAX_MAXIMUM_MESSAGE_SIZE: u32 = 65536;
    /// Longest queue name accepted inside a queue endpoint. The current limit for new queues is
    /// 120, but queues created under the older 256 limit may still be subscribed to.
    pub const MAX_QUEUE_NAME_LEN: usize = 256;
    /// Prefix an HTTP endpoint's path may not start with.
    pub const RESERVED_PATH_PREFIX: &str = "/mns-reserved-";
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

/// Letters, digits and `-`, first character a letter or digit, `1..=max` characters.
fn check_name(kind: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() || s.len() > max {
        return Err(invalid(format!(
            "{kind} must be 1 to {max} characters long, got {}",
            s.chars().count()
        )));
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid(format!(
            "{kind} {s:?} may contain only letters, digits and '-'"
        )));
    }
    if !s.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(invalid(format!(
            "{kind} {s:?} must start with a letter or a digit"
        )));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps the value; a value that breaks the service's rules is
            /// refused with [`Error::InvalidInput`].
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                let check: fn(&str) -> Result<()> = $check;
                check(&value)?;
                Ok($name(value))
            }

            /// The value as the service spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the value.
            pub fn into_string(self) -> String {
                self.0
            }
        }


        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self> {
                $name::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

mod attributes;
mod endpoint;
mod message_attributes;
mod names;
mod strategy;

pub use attributes::*;
pub use endpoint::*;
pub use message_attributes::*;
pub use names::*;
pub use strategy::*;
