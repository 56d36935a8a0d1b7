//! Serving the router on a TCP listener: our own accept loop driving each connection with hyper's
//! HTTP/1.1 server, so that connections are bounded in number **and** in time.
//!
//! * At most [`ConnectionLimits::max_connections`] connections are served at once. When the cap
//!   is reached and another client connects, the longest-idle connection (no request in progress)
//!   is closed to make room, so idle pooled connections or stalled clients cannot lock others
//!   out; only when every connection is busy with a request does a new one wait.
//! * A request head must arrive within [`ConnectionLimits::header_read_timeout`] of its first
//!   byte (a client trickling one byte a second cannot extend it), and a keep-alive connection
//!   with no request in progress is closed after [`ConnectionLimits::idle_timeout`]. Neither
//!   applies while a request is being handled, so 30-second long polls keep working.
//! * On shutdown the listener closes, idle connections close at once, running requests (long
//!   polls end promptly: they watch the same token) get [`ConnectionLimits::shutdown_grace`] to
//!   finish, and whatever is left is then dropped.
//!
//! Only HTTP/1.1 is served: HTTP/2 over cleartext (prior knowledge) is refused. No MNS SDK speaks
//! it, the service's endpoints are HTTP/1.1, and one HTTP/2 connection would multiplex requests
//! past the connection cap.

mod conn;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::shared::Shared;
use conn::Registry;

/// Default bound on connections served at once (see [`ConnectionLimits::max_connections`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default [`ConnectionLimits::header_read_timeout`]: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ConnectionLimits::body_read_timeout`]: 30 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ConnectionLimits::idle_timeout`]: 60 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`ConnectionLimits::shutdown_grace`]: 5 s.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How many connections the emulator serves and how long it lets each one take.
///
/// ```
/// use std::time::Duration;
/// use mns_emulator::{ConnectionLimits, Emulator};
///
/// let builder = Emulator::builder().connection_limits(ConnectionLimits {
///     idle_timeout: Duration::from_secs(5),
///     ..ConnectionLimits::default()
/// });
/// # drop(builder);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections served at once (default [`DEFAULT_MAX_CONNECTIONS`]; values below 1 count
    /// as 1). When it is reached, a new connection makes the longest-idle one close; if every
    /// connection is busy with a request, the new one waits until one finishes.
    pub max_connections: usize,
    /// Deadline for a whole request head, counted from its first byte, that a trickling client
    /// cannot extend (default [`DEFAULT_HEADER_READ_TIMEOUT`], 10 s: a head is at most a few KB,
    /// so this is generous on any network a test runs on). Past it the connection is closed.
    pub header_read_timeout: Duration,
    /// Deadline for a request body, counted from the end of its head (default
    /// [`DEFAULT_BODY_READ_TIMEOUT`], 30 s for at most ~340 KB). Past it the request gets 408
    /// `RequestTimeout` [unconfirmed: the service's answer to a stalled body is not documented].
    pub body_read_timeout: Duration,
    /// How long a connection may stay open with no request in progress (default
    /// [`DEFAULT_IDLE_TIMEOUT`], 60 s: longer than the SDKs' pools keep a connection unused,
    /// in the range of common servers (nginx 75 s), so pooled connections are rarely closed
    /// under a client). It never applies while a request, e.g. a long poll, is being handled.
    pub idle_timeout: Duration,
    /// After shutdown starts, how long running requests get to finish before their connections
    /// are dropped (default [`DEFAULT_SHUTDOWN_GRACE`], 5 s: under the 10 s container runtimes
    /// give before `SIGKILL`; long polls end at once on shutdown anyway).
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// Marks a request that arrived over a connection (not in-process through the router), so the
/// HTTP/1.1 rules that only make sense on the wire, such as a required `Host`, apply to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FromWire;

/// What a connection serves: the MNS handler directly for the data plane, the router for the
/// rest.
#[derive(Clone)]
pub(crate) struct App {
    /// The emulator's state, for the data plane.
    pub(crate) shared: Arc<Shared>,
    /// Every route (admin API, metrics, credential services, push certificate); its fallback
    /// is the MNS handler too.
    pub(crate) router: Router,
}

/// How long the accept loop waits for a slot after asking an idle connection to close before it
/// looks for another one to close.
const EVICTION_RETRY: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` is cancelled, then shuts down within
/// `limits.shutdown_grace` (see the module documentation) and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
) -> io::Result<()> {
    let limits = Arc::new(limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let registry = Arc::new(Registry::default());
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connection tasks so the set does not grow with every connection served.
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // E.g. EMFILE: back off instead of spinning (what axum::serve does too).
                tracing::warn!(error = %e, "accept failed");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                }
            }
        };
        let permit = loop {
            if let Ok(p) = permits.clone().try_acquire_owned() {
                break Some(p);
            }
            if registry.evict_longest_idle() {
                tracing::debug!("connection limit reached: closing the longest-idle connection");
            } else {
                tracing::debug!("connection limit reached, every connection busy: waiting");
            }
            tokio::select! {
                () = shutdown.cancelled() => break None,
                p = permits.clone().acquire_owned() => break p.ok(),
                () = tokio::time::sleep(EVICTION_RETRY) => {}
            }
        };
        let Some(permit) = permit else { break };
        // Without TCP_NODELAY, Nagle's algorithm meets delayed ACKs and small responses wait
        // ~40 ms (measured: 22.7 instead of ~2,900 official-SDK calls/s).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
        let conn = registry.register();
        let app = app.clone();
        let limits = limits.clone();
        let shutdown = shutdown.clone();
        let registry = registry.clone();
        connections.spawn(async move {
            conn::serve_connection(tcp, app, conn.clone(), &limits, shutdown).await;
            registry.unregister(&conn);
            drop(permit);
            tracing::trace!(%peer, "connection closed");
        });
    }
    drop(listener);
    // Every connection task saw the same cancellation and has asked hyper to finish gracefully:
    // idle ones are closing, busy ones finish their request. Wait for them, but not forever.
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            connections = connections.len(),
            "shutdown grace period over: dropping the remaining connections"
        );
        connections.shutdown().await;
    }
    Ok(())
}
