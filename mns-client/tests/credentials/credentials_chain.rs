//! The default chain's order, its `NoneFound` report, error handling and provider reuse.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mns_client::credentials::{CredentialsProviderChain, DefaultCredentialsChain, Env};
use mns_client::{Credentials, CredentialsError, ProvideCredentials};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn metadata_json(id: &str) -> String {
    format!(
        r#"{{"Code":"Success","AccessKeyId":"{id}","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z"}}"#
    )
}

/// One fake world where every source is available; `without` removes sources by name.
struct World {
    home: tempfile::TempDir,
    metadata: MockServer,
    sts: MockServer,
}

impl World {
    async fn new() -> World {
        let home = tempfile::tempdir().unwrap();
        write(
            &home.path().join(".aliyun/config.json"),
            r#"{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"from-cli","access_key_secret":"s"}]}"#,
        );
        write(
            &home.path().join(".alibabacloud/credentials.ini"),
            "[default]\ntype = access_key\naccess_key_id = from-ini\naccess_key_secret = s\n",
        );
        write(&home.path().join("oidc-token"), "jwt");
        let metadata = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/latest/meta-data/ram/security-credentials/"))
            .respond_with(ResponseTemplate::new(200).set_body_string("Role"))
            .mount(&metadata)
            .await;
        Mock::given(method("GET"))
            .and(path("/latest/meta-data/ram/security-credentials/Role"))
            .respond_with(ResponseTemplate::new(200).set_body_string(metadata_json("from-ecs")))
            .mount(&metadata)
            .await;
        Mock::given(method("GET"))
            .and(path("/uri"))
            .respond_with(ResponseTemplate::new(200).set_body_string(metadata_json("from-uri")))
            .mount(&metadata)
            .await;
        let sts = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "Credentials": {"AccessKeyId": "from-oidc", "AccessKeySecret": "s",
                                "SecurityToken": "t", "Expiration": "2030-01-01T00:00:00Z"}
            })))
            .mount(&sts)
            .await;
        World {
            home,
            metadata,
            sts,
        }
    }

    fn vars(&self, without: &[&str]) -> Vec<(String, String)> {
        let mut vars = vec![("HOME".to_string(), self.home.path().display().to_string())];
        let mut add = |k: &str, v: String| vars.push((k.to_string(), v));
        if !without.contains(&"env") {
            add("ALIBABA_CLOUD_ACCESS_KEY_ID", "from-env".into());
            add("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s".into());
        }
        if !without.contains(&"oidc") {
            add("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r".into());
            add(
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "acs:ram::1:oidc-provider/p".into(),
            );
            add(
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                self.home.path().join("oidc-token").display().to_string(),
            );
        }
        if without.contains(&"ecs") {
            add("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true".into());
        }
        if !without.contains(&"uri") {
            add(
                "ALIBABA_CLOUD_CREDENTIALS_URI",
                format!("{}/uri", self.metadata.uri()),
            );
        }
        vars
    }

    fn chain(&self, without: &[&str]) -> DefaultCredentialsChain {
        if without.contains(&"cli") {
            std::fs::remove_file(self.home.path().join(".aliyun/config.json")).ok();
        }
        if without.contains(&"ini") {
            std::fs::remove_file(self.home.path().join(".alibabacloud/credentials.ini")).ok();
        }
        DefaultCredentialsChain::builder()
            .env(Env::from_vars(self.vars(without)))
            .sts_endpoint(self.sts.uri())
            .ecs_metadata_endpoint(self.metadata.uri())
            .build()
    }
}

async fn first_id(chain: &DefaultCredentialsChain) -> String {
    chain
        .provide_credentials()
        .await
        .unwrap()
        .access_key_id()
        .to_string()
}

#[tokio::test]
async fn default_chain_tries_sources_in_the_documented_order() {
    let world = World::new().await;
    let steps: [(&[&str], &str); 6] = [
        (&[], "from-env"),
        (&["env"], "from-oidc"),
        (&["env", "oidc"], "from-cli"),
        (&["env", "oidc", "cli"], "from-ini"),
        (&["env", "oidc", "cli", "ini"], "from-ecs"),
        (&["env", "oidc", "cli", "ini", "ecs"], "from-uri"),
    ];
    for (without, expected) in steps {
        let chain = world.chain(without);
        assert_eq!(first_id(&chain).await, expected, "without {without:?}");
    }
}

#[test]
fn provider_names_are_in_order() {
    let chain = DefaultCredentialsChain::builder()
        .env(Env::from_vars([("X", "y")]))
        .build();
    assert_eq!(
        chain.provider_names(),
        [
            "environment",
            "oidc_role_arn",
            "cli_profile",
            "profile_file",
            "ecs_ram_role",
            "credentials_uri"
        ]
    );
}

