//! Delivery of topic messages that needs I/O: the background task that performs HTTP pushes
//! handed out by [`Engine::run_due_deliveries`](crate::engine::Engine::run_due_deliveries) and
//! retries on the emulator's clock.

use tokio::sync::{Notify, watch};

/// Coordination between request handlers, the push task and tests.
#[derive(Debug)]
pub(crate) struct PushHub {
    /// Woken when new deliveries may be due (a publish) so the push task re-plans.
    wake: Notify,
    /// Bumped after every settled delivery attempt, so tests can wait without sleeping.
    #[allow(dead_code)] // Read by the push task (next step).
    pub(crate) settled: watch::Sender<u64>,
}

impl PushHub {
    pub(crate) fn new() -> Self {
        PushHub {
            wake: Notify::new(),
            settled: watch::Sender::new(0),
        }
    }

    /// Tells the push task that deliveries may be due.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}
