//! The data directory: the standalone emulator's state kept on disk, so nothing acknowledged is
//! lost when it stops, crashes or is killed (`--data-dir`, [`crate::EmulatorBuilder::data_dir`]).
//!
//! Off by default: without a data directory the emulator is purely in memory, at full speed.
//!
//! How it works. The engine stays sans-IO: with change tracking on, it reports after each
//! operation the state-image rows that changed (`Engine::take_changes`, crate-private so that no caller of `Emulator::with_engine` can take changes away from the journal). When
//! the engine lock is released (every path: HTTP, topic push, the library API), the changes go
//! to the journal's writer thread in lock order. The writer commits everything queued in one
//! SQLite transaction (group commit: concurrent requests share one fsync) and only then lets
//! their responses leave, so every success answer describes durable state. On start the rows are
//! read back into a state image and [`crate::engine::Engine::from_image`] rebuilds the engine:
//! in-flight messages keep their receipt handles and next-visible times, delayed messages their
//! delays, retention counts from the original enqueue time, and the clock never goes back past
//! the stored high-water mark.
//!
//! The store and its durability settings are described in `sqlite.rs`
//! ([`DATABASE_FILE`] inside the directory). The row format is the state image's
//! ([`crate::engine::STATE_FORMAT_VERSION`]), the same as the admin snapshot's.
//!
//! Bad input never loses data: a directory that cannot be created or written (read-only
//! permissions, an immutable attribute, a read-only mount), a database file that can only be
//! read, a file that is not ours, another format version, a corrupt or truncated database, or a
//! directory another emulator holds each make the start fail with a [`DataDirError`] naming the
//! path, and the files are left as they were.

mod builder;
mod journal;
mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use journal::Journal;
pub use journal::JournalStats;
pub use sqlite::DATABASE_FILE;

use crate::engine::{Engine, EngineConfig, ImageError};

/// When a success answer may leave: after its change survives what.
///
/// SQLite's own two levels (`synchronous=FULL` / `NORMAL` in WAL mode). Both survive the
/// emulator process crashing or being killed (`kill -9`): the change is in the operating
/// system's hands before the answer leaves. Only [`Durability::PowerLoss`] also survives the
/// machine crashing or losing power, at the price of one fsync per commit (group commit shares
/// it between concurrent requests; BENCHMARKS.md has the figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Every commit is fsynced before its answers leave (`synchronous=FULL`). The default.
    #[default]
    PowerLoss,
    /// Every commit is written to the operating system before its answers leave, fsynced at
    /// checkpoints (`synchronous=NORMAL`): safe against the emulator crashing or being killed,
    /// not against the machine crashing.
    ProcessCrash,
}

impl Durability {
    /// Parses `full` / `normal` (the `--data-dir-sync` spellings, SQLite's names).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Durability::PowerLoss),
            "normal" => Ok(Durability::ProcessCrash),
            _ => Err(format!("expected full or normal, got {s:?}")),
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Durability::PowerLoss => "FULL",
            Durability::ProcessCrash => "NORMAL",
        }
    }
}

/// Why a data directory cannot be used. The emulator does not start; nothing is changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// Another emulator (or any process) holds the directory's database.
    #[error("the data directory {} is in use by another emulator (its database is locked)", .path.display())]
    InUse {
        /// The database file.
        path: PathBuf,
    },
    /// The database is damaged (corrupt or truncated).
    #[error("the data directory's database {} is corrupt or truncated ({detail}); it was left untouched", .path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// SQLite's or the row reader's diagnosis.
        detail: String,
    },
    /// The file is an SQLite database of something else.
    #[error("{} is not an mns-emulator data file; it was left untouched", .path.display())]
    Foreign {
        /// The database file.
        path: PathBuf,
    },
    /// The state in the file is of another format version, or inconsistent.
    #[error("cannot restore the state in {}: {error}; it was left untouched", .path.display())]
    Image {
        /// The database file.
        path: PathBuf,
        /// What is wrong with it.
        error: ImageError,
    },
    /// The directory or file cannot be created, read or written.
    #[error("cannot use the data directory {}: {detail}", .path.display())]
    Io {
        /// The directory or database file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

/// An opened data directory: its lock is held and its state read, not yet serving.
#[derive(Debug)]
pub(crate) struct OpenedDataDir {
    store: sqlite::SqliteStore,
    /// The engine the directory holds and the settings it was built with (`None`: new).
    restored: Option<(EngineConfig, Engine)>,
    path: PathBuf,
}

impl OpenedDataDir {
    /// Opens `dir` and rebuilds the engine it holds with `config` (checking the state).
    pub(crate) fn open(
        dir: &Path,
        durability: Durability,
        config: &EngineConfig,
    ) -> Result<Self, DataDirError> {
        let (store, image) = sqlite::SqliteStore::open(dir, durability.pragma())?;
        let path = dir.join(DATABASE_FILE);
        let restored = match image {
            Some(image) => Some((
                config.clone(),
                Engine::from_image(config.clone(), image).map_err(|error| DataDirError::Image {
                    path: path.clone(),
                    error,
                })?,
            )),
            None => None,
        };
        Ok(OpenedDataDir {
            store,
            restored,
            path,
        })
    }

    /// The engine the directory holds (a new one when it is new) with `config`, change tracking
    /// on, and the journal that will record its changes.
    pub(crate) fn start(
        self,
        config: EngineConfig,
    ) -> Result<(Engine, Arc<Journal>), DataDirError> {
        let OpenedDataDir {
            mut store,
            restored,
            path,
        } = self;
        let mut engine = match restored {
            Some((opened_with, engine)) if opened_with == config => engine,
            // Settings changed after `data_dir`: rebuild under the final ones.
            Some((_, engine)) => Engine::from_image(config, engine.export_image())
                .map_err(|error| DataDirError::Image { path, error })?,
            None => {
                // A new directory: record the seed at once, so ids stay stable from the start.
                let engine = Engine::new(config);
                store
                    .write_image(&engine.export_image())
                    .map_err(|detail| DataDirError::Io { path, detail })?;
                engine
            }
        };
        engine.set_change_tracking(true);
        let journal = Journal::start(Box::new(store));
        Ok((engine, journal))
    }
}
