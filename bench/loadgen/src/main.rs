//! `mns-loadgen`: load generator and benchmarks for the MNS emulator.
//!
//! ```text
//! cargo run --release -p mns-loadgen -- <scenario> [options]
//! ```
//!
//! Scenarios (see `--help` of each and the "mns-emulator" section of `BENCHMARKS.md`):
//!
//! * `cycle`: full send + receive + delete cycles from concurrent clients, single-message calls
//!   or 16-message batches (`--batch 16`); reports messages per second.
//! * `wakeup`: long-poll wake-up latency: a receive is parked in a long poll, a sender sends, and
//!   the time from the send completing to the receive returning is measured on the real clock.
//! * `startup`: in-process start time, from `Emulator::builder().start()` to the first answered
//!   request.
//! * `memory`: resident memory per queued message, enqueuing directly into an engine.
//! * `baseline`: SendMessage from concurrent clients against a canned server that does no work
//!   (a fixed answer per request) and then against the in-process emulator, in one run; reports
//!   both rates and their ratio, so the emulator's cost reads independently of the machine.
//! * `contention`: OS threads running the engine's hot operations on independent queues (no
//!   HTTP), under one engine-wide mutex or per-queue locks; run with 1 and 2 threads and compare.
//!
//! HTTP scenarios use `mns-client` with signed requests over loopback, against an in-process
//! emulator started by the tool or against `--endpoint`. Every run is bounded in count and time
//! and sends traffic only to the emulator it starts or to the endpoint given.

use std::error::Error as StdError;
use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use mns_client::{
    BatchSendEntry, Client, Credentials, Endpoint, Queue, QueueOptions, ReceiptHandle, RetryConfig,
};
use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput};
use mns_emulator::{Emulator, RunningEmulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod baseline;
mod contention;
mod memory;
mod scenarios;

use baseline::{CannedServer, baseline};
use contention::{LockDesign, contention};
use memory::{memory, percentile};
use scenarios::{cycle, startup, wakeup};

type BoxError = Box<dyn StdError + Send + Sync>;
type Res<T> = Result<T, BoxError>;

/// Load generator and benchmarks for the MNS emulator.
#[derive(Debug, Parser)]
#[command(name = "mns-loadgen", version, about)]
struct Cli {
    /// Tokio runtime: `multi-thread` (one worker per CPU the process may use, the default),
    /// `current-thread`, or `auto` (current-thread when the process may use one CPU only, e.g.
    /// under `taskset -c 1`).
    #[arg(
        long,
        global = true,
        default_value = "multi-thread",
        env = "MNS_LOADGEN_RUNTIME"
    )]
    runtime: RuntimeFlavor,
    #[command(subcommand)]
    scenario: Scenario,
}

/// Which tokio runtime drives the scenario.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RuntimeFlavor {
    /// `current-thread` when `std::thread::available_parallelism` is 1, else `multi-thread`.
    Auto,
    /// Everything (clients, connections) on the main thread.
    CurrentThread,
    /// One worker thread per CPU the process may use.
    MultiThread,
}

impl RuntimeFlavor {
    fn build(self) -> std::io::Result<tokio::runtime::Runtime> {
        let current_thread = match self {
            RuntimeFlavor::CurrentThread => true,
            RuntimeFlavor::MultiThread => false,
            RuntimeFlavor::Auto => std::thread::available_parallelism().is_ok_and(|n| n.get() == 1),
        };
        if current_thread {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
        }
    }
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Send + receive + delete cycles from concurrent clients (messages per second).
    Cycle(CycleArgs),
    /// Long-poll wake-up latency: send completed -> parked receive returned (p50/p99).
    Wakeup(WakeupArgs),
    /// In-process start time: Emulator::builder().start() -> first answered request (p50).
    Startup(StartupArgs),
    /// Memory per queued message: RSS growth while enqueuing into an in-process engine.
    Memory(MemoryArgs),
    /// SendMessage rate against a canned do-nothing server, then the emulator; prints the ratio.
    Baseline(BaselineArgs),
    /// Engine operations from OS threads on independent queues, under one lock or per-queue
    /// locks (cycles per second; compare 1 and 2 threads).
    Contention(ContentionArgs),
    /// Serve the canned do-nothing server on `--bind` until killed (a baseline for external load
    /// generators such as wrk).
    Canned(CannedArgs),
}

/// Where the HTTP scenarios send their requests.
#[derive(Debug, Args)]
struct TargetArgs {
    /// MNS endpoint to load (e.g. http://127.0.0.1:9911); default: an in-process emulator.
    #[arg(long)]
    endpoint: Option<String>,
    /// Access key id used to sign requests.
    #[arg(long, default_value = mns_emulator::DEFAULT_ACCESS_KEY_ID)]
    access_key_id: String,
    /// Access key secret used to sign requests.
    #[arg(long, default_value = mns_emulator::DEFAULT_ACCESS_KEY_SECRET)]
    access_key_secret: String,
    /// Give the in-process emulator this data directory (persistence on; see
    /// `mns_emulator::persist`); ignored with `--endpoint`.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// With `--data-dir`: `full` (fsync per commit, the default) or `normal`.
    #[arg(long, value_name = "LEVEL", default_value = "full", value_parser = mns_emulator::persist::Durability::parse)]
    data_dir_sync: mns_emulator::persist::Durability,
}

