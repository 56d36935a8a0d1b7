//! Topics and subscriptions (publish/subscribe): the [`Topic`] handle for publishing and
//! subscription operations, topic administration on [`Client`], and the typed model.
//!
//! [`model`] holds the typed, validated values of the topic side: [`TopicName`],
//! [`SubscriptionName`], subscription [`Endpoint`]s, [`NotifyStrategy`], [`NotifyContentFormat`],
//! [`MessageTag`]/[`FilterTag`], topic and subscription attributes and the per-endpoint
//! [`MessageAttributes`] of `PublishMessage`.
//!
//! Every operation validates its input before sending (names, tags, body size, attributes): bad
//! input is [`Error::InvalidInput`] and no request leaves the process. Errors, retries and
//! tracing are those of every other operation (see the [crate docs](crate)).
//!
//! ```no_run
//! # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
//! use mns_client::topic::{Endpoint, MessageTag, PublishOptions, TopicOptions};
//! client.create_topic("orders", &TopicOptions::default()).await?;
//! let topic = client.topic("orders")?;
//! topic
//!     .subscribe("orders-q", &Endpoint::queue("cn-hangzhou", "1234567890123456", "orders-q")?)
//!     .await?;
//! let receipt = topic
//!     .publish_message_opts(
//!         "order #1",
//!         PublishOptions { message_tag: Some(MessageTag::new("new")?), ..Default::default() },
//!     )
//!     .await?;
//! println!("published {}", receipt.message_id);
//! # Ok(()) }
//! ```

mod admin;
pub mod model;
pub(crate) mod wire;

use std::time::SystemTime;

use reqwest::Method;

pub use admin::ListTopicsStream;
pub use model::{
    DirectMailAttributes, DirectSmsAttributes, DmAttributes, DysmsAttributes, Endpoint, FilterTag,
    HttpEndpoint, MailAddressType, MailEndpoint, MessageAttributes, MessageTag,
    NotifyContentFormat, NotifyStrategy, PublishOptions, PublishReceipt, QueueEndpoint, SmsContent,
    SmsEndpoint, SubscribeOptions, SubscriptionAttributes, SubscriptionName, SubscriptionPage,
    SubscriptionSummary, SubscriptionUpdate, TopicAttributes, TopicName, TopicOptions, TopicPage,
    TopicSummary,
};

use crate::client::Client;
use crate::common::{CreateOutcome, ListOptions, ListStream, list_request, paginate};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::queue::model::{BodyCodec, invalid};
use crate::transport::{Request, SignedRequest};

/// The stream returned by [`Topic::list_subscriptions`].
pub type ListSubscriptionsStream = ListStream<SubscriptionSummary>;

impl Client {
    /// A handle on the topic `name` (validated, no request is sent). The handle uses the raw
    /// body codec; see [`Topic::with_codec`].
    ///
    /// ```
    /// use mns_client::{Client, Credentials, Endpoint};
    /// let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
    ///     .credentials(Credentials::new("id", "secret"))
    ///     .build()?;
    /// assert_eq!(client.topic("orders")?.name().as_str(), "orders");
    /// assert!(client.topic("orders_2024").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn topic(&self, name: &str) -> Result<Topic, Error> {
        Ok(Topic::new(self.clone(), TopicName::new(name)?))
    }

    /// A handle on an already validated topic name.
    pub fn topic_named(&self, name: TopicName) -> Topic {
        Topic::new(self.clone(), name)
    }
}

/// A handle on one topic, for publishing and subscription operations. Cheap to clone; obtained
/// from [`Client::topic`].
///
/// The handle carries the body codec ([`BodyCodec::Raw`] unless changed with
/// [`with_codec`](Self::with_codec)). The service never decodes topic bodies: subscribers see
/// the transmitted text (so a [`BodyCodec::Base64`] publisher needs subscribers that decode
/// base64).
#[derive(Debug, Clone)]
pub struct Topic {
    client: Client,
    name: TopicName,
    codec: BodyCodec,
    /// `/topics/{name}`.
    path: String,
}

