//! HTTP glue of the control-plane OpenAPI ([`crate::openapi`]): recognise the request, read its
//! body under the same limits as the data plane, answer JSON.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{Ctx, Shared, read_body};
use crate::openapi::{self, Incoming, OpenApiError};

/// Whether `req` is a control-plane request (decided on the head alone).
pub(super) fn is_control_plane(req: &Request) -> bool {
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
    let (status, doc) = match read_body(
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
    };
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
    let latency = started.elapsed();
    shared.observer.record(
        crate::admin::RequestRecord {
            request_id: request_id.to_owned(),
            at_ms: shared.clock.now_millis(),
            operation,
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            status,
            code,
            latency_ms: latency.as_secs_f64() * 1000.0,
            access_key_id,
        },
        latency,
    );
    response
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
        .unwrap_or("OpenAPI")
        .to_owned()
}
