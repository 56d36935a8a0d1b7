//! The actions of [`ControlClient`]: queues, topics, subscriptions and the account
//! (reference mns-openapi-fifo-dlq §3). Names are checked before anything is sent.

use serde_json::Value;

use super::model::{
    AccountUpdate, ControlAccountAttributes, ControlListOptions, ControlPage, ControlQueue,
    ControlSubscription, ControlTopic, CreateQueueOptions, CreateTopicOptions, QueueUpdate,
    SubscribeOptions, SubscriptionUpdate, Tag, TaggedResourceType, TopicUpdate,
};
use super::transport::ControlParams;
use super::{ControlClient, wire};
use crate::common::{ListStream, stream_pages};
use crate::error::Error;
use crate::queue::QueueName;
use crate::topic::{SubscriptionName, TopicName};

/// Page size the listing streams ask for (the service's largest, 50).
const STREAM_PAGE_SIZE: u32 = 50;

fn queue_name(name: &str) -> Result<String, Error> {
    Ok(QueueName::new(name)?.as_str().to_owned())
}

fn topic_name(name: &str) -> Result<String, Error> {
    Ok(TopicName::new(name)?.as_str().to_owned())
}

fn subscription_name(name: &str) -> Result<String, Error> {
    Ok(SubscriptionName::new(name)?.as_str().to_owned())
}

fn list_params(
    name_param: &str,
    type_param: &str,
    options: &ControlListOptions,
    page_num: u32,
) -> Result<ControlParams, Error> {
    let mut p = ControlParams::default();
    p.query("PageNum", page_num.to_string());
    if let Some(size) = options.page_size {
        if !(10..=50).contains(&size) {
            return Err(Error::InvalidInput(format!(
                "page size must be between 10 and 50, got {size}"
            )));
        }
        p.query("PageSize", size.to_string());
    }
    p.query_opt(name_param, options.name.clone().filter(|n| !n.is_empty()));
    p.query_opt(
        type_param,
        options.fifo.map(|f| if f { "fifo" } else { "normal" }),
    );
    p.tags(&options.tags);
    Ok(p)
}

/// A stream over every item of a page-numbered listing: pages are fetched until one is short
/// or the total is reached.
fn page_stream<T, F, Fut>(fetch: F) -> ListStream<T>
where
    T: Send + 'static,
    F: Fn(u32) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<ControlPage<T>, Error>> + Send,
{
    // The cursor is the page number and how many items came before it.
    stream_pages((1u32, 0u64), move |(page_num, seen): (u32, u64)| {
        let page = fetch(page_num);
        async move {
            let page = page.await?;
            let n = page.items.len() as u64;
            let seen = seen + n;
            let short = n == 0 || n < u64::from(page.page_size.max(1));
            let next = (!short && seen < page.total).then_some((page_num + 1, seen));
            Ok((page.items, next))
        }
    })
}

impl ControlClient {
    // ------------------------------------------------------------------------------------------
    // Queues
    // ------------------------------------------------------------------------------------------

