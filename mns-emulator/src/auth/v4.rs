//! The MNS V4 signature (`MNS4-HMAC-SHA256`, from the official Java SDK 2.0) as pure functions,
//! written from the scheme's description and the Java SDK's captured requests, independently of
//! `mns-client`'s signer.
//!
//! A V4 request carries `Authorization: MNS4-HMAC-SHA256
//! Credential=<id>/<yyyyMMdd>/<region>/mns/aliyun_v4_request,Signature=<64 hex>` and the usual
//! RFC 1123 `Date`; the signed timestamp is that `Date` reformatted as `yyyyMMdd'T'HHmmss'Z'`
//! (the Java SDK sends no other time). The server rebuilds:
//!
//! ```text
//! CanonicalRequest = VERB \n encode(path, '/' kept) \n canonical query \n
//!                    "name:value\n" for content-type, content-md5, x-mns-* (lower-case, trimmed,
//!                    sorted) \n
//! StringToSign     = ALGORITHM \n TIMESTAMP \n SCOPE \n CanonicalRequest
//! key              = HMAC-SHA256 chain of (PREFIX + secret) over date, region, "mns", TERMINATOR
//! ```
//!
//! The canonical query percent-encodes the **raw** query as received: split on `&` and on the
//! first `=`, keys lower-cased, keys and values trimmed, no form decoding (a receipt handle's `+` stays a plus, and is
//! encoded as `%2B`).
//!
//! ```
//! use mns_emulator::auth::v4::{self, V4Names};
//! let c = v4::canonical_request("PUT", "/queues/q/messages?ReceiptHandle=a+b&VisibilityTimeout=10",
//!     &[("content-type", "text/xml"), ("host", "h"), ("x-mns-version", "2015-06-06")]);
//! assert_eq!(c, "PUT\n/queues/q/messages\nreceipthandle=a%2Bb&visibilitytimeout=10\n\
//!                content-type:text/xml\nx-mns-version:2015-06-06\n\n");
//! assert_eq!(V4Names::from_algorithm("MNS4-HMAC-SHA256"), Some(V4Names::Public));
//! ```

use std::time::SystemTime;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::AuthError;

type HmacSha256 = Hmac<Sha256>;

/// The names of one V4 variant. The Apsara Stack (private cloud) build of the Java SDK uses the
/// same algorithm under other names; the emulator accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum V4Names {
    /// `MNS4-HMAC-SHA256` / `aliyun_v4` / `aliyun_v4_request`.
    Public,
    /// `APSARA-MNS4-HMAC-SHA256` / `apsara_v4` / `apsara_v4_request`.
    Apsara,
}

impl V4Names {
    /// Every variant.
    pub const ALL: [V4Names; 2] = [V4Names::Public, V4Names::Apsara];

    /// The algorithm token that starts `Authorization` and the string to sign.
    pub fn algorithm(self) -> &'static str {
        match self {
            V4Names::Public => "MNS4-HMAC-SHA256",
            V4Names::Apsara => "APSARA-MNS4-HMAC-SHA256",
        }
    }

    /// What is put in front of the secret for the first key.
    pub fn key_prefix(self) -> &'static str {
        match self {
            V4Names::Public => "aliyun_v4",
            V4Names::Apsara => "apsara_v4",
        }
    }

    /// The last part of the credential scope.
    pub fn terminator(self) -> &'static str {
        match self {
            V4Names::Public => "aliyun_v4_request",
            V4Names::Apsara => "apsara_v4_request",
        }
    }

    /// The variant whose algorithm token is `token`.
    pub fn from_algorithm(token: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.algorithm() == token)
    }
}

/// A parsed V4 `Authorization` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4Authorization<'a> {
    /// Which names the request used.
    pub names: V4Names,
    /// The access key id.
    pub access_key_id: &'a str,
    /// The scope date, `yyyyMMdd`.
    pub date: &'a str,
    /// The scope region.
    pub region: &'a str,
    /// The lower- or upper-case hex signature as sent.
    pub signature: &'a str,
}

