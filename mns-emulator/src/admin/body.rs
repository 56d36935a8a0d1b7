//! The admin API's request bodies: read whole, up to a generous, configurable limit
//! ([`DEFAULT_ADMIN_BODY_LIMIT_BYTES`], [`EmulatorBuilder::admin_body_limit_bytes`]), with a
//! JSON `{"error": …}` answer when a body is too large or cannot be read.
//!
//! axum's own default (2 MiB, answered as plain text) is far below what a snapshot of a busy
//! emulator weighs: `POST /__emulator/restore` takes back whatever `GET /__emulator/snapshot`
//! gave, so the limit has to fit the largest state a test keeps.
//!
//! [`EmulatorBuilder::admin_body_limit_bytes`]: crate::EmulatorBuilder::admin_body_limit_bytes

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;

use super::Refusal;

/// Default largest admin request body: 256 MiB. Bodies are small JSON documents except
/// `POST /__emulator/restore`, whose snapshot holds every message of every queue (up to 64 KiB
/// each, base64-encoded in the image); 256 MiB fits a few thousand full-size messages while
/// still bounding the memory one unauthenticated request can take.
pub const DEFAULT_ADMIN_BODY_LIMIT_BYTES: usize = 256 * 1024 * 1024;

/// The limit in force, for the error message.
#[derive(Debug, Clone, Copy)]
struct Limit(usize);

/// Applies `limit` to every route of the admin `router`.
pub(super) fn limit(router: Router, limit: usize) -> Router {
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::Extension(Limit(limit)))
}

/// An admin request's whole body, or a JSON refusal (413 past the limit).
pub(crate) struct AdminBody(pub(crate) Bytes);

impl<S: Send + Sync> FromRequest<S> for AdminBody {
    type Rejection = Refusal;

    async fn from_request(req: Request, state: &S) -> Result<Self, Refusal> {
        let limit = req.extensions().get::<Limit>().copied();
        Bytes::from_request(req, state)
            .await
            .map(AdminBody)
            .map_err(|rejection| match (rejection.status(), limit) {
                (StatusCode::PAYLOAD_TOO_LARGE, Some(Limit(n))) => Refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the request body is larger than the admin API's limit of {n} bytes \
                         (EmulatorBuilder::admin_body_limit_bytes); nothing was changed"
                    ),
                ),
                (status, _) => Refusal(
                    status,
                    format!("cannot read the request body: {}", rejection.body_text()),
                ),
            })
    }
}
