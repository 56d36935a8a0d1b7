//! Signing checked against the shared vectors, stage by stage: string-to-sign, then Authorization.
//!
//! * `signing.json`: every classic (MNS V2, HMAC-SHA1) vector.
//! * `signing_v4.json`: the V4 (`MNS4-HMAC-SHA256`) vectors of the Java SDK's own tests.
//! * `official-sdk-requests-{python,node,java}.json`: every request the official SDKs actually
//!   sent (Java: classic, V4 and V4 with an STS token); the Authorization is recomputed from the
//!   request's own headers, the V4 timestamp from its `Date` header.

use std::time::{Duration, UNIX_EPOCH};

use mns_client::signing::v4::{self, V4Algorithm};
use mns_client::signing::{authorization, content_md5, string_to_sign};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/../testdata/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn every_classic_vector_string_to_sign_then_authorization() {
    let vectors = load("signing.json");
    let vectors = vectors.as_array().expect("array");
    let mut checked = 0;
    for v in vectors {
        if !s(v, "scheme").contains("V2") {
            continue;
        }
        let name = s(v, "name");
        let headers: Vec<(String, String)> = v["headers"]
            .as_object()
            .expect("headers object")
            .iter()
            .map(|(k, val)| (k.clone(), val.as_str().expect("header value").to_owned()))
            .collect();

        // Stage 1: string to sign.
        let sts = string_to_sign(s(v, "method"), s(v, "resource"), &headers);
        assert_eq!(
            sts,
            s(v, "expected_string_to_sign"),
            "string-to-sign of {name}"
        );

        // Stage 2: Authorization, from the expected string to sign.
        let auth = authorization(
            s(v, "access_key_id"),
            s(v, "access_key_secret"),
            s(v, "expected_string_to_sign"),
        );
        assert_eq!(
            auth,
            s(v, "expected_authorization"),
            "authorization of {name}"
        );

        // The security token is never part of the signature.
        if let Some(token) = v["security_token"].as_str() {
            assert!(
                !sts.contains(token),
                "{name}: token leaked into string to sign"
            );
        }

        // Where the body is published and an MD5 is sent, our Content-MD5 reproduces it.
        let md5 = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-md5"))
            .map(|(_, v)| v.as_str());
        if let (Some(md5), Some(body)) = (md5, v["body"].as_str()) {
            assert_eq!(content_md5(body.as_bytes()), md5, "content-md5 of {name}");
        }
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} classic vectors checked");
}

fn check_captures(file: &str) {
    let doc = load(file);
    let creds = &doc["credentials"];
    let id = s(creds, "access_key_id");
    let secret = s(creds, "access_key_secret");
    let ops = doc["operations"].as_array().expect("operations");
    assert!(!ops.is_empty());
    for op in ops {
        let variant = s(op, "variant");
        let headers: Vec<(String, String)> = op["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("name").to_owned(),
                    pair[1].as_str().expect("value").to_owned(),
                )
            })
            .collect();
        let captured_auth = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone())
            .expect("captured Authorization");
        let to_sign: Vec<&(String, String)> = headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
            .collect();
        let to_sign: Vec<(&str, &str)> = to_sign
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();

        let method = s(op, "method");
        let target = s(op, "target");
        let ours = if captured_auth.starts_with("MNS4-HMAC-SHA256 ") {
            v4_stages(op, creds, &to_sign)
        } else {
            let sts = string_to_sign(method, target, &to_sign);
            assert_eq!(
                sts,
                s(op, "string_to_sign"),
                "{file}: string-to-sign of {variant}"
            );
            authorization(id, secret, &sts)
        };
        if let Some(token) = to_sign
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("security-token"))
        {
            assert!(
                !s(op, "string_to_sign").contains(token.1),
                "{file}: {variant}: the security token is never signed"
            );
        }
        let valid = op["signature_valid_for_testsecret"]
            .as_bool()
            .expect("flag");
        if valid {
            assert_eq!(ours, captured_auth, "{file}: authorization of {variant}");
        } else {
            assert_ne!(
                ours, captured_auth,
                "{file}: {variant} was signed with another secret"
            );
        }
        if let (Some(md5), Some(body)) = (
            to_sign
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-md5"))
                .map(|(_, v)| *v),
            op["body"].as_str(),
        ) {
            assert_eq!(
                content_md5(body.as_bytes()),
                md5,
                "{file}: content-md5 of {variant}"
            );
        }
    }
}

