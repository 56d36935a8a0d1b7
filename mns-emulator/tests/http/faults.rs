//! Fault injection over HTTP: each fault kind, the seed's determinism and the admin endpoint.
//! Time-dependent faults (latency, long-poll drops) run on the harness's `ManualClock`.

use std::time::Duration;

use crate::http_common::{Harness, Req, start, start_with};
use mns_emulator::faults::{Fault, FaultPlan, FaultRule, Operation};

async fn queue_with(h: &Harness, name: &str, messages: usize) {
    h.create_queue(name, "<VisibilityTimeout>30</VisibilityTimeout>")
        .await;
    for i in 0..messages {
        let r = h
            .send_message(name, &format!("<MessageBody>m{i}</MessageBody>"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

fn stored(h: &Harness, queue: &str) -> usize {
    h.emu.inspect_queue(queue).expect("queue").len()
}

/// Sends `req` with a raw reqwest call and reports whether the exchange failed at the transport
/// level (no complete answer).
async fn transport_fails(h: &Harness, target: &str, method: reqwest::Method) -> bool {
    let req = match method.as_str() {
        "POST" => Req::post(target, "<Message><MessageBody>x</MessageBody></Message>"),
        m => Req::new(m, target),
    };
    let http = h.http.clone();
    let endpoint = h.emu.endpoint().to_owned();
    let date = h.http_date();
    // `send_with` panics on transport errors: run it in a task and look at how it ended.
    tokio::spawn(async move { crate::http_common::send_with(&http, &endpoint, &date, req).await })
        .await
        .is_err()
}

#[tokio::test]
async fn error_for_the_next_n_calls_on_one_queue() {
    let h = start().await;
    queue_with(&h, "a", 0).await;
    queue_with(&h, "b", 0).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(1).rule(
            FaultRule::new(Fault::error(500, "InternalError"))
                .operation(Operation::SendMessage)
                .resource("a")
                .times(2),
        ),
    );
    for _ in 0..2 {
        let r = h.send_message("a", "<MessageBody>x</MessageBody>").await;
        r.assert_error(500, "InternalError");
        let other = h.send_message("b", "<MessageBody>x</MessageBody>").await;
        assert_eq!(other.status, 201);
    }
    assert_eq!(stored(&h, "a"), 0, "an injected error changes nothing");
    let r = h.send_message("a", "<MessageBody>x</MessageBody>").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(h.emu.faults().report().fired, vec![2]);
}

#[tokio::test]
async fn throttling_with_a_probability_is_deterministic_under_the_seed() {
    let h = start().await;
    queue_with(&h, "q", 0).await;
    let plan = FaultPlan::seeded(7).rule(
        FaultRule::new(Fault::error(400, "QpsLimitExceeded"))
            .operation(Operation::GetQueueAttributes)
            .probability(0.2),
    );
    let mut runs = Vec::new();
    for _ in 0..2 {
        h.emu.faults().set_plan(plan.clone());
        let mut pattern = Vec::new();
        for _ in 0..200 {
            let r = h.send(Req::get("/queues/q")).await;
            if r.status != 200 {
                r.assert_error(400, "QpsLimitExceeded");
            }
            pattern.push(r.status == 200);
        }
        runs.push(pattern);
    }
    assert_eq!(runs[0], runs[1], "same seed, same faults");
    let hit = runs[0].iter().filter(|ok| !**ok).count();
    assert!(
        (20..=60).contains(&hit),
        "{hit} of 200 throttled at p = 0.2"
    );
}

#[tokio::test]
async fn latency_waits_on_the_emulator_clock() {
    let h = start().await;
    queue_with(&h, "q", 0).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(0).rule(
            FaultRule::new(Fault::latency(Duration::from_secs(5)))
                .operation(Operation::GetQueueAttributes),
        ),
    );
    let http = h.http.clone();
    let endpoint = h.emu.endpoint().to_owned();
    let date = h.http_date();
    let call = tokio::spawn(async move {
        crate::http_common::send_with(&http, &endpoint, &date, Req::get("/queues/q")).await
    });
    // Cannot finish before the clock moves, however long we wait here.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!call.is_finished(), "answered before the latency elapsed");
    h.advance(5);
    let r = call.await.expect("answered");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn dropped_connection_before_handling_changes_nothing() {
    let h = start().await;
    queue_with(&h, "q", 0).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(0)
            .rule(FaultRule::new(Fault::DropConnection).operation(Operation::SendMessage)),
    );
    assert!(transport_fails(&h, "/queues/q/messages", reqwest::Method::POST).await);
    assert_eq!(stored(&h, "q"), 0);
    // The server keeps serving.
    h.emu.faults().clear();
    assert_eq!(h.send(Req::get("/queues/q")).await.status, 200);
}

#[tokio::test]
async fn dropped_response_keeps_the_change() {
    let h = start().await;
    queue_with(&h, "q", 0).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(0)
            .rule(FaultRule::new(Fault::DropResponse).operation(Operation::SendMessage)),
    );
    assert!(transport_fails(&h, "/queues/q/messages", reqwest::Method::POST).await);
    assert_eq!(
        stored(&h, "q"),
        1,
        "the send happened, only its answer was lost"
    );
}

#[tokio::test]
async fn connection_dropped_mid_long_poll_takes_nothing() {
    let h = start().await;
    queue_with(&h, "q", 0).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(0).rule(
            FaultRule::new(Fault::DropDuringLongPoll {
                after_millis: 2_000,
            })
            .operation(Operation::ReceiveMessage)
            .times(1),
        ),
    );
    let http = h.http.clone();
    let endpoint = h.emu.endpoint().to_owned();
    let date = h.http_date();
    let poll = tokio::spawn(async move {
        crate::http_common::send_with(
            &http,
            &endpoint,
            &date,
            Req::get("/queues/q/messages?waitseconds=10"),
        )
        .await
    });
    h.emu.wait_for_waiting_receives(1).await;
    h.advance(2);
    assert!(
        poll.await.is_err(),
        "the long poll's connection was dropped"
    );
    h.emu.wait_for_waiting_receives(0).await;
    // A message sent now is still there for the next receive.
    h.send_message("q", "<MessageBody>late</MessageBody>").await;
    let r = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(r.text("MessageBody").as_deref(), Some("late"));
}

