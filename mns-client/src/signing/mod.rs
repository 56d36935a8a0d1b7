//! MNS request signing, as pure functions: the classic scheme (HMAC-SHA1, "V2") here, the V4
//! scheme (`MNS4-HMAC-SHA256`) in [`v4`]. [`SignatureVersion`] chooses between them per client.
//!
//! Nothing here reads a clock or does I/O: the `Date` value is an argument, so every stage can be
//! checked against published vectors.
//!
//! # The classic scheme
//!
//! ```text
//! StringToSign  = VERB "\n" CONTENT-MD5 "\n" CONTENT-TYPE "\n" DATE "\n"
//!                 CanonicalizedMNSHeaders CanonicalizedResource
//! Signature     = base64(HMAC-SHA1(AccessKeySecret, StringToSign))
//! Authorization = "MNS " AccessKeyId ":" Signature
//! ```
//!
//! * `CONTENT-MD5`, `CONTENT-TYPE` and `DATE` are the header values exactly as sent, or empty when absent
//!   (`DATE` falls back to `x-mns-date` when there is no `Date` header).
//! * `CanonicalizedMNSHeaders` is every `x-mns-*` header, name lower-cased, as `name:value\n`, sorted by name.
//! * `CanonicalizedResource` is the request path plus `?` and the raw query, exactly as sent.
//! * The STS `security-token` header is never signed.
//!
//! ```
//! use mns_client::signing::{authorization, string_to_sign};
//!
//! let headers = [("x-mns-version", "2015-06-06"), ("Date", "Tue, 02 Jan 2024 03:04:05 GMT")];
//! let sts = string_to_sign("GET", "/queues/testqueue/messages?waitseconds=10", &headers);
//! assert_eq!(
//!     sts,
//!     "GET\n\n\nTue, 02 Jan 2024 03:04:05 GMT\nx-mns-version:2015-06-06\n/queues/testqueue/messages?waitseconds=10"
//! );
//! assert_eq!(authorization("testid", "testsecret", &sts), "MNS testid:GbBS4+bVkzyS0NyzP/Mvl1gQ7OE=");
//! ```

pub mod v4;

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use md5::Digest as _;

/// Which signature a [`Client`](crate::Client) puts on its requests
/// ([`ClientBuilder::signature_version`](crate::ClientBuilder::signature_version)).
///
/// The default is [`V2`](Self::V2), the classic scheme: every official SDK (Python, Node, Go,
/// PHP, and Java unless told otherwise) signs this way, so it works against every region, proxy
/// and emulator. [`V4`](Self::V4) is what the Java SDK 2.0 offers as the successor (it marks V2
/// deprecated) and what the newest official gateway sends; it needs the region, which the client
/// takes from the endpoint (`{account}.mns.{region}.aliyuncs.com`) or from
/// [`ClientBuilder::region`](crate::ClientBuilder::region). Choose V4 where an account or a
/// private cloud requires it; both are accepted by `mns-emulator`.
///
/// Parses from `v2`, `v4` and `apsara-v4` (any case), e.g. from `MNS_SIGNATURE_VERSION`.
///
/// ```
/// use mns_client::SignatureVersion;
/// assert_eq!("V4".parse::<SignatureVersion>()?, SignatureVersion::V4);
/// assert_eq!(SignatureVersion::default(), SignatureVersion::V2);
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// `MNS <id>:<base64 HMAC-SHA1>` (the classic scheme; the default).
    #[default]
    V2,
    /// `MNS4-HMAC-SHA256 Credential=...,Signature=...` ([`v4`], public cloud names).
    V4,
    /// The V4 scheme with the Apsara Stack names (`APSARA-MNS4-HMAC-SHA256`).
    ApsaraV4,
}

impl SignatureVersion {
    /// The V4 name set, or `None` for the classic scheme.
    pub fn v4_algorithm(self) -> Option<v4::V4Algorithm> {
        match self {
            SignatureVersion::V2 => None,
            SignatureVersion::V4 => Some(v4::V4Algorithm::Mns4),
            SignatureVersion::ApsaraV4 => Some(v4::V4Algorithm::ApsaraStack),
        }
    }

    /// `v2`, `v4` or `apsara-v4`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureVersion::V2 => "v2",
            SignatureVersion::V4 => "v4",
            SignatureVersion::ApsaraV4 => "apsara-v4",
        }
    }
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureVersion {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v2" | "2" => Ok(SignatureVersion::V2),
            "v4" | "4" => Ok(SignatureVersion::V4),
            "apsara-v4" | "apsara_v4" | "apsarav4" => Ok(SignatureVersion::ApsaraV4),
            _ => Err(crate::Error::InvalidInput(format!(
                "unknown signature version {s:?} (expected v2, v4 or apsara-v4)"
            ))),
        }
    }
}

/// Prefix of the headers that take part in the signature.
pub const MNS_HEADER_PREFIX: &str = "x-mns-";

