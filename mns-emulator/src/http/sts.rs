//! HTTP for the emulated STS service (RPC style, JSON answers) and the routes of both credential
//! services (see [`crate::sts`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::any;
use serde_json::{Value, json};

use super::ecs_metadata;
use crate::sts::{CredentialServices, STS_PATH, StsError};

/// Largest accepted STS form body.
const MAX_STS_BODY_BYTES: usize = 64 * 1024;

/// `HostId` of STS error documents.
const STS_HOST_ID: &str = "sts.aliyuncs.com";

/// The routes of STS (`/sts`, `/sts/`) and of the ECS metadata service (`/ecs-metadata/...`).
/// They bypass MNS request signing: each service authenticates in its own way.
pub(crate) fn credential_routes(services: Arc<CredentialServices>) -> Router {
    Router::new()
        .route(STS_PATH, any(handle))
        .route(&format!("{STS_PATH}/"), any(handle))
        .merge(ecs_metadata::routes())
        .with_state(services)
}

/// A request id in the STS format (`6894B13B-6D71-4EF5-88FA-F32781734A7F`).
fn request_id() -> String {
    let r = rand::random::<u128>();
    let hex = format!("{r:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

pub(crate) fn parse_form(bytes: &[u8], into: &mut BTreeMap<String, String>) {
    for (k, v) in url::form_urlencoded::parse(bytes) {
        into.insert(k.into_owned(), v.into_owned());
    }
}

async fn handle(State(services): State<Arc<CredentialServices>>, req: Request) -> Response {
    let request_id = request_id();
    let (parts, body) = req.into_parts();
    let result = match parts.method {
        Method::GET | Method::POST => {
            let mut params = BTreeMap::new();
            parse_form(parts.uri.query().unwrap_or("").as_bytes(), &mut params);
            match axum::body::to_bytes(body, MAX_STS_BODY_BYTES).await {
                Ok(bytes) => {
                    // POST carries the action's parameters as a form body; both parts are signed.
                    parse_form(&bytes, &mut params);
                    services.sts_call(parts.method.as_str(), &params, services.clock().now())
                }
                Err(_) => Err(StsError::new(
                    "InvalidParameter",
                    format!("The request body exceeds {MAX_STS_BODY_BYTES} bytes."),
                )),
            }
        }
        _ => Err(StsError::new(
            "UnsupportedHTTPMethod",
            "This http method is not supported.",
        )),
    };
    let (status, mut doc) = match result {
        Ok(doc) => (StatusCode::OK, doc),
        Err(err) => {
            tracing::debug!(code = err.code(), "STS request failed");
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                json!({
                    "HostId": STS_HOST_ID,
                    "Code": err.code(),
                    "Message": err.message(),
                    "Recommend": "",
                }),
            )
        }
    };
    if let Value::Object(map) = &mut doc {
        map.insert("RequestId".to_owned(), Value::String(request_id));
    }
    let mut response = Response::new(Body::from(doc.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}
