//! End to end: `mns-client` on temporary credentials (RAM role via STS `AssumeRole`, ECS RAM role
//! via the metadata service, OIDC role via `AssumeRoleWithOIDC`) against the emulator's STS,
//! metadata service and MNS API, while the emulator's `ManualClock` passes several expiries.
//!
//! The client's request dates, its STS timestamps and its credential cache all read the
//! emulator's clock, so expiry and refresh happen in virtual time: no sleeps, no wall-clock luck.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mns_client::credentials::{
    AssumeRoleProvider, CachingProvider, EcsRamRoleProvider, Env, OidcRoleArnProvider,
    ProviderConfig,
};
use mns_client::{
    Client, Credentials, Endpoint, Error, ProvideCredentials, QueueOptions, RetryConfig,
    SharedCredentialsProvider,
};
use mns_emulator::clock::{Clock, ManualClock, SystemClock};
use mns_emulator::sts::{DEFAULT_ECS_ROLE_NAME, oidc_token};
use mns_emulator::{Emulator, RunningEmulator};

const ROLE_ARN: &str = "acs:ram::1234567890123456:role/mns-e2e";
const OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/ack-e2e";

/// The emulator's clock seen through the client's time trait.
#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

struct Setup {
    clock: ManualClock,
    emu: RunningEmulator,
    time: Arc<EmulatorTime>,
}

async fn setup(
    configure: impl FnOnce(mns_emulator::EmulatorBuilder) -> mns_emulator::EmulatorBuilder,
) -> Setup {
    // Whole seconds, as STS `Expiration` values are, so expiries compare exactly; close to the
    // wall clock, so nothing looks odd in logs.
    let now = mns_emulator::clock::to_millis(SystemClock.now());
    let clock = ManualClock::at_millis(now / 1000 * 1000);
    let emu = configure(Emulator::builder().clock(clock.clone()))
        .start()
        .await
        .expect("emulator starts");
    let time = Arc::new(EmulatorTime(emu.clock()));
    Setup { clock, emu, time }
}

impl Setup {
    /// Provider settings that read only the emulator: its clock, its endpoints, no process
    /// environment.
    fn provider_config(&self) -> ProviderConfig {
        ProviderConfig::new()
            .with_env(Env::from_vars(Vec::<(String, String)>::new()))
            .with_time_source(self.time.clone())
            .with_sts_endpoint(self.emu.sts_endpoint())
            .with_ecs_metadata_endpoint(self.emu.ecs_metadata_endpoint())
    }

    fn cached(&self, provider: impl ProvideCredentials + 'static) -> SharedCredentialsProvider {
        Arc::new(
            CachingProvider::builder(provider)
                .time_source(self.time.clone())
                .build(),
        )
    }

    /// A client that never retries, so any refused call shows up as a failure.
    fn client(&self, credentials: SharedCredentialsProvider) -> Client {
        Client::builder(Endpoint::from_url(self.emu.endpoint()).unwrap())
            .credentials_provider(credentials)
            .time_source(self.time.clone())
            .retry(RetryConfig {
                max_retries: 0,
                ..RetryConfig::default()
            })
            .build()
            .unwrap()
    }
}

