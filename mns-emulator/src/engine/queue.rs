//! One queue's message store: a synchronous state machine driven by explicit `now` values.
//!
//! Layout (all operations are O(log n) in queue depth, or amortised O(log n) for lazy work):
//!
//! * `messages`: every stored message keyed by its engine-wide sequence number. Sequence numbers
//!   grow with send order, and the engine keeps `now` monotonic, so the first entry is always the
//!   oldest: retention ("rolling deletion") only ever looks at the front.
//! * `visible`: Active messages ordered by `(priority, seq)`: priority 1 first, then send order.
//! * `timers`: Delayed and Inactive messages ordered by `(next_visible, seq)`. Entries are removed
//!   exactly when a message leaves those states, so the set never holds stale entries and its
//!   first key is the queue's next wake-up.
//!
//! Every public operation first calls [`QueueStore::advance`], which applies retention expiry and
//! moves matured timers into `visible`. Counters are maintained on each transition, so they are
//! exact at all times.

use std::collections::{BTreeMap, BTreeSet};

use super::Millis;
use super::config::EngineConfig;
use super::ids::{self, IdCodec};
use super::limits;
use super::types::{
    MessageSnapshot, MessageState, PeekedMessage, QueueAttributes, ReceivedMessage,
    SendMessageInput, SentMessage, SystemProperty, UserProperty, VisibilityChanged,
};
use crate::error::MnsError;

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

/// One queue: attributes plus its message store.
#[derive(Debug)]
pub(crate) struct QueueStore {
    pub(crate) name: String,
    pub(crate) settings: QueueSettings,
    pub(crate) create_time: Millis,
    pub(crate) last_modify_time: Millis,
    messages: BTreeMap<u64, StoredMessage>,
    visible: BTreeSet<(u8, u64)>,
    timers: BTreeSet<(Millis, u64)>,
    inactive_count: u64,
    delayed_count: u64,
}

fn secs_to_ms(secs: u32) -> Millis {
    Millis::from(secs) * 1000
}

/// Checks system properties (names from `allowed`, each once, `STRING` type, bounded values)
/// and returns their size (names plus values), which counts towards `MaximumMessageSize`.
pub(crate) fn validate_system_properties(
    props: &[SystemProperty],
    allowed: &[&str],
) -> Result<usize, MnsError> {
    let mut seen = std::collections::HashSet::with_capacity(props.len());
    let mut size = 0;
    for p in props {
        if !allowed.contains(&p.name.as_str()) {
            return Err(MnsError::invalid_argument(format!(
                "The name of SystemProperty \"{}\" is invalid.",
                p.name
            )));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(MnsError::invalid_argument(format!(
                "The name of SystemProperty \"{}\" is duplicated.",
                p.name
            )));
        }
        if p.value.chars().count() > limits::MAX_SYSTEM_PROPERTY_VALUE_LEN {
            return Err(MnsError::invalid_argument(format!(
                "The value of SystemProperty \"{}\" should not be longer than {} characters.",
                p.name,
                limits::MAX_SYSTEM_PROPERTY_VALUE_LEN
            )));
        }
        if !p.value_type.eq_ignore_ascii_case("STRING") {
            return Err(MnsError::schema_violation("SystemPropertyValue.Type"));
        }
        size += p.name.len() + p.value.len();
    }
    Ok(size)
}

/// Checks user properties and returns their size (names plus values).
pub(crate) fn validate_user_properties(props: &[UserProperty]) -> Result<usize, MnsError> {
    if props.len() > limits::MAX_USER_PROPERTIES {
        return Err(MnsError::invalid_argument(format!(
            "The count of UserProperties should between 0 and {}",
            limits::MAX_USER_PROPERTIES
        )));
    }
    let mut names = std::collections::HashSet::with_capacity(props.len());
    let mut size = 0;
    for p in props {
        let name_ok = !p.name.is_empty()
            && p.name.len() <= limits::MAX_USER_PROPERTY_NAME_LEN
            && p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && !p.name.starts_with('.')
            && !p.name.ends_with('.')
            && !p.name.contains("..");
        if !name_ok {
            return Err(MnsError::invalid_argument(format!(
                "The name of UserProperty \"{}\" is invalid.",
                p.name
            )));
        }
        if !names.insert(p.name.as_str()) {
            return Err(MnsError::invalid_argument(format!(
                "The name of UserProperty \"{}\" is duplicated.",
                p.name
            )));
        }
        if p.value.chars().count() > limits::MAX_USER_PROPERTY_VALUE_LEN {
            return Err(MnsError::invalid_argument(format!(
                "The value of UserProperty \"{}\" should not be longer than {} characters.",
                p.name,
                limits::MAX_USER_PROPERTY_VALUE_LEN
            )));
        }
        if !matches!(
            p.value_type.to_ascii_uppercase().as_str(),
            "STRING" | "NUMBER" | "BOOLEAN" | "BINARY"
        ) {
            return Err(MnsError::schema_violation("PropertyValue.Type"));
        }
        size += p.name.len() + p.value.len();
    }
    Ok(size)
}

