//! Prometheus metrics (`GET /metrics`, OpenMetrics text) through `prometheus-client`.
//!
//! Request counters and the latency histogram are updated per request ([`super::Observer`]);
//! message counters by the queue handlers; queue depths, waiting long polls and the delivery
//! totals are read from the engine at scrape time, so they are exact whenever they are scraped.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::engine::DeliveryTotals;
use crate::http::route::ROUTE_NAMES;
use crate::shared::Shared;

/// The path metrics are served at.
pub const METRICS_PATH: &str = "/metrics";

/// The content type of [`METRICS_PATH`] (OpenMetrics 1.0, which Prometheus scrapes natively).
pub(crate) const METRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: Cow<'static, str>,
    code: Cow<'static, str>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: Cow<'static, str>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueStateLabels {
    queue: String,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// How many MNS routes there are.
const ROUTES: usize = ROUTE_NAMES.len();

type HistogramFamily = Family<OperationLabel, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~33 s: an in-memory operation up to the longest long poll (30 s).
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

/// Every metric of one emulator.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    /// Per MNS route (`Route::index`), its `OK` counter and its latency histogram, taken from
    /// the families on first use: a successful request then updates them without hashing labels
    /// or taking the families' locks (the families are never cleared, so these stay theirs).
    ok_series: [OnceLock<(Counter, Histogram)>; ROUTES],
    pub(crate) messages_sent: Counter,
    pub(crate) messages_received: Counter,
    pub(crate) messages_deleted: Counter,
    queue_messages: Family<QueueStateLabels, Gauge>,
    deliveries: Family<OutcomeLabel, Counter>,
    attempts: Family<OutcomeLabel, Counter>,
    /// The engine's totals at the previous scrape (a replaced engine restarts from zero).
    last_totals: Mutex<DeliveryTotals>,
    pending_deliveries: Gauge,
    long_polls: Gauge,
    /// Serialises scrapes: each one rewrites the scrape-time gauges before encoding.
    scrape: Mutex<()>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("mns_emulator");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "MNS requests answered, by operation and MNS error code (OK for success)",
            requests.clone(),
        );
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time to answer an MNS request (long polls include their wait)",
            latency.clone(),
        );
        let messages_sent = Counter::default();
        registry.register(
            "messages_sent",
            "Messages accepted by SendMessage and BatchSendMessage",
            messages_sent.clone(),
        );
        let messages_received = Counter::default();
        registry.register(
            "messages_received",
            "Messages handed out by ReceiveMessage and BatchReceiveMessage",
            messages_received.clone(),
        );
        let messages_deleted = Counter::default();
        registry.register(
            "messages_deleted",
            "Messages deleted by DeleteMessage and BatchDeleteMessage",
            messages_deleted.clone(),
        );
        let queue_messages = Family::<QueueStateLabels, Gauge>::default();
        registry.register(
            "queue_messages",
            "Messages stored per queue and state (active, inactive = in flight, delayed)",
            queue_messages.clone(),
        );
        let deliveries = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "topic_deliveries",
            "Topic deliveries that ended, by outcome (delivered, dropped)",
            deliveries.clone(),
        );
        let attempts = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "topic_delivery_attempts",
            "Topic delivery attempts, by outcome (delivered, failed)",
            attempts.clone(),
        );
        let pending_deliveries = Gauge::default();
        registry.register(
            "topic_deliveries_pending",
            "Topic deliveries not yet ended (first attempt or retries due)",
            pending_deliveries.clone(),
        );
        let long_polls = Gauge::default();
        registry.register(
            "long_polls_waiting",
            "Receive requests currently long-polling",
            long_polls.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            ok_series: std::array::from_fn(|_| OnceLock::new()),
            messages_sent,
            messages_received,
            messages_deleted,
            queue_messages,
            deliveries,
            attempts,
            last_totals: Mutex::new(DeliveryTotals::default()),
            pending_deliveries,
            long_polls,
            scrape: Mutex::new(()),
        }
    }

    /// Counts one answered request (`code`: its MNS error code, `None` for success; `route`: its
    /// `Route::index` when it routed) and its latency. Fixed names are borrowed, so a successful
    /// request allocates nothing here.
    pub(crate) fn observe_request(
        &self,
        operation: Cow<'static, str>,
        route: Option<usize>,
        code: Option<&str>,
        latency: Duration,
    ) {
        let series = match (code, route.and_then(|i| self.ok_series.get(i))) {
            (None, Some(cached)) => Some(cached.get_or_init(|| {
                (
                    self.requests
                        .get_or_create(&RequestLabels {
                            operation: operation.clone(),
                            code: Cow::Borrowed("OK"),
                        })
                        .clone(),
                    self.latency
                        .get_or_create(&OperationLabel {
                            operation: operation.clone(),
                        })
                        .clone(),
                )
            })),
            _ => None,
        };
        if let Some((count, histogram)) = series {
            count.inc();
            histogram.observe(latency.as_secs_f64());
            return;
        }
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                code: code.map_or(Cow::Borrowed("OK"), |c| Cow::Owned(c.to_owned())),
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabel { operation })
            .observe(latency.as_secs_f64());
    }

    /// The OpenMetrics text of every metric, the scrape-time ones read from `shared` now.
    pub(crate) fn render(&self, shared: &Shared) -> String {
        let _scrape = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        let now = shared.clock.now_millis();
        let (queues, totals, pending) = {
            let mut state = shared.lock();
            let queues = super::inspect::all_queue_attributes(&mut state.engine, now);
            let engine = &state.engine;
            (
                queues,
                engine.delivery_totals(),
                engine.pending_deliveries(),
            )
        };
        self.queue_messages.clear();
        for q in queues {
            for (state, n) in [
                ("active", q.active_messages),
                ("inactive", q.inactive_messages),
                ("delayed", q.delay_messages),
            ] {
                self.queue_messages
                    .get_or_create(&QueueStateLabels {
                        queue: q.name.clone(),
                        state,
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        {
            let mut last = self.last_totals.lock().unwrap_or_else(|e| e.into_inner());
            // Counters only grow: add what happened since the last scrape; after a reset or
            // restore the engine's totals restart from zero, so all of them are new.
            let delta = |new: u64, old: u64| if new >= old { new - old } else { new };
            for (family, outcome, new, old) in [
                (
                    &self.deliveries,
                    "delivered",
                    totals.delivered,
                    last.delivered,
                ),
                (&self.deliveries, "dropped", totals.dropped, last.dropped),
                (
                    &self.attempts,
                    "delivered",
                    totals.attempts_delivered,
                    last.attempts_delivered,
                ),
                (
                    &self.attempts,
                    "failed",
                    totals.attempts_failed,
                    last.attempts_failed,
                ),
            ] {
                family
                    .get_or_create(&OutcomeLabel { outcome })
                    .inc_by(delta(new, old));
            }
            *last = totals;
        }
        self.pending_deliveries.set(gauge(pending));
        self.long_polls.set(gauge(*shared.waiting.borrow()));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
