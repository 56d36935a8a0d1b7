//! The control-plane OpenAPI (reference mns-openapi-fifo-dlq §2–3) through
//! `mns_client::control::ControlClient`: every queue, topic, subscription and account action,
//! and the data plane seeing what the control plane set. These run on live MNS too (region and
//! account from the target); every queue and topic is registered for cleanup.

use std::time::Duration;

use futures_util::StreamExt as _;
use mns_client::control::{
    AccountUpdate, ControlListOptions, CreateQueueOptions, CreateTopicOptions, QueueDlqPolicy,
    QueueType, QueueUpdate, RateLimitPolicy, SubscribeOptions, SubscriptionDlqPolicy,
    SubscriptionUpdate, Tag, TaggedResourceType, TopicType, TopicUpdate,
};
use mns_client::topic::NotifyStrategy;
use mns_client::{Error, SendOptions};

use crate::{CaseResult, Target};

/// A queue name registered for cleanup.
fn queue(t: &Target, tag: &str) -> String {
    t.queue_name(tag)
}

/// A topic name registered for cleanup.
fn topic(t: &Target, tag: &str) -> String {
    t.topic_name(tag)
}

fn service(e: &Error) -> (u16, String) {
    let s = e.as_service().expect("a service error");
    assert!(!s.request_id.is_empty(), "error without request id");
    (s.status, s.code.as_str().to_owned())
}

fn fifo() -> CreateQueueOptions {
    CreateQueueOptions {
        queue_type: Some(QueueType::Fifo),
        ..CreateQueueOptions::default()
    }
}

/// CreateQueue with a type, a DLQ policy, a rate limit and tags; GetQueueAttributes reads each
/// back, and the data plane sees the same queue.
pub async fn control_create_queue_with_type_dlq_and_tags(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let (dlq, name) = (queue(t, "cp-dlq"), queue(t, "cp-src"));
    c.create_queue(&dlq, &fifo()).await?;
    let options = CreateQueueOptions {
        visibility_timeout: Some(45),
        dlq_policy: Some(QueueDlqPolicy::enabled(&dlq, 3)),
        rate_limit: Some(RateLimitPolicy::per_second(100)),
        tags: vec![Tag::new("env", "conformance a/b"), Tag::new("team", "mq")],
        ..fifo()
    };
    c.create_queue(&name, &options).await?;
    let q = c.get_queue_attributes(&name).await?;
    assert_eq!(q.name, name);
    assert_eq!(q.queue_type, QueueType::Fifo);
    assert_eq!(q.visibility_timeout, 45);
    assert_eq!(q.dlq_policy, Some(QueueDlqPolicy::enabled(&dlq, 3)));
    assert_eq!(q.rate_limit, Some(RateLimitPolicy::per_second(100)));
    let mut tags = q.tags.clone();
    tags.sort();
    assert_eq!(tags, options.tags);
    let xml = t.client.get_queue_attributes(&name).await?;
    assert_eq!(
        xml.visibility_timeout, 45,
        "the XML API sees the same queue"
    );
    Ok(())
}

/// A FIFO queue created through the control plane behaves as one on the data plane: a send
/// without a group id is refused, a message received `MaxReceiveCount` times moves to the DLQ.
pub async fn control_created_fifo_queue_has_fifo_and_dlq_semantics(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let (dlq, name) = (queue(t, "cp-sem-dlq"), queue(t, "cp-sem"));
    c.create_queue(&dlq, &fifo()).await?;
    let options = CreateQueueOptions {
        visibility_timeout: Some(1),
        dlq_policy: Some(QueueDlqPolicy::enabled(&dlq, 1)),
        ..fifo()
    };
    c.create_queue(&name, &options).await?;
    let q = t.client.queue(&name)?;
    let refused = q.send_message("no group").await.unwrap_err();
    assert_eq!(service(&refused).1, "FifoMissingMessageGroupId");
    q.send_message_opts("poison", SendOptions::in_group("g"))
        .await?;
    let first = q.receive_message(Some(Duration::ZERO)).await?;
    assert_eq!(first.expect("received").body, b"poison");
    t.elapse(Duration::from_secs(2)).await;
    assert!(q.receive_message(Some(Duration::ZERO)).await?.is_none());
    let dead = t
        .client
        .queue(&dlq)?
        .receive_message(Some(Duration::from_secs(1)))
        .await?
        .expect("dead-lettered");
    assert_eq!(dead.body, b"poison");
    Ok(())
}

