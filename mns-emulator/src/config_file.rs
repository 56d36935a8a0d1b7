//! The standalone emulator's TOML configuration file (`mns-emulator --config FILE`): every
//! setting the command line has, plus queues, topics, subscriptions and DLQ policies created at
//! start, so a docker-compose service or a CI job gets a ready emulator. Flags given on the
//! command line (or through their environment variables) win over the file.
//!
//! ```toml
//! bind = "0.0.0.0:9911"
//! admin = true
//! clock = "virtual"
//! access_keys = ["testid:testsecret"]
//!
//! [[queue]]
//! name = "orders-dlq"
//!
//! [[queue]]
//! name = "orders"
//! visibility_timeout = 30
//! dlq = { target = "orders-dlq", max_receive_count = 3 }
//!
//! [[topic]]
//! name = "events"
//!
//! [[topic.subscription]]
//! name = "to-orders"
//! queue = "orders"              # or: endpoint = "http://receiver:8080/notify"
//! notify_content_format = "SIMPLIFIED"
//! ```
//!
//! An invalid file fails at start with the line and the reason ([`ConfigError`]), and then
//! creates nothing; so does a declaration the service would refuse (a bad attribute value, a DLQ
//! target declared later). With `--data-dir`, a declared resource that already exists is left as
//! it is ([`ConfigFile::declare`]).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::Emulator;
use crate::engine::{
    Engine, Millis, QueueAttributesInput, QueueDlqPolicy, QueueKind, SubscribeInput,
    SubscriptionDlqPolicy, TopicAttributesInput,
};

/// `clock = "system" | "virtual"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockSetting {
    /// The wall clock.
    System,
    /// A clock moved only through the admin API.
    Virtual,
}

/// `log_format = "text" | "json"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormatSetting {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The whole file. Every field is optional; unknown keys are errors (a typo must not be
/// silently ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `--bind`.
    pub bind: Option<SocketAddr>,
    /// `--account-id`.
    pub account_id: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--access-key`, each `"ID:SECRET"` (its `Debug` hides the secret).
    pub access_keys: Option<Vec<AccessKeyText>>,
    /// `--accept-any-signature`.
    pub accept_any_signature: Option<bool>,
    /// `--max-date-skew` in seconds (0 turns the check off).
    pub max_date_skew: Option<u64>,
    /// `--max-connections`.
    pub max_connections: Option<usize>,
    /// `--header-read-timeout` (`"10s"`).
    #[serde(default, deserialize_with = "duration")]
    pub header_read_timeout: Option<Duration>,
    /// `--body-read-timeout`.
    #[serde(default, deserialize_with = "duration")]
    pub body_read_timeout: Option<Duration>,
    /// `--idle-timeout`.
    #[serde(default, deserialize_with = "duration")]
    pub idle_timeout: Option<Duration>,
    /// `--shutdown-grace`.
    #[serde(default, deserialize_with = "duration")]
    pub shutdown_grace: Option<Duration>,
    /// `--admin`.
    pub admin: Option<bool>,
    /// `false` is `--no-metrics`.
    pub metrics: Option<bool>,
    /// `--clock`.
    pub clock: Option<ClockSetting>,
    /// `--start`: RFC 3339 or epoch milliseconds.
    #[serde(default, deserialize_with = "instant")]
    pub start: Option<std::time::SystemTime>,
    /// `--faults` (a JSON fault plan file).
    pub faults: Option<PathBuf>,
    /// `--push-signing-key`.
    pub push_signing_key: Option<PathBuf>,
    /// `--generate-push-signing-key`.
    pub generate_push_signing_key: Option<bool>,
    /// `--advertised-url`.
    pub advertised_url: Option<String>,
    /// `--push-ca-certificate`, each a PEM file.
    pub push_ca_certificates: Option<Vec<PathBuf>>,
    /// `--log-level`.
    pub log_level: Option<String>,
    /// `--log-format`.
    pub log_format: Option<LogFormatSetting>,
    /// `--data-dir`: keep the state in this directory.
    pub data_dir: Option<PathBuf>,
    /// `--data-dir-sync`: `"full"` (the default) or `"normal"`.
    pub data_dir_sync: Option<String>,
    /// Queues to create, in order (declare a DLQ target before the queues using it).
    #[serde(default)]
    pub queue: Vec<Spanned<QueueDeclaration>>,
    /// Topics to create, each with its subscriptions.
    #[serde(default)]
    pub topic: Vec<Spanned<TopicDeclaration>>,
}

/// One `access_keys` entry as written, `"ID:SECRET"`. It dereferences to the text; its `Debug`
/// shows only what comes before the first `:` (the access key id, which is not secret) so that
/// printing a [`ConfigFile`] never reveals a secret.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct AccessKeyText(pub String);

impl std::ops::Deref for AccessKeyText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessKeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once(':') {
            Some((id, _)) => write!(f, "\"{}:<redacted>\"", id.escape_debug()),
            None => f.write_str("\"<redacted>\""),
        }
    }
}

/// A `[[queue]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueDeclaration {
    /// Queue name.
    pub name: String,
    /// `"normal"` (default) or `"fifo"`.
    pub kind: Option<String>,
    /// `DelaySeconds`.
    pub delay_seconds: Option<i64>,
    /// `MaximumMessageSize`.
    pub maximum_message_size: Option<i64>,
    /// `MessageRetentionPeriod`.
    pub message_retention_period: Option<i64>,
    /// `VisibilityTimeout`.
    pub visibility_timeout: Option<i64>,
    /// `PollingWaitSeconds`.
    pub polling_wait_seconds: Option<i64>,
    /// `LoggingEnabled`.
    pub logging_enabled: Option<bool>,
    /// Dead-letter policy.
    pub dlq: Option<DlqDeclaration>,
}

/// `dlq = { target = "q", max_receive_count = 3 }` (`max_receive_count` only on queues).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DlqDeclaration {
    /// The dead-letter queue (declared earlier in the file).
    pub target: String,
    /// Receives before a message is dead-lettered (queues only).
    pub max_receive_count: Option<u32>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// A `[[topic]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicDeclaration {
    /// Topic name.
    pub name: String,
    /// `MaximumMessageSize`.
    pub maximum_message_size: Option<i64>,
    /// `LoggingEnabled`.
    pub logging_enabled: Option<bool>,
    /// Its subscriptions (`[[topic.subscription]]`).
    #[serde(default)]
    pub subscription: Vec<Spanned<SubscriptionDeclaration>>,
}

