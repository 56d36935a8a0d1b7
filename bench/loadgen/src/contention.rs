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
//!   parallel, threads on one queue serialise on it;
//! * `none`: each thread its own engine, no lock at all: the most the machine gives two threads
//!   right now, against which the other two read.
//!
//! Reports cycles per second; run it with `--threads 1` and `--threads 2` (and more on a larger
//! machine) and compare the ratio. On a machine busy with other work the threads may not get a
//! core each, so it also reports what does not depend on that: the CPU the process used (cores
//! busy, cycles per CPU-second) and how many lock acquisitions found the lock taken by another
//! thread (contended).

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, TryLockError};

use super::*;

/// The locking design measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LockDesign {
    /// One `Mutex` over the engine, `&mut self` methods.
    Global,
    /// `RwLock` read guard plus the queue's own mutex (`Engine::shared_queue`).
    Queue,
    /// An engine per thread, no lock (the upper bound).
    None,
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
        LockDesign::None => {}
    }
    let stop = AtomicBool::new(false);
    let measuring = AtomicBool::new(false);
    let cycles = AtomicU64::new(0);
    let failures = AtomicU64::new(0);
    let locks = Locks::default();
    let (elapsed, cpu, total) = std::thread::scope(|s| {
        for t in 0..args.threads {
            let queue = format!("q{}", t % queues);
            let (global, shared, body) = (&global, &shared, &body);
            let (stop, measuring, cycles, failures) = (&stop, &measuring, &cycles, &failures);
            let locks = &locks;
            s.spawn(move || {
                let mut mine = 0u64;
                let mut counted = false;
                let mut tally = Tally::default();
                let mut own = Engine::new(EngineConfig::default());
                if own
                    .create_queue(&queue, QueueAttributesInput::default(), NOW)
                    .is_err()
                {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                while !stop.load(Ordering::Relaxed) {
                    if !counted && measuring.load(Ordering::Relaxed) {
                        counted = true;
                        mine = 0;
                        tally = Tally::default();
                    }
                    let ok = match args.lock {
                        LockDesign::Global => cycle_global(global, &queue, body, &mut tally),
                        LockDesign::Queue => cycle_shared(shared, &queue, body, &mut tally),
                        LockDesign::None => cycle_own(&mut own, &queue, body),
                    };
                    if ok {
                        mine += 1;
                    } else {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                cycles.fetch_add(mine, Ordering::Relaxed);
                locks.taken.fetch_add(tally.taken, Ordering::Relaxed);
                locks
                    .contended
                    .fetch_add(tally.contended, Ordering::Relaxed);
            });
        }
        std::thread::sleep(Duration::from_secs(args.warmup));
        measuring.store(true, Ordering::Relaxed);
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        std::thread::sleep(Duration::from_secs(args.seconds));
        stop.store(true, Ordering::Relaxed);
        let elapsed = started.elapsed();
        let cpu = cpu_seconds().and_then(|after| Ok(after - cpu_before?));
        (elapsed, cpu, &cycles)
    });
    let cpu = cpu?;
    let total = total.load(Ordering::Relaxed);
    let failed = failures.load(Ordering::Relaxed);
    if failed > 0 {
        return Err(format!("{failed} cycles failed").into());
    }
    let rate = total as f64 / elapsed.as_secs_f64();
    let taken = locks.taken.load(Ordering::Relaxed).max(1);
    let contended = locks.contended.load(Ordering::Relaxed);
    println!(
        "contention: lock {:?}, {} threads on {} queues, {}-byte bodies, {:.1} s: {:.0} cycles/s \
         ({:.0} operations/s); {:.2} cores busy, {:.0} cycles per CPU-second; {:.2}% of lock \
         acquisitions contended",
        args.lock,
        args.threads,
        queues,
        args.body_bytes,
        elapsed.as_secs_f64(),
        rate,
        rate * 3.0,
        cpu / elapsed.as_secs_f64(),
        total as f64 / cpu.max(f64::EPSILON),
        100.0 * contended as f64 / taken as f64
    );
    Ok(())
}

/// Lock acquisitions over all threads.
#[derive(Default)]
struct Locks {
    taken: AtomicU64,
    contended: AtomicU64,
}

/// One thread's lock acquisitions (summed into [`Locks`] at the end).
#[derive(Default)]
struct Tally {
    taken: u64,
    contended: u64,
}

impl Tally {
    /// Counts one acquisition, contended if the first try found the lock taken.
    fn count(&mut self, contended: bool) {
        self.taken += 1;
        self.contended += u64::from(contended);
    }
}

/// User + system CPU time of this process so far, in seconds (`/proc/self/stat`).
fn cpu_seconds() -> Res<f64> {
    let stat = fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').ok_or("unreadable /proc/self/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 = fields
        .get(11..13)
        .ok_or("unreadable /proc/self/stat")?
        .iter()
        .map(|f| f.parse::<f64>())
        .sum::<Result<f64, _>>()?;
    // The kernel reports clock ticks of USER_HZ, 100 on Linux.
    Ok(ticks / 100.0)
}

/// Locks `m`, counting whether another thread held it.
fn lock_counted<'a, T>(m: &'a Mutex<T>, tally: &mut Tally) -> MutexGuard<'a, T> {
    match m.try_lock() {
        Ok(g) => {
            tally.count(false);
            g
        }
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            tally.count(true);
            m.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}

/// Read-locks `l`, counting whether a writer held it.
fn read_counted<'a, T>(l: &'a RwLock<T>, tally: &mut Tally) -> RwLockReadGuard<'a, T> {
    match l.try_read() {
        Ok(g) => {
            tally.count(false);
            g
        }
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            tally.count(true);
            l.read().unwrap_or_else(|e| e.into_inner())
        }
    }
}

