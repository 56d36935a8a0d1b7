//! The data directory's store: one SQLite database, one row per entity of the state image.
//!
//! Why SQLite (through `rusqlite` with its bundled library): it is the most widely deployed
//! embedded database, its durability is documented and tested to the power-failure level, a
//! user can open the file with the `sqlite3` shell to see what the emulator holds, and it needs
//! no system package. Settings, all set on open:
//!
//! * `locking_mode=EXCLUSIVE`, then an immediate write: the process holds the database lock
//!   until it exits (the OS drops it on `kill -9`), so a second emulator on the same directory
//!   fails at once with "in use" instead of both writing.
//! * `journal_mode=WAL` and `synchronous=FULL` (the default [`super::Durability::PowerLoss`]): a
//!   commit returns only after the write-ahead log is fsynced, so a committed transaction
//!   survives a crash or power loss; an interrupted one is rolled back on the next open. With
//!   [`super::Durability::ProcessCrash`], `synchronous=NORMAL`: the log is written at commit and
//!   fsynced at checkpoints, which survives the process dying but not the machine.
//! * `wal_autocheckpoint=0`: SQLite would otherwise copy the log into the database (and fsync
//!   both) inside whichever commit crosses 1,000 pages, while that commit's clients wait. The
//!   writer runs a passive checkpoint itself after every [`CHECKPOINT_ROWS`] row changes, once
//!   the commit's answers have left (`Sink::after_commit`). Durability does not depend on it:
//!   a committed transaction is in the fsynced log either way.
//! * `application_id` marks the file as ours and `user_version` holds
//!   [`STATE_FORMAT_VERSION`]: another file or another version is refused, never rewritten.
//! * `quick_check` on open: a corrupt or truncated file is refused with SQLite's diagnosis.
//! * Before anything else: a directory it cannot create files in, or a database file SQLite
//!   could open only read-only, is refused (otherwise every commit would fail after start).
//!
//! Rows are the state image's row types (`engine/image/`) as CBOR (RFC 8949) BLOBs, keyed as the
//! engine keys them. CBOR rather than JSON since format version 2: the same self-describing
//! serde form (defaults and unknown-field checks behave alike), but strings, message bodies
//! above all, are copied instead of escaped byte by byte, which was the largest single cost of
//! the journal writer under callgrind (BENCHMARKS.md, persistence).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::DataDirError;
use crate::engine::{
    ChangeSet, GlobalsImage, RowChange, STATE_FORMAT_VERSION, StateImage, check_version,
};

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "mns-emulator.sqlite3";

/// `application_id` of our files: "MNSE".
const APPLICATION_ID: i32 = 0x4D4E_5345;

const SCHEMA: &str = "
CREATE TABLE globals (id INTEGER PRIMARY KEY CHECK (id = 0), row BLOB NOT NULL);
CREATE TABLE queues (name TEXT PRIMARY KEY, row BLOB NOT NULL);
CREATE TABLE messages (seq INTEGER PRIMARY KEY, queue TEXT NOT NULL, row BLOB NOT NULL);
CREATE INDEX messages_by_queue ON messages (queue, seq);
CREATE TABLE topics (name TEXT PRIMARY KEY, row BLOB NOT NULL);
CREATE TABLE subscriptions (topic TEXT NOT NULL, name TEXT NOT NULL, row BLOB NOT NULL,
    PRIMARY KEY (topic, name));
CREATE TABLE deliveries (id INTEGER PRIMARY KEY, row BLOB NOT NULL);
";

/// Row changes between two checkpoints (a few MiB of log at typical row sizes).
const CHECKPOINT_ROWS: usize = 8192;

/// An open data directory (holding its lock).
#[derive(Debug)]
pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Row changes committed since the last checkpoint.
    since_checkpoint: usize,
}

fn sql_error(path: &Path, what: &str, e: rusqlite::Error) -> DataDirError {
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        return DataDirError::InUse {
            path: path.to_owned(),
        };
    }
    let corrupt = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    );
    if corrupt {
        return DataDirError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        };
    }
    DataDirError::Io {
        path: path.to_owned(),
        detail: format!("{what}: {e}"),
    }
}

