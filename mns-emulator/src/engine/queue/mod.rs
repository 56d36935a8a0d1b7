//! One queue's message store: a synchronous state machine driven by explicit `now` values.
//!
//! Layout (all operations are O(log n) in queue depth, or amortised O(log n) for lazy work):
//!
//! * `messages`: every stored message keyed by its engine-wide sequence number. Sequence numbers
//!   grow with send order, and the engine keeps `now` monotonic, so the first entry is always the
//!   oldest: retention ("rolling deletion") only ever looks at the front.
//! * `visible`: receivable messages ordered by `(priority, seq)`: priority 1 first, then send
//!   order. In a normal queue that is every Active message; in a FIFO queue only the Active head
//!   of each unlocked message group (`fifo.rs`), so a receive never scans blocked messages.
//! * `timers`: Delayed and Inactive messages ordered by `(next_visible, seq)`. Entries are removed
//!   exactly when a message leaves those states, so the set never holds stale entries and its
//!   first key is the queue's next wake-up.
//!
//! Every public operation first calls [`QueueStore::advance`], which applies retention expiry and
//! moves matured timers into `visible`. Counters are maintained on each transition, so they are
//! exact at all times.
//!
//! Dead-lettering (`dead_letter.rs`): when the engine has set [`QueueStore::dlq_limit`], a message
//! received that many times is taken out into [`QueueStore::dead_letters`] (at its next receive or
//! when its last visibility timeout passes, per `EngineConfig::dlq_move_timing`); the engine moves
//! it into the target queue before the operation returns, so it is never in both or neither.

mod dead_letter;
mod fifo;
mod handles;
mod image;
mod send;

pub(crate) use dead_letter::DeadLetter;
pub(crate) use image::{system_image, system_of, user_image, user_of};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Millis;
use super::config::EngineConfig;
use super::dead_letter::{QueueDlqPolicy, QueueKind};
use super::ids::{self, IdCodec};
use super::limits;
use super::types::{
    MessageSnapshot, MessageState, PeekedMessage, QueueAttributes, ReceivedMessage,
    SendMessageInput, SystemProperty, UserProperty,
};

/// A queue's settable attributes, resolved (no `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueSettings {
    pub(crate) delay_seconds: u32,
    pub(crate) maximum_message_size: u32,
    pub(crate) message_retention_period: u32,
    pub(crate) visibility_timeout: u32,
    pub(crate) polling_wait_seconds: u32,
    pub(crate) logging_enabled: bool,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            delay_seconds: limits::DEFAULT_DELAY_SECONDS,
            maximum_message_size: limits::DEFAULT_MAXIMUM_MESSAGE_SIZE,
            message_retention_period: limits::DEFAULT_RETENTION_SECONDS,
            visibility_timeout: limits::DEFAULT_VISIBILITY_TIMEOUT,
            polling_wait_seconds: limits::DEFAULT_POLLING_WAIT_SECONDS,
            logging_enabled: false,
        }
    }
}

/// Rarely used message fields, boxed so ordinary messages pay one pointer for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Extras {
    user_properties: Vec<UserProperty>,
    system_properties: Vec<SystemProperty>,
    message_group_id: Option<String>,
    /// Sequence number the message id derives from when it differs from the storage key (a
    /// dead-lettered copy keeps its key, so retention order holds, but gets a new id).
    id_seq: Option<u64>,
}

/// A stored message. Kept small: the id is derived from `seq`, handles from `(seq, generation)`.
#[derive(Debug)]
struct StoredMessage {
    body: Box<str>,
    md5: [u8; 16],
    extras: Option<Box<Extras>>,
    enqueue_time: Millis,
    /// Meaningful only once `dequeue_count > 0`.
    first_dequeue_time: Millis,
    /// Delayed/Inactive: when it becomes visible. Active: when it last became visible.
    next_visible: Millis,
    dequeue_count: u32,
    /// Bumped on every receive and visibility change; a handle is current only if it carries this.
    generation: u32,
    priority: u8,
    state: MessageState,
}

