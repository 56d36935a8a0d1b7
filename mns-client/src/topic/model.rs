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

string_newtype!(
    /// A topic name: 1–255 characters, letters, digits and `-`, starting with a letter or digit.
    ///
    /// ```
    /// use mns_client::topic::TopicName;
    /// let name: TopicName = "orders-2024".parse()?;
    /// assert_eq!(name.as_str(), "orders-2024");
    /// assert!(TopicName::new("-orders").is_err());
    /// assert!(TopicName::new("orders_2024").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    TopicName,
    |s| check_name("topic name", s, limits::MAX_NAME_LEN)
);

string_newtype!(
    /// A subscription name: same rules as [`TopicName`] (1–255 characters, letters, digits and
    /// `-`, starting with a letter or digit), unique per topic.
    ///
    /// ```
    /// use mns_client::topic::SubscriptionName;
    /// let name = SubscriptionName::new("orders-http")?;
    /// assert_eq!(name.to_string(), "orders-http");
    /// assert!(SubscriptionName::new("").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    SubscriptionName,
    |s| check_name("subscription name", s, limits::MAX_NAME_LEN)
);

/// Tags: 1–16 characters; control characters are refused (they cannot travel in XML 1.0 nor in
/// an HTTP header). The service documents no narrower character set (unconfirmed).
fn check_tag(kind: &str, s: &str) -> Result<()> {
    let len = s.chars().count();
    if len == 0 || len > limits::MAX_TAG_LEN {
        return Err(invalid(format!(
            "{kind} must be 1 to {} characters long, got {len}",
            limits::MAX_TAG_LEN
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{kind} {s:?} contains a control character"
        )));
    }
    Ok(())
}

string_newtype!(
    /// The tag a publisher attaches to a message (`MessageTag`), 1–16 characters.
    ///
    /// A subscription with a [`FilterTag`] receives only messages whose tag is equal to it.
    ///
    /// ```
    /// use mns_client::topic::MessageTag;
    /// let tag = MessageTag::new("important")?;
    /// assert_eq!(tag.as_str(), "important");
    /// assert!(MessageTag::new("seventeen-chars-x").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    MessageTag,
    |s| check_tag("message tag", s)
);

string_newtype!(
    /// The tag a subscription filters on (`FilterTag`), 1–16 characters.
    ///
    /// ```
    /// use mns_client::topic::{FilterTag, MessageTag};
    /// let filter = FilterTag::new("important")?;
    /// assert!(filter.matches(Some(&MessageTag::new("important")?)));
    /// assert!(!filter.matches(Some(&MessageTag::new("Important")?)));
    /// assert!(!filter.matches(None));
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    FilterTag,
    |s| check_tag("filter tag", s)
);

impl TopicName {
    /// Wraps a name reported by the service without re-checking it: the service is the
    /// authority on names that already exist.
    pub(crate) fn from_service(value: impl Into<String>) -> Self {
        TopicName(value.into())
    }
}

impl SubscriptionName {
    /// Wraps a name reported by the service without re-checking it.
    pub(crate) fn from_service(value: impl Into<String>) -> Self {
        SubscriptionName(value.into())
    }
}

impl FilterTag {
    /// Wraps a tag reported by the service without re-checking it.
    pub(crate) fn from_service(value: impl Into<String>) -> Self {
        FilterTag(value.into())
    }
}

impl FilterTag {
    /// Whether a message with this tag is delivered to a subscription filtering on `self`:
    /// exact, case-sensitive equality; untagged messages never match (reference §3.5).
    pub fn matches(&self, tag: Option<&MessageTag>) -> bool {
        tag.is_some_and(|t| t.as_str() == self.as_str())
    }
}

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

