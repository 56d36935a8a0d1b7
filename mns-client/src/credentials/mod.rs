//! Credentials: access keys, STS tokens and the providers that produce them.
//!
//! A [`Client`](crate::Client) asks its [`ProvideCredentials`] for [`Credentials`] before signing each
//! request. [`Credentials`] itself is a static provider (long-lived keys or a fixed STS token).
//!
//! Secrets never appear in `Debug` output, logs or errors.
//!
//! # Ways to configure credentials
//!
//! **Static keys or a fixed STS token.** [`Credentials`] is itself a provider:
//!
//! ```
//! use mns_client::Credentials;
//! let keys = Credentials::new("LTAI_example", "example-secret");
//! let sts = Credentials::with_security_token("STS.example", "example-secret", "CAIS-example", None);
//! # let _ = (keys, sts);
//! ```
//!
//! **The default chain.** [`default_provider`] looks, in order, at environment variables, the
//! OIDC (RRSA) variables, `~/.aliyun/config.json`, `~/.alibabacloud/credentials[.ini]`, the ECS
//! metadata service and `ALIBABA_CLOUD_CREDENTIALS_URI`, and caches the result, refreshing it
//! 15 minutes before expiry. See [`DefaultCredentialsChain`] to inject the environment, home
//! directory, clock or endpoints.
//!
//! ```no_run
//! let provider = mns_client::credentials::default_provider();
//! ```
//!
//! **Environment variables** ([`EnvironmentVariableProvider`]):
//!
//! ```text
//! ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI...        (legacy: ALIBABA_CLOUD_ACCESS_KEY_Id, ALIYUN_ACCESS_KEY_ID)
//! ALIBABA_CLOUD_ACCESS_KEY_SECRET=...        (legacy: ALIYUN_ACCESS_KEY_SECRET)
//! ALIBABA_CLOUD_SECURITY_TOKEN=CAIS...       (optional; legacy: ALIBABA_CLOUD_ACCESS_SECURITY_TOKEN)
//! ```
//!
//! **OIDC role ARN (RRSA on ACK)** ([`OidcRoleArnProvider`]): `ALIBABA_CLOUD_ROLE_ARN`,
//! `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, optionally
//! `ALIBABA_CLOUD_ROLE_SESSION_NAME`; STS `AssumeRoleWithOIDC` is called with the token file's
//! content, re-read at each refresh.
//!
//! **RAM role ARN** ([`AssumeRoleProvider`]): STS `AssumeRole` signed with source credentials:
//!
//! ```
//! use mns_client::Credentials;
//! use mns_client::credentials::{AssumeRoleProvider, CachingProvider};
//!
//! let role = AssumeRoleProvider::builder(
//!     "acs:ram::1234567890123456:role/mns-publisher",
//!     Credentials::new("LTAI_example", "example-secret"),
//! )
//! .role_session_name("mns-app")
//! .build()
//! .unwrap();
//! let provider = CachingProvider::new(role); // one STS call per ~45 minutes
//! # let _ = provider;
//! ```
//!
//! **Profile files**: the INI file ([`ProfileFileProvider`], types `access_key`, `ecs_ram_role`,
//! `ram_role_arn`, `oidc_role_arn`) and the aliyun CLI's `config.json` ([`CliProfileProvider`],
//! modes `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`, `OIDC`, `ChainableRamRoleArn`), selected
//! with `ALIBABA_CLOUD_PROFILE`.
//!
//! **ECS RAM role** ([`EcsRamRoleProvider`]): the instance metadata service at
//! `100.100.100.200` (IMDSv2 token first, IMDSv1 fallback unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`),
//! role name from `ALIBABA_CLOUD_ECS_METADATA` or discovered.
//!
//! **Credentials URI** ([`CredentialsUriProvider`]): `ALIBABA_CLOUD_CREDENTIALS_URI` answering the
//! metadata service's JSON.
//!
//! **STS endpoint**: `https://sts.aliyuncs.com`, or `sts[-vpc].{region}.aliyuncs.com` from
//! `ALIBABA_CLOUD_STS_REGION` / `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`, or any URL through
//! [`ProviderConfig::with_sts_endpoint`] (an emulator, a test server).
//!
//! **Caching** ([`CachingProvider`]): wraps any provider; refreshes ahead of expiry, one refresh
//! at a time, and keeps serving valid credentials when a refresh fails.
//!
//! Time is read through a [`TimeSource`] and the environment through an [`Env`], so all of this
//! can be tested without touching the process environment or sleeping.

mod cache;
mod chain;
mod config;
mod ecs;
mod env;
mod http;
mod profile;
pub mod rpc_signature;
mod sts;
mod uri;

pub use crate::time::{ManualTimeSource, SharedTimeSource, SystemTimeSource, TimeSource};
pub use cache::{
    CachingProvider, CachingProviderBuilder, DEFAULT_REFRESH_BEFORE_EXPIRY,
    DEFAULT_RETRY_AFTER_FAILURE, LazyCredentialsCache,
};
pub use chain::{
    CredentialsProviderChain, DefaultCredentialsChain, DefaultCredentialsChainBuilder,
};
pub use config::{
    DEFAULT_ECS_METADATA_ENDPOINT, DEFAULT_STS_ENDPOINT, ProviderConfig, sts_endpoint_for,
};
pub use ecs::{EcsRamRoleProvider, EcsRamRoleProviderBuilder, METADATA_TOKEN_TTL_SECONDS};
pub use env::{
    ACCESS_KEY_ID_VARS, ACCESS_KEY_SECRET_VAR, Env, EnvironmentVariableProvider,
    LEGACY_ALIYUN_VARS, SECURITY_TOKEN_VARS,
};
pub use profile::{
    CLI_CONFIG_FILE_VAR, CLI_PROFILE_DISABLED_VAR, CREDENTIALS_FILE_VAR, CliProfileProvider,
    PROFILE_VAR, ProfileFileProvider,
};
pub use sts::{
    AssumeRoleProvider, AssumeRoleProviderBuilder, DEFAULT_DURATION_SECONDS, MIN_DURATION_SECONDS,
    OidcRoleArnProvider, OidcRoleArnProviderBuilder, STS_API_VERSION, validate_role_session_name,
};
pub use uri::{CREDENTIALS_URI_VAR, CredentialsUriProvider};

/// The default credentials chain ([`DefaultCredentialsChain`]) over the process environment,
/// cached ([`CachingProvider`]): what `Client::from_env()` uses.
///
/// Nothing is read until the first request asks for credentials.
pub fn default_provider() -> CachingProvider {
    DefaultCredentialsChain::builder().build_cached()
}

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