/// Sends and receives with `tasks` concurrent tasks at each step, moving the clock by `step`
/// between steps for `total` of virtual time; `between` runs before each step. Returns how many
/// calls failed (with the first few errors printed).
async fn run_through(
    setup: &Setup,
    client: &Client,
    total: Duration,
    step: Duration,
    tasks: usize,
    mut between: impl FnMut(SystemTime),
) -> usize {
    let queue_name = "credentials-e2e";
    client
        .create_queue(queue_name, &QueueOptions::default())
        .await
        .expect("create queue");
    let queue = client.queue(queue_name).unwrap();
    let start = setup.clock.now();
    let mut failures = Vec::new();
    let mut steps = 0;
    while setup.clock.now() < start + total {
        between(setup.clock.now());
        let sends = (0..tasks).map(|i| {
            let q = queue.clone();
            tokio::spawn(async move { q.send_message(format!("step {steps} task {i}")).await })
        });
        for r in futures_join(sends).await {
            if let Err(e) = r {
                failures.push(format!("send: {e}"));
            }
        }
        let receives = (0..tasks).map(|_| {
            let q = queue.clone();
            tokio::spawn(async move {
                let msg = q
                    .receive_message(Some(Duration::ZERO))
                    .await?
                    .ok_or_else(|| Error::InvalidInput("no message to receive".into()))?;
                q.delete_message(&msg.receipt_handle).await
            })
        });
        for r in futures_join(receives).await {
            if let Err(e) = r {
                failures.push(format!("receive/delete: {e}"));
            }
        }
        steps += 1;
        setup.clock.advance(step);
    }
    assert!(steps > 10, "the loop ran {steps} steps");
    for f in failures.iter().take(5) {
        eprintln!("failed call: {f}");
    }
    failures.len()
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<Result<T, Error>>>,
) -> Vec<Result<T, Error>> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.expect("task panicked"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ram_role_client_keeps_working_across_many_token_expiries() {
    let s = setup(|b| b).await;
    let role = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("testid", "testsecret"))
        .role_session_name("e2e")
        .duration_seconds(3600)
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let client = s.client(s.cached(role));
    let issued_before = s.emu.credential_services().issued_count();
    // Five hours in four-minute steps: the one-hour tokens expire five times; the cache renews
    // each 15 minutes ahead.
    let failed = run_through(
        &s,
        &client,
        Duration::from_secs(5 * 3600),
        Duration::from_secs(4 * 60),
        4,
        |_| {},
    )
    .await;
    assert_eq!(failed, 0, "no call may fail across token expiries");
    let issued = s.emu.credential_services().issued_count() - issued_before;
    // One token per 45 minutes of virtual time (issued, then renewed 15 minutes early).
    assert!((6..=8).contains(&issued), "{issued} AssumeRole calls");
    s.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_role_client_keeps_working_across_credential_rotations() {
    // Two-hour credentials, rotated by the metadata service when less than an hour is left.
    let s = setup(|b| b.ecs_credentials_duration(Duration::from_secs(2 * 3600))).await;
    // No role name configured: the provider discovers it, with an IMDSv2 token.
    let ecs = EcsRamRoleProvider::builder()
        .disable_imds_v1(true)
        .configure(&s.provider_config())
        .build();
    let client = s.client(s.cached(ecs));
    let failed = run_through(
        &s,
        &client,
        Duration::from_secs(7 * 3600),
        Duration::from_secs(5 * 60),
        3,
        |_| {},
    )
    .await;
    assert_eq!(failed, 0, "no call may fail across credential rotations");
    let issued = s.emu.credential_services().issued_count();
    assert!((4..=6).contains(&issued), "{issued} rotations");
    s.emu.shutdown().await;
}

/// A token file in the system temporary directory, removed on drop.
struct TokenFile(PathBuf);

impl TokenFile {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "mns-e2e-{name}-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        TokenFile(path)
    }

    fn write(&self, jwt: &str) {
        std::fs::write(&self.0, jwt).expect("write token file");
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0u8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_role_client_keeps_working_while_the_token_file_rotates() {
    let s = setup(|b| b).await;
    let file = TokenFile::new("oidc");
    // Like the kubelet: a fresh two-hour projected token, rewritten every hour.
    let issue_jwt = |now: SystemTime| {
        oidc_token(
            "https://oidc.example/e2e",
            "system:serviceaccount:default:worker",
            "sts.aliyuncs.com",
            now + Duration::from_secs(2 * 3600),
        )
    };
    file.write(&issue_jwt(s.clock.now()));
    let oidc = OidcRoleArnProvider::builder(ROLE_ARN, OIDC_PROVIDER_ARN, &file.0)
        .role_session_name("e2e-oidc")
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let client = s.client(s.cached(oidc));
    let mut last_write = s.clock.now();
    let failed = run_through(
        &s,
        &client,
        Duration::from_secs(4 * 3600),
        Duration::from_secs(4 * 60),
        3,
        |now| {
            if now.duration_since(last_write).unwrap_or_default() >= Duration::from_secs(3600) {
                file.write(&issue_jwt(now));
                last_write = now;
            }
        },
    )
    .await;
    assert_eq!(failed, 0, "no call may fail across token expiries");
    assert!(s.emu.credential_services().issued_count() >= 5);
    s.emu.shutdown().await;
}

#[tokio::test]
async fn expired_wrong_and_unknown_tokens_are_rejected() {
    let s = setup(|b| b).await;
    let role = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("testid", "testsecret"))
        .role_session_name("e2e")
        .duration_seconds(900)
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let creds = role.provide_credentials().await.expect("AssumeRole");
    let expiry = creds.expiry().expect("STS credentials expire");
    assert_eq!(
        expiry.duration_since(s.clock.now()).unwrap(),
        Duration::from_secs(900)
    );
    // A client pinned to these credentials, without any refresh.
    let fixed = s.client(Arc::new(creds.clone()));
    fixed
        .create_queue("tokens", &QueueOptions::default())
        .await
        .expect("valid token accepted");

    let service_error = |e: Error| match e {
        Error::Service(se) => (se.status, se.code.as_str().to_owned()),
        other => panic!("expected a service error, got {other}"),
    };

    // The same key with another token.
    let wrong = Credentials::with_security_token(
        creds.access_key_id(),
        creds.access_key_secret(),
        "CAISnot-the-token",
        None,
    );
    let err = s
        .client(Arc::new(wrong))
        .queue("tokens")
        .unwrap()
        .send_message("x")
        .await
        .unwrap_err();
    assert_eq!(service_error(err), (400, "InvalidSecurityToken".into()));

    // The key without its token.
    let bare = Credentials::new(creds.access_key_id(), creds.access_key_secret());
    let err = s
        .client(Arc::new(bare))
        .queue("tokens")
        .unwrap()
        .send_message("x")
        .await
        .unwrap_err();
    assert_eq!(service_error(err), (400, "InvalidSecurityToken".into()));

    // A key STS never issued.
    let unknown = Credentials::with_security_token("STS.unknown", "secret", "CAIStoken", None);
    let err = s
        .client(Arc::new(unknown))
        .queue("tokens")
        .unwrap()
        .send_message("x")
        .await
        .unwrap_err();
    assert_eq!(service_error(err), (403, "InvalidAccessKeyId".into()));

    // One second before expiry it works; at expiry it does not.
    s.clock.set(expiry - Duration::from_secs(1));
    fixed
        .queue("tokens")
        .unwrap()
        .send_message("last")
        .await
        .expect("still valid");
    s.clock.set(expiry);
    let err = fixed
        .queue("tokens")
        .unwrap()
        .send_message("late")
        .await
        .unwrap_err();
    assert_eq!(service_error(err), (400, "SecurityTokenExpired".into()));
    // Nothing was stored by the refused request.
    assert_eq!(s.emu.inspect_queue("tokens").unwrap().len(), 1);

    // AssumeRole signed with the expired temporary key (a chained role) is refused by STS.
    let chained = AssumeRoleProvider::builder(ROLE_ARN, creds)
        .role_session_name("chained")
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let err = chained.provide_credentials().await.unwrap_err().to_string();
    assert!(err.contains("InvalidSecurityToken.Expired"), "{err}");
    s.emu.shutdown().await;
}

#[tokio::test]
async fn chained_assume_role_with_a_temporary_key_works() {
    let s = setup(|b| b.sts_max_session_duration(Duration::from_secs(2 * 3600))).await;
    let first = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("testid", "testsecret"))
        .role_session_name("first")
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let chained = AssumeRoleProvider::builder("acs:ram::1234567890123456:role/second", first)
        .role_session_name("second")
        .duration_seconds(7200)
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let creds = chained
        .provide_credentials()
        .await
        .expect("chained AssumeRole");
    assert_eq!(
        creds
            .expiry()
            .unwrap()
            .duration_since(s.clock.now())
            .unwrap(),
        Duration::from_secs(7200)
    );
    s.client(Arc::new(creds))
        .create_queue("chained", &QueueOptions::default())
        .await
        .expect("chained credentials work for MNS");
    s.emu.shutdown().await;
}

