//! Replays every queue request the official Python and Node SDKs were seen sending
//! (`testdata/vectors/official-sdk-requests-{python,node}.json`) byte for byte against an
//! in-process emulator whose manual clock is set to each request's `Date`, with the key
//! `testid`/`testsecret`.
//!
//! Each request goes over a real socket exactly as captured (method, raw target, headers in their
//! captured order and case, body), so this pins what the HTTP layer and the signature check see.
//! Every one must pass authentication; the capture signed with a wrong secret must get
//! `SignatureDoesNotMatch`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

use mns_emulator::Emulator;
use mns_emulator::clock::ManualClock;
use serde_json::Value;

const PYTHON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/official-sdk-requests-python.json"
);
const NODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/official-sdk-requests-node.json"
);

/// Error codes that mean "authentication or the request envelope was refused".
const AUTH_ERROR_CODES: &[&str] = &[
    "MissingAuthorizationHeader",
    "InvalidAuthorizationHeader",
    "MissingDateHeader",
    "InvalidDateHeader",
    "MissingVersionHeader",
    "InvalidVersionHeader",
    "InvalidAccessKeyId",
    "TimeExpired",
    "SignatureDoesNotMatch",
    "InvalidSecurityToken",
    "SecurityTokenExpired",
    "AccessDenied",
    "InvalidDegist",
    "InvalidDigest",
];

/// Operations whose captured request must succeed (2xx) when replayed in capture order. The
/// others act on receipt handles invented by the capture or on messages already received, so
/// only "no auth error, no server error" is asserted for them; so is a listing that carries an
/// `x-mns-marker` the capture made up (markers are opaque, so the emulator may refuse it).
const MUST_SUCCEED: &[&str] = &[
    "CreateQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "ListQueue",
    "SendMessage",
    "BatchSendMessage",
    "ReceiveMessage",
    "BatchReceiveMessage",
    "DeleteQueue",
];

/// One captured request.
struct Captured {
    variant: String,
    operation: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
    valid_for_testsecret: bool,
}

fn load(path: &str) -> Vec<Captured> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"));
    let ops = doc["operations"].as_array().expect("operations array");
    let str_of = |v: &Value, key: &str| -> String {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
            .to_owned()
    };
    ops.iter()
        .filter(|op| str_of(op, "path").starts_with("/queues"))
        .map(|op| {
            assert_eq!(
                str_of(op, "body_encoding"),
                "utf-8",
                "only UTF-8 bodies are captured"
            );
            Captured {
                variant: str_of(op, "variant"),
                operation: str_of(op, "operation"),
                method: str_of(op, "method"),
                target: str_of(op, "target"),
                headers: op["headers"]
                    .as_array()
                    .expect("headers array")
                    .iter()
                    .map(|pair| {
                        let pair = pair.as_array().expect("header pair");
                        (
                            pair[0].as_str().expect("header name").to_owned(),
                            pair[1].as_str().expect("header value").to_owned(),
                        )
                    })
                    .collect(),
                body: str_of(op, "body"),
                valid_for_testsecret: op["signature_valid_for_testsecret"]
                    .as_bool()
                    .expect("signature_valid_for_testsecret"),
            }
        })
        .collect()
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn must_succeed(&self) -> bool {
        MUST_SUCCEED.contains(&self.operation.as_str()) && self.header("x-mns-marker").is_none()
    }

    fn date(&self) -> SystemTime {
        let date = self
            .header("date")
            .expect("every capture has a Date header");
        httpdate::parse_http_date(date).expect("captured Date parses")
    }

    /// The request exactly as captured: request line, headers in order and case, body.
    fn wire_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

/// A response: status and body text.
struct Response {
    status: u16,
    body: String,
}

impl Response {
    /// The `<Code>` of an `<Error>` document, if the body is one.
    fn error_code(&self) -> Option<&str> {
        let start = self.body.find("<Code>")? + "<Code>".len();
        let end = self.body[start..].find("</Code>")? + start;
        Some(&self.body[start..end])
    }
}

/// Sends `bytes` on a fresh connection and reads one HTTP/1.1 response (bounded by a read timeout).
fn exchange(addr: SocketAddr, bytes: &[u8]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(bytes)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "connection closed before the headers",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let mut body = buf[header_end..].to_vec();
    if status == 204 || status == 304 {
        body.clear();
    } else if let Some(len) = header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| std::io::Error::other("bad content-length"))?;
        while body.len() < len {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed inside the body"));
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(len);
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        while find(&body, b"0\r\n\r\n").is_none() {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body = dechunk(&body);
    }
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(data, b"\r\n") {
        let size = std::str::from_utf8(&data[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = &data[(end + 2).min(data.len())..];
    }
    out
}

async fn replay(path: &str) {
    let captured = load(path);
    assert!(
        captured.len() >= 15,
        "{path}: expected the whole queue tour, found {} requests",
        captured.len()
    );
    assert!(
        captured.iter().any(|c| !c.valid_for_testsecret),
        "{path}: the wrong-secret control request is missing"
    );

    let clock = ManualClock::at(captured[0].date());
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .access_key("testid", "testsecret")
        .start()
        .await
        .expect("start the emulator");
    let addr = emulator.local_addr();

    let mut failures = Vec::new();
    for req in &captured {
        clock.set(req.date());
        let bytes = req.wire_bytes();
        let resp = tokio::task::spawn_blocking(move || exchange(addr, &bytes))
            .await
            .expect("replay task")
            .unwrap_or_else(|e| panic!("{path}: {}: no response: {e}", req.variant));
        let code = resp.error_code().unwrap_or("").to_owned();
        let outcome = format!(
            "{} {}",
            resp.status,
            if code.is_empty() { "-" } else { &code }
        );
        if !req.valid_for_testsecret {
            if resp.status != 403 || code != "SignatureDoesNotMatch" {
                failures.push(format!(
                    "{}: signed with a wrong secret, expected 403 SignatureDoesNotMatch, got {outcome}",
                    req.variant
                ));
            }
        } else if AUTH_ERROR_CODES.contains(&code.as_str()) {
            failures.push(format!(
                "{}: refused by authentication: {outcome}",
                req.variant
            ));
        } else if resp.status >= 500 {
            failures.push(format!(
                "{}: server error {outcome}: {}",
                req.variant, resp.body
            ));
        } else if req.must_succeed() && !(200..300).contains(&resp.status) {
            failures.push(format!(
                "{}: expected 2xx, got {outcome}: {}",
                req.variant, resp.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{path}: {} of {} replayed requests failed:\n{}",
        failures.len(),
        captured.len(),
        failures.join("\n")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn python_sdk_queue_requests_replay_byte_for_byte() {
    replay(PYTHON).await;
}

#[tokio::test]
async fn node_sdk_queue_requests_replay_byte_for_byte() {
    replay(NODE).await;
}
