//! Queue administration: CreateQueue, GetQueueAttributes, SetQueueAttributes, DeleteQueue,
//! ListQueue (reference §4.1–§4.5, §5).

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::TryStreamExt;
use mns_client::{CreateOutcome, ErrorCode, ListOptions, QueueOptions};

use super::{expect_code, xml_queue};
use crate::{CaseResult, RawRequest, Target};

/// CreateQueue on a free name answers 201 Created with `Location` = `{endpoint}/queues/{name}`.
pub async fn create_queue_new_name_is_201_with_location(t: &Target) -> CaseResult {
    let name = t.queue_name("new");
    let resp = t
        .raw(RawRequest::new("PUT", format!("/queues/{name}")).body(xml_queue("")))
        .await?;
    assert_eq!(resp.status, 201, "body: {}", resp.body);
    let location = resp.header("location").expect("Location header on 201");
    assert!(
        location.ends_with(&format!("/queues/{name}")),
        "Location {location}"
    );
    assert_eq!(location.split('/').count(), 5, "scheme://host/queues/name");
    Ok(())
}

/// CreateQueue of an existing queue with the same attributes answers 204 (with `Location`).
pub async fn create_queue_same_attributes_is_204(t: &Target) -> CaseResult {
    let attrs = QueueOptions {
        visibility_timeout: Some(45),
        ..Default::default()
    };
    let name = t.queue_name("same");
    assert_eq!(
        t.client.create_queue(&name, &attrs).await?,
        CreateOutcome::Created
    );
    assert_eq!(
        t.client.create_queue(&name, &attrs).await?,
        CreateOutcome::AlreadyExisted
    );
    let resp = t
        .raw(
            RawRequest::new("PUT", format!("/queues/{name}"))
                .body(xml_queue("<VisibilityTimeout>45</VisibilityTimeout>")),
        )
        .await?;
    assert_eq!(resp.status, 204);
    assert!(resp.header("location").is_some(), "Location on 204 too");
    Ok(())
}

/// CreateQueue of an existing queue with different attributes answers 409 `QueueAlreadyExist`.
pub async fn create_queue_different_attributes_is_409(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "diff",
            &QueueOptions {
                visibility_timeout: Some(45),
                ..Default::default()
            },
        )
        .await?;
    let other = QueueOptions {
        visibility_timeout: Some(46),
        ..Default::default()
    };
    let r = t.client.create_queue(q.name().as_str(), &other).await;
    let e = expect_code(r, 409, ErrorCode::QueueAlreadyExist);
    assert_eq!(e.message, "The queue you want to create is already exist.");
    Ok(())
}

/// CreateQueue of an existing queue, omitting an attribute that was set to a non-default value,
/// answers 409 (omitted attributes compare as their defaults). \[unconfirmed\]
pub async fn create_queue_omitted_attribute_compares_as_default(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "omit",
            &QueueOptions {
                delay_seconds: Some(5),
                ..Default::default()
            },
        )
        .await?;
    let r = t
        .client
        .create_queue(q.name().as_str(), &QueueOptions::default())
        .await;
    expect_code(r, 409, ErrorCode::QueueAlreadyExist);
    Ok(())
}

/// An empty `<Queue/>` creates a queue with the documented defaults (§5): delay 0, maximum size
/// 65536, retention 345600, visibility 30, polling wait 0, logging off, no messages.
pub async fn create_queue_defaults(t: &Target) -> CaseResult {
    let q = t.create_queue("defaults", &QueueOptions::default()).await?;
    let a = q.get_attributes().await?;
    assert_eq!(a.name, q.name().as_str());
    assert_eq!(a.delay_seconds, 0);
    assert_eq!(a.maximum_message_size, 65_536);
    assert_eq!(a.message_retention_period, 345_600);
    assert_eq!(a.visibility_timeout, 30);
    assert_eq!(a.polling_wait_seconds, 0);
    assert!(!a.logging_enabled);
    assert_eq!(
        (a.active_messages, a.inactive_messages, a.delay_messages),
        (0, 0, 0)
    );
    assert_eq!(a.create_time, a.last_modify_time);
    Ok(())
}

