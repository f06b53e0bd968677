//! Edits of the virtual source written back into the notebook's bytes:
//! each edit is given to one cell, each changed cell's `source` is written
//! in its own shape and spelling, and the rest of the file is copied.

use std::ops::Range;

use serde_json::Value;
use similar::{capture_diff_slices, Algorithm, DiffOp};

use super::error::{EditRefusal, NotebookError};
use super::{json, lines, Notebook, PythonCell, BOM};

/// An edit of the virtual source: a byte range and its replacement.
type Edit<'a> = (Range<usize>, &'a str);

pub(super) fn apply_edits(notebook: &Notebook, mut edits: Vec<Edit>) -> Result<Vec<u8>, NotebookError> {
    edits.sort_by_key(|(range, _)| (range.start, range.end));
    check_ranges(notebook, &edits)?;
    let mut changed: Vec<(usize, String)> = Vec::new();
    let mut rest = edits.as_slice();
    while let Some((first, _)) = rest.first() {
        let owner = owner_of(notebook, first)?;
        let in_cell = rest.iter().take_while(|(range, _)| owner_of(notebook, range).ok() == Some(owner)).count();
        let (cell_edits, after) = rest.split_at(in_cell.max(1));
        rest = after;
        let python = &notebook.python_cells[owner];
        let new_source = edited_source(notebook, python, cell_edits)?;
        if new_source != notebook.cells[python.index].source {
            changed.push((python.index, new_source));
        }
    }
    if changed.is_empty() {
        return Ok(notebook.bytes.clone());
    }
    let bytes = splice(notebook, &changed)?;
    verify(notebook, &bytes, &changed)?;
    Ok(bytes)
}

fn refused(range: &Range<usize>, reason: EditRefusal) -> NotebookError {
    NotebookError::EditRefused { range: range.clone(), reason }
}

/// Bounds, character boundaries and overlaps, on edits sorted by start.
fn check_ranges(notebook: &Notebook, edits: &[Edit]) -> Result<(), NotebookError> {
    let source = &notebook.virtual_source;
    if let (Some((range, _)), true) = (edits.first(), notebook.python_cells.is_empty()) {
        return Err(refused(range, EditRefusal::NoPythonCells));
    }
    for (range, _) in edits {
        if range.start > range.end || range.end > source.len() {
            return Err(refused(range, EditRefusal::OutOfBounds { len: source.len() }));
        }
        if !source.is_char_boundary(range.start) || !source.is_char_boundary(range.end) {
            return Err(refused(range, EditRefusal::NotCharBoundary));
        }
        let splits_crlf = |at: usize| source[..at].ends_with('\r') && source[at..].starts_with('\n');
        if splits_crlf(range.start) || splits_crlf(range.end) {
            return Err(refused(range, EditRefusal::SplitsLineEnding));
        }
    }
    for pair in edits.windows(2) {
        let (a, b) = (&pair[0].0, &pair[1].0);
        if a.start == b.start || b.start < a.end {
            return Err(refused(b, EditRefusal::Overlapping));
        }
    }
    Ok(())
}

/// The index in `python_cells` of the cell an edit belongs to: the one
/// holding its first byte, or for an insertion the byte before it (so an
/// insertion at a boundary goes to the cell before). Refuses an edit that
/// leaves that cell's stretch or touches a masked line.
fn owner_of(notebook: &Notebook, range: &Range<usize>) -> Result<usize, NotebookError> {
    let probe = if range.is_empty() { range.start.saturating_sub(1) } else { range.start };
    let owner = notebook
        .python_cell_at(probe)
        .ok_or_else(|| refused(range, EditRefusal::OutOfBounds { len: notebook.virtual_source.len() }))?;
    let python = &notebook.python_cells[owner];
    let stretch_end = notebook.python_cells.get(owner + 1).map_or(notebook.virtual_source.len(), |next| next.start);
    if range.end > stretch_end {
        let last = notebook.python_cell_at(range.end - 1).map_or(owner, |i| i);
        let (first, last) = (python.index + 1, notebook.python_cells[last].index + 1);
        return Err(refused(range, EditRefusal::CrossesCells { first, last }));
    }
    let relative = range.start - python.start..range.end - python.start;
    for mask in &python.masks {
        let touches = match relative.is_empty() {
            true => mask.protected.start < relative.start && relative.start < mask.protected.end,
            false => relative.start < mask.protected.end && mask.protected.start < relative.end,
        };
        if touches {
            return Err(refused(range, EditRefusal::TouchesMagic { cell: python.index + 1, line: mask.line }));
        }
    }
    Ok(owner)
}

