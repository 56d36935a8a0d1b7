//! Waiting for the library API's changes to reach the data directory.
//!
//! HTTP requests answer only once their changes are durable. Library calls that change state
//! (`with_engine`, `create_queue_with`, `set_queue_dlq_policy`, ...) are synchronous: their
//! changes are handed to the data directory's journal when they return, and [`Emulator::durable`]
//! waits until they are written. Without a data directory it returns at once.

use super::{Emulator, RunningEmulator};
use crate::error::MnsError;

impl Emulator {
    /// Waits until every change made so far, through any path, is durable in the data directory
    /// ([`EmulatorBuilder::data_dir`](crate::EmulatorBuilder::data_dir)); at once without one.
    /// `Err` (`InternalError`) if the directory cannot be written.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use mns_emulator::Emulator;
    ///
    /// let emu = Emulator::builder().start().await?; // with `.data_dir(dir)?` in real use
    /// emu.emulator().create_fifo_queue("orders")?;
    /// emu.durable().await?; // with a data directory: on disk, a restart has the queue
    /// # emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn durable(&self) -> Result<(), MnsError> {
        self.shared.durable().await
    }
}

impl RunningEmulator {
    /// Waits until every change made so far is durable (see [`Emulator::durable`]).
    pub async fn durable(&self) -> Result<(), MnsError> {
        self.emulator.durable().await
    }
}