/// GetQueueAttributes reports every attribute given at creation.
pub async fn get_queue_attributes_reports_custom_values(t: &Target) -> CaseResult {
    let attrs = QueueOptions {
        delay_seconds: Some(3),
        maximum_message_size: Some(2048),
        message_retention_period: Some(3600),
        visibility_timeout: Some(90),
        polling_wait_seconds: Some(7),
        logging_enabled: Some(true),
    };
    let q = t.create_queue("custom", &attrs).await?;
    let a = q.get_attributes().await?;
    assert_eq!(
        (
            a.delay_seconds,
            a.maximum_message_size,
            a.message_retention_period,
            a.visibility_timeout,
            a.polling_wait_seconds,
            a.logging_enabled
        ),
        (3, 2048, 3600, 90, 7, true)
    );
    Ok(())
}

/// GetQueueAttributes returns all twelve elements with numeric values, and `CreateTime` in
/// seconds (10 digits).
pub async fn get_queue_attributes_document_has_twelve_elements(t: &Target) -> CaseResult {
    let q = t.create_queue("doc", &QueueOptions::default()).await?;
    let resp = t
        .raw(RawRequest::new("GET", format!("/queues/{}", q.name())))
        .await?;
    assert_eq!(resp.status, 200);
    for el in [
        "QueueName",
        "CreateTime",
        "LastModifyTime",
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "VisibilityTimeout",
        "PollingWaitSeconds",
        "ActiveMessages",
        "InactiveMessages",
        "DelayMessages",
        "LoggingEnabled",
    ] {
        let v = resp.text(el).unwrap_or_default();
        assert!(!v.is_empty(), "{el} missing or empty in {}", resp.body);
    }
    assert_eq!(resp.text("CreateTime").unwrap_or_default().len(), 10);
    Ok(())
}

/// The Active/Inactive/Delay counters follow message states (§8 queue counters).
pub async fn queue_counters_follow_message_states(t: &Target) -> CaseResult {
    let q = t.create_queue("counters", &QueueOptions::default()).await?;
    q.send_message("a").await?;
    q.send_message("b").await?;
    q.send_message_opts(
        "c",
        mns_client::SendOptions {
            delay_seconds: Some(60),
            ..Default::default()
        },
    )
    .await?;
    q.receive_message(Some(Duration::ZERO))
        .await?
        .expect("a visible message");
    let a = q.get_attributes().await?;
    assert_eq!(
        (a.active_messages, a.inactive_messages, a.delay_messages),
        (1, 1, 1)
    );
    Ok(())
}

/// SetQueueAttributes changes only the attributes present in the request.
pub async fn set_queue_attributes_is_partial(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "partial",
            &QueueOptions {
                visibility_timeout: Some(60),
                delay_seconds: Some(2),
                ..Default::default()
            },
        )
        .await?;
    q.set_attributes(&QueueOptions {
        polling_wait_seconds: Some(5),
        ..Default::default()
    })
    .await?;
    let a = q.get_attributes().await?;
    assert_eq!(
        (
            a.visibility_timeout,
            a.delay_seconds,
            a.polling_wait_seconds
        ),
        (60, 2, 5)
    );
    Ok(())
}

/// SetQueueAttributes moves `LastModifyTime` forward and leaves `CreateTime`.
pub async fn set_queue_attributes_updates_last_modify_time(t: &Target) -> CaseResult {
    let q = t.create_queue("lmt", &QueueOptions::default()).await?;
    let before = q.get_attributes().await?;
    t.elapse(Duration::from_secs(2)).await;
    q.set_attributes(&QueueOptions {
        logging_enabled: Some(true),
        ..Default::default()
    })
    .await?;
    let after = q.get_attributes().await?;
    assert_eq!(after.create_time, before.create_time);
    assert!(after.last_modify_time > before.last_modify_time);
    assert!(after.logging_enabled);
    Ok(())
}

/// A new `VisibilityTimeout` applies to the next receive.
pub async fn set_queue_attributes_visibility_applies_to_next_receive(t: &Target) -> CaseResult {
    let q = t.create_queue("vtnext", &QueueOptions::default()).await?;
    q.set_attributes(&QueueOptions {
        visibility_timeout: Some(5),
        ..Default::default()
    })
    .await?;
    q.send_message("x").await?;
    let m = q
        .receive_message(Some(Duration::ZERO))
        .await?
        .expect("message");
    let window = m
        .next_visible_time
        .duration_since(m.first_dequeue_time)
        .unwrap_or_default();
    assert_eq!(window, Duration::from_secs(5));
    Ok(())
}

