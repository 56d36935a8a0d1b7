//! The HTTP layer: a thin translation between MNS requests and the sans-IO [`Engine`].
//!
//! One fallback handler sees every request, so that it can (1) check the signature over the raw
//! request target before anything else, (2) route on method + path + query exactly as the
//! reference's routing table (§4.0) does, and (3) give every response, success or error, the
//! service's envelope: `x-mns-request-id`, `x-mns-version`, `Server: AliyunMQS`, `Date` and an XML
//! content type.
//!
//! All state sits behind one synchronous mutex ([`Shared::state`]). Engine calls are short and
//! never cross an `.await`, so a plain `std::sync::Mutex` is both correct and the fastest choice
//! (the mini-redis reasoning).

mod account;
mod certificate;
mod ecs_metadata;
mod fault_hook;
pub(crate) mod header_case;
mod openapi;
mod queue;
pub(crate) mod request;
mod respond;
pub(crate) mod route;
pub(crate) mod sts;
mod topic;
pub(crate) mod topic_xml;

pub(crate) use respond::ReplyBody;
pub(crate) use sts::credential_routes;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use crate::auth::RequestToVerify;
use crate::error::MnsError;
pub(crate) use crate::shared::{Shared, WaitingGuard};
use crate::xml;
use request::Query;
use route::Route;

/// Default cap on request bodies: one 64 KB message fully XML-escaped (`&` → `&amp;` is 5×)
/// plus envelope, so no legal request is refused while a hostile one cannot exhaust memory.
pub(crate) const DEFAULT_MAX_REQUEST_BODY_BYTES: usize = 64 * 1024 * 5 + 16 * 1024;

/// Per-request facts handlers need for rendering.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// `http://host[:port]` as the client addressed us.
    pub(crate) base_url: String,
}

impl Ctx {
    /// The queue URL the service reports: `http://host:port/queues/{name}` (PHP needs exactly 5
    /// `/`-separated parts, so no trailing slash).
    pub(crate) fn queue_url(&self, name: &str) -> String {
        format!("{}/queues/{name}", self.base_url)
    }
}

/// A successful answer before the common headers are added.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Option<String>,
    pub(crate) location: Option<String>,
}

impl Reply {
    pub(crate) fn xml(status: StatusCode, body: String) -> Self {
        Reply {
            status,
            body: Some(body),
            location: None,
        }
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            body: None,
            location: None,
        }
    }
}

/// Builds the router: one fallback handler for every method and path.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            crate::push::CERTIFICATE_PATH,
            axum::routing::get(certificate::serve_certificate),
        )
        .fallback(handle)
        .with_state(shared)
}

/// Whether a request for `path` needs the axum router: the paths of the admin API, metrics and
/// health, the credential services and the push certificate, whether or not they are enabled
/// (a disabled one falls through the router to [`serve`], as before). Every other path is the
/// data plane (or the control plane on `/`), which the router would only hand to its fallback.
pub(crate) fn needs_router(path: &str) -> bool {
    path.starts_with(crate::admin::ADMIN_PREFIX)
        || path.starts_with(crate::admin::METRICS_PATH)
        || path.starts_with(crate::sts::STS_PATH)
        || path.starts_with(crate::sts::ECS_METADATA_PATH)
        || path == crate::push::CERTIFICATE_PATH
}

/// The start of a request, for its latency.
#[expect(
    clippy::disallowed_methods,
    reason = "latency is real processing time, measured on the monotonic clock whatever the \
              emulator's clock does"
)]
fn started() -> std::time::Instant {
    std::time::Instant::now()
}

/// The router's fallback: a request that came through the router (in-process through
/// [`crate::Emulator::router`], or over the wire on a path the router serves when that part is
/// off). Over the wire the server marks it [`crate::server::FromWire`].
async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let from_wire = req.extensions().get::<crate::server::FromWire>().is_some();
    serve(&shared, req, from_wire).await.map(Body::new)
}

/// Serves one MNS request (data plane, or control plane on `/`): every answer, success or error,
/// with the service's envelope. `from_wire`: the request arrived over a connection (see
/// [`request::check_head`]). Every answer (an injected connection drop and the control plane's
/// included) is finished as axum's router finished it when it was on this path.
pub(crate) async fn serve<B>(
    shared: &Arc<Shared>,
    req: hyper::Request<B>,
    from_wire: bool,
) -> hyper::Response<ReplyBody>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Into<axum::BoxError>,
{
    let method = req.method().clone();
    let mut response = answer_request(shared, req, from_wire).await;
    respond::finish_like_axum(&method, &mut response);
    response
}

