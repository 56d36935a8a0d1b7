//! Topic and subscription options (inputs), attributes (outputs), list pages and publish receipts.

use super::*;

/// Attributes of a topic, as returned by `GetTopicAttributes` (reference §2.3, §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicAttributes {
    /// The topic's name.
    pub topic_name: TopicName,
    /// When the topic was created (the service reports Unix seconds).
    pub create_time: SystemTime,
    /// When the topic's attributes were last changed (Unix seconds on the wire).
    pub last_modify_time: SystemTime,
    /// Largest accepted message body, in bytes (1024–65536).
    pub maximum_message_size: u32,
    /// How long the topic keeps a message (fixed at one day by the service).
    pub message_retention_period: Duration,
    /// Messages currently held in the topic.
    pub message_count: u64,
    /// Whether logging to the account's log project is on.
    pub logging_enabled: bool,
}

/// The settable attributes of a topic, for `CreateTopic` and `SetTopicAttributes`.
/// `None` leaves the service's default (on create) or the current value (on set).
///
/// ```
/// use mns_client::topic::TopicOptions;
/// let opts = TopicOptions { maximum_message_size: Some(10240), logging_enabled: Some(true) };
/// opts.validate()?;
/// assert!(TopicOptions { maximum_message_size: Some(100), ..Default::default() }.validate().is_err());
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicOptions {
    /// Largest accepted message body, in bytes: 1024–65536 (default 65536).
    pub maximum_message_size: Option<u32>,
    /// Whether to log to the account's log project (default false).
    pub logging_enabled: Option<bool>,
}

impl TopicOptions {
    /// Checks the values against the service's ranges.
    pub fn validate(&self) -> Result<()> {
        if let Some(size) = self.maximum_message_size {
            let range = limits::MIN_MAXIMUM_MESSAGE_SIZE..=limits::MAX_MAXIMUM_MESSAGE_SIZE;
            if !range.contains(&size) {
                return Err(invalid(format!(
                    "MaximumMessageSize must be between {} and {}, got {size}",
                    range.start(),
                    range.end()
                )));
            }
        }
        Ok(())
    }
}

/// Attributes of a subscription, as returned by `GetSubscriptionAttributes` (reference §2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionAttributes {
    /// The subscription's name.
    pub subscription_name: SubscriptionName,
    /// The topic's name.
    pub topic_name: TopicName,
    /// The topic owner's account id.
    pub topic_owner: String,
    /// The subscriber's account id (absent in some service answers).
    pub subscriber: Option<String>,
    /// Where messages are delivered.
    pub endpoint: Endpoint,
    /// How failed pushes are retried.
    pub notify_strategy: NotifyStrategy,
    /// The shape of what is delivered.
    pub notify_content_format: NotifyContentFormat,
    /// The tag messages must carry to be delivered; `None` delivers every message.
    pub filter_tag: Option<FilterTag>,
    /// When the subscription was created (Unix seconds on the wire).
    pub create_time: SystemTime,
    /// When the subscription was last changed (Unix seconds on the wire).
    pub last_modify_time: SystemTime,
}

/// The optional attributes of a new subscription (`Subscribe`); the endpoint is given separately.
/// `None` leaves the service's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// Deliver only messages tagged with this tag (default: every message).
    pub filter_tag: Option<FilterTag>,
    /// Retry strategy (default `BACKOFF_RETRY`).
    pub notify_strategy: Option<NotifyStrategy>,
    /// Delivered shape (default `XML`).
    pub notify_content_format: Option<NotifyContentFormat>,
}

/// The attributes `SetSubscriptionAttributes` can change. The documented API changes only the
/// strategy; one official SDK also sends the filter tag, whose effect is (unconfirmed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// New retry strategy.
    pub notify_strategy: Option<NotifyStrategy>,
    /// New filter tag.
    pub filter_tag: Option<FilterTag>,
}

/// Options of `PublishMessage` beyond the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// The message's tag, matched against subscriptions' [`FilterTag`]s.
    pub message_tag: Option<MessageTag>,
    /// Per-endpoint extras for mail and SMS subscriptions.
    pub message_attributes: MessageAttributes,
    /// User properties (sent only when non-empty; same rules as on queue messages).
    pub user_properties: Vec<UserProperty>,
    /// System properties (sent only when non-empty); only `traceparent`, `tracestate` and
    /// `baggage` may be set by a client.
    pub system_properties: SystemProperties,
    /// `MessageGroupId`, for FIFO topics; sent only when set, must be non-empty when set.
    pub message_group_id: Option<String>,
}

/// One page of `ListTopic` (reference §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicPage {
    /// The topics on this page, in the service's order (by name).
    pub topics: Vec<TopicSummary>,
    /// Marker for the next page ([`ListOptions::marker`](crate::ListOptions::marker)); `None`
    /// on the last page.
    pub next_marker: Option<String>,
}

/// One topic in a `ListTopic` page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicSummary {
    /// The topic's name (the last segment of its URL when listed without attributes).
    pub name: TopicName,
    /// The topic's URL as the service reports it (`TopicURL`).
    pub url: String,
    /// The attributes, when listed with [`ListOptions::with_meta`](crate::ListOptions::with_meta).
    pub attributes: Option<TopicAttributes>,
}

/// One page of `ListSubscriptionByTopic` (reference §2.10).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionPage {
    /// The subscriptions on this page, in the service's order (by name).
    pub subscriptions: Vec<SubscriptionSummary>,
    /// Marker for the next page ([`ListOptions::marker`](crate::ListOptions::marker)); `None`
    /// on the last page.
    pub next_marker: Option<String>,
}

/// One subscription in a `ListSubscriptionByTopic` page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionSummary {
    /// The subscription's name (the last segment of its URL when listed without attributes).
    pub name: SubscriptionName,
    /// The subscription's URL as the service reports it (`SubscriptionURL`).
    pub url: String,
    /// The attributes, when listed with [`ListOptions::with_meta`](crate::ListOptions::with_meta).
    pub attributes: Option<SubscriptionAttributes>,
}

/// What the service returned for a published message (`PublishMessage`, reference §2.11).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishReceipt {
    /// The new message's id.
    pub message_id: String,
    /// Upper-case hex MD5 of the transmitted body (already checked by the client).
    pub body_md5: String,
    /// The `MessageGroupId` the service echoed (FIFO topics), if any.
    pub message_group_id: Option<String>,
}
