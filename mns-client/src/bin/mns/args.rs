//! The command line: global options, commands and their arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, shown at the end of `--help` and documented in the README.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  any other error (network, timeout, a service error not listed below, messages left behind)
  2  invalid input (bad arguments, a value MNS refuses, an invalid endpoint)
  3  not found (queue, topic, subscription or message does not exist)
  4  authentication or authorisation failure (no credentials, bad key, bad signature, denied)
  5  throttled (QpsLimitExceeded, TooManyRequests, HTTP 429)

Configuration (first match wins):
  endpoint     --endpoint / MNS_ENDPOINT, else --account-id + --region (MNS_ACCOUNT_ID, MNS_REGION)
  credentials  --profile NAME (a profile of ~/.aliyun/config.json, as the aliyun CLI reads it),
               else the default chain: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, OIDC, config.json,
               ~/.alibabacloud/credentials, ECS RAM role, credentials URI
  --emulator   runs the command against a fresh embedded emulator (state ends with the command)";

/// `mns`: operations CLI for Alibaba Cloud Message Service (MNS).
#[derive(Debug, Parser)]
#[command(name = "mns", version, about, after_long_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable tables.
    Table,
    /// JSON: one document per result; lists and message streams print one JSON object per line.
    Json,
}

/// How message bodies are encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Codec {
    /// UTF-8 text as-is (Go/Node SDK default).
    Raw,
    /// Base64 (Python/Java/PHP SDK default).
    Base64,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Service base URL, e.g. `https://ACCOUNT.mns.cn-hangzhou.aliyuncs.com`.
    #[arg(long, env = "MNS_ENDPOINT", global = true)]
    pub(crate) endpoint: Option<String>,
    /// Account id, with --region, when no endpoint is given.
    #[arg(long, env = "MNS_ACCOUNT_ID", global = true)]
    pub(crate) account_id: Option<String>,
    /// Region (e.g. cn-hangzhou): builds the endpoint with --account-id and scopes V4 signatures.
    #[arg(long, env = "MNS_REGION", global = true)]
    pub(crate) region: Option<String>,
    /// With --account-id: use the internal (same-region ECS) endpoint.
    #[arg(long, global = true)]
    pub(crate) internal: bool,
    /// A profile of ~/.aliyun/config.json (ALIBABA_CLOUD_CONFIG_FILE overrides the path).
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
    /// Request signature: v2 (HMAC-SHA1), v4 or apsara-v4.
    #[arg(
        long,
        env = "MNS_SIGNATURE_VERSION",
        global = true,
        default_value = "v2"
    )]
    pub(crate) signature_version: String,
    /// Start an embedded emulator and run the command against it (for a quick try).
    #[arg(long, global = true)]
    pub(crate) emulator: bool,
    /// Output format.
    #[arg(long, short = 'o', value_enum, global = true, default_value = "table")]
    pub(crate) output: OutputFormat,
    /// Message body encoding.
    #[arg(long, value_enum, global = true, default_value = "raw")]
    pub(crate) codec: Codec,
    /// Timeout of one request attempt, in seconds.
    #[arg(long, global = true, default_value_t = 10)]
    pub(crate) timeout: u64,
    /// Retries of a failed request (5xx, throttling, timeouts, connection errors); 0: none.
    #[arg(long, global = true, default_value_t = 10)]
    pub(crate) max_retries: u32,
    /// No progress bars (they are only ever drawn on a terminal).
    #[arg(long, short = 'q', global = true)]
    pub(crate) quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Queue administration.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Topic administration and publishing.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// Subscriptions of a topic.
    #[command(subcommand)]
    Subscription(SubscriptionCommand),
    /// Send messages: BODY, --file, or standard input; --lines sends one message per line.
    Send(SendArgs),
    /// Receive messages (they become invisible for the visibility timeout; --delete removes them).
    Receive(ReceiveArgs),
    /// Show visible messages without receiving them.
    Peek(PeekArgs),
    /// Delete messages by receipt handle.
    Delete(DeleteArgs),
    /// Delete every visible message of a queue (the queue itself stays).
    Purge(PurgeArgs),
    /// Receive, print and delete every visible message, with progress.
    Drain(DrainArgs),
    /// Move messages from one queue to another (send, then delete): at-least-once, resumable.
    Move(MoveArgs),
    /// The same as `move`, named for sending dead letters back to their source queue.
    Redrive(MoveArgs),
    /// Message counts of queues by state (visible, in flight, delayed).
    Stats(StatsArgs),
    /// Refresh `stats` every interval.
    Watch(WatchArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Queue attributes settable on create and set.
#[derive(Debug, Args, Default)]
pub(crate) struct QueueSettings {
    /// Default delay of new messages, seconds (0–604800).
    #[arg(long)]
    pub(crate) delay: Option<u32>,
    /// Largest body, bytes (1024–65536).
    #[arg(long)]
    pub(crate) max_message_size: Option<u32>,
    /// Retention, seconds (60–604800).
    #[arg(long)]
    pub(crate) retention: Option<u32>,
    /// Visibility timeout, seconds (1–43200).
    #[arg(long)]
    pub(crate) visibility_timeout: Option<u32>,
    /// Default long-poll wait, seconds (0–30).
    #[arg(long)]
    pub(crate) polling_wait: Option<u32>,
    /// Access logging.
    #[arg(long)]
    pub(crate) logging: Option<bool>,
}

/// `mns queue ...`
#[derive(Debug, Subcommand)]
pub(crate) enum QueueCommand {
    /// Create a queue (succeeds if an identical one exists).
    Create {
        /// Queue name.
        name: String,
        /// Attributes.
        #[command(flatten)]
        settings: QueueSettings,
    },
    /// Show a queue's attributes and message counts.
    Get {
        /// Queue name.
        name: String,
    },
    /// Change a queue's attributes.
    Set {
        /// Queue name.
        name: String,
        /// Attributes to change.
        #[command(flatten)]
        settings: QueueSettings,
    },
    /// Delete a queue and its messages.
    Delete {
        /// Queue name.
        name: String,
    },
    /// List queues.
    List {
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
    },
}

/// `mns topic ...`
#[derive(Debug, Subcommand)]
pub(crate) enum TopicCommand {
    /// Create a topic.
    Create {
        /// Topic name.
        name: String,
        /// Largest body, bytes (1024–65536).
        #[arg(long)]
        max_message_size: Option<u32>,
        /// Access logging.
        #[arg(long)]
        logging: Option<bool>,
    },
    /// Show a topic's attributes.
    Get {
        /// Topic name.
        name: String,
    },
    /// Change a topic's attributes.
    Set {
        /// Topic name.
        name: String,
        /// Largest body, bytes (1024–65536).
        #[arg(long)]
        max_message_size: Option<u32>,
        /// Access logging.
        #[arg(long)]
        logging: Option<bool>,
    },
    /// Delete a topic and its subscriptions.
    Delete {
        /// Topic name.
        name: String,
    },
    /// List topics.
    List {
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Publish a message (BODY, --file, or standard input).
    Publish {
        /// Topic name.
        topic: String,
        /// The body (else --file, else standard input).
        body: Option<String>,
        /// Read the body from this file (`-` for standard input).
        #[arg(long, conflicts_with = "body")]
        file: Option<PathBuf>,
        /// Message tag (subscriptions with a matching filter tag receive it).
        #[arg(long)]
        tag: Option<String>,
    },
}

/// `mns subscription ...`
#[derive(Debug, Subcommand)]
pub(crate) enum SubscriptionCommand {
    /// Subscribe an endpoint to a topic.
    Create {
        /// Topic name.
        topic: String,
        /// Subscription name.
        name: String,
        /// Where notifications go: an http(s) URL, acs:mns:REGION:ACCOUNT:queues/NAME,
        /// mail:directmail:ADDRESS, sms:directsms:anonymous or PHONE, push:APPKEY.
        #[arg(value_name = "ENDPOINT")]
        target: String,
        /// Only messages with this tag.
        #[arg(long)]
        filter_tag: Option<String>,
        /// BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY.
        #[arg(long)]
        notify_strategy: Option<String>,
        /// XML, JSON or SIMPLIFIED.
        #[arg(long)]
        notify_content_format: Option<String>,
    },
    /// Show a subscription.
    Get {
        /// Topic name.
        topic: String,
        /// Subscription name.
        name: String,
    },
    /// Change a subscription's notify strategy or filter tag.
    Set {
        /// Topic name.
        topic: String,
        /// Subscription name.
        name: String,
        /// BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY.
        #[arg(long)]
        notify_strategy: Option<String>,
        /// Only messages with this tag.
        #[arg(long)]
        filter_tag: Option<String>,
    },
    /// Unsubscribe.
    Delete {
        /// Topic name.
        topic: String,
        /// Subscription name.
        name: String,
    },
    /// List a topic's subscriptions.
    List {
        /// Topic name.
        topic: String,
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
    },
}

/// `mns send`
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Queue name.
    pub(crate) queue: String,
    /// The body (else --file, else standard input).
    pub(crate) body: Option<String>,
    /// Read from this file (`-` for standard input).
    #[arg(long, conflicts_with = "body")]
    pub(crate) file: Option<PathBuf>,
    /// One message per input line (empty lines skipped), sent in batches of up to 16.
    #[arg(long)]
    pub(crate) lines: bool,
    /// User property NAME=VALUE or NAME:TYPE=VALUE (TYPE: string, number, boolean, binary).
    #[arg(long = "property", short = 'p')]
    pub(crate) properties: Vec<String>,
    /// Delay before the message becomes visible, seconds (0–604800).
    #[arg(long)]
    pub(crate) delay: Option<u32>,
    /// Priority, 1 (highest) to 16 (lowest).
    #[arg(long)]
    pub(crate) priority: Option<u8>,
    /// Message group id (required by FIFO queues; messages of one group are received in order).
    #[arg(long = "group-id")]
    pub(crate) group_id: Option<String>,
}

/// `mns receive`
#[derive(Debug, Args)]
pub(crate) struct ReceiveArgs {
    /// Queue name.
    pub(crate) queue: String,
    /// How many messages at most.
    #[arg(long, short = 'n', default_value_t = 1)]
    pub(crate) count: usize,
    /// Long-poll wait per request, seconds (0–30; default: the queue's PollingWaitSeconds).
    #[arg(long)]
    pub(crate) wait: Option<u64>,
    /// Delete each message once printed.
    #[arg(long)]
    pub(crate) delete: bool,
}

/// `mns peek`
#[derive(Debug, Args)]
pub(crate) struct PeekArgs {
    /// Queue name.
    pub(crate) queue: String,
    /// How many messages at most (1–16).
    #[arg(long, short = 'n', default_value_t = 1)]
    pub(crate) count: usize,
}

/// `mns delete`
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Queue name.
    pub(crate) queue: String,
    /// Receipt handles (from `mns receive`).
    #[arg(required = true)]
    pub(crate) handles: Vec<String>,
}

