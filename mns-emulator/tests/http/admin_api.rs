//! The admin API (`/__emulator/…`) and the metrics endpoint over HTTP: inspection of every
//! message without side effects, reset, the virtual clock, the request log, `/metrics` and bad
//! input. Time moves only through the harness's `ManualClock` or the admin clock endpoints.

use serde_json::{Value, json};

use crate::http_common::{Harness, Req, T0_MS, start_with};

async fn admin() -> Harness {
    start_with(|b| b.admin_endpoint(true).metrics_endpoint(true)).await
}

async fn get_json(h: &Harness, path: &str) -> (u16, Value) {
    let r = h.http.get(h.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

async fn post_json(h: &Harness, path: &str, body: &str) -> (u16, Value) {
    let r = h
        .http
        .post(h.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

/// Queue `q` (visibility 30 s) with one visible, one in-flight and one delayed message; returns
/// the in-flight message's receipt handle.
async fn three_states(h: &Harness) -> String {
    h.create_queue("q", "<VisibilityTimeout>30</VisibilityTimeout>")
        .await;
    for inner in [
        "<MessageBody>first</MessageBody>",
        "<MessageBody>second</MessageBody>",
        "<MessageBody>later</MessageBody><DelaySeconds>60</DelaySeconds>",
    ] {
        assert_eq!(h.send_message("q", inner).await.status, 201);
    }
    let got = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.text("ReceiptHandle").unwrap()
}

fn counts(queues: &Value, name: &str) -> (u64, u64, u64) {
    let q = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .unwrap();
    (
        q["active"].as_u64().unwrap(),
        q["inactive"].as_u64().unwrap(),
        q["delayed"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn every_message_in_every_state_without_side_effects() {
    let h = admin().await;
    let handle = three_states(&h).await;
    let (status, queues) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(status, 200);
    assert_eq!(counts(&queues, "q"), (1, 1, 1));
    let (_, first) = get_json(&h, "/__emulator/queues/q/messages").await;
    let (_, second) = get_json(&h, "/__emulator/queues/q/messages").await;
    assert_eq!(first, second, "reading twice changes nothing");
    let msgs = first["messages"].as_array().unwrap();
    let by_body = |b: &str| msgs.iter().find(|m| m["body"] == b).unwrap().clone();
    let in_flight = by_body("first");
    assert_eq!(in_flight["state"], "in_flight");
    assert_eq!(in_flight["receipt_handle"], handle.as_str());
    assert_eq!(in_flight["dequeue_count"], 1);
    assert_eq!(in_flight["next_visible_time_ms"], T0_MS + 30_000);
    assert_eq!(by_body("second")["state"], "visible");
    let delayed = by_body("later");
    assert_eq!(delayed["state"], "delayed");
    assert_eq!(delayed["next_visible_time_ms"], T0_MS + 60_000);
    // Still receivable exactly as before: the listing neither took nor hid anything.
    let attrs = h.send(Req::get("/queues/q")).await;
    assert_eq!(attrs.text("ActiveMessages").as_deref(), Some("1"));
    assert_eq!(attrs.text("InactiveMessages").as_deref(), Some("1"));
    assert_eq!(attrs.text("DelayMessages").as_deref(), Some("1"));
    let (status, missing) = get_json(&h, "/__emulator/queues/nope/messages").await;
    assert_eq!(status, 404);
    assert!(missing["error"].as_str().unwrap().contains("nope"));
}

#[tokio::test]
async fn the_admin_clock_drives_visibility_and_long_polls() {
    let h = admin().await;
    three_states(&h).await;
    let (status, clock) = get_json(&h, "/__emulator/clock").await;
    assert_eq!(status, 200);
    assert_eq!(clock["mode"], "virtual");
    assert_eq!(clock["now_ms"], T0_MS);
    // A long poll on an empty queue waits; advancing the clock ends it.
    h.create_queue("empty", "").await;
    let poll = {
        let (http, endpoint, date) = (h.http.clone(), h.emu.endpoint().to_owned(), h.http_date());
        tokio::spawn(async move {
            crate::http_common::send_with(
                &http,
                &endpoint,
                &date,
                Req::get("/queues/empty/messages?waitseconds=10"),
            )
            .await
        })
    };
    h.emu.wait_for_waiting_receives(1).await;
    let (status, moved) = post_json(&h, "/__emulator/clock/advance", r#"{"by":"10s"}"#).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["now_ms"], T0_MS + 10_000);
    poll.await.unwrap().assert_error(404, "MessageNotExist");
    // 20 s more: the in-flight message's 30 s visibility timeout has passed.
    let (status, _) = post_json(&h, "/__emulator/clock/advance", r#"{"seconds":20}"#).await;
    assert_eq!(status, 200);
    let (_, queues) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(counts(&queues, "q"), (2, 0, 1));
    // Setting it past the delay makes the delayed one visible too.
    let (status, set) = post_json(
        &h,
        "/__emulator/clock",
        &json!({ "now_ms": T0_MS + 61_000 }).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(set["now"], "2024-01-02T03:05:06.000Z");
    let (_, queues) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(counts(&queues, "q"), (3, 0, 0));
}

#[tokio::test]
async fn a_system_clock_cannot_be_moved() {
    let emu = mns_emulator::Emulator::builder()
        .admin_endpoint(true)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/__emulator/clock/advance", emu.endpoint());
    let r = http.post(&url).body(r#"{"ms":1000}"#).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(body["error"].as_str().unwrap().contains("--clock virtual"));
}

#[tokio::test]
async fn reset_one_queue_or_everything() {
    let h = admin().await;
    let handle = three_states(&h).await;
    let (status, reset) = post_json(&h, "/__emulator/reset", r#"{"queue":"q"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(reset["removed_messages"], 3);
    let (_, queues) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(counts(&queues, "q"), (0, 0, 0));
    let attrs = h.send(Req::get("/queues/q")).await;
    assert_eq!(
        attrs.text("VisibilityTimeout").as_deref(),
        Some("30"),
        "settings kept"
    );
    let gone = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={handle}"
        )))
        .await;
    assert!(gone.status >= 400, "the old handle no longer works");
    let (status, _) = post_json(&h, "/__emulator/reset", r#"{"queue":"nope"}"#).await;
    assert_eq!(status, 404);
    let (status, _) = post_json(&h, "/__emulator/reset", "").await;
    assert_eq!(status, 200);
    let (_, queues) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(queues["queues"], json!([]));
    h.send(Req::get("/queues/q"))
        .await
        .assert_error(404, "QueueNotExist");
}

#[tokio::test]
async fn bad_admin_input_is_refused_and_changes_nothing() {
    let h = admin().await;
    three_states(&h).await;
    for (method, path, body, status) in [
        ("GET", "/__emulator/nothing-here", "", 404),
        ("PUT", "/__emulator/clock", "", 405),
        ("POST", "/__emulator/reset", "{not json", 400),
        ("POST", "/__emulator/reset", r#"{"queues":"q"}"#, 400),
        (
            "POST",
            "/__emulator/reset",
            r#"{"queue":"q","topic":"t"}"#,
            400,
        ),
        (
            "POST",
            "/__emulator/clock/advance",
            r#"{"ms":1,"seconds":1}"#,
            400,
        ),
        (
            "POST",
            "/__emulator/clock/advance",
            r#"{"seconds":-1}"#,
            400,
        ),
        ("POST", "/__emulator/clock/advance", r#"{"by":"soon"}"#, 400),
        ("POST", "/__emulator/clock", r#"{"now":"yesterday"}"#, 400),
        // Past what the clock can show (overflowed SystemTime or year > 9999): a 400, no panic.
        (
            "POST",
            "/__emulator/clock/advance",
            r#"{"seconds":1e19}"#,
            400,
        ),
        (
            "POST",
            "/__emulator/clock/advance",
            r#"{"ms":18446744073709551615}"#,
            400,
        ),
        (
            "POST",
            "/__emulator/clock/advance",
            r#"{"by":"100000000years"}"#,
            400,
        ),
        (
            "POST",
            "/__emulator/clock",
            r#"{"now_ms":18446744073709551615}"#,
            400,
        ),
        ("GET", "/__emulator/requests?limit=x", "", 400),
        ("GET", "/__emulator/deliveries?topik=t", "", 400),
    ] {
        let r = h
            .http
            .request(method.parse().unwrap(), h.url(path))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path} {body}");
        let answer: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert!(
            !answer["error"].as_str().unwrap().is_empty(),
            "{method} {path}: {answer}"
        );
    }
    let (_, queues) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(counts(&queues, "q"), (1, 1, 1), "nothing changed");
    let (_, clock) = get_json(&h, "/__emulator/clock").await;
    assert_eq!(clock["now_ms"], T0_MS, "the clock did not move");
}

#[tokio::test]
async fn the_request_log_names_operations_and_keys_never_secrets() {
    let h = admin().await;
    three_states(&h).await;
    h.send(Req::get("/queues/missing"))
        .await
        .assert_error(404, "QueueNotExist");
    let r = h
        .http
        .get(h.url("/__emulator/requests?limit=3"))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains("testsecret"), "{text}");
    let log: Value = serde_json::from_str(&text).unwrap();
    let entries = log["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let ops: Vec<&str> = entries
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["SendMessage", "ReceiveMessage", "GetQueueAttributes"]);
    let last = &entries[2];
    assert_eq!(last["status"], 404);
    assert_eq!(last["code"], "QueueNotExist");
    assert_eq!(last["access_key_id"], "testid");
    assert_eq!(last["path"], "/queues/missing");
    assert_eq!(entries[0]["status"], 201);
    assert_eq!(entries[0]["code"], Value::Null);
    assert!(entries[0]["request_id"].as_str().unwrap().len() == 24);
    // The same log in-process.
    let records = h.emu.recent_requests(1);
    assert_eq!(records[0].operation, "GetQueueAttributes");
    assert_eq!(records[0].code.as_deref(), Some("QueueNotExist"));
}

#[tokio::test]
async fn metrics_count_requests_messages_and_queue_depths() {
    let h = admin().await;
    let handle = three_states(&h).await;
    let deleted = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={handle}"
        )))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let r = h.http.get(h.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = r.text().await.unwrap();
    for line in [
        r#"mns_emulator_requests_total{operation="SendMessage",code="OK"} 3"#,
        r#"mns_emulator_requests_total{operation="CreateQueue",code="OK"} 1"#,
        "mns_emulator_messages_sent_total 3",
        "mns_emulator_messages_received_total 1",
        "mns_emulator_messages_deleted_total 1",
        r#"mns_emulator_queue_messages{queue="q",state="active"} 1"#,
        r#"mns_emulator_queue_messages{queue="q",state="inactive"} 0"#,
        r#"mns_emulator_queue_messages{queue="q",state="delayed"} 1"#,
        r#"mns_emulator_request_duration_seconds_count{operation="SendMessage"} 3"#,
        "mns_emulator_long_polls_waiting 0",
        "# EOF",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    let (status, health) = get_json(&h, "/__emulator/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["clock"], "virtual");
}

#[tokio::test]
async fn metrics_and_admin_are_off_unless_enabled() {
    let h = start_with(|b| b).await;
    for path in ["/metrics", "/__emulator/health", "/__emulator/queues"] {
        let r = h.http.get(h.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}: an unsigned MNS request");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("MissingAuthorizationHeader")
        );
    }
}

#[tokio::test]
async fn the_dashboard_and_the_openapi_document_are_served() {
    let h = admin().await;
    for path in ["/__emulator", "/__emulator/"] {
        let r = h.http.get(h.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("<table id=\"queues\">"));
    }
    let (status, doc) = get_json(&h, "/__emulator/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
}

#[tokio::test]
async fn snapshot_reset_restore_gives_back_identical_state() {
    let h = admin().await;
    h.create_queue("dead", "").await;
    let handle = three_states(&h).await;
    h.emu
        .emulator()
        .set_queue_dlq_policy(
            "q",
            Some(mns_emulator::engine::QueueDlqPolicy::new("dead", 5)),
        )
        .unwrap();
    h.emu
        .with_engine(|e, now| {
            e.create_topic(
                "t",
                mns_emulator::engine::TopicAttributesInput::default(),
                now,
            )
        })
        .unwrap();
    let (status, snapshot) = get_json(&h, "/__emulator/snapshot").await;
    assert_eq!(status, 200);
    assert_eq!(snapshot["clock_ms"], T0_MS);
    let (_, messages_before) = get_json(&h, "/__emulator/queues/q/messages").await;

    post_json(&h, "/__emulator/clock/advance", r#"{"seconds":5}"#).await;
    post_json(&h, "/__emulator/reset", "{}").await;
    let (_, emptied) = get_json(&h, "/__emulator/queues").await;
    assert_eq!(emptied["queues"], json!([]));

    let (status, restored) = post_json(&h, "/__emulator/restore", &snapshot.to_string()).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["clock_restored"], true);
    let (_, again) = get_json(&h, "/__emulator/snapshot").await;
    assert_eq!(again, snapshot, "identical state and clock");
    let (_, messages_after) = get_json(&h, "/__emulator/queues/q/messages").await;
    assert_eq!(messages_after, messages_before);
    assert_eq!(
        h.emu.emulator().queue_dlq_policy("q").unwrap(),
        Some(mns_emulator::engine::QueueDlqPolicy::new("dead", 5))
    );
    // The receipt handle issued before the snapshot still deletes its message.
    let deleted = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={handle}"
        )))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
}

#[tokio::test]
async fn a_bad_snapshot_is_refused_and_changes_nothing() {
    let h = admin().await;
    three_states(&h).await;
    let (_, snapshot) = get_json(&h, "/__emulator/snapshot").await;
    let mut other_version = snapshot.clone();
    other_version["image"]["format_version"] = json!(99);
    let mut inconsistent = snapshot.clone();
    let first = inconsistent["image"]["messages"][0].clone();
    inconsistent["image"]["messages"]
        .as_array_mut()
        .unwrap()
        .push(first);
    let mut extra = snapshot.clone();
    extra["surprise"] = json!(1);
    for (body, status, says) in [
        ("{not json".to_owned(), 400, "malformed"),
        ("[]".to_owned(), 400, "JSON object"),
        (json!({"clock_ms": 1}).to_string(), 400, "no \"image\""),
        (extra.to_string(), 400, "surprise"),
        (other_version.to_string(), 400, "version 99"),
        (inconsistent.to_string(), 422, "inconsistent"),
    ] {
        let (got, answer) = post_json(&h, "/__emulator/restore", &body).await;
        assert_eq!(got, status, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(says),
            "{says}: {answer}"
        );
    }
    let (_, after) = get_json(&h, "/__emulator/snapshot").await;
    assert_eq!(after, snapshot, "nothing changed");
}

#[tokio::test]
async fn topics_subscriptions_and_the_delivery_log() {
    let h = admin().await;
    h.create_queue("inbox", "").await;
    let endpoint = format!(
        "acs:mns:{}:{}:queues/inbox",
        h.emu.region(),
        h.emu.account_id()
    );
    h.emu
        .with_engine(|e, now| {
            e.create_topic(
                "t",
                mns_emulator::engine::TopicAttributesInput::default(),
                now,
            )?;
            let sub = mns_emulator::engine::SubscribeInput {
                endpoint: Some(endpoint.clone()),
                filter_tag: Some("vip".to_owned()),
                ..Default::default()
            };
            e.subscribe("t", "to-inbox", sub, now)?;
            let mut message = mns_emulator::engine::PublishMessageInput::new("hello");
            message.message_tag = Some("vip".to_owned());
            e.publish_message("t", message, now)
        })
        .unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        h.emu.deliveries().wait_for_attempts(1),
    )
    .await
    .expect("delivered within 30 s");
    let (_, topics) = get_json(&h, "/__emulator/topics").await;
    let sub = &topics["topics"][0]["subscriptions"][0];
    assert_eq!(sub["name"], "to-inbox");
    assert_eq!(sub["endpoint"], endpoint.as_str());
    assert_eq!(sub["filter_tag"], "vip");
    let (status, log) = get_json(&h, "/__emulator/deliveries?topic=t").await;
    assert_eq!(status, 200);
    assert_eq!(log["pending"], 0);
    assert_eq!(log["attempts"][0]["delivered"], true);
    assert_eq!(log["delivered"][0]["subscription"], "to-inbox");
    assert!(
        log["delivered"][0]["body"]
            .as_str()
            .unwrap()
            .contains("hello")
    );
    let (_, other) = get_json(&h, "/__emulator/deliveries?topic=other").await;
    assert_eq!(other["delivered"], json!([]));
    let metrics = h
        .http
        .get(h.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"mns_emulator_topic_deliveries_total{outcome="delivered"} 1"#,
        r#"mns_emulator_topic_delivery_attempts_total{outcome="delivered"} 1"#,
        r#"mns_emulator_topic_delivery_attempts_total{outcome="failed"} 0"#,
        "mns_emulator_topic_deliveries_pending 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line:?} in\n{metrics}");
    }
    let (status, _) = post_json(&h, "/__emulator/reset", r#"{"topic":"t"}"#).await;
    assert_eq!(status, 200);
    let (status, _) = post_json(&h, "/__emulator/reset", r#"{"topic":"nope"}"#).await;
    assert_eq!(status, 404);
}

/// With a fixed seed, a full reset continues the message sequence: a receipt handle issued
/// before the reset never matches a message sent after it (it would, were the sequence to
/// restart at 0, since handles derive from the seed and the sequence number).
#[tokio::test]
async fn a_handle_from_before_a_full_reset_never_works_after_it() {
    let mut config = mns_emulator::engine::EngineConfig::default();
    config.seed = Some(42);
    let h = start_with(|b| b.admin_endpoint(true).engine_config(config)).await;
    h.create_queue("q", "").await;
    assert_eq!(
        h.send_message("q", "<MessageBody>a</MessageBody>")
            .await
            .status,
        201
    );
    let old = receive_handle(&h).await;
    let (status, _) = post_json(&h, "/__emulator/reset", "{}").await;
    assert_eq!(status, 200);
    h.create_queue("q", "").await;
    assert_eq!(
        h.send_message("q", "<MessageBody>b</MessageBody>")
            .await
            .status,
        201
    );
    let new = receive_handle(&h).await;
    assert_ne!(old, new, "a new message gets a new handle");
    let r = h
        .send(Req::delete(&format!(
            "/queues/q/messages?ReceiptHandle={old}"
        )))
        .await;
    assert!(
        r.status >= 400,
        "the old handle deletes nothing: {}",
        r.status
    );
}

async fn receive_handle(h: &Harness) -> String {
    let got = h.send(Req::get("/queues/q/messages")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.text("ReceiptHandle").unwrap()
}
