//! The emulator's side of the XML wire format: lenient request parsing, exact response writing.
//!
//! Requests are parsed into a small element tree keyed by **local names**, because the official
//! SDKs disagree on namespaces (`…/doc/v1/`, `…/doc/v1` or none, reference §2.3) and on the XML
//! declaration (Go sends none). Unknown elements are ignored. Responses are written by hand, in the
//! documented element order, always with the declaration and the namespace [`NAMESPACE`]
//! (`http://mns.aliyuncs.com/doc/v1`, no trailing slash), because some SDK decoders insist on
//! exact element sets (reference §11) and hand-writing keeps that visible.

use std::fmt::Write as _;

use quick_xml::escape::{escape, unescape};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::engine::{
    BatchDeleteFailure, PeekedMessage, QueueAttributes, QueueAttributesInput, ReceivedMessage,
    SendMessageInput, SentMessage, SystemProperty, UserProperty, VisibilityChanged,
};
use crate::error::MnsError;

/// The namespace of every response document: `http://mns.aliyuncs.com/doc/v1`, **without** the
/// trailing slash the documentation's examples show.
///
/// Evidence, per document type:
/// * `<Error>`: the Java SDK 2.0 unmarshals it with JAXB, namespace-aware, bound to exactly
///   `http://mns.aliyuncs.com/doc/v1` (`MNSConstants.DEFAULT_XML_NAMESPACE`,
///   `model/ErrorMessage.java`, `common/parser/JAXBResultParser.java`). With the slash (or no
///   namespace) JAXB throws "unexpected element", every service error becomes a code-less
///   `ClientException`, and an empty receive throws instead of returning null. The Java SDK is
///   used against the real service, so real error bodies are slash-less; a Go client's mock of a
///   service error has the same form. **The SDK that works against the service wins over the
///   documentation here.**
/// * Success bodies: every official SDK reads them by local name whatever the namespace (Java
///   through DOM without namespace awareness, Python through minidom/ElementTree, Node, Go), so
///   no client can tell; the Python SDK's test fixtures of real-looking ReceiveMessage answers
///   (2024) are slash-less, so the service's one spelling is taken for every document.
/// * Not this constant: the push `<Notification>` body keeps the slash of the push-signature
///   vector (`engine::notify_format`).
///
/// Request bodies are parsed by local name and accept either spelling or none.
pub(crate) const NAMESPACE: &str = "http://mns.aliyuncs.com/doc/v1";

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// A parsed XML element: its local name (prefix and namespace dropped), its text and its child
/// elements. Text is kept exactly (no trimming): `MessageBody` must round-trip whitespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name, in document order.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Deepest element nesting accepted in a request; MNS documents nest at most 3 levels.
const MAX_DEPTH: usize = 32;

/// Parses a request body into its root element. Anything that is not one well-formed UTF-8 XML
/// element (with or without declaration) is 400 `MalformedXML`.
pub(crate) fn parse_document(body: &[u8]) -> Result<Element, MnsError> {
    let text = std::str::from_utf8(body).map_err(|_| MnsError::malformed_xml())?;
    // A UTF-8 byte-order mark is legal before the declaration.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|_| MnsError::malformed_xml())?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(MnsError::malformed_xml()); // a second root element
                }
                if stack.len() >= MAX_DEPTH {
                    // Dropping a deeper tree would recurse once per level (found by the hostile
                    // input test: 40,000 levels overflowed the stack).
                    return Err(MnsError::malformed_xml());
                }
                stack.push(Element {
                    name: start.local_name().as_ref().to_owned(),
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                let element = Element {
                    name: start.local_name().as_ref().to_owned(),
                    ..Element::default()
                };
                attach(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                // quick-xml checks that end names match start names.
                let element = stack.pop().ok_or_else(MnsError::malformed_xml)?;
                attach(&mut stack, &mut root, element)?;
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => {
                let raw: &str = c.as_ref();
                push_text(&mut stack, raw)?;
            }
            Event::GeneralRef(r) => {
                // `&amp;`, `&#60;` … arrive as separate events; resolve the five predefined
                // entities and character references, reject anything else.
                let resolved = unescape(&format!("&{};", r.xml10_content()))
                    .map_err(|_| MnsError::malformed_xml())?
                    .into_owned();
                push_text(&mut stack, &resolved)?;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(MnsError::malformed_xml());
    }
    root.ok_or_else(MnsError::malformed_xml)
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), MnsError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(MnsError::malformed_xml()),
    }
    Ok(())
}