/// Send, receive, delete on `queue` through one `Mutex` and the `&mut self` methods.
fn cycle_global(
    engine: &Mutex<Option<Engine>>,
    queue: &str,
    body: &str,
    tally: &mut Tally,
) -> bool {
    let sent = lock_counted(engine, tally)
        .as_mut()
        .map(|e| e.send_messages(queue, vec![SendMessageInput::new(body)], NOW));
    if !matches!(sent, Some(Ok(_))) {
        return false;
    }
    let got = lock_counted(engine, tally)
        .as_mut()
        .map(|e| e.receive_messages(queue, 1, NOW));
    let Some(Ok(got)) = got else { return false };
    let Some(m) = got.first() else { return false };
    let deleted = lock_counted(engine, tally)
        .as_mut()
        .map(|e| e.delete_message(queue, &m.receipt_handle, NOW));
    matches!(deleted, Some(Ok(())))
}

/// Send, receive, delete on `queue` of the thread's own engine.
fn cycle_own(engine: &mut Engine, queue: &str, body: &str) -> bool {
    if engine
        .send_messages(queue, vec![SendMessageInput::new(body)], NOW)
        .is_err()
    {
        return false;
    }
    let Ok(got) = engine.receive_messages(queue, 1, NOW) else {
        return false;
    };
    let Some(m) = got.first() else { return false };
    engine.delete_message(queue, &m.receipt_handle, NOW).is_ok()
}

/// Send, receive, delete on `queue` through a read guard and the queue's own lock.
fn cycle_shared(
    engine: &RwLock<Option<Engine>>,
    queue: &str,
    body: &str,
    tally: &mut Tally,
) -> bool {
    fn on<T>(
        engine: &RwLock<Option<Engine>>,
        queue: &str,
        tally: &mut Tally,
        f: impl FnOnce(&mut mns_emulator::engine::LockedQueue<'_>) -> T,
    ) -> Option<T> {
        let guard = read_counted(engine, tally);
        let q = guard.as_ref()?.shared_queue(queue)?;
        let mut locked = match q.try_lock() {
            Some(l) => {
                tally.count(false);
                l
            }
            None => {
                tally.count(true);
                q.lock()
            }
        };
        Some(f(&mut locked))
    }
    let sent = on(engine, queue, tally, |q| {
        q.send_messages(vec![SendMessageInput::new(body)], NOW)
    });
    if !matches!(sent, Some(Ok(_))) {
        return false;
    }
    let got = on(engine, queue, tally, |q| q.receive_messages(1, NOW));
    let Some(Ok(got)) = got else { return false };
    let Some(m) = got.first() else { return false };
    let deleted = on(engine, queue, tally, |q| {
        q.delete_message(&m.receipt_handle, NOW)
    });
    matches!(deleted, Some(Ok(())))
}
