//! The sans-IO engine: all emulator state, driven by explicit `now` values.
//!
//! [`Engine`] owns the queue registry and each queue's message store (`queue.rs`). It reads no
//! clock and does no I/O: every method gets `now` (epoch milliseconds) from the caller, which
//! makes every time-dependent behaviour testable with plain numbers. Its only locks are one per
//! queue, which the `&mut self` methods pass through for free and which let
//! [`Engine::shared_queue`] run the hot message operations of different queues at once through
//! `&Engine`. The HTTP layer keeps one `Engine` behind a read-write lock (exclusive for
//! everything but those operations) and uses [`Engine::next_wakeup`] to sleep exactly until a
//! long poll can be answered.
//!
//! Time only moves forward inside the engine: a `now` older than one already seen is treated as
//! the newest seen, so a wall clock stepping back cannot reorder messages or resurrect them.
//!
//! ```
//! use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, SendMessageInput};
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! engine.create_queue("jobs", QueueAttributesInput::default(), 1_000).unwrap();
//! engine.send_messages("jobs", vec![SendMessageInput::new("hello")], 1_000).unwrap();
//! let got = engine.receive_messages("jobs", 1, 2_000).unwrap();
//! assert_eq!(got[0].body, "hello");
//! assert_eq!(got[0].next_visible_time, 2_000 + 30_000);
//! engine.delete_message("jobs", &got[0].receipt_handle, 3_000).unwrap();
//! ```

mod account;
mod changes;
mod config;
mod control_meta;
mod dead_letter;
mod delivery;
mod ids;
pub mod image;
pub mod limits;
mod messages;
pub mod notify_format;
mod properties;
mod queue;
mod reset;
mod shared_queue;
mod subscription;
mod subscription_dlq;
mod subscription_ops;
mod topic;
mod types;

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::AtomicU64;

use base64::Engine as _;

pub use account::{AccountSettings, ControlAccountSettings};
pub use changes::{__change_tracking, ChangeSet, RowChange};
pub use config::{DlqMoveTiming, EngineConfig};
pub use control_meta::{
    MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN, MAX_TAGS, RateLimitPolicy, ResourceMeta, ResourceTag,
    validate_tags,
};
pub use dead_letter::{QueueDlqPolicy, QueueKind, SubscriptionDlqPolicy};
pub use delivery::{
    AttemptOutcome, DeliveryAttempt, DeliveryRecord, DeliveryTotals, DueDeliveries, HttpPush,
    MAX_LOG_ENTRIES, TOPIC_RETENTION_MILLIS,
};
pub use image::{
    DeliveryImage, DlqPolicyImage, ForwardedImage, GlobalsImage, ImageError, MessageImage,
    MessageStateImage, MetaImage, PropertyImage, QueueImage, QueueKindImage, RateLimitImage,
    STATE_FORMAT_VERSION, StateImage, SubscriptionImage, TagImage, TopicImage, check_version,
};
pub use limits::{validate_batch_size, validate_wait_seconds};
pub use shared_queue::{LockedQueue, SharedQueue};
pub use subscription::{
    Endpoint, MAX_TAG_LEN, NotifyContentFormat, NotifyStrategy, SubscribeInput,
    SubscriptionAttributes, SubscriptionUpdate,
};
pub use topic::{
    DEFAULT_TOPIC_MAXIMUM_MESSAGE_SIZE, MAX_TOPIC_NAME_LEN, PublishMessageInput, PublishedMessage,
    SubscriptionPage, TOPIC_MESSAGE_RETENTION_SECONDS, TopicAttributes, TopicAttributesInput,
    TopicPage, validate_subscription_name, validate_topic_name,
};
pub use types::{
    BatchDeleteFailure, CreateOutcome, ListRequest, MessageSnapshot, MessageState, PeekedMessage,
    QueueAttributes, QueueAttributesInput, QueuePage, ReceivedMessage, SendMessageInput,
    SentMessage, SystemProperty, UserProperty, VisibilityChanged,
};