/// A send request that passed validation.
#[derive(Debug)]
pub(crate) struct ValidatedSend {
    input: SendMessageInput,
    delay_seconds: u32,
    priority: u8,
    size: usize,
}

impl ValidatedSend {
    /// Bytes counted against the batch total.
    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

/// Behaviour fixed when the store is created: its kind and the engine settings it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoreMode {
    pub(crate) kind: QueueKind,
    pub(crate) fifo_messages_per_group: usize,
    pub(crate) fifo_honours_priority: bool,
    pub(crate) fifo_honours_delay: bool,
    pub(crate) dlq_at_expiry: bool,
    pub(crate) max_group_id_len: usize,
}

impl StoreMode {
    pub(crate) fn new(kind: QueueKind, config: &EngineConfig) -> Self {
        StoreMode {
            kind,
            fifo_messages_per_group: config.fifo_messages_per_group_per_receive.max(1),
            fifo_honours_priority: config.fifo_honours_priority,
            fifo_honours_delay: config.fifo_honours_delay,
            dlq_at_expiry: config.dlq_move_timing == super::DlqMoveTiming::AtVisibilityExpiry,
            max_group_id_len: config.max_message_group_id_len,
        }
    }

    fn fifo(&self) -> bool {
        self.kind == QueueKind::Fifo
    }
}

/// One queue: attributes plus its message store.
#[derive(Debug)]
pub(crate) struct QueueStore {
    pub(crate) name: String,
    pub(crate) settings: QueueSettings,
    pub(crate) create_time: Millis,
    pub(crate) last_modify_time: Millis,
    pub(crate) mode: StoreMode,
    /// The DLQ policy as configured (read back as set, enabled or not).
    pub(crate) dlq_policy: Option<QueueDlqPolicy>,
    /// Receive count at which a message is dead-lettered. Set by the engine before every
    /// operation: `None` when there is no enabled policy or its target does not exist.
    pub(crate) dlq_limit: Option<u32>,
    /// Messages taken out for dead-lettering; the engine moves them before the operation returns.
    pub(crate) dead_letters: Vec<DeadLetter>,
    /// Control-plane settings: tags, rate limit (`control_meta.rs`).
    pub(crate) meta: super::ResourceMeta,
    messages: BTreeMap<u64, StoredMessage>,
    visible: BTreeSet<(u8, u64)>,
    timers: BTreeSet<(Millis, u64)>,
    inactive_count: u64,
    delayed_count: u64,
    /// FIFO message groups by id (always empty in a normal queue).
    groups: HashMap<String, fifo::Group>,
    /// Whether changes are recorded (`changed`, `meta_changed`) for `Engine::take_changes`.
    pub(crate) track: bool,
    /// Messages stored, changed or removed since the last `Engine::take_changes` (may repeat).
    pub(crate) changed: Vec<u64>,
    /// Whether the queue's own row (settings, policy, times) changed since then.
    pub(crate) meta_changed: bool,
}

fn secs_to_ms(secs: u32) -> Millis {
    Millis::from(secs) * 1000
}

/// The id-deriving sequence number of a message stored under `seq`.
fn id_seq(seq: u64, msg: &StoredMessage) -> u64 {
    msg.extras.as_deref().and_then(|e| e.id_seq).unwrap_or(seq)
}

fn group_id(msg: &StoredMessage) -> Option<&str> {
    msg.extras.as_deref()?.message_group_id.as_deref()
}

impl QueueStore {
    pub(crate) fn new(name: String, settings: QueueSettings, mode: StoreMode, now: Millis) -> Self {
        QueueStore {
            name,
            settings,
            create_time: now,
            last_modify_time: now,
            mode,
            dlq_policy: None,
            dlq_limit: None,
            dead_letters: Vec::new(),
            meta: super::ResourceMeta::default(),
            messages: BTreeMap::new(),
            visible: BTreeSet::new(),
            timers: BTreeSet::new(),
            inactive_count: 0,
            delayed_count: 0,
            groups: HashMap::new(),
            track: false,
            changed: Vec::new(),
            meta_changed: false,
        }
    }