/// The cell's new source: its stretch (the original text, not the masked
/// one, and the `\n` after it) with the edits applied, less that `\n`.
fn edited_source(notebook: &Notebook, python: &PythonCell, edits: &[Edit]) -> Result<String, NotebookError> {
    let old = &notebook.cells[python.index].source;
    let mut stretch = format!("{old}\n");
    for (range, text) in edits.iter().rev() {
        let relative = range.start - python.start..range.end - python.start;
        if stretch.get(relative.clone()).is_none() {
            return Err(refused(range, EditRefusal::NotCharBoundary));
        }
        stretch.replace_range(relative, text);
    }
    if stretch.ends_with('\n') {
        stretch.pop();
        // The ending an edit wrote for the cell's last line, `\r\n`, goes too.
        if stretch.ends_with('\r') && !old.ends_with('\r') {
            stretch.pop();
        }
    }
    let style = LineEnding::of(old).or_else(|| notebook_line_ending(notebook));
    Ok(match style {
        Some(style) => style.normalize(&stretch),
        None => stretch,
    })
}

/// A text's line endings, when they are all of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    fn of(text: &str) -> Option<LineEnding> {
        let newlines = text.matches('\n').count();
        let crlfs = text.matches("\r\n").count();
        let lone_crs = text.matches('\r').count() - crlfs;
        match (newlines, crlfs, lone_crs) {
            (0, _, _) | (_, _, 1..) => None,
            (n, c, 0) if n == c => Some(LineEnding::CrLf),
            (_, 0, 0) => Some(LineEnding::Lf),
            _ => None,
        }
    }

    fn normalize(self, text: &str) -> String {
        let lf = text.replace("\r\n", "\n");
        match self {
            LineEnding::Lf => lf,
            LineEnding::CrLf => lf.replace('\n', "\r\n"),
        }
    }
}

/// The one line ending all Python cells share, if they do.
fn notebook_line_ending(notebook: &Notebook) -> Option<LineEnding> {
    let mut styles = notebook.python_cells.iter().filter_map(|p| {
        let source = &notebook.cells[p.index].source;
        source.contains(['\n', '\r']).then(|| LineEnding::of(source))
    });
    let first = styles.next()??;
    styles.all(|style| style == Some(first)).then_some(first)
}

/// The file with the `source` of each changed cell replaced.
fn splice(notebook: &Notebook, changed: &[(usize, String)]) -> Result<Vec<u8>, NotebookError> {
    let file = std::str::from_utf8(&notebook.bytes).map_err(|e| NotebookError::WriteBack(e.to_string()))?;
    let ascii_only = json::escapes_non_ascii(notebook.bytes.strip_prefix(BOM).unwrap_or(&notebook.bytes));
    let mut out = String::with_capacity(file.len());
    let mut copied = 0;
    for (index, new_source) in changed {
        let cell = &notebook.cells[*index];
        let (range, written) = match cell.span.is_list {
            true => (cell.span.value.clone(), write_list(file, &cell.span, new_source, ascii_only)?),
            false => {
                let token = cell.span.value.clone();
                (token.clone(), write_string(slice(file, &token)?, new_source, ascii_only)?)
            }
        };
        out.push_str(slice(file, &(copied..range.start))?);
        out.push_str(&written);
        copied = range.end;
    }
    out.push_str(slice(file, &(copied..file.len()))?);
    Ok(out.into_bytes())
}

