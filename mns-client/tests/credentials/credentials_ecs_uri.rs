//! ECS metadata service (IMDSv2 then v1) and credentials-URI providers against wiremock.

use std::time::{Duration, UNIX_EPOCH};

use mns_client::credentials::{CredentialsUriProvider, EcsRamRoleProvider, Env, ProviderConfig};
use mns_client::{CredentialsError, ProvideCredentials};
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREDS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

fn creds_json() -> String {
    serde_json::json!({
        "Code": "Success",
        "AccessKeyId": "STS.ecs",
        "AccessKeySecret": "ecs-secret",
        "SecurityToken": "ecs-token",
        "Expiration": "2024-01-01T18:00:00Z",
        "LastUpdated": "2024-01-01T12:00:00Z"
    })
    .to_string()
}

fn config(server: &MockServer, vars: &[(&str, &str)]) -> ProviderConfig {
    ProviderConfig::new()
        .with_env(Env::from_vars(vars.iter().copied()))
        .with_ecs_metadata_endpoint(server.uri())
}

#[tokio::test]
async fn imds_v2_token_then_role_discovery_then_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/latest/api/token"))
        .and(header("x-aliyun-ecs-metadata-token-ttl-seconds", "21600"))
        .respond_with(ResponseTemplate::new(200).set_body_string("imds-token"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CREDS_PATH))
        .and(header("x-aliyun-ecs-metadata-token", "imds-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string("MyEcsRole\n"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{CREDS_PATH}MyEcsRole")))
        .and(header("x-aliyun-ecs-metadata-token", "imds-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(creds_json()))
        .expect(1)
        .mount(&server)
        .await;

    let creds = EcsRamRoleProvider::from_env(&config(&server, &[]))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "STS.ecs");
    assert_eq!(creds.access_key_secret(), "ecs-secret");
    assert_eq!(creds.security_token(), Some("ecs-token"));
    // 2024-01-01T18:00:00Z
    assert_eq!(
        creds.expiry(),
        Some(UNIX_EPOCH + Duration::from_secs(1_704_132_000))
    );
}

#[tokio::test]
async fn configured_role_name_skips_discovery_and_v1_fallback_works() {
    let server = MockServer::start().await;
    // No token endpoint: the PUT gets 404, so the provider falls back to IMDSv1.
    Mock::given(method("GET"))
        .and(path(format!("{CREDS_PATH}ConfiguredRole")))
        .respond_with(ResponseTemplate::new(200).set_body_string(creds_json()))
        .expect(1)
        .mount(&server)
        .await;
    let creds = EcsRamRoleProvider::from_env(&config(
        &server,
        &[("ALIBABA_CLOUD_ECS_METADATA", "ConfiguredRole")],
    ))
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(creds.access_key_id(), "STS.ecs");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "token attempt + credentials");
    assert!(
        !requests[1]
            .headers
            .contains_key("x-aliyun-ecs-metadata-token")
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.method.as_str() == "GET" && r.url.path() == CREDS_PATH),
        "no discovery when the role name is configured"
    );
}

#[tokio::test]
async fn imds_v1_disabled_fails_without_a_token() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let err = EcsRamRoleProvider::from_env(&config(
        &server,
        &[
            ("ALIBABA_CLOUD_ECS_METADATA", "Role"),
            ("ALIBABA_CLOUD_IMDSV1_DISABLED", "true"),
        ],
    ))
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(
        matches!(err, CredentialsError::ProviderError { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("IMDSv1 is disabled"));
    // Only the token request was made.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn failed_token_bearing_request_is_retried_without_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_string("tok"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header_exists("x-aliyun-ecs-metadata-token"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{CREDS_PATH}Role")))
        .respond_with(ResponseTemplate::new(200).set_body_string(creds_json()))
        .mount(&server)
        .await;
    let creds = EcsRamRoleProvider::builder()
        .role_name("Role")
        .configure(&config(&server, &[]))
        .build()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "STS.ecs");
}

#[tokio::test]
async fn metadata_code_other_than_success_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"Code":"Failed","AccessKeySecret":"leaky-secret"}"#),
        )
        .mount(&server)
        .await;
    let err = EcsRamRoleProvider::builder()
        .role_name("Role")
        .configure(&config(&server, &[]))
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Failed"), "{text}");
    assert!(!text.contains("leaky-secret"));
}

#[tokio::test]
async fn unreachable_metadata_service_is_not_loaded() {
    // Bind then drop a listener to get a local port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = EcsRamRoleProvider::builder()
        .configure(
            &ProviderConfig::new()
                .with_env(Env::from_vars([("X", "y")]))
                .with_ecs_metadata_endpoint(format!("http://127.0.0.1:{port}")),
        )
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.is_not_loaded(), "{err:?}");
}

#[tokio::test]
async fn credentials_uri_keeps_its_query_and_parses_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/creds"))
        .and(wiremock::matchers::query_param("role", "app"))
        .respond_with(ResponseTemplate::new(200).set_body_string(creds_json()))
        .expect(1)
        .mount(&server)
        .await;
    let uri = format!("{}/creds?role=app", server.uri());
    let config = ProviderConfig::new().with_env(Env::from_vars([(
        "ALIBABA_CLOUD_CREDENTIALS_URI",
        uri.as_str(),
    )]));
    let creds = CredentialsUriProvider::from_env(&config)
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.security_token(), Some("ecs-token"));
}

#[tokio::test]
async fn credentials_uri_errors() {
    let config = ProviderConfig::new().with_env(Env::from_vars([("X", "y")]));
    assert!(
        CredentialsUriProvider::from_env(&config)
            .unwrap_err()
            .is_not_loaded()
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/500"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/partial"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"Code":"Success","AccessKeyId":"a","AccessKeySecret":"b"}"#),
        )
        .mount(&server)
        .await;
    let err = CredentialsUriProvider::new(format!("{}/500", server.uri()))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    let err = CredentialsUriProvider::new(format!("{}/partial", server.uri()))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("lacks"), "{err}");
}
