//! Settings shared by every credential provider: environment, clock, home directory, endpoints.

use std::path::PathBuf;
use std::time::Duration;

use super::env::Env;
use crate::time::{SharedTimeSource, TimeSource};

/// Default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.aliyuncs.com";

/// Default ECS instance metadata service base URL.
pub const DEFAULT_ECS_METADATA_ENDPOINT: &str = "http://100.100.100.200";

/// Where providers read their environment from and whom they talk to.
///
/// The defaults are the process environment, the system clock, the home directory from
/// `HOME`/`USERPROFILE`, the STS endpoint derived from `ALIBABA_CLOUD_STS_REGION` and
/// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED` (else `https://sts.aliyuncs.com`) and the metadata service
/// at `http://100.100.100.200`. Tests and emulators override them.
///
/// ```
/// use mns_client::credentials::{Env, ProviderConfig};
///
/// let config = ProviderConfig::new()
///     .with_env(Env::from_vars([("ALIBABA_CLOUD_STS_REGION", "cn-hangzhou")]));
/// assert_eq!(config.sts_endpoint(), "https://sts.cn-hangzhou.aliyuncs.com");
/// let config = config.with_sts_endpoint("http://127.0.0.1:8080");
/// assert_eq!(config.sts_endpoint(), "http://127.0.0.1:8080");
/// ```
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    env: Env,
    time: SharedTimeSource,
    home_dir: Option<PathBuf>,
    sts_endpoint: Option<String>,
    ecs_metadata_endpoint: Option<String>,
    http_timeout: Duration,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig::new()
    }
}

impl ProviderConfig {
    /// The defaults: process environment, system clock, real endpoints.
    pub fn new() -> Self {
        ProviderConfig {
            env: Env::process(),
            time: SharedTimeSource::default(),
            home_dir: None,
            sts_endpoint: None,
            ecs_metadata_endpoint: None,
            http_timeout: Duration::from_secs(10),
        }
    }

    /// Reads environment variables from `env` instead of the process environment.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Uses `time` as the clock (expiry checks, STS timestamps); any [`TimeSource`], a
    /// [`SharedTimeSource`] included.
    pub fn with_time_source(mut self, time: impl TimeSource + 'static) -> Self {
        self.time = SharedTimeSource::new(time);
        self
    }

    /// Uses `dir` as the home directory (where `.alibabacloud/` and `.aliyun/` are looked up).
    pub fn with_home_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.home_dir = Some(dir.into());
        self
    }

    /// Sends STS requests to `endpoint` (scheme and host, e.g. `http://127.0.0.1:9000`).
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// Uses `endpoint` as the ECS metadata service base URL instead of `http://100.100.100.200`.
    pub fn with_ecs_metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.ecs_metadata_endpoint = Some(endpoint.into());
        self
    }

    /// Overall timeout of one STS or credentials-URI request (default 10 s). The metadata service
    /// always uses 1 s, as the official libraries do.
    pub fn with_http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// The environment providers read.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The clock.
    pub fn time_source(&self) -> &SharedTimeSource {
        &self.time
    }

    /// The home directory: the override, else `HOME`/`USERPROFILE` from [`env`](Self::env).
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.home_dir.clone().or_else(|| self.env.home_dir())
    }

    /// The STS endpoint: the override; else `https://sts-vpc.{region}.aliyuncs.com` when
    /// `ALIBABA_CLOUD_STS_REGION` is set and `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`; else
    /// `https://sts.{region}.aliyuncs.com` when the region is set; else `https://sts.aliyuncs.com`.
    pub fn sts_endpoint(&self) -> String {
        if let Some(endpoint) = &self.sts_endpoint {
            return endpoint.trim_end_matches('/').to_string();
        }
        let vpc = self.env.is_true("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
        sts_endpoint_for(self.env.get("ALIBABA_CLOUD_STS_REGION").as_deref(), vpc)
    }

    /// Whether an STS endpoint was set explicitly with [`with_sts_endpoint`](Self::with_sts_endpoint).
    pub fn has_sts_endpoint_override(&self) -> bool {
        self.sts_endpoint.is_some()
    }

    /// The ECS metadata service base URL.
    pub fn ecs_metadata_endpoint(&self) -> String {
        self.ecs_metadata_endpoint
            .as_deref()
            .unwrap_or(DEFAULT_ECS_METADATA_ENDPOINT)
            .trim_end_matches('/')
            .to_string()
    }

    /// Timeout of one STS or credentials-URI request.
    pub fn http_timeout(&self) -> Duration {
        self.http_timeout
    }
}

/// The STS endpoint for an optional region, public or VPC.
///
/// ```
/// use mns_client::credentials::sts_endpoint_for;
/// assert_eq!(sts_endpoint_for(None, false), "https://sts.aliyuncs.com");
/// assert_eq!(sts_endpoint_for(Some("cn-beijing"), true), "https://sts-vpc.cn-beijing.aliyuncs.com");
/// ```
pub fn sts_endpoint_for(region: Option<&str>, vpc: bool) -> String {
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(region) if vpc => format!("https://sts-vpc.{region}.aliyuncs.com"),
        Some(region) => format!("https://sts.{region}.aliyuncs.com"),
        None => DEFAULT_STS_ENDPOINT.to_string(),
    }
}
