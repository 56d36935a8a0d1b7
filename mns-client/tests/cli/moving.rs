//! `mns move` / `mns redrive`: nothing lost, even when killed half-way.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mns_emulator::engine::MessageState;

use crate::common::{Env, assert_exit, assert_success, json, json_lines, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_keeps_bodies_priorities_and_properties() {
    let env = Env::start().await;
    env.queue("dlq", 30).await;
    env.queue("work", 30).await;
    assert_success(
        &env.mns(&["send", "dlq", "special", "--priority", "1", "-p", "k=v"])
            .await,
    );
    let input: String = (0..40).map(|i| format!("dead-{i}\n")).collect();
    assert_success(&env.mns_stdin(&["send", "dlq", "--lines"], &input).await);

    // Both queues must exist; nothing is touched otherwise.
    assert_exit(
        &env.mns(&["move", "dlq", "missing", "--wait", "0"]).await,
        3,
    );
    assert_exit(&env.mns(&["move", "dlq", "dlq"]).await, 2);
    assert_eq!(env.bodies("dlq").len(), 41);

    // --max bounds a move.
    let some = json(
        &env.mns(&[
            "-o",
            "json",
            "move",
            "dlq",
            "work",
            "--wait",
            "0",
            "--max",
            "10",
            "--concurrency",
            "3",
        ])
        .await,
    );
    assert_eq!(some["moved"], 10);
    assert_eq!(env.bodies("work").len(), 10);
    assert_eq!(env.bodies("dlq").len(), 31);

    let rest = env.mns(&["redrive", "dlq", "work", "--wait", "0"]).await;
    assert_success(&rest);
    assert!(
        stdout(&rest).starts_with("moved 31 messages from dlq to work"),
        "{}",
        stdout(&rest)
    );
    // Not a terminal: no progress bar.
    assert!(rest.stderr.is_empty(), "{}", stderr(&rest));
    assert!(env.bodies("dlq").is_empty());
    let mut bodies = env.bodies("work");
    bodies.sort();
    let mut expected: Vec<String> = (0..40).map(|i| format!("dead-{i}")).collect();
    expected.push("special".into());
    expected.sort();
    assert_eq!(bodies, expected);
    let special = json_lines(&env.mns(&["-o", "json", "peek", "work"]).await);
    assert_eq!(special[0]["body"], "special");
    assert_eq!(special[0]["priority"], 1);
    assert_eq!(special[0]["properties"][0]["name"], "k");
    // An empty source is a move of nothing, not an error.
    let none = json(
        &env.mns(&["-o", "json", "move", "dlq", "work", "--wait", "0"])
            .await,
    );
    assert_eq!(none["moved"], 0);
}

/// 10,000 dead letters moved back, the move killed (SIGKILL) part-way and run again: every
/// message reaches the destination at least once and the source ends empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_killed_midway_and_resumed_loses_nothing() {
    const N: usize = 10_000;
    let env = Env::start().await;
    env.queue("orders-dlq", 60).await;
    env.queue("orders", 60).await;
    let input: String = (0..N).map(|i| format!("order-{i:05}\n")).collect();
    let seeded = env
        .mns_stdin(&["send", "orders-dlq", "--lines"], &input)
        .await;
    assert_success(&seeded);
    assert_eq!(env.bodies("orders-dlq").len(), N);

    // Rate-limited so the kill lands part-way.
    let mut cmd = env.command();
    cmd.args([
        "move",
        "orders-dlq",
        "orders",
        "--wait",
        "0",
        "--rate",
        "2000",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("mns starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let moved = env.emu.inspect_queue("orders").unwrap().len();
        if moved >= N / 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the move made no progress ({moved})"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the move ended before the kill"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert!(!status.success());
    let at_kill = env.emu.inspect_queue("orders").unwrap().len();
    let in_flight = env
        .emu
        .inspect_queue("orders-dlq")
        .unwrap()
        .iter()
        .filter(|m| m.state == MessageState::Inactive)
        .count();

    // Run again: it moves what is visible; the killed run's in-flight batches are still
    // invisible in the source.
    let resumed = json(
        &env.mns(&["-o", "json", "move", "orders-dlq", "orders", "--wait", "0"])
            .await,
    );
    assert_eq!(
        env.emu.inspect_queue("orders-dlq").unwrap().len(),
        in_flight,
        "only the killed run's in-flight messages are left"
    );
    // Past the source's visibility timeout (virtual time) they come back; a last run moves them.
    env.clock.advance(Duration::from_secs(61));
    let last = json(
        &env.mns(&["-o", "json", "move", "orders-dlq", "orders", "--wait", "0"])
            .await,
    );
    assert!(env.bodies("orders-dlq").is_empty(), "the source is empty");

    let mut seen: HashMap<String, usize> = HashMap::new();
    for body in env.bodies("orders") {
        *seen.entry(body).or_default() += 1;
    }
    let missing: Vec<String> = (0..N)
        .map(|i| format!("order-{i:05}"))
        .filter(|b| !seen.contains_key(b))
        .collect();
    assert!(
        missing.is_empty(),
        "lost {} messages, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(seen.len(), N, "nothing but the originals arrived");
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    // At most the batches in flight at the kill (4 workers x 16) can arrive twice.
    assert!(
        duplicates <= in_flight && in_flight <= 4 * 16,
        "{duplicates} duplicates, {in_flight} in flight"
    );
    eprintln!(
        "killed after {at_kill} moved, {in_flight} in flight; resumed run moved {}, last run {}; \
         {duplicates} duplicates",
        resumed["moved"], last["moved"]
    );
}