/// Where a subscription delivers messages (reference §3.3).
///
/// Parses from and prints to the service's exact endpoint strings:
///
/// ```
/// use mns_client::topic::Endpoint;
/// for s in [
///     "http://example.com/mns/notify",
///     "https://example.com",
///     "acs:mns:cn-hangzhou:1234567890123456:queues/orders-q",
///     "mail:directmail:ops@example.com",
///     "sms:directsms:anonymous",
///     "sms:directsms:13800000000",
///     "push:23456789",
/// ] {
///     let e: Endpoint = s.parse()?;
///     assert_eq!(e.to_string(), s);
/// }
/// let q = Endpoint::queue("cn-hangzhou", "1234567890123456", "orders-q")?;
/// assert_eq!(q.to_string(), "acs:mns:cn-hangzhou:1234567890123456:queues/orders-q");
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// An HTTP or HTTPS URL that receives signed `POST` requests (verified by the `push` module,
    /// feature `push`).
    Http(HttpEndpoint),
    /// An MNS queue, in this or another region or account.
    Queue(QueueEndpoint),
    /// A DirectMail recipient address: `mail:directmail:{address}`.
    Mail(MailEndpoint),
    /// A DirectSMS recipient: `sms:directsms:anonymous` or `sms:directsms:{phone}`.
    Sms(SmsEndpoint),
    /// A mobile-push application: `push:{AppKey}`.
    MobilePush(String),
    /// An endpoint form this crate does not model (a legacy `sms:dayu:…` endpoint, or a target
    /// added to the service later), kept verbatim. [`str::parse`] never produces it; it appears
    /// when the service reports such a subscription, and can be sent as-is to `Subscribe`, where
    /// the service validates it.
    Other(String),
}

impl Endpoint {
    /// An HTTP(S) endpoint; see [`HttpEndpoint::new`].
    pub fn http(url: impl Into<String>) -> Result<Self> {
        HttpEndpoint::new(url).map(Endpoint::Http)
    }

    /// A queue endpoint; see [`QueueEndpoint::new`].
    pub fn queue(
        region: impl Into<String>,
        account_id: impl Into<String>,
        queue_name: impl Into<String>,
    ) -> Result<Self> {
        QueueEndpoint::new(region, account_id, queue_name).map(Endpoint::Queue)
    }

    /// A DirectMail endpoint; see [`MailEndpoint::new`].
    pub fn mail(address: impl Into<String>) -> Result<Self> {
        MailEndpoint::new(address).map(Endpoint::Mail)
    }

    /// An endpoint as reported by the service: the typed form when this crate knows it,
    /// [`Endpoint::Other`] otherwise (the service is the authority on what it stores).
    pub(crate) fn from_service(s: &str) -> Self {
        s.parse().unwrap_or_else(|_| Endpoint::Other(s.to_owned()))
    }

    /// The kind of target, for logs and dispatch.
    pub fn kind(&self) -> &'static str {
        match self {
            Endpoint::Http(_) => "http",
            Endpoint::Queue(_) => "queue",
            Endpoint::Mail(_) => "mail",
            Endpoint::Sms(_) => "sms",
            Endpoint::MobilePush(_) => "push",
            Endpoint::Other(_) => "other",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Http(h) => f.write_str(h.as_str()),
            Endpoint::Queue(q) => fmt::Display::fmt(q, f),
            Endpoint::Mail(m) => write!(f, "{MAIL_PREFIX}{}", m.address),
            Endpoint::Sms(SmsEndpoint::Anonymous) => write!(f, "{SMS_PREFIX}anonymous"),
            Endpoint::Sms(SmsEndpoint::Phone(p)) => write!(f, "{SMS_PREFIX}{p}"),
            Endpoint::MobilePush(app_key) => write!(f, "{PUSH_PREFIX}{app_key}"),
            Endpoint::Other(raw) => f.write_str(raw),
        }
    }
}

const QUEUE_PREFIX: &str = "acs:mns:";
const MAIL_PREFIX: &str = "mail:directmail:";
const SMS_PREFIX: &str = "sms:directsms:";
const PUSH_PREFIX: &str = "push:";

impl FromStr for Endpoint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Endpoint::http(s);
        }
        if let Some(rest) = s.strip_prefix(QUEUE_PREFIX) {
            return QueueEndpoint::parse_rest(rest).map(Endpoint::Queue);
        }
        if let Some(rest) = s.strip_prefix(MAIL_PREFIX) {
            return Endpoint::mail(rest);
        }
        if let Some(rest) = s.strip_prefix(SMS_PREFIX) {
            return SmsEndpoint::parse(rest).map(Endpoint::Sms);
        }
        if let Some(rest) = s.strip_prefix(PUSH_PREFIX) {
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(invalid(format!(
                    "push endpoint {s:?}: the AppKey must be non-empty letters and digits"
                )));
            }
            return Ok(Endpoint::MobilePush(rest.to_owned()));
        }
        Err(invalid(format!(
            "unrecognised subscription endpoint {s:?} (expected http(s)://…, acs:mns:…:queues/…, \
             mail:directmail:…, sms:directsms:… or push:…)"
        )))
    }
}

