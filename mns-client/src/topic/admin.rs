//! Topic administration on [`Client`]: CreateTopic, SetTopicAttributes, GetTopicAttributes,
//! DeleteTopic, ListTopic; and the paging machinery shared with ListSubscriptionByTopic.

use reqwest::Method;

use super::model::{TopicAttributes, TopicName, TopicOptions, TopicPage, TopicSummary};
use super::wire;
use crate::client::Client;
use crate::common::{CreateOutcome, ListOptions, ListStream, list_request, paginate};
use crate::error::Error;
use crate::transport::Request;

/// The stream returned by [`Client::list_topics`].
pub type ListTopicsStream = ListStream<TopicSummary>;

impl Client {
    /// CreateTopic. Tells a new topic (`Created`, HTTP 201) from an existing topic with the same
    /// attributes (`AlreadyExisted`, HTTP 204). An existing topic with *different* attributes is
    /// [`Error::Service`] with [`ErrorCode::TopicAlreadyExist`](crate::ErrorCode::TopicAlreadyExist)
    /// (409).
    ///
    /// The name and options are validated before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
    /// use mns_client::topic::TopicOptions;
    /// let opts = TopicOptions { maximum_message_size: Some(10_240), ..Default::default() };
    /// client.create_topic("orders", &opts).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_topic(
        &self,
        name: &str,
        options: &TopicOptions,
    ) -> Result<CreateOutcome, Error> {
        const OP: &str = "CreateTopic";
        let name = TopicName::new(name)?;
        options.validate()?;
        let req = Request::new(OP, Method::PUT, format!("/topics/{name}"))
            .body(wire::topic_body(options));
        let resp = self.execute(req).await?;
        resp.created_or_existed(OP)
    }

    /// SetTopicAttributes: changes only the options that are `Some`.
    pub async fn set_topic_attributes(
        &self,
        name: &str,
        options: &TopicOptions,
    ) -> Result<(), Error> {
        const OP: &str = "SetTopicAttributes";
        let name = TopicName::new(name)?;
        options.validate()?;
        let req = Request::new(OP, Method::PUT, format!("/topics/{name}?metaoverride=true"))
            .body(wire::topic_body(options));
        let resp = self.execute(req).await?;
        resp.expect_status(OP, &[204, 200])
    }

    /// GetTopicAttributes. A missing topic is
    /// [`ErrorCode::TopicNotExist`](crate::ErrorCode::TopicNotExist) (404).
    pub async fn get_topic_attributes(&self, name: &str) -> Result<TopicAttributes, Error> {
        const OP: &str = "GetTopicAttributes";
        let name = TopicName::new(name)?;
        let resp = self
            .execute(Request::new(OP, Method::GET, format!("/topics/{name}")))
            .await?;
        resp.expect_status(OP, &[200])?;
        let doc: wire::TopicXml = resp.decode(OP)?;
        doc.into_attributes(name.as_str())
            .map_err(|m| resp.decode_error(OP, m))
    }

    /// DeleteTopic. Its subscriptions and undelivered messages are removed too. Deleting a topic
    /// that does not exist succeeds (the service answers 204).
    pub async fn delete_topic(&self, name: &str) -> Result<(), Error> {
        const OP: &str = "DeleteTopic";
        let name = TopicName::new(name)?;
        let resp = self
            .execute(Request::new(OP, Method::DELETE, format!("/topics/{name}")))
            .await?;
        resp.expect_status(OP, &[204, 200])
    }

    /// ListTopic: one page. Options travel in the `x-mns-prefix`, `x-mns-marker`,
    /// `x-mns-ret-number` and `x-mns-with-meta` headers (all signed).
    pub async fn list_topic_page(&self, options: &ListOptions) -> Result<TopicPage, Error> {
        const OP: &str = "ListTopic";
        let req = list_request(OP, "/topics".to_owned(), options)?;
        let resp = self.execute(req).await?;
        resp.expect_status(OP, &[200])?;
        let mut doc: wire::TopicsXml = resp.decode(OP)?;
        let next_marker = doc.next_marker();
        let mut topics = Vec::with_capacity(doc.topics.len());
        for t in doc.topics {
            let url = t.url();
            let url_name = wire::name_from_url(&url).to_owned();
            let attributes = if t.has_meta() {
                Some(
                    t.into_attributes(&url_name)
                        .map_err(|m| resp.decode_error(OP, m))?,
                )
            } else {
                None
            };
            let name = match &attributes {
                Some(a) => a.topic_name.clone(),
                None if !url_name.is_empty() => TopicName::from_service(url_name),
                None => return Err(resp.decode_error(OP, "a <Topic> entry has no <TopicURL>")),
            };
            topics.push(TopicSummary {
                name,
                url,
                attributes,
            });
        }
        Ok(TopicPage {
            topics,
            next_marker,
        })
    }

    /// Every topic whose name starts with `prefix` (all topics for `None`), page by page,
    /// following `NextMarker`. The first error ends the stream.
    ///
    /// ```no_run
    /// # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
    /// use futures_util::TryStreamExt;
    /// let names: Vec<String> = client
    ///     .list_topics(Some("orders-"))
    ///     .map_ok(|t| t.name.into_string())
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list_topics(&self, prefix: Option<&str>) -> ListTopicsStream {
        let client = self.clone();
        paginate(prefix, move |options| {
            let client = client.clone();
            async move {
                let page = client.list_topic_page(&options).await?;
                Ok((page.topics, page.next_marker))
            }
        })
    }
}
