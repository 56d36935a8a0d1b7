//! Signing checked against the shared vectors, stage by stage: string-to-sign, then Authorization.
//!
//! * `signing.json`: every classic (MNS V2, HMAC-SHA1) vector.
//! * `official-sdk-requests-{python,node}.json`: every request the official SDKs actually sent;
//!   the Authorization is recomputed from the request's own headers.

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

        let sts = string_to_sign(s(op, "method"), s(op, "target"), &to_sign);
        assert_eq!(
            sts,
            s(op, "string_to_sign"),
            "{file}: string-to-sign of {variant}"
        );
        let ours = authorization(id, secret, &sts);
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

#[test]
fn every_captured_python_sdk_request_recomputes() {
    check_captures("official-sdk-requests-python.json");
}

#[test]
fn every_captured_node_sdk_request_recomputes() {
    check_captures("official-sdk-requests-node.json");
}
