//! Decoding a Python file's bytes into text the parser can read, and encoding
//! the rewritten text back into exactly the same byte conventions: BOM,
//! newline style and encoding (UTF-8, or any codec a PEP 263 line declares
//! whose decoding of this file encodes back to the same bytes).

use std::fmt;

use crate::python::coding::declared_encoding;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The encodings we can round-trip byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    /// ISO-8859-1: every byte is the code point of the same value.
    Latin1,
    /// Another declared codec (`cp1252`, `shift_jis`, `gbk`, ...).
    Other(&'static encoding_rs::Encoding),
}

/// A decoded source file: `text` is what rules see and edits address.
#[derive(Debug, Clone)]
pub struct Source {
    pub text: String,
    pub(crate) bom: bool,
    pub(crate) encoding: Encoding,
    /// The newline inserted text should use: the file's first line ending.
    pub(crate) newline: &'static str,
}

/// Why a file's bytes cannot be treated as Python source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Contains a NUL byte: CPython refuses such source, so it is not code.
    Binary,
    /// Declares an encoding we cannot round-trip exactly.
    UnsupportedEncoding { line: usize, name: String },
    /// Not valid in its (declared or default) encoding.
    Invalid { line: usize, column: usize, encoding: &'static str },
    /// A UTF-8 BOM with another encoding declared: CPython refuses the file.
    BomConflict { line: usize, name: String },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Binary => write!(f, "contains NUL bytes; not a Python source file"),
            // The line and column are shown before the message, as for any
            // file problem, so they are not repeated here.
            DecodeError::UnsupportedEncoding { name, .. } => {
                write!(f, "declared encoding `{name}` is not supported, or this file does not round-trip through it")
            }
            DecodeError::BomConflict { name, .. } => {
                write!(
                    f,
                    "encoding problem: `{name}` declared in a file that starts with a UTF-8 BOM (CPython refuses it)"
                )
            }
            DecodeError::Invalid { encoding, .. } => write!(
                f,
                "not valid {encoding}; a file in another encoding must declare it on its first or second line (PEP 263)"
            ),
        }
    }
}

impl Source {
    /// Decodes a file's bytes, honouring a UTF-8 BOM and a PEP 263 coding line.
    pub fn decode(bytes: &[u8]) -> Result<Source, DecodeError> {
        if bytes.contains(&0) {
            return Err(DecodeError::Binary);
        }
        let bom = bytes.starts_with(BOM);
        let body = if bom { &bytes[BOM.len()..] } else { bytes };
        let encoding = match declared_encoding(body) {
            Some((line, name)) => {
                let encoding =
                    resolve_encoding(&name).ok_or(DecodeError::UnsupportedEncoding { line, name: name.clone() })?;
                if bom && encoding != Encoding::Utf8 {
                    return Err(DecodeError::BomConflict { line, name });
                }
                encoding
            }
            None => Encoding::Utf8,
        };
        let text = match encoding {
            Encoding::Utf8 => {
                std::str::from_utf8(body).map_err(|e| invalid_at(body, e.valid_up_to(), "UTF-8"))?.to_owned()
            }
            Encoding::Latin1 => body.iter().map(|&b| b as char).collect(),
            Encoding::Other(codec) => decode_exactly(codec, body)?,
        };
        let newline = detect_newline(&text);
        Ok(Source { text, bom, encoding, newline })
    }

    /// Encodes `text` (this file's text after edits) back into bytes.
    /// Fails only when inserted text cannot be represented in the file's encoding.
    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(text.len() + 3);
        if self.bom {
            out.extend_from_slice(BOM);
        }
        match self.encoding {
            Encoding::Utf8 => out.extend_from_slice(text.as_bytes()),
            Encoding::Latin1 => {
                for c in text.chars() {
                    let code = c as u32;
                    if code > 0xFF {
                        return Err(format!("character {c:?} cannot be written in Latin-1"));
                    }
                    out.push(code as u8);
                }
            }
            Encoding::Other(codec) => {
                let (bytes, _, unmappable) = codec.encode(text);
                if unmappable {
                    return Err(format!("the new text cannot be written in {}", codec.name()));
                }
                out.extend_from_slice(&bytes);
            }
        }
        Ok(out)
    }
}

/// Decodes `body` with `codec`, refusing bytes the codec does not define
/// and any file whose text would not encode back to the same bytes.
fn decode_exactly(codec: &'static encoding_rs::Encoding, body: &[u8]) -> Result<String, DecodeError> {
    let unsupported = || DecodeError::UnsupportedEncoding { line: 1, name: codec.name().to_owned() };
    let text = codec.decode_without_bom_handling_and_without_replacement(body).ok_or_else(unsupported)?;
    let (again, _, unmappable) = codec.encode(&text);
    if unmappable || again.as_ref() != body {
        return Err(unsupported());
    }
    Ok(text.into_owned())
}

