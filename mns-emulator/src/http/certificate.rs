//! `GET` [`CERTIFICATE_PATH`](crate::push::CERTIFICATE_PATH): the certificate push receivers
//! fetch to verify the emulator's push signatures.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::shared::Shared;

/// `GET {CERTIFICATE_PATH}`: the signing certificate (PEM), unsigned like the real bucket.
pub(crate) async fn serve_certificate(State(shared): State<Arc<Shared>>) -> Response {
    match shared.push.signer().await {
        Ok(s) => {
            let mut r = s.certificate_pem().to_owned().into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-pem-file"),
            );
            r
        }
        Err(e) => {
            tracing::warn!(error = %e, "no push signing certificate");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
