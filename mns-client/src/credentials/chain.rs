//! Provider chains: try providers in order until one yields credentials.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use super::cache::CachingProvider;
use super::config::ProviderConfig;
use super::ecs::EcsRamRoleProvider;
use super::env::{Env, EnvironmentVariableProvider};
use super::profile::{CliProfileProvider, ProfileFileProvider};
use super::sts::OidcRoleArnProvider;
use super::uri::CredentialsUriProvider;
use super::{Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use crate::time::TimeSource;

/// Tries providers in order.
///
/// A provider answering [`NotLoaded`](CredentialsError::NotLoaded) hands over to the next one;
/// any other error stops the chain and is returned as is. When every provider is `NotLoaded`, the
/// answer is [`NoneFound`](CredentialsError::NoneFound) listing what each one looked for.
///
/// By default the chain remembers the provider that succeeded and asks it first next time
/// (as the official libraries do); if it then answers `NotLoaded`, the whole chain runs again.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use mns_client::{Credentials, ProvideCredentials};
/// use mns_client::credentials::{CredentialsProviderChain, Env, EnvironmentVariableProvider};
///
/// let chain = CredentialsProviderChain::first_try(
///     "environment",
///     EnvironmentVariableProvider::new(Env::from_vars([("UNRELATED", "x")])),
/// )
/// .or_else("static", Credentials::new("LTAI_example", "example-secret"));
/// let creds = chain.provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "LTAI_example");
/// # });
/// ```
pub struct CredentialsProviderChain {
    providers: Vec<(Cow<'static, str>, SharedCredentialsProvider)>,
    reuse_last_provider: bool,
    last: Mutex<Option<usize>>,
}

impl fmt::Debug for CredentialsProviderChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProviderChain")
            .field("providers", &self.providers)
            .field("reuse_last_provider", &self.reuse_last_provider)
            .finish()
    }
}

impl CredentialsProviderChain {
    /// A chain starting with `provider`, called `name` in errors.
    pub fn first_try(
        name: impl Into<Cow<'static, str>>,
        provider: impl ProvideCredentials + 'static,
    ) -> Self {
        CredentialsProviderChain {
            providers: vec![(name.into(), Arc::new(provider))],
            reuse_last_provider: true,
            last: Mutex::new(None),
        }
    }

    /// Appends `provider`.
    pub fn or_else(
        self,
        name: impl Into<Cow<'static, str>>,
        provider: impl ProvideCredentials + 'static,
    ) -> Self {
        self.or_else_shared(name, Arc::new(provider))
    }

    /// Appends an already shared provider.
    pub fn or_else_shared(
        mut self,
        name: impl Into<Cow<'static, str>>,
        provider: SharedCredentialsProvider,
    ) -> Self {
        self.providers.push((name.into(), provider));
        self
    }

    /// Whether to ask the provider that last succeeded first (default `true`).
    pub fn reuse_last_provider(mut self, reuse: bool) -> Self {
        self.reuse_last_provider = reuse;
        self
    }

    /// Names of the providers, in order.
    pub fn provider_names(&self) -> Vec<&str> {
        self.providers
            .iter()
            .map(|(name, _)| name.as_ref())
            .collect()
    }

