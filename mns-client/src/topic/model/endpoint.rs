//! Subscription endpoints: HTTP, queue, mail and SMS.

use super::*;

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
