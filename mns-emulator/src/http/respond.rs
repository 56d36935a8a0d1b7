//! Writing a data-plane answer as a `hyper` response: the service's common headers, in the order
//! and spelling the service uses, and a body type that is either a plain document or whatever an
//! axum route answered.
//!
//! The data plane is served without axum's router on its path (`crate::server`), so what axum
//! adds to a routed answer is done here, identically: `Content-Length` from the body's exact size
//! after the other headers, and no body for `HEAD`.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::Full;

use super::Shared;
use crate::auth::MNS_VERSION;

/// The body of every response the server writes: a whole document (the data plane) or an axum
/// body (the admin API, credential services, control plane, injected connection drops).
#[derive(Debug)]
pub(crate) enum ReplyBody {
    /// A complete document (empty for no body).
    Full(Full<Bytes>),
    /// An answer built by axum.
    Axum(Body),
}

impl ReplyBody {
    /// A body of exactly these bytes (empty: no body).
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        ReplyBody::Full(Full::new(bytes.into()))
    }

    /// No body.
    pub(crate) fn empty() -> Self {
        ReplyBody::Full(Full::new(Bytes::new()))
    }
}

impl From<Body> for ReplyBody {
    fn from(body: Body) -> Self {
        ReplyBody::Axum(body)
    }
}

impl http_body::Body for ReplyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.get_mut() {
            ReplyBody::Full(full) => match Pin::new(full).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            ReplyBody::Axum(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Full(full) => full.is_end_stream(),
            ReplyBody::Axum(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Full(full) => full.size_hint(),
            ReplyBody::Axum(body) => body.size_hint(),
        }
    }
}

/// `x-mns-request-id`, parsed once (a `&str` name is parsed on every insert).
static X_MNS_REQUEST_ID: HeaderName = HeaderName::from_static("x-mns-request-id");
/// `x-mns-version`, parsed once.
static X_MNS_VERSION: HeaderName = HeaderName::from_static("x-mns-version");

/// The answer to one data-plane request: `status`, the common headers and `Location` when given,
/// in the service's spelling (`super::header_case`); [`finish_like_axum`] adds `Content-Length`.
pub(super) fn answer(
    shared: &Shared,
    request_id: &str,
    status: StatusCode,
    body: Option<String>,
    location: Option<String>,
) -> Response<ReplyBody> {
    let body = match body {
        Some(b) => ReplyBody::full(b),
        None => ReplyBody::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    // Six common headers, `Location` and `Content-Length`: one allocation, no regrowth.
    let mut h = HeaderMap::with_capacity(8);
    set_common_headers(&mut h, shared, request_id);
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, loc);
    }
    *response.headers_mut() = h;
    super::header_case::apply(&mut response);
    response
}

/// What axum's router does to every answer of a route (axum 0.8 `routing/route.rs`), so that an
/// answer is the same byte for byte whether or not the router was on its path: `Content-Length`
/// from an exact body size when the answer has none, and an empty body for `HEAD` (hyper sends
/// none for `HEAD` anyway); a successful answer to `CONNECT` (none is: no route takes it) gets
/// neither, and loses a body it should not have.
pub(super) fn finish_like_axum(method: &Method, response: &mut Response<ReplyBody>) {
    use http_body::Body as _;
    if method == Method::CONNECT && response.status().is_success() {
        if response.headers().contains_key(header::CONTENT_LENGTH)
            || response.headers().contains_key(header::TRANSFER_ENCODING)
            || response.body().size_hint().lower() != 0
        {
            *response.body_mut() = ReplyBody::empty();
        }
        return;
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_LENGTH)
        && let Some(size) = response.body().size_hint().exact()
    {
        let value = if size == 0 {
            HeaderValue::from_static("0")
        } else {
            decimal(size)
        };
        response.headers_mut().insert(header::CONTENT_LENGTH, value);
    }
    if method == Method::HEAD {
        *response.body_mut() = ReplyBody::empty();
    }
}

/// `n` in decimal as a header value: the same bytes as `HeaderValue::from(n)`, without its
/// formatter and growable buffer (a visible share of a small answer's cost).
fn decimal(mut n: u64) -> HeaderValue {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    HeaderValue::from_bytes(&digits[at..]).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

fn set_common_headers(h: &mut HeaderMap, shared: &Shared, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(X_MNS_REQUEST_ID.clone(), v);
    }
    h.insert(X_MNS_VERSION.clone(), HeaderValue::from_static(MNS_VERSION));
    h.insert(header::SERVER, HeaderValue::from_static("AliyunMQS"));
    // The service sends this content type even on 204 responses (reference §2.2).
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=utf-8"),
    );
    h.insert(header::DATE, http_date(shared.clock.now()));
}

/// The `Date` header value for `now`, formatted once per second per thread (it changes only
/// once a second, and formatting it is a visible share of a small request's cost). A pure
/// function of the second, so any clock (a `ManualClock` too) gets the right value.
fn http_date(now: std::time::SystemTime) -> HeaderValue {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
    }
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with_borrow_mut(|cache| match cache {
        Some((s, v)) if *s == secs => v.clone(),
        _ => {
            let v = HeaderValue::from_str(&httpdate::fmt_http_date(now))
                .unwrap_or_else(|_| HeaderValue::from_static(""));
            *cache = Some((secs, v.clone()));
            v
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_is_the_header_value_of_the_number() {
        for n in [1, 9, 10, 99, 100, 4096, 123_456_789, u64::MAX] {
            assert_eq!(super::decimal(n), axum::http::HeaderValue::from(n), "{n}");
        }
    }
}