#[tokio::test]
async fn none_found_lists_what_each_provider_tried() {
    let home = tempfile::tempdir().unwrap();
    let chain = DefaultCredentialsChain::builder()
        .env(Env::from_vars([(
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
            "true",
        )]))
        .home_dir(home.path())
        .build();
    let err = chain.provide_credentials().await.unwrap_err();
    let CredentialsError::NoneFound { tried } = &err else {
        panic!("expected NoneFound, got {err:?}");
    };
    assert_eq!(tried.len(), 6, "{tried:?}");
    let expectations = [
        ("environment", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
        ("oidc_role_arn", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
        ("cli_profile", "config.json"),
        ("profile_file", "credentials.ini"),
        ("ecs_ram_role", "ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
        ("credentials_uri", "ALIBABA_CLOUD_CREDENTIALS_URI"),
    ];
    for (line, (name, mention)) in tried.iter().zip(expectations) {
        assert!(line.starts_with(name), "{line}");
        assert!(line.contains(mention), "{line}");
    }
    assert!(
        err.to_string()
            .starts_with("no credentials found; tried: environment:")
    );
}

#[tokio::test]
async fn unreachable_metadata_service_still_ends_in_none_found() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let home = tempfile::tempdir().unwrap();
    let chain = DefaultCredentialsChain::builder()
        .env(Env::from_vars([("X", "y")]))
        .home_dir(home.path())
        .ecs_metadata_endpoint(format!("http://127.0.0.1:{port}"))
        .build();
    let err = chain.provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::NoneFound { .. }), "{err:?}");
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[tokio::test]
async fn an_error_other_than_not_loaded_stops_the_chain() {
    let world = World::new().await;
    // The env provider finds an ID without its secret: a misconfiguration, not "absent".
    let mut vars = world.vars(&["env", "oidc"]);
    vars.push(("ALIBABA_CLOUD_ACCESS_KEY_ID".into(), "half".into()));
    let chain = DefaultCredentialsChain::builder()
        .env(Env::from_vars(vars))
        .ecs_metadata_endpoint(world.metadata.uri())
        .build();
    let err = chain.provide_credentials().await.unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::InvalidConfiguration {
                provider: "environment",
                ..
            }
        ),
        "{err:?}"
    );
}

/// A provider that counts its calls and answers `NotLoaded` while `loaded` is 0.
#[derive(Debug)]
struct Counting {
    id: &'static str,
    calls: Arc<AtomicUsize>,
    loaded: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl ProvideCredentials for Counting {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.loaded.load(Ordering::SeqCst) == 0 {
            return Err(CredentialsError::NotLoaded {
                provider: "counting",
                reason: format!("{} is off", self.id),
            });
        }
        Ok(Credentials::new(self.id, "s"))
    }
}

fn counting(id: &'static str, loaded: bool) -> (Counting, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let on = Arc::new(AtomicUsize::new(usize::from(loaded)));
    (
        Counting {
            id,
            calls: calls.clone(),
            loaded: on.clone(),
        },
        calls,
        on,
    )
}

#[tokio::test]
async fn chain_reuses_the_last_successful_provider() {
    let (first, first_calls, first_on) = counting("first", false);
    let (second, second_calls, second_on) = counting("second", true);
    let chain = CredentialsProviderChain::first_try("first", first).or_else("second", second);

    assert_eq!(
        chain.provide_credentials().await.unwrap().access_key_id(),
        "second"
    );
    assert_eq!(
        chain.provide_credentials().await.unwrap().access_key_id(),
        "second"
    );
    assert_eq!(
        first_calls.load(Ordering::SeqCst),
        1,
        "first is skipped once second won"
    );
    assert_eq!(second_calls.load(Ordering::SeqCst), 2);

    // When the remembered provider goes away, the whole chain runs again.
    second_on.store(0, Ordering::SeqCst);
    first_on.store(1, Ordering::SeqCst);
    assert_eq!(
        chain.provide_credentials().await.unwrap().access_key_id(),
        "first"
    );
}

#[tokio::test]
async fn chain_without_reuse_asks_from_the_start_each_time() {
    let (first, first_calls, _) = counting("first", false);
    let (second, _, _) = counting("second", true);
    let chain = CredentialsProviderChain::first_try("first", first)
        .or_else("second", second)
        .reuse_last_provider(false);
    chain.provide_credentials().await.unwrap();
    chain.provide_credentials().await.unwrap();
    assert_eq!(first_calls.load(Ordering::SeqCst), 2);
}