fn slice<'a>(file: &'a str, range: &Range<usize>) -> Result<&'a str, NotebookError> {
    file.get(range.clone()).ok_or_else(|| NotebookError::WriteBack(format!("bytes {range:?} are not text")))
}

/// A string `source` rewritten: the characters before and after the change
/// keep their spelling, the new ones are escaped in the file's style.
fn write_string(token: &str, new_text: &str, ascii_only: bool) -> Result<String, NotebookError> {
    let spellings = json::spellings(token).map_err(NotebookError::WriteBack)?;
    let old: Vec<char> = spellings.iter().map(|s| s.ch).collect();
    let new: Vec<char> = new_text.chars().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let most = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(most).take_while(|(a, b)| a == b).count();
    let closing = token.len() - 1;
    let spelled_from = |i: usize| spellings.get(i).map_or(closing, |s| s.raw.start);
    let mut out = token[..spelled_from(prefix)].to_string();
    let middle: String = new[prefix..new.len() - suffix].iter().collect();
    json::push_escaped(&mut out, &middle, ascii_only);
    out.push_str(&token[spelled_from(old.len() - suffix)..]);
    Ok(out)
}

/// A list `source` rewritten as the lines of `new_text`: items equal to the
/// old ones at the start and the end are copied with the layout between
/// them; new items are escaped in the file's style and laid out like the
/// list's other items.
fn write_list(file: &str, span: &json::SourceSpan, new_text: &str, ascii_only: bool) -> Result<String, NotebookError> {
    let old: Vec<String> = span.tokens.iter().map(|t| decode(slice(file, t)?)).collect::<Result<_, _>>()?;
    let new = lines::split_keeping_endings(new_text);
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let most = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(most).take_while(|(a, b)| a == b).count();
    // For each new item, the old item it copies.
    let copied_from = |i: usize| match i {
        i if i < prefix => Some(i),
        i if i >= new.len() - suffix => Some(i + old.len() - new.len()),
        _ => None,
    };
    if new.is_empty() {
        return Ok("[]".into());
    }
    let layout = ListLayout::of(file, span)?;
    let mut out = format!("[{}", layout.open);
    for (i, line) in new.iter().enumerate() {
        if i > 0 {
            let gap = match (copied_from(i - 1), copied_from(i)) {
                (Some(a), Some(b)) if b == a + 1 => slice(file, &(span.tokens[a].end..span.tokens[b].start))?,
                _ => &layout.separator,
            };
            out.push_str(gap);
        }
        match copied_from(i) {
            Some(old_item) => out.push_str(slice(file, &span.tokens[old_item])?),
            None => out.push_str(&json::quote(line, ascii_only)),
        }
    }
    out.push_str(&layout.close);
    out.push(']');
    Ok(out)
}

fn decode(token: &str) -> Result<String, NotebookError> {
    serde_json::from_str(token).map_err(|e| NotebookError::WriteBack(e.to_string()))
}

/// The whitespace of a list `source`: after `[`, between items (comma
/// included), before `]`.
struct ListLayout {
    open: String,
    separator: String,
    close: String,
}

impl ListLayout {
    fn of(file: &str, span: &json::SourceSpan) -> Result<ListLayout, NotebookError> {
        let (Some(first), Some(last)) = (span.tokens.first(), span.tokens.last()) else {
            return Ok(ListLayout::invented(file, span));
        };
        let open = slice(file, &(span.value.start + 1..first.start))?.to_string();
        let close = slice(file, &(last.end..span.value.end - 1))?.to_string();
        let separator = match span.tokens.get(1) {
            Some(second) => slice(file, &(first.end..second.start))?.to_string(),
            None => format!(",{open}"),
        };
        Ok(ListLayout { open, separator, close })
    }

