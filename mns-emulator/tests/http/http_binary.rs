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