/// Whether `c` is an XML 1.0 `Char` (§2.2): tab, LF, CR, and U+0020 and above except U+FFFE
/// and U+FFFF (surrogates cannot occur in a Rust `str`).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Whether every character of `text` is an XML `Char`. A byte scan first: only a control byte
/// or 0xEF (the lead byte of U+FFFE/U+FFFF) can start a non-`Char`, so most text is decided
/// without decoding characters.
pub(crate) fn all_xml_chars(text: &str) -> bool {
    !scan_text(text.as_bytes()).suspect || text.chars().all(is_xml_char)
}

/// What one pass over a text found (see [`scan_text`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextScan {
    /// A control byte other than tab, LF and CR, or 0xEF: the text may hold a character XML
    /// forbids (decide with [`is_xml_char`]).
    pub(crate) suspect: bool,
    /// A byte a response document escapes: `<`, `>`, `&`, `'`, `"` or CR.
    pub(crate) to_escape: bool,
}

/// Scans `bytes` once for both [`TextScan`] flags. Each 32-byte block is folded without an
/// early exit so that it compiles to vector code (a byte-at-a-time `any` does not): message
/// bodies pass through here on the way in and out.
pub(crate) fn scan_text(bytes: &[u8]) -> TextScan {
    let mut found = TextScan::default();
    for block in bytes.chunks(32) {
        let (suspect, to_escape) = block.iter().fold((false, false), |(s, e), &b| {
            (
                s | ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')) | (b == 0xEF),
                e | (b == b'<')
                    | (b == b'>')
                    | (b == b'&')
                    | (b == b'\'')
                    | (b == b'"')
                    | (b == b'\r'),
            )
        });
        found.suspect |= suspect;
        found.to_escape |= to_escape;
        if found.suspect && found.to_escape {
            break;
        }
    }
    found
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), MnsError> {
    // Raw text and resolved character references both end up here: a forbidden character in a
    // message body would make every later answer serving it ill-formed (a poison message).
    if !all_xml_chars(text) {
        return Err(MnsError::malformed_xml());
    }
    match stack.last_mut() {
        Some(e) => e.text.push_str(text),
        // Only whitespace may stand outside the root element.
        None if text.trim().is_empty() => {}
        None => return Err(MnsError::malformed_xml()),
    }
    Ok(())
}

pub(crate) fn expect_root(root: &Element, name: &str) -> Result<(), MnsError> {
    if root.name == name {
        Ok(())
    } else {
        Err(MnsError::schema_violation(&root.name))
    }
}

/// The child `name` if present once; present twice is 400 `InvalidArgument` (which of two
/// values the sender meant is unknowable, so neither is applied).
pub(crate) fn single_child<'a>(
    parent: &'a Element,
    name: &str,
) -> Result<Option<&'a Element>, MnsError> {
    let mut found = parent.children.iter().filter(|c| c.name == name);
    let first = found.next();
    if found.next().is_some() {
        return Err(MnsError::schema_violation(name));
    }
    Ok(first)
}

/// An optional integer child; present but not an integer (or present twice) is 400
/// `InvalidArgument`.
pub(crate) fn int_child(parent: &Element, name: &str) -> Result<Option<i64>, MnsError> {
    match single_child(parent, name)? {
        None => Ok(None),
        Some(e) => e
            .text
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| MnsError::schema_violation(name)),
    }
}

/// Parses a boolean case-insensitively (`True`, `true`, `TRUE`, …), as SDKs differ (§2.3).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn bool_child(parent: &Element, name: &str) -> Result<Option<bool>, MnsError> {
    match single_child(parent, name)? {
        None => Ok(None),
        Some(e) => parse_bool(&e.text)
            .map(Some)
            .ok_or_else(|| MnsError::schema_violation(name)),
    }
}

pub(crate) fn text_child(parent: &Element, name: &str) -> Option<String> {
    parent.child(name).map(|e| e.text.clone())
}

