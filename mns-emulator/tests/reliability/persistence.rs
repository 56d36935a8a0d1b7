//! The data directory (`mns_emulator::persist`), in process: a restart restores the state
//! exactly (handles, visibility, delays, counters, the clock), and a directory that cannot be
//! used is refused with an error naming it, its files left as they were. The SIGKILL test is
//! `crash_recovery.rs`.

use std::path::Path;
use std::time::Duration;

use mns_client::queue::{QueueOptions, SendOptions};
use mns_client::{Client, Credentials, Endpoint};
use mns_emulator::clock::ManualClock;
use mns_emulator::persist::{DATABASE_FILE, DataDirError};
use mns_emulator::{Emulator, RunningEmulator};

const T0: u64 = 1_700_000_000_000;

async fn start(dir: &Path, clock: &ManualClock) -> RunningEmulator {
    Emulator::builder()
        .clock(clock.clone())
        // The client signs with the wall clock; the emulator runs on a manual one.
        .max_date_skew(None)
        .data_dir(dir)
        .expect("the data directory opens")
        .start()
        .await
        .expect("the emulator starts")
}

fn client(emu: &RunningEmulator) -> Client {
    Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_restart_restores_the_state_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at_millis(T0);
    let emu = start(dir.path(), &clock).await;
    let q = client(&emu).queue("jobs").unwrap();
    q.create(&QueueOptions {
        visibility_timeout: Some(60),
        ..QueueOptions::default()
    })
    .await
    .unwrap();
    q.send_message("in-flight").await.unwrap();
    let gone = q.send_message("deleted").await.unwrap();
    let delayed = q
        .send_message_opts(
            "delayed",
            SendOptions {
                delay_seconds: Some(100),
                ..SendOptions::default()
            },
        )
        .await
        .unwrap();
    let held = q.receive_message(None).await.unwrap().unwrap();
    assert_eq!(held.body, b"in-flight");
    let deleted = q.receive_message(None).await.unwrap().unwrap();
    assert_eq!(deleted.message_id, gone.message_id);
    q.delete_message(&deleted.receipt_handle).await.unwrap();
    let before = q.get_attributes().await.unwrap();
    emu.shutdown().await;

    clock.advance(Duration::from_secs(10));
    let emu = start(dir.path(), &clock).await;
    let q = client(&emu).queue("jobs").unwrap();
    let after = q.get_attributes().await.unwrap();
    assert_eq!(
        (
            after.active_messages,
            after.inactive_messages,
            after.delay_messages
        ),
        (0, 1, 1)
    );
    assert_eq!(after.create_time, before.create_time);
    // Nothing visible: one in flight (50 s left), one delayed (90 s left).
    assert!(q.receive_message(None).await.unwrap().is_none());
    // The handle issued before the restart still works.
    let changed = q
        .change_message_visibility(&held.receipt_handle, 5)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(6));
    let again = q.receive_message(None).await.unwrap().unwrap();
    assert_eq!(again.message_id, held.message_id);
    assert_eq!(again.dequeue_count, 2);
    assert!(
        q.delete_message(&changed.receipt_handle).await.is_err(),
        "the older handle is stale"
    );
    q.delete_message(&again.receipt_handle).await.unwrap();
    // The delay continues from the original send.
    clock.advance(Duration::from_secs(83));
    assert!(q.receive_message(None).await.unwrap().is_none());
    clock.advance(Duration::from_secs(1));
    let late = q.receive_message(None).await.unwrap().unwrap();
    assert_eq!(late.message_id, delayed.message_id);
    emu.shutdown().await;

    // A third start sees only what the second left: the delayed message, in flight.
    let emu = start(dir.path(), &clock).await;
    let q = client(&emu).queue("jobs").unwrap();
    let attrs = q.get_attributes().await.unwrap();
    assert_eq!(
        (
            attrs.active_messages,
            attrs.inactive_messages,
            attrs.delay_messages
        ),
        (0, 1, 0)
    );
    q.delete_message(&late.receipt_handle).await.unwrap();
    let stats = emu.emulator().data_dir_stats().expect("a data directory");
    assert!(stats.commits >= 1 && stats.commits <= stats.change_sets);
    emu.shutdown().await;
}

/// Opening `dir` fails; the database file (if any) is byte-for-byte what it was.
fn refused(dir: &Path) -> DataDirError {
    let file = dir.join(DATABASE_FILE);
    let before = std::fs::read(&file).ok();
    let err = Emulator::builder()
        .data_dir(dir)
        .expect_err("the directory is refused");
    assert!(
        std::fs::read(&file).ok() == before,
        "the file changed although it was refused: {err}"
    );
    err
}

