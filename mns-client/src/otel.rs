//! Trace context through MNS (feature `opentelemetry`; reference mns-openapi-fifo-dlq §6).
//!
//! With the feature on, every send, batch send and publish starts a producer span (a child of
//! the current OpenTelemetry context) and injects its context, through the globally configured
//! propagator (`opentelemetry::global::set_text_map_propagator`), into the `traceparent`,
//! `tracestate` and `baggage` system properties; a property the caller set is kept. Keys other
//! than those three (a B3 propagator's, say) are dropped: the service refuses other system
//! property names. The [`Worker`](crate::Worker) extracts the context from a received message
//! (system properties first, then user properties, as OpenTelemetry's Java MNS instrumentation
//! reads them) and runs the handler inside a consumer span whose parent it is.
//!
//! Spans carry the messaging semantic-convention attributes: `messaging.system` =
//! `alibaba_mns`, `messaging.destination.name`, `messaging.operation.name`,
//! `messaging.operation.type`, `messaging.message.id` and, for batches,
//! `messaging.batch.message_count`. Without the feature these types are empty and free.

#[cfg(feature = "opentelemetry")]
mod enabled {
    use opentelemetry::propagation::{Extractor, Injector};
    use opentelemetry::trace::{FutureExt as _, SpanKind, Status, TraceContextExt, Tracer};
    use opentelemetry::{Context, KeyValue, global};

    use crate::error::Error;
    use crate::queue::model::{
        ReceivedMessage, SystemProperties, SystemProperty, SystemPropertyName, UserProperty,
    };

    /// The `messaging.system` value for MNS.
    const SYSTEM: &str = "alibaba_mns";
    /// The instrumentation scope name.
    const SCOPE: &str = "mns-client";

    struct PropertiesInjector<'a>(&'a mut SystemProperties);

    impl Injector for PropertiesInjector<'_> {
        fn set(&mut self, key: &str, value: String) {
            let Some(name) = SystemPropertyName::parse(key) else {
                return;
            };
            if name.is_client_settable() && self.0.get(key).is_none() {
                self.0.push(SystemProperty::new(name, value));
            }
        }
    }

    struct MessageExtractor<'a> {
        system: &'a SystemProperties,
        user: &'a [UserProperty],
    }

    impl Extractor for MessageExtractor<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.system.get(key).or_else(|| {
                self.user
                    .iter()
                    .find(|p| p.name == key)
                    .map(|p| p.value.as_str())
            })
        }

        fn keys(&self) -> Vec<&str> {
            self.system
                .iter()
                .map(|p| p.name.as_str())
                .chain(self.user.iter().map(|p| p.name.as_str()))
                .collect()
        }
    }

    /// A producer span for one send, batch send or publish.
    pub(crate) struct ProducerSpan {
        cx: Context,
    }

    impl ProducerSpan {
        /// Starts the span (`{destination} {operation}`, kind producer) under the current
        /// context.
        pub(crate) fn start(destination: &str, operation: &'static str, count: usize) -> Self {
            let tracer = global::tracer(SCOPE);
            let mut attributes = vec![
                KeyValue::new("messaging.system", SYSTEM),
                KeyValue::new("messaging.destination.name", destination.to_owned()),
                KeyValue::new("messaging.operation.name", operation),
                KeyValue::new("messaging.operation.type", "send"),
            ];
            if count > 1 {
                attributes.push(KeyValue::new(
                    "messaging.batch.message_count",
                    i64::try_from(count).unwrap_or(i64::MAX),
                ));
            }
            let span = tracer
                .span_builder(format!("{destination} {operation}"))
                .with_kind(SpanKind::Producer)
                .with_attributes(attributes)
                .start_with_context(&tracer, &Context::current());
            ProducerSpan {
                cx: Context::current_with_span(span),
            }
        }

        /// Injects the span's context into `props`, keeping what the caller set.
        pub(crate) fn inject(&self, props: &mut SystemProperties) {
            global::get_text_map_propagator(|p| {
                p.inject_context(&self.cx, &mut PropertiesInjector(props));
            });
        }

        /// Ends the span with the outcome: the message id on success, an error status otherwise.
        pub(crate) fn end(self, outcome: Result<Option<&str>, &Error>) {
            let span = self.cx.span();
            match outcome {
                Ok(Some(id)) => {
                    span.set_attribute(KeyValue::new("messaging.message.id", id.to_owned()));
                }
                Ok(None) => {}
                Err(e) => span.set_status(Status::error(e.to_string())),
            }
            span.end();
        }
    }

    /// Runs `handler` inside a consumer span (`{queue} process`) whose parent is the context the
    /// producer injected into `msg`.
    pub(crate) fn consumer_scope<F>(
        queue: &str,
        msg: &ReceivedMessage,
        handler: F,
    ) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
    {
        let parent = global::get_text_map_propagator(|p| {
            p.extract(&MessageExtractor {
                system: &msg.system_properties,
                user: &msg.user_properties,
            })
        });
        let tracer = global::tracer(SCOPE);
        let span = tracer
            .span_builder(format!("{queue} process"))
            .with_kind(SpanKind::Consumer)
            .with_attributes([
                KeyValue::new("messaging.system", SYSTEM),
                KeyValue::new("messaging.destination.name", queue.to_owned()),
                KeyValue::new("messaging.operation.name", "process"),
                KeyValue::new("messaging.operation.type", "process"),
                KeyValue::new("messaging.message.id", msg.message_id.clone()),
                KeyValue::new(
                    "messaging.message.delivery_count",
                    i64::from(msg.dequeue_count),
                ),
            ])
            .start_with_context(&tracer, &parent);
        let cx = parent.with_span(span);
        let end_cx = cx.clone();
        async move {
            let out = handler.with_context(cx).await;
            end_cx.span().end();
            out
        }
    }
}

#[cfg(not(feature = "opentelemetry"))]
mod disabled {
    use crate::error::Error;
    use crate::queue::model::{ReceivedMessage, SystemProperties};

    /// Without the feature: nothing.
    pub(crate) struct ProducerSpan;

    impl ProducerSpan {
        #[inline]
        pub(crate) fn start(_destination: &str, _operation: &'static str, _count: usize) -> Self {
            ProducerSpan
        }

        #[inline]
        pub(crate) fn inject(&self, _props: &mut SystemProperties) {}

        #[inline]
        pub(crate) fn end(self, _outcome: Result<Option<&str>, &Error>) {}
    }

    /// Without the feature: the handler as it is.
    #[inline]
    pub(crate) fn consumer_scope<F>(_queue: &str, _msg: &ReceivedMessage, handler: F) -> F {
        handler
    }
}

#[cfg(not(feature = "opentelemetry"))]
pub(crate) use disabled::*;
#[cfg(feature = "opentelemetry")]
pub(crate) use enabled::*;
