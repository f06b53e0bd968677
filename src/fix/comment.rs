//! Suppression directives added at the end of a line: which lines can take
//! a trailing comment at all (not one that ends inside a string, nor one
//! continued by a backslash), and the edit that adds `# nosec`,
//! `# remediate: ignore[...]` and `# noqa` codes to a line. Codes are merged
//! into the directives the line's comment already holds rather than added
//! as a second directive: Bandit reads only the first `# nosec` of a line,
//! so `# nosec B113  # nosec B614` would leave B614 reported.

use std::ops::Range;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::Ranged;

use crate::fix::edit::Edit;
use crate::python::lines::LineIndex;
use crate::python::suppress::{locate_directives, Directive, LocatedDirective};

/// How one line ends, for a comment added after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineEnd {
    /// Code, then the line ending: a comment replaces the blanks between
    /// `code_end` and `line_end`.
    Code { code_end: usize, line_end: usize },
    /// A comment already ends the line, at these bytes (trailing blanks excluded).
    Comment(Range<usize>),
    /// No comment can go at the end of this line.
    Closed(Closed),
}

/// Why a line cannot end in a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// Its line ending is inside a string (triple-quoted, or an f-string
    /// spanning lines): a `#` there would be part of the string.
    InString,
    /// It ends with a backslash that joins it to the next line.
    Continuation,
}

impl Closed {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Closed::InString => "ends inside a multi-line string",
            Closed::Continuation => "ends with a line-continuation backslash",
        }
    }
}

/// How every line of a file ends, and which lines form one statement
/// (a logical line), from the CPython-faithful token stream.
#[derive(Debug)]
pub(crate) struct LineEnds {
    ends: Vec<LineEnd>,
    /// The first and last rows of each logical line, in order.
    logical: Vec<(usize, usize)>,
}

impl LineEnds {
    pub(crate) fn new(tokens: &Tokens, lines: &LineIndex<'_>) -> LineEnds {
        let text = lines.text();
        let rows = lines.row(text.len()) + 1;
        let mut ends: Vec<Option<LineEnd>> = vec![None; rows];
        for span in string_spans(tokens) {
            let (first, last) = (lines.row(span.start), lines.row(span.end));
            for end in &mut ends[first..last] {
                *end = Some(LineEnd::Closed(Closed::InString));
            }
        }
        for token in tokens.iter().filter(|t| t.kind() == TokenKind::Comment) {
            let range = token.start().to_usize()..token.end().to_usize();
            let trimmed = range.start + text[range.clone()].trim_end().len();
            ends[lines.row(range.start)] = Some(LineEnd::Comment(range.start..trimmed));
        }
        let ends = ends.into_iter().enumerate().map(|(row, end)| end.unwrap_or_else(|| code_end(lines, row))).collect();
        LineEnds { ends, logical: logical_lines(tokens, lines) }
    }

    /// How 0-based line `row` ends.
    pub(crate) fn get(&self, row: usize) -> Option<&LineEnd> {
        self.ends.get(row)
    }

    /// The first row of the statement (logical line) that holds `row`.
    pub(crate) fn statement_start(&self, row: usize) -> usize {
        let i = self.logical.partition_point(|&(first, _)| first <= row);
        match i.checked_sub(1).map(|i| self.logical[i]) {
            Some((first, last)) if row <= last => first,
            _ => row,
        }
    }
}

/// The byte ranges of string literals, f-strings and t-strings (from their
/// opening quote to their closing one).
fn string_spans(tokens: &Tokens) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for token in tokens.iter() {
        let range = token.start().to_usize()..token.end().to_usize();
        match token.kind() {
            TokenKind::String => spans.push(range),
            TokenKind::FStringStart | TokenKind::TStringStart => open.push(range.start),
            TokenKind::FStringEnd | TokenKind::TStringEnd => {
                if let Some(start) = open.pop() {
                    spans.push(start..range.end);
                }
            }
            _ => {}
        }
    }
    spans
}

/// A line without a comment and not inside a string: where its code ends,
/// or closed when a backslash continues it.
fn code_end(lines: &LineIndex<'_>, row: usize) -> LineEnd {
    let text = lines.text();
    let start = lines.line_start(row);
    let next = lines.line_start(row + 1).min(text.len());
    let line_end = start + text[start..next].trim_end_matches(['\n', '\r']).len();
    let code = text[start..line_end].trim_end_matches([' ', '\t', '\x0c']);
    if code.ends_with('\\') {
        return LineEnd::Closed(Closed::Continuation);
    }
    LineEnd::Code { code_end: start + code.len(), line_end }
}

