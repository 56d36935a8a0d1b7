//! The client against wiremock: every queue and message operation with response bodies in the
//! documented shapes, error mapping, partial batch failures, retries, long polls, MD5 checks, and
//! input rejected before anything is sent.

use std::time::{Duration, UNIX_EPOCH};

use futures_util::TryStreamExt as _;
use mns_client::signing::{authorization, content_md5, md5_hex_upper, string_to_sign};
use mns_client::{
    BatchSendEntry, BodyCodec, Client, CreateOutcome, Credentials, CredentialsError, Endpoint,
    Error, ErrorCode, ListOptions, Priority, ProvideCredentials, QueueOptions, ReceiptHandle,
    RetryConfig, SendOptions, UserProperty,
};
use wiremock::matchers::{body_string, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

const DATE: &str = "Tue, 02 Jan 2024 03:04:05 GMT";

fn received_xml(id: &str, handle: &str, body: &str, root: bool) -> String {
    let inner = format!(
        "<MessageId>{id}</MessageId><ReceiptHandle>{handle}</ReceiptHandle>\
         <MessageBodyMD5>{}</MessageBodyMD5><MessageBody>{body}</MessageBody>\
         <EnqueueTime>1716809414944</EnqueueTime><NextVisibleTime>1716809470986</NextVisibleTime>\
         <FirstDequeueTime>1716809420986</FirstDequeueTime><DequeueCount>2</DequeueCount>\
         <Priority>10</Priority>",
        md5_hex_upper(body.as_bytes())
    );
    if root {
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{NS}">{inner}</Message>"#)
    } else {
        format!("<Message>{inner}</Message>")
    }
}

// -------------------------------------------------------------------------------------------------
// Transport: headers, signing, STS, errors, retries, timeouts, Debug

#[tokio::test]
async fn requests_carry_signed_headers_and_md5() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/queues/q1/messages"))
        .respond_with(xml(
            201,
            format!(
                "<Message xmlns=\"{NS}\"><MessageId>ID1</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>",
                md5_hex_upper(b"hello world")
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = client(&server)
        .queue("q1")
        .unwrap()
        .send_message("hello world")
        .await
        .unwrap();
    assert_eq!(receipt.message_id, "ID1");
    assert_eq!(receipt.receipt_handle, None);

    let reqs = requests(&server).await;
    let r = &reqs[0];
    assert_eq!(hdr(r, "date"), Some(DATE));
    assert_eq!(hdr(r, "x-mns-version"), Some("2015-06-06"));
    assert_eq!(hdr(r, "content-type"), Some("text/xml;charset=UTF-8"));
    assert_eq!(hdr(r, "content-md5"), Some(content_md5(&r.body).as_str()));
    assert!(
        hdr(r, "user-agent")
            .unwrap()
            .starts_with("aliyun-sdk-rust/")
    );
    assert_eq!(hdr(r, "security-token"), None);
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{NS}"><MessageBody>hello world</MessageBody></Message>"#
        )
    );
    assert_signed(r);
}

#[tokio::test]
async fn sts_token_travels_unsigned_in_security_token() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/queues/q1"))
        .and(header("security-token", "CAIS-token"))
        .respond_with(empty(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = builder(&server)
        .credentials(Credentials::with_security_token(
            "testid",
            "testsecret",
            "CAIS-token",
            None,
        ))
        .build()
        .unwrap();
    c.delete_queue("q1").await.unwrap();
    let reqs = requests(&server).await;
    // The signature verifies without the token being part of the string to sign.
    let headers: Vec<(String, String)> = reqs[0]
        .headers
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "authorization" | "security-token"))
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let sts = string_to_sign("DELETE", "/queues/q1", &headers);
    assert_eq!(
        hdr(&reqs[0], "authorization"),
        Some(authorization("testid", "testsecret", &sts).as_str())
    );
    assert_signed(&reqs[0]);
}

