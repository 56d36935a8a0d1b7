//! Topics and subscriptions (publish/subscribe).
//!
//! [`model`] holds the typed, validated values of the topic side: [`TopicName`],
//! [`SubscriptionName`], subscription [`Endpoint`]s, [`NotifyStrategy`], [`NotifyContentFormat`],
//! [`MessageTag`]/[`FilterTag`], topic and subscription attributes and the per-endpoint
//! [`MessageAttributes`] of `PublishMessage`.

pub mod model;

pub use model::{
    DirectMailAttributes, DirectSmsAttributes, DmAttributes, DysmsAttributes, Endpoint, FilterTag,
    HttpEndpoint, MailAddressType, MailEndpoint, MessageAttributes, MessageTag,
    NotifyContentFormat, NotifyStrategy, PublishOptions, QueueEndpoint, SmsContent, SmsEndpoint,
    SubscribeOptions, SubscriptionAttributes, SubscriptionName, SubscriptionUpdate,
    TopicAttributes, TopicName, TopicOptions,
};
