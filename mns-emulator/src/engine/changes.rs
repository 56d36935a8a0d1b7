//! Change tracking: what the engine changed since it was last asked, as state-image rows.
//!
//! The engine stays sans-IO: a persistence layer (the emulator's data directory) turns change
//! tracking on with `Engine::set_change_tracking` and, after each operation, takes the rows to
//! write with `Engine::take_changes`. Tracking costs nothing while off (the default): every
//! mark is behind one `bool`.
//!
//! The rows are read from the engine when they are taken, so a message changed several times
//! in one batch is written once, as it is now; one that is gone is deleted. Applying a
//! [`ChangeSet`] in order to a store holding the previous image yields the current image.
//!
//! Both are crate-private: the data directory's journal takes every change set when the engine
//! lock is released, so a caller holding the engine (`Emulator::with_engine`) must not be able to
//! take changes away from it or turn tracking off. Tests of the row format reach them through
//! the hidden [`__change_tracking`] functions, which are not part of the API.
//!
//! ```
//! use mns_emulator::engine::{Engine, EngineConfig, QueueAttributesInput, RowChange, SendMessageInput};
//! use mns_emulator::engine::__change_tracking as tracking;
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! tracking::set(&mut engine, true);
//! engine.create_queue("jobs", QueueAttributesInput::default(), 1_000).unwrap();
//! engine.send_messages("jobs", vec![SendMessageInput::new("hello")], 1_000).unwrap();
//! let changes = tracking::take(&mut engine).unwrap();
//! assert!(matches!(&changes.ops[0], RowChange::PutQueue(q) if q.name == "jobs"));
//! assert!(matches!(&changes.ops[1], RowChange::PutMessage(m) if m.body == "hello"));
//! assert!(tracking::take(&mut engine).is_none());
//! ```

use std::collections::BTreeSet;

use super::Engine;
use super::image::{
    DeliveryImage, GlobalsImage, MessageImage, QueueImage, SubscriptionImage, TopicImage,
};
use super::shared_queue::QueueCell;

/// One row to write or remove, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowChange {
    /// The whole state was replaced ([`Engine::restore_image`]): remove every row; the rest of
    /// the change set writes every row of the new state.
    Reset,
    /// The queue was deleted: remove its row and every message row of that queue.
    DropQueue(String),
    /// Write (insert or replace) a queue's row.
    PutQueue(Box<QueueImage>),
    /// Write a message's row (keyed by its sequence number; it may have moved queues).
    PutMessage(Box<MessageImage>),
    /// Remove message `seq` *if it is still recorded in `queue`* (a dead letter moved to another
    /// queue in the same batch keeps its row there).
    DeleteMessage {
        /// The queue it left.
        queue: String,
        /// Its sequence number.
        seq: u64,
    },
    /// The topic was deleted: remove its row and every subscription row of that topic.
    DropTopic(String),
    /// Write a topic's row.
    PutTopic(Box<TopicImage>),
    /// Write a subscription's row.
    PutSubscription(Box<SubscriptionImage>),
    /// Remove a subscription's row.
    DeleteSubscription {
        /// Its topic.
        topic: String,
        /// Its name.
        name: String,
    },
    /// Write a pending delivery's row.
    PutDelivery(Box<DeliveryImage>),
    /// Remove a delivery's row (delivered or dropped).
    DeleteDelivery(u64),
}

/// Everything that changed in one batch of operations: the rows to apply in order, then the
/// engine-wide row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// Row changes, drops first.
    pub ops: Vec<RowChange>,
    /// The engine-wide row as of now (sequence numbers, clock, recently deleted queues).
    pub globals: GlobalsImage,
}

/// Engine-level marks (queue and delivery stores keep their own).
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    pub(crate) on: bool,
    /// The whole state was replaced: the next change set rewrites every row.
    reset: bool,
    dropped_queues: Vec<String>,
    dropped_topics: Vec<String>,
    /// Queues whose store may have marked changes (so taking them need not scan every queue).
    queues: BTreeSet<String>,
    topics: BTreeSet<String>,
    subscriptions: BTreeSet<(String, String)>,
    /// The engine-wide row changed on its own (account settings, clock, account id).
    globals: bool,
}

