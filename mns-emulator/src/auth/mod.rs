//! Request authentication: the classic MNS signature (`MNS <id>:<sig>`, HMAC-SHA1) and the V4
//! one (`MNS4-HMAC-SHA256 Credential=...`, see [`v4`]), checked the way the service does, on
//! every data-plane route.
//!
//! Written independently of `mns-client` (see the crate docs): both sides are pinned to the same
//! published vectors (`testdata/vectors/signing.json`, `signing_v4.json` and the requests the
//! official SDKs were seen to send), so a misreading of a scheme on one side shows up as a
//! failing test instead of cancelling out.
//!
//! The pure parts ([`canonical_mns_headers`], [`string_to_sign`], [`sign`],
//! [`parse_authorization`], and [`v4`]) have no I/O and no clock. [`Authenticator::verify`]
//! applies them to a received request, in the order of reference §3.4, with `now` passed in from
//! the emulator's clock. Both schemes share one error model: a malformed `Authorization` is
//! `InvalidAuthorizationHeader`, an unknown key `InvalidAccessKeyId`, a date too far off
//! `TimeExpired`, a wrong signature `SignatureDoesNotMatch`.
//!
//! ```
//! use mns_emulator::auth::{string_to_sign, canonical_mns_headers, sign};
//!
//! let headers = canonical_mns_headers([("x-mns-version", "2015-06-06")]);
//! let sts = string_to_sign("GET", "", "", "Tue, 02 Jan 2024 03:04:05 GMT", &headers,
//!     "/queues/testqueue/messages?waitseconds=10");
//! assert_eq!(sign("testsecret", &sts), "GbBS4+bVkzyS0NyzP/Mvl1gQ7OE=");
//! ```

mod classic;
mod keys;
pub mod v4;

use std::time::{Duration, SystemTime};

use crate::error::{ErrorCode, MnsError};

pub use classic::{
    canonical_mns_headers, parse_authorization, sign, signature_matches, string_to_sign,
};
pub use keys::{AccessKey, KeyStore, TemporaryKey, TokenValidator};

/// The only API version the emulator speaks (`x-mns-version`).
pub const MNS_VERSION: &str = "2015-06-06";

/// Default tolerated difference between the request `Date` and the emulator's clock (15 min).
pub const DEFAULT_MAX_DATE_SKEW: Duration = Duration::from_secs(15 * 60);

/// \[unconfirmed\] The answer to a V4 request whose credential scope names another region than
/// the emulator's, or another day than its `Date` header: `SignatureDoesNotMatch` (403).
///
/// No official source documents this case. The service derives the signing key from its own
/// region and the request's date (that is what makes the scope worth signing), so a request
/// scoped elsewhere cannot verify and fails the way any wrong signature does; a distinct code
/// (AWS has `AuthorizationHeaderMalformed`) appears in no MNS SDK's error list.
pub const V4_SCOPE_MISMATCH: AuthError = AuthError::SignatureDoesNotMatch;

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
    /// The region a V4 credential scope must name (the emulator's region; the builder sets it).
    pub region: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            accept_any_signature: false,
            max_date_skew: Some(DEFAULT_MAX_DATE_SKEW),
            require_version_header: true,
            region: crate::DEFAULT_REGION.to_owned(),
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
            let access_key_id = req.header("authorization").and_then(|v| {
                match Presented::parse(v).ok()? {
                    Presented::Classic { access_key_id, .. } => Some(access_key_id),
                    Presented::V4(a) => Some(a.access_key_id),
                }
                .map(str::to_owned)
            });
            return Ok(Principal { access_key_id });
        }
        let authorization = req
            .header("authorization")
            .ok_or(AuthError::MissingAuthorizationHeader)?;
        let presented = Presented::parse(authorization)?;
        // The DATE line is `Date` if present, else `x-mns-date` (reference §3.2); V4 signs the
        // same instant reformatted.
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
        let access_key_id = presented.access_key_id();
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
        match presented {
            Presented::Classic { signature, .. } => {
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
            }
            Presented::V4(auth) => {
                let (day, timestamp) = v4::timestamps(sent_at);
                if auth.date != day || auth.region != self.config.region {
                    tracing::debug!(
                        access_key_id,
                        scope = %auth.scope(),
                        expected_day = %day,
                        expected_region = %self.config.region,
                        "V4 credential scope does not match the request"
                    );
                    return Err(V4_SCOPE_MISMATCH);
                }
                let canonical = v4::canonical_request(req.method, req.target, req.headers);
                let sts = v4::string_to_sign(auth.names, &timestamp, &auth.scope(), &canonical);
                let key = v4::signing_key(auth.names, &secret, auth.date, auth.region);
                if !v4::signature_matches(&key, &sts, auth.signature) {
                    tracing::debug!(
                        access_key_id,
                        string_to_sign = %sts.escape_debug(),
                        "V4 signature mismatch"
                    );
                    return Err(AuthError::SignatureDoesNotMatch);
                }
            }
        }
        Ok(Principal {
            access_key_id: Some(access_key_id.to_owned()),
        })
    }
}

/// The access key id an `Authorization` header names (classic or V4), for logs and the admin
/// request log; `None` when the header does not parse. Never the secret or the signature.
pub(crate) fn presented_access_key_id(authorization: &str) -> Option<&str> {
    Presented::parse(authorization)
        .ok()
        .map(|p| p.access_key_id())
}

/// The signature a request presents, by scheme.
enum Presented<'a> {
    Classic {
        access_key_id: &'a str,
        signature: &'a str,
    },
    V4(v4::V4Authorization<'a>),
}

impl<'a> Presented<'a> {
    fn parse(authorization: &'a str) -> Result<Self, AuthError> {
        if v4::is_v4(authorization) {
            return v4::parse_authorization(authorization).map(Presented::V4);
        }
        let (access_key_id, signature) = parse_authorization(authorization)?;
        Ok(Presented::Classic {
            access_key_id,
            signature,
        })
    }

    fn access_key_id(&self) -> &'a str {
        match self {
            Presented::Classic { access_key_id, .. } => access_key_id,
            Presented::V4(a) => a.access_key_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
