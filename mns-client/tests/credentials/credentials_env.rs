//! Environment-variable provider, read through an injected `Env`.

use mns_client::credentials::{Env, EnvironmentVariableProvider};
use mns_client::{CredentialsError, ProvideCredentials};

async fn load(vars: &[(&str, &str)]) -> Result<mns_client::Credentials, CredentialsError> {
    EnvironmentVariableProvider::new(Env::from_vars(vars.iter().copied()))
        .provide_credentials()
        .await
}

#[tokio::test]
async fn current_names_give_long_lived_keys() {
    let c = load(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKID"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SECRET"),
    ])
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "AKID");
    assert_eq!(c.access_key_secret(), "SECRET");
    assert_eq!(c.security_token(), None);
    assert_eq!(c.expiry(), None);
}

#[tokio::test]
async fn security_token_gives_sts_credentials() {
    let c = load(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.ID"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SECRET"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "CAIS-token"),
    ])
    .await
    .unwrap();
    assert_eq!(c.security_token(), Some("CAIS-token"));
}

#[tokio::test]
async fn legacy_names_are_read() {
    let c = load(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_Id", "AKID-legacy"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SECRET"),
        ("ALIBABA_CLOUD_ACCESS_SECURITY_TOKEN", "legacy-token"),
    ])
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "AKID-legacy");
    assert_eq!(c.security_token(), Some("legacy-token"));

    let c = load(&[
        ("ALIYUN_ACCESS_KEY_ID", "AKID-aliyun"),
        ("ALIYUN_ACCESS_KEY_SECRET", "SECRET-aliyun"),
    ])
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "AKID-aliyun");
    assert_eq!(c.access_key_secret(), "SECRET-aliyun");
}

#[tokio::test]
async fn current_names_win_over_legacy_ones() {
    let c = load(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "current"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "current-secret"),
        ("ALIYUN_ACCESS_KEY_ID", "legacy"),
        ("ALIYUN_ACCESS_KEY_SECRET", "legacy-secret"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "current-token"),
        ("ALIBABA_CLOUD_ACCESS_SECURITY_TOKEN", "legacy-token"),
    ])
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "current");
    assert_eq!(c.access_key_secret(), "current-secret");
    assert_eq!(c.security_token(), Some("current-token"));
}

#[tokio::test]
async fn nothing_set_is_not_loaded() {
    let err = load(&[("UNRELATED", "x"), ("ALIBABA_CLOUD_ACCESS_KEY_ID", "")])
        .await
        .unwrap_err();
    assert!(err.is_not_loaded(), "{err:?}");
    assert!(err.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_ID"));
}

#[tokio::test]
async fn id_without_secret_is_invalid_configuration() {
    let err = load(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKID")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
}

#[test]
fn env_helpers() {
    let env = Env::from_vars([("A", "TRUE"), ("B", "no"), ("HOME", "/home/u")]);
    assert!(env.is_true("A"));
    assert!(!env.is_true("B"));
    assert!(!env.is_true("C"));
    assert_eq!(env.home_dir(), Some("/home/u".into()));
    let env = Env::from_vars([("USERPROFILE", "C:\\Users\\u")]);
    assert_eq!(env.home_dir(), Some("C:\\Users\\u".into()));
}
