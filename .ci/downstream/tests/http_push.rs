//! An HTTP push from the emulator, verified by `mns-client`'s extractor, in a dependent crate's
//! debug build: the emulator must sign without generating an RSA key (minutes unoptimised).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use mns_client::push::{CertUrlPolicy, PushVerifier, VerifiedPush};
use mns_client::topic::{Endpoint as PushEndpoint, TopicOptions};
use mns_client::{Client, Credentials, Endpoint};
use mns_emulator::Emulator;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

#[derive(Clone)]
struct Receiver {
    verifier: PushVerifier,
    accepted: mpsc::UnboundedSender<String>,
}

impl axum::extract::FromRef<Receiver> for PushVerifier {
    fn from_ref(state: &Receiver) -> PushVerifier {
        state.verifier.clone()
    }
}

async fn on_push(State(state): State<Receiver>, push: VerifiedPush) -> StatusCode {
    let notification = push.notification_auto().expect("a decodable notification");
    let _ = state.accepted.send(notification.message().to_owned());
    StatusCode::NO_CONTENT
}

#[tokio::test]
async fn a_push_is_signed_and_verified_in_a_debug_build() {
    let started = Instant::now();
    let emu = Emulator::builder().start().await.unwrap();
    let key = emu.access_key();
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new(key.id(), key.secret()))
        .build()
        .unwrap();

    let policy = CertUrlPolicy::deny_all()
        .allow_prefix(&format!("{}/", emu.endpoint()))
        .unwrap();
    let verifier = PushVerifier::builder().cert_url_policy(policy).build().unwrap();
    let (accepted, mut received) = mpsc::unbounded_channel();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}/notifications", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/notifications", post(on_push))
        .with_state(Receiver { verifier, accepted });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let topic = client.topic("downstream").unwrap();
    topic.create(&TopicOptions::default()).await.unwrap();
    topic
        .subscribe("receiver", &PushEndpoint::http(receiver_url).unwrap())
        .await
        .unwrap();
    topic.publish_message("pushed and verified").await.unwrap();

    let got = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("a verified push within 60 s")
        .unwrap();
    assert_eq!(got, "pushed and verified");
    eprintln!("push signed, delivered and verified in {:?}", started.elapsed());
    server.abort();
    emu.shutdown().await;
}
