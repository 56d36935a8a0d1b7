//! Verification of MNS HTTP-push requests, and the notifications they carry.
//!
//! A topic subscription whose endpoint is an `http://` or `https://` URL receives each message
//! as a `POST` signed by MNS with RSA-SHA1 (reference §6). Anyone can `POST` to that URL, so a
//! receiver must check every request before acting on it:
//!
//! * [`PushRequest`]: the request as received (method, path+query, headers, body), built from
//!   any HTTP framework;
//! * [`PushVerifier`]: checks `Content-MD5` against the body, the `Date` window, the signing
//!   certificate URL against a [`CertUrlPolicy`] allow-list *before* fetching anything, fetches
//!   the certificate once per URL through a [`CertificateFetcher`] and verifies the signature;
//!   every refusal is a typed [`VerifyError`];
//! * [`VerifiedPush`]: the accepted request; parse its body with
//!   [`VerifiedPush::notification`] into a [`PushNotification`] (XML, JSON or SIMPLIFIED).
//!
//! With the `axum` feature, the `push::axum` module offers an extractor that
//! runs a handler only for verified requests.
//!
//! ```
//! use mns_client::push::{CertUrlPolicy, PushRequest, PushVerifier, StaticCertificateFetcher, VerifyError};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fetcher = StaticCertificateFetcher::new();
//! let verifier = PushVerifier::builder()
//!     .cert_url_policy(CertUrlPolicy::mns_default().allow_prefix("http://127.0.0.1:9000/")?)
//!     .fetcher(fetcher.clone())
//!     .build()?;
//! // A forged request pointing at an attacker's certificate is refused before any fetch.
//! let forged = PushRequest::new("POST", "/notifications", "hi")
//!     .with_header("Authorization", "AAAA")
//!     .with_header("Content-MD5", "NDlmNjhhNWM4NDkzZWMyYzBiZjQ4OTgyMWMyMWZjM2I=")
//!     .with_header("Date", httpdate::fmt_http_date(std::time::SystemTime::now()))
//!     // Base64 of "https://evil.example/cert.pem"
//!     .with_header("x-mns-signing-cert-url", "aHR0cHM6Ly9ldmlsLmV4YW1wbGUvY2VydC5wZW0=");
//! let err = verifier.verify(forged).await.unwrap_err();
//! assert!(matches!(err, VerifyError::CertUrlNotAllowed { .. }));
//! assert_eq!(err.status_code(), 403);
//! assert_eq!(fetcher.fetch_count(), 0);
//! # Ok(()) }
//! ```

#[cfg(feature = "axum")]
pub mod axum;
mod cert;
mod cert_policy;
mod error;
mod notification;
mod request;
mod string_to_sign;
mod verifier;

pub use cert::{
    CertificateFetcher, HttpCertificateFetcher, SigningCertificate, StaticCertificateFetcher,
};
pub use cert_policy::{CertUrlPolicy, MNS_LEGACY_CERT_PREFIX};
pub use error::{NotificationError, VerifyError};
pub use notification::{Notification, PushNotification, SimplifiedNotification};
pub use request::PushRequest;
pub use string_to_sign::string_to_sign;
pub use verifier::{DEFAULT_MAX_DATE_SKEW, PushVerifier, PushVerifierBuilder, VerifiedPush};
