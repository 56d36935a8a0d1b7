//! Shared helpers for the HTTP tests: an emulator on a `ManualClock`, and a tiny request signer
//! written here from the reference (§3.1), independent of both `mns_emulator::auth` and
//! `mns-client`, so the tests check the emulator's verifier rather than agree with it.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "shared by several binaries, each using a part"
)]

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use mns_emulator::clock::{Clock, ManualClock};
use mns_emulator::{Emulator, EmulatorBuilder, RunningEmulator};

pub mod raw;

/// A running emulator on a manual clock plus an HTTP client.
pub struct Harness {
    pub emu: RunningEmulator,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

/// The clock's starting point for tests: a fixed instant, so nothing depends on today's date.
pub const T0_MS: u64 = 1_704_164_645_000; // Tue, 02 Jan 2024 03:04:05 GMT

pub async fn start() -> Harness {
    start_with(|b| b).await
}

pub async fn start_with(configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> Harness {
    let clock = ManualClock::at_millis(T0_MS);
    let emu = configure(Emulator::builder().clock(clock.clone()))
        .start()
        .await
        .expect("emulator starts");
    Harness {
        emu,
        clock,
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
    }
}

/// A request to send: method, raw target, headers, body and signing options.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub key_id: String,
    pub secret: String,
    /// `None`: no `Authorization` header at all.
    pub sign: bool,
    /// Override of the `Date` header (`Some("")` removes it).
    pub date: Option<String>,
}

impl Req {
    pub fn new(method: &str, target: &str) -> Self {
        Req {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: vec![("x-mns-version".into(), "2015-06-06".into())],
            body: Vec::new(),
            key_id: "testid".into(),
            secret: "testsecret".into(),
            sign: true,
            date: None,
        }
    }

    pub fn get(target: &str) -> Self {
        Self::new("GET", target)
    }
    pub fn put(target: &str, body: &str) -> Self {
        Self::new("PUT", target).xml(body)
    }
    pub fn post(target: &str, body: &str) -> Self {
        Self::new("POST", target).xml(body)
    }
    pub fn delete(target: &str) -> Self {
        Self::new("DELETE", target)
    }

    /// Sets an XML body with the Python SDK's content type.
    pub fn xml(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        if !body.is_empty() {
            self.headers
                .push(("Content-Type".into(), "text/xml;charset=UTF-8".into()));
        }
        self
    }

    /// Sets a body without touching `Content-Type`.
    pub fn xml_raw(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn key(mut self, id: &str, secret: &str) -> Self {
        self.key_id = id.to_owned();
        self.secret = secret.to_owned();
        self
    }

    pub fn unsigned(mut self) -> Self {
        self.sign = false;
        self
    }

    pub fn date(mut self, date: &str) -> Self {
        self.date = Some(date.to_owned());
        self
    }
}

/// `Base64(HMAC-SHA1(secret, VERB\nMD5\nTYPE\nDATE\n + x-mns-* lines + target))`.
pub fn test_signature(
    secret: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
) -> String {
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let date = find("date").or_else(|| find("x-mns-date")).unwrap_or("");
    let mut mns: Vec<(String, &str)> = headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-mns-"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
        .collect();
    mns.sort();
    let mut sts = format!(
        "{method}\n{}\n{}\n{date}\n",
        find("content-md5").unwrap_or(""),
        find("content-type").unwrap_or("")
    );
    for (n, v) in mns {
        sts.push_str(&format!("{n}:{v}\n"));
    }
    sts.push_str(target);
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A received response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Text of the first `<name>…</name>` element (the documents are flat enough for this).
    pub fn text(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&close)? + start;
        Some(self.body[start..end].to_owned())
    }

    /// Texts of every `<name>…</name>` element.
    pub fn texts(&self, name: &str) -> Vec<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(&close) else { break };
            out.push(after[..j].to_owned());
            rest = &after[j + close.len()..];
        }
        out
    }

    /// The error code of an `<Error>` body.
    pub fn code(&self) -> Option<String> {
        self.text("Code")
    }

    /// Asserts the service envelope every response must have.
    pub fn assert_envelope(&self) {
        let id = self.header("x-mns-request-id").expect("x-mns-request-id");
        assert_eq!(id.len(), 24, "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
            "{id}"
        );
        assert_eq!(self.header("x-mns-version"), Some("2015-06-06"));
        assert_eq!(self.header("server"), Some("AliyunMQS"));
        assert!(self.header("date").is_some());
        if !self.body.is_empty() {
            assert!(
                self.body
                    .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#),
                "{}",
                self.body
            );
            assert!(
                self.body
                    .contains(r#"xmlns="http://mns.aliyuncs.com/doc/v1""#),
                "{}",
                self.body
            );
        }
    }

    /// Asserts an `<Error>` answer with this status and code, all four children, and the request
    /// id of the header.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code().as_deref()),
            (status, Some(code)),
            "{}",
            self.body
        );
        self.assert_envelope();
        assert!(self.text("Message").is_some_and(|m| !m.is_empty()));
        assert_eq!(
            self.text("RequestId").as_deref(),
            self.header("x-mns-request-id")
        );
        assert!(
            self.text("HostId")
                .is_some_and(|h| h.starts_with("http://"))
        );
    }
}

impl Harness {
    pub fn url(&self, target: &str) -> String {
        format!("{}{}", self.emu.endpoint(), target)
    }

    /// The `Date` value for "now" on the emulator's clock.
    pub fn http_date(&self) -> String {
        httpdate::fmt_http_date(self.clock.now())
    }

    /// Signs (unless told not to) and sends `req`.
    pub async fn send(&self, req: Req) -> Resp {
        send_with(&self.http, self.emu.endpoint(), &self.http_date(), req).await
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub async fn create_queue(&self, name: &str, attrs: &str) {
        let r = self
            .send(Req::put(
                &format!("/queues/{name}"),
                &format!(r#"<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/">{attrs}</Queue>"#),
            ))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    /// Sends one message; returns the response.
    pub async fn send_message(&self, queue: &str, inner: &str) -> Resp {
        self.send(Req::post(
            &format!("/queues/{queue}/messages"),
            &format!(r#"<Message xmlns="http://mns.aliyuncs.com/doc/v1/">{inner}</Message>"#),
        ))
        .await
    }
}

/// Signs and sends `req` to `endpoint`, with `date` unless the request overrides it.
pub async fn send_with(http: &reqwest::Client, endpoint: &str, date: &str, mut req: Req) -> Resp {
    match req.date.as_deref() {
        None => req.headers.push(("Date".into(), date.to_owned())),
        Some("") => {}
        Some(d) => req.headers.push(("Date".into(), d.to_owned())),
    }
    if req.sign {
        let sig = test_signature(&req.secret, &req.method, &req.target, &req.headers);
        req.headers
            .push(("Authorization".into(), format!("MNS {}:{sig}", req.key_id)));
    }
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).expect("method");
    let mut builder = http.request(method, format!("{endpoint}{}", req.target));
    for (n, v) in &req.headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    let response = builder.body(req.body).send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    Resp {
        status,
        headers,
        body,
    }
}