use crate::error::{ErrorCode, MnsError};
use ids::IdCodec;
use queue::{QueueSettings, QueueStore, StoreMode};
pub(crate) use shared_queue::CachePadded;
use shared_queue::QueueCell;

/// Epoch milliseconds: the engine's only notion of time.
pub type Millis = u64;

/// All queues and their messages. See the [module docs](self).
///
/// `Debug` shows the settings and queue names only, never message bodies.
pub struct Engine {
    config: EngineConfig,
    /// The seed ids, handles and retry delays derive from (kept for the state image).
    seed: u64,
    codec: IdCodec,
    /// Each queue's store behind its own lock (`shared_queue.rs`): `&mut self` methods reach it
    /// without locking, [`Engine::shared_queue`] through `&self`.
    queues: BTreeMap<String, QueueCell>,
    /// Queue name → deletion time, for `QueueDeletedRecently` (only when the window is on).
    deleted_recently: HashMap<String, Millis>,
    /// The next message sequence number (atomic: shared queues take numbers through `&self`).
    next_seq: CachePadded<AtomicU64>,
    /// The newest `now` seen; time never goes backwards inside the engine (atomic: shared
    /// queues raise it through `&self`).
    high_water: CachePadded<AtomicU64>,
    /// Topics, subscriptions and pending deliveries (`topic.rs`, `delivery.rs`).
    topics: topic::Topics,
    /// Source queue → target of its enabled DLQ policy (`dead_letter.rs`).
    dlq_sources: dead_letter::DlqLinks,
    /// Queues that received dead letters since [`Engine::take_woken_queues`] was last called.
    woken: Vec<String>,
    /// Change tracking for persistence (`changes.rs`); off by default.
    log: changes::ChangeLog,
    /// Account-level settings (`account.rs`).
    account: AccountSettings,
    /// Which state this is: [`Engine::replace_with`] gives the new state the next number, so an
    /// HTTP push handed out before is not settled against the new state's deliveries.
    epoch: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("queues", &self.queues.keys().collect::<Vec<_>>())
            .field("topics", &self.topics.len())
            .field("now", &self.now())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An empty engine with these settings.
    pub fn new(config: EngineConfig) -> Self {
        let seed = config.seed.unwrap_or_else(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x006d_6e73_u64)
        });
        Engine {
            seed,
            codec: IdCodec::new(seed),
            config,
            queues: BTreeMap::new(),
            deleted_recently: HashMap::new(),
            next_seq: CachePadded(AtomicU64::new(0)),
            high_water: CachePadded(AtomicU64::new(0)),
            topics: topic::Topics::new(seed),
            dlq_sources: dead_letter::DlqLinks::default(),
            woken: Vec::new(),
            log: changes::ChangeLog::default(),
            account: AccountSettings::default(),
            epoch: 0,
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    fn observe(&mut self, now: Millis) -> Millis {
        let high_water = self.high_water.get_mut();
        *high_water = (*high_water).max(now);
        *high_water
    }

    /// Takes the next message sequence number.
    fn take_seq(&mut self) -> u64 {
        let next = self.next_seq.get_mut();
        let seq = *next;
        *next += 1;
        seq
    }

    /// The queue, advanced to `now` (dead letters moved, see [`Engine::advance_queue`]).
    fn queue_at(&mut self, name: &str, now: Millis) -> Result<&mut QueueStore, MnsError> {
        self.advance_queue(name, now)?;
        self.queues
            .get_mut(name)
            .map(QueueCell::get_mut)
            .ok_or_else(MnsError::queue_not_exist)
    }

    fn require_queue(&self, name: &str) -> Result<(), MnsError> {
        if self.queues.contains_key(name) {
            Ok(())
        } else {
            Err(MnsError::queue_not_exist())
        }
    }

    /// Validates attribute inputs, returning the fields present as resolved values.
    fn resolve_attributes(
        &self,
        attrs: &QueueAttributesInput,
        base: QueueSettings,
    ) -> Result<QueueSettings, MnsError> {
        let mut s = base;
        if let Some(v) = attrs.delay_seconds {
            s.delay_seconds = limits::validate_delay_seconds(v)?;
        }
        if let Some(v) = attrs.maximum_message_size {
            s.maximum_message_size = limits::validate_maximum_message_size(v)?;
        }
        if let Some(v) = attrs.message_retention_period {
            s.message_retention_period =
                limits::validate_retention_period(v, self.config.max_retention_seconds)?;
        }
        if let Some(v) = attrs.visibility_timeout {
            s.visibility_timeout = limits::validate_visibility_timeout(v)?;
        }
        if let Some(v) = attrs.polling_wait_seconds {
            s.polling_wait_seconds = limits::validate_polling_wait_seconds(v)?;
        }
        if let Some(v) = attrs.logging_enabled {
            s.logging_enabled = v;
        }
        Ok(s)
    }

    /// `CreateQueue`: [`CreateOutcome::Created`] (201), [`CreateOutcome::Existed`] when a queue with
    /// the same attributes exists (204), 409 `QueueAlreadyExist` when its attributes differ.
    ///
    /// How attributes are compared is [`EngineConfig::create_compares_effective_values`].
    /// The queue is a normal one with no DLQ policy (the XML API has neither); an existing FIFO
    /// queue with the same attributes is [`CreateOutcome::Existed`]. See
    /// [`Engine::create_queue_with`] for the control-plane settings.
    pub fn create_queue(
        &mut self,
        name: &str,
        attrs: QueueAttributesInput,
        now: Millis,
    ) -> Result<CreateOutcome, MnsError> {
        self.create_queue_of_kind(name, attrs, QueueKind::Normal, now)
    }

    /// `CreateQueue` of a queue of `kind` (an existing queue's kind is not compared).
    fn create_queue_of_kind(
        &mut self,
        name: &str,
        attrs: QueueAttributesInput,
        kind: QueueKind,
        now: Millis,
    ) -> Result<CreateOutcome, MnsError> {
        limits::validate_queue_name(name, self.config.max_queue_name_len)?;
        let requested = self.resolve_attributes(&attrs, QueueSettings::default())?;
        let now = self.observe(now);
        if let Some(existing) = self.queues.get(name) {
            let existing = existing.lock().settings;
            let same = if self.config.create_compares_effective_values {
                existing == requested
            } else {
                // Compare only what the request names: overlay it on the existing settings.
                self.resolve_attributes(&attrs, existing)? == existing
            };
            return if same {
                Ok(CreateOutcome::Existed)
            } else {
                Err(MnsError::queue_already_exist())
            };
        }
        if let Some(&deleted_at) = self.deleted_recently.get(name) {
            if now < deleted_at.saturating_add(self.config.queue_deleted_recently_window) {
                return Err(MnsError::queue_deleted_recently());
            }
            self.deleted_recently.remove(name);
        }
        if let Some(max) = self.config.max_queues
            && self.queues.len() >= max
        {
            return Err(MnsError::new(
                ErrorCode::Other(self.config.queue_quota_error_code.to_owned()),
                format!("The number of queues exceeds the limit of {max}."),
            ));
        }
        self.queues.insert(
            name.to_owned(),
            QueueCell::new(QueueStore::new(
                name.to_owned(),
                requested,
                StoreMode::new(kind, &self.config),
                now,
            )),
        );
        self.queue_meta_changed(name);
        Ok(CreateOutcome::Created)
    }

    /// `SetQueueAttributes`: changes only the attributes present and bumps `LastModifyTime`.
    ///
    /// New values apply from now on: `VisibilityTimeout` to later receives, `DelaySeconds` to later
    /// sends; a shorter `MessageRetentionPeriod` expires old messages at once.
    pub fn set_queue_attributes(
        &mut self,
        name: &str,
        attrs: QueueAttributesInput,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        let base = self
            .queues
            .get_mut(name)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut()
            .settings;
        let settings = self.resolve_attributes(&attrs, base)?;
        let q = self.queue_at(name, now)?;
        q.settings = settings;
        q.last_modify_time = now;
        self.queue_meta_changed(name);
        self.advance_queue(name, now)
    }

    /// `GetQueueAttributes`, with exact message counters as of `now`.
    pub fn get_queue_attributes(
        &mut self,
        name: &str,
        now: Millis,
    ) -> Result<QueueAttributes, MnsError> {
        let now = self.observe(now);
        let report = self.config.report_message_counts;
        Ok(self.queue_at(name, now)?.attributes(report))
    }

    /// `DeleteQueue`: discards the queue and all its messages.
    ///
    /// A missing queue is success unless [`EngineConfig::delete_missing_queue_is_error`].
    pub fn delete_queue(&mut self, name: &str, now: Millis) -> Result<(), MnsError> {
        let now = self.observe(now);
        self.dlq_sources.remove(name);
        if self.queues.remove(name).is_none() {
            return if self.config.delete_missing_queue_is_error {
                Err(MnsError::queue_not_exist())
            } else {
                Ok(())
            };
        }
        self.log.drop_queue(name);
        if self.config.queue_deleted_recently_window > 0 {
            let window = self.config.queue_deleted_recently_window;
            self.deleted_recently
                .retain(|_, &mut at| now < at.saturating_add(window));
            self.deleted_recently.insert(name.to_owned(), now);
        }
        Ok(())
    }

    /// `ListQueue`: queues sorted by name, filtered by prefix, one page at a time.
    ///
    /// `next_marker` is opaque (base64 of the next name) and is present only when more queues match.
    pub fn list_queues(&mut self, req: ListRequest, now: Millis) -> Result<QueuePage, MnsError> {
        let now = self.observe(now);
        let report = self.config.report_message_counts;
        let (names, next_marker) = {
            let (items, next) = list_page(&self.queues, &req)?;
            let names: Vec<String> = items.into_iter().map(|(n, _)| n.clone()).collect();
            (names, next)
        };
        let mut queues = Vec::with_capacity(names.len());
        for name in &names {
            if self.advance_queue(name, now).is_ok()
                && let Some(q) = self.queues.get_mut(name)
            {
                queues.push(q.get_mut().attributes(report));
            }
        }
        Ok(QueuePage {
            queues,
            next_marker,
        })
    }

    /// The earliest instant at or after which a message of `queue` is visible: `Some(t <= now)` if
    /// one may be visible already, the next delay maturing or visibility timeout passing otherwise,
    /// `None` if nothing will ever become visible without a new send (or the queue is missing).
    pub fn next_wakeup(&self, queue: &str, now: Millis) -> Option<Millis> {
        let now = self.now().max(now);
        let own = self.queues.get(queue)?.lock().next_wakeup(now);
        match (own, self.sources_next_timer(queue)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `queue` may hold a message a receive could take right now (a visible message, or a
    /// timer already due as of the latest time the engine has seen). Cheap: no advancing, no
    /// allocation. Used to wake one long poll rather than all of them; a `true` that a receive
    /// then finds stale (a FIFO group still locked) costs one spurious wake-up, never a message.
    pub(crate) fn receivable_now(&self, queue: &str) -> bool {
        let now = self.now();
        self.queues
            .get(queue)
            .and_then(|q| q.lock().next_wakeup(now))
            .is_some_and(|at| at <= now)
    }

    /// The queue's `PollingWaitSeconds` (the long-poll wait when a request gives none).
    pub fn polling_wait_seconds(&self, queue: &str) -> Result<u32, MnsError> {
        Ok(self
            .queues
            .get(queue)
            .ok_or_else(MnsError::queue_not_exist)?
            .lock()
            .settings
            .polling_wait_seconds)
    }

    /// Every message stored in `queue` as of `now`, in send order, with state and current handle.
    pub fn inspect_queue(
        &mut self,
        queue: &str,
        now: Millis,
    ) -> Result<Vec<MessageSnapshot>, MnsError> {
        let now = self.observe(now);
        let codec = self.codec.clone();
        Ok(self.queue_at(queue, now)?.snapshot(&codec))
    }

    /// Number of messages stored in `queue` (all states) as of `now`.
    pub fn queue_len(&mut self, queue: &str, now: Millis) -> Result<usize, MnsError> {
        let now = self.observe(now);
        Ok(self.queue_at(queue, now)?.len())
    }

    /// Number of FIFO message groups of `queue` that hold messages (0 for a normal queue).
    pub fn message_group_count(&self, queue: &str) -> Result<usize, MnsError> {
        Ok(self
            .queues
            .get(queue)
            .ok_or_else(MnsError::queue_not_exist)?
            .lock()
            .group_count())
    }

    /// Whether the queue exists.
    pub fn queue_exists(&self, queue: &str) -> bool {
        self.queues.contains_key(queue)
    }

    /// Fault injection: the message behind `receipt_handle` becomes visible again at once (as if
    /// its visibility timeout had passed); the handle stops working. `DequeueCount` is unchanged.
    pub fn redeliver_now(
        &mut self,
        queue: &str,
        receipt_handle: &str,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        self.require_queue(queue)?;
        self.advance_queue(queue, now)?;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut();
        let result = q
            .change_visibility(receipt_handle, 0, &self.codec, &self.config, now)
            .map(|_| ());
        self.flush_dead_letters(queue, now);
        result
    }

    /// Fault injection: every receipt handle issued so far for `queue` stops working (as if each
    /// message had been re-received elsewhere). Messages keep their state and visibility times.
    pub fn expire_receipt_handles(&mut self, queue: &str) -> Result<(), MnsError> {
        self.queues
            .get_mut(queue)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut()
            .expire_receipt_handles();
        self.log.queue(queue);
        Ok(())
    }
}

/// One page of a listing and the marker of the next page.
type Page<'a, T> = (Vec<(&'a String, &'a T)>, Option<String>);

/// One page of `map` (names in order) after `req.marker`, filtered by `req.prefix`, at most
/// `req.ret_number` long; the next page's marker (base64 of its first name) when more match.
/// Shared by `ListQueue`, `ListTopic` and `ListSubscriptionByTopic`.
fn list_page<'a, T>(
    map: &'a std::collections::BTreeMap<String, T>,
    req: &ListRequest,
) -> Result<Page<'a, T>, MnsError> {
    let page_size = match req.ret_number {
        Some(n) => limits::validate_ret_number(n)?,
        None => limits::MAX_LIST_RET_NUMBER as usize,
    };
    let prefix = req.prefix.as_deref().unwrap_or_default();
    let start = match req.marker.as_deref().filter(|m| !m.is_empty()) {
        Some(marker) => decode_marker(marker)?,
        None => String::new(),
    };
    let start = if start.as_str() > prefix {
        start
    } else {
        prefix.to_owned()
    };
    let mut items = Vec::new();
    let mut next = None;
    for (name, v) in map.range(start..) {
        if !name.starts_with(prefix) {
            break;
        }
        if items.len() == page_size {
            next = Some(base64::engine::general_purpose::STANDARD.encode(name));
            break;
        }
        items.push((name, v));
    }
    Ok((items, next))
}

fn decode_marker(marker: &str) -> Result<String, MnsError> {
    base64::engine::general_purpose::STANDARD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| MnsError::invalid_argument("The marker you provided is invalid."))
}
