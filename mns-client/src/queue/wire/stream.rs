//! Streaming decoder for message documents.
//!
//! Receives are the hot path of every consumer, so `<Message>` and `<Messages>` documents are read
//! with a small tokenizer ([`super::scan`]) instead of quick-xml's serde layer (several times
//! faster) or its event reader (which re-checks UTF-8 on every text run). The result is the same
//! as `from_xml`: element names matched by local name (any namespace), unknown elements skipped,
//! text taken with XML 1.0 line-end normalisation and entity and character references resolved,
//! numbers parsed after trimming. The tests in the parent module check both decoders agree.

use super::scan::{Scanner, Token, push_cdata, push_text};
use super::*;

/// Which `MessageXml` field the text being read belongs to.
#[derive(Clone, Copy)]
enum MessageField {
    MessageId,
    ReceiptHandle,
    BodyMd5,
    Body,
    EnqueueTime,
    NextVisibleTime,
    FirstDequeueTime,
    DequeueCount,
    Priority,
    GroupId,
    ErrorCode,
    ErrorMessage,
    PropName,
    PropValue,
    PropType,
    SysName,
    SysValue,
    SysType,
    Ignored,
}

/// Which property list the reader is inside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PropertyList {
    None,
    User,
    System,
}

impl PropertyList {
    /// The list a child of `<Message>` named `name` opens.
    fn of(name: &str) -> Self {
        match name {
            "UserProperties" => Self::User,
            "SystemProperties" => Self::System,
            _ => Self::None,
        }
    }

    /// The element name of one entry of this list.
    fn entry(self) -> &'static str {
        match self {
            Self::User => "PropertyValue",
            Self::System => "SystemPropertyValue",
            Self::None => "",
        }
    }
}

impl MessageField {
    fn of_message_child(name: &str) -> Self {
        match name {
            "MessageId" => Self::MessageId,
            "ReceiptHandle" => Self::ReceiptHandle,
            "MessageBodyMD5" => Self::BodyMd5,
            "MessageBody" => Self::Body,
            "EnqueueTime" => Self::EnqueueTime,
            "NextVisibleTime" => Self::NextVisibleTime,
            "FirstDequeueTime" => Self::FirstDequeueTime,
            "DequeueCount" => Self::DequeueCount,
            "Priority" => Self::Priority,
            "MessageGroupId" => Self::GroupId,
            "ErrorCode" => Self::ErrorCode,
            "ErrorMessage" => Self::ErrorMessage,
            _ => Self::Ignored,
        }
    }

    fn of_property_child(list: PropertyList, name: &str) -> Self {
        match (list, name) {
            (PropertyList::User, "Name") => Self::PropName,
            (PropertyList::User, "Value") => Self::PropValue,
            (PropertyList::User, "Type") => Self::PropType,
            (PropertyList::System, "Name") => Self::SysName,
            (PropertyList::System, "Value") => Self::SysValue,
            (PropertyList::System, "Type") => Self::SysType,
            _ => Self::Ignored,
        }
    }
}

fn parse_num<T: std::str::FromStr>(text: &str, field: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("<{field}> is not a number: {text:?}"))
}

impl MessageXml {
    /// Stores the text of one child element.
    fn set(&mut self, field: MessageField, text: String) -> Result<(), String> {
        use MessageField as F;
        let prop = || -> Result<&mut PropertyXml, String> {
            Err("property text outside <PropertyValue>".to_owned())
        };
        match field {
            F::MessageId => self.message_id = Some(text),
            F::ReceiptHandle => self.receipt_handle = Some(text),
            F::BodyMd5 => self.message_body_md5 = Some(text),
            F::Body => self.message_body = Some(text),
            F::EnqueueTime => self.enqueue_time = Some(parse_num(&text, "EnqueueTime")?),
            F::NextVisibleTime => {
                self.next_visible_time = Some(parse_num(&text, "NextVisibleTime")?)
            }
            F::FirstDequeueTime => {
                self.first_dequeue_time = Some(parse_num(&text, "FirstDequeueTime")?)
            }
            F::DequeueCount => self.dequeue_count = Some(parse_num(&text, "DequeueCount")?),
            F::Priority => self.priority = Some(parse_num(&text, "Priority")?),
            F::GroupId => self.message_group_id = Some(text),
            F::ErrorCode => self.error_code = Some(text),
            F::ErrorMessage => self.error_message = Some(text),
            F::PropName | F::PropValue | F::PropType | F::SysName | F::SysValue | F::SysType => {
                let last = if matches!(field, F::PropName | F::PropValue | F::PropType) {
                    self.user_properties
                        .as_mut()
                        .and_then(|p| p.values.last_mut())
                } else {
                    self.system_properties
                        .as_mut()
                        .and_then(|p| p.values.last_mut())
                };
                let p = match last {
                    Some(p) => p,
                    None => prop()?,
                };
                match field {
                    F::PropName | F::SysName => p.name = text,
                    F::PropValue | F::SysValue => p.value = text,
                    _ => p.kind = text,
                }
            }
            F::Ignored => {}
        }
        Ok(())
    }

