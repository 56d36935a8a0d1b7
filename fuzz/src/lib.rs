//! The fuzz targets' bodies, shared by the libFuzzer binaries (`fuzz_targets/`) and the
//! libFuzzer-less `fuzz_loop` runner. Each must never panic, whatever the input.

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use mns_client::push::{PushNotification, PushRequest, SigningCertificate};
use mns_client::topic::NotifyContentFormat;
use mns_client::{BodyCodec, Client, Credentials, Endpoint, Queue};
use mns_emulator::auth::{AccessKey, AuthConfig, Authenticator, KeyStore, RequestToVerify};

/// The emulator's request parsing: every XML body parser, the query and path parsers, and
/// signature verification over a request whose method, target and headers come from `data`
/// (lines: method, target, then `name: value` headers).
pub fn emulator_request_parsing(data: &[u8]) {
    mns_emulator::fuzzing::parse_request(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let method = lines.next().unwrap_or("");
    let target = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    let _ = authenticator().verify(
        &RequestToVerify {
            method,
            target,
            headers: &headers,
        },
        UNIX_EPOCH + Duration::from_secs(1_704_164_645),
    );
}

fn authenticator() -> &'static Authenticator {
    static AUTH: OnceLock<Authenticator> = OnceLock::new();
    AUTH.get_or_init(|| {
        let keys = KeyStore::new();
        keys.add(AccessKey::new("testid", "testsecret"));
        Authenticator::new(keys, AuthConfig::default())
    })
}

fn queues() -> &'static (Queue, Queue) {
    static QUEUES: OnceLock<(Queue, Queue)> = OnceLock::new();
    QUEUES.get_or_init(|| {
        let client = Client::builder(Endpoint::from_url("http://127.0.0.1:1").expect("endpoint"))
            .credentials(Credentials::new("testid", "testsecret"))
            .build()
            .expect("client");
        let raw = client.queue("fuzz").expect("queue");
        let base64 = raw.clone().with_codec(BodyCodec::Base64);
        (raw, base64)
    })
}

/// The client's decoding of what comes back from the network: (batch) receive responses with
/// both body codecs, every other response decoder (queue and topic attributes and lists,
/// subscriptions, publish and send receipts, batch errors, error documents), HTTP push
/// notifications in every content format, and push signing certificates.
pub fn client_response_decoding(data: &[u8]) {
    mns_client::fuzzing::decode_responses(data);
    let (raw, base64) = queues();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = raw.decode_batch_receive_response(text);
        let _ = base64.decode_batch_receive_response(text);
    }
    let request = PushRequest::new("POST", "/notify", data.to_vec());
    for format in [
        NotifyContentFormat::Xml,
        NotifyContentFormat::Json,
        NotifyContentFormat::Simplified,
    ] {
        let _ = PushNotification::parse(format, &request);
    }
    let _ = SigningCertificate::parse(data);
}
