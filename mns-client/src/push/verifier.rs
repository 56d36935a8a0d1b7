//! The push verifier: Content-MD5, Date window, certificate allow-list, cached certificate
//! fetch, RSA-SHA1 signature.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use md5::{Digest as _, Md5};
use url::Url;

use super::cert::{CertificateCache, CertificateFetcher, HttpCertificateFetcher};
use super::cert_policy::CertUrlPolicy;
use super::error::{NotificationError, VerifyError};
use super::notification::PushNotification;
use super::request::PushRequest;
use super::string_to_sign::string_to_sign;
use crate::error::{Error, Result};
use crate::time::{SharedTimeSource, TimeSource};
use crate::topic::NotifyContentFormat;

/// The default `Date` window: MNS's own 15-minute skew rule, as the docs recommend (§6.5).
pub const DEFAULT_MAX_DATE_SKEW: Duration = Duration::from_secs(15 * 60);

/// Verifies HTTP-push requests from MNS (reference §6.4, §6.5).
///
/// In order, and without fetching anything until the last steps:
/// 1. the headers it needs are present, once each (`Authorization`, `Content-MD5`, `Date`,
///    `x-mns-signing-cert-url`);
/// 2. the body hashes to the signed `Content-MD5` (the body itself is not signed);
/// 3. `Date` is within the allowed window of the verifier's clock (default ±15 min);
/// 4. the Base64-decoded certificate URL passes the [`CertUrlPolicy`];
/// 5. the certificate is taken from the cache or fetched once through the
///    [`CertificateFetcher`];
/// 6. `Authorization` verifies as SHA1withRSA over [`string_to_sign`].
///
/// Cloning is cheap and clones share the certificate cache.
///
/// ```no_run
/// use mns_client::push::{PushRequest, PushVerifier};
/// # async fn f(req: PushRequest) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = PushVerifier::new()?;
/// match verifier.verify(req).await {
///     Ok(push) => { /* answer 2xx, then process push.notification_auto()? */ }
///     Err(e) => { /* answer e.status_code() */ }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PushVerifier {
    policy: Arc<CertUrlPolicy>,
    cache: Arc<CertificateCache>,
    max_date_skew: Option<Duration>,
    clock: SharedTimeSource,
}

