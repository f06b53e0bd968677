//! The notebook's JSON as bytes: where each cell's `source` sits, how its
//! strings are written, and how to write a new string the same way.
//!
//! `serde_json` checks the file and decodes it, but forgets where things
//! were. Writing back must change only the bytes of edited sources, so this
//! scanner walks the (already validated) bytes once and records the spans.

use std::ops::Range;

/// Where one cell's `source` is in the file, in byte offsets of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceSpan {
    /// The whole value: a string token, or an array from `[` to `]`.
    pub(crate) value: Range<usize>,
    /// The string tokens, quotes included: the value itself when it is a
    /// string, else one per item.
    pub(crate) tokens: Vec<Range<usize>>,
    pub(crate) is_list: bool,
    /// Where the `"source"` key and the cell's `{` start: the indentation of
    /// a list written where the file had `[]`.
    pub(crate) key_start: usize,
    pub(crate) cell_start: usize,
}

/// The `source` span of every cell, in file order (`None` for a cell without
/// one). `bytes` must be valid JSON; `start` skips a byte order mark.
pub(super) fn source_spans(bytes: &[u8], start: usize) -> Result<Vec<Option<SourceSpan>>, String> {
    let mut scanner = Scanner { bytes, pos: start };
    let mut spans = Vec::new();
    scanner.whitespace();
    scanner.members(|scanner, key, _| {
        if key == "cells" && scanner.peek() == Some(b'[') {
            spans = scanner.cell_spans()?;
            Ok(())
        } else {
            scanner.value().map(drop)
        }
    })?;
    Ok(spans)
}

/// A cursor over valid JSON. Every method leaves `pos` after what it read;
/// an unexpected byte (only possible if the input was not validated) is an
/// error, never a panic.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(format!("expected `{}` at byte {}", byte as char, self.pos)),
        }
    }

    /// A string token, quotes included.
    fn string(&mut self) -> Result<Range<usize>, String> {
        let start = self.pos;
        self.expect(b'"')?;
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let found =
                memchr::memchr2(b'"', b'\\', rest).ok_or_else(|| format!("unterminated string at byte {start}"))?;
            self.pos += found;
            if self.eat(b'"') {
                return Ok(start..self.pos);
            }
            // A backslash and the character it escapes.
            self.pos += 2;
        }
    }

    /// Any value, skipped.
    fn value(&mut self) -> Result<Range<usize>, String> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.members(|scanner, _, _| scanner.value().map(drop))?,
            Some(b'[') => self.items(|scanner| scanner.value().map(drop))?,
            Some(b'"') => return self.string(),
            _ => {
                while !matches!(self.peek(), None | Some(b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(format!("expected a value at byte {start}"));
                }
            }
        }
        Ok(start..self.pos)
    }

    /// Walks an object; `visit` gets the decoded key and its start, and must
    /// read the value.
    fn members(&mut self, mut visit: impl FnMut(&mut Self, String, usize) -> Result<(), String>) -> Result<(), String> {
        self.expect(b'{')?;
        self.whitespace();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.whitespace();
            let key_range = self.string()?;
            let key = serde_json::from_slice::<String>(&self.bytes[key_range.clone()]).map_err(|e| e.to_string())?;
            self.whitespace();
            self.expect(b':')?;
            self.whitespace();
            visit(self, key, key_range.start)?;
            self.whitespace();
            if !self.eat(b',') {
                return self.expect(b'}');
            }
        }
    }

    /// Walks an array; `visit` must read each item.
    fn items(&mut self, mut visit: impl FnMut(&mut Self) -> Result<(), String>) -> Result<(), String> {
        self.expect(b'[')?;
        self.whitespace();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.whitespace();
            visit(self)?;
            self.whitespace();
            if !self.eat(b',') {
                return self.expect(b']');
            }
        }
    }

    fn cell_spans(&mut self) -> Result<Vec<Option<SourceSpan>>, String> {
        let mut spans = Vec::new();
        self.items(|scanner| {
            let cell_start = scanner.pos;
            let mut span = None;
            if scanner.peek() != Some(b'{') {
                scanner.value()?;
            } else {
                scanner.members(|scanner, key, key_start| {
                    if key != "source" {
                        return scanner.value().map(drop);
                    }
                    // A repeated key: the last one counts, as for serde_json.
                    span = Some(scanner.source(key_start, cell_start)?);
                    Ok(())
                })?;
            }
            spans.push(span);
            Ok(())
        })?;
        Ok(spans)
    }

    fn source(&mut self, key_start: usize, cell_start: usize) -> Result<SourceSpan, String> {
        let start = self.pos;
        let is_list = self.peek() == Some(b'[');
        let mut tokens = Vec::new();
        if is_list {
            self.items(|scanner| {
                tokens.push(scanner.string()?);
                Ok(())
            })?;
        } else {
            tokens.push(self.string()?);
        }
        Ok(SourceSpan { value: start..self.pos, tokens, is_list, key_start, cell_start })
    }
}

/// One character of a string token and the bytes that spell it: itself, or
/// an escape such as `\n`, `\u00e9` or a surrogate pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spelling {
    pub(crate) raw: Range<usize>,
    pub(crate) ch: char,
}

/// The characters of a string token (quotes included) with their spellings,
/// offsets relative to the token.
pub(super) fn spellings(token: &str) -> Result<Vec<Spelling>, String> {
    let inner = token.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or("not a string token")?;
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < inner.len() {
        let (ch, len) = match inner[pos..].strip_prefix('\\') {
            Some(escape) => unescape(escape).ok_or_else(|| format!("bad escape in {token}"))?,
            None => {
                let ch = inner[pos..].chars().next().ok_or("empty")?;
                (ch, ch.len_utf8())
            }
        };
        out.push(Spelling { raw: pos + 1..pos + 1 + len, ch });
        pos += len;
    }
    Ok(out)
}

