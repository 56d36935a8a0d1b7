//! The MNS V4 request signature (`MNS4-HMAC-SHA256`), as pure functions.
//!
//! Introduced by the official Java SDK 2.0 (`SignVersion.V4`), which marks the classic scheme
//! deprecated; the newest official gateway signs only this way. Unlike AWS SigV4 there is no
//! payload hash, no signed-headers list, and the canonical request goes into the string to sign
//! in clear.
//!
//! ```text
//! CanonicalRequest = VERB "\n"
//!                    percent-encoded path ('/' kept) "\n"
//!                    sorted "lower(key)=value" pairs, keys and values percent-encoded,
//!                      bare key when the value is empty, joined by '&' "\n"
//!                    for content-type, content-md5 and x-mns-* headers, sorted:
//!                      lower(name) ":" trim(value) "\n"
//!                    "\n"
//! StringToSign     = "MNS4-HMAC-SHA256\n" yyyyMMdd'T'HHmmss'Z' "\n" Scope "\n" CanonicalRequest
//! Scope            = yyyyMMdd "/" region "/mns/aliyun_v4_request"
//! SigningKey       = HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, yyyyMMdd), region), "mns"),
//!                         "aliyun_v4_request")          (HMAC-SHA256 throughout)
//! Signature        = hex(HMAC(SigningKey, StringToSign))
//! Authorization    = "MNS4-HMAC-SHA256 Credential=" id "/" Scope ",Signature=" Signature
//! ```
//!
//! Facts, from the Java SDK 2.0 source and 117 requests it was seen to send
//! (`testdata/vectors/official-sdk-requests-java.json`):
//!
//! * The only time on the wire is the RFC 1123 `Date` header; the signed timestamp is that same
//!   instant reformatted (no `x-mns-date`, no ISO header).
//! * Query values go on the wire **raw** (a receipt handle's `+`, `/`, `=` literal) but are
//!   percent-encoded in the canonical query; keys are lower-cased there too.
//! * `date`, `host`, `user-agent` and the STS `security-token` are not signed.
//! * The Apsara Stack build of the SDK uses the same scheme with other names
//!   ([`V4Algorithm::ApsaraStack`]).
//!
//! ```
//! use mns_client::signing::v4::{self, V4Algorithm};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let now = UNIX_EPOCH + Duration::from_secs(1_764_761_028); // 2025-12-03T11:23:48Z
//! let headers = [("x-mns-abc", "kkk"), ("X-MNS-Sss", "2015-06-06xFFF"), ("x-kkk-def", "jjj")];
//! let auth = v4::authorization(
//!     V4Algorithm::Mns4, "akkkkk1111111111", "skkkkkkk1111111111", "region2", now,
//!     "PUT", "/queues/TestQueue123456", &headers,
//! );
//! assert_eq!(
//!     auth,
//!     "MNS4-HMAC-SHA256 Credential=akkkkk1111111111/20251203/region2/mns/aliyun_v4_request,\
//!      Signature=04f1e5f929b5aaac3af6a54970f591581ecd2aade2562f926c5f2ec5d5c8cfad"
//! );
//! ```

use std::time::SystemTime;

use hmac::{KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The name set of a V4 scheme: the public-cloud one or the Apsara Stack (private cloud) one.
/// The algorithm is the same; only these strings differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum V4Algorithm {
    /// `MNS4-HMAC-SHA256`, key prefix `aliyun_v4`, scope ending `aliyun_v4_request` (public cloud).
    #[default]
    Mns4,
    /// `APSARA-MNS4-HMAC-SHA256`, key prefix `apsara_v4`, scope ending `apsara_v4_request`
    /// (Apsara Stack).
    ApsaraStack,
}

impl V4Algorithm {
    /// The algorithm name, first line of the string to sign and prefix of `Authorization`.
    pub fn name(self) -> &'static str {
        match self {
            V4Algorithm::Mns4 => "MNS4-HMAC-SHA256",
            V4Algorithm::ApsaraStack => "APSARA-MNS4-HMAC-SHA256",
        }
    }

    /// The text put before the secret to form the first HMAC key.
    pub fn key_prefix(self) -> &'static str {
        match self {
            V4Algorithm::Mns4 => "aliyun_v4",
            V4Algorithm::ApsaraStack => "apsara_v4",
        }
    }

    /// The last element of the credential scope.
    pub fn scope_terminator(self) -> &'static str {
        match self {
            V4Algorithm::Mns4 => "aliyun_v4_request",
            V4Algorithm::ApsaraStack => "apsara_v4_request",
        }
    }

    /// The algorithm whose [`name`](Self::name) is `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [V4Algorithm::Mns4, V4Algorithm::ApsaraStack]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// The service name in the credential scope.
pub const SERVICE: &str = "mns";

/// RFC 3986 unreserved characters stay, everything else is percent-encoded (upper-case hex).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Like [`UNRESERVED`], keeping `/` too (for the path).
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `(yyyyMMdd, yyyyMMdd'T'HHmmss'Z')` of `t` in UTC, truncated to the second.
pub fn timestamps(t: SystemTime) -> (String, String) {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let date = format!("{y:04}{m:02}{d:02}");
    let datetime = format!(
        "{date}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    (date, datetime)
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The credential scope `yyyyMMdd/region/mns/<terminator>`.
pub fn scope(algorithm: V4Algorithm, date: &str, region: &str) -> String {
    format!("{date}/{region}/{SERVICE}/{}", algorithm.scope_terminator())
}

/// The canonical query: the raw query (as sent, without `?`) split on `&` and on the first `=`,
/// keys lower-cased, keys and values trimmed and percent-encoded, sorted, joined by `&`; a key
/// with an empty value is written bare. Values are not percent-decoded first: what is on the wire
/// is encoded.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                utf8_percent_encode(k.trim().to_lowercase().as_str(), UNRESERVED).to_string(),
                utf8_percent_encode(v.trim(), UNRESERVED).to_string(),
            )
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// Whether a header takes part in the V4 signature: `content-type`, `content-md5`, `x-mns-*`.
pub fn is_signed_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-type")
        || name.eq_ignore_ascii_case("content-md5")
        || super::is_mns_header(name)
}