async fn answer_request<B>(
    shared: &Arc<Shared>,
    req: hyper::Request<B>,
    from_wire: bool,
) -> hyper::Response<ReplyBody>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Into<axum::BoxError>,
{
    let started = started();
    let request_id = shared.next_request_id();
    let ctx = Ctx {
        base_url: request::base_url(req.uri(), req.headers()).unwrap_or_else(|| {
            let host = shared
                .default_host
                .read()
                .unwrap_or_else(|e| e.into_inner());
            let mut base_url = String::with_capacity(7 + host.len());
            base_url.push_str("http://");
            base_url.push_str(&host);
            base_url
        }),
    };
    // The control-plane OpenAPI shares the port; it has its own auth and JSON envelope.
    if openapi::is_control_plane(&req) {
        return openapi::serve(shared, &ctx, req.map(Body::new), &request_id, started)
            .await
            .map(ReplyBody::from);
    }
    let method = req.method().clone();
    // Only the failure log reads it: a clone shares the URI's bytes, where `to_string` would
    // format and allocate on every request.
    let target = req.uri().clone();
    // Routed once: dispatch, fault injection and logging all see this one answer.
    let routed = {
        let raw = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let (path, raw_query) = raw.split_once('?').unwrap_or((raw, ""));
        Query::parse(raw_query)
            .and_then(|query| Route::resolve(&method, path, &query).map(|route| (route, query)))
    };
    let operation = routed.as_ref().map_or("-", |(route, _)| route.name());
    let route_index = routed.as_ref().ok().map(|(route, _)| route.index());
    let access_key_id = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::presented_access_key_id)
        .map(str::to_owned);
    let path = req.uri().path().to_owned();
    let (result, drop_connection) =
        fault_hook::dispatch_with_faults(shared, &ctx, req, routed, from_wire).await;
    if drop_connection {
        return fault_hook::dropped_connection().map(ReplyBody::from);
    }
    // With a data directory, no answer leaves before the changes behind it are durable.
    let result = match shared.durable().await {
        Ok(()) => result,
        Err(e) => Err(e),
    };
    let code = result.as_ref().err().map(|e| e.code().as_str().to_owned());
    let (status, body, location) = match result {
        Ok(reply) => (reply.status, reply.body, reply.location),
        Err(err) => {
            tracing::debug!(operation, %method, %target, code = %err.code(), "request failed");
            let status =
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = xml::error_document(
                err.code().as_str(),
                err.message(),
                &request_id,
                &ctx.base_url,
            );
            (status, Some(body), None)
        }
    };
    let response = respond::answer(shared, &request_id, status, body, location);
    shared.observer.record(crate::admin::Served {
        request_id,
        at_ms: shared.clock.now_millis(),
        operation: operation.into(),
        route: route_index,
        method,
        path,
        status: status.as_u16(),
        code,
        latency: started.elapsed(),
        access_key_id,
    });
    response
}

