//! Subscriptions: endpoints, notify strategies, content formats, filter tags, and their limits
//! (reference §2.6-§2.8, §3.2-§3.5).

use std::fmt;

use super::Millis;
use crate::error::{ErrorCode, MnsError};

/// Maximum length of a `FilterTag` / `MessageTag`, in characters.
pub const MAX_TAG_LEN: usize = 16;

/// How failed deliveries are retried (reference §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NotifyStrategy {
    /// 3 retries, each after a random 10-20 s (the default).
    #[default]
    BackoffRetry,
    /// 176 retries after 1, 2, 4, … 256 s, then every 512 s (about one day in total).
    ExponentialDecayRetry,
}

/// Number of `EXPONENTIAL_DECAY_RETRY` retries.
const EXPONENTIAL_RETRIES: u32 = 176;

impl NotifyStrategy {
    /// The service's spelling (`BACKOFF_RETRY`, `EXPONENTIAL_DECAY_RETRY`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyStrategy::BackoffRetry => "BACKOFF_RETRY",
            NotifyStrategy::ExponentialDecayRetry => "EXPONENTIAL_DECAY_RETRY",
        }
    }

    /// Parses the service's spelling (exact, upper case); anything else is 400 `InvalidArgument`.
    pub fn parse(s: &str) -> Result<Self, MnsError> {
        match s.trim() {
            "BACKOFF_RETRY" => Ok(NotifyStrategy::BackoffRetry),
            "EXPONENTIAL_DECAY_RETRY" => Ok(NotifyStrategy::ExponentialDecayRetry),
            _ => Err(MnsError::invalid_argument(
                "The value of NotifyStrategy should be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY.",
            )),
        }
    }

    /// How many retries follow a failed first attempt before the message is dropped.
    pub fn max_retries(self) -> u32 {
        match self {
            NotifyStrategy::BackoffRetry => 3,
            NotifyStrategy::ExponentialDecayRetry => EXPONENTIAL_RETRIES,
        }
    }

    /// The inclusive range, in milliseconds, of the wait before retry number `retry` (0-based),
    /// or `None` when there is no such retry.
    pub fn retry_delay_range(self, retry: u32) -> Option<(Millis, Millis)> {
        if retry >= self.max_retries() {
            return None;
        }
        Some(match self {
            NotifyStrategy::BackoffRetry => (10_000, 20_000),
            NotifyStrategy::ExponentialDecayRetry => {
                let secs = 1u64 << retry.min(9);
                (secs * 1000, secs * 1000)
            }
        })
    }

    /// The wait before retry `retry` (0-based), picking inside the range with `random`.
    pub(crate) fn retry_delay(self, retry: u32, random: u64) -> Option<Millis> {
        let (low, high) = self.retry_delay_range(retry)?;
        Some(low + random % (high - low + 1))
    }
}

impl fmt::Display for NotifyStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body an endpoint receives for each message (reference §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NotifyContentFormat {
    /// A `<Notification>` XML document (the default).
    #[default]
    Xml,
    /// A JSON object with every value as a string.
    Json,
    /// The message body alone; HTTP endpoints get the metadata in headers.
    Simplified,
}

impl NotifyContentFormat {
    /// The service's spelling (`XML`, `JSON`, `SIMPLIFIED`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyContentFormat::Xml => "XML",
            NotifyContentFormat::Json => "JSON",
            NotifyContentFormat::Simplified => "SIMPLIFIED",
        }
    }

    /// Parses the service's spelling; anything else is 400 `InvalidArgument`.
    pub fn parse(s: &str) -> Result<Self, MnsError> {
        match s.trim() {
            "XML" => Ok(NotifyContentFormat::Xml),
            "JSON" => Ok(NotifyContentFormat::Json),
            "SIMPLIFIED" => Ok(NotifyContentFormat::Simplified),
            _ => Err(MnsError::invalid_argument(
                "The value of NotifyContentFormat should be XML, JSON or SIMPLIFIED.",
            )),
        }
    }
}

