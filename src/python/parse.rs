//! Each file is read by two parsers, each doing what it does best.
//!
//! ruff's parser follows CPython's grammar and tokenizer (every line ending,
//! form feeds, syntax by Python version): it reads the whole text, and the
//! semantic model, the project index and the verification of every rewrite
//! come from its AST. tree-sitter keeps the concrete syntax edits must
//! respect (comments, layout) and runs the rules' queries; it reads only the
//! statements that hold a candidate, with the headers of the functions and
//! classes around them, so a large file with one finding costs a small parse.

use std::borrow::Cow;
use std::ops::Range;

use ruff_python_ast::{self as ast, ModModule, Stmt};
use ruff_python_parser::{Mode, ParseOptions, Parsed};
use ruff_text_size::{Ranged, TextRange, TextSize};
use tree_sitter::{Parser, Point, Tree};

use crate::python::lines::LineIndex;

pub use ruff_python_ast::PythonVersion;

/// Parses a whole module the way CPython would for `target`. Syntax errors
/// and syntax newer than `target` are recorded in the result, not fatal.
pub(crate) fn parse_module(text: &str, target: PythonVersion) -> Parsed<ModModule> {
    let options = ParseOptions::from(Mode::Module).with_target_version(target);
    match ruff_python_parser::parse_unchecked(text, options).try_into_module() {
        Some(parsed) => parsed,
        None => unreachable!("module mode always yields a module"),
    }
}

/// The text tree-sitter reads: the same bytes, with each lone `\r` made a
/// `\n`. CPython ends a line at a lone `\r`; tree-sitter would read the
/// rest of that line into a comment and hide the code after it. Offsets are
/// unchanged, so edits computed on this text apply to the original.
pub(crate) fn tree_sitter_text(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |at: usize| bytes[at] == b'\r' && bytes.get(at + 1) != Some(&b'\n');
    if !memchr::memchr_iter(b'\r', bytes).any(lone) {
        return Cow::Borrowed(text);
    }
    let mut out = bytes.to_vec();
    for at in memchr::memchr_iter(b'\r', bytes).filter(|&at| lone(at)) {
        out[at] = b'\n';
    }
    // Only ASCII bytes changed, so the text is still valid UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| text.to_owned()))
}

/// The parts of the file tree-sitter must read so that every range in
/// `targets` is inside a well-formed tree: for each target, the whole
/// statement holding it, directly in the body of the innermost function or
/// class around it (or of the module), plus the header lines of each
/// function and class on the way. A target no statement holds (a comment
/// between statements) is read as its own lines. Whole lines, sorted and
/// merged.
pub(crate) fn regions(
    body: &[Stmt],
    lines: &LineIndex<'_>,
    targets: impl IntoIterator<Item = TextRange>,
) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    for target in targets {
        collect_regions(body, lines, target, &mut spans);
    }
    merge(spans)
}

fn collect_regions(mut body: &[Stmt], lines: &LineIndex<'_>, target: TextRange, spans: &mut Vec<Range<usize>>) {
    while let Some(statement) = statement_containing(body, target) {
        let Some((read, inner)) = step_into(statement, lines, target) else {
            spans.push(whole_lines(statement.range(), lines));
            return;
        };
        spans.extend(read);
        match inner {
            Some(inner) => body = inner,
            None => return,
        }
    }
    spans.push(whole_lines(target, lines));
}

/// Lines to read, and the body to go on in (`None`: they hold the target).
type Step<'s> = (Vec<Range<usize>>, Option<&'s [Stmt]>);