    /// For a list that was `[]`: items one level deeper than the `source`
    /// key, a level being what the key is deeper than its cell's `{`.
    fn invented(file: &str, span: &json::SourceSpan) -> ListLayout {
        let Some(key_indent) = indentation_before(file, span.key_start) else {
            let separator = if file.contains(", ") { ", " } else { "," };
            return ListLayout { open: String::new(), separator: separator.into(), close: String::new() };
        };
        let cell_indent = indentation_before(file, span.cell_start).unwrap_or_default();
        let level = key_indent.strip_prefix(cell_indent).filter(|l| !l.is_empty()).unwrap_or(" ");
        let newline = if file.contains("\r\n") { "\r\n" } else { "\n" };
        let open = format!("{newline}{key_indent}{level}");
        ListLayout { separator: format!(",{open}"), open, close: format!("{newline}{key_indent}") }
    }
}

/// The whitespace between the start of the line and `at`, if there is only
/// whitespace there.
fn indentation_before(file: &str, at: usize) -> Option<&str> {
    let before = file.get(..at)?;
    let line_start = before.rfind('\n')? + 1;
    let indent = &before[line_start..];
    indent.chars().all(|c| c == ' ' || c == '\t').then_some(indent)
}

/// Parses the new bytes and checks that, as JSON, they are the original
/// with only the changed sources replaced.
fn verify(notebook: &Notebook, bytes: &[u8], changed: &[(usize, String)]) -> Result<(), NotebookError> {
    let failed = |why: String| NotebookError::WriteBack(why);
    let body = |b: &'_ [u8]| -> Vec<u8> { b.strip_prefix(BOM).unwrap_or(b).to_vec() };
    let mut expected: Value = serde_json::from_slice(&body(&notebook.bytes)).map_err(|e| failed(e.to_string()))?;
    for (index, text) in changed {
        let value = match notebook.cells[*index].span.is_list {
            true => Value::from(lines::split_keeping_endings(text)),
            false => Value::from(text.as_str()),
        };
        let slot = expected.get_mut("cells").and_then(|c| c.get_mut(*index)).and_then(|c| c.get_mut("source"));
        *slot.ok_or_else(|| failed(format!("cell {} has no source", index + 1)))? = value;
    }
    let written: Value = serde_json::from_slice(&body(bytes)).map_err(|e| failed(format!("invalid JSON: {e}")))?;
    match written == expected {
        true => Ok(()),
        false => Err(failed("the result differs from the notebook in more than the edited sources".into())),
    }
}

/// The edits that turn `old` into `new`: a line diff, each changed stretch
/// narrowed to the characters that differ. A stretch that replaces as many
/// lines as it had is narrowed line by line, so that a change on each of two
/// lines does not become one edit over everything between them.
pub(super) fn diff_edits(old: &str, new: &str) -> Vec<(Range<usize>, String)> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let (old_starts, new_starts) = (line_starts(&old_lines), line_starts(&new_lines));
    let mut edits = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines) {
        let (_, old_range, new_range) = op.as_tag_tuple();
        let pairs = match op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Replace { .. } if old_range.len() == new_range.len() => {
                old_range.zip(new_range).map(|(o, n)| (o..o + 1, n..n + 1)).collect()
            }
            _ => vec![(old_range, new_range)],
        };
        for (old_lines, new_lines) in pairs {
            let replaced = old_starts[old_lines.start]..old_starts[old_lines.end];
            let text = &new[new_starts[new_lines.start]..new_starts[new_lines.end]];
            let edit = narrow(old, replaced, text);
            if !edit.0.is_empty() || !edit.1.is_empty() {
                edits.push(edit);
            }
        }
    }
    edits
}

/// Byte offsets of each line's start, and of the end.
fn line_starts(lines: &[&str]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(lines.len() + 1);
    let mut offset = 0;
    starts.push(0);
    for line in lines {
        offset += line.len();
        starts.push(offset);
    }
    starts
}

