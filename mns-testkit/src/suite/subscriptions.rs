//! Subscriptions: Subscribe, Get/SetSubscriptionAttributes, Unsubscribe,
//! ListSubscriptionByTopic (reference topics §2.6–§2.10, §3.2, §3.3, §7).

use std::collections::BTreeSet;

use mns_client::topic::{
    Endpoint, FilterTag, NotifyContentFormat, NotifyStrategy, SubscribeOptions, SubscriptionUpdate,
    TopicOptions,
};
use mns_client::{CreateOutcome, ErrorCode, ListOptions};

use super::expect_code;
use crate::{CaseResult, RawRequest, Target};

fn http_endpoint() -> Result<Endpoint, mns_client::Error> {
    Endpoint::http("http://example.com/mns/notify")
}

fn xml_subscription(children: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Subscription xmlns=\"http://mns.aliyuncs.com/doc/v1/\">{children}</Subscription>"
    )
}

/// Subscribe answers 201 with `Location` = `…/topics/{t}/subscriptions/{s}`; the same again 204
/// (with `Location`); different attributes 409 `SubscriptionAlreadyExist`.
pub async fn subscribe_is_201_204_409(t: &Target) -> CaseResult {
    let topic = t.create_topic("sub", &TopicOptions::default()).await?;
    let path = format!("/topics/{}/subscriptions/s1", topic.name());
    let body = xml_subscription("<Endpoint>http://example.com/mns/notify</Endpoint>");
    let resp = t
        .raw(RawRequest::new("PUT", path.clone()).body(body.clone()))
        .await?;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let location = resp.header("location").unwrap_or_default();
    assert!(
        location.ends_with(&format!("/topics/{}/subscriptions/s1", topic.name())),
        "Location {location}"
    );
    let again = t.raw(RawRequest::new("PUT", path).body(body)).await?;
    assert_eq!(again.status, 204, "{}", again.body);
    assert!(again.header("location").is_some());
    assert_eq!(
        topic.subscribe("s1", &http_endpoint()?).await?,
        CreateOutcome::AlreadyExisted
    );
    let other = topic
        .subscribe("s1", &Endpoint::http("http://example.com/other")?)
        .await;
    expect_code(other, 409, ErrorCode::SubscriptionAlreadyExist);
    Ok(())
}

/// A new subscription has the defaults `BACKOFF_RETRY`, `XML`, no filter tag; its attributes name
/// the topic, the owner account and the endpoint as given.
pub async fn subscription_defaults_and_attributes(t: &Target) -> CaseResult {
    let topic = t.create_topic("subattr", &TopicOptions::default()).await?;
    let endpoint = http_endpoint()?;
    topic.subscribe("s1", &endpoint).await?;
    let a = topic.get_subscription_attributes("s1").await?;
    assert_eq!(a.subscription_name.as_str(), "s1");
    assert_eq!(a.topic_name.as_str(), topic.name().as_str());
    assert_eq!(a.topic_owner, t.account_id());
    assert_eq!(a.endpoint, endpoint);
    assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
    assert_eq!(a.notify_content_format, NotifyContentFormat::Xml);
    assert!(a.filter_tag.is_none());
    assert_eq!(a.create_time, a.last_modify_time);
    Ok(())
}

/// The GetSubscriptionAttributes document has every element the Python SDK requires and no
/// `FilterTag` when none is set.
pub async fn get_subscription_document_shape(t: &Target) -> CaseResult {
    let topic = t.create_topic("subdoc", &TopicOptions::default()).await?;
    topic.subscribe("s1", &http_endpoint()?).await?;
    let resp = t
        .raw(RawRequest::new(
            "GET",
            format!("/topics/{}/subscriptions/s1", topic.name()),
        ))
        .await?;
    assert_eq!(resp.status, 200);
    for el in [
        "TopicOwner",
        "TopicName",
        "SubscriptionName",
        "Endpoint",
        "NotifyStrategy",
        "NotifyContentFormat",
        "CreateTime",
        "LastModifyTime",
    ] {
        assert!(
            !resp.text(el).unwrap_or_default().is_empty(),
            "{el} missing in {}",
            resp.body
        );
    }
    assert!(resp.text("FilterTag").is_none(), "{}", resp.body);
    Ok(())
}

