//! Sending one control-plane action: parameters (query and form body), `ACS3-HMAC-SHA256`
//! signing, retries, timeouts, tracing, and the JSON envelope of answers and errors (reference
//! mns-openapi-fifo-dlq §2.1–2.6).

use std::time::SystemTime;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tracing::Instrument as _;

use super::{API_VERSION, ControlClient, signing};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode, ServiceError};
use crate::time::TimeSource as _;

/// The parameters of one action: query-string ones (signed in the canonical query) and form-body
/// ones (signed through the body hash). Values are plain text; encoding happens when sending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlParams {
    /// Query-string parameters, in insertion order.
    pub query: Vec<(String, String)>,
    /// Form-body parameters (`application/x-www-form-urlencoded`); empty means no body.
    pub form: Vec<(String, String)>,
}

impl ControlParams {
    /// Adds a query parameter.
    pub fn query(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<T: ToString>(&mut self, name: &str, value: Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.query(name, v.to_string());
        }
        self
    }

    /// Adds a form-body parameter.
    pub fn form(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.form.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a form-body parameter when `value` is `Some`.
    pub fn form_opt<T: ToString>(&mut self, name: &str, value: Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.form(name, v.to_string());
        }
        self
    }

    /// Adds `Tag.N.Key` / `Tag.N.Value` (1-based) to the query.
    pub fn tags(&mut self, tags: &[super::Tag]) -> &mut Self {
        for (i, t) in tags.iter().enumerate() {
            self.query(&format!("Tag.{}.Key", i + 1), t.key.clone());
            self.query(&format!("Tag.{}.Value", i + 1), t.value.clone());
        }
        self
    }
}

/// A signed control-plane request as it would go on the wire (for inspection and tests).
/// `Debug` redacts `authorization` and `x-acs-security-token`.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// The full URL, query included.
    pub url: String,
    /// Every header the client sets, `authorization` last.
    pub headers: Vec<(String, String)>,
    /// The form body (empty when there is none).
    pub body: String,
}

impl ControlRequest {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::common::header_value(&self.headers, name)
    }
}

