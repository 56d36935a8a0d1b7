//! `GET`/`POST`/`DELETE` [`ADMIN_FAULTS_PATH`](crate::faults::ADMIN_FAULTS_PATH): the fault
//! plan, JSON in and out over the emulator's [`FaultInjector`](crate::faults::FaultInjector).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use axum::response::IntoResponse;

use super::{json, parse_body};
use crate::faults::FaultPlan;
use crate::shared::Shared;

pub(super) async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &shared.faults.report())
}

pub(super) async fn post_faults(
    State(shared): State<Arc<Shared>>,
    super::AdminBody(body): super::AdminBody,
) -> Response {
    match parse_body::<FaultPlan>(&body) {
        Ok(plan) => {
            shared.faults.set_plan(plan);
            json(StatusCode::OK, &shared.faults.report())
        }
        Err(refusal) => refusal.into_response(),
    }
}

pub(super) async fn delete_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}
