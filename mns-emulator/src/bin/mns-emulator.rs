//! Standalone MNS emulator server, for programs in any language (official Python, Node, Java and
//! Go SDKs) and for manual testing.
//!
//! ```text
//! mns-emulator --bind 127.0.0.1:9911 --access-key testid:testsecret
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use mns_emulator::clock::ManualClock;
use mns_emulator::config_file::{ClockSetting, ConfigFile, LogFormatSetting};
use mns_emulator::{ConnectionLimits, Emulator};
use tracing_subscriber::EnvFilter;

/// A local emulator of Alibaba Cloud Message Service (MNS), classic XML API (2015-06-06).
///
/// Point an MNS SDK at the printed endpoint with one of the configured access keys (by default
/// `testid` / `testsecret`). Requests are signature-checked like the real service unless
/// `--accept-any-signature` is given. State lives in memory and is lost on exit, unless
/// `--data-dir` keeps it on disk.
// No `Debug`: `access_keys` holds secrets, and nothing needs to print the parsed arguments.
#[derive(clap::Parser)]
#[command(name = "mns-emulator", version, about, long_about)]
struct Args {
    /// Read settings, and queues, topics, subscriptions and DLQ policies to create at start,
    /// from this TOML file (see the README). Flags and their environment variables win over it.
    #[arg(long, value_name = "FILE", env = "MNS_EMULATOR_CONFIG")]
    config: Option<std::path::PathBuf>,

    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "MNS_EMULATOR_BIND", default_value = "127.0.0.1:9911")]
    bind: SocketAddr,

    /// Account id reported by the emulator (as in `{account}.mns.{region}.aliyuncs.com`).
    #[arg(long, env = "MNS_EMULATOR_ACCOUNT_ID", default_value = mns_emulator::DEFAULT_ACCOUNT_ID)]
    account_id: String,

    /// Region id reported by the emulator.
    #[arg(long, env = "MNS_EMULATOR_REGION", default_value = mns_emulator::DEFAULT_REGION)]
    region: String,

    /// Accepted access key as `ID:SECRET`; repeat for several keys. Default: `testid:testsecret`.
    #[arg(long = "access-key", value_name = "ID:SECRET", value_parser = AccessKeyParser)]
    access_keys: Vec<(String, String)>,

    /// Accept every request whatever its signature, date or access key.
    #[arg(long)]
    accept_any_signature: bool,

    /// Largest tolerated difference, in seconds, between a request's Date header and the
    /// emulator's clock (408 TimeExpired beyond it); 0 disables the check.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    max_date_skew: u64,

    /// Most connections served at once. Past it a new connection closes the longest-idle one;
    /// when every connection is busy with a request it waits until one finishes.
    #[arg(long, value_name = "N", default_value_t = mns_emulator::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,

    /// Deadline for a whole request head from its first byte (e.g. `10s`, `500ms`); a client
    /// sending slower is disconnected.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    header_read_timeout: Duration,

    /// Deadline for a request body from the end of its head; past it the request gets 408.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    body_read_timeout: Duration,

    /// How long a keep-alive connection may stay open with no request in progress (never cuts a
    /// running request such as a long poll).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    idle_timeout: Duration,

    /// On SIGTERM or Ctrl-C, how long running requests get to finish before their connections
    /// are dropped and the process exits 0. A second signal exits at once.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,

    /// Serve the admin API under `/__emulator` (JSON; described at
    /// `/__emulator/openapi.json`): the dashboard at `/__emulator/`, reset, every message of a
    /// queue in every state, the topic delivery log, the last requests, the clock (set and
    /// advance it with `--clock virtual`) and the fault plan at `/__emulator/faults` (POST a
    /// JSON plan such as `{"seed":7,"rules":[{"operation":"SendMessage","probability":0.2,
    /// "fault":{"kind":"error","status":500,"code":"InternalError"}}]}`, GET it with per-rule
    /// hit counts, DELETE to stop injecting). Unauthenticated, so for test set-ups only.
    #[arg(long, env = "MNS_EMULATOR_ADMIN")]
    admin: bool,

    /// `system` (the wall clock) or `virtual`: a clock that moves only when the admin API sets
    /// or advances it (`POST /__emulator/clock/advance {"seconds":60}`); visibility timeouts,
    /// delays, retention, long polls, push retries, STS expiry and the Date skew check all
    /// follow it. Requests are still signed with the caller's real time, so advancing further
    /// than `--max-date-skew` needs `--max-date-skew 0`.
    #[arg(long, value_enum, env = "MNS_EMULATOR_CLOCK", default_value = "system")]
    clock: ClockMode,

    /// Where a virtual clock starts: RFC 3339 (`2026-01-01T00:00:00Z`) or epoch milliseconds.
    /// Default: the current time. With `--data-dir`, a start earlier than the newest time the
    /// directory has seen resumes at that time (time never goes back).
    #[arg(long, value_name = "INSTANT", value_parser = parse_start)]
    start: Option<std::time::SystemTime>,

    /// Do not serve Prometheus metrics at `/metrics` and the health check at
    /// `/__emulator/health` (both read-only, served by default).
    #[arg(long)]
    no_metrics: bool,

    /// Start with the fault plan in this JSON file (the admin endpoint's format).
    #[arg(long, value_name = "FILE", env = "MNS_EMULATOR_FAULTS")]
    faults: Option<std::path::PathBuf>,

    /// Sign topic HTTP pushes with the RSA private key in this PEM file (PKCS#8 or PKCS#1)
    /// instead of the published, insecure development key (the default, the same in every
    /// release, so receivers may pin its certificate in tests).
    #[arg(long, value_name = "FILE", env = "MNS_EMULATOR_PUSH_SIGNING_KEY")]
    push_signing_key: Option<std::path::PathBuf>,

    /// Sign topic HTTP pushes with a fresh 2048-bit RSA key generated on the first push,
    /// instead of the published development key (takes seconds).
    #[arg(long, conflicts_with = "push_signing_key")]
    generate_push_signing_key: bool,

    /// Base URL at which push receivers reach this emulator (where `x-mns-signing-cert-url`
    /// points), e.g. `http://mns-emulator:9911`. Default: the bound address.
    #[arg(long, value_name = "URL", env = "MNS_EMULATOR_ADVERTISED_URL")]
    advertised_url: Option<String>,

    /// Trust this CA certificate (PEM file; repeat for several) for topic pushes to `https://`
    /// endpoints, on top of the system's roots: e.g. the CA of a test receiver's self-signed
    /// certificate.
    #[arg(long = "push-ca-certificate", value_name = "FILE")]
    push_ca_certificates: Vec<std::path::PathBuf>,

    /// Keep queues, messages, topics and subscriptions in this directory (created if missing):
    /// every change answered with success is on disk first, and a restart (even after kill -9)
    /// restores it exactly. Off by default: state lives in memory only.
    #[arg(long, value_name = "DIR", env = "MNS_EMULATOR_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,

    /// With `--data-dir`: `full` fsyncs every commit before answering (survives power loss;
    /// the default), `normal` hands it to the OS (survives the emulator being killed, not the
    /// machine crashing; faster on slow disks).
    #[arg(long, value_name = "LEVEL", default_value = "full", value_parser = mns_emulator::persist::Durability::parse)]
    data_dir_sync: mns_emulator::persist::Durability,

    /// Log filter: a level (`error`, `warn`, `info`, `debug`, `trace`) or a tracing
    /// `EnvFilter` directive such as `mns_emulator=debug`. `RUST_LOG` overrides it.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: String,

    /// Log line format on stderr: `text` (coloured only when stderr is a terminal) or `json`
    /// (one object per line). Every request is logged at `debug` with its operation, status,
    /// error code and request id.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

