//! The crash test's other writers (see `crash_recovery.rs`): topic publishes fanned out to a
//! queue subscription, control-plane writes (`ControlClient` CreateQueue with tags, then
//! SetQueueAttributes) and admin resets of one queue. Each runs beside the queue clients until
//! the kill and records what was acknowledged; [`check`] then asserts every acknowledged effect
//! is in the restarted state.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mns_client::control::{ControlClient, CreateQueueOptions, QueueUpdate, Tag};
use mns_client::queue::QueueOptions;
use mns_client::topic::{NotifyContentFormat, SubscribeOptions, TopicOptions};
use mns_client::{Client, Credentials, RetryConfig};
use mns_emulator::RunningEmulator;

/// The topic whose publishes fan out to [`FAN_QUEUE`].
const TOPIC: &str = "crash-topic";
/// The queue the topic's subscription delivers to (never consumed).
const FAN_QUEUE: &str = "crash-fan";
/// Visibility timeout every control-plane queue is created with (before its update).
const CREATED_VISIBILITY: u32 = 30;

/// What the other writers were told, across all rounds.
#[derive(Default, Clone)]
pub(crate) struct OtherLedger {
    /// Publishes answered with success (bodies).
    published: HashSet<String>,
    /// Publishes that got no success answer: each may or may not have happened.
    publish_unknown: HashSet<String>,
    /// Control-plane queues whose creation was acknowledged (name → tag value).
    created: HashMap<String, String>,
    /// Acknowledged SetQueueAttributes (queue → visibility timeout).
    updated: HashMap<String, u32>,
    /// SetQueueAttributes without an answer (queue → the value it may have set).
    update_unknown: HashMap<String, u32>,
    /// Queues whose admin reset was acknowledged, with the sends acknowledged before it.
    reset: HashMap<String, Vec<String>>,
    /// Sends acknowledged after their queue's reset was acknowledged (queue → bodies).
    after_reset: HashMap<String, Vec<String>>,
    /// Operations answered, for the report.
    pub(crate) answered: u64,
}

impl OtherLedger {
    /// Every writer got something acknowledged over the run (the check checked something).
    pub(crate) fn assert_work_done(&self) {
        assert!(!self.published.is_empty(), "publishes were acknowledged");
        assert!(
            !self.created.is_empty(),
            "control-plane creates were acknowledged"
        );
        assert!(
            !self.updated.is_empty(),
            "control-plane updates were acknowledged"
        );
        assert!(!self.reset.is_empty(), "admin resets were acknowledged");
    }

    /// One line for the round report.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} acknowledged publishes, {} control-plane queues ({} updated), {} acknowledged resets",
            self.published.len(),
            self.created.len(),
            self.updated.len(),
            self.reset.len()
        )
    }
}

fn data_client(endpoint: &str) -> Client {
    Client::builder(mns_client::Endpoint::from_url(endpoint).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .retry(RetryConfig::disabled())
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

fn control_client(endpoint: &str) -> ControlClient {
    ControlClient::builder(mns_emulator::DEFAULT_REGION)
        .base_url(endpoint)
        .credentials(Credentials::new("testid", "testsecret"))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

/// Declares the topic and its queue subscription (idempotent: a restarted emulator answers 204).
pub(crate) async fn declare(endpoint: &str) {
    let client = data_client(endpoint);
    client
        .queue(FAN_QUEUE)
        .unwrap()
        .create(&QueueOptions::default())
        .await
        .expect("the fan-out queue");
    let topic = client.topic(TOPIC).unwrap();
    topic
        .create(&TopicOptions::default())
        .await
        .expect("the topic");
    let to = mns_client::topic::Endpoint::queue(
        mns_emulator::DEFAULT_REGION,
        mns_emulator::DEFAULT_ACCOUNT_ID,
        FAN_QUEUE,
    )
    .unwrap();
    topic
        .subscribe_opts(
            "fan",
            &to,
            &SubscribeOptions {
                notify_content_format: Some(NotifyContentFormat::Simplified),
                ..SubscribeOptions::default()
            },
        )
        .await
        .expect("the queue subscription");
}

/// Starts the three writers for `round`; they stop when `stop` is set.
pub(crate) fn spawn(
    endpoint: &str,
    round: usize,
    stop: &Arc<AtomicBool>,
    ledger: &Arc<Mutex<OtherLedger>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(publisher(
            endpoint.to_owned(),
            round,
            stop.clone(),
            ledger.clone(),
        )),
        tokio::spawn(control_writer(
            endpoint.to_owned(),
            round,
            stop.clone(),
            ledger.clone(),
        )),
        tokio::spawn(resetter(
            endpoint.to_owned(),
            round,
            stop.clone(),
            ledger.clone(),
        )),
    ]
}

async fn publisher(
    endpoint: String,
    round: usize,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<OtherLedger>>,
) {
    let topic = data_client(&endpoint).topic(TOPIC).unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body = format!("p-r{round}-{n}");
        let r = topic.publish_message(&body).await;
        let mut l = ledger.lock().unwrap();
        if r.is_ok() {
            l.published.insert(body);
            l.answered += 1;
        } else {
            l.publish_unknown.insert(body);
        }
    }
}

async fn control_writer(
    endpoint: String,
    round: usize,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<OtherLedger>>,
) {
    let control = control_client(&endpoint);
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("cp-r{round}-{n}");
        let tag = format!("v{n}");
        let options = CreateQueueOptions {
            visibility_timeout: Some(CREATED_VISIBILITY),
            tags: vec![Tag::new("n", tag.as_str())],
            ..CreateQueueOptions::default()
        };
        if control.create_queue(&name, &options).await.is_err() {
            continue;
        }
        let target = CREATED_VISIBILITY + 1 + n % 100;
        {
            let mut l = ledger.lock().unwrap();
            l.created.insert(name.clone(), tag);
            l.answered += 1;
        }
        let update = QueueUpdate {
            visibility_timeout: Some(target),
            ..QueueUpdate::default()
        };
        let r = control.set_queue_attributes(&name, &update).await;
        let mut l = ledger.lock().unwrap();
        if r.is_ok() {
            l.updated.insert(name, target);
            l.answered += 1;
        } else {
            l.update_unknown.insert(name, target);
        }
    }
}

