//! A cheap pass that decides, before parsing, whether a rule can possibly
//! match in a file. Most of a large ML codebase mentions `from_pretrained`
//! or `torch.load` only in docstrings; parsing those files is the bulk of
//! the work and can never produce a finding.
//!
//! The scan copies the source with the contents of strings and comments
//! replaced by blanks (newlines kept), so that a search in the copy sees
//! only code. Replacement fields of f-strings stay code. Whenever the scan
//! is unsure (an unterminated string), it answers "maybe", and the file is
//! parsed: the prefilter may only ever skip work, never findings.

use std::cell::RefCell;

use memchr::memmem;

/// Words a rule needs in code: the rule can match only if, for at least one
/// group, every word of the group occurs as a whole word outside strings and
/// comments. `name(` stands for the word followed by an opening parenthesis
/// (a call, blanks and line breaks allowed between), `name as` for the word
/// followed by `as` (an aliased import). The pseudo-word
/// [`SWALLOWING_EXCEPT`] stands for an except clause that is bare or whose
/// body begins with `pass`, `continue` or `...`.
pub type Triggers = &'static [&'static [&'static str]];

pub const SWALLOWING_EXCEPT: &str = "<except: pass>";

/// The code-only copy of one file, reused between files by one thread.
#[derive(Default)]
pub struct CodeScan {
    code: Vec<u8>,
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
    pub fn new(strict_except: bool) -> CodeScan {
        CodeScan { strict_except, ..CodeScan::default() }
    }

    pub fn scan(&mut self, src: &str) {
        self.code.clear();
        self.code.extend_from_slice(src.as_bytes());
        self.unsure = blank_strings_and_comments(&mut self.code).is_err();
        self.found.get_mut().clear();
    }

    /// Could a rule with these triggers match in the scanned file?
    pub fn may_match(&self, triggers: Triggers) -> bool {
        self.unsure || triggers.iter().any(|group| group.iter().all(|w| self.has(w)))
    }

    fn has(&self, word: &'static str) -> bool {
        if let Some(&(_, found)) = self.found.borrow().iter().find(|(w, _)| *w == word) {
            return found;
        }
        let found = if word == SWALLOWING_EXCEPT {
            has_swallowing_except(&self.code, self.strict_except)
        } else if let Some(name) = word.strip_suffix('(') {
            find_words(&self.code, name).any(|at| next_code(&self.code, at + name.len()) == Some(b'('))
        } else if let Some(name) = word.strip_suffix(" as") {
            find_words(&self.code, name).any(|at| followed_by_word(&self.code, at + name.len(), b"as"))
        } else {
            find_words(&self.code, word).next().is_some()
        };
        self.found.borrow_mut().push((word, found));
        found
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The first byte at or after `at` that is not a blank, a line break or a
/// line continuation.
fn next_code(code: &[u8], at: usize) -> Option<u8> {
    code.get(at..)?.iter().copied().find(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' | b'\\'))
}

/// Is the next word after `at` (past blanks) exactly `word`?
fn followed_by_word(code: &[u8], at: usize, word: &[u8]) -> bool {
    let Some(rest) = code.get(at..) else { return false };
    let start = rest.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\\')).unwrap_or(rest.len());
    let rest = &rest[start..];
    start > 0 && rest.starts_with(word) && rest.get(word.len()).is_none_or(|&b| !is_ident_byte(b))
}

/// Offsets where `word` occurs as a whole identifier or keyword.
pub fn find_words<'a>(code: &'a [u8], word: &'a str) -> impl Iterator<Item = usize> + 'a {
    memmem::find_iter(code, word.as_bytes()).filter(move |&at| {
        let end = at + word.len();
        (at == 0 || !is_ident_byte(code[at - 1])) && (end == code.len() || !is_ident_byte(code[end]))
    })
}

/// Blanks string and comment contents in place. `Err` when a string never
/// ends, meaning the scan cannot be trusted for this file.
fn blank_strings_and_comments(code: &mut [u8]) -> Result<(), ()> {
    let mut i = 0;
    while let Some(found) = memchr::memchr3(b'#', b'\'', b'"', &code[i..]) {
        let at = i + found;
        i = match code[at] {
            b'#' => blank_comment(code, at),
            quote => {
                let formatted = has_format_prefix(code, at);
                skip_string(code, at, quote, formatted)?
            }
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

/// Is the string starting at `quote` an f-string or t-string? Its prefix is
/// the run of letters right before the quote, and counts only when it is a
/// real string prefix: `if'{'` is the keyword `if` and a plain string.
fn has_format_prefix(code: &[u8], quote: usize) -> bool {
    let start = code[..quote].iter().rposition(|&b| !is_ident_byte(b)).map_or(0, |p| p + 1);
    let prefix = code[start..quote].to_ascii_lowercase();
    matches!(prefix.as_slice(), b"f" | b"rf" | b"fr" | b"t" | b"rt" | b"tr")
}

/// Skips the string literal opening at `start`; returns the offset after it.
/// Plain contents are blanked; replacement fields of f-strings stay code.
fn skip_string(code: &mut [u8], start: usize, quote: u8, formatted: bool) -> Result<usize, ()> {
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
                blank(code, plain_from, i);
                i = skip_replacement_field(code, i + 1)?;
                plain_from = i;
            }
            _ if b == quote && (!triple || code[i..].starts_with(&[quote; 3])) => {
                blank(code, plain_from, i);
                return Ok(i + open);
            }
            _ => i += 1,
        }
    }
}

/// Skips an f-string replacement field's expression (left as code), then its
/// format spec (blanked, but nested fields are code); returns the offset
/// after the closing `}`.
fn skip_replacement_field(code: &mut [u8], start: usize) -> Result<usize, ()> {
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
                let formatted = has_format_prefix(code, i);
                i = skip_string(code, i, b, formatted)?;
                continue;
            }
            b'#' => return Err(()),
            b':' if depth == 0 => return skip_format_spec(code, i + 1),
            _ => {}
        }
        i += 1;
    }
}

fn skip_format_spec(code: &mut [u8], start: usize) -> Result<usize, ()> {
    let (mut i, mut plain_from) = (start, start);
    loop {
        match code.get(i) {
            None => return Err(()),
            Some(b'}') => {
                blank(code, plain_from, i);
                return Ok(i + 1);
            }
            Some(b'{') => {
                blank(code, plain_from, i);
                i = skip_replacement_field(code, i + 1)?;
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
    fn unterminated_strings_make_the_scan_unsure() {
        assert!(may("x = 'oops\n", &[&["nothing_here"]]));
    }
}
