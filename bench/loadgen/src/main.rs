//! `mns-loadgen`: load generator and benchmarks for the MNS emulator.
//!
//! ```text
//! cargo run --release -p mns-testkit --bin mns-loadgen -- <scenario> [options]
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

type BoxError = Box<dyn StdError + Send + Sync>;
type Res<T> = Result<T, BoxError>;

/// Load generator and benchmarks for the MNS emulator.
#[derive(Debug, Parser)]
#[command(name = "mns-loadgen", version, about)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
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
            Scenario::Memory(_) => Ok(()),
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
                let emu = Emulator::builder()
                    .access_key(&args.access_key_id, &args.access_key_secret)
                    .start()
                    .await?;
                (emu.endpoint().to_owned(), Some(emu))
            }
        };
        let description = match &emulator {
            Some(_) => format!("in-process emulator at {url}"),
            None => format!("endpoint {url}"),
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

// ------------------------------------------------------------------------------------ cycle

/// Each client loops send → receive → delete on its own queue until the deadline; the rate is the
/// number of messages that completed the full cycle during the measured window.
async fn cycle(args: &CycleArgs) -> Res<()> {
    let target = Target::connect(&args.target).await?;
    let batch = usize::from(args.batch);
    let mut queues = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        queues.push(target.queue(&format!("cycle-{i}")).await?);
    }
    let body: Vec<u8> = std::iter::repeat_n(b'm', args.body_bytes).collect();
    let completed = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let mut tasks = Vec::with_capacity(args.clients);
    for q in &queues {
        let (q, body) = (q.clone(), body.clone());
        let (completed, requests, stop) = (completed.clone(), requests.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let done = if batch == 1 {
                    single_cycle(&q, &body).await?
                } else {
                    batch_cycle(&q, &body, batch).await?
                };
                completed.fetch_add(done, Ordering::Relaxed);
                requests.fetch_add(3, Ordering::Relaxed);
            }
            Ok::<(), BoxError>(())
        }));
    }

    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let (c0, r0, t0) = (
        completed.load(Ordering::Relaxed),
        requests.load(Ordering::Relaxed),
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let (c1, r1, elapsed) = (
        completed.load(Ordering::Relaxed),
        requests.load(Ordering::Relaxed),
        t0.elapsed(),
    );
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }

    let secs = elapsed.as_secs_f64();
    let rate = (c1 - c0) as f64 / secs;
    println!(
        "scenario: cycle ({}), {} clients, {} message(s) per call, {}-byte bodies, {} ({:.1} s measured after {} s warm-up)",
        if batch == 1 {
            "SendMessage + ReceiveMessage + DeleteMessage"
        } else {
            "BatchSendMessage + BatchReceiveMessage + BatchDeleteMessage"
        },
        args.clients,
        batch,
        args.body_bytes,
        target.description,
        secs,
        args.warmup
    );
    println!(
        "messages/s (full cycles): {rate:.0}   requests/s: {:.0}   messages completed: {}",
        (r1 - r0) as f64 / secs,
        c1 - c0
    );
    target.close(&queues).await;
    Ok(())
}

async fn single_cycle(q: &Queue, body: &[u8]) -> Res<u64> {
    q.send_message(body).await?;
    let Some(m) = q.receive_message(Some(Duration::ZERO)).await? else {
        return Err("a message just sent to this client's own queue was not received".into());
    };
    q.delete_message(&m.receipt_handle).await?;
    Ok(1)
}

async fn batch_cycle(q: &Queue, body: &[u8], batch: usize) -> Res<u64> {
    let entries = (0..batch).map(|_| BatchSendEntry::new(body.to_vec()));
    for r in q.batch_send_message(entries).await? {
        r?;
    }
    let got = q.batch_receive_message(batch, Some(Duration::ZERO)).await?;
    if got.is_empty() {
        return Err("messages just sent to this client's own queue were not received".into());
    }
    let handles: Vec<ReceiptHandle> = got.into_iter().map(|m| m.receipt_handle).collect();
    let mut deleted = 0;
    for r in q.batch_delete_message(&handles).await? {
        r?;
        deleted += 1;
    }
    // Messages not returned by this receive stay in the queue and are picked up by the next one.
    Ok(deleted)
}

// ------------------------------------------------------------------------------------ wakeup