#[tokio::test]
async fn service_errors_map_status_code_message_request_and_host_id() {
    let cases = [
        (404, "QueueNotExist", ErrorCode::QueueNotExist),
        (409, "QueueAlreadyExist", ErrorCode::QueueAlreadyExist),
        (400, "InvalidArgument", ErrorCode::InvalidArgument),
        (400, "MalformedXML", ErrorCode::MalformedXML),
        (400, "QueueDeletedRecently", ErrorCode::QueueDeletedRecently),
        (
            403,
            "SignatureDoesNotMatch",
            ErrorCode::SignatureDoesNotMatch,
        ),
        (403, "AccessDenied", ErrorCode::AccessDenied),
        (403, "InvalidAccessKeyId", ErrorCode::InvalidAccessKeyId),
        (408, "TimeExpired", ErrorCode::TimeExpired),
        (400, "InvalidDegist", ErrorCode::InvalidDegist),
        (400, "SomethingNew", ErrorCode::Other("SomethingNew".into())),
    ];
    for (status, code, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/queues/q1"))
            .respond_with(xml(status, error_body(code, "msg text")))
            .expect(1) // none of these is retried
            .mount(&server)
            .await;
        let err = client(&server)
            .get_queue_attributes("q1")
            .await
            .unwrap_err();
        let s = service(&err);
        assert_eq!(s.status, status, "{code}");
        assert_eq!(s.code, expected, "{code}");
        assert_eq!(s.message, "msg text");
        assert_eq!(s.request_id, REQUEST_ID);
        assert_eq!(
            s.host_id,
            "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(err.request_id(), Some(REQUEST_ID));
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn error_bodies_decode_with_any_namespace_and_no_declaration() {
    for ns in [" xmlns=\"http://mns.aliyuncs.com/doc/v1\"", ""] {
        let server = MockServer::start().await;
        let body = format!(
            "<Error{ns}><Code>QueueNotExist</Code><Message>m</Message><RequestId>R1</RequestId><HostId>h</HostId></Error>"
        );
        Mock::given(method("GET"))
            .respond_with(xml(404, body))
            .mount(&server)
            .await;
        let err = client(&server)
            .get_queue_attributes("q1")
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::QueueNotExist));
        assert!(err.is_not_found());
        assert_eq!(err.request_id(), Some("R1"));
    }
}

#[tokio::test]
async fn retries_5xx_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(xml(500, error_body("InternalError", "Interal error.")))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(empty(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).delete_queue("q1").await.unwrap();
}

#[tokio::test]
async fn retries_throttling_429_and_qps_limit_exceeded() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(xml(429, error_body("TooManyRequests", "slow down")))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(xml(400, error_body("QpsLimitExceeded", "qps")))
        .up_to_n_times(1)
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(empty(204))
        .with_priority(3)
        .expect(1)
        .mount(&server)
        .await;
    client(&server).delete_queue("q1").await.unwrap();
}

#[tokio::test]
async fn retry_exhaustion_returns_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>bad gateway</html>"))
        .expect(3) // first attempt + max_retries (2)
        .mount(&server)
        .await;
    let err = client(&server).delete_queue("q1").await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { status: 503, .. }),
        "got {err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retries_stop_at_the_total_time_budget() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(xml(500, error_body("InternalError", "x")))
        .expect(1)
        .mount(&server)
        .await;
    let retry = RetryConfig {
        max_retries: 5,
        initial_backoff: Duration::from_secs(10),
        max_elapsed: Duration::from_secs(1),
        ..RetryConfig::default()
    };
    let c = builder(&server).retry(retry).build().unwrap();
    let err = c.delete_queue("q1").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InternalError));
}

#[tokio::test]
async fn timeouts_are_typed_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(empty(200).set_delay(Duration::from_millis(800)))
        .expect(2)
        .mount(&server)
        .await;
    let c = builder(&server)
        .request_timeout(Duration::from_millis(100))
        .retry(RetryConfig {
            max_retries: 1,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let err = c.get_queue_attributes("q1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: "GetQueueAttributes",
                ..
            }
        ),
        "got {err:?}"
    );
}

#[tokio::test]
async fn connection_errors_are_transport_errors() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Client::builder(Endpoint::from_url(&format!("http://127.0.0.1:{port}")).unwrap())
        .credentials(Credentials::new("id", "secret"))
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = c.delete_queue("q1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                operation: "DeleteQueue",
                ..
            }
        ),
        "got {err:?}"
    );
    assert!(err.is_retryable());
}

#[derive(Debug)]
struct FailingProvider;

#[async_trait::async_trait]
impl ProvideCredentials for FailingProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        Err(CredentialsError::NotLoaded {
            provider: "test",
            reason: "nothing configured".into(),
        })
    }
}

#[tokio::test]
async fn credential_failures_send_nothing() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(empty(204))
        .expect(0)
        .mount(&server)
        .await;
    let c = builder(&server)
        .credentials(FailingProvider)
        .build()
        .unwrap();
    let err = c.delete_queue("q1").await.unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "got {err:?}");
}

