//! Queue and account actions, and the action table (topics and subscriptions are in
//! `topic_actions.rs`). Every action parses and checks all its parameters before it changes
//! anything, so bad input changes nothing.

use serde_json::{Map, Value, json};

use super::error::OpenApiError;
use super::params::Params;
use super::topic_actions;
use super::{ActionCtx, DEFAULT_PAGE_SIZE, UNSUPPORTED_FEATURE_CODE, UNSUPPORTED_FEATURE_STATUS};
use crate::engine::{
    Engine, ListRequest, QueueAttributes, QueueAttributesInput, QueueDlqPolicy, QueueKind,
    RateLimitPolicy, ResourceMeta, ResourceTag, validate_tags,
};
use crate::error::{ErrorCode, MnsError};

/// Runs `action`. Unknown actions are 404 `InvalidApi.NotFound`.
pub(super) fn dispatch(
    ctx: &ActionCtx<'_>,
    action: &str,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let result = match action {
        "CreateQueue" => create_queue(ctx, p),
        "SetQueueAttributes" => set_queue_attributes(ctx, p),
        "GetQueueAttributes" => get_queue_attributes(ctx, p),
        "DeleteQueue" => delete_queue(ctx, p),
        "ListQueue" => list_queues(ctx, p),
        "CreateTopic" => topic_actions::create_topic(ctx, p),
        "SetTopicAttributes" => topic_actions::set_topic_attributes(ctx, p),
        "GetTopicAttributes" => topic_actions::get_topic_attributes(ctx, p),
        "DeleteTopic" => topic_actions::delete_topic(ctx, p),
        "ListTopic" => topic_actions::list_topics(ctx, p),
        "Subscribe" => topic_actions::subscribe(ctx, p),
        "SetSubscriptionAttributes" => topic_actions::set_subscription_attributes(ctx, p),
        "GetSubscriptionAttributes" => topic_actions::get_subscription_attributes(ctx, p),
        "Unsubscribe" => topic_actions::unsubscribe(ctx, p),
        "ListSubscriptionByTopic" => topic_actions::list_subscriptions(ctx, p),
        "TagResources" => super::tags::tag_resources(ctx, p),
        "UntagResources" => super::tags::untag_resources(ctx, p),
        "GetAccountAttributes" => get_account_attributes(ctx),
        "SetAccountAttributes" => set_account_attributes(ctx, p),
        "AuthorizeEndpointAcl"
        | "RevokeEndpointAcl"
        | "EnableEndpoint"
        | "DisableEndpoint"
        | "GetEndpointAttribute"
        | "CreateEventRule"
        | "DeleteEventRule"
        | "GetEventRule"
        | "ListEventRules" => Err(OpenApiError::new(
            UNSUPPORTED_FEATURE_STATUS,
            UNSUPPORTED_FEATURE_CODE,
            format!("{action} needs a feature this account has not enabled."),
        )),
        other => Err(OpenApiError::new(
            404,
            "InvalidApi.NotFound",
            format!("Specified api {other:?} is not found, please check your url and method."),
        )),
    };
    if result.is_ok() && !action.starts_with("Get") && !action.starts_with("List") {
        // Settings changed; long polls re-check their queue (as after direct engine access).
        ctx.shared.wake_all();
    }
    result
}

/// The `{Code, Message, Success}` data of write actions.
pub(super) fn write_ok() -> Option<Value> {
    Some(json!({"Code": 200, "Message": "operation success", "Success": true}))
}

/// A parsed `QueueType` / `TopicType`.
pub(super) fn kind(p: &Params, name: &str) -> Result<Option<QueueKind>, OpenApiError> {
    p.optional(name)
        .map(|v| QueueKind::parse(v).map_err(|e| OpenApiError::invalid(name, e.message())))
        .transpose()
}

/// `TenantRateLimitPolicy`.
pub(super) fn rate_limit(p: &Params) -> Result<Option<RateLimitPolicy>, OpenApiError> {
    const NAME: &str = "TenantRateLimitPolicy";
    let Some(map) = p.json_object(NAME)? else {
        return Ok(None);
    };
    let enabled = json_bool(&map, "Enabled", NAME)?.unwrap_or(false);
    let max = json_u32(&map, "MaxReceivesPerSecond", NAME)?;
    if enabled && max.is_none_or(|m| m == 0) {
        return Err(OpenApiError::invalid(
            NAME,
            "an enabled policy needs a positive MaxReceivesPerSecond.",
        ));
    }
    Ok(Some(RateLimitPolicy {
        enabled,
        max_receives_per_second: max,
    }))
}