async fn directory_with_a_queue(dir: &Path) {
    let clock = ManualClock::at_millis(T0);
    let emu = start(dir, &clock).await;
    client(&emu)
        .queue("kept")
        .unwrap()
        .create(&QueueOptions::default())
        .await
        .unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn a_second_emulator_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Emulator::builder().data_dir(dir.path()).unwrap();
    let err = Emulator::builder().data_dir(dir.path()).unwrap_err();
    assert!(matches!(err, DataDirError::InUse { .. }), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
    drop(first.build());
    // The same once the directory holds state (another opening path).
    directory_with_a_queue(dir.path()).await;
    let first = Emulator::builder().data_dir(dir.path()).unwrap();
    let err = refused(dir.path());
    assert!(matches!(err, DataDirError::InUse { .. }), "{err}");
    drop(first);
}

#[tokio::test]
async fn a_corrupt_or_truncated_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(DATABASE_FILE),
        b"this is not a database, it is a note someone left here".repeat(40),
    )
    .unwrap();
    let err = refused(dir.path());
    assert!(matches!(err, DataDirError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(DATABASE_FILE));

    let dir = tempfile::tempdir().unwrap();
    directory_with_a_queue(dir.path()).await;
    let file = dir.path().join(DATABASE_FILE);
    let len = std::fs::metadata(&file).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let err = refused(dir.path());
    assert!(matches!(err, DataDirError::Corrupt { .. }), "{err}");
}

#[tokio::test]
async fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(conn);
    let err = refused(dir.path());
    assert!(matches!(err, DataDirError::Foreign { .. }), "{err}");
}

#[tokio::test]
async fn another_format_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    directory_with_a_queue(dir.path()).await;
    // SQLite's `user_version` is the big-endian u32 at byte 60 of the header.
    let file = dir.path().join(DATABASE_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(&file, &bytes).unwrap();
    let err = refused(dir.path());
    assert!(
        err.to_string().contains("version 99"),
        "names the version: {err}"
    );
}

#[tokio::test]
async fn a_directory_that_cannot_be_created_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Emulator::builder().data_dir(file.join("data")).unwrap_err();
    assert!(matches!(err, DataDirError::Io { .. }), "{err}");
    assert!(err.to_string().contains("a-file"));
}

/// Makes `path` read-only for this process, really: permission bits first, then (for root,
/// whom bits do not stop) the immutable attribute through `chattr +i` where it is available.
/// `None` when neither stops a write here; the caller skips, saying why. Dropping the guard
/// undoes it, so the temporary directory can be removed.
#[cfg(unix)]
fn read_only(path: &Path) -> Option<ReadOnly> {
    use std::os::unix::fs::PermissionsExt;

    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    let ro = if path.is_dir() { 0o555 } else { 0o444 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(ro)).unwrap();
    let mut guard = ReadOnly {
        path: path.to_owned(),
        mode,
        immutable: false,
    };
    if !writable(path) {
        return Some(guard);
    }
    guard.immutable = std::process::Command::new("chattr")
        .arg("+i")
        .arg(path)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!writable(path)).then_some(guard)
}

/// Whether this process can still write `path` (a probe that changes nothing lasting).
#[cfg(unix)]
fn writable(path: &Path) -> bool {
    if path.is_dir() {
        let probe = path.join(".probe");
        let ok = std::fs::write(&probe, b"").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    } else {
        std::fs::OpenOptions::new().append(true).open(path).is_ok()
    }
}

#[cfg(unix)]
struct ReadOnly {
    path: std::path::PathBuf,
    mode: u32,
    immutable: bool,
}

#[cfg(unix)]
impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;

        if self.immutable {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.path)
                .status();
        }
        let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(self.mode));
    }
}

/// The directory's files, names and contents (the refusal must leave them as they were).
fn files(dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    all.sort();
    all
}

