//! The dashboard (`GET /__emulator/`): one static HTML page with a little JavaScript over the
//! admin API (no build step), and the OpenAPI document of that API.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("dashboard.html");
const OPENAPI: &str = include_str!("openapi.json");

pub(super) async fn page() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        PAGE,
    )
        .into_response()
}

pub(super) async fn openapi() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_is_json_and_lists_every_path() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/__emulator/health",
            "/__emulator/reset",
            "/__emulator/snapshot",
            "/__emulator/restore",
            "/__emulator/queues",
            "/__emulator/queues/{queue}/messages",
            "/__emulator/topics",
            "/__emulator/deliveries",
            "/__emulator/requests",
            "/__emulator/clock",
            "/__emulator/clock/advance",
            "/__emulator/faults",
            "/metrics",
        ] {
            assert!(paths.contains_key(path), "{path} missing");
        }
    }
}