/// The lines of a compound `statement` to read so that `target`, inside one
/// of its bodies, sits in a well-formed statement without the rest: the
/// headers on the way, and where the grammar needs more than a header (an
/// `elif` needs its `if` branch, a `try` an `except`), the first statement
/// of the branch it needs. Returns those lines and the body to go on in
/// (`None`: the lines read already hold the target). `None` when the
/// statement must be read whole.
fn step_into<'s>(statement: &'s Stmt, lines: &LineIndex<'_>, target: TextRange) -> Option<Step<'s>> {
    let holds = |body: &[Stmt]| inside(body, target) && starts_own_line(body, lines);
    let header =
        |start: TextSize, body: &[Stmt]| lines.line_start(lines.row(start.to_usize()))..first_line_of(body, lines);
    let first =
        |body: &[Stmt]| body.first().filter(|_| starts_own_line(body, lines)).map(|s| whole_lines(s.range(), lines));
    match statement {
        Stmt::If(i) if !holds(&i.body) => {
            let clause = i.elif_else_clauses.iter().find(|c| holds(&c.body))?;
            let read = vec![header(i.start(), &i.body), first(&i.body)?, header(clause.start(), &clause.body)];
            Some((read, Some(&clause.body)))
        }
        Stmt::Try(t) if holds(&t.body) => {
            let ast::ExceptHandler::ExceptHandler(h) = t.handlers.first()?;
            let read = vec![header(t.start(), &t.body), header(h.start(), &h.body), first(&h.body)?];
            Some((read, Some(&t.body)))
        }
        Stmt::Try(t) => {
            let ast::ExceptHandler::ExceptHandler(h) = t.handlers.iter().find(|h| h.range().contains_range(target))?;
            let mut read = vec![header(t.start(), &t.body), first(&t.body)?];
            if holds(&h.body) {
                read.push(header(h.start(), &h.body));
                return Some((read, Some(&h.body)));
            }
            read.push(whole_lines(h.range(), lines));
            Some((read, None))
        }
        _ => first_body(statement)
            .filter(|body| holds(body))
            .map(|body| (vec![header(statement.start(), body)], Some(body))),
    }
}

/// The body a statement's header introduces and that reads well-formed
/// with the header alone: a function's or class's, a loop's or `with`'s,
/// an `if`'s first branch (without its `elif`/`else`, which may follow).
fn first_body(statement: &Stmt) -> Option<&[Stmt]> {
    match statement {
        Stmt::FunctionDef(f) => Some(&f.body),
        Stmt::ClassDef(c) => Some(&c.body),
        Stmt::For(f) => Some(&f.body),
        Stmt::While(w) => Some(&w.body),
        Stmt::With(w) => Some(&w.body),
        Stmt::If(i) => Some(&i.body),
        _ => None,
    }
}

/// The statement of `body` whose range holds `target`.
fn statement_containing(body: &[Stmt], target: TextRange) -> Option<&Stmt> {
    let after = body.partition_point(|s| s.start() <= target.start());
    body[..after].last().filter(|s| s.range().contains_range(target))
}

fn inside(body: &[Stmt], target: TextRange) -> bool {
    match (body.first(), body.last()) {
        (Some(first), Some(last)) => TextRange::new(first.start(), last.end()).contains_range(target),
        _ => false,
    }
}

/// Does the body begin on a line of its own (`def f():` then a new line)?
/// A body on the header's line (`def f(): return x`) is read whole.
fn starts_own_line(body: &[Stmt], lines: &LineIndex<'_>) -> bool {
    body.first().is_some_and(|first| {
        let start = first.start().to_usize();
        let line = lines.line_start(lines.row(start));
        lines.text()[line..start].bytes().all(|b| matches!(b, b' ' | b'\t' | b'\x0c'))
    })
}

fn first_line_of(body: &[Stmt], lines: &LineIndex<'_>) -> usize {
    body.first().map_or(0, |s| lines.line_start(lines.row(s.start().to_usize())))
}

fn whole_lines(range: TextRange, lines: &LineIndex<'_>) -> Range<usize> {
    let start = lines.line_start(lines.row(range.start().to_usize()));
    let end = lines.next_line_start(range.end().to_usize().saturating_sub(1).max(start));
    start..end
}