/// A `[[topic.subscription]]`: exactly one of `endpoint` and `queue`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionDeclaration {
    /// Subscription name.
    pub name: String,
    /// The endpoint as the service spells it (`http://…`, `acs:mns:…:queues/q`, …).
    pub endpoint: Option<String>,
    /// Shorthand for the queue endpoint of a queue of this emulator.
    pub queue: Option<String>,
    /// `BACKOFF_RETRY` (default) or `EXPONENTIAL_DECAY_RETRY`.
    pub notify_strategy: Option<String>,
    /// `XML` (default), `JSON` or `SIMPLIFIED`.
    pub notify_content_format: Option<String>,
    /// `FilterTag`.
    pub filter_tag: Option<String>,
    /// Dead-letter policy (`target` only).
    pub dlq: Option<DlqDeclaration>,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map(Some).map_err(|e| {
        serde::de::Error::custom(format!("{text:?} is not a duration like \"10s\": {e}"))
    })
}

fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<std::time::SystemTime>, D::Error> {
    let text = String::deserialize(d)?;
    crate::admin::parse_instant(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Why a configuration file was refused: where (1-based line and column) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Line of the offending value or declaration (1-based; 0 when unknown).
    pub line: usize,
    /// Column (1-based; 0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.reason)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.reason
            )
        }
    }
}

impl std::error::Error for ConfigError {}

fn at(source: &str, offset: usize, reason: String) -> ConfigError {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    ConfigError {
        line,
        column,
        reason,
    }
}

