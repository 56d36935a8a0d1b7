//! Helpers shared by the wiremock tests of this binary: one client set-up, canned answers, and
//! the checks every request must pass.

use std::time::{Duration, UNIX_EPOCH};

use mns_client::signing::{authorization, content_md5, string_to_sign};
use mns_client::time::FixedTimeSource;
use mns_client::{Client, Credentials, Endpoint, Error, RetryConfig};
use wiremock::{MockServer, Request, ResponseTemplate};

pub(crate) const NOW_SECS: u64 = 1_704_164_645; // Tue, 02 Jan 2024 03:04:05 GMT
pub(crate) const NS: &str = "http://mns.aliyuncs.com/doc/v1/";
pub(crate) const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
pub(crate) const REQUEST_ID: &str = "61EC20AC324430C923273326";
pub(crate) const HOST: &str = "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com";

/// Two quick retries with a fixed jitter seed.
pub(crate) fn fast_retry() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        ..RetryConfig::default()
    }
    .with_jitter_seed(7)
}

/// A client builder for `server` with the test key, a fixed clock and [`fast_retry`].
pub(crate) fn builder(server: &MockServer) -> mns_client::ClientBuilder {
    Client::builder(Endpoint::from_url(&server.uri()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(FixedTimeSource(UNIX_EPOCH + Duration::from_secs(NOW_SECS)))
        .retry(fast_retry())
}

/// [`builder`], built.
pub(crate) fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

/// An XML answer with the service's request id header.
pub(crate) fn xml(status: u16, body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-mns-request-id", REQUEST_ID)
        .set_body_raw(body.into(), "text/xml;charset=utf-8")
}

/// A body-less answer with the service's request id header.
pub(crate) fn empty(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("x-mns-request-id", REQUEST_ID)
}

/// The service's `<Error>` document.
pub(crate) fn error_body(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Error xmlns="{NS}">
  <Code>{code}</Code>
  <Message>{message}</Message>
  <RequestId>{REQUEST_ID}</RequestId>
  <HostId>{HOST}</HostId>
</Error>"#
    )
}

/// Every request the mock server received.
pub(crate) async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// A request header as text.
pub(crate) fn hdr<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A request body as text.
pub(crate) fn body(r: &Request) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

/// Path plus `?` and the raw query, as signed.
pub(crate) fn target(r: &Request) -> String {
    match r.url.query() {
        Some(q) => format!("{}?{q}", r.url.path()),
        None => r.url.path().to_owned(),
    }
}

/// Recomputes the signature of a received request from its own headers, and checks the version
/// header and, with a body, its MD5 and content type.
pub(crate) fn assert_signed(r: &Request) {
    let headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(n, _)| n.as_str() != "authorization")
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let sts = string_to_sign(r.method.as_str(), &target(r), &headers);
    assert_eq!(
        hdr(r, "authorization"),
        Some(authorization("testid", "testsecret", &sts).as_str()),
        "signature of {sts:?}"
    );
    assert_eq!(hdr(r, "x-mns-version"), Some("2015-06-06"));
    if !r.body.is_empty() {
        assert_eq!(hdr(r, "content-md5"), Some(content_md5(&r.body).as_str()));
        assert_eq!(hdr(r, "content-type"), Some("text/xml;charset=UTF-8"));
    }
}

/// Whether the call was refused before sending, as invalid input.
pub(crate) fn invalid<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::InvalidInput(_)))
}

/// The service error inside `e` (panics on any other kind).
pub(crate) fn service(e: &Error) -> &mns_client::ServiceError {
    e.as_service()
        .unwrap_or_else(|| panic!("expected a service error, got {e:?}"))
}
