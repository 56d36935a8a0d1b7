//! Queue kinds (normal / FIFO) and dead-letter policies: the engine side (reference
//! mns-openapi-fifo-dlq §4, §5).
//!
//! A queue's kind is fixed when it is created ([`Engine::create_queue_with`]). A queue DLQ policy
//! ([`QueueDlqPolicy`]) is set on the source queue; a subscription DLQ policy
//! ([`SubscriptionDlqPolicy`]) on a subscription. Both are validated when set: the target is
//! another queue (never the queue itself, nor the subscription's own queue), it exists
//! ([`EngineConfig::dlq_target_must_exist`]), it is of the same kind
//! ([`EngineConfig::dlq_kinds_must_match`]), and following DLQ targets never leads back to the
//! source (no cycles).
//!
//! Moves happen inside the engine call that triggers them (a receive, or any call that advances
//! the source when [`DlqMoveTiming::AtVisibilityExpiry`]): the message leaves the source and
//! enters the target in one step. Queues that received dead letters are reported by
//! [`Engine::take_woken_queues`] so the HTTP layer can wake their long polls.
//!
//! ```
//! use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, QueueDlqPolicy,
//!     QueueKind, SendMessageInput};
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! engine.create_queue("dlq", QueueAttributesInput::default(), 0).unwrap();
//! let policy = QueueDlqPolicy::new("dlq", 1);
//! engine
//!     .create_queue_with("jobs", QueueAttributesInput::default(), QueueKind::Normal, Some(policy), 0)
//!     .unwrap();
//! engine.send_messages("jobs", vec![SendMessageInput::new("poison")], 0).unwrap();
//! assert_eq!(engine.receive_messages("jobs", 1, 0).unwrap().len(), 1);
//! // Not deleted; after the visibility timeout the next receive moves it instead.
//! assert!(engine.receive_messages("jobs", 1, 60_000).unwrap().is_empty());
//! let dead = engine.receive_messages("dlq", 1, 60_000).unwrap();
//! assert_eq!(dead[0].body, "poison");
//! assert!(dead[0].system_properties.iter().any(|p| p.name == "DLQOriginMessageId"));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::queue::DeadLetter;
use super::shared_queue::QueueCell;
use super::{Engine, EngineConfig, Millis, SystemProperty, limits};
use crate::error::{ErrorCode, MnsError};

#[cfg(doc)]
use super::DlqMoveTiming;

/// A queue's type, fixed at creation (`QueueType` of the control-plane `CreateQueue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QueueKind {
    /// A normal queue: at-least-once, no ordering guarantee (the only kind the XML API creates).
    #[default]
    Normal,
    /// A FIFO ("ordered") queue: every message has a `MessageGroupId`; order and a group lock
    /// hold within a group.
    Fifo,
}

impl QueueKind {
    /// `normal` or `fifo`, as the OpenAPI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueKind::Normal => "normal",
            QueueKind::Fifo => "fifo",
        }
    }

    /// Parses `normal` / `fifo` (case-insensitive); anything else is `InvalidArgument`.
    pub fn parse(s: &str) -> Result<Self, MnsError> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Ok(QueueKind::Normal),
            "fifo" => Ok(QueueKind::Fifo),
            _ => Err(MnsError::invalid_argument(format!(
                "The queue type \"{s}\" is invalid: use normal or fifo."
            ))),
        }
    }
}

/// A queue's dead-letter policy (`DlqPolicy` of `CreateQueue` / `SetQueueAttributes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDlqPolicy {
    /// Whether messages are moved.
    pub enabled: bool,
    /// The target queue's name (same account and region).
    pub dead_letter_target_queue: String,
    /// A message received this many times is moved instead of being delivered again.
    pub max_receive_count: u32,
}

impl QueueDlqPolicy {
    /// An enabled policy.
    pub fn new(target: impl Into<String>, max_receive_count: u32) -> Self {
        QueueDlqPolicy {
            enabled: true,
            dead_letter_target_queue: target.into(),
            max_receive_count,
        }
    }
}

/// A subscription's dead-letter policy (`DlqPolicy` of `Subscribe` /
/// `SetSubscriptionAttributes`): after the `NotifyStrategy`'s last failed retry the notification
/// goes to the target queue instead of being dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDlqPolicy {
    /// Whether notifications are moved.
    pub enabled: bool,
    /// The target queue's name.
    pub dead_letter_target_queue: String,
}

impl SubscriptionDlqPolicy {
    /// An enabled policy.
    pub fn new(target: impl Into<String>) -> Self {
        SubscriptionDlqPolicy {
            enabled: true,
            dead_letter_target_queue: target.into(),
        }
    }
}