#[tokio::test]
async fn duplicate_delivery_hands_a_message_out_twice() {
    let h = start().await;
    queue_with(&h, "q", 1).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(0).rule(
            FaultRule::new(Fault::DuplicateDelivery)
                .operation(Operation::ReceiveMessage)
                .times(1),
        ),
    );
    let first = h.send(Req::get("/queues/q/messages")).await;
    let second = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(first.text("MessageId"), second.text("MessageId"));
    assert_eq!(second.text("DequeueCount").as_deref(), Some("2"));
    let h1 = first.text("ReceiptHandle").unwrap();
    let h2 = second.text("ReceiptHandle").unwrap();
    let stale = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={h1}"
        )))
        .await;
    stale.assert_error(404, "MessageNotExist");
    let ok = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={h2}"
        )))
        .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(stored(&h, "q"), 0);
}

#[tokio::test]
async fn receipt_handles_expire_early() {
    let h = start().await;
    queue_with(&h, "q", 1).await;
    let got = h.send(Req::get("/queues/q/messages")).await;
    let handle = got.text("ReceiptHandle").unwrap();
    h.emu.faults().set_plan(
        FaultPlan::seeded(0).rule(
            FaultRule::new(Fault::ExpireReceiptHandles)
                .operation(Operation::DeleteMessage)
                .resource("q")
                .times(1),
        ),
    );
    let r = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={handle}"
        )))
        .await;
    r.assert_error(404, "MessageNotExist");
    assert_eq!(stored(&h, "q"), 1, "not deleted");
    // It comes back when its visibility timeout ends, as after any lost handle.
    h.advance(30);
    let again = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(again.text("MessageId"), got.text("MessageId"));
}

#[tokio::test]
async fn admin_endpoint_sets_reads_and_clears_the_plan() {
    let h = start_with(|b| b.admin_endpoint(true)).await;
    queue_with(&h, "q", 0).await;
    let url = h.url(mns_emulator::faults::ADMIN_FAULTS_PATH);
    let plan = r#"{"seed":3,"rules":[{"operation":"GetQueueAttributes","resource":"q","times":1,
        "fault":{"kind":"error","status":503,"code":"ServiceUnavailable","message":"try later"}}]}"#;
    let set = h.http.post(&url).body(plan).send().await.unwrap();
    assert_eq!(set.status(), 200);
    let r = h.send(Req::get("/queues/q")).await;
    r.assert_error(503, "ServiceUnavailable");
    assert_eq!(r.text("Message").as_deref(), Some("try later"));
    assert_eq!(h.send(Req::get("/queues/q")).await.status, 200);
    let report: serde_json::Value =
        serde_json::from_str(&h.http.get(&url).send().await.unwrap().text().await.unwrap())
            .unwrap();
    assert_eq!(report["fired"], serde_json::json!([1]));
    assert_eq!(report["plan"]["seed"], 3);
    let bad = h.http.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let cleared = h.http.delete(&url).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(h.emu.faults().report().plan.rules.is_empty());
}