impl TryFrom<&str> for Endpoint {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        s.parse()
    }
}

/// An HTTP or HTTPS endpoint URL. The string is kept exactly as given, so it round-trips.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpEndpoint {
    raw: String,
    url: url::Url,
}

impl HttpEndpoint {
    /// Validates an `http://` or `https://` URL with a host, no credentials and no fragment,
    /// whose path does not start with the reserved `/mns-reserved-`.
    ///
    /// ```
    /// use mns_client::topic::HttpEndpoint;
    /// let e = HttpEndpoint::new("http://example.com")?;
    /// assert_eq!(e.request_target(), "/notifications");
    /// let e = HttpEndpoint::new("https://example.com/hooks/mns?env=test")?;
    /// assert_eq!(e.request_target(), "/hooks/mns?env=test");
    /// assert!(HttpEndpoint::new("ftp://example.com").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn new(url: impl Into<String>) -> Result<Self> {
        let raw = url.into();
        let parsed = url::Url::parse(&raw)
            .map_err(|e| invalid(format!("HTTP endpoint {raw:?} is not a valid URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "HTTP endpoint {raw:?} must use http:// or https://"
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid(format!("HTTP endpoint {raw:?} has no host")));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(format!(
                "HTTP endpoint {raw:?} must not carry credentials"
            )));
        }
        if parsed.fragment().is_some() {
            return Err(invalid(format!(
                "HTTP endpoint {raw:?} must not have a fragment"
            )));
        }
        if parsed.path().starts_with(limits::RESERVED_PATH_PREFIX) {
            return Err(invalid(format!(
                "HTTP endpoint {raw:?}: paths starting with {} are reserved",
                limits::RESERVED_PATH_PREFIX
            )));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(format!(
                "HTTP endpoint {raw:?} contains whitespace"
            )));
        }
        Ok(HttpEndpoint { raw, url: parsed })
    }

    /// The URL exactly as the service stores it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Whether the URL uses HTTPS.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The request target the service `POST`s to: the URL's path and query, or `/notifications`
    /// when the URL has no path at all (reference §6.1).
    pub fn request_target(&self) -> String {
        let after_scheme = self.raw.find("://").map_or("", |i| &self.raw[i + 3..]);
        let has_path = after_scheme
            .find(['/', '?'])
            .is_some_and(|j| after_scheme[j..].starts_with('/'));
        let path = if has_path {
            self.url.path()
        } else {
            "/notifications"
        };
        match self.url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        }
    }
}

impl fmt::Display for HttpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A queue endpoint: `acs:mns:{Region}:{AccountId}:queues/{QueueName}`.
///
/// The service documents delivery to a queue of the topic's own region and account; other
/// regions and accounts are representable so the strings round-trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueEndpoint {
    region: String,
    account_id: String,
    queue_name: String,
}

impl QueueEndpoint {
    /// Validates the region (lower-case letters, digits and `-`), the account id (digits) and
    /// the queue name (letters, digits and `-`, starting with a letter or digit, 1–256).
    pub fn new(
        region: impl Into<String>,
        account_id: impl Into<String>,
        queue_name: impl Into<String>,
    ) -> Result<Self> {
        let (region, account_id, queue_name) =
            (region.into(), account_id.into(), queue_name.into());
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(format!(
                "queue endpoint region {region:?} must be lower-case letters, digits and '-'"
            )));
        }
        if account_id.is_empty() || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "queue endpoint account id {account_id:?} must be digits"
            )));
        }
        check_name("queue name", &queue_name, limits::MAX_QUEUE_NAME_LEN)?;
        Ok(QueueEndpoint {
            region,
            account_id,
            queue_name,
        })
    }

    fn parse_rest(rest: &str) -> Result<Self> {
        let bad = || {
            invalid(format!(
                "queue endpoint {:?} must look like acs:mns:{{region}}:{{account}}:queues/{{name}}",
                format!("{QUEUE_PREFIX}{rest}")
            ))
        };
        let (region, rest) = rest.split_once(':').ok_or_else(bad)?;
        let (account, rest) = rest.split_once(':').ok_or_else(bad)?;
        let name = rest.strip_prefix("queues/").ok_or_else(bad)?;
        QueueEndpoint::new(region, account, name)
    }

    /// The queue's region id, e.g. `cn-hangzhou`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The queue owner's account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The queue name.
    pub fn queue_name(&self) -> &str {
        &self.queue_name
    }
}

