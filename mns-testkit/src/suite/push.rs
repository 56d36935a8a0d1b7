//! HTTP push to subscribed endpoints (reference topics §3.4, §5.2, §6). These cases need a
//! receiver the backend can reach ([`Capabilities::http_push`](crate::Capabilities)): the
//! emulator pushes to a local wiremock server. A live service cannot reach this machine, so
//! [`conformance_tests!`](crate::conformance_tests) does not generate them for live runs
//! (`CONFORMANCE.md` marks them "emulator only"); called directly on such a target they fail.

use mns_client::time::FixedTimeSource;
use std::time::Duration;

use mns_client::push::{CertUrlPolicy, PushNotification, PushRequest, PushVerifier};
use mns_client::signing::content_md5;
use mns_client::topic::{
    Endpoint, MessageTag, NotifyContentFormat, PublishOptions, SubscribeOptions, TopicOptions,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{CaseError, CaseResult, Target};

/// Fails (never passes vacuously) when the backend cannot push to this machine.
fn require_push(t: &Target) -> CaseResult {
    if t.caps.http_push {
        Ok(())
    } else {
        Err(format!("{} cannot push to a local receiver", t.backend()).into())
    }
}

/// A receiver answering `status` to every push.
async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// A receiver answering `first` to the first `n` pushes, then 204.
async fn flaky_receiver(first: u16, n: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(first))
        .up_to_n_times(n)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

fn header<'a>(r: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

fn target_of(r: &wiremock::Request) -> String {
    match r.url.query() {
        Some(q) => format!("{}?{q}", r.url.path()),
        None => r.url.path().to_owned(),
    }
}

/// Verifies a received push with `mns-client`'s verifier, trusting the certificate URL the push
/// names (the emulator's) and judging the `Date` against the target's clock.
async fn verify(t: &Target, r: &wiremock::Request) -> Result<PushNotification, CaseError> {
    let cert_url = header(r, "x-mns-signing-cert-url").ok_or("no x-mns-signing-cert-url")?;
    let cert_url = String::from_utf8(decode_base64(cert_url).ok_or("cert URL is not base64")?)?;
    let now = t.now();
    let verifier = PushVerifier::builder()
        .cert_url_policy(CertUrlPolicy::deny_all().allow_prefix(&cert_url)?)
        .time_source(FixedTimeSource(now))
        .build()?;
    let mut req = PushRequest::new("POST", target_of(r), r.body.clone());
    for (n, v) in &r.headers {
        req = req.with_header(n.as_str(), v.to_str().unwrap_or_default());
    }
    let verified = verifier.verify(req).await.map_err(|e| format!("{e:?}"))?;
    Ok(verified.notification_auto()?)
}

/// Minimal standard base64 decoding (for the certificate URL header).
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.trim().bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// Subscribes `url` to a new topic with `format` and returns the topic.
async fn push_topic(
    t: &Target,
    tag: &str,
    url: &str,
    format: NotifyContentFormat,
) -> Result<mns_client::topic::Topic, CaseError> {
    let topic = t.create_topic(tag, &TopicOptions::default()).await?;
    topic
        .subscribe_opts(
            "push",
            &Endpoint::http(url)?,
            &SubscribeOptions {
                notify_content_format: Some(format),
                ..Default::default()
            },
        )
        .await?;
    Ok(topic)
}

/// An `XML` push is a signed `POST` to the endpoint's path and query with `Date`, `Content-Type:
/// text/xml;charset=utf-8`, `Content-MD5` = base64(hex MD5), `x-mns-version`,
/// `x-mns-request-id`, `x-mns-signing-cert-url` and an `Authorization` without `MNS ` that
/// `mns-client`'s verifier accepts; the body is the notification.
pub async fn http_push_is_signed_xml_notification(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = receiver(204).await;
    let url = format!("{}/hooks/mns?env=test", server.uri());
    let topic = push_topic(t, "pushxml", &url, NotifyContentFormat::Xml).await?;
    let receipt = topic
        .publish_message_opts(
            "pushed <&> 推送",
            PublishOptions {
                message_tag: Some(MessageTag::new("tag1")?),
                ..Default::default()
            },
        )
        .await?;
    t.push_attempts(1).await;
    let got = requests(&server).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(target_of(r), "/hooks/mns?env=test");
    assert_eq!(header(r, "content-type"), Some("text/xml;charset=utf-8"));
    assert_eq!(
        header(r, "content-md5"),
        Some(content_md5(&r.body).as_str())
    );
    assert_eq!(header(r, "x-mns-version"), Some("2015-06-06"));
    assert!(header(r, "x-mns-request-id").is_some());
    assert!(header(r, "date").is_some());
    let auth = header(r, "authorization").unwrap_or_default();
    assert!(!auth.is_empty() && !auth.starts_with("MNS "), "{auth}");
    match verify(t, r).await? {
        PushNotification::Full(n) => {
            assert_eq!(n.message, "pushed <&> 推送");
            assert_eq!(n.message_id, receipt.message_id);
            assert_eq!(n.message_tag.as_deref(), Some("tag1"));
            assert_eq!(n.topic_name, topic.name().as_str());
            assert_eq!(n.subscription_name, "push");
            assert_eq!(n.topic_owner, t.account_id());
            assert!(n.message_md5_matches());
        }
        other => panic!("expected a full notification, got {other:?}"),
    }
    Ok(())
}

/// An endpoint without a path is pushed to `POST /notifications`.
pub async fn http_push_without_path_goes_to_notifications(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = receiver(200).await;
    let topic = push_topic(t, "pushroot", &server.uri(), NotifyContentFormat::Xml).await?;
    topic.publish_message("x").await?;
    t.push_attempts(1).await;
    let got = requests(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(target_of(&got[0]), "/notifications");
    Ok(())
}

/// A `SIMPLIFIED` push carries the body alone (`text/plain;charset=utf-8`) with
/// `x-mns-message-id` and `x-mns-message-tag`, and verifies.
pub async fn http_push_simplified_has_metadata_headers(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = receiver(201).await;
    let url = format!("{}/simple", server.uri());
    let topic = push_topic(t, "pushsimple", &url, NotifyContentFormat::Simplified).await?;
    let receipt = topic
        .publish_message_opts(
            "just the body",
            PublishOptions {
                message_tag: Some(MessageTag::new("t")?),
                ..Default::default()
            },
        )
        .await?;
    t.push_attempts(1).await;
    let got = requests(&server).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.body, b"just the body");
    assert_eq!(header(r, "content-type"), Some("text/plain;charset=utf-8"));
    assert_eq!(
        header(r, "x-mns-message-id"),
        Some(receipt.message_id.as_str())
    );
    assert_eq!(header(r, "x-mns-message-tag"), Some("t"));
    assert_eq!(verify(t, r).await?.message(), "just the body");
    Ok(())
}

/// A `JSON` push has `Content-Type: application/json;charset=utf-8` \[unconfirmed\] and the JSON
/// notification, and verifies.
pub async fn http_push_json_notification(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = receiver(204).await;
    let url = format!("{}/json", server.uri());
    let topic = push_topic(t, "pushjson", &url, NotifyContentFormat::Json).await?;
    topic.publish_message("json body").await?;
    t.push_attempts(1).await;
    let got = requests(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0], "content-type"),
        Some("application/json;charset=utf-8")
    );
    assert_eq!(verify(t, &got[0]).await?.message(), "json body");
    Ok(())
}

