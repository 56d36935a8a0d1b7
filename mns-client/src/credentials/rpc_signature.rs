//! Alibaba Cloud RPC signature "v1" (HMAC-SHA1), used to sign STS `AssumeRole` requests.
//!
//! Pure functions, no I/O and no clock (the nonce and timestamp are ordinary parameters), so each
//! stage can be checked against the test vectors on its own:
//!
//! 1. [`percent_encode`]: UTF-8 bytes; `A–Z a–z 0–9 - _ . ~` are kept, every other byte becomes
//!    `%XX` (upper-case hex). A space is `%20` (never `+`), `*` is `%2A`, `~` stays `~`.
//! 2. [`canonicalized_query`]: parameters sorted by name (byte order), `k=v` joined by `&`, each
//!    side percent-encoded. The `Signature` parameter itself is excluded.
//! 3. [`string_to_sign`]: `METHOD&%2F&percentEncode(canonicalized query)`.
//! 4. [`signature`]: `Base64(HMAC-SHA1(key = AccessKeySecret + "&", string to sign))`.
//!
//! ```
//! use std::collections::BTreeMap;
//! use mns_client::credentials::rpc_signature;
//!
//! let params = BTreeMap::from([
//!     ("Action".to_string(), "AssumeRole".to_string()),
//!     ("RoleSessionName".to_string(), "a b*c~d".to_string()),
//! ]);
//! assert_eq!(
//!     rpc_signature::canonicalized_query(&params),
//!     "Action=AssumeRole&RoleSessionName=a%20b%2Ac~d"
//! );
//! let sts = rpc_signature::string_to_sign("GET", &params);
//! assert!(sts.starts_with("GET&%2F&Action%3DAssumeRole%26"));
//! let sig = rpc_signature::signature("secret", &sts);
//! assert_eq!(sig.len(), 28); // Base64 of a 20-byte HMAC-SHA1
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Name of the parameter that carries the signature (excluded from signing).
pub const SIGNATURE_PARAM: &str = "Signature";

/// Every byte except the RPC "unreserved" set `A–Z a–z 0–9 - _ . ~` is encoded.
const RPC_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `s` by the RPC rule (RFC 3986 unreserved characters kept, upper-case hex).
///
/// Unlike `application/x-www-form-urlencoded` (`quote_plus`), a space becomes `%20`, not `+`.
///
/// ```
/// use mns_client::credentials::rpc_signature::percent_encode;
/// assert_eq!(percent_encode("a b*c~d/e+f"), "a%20b%2Ac~d%2Fe%2Bf");
/// assert_eq!(percent_encode("中"), "%E4%B8%AD");
/// ```
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, RPC_ENCODE_SET).to_string()
}

/// The canonicalized query: parameters (without `Signature`) sorted by name in byte order, each
/// `percent_encode(name)=percent_encode(value)`, joined by `&`.
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    // BTreeMap<String, _> iterates in byte order of the UTF-8 names, which is the required order.
    params
        .iter()
        .filter(|(name, _)| name.as_str() != SIGNATURE_PARAM)
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The string to sign: `METHOD + "&" + percent_encode("/") + "&" + percent_encode(canonicalized query)`.
///
/// For a `POST`, `params` is the union of the query and the form body.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// `Base64(HMAC-SHA1(key = access_key_secret + "&", string_to_sign))`.
///
/// The result must itself be percent-encoded when placed in a query or form body.
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = format!("{access_key_secret}&");
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs `params` for `method`: the string to sign, then the signature.
pub fn sign(method: &str, params: &BTreeMap<String, String>, access_key_secret: &str) -> String {
    signature(access_key_secret, &string_to_sign(method, params))
}

/// Encodes `params` as `k=v&k=v` with the RPC percent-encoding, for a URL query or a
/// `application/x-www-form-urlencoded` body.
pub fn encode_params<'a>(params: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    params
        .into_iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}
