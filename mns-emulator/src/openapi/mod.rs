//! The control-plane OpenAPI "Mns-open" (version `2022-01-19`), served on the data plane's port
//! (reference mns-openapi-fifo-dlq §1–3).
//!
//! A request is a control-plane one when it addresses `/` and carries `x-acs-action` (ACS3, the
//! official SDKs), an `ACS3-HMAC-SHA256` authorization, or an `Action` query parameter (RPC v1,
//! Terraform); the data plane never does (its `/` requests are `?accountmeta`). Both signature
//! schemes are verified against the emulator's keys ([`auth`](self) module docs), parameters are
//! read from the query and the form body alike, and answers are JSON in the service's envelope:
//!
//! ```json
//! {"RequestId":"…","Code":200,"Status":"Success","Message":"operation success","Success":true,"Data":{…}}
//! {"RequestId":"…","HostId":"mns-open.aliyuncs.com","Code":"QueueNotExist","Message":"…","Recommend":""}
//! ```
//!
//! Every action works on the same engine state as the XML API: a queue created here is the queue
//! `GetQueueAttributes` shows over XML, and its type and dead-letter policy drive the FIFO and DLQ
//! semantics of the data plane.
//!
//! | actions | served |
//! |---|---|
//! | queues, topics, subscriptions (15 actions) | fully, on the engine |
//! | `TagResources`, `UntagResources` (sent by Terraform, not in the Python SDK) | on queue and topic tags |
//! | `GetAccountAttributes`, `SetAccountAttributes` | stored settings (no SLS is written) |
//! | endpoint ACL (`AuthorizeEndpointAcl`, `RevokeEndpointAcl`, `EnableEndpoint`, `DisableEndpoint`, `GetEndpointAttribute`) and event rules (`CreateEventRule`, `DeleteEventRule`, `GetEventRule`, `ListEventRules`) | answered as for an account without the feature: [`UNSUPPORTED_FEATURE_STATUS`] [`UNSUPPORTED_FEATURE_CODE`] |
//!
//! Choices where the reference is \[unconfirmed\], each one named here:
//!
//! * gateway errors: a missing parameter is 400 `Missing{Param}`, an unreadable one 400
//!   `Invalid{Param}`, an unknown action 404 `InvalidApi.NotFound`, another version 400
//!   [`INVALID_VERSION_CODE`], a bad signature 400 `SignatureDoesNotMatch`, a replayed nonce 400
//!   `SignatureNonceUsed`, an unknown key 404 `InvalidAccessKeyId.NotFound` (the POP error pages);
//! * engine errors keep their data-plane code and status (`QueueNotExist` 404,
//!   `QueueAlreadyExist` 409, ...), the generic `InvalidArgument` becoming `InvalidParameter`;
//! * `CreateQueue`/`CreateTopic` of an existing resource with the same settings succeeds (as the
//!   data plane's 204), otherwise 409; a DLQ target that does not exist, or the queue itself, is
//!   400 with [`EngineConfig::dlq_policy_error_code`](crate::engine::EngineConfig::dlq_policy_error_code);
//! * listings use [`DEFAULT_PAGE_SIZE`], clamp `PageSize` to 10–50 and match `QueueName` /
//!   `TopicName` as a prefix;
//! * a resource without a DLQ or rate-limit policy has no `DlqPolicy` / `TenantRateLimitPolicy`
//!   field; rate limits are stored, not enforced.

pub mod acs3;
mod actions;
mod auth;
mod error;
mod nonces;
mod params;
mod tags;
mod topic_actions;

use std::time::SystemTime;

use serde_json::Value;

pub use error::{OPENAPI_HOST_ID, OpenApiError};
pub use params::Params;

pub(crate) use auth::Incoming;
pub(crate) use nonces::NonceStore;

use crate::shared::Shared;

