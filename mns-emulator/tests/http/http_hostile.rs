//! Hostile input: a table of malformed or hostile requests against a running emulator.
//!
//! Each case must get the service's status and error `Code` (reference §7.2, §3.4, §9), the
//! server must keep serving, and nothing may change: queue attributes, every stored message (with
//! its state and receipt handle) and the queue list are compared before and after every case.
//! The clock is a `ManualClock` that never moves, so the snapshots are exact.
//!
//! Where the reference says nothing (answers of the HTTP front end to requests that never reach
//! MNS: oversized header blocks, a garbage request line), the case expects the HTTP status alone.

use std::time::Duration;

use crate::http_common::{Harness, Req, start, test_signature};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const NS: &str = r#"xmlns="http://mns.aliyuncs.com/doc/v1/""#;

/// How a case is sent.
enum Send {
    /// Through the harness's signer and reqwest.
    Http(Req),
    /// Raw bytes over TCP (the test builds the whole request).
    Raw(Vec<u8>),
    /// Raw bytes trickled a few at a time while other requests are served.
    Slow(Vec<u8>),
}

/// One hostile request and the answer it must get.
struct Case {
    name: &'static str,
    send: Send,
    status: u16,
    /// The `<Code>` of the error body; `None` when the HTTP front end answers without one.
    code: Option<&'static str>,
}

fn case(name: &'static str, send: Send, status: u16, code: &'static str) -> Case {
    Case {
        name,
        send,
        status,
        code: Some(code),
    }
}

fn queue_xml(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Queue {NS}>{inner}</Queue>"#)
}

fn message_xml(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Message {NS}>{inner}</Message>"#)
}

fn messages_xml(n: usize) -> String {
    let one = "<Message><MessageBody>x</MessageBody></Message>";
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Messages {NS}>{}</Messages>"#,
        one.repeat(n)
    )
}

