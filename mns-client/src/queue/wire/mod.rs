//! Wire shapes of queue requests and responses (reference §4), and their conversion to and from
//! the public model types.

use serde::Deserialize;

use super::model::{
    BatchEntryError, BodyCodec, PeekedMessage, Priority, PropertyType, QueueAttributes,
    QueueOptions, ReceiptHandle, ReceivedMessage, SendOptions, SendReceipt, SystemProperties,
    SystemProperty, UserProperty, VisibilityChange, from_millis, from_secs,
};
use crate::error::{Error, ErrorCode};
use crate::signing::md5_hex_upper;
use crate::xml::{XmlWriter, parse_bool};

// ---------------------------------------------------------------------------------------------
// Requests

/// `<Queue>` body for CreateQueue / SetQueueAttributes, in the documented element order.
pub(crate) fn queue_body(a: &QueueOptions) -> String {
    let mut w = XmlWriter::new("Queue", 192);
    w.opt_num("DelaySeconds", a.delay_seconds)
        .opt_num("MaximumMessageSize", a.maximum_message_size)
        .opt_num("MessageRetentionPeriod", a.message_retention_period)
        .opt_num("VisibilityTimeout", a.visibility_timeout)
        .opt_num("PollingWaitSeconds", a.polling_wait_seconds);
    if let Some(b) = a.logging_enabled {
        w.elem("LoggingEnabled", if b { "True" } else { "False" });
    }
    w.finish()
}

/// Writes `<UserProperties>` and `<SystemProperties>`, each only when non-empty (shared with
/// PublishMessage).
pub(crate) fn properties(w: &mut XmlWriter, user: &[UserProperty], system: &SystemProperties) {
    if !user.is_empty() {
        w.open("UserProperties");
        for p in user {
            w.open("PropertyValue")
                .elem("Name", &p.name)
                .elem("Value", &p.value)
                .elem("Type", p.kind.as_str())
                .close("PropertyValue");
        }
        w.close("UserProperties");
    }
    if !system.is_empty() {
        w.open("SystemProperties");
        for p in system {
            w.open("SystemPropertyValue")
                .elem("Name", &p.name)
                .elem("Value", &p.value)
                .elem("Type", p.kind.as_str())
                .close("SystemPropertyValue");
        }
        w.close("SystemProperties");
    }
}

/// Writes the children of one `<Message>` (SendMessage / BatchSendMessage entry).
fn message_children(w: &mut XmlWriter, body: &str, opts: &SendOptions) {
    w.elem("MessageBody", body)
        .opt_num("DelaySeconds", opts.delay_seconds)
        .opt_num("Priority", opts.priority.map(Priority::get));
    properties(w, &opts.user_properties, &opts.system_properties);
    if let Some(g) = &opts.message_group_id {
        w.elem("MessageGroupId", g);
    }
}

/// `<Message>` body for SendMessage; `body` is the transmitted (encoded) text.
pub(crate) fn send_body(body: &str, opts: &SendOptions) -> String {
    let mut w = XmlWriter::new("Message", body.len() + 64);
    message_children(&mut w, body, opts);
    w.finish()
}

/// `<Messages>` body for BatchSendMessage.
pub(crate) fn batch_send_body(entries: &[(String, &SendOptions)]) -> String {
    let cap = entries.iter().map(|(b, _)| b.len() + 80).sum();
    let mut w = XmlWriter::new("Messages", cap);
    for (body, opts) in entries {
        w.open("Message");
        message_children(&mut w, body, opts);
        w.close("Message");
    }
    w.finish()
}

/// `<ReceiptHandles>` body for BatchDeleteMessage.
pub(crate) fn batch_delete_body(handles: &[ReceiptHandle]) -> String {
    let mut w = XmlWriter::new("ReceiptHandles", handles.len() * 64);
    for h in handles {
        w.elem("ReceiptHandle", h.as_str());
    }
    w.finish()
}

// ---------------------------------------------------------------------------------------------
// Responses

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct QueueXml {
    #[serde(rename = "QueueURL")]
    queue_url: Option<String>,
    queue_name: Option<String>,
    create_time: Option<u64>,
    last_modify_time: Option<u64>,
    delay_seconds: Option<u32>,
    maximum_message_size: Option<u32>,
    message_retention_period: Option<u32>,
    visibility_timeout: Option<u32>,
    polling_wait_seconds: Option<u32>,
    active_messages: Option<u64>,
    inactive_messages: Option<u64>,
    delay_messages: Option<u64>,
    logging_enabled: Option<String>,
}