    /// Records that message `seq` changed (when tracking).
    fn mark(&mut self, seq: u64) {
        if self.track {
            self.changed.push(seq);
        }
    }

    /// The `visible` key of a message: `(priority, seq)`, with one priority for every message of
    /// a FIFO queue unless `fifo_honours_priority`.
    fn visible_key(mode: &StoreMode, msg: &StoredMessage, seq: u64) -> (u8, u64) {
        if mode.fifo() && !mode.fifo_honours_priority {
            (limits::DEFAULT_PRIORITY, seq)
        } else {
            (msg.priority, seq)
        }
    }

    /// Applies everything that happened up to `now`: retention expiry, then delays maturing and
    /// visibility timeouts passing (or, with `dlq_at_expiry`, dead-lettering a message whose last
    /// allowed receive timed out).
    pub(crate) fn advance(&mut self, now: Millis) {
        let retention = secs_to_ms(self.settings.message_retention_period);
        while let Some(entry) = self.messages.first_entry() {
            if entry.get().enqueue_time.saturating_add(retention) > now {
                break;
            }
            let seq = *entry.key();
            let msg = entry.remove();
            self.forget_index(seq, &msg);
            self.mark(seq);
        }
        while let Some(&(at, seq)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            self.mark(seq);
            let Some(msg) = self.messages.get_mut(&seq) else {
                continue;
            };
            let was = msg.state;
            match was {
                MessageState::Delayed => self.delayed_count -= 1,
                MessageState::Inactive => self.inactive_count -= 1,
                MessageState::Active => {}
            }
            msg.state = MessageState::Active;
            let dead = was == MessageState::Inactive
                && self.mode.dlq_at_expiry
                && self.dlq_limit.is_some_and(|n| msg.dequeue_count >= n);
            if dead {
                self.take_dead_letter(seq, was);
            } else {
                self.became_active(seq, was);
            }
        }
    }

    /// [`QueueStore::advance`] with the dead-letter limit the engine decided for this operation.
    pub(crate) fn advance_with_limit(&mut self, dlq_limit: Option<u32>, now: Millis) {
        self.dlq_limit = dlq_limit;
        self.advance(now);
    }

    /// Indexes a message that just became Active (it was `was`).
    fn became_active(&mut self, seq: u64, was: MessageState) {
        if self.mode.fifo() {
            self.fifo_became_active(seq, was == MessageState::Inactive);
        } else if let Some(msg) = self.messages.get(&seq) {
            self.visible.insert((msg.priority, seq));
        }
    }

    /// Indexes a message just inserted into `messages` (Active or Delayed).
    fn index_new(&mut self, seq: u64) {
        let Some(msg) = self.messages.get(&seq) else {
            return;
        };
        if msg.state == MessageState::Delayed {
            self.timers.insert((msg.next_visible, seq));
            self.delayed_count += 1;
        }
        if self.mode.fifo() {
            self.fifo_insert(seq);
        } else if msg.state == MessageState::Active {
            self.visible.insert((msg.priority, seq));
        }
    }

    /// Removes a message's index entries and counter contribution (the message itself is gone).
    fn forget_index(&mut self, seq: u64, msg: &StoredMessage) {
        match msg.state {
            MessageState::Active => {
                self.visible
                    .remove(&Self::visible_key(&self.mode, msg, seq));
            }
            MessageState::Delayed => {
                self.timers.remove(&(msg.next_visible, seq));
                self.delayed_count -= 1;
            }
            MessageState::Inactive => {
                self.timers.remove(&(msg.next_visible, seq));
                self.inactive_count -= 1;
            }
        }
        if self.mode.fifo() {
            self.fifo_remove(seq, msg);
        }
    }

