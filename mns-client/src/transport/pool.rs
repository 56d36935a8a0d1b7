//! The direct sender's connections to its one endpoint: HTTP/1.1 connections made by
//! hyper-util's `HttpConnector`, driven by hyper, kept for reuse while idle.
//!
//! One endpoint means no per-host map and no key to hash: the idle connections are a stack (the
//! most recently used first, as hyper-util's pool does), taken and returned under a mutex held
//! for a push or a pop. A connection goes back only after its answer was read whole; one that
//! failed, timed out (its future dropped) or was closed by the server is dropped. Idle
//! connections older than the idle timeout are closed when the stack is next looked at.
//!
//! A request that could not be written because the reused connection had just been closed by
//! the server (a keep-alive race) is sent again on another connection, as hyper-util does; a
//! request that may have reached the server is never resent here (the client's retry policy
//! decides).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::client::legacy::connect::HttpConnector;
use tower::Service as _;

/// A connection's sending half.
type Sender = SendRequest<Full<Bytes>>;

/// Connections to one endpoint.
pub(crate) struct Pool {
    connector: HttpConnector,
    /// The endpoint (scheme and authority), what the connector connects to.
    endpoint: http::Uri,
    idle: Mutex<Vec<(Sender, Instant)>>,
    idle_timeout: Duration,
}

/// Why a request failed in the pool.
pub(crate) type PoolError = Box<dyn std::error::Error + Send + Sync>;

/// A connection lent out for one exchange; [`Pool::give_back`] returns it.
pub(crate) struct Lent(Sender);

impl Pool {
    pub(crate) fn new(
        connector: HttpConnector,
        endpoint: http::Uri,
        idle_timeout: Duration,
    ) -> Self {
        Pool {
            connector,
            endpoint,
            idle: Mutex::new(Vec::new()),
            idle_timeout,
        }
    }

    /// Sends `request` on an idle connection or a new one.
    pub(crate) async fn send(
        &self,
        mut request: http::Request<Full<Bytes>>,
    ) -> Result<(http::Response<Incoming>, Lent), PoolError> {
        while let Some(mut sender) = self.take_idle() {
            if sender.ready().await.is_err() {
                continue; // closed while idle
            }
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, Lent(sender))),
                Err(mut failed) => match failed.take_message() {
                    // Never written: the connection was going away; try another.
                    Some(back) => request = back,
                    None => return Err(Box::new(failed.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        let response = sender.send_request(request).await?;
        Ok((response, Lent(sender)))
    }

    /// Returns a connection whose answer was read whole.
    pub(crate) fn give_back(&self, lent: Lent) {
        if !lent.0.is_closed() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.push((lent.0, Instant::now()));
        }
    }

    /// The most recently returned idle connection still open and within the idle timeout;
    /// older or closed ones on the way are dropped (closing them).
    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // The oldest are at the bottom: close those past the idle timeout.
        let now = Instant::now();
        let expired = idle
            .iter()
            .take_while(|(_, since)| now.duration_since(*since) >= self.idle_timeout)
            .count();
        idle.drain(..expired);
        while let Some((sender, _)) = idle.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    /// A new connection, its driver spawned on the runtime.
    async fn connect(&self) -> Result<Sender, PoolError> {
        let mut connector = self.connector.clone();
        let io = connector.call(self.endpoint.clone()).await?;
        let (sender, connection) = http1::handshake(io).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "MNS connection ended with an error");
            }
        });
        Ok(sender)
    }
}
