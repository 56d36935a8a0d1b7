//! Credentials: access keys, STS tokens and the providers that produce them.
//!
//! A [`Client`](crate::Client) asks its [`ProvideCredentials`] for [`Credentials`] before signing each
//! request. [`Credentials`] itself is a static provider (long-lived keys or a fixed STS token).
//!
//! Secrets never appear in `Debug` output, logs or errors.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// An access key pair, optionally with an STS security token and an expiry.
///
/// `Debug` redacts the secret and the token.
///
/// ```
/// use mns_client::Credentials;
/// let c = Credentials::new("LTAI_example", "very-secret");
/// assert!(!format!("{c:?}").contains("very-secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
    expiry: Option<SystemTime>,
}

impl Credentials {
    /// Long-lived access keys (no token, no expiry).
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            expiry: None,
        }
    }

    /// Temporary STS credentials: keys plus the security token sent in the `security-token` header.
    pub fn with_security_token(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: impl Into<String>,
        expiry: Option<SystemTime>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: Some(security_token.into()),
            expiry,
        }
    }

    /// The AccessKeyId (not secret; it appears in the `Authorization` header).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKeySecret. Never log this.
    pub fn access_key_secret(&self) -> &str {
        &self.access_key_secret
    }

    /// The STS security token, if these are temporary credentials. Never log this.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// When these credentials stop being valid, if they expire.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// Returns a copy with the given expiry.
    pub fn with_expiry(mut self, expiry: Option<SystemTime>) -> Self {
        self.expiry = expiry;
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"** redacted **")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// Something that can produce [`Credentials`] on demand.
///
/// Implementations must be cheap to call repeatedly; wrap expensive providers in a cache.
#[async_trait::async_trait]
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Returns credentials valid for signing a request now.
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError>;
}

#[async_trait::async_trait]
impl ProvideCredentials for Credentials {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.clone())
    }
}

/// A shareable, type-erased credentials provider.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

/// Why credentials could not be obtained.
///
/// The split follows what a provider chain needs: [`CredentialsError::NotLoaded`] means
/// "this provider is not configured here, try the next one"; every other variant stops the chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider found no configuration for itself (e.g. the variables are unset).
    #[error("{provider}: credentials not loaded: {reason}")]
    NotLoaded {
        /// Name of the provider.
        provider: &'static str,
        /// What it looked for.
        reason: String,
    },
    /// The provider is configured but its configuration is invalid.
    #[error("{provider}: invalid configuration: {reason}")]
    InvalidConfiguration {
        /// Name of the provider.
        provider: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The provider tried and failed (STS error, metadata service unreachable, ...).
    #[error("{provider}: {reason}")]
    ProviderError {
        /// Name of the provider.
        provider: &'static str,
        /// What went wrong (never contains a secret).
        reason: String,
        /// The underlying cause, if any.
        #[source]
        source: Option<crate::error::BoxError>,
    },
    /// The provider did not answer in time.
    #[error("{provider}: timed out")]
    ProviderTimedOut {
        /// Name of the provider.
        provider: &'static str,
    },
    /// No provider in a chain produced credentials; lists what each one tried.
    #[error("no credentials found; tried: {}", tried.join("; "))]
    NoneFound {
        /// One line per provider describing what it looked for.
        tried: Vec<String>,
    },
}

impl CredentialsError {
    /// Whether a chain should move on to its next provider.
    pub fn is_not_loaded(&self) -> bool {
        matches!(self, CredentialsError::NotLoaded { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret_or_token() {
        let c = Credentials::with_security_token("AKID", "s3cr3t-value", "CAIS-token-value", None);
        let d = format!("{c:?}");
        assert!(d.contains("AKID"));
        assert!(!d.contains("s3cr3t-value"));
        assert!(!d.contains("CAIS-token-value"));
    }

    #[tokio::test]
    async fn static_credentials_provide_themselves() {
        let c = Credentials::new("id", "secret");
        assert_eq!(c.provide_credentials().await.unwrap(), c);
    }
}