/// The character an escape (after its backslash) stands for, and the length
/// of the escape with the backslash.
fn unescape(escape: &str) -> Option<(char, usize)> {
    let ch = match escape.as_bytes().first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unescape_unicode(escape),
        _ => return None,
    };
    Some((ch, 2))
}

fn unescape_unicode(escape: &str) -> Option<(char, usize)> {
    let high = hex4(escape.get(1..5)?)?;
    if !(0xD800..0xDC00).contains(&high) {
        return Some((char::from_u32(high)?, 6));
    }
    let low = hex4(escape.get(5..11)?.strip_prefix("\\u")?)?;
    let code = 0x10000 + ((high - 0xD800) << 10) + (low.checked_sub(0xDC00)?);
    Some((char::from_u32(code)?, 12))
}

fn hex4(digits: &str) -> Option<u32> {
    match digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        true => u32::from_str_radix(digits, 16).ok(),
        false => None,
    }
}

/// Writes `text` as a JSON string token the way Python's `json.dumps` does
/// (and so nbformat): `\n`, `\"`, `\\`, `\uXXXX` with lowercase hex for other
/// control characters; characters past ASCII as they are, or escaped when
/// `ascii_only` (its `ensure_ascii=True`).
pub(super) fn quote(text: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    push_escaped(&mut out, text, ascii_only);
    out.push('"');
    out
}

/// [`quote`] without the quotes.
pub(super) fn push_escaped(out: &mut String, text: &str, ascii_only: bool) {
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// Whether the file writes characters past ASCII as `\uXXXX` escapes
/// (`ensure_ascii=True`): it has such escapes and no raw non-ASCII bytes.
/// A file with neither is written the nbformat way, raw.
pub(super) fn escapes_non_ascii(bytes: &[u8]) -> bool {
    let mut escaped = false;
    let mut in_string = false;
    let mut pos = 0;
    while let Some(&byte) = bytes.get(pos) {
        match byte {
            0x80..=0xff => return false,
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                let digits = bytes.get(pos + 2..pos + 6).and_then(|d| std::str::from_utf8(d).ok());
                if bytes.get(pos + 1) == Some(&b'u') && digits.and_then(hex4).is_some_and(|code| code >= 0x80) {
                    escaped = true;
                }
                pos += 1;
            }
            _ => {}
        }
        pos += 1;
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_string_and_list_sources() {
        let json = r##"{"metadata": {"source": "no"}, "cells": [
 {"cell_type": "code", "source": ["a\n", "b"]},
 {"cell_type": "markdown", "source": "# T\"itle"},
 {"cell_type": "raw", "source": []}
], "nbformat": 4}"##;
        let spans = source_spans(json.as_bytes(), 0).unwrap();
        let spans: Vec<SourceSpan> = spans.into_iter().map(Option::unwrap).collect();
        assert_eq!(spans.len(), 3);
        let text = |r: &Range<usize>| &json[r.clone()];
        assert!(spans[0].is_list);
        assert_eq!(spans[0].tokens.iter().map(text).collect::<Vec<_>>(), [r#""a\n""#, r#""b""#]);
        assert_eq!(text(&spans[1].value), r##""# T\"itle""##);
        assert!(!spans[1].is_list);
        assert_eq!(text(&spans[2].value), "[]");
        assert!(spans[2].tokens.is_empty());
        assert_eq!(text(&(spans[0].key_start..spans[0].key_start + 8)), "\"source\"");
        assert_eq!(json.as_bytes()[spans[0].cell_start], b'{');
    }

    #[test]
    fn the_last_repeated_key_counts() {
        let json = r#"{"cells": [{"source": "a", "source": "b"}]}"#;
        let spans = source_spans(json.as_bytes(), 0).unwrap();
        let span = spans[0].clone().unwrap();
        assert_eq!(&json[span.value], "\"b\"");
    }

    #[test]
    fn spellings_cover_every_escape() {
        let token = r#""a\n\u00e9\ud83d\ude00\/é""#;
        let found: Vec<(String, char)> =
            spellings(token).unwrap().into_iter().map(|s| (token[s.raw].to_string(), s.ch)).collect();
        let expected =
            [("a", 'a'), ("\\n", '\n'), ("\\u00e9", 'é'), ("\\ud83d\\ude00", '😀'), ("\\/", '/'), ("é", 'é')];
        let expected: Vec<(String, char)> = expected.iter().map(|(s, c)| (s.to_string(), *c)).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn quotes_like_python_json_dumps() {
        assert_eq!(quote("a\"b\\c\n\t\u{1}é😀", false), r#""a\"b\\c\n\t\u0001é😀""#);
        assert_eq!(quote("é😀\u{7f}", true), "\"\\u00e9\\ud83d\\ude00\u{7f}\"");
        assert_eq!(quote("", true), "\"\"");
    }

    #[test]
    fn detects_ensure_ascii_files() {
        assert!(escapes_non_ascii(br#"{"a": "caf\u00e9"}"#));
        assert!(!escapes_non_ascii("{\"a\": \"café\"}".as_bytes()));
        assert!(!escapes_non_ascii(br#"{"a": "plain \u001b"}"#));
        // An escaped backslash followed by `u00e9` is text, not an escape.
        assert!(!escapes_non_ascii(br#"{"a": "\\u00e9"}"#));
    }
}