#[test]
fn building_without_credentials_fails_clearly() {
    let err = Client::builder(Endpoint::from_url("http://127.0.0.1:1").unwrap())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Credentials(_)));
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let endpoint = Endpoint::from_url("http://127.0.0.1:1").unwrap();
    let creds =
        Credentials::with_security_token("AKID", "super-secret-key", "sts-token-value", None);
    let b = Client::builder(endpoint).credentials(creds.clone());
    let builder_dbg = format!("{b:?}");
    let client = b.build().unwrap();
    let client_dbg = format!("{client:?}");
    let queue_dbg = format!("{:?}", client.queue("q").unwrap());
    let signed = client
        .queue("q")
        .unwrap()
        .prepare_send_message("x", &SendOptions::default(), &creds, UNIX_EPOCH)
        .unwrap();
    let signed_dbg = format!("{signed:?}");
    for d in [&builder_dbg, &client_dbg, &queue_dbg, &signed_dbg] {
        assert!(!d.contains("super-secret-key"), "{d}");
        assert!(!d.contains("sts-token-value"), "{d}");
    }
    assert!(client_dbg.contains("AKID"));
    let auth = signed.header("authorization").unwrap();
    assert!(!signed_dbg.contains(auth), "{signed_dbg}");
    assert_eq!(signed.header("security-token"), Some("sts-token-value"));
}

// -------------------------------------------------------------------------------------------------
// Queue administration

#[tokio::test]
async fn create_queue_tells_created_from_already_existed() {
    let server = MockServer::start().await;
    let location = format!("{}/queues/q1", server.uri());
    let expected_body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="{NS}"><DelaySeconds>5</DelaySeconds><VisibilityTimeout>60</VisibilityTimeout><LoggingEnabled>True</LoggingEnabled></Queue>"#
    );
    Mock::given(method("PUT"))
        .and(path("/queues/q1"))
        .and(body_string(expected_body))
        .respond_with(empty(201).insert_header("Location", location.as_str()))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/queues/q1"))
        .respond_with(empty(204).insert_header("Location", location.as_str()))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let attrs = QueueOptions {
        delay_seconds: Some(5),
        visibility_timeout: Some(60),
        logging_enabled: Some(true),
        ..QueueOptions::default()
    };
    assert_eq!(
        c.create_queue("q1", &attrs).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        c.create_queue("q1", &attrs).await.unwrap(),
        CreateOutcome::AlreadyExisted
    );
}

