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
mod ecs_metadata;
mod fault_hook;
pub(crate) mod header_case;
mod queue;
pub(crate) mod request;
mod sts;
mod topic;
mod topic_xml;

pub(crate) use sts::credential_routes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::auth::{Authenticator, MNS_VERSION, RequestToVerify};
use crate::clock::Clock;
use crate::engine::Engine;
use crate::error::MnsError;
use crate::xml;
use request::{Query, path_segments};

/// Default cap on request bodies: one 64 KB message fully XML-escaped (`&` → `&amp;` is 5×)
/// plus envelope, so no legal request is refused while a hostile one cannot exhaust memory.
pub(crate) const DEFAULT_MAX_REQUEST_BODY_BYTES: usize = 64 * 1024 * 5 + 16 * 1024;

/// Everything behind the engine lock.
#[derive(Debug)]
pub(crate) struct Locked {
    pub(crate) engine: Engine,
    /// Per-queue wake-up for long polls. An entry exists only while some receive has waited on an
    /// existing queue; it is removed when the queue is deleted (after waking its waiters).
    waiters: HashMap<String, Arc<Notify>>,
    /// `SetAccountAttributes` values (not part of the queue engine).
    pub(crate) logging_bucket: String,
    pub(crate) trace_enabled: Option<String>,
}

/// State shared by every request handler.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<Locked>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth: Authenticator,
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) max_request_body_bytes: usize,
    /// Deadline for receiving a request body once its head has arrived.
    pub(crate) body_read_timeout: std::time::Duration,
    /// `host:port` used in `Location`/`QueueURL`/`HostId` when a request has no `Host` header.
    pub(crate) default_host: RwLock<String>,
    /// Cancelled on shutdown: waiting long polls end (taking nothing) so the server can stop.
    pub(crate) shutdown: CancellationToken,
    request_seq: AtomicU64,
    /// Number of receives currently waiting (long polling); observable so tests can wait until a
    /// poll is parked before moving the clock, instead of sleeping.
    pub(crate) waiting: watch::Sender<usize>,
    /// Topic push coordination (`crate::push`).
    pub(crate) push: crate::push::PushHub,
    /// Fault injection (`crate::faults`).
    pub(crate) faults: crate::faults::FaultInjector,
}

impl Shared {
    pub(crate) fn new(
        engine: Engine,
        clock: Arc<dyn Clock>,
        auth: Authenticator,
        account_id: String,
        region: String,
        max_request_body_bytes: usize,
    ) -> Self {
        let mut engine = engine;
        engine.set_topic_account(&account_id, &region);
        Shared {
            state: Mutex::new(Locked {
                engine,
                waiters: HashMap::new(),
                logging_bucket: String::new(),
                trace_enabled: None,
            }),
            clock,
            auth,
            account_id,
            region,
            max_request_body_bytes,
            body_read_timeout: crate::server::DEFAULT_BODY_READ_TIMEOUT,
            default_host: RwLock::new("127.0.0.1".to_owned()),
            shutdown: CancellationToken::new(),
            // Random start so request ids differ between emulator instances.
            request_seq: AtomicU64::new(rand::random::<u64>()),
            waiting: watch::Sender::new(0),
            push: crate::push::PushHub::new(),
            faults: crate::faults::FaultInjector::default(),
        }
    }

    /// Locks the state. A panic while holding the lock (a bug) must not wedge the emulator, so a
    /// poisoned lock is used anyway: engine methods validate before they mutate.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Locked> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every long poll, e.g. after direct engine access through the library API.
    pub(crate) fn wake_all(&self) {
        for n in self.lock().waiters.values() {
            n.notify_waiters();
        }
        // Direct engine access may also have published topic messages.
        self.push.wake();
    }