pub(super) fn json_bool(
    map: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<bool>, OpenApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(OpenApiError::invalid(
            param,
            format!("{key} is not a boolean."),
        )),
    }
}

pub(super) fn json_u32(
    map: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<u32>, OpenApiError> {
    let bad = || OpenApiError::invalid(param, format!("{key} is not a whole number."));
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

pub(super) fn json_string(
    map: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<String>, OpenApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
        Some(_) => Err(OpenApiError::invalid(
            param,
            format!("{key} is not a string."),
        )),
    }
}

/// A DLQ policy error in the engine's configured code (400).
pub(super) fn dlq_error(engine: &Engine, message: impl Into<String>) -> OpenApiError {
    OpenApiError::from(MnsError::new(
        ErrorCode::parse(engine.config().dlq_policy_error_code),
        message.into(),
    ))
}

/// Checks that an enabled policy's target exists (when the engine requires it), answering with
/// the DLQ policy error rather than the engine's `QueueNotExist`, which would read as if the
/// source were missing.
pub(super) fn check_dlq_target(engine: &Engine, target: &str) -> Result<(), OpenApiError> {
    if engine.config().dlq_target_must_exist && !engine.queue_exists(target) {
        return Err(dlq_error(
            engine,
            format!("The dead-letter queue {target:?} does not exist."),
        ));
    }
    Ok(())
}

/// Queue `DlqPolicy`: `{"Enabled":false}` disables; an enabled one needs its target and count.
fn queue_dlq(p: &Params) -> Result<Option<QueueDlqPolicy>, OpenApiError> {
    const NAME: &str = "DlqPolicy";
    let Some(map) = p.json_object(NAME)? else {
        return Ok(None);
    };
    let enabled = json_bool(&map, "Enabled", NAME)?.unwrap_or(false);
    let target = json_string(&map, "DeadLetterTargetQueue", NAME)?;
    let count = json_u32(&map, "MaxReceiveCount", NAME)?;
    if !enabled {
        return Ok(Some(QueueDlqPolicy {
            enabled: false,
            dead_letter_target_queue: target.unwrap_or_default(),
            max_receive_count: count.unwrap_or(0),
        }));
    }
    let target = target.ok_or_else(|| {
        OpenApiError::invalid(NAME, "an enabled policy needs DeadLetterTargetQueue.")
    })?;
    let count = count
        .ok_or_else(|| OpenApiError::invalid(NAME, "an enabled policy needs MaxReceiveCount."))?;
    Ok(Some(QueueDlqPolicy::new(target, count)))
}

fn queue_attrs(p: &Params) -> Result<QueueAttributesInput, OpenApiError> {
    Ok(QueueAttributesInput {
        delay_seconds: p.int("DelaySeconds")?,
        maximum_message_size: p.int("MaximumMessageSize")?,
        message_retention_period: p.int("MessageRetentionPeriod")?,
        visibility_timeout: p.int("VisibilityTimeout")?,
        polling_wait_seconds: p.int("PollingWaitSeconds")?,
        logging_enabled: p.bool("EnableLogging")?,
    })
}

pub(super) fn tags_json(tags: &[ResourceTag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"TagKey": t.key, "TagValue": t.value}))
            .collect(),
    )
}

pub(super) fn rate_limit_json(r: &RateLimitPolicy) -> Value {
    let mut v = json!({"Enabled": r.enabled});
    if let (Some(n), Value::Object(m)) = (r.max_receives_per_second, &mut v) {
        m.insert("MaxReceivesPerSecond".into(), n.into());
    }
    v
}

/// Whether a resource carries every tag of `filter`.
pub(super) fn has_tags(tags: &[ResourceTag], filter: &[ResourceTag]) -> bool {
    filter.iter().all(|f| tags.contains(f))
}

/// `PageNum` (1–100000000) and `PageSize` (clamped to 10–50).
pub(super) fn paging(p: &Params) -> Result<(u64, u64), OpenApiError> {
    let num = p.int("PageNum")?.unwrap_or(1).clamp(1, 100_000_000) as u64;
    let size = p
        .int("PageSize")?
        .unwrap_or(i64::from(DEFAULT_PAGE_SIZE))
        .clamp(10, 50) as u64;
    Ok((num, size))
}

