//! RPC signature v1 (STS) checked stage by stage against `testdata/vectors/sts-signature.json`.

use std::collections::BTreeMap;

use mns_client::credentials::rpc_signature::{
    canonicalized_query, percent_encode, signature, string_to_sign,
};
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/vectors/sts-signature.json"
);

fn load() -> Value {
    let text = std::fs::read_to_string(VECTORS).expect("read sts-signature.json");
    serde_json::from_str(&text).expect("parse sts-signature.json")
}

struct Case {
    description: String,
    method: String,
    params: BTreeMap<String, String>,
    secret: String,
    string_to_sign: String,
    signature: String,
}

fn case(v: &Value) -> Case {
    let params = v["params"]
        .as_object()
        .expect("params")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string param").to_string()))
        .collect();
    Case {
        description: v["description"].as_str().unwrap_or_default().to_string(),
        method: v["method"].as_str().expect("method").to_string(),
        params,
        secret: v["access_key_secret"].as_str().expect("secret").to_string(),
        string_to_sign: v["expected_string_to_sign"]
            .as_str()
            .expect("string to sign")
            .to_string(),
        signature: v["expected_signature"]
            .as_str()
            .expect("signature")
            .to_string(),
    }
}

fn all_cases() -> Vec<Case> {
    let doc = load();
    let mut cases = vec![case(&doc)];
    cases.extend(
        doc["additional_vectors"]
            .as_array()
            .expect("additional_vectors")
            .iter()
            .map(case),
    );
    assert!(cases.len() >= 2);
    cases
}

/// The canonicalized query is the part of the string to sign after `METHOD&%2F&`, decoded once.
fn expected_canonicalized_query(c: &Case) -> String {
    let prefix = format!("{}&%2F&", c.method);
    let encoded = c
        .string_to_sign
        .strip_prefix(&prefix)
        .expect("string to sign starts with METHOD&%2F&");
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

#[test]
fn stage_1_canonicalized_query_matches_vectors() {
    for c in all_cases() {
        assert_eq!(
            canonicalized_query(&c.params),
            expected_canonicalized_query(&c),
            "{}",
            c.description
        );
    }
}

#[test]
fn stage_2_string_to_sign_matches_vectors() {
    for c in all_cases() {
        assert_eq!(
            string_to_sign(&c.method, &c.params),
            c.string_to_sign,
            "{}",
            c.description
        );
    }
}

#[test]
fn stage_3_signature_matches_vectors() {
    for c in all_cases() {
        assert_eq!(
            signature(&c.secret, &c.string_to_sign),
            c.signature,
            "{}",
            c.description
        );
        // HMAC key is the secret followed by '&'.
        assert_eq!(
            load()["hmac_key"].as_str(),
            Some(format!("{}&", c.secret).as_str())
        );
    }
}

#[test]
fn signature_parameter_is_excluded_from_signing() {
    let c = &all_cases()[0];
    let mut with_sig = c.params.clone();
    with_sig.insert("Signature".into(), "whatever".into());
    assert_eq!(string_to_sign(&c.method, &with_sig), c.string_to_sign);
}

#[test]
fn python_quote_plus_divergence_is_not_copied() {
    let doc = load();
    let divergence = &doc["known_divergence"];
    let edge = case(&doc["additional_vectors"][0]);
    let ours = string_to_sign(&edge.method, &edge.params);
    assert_ne!(
        ours,
        divergence["its_string_to_sign_for_edge_vector"]
            .as_str()
            .unwrap()
    );
    assert_ne!(
        signature(&edge.secret, &ours),
        divergence["its_signature_for_edge_vector"]
            .as_str()
            .unwrap()
    );
    // The space in RoleSessionName is %20 (then %2520), never '+'.
    assert!(ours.contains("RoleSessionName%3Da%2520b%252Ac~d%252Fe%252Bf"));
}

#[test]
fn percent_encode_follows_the_rpc_rule() {
    assert_eq!(percent_encode(" "), "%20");
    assert_eq!(percent_encode("*"), "%2A");
    assert_eq!(percent_encode("~"), "~");
    assert_eq!(percent_encode("-_."), "-_.");
    assert_eq!(percent_encode("+/=&"), "%2B%2F%3D%26");
    assert_eq!(percent_encode("é"), "%C3%A9");
    assert_eq!(percent_encode("AZaz09"), "AZaz09");
}
