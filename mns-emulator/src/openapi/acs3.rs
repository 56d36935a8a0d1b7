//! `ACS3-HMAC-SHA256` verification (reference mns-openapi-fifo-dlq §2.3, §2.7), written
//! independently of `mns-client` and pinned to the same captured requests
//! (`testdata/vectors/openapi-requests-python.json`).
//!
//! The header list comes from the request's own `SignedHeaders`: the Python SDK signs every
//! header it sets (`accept`, `user-agent`, ...), other clients only `host`, `content-type` and
//! `x-acs-*`. A minimum set must be among them ([`REQUIRED_SIGNED_HEADERS`]).
//!
//! ```
//! use mns_emulator::openapi::acs3;
//!
//! let query = acs3::canonical_query(b"QueueName=orders+fifo&A=%2A");
//! assert_eq!(query, "A=%2A&QueueName=orders%20fifo");
//! let auth = acs3::parse_authorization(
//!     "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action,Signature=00",
//! ).unwrap();
//! assert_eq!(auth.signed_headers, vec!["host", "x-acs-action"]);
//! ```

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The algorithm token.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Headers every ACS3 request must sign (plus `content-type` when it has a body and
/// `x-acs-security-token` with temporary keys).
pub const REQUIRED_SIGNED_HEADERS: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
];

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hex(SHA256(bytes))`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The parts of an `Authorization: ACS3-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Authorization<'a> {
    /// The access key id (`Credential`).
    pub access_key_id: &'a str,
    /// `SignedHeaders`, as listed (lower-case names).
    pub signed_headers: Vec<&'a str>,
    /// `Signature`, lower-case hex.
    pub signature: &'a str,
}

/// Parses the header; `None` when it is not a well-formed ACS3 authorization.
pub fn parse_authorization(value: &str) -> Option<Acs3Authorization<'_>> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    let signed_headers: Vec<&str> = signed?.split(';').collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return None;
    }
    Some(Acs3Authorization {
        access_key_id: credential.filter(|c| !c.is_empty())?,
        signed_headers,
        signature: signature.filter(|s| !s.is_empty())?,
    })
}

/// The canonical query of a raw (form-encoded) query string: decoded, sorted by name, values
/// re-encoded by RFC 3986.
pub fn canonical_query(raw_query: &[u8]) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical request: `signed` are (lower-case name, value) pairs in the listed order.
pub fn canonical_request(
    method: &str,
    path: &str,
    canonical_query: &str,
    signed: &[(&str, &str)],
    hashed_payload: &str,
) -> String {
    let mut sorted: Vec<(&str, &str)> = signed.to_vec();
    sorted.sort();
    let headers: String = sorted
        .iter()
        .map(|(n, v)| format!("{n}:{}\n", v.trim()))
        .collect();
    let names = sorted.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(";");
    format!("{method}\n{path}\n{canonical_query}\n{headers}\n{names}\n{hashed_payload}")
}

/// `ACS3-HMAC-SHA256\n` + hex(SHA256(canonical request)).
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

fn mac(secret: &str, string_to_sign: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

/// `hex(HMAC-SHA256(secret, string to sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    hex(&mac(secret, string_to_sign).finalize().into_bytes())
}

/// Whether a hex signature is right, compared in constant time.
pub fn signature_matches(secret: &str, string_to_sign: &str, signature_hex: &str) -> bool {
    let Some(bytes) = (0..signature_hex.len())
        .step_by(2)
        .map(|i| {
            signature_hex
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    mac(secret, string_to_sign).verify_slice(&bytes).is_ok()
}
