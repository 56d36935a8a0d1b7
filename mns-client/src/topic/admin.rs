//! Topic administration on [`Client`]: CreateTopic, SetTopicAttributes, GetTopicAttributes,
//! DeleteTopic, ListTopic; and the paging machinery shared with ListSubscriptionByTopic.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;
use reqwest::Method;

use super::model::{TopicAttributes, TopicName, TopicOptions, TopicPage, TopicSummary};
use super::wire;
use crate::client::Client;
use crate::error::Error;
use crate::queue::model::{CreateOutcome, ListOptions, invalid, limits};
use crate::transport::{Request, Response};

/// The stream returned by [`Client::list_topics`].
pub type ListTopicsStream = Pin<Box<dyn Stream<Item = Result<TopicSummary, Error>> + Send>>;

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
        created_or_existed(&resp, OP)
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
        expect_status(&resp, OP, &[204, 200])
    }

    /// GetTopicAttributes. A missing topic is
    /// [`ErrorCode::TopicNotExist`](crate::ErrorCode::TopicNotExist) (404).
    pub async fn get_topic_attributes(&self, name: &str) -> Result<TopicAttributes, Error> {
        const OP: &str = "GetTopicAttributes";
        let name = TopicName::new(name)?;
        let resp = self
            .execute(Request::new(OP, Method::GET, format!("/topics/{name}")))
            .await?;
        expect_status(&resp, OP, &[200])?;
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
        expect_status(&resp, OP, &[204, 200])
    }

    /// ListTopic: one page. Options travel in the `x-mns-prefix`, `x-mns-marker`,
    /// `x-mns-ret-number` and `x-mns-with-meta` headers (all signed).
    pub async fn list_topic(&self, options: &ListOptions) -> Result<TopicPage, Error> {
        const OP: &str = "ListTopic";
        let req = list_request(OP, "/topics".to_owned(), options)?;
        let resp = self.execute(req).await?;
        expect_status(&resp, OP, &[200])?;
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
                let page = client.list_topic(&options).await?;
                Ok((page.topics, page.next_marker))
            }
        })
    }
}

/// Maps a CreateTopic/Subscribe success status to its outcome.
pub(super) fn created_or_existed(
    resp: &Response,
    op: &'static str,
) -> Result<CreateOutcome, Error> {
    match resp.status {
        201 | 200 => Ok(CreateOutcome::Created),
        204 => Ok(CreateOutcome::AlreadyExisted),
        other => Err(resp.decode_error(op, format!("unexpected HTTP status {other}"))),
    }
}

/// Rejects a 2xx status the operation does not define (e.g. a 204 where a body is expected).
pub(super) fn expect_status(resp: &Response, op: &'static str, ok: &[u16]) -> Result<(), Error> {
    if ok.contains(&resp.status) {
        Ok(())
    } else {
        Err(resp.decode_error(op, format!("unexpected HTTP status {}", resp.status)))
    }
}

/// A list request (`GET resource`) carrying the options as `x-mns-*` headers, validated first.
pub(super) fn list_request(
    op: &'static str,
    resource: String,
    options: &ListOptions,
) -> Result<Request, Error> {
    let mut req = Request::new(op, Method::GET, resource);
    // An empty prefix or marker means "none": it is not sent.
    if let Some(prefix) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
        check_header_value("prefix", prefix)?;
        req = req.header("x-mns-prefix", prefix.to_owned());
    }
    if let Some(marker) = options.marker.as_deref().filter(|m| !m.is_empty()) {
        check_header_value("marker", marker)?;
        req = req.header("x-mns-marker", marker.to_owned());
    }
    if let Some(n) = options.page_size {
        let (low, high) = limits::LIST_PAGE_SIZE;
        if !(low..=high).contains(&n) {
            return Err(invalid(format!(
                "page size must be between {low} and {high}, got {n}"
            )));
        }
        req = req.header("x-mns-ret-number", n.to_string());
    }
    if options.with_meta {
        req = req.header("x-mns-with-meta", "true".to_owned());
    }
    Ok(req)
}

fn check_header_value(what: &str, v: &str) -> Result<(), Error> {
    if v.trim() != v || v.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(invalid(format!(
            "list {what} must be printable ASCII without surrounding spaces"
        )));
    }
    Ok(())
}

/// A stream over every item of a listing, fetching pages with `fetch` and following the markers.
/// A marker that does not move ends the stream (it would loop forever); the first error ends it
/// too.
pub(super) fn paginate<T, F, Fut>(
    prefix: Option<&str>,
    fetch: F,
) -> Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>
where
    T: Send + 'static,
    F: Fn(ListOptions) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Error>> + Send,
{
    struct State<T, F> {
        fetch: F,
        options: ListOptions,
        buffer: VecDeque<T>,
        done: bool,
    }
    let state = State {
        fetch,
        options: ListOptions {
            prefix: prefix.map(str::to_owned),
            ..ListOptions::default()
        },
        buffer: VecDeque::new(),
        done: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                return Some((Ok(item), st));
            }
            if st.done {
                return None;
            }
            match (st.fetch)(st.options.clone()).await {
                Ok((items, next_marker)) => {
                    st.buffer.extend(items);
                    match next_marker {
                        Some(m) if st.options.marker.as_deref() != Some(m.as_str()) => {
                            st.options.marker = Some(m);
                        }
                        _ => st.done = true,
                    }
                }
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
        }
    }))
}
