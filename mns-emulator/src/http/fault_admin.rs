//! The fault-injection admin endpoint (`GET`/`POST`/`DELETE` [`ADMIN_FAULTS_PATH`]), served only
//! when enabled: JSON in and out over a [`FaultInjector`].

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::faults::{ADMIN_FAULTS_PATH, FaultInjector, FaultPlan};

/// The admin routes (`GET`/`POST`/`DELETE` [`ADMIN_FAULTS_PATH`]).
pub(crate) fn admin_routes(injector: FaultInjector) -> Router {
    Router::new()
        .route(
            ADMIN_FAULTS_PATH,
            get(get_faults).post(post_faults).delete(delete_faults),
        )
        .with_state(injector)
}

fn json(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn get_faults(State(injector): State<FaultInjector>) -> Response {
    json(StatusCode::OK, &injector.report())
}

async fn post_faults(State(injector): State<FaultInjector>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            injector.set_plan(plan);
            json(StatusCode::OK, &injector.report())
        }
        Err(e) => json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "error": e.to_string() }),
        ),
    }
}

async fn delete_faults(State(injector): State<FaultInjector>) -> StatusCode {
    injector.clear();
    StatusCode::NO_CONTENT
}
