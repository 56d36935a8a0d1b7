//! A framework-agnostic view of an incoming push request.

use bytes::Bytes;

/// An incoming HTTP request as the push verifier needs it: method, request target (path plus
/// query, exactly as received), headers and body.
///
/// Build it from whatever HTTP framework you use; header names are matched case-insensitively.
///
/// ```
/// use mns_client::push::PushRequest;
/// let req = PushRequest::new("POST", "/notifications", "hello")
///     .with_header("Content-Type", "text/plain;charset=utf-8")
///     .with_header("x-mns-request-id", "65929A41E4B0C1D2E3F40002");
/// assert_eq!(req.header("content-type"), Some("text/plain;charset=utf-8"));
/// assert_eq!(req.body(), b"hello");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl PushRequest {
    /// A request with no headers yet. `target` is the path plus `?query` exactly as received.
    pub fn new(
        method: impl Into<String>,
        target: impl Into<String>,
        body: impl Into<Bytes>,
    ) -> Self {
        PushRequest {
            method: method.into(),
            target: target.into(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (names keep their case here; lookups ignore it).
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push_header(name, value);
        self
    }

    /// Adds a header in place.
    pub fn push_header(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.headers.push((name.into(), value.into()));
    }

    /// The request method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target: path plus `?query`, as received.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers, in the order they were added.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, without copying.
    pub fn body_bytes(&self) -> Bytes {
        self.body.clone()
    }

    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
}