impl V4Authorization<'_> {
    /// The credential scope as sent: `date/region/mns/terminator`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/mns/{}",
            self.date,
            self.region,
            self.names.terminator()
        )
    }
}

/// Whether `value` claims to be a V4 `Authorization` (starts with a V4 algorithm token and a
/// space), whatever else is wrong with it.
pub fn is_v4(value: &str) -> bool {
    value
        .split_once(' ')
        .is_some_and(|(token, _)| V4Names::from_algorithm(token).is_some())
}

/// Parses `<ALGORITHM> Credential=<id>/<date>/<region>/mns/<terminator>,Signature=<hex>`.
/// Anything else (missing or repeated parts, a scope of the wrong shape, another service or
/// terminator, a signature that is not 64 hex digits) is `InvalidAuthorizationHeader`.
pub fn parse_authorization(value: &str) -> Result<V4Authorization<'_>, AuthError> {
    let bad = AuthError::InvalidAuthorizationHeader;
    let (token, rest) = value.split_once(' ').ok_or(bad.clone())?;
    let names = V4Names::from_algorithm(token).ok_or(bad.clone())?;
    let mut credential = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, val) = part.trim().split_once('=').ok_or(bad.clone())?;
        let slot = match key {
            "Credential" => &mut credential,
            "Signature" => &mut signature,
            _ => return Err(bad),
        };
        if slot.replace(val).is_some() {
            return Err(bad);
        }
    }
    let (credential, signature) = credential.zip(signature).ok_or(bad.clone())?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(bad);
    };
    let well_formed = !access_key_id.is_empty()
        && date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && !region.is_empty()
        && *service == "mns"
        && *terminator == names.terminator()
        && signature.len() == 64
        && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(bad);
    }
    Ok(V4Authorization {
        names,
        access_key_id,
        date,
        region,
        signature,
    })
}

/// `(yyyyMMdd, yyyyMMdd'T'HHmmss'Z')` of `t` in UTC, to the second.
pub fn timestamps(t: SystemTime) -> (String, String) {
    // RFC 3339 to the second, e.g. `2026-12-04T18:46:57Z`, minus its separators.
    let basic: String = humantime::format_rfc3339_seconds(t)
        .to_string()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    (basic[..8].to_owned(), basic)
}

fn push_encoded(out: &mut String, text: &str, keep_slash: bool) {
    for b in text.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/');
        if keep {
            out.push(char::from(b));
        } else {
            const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 15)]));
        }
    }
}

