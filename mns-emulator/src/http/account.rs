//! Account-level operations: Get/SetAccountAttributes (`/?accountmeta=true`) and OpenService.

use axum::http::StatusCode;

use super::{Reply, Shared};
use crate::error::MnsError;
use crate::xml;

pub(super) fn get_account_attributes(shared: &Shared) -> Result<Reply, MnsError> {
    let state = shared.lock();
    let a = state.engine.account_settings();
    Ok(Reply::xml(
        StatusCode::OK,
        xml::account_document(&a.logging_bucket, a.trace_enabled.as_deref()),
    ))
}

pub(super) fn set_account_attributes(shared: &Shared, body: &[u8]) -> Result<Reply, MnsError> {
    let input = xml::parse_account_attributes(body)?;
    if input.logging_bucket.is_none() && input.trace_enabled.is_none() {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    shared.lock().engine.update_account_settings(|a| {
        if let Some(bucket) = input.logging_bucket {
            a.logging_bucket = bucket;
        }
        if let Some(trace) = input.trace_enabled {
            a.trace_enabled = Some(trace);
        }
    });
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// OpenService activates MNS on an account; the emulator is always "open" and answers with a
/// fixed order id derived from the account id.
pub(super) fn open_service(shared: &Shared) -> Result<Reply, MnsError> {
    let order_id = format!("{}000000", shared.account_id);
    Ok(Reply::xml(
        StatusCode::OK,
        xml::open_service_document(&order_id),
    ))
}
