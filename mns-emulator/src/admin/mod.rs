//! The admin HTTP API: test and operations endpoints under one reserved prefix,
//! [`ADMIN_PREFIX`] (`/__emulator`), which no MNS path can collide with (MNS paths are `/`,
//! `/queues…`, `/topics…`, `/commonbuy/…`; a queue or topic name cannot start with `_`).
//! JSON in and out; the whole API is described by the OpenAPI document at
//! `/__emulator/openapi.json`.
//!
//! Off unless enabled ([`EmulatorBuilder::admin_endpoint`](crate::EmulatorBuilder::admin_endpoint),
//! `mns-emulator --admin`): it is unauthenticated, so for test set-ups only. The read-only
//! `GET /metrics` (Prometheus) and `GET /__emulator/health` are served separately
//! ([`EmulatorBuilder::metrics_endpoint`](crate::EmulatorBuilder::metrics_endpoint)).
//!
//! ```text
//! GET    /__emulator/                       the dashboard (HTML)
//! GET    /__emulator/health                 {"status":"ok","clock":"virtual","now_ms":…}
//! POST   /__emulator/reset                  {} everything | {"queue":"q"} | {"topic":"t"}
//! GET    /__emulator/snapshot               {"clock_ms":…,"clock_mode":…,"image":{state image}}
//! POST   /__emulator/restore                a snapshot: state (and a virtual clock) back
//! GET    /__emulator/queues                 queues with visible / in-flight / delayed counts
//! GET    /__emulator/queues/{q}/messages    every message in every state, no side effects
//! GET    /__emulator/topics                 topics with their subscriptions
//! GET    /__emulator/deliveries[?topic=t]   the topic delivery log
//! GET    /__emulator/requests[?limit=N]     the last requests (never secrets)
//! GET    /__emulator/clock                  {"mode":"virtual","now_ms":…,"now":"…Z"}
//! POST   /__emulator/clock                  {"now_ms":…} or {"now":"2026-01-01T00:00:00Z"}
//! POST   /__emulator/clock/advance          {"ms":…} | {"seconds":…} | {"by":"1m 30s"}
//! GET|POST|DELETE /__emulator/faults        the fault plan (see crate::faults)
//! ```
//!
//! Request bodies may be up to [`DEFAULT_ADMIN_BODY_LIMIT_BYTES`] (256 MiB, so a large snapshot
//! can be restored; [`EmulatorBuilder::admin_body_limit_bytes`](crate::EmulatorBuilder::admin_body_limit_bytes)
//! changes it); a larger one gets 413 with `{"error": …}`.
//!
//! Bad input (unknown routes, malformed JSON, unknown fields, a clock that is not virtual)
//! gets a 4xx with `{"error": "…"}` and changes nothing.

mod body;
mod clock_api;
mod dashboard;
mod faults;
pub(crate) mod inspect;
pub(crate) mod metrics;
mod observe;
mod snapshot;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::Uri;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::Serialize;

use body::AdminBody;
pub use body::DEFAULT_ADMIN_BODY_LIMIT_BYTES;
#[cfg(feature = "cli")]
pub(crate) use clock_api::parse_instant;
pub use metrics::METRICS_PATH;
pub use observe::{DEFAULT_REQUEST_LOG_CAPACITY, RequestRecord};
pub(crate) use observe::{Observer, Served};

use crate::shared::Shared;

/// The prefix of every admin path.
pub const ADMIN_PREFIX: &str = "/__emulator";

/// The health path (served with the metrics, whether or not the admin API is on).
pub const HEALTH_PATH: &str = "/__emulator/health";

/// An admin answer: JSON with a status.
pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A refused admin request: `{"error": reason}`.
pub(crate) fn error(status: StatusCode, reason: impl Into<String>) -> Response {
    json(status, &serde_json::json!({ "error": reason.into() }))
}

/// A refused admin request before it is rendered (`{"error": reason}` with the status).
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

/// Parses a JSON body into `T`; an empty body reads as `{}`. The error names what is wrong.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    serde_json::from_slice(text)
        .map_err(|e| Refusal(StatusCode::BAD_REQUEST, format!("malformed JSON body: {e}")))
}

/// The admin routes (served when the admin API is enabled), reading bodies of up to
/// `body_limit` bytes.
pub(crate) fn admin_routes(shared: Arc<Shared>, body_limit: usize) -> Router {
    let routes = Router::new()
        .route(ADMIN_PREFIX, get(dashboard::page))
        .route(&format!("{ADMIN_PREFIX}/"), get(dashboard::page))
        .route(
            &format!("{ADMIN_PREFIX}/openapi.json"),
            get(dashboard::openapi),
        )
        .route(&format!("{ADMIN_PREFIX}/reset"), post(reset))
        .route(&format!("{ADMIN_PREFIX}/snapshot"), get(snapshot::snapshot))
        .route(&format!("{ADMIN_PREFIX}/restore"), post(snapshot::restore))
        .route(&format!("{ADMIN_PREFIX}/queues"), get(list_queues))
        .route(
            &format!("{ADMIN_PREFIX}/queues/{{queue}}/messages"),
            get(list_messages),
        )
        .route(&format!("{ADMIN_PREFIX}/topics"), get(list_topics))
        .route(&format!("{ADMIN_PREFIX}/deliveries"), get(list_deliveries))
        .route(&format!("{ADMIN_PREFIX}/requests"), get(list_requests))
        .route(
            &format!("{ADMIN_PREFIX}/clock"),
            get(clock_api::get_clock).post(clock_api::set_clock),
        )
        .route(
            &format!("{ADMIN_PREFIX}/clock/advance"),
            post(clock_api::advance_clock),
        )
        .route(
            crate::faults::ADMIN_FAULTS_PATH,
            get(faults::get_faults)
                .post(faults::post_faults)
                .delete(faults::delete_faults),
        )
        .route(
            &format!("{ADMIN_PREFIX}/{{*rest}}"),
            axum::routing::any(unknown),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared);
    body::limit(routes, body_limit)
}