#[tokio::test]
async fn create_queue_conflict_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(xml(
            409,
            error_body(
                "QueueAlreadyExist",
                "The queue you want to create is already exist.",
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .queue("q1")
        .unwrap()
        .create(&QueueOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::QueueAlreadyExist));
    assert_eq!(service(&err).status, 409);
}

#[tokio::test]
async fn invalid_admin_input_is_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(empty(204))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let bad_attrs = [
        QueueOptions {
            delay_seconds: Some(604_801),
            ..Default::default()
        },
        QueueOptions {
            maximum_message_size: Some(1023),
            ..Default::default()
        },
        QueueOptions {
            message_retention_period: Some(59),
            ..Default::default()
        },
        QueueOptions {
            visibility_timeout: Some(0),
            ..Default::default()
        },
        QueueOptions {
            polling_wait_seconds: Some(31),
            ..Default::default()
        },
    ];
    for a in &bad_attrs {
        assert!(matches!(
            c.create_queue("q1", a).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            c.set_queue_attributes("q1", a).await,
            Err(Error::InvalidInput(_))
        ));
    }
    for name in ["", "-q", "q_1", "q/1", &"a".repeat(121)] {
        assert!(matches!(
            c.create_queue(name, &QueueOptions::default()).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            c.delete_queue(name).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(c.queue(name).is_err());
    }
    let bad_list = ListOptions {
        page_size: Some(1001),
        ..Default::default()
    };
    assert!(matches!(
        c.list_queue_page(&bad_list).await,
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn set_and_get_queue_attributes() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/queues/q1"))
        .and(query_param("metaoverride", "true"))
        .and(body_string_contains(
            "<MaximumMessageSize>2048</MaximumMessageSize>",
        ))
        .respond_with(empty(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/queues/q1"))
        .respond_with(xml(
            200,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<Queue xmlns="{NS}">
  <QueueName>q1</QueueName>
  <CreateTime>1704164645</CreateTime>
  <LastModifyTime>1704164700</LastModifyTime>
  <DelaySeconds>0</DelaySeconds>
  <MaximumMessageSize>2048</MaximumMessageSize>
  <MessageRetentionPeriod>345600</MessageRetentionPeriod>
  <VisibilityTimeout>30</VisibilityTimeout>
  <PollingWaitSeconds>0</PollingWaitSeconds>
  <ActiveMessages>3</ActiveMessages>
  <InactiveMessages>1</InactiveMessages>
  <DelayMessages>2</DelayMessages>
  <LoggingEnabled>False</LoggingEnabled>
</Queue>"#
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    c.set_queue_attributes(
        "q1",
        &QueueOptions {
            maximum_message_size: Some(2048),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let info = c.get_queue_attributes("q1").await.unwrap();
    assert_eq!(info.name, "q1");
    assert_eq!(info.create_time, UNIX_EPOCH + Duration::from_secs(NOW_SECS));
    assert_eq!(
        info.last_modify_time,
        UNIX_EPOCH + Duration::from_secs(1_704_164_700)
    );
    assert_eq!(info.maximum_message_size, 2048);
    assert_eq!(info.message_retention_period, 345_600);
    assert_eq!(info.visibility_timeout, 30);
    assert_eq!(
        (
            info.active_messages,
            info.inactive_messages,
            info.delay_messages
        ),
        (3, 1, 2)
    );
    assert!(!info.logging_enabled);
}

#[tokio::test]
async fn delete_queue_sends_delete() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/queues/q1"))
        .respond_with(empty(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).delete_queue("q1").await.unwrap();
    assert_eq!(
        hdr(&requests(&server).await[0], "content-length"),
        Some("0")
    );
}

fn queues_page(names: &[&str], next: Option<&str>) -> String {
    let mut s = format!(r#"<?xml version="1.0" encoding="UTF-8"?><Queues xmlns="{NS}">"#);
    for n in names {
        s.push_str(&format!(
            "<Queue><QueueURL>http://1234567890123456.mns.cn-hangzhou.aliyuncs.com/queues/{n}</QueueURL></Queue>"
        ));
    }
    if let Some(m) = next {
        s.push_str(&format!("<NextMarker>{m}</NextMarker>"));
    }
    s.push_str("</Queues>");
    s
}

#[tokio::test]
async fn list_queue_sends_signed_option_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/queues"))
        .and(header("x-mns-prefix", "te"))
        .and(header("x-mns-marker", "m0"))
        .and(header("x-mns-ret-number", "2"))
        .respond_with(xml(200, queues_page(&["te1", "te2"], Some("m1"))))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_queue_page(&ListOptions {
            prefix: Some("te".into()),
            marker: Some("m0".into()),
            page_size: Some(2),
            with_meta: false,
        })
        .await
        .unwrap();
    let names: Vec<&str> = page.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["te1", "te2"]);
    assert_eq!(page.next_marker.as_deref(), Some("m1"));
    assert!(page.queues[0].attributes.is_none());
    assert_signed(&requests(&server).await[0]);
}

#[tokio::test]
async fn list_queue_with_meta_and_empty_result() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-mns-with-meta", "true"))
        .respond_with(xml(
            200,
            format!(
                "<Queues xmlns=\"{NS}\"><Queue><QueueURL>http://h/queues/a</QueueURL><QueueName>a</QueueName>\
                 <CreateTime>1</CreateTime><VisibilityTimeout>45</VisibilityTimeout></Queue></Queues>"
            ),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(xml(200, format!("<Queues xmlns=\"{NS}\"/>")))
        .mount(&server)
        .await;
    let c = client(&server);
    let page = c
        .list_queue_page(&ListOptions {
            with_meta: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.queues[0]
            .attributes
            .as_ref()
            .unwrap()
            .visibility_timeout,
        45
    );
    let page = c.list_queue_page(&ListOptions::default()).await.unwrap();
    assert!(page.queues.is_empty());
    assert_eq!(page.next_marker, None);
}

#[tokio::test]
async fn list_queues_streams_every_page_via_markers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-mns-marker", "m1"))
        .respond_with(xml(200, queues_page(&["p3"], None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("x-mns-prefix", "p"))
        .respond_with(xml(200, queues_page(&["p1", "p2"], Some("m1"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let names: Vec<String> = client(&server)
        .list_queues(Some("p"))
        .map_ok(|q| q.name.into_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["p1", "p2", "p3"]);
}

// -------------------------------------------------------------------------------------------------
// SendMessage / BatchSendMessage

fn send_ok(md5_of: &str) -> ResponseTemplate {
    xml(
        201,
        format!(
            "<Message xmlns=\"{NS}\"><MessageId>7F3D61FE01E545217FCC712779C9BBF5</MessageId>\
             <MessageBodyMD5>{}</MessageBodyMD5></Message>",
            md5_hex_upper(md5_of.as_bytes())
        ),
    )
}

#[tokio::test]
async fn send_message_escapes_values_and_sends_options() {
    let server = MockServer::start().await;
    let body = "a<b & 'c' \"d\">";
    Mock::given(method("POST"))
        .and(path("/queues/q1/messages"))
        .respond_with(xml(
            201,
            format!(
                "<Message><MessageId>M</MessageId><MessageBodyMD5>{}</MessageBodyMD5><ReceiptHandle>1-abc</ReceiptHandle></Message>",
                md5_hex_upper(body.as_bytes())
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = client(&server)
        .queue("q1")
        .unwrap()
        .send_message_opts(
            body,
            SendOptions {
                delay_seconds: Some(10),
                priority: Some(Priority::new(1).unwrap()),
                user_properties: vec![UserProperty::string("city", "hang&zhou")],
                message_group_id: Some("g<1>".into()),
                system_properties: Default::default(),
            },
        )
        .await
        .unwrap();
    assert_eq!(receipt.receipt_handle.unwrap().as_str(), "1-abc");
    let reqs = requests(&server).await;
    assert_eq!(
        std::str::from_utf8(&reqs[0].body).unwrap(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message xmlns=\"{NS}\">\
             <MessageBody>a&lt;b &amp; &apos;c&apos; &quot;d&quot;&gt;</MessageBody>\
             <DelaySeconds>10</DelaySeconds><Priority>1</Priority>\
             <UserProperties><PropertyValue><Name>city</Name><Value>hang&amp;zhou</Value><Type>STRING</Type></PropertyValue></UserProperties>\
             <MessageGroupId>g&lt;1&gt;</MessageGroupId></Message>"
        )
    );
}

#[tokio::test]
async fn base64_codec_sends_what_the_python_sdk_sends() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains(
            "<MessageBody>aGVsbG8gd29ybGQ=</MessageBody>",
        ))
        .respond_with(send_ok("aGVsbG8gd29ybGQ="))
        .expect(1)
        .mount(&server)
        .await;
    let q = client(&server)
        .queue("q1")
        .unwrap()
        .with_codec(BodyCodec::Base64);
    assert_eq!(q.codec(), BodyCodec::Base64);
    q.send_message("hello world").await.unwrap();
}

#[tokio::test]
async fn send_md5_mismatch_is_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(send_ok("something else"))
        .mount(&server)
        .await;
    let err = client(&server)
        .queue("q1")
        .unwrap()
        .send_message("hello world")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Md5Mismatch { message_id, actual, .. }
            if message_id == "7F3D61FE01E545217FCC712779C9BBF5" && actual == "5EB63BBBE01EEED093CB22BB8F5ACDC3"),
        "got {err:?}"
    );
}

#[tokio::test]
async fn invalid_messages_are_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(empty(204))
        .expect(0)
        .mount(&server)
        .await;
    let q = client(&server).queue("q1").unwrap();
    assert!(invalid(q.send_message("").await));
    assert!(invalid(q.send_message(vec![b'a'; 65_537]).await));
    assert!(invalid(q.send_message([0xffu8, 0xfe]).await));
    assert!(matches!(
        q.send_message("bell\u{7}").await,
        Err(Error::InvalidXmlChar { code: 7, .. })
    ));
    // Base64 inflates: 49_200 raw bytes become 65_600 transmitted bytes.
    let b64 = q.clone().with_codec(BodyCodec::Base64);
    assert!(invalid(b64.send_message(vec![0u8; 49_200]).await));
    assert!(invalid(
        q.send_message_opts(
            "x",
            SendOptions {
                delay_seconds: Some(604_801),
                ..Default::default()
            }
        )
        .await
    ));
    assert!(matches!(
        q.send_message_opts(
            "x",
            SendOptions {
                user_properties: vec![UserProperty::string("bad name", "v")],
                ..Default::default()
            }
        )
        .await,
        Err(Error::InvalidProperty {
            problem: mns_client::PropertyProblem::InvalidName,
            ..
        })
    ));
    // Batches: count and total size.
    assert!(invalid(q.batch_send_message(Vec::new()).await));
    assert!(invalid(
        q.batch_send_message((0..17).map(|i| BatchSendEntry::new(format!("m{i}"))))
            .await
    ));
    assert!(invalid(
        q.batch_send_message((0..2).map(|_| BatchSendEntry::new(vec![b'a'; 33_000])))
            .await
    ));
    assert!(invalid(q.batch_receive_message(0, None).await));
    assert!(invalid(q.batch_receive_message(17, None).await));
    assert!(invalid(q.batch_peek_message(17).await));
    assert!(invalid(q.batch_delete_message(&[]).await));
    let handles: Vec<ReceiptHandle> = (0..17)
        .map(|i| ReceiptHandle::new(format!("h{i}")).unwrap())
        .collect();
    assert!(invalid(q.batch_delete_message(&handles).await));
    assert!(invalid(
        q.receive_message(Some(Duration::from_secs(31))).await
    ));
    assert!(invalid(
        q.batch_receive_message(4, Some(Duration::from_millis(500)))
            .await
    ));
    let h = ReceiptHandle::new("1-abc").unwrap();
    assert!(invalid(q.change_message_visibility(&h, 0).await));
    assert!(invalid(q.change_message_visibility(&h, 43_201).await));
}

#[tokio::test]
async fn batch_send_all_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains(
            "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><Message><MessageBody>one</MessageBody></Message>",
        ))
        .respond_with(xml(
            201,
            format!(
                "<Messages xmlns=\"{NS}\"><Message><MessageId>A</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>\
                 <Message><MessageId>B</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message></Messages>",
                md5_hex_upper(b"one"),
                md5_hex_upper(b"two")
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server)
        .queue("q1")
        .unwrap()
        .batch_send_message([BatchSendEntry::new("one"), BatchSendEntry::new("two")])
        .await
        .unwrap();
    let ids: Vec<String> = results.into_iter().map(|r| r.unwrap().message_id).collect();
    assert_eq!(ids, ["A", "B"]);
}

#[tokio::test]
async fn batch_send_partial_failure_is_per_entry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(xml(
            500,
            format!(
                "<Messages xmlns=\"{NS}\">\
                 <Message><MessageId>A</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>\
                 <Message><ErrorCode>InternalError</ErrorCode><ErrorMessage>Interal error.</ErrorMessage></Message>\
                 <Message><MessageId>C</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>\
                 </Messages>",
                md5_hex_upper(b"one"),
                md5_hex_upper(b"three")
            ),
        ))
        .expect(1) // a partial failure is data: not retried
        .mount(&server)
        .await;
    let results = client(&server)
        .queue("q1")
        .unwrap()
        .batch_send_message(["one", "two", "three"].map(BatchSendEntry::new))
        .await
        .unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().message_id, "A");
    let e = results[1].as_ref().unwrap_err();
    assert_eq!(
        (e.index, &e.code, e.message.as_str()),
        (1, &ErrorCode::InternalError, "Interal error.")
    );
    assert_eq!(results[2].as_ref().unwrap().message_id, "C");
}

#[tokio::test]
async fn batch_send_whole_request_error_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(xml(404, error_body("QueueNotExist", "nope")))
        .mount(&server)
        .await;
    let err = client(&server)
        .queue("q1")
        .unwrap()
        .batch_send_message([BatchSendEntry::new("one")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::QueueNotExist));
}

// -------------------------------------------------------------------------------------------------
// Receive / peek

#[tokio::test]
async fn receive_message_decodes_typed_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/queues/q1/messages"))
        .and(query_param("waitseconds", "3"))
        .respond_with(xml(
            200,
            received_xml("M1", "8-abc", "I am 测试字符串.", true),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let m = client(&server)
        .queue("q1")
        .unwrap()
        .receive_message(Some(Duration::from_secs(3)))
        .await
        .unwrap()
        .expect("a message");
    assert_eq!(m.message_id, "M1");
    assert_eq!(m.receipt_handle.as_str(), "8-abc");
    assert_eq!(m.body_str(), Some("I am 测试字符串."));
    assert_eq!(m.body_md5, "9D75198CAA17528AB23790C1861987AF");
    assert_eq!(
        m.enqueue_time,
        UNIX_EPOCH + Duration::from_millis(1_716_809_414_944)
    );
    assert_eq!(
        m.next_visible_time,
        UNIX_EPOCH + Duration::from_millis(1_716_809_470_986)
    );
    assert_eq!(
        m.first_dequeue_time,
        UNIX_EPOCH + Duration::from_millis(1_716_809_420_986)
    );
    assert_eq!(m.dequeue_count, 2);
    assert_eq!(m.priority.get(), 10);
    assert_eq!(
        target(&requests(&server).await[0]),
        "/queues/q1/messages?waitseconds=3"
    );
}

#[tokio::test]
async fn receive_without_wait_sends_no_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(200, received_xml("M1", "h", "x", true)))
        .mount(&server)
        .await;
    client(&server)
        .queue("q1")
        .unwrap()
        .receive_message(None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target(&requests(&server).await[0]), "/queues/q1/messages");
}

#[tokio::test]
async fn empty_receive_and_peek_are_empty_results_not_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(
            404,
            error_body("MessageNotExist", "Message not exist."),
        ))
        .expect(4) // never retried
        .mount(&server)
        .await;
    let q = client(&server).queue("q1").unwrap();
    assert_eq!(
        q.receive_message(Some(Duration::from_secs(0)))
            .await
            .unwrap(),
        None
    );
    assert!(q.batch_receive_message(16, None).await.unwrap().is_empty());
    assert_eq!(q.peek_message().await.unwrap(), None);
    assert!(q.batch_peek_message(16).await.unwrap().is_empty());
}

#[tokio::test]
async fn receive_on_missing_queue_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(404, error_body("QueueNotExist", "no queue")))
        .mount(&server)
        .await;
    let err = client(&server)
        .queue("q1")
        .unwrap()
        .receive_message(None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::QueueNotExist));
}

#[tokio::test]
async fn receive_md5_mismatch_is_reported() {
    let server = MockServer::start().await;
    let body = received_xml("M1", "h", "original", true).replace(">original<", ">tampered<");
    Mock::given(method("GET"))
        .respond_with(xml(200, body))
        .mount(&server)
        .await;
    let err = client(&server)
        .queue("q1")
        .unwrap()
        .receive_message(None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Md5Mismatch { message_id, .. } if message_id == "M1"),
        "got {err:?}"
    );
}

#[tokio::test]
async fn base64_codec_decodes_received_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(200, received_xml("M1", "h", "aGVsbG8gd29ybGQ=", true)))
        .mount(&server)
        .await;
    let q = client(&server).queue("q1").unwrap();
    let m = q
        .clone()
        .with_codec(BodyCodec::Base64)
        .receive_message(None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.body, b"hello world");
    // The raw codec hands the transmitted text over unchanged.
    let m = q.receive_message(None).await.unwrap().unwrap();
    assert_eq!(m.body_str(), Some("aGVsbG8gd29ybGQ="));
}

#[tokio::test]
async fn long_poll_timeout_is_derived_from_the_wait() {
    let server = MockServer::start().await;
    // The answer takes longer than the client's request timeout but less than the wait.
    Mock::given(method("GET"))
        .and(query_param("waitseconds", "1"))
        .respond_with(
            xml(200, received_xml("M1", "h", "late", true)).set_delay(Duration::from_millis(700)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = builder(&server)
        .request_timeout(Duration::from_millis(100))
        .long_poll_margin(Duration::from_millis(500))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let m = c
        .queue("q1")
        .unwrap()
        .receive_message(Some(Duration::from_secs(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.body_str(), Some("late"));
}

#[tokio::test]
async fn dropping_a_receive_future_cancels_it_cleanly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("waitseconds", "30"))
        .respond_with(empty(404).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(empty(204))
        .mount(&server)
        .await;
    let c = client(&server);
    let q = c.queue("q1").unwrap();
    let fut = q.receive_message(Some(Duration::from_secs(30)));
    // Poll until the request is on the wire, then drop the future.
    let dropped = tokio::time::timeout(Duration::from_millis(200), fut).await;
    assert!(dropped.is_err(), "the long poll should still be pending");
    // The client remains fully usable.
    c.delete_queue("q1").await.unwrap();
}

#[tokio::test]
async fn batch_receive_decodes_every_message() {
    let server = MockServer::start().await;
    let mut body = format!(r#"<?xml version="1.0" encoding="UTF-8"?><Messages xmlns="{NS}">"#);
    for i in 0..16 {
        body.push_str(&received_xml(
            &format!("M{i}"),
            &format!("h-{i}"),
            &format!("body {i}"),
            false,
        ));
    }
    body.push_str("</Messages>");
    Mock::given(method("GET"))
        .and(query_param("numOfMessages", "16"))
        .and(query_param("waitseconds", "2"))
        .respond_with(xml(200, body))
        .expect(1)
        .mount(&server)
        .await;
    let msgs = client(&server)
        .queue("q1")
        .unwrap()
        .batch_receive_message(16, Some(Duration::from_secs(2)))
        .await
        .unwrap();
    assert_eq!(msgs.len(), 16);
    assert_eq!(msgs[15].body_str(), Some("body 15"));
    assert_eq!(msgs[15].receipt_handle.as_str(), "h-15");
    assert_eq!(
        target(&requests(&server).await[0]),
        "/queues/q1/messages?numOfMessages=16&waitseconds=2"
    );
}

#[tokio::test]
async fn peek_and_batch_peek() {
    let server = MockServer::start().await;
    let peek = |id: &str| {
        format!(
            "<Message><MessageId>{id}</MessageId><MessageBody>p</MessageBody><MessageBodyMD5>{}</MessageBodyMD5>\
             <EnqueueTime>1000</EnqueueTime><FirstDequeueTime>1000</FirstDequeueTime>\
             <DequeueCount>0</DequeueCount><Priority>8</Priority></Message>",
            md5_hex_upper(b"p")
        )
    };
    Mock::given(method("GET"))
        .and(query_param("numOfMessages", "2"))
        .respond_with(xml(
            200,
            format!(
                "<Messages xmlns=\"{NS}\">{}{}</Messages>",
                peek("A"),
                peek("B")
            ),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("peekonly", "true"))
        .respond_with(xml(200, peek("A")))
        .with_priority(2)
        .mount(&server)
        .await;
    let q = client(&server).queue("q1").unwrap();
    let m = q.peek_message().await.unwrap().unwrap();
    assert_eq!(m.message_id, "A");
    assert_eq!(m.dequeue_count, 0);
    assert_eq!(m.first_dequeue_time, m.enqueue_time);
    let ms = q.batch_peek_message(2).await.unwrap();
    assert_eq!(ms.len(), 2);
    let targets: Vec<String> = requests(&server).await.iter().map(target).collect();
    assert_eq!(
        targets,
        [
            "/queues/q1/messages?peekonly=true",
            "/queues/q1/messages?peekonly=true&numOfMessages=2"
        ]
    );
}

// -------------------------------------------------------------------------------------------------
// Delete / change visibility

#[tokio::test]
async fn delete_message_sends_the_handle_raw_and_maps_expiry() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        // Raw query: `+`, `/` and `=` are sent as-is, like the official SDKs do.
        .and(|r: &Request| r.url.query() == Some("ReceiptHandle=1-ODU4+OTk/zNDU5My0=10"))
        .respond_with(empty(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(query_param("ReceiptHandle", "expired"))
        .respond_with(xml(
            404,
            error_body(
                "MessageNotExist",
                "The receipt handle you provided has expired.",
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let q = client(&server).queue("q1").unwrap();
    q.delete_message(&ReceiptHandle::new("1-ODU4+OTk/zNDU5My0=10").unwrap())
        .await
        .unwrap();
    let err = q
        .delete_message(&ReceiptHandle::new("expired").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::MessageNotExist));
    let reqs = requests(&server).await;
    assert_eq!(
        target(&reqs[0]),
        "/queues/q1/messages?ReceiptHandle=1-ODU4+OTk/zNDU5My0=10"
    );
    assert_signed(&reqs[0]);
}

#[tokio::test]
async fn batch_delete_all_ok_and_partial_failure() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(body_string_contains("<ReceiptHandle>bad</ReceiptHandle>"))
        .respond_with(xml(
            404,
            format!(
                "<Errors xmlns=\"{NS}\"><Error><ErrorCode>ReceiptHandleError</ErrorCode>\
                 <ErrorMessage>The receipt handle you provide is not valid.</ErrorMessage>\
                 <ReceiptHandle>bad</ReceiptHandle></Error></Errors>"
            ),
        ))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/queues/q1/messages"))
        .respond_with(empty(204))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let q = client(&server).queue("q1").unwrap();
    let h = |s: &str| ReceiptHandle::new(s).unwrap();
    let all = q.batch_delete_message(&[h("a"), h("b")]).await.unwrap();
    assert!(all.iter().all(Result::is_ok));
    let partial = q
        .batch_delete_message(&[h("a"), h("bad"), h("c")])
        .await
        .unwrap();
    assert!(partial[0].is_ok() && partial[2].is_ok());
    let e = partial[1].as_ref().unwrap_err();
    assert_eq!(e.index, 1);
    assert_eq!(e.code, ErrorCode::ReceiptHandleError);
    assert_eq!(e.receipt_handle.as_ref().unwrap().as_str(), "bad");
    let body = String::from_utf8(requests(&server).await[0].body.clone()).unwrap();
    assert_eq!(
        body,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ReceiptHandles xmlns=\"{NS}\">\
             <ReceiptHandle>a</ReceiptHandle><ReceiptHandle>b</ReceiptHandle></ReceiptHandles>"
        )
    );
}

#[tokio::test]
async fn change_message_visibility_returns_new_handle_and_time() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(query_param("ReceiptHandle", "old-handle"))
        .and(query_param("VisibilityTimeout", "60"))
        .respond_with(xml(
            200,
            format!(
                "<ChangeVisibility xmlns=\"{NS}\"><ReceiptHandle>new-handle</ReceiptHandle>\
                 <NextVisibleTime>1704164705000</NextVisibleTime></ChangeVisibility>"
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let change = client(&server)
        .queue("q1")
        .unwrap()
        .change_message_visibility(&ReceiptHandle::new("old-handle").unwrap(), 60)
        .await
        .unwrap();
    assert_eq!(change.receipt_handle.as_str(), "new-handle");
    assert_eq!(
        change.next_visible_time,
        UNIX_EPOCH + Duration::from_millis(1_704_164_705_000)
    );
    assert_eq!(
        target(&requests(&server).await[0]),
        "/queues/q1/messages?ReceiptHandle=old-handle&VisibilityTimeout=60"
    );
}

#[tokio::test]
async fn change_visibility_errors_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(xml(
            400,
            error_body(
                "ReceiptHandleError",
                "The receipt handle you provide is not valid.",
            ),
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .queue("q1")
        .unwrap()
        .change_message_visibility(&ReceiptHandle::new("x").unwrap(), 10)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::ReceiptHandleError));
    assert_eq!(service(&err).status, 400);
}
