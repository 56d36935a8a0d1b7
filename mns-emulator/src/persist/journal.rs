//! The journal: hands each batch of engine changes to one writer thread and lets responses wait
//! until their changes are durable (group commit).
//!
//! [`Journal::record`] runs while the engine lock is held (on release of every
//! [`crate::shared::StateGuard`]), so change sets enter the channel in the order they happened
//! and each gets the next log sequence number. The writer takes everything queued, applies it in
//! one transaction with one fsync, and publishes the highest sequence number it made durable.
//! [`Journal::wait_durable`] waits for the sequence number current when the request finished, so
//! concurrent requests share a commit instead of paying one fsync each. When commits are slow
//! (an fsync that takes a millisecond or more), the writer first waits a little for the clients
//! the last commit released to come back ([`GATHER_GAP`]), so one fsync carries all of them.
//! Nothing answers earlier: a response still waits for the commit that holds its changes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::engine::ChangeSet;

/// Where the writer commits: the data directory's store.
pub(crate) trait Sink: Send {
    /// Applies a batch of change sets durably (one transaction), or says why it could not.
    fn apply(&mut self, batch: &[ChangeSet]) -> Result<(), String>;

    /// Housekeeping that durability does not depend on, run after a commit's answers were
    /// released (off the response path).
    fn after_commit(&mut self) {}
}

/// At most this many change sets go into one transaction (bounds a commit's size and latency).
const MAX_BATCH: usize = 4096;

/// Gathering: once the queue is drained, the writer keeps taking change sets that arrive
/// within this gap of the last one before it commits.
///
/// Why: requests wait for their commit and then send the next one, so without a pause the
/// clients split into two groups that alternate between the running commit and the next one,
/// each fsync carrying half of them. The clients released by one commit come back within a
/// fraction of a millisecond; waiting that long lets them join the next commit, so one fsync
/// carries (nearly) all of them (PostgreSQL's `commit_delay`, made adaptive). A lone client pays
/// one gap per commit, small beside the fsync.
const GATHER_GAP: Duration = Duration::from_micros(250);

/// Gathering never delays a commit by more than this fraction of the last commit's duration
/// (and never more than [`GATHER_MAX`]): the pause stays small beside the fsync it saves.
const GATHER_FRACTION: u32 = 4;

/// Gathering only starts when the last commit took at least this long: a quick commit (a small
/// one, or a disk that syncs fast) costs less than the pause would, so it is never delayed.
const GATHER_MIN_COMMIT: Duration = Duration::from_millis(1);

/// Upper bound of the gathering pause.
const GATHER_MAX: Duration = Duration::from_millis(2);

/// The monotonic clock, for the gathering pause only: how long the writer waits is a duration of
/// its own, never a time of the emulator's (which may be virtual).
#[expect(
    clippy::disallowed_methods,
    reason = "the gathering pause measures real elapsed time, not emulator time"
)]
fn monotonic_now() -> Instant {
    Instant::now()
}

/// What the writer has made durable.
#[derive(Debug, Clone, Default)]
struct Durable {
    lsn: u64,
    /// Set when a commit failed: nothing later is durable, so no later request may succeed.
    failed: Option<String>,
}

