//! Authentication of control-plane requests: `ACS3-HMAC-SHA256` ([`super::acs3`]) or RPC
//! signature v1 ([`crate::sts::rpc_signature`], the same scheme STS uses, with form-body
//! parameters merged into the signed set as Terraform sends them), then the timestamp within the
//! emulator's date skew and the nonce never reused (reference §2.3, §2.5, §2.7).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::acs3;
use super::error::OpenApiError;
use super::nonces::NonceStore;
use super::params::Params;
use crate::auth::{AuthError, Authenticator};
use crate::sts::rpc_signature;

/// A received control-plane request, as authentication sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) raw_query: &'a str,
    pub(crate) headers: &'a [(&'a str, &'a str)],
    pub(crate) body: &'a [u8],
}

impl<'a> Incoming<'a> {
    pub(crate) fn header(&self, name: &str) -> Option<&'a str> {
        let found: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
            .collect();
        match found.as_slice() {
            [] => None,
            [one] => Some(one),
            // Several lines of one header are signed as one comma-joined value; keep the first
            // here (a duplicated signed header then fails verification, never passes wrongly).
            [first, ..] => Some(first),
        }
    }
}

fn incomplete(why: &str) -> OpenApiError {
    OpenApiError::new(
        400,
        "IncompleteSignature",
        format!("The request signature does not conform to Aliyun standards: {why}"),
    )
}

fn mismatch() -> OpenApiError {
    OpenApiError::new(
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation.",
    )
}

/// Key-store failures in the gateway's codes. `InvalidAccessKeyId.NotFound` is 404 as on one of
/// the two POP error pages (the other says 400; reference §2.6 \[conflict\]).
fn key_error(e: AuthError) -> OpenApiError {
    match e {
        AuthError::InvalidAccessKeyId => OpenApiError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ),
        AuthError::SecurityTokenExpired => OpenApiError::new(
            400,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ),
        AuthError::InvalidSecurityToken => OpenApiError::new(
            400,
            "InvalidSecurityToken.Mismatch",
            "Specified SecurityToken mismatch with the AccessKey.",
        ),
        other => incomplete(&other.to_string()),
    }
}

fn check_time(raw: &str, now: SystemTime, max: Option<Duration>) -> Result<(), OpenApiError> {
    let sent = humantime::parse_rfc3339(raw.trim()).map_err(|_| {
        OpenApiError::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    if let Some(max) = max {
        let skew = now
            .duration_since(sent)
            .or_else(|_| sent.duration_since(now))
            .unwrap_or_default();
        if skew > max {
            return Err(OpenApiError::new(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.",
            ));
        }
    }
    Ok(())
}

/// Authenticates `req` (whose parameters are `params`) at `now`.
pub(crate) fn authenticate(
    auth: &Authenticator,
    req: &Incoming<'_>,
    params: &Params,
    nonces: &mut NonceStore,
    now: SystemTime,
) -> Result<(), OpenApiError> {
    let config = auth.config();
    if config.accept_any_signature {
        return Ok(());
    }
    let window = config.max_date_skew.unwrap_or(Duration::from_secs(15 * 60)) * 2;
    if let Some(value) = req.header("authorization") {
        let parsed = acs3::parse_authorization(value)
            .ok_or_else(|| incomplete("the Authorization header is not ACS3-HMAC-SHA256."))?;
        return verify_acs3(auth, req, &parsed, nonces, now, window);
    }
    if params.get(rpc_signature::SIGNATURE_PARAM).is_some() {
        return verify_rpc(auth, req, params, nonces, now, window);
    }
    Err(OpenApiError::new(
        400,
        "MissingSignature",
        "The request carries neither an Authorization header nor a Signature parameter.",
    ))
}

fn verify_acs3(
    auth: &Authenticator,
    req: &Incoming<'_>,
    parsed: &acs3::Acs3Authorization<'_>,
    nonces: &mut NonceStore,
    now: SystemTime,
    window: Duration,
) -> Result<(), OpenApiError> {
    let mut required: Vec<&str> = acs3::REQUIRED_SIGNED_HEADERS.to_vec();
    if !req.body.is_empty() {
        required.push("content-type");
    }
    if req.header("x-acs-security-token").is_some() {
        required.push("x-acs-security-token");
    }
    if let Some(h) = required.iter().find(|h| !parsed.signed_headers.contains(h)) {
        return Err(incomplete(&format!("the header {h} must be signed.")));
    }
    let mut signed = Vec::with_capacity(parsed.signed_headers.len());
    for name in &parsed.signed_headers {
        let value = req
            .header(name)
            .ok_or_else(|| incomplete(&format!("the signed header {name} is missing.")))?;
        signed.push((*name, value));
    }
    let declared = req.header("x-acs-content-sha256").unwrap_or_default();
    let payload = acs3::sha256_hex(req.body);
    if !declared.trim().eq_ignore_ascii_case(&payload) {
        return Err(OpenApiError::new(
            400,
            "SignatureDoesNotMatch",
            "The x-acs-content-sha256 header does not match the request body.",
        ));
    }
    check_time(
        req.header("x-acs-date").unwrap_or_default(),
        now,
        auth.config().max_date_skew,
    )?;
    let secret = auth
        .keys()
        .secret_for(
            parsed.access_key_id,
            req.header("x-acs-security-token"),
            now,
        )
        .map_err(key_error)?;
    let canonical = acs3::canonical_request(
        req.method,
        req.path,
        &acs3::canonical_query(req.raw_query.as_bytes()),
        &signed,
        &payload,
    );
    if !acs3::signature_matches(&secret, &acs3::string_to_sign(&canonical), parsed.signature) {
        return Err(mismatch());
    }
    nonces.check_and_record(
        req.header("x-acs-signature-nonce").unwrap_or_default(),
        now,
        window,
    )
}

fn verify_rpc(
    auth: &Authenticator,
    req: &Incoming<'_>,
    params: &Params,
    nonces: &mut NonceStore,
    now: SystemTime,
    window: Duration,
) -> Result<(), OpenApiError> {
    let get = |name: &str| params.optional(name);
    let access_key_id = get("AccessKeyId").ok_or_else(|| OpenApiError::missing("AccessKeyId"))?;
    if get("SignatureMethod") != Some("HMAC-SHA1") || get("SignatureVersion") != Some("1.0") {
        return Err(incomplete(
            "SignatureMethod must be HMAC-SHA1, version 1.0.",
        ));
    }
    let timestamp = get("Timestamp").ok_or_else(|| OpenApiError::missing("Timestamp"))?;
    check_time(timestamp, now, auth.config().max_date_skew)?;
    let nonce = get("SignatureNonce").ok_or_else(|| OpenApiError::missing("SignatureNonce"))?;
    let secret = auth
        .keys()
        .secret_for(access_key_id, get("SecurityToken"), now)
        .map_err(key_error)?;
    // Query and form body together are the signed set.
    let signed: BTreeMap<String, String> = params.0.clone();
    let string_to_sign = rpc_signature::string_to_sign(req.method, &signed);
    let signature = get(rpc_signature::SIGNATURE_PARAM).unwrap_or_default();
    if !rpc_signature::signature_matches(&secret, &string_to_sign, signature) {
        return Err(mismatch());
    }
    nonces.check_and_record(nonce, now, window)
}
