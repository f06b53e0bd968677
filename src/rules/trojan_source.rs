//! `trojan-source`: bidirectional control characters in the source (Bandit
//! B613, ruff PLE2502).

use tree_sitter::Node;

use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::python::bidi;
use crate::python::parse::PythonVersion;
use crate::report::Finding;
use crate::rules::{Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds Unicode bidirectional control characters in the source: the
    /// ten Bandit looks for (U+202A-U+202E embeddings and overrides,
    /// U+2066-U+2069 isolates, U+200F RIGHT-TO-LEFT MARK) and U+061C
    /// ARABIC LETTER MARK, which ruff also flags. Python accepts them only
    /// inside comments and string literals, so that is where they are
    /// reported: one finding per comment or string literal, naming every
    /// control in it. A control written as an escape (`"\u202e"`) is not a
    /// control in the source and is not flagged.
    ///
    /// ## Why is this bad?
    /// These characters reorder how text is displayed. Placed in a comment
    /// or a string, they make an editor, a code review or a diff show code
    /// in another order than the one Python runs ("Trojan Source",
    /// CVE-2021-42574): a condition that looks commented out, a string that
    /// looks closed, an early `return` that looks like part of a comment.
    ///
    /// ## Example
    /// Shown with `<U+202E>` where the file holds the invisible character:
    /// ```python
    /// access_level = "user"
    /// if access_level != "user<U+202E> <U+2066># Check if admin<U+2069> <U+2066>":
    ///     grant_admin()
    /// ```
    /// An editor displays the second line as
    /// `if access_level != "user": # Check if admin`.
    ///
    /// ## Use instead
    /// ```python
    /// access_level = "user"
    /// if access_level != "user\u202e \u2066# Check if admin\u2069 \u2066":
    ///     grant_admin()
    /// ```
    ///
    /// ## Fix safety
    /// Safe inside a plain (not raw) string or f-string literal: each control
    /// is replaced by its escape (`\u202e`), which gives the same value and
    /// shows the character to every reader. Reported without a fix: controls
    /// in comments (deleting them changes what the comment says: remove
    /// them by hand, or keep right-to-left text and mark the line
    /// `# nosec B613`), in raw strings (an escape would change the value),
    /// in an f-string's format spec, in a string inside an f-string's
    /// replacement field when the target Python is older than 3.12 (which
    /// first allows a backslash there), and right after a backslash.
    ///
    /// Bandit reports one control per file, ruff one finding per line; this
    /// rule reports each comment or string that holds any.
    ///
    /// ## References
    /// - Bandit B613 `trojansource`, ruff PLE2502 `bidirectional-unicode`
    /// - CVE-2021-42574; Boucher and Anderson, "Trojan Source: Invisible Vulnerabilities"
    pub(crate) struct TrojanSource;
}

/// Every character the rule reports.
const CONTROLS: [char; 11] = [
    '\u{202a}',
    '\u{202b}',
    '\u{202c}',
    '\u{202d}',
    '\u{202e}',
    '\u{2066}',
    '\u{2067}',
    '\u{2068}',
    '\u{2069}',
    '\u{200f}',
    bidi::ARABIC_LETTER_MARK,
];

static META: RuleMeta = RuleMeta {
    id: "trojan-source",
    bandit: Some("B613"),
    bandit_name: Some("trojansource"),
    ruff: &["PLE2502"],
    fix_safety: Some(FixSafety::Safe),
    severity: Severity::High,
    summary: "bidirectional control characters (Trojan Source)",
    doc: TrojanSource::DOC,
    calls: &[],
    query: Some(Query {
        source: include_str!("../../queries/trojan_source.scm"),
        matches: QueryTarget::Characters(&CONTROLS),
    }),
    triggers: &[&[crate::pipeline::prefilter::BIDI_CONTROL]],
};

