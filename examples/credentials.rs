//! Every way to configure credentials, each used for a real round trip (send, receive, delete).
//!
//! ```sh
//! cargo run --example credentials     # embedded emulator, with its STS and ECS metadata service
//! MNS_ENDPOINT=https://<account>.mns.<region>.aliyuncs.com \
//!     cargo run --example credentials # real MNS, credentials from the default chain
//! ```
//!
//! Against the embedded emulator it shows, in order: static access keys, a fixed STS token,
//! environment variables read by the default chain (in a child process, so the variables are
//! really in its environment), a RAM role (STS `AssumeRole`), the ECS instance's RAM role (metadata
//! service), an OIDC role (RRSA, STS `AssumeRoleWithOIDC`) and the default chain finding the OIDC
//! settings. Against real MNS only the default chain runs: configure it with the usual
//! `ALIBABA_CLOUD_*` variables, `~/.alibabacloud/credentials`, `~/.aliyun/config.json` or an ECS
//! RAM role.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mns_client::credentials::{
    AssumeRoleProvider, CachingProvider, DefaultCredentialsChain, EcsRamRoleProvider, Env,
    OidcRoleArnProvider, ProviderConfig,
};
use mns_client::{Client, Credentials, Endpoint, QueueOptions, SharedCredentialsProvider};
use mns_emulator::RunningEmulator;

/// Given to the child process that demonstrates environment variables.
const FROM_ENV_FLAG: &str = "--from-env";
const ROLE_ARN: &str = "acs:ram::1234567890123456:role/mns-example";
const OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/ack-example";

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let child = std::env::args().any(|a| a == FROM_ENV_FLAG);
    let env = common::connect().await?;
    let queue = env.name("credentials");
    match &env.emulator {
        Some(emu) if !child => every_way(emu, &queue).await?,
        _ => {
            // Real MNS, or the child process: `Client::from_env()` reads `MNS_ENDPOINT` and
            // takes credentials from `mns_client::credentials::default_provider()`, the default
            // chain over the process environment.
            let label = if child {
                "environment variables (Client::from_env in a child process)"
            } else {
                "default chain (Client::from_env)"
            };
            let client = mns_client::Client::from_env()?;
            client
                .create_queue(&queue, &QueueOptions::default())
                .await?;
            round_trip(label, &client, &queue).await?;
            if !child {
                client.delete_queue(&queue).await?;
            }
        }
    }
    env.shutdown().await;
    Ok(())
}

