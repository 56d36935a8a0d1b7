//! STS providers against a wiremock STS: AssumeRole (signed) and AssumeRoleWithOIDC (anonymous).

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use mns_client::credentials::{
    AssumeRoleProvider, Env, ManualTimeSource, OidcRoleArnProvider, ProviderConfig, rpc_signature,
};
use mns_client::{Credentials, CredentialsError, ProvideCredentials};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ROLE_ARN: &str = "acs:ram::1234567890123456:role/mns-publisher";
/// 2024-01-01T12:00:00Z
const NOW_SECS: u64 = 1_704_110_400;

fn sts_ok_body() -> serde_json::Value {
    serde_json::json!({
        "RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
        "AssumedRoleUser": {"Arn": "acs:ram::1234567890123456:role/mns-publisher/mns-app",
                            "AssumedRoleId": "344584339364951186:mns-app"},
        "Credentials": {"AccessKeyId": "STS.L4aBSCSJVMuKg5U1xxxx",
                        "AccessKeySecret": "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pKxxxx",
                        "SecurityToken": "CAIS-issued-token",
                        "Expiration": "2024-01-01T13:00:00Z"}
    })
}

fn config(server: &MockServer) -> (ProviderConfig, ManualTimeSource) {
    let clock = ManualTimeSource::new(UNIX_EPOCH + Duration::from_secs(NOW_SECS));
    let config = ProviderConfig::new()
        .with_env(Env::from_vars([("HOME", "/nonexistent")]))
        .with_time_source(clock.clone())
        .with_sts_endpoint(server.uri());
    (config, clock)
}

fn pairs(encoded: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .into_owned()
        .collect()
}

fn query_and_form(req: &Request) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let query = pairs(req.url.query().unwrap_or(""));
    let form = pairs(std::str::from_utf8(&req.body).expect("utf-8 body"));
    (query, form)
}

#[tokio::test]
async fn assume_role_sends_a_correctly_signed_request_and_parses_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sts_ok_body()))
        .expect(1)
        .mount(&server)
        .await;
    let (config, _clock) = config(&server);
    let policy = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "mns:*", "Resource": "*"}]}"#;
    let provider = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("testid", "testsecret"))
        .role_session_name("mns-app")
        .duration_seconds(1800)
        .policy(policy)
        .external_id("ext-1")
        .configure(&config)
        .build()
        .unwrap();

    let creds = provider.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "STS.L4aBSCSJVMuKg5U1xxxx");
    assert_eq!(
        creds.access_key_secret(),
        "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pKxxxx"
    );
    assert_eq!(creds.security_token(), Some("CAIS-issued-token"));
    assert_eq!(
        creds.expiry(),
        Some(UNIX_EPOCH + Duration::from_secs(NOW_SECS + 3600))
    );

    let requests = server.received_requests().await.unwrap();
    let req = &requests[0];
    assert_eq!(
        req.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    let (query, form) = query_and_form(req);
    assert_eq!(query["Action"], "AssumeRole");
    assert_eq!(query["Version"], "2015-04-01");
    assert_eq!(query["Format"], "JSON");
    assert_eq!(query["AccessKeyId"], "testid");
    assert_eq!(query["SignatureMethod"], "HMAC-SHA1");
    assert_eq!(query["SignatureVersion"], "1.0");
    assert_eq!(query["Timestamp"], "2024-01-01T12:00:00Z");
    assert!(!query["SignatureNonce"].is_empty());
    assert!(!query.contains_key("SecurityToken"));
    assert_eq!(form["RoleArn"], ROLE_ARN);
    assert_eq!(form["RoleSessionName"], "mns-app");
    assert_eq!(form["DurationSeconds"], "1800");
    assert_eq!(form["Policy"], policy);
    assert_eq!(form["ExternalId"], "ext-1");
    // Spaces travel as %20, never '+'.
    let raw_body = std::str::from_utf8(&req.body).unwrap();
    assert!(raw_body.contains("%20") && !raw_body.contains('+'));

    // The server can verify the signature over the union of query and form with method POST.
    let mut signed = query.clone();
    let signature = signed.remove("Signature").expect("Signature");
    signed.extend(form);
    assert_eq!(
        signature,
        rpc_signature::sign("POST", &signed, "testsecret")
    );
}

#[tokio::test]
async fn assume_role_with_sts_source_sends_its_security_token_and_fresh_nonces() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sts_ok_body()))
        .expect(2)
        .mount(&server)
        .await;
    let (config, _clock) = config(&server);
    let source =
        Credentials::with_security_token("STS.source", "source-secret", "source token", None);
    let provider = AssumeRoleProvider::builder(ROLE_ARN, source)
        .configure(&config)
        .build()
        .unwrap();
    provider.provide_credentials().await.unwrap();
    provider.provide_credentials().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let (q1, f1) = query_and_form(&requests[0]);
    let (q2, _) = query_and_form(&requests[1]);
    assert_eq!(q1["SecurityToken"], "source token");
    assert_ne!(q1["SignatureNonce"], q2["SignatureNonce"]);
    // Default session name and duration.
    assert_eq!(f1["RoleSessionName"], format!("mns-rs-{NOW_SECS}"));
    assert_eq!(f1["DurationSeconds"], "3600");
    let mut signed = q1.clone();
    let signature = signed.remove("Signature").unwrap();
    signed.extend(f1);
    assert_eq!(
        signature,
        rpc_signature::sign("POST", &signed, "source-secret")
    );
}