/// The canonical request of a received request: method, the raw request target (path plus `?`
/// and raw query), and every header (names in any case; unsigned ones are skipped).
pub fn canonical_request(method: &str, target: &str, headers: &[(&str, &str)]) -> String {
    let (path, query) = match target.find('?') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, ""),
    };
    let mut out = String::with_capacity(target.len() * 2 + 160);
    out.push_str(method);
    out.push('\n');
    push_encoded(&mut out, path, true);
    out.push('\n');

    let mut params: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.find('=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        let (key, value) = (key.trim(), value.trim());
        let mut item = String::with_capacity(pair.len() * 3);
        push_encoded(&mut item, &key.to_lowercase(), false);
        if !value.is_empty() {
            item.push('=');
            push_encoded(&mut item, value, false);
        }
        params.push(item);
    }
    // Sorting "key=value" strings orders by key first: '=' (0x3D) sorts below every character an
    // encoded key can contain except '%', '-', '.' and digits, and keys of MNS requests are
    // letters only.
    params.sort_unstable();
    out.push_str(&params.join("&"));
    out.push('\n');

    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let signed =
                name == "content-type" || name == "content-md5" || name.starts_with("x-mns-");
            signed.then(|| (name, value.trim()))
        })
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in signed {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The string to sign.
pub fn string_to_sign(names: V4Names, timestamp: &str, scope: &str, canonical: &str) -> String {
    [names.algorithm(), timestamp, scope, canonical].join("\n")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The derived signing key for `secret` on `date` (`yyyyMMdd`) in `region`.
pub fn signing_key(names: V4Names, secret: &str, date: &str, region: &str) -> Vec<u8> {
    let mut key = format!("{}{secret}", names.key_prefix()).into_bytes();
    for part in [date, region, "mns", names.terminator()] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    key
}

/// The lower-case hex signature of `string_to_sign` under `key`.
pub fn sign(key: &[u8], string_to_sign: &str) -> String {
    hmac_sha256(key, string_to_sign.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the hex `signature` (either case) is the right one, compared in constant time.
pub fn signature_matches(key: &[u8], string_to_sign: &str, signature: &str) -> bool {
    let Some(provided) = decode_hex(signature) else {
        return false;
    };
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&provided).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const GOOD: &str = "MNS4-HMAC-SHA256 Credential=testid/20261204/cn-hangzhou/mns/aliyun_v4_request,Signature=0c058488fc80f423f78c6868079b1ce3d5ea069fa54d1c2d569931ea49a56b0d";

    #[test]
    fn parses_the_java_form() {
        let a = parse_authorization(GOOD).unwrap();
        assert_eq!(a.names, V4Names::Public);
        assert_eq!(a.access_key_id, "testid");
        assert_eq!(a.date, "20261204");
        assert_eq!(a.region, "cn-hangzhou");
        assert_eq!(a.scope(), "20261204/cn-hangzhou/mns/aliyun_v4_request");
        assert!(is_v4(GOOD));
        assert!(!is_v4("MNS id:sig"));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let sig = "0".repeat(64);
        for bad in [
            "MNS4-HMAC-SHA256".to_owned(),
            "MNS4-HMAC-SHA256 ".to_owned(),
            format!("MNS4-HMAC-SHA256 Signature={sig}"),
            "MNS4-HMAC-SHA256 Credential=a/20261204/r/mns/aliyun_v4_request".to_owned(),
            "MNS4-HMAC-SHA256 Credential=a/20261204/r/mns/aliyun_v4_request,Signature=xyz"
                .to_owned(),
            format!(
                "MNS4-HMAC-SHA256 Credential=a/2026124/r/mns/aliyun_v4_request,Signature={sig}"
            ),
            format!(
                "MNS4-HMAC-SHA256 Credential=a/20261204/r/sqs/aliyun_v4_request,Signature={sig}"
            ),
            format!(
                "MNS4-HMAC-SHA256 Credential=a/20261204/r/mns/apsara_v4_request,Signature={sig}"
            ),
            format!(
                "MNS4-HMAC-SHA256 Credential=/20261204/r/mns/aliyun_v4_request,Signature={sig}"
            ),
            format!("MNS4-HMAC-SHA256 Credential=a/20261204/mns/aliyun_v4_request,Signature={sig}"),
            format!(
                "MNS4-HMAC-SHA256 Credential=a/20261204/r/mns/aliyun_v4_request,Signature={sig},Signature={sig}"
            ),
            format!(
                "MNS4-HMAC-SHA256 Credential=a/20261204/r/mns/aliyun_v4_request,Signature={sig},SignedHeaders=host"
            ),
        ] {
            assert_eq!(
                parse_authorization(&bad),
                Err(AuthError::InvalidAuthorizationHeader),
                "{bad}"
            );
        }
    }

    #[test]
    fn timestamps_from_the_date_header_instant() {
        let t = httpdate::parse_http_date("Fri, 04 Dec 2026 18:46:57 GMT").unwrap();
        assert_eq!(
            timestamps(t + Duration::from_millis(900)),
            ("20261204".to_owned(), "20261204T184657Z".to_owned())
        );
        assert_eq!(timestamps(UNIX_EPOCH).1, "19700101T000000Z");
    }

    #[test]
    fn hex_comparison_accepts_either_case_only_for_the_right_signature() {
        let key = signing_key(V4Names::Public, "s", "20261204", "r");
        let sig = sign(&key, "abc");
        assert!(signature_matches(&key, "abc", &sig));
        assert!(signature_matches(&key, "abc", &sig.to_uppercase()));
        assert!(!signature_matches(&key, "abd", &sig));
        assert!(!signature_matches(&key, "abc", "zz"));
    }
}