/// A failed push (non-2xx) is retried under `BACKOFF_RETRY` after 10–20 s, and delivered when the
/// endpoint recovers.
pub async fn http_push_failure_is_retried_with_backoff(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = flaky_receiver(500, 1).await;
    let url = format!("{}/flaky", server.uri());
    let topic = push_topic(t, "pushretry", &url, NotifyContentFormat::Xml).await?;
    topic.publish_message("retry me").await?;
    t.push_attempts(1).await;
    assert_eq!(requests(&server).await.len(), 1);
    t.elapse(Duration::from_secs(9)).await;
    assert_eq!(requests(&server).await.len(), 1, "retried before 10 s");
    t.elapse(Duration::from_secs(11)).await;
    t.push_attempts(2).await;
    let got = requests(&server).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].body, got[1].body,
        "the retry carries the same notification"
    );
    Ok(())
}

/// Under `BACKOFF_RETRY` a push that keeps failing is attempted 4 times (1 + 3 retries) and then
/// dropped.
pub async fn http_push_gives_up_after_three_retries(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = receiver(503).await;
    let url = format!("{}/down", server.uri());
    let topic = push_topic(t, "pushdrop", &url, NotifyContentFormat::Xml).await?;
    topic.publish_message("lost").await?;
    for n in 1..=4 {
        t.push_attempts(n).await;
        t.elapse(Duration::from_secs(20)).await;
    }
    // Well past any further schedule: nothing more arrives (a wrong fifth push would be on its
    // way at once; give it a moment of real time to land).
    t.elapse(Duration::from_secs(600)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(requests(&server).await.len(), 4);
    Ok(())
}

/// Filter tags apply to HTTP subscriptions too.
pub async fn http_push_respects_filter_tag(t: &Target) -> CaseResult {
    require_push(t)?;
    let server = receiver(204).await;
    let topic = t
        .create_topic("pushfilter", &TopicOptions::default())
        .await?;
    topic
        .subscribe_opts(
            "push",
            &Endpoint::http(format!("{}/f", server.uri()))?,
            &SubscribeOptions {
                filter_tag: Some(mns_client::topic::FilterTag::new("yes")?),
                notify_content_format: Some(NotifyContentFormat::Simplified),
                ..Default::default()
            },
        )
        .await?;
    topic.publish_message("untagged").await?;
    topic
        .publish_message_opts(
            "tagged",
            PublishOptions {
                message_tag: Some(MessageTag::new("yes")?),
                ..Default::default()
            },
        )
        .await?;
    t.push_attempts(1).await;
    let got = requests(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, b"tagged");
    Ok(())
}