/// The rows each logical line spans: from its first token to the
/// `Newline` token that ends it.
fn logical_lines(tokens: &Tokens, lines: &LineIndex<'_>) -> Vec<(usize, usize)> {
    let mut logical = Vec::new();
    let mut first: Option<usize> = None;
    for token in tokens.iter() {
        match token.kind() {
            TokenKind::Newline => {
                if let Some(first) = first.take() {
                    logical.push((first, lines.row(token.start().to_usize())));
                }
            }
            TokenKind::NonLogicalNewline | TokenKind::Comment | TokenKind::Indent | TokenKind::Dedent => {}
            _ => {
                first.get_or_insert(lines.row(token.start().to_usize()));
            }
        }
    }
    logical
}

/// The codes one line's comment must gain, per directive.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Additions {
    /// Bandit test ids, for `# nosec`.
    pub(crate) nosec: Vec<&'static str>,
    /// Our rule ids, for `# remediate: ignore[...]`.
    pub(crate) ignore: Vec<&'static str>,
    /// ruff codes, for `# noqa:`.
    pub(crate) noqa: Vec<&'static str>,
}

/// The three kinds of directive, each with the syntax of a new one.
#[derive(Debug, Clone, Copy)]
enum Family {
    Nosec,
    Ignore,
    Noqa,
}

impl Family {
    /// Covers every code of its tool (`# nosec`, `# noqa`, `# remediate: ignore`).
    fn covers_all(self, d: &Directive) -> bool {
        matches!(
            (self, d),
            (Family::Nosec, Directive::NosecAll)
                | (Family::Ignore, Directive::IgnoreAll)
                | (Family::Noqa, Directive::NoqaAll)
        )
    }

    fn lists(self, d: &Directive) -> Option<&[String]> {
        match (self, d) {
            (Family::Nosec, Directive::Nosec(codes))
            | (Family::Ignore, Directive::Ignore(codes))
            | (Family::Noqa, Directive::Noqa(codes)) => Some(codes),
            _ => None,
        }
    }

    fn new_directive(self, codes: &[&str]) -> String {
        let list = codes.join(", ");
        match self {
            Family::Nosec => format!("# nosec {list}"),
            Family::Ignore => format!("# remediate: ignore[{list}]"),
            Family::Noqa => format!("# noqa: {list}"),
        }
    }
}

/// The edit that gives line `end` (of `text`) the `additions` and, when it
/// adds anything, `# reason`; `None` when the line's comment already has
/// them all or the line cannot take a comment.
pub(crate) fn add_directives(text: &str, end: &LineEnd, additions: &Additions, reason: &str) -> Option<Edit> {
    match end {
        LineEnd::Closed(_) => None,
        LineEnd::Code { code_end, line_end } => {
            let mut tail = String::new();
            for (family, codes) in families(additions) {
                if !codes.is_empty() {
                    tail += &format!("  {}", family.new_directive(codes));
                }
            }
            (!tail.is_empty()).then(|| Edit::replace(*code_end..*line_end, tail + &reason_comment(reason)))
        }
        LineEnd::Comment(range) => {
            let comment = &text[range.clone()];
            let merged = merged_comment(comment, additions, reason)?;
            Some(Edit::replace(range.clone(), merged))
        }
    }
}

