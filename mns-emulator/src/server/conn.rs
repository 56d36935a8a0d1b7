//! One connection: hyper's HTTP/1.1 state machine plus a watchdog that enforces the header-read
//! and idle deadlines, reacts to shutdown and to eviction by the accept loop.
//!
//! Hyper's own `header_read_timeout` starts when the connection begins waiting for a head, idle
//! time included, so it cannot tell an idle pooled connection from a trickling client. Here the
//! connection tracks its own state instead: how many requests are being handled (counted by the
//! service wrapper), when it last became idle, and when the first byte of the next head arrived
//! (seen by the IO wrapper).
//!
//! The watchdog is not woken when that state changes (twice per request otherwise, each time
//! re-arming a timer): it wakes at the current deadline or after the shorter of the two
//! timeouts, whichever is first, and looks again. A deadline that appears after it armed its
//! timer is at least that shorter timeout away, so it is never missed nor passed late; only an
//! eviction (and shutdown) wakes it early.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::Service as _;

use super::{App, ConnectionLimits};
use crate::http::ReplyBody;

/// The current time for connection deadlines.
#[expect(
    clippy::disallowed_methods,
    reason = "connection deadlines protect the transport in real time: on the emulator's clock \
              (a ManualClock in tests) they would never pass"
)]
fn now() -> Instant {
    Instant::now()
}

/// The open connections, so the accept loop can close the longest-idle one when the cap is hit.
#[derive(Debug, Default)]
pub(super) struct Registry {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn open(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection (idle since now).
    pub(super) fn register(&self) -> Arc<Conn> {
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            timing: Mutex::new(Timing {
                in_flight: 0,
                idle_since: now(),
                head_since: None,
            }),
            changed: Notify::new(),
            evicted: AtomicBool::new(false),
        });
        self.open().insert(conn.id, conn.clone());
        conn
    }

    /// Forgets a closed connection.
    pub(super) fn unregister(&self, conn: &Conn) {
        self.open().remove(&conn.id);
    }

    /// Asks the connection that has been idle longest (no request in progress; fully idle ones
    /// before those in the middle of sending a head) to close. Returns whether there was one.
    pub(super) fn evict_longest_idle(&self) -> bool {
        let open = self.open();
        let victim = open
            .values()
            .filter(|c| !c.evicted.load(Ordering::Relaxed))
            .filter_map(|c| {
                let t = c.timing();
                (t.in_flight == 0).then(|| ((t.head_since.is_some(), t.idle_since), c))
            })
            .min_by_key(|(key, _)| *key)
            .map(|(_, c)| c.clone());
        drop(open);
        match victim {
            Some(c) => {
                c.evicted.store(true, Ordering::Relaxed);
                c.changed.notify_one();
                true
            }
            None => false,
        }
    }
}

/// The per-connection state the watchdog reads.
#[derive(Debug)]
pub(super) struct Conn {
    id: u64,
    timing: Mutex<Timing>,
    /// Wakes the watchdog when the connection is evicted (see the module documentation).
    changed: Notify,
    /// Set by the accept loop to make an idle connection close.
    evicted: AtomicBool,
}

#[derive(Debug)]
struct Timing {
    /// Requests being handled (more than one only with pipelining).
    in_flight: usize,
    /// When the last request finished (or the connection opened).
    idle_since: Instant,
    /// When the first byte after `idle_since` arrived: a head is being received.
    head_since: Option<Instant>,
}

impl Conn {
    fn timing(&self) -> MutexGuard<'_, Timing> {
        self.timing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived: if the connection was idle, a request head has started.
    fn on_read(&self) {
        let mut t = self.timing();
        if t.in_flight == 0 && t.head_since.is_none() {
            t.head_since = Some(now());
        }
    }

    /// A request head was parsed and is handed to the handler; idle until the guard drops.
    fn begin_request(self: &Arc<Self>) -> RequestGuard {
        let mut t = self.timing();
        t.in_flight += 1;
        t.head_since = None;
        drop(t);
        RequestGuard(self.clone())
    }

    /// When the connection must close if nothing changes: `None` while a request is handled.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        let t = self.timing();
        if t.in_flight > 0 {
            return None;
        }
        Some(match t.head_since {
            Some(start) => start + limits.header_read_timeout,
            None => t.idle_since + limits.idle_timeout,
        })
    }
}

/// Counts one request as in progress until dropped (answered, or abandoned with its connection).
struct RequestGuard(Arc<Conn>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut t = self.0.timing();
        t.in_flight = t.in_flight.saturating_sub(1);
        if t.in_flight == 0 {
            t.idle_since = now();
            t.head_since = None;
        }
        drop(t);
        // An evicted connection that was busy closes as soon as it is idle.
        if self.0.evicted.load(Ordering::Relaxed) {
            self.0.changed.notify_one();
        }
    }
}

/// Serves one connection until it closes, its deadline passes, it is evicted, or shutdown ends
/// it (gracefully; the accept loop drops it when the grace period is over).
pub(super) async fn serve_connection(
    tcp: TcpStream,
    app: App,
    conn: Arc<Conn>,
    limits: &ConnectionLimits,
    shutdown: CancellationToken,
) {
    let io = TokioIo::new(Tracked {
        io: tcp,
        conn: conn.clone(),
    });
    let service_conn = conn.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let guard = service_conn.begin_request();
        let app = app.clone();
        async move {
            // The data plane goes straight to its handler; the router only sees the paths it
            // has routes for (see `http::needs_router`).
            let response = if crate::http::needs_router(req.uri().path()) {
                req.extensions_mut().insert(super::FromWire);
                let response: Result<axum::response::Response, Infallible> =
                    app.router.clone().call(req.map(Body::new)).await;
                response.map(|r| r.map(ReplyBody::from))
            } else {
                Ok(crate::http::serve(&app.shared, req, true).await)
            };
            drop(guard);
            response
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // Deadlines are enforced below; hyper's own would also count idle keep-alive time as
    // header-read time (and warns on every connection when left at its default without a timer).
    http.header_read_timeout(None);
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let mut shutting_down = false;
    // See the module documentation: no deadline can appear sooner than this after the watchdog
    // last looked.
    let period = limits.header_read_timeout.min(limits.idle_timeout);
    loop {
        let deadline = conn.deadline(limits);
        let look_again = now().checked_add(period);
        let wake = match (deadline, look_again) {
            (Some(at), Some(again)) => Some(at.min(again)),
            (at, again) => at.or(again),
        };
        let expired = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    // Malformed requests get their 4xx from hyper before this; log the rest.
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = shutdown.cancelled(), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
            () = conn.changed.notified() => {
                if conn.evicted.load(Ordering::Relaxed) && conn.deadline(limits).is_some() {
                    return;
                }
            }
            () = expired => {
                if conn.deadline(limits).is_some_and(|at| at <= now()) {
                    tracing::debug!("closing a connection past its idle or header deadline");
                    return;
                }
            }
        }
    }
}

/// The TCP stream, telling the connection state when bytes arrive.
struct Tracked {
    io: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.on_read();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
