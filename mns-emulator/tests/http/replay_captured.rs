//! Replays every queue request the official Python and Node SDKs were seen sending, and every
//! request of the Java SDK 2.0's whole tour in its three runs (classic signature, V4, V4 with an
//! STS token) (`testdata/vectors/official-sdk-requests-{python,node,java}.json`) byte for byte
//! against an in-process emulator whose manual clock is set to each request's `Date`, with the
//! key `testid`/`testsecret` (for the STS run: a temporary key whose token is the captured one).
//!
//! Each request goes over a real socket exactly as captured (method, raw target, headers in their
//! captured order and case, body), so this pins what the HTTP layer and the signature check see.
//! Every one must pass authentication; the capture signed with a wrong secret must get
//! `SignatureDoesNotMatch`. The Java replay also checks what the Java SDK's readers need of each
//! answer: `Location` and `x-mns-request-id` spelled exactly so, and `<Error>` bodies in the
//! slash-less namespace its JAXB reader is bound to.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

use mns_emulator::Emulator;
use mns_emulator::auth::{AccessKey, TemporaryKey};
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
const JAVA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/official-sdk-requests-java.json"
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
    "CreateTopic",
    "GetTopicAttributes",
    "SetTopicAttributes",
    "ListTopic",
    "Subscribe",
    "GetSubscriptionAttributes",
    "SetSubscriptionAttributes",
    "ListSubscriptionByTopic",
    "PublishMessage",
    "Unsubscribe",
    "DeleteTopic",
    "GetAccountAttributes",
    "SetAccountAttributes",
];

/// Operations whose answer carries `Location` (the Java SDK returns it from `create()` and
/// `subscribe()`).
const WITH_LOCATION: &[&str] = &["CreateQueue", "CreateTopic", "Subscribe"];

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

/// The captured requests of `path` whose `run` is `run` (files without runs: every request)
/// and, unless `all_paths`, only those on `/queues`.
fn load_run(path: &str, run: Option<&str>, all_paths: bool) -> Vec<Captured> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"));
    let keep: Vec<bool> = doc["operations"]
        .as_array()
        .expect("operations array")
        .iter()
        .map(|op| {
            let path_ok = all_paths
                || op["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/queues"));
            let run_ok = run.is_none_or(|r| op["run"].as_str() == Some(r));
            path_ok && run_ok
        })
        .collect();
    let all = load_all(&doc, path);
    all.into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}

fn load(path: &str) -> Vec<Captured> {
    load_run(path, None, false)
}