/// SetQueueAttributes / GetQueueAttributes on a missing queue answer 404 `QueueNotExist` with the
/// service's text.
pub async fn missing_queue_attributes_is_404(t: &Target) -> CaseResult {
    let name = t.queue_name("missing");
    let e = expect_code(
        t.client.get_queue_attributes(&name).await,
        404,
        ErrorCode::QueueNotExist,
    );
    assert_eq!(e.message, "The queue name you provided is not exist.");
    expect_code(
        t.client
            .set_queue_attributes(
                &name,
                &QueueOptions {
                    delay_seconds: Some(1),
                    ..Default::default()
                },
            )
            .await,
        404,
        ErrorCode::QueueNotExist,
    );
    Ok(())
}

/// DeleteQueue removes the queue and its messages; the name can be created again afresh.
pub async fn delete_queue_discards_messages(t: &Target) -> CaseResult {
    let q = t.create_queue("del", &QueueOptions::default()).await?;
    q.send_message("gone").await?;
    q.delete().await?;
    expect_code(q.get_attributes().await, 404, ErrorCode::QueueNotExist);
    expect_code(
        q.send_message("x").await.map(|_| ()),
        404,
        ErrorCode::QueueNotExist,
    );
    Ok(())
}

/// DeleteQueue of a queue that does not exist answers 204. \[unconfirmed\]
pub async fn delete_missing_queue_succeeds(t: &Target) -> CaseResult {
    let name = t.queue_name("never");
    t.client.delete_queue(&name).await?;
    Ok(())
}

/// ListQueue with `x-mns-prefix` returns exactly the queues whose name starts with the prefix,
/// sorted by name.
pub async fn list_queue_filters_by_prefix(t: &Target) -> CaseResult {
    let base = t.unique_name("lp");
    let mut made = Vec::new();
    for s in ["b", "a", "c"] {
        let name = format!("{base}-{s}");
        t.register_queue(&name);
        t.client
            .create_queue(&name, &QueueOptions::default())
            .await?;
        made.push(name);
    }
    let other = t.queue_name("other");
    t.client
        .create_queue(&other, &QueueOptions::default())
        .await?;
    let page = t
        .client
        .list_queue_page(&ListOptions {
            prefix: Some(format!("{base}-")),
            ..Default::default()
        })
        .await?;
    let names: Vec<String> = page
        .queues
        .iter()
        .map(|q| q.name.as_str().to_owned())
        .collect();
    made.sort();
    assert_eq!(names, made);
    assert!(page.next_marker.is_none());
    for q in &page.queues {
        assert!(
            q.url.ends_with(&format!("/queues/{}", q.name)),
            "url {}",
            q.url
        );
        assert!(q.attributes.is_none());
    }
    Ok(())
}

/// ListQueue pages with `x-mns-ret-number` and `NextMarker` cover every queue exactly once.
pub async fn list_queue_pages_with_marker(t: &Target) -> CaseResult {
    let base = t.unique_name("pg");
    let mut made = BTreeSet::new();
    for i in 0..5 {
        let name = format!("{base}-{i}");
        t.register_queue(&name);
        t.client
            .create_queue(&name, &QueueOptions::default())
            .await?;
        made.insert(name);
    }
    let mut seen = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = t
            .client
            .list_queue_page(&ListOptions {
                prefix: Some(format!("{base}-")),
                marker: marker.take(),
                page_size: Some(2),
                with_meta: false,
            })
            .await?;
        pages += 1;
        assert!(page.queues.len() <= 2);
        seen.extend(page.queues.into_iter().map(|q| q.name.into_string()));
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), made);
    assert_eq!(seen.len(), made.len(), "no duplicates");
    Ok(())
}

/// `Client::list_queues` follows markers to the end.
pub async fn list_queues_stream_follows_markers(t: &Target) -> CaseResult {
    let base = t.unique_name("st");
    for i in 0..3 {
        let name = format!("{base}-{i}");
        t.register_queue(&name);
        t.client
            .create_queue(&name, &QueueOptions::default())
            .await?;
    }
    let names: Vec<String> = t
        .client
        .list_queues(Some(&format!("{base}-")))
        .map_ok(|q| q.name.into_string())
        .try_collect()
        .await?;
    assert_eq!(names.len(), 3);
    Ok(())
}

