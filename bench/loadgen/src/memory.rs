//! The `memory` scenario (resident memory per queued message) and small numeric helpers.

use super::*;

/// Enqueues `messages` bodies of `body_bytes` into one queue of a bare engine (no HTTP) and reports
/// the resident-set growth per message, minus the body itself.
pub(crate) fn memory(args: &MemoryArgs) -> Res<()> {
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
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
