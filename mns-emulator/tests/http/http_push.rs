//! HTTP push end to end: the emulator POSTs signed notifications to a receiver built with
//! `mns-client`'s verifier (which accepts them), retries a failing receiver on the
//! NotifyStrategy schedule driven by the virtual clock, and forged pushes are refused.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use mns_client::push::{
    CertUrlPolicy, PushNotification, PushRequest, PushVerifier, SigningCertificate,
    StaticCertificateFetcher,
};
use mns_client::topic::NotifyContentFormat as ClientFormat;
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::engine::{AttemptOutcome, NotifyContentFormat};
use mns_emulator::{Emulator, PUSH_ANSWER_LIMIT, RunningEmulator};
use tokio::net::TcpListener;

const T0_MS: u64 = 1_704_164_645_000;

type Headers = Vec<(String, String)>;

/// What the receiver saw: the raw request and the verifier's verdict.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    date: String,
    verdict: Result<PushNotification, String>,
}

#[derive(Clone)]
struct Receiver {
    verifier: PushVerifier,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Status answered after a successful verification.
    status: Arc<Mutex<StatusCode>>,
    /// When true, never answer.
    hang: Arc<Mutex<bool>>,
}

async fn receive(
    State(r): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let target = uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let mut req = PushRequest::new(method.as_str(), target.clone(), body.to_vec());
    let mut pairs = Vec::new();
    for (n, v) in &headers {
        let v = v.to_str().unwrap_or_default().to_owned();
        req = req.with_header(n.as_str(), v.clone());
        pairs.push((n.as_str().to_owned(), v));
    }
    let date = headers
        .get("date")
        .map(|d| d.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let (verdict, status) = match r.verifier.verify(req).await {
        Ok(push) => {
            let fmt = match push.detect_format() {
                Some(f) => f,
                None => ClientFormat::Simplified,
            };
            (
                push.notification(fmt).map_err(|e| e.to_string()),
                *r.status.lock().unwrap(),
            )
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.status_code()).unwrap();
            (Err(format!("{e:?}")), status)
        }
    };
    r.seen.lock().unwrap().push(Seen {
        target,
        headers: pairs,
        body: body.to_vec(),
        date,
        verdict,
    });
    if *r.hang.lock().unwrap() {
        std::future::pending::<()>().await;
    }
    status
}

struct Setup {
    clock: ManualClock,
    emu: RunningEmulator,
    receiver: Receiver,
    receiver_url: String,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    setup_with(None).await
}

