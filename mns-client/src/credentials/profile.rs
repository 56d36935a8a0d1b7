//! Profile files: the INI credentials file (`~/.alibabacloud/credentials[.ini]`) and the aliyun
//! CLI configuration (`~/.aliyun/config.json`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::cache::CachingProvider;
use super::config::{ProviderConfig, sts_endpoint_for};
use super::ecs::EcsRamRoleProvider;
use super::sts::{AssumeRoleProvider, OidcRoleArnProvider};
use super::{Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider};

/// Environment variable naming the profile (INI section or CLI profile).
pub const PROFILE_VAR: &str = "ALIBABA_CLOUD_PROFILE";
/// Environment variable holding the INI credentials file path.
pub const CREDENTIALS_FILE_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// Environment variable holding the CLI `config.json` path.
pub const CLI_CONFIG_FILE_VAR: &str = "ALIBABA_CLOUD_CONFIG_FILE";
/// Environment variable that disables the CLI-profile provider when `true`.
pub const CLI_PROFILE_DISABLED_VAR: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";

fn not_loaded(provider: &'static str, reason: impl Into<String>) -> CredentialsError {
    CredentialsError::NotLoaded {
        provider,
        reason: reason.into(),
    }
}

fn invalid(provider: &'static str, reason: impl Into<String>) -> CredentialsError {
    CredentialsError::InvalidConfiguration {
        provider,
        reason: reason.into(),
    }
}

fn read_file(provider: &'static str, path: &Path) -> Result<String, CredentialsError> {
    std::fs::read_to_string(path).map_err(|e| CredentialsError::ProviderError {
        provider,
        reason: format!("could not read {}", path.display()),
        source: Some(Box::new(e)),
    })
}

/// Where the STS requests of a profile go: the explicit override, else the profile's region.
fn profile_sts_config(config: &ProviderConfig, region: Option<&str>, vpc: bool) -> ProviderConfig {
    match region.filter(|r| !r.trim().is_empty()) {
        Some(region) if !config.has_sts_endpoint_override() => config
            .clone()
            .with_sts_endpoint(sts_endpoint_for(Some(region), vpc)),
        _ => config.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// INI file
// ---------------------------------------------------------------------------------------------

/// Credentials from a profile of the INI credentials file.
///
/// The file is `ALIBABA_CLOUD_CREDENTIALS_FILE` if set, else `~/.alibabacloud/credentials.ini`
/// (Java, Python), else `~/.alibabacloud/credentials` (Go, Node). The section is
/// `ALIBABA_CLOUD_PROFILE`, else `default`. Its `type` selects the provider:
///
/// ```ini
/// [default]
/// type = access_key                 ; access_key_id, access_key_secret
/// access_key_id = LTAI_example
/// access_key_secret = example-secret
///
/// [ecs]
/// type = ecs_ram_role               ; role_name (optional: discovered)
/// role_name = MyEcsRole
///
/// [assume]
/// type = ram_role_arn               ; access_key_id, access_key_secret, role_arn,
/// access_key_id = LTAI_example      ; role_session_name, policy, duration_seconds (optional)
/// access_key_secret = example-secret
/// role_arn = acs:ram::1234567890123456:role/mns-publisher
/// role_session_name = mns-app
///
/// [k8s]
/// type = oidc_role_arn              ; role_arn, oidc_provider_arn, oidc_token_file_path,
/// role_arn = acs:ram::1234567890123456:role/mns-publisher   ; role_session_name, policy
/// oidc_provider_arn = acs:ram::1234567890123456:oidc-provider/ack
/// oidc_token_file_path = /var/run/secrets/tokens/oidc-token
/// ```
///
/// Text after ` ;` or ` #` is a comment. No file: [`NotLoaded`](CredentialsError::NotLoaded).
/// The profile is parsed on first use and its provider kept.
#[derive(Debug)]
pub struct ProfileFileProvider {
    config: ProviderConfig,
    path: Option<PathBuf>,
    profile: Option<String>,
    resolved: OnceCell<SharedCredentialsProvider>,
}

impl ProfileFileProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "profile_file";

    /// The provider with file and profile taken from `config`'s environment and home directory.
    pub fn new(config: &ProviderConfig) -> Self {
        ProfileFileProvider {
            config: config.clone(),
            path: None,
            profile: None,
            resolved: OnceCell::new(),
        }
    }

    /// Reads this file instead.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Uses this profile (section) instead.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    fn locate(&self) -> Result<PathBuf, CredentialsError> {
        if let Some(path) = &self.path {
            return Ok(path.clone());
        }
        if let Some(path) = self.config.env().get(CREDENTIALS_FILE_VAR) {
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(invalid(
                    Self::NAME,
                    format!(
                        "{CREDENTIALS_FILE_VAR} names {}, which is not a file",
                        path.display()
                    ),
                ));
            }
            return Ok(path);
        }
        let Some(home) = self.config.home_dir() else {
            return Err(not_loaded(
                Self::NAME,
                "no home directory (HOME/USERPROFILE unset)",
            ));
        };
        let dir = home.join(".alibabacloud");
        let candidates = [dir.join("credentials.ini"), dir.join("credentials")];
        candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| {
                not_loaded(
                    Self::NAME,
                    format!(
                        "neither {} nor {} exists",
                        candidates[0].display(),
                        candidates[1].display()
                    ),
                )
            })
    }

    fn resolve(&self) -> Result<SharedCredentialsProvider, CredentialsError> {
        let path = self.locate()?;
        if !path.is_file() {
            return Err(not_loaded(
                Self::NAME,
                format!("{} does not exist", path.display()),
            ));
        }
        let text = read_file(Self::NAME, &path)?;
        let options = ini::ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            ..ini::ParseOption::default()
        };
        let ini = ini::Ini::load_from_str_opt(&text, options).map_err(|e| {
            invalid(
                Self::NAME,
                format!(
                    "{} is not valid INI (line {}, column {})",
                    path.display(),
                    e.line,
                    e.col
                ),
            )
        })?;
        let (profile, explicit) = match (&self.profile, self.config.env().get(PROFILE_VAR)) {
            (Some(p), _) => (p.clone(), true),
            (None, Some(p)) => (p, true),
            (None, None) => ("default".to_string(), false),
        };
        let Some(section) = ini.section(Some(profile.as_str())) else {
            let reason = format!("{} has no [{profile}] section", path.display());
            return Err(if explicit {
                invalid(Self::NAME, reason)
            } else {
                not_loaded(Self::NAME, reason)
            });
        };
        let values: HashMap<String, String> = section
            .iter()
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        ini_profile_provider(&self.config, &profile, &values)
    }
}

