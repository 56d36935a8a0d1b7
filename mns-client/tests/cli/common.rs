//! The harness: an emulator on a virtual clock and a way to run `mns` against it.

use std::process::{Command, Output};
use std::sync::Arc;
use std::time::SystemTime;

use mns_emulator::clock::ManualClock;
use mns_emulator::{Emulator, RunningEmulator};

/// The `mns` binary Cargo built for these tests.
pub(crate) const MNS: &str = env!("CARGO_BIN_EXE_mns");

/// An emulator whose clock only moves when a test says so, started near now (the CLI signs
/// with the system clock; the emulator accepts 15 minutes of skew).
pub(crate) struct Env {
    pub(crate) emu: RunningEmulator,
    pub(crate) clock: Arc<ManualClock>,
}

impl Env {
    pub(crate) async fn start() -> Env {
        let clock = Arc::new(ManualClock::at(SystemTime::now()));
        let emu = Emulator::builder()
            .shared_clock(clock.clone())
            .start()
            .await
            .expect("emulator starts");
        Env { emu, clock }
    }

    /// A `mns` command configured for this emulator through the environment only (nothing of
    /// the developer's own environment leaks in).
    pub(crate) fn command(&self) -> Command {
        let key = self.emu.access_key();
        let mut cmd = Command::new(MNS);
        cmd.env_clear()
            .env("MNS_ENDPOINT", self.emu.endpoint())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", key.id())
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", key.secret())
            .env("HOME", std::env::temp_dir().join("mns-cli-test-no-home"));
        cmd
    }

    /// Runs `mns ARGS` (off the runtime's threads, so the emulator keeps serving).
    pub(crate) async fn mns(&self, args: &[&str]) -> Output {
        self.run(self.command(), args, None).await
    }

    /// Runs `mns ARGS` with `stdin` as standard input.
    pub(crate) async fn mns_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.run(self.command(), args, Some(stdin.to_owned())).await
    }

    pub(crate) async fn run(
        &self,
        mut cmd: Command,
        args: &[&str],
        stdin: Option<String>,
    ) -> Output {
        cmd.args(args);
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            use std::process::Stdio;
            cmd.stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().expect("mns starts");
            let mut input = child.stdin.take().expect("stdin");
            if let Some(text) = stdin {
                input.write_all(text.as_bytes()).expect("write stdin");
            }
            drop(input);
            child.wait_with_output().expect("mns runs")
        })
        .await
        .expect("join")
    }

    /// Creates a queue with `mns queue create`.
    pub(crate) async fn queue(&self, name: &str, visibility_timeout: u32) {
        let out = self
            .mns(&[
                "queue",
                "create",
                name,
                "--visibility-timeout",
                &visibility_timeout.to_string(),
            ])
            .await;
        assert_success(&out);
    }

    /// The bodies stored in `queue`, whatever their state.
    pub(crate) fn bodies(&self, queue: &str) -> Vec<String> {
        self.emu
            .inspect_queue(queue)
            .expect("queue exists")
            .into_iter()
            .map(|m| m.body)
            .collect()
    }
}

/// Standard output as text.
pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Panics with both streams unless the command succeeded.
#[track_caller]
pub(crate) fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "mns failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Panics unless the command exited with `code`.
#[track_caller]
pub(crate) fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Standard output as one JSON document.
#[track_caller]
pub(crate) fn json(out: &Output) -> serde_json::Value {
    assert_success(out);
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

/// Standard output as JSON lines.
#[track_caller]
pub(crate) fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    assert_success(out);
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}
