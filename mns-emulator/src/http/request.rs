//! Reading the request target the way the official SDKs write it (reference §2.4).
//!
//! The raw target is kept for the signature check (`auth`); here it is split into path segments
//! and query parameters for routing. Parameter names match case-insensitively (`ReceiptHandle` and
//! `receiptHandle` both occur), values are percent-decoded but `+` is never turned into a space:
//! the Python and Java SDKs put receipt handles with raw `+`, `/` and `=` into the query.

use axum::http::HeaderMap;
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
pub(crate) fn path_segments(path: &str) -> Result<Vec<String>, MnsError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    trimmed
        .split('/')
        .map(|seg| decode(seg).ok_or_else(MnsError::invalid_request_url))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

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
        assert_eq!(path_segments("/").unwrap(), Vec::<String>::new());
        assert_eq!(path_segments("/queues/").unwrap(), vec!["queues"]);
        assert_eq!(
            path_segments("/queues/q%2D1/messages").unwrap(),
            vec!["queues", "q-1", "messages"]
        );
    }
}