impl fmt::Display for QueueEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{QUEUE_PREFIX}{}:{}:queues/{}",
            self.region, self.account_id, self.queue_name
        )
    }
}

/// A DirectMail endpoint: `mail:directmail:{address}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailEndpoint {
    address: String,
}

impl MailEndpoint {
    /// Validates a mail address: one `@` with non-empty local part and domain, no whitespace.
    pub fn new(address: impl Into<String>) -> Result<Self> {
        let address = address.into();
        let ok = match address.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !address.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !ok {
            return Err(invalid(format!(
                "mail endpoint address {address:?} is not a mail address"
            )));
        }
        Ok(MailEndpoint { address })
    }

    /// The recipient address.
    pub fn address(&self) -> &str {
        &self.address
    }
}

/// A DirectSMS endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmsEndpoint {
    /// `sms:directsms:anonymous`: recipients come from each message's `DirectSMS` attributes
    /// (the only form that handles `multiContent` messages).
    Anonymous,
    /// `sms:directsms:{phone}`: a fixed recipient.
    Phone(String),
}

impl SmsEndpoint {
    /// A fixed-recipient SMS endpoint: digits, optionally preceded by `+`.
    pub fn phone(phone: impl Into<String>) -> Result<Self> {
        let phone = phone.into();
        let digits = phone.strip_prefix('+').unwrap_or(&phone);
        if digits.is_empty() || digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "SMS endpoint phone number {phone:?} must be digits, optionally preceded by '+'"
            )));
        }
        Ok(SmsEndpoint::Phone(phone))
    }

    fn parse(rest: &str) -> Result<Self> {
        if rest == "anonymous" {
            Ok(SmsEndpoint::Anonymous)
        } else {
            SmsEndpoint::phone(rest)
        }
    }
}

/// Attributes of a topic, as returned by `GetTopicAttributes` (reference §2.3, §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicAttributes {
    /// The topic's name.
    pub topic_name: TopicName,
    /// When the topic was created (the service reports Unix seconds).
    pub create_time: SystemTime,
    /// When the topic's attributes were last changed (Unix seconds on the wire).
    pub last_modify_time: SystemTime,
    /// Largest accepted message body, in bytes (1024–65536).
    pub maximum_message_size: u32,
    /// How long the topic keeps a message (fixed at one day by the service).
    pub message_retention_period: Duration,
    /// Messages currently held in the topic.
    pub message_count: u64,
    /// Whether logging to the account's log project is on.
    pub logging_enabled: bool,
}

/// The settable attributes of a topic, for `CreateTopic` and `SetTopicAttributes`.
/// `None` leaves the service's default (on create) or the current value (on set).
///
/// ```
/// use mns_client::topic::TopicOptions;
/// let opts = TopicOptions { maximum_message_size: Some(10240), logging_enabled: Some(true) };
/// opts.validate()?;
/// assert!(TopicOptions { maximum_message_size: Some(100), ..Default::default() }.validate().is_err());
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicOptions {
    /// Largest accepted message body, in bytes: 1024–65536 (default 65536).
    pub maximum_message_size: Option<u32>,
    /// Whether to log to the account's log project (default false).
    pub logging_enabled: Option<bool>,
}

impl TopicOptions {
    /// Checks the values against the service's ranges.
    pub fn validate(&self) -> Result<()> {
        if let Some(size) = self.maximum_message_size {
            let range = limits::MIN_MAXIMUM_MESSAGE_SIZE..=limits::MAX_MAXIMUM_MESSAGE_SIZE;
            if !range.contains(&size) {
                return Err(invalid(format!(
                    "MaximumMessageSize must be between {} and {}, got {size}",
                    range.start(),
                    range.end()
                )));
            }
        }
        Ok(())
    }
}

