//! Topic and subscription actions (reference mns-openapi-fifo-dlq §3.4, §3.5).

use serde_json::{Value, json};

use super::ActionCtx;
use super::actions::{
    all_pages, check_dlq_target, dlq_error, has_tags, json_bool, json_string, kind, page_json,
    paging, rate_limit, rate_limit_json, tags_json, write_ok,
};
use super::error::OpenApiError;
use super::params::Params;
use crate::engine::{
    Endpoint, NotifyStrategy, QueueKind, ResourceMeta, SubscribeInput, SubscriptionAttributes,
    SubscriptionDlqPolicy, SubscriptionUpdate, TopicAttributes, TopicAttributesInput,
    validate_tags,
};

fn topic_attrs(p: &Params) -> Result<TopicAttributesInput, OpenApiError> {
    Ok(TopicAttributesInput {
        maximum_message_size: p.int("MaxMessageSize")?,
        logging_enabled: p.bool("EnableLogging")?,
    })
}

fn topic_json(a: &TopicAttributes, kind: QueueKind, meta: &ResourceMeta, base_url: &str) -> Value {
    json!({
        "TopicName": a.name,
        "TopicType": kind.as_str(),
        "CreateTime": a.create_time,
        "LastModifyTime": a.last_modify_time,
        "MaxMessageSize": a.maximum_message_size,
        "MessageCount": a.message_count,
        "MessageRetentionPeriod": a.message_retention_period,
        "LoggingEnabled": a.logging_enabled,
        "TopicUrl": format!("{base_url}/topics/{}", a.name),
        "TopicInnerUrl": format!("{base_url}/topics/{}", a.name),
        "Tags": tags_json(&meta.tags),
        "EnableSSE": false,
        "EncryptionEnabled": false,
    })
}

pub(super) fn create_topic(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("TopicName")?;
    let kind = kind(p, "TopicType")?.unwrap_or_default();
    let attrs = topic_attrs(p)?;
    let tags = p.tags()?;
    validate_tags(&tags).map_err(OpenApiError::from)?;
    let mut state = ctx.shared.lock();
    if super::CREATE_EXISTING_COMPARES_TAGS_AND_RATE_LIMIT
        && let Ok(meta) = state.engine.topic_meta(name)
        && super::tags::tags_differ(&meta.tags, &tags)
    {
        return Err(crate::error::MnsError::topic_already_exist().into());
    }
    let outcome = state.engine.create_topic_with(name, attrs, kind, ctx.now)?;
    if outcome == crate::engine::CreateOutcome::Created {
        state.engine.set_topic_tags(name, tags, ctx.now)?;
    }
    Ok(write_ok())
}

pub(super) fn set_topic_attributes(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("TopicName")?;
    let attrs = topic_attrs(p)?;
    ctx.shared
        .lock()
        .engine
        .set_topic_attributes(name, attrs, ctx.now)?;
    Ok(write_ok())
}

pub(super) fn get_topic_attributes(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("TopicName")?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let attrs = engine.get_topic_attributes(name, ctx.now)?;
    let kind = engine.topic_kind(name)?;
    let meta = engine.topic_meta(name)?;
    Ok(Some(topic_json(&attrs, kind, &meta, ctx.base_url)))
}

pub(super) fn delete_topic(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("TopicName")?;
    ctx.shared.lock().engine.delete_topic(name, ctx.now)?;
    Ok(Some(json!({})))
}

pub(super) fn list_topics(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let (page_num, page_size) = paging(p)?;
    let prefix = p.optional("TopicName").unwrap_or("").to_owned();
    let kind = kind(p, "TopicType")?;
    let tags = p.tags()?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let now = ctx.now;
    let all = all_pages(|req| {
        engine
            .list_topics(req, now)
            .map(|page| (page.topics, page.next_marker))
    })?;
    let mut matching = Vec::new();
    for a in all.into_iter().filter(|a| a.name.starts_with(&prefix)) {
        let k = engine.topic_kind(&a.name)?;
        let meta = engine.topic_meta(&a.name)?;
        if kind.is_none_or(|want| want == k) && has_tags(&meta.tags, &tags) {
            matching.push(topic_json(&a, k, &meta, ctx.base_url));
        }
    }
    Ok(Some(page_json(matching, page_num, page_size, false)))
}

