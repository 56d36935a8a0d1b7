//! Decoding the `Data` of control-plane answers into the typed values of [`super::model`].
//! Lenient where the service is: numbers may come as JSON numbers or as strings
//! (`MaxReceiveCount` is a string in the models), booleans as `true` or `"true"`, and absent
//! fields take their defaults.

use serde_json::Value;

use super::model::{
    ControlPage, ControlQueue, ControlSubscription, ControlTopic, QueueDlqPolicy, QueueType,
    RateLimitPolicy, SubscriptionDlqPolicy, Tag, TopicType,
};
use crate::error::Error;

fn decode_error(operation: &'static str, message: String) -> Error {
    Error::Decode {
        operation,
        status: 200,
        request_id: None,
        message,
    }
}

fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn small(v: &Value, key: &str) -> u32 {
    number(v, key)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

fn boolean(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn object<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key)
        .filter(|o| o.as_object().is_some_and(|m| !m.is_empty()))
}

fn tags(v: &Value) -> Vec<Tag> {
    v.get("Tags")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|t| {
                    Tag::new(
                        string(t, "TagKey").unwrap_or_default(),
                        string(t, "TagValue").unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn rate_limit(v: &Value) -> Option<RateLimitPolicy> {
    object(v, "TenantRateLimitPolicy").map(|p| RateLimitPolicy {
        enabled: boolean(p, "Enabled"),
        max_receives_per_second: number(p, "MaxReceivesPerSecond")
            .and_then(|n| u32::try_from(n).ok()),
    })
}

pub(crate) fn queue(op: &'static str, v: &Value) -> Result<ControlQueue, Error> {
    let name = string(v, "QueueName")
        .ok_or_else(|| decode_error(op, "the queue has no QueueName".into()))?;
    let queue_type = match string(v, "QueueType") {
        Some(t) if !t.is_empty() => t
            .parse::<QueueType>()
            .map_err(|e| decode_error(op, e.to_string()))?,
        _ => QueueType::Normal,
    };
    let dlq_policy = object(v, "DlqPolicy").map(|p| QueueDlqPolicy {
        enabled: boolean(p, "Enabled"),
        dead_letter_target_queue: string(p, "DeadLetterTargetQueue").filter(|s| !s.is_empty()),
        max_receive_count: number(p, "MaxReceiveCount").and_then(|n| u32::try_from(n).ok()),
    });
    Ok(ControlQueue {
        name,
        queue_type,
        create_time: number(v, "CreateTime").unwrap_or(0),
        last_modify_time: number(v, "LastModifyTime").unwrap_or(0),
        delay_seconds: small(v, "DelaySeconds"),
        maximum_message_size: small(v, "MaximumMessageSize"),
        message_retention_period: small(v, "MessageRetentionPeriod"),
        polling_wait_seconds: small(v, "PollingWaitSeconds"),
        visibility_timeout: small(v, "VisibilityTimeout"),
        logging_enabled: boolean(v, "LoggingEnabled"),
        dlq_policy,
        rate_limit: rate_limit(v),
        tags: tags(v),
    })
}

pub(crate) fn topic(op: &'static str, v: &Value) -> Result<ControlTopic, Error> {
    let name = string(v, "TopicName")
        .ok_or_else(|| decode_error(op, "the topic has no TopicName".into()))?;
    let topic_type = match string(v, "TopicType") {
        Some(t) if !t.is_empty() => t
            .parse::<TopicType>()
            .map_err(|e| decode_error(op, e.to_string()))?,
        _ => TopicType::Normal,
    };
    Ok(ControlTopic {
        name,
        topic_type,
        create_time: number(v, "CreateTime").unwrap_or(0),
        last_modify_time: number(v, "LastModifyTime").unwrap_or(0),
        max_message_size: small(v, "MaxMessageSize"),
        message_retention_period: small(v, "MessageRetentionPeriod"),
        message_count: number(v, "MessageCount").unwrap_or(0),
        logging_enabled: boolean(v, "LoggingEnabled"),
        tags: tags(v),
    })
}

pub(crate) fn subscription(op: &'static str, v: &Value) -> Result<ControlSubscription, Error> {
    let name = string(v, "SubscriptionName")
        .ok_or_else(|| decode_error(op, "the subscription has no SubscriptionName".into()))?;
    Ok(ControlSubscription {
        name,
        topic_name: string(v, "TopicName").unwrap_or_default(),
        topic_owner: string(v, "TopicOwner").unwrap_or_default(),
        endpoint: string(v, "Endpoint").unwrap_or_default(),
        filter_tag: string(v, "FilterTag").filter(|s| !s.is_empty()),
        notify_strategy: string(v, "NotifyStrategy").unwrap_or_default(),
        notify_content_format: string(v, "NotifyContentFormat").unwrap_or_default(),
        create_time: number(v, "CreateTime").unwrap_or(0),
        last_modify_time: number(v, "LastModifyTime").unwrap_or(0),
        dlq_policy: object(v, "DlqPolicy").map(|p| SubscriptionDlqPolicy {
            enabled: boolean(p, "Enabled"),
            dead_letter_target_queue: string(p, "DeadLetterTargetQueue").filter(|s| !s.is_empty()),
        }),
        rate_limit: rate_limit(v),
    })
}

/// A page object `{PageData, PageNum, PageSize, Total}`.
pub(crate) fn page<T>(
    op: &'static str,
    v: &Value,
    item: impl Fn(&'static str, &Value) -> Result<T, Error>,
) -> Result<ControlPage<T>, Error> {
    let items = match v.get("PageData") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| item(op, i))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(decode_error(op, "PageData is not an array".into())),
    };
    Ok(ControlPage {
        items,
        page_num: small(v, "PageNum"),
        page_size: small(v, "PageSize"),
        total: number(v, "Total").unwrap_or(0),
    })
}
