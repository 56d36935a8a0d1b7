//! Client hot paths: building and signing a SendMessage request, and decoding a 16-message
//! BatchReceiveMessage response, without and with user/system properties and a group id on
//! every message. No network.
//!
//! Run: `cargo bench -p mns-client -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use mns_client::signing::md5_hex_upper;
use mns_client::{Client, Credentials, Endpoint, SendOptions};

fn client(creds: &Credentials) -> Client {
    Client::builder(Endpoint::public("1234567890123456", "cn-hangzhou").expect("endpoint"))
        .credentials(creds.clone())
        .build()
        .expect("client")
}

/// The properties every message of the `_props` variant carries: one user property of each type
/// and the three trace-context system properties (about 600 bytes per message).
const PROPERTIES: &str = "<UserProperties>\
    <PropertyValue><Name>customer</Name><Value>acme &amp; co</Value><Type>STRING</Type></PropertyValue>\
    <PropertyValue><Name>amount</Name><Value>1299.5</Value><Type>NUMBER</Type></PropertyValue>\
    <PropertyValue><Name>express</Name><Value>true</Value><Type>BOOLEAN</Type></PropertyValue>\
    <PropertyValue><Name>sig</Name><Value>3q2+7w==</Value><Type>BINARY</Type></PropertyValue>\
    </UserProperties><SystemProperties>\
    <SystemPropertyValue><Name>traceparent</Name>\
    <Value>00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01</Value><Type>STRING</Type></SystemPropertyValue>\
    <SystemPropertyValue><Name>tracestate</Name><Value>rojo=00f067aa0ba902b7</Value><Type>STRING</Type></SystemPropertyValue>\
    <SystemPropertyValue><Name>baggage</Name><Value>userId=alice</Value><Type>STRING</Type></SystemPropertyValue>\
    </SystemProperties><MessageGroupId>order-42</MessageGroupId>";

fn batch_receive_body(properties: &str) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Messages xmlns="http://mns.aliyuncs.com/doc/v1/">"#,
    );
    for i in 0..16 {
        let body = format!("order {i}: {{\"id\":{i},\"item\":\"widget\",\"qty\":3}}");
        s.push_str(&format!(
            "<Message><MessageId>0909FF0D9C3A630C372B8A14BD2011{i:02X}</MessageId>\
             <ReceiptHandle>8-0zxjHBaWtzPz8zphz0z6OGz5yWWidU1f{i:02}</ReceiptHandle>\
             <MessageBodyMD5>{}</MessageBodyMD5><MessageBody>{}</MessageBody>\
             <EnqueueTime>1716809414944</EnqueueTime><NextVisibleTime>1716809470986</NextVisibleTime>\
             <FirstDequeueTime>1716809420986</FirstDequeueTime><DequeueCount>1</DequeueCount>\
             <Priority>8</Priority>{properties}</Message>",
            md5_hex_upper(body.as_bytes()),
            body.replace('"', "&quot;")
        ));
    }
    s.push_str("</Messages>");
    s
}

fn benches(c: &mut Criterion) {
    let creds = Credentials::new("LTAI5tExampleAccessKey", "exampleAccessKeySecret0123456789");
    let client = client(&creds);
    let queue = client.queue("orders").expect("queue");
    let now = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    let options = SendOptions::default();
    let body =
        "a typical message body of about one hundred bytes: {\"order\":42,\"status\":\"paid\"}";

    c.bench_function("send_message_build_and_sign", |b| {
        b.iter(|| {
            let req = queue
                .prepare_send_message(black_box(body), &options, &creds, now)
                .expect("prepared");
            black_box(req)
        })
    });

    for (name, properties) in [
        ("batch_receive_decode_16", ""),
        ("batch_receive_decode_16_props", PROPERTIES),
    ] {
        let xml = batch_receive_body(properties);
        assert_eq!(
            queue
                .decode_batch_receive_response(&xml)
                .expect("decodes")
                .len(),
            16
        );
        c.bench_function(name, |b| {
            b.iter(|| {
                let msgs = queue
                    .decode_batch_receive_response(black_box(&xml))
                    .expect("decoded");
                black_box(msgs)
            })
        });
    }
}

criterion_group!(client_benches, benches);
criterion_main!(client_benches);