impl ChangeLog {
    pub(crate) fn drop_queue(&mut self, name: &str) {
        if self.on {
            self.dropped_queues.push(name.to_owned());
        }
    }

    pub(crate) fn drop_topic(&mut self, name: &str) {
        if self.on {
            self.dropped_topics.push(name.to_owned());
            self.topics.remove(name);
            self.subscriptions.retain(|(t, _)| t != name);
        }
    }

    pub(crate) fn queue(&mut self, name: &str) {
        if self.on && !self.queues.contains(name) {
            self.queues.insert(name.to_owned());
        }
    }

    /// The engine-wide row changed, even if no other row did.
    pub(crate) fn globals(&mut self) {
        self.globals = self.on;
    }

    pub(crate) fn topic(&mut self, name: &str) {
        if self.on {
            self.topics.insert(name.to_owned());
        }
    }

    pub(crate) fn subscription(&mut self, topic: &str, name: &str) {
        if self.on {
            self.subscriptions
                .insert((topic.to_owned(), name.to_owned()));
        }
    }
}

impl Engine {
    /// Turns change tracking on or off (`Engine::take_changes` reports the rows changed since
    /// the last call; a persistence layer writes them). Turning it on starts from
    /// a clean slate: only later changes are reported.
    pub(crate) fn set_change_tracking(&mut self, on: bool) {
        self.log = ChangeLog {
            on,
            ..ChangeLog::default()
        };
        for q in self.queues.values_mut().map(QueueCell::get_mut) {
            q.track = on;
            q.changed.clear();
            q.meta_changed = false;
        }
        self.topics.deliveries.track = on;
        self.topics.deliveries.changed.clear();
    }

    /// Replaces the whole state with `image` (the admin API's restore), keeping this engine's
    /// settings (the seed is the image's, see [`Engine::from_image`]). Nothing changes on error.
    ///
    /// With change tracking on, the next `Engine::take_changes` starts with
    /// [`RowChange::Reset`] and writes every row of the restored state, so a data directory
    /// then holds exactly the image.
    pub fn restore_image(&mut self, image: super::StateImage) -> Result<(), super::ImageError> {
        let restored = Engine::from_image(self.config.clone(), image)?;
        self.replace_with(restored);
        Ok(())
    }

    /// Replaces the whole state with `other`'s (the admin API's reset and restore), keeping
    /// change tracking as it is. HTTP pushes handed out before are the old state's: reporting
    /// them ([`Engine::complete_http_push`]) changes nothing. With change tracking on, the next `Engine::take_changes` starts with
    /// [`RowChange::Reset`] and writes every row of the new state, so a data directory then
    /// holds exactly that state.
    pub fn replace_with(&mut self, mut other: Engine) {
        let tracking = self.log.on;
        other.set_change_tracking(tracking);
        other.log.reset = tracking;
        other.epoch = self.epoch.wrapping_add(1);
        *self = other;
    }

    /// Moves the engine's notion of now (the mark time never goes back past) to `now` if it is
    /// later, and records the globals row for persistence. For an explicit move of a virtual
    /// clock (the admin API's): other operations advance the mark too but, to keep reads free of
    /// writes, a clock move alone is not recorded, so without this a restart would take the
    /// clock back to the last change.
    pub fn note_time(&mut self, now: super::Millis) {
        let high_water = self.high_water.get_mut();
        if now > *high_water {
            *high_water = now;
            self.log.globals();
        }
    }

    /// Marks a queue's own row changed (when tracking).
    pub(crate) fn queue_meta_changed(&mut self, name: &str) {
        let on = self.log.on;
        if let Some(q) = self.queues.get_mut(name).map(QueueCell::get_mut) {
            q.track = on;
            q.meta_changed |= on;
        }
        self.log.queue(name);
    }

