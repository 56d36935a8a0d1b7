//! Where fault injection (`crate::faults`) meets the HTTP layer: the request future is run under
//! the fault chosen for it, and an injected "connection dropped" becomes a response whose body
//! fails, which makes hyper close the connection without a complete answer.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;

use super::request::Query;
use super::route::Route;
use super::{Ctx, Reply, Shared, dispatch};
use crate::clock::Clock;
use crate::error::MnsError;
use crate::faults::{self, FaultHost};

impl FaultHost for Shared {
    fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn expire_receipt_handles(&self, queue: &str) {
        // A missing queue is answered by the request itself.
        let _ = self.lock().engine.expire_receipt_handles(queue);
    }

    fn redeliver(&self, queue: &str, handles: &[String]) {
        let now = self.clock.now_millis();
        let mut state = self.lock();
        for h in handles {
            let _ = state.engine.redeliver_now(queue, h, now);
        }
        state.wake_queue(queue);
    }
}

/// Dispatches `req` under the fault (if any) the plan chooses for its route; `true` = drop the
/// connection instead of answering. A request that does not route is classified as
/// [`faults::Operation::Other`]. Without a fault plan the request is dispatched directly.
pub(super) async fn dispatch_with_faults<B>(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    req: hyper::Request<B>,
    routed: Result<(Route, Query), MnsError>,
    from_wire: bool,
) -> (Result<Reply, MnsError>, bool)
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Into<axum::BoxError>,
{
    if !shared.faults.is_armed() {
        return (dispatch(shared, ctx, req, routed, from_wire).await, false);
    }
    let req = req.map(Body::new);
    let (op, resource) = match &routed {
        Ok((route, _)) => {
            let (op, resource) = route.fault_target();
            (op, resource.map(str::to_owned))
        }
        Err(_) => (faults::Operation::Other, None),
    };
    // The body sits in a slot the request takes when it runs. A fault that answers without
    // running it (an injected error) leaves the body unread, and hyper would then close the
    // kept-alive connection under the client, which the service never does: it is drained
    // below instead.
    let (parts, body) = req.into_parts();
    let slot = Arc::new(Mutex::new(Some(body)));
    let taken = slot.clone();
    let handle = async move {
        let body = take(&taken).unwrap_or_default();
        dispatch(
            shared,
            ctx,
            Request::from_parts(parts, body),
            routed,
            from_wire,
        )
        .await
    };
    let outcome = faults::around(
        &shared.faults,
        shared.as_ref(),
        op,
        resource,
        handle,
        |reply: &Reply| reply.body.as_deref(),
    )
    .await;
    if let Some(unread) = take(&slot)
        && !outcome.drop_connection
    {
        // Read and discarded by the one body reader (bounded by the body limit and deadline).
        let _ = super::read_body(
            unread,
            &axum::http::HeaderMap::new(),
            shared.max_request_body_bytes,
            shared.body_read_timeout,
        )
        .await;
    }
    (outcome.result, outcome.drop_connection)
}

fn take(slot: &Mutex<Option<Body>>) -> Option<Body> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// A response that fails before its first byte: hyper closes the connection without answering.
pub(super) fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::other("fault injection: connection dropped"))
    });
    Response::new(Body::from_stream(failing))
}
