//! HTTP-push verification through the public API, driven by `testdata/vectors/push-signature.json`.

use mns_client::time::FixedTimeSource;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use mns_client::push::{
    CertUrlPolicy, CertificateFetcher, PushNotification, PushRequest, PushVerifier,
    StaticCertificateFetcher, VerifyError, string_to_sign,
};
use mns_client::topic::NotifyContentFormat;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde::Deserialize;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/push-signature.json"
);

#[derive(Debug, Deserialize)]
struct File {
    cert_url: String,
    cert_pem: String,
    test_private_key_pem: String,
    vectors: Vec<Vector>,
}

#[derive(Debug, Deserialize, Clone)]
struct Vector {
    name: String,
    notify_content_format: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    expected_string_to_sign: String,
    expected_verification: bool,
}

fn load() -> File {
    // `headers` is an object in the file; keep its order by reading it as a map of pairs.
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vector file")).unwrap();
    let mut raw = raw;
    for v in raw["vectors"].as_array_mut().unwrap() {
        let pairs: Vec<serde_json::Value> = v["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, val)| serde_json::json!([k, val]))
            .collect();
        v["headers"] = serde_json::Value::Array(pairs);
    }
    serde_json::from_value(raw).unwrap()
}

impl Vector {
    fn request(&self) -> PushRequest {
        let mut req = PushRequest::new(&self.method, &self.path, self.body.clone());
        for (name, value) in &self.headers {
            req.push_header(name, value);
        }
        req
    }

    fn date(&self) -> SystemTime {
        let date = &self.headers.iter().find(|(n, _)| n == "Date").unwrap().1;
        httpdate::parse_http_date(date).unwrap()
    }

    fn format(&self) -> NotifyContentFormat {
        self.notify_content_format.parse().unwrap()
    }
}

fn request_without(req: &PushRequest, name: &str) -> PushRequest {
    let mut out = PushRequest::new(req.method(), req.target(), req.body_bytes());
    for (n, v) in req.headers() {
        if !n.eq_ignore_ascii_case(name) {
            out.push_header(n, v);
        }
    }
    out
}

fn request_with(req: &PushRequest, name: &str, value: &str) -> PushRequest {
    request_without(req, name).with_header(name, value)
}

struct Setup {
    file: File,
    fetcher: StaticCertificateFetcher,
    verifier: PushVerifier,
}

fn setup_at(now: SystemTime) -> Setup {
    let file = load();
    let fetcher =
        StaticCertificateFetcher::new().with_document(&file.cert_url, file.cert_pem.clone());
    let verifier = PushVerifier::builder()
        .fetcher(fetcher.clone())
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    Setup {
        file,
        fetcher,
        verifier,
    }
}

fn setup() -> Setup {
    let file = load();
    setup_at(file.vectors[0].date())
}

/// Signs a request the way MNS does, with the vectors' throw-away key.
fn sign(file: &File, mut req: PushRequest) -> PushRequest {
    let key = rsa::PrivateKey::from_pkcs8_pem(&file.test_private_key_pem).unwrap();
    let signer = SigningKey::<sha1::Sha1>::new(key);
    let sig = signer.sign(string_to_sign(&req).as_bytes()).to_vec();
    req.push_header("Authorization", STANDARD.encode(sig));
    req
}

fn md5_b64_hex(body: &[u8]) -> String {
    let hex: String = Md5::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    STANDARD.encode(hex)
}

fn json_request(file: &File, date: &str) -> PushRequest {
    let body = r#"{"TopicOwner":"1234567890123456","TopicName":"orders","Subscriber":"1234567890123456","SubscriptionName":"orders-json","MessageId":"5F4C6B1A2D3E4F50-1-18CC4E52200-200000003","Message":"hello topic","MessageMD5":"D6206122A430035E4EC1463CDD704B59","MessageTag":"important","PublishTime":"1704110400000"}"#;
    let req = PushRequest::new("POST", "/notifications", body)
        .with_header("Content-Type", "application/json;charset=utf-8")
        .with_header("Content-MD5", md5_b64_hex(body.as_bytes()))
        .with_header("Date", date)
        .with_header("x-mns-request-id", "65929A40E4B0C1D2E3F40003")
        .with_header("x-mns-signing-cert-url", STANDARD.encode(&file.cert_url))
        .with_header("x-mns-version", "2015-06-06");
    sign(file, req)
}

#[test]
fn string_to_sign_matches_every_vector() {
    for v in load().vectors {
        assert_eq!(
            string_to_sign(&v.request()),
            v.expected_string_to_sign,
            "{}",
            v.name
        );
    }
}

#[tokio::test]
async fn every_vector_verifies_or_fails_as_expected() {
    for v in load().vectors {
        let s = setup_at(v.date());
        let result = s.verifier.verify(v.request()).await;
        assert_eq!(
            result.is_ok(),
            v.expected_verification,
            "{}: {result:?}",
            v.name
        );
        if !v.expected_verification {
            let err = result.unwrap_err();
            assert!(
                matches!(err, VerifyError::BadSignature(_)),
                "{}: {err:?}",
                v.name
            );
            assert_eq!(err.status_code(), 403);
        }
    }
}

#[tokio::test]
async fn header_names_are_matched_case_insensitively() {
    for v in load()
        .vectors
        .into_iter()
        .filter(|v| v.expected_verification)
    {
        let s = setup_at(v.date());
        for transform in [str::to_ascii_lowercase, str::to_ascii_uppercase] {
            let mut req = PushRequest::new(&v.method, &v.path, v.body.clone());
            for (n, val) in &v.headers {
                req.push_header(transform(n), val);
            }
            s.verifier
                .verify(req)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        }
    }
}

#[tokio::test]
async fn cert_url_outside_allow_list_is_refused_without_fetching() {
    let s = setup();
    let base = s.file.vectors[0].request();
    for url in [
        "http://mnstest.oss-cn-hangzhou.aliyuncs.com/x509_public_certificate.pem",
        "https://mnstest.oss-cn-hangzhou.aliyuncs.com.evil.example/x509_public_certificate.pem",
        "https://mnstest.oss-cn-hangzhou.aliyuncs.com@evil.example/x509_public_certificate.pem",
        "https://user:pw@mnstest.oss-cn-hangzhou.aliyuncs.com/x509_public_certificate.pem",
        "https://mnstest.oss-cn-hangzhou.aliyuncs.com:8443/x509_public_certificate.pem",
        "https://evil.example/x509_public_certificate.pem",
        "https://mns-cert.oss-cn-hangzhou.aliyuncs.com.evil.example/a.pem",
        "file:///etc/passwd",
        "http://127.0.0.1:9000/cert.pem",
    ] {
        let req = request_with(&base, "x-mns-signing-cert-url", &STANDARD.encode(url));
        let err = s.verifier.verify(req).await.unwrap_err();
        assert!(
            matches!(err, VerifyError::CertUrlNotAllowed { .. }),
            "{url}: {err:?}"
        );
    }
    let req = request_with(&base, "x-mns-signing-cert-url", "not base64!");
    assert!(matches!(
        s.verifier.verify(req).await.unwrap_err(),
        VerifyError::InvalidCertUrl(_)
    ));
    assert_eq!(s.fetcher.fetch_count(), 0);
}

#[tokio::test]
async fn a_configured_prefix_allows_an_emulator_certificate_url() {
    let file = load();
    let emulator_url = "http://127.0.0.1:9000/certs/mns.pem";
    let fetcher =
        StaticCertificateFetcher::new().with_document(emulator_url, file.cert_pem.clone());
    let date = "Mon, 01 Jan 2024 12:00:00 GMT";
    let now = httpdate::parse_http_date(date).unwrap();
    let verifier = PushVerifier::builder()
        .cert_url_policy(
            CertUrlPolicy::deny_all()
                .allow_prefix("http://127.0.0.1:9000/certs/")
                .unwrap(),
        )
        .fetcher(fetcher.clone())
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    let body = "plain";
    let req = PushRequest::new("POST", "/notifications", body)
        .with_header("Content-Type", "text/plain;charset=utf-8")
        .with_header("Content-MD5", md5_b64_hex(body.as_bytes()))
        .with_header("Date", date)
        .with_header("x-mns-signing-cert-url", STANDARD.encode(emulator_url));
    let req = sign(&file, req);
    verifier.verify(req.clone()).await.unwrap();
    assert_eq!(fetcher.fetch_count(), 1);
    // The documented production host is not allowed by this policy.
    let err = verifier
        .verify(request_with(
            &req,
            "x-mns-signing-cert-url",
            &STANDARD.encode(&file.cert_url),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyError::CertUrlNotAllowed { .. }));
    assert_eq!(fetcher.fetch_count(), 1);
}

#[tokio::test]
async fn certificate_is_fetched_once_across_many_verifications() {
    let s = setup();
    let v = s.file.vectors[0].clone();
    for _ in 0..10 {
        s.verifier.verify(v.request()).await.unwrap();
    }
    // Concurrent first use through a fresh verifier shares one fetch as well.
    let fetcher =
        StaticCertificateFetcher::new().with_document(&s.file.cert_url, s.file.cert_pem.clone());
    let now = v.date();
    let verifier = PushVerifier::builder()
        .fetcher(fetcher.clone())
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let verifier = verifier.clone();
            let req = v.request();
            tokio::spawn(async move { verifier.verify(req).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(s.fetcher.fetch_count(), 1);
    assert_eq!(fetcher.fetch_count(), 1);
}

#[tokio::test]
async fn a_failed_fetch_is_reported_and_retried_later() {
    let file = load();
    let v = file.vectors[0].clone();
    let now = v.date();
    let empty = StaticCertificateFetcher::new();
    let verifier = PushVerifier::builder()
        .fetcher(empty.clone())
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    for expected_calls in 1..=2 {
        let err = verifier.verify(v.request()).await.unwrap_err();
        assert!(matches!(err, VerifyError::CertFetch { .. }), "{err:?}");
        assert_eq!(err.status_code(), 500);
        assert_eq!(empty.fetch_count(), expected_calls);
    }

    let not_a_cert = StaticCertificateFetcher::new().with_document(&file.cert_url, "hello");
    let verifier = PushVerifier::builder()
        .fetcher(not_a_cert)
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    let err = verifier.verify(v.request()).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidCertificate { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn altered_body_fails_the_content_md5_check_before_any_fetch() {
    let s = setup();
    let v = &s.file.vectors[0];
    let mut req = PushRequest::new(
        &v.method,
        &v.path,
        v.body.replace("hello topic", "hello t0pic"),
    );
    for (n, val) in &v.headers {
        req.push_header(n, val);
    }
    let err = s.verifier.verify(req).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::ContentMd5Mismatch { .. }),
        "{err:?}"
    );
    assert_eq!(s.fetcher.fetch_count(), 0);

    let req = request_with(&v.request(), "Content-MD5", "%%%");
    let err = s.verifier.verify(req).await.unwrap_err();
    assert!(matches!(err, VerifyError::InvalidHeader { .. }), "{err:?}");
}

#[tokio::test]
async fn content_md5_as_raw_hex_or_raw_digest_is_accepted() {
    let s = setup();
    let date = "Mon, 01 Jan 2024 12:00:00 GMT";
    let body = "order 42 paid";
    let digest = Md5::digest(body.as_bytes());
    let upper_hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    for md5 in [upper_hex, STANDARD.encode(digest)] {
        let req = PushRequest::new("POST", "/notifications", body)
            .with_header("Content-Type", "text/plain;charset=utf-8")
            .with_header("Content-MD5", md5)
            .with_header("Date", date)
            .with_header("x-mns-signing-cert-url", STANDARD.encode(&s.file.cert_url));
        s.verifier.verify(sign(&s.file, req)).await.unwrap();
    }
}

#[tokio::test]
async fn missing_headers_are_named() {
    let s = setup();
    let base = s.file.vectors[0].request();
    for (header, expected) in [
        ("Authorization", "Authorization"),
        ("Content-MD5", "Content-MD5"),
        ("date", "Date"),
        ("X-MNS-SIGNING-CERT-URL", "x-mns-signing-cert-url"),
    ] {
        let err = s
            .verifier
            .verify(request_without(&base, header))
            .await
            .unwrap_err();
        match err {
            VerifyError::MissingHeader(name) => assert_eq!(name, expected),
            other => panic!("{header}: {other:?}"),
        }
    }
    assert_eq!(s.fetcher.fetch_count(), 0);
}

#[tokio::test]
async fn duplicated_signed_headers_are_refused() {
    let s = setup();
    let base = s.file.vectors[1].request();
    for (name, value) in [("x-mns-message-tag", "other"), ("Content-Type", "text/xml")] {
        let err = s
            .verifier
            .verify(base.clone().with_header(name, value))
            .await
            .unwrap_err();
        assert!(
            matches!(err, VerifyError::DuplicateHeader(_)),
            "{name}: {err:?}"
        );
    }
}

#[tokio::test]
async fn date_outside_the_window_is_refused() {
    let file = load();
    let v = file.vectors[0].clone();
    let sent = v.date();
    for (now, ok) in [
        (sent + Duration::from_secs(14 * 60), true),
        (sent - Duration::from_secs(14 * 60), true),
        (sent + Duration::from_secs(16 * 60), false),
        (sent - Duration::from_secs(16 * 60), false),
    ] {
        let s = setup_at(now);
        let result = s.verifier.verify(v.request()).await;
        assert_eq!(result.is_ok(), ok, "{result:?}");
        if !ok {
            assert!(matches!(result.unwrap_err(), VerifyError::StaleDate { .. }));
        }
    }
    // The window is configurable and can be switched off; verify_at takes an explicit time.
    let fetcher =
        StaticCertificateFetcher::new().with_document(&file.cert_url, file.cert_pem.clone());
    let verifier = PushVerifier::builder()
        .fetcher(fetcher)
        .max_date_skew(None)
        .build()
        .unwrap();
    verifier
        .verify_at(v.request(), UNIX_EPOCH + Duration::from_secs(4_000_000_000))
        .await
        .unwrap();
    let req = request_with(&v.request(), "Date", "yesterday");
    let err = verifier.verify(req).await.unwrap_err();
    assert!(matches!(err, VerifyError::InvalidHeader { .. }), "{err:?}");
}

#[tokio::test]
async fn xml_notification_parses() {
    let s = setup();
    let v = s
        .file
        .vectors
        .iter()
        .find(|v| v.name == "xml_format")
        .unwrap();
    let push = s.verifier.verify(v.request()).await.unwrap();
    assert_eq!(push.detect_format(), Some(NotifyContentFormat::Xml));
    assert_eq!(push.request_id(), Some("65929A40E4B0C1D2E3F40001"));
    let PushNotification::Full(n) = push.notification(v.format()).unwrap() else {
        panic!("expected a full notification");
    };
    assert_eq!(n.topic_owner, "1234567890123456");
    assert_eq!(n.topic_name, "orders");
    assert_eq!(n.subscriber, "1234567890123456");
    assert_eq!(n.subscription_name, "orders-http");
    assert_eq!(n.message_id, "5F4C6B1A2D3E4F50-1-18CC4E52200-200000001");
    assert_eq!(n.message, "hello topic");
    assert_eq!(n.message_md5, "D6206122A430035E4EC1463CDD704B59");
    assert!(n.message_md5_matches());
    assert_eq!(n.message_tag.as_deref(), Some("important"));
    assert_eq!(
        n.publish_time,
        UNIX_EPOCH + Duration::from_millis(1_704_110_400_000)
    );
    assert_eq!(push.notification_auto().unwrap(), PushNotification::Full(n));
}

#[tokio::test]
async fn simplified_notification_parses_body_and_headers() {
    let file = load();
    let v = file
        .vectors
        .iter()
        .find(|v| v.name == "simplified_format")
        .unwrap()
        .clone();
    let s = setup_at(v.date());
    let push = s.verifier.verify(v.request()).await.unwrap();
    assert_eq!(push.detect_format(), Some(NotifyContentFormat::Simplified));
    let PushNotification::Simplified(n) = push.notification(v.format()).unwrap() else {
        panic!("expected a simplified notification");
    };
    assert_eq!(n.message, "order 42 paid");
    assert_eq!(
        n.message_id.as_deref(),
        Some("5F4C6B1A2D3E4F50-1-18CC4E525E8-200000002")
    );
    assert_eq!(n.message_tag.as_deref(), Some("important"));
    assert_eq!(n.topic_owner.as_deref(), Some("1234567890123456"));
    assert_eq!(n.topic_name.as_deref(), Some("orders"));
    assert_eq!(n.subscriber.as_deref(), Some("1234567890123456"));
    assert_eq!(n.subscription_name.as_deref(), Some("orders-http-simple"));
    assert_eq!(
        n.publish_time,
        Some(UNIX_EPOCH + Duration::from_millis(1_704_110_401_000))
    );
}

#[tokio::test]
async fn json_notification_verifies_and_parses() {
    let s = setup();
    let date = "Mon, 01 Jan 2024 12:00:00 GMT";
    let push = s
        .verifier
        .verify(json_request(&s.file, date))
        .await
        .unwrap();
    assert_eq!(push.detect_format(), Some(NotifyContentFormat::Json));
    let n = push.notification(NotifyContentFormat::Json).unwrap();
    assert_eq!(n.message(), "hello topic");
    assert_eq!(
        n.message_id(),
        Some("5F4C6B1A2D3E4F50-1-18CC4E52200-200000003")
    );
    assert_eq!(n.message_tag(), Some("important"));
    let PushNotification::Full(full) = n else {
        panic!("expected a full notification")
    };
    assert_eq!(full.subscription_name, "orders-json");
    assert_eq!(
        full.publish_time,
        UNIX_EPOCH + Duration::from_millis(1_704_110_400_000)
    );
}

#[test]
fn malformed_or_incomplete_notifications_are_typed_errors() {
    use mns_client::push::NotificationError;
    let parse = |format, body: &str| {
        PushNotification::parse(format, &PushRequest::new("POST", "/", body.to_owned()))
    };
    assert!(matches!(
        parse(NotifyContentFormat::Xml, "not xml"),
        Err(NotificationError::Malformed { .. })
    ));
    assert!(matches!(
        parse(
            NotifyContentFormat::Xml,
            "<Other><TopicName>x</TopicName></Other>"
        ),
        Err(NotificationError::Malformed { .. })
    ));
    assert!(matches!(
        parse(NotifyContentFormat::Json, r#"{"TopicName":"orders"}"#),
        Err(NotificationError::MissingField { .. })
    ));
    assert!(matches!(
        parse(
            NotifyContentFormat::Json,
            r#"{"TopicOwner":"1","TopicName":"t","Subscriber":"1","SubscriptionName":"s","MessageId":"m","Message":"x","MessageMD5":"A","PublishTime":"soon"}"#
        ),
        Err(NotificationError::InvalidPublishTime(_))
    ));
    assert!(matches!(
        PushNotification::parse(
            NotifyContentFormat::Simplified,
            &PushRequest::new("POST", "/", vec![0xff, 0xfe])
        ),
        Err(NotificationError::NotUtf8)
    ));
}

#[test]
fn errors_do_not_leak_the_signature() {
    let file = load();
    let v = &file.vectors[0];
    let auth = &v
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .unwrap()
        .1;
    let errors = [
        VerifyError::BadSignature("signature does not match the signed headers"),
        VerifyError::MissingHeader("Authorization"),
    ];
    for e in errors {
        assert!(!e.to_string().contains(auth.as_str()));
    }
}

#[tokio::test]
async fn a_custom_fetcher_can_be_shared() {
    let s = setup();
    let shared: Arc<dyn CertificateFetcher> = Arc::new(s.fetcher.clone());
    let now = s.file.vectors[0].date();
    let verifier = PushVerifier::builder()
        .shared_fetcher(shared)
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    verifier.verify(s.file.vectors[0].request()).await.unwrap();
    assert_eq!(s.fetcher.fetch_count(), 1);
}

#[tokio::test]
async fn default_http_fetcher_fetches_over_http_and_does_not_follow_redirects() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let file = load();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/certs/mns.pem"))
        .respond_with(ResponseTemplate::new(200).set_body_string(file.cert_pem.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/certs/moved.pem"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/certs/mns.pem", server.uri())),
        )
        .mount(&server)
        .await;

    let date = "Mon, 01 Jan 2024 12:00:00 GMT";
    let now = httpdate::parse_http_date(date).unwrap();
    let verifier = PushVerifier::builder()
        .cert_url_policy(
            CertUrlPolicy::deny_all()
                .allow_prefix(&format!("{}/certs/", server.uri()))
                .unwrap(),
        )
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    let request = |cert: &str| {
        let body = "order 42 paid";
        let req = PushRequest::new("POST", "/notifications", body)
            .with_header("Content-Type", "text/plain;charset=utf-8")
            .with_header("Content-MD5", md5_b64_hex(body.as_bytes()))
            .with_header("Date", date)
            .with_header(
                "x-mns-signing-cert-url",
                STANDARD.encode(format!("{}/certs/{cert}", server.uri())),
            );
        sign(&file, req)
    };
    for _ in 0..3 {
        verifier.verify(request("mns.pem")).await.unwrap();
    }
    let err = verifier.verify(request("moved.pem")).await.unwrap_err();
    assert!(matches!(err, VerifyError::CertFetch { .. }), "{err:?}");
    let err = verifier.verify(request("absent.pem")).await.unwrap_err();
    assert!(matches!(err, VerifyError::CertFetch { .. }), "{err:?}");
    // `expect(1)` on the certificate mock is checked when the server drops: fetched once.
}
