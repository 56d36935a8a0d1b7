//! Authentication failures over HTTP, each with the service's status and code (reference §3.4),
//! and the ways to authenticate: several keys, `x-mns-date`, temporary (STS) keys, accept-any.

use std::time::Duration;

use crate::http_common::{Req, start, start_with, test_signature};
use mns_emulator::auth::{AccessKey, TemporaryKey};
use mns_emulator::clock::Clock;

#[tokio::test]
async fn missing_and_malformed_authorization() {
    let h = start().await;
    h.send(Req::get("/queues").unsigned())
        .await
        .assert_error(400, "MissingAuthorizationHeader");
    for bad in ["Basic abc", "MNS testid", "MNS :sig", "MNStestid:sig"] {
        h.send(Req::get("/queues").unsigned().header("Authorization", bad))
            .await
            .assert_error(400, "InvalidAuthorizationHeader");
    }
}

#[tokio::test]
async fn missing_and_invalid_date() {
    let h = start().await;
    h.send(Req::get("/queues").date(""))
        .await
        .assert_error(400, "MissingDateHeader");
    h.send(Req::get("/queues").date("yesterday"))
        .await
        .assert_error(400, "InvalidDateHeader");
}

#[tokio::test]
async fn x_mns_date_alone_is_accepted() {
    let h = start().await;
    let date = h.http_date();
    let r = h
        .send(Req::get("/queues").date("").header("x-mns-date", &date))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn version_header_is_required() {
    let h = start().await;
    h.send(Req::get("/queues").without_header("x-mns-version"))
        .await
        .assert_error(400, "MissingVersionHeader");
    h.send(
        Req::get("/queues")
            .without_header("x-mns-version")
            .header("x-mns-version", "2010-01-01"),
    )
    .await
    .assert_error(400, "InvalidVersionHeader");
}

#[tokio::test]
async fn unknown_key_and_wrong_signature() {
    let h = start().await;
    h.send(Req::get("/queues").key("nobody", "x"))
        .await
        .assert_error(403, "InvalidAccessKeyId");
    let r = h.send(Req::get("/queues").key("testid", "wrong")).await;
    r.assert_error(403, "SignatureDoesNotMatch");
    assert_eq!(
        r.text("Message").as_deref(),
        Some(
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        )
    );
}

#[tokio::test]
async fn signature_covers_the_raw_target() {
    let h = start().await;
    h.create_queue("q", "").await;
    // Sign one target, send another that decodes to the same thing: must fail, because the
    // service signs the target as sent, not a decoded form.
    let date = h.http_date();
    let headers = vec![
        ("x-mns-version".to_owned(), "2015-06-06".to_owned()),
        ("Date".to_owned(), date.clone()),
    ];
    let sig = test_signature(
        "testsecret",
        "GET",
        "/queues/q/messages?peekonly=true",
        &headers,
    );
    let r = h
        .send(
            Req::get("/queues/q/messages?peekonly=tru%65")
                .unsigned()
                .date(&date)
                .header("Authorization", &format!("MNS testid:{sig}")),
        )
        .await;
    r.assert_error(403, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn date_skew_beyond_15_minutes_is_time_expired() {
    let h = start().await;
    let old = h.http_date();
    h.advance(15 * 60);
    let r = h.send(Req::get("/queues").date(&old)).await;
    assert_eq!(r.status, 200, "exactly 15 minutes is tolerated: {}", r.body);
    h.advance(1);
    h.send(Req::get("/queues").date(&old))
        .await
        .assert_error(408, "TimeExpired");
    // A date in the future is skew too.
    let future = httpdate::fmt_http_date(h.clock.now() + Duration::from_secs(16 * 60));
    h.send(Req::get("/queues").date(&future))
        .await
        .assert_error(408, "TimeExpired");
}

#[tokio::test]
async fn skew_check_can_be_disabled() {
    let h = start_with(|b| b.max_date_skew(None)).await;
    let old = h.http_date();
    h.advance(86_400);
    let r = h.send(Req::get("/queues").date(&old)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn several_keys_and_no_default_key_when_configured() {
    let h = start_with(|b| b.access_key("ak1", "sk1").access_key("ak2", "sk2")).await;
    for (id, secret) in [("ak1", "sk1"), ("ak2", "sk2")] {
        let r = h.send(Req::get("/queues").key(id, secret)).await;
        assert_eq!(r.status, 200, "{id}: {}", r.body);
    }
    h.send(Req::get("/queues"))
        .await
        .assert_error(403, "InvalidAccessKeyId");
}

#[tokio::test]
async fn temporary_keys_need_their_token_until_they_expire() {
    let h = start().await;
    let expires = h.clock.now() + Duration::from_secs(3600);
    h.emu.keys().add_temporary(TemporaryKey::new(
        AccessKey::new("STS.tmp", "tmpsecret"),
        "CAIS-token",
        expires,
    ));
    let sts = || Req::get("/queues").key("STS.tmp", "tmpsecret");
    let r = h.send(sts().header("security-token", "CAIS-token")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    h.send(sts())
        .await
        .assert_error(400, "InvalidSecurityToken");
    h.send(sts().header("security-token", "other"))
        .await
        .assert_error(400, "InvalidSecurityToken");
    h.advance(3600);
    h.send(sts().header("security-token", "CAIS-token"))
        .await
        .assert_error(400, "SecurityTokenExpired");
    // A long-lived key ignores a token it does not need.
    let r = h
        .send(Req::get("/queues").header("security-token", "whatever"))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn accept_any_signature_mode() {
    let h = start_with(|b| b.accept_any_signature(true)).await;
    for req in [
        Req::get("/queues").unsigned(),
        Req::get("/queues").key("nobody", "nothing"),
        Req::get("/queues").key("testid", "wrong").date("garbage"),
    ] {
        let r = h.send(req).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}