/// Builds the string to sign from the method, the resource (path plus raw query, exactly as sent)
/// and every header that will be sent (names in any case; non-`x-mns-*` headers other than
/// `Content-MD5`, `Content-Type` and `Date` are ignored).
///
/// Header-name matching is case-insensitive. If no `Date` header is present, the value of
/// `x-mns-date` is used on the date line.
pub fn string_to_sign<N, V>(method: &str, resource: &str, headers: &[(N, V)]) -> String
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let find = |wanted: &str| {
        headers
            .iter()
            .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.as_ref())
    };
    let content_md5 = find("content-md5").unwrap_or("");
    let content_type = find("content-type").unwrap_or("");
    let date = find("date").or_else(|| find("x-mns-date")).unwrap_or("");

    // Names are usually lower-case already (the client's own are): borrow those.
    let mut mns: Vec<(std::borrow::Cow<'_, str>, &str)> = headers
        .iter()
        .filter(|(n, _)| is_mns_header(n.as_ref()))
        .map(|(n, v)| {
            let n = n.as_ref();
            let name = if n.bytes().any(|b| b.is_ascii_uppercase()) {
                std::borrow::Cow::Owned(n.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(n)
            };
            (name, v.as_ref())
        })
        .collect();
    mns.sort_by(|a, b| a.0.cmp(&b.0));

    let mut out = String::with_capacity(
        method.len() + content_md5.len() + content_type.len() + date.len() + resource.len() + 64,
    );
    out.push_str(method);
    out.push('\n');
    out.push_str(content_md5);
    out.push('\n');
    out.push_str(content_type);
    out.push('\n');
    out.push_str(date);
    out.push('\n');
    for (name, value) in &mns {
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push_str(resource);
    out
}

/// `base64(HMAC-SHA1(access_key_secret, string_to_sign))`.
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    signature_with(hmac_sha1(access_key_secret), string_to_sign)
}

/// The `Authorization` header value: `MNS {access_key_id}:{signature}`.
pub fn authorization(access_key_id: &str, access_key_secret: &str, string_to_sign: &str) -> String {
    authorization_with(hmac_sha1(access_key_secret), access_key_id, string_to_sign)
}

/// HMAC-SHA1 keyed with an access key secret, before any message: what [`signature`] starts
/// from. Keying hashes the key's inner and outer blocks, so a client keeps one keyed copy per
/// secret and clones it per request (`transport::sign::KeyCache`).
pub(crate) type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// [`HmacSha1`] keyed with `access_key_secret`.
pub(crate) fn hmac_sha1(access_key_secret: &str) -> HmacSha1 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha1 as KeyInit>::new_from_slice(access_key_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// [`signature`] from an already keyed MAC.
fn signature_with(mac: HmacSha1, string_to_sign: &str) -> String {
    STANDARD.encode(signature_with_raw(mac, string_to_sign))
}

/// [`authorization`] from an already keyed MAC.
pub(crate) fn authorization_with(
    mac: HmacSha1,
    access_key_id: &str,
    string_to_sign: &str,
) -> String {
    // "MNS " + id + ":" + 28 base64 characters of a 20-byte digest.
    let mut out = String::with_capacity(5 + access_key_id.len() + 28);
    out.push_str("MNS ");
    out.push_str(access_key_id);
    out.push(':');
    STANDARD.encode_string(signature_with_raw(mac, string_to_sign), &mut out);
    out
}

/// The raw HMAC-SHA1 digest of `string_to_sign`.
fn signature_with_raw(mut mac: HmacSha1, string_to_sign: &str) -> [u8; 20] {
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The `Content-MD5` value MNS SDKs send: base64 of the **lower-case hex** MD5 of the body
/// (not RFC 1864's base64 of the raw digest).
///
/// ```
/// assert_eq!(mns_client::signing::content_md5(b""), "ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U=");
/// ```
pub fn content_md5(body: &[u8]) -> String {
    let digest = md5::Md5::digest(body);
    STANDARD.encode(hex(&digest, HEX_LOWER))
}

/// Upper-case hex MD5 of `data`, the form MNS uses for `MessageBodyMD5`.
///
/// ```
/// assert_eq!(mns_client::signing::md5_hex_upper(b"hello world"), "5EB63BBBE01EEED093CB22BB8F5ACDC3");
/// ```
pub fn md5_hex_upper(data: &[u8]) -> String {
    let digest = md5::Md5::digest(data);
    String::from_utf8(hex(&digest, HEX_UPPER)).unwrap_or_default()
}

/// Formats a time as an RFC 1123 `Date` header value, e.g. `Tue, 02 Jan 2024 03:04:05 GMT`.
pub fn http_date(t: std::time::SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

fn is_mns_header(name: &str) -> bool {
    name.len() >= MNS_HEADER_PREFIX.len()
        && name.as_bytes()[..MNS_HEADER_PREFIX.len()]
            .eq_ignore_ascii_case(MNS_HEADER_PREFIX.as_bytes())
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn hex(bytes: &[u8], alphabet: &[u8; 16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(alphabet[usize::from(b >> 4)]);
        out.push(alphabet[usize::from(b & 0x0f)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_mns_headers_means_date_line_then_resource() {
        let s = string_to_sign("GET", "/q", &[("Date", "D")]);
        assert_eq!(s, "GET\n\n\nD\n/q");
    }

    #[test]
    fn mns_headers_are_lowercased_and_sorted() {
        let s = string_to_sign(
            "GET",
            "/queues",
            &[
                ("X-MNS-b", "2"),
                ("x-mns-a", "1"),
                ("x-other", "z"),
                ("date", "D"),
            ],
        );
        assert_eq!(s, "GET\n\n\nD\nx-mns-a:1\nx-mns-b:2\n/queues");
    }

    #[test]
    fn x_mns_date_used_when_date_absent() {
        let s = string_to_sign("GET", "/", &[("x-mns-date", "D2")]);
        assert_eq!(s, "GET\n\n\nD2\nx-mns-date:D2\n/");
    }

    #[test]
    fn md5_forms() {
        assert_eq!(
            content_md5(b""),
            "ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U="
        );
        assert_eq!(md5_hex_upper(b""), "D41D8CD98F00B204E9800998ECF8427E");
    }

    #[test]
    fn http_date_format() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_164_645);
        assert_eq!(http_date(t), "Tue, 02 Jan 2024 03:04:05 GMT");
    }
}
