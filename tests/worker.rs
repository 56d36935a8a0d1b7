//! The consumer worker (`mns_client::worker`) against the embedded emulator on a virtual clock.
//!
//! The emulator, the client's `Date` header and the worker's own timers (heartbeats, backoff,
//! shutdown deadline) all read one `ManualClock`. Time moves only when a test moves it, and a test
//! moves it only once the worker is quiet (nothing in flight, its long poll parked in the
//! emulator) or once the state it needs has been reached, so no outcome depends on how fast this
//! machine happens to be.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use mns_client::time::Sleep;
use mns_client::worker::{Backoff, DeadLetter, StatsSnapshot, Worker, WorkerStats};
use mns_client::{
    BatchSendEntry, Client, Credentials, Endpoint, Queue, QueueOptions, SendOptions, TimeSource,
    UserProperty,
};
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::engine::{MessageState, QueueKind};
use mns_emulator::{Emulator, RunningEmulator};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// A fixed start (Tue, 02 Jan 2024 03:04:05 GMT), so nothing depends on today's date.
const T0_MS: u64 = 1_704_164_645_000;

/// The emulator's virtual clock seen through the client's time abstraction.
#[derive(Debug)]
struct VirtualTime(ManualClock);

impl TimeSource for VirtualTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        self.0.sleep_until(deadline)
    }
}

struct Harness {
    emu: RunningEmulator,
    clock: ManualClock,
    client: Client,
}

async fn start() -> Harness {
    start_with(mns_emulator::engine::EngineConfig::default()).await
}

async fn start_with(config: mns_emulator::engine::EngineConfig) -> Harness {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let clock = ManualClock::at_millis(T0_MS);
    let emu = Emulator::builder()
        .clock(clock.clone())
        .engine_config(config)
        .start()
        .await
        .expect("emulator starts");
    let key = emu.access_key();
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).expect("endpoint"))
        .credentials(Credentials::new(key.id(), key.secret()))
        .time_source(VirtualTime(clock.clone()))
        .build()
        .expect("client");
    Harness { emu, clock, client }
}

impl Harness {
    async fn queue(&self, name: &str, visibility_timeout: u32) -> Queue {
        let attributes = QueueOptions {
            visibility_timeout: Some(visibility_timeout),
            ..QueueOptions::default()
        };
        self.client
            .create_queue(name, &attributes)
            .await
            .expect("create queue");
        self.client.queue(name).expect("queue name")
    }

    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_millis()
    }

    fn stored(&self, queue: &str) -> Vec<mns_emulator::engine::MessageSnapshot> {
        self.emu.inspect_queue(queue).expect("inspect queue")
    }

    /// Waits until the worker(s) hold no message, `pollers` long polls are parked, and no
    /// message of `queue` is visible (a visible message and a parked poll mean the poll is about
    /// to take it).
    async fn quiet(&self, queue: &str, stats: &[&WorkerStats], pollers: usize) {
        eventually("the worker to be quiet", || {
            stats.iter().all(|s| s.snapshot().in_flight == 0)
                && self.emu.waiting_receives() == pollers
                && self
                    .stored(queue)
                    .iter()
                    .all(|m| m.state != MessageState::Active)
        })
        .await;
    }
}

/// Waits (in real time, checking often) until `cond` holds. The generous limit only turns a
/// hang into a failure; nothing is asserted about how long it took.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..60_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Runs `worker` until the returned sender fires (or is dropped).
fn spawn_worker(worker: Worker) -> (oneshot::Sender<()>, JoinHandle<StatsSnapshot>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    (stop, task)
}

async fn send_numbered(queue: &Queue, n: usize) {
    let mut tasks = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let queue = queue.clone();
        let entries: Vec<BatchSendEntry> = chunk
            .iter()
            .map(|i| BatchSendEntry::new(i.to_string()))
            .collect();
        tasks.push(tokio::spawn(async move {
            let results = queue.batch_send_message(entries).await.expect("batch send");
            assert!(results.iter().all(Result::is_ok), "{results:?}");
        }));
        if tasks.len() >= 8 {
            for t in tasks.drain(..) {
                t.await.expect("send task");
            }
        }
    }
    for t in tasks {
        t.await.expect("send task");
    }
}

