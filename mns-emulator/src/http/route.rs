//! Routing, done once per request: method + path + query resolve to one [`Route`] (reference
//! §4.0 routing table), which dispatch, fault injection and logging all use, so they can never
//! disagree on what a request is (as `PUT /queues/q?metaoverride=1` once did: handled as
//! CreateQueue, classified for faults as SetQueueAttributes).
//!
//! Batch forms share the route of their single form (same method and path; the body or
//! `numOfMessages` tells them apart in the handler).

use axum::http::Method;

use std::borrow::Cow;

use super::request::{Query, decode_segment, raw_segments};
use crate::error::MnsError;
use crate::faults::Operation;

/// One MNS operation with the names it addresses (decoded path segments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /?accountmeta=true`.
    GetAccountAttributes,
    /// `PUT /?accountmeta=true`.
    SetAccountAttributes,
    /// `POST /commonbuy/openservice`.
    OpenService,
    /// `GET /queues`.
    ListQueue,
    /// `PUT /queues/{q}`.
    CreateQueue(String),
    /// `PUT /queues/{q}?metaoverride=true`.
    SetQueueAttributes(String),
    /// `GET /queues/{q}`.
    GetQueueAttributes(String),
    /// `DELETE /queues/{q}`.
    DeleteQueue(String),
    /// `POST /queues/{q}/messages` (single and batch).
    SendMessage(String),
    /// `GET /queues/{q}/messages` (single and batch).
    ReceiveMessage(String),
    /// `GET /queues/{q}/messages?peekonly=true` (single and batch).
    PeekMessage(String),
    /// `DELETE /queues/{q}/messages` (single with `ReceiptHandle`, batch with a body).
    DeleteMessage(String),
    /// `PUT /queues/{q}/messages?ReceiptHandle=…&VisibilityTimeout=…`.
    ChangeMessageVisibility(String),
    /// `GET /topics`.
    ListTopic,
    /// `PUT /topics/{t}`.
    CreateTopic(String),
    /// `PUT /topics/{t}?metaoverride=true`.
    SetTopicAttributes(String),
    /// `GET /topics/{t}`.
    GetTopicAttributes(String),
    /// `DELETE /topics/{t}`.
    DeleteTopic(String),
    /// `POST /topics/{t}/messages`.
    PublishMessage(String),
    /// `GET /topics/{t}/subscriptions`.
    ListSubscriptionByTopic(String),
    /// `PUT /topics/{t}/subscriptions/{s}`.
    Subscribe(String, String),
    /// `PUT /topics/{t}/subscriptions/{s}?metaoverride=true`.
    SetSubscriptionAttributes(String, String),
    /// `GET /topics/{t}/subscriptions/{s}`.
    GetSubscriptionAttributes(String, String),
    /// `DELETE /topics/{t}/subscriptions/{s}`.
    Unsubscribe(String, String),
}

/// The operation name of each route, by [`Route::index`].
pub(crate) const ROUTE_NAMES: [&str; 24] = [
    "GetAccountAttributes",
    "SetAccountAttributes",
    "OpenService",
    "ListQueue",
    "CreateQueue",
    "SetQueueAttributes",
    "GetQueueAttributes",
    "DeleteQueue",
    "SendMessage",
    "ReceiveMessage",
    "PeekMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "ListTopic",
    "CreateTopic",
    "SetTopicAttributes",
    "GetTopicAttributes",
    "DeleteTopic",
    "PublishMessage",
    "ListSubscriptionByTopic",
    "Subscribe",
    "SetSubscriptionAttributes",
    "GetSubscriptionAttributes",
    "Unsubscribe",
];