#[tokio::test]
async fn sts_refuses_wrong_keys_and_out_of_range_durations() {
    let s = setup(|b| b).await;
    let wrong = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("testid", "not-the-secret"))
        .role_session_name("e2e")
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let err = wrong.provide_credentials().await.unwrap_err().to_string();
    assert!(
        err.contains("HTTP 400") && err.contains("SignatureDoesNotMatch"),
        "{err}"
    );
    assert!(!err.contains("not-the-secret"), "{err}");

    let unknown = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("nobody", "x"))
        .role_session_name("e2e")
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let err = unknown.provide_credentials().await.unwrap_err().to_string();
    assert!(
        err.contains("HTTP 404") && err.contains("InvalidAccessKeyId.NotFound"),
        "{err}"
    );

    let too_long = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("testid", "testsecret"))
        .role_session_name("e2e")
        .duration_seconds(7200) // the default MaxSessionDuration is one hour
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let err = too_long
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("InvalidParameter.DurationSeconds"), "{err}");

    let file = TokenFile::new("expired");
    file.write(&oidc_token("iss", "sub", "aud", s.clock.now()));
    let expired = OidcRoleArnProvider::builder(ROLE_ARN, OIDC_PROVIDER_ARN, &file.0)
        .configure(&s.provider_config())
        .build()
        .unwrap();
    let err = expired.provide_credentials().await.unwrap_err().to_string();
    assert!(
        err.contains("AuthenticationFail.OIDCToken.Expired"),
        "{err}"
    );
    assert_eq!(s.emu.credential_services().issued_count(), 0);
    s.emu.shutdown().await;
}