#[tokio::test]
async fn admin_endpoint_is_off_by_default() {
    let h = start().await;
    let r = h
        .http
        .post(h.url(mns_emulator::faults::ADMIN_FAULTS_PATH))
        .body("{}")
        .send()
        .await
        .unwrap();
    // An ordinary MNS request without a signature.
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("MissingAuthorizationHeader")
    );
}

/// Kills the child if the test fails before stopping it, so no server outlives the test.
#[cfg(feature = "cli")]
struct KillOnDrop(std::process::Child);

#[cfg(feature = "cli")]
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(feature = "cli")]
#[tokio::test]
async fn standalone_binary_takes_a_plan_file_and_the_admin_endpoint() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = std::env::temp_dir().join(format!("mns-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan_file = dir.join("plan.json");
    std::fs::write(
        &plan_file,
        r#"{"seed":1,"rules":[{"operation":"ListQueue","times":1,
            "fault":{"kind":"error","status":500,"code":"InternalError"}}]}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .args(["--bind", "127.0.0.1:0", "--admin", "--log-level", "warn"])
        .arg("--faults")
        .arg(&plan_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let _child = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let endpoint = line
        .trim()
        .strip_prefix("mns-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // The binary runs on the system clock, so sign with the current date.
    #[expect(
        clippy::disallowed_methods,
        reason = "wall-clock bound on a real process or server"
    )]
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let list = || crate::http_common::send_with(&http, &endpoint, &date, Req::get("/queues"));
    list().await.assert_error(500, "InternalError");
    assert_eq!(list().await.status, 200, "the plan file's rule fired once");

    let admin = format!("{endpoint}{}", mns_emulator::faults::ADMIN_FAULTS_PATH);
    let plan = r#"{"rules":[{"operation":"ListQueue","times":1,
        "fault":{"kind":"error","status":400,"code":"QpsLimitExceeded"}}]}"#;
    assert_eq!(
        http.post(&admin).body(plan).send().await.unwrap().status(),
        200
    );
    list().await.assert_error(400, "QpsLimitExceeded");
    assert_eq!(list().await.status, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads one response (head, then a `Content-Length` body) from a kept-alive connection; the
/// status, or `None` when the server closed the connection instead.
async fn read_one(tcp: &mut tokio::net::TcpStream) -> Option<u16> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut byte))
            .await
            .expect("an answer within 10 s")
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.push(byte[0]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    tcp.read_exact(&mut body).await.ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// An injected error answers without handling the request, so without reading its body; the
/// body is drained anyway, and the kept-alive connection carries the next request (hyper would
/// otherwise close it: the official Python SDK's next call failed with a broken pipe). With
/// `Expect: 100-continue` (the Java SDK's habit) the client sends the body only once the drain
/// asks for it, so the exchange below is deterministic.
#[tokio::test]
async fn an_injected_error_keeps_the_connection_usable() {
    use tokio::io::AsyncWriteExt as _;
    let h = start().await;
    queue_with(&h, "a", 0).await;
    h.emu.faults().set_plan(
        FaultPlan::seeded(1).rule(
            FaultRule::new(Fault::error(500, "InternalError"))
                .operation(Operation::SendMessage)
                .times(1),
        ),
    );
    let request = |expect: bool| {
        let mut req = crate::http_common::raw::RawReq::new("POST", "/queues/a/messages")
            .header("Content-Type", "text/xml")
            .body("<Message><MessageBody>x</MessageBody></Message>");
        if expect {
            req = req.header("Expect", "100-continue");
        }
        String::from_utf8(req.bytes(&h))
            .expect("utf-8")
            .replace("Connection: close", "Connection: keep-alive")
    };
    let first = request(true);
    let (head, body) = first.split_at(first.find("\r\n\r\n").expect("head") + 4);
    let mut tcp = crate::http_common::raw::connect(&h).await;
    tcp.write_all(head.as_bytes()).await.expect("write head");
    let mut status = read_one(&mut tcp).await;
    if status == Some(100) {
        tcp.write_all(body.as_bytes()).await.expect("write body");
        status = read_one(&mut tcp).await;
    }
    assert_eq!(status, Some(500), "the injected error");
    tcp.write_all(request(false).as_bytes())
        .await
        .expect("write");
    assert_eq!(
        read_one(&mut tcp).await,
        Some(201),
        "the same connection carries the next request"
    );
    assert_eq!(stored(&h, "a"), 1);
}