fn families(additions: &Additions) -> [(Family, &[&'static str]); 3] {
    [(Family::Nosec, &additions.nosec), (Family::Ignore, &additions.ignore), (Family::Noqa, &additions.noqa)]
}

/// `comment` with the codes it lacks: merged into the first directive of
/// their kind that lists codes, else added as a new directive at its end.
fn merged_comment(comment: &str, additions: &Additions, reason: &str) -> Option<String> {
    let found = locate_directives(comment);
    let mut inserts: Vec<(usize, String)> = Vec::new();
    let mut tail = String::new();
    for (family, codes) in families(additions) {
        if found.iter().any(|d| family.covers_all(&d.directive)) {
            continue;
        }
        let target = found.iter().find(|d| family.lists(&d.directive).is_some() && d.list_end.is_some());
        let missing: Vec<&str> = codes.iter().copied().filter(|c| !listed(target, family, c)).collect();
        if missing.is_empty() {
            continue;
        }
        match target.and_then(|d| d.list_end) {
            Some(at) => inserts.push((at, format!(", {}", missing.join(", ")))),
            None => tail += &format!("  {}", family.new_directive(&missing)),
        }
    }
    if inserts.is_empty() && tail.is_empty() {
        return None;
    }
    inserts.sort();
    let mut out = String::with_capacity(comment.len() + 64);
    let mut cursor = 0;
    for (at, text) in inserts {
        out += &comment[cursor..at];
        out += &text;
        cursor = at;
    }
    out += &comment[cursor..];
    out += &tail;
    if !comment.contains(&format!("# {reason}")) {
        out += &reason_comment(reason);
    }
    Some(out)
}

/// Does the directive `target` already list `code`?
fn listed(target: Option<&LocatedDirective>, family: Family, code: &str) -> bool {
    target
        .and_then(|d| family.lists(&d.directive))
        .is_some_and(|codes| codes.iter().any(|c| c.eq_ignore_ascii_case(code)))
}

fn reason_comment(reason: &str) -> String {
    format!("  # {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    fn ends(text: &str) -> Vec<LineEnd> {
        let parsed = parse_module(text, PythonVersion::latest());
        let lines = LineIndex::new(text);
        let ends = LineEnds::new(parsed.tokens(), &lines);
        (0..=lines.row(text.len())).filter_map(|r| ends.get(r).cloned()).collect()
    }

    fn add(text: &str, row: usize, additions: &Additions) -> String {
        let end = ends(text)[row].clone();
        let edit = add_directives(text, &end, additions, "reviewed").expect("an edit");
        crate::fix::edit::apply(text, &[edit]).unwrap()
    }

    fn nosec(ids: &[&'static str]) -> Additions {
        Additions { nosec: ids.to_vec(), ..Additions::default() }
    }

    #[test]
    fn lines_inside_strings_and_continued_lines_are_closed() {
        let text = "x = f('''a\nb''', c)  \ny = 1 + \\\n    2\nz = f'{a}' # c  \n";
        let got = ends(text);
        assert_eq!(got[0], LineEnd::Closed(Closed::InString));
        assert_eq!(got[1], LineEnd::Code { code_end: 19, line_end: 21 });
        assert_eq!(got[2], LineEnd::Closed(Closed::Continuation));
        assert!(matches!(got[4], LineEnd::Comment(ref r) if &text[r.clone()] == "# c"));
    }

    #[test]
    fn statements_are_found_across_lines() {
        let text = "a = 1\nb = f(\n    2,\n)\n";
        let parsed = parse_module(text, PythonVersion::latest());
        let ends = LineEnds::new(parsed.tokens(), &LineIndex::new(text));
        assert_eq!(ends.statement_start(2), 1);
        assert_eq!(ends.statement_start(0), 0);
    }

    #[test]
    fn a_new_comment_goes_two_spaces_after_the_code() {
        assert_eq!(add("torch.load(p)   \r\n", 0, &nosec(&["B614"])), "torch.load(p)  # nosec B614  # reviewed\r\n");
        let all = Additions { nosec: vec!["B113"], ignore: vec!["hf-remote-code"], noqa: vec!["S113"] };
        assert_eq!(
            add("f(x)", 0, &all),
            "f(x)  # nosec B113  # remediate: ignore[hf-remote-code]  # noqa: S113  # reviewed"
        );
    }

    #[test]
    fn codes_merge_into_the_directives_already_there() {
        assert_eq!(add("f(x)  # nosec B113\n", 0, &nosec(&["B614"])), "f(x)  # nosec B113, B614  # reviewed\n");
        assert_eq!(
            add("f(x)  # type: ignore  # nosec: B113 why\n", 0, &nosec(&["B614"])),
            "f(x)  # type: ignore  # nosec: B113, B614 why  # reviewed\n"
        );
        let noqa = Additions { noqa: vec!["S113"], ..nosec(&["B113"]) };
        assert_eq!(add("f(x)  # noqa: E501\n", 0, &noqa), "f(x)  # noqa: E501, S113  # nosec B113  # reviewed\n");
        assert_eq!(
            add(
                "f(x)  # remediate: ignore[torch-load]  # reviewed\n",
                0,
                &Additions { ignore: vec!["hf-remote-code"], ..Additions::default() }
            ),
            "f(x)  # remediate: ignore[torch-load, hf-remote-code]  # reviewed\n"
        );
    }

    #[test]
    fn a_bare_directive_covers_its_whole_tool() {
        let text = "f(x)  # nosec\n";
        assert_eq!(add_directives(text, &ends(text)[0], &nosec(&["B614"]), "why"), None);
        let text = "f(x)  # NOQA\n";
        let noqa = Additions { noqa: vec!["S113"], ..Additions::default() };
        assert_eq!(add_directives(text, &ends(text)[0], &noqa, "why"), None);
    }
}
