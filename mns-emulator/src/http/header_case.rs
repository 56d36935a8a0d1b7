//! Response header names in the service's exact spelling.
//!
//! HTTP header names are case-insensitive, but the Java SDK 2.0 copies response headers into a
//! plain `HashMap` keyed by the name as it appears on the wire (`common/http/HttpCallback.java`)
//! and looks up `Location` (CreateQueue, CreateTopic, Subscribe) and `x-mns-request-id` with
//! exact case; the Python SDK reads `x-mns-request-id` the same way. The service sends
//! (reference §2.2, from captured answers): `x-mns-request-id`, `x-mns-version` lower-case and
//! `Content-Type`, `Content-Length`, `Date`, `Server`, `Connection`, `Location` capitalised. No
//! single rule gives both (hyper writes lower-case by default, or Title-Case), so the spelling is
//! set per name.
//!
//! hyper writes a response's header names from a case map found in the response's extensions
//! (the map its `preserve_header_case` option records for requests). That map type is private, so
//! [`init`] obtains one by letting hyper parse, over an in-memory pipe, a request whose header
//! names are spelled as the service spells them, and keeps its extensions; [`apply`] copies them
//! into every response. Names not in the map keep hyper's lower-case. The raw-socket tests in
//! `tests/http_java_sdk.rs` check the bytes on the wire.

use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};

use axum::http::{Extensions, Response};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt as _;

/// Every response header name the emulator sends, as the service spells it.
pub(crate) const SPELLINGS: &[&str] = &[
    "x-mns-request-id",
    "x-mns-version",
    "Content-Type",
    "Content-Length",
    "Date",
    "Server",
    "Connection",
    "Location",
];

static TEMPLATE: OnceLock<Extensions> = OnceLock::new();

/// Builds the case template once per process (a few microseconds; later calls return at once).
/// Without it responses go out with lower-case names.
pub(crate) async fn init() {
    if TEMPLATE.get().is_some() {
        return;
    }
    match capture().await {
        Some(ext) => {
            let _ = TEMPLATE.set(ext);
        }
        None => tracing::warn!("could not prepare response header spellings; sending lower-case"),
    }
}

async fn capture() -> Option<Extensions> {
    let (mut client, server) = tokio::io::duplex(4096);
    let slot: std::sync::Arc<Mutex<Option<Extensions>>> = Default::default();
    let seen = slot.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(req.extensions().clone());
        async { Ok::<_, Infallible>(hyper::Response::new(String::new())) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(TokioIo::new(server), service);
    let mut request = String::from("GET / HTTP/1.1\r\n");
    for name in SPELLINGS {
        // Content-Length 0 keeps the request body-less; the values are irrelevant.
        let value = if *name == "Content-Length" { "0" } else { "x" };
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    client.write_all(request.as_bytes()).await.ok()?;
    client.shutdown().await.ok()?;
    // Drive the connection until it has seen the request; its answer is never read.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), conn).await;
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Gives `response` the service's header-name spellings (a no-op before [`init`]).
pub(crate) fn apply<B>(response: &mut Response<B>) {
    if let Some(template) = TEMPLATE.get() {
        response.extensions_mut().extend(template.clone());
    }
}