fn index_of(msg: &mns_client::ReceivedMessage) -> usize {
    msg.body_str()
        .and_then(|b| b.parse().ok())
        .expect("numbered body")
}

// -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handler_keeps_its_message_through_heartbeats() {
    let h = start().await;
    let queue = h.queue("slow", 10).await;
    queue.send_message("slow job").await.expect("send");

    let calls: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let release = Arc::new(Notify::new());
    let make_worker = || {
        let calls = calls.clone();
        let release = release.clone();
        Worker::builder(queue.clone(), move |msg| {
            let calls = calls.clone();
            let release = release.clone();
            async move {
                *calls
                    .lock()
                    .unwrap()
                    .entry(msg.message_id.clone())
                    .or_default() += 1;
                release.notified().await;
                Ok(())
            }
        })
        .concurrency(4)
        .wait(Duration::from_secs(5))
        .build()
        .expect("worker")
    };
    // Two consumers on the same queue: if the message ever became visible while the first
    // handler still runs, the other one (or the first worker's own poller) would take it.
    let (a, b) = (make_worker(), make_worker());
    let (stats_a, stats_b) = (a.stats(), b.stats());
    let (stop_a, run_a) = spawn_worker(a);
    let (stop_b, run_b) = spawn_worker(b);

    eventually("the message to be received", || {
        stats_a.snapshot().in_flight + stats_b.snapshot().in_flight == 1
    })
    .await;
    h.emu.wait_for_waiting_receives(2).await;

    // Six visibility timeouts, one second at a time. Before each step, the message's visibility
    // must already reach past the step: only heartbeats can make that true after 10 s.
    for _ in 0..60 {
        let next = h.now_ms() + 1_000;
        let described = format!("a heartbeat to extend the visibility past {next}");
        eventually(&described, || {
            let stored = h.stored("slow");
            stored.len() == 1
                && stored[0].state == MessageState::Inactive
                && stored[0].next_visible_time > next
        })
        .await;
        h.advance(1);
    }
    let stored = h.stored("slow");
    assert_eq!(stored[0].dequeue_count, 1, "never delivered a second time");

    release.notify_waiters();
    eventually("the handler to finish", || {
        stats_a.snapshot().succeeded + stats_b.snapshot().succeeded == 1
            && stats_a.snapshot().in_flight + stats_b.snapshot().in_flight == 0
    })
    .await;
    let _ = (stop_a.send(()), stop_b.send(()));
    let (sa, sb) = (run_a.await.unwrap(), run_b.await.unwrap());

    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls.values().copied().collect::<Vec<_>>(), [1]);
    assert_eq!(sa.received + sb.received, 1);
    // Each extension lasts 10 s from when it is made, so covering 60 s takes at least 5.
    assert!(
        sa.heartbeats + sb.heartbeats >= 5,
        "{sa:?} {sb:?}: a 60 s handler on a 10 s visibility timeout needs heartbeats"
    );
    assert_eq!(sa.settle_errors + sb.settle_errors, 0);
    assert!(h.stored("slow").is_empty(), "deleted after success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_message_lands_in_the_dead_letter_queue_after_n_receives() {
    const BODY: &str = "poison ☠ <not xml> & \"quotes\"\nsecond line";
    let h = start().await;
    let queue = h.queue("orders", 30).await;
    let dlq = h.queue("orders-dlq", 30).await;
    queue.send_message(BODY).await.expect("send");

    let seen: Arc<Mutex<Vec<u32>>> = Arc::default();
    let worker = {
        let seen = seen.clone();
        Worker::builder(queue.clone(), move |msg| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(msg.dequeue_count);
                Err("cannot parse order".into())
            }
        })
        .retry_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(4)))
        .max_receives(3, DeadLetter::Queue(dlq.clone()))
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker")
    };
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);

    for _ in 0..20 {
        h.quiet("orders", &[&stats], 1).await;
        if stats.snapshot().dead_lettered == 1 {
            break;
        }
        h.advance(4);
    }
    stop.send(()).unwrap();
    let last = run.await.unwrap();

    assert_eq!(
        *seen.lock().unwrap(),
        [1, 2, 3],
        "handled once per allowed receive"
    );
    assert_eq!(last.dead_lettered, 1);
    assert_eq!(last.failed, 3);
    assert_eq!(last.succeeded, 0);
    assert!(
        h.stored("orders").is_empty(),
        "removed from the source queue"
    );
    let dead = dlq
        .receive_message(Some(Duration::ZERO))
        .await
        .expect("receive from DLQ")
        .expect("a dead-lettered message");
    assert_eq!(dead.body, BODY.as_bytes(), "body intact");
    assert_eq!(dead.dequeue_count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_side_dead_letter_keeps_user_properties_and_the_group_id() {
    let h = start().await;
    let attrs = mns_emulator::engine::QueueAttributesInput {
        visibility_timeout: Some(30),
        ..Default::default()
    };
    for name in ["jobs", "jobs-dlq"] {
        h.emu
            .emulator()
            .create_queue_with(name, attrs.clone(), QueueKind::Fifo, None)
            .expect("create FIFO queue");
    }
    let queue = h.client.queue("jobs").expect("queue name");
    let dlq = h.client.queue("jobs-dlq").expect("queue name");
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let options = SendOptions {
        user_properties: vec![UserProperty::string("tenant", "acme")],
        message_group_id: Some("order-7".to_owned()),
        system_properties: mns_client::SystemProperties::new()
            .with(mns_client::SystemProperty::traceparent(traceparent)),
        ..SendOptions::default()
    };
    queue.send_message_opts("bad", options).await.expect("send");
    let worker = Worker::builder(queue.clone(), |_msg| async { Err("rejected".into()) })
        .max_receives(1, DeadLetter::Queue(dlq.clone()))
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker");
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("the message to be dead-lettered", || {
        stats.snapshot().dead_lettered == 1
    })
    .await;
    stop.send(()).unwrap();
    let last = run.await.unwrap();
    assert_eq!((last.failed, last.dead_lettered), (1, 1));
    assert!(h.stored("jobs").is_empty(), "removed from the source queue");
    let dead = h.stored("jobs-dlq");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "bad");
    assert_eq!(dead[0].message_group_id.as_deref(), Some("order-7"));
    assert_eq!(dead[0].user_properties.len(), 1);
    assert_eq!(
        (
            dead[0].user_properties[0].name.as_str(),
            dead[0].user_properties[0].value.as_str()
        ),
        ("tenant", "acme")
    );
    assert!(
        dead[0]
            .system_properties
            .iter()
            .any(|p| p.name == "traceparent" && p.value == traceparent),
        "the trace context travels to the dead-letter queue: {:?}",
        dead[0].system_properties
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_over_the_limit_is_dropped_without_handling_under_drop_policy() {
    let h = start().await;
    let queue = h.queue("q", 30).await;
    queue.send_message("old").await.expect("send");
    // Someone else received it twice already (and crashed).
    for _ in 0..2 {
        let m = queue.receive_message(Some(Duration::ZERO)).await.unwrap();
        assert!(m.is_some());
        h.advance(30);
    }
    let calls = Arc::new(AtomicU32::new(0));
    let worker = {
        let calls = calls.clone();
        Worker::builder(queue.clone(), move |_msg| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .max_receives(2, DeadLetter::Drop)
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker")
    };
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("the message to be dropped", || {
        stats.snapshot().dropped == 1
    })
    .await;
    h.quiet("q", &[&stats], 1).await;
    stop.send(()).unwrap();
    let last = run.await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the handler never saw it");
    assert_eq!((last.received, last.dropped, last.dead_lettered), (1, 1, 0));
    assert!(h.stored("q").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_receiving_and_lets_handlers_finish() {
    let h = start().await;
    let queue = h.queue("drain", 30).await;
    send_numbered(&queue, 3).await;

    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let worker = {
        let gate = gate.clone();
        Worker::builder(queue.clone(), move |_msg| {
            let gate = gate.clone();
            async move {
                gate.acquire().await?.forget();
                Ok(())
            }
        })
        .concurrency(8)
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker")
    };
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("three handlers running", || stats.snapshot().in_flight == 3).await;
    h.emu.wait_for_waiting_receives(1).await;

    stop.send(()).unwrap();
    // The long poll is abandoned at once, while the handlers keep their messages.
    h.emu.wait_for_waiting_receives(0).await;
    queue.send_message("after shutdown").await.expect("send");
    assert!(!run.is_finished(), "waits for the running handlers");
    assert_eq!(stats.snapshot().in_flight, 3);

    gate.add_permits(3);
    let last = run.await.unwrap();
    assert_eq!((last.received, last.succeeded, last.in_flight), (3, 3, 0));
    assert_eq!(last.released, 0);
    let stored = h.stored("drain");
    assert_eq!(
        stored.len(),
        1,
        "only the message sent after shutdown is left"
    );
    assert_eq!(stored[0].body, "after shutdown");
    assert_eq!(stored[0].dequeue_count, 0, "never received");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_deadline_releases_unfinished_messages() {
    let h = start().await;
    let queue = h.queue("stuck", 60).await;
    queue.send_message("never finishes").await.expect("send");

    let dropped = Arc::new(AtomicBool::new(false));
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let worker = {
        let dropped = dropped.clone();
        Worker::builder(queue.clone(), move |_msg| {
            let guard = SetOnDrop(dropped.clone());
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(())
            }
        })
        .shutdown_timeout(Duration::from_secs(10))
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker")
    };
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("the handler to run", || stats.snapshot().in_flight == 1).await;
    h.emu.wait_for_waiting_receives(1).await;
    stop.send(()).unwrap();
    h.emu.wait_for_waiting_receives(0).await;

    // The deadline is 10 s after the worker saw the shutdown: not reached after 9 s...
    h.advance(9);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!run.is_finished(), "the worker must wait for its deadline");
    // ... reached soon after (one step at a time, in case the worker read the clock late).
    let mut steps = 0;
    while !run.is_finished() {
        h.advance(1);
        steps += 1;
        assert!(steps < 300, "the worker never gave up on the stuck handler");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let last = run.await.unwrap();
    assert_eq!((last.released, last.succeeded, last.in_flight), (1, 0, 0));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the handler was interrupted"
    );

    // Visible again within a second instead of after the 60 s visibility timeout.
    h.advance(1);
    let again = queue
        .receive_message(Some(Duration::ZERO))
        .await
        .unwrap()
        .expect("released message");
    assert_eq!(again.body_str(), Some("never finishes"));
    assert_eq!(again.dequeue_count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_errors_back_off_and_polling_resumes() {
    let h = start().await;
    // The queue does not exist yet: every receive fails with QueueNotExist.
    let queue = h.client.queue("late").unwrap();
    let handled = Arc::new(AtomicU32::new(0));
    let worker = {
        let handled = handled.clone();
        Worker::builder(queue.clone(), move |_msg| {
            handled.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .visibility_timeout(Duration::from_secs(30))
        .error_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(8)))
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker")
    };
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("a failed receive", || stats.snapshot().receive_errors == 1).await;
    // Backing off: no new attempt until the clock moves.
    for expected in 2..=4 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(stats.snapshot().receive_errors, expected - 1);
        h.advance(8);
        eventually("the next attempt", || {
            stats.snapshot().receive_errors == expected
        })
        .await;
    }
    h.queue("late", 30).await;
    queue.send_message("finally").await.unwrap();
    h.advance(8);
    eventually("the message to be handled", || {
        handled.load(Ordering::SeqCst) == 1
    })
    .await;
    h.quiet("late", &[&stats], 1).await;
    stop.send(()).unwrap();
    let last = run.await.unwrap();
    assert_eq!(last.succeeded, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_counts_as_a_failure_and_the_message_is_retried() {
    let h = start().await;
    let queue = h.queue("panics", 30).await;
    queue.send_message("boom once").await.expect("send");
    let calls = Arc::new(AtomicU32::new(0));
    let worker = {
        let calls = calls.clone();
        Worker::builder(queue.clone(), move |_msg| {
            let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                assert!(!first, "injected panic on the first call");
                Ok(())
            }
        })
        .retry_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)))
        .wait(Duration::from_secs(30))
        .build()
        .expect("worker")
    };
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("the panic to be counted", || stats.snapshot().failed == 1).await;
    h.quiet("panics", &[&stats], 1).await;
    h.advance(1);
    eventually("the retry to succeed", || stats.snapshot().succeeded == 1).await;
    h.quiet("panics", &[&stats], 1).await;
    stop.send(()).unwrap();
    let last = run.await.unwrap();
    assert_eq!((last.received, last.failed, last.succeeded), (2, 1, 1));
    assert!(h.stored("panics").is_empty());
}

// -------------------------------------------------------------------------------------------
// 10,000 messages, concurrency 32.

struct Tally {
    calls: Vec<AtomicU32>,
    successes: Vec<AtomicU32>,
    running: AtomicUsize,
    max_running: AtomicUsize,
    total_calls: AtomicU64,
}

impl Tally {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Tally {
            calls: (0..n).map(|_| AtomicU32::new(0)).collect(),
            successes: (0..n).map(|_| AtomicU32::new(0)).collect(),
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
            total_calls: AtomicU64::new(0),
        })
    }
}

/// A handler that records every call and fails every fifth call when `fail` is set.
fn tallying_worker(queue: &Queue, tally: &Arc<Tally>, fail: bool) -> Worker {
    let tally = tally.clone();
    Worker::builder(queue.clone(), move |msg| {
        let tally = tally.clone();
        async move {
            let i = index_of(&msg);
            let running = tally.running.fetch_add(1, Ordering::SeqCst) + 1;
            tally.max_running.fetch_max(running, Ordering::SeqCst);
            tally.calls[i].fetch_add(1, Ordering::SeqCst);
            let call = tally.total_calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            tally.running.fetch_sub(1, Ordering::SeqCst);
            if fail && call % 5 == 4 {
                return Err(format!("injected failure of call {call}").into());
            }
            tally.successes[i].fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .concurrency(32)
    .retry_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(2)))
    .wait(Duration::from_secs(30))
    .build()
    .expect("worker")
}

const MANY: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_each_handled_exactly_once() {
    let h = start().await;
    let queue = h.queue("many", 30).await;
    send_numbered(&queue, MANY).await;
    let tally = Tally::new(MANY);
    let worker = tallying_worker(&queue, &tally, false);
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);

    eventually("every message to be handled", || {
        stats.snapshot().succeeded == MANY as u64
    })
    .await;
    h.quiet("many", &[&stats], 1).await;
    stop.send(()).unwrap();
    let last = run.await.unwrap();

    for (i, c) in tally.calls.iter().enumerate() {
        assert_eq!(c.load(Ordering::SeqCst), 1, "message {i}");
    }
    assert_eq!(last.received, MANY as u64);
    assert_eq!((last.failed, last.settle_errors, last.in_flight), (0, 0, 0));
    assert!(tally.max_running.load(Ordering::SeqCst) <= 32);
    assert!(h.stored("many").is_empty(), "every message deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_none_lost_when_a_fifth_of_handler_calls_fail() {
    let h = start().await;
    let queue = h.queue("flaky", 30).await;
    send_numbered(&queue, MANY).await;
    let tally = Tally::new(MANY);
    let worker = tallying_worker(&queue, &tally, true);
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);

    // Each round: let the worker work through everything visible, then move the clock past the
    // retry backoff so the failed messages come back.
    let mut rounds = 0;
    loop {
        h.quiet("flaky", &[&stats], 1).await;
        if stats.snapshot().succeeded == MANY as u64 {
            break;
        }
        rounds += 1;
        assert!(rounds < 100, "{:?}", stats.snapshot());
        h.advance(2);
    }
    stop.send(()).unwrap();
    let last = run.await.unwrap();

    for (i, s) in tally.successes.iter().enumerate() {
        assert_eq!(
            s.load(Ordering::SeqCst),
            1,
            "message {i} succeeded exactly once"
        );
    }
    let calls = tally.total_calls.load(Ordering::SeqCst);
    assert_eq!(last.failed, calls / 5, "every fifth call failed");
    assert_eq!(last.succeeded + last.failed, calls);
    assert_eq!(last.received, calls, "one receive per call");
    assert_eq!(
        (last.dead_lettered, last.settle_errors, last.in_flight),
        (0, 0, 0)
    );
    assert!(h.stored("flaky").is_empty(), "every message deleted");
}

#[test]
fn builder_rejects_bad_settings_before_anything_runs() {
    let client = Client::builder(Endpoint::from_url("http://127.0.0.1:9").unwrap())
        .credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap();
    let queue = client.queue("q").unwrap();
    let builder = || Worker::builder(queue.clone(), |_msg| async { Ok(()) });
    let secs = Duration::from_secs;
    let bad = [
        ("concurrency 0", builder().concurrency(0)),
        ("pollers 0", builder().pollers(0)),
        ("batch 0", builder().batch_size(0)),
        ("batch 17", builder().batch_size(17)),
        ("wait 31 s", builder().wait(secs(31))),
        ("wait 1.5 s", builder().wait(Duration::from_millis(1_500))),
        ("visibility 0", builder().visibility_timeout(secs(0))),
        (
            "visibility 12 h + 1 s",
            builder().visibility_timeout(secs(43_201)),
        ),
        (
            "heartbeat not shorter than visibility",
            builder()
                .visibility_timeout(secs(30))
                .heartbeat_interval(secs(30)),
        ),
        ("heartbeat 0", builder().heartbeat_interval(Duration::ZERO)),
        (
            "max receives 0",
            builder().max_receives(0, DeadLetter::Drop),
        ),
    ];
    for (what, b) in bad {
        match b.build() {
            Err(mns_client::Error::InvalidInput(_)) => {}
            other => panic!("{what}: expected InvalidInput, got {other:?}"),
        }
    }
    let good = builder()
        .concurrency(1)
        .batch_size(16)
        .wait(Duration::ZERO)
        .visibility_timeout(secs(1))
        .heartbeat_interval(Duration::from_millis(500))
        .max_receives(1, DeadLetter::Drop)
        .build();
    assert!(good.is_ok(), "{good:?}");
}

/// A FIFO harness whose service hands out up to 16 messages of one group per receive (the
/// `fifo_messages_per_group_per_receive` setting), so one batch carries several messages of a
/// group and the worker itself must keep their order.
async fn fifo_harness() -> (Harness, Queue) {
    let mut config = mns_emulator::engine::EngineConfig::default();
    config.fifo_messages_per_group_per_receive = 16;
    let h = start_with(config).await;
    let attrs = mns_emulator::engine::QueueAttributesInput {
        visibility_timeout: Some(30),
        ..Default::default()
    };
    h.emu
        .emulator()
        .create_queue_with("fifo", attrs, QueueKind::Fifo, None)
        .expect("create FIFO queue");
    let queue = h.client.queue("fifo").expect("queue name");
    for i in 0..8 {
        for group in ["a", "b"] {
            queue
                .send_message_opts(format!("{group}{i}"), SendOptions::in_group(group))
                .await
                .expect("send");
        }
    }
    (h, queue)
}

/// Messages of one group are handled one at a time in receive order; other groups run
/// concurrently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_groups_are_handled_one_at_a_time_in_order() {
    let (h, queue) = fifo_harness().await;
    let handled: Arc<Mutex<Vec<String>>> = Arc::default();
    let running: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let overlap = Arc::new(AtomicBool::new(false));
    let (seen, busy, clash) = (handled.clone(), running.clone(), overlap.clone());
    let worker = Worker::builder(queue.clone(), move |msg| {
        let (seen, busy, clash) = (seen.clone(), busy.clone(), clash.clone());
        async move {
            let group = msg.message_group_id.clone().unwrap_or_default();
            {
                let mut b = busy.lock().unwrap();
                let n = b.entry(group.clone()).or_default();
                *n += 1;
                if *n > 1 {
                    clash.store(true, Ordering::SeqCst);
                }
            }
            tokio::task::yield_now().await;
            seen.lock()
                .unwrap()
                .push(msg.body_str().unwrap_or_default().to_owned());
            *busy.lock().unwrap().get_mut(&group).unwrap() -= 1;
            Ok(())
        }
    })
    .concurrency(16)
    .wait(Duration::from_secs(30))
    .build()
    .expect("worker");
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    eventually("all 16 messages handled", || {
        stats.snapshot().succeeded == 16
    })
    .await;
    stop.send(()).unwrap();
    run.await.unwrap();
    assert!(
        !overlap.load(Ordering::SeqCst),
        "two messages of one group ran at once"
    );
    let handled = handled.lock().unwrap().clone();
    for group in ["a", "b"] {
        let order: Vec<&String> = handled.iter().filter(|b| b.starts_with(group)).collect();
        let expected: Vec<String> = (0..8).map(|i| format!("{group}{i}")).collect();
        assert_eq!(order, expected.iter().collect::<Vec<_>>(), "group {group}");
    }
    assert!(h.stored("fifo").is_empty(), "every message deleted");
}

