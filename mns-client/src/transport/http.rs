//! The HTTP layer under [`Client::execute`](crate::Client): one signed request out, status,
//! `x-mns-request-id` and the whole body back.
//!
//! Two senders, chosen once when the client is built ([`HttpSender::new`]):
//!
//! * **Direct** (`http://` endpoints that no proxy environment variable applies to): hyper's
//!   HTTP/1.1 client connections, made by hyper-util's `HttpConnector` and kept for reuse by a
//!   pool for the one endpoint (`pool.rs`), with the request line and `Host` built from parts
//!   the client prepared once, and nothing else between the client and hyper. This is the path
//!   of the emulator and of plain-HTTP MNS endpoints.
//! * **reqwest** (`https://` endpoints, and any endpoint a proxy variable applies to): TLS with
//!   rustls and the platform's verifier, HTTP/2 when the server offers it, and the
//!   `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY` variables, as before.
//!
//! Both send the same headers (the signed ones, then `Accept: */*` and `User-Agent`, then `Host`
//! and `Content-Length` from hyper), use the same connection settings (TCP_NODELAY, the connect
//! timeout, keep-alive probes after 15 s, an idle connection not reused after 50 s; the direct
//! sender closes such a connection when it next looks at its pool, reqwest's pool on a timer),
//! apply the attempt timeout to the whole exchange (sending, the head, the body) and map
//! failures the same way.
//! Neither follows redirects: MNS never redirects, and following one would replay a signed
//! request, body included, to wherever a `Location` points; a 3xx answer is a non-2xx answer like
//! any other (an [`Error::Decode`] unless it carries an `<Error>` document).
//!
//! Which proxy applies is decided by hyper-util's matcher, the one reqwest itself uses
//! (`Matcher::from_system`), read once at build time as reqwest reads it.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use reqwest::Method;
use reqwest::header::{ACCEPT, HOST, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use super::pool::Pool;
use crate::error::Error;

/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);
/// TCP keep-alive: first probe after this long idle, then every this long (reqwest's defaults,
/// kept for the direct sender).
const TCP_KEEPALIVE: Duration = Duration::from_secs(15);
/// TCP keep-alive probes before the connection is given up (reqwest's default).
const TCP_KEEPALIVE_RETRIES: u32 = 3;

/// The response header carrying the service's request id.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-mns-request-id");

/// Connection settings shared by both senders.
pub(crate) struct HttpSettings<'a> {
    /// Timeout for establishing a connection.
    pub(crate) connect_timeout: Duration,
    /// The `User-Agent` value (checked to be a valid header value by the caller).
    pub(crate) user_agent: &'a str,
}

/// What came back: status, `x-mns-request-id` and the whole body.
pub(crate) struct HttpAnswer {
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// One request to send.
pub(crate) struct HttpCall<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: &'a Method,
    /// The full URL (endpoint plus resource), as checked by `Client::url_for`.
    pub(crate) url: &'a str,
    /// The resource (path plus query) as it goes on the request line.
    pub(crate) resource: &'a str,
    /// The endpoint, parsed once (reqwest takes a parsed URL).
    pub(crate) base_url: &'a url::Url,
    pub(crate) headers: HeaderMap,
    /// The body; `None` sends none (and no `Content-Length` unless the headers carry one).
    pub(crate) body: Option<Bytes>,
    /// The attempt's timeout, for the whole exchange.
    pub(crate) timeout: Duration,
    /// The largest body read.
    pub(crate) max_response_bytes: usize,
}

/// The client's HTTP sender (see the [module docs](self)).
pub(crate) enum HttpSender {
    Direct(Box<Direct>),
    Reqwest(reqwest::Client),
}

/// The direct sender: the connection pool plus the default headers, prepared once.
pub(crate) struct Direct {
    pool: Pool,
    user_agent: HeaderValue,
    /// The `Host` value, as hyper-util would write it (the port only when not the default).
    host: HeaderValue,
}

