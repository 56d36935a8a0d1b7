//! The `contention` scenario: how the engine's hot operations scale with OS threads when the
//! threads work on independent queues (issue 21, "state that scales").
//!
//! No HTTP: each thread runs send + receive + delete cycles (three operations, each taking the
//! locks on its own, as three requests would) on its queue of one shared engine, under either
//! locking design:
//!
//! * `global`: the engine behind one `Mutex`, every operation through the `&mut self` methods
//!   (the emulator's design before issue 21: every request on any queue serialises);
//! * `queue`: the engine behind an `RwLock` held for reading plus the queue's own lock
//!   (`Engine::shared_queue`, the emulator's design since): threads on different queues run in
//!   parallel, threads on one queue serialise on it.
//!
//! Reports cycles per second; run it with `--threads 1` and `--threads 2` (and more on a larger
//! machine) and compare the ratio.

use std::sync::{Mutex, RwLock};

use super::*;

/// The locking design measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LockDesign {
    /// One `Mutex` over the engine, `&mut self` methods.
    Global,
    /// `RwLock` read guard plus the queue's own mutex (`Engine::shared_queue`).
    Queue,
}

/// One operation's time: the engine only needs a `now` that does not go back.
const NOW: u64 = 1_700_000_000_000;

pub(crate) fn contention(args: &ContentionArgs) -> Res<()> {
    let queues = args.queues.max(1);
    let mut engine = Engine::new(EngineConfig::default());
    for q in 0..queues {
        engine.create_queue(&format!("q{q}"), QueueAttributesInput::default(), NOW)?;
    }
    let body = "m".repeat(args.body_bytes);
    let global = Mutex::new(None);
    let shared = RwLock::new(None);
    match args.lock {
        LockDesign::Global => *global.lock().map_err(|_| "poisoned")? = Some(engine),
        LockDesign::Queue => *shared.write().map_err(|_| "poisoned")? = Some(engine),
    }
    let stop = AtomicBool::new(false);
    let measuring = AtomicBool::new(false);
    let cycles = AtomicU64::new(0);
    let failures = AtomicU64::new(0);
    let (elapsed, total) = std::thread::scope(|s| {
        for t in 0..args.threads {
            let queue = format!("q{}", t % queues);
            let (global, shared, body) = (&global, &shared, &body);
            let (stop, measuring, cycles, failures) = (&stop, &measuring, &cycles, &failures);
            s.spawn(move || {
                let mut mine = 0u64;
                let mut counted = false;
                while !stop.load(Ordering::Relaxed) {
                    if !counted && measuring.load(Ordering::Relaxed) {
                        counted = true;
                        mine = 0;
                    }
                    let ok = match args.lock {
                        LockDesign::Global => cycle_global(global, &queue, body),
                        LockDesign::Queue => cycle_shared(shared, &queue, body),
                    };
                    if ok {
                        mine += 1;
                    } else {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                cycles.fetch_add(mine, Ordering::Relaxed);
            });
        }
        std::thread::sleep(Duration::from_secs(args.warmup));
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        std::thread::sleep(Duration::from_secs(args.seconds));
        stop.store(true, Ordering::Relaxed);
        (started.elapsed(), &cycles)
    });
    let total = total.load(Ordering::Relaxed);
    let failed = failures.load(Ordering::Relaxed);
    if failed > 0 {
        return Err(format!("{failed} cycles failed").into());
    }
    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "contention: lock {:?}, {} threads on {} queues, {}-byte bodies, {:.1} s: {:.0} cycles/s ({:.0} operations/s)",
        args.lock,
        args.threads,
        queues,
        args.body_bytes,
        elapsed.as_secs_f64(),
        rate,
        rate * 3.0
    );
    Ok(())
}

/// Send, receive, delete on `queue` through one `Mutex` and the `&mut self` methods.
fn cycle_global(engine: &Mutex<Option<Engine>>, queue: &str, body: &str) -> bool {
    let lock = || engine.lock().unwrap_or_else(|e| e.into_inner());
    let sent = lock()
        .as_mut()
        .map(|e| e.send_messages(queue, vec![SendMessageInput::new(body)], NOW));
    if !matches!(sent, Some(Ok(_))) {
        return false;
    }
    let got = lock().as_mut().map(|e| e.receive_messages(queue, 1, NOW));
    let Some(Ok(got)) = got else { return false };
    let Some(m) = got.first() else { return false };
    let deleted = lock()
        .as_mut()
        .map(|e| e.delete_message(queue, &m.receipt_handle, NOW));
    matches!(deleted, Some(Ok(())))
}

/// Send, receive, delete on `queue` through a read guard and the queue's own lock.
fn cycle_shared(engine: &RwLock<Option<Engine>>, queue: &str, body: &str) -> bool {
    fn on<T>(
        engine: &RwLock<Option<Engine>>,
        queue: &str,
        f: impl FnOnce(&mut mns_emulator::engine::LockedQueue<'_>) -> T,
    ) -> Option<T> {
        let guard = engine.read().unwrap_or_else(|e| e.into_inner());
        let q = guard.as_ref()?.shared_queue(queue)?;
        Some(f(&mut q.lock()))
    }
    let sent = on(engine, queue, |q| {
        q.send_messages(vec![SendMessageInput::new(body)], NOW)
    });
    if !matches!(sent, Some(Ok(_))) {
        return false;
    }
    let got = on(engine, queue, |q| q.receive_messages(1, NOW));
    let Some(Ok(got)) = got else { return false };
    let Some(m) = got.first() else { return false };
    let deleted = on(engine, queue, |q| q.delete_message(&m.receipt_handle, NOW));
    matches!(deleted, Some(Ok(())))
}