impl Topic {
    fn new(client: Client, name: TopicName) -> Self {
        let path = format!("/topics/{}", name.as_str());
        Topic {
            client,
            name,
            codec: BodyCodec::Raw,
            path,
        }
    }

    /// Returns the handle with another body codec.
    pub fn with_codec(mut self, codec: BodyCodec) -> Self {
        self.codec = codec;
        self
    }

    /// The topic's name.
    pub fn name(&self) -> &TopicName {
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

    /// CreateTopic for this topic; see [`Client::create_topic`].
    pub async fn create(&self, options: &TopicOptions) -> Result<CreateOutcome, Error> {
        self.client.create_topic(self.name.as_str(), options).await
    }

    /// GetTopicAttributes for this topic; see [`Client::get_topic_attributes`].
    pub async fn get_attributes(&self) -> Result<TopicAttributes, Error> {
        self.client.get_topic_attributes(self.name.as_str()).await
    }

    /// SetTopicAttributes for this topic; see [`Client::set_topic_attributes`].
    pub async fn set_attributes(&self, options: &TopicOptions) -> Result<(), Error> {
        self.client
            .set_topic_attributes(self.name.as_str(), options)
            .await
    }

    /// DeleteTopic for this topic; see [`Client::delete_topic`].
    pub async fn delete(&self) -> Result<(), Error> {
        self.client.delete_topic(self.name.as_str()).await
    }

    // -----------------------------------------------------------------------------------------
    // PublishMessage

    /// PublishMessage with default options (no tag, no message attributes).
    ///
    /// A retried publish whose first attempt reached the service can deliver the message twice;
    /// see [`retry`](crate::retry).
    pub async fn publish_message(&self, body: impl AsRef<[u8]>) -> Result<PublishReceipt, Error> {
        self.publish_message_opts(body, PublishOptions::default())
            .await
    }

    /// PublishMessage with a [`MessageTag`], per-endpoint [`MessageAttributes`], user and
    /// system properties and/or a `MessageGroupId`. With the `opentelemetry` feature the publish
    /// runs in a producer span whose context is injected (see [`otel`](crate::otel)).
    ///
    /// The body is encoded with the handle's codec; it must be non-empty and at most 65536 bytes
    /// as transmitted (the topic's own `MaximumMessageSize` may be lower; the service enforces
    /// that). The returned `MessageBodyMD5` is checked against what was sent
    /// ([`Error::Md5Mismatch`] otherwise).
    pub async fn publish_message_opts(
        &self,
        body: impl AsRef<[u8]>,
        mut options: PublishOptions,
    ) -> Result<PublishReceipt, Error> {
        let span = crate::otel::ProducerSpan::start(self.name.as_str(), "publish", 1);
        span.inject(&mut options.system_properties);
        let result = self.publish_once(body.as_ref(), &options).await;
        span.end(result.as_ref().map(|r| Some(r.message_id.as_str())));
        result
    }

    async fn publish_once(
        &self,
        body: &[u8],
        options: &PublishOptions,
    ) -> Result<PublishReceipt, Error> {
        const OP: &str = "PublishMessage";
        let (req, text) = self.publish_request(body, options)?;
        let resp = self.client.execute(req).await?;
        resp.expect_status(OP, &[201, 200])?;
        let doc: wire::PublishXml = resp.decode(OP)?;
        doc.into_receipt(&text).map_err(|e| match e {
            wire::PublishError::Decode(m) => resp.decode_error(OP, m),
            wire::PublishError::Fatal(e) => e,
        })
    }

    /// Builds and signs the PublishMessage request that
    /// [`publish_message_opts`](Self::publish_message_opts) would send, with the given
    /// credentials and time, without sending it.
    ///
    /// ```
    /// use mns_client::{Client, Credentials, Endpoint};
    /// use mns_client::topic::PublishOptions;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let creds = Credentials::new("testid", "testsecret");
    /// let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9911")?)
    ///     .credentials(creds.clone())
    ///     .build()?;
    /// let now = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    /// let req = client.topic("orders")?
    ///     .prepare_publish_message("hello", &PublishOptions::default(), &creds, now)?;
    /// assert_eq!(req.method, "POST");
    /// assert_eq!(req.url, "http://127.0.0.1:9911/topics/orders/messages");
    /// assert!(req.header("authorization").unwrap().starts_with("MNS testid:"));
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn prepare_publish_message(
        &self,
        body: impl AsRef<[u8]>,
        options: &PublishOptions,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        let (req, _) = self.publish_request(body.as_ref(), options)?;
        self.client.prepare(&req, credentials, now)
    }

    fn publish_request(
        &self,
        body: &[u8],
        options: &PublishOptions,
    ) -> Result<(Request, String), Error> {
        if body.is_empty() {
            return Err(invalid("message body must not be empty"));
        }
        let text = self.codec.encode(body)?;
        let max = model::limits::MAX_MAXIMUM_MESSAGE_SIZE as usize;
        if text.len() > max {
            return Err(invalid(format!(
                "message body is {} bytes as transmitted; the limit is {max}",
                text.len()
            )));
        }
        let attributes = options.message_attributes.to_elements()?;
        if let Some(g) = &options.message_group_id {
            if g.is_empty() {
                return Err(invalid("message group id must not be empty"));
            }
            crate::xml::check_text("MessageGroupId", g)?;
        }
        crate::queue::model::validate_user_properties(&options.user_properties)?;
        options.system_properties.validate_for_send()?;
        let xml = wire::publish_body(&text, options, &attributes);
        let req = Request::new(
            "PublishMessage",
            Method::POST,
            format!("{}/messages", self.path),
        )
        .body(xml);
        Ok((req, text.into_owned()))
    }

    // -----------------------------------------------------------------------------------------
    // Subscriptions

    fn subscription_path(&self, name: &str) -> Result<(SubscriptionName, String), Error> {
        let name = SubscriptionName::new(name)?;
        let path = format!("{}/subscriptions/{}", self.path, name.as_str());
        Ok((name, path))
    }

    /// Subscribe with default options: every message, `BACKOFF_RETRY`, `XML`.
    /// See [`subscribe_opts`](Self::subscribe_opts).
    pub async fn subscribe(&self, name: &str, endpoint: &Endpoint) -> Result<CreateOutcome, Error> {
        self.subscribe_opts(name, endpoint, &SubscribeOptions::default())
            .await
    }

    /// Subscribe: creates the subscription `name` delivering to `endpoint`. Tells a new
    /// subscription (`Created`, HTTP 201) from an existing one with the same attributes
    /// (`AlreadyExisted`, HTTP 204). An existing subscription with *different* attributes is
    /// [`Error::Service`] with
    /// [`ErrorCode::SubscriptionAlreadyExist`](crate::ErrorCode::SubscriptionAlreadyExist) (409);
    /// a missing topic is [`ErrorCode::TopicNotExist`](crate::ErrorCode::TopicNotExist).
    ///
    /// A subscription receives only messages published after it exists.
    pub async fn subscribe_opts(
        &self,
        name: &str,
        endpoint: &Endpoint,
        options: &SubscribeOptions,
    ) -> Result<CreateOutcome, Error> {
        const OP: &str = "Subscribe";
        let (_, path) = self.subscription_path(name)?;
        let req = Request::new(OP, Method::PUT, path).body(wire::subscribe_body(endpoint, options));
        let resp = self.client.execute(req).await?;
        resp.created_or_existed(OP)
    }

    /// SetSubscriptionAttributes: changes the values that are `Some`. A missing subscription is
    /// [`ErrorCode::SubscriptionNotExist`](crate::ErrorCode::SubscriptionNotExist) (404).
    pub async fn set_subscription_attributes(
        &self,
        name: &str,
        update: &SubscriptionUpdate,
    ) -> Result<(), Error> {
        const OP: &str = "SetSubscriptionAttributes";
        let (_, path) = self.subscription_path(name)?;
        let req = Request::new(OP, Method::PUT, format!("{path}?metaoverride=true"))
            .body(wire::subscription_update_body(update));
        let resp = self.client.execute(req).await?;
        resp.expect_status(OP, &[204, 200])
    }

    /// GetSubscriptionAttributes. A missing subscription is
    /// [`ErrorCode::SubscriptionNotExist`](crate::ErrorCode::SubscriptionNotExist) (404).
    ///
    /// Endpoint forms this crate does not model come back as [`Endpoint::Other`].
    pub async fn get_subscription_attributes(
        &self,
        name: &str,
    ) -> Result<SubscriptionAttributes, Error> {
        const OP: &str = "GetSubscriptionAttributes";
        let (name, path) = self.subscription_path(name)?;
        let resp = self
            .client
            .execute(Request::new(OP, Method::GET, path))
            .await?;
        resp.expect_status(OP, &[200])?;
        let doc: wire::SubscriptionXml = resp.decode(OP)?;
        doc.into_attributes(name.as_str(), self.name.as_str())
            .map_err(|m| resp.decode_error(OP, m))
    }

    /// Unsubscribe. Removing a subscription that does not exist succeeds (the service answers
    /// 204).
    pub async fn unsubscribe(&self, name: &str) -> Result<(), Error> {
        const OP: &str = "Unsubscribe";
        let (_, path) = self.subscription_path(name)?;
        let resp = self
            .client
            .execute(Request::new(OP, Method::DELETE, path))
            .await?;
        resp.expect_status(OP, &[204, 200])
    }

    /// ListSubscriptionByTopic: one page. [`ListOptions::prefix`] matches subscription names;
    /// the options travel in signed `x-mns-*` headers as for [`Client::list_topic_page`].
    pub async fn list_subscription_page(
        &self,
        options: &ListOptions,
    ) -> Result<SubscriptionPage, Error> {
        const OP: &str = "ListSubscriptionByTopic";
        let req = list_request(OP, format!("{}/subscriptions", self.path), options)?;
        let resp = self.client.execute(req).await?;
        resp.expect_status(OP, &[200])?;
        let mut doc: wire::SubscriptionsXml = resp.decode(OP)?;
        let next_marker = doc.next_marker();
        let mut subscriptions = Vec::with_capacity(doc.subscriptions.len());
        for s in doc.subscriptions {
            let url = s.url();
            let url_name = wire::name_from_url(&url).to_owned();
            let attributes = if s.has_meta() {
                Some(
                    s.into_attributes(&url_name, self.name.as_str())
                        .map_err(|m| resp.decode_error(OP, m))?,
                )
            } else {
                None
            };
            let name = match &attributes {
                Some(a) => a.subscription_name.clone(),
                None if !url_name.is_empty() => SubscriptionName::from_service(url_name),
                None => {
                    return Err(
                        resp.decode_error(OP, "a <Subscription> entry has no <SubscriptionURL>")
                    );
                }
            };
            subscriptions.push(SubscriptionSummary {
                name,
                url,
                attributes,
            });
        }
        Ok(SubscriptionPage {
            subscriptions,
            next_marker,
        })
    }

    /// Every subscription of this topic whose name starts with `prefix` (all for `None`), page
    /// by page, following `NextMarker`. The first error ends the stream.
    ///
    /// ```no_run
    /// # async fn demo(topic: mns_client::topic::Topic) -> Result<(), mns_client::Error> {
    /// use futures_util::TryStreamExt;
    /// let subs: Vec<_> = topic.list_subscriptions(None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_subscriptions(&self, prefix: Option<&str>) -> ListSubscriptionsStream {
        let topic = self.clone();
        paginate(prefix, move |options| {
            let topic = topic.clone();
            async move {
                let page = topic.list_subscription_page(&options).await?;
                Ok((page.subscriptions, page.next_marker))
            }
        })
    }
}
