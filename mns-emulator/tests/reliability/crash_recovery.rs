//! Crash recovery: a child `mns-emulator --data-dir` takes concurrent sends, batch sends,
//! receives, deletes, batch deletes and visibility changes from several clients, plus topic
//! publishes fanned out to a queue subscription, control-plane writes (CreateQueue with tags,
//! SetQueueAttributes) and admin resets of one queue (`crash_workloads.rs`), and is killed with
//! SIGKILL at a random moment; then the directory is opened in process and checked: every
//! acknowledged send is there exactly once (unless its delete was acknowledged), no
//! acknowledged delete came back, nothing is there twice or that was never sent, the counters
//! agree with the messages, a message whose acknowledged receive or visibility change made it
//! invisible past the kill keeps that receipt handle and next-visible time, every acknowledged
//! publish is in the subscribed queue once, every acknowledged control-plane queue has its tag
//! and acknowledged attributes, and nothing sent before an acknowledged reset came back. Then
//! the next round restarts the child on the same directory (so it must serve what the last one
//! left) and kills it again. Rounds alternate between `--data-dir-sync full` and `normal`: both
//! promise to survive the process dying.
//!
//! CI size: 5 rounds × (4 queue clients + 3 other writers) (about 10 s). Longer run
//! (RELIABILITY.md):
//! `MNS_CRASH_ROUNDS=50 cargo test -p mns-emulator --test reliability -- crash_recovery --nocapture`
//!
//! The child runs on the system clock (it is a real process); correctness never depends on
//! timing, only where each kill lands does (a visibility time is checked only while still
//! ahead of the clock after the kill).

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mns_client::queue::{BatchSendEntry, Queue, QueueOptions, ReceiptHandle};
use mns_client::{Client, Credentials, Endpoint, RetryConfig};
use mns_emulator::Emulator;

use super::crash_workloads;
use tokio::io::AsyncBufReadExt;

const QUEUE: &str = "crash";
const CLIENTS: usize = 4;

