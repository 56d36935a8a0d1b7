//! Topic pushes to an `https://` receiver with a self-signed certificate: delivered once the
//! emulator trusts that certificate (`push_ca_certificate_pem`, `--push-ca-certificate`), and
//! refused (a failed attempt, retried later) when it does not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mns_emulator::Emulator;
use mns_emulator::clock::ManualClock;
use mns_emulator::engine::{AttemptOutcome, PublishMessageInput, SubscribeInput};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::http_common::T0_MS;

/// An HTTPS receiver on loopback with a fresh self-signed certificate for `127.0.0.1`; returns
/// its URL, the certificate (PEM) and the bodies it received.
async fn https_receiver() -> (String, String, Arc<Mutex<Vec<String>>>) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certified.cert.der().to_vec())],
            key,
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let bodies = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, bodies) = (acceptor.clone(), bodies.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let bodies = bodies.clone();
                    async move {
                        let body =
                            axum::body::to_bytes(axum::body::Body::new(req.into_body()), 1 << 20)
                                .await
                                .unwrap_or_default();
                        bodies
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&body).into_owned());
                        let mut response = hyper::Response::new(axum::body::Body::empty());
                        *response.status_mut() = hyper::StatusCode::NO_CONTENT;
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://{addr}/notify"), cert_pem, seen)
}

async fn push_once(trust: bool) -> (AttemptOutcome, Vec<String>) {
    let (url, cert_pem, seen) = https_receiver().await;
    let mut builder = Emulator::builder()
        .clock(ManualClock::at_millis(T0_MS))
        .max_date_skew(None);
    if trust {
        builder = builder
            .push_ca_certificate_pem(cert_pem.as_bytes())
            .unwrap();
    }
    let emu = builder.start().await.unwrap();
    emu.with_engine(|e, now| {
        e.create_topic("t", Default::default(), now)?;
        let sub = SubscribeInput {
            endpoint: Some(url.clone()),
            ..Default::default()
        };
        e.subscribe("t", "s", sub, now)?;
        e.publish_message("t", PublishMessageInput::new("over tls"), now)
    })
    .unwrap();
    tokio::time::timeout(
        Duration::from_secs(30),
        emu.deliveries().wait_for_attempts(1),
    )
    .await
    .expect("one attempt within 30 s");
    let outcome = emu.deliveries().attempts()[0].outcome.clone();
    let bodies = seen.lock().unwrap().clone();
    emu.shutdown().await;
    (outcome, bodies)
}

#[tokio::test]
async fn a_trusted_self_signed_receiver_gets_the_push() {
    let (outcome, bodies) = push_once(true).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("over tls"), "{}", bodies[0]);
}

#[tokio::test]
async fn an_untrusted_self_signed_receiver_is_a_failed_attempt() {
    let (outcome, bodies) = push_once(false).await;
    assert!(!outcome.is_delivered(), "{outcome:?}");
    assert!(bodies.is_empty());
}

#[test]
fn a_file_without_a_certificate_is_refused() {
    let err = Emulator::builder()
        .push_ca_certificate_pem(b"not a certificate")
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