/// `mns purge`
#[derive(Debug, Args)]
pub(crate) struct PurgeArgs {
    /// Queue name.
    pub(crate) queue: String,
    /// Long-poll wait per receive, seconds (0–30); the purge ends at the first empty receive.
    #[arg(long, default_value_t = 1)]
    pub(crate) wait: u64,
    /// Required: purging deletes messages for good.
    #[arg(long)]
    pub(crate) yes: bool,
}

/// `mns drain`
#[derive(Debug, Args)]
pub(crate) struct DrainArgs {
    /// Queue name.
    pub(crate) queue: String,
    /// Long-poll wait per receive, seconds (0–30); the drain ends at the first empty receive.
    #[arg(long, default_value_t = 1)]
    pub(crate) wait: u64,
    /// Stop after this many messages.
    #[arg(long)]
    pub(crate) max: Option<u64>,
}

/// `mns move` / `mns redrive`
#[derive(Debug, Args)]
pub(crate) struct MoveArgs {
    /// Source queue (e.g. the dead-letter queue).
    pub(crate) from: String,
    /// Destination queue.
    pub(crate) to: String,
    /// Most messages per second (0: unlimited).
    #[arg(long, default_value_t = 0)]
    pub(crate) rate: u32,
    /// Stop after this many messages.
    #[arg(long)]
    pub(crate) max: Option<u64>,
    /// Batches in flight at once (1–64).
    #[arg(long, default_value_t = 4)]
    pub(crate) concurrency: usize,
    /// Long-poll wait per receive, seconds (0–30); a worker stops at its first empty receive.
    #[arg(long, default_value_t = 1)]
    pub(crate) wait: u64,
}

/// `mns stats`
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Queues (default: every queue, or those matching --prefix).
    pub(crate) queues: Vec<String>,
    /// Only queues whose name starts with this.
    #[arg(long, conflicts_with = "queues")]
    pub(crate) prefix: Option<String>,
}

/// `mns watch`
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Which queues.
    #[command(flatten)]
    pub(crate) stats: StatsArgs,
    /// Seconds between refreshes.
    #[arg(long, default_value_t = 2)]
    pub(crate) interval: u64,
    /// Stop after this many refreshes (default: until interrupted).
    #[arg(long)]
    pub(crate) count: Option<u64>,
}
