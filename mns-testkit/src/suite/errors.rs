//! Authentication, headers and the error envelope (reference §2.2, §3.4, §3.6, §7).

use std::time::Duration;

use mns_client::QueueOptions;
use mns_client::signing::http_date;

use crate::{CaseResult, RawRequest, Target};

fn is_request_id(id: &str) -> bool {
    id.len() == 24
        && id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
}

/// Every response, success or error, carries `x-mns-request-id` (24 upper-case hex characters)
/// and `x-mns-version: 2015-06-06`; error bodies repeat the id (§2.2, §7.1).
pub async fn every_response_has_request_id(t: &Target) -> CaseResult {
    let q = t.create_queue("rid", &QueueOptions::default()).await?;
    let ok = t
        .raw(RawRequest::new("GET", format!("/queues/{}", q.name())))
        .await?;
    let empty = t
        .raw(RawRequest::new(
            "GET",
            format!("/queues/{}/messages?waitseconds=0", q.name()),
        ))
        .await?;
    let created = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name()))
                .body("<Message><MessageBody>x</MessageBody></Message>"),
        )
        .await?;
    for resp in [&ok, &empty, &created] {
        let id = resp.header("x-mns-request-id").unwrap_or_default();
        assert!(is_request_id(id), "request id {id:?}");
        assert_eq!(resp.header("x-mns-version"), Some("2015-06-06"));
    }
    empty.assert_error(404, "MessageNotExist");
    Ok(())
}

/// A signature made with the wrong secret answers 403 `SignatureDoesNotMatch` with the service's
/// text.
pub async fn wrong_secret_is_signature_does_not_match(t: &Target) -> CaseResult {
    let id = t.credentials().access_key_id().to_owned();
    let resp = t
        .raw(RawRequest::new("GET", "/queues").key(id, "definitely-not-the-secret"))
        .await?;
    resp.assert_error(403, "SignatureDoesNotMatch");
    assert_eq!(
        resp.message().as_deref(),
        Some(
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method."
        )
    );
    Ok(())
}

/// A signature over a different resource than the one requested does not match (the signature
/// covers the raw path and query).
pub async fn signature_covers_the_query_string(t: &Target) -> CaseResult {
    let q = t.create_queue("sigq", &QueueOptions::default()).await?;
    let signed = RawRequest::new(
        "GET",
        format!("/queues/{}/messages?waitseconds=0", q.name()),
    );
    let headers = signed.signed_headers(t.credentials(), t.now());
    let auth = headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let date = headers
        .iter()
        .find(|(n, _)| n == "Date")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let resp = t
        .raw(
            RawRequest::new(
                "GET",
                format!("/queues/{}/messages?waitseconds=1", q.name()),
            )
            .date(date)
            .authorization(auth),
        )
        .await?;
    resp.assert_error(403, "SignatureDoesNotMatch");
    Ok(())
}

/// An unknown AccessKeyId answers 403 `InvalidAccessKeyId`.
pub async fn unknown_access_key_is_invalid_access_key_id(t: &Target) -> CaseResult {
    let resp = t
        .raw(RawRequest::new("GET", "/queues").key("LTAInoSuchKeyAtAll000", "whatever"))
        .await?;
    resp.assert_error(403, "InvalidAccessKeyId");
    Ok(())
}

/// No `Authorization` header answers 400 `MissingAuthorizationHeader`; a malformed one 400
/// `InvalidAuthorizationHeader`.
pub async fn missing_or_malformed_authorization(t: &Target) -> CaseResult {
    let resp = t
        .raw(RawRequest::new("GET", "/queues").authorization(""))
        .await?;
    resp.assert_error(400, "MissingAuthorizationHeader");
    let resp = t
        .raw(RawRequest::new("GET", "/queues").authorization("Bearer abc"))
        .await?;
    resp.assert_error(400, "InvalidAuthorizationHeader");
    Ok(())
}

/// No `Date` header answers 400 `MissingDateHeader`; an unparsable one 400 `InvalidDateHeader`.
pub async fn missing_or_invalid_date(t: &Target) -> CaseResult {
    let resp = t.raw(RawRequest::new("GET", "/queues").date("")).await?;
    resp.assert_error(400, "MissingDateHeader");
    let resp = t
        .raw(RawRequest::new("GET", "/queues").date("yesterday at noon"))
        .await?;
    resp.assert_error(400, "InvalidDateHeader");
    Ok(())
}

/// A `Date` more than 15 minutes off answers 408 `TimeExpired` "The http request you sent is
/// expired." (§3.6).
pub async fn skewed_date_is_time_expired(t: &Target) -> CaseResult {
    let stale = http_date(t.now() - Duration::from_secs(16 * 60));
    let resp = t.raw(RawRequest::new("GET", "/queues").date(stale)).await?;
    resp.assert_error(408, "TimeExpired");
    assert_eq!(
        resp.message().as_deref(),
        Some("The http request you sent is expired.")
    );
    let future = http_date(t.now() + Duration::from_secs(16 * 60));
    let resp = t
        .raw(RawRequest::new("GET", "/queues").date(future))
        .await?;
    resp.assert_error(408, "TimeExpired");
    Ok(())
}

/// A `Date` a few minutes off (inside the 15-minute window) is accepted.
pub async fn small_clock_skew_is_accepted(t: &Target) -> CaseResult {
    let date = http_date(t.now() - Duration::from_secs(10 * 60));
    let resp = t.raw(RawRequest::new("GET", "/queues").date(date)).await?;
    assert_eq!(resp.status, 200, "{}", resp.body);
    Ok(())
}

/// `x-mns-date` may replace `Date` (it is then signed on the date line and as an `x-mns-*`
/// header).
pub async fn x_mns_date_replaces_date(t: &Target) -> CaseResult {
    let resp = t
        .raw(
            RawRequest::new("GET", "/queues")
                .date("")
                .header("x-mns-date", http_date(t.now())),
        )
        .await?;
    assert_eq!(resp.status, 200, "{}", resp.body);
    Ok(())
}

/// A request without `x-mns-version` answers 400 `MissingVersionHeader`. \[unconfirmed\]
pub async fn missing_version_header_is_rejected(t: &Target) -> CaseResult {
    let resp = t.raw(RawRequest::new("GET", "/queues").version("")).await?;
    resp.assert_error(400, "MissingVersionHeader");
    Ok(())
}

/// An unknown path answers 400 `InvalidRequestURL` "Http request URL format invalid.".
pub async fn unknown_path_is_invalid_request_url(t: &Target) -> CaseResult {
    let resp = t
        .raw(RawRequest::new("GET", "/no/such/resource/here"))
        .await?;
    resp.assert_error(400, "InvalidRequestURL");
    Ok(())
}

/// The `<Error>` document has `Code`, `Message`, `RequestId` and `HostId`, namespaced
/// `http://mns.aliyuncs.com/doc/v1` without a trailing slash (what the Java SDK 2.0's JAXB
/// reader requires; the docs' examples show a slash), with `Content-Type` text/xml (§7.1, §2.2).
pub async fn error_document_has_four_fields(t: &Target) -> CaseResult {
    let resp = t
        .raw(RawRequest::new(
            "GET",
            format!("/queues/{}", t.unique_name("nothere")),
        ))
        .await?;
    resp.assert_error(404, "QueueNotExist");
    assert!(
        resp.body
            .contains("xmlns=\"http://mns.aliyuncs.com/doc/v1\""),
        "{}",
        resp.body
    );
    let ct = resp.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("text/xml"), "content type {ct}");
    Ok(())
}
