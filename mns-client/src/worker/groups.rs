//! Receive order within a FIFO message group.
//!
//! A FIFO queue hands out the messages of one `MessageGroupId` in order, and (by its group lock)
//! not the next one until the previous is deleted. A single batch receive may still carry several
//! messages of one group where the service allows it, and the worker would otherwise run them
//! concurrently. [`GroupOrder`] chains them: each message of a group waits until the message
//! received before it has been settled, while messages of other groups, and messages without a
//! group, run concurrently as before. A message whose predecessor failed is not handled at all:
//! it is made visible again, so that the service hands the group out again in order, the failed
//! message first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// How the previous message of a group ended, as its successor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Previous {
    /// Handled and deleted (or settled without breaking the order): go on.
    Done,
    /// Failed or released: the successor must not overtake it.
    Broken,
}

/// How the message a successor waits for ended (`None` while it runs).
type Outcome = watch::Receiver<Option<Previous>>;

/// The chain of every group with a message in flight in this worker.
#[derive(Debug, Default)]
pub(crate) struct GroupOrder {
    /// Per group: the id of its last message in flight, and how that one ends.
    tails: Mutex<HashMap<String, (u64, Outcome)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl GroupOrder {
    /// Enters the next message of `group` (in receive order: call it in the order the messages
    /// were received, before spawning them). Returns what to wait for, if a message of the group
    /// is still in flight, and the message's own turn, to be ended when it is settled.
    pub(crate) fn enter(self: &Arc<Self>, group: &str) -> (Option<Wait>, Turn) {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = watch::channel(None);
        let previous = self
            .tails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(group.to_owned(), (id, rx))
            .map(|(_, rx)| Wait(rx));
        let turn = Turn {
            order: self.clone(),
            group: group.to_owned(),
            id,
            tx,
            outcome: Previous::Broken,
        };
        (previous, turn)
    }

    /// How many groups have a message in flight (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.tails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Waiting for the previous message of the same group to be settled.
#[derive(Debug)]
pub(crate) struct Wait(Outcome);

impl Wait {
    /// How the previous message ended. A predecessor whose task went away without ending its
    /// turn (a panic outside the handler) counts as broken.
    pub(crate) async fn previous(mut self) -> Previous {
        match self.0.wait_for(Option::is_some).await {
            Ok(v) => v.unwrap_or(Previous::Broken),
            Err(_) => Previous::Broken,
        }
    }
}

/// One message's place in its group's chain; dropping it tells the successor how it ended
/// ([`Previous::Broken`] unless [`Turn::succeeded`] was called).
#[derive(Debug)]
pub(crate) struct Turn {
    order: Arc<GroupOrder>,
    group: String,
    id: u64,
    tx: watch::Sender<Option<Previous>>,
    outcome: Previous,
}

impl Turn {
    /// The message was handled and settled: its successor may run.
    pub(crate) fn succeeded(&mut self) {
        self.outcome = Previous::Done;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let _ = self.tx.send(Some(self.outcome));
        let mut tails = self
            .order
            .tails
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Forget the group when this was its last message in flight.
        if tails.get(&self.group).is_some_and(|(id, _)| *id == self.id) {
            tails.remove(&self.group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn successors_wait_and_see_how_their_predecessor_ended() {
        let order = Arc::new(GroupOrder::default());
        let (none, mut first) = order.enter("g");
        assert!(none.is_none());
        let (wait_second, second) = order.enter("g");
        let (wait_third, third) = order.enter("g");
        let (other, _other_turn) = order.enter("h");
        assert!(other.is_none(), "other groups do not wait");
        first.succeeded();
        drop(first);
        assert_eq!(wait_second.expect("waits").previous().await, Previous::Done);
        drop(second); // ends without success: the order is broken from here on
        assert_eq!(
            wait_third.expect("waits").previous().await,
            Previous::Broken
        );
        drop(third);
        assert_eq!(order.len(), 1, "only group h is still in flight");
    }
}