/// SetQueueAttributes changes only what it names; `{"Enabled":false}` turns the DLQ off and is
/// read back as such.
pub async fn control_set_queue_attributes_is_partial(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let (dlq, name) = (queue(t, "cp-set-dlq"), queue(t, "cp-set"));
    c.create_queue(&dlq, &CreateQueueOptions::default()).await?;
    let options = CreateQueueOptions {
        delay_seconds: Some(5),
        dlq_policy: Some(QueueDlqPolicy::enabled(&dlq, 2)),
        ..CreateQueueOptions::default()
    };
    c.create_queue(&name, &options).await?;
    let update = QueueUpdate {
        visibility_timeout: Some(90),
        dlq_policy: Some(QueueDlqPolicy::disabled()),
        ..QueueUpdate::default()
    };
    c.set_queue_attributes(&name, &update).await?;
    let q = c.get_queue_attributes(&name).await?;
    assert_eq!((q.visibility_timeout, q.delay_seconds), (90, 5));
    assert!(!q.dlq_policy.expect("policy kept").enabled);
    assert_eq!(q.queue_type, QueueType::Normal);
    Ok(())
}

/// ListQueue pages (a stream over `PageNum`) and filters by name, type and tag.
pub async fn control_list_queues_filters_and_pages(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let prefix = t.unique_name("cp-list");
    for i in 0..12 {
        let name = format!("{prefix}-{i:02}");
        t.register_queue(&name);
        let options = if i == 0 {
            CreateQueueOptions {
                tags: vec![Tag::new("pick", "me")],
                ..fifo()
            }
        } else {
            CreateQueueOptions::default()
        };
        c.create_queue(&name, &options).await?;
    }
    let names: Vec<String> = c
        .list_queues(ControlListOptions {
            name: Some(prefix.clone()),
            page_size: Some(10),
            ..ControlListOptions::default()
        })
        .map(|r| r.map(|q| q.name))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    assert_eq!(names.len(), 12, "{names:?}");
    let page = c
        .list_queues_page(
            &ControlListOptions {
                name: Some(prefix.clone()),
                fifo: Some(true),
                tags: vec![Tag::new("pick", "me")],
                ..ControlListOptions::default()
            },
            1,
        )
        .await?;
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].name, format!("{prefix}-00"));
    Ok(())
}

/// DeleteQueue removes the queue for both planes; a missing queue answers 404 `QueueNotExist`
/// (status and code \[unconfirmed\]).
pub async fn control_delete_queue_then_get_is_404(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let name = queue(t, "cp-del");
    c.create_queue(&name, &CreateQueueOptions::default())
        .await?;
    c.delete_queue(&name).await?;
    let e = c.get_queue_attributes(&name).await.unwrap_err();
    assert_eq!(service(&e), (404, "QueueNotExist".into()));
    assert!(
        t.client
            .get_queue_attributes(&name)
            .await
            .unwrap_err()
            .is_not_found()
    );
    Ok(())
}

/// A DLQ policy naming the queue itself or a missing queue is refused with 400 and creates
/// nothing (codes \[unconfirmed\]).
pub async fn control_bad_dlq_policy_is_refused(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let name = queue(t, "cp-bad");
    for target in [name.clone(), t.unique_name("cp-missing")] {
        let options = CreateQueueOptions {
            dlq_policy: Some(QueueDlqPolicy::enabled(&target, 3)),
            ..CreateQueueOptions::default()
        };
        let e = c.create_queue(&name, &options).await.unwrap_err();
        assert_eq!(service(&e).0, 400, "{e}");
    }
    assert!(
        c.get_queue_attributes(&name).await.is_err(),
        "nothing created"
    );
    Ok(())
}

/// CreateTopic (type, size, tags), GetTopicAttributes, SetTopicAttributes, ListTopic,
/// DeleteTopic.
pub async fn control_topic_lifecycle(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let name = topic(t, "cp-topic");
    let options = CreateTopicOptions {
        topic_type: Some(TopicType::Fifo),
        max_message_size: Some(32768),
        tags: vec![Tag::new("env", "conformance")],
        ..CreateTopicOptions::default()
    };
    c.create_topic(&name, &options).await?;
    let got = c.get_topic_attributes(&name).await?;
    assert_eq!(
        (got.topic_type, got.max_message_size),
        (TopicType::Fifo, 32768)
    );
    assert_eq!(got.tags, options.tags);
    let update = TopicUpdate {
        logging_enabled: Some(true),
        ..TopicUpdate::default()
    };
    c.set_topic_attributes(&name, &update).await?;
    assert!(c.get_topic_attributes(&name).await?.logging_enabled);
    let listed = c
        .list_topics_page(
            &ControlListOptions {
                name: Some(name.clone()),
                ..ControlListOptions::default()
            },
            1,
        )
        .await?;
    assert_eq!(listed.items.len(), 1);
    c.delete_topic(&name).await?;
    let e = c.get_topic_attributes(&name).await.unwrap_err();
    assert_eq!(service(&e), (404, "TopicNotExist".into()));
    Ok(())
}

