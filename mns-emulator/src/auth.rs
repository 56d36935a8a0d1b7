//! Request authentication: the MNS "V2" HMAC-SHA1 signature, checked the way the service does.
//!
//! Written independently of `mns-client` (see the crate docs): both sides are pinned to the same
//! published vectors (`testdata/vectors/signing.json`), so a misreading of the scheme on one side
//! shows up as a failing test instead of cancelling out.
//!
//! The pure part ([`canonical_mns_headers`], [`string_to_sign`], [`sign`],
//! [`parse_authorization`]) has no I/O and no clock. [`Authenticator::verify`] applies them to a
//! received request, in the order of reference §3.4, with `now` passed in from the emulator's
//! clock.
//!
//! ```
//! use mns_emulator::auth::{string_to_sign, canonical_mns_headers, sign};
//!
//! let headers = canonical_mns_headers([("x-mns-version", "2015-06-06")]);
//! let sts = string_to_sign("GET", "", "", "Tue, 02 Jan 2024 03:04:05 GMT", &headers,
//!     "/queues/testqueue/messages?waitseconds=10");
//! assert_eq!(sign("testsecret", &sts), "GbBS4+bVkzyS0NyzP/Mvl1gQ7OE=");
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::error::{ErrorCode, MnsError};

/// The only API version the emulator speaks (`x-mns-version`).
pub const MNS_VERSION: &str = "2015-06-06";

/// Default tolerated difference between the request `Date` and the emulator's clock (15 min).
pub const DEFAULT_MAX_DATE_SKEW: Duration = Duration::from_secs(15 * 60);

type HmacSha1 = Hmac<Sha1>;

// ---------------------------------------------------------------------------------------------
// Pure functions
// ---------------------------------------------------------------------------------------------

/// Builds `CanonicalizedMNSHeaders` from request headers: every header whose name starts with
/// `x-mns-` (any case), name lower-cased, as `name:value\n`, sorted by name. Other headers are
/// ignored, so the full header list can be passed in.
pub fn canonical_mns_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut picked: Vec<(String, &str)> = headers
        .into_iter()
        .filter_map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            lower.starts_with("x-mns-").then_some((lower, value))
        })
        .collect();
    // Stable sort by name only (the PY/JAVA/NODE/PHP order; see reference §3.1 on GO's variant).
    picked.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (name, value) in picked {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// Builds the string to sign: `VERB\nCONTENT-MD5\nCONTENT-TYPE\nDATE\n` + canonical headers +
/// resource. Every value is used exactly as received (absent headers are empty strings).
pub fn string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    date: &str,
    canonical_headers: &str,
    resource: &str,
) -> String {
    let mut s = String::with_capacity(
        method.len() + content_md5.len() + content_type.len() + date.len() + 4,
    );
    s.push_str(method);
    s.push('\n');
    s.push_str(content_md5);
    s.push('\n');
    s.push_str(content_type);
    s.push('\n');
    s.push_str(date);
    s.push('\n');
    s.push_str(canonical_headers);
    s.push_str(resource);
    s
}

fn mac(secret: &str, string_to_sign: &str) -> HmacSha1 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

/// `Base64(HMAC-SHA1(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Whether `signature` (base64, as sent) is the right one, compared in constant time.
pub fn signature_matches(secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(provided) = BASE64.decode(signature.as_bytes()) else {
        return false;
    };
    // `verify_slice` compares in constant time.
    mac(secret, string_to_sign).verify_slice(&provided).is_ok()
}

