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

/// The V4 scheme (`MNS4-HMAC-SHA256`).
mod v4 {
    // The emulator's V4 (`MNS4-HMAC-SHA256`) functions and verifier against the Java SDK's vectors:
    // `signing_v4.json` stage by stage, the nine expected values of the Java SDK's own signer tests
    // (`signing_v4_java_unit.json`, public and Apsara Stack names), and the verifier's answers to
    // valid, tampered, mis-scoped, stale and malformed V4 requests.

    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use mns_emulator::auth::v4::{self, V4Names};
    use mns_emulator::auth::{
        AccessKey, AuthConfig, AuthError, Authenticator, KeyStore, RequestToVerify, TemporaryKey,
        V4_SCOPE_MISMATCH,
    };
    use serde_json::Value;

    fn load(name: &str) -> Value {
        let path = format!("{}/../testdata/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
    }

    fn s<'a>(v: &'a Value, key: &str) -> &'a str {
        v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, through humantime (the client's tests use another parser).
    fn iso(t: &str) -> SystemTime {
        humantime::parse_rfc3339_weak(&t.replace('T', " ").replace('Z', "")).expect("ISO time")
    }

    /// Splits an `Authorization` into scope date, region and signature (the verifier's parser).
    fn parts(auth: &str) -> (String, String, String, V4Names) {
        let a = v4::parse_authorization(auth).expect("well-formed");
        (
            a.date.to_owned(),
            a.region.to_owned(),
            a.signature.to_owned(),
            a.names,
        )
    }

    #[test]
    fn java_signer_test_vectors_stage_by_stage() {
        let doc = load("signing_v4.json");
        for v in doc.as_array().expect("array") {
            let name = s(v, "name");
            let headers: Vec<(&str, &str)> = v["headers"]
                .as_object()
                .expect("headers")
                .iter()
                .map(|(k, val)| (k.as_str(), val.as_str().expect("value")))
                .collect();
            let canonical = v4::canonical_request(s(v, "method"), s(v, "resource"), &headers);
            assert_eq!(canonical, s(v, "expected_canonical_request"), "{name}");
            let (day, stamp) = v4::timestamps(iso(s(v, "request_time_utc")));
            let region = s(v, "region");
            let scope = format!("{day}/{region}/mns/aliyun_v4_request");
            let sts = v4::string_to_sign(V4Names::Public, &stamp, &scope, &canonical);
            assert_eq!(sts, s(v, "expected_string_to_sign"), "{name}");
            let key = v4::signing_key(V4Names::Public, s(v, "access_key_secret"), &day, region);
            let (_, _, expected_sig, _) = parts(s(v, "expected_authorization"));
            assert_eq!(v4::sign(&key, &sts), expected_sig, "{name}");
        }
    }

    #[test]
    fn java_signer_unit_tests_public_and_apsara() {
        let doc = load("signing_v4_java_unit.json");
        let vectors = doc["vectors"].as_array().expect("vectors");
        assert_eq!(vectors.len(), 9);
        for v in vectors {
            let name = s(v, "name");
            let names = V4Names::from_algorithm(s(v, "algorithm")).expect("known algorithm");
            let headers: Vec<(&str, &str)> = v["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .map(|p| (p[0].as_str().expect("name"), p[1].as_str().expect("value")))
                .collect();
            let (day, region, expected_sig, parsed_names) = parts(s(v, "expected_authorization"));
            assert_eq!(parsed_names, names, "{name}");
            let (scope_day, stamp) = v4::timestamps(iso(s(v, "request_time_utc")));
            assert_eq!(scope_day, day, "{name}");
            let canonical = v4::canonical_request(s(v, "method"), s(v, "resource"), &headers);
            let scope = format!("{day}/{region}/mns/{}", names.terminator());
            let sts = v4::string_to_sign(names, &stamp, &scope, &canonical);
            let key = v4::signing_key(names, s(v, "access_key_secret"), &day, &region);
            assert!(
                v4::signature_matches(&key, &sts, &expected_sig),
                "{name}: canonical request was {canonical:?}"
            );
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The verifier

    const DATE: &str = "Fri, 04 Dec 2026 18:46:57 GMT";

    fn now() -> SystemTime {
        httpdate::parse_http_date(DATE).expect("date")
    }

    /// A V4 request as the Java SDK sends it, signed with `secret` under `scope_day`/`region`.
    struct Signed {
        target: &'static str,
        headers: Vec<(String, String)>,
    }

    fn signed(secret: &str, scope_day: &str, region: &str, names: V4Names) -> Signed {
        let target = "/queues/q/messages?ReceiptHandle=1-ODU4+OTk/zNDU5My0=12&VisibilityTimeout=10";
        let mut headers = vec![
            ("date".to_owned(), DATE.to_owned()),
            ("x-mns-version".to_owned(), "2015-06-06".to_owned()),
            (
                "content-type".to_owned(),
                "text/xml;charset=UTF-8".to_owned(),
            ),
            ("Host".to_owned(), "127.0.0.1:9911".to_owned()),
        ];
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let (_, stamp) = v4::timestamps(now());
        let scope = format!("{scope_day}/{region}/mns/{}", names.terminator());
        let canonical = v4::canonical_request("PUT", target, &pairs);
        let sts = v4::string_to_sign(names, &stamp, &scope, &canonical);
        let key = v4::signing_key(names, secret, scope_day, region);
        headers.push((
            "authorization".to_owned(),
            format!(
                "{} Credential=testid/{scope},Signature={}",
                names.algorithm(),
                v4::sign(&key, &sts)
            ),
        ));
        Signed { target, headers }
    }

    fn verify(auth: &Authenticator, req: &Signed, at: SystemTime) -> Result<(), AuthError> {
        let pairs: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        auth.verify(
            &RequestToVerify {
                method: "PUT",
                target: req.target,
                headers: &pairs,
            },
            at,
        )
        .map(|_| ())
    }

    fn authenticator() -> Authenticator {
        let keys = KeyStore::new();
        keys.add(AccessKey::new("testid", "testsecret"));
        Authenticator::new(keys, AuthConfig::default())
    }

    #[test]
    fn valid_v4_requests_pass_in_both_name_sets() {
        let auth = authenticator();
        for names in V4Names::ALL {
            let req = signed("testsecret", "20261204", "cn-hangzhou", names);
            assert_eq!(verify(&auth, &req, now()), Ok(()), "{names:?}");
        }
    }

    #[test]
    fn wrong_secret_region_day_and_tampering_do_not_verify() {
        let auth = authenticator();
        let cases = [
            (
                "wrong secret",
                signed("wrong", "20261204", "cn-hangzhou", V4Names::Public),
                AuthError::SignatureDoesNotMatch,
            ),
            (
                "other region",
                signed("testsecret", "20261204", "cn-shanghai", V4Names::Public),
                V4_SCOPE_MISMATCH,
            ),
            (
                "other day",
                signed("testsecret", "20261203", "cn-hangzhou", V4Names::Public),
                V4_SCOPE_MISMATCH,
            ),
        ];
        for (what, req, expected) in cases {
            assert_eq!(verify(&auth, &req, now()), Err(expected), "{what}");
        }
        // Changing any signed part of the request breaks the signature; unsigned parts do not.
        let mut req = signed("testsecret", "20261204", "cn-hangzhou", V4Names::Public);
        req.target = "/queues/q/messages?ReceiptHandle=1-ODU4+OTk/zNDU5My0=12&VisibilityTimeout=11";
        assert_eq!(
            verify(&auth, &req, now()),
            Err(AuthError::SignatureDoesNotMatch)
        );
        let mut req = signed("testsecret", "20261204", "cn-hangzhou", V4Names::Public);
        req.headers.push(("x-mns-extra".to_owned(), "1".to_owned()));
        assert_eq!(
            verify(&auth, &req, now()),
            Err(AuthError::SignatureDoesNotMatch)
        );
        let mut req = signed("testsecret", "20261204", "cn-hangzhou", V4Names::Public);
        req.headers.push(("user-agent".to_owned(), "x".to_owned()));
        req.headers[3].1 = "elsewhere:1".to_owned();
        assert_eq!(verify(&auth, &req, now()), Ok(()));
    }

    #[test]
    fn stale_unknown_key_and_malformed_v4_requests_get_the_classic_codes() {
        let auth = authenticator();
        let req = signed("testsecret", "20261204", "cn-hangzhou", V4Names::Public);
        assert_eq!(
            verify(&auth, &req, now() + Duration::from_secs(16 * 60)),
            Err(AuthError::TimeExpired)
        );
        let empty = Authenticator::new(KeyStore::new(), AuthConfig::default());
        assert_eq!(
            verify(&empty, &req, now()),
            Err(AuthError::InvalidAccessKeyId)
        );
        let mut bad = signed("testsecret", "20261204", "cn-hangzhou", V4Names::Public);
        let last = bad.headers.len() - 1;
        bad.headers[last].1 = bad.headers[last].1.replace(",Signature=", ",Sig=");
        assert_eq!(
            verify(&auth, &bad, now()),
            Err(AuthError::InvalidAuthorizationHeader)
        );
    }

    #[test]
    fn sts_tokens_travel_unsigned_and_are_checked() {
        let keys = KeyStore::new();
        keys.add_temporary(TemporaryKey::new(
            AccessKey::new("testid", "testsecret"),
            "tour-sts-token",
            UNIX_EPOCH + Duration::from_secs(4_000_000_000),
        ));
        let auth = Authenticator::new(keys, AuthConfig::default());
        let mut req = signed("testsecret", "20261204", "cn-hangzhou", V4Names::Public);
        assert_eq!(
            verify(&auth, &req, now()),
            Err(AuthError::InvalidSecurityToken)
        );
        req.headers
            .push(("security-token".to_owned(), "tour-sts-token".to_owned()));
        assert_eq!(verify(&auth, &req, now()), Ok(()));
        req.headers.last_mut().expect("token").1 = "another".to_owned();
        assert_eq!(
            verify(&auth, &req, now()),
            Err(AuthError::InvalidSecurityToken)
        );
    }
}
