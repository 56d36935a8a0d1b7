//! `Debug` and `Display` of every provider and error never show a secret.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use mns_client::credentials::{
    AssumeRoleProvider, CachingProvider, CliProfileProvider, CredentialsProviderChain,
    CredentialsUriProvider, DefaultCredentialsChain, EcsRamRoleProvider, Env,
    EnvironmentVariableProvider, ManualTimeSource, OidcRoleArnProvider, ProfileFileProvider,
    ProviderConfig,
};
use mns_client::{Credentials, CredentialsError, ProvideCredentials};

const SECRET: &str = "super-secret-value-1234";
const TOKEN: &str = "CAIS-secret-token-5678";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} leaks the secret: {text}");
    assert!(!text.contains(TOKEN), "{what} leaks the token: {text}");
}

fn secret_env() -> Env {
    Env::from_vars([
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKID"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
        (
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "http://127.0.0.1:1/c?token=super-secret-value-1234",
        ),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ])
}

#[tokio::test]
async fn debug_of_every_provider_hides_secrets() {
    let creds = Credentials::with_security_token("AKID", SECRET, TOKEN, None);
    let config = ProviderConfig::new()
        .with_env(secret_env())
        .with_home_dir("/nonexistent")
        .with_sts_endpoint("http://127.0.0.1:1")
        .with_ecs_metadata_endpoint("http://127.0.0.1:1");

    let assume = AssumeRoleProvider::builder("acs:ram::1:role/r", creds.clone())
        .external_id(SECRET)
        .configure(&config)
        .build()
        .unwrap();
    let oidc =
        OidcRoleArnProvider::builder("acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", "/tmp/t")
            .configure(&config)
            .build()
            .unwrap();
    let uri = CredentialsUriProvider::from_env(&config).unwrap();
    let ecs = EcsRamRoleProvider::from_env(&config);
    let env_provider = EnvironmentVariableProvider::new(secret_env());
    let ini = ProfileFileProvider::new(&config).with_path(PathBuf::from("/nonexistent.ini"));
    let cli = CliProfileProvider::new(&config);
    let chain = CredentialsProviderChain::first_try("static", creds.clone());
    let default_chain = DefaultCredentialsChain::builder()
        .configure(config.clone())
        .build();

    // A cache that holds credentials.
    let cache = CachingProvider::builder(creds.clone())
        .time_source(ManualTimeSource::new(UNIX_EPOCH + Duration::from_secs(1)))
        .build();
    cache.provide_credentials().await.unwrap();
    // A default chain that has loaded from the environment.
    default_chain.provide_credentials().await.unwrap();

    let debugs = [
        ("Credentials", format!("{creds:?}")),
        ("AssumeRoleProvider", format!("{assume:?}")),
        ("OidcRoleArnProvider", format!("{oidc:?}")),
        ("CredentialsUriProvider", format!("{uri:?}")),
        ("EcsRamRoleProvider", format!("{ecs:?}")),
        ("EnvironmentVariableProvider", format!("{env_provider:?}")),
        ("ProfileFileProvider", format!("{ini:?}")),
        ("CliProfileProvider", format!("{cli:?}")),
        ("CredentialsProviderChain", format!("{chain:?}")),
        ("DefaultCredentialsChain", format!("{default_chain:?}")),
        ("CachingProvider", format!("{cache:?}")),
        ("ProviderConfig", format!("{config:?}")),
        ("Env", format!("{:?}", secret_env())),
    ];
    for (what, text) in &debugs {
        assert_clean(what, text);
    }
    // The secret-bearing types still say something useful.
    assert!(debugs[0].1.contains("AKID"));
    assert!(debugs[1].1.contains("acs:ram::1:role/r"));
}

#[tokio::test]
async fn errors_hide_secrets() {
    let errors = [
        CredentialsError::NotLoaded {
            provider: "p",
            reason: "r".into(),
        },
        CredentialsError::NoneFound {
            tried: vec!["a: b".into()],
        },
    ];
    for err in &errors {
        assert_clean("error", &format!("{err:?} {err}"));
    }
    // An STS failure echoes status, code and message but not the request's secrets.
    let config = ProviderConfig::new()
        .with_env(Env::from_vars([("X", "y")]))
        .with_sts_endpoint("http://127.0.0.1:1");
    let assume = AssumeRoleProvider::builder(
        "acs:ram::1:role/r",
        Credentials::with_security_token("AKID", SECRET, TOKEN, None),
    )
    .configure(&config)
    .build()
    .unwrap();
    let err = assume.provide_credentials().await.unwrap_err();
    let mut text = format!("{err:?} {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert_clean("STS transport error", &text);
}
