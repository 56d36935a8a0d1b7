//! Queues: the [`Queue`] handle for message operations, admin operations on
//! [`Client`], and their model types.
//!
//! # Empty receives
//!
//! MNS answers an empty receive or peek (including a long poll that timed out) with
//! `404 MessageNotExist`. The client turns that into `Ok(None)` or an empty `Vec`; it is never an
//! error.
//!
//! # Cancellation
//!
//! Every future here can be dropped at any point. Dropping a receive while it long-polls closes
//! the connection; if the service had already handed a message out, that message simply becomes
//! visible again when its visibility timeout ends (at-least-once delivery), and nothing is
//! left half-done in the client.

mod admin;
pub(crate) mod model;
pub(crate) mod wire;

use std::time::{Duration, SystemTime};

use reqwest::Method;

pub use crate::common::{CreateOutcome, ListOptions};
pub use admin::ListQueuesStream;
pub use model::*;

use crate::client::Client;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode};
use crate::transport::{Request, Response, SignedRequest};
use wire::{MessageError, MessageXml, MessagesXml};

/// A handle on one queue, for message operations. Cheap to clone; obtained from
/// [`Client::queue`].
///
/// The handle carries the body codec ([`BodyCodec::Raw`] unless changed with
/// [`with_codec`](Self::with_codec)).
///
/// ```no_run
/// # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
/// use std::time::Duration;
/// let queue = client.queue("orders")?;
/// queue.send_message("hello").await?;
/// if let Some(msg) = queue.receive_message(Some(Duration::from_secs(10))).await? {
///     println!("got {:?}", msg.body_str());
///     queue.delete_message(&msg.receipt_handle).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Queue {
    client: Client,
    name: QueueName,
    codec: BodyCodec,
    /// `/queues/{name}/messages`.
    messages_path: String,
}

impl Queue {
    pub(crate) fn new(client: Client, name: QueueName) -> Self {
        let messages_path = format!("/queues/{}/messages", name.as_str());
        Queue {
            client,
            name,
            codec: BodyCodec::Raw,
            messages_path,
        }
    }

    /// Returns the handle with another body codec.
    pub fn with_codec(mut self, codec: BodyCodec) -> Self {
        self.codec = codec;
        self
    }

    /// The queue's name.
    pub fn name(&self) -> &QueueName {
        &self.name
    }

    /// The body codec.
    pub fn codec(&self) -> BodyCodec {
        self.codec
    }

    /// The client this handle uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    // -----------------------------------------------------------------------------------------
    // Admin shortcuts

    /// CreateQueue for this queue; see [`Client::create_queue`].
    pub async fn create(&self, attributes: &QueueOptions) -> Result<CreateOutcome, Error> {
        self.client
            .create_queue(self.name.as_str(), attributes)
            .await
    }

    /// GetQueueAttributes for this queue; see [`Client::get_queue_attributes`].
    pub async fn get_attributes(&self) -> Result<QueueAttributes, Error> {
        self.client.get_queue_attributes(self.name.as_str()).await
    }

    /// SetQueueAttributes for this queue; see [`Client::set_queue_attributes`].
    pub async fn set_attributes(&self, attributes: &QueueOptions) -> Result<(), Error> {
        self.client
            .set_queue_attributes(self.name.as_str(), attributes)
            .await
    }

    /// DeleteQueue for this queue; see [`Client::delete_queue`].
    pub async fn delete(&self) -> Result<(), Error> {
        self.client.delete_queue(self.name.as_str()).await
    }

    // -----------------------------------------------------------------------------------------
    // SendMessage

    /// SendMessage with default options.
    ///
    /// A retried send whose first attempt reached the service can enqueue the message twice; see
    /// [`retry`](crate::retry).
    pub async fn send_message(&self, body: impl AsRef<[u8]>) -> Result<SendReceipt, Error> {
        self.send_message_opts(body, SendOptions::default()).await
    }

    /// SendMessage with options (delay, priority, user properties).
    ///
    /// With the `opentelemetry` feature the send runs in a producer span whose context is
    /// injected into the trace-context system properties (see [`otel`](crate::otel)).
    pub async fn send_message_opts(
        &self,
        body: impl AsRef<[u8]>,
        mut options: SendOptions,
    ) -> Result<SendReceipt, Error> {
        let span = crate::otel::ProducerSpan::start(self.name.as_str(), "send", 1);
        span.inject(&mut options.system_properties);
        let result = self.send_once(body.as_ref(), &options).await;
        span.end(result.as_ref().map(|r| Some(r.message_id.as_str())));
        result
    }

