//! Shared set-up for the examples: real MNS when `MNS_ENDPOINT` is set, otherwise an emulator
//! embedded in the example process.
//!
//! * `MNS_ENDPOINT`: the account endpoint, e.g. `https://1234567890123456.mns.cn-hangzhou.aliyuncs.com`.
//!   Credentials then come from the Alibaba Cloud default chain (`ALIBABA_CLOUD_ACCESS_KEY_ID`,
//!   `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, optionally `ALIBABA_CLOUD_SECURITY_TOKEN`, profile files,
//!   ECS RAM role, ...).
//! * `MNS_EXAMPLE_PREFIX`: prefix for the queue and topic names the examples create (default
//!   `mns-rs-example`), so they never collide with your own resources.
//!
//! Each example includes this file with `mod common;`. To copy an example into your own project,
//! replace `common::connect()` with your own client construction.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "shared by several binaries, each using a part"
)]

use std::error::Error;

use mns_client::{Client, Credentials, Endpoint, SignatureVersion};
use mns_emulator::{Emulator, RunningEmulator};

/// The error type of the examples' `main`.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Where an example is running: a client, and the embedded emulator when there is one.
pub struct Env {
    /// A client for MNS or the emulator.
    pub client: Client,
    /// The embedded emulator (kept alive as long as this value); `None` against real MNS.
    pub emulator: Option<RunningEmulator>,
    prefix: String,
}

impl Env {
    /// Whether the example talks to the embedded emulator.
    pub fn is_emulator(&self) -> bool {
        self.emulator.is_some()
    }

    /// A resource name for this example: `{prefix}-{suffix}`.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    /// The account id and region, for queue subscription endpoints
    /// (`acs:mns:{region}:{account}:queues/{name}`): the emulator's, or parsed from an endpoint
    /// such as `https://{account}.mns.{region}.aliyuncs.com` (override with `MNS_ACCOUNT_ID` and
    /// `MNS_REGION`).
    pub fn account_and_region(&self) -> Result<(String, String), BoxError> {
        if let Some(emu) = &self.emulator {
            return Ok((emu.account_id().to_owned(), emu.region().to_owned()));
        }
        let host = self.client.endpoint().host().to_owned();
        let mut parts = host.split('.');
        let parsed = match (parts.next(), parts.next(), parts.next()) {
            (Some(account), Some("mns"), Some(region)) => {
                // `cn-hangzhou-internal` / `-internal-vpc` endpoints name the same region.
                let region = region.split("-internal").next().unwrap_or(region);
                Some((account.to_owned(), region.to_owned()))
            }
            _ => None,
        };
        match (
            std::env::var("MNS_ACCOUNT_ID"),
            std::env::var("MNS_REGION"),
            parsed,
        ) {
            (Ok(account), Ok(region), _) => Ok((account, region)),
            (_, _, Some(found)) => Ok(found),
            _ => Err(format!(
                "cannot tell account id and region from {host}; set MNS_ACCOUNT_ID and MNS_REGION"
            )
            .into()),
        }
    }

    /// Stops the embedded emulator, if any.
    pub async fn shutdown(self) {
        if let Some(emu) = self.emulator {
            emu.shutdown().await;
        }
    }
}

/// Connects to real MNS when `MNS_ENDPOINT` is set, or starts an embedded emulator.
pub async fn connect() -> Result<Env, BoxError> {
    let prefix =
        std::env::var("MNS_EXAMPLE_PREFIX").unwrap_or_else(|_| "mns-rs-example".to_owned());
    match std::env::var(mns_client::ENDPOINT_ENV) {
        Ok(url) if !url.trim().is_empty() => {
            let client = Client::from_env()?;
            println!("using MNS at {}", client.endpoint().as_str());
            Ok(Env {
                client,
                emulator: None,
                prefix,
            })
        }
        _ => {
            let emu = Emulator::builder().start().await?;
            let key = emu.access_key();
            // MNS_SIGNATURE_VERSION=v4 signs with V4 (the emulator accepts both schemes).
            let version = match std::env::var(mns_client::SIGNATURE_VERSION_ENV) {
                Ok(v) if !v.trim().is_empty() => v.parse()?,
                _ => SignatureVersion::default(),
            };
            let client = Client::builder(Endpoint::from_url(emu.endpoint())?)
                .credentials(Credentials::new(key.id(), key.secret()))
                .signature_version(version)
                .region(emu.region())
                .build()?;
            println!(
                "MNS_ENDPOINT is not set: using an embedded emulator at {} (signing with {version})",
                emu.endpoint()
            );
            Ok(Env {
                client,
                emulator: Some(emu),
                prefix,
            })
        }
    }
}

/// Installs a `tracing` subscriber (`RUST_LOG=debug` for more detail; default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
