//! What the emulator records about the requests it serves: a ring of the last requests (the
//! admin API's request log and the dashboard) and the Prometheus metrics (`super::metrics`).
//! Recorded by the HTTP layer once per MNS request, after the answer is known.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::Method;

use serde::Serialize;

use super::metrics::Metrics;

/// How many requests the log keeps by default (the oldest is dropped first).
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 1000;

/// One served request, as the request log shows it. Never holds a secret: the access key id
/// only, no signature, no security token, no body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// The request id the emulator answered with.
    pub request_id: String,
    /// When it was answered, on the emulator's clock, epoch ms.
    pub at_ms: u64,
    /// The MNS operation (`SendMessage`, …), `-` when the request did not route.
    pub operation: String,
    /// HTTP method.
    pub method: String,
    /// Path, without the query (which may carry receipt handles).
    pub path: String,
    /// HTTP status of the answer.
    pub status: u16,
    /// MNS error code, for errors.
    pub code: Option<String>,
    /// Time spent answering, in (real) milliseconds: long polls include their wait.
    pub latency_ms: f64,
    /// The access key id the request was signed with, when it was signed.
    pub access_key_id: Option<String>,
}

/// One served request as the HTTP layer hands it over: a [`RequestRecord`] whose operation and
/// method are kept as they are (no `String` per request for a fixed name); the log turns it into
/// a [`RequestRecord`] only when read.
#[derive(Debug)]
pub(crate) struct Served {
    /// The request id the emulator answered with.
    pub(crate) request_id: String,
    /// When it was answered, on the emulator's clock, epoch ms.
    pub(crate) at_ms: u64,
    /// The MNS operation (`-` when the request did not route) or control-plane action.
    pub(crate) operation: Cow<'static, str>,
    /// The MNS route's `Route::index`, when the request routed.
    pub(crate) route: Option<usize>,
    /// HTTP method.
    pub(crate) method: Method,
    /// Path, without the query.
    pub(crate) path: String,
    /// HTTP status of the answer.
    pub(crate) status: u16,
    /// MNS error code, for errors.
    pub(crate) code: Option<String>,
    /// Time spent answering.
    pub(crate) latency: Duration,
    /// The access key id the request was signed with, when it was signed.
    pub(crate) access_key_id: Option<String>,
}

impl Served {
    fn to_record(&self) -> RequestRecord {
        RequestRecord {
            request_id: self.request_id.clone(),
            at_ms: self.at_ms,
            operation: self.operation.clone().into_owned(),
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            code: self.code.clone(),
            latency_ms: self.latency.as_secs_f64() * 1000.0,
            access_key_id: self.access_key_id.clone(),
        }
    }
}

/// One slot of the request log's ring: a request and its sequence number.
type Slot = Mutex<Option<(u64, Served)>>;

/// The request log and the metrics of one emulator.
///
/// The log is a ring of `capacity` slots, each behind its own mutex: a request takes the next
/// sequence number (one atomic add) and writes slot `seq % capacity`, so requests served at the
/// same time on different cores do not queue on one lock (issue 21). Reading collects the slots
/// and orders them by sequence number: the order in which the requests were recorded, as
/// before.
#[derive(Debug)]
pub(crate) struct Observer {
    slots: Box<[Slot]>,
    /// The sequence number the next recorded request gets.
    next: AtomicU64,
    /// Requests numbered below this were cleared.
    cleared_below: AtomicU64,
    pub(crate) metrics: Metrics,
}

impl Default for Observer {
    fn default() -> Self {
        Observer {
            slots: (0..DEFAULT_REQUEST_LOG_CAPACITY)
                .map(|_| Mutex::new(None))
                .collect(),
            next: AtomicU64::new(0),
            cleared_below: AtomicU64::new(0),
            metrics: Metrics::new(),
        }
    }
}

impl Observer {
    /// Records one answered request in the log and the metrics.
    pub(crate) fn record(&self, record: Served) {
        self.metrics.observe_request(
            record.operation.clone(),
            record.route,
            record.code.as_deref(),
            record.latency,
        );
        tracing::debug!(
            operation = %record.operation,
            status = record.status,
            code = record.code.as_deref().unwrap_or("-"),
            request_id = %record.request_id,
            latency_ms = record.latency.as_secs_f64() * 1000.0,
            "request"
        );
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut slot = self
            .slot(seq)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A writer a whole ring later may have got here first: the newer record stays.
        if slot.as_ref().is_none_or(|(held, _)| *held < seq) {
            *slot = Some((seq, record));
        }
    }

    fn slot(&self, seq: u64) -> &Slot {
        &self.slots[(seq % self.slots.len() as u64) as usize]
    }

    /// The newest `limit` requests, oldest first.
    pub(crate) fn recent(&self, limit: usize) -> Vec<RequestRecord> {
        let end = self.next.load(Ordering::Relaxed);
        let keep = limit.min(self.slots.len()) as u64;
        let start = end
            .saturating_sub(keep)
            .max(self.cleared_below.load(Ordering::Relaxed));
        let mut found: Vec<(u64, RequestRecord)> = self
            .slots
            .iter()
            .filter_map(|slot| {
                let slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
                let (seq, served) = slot.as_ref()?;
                (start..end)
                    .contains(seq)
                    .then(|| (*seq, served.to_record()))
            })
            .collect();
        found.sort_unstable_by_key(|(seq, _)| *seq);
        found.into_iter().map(|(_, record)| record).collect()
    }

    /// Forgets the logged requests (metrics are counters and keep counting).
    pub(crate) fn clear(&self) {
        self.cleared_below
            .fetch_max(self.next.load(Ordering::Relaxed), Ordering::Relaxed);
        for slot in &self.slots {
            let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(id: usize) -> Served {
        Served {
            request_id: format!("{id:024}"),
            at_ms: id as u64,
            operation: Cow::Borrowed("SendMessage"),
            route: None,
            method: Method::POST,
            path: "/queues/q/messages".to_owned(),
            status: 201,
            code: None,
            latency: Duration::from_micros(10),
            access_key_id: None,
        }
    }

    fn ids(records: &[RequestRecord]) -> Vec<u64> {
        records.iter().map(|r| r.at_ms).collect()
    }

    #[test]
    fn keeps_the_newest_requests_in_order() {
        let observer = Observer::default();
        for i in 0..2_500 {
            observer.record(served(i));
        }
        let all = observer.recent(usize::MAX);
        assert_eq!(ids(&all), (1_500..2_500).collect::<Vec<_>>());
        assert_eq!(ids(&observer.recent(3)), vec![2_497, 2_498, 2_499]);
        assert!(observer.recent(0).is_empty());
    }

    #[test]
    fn clear_forgets_what_was_logged() {
        let observer = Observer::default();
        for i in 0..10 {
            observer.record(served(i));
        }
        observer.clear();
        assert!(observer.recent(100).is_empty());
        observer.record(served(10));
        assert_eq!(ids(&observer.recent(100)), vec![10]);
    }

    #[test]
    fn requests_recorded_from_many_threads_are_all_there_once() {
        let observer = Observer::default();
        std::thread::scope(|s| {
            for t in 0..4 {
                let observer = &observer;
                s.spawn(move || {
                    for i in 0..200 {
                        observer.record(served(t * 1_000 + i));
                    }
                });
            }
        });
        let mut got = ids(&observer.recent(usize::MAX));
        assert_eq!(got.len(), 800);
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), 800);
    }
}
