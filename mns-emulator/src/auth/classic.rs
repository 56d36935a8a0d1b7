//! The classic MNS signature ("V2", HMAC-SHA1) as pure functions: no I/O, no clock.
//!
//! ```text
//! StringToSign  = VERB "\n" CONTENT-MD5 "\n" CONTENT-TYPE "\n" DATE "\n"
//!                 CanonicalizedMNSHeaders CanonicalizedResource
//! Authorization = "MNS " AccessKeyId ":" base64(HMAC-SHA1(secret, StringToSign))
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::AuthError;

type HmacSha1 = Hmac<Sha1>;

/// Builds `CanonicalizedMNSHeaders` from request headers: every header whose name starts with
/// `x-mns-` (any case), name lower-cased, as `name:value\n`, sorted by name. Other headers are
/// ignored, so the full header list can be passed in.
pub fn canonical_mns_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    // The prefix test comes before any allocation: most headers are not `x-mns-*`.
    let mut picked: Vec<(String, &str)> = headers
        .into_iter()
        .filter(|(name, _)| {
            name.get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-mns-"))
        })
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    // Stable sort by name only (the PY/JAVA/NODE/PHP order; see reference §3.1 on GO's variant).
    picked.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::with_capacity(
        picked
            .iter()
            .map(|(n, v)| n.len() + v.len() + 2)
            .sum::<usize>(),
    );
    for (name, value) in picked {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// Builds the string to sign: `VERB\nCONTENT-MD5\nCONTENT-TYPE\nDATE\n` + canonical headers +
/// resource. Every value is used exactly as received (absent headers are empty strings).
pub fn string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    date: &str,
    canonical_headers: &str,
    resource: &str,
) -> String {
    let mut s = String::with_capacity(
        method.len() + content_md5.len() + content_type.len() + date.len() + 4,
    );
    s.push_str(method);
    s.push('\n');
    s.push_str(content_md5);
    s.push('\n');
    s.push_str(content_type);
    s.push('\n');
    s.push_str(date);
    s.push('\n');
    s.push_str(canonical_headers);
    s.push_str(resource);
    s
}

fn mac(secret: &str, string_to_sign: &str) -> HmacSha1 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

/// `Base64(HMAC-SHA1(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Whether `signature` (base64, as sent) is the right one, compared in constant time.
pub fn signature_matches(secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(provided) = BASE64.decode(signature.as_bytes()) else {
        return false;
    };
    // `verify_slice` compares in constant time.
    mac(secret, string_to_sign).verify_slice(&provided).is_ok()
}

/// Splits an `Authorization` value of the form `MNS <AccessKeyId>:<Signature>` into its two parts.
pub fn parse_authorization(value: &str) -> Result<(&str, &str), AuthError> {
    let rest = value
        .strip_prefix("MNS ")
        .ok_or(AuthError::InvalidAuthorizationHeader)?;
    let (id, signature) = rest
        .split_once(':')
        .ok_or(AuthError::InvalidAuthorizationHeader)?;
    if id.is_empty() || signature.is_empty() || id.contains(char::is_whitespace) {
        return Err(AuthError::InvalidAuthorizationHeader);
    }
    Ok((id, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_parsing() {
        assert_eq!(parse_authorization("MNS id:sig="), Ok(("id", "sig=")));
        assert_eq!(parse_authorization("MNS id:a:b"), Ok(("id", "a:b")));
        for bad in [
            "",
            "MNS",
            "MNS id",
            "MNS :sig",
            "MNS id:",
            "mns id:sig",
            "MNSid:sig",
        ] {
            assert_eq!(
                parse_authorization(bad),
                Err(AuthError::InvalidAuthorizationHeader),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn canonical_headers_sorted_lowercased_and_filtered() {
        let got = canonical_mns_headers([
            ("x-mns-version", "2015-06-06"),
            ("Content-Type", "text/xml"),
            ("X-MNS-Date", "d"),
            ("x-mns-a", "1"),
        ]);
        assert_eq!(got, "x-mns-a:1\nx-mns-date:d\nx-mns-version:2015-06-06\n");
        assert_eq!(canonical_mns_headers([("host", "h")]), "");
    }

    #[test]
    fn signature_check_is_exact() {
        let sig = sign("secret", "abc");
        assert!(signature_matches("secret", "abc", &sig));
        assert!(!signature_matches("secret", "abd", &sig));
        assert!(!signature_matches("other", "abc", &sig));
        assert!(!signature_matches("secret", "abc", "not base64!"));
    }
}
