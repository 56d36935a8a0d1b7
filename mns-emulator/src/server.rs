//! Serving the router on a TCP listener (the one place that calls `axum::serve`, whose signature
//! is expected to change in axum's next minor release).

use std::io;

use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Serves `router` on `listener` until `shutdown` is cancelled, then finishes in-flight requests
/// (long polls end promptly because they watch the same token) and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> io::Result<()> {
    // Without TCP_NODELAY, Nagle's algorithm meets delayed ACKs and small responses wait ~40 ms
    // (measured: 22.7 instead of ~2,900 official-SDK calls/s).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