#[tokio::test]
async fn sts_answers_the_real_json_shape_over_get_and_post() {
    use mns_client::credentials::rpc_signature;
    use std::collections::BTreeMap;

    let s = setup(|b| b).await;
    let http = reqwest::Client::new();
    let timestamp = humantime::format_rfc3339_seconds(s.clock.now()).to_string();
    let mut params: BTreeMap<String, String> = [
        ("AccessKeyId", "testid"),
        ("Action", "AssumeRole"),
        ("DurationSeconds", "900"),
        ("Format", "JSON"),
        ("RoleArn", ROLE_ARN),
        ("RoleSessionName", "python style"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "nonce-get-1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2015-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([("Timestamp".to_owned(), timestamp)])
    .collect();
    // A session name with a space is invalid, but only after the signature is checked: the
    // Python SDK's GET style (everything in the query) is verified first.
    params.insert(
        "Signature".into(),
        rpc_signature::sign("GET", &params, "testsecret"),
    );
    let url = format!(
        "{}/?{}",
        s.emu.sts_endpoint(),
        rpc_signature::encode_params(&params)
    );
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["Code"], "InvalidParameter.RoleSessionName");
    assert!(body["RequestId"].as_str().is_some_and(|r| r.len() == 36));
    assert_eq!(body["HostId"], "sts.aliyuncs.com");

    params.insert("RoleSessionName".into(), "python-style".into());
    params.insert("SignatureNonce".into(), "nonce-get-2".into());
    params.remove("Signature");
    params.insert(
        "Signature".into(),
        rpc_signature::sign("GET", &params, "testsecret"),
    );
    let url = format!(
        "{}/?{}",
        s.emu.sts_endpoint(),
        rpc_signature::encode_params(&params)
    );
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        format!("{ROLE_ARN}/python-style").as_str()
    );
    assert!(
        body["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .unwrap()
            .ends_with(":python-style")
    );
    for field in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
    ] {
        assert!(body["Credentials"][field].is_string(), "{field}: {body}");
    }
    // The same request again: the nonce is spent.
    let resp = http.get(&url).send().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["Code"], "SignatureNonceUsed");
    s.emu.shutdown().await;
}

#[tokio::test]
async fn metadata_service_speaks_imds_v2() {
    let s = setup(|b| {
        b.credential_services(mns_emulator::sts::CredentialServicesConfig {
            require_imds_v2: true,
            ..Default::default()
        })
    })
    .await;
    let http = reqwest::Client::new();
    let base = s.emu.ecs_metadata_endpoint();
    let list = format!("{base}/latest/meta-data/ram/security-credentials/");
    assert_eq!(
        http.get(&list).send().await.unwrap().status(),
        403,
        "IMDSv2 required"
    );
    assert_eq!(
        http.put(format!("{base}/latest/api/token"))
            .send()
            .await
            .unwrap()
            .status(),
        400,
        "TTL header required"
    );
    let token = http
        .put(format!("{base}/latest/api/token"))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "60")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let get = |url: String, token: &str| {
        http.get(url)
            .header("X-aliyun-ecs-metadata-token", token)
            .send()
    };
    let role = get(list.clone(), &token)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(role, DEFAULT_ECS_ROLE_NAME);
    let resp = get(format!("{list}{role}"), &token).await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(doc["Code"], "Success");
    assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert_eq!(
        get(format!("{list}other-role"), &token)
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(get(list.clone(), "forged").await.unwrap().status(), 401);
    s.clock.advance(Duration::from_secs(60));
    assert_eq!(
        get(list, &token).await.unwrap().status(),
        401,
        "token expired"
    );
    s.emu.shutdown().await;
}