#[derive(Debug, Args)]
struct CycleArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Concurrent clients (tasks), each with its own queue.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Messages per call: 1 (SendMessage/ReceiveMessage/DeleteMessage) or up to 16 (batch calls).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    batch: u16,
    /// Measured duration in seconds (after the warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up in seconds (not measured).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 200)]
    body_bytes: usize,
}

#[derive(Debug, Args)]
struct WakeupArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Number of wake-ups measured.
    #[arg(long, default_value_t = 500)]
    iterations: usize,
}

#[derive(Debug, Args)]
struct StartupArgs {
    /// Number of emulator starts measured.
    #[arg(long, default_value_t = 100)]
    iterations: usize,
}

#[derive(Debug, Args)]
struct CannedArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9912")]
    bind: std::net::SocketAddr,
    /// Body size in bytes whose MD5 the canned SendMessage answer carries.
    #[arg(long, default_value_t = 200)]
    body_bytes: usize,
}

#[derive(Debug, Args)]
struct BaselineArgs {
    /// Concurrent clients (tasks).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Measured duration per server in seconds (after the warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Warm-up per server in seconds (not measured).
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 200)]
    body_bytes: usize,
}

#[derive(Debug, Args)]
struct ContentionArgs {
    /// OS threads, thread `t` on queue `t % queues`.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Queues.
    #[arg(long, default_value_t = 64)]
    queues: usize,
    /// Locking design: `global` (one mutex, as before issue 21), `queue` (per-queue locks) or
    /// `none` (an engine per thread: the upper bound).
    #[arg(long, value_enum, default_value_t = LockDesign::Queue)]
    lock: LockDesign,
    /// Measured duration in seconds (after the warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Warm-up in seconds (not measured).
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 200)]
    body_bytes: usize,
}

#[derive(Debug, Args)]
struct MemoryArgs {
    /// Messages to enqueue.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Body size in bytes.
    #[arg(long, default_value_t = 200)]
    body_bytes: usize,
}

fn main() -> Res<()> {
    let cli = Cli::parse();
    if let Scenario::Memory(args) = &cli.scenario {
        // No runtime: nothing but the engine should grow the resident set.
        return memory(args);
    }
    if let Scenario::Contention(args) = &cli.scenario {
        // No runtime: the scenario's own threads are the only ones working.
        return contention(args);
    }
    let runtime = cli.runtime.build()?;
    runtime.block_on(async {
        match cli.scenario {
            Scenario::Cycle(args) => cycle(&args).await,
            Scenario::Wakeup(args) => wakeup(&args).await,
            Scenario::Startup(args) => startup(&args).await,
            Scenario::Baseline(args) => baseline(&args).await,
            Scenario::Canned(args) => {
                let body: Vec<u8> = std::iter::repeat_n(b'm', args.body_bytes).collect();
                let server = CannedServer::start_on(args.bind, &body).await?;
                println!("canned server on http://{}", server.addr);
                server.task.await?;
                Ok(())
            }
            Scenario::Memory(_) | Scenario::Contention(_) => Ok(()),
        }
    })
}

// ------------------------------------------------------------------------------------ target

/// A client for the target, and the in-process emulator when there is no `--endpoint`.
struct Target {
    client: Client,
    emulator: Option<RunningEmulator>,
    description: String,
}

impl Target {
    async fn connect(args: &TargetArgs) -> Res<Self> {
        let (url, emulator) = match &args.endpoint {
            Some(url) => (url.clone(), None),
            None => {
                let mut builder =
                    Emulator::builder().access_key(&args.access_key_id, &args.access_key_secret);
                if let Some(dir) = &args.data_dir {
                    builder = builder.data_dir_with(dir, args.data_dir_sync)?;
                }
                let emu = builder.start().await?;
                (emu.endpoint().to_owned(), Some(emu))
            }
        };
        let description = match (&emulator, &args.data_dir) {
            (Some(_), Some(dir)) => {
                format!(
                    "in-process emulator at {url}, data directory {} ({:?})",
                    dir.display(),
                    args.data_dir_sync
                )
            }
            (Some(_), None) => format!("in-process emulator at {url}, in memory"),
            (None, _) => format!("endpoint {url}"),
        };
        let client = Client::builder(Endpoint::from_url(&url)?)
            .credentials(Credentials::new(
                &args.access_key_id,
                &args.access_key_secret,
            ))
            // A benchmark counts what happened: a retry would hide a failure and skew the rate.
            .retry(RetryConfig::disabled())
            .build()?;
        Ok(Target {
            client,
            emulator,
            description,
        })
    }

    /// Creates a queue named for this run and returns its handle.
    async fn queue(&self, stem: &str) -> Res<Queue> {
        let name = format!("loadgen-{}-{stem}", std::process::id());
        self.client
            .create_queue(&name, &QueueOptions::default())
            .await?;
        Ok(self.client.queue(&name)?)
    }

    /// Commits (fsyncs) of the in-process emulator's data directory so far.
    fn commits(&self) -> Option<u64> {
        let emu = self.emulator.as_ref()?;
        emu.emulator().data_dir_stats().map(|s| s.commits)
    }

    async fn close(self, queues: &[Queue]) {
        for q in queues {
            if let Err(e) = q.delete().await {
                eprintln!("warning: deleting queue {}: {e}", q.name().as_str());
            }
        }
        if let Some(emu) = self.emulator {
            emu.shutdown().await;
        }
    }
}
