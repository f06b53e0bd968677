//! What a run reports: findings located by line and column, problems with
//! files, and each file's result. The pipeline produces these; the output
//! formats and the summary read them. Nothing here parses or rewrites.

use std::path::PathBuf;

use crate::fix::edit::FixSafety;
use crate::rules::RuleMeta;

pub mod summary;

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// An edit with positions, for reports that describe fixes (SARIF, JSON).
#[derive(Debug, Clone)]
pub struct LocatedEdit {
    pub start: Position,
    pub end: Position,
    pub text: String,
}

/// A finding as reported: positions instead of byte offsets.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: &'static RuleMeta,
    pub start: Position,
    pub end: Position,
    pub message: String,
    pub fix_safety: Option<FixSafety>,
    /// What the fix does, when the rule says (pins and timeouts applied).
    pub fix_title: Option<String>,
    pub edits: Vec<LocatedEdit>,
    /// Why no fix is offered (each is also part of `message`).
    pub reasons: Vec<String>,
    /// The text of the finding's first line, without its line ending, for code frames.
    pub line_text: String,
}

impl Diagnostic {
    pub fn fixable(&self) -> bool {
        self.fix_safety.is_some()
    }

    /// The message without the reasons appended to it.
    pub fn headline(&self) -> &str {
        let mut text = self.message.as_str();
        for reason in self.reasons.iter().rev() {
            match text.strip_suffix(reason).and_then(|t| t.strip_suffix(crate::rules::NOT_FIXED)) {
                Some(rest) => text = rest,
                None => break,
            }
        }
        text
    }
}

/// A problem with the file itself rather than a finding in it.
#[derive(Debug, Clone)]
pub struct FileError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// Decoding failures are warnings (the file is skipped); syntax errors
    /// and refused rewrites are errors.
    pub kind: FileErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileErrorKind {
    /// Not Python text we can handle: binary, undeclared encoding.
    Skipped,
    /// The original does not parse: reported and left untouched.
    Syntax,
}

/// The 1-based line and character column of a byte offset.
pub fn position(src: &str, offset: usize) -> Position {
    LineIndex::new(src).position(offset)
}

/// Where each line starts, so that locating many findings in a large file
/// costs a binary search each instead of a scan from the top.
pub struct LineIndex<'s> {
    pub(crate) src: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    pub fn new(src: &'s str) -> LineIndex<'s> {
        let starts = std::iter::once(0).chain(src.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { src, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        Position { line, column: self.src[line_start..offset].chars().count() + 1 }
    }
}

/// The result of running the rules over one file's bytes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings that remain (for `check`, all of them).
    pub diagnostics: Vec<Diagnostic>,
    /// Findings whose fix was applied (positions in the text of their pass).
    pub fixed: Vec<Diagnostic>,
    /// The rewritten bytes, when anything changed.
    pub fixed_bytes: Option<Vec<u8>>,
    pub error: Option<FileError>,
}

/// What happened to one file.
#[derive(Debug)]
pub struct FileResult {
    pub path: PathBuf,
    pub outcome: Outcome,
    /// The bytes as read, kept only when the file changed (for diffs).
    pub original: Option<Vec<u8>>,
    /// Reading, writing or an internal failure: the file is unchanged.
    pub io_error: Option<String>,
}

impl FileResult {
    pub fn changed(&self) -> bool {
        self.outcome.fixed_bytes.is_some()
    }
}
