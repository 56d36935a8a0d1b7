//! `mns move` / `mns redrive`: messages from one queue to another, at least once.
//!
//! Each worker receives a batch (up to 16) from the source, sends it to the destination with
//! the same body, priority and user properties, and deletes from the source only the entries
//! whose send succeeded. A message is therefore never deleted before a copy exists: a crash or
//! `kill -9` at any point leaves at most the batches in flight received-but-not-deleted, and
//! they become visible in the source again after its visibility timeout, to be moved by the
//! next run (a copy may then exist twice in the destination: at-least-once, never lost).
//! Ctrl-C stops the workers between batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use mns_client::queue::limits;
use mns_client::{BatchSendEntry, Queue, SendOptions};
use serde_json::json;
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use crate::args::MoveArgs;
use crate::config::Context;
use crate::messages::interrupted;
use crate::output::{CliError, Output};

/// Most batches in flight at once.
const MAX_CONCURRENCY: usize = 64;

/// Spreads messages over time: `--rate` messages per second across all workers.
#[derive(Debug)]
struct Limiter {
    per_message: Option<Duration>,
    next: Mutex<tokio::time::Instant>,
}

impl Limiter {
    fn new(rate: u32) -> Self {
        Limiter {
            per_message: (rate > 0).then(|| Duration::from_secs(1) / rate),
            next: Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits until `n` more messages fit in the rate.
    async fn acquire(&self, n: u64) {
        let Some(per) = self.per_message else {
            return;
        };
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + per * u32::try_from(n).unwrap_or(u32::MAX);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// What the workers share.
#[derive(Debug)]
struct Shared {
    source: Queue,
    destination: Queue,
    wait: Duration,
    max: Option<u64>,
    /// Messages taken out of the `--max` budget.
    claimed: AtomicU64,
    moved: AtomicU64,
    send_failed: AtomicU64,
    delete_failed: AtomicU64,
    stop: Arc<AtomicBool>,
    limiter: Limiter,
    bar: ProgressBar,
}

impl Shared {
    /// Takes up to 16 messages from the budget; 0 when it is spent.
    fn claim(&self) -> u64 {
        let batch = limits::BATCH_MAX_ENTRIES as u64;
        let Some(max) = self.max else {
            return batch;
        };
        let prev = self.claimed.fetch_add(batch, Ordering::SeqCst);
        let granted = max.saturating_sub(prev).min(batch);
        self.unclaim(batch - granted);
        granted
    }

    fn unclaim(&self, n: u64) {
        if self.max.is_some() && n > 0 {
            self.claimed.fetch_sub(n, Ordering::SeqCst);
        }
    }
}

/// One worker: batches until the source is empty, the budget is spent, or Ctrl-C.
async fn worker(shared: Arc<Shared>) -> Result<(), CliError> {
    while !shared.stop.load(Ordering::SeqCst) {
        let want = shared.claim();
        if want == 0 {
            break;
        }
        shared.limiter.acquire(want).await;
        let received = match shared
            .source
            .batch_receive_message(want as usize, Some(shared.wait))
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                shared.unclaim(want);
                return Err(e.into());
            }
        };
        shared.unclaim(want - received.len() as u64);
        if received.is_empty() {
            break;
        }
        let entries: Vec<BatchSendEntry> = received
            .iter()
            .map(|m| {
                BatchSendEntry::with_options(
                    m.body.clone(),
                    SendOptions {
                        delay_seconds: None,
                        priority: Some(m.priority),
                        user_properties: m.user_properties.clone(),
                        // A FIFO destination needs the group; order within it is kept.
                        message_group_id: m.message_group_id.clone(),
                        // The trace context travels on; the service's DLQ stamps cannot be sent.
                        system_properties: m.system_properties.client_settable(),
                    },
                )
            })
            .collect();
        // Not sent: nothing is deleted, the batch comes back to the source after its
        // visibility timeout.
        let sent = shared.destination.batch_send_message(entries).await?;
        let mut handles = Vec::with_capacity(sent.len());
        for (message, result) in received.iter().zip(&sent) {
            match result {
                Ok(_) => handles.push(message.receipt_handle.clone()),
                Err(e) => {
                    shared.send_failed.fetch_add(1, Ordering::SeqCst);
                    shared.bar.suspend(|| {
                        eprintln!(
                            "not moved (stays in the source): {}: {}: {}",
                            message.message_id, e.code, e.message
                        );
                    });
                }
            }
        }
        if handles.is_empty() {
            continue;
        }
        let moved = handles.len() as u64;
        let deleted = shared.source.batch_delete_message(&handles).await?;
        let failed = deleted.iter().filter(|r| r.is_err()).count() as u64;
        // A handle that expired before the delete: the message will be moved again.
        shared.delete_failed.fetch_add(failed, Ordering::SeqCst);
        shared.moved.fetch_add(moved, Ordering::SeqCst);
        shared.bar.inc(moved);
    }
    Ok(())
}

/// `mns move FROM TO` and `mns redrive FROM TO`.
pub(crate) async fn run(args: MoveArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    if args.from == args.to {
        return Err(CliError::invalid(
            "the source and destination are the same queue",
        ));
    }
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        return Err(CliError::invalid(format!(
            "--concurrency must be between 1 and {MAX_CONCURRENCY}, got {}",
            args.concurrency
        )));
    }
    if args.wait > u64::from(limits::WAIT_SECONDS_MAX) {
        return Err(CliError::invalid(format!(
            "--wait must be between 0 and {} seconds, got {}",
            limits::WAIT_SECONDS_MAX,
            args.wait
        )));
    }
    if args.max == Some(0) {
        return Err(CliError::invalid("--max must be at least 1"));
    }
    // Bodies travel as transmitted (the raw codec), so a move never re-encodes a body,
    // whatever codec its producer used.
    let source = ctx.client.queue(&args.from)?;
    let destination = ctx.client.queue(&args.to)?;
    // Both must exist before anything is received.
    let visible = source.get_attributes().await?.active_messages;
    destination.get_attributes().await?;
    let total = args.max.map_or(visible, |m| m.min(visible));
    let bar = out.progress((total > 0).then_some(total), "move");
    let shared = Arc::new(Shared {
        source,
        destination,
        wait: Duration::from_secs(args.wait),
        max: args.max,
        claimed: AtomicU64::new(0),
        moved: AtomicU64::new(0),
        send_failed: AtomicU64::new(0),
        delete_failed: AtomicU64::new(0),
        stop: interrupted(),
        limiter: Limiter::new(args.rate),
        bar,
    });
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency {
        workers.spawn(worker(Arc::clone(&shared)));
    }
    let mut first_error = None;
    while let Some(joined) = workers.join_next().await {
        let result = joined.unwrap_or_else(|e| Err(CliError::other(format!("worker failed: {e}"))));
        if let Err(e) = result {
            shared.stop.store(true, Ordering::SeqCst);
            first_error.get_or_insert(e);
        }
    }
    shared.bar.finish_and_clear();
    let elapsed = started.elapsed();
    let moved = shared.moved.load(Ordering::SeqCst);
    let send_failed = shared.send_failed.load(Ordering::SeqCst);
    let delete_failed = shared.delete_failed.load(Ordering::SeqCst);
    let interrupted = shared.stop.load(Ordering::SeqCst) && first_error.is_none();
    let per_second = moved as f64 / elapsed.as_secs_f64().max(1e-9);
    if out.json() {
        out.json_doc(&json!({
            "from": args.from,
            "to": args.to,
            "moved": moved,
            "not_moved": send_failed,
            "delete_failed": delete_failed,
            "interrupted": interrupted,
            "elapsed_seconds": elapsed.as_secs_f64(),
            "messages_per_second": per_second,
        }));
    } else {
        println!(
            "moved {moved} messages from {} to {} in {:.1} s ({per_second:.0}/s)",
            args.from,
            args.to,
            elapsed.as_secs_f64()
        );
        if delete_failed > 0 {
            println!(
                "{delete_failed} moved messages could not be deleted from {} (receipt expired): \
                 they will be moved again, so the destination may hold them twice",
                args.from
            );
        }
        if interrupted {
            println!("interrupted: run the same command again to move the rest");
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if send_failed > 0 {
        return Err(CliError::other(format!(
            "{send_failed} messages could not be sent to {} and stay in {}",
            args.to, args.from
        )));
    }
    Ok(())
}
