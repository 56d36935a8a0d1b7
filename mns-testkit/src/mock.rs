//! [`MockMns`]: a wiremock server that answers like MNS, for testing the error paths of code
//! that uses `mns-client` (throttling, outages, missing queues, malformed answers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mns_client::signing::md5_hex_upper;
use mns_client::{Client, ClientBuilder, Credentials, Endpoint, RetryConfig};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NS: &str = "http://mns.aliyuncs.com/doc/v1/";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn request_id() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0x5AD8_46B6);
    format!("{:024X}", SEQ.fetch_add(1, Ordering::Relaxed))
}

/// A response the mock gives: status, MNS headers and an XML body.
///
/// ```
/// use mns_testkit::MockResponse;
/// let r = MockResponse::error(404, "QueueNotExist", "The queue name you provided is not exist.");
/// assert_eq!(r.status(), 404);
/// assert!(r.body().contains("<Code>QueueNotExist</Code>"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockResponse {
    status: u16,
    body: String,
    delay: Duration,
}

impl MockResponse {
    /// An XML document with `status`.
    pub fn xml(status: u16, body: impl Into<String>) -> Self {
        MockResponse {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// An empty answer with `status` (e.g. 204).
    pub fn empty(status: u16) -> Self {
        Self::xml(status, "")
    }

    /// An MNS `<Error>` document with all four fields (`Code`, `Message`, `RequestId`, `HostId`).
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::xml(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error xmlns=\"{NS}\">\
                 <Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId>\
                 <HostId>http://1234567890123456.mns.cn-hangzhou.aliyuncs.com</HostId></Error>",
                escape(code),
                escape(message),
                request_id()
            ),
        )
    }

    /// 404 `QueueNotExist`.
    pub fn queue_not_exist() -> Self {
        Self::error(
            404,
            "QueueNotExist",
            "The queue name you provided is not exist.",
        )
    }

    /// 404 `MessageNotExist` (an empty receive, or an expired receipt handle).
    pub fn message_not_exist() -> Self {
        Self::error(404, "MessageNotExist", "Message not exist.")
    }

    /// 400 `ReceiptHandleError`.
    pub fn receipt_handle_error() -> Self {
        Self::error(
            400,
            "ReceiptHandleError",
            "The receipt handle you provide is not valid.",
        )
    }

    /// 429 `TooManyRequests` (throttling; retryable).
    pub fn throttled() -> Self {
        Self::error(
            429,
            "TooManyRequests",
            "The request is throttled, please try again later.",
        )
    }

    /// 500 `InternalError` "Interal error." (sic; retryable).
    pub fn internal_error() -> Self {
        Self::error(500, "InternalError", "Interal error.")
    }

    /// 403 `AccessDenied`.
    pub fn access_denied() -> Self {
        Self::error(
            403,
            "AccessDenied",
            "The OwnerId that your Access Key Id associated to is forbidden for this operation.",
        )
    }

    /// 201 SendMessage success for `body` (the MD5 matches, so the client accepts it).
    pub fn sent(message_id: &str, body: &str) -> Self {
        Self::xml(
            201,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"{NS}\">\
                 <MessageId>{}</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>",
                escape(message_id),
                md5_hex_upper(body.as_bytes())
            ),
        )
    }

    /// 200 ReceiveMessage success: one message with `body`, `receipt_handle`, dequeue count 1,
    /// priority 8, times around 2024-01-02.
    pub fn received(message_id: &str, receipt_handle: &str, body: &str) -> Self {
        Self::xml(200, message_xml(message_id, receipt_handle, body, false))
    }

    /// 200 BatchReceiveMessage success with `(message id, receipt handle, body)` entries.
    pub fn received_batch(messages: &[(&str, &str, &str)]) -> Self {
        let inner: String = messages
            .iter()
            .map(|(id, h, b)| message_xml(id, h, b, true))
            .collect();
        Self::xml(
            200,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Messages xmlns=\"{NS}\">{inner}</Messages>"
            ),
        )
    }

    /// Answers only after `delay` (to exercise client timeouts).
    pub fn delayed_by(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &str {
        &self.body
    }

    fn template(&self) -> ResponseTemplate {
        let id = self
            .body
            .split("<RequestId>")
            .nth(1)
            .and_then(|s| s.split("</RequestId>").next())
            .map(str::to_owned)
            .unwrap_or_else(request_id);
        let mut t = ResponseTemplate::new(self.status)
            .insert_header("x-mns-request-id", id.as_str())
            .insert_header("x-mns-version", "2015-06-06")
            .insert_header("Server", "AliyunMQS");
        if !self.body.is_empty() {
            t = t.set_body_raw(self.body.clone().into_bytes(), "text/xml;charset=utf-8");
        }
        if !self.delay.is_zero() {
            t = t.set_delay(self.delay);
        }
        t
    }
}