fn queue_json(
    a: &QueueAttributes,
    kind: QueueKind,
    dlq: Option<&QueueDlqPolicy>,
    meta: &ResourceMeta,
    base_url: &str,
    with_rate_limit: bool,
) -> Value {
    let mut v = json!({
        "QueueName": a.name,
        "QueueType": kind.as_str(),
        "CreateTime": a.create_time,
        "LastModifyTime": a.last_modify_time,
        "DelaySeconds": a.delay_seconds,
        "MaximumMessageSize": a.maximum_message_size,
        "MessageRetentionPeriod": a.message_retention_period,
        "PollingWaitSeconds": a.polling_wait_seconds,
        "VisibilityTimeout": a.visibility_timeout,
        "LoggingEnabled": a.logging_enabled,
        "ActiveMessages": a.active_messages,
        "InactiveMessages": a.inactive_messages,
        "DelayMessages": a.delay_messages,
        "Tags": tags_json(&meta.tags),
        "EnableSSE": false,
        "EncryptionEnabled": false,
        "QueueUrl": format!("{base_url}/queues/{}", a.name),
        "QueueInternalUrl": format!("{base_url}/queues/{}", a.name),
    });
    let Value::Object(m) = &mut v else {
        return v;
    };
    if let Some(d) = dlq {
        let mut policy = json!({"Enabled": d.enabled});
        if let Value::Object(pm) = &mut policy {
            if !d.dead_letter_target_queue.is_empty() {
                pm.insert(
                    "DeadLetterTargetQueue".into(),
                    d.dead_letter_target_queue.clone().into(),
                );
            }
            if d.max_receive_count > 0 {
                // A string in every SDK model (reference §3.3).
                pm.insert(
                    "MaxReceiveCount".into(),
                    d.max_receive_count.to_string().into(),
                );
            }
        }
        m.insert("DlqPolicy".into(), policy);
    }
    if with_rate_limit && let Some(r) = &meta.rate_limit {
        m.insert("TenantRateLimitPolicy".into(), rate_limit_json(r));
    }
    v
}

fn create_queue(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("QueueName")?.to_owned();
    let kind = kind(p, "QueueType")?.unwrap_or_default();
    let attrs = queue_attrs(p)?;
    let dlq = queue_dlq(p)?;
    let limit = rate_limit(p)?;
    let tags = p.tags()?;
    validate_tags(&tags).map_err(OpenApiError::from)?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    if super::CREATE_EXISTING_COMPARES_TAGS_AND_RATE_LIMIT
        && let Ok(meta) = engine.queue_meta(&name)
        && (meta.rate_limit != limit || super::tags::tags_differ(&meta.tags, &tags))
    {
        return Err(MnsError::queue_already_exist().into());
    }
    if let Some(d) = dlq.as_ref().filter(|d| d.enabled) {
        if d.dead_letter_target_queue == name {
            return Err(dlq_error(
                engine,
                "A queue cannot be its own dead-letter queue.",
            ));
        }
        check_dlq_target(engine, &d.dead_letter_target_queue)?;
    }
    let outcome = engine.create_queue_with(&name, attrs, kind, dlq, ctx.now)?;
    if outcome == crate::engine::CreateOutcome::Created {
        // Validated above: these cannot fail on a queue that exists.
        engine.set_queue_tags(&name, tags, ctx.now)?;
        engine.set_queue_rate_limit(&name, limit, ctx.now)?;
    }
    Ok(write_ok())
}

fn set_queue_attributes(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("QueueName")?;
    let attrs = queue_attrs(p)?;
    let dlq = queue_dlq(p)?;
    let limit = rate_limit(p)?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let kind = engine.queue_kind(name)?;
    if let Some(d) = &dlq {
        if d.enabled {
            if d.dead_letter_target_queue == name {
                return Err(dlq_error(
                    engine,
                    "A queue cannot be its own dead-letter queue.",
                ));
            }
            check_dlq_target(engine, &d.dead_letter_target_queue)?;
        }
        engine.validate_queue_dlq(name, kind, d)?;
    }
    // Attributes are checked as a whole before any is applied; the policy was checked above.
    engine.set_queue_attributes(name, attrs, ctx.now)?;
    if let Some(d) = dlq {
        engine.set_queue_dlq_policy(name, Some(d), ctx.now)?;
    }
    if limit.is_some() {
        engine.set_queue_rate_limit(name, limit, ctx.now)?;
    }
    Ok(write_ok())
}

