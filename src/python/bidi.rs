//! Trojan Source (CVE-2021-42574): Unicode bidirectional control characters
//! that make an editor show code in an order other than the one Python reads.
//! Bandit's B613 looks for ten of them; this module finds the same ten, with
//! positions, over decoded text.
//!
//! Two views of the same text:
//! - [`find_all`] lists every occurrence, with lines counted at `\n` and
//!   1-based character columns, as this project locates all its findings;
//! - [`bandit_first`] gives the one finding Bandit reports for a file, on
//!   Bandit's line numbering (Python's `str.splitlines`, which also breaks at
//!   `\r`, form feed, vertical tab, `\x1c`-`\x1e`, NEL and U+2028/U+2029), at
//!   the column Bandit gives (1-based).

/// The characters B613 flags, in the order Bandit tries them on a line.
/// U+200E (LEFT-TO-RIGHT MARK) and U+061C (ARABIC LETTER MARK) are not among
/// them.
#[cfg(test)]
pub(crate) const BIDI_CONTROLS: [char; 10] = [
    '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    '\u{200f}',
];

/// Whether `c` is one of [`BIDI_CONTROLS`].
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200f}')
}

/// U+061C ARABIC LETTER MARK: invisible, and it changes the direction of
/// neutral text around it like U+200F does. Not one of Bandit's ten; ruff's
/// PLE2502 flags it.
pub(crate) const ARABIC_LETTER_MARK: char = '\u{061c}';

/// The characters the `trojan-source` rule reports: Bandit's ten and
/// [`ARABIC_LETTER_MARK`].
pub(crate) fn is_trojan_source(c: char) -> bool {
    is_bidi_control(c) || c == ARABIC_LETTER_MARK
}

/// The Unicode name of a bidirectional control character, `None` for any
/// other character.
pub(crate) fn name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202a}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202b}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202c}' => "POP DIRECTIONAL FORMATTING",
        '\u{202d}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202e}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{200f}' => "RIGHT-TO-LEFT MARK",
        _ => return None,
    })
}

/// One bidirectional control character in a text.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BidiChar {
    pub(crate) ch: char,
    /// Byte offset in the text.
    pub(crate) offset: usize,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, in characters (not bytes) from the start of the line.
    pub(crate) column: usize,
}

#[cfg(test)]
impl BidiChar {
    /// `U+202E`, the way messages name it.
    pub(crate) fn code_point(&self) -> String {
        format!("U+{:04X}", u32::from(self.ch))
    }

    /// Its Unicode name.
    pub(crate) fn name(&self) -> &'static str {
        name(self.ch).unwrap_or("UNKNOWN")
    }
}