fn load_all(doc: &Value, path: &str) -> Vec<Captured> {
    let ops = doc["operations"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: operations array"));
    let str_of = |v: &Value, key: &str| -> String {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
            .to_owned()
    };
    ops.iter()
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

/// A response: status, head (status line and headers, as received) and body text.
struct Response {
    status: u16,
    head: String,
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
            // An interim `100 Continue` (requests with `Expect: 100-continue`) is skipped, as
            // every HTTP client does.
            if buf.starts_with(b"HTTP/1.1 1") {
                buf.drain(..i + 4);
                continue;
            }
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
        head,
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
    let emulator = |clock: ManualClock| {
        Emulator::builder()
            .clock(clock)
            .access_key("testid", "testsecret")
            .start()
    };
    replay_requests(path, captured, emulator, false).await;
}

/// Replays `captured` in order against the emulator `start` gives; with `java_checks`, also
/// checks the answers against what the Java SDK's readers need.
async fn replay_requests<F, Fut>(path: &str, captured: Vec<Captured>, start: F, java_checks: bool)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<mns_emulator::RunningEmulator>>,
{
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
    let emulator = start(clock.clone()).await.expect("start the emulator");
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
        } else if req.must_succeed()
            && !(200..300).contains(&resp.status)
            // A receive of the tour may come after every message was taken: 404 is its answer.
            && !(req.operation.contains("Receive") && code == "MessageNotExist")
        {
            failures.push(format!(
                "{}: expected 2xx, got {outcome}: {}",
                req.variant, resp.body
            ));
        }
        if java_checks {
            failures.extend(java_reader_problems(req, &resp));
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

/// What the Java SDK 2.0's readers would trip over in `resp` (see `http::header_case` and
/// `xml::NAMESPACE` in the emulator for the evidence).
fn java_reader_problems(req: &Captured, resp: &Response) -> Vec<String> {
    let mut problems = Vec::new();
    let has_header = |spelled: &str| resp.head.contains(&format!("\r\n{spelled}: "));
    if !has_header("x-mns-request-id") {
        problems.push(format!(
            "{}: no `x-mns-request-id` (exact case)",
            req.variant
        ));
    }
    if WITH_LOCATION.contains(&req.operation.as_str())
        && (200..300).contains(&resp.status)
        && !has_header("Location")
    {
        problems.push(format!("{}: no `Location` (exact case)", req.variant));
    }
    if resp.error_code().is_some()
        && !resp
            .body
            .contains(r#"<Error xmlns="http://mns.aliyuncs.com/doc/v1">"#)
    {
        problems.push(format!(
            "{}: <Error> not in the namespace JAXB is bound to: {}",
            req.variant, resp.body
        ));
    }
    problems
}

/// The Java SDK's three runs (classic signature, V4, V4 with an STS token) each replay in full.
#[tokio::test]
async fn java_sdk_tour_replays_in_every_signature_version() {
    for run in ["V2", "V4", "V4+sts"] {
        let captured = load_run(JAVA, Some(run), true);
        assert!(captured.len() >= 39, "{run}: {} requests", captured.len());
        let sts = run.ends_with("+sts");
        if sts {
            assert!(
                captured
                    .iter()
                    .all(|c| c.header("security-token").is_some())
            );
        }
        let start = move |clock: ManualClock| async move {
            let builder = Emulator::builder().clock(clock);
            if !sts {
                return builder.access_key("testid", "testsecret").start().await;
            }
            // The capture's key is temporary: accepted only with its token.
            let emulator = builder.start().await?;
            emulator.keys().add_temporary(TemporaryKey::new(
                AccessKey::new("testid", "testsecret"),
                "tour-sts-token",
                SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000),
            ));
            Ok(emulator)
        };
        replay_requests(&format!("{JAVA} ({run})"), captured, start, true).await;
    }
}

/// The Java SDK sends `Expect: 100-continue` and holds the body back until it sees `100
/// Continue` (or 3 s pass): the emulator answers the expectation before any body byte arrives.
#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body() {
    let create = load_run(JAVA, Some("V4"), true)
        .into_iter()
        .next()
        .expect("the tour starts with CreateQueue");
    assert_eq!(create.operation, "CreateQueue");
    assert_eq!(create.header("expect"), Some("100-continue"));
    let clock = ManualClock::at(create.date());
    let emulator = Emulator::builder()
        .clock(clock)
        .access_key("testid", "testsecret")
        .start()
        .await
        .expect("start the emulator");
    let addr = emulator.local_addr();
    let wire = create.wire_bytes();
    let head_len = find(&wire, b"\r\n\r\n").expect("head") + 4;
    let (status_line, final_status) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(&wire[..head_len]).expect("send head");
        // Nothing of the body has been sent: the only thing that can come back is the interim
        // answer.
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while find(&got, b"\r\n\r\n").is_none() {
            let n = stream
                .read(&mut byte)
                .expect("100 Continue before the body");
            assert_eq!(n, 1, "connection closed before 100 Continue");
            got.push(byte[0]);
        }
        let status_line = String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        stream.write_all(&wire[head_len..]).expect("send body");
        let mut rest = Vec::new();
        let mut chunk = [0u8; 1024];
        while find(&rest, b"\r\n\r\n").is_none() {
            let n = stream.read(&mut chunk).expect("final answer");
            assert!(n > 0, "connection closed before the final answer");
            rest.extend_from_slice(&chunk[..n]);
        }
        let final_status = String::from_utf8_lossy(&rest)
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        (status_line, final_status)
    })
    .await
    .expect("exchange");
    assert_eq!(status_line, "HTTP/1.1 100 Continue");
    assert_eq!(final_status, "201");
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