/// Subscription `DlqPolicy` (`{Enabled, DeadLetterTargetQueue}`).
fn subscription_dlq(p: &Params) -> Result<Option<SubscriptionDlqPolicy>, OpenApiError> {
    const NAME: &str = "DlqPolicy";
    let Some(map) = p.json_object(NAME)? else {
        return Ok(None);
    };
    let enabled = json_bool(&map, "Enabled", NAME)?.unwrap_or(false);
    let target = json_string(&map, "DeadLetterTargetQueue", NAME)?;
    if enabled && target.is_none() {
        return Err(OpenApiError::invalid(
            NAME,
            "an enabled policy needs DeadLetterTargetQueue.",
        ));
    }
    Ok(Some(SubscriptionDlqPolicy {
        enabled,
        dead_letter_target_queue: target.unwrap_or_default(),
    }))
}

fn notify_strategy(p: &Params) -> Result<Option<String>, OpenApiError> {
    p.optional("NotifyStrategy")
        .map(|s| {
            NotifyStrategy::parse(s)
                .map(|_| s.to_owned())
                .map_err(|e| OpenApiError::invalid("NotifyStrategy", e.message()))
        })
        .transpose()
}

/// Checks an enabled subscription DLQ policy before anything changes: the target exists and is
/// not the subscription's own endpoint queue.
fn check_subscription_dlq(
    engine: &crate::engine::Engine,
    endpoint: &Endpoint,
    dlq: Option<&SubscriptionDlqPolicy>,
) -> Result<(), OpenApiError> {
    let Some(d) = dlq.filter(|d| d.enabled) else {
        return Ok(());
    };
    if matches!(endpoint, Endpoint::Queue { queue, .. } if *queue == d.dead_letter_target_queue) {
        return Err(dlq_error(
            engine,
            "A subscription's dead-letter queue cannot be its own endpoint queue.",
        ));
    }
    check_dlq_target(engine, &d.dead_letter_target_queue)
}

pub(super) fn subscribe(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let topic = p.required("TopicName")?;
    let name = p.required("SubscriptionName")?;
    let push_type = p.required("PushType")?.to_ascii_lowercase();
    let endpoint_raw = p.required("Endpoint")?;
    let endpoint = Endpoint::parse(endpoint_raw)?;
    let type_matches = match (push_type.as_str(), &endpoint) {
        ("http", Endpoint::Http { .. }) | ("queue", Endpoint::Queue { .. }) => true,
        ("http" | "queue", _) => false,
        (other, _) => {
            return Err(OpenApiError::invalid(
                "PushType",
                format!("{other:?}: the emulator delivers to http and queue endpoints."),
            ));
        }
    };
    if !type_matches {
        return Err(OpenApiError::invalid(
            "Endpoint",
            format!("{endpoint_raw:?} is not a {push_type} endpoint."),
        ));
    }
    let input = SubscribeInput {
        endpoint: Some(endpoint_raw.to_owned()),
        filter_tag: p.optional("MessageTag").map(str::to_owned),
        notify_strategy: notify_strategy(p)?,
        notify_content_format: p.optional("NotifyContentFormat").map(str::to_owned),
    };
    let dlq = subscription_dlq(p)?;
    let limit = rate_limit(p)?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    check_subscription_dlq(engine, &endpoint, dlq.as_ref())?;
    let outcome = engine.subscribe(topic, name, input, ctx.now)?;
    if outcome == crate::engine::CreateOutcome::Created {
        if dlq.is_some() {
            engine.set_subscription_dlq_policy(topic, name, dlq, ctx.now)?;
        }
        engine.set_subscription_rate_limit(topic, name, limit, ctx.now)?;
    }
    Ok(Some(Value::String(name.to_owned())))
}

