//! Why a push request was refused, and why a notification could not be read.

use std::time::Duration;

use crate::error::BoxError;

/// Why an HTTP-push request failed verification.
///
/// Nothing secret is shown by `Display`: no signature, no certificate contents.
/// [`VerifyError::status_code`] suggests the HTTP status to answer with: any non-2xx makes the
/// service retry according to the subscription's `NotifyStrategy`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the verification needs is absent.
    #[error("push request lacks the {0} header")]
    MissingHeader(&'static str),

    /// A header that takes part in the signature appears more than once.
    #[error("push request carries the {0} header more than once")]
    DuplicateHeader(String),

    /// A header is present but unusable (not text, bad Base64, unparsable date, ...).
    #[error("push request header {name} is invalid: {reason}")]
    InvalidHeader {
        /// The header's (lower-case) name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The body does not hash to the signed `Content-MD5` header: the body was altered.
    #[error("Content-MD5 mismatch: header says {header}, body hashes to {actual}")]
    ContentMd5Mismatch {
        /// The `Content-MD5` header as received.
        header: String,
        /// The MD5 of the body, lower-case hex.
        actual: String,
    },

    /// The `Date` header is further from the verifier's clock than the allowed window.
    #[error("push request Date {date:?} is {skew:?} away from now (allowed {allowed:?})")]
    StaleDate {
        /// The `Date` header as received.
        date: String,
        /// How far it is from the verifier's clock.
        skew: Duration,
        /// The allowed window.
        allowed: Duration,
    },

    /// `x-mns-signing-cert-url` does not decode to a URL.
    #[error("x-mns-signing-cert-url is not a Base64-encoded URL: {0}")]
    InvalidCertUrl(String),

    /// The certificate URL is outside the allow-list; nothing was fetched.
    #[error("signing certificate URL {url} is not allowed")]
    CertUrlNotAllowed {
        /// The decoded URL.
        url: String,
    },

    /// The certificate could not be fetched.
    #[error("could not fetch signing certificate from {url}")]
    CertFetch {
        /// The certificate URL.
        url: String,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },

    /// The fetched document is not an X.509 certificate with an RSA key.
    #[error("signing certificate from {url} is unusable: {reason}")]
    InvalidCertificate {
        /// The certificate URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The `Authorization` signature does not verify against the certificate's key.
    #[error("push signature does not verify: {0}")]
    BadSignature(&'static str),
}

impl VerifyError {
    /// The HTTP status a receiver should answer with: 500 when the certificate could not be
    /// obtained (a transient failure on our side), 403 for every other refusal, as the MNS
    /// documentation asks for bad signatures.
    pub fn status_code(&self) -> u16 {
        match self {
            VerifyError::CertFetch { .. } | VerifyError::InvalidCertificate { .. } => 500,
            _ => 403,
        }
    }
}

/// Why a verified push body could not be read as a notification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is not UTF-8 text.
    #[error("notification body is not UTF-8")]
    NotUtf8,
    /// The body is not a well-formed notification of the expected format.
    #[error("malformed {format} notification: {reason}")]
    Malformed {
        /// `XML` or `JSON`.
        format: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A required field is absent.
    #[error("{format} notification lacks {field}")]
    MissingField {
        /// `XML` or `JSON`.
        format: &'static str,
        /// The field's name as the service spells it.
        field: &'static str,
    },
    /// `PublishTime` is not a number of milliseconds.
    #[error("notification PublishTime {0:?} is not a millisecond timestamp")]
    InvalidPublishTime(String),
}
