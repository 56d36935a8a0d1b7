//! `GET /__emulator/snapshot` and `POST /__emulator/restore`: the whole emulator state as JSON
//! (the engine's [`StateImage`] plus the clock) and back. Snapshot → reset → restore gives back
//! identical state: queues, messages in every state with their receipt handles, topics,
//! subscriptions, DLQ policies, pending deliveries and (for a virtual clock) the time.
//!
//! A restore that is not a snapshot, comes from another format version or contradicts itself
//! is refused with a 4xx and the reason, and changes nothing.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{Refusal, json};
use crate::engine::{Engine, ImageError, StateImage};
use crate::shared::Shared;

/// What `GET /__emulator/snapshot` answers.
#[derive(Debug, Serialize)]
struct Snapshot {
    /// The clock when the snapshot was taken, epoch ms.
    clock_ms: u64,
    /// `virtual` or `system` (only a virtual clock is restored).
    clock_mode: &'static str,
    /// The engine's state image (its own `format_version` inside).
    image: StateImage,
}

pub(super) async fn snapshot(State(shared): State<Arc<Shared>>) -> Response {
    // The clock is read under the engine lock, so no request moves state between the two.
    let (clock_ms, image) = {
        let state = shared.lock();
        (shared.clock.now_millis(), state.engine.export_image())
    };
    json(
        StatusCode::OK,
        &Snapshot {
            clock_ms,
            clock_mode: super::clock_api::mode(&shared),
            image,
        },
    )
}

fn refuse(e: ImageError) -> Refusal {
    let status = match e {
        ImageError::Inconsistent(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    Refusal(status, e.to_string())
}

/// Reads a snapshot body: the image (version first) and the clock, refusing unknown fields.
fn read(body: &[u8]) -> Result<(Option<u64>, StateImage), Refusal> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Refusal(StatusCode::BAD_REQUEST, format!("malformed JSON body: {e}")))?;
    let object = value.as_object().ok_or_else(|| {
        Refusal(
            StatusCode::BAD_REQUEST,
            "a snapshot is a JSON object with \"image\" (and \"clock_ms\")".to_owned(),
        )
    })?;
    if let Some(k) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "image" | "clock_ms" | "clock_mode"))
    {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("unknown snapshot field {k:?}"),
        ));
    }
    let image = object.get("image").ok_or_else(|| {
        Refusal(
            StatusCode::BAD_REQUEST,
            "the snapshot has no \"image\"".to_owned(),
        )
    })?;
    let clock_ms = match object.get("clock_ms") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            Refusal(
                StatusCode::BAD_REQUEST,
                "\"clock_ms\" must be epoch milliseconds".to_owned(),
            )
        })?),
    };
    let bytes = serde_json::to_vec(image)
        .map_err(|e| Refusal(StatusCode::BAD_REQUEST, format!("unreadable image: {e}")))?;
    Ok((clock_ms, StateImage::decode(&bytes).map_err(refuse)?))
}

pub(super) async fn restore(
    State(shared): State<Arc<Shared>>,
    super::AdminBody(body): super::AdminBody,
) -> Response {
    let (clock_ms, image) = match read(&body) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let config = shared.lock().engine.config().clone();
    // Built (and checked) completely before anything is replaced.
    let engine = match Engine::from_image(config, image) {
        Ok(e) => e,
        Err(e) => return refuse(e).into_response(),
    };
    let clock_restored = match (clock_ms, shared.clock.manual()) {
        (Some(ms), Some(clock)) => {
            clock.set(crate::clock::from_millis(ms));
            true
        }
        _ => false,
    };
    shared.replace_engine(engine);
    let response = json(
        StatusCode::OK,
        &serde_json::json!({
            "restored": true,
            "clock_restored": clock_restored,
            "now_ms": shared.clock.now_millis(),
        }),
    );
    super::durable(&shared, response).await
}
