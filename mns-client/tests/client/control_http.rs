//! The control-plane client against wiremock: what goes on the wire (POST `/`, action and
//! version headers, a signature that verifies, the CreateTopic split between query and form
//! body), how the JSON envelope decodes (answers, errors, `Success: false`, non-JSON), retries
//! of 5xx answers, and input refused before sending.

use std::time::{Duration, UNIX_EPOCH};

use futures_util::StreamExt as _;
use mns_client::control::{
    ControlClient, ControlListOptions, CreateQueueOptions, CreateTopicOptions, QueueDlqPolicy,
    QueueType, TopicType, signing,
};
use mns_client::time::FixedTimeSource;
use mns_client::{Credentials, Error};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::support::{NOW_SECS, fast_retry};

fn control(server: &MockServer) -> ControlClient {
    ControlClient::builder("cn-hangzhou")
        .base_url(server.uri())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(FixedTimeSource(UNIX_EPOCH + Duration::from_secs(NOW_SECS)))
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "RequestId": "R1", "Code": 200, "Status": "Success",
        "Message": "operation success", "Success": true, "Data": data,
    }))
}

/// Recomputes the ACS3 signature of a received request from its own SignedHeaders.
fn verifies(req: &Request) -> bool {
    let auth = req.headers["authorization"].to_str().unwrap();
    let rest = auth.strip_prefix("ACS3-HMAC-SHA256 ").unwrap();
    let mut parts = rest.split(',');
    let credential = parts.next().unwrap().strip_prefix("Credential=").unwrap();
    let signed = parts
        .next()
        .unwrap()
        .strip_prefix("SignedHeaders=")
        .unwrap();
    let signature = parts.next().unwrap().strip_prefix("Signature=").unwrap();
    let headers: Vec<(String, String)> = signed
        .split(';')
        .map(|n| (n.to_owned(), req.headers[n].to_str().unwrap().to_owned()))
        .collect();
    let query: Vec<(String, String)> = req
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let (canonical, list) =
        signing::canonical_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let request = signing::canonical_request(
        "POST",
        "/",
        &signing::canonical_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        &canonical,
        &list,
        &signing::hashed_payload(&req.body),
    );
    credential == "testid"
        && list == signed
        && signing::signature("testsecret", &signing::string_to_sign(&request)) == signature
}