fn rounds() -> usize {
    std::env::var("MNS_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

/// What the clients were told, across all rounds.
#[derive(Default, Clone)]
struct Ledger {
    /// Sends answered with success (body → message id).
    acked: HashMap<String, String>,
    /// Sends that failed or got no answer: each may or may not have happened.
    unknown: HashSet<String>,
    /// Deletes answered with success.
    deleted: HashSet<String>,
    /// Deletes that got no answer (the server died): each may or may not have happened.
    maybe_deleted: HashSet<String>,
    /// Latest acknowledged receive or visibility change per body: (receipt handle, next
    /// visible time in epoch ms). Until that time the message keeps exactly these.
    in_flight: HashMap<String, (String, u64)>,
    /// Visibility changes that got no answer: the message's handle may have changed.
    visibility_unknown: HashSet<String>,
    /// Operations answered, for the report.
    answered: u64,
}

fn epoch_ms(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

async fn spawn_child(dir: &std::path::Path, sync: &str) -> (tokio::process::Child, String) {
    // `MNS_CRASH_EMULATOR_BIN` runs another build of the binary (e.g. an installed one).
    let bin = std::env::var_os("MNS_CRASH_EMULATOR_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_mns-emulator").into());
    let mut child = tokio::process::Command::new(bin)
        .args(["--bind", "127.0.0.1:0", "--log-level", "error", "--admin"])
        .args(["--data-dir-sync", sync])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the emulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the emulator starts within 20 s")
    .expect("read its endpoint");
    assert!(
        line.contains("http://"),
        "the emulator exited instead of printing its endpoint: {line:?}"
    );
    let endpoint = line.trim().rsplit(' ').next().expect("endpoint").to_owned();
    (child, endpoint)
}

fn queue(endpoint: &str) -> Queue {
    Client::builder(Endpoint::from_url(endpoint).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        // A dead server must surface at once, not after retries.
        .retry(RetryConfig::disabled())
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
        .queue(QUEUE)
        .unwrap()
}

/// One client: random operations until `stop`, recording every answer in `ledger`.
async fn client(
    q: Queue,
    id: String,
    seed: u64,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let mut rng = Lcg(seed);
    let mut held: Vec<(String, ReceiptHandle)> = Vec::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        match rng.next(10) {
            0..=2 => {
                let body = format!("{id}-{n}");
                let r = q.send_message(&body).await;
                let mut l = ledger.lock().unwrap();
                match r {
                    Ok(receipt) => {
                        l.acked.insert(body, receipt.message_id);
                        l.answered += 1;
                    }
                    Err(_) => {
                        l.unknown.insert(body);
                    }
                }
            }
            3 | 4 => {
                let bodies: Vec<String> = (0..4).map(|i| format!("{id}-{n}b{i}")).collect();
                let r = q
                    .batch_send_message(bodies.iter().map(|b| BatchSendEntry::new(b.as_str())))
                    .await;
                let mut l = ledger.lock().unwrap();
                match r {
                    Ok(results) => {
                        l.answered += 1;
                        for (body, result) in bodies.into_iter().zip(results) {
                            match result {
                                Ok(receipt) => l.acked.insert(body, receipt.message_id),
                                Err(_) => l.unknown.insert(body).then_some(String::new()),
                            };
                        }
                    }
                    Err(_) => l.unknown.extend(bodies),
                }
            }
            5 | 6 => {
                if let Ok(got) = q.batch_receive_message(8, Some(Duration::ZERO)).await {
                    let mut l = ledger.lock().unwrap();
                    l.answered += 1;
                    for m in got {
                        let body = String::from_utf8(m.body).unwrap();
                        l.in_flight.insert(
                            body.clone(),
                            (m.receipt_handle.to_string(), epoch_ms(m.next_visible_time)),
                        );
                        held.push((body, m.receipt_handle));
                    }
                }
            }
            7 if !held.is_empty() => {
                let (body, handle) = held.swap_remove(rng.next(held.len() as u64) as usize);
                let r = q.delete_message(&handle).await;
                let mut l = ledger.lock().unwrap();
                match r {
                    Ok(()) => {
                        l.deleted.insert(body);
                        l.answered += 1;
                    }
                    // No service answer: the delete may have happened before the kill.
                    Err(e) if e.code().is_none() => {
                        l.maybe_deleted.insert(body);
                    }
                    Err(_) => l.answered += 1,
                }
            }
            8 if held.len() >= 2 => {
                let batch: Vec<(String, ReceiptHandle)> = held.drain(..2).collect();
                let handles: Vec<ReceiptHandle> = batch.iter().map(|(_, h)| h.clone()).collect();
                let r = q.batch_delete_message(&handles).await;
                let mut l = ledger.lock().unwrap();
                match r {
                    Ok(results) => {
                        l.answered += 1;
                        for ((body, _), r) in batch.into_iter().zip(results) {
                            if r.is_ok() {
                                l.deleted.insert(body);
                            }
                        }
                    }
                    Err(e) if e.code().is_none() => {
                        l.maybe_deleted.extend(batch.into_iter().map(|(b, _)| b));
                    }
                    Err(_) => l.answered += 1,
                }
            }
            9 if !held.is_empty() => {
                let i = rng.next(held.len() as u64) as usize;
                let timeout = 1 + rng.next(20) as u32;
                let r = q.change_message_visibility(&held[i].1, timeout).await;
                let mut l = ledger.lock().unwrap();
                match r {
                    Ok(c) => {
                        l.answered += 1;
                        l.in_flight.insert(
                            held[i].0.clone(),
                            (c.receipt_handle.to_string(), epoch_ms(c.next_visible_time)),
                        );
                        held[i].1 = c.receipt_handle;
                    }
                    Err(e) if e.code().is_none() => {
                        l.visibility_unknown.insert(held[i].0.clone());
                    }
                    Err(_) => l.answered += 1,
                }
            }
            _ => {
                if q.get_attributes().await.is_ok() {
                    ledger.lock().unwrap().answered += 1;
                }
            }
        }
    }
}

/// Opens the directory in process (the child is dead) and checks it against the ledgers.
async fn verify(
    dir: &std::path::Path,
    ledger: &Ledger,
    others: &crash_workloads::OtherLedger,
    round: usize,
) -> usize {
    let emu = Emulator::builder()
        .admin_endpoint(true)
        .data_dir(dir)
        .expect("the killed emulator's directory opens")
        .start()
        .await
        .expect("the restored emulator starts");
    let snapshot = emu.inspect_queue(QUEUE).expect("the queue survived");
    let (counted, length) = emu.with_engine(|e, now| {
        let a = e.get_queue_attributes(QUEUE, now).unwrap();
        (
            a.active_messages + a.inactive_messages + a.delay_messages,
            e.queue_len(QUEUE, now).unwrap(),
        )
    });
    assert_eq!(counted as usize, snapshot.len(), "round {round}: counters");
    assert_eq!(length, snapshot.len(), "round {round}: length");
    let mut present: HashMap<&str, &str> = HashMap::new();
    for m in &snapshot {
        let before = present.insert(m.body.as_str(), m.message_id.as_str());
        assert!(
            before.is_none(),
            "round {round}: {} is stored twice",
            m.body
        );
        assert!(
            ledger.acked.contains_key(&m.body) || ledger.unknown.contains(&m.body),
            "round {round}: {} was never sent",
            m.body
        );
        assert!(
            !ledger.deleted.contains(&m.body),
            "round {round}: acknowledged delete of {} came back",
            m.body
        );
    }
    for (body, id) in &ledger.acked {
        if ledger.deleted.contains(body) || ledger.maybe_deleted.contains(body) {
            continue;
        }
        assert_eq!(
            present.get(body.as_str()),
            Some(&id.as_str()),
            "round {round}: acknowledged send {body} is lost"
        );
    }
    // Acknowledged visibility: a message still invisible keeps its handle and its time (checked
    // after the kill, so a time still ahead was ahead when the child died).
    let now = emu.clock().now_millis();
    let stored: HashMap<&str, _> = snapshot.iter().map(|m| (m.body.as_str(), m)).collect();
    let mut kept = 0;
    for (body, (handle, visible_at)) in &ledger.in_flight {
        if *visible_at <= now
            || ledger.deleted.contains(body)
            || ledger.maybe_deleted.contains(body)
            || ledger.visibility_unknown.contains(body)
        {
            continue;
        }
        let m = stored
            .get(body.as_str())
            .unwrap_or_else(|| panic!("round {round}: in-flight {body} is lost"));
        assert_eq!(
            (m.receipt_handle.as_deref(), m.next_visible_time),
            (Some(handle.as_str()), *visible_at),
            "round {round}: in-flight {body} lost its acknowledged handle or visibility time"
        );
        kept += 1;
    }
    crash_workloads::check(&emu, others, round).await;
    emu.shutdown().await;
    eprintln!("crash round {round}: {kept} in-flight messages kept handle and time");
    snapshot.len()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let others = Arc::new(Mutex::new(crash_workloads::OtherLedger::default()));
    let mut rng = Lcg(2026);
    let rounds = rounds();
    for round in 0..rounds {
        // Both durability levels must survive the process being killed.
        let sync = if round % 2 == 0 { "full" } else { "normal" };
        let (mut child, endpoint) = spawn_child(dir.path(), sync).await;
        let q = queue(&endpoint);
        // The restarted emulator serves: the queue from the last round is there (204).
        q.create(&QueueOptions {
            visibility_timeout: Some(2),
            ..QueueOptions::default()
        })
        .await
        .expect("the restarted emulator serves");
        crash_workloads::declare(&endpoint).await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = crash_workloads::spawn(&endpoint, round, &stop, &others);
        tasks.extend((0..CLIENTS).map(|c| {
            tokio::spawn(client(
                q.clone(),
                format!("r{round}c{c}"),
                rng.next(u64::MAX),
                stop.clone(),
                ledger.clone(),
            ))
        }));
        tokio::time::sleep(Duration::from_millis(300 + rng.next(900))).await;
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("the child exits");
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("client task");
        }
        // Copies: the check awaits, and no lock is held across an await.
        let l = ledger.lock().unwrap().clone();
        let o = others.lock().unwrap().clone();
        let stored = verify(dir.path(), &l, &o, round).await;
        eprintln!(
            "crash round {round} ({sync}): {} answered operations so far ({}), {} acknowledged sends, {} acknowledged deletes, {} unanswered sends, {} unanswered deletes, {stored} stored",
            l.answered + o.answered,
            o.summary(),
            l.acked.len(),
            l.deleted.len(),
            l.unknown.len(),
            l.maybe_deleted.len()
        );
    }
    let l = ledger.lock().unwrap();
    let o = others.lock().unwrap();
    eprintln!(
        "crash test: {rounds} rounds, {} answered operations",
        l.answered + o.answered
    );
    assert!(l.acked.len() > 50, "the clients got work done");
    assert!(!l.in_flight.is_empty(), "receives were acknowledged");
    o.assert_work_done();
    assert!(!l.deleted.is_empty(), "deletes were acknowledged");
}