impl HttpSender {
    /// The sender for `base_url` (an endpoint without path, query or fragment).
    pub(crate) fn new(base_url: &url::Url, settings: &HttpSettings<'_>) -> Result<Self, Error> {
        let user_agent = HeaderValue::from_str(settings.user_agent)
            .map_err(|_| Error::InvalidInput("user agent is not a valid header value".into()))?;
        if let Some(direct) = Direct::for_endpoint(base_url, settings, &user_agent) {
            return Ok(HttpSender::Direct(Box::new(direct)));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .tcp_nodelay(true)
            .user_agent(user_agent)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::InvalidInput(format!("could not build the HTTP client: {e}")))?;
        Ok(HttpSender::Reqwest(http))
    }

    /// Which sender this is.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            HttpSender::Direct(_) => "direct",
            HttpSender::Reqwest(_) => "reqwest",
        }
    }

    /// Sends `call` and reads the whole answer, within `call.timeout`.
    pub(crate) async fn send(&self, call: HttpCall<'_>) -> Result<HttpAnswer, Error> {
        let started = tokio::time::Instant::now();
        let operation = call.operation;
        let timed_out = || Error::Timeout {
            operation,
            elapsed: started.elapsed(),
        };
        match self {
            HttpSender::Direct(direct) => {
                let timeout = call.timeout;
                match tokio::time::timeout(timeout, direct.send(call)).await {
                    Ok(Ok(answer)) => Ok(answer),
                    Ok(Err(Failure::TooLarge(e))) => Err(e),
                    Ok(Err(Failure::Http(e))) if e.is_timeout() => Err(timed_out()),
                    Ok(Err(Failure::Http(e))) => Err(Error::Transport {
                        operation,
                        source: Box::new(e),
                    }),
                    Err(_) => Err(timed_out()),
                }
            }
            HttpSender::Reqwest(http) => {
                let map_err = |e: reqwest::Error| {
                    if e.is_timeout() {
                        timed_out()
                    } else {
                        Error::Transport {
                            operation,
                            source: Box::new(e),
                        }
                    }
                };
                let url = super::url_with_target(call.base_url, call.resource);
                let mut builder = http
                    .request(call.method.clone(), url)
                    .headers(call.headers)
                    .timeout(call.timeout);
                if let Some(body) = call.body {
                    builder = builder.body(body);
                }
                let resp = builder.send().await.map_err(map_err)?;
                let status = resp.status().as_u16();
                let request_id = request_id(resp.headers());
                let too_large = Error::ResponseTooLarge {
                    operation,
                    status,
                    limit: call.max_response_bytes,
                };
                if resp
                    .content_length()
                    .is_some_and(|n| n > call.max_response_bytes as u64)
                {
                    return Err(too_large);
                }
                let mut resp = resp;
                let mut body = Vec::new();
                while let Some(chunk) = resp.chunk().await.map_err(map_err)? {
                    if body.len() + chunk.len() > call.max_response_bytes {
                        return Err(too_large);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(HttpAnswer {
                    status,
                    request_id,
                    body,
                })
            }
        }
    }
}

/// Why the direct sender failed (timeouts are told apart by the caller).
enum Failure {
    /// The body passed the cap (an [`Error::ResponseTooLarge`]).
    TooLarge(Error),
    Http(HttpError),
}

impl Direct {
    /// The direct sender for `base_url`, or `None` where reqwest must send (`https://`, or a
    /// proxy variable applies).
    fn for_endpoint(
        base_url: &url::Url,
        settings: &HttpSettings<'_>,
        user_agent: &HeaderValue,
    ) -> Option<Direct> {
        if base_url.scheme() != "http" {
            return None;
        }
        let base: http::Uri = base_url.as_str().parse().ok()?;
        if Matcher::from_system().intercept(&base).is_some() {
            return None;
        }
        let host = match base.port_u16() {
            Some(port) if port != 80 => format!("{}:{port}", base.host()?),
            _ => base.host()?.to_owned(),
        };
        let host = HeaderValue::from_str(&host).ok()?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(settings.connect_timeout));
        connector.set_keepalive(Some(TCP_KEEPALIVE));
        connector.set_keepalive_interval(Some(TCP_KEEPALIVE));
        connector.set_keepalive_retries(Some(TCP_KEEPALIVE_RETRIES));
        Some(Direct {
            pool: Pool::new(connector, base, POOL_IDLE_TIMEOUT),
            user_agent: user_agent.clone(),
            host,
        })
    }

    async fn send(&self, call: HttpCall<'_>) -> Result<HttpAnswer, Failure> {
        let http_error = |kind, source| {
            Failure::Http(HttpError {
                kind,
                url: call.url.to_owned(),
                source,
            })
        };
        // `url_for` checked that the resource is kept byte for byte, so only the path and query
        // are new here.
        let target = call.resource;
        // The origin form (path and query) goes on the request line; the connection is the
        // endpoint's.
        let mut parts = http::uri::Parts::default();
        parts.path_and_query = Some(
            PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(target.as_bytes()))
                .map_err(|e| http_error(HttpErrorKind::Request, Box::new(e)))?,
        );
        let uri = http::Uri::from_parts(parts)
            .map_err(|e| http_error(HttpErrorKind::Request, Box::new(e)))?;
        let mut headers = call.headers;
        // reqwest's default headers, in its order.
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        headers.entry(USER_AGENT).or_insert(self.user_agent.clone());
        // Prepared once (hyper-util's client formatted it on every request).
        headers.entry(HOST).or_insert(self.host.clone());
        let mut request = http::Request::new(Full::new(call.body.unwrap_or_default()));
        *request.method_mut() = call.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;

        let (response, connection) = self
            .pool
            .send(request)
            .await
            .map_err(|e| http_error(HttpErrorKind::Request, e))?;
        let status = response.status().as_u16();
        let request_id = request_id(response.headers());
        let limit = call.max_response_bytes;
        let too_large = || {
            Failure::TooLarge(Error::ResponseTooLarge {
                operation: call.operation,
                status,
                limit,
            })
        };
        let mut body = response.into_body();
        let hint = http_body::Body::size_hint(&body);
        if hint.exact().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut out = Vec::with_capacity(hint.exact().map_or(0, |n| n as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| http_error(HttpErrorKind::Body, Box::new(e)))?;
            if let Ok(chunk) = frame.into_data() {
                if out.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                out.extend_from_slice(&chunk);
            }
        }
        self.pool.give_back(connection);
        Ok(HttpAnswer {
            status,
            request_id,
            body: out,
        })
    }
}

