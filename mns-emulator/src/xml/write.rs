//! Writing response documents: a tiny append-only XML writer and one function per document,
//! in the documented element order.

use super::*;

/// A tiny append-only XML writer. Values are escaped; element names are our own constants.
pub(crate) struct Doc(String);

impl Doc {
    pub(crate) fn new(root: &str) -> Self {
        // A received message with a 200-byte body is about 700 bytes: start big enough that the
        // common answers never grow.
        let mut s = String::with_capacity(1024);
        s.push_str(DECLARATION);
        s.push_str("\n<");
        s.push_str(root);
        s.push_str(" xmlns=\"");
        s.push_str(NAMESPACE);
        s.push_str("\">");
        Doc(s)
    }

    pub(crate) fn open(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub(crate) fn text(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        self.open(name);
        // Format straight into the document (no temporary for the common case), then escape the
        // appended text only if it holds a character XML reserves.
        let start = self.0.len();
        let _ = write!(self.0, "{value}");
        // Input is checked on the way in (`push_text`); a character XML cannot carry at all
        // (from a query parameter echoed in an error, say) becomes U+FFFD rather than making the
        // whole answer ill-formed. U+FFFE/U+FFFF are encoded as EF BF BE/BF.
        // One scan for both questions; replacing forbidden characters by U+FFFD changes no
        // byte that needs escaping.
        let scan = super::scan_text(&self.0.as_bytes()[start..]);
        if scan.suspect && !super::all_xml_chars(&self.0[start..]) {
            let raw = self.0.split_off(start);
            let cleaned: String = raw
                .chars()
                .map(|c| if is_xml_char(c) { c } else { '\u{fffd}' })
                .collect();
            self.0.push_str(&cleaned);
        }
        if scan.to_escape {
            // A raw CR would be normalised to LF by the reader's XML parser (line-end
            // normalisation), changing the text its MD5 covers: write it as a character reference.
            let raw = self.0.split_off(start);
            self.0
                .push_str(&escape(raw.as_str()).replace('\r', "&#13;"));
        }
        self.close(name)
    }

    pub(crate) fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.0
    }
}

