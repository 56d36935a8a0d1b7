//! Proxy variables: a plain-HTTP endpoint goes through `HTTP_PROXY` when it is set (the client
//! then sends with reqwest), and straight to the endpoint when `NO_PROXY` names its host (the
//! direct sender). Both are read from the environment when the client is built, which is why
//! these run the real binary with its own environment.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{Env, assert_success, stdout};

/// A "proxy" that records the head of each request and answers with an MNS `<Error>`
/// (AccessDenied, which the client does not retry).
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                recorded
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&head).into_owned());
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error \
                    xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><Code>AccessDenied</Code>\
                    <Message>proxy says no</Message><RequestId>P1</RequestId>\
                    <HostId>proxy</HostId></Error>";
                let answer = format!(
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_carries_requests_to_a_plain_http_endpoint() {
    let env = Env::start().await;
    let (proxy, seen) = recording_proxy().await;
    let mut cmd = env.command();
    cmd.env("HTTP_PROXY", &proxy);
    let out = env.run(cmd, &["queue", "list"], None).await;
    assert!(!out.status.success(), "the proxy refused: {}", stdout(&out));
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1, "{seen:?}");
    // Through a proxy, the request line carries the absolute URL of the endpoint.
    let expected = format!("GET {}/queues", env.emu.endpoint());
    assert!(seen[0].starts_with(&expected), "{:?}", seen[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_sends_straight_to_the_endpoint() {
    let env = Env::start().await;
    let (proxy, seen) = recording_proxy().await;
    let mut cmd = env.command();
    cmd.env("HTTP_PROXY", &proxy).env("NO_PROXY", "127.0.0.1");
    let out = env.run(cmd, &["queue", "list"], None).await;
    assert_success(&out);
    assert!(seen.lock().expect("lock").is_empty());
}