/// Parks a receive in a long poll, sends one message and measures how long after the send
/// completed the receive returned (and, for reference, after the send started).
async fn wakeup(args: &WakeupArgs) -> Res<()> {
    let target = Target::connect(&args.target).await?;
    let queue = target.queue("wakeup").await?;
    let mut after_send = Vec::with_capacity(args.iterations);
    let mut from_send_start = Vec::with_capacity(args.iterations);
    let mut early = 0usize;
    for i in 0..args.iterations {
        let receiver = queue.clone();
        let waiter = tokio::spawn(async move {
            let m = receiver.receive_message(Some(Duration::from_secs(5))).await;
            (Instant::now(), m)
        });
        // Make sure the receive is parked before sending.
        match &target.emulator {
            Some(emu) => {
                tokio::time::timeout(Duration::from_secs(5), emu.wait_for_waiting_receives(1))
                    .await
                    .map_err(|_| "the receive did not park in a long poll within 5 s")?;
            }
            None => tokio::time::sleep(Duration::from_millis(50)).await,
        }
        let started = Instant::now();
        queue.send_message(format!("wake-up {i}")).await?;
        let sent = Instant::now();
        let (returned, message) = waiter.await?;
        let Some(message) = message? else {
            return Err(format!("iteration {i}: the long poll ended without the message").into());
        };
        if returned < sent {
            early += 1;
        }
        after_send.push(returned.saturating_duration_since(sent));
        from_send_start.push(returned.saturating_duration_since(started));
        queue.delete_message(&message.receipt_handle).await?;
    }
    after_send.sort();
    from_send_start.sort();
    println!(
        "scenario: long-poll wake-up, {} iterations, {} (real clock)",
        args.iterations, target.description
    );
    println!(
        "send completed -> receive returned: p50 {:?}  p99 {:?}  max {:?}  ({} of {} returned before the send call did, counted as 0)",
        percentile(&after_send, 50.0),
        percentile(&after_send, 99.0),
        percentile(&after_send, 100.0),
        early,
        args.iterations
    );
    println!(
        "send started -> receive returned:   p50 {:?}  p99 {:?}  max {:?}",
        percentile(&from_send_start, 50.0),
        percentile(&from_send_start, 99.0),
        percentile(&from_send_start, 100.0)
    );
    target.close(&[queue]).await;
    Ok(())
}

// ------------------------------------------------------------------------------------ startup

/// Starts an in-process emulator `iterations` times; each time measures from the `start()` call
/// to the first HTTP response on a fresh connection (an unsigned `GET /queues`, answered with an
/// `<Error>`: any answer counts).
async fn startup(args: &StartupArgs) -> Res<()> {
    let mut samples = Vec::with_capacity(args.iterations);
    for _ in 0..args.iterations {
        let t0 = Instant::now();
        let emu = Emulator::builder().start().await?;
        first_answer(emu.local_addr()).await?;
        samples.push(t0.elapsed());
        emu.shutdown().await;
    }
    samples.sort();
    println!(
        "scenario: in-process start, {} starts (Emulator::builder().start() -> first HTTP response)",
        args.iterations
    );
    println!(
        "p50 {:?}  p90 {:?}  min {:?}  max {:?}",
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 0.0),
        percentile(&samples, 100.0)
    );
    Ok(())
}

/// Sends one request and waits for the end of the response headers.
async fn first_answer(addr: std::net::SocketAddr) -> Res<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream
        .write_all(b"GET /queues HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err::<(), BoxError>("connection closed before a response".into());
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Ok(());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .map_err(|_| "no response within 5 s")??;
    if !buf.starts_with(b"HTTP/1.1 ") {
        return Err("not an HTTP/1.1 response".into());
    }
    Ok(())
}

// ------------------------------------------------------------------------------------ baseline

/// SendMessage from `clients` tasks for `seconds`, first against a canned server (reads each
/// request, answers a fixed `201` SendMessage response, keeps the connection) and then against an
/// in-process emulator, with the same client, body and signing.
async fn baseline(args: &BaselineArgs) -> Res<()> {
    let body: Vec<u8> = std::iter::repeat_n(b'm', args.body_bytes).collect();
    let canned = CannedServer::start(&body).await?;
    let canned_client = Client::builder(Endpoint::from_url(&format!("http://{}", canned.addr))?)
        .credentials(Credentials::new(
            mns_emulator::DEFAULT_ACCESS_KEY_ID,
            mns_emulator::DEFAULT_ACCESS_KEY_SECRET,
        ))
        .retry(RetryConfig::disabled())
        .build()?;
    let canned_rate = send_rate(&canned_client.queue("canned")?, &body, args).await?;
    canned.task.abort();

    let target = Target::connect(&TargetArgs {
        endpoint: None,
        access_key_id: mns_emulator::DEFAULT_ACCESS_KEY_ID.to_owned(),
        access_key_secret: mns_emulator::DEFAULT_ACCESS_KEY_SECRET.to_owned(),
    })
    .await?;
    let queue = target.queue("baseline").await?;
    let emulator_rate = send_rate(&queue, &body, args).await?;
    println!(
        "scenario: baseline (SendMessage), {} clients, {}-byte bodies, {} s measured after {} s warm-up per server",
        args.clients, args.body_bytes, args.seconds, args.warmup
    );
    println!("canned server (no work):  {canned_rate:.0} requests/s");
    println!("in-process emulator:      {emulator_rate:.0} requests/s");
    println!(
        "ratio emulator / canned:  {:.2}",
        emulator_rate / canned_rate
    );
    target.close(&[queue]).await;
    Ok(())
}