fn ini_profile_provider(
    config: &ProviderConfig,
    profile: &str,
    values: &HashMap<String, String>,
) -> Result<SharedCredentialsProvider, CredentialsError> {
    const NAME: &str = ProfileFileProvider::NAME;
    let get = |key: &str| values.get(key).cloned();
    let require = |key: &str| {
        get(key).ok_or_else(|| invalid(NAME, format!("profile [{profile}] lacks {key}")))
    };
    let kind = require("type")?;
    Ok(match kind.as_str() {
        "access_key" => Arc::new(Credentials::new(
            require("access_key_id")?,
            require("access_key_secret")?,
        )),
        "ecs_ram_role" => {
            let mut builder = EcsRamRoleProvider::builder().configure(config);
            if let Some(role) = get("role_name") {
                builder = builder.role_name(role);
            }
            Arc::new(builder.build())
        }
        "ram_role_arn" => {
            let source = Credentials::new(require("access_key_id")?, require("access_key_secret")?);
            let mut builder = AssumeRoleProvider::builder(require("role_arn")?, source).configure(
                &profile_sts_config(config, get("sts_region").as_deref(), false),
            );
            if let Some(name) = get("role_session_name") {
                builder = builder.role_session_name(name);
            }
            if let Some(policy) = get("policy") {
                builder = builder.policy(policy);
            }
            if let Some(duration) = get("duration_seconds") {
                builder = builder.duration_seconds(parse_seconds(NAME, &duration)?);
            }
            Arc::new(builder.build()?)
        }
        "oidc_role_arn" => {
            let mut builder = OidcRoleArnProvider::builder(
                require("role_arn")?,
                require("oidc_provider_arn")?,
                require("oidc_token_file_path")?,
            )
            .configure(config);
            if let Some(name) = get("role_session_name") {
                builder = builder.role_session_name(name);
            }
            if let Some(policy) = get("policy") {
                builder = builder.policy(policy);
            }
            Arc::new(builder.build()?)
        }
        other => {
            return Err(invalid(
                NAME,
                format!(
                    "profile [{profile}] has unsupported type {other:?} \
                     (supported: access_key, ecs_ram_role, ram_role_arn, oidc_role_arn)"
                ),
            ));
        }
    })
}

fn parse_seconds(provider: &'static str, value: &str) -> Result<u32, CredentialsError> {
    value.trim().parse().map_err(|_| {
        invalid(
            provider,
            format!("duration {value:?} is not a whole number of seconds"),
        )
    })
}