fn message_xml(id: &str, handle: &str, body: &str, nested: bool) -> String {
    let ns = if nested {
        String::new()
    } else {
        format!(" xmlns=\"{NS}\"")
    };
    let decl = if nested {
        ""
    } else {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    };
    format!(
        "{decl}<Message{ns}><MessageId>{}</MessageId><ReceiptHandle>{}</ReceiptHandle>\
         <MessageBodyMD5>{}</MessageBodyMD5><MessageBody>{}</MessageBody>\
         <EnqueueTime>1704164645000</EnqueueTime><NextVisibleTime>1704164675000</NextVisibleTime>\
         <FirstDequeueTime>1704164645000</FirstDequeueTime><DequeueCount>1</DequeueCount>\
         <Priority>8</Priority></Message>",
        escape(id),
        escape(handle),
        md5_hex_upper(body.as_bytes()),
        escape(body)
    )
}

/// A mock MNS endpoint on a local port. Mount answers for method + path (exact, or a regex),
/// optionally for a limited number of calls; unmatched requests get wiremock's 404 (no MNS body).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mns_client::ErrorCode;
/// use mns_testkit::{MockMns, MockResponse};
///
/// let mock = MockMns::start().await;
/// // The first send is throttled, the retry succeeds.
/// mock.respond_times("POST", "/queues/orders/messages", MockResponse::throttled(), 1).await;
/// mock.respond("POST", "/queues/orders/messages", MockResponse::sent("ID1", "hi")).await;
/// let client = mock.client_with_retries(2);
/// let receipt = client.queue("orders").unwrap().send_message("hi").await.unwrap();
/// assert_eq!(receipt.message_id, "ID1");
/// assert_eq!(mock.requests().await.len(), 2);
///
/// mock.respond("GET", "/queues/gone", MockResponse::queue_not_exist()).await;
/// let err = mock.client().get_queue_attributes("gone").await.unwrap_err();
/// assert_eq!(err.code(), Some(&ErrorCode::QueueNotExist));
/// # }
/// ```
#[derive(Debug)]
pub struct MockMns {
    server: MockServer,
}

impl MockMns {
    /// Starts a mock server on a free local port.
    pub async fn start() -> MockMns {
        MockMns {
            server: MockServer::start().await,
        }
    }

    /// The base URL (`http://127.0.0.1:port`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The underlying wiremock server, for custom matchers.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A client builder for the mock with test credentials and retries off.
    pub fn client_builder(&self) -> ClientBuilder {
        let endpoint = Endpoint::from_url(&self.server.uri())
            .unwrap_or_else(|e| unreachable!("wiremock's URI is a valid endpoint: {e}"));
        Client::builder(endpoint)
            .credentials(Credentials::new("testid", "testsecret"))
            .retry(RetryConfig {
                max_retries: 0,
                ..RetryConfig::default()
            })
    }

    /// A client for the mock with test credentials and retries off.
    pub fn client(&self) -> Client {
        self.client_with_retries(0)
    }

    /// A client for the mock that retries up to `max_retries` times with tiny backoffs.
    pub fn client_with_retries(&self, max_retries: u32) -> Client {
        self.client_builder()
            .retry(RetryConfig {
                max_retries,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(5),
                ..RetryConfig::default()
            })
            .build()
            .unwrap_or_else(|e| unreachable!("a client with static credentials builds: {e}"))
    }

    /// Answers every `method` request to exactly `path` with `response`. Later mounts take
    /// precedence only after earlier limited ones are used up (wiremock matches in mount order).
    pub async fn respond(&self, method_name: &str, exact_path: &str, response: MockResponse) {
        Mock::given(method(method_name))
            .and(path(exact_path))
            .respond_with(response.template())
            .mount(&self.server)
            .await;
    }

    /// Like [`respond`](Self::respond), for the first `times` matching requests only.
    pub async fn respond_times(
        &self,
        method_name: &str,
        exact_path: &str,
        response: MockResponse,
        times: u64,
    ) {
        Mock::given(method(method_name))
            .and(path(exact_path))
            .respond_with(response.template())
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Answers every `method` request whose path matches the regex `path_pattern`.
    pub async fn respond_matching(
        &self,
        method_name: &str,
        path_pattern: &str,
        response: MockResponse,
    ) {
        Mock::given(method(method_name))
            .and(path_regex(path_pattern))
            .respond_with(response.template())
            .mount(&self.server)
            .await;
    }

    /// Every request received so far.
    pub async fn requests(&self) -> Vec<wiremock::Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}