fn merge(mut spans: Vec<Range<usize>>) -> Vec<Range<usize>> {
    spans.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// Parses `text` with tree-sitter: all of it, or only `regions` (from
/// [`regions`], with the lines of `text`), which then read as one module
/// whose nodes keep their offsets in `text`.
pub(crate) fn parse_tree(
    parser: &mut Parser,
    text: &str,
    regions: Option<(&[Range<usize>], &LineIndex<'_>)>,
) -> Option<Tree> {
    let ranges: Vec<tree_sitter::Range> = match regions {
        None => Vec::new(),
        Some((regions, lines)) => regions.iter().map(|r| ts_range(lines, r)).collect(),
    };
    parser.set_included_ranges(&ranges).ok()?;
    let tree = parser.parse(text, None);
    parser.set_included_ranges(&[]).ok()?;
    tree
}

fn ts_range(lines: &LineIndex<'_>, range: &Range<usize>) -> tree_sitter::Range {
    let point = |offset: usize| {
        let (row, column) = lines.point(offset);
        Point { row, column }
    };
    tree_sitter::Range {
        start_byte: range.start,
        end_byte: range.end,
        start_point: point(range.start),
        end_point: point(range.end),
    }
}

/// Brackets CPython's tokenizer lets nest (`MAXLEVEL`).
const MAX_BRACKETS: usize = 200;
/// Indentation levels CPython's tokenizer accepts (`MAXINDENT` less one).
const MAX_INDENTS: usize = 99;
/// How deep expressions may nest before CPython's compiler gives up with a
/// `RecursionError` (about 3,000 levels on CPython 3.11; a method-call link
/// counts twice). Kept a little lower: past it, the file is not CPython's.
pub(crate) const MAX_EXPRESSION_DEPTH: usize = 2_900;

/// The limits CPython enforces that ruff's parser does not: too many nested
/// brackets or indentation levels. `Some` is the offset and the message
/// CPython gives.
pub(crate) fn beyond_tokenizer_limits(parsed: &Parsed<ModModule>, text: &str) -> Option<(usize, String)> {
    use ruff_python_ast::token::TokenKind;
    let (mut brackets, mut indents) = (0usize, 0usize);
    let mut gap_start = 0;
    for token in parsed.tokens().iter() {
        if let Some(found) = invisible_character(text, gap_start, token.start().to_usize()) {
            return Some(found);
        }
        gap_start = gap_start.max(token.end().to_usize());
        match token.kind() {
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => brackets += 1,
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => brackets = brackets.saturating_sub(1),
            TokenKind::Indent => indents += 1,
            TokenKind::Dedent => indents = indents.saturating_sub(1),
            _ => continue,
        }
        if brackets > MAX_BRACKETS {
            return Some((token.start().to_usize(), "too many nested parentheses".into()));
        }
        if indents > MAX_INDENTS {
            return Some((token.start().to_usize(), "too many levels of indentation".into()));
        }
    }
    invisible_character(text, gap_start, text.len())
}

/// Between tokens CPython allows only blanks, line breaks and a line
/// continuation; anything else there (a U+FEFF past the start of the file,
/// a zero-width space) is "invalid non-printable character".
fn invisible_character(text: &str, start: usize, end: usize) -> Option<(usize, String)> {
    let gap = text.get(start..end)?;
    let (at, c) = gap.char_indices().find(|(_, c)| !matches!(c, ' ' | '\t' | '\x0c' | '\r' | '\n' | '\\'))?;
    Some((start + at, format!("invalid non-printable character U+{:04X}", c as u32)))
}

/// Would CPython compile `text` (for the newest Python it knows)? The
/// grammar, its tokenizer's limits and its compiler's nesting limit.
pub fn compiles(text: &str) -> bool {
    let parsed = parse_module(text, PythonVersion::latest());
    parsed.errors().is_empty() && beyond_tokenizer_limits(&parsed, text).is_none() && {
        let model = crate::python::model::SemanticModel::build(parsed.syntax(), text);
        model.deepest_expression().0 <= MAX_EXPRESSION_DEPTH
    }
}

/// A `usize` offset as ruff's text size (files over 4 GiB never get here).
pub(crate) fn text_size(offset: usize) -> TextSize {
    TextSize::try_from(offset).unwrap_or(TextSize::new(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts_parser() -> Parser {
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        parser
    }

    /// The text of the regions holding the first occurrence of `marker`.
    fn region_text(src: &str, marker: &str) -> String {
        let parsed = parse_module(src, PythonVersion::latest());
        let lines = LineIndex::new(src);
        let at = text_size(src.find(marker).unwrap());
        let target = TextRange::at(at, TextSize::of(marker));
        regions(&parsed.syntax().body, &lines, [target]).iter().map(|r| &src[r.clone()]).collect()
    }

    #[test]
    fn statements_with_their_headers() {
        let src = "import torch\n\nclass C(Base):\n    '''doc'''\n    x = 1\n\n    @property\n    def m(self, p):\n        a = 1\n        return torch.load(p)\n\n    def n(self):\n        pass\n";
        assert_eq!(
            region_text(src, "torch.load"),
            "class C(Base):\n    @property\n    def m(self, p):\n        return torch.load(p)\n"
        );
    }

    #[test]
    fn one_line_bodies_and_nested_blocks_are_whole() {
        let src = "def f(p): return torch.load(p)\nif x:\n    for a in b:\n        torch.load(a)\n";
        assert_eq!(region_text(src, "torch.load(p)"), "def f(p): return torch.load(p)\n");
        assert_eq!(region_text(src, "torch.load(a)"), "if x:\n    for a in b:\n        torch.load(a)\n");
    }

    #[test]
    fn branches_are_read_with_what_their_grammar_needs() {
        let src = "def f(p):\n    if a:\n        x = 1\n        y = 2\n    elif b:\n        z = 3\n        w = torch.load(p)\n    else:\n        pass\n    try:\n        u = 1\n        v = torch.load(q)\n    except OSError:\n        log()\n        more()\n    except Exception:\n        s = 1\n        pass\n    finally:\n        done()\n";
        let cases = [
            ("torch.load(p)", "def f(p):\n    if a:\n        x = 1\n    elif b:\n        w = torch.load(p)\n"),
            ("torch.load(q)", "def f(p):\n    try:\n        v = torch.load(q)\n    except OSError:\n        log()\n"),
            ("s = 1", "def f(p):\n    try:\n        u = 1\n    except Exception:\n        s = 1\n"),
            (
                "except Exception:\n        s = 1\n        pass",
                "def f(p):\n    try:\n        u = 1\n    except Exception:\n        s = 1\n        pass\n",
            ),
        ];
        for (marker, expected) in cases {
            let text = region_text(src, marker);
            assert_eq!(text, expected);
            let tree = parse_tree(&mut ts_parser(), &text, None).unwrap();
            assert!(!tree.root_node().has_error(), "{marker}: {}", tree.root_node().to_sexp());
        }
    }

    #[test]
    fn partial_trees_parse_cleanly_with_original_offsets() {
        let src = "import torch\n\nclass C:\n    def a(self):\n        pass\n\n    def m(self, p):\n        x = [1,\n             2]\n        return torch.load(p)\n";
        let parsed = parse_module(src, PythonVersion::latest());
        let lines = LineIndex::new(src);
        let at = text_size(src.find("torch.load").unwrap());
        let spans = regions(&parsed.syntax().body, &lines, [TextRange::at(at, TextSize::new(10))]);
        let tree = parse_tree(&mut ts_parser(), src, Some((&spans, &lines))).unwrap();
        assert!(!tree.root_node().has_error(), "{}", tree.root_node().to_sexp());
        let call = tree.root_node().descendant_for_byte_range(at.to_usize(), at.to_usize() + 10).unwrap();
        assert_eq!(call.utf8_text(src.as_bytes()).unwrap(), "torch.load");
        assert_eq!(call.start_position().row, 9);
    }

    #[test]
    fn lone_carriage_returns_end_lines_for_tree_sitter_too() {
        let src = "import torch\n# note\rstate = torch.load(p)\n";
        let text = tree_sitter_text(src);
        assert_eq!(text.len(), src.len());
        let tree = parse_tree(&mut ts_parser(), &text, None).unwrap();
        let at = src.find("torch.load").unwrap();
        let node = tree.root_node().descendant_for_byte_range(at, at + 10).unwrap();
        assert_ne!(node.kind(), "comment");
    }
}
