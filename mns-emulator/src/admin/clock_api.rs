//! `GET`/`POST /__emulator/clock` and `POST /__emulator/clock/advance`: read the emulator's
//! clock, and set or advance it when it is virtual (a [`ManualClock`](crate::clock::ManualClock),
//! `mns-emulator --clock virtual`). Moving it wakes everything that waits on time: long polls,
//! delays, visibility timeouts, retention, push retries, STS expiry, the date-skew check.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use axum::response::IntoResponse;

use super::{Refusal, error, json, parse_body};
use crate::clock::{LATEST_INSTANT_MS, ManualClock, from_millis, latest_instant};
use crate::shared::Shared;

/// `virtual` or `system`.
pub(super) fn mode(shared: &Shared) -> &'static str {
    if shared.clock.manual().is_some() {
        "virtual"
    } else {
        "system"
    }
}

fn view(shared: &Shared) -> Response {
    let now = shared.clock.now();
    json(
        StatusCode::OK,
        &serde_json::json!({
            "mode": mode(shared),
            "now_ms": crate::clock::to_millis(now),
            "now": humantime::format_rfc3339_millis(now).to_string(),
        }),
    )
}

fn manual(shared: &Shared) -> Result<&ManualClock, Refusal> {
    shared.clock.manual().ok_or_else(|| {
        Refusal(
            StatusCode::CONFLICT,
            "the emulator runs on the system clock, which cannot be moved: start it with \
             `--clock virtual` (or give the builder a ManualClock)"
                .to_owned(),
        )
    })
}

pub(super) async fn get_clock(State(shared): State<Arc<Shared>>) -> Response {
    view(&shared)
}

/// `POST /__emulator/clock`: exactly one of the fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now_ms: Option<u64>,
    now: Option<String>,
}

pub(super) async fn set_clock(
    State(shared): State<Arc<Shared>>,
    super::AdminBody(body): super::AdminBody,
) -> Response {
    let request: SetClock = match parse_body(&body) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let to = match (request.now_ms, request.now) {
        (Some(ms), None) if ms > LATEST_INSTANT_MS => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "\"now_ms\" {ms} is past the latest instant the clock can show \
                     ({LATEST_INSTANT_MS}, 9999-12-31T23:59:59.999Z)"
                ),
            );
        }
        (Some(ms), None) => from_millis(ms),
        (None, Some(text)) => match parse_instant(&text) {
            Ok(t) if t <= latest_instant() => t,
            Ok(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "\"now\" is past the latest instant the clock can show \
                     (9999-12-31T23:59:59.999Z)",
                );
            }
            Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
        },
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "give exactly one of \"now_ms\" (epoch milliseconds) or \"now\" (RFC 3339)",
            );
        }
    };
    let clock = match manual(&shared) {
        Ok(c) => c,
        Err(refusal) => return refusal.into_response(),
    };
    clock.set(to);
    moved(&shared).await
}

/// `POST /__emulator/clock/advance`: exactly one of the fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceClock {
    ms: Option<u64>,
    seconds: Option<f64>,
    by: Option<String>,
}

pub(super) async fn advance_clock(
    State(shared): State<Arc<Shared>>,
    super::AdminBody(body): super::AdminBody,
) -> Response {
    let request: AdvanceClock = match parse_body(&body) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let by = match (request.ms, request.seconds, request.by) {
        (Some(ms), None, None) => Duration::from_millis(ms),
        (None, Some(s), None) => match Duration::try_from_secs_f64(s) {
            Ok(d) => d,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("\"seconds\" must be a non-negative number, got {s}"),
                );
            }
        },
        (None, None, Some(text)) => match humantime::parse_duration(&text) {
            Ok(d) => d,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("\"by\" is not a duration such as \"90s\" or \"1h 5m\": {e}"),
                );
            }
        },
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "give exactly one of \"ms\", \"seconds\" or \"by\" (e.g. \"1m 30s\")",
            );
        }
    };
    let clock = match manual(&shared) {
        Ok(c) => c,
        Err(refusal) => return refusal.into_response(),
    };
    if clock.try_advance(by).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "advancing by {by:?} would move the clock past the latest instant it can show \
                 (9999-12-31T23:59:59.999Z); the clock is unchanged"
            ),
        );
    }
    moved(&shared).await
}

/// After a move: records the new time in the engine (so a data directory keeps it and a restart
/// resumes there), wakes everything that waits on time, and answers once that is durable.
async fn moved(shared: &Shared) -> Response {
    let now = shared.clock.now_millis();
    shared.lock().engine.note_time(now);
    shared.wake_all();
    super::durable(shared, view(shared)).await
}

/// An instant as RFC 3339 (`2026-01-01T00:00:00Z`, fractions allowed) or epoch milliseconds.
pub(crate) fn parse_instant(text: &str) -> Result<std::time::SystemTime, String> {
    if let Ok(ms) = text.trim().parse::<u64>() {
        return Ok(from_millis(ms));
    }
    humantime::parse_rfc3339_weak(text.trim()).map_err(|e| {
        format!(
            "{text:?} is neither an RFC 3339 instant (2026-01-01T00:00:00Z) nor epoch \
             milliseconds: {e}"
        )
    })
}