    /// The rows changed since the last call (or since tracking was turned on), or `None` when
    /// nothing changed or tracking is off. Reads that only advanced the clock report nothing.
    pub(crate) fn take_changes(&mut self) -> Option<ChangeSet> {
        if !self.log.on {
            return None;
        }
        if self.log.reset {
            self.set_change_tracking(true);
            let image = self.export_image();
            let mut ops = vec![RowChange::Reset];
            ops.extend(
                image
                    .queues
                    .into_iter()
                    .map(|q| RowChange::PutQueue(Box::new(q))),
            );
            ops.extend(
                image
                    .messages
                    .into_iter()
                    .map(|m| RowChange::PutMessage(Box::new(m))),
            );
            ops.extend(
                image
                    .topics
                    .into_iter()
                    .map(|t| RowChange::PutTopic(Box::new(t))),
            );
            ops.extend(
                image
                    .subscriptions
                    .into_iter()
                    .map(|s| RowChange::PutSubscription(Box::new(s))),
            );
            ops.extend(
                image
                    .deliveries
                    .into_iter()
                    .map(|d| RowChange::PutDelivery(Box::new(d))),
            );
            return Some(ChangeSet {
                ops,
                globals: image.globals,
            });
        }
        let mut ops = Vec::new();
        for name in std::mem::take(&mut self.log.dropped_queues) {
            ops.push(RowChange::DropQueue(name));
        }
        for name in std::mem::take(&mut self.log.dropped_topics) {
            ops.push(RowChange::DropTopic(name));
        }
        for name in std::mem::take(&mut self.log.queues) {
            let Some(q) = self.queues.get_mut(&name).map(QueueCell::get_mut) else {
                continue;
            };
            if q.meta_changed {
                q.meta_changed = false;
                ops.push(RowChange::PutQueue(Box::new(super::image::queue_row(q))));
            }
            if q.changed.is_empty() {
                continue;
            }
            let mut seqs = std::mem::take(&mut q.changed);
            seqs.sort_unstable();
            seqs.dedup();
            for seq in seqs {
                ops.push(match q.message_image(seq) {
                    Some(m) => RowChange::PutMessage(Box::new(m)),
                    None => RowChange::DeleteMessage {
                        queue: q.name.clone(),
                        seq,
                    },
                });
            }
        }
        for name in std::mem::take(&mut self.log.topics) {
            if let Some(t) = self.topic_image(&name) {
                ops.push(RowChange::PutTopic(Box::new(t)));
            }
        }
        for (topic, name) in std::mem::take(&mut self.log.subscriptions) {
            ops.push(match self.subscription_image(&topic, &name) {
                Some(s) => RowChange::PutSubscription(Box::new(s)),
                None => RowChange::DeleteSubscription { topic, name },
            });
        }
        let mut ids = std::mem::take(&mut self.topics.deliveries.changed);
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            ops.push(match self.delivery_image(id) {
                Some(d) => RowChange::PutDelivery(Box::new(d)),
                None => RowChange::DeleteDelivery(id),
            });
        }
        if ops.is_empty() && !std::mem::take(&mut self.log.globals) {
            return None;
        }
        self.log.globals = false;
        Some(ChangeSet {
            ops,
            globals: self.globals_image(),
        })
    }
}

/// Change tracking for tests of the row format, outside the crate. **Not part of the API**
/// (hidden, may change in any release): on an emulator with a data directory, taking changes
/// here takes them away from the journal, and turning tracking off stops it recording.
#[doc(hidden)]
pub mod __change_tracking {
    use super::{ChangeSet, Engine};

    /// Turns change tracking on or off (only later changes are reported).
    pub fn set(engine: &mut Engine, on: bool) {
        engine.set_change_tracking(on);
    }

    /// The rows changed since the last call, or `None` when nothing changed or tracking is off.
    pub fn take(engine: &mut Engine) -> Option<ChangeSet> {
        engine.take_changes()
    }
}