/// Splits an `Authorization` value of the form `MNS <AccessKeyId>:<Signature>` into its two parts.
pub fn parse_authorization(value: &str) -> Result<(&str, &str), AuthError> {
    let rest = value
        .strip_prefix("MNS ")
        .ok_or(AuthError::InvalidAuthorizationHeader)?;
    let (id, signature) = rest
        .split_once(':')
        .ok_or(AuthError::InvalidAuthorizationHeader)?;
    if id.is_empty() || signature.is_empty() || id.contains(char::is_whitespace) {
        return Err(AuthError::InvalidAuthorizationHeader);
    }
    Ok((id, signature))
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a request was not authenticated. Each variant is one MNS error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header (400).
    #[error("Authorization header is required.")]
    MissingAuthorizationHeader,
    /// `Authorization` is not `MNS id:signature` (400).
    #[error("The Authorization header format is invalid.")]
    InvalidAuthorizationHeader,
    /// Neither `Date` nor `x-mns-date` (400).
    #[error("Date header is required.")]
    MissingDateHeader,
    /// The date is not an HTTP date (400).
    #[error("The Date header format is invalid.")]
    InvalidDateHeader,
    /// No `x-mns-version` header (400, \[unconfirmed\] status).
    #[error("x-mns-version header is required.")]
    MissingVersionHeader,
    /// `x-mns-version` is not `2015-06-06` (400, \[unconfirmed\] status).
    #[error("The x-mns-version header is invalid.")]
    InvalidVersionHeader,
    /// Unknown access key id (403).
    #[error("The AccessKey Id you provided is not exist.")]
    InvalidAccessKeyId,
    /// The date is too far from the emulator's clock (408).
    #[error("The http request you sent is expired.")]
    TimeExpired,
    /// The signature does not match (403).
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )]
    SignatureDoesNotMatch,
    /// A temporary (STS) key was used without its token or with another one (code
    /// \[unconfirmed\]: MNS publishes none).
    #[error("The security token you provided is invalid.")]
    InvalidSecurityToken,
    /// A temporary (STS) key has expired (code \[unconfirmed\]: MNS publishes none).
    #[error("The security token you provided has expired.")]
    SecurityTokenExpired,
}

impl AuthError {
    /// The MNS error code (`Code` element).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthorizationHeader => "MissingAuthorizationHeader",
            Self::InvalidAuthorizationHeader => "InvalidAuthorizationHeader",
            Self::MissingDateHeader => "MissingDateHeader",
            Self::InvalidDateHeader => "InvalidDateHeader",
            Self::MissingVersionHeader => "MissingVersionHeader",
            Self::InvalidVersionHeader => "InvalidVersionHeader",
            Self::InvalidAccessKeyId => "InvalidAccessKeyId",
            Self::TimeExpired => "TimeExpired",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::InvalidSecurityToken => "InvalidSecurityToken",
            Self::SecurityTokenExpired => "SecurityTokenExpired",
        }
    }
}

impl From<AuthError> for MnsError {
    fn from(e: AuthError) -> Self {
        // The status comes from the one code -> status table in `crate::error`.
        MnsError::new(ErrorCode::parse(e.code()), e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A long-lived access key pair accepted by the emulator.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    id: String,
    secret: String,
}

impl AccessKey {
    /// A key pair.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
        }
    }

    /// The access key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The access key secret.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"** redacted **")
            .finish()
    }
}

/// A temporary (STS-style) key: accepted only with its security token (header `security-token`)
/// and only before `expires_at` on the emulator's clock.
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryKey {
    key: AccessKey,
    security_token: String,
    expires_at: SystemTime,
}

impl TemporaryKey {
    /// A temporary key valid until `expires_at`.
    pub fn new(key: AccessKey, security_token: impl Into<String>, expires_at: SystemTime) -> Self {
        Self {
            key,
            security_token: security_token.into(),
            expires_at,
        }
    }

    /// The key pair.
    pub fn key(&self) -> &AccessKey {
        &self.key
    }

    /// The security token that must accompany requests.
    pub fn security_token(&self) -> &str {
        &self.security_token
    }