    fn last(&self) -> Option<usize> {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_last(&self, index: Option<usize>) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = index;
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for CredentialsProviderChain {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        if self.reuse_last_provider
            && let Some((_, provider)) = self.last().and_then(|i| self.providers.get(i))
        {
            match provider.provide_credentials().await {
                Ok(credentials) => return Ok(credentials),
                Err(err) if err.is_not_loaded() => self.set_last(None),
                Err(err) => return Err(err),
            }
        }
        let mut tried = Vec::with_capacity(self.providers.len());
        for (index, (name, provider)) in self.providers.iter().enumerate() {
            match provider.provide_credentials().await {
                Ok(credentials) => {
                    tracing::debug!(provider = %name, "credentials loaded");
                    if self.reuse_last_provider {
                        self.set_last(Some(index));
                    }
                    return Ok(credentials);
                }
                Err(CredentialsError::NotLoaded { reason, .. }) => {
                    tracing::debug!(provider = %name, %reason, "provider not configured; trying the next");
                    tried.push(format!("{name}: {reason}"));
                }
                Err(err) => return Err(err),
            }
        }
        Err(CredentialsError::NoneFound { tried })
    }
}

/// A provider built from the configuration at call time; a construction failure (e.g. variables
/// unset) is that call's answer and is retried next time.
struct Deferred {
    name: &'static str,
    config: ProviderConfig,
    make: fn(&ProviderConfig) -> Result<SharedCredentialsProvider, CredentialsError>,
    built: OnceCell<SharedCredentialsProvider>,
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("name", &self.name)
            .field("built", &self.built.get())
            .finish()
    }
}

impl Deferred {
    fn new(
        name: &'static str,
        config: &ProviderConfig,
        make: fn(&ProviderConfig) -> Result<SharedCredentialsProvider, CredentialsError>,
    ) -> Self {
        Deferred {
            name,
            config: config.clone(),
            make,
            built: OnceCell::new(),
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for Deferred {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let provider = self
            .built
            .get_or_try_init(|| async { (self.make)(&self.config) })
            .await?;
        provider.provide_credentials().await
    }
}

fn make_oidc(config: &ProviderConfig) -> Result<SharedCredentialsProvider, CredentialsError> {
    Ok(Arc::new(OidcRoleArnProvider::from_env(config)?))
}

fn make_ecs(config: &ProviderConfig) -> Result<SharedCredentialsProvider, CredentialsError> {
    if config.env().is_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
        return Err(CredentialsError::NotLoaded {
            provider: EcsRamRoleProvider::NAME,
            reason: "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED".into(),
        });
    }
    Ok(Arc::new(EcsRamRoleProvider::from_env(config)))
}

fn make_uri(config: &ProviderConfig) -> Result<SharedCredentialsProvider, CredentialsError> {
    Ok(Arc::new(CredentialsUriProvider::from_env(config)?))
}

/// The default Alibaba Cloud credentials chain, in the order of the official Python, Go and Node
/// libraries:
///
/// 1. environment variables ([`EnvironmentVariableProvider`]);
/// 2. OIDC role ARN, when `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and
///    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` are all set ([`OidcRoleArnProvider`]);
/// 3. the aliyun CLI profile, `~/.aliyun/config.json` ([`CliProfileProvider`]);
/// 4. the INI profile, `~/.alibabacloud/credentials.ini` or `credentials`
///    ([`ProfileFileProvider`]);
/// 5. the ECS RAM role from the instance metadata service, unless
///    `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` ([`EcsRamRoleProvider`]);
/// 6. the credentials URI, when `ALIBABA_CLOUD_CREDENTIALS_URI` is set ([`CredentialsUriProvider`]).
///
/// The chain itself does not cache; wrap it in a [`CachingProvider`] (or use
/// [`build_cached`](DefaultCredentialsChainBuilder::build_cached) or
/// [`default_provider`](super::default_provider)).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use mns_client::ProvideCredentials;
/// use mns_client::credentials::{CredentialsError, DefaultCredentialsChain, Env};
///
/// let chain = DefaultCredentialsChain::builder()
///     .env(Env::from_vars([("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")]))
///     .home_dir("/nonexistent")
///     .build();
/// match chain.provide_credentials().await {
///     Err(CredentialsError::NoneFound { tried }) => assert_eq!(tried.len(), 6),
///     other => panic!("{other:?}"),
/// }
/// # });
/// ```
#[derive(Debug)]
pub struct DefaultCredentialsChain {
    chain: CredentialsProviderChain,
}

/// Builder for [`DefaultCredentialsChain`].
#[derive(Debug, Default)]
pub struct DefaultCredentialsChainBuilder {
    config: ProviderConfig,
    profile: Option<String>,
    credentials_file: Option<PathBuf>,
    cli_config_file: Option<PathBuf>,
    no_reuse_last_provider: bool,
}

impl DefaultCredentialsChain {
    /// Starts a builder (process environment, system clock, real endpoints).
    pub fn builder() -> DefaultCredentialsChainBuilder {
        DefaultCredentialsChainBuilder::default()
    }

