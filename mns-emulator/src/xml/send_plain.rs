//! The plain shape of a SendMessage or BatchSendMessage body, read by a byte scanner instead of
//! the XML reader: what the SDKs send (an optional declaration, `<Message>` or `<Messages>` with
//! at most an `xmlns` attribute, and the fields `MessageBody`, `DelaySeconds`, `Priority`,
//! `MessageGroupId` as plain elements whose text has no markup, reference or `>`).
//!
//! Every document this scanner accepts is well-formed, and the reader would deliver exactly the
//! same elements and texts for it, so the answer is the reader's ([`super::send`] applies the
//! same schema checks through [`message_input`]). Anything else (properties, comments, CDATA,
//! references, other spellings of the declaration, a forbidden character, …) is declined and
//! read by the reader; the tests and the fuzz target compare both with the tree parser.

use super::SendRequest;
use super::all_xml_chars;
use super::send::{MessageAcc, message_input};
use crate::error::MnsError;

/// The declarations taken as they are (others go to the reader).
const DECLARATIONS: [&[u8]; 4] = [
    br#"<?xml version="1.0" encoding="UTF-8"?>"#,
    br#"<?xml version="1.0" encoding="utf-8"?>"#,
    br#"<?xml version='1.0' encoding='UTF-8'?>"#,
    br#"<?xml version="1.0"?>"#,
];

/// The answer for `text` (after the byte-order mark) if it has the plain shape, else `None`.
pub(super) fn parse(text: &str) -> Option<Result<SendRequest, MnsError>> {
    let mut s = Scanner { text, pos: 0 };
    if let Some(decl) = DECLARATIONS.iter().find(|d| text.as_bytes().starts_with(d)) {
        s.pos = decl.len();
    }
    s.skip_ws();
    let answer = if s.eat(b"<Messages") {
        s.start_tag_rest()?;
        let mut messages = Vec::new();
        let mut error = None;
        loop {
            s.skip_ws();
            if s.eat(b"</Messages>") {
                break;
            }
            if !s.eat(b"<Message") {
                return None;
            }
            s.start_tag_rest()?;
            let m = s.message()?;
            if error.is_none() {
                match message_input(m) {
                    Ok(input) => messages.push(input),
                    Err(e) => error = Some(e),
                }
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(SendRequest::Batch(messages)),
        }
    } else if s.eat(b"<Message") {
        s.start_tag_rest()?;
        let m = s.message()?;
        message_input(m).map(SendRequest::Single)
    } else {
        return None;
    };
    s.skip_ws();
    (s.pos == text.len()).then_some(answer)
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.pos..]
    }

    /// Consumes `prefix` if the input continues with it.
    fn eat(&mut self, prefix: &[u8]) -> bool {
        let found = self.rest().starts_with(prefix);
        if found {
            self.pos += prefix.len();
        }
        found
    }

    /// Skips spaces, tabs and line feeds (a carriage return goes to the reader, which
    /// normalises line ends).
    fn skip_ws(&mut self) {
        let n = self
            .rest()
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n'))
            .count();
        self.pos += n;
    }

    /// The rest of a start tag whose name was just read: `>`, or one `xmlns="…"` then `>`.
    fn start_tag_rest(&mut self) -> Option<()> {
        if self.eat(b">") {
            return Some(());
        }
        if !self.eat(b" xmlns=\"") {
            return None;
        }
        let len = self
            .rest()
            .iter()
            .position(|b| matches!(b, b'"' | b'<' | b'&' | b'>'))?;
        self.pos += len;
        self.eat(b"\">").then_some(())
    }

    /// Plain text up to the next `<`: `None` when it holds a reference, `>`, a carriage return
    /// or a character XML forbids (`'` and `"` are plain text here).
    fn text(&mut self) -> Option<&'a str> {
        let len = memchr::memchr(b'<', self.rest())?;
        let text = &self.text[self.pos..self.pos + len];
        // `&`, `>` and CR are left to the reader (references, `]]>`, line-end normalisation);
        // a suspect byte asks for the character check.
        let scan = super::scan_text(text.as_bytes());
        if (scan.to_escape && text.bytes().any(|b| matches!(b, b'&' | b'>' | b'\r')))
            || (scan.suspect && !all_xml_chars(text))
        {
            return None;
        }
        self.pos += len;
        Some(text)
    }

    /// The fields of a message whose start tag was just read, through its end tag.
    fn message(&mut self) -> Option<MessageAcc> {
        let mut m = MessageAcc::default();
        loop {
            self.skip_ws();
            if self.eat(b"</Message>") {
                return Some(m);
            }
            let name: &[u8] = if self.eat(b"<MessageBody>") {
                b"MessageBody"
            } else if self.eat(b"<DelaySeconds>") {
                b"DelaySeconds"
            } else if self.eat(b"<Priority>") {
                b"Priority"
            } else if self.eat(b"<MessageGroupId>") {
                b"MessageGroupId"
            } else {
                return None;
            };
            let text = self.text()?;
            if !(self.eat(b"</") && self.eat(name) && self.eat(b">")) {
                return None;
            }
            // The first of each name is the one read; a repeated one is counted.
            let (count, slot) = match name {
                b"MessageBody" => (Some(&mut m.bodies), &mut m.body),
                b"DelaySeconds" => (Some(&mut m.delays), &mut m.delay),
                b"Priority" => (Some(&mut m.priorities), &mut m.priority),
                _ => (None, &mut m.group),
            };
            if let Some(count) = count {
                *count += 1;
            }
            if slot.is_none() {
                *slot = Some(text.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_the_sdks_send_and_declines_the_rest() {
        for plain in [
            r#"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>m</MessageBody></Message>"#,
            "<Message><MessageBody>m</MessageBody><DelaySeconds>0</DelaySeconds><Priority>8</Priority></Message>",
            "<Messages>\n  <Message>\n    <MessageBody>a</MessageBody>\n  </Message>\n</Messages>\n",
        ] {
            assert!(parse(plain).is_some(), "{plain}");
        }
        for other in [
            "<Message><MessageBody>a &amp; b</MessageBody></Message>",
            "<Message><MessageBody><![CDATA[x]]></MessageBody></Message>",
            "<Message><MessageBody/></Message>",
            "<Message><MessageBody>m</MessageBody><UserProperties/></Message>",
            "<Message><!-- c --><MessageBody>m</MessageBody></Message>",
            "<m:Message xmlns:m=\"x\"><m:MessageBody>m</m:MessageBody></m:Message>",
        ] {
            assert!(parse(other).is_none(), "{other}");
        }
    }
}