/// See the [module docs](self). Dropping it closes it (see [`Journal::close`]).
#[derive(Debug)]
pub(crate) struct Journal {
    tx: Mutex<Option<mpsc::Sender<(u64, ChangeSet)>>>,
    submitted: AtomicU64,
    state: Arc<WriterState>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What the writer thread shares with the journal (not the sender: the thread ends when the
/// journal is dropped).
#[derive(Debug)]
struct WriterState {
    durable: watch::Sender<Durable>,
    commits: AtomicU64,
    change_sets: AtomicU64,
}

/// Commit counters, for benchmarks (fsyncs per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JournalStats {
    /// Transactions committed (each one fsync of the write-ahead log).
    pub commits: u64,
    /// Change sets (engine lock releases that changed something) made durable.
    pub change_sets: u64,
}

impl Journal {
    /// Starts the writer thread over `sink`.
    pub(crate) fn start(mut sink: Box<dyn Sink>) -> Arc<Journal> {
        let (tx, rx) = mpsc::channel::<(u64, ChangeSet)>();
        let state = Arc::new(WriterState {
            durable: watch::Sender::new(Durable::default()),
            commits: AtomicU64::new(0),
            change_sets: AtomicU64::new(0),
        });
        let journal = Arc::new(Journal {
            tx: Mutex::new(Some(tx)),
            submitted: AtomicU64::new(0),
            state: state.clone(),
            writer: Mutex::new(None),
        });
        let shared = state;
        let handle = std::thread::Builder::new()
            .name("mns-emulator-journal".to_owned())
            .spawn(move || {
                let mut batch = Vec::new();
                let mut last_commit = Duration::ZERO;
                while let Ok((lsn, first)) = rx.recv() {
                    let mut last = lsn;
                    batch.push(first);
                    let pause = if last_commit >= GATHER_MIN_COMMIT {
                        (last_commit / GATHER_FRACTION).min(GATHER_MAX)
                    } else {
                        Duration::ZERO
                    };
                    let deadline = monotonic_now() + pause;
                    while batch.len() < MAX_BATCH {
                        let got = match rx.try_recv() {
                            Ok(item) => Some(item),
                            Err(mpsc::TryRecvError::Disconnected) => None,
                            Err(mpsc::TryRecvError::Empty) => {
                                let now = monotonic_now();
                                if now >= deadline {
                                    None
                                } else {
                                    rx.recv_timeout(GATHER_GAP.min(deadline - now)).ok()
                                }
                            }
                        };
                        let Some((lsn, c)) = got else { break };
                        last = lsn;
                        batch.push(c);
                    }
                    if shared.durable.borrow().failed.is_some() {
                        batch.clear();
                        continue;
                    }
                    let started = monotonic_now();
                    let result = sink.apply(&batch);
                    last_commit = started.elapsed();
                    match result {
                        Ok(()) => {
                            shared.commits.fetch_add(1, Ordering::Relaxed);
                            shared
                                .change_sets
                                .fetch_add(batch.len() as u64, Ordering::Relaxed);
                            shared.durable.send_modify(|d| d.lsn = last);
                            sink.after_commit();
                        }
                        Err(e) => {
                            tracing::error!(
                                error = %e,
                                "cannot write the data directory: every later request fails; restart the emulator"
                            );
                            shared.durable.send_modify(|d| d.failed = Some(e));
                        }
                    }
                    batch.clear();
                }
            })
            .expect("the journal thread starts");
        *journal.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        journal
    }

    /// Queues a change set for the writer. Call with the engine lock held (order matters).
    pub(crate) fn record(&self, changes: ChangeSet) {
        let lsn = self.submitted.fetch_add(1, Ordering::AcqRel) + 1;
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let sent = tx
            .as_ref()
            .is_some_and(|tx| tx.send((lsn, changes)).is_ok());
        if !sent {
            self.state
                .durable
                .send_modify(|d| d.failed = Some("the data directory is closed".to_owned()));
        }
    }

    /// Waits until every change recorded so far is durable; `Err` if the store failed.
    pub(crate) async fn wait_durable(&self) -> Result<(), String> {
        let target = self.submitted.load(Ordering::Acquire);
        let mut rx = self.state.durable.subscribe();
        let d = rx
            .wait_for(|d| d.lsn >= target || d.failed.is_some())
            .await
            .map_err(|_| "the journal writer stopped".to_owned())?;
        match &d.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Commit counters so far.
    pub(crate) fn stats(&self) -> JournalStats {
        JournalStats {
            commits: self.state.commits.load(Ordering::Relaxed),
            change_sets: self.state.change_sets.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting changes and waits for the writer to commit what it has.
    pub(crate) fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        let handle = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.close();
    }
}
