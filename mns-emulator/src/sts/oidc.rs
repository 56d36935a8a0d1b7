//! OIDC tokens (JWTs) as far as the emulated `AssumeRoleWithOIDC` looks at them: the payload's
//! claims. Signatures are not verified; there is no identity provider to ask.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};

/// The claims the emulated STS reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    pub(crate) issuer: String,
    pub(crate) subject: String,
    pub(crate) audience: Vec<String>,
    pub(crate) expires_at: Option<SystemTime>,
}

/// Reads the payload of `header.payload.signature`; `None` unless it is a JSON object.
pub(crate) fn parse_claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = B64URL.decode(payload.trim_end_matches('=')).ok()?;
    let doc: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    let text = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let audience = match doc.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let expires_at = match doc.get("exp") {
        None => None,
        // A claim past what a time can hold is no time at all (not a panic).
        Some(v) => UNIX_EPOCH.checked_add(Duration::from_secs(v.as_u64()?)),
    };
    Some(Claims {
        issuer: text("iss"),
        subject: text("sub"),
        audience,
        expires_at,
    })
}

/// Makes an OIDC token (a JWT with a placeholder signature) that the emulated
/// `AssumeRoleWithOIDC` accepts until `expires_at` on the emulator's clock: what a test writes to
/// the file named by `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use mns_emulator::sts::oidc_token;
///
/// let jwt = oidc_token(
///     "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c1",
///     "system:serviceaccount:default:worker",
///     "sts.aliyuncs.com",
///     UNIX_EPOCH + Duration::from_secs(1_704_114_000),
/// );
/// assert_eq!(jwt.split('.').count(), 3);
/// ```
pub fn oidc_token(issuer: &str, subject: &str, audience: &str, expires_at: SystemTime) -> String {
    let exp = expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "mns-emulator"});
    let payload = json!({"iss": issuer, "sub": subject, "aud": audience, "exp": exp});
    format!(
        "{}.{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(payload.to_string()),
        B64URL.encode("mns-emulator-unsigned")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let exp = UNIX_EPOCH + Duration::from_secs(1_704_114_000);
        let claims = parse_claims(&oidc_token("iss", "sub", "aud", exp)).unwrap();
        assert_eq!(
            claims,
            Claims {
                issuer: "iss".into(),
                subject: "sub".into(),
                audience: vec!["aud".into()],
                expires_at: Some(exp),
            }
        );
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        for bad in ["", "a.b", "a.b.c.d", "x.!!!.y", "x.bm90IGpzb24.y"] {
            assert_eq!(parse_claims(bad), None, "{bad}");
        }
        // `exp` must be a number.
        let payload = B64URL.encode(r#"{"exp":"soon"}"#);
        assert_eq!(parse_claims(&format!("h.{payload}.s")), None);
    }
}
