//! Why a notebook cannot be read, or an edit cannot be written back.

use std::fmt;
use std::ops::Range;

/// Why [`super::Notebook::parse`] or writing back failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotebookError {
    /// The file is not valid JSON (or not UTF-8); `line` and `column` are
    /// 1-based, the column in bytes.
    MalformedJson { line: usize, column: usize, message: String },
    /// Valid JSON, but not a Jupyter notebook: no `cells` list, no
    /// `nbformat`, a cell without `source`, ...
    NotANotebook(String),
    /// A notebook in a format other than nbformat 4 (nbformat 3 keeps its
    /// cells in `worksheets`).
    UnsupportedFormat { nbformat: i64 },
    /// An edit that cannot be written into the notebook; nothing is written.
    EditRefused { range: Range<usize>, reason: EditRefusal },
    /// Writing back would have changed more than the edited sources. A bug
    /// in this module; the notebook is left as it was.
    WriteBack(String),
}

/// Why an edit of the virtual source was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditRefusal {
    /// The notebook has no Python cell to edit.
    NoPythonCells,
    /// The range ends past the virtual source, which is this long.
    OutOfBounds { len: usize },
    /// The range does not start and end on character boundaries.
    NotCharBoundary,
    /// The range starts or ends between the `\r` and the `\n` of a line ending.
    SplitsLineEnding,
    /// Two edits overlap, or insert at the same offset.
    Overlapping,
    /// The range starts in one cell and ends in another (1-based cells).
    CrossesCells { first: usize, last: usize },
    /// The range touches a line that was IPython syntax and is masked in
    /// the virtual source (1-based cell and line).
    TouchesMagic { cell: usize, line: usize },
}

impl fmt::Display for NotebookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotebookError::MalformedJson { line, column, message } => {
                write!(f, "not valid JSON at line {line}, column {column}: {message}")
            }
            NotebookError::NotANotebook(why) => write!(f, "not a Jupyter notebook: {why}"),
            NotebookError::UnsupportedFormat { nbformat } => write!(
                f,
                "nbformat {nbformat} notebook; only nbformat 4 is read (convert it with \
                 `jupyter nbconvert --to notebook --nbformat 4`)"
            ),
            NotebookError::EditRefused { range, reason } => {
                write!(f, "edit of bytes {}..{} refused: {reason}", range.start, range.end)
            }
            NotebookError::WriteBack(why) => write!(f, "writing the notebook back failed: {why}"),
        }
    }
}

impl fmt::Display for EditRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditRefusal::NoPythonCells => write!(f, "the notebook has no Python cell"),
            EditRefusal::OutOfBounds { len } => write!(f, "the notebook's Python source is only {len} bytes long"),
            EditRefusal::NotCharBoundary => write!(f, "it splits a character"),
            EditRefusal::SplitsLineEnding => write!(f, "it splits a `\\r\\n` line ending"),
            EditRefusal::Overlapping => write!(f, "it overlaps another edit"),
            EditRefusal::CrossesCells { first, last } => {
                write!(f, "it spans cells {first} to {last}; an edit must stay in one cell")
            }
            EditRefusal::TouchesMagic { cell, line } => {
                write!(f, "it touches cell {cell}, line {line}, which is IPython syntax, not Python")
            }
        }
    }
}

impl std::error::Error for NotebookError {}
