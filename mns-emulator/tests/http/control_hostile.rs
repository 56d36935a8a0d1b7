//! Hostile control-plane input against the emulator: each request answered with the gateway's
//! code and status, nothing created or changed; a Terraform-style RPC-v1 request (everything in
//! the form body) accepted, and one naming another version refused.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use mns_client::Credentials;
use mns_client::control::{ControlListOptions, CreateQueueOptions, QueueDlqPolicy};

use super::control_client::setup;

/// Action, query parameters, expected status and code.
type HostileCase = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    u16,
    &'static str,
);

/// Hostile control-plane input: each gets its code and status, and nothing changes.
#[tokio::test]
async fn hostile_control_plane_input_changes_nothing() {
    let s = setup().await;
    s.control
        .create_queue("dlq", &CreateQueueOptions::default())
        .await
        .unwrap();
    let raw = |action: &'static str, params: Vec<(&str, &str)>| {
        let control = s.control.clone();
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        async move {
            let http = reqwest::Client::new();
            let mut p = mns_client::control::ControlParams::default();
            for (k, v) in params {
                p.query(&k, v);
            }
            let creds = Credentials::new("testid", "testsecret");
            let nonce = format!("{:032x}", rand_nonce());
            let req = control
                .prepare(
                    action,
                    &p,
                    &creds,
                    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_164_645),
                    &nonce,
                )
                .unwrap();
            let mut builder = http.post(&req.url).body(req.body.clone());
            for (n, v) in &req.headers {
                if n != "host" {
                    builder = builder.header(n, v);
                }
            }
            let resp = builder.send().await.unwrap();
            let status = resp.status().as_u16();
            let doc: serde_json::Value =
                serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
            (status, doc["Code"].as_str().unwrap_or_default().to_owned())
        }
    };
    let cases: Vec<HostileCase> = vec![
        ("CreateQueue", vec![], 400, "MissingQueueName"),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("QueueType", "lifo")],
            400,
            "InvalidQueueType",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("VisibilityTimeout", "ten")],
            400,
            "InvalidVisibilityTimeout",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("VisibilityTimeout", "0")],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("EnableLogging", "yes")],
            400,
            "InvalidEnableLogging",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("DlqPolicy", "{not json")],
            400,
            "InvalidDlqPolicy",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                ("DlqPolicy", r#"{"Enabled":true,"MaxReceiveCount":3}"#),
            ],
            400,
            "InvalidDlqPolicy",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"missing","MaxReceiveCount":3}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"q","MaxReceiveCount":3}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![
                ("QueueName", "q"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"dlq","MaxReceiveCount":0}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "q"), ("Tag.1.Value", "v")],
            400,
            "InvalidTag",
        ),
        (
            "CreateQueue",
            vec![("QueueName", "bad_name!")],
            400,
            "InvalidQueueName",
        ),
        (
            "SetQueueAttributes",
            vec![
                ("QueueName", "dlq"),
                (
                    "DlqPolicy",
                    r#"{"Enabled":true,"DeadLetterTargetQueue":"dlq","MaxReceiveCount":3}"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "GetQueueAttributes",
            vec![("QueueName", "nope")],
            404,
            "QueueNotExist",
        ),
        (
            "TagResources",
            vec![
                ("ResourceType", "queue"),
                ("ResourceId.1", "dlq"),
                ("ResourceId.2", "nope"),
                ("Tag.1.Key", "k"),
            ],
            404,
            "QueueNotExist",
        ),
        (
            "TagResources",
            vec![
                ("ResourceType", "bucket"),
                ("ResourceId.1", "dlq"),
                ("Tag.1.Key", "k"),
            ],
            400,
            "InvalidResourceType",
        ),
        (
            "UntagResources",
            vec![("ResourceType", "queue"), ("ResourceId.1", "dlq")],
            400,
            "MissingTagKey.1",
        ),
        ("NoSuchAction", vec![], 404, "InvalidApi.NotFound"),
        (
            "CreateEventRule",
            vec![],
            403,
            "Forbidden.FeatureNotEnabled",
        ),
    ];
    for (action, params, status, expected) in cases {
        let label = format!("{action} {params:?}");
        let got = raw(action, params).await;
        assert_eq!(got, (status, expected.to_owned()), "{label}");
    }
    // Nothing was created or changed.
    let names: Vec<_> = s
        .control
        .list_queues(ControlListOptions::default())
        .map(|r| r.unwrap().name)
        .collect()
        .await;
    assert_eq!(names, vec!["dlq".to_owned()]);
    assert_eq!(s.emu.emulator().queue_dlq_policy("dlq").unwrap(), None);
    let meta = s
        .emu
        .emulator()
        .with_engine(|e, _| e.queue_meta("dlq"))
        .unwrap();
    assert!(meta.tags.is_empty(), "a failed TagResources tags nothing");
}

fn rand_nonce() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    u128::from(N.fetch_add(1, Ordering::Relaxed)) << 64 | 0xabc
}

/// A Terraform-style RPC v1 request: common parameters in the query, every business parameter
/// in the form body, `true` in lower case, signed over both (reference §2.5).
async fn rpc_call(
    endpoint: &str,
    version: &str,
    nonce: &str,
    body: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    use std::collections::BTreeMap;

    use mns_emulator::sts::rpc_signature;
    let common = [
        ("Action", "CreateQueue"),
        ("Format", "JSON"),
        ("Version", version),
        ("AccessKeyId", "testid"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", "2024-01-02T03:04:05Z"),
    ];
    let mut signed: BTreeMap<String, String> = common
        .iter()
        .chain(body)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let signature = rpc_signature::sign(
        "testsecret",
        &rpc_signature::string_to_sign("POST", &signed),
    );
    signed.clear();
    let query = {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in common {
            query.append_pair(k, v);
        }
        query.append_pair("Signature", &signature);
        query.finish()
    };
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in body {
            form.append_pair(k, v);
        }
        form.finish()
    };
    let resp = reqwest::Client::new()
        .post(format!("{endpoint}/?{query}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn terraform_style_rpc_requests_and_wrong_versions() {
    let s = setup().await;
    s.control
        .create_queue("tf-dlq", &CreateQueueOptions::default())
        .await
        .unwrap();
    let body = [
        ("QueueName", "tf-queue"),
        ("RegionId", "cn-hangzhou"),
        ("VisibilityTimeout", "45"),
        ("EnableLogging", "true"),
        (
            "DlqPolicy",
            r#"{"DeadLetterTargetQueue":"tf-dlq","Enabled":true,"MaxReceiveCount":5}"#,
        ),
    ];
    let (status, doc) = rpc_call(s.emu.endpoint(), "2015-01-01", "n-1", &body).await;
    assert_eq!(
        (status, doc["Code"].as_str()),
        (400, Some("InvalidVersion")),
        "{doc}"
    );
    assert!(s.control.get_queue_attributes("tf-queue").await.is_err());
    let (status, doc) = rpc_call(s.emu.endpoint(), "2022-01-19", "n-2", &body).await;
    assert_eq!(status, 200, "{doc}");
    let q = s.control.get_queue_attributes("tf-queue").await.unwrap();
    assert_eq!(q.visibility_timeout, 45);
    assert!(q.logging_enabled);
    assert_eq!(q.dlq_policy, Some(QueueDlqPolicy::enabled("tf-dlq", 5)));
}
