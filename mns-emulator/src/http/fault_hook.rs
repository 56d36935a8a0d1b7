//! Where fault injection (`crate::faults`) meets the HTTP layer: the request future is run under
//! the fault chosen for it, and an injected "connection dropped" becomes a response whose body
//! fails, which makes hyper close the connection without a complete answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;

use super::request::path_segments;
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

/// Dispatches `req` under the fault (if any) the plan chooses for it; `true` = drop the
/// connection instead of answering.
pub(super) async fn dispatch_with_faults(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    req: Request,
) -> (Result<Reply, MnsError>, bool) {
    let target = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let Ok(segments) = path_segments(path) else {
        return (dispatch(shared, ctx, req).await, false);
    };
    let method = req.method().clone();
    let outcome = faults::around(
        &shared.faults,
        shared.as_ref(),
        &method,
        &segments,
        query,
        dispatch(shared, ctx, req),
        |reply: &Reply| reply.body.as_deref(),
    )
    .await;
    (outcome.result, outcome.drop_connection)
}

/// A response that fails before its first byte: hyper closes the connection without answering.
pub(super) fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::other("fault injection: connection dropped"))
    });
    Response::new(Body::from_stream(failing))
}
