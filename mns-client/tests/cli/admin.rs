//! Administration commands, configuration, output formats and exit codes.

use mns_emulator::faults::{Fault, FaultPlan, FaultRule, Operation};

use crate::common::{Env, assert_exit, assert_success, json, json_lines, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_create_get_set_list_delete() {
    let env = Env::start().await;
    let out = env
        .mns(&[
            "queue",
            "create",
            "orders",
            "--visibility-timeout",
            "45",
            "--delay",
            "2",
        ])
        .await;
    assert_success(&out);
    assert_eq!(stdout(&out).trim(), "created queue orders");
    // Creating it again with the same attributes is not an error.
    let again = json(
        &env.mns(&[
            "-o",
            "json",
            "queue",
            "create",
            "orders",
            "--visibility-timeout",
            "45",
            "--delay",
            "2",
        ])
        .await,
    );
    assert_eq!(again["created"], false);

    let attrs = json(
        &env.mns(&["--output", "json", "queue", "get", "orders"])
            .await,
    );
    assert_eq!(attrs["name"], "orders");
    assert_eq!(attrs["visibility_timeout"], 45);
    assert_eq!(attrs["delay_seconds"], 2);
    let table = stdout(&env.mns(&["queue", "get", "orders"]).await);
    assert!(table.contains("visibility timeout  45 s"), "{table}");

    assert_success(
        &env.mns(&["queue", "set", "orders", "--visibility-timeout", "90"])
            .await,
    );
    let attrs = json(&env.mns(&["-o", "json", "queue", "get", "orders"]).await);
    assert_eq!(attrs["visibility_timeout"], 90);
    // `set` with nothing to set is invalid input and changes nothing.
    assert_exit(&env.mns(&["queue", "set", "orders"]).await, 2);

    assert_success(&env.mns(&["queue", "create", "payments"]).await);
    let listed = json_lines(&env.mns(&["-o", "json", "queue", "list"]).await);
    let names: Vec<_> = listed.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["orders", "payments"]);
    let table = stdout(&env.mns(&["queue", "list", "--prefix", "pay"]).await);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("payments") && !table.contains("orders"),
        "{table}"
    );

    assert_success(&env.mns(&["queue", "delete", "orders"]).await);
    let gone = env.mns(&["queue", "get", "orders"]).await;
    assert_exit(&gone, 3);
    let err = stderr(&gone);
    assert!(err.starts_with("error: QueueNotExist: "), "{err}");
    assert!(err.contains("(request id "), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_and_subscription_commands() {
    let env = Env::start().await;
    assert_success(
        &env.mns(&["topic", "create", "events", "--max-message-size", "2048"])
            .await,
    );
    let attrs = json(&env.mns(&["-o", "json", "topic", "get", "events"]).await);
    assert_eq!(attrs["name"], "events");
    assert_eq!(attrs["maximum_message_size"], 2048);
    assert_success(
        &env.mns(&["topic", "set", "events", "--max-message-size", "4096"])
            .await,
    );
    let attrs = json(&env.mns(&["-o", "json", "topic", "get", "events"]).await);
    assert_eq!(attrs["maximum_message_size"], 4096);
    let topics = json_lines(&env.mns(&["-o", "json", "topic", "list"]).await);
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0]["name"], "events");

    // A queue subscription, so a publish has somewhere to go.
    env.queue("inbox", 30).await;
    let endpoint = format!(
        "acs:mns:{}:{}:queues/inbox",
        env.emu.region(),
        env.emu.account_id()
    );
    let created = env
        .mns(&[
            "subscription",
            "create",
            "events",
            "to-inbox",
            &endpoint,
            "--notify-content-format",
            "SIMPLIFIED",
        ])
        .await;
    assert_success(&created);
    let sub = json(
        &env.mns(&["-o", "json", "subscription", "get", "events", "to-inbox"])
            .await,
    );
    assert_eq!(sub["endpoint"], endpoint.as_str());
    assert_eq!(sub["notify_content_format"], "SIMPLIFIED");
    assert_success(
        &env.mns(&[
            "subscription",
            "set",
            "events",
            "to-inbox",
            "--notify-strategy",
            "EXPONENTIAL_DECAY_RETRY",
        ])
        .await,
    );
    let sub = json(
        &env.mns(&["-o", "json", "subscription", "get", "events", "to-inbox"])
            .await,
    );
    assert_eq!(sub["notify_strategy"], "EXPONENTIAL_DECAY_RETRY");
    let subs = json_lines(
        &env.mns(&["-o", "json", "subscription", "list", "events"])
            .await,
    );
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["name"], "to-inbox");

    let published = json(
        &env.mns(&[
            "-o",
            "json",
            "topic",
            "publish",
            "events",
            "hello subscribers",
        ])
        .await,
    );
    assert!(
        published["message_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    // Publishing from standard input works too.
    assert_success(
        &env.mns_stdin(&["topic", "publish", "events"], "from stdin")
            .await,
    );

    assert_success(
        &env.mns(&["subscription", "delete", "events", "to-inbox"])
            .await,
    );
    assert!(
        json_lines(
            &env.mns(&["-o", "json", "subscription", "list", "events"])
                .await
        )
        .is_empty()
    );
    assert_success(&env.mns(&["topic", "delete", "events"]).await);
    assert_exit(&env.mns(&["topic", "get", "events"]).await, 3);
    // A bad endpoint is refused before anything is sent.
    assert_exit(
        &env.mns(&["subscription", "create", "events", "s", "gopher://x"])
            .await,
        2,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_distinguish_failures() {
    let env = Env::start().await;
    env.queue("jobs", 30).await;

    // Invalid input: refused before any request.
    let bad = env.mns(&["queue", "create", "-bad-name"]).await;
    assert_exit(&bad, 2);
    let bad = env.mns(&["queue", "create", "bad_name"]).await;
    assert_exit(&bad, 2);
    assert!(stderr(&bad).contains("queue name"), "{}", stderr(&bad));
    assert_exit(
        &env.mns(&["send", "jobs", "x", "--priority", "17"]).await,
        2,
    );
    assert_exit(&env.mns(&["no-such-command"]).await, 2);

    // Not found.
    assert_exit(&env.mns(&["peek", "missing"]).await, 3);

    // Authentication: a wrong secret.
    let mut cmd = env.command();
    cmd.env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-secret");
    let denied = env.run(cmd, &["queue", "get", "jobs"], None).await;
    assert_exit(&denied, 4);
    assert!(!stderr(&denied).contains("wrong-secret"), "a secret leaked");
    // No credentials at all.
    let mut cmd = env.command();
    cmd.env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    let none = env
        .run(cmd, &["--timeout", "2", "queue", "get", "jobs"], None)
        .await;
    assert_exit(&none, 4);

    // Throttling, with the service's code in JSON on stderr.
    env.emu.faults().set_plan(
        FaultPlan::seeded(1).rule(
            FaultRule::new(Fault::error(429, "QpsLimitExceeded"))
                .operation(Operation::GetQueueAttributes),
        ),
    );
    let throttled = env
        .mns(&["--max-retries", "0", "-o", "json", "queue", "get", "jobs"])
        .await;
    assert_exit(&throttled, 5);
    let err: serde_json::Value = serde_json::from_str(stderr(&throttled).trim()).unwrap();
    assert_eq!(err["error"]["kind"], "throttled");
    assert_eq!(err["error"]["code"], "QpsLimitExceeded");
    assert!(
        err["error"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    env.emu.faults().clear();

    // Other: nothing listens there.
    let mut cmd = env.command();
    cmd.env("MNS_ENDPOINT", "http://127.0.0.1:1");
    let down = env
        .run(cmd, &["--max-retries", "0", "queue", "get", "jobs"], None)
        .await;
    assert_exit(&down, 1);
    // No endpoint at all is invalid input.
    let mut cmd = env.command();
    cmd.env_remove("MNS_ENDPOINT");
    assert_exit(&env.run(cmd, &["queue", "list"], None).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_signature_v4_and_embedded_emulator() {
    let env = Env::start().await;
    env.queue("jobs", 30).await;
    let key = env.emu.access_key();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        serde_json::json!({
            "current": "other",
            "profiles": [
                {"name": "other", "mode": "AK", "access_key_id": "nobody", "access_key_secret": "nothing"},
                {"name": "emu", "mode": "AK", "access_key_id": key.id(), "access_key_secret": key.secret()},
            ]
        })
        .to_string(),
    )
    .unwrap();
    let profiled = || {
        let mut cmd = env.command();
        cmd.env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .env("ALIBABA_CLOUD_CONFIG_FILE", &config);
        cmd
    };
    let ok = env
        .run(
            profiled(),
            &["--profile", "emu", "queue", "get", "jobs"],
            None,
        )
        .await;
    assert_success(&ok);
    // The file's current profile has keys the emulator does not know.
    assert_exit(
        &env.run(profiled(), &["queue", "get", "jobs"], None).await,
        4,
    );
    assert_exit(
        &env.run(
            profiled(),
            &["--profile", "missing", "queue", "get", "jobs"],
            None,
        )
        .await,
        4,
    );

    // V4 signatures, the region from --region.
    let v4 = env
        .mns(&[
            "--signature-version",
            "v4",
            "--region",
            env.emu.region(),
            "queue",
            "get",
            "jobs",
        ])
        .await;
    assert_success(&v4);
    assert_exit(
        &env.mns(&["--signature-version", "v9", "queue", "get", "jobs"])
            .await,
        2,
    );

    // --emulator needs no endpoint or credentials.
    let mut cmd = env.command();
    cmd.env_clear();
    let quick = env
        .run(
            cmd,
            &["--emulator", "-o", "json", "queue", "create", "try-me"],
            None,
        )
        .await;
    assert_eq!(json(&quick)["created"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_help() {
    let env = Env::start().await;
    let bash = env.mns(&["completions", "bash"]).await;
    assert_success(&bash);
    assert!(stdout(&bash).contains("_mns()"), "{}", stdout(&bash));
    let help = stdout(&env.mns(&["--help"]).await);
    for needle in [
        "Exit codes:",
        "3  not found",
        "5  throttled",
        "--profile",
        "redrive",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}
