//! Trace context through MNS (mns-client's `opentelemetry` feature): a send injects the
//! producer span's context into the message's system properties, the emulator stores and
//! returns them, and the worker runs the handler in a consumer span of the same trace.
//!
//! Its own test binary: it installs a global tracer provider and propagator, which would
//! collect the spans of every other test in a shared binary.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use mns_client::worker::Worker;
use mns_client::{Client, Credentials, Endpoint, SendOptions, UserProperty};
use mns_emulator::Emulator;
use mns_emulator::clock::{Clock, ManualClock};
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::{SpanKind, TraceContextExt, TraceId};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

#[derive(Debug)]
struct EmulatorTime(Arc<dyn Clock>);

impl mns_client::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv: &&KeyValue| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test]
async fn one_trace_across_send_and_worker() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    global::set_tracer_provider(provider.clone());
    global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));

    let emu = Emulator::builder()
        .clock(ManualClock::at_millis(1_704_164_645_000))
        .start()
        .await
        .expect("emulator starts");
    let client = Client::builder(Endpoint::from_url(emu.endpoint()).unwrap())
        .credentials(Credentials::new("testid", "testsecret"))
        .time_source(EmulatorTime(emu.clock()))
        .build()
        .unwrap();
    let queue = client.queue("traced").unwrap();
    queue.create(&Default::default()).await.unwrap();

    let receipt = queue
        .send_message_opts(
            "order 42",
            SendOptions {
                user_properties: vec![UserProperty::string("kind", "order")],
                ..SendOptions::default()
            },
        )
        .await
        .unwrap();

    // The context travelled as system properties.
    let peeked = queue.peek_message().await.unwrap().expect("the message");
    let traceparent = peeked
        .system_properties
        .traceparent()
        .expect("traceparent injected")
        .to_owned();
    assert!(traceparent.starts_with("00-"), "{traceparent}");

    let seen: Arc<Mutex<Vec<TraceId>>> = Arc::default();
    let worker = {
        let seen = seen.clone();
        Worker::builder(queue.clone(), move |_msg| {
            let seen = seen.clone();
            async move {
                let cx = Context::current();
                seen.lock()
                    .unwrap()
                    .push(cx.span().span_context().trace_id());
                Ok(())
            }
        })
        .wait(Duration::from_secs(1))
        .build()
        .unwrap()
    };
    let stats = worker.stats();
    let stop = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn(worker.run(stop.clone().cancelled_owned()));
    for _ in 0..500 {
        if stats.snapshot().succeeded == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    let last = run.await.unwrap();
    assert_eq!(last.succeeded, 1);

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let producer = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Producer)
        .expect("a producer span");
    let consumer = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Consumer)
        .expect("a consumer span");
    let trace_id = producer.span_context.trace_id();
    assert_eq!(consumer.span_context.trace_id(), trace_id);
    assert_eq!(consumer.parent_span_id, producer.span_context.span_id());
    assert_eq!(*seen.lock().unwrap(), vec![trace_id]);
    assert!(traceparent.contains(&trace_id.to_string()));
    assert_eq!(producer.name, "traced send");
    assert_eq!(consumer.name, "traced process");
    for span in [producer, consumer] {
        assert_eq!(
            attribute(span, "messaging.system").as_deref(),
            Some("alibaba_mns")
        );
        assert_eq!(
            attribute(span, "messaging.destination.name").as_deref(),
            Some("traced")
        );
        assert_eq!(
            attribute(span, "messaging.message.id"),
            Some(receipt.message_id.clone())
        );
    }
    assert_eq!(
        attribute(consumer, "messaging.operation.name").as_deref(),
        Some("process")
    );
}
