//! [`RunningEmulator`]: a serving emulator, its addresses and its shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::Emulator;
use crate::auth::{AccessKey, KeyStore};
use crate::clock::Clock;
use crate::engine::{Engine, MessageSnapshot, Millis};
use crate::error::MnsError;
use crate::faults::FaultInjector;
use crate::sts::{CredentialServices, ECS_METADATA_PATH, STS_PATH};

/// A serving emulator. Dropping it stops the server; [`RunningEmulator::shutdown`] stops it and
/// waits until it has stopped.
#[derive(Debug)]
pub struct RunningEmulator {
    pub(super) endpoint: String,
    pub(super) addr: SocketAddr,
    pub(super) emulator: Emulator,
    pub(super) task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningEmulator {
    /// The base URL clients use, e.g. `http://127.0.0.1:49152` (no trailing slash).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The emulated STS endpoint, `{endpoint}/sts`: give it to the client as its STS endpoint
    /// (e.g. `ProviderConfig::with_sts_endpoint` in `mns-client`).
    pub fn sts_endpoint(&self) -> String {
        format!("{}{STS_PATH}", self.endpoint)
    }

    /// The emulated ECS metadata service base URL, `{endpoint}/ecs-metadata` (in place of
    /// `http://100.100.100.200`).
    pub fn ecs_metadata_endpoint(&self) -> String {
        format!("{}{ECS_METADATA_PATH}", self.endpoint)
    }

    /// The emulated STS and ECS metadata services (see [`Emulator::credential_services`]).
    pub fn credential_services(&self) -> &CredentialServices {
        self.emulator.credential_services()
    }

    /// The emulator (account, keys, clock, engine access).
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        self.emulator.account_id()
    }

    /// The region id.
    pub fn region(&self) -> &str {
        self.emulator.region()
    }

    /// The accepted keys (see [`Emulator::keys`]).
    pub fn keys(&self) -> &KeyStore {
        self.emulator.keys()
    }

    /// The first long-lived access key.
    pub fn access_key(&self) -> AccessKey {
        self.emulator.access_key()
    }

    /// The emulator's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.emulator.clock()
    }

    /// Topic deliveries (see [`Emulator::deliveries`]).
    pub fn deliveries(&self) -> crate::Deliveries {
        self.emulator.deliveries()
    }

    /// The live fault injection settings (see [`Emulator::faults`]).
    pub fn faults(&self) -> &FaultInjector {
        self.emulator.faults()
    }

    /// Every stored message of `queue` (see [`Emulator::inspect_queue`]).
    pub fn inspect_queue(&self, queue: &str) -> Result<Vec<MessageSnapshot>, MnsError> {
        self.emulator.inspect_queue(queue)
    }

    /// The newest MNS requests served (see [`Emulator::recent_requests`]).
    pub fn recent_requests(&self, limit: usize) -> Vec<crate::admin::RequestRecord> {
        self.emulator.recent_requests(limit)
    }

    /// How many receives are long-polling (see [`Emulator::waiting_receives`]).
    pub fn waiting_receives(&self) -> usize {
        self.emulator.waiting_receives()
    }

    /// Waits until exactly `n` receives are long-polling (see
    /// [`Emulator::wait_for_waiting_receives`]).
    pub async fn wait_for_waiting_receives(&self, n: usize) {
        self.emulator.wait_for_waiting_receives(n).await;
    }

    /// Runs `f` on the engine (see [`Emulator::with_engine`]).
    pub fn with_engine<R>(&self, f: impl FnOnce(&mut Engine, Millis) -> R) -> R {
        self.emulator.with_engine(f)
    }

    /// Stops accepting connections, closes idle ones, ends waiting long polls (they answer
    /// `MessageNotExist` and take nothing), gives in-flight requests
    /// [`ConnectionLimits::shutdown_grace`](crate::ConnectionLimits::shutdown_grace) to finish, drops what is left and waits for the
    /// server to stop.
    pub async fn shutdown(mut self) {
        self.emulator.shared.shutdown.cancel();
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "emulator server stopped with an error"),
                Err(e) => tracing::warn!(error = %e, "emulator server task failed"),
            }
        }
        #[cfg(feature = "persistence")]
        if let Some(journal) = &self.emulator.shared.journal {
            journal.close();
            let stats = journal.stats();
            tracing::info!(
                commits = stats.commits,
                change_sets = stats.change_sets,
                "data directory closed"
            );
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        // Dropping cannot wait: cancel (ends long polls) and abort the server task, which closes
        // the listener and every connection.
        self.emulator.shared.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
