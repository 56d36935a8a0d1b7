//! The generic request machinery every operation goes through (crate-internal API).
//!
//! An operation module (queues here; topics and subscriptions elsewhere) builds a [`Request`] and
//! calls [`Client::execute`]. `execute` then, for each attempt:
//!
//! 1. asks the credentials provider for credentials;
//! 2. reads the time from the client's [`TimeSource`](crate::time::TimeSource) for `Date`;
//! 3. adds `x-mns-version: 2015-06-06`, and when there is a body `Content-Type:
//!    text/xml;charset=UTF-8` and `Content-MD5` (base64 of the lower-case hex MD5);
//! 4. signs with the client's [`SignatureVersion`] (see [`signing`](crate::signing)) and adds
//!    `Authorization`, then the unsigned
//!    `security-token` header for STS credentials;
//! 5. sends with the request's timeout (or the client's), and reads the whole body;
//! 6. returns 2xx answers as a [`Response`]; decodes an `<Error>` document into
//!    [`Error::Service`]; returns non-2xx answers whose root element is listed in
//!    [`Request::data_error_roots`] as a [`Response`] too (batch partial failures are data);
//! 7. retries what [`RetryConfig`](crate::RetryConfig) says is retryable.
//!
//! Everything runs in a `mns_request` tracing span with the fields `operation`, `resource`,
//! `attempt`, `status` and `request_id`.
//!
//! **Sign what you send.** [`Request::resource`] is the path plus query exactly as it goes on the
//! wire. `execute` builds the URL from it once, checks that URL parsing did not re-encode anything,
//! and signs that same string.

pub(crate) mod http;
mod pool;
mod sign;
mod target;

use sign::header_map;
pub(crate) use sign::{Signer, sign_headers};
use target::{kept_verbatim, url_with_target};

use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use tracing::Instrument as _;

use crate::client::Client;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode, ServiceError};
use crate::time::TimeSource as _;
use crate::xml;

/// The protocol version sent in `x-mns-version`.
pub(crate) const MNS_VERSION: &str = "2015-06-06";

/// The `Content-Type` sent with request bodies.
pub(crate) const CONTENT_TYPE_XML: &str = "text/xml;charset=UTF-8";

/// One MNS request, before signing.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The MNS operation name for errors and tracing, e.g. `SendMessage`.
    pub(crate) operation: &'static str,
    /// HTTP method.
    pub(crate) method: Method,
    /// Path plus `?` and query, exactly as sent and signed (e.g. `/queues/q/messages?waitseconds=3`).
    /// Values must already be percent-encoded where needed.
    pub(crate) resource: String,
    /// Extra headers (usually `x-mns-*`; those are signed). Names must be lower-case.
    pub(crate) headers: Vec<(&'static str, String)>,
    /// The XML body, if any.
    pub(crate) body: Option<String>,
    /// Per-attempt timeout overriding the client's request timeout (long polls).
    pub(crate) timeout: Option<Duration>,
    /// Root element names of non-2xx bodies that are results, not errors (e.g. `Messages` for a
    /// BatchSendMessage partial failure, `Errors` for BatchDeleteMessage).
    pub(crate) data_error_roots: &'static [&'static str],
}

impl Request {
    /// A request with no body, no extra headers and the default timeout.
    pub(crate) fn new(operation: &'static str, method: Method, resource: String) -> Self {
        Request {
            operation,
            method,
            resource,
            headers: Vec::new(),
            body: None,
            timeout: None,
            data_error_roots: &[],
        }
    }

    /// Sets the body.
    pub(crate) fn body(mut self, body: String) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sets the per-attempt timeout.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Declares non-2xx body roots that are results.
    pub(crate) fn data_error_roots(mut self, roots: &'static [&'static str]) -> Self {
        self.data_error_roots = roots;
        self
    }

    /// The path part of the resource (no query), for tracing.
    fn path(&self) -> &str {
        self.resource.split('?').next().unwrap_or("")
    }
}

/// A response that the operation decodes.
#[derive(Debug)]
pub(crate) struct Response {
    /// HTTP status.
    pub(crate) status: u16,
    /// `x-mns-request-id`, when present.
    pub(crate) request_id: Option<String>,
    /// The body as text.
    pub(crate) body: String,
}

