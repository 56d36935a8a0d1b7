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
) -> Response {
    let (parts, body) = req.into_parts();
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
            openapi::serve(
                shared,
                &incoming,
                &ctx.base_url,
                shared.clock.now(),
                request_id,
            )
        }
    };
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
    response
}
