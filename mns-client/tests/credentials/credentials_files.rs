//! INI credentials file and aliyun CLI `config.json` providers, with temporary files.

use std::path::Path;

use mns_client::credentials::{CliProfileProvider, Env, ProfileFileProvider, ProviderConfig};
use mns_client::{CredentialsError, ProvideCredentials};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn home_config(home: &Path, vars: &[(&str, &str)]) -> ProviderConfig {
    ProviderConfig::new()
        .with_env(Env::from_vars(vars.iter().copied()))
        .with_home_dir(home)
}

async fn sts_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "RequestId": "r",
            "Credentials": {"AccessKeyId": "STS.assumed", "AccessKeySecret": "assumed-secret",
                            "SecurityToken": "assumed-token", "Expiration": "2030-01-01T00:00:00Z"}
        })))
        .mount(&server)
        .await;
    server
}

fn form_of(req: &wiremock::Request) -> std::collections::BTreeMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

fn query_of(req: &wiremock::Request) -> std::collections::BTreeMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

const INI: &str = "\
[default]
type = access_key
access_key_id = AKID-default
access_key_secret = SECRET-default   ; trailing comment

[other]
type = access_key
access_key_id = AKID-other # hash comment
access_key_secret = SECRET-other

[assume]
type = ram_role_arn
access_key_id = AKID-src
access_key_secret = SECRET-src
role_arn = acs:ram::1234567890123456:role/mns-publisher
role_session_name = mns-app
policy = {\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"mns:*\",\"Resource\":\"*\"}]}

[rsa]
type = rsa_key_pair
public_key_id = x

[untyped]
access_key_id = a
";

#[tokio::test]
async fn ini_default_profile_from_credentials_ini_in_home() {
    let home = tempfile::tempdir().unwrap();
    write(&home.path().join(".alibabacloud/credentials.ini"), INI);
    let creds = ProfileFileProvider::new(&home_config(home.path(), &[]))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKID-default");
    assert_eq!(creds.access_key_secret(), "SECRET-default");
}

#[tokio::test]
async fn ini_file_without_extension_and_profile_from_env() {
    let home = tempfile::tempdir().unwrap();
    write(&home.path().join(".alibabacloud/credentials"), INI);
    let creds = ProfileFileProvider::new(&home_config(
        home.path(),
        &[("ALIBABA_CLOUD_PROFILE", "other")],
    ))
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(creds.access_key_id(), "AKID-other");
}

#[tokio::test]
async fn ini_credentials_ini_wins_over_credentials() {
    let home = tempfile::tempdir().unwrap();
    write(&home.path().join(".alibabacloud/credentials.ini"), INI);
    write(
        &home.path().join(".alibabacloud/credentials"),
        "[default]\ntype = access_key\naccess_key_id = WRONG\naccess_key_secret = WRONG\n",
    );
    let creds = ProfileFileProvider::new(&home_config(home.path(), &[]))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKID-default");
}

#[tokio::test]
async fn ini_path_from_env_var() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("somewhere.ini");
    write(&file, INI);
    let config = home_config(
        Path::new("/nonexistent"),
        &[("ALIBABA_CLOUD_CREDENTIALS_FILE", file.to_str().unwrap())],
    );
    let creds = ProfileFileProvider::new(&config)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKID-default");

    let config = home_config(
        Path::new("/nonexistent"),
        &[("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/file.ini")],
    );
    let err = ProfileFileProvider::new(&config)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn ini_missing_file_or_default_section_is_not_loaded() {
    let home = tempfile::tempdir().unwrap();
    let err = ProfileFileProvider::new(&home_config(home.path(), &[]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.is_not_loaded(), "{err:?}");

    write(
        &home.path().join(".alibabacloud/credentials"),
        "[only]\ntype = access_key\naccess_key_id = a\naccess_key_secret = b\n",
    );
    let err = ProfileFileProvider::new(&home_config(home.path(), &[]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.is_not_loaded(), "{err:?}");
    // An explicitly named profile that is missing is a configuration error.
    let err = ProfileFileProvider::new(&home_config(home.path(), &[]))
        .with_profile("absent")
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn ini_unsupported_or_missing_type_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.ini");
    write(&file, INI);
    for profile in ["rsa", "untyped"] {
        let err = ProfileFileProvider::new(&home_config(Path::new("/nonexistent"), &[]))
            .with_path(&file)
            .with_profile(profile)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfiguration { .. }),
            "{profile}: {err:?}"
        );
    }
}

#[tokio::test]
async fn ini_ram_role_arn_assumes_the_role_with_the_profile_keys() {
    let server = sts_server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.ini");
    write(&file, INI);
    let config = ProviderConfig::new()
        .with_env(Env::from_vars([("X", "y")]))
        .with_sts_endpoint(server.uri());
    let creds = ProfileFileProvider::new(&config)
        .with_path(&file)
        .with_profile("assume")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "STS.assumed");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(query_of(&requests[0])["AccessKeyId"], "AKID-src");
    let form = form_of(&requests[0]);
    assert_eq!(
        form["RoleArn"],
        "acs:ram::1234567890123456:role/mns-publisher"
    );
    assert_eq!(form["RoleSessionName"], "mns-app");
    // JSON with quotes survives INI parsing untouched.
    assert!(
        form["Policy"].starts_with("{\"Version\":\"1\""),
        "{}",
        form["Policy"]
    );
}

