//! `TagResources` / `UntagResources`: the tag actions Terraform sends for queues and topics
//! (reference §3.1; not in the Python SDK 1.4.1). `ResourceType` is `queue` or `topic`,
//! `ResourceId.N` the resource names, `Tag.N.Key`/`Tag.N.Value` the tags to set (a key already
//! present gets the new value) or `TagKey.N` the keys to remove (`All=true` removes every tag).
//! Every resource must exist and every resulting tag list must be valid before any changes.
//! Their answers are \[unconfirmed\]: the write actions' `{Code, Message, Success}` envelope.

use serde_json::Value;

use super::ActionCtx;
use super::actions::write_ok;
use super::error::OpenApiError;
use super::params::Params;
use crate::engine::{Engine, ResourceTag, validate_tags};

/// Whether an existing resource's `current` tags differ from the `requested` ones of a create
/// call (order does not matter; see
/// [`CREATE_EXISTING_COMPARES_TAGS_AND_RATE_LIMIT`](super::CREATE_EXISTING_COMPARES_TAGS_AND_RATE_LIMIT)).
pub(super) fn tags_differ(current: &[ResourceTag], requested: &[ResourceTag]) -> bool {
    let mut current = current.to_vec();
    let mut requested = requested.to_vec();
    current.sort();
    requested.sort();
    current != requested
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Queue,
    Topic,
}

fn kind(p: &Params) -> Result<Kind, OpenApiError> {
    let raw = p.required("ResourceType")?;
    match raw.to_ascii_lowercase().as_str() {
        "queue" => Ok(Kind::Queue),
        "topic" => Ok(Kind::Topic),
        _ => Err(OpenApiError::invalid(
            "ResourceType",
            format!("{raw:?}: use queue or topic."),
        )),
    }
}

/// `{prefix}.1`, `{prefix}.2`, ... in N order (N from 1, no gaps).
fn indexed<'a>(p: &'a Params, prefix: &str) -> Vec<&'a str> {
    (1..)
        .map_while(|n| p.optional(&format!("{prefix}.{n}")))
        .collect()
}

fn current(engine: &Engine, kind: Kind, name: &str) -> Result<Vec<ResourceTag>, OpenApiError> {
    Ok(match kind {
        Kind::Queue => engine.queue_meta(name)?.tags,
        Kind::Topic => engine.topic_meta(name)?.tags,
    })
}

fn apply(
    engine: &mut Engine,
    kind: Kind,
    changes: Vec<(String, Vec<ResourceTag>)>,
    now: u64,
) -> Result<(), OpenApiError> {
    for (name, tags) in changes {
        match kind {
            Kind::Queue => engine.set_queue_tags(&name, tags, now)?,
            Kind::Topic => engine.set_topic_tags(&name, tags, now)?,
        }
    }
    Ok(())
}

pub(super) fn tag_resources(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let kind = kind(p)?;
    let ids = indexed(p, "ResourceId");
    if ids.is_empty() {
        return Err(OpenApiError::missing("ResourceId.1"));
    }
    let tags = p.tags()?;
    if tags.is_empty() {
        return Err(OpenApiError::missing("Tag.1.Key"));
    }
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let mut changes = Vec::new();
    for id in ids {
        let mut merged = current(engine, kind, id)?;
        for t in &tags {
            match merged.iter_mut().find(|m| m.key == t.key) {
                Some(m) => m.value = t.value.clone(),
                None => merged.push(t.clone()),
            }
        }
        validate_tags(&merged)?;
        changes.push((id.to_owned(), merged));
    }
    apply(engine, kind, changes, ctx.now)?;
    Ok(write_ok())
}

pub(super) fn untag_resources(
    ctx: &ActionCtx<'_>,
    p: &Params,
) -> Result<Option<Value>, OpenApiError> {
    let kind = kind(p)?;
    let ids = indexed(p, "ResourceId");
    if ids.is_empty() {
        return Err(OpenApiError::missing("ResourceId.1"));
    }
    let all = p.bool("All")?.unwrap_or(false);
    let keys = indexed(p, "TagKey");
    if keys.is_empty() && !all {
        return Err(OpenApiError::missing("TagKey.1"));
    }
    let mut state = ctx.shared.lock();
    let engine = &mut state.engine;
    let mut changes = Vec::new();
    for id in ids {
        let mut tags = current(engine, kind, id)?;
        tags.retain(|t| !all && !keys.contains(&t.key.as_str()));
        changes.push((id.to_owned(), tags));
    }
    apply(engine, kind, changes, ctx.now)?;
    Ok(write_ok())
}
