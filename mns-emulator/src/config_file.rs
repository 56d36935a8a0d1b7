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
//! An invalid file fails at start with the line and the reason ([`ConfigError`]); so does a
//! declaration the service would refuse (a bad attribute value, a DLQ target declared later).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::Emulator;
use crate::engine::{
    QueueAttributesInput, QueueDlqPolicy, QueueKind, SubscribeInput, SubscriptionDlqPolicy,
    TopicAttributesInput,
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

    /// Creates the declared queues, topics and subscriptions in `emulator`, in file order. The
    /// first one refused (with the service's message) stops it; `source` (the file's text) gives
    /// the line.
    pub fn declare(&self, emulator: &Emulator, source: &str) -> Result<(), ConfigError> {
        for q in &self.queue {
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
            let attrs = QueueAttributesInput {
                delay_seconds: q.delay_seconds,
                maximum_message_size: q.maximum_message_size,
                message_retention_period: q.message_retention_period,
                visibility_timeout: q.visibility_timeout,
                polling_wait_seconds: q.polling_wait_seconds,
                logging_enabled: q.logging_enabled,
            };
            emulator
                .create_queue_with(&q.name, attrs, kind, dlq)
                .map_err(|e| fail(e.message().to_owned()))?;
        }
        for t in &self.topic {
            let (span, t) = (t.span(), t.get_ref());
            let attrs = TopicAttributesInput {
                maximum_message_size: t.maximum_message_size,
                logging_enabled: t.logging_enabled,
            };
            emulator
                .with_engine(|e, now| e.create_topic(&t.name, attrs, now))
                .map_err(|e| {
                    at(
                        source,
                        span.start,
                        format!("topic {:?}: {}", t.name, e.message()),
                    )
                })?;
            for s in &t.subscription {
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
                    (None, Some(q)) => format!(
                        "acs:mns:{}:{}:queues/{q}",
                        emulator.region(),
                        emulator.account_id()
                    ),
                    _ => return Err(fail("give exactly one of endpoint and queue".to_owned())),
                };
                let input = SubscribeInput {
                    endpoint: Some(endpoint),
                    filter_tag: s.filter_tag.clone(),
                    notify_strategy: s.notify_strategy.clone(),
                    notify_content_format: s.notify_content_format.clone(),
                };
                emulator
                    .with_engine(|e, now| e.subscribe(&t.name, &s.name, input, now))
                    .map_err(|e| fail(e.message().to_owned()))?;
                if let Some(d) = &s.dlq {
                    if d.max_receive_count.is_some() {
                        return Err(fail(
                            "a subscription's dlq has no max_receive_count".to_owned(),
                        ));
                    }
                    let mut policy = SubscriptionDlqPolicy::new(d.target.clone());
                    policy.enabled = d.enabled.unwrap_or(true);
                    emulator
                        .set_subscription_dlq_policy(&t.name, &s.name, Some(policy))
                        .map_err(|e| fail(e.message().to_owned()))?;
                }
            }
        }
        Ok(())
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
        let source =
            "[[queue]]\nname = \"q\"\ndlq = { target = \"later\", max_receive_count = 2 }\n";
        let err = ConfigFile::parse(source)
            .unwrap()
            .declare(&Emulator::builder().build(), source)
            .unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }
}