impl QueueXml {
    pub(crate) fn url(&self) -> Option<&str> {
        self.queue_url.as_deref()
    }

    /// Whether attribute elements are present (a `with_meta` listing).
    pub(crate) fn has_meta(&self) -> bool {
        self.create_time.is_some() || self.visibility_timeout.is_some()
    }

    pub(crate) fn into_info(self, fallback_name: &str) -> QueueAttributes {
        QueueAttributes {
            name: self
                .queue_name
                .map(|n| n.trim().to_owned())
                .unwrap_or_else(|| fallback_name.to_owned()),
            create_time: from_secs(self.create_time.unwrap_or(0)),
            last_modify_time: from_secs(self.last_modify_time.unwrap_or(0)),
            delay_seconds: self.delay_seconds.unwrap_or(0),
            maximum_message_size: self.maximum_message_size.unwrap_or(0),
            message_retention_period: self.message_retention_period.unwrap_or(0),
            visibility_timeout: self.visibility_timeout.unwrap_or(0),
            polling_wait_seconds: self.polling_wait_seconds.unwrap_or(0),
            active_messages: self.active_messages.unwrap_or(0),
            inactive_messages: self.inactive_messages.unwrap_or(0),
            delay_messages: self.delay_messages.unwrap_or(0),
            logging_enabled: self
                .logging_enabled
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct QueuesXml {
    #[serde(rename = "Queue")]
    pub(crate) queues: Vec<QueueXml>,
    pub(crate) next_marker: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct PropertyXml {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: String,
    #[serde(rename = "Type")]
    kind: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct PropertiesXml {
    #[serde(rename = "PropertyValue")]
    values: Vec<PropertyXml>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct SystemPropertiesXml {
    #[serde(rename = "SystemPropertyValue")]
    values: Vec<PropertyXml>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct MessageXml {
    message_id: Option<String>,
    receipt_handle: Option<String>,
    #[serde(rename = "MessageBodyMD5")]
    message_body_md5: Option<String>,
    message_body: Option<String>,
    enqueue_time: Option<u64>,
    next_visible_time: Option<u64>,
    first_dequeue_time: Option<u64>,
    dequeue_count: Option<u32>,
    priority: Option<u8>,
    user_properties: Option<PropertiesXml>,
    system_properties: Option<SystemPropertiesXml>,
    message_group_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct MessagesXml {
    #[serde(rename = "Message")]
    pub(crate) messages: Vec<MessageXml>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct DeleteErrorXml {
    pub(crate) error_code: String,
    pub(crate) error_message: String,
    pub(crate) receipt_handle: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct DeleteErrorsXml {
    #[serde(rename = "Error")]
    pub(crate) errors: Vec<DeleteErrorXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ChangeVisibilityXml {
    receipt_handle: String,
    next_visible_time: u64,
}

impl ChangeVisibilityXml {
    pub(crate) fn into_model(self) -> Result<VisibilityChange, String> {
        Ok(VisibilityChange {
            receipt_handle: ReceiptHandle::new(self.receipt_handle.trim())
                .map_err(|e| e.to_string())?,
            next_visible_time: from_millis(self.next_visible_time),
        })
    }
}

/// Checks `MessageBodyMD5` (if the service sent one) against the transmitted text.
pub(crate) fn check_md5(message_id: &str, reported: &str, text: &str) -> Result<(), Error> {
    let reported = reported.trim();
    if reported.is_empty() {
        return Ok(());
    }
    let actual = md5_hex_upper(text.as_bytes());
    if actual.eq_ignore_ascii_case(reported) {
        Ok(())
    } else {
        Err(Error::Md5Mismatch {
            message_id: message_id.to_owned(),
            expected: reported.to_ascii_uppercase(),
            actual,
        })
    }
}

fn system_properties(p: Option<SystemPropertiesXml>) -> SystemProperties {
    p.map(|p| {
        p.values
            .into_iter()
            .map(|v| SystemProperty {
                name: v.name,
                value: v.value,
                kind: PropertyType::parse(&v.kind),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn user_properties(p: Option<PropertiesXml>) -> Vec<UserProperty> {
    p.map(|p| {
        p.values
            .into_iter()
            .map(|v| UserProperty {
                name: v.name,
                value: v.value,
                kind: PropertyType::parse(&v.kind),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Why a message element could not be converted: a decode problem or an MD5 mismatch.
pub(crate) enum MessageError {
    Decode(String),
    Fatal(Error),
}

fn required<T>(v: Option<T>, what: &str) -> Result<T, MessageError> {
    v.ok_or_else(|| MessageError::Decode(format!("<Message> has no <{what}>")))
}

/// The common part of a received or peeked message: id, decoded body, MD5, priority.
struct Common {
    message_id: String,
    body: Vec<u8>,
    body_md5: String,
    priority: Priority,
}

fn common(m: &mut MessageXml, codec: BodyCodec) -> Result<Common, MessageError> {
    let message_id = required(m.message_id.take(), "MessageId")?
        .trim()
        .to_owned();
    let text = m.message_body.take().unwrap_or_default();
    let body_md5 = m
        .message_body_md5
        .take()
        .unwrap_or_default()
        .trim()
        .to_owned();
    check_md5(&message_id, &body_md5, &text).map_err(MessageError::Fatal)?;
    let body = codec
        .decode(text)
        .map_err(|e| MessageError::Decode(format!("message {message_id}: {e}")))?;
    let priority = match m.priority {
        Some(p) => Priority::new(p).map_err(|e| MessageError::Decode(e.to_string()))?,
        None => Priority::DEFAULT,
    };
    Ok(Common {
        message_id,
        body,
        body_md5,
        priority,
    })
}

impl MessageXml {
    pub(crate) fn into_received(
        mut self,
        codec: BodyCodec,
    ) -> Result<ReceivedMessage, MessageError> {
        let c = common(&mut self, codec)?;
        let handle = required(self.receipt_handle, "ReceiptHandle")?;
        let enqueue = required(self.enqueue_time, "EnqueueTime")?;
        Ok(ReceivedMessage {
            message_id: c.message_id,
            receipt_handle: ReceiptHandle::new(handle.trim())
                .map_err(|e| MessageError::Decode(e.to_string()))?,
            body: c.body,
            body_md5: c.body_md5,
            enqueue_time: from_millis(enqueue),
            first_dequeue_time: from_millis(self.first_dequeue_time.unwrap_or(enqueue)),
            next_visible_time: from_millis(required(self.next_visible_time, "NextVisibleTime")?),
            dequeue_count: self.dequeue_count.unwrap_or(1),
            priority: c.priority,
            user_properties: user_properties(self.user_properties),
            message_group_id: self.message_group_id,
            system_properties: system_properties(self.system_properties),
        })
    }

    pub(crate) fn into_peeked(mut self, codec: BodyCodec) -> Result<PeekedMessage, MessageError> {
        let c = common(&mut self, codec)?;
        let enqueue = required(self.enqueue_time, "EnqueueTime")?;
        Ok(PeekedMessage {
            message_id: c.message_id,
            body: c.body,
            body_md5: c.body_md5,
            enqueue_time: from_millis(enqueue),
            first_dequeue_time: from_millis(self.first_dequeue_time.unwrap_or(enqueue)),
            dequeue_count: self.dequeue_count.unwrap_or(0),
            priority: c.priority,
            user_properties: user_properties(self.user_properties),
            message_group_id: self.message_group_id,
            system_properties: system_properties(self.system_properties),
        })
    }

    /// A send result: `sent_text` is what was transmitted for this entry, for the MD5 check.
    pub(crate) fn into_send_result(
        self,
        index: usize,
        sent_text: &str,
    ) -> Result<Result<SendReceipt, BatchEntryError>, MessageError> {
        if let Some(code) = self.error_code {
            return Ok(Err(BatchEntryError {
                index,
                code: ErrorCode::parse(code.trim()),
                message: self.error_message.unwrap_or_default(),
                receipt_handle: None,
            }));
        }
        let message_id = required(self.message_id, "MessageId")?.trim().to_owned();
        let body_md5 = self.message_body_md5.unwrap_or_default().trim().to_owned();
        check_md5(&message_id, &body_md5, sent_text).map_err(MessageError::Fatal)?;
        let receipt_handle = match self.receipt_handle.as_deref().map(str::trim) {
            Some(h) if !h.is_empty() => {
                Some(ReceiptHandle::new(h).map_err(|e| MessageError::Decode(e.to_string()))?)
            }
            _ => None,
        };
        Ok(Ok(SendReceipt {
            message_id,
            body_md5,
            receipt_handle,
            message_group_id: self.message_group_id,
        }))
    }
}

mod scan;
mod stream;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::from_xml;

    /// The streaming decoder and the serde decoder read every shape alike.
    #[test]
    fn streaming_decoder_agrees_with_serde() {
        let one = [
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="http://mns.aliyuncs.com/doc/v1/">
  <MessageId>5F290C926D472878-2-14D9529A8FA-200000001</MessageId>
  <ReceiptHandle>1-ODU4OTkzNDU5My0xNDMyNzI3ODI3LTItOA==</ReceiptHandle>
  <MessageBodyMD5>C5DD56A39F5F7BB8B3337C6D11B6D8C7</MessageBodyMD5>
  <MessageBody> a &lt;b&gt; &amp; &quot;c&quot; &#x4E2D;&#25991; 
 line2 </MessageBody>
  <EnqueueTime> 1250700979248 </EnqueueTime>
  <NextVisibleTime>1250700799348</NextVisibleTime>
  <FirstDequeueTime>1250700779318</FirstDequeueTime>
  <DequeueCount>1</DequeueCount>
  <Priority>8</Priority>
</Message>"#,
            "<Message><MessageId>m</MessageId><MessageBody><![CDATA[<raw> & ]]>tail</MessageBody>\
             <Unknown><Nested><MessageId>no</MessageId></Nested></Unknown><EnqueueTime>1</EnqueueTime></Message>",
            "<m:Message xmlns:m=\"http://mns.aliyuncs.com/doc/v1\"><m:MessageId>x</m:MessageId>\
             <m:MessageBody/><m:UserProperties><m:PropertyValue><m:Name>k</m:Name><m:Value>v &amp; w</m:Value>\
             <m:Type>STRING</m:Type></m:PropertyValue><m:PropertyValue><m:Name>n</m:Name><m:Value/>\
             <m:Type>NUMBER</m:Type></m:PropertyValue></m:UserProperties><m:MessageGroupId>g</m:MessageGroupId></m:Message>",
            "<Message><ErrorCode>MessageNotExist</ErrorCode><ErrorMessage>none</ErrorMessage></Message>",
            "<Message><MessageId>s</MessageId><SystemProperties><SystemPropertyValue><Name>traceparent</Name>\
             <Value>00-a</Value><Type>STRING</Type></SystemPropertyValue>\
             <SystemPropertyValue><Name>DLQSourceArn</Name><Value/><Type>STRING</Type>\
             </SystemPropertyValue><PropertyValue><Name>no</Name></PropertyValue></SystemProperties>\
             <UserProperties><SystemPropertyValue><Name>x</Name></SystemPropertyValue>\
             <PropertyValue><Name>u</Name><Value>1</Value></PropertyValue></UserProperties></Message>",
            "<Message><MessageId>e</MessageId><SystemProperties/></Message>",
        ];
        for xml in one {
            let serde: MessageXml = from_xml(xml).unwrap();
            let fast = MessageXml::decode(xml).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{xml}");
        }
        let many = [
            "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n  <Message>\n    <MessageId>a</MessageId>\n\
             <MessageBody>one</MessageBody></Message>\n  <Message><MessageId>b</MessageId>\
             <ErrorCode>QueueNotExist</ErrorCode></Message>\n</Messages>",
            "<Messages></Messages>",
            "<Messages/>",
        ];
        for xml in many {
            let serde: MessagesXml = from_xml(xml).unwrap();
            let fast = MessagesXml::decode(xml).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{xml}");
        }
    }

    #[test]
    fn streaming_decoder_rejects_broken_documents() {
        for xml in [
            "",
            "<Message><MessageId>m</Message>",
            "<Message><EnqueueTime>soon</EnqueueTime></Message>",
            "<Message><MessageBody>&bogus;</MessageBody></Message>",
        ] {
            assert!(MessageXml::decode(xml).is_err(), "{xml:?}");
        }
    }

    #[test]
    fn queue_body_matches_documented_order() {
        let a = QueueOptions {
            delay_seconds: Some(0),
            visibility_timeout: Some(30),
            logging_enabled: Some(false),
            ..QueueOptions::default()
        };
        assert_eq!(
            queue_body(&a),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
             <DelaySeconds>0</DelaySeconds><VisibilityTimeout>30</VisibilityTimeout>\
             <LoggingEnabled>False</LoggingEnabled></Queue>"
        );
    }

    #[test]
    fn received_message_decodes_with_any_namespace() {
        for ns in [
            " xmlns=\"http://mns.aliyuncs.com/doc/v1/\"",
            " xmlns=\"http://mns.aliyuncs.com/doc/v1\"",
            "",
        ] {
            let xml = format!(
                "<Message{ns}>\n  <MessageId>0909FF0D9C3A630C372B8A14BD2011B6</MessageId>\n  \
                 <ReceiptHandle>8-0zxjHBaWtzPz8zphz0z6OGz5yWWidU1fJM</ReceiptHandle>\n  \
                 <MessageBodyMD5>9D75198CAA17528AB23790C1861987AF</MessageBodyMD5>\n  \
                 <MessageBody>I am 测试字符串.</MessageBody>\n  <EnqueueTime>1716809414944</EnqueueTime>\n  \
                 <NextVisibleTime>1716809470986</NextVisibleTime>\n  <FirstDequeueTime>1716809420986</FirstDequeueTime>\n  \
                 <DequeueCount>1</DequeueCount>\n  <Priority>10</Priority>\n</Message>"
            );
            let m: MessageXml = from_xml(&xml).unwrap();
            let Ok(m) = m.into_received(BodyCodec::Raw) else {
                panic!("decode failed for {ns:?}")
            };
            assert_eq!(m.body_str(), Some("I am 测试字符串."));
            assert_eq!(m.priority.get(), 10);
            assert_eq!(m.dequeue_count, 1);
            assert_eq!(m.enqueue_time, from_millis(1_716_809_414_944));
        }
    }

    #[test]
    fn user_properties_and_group_id_decode() {
        let xml = "<Message><MessageId>m</MessageId><ReceiptHandle>h</ReceiptHandle>\
                   <MessageBody>b</MessageBody><EnqueueTime>1</EnqueueTime><NextVisibleTime>2</NextVisibleTime>\
                   <UserProperties><PropertyValue><Name>city</Name><Value>hz</Value><Type>STRING</Type></PropertyValue>\
                   <PropertyValue><Name>n</Name><Value>3</Value><Type>NUMBER</Type></PropertyValue></UserProperties>\
                   <MessageGroupId>g1</MessageGroupId></Message>";
        let m: MessageXml = from_xml(xml).unwrap();
        let Ok(m) = m.into_received(BodyCodec::Raw) else {
            panic!()
        };
        assert_eq!(
            m.user_properties,
            vec![
                UserProperty::string("city", "hz"),
                UserProperty {
                    name: "n".into(),
                    value: "3".into(),
                    kind: PropertyType::Number
                }
            ]
        );
        assert_eq!(m.message_group_id.as_deref(), Some("g1"));
        assert_eq!(m.priority, Priority::DEFAULT);
    }

    #[test]
    fn system_properties_decode_and_encode() {
        let xml = "<Message><MessageId>m</MessageId><ReceiptHandle>h</ReceiptHandle><MessageBody>b</MessageBody>\
                   <EnqueueTime>1</EnqueueTime><NextVisibleTime>2</NextVisibleTime>\
                   <SystemProperties><SystemPropertyValue><Name>DLQMessageType</Name><Value>QUEUE</Value>\
                   <Type>STRING</Type></SystemPropertyValue><SystemPropertyValue><Name>DLQOriginMessageId</Name>\
                   <Value>orig</Value><Type>STRING</Type></SystemPropertyValue></SystemProperties></Message>";
        let m = MessageXml::decode(xml)
            .unwrap()
            .into_received(BodyCodec::Raw)
            .ok()
            .unwrap();
        assert_eq!(m.system_properties.dlq_message_type(), Some("QUEUE"));
        assert_eq!(m.system_properties.dlq_origin_message_id(), Some("orig"));
        assert_eq!(m.system_properties.traceparent(), None);
        let opts = SendOptions {
            user_properties: vec![UserProperty::boolean("ok", true)],
            system_properties: SystemProperties::new().with(SystemProperty::baggage("k=v")),
            message_group_id: Some("g".into()),
            ..SendOptions::default()
        };
        assert_eq!(
            send_body("b", &opts),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
             <MessageBody>b</MessageBody><UserProperties><PropertyValue><Name>ok</Name><Value>true</Value>\
             <Type>BOOLEAN</Type></PropertyValue></UserProperties><SystemProperties><SystemPropertyValue>\
             <Name>baggage</Name><Value>k=v</Value><Type>STRING</Type></SystemPropertyValue></SystemProperties>\
             <MessageGroupId>g</MessageGroupId></Message>"
        );
    }

    #[test]
    fn whitespace_in_body_is_kept() {
        let xml = "<Message><MessageId>m</MessageId><ReceiptHandle>h</ReceiptHandle>\
                   <MessageBody>  two  spaces </MessageBody><EnqueueTime>1</EnqueueTime>\
                   <NextVisibleTime>2</NextVisibleTime></Message>";
        let m: MessageXml = from_xml(xml).unwrap();
        let Ok(m) = m.into_received(BodyCodec::Raw) else {
            panic!()
        };
        assert_eq!(m.body_str(), Some("  two  spaces "));
    }
}