/// When a message fails, the later messages of its group in the same batch are not handled
/// out of order: they are made visible again and come back after it, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fifo_message_is_not_overtaken_by_its_group() {
    let (h, queue) = fifo_harness().await;
    let handled: Arc<Mutex<Vec<String>>> = Arc::default();
    let failed_once = Arc::new(AtomicBool::new(false));
    let (seen, failed) = (handled.clone(), failed_once.clone());
    let worker = Worker::builder(queue.clone(), move |msg| {
        let (seen, failed) = (seen.clone(), failed.clone());
        async move {
            let body = msg.body_str().unwrap_or_default().to_owned();
            if body == "a2" && !failed.swap(true, Ordering::SeqCst) {
                return Err("a2 fails once".into());
            }
            seen.lock().unwrap().push(body);
            Ok(())
        }
    })
    .concurrency(16)
    .wait(Duration::from_secs(30))
    .retry_backoff(Backoff::new(Duration::from_secs(5), Duration::from_secs(5)))
    .build()
    .expect("worker");
    let stats = worker.stats();
    let (stop, run) = spawn_worker(worker);
    // Group b finishes; group a stops at a2 (a3..a7 released unhandled).
    eventually("the first pass to settle", || {
        let s = stats.snapshot();
        s.succeeded == 10 && s.failed == 1 && s.in_flight == 0
    })
    .await;
    // The retry delay and the released messages' visibility pass; the group comes back.
    h.quiet("fifo", &[&stats], 1).await;
    h.advance(5);
    eventually("every message handled", || stats.snapshot().succeeded == 16).await;
    stop.send(()).unwrap();
    run.await.unwrap();
    let handled = handled.lock().unwrap().clone();
    let group_a: Vec<&String> = handled.iter().filter(|b| b.starts_with('a')).collect();
    let expected: Vec<String> = (0..8).map(|i| format!("a{i}")).collect();
    assert_eq!(
        group_a,
        expected.iter().collect::<Vec<_>>(),
        "group a in order"
    );
    assert!(h.stored("fifo").is_empty());
}

#[test]
fn dead_letters_by_server_excludes_max_receives() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = start().await;
        let queue = h.queue("q", 30).await;
        let dlq = h.queue("dlq", 30).await;
        let both = Worker::builder(queue.clone(), |_m| async { Ok(()) })
            .dead_letters_by_server()
            .max_receives(3, DeadLetter::Queue(dlq))
            .build();
        assert!(matches!(both, Err(mns_client::Error::InvalidInput(_))));
        assert!(
            Worker::builder(queue, |_m| async { Ok(()) })
                .dead_letters_by_server()
                .build()
                .is_ok()
        );
    });
}