#[async_trait::async_trait]
impl ProvideCredentials for ProfileFileProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let provider = self
            .resolved
            .get_or_try_init(|| async { self.resolve() })
            .await?;
        provider.provide_credentials().await
    }
}

// ---------------------------------------------------------------------------------------------
// aliyun CLI config.json
// ---------------------------------------------------------------------------------------------

/// Parsed `config.json` (holds secrets: deliberately no `Debug`).
#[derive(Deserialize)]
struct CliConfig {
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

/// One CLI profile (holds secrets: deliberately no `Debug`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct CliProfile {
    name: String,
    mode: String,
    access_key_id: String,
    access_key_secret: String,
    sts_token: String,
    ram_role_arn: String,
    ram_session_name: String,
    role_session_name: String,
    expired_seconds: u32,
    sts_region: String,
    enable_vpc: bool,
    policy: String,
    external_id: String,
    ram_role_name: String,
    oidc_provider_arn: String,
    oidc_token_file: String,
    source_profile: String,
}

/// Credentials from a profile of the aliyun CLI configuration, `~/.aliyun/config.json`
/// (`ALIBABA_CLOUD_CONFIG_FILE` overrides the path).
///
/// The profile is `ALIBABA_CLOUD_PROFILE`, else the file's `current`. Supported modes: `AK`,
/// `StsToken`, `RamRoleArn`, `EcsRamRole`, `OIDC` and `ChainableRamRoleArn` (assume a role with
/// the credentials of `source_profile`). `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` turns the
/// provider off.
///
/// ```json
/// {
///   "current": "default",
///   "profiles": [
///     {"name": "default", "mode": "AK", "access_key_id": "LTAI_example", "access_key_secret": "example-secret"},
///     {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAI_example", "access_key_secret": "example-secret",
///      "ram_role_arn": "acs:ram::1234567890123456:role/r", "ram_session_name": "s", "expired_seconds": 3600,
///      "sts_region": "cn-hangzhou"},
///     {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "default",
///      "ram_role_arn": "acs:ram::1234567890123456:role/r2", "ram_session_name": "s2"}
///   ]
/// }
/// ```
#[derive(Debug)]
pub struct CliProfileProvider {
    config: ProviderConfig,
    path: Option<PathBuf>,
    profile: Option<String>,
    resolved: OnceCell<SharedCredentialsProvider>,
}

