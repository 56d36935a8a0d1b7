//! SendMessage and BatchSendMessage bodies, parsed in one pass straight into the engine's
//! [`SendMessageInput`]s, without the element tree of [`super::parse_document`] (a `String` per
//! element name and text, a `Vec` per element's children): these are the most frequent request
//! bodies.
//!
//! The answer is the tree parser's for every input ([`super::parse_send_request_tree`], which
//! the fuzz target and the tests compare it with): the same reader and the same well-formedness
//! rules event by event, so a malformed document is `MalformedXML` wherever the problem is, and
//! the schema rules checked in the same order (per message: `MessageBody` once, then
//! `UserProperties`, `SystemProperties`, `DelaySeconds`, `Priority`), reported only once the
//! whole document has proved well-formed.

use quick_xml::escape::unescape;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{MAX_DEPTH, SendRequest, all_xml_chars};
use crate::engine::{SendMessageInput, SystemProperty, UserProperty};
use crate::error::MnsError;

/// What an open element is, by its place in the document. Fields whose text is kept say whether
/// they are the first of their name under their parent (the one the tree parser reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `<Messages>`, the root of a batch.
    Batch,
    /// A message: the root `<Message>`, or a `<Message>` child of `<Messages>`.
    Message,
    /// A field of the message with its text kept (when `first`).
    Field { field: Field, first: bool },
    /// `<UserProperties>` or `<SystemProperties>` of the current message.
    Properties(PropertyKind),
    /// `<PropertyValue>` or `<SystemPropertyValue>` in one of those.
    Property(PropertyKind),
    /// `<Name>`, `<Value>` or `<Type>` of the current property (text kept when `first`).
    PropertyField { field: PropertyField, first: bool },
    /// Anything else: checked for well-formedness, otherwise ignored.
    Ignored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Body,
    DelaySeconds,
    Priority,
    MessageGroupId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropertyKind {
    User,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropertyField {
    Name,
    Value,
    Type,
}

/// One message being read: the first text of each field and how often each appeared.
#[derive(Debug, Default)]
pub(super) struct MessageAcc {
    pub(super) body: Option<String>,
    pub(super) bodies: u32,
    pub(super) delay: Option<String>,
    pub(super) delays: u32,
    pub(super) priority: Option<String>,
    pub(super) priorities: u32,
    pub(super) group: Option<String>,
    user_lists: u32,
    system_lists: u32,
    user: Vec<UserProperty>,
    system: Vec<SystemProperty>,
}

/// One property being read.
#[derive(Debug, Default)]
struct PropertyAcc {
    name: Option<String>,
    value: Option<String>,
    value_type: Option<String>,
}

/// The parse state besides the reader.
#[derive(Debug, Default)]
struct Parser {
    stack: Vec<Role>,
    /// The root element has been closed.
    root_done: bool,
    /// `Some(true)` for `<Messages>`, `Some(false)` for `<Message>`, `None` for another root
    /// (whose name is in `error`) or before the root.
    batch: Option<bool>,
    message: MessageAcc,
    property: PropertyAcc,
    messages: Vec<SendMessageInput>,
    /// The first schema error, reported if the document is well-formed.
    error: Option<MnsError>,
}

/// Parses a SendMessage or BatchSendMessage body; the root element decides which.
pub(crate) fn parse_send_request(body: &[u8]) -> Result<SendRequest, MnsError> {
    let text = std::str::from_utf8(body).map_err(|_| MnsError::malformed_xml())?;
    // A UTF-8 byte-order mark is legal before the declaration.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // What the SDKs send is read without the XML reader.
    if let Some(answer) = super::send_plain::parse(text) {
        return answer;
    }
    let mut reader = Reader::from_str(text);
    let mut p = Parser {
        stack: Vec::with_capacity(4),
        ..Parser::default()
    };
    loop {
        let event = reader.read_event().map_err(|_| MnsError::malformed_xml())?;
        match event {
            Event::Start(start) => {
                if p.root_done || p.stack.len() >= MAX_DEPTH {
                    // A second root element, or nesting deeper than any MNS document.
                    return Err(MnsError::malformed_xml());
                }
                p.open(start.local_name().as_ref());
            }
            Event::Empty(start) => {
                if p.root_done {
                    return Err(MnsError::malformed_xml());
                }
                p.open(start.local_name().as_ref());
                p.close();
            }
            Event::End(_) => {
                // quick-xml checks that end names match start names.
                if p.stack.is_empty() {
                    return Err(MnsError::malformed_xml());
                }
                p.close();
            }
            Event::Text(t) => p.text(t.xml10_content())?,
            Event::CData(c) => {
                let raw: &str = c.as_ref();
                p.text(raw.into())?;
            }
            Event::GeneralRef(r) => {
                // `&amp;`, `&#60;` … arrive as separate events; resolve the five predefined
                // entities and character references, reject anything else.
                let resolved = unescape(&format!("&{};", r.xml10_content()))
                    .map_err(|_| MnsError::malformed_xml())?
                    .into_owned();
                p.text(resolved.into())?;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !p.stack.is_empty() || !p.root_done {
        return Err(MnsError::malformed_xml());
    }
    if let Some(e) = p.error {
        return Err(e);
    }
    match p.batch {
        Some(true) => Ok(SendRequest::Batch(p.messages)),
        Some(false) => p
            .messages
            .pop()
            .map(SendRequest::Single)
            .ok_or_else(MnsError::internal_error),
        None => Err(MnsError::internal_error()),
    }
}

impl Parser {
    /// An element named `name` opens (the caller has checked depth and the single root).
    fn open(&mut self, name: &str) {
        let role = match self.stack.last() {
            None => match name {
                "Message" => {
                    self.batch = Some(false);
                    self.message = MessageAcc::default();
                    Role::Message
                }
                "Messages" => {
                    self.batch = Some(true);
                    Role::Batch
                }
                other => {
                    self.error = Some(MnsError::schema_violation(other));
                    Role::Ignored
                }
            },
            Some(Role::Batch) if name == "Message" => {
                self.message = MessageAcc::default();
                Role::Message
            }
            Some(Role::Message) => {
                let m = &mut self.message;
                let field = |field, count: &mut u32| {
                    *count += 1;
                    Role::Field {
                        field,
                        first: *count == 1,
                    }
                };
                match name {
                    "MessageBody" => field(Field::Body, &mut m.bodies),
                    "DelaySeconds" => field(Field::DelaySeconds, &mut m.delays),
                    "Priority" => field(Field::Priority, &mut m.priorities),
                    "MessageGroupId" => Role::Field {
                        field: Field::MessageGroupId,
                        first: m.group.is_none(),
                    },
                    "UserProperties" => {
                        m.user_lists += 1;
                        Role::Properties(PropertyKind::User)
                    }
                    "SystemProperties" => {
                        m.system_lists += 1;
                        Role::Properties(PropertyKind::System)
                    }
                    _ => Role::Ignored,
                }
            }
            Some(Role::Properties(kind)) => match (kind, name) {
                (PropertyKind::User, "PropertyValue")
                | (PropertyKind::System, "SystemPropertyValue") => {
                    self.property = PropertyAcc::default();
                    Role::Property(*kind)
                }
                _ => Role::Ignored,
            },
            Some(Role::Property(_)) => {
                let p = &self.property;
                let (field, seen) = match name {
                    "Name" => (PropertyField::Name, p.name.is_some()),
                    "Value" => (PropertyField::Value, p.value.is_some()),
                    "Type" => (PropertyField::Type, p.value_type.is_some()),
                    _ => {
                        self.stack.push(Role::Ignored);
                        return;
                    }
                };
                Role::PropertyField {
                    field,
                    first: !seen,
                }
            }
            Some(_) => Role::Ignored,
        };
        // A kept field exists (empty) from its start tag on, so that `<Name/>` counts as seen.
        self.slot(role).map(|s| s.get_or_insert_with(String::new));
        self.stack.push(role);
    }

    /// The innermost open element closes.
    fn close(&mut self) {
        let Some(role) = self.stack.pop() else { return };
        if self.stack.is_empty() {
            self.root_done = true;
        }
        match role {
            Role::Message => self.finish_message(),
            Role::Property(kind) => {
                if self.error.is_some() {
                    return;
                }
                let p = std::mem::take(&mut self.property);
                let (name, value, value_type) = (
                    p.name.unwrap_or_default(),
                    p.value.unwrap_or_default(),
                    p.value_type.unwrap_or_default(),
                );
                match kind {
                    PropertyKind::User => self.message.user.push(UserProperty {
                        name,
                        value,
                        value_type,
                    }),
                    PropertyKind::System => self.message.system.push(SystemProperty {
                        name,
                        value,
                        value_type,
                    }),
                }
            }
            _ => {}
        }
    }

    /// Where the text of an element with this role goes (`None`: nowhere).
    fn slot(&mut self, role: Role) -> Option<&mut Option<String>> {
        match role {
            Role::Field { field, first: true } => Some(match field {
                Field::Body => &mut self.message.body,
                Field::DelaySeconds => &mut self.message.delay,
                Field::Priority => &mut self.message.priority,
                Field::MessageGroupId => &mut self.message.group,
            }),
            Role::PropertyField { field, first: true } => Some(match field {
                PropertyField::Name => &mut self.property.name,
                PropertyField::Value => &mut self.property.value,
                PropertyField::Type => &mut self.property.value_type,
            }),
            _ => None,
        }
    }

    /// Text (raw, CDATA or a resolved reference) inside the innermost open element.
    fn text(&mut self, text: std::borrow::Cow<'_, str>) -> Result<(), MnsError> {
        // A forbidden character in a message body would make every later answer serving it
        // ill-formed (a poison message).
        if !all_xml_chars(&text) {
            return Err(MnsError::malformed_xml());
        }
        match self.stack.last() {
            Some(&role) => {
                if let Some(Some(kept)) = self.slot(role) {
                    if kept.is_empty() {
                        *kept = text.into_owned();
                    } else {
                        kept.push_str(&text);
                    }
                }
                Ok(())
            }
            // Only whitespace may stand outside the root element.
            None if text.trim().is_empty() => Ok(()),
            None => Err(MnsError::malformed_xml()),
        }
    }

    /// A message element closed: check it as the tree parser does and keep it.
    fn finish_message(&mut self) {
        let m = std::mem::take(&mut self.message);
        if self.error.is_some() {
            return;
        }
        match message_input(m) {
            Ok(input) => self.messages.push(input),
            Err(e) => self.error = Some(e),
        }
    }
}

/// The checks of the tree parser's `parse_message`, in its order.
pub(super) fn message_input(m: MessageAcc) -> Result<SendMessageInput, MnsError> {
    let body = match (m.bodies, m.body) {
        (1, Some(body)) => body,
        _ => return Err(MnsError::schema_violation("MessageBody")),
    };
    if m.user_lists > 1 {
        return Err(MnsError::schema_violation("UserProperties"));
    }
    if m.system_lists > 1 {
        return Err(MnsError::schema_violation("SystemProperties"));
    }
    let int = |count: u32, text: Option<String>, name: &str| match (count, text) {
        (0, _) => Ok(None),
        (1, Some(t)) => t
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| MnsError::schema_violation(name)),
        _ => Err(MnsError::schema_violation(name)),
    };
    Ok(SendMessageInput {
        body,
        delay_seconds: int(m.delays, m.delay, "DelaySeconds")?,
        priority: int(m.priorities, m.priority, "Priority")?,
        user_properties: m.user,
        system_properties: m.system,
        message_group_id: m.group.filter(|s| !s.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse_send_request_tree;
    use super::*;

    /// Both parsers on `doc`: the same answer, message or error.
    fn agree(doc: &str) {
        assert_eq!(
            parse_send_request(doc.as_bytes()),
            parse_send_request_tree(doc.as_bytes()),
            "{doc:?}"
        );
    }

    #[test]
    fn agrees_with_the_tree_parser_on_edge_cases() {
        for doc in [
            "<Message><MessageBody>a</MessageBody></Message>",
            "<Message><MessageBody/></Message>",
            "<Message/>",
            "<Messages/>",
            "<Messages><Message/></Messages>",
            "<Other><MessageBody>a</MessageBody></Other>",
            "<Other><x></Other>",
            "<m:Message xmlns:m='u'><m:MessageBody>x</m:MessageBody></m:Message>",
            "<Message><MessageBody>a<b>c</b>d<![CDATA[<e>]]>&amp;&#x4e2d;</MessageBody></Message>",
            "<Message><MessageBody>a</MessageBody><MessageBody>b</MessageBody></Message>",
            "<Message><MessageBody>a</MessageBody><DelaySeconds> 3 </DelaySeconds></Message>",
            "<Message><MessageBody>a</MessageBody><DelaySeconds>x</DelaySeconds></Message>",
            "<Message><MessageBody>a</MessageBody><Priority>1</Priority><Priority>2</Priority></Message>",
            "<Message><DelaySeconds>x</DelaySeconds><MessageBody>a</MessageBody><MessageBody>b</MessageBody></Message>",
            "<Message><MessageBody>a</MessageBody><UserProperties/><UserProperties/></Message>",
            "<Message><MessageBody>a</MessageBody><SystemProperties/><SystemProperties/><UserProperties/><UserProperties/></Message>",
            "<Message><MessageBody>a</MessageBody><MessageGroupId></MessageGroupId><MessageGroupId>g</MessageGroupId></Message>",
            "<Message><MessageBody>a</MessageBody><MessageGroupId>g</MessageGroupId><MessageGroupId>h</MessageGroupId></Message>",
            "<Message><MessageBody>a</MessageBody><UserProperties><PropertyValue><Name>n</Name><Name>m</Name><Value/><Type>STRING</Type><x><Name>z</Name></x></PropertyValue><PropertyValue/><SystemPropertyValue><Name>s</Name></SystemPropertyValue></UserProperties></Message>",
            "<Message><MessageBody>a</MessageBody><SystemProperties><SystemPropertyValue><Name>n</Name><Value>v</Value><Type>STRING</Type></SystemPropertyValue><PropertyValue><Name>u</Name></PropertyValue></SystemProperties></Message>",
            "<Messages><Message><MessageBody>a</MessageBody></Message><Other/><x><Message/></x><Message><MessageBody>b</MessageBody><Priority>2</Priority></Message></Messages>",
            "<Messages><Message><Priority>z</Priority></Message><Message><MessageBody>b</MessageBody><Priority>y</Priority></Message></Messages>",
            "<Messages><Message><Priority>z</Priority></Message><Message>",
            "<Message><MessageBody>a</MessageBody></Message><Message/>",
            "<Message><MessageBody>a</MessageBody></Message>x",
            "  <Message><MessageBody>a</MessageBody></Message>\n ",
            "<Message><MessageBody>\u{1}</MessageBody></Message>",
            "<Message><MessageBody>&#1;</MessageBody></Message>",
            "<Message><Other>\u{1}</Other><MessageBody>a</MessageBody><MessageBody>b</MessageBody></Message>",
            "<Message><MessageBody>&bogus;</MessageBody></Message>",
            "<Message><MessageBody>a\r\nb\rc</MessageBody></Message>",
            "<Message><MessageBody><MessageBody>in</MessageBody>out</MessageBody></Message>",
            "<Message><Message><MessageBody>a</MessageBody></Message></Message>",
            "\u{feff}<?xml version=\"1.0\"?><!-- c --><Message><?pi x?><MessageBody>a</MessageBody></Message>",
            "",
            "<",
            "</Message>",
            "<Message></Messages>",
            // The plain shape and its near misses.
            r#"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>m</MessageBody></Message>"#,
            r#"<?xml version="1.0" encoding="UTF-8"?> <Message xmlns="x"> <MessageBody>a b</MessageBody> <DelaySeconds>2</DelaySeconds><Priority>9</Priority><MessageGroupId>g</MessageGroupId></Message>"#,
            r#"<?xml version="1.0" encoding="UTF-16"?><Message><MessageBody>m</MessageBody></Message>"#,
            r#" <?xml version="1.0"?><Message><MessageBody>m</MessageBody></Message>"#,
            r#"<?xml version="1.0"?><Message xmlns='x'><MessageBody>m</MessageBody></Message>"#,
            r#"<Message xmlns="a>b"><MessageBody>m</MessageBody></Message>"#,
            r#"<Message xmlns="a"b"><MessageBody>m</MessageBody></Message>"#,
            r#"<Message xmlns="a" ><MessageBody>m</MessageBody></Message>"#,
            "<Message><MessageBody>a > b</MessageBody></Message>",
            "<Message><MessageBody>a ]]> b</MessageBody></Message>",
            "<Message><MessageBody>a\rb</MessageBody></Message>",
            "<Message><MessageBody>\u{fffe}</MessageBody></Message>",
            "<Message><MessageBody>\u{0}</MessageBody></Message>",
            "<Message><MessageBody>m</MessageBody ></Message>",
            "<Message><MessageBody>m</MessageBodyX></Message>",
            "<Message><MessageBody>m</Priority></Message>",
            "<Message><MessageBody>m</MessageBody></Message >",
            "<Message><MessageBody>m</MessageBody></Message>\n\t ",
            "<Message><MessageBody>m</MessageBody></Message><",
            "<Message><MessageBody>m</MessageBody></Message>\r\n",
            "<Message><MessageBody></MessageBody></Message>",
            "<Message><DelaySeconds>1</DelaySeconds></Message>",
            "<Message><MessageBody>a</MessageBody><MessageBody>b</MessageBody><Priority>x</Priority></Message>",
            "<Message><MessageGroupId></MessageGroupId><MessageBody>a</MessageBody></Message>",
            "<Messages><Message><MessageBody>a</MessageBody></Message><Message><MessageBody>b</MessageBody><DelaySeconds>1</DelaySeconds></Message></Messages>",
            "<Messages xmlns=\"x\">\n <Message xmlns=\"x\"><MessageBody>a</MessageBody></Message>\n</Messages>",
            "<Messages><Message><Priority>p</Priority></Message><Message><MessageBody>b</MessageBody></Message></Messages>",
            "<Messages><Message><Priority>p</Priority></Message><Message><MessageBody>b</MessageBody></Message></Messages>x",
            "<Messages><Messages></Messages></Messages>",
            "<Messages></Messages>",
            "<Messages><Message><MessageBody>a</MessageBody></Message>",
            "<Message><MessageBody>\u{4e2d}\u{1F600}</MessageBody></Message>",
        ] {
            agree(doc);
        }
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        agree(&format!(
            "<Message>{deep}<MessageBody>a</MessageBody></Message>"
        ));
        agree(&format!("<Messages>{deep}</Messages>"));
    }

    /// Random documents over the vocabulary of SendMessage bodies (names, duplicates, nesting,
    /// references, CDATA, forbidden characters, stray text, broken tags): both parsers answer
    /// alike on every one.
    #[test]
    fn agrees_with_the_tree_parser_on_random_documents() {
        const NAMES: &[&str] = &[
            "Message",
            "Messages",
            "MessageBody",
            "DelaySeconds",
            "Priority",
            "MessageGroupId",
            "UserProperties",
            "SystemProperties",
            "PropertyValue",
            "SystemPropertyValue",
            "Name",
            "Value",
            "Type",
            "Other",
        ];
        const TEXTS: &[&str] = &[
            "a",
            " 7 ",
            "-3",
            "x y",
            "&amp;",
            "&lt;",
            "&#x41;",
            "&#0;",
            "&zz;",
            "<![CDATA[c]]>",
            "\u{1}",
            "\u{fffe}",
            "\r\n",
            "",
            "&",
            "<!-- k -->",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let mut doc = String::new();
            let mut open: Vec<&str> = Vec::new();
            // Mostly the roots the parsers look for, sometimes with a declaration.
            if next(4) == 0 {
                doc.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
            }
            match next(4) {
                0 => {}
                1 => {
                    doc.push_str("<Messages>");
                    open.push("Messages");
                }
                _ => {
                    doc.push_str("<Message xmlns=\"x\">");
                    open.push("Message");
                }
            }
            let steps = 1 + next(24);
            for _ in 0..steps {
                match next(10) {
                    0..=3 => {
                        let name = NAMES[next(NAMES.len())];
                        doc.push_str(&format!("<{name}>"));
                        open.push(name);
                    }
                    4 => doc.push_str(&format!("<{}/>", NAMES[next(NAMES.len())])),
                    5..=7 => {
                        if let Some(name) = open.pop() {
                            // Now and then a mismatched end tag.
                            let name = if next(40) == 0 { "Other" } else { name };
                            doc.push_str(&format!("</{name}>"));
                        }
                    }
                    _ => doc.push_str(TEXTS[next(TEXTS.len())]),
                }
            }
            // Mostly well-formed: close what is open.
            if next(8) != 0 {
                while let Some(name) = open.pop() {
                    doc.push_str(&format!("</{name}>"));
                }
            }
            agree(&doc);
        }
    }
}
