//! [`EngineConfig`]: the one place where every "unconfirmed" service behaviour is decided.
//!
//! Each field documents what the reference knows and why the default was chosen. Change a
//! default here (or per emulator instance) when the real service is shown to behave otherwise.

use super::Millis;
use super::limits;

/// Engine settings: limits that differ between documentation versions and every behaviour the
/// reference marks "unconfirmed".
///
/// `EngineConfig::default()` is the emulator's best reading of the current service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Upper bound of `MessageRetentionPeriod` in seconds. Current docs: 604800 (7 days, default);
    /// older docs and the Go SDK: 1296000 (15 days).
    pub max_retention_seconds: u32,
    /// Maximum queue name length. Current docs: 120 (default); older docs and error text: 256.
    pub max_queue_name_len: usize,
    /// `DeleteQueue` on a missing queue: `false` (default) answers success (204); `true` answers
    /// 404 `QueueNotExist`. Unconfirmed.
    pub delete_missing_queue_is_error: bool,
    /// `CreateQueue` on an existing queue: `true` (default) compares effective values (the requested
    /// value, else the default) with the queue's, so omitting an attribute that was set differently
    /// gives 409; `false` compares only the attributes present in the request. Unconfirmed.
    pub create_compares_effective_values: bool,
    /// How long after `DeleteQueue` a `CreateQueue` of the same name fails with 400
    /// `QueueDeletedRecently`, in milliseconds. Default 0 (off): the window is unpublished.
    pub queue_deleted_recently_window: Millis,
    /// Whether `ChangeMessageVisibility` accepts `VisibilityTimeout=0` (the Python SDK allows it;
    /// the docs say 1–43200). Default `false`.
    pub change_visibility_allows_zero: bool,
    /// Whether the receipt handle returned by `SendMessage` for a delayed message can delete the
    /// message (or change its delay) while it is still Delayed. Default `true`. Unconfirmed.
    pub delayed_send_handle_valid: bool,
    /// Whether `GetQueueAttributes` reports real `ActiveMessages`/`InactiveMessages`/`DelayMessages`
    /// (default `true`) or 0 as the service announced it will.
    pub report_message_counts: bool,
    /// Maximum number of queues; `None` (default) means unlimited. The service's default quota is
    /// 1000 per region; its error code is unpublished ([`EngineConfig::queue_quota_error_code`]).
    pub max_queues: Option<usize>,
    /// Error code answered when [`EngineConfig::max_queues`] is reached (unpublished; HTTP 400).
    pub queue_quota_error_code: &'static str,
    /// System property names a message may carry, each at most once (default
    /// [`limits::SYSTEM_PROPERTY_NAMES`]: the six names SDKs know). Whether the service refuses
    /// other names is unconfirmed; refusing them keeps system properties bounded in number.
    pub system_property_names: &'static [&'static str],
    /// Seed for message ids and receipt-handle keys. `None` (default) picks a random seed per engine;
    /// a fixed seed makes ids and handles reproducible.
    pub seed: Option<u64>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_retention_seconds: limits::MAX_RETENTION_SECONDS,
            max_queue_name_len: limits::MAX_QUEUE_NAME_LEN,
            delete_missing_queue_is_error: false,
            create_compares_effective_values: true,
            queue_deleted_recently_window: 0,
            change_visibility_allows_zero: false,
            delayed_send_handle_valid: true,
            report_message_counts: true,
            max_queues: None,
            queue_quota_error_code: "QueueNumExceededLimit",
            system_property_names: limits::SYSTEM_PROPERTY_NAMES,
            seed: None,
        }
    }
}
