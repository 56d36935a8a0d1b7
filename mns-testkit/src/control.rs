//! Control-plane setup: [`Target::control_client`] (the OpenAPI client for any backend), and the
//! emulator-only helpers of the FIFO and dead-letter cases (queue kind and DLQ policies set
//! through the emulator's Rust API, stored messages inspected), which fail on a live target with
//! a clear error.

use mns_client::Queue;
use mns_emulator::engine::{
    MessageSnapshot, QueueAttributesInput, QueueDlqPolicy, QueueKind, SubscriptionDlqPolicy,
};

use crate::{CaseError, Target};

impl Target {
    /// A control-plane OpenAPI client for this backend: the emulator's port, or
    /// `mns-open.{region}.aliyuncs.com` with the target's credentials and region.
    pub fn control_client(&self) -> Result<mns_client::control::ControlClient, CaseError> {
        let mut builder = mns_client::control::ControlClient::builder(self.region())
            .credentials(self.credentials().clone())
            .time_source(self.time_source());
        if let Some(emu) = self.emulator_handle() {
            builder = builder.base_url(emu.endpoint());
        }
        Ok(builder.build()?)
    }

    fn control(&self) -> Result<&mns_emulator::Emulator, CaseError> {
        self.emulator_handle().map(|e| e.emulator()).ok_or_else(|| {
            format!(
                "{} cannot set queue types or DLQ policies without the control-plane OpenAPI",
                self.backend()
            )
            .into()
        })
    }

    /// Creates a uniquely named queue of `kind` with an optional DLQ policy (`(target queue
    /// name, MaxReceiveCount)`) and returns its handle.
    pub fn create_queue_of_kind(
        &self,
        tag: &str,
        kind: QueueKind,
        dlq: Option<(&str, u32)>,
    ) -> Result<Queue, CaseError> {
        let name = self.queue_name(tag);
        self.control()?.create_queue_with(
            &name,
            QueueAttributesInput::default(),
            kind,
            dlq.map(|(target, n)| QueueDlqPolicy::new(target, n)),
        )?;
        Ok(self.client.queue(&name)?)
    }

    /// Creates a uniquely named FIFO queue.
    pub fn create_fifo_queue(&self, tag: &str) -> Result<Queue, CaseError> {
        self.create_queue_of_kind(tag, QueueKind::Fifo, None)
    }

    /// Sets or removes a queue's DLQ policy; the backend's error is returned as is.
    pub fn set_queue_dlq_policy(
        &self,
        queue: &str,
        policy: Option<QueueDlqPolicy>,
    ) -> Result<Result<(), mns_emulator::error::MnsError>, CaseError> {
        Ok(self.control()?.set_queue_dlq_policy(queue, policy))
    }

    /// Gives a subscription a DLQ policy targeting `dlq`.
    pub fn set_subscription_dlq(
        &self,
        topic: &str,
        subscription: &str,
        dlq: &str,
    ) -> Result<(), CaseError> {
        self.control()?.set_subscription_dlq_policy(
            topic,
            subscription,
            Some(SubscriptionDlqPolicy::new(dlq)),
        )?;
        Ok(())
    }

    /// Asserts that the queue `dlq` holds a message with `body` carrying the three DLQ system
    /// properties, `DLQSourceArn` ending in `source_suffix` (`queues/{name}` or
    /// `topics/{t}/subscriptions/{s}`), and returns it.
    pub fn assert_dead_lettered(
        &self,
        dlq: &str,
        body: &str,
        source_suffix: &str,
    ) -> Result<MessageSnapshot, CaseError> {
        let emu = self.control()?;
        let all = emu.inspect_queue(dlq)?;
        let m = all
            .into_iter()
            .find(|m| m.body == body)
            .ok_or_else(|| format!("no message {body:?} in dead-letter queue {dlq}"))?;
        let prop = |n: &str| {
            m.system_properties
                .iter()
                .find(|p| p.name == n)
                .map(|p| p.value.clone())
        };
        let arn = prop("DLQSourceArn").ok_or("no DLQSourceArn")?;
        assert!(
            arn.ends_with(source_suffix),
            "DLQSourceArn {arn:?} does not end in {source_suffix:?}"
        );
        assert!(prop("DLQMessageType").is_some(), "no DLQMessageType");
        assert!(
            prop("DLQOriginMessageId").is_some(),
            "no DLQOriginMessageId"
        );
        Ok(m)
    }
}
