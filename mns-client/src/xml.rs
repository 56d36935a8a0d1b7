//! XML helpers shared by every operation (crate-internal).
//!
//! * Output: [`XmlWriter`] writes the XML declaration, the MNS namespace on the root element, and
//!   escapes every text value. Bodies are small and flat, so a direct writer is simpler and faster than
//!   a serializer, and it keeps element order exactly as documented.
//! * Input: [`from_xml`] decodes with quick-xml's serde support. Element names are matched by local
//!   name, so responses with the namespace `http://mns.aliyuncs.com/doc/v1/`, without the trailing
//!   slash, or with no namespace at all decode the same, with or without an XML declaration.

use serde::de::DeserializeOwned;

/// The MNS XML namespace, as written on request roots.
pub(crate) const NAMESPACE: &str = "http://mns.aliyuncs.com/doc/v1/";

/// The XML declaration written before every request body.
pub(crate) const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Writes a flat MNS request document.
#[derive(Debug)]
pub(crate) struct XmlWriter {
    buf: String,
    root: &'static str,
}

impl XmlWriter {
    /// Starts a document whose root element is `root`, in the MNS namespace.
    pub(crate) fn new(root: &'static str, capacity: usize) -> Self {
        let mut buf = String::with_capacity(capacity + 96);
        buf.push_str(DECLARATION);
        buf.push('<');
        buf.push_str(root);
        buf.push_str(" xmlns=\"");
        buf.push_str(NAMESPACE);
        buf.push_str("\">");
        XmlWriter { buf, root }
    }

    /// Opens a child element.
    pub(crate) fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// Closes a child element.
    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// Writes `<name>escaped(value)</name>`.
    pub(crate) fn elem(&mut self, name: &str, value: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.buf, value);
        self.close(name)
    }

    /// Writes `<name>value</name>` for a number.
    pub(crate) fn elem_num(&mut self, name: &str, value: impl itoa_like::Num) -> &mut Self {
        self.open(name);
        value.push_to(&mut self.buf);
        self.close(name)
    }

    /// Writes the element only when the value is present.
    pub(crate) fn opt_num(&mut self, name: &str, value: Option<impl itoa_like::Num>) -> &mut Self {
        if let Some(v) = value {
            self.elem_num(name, v);
        }
        self
    }

    /// Closes the root element and returns the document.
    pub(crate) fn finish(mut self) -> String {
        self.buf.push_str("</");
        self.buf.push_str(self.root);
        self.buf.push('>');
        self.buf
    }
}

/// Minimal number formatting for [`XmlWriter`] without an extra dependency.
pub(crate) mod itoa_like {
    use std::fmt::Write as _;

    /// Integers that can be written as XML text.
    pub(crate) trait Num: Copy {
        /// Appends the decimal form.
        fn push_to(self, buf: &mut String);
    }

    macro_rules! num {
        ($($t:ty),*) => {$(
            impl Num for $t {
                fn push_to(self, buf: &mut String) {
                    let _ = write!(buf, "{self}");
                }
            }
        )*};
    }
    num!(u8, u16, u32, u64, usize, i64);
}

/// Appends `value` escaped for XML text: `& < > " '` become entities and a carriage return becomes
/// `&#13;` so that XML line-end normalisation cannot change the text the service hashes.
pub(crate) fn escape_into(buf: &mut String, value: &str) {
    let mut last = 0;
    for (i, b) in value.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\r' => "&#13;",
            _ => continue,
        };
        buf.push_str(&value[last..i]);
        buf.push_str(rep);
        last = i + 1;
    }
    buf.push_str(&value[last..]);
}

/// Whether `s` contains a character that XML 1.0 cannot carry at all, even escaped
/// (control characters other than tab, line feed and carriage return, and U+FFFE/U+FFFF).
pub(crate) fn has_forbidden_chars(s: &str) -> bool {
    may_have_forbidden_chars(s)
        && s.chars().any(|c| {
            (c < '\u{20}' && c != '\t' && c != '\n' && c != '\r')
                || c == '\u{FFFE}'
                || c == '\u{FFFF}'
        })
}

/// A byte scan that rules most text out: only a control byte or 0xEF (the lead byte of U+FFFE
/// and U+FFFF in UTF-8) can start a forbidden character, so text without them needs no decoding.
fn may_have_forbidden_chars(s: &str) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
}

/// Fails with [`Error::InvalidXmlChar`](crate::Error::InvalidXmlChar) when `s` holds a
/// character XML 1.0 cannot carry (see [`has_forbidden_chars`]).
pub(crate) fn check_text(field: &'static str, s: &str) -> Result<(), crate::Error> {
    if !may_have_forbidden_chars(s) {
        return Ok(());
    }
    match s
        .chars()
        .enumerate()
        .find(|(_, c)| has_forbidden_chars(c.encode_utf8(&mut [0; 4])))
    {
        Some((index, c)) => Err(crate::Error::InvalidXmlChar {
            field,
            code: u32::from(c),
            index,
        }),
        None => Ok(()),
    }
}

/// Decodes an MNS response document, ignoring the namespace and declaration.
pub(crate) fn from_xml<T: DeserializeOwned>(body: &str) -> Result<T, String> {
    quick_xml::de::from_str(body).map_err(|e| e.to_string())
}

/// The local name of the document's root element (namespace prefix stripped), if any.
pub(crate) fn root_name(body: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return Some(e.local_name().as_ref().to_owned());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Parses an MNS boolean (`True`, `true`, `False`, `false`, `1`, `0`).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_escapes_and_adds_namespace() {
        let mut w = XmlWriter::new("Message", 0);
        w.elem("MessageBody", "a<b>&'\"\r\n")
            .elem_num("Priority", 8u8);
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
             <MessageBody>a&lt;b&gt;&amp;&apos;&quot;&#13;\n</MessageBody><Priority>8</Priority></Message>"
        );
    }

    #[test]
    fn root_name_ignores_declaration_and_prefix() {
        assert_eq!(
            root_name("<?xml version=\"1.0\"?>\n<Error/>").as_deref(),
            Some("Error")
        );
        assert_eq!(
            root_name("<m:Messages xmlns:m=\"x\"></m:Messages>").as_deref(),
            Some("Messages")
        );
        assert_eq!(root_name("not xml").as_deref(), None);
    }

    #[test]
    fn forbidden_chars() {
        assert!(has_forbidden_chars("a\u{1}b"));
        assert!(!has_forbidden_chars("tab\tnl\ncr\r 测试"));
        // 0xEF leads U+FFFE/U+FFFF but also ordinary characters (U+F000..U+FFFD).
        assert!(has_forbidden_chars("x\u{FFFE}") && has_forbidden_chars("\u{FFFF}"));
        assert!(!has_forbidden_chars("\u{FFFD}\u{F900}"));
        assert!(check_text("Body", "fine \u{FFFD}").is_ok());
        match check_text("Body", "ab\u{FFFF}") {
            Err(crate::Error::InvalidXmlChar { code, index, .. }) => {
                assert_eq!((code, index), (0xFFFF, 2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("x"), None);
    }
}
