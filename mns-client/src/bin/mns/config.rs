//! From the global options to a [`Client`]: endpoint, credentials, signature, embedded emulator.

use std::time::Duration;

use mns_client::credentials::{CachingProvider, CliProfileProvider, ProviderConfig};
use mns_client::{BodyCodec, Client, Credentials, Endpoint, Queue, RetryConfig, SignatureVersion};
use mns_emulator::RunningEmulator;

use crate::args::{Codec, GlobalArgs};
use crate::output::CliError;

/// What every command works with.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) codec: BodyCodec,
    emulator: Option<RunningEmulator>,
}

impl Context {
    /// Builds the client the global options describe; with `--emulator`, starts one first.
    pub(crate) async fn connect(args: &GlobalArgs) -> Result<Context, CliError> {
        let version: SignatureVersion = args.signature_version.parse()?;
        let codec = match args.codec {
            Codec::Raw => BodyCodec::Raw,
            Codec::Base64 => BodyCodec::Base64,
        };
        let (builder, emulator) = if args.emulator {
            let emulator = mns_emulator::Emulator::builder()
                .start()
                .await
                .map_err(|e| CliError::other(format!("cannot start the emulator: {e}")))?;
            let key = emulator.access_key();
            let builder = Client::builder(Endpoint::from_url(emulator.endpoint())?)
                .credentials(Credentials::new(key.id(), key.secret()))
                .region(emulator.region());
            (builder, Some(emulator))
        } else {
            let endpoint = endpoint(args)?;
            let mut builder = Client::builder(endpoint);
            builder = match &args.profile {
                Some(profile) => builder.credentials(CachingProvider::new(
                    CliProfileProvider::new(&ProviderConfig::new()).with_profile(profile),
                )),
                None => builder.credentials(mns_client::credentials::default_provider()),
            };
            if let Some(region) = args.region.as_deref().filter(|r| !r.trim().is_empty()) {
                builder = builder.region(region.trim());
            }
            (builder, None)
        };
        let client = builder
            .signature_version(version)
            .request_timeout(Duration::from_secs(args.timeout.max(1)))
            .retry(RetryConfig {
                max_retries: args.max_retries,
                ..RetryConfig::default()
            })
            .build()?;
        Ok(Context {
            client,
            codec,
            emulator,
        })
    }

    /// A queue handle with the chosen codec.
    pub(crate) fn queue(&self, name: &str) -> Result<Queue, CliError> {
        Ok(self.client.queue(name)?.with_codec(self.codec))
    }

    /// Stops the embedded emulator, if any.
    pub(crate) async fn shutdown(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

fn endpoint(args: &GlobalArgs) -> Result<Endpoint, CliError> {
    if let Some(url) = args.endpoint.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok(Endpoint::from_url(url.trim())?);
    }
    match (args.account_id.as_deref(), args.region.as_deref()) {
        (Some(account), Some(region)) if args.internal => Ok(Endpoint::internal(account, region)?),
        (Some(account), Some(region)) => Ok(Endpoint::public(account, region)?),
        _ => Err(CliError::invalid(
            "no endpoint: pass --endpoint (or set MNS_ENDPOINT), or --account-id and --region \
             (MNS_ACCOUNT_ID, MNS_REGION), or --emulator",
        )),
    }
}