    /// Starts a `<UserProperties>` or `<SystemProperties>` list.
    fn open_list(&mut self, list: PropertyList) {
        match list {
            PropertyList::User => {
                self.user_properties
                    .get_or_insert_with(PropertiesXml::default);
            }
            PropertyList::System => {
                self.system_properties
                    .get_or_insert_with(SystemPropertiesXml::default);
            }
            PropertyList::None => {}
        }
    }

    /// Starts one entry of a property list.
    fn push_entry(&mut self, list: PropertyList) {
        let values = match list {
            PropertyList::User => self.user_properties.as_mut().map(|p| &mut p.values),
            PropertyList::System => self.system_properties.as_mut().map(|p| &mut p.values),
            PropertyList::None => None,
        };
        if let Some(v) = values {
            v.push(PropertyXml::default());
        }
    }

    /// Decodes a `<Message>` document (SendMessage, ReceiveMessage, PeekMessage responses).
    pub(crate) fn decode(body: &str) -> Result<Self, String> {
        let mut all = decode_messages(body, false)?;
        Ok(all.pop().unwrap_or_default())
    }
}

impl MessagesXml {
    /// Decodes a `<Messages>` document (the batch responses).
    pub(crate) fn decode(body: &str) -> Result<Self, String> {
        Ok(MessagesXml {
            messages: decode_messages(body, true)?,
        })
    }
}

/// Reads message elements: the root itself (`list == false`) or each child of the root.
fn decode_messages(body: &str, list: bool) -> Result<Vec<MessageXml>, String> {
    let mut reader = Scanner::new(body);
    let mut messages = Vec::with_capacity(if list { 16 } else { 1 });
    // Element depth below the document (the root is depth 1).
    let mut depth = 0usize;
    let message_depth = if list { 2 } else { 1 };
    // Text of the element being read, when it is a field at the right depth.
    let mut field: Option<(MessageField, usize)> = None;
    let mut text = String::new();
    let mut in_properties = PropertyList::None;
    // Whether the element at property-entry depth is an entry of `in_properties`.
    let mut in_entry = false;
    let mut root_seen = false;

    while let Some(token) = reader.next_token()? {
        match token {
            Token::Start(name) => {
                depth += 1;
                if depth == 1 {
                    if root_seen {
                        return Err("more than one root element".to_owned());
                    }
                    root_seen = true;
                }
                if depth == message_depth && (depth == 1 || name == "Message") {
                    messages.push(MessageXml::default());
                } else if let Some(m) = messages.last_mut().filter(|_| depth > message_depth) {
                    let rel = depth - message_depth;
                    let list = if rel == 1 {
                        PropertyList::of(name)
                    } else {
                        PropertyList::None
                    };
                    if list != PropertyList::None {
                        in_properties = list;
                        m.open_list(list);
                    } else if rel == 2 && in_properties != PropertyList::None {
                        in_entry = name == in_properties.entry();
                        if in_entry {
                            m.push_entry(in_properties);
                        }
                    } else if rel == 1 {
                        field = Some((MessageField::of_message_child(name), depth));
                        text.clear();
                    } else if rel == 3 && in_entry {
                        field = Some((MessageField::of_property_child(in_properties, name), depth));
                        text.clear();
                    }
                }
            }
            Token::Empty(name) => {
                if depth == 0 {
                    if root_seen {
                        return Err("more than one root element".to_owned());
                    }
                    root_seen = true;
                }
                if depth + 1 == message_depth && (depth == 0 || name == "Message") {
                    messages.push(MessageXml::default());
                } else if let Some(m) = messages.last_mut().filter(|_| depth >= message_depth) {
                    // An empty field element: empty text (an empty body, say).
                    let rel = depth + 1 - message_depth;
                    let f = match rel {
                        1 if PropertyList::of(name) != PropertyList::None => {
                            m.open_list(PropertyList::of(name));
                            MessageField::Ignored
                        }
                        1 => MessageField::of_message_child(name),
                        2 if in_properties != PropertyList::None
                            && name == in_properties.entry() =>
                        {
                            m.push_entry(in_properties);
                            MessageField::Ignored
                        }
                        3 if in_entry => MessageField::of_property_child(in_properties, name),
                        _ => MessageField::Ignored,
                    };
                    m.set(f, String::new())?;
                }
            }
            Token::End => {
                if let Some((f, d)) = field
                    && d == depth
                {
                    if let Some(m) = messages.last_mut() {
                        m.set(f, std::mem::take(&mut text))?;
                    }
                    field = None;
                }
                if depth == message_depth + 1 {
                    in_properties = PropertyList::None;
                    in_entry = false;
                }
                depth = depth.saturating_sub(1);
            }
            Token::Text(t) => {
                if field.is_some_and(|(_, d)| d == depth) {
                    push_text(&mut text, t)?;
                } else if depth == 0 && !t.trim_ascii().is_empty() {
                    return Err("text outside the root element".to_owned());
                } else if t.contains('&') {
                    // Skipped text is still checked, as quick-xml did: a broken reference
                    // anywhere makes the document malformed.
                    push_text(&mut String::new(), t)?;
                }
            }
            Token::CData(c) => {
                if field.is_some_and(|(_, d)| d == depth) {
                    push_cdata(&mut text, c);
                }
            }
        }
    }
    if !root_seen {
        return Err("no root element".to_owned());
    }
    Ok(messages)
}