    /// Names of the providers, in the order they are tried.
    pub fn provider_names(&self) -> Vec<&str> {
        self.chain.provider_names()
    }
}

impl DefaultCredentialsChainBuilder {
    /// Replaces the whole provider configuration.
    pub fn configure(mut self, config: ProviderConfig) -> Self {
        self.config = config;
        self
    }

    /// Reads environment variables from `env`.
    pub fn env(mut self, env: Env) -> Self {
        self.config = self.config.with_env(env);
        self
    }

    /// Looks for `.alibabacloud/` and `.aliyun/` under `dir`.
    pub fn home_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config = self.config.with_home_dir(dir);
        self
    }

    /// Uses `time` as the clock.
    pub fn time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.config = self.config.with_time_source(time);
        self
    }

    /// Sends STS requests (AssumeRole, AssumeRoleWithOIDC) to `endpoint`.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config = self.config.with_sts_endpoint(endpoint);
        self
    }

    /// Uses `endpoint` as the ECS metadata service.
    pub fn ecs_metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config = self.config.with_ecs_metadata_endpoint(endpoint);
        self
    }

    /// Uses this profile in both profile files instead of `ALIBABA_CLOUD_PROFILE`.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Reads this INI credentials file.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials_file = Some(path.into());
        self
    }

    /// Reads this CLI `config.json`.
    pub fn cli_config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cli_config_file = Some(path.into());
        self
    }

    /// Whether to ask the provider that last succeeded first (default `true`).
    pub fn reuse_last_provider(mut self, reuse: bool) -> Self {
        self.no_reuse_last_provider = !reuse;
        self
    }

    /// Builds the chain.
    pub fn build(self) -> DefaultCredentialsChain {
        let config = &self.config;
        let mut cli = CliProfileProvider::new(config);
        let mut ini = ProfileFileProvider::new(config);
        if let Some(profile) = &self.profile {
            cli = cli.with_profile(profile.clone());
            ini = ini.with_profile(profile.clone());
        }
        if let Some(path) = self.cli_config_file {
            cli = cli.with_path(path);
        }
        if let Some(path) = self.credentials_file {
            ini = ini.with_path(path);
        }
        let chain = CredentialsProviderChain::first_try(
            EnvironmentVariableProvider::NAME,
            EnvironmentVariableProvider::new(config.env().clone()),
        )
        .or_else(
            OidcRoleArnProvider::NAME,
            Deferred::new(OidcRoleArnProvider::NAME, config, make_oidc),
        )
        .or_else(CliProfileProvider::NAME, cli)
        .or_else(ProfileFileProvider::NAME, ini)
        .or_else(
            EcsRamRoleProvider::NAME,
            Deferred::new(EcsRamRoleProvider::NAME, config, make_ecs),
        )
        .or_else(
            CredentialsUriProvider::NAME,
            Deferred::new(CredentialsUriProvider::NAME, config, make_uri),
        )
        .reuse_last_provider(!self.no_reuse_last_provider);
        DefaultCredentialsChain { chain }
    }

    /// Builds the chain inside a [`CachingProvider`] using the same clock.
    pub fn build_cached(self) -> CachingProvider {
        let time = self.config.time_source().clone();
        CachingProvider::builder(self.build())
            .time_source(time)
            .build()
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for DefaultCredentialsChain {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.chain.provide_credentials().await
    }
}