/// Subscribe options (strategy, format, filter tag) are stored as given.
pub async fn subscribe_options_are_stored(t: &Target) -> CaseResult {
    let topic = t.create_topic("subopts", &TopicOptions::default()).await?;
    topic
        .subscribe_opts(
            "s1",
            &http_endpoint()?,
            &SubscribeOptions {
                filter_tag: Some(FilterTag::new("important")?),
                notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
                notify_content_format: Some(NotifyContentFormat::Simplified),
            },
        )
        .await?;
    let a = topic.get_subscription_attributes("s1").await?;
    assert_eq!(a.notify_strategy, NotifyStrategy::ExponentialDecayRetry);
    assert_eq!(a.notify_content_format, NotifyContentFormat::Simplified);
    assert_eq!(a.filter_tag.as_ref().map(|f| f.as_str()), Some("important"));
    Ok(())
}

/// SetSubscriptionAttributes changes the `NotifyStrategy` (204) and moves `LastModifyTime`.
pub async fn set_subscription_attributes_changes_strategy(t: &Target) -> CaseResult {
    let topic = t.create_topic("subset", &TopicOptions::default()).await?;
    topic.subscribe("s1", &http_endpoint()?).await?;
    let before = topic.get_subscription_attributes("s1").await?;
    t.elapse(std::time::Duration::from_secs(2)).await;
    topic
        .set_subscription_attributes(
            "s1",
            &SubscriptionUpdate {
                notify_strategy: Some(NotifyStrategy::ExponentialDecayRetry),
                ..Default::default()
            },
        )
        .await?;
    let a = topic.get_subscription_attributes("s1").await?;
    assert_eq!(a.notify_strategy, NotifyStrategy::ExponentialDecayRetry);
    assert!(a.last_modify_time > before.last_modify_time);
    assert_eq!(a.endpoint, before.endpoint);
    Ok(())
}

/// SetSubscriptionAttributes with a `FilterTag` changes the filter. \[unconfirmed\]
pub async fn set_subscription_filter_tag_applies(t: &Target) -> CaseResult {
    let topic = t.create_topic("subtag", &TopicOptions::default()).await?;
    topic.subscribe("s1", &http_endpoint()?).await?;
    topic
        .set_subscription_attributes(
            "s1",
            &SubscriptionUpdate {
                filter_tag: Some(FilterTag::new("blue")?),
                ..Default::default()
            },
        )
        .await?;
    let a = topic.get_subscription_attributes("s1").await?;
    assert_eq!(a.filter_tag.as_ref().map(|f| f.as_str()), Some("blue"));
    Ok(())
}

/// Get/SetSubscriptionAttributes on a missing subscription answer 404 `SubscriptionNotExist`;
/// Subscribe to a missing topic 404 `TopicNotExist`.
pub async fn missing_subscription_is_subscription_not_exist(t: &Target) -> CaseResult {
    let topic = t.create_topic("submiss", &TopicOptions::default()).await?;
    let e = expect_code(
        topic.get_subscription_attributes("nope").await,
        404,
        ErrorCode::SubscriptionNotExist,
    );
    // Verbatim from the docs, typo included.
    assert_eq!(e.message, "The subscription you provided does not exits.");
    expect_code(
        topic
            .set_subscription_attributes(
                "nope",
                &SubscriptionUpdate {
                    notify_strategy: Some(NotifyStrategy::BackoffRetry),
                    ..Default::default()
                },
            )
            .await,
        404,
        ErrorCode::SubscriptionNotExist,
    );
    let missing = t.client.topic(&t.topic_name("nosuchtopic"))?;
    expect_code(
        missing.subscribe("s1", &http_endpoint()?).await,
        404,
        ErrorCode::TopicNotExist,
    );
    Ok(())
}

/// Unsubscribe answers 204, also for a subscription that does not exist.
pub async fn unsubscribe_is_204_even_when_missing(t: &Target) -> CaseResult {
    let topic = t.create_topic("unsub", &TopicOptions::default()).await?;
    topic.subscribe("s1", &http_endpoint()?).await?;
    topic.unsubscribe("s1").await?;
    expect_code(
        topic.get_subscription_attributes("s1").await,
        404,
        ErrorCode::SubscriptionNotExist,
    );
    let resp = t
        .raw(RawRequest::new(
            "DELETE",
            format!("/topics/{}/subscriptions/s1", topic.name()),
        ))
        .await?;
    assert_eq!(resp.status, 204, "{}", resp.body);
    Ok(())
}

