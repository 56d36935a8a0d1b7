//! Runs every example against the embedded emulator, so the examples never rot.
//!
//! `cargo test` builds the examples next to the test binaries (`target/<profile>/examples/`);
//! each one is run from there as a process with `MNS_ENDPOINT` removed from its environment and
//! must exit successfully within a generous limit. An example binary that is missing or older than
//! its sources (e.g. after `cargo test --test examples` alone) is first built with
//! `cargo build --example NAME`. The list must name exactly the files in `examples/`: a listed
//! example that is missing, or an example that is not listed, fails the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Every example the README lists, in tour order.
const EXAMPLES: &[&str] = &[
    "quickstart",
    "worker",
    "fanout",
    "push_receiver",
    "credentials",
    "dead_letters",
    "message_properties",
    "control_plane",
];

/// A hung example fails the test instead of hanging CI.
const LIMIT: Duration = Duration::from_secs(120);

/// `target/<profile>` of the running test binary (`target/<profile>/deps/examples-<hash>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .to_path_buf()
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Whether `binary` exists and is newer than the example's sources (its file and `common/`).
fn is_fresh(name: &str, binary: &Path) -> bool {
    let Some(built) = modified(binary) else {
        return false;
    };
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut sources = vec![examples.join(format!("{name}.rs"))];
    if let Ok(dir) = std::fs::read_dir(examples.join("common")) {
        sources.extend(dir.flatten().map(|e| e.path()));
    }
    sources
        .iter()
        .all(|s| modified(s).is_none_or(|changed| changed <= built))
}

/// The example's binary, built first when it is missing or stale.
fn binary(name: &str, profile_dir: &Path) -> PathBuf {
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !is_fresh(name, &binary) {
        build(name, profile_dir);
    }
    binary
}

fn build(name: &str, profile_dir: &Path) {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", name]);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
}

fn run(name: &str, binary: &Path) -> Output {
    run_with(name, binary, &[])
}

/// Like [`run`], with extra environment variables.
fn run_with(name: &str, binary: &Path, envs: &[(&str, &str)]) -> Output {
    let mut child = Command::new(binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MNS_ENDPOINT")
        .env_remove("MNS_SIGNATURE_VERSION")
        .envs(envs.iter().copied())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name} ({}): {e}", binary.display()));
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait for example") {
            Some(_) => break,
            None if started.elapsed() > LIMIT => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("collect output");
                panic!(
                    "example {name} did not finish within {LIMIT:?}\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    child.wait_with_output().expect("collect output")
}

/// The example files in `examples/` (one `NAME.rs` each; `common/` is shared code).
fn example_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_list_names_every_example_and_nothing_else() {
    let mut listed: Vec<String> = EXAMPLES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(
        listed,
        example_files(),
        "EXAMPLES in tests/examples.rs and the files in examples/ differ"
    );
}

#[test]
fn every_example_runs_against_the_embedded_emulator() {
    let profile_dir = profile_dir();
    let mut ran = Vec::new();
    for &name in EXAMPLES {
        let out = run(name, &binary(name, &profile_dir));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "example {name} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        assert!(
            stdout.contains("embedded emulator"),
            "example {name} must default to the embedded emulator\nstdout:\n{stdout}"
        );
        ran.push(name);
    }
    assert!(ran.contains(&"quickstart"), "the quickstart always exists");
    eprintln!("ran examples: {ran:?}");
}

#[test]
fn quickstart_prints_the_message_that_went_through() {
    let out = run("quickstart", &binary("quickstart", &profile_dir()));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("received") && stdout.contains("hello from mns-rs"),
        "{stdout}"
    );
}

#[test]
fn quickstart_signs_with_v4_when_asked() {
    let out = run_with(
        "quickstart",
        &binary("quickstart", &profile_dir()),
        &[("MNS_SIGNATURE_VERSION", "v4")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("signing with v4") && stdout.contains("hello from mns-rs"),
        "{stdout}"
    );
}
