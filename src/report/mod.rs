//! What a run reports: findings located by line and column, problems with
//! files, and each file's result. The pipeline produces these; the output
//! formats and the summary read them. Nothing here parses or rewrites.

use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

use crate::fix::edit::{Fix, FixSafety};
use crate::python::lines::LineIndex;
use crate::rules::RuleMeta;

pub(crate) mod baseline;
pub(crate) mod summary;

/// What joins a finding's message and the reasons it is not fixed, when
/// the two are shown as one line.
pub(crate) const NOT_FIXED: &str = "; not fixed: ";

/// One problem in one place, as a rule reports it: byte offsets into the
/// decoded text, the fix when there is a safe way to make it, and otherwise
/// the reasons there is none. The message never includes the reasons; the
/// output formats join them (see [`Diagnostic::full_message`]).
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) rule: &'static RuleMeta,
    /// The flagged node's bytes in the decoded text.
    pub(crate) range: Range<usize>,
    /// 0-based lines the node spans (suppressions on any of them count).
    pub(crate) rows: (usize, usize),
    pub(crate) message: String,
    pub(crate) fix: Option<Fix>,
    /// Why no fix is offered.
    pub(crate) reasons: Vec<String>,
}

impl Finding {
    pub(crate) fn new(rule: &'static RuleMeta, node: Node<'_>, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            range: node.byte_range(),
            rows: (node.start_position().row, node.end_position().row),
            message: message.into(),
            fix: None,
            reasons: Vec::new(),
        }
    }

    pub(crate) fn with_fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }

    /// Drops the fix and records why, so the user knows what to review.
    pub(crate) fn not_fixed(mut self, reason: impl Into<String>) -> Finding {
        self.reasons.push(reason.into());
        self.fix = None;
        self
    }

    /// The fix, or the reason there is none.
    pub(crate) fn with_fix_or(self, fix: Result<Fix, String>) -> Finding {
        match fix {
            Ok(fix) => self.with_fix(fix),
            Err(reason) => self.not_fixed(reason),
        }
    }
}

/// Code quoted in a message: its first line, marked when cut.
pub(crate) fn one_line(code: &str) -> String {
    match code.split_once(['\n', '\r']) {
        Some((first, _)) => format!("{}…", first.trim_end()),
        None => code.to_owned(),
    }
}

/// A 1-based line and column (in characters). In a notebook, the line
/// and column are in the code cell `cell` (1-based among all cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cell: Option<usize>,
}

impl Position {
    pub(crate) fn new(line: usize, column: usize) -> Position {
        Position { line, column, cell: None }
    }
}

impl std::fmt::Display for Position {
    /// `2:5`, or `cell 3:line 2:col 5` in a notebook.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.cell {
            Some(cell) => write!(f, "cell {cell}:line {}:col {}", self.line, self.column),
            None => write!(f, "{}:{}", self.line, self.column),
        }
    }
}

/// An edit with positions, for reports that describe fixes (SARIF, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocatedEdit {
    pub start: Position,
    pub end: Position,
    pub text: String,
}

/// A finding as reported: positions instead of byte offsets. Stored as is
/// in the result cache (the rule by its id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Diagnostic {
    #[serde(with = "rule_by_id")]
    pub rule: &'static RuleMeta,
    pub(crate) start: Position,
    pub(crate) end: Position,
    /// What is wrong, without the reasons it is not fixed.
    pub(crate) message: String,
    pub(crate) fix_safety: Option<FixSafety>,
    /// What the fix does, when the rule says (pins and timeouts applied).
    pub(crate) fix_title: Option<String>,
    pub edits: Vec<LocatedEdit>,
    /// Why no fix is offered.
    pub(crate) reasons: Vec<String>,
    /// The text of the finding's first line, without its line ending, for
    /// code frames: at most [`FRAME_WIDTH`] characters and one more.
    pub(crate) line_text: String,
    /// In a notebook, the line of the `.ipynb` file that holds the finding's
    /// first line (for reports that point into the file itself, as SARIF).
    #[serde(default)]
    pub(crate) notebook_line: Option<usize>,
}

impl Diagnostic {
    /// Has a fix of either kind.
    pub fn fixable(&self) -> bool {
        self.fix_safety.is_some()
    }

    /// Would be fixed by `remediate fix` given `--unsafe-fixes` or not: a
    /// safe fix always, an unsafe one only with the flag. Every report counts
    /// "fixable" this way.
    pub(crate) fn fixable_with(&self, unsafe_fixes: bool) -> bool {
        match self.fix_safety {
            Some(FixSafety::Safe) => true,
            Some(FixSafety::Unsafe) => unsafe_fixes,
            None => false,
        }
    }

    /// The message followed by each reason it is not fixed, as one line.
    pub(crate) fn full_message(&self) -> String {
        let mut text = self.message.clone();
        for reason in &self.reasons {
            text.push_str(NOT_FIXED);
            text.push_str(reason);
        }
        text
    }
}