/// Attributes of a subscription, as returned by `GetSubscriptionAttributes` (reference §2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionAttributes {
    /// The subscription's name.
    pub subscription_name: SubscriptionName,
    /// The topic's name.
    pub topic_name: TopicName,
    /// The topic owner's account id.
    pub topic_owner: String,
    /// The subscriber's account id (absent in some service answers).
    pub subscriber: Option<String>,
    /// Where messages are delivered.
    pub endpoint: Endpoint,
    /// How failed pushes are retried.
    pub notify_strategy: NotifyStrategy,
    /// The shape of what is delivered.
    pub notify_content_format: NotifyContentFormat,
    /// The tag messages must carry to be delivered; `None` delivers every message.
    pub filter_tag: Option<FilterTag>,
    /// When the subscription was created (Unix seconds on the wire).
    pub create_time: SystemTime,
    /// When the subscription was last changed (Unix seconds on the wire).
    pub last_modify_time: SystemTime,
}

/// The optional attributes of a new subscription (`Subscribe`); the endpoint is given separately.
/// `None` leaves the service's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// Deliver only messages tagged with this tag (default: every message).
    pub filter_tag: Option<FilterTag>,
    /// Retry strategy (default `BACKOFF_RETRY`).
    pub notify_strategy: Option<NotifyStrategy>,
    /// Delivered shape (default `XML`).
    pub notify_content_format: Option<NotifyContentFormat>,
}

/// The attributes `SetSubscriptionAttributes` can change. The documented API changes only the
/// strategy; one official SDK also sends the filter tag, whose effect is (unconfirmed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// New retry strategy.
    pub notify_strategy: Option<NotifyStrategy>,
    /// New filter tag.
    pub filter_tag: Option<FilterTag>,
}

/// Options of `PublishMessage` beyond the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// The message's tag, matched against subscriptions' [`FilterTag`]s.
    pub message_tag: Option<MessageTag>,
    /// Per-endpoint extras for mail and SMS subscriptions.
    pub message_attributes: MessageAttributes,
}

/// Per-endpoint extras of `PublishMessage` (`<MessageAttributes>`, reference §4). Each present
/// field becomes one child element whose text is a JSON object. HTTP and queue endpoints ignore
/// them.
///
/// ```
/// use mns_client::topic::{DirectMailAttributes, MessageAttributes};
/// let attrs = MessageAttributes {
///     direct_mail: Some(DirectMailAttributes::new("no-reply@mail.example.com", "Hi")),
///     ..Default::default()
/// };
/// let elements = attrs.to_elements()?;
/// assert_eq!(elements[0].0, "DirectMail");
/// assert_eq!(
///     elements[0].1,
///     r#"{"AccountName":"no-reply@mail.example.com","Subject":"Hi","AddressType":0,"IsHtml":0,"ReplyToAddress":0}"#
/// );
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageAttributes {
    /// `DirectMail`: mail sent by a `mail:directmail:` subscription.
    pub direct_mail: Option<DirectMailAttributes>,
    /// `DirectSMS`: SMS sent by a `sms:directsms:` subscription.
    pub direct_sms: Option<DirectSmsAttributes>,
    /// `DM` (newer SDKs): overrides a mail subscription's recipient for this message.
    pub dm: Option<DmAttributes>,
    /// `DYSMS` (newer SDKs): overrides an SMS subscription's recipient for this message.
    pub dysms: Option<DysmsAttributes>,
}

impl MessageAttributes {
    /// Whether no attribute is set (the `<MessageAttributes>` element is then omitted).
    pub fn is_empty(&self) -> bool {
        self.direct_mail.is_none()
            && self.direct_sms.is_none()
            && self.dm.is_none()
            && self.dysms.is_none()
    }

    /// The child elements of `<MessageAttributes>` as `(element name, JSON text)` pairs, in a
    /// fixed order. The caller XML-escapes the text.
    pub fn to_elements(&self) -> Result<Vec<(&'static str, String)>> {
        let mut out = Vec::new();
        if let Some(a) = &self.direct_mail {
            out.push(("DirectMail", a.to_json()?));
        }
        if let Some(a) = &self.direct_sms {
            out.push(("DirectSMS", a.to_json()?));
        }
        if let Some(a) = &self.dm {
            out.push(("DM", a.to_json()?));
        }
        if let Some(a) = &self.dysms {
            out.push(("DYSMS", a.to_json()?));
        }
        Ok(out)
    }
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| invalid(format!("{what}: {e}")))
}