impl ConfigFile {
    /// Parses a file's text. A syntax error, an unknown key or a value of the wrong type is
    /// reported at its line.
    pub fn parse(source: &str) -> Result<Self, ConfigError> {
        toml::from_str(source).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let mut err = at(source, offset, e.message().trim().to_owned());
            if e.span().is_none() {
                err.line = 0;
                err.column = 0;
            }
            err
        })
    }

    /// Creates the declared queues, topics and subscriptions in `emulator`, in file order,
    /// all or nothing: the whole file is first applied to a copy of the state, and only when
    /// every declaration succeeds is it applied to the emulator, in one step under its lock.
    /// The first one refused (with the service's message) is the error; `source` (the file's
    /// text) gives the line.
    ///
    /// A declared resource that already exists when the emulator starts (restored from a data
    /// directory, where it may have been changed at run time) is left as it is: a declaration
    /// means "exists at start", not "has these settings", so a restart never fails on
    /// settings changed since. Declaring one name twice in the file is still refused when the
    /// two differ.
    pub fn declare(&self, emulator: &Emulator, source: &str) -> Result<(), ConfigError> {
        let queue_home = (
            emulator.region().to_owned(),
            emulator.account_id().to_owned(),
        );
        emulator.with_engine(|engine, now| {
            let existing = Existing::of(self, engine);
            let mut scratch = Engine::from_image(engine.config().clone(), engine.export_image())
                .map_err(|e| at(source, 0, format!("cannot check the declarations: {e}")))?;
            self.apply(&mut scratch, &existing, &queue_home, now, source)?;
            self.apply(engine, &existing, &queue_home, now, source)
        })
    }

    /// Applies every declaration to `engine`, skipping those in `existing`.
    fn apply(
        &self,
        engine: &mut Engine,
        existing: &Existing,
        (region, account_id): &(String, String),
        now: Millis,
        source: &str,
    ) -> Result<(), ConfigError> {
        for (i, q) in self.queue.iter().enumerate() {
            let (span, q) = (q.span(), q.get_ref());
            let fail =
                |reason: String| at(source, span.start, format!("queue {:?}: {reason}", q.name));
            let kind = match q.kind.as_deref() {
                None => QueueKind::Normal,
                Some(k) => QueueKind::parse(k).map_err(|e| fail(e.message().to_owned()))?,
            };
            let dlq = match &q.dlq {
                None => None,
                Some(d) => {
                    let count = d
                        .max_receive_count
                        .ok_or_else(|| fail("a queue's dlq needs max_receive_count".to_owned()))?;
                    let mut policy = QueueDlqPolicy::new(d.target.clone(), count);
                    policy.enabled = d.enabled.unwrap_or(true);
                    Some(policy)
                }
            };
            if existing.queues[i] {
                continue;
            }
            let attrs = QueueAttributesInput {
                delay_seconds: q.delay_seconds,
                maximum_message_size: q.maximum_message_size,
                message_retention_period: q.message_retention_period,
                visibility_timeout: q.visibility_timeout,
                polling_wait_seconds: q.polling_wait_seconds,
                logging_enabled: q.logging_enabled,
            };
            engine
                .create_queue_with(&q.name, attrs, kind, dlq, now)
                .map_err(|e| fail(e.message().to_owned()))?;
        }
        for (i, t) in self.topic.iter().enumerate() {
            let (span, t) = (t.span(), t.get_ref());
            if !existing.topics[i] {
                let attrs = TopicAttributesInput {
                    maximum_message_size: t.maximum_message_size,
                    logging_enabled: t.logging_enabled,
                };
                engine.create_topic(&t.name, attrs, now).map_err(|e| {
                    at(
                        source,
                        span.start,
                        format!("topic {:?}: {}", t.name, e.message()),
                    )
                })?;
            }
            for (j, s) in t.subscription.iter().enumerate() {
                let (span, s) = (s.span(), s.get_ref());
                let fail = |reason: String| {
                    at(
                        source,
                        span.start,
                        format!("subscription {:?} of topic {:?}: {reason}", s.name, t.name),
                    )
                };
                let endpoint = match (&s.endpoint, &s.queue) {
                    (Some(e), None) => e.clone(),
                    (None, Some(q)) => format!("acs:mns:{region}:{account_id}:queues/{q}"),
                    _ => return Err(fail("give exactly one of endpoint and queue".to_owned())),
                };
                let policy = match &s.dlq {
                    None => None,
                    Some(d) if d.max_receive_count.is_some() => {
                        return Err(fail(
                            "a subscription's dlq has no max_receive_count".to_owned(),
                        ));
                    }
                    Some(d) => {
                        let mut policy = SubscriptionDlqPolicy::new(d.target.clone());
                        policy.enabled = d.enabled.unwrap_or(true);
                        Some(policy)
                    }
                };
                if existing.subscriptions[i][j] {
                    continue;
                }
                let input = SubscribeInput {
                    endpoint: Some(endpoint),
                    filter_tag: s.filter_tag.clone(),
                    notify_strategy: s.notify_strategy.clone(),
                    notify_content_format: s.notify_content_format.clone(),
                };
                engine
                    .subscribe(&t.name, &s.name, input, now)
                    .map_err(|e| fail(e.message().to_owned()))?;
                if policy.is_some() {
                    engine
                        .set_subscription_dlq_policy(&t.name, &s.name, policy, now)
                        .map_err(|e| fail(e.message().to_owned()))?;
                }
            }
        }
        Ok(())
    }
}

/// Which declarations name a resource that exists before any is applied (by position in the
/// file), so [`ConfigFile::declare`] leaves those alone.
struct Existing {
    queues: Vec<bool>,
    topics: Vec<bool>,
    subscriptions: Vec<Vec<bool>>,
}