/// ListQueue with `x-mns-with-meta: true` returns each queue's attributes.
pub async fn list_queue_with_meta_has_attributes(t: &Target) -> CaseResult {
    let q = t
        .create_queue(
            "meta",
            &QueueOptions {
                visibility_timeout: Some(77),
                ..Default::default()
            },
        )
        .await?;
    let page = t
        .client
        .list_queue_page(&ListOptions {
            prefix: Some(q.name().as_str().to_owned()),
            with_meta: true,
            ..Default::default()
        })
        .await?;
    assert_eq!(page.queues.len(), 1);
    let info = page.queues[0]
        .attributes
        .as_ref()
        .expect("attributes with meta");
    assert_eq!(info.visibility_timeout, 77);
    Ok(())
}

/// ListQueue with a prefix nothing matches returns no queues and no marker.
pub async fn list_queue_empty_result(t: &Target) -> CaseResult {
    let page = t
        .client
        .list_queue_page(&ListOptions {
            prefix: Some(t.unique_name("none")),
            ..Default::default()
        })
        .await?;
    assert!(page.queues.is_empty());
    assert!(page.next_marker.is_none());
    Ok(())
}

/// A queue name with characters outside `[A-Za-z0-9-]` answers 400 `InvalidQueueName`.
pub async fn invalid_queue_name_is_rejected(t: &Target) -> CaseResult {
    let resp = t
        .raw(RawRequest::new("PUT", format!("/queues/{}_x", t.prefix())).body(xml_queue("")))
        .await?;
    resp.assert_error(400, "InvalidQueueName");
    Ok(())
}

/// A queue name longer than 120 characters answers 400 `QueueNameLengthError`.
pub async fn too_long_queue_name_is_rejected(t: &Target) -> CaseResult {
    let name = format!("a{}", "b".repeat(120));
    let resp = t
        .raw(RawRequest::new("PUT", format!("/queues/{name}")).body(xml_queue("")))
        .await?;
    resp.assert_error(400, "QueueNameLengthError");
    Ok(())
}

/// Out-of-range attributes answer 400 `InvalidArgument` "The value of {Element} should between
/// {Low} and {High} seconds/bytes." and create nothing.
pub async fn create_queue_out_of_range_attribute_is_invalid_argument(t: &Target) -> CaseResult {
    let cases = [
        (
            "<VisibilityTimeout>0</VisibilityTimeout>",
            "The value of VisibilityTimeout should between 1 and 43200 seconds.",
        ),
        (
            "<MaximumMessageSize>1023</MaximumMessageSize>",
            "The value of MaximumMessageSize should between 1024 and 65536 bytes.",
        ),
        (
            "<PollingWaitSeconds>31</PollingWaitSeconds>",
            "The value of PollingWaitSeconds should between 0 and 30 seconds.",
        ),
        (
            "<DelaySeconds>604801</DelaySeconds>",
            "The value of DelaySeconds should between 0 and 604800 seconds.",
        ),
        (
            "<MessageRetentionPeriod>59</MessageRetentionPeriod>",
            "The value of MessageRetentionPeriod should between 60 and 604800 seconds.",
        ),
    ];
    for (element, message) in cases {
        let name = t.queue_name("range");
        let resp = t
            .raw(RawRequest::new("PUT", format!("/queues/{name}")).body(xml_queue(element)))
            .await?;
        resp.assert_error(400, "InvalidArgument");
        assert_eq!(resp.message().as_deref(), Some(message));
        expect_code(
            t.client.get_queue_attributes(&name).await,
            404,
            ErrorCode::QueueNotExist,
        );
    }
    Ok(())
}

/// A CreateQueue body that is not XML answers 400 `MalformedXML`.
pub async fn create_queue_malformed_xml_is_400(t: &Target) -> CaseResult {
    let name = t.queue_name("malformed");
    let resp = t
        .raw(RawRequest::new("PUT", format!("/queues/{name}")).body("<Queue><DelaySeconds>"))
        .await?;
    resp.assert_error(400, "MalformedXML");
    assert_eq!(
        resp.message().as_deref(),
        Some("The XML you provided was not well-formed.")
    );
    Ok(())
}