impl Rule for TrojanSource {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        let node = captures.get("node")?;
        let controls = own_controls(cx, node);
        let (first, last) = (controls.first()?, controls.last()?);
        let mut names: Vec<String> = Vec::new();
        for &(_, c) in &controls {
            let name = format!("U+{:04X} {}", u32::from(c), bidi::name(c).unwrap_or("ARABIC LETTER MARK"));
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let place = if node.kind() == "comment" { "a comment" } else { "a string literal" };
        let message = format!(
            "{} in {place}: editors and code reviews can show the code around {} in another order than Python reads it \
             (Trojan Source)",
            names.join(", "),
            if controls.len() == 1 { "it" } else { "them" }
        );
        let mut finding = Finding::new(&META, node, message);
        let end = last.0 + last.1.len_utf8();
        finding.rows = (row_of(cx, node, first.0), row_of(cx, node, end - 1));
        finding.range = first.0..end;
        Some(finding.with_fix_or(escape(cx, node, &controls)))
    }
}

/// The controls in `node` that no comment or string nested in it holds,
/// with their byte offsets.
fn own_controls(cx: &FileContext<'_>, node: Node<'_>) -> Vec<(usize, char)> {
    let text = &cx.src[node.byte_range()];
    if !text.chars().any(is_control) {
        return Vec::new();
    }
    let mut nested = Vec::new();
    let mut stack: Vec<Node<'_>> = node.children(&mut node.walk()).collect();
    while let Some(child) = stack.pop() {
        if matches!(child.kind(), "string" | "comment") {
            nested.push(child.byte_range());
        } else {
            stack.extend(child.children(&mut child.walk()));
        }
    }
    text.char_indices()
        .map(|(at, c)| (node.start_byte() + at, c))
        .filter(|&(at, c)| is_control(c) && !nested.iter().any(|r| r.contains(&at)))
        .collect()
}

fn is_control(c: char) -> bool {
    bidi::is_trojan_source(c)
}

/// The 0-based line of `offset`, counted from `node`'s start as the rest of
/// the project counts lines (`\n`, `\r\n`, a lone `\r`).
fn row_of(cx: &FileContext<'_>, node: Node<'_>, offset: usize) -> usize {
    let bytes = &cx.src.as_bytes()[node.start_byte()..offset];
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    node.start_position().row + breaks
}

/// Each control written as its `\u` escape, when that keeps the value: in
/// a string that is neither raw nor bytes, in its own literal text (not a
/// format spec), and not right after a backslash.
fn escape(cx: &FileContext<'_>, node: Node<'_>, controls: &[(usize, char)]) -> Result<Fix, String> {
    if node.kind() == "comment" {
        return Err("deleting it changes what the comment says: remove it by hand, or keep right-to-left text and \
                    mark the line `# nosec B613`"
            .into());
    }
    let prefix = node
        .child(0)
        .filter(|start| start.kind() == "string_start")
        .map(|start| cx.text(start).trim_end_matches(['\'', '"']).to_ascii_lowercase())
        .unwrap_or_default();
    if prefix.contains('r') || prefix.contains('b') {
        return Err("in a raw string an escape would change the value: make it a plain string with the `\\u` \
                    escape, or mark the line `# nosec B613`"
            .into());
    }
    let in_field = std::iter::successors(node.parent(), |p| p.parent()).any(|p| p.kind() == "interpolation");
    if in_field && cx.target < PythonVersion::PY312 {
        return Err(format!(
            "it sits in a string inside an f-string's replacement field, where an escape needs Python 3.12 (the \
             target is {})",
            cx.target
        ));
    }
    let content: Vec<std::ops::Range<usize>> =
        node.children(&mut node.walk()).filter(|c| c.kind() == "string_content").map(|c| c.byte_range()).collect();
    let mut edits = Vec::new();
    for &(at, c) in controls {
        if !content.iter().any(|r| r.contains(&at)) {
            return Err("it sits in an f-string's format spec, where it is left to you".into());
        }
        let backslashes = cx.src[..at].bytes().rev().take_while(|&b| b == b'\\').count();
        if backslashes % 2 == 1 {
            return Err("it follows a backslash, so an escape written there would read differently".into());
        }
        edits.push(Edit::replace(at..at + c.len_utf8(), format!("\\u{:04x}", u32::from(c))));
    }
    Ok(Fix::safe(edits).titled("write the bidirectional controls as `\\u` escapes"))
}