/// `--clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ClockMode {
    /// The wall clock.
    System,
    /// A clock moved only through the admin API.
    Virtual,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn parse_start(s: &str) -> Result<std::time::SystemTime, String> {
    if let Ok(ms) = s.trim().parse::<u64>() {
        return Ok(mns_emulator::clock::from_millis(ms));
    }
    humantime::parse_rfc3339_weak(s.trim()).map_err(|e| {
        format!("expected an RFC 3339 instant (2026-01-01T00:00:00Z) or epoch milliseconds: {e}")
    })
}

/// `--access-key`'s parser: [`parse_access_key`], with an error that never repeats the value
/// (clap's own "invalid value '…'" message would print a mistyped secret to the terminal and to
/// CI logs).
#[derive(Clone)]
struct AccessKeyParser;

impl clap::builder::TypedValueParser for AccessKeyParser {
    type Value = (String, String);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let refuse = |kind, reason: String| {
            clap::Error::raw(kind, format!("invalid --access-key: {reason}\n")).with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| {
            refuse(
                clap::error::ErrorKind::InvalidUtf8,
                "not UTF-8 (value not shown)".to_owned(),
            )
        })?;
        parse_access_key(text).map_err(|e| refuse(clap::error::ErrorKind::ValueValidation, e))
    }
}