/// A rule written as its id, read back as the registry's metadata.
mod rule_by_id {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::rules::RuleMeta;

    pub(crate) fn serialize<S: Serializer>(rule: &&'static RuleMeta, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(rule.id)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static RuleMeta, D::Error> {
        let id = String::deserialize(deserializer)?;
        crate::rules::all()
            .into_iter()
            .map(|r| r.meta())
            .find(|m| m.id == id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule `{id}`")))
    }
}

/// Findings with positions instead of byte offsets.
pub(crate) fn locate_all(src: &str, findings: &[Finding]) -> Vec<Diagnostic> {
    let lines = LineIndex::new(src);
    findings.iter().map(|f| locate(&lines, f)).collect()
}

pub(crate) fn locate(lines: &LineIndex<'_>, finding: &Finding) -> Diagnostic {
    let edits = finding.fix.as_ref().map_or_else(Vec::new, |fix| {
        fix.edits
            .iter()
            .map(|e| LocatedEdit {
                start: lines.position(e.range.start),
                end: lines.position(e.range.end),
                text: e.text.clone(),
            })
            .collect()
    });
    let src = lines.text();
    let at = finding.range.start;
    Diagnostic {
        rule: finding.rule,
        start: lines.position(finding.range.start),
        end: lines.position(finding.range.end),
        message: finding.message.clone(),
        fix_safety: finding.fix.as_ref().map(|f| f.safety),
        fix_title: finding.fix.as_ref().and_then(|f| f.title.clone()),
        edits,
        reasons: finding.reasons.clone(),
        line_text: frame_text(src, lines.line_start(lines.row(at))),
        notebook_line: None,
    }
}

/// Characters of a finding's line that code frames show; a longer line is
/// cut there.
pub(crate) const FRAME_WIDTH: usize = 160;

/// The start of the line at `start`, up to its line ending: at most
/// [`FRAME_WIDTH`] characters and one more to show that it goes on. A
/// finding never copies a whole long line (generated code can hold
/// thousands of findings on one line of megabytes).
fn frame_text(src: &str, start: usize) -> String {
    src[start..].chars().take_while(|&c| c != '\n' && c != '\r').take(FRAME_WIDTH + 1).collect()
}

/// A problem with the file itself rather than a finding in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileError {
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
    /// In a notebook, the code cell `line` is in (1-based among all cells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cell: Option<usize>,
    pub(crate) message: String,
    /// Decoding failures are warnings (the file is skipped); syntax errors
    /// and refused rewrites are errors.
    pub(crate) kind: FileErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FileErrorKind {
    /// Not Python text we can handle: binary, undeclared encoding.
    Skipped,
    /// The original does not parse: reported and left untouched.
    Syntax,
}

/// The result of running the rules over one file's bytes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings that remain (for `check`, all of them).
    pub diagnostics: Vec<Diagnostic>,
    /// Findings whose fix was applied (positions in the text of their pass).
    pub(crate) fixed: Vec<Diagnostic>,
    /// The rewritten bytes, when anything changed.
    pub fixed_bytes: Option<Vec<u8>>,
    pub(crate) error: Option<FileError>,
}

/// A path that could not be walked: one named on the command line that does
/// not exist, is a symbolic link or a special file, or a directory that
/// could not be read. Nothing under it was processed.
#[derive(Debug, Clone)]
pub(crate) struct PathError {
    pub(crate) path: PathBuf,
    /// What went wrong, without the path.
    pub(crate) reason: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// What happened to one file.
#[derive(Debug)]
pub(crate) struct FileResult {
    pub(crate) path: PathBuf,
    pub(crate) outcome: Outcome,
    /// The bytes as read, kept only when the file changed (for diffs).
    pub(crate) original: Option<Vec<u8>>,
    /// Reading, writing or an internal failure: the file is unchanged.
    pub(crate) io_error: Option<String>,
}

impl FileResult {
    pub(crate) fn changed(&self) -> bool {
        self.outcome.fixed_bytes.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_stay_apart_from_the_message() {
        let rule = crate::rules::all()[0].meta();
        let finding = Finding { range: 0..1, rows: (0, 0), rule, message: "bad".into(), fix: None, reasons: vec![] }
            .not_fixed("first")
            .not_fixed("second");
        let d = locate(&LineIndex::new("a\r\nb = 1\r\n"), &finding);
        assert_eq!(d.message, "bad");
        assert_eq!(d.full_message(), "bad; not fixed: first; not fixed: second");
        assert_eq!(d.reasons, ["first", "second"]);
        assert_eq!(d.line_text, "a");
        let long = format!("x = [{}]\n", "1, ".repeat(1000));
        let d = locate(&LineIndex::new(&long), &Finding { range: 2000..2001, ..finding.clone() });
        assert_eq!(d.line_text, long[..FRAME_WIDTH + 1]);
        let d = locate(&LineIndex::new("a\r\nb = 1\r\n"), &Finding { range: 3..4, ..finding });
        assert_eq!(d.line_text, "b = 1");
    }
}