    /// When the key stops being accepted (emulator clock).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for TemporaryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryKey")
            .field("key", &self.key)
            .field("security_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A pluggable source of temporary credentials, consulted for access key ids the [`KeyStore`] does
/// not know (e.g. an emulated STS service that issues keys on the fly).
pub trait TokenValidator: Send + Sync + fmt::Debug {
    /// Returns the secret to verify the signature with, or why the key/token is refused.
    /// `security_token` is the `security-token` header, if any; `now` is the emulator's clock.
    fn secret_for(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, AuthError>;
}

#[derive(Debug, Default)]
struct KeyStoreInner {
    permanent: HashMap<String, AccessKey>,
    temporary: HashMap<String, TemporaryKey>,
    validator: Option<Arc<dyn TokenValidator>>,
}

/// The access keys the emulator accepts. Cheap to clone (shared); can be changed while the
/// emulator runs.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    // A std lock: lookups are short, synchronous and never held across an await.
    inner: Arc<RwLock<KeyStoreInner>>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KeyStoreInner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KeyStoreInner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds (or replaces) a long-lived key.
    pub fn add(&self, key: AccessKey) {
        self.write().permanent.insert(key.id.clone(), key);
    }

    /// Adds (or replaces) a temporary key.
    pub fn add_temporary(&self, key: TemporaryKey) {
        self.write().temporary.insert(key.key.id.clone(), key);
    }

    /// Removes a key of either kind; returns whether one existed.
    pub fn remove(&self, access_key_id: &str) -> bool {
        let mut inner = self.write();
        inner.permanent.remove(access_key_id).is_some()
            | inner.temporary.remove(access_key_id).is_some()
    }

    /// Installs a validator consulted for unknown access key ids.
    pub fn set_token_validator(&self, validator: Arc<dyn TokenValidator>) {
        self.write().validator = Some(validator);
    }

    /// The long-lived keys, sorted by id.
    pub fn keys(&self) -> Vec<AccessKey> {
        let mut keys: Vec<_> = self.read().permanent.values().cloned().collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        keys
    }

    /// The secret for `access_key_id`, checking the token and expiry of temporary keys.
    pub fn secret_for(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, AuthError> {
        let validator = {
            let inner = self.read();
            if let Some(key) = inner.permanent.get(access_key_id) {
                // A long-lived key does not need a token; one sent anyway is ignored.
                return Ok(key.secret.clone());
            }
            if let Some(temp) = inner.temporary.get(access_key_id) {
                let token_ok = security_token.is_some_and(|t| {
                    constant_time_eq(t.as_bytes(), temp.security_token.as_bytes())
                });
                if !token_ok {
                    return Err(AuthError::InvalidSecurityToken);
                }
                if now >= temp.expires_at {
                    return Err(AuthError::SecurityTokenExpired);
                }
                return Ok(temp.key.secret.clone());
            }
            inner.validator.clone()
        };
        match validator {
            // Called without the lock so a validator may itself use the store.
            Some(v) => v.secret_for(access_key_id, security_token, now),
            None => Err(AuthError::InvalidAccessKeyId),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// How strictly requests are authenticated.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Skip every check (any or no signature passes). Off by default.
    pub accept_any_signature: bool,
    /// Largest tolerated |Date − clock|; `None` disables the check.
    pub max_date_skew: Option<Duration>,
    /// Reject requests without a `x-mns-version: 2015-06-06` header (every official SDK sends it).
    pub require_version_header: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            accept_any_signature: false,
            max_date_skew: Some(DEFAULT_MAX_DATE_SKEW),
            require_version_header: true,
        }
    }
}

/// The parts of a received request that authentication looks at.
#[derive(Debug, Clone, Copy)]
pub struct RequestToVerify<'a> {
    /// Method as received, e.g. `GET`.
    pub method: &'a str,
    /// The raw request target: path plus `?` plus raw query, exactly as received.
    pub target: &'a str,
    /// All headers as (name, value) pairs; names in any case.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> RequestToVerify<'a> {
    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The access key id from `Authorization` (`None` in accept-any mode without a header).
    pub access_key_id: Option<String>,
}

/// Verifies requests against a [`KeyStore`] and an [`AuthConfig`].
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    keys: KeyStore,
    config: AuthConfig,
}

impl Authenticator {
    /// An authenticator over `keys`.
    pub fn new(keys: KeyStore, config: AuthConfig) -> Self {
        Self { keys, config }
    }