/// The canonical request for `method`, the request target as sent (`resource`: path plus
/// optional `?` and raw query) and the headers that will be sent (names in any case; headers that
/// are not signed are ignored).
pub fn canonical_request<N, V>(method: &str, resource: &str, headers: &[(N, V)]) -> String
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let (path, query) = resource.split_once('?').unwrap_or((resource, ""));
    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .filter(|(n, _)| is_signed_header(n.as_ref()))
        .map(|(n, v)| (n.as_ref().to_ascii_lowercase(), v.as_ref().trim()))
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::with_capacity(resource.len() * 2 + 128);
    out.push_str(method);
    out.push('\n');
    out.extend(utf8_percent_encode(path, PATH));
    out.push('\n');
    out.push_str(&canonical_query(query));
    out.push('\n');
    for (name, value) in signed {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The string to sign: algorithm, timestamp, scope and the canonical request (not hashed).
pub fn string_to_sign(
    algorithm: V4Algorithm,
    datetime: &str,
    scope: &str,
    canonical_request: &str,
) -> String {
    let name = algorithm.name();
    let mut out = String::with_capacity(
        name.len() + datetime.len() + scope.len() + canonical_request.len() + 3,
    );
    out.push_str(name);
    out.push('\n');
    out.push_str(datetime);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    out.push_str(canonical_request);
    out
}

fn hmac(key: &[u8], data: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The signing key: an HMAC-SHA256 chain from `<prefix><secret>` over the date, the region,
/// `mns` and the scope terminator.
pub fn signing_key(
    algorithm: V4Algorithm,
    access_key_secret: &str,
    date: &str,
    region: &str,
) -> [u8; 32] {
    let first = format!("{}{access_key_secret}", algorithm.key_prefix());
    let k = hmac(first.as_bytes(), date);
    let k = hmac(&k, region);
    let k = hmac(&k, SERVICE);
    hmac(&k, algorithm.scope_terminator())
}

/// `hex(HMAC-SHA256(signing_key, string_to_sign))`, lower-case.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    let mac = hmac(signing_key, string_to_sign);
    let mut out = String::with_capacity(64);
    for b in mac {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The `Authorization` value from its parts:
/// `<algorithm> Credential=<id>/<scope>,Signature=<hex>`.
pub fn authorization_header(
    algorithm: V4Algorithm,
    access_key_id: &str,
    scope: &str,
    signature: &str,
) -> String {
    format!(
        "{} Credential={access_key_id}/{scope},Signature={signature}",
        algorithm.name()
    )
}

/// Signs a request in one call: every stage above, with the time `now` (which must be the instant
/// of the `Date` header that is sent).
#[expect(
    clippy::too_many_arguments,
    reason = "a pure function of exactly the inputs the scheme names"
)]
pub fn authorization<N, V>(
    algorithm: V4Algorithm,
    access_key_id: &str,
    access_key_secret: &str,
    region: &str,
    now: SystemTime,
    method: &str,
    resource: &str,
    headers: &[(N, V)],
) -> String
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let (date, datetime) = timestamps(now);
    let scope = scope(algorithm, &date, region);
    let canonical = canonical_request(method, resource, headers);
    let sts = string_to_sign(algorithm, &datetime, &scope, &canonical);
    let key = signing_key(algorithm, access_key_secret, &date, region);
    authorization_header(algorithm, access_key_id, &scope, &signature(&key, &sts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_in_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_829_955_638); // 2025-12-04T06:32:35.638Z
        assert_eq!(
            timestamps(t),
            ("20251204".to_owned(), "20251204T063235Z".to_owned())
        );
        assert_eq!(
            timestamps(UNIX_EPOCH + Duration::from_secs(951_782_400)), // 2000-02-29
            ("20000229".to_owned(), "20000229T000000Z".to_owned())
        );
    }

    #[test]
    fn canonical_query_encodes_raw_values_and_lowercases_keys() {
        assert_eq!(
            canonical_query("ReceiptHandle=1-ODU4+OTk/zNDU5My0=12&VisibilityTimeout=10"),
            "receipthandle=1-ODU4%2BOTk%2FzNDU5My0%3D12&visibilitytimeout=10"
        );
        assert_eq!(
            canonical_query("peekonly=true&numOfMessages=16"),
            "numofmessages=16&peekonly=true"
        );
        assert_eq!(canonical_query("accountmeta"), "accountmeta");
        assert_eq!(canonical_query("a=&b=1"), "a&b=1");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn canonical_request_without_signed_headers() {
        assert_eq!(
            canonical_request::<&str, &str>("GET", "/queues", &[("Date", "x")]),
            "GET\n/queues\n\n\n"
        );
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in [V4Algorithm::Mns4, V4Algorithm::ApsaraStack] {
            assert_eq!(V4Algorithm::from_name(a.name()), Some(a));
        }
        assert_eq!(V4Algorithm::from_name("MNS"), None);
    }
}