/// Refuses a directory the emulator cannot write (SQLite must create its write-ahead log
/// beside the database), before anything is opened.
///
/// Asks the file system itself, by creating and removing an empty file with a name of its own:
/// permission bits alone say nothing for root, who is still stopped by an immutable attribute
/// or a read-only mount. The probe leaves nothing behind.
fn check_writable_dir(dir: &Path) -> Result<(), DataDirError> {
    // Unique per process (pid) and per call within it.
    static PROBES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let probe = dir.join(format!(
        ".mns-emulator-write-probe-{}-{n}",
        std::process::id()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(file) => {
            drop(file);
            std::fs::remove_file(&probe).map_err(|e| DataDirError::Io {
                path: dir.to_owned(),
                detail: format!("cannot remove a file from the directory: {e}"),
            })
        }
        Err(e) => Err(DataDirError::Io {
            path: dir.to_owned(),
            detail: format!(
                "the directory is not writable ({e}); the emulator must be able to create \
                 files in it"
            ),
        }),
    }
}

fn to_i64(v: u64) -> i64 {
    // Sequence numbers and ids stay far below 2^63; the cast is checked on the way back.
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn encode<T: serde::Serialize>(row: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    ciborium::into_writer(row, &mut out).expect("state image rows always serialise");
    out
}

type DecodeError = ciborium::de::Error<std::io::Error>;

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    ciborium::from_reader(bytes)
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, takes its lock and reads the image it
    /// holds (`None` for a new store).
    pub(crate) fn open(
        dir: &Path,
        synchronous: &str,
    ) -> Result<(SqliteStore, Option<StateImage>), DataDirError> {
        std::fs::create_dir_all(dir).map_err(|e| DataDirError::Io {
            path: dir.to_owned(),
            detail: format!("cannot create the directory: {e}"),
        })?;
        check_writable_dir(dir)?;
        let path = dir.join(DATABASE_FILE);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(&path, "cannot open the database", e))?;
        let at = path.clone();
        let err = move |what: &'static str| {
            let path = at.clone();
            move |e| sql_error(&path, what, e)
        };
        // SQLite opens a file it may not write read-only without a word, and would then fail
        // every commit (every request a 500): refuse to start instead.
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(err("cannot open the database"))?
        {
            return Err(DataDirError::Io {
                path,
                detail: "the database file is read-only (permissions, an immutable attribute or a \
                         read-only file system); the emulator must be able to write it"
                    .to_owned(),
            });
        }
        conn.busy_timeout(std::time::Duration::ZERO)
            .map_err(err("cannot configure the database"))?;
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(err("cannot lock the database"))?;
        // Read-only checks first: a file that is not ours is never written to.
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(err("cannot check the database"))?;
        if check != "ok" {
            return Err(DataDirError::Corrupt {
                path,
                detail: check,
            });
        }
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(err("cannot read the database header"))?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(err("cannot read the database schema"))?;
        let fresh = app == 0 && tables == 0;
        if !fresh && app != APPLICATION_ID {
            return Err(DataDirError::Foreign { path });
        }
        if !fresh {
            let version: u32 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(err("cannot read the format version"))?;
            check_version(version).map_err(|e| DataDirError::Image {
                path: path.clone(),
                error: e,
            })?;
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err("cannot switch to write-ahead logging"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DataDirError::Io {
                path,
                detail: format!("the database stays in {mode} journal mode, not WAL"),
            });
        }
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(err("cannot configure the database"))?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(err("cannot configure the database"))?;
        let mut store = SqliteStore {
            conn,
            path,
            since_checkpoint: 0,
        };
        if fresh {
            store.create_schema()?;
            return Ok((store, None));
        }
        // Take the exclusive lock now (a write), so a second emulator fails at once.
        store
            .conn
            .execute_batch("BEGIN EXCLUSIVE; COMMIT;")
            .map_err(err("cannot lock the database"))?;
        let image = store.load()?;
        Ok((store, image))
    }

    fn create_schema(&mut self) -> Result<(), DataDirError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
            .map_err(|e| sql_error(&path, "cannot lock the database", e))?;
        tx.execute_batch(SCHEMA)
            .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID))
            .and_then(|()| tx.pragma_update(None, "user_version", STATE_FORMAT_VERSION))
            .and_then(|()| tx.commit())
            .map_err(|e| sql_error(&path, "cannot create the database", e))
    }

    /// Reads every row back into an image (`None` when nothing was ever committed).
    fn load(&self) -> Result<Option<StateImage>, DataDirError> {
        let path = &self.path;
        let bad = |e: rusqlite::Error| sql_error(path, "cannot read the database", e);
        let globals: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT row FROM globals WHERE id = 0", [], |r| r.get(0))
            .optional()
            .map_err(bad)?;
        let Some(globals) = globals else {
            return Ok(None);
        };
        let parse_err = |table: &str, e: DecodeError| DataDirError::Corrupt {
            path: path.clone(),
            detail: format!("a row of table {table} is not readable: {e}"),
        };
        let globals: GlobalsImage = decode(&globals).map_err(|e| parse_err("globals", e))?;
        fn rows<T: serde::de::DeserializeOwned>(
            conn: &Connection,
            sql: &str,
        ) -> Result<Vec<Result<T, DecodeError>>, rusqlite::Error> {
            let mut stmt = conn.prepare(sql)?;
            let blobs = stmt
                .query_map([], |r| r.get::<_, Vec<u8>>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(blobs.iter().map(|b| decode(b)).collect())
        }
        macro_rules! table {
            ($sql:expr, $name:expr) => {
                rows(&self.conn, $sql)
                    .map_err(bad)?
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| parse_err($name, e))?
            };
        }
        Ok(Some(StateImage {
            format_version: STATE_FORMAT_VERSION,
            globals,
            queues: table!("SELECT row FROM queues ORDER BY name", "queues"),
            messages: table!("SELECT row FROM messages ORDER BY queue, seq", "messages"),
            topics: table!("SELECT row FROM topics ORDER BY name", "topics"),
            subscriptions: table!(
                "SELECT row FROM subscriptions ORDER BY topic, name",
                "subscriptions"
            ),
            deliveries: table!("SELECT row FROM deliveries ORDER BY id", "deliveries"),
        }))
    }

    /// Writes the whole image (a new data directory given an engine with state already).
    pub(crate) fn write_image(&mut self, image: &StateImage) -> Result<(), String> {
        let mut ops = Vec::new();
        ops.extend(
            image
                .queues
                .iter()
                .map(|q| RowChange::PutQueue(Box::new(q.clone()))),
        );
        ops.extend(
            image
                .messages
                .iter()
                .map(|m| RowChange::PutMessage(Box::new(m.clone()))),
        );
        ops.extend(
            image
                .topics
                .iter()
                .map(|t| RowChange::PutTopic(Box::new(t.clone()))),
        );
        ops.extend(
            image
                .subscriptions
                .iter()
                .map(|s| RowChange::PutSubscription(Box::new(s.clone()))),
        );
        ops.extend(
            image
                .deliveries
                .iter()
                .map(|d| RowChange::PutDelivery(Box::new(d.clone()))),
        );
        self.apply(&[ChangeSet {
            ops,
            globals: image.globals.clone(),
        }])
    }

    /// Applies change sets in order, in one transaction (one fsync).
    pub(crate) fn apply(&mut self, batch: &[ChangeSet]) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(|e| e.to_string())?;
        {
            let mut hot = MessageStatements::prepare(&tx).map_err(|e| e.to_string())?;
            for changes in batch {
                for op in &changes.ops {
                    apply_one(&tx, &mut hot, op).map_err(|e| e.to_string())?;
                }
            }
        }
        if let Some(last) = batch.last() {
            tx.prepare_cached("INSERT OR REPLACE INTO globals (id, row) VALUES (0, ?1)")
                .and_then(|mut s| s.execute(params![encode(&last.globals)]))
                .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        self.since_checkpoint += batch.iter().map(|c| c.ops.len() + 1).sum::<usize>();
        Ok(())
    }
}