    /// The queue's attributes and exact counters as of the last `advance`.
    pub(crate) fn attributes(&self, report_counts: bool) -> QueueAttributes {
        let s = &self.settings;
        let (active, inactive, delayed) = if report_counts {
            (
                self.messages.len() as u64 - self.inactive_count - self.delayed_count,
                self.inactive_count,
                self.delayed_count,
            )
        } else {
            (0, 0, 0)
        };
        QueueAttributes {
            name: self.name.clone(),
            create_time: self.create_time / 1000,
            last_modify_time: self.last_modify_time / 1000,
            delay_seconds: s.delay_seconds,
            maximum_message_size: s.maximum_message_size,
            message_retention_period: s.message_retention_period,
            visibility_timeout: s.visibility_timeout,
            polling_wait_seconds: s.polling_wait_seconds,
            logging_enabled: s.logging_enabled,
            active_messages: active,
            inactive_messages: inactive,
            delay_messages: delayed,
        }
    }

    /// Receives up to `max` receivable messages in `(priority, send order)` order (FIFO: the head
    /// of each unlocked group, plus up to `fifo_messages_per_group - 1` of its successors).
    /// A message already received `dlq_limit` times is dead-lettered instead.
    pub(crate) fn receive(
        &mut self,
        max: usize,
        codec: &IdCodec,
        now: Millis,
    ) -> Vec<ReceivedMessage> {
        let mut out = Vec::with_capacity(max.min(self.visible.len()));
        while out.len() < max {
            let Some(key) = self.visible.pop_first() else {
                break;
            };
            let seq = key.1;
            let Some(msg) = self.messages.get(&seq) else {
                continue;
            };
            if self.mode.fifo()
                && let Some(g) = group_id(msg).and_then(|g| self.groups.get_mut(g))
            {
                g.listed = None;
            }
            if self.dlq_limit.is_some_and(|n| msg.dequeue_count >= n) {
                // Its `visible` entry is already gone; only the group (FIFO) still holds it.
                self.take_dead_letter(seq, MessageState::Active);
                continue;
            }
            out.push(self.take(seq, codec, now));
            if self.mode.fifo() {
                let room = (max - out.len()).min(self.mode.fifo_messages_per_group - 1);
                for next in self.fifo_followers(seq, room) {
                    out.push(self.take(next, codec, now));
                }
            }
        }
        out
    }

    /// Makes an Active message (already out of `visible`) Inactive and returns it as received.
    fn take(&mut self, seq: u64, codec: &IdCodec, now: Millis) -> ReceivedMessage {
        let visibility = secs_to_ms(self.settings.visibility_timeout);
        let fifo = self.mode.fifo();
        self.mark(seq);
        let msg = self
            .messages
            .get_mut(&seq)
            .expect("take is only called for stored messages");
        msg.state = MessageState::Inactive;
        if msg.dequeue_count == 0 {
            msg.first_dequeue_time = now;
        }
        msg.dequeue_count = msg.dequeue_count.saturating_add(1);
        msg.generation = msg.generation.wrapping_add(1);
        msg.next_visible = now + visibility;
        self.timers.insert((msg.next_visible, seq));
        self.inactive_count += 1;
        if fifo && let Some(g) = group_id(msg).and_then(|g| self.groups.get_mut(g)) {
            g.lock_one();
        }
        let extras = msg.extras.as_deref().cloned().unwrap_or_default();
        ReceivedMessage {
            message_id: codec.message_id(id_seq(seq, msg)),
            receipt_handle: codec.receipt_handle(seq, msg.generation),
            body_md5: ids::md5_hex(&msg.md5),
            body: msg.body.to_string(),
            enqueue_time: msg.enqueue_time,
            next_visible_time: msg.next_visible,
            first_dequeue_time: msg.first_dequeue_time,
            dequeue_count: msg.dequeue_count,
            priority: msg.priority,
            user_properties: extras.user_properties,
            system_properties: extras.system_properties,
            message_group_id: extras.message_group_id,
        }
    }