impl Route {
    /// Resolves a request. An unknown method/path pair is 400 `InvalidRequestURL`; a malformed
    /// query (bad escapes, duplicated parameters) is the error [`Query::parse`] gives.
    pub(crate) fn resolve(method: &Method, path: &str, query: &Query) -> Result<Route, MnsError> {
        // No route has more than four segments: more is `InvalidRequestURL`, as is a segment
        // that does not decode, whichever comes first (the same error either way).
        let mut decoded: [Cow<'_, str>; 4] = Default::default();
        let mut n = 0;
        for seg in raw_segments(path) {
            let slot = decoded
                .get_mut(n)
                .ok_or_else(MnsError::invalid_request_url)?;
            *slot = decode_segment(seg)?;
            n += 1;
        }
        let all = decoded.each_ref().map(|c| c.as_ref());
        let segs = &all[..n];
        let meta = query.flag("metaoverride");
        let s = |v: &str| v.to_owned();
        let route = match (segs, method) {
            ([], &Method::GET) if query.has("accountmeta") => Route::GetAccountAttributes,
            ([], &Method::PUT) if query.has("accountmeta") => Route::SetAccountAttributes,
            (["commonbuy", "openservice"], &Method::POST) => Route::OpenService,
            (["queues"], &Method::GET) => Route::ListQueue,
            (["queues", q], &Method::PUT) if meta => Route::SetQueueAttributes(s(q)),
            (["queues", q], &Method::PUT) => Route::CreateQueue(s(q)),
            (["queues", q], &Method::GET) => Route::GetQueueAttributes(s(q)),
            (["queues", q], &Method::DELETE) => Route::DeleteQueue(s(q)),
            (["queues", q, "messages"], &Method::POST) => Route::SendMessage(s(q)),
            (["queues", q, "messages"], &Method::GET) if query.flag("peekonly") => {
                Route::PeekMessage(s(q))
            }
            (["queues", q, "messages"], &Method::GET) => Route::ReceiveMessage(s(q)),
            (["queues", q, "messages"], &Method::DELETE) => Route::DeleteMessage(s(q)),
            (["queues", q, "messages"], &Method::PUT) => Route::ChangeMessageVisibility(s(q)),
            (["topics"], &Method::GET) => Route::ListTopic,
            (["topics", t], &Method::PUT) if meta => Route::SetTopicAttributes(s(t)),
            (["topics", t], &Method::PUT) => Route::CreateTopic(s(t)),
            (["topics", t], &Method::GET) => Route::GetTopicAttributes(s(t)),
            (["topics", t], &Method::DELETE) => Route::DeleteTopic(s(t)),
            (["topics", t, "messages"], &Method::POST) => Route::PublishMessage(s(t)),
            (["topics", t, "subscriptions"], &Method::GET) => Route::ListSubscriptionByTopic(s(t)),
            (["topics", t, "subscriptions", n], &Method::PUT) if meta => {
                Route::SetSubscriptionAttributes(s(t), s(n))
            }
            (["topics", t, "subscriptions", n], &Method::PUT) => Route::Subscribe(s(t), s(n)),
            (["topics", t, "subscriptions", n], &Method::GET) => {
                Route::GetSubscriptionAttributes(s(t), s(n))
            }
            (["topics", t, "subscriptions", n], &Method::DELETE) => Route::Unsubscribe(s(t), s(n)),
            _ => return Err(MnsError::invalid_request_url()),
        };
        Ok(route)
    }

    /// The MNS operation name (the single form for batch-capable routes), for logs.
    pub(crate) fn name(&self) -> &'static str {
        ROUTE_NAMES[self.index()]
    }

    /// This route's place in [`ROUTE_NAMES`] (for per-operation tables).
    pub(crate) fn index(&self) -> usize {
        match self {
            Route::GetAccountAttributes => 0,
            Route::SetAccountAttributes => 1,
            Route::OpenService => 2,
            Route::ListQueue => 3,
            Route::CreateQueue(_) => 4,
            Route::SetQueueAttributes(_) => 5,
            Route::GetQueueAttributes(_) => 6,
            Route::DeleteQueue(_) => 7,
            Route::SendMessage(_) => 8,
            Route::ReceiveMessage(_) => 9,
            Route::PeekMessage(_) => 10,
            Route::DeleteMessage(_) => 11,
            Route::ChangeMessageVisibility(_) => 12,
            Route::ListTopic => 13,
            Route::CreateTopic(_) => 14,
            Route::SetTopicAttributes(_) => 15,
            Route::GetTopicAttributes(_) => 16,
            Route::DeleteTopic(_) => 17,
            Route::PublishMessage(_) => 18,
            Route::ListSubscriptionByTopic(_) => 19,
            Route::Subscribe(..) => 20,
            Route::SetSubscriptionAttributes(..) => 21,
            Route::GetSubscriptionAttributes(..) => 22,
            Route::Unsubscribe(..) => 23,
        }
    }