impl Existing {
    fn of(file: &ConfigFile, engine: &Engine) -> Self {
        Existing {
            queues: file
                .queue
                .iter()
                .map(|q| engine.queue_exists(&q.get_ref().name))
                .collect(),
            topics: file
                .topic
                .iter()
                .map(|t| engine.topic_exists(&t.get_ref().name))
                .collect(),
            subscriptions: file
                .topic
                .iter()
                .map(|t| {
                    let t = t.get_ref();
                    t.subscription
                        .iter()
                        .map(|s| engine.subscription_meta(&t.name, &s.get_ref().name).is_ok())
                        .collect()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_an_access_key_secret() {
        let file = ConfigFile::parse(
            "access_keys = [\"ak:hunter2-secret\", \"no-colon-secret\"]\nadmin = true\n",
        )
        .unwrap();
        let shown = format!("{file:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(!shown.contains("no-colon-secret"), "{shown}");
        assert!(shown.contains("ak:<redacted>"), "{shown}");
        let keys = file.access_keys.unwrap();
        assert_eq!(&*keys[0], "ak:hunter2-secret", "the text itself is kept");
    }

    #[test]
    fn a_full_file_declares_everything() {
        let source = r#"
bind = "127.0.0.1:0"
admin = true
clock = "virtual"
start = "2026-01-01T00:00:00Z"
idle_timeout = "90s"
access_keys = ["ak:sk"]

[[queue]]
name = "dead"

[[queue]]
name = "orders"
visibility_timeout = 45
dlq = { target = "dead", max_receive_count = 3 }

[[queue]]
name = "ledger"
kind = "fifo"

[[topic]]
name = "events"

[[topic.subscription]]
name = "to-orders"
queue = "orders"
notify_content_format = "SIMPLIFIED"
dlq = { target = "dead" }
"#;
        let config = ConfigFile::parse(source).unwrap();
        assert_eq!(config.clock, Some(ClockSetting::Virtual));
        assert_eq!(config.idle_timeout, Some(Duration::from_secs(90)));
        let emu = Emulator::builder().build();
        config.declare(&emu, source).unwrap();
        assert_eq!(emu.queue_kind("ledger").unwrap(), QueueKind::Fifo);
        assert_eq!(
            emu.queue_dlq_policy("orders").unwrap(),
            Some(QueueDlqPolicy::new("dead", 3))
        );
        assert!(
            emu.subscription_dlq_policy("events", "to-orders")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn errors_name_the_line_and_the_reason() {
        let err = ConfigFile::parse("admin = true\nbnid = \"x\"\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.reason.contains("bnid"), "{err}");
        let err = ConfigFile::parse("\n\nclock = \"sometimes\"\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        let err = ConfigFile::parse("idle_timeout = \"soon\"\n").unwrap_err();
        assert!(err.reason.contains("soon"), "{err}");
        let source = "[[queue]]\nname = \"a\"\n\n[[queue]]\nname = \"b\"\nvisibility_timeout = 0\n";
        let config = ConfigFile::parse(source).unwrap();
        let emu = Emulator::builder().build();
        let err = config.declare(&emu, source).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.reason.starts_with("queue \"b\": "), "{err}");
        assert!(
            !emu.with_engine(|e, _| e.queue_exists("a")),
            "an invalid file creates nothing, not even the declarations before the bad one"
        );
        let source =
            "[[queue]]\nname = \"q\"\ndlq = { target = \"later\", max_receive_count = 2 }\n";
        let err = ConfigFile::parse(source)
            .unwrap()
            .declare(&Emulator::builder().build(), source)
            .unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    /// Declaring again over existing resources (a restart on a data directory) leaves them as
    /// they are, even when they were changed at run time, and creates only what is missing.
    #[test]
    fn existing_resources_are_left_as_they_are() {
        let source = "[[queue]]\nname = \"dead\"\n\n[[queue]]\nname = \"q\"\n\
                      dlq = { target = \"dead\", max_receive_count = 3 }\n\n\
                      [[topic]]\nname = \"t\"\n\n[[topic.subscription]]\nname = \"s\"\n\
                      queue = \"q\"\n";
        let config = ConfigFile::parse(source).unwrap();
        let emu = Emulator::builder().build();
        config.declare(&emu, source).unwrap();
        let changed = QueueAttributesInput {
            visibility_timeout: Some(99),
            ..QueueAttributesInput::default()
        };
        emu.with_engine(|e, now| e.set_queue_attributes("q", changed, now))
            .unwrap();
        emu.set_queue_dlq_policy("q", None).unwrap();
        emu.with_engine(|e, now| e.delete_queue("dead", now))
            .unwrap();
        config.declare(&emu, source).unwrap();
        let attrs = emu
            .with_engine(|e, now| e.get_queue_attributes("q", now))
            .unwrap();
        assert_eq!(attrs.visibility_timeout, 99, "run-time settings kept");
        assert_eq!(emu.queue_dlq_policy("q").unwrap(), None);
        assert!(emu.with_engine(|e, _| e.queue_exists("dead")), "recreated");
    }
}