/// Subscribe (queue endpoint, strategy, DLQ), GetSubscriptionAttributes,
/// SetSubscriptionAttributes, ListSubscriptionByTopic, Unsubscribe.
pub async fn control_subscription_lifecycle(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let (sink, dlq) = (queue(t, "cp-sink"), queue(t, "cp-sub-dlq"));
    c.create_queue(&sink, &CreateQueueOptions::default())
        .await?;
    c.create_queue(&dlq, &CreateQueueOptions::default()).await?;
    let name = topic(t, "cp-subs");
    c.create_topic(&name, &CreateTopicOptions::default())
        .await?;
    let arn = format!("acs:mns:{}:{}:queues/{sink}", t.region(), t.account_id());
    let options = SubscribeOptions {
        notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
        dlq_policy: Some(SubscriptionDlqPolicy::enabled(&dlq)),
        ..SubscribeOptions::queue(&arn)
    };
    c.subscribe(&name, "to-sink", &options).await?;
    let got = c.get_subscription_attributes(&name, "to-sink").await?;
    assert_eq!(got.endpoint, arn);
    assert_eq!(got.notify_strategy, "EXPONENTIAL_DECAY_RETRY");
    assert_eq!(got.dlq_policy, Some(SubscriptionDlqPolicy::enabled(&dlq)));
    let update = SubscriptionUpdate {
        notify_strategy: Some(NotifyStrategy::BackoffRetry),
        ..SubscriptionUpdate::default()
    };
    c.set_subscription_attributes(&name, "to-sink", &update)
        .await?;
    let listed: Vec<_> = c.list_subscriptions(&name).collect().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].as_ref().expect("listed").notify_strategy,
        "BACKOFF_RETRY"
    );
    c.unsubscribe(&name, "to-sink").await?;
    let e = c
        .get_subscription_attributes(&name, "to-sink")
        .await
        .unwrap_err();
    assert_eq!(service(&e).0, 404);
    Ok(())
}

/// GetAccountAttributes / SetAccountAttributes round trip; the previous value is restored.
pub async fn control_account_attributes_round_trip(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let before = c.get_account_attributes().await?;
    let flipped = !before.message_trace_enabled;
    let update = AccountUpdate {
        message_trace_enabled: Some(flipped),
        ..AccountUpdate::default()
    };
    c.set_account_attributes(&update).await?;
    let after = c.get_account_attributes().await?;
    let restore = AccountUpdate {
        message_trace_enabled: Some(before.message_trace_enabled),
        ..AccountUpdate::default()
    };
    c.set_account_attributes(&restore).await?;
    assert_eq!(after.message_trace_enabled, flipped);
    assert_eq!(
        after.log_enabled, before.log_enabled,
        "only what was named changed"
    );
    Ok(())
}

/// TagResources adds tags (overwriting a present key) and UntagResources removes them, on a
/// queue and a topic (answers \[unconfirmed\]: Terraform's actions, not in the Python SDK).
pub async fn control_tag_and_untag_resources(t: &Target) -> CaseResult {
    let c = t.control_client()?;
    let q = queue(t, "cp-tags");
    let name = topic(t, "cp-tags");
    c.create_queue(
        &q,
        &CreateQueueOptions {
            tags: vec![Tag::new("env", "old")],
            ..CreateQueueOptions::default()
        },
    )
    .await?;
    c.create_topic(&name, &CreateTopicOptions::default())
        .await?;
    let tags = [Tag::new("env", "new"), Tag::new("team", "mq")];
    c.tag_resources(TaggedResourceType::Queue, &[&q], &tags)
        .await?;
    c.tag_resources(TaggedResourceType::Topic, &[&name], &tags)
        .await?;
    let mut got = c.get_queue_attributes(&q).await?.tags;
    got.sort();
    assert_eq!(got, tags.to_vec());
    c.untag_resources(TaggedResourceType::Queue, &[&q], &["env"])
        .await?;
    assert_eq!(
        c.get_queue_attributes(&q).await?.tags,
        vec![Tag::new("team", "mq")]
    );
    c.untag_resources(TaggedResourceType::Topic, &[&name], &["env", "team"])
        .await?;
    assert!(c.get_topic_attributes(&name).await?.tags.is_empty());
    Ok(())
}
