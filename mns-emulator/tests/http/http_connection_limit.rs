//! The emulator serves at most `max_connections` connections at once: a further connection closes
//! the longest-idle one, or, when every connection is busy, waits (it is not refused) and is
//! served as soon as another closes.

use std::time::Duration;

use mns_emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends an unsigned `GET /queues` and reads the status line (any answer counts as served).
async fn request(stream: &mut TcpStream) -> std::io::Result<String> {
    stream
        .write_all(b"GET /queues HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await?;
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn at_the_limit_the_longest_idle_connection_makes_room() {
    let emu = Emulator::builder()
        .max_connections(2)
        .start()
        .await
        .unwrap();
    let addr = emu.local_addr();

    // Two connections are served and stay open (keep-alive), then idle.
    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    assert!(request(&mut a).await.unwrap().starts_with("HTTP/1.1 "));
    assert!(request(&mut b).await.unwrap().starts_with("HTTP/1.1 "));

    // A third is served at once: the longest-idle connection (a) is closed to make room.
    let mut c = TcpStream::connect(addr).await.unwrap();
    let line = tokio::time::timeout(Duration::from_secs(10), request(&mut c))
        .await
        .expect("served within 10 s")
        .unwrap();
    assert!(line.starts_with("HTTP/1.1 "), "{line}");
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(10), a.read(&mut buf))
        .await
        .expect("the idle connection is closed within 10 s");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");

    // The connection used more recently is still served.
    assert!(request(&mut b).await.unwrap().starts_with("HTTP/1.1 "));
    emu.shutdown().await;
}

/// With every connection busy (long polls), a further connection waits (it is not refused) and
/// is served as soon as one closes.
#[tokio::test]
async fn connections_past_the_limit_wait_while_all_are_busy() {
    let emu = Emulator::builder()
        .max_connections(2)
        .accept_any_signature(true)
        .start()
        .await
        .unwrap();
    emu.with_engine(|e, now| {
        e.create_queue("q", Default::default(), now).unwrap();
    });
    let addr = emu.local_addr();
    let poll = b"GET /queues/q/messages?waitseconds=30 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 x-mns-version: 2015-06-06\r\n\r\n";
    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    a.write_all(poll).await.unwrap();
    b.write_all(poll).await.unwrap();
    emu.wait_for_waiting_receives(2).await;

    // A third connects (the kernel's backlog) but is not served while both are busy. A slow
    // machine can only make this wait longer, so the bound cannot pass by luck.
    let mut c = TcpStream::connect(addr).await.unwrap();
    let third = tokio::spawn(async move { request(&mut c).await.map(|line| (line, c)) });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served past the limit"
    );

    // Closing one lets the third in.
    drop(a);
    let (line, _c) = tokio::time::timeout(Duration::from_secs(30), third)
        .await
        .expect("served once a connection closed")
        .unwrap()
        .unwrap();
    assert!(line.starts_with("HTTP/1.1 "), "{line}");
    drop(b);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_default_limit_is_generous() {
    let emu = Emulator::builder().start().await.unwrap();
    let mut streams = Vec::new();
    for _ in 0..64 {
        let mut s = TcpStream::connect(emu.local_addr()).await.unwrap();
        assert!(request(&mut s).await.unwrap().starts_with("HTTP/1.1 "));
        streams.push(s);
    }
    const { assert!(mns_emulator::DEFAULT_MAX_CONNECTIONS >= 64) };
    emu.shutdown().await;
}