async fn resetter(
    endpoint: String,
    round: usize,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<OtherLedger>>,
) {
    let client = data_client(&endpoint);
    let http = reqwest::Client::new();
    let mut k = 0;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        let name = format!("rs-r{round}-{k}");
        let q = client.queue(&name).unwrap();
        if q.create(&QueueOptions::default()).await.is_err() {
            continue;
        }
        let mut before = Vec::new();
        for i in 0..3 {
            let body = format!("{name}-pre-{i}");
            if q.send_message(&body).await.is_ok() {
                before.push(body);
            }
        }
        let reset = http
            .post(format!("{endpoint}/__emulator/reset"))
            .body(format!(r#"{{"queue":"{name}"}}"#))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if !reset.is_ok_and(|r| r.status().is_success()) {
            continue;
        }
        ledger
            .lock()
            .unwrap()
            .reset
            .insert(name.clone(), before.clone());
        for i in 0..2 {
            let body = format!("{name}-post-{i}");
            if q.send_message(&body).await.is_ok() {
                let mut l = ledger.lock().unwrap();
                l.after_reset.entry(name.clone()).or_default().push(body);
                l.answered += 1;
            }
        }
    }
}

/// Checks the restarted emulator `emu` against what the other writers were told.
pub(crate) async fn check(emu: &RunningEmulator, ledger: &OtherLedger, round: usize) {
    // Fan-out: every acknowledged publish reached the subscribed queue, once.
    let fanned = emu.inspect_queue(FAN_QUEUE).expect("the fan-out queue");
    let mut seen = HashSet::new();
    for m in &fanned {
        assert!(
            seen.insert(m.body.as_str()),
            "round {round}: publish {} delivered twice",
            m.body
        );
        assert!(
            ledger.published.contains(&m.body) || ledger.publish_unknown.contains(&m.body),
            "round {round}: {} was never published",
            m.body
        );
    }
    for body in &ledger.published {
        assert!(
            seen.contains(body.as_str()),
            "round {round}: acknowledged publish {body} is not in its subscribed queue"
        );
    }
    // Control plane: every acknowledged queue with its tag, and its acknowledged update.
    let control = control_client(emu.endpoint());
    for (name, tag) in &ledger.created {
        let q = control
            .get_queue_attributes(name)
            .await
            .unwrap_or_else(|e| panic!("round {round}: acknowledged queue {name} is lost: {e}"));
        assert_eq!(
            q.tags,
            vec![Tag::new("n", tag.as_str())],
            "round {round}: tags of {name}"
        );
        let allowed: Vec<u32> = match (ledger.updated.get(name), ledger.update_unknown.get(name)) {
            (Some(v), _) => vec![*v],
            (None, Some(v)) => vec![CREATED_VISIBILITY, *v],
            (None, None) => vec![CREATED_VISIBILITY],
        };
        assert!(
            allowed.contains(&q.visibility_timeout),
            "round {round}: {name} has visibility timeout {}, acknowledged {allowed:?}",
            q.visibility_timeout
        );
    }
    // Admin reset: nothing sent before an acknowledged reset came back; later sends are there.
    for (name, before) in &ledger.reset {
        let stored = emu
            .inspect_queue(name)
            .unwrap_or_else(|e| panic!("round {round}: reset queue {name} is lost: {e}"));
        let bodies: HashSet<&str> = stored.iter().map(|m| m.body.as_str()).collect();
        for body in before {
            assert!(
                !bodies.contains(body.as_str()),
                "round {round}: {body} came back after its queue's acknowledged reset"
            );
        }
        for body in ledger.after_reset.get(name).into_iter().flatten() {
            assert!(
                bodies.contains(body.as_str()),
                "round {round}: {body}, acknowledged after the reset, is lost"
            );
        }
    }
}
