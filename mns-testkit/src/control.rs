//! Control-plane setup for the FIFO and dead-letter cases: queue types and DLQ policies, which
//! the XML API cannot set (reference mns-openapi-fifo-dlq §1). Everything goes through the
//! control-plane OpenAPI client ([`Target::control_client`]): the emulator's port, or
//! `mns-open.{region}.aliyuncs.com` live, so these helpers work on every backend.

use mns_client::Queue;
use mns_client::ReceivedMessage;
use mns_client::control::{
    ControlClient, CreateQueueOptions, QueueDlqPolicy, QueueType, QueueUpdate,
    SubscriptionDlqPolicy, SubscriptionUpdate,
};

use crate::{CaseError, Target};

impl Target {
    /// A control-plane OpenAPI client for this backend: the emulator's port, or
    /// `mns-open.{region}.aliyuncs.com` with the target's credentials and region.
    pub fn control_client(&self) -> Result<ControlClient, CaseError> {
        let mut builder = ControlClient::builder(self.region())
            .credentials(self.credentials().clone())
            .time_source(self.time_source());
        if let Some(emu) = self.emulator_handle() {
            builder = builder.base_url(emu.endpoint());
        }
        Ok(builder.build()?)
    }

    /// Creates a uniquely named queue of `queue_type` with an optional DLQ policy (`(target
    /// queue name, MaxReceiveCount)`) through the control plane and returns its handle.
    pub async fn create_queue_of_type(
        &self,
        tag: &str,
        queue_type: QueueType,
        dlq: Option<(&str, u32)>,
    ) -> Result<Queue, CaseError> {
        let name = self.queue_name(tag);
        let options = CreateQueueOptions {
            queue_type: Some(queue_type),
            dlq_policy: dlq.map(|(target, n)| QueueDlqPolicy::enabled(target, n)),
            ..CreateQueueOptions::default()
        };
        self.control_client()?.create_queue(&name, &options).await?;
        Ok(self.client.queue(&name)?)
    }

    /// Creates a uniquely named FIFO queue.
    pub async fn create_fifo_queue(&self, tag: &str) -> Result<Queue, CaseError> {
        self.create_queue_of_type(tag, QueueType::Fifo, None).await
    }

    /// Sets a queue's DLQ policy; the service's answer is returned as is.
    pub async fn set_queue_dlq_policy(
        &self,
        queue: &str,
        policy: QueueDlqPolicy,
    ) -> Result<Result<(), mns_client::Error>, CaseError> {
        let update = QueueUpdate {
            dlq_policy: Some(policy),
            ..QueueUpdate::default()
        };
        Ok(self
            .control_client()?
            .set_queue_attributes(queue, &update)
            .await)
    }

    /// Gives a subscription a DLQ policy targeting `dlq`.
    pub async fn set_subscription_dlq(
        &self,
        topic: &str,
        subscription: &str,
        dlq: &str,
    ) -> Result<(), CaseError> {
        let update = SubscriptionUpdate {
            dlq_policy: Some(SubscriptionDlqPolicy::enabled(dlq)),
            ..SubscriptionUpdate::default()
        };
        self.control_client()?
            .set_subscription_attributes(topic, subscription, &update)
            .await?;
        Ok(())
    }
}

/// Asserts that a message received from a dead-letter queue carries the three DLQ system
/// properties, `DLQSourceArn` ending in `source_suffix` (`queues/{name}` or
/// `topics/{t}/subscriptions/{s}`); returns its `DLQOriginMessageId`.
pub(crate) fn assert_dead_lettered(m: &ReceivedMessage, source_suffix: &str) -> String {
    let props = &m.system_properties;
    let arn = props.dlq_source_arn().expect("DLQSourceArn");
    assert!(
        arn.ends_with(source_suffix),
        "DLQSourceArn {arn:?} does not end in {source_suffix:?}"
    );
    assert!(props.dlq_message_type().is_some(), "no DLQMessageType");
    props
        .dlq_origin_message_id()
        .expect("DLQOriginMessageId")
        .to_owned()
}