impl std::fmt::Debug for ControlRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers = crate::common::redacted_headers(
            &self.headers,
            &["authorization", "x-acs-security-token"],
        );
        f.debug_struct("ControlRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

fn form_encode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl ControlClient {
    /// Signs `action` with `params` for `credentials` at `now`, with the given nonce, without
    /// sending it. Pure: the same inputs give the same request.
    pub fn prepare(
        &self,
        action: &str,
        params: &ControlParams,
        credentials: &Credentials,
        now: SystemTime,
        nonce: &str,
    ) -> Result<ControlRequest, Error> {
        let base = &self.inner.base_url;
        let mut url = base.clone();
        if !params.query.is_empty() {
            url.set_query(Some(&form_encode(&params.query)));
        }
        let host = &base[url::Position::BeforeHost..url::Position::AfterPort];
        let body = form_encode(&params.form);
        let payload = signing::hashed_payload(body.as_bytes());
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host.to_owned()),
            ("x-acs-action".into(), action.to_owned()),
            ("x-acs-version".into(), API_VERSION.to_owned()),
            ("x-acs-date".into(), signing::acs_date(now)),
            ("x-acs-signature-nonce".into(), nonce.to_owned()),
            ("x-acs-content-sha256".into(), payload.clone()),
            ("accept".into(), "application/json".into()),
            ("user-agent".into(), self.inner.user_agent.clone()),
        ];
        if !params.form.is_empty() {
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        if let Some(token) = credentials.security_token() {
            headers.push((
                "x-acs-accesskey-id".into(),
                credentials.access_key_id().to_owned(),
            ));
            headers.push(("x-acs-security-token".into(), token.to_owned()));
        }
        let query =
            signing::canonical_query(params.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let (canonical_headers, signed) =
            signing::canonical_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let request =
            signing::canonical_request("POST", "/", &query, &canonical_headers, &signed, &payload);
        let signature = signing::signature(
            credentials.access_key_secret(),
            &signing::string_to_sign(&request),
        );
        headers.push((
            "authorization".into(),
            signing::authorization(credentials.access_key_id(), &signed, &signature),
        ));
        Ok(ControlRequest {
            method: "POST",
            url: url.into(),
            headers,
            body,
        })
    }

    /// Runs `action` with signing, retries, timeouts and tracing; returns the envelope's `Data`
    /// (`Value::Null` when absent).
    pub(crate) async fn call(
        &self,
        action: &'static str,
        params: ControlParams,
    ) -> Result<Value, Error> {
        let span = tracing::debug_span!(
            "mns_control_request",
            operation = action,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.call_inner(action, params).instrument(span).await
    }

    async fn call_inner(
        &self,
        action: &'static str,
        params: ControlParams,
    ) -> Result<Value, Error> {
        let retry = &self.inner.retry;
        let start = tokio::time::Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            match self.attempt(action, &params).await {
                Ok(data) => return Ok(data),
                Err(err) => {
                    if let Some(id) = err.request_id() {
                        span.record("request_id", id);
                    }
                    // The gateway's throttling codes (`Throttling`, `Throttling.User`, ...) are
                    // 400s; they are worth another try like the data plane's 429s.
                    let throttled = err
                        .as_service()
                        .is_some_and(|s| s.code.as_str().starts_with("Throttling"));
                    if attempt > retry.max_retries || !(err.is_retryable() || throttled) {
                        tracing::debug!(error = %err, attempt, "control request failed");
                        return Err(err);
                    }
                    let delay = retry.delay(attempt, self.inner.jitter.sample());
                    if start.elapsed() + delay > retry.max_elapsed {
                        return Err(err);
                    }
                    tracing::warn!(error = %err, attempt, "control request failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn attempt(&self, action: &'static str, params: &ControlParams) -> Result<Value, Error> {
        let credentials = self.inner.credentials.provide_credentials().await?;
        let nonce = format!("{:032x}", rand::random::<u128>());
        let req = self.prepare(
            action,
            params,
            &credentials,
            self.inner.time_source.now(),
            &nonce,
        )?;
        let mut map = HeaderMap::with_capacity(req.headers.len());
        for (name, value) in &req.headers {
            if name == "host" {
                continue; // reqwest writes it from the URL: the same value.
            }
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::InvalidInput(format!("{action}: bad header name")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::InvalidInput(format!("{action}: header {name} cannot be sent"))
            })?;
            map.insert(name, value);
        }
        let started = tokio::time::Instant::now();
        let map_err = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::Timeout {
                    operation: action,
                    elapsed: started.elapsed(),
                }
            } else {
                Error::Transport {
                    operation: action,
                    source: Box::new(e),
                }
            }
        };
        let mut resp = self
            .inner
            .http
            .post(&req.url)
            .headers(map)
            .timeout(self.inner.request_timeout)
            .body(req.body)
            .send()
            .await
            .map_err(map_err)?;
        let status = resp.status().as_u16();
        tracing::Span::current().record("status", status);
        let limit = self.inner.max_response_bytes;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(map_err)? {
            if bytes.len() + chunk.len() > limit {
                return Err(Error::ResponseTooLarge {
                    operation: action,
                    status,
                    limit,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        decode_envelope(action, status, &bytes)
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Decodes an answer: a 2xx envelope gives its `Data`; a 4xx/5xx JSON error (or a 2xx whose
/// `Success` is `false`, which Terraform also treats as an error) gives [`Error::Service`].
pub(crate) fn decode_envelope(
    operation: &'static str,
    status: u16,
    bytes: &[u8],
) -> Result<Value, Error> {
    let decode_error = |message: String| Error::Decode {
        operation,
        status,
        request_id: None,
        message,
    };
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| decode_error(format!("the answer is not JSON: {e}")))?;
    if !doc.is_object() {
        return Err(decode_error("the answer is not a JSON object".into()));
    }
    let failed = status >= 400 || doc.get("Success") == Some(&Value::Bool(false));
    if failed {
        let code = text(&doc, "Code");
        return Err(Error::from(ServiceError::new(
            status,
            ErrorCode::parse(code.trim()),
            text(&doc, "Message"),
            text(&doc, "RequestId"),
            text(&doc, "HostId"),
        )));
    }
    Ok(doc.get("Data").cloned().unwrap_or(Value::Null))
}