/// SendMessage calls per second from `args.clients` tasks on one queue handle.
async fn send_rate(queue: &Queue, body: &[u8], args: &BaselineArgs) -> Res<f64> {
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let (q, body, sent, stop) = (queue.clone(), body.to_vec(), sent.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                q.send_message(&body).await?;
                sent.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), BoxError>(())
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let (s0, t0) = (sent.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let (s1, elapsed) = (sent.load(Ordering::Relaxed), t0.elapsed());
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }
    Ok((s1 - s0) as f64 / elapsed.as_secs_f64())
}

/// An HTTP/1.1 server that answers every request with the same SendMessage response.
struct CannedServer {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl CannedServer {
    async fn start(body: &[u8]) -> Res<Self> {
        Self::start_on(([127, 0, 0, 1], 0).into(), body).await
    }

    async fn start_on(bind: std::net::SocketAddr, body: &[u8]) -> Res<Self> {
        let md5 = mns_client::signing::md5_hex_upper(body);
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
             <MessageId>0909FF0D9C3A630C372B8A14BD2011B6</MessageId><MessageBodyMD5>{md5}</MessageBodyMD5></Message>"
        );
        let response: Arc<[u8]> = format!(
            "HTTP/1.1 201 Created\r\nContent-Type: text/xml;charset=utf-8\r\n\
             x-mns-request-id: 5F1D2C3B4A59687766554433\r\nContent-Length: {}\r\n\r\n{xml}",
            xml.len()
        )
        .into_bytes()
        .into();
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(canned_connection(stream, response.clone()));
            }
        });
        Ok(CannedServer { addr, task })
    }
}

/// Reads requests (headers, then `Content-Length` bytes) and answers each with `response`.
async fn canned_connection(mut stream: TcpStream, response: Arc<[u8]>) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // One complete request in `buf`?
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                buf.drain(..end + 4 + len);
                if stream.write_all(&response).await.is_err() {
                    return;
                }
                continue;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

// ------------------------------------------------------------------------------------ memory

/// Enqueues `messages` bodies of `body_bytes` into one queue of a bare engine (no HTTP) and reports
/// the resident-set growth per message, minus the body itself.
fn memory(args: &MemoryArgs) -> Res<()> {
    let batch = mns_emulator::engine::limits::MAX_BATCH_SIZE;
    let mut engine = Engine::new(EngineConfig::default());
    // Time is explicit in the engine; any fixed value works for a pure enqueue.
    let now = 1_700_000_000_000;
    engine.create_queue("memory", QueueAttributesInput::default(), now)?;
    let filler = "x".repeat(args.body_bytes);

    let before = rss_bytes()?;
    let started = Instant::now();
    let mut sent = 0usize;
    while sent < args.messages {
        let n = batch.min(args.messages - sent);
        let msgs = (sent..sent + n)
            .map(|i| {
                // Distinct bodies of exactly `body_bytes` (the index overwrites the filler's start).
                let mut body = format!("{i:012}");
                body.push_str(&filler[body.len().min(filler.len())..]);
                body.truncate(args.body_bytes);
                SendMessageInput::new(body)
            })
            .collect();
        engine.send_messages("memory", msgs, now)?;
        sent += n;
    }
    let elapsed = started.elapsed();
    let after = rss_bytes()?;
    let queued = engine.queue_len("memory", now)?;
    if queued != args.messages {
        return Err(format!(
            "expected {} queued messages, engine holds {queued}",
            args.messages
        )
        .into());
    }

    let growth = after.saturating_sub(before);
    let per_message = growth as f64 / args.messages as f64;
    println!("scenario: memory per queued message (engine, no HTTP)");
    println!(
        "messages: {}  body: {} bytes",
        args.messages, args.body_bytes
    );
    println!(
        "rss before: {:.1} MiB  after: {:.1} MiB  growth: {:.1} MiB  enqueue time: {:.2?}",
        mib(before),
        mib(after),
        mib(growth),
        elapsed
    );
    println!(
        "per message: {per_message:.1} bytes  overhead (minus the {}-byte body): {:.1} bytes",
        args.body_bytes,
        per_message - args.body_bytes as f64
    );
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Resident set size of this process: `/proc/self/statm` resident pages times the page size.
fn rss_bytes() -> Res<u64> {
    let statm = fs::read_to_string("/proc/self/statm")?;
    let resident: u64 = statm
        .split_whitespace()
        .nth(1)
        .ok_or("unexpected /proc/self/statm format")?
        .parse()?;
    Ok(resident * page_size()?)
}

/// The page size from the process's auxiliary vector (`AT_PAGESZ`), read without `unsafe`.
fn page_size() -> Res<u64> {
    const AT_PAGESZ: u64 = 6;
    let auxv = fs::read("/proc/self/auxv")?;
    for pair in auxv.chunks_exact(16) {
        let (key, value) = pair.split_at(8);
        if u64::from_ne_bytes(key.try_into()?) == AT_PAGESZ {
            return Ok(u64::from_ne_bytes(value.try_into()?));
        }
    }
    Err("AT_PAGESZ not found in /proc/self/auxv".into())
}

/// The `p`-th percentile (0–100, nearest rank) of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