/// `True`/`False`, the service's spelling.
pub(crate) fn bool_text(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// The `<Error>` document with all four children the Python SDK requires.
pub(crate) fn error_document(code: &str, message: &str, request_id: &str, host_id: &str) -> String {
    let mut d = Doc::new("Error");
    d.text("Code", code)
        .text("Message", message)
        .text("RequestId", request_id)
        .text("HostId", host_id);
    d.finish("Error")
}

fn write_queue_attributes(d: &mut Doc, a: &QueueAttributes) {
    d.text("QueueName", &a.name)
        .text("CreateTime", a.create_time)
        .text("LastModifyTime", a.last_modify_time)
        .text("DelaySeconds", a.delay_seconds)
        .text("MaximumMessageSize", a.maximum_message_size)
        .text("MessageRetentionPeriod", a.message_retention_period)
        .text("VisibilityTimeout", a.visibility_timeout)
        .text("PollingWaitSeconds", a.polling_wait_seconds)
        .text("ActiveMessages", a.active_messages)
        .text("InactiveMessages", a.inactive_messages)
        .text("DelayMessages", a.delay_messages)
        .text("LoggingEnabled", bool_text(a.logging_enabled));
}

/// GetQueueAttributes: `<Queue>` with all twelve elements.
pub(crate) fn queue_attributes_document(a: &QueueAttributes) -> String {
    let mut d = Doc::new("Queue");
    write_queue_attributes(&mut d, a);
    d.finish("Queue")
}

/// ListQueue: `<Queues>` of `<Queue><QueueURL>` (plus attributes with meta) and `NextMarker`
/// only when there is a next page (an empty `<NextMarker/>` breaks the Python SDK).
pub(crate) fn queue_list_document(
    queues: &[QueueAttributes],
    next_marker: Option<&str>,
    with_meta: bool,
    queue_url: impl Fn(&str) -> String,
) -> String {
    let mut d = Doc::new("Queues");
    for q in queues {
        d.open("Queue");
        d.text("QueueURL", queue_url(&q.name));
        if with_meta {
            write_queue_attributes(&mut d, q);
        }
        d.close("Queue");
    }
    if let Some(marker) = next_marker.filter(|m| !m.is_empty()) {
        d.text("NextMarker", marker);
    }
    d.finish("Queues")
}

/// SendMessage: `<Message>` with id, MD5, and the handle of a delayed message.
pub(crate) fn sent_message_document(m: &SentMessage) -> String {
    let mut d = Doc::new("Message");
    d.text("MessageId", &m.message_id)
        .text("MessageBodyMD5", &m.body_md5);
    if let Some(h) = &m.receipt_handle {
        d.text("ReceiptHandle", h);
    }
    if let Some(g) = &m.message_group_id {
        d.text("MessageGroupId", g);
    }
    d.finish("Message")
}

/// BatchSendMessage success: one `<Message>` per entry with exactly `MessageId` and
/// `MessageBodyMD5` (the Python SDK rejects extra elements here).
pub(crate) fn sent_messages_document(ms: &[SentMessage]) -> String {
    let mut d = Doc::new("Messages");
    for m in ms {
        d.open("Message")
            .text("MessageId", &m.message_id)
            .text("MessageBodyMD5", &m.body_md5)
            .close("Message");
    }
    d.finish("Messages")
}

fn write_properties(d: &mut Doc, user: &[UserProperty], system: &[SystemProperty]) {
    if !user.is_empty() {
        d.open("UserProperties");
        for p in user {
            d.open("PropertyValue")
                .text("Name", &p.name)
                .text("Value", &p.value)
                .text("Type", &p.value_type)
                .close("PropertyValue");
        }
        d.close("UserProperties");
    }
    if !system.is_empty() {
        d.open("SystemProperties");
        for p in system {
            d.open("SystemPropertyValue")
                .text("Name", &p.name)
                .text("Value", &p.value)
                .text("Type", &p.value_type)
                .close("SystemPropertyValue");
        }
        d.close("SystemProperties");
    }
}

fn write_received(d: &mut Doc, m: &ReceivedMessage) {
    d.text("MessageId", &m.message_id)
        .text("ReceiptHandle", &m.receipt_handle)
        .text("MessageBodyMD5", &m.body_md5)
        .text("MessageBody", &m.body)
        .text("EnqueueTime", m.enqueue_time)
        .text("NextVisibleTime", m.next_visible_time)
        .text("FirstDequeueTime", m.first_dequeue_time)
        .text("DequeueCount", m.dequeue_count)
        .text("Priority", m.priority);
    if let Some(g) = &m.message_group_id {
        d.text("MessageGroupId", g);
    }
    write_properties(d, &m.user_properties, &m.system_properties);
}

/// ReceiveMessage: one `<Message>` with the nine required elements.
pub(crate) fn received_message_document(m: &ReceivedMessage) -> String {
    let mut d = Doc::new("Message");
    write_received(&mut d, m);
    d.finish("Message")
}

/// BatchReceiveMessage: `<Messages>` of `<Message>`.
pub(crate) fn received_messages_document(ms: &[ReceivedMessage]) -> String {
    let mut d = Doc::new("Messages");
    for m in ms {
        d.open("Message");
        write_received(&mut d, m);
        d.close("Message");
    }
    d.finish("Messages")
}

fn write_peeked(d: &mut Doc, m: &PeekedMessage) {
    d.text("MessageId", &m.message_id)
        .text("MessageBodyMD5", &m.body_md5)
        .text("MessageBody", &m.body)
        .text("EnqueueTime", m.enqueue_time)
        .text("FirstDequeueTime", m.first_dequeue_time)
        .text("DequeueCount", m.dequeue_count)
        .text("Priority", m.priority);
    if let Some(g) = &m.message_group_id {
        d.text("MessageGroupId", g);
    }
    write_properties(d, &m.user_properties, &m.system_properties);
}

/// PeekMessage: one `<Message>` with the seven peek elements (no handle, no NextVisibleTime).
pub(crate) fn peeked_message_document(m: &PeekedMessage) -> String {
    let mut d = Doc::new("Message");
    write_peeked(&mut d, m);
    d.finish("Message")
}

/// BatchPeekMessage: `<Messages>` of `<Message>`.
pub(crate) fn peeked_messages_document(ms: &[PeekedMessage]) -> String {
    let mut d = Doc::new("Messages");
    for m in ms {
        d.open("Message");
        write_peeked(&mut d, m);
        d.close("Message");
    }
    d.finish("Messages")
}

/// ChangeMessageVisibility: `<ChangeVisibility>` with the new handle and `NextVisibleTime`.
pub(crate) fn change_visibility_document(v: &VisibilityChanged) -> String {
    let mut d = Doc::new("ChangeVisibility");
    d.text("ReceiptHandle", &v.receipt_handle)
        .text("NextVisibleTime", v.next_visible_time);
    d.finish("ChangeVisibility")
}

/// BatchDeleteMessage partial failure (§4.12): `<Errors>` listing only the failed handles, each
/// with exactly `ErrorCode`, `ErrorMessage`, `ReceiptHandle`.
pub(crate) fn batch_delete_errors_document(failures: &[BatchDeleteFailure]) -> String {
    let mut d = Doc::new("Errors");
    for f in failures {
        d.open("Error")
            .text("ErrorCode", f.error.code())
            .text("ErrorMessage", f.error.message())
            .text("ReceiptHandle", &f.receipt_handle)
            .close("Error");
    }
    d.finish("Errors")
}

/// GetAccountAttributes: `<Account>` with `LoggingBucket` (always present, the Python SDK requires
/// it) and `TraceEnabled` when set.
pub(crate) fn account_document(logging_bucket: &str, trace_enabled: Option<&str>) -> String {
    let mut d = Doc::new("Account");
    d.text("LoggingBucket", logging_bucket);
    if let Some(t) = trace_enabled {
        d.text("TraceEnabled", t);
    }
    d.finish("Account")
}

/// OpenService: `<OpenService><OrderId>`.
pub(crate) fn open_service_document(order_id: &str) -> String {
    let mut d = Doc::new("OpenService");
    d.text("OrderId", order_id);
    d.finish("OpenService")
}