    async fn send_once(&self, body: &[u8], options: &SendOptions) -> Result<SendReceipt, Error> {
        let (req, text) = self.send_request(body, options)?;
        let resp = self.client.execute(req).await?;
        resp.expect_status("SendMessage", &[201, 200])?;
        let m = resp.decode_with("SendMessage", MessageXml::decode)?;
        match m.into_send_result(0, &text) {
            Ok(Ok(receipt)) => Ok(receipt),
            Ok(Err(entry)) => Err(resp.decode_error(
                "SendMessage",
                format!("success status with an error entry: {}", entry.code),
            )),
            Err(e) => Err(message_error(&resp, "SendMessage", e)),
        }
    }

    /// Builds and signs the SendMessage request that [`send_message_opts`](Self::send_message_opts)
    /// would send, with the given credentials and time, without sending it.
    ///
    /// ```
    /// use mns_client::{Client, Credentials, Endpoint, SendOptions};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let creds = Credentials::new("testid", "testsecret");
    /// let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
    ///     .credentials(creds.clone())
    ///     .build()?;
    /// let now = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    /// let req = client.queue("testqueue")?
    ///     .prepare_send_message("hello world", &SendOptions::default(), &creds, now)?;
    /// assert_eq!(req.url, "http://127.0.0.1:9911/queues/testqueue/messages");
    /// assert_eq!(req.header("date"), Some("Tue, 02 Jan 2024 03:04:05 GMT"));
    /// assert!(req.header("authorization").unwrap().starts_with("MNS testid:"));
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn prepare_send_message(
        &self,
        body: impl AsRef<[u8]>,
        options: &SendOptions,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        let (req, _) = self.send_request(body.as_ref(), options)?;
        self.client.prepare(&req, credentials, now)
    }

    fn send_request(&self, body: &[u8], options: &SendOptions) -> Result<(Request, String), Error> {
        options.validate()?;
        let text = self.encode_body(body)?;
        let xml = wire::send_body(&text, options);
        let req = Request::new("SendMessage", Method::POST, self.messages_path.clone()).body(xml);
        Ok((req, text))
    }

    fn encode_body(&self, body: &[u8]) -> Result<String, Error> {
        if body.is_empty() {
            return Err(model::invalid("message body must not be empty"));
        }
        let text = self.codec.encode(body)?;
        if text.len() > limits::MESSAGE_BODY_MAX_BYTES {
            return Err(model::invalid(format!(
                "message body is {} bytes as transmitted; the limit is {}",
                text.len(),
                limits::MESSAGE_BODY_MAX_BYTES
            )));
        }
        Ok(text.into_owned())
    }

    // -----------------------------------------------------------------------------------------
    // BatchSendMessage

    /// BatchSendMessage: 1–16 entries whose transmitted bodies total at most 64 KB (checked
    /// before sending).
    ///
    /// Returns one result per entry, in request order. A partial failure is data: succeeded
    /// entries are `Ok(SendReceipt)`, failed ones `Err(BatchEntryError)` with the service's code.
    /// Errors for the request as a whole (queue missing, invalid input, ...) are `Err`.
    pub async fn batch_send_message(
        &self,
        entries: impl IntoIterator<Item = BatchSendEntry>,
    ) -> Result<Vec<Result<SendReceipt, BatchEntryError>>, Error> {
        let mut entries: Vec<BatchSendEntry> = entries.into_iter().collect();
        let span = crate::otel::ProducerSpan::start(self.name.as_str(), "send", entries.len());
        for e in &mut entries {
            span.inject(&mut e.options.system_properties);
        }
        let result = self.batch_send_once(&entries).await;
        span.end(result.as_ref().map(|_| None));
        result
    }