impl QueueStore {
    pub(crate) fn new(name: String, settings: QueueSettings, now: Millis) -> Self {
        QueueStore {
            name,
            settings,
            create_time: now,
            last_modify_time: now,
            messages: BTreeMap::new(),
            visible: BTreeSet::new(),
            timers: BTreeSet::new(),
            inactive_count: 0,
            delayed_count: 0,
        }
    }

    /// Applies everything that happened up to `now`: retention expiry, then delays maturing and
    /// visibility timeouts passing.
    pub(crate) fn advance(&mut self, now: Millis) {
        let retention = secs_to_ms(self.settings.message_retention_period);
        while let Some(entry) = self.messages.first_entry() {
            if entry.get().enqueue_time.saturating_add(retention) > now {
                break;
            }
            let seq = *entry.key();
            let msg = entry.remove();
            self.forget_index(seq, &msg);
        }
        while let Some(&(at, seq)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            if let Some(msg) = self.messages.get_mut(&seq) {
                match msg.state {
                    MessageState::Delayed => self.delayed_count -= 1,
                    MessageState::Inactive => self.inactive_count -= 1,
                    MessageState::Active => {}
                }
                msg.state = MessageState::Active;
                self.visible.insert((msg.priority, seq));
            }
        }
    }

    /// Removes a message's index entries and counter contribution (the message itself is gone).
    fn forget_index(&mut self, seq: u64, msg: &StoredMessage) {
        match msg.state {
            MessageState::Active => {
                self.visible.remove(&(msg.priority, seq));
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
    }

    /// The queue's attributes and exact counters as of the last `advance`.
    pub(crate) fn attributes(&self, report_counts: bool) -> QueueAttributes {
        let s = &self.settings;
        let (active, inactive, delayed) = if report_counts {
            (
                self.visible.len() as u64,
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

    /// Checks one message against the queue's limits without storing anything.
    pub(crate) fn validate_send(
        &self,
        input: SendMessageInput,
        system_property_names: &[&str],
    ) -> Result<ValidatedSend, MnsError> {
        let delay_seconds = match input.delay_seconds {
            Some(d) => limits::validate_delay_seconds(d)?,
            None => self.settings.delay_seconds,
        };
        let priority = match input.priority {
            Some(p) => limits::validate_priority(p)?,
            None => limits::DEFAULT_PRIORITY,
        };
        let props_size = validate_user_properties(&input.user_properties)?
            + validate_system_properties(&input.system_properties, system_property_names)?;
        let size = input.body.len() + props_size;
        let max = self.settings.maximum_message_size as usize;
        if input.body.is_empty() || size > max {
            return Err(MnsError::out_of_range("MessageBody", 1, max, "bytes"));
        }
        Ok(ValidatedSend {
            input,
            delay_seconds,
            priority,
            size,
        })
    }

    /// Stores a validated message under `seq`.
    pub(crate) fn store(
        &mut self,
        send: ValidatedSend,
        seq: u64,
        codec: &IdCodec,
        now: Millis,
    ) -> SentMessage {
        let ValidatedSend {
            input,
            delay_seconds,
            priority,
            ..
        } = send;
        let md5 = ids::body_md5(&input.body);
        let extras = if input.user_properties.is_empty()
            && input.system_properties.is_empty()
            && input.message_group_id.is_none()
        {
            None
        } else {
            Some(Box::new(Extras {
                user_properties: input.user_properties,
                system_properties: input.system_properties,
                message_group_id: input.message_group_id.clone(),
            }))
        };
        let delayed = delay_seconds > 0;
        let next_visible = now + secs_to_ms(delay_seconds);
        let msg = StoredMessage {
            body: input.body.into_boxed_str(),
            md5,
            extras,
            enqueue_time: now,
            first_dequeue_time: 0,
            next_visible,
            dequeue_count: 0,
            generation: 0,
            priority,
            state: if delayed {
                MessageState::Delayed
            } else {
                MessageState::Active
            },
        };
        if delayed {
            self.timers.insert((next_visible, seq));
            self.delayed_count += 1;
        } else {
            self.visible.insert((priority, seq));
        }
        self.messages.insert(seq, msg);
        SentMessage {
            message_id: codec.message_id(seq),
            body_md5: ids::md5_hex(&md5),
            receipt_handle: delayed.then(|| codec.receipt_handle(seq, 0)),
            message_group_id: input.message_group_id,
        }
    }

    /// Receives up to `max` visible messages in `(priority, send order)` order.
    pub(crate) fn receive(
        &mut self,
        max: usize,
        codec: &IdCodec,
        now: Millis,
    ) -> Vec<ReceivedMessage> {
        let visibility = secs_to_ms(self.settings.visibility_timeout);
        let mut out = Vec::with_capacity(max.min(self.visible.len()));
        while out.len() < max {
            let Some((priority, seq)) = self.visible.pop_first() else {
                break;
            };
            let Some(msg) = self.messages.get_mut(&seq) else {
                continue;
            };
            msg.state = MessageState::Inactive;
            if msg.dequeue_count == 0 {
                msg.first_dequeue_time = now;
            }
            msg.dequeue_count = msg.dequeue_count.saturating_add(1);
            msg.generation = msg.generation.wrapping_add(1);
            msg.next_visible = now + visibility;
            self.timers.insert((msg.next_visible, seq));
            self.inactive_count += 1;
            let extras = msg.extras.as_deref().cloned().unwrap_or_default();
            out.push(ReceivedMessage {
                message_id: codec.message_id(seq),
                receipt_handle: codec.receipt_handle(seq, msg.generation),
                body_md5: ids::md5_hex(&msg.md5),
                body: msg.body.to_string(),
                enqueue_time: msg.enqueue_time,
                next_visible_time: msg.next_visible,
                first_dequeue_time: msg.first_dequeue_time,
                dequeue_count: msg.dequeue_count,
                priority,
                user_properties: extras.user_properties,
                system_properties: extras.system_properties,
                message_group_id: extras.message_group_id,
            });
        }
        out
    }

    /// Up to `max` visible messages, in receive order, without changing anything.
    pub(crate) fn peek(&self, max: usize, codec: &IdCodec) -> Vec<PeekedMessage> {
        self.visible
            .iter()
            .take(max)
            .filter_map(|&(_, seq)| {
                let msg = self.messages.get(&seq)?;
                let extras = msg.extras.as_deref().cloned().unwrap_or_default();
                Some(PeekedMessage {
                    message_id: codec.message_id(seq),
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

    /// Resolves a receipt handle to the message it currently designates.
    ///
    /// Garbage or never-issued → 400 `ReceiptHandleError`; issued but no longer current (message
    /// deleted, expired, re-received, visibility changed or timed out) → 404 `MessageNotExist`.
    fn current_handle(
        &self,
        handle: &str,
        codec: &IdCodec,
        config: &EngineConfig,
    ) -> Result<u64, MnsError> {
        let (seq, generation) = codec
            .parse_receipt_handle(handle)
            .ok_or_else(MnsError::receipt_handle_error)?;
        let Some(msg) = self.messages.get(&seq) else {
            return Err(MnsError::message_not_exist());
        };
        let state_ok = match msg.state {
            MessageState::Inactive => true,
            MessageState::Delayed => config.delayed_send_handle_valid,
            MessageState::Active => false,
        };
        if msg.generation != generation || !state_ok {
            return Err(MnsError::receipt_handle_expired());
        }
        Ok(seq)
    }

    /// Deletes the message a current receipt handle designates.
    pub(crate) fn delete(
        &mut self,
        handle: &str,
        codec: &IdCodec,
        config: &EngineConfig,
    ) -> Result<(), MnsError> {
        let seq = self.current_handle(handle, codec, config)?;
        if let Some(msg) = self.messages.remove(&seq) {
            self.forget_index(seq, &msg);
        }
        Ok(())
    }

    /// Makes the message invisible for `timeout` seconds from `now` and issues a new handle.
    ///
    /// A Delayed message (send handle, when allowed) stays Delayed with its delay moved.
    pub(crate) fn change_visibility(
        &mut self,
        handle: &str,
        timeout: u32,
        codec: &IdCodec,
        config: &EngineConfig,
        now: Millis,
    ) -> Result<VisibilityChanged, MnsError> {
        let seq = self.current_handle(handle, codec, config)?;
        let Some(msg) = self.messages.get_mut(&seq) else {
            return Err(MnsError::message_not_exist());
        };
        self.timers.remove(&(msg.next_visible, seq));
        msg.generation = msg.generation.wrapping_add(1);
        msg.next_visible = now + secs_to_ms(timeout);
        let changed = VisibilityChanged {
            receipt_handle: codec.receipt_handle(seq, msg.generation),
            next_visible_time: msg.next_visible,
        };
        self.timers.insert((msg.next_visible, seq));
        // A zero timeout (when allowed) makes the message visible at once.
        self.advance(now);
        Ok(changed)
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
                message_id: codec.message_id(seq),
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
            })
            .collect()
    }

    /// Fault injection: invalidates every outstanding receipt handle of this queue (O(n)).
    pub(crate) fn expire_receipt_handles(&mut self) {
        for (_, seq) in &self.timers {
            if let Some(msg) = self.messages.get_mut(seq) {
                msg.generation = msg.generation.wrapping_add(1);
            }
        }
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
