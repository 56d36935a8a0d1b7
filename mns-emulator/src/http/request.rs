//! Reading the request target the way the official SDKs write it (reference §2.4).
//!
//! The raw target is kept for the signature check (`auth`); here it is split into path segments
//! and query parameters for routing. Parameter names match case-insensitively (`ReceiptHandle` and
//! `receiptHandle` both occur), values are percent-decoded but `+` is never turned into a space:
//! the Python and Java SDKs put receipt handles with raw `+`, `/` and `=` into the query.

use std::borrow::Cow;

use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, Version, header};
use percent_encoding::percent_decode_str;

use crate::engine::ListRequest;
use crate::error::MnsError;
use crate::xml;

/// The list headers of `ListQueue`, `ListTopic` and `ListSubscriptionByTopic`
/// (`x-mns-prefix`, `x-mns-marker`, `x-mns-ret-number`) and whether `x-mns-with-meta` asks for
/// attributes. Empty headers count as absent.
pub(crate) fn list_request(headers: &HeaderMap) -> Result<(ListRequest, bool), MnsError> {
    let non_empty = |name: &str| {
        headers
            .get(name)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let ret_number = match non_empty("x-mns-ret-number") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| MnsError::out_of_range("x-mns-ret-number", 1, 1000, ""))?,
        ),
    };
    let with_meta = non_empty("x-mns-with-meta").is_some_and(|v| xml::parse_bool(&v) == Some(true));
    Ok((
        ListRequest {
            prefix: non_empty("x-mns-prefix"),
            marker: non_empty("x-mns-marker"),
            ret_number,
        },
        with_meta,
    ))
}

/// Headers that must appear at most once besides every `x-mns-*` header: the ones the signature
/// covers or that frame the request. Which of two values the sender meant is unknowable, and the
/// signature check and the handler could otherwise read different ones.
const SINGLE_HEADERS: [header::HeaderName; 6] = [
    header::HOST,
    header::AUTHORIZATION,
    header::DATE,
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::HeaderName::from_static("content-md5"),
];

/// Checks the HTTP/1.1 rules of a request head before anything else reads it (RFC 9112 §3.2,
/// §6.1): `Host` present (on the wire), once and well-formed, no repeated `x-mns-*` or signed
/// header (400 `InvalidArgument`), and no transfer coding but `chunked` (501 `NotImplemented`).
pub(crate) fn check_head(parts: &Parts, from_wire: bool) -> Result<(), MnsError> {
    let hosts = parts.headers.get_all(header::HOST).iter().count();
    if hosts == 0 && parts.version == Version::HTTP_11 && from_wire {
        return Err(MnsError::invalid_argument(
            "The Host header is required in HTTP/1.1 requests.",
        ));
    }
    if let Some(host) = parts.headers.get(header::HOST) {
        let valid = std::str::from_utf8(host.as_bytes()).is_ok_and(valid_host);
        if !valid {
            return Err(MnsError::invalid_argument("The Host header is invalid."));
        }
    }
    // Each name once per value: a map with as many values as names repeats none, and the
    // per-name check below (a lookup per header) is skipped.
    let repeats = parts.headers.len() != parts.headers.keys_len();
    for name in parts.headers.keys().filter(|_| repeats) {
        let single = SINGLE_HEADERS.contains(name) || name.as_str().starts_with("x-mns-");
        if single && parts.headers.get_all(name).iter().nth(1).is_some() {
            return Err(MnsError::invalid_argument(format!(
                "The header {name} must not appear more than once."
            )));
        }
    }
    for value in parts.headers.get_all(header::TRANSFER_ENCODING) {
        let text = std::str::from_utf8(value.as_bytes()).unwrap_or("?");
        for coding in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !coding.eq_ignore_ascii_case("chunked") {
                return Err(MnsError::with_status(
                    crate::error::ErrorCode::parse("NotImplemented"),
                    format!("The transfer coding {coding} is not supported."),
                    501,
                ));
            }
        }
    }
    Ok(())
}

/// `http://` and the `host[:port]` a request was addressed to: the authority of an absolute-form
/// target (which wins over `Host`, RFC 9112 §3.2.2), else a single well-formed, non-empty
/// `Host`. `None` when neither is usable; [`check_head`] then refuses the request unless it came
/// in-process without a `Host`. Built in one allocation: this runs on every request.
pub(crate) fn base_url(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    let with_scheme = |parts: &[&str]| {
        let mut url = String::with_capacity(7 + parts.iter().map(|p| p.len()).sum::<usize>());
        url.push_str("http://");
        parts.iter().for_each(|p| url.push_str(p));
        url
    };
    if let Some(authority) = uri.authority() {
        return Some(match authority.port() {
            Some(port) => with_scheme(&[authority.host(), ":", port.as_str()]),
            None => with_scheme(&[authority.host()]),
        });
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next()?.to_str().ok()?;
    (hosts.next().is_none() && !host.is_empty() && valid_host(host)).then(|| with_scheme(&[host]))
}

/// Whether `s` is `uri-host [":" port]` (RFC 3986) with a host of letters, digits, `-`, `.`,
/// `_`, `~` or a bracketed IPv6 address, and a decimal port up to 65535. Empty is valid (RFC 9112
/// §3.2: a target without authority).
fn valid_host(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let (host_ok, port) = if let Some(rest) = s.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, after)) => (
                ip.parse::<std::net::Ipv6Addr>().is_ok(),
                match after {
                    "" => None,
                    p => match p.strip_prefix(':') {
                        Some(p) => Some(p),
                        None => return false,
                    },
                },
            ),
            None => return false,
        }
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        let ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        (ok, port)
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok()
    });
    host_ok && port_ok
}