fn parse_access_key(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok((id.to_owned(), secret.to_owned()))
        }
        // Never echo the value: whatever the mistake, it may hold a secret (a secret pasted
        // alone, or an id and secret with the separator mistyped).
        Some((id, _)) if !id.is_empty() => Err(format!(
            "expected ID:SECRET, got access key id {id:?} with an empty secret"
        )),
        Some(_) => Err("expected ID:SECRET, got an empty access key id".to_owned()),
        None => Err(format!(
            "expected ID:SECRET, got {} characters without a ':' (value not shown: it may be \
             a secret)",
            s.chars().count()
        )),
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Whether `id` was given on the command line or through its environment variable (then it
/// wins over the configuration file).
fn given(matches: &clap::ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable)
    )
}

/// Fills every setting not given as a flag from the configuration file.
fn merge(args: &mut Args, matches: &clap::ArgMatches, file: &ConfigFile) {
    macro_rules! take {
        ($field:ident) => {
            if !given(matches, stringify!($field))
                && let Some(v) = &file.$field
            {
                args.$field = v.clone();
            }
        };
        ($field:ident, opt) => {
            if !given(matches, stringify!($field)) && file.$field.is_some() {
                args.$field = file.$field.clone();
            }
        };
    }
    take!(bind);
    take!(account_id);
    take!(region);
    take!(accept_any_signature);
    take!(max_date_skew);
    take!(max_connections);
    take!(header_read_timeout);
    take!(body_read_timeout);
    take!(idle_timeout);
    take!(shutdown_grace);
    take!(admin);
    take!(generate_push_signing_key);
    take!(log_level);
    take!(push_ca_certificates);
    take!(faults, opt);
    take!(push_signing_key, opt);
    take!(advertised_url, opt);
    take!(start, opt);
    take!(data_dir, opt);
    if !given(matches, "data_dir_sync")
        && let Some(level) = file.data_dir_sync.as_deref()
        && let Ok(level) = mns_emulator::persist::Durability::parse(level)
    {
        args.data_dir_sync = level;
    }
    if !given(matches, "no_metrics")
        && let Some(on) = file.metrics
    {
        args.no_metrics = !on;
    }
    if !given(matches, "clock")
        && let Some(c) = file.clock
    {
        args.clock = match c {
            ClockSetting::System => ClockMode::System,
            ClockSetting::Virtual => ClockMode::Virtual,
        };
    }
    if !given(matches, "log_format")
        && let Some(f) = file.log_format
    {
        args.log_format = match f {
            LogFormatSetting::Text => LogFormat::Text,
            LogFormatSetting::Json => LogFormat::Json,
        };
    }
    if !given(matches, "access_keys")
        && let Some(keys) = &file.access_keys
    {
        args.access_keys = keys
            .iter()
            .filter_map(|k| parse_access_key(k).ok())
            .collect();
    }
}