impl Response {
    /// Decodes the body as XML into `T`, mapping failure to [`Error::Decode`].
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
    ) -> Result<T, Error> {
        xml::from_xml(&self.body).map_err(|message| self.decode_error(operation, message))
    }

    /// Decodes the body with a hand-written decoder, mapping failure to [`Error::Decode`].
    pub(crate) fn decode_with<T>(
        &self,
        operation: &'static str,
        decode: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, Error> {
        decode(&self.body).map_err(|message| self.decode_error(operation, message))
    }

    /// Rejects a 2xx status the operation does not define (e.g. a 204 where a body is expected).
    pub(crate) fn expect_status(&self, operation: &'static str, ok: &[u16]) -> Result<(), Error> {
        if ok.contains(&self.status) {
            Ok(())
        } else {
            Err(self.decode_error(operation, format!("unexpected HTTP status {}", self.status)))
        }
    }

    /// Maps a create (CreateQueue, CreateTopic, Subscribe) success status to its outcome.
    pub(crate) fn created_or_existed(
        &self,
        operation: &'static str,
    ) -> Result<crate::common::CreateOutcome, Error> {
        use crate::common::CreateOutcome;
        match self.status {
            201 | 200 => Ok(CreateOutcome::Created),
            204 => Ok(CreateOutcome::AlreadyExisted),
            other => Err(self.decode_error(operation, format!("unexpected HTTP status {other}"))),
        }
    }

    /// An [`Error::Decode`] for this response.
    pub(crate) fn decode_error(
        &self,
        operation: &'static str,
        message: impl Into<String>,
    ) -> Error {
        Error::Decode {
            operation,
            status: self.status,
            request_id: self.request_id.clone(),
            message: message.into(),
        }
    }
}

/// A request as it would go on the wire: URL, every header, body. Produced by the `prepare_*`
/// methods (e.g. [`Queue::prepare_send_message`](crate::Queue::prepare_send_message)) for
/// inspection, logging or custom transports.
///
/// `Debug` redacts `Authorization` and `security-token`.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// HTTP method, upper-case.
    pub method: String,
    /// Full URL: endpoint plus resource.
    pub url: String,
    /// The signed resource (path plus query, as in the URL).
    pub resource: String,
    /// Every header the client sets itself, in sending order (`User-Agent` and `Content-Length`
    /// are added by the HTTP layer).
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<String>,
}

impl SignedRequest {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::common::header_value(&self.headers, name)
    }
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers =
            crate::common::redacted_headers(&self.headers, &["authorization", "security-token"]);
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorDoc {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    host_id: String,
}

impl Client {
    /// Builds the full URL for `resource` and checks that URL parsing keeps the resource byte for
    /// byte (so what is signed is what is sent).
    ///
    /// A resource made only of characters that URL parsing never changes (see
    /// [`kept_verbatim`]) passes without being parsed; anything else is checked by setting it on
    /// the parsed endpoint with the `url` crate and comparing.
    pub(crate) fn url_for(&self, operation: &'static str, resource: &str) -> Result<String, Error> {
        let base = &self.inner.base_url;
        let kept = resource.starts_with('/')
            && (kept_verbatim(resource)
                || &url_with_target(base, resource)[url::Position::BeforePath..] == resource);
        if !kept {
            return Err(Error::InvalidInput(format!(
                "{operation}: request target would be re-encoded on the wire"
            )));
        }
        // The endpoint has no path, query or fragment (`Endpoint::from_url` checks).
        let prefix = &base[..url::Position::BeforePath];
        let mut url = String::with_capacity(prefix.len() + resource.len());
        url.push_str(prefix);
        url.push_str(resource);
        Ok(url)
    }

    /// `req` plus this handle's `x-mns-user-request-id`, if it has one.
    fn with_user_headers(&self, req: Request) -> Request {
        match &self.user_request_id {
            Some(id) => req.header("x-mns-user-request-id", id.to_string()),
            None => req,
        }
    }