impl super::journal::Sink for SqliteStore {
    fn apply(&mut self, batch: &[ChangeSet]) -> Result<(), String> {
        SqliteStore::apply(self, batch)
    }

    fn after_commit(&mut self) {
        if self.since_checkpoint < CHECKPOINT_ROWS {
            return;
        }
        self.since_checkpoint = 0;
        // PASSIVE: copies what it can, never waits. A failure loses nothing (the log keeps
        // every committed transaction); the next one tries again.
        if let Err(e) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, path = %self.path.display(), "data directory checkpoint failed");
        }
    }
}

/// The statements every message change runs, prepared once per transaction rather than looked
/// up in rusqlite's statement cache per row (the lookup hashes the SQL text and the cached
/// statement is reset and handed back on every drop: about a tenth of the writer's work per
/// message under callgrind before this).
struct MessageStatements<'tx> {
    /// Rewrites the row of a message that stays in its queue. Only `row` is set, so SQLite leaves
    /// the `messages_by_queue` index alone; `INSERT OR REPLACE` would delete and reinsert both
    /// the table row and its index entry, and open a statement journal to do so.
    update: rusqlite::CachedStatement<'tx>,
    /// A new message, or one that moved queues (the update matched nothing).
    insert: rusqlite::CachedStatement<'tx>,
    delete: rusqlite::CachedStatement<'tx>,
}