/// `GET /metrics` and `GET /__emulator/health`.
pub(crate) fn metrics_routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(METRICS_PATH, get(serve_metrics))
        .route(HEALTH_PATH, get(health))
        .with_state(shared)
}

async fn unknown(req: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "unknown admin route: {} {} (see {ADMIN_PREFIX}/openapi.json)",
            req.method(),
            req.uri().path()
        ),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {} is not allowed on {} (see {ADMIN_PREFIX}/openapi.json)",
            req.method(),
            req.uri().path()
        ),
    )
}

async fn serve_metrics(State(shared): State<Arc<Shared>>) -> Response {
    let text = shared.observer.metrics.render(&shared);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, metrics::METRICS_CONTENT_TYPE)],
        text,
    )
        .into_response()
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "status": "ok",
            "clock": clock_api::mode(&shared),
            "now_ms": shared.clock.now_millis(),
        }),
    )
}

/// What `POST /__emulator/reset` resets.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    queue: Option<String>,
    topic: Option<String>,
}

async fn reset(State(shared): State<Arc<Shared>>, AdminBody(body): AdminBody) -> Response {
    let request: ResetRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let response = reset_now(&shared, request);
    // With a data directory, the reset is on disk before it is reported.
    durable(&shared, response).await
}

/// `response`, once every change made so far is durable; a 500 if the data directory failed.
pub(crate) async fn durable(shared: &Shared, response: Response) -> Response {
    match shared.durable().await {
        Ok(()) => response,
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the data directory could not be written",
        ),
    }
}

fn reset_now(shared: &Shared, request: ResetRequest) -> Response {
    let now = shared.clock.now_millis();
    match (request.queue, request.topic) {
        (Some(_), Some(_)) => error(
            StatusCode::BAD_REQUEST,
            "give \"queue\" or \"topic\", not both (or neither to reset everything)",
        ),
        (Some(queue), None) => {
            let purged = {
                let mut state = shared.lock();
                let purged = state.engine.purge_queue(&queue, now);
                state.wake_queue(&queue);
                purged
            };
            match purged {
                Ok(n) => json(
                    StatusCode::OK,
                    &serde_json::json!({ "queue": queue, "removed_messages": n }),
                ),
                Err(_) => error(StatusCode::NOT_FOUND, format!("no queue named {queue:?}")),
            }
        }
        (None, Some(topic)) => match shared.lock().engine.purge_topic(&topic, now) {
            Ok(()) => json(StatusCode::OK, &serde_json::json!({ "topic": topic })),
            Err(_) => error(StatusCode::NOT_FOUND, format!("no topic named {topic:?}")),
        },
        (None, None) => {
            shared.reset_engine();
            shared.observer.clear();
            json(
                StatusCode::OK,
                &serde_json::json!({ "reset": "everything" }),
            )
        }
    }
}

async fn list_queues(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.clock.now_millis();
    let queues = inspect::queues(&mut shared.lock().engine, now);
    json(
        StatusCode::OK,
        &serde_json::json!({ "now_ms": now, "queues": queues }),
    )
}

async fn list_messages(State(shared): State<Arc<Shared>>, Path(queue): Path<String>) -> Response {
    let now = shared.clock.now_millis();
    let messages = inspect::messages(&mut shared.lock().engine, &queue, now);
    match messages {
        Ok(messages) => json(
            StatusCode::OK,
            &serde_json::json!({ "queue": queue, "now_ms": now, "messages": messages }),
        ),
        Err(_) => error(StatusCode::NOT_FOUND, format!("no queue named {queue:?}")),
    }
}

async fn list_topics(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.clock.now_millis();
    let topics = inspect::topics(&mut shared.lock().engine, now);
    json(
        StatusCode::OK,
        &serde_json::json!({ "now_ms": now, "topics": topics }),
    )
}

/// The query parameters of `uri`, refusing any not in `allowed` (400 naming them).
fn query_params(uri: &Uri, allowed: &[&str]) -> Result<Vec<(String, String)>, Refusal> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown query parameter {k:?} (allowed: {})",
                allowed.join(", ")
            ),
        ));
    }
    Ok(pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn list_deliveries(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let pairs = match query_params(&uri, &["topic"]) {
        Ok(p) => p,
        Err(refusal) => return refusal.into_response(),
    };
    let view = inspect::deliveries(&shared.lock().engine, param(&pairs, "topic"));
    json(StatusCode::OK, &view)
}

async fn list_requests(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let pairs = match query_params(&uri, &["limit"]) {
        Ok(p) => p,
        Err(refusal) => return refusal.into_response(),
    };
    let limit = match param(&pairs, "limit").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "limit must be a non-negative integer",
            );
        }
    };
    json(
        StatusCode::OK,
        &serde_json::json!({ "requests": shared.observer.recent(limit) }),
    )
}
