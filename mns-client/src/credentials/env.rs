//! Injectable access to environment variables.
//!
//! Providers never call `std::env::var` directly: they read through an [`Env`], which is either
//! the real process environment ([`Env::process`]) or a fixed map ([`Env::from_vars`]), so tests
//! never have to mutate the process environment (`std::env::set_var` is `unsafe` in edition 2024).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A source of environment variables.
///
/// Empty values are treated as unset, as the Alibaba Cloud credential libraries do.
/// `Debug` shows variable names only, never values.
///
/// ```
/// use mns_client::credentials::Env;
/// let env = Env::from_vars([("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI_example"), ("EMPTY", "")]);
/// assert_eq!(env.get("ALIBABA_CLOUD_ACCESS_KEY_ID").as_deref(), Some("LTAI_example"));
/// assert_eq!(env.get("EMPTY"), None);
/// ```
#[derive(Clone)]
pub struct Env {
    inner: Arc<EnvInner>,
}

enum EnvInner {
    Process,
    Map(HashMap<String, String>),
}

impl Env {
    /// The real process environment.
    pub fn process() -> Self {
        Env {
            inner: Arc::new(EnvInner::Process),
        }
    }

    /// A fixed set of variables (everything else is unset).
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            inner: Arc::new(EnvInner::Map(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The value of `name`, or `None` when it is unset, empty or not valid Unicode.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &*self.inner {
            EnvInner::Process => std::env::var(name).ok(),
            EnvInner::Map(map) => map.get(name).cloned(),
        };
        value.filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set, with the name it was found under.
    pub fn get_any(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names
            .iter()
            .find_map(|name| self.get(name).map(|value| (*name, value)))
    }

    /// Whether `name` is set to `true` (case-insensitive), the convention for switches such as
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED`.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// The user's home directory: `HOME`, else `USERPROFILE` (Windows).
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.get_any(&["HOME", "USERPROFILE"])
            .map(|(_, dir)| PathBuf::from(dir))
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::process()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            EnvInner::Process => f.write_str("Env::Process"),
            EnvInner::Map(map) => {
                let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
                names.sort_unstable();
                f.debug_struct("Env::Map").field("names", &names).finish()
            }
        }
    }
}

/// Names of the AccessKey ID variable, current first, then legacy fallbacks.
pub const ACCESS_KEY_ID_VARS: [&str; 2] =
    ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_Id"];
/// Name of the AccessKey secret variable paired with [`ACCESS_KEY_ID_VARS`].
pub const ACCESS_KEY_SECRET_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Legacy pair read by aliyun-python-sdk-core: (ID, secret).
pub const LEGACY_ALIYUN_VARS: (&str, &str) = ("ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET");
/// Names of the STS token variable, current first, then the legacy name of the MNS Python sample.
pub const SECURITY_TOKEN_VARS: [&str; 2] = [
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_ACCESS_SECURITY_TOKEN",
];

/// Credentials from environment variables.
///
/// Reads `ALIBABA_CLOUD_ACCESS_KEY_ID` (legacy spelling `ALIBABA_CLOUD_ACCESS_KEY_Id`) with
/// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, or else the legacy pair `ALIYUN_ACCESS_KEY_ID` /
/// `ALIYUN_ACCESS_KEY_SECRET`; plus `ALIBABA_CLOUD_SECURITY_TOKEN` (legacy
/// `ALIBABA_CLOUD_ACCESS_SECURITY_TOKEN`) for STS credentials. An ID without its secret is an
/// [`InvalidConfiguration`](super::CredentialsError::InvalidConfiguration) error; no ID at all is
/// [`NotLoaded`](super::CredentialsError::NotLoaded).
///
/// ```
/// # tokio_test_block_on(async {
/// use mns_client::credentials::{Env, EnvironmentVariableProvider};
/// use mns_client::ProvideCredentials;
///
/// let env = Env::from_vars([
///     ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI_example"),
///     ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "example-secret"),
/// ]);
/// let creds = EnvironmentVariableProvider::new(env).provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "LTAI_example");
/// assert_eq!(creds.security_token(), None);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EnvironmentVariableProvider {
    env: Env,
}

impl EnvironmentVariableProvider {
    /// Provider name used in errors.
    pub const NAME: &'static str = "environment";

    /// Reads from `env`.
    pub fn new(env: Env) -> Self {
        EnvironmentVariableProvider { env }
    }

    /// Reads from the process environment.
    pub fn from_process_env() -> Self {
        EnvironmentVariableProvider::new(Env::process())
    }

    fn load(&self) -> Result<super::Credentials, super::CredentialsError> {
        use super::CredentialsError;
        let (id_var, id, secret_var) =
            if let Some((var, id)) = self.env.get_any(&ACCESS_KEY_ID_VARS) {
                (var, id, ACCESS_KEY_SECRET_VAR)
            } else if let Some(id) = self.env.get(LEGACY_ALIYUN_VARS.0) {
                (LEGACY_ALIYUN_VARS.0, id, LEGACY_ALIYUN_VARS.1)
            } else {
                return Err(CredentialsError::NotLoaded {
                    provider: Self::NAME,
                    reason: format!(
                        "none of {}, {}, {} is set",
                        ACCESS_KEY_ID_VARS[0], ACCESS_KEY_ID_VARS[1], LEGACY_ALIYUN_VARS.0
                    ),
                });
            };
        let Some(secret) = self.env.get(secret_var) else {
            return Err(CredentialsError::InvalidConfiguration {
                provider: Self::NAME,
                reason: format!("{id_var} is set but {secret_var} is not"),
            });
        };
        Ok(match self.env.get_any(&SECURITY_TOKEN_VARS) {
            Some((_, token)) => super::Credentials::with_security_token(id, secret, token, None),
            None => super::Credentials::new(id, secret),
        })
    }
}

#[async_trait::async_trait]
impl super::ProvideCredentials for EnvironmentVariableProvider {
    async fn provide_credentials(&self) -> Result<super::Credentials, super::CredentialsError> {
        self.load()
    }
}