    /// The fault-injection operation of this route and the queue or topic it addresses.
    pub(crate) fn fault_target(&self) -> (Operation, Option<&str>) {
        match self {
            Route::GetAccountAttributes
            | Route::SetAccountAttributes
            | Route::OpenService
            | Route::ListQueue
            | Route::ListTopic => (
                match self {
                    Route::ListQueue => Operation::ListQueue,
                    Route::ListTopic => Operation::ListTopic,
                    _ => Operation::Other,
                },
                None,
            ),
            Route::CreateQueue(q) => (Operation::CreateQueue, Some(q)),
            Route::SetQueueAttributes(q) => (Operation::SetQueueAttributes, Some(q)),
            Route::GetQueueAttributes(q) => (Operation::GetQueueAttributes, Some(q)),
            Route::DeleteQueue(q) => (Operation::DeleteQueue, Some(q)),
            Route::SendMessage(q) => (Operation::SendMessage, Some(q)),
            Route::ReceiveMessage(q) => (Operation::ReceiveMessage, Some(q)),
            Route::PeekMessage(q) => (Operation::PeekMessage, Some(q)),
            Route::DeleteMessage(q) => (Operation::DeleteMessage, Some(q)),
            Route::ChangeMessageVisibility(q) => (Operation::ChangeMessageVisibility, Some(q)),
            Route::CreateTopic(t) => (Operation::CreateTopic, Some(t)),
            Route::SetTopicAttributes(t) => (Operation::SetTopicAttributes, Some(t)),
            Route::GetTopicAttributes(t) => (Operation::GetTopicAttributes, Some(t)),
            Route::DeleteTopic(t) => (Operation::DeleteTopic, Some(t)),
            Route::PublishMessage(t) => (Operation::PublishMessage, Some(t)),
            Route::ListSubscriptionByTopic(t)
            | Route::Subscribe(t, _)
            | Route::SetSubscriptionAttributes(t, _)
            | Route::GetSubscriptionAttributes(t, _)
            | Route::Unsubscribe(t, _) => (Operation::Subscription, Some(t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, target: &str) -> Result<Route, MnsError> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Route::resolve(&method, path, &Query::parse(query)?)
    }

    #[test]
    fn every_route_of_the_table() {
        let q = || "q".to_owned();
        let t = || "t".to_owned();
        let cases = [
            (
                Method::GET,
                "/?accountmeta=true",
                Route::GetAccountAttributes,
            ),
            (
                Method::PUT,
                "/?accountmeta=true",
                Route::SetAccountAttributes,
            ),
            (Method::POST, "/commonbuy/openservice", Route::OpenService),
            (Method::GET, "/queues", Route::ListQueue),
            (Method::PUT, "/queues/q", Route::CreateQueue(q())),
            (
                Method::PUT,
                "/queues/q?metaoverride=true",
                Route::SetQueueAttributes(q()),
            ),
            (Method::GET, "/queues/q", Route::GetQueueAttributes(q())),
            (Method::DELETE, "/queues/q", Route::DeleteQueue(q())),
            (Method::POST, "/queues/q/messages", Route::SendMessage(q())),
            (
                Method::GET,
                "/queues/q/messages?waitseconds=3",
                Route::ReceiveMessage(q()),
            ),
            (
                Method::GET,
                "/queues/q/messages?peekonly=true",
                Route::PeekMessage(q()),
            ),
            (
                Method::DELETE,
                "/queues/q/messages?ReceiptHandle=x",
                Route::DeleteMessage(q()),
            ),
            (
                Method::PUT,
                "/queues/q/messages?ReceiptHandle=x&VisibilityTimeout=3",
                Route::ChangeMessageVisibility(q()),
            ),
            (Method::GET, "/topics", Route::ListTopic),
            (Method::PUT, "/topics/t", Route::CreateTopic(t())),
            (
                Method::PUT,
                "/topics/t?metaoverride=true",
                Route::SetTopicAttributes(t()),
            ),
            (Method::GET, "/topics/t", Route::GetTopicAttributes(t())),
            (Method::DELETE, "/topics/t", Route::DeleteTopic(t())),
            (
                Method::POST,
                "/topics/t/messages",
                Route::PublishMessage(t()),
            ),
            (
                Method::GET,
                "/topics/t/subscriptions",
                Route::ListSubscriptionByTopic(t()),
            ),
            (
                Method::PUT,
                "/topics/t/subscriptions/s",
                Route::Subscribe(t(), "s".into()),
            ),
            (
                Method::PUT,
                "/topics/t/subscriptions/s?metaoverride=true",
                Route::SetSubscriptionAttributes(t(), "s".into()),
            ),
            (
                Method::GET,
                "/topics/t/subscriptions/s",
                Route::GetSubscriptionAttributes(t(), "s".into()),
            ),
            (
                Method::DELETE,
                "/topics/t/subscriptions/s",
                Route::Unsubscribe(t(), "s".into()),
            ),
        ];
        for (method, target, expected) in cases {
            assert_eq!(r(method.clone(), target), Ok(expected), "{method} {target}");
        }
        for (method, target) in [
            (Method::GET, "/"),
            (Method::POST, "/queues"),
            (Method::PATCH, "/queues/q"),
            (Method::GET, "/queues/q/other"),
            (Method::POST, "/topics/t/subscriptions/s"),
        ] {
            assert_eq!(
                r(method.clone(), target).map_err(|e| e.code().as_str().to_owned()),
                Err("InvalidRequestURL".to_owned()),
                "{method} {target}"
            );
        }
    }

    /// Dispatch and fault injection used to read `metaoverride` differently: `=1` was handled
    /// as CreateQueue and classified as SetQueueAttributes. One route now decides both.
    #[test]
    fn metaoverride_other_than_true_is_create_for_dispatch_and_faults() {
        let route = r(Method::PUT, "/queues/q?metaoverride=1").unwrap();
        assert_eq!(route, Route::CreateQueue("q".into()));
        assert_eq!(route.fault_target(), (Operation::CreateQueue, Some("q")));
        assert_eq!(route.name(), "CreateQueue");
        let route = r(Method::PUT, "/queues/q?metaOverride=TRUE").unwrap();
        assert_eq!(
            route.fault_target(),
            (Operation::SetQueueAttributes, Some("q"))
        );
    }

    #[test]
    fn fault_targets_name_the_resource() {
        let route = r(Method::DELETE, "/topics/t/subscriptions/s").unwrap();
        assert_eq!(route.fault_target(), (Operation::Subscription, Some("t")));
        let route = r(Method::GET, "/?accountmeta=true").unwrap();
        assert_eq!(route.fault_target(), (Operation::Other, None));
    }
}
