//! Control-plane settings the XML API does not carry (reference mns-openapi-fifo-dlq §1): queue
//! kind (normal / FIFO) and dead-letter policies, set from Rust on an [`Emulator`] (and so on a
//! [`crate::RunningEmulator`] through [`crate::RunningEmulator::emulator`]) or declared up front
//! on the [`crate::EmulatorBuilder`]. The engine calls are the same ones the control-plane OpenAPI
//! uses. With a data directory, [`Emulator::durable`] waits until these changes are on disk.

use crate::Emulator;
use crate::engine::{
    CreateOutcome, QueueAttributesInput, QueueDlqPolicy, QueueKind, SubscriptionDlqPolicy,
};
use crate::error::MnsError;

impl Emulator {
    /// Creates a queue of `kind` with an optional DLQ policy (the policy's target must exist
    /// first). See [`crate::engine::Engine::create_queue_with`].
    pub fn create_queue_with(
        &self,
        name: &str,
        attrs: QueueAttributesInput,
        kind: QueueKind,
        dlq: Option<QueueDlqPolicy>,
    ) -> Result<CreateOutcome, MnsError> {
        self.with_engine(|e, now| e.create_queue_with(name, attrs, kind, dlq, now))
    }

    /// Creates a FIFO queue with default attributes and no DLQ policy.
    pub fn create_fifo_queue(&self, name: &str) -> Result<CreateOutcome, MnsError> {
        self.create_queue_with(name, QueueAttributesInput::default(), QueueKind::Fifo, None)
    }

    /// Sets (`Some`) or removes (`None`) a queue's DLQ policy.
    pub fn set_queue_dlq_policy(
        &self,
        queue: &str,
        policy: Option<QueueDlqPolicy>,
    ) -> Result<(), MnsError> {
        self.with_engine(|e, now| e.set_queue_dlq_policy(queue, policy, now))
    }

    /// A queue's DLQ policy, as set.
    pub fn queue_dlq_policy(&self, queue: &str) -> Result<Option<QueueDlqPolicy>, MnsError> {
        self.with_engine(|e, _| e.queue_dlq_policy(queue))
    }

    /// A queue's kind.
    pub fn queue_kind(&self, queue: &str) -> Result<QueueKind, MnsError> {
        self.with_engine(|e, _| e.queue_kind(queue))
    }

    /// Sets (`Some`) or removes (`None`) a subscription's DLQ policy.
    pub fn set_subscription_dlq_policy(
        &self,
        topic: &str,
        subscription: &str,
        policy: Option<SubscriptionDlqPolicy>,
    ) -> Result<(), MnsError> {
        self.with_engine(|e, now| e.set_subscription_dlq_policy(topic, subscription, policy, now))
    }

    /// A subscription's DLQ policy, as set.
    pub fn subscription_dlq_policy(
        &self,
        topic: &str,
        subscription: &str,
    ) -> Result<Option<SubscriptionDlqPolicy>, MnsError> {
        self.with_engine(|e, _| e.subscription_dlq_policy(topic, subscription))
    }
}

/// A queue declared on the builder, created when the emulator is built (in declaration order,
/// so declare a DLQ before the queues that use it).
#[derive(Debug, Clone)]
pub(crate) struct DeclaredQueue {
    pub(crate) name: String,
    pub(crate) kind: QueueKind,
    pub(crate) dlq: Option<QueueDlqPolicy>,
}