/// Reads `--config`: the file (with its text, for error lines) or the message to exit with.
fn load_config(path: &std::path::Path) -> Result<(ConfigFile, String), String> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let file = ConfigFile::parse(&source)
        .map_err(|e| format!("invalid config file {}: {e}", path.display()))?;
    if let Some(bad) = file
        .access_keys
        .iter()
        .flatten()
        .find_map(|k| parse_access_key(k).err())
    {
        return Err(format!(
            "invalid config file {}: access_keys: {bad}",
            path.display()
        ));
    }
    if let Some(Err(bad)) = file
        .data_dir_sync
        .as_deref()
        .map(mns_emulator::persist::Durability::parse)
    {
        return Err(format!(
            "invalid config file {}: data_dir_sync: {bad}",
            path.display()
        ));
    }
    Ok((file, source))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let matches = <Args as clap::CommandFactory>::command().get_matches();
    let mut args = match <Args as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let config = match args.config.as_deref().map(load_config).transpose() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mns-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some((file, _)) = &config {
        merge(&mut args, &matches, file);
    }
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&args.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Json => subscriber.json().init(),
        LogFormat::Text => subscriber
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }

    let mut builder = Emulator::builder()
        .bind(args.bind)
        .account_id(args.account_id)
        .region(args.region)
        .accept_any_signature(args.accept_any_signature)
        .max_date_skew((args.max_date_skew > 0).then(|| Duration::from_secs(args.max_date_skew)));
    if args.start.is_some() && args.clock != ClockMode::Virtual {
        eprintln!("mns-emulator: --start needs --clock virtual (the system clock cannot be set)");
        return std::process::ExitCode::FAILURE;
    }
    if args.clock == ClockMode::Virtual {
        let clock = match args.start {
            Some(start) => ManualClock::at(start),
            None => ManualClock::new(),
        };
        builder = builder.clock(clock);
    }
    builder = builder
        .admin_endpoint(args.admin)
        .metrics_endpoint(!args.no_metrics)
        .connection_limits(ConnectionLimits {
            max_connections: args.max_connections,
            header_read_timeout: args.header_read_timeout,
            body_read_timeout: args.body_read_timeout,
            idle_timeout: args.idle_timeout,
            shutdown_grace: args.shutdown_grace,
        });
    if let Some(url) = &args.advertised_url {
        builder = builder.advertised_url(url.clone());
    }
    if let Some(path) = &args.push_signing_key {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| {
                builder
                    .push_signing_key_pem(&pem)
                    .map_err(|e| e.to_string())
            });
        match loaded {
            Ok(b) => builder = b,
            Err(e) => {
                eprintln!(
                    "mns-emulator: cannot use push signing key {}: {e}",
                    path.display()
                );
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    if args.generate_push_signing_key {
        builder = builder.generate_push_signing_key();
    }
    if let Some(path) = &args.faults {
        let plan = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
        match plan {
            Ok(plan) => builder = builder.fault_plan(plan),
            Err(e) => {
                eprintln!(
                    "mns-emulator: cannot read fault plan {}: {e}",
                    path.display()
                );
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    for path in &args.push_ca_certificates {
        let added = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| {
                builder
                    .push_ca_certificate_pem(&pem)
                    .map_err(|e| e.to_string())
            });
        match added {
            Ok(b) => builder = b,
            Err(e) => {
                eprintln!(
                    "mns-emulator: cannot use push CA certificate {}: {e}",
                    path.display()
                );
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    for (id, secret) in args.access_keys {
        builder = builder.access_key(id, secret);
    }
    if let Some(dir) = &args.data_dir {
        builder = match builder.data_dir_with(dir, args.data_dir_sync) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("mns-emulator: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
    }
    let emulator = match builder.try_build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mns-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some((file, source))) = (&args.config, &config)
        && let Err(e) = file.declare(&emulator, source)
    {
        eprintln!("mns-emulator: invalid config file {}: {e}", path.display());
        return std::process::ExitCode::FAILURE;
    }
    let emulator = match emulator.start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mns-emulator: cannot listen on {}: {e}", args.bind);
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("mns-emulator listening on {}", emulator.endpoint());
    tracing::info!(
        account_id = emulator.account_id(),
        region = emulator.region(),
        clock = ?args.clock,
        access_keys = ?emulator.keys().keys().iter().map(|k| k.id().to_owned()).collect::<Vec<_>>(),
        "ready"
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    // Bounded by the grace period; a second signal does not wait even for that.
    tokio::select! {
        () = emulator.shutdown() => {}
        () = shutdown_signal() => tracing::warn!("second signal: exiting without waiting"),
    }
    std::process::ExitCode::SUCCESS
}
