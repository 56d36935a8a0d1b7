//! Queue options (inputs), attributes (outputs) and list pages.

use super::*;

/// Settable queue attributes. Every field is optional: `None` leaves the service default (on
/// create) or the current value (on [`set_queue_attributes`](crate::Client::set_queue_attributes)).
///
/// ```
/// use mns_client::QueueOptions;
/// let attrs = QueueOptions { visibility_timeout: Some(60), ..QueueOptions::default() };
/// assert!(attrs.validate().is_ok());
/// let bad = QueueOptions { polling_wait_seconds: Some(31), ..QueueOptions::default() };
/// assert!(bad.validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueOptions {
    /// Default delay of new messages, 0–604800 s (service default 0).
    pub delay_seconds: Option<u32>,
    /// Largest accepted body, 1024–65536 bytes (service default 65536).
    pub maximum_message_size: Option<u32>,
    /// How long messages are kept, 60–604800 s (service default 345600).
    pub message_retention_period: Option<u32>,
    /// How long a received message stays invisible, 1–43200 s (service default 30).
    pub visibility_timeout: Option<u32>,
    /// Default long-poll wait, 0–30 s (service default 0).
    pub polling_wait_seconds: Option<u32>,
    /// Whether access logging is enabled (service default false).
    pub logging_enabled: Option<bool>,
}

impl QueueOptions {
    /// Checks every present value against the service's ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(v) = self.delay_seconds {
            check_range("DelaySeconds", v, (0, limits::DELAY_SECONDS_MAX))?;
        }
        if let Some(v) = self.maximum_message_size {
            check_range("MaximumMessageSize", v, limits::MAXIMUM_MESSAGE_SIZE)?;
        }
        if let Some(v) = self.message_retention_period {
            check_range(
                "MessageRetentionPeriod",
                v,
                limits::MESSAGE_RETENTION_PERIOD,
            )?;
        }
        if let Some(v) = self.visibility_timeout {
            check_range("VisibilityTimeout", v, limits::VISIBILITY_TIMEOUT)?;
        }
        if let Some(v) = self.polling_wait_seconds {
            check_range("PollingWaitSeconds", v, (0, limits::WAIT_SECONDS_MAX))?;
        }
        Ok(())
    }
}

/// Everything GetQueueAttributes reports about a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueAttributes {
    /// The queue's name.
    pub name: String,
    /// When the queue was created (the service reports whole seconds).
    pub create_time: SystemTime,
    /// When the attributes last changed (whole seconds).
    pub last_modify_time: SystemTime,
    /// Default delay of new messages, in seconds.
    pub delay_seconds: u32,
    /// Largest accepted body, in bytes.
    pub maximum_message_size: u32,
    /// How long messages are kept, in seconds.
    pub message_retention_period: u32,
    /// How long a received message stays invisible, in seconds.
    pub visibility_timeout: u32,
    /// Default long-poll wait, in seconds.
    pub polling_wait_seconds: u32,
    /// Approximate number of visible messages (deprecated by the service; may be 0).
    pub active_messages: u64,
    /// Approximate number of received, not yet visible messages (may be 0).
    pub inactive_messages: u64,
    /// Approximate number of delayed messages (may be 0).
    pub delay_messages: u64,
    /// Whether access logging is enabled.
    pub logging_enabled: bool,
}

/// One page of ListQueue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueuePage {
    /// The queues on this page.
    pub queues: Vec<QueueSummary>,
    /// Marker for the next page; `None` on the last page.
    pub next_marker: Option<String>,
}

/// One queue in a ListQueue page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueSummary {
    /// The queue's name.
    pub name: QueueName,
    /// The queue's URL as reported by the service.
    pub url: String,
    /// The attributes, when listed with [`ListOptions::with_meta`](crate::ListOptions::with_meta).
    pub attributes: Option<QueueAttributes>,
}
