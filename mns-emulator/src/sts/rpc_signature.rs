//! The Alibaba Cloud RPC signature "v1" (HMAC-SHA1) that STS `AssumeRole` requests carry,
//! checked by the emulated STS service.
//!
//! Written independently of `mns-client` (the same reasoning as [`crate::auth`]): both sides are
//! pinned to `testdata/vectors/sts-signature.json`, so a misreading on one side fails a test.
//!
//! Pure functions, no clock, no I/O:
//!
//! 1. [`percent_encode`]: UTF-8 bytes; `A–Z a–z 0–9 - _ . ~` kept, every other byte `%XX`
//!    (upper-case hex), so a space is `%20`, never `+`.
//! 2. [`canonicalized_query`]: every parameter except `Signature`, sorted by name in byte order,
//!    `percentEncode(k)=percentEncode(v)` joined by `&`.
//! 3. [`string_to_sign`]: `METHOD&%2F&percentEncode(canonicalized query)`.
//! 4. [`sign`]: `Base64(HMAC-SHA1(key = secret + "&", string to sign))`.
//!
//! ```
//! use std::collections::BTreeMap;
//! use mns_emulator::sts::rpc_signature::{sign, string_to_sign};
//!
//! let params = BTreeMap::from([
//!     ("Action".to_owned(), "AssumeRole".to_owned()),
//!     ("RoleSessionName".to_owned(), "a b".to_owned()),
//! ]);
//! let sts = string_to_sign("POST", &params);
//! assert_eq!(sts, "POST&%2F&Action%3DAssumeRole%26RoleSessionName%3Da%2520b");
//! assert_eq!(sign("secret", &sts).len(), 28);
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// The parameter that carries the signature (never part of what is signed).
pub const SIGNATURE_PARAM: &str = "Signature";

/// Everything but the RFC 3986 unreserved characters is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `s` by the RPC rule.
///
/// ```
/// use mns_emulator::sts::rpc_signature::percent_encode;
/// assert_eq!(percent_encode("a b*c~d/e+f"), "a%20b%2Ac~d%2Fe%2Bf");
/// ```
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The canonicalized query of `params` (the `Signature` parameter is skipped).
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    // A BTreeMap<String, _> iterates in byte order of the names, which is the required order.
    params
        .iter()
        .filter(|(k, _)| k.as_str() != SIGNATURE_PARAM)
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&percentEncode(canonicalized query)`.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

fn mac(secret: &str, string_to_sign: &str) -> Hmac<Sha1> {
    let key = format!("{secret}&");
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

/// `Base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Whether `signature` (Base64, as received) is right, compared in constant time.
pub fn signature_matches(secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(provided) = BASE64.decode(signature.as_bytes()) else {
        return false;
    };
    mac(secret, string_to_sign).verify_slice(&provided).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vector of `testdata/vectors/sts-signature.json`, stage by stage.
    #[test]
    fn published_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/sts-signature.json"
        );
        let text = std::fs::read_to_string(path).expect("vector file");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let mut vectors = vec![doc.clone()];
        vectors.extend(
            doc["additional_vectors"]
                .as_array()
                .expect("additional_vectors")
                .iter()
                .cloned(),
        );
        assert!(vectors.len() >= 2);
        for v in vectors {
            let params: BTreeMap<String, String> = v["params"]
                .as_object()
                .expect("params")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
                .collect();
            let method = v["method"].as_str().expect("method");
            let secret = v["access_key_secret"].as_str().expect("secret");
            let sts = string_to_sign(method, &params);
            assert_eq!(sts, v["expected_string_to_sign"].as_str().unwrap());
            let expected = v["expected_signature"].as_str().unwrap();
            assert_eq!(sign(secret, &sts), expected);
            assert!(signature_matches(secret, &sts, expected));
            assert!(!signature_matches("other", &sts, expected));
        }
    }

    #[test]
    fn signature_parameter_is_not_signed() {
        let mut params = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let before = canonicalized_query(&params);
        params.insert(SIGNATURE_PARAM.to_owned(), "x".to_owned());
        assert_eq!(canonicalized_query(&params), before);
    }

    #[test]
    fn garbage_signature_never_matches() {
        assert!(!signature_matches("s", "x", "not base64!"));
    }
}
