//! Hostile clients at the connection level (issue 20, items 1, 3 and 9): idle and trickling
//! clients against the connection cap, deadlines, long polls past the idle timeout, shutdown with
//! stalled clients (library and standalone binary), pipelining and HTTP/2 prior knowledge.
//!
//! Raw loopback sockets only, every wait bounded. Deadlines are short (100–300 ms) and the
//! assertions generous ("within 10 s"), so nothing depends on scheduling luck.

use std::time::Duration;

use crate::http_common::raw::{RawReq, closed_by_server, connect, read_all, send_raw};
use crate::http_common::{Req, start_with};
use mns_emulator::ConnectionLimits;
use tokio::io::AsyncWriteExt;

const GENEROUS: Duration = Duration::from_secs(10);

fn limits(f: impl FnOnce(&mut ConnectionLimits)) -> ConnectionLimits {
    let mut l = ConnectionLimits::default();
    f(&mut l);
    l
}

/// Item 3: idle connections and trickling clients fill the cap; a normal request is still
/// answered (the longest-idle connection is closed to make room).
#[tokio::test]
async fn idle_and_trickling_clients_cannot_lock_out_a_normal_request() {
    let h = start_with(|b| {
        b.connection_limits(limits(|l| {
            l.max_connections = 4;
            // Long deadlines: room must come from eviction, not from a deadline passing.
            l.idle_timeout = Duration::from_secs(600);
            l.header_read_timeout = Duration::from_secs(600);
        }))
    })
    .await;
    h.create_queue("q", "").await;
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(connect(&h).await);
    }
    let mut tricklers = Vec::new();
    for _ in 0..2 {
        let mut tcp = connect(&h).await;
        tricklers.push(tokio::spawn(async move {
            for b in b"GET /queues/q HTTP/1.1\r\nX-Slow: "
                .iter()
                .cycle()
                .take(200)
            {
                if tcp.write_all(&[*b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    // Fresh connections each time (the harness client pools, so force new ones).
    for _ in 0..3 {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let r = tokio::time::timeout(
            GENEROUS,
            crate::http_common::send_with(
                &http,
                h.emu.endpoint(),
                &h.http_date(),
                Req::get("/queues/q"),
            ),
        )
        .await
        .expect("answered within 10 s although the cap is full of idle and slow clients");
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for t in tricklers {
        t.abort();
    }
}

/// Item 3: an idle keep-alive connection is closed after the idle timeout.
#[tokio::test]
async fn idle_connection_is_closed_after_the_idle_timeout() {
    let h = start_with(|b| {
        b.connection_limits(limits(|l| l.idle_timeout = Duration::from_millis(200)))
    })
    .await;
    let mut tcp = connect(&h).await;
    assert!(closed_by_server(&mut tcp).await, "closed within 10 s");
}

/// Item 3: a head trickled one byte at a time is cut at the header deadline, counted from its
/// first byte; trickling does not extend it (the idle timeout is far away).
#[tokio::test]
async fn trickled_head_is_cut_at_the_header_deadline() {
    let h = start_with(|b| {
        b.connection_limits(limits(|l| {
            l.header_read_timeout = Duration::from_millis(300);
            l.idle_timeout = Duration::from_secs(600);
        }))
    })
    .await;
    let mut tcp = connect(&h).await;
    let (mut rd, mut wr) = tcp.split();
    let trickle = async {
        for b in b"GET /queues HTTP/1.1\r\nX-Slow: ".iter().cycle().take(400) {
            if wr.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    let closed = async {
        let mut buf = [0u8; 256];
        loop {
            match tokio::io::AsyncReadExt::read(&mut rd, &mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        () = closed => {}
        () = trickle => panic!("a 10-second trickle was never cut (deadline 300 ms)"),
    }
}

/// The idle timeout never cuts a running request: a long poll outlives it.
#[tokio::test]
async fn long_poll_outlives_the_idle_timeout() {
    let h = start_with(|b| {
        b.connection_limits(limits(|l| {
            l.idle_timeout = Duration::from_millis(100);
            l.header_read_timeout = Duration::from_millis(100);
        }))
    })
    .await;
    h.create_queue("q", "").await;
    let poll = tokio::spawn({
        let http = h.http.clone();
        let endpoint = h.emu.endpoint().to_owned();
        let date = h.http_date();
        async move {
            crate::http_common::send_with(
                &http,
                &endpoint,
                &date,
                Req::get("/queues/q/messages?waitseconds=30"),
            )
            .await
        }
    });
    h.emu.wait_for_waiting_receives(1).await;
    // Several idle timeouts pass while the receive waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = h.send_message("q", "<MessageBody>late</MessageBody>").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let r = tokio::time::timeout(GENEROUS, poll)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("MessageBody").as_deref(), Some("late"));
}

/// Item 1: shutdown with a stalled head, a stalled body and an idle connection finishes within
/// the grace period.
#[tokio::test]
async fn shutdown_with_stalled_clients_finishes_within_the_grace_period() {
    let h = start_with(|b| {
        b.connection_limits(limits(|l| {
            l.shutdown_grace = Duration::from_millis(200);
            l.header_read_timeout = Duration::from_secs(600);
            l.body_read_timeout = Duration::from_secs(600);
            l.idle_timeout = Duration::from_secs(600);
        }))
    })
    .await;
    h.create_queue("q", "").await;
    let mut head = connect(&h).await;
    head.write_all(b"GET /queues/q HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut body = connect(&h).await;
    let mut partial = RawReq::new("POST", "/queues/q/messages")
        .body(vec![b'<'; 100])
        .bytes(&h);
    partial.truncate(partial.len() - 90);
    body.write_all(&partial).await.expect("write");
    let _idle = connect(&h).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let emu = h.emu;
    tokio::time::timeout(GENEROUS, emu.shutdown())
        .await
        .expect("shutdown finishes within 10 s (grace 200 ms)");
    assert!(closed_by_server(&mut head).await);
    assert!(closed_by_server(&mut body).await);
}

/// Item 1, end to end: the standalone binary exits 0 on SIGTERM with stalled clients.
#[cfg(all(unix, feature = "cli"))]
#[tokio::test]
async fn binary_exits_zero_on_sigterm_with_stalled_clients() {
    use std::process::Stdio;
    use tokio::io::AsyncBufReadExt;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .args(["--bind", "127.0.0.1:0", "--shutdown-grace", "300ms"])
        .args(["--log-level", "warn"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        GENEROUS,
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("starts within 10 s")
    .expect("read");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("endpoint")
        .to_owned();
    let mut stalled = Vec::new();
    for bytes in [
        &b"GET /queues HTTP/1.1\r\nHo"[..],
        b"POST /queues/q/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n<M",
    ] {
        let mut tcp = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        tcp.write_all(bytes).await.expect("write");
        stalled.push(tcp);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(GENEROUS, child.wait())
        .await
        .expect("exits within 10 s of SIGTERM (grace 300 ms)")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

/// Item 9: HTTP/2 prior knowledge is not served (no SETTINGS frame comes back).
#[tokio::test]
async fn http2_prior_knowledge_is_refused() {
    let h = start_with(|b| b).await;
    let mut tcp = connect(&h).await;
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("write");
    let answer = read_all(&mut tcp).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 "),
        "an HTTP/1.1 refusal or a close, not HTTP/2 frames: {answer:?}"
    );
}

/// Pipelined requests on one connection are answered in order.
#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let h = start_with(|b| b).await;
    h.create_queue("p1", "").await;
    h.create_queue("p2", "").await;
    let first = RawReq::new("GET", "/queues/p1").bytes(&h);
    let first = String::from_utf8(first)
        .expect("ascii")
        .replace("Connection: close\r\n", "");
    let mut bytes = first.into_bytes();
    bytes.extend(RawReq::new("GET", "/queues/p2").bytes(&h));
    let mut tcp = connect(&h).await;
    tcp.write_all(&bytes).await.expect("write");
    let text = read_all(&mut tcp).await;
    let a = text
        .find("<QueueName>p1</QueueName>")
        .expect("first answer");
    let b = text
        .find("<QueueName>p2</QueueName>")
        .expect("second answer");
    assert!(a < b, "{text}");
    assert_eq!(text.matches("HTTP/1.1 200").count(), 2, "{text}");
}

/// A body that stalls past the body deadline gets 408 instead of holding the connection.
#[tokio::test]
async fn stalled_body_gets_408_at_the_body_deadline() {
    let h = start_with(|b| {
        b.connection_limits(limits(|l| l.body_read_timeout = Duration::from_millis(200)))
    })
    .await;
    h.create_queue("q", "").await;
    let mut bytes = RawReq::new("POST", "/queues/q/messages")
        .body(vec![b'<'; 100])
        .bytes(&h);
    bytes.truncate(bytes.len() - 90);
    let mut tcp = connect(&h).await;
    tcp.write_all(&bytes).await.expect("write");
    let text = read_all(&mut tcp).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let r = send_raw(&h, RawReq::new("GET", "/queues/q")).await;
    assert_eq!(r.status, 200);
}
