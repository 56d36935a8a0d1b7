//! The dashboard in a real headless Chromium: after known operations it must show the queues
//! with their visible / in-flight / delayed counts and a queue's messages; a screenshot is saved
//! under the target directory (`target/tmp/dashboard.png`).
//!
//! Chromium is found as `$MNS_CHROMIUM`, `chromium` or `chromium-browser`. Without one the test
//! says so and passes, unless `MNS_REQUIRE_CHROMIUM=1` (set by `.ci/run`, which installs it).

use std::path::PathBuf;
use std::time::Duration;

use crate::http_common::{Harness, Req, start_with};

fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("MNS_CHROMIUM") {
        Some(p) => vec![PathBuf::from(p)],
        None => std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .flat_map(|dir| [dir.join("chromium"), dir.join("chromium-browser")])
                    .collect()
            })
            .unwrap_or_default(),
    };
    candidates.into_iter().find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with `extra` arguments; returns its stdout. Bounded.
async fn run_chromium(binary: &PathBuf, url: &str, extra: &[&str]) -> String {
    let profile = std::env::temp_dir().join(format!("mns-dashboard-{}", std::process::id()));
    let mut command = tokio::process::Command::new(binary);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            // Virtual time: the page's scripts and fetches run to completion before the dump.
            "--virtual-time-budget=5000",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let out = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("chromium finishes within 2 minutes")
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium failed: {:?}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn prepared() -> Harness {
    let h = start_with(|b| b.admin_endpoint(true)).await;
    h.create_queue("orders", "<VisibilityTimeout>30</VisibilityTimeout>")
        .await;
    h.create_queue("audit", "").await;
    for inner in [
        "<MessageBody>order-1</MessageBody>",
        "<MessageBody>order-2</MessageBody>",
        "<MessageBody>order-3</MessageBody>",
        "<MessageBody>order-later</MessageBody><DelaySeconds>120</DelaySeconds>",
    ] {
        assert_eq!(h.send_message("orders", inner).await.status, 201);
    }
    let got = h.send(Req::get("/queues/orders/messages")).await;
    assert_eq!(got.status, 200);
    h
}

/// The text of the `<tr data-queue="name">` row's cell with class `class`.
fn count(dom: &str, queue: &str, class: &str) -> Option<String> {
    let row_start = dom.find(&format!("data-queue=\"{queue}\""))?;
    let row = &dom[row_start..row_start + dom[row_start..].find("</tr>")?];
    let cell = row.find(&format!("class=\"n {class}\">"))?;
    let text = &row[cell + format!("class=\"n {class}\">").len()..];
    Some(text[..text.find('<')?].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_queues_counts_and_messages_in_chromium() {
    let Some(binary) = chromium() else {
        assert!(
            std::env::var("MNS_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "MNS_REQUIRE_CHROMIUM=1 but no chromium found"
        );
        eprintln!("skipped: no chromium on PATH (set MNS_CHROMIUM or install it)");
        return;
    };
    let h = prepared().await;
    let url = h.url("/__emulator/#orders");
    let dom = run_chromium(&binary, &url, &["--dump-dom"]).await;
    assert!(dom.contains("data-loaded=\"true\""), "scripts ran:\n{dom}");
    assert_eq!(
        count(&dom, "orders", "active").as_deref(),
        Some("2"),
        "{dom}"
    );
    assert_eq!(count(&dom, "orders", "inactive").as_deref(), Some("1"));
    assert_eq!(count(&dom, "orders", "delayed").as_deref(), Some("1"));
    assert_eq!(count(&dom, "audit", "active").as_deref(), Some("0"));
    // The selected queue's messages, with their states.
    assert!(dom.contains("Messages of orders"), "{dom}");
    for text in ["order-later", "in_flight", "delayed", "visible"] {
        assert!(dom.contains(text), "{text} missing");
    }
    // Recent requests name the operations.
    assert!(dom.contains("SendMessage") && dom.contains("ReceiveMessage"));

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &binary,
        &url,
        &[&format!("--screenshot={}", shot.display())],
    )
    .await;
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    eprintln!("dashboard screenshot: {}", shot.display());
}
