//! The standalone binary: starts with no flags but a free port, prints its endpoint, serves
//! signed requests, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::http_common::{Req, send_with};

/// Kills the child if the test fails before stopping it, so no server outlives the test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
#[tokio::test]
async fn binary_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--access-key",
            "ak:sk",
            "--log-level",
            "warn",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut child = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let endpoint = line
        .trim()
        .strip_prefix("mns-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");

    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // The binary runs on the system clock, so sign with the current date.
    #[expect(
        clippy::disallowed_methods,
        reason = "wall-clock bound on a real process or server"
    )]
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let r = send_with(&http, &endpoint, &date, Req::get("/queues").key("ak", "sk")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_envelope();
    let r = send_with(&http, &endpoint, &date, Req::get("/queues")).await;
    r.assert_error(403, "InvalidAccessKeyId");

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.0.wait().expect("binary exits");
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn help_explains_every_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .arg("--help")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--bind",
        "--account-id",
        "--region",
        "--access-key",
        "--log-level",
        "--accept-any-signature",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}

/// Writes `text` to a fresh file under the target's temporary directory.
fn config_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("config written");
    path
}

#[cfg(unix)]
#[tokio::test]
async fn config_file_virtual_clock_and_json_logs() {
    let config = config_file(
        "service.toml",
        r#"
bind = "127.0.0.1:0"
admin = true
clock = "virtual"
start = "2024-01-02T03:04:05Z"
access_keys = ["ak:sk"]
log_level = "debug"

[[queue]]
name = "declared"
visibility_timeout = 45
"#,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .arg("--config")
        .arg(&config)
        .args(["--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let mut child = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let endpoint = line
        .trim()
        .strip_prefix("mns-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let clock: serde_json::Value = serde_json::from_str(
        &http
            .get(format!("{endpoint}/__emulator/clock"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(clock["mode"], "virtual");
    assert_eq!(clock["now"], "2024-01-02T03:04:05.000Z");
    // Signed with the virtual clock's date: the skew check follows the virtual clock.
    let r = send_with(
        &http,
        &endpoint,
        "Tue, 02 Jan 2024 03:04:05 GMT",
        Req::get("/queues/declared").key("ak", "sk"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text("VisibilityTimeout").as_deref(), Some("45"));
    // The binary serves metrics by default.
    let metrics = http
        .get(format!("{endpoint}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"mns_emulator_queue_messages{queue="declared",state="active"} 0"#),
        "{metrics}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    assert!(child.0.wait().expect("exits").success());
    let logs: Vec<String> = BufReader::new(stderr).lines().map(Result::unwrap).collect();
    assert!(
        logs.iter().all(|l| !l.contains('\u{1b}')),
        "no ANSI escapes"
    );
    let events: Vec<serde_json::Value> = logs
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let request = events
        .iter()
        .find(|e| e["fields"]["operation"] == "GetQueueAttributes")
        .unwrap_or_else(|| panic!("no request line in {logs:#?}"));
    assert_eq!(request["level"], "DEBUG");
    assert_eq!(request["fields"]["status"], 200);
    assert_eq!(request["fields"]["request_id"].as_str().unwrap().len(), 24);
    let _ = std::fs::remove_file(config);
}

#[test]
fn an_invalid_config_file_fails_at_start_with_the_line() {
    let config = config_file(
        "bad.toml",
        "admin = true\n\n[[queue]]\nname = \"q\"\nvisibility_timeout = 0\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .arg("--config")
        .arg(&config)
        .args(["--bind", "127.0.0.1:0"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("queue \"q\""),
        "{err}"
    );
    let _ = std::fs::remove_file(config);
}

#[test]
fn start_needs_the_virtual_clock() {
    let out = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .args(["--bind", "127.0.0.1:0", "--start", "2024-01-02T03:04:05Z"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--clock virtual"));
}

#[test]
fn a_malformed_access_key_is_refused_without_echoing_it() {
    let secret = "wJalrXUtnFEMI-only-a-secret";
    let out = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .args(["--bind", "127.0.0.1:0", "--access-key", secret])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ID:SECRET"), "{err}");
    assert!(!err.contains(secret), "the secret was echoed: {err}");

    let config = config_file("bad-key.toml", &format!("access_keys = [\"{secret}\"]\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_mns-emulator"))
        .arg("--config")
        .arg(&config)
        .args(["--bind", "127.0.0.1:0"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("access_keys"), "{err}");
    assert!(!err.contains(secret), "the secret was echoed: {err}");
    let _ = std::fs::remove_file(config);
}