    /// Up to `max` receivable messages, in receive order, without changing anything (FIFO: the
    /// heads of unlocked groups).
    pub(crate) fn peek(&self, max: usize, codec: &IdCodec) -> Vec<PeekedMessage> {
        self.visible
            .iter()
            .take(max)
            .filter_map(|&(_, seq)| {
                let msg = self.messages.get(&seq)?;
                let extras = msg.extras.as_deref().cloned().unwrap_or_default();
                Some(PeekedMessage {
                    message_id: codec.message_id(id_seq(seq, msg)),
                    body_md5: ids::md5_hex(&msg.md5),
                    body: msg.body.to_string(),
                    enqueue_time: msg.enqueue_time,
                    first_dequeue_time: first_dequeue(msg),
                    dequeue_count: msg.dequeue_count,
                    priority: msg.priority,
                    user_properties: extras.user_properties,
                    system_properties: extras.system_properties,
                    message_group_id: extras.message_group_id,
                })
            })
            .collect()
    }

    /// The first timer (a delay maturing or a visibility timeout passing), if any.
    pub(crate) fn next_timer(&self) -> Option<Millis> {
        self.timers.first().map(|&(at, _)| at)
    }

    /// The earliest instant a message becomes visible: `now` if one already is, else the first timer.
    pub(crate) fn next_wakeup(&self, now: Millis) -> Option<Millis> {
        if !self.visible.is_empty() {
            return Some(now);
        }
        self.timers.first().map(|&(at, _)| at)
    }

    /// Every stored message with its state, in send order.
    pub(crate) fn snapshot(&self, codec: &IdCodec) -> Vec<MessageSnapshot> {
        let retention = secs_to_ms(self.settings.message_retention_period);
        self.messages
            .iter()
            .map(|(&seq, msg)| MessageSnapshot {
                message_id: codec.message_id(id_seq(seq, msg)),
                state: msg.state,
                body: msg.body.to_string(),
                body_md5: ids::md5_hex(&msg.md5),
                priority: msg.priority,
                dequeue_count: msg.dequeue_count,
                enqueue_time: msg.enqueue_time,
                first_dequeue_time: first_dequeue(msg),
                next_visible_time: msg.next_visible,
                expires_at: msg.enqueue_time.saturating_add(retention),
                receipt_handle: (msg.state != MessageState::Active)
                    .then(|| codec.receipt_handle(seq, msg.generation)),
                message_group_id: group_id(msg).map(str::to_owned),
                user_properties: msg
                    .extras
                    .as_deref()
                    .map(|e| e.user_properties.clone())
                    .unwrap_or_default(),
                system_properties: msg
                    .extras
                    .as_deref()
                    .map(|e| e.system_properties.clone())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Fault injection: invalidates every outstanding receipt handle of this queue (O(n)).
    pub(crate) fn expire_receipt_handles(&mut self) {
        for (_, seq) in &self.timers {
            if let Some(msg) = self.messages.get_mut(seq) {
                msg.generation = msg.generation.wrapping_add(1);
                if self.track {
                    self.changed.push(*seq);
                }
            }
        }
    }

    /// Removes every stored message, whatever its state (the admin API's queue reset); the
    /// queue keeps its settings and policy. Returns how many messages were removed.
    pub(crate) fn purge(&mut self) -> usize {
        let removed = self.messages.len();
        // Each removed message is a deleted row for the data directory.
        if self.track {
            self.changed.extend(self.messages.keys().copied());
        }
        self.messages.clear();
        self.visible.clear();
        self.timers.clear();
        self.inactive_count = 0;
        self.delayed_count = 0;
        self.groups.clear();
        self.dead_letters.clear();
        removed
    }

    /// Number of stored messages (all states).
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }
}

fn first_dequeue(msg: &StoredMessage) -> Millis {
    if msg.dequeue_count == 0 {
        msg.enqueue_time
    } else {
        msg.first_dequeue_time
    }
}