#[tokio::test]
async fn session_name_comes_from_the_environment_when_not_set() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sts_ok_body()))
        .mount(&server)
        .await;
    let (config, _) = config(&server);
    let config = config.with_env(Env::from_vars([(
        "ALIBABA_CLOUD_ROLE_SESSION_NAME",
        "from-env",
    )]));
    AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("id", "secret"))
        .configure(&config)
        .build()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let (_, form) = query_and_form(&requests[0]);
    assert_eq!(form["RoleSessionName"], "from-env");
}

#[tokio::test]
async fn sts_error_answer_becomes_a_provider_error_with_code_and_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "RequestId": "REQ-1", "HostId": "sts.aliyuncs.com",
            "Code": "NoPermission", "Message": "You are not authorized to do this action."
        })))
        .mount(&server)
        .await;
    let (config, _) = config(&server);
    let err = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("id", "the-secret"))
        .configure(&config)
        .build()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::ProviderError { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("403") && text.contains("NoPermission") && text.contains("REQ-1"),
        "{text}"
    );
    assert!(!text.contains("the-secret"));
}

#[tokio::test]
async fn sts_answer_without_credentials_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"RequestId": "x"})),
        )
        .mount(&server)
        .await;
    let (config, _) = config(&server);
    let err = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("id", "secret"))
        .configure(&config)
        .build()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("lacks"), "{err}");
}

#[test]
fn invalid_settings_are_rejected_before_any_request() {
    let bad_duration = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("id", "secret"))
        .duration_seconds(899)
        .build()
        .unwrap_err();
    assert!(matches!(
        bad_duration,
        CredentialsError::InvalidConfiguration { .. }
    ));
    let bad_name = AssumeRoleProvider::builder(ROLE_ARN, Credentials::new("id", "secret"))
        .role_session_name("no spaces allowed")
        .build()
        .unwrap_err();
    assert!(matches!(
        bad_name,
        CredentialsError::InvalidConfiguration { .. }
    ));
    let empty_arn = AssumeRoleProvider::builder(" ", Credentials::new("id", "secret"))
        .build()
        .unwrap_err();
    assert!(matches!(
        empty_arn,
        CredentialsError::InvalidConfiguration { .. }
    ));
}

#[tokio::test]
async fn oidc_sends_an_anonymous_request_with_the_current_token_file_content() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sts_ok_body()))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("oidc-token");
    std::fs::write(&token_file, "jwt-one\n").unwrap();
    let (config, _) = config(&server);
    let config = config.with_env(Env::from_vars([
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890123456:oidc-provider/ack",
        ),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "pod-session"),
    ]));
    let provider = OidcRoleArnProvider::from_env(&config).unwrap();

    let creds = provider.provide_credentials().await.unwrap();
    assert_eq!(creds.security_token(), Some("CAIS-issued-token"));
    // The token file is re-read at every refresh (kubelet rotates it).
    std::fs::write(&token_file, "jwt-two").unwrap();
    provider.provide_credentials().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let (query, form) = query_and_form(&requests[0]);
    assert_eq!(query["Action"], "AssumeRoleWithOIDC");
    assert_eq!(query["Timestamp"], "2024-01-01T12:00:00Z");
    for absent in [
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
    ] {
        assert!(!query.contains_key(absent), "{absent} must not be sent");
    }
    assert_eq!(form["RoleArn"], ROLE_ARN);
    assert_eq!(
        form["OIDCProviderArn"],
        "acs:ram::1234567890123456:oidc-provider/ack"
    );
    assert_eq!(form["OIDCToken"], "jwt-one");
    assert_eq!(form["RoleSessionName"], "pod-session");
    let (_, form2) = query_and_form(&requests[1]);
    assert_eq!(form2["OIDCToken"], "jwt-two");
}

#[tokio::test]
async fn oidc_from_env_needs_all_three_variables() {
    for vars in [
        vec![],
        vec![("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN)],
        vec![
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "p"),
        ],
    ] {
        let config = ProviderConfig::new().with_env(Env::from_vars(vars));
        let err = OidcRoleArnProvider::from_env(&config).unwrap_err();
        assert!(err.is_not_loaded(), "{err:?}");
    }
}

#[tokio::test]
async fn oidc_missing_token_file_is_a_provider_error() {
    let config = ProviderConfig::new()
        .with_env(Env::from_vars([("X", "y")]))
        .with_sts_endpoint("http://127.0.0.1:1");
    let err = OidcRoleArnProvider::builder(ROLE_ARN, "p", "/nonexistent/token")
        .configure(&config)
        .build()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::ProviderError { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("/nonexistent/token"));
}