    /// A 24 upper-case hex request id like the service's (`61EC20AC324430C923273326`): the
    /// first 8 digits are the clock's epoch seconds, the rest a per-request counter scrambled by
    /// an odd multiplier (a bijection, so ids never repeat within 2^64 requests).
    fn next_request_id(&self) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let secs = (self.clock.now_millis() / 1000) as u32;
        format!("{secs:08X}{:016X}", seq.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

impl Locked {
    /// Wakes long polls waiting on `queue` (after a send or visibility change).
    pub(crate) fn wake_queue(&self, queue: &str) {
        if let Some(n) = self.waiters.get(queue) {
            n.notify_waiters();
        }
    }

    /// Wakes the long polls of queues that received dead letters since the last call.
    pub(crate) fn wake_dead_letter_targets(&mut self) {
        for q in self.engine.take_woken_queues() {
            self.wake_queue(&q);
        }
    }

    /// The wake-up handle of `queue`, created on first use.
    pub(crate) fn waiter(&mut self, queue: &str) -> Arc<Notify> {
        self.waiters
            .entry(queue.to_owned())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    /// Wakes and forgets the waiters of a deleted queue (they then see `QueueNotExist`).
    pub(crate) fn forget_waiters(&mut self, queue: &str) {
        if let Some(n) = self.waiters.remove(queue) {
            n.notify_waiters();
        }
    }
}

/// Counts one waiting receive for as long as it lives (dropped when the receive returns or its
/// future is dropped, e.g. because the client went away).
#[derive(Debug)]
pub(crate) struct WaitingGuard<'a>(&'a watch::Sender<usize>);

impl<'a> WaitingGuard<'a> {
    pub(crate) fn new(counter: &'a watch::Sender<usize>) -> Self {
        counter.send_modify(|n| *n += 1);
        WaitingGuard(counter)
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

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
            axum::routing::get(crate::push::serve_certificate),
        )
        .fallback(handle)
        .with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let request_id = shared.next_request_id();
    let host = request::base_host(req.uri(), req.headers()).unwrap_or_else(|| {
        shared
            .default_host
            .read()
            .map(|h| h.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    });
    let ctx = Ctx {
        base_url: format!("http://{host}"),
    };
    let method = req.method().clone();
    let target = req.uri().to_string();
    let (result, drop_connection) = fault_hook::dispatch_with_faults(&shared, &ctx, req).await;
    // Any request may have moved dead letters (a receive past MaxReceiveCount, a visibility
    // timeout passing): wake the long polls of the queues that received them.
    shared.lock().wake_dead_letter_targets();
    if drop_connection {
        return fault_hook::dropped_connection();
    }
    let (status, body, location) = match result {
        Ok(reply) => (reply.status, reply.body, reply.location),
        Err(err) => {
            tracing::debug!(%method, %target, code = %err.code(), "request failed");
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
    let mut response = match body {
        Some(b) => Response::new(Body::from(b)),
        None => Response::new(Body::empty()),
    };
    *response.status_mut() = status;
    let h = response.headers_mut();
    set_common_headers(h, &shared, &request_id);
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, loc);
    }
    header_case::apply(&mut response);
    response
}

fn set_common_headers(h: &mut HeaderMap, shared: &Shared, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-mns-request-id", v);
    }
    h.insert("x-mns-version", HeaderValue::from_static(MNS_VERSION));
    h.insert(header::SERVER, HeaderValue::from_static("AliyunMQS"));
    // The service sends this content type even on 204 responses (reference §2.2).
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(shared.clock.now())) {
        h.insert(header::DATE, v);
    }
}

/// Authenticates, reads the body and routes (reference §4.0 routing table).
async fn dispatch(shared: &Arc<Shared>, ctx: &Ctx, req: Request) -> Result<Reply, MnsError> {
    let (parts, body) = req.into_parts();
    // Framing and header rules of HTTP/1.1 first: they decide what the request even is.
    request::check_head(&parts)?;
    // The raw target exactly as received: hyper keeps the original bytes of the path and query.
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    {
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
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let query = Query::parse(raw_query)?;
    let segments = path_segments(path)?;
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = &parts.method;
    match segs.as_slice() {
        [] if query.has("accountmeta") => match *m {
            Method::GET => account::get_account_attributes(shared),
            Method::PUT => account::set_account_attributes(shared, &body),
            _ => Err(MnsError::invalid_request_url()),
        },
        ["commonbuy", "openservice"] if *m == Method::POST => account::open_service(shared),
        ["queues"] if *m == Method::GET => queue::list_queues(shared, ctx, &parts.headers),
        ["queues", name] => match *m {
            Method::PUT if query.flag("metaoverride") => {
                queue::set_queue_attributes(shared, name, &body)
            }
            Method::PUT => queue::create_queue(shared, ctx, name, &body),
            Method::GET => queue::get_queue_attributes(shared, name),
            Method::DELETE => queue::delete_queue(shared, name),
            _ => Err(MnsError::invalid_request_url()),
        },
        ["queues", name, "messages"] => match *m {
            Method::POST => queue::send(shared, name, &body),
            Method::GET if query.flag("peekonly") => queue::peek(shared, name, &query),
            Method::GET => queue::receive(shared, name, &query).await,
            Method::DELETE => queue::delete_message(shared, name, &query, &body),
            Method::PUT => queue::change_visibility(shared, name, &query),
            _ => Err(MnsError::invalid_request_url()),
        },
        ["topics", rest @ ..] => topic::route(
            shared,
            ctx,
            m,
            rest,
            query.flag("metaoverride"),
            &parts.headers,
            &body,
        ),
        _ => Err(MnsError::invalid_request_url()),
    }
}

/// Reads the whole body, refusing more than `limit` bytes with 400 `InvalidArgument` (checked on
/// `Content-Length` first so an oversized upload is refused before it is read), a body that does
/// not arrive within `deadline` with 408 `RequestTimeout`, and a body whose framing is broken
/// (e.g. a bad chunk) with 400 `InvalidArgument` naming the cause.
async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<Vec<u8>, MnsError> {
    use futures_util::StreamExt as _;

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
    let read = async {
        let mut out = Vec::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                MnsError::invalid_argument(format!("The request body could not be read: {e}."))
            })?;
            if out.len() + chunk.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
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