pub(crate) fn policy_error(config: &EngineConfig, message: impl Into<String>) -> MnsError {
    MnsError::new(
        ErrorCode::parse(config.dlq_policy_error_code),
        message.into(),
    )
}

/// The enabled queue DLQ policies as links: source → target, and how many sources each target
/// has. The count is kept with the map (never set apart from it) because the shared path asks
/// "is this queue a DLQ target?" on every hot request ([`Engine::shared_queue`]).
#[derive(Debug, Default)]
pub(crate) struct DlqLinks {
    target_of: BTreeMap<String, String>,
    sources_per_target: HashMap<String, usize>,
}

impl DlqLinks {
    /// `source` now feeds `target` (replacing any earlier target).
    fn insert(&mut self, source: &str, target: String) {
        if let Some(old) = self.target_of.get(source) {
            if *old == target {
                return;
            }
            let old = old.clone();
            self.unlink_target(&old);
        }
        *self.sources_per_target.entry(target.clone()).or_default() += 1;
        self.target_of.insert(source.to_owned(), target);
    }

    /// `source` feeds no queue any more.
    pub(crate) fn remove(&mut self, source: &str) {
        if let Some(target) = self.target_of.remove(source) {
            self.unlink_target(&target);
        }
    }

    fn unlink_target(&mut self, target: &str) {
        if let Some(n) = self.sources_per_target.get_mut(target) {
            *n -= 1;
            if *n == 0 {
                self.sources_per_target.remove(target);
            }
        }
    }

    /// The target `source` feeds, if its policy is enabled.
    pub(crate) fn get(&self, source: &str) -> Option<&String> {
        self.target_of.get(source)
    }

    /// Whether `name` is the source or the target of an enabled policy.
    pub(crate) fn links(&self, name: &str) -> bool {
        self.target_of.contains_key(name) || self.sources_per_target.contains_key(name)
    }

    /// The queues feeding `target`.
    fn sources_of<'a>(&'a self, target: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.target_of
            .iter()
            .filter(move |(_, t)| t.as_str() == target)
            .map(|(s, _)| s)
    }
}

impl Engine {
    /// Validates a queue DLQ policy for `source` (of kind `kind`).
    pub(crate) fn validate_queue_dlq(
        &self,
        source: &str,
        kind: super::QueueKind,
        policy: &QueueDlqPolicy,
    ) -> Result<(), MnsError> {
        if !policy.enabled {
            return Ok(());
        }
        let target = policy.dead_letter_target_queue.as_str();
        limits::validate_queue_name(target, self.config.max_queue_name_len)?;
        if target == source {
            return Err(policy_error(
                &self.config,
                "A queue cannot be its own dead-letter queue.",
            ));
        }
        if policy.max_receive_count == 0
            || policy.max_receive_count > self.config.dlq_max_receive_count
        {
            return Err(policy_error(
                &self.config,
                format!(
                    "The MaxReceiveCount should be between 1 and {}.",
                    self.config.dlq_max_receive_count
                ),
            ));
        }
        match self.queues.get(target).map(|t| t.lock().mode.kind) {
            None if self.config.dlq_target_must_exist => return Err(MnsError::queue_not_exist()),
            Some(t) if self.config.dlq_kinds_must_match && t != kind => {
                return Err(policy_error(
                    &self.config,
                    format!(
                        "The dead-letter queue must be a {} queue like its source.",
                        kind.as_str()
                    ),
                ));
            }
            _ => {}
        }
        // Following enabled policies from the target must not lead back to the source.
        let mut seen = BTreeSet::new();
        let mut next = Some(target);
        while let Some(name) = next {
            if name == source {
                return Err(policy_error(
                    &self.config,
                    "The dead-letter queues would form a cycle.",
                ));
            }
            if !seen.insert(name) {
                break;
            }
            next = self.dlq_sources.get(name).map(String::as_str);
        }
        Ok(())
    }

    /// `CreateQueue` with the control-plane settings: queue kind (fixed for the queue's life) and
    /// an optional DLQ policy. An existing queue of another kind or policy is 409
    /// `QueueAlreadyExist`; same kind, policy and attributes is [`super::CreateOutcome::Existed`].
    pub fn create_queue_with(
        &mut self,
        name: &str,
        attrs: super::QueueAttributesInput,
        kind: QueueKind,
        dlq: Option<QueueDlqPolicy>,
        now: Millis,
    ) -> Result<super::CreateOutcome, MnsError> {
        limits::validate_queue_name(name, self.config.max_queue_name_len)?;
        if let Some(p) = &dlq {
            self.validate_queue_dlq(name, kind, p)?;
        }
        if let Some(existing) = self.queues.get_mut(name).map(|q| q.get_mut())
            && (existing.mode.kind != kind || existing.dlq_policy != dlq)
        {
            return Err(MnsError::queue_already_exist());
        }
        let outcome = self.create_queue_of_kind(name, attrs, kind, now)?;
        if let Some(q) = self.queues.get_mut(name) {
            q.get_mut().dlq_policy = dlq;
        }
        self.queue_meta_changed(name);
        self.sync_dlq_source(name);
        Ok(outcome)
    }

