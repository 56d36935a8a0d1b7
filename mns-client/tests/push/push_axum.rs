//! The axum extractor answers 2xx only after verification (feature `axum`).
#![cfg(feature = "axum")]

use mns_client::time::FixedTimeSource;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use mns_client::push::{PushVerifier, StaticCertificateFetcher, VerifiedPush};
use tower::ServiceExt as _;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/push-signature.json"
);

fn vectors() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vector file")).unwrap()
}

fn vector<'a>(file: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap()
}

fn http_request(v: &serde_json::Value) -> Request<Body> {
    let mut builder = Request::builder()
        .method(v["method"].as_str().unwrap())
        .uri(v["path"].as_str().unwrap());
    for (name, value) in v["headers"].as_object().unwrap() {
        builder = builder.header(name, value.as_str().unwrap());
    }
    builder
        .body(Body::from(v["body"].as_str().unwrap().to_owned()))
        .unwrap()
}

#[derive(Clone)]
struct AppState {
    verifier: PushVerifier,
    handled: Arc<AtomicUsize>,
}

impl FromRef<AppState> for PushVerifier {
    fn from_ref(s: &AppState) -> PushVerifier {
        s.verifier.clone()
    }
}

async fn on_push(
    axum::extract::State(state): axum::extract::State<AppState>,
    push: VerifiedPush,
) -> (StatusCode, String) {
    state.handled.fetch_add(1, Ordering::SeqCst);
    let n = push.notification_auto().unwrap();
    (StatusCode::NO_CONTENT, n.message().to_owned())
}

fn app(fetcher: StaticCertificateFetcher, date: &str) -> (Router, Arc<AtomicUsize>) {
    let now = httpdate::parse_http_date(date).unwrap();
    let verifier = PushVerifier::builder()
        .fetcher(fetcher)
        .time_source(FixedTimeSource(now))
        .build()
        .unwrap();
    let handled = Arc::new(AtomicUsize::new(0));
    let state = AppState {
        verifier,
        handled: handled.clone(),
    };
    let router = Router::new()
        .route("/notifications", post(on_push))
        // Nested: the extractor must sign the original target, not the stripped one.
        .nest("/hooks", Router::new().route("/mns", post(on_push)))
        .with_state(state);
    (router, handled)
}

fn good_fetcher(file: &serde_json::Value) -> StaticCertificateFetcher {
    StaticCertificateFetcher::new().with_document(
        file["cert_url"].as_str().unwrap(),
        file["cert_pem"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn valid_pushes_reach_the_handler() {
    let file = vectors();
    for name in ["xml_format", "simplified_format"] {
        let v = vector(&file, name);
        let (router, handled) = app(good_fetcher(&file), v["headers"]["Date"].as_str().unwrap());
        let response = router.oneshot(http_request(v)).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(handled.load(Ordering::SeqCst), 1, "{name}");
    }
}

#[tokio::test]
async fn tampered_push_is_refused_with_403_and_never_reaches_the_handler() {
    let file = vectors();
    let v = vector(&file, "tampered_header");
    let (router, handled) = app(good_fetcher(&file), v["headers"]["Date"].as_str().unwrap());
    let response = router.oneshot(http_request(v)).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn unsigned_request_is_refused() {
    let file = vectors();
    let (router, handled) = app(good_fetcher(&file), "Mon, 01 Jan 2024 12:00:00 GMT");
    let request = Request::builder()
        .method("POST")
        .uri("/notifications")
        .body(Body::from("hello"))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn certificate_unavailable_answers_500_so_mns_retries() {
    let file = vectors();
    let v = vector(&file, "xml_format");
    let (router, handled) = app(
        StaticCertificateFetcher::new(),
        v["headers"]["Date"].as_str().unwrap(),
    );
    let response = router.oneshot(http_request(v)).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}