/// Parses a `<Queue>` body (CreateQueue, SetQueueAttributes). An empty body means "no attributes".
pub(crate) fn parse_queue_attributes(body: &[u8]) -> Result<QueueAttributesInput, MnsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(QueueAttributesInput::default());
    }
    let root = parse_document(body)?;
    expect_root(&root, "Queue")?;
    Ok(QueueAttributesInput {
        delay_seconds: int_child(&root, "DelaySeconds")?,
        maximum_message_size: int_child(&root, "MaximumMessageSize")?,
        message_retention_period: int_child(&root, "MessageRetentionPeriod")?,
        visibility_timeout: int_child(&root, "VisibilityTimeout")?,
        polling_wait_seconds: int_child(&root, "PollingWaitSeconds")?,
        logging_enabled: bool_child(&root, "LoggingEnabled")?,
    })
}

/// The body of a POST to `/queues/{q}/messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendRequest {
    /// Root `<Message>`: SendMessage.
    Single(SendMessageInput),
    /// Root `<Messages>`: BatchSendMessage.
    Batch(Vec<SendMessageInput>),
}

/// Parses a SendMessage or BatchSendMessage body through the element tree: the reference the
/// one-pass [`parse_send_request`] (which the server uses) must agree with on every input,
/// checked by the fuzz target and the tests.
pub(crate) fn parse_send_request_tree(body: &[u8]) -> Result<SendRequest, MnsError> {
    let root = parse_document(body)?;
    match root.name.as_str() {
        "Message" => Ok(SendRequest::Single(parse_message(&root)?)),
        "Messages" => Ok(SendRequest::Batch(
            root.children_named("Message")
                .map(parse_message)
                .collect::<Result<_, _>>()?,
        )),
        other => Err(MnsError::schema_violation(other)),
    }
}

fn parse_message(e: &Element) -> Result<SendMessageInput, MnsError> {
    let body = single_child(e, "MessageBody")?
        .ok_or_else(|| MnsError::schema_violation("MessageBody"))?
        .text
        .clone();
    let user_properties = match single_child(e, "UserProperties")? {
        None => Vec::new(),
        Some(p) => p
            .children_named("PropertyValue")
            .map(|v| UserProperty {
                name: text_child(v, "Name").unwrap_or_default(),
                value: text_child(v, "Value").unwrap_or_default(),
                value_type: text_child(v, "Type").unwrap_or_default(),
            })
            .collect(),
    };
    let system_properties = match single_child(e, "SystemProperties")? {
        None => Vec::new(),
        Some(p) => p
            .children_named("SystemPropertyValue")
            .map(|v| SystemProperty {
                name: text_child(v, "Name").unwrap_or_default(),
                value: text_child(v, "Value").unwrap_or_default(),
                value_type: text_child(v, "Type").unwrap_or_default(),
            })
            .collect(),
    };
    Ok(SendMessageInput {
        body,
        delay_seconds: int_child(e, "DelaySeconds")?,
        priority: int_child(e, "Priority")?,
        user_properties,
        system_properties,
        message_group_id: text_child(e, "MessageGroupId").filter(|s| !s.is_empty()),
    })
}

/// Parses a BatchDeleteMessage body: `<ReceiptHandles><ReceiptHandle>…</ReceiptHandle>…`.
pub(crate) fn parse_receipt_handles(body: &[u8]) -> Result<Vec<String>, MnsError> {
    let root = parse_document(body)?;
    expect_root(&root, "ReceiptHandles")?;
    Ok(root
        .children_named("ReceiptHandle")
        .map(|h| h.text.trim().to_owned())
        .collect())
}

/// The account attributes of `SetAccountAttributes` (`<Account>`); `None` = not in the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AccountAttributesInput {
    pub(crate) logging_bucket: Option<String>,
    pub(crate) trace_enabled: Option<String>,
}

/// Parses a SetAccountAttributes body.
pub(crate) fn parse_account_attributes(body: &[u8]) -> Result<AccountAttributesInput, MnsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(AccountAttributesInput::default());
    }
    let root = parse_document(body)?;
    expect_root(&root, "Account")?;
    Ok(AccountAttributesInput {
        logging_bucket: text_child(&root, "LoggingBucket").map(|s| s.trim().to_owned()),
        trace_enabled: text_child(&root, "TraceEnabled").map(|s| s.trim().to_owned()),
    })
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

mod send;
mod send_plain;
pub(crate) use send::parse_send_request;

