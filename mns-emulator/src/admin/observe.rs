//! What the emulator records about the requests it serves: a ring of the last requests (the
//! admin API's request log and the dashboard) and the Prometheus metrics (`super::metrics`).
//! Recorded by the HTTP layer once per MNS request, after the answer is known.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Mutex;
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

/// The request log and the metrics of one emulator.
#[derive(Debug)]
pub(crate) struct Observer {
    requests: Mutex<VecDeque<Served>>,
    capacity: usize,
    pub(crate) metrics: Metrics,
}

impl Default for Observer {
    fn default() -> Self {
        Observer {
            requests: Mutex::new(VecDeque::new()),
            capacity: DEFAULT_REQUEST_LOG_CAPACITY,
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
        let mut log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == self.capacity {
            log.pop_front();
        }
        log.push_back(record);
    }

    /// The newest `limit` requests, oldest first.
    pub(crate) fn recent(&self, limit: usize) -> Vec<RequestRecord> {
        let log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        log.iter()
            .skip(log.len().saturating_sub(limit))
            .map(Served::to_record)
            .collect()
    }

    /// Forgets the logged requests (metrics are counters and keep counting).
    pub(crate) fn clear(&self) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