fn handles_xml(handles: &[&str]) -> String {
    let inner: String = handles
        .iter()
        .map(|h| format!("<ReceiptHandle>{h}</ReceiptHandle>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ReceiptHandles {NS}>{inner}</ReceiptHandles>"#
    )
}

/// A raw HTTP/1.1 request, signed with the default key unless `sign` is false.
fn raw_request(
    h: &Harness,
    method: &str,
    target: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    sign: bool,
) -> Vec<u8> {
    let mut headers: Vec<(String, String)> = vec![
        ("x-mns-version".into(), "2015-06-06".into()),
        ("Date".into(), h.http_date()),
    ];
    headers.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    if sign {
        let sig = test_signature("testsecret", method, target, &headers);
        headers.push(("Authorization".into(), format!("MNS testid:{sig}")));
    }
    let mut out = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n",
        h.emu.local_addr()
    );
    for (n, v) in &headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends raw bytes (trickled `chunk` bytes at a time when `slow`), reads until the server
/// closes, and returns the status and `<Code>` (if any).
async fn send_raw(h: &Harness, bytes: &[u8], slow: bool) -> (u16, Option<String>) {
    let mut tcp = TcpStream::connect(h.emu.local_addr())
        .await
        .expect("connect");
    if slow {
        for (i, chunk) in bytes.chunks(7).enumerate() {
            tcp.write_all(chunk).await.expect("write");
            tokio::time::sleep(Duration::from_millis(1)).await;
            if i == 3 {
                // The server keeps serving others while this client dawdles.
                let r = h.send(Req::get("/queues/hq")).await;
                assert_eq!(r.status, 200, "served while a slow client trickles");
            }
        }
    } else {
        // A server may answer and close before reading everything (e.g. an oversized header
        // block): a failed write is fine as long as an answer arrives.
        let _ = tcp.write_all(bytes).await;
    }
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server answers and closes within 10 s");
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>").map(|(code, _)| code.to_owned()));
    (status, code)
}

/// Everything observable about the emulator's state.
async fn snapshot(h: &Harness) -> String {
    let hq = h.send(Req::get("/queues/hq")).await;
    let small = h.send(Req::get("/queues/small")).await;
    let list = h.send(Req::get("/queues")).await;
    format!(
        "{}\n{}\n{}\n{:?}\n{:?}",
        hq.body,
        small.body,
        list.body,
        h.emu.inspect_queue("hq").expect("hq"),
        h.emu.inspect_queue("small").expect("small"),
    )
}

#[tokio::test]
async fn hostile_requests_get_the_service_error_and_change_nothing() {
    let h = start().await;
    h.create_queue("hq", "<VisibilityTimeout>30</VisibilityTimeout>")
        .await;
    h.create_queue("small", "<MaximumMessageSize>1024</MaximumMessageSize>")
        .await;
    for body in ["first", "second"] {
        let r = h
            .send_message("hq", &format!("<MessageBody>{body}</MessageBody>"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // A stale handle: receive, then change visibility (which issues a new handle).
    let got = h.send(Req::get("/queues/hq/messages")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let stale = got.text("ReceiptHandle").expect("handle");
    let changed = h
        .send(Req::new(
            "PUT",
            &format!("/queues/hq/messages?receiptHandle={stale}&visibilityTimeout=60"),
        ))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let current = changed.text("ReceiptHandle").expect("new handle");
    assert_ne!(stale, current);

    let date_minus_16m = httpdate::fmt_http_date(h.clock_now() - Duration::from_secs(16 * 60));
    let date_plus_16m = httpdate::fmt_http_date(h.clock_now() + Duration::from_secs(16 * 60));
    let big_body = "a".repeat(1025);
    let over_limit = format!("<MessageBody>{}</MessageBody>", "x".repeat(400 * 1024));
    let deep = {
        let depth = 40_000;
        format!(
            "<Queue {NS}>{}{}</Queue>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        )
    };
    let deep_open = format!("<Queue {NS}>{}", "<a>".repeat(100_000));
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Message {NS}><MessageBody>&c;&c;&c;</MessageBody></Message>"#
    );
    let seventeen_handles: Vec<String> = (0..17).map(|i| format!("1-bad{i}")).collect();
    let seventeen: Vec<&str> = seventeen_handles.iter().map(String::as_str).collect();
    let long_name = format!("/queues/{}", "q".repeat(121));
    let many_headers: Vec<(String, String)> = (0..200)
        .map(|i| (format!("x-junk-{i}"), "v".into()))
        .collect();
    let many_headers_ref: Vec<(&str, &str)> = many_headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let huge_header = "v".repeat(512 * 1024);

    let msgs = "/queues/hq/messages";
    let cases = vec![
        // --- Signatures and envelope headers (§3.4) ---
        case(
            "no Authorization",
            Send::Http(Req::get("/queues/hq").unsigned()),
            400,
            "MissingAuthorizationHeader",
        ),
        case(
            "Authorization not MNS",
            Send::Http(
                Req::get("/queues/hq")
                    .unsigned()
                    .header("Authorization", "Basic dGVzdDp0ZXN0"),
            ),
            400,
            "InvalidAuthorizationHeader",
        ),
        case(
            "Authorization without colon",
            Send::Http(
                Req::get("/queues/hq")
                    .unsigned()
                    .header("Authorization", "MNS testid"),
            ),
            400,
            "InvalidAuthorizationHeader",
        ),
        case(
            "Authorization empty",
            Send::Http(
                Req::get("/queues/hq")
                    .unsigned()
                    .header("Authorization", ""),
            ),
            400,
            "InvalidAuthorizationHeader",
        ),
        case(
            "unknown access key",
            Send::Http(Req::get("/queues/hq").key("nosuchkey", "testsecret")),
            403,
            "InvalidAccessKeyId",
        ),
        case(
            "wrong secret",
            Send::Http(Req::get("/queues/hq").key("testid", "wrong")),
            403,
            "SignatureDoesNotMatch",
        ),
        case(
            "empty signature",
            Send::Http(
                Req::get("/queues/hq")
                    .unsigned()
                    .header("Authorization", "MNS testid:"),
            ),
            400,
            "InvalidAuthorizationHeader",
        ),
        case(
            "signature of another request",
            Send::Http(Req::delete("/queues/hq").unsigned().header(
                "Authorization",
                &format!(
                    "MNS testid:{}",
                    test_signature(
                        "testsecret",
                        "GET",
                        "/queues/hq",
                        &[
                            ("Date".into(), h.http_date()),
                            ("x-mns-version".into(), "2015-06-06".into())
                        ]
                    )
                ),
            )),
            403,
            "SignatureDoesNotMatch",
        ),
        case(
            "missing Date",
            Send::Http(Req::get("/queues/hq").date("")),
            400,
            "MissingDateHeader",
        ),
        case(
            "unparsable Date",
            Send::Http(Req::get("/queues/hq").date("yesterday at noon")),
            400,
            "InvalidDateHeader",
        ),
        case(
            "Date 16 minutes old",
            Send::Http(Req::delete("/queues/hq").date(&date_minus_16m)),
            408,
            "TimeExpired",
        ),
        case(
            "Date 16 minutes ahead",
            Send::Http(Req::delete("/queues/hq").date(&date_plus_16m)),
            408,
            "TimeExpired",
        ),
        case(
            "missing x-mns-version",
            Send::Http(Req::delete("/queues/hq").without_header("x-mns-version")),
            400,
            "MissingVersionHeader",
        ),
        case(
            "wrong x-mns-version",
            Send::Http(
                Req::delete("/queues/hq")
                    .without_header("x-mns-version")
                    .header("x-mns-version", "2014-01-01"),
            ),
            400,
            "InvalidVersionHeader",
        ),
        case(
            // An Authorization that is not text is malformed (it used to count as missing).
            "non-UTF-8 Authorization",
            Send::Raw(replace_bytes(
                raw_request(
                    &h,
                    "DELETE",
                    "/queues/hq",
                    &[("Authorization", "MNS testid:@@")],
                    b"",
                    false,
                ),
                b"@@",
                b"\xff\xfe",
            )),
            400,
            "InvalidAuthorizationHeader",
        ),
        // --- Broken XML (§7.2 MalformedXML) ---
        case(
            "create: not XML",
            Send::Http(Req::put("/queues/new1", "this is not xml")),
            400,
            "MalformedXML",
        ),
        case(
            "set: truncated XML",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &format!("<Queue {NS}><DelaySeconds>1</Del"),
            )),
            400,
            "MalformedXML",
        ),
        case(
            "set: mismatched tags",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &format!("<Queue {NS}><DelaySeconds>1</VisibilityTimeout></Queue>"),
            )),
            400,
            "MalformedXML",
        ),
        case(
            "set: two roots",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &format!("<Queue {NS}/><Queue {NS}/>"),
            )),
            400,
            "MalformedXML",
        ),
        case(
            "set: 40,000 levels deep",
            Send::Http(Req::put("/queues/hq?metaoverride=true", &deep)),
            400,
            "MalformedXML",
        ),
        case(
            "send: 100,000 unclosed levels",
            Send::Http(Req::post(msgs, &deep_open)),
            400,
            "MalformedXML",
        ),
        case(
            "send: entity expansion",
            Send::Http(Req::post(msgs, &laughs)),
            400,
            "MalformedXML",
        ),
        case(
            "send: undefined entity",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>&boom;</MessageBody>"),
            )),
            400,
            "MalformedXML",
        ),
        case(
            "send: invalid UTF-8 body",
            Send::Raw(raw_request(
                &h,
                "POST",
                msgs,
                &[("Content-Type", "text/xml")],
                b"<Message><MessageBody>\xff\xfe\xfd</MessageBody></Message>",
                true,
            )),
            400,
            "MalformedXML",
        ),
        case(
            "send: text outside the root",
            Send::Http(Req::post(
                msgs,
                &format!("{}trailing", message_xml("<MessageBody>x</MessageBody>")),
            )),
            400,
            "MalformedXML",
        ),
        case(
            "batch delete: not XML",
            Send::Http(Req::delete(msgs).xml("<ReceiptHandles><ReceiptHandle>")),
            400,
            "MalformedXML",
        ),
        // --- Schema and ranges (§7.2 InvalidArgument, §9 limits) ---
        case(
            "send: wrong root",
            Send::Http(Req::post(msgs, &format!("<Queue {NS}/>"))),
            400,
            "InvalidArgument",
        ),
        case(
            "send: no MessageBody",
            Send::Http(Req::post(msgs, &message_xml("<Priority>1</Priority>"))),
            400,
            "InvalidArgument",
        ),
        case(
            "send: body over MaximumMessageSize",
            Send::Http(Req::post(
                "/queues/small/messages",
                &message_xml(&format!("<MessageBody>{big_body}</MessageBody>")),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: request body over the limit",
            Send::Http(Req::post(msgs, &message_xml(&over_limit))),
            400,
            "InvalidArgument",
        ),
        case(
            "send: Content-Length of 10 GB",
            Send::Raw(replace_bytes(
                raw_request(&h, "POST", msgs, &[], b"", true),
                b"Content-Length: 0",
                b"Content-Length: 10737418240",
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: DelaySeconds -1",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>x</MessageBody><DelaySeconds>-1</DelaySeconds>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: DelaySeconds 604801",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>x</MessageBody><DelaySeconds>604801</DelaySeconds>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: DelaySeconds 2^70",
            Send::Http(Req::post(
                msgs,
                &message_xml(
                    "<MessageBody>x</MessageBody><DelaySeconds>1180591620717411303424</DelaySeconds>",
                ),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: DelaySeconds not a number",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>x</MessageBody><DelaySeconds>soon</DelaySeconds>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: Priority 0",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>x</MessageBody><Priority>0</Priority>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: Priority 17",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>x</MessageBody><Priority>17</Priority>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "send: duplicated MessageBody",
            Send::Http(Req::post(
                msgs,
                &message_xml("<MessageBody>x</MessageBody><MessageBody>y</MessageBody>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "batch send: 17 messages",
            Send::Http(Req::post(msgs, &messages_xml(17))),
            400,
            "InvalidArgument",
        ),
        case(
            "batch send: no messages",
            Send::Http(Req::post(msgs, &messages_xml(0))),
            400,
            "InvalidArgument",
        ),
        case(
            "set: VisibilityTimeout 0",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<VisibilityTimeout>0</VisibilityTimeout>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: VisibilityTimeout 43201",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<VisibilityTimeout>43201</VisibilityTimeout>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: MaximumMessageSize 1023",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<MaximumMessageSize>1023</MaximumMessageSize>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: MessageRetentionPeriod 59",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<MessageRetentionPeriod>59</MessageRetentionPeriod>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: PollingWaitSeconds 31",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<PollingWaitSeconds>31</PollingWaitSeconds>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: valid then invalid attribute",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml(
                    "<DelaySeconds>5</DelaySeconds><PollingWaitSeconds>31</PollingWaitSeconds>",
                ),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: duplicated DelaySeconds",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<DelaySeconds>5</DelaySeconds><DelaySeconds>6</DelaySeconds>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "set: LoggingEnabled maybe",
            Send::Http(Req::put(
                "/queues/hq?metaoverride=true",
                &queue_xml("<LoggingEnabled>maybe</LoggingEnabled>"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "create: same name, other attributes",
            Send::Http(Req::put(
                "/queues/hq",
                &queue_xml("<VisibilityTimeout>99</VisibilityTimeout>"),
            )),
            409,
            "QueueAlreadyExist",
        ),
        // --- Names (§9) ---
        case(
            "create: name with underscore and bang",
            Send::Http(Req::put("/queues/bad_name!", "")),
            400,
            "InvalidQueueName",
        ),
        case(
            "create: name of 121 characters",
            Send::Http(Req::put(&long_name, "")),
            400,
            "QueueNameLengthError",
        ),
        case(
            "create: name with invalid UTF-8",
            Send::Raw(raw_request(&h, "PUT", "/queues/q%ff", &[], b"", true)),
            400,
            "InvalidRequestURL",
        ),
        case(
            "get: missing queue",
            Send::Http(Req::get("/queues/nosuchqueue")),
            404,
            "QueueNotExist",
        ),
        case(
            "unknown path",
            Send::Http(Req::get("/buckets/hq")),
            400,
            "InvalidRequestURL",
        ),
        case(
            "unknown method",
            Send::Http(Req::new("PATCH", "/queues/hq")),
            400,
            "InvalidRequestURL",
        ),
        case(
            "too many path segments",
            Send::Http(Req::get("/queues/hq/messages/extra")),
            400,
            "InvalidRequestURL",
        ),
        // --- Query parameters (§2.4, §4.8–4.13) ---
        case(
            "receive: waitseconds 31",
            Send::Http(Req::get(&format!("{msgs}?waitseconds=31"))),
            400,
            "InvalidArgument",
        ),
        case(
            "receive: waitseconds -1",
            Send::Http(Req::get(&format!("{msgs}?waitseconds=-1"))),
            400,
            "InvalidArgument",
        ),
        case(
            "receive: waitseconds abc",
            Send::Http(Req::get(&format!("{msgs}?waitseconds=abc"))),
            400,
            "InvalidQueryString",
        ),
        case(
            "receive: numOfMessages 17",
            Send::Http(Req::get(&format!("{msgs}?numOfMessages=17"))),
            400,
            "InvalidArgument",
        ),
        case(
            "receive: numOfMessages 0",
            Send::Http(Req::get(&format!("{msgs}?numOfMessages=0"))),
            400,
            "InvalidArgument",
        ),
        case(
            "receive: duplicated numOfMessages",
            Send::Http(Req::get(&format!(
                "{msgs}?numOfMessages=2&numOfMessages=16"
            ))),
            400,
            "InvalidQueryString",
        ),
        case(
            "receive: invalid UTF-8 in query",
            Send::Http(Req::get(&format!("{msgs}?waitseconds=%ff"))),
            400,
            "InvalidQueryString",
        ),
        case(
            "peek: numOfMessages 1000",
            Send::Http(Req::get(&format!(
                "{msgs}?peekonly=true&numOfMessages=1000"
            ))),
            400,
            "InvalidArgument",
        ),
        case(
            "delete: no receipt handle",
            Send::Http(Req::delete(msgs)),
            400,
            "MissingReceiptHandle",
        ),
        case(
            "delete: garbage receipt handle",
            Send::Http(Req::delete(&format!("{msgs}?ReceiptHandle=garbage"))),
            400,
            "ReceiptHandleError",
        ),
        case(
            "delete: stale receipt handle",
            Send::Http(Req::delete(&format!("{msgs}?ReceiptHandle={stale}"))),
            404,
            "MessageNotExist",
        ),
        case(
            "delete: current handle on the wrong queue",
            Send::Http(Req::delete(&format!(
                "/queues/small/messages?ReceiptHandle={current}"
            ))),
            404,
            "MessageNotExist",
        ),
        case(
            "delete: duplicated ReceiptHandle",
            Send::Http(Req::delete(&format!(
                "{msgs}?ReceiptHandle={stale}&ReceiptHandle={current}"
            ))),
            400,
            "InvalidQueryString",
        ),
        case(
            "batch delete: 17 handles",
            Send::Http(Req::delete(msgs).xml(&handles_xml(&seventeen))),
            400,
            "InvalidArgument",
        ),
        case(
            "change visibility: no timeout",
            Send::Http(Req::new("PUT", &format!("{msgs}?receiptHandle={current}"))),
            400,
            "MissingVisibilityTimeout",
        ),
        case(
            "change visibility: no handle",
            Send::Http(Req::new("PUT", &format!("{msgs}?visibilityTimeout=10"))),
            400,
            "MissingReceiptHandle",
        ),
        case(
            "change visibility: 43201 s",
            Send::Http(Req::new(
                "PUT",
                &format!("{msgs}?receiptHandle={current}&visibilityTimeout=43201"),
            )),
            400,
            "InvalidArgument",
        ),
        case(
            "change visibility: stale handle",
            Send::Http(Req::new(
                "PUT",
                &format!("{msgs}?receiptHandle={stale}&visibilityTimeout=10"),
            )),
            404,
            "MessageNotExist",
        ),
        case(
            "list: x-mns-ret-number 0",
            Send::Http(Req::get("/queues").header("x-mns-ret-number", "0")),
            400,
            "InvalidArgument",
        ),
        case(
            "list: x-mns-ret-number 1001",
            Send::Http(Req::get("/queues").header("x-mns-ret-number", "1001")),
            400,
            "InvalidArgument",
        ),
        case(
            "list: garbage marker",
            Send::Http(Req::get("/queues").header("x-mns-marker", "!!not-base64!!")),
            400,
            "InvalidArgument",
        ),
        // --- The HTTP front end ---
        Case {
            name: "200 headers",
            send: Send::Raw(raw_request(
                &h,
                "GET",
                "/queues/hq",
                &many_headers_ref,
                b"",
                true,
            )),
            status: 431,
            code: None,
        },
        Case {
            name: "512 KB header",
            send: Send::Raw(raw_request(
                &h,
                "GET",
                "/queues/hq",
                &[("x-mns-junk", &huge_header)],
                b"",
                true,
            )),
            status: 431,
            code: None,
        },
        Case {
            name: "garbage request line",
            send: Send::Raw(b"HELLO THERE\r\n\r\n".to_vec()),
            status: 400,
            code: None,
        },
        case(
            "slow client",
            Send::Slow(raw_request(
                &h,
                "DELETE",
                "/queues/hq/messages?ReceiptHandle=garbage",
                &[],
                b"",
                true,
            )),
            400,
            "ReceiptHandleError",
        ),
    ];
    assert!(cases.len() >= 50, "{} cases", cases.len());

    let mut before = snapshot(&h).await;
    let mut failures = Vec::new();
    for c in cases {
        let (status, code) = match c.send {
            Send::Http(req) => {
                let r = h.send(req).await;
                if r.status >= 400 && c.code.is_some() {
                    // Error answers carry the full service envelope.
                    r.assert_envelope();
                }
                (r.status, r.code())
            }
            Send::Raw(bytes) => send_raw(&h, &bytes, false).await,
            Send::Slow(bytes) => send_raw(&h, &bytes, true).await,
        };
        if (status, code.as_deref()) != (c.status, c.code) {
            failures.push(format!(
                "{}: got {status} {code:?}, want {} {:?}",
                c.name, c.status, c.code
            ));
        }
        // Still serving, nothing changed.
        let after = snapshot(&h).await;
        if after != before {
            failures.push(format!("{}: state changed", c.name));
            before = after;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The current handle still works: the emulator was not disturbed.
    let r = h
        .send(Req::delete(&format!("{msgs}?ReceiptHandle={current}")))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

/// `bytes` with the first occurrence of `from` replaced by `to`.
fn replace_bytes(bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&bytes[at + from.len()..]);
    out
}

trait ClockNow {
    fn clock_now(&self) -> std::time::SystemTime;
}

impl ClockNow for Harness {
    fn clock_now(&self) -> std::time::SystemTime {
        use mns_emulator::clock::Clock as _;
        self.clock.now()
    }
}
