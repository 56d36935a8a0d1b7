//! HTTP plumbing shared by the metadata, credentials-URI and STS providers (crate-internal).
//!
//! reqwest stays out of the public API: its errors are stripped of their URL (which may carry a
//! signature or token) and boxed as an opaque `source`.

use std::time::{Duration, SystemTime};

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::{Credentials, CredentialsError};

/// A lazily built HTTP client with fixed timeouts.
#[derive(Debug)]
pub(crate) struct LazyHttpClient {
    connect_timeout: Duration,
    timeout: Duration,
    use_proxy: bool,
    client: OnceCell<reqwest::Client>,
}

impl LazyHttpClient {
    pub(crate) fn new(connect_timeout: Duration, timeout: Duration) -> Self {
        LazyHttpClient {
            connect_timeout,
            timeout,
            use_proxy: true,
            client: OnceCell::new(),
        }
    }

    /// Never goes through an HTTP proxy (for the link-local metadata service).
    pub(crate) fn without_proxy(mut self) -> Self {
        self.use_proxy = false;
        self
    }

    pub(crate) async fn get(
        &self,
        provider: &'static str,
    ) -> Result<&reqwest::Client, CredentialsError> {
        self.client
            .get_or_try_init(|| async {
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.timeout);
                if !self.use_proxy {
                    builder = builder.no_proxy();
                }
                builder
                    .build()
                    .map_err(|e| provider_error(provider, "could not build HTTP client", e))
            })
            .await
    }
}

/// A `ProviderError` whose source is a reqwest error without its URL.
pub(crate) fn provider_error(
    provider: &'static str,
    what: &str,
    err: reqwest::Error,
) -> CredentialsError {
    if err.is_timeout() {
        return CredentialsError::ProviderTimedOut { provider };
    }
    CredentialsError::ProviderError {
        provider,
        reason: what.to_string(),
        source: Some(Box::new(err.without_url())),
    }
}

/// A `ProviderError` with a reason and no source.
pub(crate) fn failure(provider: &'static str, reason: impl Into<String>) -> CredentialsError {
    CredentialsError::ProviderError {
        provider,
        reason: reason.into(),
        source: None,
    }
}

/// Reads a response body as text, mapping failures.
pub(crate) async fn body_text(
    provider: &'static str,
    response: reqwest::Response,
) -> Result<String, CredentialsError> {
    response
        .text()
        .await
        .map_err(|e| provider_error(provider, "could not read response body", e))
}

/// The JSON document served by the ECS metadata service and by credentials URIs.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataCredentials {
    code: Option<String>,
    access_key_id: Option<String>,
    access_key_secret: Option<String>,
    security_token: Option<String>,
    expiration: Option<String>,
}

/// Parses `{"Code":"Success","AccessKeyId":..,"AccessKeySecret":..,"SecurityToken":..,"Expiration":..}`.
///
/// Errors never quote the body (it holds secrets).
pub(crate) fn parse_metadata_credentials(
    provider: &'static str,
    body: &str,
) -> Result<Credentials, CredentialsError> {
    let doc: MetadataCredentials = serde_json::from_str(body).map_err(|e| {
        failure(
            provider,
            format!(
                "response is not a credentials JSON document (error at line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    match doc.code.as_deref() {
        Some("Success") => {}
        Some(code) => {
            return Err(failure(
                provider,
                format!("response Code is {code:?}, expected \"Success\""),
            ));
        }
        None => return Err(failure(provider, "response has no Code field")),
    }
    let (Some(id), Some(secret), Some(token), Some(expiration)) = (
        doc.access_key_id,
        doc.access_key_secret,
        doc.security_token,
        doc.expiration,
    ) else {
        return Err(failure(
            provider,
            "response lacks AccessKeyId, AccessKeySecret, SecurityToken or Expiration",
        ));
    };
    let expiry = parse_expiration(provider, &expiration)?;
    Ok(Credentials::with_security_token(
        id,
        secret,
        token,
        Some(expiry),
    ))
}

/// Parses an `Expiration` such as `2024-01-01T18:00:00Z` (UTC).
pub(crate) fn parse_expiration(
    provider: &'static str,
    value: &str,
) -> Result<SystemTime, CredentialsError> {
    humantime::parse_rfc3339_weak(value.trim())
        .map_err(|_| failure(provider, format!("invalid Expiration {value:?}")))
}

/// Formats a time as `YYYY-MM-DDThh:mm:ssZ` (the RPC `Timestamp` format).
pub(crate) fn format_timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
