//! A cheap pass that decides, before parsing, whether a rule can possibly
//! match in a file. Most of a large ML codebase mentions `from_pretrained`
//! or `torch.load` only in docstrings; parsing those files is the bulk of
//! the work and can never produce a finding.
//!
//! The scan copies the source with the contents of strings and comments
//! replaced by blanks (newlines kept), so that a search in the copy sees
//! only code. Replacement fields of f-strings stay code. Whenever the scan
//! is unsure (an unterminated string), it answers "maybe", and the file is
//! parsed: the prefilter may only ever skip work, never findings. So is a
//! file with non-ASCII characters in code: CPython reads identifiers under
//! NFKC, so `torch.𝐥𝐨𝐚𝐝` is `torch.load` though no word `load` is written.
//!
//! Two kinds of rule match text that the blanked copy no longer shows: a
//! string literal's value (`"/tmp/x"`) and a character anywhere in the file
//! (a Trojan Source control). Their pseudo-words, [`IN_STRING`] and
//! [`BIDI_CONTROL`], are answered from the file as given.

use std::cell::OnceCell;
use std::ops::Range;

use std::cell::RefCell;

use memchr::memmem;

use crate::python::bidi;

/// Words a rule needs in code: the rule can match only if, for at least one
/// group, every word of the group occurs as a whole word outside strings and
/// comments. `name(` stands for the word followed by an opening parenthesis
/// (a call, blanks and line breaks allowed between), `name as` for the word
/// followed by `as` (an aliased import), `name=True` for the word followed
/// by `=` and the word `True` (a keyword argument's literal value),
/// `a.b` for the word `a`, a `.` and the word `b` (an attribute, blanks,
/// line breaks and continuations allowed around the dot), and
/// `"<not after .>name"` ([`NOT_AFTER_DOT`]) for the word where it is not an
/// attribute (`eval` but not `model.eval`; `"<not after .>name("` where it
/// is also called). The pseudo-word
/// [`SWALLOWING_EXCEPT`] stands for an except clause that is bare or whose
/// body begins with `pass`, `continue` or `...`; `"<in string>TEXT"`
/// ([`IN_STRING`]) for a string literal whose value may contain `TEXT`;
/// [`BIDI_CONTROL`] for a bidirectional control character.
pub(crate) type Triggers = &'static [&'static [&'static str]];

pub(crate) const SWALLOWING_EXCEPT: &str = "<except: pass>";

/// The prefix of a pseudo-word `"<not after .>NAME"`: the word `NAME` where
/// no `.` precedes it on its line (blanks allowed between), so a builtin's
/// name counts but a method's of the same name (`model.eval()`) does not. A
/// `.` on the line before, or a line continuation, counts as "not after
/// `.`" (the scan does not look back past a line break), and so does the
/// last dot of `...`. A dot right before a name is otherwise always an
/// attribute access: a number's trailing dot (`1.`) followed by a name is a
/// syntax error.
pub(crate) const NOT_AFTER_DOT: &str = "<not after .>";

/// The prefix of a pseudo-word `"<in string>TEXT"`: some string literal's
/// value may contain `TEXT` (ASCII, case-sensitive), where value means the
/// contents with escapes processed, implicit concatenation joined, and for
/// an f-string its literal text. It answers "maybe" when the contents of all
/// string literals, read in source order and joined, contain `TEXT`, or when
/// an escape sequence in a non-raw literal stands for one of `TEXT`'s
/// characters (`"\x2ftmp"`) or names a character (`\N{...}`). A backslash
/// that continues the line in a non-raw literal is left out of the joined
/// contents, as it is left out of the value. Joining every literal's contents covers implicit concatenation
/// (`"/t" "mp"`) and f-string literal text split by replacement fields.
pub(crate) const IN_STRING: &str = "<in string>";

/// Pseudo-word: a bidirectional control character (Trojan Source, see
/// [`crate::python::bidi`]) anywhere in the text, code and comments included.
pub(crate) const BIDI_CONTROL: &str = "<bidi control>";

/// The code-only copy of one file, reused between files by one thread.
#[derive(Default)]
pub(crate) struct CodeScan {
    code: Vec<u8>,
    /// The file as given, for [`IN_STRING`] and [`BIDI_CONTROL`].
    text: String,
    /// Where the scan found string contents (f-string replacement fields
    /// excluded), in source order.
    pieces: Vec<Piece>,
    /// Built from `pieces` when a rule first asks.
    contents: OnceCell<StringContents>,
    bidi: OnceCell<bool>,
    /// The scan lost track of strings: treat every question as "maybe".
    unsure: bool,
    /// `--strict-except`: any exception type counts for [`SWALLOWING_EXCEPT`],
    /// not only a bare clause or `Exception` / `BaseException`.
    strict_except: bool,
    /// Words already looked up in this file: rules share words (`load`),
    /// and a rule lists its rare module name in every group (`yaml`), so
    /// each word is searched for once per file.
    found: RefCell<Vec<(&'static str, bool)>>,
}

impl CodeScan {
    pub(crate) fn new(strict_except: bool) -> CodeScan {
        CodeScan { strict_except, ..CodeScan::default() }
    }

    pub(crate) fn scan(&mut self, src: &str) {
        self.code.clear();
        self.code.extend_from_slice(src.as_bytes());
        self.text.clear();
        self.text.push_str(src);
        self.pieces.clear();
        self.contents = OnceCell::new();
        self.bidi = OnceCell::new();
        self.unsure = blank_strings_and_comments(&mut self.code, &mut self.pieces).is_err() || !self.code.is_ascii();
        self.found.get_mut().clear();
    }

    /// Could a rule with these triggers match in the scanned file?
    pub(crate) fn may_match(&self, triggers: Triggers) -> bool {
        self.unsure || triggers.iter().any(|group| group.iter().all(|w| self.has(w)))
    }

    /// Is `word` (a trigger word, see [`Triggers`]) in the code? Each is
    /// answered once per file; a word with a condition (`load(`, `load as`)
    /// first asks whether the bare word occurs at all, which most files
    /// answer with one search shared by every form of that word.
    fn has(&self, word: &'static str) -> bool {
        if let Some(&(_, found)) = self.found.borrow().iter().find(|(w, _)| *w == word) {
            return found;
        }
        let found = if word == SWALLOWING_EXCEPT {
            has_swallowing_except(&self.code, self.strict_except)
        } else if word == BIDI_CONTROL {
            *self.bidi.get_or_init(|| has_bidi_control(&self.text))
        } else if let Some(text) = word.strip_prefix(IN_STRING) {
            self.contents.get_or_init(|| StringContents::new(self.text.as_bytes(), &self.pieces)).may_contain(text)
        } else if let Some((name, condition)) = Condition::of(word) {
            self.has(name) && find_words(&self.code, name).any(|at| condition.holds(&self.code, at, at + name.len()))
        } else {
            find_words(&self.code, word).next().is_some()
        };
        self.found.borrow_mut().push((word, found));
        found
    }
}

/// Where a trigger word's bare word must stand (see [`Triggers`]).
#[derive(Debug, Clone, Copy)]
enum Condition {
    /// `<not after .>name`, and `<not after .>name(` (`call`).
    NotAfterDot { call: bool },
    /// `name=True`
    AssignedTrue,
    /// `name(`
    Called,
    /// `name as`
    Aliased,
    /// `object.attribute`: the word is `object`.
    Attribute(&'static str),
}

impl Condition {
    /// The bare word of `word` and its condition; `None` for a plain word.
    fn of(word: &'static str) -> Option<(&'static str, Condition)> {
        if let Some(name) = word.strip_prefix(NOT_AFTER_DOT) {
            return Some(match name.strip_suffix('(') {
                Some(name) => (name, Condition::NotAfterDot { call: true }),
                None => (name, Condition::NotAfterDot { call: false }),
            });
        }
        if let Some(name) = word.strip_suffix("=True") {
            return Some((name, Condition::AssignedTrue));
        }
        if let Some(name) = word.strip_suffix('(') {
            return Some((name, Condition::Called));
        }
        if let Some(name) = word.strip_suffix(" as") {
            return Some((name, Condition::Aliased));
        }
        word.split_once('.').map(|(object, attribute)| (object, Condition::Attribute(attribute)))
    }

    /// Does the word at `start..end` of `code` meet the condition?
    fn holds(self, code: &[u8], start: usize, end: usize) -> bool {
        match self {
            Condition::NotAfterDot { call } => !after_dot(code, start) && (!call || next_code(code, end) == Some(b'(')),
            Condition::AssignedTrue => assigned_true(code, end),
            Condition::Called => next_code(code, end) == Some(b'('),
            Condition::Aliased => followed_by_word(code, end, b"as"),
            Condition::Attribute(attribute) => has_attribute(code, end, attribute),
        }
    }
}

/// The contents of one string literal, or of one stretch of an f-string's
/// literal text, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    range: Range<usize>,
    /// `r` prefix: backslashes are kept as written.
    raw: bool,
}

/// Every string literal's contents joined, and what their escapes may hide.
struct StringContents {
    joined: Vec<u8>,
    /// The ASCII characters an escape sequence in a non-raw literal stands for.
    escaped: [bool; 128],
    /// A `\N{...}` escape: any text.
    opaque: bool,
}

impl StringContents {
    fn new(text: &[u8], pieces: &[Piece]) -> StringContents {
        let mut contents = StringContents { joined: Vec::new(), escaped: [false; 128], opaque: false };
        for piece in pieces {
            let bytes = &text[piece.range.clone()];
            if piece.raw {
                contents.joined.extend_from_slice(bytes);
            } else {
                contents.join_continued(bytes);
                contents.read_escapes(bytes);
            }
        }
        contents
    }

    /// Appends a non-raw literal's contents without its line continuations:
    /// a backslash before a line break is no part of the value, so
    /// `"/t\<newline>mp"` holds `/tmp`. Other escapes are kept as written.
    fn join_continued(&mut self, bytes: &[u8]) {
        let mut from = 0;
        while let Some(found) = memchr::memchr(b'\\', &bytes[from..]) {
            let at = from + found;
            match bytes.get(at + 1) {
                Some(b'\n') => {
                    self.joined.extend_from_slice(&bytes[from..at]);
                    from = at + 2;
                }
                Some(b'\r') => {
                    self.joined.extend_from_slice(&bytes[from..at]);
                    from = at + if bytes.get(at + 2) == Some(&b'\n') { 3 } else { 2 };
                }
                Some(_) => {
                    self.joined.extend_from_slice(&bytes[from..at + 2]);
                    from = at + 2;
                }
                None => break,
            }
        }
        self.joined.extend_from_slice(&bytes[from..]);
    }

    fn read_escapes(&mut self, bytes: &[u8]) {
        let mut from = 0;
        while let Some(found) = memchr::memchr(b'\\', &bytes[from..]) {
            let at = from + found;
            let Some(&kind) = bytes.get(at + 1) else { return };
            from = at + 2;
            let hex = |len: usize| {
                let digits = bytes.get(at + 2..at + 2 + len)?;
                u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
            };
            let code = match kind {
                b'x' => hex(2),
                b'u' => hex(4),
                b'U' => hex(8),
                b'0'..=b'7' => {
                    let digits = bytes[at + 1..].iter().take(3).take_while(|b| matches!(b, b'0'..=b'7')).count();
                    from = at + 1 + digits;
                    std::str::from_utf8(&bytes[at + 1..from]).ok().and_then(|d| u32::from_str_radix(d, 8).ok())
                }
                b'N' => {
                    self.opaque = true;
                    None
                }
                b'a' => Some(0x07),
                b'b' => Some(0x08),
                b'f' => Some(0x0c),
                b'n' => Some(0x0a),
                b'r' => Some(0x0d),
                b't' => Some(0x09),
                b'v' => Some(0x0b),
                // `\\`, `\'`, `\"` stand for themselves; so does an unknown escape.
                other => Some(u32::from(other)),
            };
            if let Some(slot) = code.and_then(|c| usize::try_from(c).ok()).and_then(|c| self.escaped.get_mut(c)) {
                *slot = true;
            }
        }
    }

    fn may_contain(&self, text: &str) -> bool {
        self.opaque
            || text.bytes().any(|b| self.escaped.get(usize::from(b)).copied().unwrap_or(true))
            || memmem::find(&self.joined, text.as_bytes()).is_some()
    }
}

/// Does the text hold a Trojan Source control? In UTF-8 each starts with
/// byte `E2` (U+200F, U+202A-U+202E, U+2066-U+2069) or `D8` (U+061C), which
/// only ever start a character.
fn has_bidi_control(text: &str) -> bool {
    memchr::memchr2_iter(0xe2, 0xd8, text.as_bytes())
        .any(|at| text.get(at..).and_then(|rest| rest.chars().next()).is_some_and(bidi::is_trojan_source))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The first byte at or after `at` that is not a blank, a line break or a
/// line continuation.
fn next_code(code: &[u8], at: usize) -> Option<u8> {
    code.get(at..)?.iter().copied().find(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' | b'\\'))
}

/// Is `.attribute` next after `at` (blanks, line breaks and continuations
/// allowed around the dot)?
fn has_attribute(code: &[u8], at: usize, attribute: &str) -> bool {
    let skip = |from: usize| {
        code.get(from..)?
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' | b'\\'))
            .map(|p| from + p)
    };
    let Some(dot) = skip(at).filter(|&i| code[i] == b'.') else { return false };
    skip(dot + 1).is_some_and(|name| is_whole_word_at(code, name, attribute))
}

/// Does the whole word `word` start at `at`?
fn is_whole_word_at(code: &[u8], at: usize, word: &str) -> bool {
    let end = at + word.len();
    code[at..].starts_with(word.as_bytes()) && code.get(end).is_none_or(|&b| !is_ident_byte(b))
}

/// Is the word at `at` an attribute: is the last byte before it on its line,
/// past blanks, a `.` that is not part of `...`?
fn after_dot(code: &[u8], at: usize) -> bool {
    let before = &code[..at];
    let Some(end) = before.iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\x0c')) else { return false };
    before[end] == b'.' && (end == 0 || before[end - 1] != b'.')
}

/// Does `= True` follow `at` (blanks, line breaks and continuations allowed
/// around the `=`)?
fn assigned_true(code: &[u8], at: usize) -> bool {
    let skip = |from: usize| {
        code.get(from..)
            .and_then(|rest| rest.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' | b'\\')))
            .map(|p| from + p)
    };
    let Some(eq) = skip(at).filter(|&i| code[i] == b'=') else { return false };
    let Some(value) = skip(eq + 1) else { return false };
    code[value..].starts_with(b"True") && code.get(value + 4).is_none_or(|&b| !is_ident_byte(b))
}

/// Is the next word after `at` (past blanks) exactly `word`?
fn followed_by_word(code: &[u8], at: usize, word: &[u8]) -> bool {
    let Some(rest) = code.get(at..) else { return false };
    let start = rest.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\\')).unwrap_or(rest.len());
    let rest = &rest[start..];
    start > 0 && rest.starts_with(word) && rest.get(word.len()).is_none_or(|&b| !is_ident_byte(b))
}

/// Offsets where `word` occurs as a whole identifier or keyword.
pub(crate) fn find_words<'a>(code: &'a [u8], word: &'a str) -> impl Iterator<Item = usize> + 'a {
    memmem::find_iter(code, word.as_bytes()).filter(move |&at| {
        let end = at + word.len();
        (at == 0 || !is_ident_byte(code[at - 1])) && (end == code.len() || !is_ident_byte(code[end]))
    })
}

/// Blanks string and comment contents in place, recording where string
/// contents were. `Err` when a string never ends, meaning the scan cannot be
/// trusted for this file.
fn blank_strings_and_comments(code: &mut [u8], pieces: &mut Vec<Piece>) -> Result<(), ()> {
    let mut i = 0;
    while let Some(found) = memchr::memchr3(b'#', b'\'', b'"', &code[i..]) {
        let at = i + found;
        i = match code[at] {
            b'#' => blank_comment(code, at),
            quote => skip_string(code, pieces, at, quote, Prefix::of(code, at))?,
        };
    }
    Ok(())
}

fn blank_comment(code: &mut [u8], start: usize) -> usize {
    let end = memchr::memchr(b'\n', &code[start..]).map_or(code.len(), |n| start + n);
    blank(code, start, end);
    end
}

/// Replaces bytes with spaces, keeping line breaks.
fn blank(code: &mut [u8], start: usize, end: usize) {
    for b in &mut code[start..end] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// A string literal's prefix: the run of letters right before the quote,
/// which counts only when it is a real string prefix (`if'{'` is the
/// keyword `if` and a plain string).
#[derive(Debug, Clone, Copy, Default)]
struct Prefix {
    /// An f-string or t-string: replacement fields are code.
    formatted: bool,
    /// Backslashes are kept as written.
    raw: bool,
}

impl Prefix {
    fn of(code: &[u8], quote: usize) -> Prefix {
        let start = code[..quote].iter().rposition(|&b| !is_ident_byte(b)).map_or(0, |p| p + 1);
        let prefix = code[start..quote].to_ascii_lowercase();
        let prefix = prefix.as_slice();
        Prefix {
            formatted: matches!(prefix, b"f" | b"rf" | b"fr" | b"t" | b"rt" | b"tr"),
            raw: matches!(prefix, b"r" | b"rb" | b"br" | b"rf" | b"fr" | b"rt" | b"tr"),
        }
    }
}

/// Blanks string contents from `start` to `end`, recording them.
fn blank_contents(code: &mut [u8], pieces: &mut Vec<Piece>, start: usize, end: usize, raw: bool) {
    if start < end {
        pieces.push(Piece { range: start..end, raw });
    }
    blank(code, start, end);
}

/// Skips the string literal opening at `start`; returns the offset after it.
/// Plain contents are blanked; replacement fields of f-strings stay code.
fn skip_string(code: &mut [u8], pieces: &mut Vec<Piece>, start: usize, quote: u8, prefix: Prefix) -> Result<usize, ()> {
    let Prefix { formatted, raw } = prefix;
    let triple = code.len() >= start + 3 && code[start + 1] == quote && code[start + 2] == quote;
    let open = if triple { 3 } else { 1 };
    let mut i = start + open;
    let mut plain_from = i;
    loop {
        if !formatted {
            // Jump to the next byte that can end the string or escape one.
            i += memchr::memchr3(quote, b'\\', b'\n', code.get(i..).ok_or(())?).ok_or(())?;
        }
        let Some(&b) = code.get(i) else { return Err(()) };
        match b {
            // In an f-string `\{x}` is a backslash, then a replacement field.
            b'\\' if formatted && code.get(i + 1) == Some(&b'{') => i += 1,
            b'\\' => i += 2,
            b'\n' if !triple => return Err(()),
            b'{' if formatted && code.get(i + 1) == Some(&b'{') => i += 2,
            b'{' if formatted => {
                blank_contents(code, pieces, plain_from, i, raw);
                i = skip_replacement_field(code, pieces, i + 1, raw)?;
                plain_from = i;
            }
            _ if b == quote && (!triple || code[i..].starts_with(&[quote; 3])) => {
                blank_contents(code, pieces, plain_from, i, raw);
                return Ok(i + open);
            }
            _ => i += 1,
        }
    }
}

/// Skips an f-string replacement field's expression (left as code), then its
/// format spec (blanked, but nested fields are code); returns the offset
/// after the closing `}`. `raw`: the f-string's, which its format spec shares.
fn skip_replacement_field(code: &mut [u8], pieces: &mut Vec<Piece>, start: usize, raw: bool) -> Result<usize, ()> {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        let Some(&b) = code.get(i) else { return Err(()) };
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' if depth == 0 => return Ok(i + 1),
            b'}' => depth -= 1,
            b'\'' | b'"' => {
                i = skip_string(code, pieces, i, b, Prefix::of(code, i))?;
                continue;
            }
            b'#' => return Err(()),
            b':' if depth == 0 => return skip_format_spec(code, pieces, i + 1, raw),
            _ => {}
        }
        i += 1;
    }
}

fn skip_format_spec(code: &mut [u8], pieces: &mut Vec<Piece>, start: usize, raw: bool) -> Result<usize, ()> {
    let (mut i, mut plain_from) = (start, start);
    loop {
        match code.get(i) {
            None => return Err(()),
            Some(b'}') => {
                blank_contents(code, pieces, plain_from, i, raw);
                return Ok(i + 1);
            }
            Some(b'{') => {
                blank_contents(code, pieces, plain_from, i, raw);
                i = skip_replacement_field(code, pieces, i + 1, raw)?;
                plain_from = i;
            }
            Some(_) => i += 1,
        }
    }
}

/// Is there an `except` clause that is bare, or that names `Exception` or
/// `BaseException` (any type when `strict`) and whose body begins with
/// `pass`, `continue` or `...`? Every finding of the except rules has one.
fn has_swallowing_except(code: &[u8], strict: bool) -> bool {
    // `from builtins import Exception as E` lets any name be broad.
    let strict = strict || find_words(code, "builtins").next().is_some();
    find_words(code, "except").any(|at| {
        let Some(colon) = clause_colon(code, at + "except".len()) else { return true };
        let header = &code[at + "except".len()..colon];
        let bare = header.iter().all(|b| b.is_ascii_whitespace() || *b == b'\\');
        let broad = strict
            || find_words(header, "Exception").next().is_some()
            || find_words(header, "BaseException").next().is_some();
        bare || (broad && body_starts_with_swallow(&code[colon + 1..]))
    })
}

/// The `:` ending an except clause's header: the first at bracket depth 0.
fn clause_colon(code: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in code.iter().enumerate().skip(from) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b':' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

fn body_starts_with_swallow(rest: &[u8]) -> bool {
    let start = rest.iter().position(|b| !b.is_ascii_whitespace() && *b != b'\\').unwrap_or(rest.len());
    let body = &rest[start..];
    let word = |w: &[u8]| body.starts_with(w) && body.get(w.len()).is_none_or(|&b| !is_ident_byte(b));
    word(b"pass") || word(b"continue") || body.starts_with(b"...")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(src: &str) -> String {
        let mut scan = CodeScan::default();
        scan.scan(src);
        assert!(!scan.unsure, "unsure on {src:?}");
        String::from_utf8(scan.code).unwrap()
    }

    fn may(src: &str, triggers: Triggers) -> bool {
        let mut scan = CodeScan::default();
        scan.scan(src);
        scan.may_match(triggers)
    }

    #[test]
    fn words_found_in_one_file_are_forgotten_for_the_next() {
        let mut scan = CodeScan::default();
        let triggers: Triggers = &[&["yaml", "load"], &["yaml", "full_load"]];
        scan.scan("import yaml\nyaml.full_load(f)\n");
        assert!(scan.may_match(triggers));
        scan.scan("x = load(f)\n");
        assert!(!scan.may_match(triggers));
        scan.scan("import yaml\nyaml.load(f)\n");
        assert!(scan.may_match(triggers));
    }

    #[test]
    fn strings_and_comments_are_blanked() {
        assert_eq!(code_of("x = 'torch.load' # load\n"), "x = '          '       \n");
        assert_eq!(code_of("\"\"\"a\n>>> load(x)\n\"\"\"\ny\n"), "\"\"\" \n           \n\"\"\"\ny\n");
        assert_eq!(code_of("s = r'\\'' + load\n"), "s = r'  ' + load\n");
    }

    #[test]
    fn f_string_fields_stay_code() {
        assert_eq!(code_of("f'{torch.load(p)!r:>{w}} x'\n"), "f'{torch.load(p)!r: {w}}  '\n");
        assert_eq!(code_of("f\"{d[\"k\"]} load\"\n"), "f\"{d[\" \"]}     \"\n");
        assert_eq!(code_of("f'{{load}}'\n"), "f'        '\n");
    }

    #[test]
    fn whole_words_in_code_only() {
        let torch_load: Triggers = &[&["torch", "load"]];
        assert!(may("import torch\ntorch.load(p)\n", torch_load));
        assert!(!may("import torch\nm.load_state_dict(p)\n", torch_load));
        assert!(!may("import torch\n\"\"\"torch.load(p)\"\"\"\n", torch_load));
        assert!(!may("x = 1  # torch.load\n", torch_load));
    }

    #[test]
    fn swallowing_except_clauses() {
        let t: Triggers = &[&[SWALLOWING_EXCEPT]];
        assert!(may("try:\n    f()\nexcept:\n    log()\n", t));
        assert!(may("try:\n    f()\nexcept (A, Exception) as e:  # why\n    pass\n", t));
        assert!(may("try:\n    f()\nexcept Exception: continue\n", t));
        assert!(may("try:\n    f()\nexcept Exception:\n    ...\n", t));
        assert!(!may("try:\n    f()\nexcept ImportError:\n    x = None\n", t));
        assert!(!may("try:\n    f()\nexcept ImportError:\n    pass\n", t));
        assert!(may("try:\n    f()\nexcept builtins.Exception:\n    pass\n", t));
        let mut strict = CodeScan::new(true);
        strict.scan("try:\n    f()\nexcept ImportError:\n    pass\n");
        assert!(strict.may_match(t));
        assert!(!may("s = 'except: pass'\n", t));
    }

    #[test]
    fn only_real_prefixes_make_f_strings() {
        let torch_load: Triggers = &[&["torch", "load"]];
        assert!(may("import torch\nif'{' in 'x': torch.load('m.pt'); y = '}'\n", torch_load));
        assert!(may("import torch\nprint(rf\"\\{torch.load('m.pt')}\")\n", torch_load));
        assert!(may("import torch\nprint(f\"\\{torch.load('m.pt')}\")\n", torch_load));
        assert!(!may("import torch\nprint(r'\\{torch.load(p)}')\n", torch_load));
    }

    #[test]
    fn builtins_aliases_count_as_broad() {
        let t: Triggers = &[&[SWALLOWING_EXCEPT]];
        assert!(may("from builtins import Exception as E\ntry:\n    f()\nexcept E:\n    pass\n", t));
    }

    #[test]
    fn calls_and_aliases() {
        let save: Triggers = &[&["torch", "save("], &["torch", "save as"]];
        assert!(may("import torch\ntorch.save (\n  x, p)\n", save));
        assert!(may("from torch import save as keep\nkeep(x, p)\n", save));
        assert!(!may("import torch\nsaved = self.save\n", save));
        assert!(!may("import torch\n# torch.save(x)\n", save));
    }

    #[test]
    fn attributes_spelled_out() {
        let t: Triggers = &[&["torch.load"]];
        assert!(may("x = torch.load(p)\n", t));
        assert!(may("x = torch . load(p)\n", t));
        assert!(may("x = (torch\n    .load)(p)\n", t));
        assert!(may("x = torch.\\\n  load(p)\n", t));
        assert!(!may("x = torch.loads(p)\n", t));
        assert!(!may("x = mytorch.load(p)\n", t));
        assert!(!may("x = torch.nn.load(p)\n", t));
        assert!(!may("x = 'torch.load(p)'  # torch.load\n", t));
        let bare: Triggers = &[&["<not after .>load("]];
        assert!(may("y = load (p)\n", bare));
        assert!(!may("y = json.load(p)\n", bare));
        assert!(!may("y = load\n", bare));
    }

    #[test]
    fn names_not_after_a_dot() {
        let eval: Triggers = &[&["<not after .>eval"], &["builtins", "eval"]];
        assert!(may("x = eval(s)\n", eval));
        assert!(may("from builtins import eval as e\n", eval));
        assert!(may("import builtins\nbuiltins.eval(s)\n", eval));
        assert!(may("import builtins as b\nb . eval(s)\n", eval));
        assert!(may("def f(): ...\neval(s)\n", eval));
        assert!(may("x = [...,eval(s)]\n", eval));
        assert!(may("x = 1.\\\neval(s)\n", eval));
        assert!(may("y = '.'; eval(s)\n", eval));
        assert!(!may("model.eval()\n", eval));
        assert!(!may("model . eval()\n", eval));
        assert!(!may("m = (model\n     .eval())\n", &[&["<not after .>eval"]]));
        assert!(!may("x = 'eval(s)'  # eval\n", eval));
    }

    #[test]
    fn keywords_given_true() {
        let t: Triggers = &[&["trust_remote_code=True"]];
        assert!(may("f(m, trust_remote_code=True)\n", t));
        assert!(may("f(m, trust_remote_code = \\\n  True)\n", t));
        assert!(may("f(m, trust_remote_code=  # why\n  True,\n)\n", t));
        assert!(!may("f(m, trust_remote_code=trust_remote_code)\n", t));
        assert!(!may("f(m, trust_remote_code=Truthy)\n", t));
        assert!(!may("f(m, trust_remote_code=False)  # trust_remote_code=True\n", t));
    }

    #[test]
    fn string_contents_as_values() {
        let tmp: Triggers = &[&["<in string>/tmp"]];
        assert!(may("x = '/tmp/a'\n", tmp));
        assert!(may("x = ('/t'  # why\n     'mp')\n", tmp));
        assert!(may("x = f'{y}/tmp'\n", tmp));
        assert!(may("x = f'{y:/tmp}'\n", tmp));
        assert!(may("x = '\\x2ftmp'\n", tmp));
        assert!(may("x = '\\57tmp'\n", tmp));
        assert!(may("x = '/\\u0074mp'\n", tmp));
        assert!(may("x = '/t\\\nmp'\n", tmp));
        assert!(may("x = '\\N{SOLIDUS}tmp'\n", tmp));
        assert!(!may("x = r'\\x2ftmp'\n", tmp));
        assert!(!may("tmp = f'{tmp}' + '/' # /tmp\n", tmp));
        assert!(!may("x = '\\x00\\n\\033[0m'\n", tmp));
        assert!(!may("x = '/tm' + 'p'\n", &[&["<in string>/tmp/"]]));
        assert!(may("x = '''/t\\\r\nmp'''\n", tmp));
        assert!(!may("x = '''a\\\nb'''\n", tmp));
        assert!(!may("x = '''a\\\\\nb'''\n", &[&["<in string>ab"]]));
        assert!(may("x = r'''a\\\nb'''\n", &[&["<in string>a\\\nb"]]));
    }

    #[test]
    fn bidi_controls_anywhere() {
        let bidi: Triggers = &[&[BIDI_CONTROL]];
        assert!(may("x = 1  # \u{202e}\n", bidi));
        assert!(may("x = 'a\u{2066}'\n", bidi));
        assert!(may("x = '\u{061c}'\n", bidi));
        assert!(!may("x = '\\u202e'  # \u{200e} \u{2018}\u{2014} \u{05d0}\n", bidi));
    }

    /// Whenever CPython finds a text in a string literal's value (any `str`
    /// constant of the AST, f-string literal parts included), the prefilter
    /// must say "maybe".
    #[test]
    fn in_string_never_misses_what_python_reads() {
        let fragments = [
            "/",
            "t",
            "m",
            "p",
            "mp",
            "/t",
            "/tm",
            "/tmp",
            "tmp",
            "\\x2f",
            "\\x74",
            "\\164",
            "\\57",
            "\\u006d",
            "\\U00000070",
            "\\\n",
            "\\N{SOLIDUS}",
            "{x}",
            "{x:/t}",
            "{{",
            "\\\\",
            " ",
            "\\n",
            "\\'",
            "\\x2F",
        ];
        let prefixes = ["", "r", "f", "rf", "u", "b"];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut sources = Vec::new();
        for _ in 0..3000 {
            let mut expr = String::new();
            for part in 0..=(next() % 3) {
                let prefix = prefixes[(next() % prefixes.len() as u64) as usize];
                let quote = if next() % 4 == 0 { "'''" } else { "'" };
                let mut body = String::new();
                for _ in 0..(next() % 6) {
                    body.push_str(fragments[(next() % fragments.len() as u64) as usize]);
                }
                if part > 0 {
                    expr.push(' ');
                }
                expr.push_str(&format!("{prefix}{quote}{body}{quote}"));
            }
            sources.push(format!("x = 1\ny = ({expr})\n"));
        }
        let script = r#"
import ast, json, sys, warnings
warnings.simplefilter("ignore")
out = []
for src in json.load(sys.stdin):
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        out.append(None)
        continue
    out.append(any(isinstance(n, ast.Constant) and isinstance(n.value, str) and "/tmp" in n.value
                   for n in ast.walk(tree)))
print(json.dumps(out))
"#;
        let python = std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = std::process::Command::new(&python)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {python}: {e}"));
        use std::io::Write;
        child.stdin.take().unwrap().write_all(serde_json::to_string(&sources).unwrap().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let contains: Vec<Option<bool>> = serde_json::from_slice(&out.stdout).unwrap();
        let tmp: Triggers = &[&["<in string>/tmp"]];
        let (mut found, mut skipped) = (0, 0);
        for (src, contains) in sources.iter().zip(contains) {
            let maybe = may(src, tmp);
            if contains == Some(true) {
                assert!(maybe, "missed: {src:?}");
                found += 1;
            } else if contains == Some(false) && !maybe {
                skipped += 1;
            }
        }
        assert!(found > 100 && skipped > 500, "{found} found, {skipped} skipped");
    }

    #[test]
    fn unterminated_strings_make_the_scan_unsure() {
        assert!(may("x = 'oops\n", &[&["nothing_here"]]));
    }

    #[test]
    fn non_ascii_identifiers_make_the_scan_unsure() {
        assert!(may("import torch\nx = torch.\u{1d425}\u{1d428}\u{1d41a}\u{1d41d}(p)\n", &[&["load("]]));
        assert!(!may("import torch\nx = 'd\u{e9}j\u{e0}'  # \u{e9}\n", &[&["load("]]));
    }
}