impl CliProfileProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "cli_profile";

    /// The provider with file and profile taken from `config`'s environment and home directory.
    pub fn new(config: &ProviderConfig) -> Self {
        CliProfileProvider {
            config: config.clone(),
            path: None,
            profile: None,
            resolved: OnceCell::new(),
        }
    }

    /// Reads this file instead.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Uses this profile instead.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    fn resolve(&self) -> Result<SharedCredentialsProvider, CredentialsError> {
        let env = self.config.env();
        if env.is_true(CLI_PROFILE_DISABLED_VAR) {
            return Err(not_loaded(
                Self::NAME,
                format!("disabled by {CLI_PROFILE_DISABLED_VAR}"),
            ));
        }
        let path = match (&self.path, env.get(CLI_CONFIG_FILE_VAR)) {
            (Some(path), _) => path.clone(),
            (None, Some(path)) => PathBuf::from(path),
            (None, None) => match self.config.home_dir() {
                Some(home) => home.join(".aliyun").join("config.json"),
                None => {
                    return Err(not_loaded(
                        Self::NAME,
                        "no home directory (HOME/USERPROFILE unset)",
                    ));
                }
            },
        };
        if !path.is_file() {
            return Err(not_loaded(
                Self::NAME,
                format!("{} does not exist", path.display()),
            ));
        }
        let text = read_file(Self::NAME, &path)?;
        let file: CliConfig = serde_json::from_str(&text).map_err(|e| {
            invalid(
                Self::NAME,
                format!(
                    "{} is not a valid CLI configuration (error at line {} column {})",
                    path.display(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let profile = self
            .profile
            .clone()
            .or_else(|| env.get(PROFILE_VAR))
            .or_else(|| file.current.clone().filter(|c| !c.is_empty()))
            .ok_or_else(|| {
                invalid(
                    Self::NAME,
                    format!(
                        "{} has no current profile and {PROFILE_VAR} is unset",
                        path.display()
                    ),
                )
            })?;
        cli_profile_provider(&self.config, &file, &profile, 0)
    }
}

/// How deep `ChainableRamRoleArn` may nest (guards against cycles).
const MAX_SOURCE_PROFILE_DEPTH: usize = 8;

fn cli_profile_provider(
    config: &ProviderConfig,
    file: &CliConfig,
    name: &str,
    depth: usize,
) -> Result<SharedCredentialsProvider, CredentialsError> {
    const NAME: &str = CliProfileProvider::NAME;
    if depth > MAX_SOURCE_PROFILE_DEPTH {
        return Err(invalid(
            NAME,
            format!(
                "source_profile chain deeper than {MAX_SOURCE_PROFILE_DEPTH} (a cycle?) at {name:?}"
            ),
        ));
    }
    let Some(p) = file.profiles.iter().find(|p| p.name == name) else {
        return Err(invalid(NAME, format!("no profile named {name:?}")));
    };
    let require = |field: &str, value: &str| {
        if value.is_empty() {
            Err(invalid(
                NAME,
                format!("profile {name:?} (mode {}) lacks {field}", p.mode),
            ))
        } else {
            Ok(value.to_string())
        }
    };
    let assume_role =
        |source: SharedCredentialsProvider| -> Result<SharedCredentialsProvider, CredentialsError> {
            let sts_config = profile_sts_config(config, Some(p.sts_region.as_str()), p.enable_vpc);
            let mut builder = AssumeRoleProvider::builder_shared(
                require("ram_role_arn", &p.ram_role_arn)?,
                source,
            )
            .configure(&sts_config)
            .policy(p.policy.clone())
            .external_id(p.external_id.clone());
            if !p.ram_session_name.is_empty() {
                builder = builder.role_session_name(p.ram_session_name.clone());
            }
            if p.expired_seconds > 0 {
                builder = builder.duration_seconds(p.expired_seconds);
            }
            Ok(Arc::new(builder.build()?))
        };
    Ok(match p.mode.as_str() {
        "AK" => Arc::new(Credentials::new(
            require("access_key_id", &p.access_key_id)?,
            require("access_key_secret", &p.access_key_secret)?,
        )),
        "StsToken" => Arc::new(Credentials::with_security_token(
            require("access_key_id", &p.access_key_id)?,
            require("access_key_secret", &p.access_key_secret)?,
            require("sts_token", &p.sts_token)?,
            None,
        )),
        "RamRoleArn" => assume_role(Arc::new(Credentials::new(
            require("access_key_id", &p.access_key_id)?,
            require("access_key_secret", &p.access_key_secret)?,
        )))?,
        "EcsRamRole" => {
            let mut builder = EcsRamRoleProvider::builder().configure(config);
            if !p.ram_role_name.is_empty() {
                builder = builder.role_name(p.ram_role_name.clone());
            }
            Arc::new(builder.build())
        }
        "OIDC" => {
            let mut builder = OidcRoleArnProvider::builder(
                require("ram_role_arn", &p.ram_role_arn)?,
                require("oidc_provider_arn", &p.oidc_provider_arn)?,
                require("oidc_token_file", &p.oidc_token_file)?,
            )
            .configure(&profile_sts_config(
                config,
                Some(p.sts_region.as_str()),
                p.enable_vpc,
            ))
            .policy(p.policy.clone());
            let session = if p.role_session_name.is_empty() {
                &p.ram_session_name
            } else {
                &p.role_session_name
            };
            if !session.is_empty() {
                builder = builder.role_session_name(session.clone());
            }
            if p.expired_seconds > 0 {
                builder = builder.duration_seconds(p.expired_seconds);
            }
            Arc::new(builder.build()?)
        }
        "ChainableRamRoleArn" => {
            let source_name = require("source_profile", &p.source_profile)?;
            let source = cli_profile_provider(config, file, &source_name, depth + 1)?;
            // The source may itself be STS-based: cache it so each refresh costs one STS call.
            let cached_source = CachingProvider::builder_shared(source)
                .time_source(config.time_source().clone())
                .build();
            assume_role(Arc::new(cached_source))?
        }
        other => {
            return Err(invalid(
                NAME,
                format!(
                    "profile {name:?} has unsupported mode {other:?} (supported: AK, StsToken, \
                     RamRoleArn, EcsRamRole, OIDC, ChainableRamRoleArn)"
                ),
            ));
        }
    })
}

#[async_trait::async_trait]
impl ProvideCredentials for CliProfileProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let provider = self
            .resolved
            .get_or_try_init(|| async { self.resolve() })
            .await?;
        provider.provide_credentials().await
    }
}
