//! The emulator's signature functions against the published vectors, stage by stage
//! (canonical headers + string-to-sign, then signature, then the whole verification).

use std::time::Duration;

use mns_emulator::auth::{
    AccessKey, AuthConfig, AuthError, Authenticator, KeyStore, RequestToVerify,
    canonical_mns_headers, parse_authorization, sign, string_to_sign,
};
use serde_json::Value;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/signing.json"
));

struct Vector {
    name: String,
    method: String,
    resource: String,
    headers: Vec<(String, String)>,
    key_id: String,
    secret: String,
    token: Option<String>,
    string_to_sign: String,
    authorization: String,
}

fn vectors() -> Vec<Vector> {
    let all: Value = serde_json::from_str(VECTORS).expect("signing.json parses");
    all.as_array()
        .expect("array")
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            Vector {
                name: s("name"),
                method: s("method"),
                resource: s("resource"),
                headers: v["headers"]
                    .as_object()
                    .expect("headers")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect(),
                key_id: s("access_key_id"),
                secret: s("access_key_secret"),
                token: v["security_token"].as_str().map(str::to_owned),
                string_to_sign: s("expected_string_to_sign"),
                authorization: s("expected_authorization"),
            }
        })
        .collect()
}

impl Vector {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn date(&self) -> &str {
        self.header("date")
            .or_else(|| self.header("x-mns-date"))
            .expect("a date")
    }
}

#[test]
fn there_are_vectors() {
    assert!(vectors().len() >= 16);
}

#[test]
fn string_to_sign_matches_every_vector() {
    for v in vectors() {
        let canonical =
            canonical_mns_headers(v.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let got = string_to_sign(
            &v.method,
            v.header("content-md5").unwrap_or(""),
            v.header("content-type").unwrap_or(""),
            v.date(),
            &canonical,
            &v.resource,
        );
        assert_eq!(got, v.string_to_sign, "{}", v.name);
    }
}

#[test]
fn signature_matches_every_vector() {
    for v in vectors() {
        let (id, expected_sig) = parse_authorization(&v.authorization).expect("valid header");
        assert_eq!(id, v.key_id, "{}", v.name);
        assert_eq!(
            sign(&v.secret, &v.string_to_sign),
            expected_sig,
            "{}",
            v.name
        );
    }
}

fn request_headers(v: &Vector) -> Vec<(String, String)> {
    let mut h = v.headers.clone();
    h.push(("Authorization".into(), v.authorization.clone()));
    if let Some(t) = &v.token {
        h.push(("security-token".into(), t.clone()));
    }
    h
}

#[test]
fn verifier_accepts_every_vector_and_rejects_tampering() {
    for v in vectors() {
        let keys = KeyStore::new();
        keys.add(AccessKey::new(&v.key_id, &v.secret));
        // Some vectors (Java unit cases) carry no x-mns-version; the version check is not what
        // is under test here.
        let auth = Authenticator::new(
            keys,
            AuthConfig {
                require_version_header: false,
                ..AuthConfig::default()
            },
        );
        let now = httpdate::parse_http_date(v.date()).expect("date") + Duration::from_secs(60);
        let headers = request_headers(&v);
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = RequestToVerify {
            method: &v.method,
            target: &v.resource,
            headers: &pairs,
        };
        assert!(auth.verify(&req, now).is_ok(), "{}", v.name);

        let tampered_target = format!("{}x", v.resource);
        let tampered = RequestToVerify {
            target: &tampered_target,
            ..req
        };
        assert_eq!(
            auth.verify(&tampered, now),
            Err(AuthError::SignatureDoesNotMatch),
            "{}",
            v.name
        );
        let late = now + Duration::from_secs(15 * 60);
        assert_eq!(
            auth.verify(&req, late),
            Err(AuthError::TimeExpired),
            "{}",
            v.name
        );
    }
}