/// With `vector_key`: the emulator signs with the push vectors' throw-away key and the receiver
/// trusts only the vectors' certificate (never fetching the emulator's).
async fn setup_with(vector_key: Option<(&str, &str)>) -> Setup {
    let clock = ManualClock::at_millis(T0_MS);
    let mut builder = Emulator::builder().clock(clock.clone()).max_date_skew(None);
    if let Some((key, _)) = vector_key {
        builder = builder.push_signing_key_pem(key).unwrap();
    }
    let emu = builder.start().await.unwrap();
    let verifier_clock = clock.clone();
    let mut verifier = PushVerifier::builder()
        .cert_url_policy(
            CertUrlPolicy::deny_all()
                .allow_prefix(&format!("{}/mns-emulator/", emu.endpoint()))
                .unwrap(),
        )
        .time_source(EmuTime(Arc::new(verifier_clock)));
    if let Some((_, cert)) = vector_key {
        let url = emu.deliveries().certificate_url();
        verifier = verifier.fetcher(StaticCertificateFetcher::new().with_document(&url, cert));
    }
    let verifier = verifier.build().unwrap();
    let receiver = Receiver {
        verifier,
        seen: Arc::default(),
        status: Arc::new(Mutex::new(StatusCode::NO_CONTENT)),
        hang: Arc::default(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(receive).with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Setup {
        clock,
        emu,
        receiver,
        receiver_url: format!("http://{addr}"),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

impl Setup {
    /// Creates topic `t` and subscribes `endpoint` with these XML children.
    async fn subscribe(&self, endpoint: &str, extra: &str) {
        self.emu
            .with_engine(|e, now| e.create_topic("t", Default::default(), now).map(|_| ()))
            .unwrap();
        let sub = mns_emulator::engine::SubscribeInput {
            endpoint: Some(endpoint.to_owned()),
            ..parse_extra(extra)
        };
        self.emu
            .with_engine(|e, now| e.subscribe("t", "s", sub, now).map(|_| ()))
            .unwrap();
    }

    /// Publishes over HTTP with `mns-client`, so the push task is woken as in real use.
    async fn publish(&self, body: &str, tag: Option<&str>) {
        let client = mns_client::Client::builder(
            mns_client::Endpoint::from_url(self.emu.endpoint()).unwrap(),
        )
        .credentials(mns_client::Credentials::new("testid", "testsecret"))
        .time_source(EmuTime(self.emu.clock()))
        .build()
        .unwrap();
        let options = mns_client::topic::PublishOptions {
            message_tag: tag.map(|t| mns_client::topic::MessageTag::new(t).unwrap()),
            ..Default::default()
        };
        client
            .topic("t")
            .unwrap()
            .publish_message_opts(body, options)
            .await
            .unwrap();
    }

    fn seen(&self) -> Vec<Seen> {
        self.receiver.seen.lock().unwrap().clone()
    }
}

fn parse_extra(extra: &str) -> mns_emulator::engine::SubscribeInput {
    let get = |name: &str| {
        let open = format!("<{name}>");
        let start = extra.find(&open)? + open.len();
        let end = extra[start..].find('<')? + start;
        Some(extra[start..end].to_owned())
    };
    mns_emulator::engine::SubscribeInput {
        endpoint: None,
        filter_tag: get("FilterTag"),
        notify_strategy: get("NotifyStrategy"),
        notify_content_format: get("NotifyContentFormat"),
    }
}

#[derive(Debug)]
struct EmuTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmuTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn xml_push_to_endpoint_path_verifies() {
    let s = setup().await;
    s.subscribe(&format!("{}/hooks/mns?env=test", s.receiver_url), "")
        .await;
    s.publish("hello push", Some("vip")).await;
    s.emu.deliveries().wait_for_attempts(1).await;
    let seen = s.seen();
    assert_eq!(seen.len(), 1);
    let got = &seen[0];
    assert_eq!(got.target, "/hooks/mns?env=test");
    let PushNotification::Full(n) = got.verdict.clone().expect("verified") else {
        panic!("expected a full notification: {:?}", got.verdict);
    };
    assert_eq!(n.message, "hello push");
    assert_eq!(n.topic_name, "t");
    assert_eq!(n.subscription_name, "s");
    assert_eq!(n.message_tag.as_deref(), Some("vip"));
    assert!(n.message_md5_matches());
    assert_eq!(
        n.publish_time,
        SystemTime::UNIX_EPOCH + Duration::from_millis(T0_MS)
    );
    assert_eq!(header(got, "content-type"), Some("text/xml;charset=utf-8"));
    assert_eq!(
        header(got, "user-agent"),
        Some("Aliyun Notification Service Agent")
    );
    assert_eq!(header(got, "x-mns-version"), Some("2015-06-06"));
    assert_eq!(got.date, "Tue, 02 Jan 2024 03:04:05 GMT");
    let attempts = s.emu.deliveries().attempts();
    assert_eq!(
        attempts[0].outcome,
        AttemptOutcome::Delivered { status: Some(204) }
    );
    assert_eq!(s.emu.deliveries().delivered().len(), 1);
    assert_eq!(
        s.emu.deliveries().delivered()[0].format,
        NotifyContentFormat::Xml
    );
}

#[tokio::test]
async fn json_push_without_path_goes_to_notifications() {
    let s = setup().await;
    s.subscribe(
        &s.receiver_url,
        "<NotifyContentFormat>JSON</NotifyContentFormat>",
    )
    .await;
    s.publish("json body", None).await;
    s.emu.deliveries().wait_for_attempts(1).await;
    let got = &s.seen()[0];
    assert_eq!(got.target, "/notifications");
    let PushNotification::Full(n) = got.verdict.clone().expect("verified") else {
        panic!("expected full");
    };
    assert_eq!(n.message, "json body");
    assert_eq!(n.message_tag, None);
    let v: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(v["PublishTime"], T0_MS.to_string());
}

#[tokio::test]
async fn simplified_push_carries_metadata_headers() {
    let s = setup().await;
    s.subscribe(
        &format!("{}/simple", s.receiver_url),
        "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
    )
    .await;
    s.publish("just the body", Some("t1")).await;
    s.emu.deliveries().wait_for_attempts(1).await;
    let got = &s.seen()[0];
    assert_eq!(got.body, b"just the body");
    assert_eq!(
        header(got, "content-type"),
        Some("text/plain;charset=utf-8")
    );
    let PushNotification::Simplified(n) = got.verdict.clone().expect("verified") else {
        panic!("expected simplified");
    };
    assert_eq!(n.message, "just the body");
    assert_eq!(n.message_tag.as_deref(), Some("t1"));
    assert_eq!(n.topic_name.as_deref(), Some("t"));
    assert_eq!(n.subscription_name.as_deref(), Some("s"));
    let id = s.emu.deliveries().delivered()[0].message_id.clone();
    assert_eq!(n.message_id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn failing_receiver_sees_the_backoff_schedule() {
    let s = setup().await;
    *s.receiver.status.lock().unwrap() = StatusCode::INTERNAL_SERVER_ERROR;
    s.subscribe(&format!("{}/fail", s.receiver_url), "").await;
    s.publish("retry me", None).await;
    let d = s.emu.deliveries();
    d.wait_for_attempts(1).await;
    let mut now = T0_MS;
    let mut dates = vec![s.seen()[0].date.clone()];
    for attempt in 2..=4 {
        let due = d.next_due().expect("a retry is scheduled");
        let wait = due - now;
        assert!((10_000..=20_000).contains(&wait), "wait {wait} ms");
        // One millisecond early: nothing happens.
        s.clock
            .set(SystemTime::UNIX_EPOCH + Duration::from_millis(due - 1));
        tokio::task::yield_now().await;
        assert_eq!(d.attempts().len(), attempt - 1);
        s.clock
            .set(SystemTime::UNIX_EPOCH + Duration::from_millis(due));
        d.wait_for_attempts(attempt).await;
        now = due;
        dates.push(s.seen()[attempt - 1].date.clone());
    }
    assert_eq!(s.seen().len(), 4);
    assert_eq!(d.next_due(), None);
    let dropped = d.dropped();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].attempts, 4);
    for a in d.attempts() {
        assert!(
            matches!(
                a.outcome,
                AttemptOutcome::Failed {
                    status: Some(500),
                    ..
                }
            ),
            "{a:?}"
        );
    }
    // Each attempt was signed at its own (virtual) time and still verified.
    for seen in s.seen() {
        assert!(seen.verdict.is_ok(), "{:?}", seen.verdict);
    }
    dates.dedup();
    assert_eq!(dates.len(), 4);
}

#[tokio::test]
async fn exponential_decay_retries_then_recovers() {
    let s = setup().await;
    *s.receiver.status.lock().unwrap() = StatusCode::SERVICE_UNAVAILABLE;
    s.subscribe(
        &format!("{}/exp", s.receiver_url),
        "<NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy>",
    )
    .await;
    s.publish("m", None).await;
    let d = s.emu.deliveries();
    d.wait_for_attempts(1).await;
    let mut now = T0_MS;
    for (attempt, secs) in [(2, 1), (3, 2), (4, 4)] {
        let due = d.next_due().unwrap();
        assert_eq!(due - now, secs * 1000);
        if attempt == 4 {
            *s.receiver.status.lock().unwrap() = StatusCode::OK;
        }
        s.clock.advance(Duration::from_millis(due - now));
        d.wait_for_attempts(attempt).await;
        now = due;
    }
    assert_eq!(d.delivered().len(), 1);
    assert_eq!(d.delivered()[0].attempts, 4);
    assert_eq!(d.next_due(), None);
}

#[tokio::test]
async fn no_answer_within_five_seconds_is_a_failure() {
    let s = setup().await;
    *s.receiver.hang.lock().unwrap() = true;
    s.subscribe(&format!("{}/slow", s.receiver_url), "").await;
    s.publish("slow", None).await;
    let d = s.emu.deliveries();
    // Wait until the receiver holds the request, then let virtual time pass the limit.
    while s.seen().is_empty() {
        tokio::task::yield_now().await;
    }
    assert!(d.attempts().is_empty());
    s.clock.advance(PUSH_ANSWER_LIMIT);
    d.wait_for_attempts(1).await;
    let a = &d.attempts()[0];
    assert!(
        matches!(&a.outcome, AttemptOutcome::Failed { status: None, reason } if reason.contains("5 s")),
        "{a:?}"
    );
    assert_eq!(a.at, T0_MS);
    assert!(d.next_due().is_some());
}

#[tokio::test]
async fn forged_pushes_are_refused() {
    let s = setup().await;
    s.subscribe(
        &format!("{}/hook", s.receiver_url),
        "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
    )
    .await;
    s.publish("genuine", Some("tag")).await;
    s.emu.deliveries().wait_for_attempts(1).await;
    let genuine = s.seen()[0].clone();
    assert!(genuine.verdict.is_ok());

    let replay = |body: &[u8], change: &dyn Fn(&mut Headers)| {
        let mut headers = genuine.headers.clone();
        change(&mut headers);
        let mut req = s
            .http
            .post(format!("{}{}", s.receiver_url, genuine.target))
            .body(body.to_vec());
        for (n, v) in headers {
            if !matches!(n.as_str(), "host" | "content-length") {
                req = req.header(n, v);
            }
        }
        req.send()
    };
    // Replayed unchanged: accepted.
    let r = replay(&genuine.body, &|_| {}).await.unwrap();
    assert_eq!(r.status(), 204);
    // Body changed: the signed Content-MD5 no longer matches.
    let r = replay(b"forged", &|_| {}).await.unwrap();
    assert_eq!(r.status(), 403);
    // A signed header changed: the signature fails.
    let r = replay(&genuine.body, &|h| {
        for (n, v) in h.iter_mut() {
            if n == "x-mns-message-tag" {
                *v = "other".into();
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    // A certificate URL outside the allow-list: refused before anything is fetched.
    let r = replay(&genuine.body, &|h| {
        for (n, v) in h.iter_mut() {
            if n == "x-mns-signing-cert-url" {
                *v = "aHR0cHM6Ly9ldmlsLmV4YW1wbGUvY2VydC5wZW0=".into();
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let verdicts: Vec<_> = s.seen().into_iter().map(|x| x.verdict).collect();
    assert!(
        verdicts[2]
            .as_ref()
            .unwrap_err()
            .contains("ContentMd5Mismatch")
    );
    assert!(verdicts[3].as_ref().unwrap_err().contains("BadSignature"));
    assert!(
        verdicts[4]
            .as_ref()
            .unwrap_err()
            .contains("CertUrlNotAllowed")
    );
}

#[tokio::test]
async fn certificate_is_served_unsigned_at_the_advertised_url() {
    let s = setup().await;
    let d = s.emu.deliveries();
    let url = d.certificate_url();
    assert_eq!(
        url,
        format!(
            "{}/mns-emulator/x509_public_certificate.pem",
            s.emu.endpoint()
        )
    );
    let r = s.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let pem = r.text().await.unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(pem, d.certificate_pem().await.unwrap());
    SigningCertificate::parse(pem.as_bytes()).unwrap();
}

#[tokio::test]
async fn queue_and_http_subscriptions_fan_out_together() {
    let s = setup().await;
    s.emu
        .with_engine(|e, now| e.create_queue("q", Default::default(), now).map(|_| ()))
        .unwrap();
    s.subscribe(&format!("{}/both", s.receiver_url), "").await;
    let q_sub = mns_emulator::engine::SubscribeInput {
        endpoint: Some(format!(
            "acs:mns:{}:{}:queues/q",
            s.emu.region(),
            s.emu.account_id()
        )),
        notify_content_format: Some("SIMPLIFIED".into()),
        ..Default::default()
    };
    s.emu
        .with_engine(|e, now| e.subscribe("t", "q-sub", q_sub, now).map(|_| ()))
        .unwrap();
    s.publish("both", None).await;
    s.emu.deliveries().wait_for_attempts(2).await;
    assert_eq!(s.emu.deliveries().delivered().len(), 2);
    let msgs = s.emu.inspect_queue("q").unwrap();
    assert_eq!(msgs[0].body, "both");
}

#[tokio::test]
async fn publishing_through_the_engine_api_also_pushes() {
    let s = setup().await;
    s.subscribe(&format!("{}/direct", s.receiver_url), "").await;
    s.emu
        .with_engine(|e, now| {
            e.publish_message(
                "t",
                mns_emulator::engine::PublishMessageInput::new("direct"),
                now,
            )
            .map(|_| ())
        })
        .unwrap();
    s.emu.deliveries().wait_for_attempts(1).await;
    assert_eq!(s.emu.deliveries().delivered().len(), 1);
    assert_eq!(s.seen()[0].target, "/direct");
}

#[tokio::test]
async fn configured_signing_key_signs_pushes() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/push-signature.json"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let key = doc["test_private_key_pem"].as_str().unwrap();
    let cert = doc["cert_pem"].as_str().unwrap();
    let s = setup_with(Some((key, cert))).await;
    s.subscribe(&format!("{}/vec", s.receiver_url), "").await;
    s.publish("signed with the vector key", None).await;
    s.emu.deliveries().wait_for_attempts(1).await;
    // The receiver trusts only the vectors' certificate: it verifies, so the configured key
    // signed the push.
    assert!(s.seen()[0].verdict.is_ok(), "{:?}", s.seen()[0].verdict);
    assert_eq!(s.emu.deliveries().delivered().len(), 1);

    let err = Emulator::builder()
        .push_signing_key_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn certificate_url_is_reachable_or_advertised() {
    let any = Emulator::builder()
        .bind("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let port = any.local_addr().port();
    assert_eq!(
        any.deliveries().certificate_url(),
        format!("http://127.0.0.1:{port}/mns-emulator/x509_public_certificate.pem")
    );
    let advertised = Emulator::builder()
        .advertised_url("http://mns-emulator:9911/")
        .start()
        .await
        .unwrap();
    assert_eq!(
        advertised.deliveries().certificate_url(),
        "http://mns-emulator:9911/mns-emulator/x509_public_certificate.pem"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_a_failed_attempt() {
    let s = setup().await;
    // Bind then drop a listener: nothing accepts on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    s.subscribe(&format!("http://127.0.0.1:{port}/gone"), "")
        .await;
    s.publish("nobody home", None).await;
    let d = s.emu.deliveries();
    d.wait_for_attempts(1).await;
    let a = &d.attempts()[0];
    assert!(
        matches!(&a.outcome, AttemptOutcome::Failed { status: None, reason } if reason.contains("request failed")),
        "{a:?}"
    );
    let wait = d.next_due().unwrap() - T0_MS;
    assert!((10_000..=20_000).contains(&wait), "{wait}");
}

/// The subject public key (DER) of a PEM certificate.
fn certificate_key(pem: &str) -> Vec<u8> {
    use x509_cert::der::{DecodePem as _, Encode as _};
    x509_cert::Certificate::from_pem(pem.as_bytes())
        .unwrap()
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap()
}

#[tokio::test]
async fn development_key_by_default_and_a_generated_key_on_request() {
    use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
    let development =
        rsa::PrivateKey::from_pkcs8_pem(mns_emulator::DEVELOPMENT_PUSH_SIGNING_KEY_PEM)
            .unwrap()
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec();

    // Every default emulator signs with the published development key.
    for _ in 0..2 {
        let emu = Emulator::builder().start().await.unwrap();
        let pem = emu.deliveries().certificate_pem().await.unwrap();
        assert_eq!(certificate_key(&pem), development);
    }

    // On request, a key of its own: not the development key, and the same for every push of
    // that emulator.
    let emu = Emulator::builder()
        .generate_push_signing_key()
        .start()
        .await
        .unwrap();
    let first = certificate_key(&emu.deliveries().certificate_pem().await.unwrap());
    assert_ne!(first, development);
    let again = certificate_key(&emu.deliveries().certificate_pem().await.unwrap());
    assert_eq!(first, again);
}
