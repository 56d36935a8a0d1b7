//! Signed raw requests, for cases that must put on the wire what `mns-client` refuses to send
//! (out-of-range values, malformed XML, missing parameters).
//!
//! Requests are signed with [`mns_client::signing`] (the classic scheme, or V4 with
//! [`RawRequest::v4`]) and the target's credentials and time; the answer is kept as status,
//! headers and body text so cases can check the service's exact `<Error>` document.

use std::time::SystemTime;

use mns_client::Credentials;
use mns_client::signing::v4::{self, V4Algorithm};
use mns_client::signing::{authorization, content_md5, http_date, string_to_sign};

/// An HTTP request to an MNS endpoint, before signing.
///
/// ```
/// use mns_testkit::RawRequest;
/// let req = RawRequest::new("PUT", "/queues/q1/messages?ReceiptHandle=x")
///     .header("x-mns-user-request-id", "abc");
/// assert_eq!(req.method, "PUT");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// `GET`, `PUT`, `POST` or `DELETE`.
    pub method: String,
    /// Path plus raw query, exactly as sent and signed (e.g. `/queues/q/messages?peekonly=true`).
    pub resource: String,
    /// Extra headers (the date, version, content type, MD5 and authorization are added).
    pub headers: Vec<(String, String)>,
    /// The body; XML bodies get `Content-Type: text/xml;charset=UTF-8` and a `Content-MD5`.
    pub body: Option<String>,
    /// Overrides the `Date` value (an empty string omits the header).
    pub date: Option<String>,
    /// Overrides the `x-mns-version` value (an empty string omits the header).
    pub version: Option<String>,
    /// Overrides the signing key: `(access key id, access key secret)`.
    pub key: Option<(String, String)>,
    /// Overrides the whole `Authorization` value (an empty string omits the header).
    pub authorization: Option<String>,
    /// Signs with V4 (`MNS4-HMAC-SHA256`) for this credential-scope region instead of the
    /// classic scheme.
    pub v4_region: Option<String>,
}

impl RawRequest {
    /// A request without body.
    pub fn new(method: &str, resource: impl Into<String>) -> Self {
        RawRequest {
            method: method.to_owned(),
            resource: resource.into(),
            headers: Vec::new(),
            body: None,
            date: None,
            version: None,
            key: None,
            authorization: None,
            v4_region: None,
        }
    }

    /// Signs with V4 (`MNS4-HMAC-SHA256`), naming `region` in the credential scope (the target's
    /// region for a valid request). The signed time is the `Date` header's.
    pub fn v4(mut self, region: impl Into<String>) -> Self {
        self.v4_region = Some(region.into());
        self
    }

    /// Sends `date` as the `Date` header (`""`: no `Date` header).
    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Sends `version` as `x-mns-version` (`""`: no version header).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Signs with this key instead of the target's credentials.
    pub fn key(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.key = Some((id.into(), secret.into()));
        self
    }

    /// Sends this `Authorization` value verbatim (`""`: no `Authorization` header).
    pub fn authorization(mut self, value: impl Into<String>) -> Self {
        self.authorization = Some(value.into());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Every header to send, including `Authorization`, signed with `credentials` at `now`.
    pub fn signed_headers(
        &self,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let date = self.date.clone().unwrap_or_else(|| http_date(now));
        // V4 signs the instant of the Date header (or `now` when there is none usable).
        let signed_at = httpdate::parse_http_date(&date).unwrap_or(now);
        if !date.is_empty() {
            headers.push(("Date".into(), date));
        }
        let version = self.version.as_deref().unwrap_or("2015-06-06");
        if !version.is_empty() {
            headers.push(("x-mns-version".into(), version.to_owned()));
        }
        if let Some(body) = &self.body {
            headers.push(("Content-Type".into(), "text/xml;charset=UTF-8".into()));
            headers.push(("Content-MD5".into(), content_md5(body.as_bytes())));
        }
        headers.extend(self.headers.iter().cloned());
        let (id, secret) = match &self.key {
            Some((id, secret)) => (id.as_str(), secret.as_str()),
            None => (credentials.access_key_id(), credentials.access_key_secret()),
        };
        let auth = match (&self.authorization, &self.v4_region) {
            (Some(verbatim), _) => verbatim.clone(),
            (None, Some(region)) => v4::authorization(
                V4Algorithm::Mns4,
                id,
                secret,
                region,
                signed_at,
                &self.method,
                &self.resource,
                &headers,
            ),
            (None, None) => {
                let sts = string_to_sign(&self.method, &self.resource, &headers);
                authorization(id, secret, &sts)
            }
        };
        if !auth.is_empty() {
            headers.push(("Authorization".into(), auth));
        }
        // The target's STS token goes with the target's key only.
        if let (None, None, Some(token)) =
            (&self.authorization, &self.key, credentials.security_token())
        {
            headers.push(("security-token".into(), token.to_owned()));
        }
        headers
    }
}

/// The answer to a [`RawRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (names lower-case).
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl RawResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Text of the first `<name>…</name>` element of the body, if any (MNS documents are flat).
    pub fn text(&self, name: &str) -> Option<String> {
        self.texts(name).into_iter().next()
    }

    /// Texts of every `<name>…</name>` element of the body.
    pub fn texts(&self, name: &str) -> Vec<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(&close) else { break };
            out.push(after[..j].to_owned());
            rest = &after[j + close.len()..];
        }
        out
    }

    /// The `<Code>` of an `<Error>` document.
    pub fn code(&self) -> Option<String> {
        self.body
            .contains("<Error")
            .then(|| self.text("Code"))
            .flatten()
    }

    /// The `<Message>` of an `<Error>` document.
    pub fn message(&self) -> Option<String> {
        self.body
            .contains("<Error")
            .then(|| self.text("Message"))
            .flatten()
    }

    /// Panics unless this is an `<Error>` document with `status` and `code` whose `RequestId`
    /// equals the `x-mns-request-id` header and which carries a `HostId` (reference §7.1).
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code().as_deref()),
            (status, Some(code)),
            "expected {status} {code}, got body {}",
            self.body
        );
        let request_id = self.text("RequestId");
        assert!(
            request_id.as_deref().is_some_and(|id| !id.is_empty()),
            "error without RequestId: {}",
            self.body
        );
        assert_eq!(
            request_id.as_deref(),
            self.header("x-mns-request-id"),
            "RequestId differs from x-mns-request-id"
        );
        assert!(self.text("HostId").is_some(), "error without HostId");
        assert!(self.message().is_some(), "error without Message");
    }
}

/// Sends `req` to `base_url` (scheme + host, no trailing slash).
pub(crate) async fn send(
    http: &reqwest::Client,
    base_url: &str,
    req: &RawRequest,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<RawResponse, reqwest::Error> {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut builder = http.request(method, format!("{base_url}{}", req.resource));
    for (name, value) in req.signed_headers(credentials, now) {
        builder = builder.header(name, value);
    }
    if let Some(body) = &req.body {
        builder = builder.body(body.clone());
    } else if req.method != "GET" {
        builder = builder.header("Content-Length", "0");
    }
    let resp = builder.send().await?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp.text().await?;
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}