fn flag(b: bool) -> u8 {
    u8::from(b)
}

/// Which sender address DirectMail uses (`AddressType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MailAddressType {
    /// `0`: a random account address.
    #[default]
    Random,
    /// `1`: the sender address given in `AccountName`.
    SenderAddress,
}

/// `DirectMail` attributes: sender, subject and flags of the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectMailAttributes {
    /// Sender address (`AccountName`), configured in DirectMail.
    pub account_name: String,
    /// Mail subject.
    pub subject: String,
    /// Sender address kind (`AddressType`).
    pub address_type: MailAddressType,
    /// Whether the body is HTML (`IsHtml`).
    pub is_html: bool,
    /// Whether replies go to the sender address (`ReplyToAddress`).
    pub reply_to_address: bool,
}

impl DirectMailAttributes {
    /// Plain-text mail from `account_name` with `subject`, random address type, no reply-to.
    pub fn new(account_name: impl Into<String>, subject: impl Into<String>) -> Self {
        DirectMailAttributes {
            account_name: account_name.into(),
            subject: subject.into(),
            address_type: MailAddressType::Random,
            is_html: false,
            reply_to_address: false,
        }
    }

    /// The JSON text of the `DirectMail` element.
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            account_name: &'a str,
            subject: &'a str,
            address_type: u8,
            is_html: u8,
            reply_to_address: u8,
        }
        if self.account_name.is_empty() {
            return Err(invalid("DirectMail AccountName must not be empty"));
        }
        to_json(
            "DirectMail",
            &Wire {
                account_name: &self.account_name,
                subject: &self.subject,
                address_type: match self.address_type {
                    MailAddressType::Random => 0,
                    MailAddressType::SenderAddress => 1,
                },
                is_html: flag(self.is_html),
                reply_to_address: flag(self.reply_to_address),
            },
        )
    }
}

/// What a `DirectSMS` message sends and to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmsContent {
    /// `singleContent`: the same template parameters for every receiver.
    Single {
        /// Receivers' phone numbers (`Receiver`, comma-separated on the wire); may be empty when
        /// the subscription names a fixed phone.
        receivers: Vec<String>,
        /// Template variables.
        params: BTreeMap<String, String>,
    },
    /// `multiContent`: per-phone template parameters (only for `sms:directsms:anonymous`).
    Multi {
        /// Template variables per phone number.
        params: BTreeMap<String, BTreeMap<String, String>>,
    },
}

/// `DirectSMS` attributes: signature, template and content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectSmsAttributes {
    /// SMS signature name (`FreeSignName`).
    pub free_sign_name: String,
    /// SMS template code (`TemplateCode`).
    pub template_code: String,
    /// Receivers and parameters.
    pub content: SmsContent,
}

impl DirectSmsAttributes {
    /// `DirectSMS` attributes with the given signature, template and content.
    pub fn new(
        free_sign_name: impl Into<String>,
        template_code: impl Into<String>,
        content: SmsContent,
    ) -> Self {
        DirectSmsAttributes {
            free_sign_name: free_sign_name.into(),
            template_code: template_code.into(),
            content,
        }
    }

    /// The JSON text of the `DirectSMS` element. `SmsParams` is itself a JSON *string*.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use mns_client::topic::{DirectSmsAttributes, SmsContent};
    /// let sms = DirectSmsAttributes::new("Shop", "SMS_1", SmsContent::Single {
    ///     receivers: vec!["13800000000".into(), "13900000000".into()],
    ///     params: BTreeMap::from([("code".to_string(), "42".to_string())]),
    /// });
    /// assert_eq!(
    ///     sms.to_json()?,
    ///     r#"{"FreeSignName":"Shop","TemplateCode":"SMS_1","Type":"singleContent","Receiver":"13800000000,13900000000","SmsParams":"{\"code\":\"42\"}"}"#
    /// );
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            free_sign_name: &'a str,
            template_code: &'a str,
            #[serde(rename = "Type")]
            kind: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            receiver: Option<String>,
            sms_params: String,
        }
        if self.free_sign_name.is_empty() || self.template_code.is_empty() {
            return Err(invalid(
                "DirectSMS FreeSignName and TemplateCode must not be empty",
            ));
        }
        let (kind, receiver, sms_params) = match &self.content {
            SmsContent::Single { receivers, params } => (
                "singleContent",
                (!receivers.is_empty()).then(|| receivers.join(",")),
                to_json("DirectSMS SmsParams", params)?,
            ),
            SmsContent::Multi { params } => (
                "multiContent",
                None,
                to_json("DirectSMS SmsParams", params)?,
            ),
        };
        to_json(
            "DirectSMS",
            &Wire {
                free_sign_name: &self.free_sign_name,
                template_code: &self.template_code,
                kind,
                receiver,
                sms_params,
            },
        )
    }
}