impl fmt::Display for NotifyContentFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A subscription endpoint, parsed from the service's string forms (reference §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `http://…` or `https://…`: signed HTTP push (§6).
    Http {
        /// The URL exactly as subscribed.
        url: String,
    },
    /// `acs:mns:{region}:{account}:queues/{queue}`: delivered into a queue of this emulator.
    Queue {
        /// Region id.
        region: String,
        /// Account id.
        account_id: String,
        /// Queue name.
        queue: String,
    },
    /// `mail:directmail:{address}`, `sms:directsms:…`, `sms:dayu:…` or `push:{app key}`:
    /// deliveries are recorded (see the delivery log), not sent anywhere.
    RecordOnly {
        /// The endpoint string as subscribed.
        endpoint: String,
    },
}

impl Endpoint {
    /// Parses an endpoint string; anything unrecognised is 400 `EndpointInvalid`.
    pub fn parse(s: &str) -> Result<Self, MnsError> {
        let s = s.trim();
        let invalid = |why: &str| {
            MnsError::new(
                ErrorCode::EndpointInvalid,
                format!("The endpoint you provided is invalid: {why}"),
            )
        };
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let url = url::Url::parse(s).map_err(|_| invalid("not a valid URL."))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(invalid("the URL has no host."));
            }
            if url.path().starts_with("/mns-reserved-") {
                return Err(invalid("the path must not start with mns-reserved-."));
            }
            return Ok(Endpoint::Http { url: s.to_owned() });
        }
        if let Some(rest) = s.strip_prefix("acs:mns:") {
            let mut parts = rest.splitn(3, ':');
            let (Some(region), Some(account), Some(resource)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid(
                    "expected acs:mns:{region}:{account}:queues/{queue}.",
                ));
            };
            let queue = resource
                .strip_prefix("queues/")
                .or_else(|| resource.strip_prefix("/queues/"))
                .filter(|q| !q.is_empty() && !q.contains('/'))
                .ok_or_else(|| invalid("expected acs:mns:{region}:{account}:queues/{queue}."))?;
            if region.is_empty() || account.is_empty() {
                return Err(invalid("the region and account must not be empty."));
            }
            return Ok(Endpoint::Queue {
                region: region.to_owned(),
                account_id: account.to_owned(),
                queue: queue.to_owned(),
            });
        }
        let record_only = ["mail:directmail:", "sms:directsms:", "sms:dayu:", "push:"];
        if record_only
            .iter()
            .any(|p| s.len() > p.len() && s.starts_with(p))
        {
            return Ok(Endpoint::RecordOnly {
                endpoint: s.to_owned(),
            });
        }
        Err(invalid(
            "it should be an http(s) URL, a queue (acs:mns:…), mail, sms or push endpoint.",
        ))
    }

    /// The endpoint as the service prints it.
    pub fn as_str(&self) -> String {
        match self {
            Endpoint::Http { url } => url.clone(),
            Endpoint::Queue {
                region,
                account_id,
                queue,
            } => format!("acs:mns:{region}:{account_id}:queues/{queue}"),
            Endpoint::RecordOnly { endpoint } => endpoint.clone(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// Checks a `FilterTag` or `MessageTag`: 1..=16 characters (400 `InvalidArgument`).
pub(crate) fn validate_tag(tag: &str, element: &str) -> Result<(), MnsError> {
    let len = tag.chars().count();
    if (1..=MAX_TAG_LEN).contains(&len) {
        Ok(())
    } else {
        Err(MnsError::invalid_argument(format!(
            "The length of {element} should between 1 and {MAX_TAG_LEN}."
        )))
    }
}

/// The body of `Subscribe` (every element optional at this level; `Endpoint` is required by the
/// engine).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeInput {
    /// `Endpoint` string.
    pub endpoint: Option<String>,
    /// `FilterTag`; empty means none.
    pub filter_tag: Option<String>,
    /// `NotifyStrategy` string; `None` means `BACKOFF_RETRY`.
    pub notify_strategy: Option<String>,
    /// `NotifyContentFormat` string; `None` means `XML`.
    pub notify_content_format: Option<String>,
}

/// The body of `SetSubscriptionAttributes`: only `NotifyStrategy` and `FilterTag` can change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// New `NotifyStrategy`.
    pub notify_strategy: Option<String>,
    /// New `FilterTag` (the Java SDK sends it; empty clears it).
    pub filter_tag: Option<String>,
}

/// A subscription's resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubscriptionSettings {
    pub(crate) endpoint: Endpoint,
    pub(crate) filter_tag: Option<String>,
    pub(crate) notify_strategy: NotifyStrategy,
    pub(crate) notify_content_format: NotifyContentFormat,
}