/// Re-signs one captured V4 request stage by stage; returns our `Authorization`.
fn v4_stages(op: &Value, creds: &Value, headers: &[(&str, &str)]) -> String {
    let variant = s(op, "variant");
    let date = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("date"))
        .map(|(_, v)| *v)
        .expect("V4 requests carry Date");
    let now = httpdate::parse_http_date(date).expect("RFC 1123 date");
    let (day, datetime) = v4::timestamps(now);
    assert_eq!(
        datetime,
        s(op, "v4_request_datetime"),
        "{variant}: timestamp"
    );
    let region = s(creds, "region");
    let scope = v4::scope(V4Algorithm::Mns4, &day, region);
    assert_eq!(scope, s(op, "v4_scope"), "{variant}: scope");
    let canonical = v4::canonical_request(s(op, "method"), s(op, "target"), headers);
    assert_eq!(
        canonical,
        s(op, "canonical_request"),
        "{variant}: canonical request"
    );
    let sts = v4::string_to_sign(V4Algorithm::Mns4, &datetime, &scope, &canonical);
    assert_eq!(sts, s(op, "string_to_sign"), "{variant}: string to sign");
    let key = v4::signing_key(
        V4Algorithm::Mns4,
        s(creds, "access_key_secret"),
        &day,
        region,
    );
    let ours = v4::authorization_header(
        V4Algorithm::Mns4,
        s(creds, "access_key_id"),
        &scope,
        &v4::signature(&key, &sts),
    );
    // The one-call form agrees with the stages.
    assert_eq!(
        v4::authorization(
            V4Algorithm::Mns4,
            s(creds, "access_key_id"),
            s(creds, "access_key_secret"),
            region,
            now,
            s(op, "method"),
            s(op, "target"),
            headers,
        ),
        ours,
        "{variant}: one-call form"
    );
    ours
}

#[test]
fn every_v4_vector_stage_by_stage() {
    let vectors = load("signing_v4.json");
    let vectors = vectors.as_array().expect("array");
    for v in vectors {
        let name = s(v, "name");
        let headers: Vec<(&str, &str)> = v["headers"]
            .as_object()
            .expect("headers object")
            .iter()
            .map(|(k, val)| (k.as_str(), val.as_str().expect("header value")))
            .collect();
        let t = s(v, "request_time_utc");
        // `2025-12-04T06:32:35.638Z`: seconds since the epoch via the HTTP-date parser's twin.
        let now = parse_iso(t);
        let (day, datetime) = v4::timestamps(now);
        let region = s(v, "region");
        let scope = v4::scope(V4Algorithm::Mns4, &day, region);
        let canonical = v4::canonical_request(s(v, "method"), s(v, "resource"), &headers);
        assert_eq!(
            canonical,
            s(v, "expected_canonical_request"),
            "canonical request of {name}"
        );
        let sts = v4::string_to_sign(V4Algorithm::Mns4, &datetime, &scope, &canonical);
        assert_eq!(
            sts,
            s(v, "expected_string_to_sign"),
            "string to sign of {name}"
        );
        let key = v4::signing_key(V4Algorithm::Mns4, s(v, "access_key_secret"), &day, region);
        let auth = v4::authorization_header(
            V4Algorithm::Mns4,
            s(v, "access_key_id"),
            &scope,
            &v4::signature(&key, &sts),
        );
        assert_eq!(
            auth,
            s(v, "expected_authorization"),
            "authorization of {name}"
        );
    }
    assert_eq!(vectors.len(), 2);
}

#[test]
fn every_java_v4_unit_test_vector() {
    let doc = load("signing_v4_java_unit.json");
    let vectors = doc["vectors"].as_array().expect("vectors");
    for v in vectors {
        let name = s(v, "name");
        let algorithm = V4Algorithm::from_name(s(v, "algorithm")).expect("known algorithm");
        let headers: Vec<(&str, &str)> = v["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|p| (p[0].as_str().expect("name"), p[1].as_str().expect("value")))
            .collect();
        let auth = v4::authorization(
            algorithm,
            s(v, "access_key_id"),
            s(v, "access_key_secret"),
            s(v, "region"),
            parse_iso(s(v, "request_time_utc")),
            s(v, "method"),
            s(v, "resource"),
            &headers,
        );
        assert_eq!(auth, s(v, "expected_authorization"), "{name}");
    }
    assert_eq!(vectors.len(), 9);
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` to a time (test helper; the vectors use only this form).
fn parse_iso(t: &str) -> std::time::SystemTime {
    let n = |r: std::ops::Range<usize>| t[r].parse::<u64>().expect("digits");
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let secs_of_day = n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    // Days from 1970-01-01 (civil-to-days, H. Hinnant).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    UNIX_EPOCH + Duration::from_secs(days * 86_400 + secs_of_day)
}

#[test]
fn every_captured_java_sdk_request_recomputes() {
    check_captures("official-sdk-requests-java.json");
}

#[test]
fn every_captured_python_sdk_request_recomputes() {
    check_captures("official-sdk-requests-python.json");
}

#[test]
fn every_captured_node_sdk_request_recomputes() {
    check_captures("official-sdk-requests-node.json");
}