/// `DM` attributes (newer SDKs): per-message mail recipient and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DmAttributes {
    /// Recipient address (`MailAddress`).
    pub mail_address: String,
    /// Mail subject.
    pub subject: String,
    /// Whether the body is HTML (`IsHtml`).
    pub is_html: bool,
}

impl DmAttributes {
    /// Plain-text mail to `mail_address` with `subject`.
    pub fn new(mail_address: impl Into<String>, subject: impl Into<String>) -> Self {
        DmAttributes {
            mail_address: mail_address.into(),
            subject: subject.into(),
            is_html: false,
        }
    }

    /// The JSON text of the `DM` element.
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            mail_address: &'a str,
            subject: &'a str,
            is_html: u8,
        }
        MailEndpoint::new(self.mail_address.clone())?;
        to_json(
            "DM",
            &Wire {
                mail_address: &self.mail_address,
                subject: &self.subject,
                is_html: flag(self.is_html),
            },
        )
    }
}

/// `DYSMS` attributes (newer SDKs): per-message SMS recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DysmsAttributes {
    /// Recipient phone number (`PhoneNumber`), digits.
    pub phone_number: String,
}

impl DysmsAttributes {
    /// SMS to `phone_number`.
    pub fn new(phone_number: impl Into<String>) -> Self {
        DysmsAttributes {
            phone_number: phone_number.into(),
        }
    }

    /// The JSON text of the `DYSMS` element.
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            phone_number: &'a str,
        }
        if self.phone_number.is_empty() || !self.phone_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "DYSMS PhoneNumber {:?} must be digits",
                self.phone_number
            )));
        }
        to_json(
            "DYSMS",
            &Wire {
                phone_number: &self.phone_number,
            },
        )
    }
}

/// One page of `ListTopic` (reference §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicPage {
    /// The topics on this page, in the service's order (by name).
    pub topics: Vec<TopicSummary>,
    /// Marker for the next page ([`ListOptions::marker`](crate::ListOptions::marker)); `None`
    /// on the last page.
    pub next_marker: Option<String>,
}

/// One topic in a `ListTopic` page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicSummary {
    /// The topic's name (the last segment of its URL when listed without attributes).
    pub name: TopicName,
    /// The topic's URL as the service reports it (`TopicURL`).
    pub url: String,
    /// The attributes, when listed with [`ListOptions::with_meta`](crate::ListOptions::with_meta).
    pub attributes: Option<TopicAttributes>,
}

/// One page of `ListSubscriptionByTopic` (reference §2.10).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionPage {
    /// The subscriptions on this page, in the service's order (by name).
    pub subscriptions: Vec<SubscriptionSummary>,
    /// Marker for the next page ([`ListOptions::marker`](crate::ListOptions::marker)); `None`
    /// on the last page.
    pub next_marker: Option<String>,
}

/// One subscription in a `ListSubscriptionByTopic` page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionSummary {
    /// The subscription's name (the last segment of its URL when listed without attributes).
    pub name: SubscriptionName,
    /// The subscription's URL as the service reports it (`SubscriptionURL`).
    pub url: String,
    /// The attributes, when listed with [`ListOptions::with_meta`](crate::ListOptions::with_meta).
    pub attributes: Option<SubscriptionAttributes>,
}

/// What the service returned for a published message (`PublishMessage`, reference §2.11).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishReceipt {
    /// The new message's id.
    pub message_id: String,
    /// Upper-case hex MD5 of the transmitted body (already checked by the client).
    pub body_md5: String,
}
