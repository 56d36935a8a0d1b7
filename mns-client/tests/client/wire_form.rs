//! The request as it goes on the wire over a plain-HTTP endpoint (the direct sender,
//! `src/transport/http.rs`): every header in order, nothing reparsed or re-encoded, and a
//! redirect answered by the server is not followed.
//!
//! The server is a raw loopback listener that records the bytes of each request and answers
//! with a fixed response, so what is checked is exactly what the client wrote.

use std::sync::{Arc, Mutex};

use mns_client::signing::{authorization, content_md5, string_to_sign};
use mns_client::time::FixedTimeSource;
use mns_client::{Client, Credentials, Endpoint, Error, ReceiptHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DATE: &str = "Tue, 02 Jan 2024 03:04:05 GMT";

/// Serves `answers` in turn, one per request (connections kept alive unless the answer says
/// `Connection: close`); returns the endpoint and the requests seen, each as the client's port,
/// a line feed, and the raw request (head and body).
async fn recording_server(answers: Vec<String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    tokio::spawn(async move {
        let answers = Arc::new(Mutex::new(answers.into_iter()));
        while let Ok((mut tcp, peer)) = listener.accept().await {
            let (recorded, answers) = (recorded.clone(), answers.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = vec![0u8; 16 * 1024];
                loop {
                    let Some(request) = take_request(&mut buf) else {
                        match tcp.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    recorded
                        .lock()
                        .expect("lock")
                        .push(format!("{}\n{request}", peer.port()));
                    let Some(answer) = answers.lock().expect("lock").next() else {
                        return;
                    };
                    if tcp.write_all(answer.as_bytes()).await.is_err()
                        || answer.contains("\r\nConnection: close\r\n")
                    {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// One whole request (head plus `Content-Length` bytes of body) off the front of `buf`.
fn take_request(buf: &mut Vec<u8>) -> Option<String> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).expect("ASCII head");
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse::<usize>().expect("length"));
    if buf.len() < head_end + length {
        return None;
    }
    let request = String::from_utf8(buf[..head_end + length].to_vec()).expect("UTF-8");
    buf.drain(..head_end + length);
    Some(request)
}

/// The raw request of a recorded one (without the port line).
fn raw(recorded: &str) -> String {
    recorded.split_once('\n').expect("port line").1.to_owned()
}

/// The client port of a recorded request (one per connection).
fn port(recorded: &str) -> &str {
    recorded.split_once('\n').expect("port line").0
}

fn client(endpoint: &str) -> Client {
    Client::builder(Endpoint::from_url(endpoint).expect("endpoint"))
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(FixedTimeSource(
            httpdate::parse_http_date(DATE).expect("date"),
        ))
        .user_agent("wire-test/1")
        .build()
        .expect("client")
}

/// A SendMessage answer for the body `hello world`.
fn sent() -> String {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message><MessageId>ID1</MessageId>\
        <MessageBodyMD5>5EB63BBBE01EEED093CB22BB8F5ACDC3</MessageBodyMD5></Message>";
    format!(
        "HTTP/1.1 201 Created\r\nx-mns-request-id: R1\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_send_goes_out_with_every_header_in_order() {
    let (endpoint, seen) = recording_server(vec![sent()]).await;
    let receipt = client(&endpoint)
        .queue("q-1")
        .expect("queue")
        .send_message("hello world")
        .await
        .expect("send");
    assert_eq!(receipt.message_id, "ID1");

    let request = raw(&seen.lock().expect("lock")[0]);
    let (head, body) = request.split_once("\r\n\r\n").expect("head");
    let md5 = content_md5(body.as_bytes());
    let signed = [
        ("content-md5", md5.as_str()),
        ("content-type", "text/xml;charset=UTF-8"),
        ("date", DATE),
        ("x-mns-version", "2015-06-06"),
    ];
    let auth = authorization(
        "testid",
        "testsecret",
        &string_to_sign("POST", "/queues/q-1/messages", &signed),
    );
    let host = endpoint.trim_start_matches("http://");
    let expected = format!(
        "POST /queues/q-1/messages HTTP/1.1\r\n\
         content-md5: {md5}\r\n\
         content-type: text/xml;charset=UTF-8\r\n\
         date: {DATE}\r\n\
         x-mns-version: 2015-06-06\r\n\
         authorization: {auth}\r\n\
         accept: */*\r\n\
         user-agent: wire-test/1\r\n\
         host: {host}\r\n\
         content-length: {}",
        body.len()
    );
    assert_eq!(head, expected);
}

#[tokio::test]
async fn a_bodyless_delete_says_content_length_zero_and_keeps_the_query_as_signed() {
    let (endpoint, seen) =
        recording_server(vec!["HTTP/1.1 204 No Content\r\n\r\n".to_owned()]).await;
    client(&endpoint)
        .queue("q")
        .expect("queue")
        .delete_message(&ReceiptHandle::new("1-ODU4+OTk/zNDU5My0=10&b#c%").expect("handle"))
        .await
        .expect("delete");
    let request = raw(&seen.lock().expect("lock")[0]);
    let first = request.lines().next().expect("request line");
    assert_eq!(
        first,
        "DELETE /queues/q/messages?ReceiptHandle=1-ODU4+OTk/zNDU5My0=10%26b%23c%25 HTTP/1.1"
    );
    assert!(request.contains("\r\ncontent-length: 0\r\n"), "{request}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (elsewhere, elsewhere_seen) = recording_server(vec![sent()]).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}/queues/q/messages\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let (endpoint, seen) = recording_server(vec![redirect]).await;
    let err = client(&endpoint)
        .queue("q")
        .expect("queue")
        .send_message("hello world")
        .await
        .expect_err("a 307 is not an answer");
    assert!(matches!(err, Error::Decode { status: 307, .. }), "{err:?}");
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert!(
        elsewhere_seen.lock().expect("lock").is_empty(),
        "the signed request was replayed to the redirect target"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_names_the_url() {
    // Bind then drop a listener: its port is (briefly) known to refuse connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = Client::builder(Endpoint::from_url(&format!("http://{addr}")).expect("endpoint"))
        .credentials(Credentials::new("testid", "testsecret"))
        .retry(mns_client::RetryConfig::disabled())
        .build()
        .expect("client")
        .queue("q")
        .expect("queue")
        .get_attributes()
        .await
        .expect_err("nothing listens");
    let Error::Transport { source, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        source.to_string(),
        format!("error sending request for url (http://{addr}/queues/q)")
    );
}

#[tokio::test]
async fn connections_are_reused_and_a_closed_one_is_replaced() {
    let close = sent().replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
    let (endpoint, seen) = recording_server(vec![sent(), sent(), close, sent()]).await;
    let queue = client(&endpoint).queue("q").expect("queue");
    for _ in 0..4 {
        queue.send_message("hello world").await.expect("send");
    }
    let seen = seen.lock().expect("lock");
    let ports: Vec<&str> = seen.iter().map(|r| port(r)).collect();
    // One connection for the first three (the third answer closes it), a new one after.
    assert_eq!(ports[0], ports[1], "{ports:?}");
    assert_eq!(ports[1], ports[2], "{ports:?}");
    assert_ne!(ports[2], ports[3], "{ports:?}");
}
