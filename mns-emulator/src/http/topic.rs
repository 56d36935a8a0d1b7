//! Topic, subscription and publish operations: HTTP request → engine call → XML response
//! (reference §1.3 table). Routed by [`super::route::Route`].

use axum::http::{HeaderMap, StatusCode};

use super::request::list_request;
use super::topic_xml as txml;
use super::{Ctx, Reply, Shared};
use crate::engine::CreateOutcome;
use crate::error::MnsError;

fn topic_url(ctx: &Ctx, topic: &str) -> String {
    format!("{}/topics/{topic}", ctx.base_url)
}

fn subscription_url(ctx: &Ctx, topic: &str, sub: &str) -> String {
    format!("{}/topics/{topic}/subscriptions/{sub}", ctx.base_url)
}

fn created(outcome: CreateOutcome, location: String) -> Reply {
    let status = match outcome {
        CreateOutcome::Created => StatusCode::CREATED,
        CreateOutcome::Existed => StatusCode::NO_CONTENT,
    };
    // `Location` on 204 too: the Python SDK reads it on every success.
    Reply {
        status,
        body: None,
        location: Some(location),
    }
}

pub(super) fn create_topic(
    shared: &Shared,
    ctx: &Ctx,
    name: &str,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let attrs = txml::parse_topic_attributes(body)?;
    let now = shared.clock.now_millis();
    let outcome = shared.lock().engine.create_topic(name, attrs, now)?;
    Ok(created(outcome, topic_url(ctx, name)))
}

pub(super) fn set_topic_attributes(
    shared: &Shared,
    name: &str,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let attrs = txml::parse_topic_attributes(body)?;
    let now = shared.clock.now_millis();
    shared
        .lock()
        .engine
        .set_topic_attributes(name, attrs, now)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn get_topic_attributes(shared: &Shared, name: &str) -> Result<Reply, MnsError> {
    let now = shared.clock.now_millis();
    let attrs = shared.lock().engine.get_topic_attributes(name, now)?;
    Ok(Reply::xml(
        StatusCode::OK,
        txml::topic_attributes_document(&attrs),
    ))
}

pub(super) fn delete_topic(shared: &Shared, name: &str) -> Result<Reply, MnsError> {
    let now = shared.clock.now_millis();
    shared.lock().engine.delete_topic(name, now)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn list_topics(
    shared: &Shared,
    ctx: &Ctx,
    headers: &HeaderMap,
) -> Result<Reply, MnsError> {
    let (req, with_meta) = list_request(headers)?;
    let now = shared.clock.now_millis();
    let page = shared.lock().engine.list_topics(req, now)?;
    Ok(Reply::xml(
        StatusCode::OK,
        txml::topic_list_document(
            &page.topics,
            page.next_marker.as_deref(),
            with_meta,
            |name| topic_url(ctx, name),
        ),
    ))
}

pub(super) fn subscribe(
    shared: &Shared,
    ctx: &Ctx,
    topic: &str,
    sub: &str,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let input = txml::parse_subscribe(body)?;
    let now = shared.clock.now_millis();
    let outcome = shared.lock().engine.subscribe(topic, sub, input, now)?;
    Ok(created(outcome, subscription_url(ctx, topic, sub)))
}

pub(super) fn set_subscription_attributes(
    shared: &Shared,
    topic: &str,
    sub: &str,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let update = txml::parse_subscription_update(body)?;
    let now = shared.clock.now_millis();
    shared
        .lock()
        .engine
        .set_subscription_attributes(topic, sub, update, now)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn get_subscription_attributes(
    shared: &Shared,
    topic: &str,
    sub: &str,
) -> Result<Reply, MnsError> {
    let attrs = shared
        .lock()
        .engine
        .get_subscription_attributes(topic, sub)?;
    Ok(Reply::xml(
        StatusCode::OK,
        txml::subscription_attributes_document(&attrs),
    ))
}

pub(super) fn unsubscribe(shared: &Shared, topic: &str, sub: &str) -> Result<Reply, MnsError> {
    let now = shared.clock.now_millis();
    shared.lock().engine.unsubscribe(topic, sub, now)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn list_subscriptions(
    shared: &Shared,
    ctx: &Ctx,
    topic: &str,
    headers: &HeaderMap,
) -> Result<Reply, MnsError> {
    let (req, with_meta) = list_request(headers)?;
    let now = shared.clock.now_millis();
    let page = shared.lock().engine.list_subscriptions(topic, req, now)?;
    Ok(Reply::xml(
        StatusCode::OK,
        txml::subscription_list_document(
            &page.subscriptions,
            page.next_marker.as_deref(),
            with_meta,
            |name| subscription_url(ctx, topic, name),
        ),
    ))
}

pub(super) fn publish(shared: &Shared, topic: &str, body: &[u8]) -> Result<Reply, MnsError> {
    let input = txml::parse_publish(body)?;
    let now = shared.clock.now_millis();
    let published = {
        let mut state = shared.lock();
        let published = state.engine.publish_message(topic, input, now)?;
        for q in &published.queues_delivered {
            state.wake_queue(q);
        }
        published
    };
    if published.deliveries > 0 {
        shared.push.wake();
    }
    Ok(Reply::xml(
        StatusCode::CREATED,
        txml::published_document(&published),
    ))
}
