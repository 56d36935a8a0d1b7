//! The `ACS3-HMAC-SHA256` request signature of Alibaba Cloud OpenAPIs (reference
//! mns-openapi-fifo-dlq §2.3), as pure functions, one per stage, so each can be checked against
//! the requests the official Python SDK was seen to send (`testdata/vectors/openapi-requests-python.json`):
//!
//! ```text
//! HashedPayload    = hex(SHA256(body))
//! CanonicalQuery   = query parameters (never form-body ones) sorted by name,
//!                    name "=" RFC3986(value), joined by "&"
//! CanonicalHeaders = for each signed header (lower-case, sorted): name ":" trim(value) "\n"
//! CanonicalRequest = METHOD "\n" "/" "\n" CanonicalQuery "\n" CanonicalHeaders "\n"
//!                    SignedHeaders "\n" HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256\n" hex(SHA256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//! Authorization    = "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=" list ",Signature=" hex
//! ```
//!
//! ```
//! use mns_client::control::signing;
//!
//! let query = [("QueueName", "orders fifo")];
//! assert_eq!(signing::canonical_query(query), "QueueName=orders%20fifo");
//! let payload = signing::hashed_payload(b"");
//! assert!(payload.starts_with("e3b0c442"));
//! let headers = [("x-acs-action", "GetQueueAttributes"), ("host", "example.com")];
//! let (canonical, signed) = signing::canonical_headers(headers);
//! assert_eq!(signed, "host;x-acs-action");
//! let request = signing::canonical_request("POST", "/", "QueueName=q", &canonical, &signed, &payload);
//! let sts = signing::string_to_sign(&request);
//! assert!(sts.starts_with("ACS3-HMAC-SHA256\n"));
//! assert_eq!(signing::signature("secret", &sts).len(), 64);
//! ```

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The algorithm name, first token of `Authorization` and first line of the string to sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// RFC 3986 unreserved characters stay; every other UTF-8 byte is `%XX` (upper-case hex).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes by RFC 3986 (space is `%20`, `*` is `%2A`, `~` stays).
///
/// ```
/// assert_eq!(mns_client::control::signing::rfc3986("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
/// ```
pub fn rfc3986(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Lower-case hex of bytes.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `hex(SHA256(body))`: the `x-acs-content-sha256` header and the last canonical line.
pub fn hashed_payload(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// The canonical query of the **query-string** parameters (decoded values): sorted by name
/// (byte order), `name=rfc3986(value)` joined by `&`. Names are not encoded, as in the official
/// SDK (every Mns-open name is unreserved ASCII, so it makes no difference).
pub fn canonical_query<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical headers block (every line ends in `\n`) and the `SignedHeaders` list of the
/// headers given: names lower-cased and sorted, values trimmed.
pub fn canonical_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (String, String) {
    let mut lines: Vec<(String, &str)> = headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .collect();
    lines.sort();
    let canonical = lines.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed = lines
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (canonical, signed)
}

/// `METHOD \n path \n query \n headers \n signed \n payload` (the headers block already ends in
/// a newline, so a blank line follows the last header).
pub fn canonical_request(
    method: &str,
    path: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    format!(
        "{}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}",
        method.to_ascii_uppercase()
    )
}

/// `ACS3-HMAC-SHA256 \n hex(SHA256(canonical request))`.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// `hex(HMAC-SHA256(key = secret, string to sign))`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The `Authorization` header value.
pub fn authorization(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
    )
}

/// `x-acs-date`: UTC `YYYY-MM-DDTHH:MM:SSZ` (whole seconds).
pub fn acs_date(now: std::time::SystemTime) -> String {
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}