fn invalid_at(body: &[u8], offset: usize, encoding: &'static str) -> DecodeError {
    let before = &body[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    DecodeError::Invalid { line, column: offset - line_start + 1, encoding }
}

/// The first line ending in the file, or `\n` for a file without one.
fn detect_newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Maps a declared encoding name to one we support, as CPython normalises it.
fn resolve_encoding(name: &str) -> Option<Encoding> {
    let norm = name.to_ascii_lowercase().replace('_', "-");
    match norm.as_str() {
        "utf-8" | "utf8" | "utf-8-sig" | "ascii" | "us-ascii" => Some(Encoding::Utf8),
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "iso-latin-1" | "l1" | "8859" | "cp819" | "latin" => {
            Some(Encoding::Latin1)
        }
        _ if norm.starts_with("latin-1-") || norm.starts_with("iso-8859-1-") => Some(Encoding::Latin1),
        // Python's spellings of WHATWG labels: `cp1252`, `shift_jis`, `euc-kr`,
        // `iso-8859-15`, `koi8-r`, `gbk`, `big5`, `windows-1251`, ...
        _ => encoding_rs::Encoding::for_label(norm.as_bytes())
            .or_else(|| encoding_rs::Encoding::for_label(norm.replace('-', "_").as_bytes()))
            .filter(|codec| codec.is_ascii_compatible() && *codec != encoding_rs::REPLACEMENT)
            .map(Encoding::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_crlf_round_trips() {
        let bytes = b"\xEF\xBB\xBFimport torch\r\nx = 1\r\n";
        let src = Source::decode(bytes).unwrap();
        assert!(src.bom);
        assert_eq!(src.newline, "\r\n");
        assert_eq!(src.text, "import torch\r\nx = 1\r\n");
        assert_eq!(src.encoding().unwrap(), bytes.to_vec());
    }

    #[test]
    fn latin1_declaration_round_trips() {
        let bytes = b"# -*- coding: latin-1 -*-\ns = '\xe9t\xe9'\n";
        let src = Source::decode(bytes).unwrap();
        assert_eq!(src.encoding, Encoding::Latin1);
        assert!(src.text.contains("été"));
        assert_eq!(src.encode(&src.text).unwrap(), bytes.to_vec());
    }

    #[test]
    fn coding_on_second_line_after_shebang() {
        let bytes = b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-1 :\nx = '\xff'\n";
        assert_eq!(Source::decode(bytes).unwrap().encoding, Encoding::Latin1);
    }

    #[test]
    fn other_declared_codecs_round_trip() {
        let bytes = b"# coding: cp1252\ns = '\x93quoted\x94 \x80'\n";
        let src = Source::decode(bytes).unwrap();
        assert!(src.text.contains("\u{201c}quoted\u{201d} \u{20ac}"), "{}", src.text);
        assert_eq!(src.encode(&src.text).unwrap(), bytes.to_vec());
        let sjis = b"# -*- coding: shift_jis -*-\ns = '\x93\xfa\x96\x7b'\n";
        let src = Source::decode(sjis).unwrap();
        assert!(src.text.contains("\u{65e5}\u{672c}"), "{}", src.text);
        assert_eq!(src.encode(&src.text).unwrap(), sjis.to_vec());
        assert!(src.encode("# -*- coding: shift_jis -*-\ns = '\u{1f600}'\n").is_err());
    }

    #[test]
    fn a_bom_with_another_declared_encoding_is_refused() {
        let err = Source::decode(b"\xEF\xBB\xBF# -*- coding: latin-1 -*-\nx = 1\n").unwrap_err();
        assert!(matches!(err, DecodeError::BomConflict { line: 1, .. }), "{err:?}");
        assert!(Source::decode(b"\xEF\xBB\xBF# -*- coding: utf-8 -*-\nx = 1\n").is_ok());
    }

    #[test]
    fn coding_after_code_is_ignored() {
        let bytes = b"x = 1\n# coding: latin-1\n";
        assert_eq!(Source::decode(bytes).unwrap().encoding, Encoding::Utf8);
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let err = Source::decode(b"a = 1\nb = '\xff'\n").unwrap_err();
        assert_eq!(err, DecodeError::Invalid { line: 2, column: 6, encoding: "UTF-8" });
    }

    #[test]
    fn unsupported_and_binary_are_refused() {
        assert!(matches!(Source::decode(b"# coding: rot13\n"), Err(DecodeError::UnsupportedEncoding { line: 1, .. })));
        assert_eq!(Source::decode(b"x = 1\0").unwrap_err(), DecodeError::Binary);
    }

    impl Source {
        fn encoding(&self) -> Result<Vec<u8>, String> {
            self.encode(&self.text)
        }
    }
}
