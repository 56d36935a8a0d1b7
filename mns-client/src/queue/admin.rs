//! Queue administration on [`Client`]: CreateQueue, SetQueueAttributes, GetQueueAttributes,
//! DeleteQueue, ListQueue.

use reqwest::Method;

use super::model::{QueueAttributes, QueueName, QueueOptions, QueuePage, QueueSummary};
use super::wire;
use crate::client::Client;
use crate::common::{CreateOutcome, ListOptions, ListStream, list_request, paginate};
use crate::error::Error;
use crate::transport::Request;

/// The stream returned by [`Client::list_queues`].
pub type ListQueuesStream = ListStream<QueueSummary>;

impl Client {
    /// CreateQueue. Tells a new queue (`Created`, HTTP 201) from an existing queue with the same
    /// attributes (`AlreadyExisted`, HTTP 204). An existing queue with *different* attributes is
    /// [`Error::Service`] with [`ErrorCode::QueueAlreadyExist`](crate::ErrorCode::QueueAlreadyExist) (409).
    ///
    /// The name and attributes are validated before anything is sent.
    pub async fn create_queue(
        &self,
        name: &str,
        attributes: &QueueOptions,
    ) -> Result<CreateOutcome, Error> {
        const OP: &str = "CreateQueue";
        let name = QueueName::new(name)?;
        attributes.validate()?;
        let req = Request::new(OP, Method::PUT, format!("/queues/{name}"))
            .body(wire::queue_body(attributes));
        self.execute(req).await?.created_or_existed(OP)
    }

    /// SetQueueAttributes: changes only the attributes that are `Some`.
    pub async fn set_queue_attributes(
        &self,
        name: &str,
        attributes: &QueueOptions,
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
    pub async fn get_queue_attributes(&self, name: &str) -> Result<QueueAttributes, Error> {
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
    pub async fn list_queue_page(&self, options: &ListOptions) -> Result<QueuePage, Error> {
        const OP: &str = "ListQueue";
        let req = list_request(OP, "/queues".to_owned(), options)?;
        let resp = self.execute(req).await?;
        let doc: wire::QueuesXml = resp.decode(OP)?;
        let queues = doc
            .queues
            .into_iter()
            .map(|q| {
                let url = q.url().unwrap_or_default().trim().to_owned();
                let name = url.rsplit('/').next().unwrap_or_default().to_owned();
                let attributes = q.has_meta().then(|| q.into_info(&name));
                QueueSummary {
                    name: QueueName::from_service(
                        attributes.as_ref().map_or(name, |a| a.name.clone()),
                    ),
                    url,
                    attributes,
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
    ///     .map_ok(|q| q.name.into_string())
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list_queues(&self, prefix: Option<&str>) -> ListQueuesStream {
        let client = self.clone();
        paginate(prefix, move |options| {
            let client = client.clone();
            async move {
                let page = client.list_queue_page(&options).await?;
                Ok((page.queues, page.next_marker))
            }
        })
    }
}