pub(super) fn set_subscription_attributes(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let topic = p.required("TopicName")?;
    let name = p.required("SubscriptionName")?;
    let strategy = notify_strategy(p)?;
    let dlq = subscription_dlq(p)?;
    let limit = rate_limit(p)?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let current = engine.get_subscription_attributes(topic, name)?;
    check_subscription_dlq(engine, &current.endpoint, dlq.as_ref())?;
    if dlq.is_some() {
        engine.set_subscription_dlq_policy(topic, name, dlq, ctx.now)?;
    }
    if strategy.is_some() {
        let update = SubscriptionUpdate {
            notify_strategy: strategy,
            filter_tag: None,
        };
        engine.set_subscription_attributes(topic, name, update, ctx.now)?;
    }
    if limit.is_some() {
        engine.set_subscription_rate_limit(topic, name, limit, ctx.now)?;
    }
    Ok(write_ok())
}

fn subscription_json(
    a: &SubscriptionAttributes,
    dlq: Option<&SubscriptionDlqPolicy>,
    meta: &ResourceMeta,
    with_rate_limit: bool,
) -> Value {
    let mut v = json!({
        "SubscriptionName": a.name,
        "TopicName": a.topic_name,
        "TopicOwner": a.topic_owner,
        "Endpoint": a.endpoint.as_str(),
        "FilterTag": a.filter_tag.clone().unwrap_or_default(),
        "NotifyStrategy": a.notify_strategy.as_str(),
        "NotifyContentFormat": a.notify_content_format.as_str(),
        "CreateTime": a.create_time,
        "LastModifyTime": a.last_modify_time,
    });
    if let Value::Object(m) = &mut v {
        if let Some(d) = dlq {
            let mut policy = json!({"Enabled": d.enabled});
            if let Value::Object(pm) = &mut policy
                && !d.dead_letter_target_queue.is_empty()
            {
                pm.insert(
                    "DeadLetterTargetQueue".into(),
                    d.dead_letter_target_queue.clone().into(),
                );
            }
            m.insert("DlqPolicy".into(), policy);
        }
        if with_rate_limit && let Some(r) = &meta.rate_limit {
            m.insert("TenantRateLimitPolicy".into(), rate_limit_json(r));
        }
    }
    v
}

pub(super) fn get_subscription_attributes(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let topic = p.required("TopicName")?;
    let name = p.required("SubscriptionName")?;
    let state = ctx.shared.lock();
    let engine = &state.engine;
    let a = engine.get_subscription_attributes(topic, name)?;
    let dlq = engine.subscription_dlq_policy(topic, name)?;
    let meta = engine.subscription_meta(topic, name)?;
    Ok(Some(subscription_json(&a, dlq.as_ref(), &meta, true)))
}

pub(super) fn unsubscribe(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let topic = p.required("TopicName")?;
    let name = p.required("SubscriptionName")?;
    ctx.shared.lock().engine.unsubscribe(topic, name, ctx.now)?;
    Ok(write_ok())
}

pub(super) fn list_subscriptions(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let topic = p.required("TopicName")?;
    let (page_num, page_size) = paging(p)?;
    let prefix = p.optional("SubscriptionName").unwrap_or("").to_owned();
    let endpoint_value = p.optional("EndpointValue");
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let now = ctx.now;
    let all = all_pages(|req| {
        engine
            .list_subscriptions(topic, req, now)
            .map(|page| (page.subscriptions, page.next_marker))
    })?;
    let mut matching = Vec::new();
    for a in all.into_iter().filter(|a| a.name.starts_with(&prefix)) {
        if endpoint_value.is_some_and(|e| a.endpoint.as_str() != e) {
            continue;
        }
        let dlq = engine.subscription_dlq_policy(topic, &a.name)?;
        let meta = engine.subscription_meta(topic, &a.name)?;
        matching.push(subscription_json(&a, dlq.as_ref(), &meta, false));
    }
    Ok(Some(page_json(matching, page_num, page_size, true)))
}
