//! Engine-wide state across a restart on a data directory: the virtual clock resumes where it
//! was (an explicit move alone is recorded), and account settings answered with success are
//! still set.

use std::path::Path;

use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::{Emulator, RunningEmulator};

const T0: u64 = 1_700_000_000_000;

async fn start(dir: &Path, clock: &ManualClock) -> RunningEmulator {
    Emulator::builder()
        .clock(clock.clone())
        .accept_any_signature(true)
        .admin_endpoint(true)
        .data_dir(dir)
        .expect("the data directory opens")
        .start()
        .await
        .expect("the emulator starts")
}

async fn post(emu: &RunningEmulator, path: &str, body: &str) -> (u16, String) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}{path}", emu.endpoint().trim_end_matches('/')))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_virtual_clock_resumes_where_it_was_moved() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start(dir.path(), &ManualClock::at_millis(T0)).await;
    let (status, body) = post(&emu, "/__emulator/clock/advance", r#"{"seconds":3600}"#).await;
    assert_eq!(status, 200, "{body}");
    emu.shutdown().await;

    // A restart whose clock starts earlier (no --start, or an older one) resumes at the stored
    // time: time never goes back.
    let clock = ManualClock::at_millis(T0);
    let emu = start(dir.path(), &clock).await;
    assert_eq!(clock.now_millis(), T0 + 3_600_000);
    emu.shutdown().await;

    // A later start is kept.
    let clock = ManualClock::at_millis(T0 + 7_200_000);
    let emu = start(dir.path(), &clock).await;
    assert_eq!(clock.now_millis(), T0 + 7_200_000);
    emu.shutdown().await;
}

/// Library-API changes (synchronous) are on disk once `durable` returns: a restart has them.
#[tokio::test]
async fn library_changes_are_durable_once_durable_returns() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start(dir.path(), &ManualClock::at_millis(T0)).await;
    emu.emulator().create_fifo_queue("orders").unwrap();
    emu.durable().await.unwrap();
    let stats = emu.emulator().data_dir_stats().unwrap();
    assert!(stats.change_sets >= 1, "{stats:?}");
    emu.shutdown().await;
    let emu = start(dir.path(), &ManualClock::at_millis(T0)).await;
    assert_eq!(
        emu.emulator().queue_kind("orders").unwrap(),
        mns_emulator::engine::QueueKind::Fifo
    );
    emu.shutdown().await;
}

/// A builder-declared queue restored from the directory, changed at run time, is left as it is
/// on the next start instead of failing it.
#[tokio::test]
async fn a_declared_queue_changed_at_run_time_does_not_stop_a_restart() {
    use mns_emulator::engine::{QueueDlqPolicy, QueueKind};
    let dir = tempfile::tempdir().unwrap();
    let build = || {
        Emulator::builder()
            .clock(ManualClock::at_millis(T0))
            .data_dir(dir.path())
            .expect("the data directory opens")
            .queue("dead", QueueKind::Normal, None)
            .queue("q", QueueKind::Normal, Some(QueueDlqPolicy::new("dead", 3)))
            .try_build()
    };
    let emu = build().expect("first start");
    emu.set_queue_dlq_policy("q", None).unwrap();
    emu.durable().await.unwrap();
    drop(emu);
    let emu = build().expect("a restart keeps the changed queue");
    assert_eq!(emu.queue_dlq_policy("q").unwrap(), None);
}

/// Account settings answered with success survive a restart, and a full admin reset clears
/// them (the data directory with them).
#[tokio::test]
async fn account_settings_survive_a_restart_and_go_with_a_reset() {
    use mns_client::account::AccountOptions;
    use mns_client::{Client, Credentials, Endpoint};
    let dir = tempfile::tempdir().unwrap();
    let client = |emu: &RunningEmulator| {
        Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
            .credentials(Credentials::new("testid", "testsecret"))
            .build()
            .unwrap()
    };
    let emu = start_with_wall_skew(dir.path()).await;
    client(&emu)
        .set_account_attributes(&AccountOptions {
            logging_bucket: Some("logs-bucket".into()),
            trace_enabled: Some(true),
        })
        .await
        .unwrap();
    emu.shutdown().await;

    let emu = start_with_wall_skew(dir.path()).await;
    let attrs = client(&emu).get_account_attributes().await.unwrap();
    assert_eq!(attrs.logging_bucket, "logs-bucket");
    assert_eq!(attrs.trace_enabled, Some(true));
    let (status, body) = post(&emu, "/__emulator/reset", "{}").await;
    assert_eq!(status, 200, "{body}");
    emu.shutdown().await;

    let emu = start_with_wall_skew(dir.path()).await;
    let attrs = client(&emu).get_account_attributes().await.unwrap();
    assert_eq!(
        attrs.logging_bucket, "",
        "a full reset clears the account settings"
    );
    emu.shutdown().await;
}

/// An emulator on the data directory whose requests the client signs with the wall clock.
async fn start_with_wall_skew(dir: &Path) -> RunningEmulator {
    Emulator::builder()
        .clock(ManualClock::at_millis(T0))
        .max_date_skew(None)
        .admin_endpoint(true)
        .data_dir(dir)
        .expect("the data directory opens")
        .start()
        .await
        .expect("the emulator starts")
}