#[tokio::test]
async fn create_queue_sends_a_signed_acs3_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("x-acs-action", "CreateQueue"))
        .and(header("x-acs-version", "2022-01-19"))
        .and(header("x-acs-date", "2024-01-02T03:04:05Z"))
        .and(query_param("QueueName", "orders"))
        .and(query_param("QueueType", "fifo"))
        .and(query_param(
            "DlqPolicy",
            r#"{"DeadLetterTargetQueue":"dlq","Enabled":true,"MaxReceiveCount":3}"#,
        ))
        .and(query_param("Tag.1.Key", "env"))
        .and(query_param("Tag.1.Value", "a b"))
        .respond_with(ok(json!({"Code": 200, "Success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let options = CreateQueueOptions {
        queue_type: Some(QueueType::Fifo),
        dlq_policy: Some(QueueDlqPolicy::enabled("dlq", 3)),
        tags: vec![mns_client::control::Tag::new("env", "a b")],
        ..CreateQueueOptions::default()
    };
    control(&server)
        .create_queue("orders", &options)
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap();
    assert!(verifies(&received[0]), "the signature verifies");
}

#[tokio::test]
async fn create_topic_puts_the_name_in_a_signed_form_body() {
    let server = MockServer::start().await;
    Mock::given(query_param("TopicType", "fifo"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("TopicName=events&MaxMessageSize=1024"))
        .respond_with(ok(json!({"Code": 200, "Success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let options = CreateTopicOptions {
        topic_type: Some(TopicType::Fifo),
        max_message_size: Some(1024),
        ..CreateTopicOptions::default()
    };
    control(&server)
        .create_topic("events", &options)
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap();
    assert!(verifies(&received[0]));
}

#[tokio::test]
async fn answers_decode_leniently() {
    let server = MockServer::start().await;
    Mock::given(header("x-acs-action", "GetQueueAttributes"))
        .respond_with(ok(json!({
            "QueueName": "orders", "QueueType": "fifo", "CreateTime": 1_250_700_999,
            "VisibilityTimeout": 60, "LoggingEnabled": true,
            "DlqPolicy": {"Enabled": true, "DeadLetterTargetQueue": "dlq", "MaxReceiveCount": "3"},
            "Tags": [{"TagKey": "env", "TagValue": "test"}],
        })))
        .mount(&server)
        .await;
    let q = control(&server)
        .get_queue_attributes("orders")
        .await
        .unwrap();
    assert_eq!(q.queue_type, QueueType::Fifo);
    assert_eq!(q.dlq_policy, Some(QueueDlqPolicy::enabled("dlq", 3)));
    assert_eq!((q.visibility_timeout, q.create_time), (60, 1_250_700_999));
    assert_eq!(q.tags[0].key, "env");
    assert_eq!(q.rate_limit, None);
}

#[tokio::test]
async fn errors_success_false_and_non_json_are_typed() {
    let server = MockServer::start().await;
    Mock::given(header("x-acs-action", "GetQueueAttributes"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "RequestId": "R2", "HostId": "mns-open.aliyuncs.com",
            "Code": "QueueNotExist", "Message": "The queue name you provided is not exist.",
        })))
        .mount(&server)
        .await;
    Mock::given(header("x-acs-action", "DeleteQueue"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "RequestId": "R3", "Code": "InvalidParameter", "Success": false, "Message": "no",
        })))
        .mount(&server)
        .await;
    Mock::given(header("x-acs-action", "DeleteTopic"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy</html>"))
        .mount(&server)
        .await;
    let c = control(&server);
    let e = c.get_queue_attributes("orders").await.unwrap_err();
    let s = e.as_service().unwrap();
    assert_eq!(
        (s.status, s.code.as_str(), s.request_id.as_str()),
        (404, "QueueNotExist", "R2")
    );
    assert!(e.is_not_found());
    let e = c.delete_queue("orders").await.unwrap_err();
    assert_eq!(e.as_service().unwrap().code.as_str(), "InvalidParameter");
    assert!(matches!(
        c.delete_topic("events").await,
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = MockServer::start().await;
    Mock::given(header("x-acs-action", "DeleteQueue"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "RequestId": "R4", "Code": "ServiceUnavailable", "Message": "busy",
        })))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(header("x-acs-action", "DeleteQueue"))
        .respond_with(ok(json!({"Code": 200, "Success": true})))
        .mount(&server)
        .await;
    control(&server).delete_queue("orders").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn gateway_throttling_is_retried() {
    let server = MockServer::start().await;
    Mock::given(header("x-acs-action", "DeleteQueue"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "RequestId": "R5", "Code": "Throttling.User", "Message": "slow down",
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(header("x-acs-action", "DeleteQueue"))
        .respond_with(ok(json!({"Code": 200, "Success": true})))
        .mount(&server)
        .await;
    control(&server).delete_queue("orders").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// A control client made from a data-plane client shares its credentials and settings.
#[tokio::test]
async fn control_builder_shares_the_data_plane_settings() {
    let server = MockServer::start().await;
    Mock::given(header("x-acs-action", "DeleteQueue"))
        .and(header("x-acs-date", "2024-01-02T03:04:05Z"))
        .respond_with(ok(json!({"Code": 200, "Success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let data = super::support::client(&server);
    let c = data
        .control_builder("cn-hangzhou")
        .base_url(server.uri())
        .build()
        .unwrap();
    c.delete_queue("orders").await.unwrap();
    assert!(verifies(&server.received_requests().await.unwrap()[0]));
}

#[tokio::test]
async fn listing_streams_every_page() {
    let server = MockServer::start().await;
    let page = |n: u32, names: Vec<String>| {
        ok(
            json!({"PageData": names.iter().map(|q| json!({"QueueName": q})).collect::<Vec<_>>(),
                  "PageNum": n, "PageSize": 10, "Total": 23}),
        )
    };
    for (n, count) in [(1u32, 10usize), (2, 10), (3, 3)] {
        let names = (0..count).map(|i| format!("q{n}-{i}")).collect();
        Mock::given(query_param("PageNum", n.to_string()))
            .respond_with(page(n, names))
            .expect(1)
            .mount(&server)
            .await;
    }
    let options = ControlListOptions {
        page_size: Some(10),
        ..ControlListOptions::default()
    };
    let all: Vec<_> = control(&server).list_queues(options).collect().await;
    assert_eq!(all.len(), 23);
    assert!(all.iter().all(Result::is_ok));
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let server = MockServer::start().await;
    let c = control(&server);
    assert!(matches!(
        c.create_queue("bad name!", &CreateQueueOptions::default())
            .await,
        Err(Error::InvalidInput(_))
    ));
    let options = ControlListOptions {
        page_size: Some(5),
        ..ControlListOptions::default()
    };
    assert!(matches!(
        c.list_queues_page(&options, 1).await,
        Err(Error::InvalidInput(_))
    ));
    assert!("lifo".parse::<QueueType>().is_err());
    assert!(
        ControlClient::builder("cn hangzhou")
            .credentials(Credentials::new("a", "b"))
            .build()
            .is_err()
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