/// ListSubscriptionByTopic filters by prefix and pages with `NextMarker`; with meta it carries the
/// attributes.
pub async fn list_subscriptions_prefix_paging_and_meta(t: &Target) -> CaseResult {
    let topic = t.create_topic("sublist", &TopicOptions::default()).await?;
    let mut made = BTreeSet::new();
    for i in 0..5 {
        let name = format!("keep-{i}");
        topic.subscribe(&name, &http_endpoint()?).await?;
        made.insert(name);
    }
    topic.subscribe("other", &http_endpoint()?).await?;
    let mut seen = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = topic
            .list_subscription_page(&ListOptions {
                prefix: Some("keep-".into()),
                marker: marker.take(),
                page_size: Some(2),
                with_meta: false,
            })
            .await?;
        pages += 1;
        seen.extend(
            page.subscriptions
                .into_iter()
                .map(|s| s.name.as_str().to_owned()),
        );
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), made);
    let with_meta = topic
        .list_subscription_page(&ListOptions {
            prefix: Some("other".into()),
            with_meta: true,
            ..Default::default()
        })
        .await?;
    assert_eq!(with_meta.subscriptions.len(), 1);
    let a = with_meta.subscriptions[0]
        .attributes
        .as_ref()
        .expect("attributes with meta");
    assert_eq!(a.endpoint, http_endpoint()?);
    Ok(())
}

/// Deleting a topic removes its subscriptions.
pub async fn delete_topic_removes_subscriptions(t: &Target) -> CaseResult {
    let topic = t.create_topic("delsubs", &TopicOptions::default()).await?;
    topic.subscribe("s1", &http_endpoint()?).await?;
    topic.delete().await?;
    topic.create(&TopicOptions::default()).await?;
    let page = topic
        .list_subscription_page(&ListOptions::default())
        .await?;
    assert!(page.subscriptions.is_empty());
    Ok(())
}

/// An endpoint that is no known form (e.g. `ftp://…`) answers 400 `EndpointInvalid`; a queue
/// endpoint of another account answers 400 too. \[unconfirmed\]
pub async fn subscribe_invalid_endpoint_is_rejected(t: &Target) -> CaseResult {
    let topic = t.create_topic("badep", &TopicOptions::default()).await?;
    let path = format!("/topics/{}/subscriptions/s1", topic.name());
    let resp = t
        .raw(
            RawRequest::new("PUT", path.clone())
                .body(xml_subscription("<Endpoint>ftp://example.com/x</Endpoint>")),
        )
        .await?;
    resp.assert_error(400, "EndpointInvalid");
    let foreign = format!(
        "<Endpoint>acs:mns:{}:9999999999999999:queues/q</Endpoint>",
        t.region()
    );
    let resp = t
        .raw(RawRequest::new("PUT", path).body(xml_subscription(&foreign)))
        .await?;
    assert_eq!(resp.status, 400, "{}", resp.body);
    Ok(())
}

/// Unknown `NotifyStrategy` / `NotifyContentFormat` values answer 400 `InvalidArgument`.
pub async fn subscribe_invalid_strategy_or_format_is_invalid_argument(t: &Target) -> CaseResult {
    let topic = t.create_topic("badopt", &TopicOptions::default()).await?;
    let path = format!("/topics/{}/subscriptions/s1", topic.name());
    for extra in [
        "<NotifyStrategy>SOMETIMES</NotifyStrategy>",
        "<NotifyContentFormat>YAML</NotifyContentFormat>",
    ] {
        let resp = t
            .raw(
                RawRequest::new("PUT", path.clone()).body(xml_subscription(&format!(
                    "<Endpoint>http://example.com/n</Endpoint>{extra}"
                ))),
            )
            .await?;
        resp.assert_error(400, "InvalidArgument");
    }
    Ok(())
}

/// A subscription name with `_` answers 400 `SubscriptionNameInvalid`. \[unconfirmed\]
pub async fn invalid_subscription_name_is_rejected(t: &Target) -> CaseResult {
    let topic = t.create_topic("badsub", &TopicOptions::default()).await?;
    let resp = t
        .raw(
            RawRequest::new(
                "PUT",
                format!("/topics/{}/subscriptions/bad_name", topic.name()),
            )
            .body(xml_subscription(
                "<Endpoint>http://example.com/n</Endpoint>",
            )),
        )
        .await?;
    resp.assert_error(400, "SubscriptionNameInvalid");
    Ok(())
}
