//! An [axum](https://docs.rs/axum) extractor for verified MNS pushes (feature `axum`).
//!
//! Put a [`PushVerifier`] in the router state (or anything it can be taken from with
//! [`FromRef`]) and take [`VerifiedPush`] as a handler argument: the handler runs only for
//! requests that pass verification, and every other request is answered with
//! [`VerifyError::status_code`] (403 or 500) and a short reason, so MNS retries it.
//!
//! ```
//! use axum::{Router, routing::post, http::StatusCode};
//! use mns_client::push::{PushVerifier, VerifiedPush};
//!
//! async fn on_push(push: VerifiedPush) -> StatusCode {
//!     // Verified: hand the work off and answer quickly (MNS waits at most 5 s).
//!     let _ = push.notification_auto();
//!     StatusCode::NO_CONTENT
//! }
//!
//! # fn main() -> Result<(), mns_client::Error> {
//! let app: Router = Router::new()
//!     .route("/notifications", post(on_push))
//!     .with_state(PushVerifier::new()?);
//! # Ok(()) }
//! ```

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, OriginalUri, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::{PushRequest, PushVerifier, VerifiedPush, VerifyError};

/// Why the [`VerifiedPush`] extractor refused a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushRejection {
    /// The request failed verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The body could not be read (too large, connection closed, ...).
    #[error("could not read the push body: {0}")]
    Body(String),
}

impl IntoResponse for PushRejection {
    fn into_response(self) -> Response {
        let status = match &self {
            PushRejection::Verify(e) => {
                StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::FORBIDDEN)
            }
            PushRejection::Body(_) => StatusCode::BAD_REQUEST,
        };
        (status, self.to_string()).into_response()
    }
}

/// Converts axum request parts and a body into a [`PushRequest`]. The request target is taken
/// from [`OriginalUri`] when present, so routers nested under a prefix still verify.
pub fn push_request_from_parts(parts: &Parts, body: Bytes) -> Result<PushRequest, VerifyError> {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut request = PushRequest::new(parts.method.as_str(), target, body);
    for (name, value) in &parts.headers {
        let value =
            std::str::from_utf8(value.as_bytes()).map_err(|_| VerifyError::InvalidHeader {
                name: name.as_str().to_owned(),
                reason: "not UTF-8".into(),
            })?;
        request.push_header(name.as_str(), value);
    }
    Ok(request)
}

impl<S> FromRequest<S> for VerifiedPush
where
    S: Send + Sync,
    PushVerifier: FromRef<S>,
{
    type Rejection = PushRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = PushVerifier::from_ref(state);
        let (parts, body) = req.into_parts();
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|e| PushRejection::Body(e.body_text()))?;
        let request = push_request_from_parts(&parts, body)?;
        Ok(verifier.verify(request).await?)
    }
}