#[tokio::test]
async fn ini_ecs_and_oidc_types_build_their_providers() {
    let metadata = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path(
            "/latest/meta-data/ram/security-credentials/IniRole",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"Code":"Success","AccessKeyId":"STS.ecs","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z"}"#,
        ))
        .mount(&metadata)
        .await;
    let sts = sts_server().await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    write(&token, "jwt");
    let file = dir.path().join("c.ini");
    write(
        &file,
        &format!(
            "[ecs]\ntype = ecs_ram_role\nrole_name = IniRole\n\n\
             [k8s]\ntype = oidc_role_arn\nrole_arn = acs:ram::1:role/r\n\
             oidc_provider_arn = acs:ram::1:oidc-provider/ack\noidc_token_file_path = {}\n",
            token.display()
        ),
    );
    let config = ProviderConfig::new()
        .with_env(Env::from_vars([("X", "y")]))
        .with_ecs_metadata_endpoint(metadata.uri())
        .with_sts_endpoint(sts.uri());
    let ecs = ProfileFileProvider::new(&config)
        .with_path(&file)
        .with_profile("ecs")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(ecs.access_key_id(), "STS.ecs");
    let oidc = ProfileFileProvider::new(&config)
        .with_path(&file)
        .with_profile("k8s")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(oidc.access_key_id(), "STS.assumed");
    let requests = sts.received_requests().await.unwrap();
    assert_eq!(form_of(&requests[0])["OIDCToken"], "jwt");
}

const CLI: &str = r#"{
  "current": "default",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "AKID-cli", "access_key_secret": "SECRET-cli", "region_id": "cn-hangzhou"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "sts-secret", "sts_token": "sts-token"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "AKID-role-src", "access_key_secret": "role-src-secret",
     "ram_role_arn": "acs:ram::1234567890123456:role/r", "ram_session_name": "cli-session", "expired_seconds": 1200,
     "sts_region": "cn-hangzhou", "enable_vpc": false, "policy": "", "external_id": ""},
    {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "default",
     "ram_role_arn": "acs:ram::1234567890123456:role/r2", "ram_session_name": "chained"},
    {"name": "loop", "mode": "ChainableRamRoleArn", "source_profile": "loop", "ram_role_arn": "acs:ram::1:role/x"},
    {"name": "sso", "mode": "CloudSSO"},
    {"name": "broken", "mode": "AK", "access_key_id": "only-id"}
  ]
}"#;

fn cli_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    write(&home.path().join(".aliyun/config.json"), CLI);
    home
}

#[tokio::test]
async fn cli_current_profile_ak() {
    let home = cli_home();
    let creds = CliProfileProvider::new(&home_config(home.path(), &[]))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKID-cli");
    assert_eq!(creds.access_key_secret(), "SECRET-cli");
}

#[tokio::test]
async fn cli_sts_token_profile_from_env() {
    let home = cli_home();
    let creds = CliProfileProvider::new(&home_config(
        home.path(),
        &[("ALIBABA_CLOUD_PROFILE", "sts")],
    ))
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(creds.security_token(), Some("sts-token"));
}

#[tokio::test]
async fn cli_ram_role_arn_and_chainable_role() {
    let server = sts_server().await;
    let home = cli_home();
    let config = home_config(home.path(), &[]).with_sts_endpoint(server.uri());

    let creds = CliProfileProvider::new(&config)
        .with_profile("role")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "STS.assumed");
    let creds = CliProfileProvider::new(&config)
        .with_profile("chain")
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "STS.assumed");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(query_of(&requests[0])["AccessKeyId"], "AKID-role-src");
    let form = form_of(&requests[0]);
    assert_eq!(form["RoleSessionName"], "cli-session");
    assert_eq!(form["DurationSeconds"], "1200");
    assert!(!form.contains_key("Policy"), "empty policy is not sent");
    // The chained profile signs with the source profile's keys.
    assert_eq!(query_of(&requests[1])["AccessKeyId"], "AKID-cli");
    assert_eq!(
        form_of(&requests[1])["RoleArn"],
        "acs:ram::1234567890123456:role/r2"
    );
}

#[tokio::test]
async fn cli_errors_and_switches() {
    let home = cli_home();
    for (profile, what) in [
        ("loop", "cycle"),
        ("sso", "unsupported mode"),
        ("broken", "lacks access_key_secret"),
        ("absent", "no profile named"),
    ] {
        let err = CliProfileProvider::new(&home_config(home.path(), &[]))
            .with_profile(profile)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfiguration { .. }),
            "{profile}: {err:?}"
        );
        assert!(err.to_string().contains(what), "{profile}: {err}");
    }
    let err = CliProfileProvider::new(&home_config(
        home.path(),
        &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
    ))
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(err.is_not_loaded());
    let empty_home = tempfile::tempdir().unwrap();
    let err = CliProfileProvider::new(&home_config(empty_home.path(), &[]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.is_not_loaded());
}

#[tokio::test]
async fn cli_config_path_from_env_and_bad_json() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("cfg.json");
    write(&good, CLI);
    let creds = CliProfileProvider::new(&home_config(
        Path::new("/nonexistent"),
        &[("ALIBABA_CLOUD_CONFIG_FILE", good.to_str().unwrap())],
    ))
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(creds.access_key_id(), "AKID-cli");

    let bad = dir.path().join("bad.json");
    write(&bad, "{ not json");
    let err = CliProfileProvider::new(&home_config(Path::new("/nonexistent"), &[]))
        .with_path(&bad)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration { .. }),
        "{err:?}"
    );
}