/// Every way, against the embedded emulator.
async fn every_way(emu: &RunningEmulator, queue: &str) -> Result<(), common::BoxError> {
    let endpoint = Endpoint::from_url(emu.endpoint())?;
    let client_with = |credentials: SharedCredentialsProvider| {
        Client::builder(endpoint.clone())
            .credentials_provider(credentials)
            .build()
    };
    // Where the providers send their requests: the emulator's STS and metadata service instead
    // of https://sts.aliyuncs.com and http://100.100.100.200.
    let config = ProviderConfig::new()
        .with_sts_endpoint(emu.sts_endpoint())
        .with_ecs_metadata_endpoint(emu.ecs_metadata_endpoint());
    let key = emu.access_key();

    // 1. Static access keys. `Credentials` is itself a provider.
    let keys = Credentials::new(key.id(), key.secret());
    let client = client_with(Arc::new(keys.clone()))?;
    client.create_queue(queue, &QueueOptions::default()).await?;
    round_trip("static access keys", &client, queue).await?;

    // 2. A fixed STS token (here issued by the emulator; in production handed to you by whatever
    //    called STS). It is not refreshed: build a new client when it expires.
    let temp = emu
        .credential_services()
        .issue_temporary_key(Duration::from_secs(3600));
    let sts_token = Credentials::with_security_token(
        temp.key().id(),
        temp.key().secret(),
        temp.security_token(),
        Some(temp.expires_at()),
    );
    round_trip("STS token", &client_with(Arc::new(sts_token))?, queue).await?;

    // 3. Environment variables, read by the default chain: run this example again as a child
    //    process with the emulator's keys in its environment.
    from_env_in_child(emu, key.id(), key.secret()).await?;

    // 4. A RAM role: STS AssumeRole signed with the keys above, cached and refreshed 15 minutes
    //    before the temporary credentials expire.
    let ram_role = AssumeRoleProvider::builder(ROLE_ARN, keys)
        .role_session_name("mns-example")
        .duration_seconds(3600)
        .configure(&config)
        .build()?;
    let client = client_with(Arc::new(CachingProvider::new(ram_role)))?;
    round_trip("RAM role (AssumeRole)", &client, queue).await?;

    // 5. The ECS instance's RAM role, from the metadata service (IMDSv2 token, role name
    //    discovered unless `.role_name(..)` or ALIBABA_CLOUD_ECS_METADATA gives it).
    let ecs = EcsRamRoleProvider::builder().configure(&config).build();
    let client = client_with(Arc::new(CachingProvider::new(ecs)))?;
    round_trip("ECS RAM role", &client, queue).await?;

    // 6. An OIDC role (RRSA on ACK): AssumeRoleWithOIDC with the token file the cluster mounts
    //    into the pod, read again at every refresh.
    let token_file = TokenFile::create()?;
    let oidc = OidcRoleArnProvider::builder(ROLE_ARN, OIDC_PROVIDER_ARN, token_file.path())
        .role_session_name("mns-example")
        .configure(&config)
        .build()?;
    let client = client_with(Arc::new(CachingProvider::new(oidc)))?;
    round_trip("OIDC role (AssumeRoleWithOIDC)", &client, queue).await?;

    // 7. The default chain: environment keys, OIDC variables, the CLI and INI profile files, the
    //    ECS role, a credentials URI, in that order. Here it is given an environment (instead of
    //    the process's) holding the RRSA variables, so it settles on the OIDC role.
    let token_path = token_file.path().to_string_lossy().into_owned();
    let chain = DefaultCredentialsChain::builder()
        .configure(config.clone().with_env(Env::from_vars([
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER_ARN),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_path.as_str()),
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "mns-example-chain"),
        ])))
        .build_cached();
    round_trip(
        "default chain (found the OIDC variables)",
        &client_with(Arc::new(chain))?,
        queue,
    )
    .await?;

    client.delete_queue(queue).await?;
    println!(
        "the emulator issued {} temporary keys",
        emu.credential_services().issued_count()
    );
    Ok(())
}

/// Sends a message, receives it and deletes it; prints which access key id signed the calls
/// (never the secret or the token).
async fn round_trip(label: &str, client: &Client, queue: &str) -> Result<(), common::BoxError> {
    let queue = client.queue(queue)?;
    let sent = queue.send_message(format!("signed with {label}")).await?;
    let Some(msg) = queue.receive_message(Some(Duration::from_secs(5))).await? else {
        return Err(format!("{label}: message {} did not arrive", sent.message_id).into());
    };
    queue.delete_message(&msg.receipt_handle).await?;
    println!("ok  {label}: sent, received and deleted {}", msg.message_id);
    Ok(())
}

/// Runs this example as a child process with `MNS_ENDPOINT` and the standard access key
/// variables set: exactly what a program does with `default_provider()` in production.
async fn from_env_in_child(
    emu: &RunningEmulator,
    id: &str,
    secret: &str,
) -> Result<(), common::BoxError> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg(FROM_ENV_FLAG)
        .env("MNS_ENDPOINT", emu.endpoint())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", id)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN");
    let status = tokio::task::spawn_blocking(move || command.status()).await??;
    if !status.success() {
        return Err(format!("the environment-variable child process failed: {status}").into());
    }
    Ok(())
}

/// A temporary file holding an OIDC token (a JWT) the emulator accepts for an hour.
struct TokenFile(PathBuf);

impl TokenFile {
    fn create() -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("mns-example-oidc-{}", std::process::id()));
        let jwt = mns_emulator::sts::oidc_token(
            "https://oidc.example/cluster",
            "system:serviceaccount:default:mns-example",
            "sts.aliyuncs.com",
            SystemTime::now() + Duration::from_secs(3600),
        );
        std::fs::write(&path, jwt)?;
        Ok(TokenFile(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
