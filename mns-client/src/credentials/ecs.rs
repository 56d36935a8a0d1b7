//! ECS RAM role credentials from the instance metadata service.

use std::time::Duration;

use super::config::ProviderConfig;
use super::http::{self, LazyHttpClient, failure, parse_metadata_credentials};
use super::{Credentials, CredentialsError, ProvideCredentials};

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// Lifetime requested for an IMDSv2 token, in seconds.
pub const METADATA_TOKEN_TTL_SECONDS: u32 = 21_600;

/// Temporary credentials of the RAM role attached to the ECS instance.
///
/// 1. `PUT /latest/api/token` (IMDSv2 hardening); if that fails and IMDSv1 is allowed, carry on
///    without a token.
/// 2. Discover the role name with `GET /latest/meta-data/ram/security-credentials/` unless it is
///    configured (`ALIBABA_CLOUD_ECS_METADATA`).
/// 3. `GET /latest/meta-data/ram/security-credentials/{role}` → the credentials JSON.
///
/// If the metadata service cannot be reached at all (not running on ECS), the provider answers
/// [`NotLoaded`](CredentialsError::NotLoaded) so a chain moves on.
///
/// ```
/// use mns_client::credentials::{EcsRamRoleProvider, ProviderConfig};
///
/// let provider = EcsRamRoleProvider::builder()
///     .role_name("MyEcsRole")
///     .disable_imds_v1(true)
///     .configure(&ProviderConfig::new().with_ecs_metadata_endpoint("http://127.0.0.1:8081"))
///     .build();
/// # let _ = provider;
/// ```
#[derive(Debug)]
pub struct EcsRamRoleProvider {
    role_name: Option<String>,
    disable_imds_v1: bool,
    endpoint: String,
    http: LazyHttpClient,
}

/// Builder for [`EcsRamRoleProvider`].
#[derive(Debug, Default)]
pub struct EcsRamRoleProviderBuilder {
    role_name: Option<String>,
    disable_imds_v1: Option<bool>,
    config: Option<ProviderConfig>,
}

impl EcsRamRoleProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "ecs_ram_role";

    /// Starts a builder.
    pub fn builder() -> EcsRamRoleProviderBuilder {
        EcsRamRoleProviderBuilder::default()
    }

    /// The provider as configured by `ALIBABA_CLOUD_ECS_METADATA` (role name) and
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED` in `config`'s environment.
    pub fn from_env(config: &ProviderConfig) -> Self {
        EcsRamRoleProvider::builder().configure(config).build()
    }

    async fn fetch_token(
        &self,
        client: &reqwest::Client,
    ) -> Result<Option<String>, CredentialsError> {
        let result = client
            .put(format!("{}{TOKEN_PATH}", self.endpoint))
            .header(TOKEN_TTL_HEADER, METADATA_TOKEN_TTL_SECONDS.to_string())
            .send()
            .await;
        let failure_reason = match result {
            Ok(response) if response.status().is_success() => {
                let token = http::body_text(Self::NAME, response).await?;
                return Ok(Some(token.trim().to_string()));
            }
            Ok(response) => format!("HTTP {}", response.status().as_u16()),
            Err(e) if e.is_connect() || e.is_timeout() => {
                return Err(CredentialsError::NotLoaded {
                    provider: Self::NAME,
                    reason: format!(
                        "metadata service {} unreachable (not running on ECS?)",
                        self.endpoint
                    ),
                });
            }
            Err(_) => "request failed".to_string(),
        };
        if self.disable_imds_v1 {
            return Err(failure(
                Self::NAME,
                format!("could not get a metadata token ({failure_reason}) and IMDSv1 is disabled"),
            ));
        }
        tracing::debug!(
            provider = Self::NAME,
            "metadata token unavailable ({failure_reason}); falling back to IMDSv1"
        );
        Ok(None)
    }

    async fn get_text(
        &self,
        client: &reqwest::Client,
        path: &str,
        token: Option<&str>,
    ) -> Result<String, CredentialsError> {
        let mut request = client.get(format!("{}{path}", self.endpoint));
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| http::provider_error(Self::NAME, "metadata request failed", e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failure(
                Self::NAME,
                format!(
                    "metadata service answered HTTP {} for {path}",
                    status.as_u16()
                ),
            ));
        }
        http::body_text(Self::NAME, response).await
    }

    /// A GET that, as the Python and Java libraries do, retries once without the token if the
    /// token-bearing request fails and IMDSv1 is allowed.
    async fn get_with_fallback(
        &self,
        client: &reqwest::Client,
        path: &str,
        token: Option<&str>,
    ) -> Result<String, CredentialsError> {
        match self.get_text(client, path, token).await {
            Err(err) if token.is_some() && !self.disable_imds_v1 => {
                tracing::debug!(provider = Self::NAME, error = %err, "retrying without metadata token");
                self.get_text(client, path, None).await
            }
            other => other,
        }
    }
}

impl EcsRamRoleProviderBuilder {
    /// The RAM role name (skips discovery).
    pub fn role_name(mut self, name: impl Into<String>) -> Self {
        self.role_name = Some(name.into()).filter(|n| !n.is_empty());
        self
    }

    /// Forbid falling back to IMDSv1 (requests without a metadata token).
    pub fn disable_imds_v1(mut self, disable: bool) -> Self {
        self.disable_imds_v1 = Some(disable);
        self
    }

    /// Takes the metadata endpoint and environment defaults from `config`.
    pub fn configure(mut self, config: &ProviderConfig) -> Self {
        self.config = Some(config.clone());
        self
    }

    /// Builds the provider.
    pub fn build(self) -> EcsRamRoleProvider {
        let config = self.config.unwrap_or_default();
        let env = config.env();
        EcsRamRoleProvider {
            role_name: self
                .role_name
                .or_else(|| env.get("ALIBABA_CLOUD_ECS_METADATA")),
            disable_imds_v1: self
                .disable_imds_v1
                .unwrap_or_else(|| env.is_true("ALIBABA_CLOUD_IMDSV1_DISABLED")),
            endpoint: config.ecs_metadata_endpoint(),
            http: LazyHttpClient::new(Duration::from_secs(1), Duration::from_secs(2))
                .without_proxy(),
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for EcsRamRoleProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let client = self.http.get(Self::NAME).await?;
        let token = self.fetch_token(client).await?;
        let role_name = match &self.role_name {
            Some(name) => name.clone(),
            None => {
                let listed = self
                    .get_with_fallback(client, CREDENTIALS_PATH, token.as_deref())
                    .await?;
                let name = listed.lines().next().unwrap_or("").trim().to_string();
                if name.is_empty() {
                    return Err(failure(
                        Self::NAME,
                        "no RAM role is attached to this instance",
                    ));
                }
                name
            }
        };
        let body = self
            .get_with_fallback(
                client,
                &format!("{CREDENTIALS_PATH}{role_name}"),
                token.as_deref(),
            )
            .await?;
        parse_metadata_credentials(Self::NAME, &body)
    }
}
