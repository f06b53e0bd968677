//! The Python text a file holds and how that text's edits become the file's
//! new bytes: a source file decoded in its own encoding, or a Jupyter
//! notebook, whose Python is its code cells joined (see [`crate::notebook`]).
//!
//! Rules and fixes only ever see the text. For a notebook, each pass of
//! edits is written into the notebook's JSON, which is read again: the
//! Python of the new notebook must be exactly the edited text, so that an
//! edit the notebook cannot hold (one that turns a cell magic into code,
//! say) is refused rather than written differently. Positions are given in
//! cells, as Jupyter shows them.

use crate::fix::edit::Edit;
use crate::notebook::Notebook;
use crate::pipeline::source::{DecodeError, Source};
use crate::pipeline::walk::FileKind;
use crate::python::lines::LineIndex;
use crate::report::{Diagnostic, FileError, FileErrorKind, Position};

/// A file read for the rules.
#[derive(Debug, Clone)]
pub(crate) enum Document {
    Source(Source),
    Notebook(Notebook),
}

/// Why a file's bytes hold no Python the rules can read.
#[derive(Debug, Clone)]
pub(crate) enum ReadError {
    Decode(DecodeError),
    Notebook(String),
}

impl Document {
    pub(crate) fn read(bytes: &[u8], kind: FileKind) -> Result<Document, ReadError> {
        match kind {
            FileKind::Source => Source::decode(bytes).map(Document::Source).map_err(ReadError::Decode),
            FileKind::Notebook => {
                Notebook::parse(bytes).map(Document::Notebook).map_err(|e| ReadError::Notebook(e.to_string()))
            }
        }
    }

    /// The Python the rules read.
    pub(crate) fn text(&self) -> &str {
        match self {
            Document::Source(source) => &source.text,
            Document::Notebook(notebook) => notebook.virtual_source(),
        }
    }

    /// The line ending inserted lines use.
    pub(crate) fn newline(&self) -> &'static str {
        match self {
            Document::Source(source) => source.newline,
            // A cell written with `\r\n` gets them when the edit is written back.
            Document::Notebook(_) => "\n",
        }
    }

    /// The notebook after `edits` of its text (whose result is `new_text`);
    /// `None` for a source file, whose bytes are encoded once at the end.
    pub(crate) fn edited(&self, edits: &[Edit], new_text: &str) -> Result<Option<Document>, String> {
        let Document::Notebook(notebook) = self else { return Ok(None) };
        let bytes = notebook.apply_edits(edits.iter().map(|e| (e.range.clone(), e.text.as_str())));
        let bytes = bytes.map_err(|e| format!("the notebook cannot hold this fix: {e}"))?;
        let edited = Notebook::parse(&bytes).map_err(|e| format!("the fixed notebook would not read back: {e}"))?;
        if edited.virtual_source() != new_text {
            return Err("the fixed notebook's cells would not read back as the fixed code".into());
        }
        Ok(Some(Document::Notebook(edited)))
    }

    /// The file's new bytes once its text became `text` (for a notebook,
    /// `self` is the notebook that holds `text`).
    pub(crate) fn bytes(&self, text: &str) -> Result<Vec<u8>, String> {
        match self {
            Document::Source(source) => source.encode(text).and_then(|bytes| round_trips(source, text, bytes)),
            Document::Notebook(notebook) => Ok(notebook.bytes().to_vec()),
        }
    }

    /// Gives `diagnostics`, located in `text` (this document's text), the
    /// positions a reader of the file knows: unchanged in a source file, in
    /// cells in a notebook.
    pub(crate) fn place(&self, text: &str, diagnostics: &mut [Diagnostic]) {
        let Document::Notebook(notebook) = self else { return };
        let lines = LineIndex::new(text);
        for d in diagnostics.iter_mut() {
            d.start = in_cell(notebook, &lines, d.start);
            d.end = in_cell(notebook, &lines, d.end);
            d.notebook_line = d.start.cell.and_then(|cell| notebook.file_line(cell, d.start.line));
            for edit in d.edits.iter_mut() {
                edit.start = in_cell(notebook, &lines, edit.start);
                edit.end = in_cell(notebook, &lines, edit.end);
            }
        }
    }

    /// A problem located in this document's text, placed as [`Document::place`] does.
    pub(crate) fn place_error(&self, mut error: FileError) -> FileError {
        let (Document::Notebook(notebook), Some(line)) = (self, error.line) else { return error };
        let lines = LineIndex::new(notebook.virtual_source());
        let at = in_cell(notebook, &lines, Position::new(line, error.column.unwrap_or(1)));
        error.cell = at.cell;
        error.line = Some(at.line);
        error.column = error.column.map(|_| at.column);
        error
    }
}

impl ReadError {
    /// The problem as reported for the file.
    pub(crate) fn file_error(&self) -> FileError {
        match self {
            ReadError::Decode(e) => decode_error(e),
            ReadError::Notebook(why) => FileError {
                line: None,
                column: None,
                cell: None,
                message: format!("skipped: {why}"),
                kind: FileErrorKind::Skipped,
            },
        }
    }
}

/// `position` of `lines`' text (a notebook's Python) as a cell position;
/// unchanged if it is past the end.
fn in_cell(notebook: &Notebook, lines: &LineIndex<'_>, position: Position) -> Position {
    let offset = offset_of(lines, position);
    match notebook.cell_position(offset) {
        Some(at) => Position { line: at.line, column: at.column, cell: Some(at.cell) },
        None => position,
    }
}

/// The byte offset of a 1-based line and character column.
fn offset_of(lines: &LineIndex<'_>, position: Position) -> usize {
    let start = lines.line_start(position.line.saturating_sub(1));
    let rest = &lines.text()[start..];
    start + rest.char_indices().nth(position.column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i)
}

/// The new bytes must decode, as CPython would read them, to exactly the
/// text the fixes produced (an encoding declaration pushed past line 2, a
/// character the encoding lacks, would change that).
fn round_trips(source: &Source, text: &str, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    match Source::decode(&bytes) {
        Ok(decoded) if decoded.text == text && decoded.encoding == source.encoding => Ok(bytes),
        _ => Err("the rewritten file would not decode as it was written".into()),
    }
}

fn decode_error(e: &DecodeError) -> FileError {
    let (line, column) = match e {
        DecodeError::Invalid { line, column, .. } => (Some(*line), Some(*column)),
        DecodeError::UnsupportedEncoding { line, .. } | DecodeError::BomConflict { line, .. } => (Some(*line), None),
        DecodeError::Binary => (None, None),
    };
    match e {
        DecodeError::BomConflict { .. } => FileError {
            line,
            column,
            cell: None,
            message: format!("could not parse ({e}); the file is not rewritten"),
            kind: FileErrorKind::Syntax,
        },
        _ => FileError { line, column, cell: None, message: format!("skipped: {e}"), kind: FileErrorKind::Skipped },
    }
}