/// `range` of `old` replaced by `text`, less the characters they share at
/// both ends.
fn narrow(old: &str, range: Range<usize>, text: &str) -> (Range<usize>, String) {
    let replaced = &old[range.clone()];
    let prefix: usize = replaced.chars().zip(text.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let (replaced_rest, text_rest) = (&replaced[prefix..], &text[prefix..]);
    let suffix: usize = replaced_rest
        .chars()
        .rev()
        .zip(text_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let start = range.start + prefix;
    let end = range.end - suffix;
    (start..end, text_rest[..text_rest.len() - suffix].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notebook(json: &str) -> Notebook {
        Notebook::parse(json.as_bytes()).unwrap()
    }

    fn written(nb: &Notebook, edits: &[(Range<usize>, &str)]) -> String {
        String::from_utf8(nb.apply_edits(edits.iter().cloned()).unwrap()).unwrap()
    }

    const TWO_CELLS: &str = r#"{
 "cells": [
  {
   "cell_type": "code",
   "metadata": {},
   "source": [
    "import torch\n",
    "p = 'm.pt'"
   ]
  },
  {
   "cell_type": "code",
   "metadata": {},
   "source": "x = torch.load(p)\ny = 1"
  }
 ],
 "metadata": {},
 "nbformat": 4,
 "nbformat_minor": 5
}
"#;

    #[test]
    fn an_insertion_changes_only_its_string() {
        let nb = notebook(TWO_CELLS);
        let at = nb.virtual_source().find("p)").unwrap() + 1;
        let out = written(&nb, &[(at..at, ", weights_only=True")]);
        assert_eq!(out, TWO_CELLS.replace("load(p)", "load(p, weights_only=True)"));
    }

    #[test]
    fn new_lines_join_a_list_in_its_layout() {
        let nb = notebook(TWO_CELLS);
        let at = nb.virtual_source().find("p = ").unwrap();
        let out = written(&nb, &[(at..at, "import os\n")]);
        assert_eq!(out, TWO_CELLS.replace("\"import torch\\n\",\n", "\"import torch\\n\",\n    \"import os\\n\",\n"));
    }

    #[test]
    fn an_insertion_at_a_boundary_goes_to_the_cell_before() {
        let nb = notebook(TWO_CELLS);
        let boundary = nb.virtual_source().find("x = ").unwrap();
        let out = written(&nb, &[(boundary..boundary, "import os\n")]);
        let expected = TWO_CELLS.replace("\"p = 'm.pt'\"", "\"p = 'm.pt'\\n\",\n    \"import os\"");
        assert_eq!(out, expected);
    }

    #[test]
    fn edits_across_cells_or_magics_are_refused() {
        let nb = notebook(TWO_CELLS);
        let boundary = nb.virtual_source().find("x = ").unwrap();
        let err = nb.apply_edits([(boundary - 3..boundary + 1, "")]).unwrap_err();
        assert!(matches!(
            err,
            NotebookError::EditRefused { reason: EditRefusal::CrossesCells { first: 1, last: 2 }, .. }
        ));

        let nb = notebook(&TWO_CELLS.replace("y = 1", "!ls"));
        let bang = nb.virtual_source().find("#").unwrap();
        for range in [bang..bang + 1, bang + 1..bang + 1, bang + 3..bang + 3, bang - 1..bang + 2] {
            let err = nb.apply_edits([(range.clone(), "z")]).unwrap_err();
            let expected = EditRefusal::TouchesMagic { cell: 2, line: 2 };
            assert_eq!(err, NotebookError::EditRefused { range, reason: expected });
        }
        // An insertion before the line, or after the cell, is fine.
        assert!(nb.apply_edits([(bang..bang, "z = 1\n")]).is_ok());
        assert!(nb.apply_edits([(bang + 4..bang + 4, "z = 1\n")]).is_ok());
    }

    #[test]
    fn overlapping_and_out_of_bounds_edits_are_refused() {
        let nb = notebook(TWO_CELLS);
        let len = nb.virtual_source().len();
        let err = nb.apply_edits([(0..3, "a"), (2..4, "b")]).unwrap_err();
        assert!(matches!(err, NotebookError::EditRefused { reason: EditRefusal::Overlapping, .. }));
        let err = nb.apply_edits([(len..len + 1, "a")]).unwrap_err();
        assert!(matches!(err, NotebookError::EditRefused { reason: EditRefusal::OutOfBounds { .. }, .. }));
    }

    #[test]
    fn string_spellings_outside_the_change_are_kept() {
        assert_eq!(write_string(r#""caf\u00e9 \/ x""#, "café / xy", false).unwrap(), r#""caf\u00e9 \/ xy""#);
        assert_eq!(write_string(r#""a""#, "aé\n", true).unwrap(), r#""a\u00e9\n""#);
        assert_eq!(write_string(r#""abc""#, "", false).unwrap(), r#""""#);
    }

    #[test]
    fn crlf_cells_keep_crlf() {
        let json = TWO_CELLS.replace("torch.load(p)\\ny = 1", "torch.load(p)\\r\\ny = 1");
        let nb = notebook(&json);
        let at = nb.virtual_source().find("y = 1").unwrap();
        let out = written(&nb, &[(at..at, "import os\n")]);
        assert_eq!(out, json.replace("\\r\\ny = 1", "\\r\\nimport os\\r\\ny = 1"));
    }

    #[test]
    fn a_list_that_was_empty_is_indented_one_level_below_its_key() {
        let json = TWO_CELLS.replace("[\n    \"import torch\\n\",\n    \"p = 'm.pt'\"\n   ]", "[]");
        let nb = notebook(&json);
        let out = written(&nb, &[(0..0, "import os\nimport re")]);
        assert_eq!(out, json.replace("[]", "[\n    \"import os\\n\",\n    \"import re\"\n   ]"));
    }

    #[test]
    fn a_cell_emptied_writes_an_empty_list() {
        let nb = notebook(TWO_CELLS);
        let cell_1 = nb.cell_range(1).unwrap();
        let out = written(&nb, &[(cell_1, "")]);
        assert_eq!(out, TWO_CELLS.replace("[\n    \"import torch\\n\",\n    \"p = 'm.pt'\"\n   ]", "[]"));
    }

    #[test]
    fn the_end_of_the_source_belongs_to_the_last_cell() {
        let nb = notebook(TWO_CELLS);
        let end = nb.virtual_source().len();
        let out = written(&nb, &[(end..end, "z = 3\n")]);
        assert_eq!(out, TWO_CELLS.replace("y = 1\"", "y = 1\\nz = 3\""));
    }

    #[test]
    fn the_rewritten_text_and_the_edits_give_the_same_bytes() {
        let nb = notebook(TWO_CELLS);
        let new_source = nb.virtual_source().replace("load(p)", "load(p, weights_only=True)").replace("y = 1\n", "");
        let at = nb.virtual_source().find("p)").unwrap() + 1;
        let y = nb.virtual_source().find("\ny = 1").unwrap();
        let by_edits = written(&nb, &[(at..at, ", weights_only=True"), (y..y + 6, "")]);
        assert_eq!(String::from_utf8(nb.apply(&new_source).unwrap()).unwrap(), by_edits);
        assert!(by_edits.contains("\"source\": \"x = torch.load(p, weights_only=True)\"\n"));
    }

    #[test]
    fn diffs_narrow_to_the_changed_characters() {
        let old = "a\nx = load(p)\nb\n";
        let new = "a\nx = load(p, w=True)\nb\nc\n";
        assert_eq!(diff_edits(old, new), [(12..12, ", w=True".to_string()), (16..16, "c\n".to_string())]);
    }
}