impl SubscriptionSettings {
    /// Validates a `Subscribe` body.
    pub(crate) fn resolve(input: &SubscribeInput) -> Result<Self, MnsError> {
        let endpoint = input
            .endpoint
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .ok_or_else(|| MnsError::schema_violation("Endpoint"))?;
        let endpoint = Endpoint::parse(endpoint)?;
        let filter_tag = resolve_filter_tag(input.filter_tag.as_deref())?;
        let notify_strategy = match input.notify_strategy.as_deref() {
            Some(s) if !s.trim().is_empty() => NotifyStrategy::parse(s)?,
            _ => NotifyStrategy::default(),
        };
        let notify_content_format = match input.notify_content_format.as_deref() {
            Some(s) if !s.trim().is_empty() => NotifyContentFormat::parse(s)?,
            _ => NotifyContentFormat::default(),
        };
        Ok(SubscriptionSettings {
            endpoint,
            filter_tag,
            notify_strategy,
            notify_content_format,
        })
    }

    /// Whether a message with this tag passes the filter (§3.5: exact, case-sensitive).
    pub(crate) fn accepts(&self, message_tag: Option<&str>) -> bool {
        match &self.filter_tag {
            None => true,
            Some(filter) => message_tag == Some(filter.as_str()),
        }
    }
}

pub(crate) fn resolve_filter_tag(tag: Option<&str>) -> Result<Option<String>, MnsError> {
    match tag {
        None => Ok(None),
        Some("") => Ok(None),
        Some(t) => {
            validate_tag(t, "FilterTag")?;
            Ok(Some(t.to_owned()))
        }
    }
}

/// One subscription of a topic.
#[derive(Debug, Clone)]
pub(crate) struct SubscriptionStore {
    pub(crate) settings: SubscriptionSettings,
    /// The DLQ policy, as set (control plane only).
    pub(crate) dlq_policy: Option<super::SubscriptionDlqPolicy>,
    /// Control-plane settings (`control_meta.rs`).
    pub(crate) meta: super::ResourceMeta,
    pub(crate) create_time: Millis,
    pub(crate) last_modify_time: Millis,
}

/// `GetSubscriptionAttributes` (and `ListSubscriptionByTopic` with meta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionAttributes {
    /// Subscription name.
    pub name: String,
    /// Topic name.
    pub topic_name: String,
    /// Account id owning the topic.
    pub topic_owner: String,
    /// Account id of the subscriber.
    pub subscriber: String,
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Retry strategy.
    pub notify_strategy: NotifyStrategy,
    /// Content format.
    pub notify_content_format: NotifyContentFormat,
    /// Filter tag, when set.
    pub filter_tag: Option<String>,
    /// Creation time, epoch **seconds**.
    pub create_time: u64,
    /// Last change, epoch **seconds**.
    pub last_modify_time: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_print() {
        for s in [
            "http://example.com",
            "https://example.com:8443/hook?x=1",
            "acs:mns:cn-hangzhou:123:queues/q1",
            "mail:directmail:a@example.com",
            "sms:directsms:anonymous",
            "sms:directsms:13800000000",
            "push:12345",
        ] {
            assert_eq!(Endpoint::parse(s).unwrap().as_str(), s);
        }
        for bad in [
            "",
            "ftp://x",
            "http://",
            "acs:mns:cn-hangzhou:123:topics/t",
            "acs:mns::123:queues/q",
            "mail:directmail:",
            "http://h/mns-reserved-x",
            "queue",
        ] {
            assert_eq!(
                Endpoint::parse(bad).unwrap_err().code(),
                &ErrorCode::EndpointInvalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn schedules() {
        let b = NotifyStrategy::BackoffRetry;
        assert_eq!(b.max_retries(), 3);
        assert_eq!(b.retry_delay_range(2), Some((10_000, 20_000)));
        assert_eq!(b.retry_delay_range(3), None);
        let e = NotifyStrategy::ExponentialDecayRetry;
        let total: u64 = (0..e.max_retries())
            .map(|r| e.retry_delay_range(r).unwrap().0)
            .sum();
        assert_eq!(total, 86_015_000);
        assert_eq!(e.retry_delay_range(9), Some((512_000, 512_000)));
        assert_eq!(e.retry_delay_range(176), None);
    }
}