/// `x-mns-request-id`, when present and text.
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// What failed in the direct sender.
#[derive(Debug, Clone, Copy)]
enum HttpErrorKind {
    /// Building or sending the request, or reading the response head.
    Request,
    /// Reading the response body.
    Body,
}

/// A failure of the direct sender: the `source` of [`Error::Transport`], worded as reqwest words
/// its errors (so a log reads the same whichever sender ran).
struct HttpError {
    kind: HttpErrorKind,
    url: String,
    source: Box<dyn StdError + Send + Sync>,
}

impl HttpError {
    /// Whether a timeout (the connect timeout) caused it, found as reqwest finds it: an
    /// `io::ErrorKind::TimedOut` anywhere in the chain.
    fn is_timeout(&self) -> bool {
        let mut source: Option<&(dyn StdError + 'static)> = Some(&*self.source);
        while let Some(err) = source {
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                return true;
            }
            source = err.source();
        }
        false
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            HttpErrorKind::Request => f.write_str("error sending request")?,
            HttpErrorKind::Body => f.write_str("error decoding response body")?,
        }
        write!(f, " for url ({})", self.url)
    }
}

impl StdError for HttpError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(url: &str) -> HttpSender {
        let settings = HttpSettings {
            connect_timeout: Duration::from_secs(1),
            user_agent: "test",
        };
        HttpSender::new(&url::Url::parse(url).expect("url"), &settings).expect("sender")
    }

    #[tokio::test]
    async fn plain_http_goes_direct_and_https_through_reqwest() {
        // Assumes no proxy variable names 127.0.0.1 in the test environment (NO_PROXY aside,
        // proxies are never set for this crate's tests).
        if Matcher::from_system()
            .intercept(&"http://127.0.0.1:9911".parse().expect("uri"))
            .is_none()
        {
            assert_eq!(sender("http://127.0.0.1:9911").kind(), "direct");
        }
        assert_eq!(sender("https://127.0.0.1:9911").kind(), "reqwest");
        assert_eq!(
            sender("https://123.mns.cn-hangzhou.aliyuncs.com").kind(),
            "reqwest"
        );
    }
}