/// The query string of a request, decoded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the `?`).
    pub(crate) fn parse(raw: &str) -> Result<Self, MnsError> {
        let mut pairs = Vec::new();
        for item in raw.split('&').filter(|s| !s.is_empty()) {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            let name = decode(name).ok_or_else(|| MnsError::invalid_query_string(item))?;
            let value = decode(value).ok_or_else(|| MnsError::invalid_query_string(&name))?;
            // A repeated parameter (`numOfMessages=2&numOfMessages=16`) is ambiguous: refuse it
            // rather than guess which one the sender meant.
            if pairs
                .iter()
                .any(|(n, _): &(String, String)| n.eq_ignore_ascii_case(&name))
            {
                return Err(MnsError::invalid_query_string(&name));
            }
            pairs.push((name, value));
        }
        Ok(Query { pairs })
    }

    /// The first value of parameter `name` (case-insensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether parameter `name` is present (with any value).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether parameter `name` is `true` (any case).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Parameter `name` as an integer; present but not an integer is 400 `InvalidQueryString`.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, MnsError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| MnsError::invalid_query_string(name)),
        }
    }
}

/// Percent-decodes one component, leaving `+` alone; `None` when the result is not UTF-8.
fn decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// Splits a path into decoded segments: `/queues/q1/messages` → `["queues", "q1", "messages"]`.
/// A trailing slash is ignored (`/queues/` is `/queues`); `/` gives no segments.
pub(crate) fn path_segments(path: &str) -> Result<Vec<Cow<'_, str>>, MnsError> {
    raw_segments(path).map(decode_segment).collect()
}

/// The `/`-separated segments of `path` as received (one leading and one trailing `/` dropped;
/// none for an empty path).
pub(crate) fn raw_segments(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    trimmed.split('/').filter(move |_| !trimmed.is_empty())
}

/// One percent-decoded segment: borrowed unless it is percent-encoded, so routing a plain path
/// allocates nothing; not UTF-8 once decoded is 400 `InvalidRequestURL`.
pub(crate) fn decode_segment(seg: &str) -> Result<Cow<'_, str>, MnsError> {
    percent_decode_str(seg)
        .decode_utf8()
        .map_err(|_| MnsError::invalid_request_url())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn host_syntax() {
        for ok in [
            "",
            "127.0.0.1",
            "localhost:9911",
            "a-b.example_1.com",
            "[::1]",
            "[::1]:80",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "a b", "x:y", "x:", "x:65536", "x:1:2", "[::1", "[zz]", "[::1]x", ":80", "a/b", "a@b",
            "a<b>",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    #[test]
    fn plus_slash_and_equals_survive() {
        let q = Query::parse("ReceiptHandle=1-ODU4+OTk/zNDU5My0=10&VisibilityTimeout=10").unwrap();
        assert_eq!(q.get("receipthandle"), Some("1-ODU4+OTk/zNDU5My0=10"));
        assert_eq!(q.int("visibilityTimeout").unwrap(), Some(10));
    }

    #[test]
    fn percent_encoded_values_are_decoded() {
        let q = Query::parse("receiptHandle=1-a%2Bb%2Fc%3D&peekonly=TRUE").unwrap();
        assert_eq!(q.get("ReceiptHandle"), Some("1-a+b/c="));
        assert!(q.flag("peekonly"));
        assert!(!q.flag("missing"));
    }

    #[test]
    fn bad_values() {
        let q = Query::parse("waitseconds=abc").unwrap();
        assert_eq!(
            q.int("waitseconds").unwrap_err().code(),
            &ErrorCode::InvalidQueryString
        );
        assert_eq!(
            Query::parse("a=%ff").unwrap_err().code(),
            &ErrorCode::InvalidQueryString
        );
        let q = Query::parse("flag&x=").unwrap();
        assert!(q.has("flag"));
        assert_eq!(q.get("x"), Some(""));
    }

    #[test]
    fn segments() {
        assert!(path_segments("/").unwrap().is_empty());
        assert_eq!(path_segments("/queues/").unwrap(), vec!["queues"]);
        assert_eq!(
            path_segments("/queues/q%2D1/messages").unwrap(),
            vec!["queues", "q-1", "messages"]
        );
    }
}
