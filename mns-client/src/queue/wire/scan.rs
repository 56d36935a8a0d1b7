//! A small XML 1.0 tokenizer for the message documents the streaming decoder reads.
//!
//! Why not quick-xml's reader, which the rest of the client uses: its slice reader re-validates
//! UTF-8 on every text run, reference and name it hands out (about 45 calls per message), which
//! was the largest single cost of decoding a 16-message batch. The input here is already a
//! `&str`, and this tokenizer only ever splits it at ASCII delimiters, so every slice it returns
//! is valid without another check.
//!
//! What it reads: elements (start, end, empty; attributes skipped, quotes respected), character
//! data, CDATA sections, and it skips the declaration, processing instructions, comments and a
//! DOCTYPE. End tags must match their start tags and every element must be closed; text is
//! returned raw and [`push_text`] resolves references and normalises line ends.

/// One token of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// `<name ...>`: the local name (any namespace prefix removed).
    Start(&'a str),
    /// `<name .../>`: the local name.
    Empty(&'a str),
    /// `</name>` (checked against the matching start tag).
    End,
    /// Character data up to the next markup, references not yet resolved.
    Text(&'a str),
    /// The content of a CDATA section (taken literally).
    CData(&'a str),
}

/// Reads tokens from a document.
#[derive(Debug)]
pub(super) struct Scanner<'a> {
    rest: &'a str,
    /// Qualified names of the open elements, innermost last.
    open: Vec<&'a str>,
}

/// Everything after the first occurrence of `end` in `s`, or an error naming `what`.
fn after<'a>(s: &'a str, end: &str, what: &str) -> Result<(&'a str, &'a str), String> {
    // A one-byte delimiter is a memchr; a string search sets up a two-way searcher each call.
    let found = match end.as_bytes() {
        [b] => s.find(char::from(*b)),
        _ => s.find(end),
    };
    found
        .map(|i| (&s[..i], &s[i + end.len()..]))
        .ok_or_else(|| format!("unterminated {what}"))
}

impl<'a> Scanner<'a> {
    pub(super) fn new(document: &'a str) -> Self {
        Scanner {
            rest: document.strip_prefix('\u{feff}').unwrap_or(document),
            open: Vec::with_capacity(8),
        }
    }

    /// The next token; `None` at the end of a complete document.
    pub(super) fn next_token(&mut self) -> Result<Option<Token<'a>>, String> {
        loop {
            let r = self.rest;
            if r.is_empty() {
                return match self.open.last() {
                    Some(name) => Err(format!("element <{name}> is not closed")),
                    None => Ok(None),
                };
            }
            if !r.starts_with('<') {
                let end = r.find('<').unwrap_or(r.len());
                self.rest = &r[end..];
                return Ok(Some(Token::Text(&r[..end])));
            }
            if let Some(s) = r.strip_prefix("<?") {
                self.rest = after(s, "?>", "processing instruction")?.1;
            } else if let Some(s) = r.strip_prefix("<!--") {
                self.rest = after(s, "-->", "comment")?.1;
            } else if let Some(s) = r.strip_prefix("<![CDATA[") {
                let (data, rest) = after(s, "]]>", "CDATA section")?;
                self.rest = rest;
                return Ok(Some(Token::CData(data)));
            } else if let Some(s) = r.strip_prefix("<!") {
                self.rest = skip_doctype(s)?;
            } else if let Some(s) = r.strip_prefix("</") {
                let (name, rest) = after(s, ">", "end tag")?;
                let name = name.trim_end_matches(|c: char| c.is_ascii_whitespace());
                match self.open.pop() {
                    Some(open) if open == name => {}
                    Some(open) => return Err(format!("</{name}> closes <{open}>")),
                    None => return Err(format!("</{name}> closes nothing")),
                }
                self.rest = rest;
                return Ok(Some(Token::End));
            } else {
                return self.start_tag(&r[1..]).map(Some);
            }
        }
    }

    /// A start or empty-element tag; `s` follows its `<`.
    fn start_tag(&mut self, s: &'a str) -> Result<Token<'a>, String> {
        let bytes = s.as_bytes();
        let name_end = bytes
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
            .ok_or("unterminated start tag")?;
        let qname = &s[..name_end];
        if qname.is_empty() {
            return Err("an element without a name".to_owned());
        }
        // The tag ends at the first `>` outside a quoted attribute value.
        let mut quote = None;
        let close = bytes[name_end..]
            .iter()
            .position(|&b| match quote {
                Some(q) => {
                    if b == q {
                        quote = None;
                    }
                    false
                }
                None if b == b'"' || b == b'\'' => {
                    quote = Some(b);
                    false
                }
                None => b == b'>',
            })
            .map(|i| i + name_end)
            .ok_or("unterminated start tag")?;
        self.rest = &s[close + 1..];
        let local = qname.split_once(':').map_or(qname, |(_, local)| local);
        if close > 0 && bytes[close - 1] == b'/' {
            Ok(Token::Empty(local))
        } else {
            self.open.push(qname);
            Ok(Token::Start(local))
        }
    }
}

/// Skips a `<!DOCTYPE ...>` (`s` follows its `<!`), internal subset included.
fn skip_doctype(s: &str) -> Result<&str, String> {
    let mut depth = 0usize;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return Ok(&s[i + 1..]),
            _ => {}
        }
    }
    Err("unterminated DOCTYPE".to_owned())
}

