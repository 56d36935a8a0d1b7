//! Hostile input at the HTTP framing and document level (issue 20, items 2 and 4–8): forbidden
//! XML characters, property limits, duplicated elements and headers, `Host` and the request
//! target, transfer codings, and fault plans with statuses that cannot be sent.
//!
//! Raw loopback sockets where the case needs exact bytes; each case also checks that nothing was
//! stored.

use crate::http_common::raw::{RawReq, send_raw};
use crate::http_common::{Harness, Req, start, start_with};

const NS: &str = r#"xmlns="http://mns.aliyuncs.com/doc/v1/""#;

fn message(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><Message {NS}>{inner}</Message>"#)
}

async fn harness() -> Harness {
    let h = start().await;
    h.create_queue("q", "").await;
    h.create_queue("small", "<MaximumMessageSize>1024</MaximumMessageSize>")
        .await;
    h
}

fn stored(h: &Harness, queue: &str) -> usize {
    h.emu.inspect_queue(queue).expect("queue").len()
}

/// Item 2: characters XML 1.0 forbids, raw or as references, are refused with `MalformedXML`
/// (they would make every later receive answer ill-formed: a poison message).
#[tokio::test]
async fn forbidden_xml_characters_are_refused() {
    let h = harness().await;
    for body in [
        "a\u{1}b",
        "a&#1;b",
        "a&#x1F;b",
        "a&#xFFFE;b",
        "a\u{ffff}b",
        "\u{7}",
        "a&#x0B;b",
    ] {
        let r = h
            .send(Req::post(
                "/queues/q/messages",
                &message(&format!("<MessageBody>{body}</MessageBody>")),
            ))
            .await;
        r.assert_error(400, "MalformedXML");
    }
    // The same inside a property value or another element.
    let r = h
        .send(Req::post(
            "/queues/q/messages",
            &message(
                "<MessageBody>x</MessageBody><UserProperties><PropertyValue><Name>a</Name>\
                 <Value>&#2;</Value><Type>STRING</Type></PropertyValue></UserProperties>",
            ),
        ))
        .await;
    r.assert_error(400, "MalformedXML");
    assert_eq!(stored(&h, "q"), 0);
    // Allowed: tab, LF, CR (as a reference) and characters above U+FFFF.
    let r = h
        .send(Req::post(
            "/queues/q/messages",
            &message("<MessageBody>a\tb\nc&#13;d\u{1F600}</MessageBody>"),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Item 4: system properties count towards `MaximumMessageSize` and are limited in names.
#[tokio::test]
async fn system_properties_are_counted_and_limited() {
    let h = harness().await;
    let sys = |name: &str, value: &str| {
        format!(
            "<SystemPropertyValue><Name>{name}</Name><Value>{value}</Value>\
             <Type>STRING</Type></SystemPropertyValue>"
        )
    };
    let big = "v".repeat(2000);
    for (case, props) in [
        ("over the queue's 1,024 bytes", sys("traceparent", &big)),
        ("unknown name", sys("x-anything", "1")),
        ("repeated name", sys("baggage", "1") + &sys("baggage", "2")),
        (
            "value over 4,096 characters",
            sys("tracestate", &"v".repeat(5000)),
        ),
    ] {
        let r = h
            .send(Req::post(
                "/queues/small/messages",
                &message(&format!(
                    "<MessageBody>x</MessageBody><SystemProperties>{props}</SystemProperties>"
                )),
            ))
            .await;
        assert_eq!(r.status, 400, "{case}: {}", r.body);
    }
    assert_eq!(stored(&h, "small"), 0);
    let r = h
        .send(Req::post(
            "/queues/small/messages",
            &message(&format!(
                "<MessageBody>x</MessageBody><SystemProperties>{}</SystemProperties>",
                sys("traceparent", "00-abc-01")
            )),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Item 5: `UserProperties` and `SystemProperties` at most once (queues and topics).
#[tokio::test]
async fn duplicated_property_lists_are_refused() {
    let h = harness().await;
    let user = "<UserProperties><PropertyValue><Name>a</Name><Value>1</Value><Type>STRING</Type>\
                </PropertyValue></UserProperties>";
    let system = "<SystemProperties><SystemPropertyValue><Name>baggage</Name><Value>1</Value>\
                  <Type>STRING</Type></SystemPropertyValue></SystemProperties>";
    for dup in [user.repeat(2), system.repeat(2)] {
        let doc = message(&format!("<MessageBody>x</MessageBody>{dup}"));
        let r = h.send(Req::post("/queues/q/messages", &doc)).await;
        r.assert_error(400, "InvalidArgument");
        let t = h.send(Req::put("/topics/t", "")).await;
        assert!(t.status == 201 || t.status == 204, "{}", t.body);
        let r = h.send(Req::post("/topics/t/messages", &doc)).await;
        r.assert_error(400, "InvalidArgument");
    }
    assert_eq!(stored(&h, "q"), 0);
}

/// Item 5: repeated `x-mns-*` and signed headers are refused, not first-value-wins.
#[tokio::test]
async fn duplicated_signed_headers_are_refused() {
    let h = harness().await;
    for (name, a, b) in [
        ("x-mns-ret-number", "1", "1000"),
        ("x-mns-prefix", "q", "s"),
        ("x-mns-version", "2015-06-06", "2015-06-06"),
        ("Content-Type", "text/xml", "text/plain"),
    ] {
        let r = send_raw(
            &h,
            RawReq::new("GET", "/queues")
                .header(name, a)
                .header(name, b),
        )
        .await;
        assert_eq!(
            (r.status, r.code()),
            (400, Some("InvalidArgument")),
            "{name}: {}",
            r.text
        );
    }
}

/// Item 6: a missing, repeated or malformed `Host` is refused; an absolute-form target's
/// authority wins over `Host`.
#[tokio::test]
async fn host_is_checked_and_absolute_targets_use_their_authority() {
    let h = harness().await;
    let missing = send_raw(&h, RawReq::new("GET", "/queues/q").no_host()).await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    let addr = h.emu.local_addr().to_string();
    let repeated = send_raw(
        &h,
        RawReq::new("GET", "/queues/q")
            .header("Host", addr.clone())
            .header("Host", "evil.example"),
    )
    .await;
    assert_eq!(repeated.status, 400, "{}", repeated.text);
    for bad in ["evil.example/x?", "a b", "evil:port", "[::1"] {
        let r = send_raw(&h, RawReq::new("GET", "/queues/q").header("Host", bad)).await;
        assert_eq!(r.status, 400, "Host {bad:?}: {}", r.text);
    }
    let body = format!(r#"<?xml version="1.0" encoding="UTF-8"?><Queue {NS}/>"#);
    let r = send_raw(
        &h,
        RawReq::new("PUT", "http://target.example:9911/queues/abs")
            .header("Host", "header.example:1")
            .header("Content-Type", "text/xml")
            .body(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.header("location"),
        Some("http://target.example:9911/queues/abs")
    );
}

/// Item 7: unknown transfer codings get 501; a broken chunked body names its real cause.
#[tokio::test]
async fn transfer_codings_and_broken_chunks() {
    let h = harness().await;
    let chunked = |body: &str| {
        let mut b = format!("{:x}\r\n", body.len()).into_bytes();
        b.extend_from_slice(body.as_bytes());
        b.extend_from_slice(b"\r\n0\r\n\r\n");
        b
    };
    let doc = message("<MessageBody>plain</MessageBody>");
    let r = send_raw(
        &h,
        RawReq::new("POST", "/queues/q/messages")
            .header("Transfer-Encoding", "gzip, chunked")
            .body(chunked(&doc)),
    )
    .await;
    assert_eq!(r.status, 501, "{}", r.text);
    assert_eq!(stored(&h, "q"), 0);
    // A correct first chunk, then a chunk size that is not hexadecimal.
    let mut broken = format!("{:x}\r\n", doc.len()).into_bytes();
    broken.extend_from_slice(doc.as_bytes());
    broken.extend_from_slice(b"\r\nzz\r\n\r\n");
    let r = send_raw(
        &h,
        RawReq::new("POST", "/queues/q/messages")
            .header("Transfer-Encoding", "chunked")
            .body(broken),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(!r.text.contains("too large"), "{}", r.text);
    assert_eq!(stored(&h, "q"), 0);
}

/// Item 8: fault plans with statuses that cannot carry the error document are refused.
#[tokio::test]
async fn fault_plans_with_unsendable_statuses_are_refused() {
    let h = start_with(|b| b.admin_endpoint(true)).await;
    let admin = h.url(mns_emulator::faults::ADMIN_FAULTS_PATH);
    for status in [100, 204, 304, 200, 600, 999] {
        let plan =
            format!(r#"{{"rules":[{{"fault":{{"kind":"error","status":{status},"code":"X"}}}}]}}"#);
        let r = h.http.post(&admin).body(plan).send().await.expect("send");
        assert_eq!(r.status(), 400, "status {status}");
        let text = r.text().await.expect("body");
        assert!(text.contains("400 to 599"), "{text}");
    }
    let ok = r#"{"rules":[{"fault":{"kind":"error","status":503,"code":"X"}}]}"#;
    let r = h.http.post(&admin).body(ok).send().await.expect("send");
    assert_eq!(r.status(), 200);
}

/// `HEAD` is no MNS operation: it is answered like any request that does not route, with the
/// error document's `Content-Length` (spelled as the service spells it) and no body.
#[tokio::test]
async fn head_gets_the_error_answer_without_its_body() {
    let h = harness().await;
    let head = send_raw(&h, RawReq::new("HEAD", "/queues/q")).await;
    // The same error for a method the path does not take, with its body.
    let patch = send_raw(&h, RawReq::new("PATCH", "/queues/q")).await;
    assert_eq!(patch.code(), Some("InvalidRequestURL"), "{}", patch.text);
    assert_eq!(head.status, patch.status, "{}", head.text);
    let (head_head, head_body) = head.text.split_once("\r\n\r\n").expect("a head");
    let (_, patch_body) = patch.text.split_once("\r\n\r\n").expect("a head");
    assert!(head_head.contains("\r\nContent-Length: "), "{head_head}");
    assert_eq!(
        head.header("content-length"),
        patch.header("content-length")
    );
    assert_eq!(
        head.header("content-length"),
        Some(patch_body.len().to_string().as_str())
    );
    assert_eq!(head_body, "", "no body after the head");
    assert_eq!(stored(&h, "q"), 0);
}