    /// Signs `req` with the given credentials and time, without sending it.
    pub(crate) fn prepare(
        &self,
        req: &Request,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        let url = self.url_for(req.operation, &req.resource)?;
        let req = &self.with_user_headers(req.clone());
        let headers = sign_headers(req, &self.inner.signer, credentials, now)
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.into_owned()))
            .collect();
        Ok(SignedRequest {
            method: req.method.as_str().to_owned(),
            url,
            resource: req.resource.clone(),
            headers,
            body: req.body.clone(),
        })
    }

    /// Sends `req` with signing, retries, timeouts and tracing. See the [module docs](self).
    pub(crate) async fn execute(&self, req: Request) -> Result<Response, Error> {
        let req = self.with_user_headers(req);
        let span = tracing::debug_span!(
            "mns_request",
            operation = req.operation,
            resource = req.path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.execute_inner(req).instrument(span).await
    }

    async fn execute_inner(&self, req: Request) -> Result<Response, Error> {
        let url = self.url_for(req.operation, &req.resource)?;
        let retry = &self.inner.retry;
        let start = tokio::time::Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            let result = self.attempt(&req, &url).await;
            match result {
                Ok(resp) => {
                    span.record("status", resp.status);
                    if let Some(id) = &resp.request_id {
                        span.record("request_id", id.as_str());
                    }
                    tracing::debug!(status = resp.status, "MNS request succeeded");
                    return Ok(resp);
                }
                Err(err) => {
                    if let Some(status) = error_status(&err) {
                        span.record("status", status);
                    }
                    if let Some(id) = err.request_id() {
                        span.record("request_id", id);
                    }
                    if attempt > retry.max_retries || !err.is_retryable() {
                        tracing::debug!(error = %err, attempt, "MNS request failed");
                        return Err(err);
                    }
                    let delay = retry.delay(attempt, self.inner.jitter.sample());
                    if start.elapsed() + delay > retry.max_elapsed {
                        tracing::warn!(error = %err, attempt, "MNS request failed; retry time budget exhausted");
                        return Err(err);
                    }
                    tracing::warn!(
                        error = %err,
                        attempt,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "MNS request failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn attempt(&self, req: &Request, url: &str) -> Result<Response, Error> {
        let op = req.operation;
        let credentials = self.inner.credentials.provide_credentials().await?;
        let now = self.inner.time_source.now();
        let headers = sign_headers(req, &self.inner.signer, &credentials, now);

        // Room for what the HTTP layer adds (Content-Length, Accept, User-Agent, Host), so the
        // map never regrows.
        let mut header_map = header_map(op, headers, 4)?;
        let bodyless_write = req.body.is_none() && req.method != Method::GET;
        if bodyless_write {
            // Like the official Python SDK, send `Content-Length: 0` on body-less PUT/DELETE/POST:
            // some servers require a length on those methods.
            header_map.insert(
                reqwest::header::CONTENT_LENGTH,
                HeaderValue::from_static("0"),
            );
        }
        let timeout = req.timeout.unwrap_or(self.inner.request_timeout);
        let body = match &req.body {
            Some(body) => Some(bytes::Bytes::from(body.clone())),
            None if bodyless_write => Some(bytes::Bytes::new()),
            None => None,
        };
        let http::HttpAnswer {
            status,
            request_id,
            body: bytes,
        } = self
            .inner
            .http
            .send(http::HttpCall {
                operation: op,
                method: &req.method,
                url,
                resource: &req.resource,
                base_url: &self.inner.base_url,
                headers: header_map,
                body,
                timeout,
                max_response_bytes: self.inner.max_response_bytes,
            })
            .await?;
        let body = String::from_utf8(bytes).map_err(|_| Error::Decode {
            operation: op,
            status,
            request_id: request_id.clone(),
            message: "response body is not UTF-8".into(),
        })?;
        let response = Response {
            status,
            request_id,
            body,
        };
        if (200..300).contains(&status) {
            return Ok(response);
        }
        match xml::root_name(&response.body).as_deref() {
            Some("Error") => Err(service_error(&response, op)),
            Some(root) if req.data_error_roots.contains(&root) => Ok(response),
            _ => {
                Err(response
                    .decode_error(op, "unexpected non-2xx response without an <Error> body"))
            }
        }
    }
}

/// Decodes an `<Error>` document into (code, message, request id, host id).
pub(crate) fn decode_error_document(
    body: &str,
) -> Result<(String, String, String, String), String> {
    xml::from_xml::<ErrorDoc>(body).map(|d| (d.code, d.message, d.request_id, d.host_id))
}

fn service_error(resp: &Response, operation: &'static str) -> Error {
    match xml::from_xml::<ErrorDoc>(&resp.body) {
        Ok(doc) => {
            let request_id = if doc.request_id.is_empty() {
                resp.request_id.clone().unwrap_or_default()
            } else {
                doc.request_id
            };
            Error::from(ServiceError::new(
                resp.status,
                ErrorCode::parse(doc.code.trim()),
                doc.message,
                request_id,
                doc.host_id,
            ))
        }
        Err(message) => resp.decode_error(operation, format!("bad <Error> document: {message}")),
    }
}

fn error_status(err: &Error) -> Option<u16> {
    match err {
        Error::Service(e) => Some(e.status),
        Error::Decode { status, .. } => Some(*status),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Client, Credentials, Endpoint};

    #[test]
    fn url_for_keeps_the_resource_byte_for_byte_or_refuses_it() {
        let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911").expect("url"))
            .credentials(Credentials::new("id", "secret"))
            .build()
            .expect("client");
        for resource in [
            "/queues/q/messages",
            "/queues/q/messages?numOfMessages=16&waitseconds=3",
            "/queues/q%2D1/messages?ReceiptHandle=1-ab%2Bcd",
            "/?accountmeta=true",
        ] {
            let url = client.url_for("Op", resource).expect(resource);
            assert_eq!(url.as_str(), format!("http://127.0.0.1:9911{resource}"));
        }
        for resource in ["queues/q", "/a b", "/a#b", "?x", "/a/../b", "/a/%2e%2E/b"] {
            assert!(client.url_for("Op", resource).is_err(), "{resource:?}");
        }
    }
}
