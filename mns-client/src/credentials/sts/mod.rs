//! STS providers: `AssumeRole` (RAM role ARN) and `AssumeRoleWithOIDC` (RRSA / OIDC role ARN).
//!
//! Requests follow credentials-go and @alicloud/credentials: `POST {endpoint}/` with the common
//! RPC parameters in the query and the action's own parameters in an
//! `application/x-www-form-urlencoded` body. `AssumeRole` is signed with the RPC signature v1
//! over the union of both ([`rpc_signature`](super::rpc_signature)); `AssumeRoleWithOIDC` is
//! anonymous.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::config::ProviderConfig;
use super::http::{self, LazyHttpClient, failure, format_timestamp, parse_expiration};
use super::rpc_signature;
use super::{Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use crate::time::SharedTimeSource;
use crate::time::TimeSource as _;

/// STS API version.
pub const STS_API_VERSION: &str = "2015-04-01";
/// Default and minimum session durations.
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;
/// The shortest session STS grants.
pub const MIN_DURATION_SECONDS: u32 = 900;

/// Checks a `RoleSessionName`: 2–64 characters from letters, digits, `.`, `@`, `-`, `_`.
///
/// ```
/// use mns_client::credentials::validate_role_session_name;
/// assert!(validate_role_session_name("mns-app@prod.1").is_ok());
/// assert!(validate_role_session_name("a").is_err());
/// assert!(validate_role_session_name("has space").is_err());
/// ```
pub fn validate_role_session_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(2..=64).contains(&len) {
        return Err(format!(
            "RoleSessionName must be 2-64 characters, got {len}"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_')))
    {
        return Err(format!(
            "RoleSessionName may hold only letters, digits, '.', '@', '-', '_'; found {bad:?}"
        ));
    }
    Ok(())
}

/// A session name for when none is configured: `mns-rs-{unix seconds}`.
fn default_session_name(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("mns-rs-{secs}")
}

fn check_duration(provider: &'static str, seconds: u32) -> Result<(), CredentialsError> {
    if seconds < MIN_DURATION_SECONDS {
        return Err(CredentialsError::InvalidConfiguration {
            provider,
            reason: format!(
                "DurationSeconds must be at least {MIN_DURATION_SECONDS}, got {seconds}"
            ),
        });
    }
    Ok(())
}

/// A fresh `SignatureNonce`: 128 random bits, hex.
fn new_nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The parameters of one STS call, split as they are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StsRequest {
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) form: BTreeMap<String, String>,
}

fn param(map: &mut BTreeMap<String, String>, name: &str, value: impl Into<String>) {
    map.insert(name.to_string(), value.into());
}

/// Builds and signs an `AssumeRole` request (pure: nonce and timestamp are arguments).
#[expect(
    clippy::too_many_arguments,
    reason = "a pure function of exactly the request's parameters"
)]
pub(crate) fn signed_assume_role_request(
    source: &Credentials,
    role_arn: &str,
    role_session_name: &str,
    duration_seconds: u32,
    policy: Option<&str>,
    external_id: Option<&str>,
    nonce: &str,
    timestamp: &str,
) -> StsRequest {
    let mut query = BTreeMap::new();
    param(&mut query, "AccessKeyId", source.access_key_id());
    param(&mut query, "Action", "AssumeRole");
    param(&mut query, "Format", "JSON");
    param(&mut query, "SignatureMethod", "HMAC-SHA1");
    param(&mut query, "SignatureNonce", nonce);
    param(&mut query, "SignatureVersion", "1.0");
    param(&mut query, "Timestamp", timestamp);
    param(&mut query, "Version", STS_API_VERSION);
    if let Some(token) = source.security_token() {
        param(&mut query, "SecurityToken", token);
    }
    let mut form = BTreeMap::new();
    param(&mut form, "RoleArn", role_arn);
    param(&mut form, "RoleSessionName", role_session_name);
    param(&mut form, "DurationSeconds", duration_seconds.to_string());
    if let Some(policy) = policy {
        param(&mut form, "Policy", policy);
    }
    if let Some(external_id) = external_id {
        param(&mut form, "ExternalId", external_id);
    }
    let mut all = query.clone();
    all.extend(form.iter().map(|(k, v)| (k.clone(), v.clone())));
    let signature = rpc_signature::sign("POST", &all, source.access_key_secret());
    param(&mut query, rpc_signature::SIGNATURE_PARAM, signature);
    StsRequest { query, form }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsSuccess {
    credentials: Option<StsCredentials>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: Option<String>,
    access_key_secret: Option<String>,
    security_token: Option<String>,
    expiration: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct StsErrorBody {
    request_id: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

/// Sends one STS request and parses the temporary credentials out of the answer.
async fn call_sts(
    provider: &'static str,
    action: &str,
    http: &LazyHttpClient,
    endpoint: &str,
    request: &StsRequest,
) -> Result<Credentials, CredentialsError> {
    let client = http.get(provider).await?;
    let url = format!(
        "{endpoint}/?{}",
        rpc_signature::encode_params(&request.query)
    );
    let response = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("x-acs-credentials-provider", provider)
        .body(rpc_signature::encode_params(&request.form))
        .send()
        .await
        .map_err(|e| http::provider_error(provider, &format!("STS {action} request failed"), e))?;
    let status = response.status();
    let body = http::body_text(provider, response).await?;
    if !status.is_success() {
        let err: StsErrorBody = serde_json::from_str(&body).unwrap_or_default();
        return Err(failure(
            provider,
            format!(
                "STS {action} failed: HTTP {}, Code {}, Message {}, RequestId {}",
                status.as_u16(),
                err.code.as_deref().unwrap_or("(none)"),
                err.message.as_deref().unwrap_or("(none)"),
                err.request_id.as_deref().unwrap_or("(none)"),
            ),
        ));
    }
    let parsed: StsSuccess = serde_json::from_str(&body).map_err(|e| {
        failure(
            provider,
            format!(
                "STS {action} answer is not JSON (error at line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Some(StsCredentials {
        access_key_id: Some(id),
        access_key_secret: Some(secret),
        security_token: Some(token),
        expiration: Some(expiration),
    }) = parsed.credentials
    else {
        return Err(failure(
            provider,
            format!(
                "STS {action} answer lacks Credentials.AccessKeyId/AccessKeySecret/SecurityToken/Expiration"
            ),
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

fn sts_http_client(config: &ProviderConfig) -> LazyHttpClient {
    LazyHttpClient::new(Duration::from_secs(5), config.http_timeout())
}

/// Temporary credentials for a RAM role, obtained with STS `AssumeRole` signed by source
/// credentials (long-lived keys or another STS token).
///
/// Wrap it in a [`CachingProvider`](super::CachingProvider) so STS is called only when the
/// credentials are about to expire.
///
/// ```
/// use mns_client::Credentials;
/// use mns_client::credentials::{AssumeRoleProvider, CachingProvider, ProviderConfig};
///
/// let provider = AssumeRoleProvider::builder(
///     "acs:ram::1234567890123456:role/mns-publisher",
///     Credentials::new("LTAI_example", "example-secret"),
/// )
/// .role_session_name("mns-app")
/// .duration_seconds(3600)
/// .configure(&ProviderConfig::new().with_sts_endpoint("http://127.0.0.1:9000"))
/// .build()
/// .unwrap();
/// let cached = CachingProvider::new(provider);
/// # let _ = cached;
/// ```
pub struct AssumeRoleProvider {
    source: SharedCredentialsProvider,
    role_arn: String,
    role_session_name: Option<String>,
    duration_seconds: u32,
    policy: Option<String>,
    external_id: Option<String>,
    endpoint: String,
    time: SharedTimeSource,
    http: LazyHttpClient,
}

impl fmt::Debug for AssumeRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleProvider")
            .field("source", &self.source)
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("duration_seconds", &self.duration_seconds)
            .field("policy", &self.policy.as_ref().map(|_| "(set)"))
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "** redacted **"),
            )
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Builder for [`AssumeRoleProvider`].
#[derive(Debug)]
pub struct AssumeRoleProviderBuilder {
    source: SharedCredentialsProvider,
    role_arn: String,
    role_session_name: Option<String>,
    duration_seconds: u32,
    policy: Option<String>,
    external_id: Option<String>,
    config: ProviderConfig,
}

impl AssumeRoleProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "ram_role_arn";

    /// Starts a builder for `role_arn` (`acs:ram::{uid}:role/{name}`), signing with `source`.
    pub fn builder(
        role_arn: impl Into<String>,
        source: impl ProvideCredentials + 'static,
    ) -> AssumeRoleProviderBuilder {
        AssumeRoleProvider::builder_shared(role_arn, std::sync::Arc::new(source))
    }

    /// Like [`builder`](Self::builder) with an already shared source provider.
    pub fn builder_shared(
        role_arn: impl Into<String>,
        source: SharedCredentialsProvider,
    ) -> AssumeRoleProviderBuilder {
        AssumeRoleProviderBuilder {
            source,
            role_arn: role_arn.into(),
            role_session_name: None,
            duration_seconds: DEFAULT_DURATION_SECONDS,
            policy: None,
            external_id: None,
            config: ProviderConfig::new(),
        }
    }
}

impl AssumeRoleProviderBuilder {
    /// The `RoleSessionName` (default: `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else `mns-rs-{unix seconds}`).
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    /// The session length in seconds (default 3600, at least 900).
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = seconds;
        self
    }

    /// An optional policy (JSON) that further restricts the role's permissions.
    pub fn policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into()).filter(|p| !p.is_empty());
        self
    }

    /// An optional `ExternalId`.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into()).filter(|e| !e.is_empty());
        self
    }

    /// Takes the STS endpoint, clock and environment from `config`.
    pub fn configure(mut self, config: &ProviderConfig) -> Self {
        self.config = config.clone();
        self
    }

    /// Validates the settings.
    pub fn build(self) -> Result<AssumeRoleProvider, CredentialsError> {
        let provider = AssumeRoleProvider::NAME;
        if self.role_arn.trim().is_empty() {
            return Err(CredentialsError::InvalidConfiguration {
                provider,
                reason: "role ARN is empty".into(),
            });
        }
        check_duration(provider, self.duration_seconds)?;
        let role_session_name = self
            .role_session_name
            .or_else(|| self.config.env().get("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
        if let Some(name) = &role_session_name {
            validate_role_session_name(name)
                .map_err(|reason| CredentialsError::InvalidConfiguration { provider, reason })?;
        }
        Ok(AssumeRoleProvider {
            source: self.source,
            role_arn: self.role_arn,
            role_session_name,
            duration_seconds: self.duration_seconds,
            policy: self.policy,
            external_id: self.external_id,
            endpoint: self.config.sts_endpoint(),
            time: self.config.time_source().clone(),
            http: sts_http_client(&self.config),
        })
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for AssumeRoleProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let source = self.source.provide_credentials().await?;
        let now = self.time.now();
        let session_name = self
            .role_session_name
            .clone()
            .unwrap_or_else(|| default_session_name(now));
        let request = signed_assume_role_request(
            &source,
            &self.role_arn,
            &session_name,
            self.duration_seconds,
            self.policy.as_deref(),
            self.external_id.as_deref(),
            &new_nonce(),
            &format_timestamp(now),
        );
        call_sts(
            Self::NAME,
            "AssumeRole",
            &self.http,
            &self.endpoint,
            &request,
        )
        .await
    }
}

mod oidc;
pub use oidc::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assume_role_request_signs_the_union_of_query_and_form() {
        let source = Credentials::with_security_token("testid", "testsecret", "CAIS tok", None);
        let req = signed_assume_role_request(
            &source,
            "acs:ram::1:role/r",
            "sess",
            3600,
            Some("{\"a\": 1}"),
            None,
            "nonce-1",
            "2024-01-01T12:00:00Z",
        );
        assert_eq!(
            req.query.get("SecurityToken").map(String::as_str),
            Some("CAIS tok")
        );
        assert_eq!(
            req.form.get("Policy").map(String::as_str),
            Some("{\"a\": 1}")
        );
        let mut all = req.query.clone();
        let sig = all.remove("Signature").unwrap();
        all.extend(req.form.clone());
        assert_eq!(sig, rpc_signature::sign("POST", &all, "testsecret"));
    }

    #[test]
    fn oidc_request_is_anonymous() {
        let req = assume_role_with_oidc_request("r", "p", "jwt", "s", 900, None, "t");
        assert!(!req.query.contains_key("AccessKeyId"));
        assert!(!req.query.contains_key("Signature"));
        assert_eq!(req.form.get("OIDCToken").map(String::as_str), Some("jwt"));
    }
}
