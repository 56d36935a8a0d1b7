//! Every control-plane request the official Python OpenAPI SDK was seen sending
//! (`testdata/vectors/openapi-requests-python.json`: ACS3 with and without a form body, with an
//! STS token, and RPC v1) replayed byte for byte over a socket against an emulator whose manual
//! clock is set to the request's time: each is accepted and takes effect on the engine the data
//! plane uses. A tampered signature and a replayed nonce are refused and change nothing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use mns_emulator::Emulator;
use mns_emulator::RunningEmulator;
use mns_emulator::clock::ManualClock;
use mns_emulator::engine::{QueueKind, ResourceTag};
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/openapi-requests-python.json"
);

fn vectors() -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors")).expect("JSON");
    doc["vectors"].as_array().expect("vectors").clone()
}

fn header<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str())
}

/// The request's time: `x-acs-date`, or the RPC `Timestamp` parameter.
fn sent_at(v: &Value) -> std::time::SystemTime {
    let raw = header(v, "x-acs-date")
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let target = v["target"].as_str().unwrap();
            url::form_urlencoded::parse(target.split_once('?').unwrap().1.as_bytes())
                .find(|(k, _)| k == "Timestamp")
                .map(|(_, t)| t.into_owned())
                .unwrap()
        });
    humantime::parse_rfc3339(&raw).unwrap()
}

/// The captured bytes, with `Connection: close` so the answer ends at EOF.
fn wire(v: &Value, tamper: bool) -> Vec<u8> {
    let mut out = format!(
        "{} {} HTTP/1.1\r\n",
        v["method"].as_str().unwrap(),
        v["target"].as_str().unwrap()
    );
    for h in v["headers"].as_array().unwrap() {
        let (name, mut value) = (h[0].as_str().unwrap(), h[1].as_str().unwrap().to_owned());
        if tamper && name.eq_ignore_ascii_case("authorization") {
            let last = value.pop().unwrap();
            value.push(if last == '0' { '1' } else { '0' });
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(v["body"].as_str().unwrap().as_bytes());
    bytes
}

fn exchange(addr: SocketAddr, bytes: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // one chunk: size line, data, terminator
        let data = body.split_once("\r\n").unwrap().1;
        data.rsplit_once("\r\n0").unwrap().0.to_owned()
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// An emulator at the vector's time with the state its action needs: the FIFO DLQ
/// `orders-dlq`, and for actions on existing resources the FIFO queue `orders-fifo` and FIFO
/// topic `events-fifo`.
async fn emulator_for(v: &Value) -> RunningEmulator {
    let running = Emulator::builder()
        .clock(ManualClock::at(sent_at(v)))
        .access_key("testid", "testsecret")
        .start()
        .await
        .unwrap();
    let emu = running.emulator();
    emu.create_fifo_queue("orders-dlq").unwrap();
    let action = v["action"].as_str().unwrap();
    if action != "CreateQueue" {
        emu.create_fifo_queue("orders-fifo").unwrap();
    }
    if action != "CreateTopic" {
        emu.with_engine(|e, now| {
            e.create_topic_with("events-fifo", Default::default(), QueueKind::Fifo, now)
        })
        .unwrap();
    }
    running
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_captured_request_is_accepted_and_takes_effect() {
    let all = vectors();
    assert_eq!(all.len(), 10);
    for v in &all {
        let id = &v["id"];
        let running = emulator_for(v).await;
        let addr = running.local_addr();
        let bytes = wire(v, false);
        let (status, doc) = tokio::task::spawn_blocking(move || exchange(addr, &bytes))
            .await
            .unwrap();
        assert_eq!(status, 200, "vector {id}: {doc}");
        assert_eq!(doc["Success"], Value::Bool(true), "vector {id}: {doc}");
        assert!(doc["RequestId"].as_str().is_some_and(|r| !r.is_empty()));
        let emu = running.emulator();
        match v["action"].as_str().unwrap() {
            "CreateQueue" => {
                assert_eq!(emu.queue_kind("orders-fifo").unwrap(), QueueKind::Fifo);
                let dlq = emu.queue_dlq_policy("orders-fifo").unwrap().unwrap();
                assert_eq!(dlq.dead_letter_target_queue, "orders-dlq");
                assert_eq!(dlq.max_receive_count, 3);
                let meta = emu.with_engine(|e, _| e.queue_meta("orders-fifo")).unwrap();
                assert_eq!(meta.tags[0].key, "env", "vector {id}");
                assert!(meta.tags[0].value.starts_with("test a/b"), "vector {id}");
            }
            "SetQueueAttributes" => {
                // `{"Enabled":false}`: kept, and moves nothing.
                let dlq = emu.queue_dlq_policy("orders-fifo").unwrap().unwrap();
                assert!(!dlq.enabled);
            }
            "CreateTopic" => {
                let kind = emu.with_engine(|e, _| e.topic_kind("events-fifo")).unwrap();
                assert_eq!(kind, QueueKind::Fifo, "vector {id}");
            }
            "Subscribe" => {
                let dlq = emu
                    .subscription_dlq_policy("events-fifo", "to-queue")
                    .unwrap()
                    .unwrap();
                assert_eq!(dlq.dead_letter_target_queue, "orders-dlq");
            }
            "GetQueueAttributes" => {
                assert_eq!(doc["Data"]["QueueName"], "orders-fifo");
                assert_eq!(doc["Data"]["QueueType"], "fifo");
            }
            "ListQueue" => {
                // Filter: name prefix `orders`, type fifo, tag env=prod (none carries it).
                assert_eq!(doc["Data"]["Total"], 0, "{doc}");
                emu.with_engine(|e, now| {
                    e.set_queue_tags("orders-fifo", vec![ResourceTag::new("env", "prod")], now)
                })
                .unwrap();
            }
            other => panic!("unexpected action {other}"),
        }
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_or_replayed_requests_are_refused_and_change_nothing() {
    for v in vectors()
        .iter()
        .filter(|v| v["action"] == "CreateQueue" && v["signature_scheme"] == "ACS3-HMAC-SHA256")
    {
        let running = emulator_for(v).await;
        let addr = running.local_addr();
        let tampered = wire(v, true);
        let (status, doc) = tokio::task::spawn_blocking(move || exchange(addr, &tampered))
            .await
            .unwrap();
        assert_eq!(
            (status, doc["Code"].as_str()),
            (400, Some("SignatureDoesNotMatch"))
        );
        assert!(
            !running
                .emulator()
                .with_engine(|e, _| e.queue_exists("orders-fifo"))
        );

        let good = wire(v, false);
        let again = good.clone();
        let (status, _) = tokio::task::spawn_blocking(move || exchange(addr, &good))
            .await
            .unwrap();
        assert_eq!(status, 200);
        running
            .emulator()
            .with_engine(|e, now| e.delete_queue("orders-fifo", now))
            .unwrap();
        let (status, doc) = tokio::task::spawn_blocking(move || exchange(addr, &again))
            .await
            .unwrap();
        assert_eq!(
            (status, doc["Code"].as_str()),
            (400, Some("SignatureNonceUsed"))
        );
        assert!(
            !running
                .emulator()
                .with_engine(|e, _| e.queue_exists("orders-fifo"))
        );
        running.shutdown().await;
    }
}
