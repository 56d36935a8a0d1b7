//! The client caps the response body it reads (issue 20, item 10): pointed at a server that
//! answers with an endless chunked body, a call fails with `Error::ResponseTooLarge` after at
//! most the cap, and is not retried (one connection, one request).
//!
//! The misbehaving server listens on loopback only and stops by itself: it writes at most
//! 64 MiB per connection and serves at most a handful of connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mns_client::{Client, Credentials, Endpoint, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CAP: usize = 1024 * 1024;
/// Most bytes the server writes on one connection.
const SERVER_LIMIT: usize = 64 * 1024 * 1024;

/// Serves `head` then an endless (bounded) body; returns the address, the number of requests
/// seen and the bytes written on the last connection.
async fn misbehaving_server(head: &'static str) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let (r, w) = (requests.clone(), written.clone());
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let (r, w) = (r.clone(), w.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|x| x == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                r.fetch_add(1, Ordering::SeqCst);
                if tcp.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
                let mut total = 0;
                while total < SERVER_LIMIT {
                    if tcp.write_all(chunk.as_bytes()).await.is_err() {
                        break;
                    }
                    total += chunk.len();
                    w.store(total, Ordering::SeqCst);
                }
            });
        }
    });
    (format!("http://{addr}"), requests, written)
}

fn client(endpoint: &str) -> Client {
    Client::builder(Endpoint::from_url(endpoint).expect("endpoint"))
        .credentials(Credentials::new("id", "secret"))
        .max_response_bytes(CAP)
        .build()
        .expect("client")
}

#[tokio::test]
async fn endless_chunked_body_fails_at_the_cap_without_retry() {
    let (endpoint, requests, written) = misbehaving_server(
        "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .await;
    let queue = client(&endpoint).queue("q").expect("queue");
    let result = tokio::time::timeout(Duration::from_secs(30), queue.get_attributes())
        .await
        .expect("fails within 30 s");
    match result {
        Err(Error::ResponseTooLarge { limit, status, .. }) => {
            assert_eq!(limit, CAP);
            assert_eq!(status, 500);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    // A 500 would be retried; this error is not.
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    // The client stopped reading long before the server's own limit.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(written.load(Ordering::SeqCst) < SERVER_LIMIT / 2);
}

#[tokio::test]
async fn declared_oversized_body_fails_before_reading() {
    let (endpoint, requests, _) =
        misbehaving_server("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n").await;
    let queue = client(&endpoint).queue("q").expect("queue");
    let result = tokio::time::timeout(Duration::from_secs(30), queue.get_attributes())
        .await
        .expect("fails within 30 s");
    assert!(
        matches!(result, Err(Error::ResponseTooLarge { status: 200, .. })),
        "{result:?}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