/// Checks the head, authenticates, reads the body, then runs the routed operation. A request
/// that does not route is answered with its routing error only after authentication, as the
/// service does.
async fn dispatch<B>(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    req: hyper::Request<B>,
    routed: Result<(Route, Query), MnsError>,
    from_wire: bool,
) -> Result<Reply, MnsError>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let (parts, body) = req.into_parts();
    // Framing and header rules of HTTP/1.1 first: they decide what the request even is.
    request::check_head(&parts, from_wire)?;
    // The raw target exactly as received: hyper keeps the original bytes of the path and query.
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    // An `Authorization` that is not text is malformed, not missing (the header list below
    // keeps only text values).
    if !shared.auth.config().accept_any_signature
        && parts
            .headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| std::str::from_utf8(v.as_bytes()).is_err())
    {
        return Err(crate::auth::AuthError::InvalidAuthorizationHeader.into());
    }
    if shared.auth.config().accept_any_signature {
        // Only `Authorization` is read in this mode (`check_head` has refused a repeated one):
        // no list of every header.
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .map(|v| ("authorization", v));
        shared.auth.verify(
            &RequestToVerify {
                method: parts.method.as_str(),
                target,
                headers: authorization.as_slice(),
            },
            shared.clock.now(),
        )?;
    } else {
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), std::str::from_utf8(v.as_bytes()).ok()?)))
            .collect();
        shared.auth.verify(
            &RequestToVerify {
                method: parts.method.as_str(),
                target,
                headers: &headers,
            },
            shared.clock.now(),
        )?;
    }
    let body = read_body(
        body,
        &parts.headers,
        shared.max_request_body_bytes,
        shared.body_read_timeout,
    )
    .await?;
    let (route, query) = routed?;
    let headers = &parts.headers;
    match &route {
        Route::GetAccountAttributes => account::get_account_attributes(shared),
        Route::SetAccountAttributes => account::set_account_attributes(shared, &body),
        Route::OpenService => account::open_service(shared),
        Route::ListQueue => queue::list_queues(shared, ctx, headers),
        Route::CreateQueue(q) => queue::create_queue(shared, ctx, q, &body),
        Route::SetQueueAttributes(q) => queue::set_queue_attributes(shared, q, &body),
        Route::GetQueueAttributes(q) => queue::get_queue_attributes(shared, q),
        Route::DeleteQueue(q) => queue::delete_queue(shared, q),
        Route::SendMessage(q) => queue::send(shared, q, &body),
        Route::ReceiveMessage(q) => queue::receive(shared, q, &query).await,
        Route::PeekMessage(q) => queue::peek(shared, q, &query),
        Route::DeleteMessage(q) => queue::delete_message(shared, q, &query, &body),
        Route::ChangeMessageVisibility(q) => queue::change_visibility(shared, q, &query),
        Route::ListTopic => topic::list_topics(shared, ctx, headers),
        Route::CreateTopic(t) => topic::create_topic(shared, ctx, t, &body),
        Route::SetTopicAttributes(t) => topic::set_topic_attributes(shared, t, &body),
        Route::GetTopicAttributes(t) => topic::get_topic_attributes(shared, t),
        Route::DeleteTopic(t) => topic::delete_topic(shared, t),
        Route::PublishMessage(t) => topic::publish(shared, t, &body),
        Route::ListSubscriptionByTopic(t) => topic::list_subscriptions(shared, ctx, t, headers),
        Route::Subscribe(t, n) => topic::subscribe(shared, ctx, t, n, &body),
        Route::SetSubscriptionAttributes(t, n) => {
            topic::set_subscription_attributes(shared, t, n, &body)
        }
        Route::GetSubscriptionAttributes(t, n) => topic::get_subscription_attributes(shared, t, n),
        Route::Unsubscribe(t, n) => topic::unsubscribe(shared, t, n),
    }
}

/// Reads the whole body, refusing more than `limit` bytes with 400 `InvalidArgument` (checked on
/// `Content-Length` first so an oversized upload is refused before it is read), a body that does
/// not arrive within `deadline` with 408 `RequestTimeout`, and a body whose framing is broken
/// (e.g. a bad chunk) with 400 `InvalidArgument` naming the cause.
async fn read_body<B>(
    mut body: B,
    headers: &HeaderMap,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<Vec<u8>, MnsError>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    use futures_util::FutureExt as _;
    use http_body_util::BodyExt as _;

    let too_large = || {
        MnsError::invalid_argument(format!(
            "The request body is too large, it should not exceed {limit} bytes."
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // Pre-size from the declared length, capped so a large claim with no body costs little.
    let mut out = Vec::with_capacity(declared.map_or(0, |n| n.min(64 * 1024) as usize));
    // Data frames are appended; trailers are skipped.
    let append = |out: &mut Vec<u8>, frame: Result<http_body::Frame<bytes::Bytes>, B::Error>| {
        let frame = frame.map_err(|e| {
            MnsError::invalid_argument(format!("The request body could not be read: {e}."))
        })?;
        if let Ok(chunk) = frame.into_data() {
            if out.len() + chunk.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(())
    };
    // A small body has usually arrived with the head: take what is ready without arming the
    // deadline's timer (a timer per request is a visible share of a small request's cost).
    loop {
        match body.frame().now_or_never() {
            Some(None) => return Ok(out),
            Some(Some(frame)) => append(&mut out, frame)?,
            None => break,
        }
    }
    let read = async {
        while let Some(frame) = body.frame().await {
            append(&mut out, frame)?;
        }
        Ok(out)
    };
    tokio::time::timeout(deadline, read).await.map_err(|_| {
        MnsError::with_status(
            crate::error::ErrorCode::parse("RequestTimeout"),
            format!(
                "The request body did not arrive within {} ms.",
                deadline.as_millis()
            ),
            408,
        )
    })?
}