fn get_queue_attributes(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("QueueName")?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let attrs = engine.get_queue_attributes(name, ctx.now)?;
    let kind = engine.queue_kind(name)?;
    let dlq = engine.queue_dlq_policy(name)?;
    let meta = engine.queue_meta(name)?;
    Ok(Some(queue_json(
        &attrs,
        kind,
        dlq.as_ref(),
        &meta,
        ctx.base_url,
        true,
    )))
}

fn delete_queue(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let name = p.required("QueueName")?;
    let mut state = ctx.shared.lock();
    state.engine.delete_queue(name, ctx.now)?;
    state.forget_waiters(name);
    Ok(write_ok())
}

/// Every name in a BTreeMap-ordered listing of the engine (pages of 1000).
pub(super) fn all_pages<T>(
    mut fetch: impl FnMut(ListRequest) -> Result<(Vec<T>, Option<String>), MnsError>,
) -> Result<Vec<T>, OpenApiError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let (items, next) = fetch(ListRequest {
            prefix: None,
            marker: marker.take(),
            ret_number: Some(1000),
        })?;
        out.extend(items);
        match next {
            Some(m) => marker = Some(m),
            None => return Ok(out),
        }
    }
}

fn list_queues(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let (page_num, page_size) = paging(p)?;
    let prefix = p.optional("QueueName").unwrap_or("").to_owned();
    let kind = kind(p, "QueueType")?;
    let tags = p.tags()?;
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let now = ctx.now;
    let all = all_pages(|req| {
        engine
            .list_queues(req, now)
            .map(|page| (page.queues, page.next_marker))
    })?;
    let mut matching = Vec::new();
    for a in all.into_iter().filter(|a| a.name.starts_with(&prefix)) {
        let k = engine.queue_kind(&a.name)?;
        let meta = engine.queue_meta(&a.name)?;
        if kind.is_some_and(|want| want != k) || !has_tags(&meta.tags, &tags) {
            continue;
        }
        let dlq = engine.queue_dlq_policy(&a.name)?;
        matching.push(queue_json(&a, k, dlq.as_ref(), &meta, ctx.base_url, false));
    }
    Ok(Some(page_json(matching, page_num, page_size, true)))
}

/// A page object of `items` (all matches): `{PageData, PageNum, PageSize, Total}` plus `Pages`
/// and `Size` where the action's model has them.
pub(super) fn page_json(items: Vec<Value>, page_num: u64, page_size: u64, pages: bool) -> Value {
    let total = items.len() as u64;
    let start = usize::try_from((page_num - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    let data: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(usize::try_from(page_size).unwrap_or(usize::MAX))
        .collect();
    let mut v = json!({
        "PageNum": page_num,
        "PageSize": page_size,
        "Total": total,
    });
    if let Value::Object(m) = &mut v {
        if pages {
            m.insert("Pages".into(), total.div_ceil(page_size).into());
            m.insert("Size".into(), (data.len() as u64).into());
        }
        m.insert("PageData".into(), Value::Array(data));
    }
    v
}

fn get_account_attributes(ctx: &ActionCtx<'_>) -> Result<Option<Value>, OpenApiError> {
    let state = ctx.shared.lock();
    let a = &state.engine.account_settings().control;
    Ok(Some(json!({
        "LogEnabled": a.log_enabled,
        "LogStoreName": a.log_store_name,
        "MessageTraceEnabled": a.message_trace_enabled,
        "ProjectName": a.project_name,
    })))
}

fn set_account_attributes(ctx: &ActionCtx<'_>, p: &Params) -> Result<Option<Value>, OpenApiError> {
    let log_enabled = p.bool("LogEnabled")?;
    let trace = p.bool("MessageTraceEnabled")?;
    if let Some(token) = p.get("ClientToken")
        && (token.len() > 64 || !token.is_ascii())
    {
        return Err(OpenApiError::invalid(
            "ClientToken",
            "it is at most 64 ASCII characters.",
        ));
    }
    let store = p.get("LogStoreName").map(str::to_owned);
    let project = p.get("ProjectName").map(str::to_owned);
    ctx.shared.lock().engine.update_account_settings(|a| {
        let a = &mut a.control;
        if let Some(v) = log_enabled {
            a.log_enabled = v;
        }
        if let Some(v) = trace {
            a.message_trace_enabled = v;
        }
        if let Some(v) = store {
            a.log_store_name = v;
        }
        if let Some(v) = project {
            a.project_name = v;
        }
    });
    Ok(None)
}
