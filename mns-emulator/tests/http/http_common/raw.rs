//! Raw HTTP/1.1 over loopback TCP for the connection-level hostile tests: every read is bounded
//! by a timeout, so no test can hang on a server that misbehaves.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Harness, test_signature};

/// The longest any raw read waits: generous, so only a server that never answers fails.
pub const READ_LIMIT: Duration = Duration::from_secs(10);

/// A raw request: the request line, `Host: {emulator}` unless `headers` holds a `Host`
/// (any case) or `no_host` is set, the given headers plus `x-mns-version` and `Date`, a signature
/// over them, `Content-Length` unless a `Transfer-Encoding` is given, `Connection: close`.
pub struct RawReq<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
    pub no_host: bool,
}

impl<'a> RawReq<'a> {
    pub fn new(method: &'a str, target: &'a str) -> Self {
        RawReq {
            method,
            target,
            headers: Vec::new(),
            body: Vec::new(),
            no_host: false,
        }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn no_host(mut self) -> Self {
        self.no_host = true;
        self
    }

    /// The bytes on the wire.
    pub fn bytes(&self, h: &Harness) -> Vec<u8> {
        let mut headers: Vec<(String, String)> = vec![
            ("x-mns-version".into(), "2015-06-06".into()),
            ("Date".into(), h.http_date()),
        ];
        headers.extend(
            self.headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.clone())),
        );
        // Sign with the path and query only (an absolute-form target signs its path).
        let signed_target = match self.target.find("://") {
            Some(i) => {
                let rest = &self.target[i + 3..];
                rest.find('/').map_or("/", |p| &rest[p..])
            }
            None => self.target,
        };
        let sig = test_signature("testsecret", self.method, signed_target, &headers);
        headers.push(("Authorization".into(), format!("MNS testid:{sig}")));
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        let has_host = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host"));
        if !has_host && !self.no_host {
            out.push_str(&format!("Host: {}\r\n", h.emu.local_addr()));
        }
        for (n, v) in &headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A raw answer.
#[derive(Debug)]
pub struct RawResp {
    pub status: u16,
    pub text: String,
}

impl RawResp {
    pub fn code(&self) -> Option<&str> {
        let (_, rest) = self.text.split_once("<Code>")?;
        rest.split_once("</Code>").map(|(c, _)| c)
    }

    pub fn element(&self, name: &str) -> Option<&str> {
        let (_, rest) = self.text.split_once(&format!("<{name}>"))?;
        rest.split_once(&format!("</{name}>")).map(|(c, _)| c)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.text.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends `bytes` on a new connection and reads until the server closes (at most
/// [`READ_LIMIT`]).
pub async fn exchange(h: &Harness, bytes: &[u8]) -> RawResp {
    let mut tcp = connect(h).await;
    // The server may answer and close before reading everything.
    let _ = tcp.write_all(bytes).await;
    let text = read_all(&mut tcp).await;
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    RawResp { status, text }
}

/// Sends a [`RawReq`] and reads the answer.
pub async fn send_raw(h: &Harness, req: RawReq<'_>) -> RawResp {
    exchange(h, &req.bytes(h)).await
}

/// A new loopback connection to the emulator.
pub async fn connect(h: &Harness) -> TcpStream {
    tokio::time::timeout(READ_LIMIT, TcpStream::connect(h.emu.local_addr()))
        .await
        .expect("connect within 10 s")
        .expect("connect")
}

/// Reads until EOF (or a reset), panicking after [`READ_LIMIT`].
pub async fn read_all(tcp: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(READ_LIMIT, async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answers and closes within 10 s");
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the server closes `tcp` within [`READ_LIMIT`] (reading and discarding what it sends).
pub async fn closed_by_server(tcp: &mut TcpStream) -> bool {
    tokio::time::timeout(READ_LIMIT, async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}