impl<'tx> MessageStatements<'tx> {
    fn prepare(tx: &'tx rusqlite::Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(MessageStatements {
            update: tx
                .prepare_cached("UPDATE messages SET row = ?3 WHERE seq = ?1 AND queue = ?2")?,
            insert: tx.prepare_cached(
                "INSERT OR REPLACE INTO messages (seq, queue, row) VALUES (?1, ?2, ?3)",
            )?,
            delete: tx.prepare_cached("DELETE FROM messages WHERE seq = ?1 AND queue = ?2")?,
        })
    }
}

fn apply_one(
    tx: &rusqlite::Transaction<'_>,
    hot: &mut MessageStatements<'_>,
    op: &RowChange,
) -> rusqlite::Result<()> {
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<()> {
        tx.prepare_cached(sql)?.execute(p)?;
        Ok(())
    };
    match op {
        RowChange::Reset => tx.execute_batch(
            "DELETE FROM queues; DELETE FROM messages; DELETE FROM topics;
             DELETE FROM subscriptions; DELETE FROM deliveries;",
        ),
        RowChange::DropQueue(name) => {
            run("DELETE FROM queues WHERE name = ?1", &[name])?;
            run("DELETE FROM messages WHERE queue = ?1", &[name])
        }
        RowChange::PutQueue(q) => run(
            "INSERT OR REPLACE INTO queues (name, row) VALUES (?1, ?2)",
            &[&q.name, &encode(q)],
        ),
        RowChange::PutMessage(m) => {
            let p = params![to_i64(m.seq), m.queue, encode(m)];
            if hot.update.execute(p)? == 0 {
                hot.insert.execute(p)?;
            }
            Ok(())
        }
        RowChange::DeleteMessage { queue, seq } => {
            hot.delete.execute(params![to_i64(*seq), queue])?;
            Ok(())
        }
        RowChange::DropTopic(name) => {
            run("DELETE FROM topics WHERE name = ?1", &[name])?;
            run("DELETE FROM subscriptions WHERE topic = ?1", &[name])
        }
        RowChange::PutTopic(t) => run(
            "INSERT OR REPLACE INTO topics (name, row) VALUES (?1, ?2)",
            &[&t.name, &encode(t)],
        ),
        RowChange::PutSubscription(s) => run(
            "INSERT OR REPLACE INTO subscriptions (topic, name, row) VALUES (?1, ?2, ?3)",
            &[&s.topic, &s.name, &encode(s)],
        ),
        RowChange::DeleteSubscription { topic, name } => run(
            "DELETE FROM subscriptions WHERE topic = ?1 AND name = ?2",
            &[topic, name],
        ),
        RowChange::PutDelivery(d) => run(
            "INSERT OR REPLACE INTO deliveries (id, row) VALUES (?1, ?2)",
            &[&to_i64(d.id), &encode(d)],
        ),
        RowChange::DeleteDelivery(id) => {
            run("DELETE FROM deliveries WHERE id = ?1", &[&to_i64(*id)])
        }
    }
}
