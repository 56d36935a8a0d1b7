//! Message commands: send, receive, peek, delete, purge, drain, stats, watch.

use std::time::Duration;

use crate::common::{Env, assert_exit, assert_success, json, json_lines, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_peek_receive_delete() {
    let env = Env::start().await;
    env.queue("jobs", 30).await;

    // One message from the argument, with properties and a priority.
    let sent = json(
        &env.mns(&[
            "-o",
            "json",
            "send",
            "jobs",
            "first",
            "-p",
            "tenant=acme",
            "-p",
            "attempt:number=3",
            "--priority",
            "2",
        ])
        .await,
    );
    let first_id = sent["message_id"].as_str().unwrap().to_owned();
    // One message from a file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.txt");
    std::fs::write(&file, "from a file\nwith two lines").unwrap();
    assert_success(
        &env.mns(&["send", "jobs", "--file", file.to_str().unwrap()])
            .await,
    );
    assert_exit(
        &env.mns(&["send", "jobs", "--file", "/nonexistent/body"])
            .await,
        2,
    );

    let peeked = json_lines(&env.mns(&["-o", "json", "peek", "jobs", "-n", "16"]).await);
    assert_eq!(peeked.len(), 2);
    // Priority 2 comes first.
    assert_eq!(peeked[0]["message_id"], first_id.as_str());
    assert_eq!(peeked[0]["priority"], 2);
    let props = peeked[0]["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "tenant" && p["value"] == "acme")
    );
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "attempt" && p["type"] == "NUMBER")
    );
    assert_eq!(peeked[1]["body"], "from a file\nwith two lines");
    // Peeking changes nothing.
    assert_eq!(env.bodies("jobs").len(), 2);

    // Receive both, then delete them by handle.
    let got = json_lines(&env.mns(&["-o", "json", "receive", "jobs", "-n", "5"]).await);
    assert_eq!(got.len(), 2);
    let handles: Vec<&str> = got
        .iter()
        .map(|m| m["receipt_handle"].as_str().unwrap())
        .collect();
    // Nothing is visible while they are in flight.
    assert!(json_lines(&env.mns(&["-o", "json", "receive", "jobs"]).await).is_empty());
    let mut args = vec!["delete", "jobs"];
    args.extend(&handles);
    let deleted = env.mns(&args).await;
    assert_success(&deleted);
    assert_eq!(stdout(&deleted).trim(), "deleted 2 messages");
    assert!(env.bodies("jobs").is_empty());
    // A handle that no longer exists: not found, named on stderr.
    let again = env.mns(&args).await;
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert_exit(&env.mns(&["delete", "jobs", "not a handle"]).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_lines_from_stdin_in_batches_then_receive_and_delete() {
    let env = Env::start().await;
    env.queue("jobs", 30).await;
    let input: String = (0..40).map(|i| format!("line-{i:02}\n")).collect();
    let out = env
        .mns_stdin(
            &["-o", "json", "send", "jobs", "--lines", "--delay", "0"],
            &input,
        )
        .await;
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 40);
    assert_eq!(lines[39]["line"], 40);
    // Quiet on a pipe: no progress bar on stderr.
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let mut bodies = env.bodies("jobs");
    bodies.sort();
    assert_eq!(
        bodies,
        (0..40).map(|i| format!("line-{i:02}")).collect::<Vec<_>>()
    );

    // --delete removes what was printed; more than 16 takes several batches.
    let got = env.mns(&["receive", "jobs", "-n", "20", "--delete"]).await;
    assert_success(&got);
    let table = stdout(&got);
    assert!(table.starts_with("MESSAGE_ID"), "{table}");
    assert_eq!(table.lines().count(), 21, "{table}");
    assert_eq!(env.bodies("jobs").len(), 20);

    // Base64 codec round trip.
    env.queue("binary", 30).await;
    assert_success(
        &env.mns(&["--codec", "base64", "send", "binary", "hé"])
            .await,
    );
    assert_eq!(env.bodies("binary"), ["aMOp"]);
    let peeked = json_lines(
        &env.mns(&["--codec", "base64", "-o", "json", "peek", "binary"])
            .await,
    );
    assert_eq!(peeked[0]["body"], "hé");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_purge_drain_and_watch() {
    let env = Env::start().await;
    env.queue("a", 30).await;
    env.queue("b", 30).await;
    let input: String = (0..25).map(|i| format!("m{i}\n")).collect();
    assert_success(&env.mns_stdin(&["send", "a", "--lines"], &input).await);
    assert_success(&env.mns_stdin(&["send", "b", "--lines"], &input).await);
    assert_success(&env.mns(&["send", "b", "later", "--delay", "600"]).await);
    assert_success(&env.mns(&["receive", "b", "-n", "5"]).await);

    let stats = json_lines(&env.mns(&["-o", "json", "stats"]).await);
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[1]["queue"], "b");
    assert_eq!(stats[1]["visible"], 20);
    assert_eq!(stats[1]["in_flight"], 5);
    assert_eq!(stats[1]["delayed"], 1);
    assert_eq!(stats[1]["total"], 26);
    let table = stdout(&env.mns(&["stats", "a"]).await);
    assert!(table.starts_with("QUEUE"), "{table}");
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .eq(["a", "25", "0", "0", "25"]),
        "{table}"
    );

    // Purge wants confirmation, then deletes what is visible.
    assert_exit(&env.mns(&["purge", "a"]).await, 2);
    assert_eq!(env.bodies("a").len(), 25);
    let purged = json(
        &env.mns(&["-o", "json", "purge", "a", "--yes", "--wait", "0"])
            .await,
    );
    assert_eq!(purged["deleted"], 25);
    assert!(env.bodies("a").is_empty());

    // Drain prints every visible message, then deletes it; in-flight and delayed ones stay.
    let drained = env.mns(&["drain", "b", "--wait", "0"]).await;
    assert_success(&drained);
    assert_eq!(stdout(&drained).lines().count(), 20);
    assert!(
        stdout(&drained)
            .lines()
            .all(|l| l.split('\t').nth(1).unwrap().starts_with('m'))
    );
    assert_eq!(stderr(&drained).trim(), "drained 20 messages from b");
    assert_eq!(env.bodies("b").len(), 6);
    // Once the in-flight ones are visible again (virtual time), --max bounds a drain.
    env.clock.advance(Duration::from_secs(31));
    let some = json_lines(
        &env.mns(&["-o", "json", "drain", "b", "--wait", "0", "--max", "3"])
            .await,
    );
    assert_eq!(some.len(), 3);
    assert_eq!(env.bodies("b").len(), 3);

    // Watch refreshes; --count bounds it.
    let watched = json_lines(
        &env.mns(&[
            "-o",
            "json",
            "watch",
            "b",
            "--interval",
            "1",
            "--count",
            "2",
        ])
        .await,
    );
    assert_eq!(watched.len(), 2);
    assert!(
        watched
            .iter()
            .all(|s| s["queue"] == "b" && s["time"].is_string())
    );
    let watched = stdout(&env.mns(&["watch", "--interval", "1", "--count", "1"]).await);
    assert!(watched.contains("QUEUE"), "{watched}");
}
