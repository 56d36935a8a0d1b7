//! HTTP for the emulated ECS instance metadata service (RAM role credentials), under
//! [`ECS_METADATA_PATH`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{any, get, put};

use crate::sts::{CredentialServices, ECS_METADATA_PATH, MetadataError};

const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";

/// The metadata routes (state: the credential services).
pub(super) fn routes() -> Router<Arc<CredentialServices>> {
    let credentials = format!("{ECS_METADATA_PATH}/latest/meta-data/ram/security-credentials");
    Router::new()
        .route(&format!("{ECS_METADATA_PATH}/latest/api/token"), put(token))
        .route(&credentials, get(role_name))
        .route(&format!("{credentials}/"), get(role_name))
        .route(&format!("{credentials}/{{role}}"), get(role_credentials))
        .route(&format!("{ECS_METADATA_PATH}/{{*rest}}"), any(not_found))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn reply(result: Result<String, MetadataError>, content_type: &'static str) -> Response {
    let (status, body, content_type) = match result {
        Ok(body) => (StatusCode::OK, body, content_type),
        Err(e) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            e.body().to_owned(),
            "text/plain",
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn token(State(services): State<Arc<CredentialServices>>, headers: HeaderMap) -> Response {
    let now = services.clock().now();
    reply(
        services.metadata_token(header(&headers, TOKEN_TTL_HEADER), now),
        "text/plain",
    )
}

async fn role_name(
    State(services): State<Arc<CredentialServices>>,
    headers: HeaderMap,
) -> Response {
    let now = services.clock().now();
    reply(
        services.metadata_role_name(header(&headers, TOKEN_HEADER), now),
        "text/plain",
    )
}

async fn role_credentials(
    State(services): State<Arc<CredentialServices>>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = services.clock().now();
    reply(
        services.metadata_role_credentials(&role, header(&headers, TOKEN_HEADER), now),
        "application/json",
    )
}

async fn not_found() -> Response {
    reply(Err(MetadataError::NotFound), "text/plain")
}
