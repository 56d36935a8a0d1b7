//! An HTTP endpoint that receives topic messages pushed by MNS, and accepts only pushes that
//! MNS really signed.
//!
//! ```sh
//! cargo run --example push_receiver    # embedded emulator: subscribes, publishes 3, exits
//! MNS_ENDPOINT=https://<account>.mns.<region>.aliyuncs.com \
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//! PUSH_BIND=0.0.0.0:8080 PUSH_PUBLIC_URL=https://hooks.example.com \
//!     cargo run --example push_receiver    # real MNS: serves until Ctrl-C
//! ```
//!
//! Every push is a signed `POST`. The [`VerifiedPush`] extractor (feature `axum` of
//! `mns-client`) checks the body's MD5, the `Date`, that the signing certificate comes from an
//! allowed URL (before fetching it), and the RSA-SHA1 signature. The handler runs only for
//! requests that pass; the rest get 403 and a reason. Answer within 5 s: MNS retries
//! otherwise, so hand real work to a queue or a task.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use mns_client::push::{CertUrlPolicy, PushRequest, PushVerifier, VerifiedPush};
use mns_client::topic::{Endpoint, NotifyContentFormat, SubscribeOptions, TopicOptions};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The receiver's state: the verifier (the extractor takes it from here) and where to put
/// accepted messages.
#[derive(Clone)]
struct AppState {
    verifier: PushVerifier,
    accepted: mpsc::UnboundedSender<String>,
}

impl axum::extract::FromRef<AppState> for PushVerifier {
    fn from_ref(state: &AppState) -> PushVerifier {
        state.verifier.clone()
    }
}

/// Runs only for verified pushes.
async fn on_push(State(state): State<AppState>, push: VerifiedPush) -> StatusCode {
    match push.notification_auto() {
        Ok(notification) => {
            println!(
                "verified push {}: {}",
                notification.message_id().unwrap_or("-"),
                notification.message()
            );
            let _ = state.accepted.send(notification.message().to_owned());
            StatusCode::NO_CONTENT
        }
        // Signed by MNS but not a notification we understand: refuse, MNS will retry.
        Err(e) => {
            eprintln!("undecodable push: {e}");
            StatusCode::BAD_REQUEST
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    common::init_tracing();
    let env = common::connect().await?;

    // Which certificate URLs to trust. Real MNS signs with certificates under its own domains
    // (the default policy); the emulator serves its certificate from its own address.
    let policy = match &env.emulator {
        Some(emu) => CertUrlPolicy::deny_all().allow_prefix(&format!("{}/", emu.endpoint()))?,
        None => CertUrlPolicy::mns_default(),
    };
    let verifier = PushVerifier::builder().cert_url_policy(policy).build()?;

    // Serve the endpoint.
    let bind: SocketAddr = std::env::var("PUSH_BIND")
        .unwrap_or_else(|_| "127.0.0.1:0".to_owned())
        .parse()?;
    let listener = TcpListener::bind(bind).await?;
    let local = listener.local_addr()?;
    let public_url = match std::env::var("PUSH_PUBLIC_URL") {
        Ok(url) => url.trim_end_matches('/').to_owned(),
        Err(_) if env.is_emulator() => format!("http://{local}"),
        Err(_) => {
            return Err("set PUSH_PUBLIC_URL to a URL where MNS can reach this process".into());
        }
    };
    let (accepted, mut received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/notifications", post(on_push))
        .with_state(AppState {
            verifier: verifier.clone(),
            accepted,
        });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("listening on {local}, subscribed as {public_url}/notifications");

    // Subscribe the endpoint to a topic.
    let topic = env.client.topic(&env.name("alerts"))?;
    topic.create(&TopicOptions::default()).await?;
    let options = SubscribeOptions {
        notify_content_format: Some(NotifyContentFormat::Json),
        ..SubscribeOptions::default()
    };
    let endpoint = Endpoint::http(format!("{public_url}/notifications"))?;
    topic
        .subscribe_opts("receiver", &endpoint, &options)
        .await?;

    if env.is_emulator() {
        // A push that MNS did not sign is refused before any handler runs.
        let forged = PushRequest::new("POST", "/notifications", "{\"Message\":\"forged\"}")
            .with_header("Authorization", "AAAA")
            .with_header("Date", "Tue, 02 Jan 2024 03:04:05 GMT");
        match verifier.verify(forged).await {
            Ok(_) => return Err("a forged push was accepted".into()),
            Err(e) => println!("forged push refused ({}): {e}", e.status_code()),
        }

        // Publish a few messages and wait until each arrived through a verified push.
        let bodies = [
            "disk 91% full on db-1",
            "deploy finished",
            "latency back to normal",
        ];
        for body in bodies {
            topic.publish_message(body).await?;
        }
        for _ in bodies {
            let got = tokio::time::timeout(Duration::from_secs(30), received.recv())
                .await?
                .ok_or("receiver stopped")?;
            assert!(bodies.contains(&got.as_str()));
        }
        println!("all {} pushes received and verified", bodies.len());
        topic.delete().await?;
    } else {
        println!(
            "publish to topic {} to see pushes; Ctrl-C to stop",
            topic.name()
        );
        tokio::signal::ctrl_c().await?;
        topic.unsubscribe("receiver").await?;
    }
    server.abort();
    env.shutdown().await;
    Ok(())
}