    /// Sets (`Some`) or removes (`None`) a queue's DLQ policy. A disabled policy is kept as given
    /// (read back with `enabled: false`) and moves nothing.
    pub fn set_queue_dlq_policy(
        &mut self,
        name: &str,
        policy: Option<QueueDlqPolicy>,
        now: Millis,
    ) -> Result<(), MnsError> {
        let now = self.observe(now);
        let kind = self.queue_kind(name)?;
        if let Some(p) = &policy {
            self.validate_queue_dlq(name, kind, p)?;
        }
        // Apply what happened under the old policy first.
        self.advance_queue(name, now)?;
        let q = self
            .queues
            .get_mut(name)
            .ok_or_else(MnsError::queue_not_exist)?
            .get_mut();
        q.dlq_policy = policy;
        q.last_modify_time = now;
        self.queue_meta_changed(name);
        self.sync_dlq_source(name);
        Ok(())
    }

    /// A queue's DLQ policy, as set.
    pub fn queue_dlq_policy(&self, name: &str) -> Result<Option<QueueDlqPolicy>, MnsError> {
        Ok(self
            .queues
            .get(name)
            .ok_or_else(MnsError::queue_not_exist)?
            .lock()
            .dlq_policy
            .clone())
    }

    /// A queue's kind.
    pub fn queue_kind(&self, name: &str) -> Result<QueueKind, MnsError> {
        Ok(self
            .queues
            .get(name)
            .ok_or_else(MnsError::queue_not_exist)?
            .lock()
            .mode
            .kind)
    }

    /// Queues that received dead letters since the last call (their long polls should wake).
    pub fn take_woken_queues(&mut self) -> Vec<String> {
        std::mem::take(&mut self.woken)
    }

    /// The receive count at which `name` dead-letters now: its enabled policy's count, if the
    /// target exists.
    ///
    /// `dlq_sources` holds exactly the enabled policies ([`Engine::sync_dlq_source`]), so a
    /// queue that is in no policy costs one lookup in an (often empty) map.
    fn dlq_limit_of(&mut self, name: &str) -> Option<u32> {
        let target = self.dlq_sources.get(name)?;
        if !self.queues.contains_key(target) {
            return None;
        }
        self.queues
            .get_mut(name)?
            .get_mut()
            .dlq_policy
            .as_ref()
            .filter(|p| p.enabled)
            .map(|p| p.max_receive_count)
    }

    /// The names of queues whose enabled policy targets `target`.
    fn dlq_sources_of(&self, target: &str) -> Vec<String> {
        self.dlq_sources.sources_of(target).cloned().collect()
    }

    /// Re-derives `name`'s entry of the source → target map from its current policy.
    pub(crate) fn sync_dlq_source(&mut self, name: &str) {
        let target = self
            .queues
            .get_mut(name)
            .and_then(|q| q.get_mut().dlq_policy.as_ref())
            .filter(|p| p.enabled)
            .map(|p| p.dead_letter_target_queue.clone());
        match target {
            Some(t) => self.dlq_sources.insert(name, t),
            None => self.dlq_sources.remove(name),
        }
    }

    /// The earliest timer of any queue feeding `target` (with
    /// [`DlqMoveTiming::AtVisibilityExpiry`], a message may expire into `target` then).
    pub(crate) fn sources_next_timer(&self, target: &str) -> Option<Millis> {
        if self.config.dlq_move_timing != super::DlqMoveTiming::AtVisibilityExpiry {
            return None;
        }
        let mut seen = BTreeSet::new();
        let mut stack = vec![target.to_owned()];
        let mut best: Option<Millis> = None;
        while let Some(t) = stack.pop() {
            if !seen.insert(t.clone()) {
                continue;
            }
            for s in self.dlq_sources_of(&t) {
                if let Some(at) = self.queues.get(&s).and_then(|q| q.lock().next_timer()) {
                    best = Some(best.map_or(at, |b| b.min(at)));
                }
                stack.push(s);
            }
        }
        best
    }

    /// Advances `name` to `now` and moves its dead letters. With
    /// [`DlqMoveTiming::AtVisibilityExpiry`] the queues feeding it are advanced first (and
    /// theirs, recursively), so a receive on a DLQ sees every message that has expired into it.
    pub(crate) fn advance_queue(&mut self, name: &str, now: Millis) -> Result<(), MnsError> {
        if !self.queues.contains_key(name) {
            return Err(MnsError::queue_not_exist());
        }
        if self.config.dlq_move_timing == super::DlqMoveTiming::AtVisibilityExpiry {
            let mut seen = BTreeSet::new();
            self.advance_sources(name, now, &mut seen);
        }
        self.advance_one(name, now);
        Ok(())
    }

