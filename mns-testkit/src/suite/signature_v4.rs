//! The V4 signature (`MNS4-HMAC-SHA256`, Java SDK 2.0; reference queues §3.8) against the
//! service: accepted with the same semantics as the classic scheme, refused with the same codes.

use std::time::Duration;

use mns_client::{Client, Credentials, QueueOptions, SignatureVersion};

use crate::suite::credentials::temporary_credentials;
use crate::{CaseResult, RawRequest, Target};

/// A client like the target's, signing with V4 with `credentials`.
fn v4_client(t: &Target, credentials: Credentials) -> Result<Client, mns_client::Error> {
    Client::builder(t.client.endpoint().clone())
        .credentials(credentials)
        .time_source(t.time_source())
        .signature_version(SignatureVersion::V4)
        .region(t.region())
        .build()
}

/// An `mns-client` built with `SignatureVersion::V4` sends, receives and deletes, and lists
/// queues; a raw V4 request (receipt handle in the raw query) is accepted too.
pub async fn v4_signed_requests_are_accepted(t: &Target) -> CaseResult {
    let q = t.create_queue("v4", &QueueOptions::default()).await?;
    let client = v4_client(t, t.credentials().clone())?;
    assert_eq!(client.signature_version(), SignatureVersion::V4);
    let queue = client.queue(q.name().as_str())?;
    queue.send_message("signed with v4").await?;
    let m = queue
        .receive_message(Some(Duration::ZERO))
        .await?
        .expect("the message");
    assert_eq!(m.body_str(), Some("signed with v4"));
    // A raw V4 request whose query carries the handle as sent (`+`, `/`, `=` unencoded where
    // present), signed over its percent-encoded canonical form.
    let resource = format!(
        "/queues/{}/messages?ReceiptHandle={}&VisibilityTimeout=5",
        q.name().as_str(),
        m.receipt_handle.as_str()
    );
    let resp = t
        .raw(RawRequest::new("PUT", resource).v4(t.region()))
        .await?;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let handle = resp.text("ReceiptHandle").expect("new receipt handle");
    queue
        .delete_message(&mns_client::ReceiptHandle::new(handle)?)
        .await?;
    let listed = t
        .raw(
            RawRequest::new("GET", "/queues")
                .header("x-mns-prefix", q.name().as_str())
                .v4(t.region()),
        )
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.texts("QueueURL").len(), 1, "{}", listed.body);
    Ok(())
}

/// A V4 signature made with a wrong secret answers 403 `SignatureDoesNotMatch`.
pub async fn v4_wrong_secret_is_signature_does_not_match(t: &Target) -> CaseResult {
    let resp = t
        .raw(
            RawRequest::new("GET", "/queues")
                .key(t.credentials().access_key_id(), "not-the-secret")
                .v4(t.region()),
        )
        .await?;
    resp.assert_error(403, "SignatureDoesNotMatch");
    Ok(())
}

/// A V4 credential scope naming another region answers 403 `SignatureDoesNotMatch`
/// \[unconfirmed\].
pub async fn v4_scope_with_another_region_is_refused(t: &Target) -> CaseResult {
    let other = if t.region() == "cn-shanghai" {
        "cn-hangzhou"
    } else {
        "cn-shanghai"
    };
    let resp = t.raw(RawRequest::new("GET", "/queues").v4(other)).await?;
    resp.assert_error(403, "SignatureDoesNotMatch");
    Ok(())
}

/// A V4 request whose `Date` (and so its signed timestamp and scope day) is 16 minutes off
/// answers 408 `TimeExpired`, as with the classic scheme.
pub async fn v4_stale_date_is_time_expired(t: &Target) -> CaseResult {
    let stale = mns_client::signing::http_date(t.now() - Duration::from_secs(16 * 60));
    let resp = t
        .raw(RawRequest::new("GET", "/queues").date(stale).v4(t.region()))
        .await?;
    resp.assert_error(408, "TimeExpired");
    Ok(())
}

/// V4 with STS temporary credentials: the token travels in the unsigned `security-token`
/// header; without it the key is refused with a 4xx `<Error>` \[unconfirmed: code\].
pub async fn v4_with_sts_token(t: &Target) -> CaseResult {
    let creds = temporary_credentials(t).await?;
    let q = t.create_queue("v4sts", &QueueOptions::default()).await?;
    let queue = v4_client(t, creds.clone())?.queue(q.name().as_str())?;
    queue.send_message("v4 + sts").await?;
    let missing = t
        .raw(
            RawRequest::new("GET", "/queues")
                .key(creds.access_key_id(), creds.access_key_secret())
                .v4(t.region()),
        )
        .await?;
    assert!(
        (400..500).contains(&missing.status) && missing.code().is_some(),
        "missing token: {} {}",
        missing.status,
        missing.body
    );
    Ok(())
}