    async fn batch_send_once(
        &self,
        entries: &[BatchSendEntry],
    ) -> Result<Vec<Result<SendReceipt, BatchEntryError>>, Error> {
        const OP: &str = "BatchSendMessage";
        model::batch_count(OP, entries.len())?;
        let mut encoded = Vec::with_capacity(entries.len());
        let mut total = 0usize;
        for (i, e) in entries.iter().enumerate() {
            e.options.validate()?;
            let text = self
                .encode_body(&e.body)
                .map_err(|err| model::invalid(format!("entry {i}: {err}")))?;
            total += text.len();
            encoded.push((text, &e.options));
        }
        if total > limits::BATCH_BODY_MAX_BYTES {
            return Err(model::invalid(format!(
                "batch bodies total {total} bytes as transmitted; the limit is {}",
                limits::BATCH_BODY_MAX_BYTES
            )));
        }
        let xml = wire::batch_send_body(&encoded);
        let req = Request::new(OP, Method::POST, self.messages_path.clone())
            .body(xml)
            .data_error_roots(&["Messages"]);
        let resp = self.client.execute(req).await?;
        let doc = resp.decode_with(OP, MessagesXml::decode)?;
        if doc.messages.len() != encoded.len() {
            return Err(resp.decode_error(
                OP,
                format!(
                    "{} entries sent, {} results received",
                    encoded.len(),
                    doc.messages.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(encoded.len());
        for (i, (m, (text, _))) in doc.messages.into_iter().zip(&encoded).enumerate() {
            out.push(
                m.into_send_result(i, text)
                    .map_err(|e| message_error(&resp, OP, e))?,
            );
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------
    // ReceiveMessage / BatchReceiveMessage

    /// ReceiveMessage, long-polling up to `wait` (0–30 whole seconds; `None` uses the queue's
    /// `PollingWaitSeconds`). `Ok(None)` when no message arrived.
    ///
    /// The attempt's HTTP timeout is the wait plus the client's long-poll margin, so a long poll
    /// never times out early. The future can be dropped safely (see the [module docs](self)).
    pub async fn receive_message(
        &self,
        wait: Option<Duration>,
    ) -> Result<Option<ReceivedMessage>, Error> {
        const OP: &str = "ReceiveMessage";
        let mut resource = self.messages_path.clone();
        let wait = self.push_wait(&mut resource, wait, '?')?;
        let req =
            Request::new(OP, Method::GET, resource).timeout(self.client.long_poll_timeout(wait));
        let Some(resp) = self.execute_allow_empty(req).await? else {
            return Ok(None);
        };
        resp.expect_status(OP, &[200])?;
        let m = resp.decode_with(OP, MessageXml::decode)?;
        m.into_received(self.codec)
            .map(Some)
            .map_err(|e| message_error(&resp, OP, e))
    }

    /// BatchReceiveMessage: up to `max` (1–16) messages, long-polling up to `wait`. An empty
    /// `Vec` when no message arrived. The service may return fewer messages than are available.
    pub async fn batch_receive_message(
        &self,
        max: usize,
        wait: Option<Duration>,
    ) -> Result<Vec<ReceivedMessage>, Error> {
        const OP: &str = "BatchReceiveMessage";
        model::batch_count(OP, max)?;
        let mut resource = format!("{}?numOfMessages={max}", self.messages_path);
        let wait = self.push_wait(&mut resource, wait, '&')?;
        let req =
            Request::new(OP, Method::GET, resource).timeout(self.client.long_poll_timeout(wait));
        let Some(resp) = self.execute_allow_empty(req).await? else {
            return Ok(Vec::new());
        };
        resp.expect_status(OP, &[200])?;
        self.decode_received(&resp, OP)
    }

    /// Decodes a BatchReceiveMessage response body exactly as this handle does (codec, MD5
    /// check). Useful for tools and tests that obtain bodies some other way.
    pub fn decode_batch_receive_response(&self, xml: &str) -> Result<Vec<ReceivedMessage>, Error> {
        let resp = Response {
            status: 200,
            request_id: None,
            body: xml.to_owned(),
        };
        self.decode_received(&resp, "BatchReceiveMessage")
    }

    fn decode_received(
        &self,
        resp: &Response,
        op: &'static str,
    ) -> Result<Vec<ReceivedMessage>, Error> {
        let doc = resp.decode_with(op, MessagesXml::decode)?;
        doc.messages
            .into_iter()
            .map(|m| {
                m.into_received(self.codec)
                    .map_err(|e| message_error(resp, op, e))
            })
            .collect()
    }

    fn push_wait(
        &self,
        resource: &mut String,
        wait: Option<Duration>,
        sep: char,
    ) -> Result<Option<Duration>, Error> {
        match wait {
            Some(w) => {
                let secs = model::wait_seconds(w)?;
                resource.push(sep);
                resource.push_str("waitseconds=");
                resource.push_str(&secs.to_string());
                Ok(Some(w))
            }
            None => Ok(None),
        }
    }

    /// Executes `req`, mapping 404 `MessageNotExist` to `None`.
    async fn execute_allow_empty(&self, req: Request) -> Result<Option<Response>, Error> {
        match self.client.execute(req).await {
            Ok(resp) => Ok(Some(resp)),
            Err(e) if e.code() == Some(&ErrorCode::MessageNotExist) => Ok(None),
            Err(e) => Err(e),
        }
    }

    // -----------------------------------------------------------------------------------------
    // PeekMessage / BatchPeekMessage

    /// PeekMessage: the next visible message without receiving it. `Ok(None)` if there is none.
    pub async fn peek_message(&self) -> Result<Option<PeekedMessage>, Error> {
        const OP: &str = "PeekMessage";
        let resource = format!("{}?peekonly=true", self.messages_path);
        let Some(resp) = self
            .execute_allow_empty(Request::new(OP, Method::GET, resource))
            .await?
        else {
            return Ok(None);
        };
        resp.expect_status(OP, &[200])?;
        let m = resp.decode_with(OP, MessageXml::decode)?;
        m.into_peeked(self.codec)
            .map(Some)
            .map_err(|e| message_error(&resp, OP, e))
    }

    /// BatchPeekMessage: up to `max` (1–16) visible messages. Empty `Vec` if there are none.
    pub async fn batch_peek_message(&self, max: usize) -> Result<Vec<PeekedMessage>, Error> {
        const OP: &str = "BatchPeekMessage";
        model::batch_count(OP, max)?;
        let resource = format!("{}?peekonly=true&numOfMessages={max}", self.messages_path);
        let Some(resp) = self
            .execute_allow_empty(Request::new(OP, Method::GET, resource))
            .await?
        else {
            return Ok(Vec::new());
        };
        resp.expect_status(OP, &[200])?;
        let doc = resp.decode_with(OP, MessagesXml::decode)?;
        doc.messages
            .into_iter()
            .map(|m| {
                m.into_peeked(self.codec)
                    .map_err(|e| message_error(&resp, OP, e))
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------------
    // DeleteMessage / BatchDeleteMessage / ChangeMessageVisibility

    /// DeleteMessage. An expired handle is `MessageNotExist`, a malformed one
    /// `ReceiptHandleError`, both as [`Error::Service`].
    pub async fn delete_message(&self, handle: &ReceiptHandle) -> Result<(), Error> {
        const OP: &str = "DeleteMessage";
        let resource = format!(
            "{}?ReceiptHandle={}",
            self.messages_path,
            handle.query_value()
        );
        let resp = self
            .client
            .execute(Request::new(OP, Method::DELETE, resource))
            .await?;
        resp.expect_status(OP, &[204, 200])
    }

    /// BatchDeleteMessage: 1–16 handles. Returns one result per handle, in request order: `Ok(())`
    /// if deleted, `Err(BatchEntryError)` with the service's code (e.g. `ReceiptHandleError`,
    /// `MessageNotExist`) if not.
    pub async fn batch_delete_message(
        &self,
        handles: &[ReceiptHandle],
    ) -> Result<Vec<Result<(), BatchEntryError>>, Error> {
        const OP: &str = "BatchDeleteMessage";
        model::batch_count(OP, handles.len())?;
        let req = Request::new(OP, Method::DELETE, self.messages_path.clone())
            .body(wire::batch_delete_body(handles))
            .data_error_roots(&["Errors"]);
        let resp = self.client.execute(req).await?;
        let mut out: Vec<Result<(), BatchEntryError>> = vec![Ok(()); handles.len()];
        if (200..300).contains(&resp.status) {
            return Ok(out);
        }
        let doc: wire::DeleteErrorsXml = resp.decode(OP)?;
        for e in doc.errors {
            let handle = e.receipt_handle.trim();
            // Match each failure to the first still-successful entry with that handle.
            let index = handles
                .iter()
                .enumerate()
                .position(|(i, h)| h.as_str() == handle && out[i].is_ok());
            let Some(index) = index else {
                return Err(resp.decode_error(
                    OP,
                    "an <Error> entry names a receipt handle that was not sent",
                ));
            };
            out[index] = Err(BatchEntryError {
                index,
                code: ErrorCode::parse(e.error_code.trim()),
                message: e.error_message,
                receipt_handle: Some(handles[index].clone()),
            });
        }
        Ok(out)
    }

    /// ChangeMessageVisibility: the message becomes visible `visibility_timeout` seconds (1–43200)
    /// from now. Returns the new receipt handle (the old one stops working) and the new next
    /// visible time.
    pub async fn change_message_visibility(
        &self,
        handle: &ReceiptHandle,
        visibility_timeout: u32,
    ) -> Result<VisibilityChange, Error> {
        const OP: &str = "ChangeMessageVisibility";
        let (low, high) = limits::VISIBILITY_TIMEOUT;
        if !(low..=high).contains(&visibility_timeout) {
            return Err(model::invalid(format!(
                "VisibilityTimeout must be between {low} and {high}, got {visibility_timeout}"
            )));
        }
        let resource = format!(
            "{}?ReceiptHandle={}&VisibilityTimeout={visibility_timeout}",
            self.messages_path,
            handle.query_value()
        );
        let resp = self
            .client
            .execute(Request::new(OP, Method::PUT, resource))
            .await?;
        resp.expect_status(OP, &[200])?;
        let doc: wire::ChangeVisibilityXml = resp.decode(OP)?;
        doc.into_model().map_err(|m| resp.decode_error(OP, m))
    }
}

fn message_error(resp: &Response, op: &'static str, e: MessageError) -> Error {
    match e {
        MessageError::Decode(m) => resp.decode_error(op, m),
        MessageError::Fatal(e) => e,
    }
}
