//! The data directory's entry points on [`EmulatorBuilder`] and [`Emulator`].

use std::path::Path;

use super::{DataDirError, Durability, JournalStats, OpenedDataDir};
use crate::{Emulator, EmulatorBuilder};

impl EmulatorBuilder {
    /// Keeps the emulator's state in `dir` (created if missing): every change answered with
    /// success is durable before the answer leaves, and a later start from the same directory
    /// restores it exactly (see [`crate::persist`]). Off by default (state in memory only).
    ///
    /// Opens the directory now: it is locked against other emulators, and its state is read and
    /// checked against the engine settings given so far (call after
    /// [`EmulatorBuilder::engine_config`]). A directory that cannot be used is a
    /// [`DataDirError`] naming the path; nothing in it is changed.
    ///
    /// A [`ManualClock`](crate::clock::ManualClock) that starts before the newest time the
    /// directory has seen is moved forward to it when the emulator is built (time never goes
    /// back); the admin API's clock moves are recorded, so a restart resumes where they left it.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use mns_emulator::Emulator;
    ///
    /// let dir = std::env::temp_dir().join("mns-emulator-doc-example");
    /// let emu = Emulator::builder().data_dir(&dir)?.start().await?;
    /// # emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn data_dir(self, dir: impl AsRef<Path>) -> Result<Self, DataDirError> {
        self.data_dir_with(dir, Durability::default())
    }

    /// [`EmulatorBuilder::data_dir`] with a chosen [`Durability`].
    pub fn data_dir_with(
        mut self,
        dir: impl AsRef<Path>,
        durability: Durability,
    ) -> Result<Self, DataDirError> {
        self.data_dir = Some(OpenedDataDir::open(
            dir.as_ref(),
            durability,
            &self.engine_config,
        )?);
        Ok(self)
    }
}

impl Emulator {
    /// Commit counters of the data directory (`None` without one): how many transactions
    /// (fsyncs) made how many change sets durable.
    pub fn data_dir_stats(&self) -> Option<JournalStats> {
        self.shared.journal.as_ref().map(|j| j.stats())
    }
}
