//! STS `AssumeRoleWithOIDC` (RRSA on ACK): the unsigned request and the provider that
//! exchanges an OIDC token for temporary keys.

use super::*;

/// Builds an anonymous `AssumeRoleWithOIDC` request (pure).
pub(crate) fn assume_role_with_oidc_request(
    role_arn: &str,
    oidc_provider_arn: &str,
    oidc_token: &str,
    role_session_name: &str,
    duration_seconds: u32,
    policy: Option<&str>,
    timestamp: &str,
) -> StsRequest {
    let mut query = BTreeMap::new();
    param(&mut query, "Action", "AssumeRoleWithOIDC");
    param(&mut query, "Format", "JSON");
    param(&mut query, "Timestamp", timestamp);
    param(&mut query, "Version", STS_API_VERSION);
    let mut form = BTreeMap::new();
    param(&mut form, "RoleArn", role_arn);
    param(&mut form, "OIDCProviderArn", oidc_provider_arn);
    param(&mut form, "OIDCToken", oidc_token);
    param(&mut form, "RoleSessionName", role_session_name);
    param(&mut form, "DurationSeconds", duration_seconds.to_string());
    if let Some(policy) = policy {
        param(&mut form, "Policy", policy);
    }
    StsRequest { query, form }
}

/// Temporary credentials for a RAM role through STS `AssumeRoleWithOIDC`, the RRSA mechanism of
/// ACK (Kubernetes) pods: the OIDC token is re-read from its file at every refresh.
///
/// [`from_env`](Self::from_env) reads `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE` (all three required) and `ALIBABA_CLOUD_ROLE_SESSION_NAME`.
pub struct OidcRoleArnProvider {
    role_arn: String,
    oidc_provider_arn: String,
    oidc_token_file: PathBuf,
    role_session_name: Option<String>,
    duration_seconds: u32,
    policy: Option<String>,
    endpoint: String,
    time: SharedTimeSource,
    http: LazyHttpClient,
}

impl fmt::Debug for OidcRoleArnProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcRoleArnProvider")
            .field("role_arn", &self.role_arn)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("oidc_token_file", &self.oidc_token_file)
            .field("role_session_name", &self.role_session_name)
            .field("duration_seconds", &self.duration_seconds)
            .field("policy", &self.policy.as_ref().map(|_| "(set)"))
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Builder for [`OidcRoleArnProvider`].
#[derive(Debug)]
pub struct OidcRoleArnProviderBuilder {
    role_arn: String,
    oidc_provider_arn: String,
    oidc_token_file: PathBuf,
    role_session_name: Option<String>,
    duration_seconds: u32,
    policy: Option<String>,
    config: ProviderConfig,
}

impl OidcRoleArnProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "oidc_role_arn";

    /// Starts a builder.
    pub fn builder(
        role_arn: impl Into<String>,
        oidc_provider_arn: impl Into<String>,
        oidc_token_file: impl Into<PathBuf>,
    ) -> OidcRoleArnProviderBuilder {
        OidcRoleArnProviderBuilder {
            role_arn: role_arn.into(),
            oidc_provider_arn: oidc_provider_arn.into(),
            oidc_token_file: oidc_token_file.into(),
            role_session_name: None,
            duration_seconds: DEFAULT_DURATION_SECONDS,
            policy: None,
            config: ProviderConfig::new(),
        }
    }

    /// The provider configured by the RRSA environment variables of `config`'s environment;
    /// [`NotLoaded`](CredentialsError::NotLoaded) unless all three are set.
    pub fn from_env(config: &ProviderConfig) -> Result<Self, CredentialsError> {
        let env = config.env();
        let vars = [
            "ALIBABA_CLOUD_ROLE_ARN",
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
        ];
        let (Some(role_arn), Some(provider_arn), Some(token_file)) =
            (env.get(vars[0]), env.get(vars[1]), env.get(vars[2]))
        else {
            return Err(CredentialsError::NotLoaded {
                provider: Self::NAME,
                reason: format!("{} are not all set", vars.join(", ")),
            });
        };
        OidcRoleArnProvider::builder(role_arn, provider_arn, token_file)
            .configure(config)
            .build()
    }
}

impl OidcRoleArnProviderBuilder {
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

    /// Takes the STS endpoint, clock and environment from `config`.
    pub fn configure(mut self, config: &ProviderConfig) -> Self {
        self.config = config.clone();
        self
    }

    /// Validates the settings.
    pub fn build(self) -> Result<OidcRoleArnProvider, CredentialsError> {
        let provider = OidcRoleArnProvider::NAME;
        for (what, value) in [
            ("role ARN", &self.role_arn),
            ("OIDC provider ARN", &self.oidc_provider_arn),
        ] {
            if value.trim().is_empty() {
                return Err(CredentialsError::InvalidConfiguration {
                    provider,
                    reason: format!("{what} is empty"),
                });
            }
        }
        check_duration(provider, self.duration_seconds)?;
        let role_session_name = self
            .role_session_name
            .or_else(|| self.config.env().get("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
        if let Some(name) = &role_session_name {
            validate_role_session_name(name)
                .map_err(|reason| CredentialsError::InvalidConfiguration { provider, reason })?;
        }
        Ok(OidcRoleArnProvider {
            role_arn: self.role_arn,
            oidc_provider_arn: self.oidc_provider_arn,
            oidc_token_file: self.oidc_token_file,
            role_session_name,
            duration_seconds: self.duration_seconds,
            policy: self.policy,
            endpoint: self.config.sts_endpoint(),
            time: self.config.time_source().clone(),
            http: sts_http_client(&self.config),
        })
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for OidcRoleArnProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let provider = Self::NAME;
        let token = std::fs::read_to_string(&self.oidc_token_file).map_err(|e| {
            CredentialsError::ProviderError {
                provider,
                reason: format!(
                    "could not read OIDC token file {}",
                    self.oidc_token_file.display()
                ),
                source: Some(Box::new(e)),
            }
        })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(failure(
                provider,
                format!(
                    "OIDC token file {} is empty",
                    self.oidc_token_file.display()
                ),
            ));
        }
        let now = self.time.now();
        let session_name = self
            .role_session_name
            .clone()
            .unwrap_or_else(|| default_session_name(now));
        let request = assume_role_with_oidc_request(
            &self.role_arn,
            &self.oidc_provider_arn,
            token,
            &session_name,
            self.duration_seconds,
            self.policy.as_deref(),
            &format_timestamp(now),
        );
        call_sts(
            provider,
            "AssumeRoleWithOIDC",
            &self.http,
            &self.endpoint,
            &request,
        )
        .await
    }
}
