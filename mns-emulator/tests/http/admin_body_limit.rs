//! The admin API's body limit: a snapshot larger than axum's 2 MiB default restores, and a body
//! past the configured limit gets a JSON 413 and changes nothing.

use serde_json::Value;

use crate::http_common::{Harness, start_with};

async fn call(h: &Harness, method: &str, path: &str, body: String) -> (u16, Value) {
    let r = h
        .http
        .request(method.parse().unwrap(), h.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

/// `n` messages of 60 000 bytes each in queue `big`.
async fn fill(h: &Harness, n: usize) {
    h.create_queue("big", "").await;
    let body = "x".repeat(60_000);
    for _ in 0..n {
        let sent = h
            .send_message("big", &format!("<MessageBody>{body}</MessageBody>"))
            .await;
        assert_eq!(sent.status, 201, "{}", sent.body);
    }
}

#[tokio::test]
async fn a_snapshot_past_two_mib_restores() {
    let h = start_with(|b| b.admin_endpoint(true)).await;
    fill(&h, 50).await;
    let (status, snapshot) = call(&h, "GET", "/__emulator/snapshot", String::new()).await;
    assert_eq!(status, 200);
    let text = snapshot.to_string();
    assert!(text.len() > 5 * 1024 * 1024 / 2, "{} bytes", text.len());
    call(&h, "POST", "/__emulator/reset", "{}".to_owned()).await;
    let (status, answer) = call(&h, "POST", "/__emulator/restore", text).await;
    assert_eq!(status, 200, "{answer}");
    let (_, again) = call(&h, "GET", "/__emulator/snapshot", String::new()).await;
    assert_eq!(again, snapshot, "identical state");
}

#[tokio::test]
async fn a_body_past_the_limit_is_a_json_413_and_changes_nothing() {
    let h = start_with(|b| b.admin_endpoint(true).admin_body_limit_bytes(64 * 1024)).await;
    fill(&h, 2).await;
    let (_, snapshot) = call(&h, "GET", "/__emulator/snapshot", String::new()).await;
    let text = snapshot.to_string();
    assert!(text.len() > 64 * 1024);
    call(&h, "POST", "/__emulator/reset", "{}".to_owned()).await;
    let (status, answer) = call(&h, "POST", "/__emulator/restore", text).await;
    assert_eq!(status, 413, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("65536 bytes"),
        "{answer}"
    );
    let (_, queues) = call(&h, "GET", "/__emulator/queues", String::new()).await;
    assert_eq!(queues["queues"], serde_json::json!([]), "nothing restored");
    // Small bodies still work under a small limit.
    let (status, _) = call(
        &h,
        "POST",
        "/__emulator/clock/advance",
        r#"{"ms":1}"#.to_owned(),
    )
    .await;
    assert_eq!(status, 200);
}