/// The only version served (`x-acs-version` / `Version`).
pub const API_VERSION: &str = "2022-01-19";
/// Code for a request naming another API version (\[unconfirmed\]: the STS emulation's choice).
pub const INVALID_VERSION_CODE: &str = "InvalidVersion";
/// Whether `CreateQueue` / `CreateTopic` on an existing name compare `Tag.N` (and, for queues,
/// `TenantRateLimitPolicy`) with what the resource has (\[unconfirmed\]: the reference,
/// mns-openapi-fifo-dlq §3.3, leaves the existing-name behaviour open). `true`, the default,
/// treats them like every other setting, as the data plane does its attributes: identical is a
/// success that changes nothing, any difference (tags compared as a set, an absent rate limit
/// being different from a present one) is 409 `QueueAlreadyExist` / `TopicAlreadyExist` and
/// changes nothing. `false` would answer success and silently keep the old tags and limit, so a
/// caller could never learn that its requested settings were not applied.
pub const CREATE_EXISTING_COMPARES_TAGS_AND_RATE_LIMIT: bool = true;
/// Status of an endpoint-ACL or event-rule action (\[unconfirmed\]).
pub const UNSUPPORTED_FEATURE_STATUS: u16 = 403;
/// Code of an endpoint-ACL or event-rule action: the account has not enabled the feature
/// (\[unconfirmed\]: the service's answer for such an account is unpublished).
pub const UNSUPPORTED_FEATURE_CODE: &str = "Forbidden.FeatureNotEnabled";
/// `PageSize` when a listing gives none (\[unconfirmed\]).
pub const DEFAULT_PAGE_SIZE: u32 = 10;

pub use crate::engine::ControlAccountSettings;

/// Control-plane state outside the engine.
#[derive(Debug, Default)]
pub(crate) struct OpenApiState {
    pub(crate) nonces: NonceStore,
}

/// Whether a request is a control-plane one (see the module docs).
pub(crate) fn is_control_plane(path: &str, raw_query: &str, req_headers: &[(&str, &str)]) -> bool {
    if path != "/" {
        return false;
    }
    let header = |name: &str| {
        req_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    header("x-acs-action").is_some()
        || header("authorization").is_some_and(|v| v.trim_start().starts_with(acs3::ALGORITHM))
        || url::form_urlencoded::parse(raw_query.as_bytes()).any(|(k, _)| k == "Action")
}

/// What an action needs besides its parameters.
pub(crate) struct ActionCtx<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) base_url: &'a str,
    pub(crate) now: u64,
}

/// Serves one control-plane request: the HTTP status and the JSON body (without `RequestId`,
/// which the caller adds).
pub(crate) fn serve(
    shared: &Shared,
    req: &Incoming<'_>,
    base_url: &str,
    now: SystemTime,
    request_id: &str,
) -> (u16, Value) {
    match serve_inner(shared, req, base_url, now) {
        Ok(data) => (200, error::success_document(request_id, data)),
        Err(e) => {
            tracing::debug!(code = %e.code, status = e.status, "control-plane request failed");
            (e.status, e.document(request_id))
        }
    }
}

fn serve_inner(
    shared: &Shared,
    req: &Incoming<'_>,
    base_url: &str,
    now: SystemTime,
) -> Result<Option<Value>, OpenApiError> {
    if req.method != "POST" && req.method != "GET" {
        return Err(OpenApiError::new(
            400,
            "UnsupportedHTTPMethod",
            "This http method is not supported.",
        ));
    }
    let mut params = Params::default();
    params.extend_from_form(req.raw_query.as_bytes());
    params.extend_from_form(req.body);
    {
        let mut state = shared.lock();
        auth::authenticate(&shared.auth, req, &params, &mut state.openapi.nonces, now)?;
    }
    let (action, version) = match req.header("x-acs-action") {
        Some(action) => (Some(action), req.header("x-acs-version")),
        None => (params.optional("Action"), params.optional("Version")),
    };
    match version.map(str::trim) {
        None => return Err(OpenApiError::missing("Version")),
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(OpenApiError::new(
                400,
                INVALID_VERSION_CODE,
                format!("Specified parameter Version {other:?} is not valid."),
            ));
        }
    }
    let action = action
        .map(str::trim)
        .ok_or_else(|| OpenApiError::missing("Action"))?;
    let ctx = ActionCtx {
        shared,
        base_url,
        now: crate::clock::to_millis(now),
    };
    actions::dispatch(&ctx, action, &params)
}
