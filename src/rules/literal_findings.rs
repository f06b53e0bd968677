//! What the rules that judge string literals share: each decides once per
//! file, on the CPython-faithful AST (see [`crate::python::strings`]), which
//! literals it flags, and the shared query `queries/string_literals.scm`
//! places each finding on its literal's tree-sitter node.

use std::collections::HashMap;

use ruff_text_size::TextRange;

use crate::python::lines::LineIndex;
use crate::python::strings::StringLiteral;
use crate::report::Finding;
use crate::rules::{Captures, FileContext, RuleMeta};

/// The query every string rule runs.
pub(crate) const QUERY: &str = include_str!("../../queries/string_literals.scm");

/// One flagged literal: what is wrong and what to do instead.
pub(crate) struct Flagged {
    pub(crate) message: String,
    pub(crate) reason: String,
}

/// A rule's flagged literals in one file, by byte range, with the lines a
/// suppression comment may sit on.
#[derive(Default)]
pub(crate) struct LiteralFindings(HashMap<(usize, usize), (Flagged, (usize, usize))>);

impl LiteralFindings {
    /// Judges each literal with `judge`.
    pub(crate) fn new<'a>(
        cx: &FileContext<'a>,
        literals: &[StringLiteral<'a>],
        mut judge: impl FnMut(&StringLiteral<'a>) -> Option<Flagged>,
    ) -> LiteralFindings {
        let mut flagged = HashMap::new();
        let mut lines = None;
        for literal in literals {
            let Some(verdict) = judge(literal) else { continue };
            let lines = lines.get_or_insert_with(|| LineIndex::new(cx.src));
            flagged.insert(span(literal.range), (verdict, suppression_rows(lines, literal)));
        }
        LiteralFindings(flagged)
    }

    /// The finding for the literal the string query matched, if flagged.
    pub(crate) fn finding(&self, meta: &'static RuleMeta, captures: &Captures<'_, '_>) -> Option<Finding> {
        let node = captures.get("string")?;
        if node.parent().is_some_and(|p| p.kind() == "concatenated_string") {
            return None;
        }
        let (flagged, rows) = self.0.get(&(node.start_byte(), node.end_byte()))?;
        let mut finding = Finding::new(meta, node, flagged.message.clone()).not_fixed(flagged.reason.clone());
        finding.rows = (finding.rows.0.min(rows.0), finding.rows.1.max(rows.1));
        Some(finding)
    }
}

fn span(range: TextRange) -> (usize, usize) {
    (range.start().to_usize(), range.end().to_usize())
}

/// The literal's own lines and, as Bandit reads `# nosec` for strings, those
/// of the node holding it (a call written over several lines).
fn suppression_rows(lines: &LineIndex<'_>, literal: &StringLiteral<'_>) -> (usize, usize) {
    let range = literal.holders.first().and_then(|h| h.suppression_range()).unwrap_or(literal.range);
    let range = range.cover(literal.range);
    (
        lines.row(range.start().to_usize()),
        lines.row(range.end().to_usize().saturating_sub(1).max(range.start().to_usize())),
    )
}

/// A literal's text as messages quote it: escaped, and shortened past 60 characters.
pub(crate) fn quoted(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}", format!("{}…", &text[..cut])),
        None => format!("{text:?}"),
    }
}

/// A literal as written in the source: its first line, shortened past 60 characters.
pub(crate) fn source(cx: &FileContext<'_>, literal: &StringLiteral<'_>) -> String {
    let text = &cx.src[literal.range.start().to_usize()..literal.range.end().to_usize()];
    let line = text.split(['\n', '\r']).next().unwrap_or_default();
    let cut = line.char_indices().nth(60).map_or(line.len(), |(at, _)| at);
    let more = if cut < text.len() { "…" } else { "" };
    format!("`{}{more}`", &line[..cut])
}
