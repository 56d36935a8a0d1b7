//! Queue administration on [`Client`]: CreateQueue, SetQueueAttributes, GetQueueAttributes,
//! DeleteQueue, ListQueue.

use std::collections::VecDeque;
use std::pin::Pin;

use futures_core::Stream;
use reqwest::Method;

use super::model::{
    CreateOutcome, ListOptions, QueueAttributes, QueueInfo, QueueName, QueuePage, QueueSummary,
    invalid, limits,
};
use super::wire;
use crate::client::Client;
use crate::error::Error;
use crate::transport::Request;

/// The stream returned by [`Client::list_queues`].
pub type ListQueuesStream = Pin<Box<dyn Stream<Item = Result<QueueSummary, Error>> + Send>>;

impl Client {
    /// CreateQueue. Tells a new queue (`Created`, HTTP 201) from an existing queue with the same
    /// attributes (`AlreadyExisted`, HTTP 204). An existing queue with *different* attributes is
    /// [`Error::Service`] with [`ErrorCode::QueueAlreadyExist`](crate::ErrorCode::QueueAlreadyExist) (409).
    ///
    /// The name and attributes are validated before anything is sent.
    pub async fn create_queue(
        &self,
        name: &str,
        attributes: &QueueAttributes,
    ) -> Result<CreateOutcome, Error> {
        const OP: &str = "CreateQueue";
        let name = QueueName::new(name)?;
        attributes.validate()?;
        let req = Request::new(OP, Method::PUT, format!("/queues/{name}"))
            .body(wire::queue_body(attributes));
        let resp = self.execute(req).await?;
        match resp.status {
            201 | 200 => Ok(CreateOutcome::Created),
            204 => Ok(CreateOutcome::AlreadyExisted),
            other => Err(resp.decode_error(OP, format!("unexpected HTTP status {other}"))),
        }
    }

    /// SetQueueAttributes: changes only the attributes that are `Some`.
    pub async fn set_queue_attributes(
        &self,
        name: &str,
        attributes: &QueueAttributes,
    ) -> Result<(), Error> {
        const OP: &str = "SetQueueAttributes";
        let name = QueueName::new(name)?;
        attributes.validate()?;
        let req = Request::new(OP, Method::PUT, format!("/queues/{name}?metaoverride=true"))
            .body(wire::queue_body(attributes));
        self.execute(req).await?;
        Ok(())
    }

    /// GetQueueAttributes.
    pub async fn get_queue_attributes(&self, name: &str) -> Result<QueueInfo, Error> {
        const OP: &str = "GetQueueAttributes";
        let name = QueueName::new(name)?;
        let resp = self
            .execute(Request::new(OP, Method::GET, format!("/queues/{name}")))
            .await?;
        let doc: wire::QueueXml = resp.decode(OP)?;
        Ok(doc.into_info(name.as_str()))
    }

    /// DeleteQueue. All its messages are discarded.
    pub async fn delete_queue(&self, name: &str) -> Result<(), Error> {
        const OP: &str = "DeleteQueue";
        let name = QueueName::new(name)?;
        self.execute(Request::new(OP, Method::DELETE, format!("/queues/{name}")))
            .await?;
        Ok(())
    }

    /// ListQueue: one page. Options travel in the `x-mns-prefix`, `x-mns-marker`,
    /// `x-mns-ret-number` and `x-mns-with-meta` headers (all signed).
    pub async fn list_queue(&self, options: &ListOptions) -> Result<QueuePage, Error> {
        const OP: &str = "ListQueue";
        let mut req = Request::new(OP, Method::GET, "/queues".to_owned());
        if let Some(prefix) = &options.prefix {
            check_header_value("prefix", prefix)?;
            req = req.header("x-mns-prefix", prefix.clone());
        }
        if let Some(marker) = &options.marker {
            check_header_value("marker", marker)?;
            req = req.header("x-mns-marker", marker.clone());
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
        let resp = self.execute(req).await?;
        let doc: wire::QueuesXml = resp.decode(OP)?;
        let queues = doc
            .queues
            .into_iter()
            .map(|q| {
                let url = q.url().unwrap_or_default().trim().to_owned();
                let name = url.rsplit('/').next().unwrap_or_default().to_owned();
                let info = q.has_meta().then(|| q.into_info(&name));
                QueueSummary {
                    name: info.as_ref().map_or(name, |i| i.name.clone()),
                    url,
                    info,
                }
            })
            .collect();
        let next_marker = doc
            .next_marker
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        Ok(QueuePage {
            queues,
            next_marker,
        })
    }

    /// Every queue whose name starts with `prefix` (all queues for `None`), page by page,
    /// following `NextMarker`. The first error ends the stream.
    ///
    /// ```no_run
    /// # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
    /// use futures_util::TryStreamExt;
    /// let names: Vec<String> = client
    ///     .list_queues(Some("orders-"))
    ///     .map_ok(|q| q.name)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list_queues(&self, prefix: Option<&str>) -> ListQueuesStream {
        struct State {
            client: Client,
            options: ListOptions,
            buffer: VecDeque<QueueSummary>,
            done: bool,
        }
        let state = State {
            client: self.clone(),
            options: ListOptions {
                prefix: prefix.map(str::to_owned),
                ..ListOptions::default()
            },
            buffer: VecDeque::new(),
            done: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(q) = st.buffer.pop_front() {
                    return Some((Ok(q), st));
                }
                if st.done {
                    return None;
                }
                match st.client.list_queue(&st.options).await {
                    Ok(page) => {
                        st.buffer.extend(page.queues);
                        match page.next_marker {
                            // A marker that does not move would loop forever: stop instead.
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
}

fn check_header_value(what: &str, v: &str) -> Result<(), Error> {
    if v.trim() != v || v.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(invalid(format!(
            "list {what} must be printable ASCII without surrounding spaces"
        )));
    }
    Ok(())
}
