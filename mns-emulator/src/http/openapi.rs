//! HTTP glue of the control-plane OpenAPI ([`crate::openapi`]): recognise the request, read its
//! body under the same limits as the data plane, answer JSON.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{Ctx, Shared, read_body};
use crate::error::MnsError;
use crate::faults;
use crate::openapi::{self, Incoming, OpenApiError};

/// The request log's name of a control-plane request whose action is not in its head.
const UNKNOWN_ACTION: &str = "OpenAPI";

/// Whether `req` is a control-plane request (decided on the head alone).
pub(super) fn is_control_plane<B>(req: &hyper::Request<B>) -> bool {
    // Every data-plane request comes through here: only `/` can be the control plane, so the
    // header list is gathered for that path alone.
    if req.uri().path() != "/" {
        return false;
    }
    let headers: Vec<(&str, &str)> = req
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    openapi::is_control_plane(req.uri().path(), req.uri().query().unwrap_or(""), &headers)
}

/// Serves one control-plane request.
pub(super) async fn serve(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    req: Request,
    request_id: &str,
    started: std::time::Instant,
) -> Response {
    let (parts, body) = req.into_parts();
    let operation = action_name(&parts);
    let access_key_id = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::presented_access_key_id)
        .or_else(|| query_param(&parts, "AccessKeyId"))
        .map(str::to_owned);
    // Fault injection sees control-plane requests as `Operation::ControlPlane` with the action
    // name as the resource. The body sits in a slot the request takes when it runs; a fault that
    // answers without running it leaves the body unread, and it is drained below so that the
    // kept-alive connection survives (as in `fault_hook`).
    let slot = Arc::new(Mutex::new(Some(body)));
    let taken = slot.clone();
    let handle = async {
        let body = take(&taken).unwrap_or_default();
        Ok::<_, MnsError>(answer(shared, ctx, &parts, body, request_id).await)
    };
    let outcome = faults::around(
        &shared.faults,
        shared.as_ref(),
        faults::Operation::ControlPlane,
        (operation != UNKNOWN_ACTION).then(|| operation.clone()),
        handle,
        |_| None,
    )
    .await;
    if outcome.drop_connection {
        return super::fault_hook::dropped_connection();
    }
    if let Some(unread) = take(&slot) {
        // Read and discarded by the one body reader (bounded by the body limit and deadline).
        let _ = read_body(
            unread,
            &HeaderMap::new(),
            shared.max_request_body_bytes,
            shared.body_read_timeout,
        )
        .await;
    }
    let (status, doc) = outcome.result.unwrap_or_else(|injected| {
        let e = OpenApiError::from(injected);
        (e.status, e.document(request_id))
    });
    let code = (status >= 400)
        .then(|| doc.get("Code").and_then(|c| c.as_str()).map(str::to_owned))
        .flatten();
    let mut response = Response::new(Body::from(doc.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-acs-request-id", v);
    }
    shared.observer.record(crate::admin::Served {
        request_id: request_id.to_owned(),
        at_ms: shared.clock.now_millis(),
        operation: operation.into(),
        route: None,
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        status,
        code,
        latency: started.elapsed(),
        access_key_id,
    });
    response
}

/// Reads the body and answers the request: status and JSON document.
async fn answer(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    parts: &axum::http::request::Parts,
    body: Body,
    request_id: &str,
) -> (u16, serde_json::Value) {
    match read_body(
        body,
        &parts.headers,
        shared.max_request_body_bytes,
        shared.body_read_timeout,
    )
    .await
    {
        Err(e) => {
            let e = OpenApiError::from(e);
            (e.status, e.document(request_id))
        }
        Ok(body) => {
            let headers: Vec<(&str, &str)> = parts
                .headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str(), std::str::from_utf8(v.as_bytes()).ok()?)))
                .collect();
            let incoming = Incoming {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                raw_query: parts.uri.query().unwrap_or(""),
                headers: &headers,
                body: &body,
            };
            let answer = openapi::serve(
                shared,
                &incoming,
                &ctx.base_url,
                shared.clock.now(),
                request_id,
            );
            // With a data directory, no answer leaves before the changes behind it are durable.
            match shared.durable().await {
                Ok(()) => answer,
                Err(e) => {
                    let e = OpenApiError::from(e);
                    (e.status, e.document(request_id))
                }
            }
        }
    }
}

fn take(slot: &Mutex<Option<Body>>) -> Option<Body> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// A query parameter of the request (RPC-v1 requests carry their parameters there).
fn query_param<'a>(parts: &'a axum::http::request::Parts, name: &str) -> Option<&'a str> {
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The control-plane action for the request log and metrics (`x-acs-action` for ACS3, `Action`
/// for RPC v1; a form-body `Action` is not read here).
fn action_name(parts: &axum::http::request::Parts) -> String {
    parts
        .headers
        .get("x-acs-action")
        .and_then(|v| v.to_str().ok())
        .or_else(|| query_param(parts, "Action"))
        .filter(|a| a.bytes().all(|b| b.is_ascii_alphanumeric()) && a.len() <= 64)
        .unwrap_or(UNKNOWN_ACTION)
        .to_owned()
}