/// Every bidirectional control character in `text`, in order. Lines end at
/// `\n` only (a `\r\n` file counts the same; a lone `\r` does not end a line).
#[cfg(test)]
pub(crate) fn find_all(text: &str) -> Vec<BidiChar> {
    let mut found = Vec::new();
    let mut line = 1;
    let mut column = 1;
    for (offset, ch) in text.char_indices() {
        if is_bidi_control(ch) {
            found.push(BidiChar { ch, offset, line, column });
        }
        if ch == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    found
}

/// Whether Python's `str.splitlines` ends a line at `c`. `\r\n` is one break.
#[cfg(test)]
fn is_python_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The single B613 finding Bandit reports for `text`, if any: the first line
/// (as `str.splitlines` counts them) holding a bidirectional control, and on
/// it the first of [`BIDI_CONTROLS`] *in that list's order* that the line
/// holds (not the leftmost one), at its first occurrence.
#[cfg(test)]
pub(crate) fn bandit_first(text: &str) -> Option<BidiChar> {
    let mut line = 1;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    loop {
        // The line runs from `start` to the next break or the end.
        let mut end = text.len();
        let mut next_start = None;
        while let Some((i, c)) = chars.next() {
            if is_python_line_break(c) {
                end = i;
                let mut after = i + c.len_utf8();
                if c == '\r' {
                    if let Some(&(j, '\n')) = chars.peek() {
                        chars.next();
                        after = j + 1;
                    }
                }
                next_start = Some(after);
                break;
            }
        }
        let content = &text[start..end];
        if let Some(found) = first_on_line(content) {
            let (at, ch) = found;
            let column = content[..at].chars().count() + 1;
            return Some(BidiChar { ch, offset: start + at, line, column });
        }
        match next_start {
            Some(s) if s < text.len() => {
                start = s;
                line += 1;
            }
            _ => return None,
        }
    }
}

/// Bandit's choice on one line: the first control in list order that occurs,
/// at its first occurrence.
#[cfg(test)]
fn first_on_line(line: &str) -> Option<(usize, char)> {
    if !line.chars().any(is_bidi_control) {
        return None;
    }
    BIDI_CONTROLS.iter().find_map(|&c| line.find(c).map(|at| (at, c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_banditss_ten() {
        for c in BIDI_CONTROLS {
            assert!(is_bidi_control(c));
            assert!(name(c).is_some());
        }
        let all = (0..=0x10ffff).filter_map(char::from_u32).filter(|&c| is_bidi_control(c)).count();
        assert_eq!(all, 10);
        for other in ['\u{200e}', '\u{061c}', '\u{200b}', '\u{feff}', 'a'] {
            assert!(!is_bidi_control(other), "{other:?}");
            assert_eq!(name(other), None);
        }
    }

    #[test]
    fn finds_every_occurrence_with_character_columns() {
        let text = "x = 1\n# é\u{202e}ab\u{2066}\r\ns = 'ü\u{200f}'\n";
        let found = find_all(text);
        let got: Vec<(char, usize, usize)> = found.iter().map(|b| (b.ch, b.line, b.column)).collect();
        assert_eq!(got, [('\u{202e}', 2, 4), ('\u{2066}', 2, 7), ('\u{200f}', 3, 7)]);
        for b in &found {
            assert_eq!(text[b.offset..].chars().next(), Some(b.ch));
        }
        assert_eq!(found[0].code_point(), "U+202E");
        assert_eq!(found[0].name(), "RIGHT-TO-LEFT OVERRIDE");
        assert!(find_all("plain ascii\nand \u{200e} an LRM\n").is_empty());
        assert!(bandit_first("plain\n").is_none());
        assert!(bandit_first("").is_none());
    }

    #[test]
    fn bandit_picks_by_list_order_not_by_column() {
        // U+2066 comes first on the line, but U+202E comes first in the list.
        let text = "a\n b\u{2066}c\u{202e}d\u{202e}\n\u{202a}\n";
        let b = bandit_first(text).unwrap();
        assert_eq!((b.ch, b.line, b.column), ('\u{202e}', 2, 5));
        assert_eq!(text[b.offset..].chars().next(), Some('\u{202e}'));
    }

    #[test]
    fn bandit_counts_lines_as_splitlines_does() {
        // A form feed, a lone CR, a CRLF, NEL and LINE SEPARATOR all end lines
        // for `str.splitlines`; only the CRLF's `\n` does for `find_all`.
        let text = "a\u{c}b\rc\r\nd\u{85}e\u{2028}f\u{2029}\u{202b}x\n";
        let b = bandit_first(text).unwrap();
        assert_eq!((b.ch, b.line, b.column), ('\u{202b}', 7, 1));
        let all = find_all(text);
        assert_eq!((all[0].line, all[0].column), (2, 7));
        // A trailing break does not start another line.
        assert_eq!(bandit_first("\u{202e}\r\n").unwrap().line, 1);
        assert_eq!(bandit_first("\r\n\r\n\u{202e}").unwrap().line, 3);
    }

    /// `bandit_first` against Python itself: `str.splitlines` and `str.index`
    /// on generated texts.
    #[test]
    fn bandit_first_matches_python() {
        let alphabet = [
            "a", "é", "\n", "\r", "\r\n", "\u{c}", "\u{b}", "\u{85}", "\u{2028}", "\u{1d}", "\u{202a}", "\u{202e}",
            "\u{2066}", "\u{2069}", "\u{200f}", "\u{200e}", " ",
        ];
        let mut state: u64 = 0x853c_49e6_748f_ea9b;
        let mut texts = Vec::new();
        for _ in 0..400 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for k in 0..(state % 14) {
                let r = state.rotate_left((k * 5) as u32) ^ (k * 0x9e37_79b9);
                s.push_str(alphabet[(r % alphabet.len() as u64) as usize]);
            }
            texts.push(s);
        }
        let script = r#"
import json, sys
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200f"
out = []
for text in json.load(sys.stdin):
    hit = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        for ch in CONTROLS:
            if ch in line:
                hit = [ch, lineno, line.index(ch) + 1]
                break
        if hit:
            break
    out.append(hit)
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
        child.stdin.take().unwrap().write_all(serde_json::to_string(&texts).unwrap().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let want: Vec<Option<(char, usize, usize)>> = serde_json::from_slice(&out.stdout).unwrap();
        let mut hits = 0;
        for (text, want) in texts.iter().zip(want) {
            let got = bandit_first(text).map(|b| (b.ch, b.line, b.column));
            assert_eq!(got, want, "{text:?}");
            hits += usize::from(got.is_some());
        }
        assert!(hits > 100, "only {hits} texts hold a control");
    }
}
