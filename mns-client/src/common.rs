//! Model items and machinery shared by queues, topics and subscriptions: the create outcome,
//! one listing layer (options as signed headers, one page, a stream over every page in the
//! shape of object_store's `stream_paginated`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;
use reqwest::Method;

use crate::error::Error;
use crate::queue::model::{invalid, limits};
use crate::transport::Request;

/// What CreateQueue, CreateTopic or Subscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The queue was created (HTTP 201).
    Created,
    /// One with this name and the same attributes already existed (HTTP 204). One with
    /// different attributes is an error instead: [`ErrorCode::QueueAlreadyExist`](crate::ErrorCode::QueueAlreadyExist),
    /// [`ErrorCode::TopicAlreadyExist`](crate::ErrorCode::TopicAlreadyExist) or [`ErrorCode::SubscriptionAlreadyExist`](crate::ErrorCode::SubscriptionAlreadyExist) (HTTP 409).
    AlreadyExisted,
}

/// Options for one page of ListQueue, ListTopic or ListSubscriptionByTopic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Only queues, topics or subscriptions whose name starts with this (an empty prefix is
    /// the same as none).
    pub prefix: Option<String>,
    /// Continue after this marker (a previous page's `next_marker`; empty is the same as none).
    pub marker: Option<String>,
    /// Page size, 1–1000 (service default 1000).
    pub page_size: Option<u32>,
    /// Also return each queue's attributes ([`QueueSummary::attributes`](crate::QueueSummary::attributes) and their topic and
    /// subscription twins).
    pub with_meta: bool,
}

/// A stream over every item of a listing ([`Client::list_queues`](crate::Client::list_queues),
/// [`Client::list_topics`](crate::Client::list_topics),
/// [`Topic::list_subscriptions`](crate::Topic::list_subscriptions)).
pub type ListStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>;

/// A list request (`GET resource`) carrying the options as `x-mns-*` headers, validated first.
pub(crate) fn list_request(
    op: &'static str,
    resource: String,
    options: &ListOptions,
) -> Result<Request, Error> {
    let mut req = Request::new(op, Method::GET, resource);
    // An empty prefix or marker means "none": it is not sent.
    if let Some(prefix) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
        check_header_value("prefix", prefix)?;
        req = req.header("x-mns-prefix", prefix.to_owned());
    }
    if let Some(marker) = options.marker.as_deref().filter(|m| !m.is_empty()) {
        check_header_value("marker", marker)?;
        req = req.header("x-mns-marker", marker.to_owned());
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
    Ok(req)
}

fn check_header_value(what: &str, v: &str) -> Result<(), Error> {
    if v.trim() != v || v.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(invalid(format!(
            "list {what} must be printable ASCII without surrounding spaces"
        )));
    }
    Ok(())
}

/// A stream over every item of a listing, fetching pages with `fetch` and following the markers.
/// A marker that does not move ends the stream (it would loop forever); the first error ends it
/// too.
pub(crate) fn paginate<T, F, Fut>(prefix: Option<&str>, fetch: F) -> ListStream<T>
where
    T: Send + 'static,
    F: Fn(ListOptions) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Error>> + Send,
{
    let first = ListOptions {
        prefix: prefix.filter(|p| !p.is_empty()).map(str::to_owned),
        ..ListOptions::default()
    };
    stream_pages(first, move |options: ListOptions| {
        let page = fetch(options.clone());
        async move {
            let (items, next_marker) = page.await?;
            let next = next_marker
                .filter(|m| options.marker.as_deref() != Some(m.as_str()))
                .map(|m| ListOptions {
                    marker: Some(m),
                    ..options
                });
            Ok((items, next))
        }
    })
}

/// The one pager behind every listing stream (marker-paged here, page-numbered in the control
/// plane): `fetch` answers the items of the page at a cursor and the cursor of the next page
/// (`None` after the last). The first error is yielded and ends the stream.
pub(crate) fn stream_pages<T, C, F, Fut>(first: C, fetch: F) -> ListStream<T>
where
    T: Send + 'static,
    C: Send + 'static,
    F: Fn(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<C>), Error>> + Send,
{
    struct State<T, C, F> {
        fetch: F,
        next: Option<C>,
        buffer: VecDeque<T>,
    }
    let state = State {
        fetch,
        next: Some(first),
        buffer: VecDeque::new(),
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                return Some((Ok(item), st));
            }
            let cursor = st.next.take()?;
            match (st.fetch)(cursor).await {
                Ok((items, next)) => {
                    st.buffer.extend(items);
                    st.next = next;
                }
                Err(e) => return Some((Err(e), st)),
            }
        }
    }))
}

/// A header's value in a signed request's header list (case-insensitive name): shared by the
/// data plane's `SignedRequest` and the control plane's `ControlRequest`.
pub(crate) fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A header list as a `Debug` view shows it: the values of the `secret` names (compared
/// case-insensitively) replaced by `** redacted **`.
pub(crate) fn redacted_headers<'a>(
    headers: &'a [(String, String)],
    secret: &[&str],
) -> Vec<(&'a str, &'a str)> {
    headers
        .iter()
        .map(|(n, v)| {
            let hide = secret.iter().any(|s| n.eq_ignore_ascii_case(s));
            (n.as_str(), if hide { "** redacted **" } else { v.as_str() })
        })
        .collect()
}