    /// The key store (shared; changes apply to later requests).
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Checks a request as the service does (reference §3.4), with `now` from the emulator clock.
    pub fn verify(
        &self,
        req: &RequestToVerify<'_>,
        now: SystemTime,
    ) -> Result<Principal, AuthError> {
        if self.config.accept_any_signature {
            let access_key_id = req
                .header("authorization")
                .and_then(|v| parse_authorization(v).ok())
                .map(|(id, _)| id.to_owned());
            return Ok(Principal { access_key_id });
        }
        let authorization = req
            .header("authorization")
            .ok_or(AuthError::MissingAuthorizationHeader)?;
        let (access_key_id, signature) = parse_authorization(authorization)?;
        // The DATE line is `Date` if present, else `x-mns-date` (reference §3.2).
        let date = req
            .header("date")
            .or_else(|| req.header("x-mns-date"))
            .ok_or(AuthError::MissingDateHeader)?;
        let sent_at = httpdate::parse_http_date(date).map_err(|_| AuthError::InvalidDateHeader)?;
        if self.config.require_version_header {
            match req.header("x-mns-version") {
                None => return Err(AuthError::MissingVersionHeader),
                Some(v) if v.trim() != MNS_VERSION => {
                    return Err(AuthError::InvalidVersionHeader);
                }
                Some(_) => {}
            }
        }
        let secret = self
            .keys
            .secret_for(access_key_id, req.header("security-token"), now)?;
        if let Some(max) = self.config.max_date_skew {
            let skew = now
                .duration_since(sent_at)
                .or_else(|_| sent_at.duration_since(now))
                .unwrap_or_default();
            if skew > max {
                return Err(AuthError::TimeExpired);
            }
        }
        let canonical = canonical_mns_headers(req.headers.iter().copied());
        let sts = string_to_sign(
            req.method,
            req.header("content-md5").unwrap_or(""),
            req.header("content-type").unwrap_or(""),
            date,
            &canonical,
            req.target,
        );
        if !signature_matches(&secret, &sts, signature) {
            tracing::debug!(
                access_key_id,
                string_to_sign = %sts.escape_debug(),
                "signature mismatch"
            );
            return Err(AuthError::SignatureDoesNotMatch);
        }
        Ok(Principal {
            access_key_id: Some(access_key_id.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_parsing() {
        assert_eq!(parse_authorization("MNS id:sig="), Ok(("id", "sig=")));
        assert_eq!(parse_authorization("MNS id:a:b"), Ok(("id", "a:b")));
        for bad in [
            "",
            "MNS",
            "MNS id",
            "MNS :sig",
            "MNS id:",
            "mns id:sig",
            "MNSid:sig",
        ] {
            assert_eq!(
                parse_authorization(bad),
                Err(AuthError::InvalidAuthorizationHeader),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn canonical_headers_sorted_lowercased_and_filtered() {
        let got = canonical_mns_headers([
            ("x-mns-version", "2015-06-06"),
            ("Content-Type", "text/xml"),
            ("X-MNS-Date", "d"),
            ("x-mns-a", "1"),
        ]);
        assert_eq!(got, "x-mns-a:1\nx-mns-date:d\nx-mns-version:2015-06-06\n");
        assert_eq!(canonical_mns_headers([("host", "h")]), "");
    }

    #[test]
    fn signature_check_is_exact() {
        let sig = sign("secret", "abc");
        assert!(signature_matches("secret", "abc", &sig));
        assert!(!signature_matches("secret", "abd", &sig));
        assert!(!signature_matches("other", "abc", &sig));
        assert!(!signature_matches("secret", "abc", "not base64!"));
    }

    #[test]
    fn temporary_keys_need_their_token_and_expire() {
        let store = KeyStore::new();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        store.add_temporary(TemporaryKey::new(
            AccessKey::new("STS.x", "s"),
            "tok",
            t0 + Duration::from_secs(60),
        ));
        assert_eq!(store.secret_for("STS.x", Some("tok"), t0), Ok("s".into()));
        assert_eq!(
            store.secret_for("STS.x", None, t0),
            Err(AuthError::InvalidSecurityToken)
        );
        assert_eq!(
            store.secret_for("STS.x", Some("tok2"), t0),
            Err(AuthError::InvalidSecurityToken)
        );
        assert_eq!(
            store.secret_for("STS.x", Some("tok"), t0 + Duration::from_secs(60)),
            Err(AuthError::SecurityTokenExpired)
        );
        assert_eq!(
            store.secret_for("nobody", None, t0),
            Err(AuthError::InvalidAccessKeyId)
        );
    }

    #[test]
    fn auth_errors_map_to_service_codes_and_statuses() {
        let cases = [
            (AuthError::MissingAuthorizationHeader, 400),
            (AuthError::InvalidAuthorizationHeader, 400),
            (AuthError::MissingDateHeader, 400),
            (AuthError::InvalidDateHeader, 400),
            (AuthError::InvalidAccessKeyId, 403),
            (AuthError::SignatureDoesNotMatch, 403),
            (AuthError::TimeExpired, 408),
        ];
        for (e, status) in cases {
            let m = MnsError::from(e.clone());
            assert_eq!(m.code().as_str(), e.code());
            assert_eq!(m.status(), status, "{e:?}");
            assert_eq!(m.message(), e.to_string());
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let k = AccessKey::new("id", "supersecret");
        let t = TemporaryKey::new(k.clone(), "supertoken", SystemTime::UNIX_EPOCH);
        let s = format!("{k:?} {t:?}");
        assert!(
            !s.contains("supersecret") && !s.contains("supertoken"),
            "{s}"
        );
    }
}