#[cfg(unix)]
#[tokio::test]
async fn an_existing_read_only_directory_is_refused_untouched() {
    for with_state in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        if with_state {
            directory_with_a_queue(dir.path()).await;
        }
        let before = files(dir.path());
        let Some(_guard) = read_only(dir.path()) else {
            eprintln!(
                "skipped: neither permission bits nor `chattr +i` make a directory read-only \
                 for this process here"
            );
            return;
        };
        let err = Emulator::builder().data_dir(dir.path()).unwrap_err();
        assert!(matches!(err, DataDirError::Io { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(text.contains("not writable"), "{text}");
        assert_eq!(files(dir.path()), before, "nothing changed: {text}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_read_only_database_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    directory_with_a_queue(dir.path()).await;
    let file = dir.path().join(DATABASE_FILE);
    let before = files(dir.path());
    let Some(guard) = read_only(&file) else {
        eprintln!(
            "skipped: neither permission bits nor `chattr +i` make a file read-only for this \
             process here"
        );
        return;
    };
    let err = Emulator::builder().data_dir(dir.path()).unwrap_err();
    assert!(matches!(err, DataDirError::Io { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(DATABASE_FILE), "names the file: {text}");
    assert!(text.contains("read-only"), "{text}");
    assert_eq!(files(dir.path()), before, "nothing changed: {text}");
    // Writable again, the same directory starts and holds its queue.
    drop(guard);
    let clock = ManualClock::at_millis(T0);
    let emu = start(dir.path(), &clock).await;
    assert!(emu.inspect_queue("kept").is_ok());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_restored_image_replaces_what_the_directory_holds() {
    use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput};

    let mut other = Engine::new(EngineConfig::default());
    other
        .create_queue("restored", QueueAttributesInput::default(), T0)
        .unwrap();
    other
        .send_messages("restored", vec![SendMessageInput::new("m")], T0)
        .unwrap();
    let image = other.export_image();

    let dir = tempfile::tempdir().unwrap();
    directory_with_a_queue(dir.path()).await;
    let clock = ManualClock::at_millis(T0);
    let emu = start(dir.path(), &clock).await;
    emu.with_engine(|e, _| e.restore_image(image.clone()))
        .unwrap();
    emu.shutdown().await;

    let emu = start(dir.path(), &clock).await;
    let now = emu.with_engine(|e, _| e.export_image());
    assert_eq!(now.queues, image.queues, "only the restored queue");
    assert_eq!(now.messages, image.messages);
    assert_eq!(now.globals.seed, image.globals.seed);
    emu.shutdown().await;
}

/// What the control-plane OpenAPI sets (queue type, DLQ policy, tags, rate limit) and what the
/// admin API's reset removes are in the data directory before either answers.
#[tokio::test]
async fn control_plane_settings_and_admin_resets_survive_a_restart() {
    use mns_client::control::{
        ControlClient, CreateQueueOptions, QueueDlqPolicy, QueueType, RateLimitPolicy, Tag,
    };

    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at_millis(T0);
    let start_admin = |dir: std::path::PathBuf, clock: ManualClock| async move {
        Emulator::builder()
            .clock(clock)
            .max_date_skew(None)
            .admin_endpoint(true)
            .data_dir(&dir)
            .expect("the data directory opens")
            .start()
            .await
            .expect("the emulator starts")
    };
    let emu = start_admin(dir.path().to_owned(), clock.clone()).await;
    let control = ControlClient::builder("cn-hangzhou")
        .base_url(emu.endpoint())
        .credentials(Credentials::new("testid", "testsecret"))
        .build()
        .unwrap();
    let fifo = CreateQueueOptions {
        queue_type: Some(QueueType::Fifo),
        ..CreateQueueOptions::default()
    };
    control.create_queue("dead", &fifo).await.unwrap();
    control
        .create_queue("scratch", &CreateQueueOptions::default())
        .await
        .unwrap();
    let options = CreateQueueOptions {
        queue_type: Some(QueueType::Fifo),
        dlq_policy: Some(QueueDlqPolicy::enabled("dead", 3)),
        rate_limit: Some(RateLimitPolicy::per_second(20)),
        tags: vec![Tag::new("env", "dev")],
        ..CreateQueueOptions::default()
    };
    control.create_queue("orders", &options).await.unwrap();
    let q = client(&emu).queue("scratch").unwrap();
    q.send_message("purged").await.unwrap();
    let reset = reqwest::Client::new()
        .post(format!("{}/__emulator/reset", emu.endpoint()))
        .body(r#"{"queue":"scratch"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    emu.shutdown().await;

    let emu = start_admin(dir.path().to_owned(), clock.clone()).await;
    let control = ControlClient::builder("cn-hangzhou")
        .base_url(emu.endpoint())
        .credentials(Credentials::new("testid", "testsecret"))
        .build()
        .unwrap();
    let orders = control.get_queue_attributes("orders").await.unwrap();
    assert_eq!(orders.queue_type, QueueType::Fifo);
    assert_eq!(orders.dlq_policy, options.dlq_policy);
    assert_eq!(orders.rate_limit, options.rate_limit);
    assert_eq!(orders.tags, options.tags);
    let scratch = client(&emu).queue("scratch").unwrap();
    assert!(
        scratch
            .receive_message(Some(Duration::ZERO))
            .await
            .unwrap()
            .is_none(),
        "the purged message stays purged"
    );
    emu.shutdown().await;
}