    fn advance_sources(&mut self, target: &str, now: Millis, seen: &mut BTreeSet<String>) {
        if !seen.insert(target.to_owned()) {
            return;
        }
        for source in self.dlq_sources_of(target) {
            self.advance_sources(&source, now, seen);
            self.advance_one(&source, now);
        }
    }

    fn advance_one(&mut self, name: &str, now: Millis) {
        self.log.queue(name);
        let limit = self.dlq_limit_of(name);
        if let Some(q) = self.queues.get_mut(name) {
            q.get_mut().advance_with_limit(limit, now);
        }
        self.flush_dead_letters(name, now);
    }

    /// Moves the dead letters `source` has taken out into its DLQ.
    pub(crate) fn flush_dead_letters(&mut self, source: &str, now: Millis) {
        let Some(q) = self.queues.get_mut(source).map(QueueCell::get_mut) else {
            return;
        };
        if q.dead_letters.is_empty() {
            return;
        }
        let letters = std::mem::take(&mut q.dead_letters);
        let Some(target) = q
            .dlq_policy
            .as_ref()
            .map(|p| p.dead_letter_target_queue.clone())
        else {
            return;
        };
        let source_arn = self.queue_arn(source);
        for dl in letters {
            let origin = self.codec.message_id(dl.source_id_seq());
            let props =
                self.dlq_properties(self.config.dlq_message_type_queue, &source_arn, &origin);
            let id_seq = self.config.dlq_new_message_id.then(|| self.take_seq());
            let fallback = dl.group_id().map_or_else(|| origin.clone(), str::to_owned);
            if let Some(t) = self.queues.get_mut(&target) {
                t.get_mut()
                    .accept_dead_letter(dl, props, id_seq, &fallback, now);
            }
        }
        self.log.queue(source);
        self.log.queue(&target);
        if !self.woken.contains(&target) {
            self.woken.push(target);
        }
    }

    /// `acs:mns:{region}:{account}:queues/{name}`.
    fn queue_arn(&self, name: &str) -> String {
        format!(
            "acs:mns:{}:{}:queues/{name}",
            self.topics.region, self.topics.account_id
        )
    }

    pub(crate) fn dlq_properties(
        &self,
        message_type: &str,
        source_arn: &str,
        origin_id: &str,
    ) -> Vec<SystemProperty> {
        [
            ("DLQMessageType", message_type),
            ("DLQSourceArn", source_arn),
            ("DLQOriginMessageId", origin_id),
        ]
        .into_iter()
        .map(|(name, value)| SystemProperty {
            name: name.to_owned(),
            value: value.to_owned(),
            value_type: "STRING".to_owned(),
        })
        .collect()
    }

    /// Stores a notification whose retries ran out in `target` (subscription DLQ). Returns
    /// whether it was stored (the target exists).
    pub(crate) fn dead_letter_notification(
        &mut self,
        target: &str,
        source_arn: &str,
        origin_id: &str,
        body: String,
        group: Option<&str>,
        now: Millis,
    ) -> bool {
        if !self.queues.contains_key(target) {
            return false;
        }
        let seq = self.take_seq();
        let props = self.dlq_properties(
            self.config.dlq_message_type_subscription,
            source_arn,
            origin_id,
        );
        let dl = DeadLetter::from_notification(seq, body, group, now);
        let fallback = group.unwrap_or(origin_id).to_owned();
        if let Some(t) = self.queues.get_mut(target).map(QueueCell::get_mut) {
            t.advance(now);
            t.accept_dead_letter(dl, props, None, &fallback, now);
        }
        self.log.queue(target);
        if !self.woken.iter().any(|w| w == target) {
            self.woken.push(target.to_owned());
        }
        true
    }
}

#[cfg(test)]
mod links_tests {
    use super::DlqLinks;

    #[test]
    fn a_target_stays_linked_while_any_source_feeds_it() {
        let mut links = DlqLinks::default();
        links.insert("a", "t".to_owned());
        links.insert("b", "t".to_owned());
        links.insert("b", "t".to_owned());
        assert!(links.links("a") && links.links("t") && !links.links("u"));
        links.remove("a");
        assert!(!links.links("a") && links.links("t"));
        links.insert("b", "u".to_owned());
        assert!(!links.links("t") && links.links("u"));
        assert_eq!(links.sources_of("u").collect::<Vec<_>>(), ["b"]);
        links.remove("b");
        links.remove("b");
        assert!(!links.links("b") && !links.links("u"));
    }
}