/// Appends character data to `out` with entity and character references resolved and line
/// ends normalised (`\r\n` and a lone `\r` become `\n`, XML 1.0 §2.11). Unknown entities and
/// references to no character are errors.
pub(super) fn push_text(out: &mut String, raw: &str) -> Result<(), String> {
    let mut rest = raw;
    while let Some(i) = rest.bytes().position(|b| b == b'&' || b == b'\r') {
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'\r' {
            out.push('\n');
            rest = &rest[i + 1..];
            rest = rest.strip_prefix('\n').unwrap_or(rest);
        } else {
            let (name, tail) = after(&rest[i + 1..], ";", "reference")?;
            out.push(resolve(name)?);
            rest = tail;
        }
    }
    out.push_str(rest);
    Ok(())
}

/// Appends CDATA content with line ends normalised (no references inside CDATA).
pub(super) fn push_cdata(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
}

/// The character a reference (`amp`, `#60`, `#x3C`, without `&` and `;`) stands for.
fn resolve(name: &str) -> Result<char, String> {
    let code = if let Some(hex) = name.strip_prefix("#x") {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse::<u32>().ok()
    } else {
        return match name {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(format!("unknown entity &{name};")),
        };
    };
    // A sign would be accepted by the integer parsers; a reference has digits only.
    let digits_only = name
        .trim_start_matches("#x")
        .trim_start_matches('#')
        .bytes()
        .all(|b| b.is_ascii_hexdigit());
    code.filter(|&c| c != 0 && digits_only)
        .and_then(char::from_u32)
        .ok_or_else(|| format!("invalid character reference &{name};"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(doc: &str) -> Result<Vec<Token<'_>>, String> {
        let mut s = Scanner::new(doc);
        let mut out = Vec::new();
        while let Some(t) = s.next_token()? {
            out.push(t);
        }
        Ok(out)
    }

    #[test]
    fn tokens_of_a_document() {
        let doc = "\u{feff}<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x \"y\">]><!-- c -->\
                   <m:A xmlns:m='u>v' b=\"1\"><B/>t&amp;<![CDATA[<x>]]></m:A >\n";
        assert_eq!(
            tokens(doc).unwrap(),
            vec![
                Token::Start("A"),
                Token::Empty("B"),
                Token::Text("t&amp;"),
                Token::CData("<x>"),
                Token::End,
                Token::Text("\n"),
            ]
        );
    }

    #[test]
    fn broken_documents_are_errors() {
        for doc in [
            "<a>",
            "<a></b>",
            "</a>",
            "<a",
            "<a b='>",
            "<>",
            "<a><!-- x",
            "<a><![CDATA[x",
            "<?x",
            "<!DOCTYPE",
        ] {
            assert!(tokens(doc).is_err(), "{doc:?}");
        }
    }

    #[test]
    fn text_references_and_line_ends() {
        let mut out = String::new();
        push_text(
            &mut out,
            "a&lt;b&gt;&amp;&apos;&quot;&#x4E2D;&#25991;\r\nx\ry",
        )
        .unwrap();
        assert_eq!(out, "a<b>&'\"中文\nx\ny");
        for bad in [
            "&bogus;", "&#0;", "&#xD800;", "&#-1;", "&#x+1;", "&amp", "&#;",
        ] {
            assert!(push_text(&mut String::new(), bad).is_err(), "{bad:?}");
        }
        let mut out = String::new();
        push_cdata(&mut out, "a\r\nb\rc&amp;");
        assert_eq!(out, "a\nb\nc&amp;");
    }
}