mod write;
pub(crate) use write::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn parses_any_namespace_and_no_declaration() {
        let bodies = [
            r#"<?xml version="1.0" encoding="utf-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"><DelaySeconds>5</DelaySeconds></Queue>"#,
            r#"<Queue xmlns="http://mns.aliyuncs.com/doc/v1"><DelaySeconds>5</DelaySeconds></Queue>"#,
            r#"<Queue><DelaySeconds> 5 </DelaySeconds><Unknown>x</Unknown></Queue>"#,
            r#"<m:Queue xmlns:m="urn:x"><m:DelaySeconds>5</m:DelaySeconds></m:Queue>"#,
            "\u{feff}<Queue>\n  <DelaySeconds>5</DelaySeconds>\n</Queue>\n",
        ];
        for b in bodies {
            let q = parse_queue_attributes(b.as_bytes()).unwrap();
            assert_eq!(q.delay_seconds, Some(5), "{b}");
        }
    }

    #[test]
    fn booleans_are_case_insensitive() {
        for (text, want) in [
            ("True", true),
            ("true", true),
            ("FALSE", false),
            ("false", false),
        ] {
            let b = format!("<Queue><LoggingEnabled>{text}</LoggingEnabled></Queue>");
            assert_eq!(
                parse_queue_attributes(b.as_bytes())
                    .unwrap()
                    .logging_enabled,
                Some(want)
            );
        }
        let e = parse_queue_attributes(b"<Queue><LoggingEnabled>yes</LoggingEnabled></Queue>")
            .unwrap_err();
        assert_eq!(e.code(), &ErrorCode::InvalidArgument);
    }

    #[test]
    fn malformed_bodies() {
        for b in [
            "<Queue>",
            "<Queue></Queues>",
            "not xml",
            "<a/><b/>",
            "<Message><MessageBody>a & b</MessageBody></Message>",
            "<Message><MessageBody>&bogus;</MessageBody></Message>",
        ] {
            let e = parse_document(b.as_bytes()).unwrap_err();
            assert_eq!(e.code(), &ErrorCode::MalformedXML, "{b}");
        }
        assert_eq!(
            parse_document(&[0xff, 0xfe]).unwrap_err().code(),
            &ErrorCode::MalformedXML
        );
        assert_eq!(
            parse_queue_attributes(b"<Queue><DelaySeconds>x</DelaySeconds></Queue>")
                .unwrap_err()
                .code(),
            &ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn message_body_keeps_whitespace_and_unescapes() {
        let b = "<Message><MessageBody>  a &lt;b&gt; &amp; &#x4e2d;\n<![CDATA[<raw>]]></MessageBody><Priority>3</Priority></Message>";
        let SendRequest::Single(m) = parse_send_request(b.as_bytes()).unwrap() else {
            panic!("expected single");
        };
        assert_eq!(m.body, "  a <b> & \u{4e2d}\n<raw>");
        assert_eq!(m.priority, Some(3));
    }

    #[test]
    fn batch_send_and_properties() {
        let b = r#"<Messages xmlns="http://mns.aliyuncs.com/doc/v1/"><Message><MessageBody>a</MessageBody><UserProperties><PropertyValue><Name>city</Name><Value>hz</Value><Type>STRING</Type></PropertyValue></UserProperties></Message><Message><MessageBody>b</MessageBody><DelaySeconds>2</DelaySeconds></Message></Messages>"#;
        let SendRequest::Batch(ms) = parse_send_request(b.as_bytes()).unwrap() else {
            panic!("expected batch");
        };
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].user_properties[0].name, "city");
        assert_eq!(ms[1].delay_seconds, Some(2));
        let e = parse_send_request(b"<Message><Priority>1</Priority></Message>").unwrap_err();
        assert_eq!(e.code(), &ErrorCode::InvalidArgument);
    }

    #[test]
    fn receipt_handles() {
        let b = "<ReceiptHandles><ReceiptHandle>1-a+b/c=</ReceiptHandle><ReceiptHandle> 2-x </ReceiptHandle></ReceiptHandles>";
        assert_eq!(
            parse_receipt_handles(b.as_bytes()).unwrap(),
            vec!["1-a+b/c=".to_owned(), "2-x".to_owned()]
        );
    }

    #[test]
    fn error_document_has_four_children_and_namespace() {
        let x = error_document("QueueNotExist", "a < b", "RID", "http://h");
        assert!(x.starts_with(DECLARATION));
        assert!(x.contains(r#"<Error xmlns="http://mns.aliyuncs.com/doc/v1">"#));
        assert!(x.contains("<Code>QueueNotExist</Code><Message>a &lt; b</Message><RequestId>RID</RequestId><HostId>http://h</HostId>"));
        parse_document(x.as_bytes()).unwrap();
    }
}