    /// `CreateQueue`: a queue with a type (fixed for its life), attributes, a dead-letter
    /// policy, a rate limit and tags.
    pub async fn create_queue(
        &self,
        name: &str,
        options: &CreateQueueOptions,
    ) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("QueueName", queue_name(name)?)
            .query_opt("QueueType", options.queue_type.map(|t| t.as_str()))
            .query_opt("DelaySeconds", options.delay_seconds)
            .query_opt("MaximumMessageSize", options.maximum_message_size)
            .query_opt("MessageRetentionPeriod", options.message_retention_period)
            .query_opt("VisibilityTimeout", options.visibility_timeout)
            .query_opt("PollingWaitSeconds", options.polling_wait_seconds)
            .query_opt("EnableLogging", options.logging_enabled)
            .query_opt(
                "DlqPolicy",
                options.dlq_policy.as_ref().map(|d| d.to_json()),
            )
            .query_opt(
                "TenantRateLimitPolicy",
                options.rate_limit.as_ref().map(|r| r.to_json()),
            )
            .tags(&options.tags);
        self.call("CreateQueue", p).await.map(drop)
    }

    /// `SetQueueAttributes`: changes only what `update` names.
    pub async fn set_queue_attributes(
        &self,
        name: &str,
        update: &QueueUpdate,
    ) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("QueueName", queue_name(name)?)
            .query_opt("DelaySeconds", update.delay_seconds)
            .query_opt("MaximumMessageSize", update.maximum_message_size)
            .query_opt("MessageRetentionPeriod", update.message_retention_period)
            .query_opt("VisibilityTimeout", update.visibility_timeout)
            .query_opt("PollingWaitSeconds", update.polling_wait_seconds)
            .query_opt("EnableLogging", update.logging_enabled)
            .query_opt("DlqPolicy", update.dlq_policy.as_ref().map(|d| d.to_json()))
            .query_opt(
                "TenantRateLimitPolicy",
                update.rate_limit.as_ref().map(|r| r.to_json()),
            );
        self.call("SetQueueAttributes", p).await.map(drop)
    }

    /// `GetQueueAttributes`.
    pub async fn get_queue_attributes(&self, name: &str) -> Result<ControlQueue, Error> {
        let mut p = ControlParams::default();
        p.query("QueueName", queue_name(name)?);
        let data = self.call("GetQueueAttributes", p).await?;
        wire::queue("GetQueueAttributes", &data)
    }

    /// `DeleteQueue`.
    pub async fn delete_queue(&self, name: &str) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("QueueName", queue_name(name)?);
        self.call("DeleteQueue", p).await.map(drop)
    }

    /// One page of `ListQueue` (`page_num` from 1).
    pub async fn list_queues_page(
        &self,
        options: &ControlListOptions,
        page_num: u32,
    ) -> Result<ControlPage<ControlQueue>, Error> {
        let p = list_params("QueueName", "QueueType", options, page_num.max(1))?;
        let data = self.call("ListQueue", p).await?;
        wire::page("ListQueue", &data, wire::queue)
    }

    /// Every queue matching `options`, page after page, as a stream.
    pub fn list_queues(&self, options: ControlListOptions) -> ListStream<ControlQueue> {
        let client = self.clone();
        let options = ControlListOptions {
            page_size: options.page_size.or(Some(STREAM_PAGE_SIZE)),
            ..options
        };
        page_stream(move |n| {
            let client = client.clone();
            let options = options.clone();
            async move { client.list_queues_page(&options, n).await }
        })
    }

    // ------------------------------------------------------------------------------------------
    // Topics
    // ------------------------------------------------------------------------------------------

    /// `CreateTopic` (the type and tags in the query, the rest in a form body, as the official
    /// SDK sends it).
    pub async fn create_topic(
        &self,
        name: &str,
        options: &CreateTopicOptions,
    ) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query_opt("TopicType", options.topic_type.map(|t| t.as_str()))
            .tags(&options.tags)
            .form("TopicName", topic_name(name)?)
            .form_opt("MaxMessageSize", options.max_message_size)
            .form_opt("EnableLogging", options.logging_enabled);
        self.call("CreateTopic", p).await.map(drop)
    }

    /// `SetTopicAttributes`.
    pub async fn set_topic_attributes(
        &self,
        name: &str,
        update: &TopicUpdate,
    ) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(name)?)
            .query_opt("MaxMessageSize", update.max_message_size)
            .query_opt("EnableLogging", update.logging_enabled);
        self.call("SetTopicAttributes", p).await.map(drop)
    }

    /// `GetTopicAttributes`.
    pub async fn get_topic_attributes(&self, name: &str) -> Result<ControlTopic, Error> {
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(name)?);
        let data = self.call("GetTopicAttributes", p).await?;
        wire::topic("GetTopicAttributes", &data)
    }

    /// `DeleteTopic` (its subscriptions go with it).
    pub async fn delete_topic(&self, name: &str) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(name)?);
        self.call("DeleteTopic", p).await.map(drop)
    }

    /// One page of `ListTopic`.
    pub async fn list_topics_page(
        &self,
        options: &ControlListOptions,
        page_num: u32,
    ) -> Result<ControlPage<ControlTopic>, Error> {
        let p = list_params("TopicName", "TopicType", options, page_num.max(1))?;
        let data = self.call("ListTopic", p).await?;
        wire::page("ListTopic", &data, wire::topic)
    }

    /// Every topic matching `options`, as a stream.
    pub fn list_topics(&self, options: ControlListOptions) -> ListStream<ControlTopic> {
        let client = self.clone();
        let options = ControlListOptions {
            page_size: options.page_size.or(Some(STREAM_PAGE_SIZE)),
            ..options
        };
        page_stream(move |n| {
            let client = client.clone();
            let options = options.clone();
            async move { client.list_topics_page(&options, n).await }
        })
    }

    // ------------------------------------------------------------------------------------------
    // Subscriptions
    // ------------------------------------------------------------------------------------------

    /// `Subscribe`.
    pub async fn subscribe(
        &self,
        topic: &str,
        subscription: &str,
        options: &SubscribeOptions,
    ) -> Result<(), Error> {
        if options.endpoint.trim().is_empty() {
            return Err(Error::InvalidInput(
                "a subscription needs an endpoint".into(),
            ));
        }
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(topic)?)
            .query("SubscriptionName", subscription_name(subscription)?)
            .query("PushType", options.push_type.as_str())
            .query("Endpoint", options.endpoint.clone())
            .query_opt(
                "NotifyStrategy",
                options.notify_strategy.map(|s| s.as_str()),
            )
            .query_opt(
                "NotifyContentFormat",
                options.notify_content_format.map(|f| f.as_str()),
            )
            .query_opt("MessageTag", options.filter_tag.clone())
            .query_opt(
                "DlqPolicy",
                options.dlq_policy.as_ref().map(|d| d.to_json()),
            )
            .query_opt(
                "TenantRateLimitPolicy",
                options.rate_limit.as_ref().map(|r| r.to_json()),
            );
        self.call("Subscribe", p).await.map(drop)
    }

    /// `SetSubscriptionAttributes`.
    pub async fn set_subscription_attributes(
        &self,
        topic: &str,
        subscription: &str,
        update: &SubscriptionUpdate,
    ) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(topic)?)
            .query("SubscriptionName", subscription_name(subscription)?)
            .query_opt("NotifyStrategy", update.notify_strategy.map(|s| s.as_str()))
            .query_opt("DlqPolicy", update.dlq_policy.as_ref().map(|d| d.to_json()))
            .query_opt(
                "TenantRateLimitPolicy",
                update.rate_limit.as_ref().map(|r| r.to_json()),
            );
        self.call("SetSubscriptionAttributes", p).await.map(drop)
    }

    /// `GetSubscriptionAttributes`.
    pub async fn get_subscription_attributes(
        &self,
        topic: &str,
        subscription: &str,
    ) -> Result<ControlSubscription, Error> {
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(topic)?)
            .query("SubscriptionName", subscription_name(subscription)?);
        let data = self.call("GetSubscriptionAttributes", p).await?;
        wire::subscription("GetSubscriptionAttributes", &data)
    }

    /// `Unsubscribe`.
    pub async fn unsubscribe(&self, topic: &str, subscription: &str) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query("TopicName", topic_name(topic)?)
            .query("SubscriptionName", subscription_name(subscription)?);
        self.call("Unsubscribe", p).await.map(drop)
    }

    /// One page of `ListSubscriptionByTopic` (`page_size` 10–50, `None` for the service's).
    pub async fn list_subscriptions_page(
        &self,
        topic: &str,
        page_size: Option<u32>,
        page_num: u32,
    ) -> Result<ControlPage<ControlSubscription>, Error> {
        let options = ControlListOptions {
            page_size,
            ..ControlListOptions::default()
        };
        let mut p = list_params(
            "SubscriptionName",
            "SubscriptionType",
            &options,
            page_num.max(1),
        )?;
        p.query("TopicName", topic_name(topic)?);
        let data = self.call("ListSubscriptionByTopic", p).await?;
        wire::page("ListSubscriptionByTopic", &data, wire::subscription)
    }

    /// Every subscription of `topic`, as a stream.
    pub fn list_subscriptions(&self, topic: &str) -> ListStream<ControlSubscription> {
        let client = self.clone();
        let topic = topic.to_owned();
        page_stream(move |n| {
            let client = client.clone();
            let topic = topic.clone();
            async move {
                client
                    .list_subscriptions_page(&topic, Some(STREAM_PAGE_SIZE), n)
                    .await
            }
        })
    }

    // ------------------------------------------------------------------------------------------
    // Tags
    // ------------------------------------------------------------------------------------------

    fn tag_target(
        &self,
        resource_type: TaggedResourceType,
        names: &[&str],
    ) -> Result<ControlParams, Error> {
        if names.is_empty() {
            return Err(Error::InvalidInput("name at least one resource".into()));
        }
        let mut p = ControlParams::default();
        p.query("RegionId", self.region())
            .query("ResourceType", resource_type.as_str());
        for (i, name) in names.iter().enumerate() {
            let name = match resource_type {
                TaggedResourceType::Queue => queue_name(name)?,
                TaggedResourceType::Topic => topic_name(name)?,
            };
            p.query(&format!("ResourceId.{}", i + 1), name);
        }
        Ok(p)
    }

    /// `TagResources`: adds `tags` to each named queue or topic (a key already present gets the
    /// new value).
    pub async fn tag_resources(
        &self,
        resource_type: TaggedResourceType,
        names: &[&str],
        tags: &[Tag],
    ) -> Result<(), Error> {
        if tags.is_empty() {
            return Err(Error::InvalidInput("name at least one tag".into()));
        }
        let mut p = self.tag_target(resource_type, names)?;
        p.tags(tags);
        self.call("TagResources", p).await.map(drop)
    }

    /// `UntagResources`: removes the tags with these keys from each named queue or topic.
    pub async fn untag_resources(
        &self,
        resource_type: TaggedResourceType,
        names: &[&str],
        keys: &[&str],
    ) -> Result<(), Error> {
        if keys.is_empty() {
            return Err(Error::InvalidInput("name at least one tag key".into()));
        }
        let mut p = self.tag_target(resource_type, names)?;
        for (i, key) in keys.iter().enumerate() {
            p.query(&format!("TagKey.{}", i + 1), *key);
        }
        self.call("UntagResources", p).await.map(drop)
    }

    // ------------------------------------------------------------------------------------------
    // Account
    // ------------------------------------------------------------------------------------------

    /// `GetAccountAttributes`: SLS logging and message-trace settings.
    pub async fn get_account_attributes(&self) -> Result<ControlAccountAttributes, Error> {
        let data = self
            .call("GetAccountAttributes", ControlParams::default())
            .await?;
        if data == Value::Null {
            return Ok(ControlAccountAttributes::default());
        }
        serde_json::from_value(data).map_err(|e| Error::Decode {
            operation: "GetAccountAttributes",
            status: 200,
            request_id: None,
            message: e.to_string(),
        })
    }

    /// `SetAccountAttributes`: changes only what `update` names.
    pub async fn set_account_attributes(&self, update: &AccountUpdate) -> Result<(), Error> {
        let mut p = ControlParams::default();
        p.query_opt("LogEnabled", update.log_enabled)
            .query_opt("LogStoreName", update.log_store_name.clone())
            .query_opt("MessageTraceEnabled", update.message_trace_enabled)
            .query_opt("ProjectName", update.project_name.clone());
        self.call("SetAccountAttributes", p).await.map(drop)
    }
}