impl fmt::Debug for PushVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushVerifier")
            .field("policy", &self.policy)
            .field("max_date_skew", &self.max_date_skew)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PushVerifier`].
pub struct PushVerifierBuilder {
    policy: CertUrlPolicy,
    fetcher: Option<Arc<dyn CertificateFetcher>>,
    max_date_skew: Option<Duration>,
    clock: SharedTimeSource,
    cache_capacity: usize,
}

impl fmt::Debug for PushVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushVerifierBuilder")
            .field("policy", &self.policy)
            .field("fetcher", &self.fetcher)
            .field("max_date_skew", &self.max_date_skew)
            .field("cache_capacity", &self.cache_capacity)
            .finish_non_exhaustive()
    }
}

impl Default for PushVerifierBuilder {
    fn default() -> Self {
        PushVerifierBuilder {
            policy: CertUrlPolicy::mns_default(),
            fetcher: None,
            max_date_skew: Some(DEFAULT_MAX_DATE_SKEW),
            clock: SharedTimeSource::default(),
            cache_capacity: 16,
        }
    }
}

impl PushVerifierBuilder {
    /// Which certificate URLs may be fetched (default [`CertUrlPolicy::mns_default`]).
    #[must_use]
    pub fn cert_url_policy(mut self, policy: CertUrlPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How certificates are fetched (default [`HttpCertificateFetcher`]).
    #[must_use]
    pub fn fetcher(mut self, fetcher: impl CertificateFetcher + 'static) -> Self {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// How certificates are fetched, as a shared trait object.
    #[must_use]
    pub fn shared_fetcher(mut self, fetcher: Arc<dyn CertificateFetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// The largest allowed distance between `Date` and the clock; `None` disables the check
    /// (default 15 minutes).
    #[must_use]
    pub fn max_date_skew(mut self, window: Option<Duration>) -> Self {
        self.max_date_skew = window;
        self
    }

    /// Where [`PushVerifier::verify`] reads "now" (default the system clock); any
    /// [`TimeSource`], a [`SharedTimeSource`] included.
    #[must_use]
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.clock = SharedTimeSource::new(time);
        self
    }

    /// How many certificates to keep (default 16).
    #[must_use]
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Builds the verifier. Fails only if the default HTTP fetcher cannot be created.
    pub fn build(self) -> Result<PushVerifier> {
        let fetcher = match self.fetcher {
            Some(f) => f,
            None => Arc::new(
                HttpCertificateFetcher::new().map_err(|source| Error::Transport {
                    operation: "FetchSigningCertificate",
                    source,
                })?,
            ),
        };
        Ok(PushVerifier {
            policy: Arc::new(self.policy),
            cache: Arc::new(CertificateCache::new(fetcher, self.cache_capacity)),
            max_date_skew: self.max_date_skew,
            clock: self.clock,
        })
    }
}

/// Headers that must appear exactly once when present, because they are signed or checked.
const SINGLE_HEADERS: [&str; 4] = ["authorization", "content-md5", "content-type", "date"];

impl PushVerifier {
    /// A verifier with the defaults: documented MNS certificate hosts over HTTPS, HTTP fetcher,
    /// 15-minute `Date` window on the system clock.
    pub fn new() -> Result<Self> {
        PushVerifier::builder().build()
    }

    /// A builder to change the defaults.
    pub fn builder() -> PushVerifierBuilder {
        PushVerifierBuilder::default()
    }

    /// Verifies `request` against the verifier's clock; see [`PushVerifier::verify_at`].
    pub async fn verify(&self, request: PushRequest) -> Result<VerifiedPush, VerifyError> {
        let now = self.clock.now();
        self.verify_at(request, now).await
    }

    /// Verifies `request`, taking `now` as the current time for the `Date` window.
    pub async fn verify_at(
        &self,
        request: PushRequest,
        now: SystemTime,
    ) -> Result<VerifiedPush, VerifyError> {
        for name in SINGLE_HEADERS {
            if request.header_count(name) > 1 {
                return Err(VerifyError::DuplicateHeader(name.to_owned()));
            }
        }
        for (name, _) in request.headers() {
            if name.len() >= 6
                && name[..6].eq_ignore_ascii_case("x-mns-")
                && request.header_count(name) > 1
            {
                return Err(VerifyError::DuplicateHeader(name.to_ascii_lowercase()));
            }
        }
        let authorization = required(&request, "authorization", "Authorization")?;
        let content_md5 = required(&request, "content-md5", "Content-MD5")?;
        let date = required(&request, "date", "Date")?;
        let cert_url = required(&request, "x-mns-signing-cert-url", "x-mns-signing-cert-url")?;

        check_content_md5(content_md5, request.body())?;
        self.check_date(date, now)?;

        let url = decode_cert_url(cert_url)?;
        if !self.policy.allows(&url) {
            return Err(VerifyError::CertUrlNotAllowed {
                url: url.to_string(),
            });
        }
        let signature = STANDARD
            .decode(authorization.trim())
            .map_err(|_| VerifyError::BadSignature("Authorization is not Base64"))?;

        let certificate = self.cache.get(&url).await?;
        if !certificate.verify(string_to_sign(&request).as_bytes(), &signature) {
            return Err(VerifyError::BadSignature(
                "signature does not match the signed headers",
            ));
        }
        Ok(VerifiedPush { request })
    }

    fn check_date(&self, date: &str, now: SystemTime) -> Result<(), VerifyError> {
        let sent = httpdate::parse_http_date(date).map_err(|_| VerifyError::InvalidHeader {
            name: "date".into(),
            reason: format!("{date:?} is not an HTTP date"),
        })?;
        if let Some(allowed) = self.max_date_skew {
            let skew = now.duration_since(sent).unwrap_or_else(|e| e.duration());
            if skew > allowed {
                return Err(VerifyError::StaleDate {
                    date: date.to_owned(),
                    skew,
                    allowed,
                });
            }
        }
        Ok(())
    }
}

fn required<'a>(
    request: &'a PushRequest,
    lower: &str,
    display: &'static str,
) -> Result<&'a str, VerifyError> {
    request
        .header(lower)
        .ok_or(VerifyError::MissingHeader(display))
}

/// Accepts the forms seen in the wild (reference §6.2, §6.5.3): Base64 of the hex digest (the
/// documented form), the bare hex digest, and Base64 of the raw 16-byte digest (RFC 1864).
fn check_content_md5(header: &str, body: &[u8]) -> Result<(), VerifyError> {
    let digest = Md5::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let value = header.trim();
    let matches = if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        value.eq_ignore_ascii_case(&hex)
    } else {
        let decoded = STANDARD
            .decode(value)
            .map_err(|_| VerifyError::InvalidHeader {
                name: "content-md5".into(),
                reason: "neither hex nor Base64".into(),
            })?;
        match decoded.len() {
            32 => decoded.eq_ignore_ascii_case(hex.as_bytes()),
            16 => decoded[..] == digest[..],
            n => {
                return Err(VerifyError::InvalidHeader {
                    name: "content-md5".into(),
                    reason: format!("decodes to {n} bytes, not an MD5 digest"),
                });
            }
        }
    };
    if matches {
        Ok(())
    } else {
        Err(VerifyError::ContentMd5Mismatch {
            header: header.to_owned(),
            actual: hex,
        })
    }
}

fn decode_cert_url(value: &str) -> Result<Url, VerifyError> {
    let bytes = STANDARD
        .decode(value.trim())
        .map_err(|_| VerifyError::InvalidCertUrl("not Base64".into()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| VerifyError::InvalidCertUrl("not UTF-8".into()))?;
    Url::parse(&text).map_err(|e| VerifyError::InvalidCertUrl(format!("{text:?}: {e}")))
}

/// A push request whose signature verified. Read its metadata and parse its body as a
/// notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPush {
    request: PushRequest,
}

impl VerifiedPush {
    /// The verified request.
    pub fn request(&self) -> &PushRequest {
        &self.request
    }

    /// Unwraps the verified request.
    pub fn into_request(self) -> PushRequest {
        self.request
    }

    /// The body (covered by the verified `Content-MD5`).
    pub fn body(&self) -> &[u8] {
        self.request.body()
    }

    /// The body, without copying.
    pub fn body_bytes(&self) -> Bytes {
        self.request.body_bytes()
    }

    /// A header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.header(name)
    }

    /// The push's `x-mns-request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.request.header("x-mns-request-id")
    }

    /// The format announced by `Content-Type`: `…xml…` → XML, `…json…` → JSON, `text/plain…` →
    /// SIMPLIFIED. The service's JSON content type is (unconfirmed), so prefer
    /// [`VerifiedPush::notification`] with the format your subscription was created with.
    pub fn detect_format(&self) -> Option<NotifyContentFormat> {
        let ct = self.request.header("content-type")?.to_ascii_lowercase();
        if ct.contains("xml") {
            Some(NotifyContentFormat::Xml)
        } else if ct.contains("json") {
            Some(NotifyContentFormat::Json)
        } else if ct.starts_with("text/plain") {
            Some(NotifyContentFormat::Simplified)
        } else {
            None
        }
    }

    /// Parses the body as a notification of the given format.
    pub fn notification(
        &self,
        format: NotifyContentFormat,
    ) -> Result<PushNotification, NotificationError> {
        PushNotification::parse(format, &self.request)
    }

    /// Parses the body in the format [`VerifiedPush::detect_format`] announces; an unknown
    /// content type is read as SIMPLIFIED (the body as is).
    pub fn notification_auto(&self) -> Result<PushNotification, NotificationError> {
        self.notification(
            self.detect_format()
                .unwrap_or(NotifyContentFormat::Simplified),
        )
    }
}
