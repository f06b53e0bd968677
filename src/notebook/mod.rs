//! Jupyter notebooks (`.ipynb`) as one Python source for the engine, and the
//! engine's edits written back into the notebook's JSON.
//!
//! # Use
//!
//! ```text
//! let notebook = Notebook::parse(&bytes)?;        // nbformat 4 JSON
//! let python: &str = notebook.virtual_source();   // what the rules read
//! // findings are byte offsets into `python`:
//! let at = notebook.cell_position(offset);        // "cell 3:line 2:col 5"
//! let new_bytes = notebook.apply_edits(edits)?;   // (range, text) pairs on `python`
//! let new_bytes = notebook.apply(&new_python)?;   // or the rewritten text
//! ```
//!
//! # Reading
//!
//! [`Notebook::parse`] reads nbformat 4 (4.0 to 4.5; later 4.x minors too, as
//! nbformat itself does). Malformed JSON is reported with its line and
//! column; valid JSON that is not a notebook (no `cells`, no `nbformat`, an
//! nbformat 3 file with `worksheets`, a cell without `source`) says so. A
//! cell's `source` may be one string or a list of strings.
//!
//! # The virtual source
//!
//! The Python code cells, in order, each followed by one `\n`: a cell that
//! ends without a newline still ends its last line, and a cell that ends
//! with one gets an empty line after it. Markdown and raw cells are left out,
//! and so are code cells that are not Python:
//!
//! - every code cell of a notebook whose kernel is another language
//!   (`metadata.language_info.name`, else `metadata.kernelspec.language`,
//!   is not Python): the virtual source is then empty. A notebook that names
//!   no language is taken as Python;
//! - a cell whose `metadata.vscode.languageId` is not `python` (VS Code
//!   notebooks that mix languages);
//! - a cell opened by a `%%name` cell magic whose body is not Python
//!   (`%%bash`, `%%writefile`, `%%html`, `%%sql`, any unknown one);
//! - a cell that ends inside a string, brackets or a backslash continuation:
//!   Jupyter cannot run it either, and joined to the next cells it would
//!   swallow them.
//!
//! [`Notebook::skipped_cells`] lists those, with the reason.
//!
//! # IPython syntax
//!
//! IPython rewrites some lines before Python sees them. In the virtual
//! source each is overwritten by a placeholder of the same byte length, so
//! every offset lands on the same line and column as in the cell:
//!
//! - `%magic`, `!cmd`, `!!cmd`, `x = !cmd`, `x = %magic`, help (`obj?`,
//!   `obj??`, `?obj`), autocall (`/f x`, `,f x`, `;f x`), and automagic (a
//!   line magic or shell alias without `%`, such as `pip install torch` or
//!   `cd data`, when what follows the name cannot continue a Python
//!   expression) become a comment: `#` and spaces. As the first line of an
//!   indented block (right below `for f in files:`), they become `...` or
//!   `0` and a comment instead, so that the block is not empty.
//!   Lines continued with a trailing backslash are masked with them.
//! - `%time stmt` and `%timeit [-n N -r N ...] stmt` run Python: only the
//!   prefix is masked, as `0;` and spaces, and `stmt` stays visible.
//! - A cell opened by `%%time`, `%%timeit`, `%%capture`, `%%prun`, `%%debug`,
//!   `%%python`, `%%python3`, `%%pypy` or `%%ipytest` has Python below its
//!   first line: that line is masked and the rest read as any cell. Any other
//!   cell magic takes the cell out of the virtual source. As in IPython, only
//!   the first non-blank line can open a cell magic.
//!
//! Only lines that start a statement are looked at (not lines inside a
//! string, brackets or a backslash continuation), so a `!` or `?` in a
//! docstring stays text.
//!
//! # Positions
//!
//! [`Notebook::cell_position`] maps a byte offset of the virtual source to a
//! cell (1-based among all cells, markdown included, as Jupyter and ruff
//! number them), a 1-based line in that cell and a 1-based column counted
//! in characters. The `\n` that ends a cell maps to the end of its last line.
//!
//! # Writing back
//!
//! [`Notebook::apply_edits`] takes edits of the virtual source, a byte range
//! and its replacement each, and returns the notebook's new bytes. Only the
//! `source` of cells whose text changed is rewritten; every other byte of the
//! file (indentation, key order, outputs, metadata, the final newline, the
//! other cells) is copied. In a rewritten cell:
//!
//! - the shape stays: a string stays one string, a list stays a list of
//!   lines, each ending in its newline but the last; the list items and
//!   string characters before and after the change are copied as they were
//!   spelled, and the new ones follow the file's `\u00e9`-or-raw style
//!   (`ensure_ascii`) and its layout between items;
//! - line endings follow the cell: in a cell written with `\r\n`, a `\n`
//!   the edit brings becomes `\r\n`.
//!
//! Refused, with a reason ([`EditRefusal`]), so that nothing is written: an
//! edit spanning two cells, one touching a masked IPython line (an insertion
//! at the very start of such a line is allowed), overlapping edits, ranges
//! out of bounds or splitting a character.
//!
//! Cell boundaries: a cell's stretch of the virtual source runs from its
//! first byte through the `\n` that follows it. An insertion exactly at a
//! boundary, that is at the start of the next cell, belongs to the cell
//! before: it is appended after that cell's last line. An insertion at
//! offset 0 goes to the first Python cell. This is what an engine that adds
//! a line "after the last import" needs, and is how ruff treats its
//! boundaries.
//!
//! [`Notebook::apply`] takes the whole rewritten text instead; it finds the
//! edits with a line diff, each narrowed to the characters that differ. An
//! engine that has its edits should prefer `apply_edits`: a diff cannot
//! always tell which of two equal lines moved.
//!
//! Before returning, the new bytes are parsed again and compared, as JSON
//! values, with the original where only the edited sources differ; any other
//! difference is an error rather than a damaged notebook.

mod error;
mod ipython;
mod json;
mod lines;
mod write;

use std::fmt;
use std::ops::Range;

use serde_json::{Map, Value};

pub use error::{EditRefusal, NotebookError};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed notebook and the Python source made of its code cells.
#[derive(Debug, Clone)]
pub struct Notebook {
    /// The file as read; writing back copies it around the edited sources.
    bytes: Vec<u8>,
    cells: Vec<Cell>,
    language: Option<String>,
    /// The code cells in the virtual source, in order.
    python_cells: Vec<PythonCell>,
    virtual_source: String,
    skipped: Vec<SkippedCell>,
}

#[derive(Debug, Clone)]
struct Cell {
    is_code: bool,
    /// The decoded `source`: the list items joined, or the string.
    source: String,
    span: json::SourceSpan,
}

/// A code cell's place in the virtual source.
#[derive(Debug, Clone)]
struct PythonCell {
    /// 0-based index into `cells`.
    index: usize,
    /// Offset of the cell's first byte in the virtual source.
    start: usize,
    masks: Vec<ipython::Mask>,
}

/// Where an offset of the virtual source is in the notebook: all 1-based,
/// `cell` among all cells, `column` in characters. Displays as
/// `cell 3:line 2:col 5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellPosition {
    pub cell: usize,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for CellPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cell {}:line {}:col {}", self.cell, self.line, self.column)
    }
}

/// A code cell left out of the virtual source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedCell {
    /// 1-based among all cells.
    pub cell: usize,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The notebook's kernel language, or the cell's own, is not Python.
    Language(String),
    /// Opened by this cell magic (`bash` for `%%bash`), whose body is not Python.
    CellMagic(String),
    /// Ends inside a string, brackets or a backslash continuation: a syntax
    /// error in Jupyter too, kept out so that it cannot swallow later cells.
    Unterminated,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Language(language) => write!(f, "{language} code, not Python"),
            SkipReason::CellMagic(name) => write!(f, "`%%{name}` cell, not Python"),
            SkipReason::Unterminated => write!(f, "ends inside a string or brackets"),
        }
    }
}

impl Notebook {
    /// Reads an nbformat 4 notebook from the bytes of an `.ipynb` file.
    pub fn parse(bytes: &[u8]) -> Result<Notebook, NotebookError> {
        let body_start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        let value = parse_json(&bytes[body_start..])?;
        let root = check_format(&value)?;
        let contents = cell_contents(root)?;
        let spans = json::source_spans(bytes, body_start).map_err(NotebookError::WriteBack)?;
        let cells = place_cells(contents, spans)?;
        let language = kernel_language(root);
        let mut notebook = Notebook {
            bytes: bytes.to_vec(),
            cells,
            language,
            python_cells: Vec::new(),
            virtual_source: String::new(),
            skipped: Vec::new(),
        };
        notebook.build_virtual_source(root);
        Ok(notebook)
    }

    /// The Python code cells joined into one text; see the module doc.
    pub fn virtual_source(&self) -> &str {
        &self.virtual_source
    }

    /// The file's bytes, as read (or as written back by `apply_edits`).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The 1-based line of the `.ipynb` file that holds `line` (1-based) of
    /// `cell` (1-based among all cells): the list item that holds it when
    /// the source is a list of one item a line, else where the source
    /// starts. `None` for a cell that is not there.
    pub(crate) fn file_line(&self, cell: usize, line: usize) -> Option<usize> {
        let cell = self.cells.get(cell.checked_sub(1)?)?;
        let lines = lines::split(&cell.source).len().max(1);
        let token = match cell.span.is_list && cell.span.tokens.len() == lines {
            true => cell.span.tokens.get(line.saturating_sub(1)),
            false => cell.span.tokens.first(),
        };
        let at = token.map_or(cell.span.value.start, |t| t.start);
        Some(self.bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1)
    }

    /// The cell (1-based among all cells) that holds `line` (1-based) of
    /// the `.ipynb` file: the last one starting on or before it.
    pub(crate) fn cell_at_file_line(&self, line: usize) -> Option<usize> {
        let newlines = memchr::memchr_iter(b'\n', &self.bytes);
        let offset = match line {
            0 => return None,
            1 => 0,
            _ => newlines.take(line - 1).last()? + 1,
        };
        self.cells.iter().rposition(|c| c.span.cell_start <= offset).map(|i| i + 1)
    }

    /// The kernel language the notebook names, if any.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// Whether the notebook's code is Python (also when it names no language).
    pub fn is_python(&self) -> bool {
        self.language.as_deref().is_none_or(is_python_language)
    }

    /// The number of cells of every type.
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// Code cells left out of the virtual source, and why.
    pub fn skipped_cells(&self) -> &[SkippedCell] {
        &self.skipped
    }

    /// The range of the virtual source that holds `cell` (1-based among all
    /// cells), without the `\n` that follows it; `None` for a cell that is
    /// not there.
    pub fn cell_range(&self, cell: usize) -> Option<Range<usize>> {
        let python = self.python_cells.iter().find(|p| p.index + 1 == cell)?;
        Some(python.start..python.start + self.cells[python.index].source.len())
    }

    /// Where `offset` (a byte offset of the virtual source, its end
    /// included) is in the notebook; `None` past the end or when no cell is
    /// Python.
    pub fn cell_position(&self, offset: usize) -> Option<CellPosition> {
        let python = &self.python_cells[self.python_cell_at(offset)?];
        let source = &self.cells[python.index].source;
        let (line, column) = lines::line_and_column(source, offset - python.start);
        Some(CellPosition { cell: python.index + 1, line, column })
    }

    /// The new bytes of the notebook with `edits` (byte ranges of the
    /// virtual source and their replacements) applied; see the module doc
    /// for what is refused and how boundaries are read.
    pub fn apply_edits<'a>(
        &self,
        edits: impl IntoIterator<Item = (Range<usize>, &'a str)>,
    ) -> Result<Vec<u8>, NotebookError> {
        write::apply_edits(self, edits.into_iter().collect())
    }

    /// The new bytes of the notebook whose virtual source became
    /// `new_source`: the edits are found with a line diff, then applied as
    /// by [`Notebook::apply_edits`].
    pub fn apply(&self, new_source: &str) -> Result<Vec<u8>, NotebookError> {
        let edits = write::diff_edits(&self.virtual_source, new_source);
        self.apply_edits(edits.iter().map(|(range, text)| (range.clone(), text.as_str())))
    }

    /// The index in `python_cells` of the cell whose stretch holds `offset`:
    /// the last one starting at or before it.
    fn python_cell_at(&self, offset: usize) -> Option<usize> {
        if offset > self.virtual_source.len() {
            return None;
        }
        self.python_cells.partition_point(|p| p.start <= offset).checked_sub(1)
    }

    fn build_virtual_source(&mut self, root: &Map<String, Value>) {
        let notebook_language = self.language.clone().filter(|l| !is_python_language(l));
        for index in 0..self.cells.len() {
            if !self.cells[index].is_code {
                continue;
            }
            let cell_language = cell_language(root, index).filter(|l| !is_python_language(l));
            if let Some(language) = notebook_language.clone().or(cell_language) {
                self.skipped.push(SkippedCell { cell: index + 1, reason: SkipReason::Language(language) });
                continue;
            }
            match ipython::read_cell(&self.cells[index].source) {
                ipython::CellSyntax::CellMagic(name) => {
                    self.skipped.push(SkippedCell { cell: index + 1, reason: SkipReason::CellMagic(name) });
                }
                ipython::CellSyntax::Unterminated => {
                    self.skipped.push(SkippedCell { cell: index + 1, reason: SkipReason::Unterminated });
                }
                ipython::CellSyntax::Python(masked) => {
                    let start = self.virtual_source.len();
                    self.python_cells.push(PythonCell { index, start, masks: masked.masks });
                    self.virtual_source.push_str(&masked.text);
                    self.virtual_source.push('\n');
                }
            }
        }
    }
}

fn parse_json(body: &[u8]) -> Result<Value, NotebookError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(NotebookError::NotANotebook("the file is empty".into()));
    }
    serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
        NotebookError::MalformedJson { line: e.line(), column: e.column(), message }
    })
}

/// The top-level object, once it is known to be an nbformat 4 notebook.
fn check_format(value: &Value) -> Result<&Map<String, Value>, NotebookError> {
    let not_a_notebook = |why: &str| NotebookError::NotANotebook(why.to_string());
    let root = value.as_object().ok_or_else(|| not_a_notebook("the top level is not a JSON object"))?;
    let nbformat = match root.get("nbformat") {
        Some(version) => version.as_i64().ok_or_else(|| not_a_notebook("`nbformat` is not an integer"))?,
        None if root.contains_key("worksheets") => 3,
        None => return Err(not_a_notebook("no `nbformat` key")),
    };
    if nbformat != 4 {
        return Err(NotebookError::UnsupportedFormat { nbformat });
    }
    if !root.get("nbformat_minor").is_some_and(Value::is_i64) {
        return Err(not_a_notebook("no integer `nbformat_minor`"));
    }
    match root.get("cells") {
        Some(Value::Array(_)) => Ok(root),
        Some(_) => Err(not_a_notebook("`cells` is not a list")),
        None => Err(not_a_notebook("no `cells` list")),
    }
}

/// Each cell's type (code or not) and decoded source, checked against the
/// nbformat 4 schema as far as this module relies on it.
fn cell_contents(root: &Map<String, Value>) -> Result<Vec<(bool, String)>, NotebookError> {
    let values = root.get("cells").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    values.iter().enumerate().map(|(index, value)| cell_content(index + 1, value)).collect()
}

fn cell_content(number: usize, value: &Value) -> Result<(bool, String), NotebookError> {
    let invalid = |why: &str| NotebookError::NotANotebook(format!("cell {number}: {why}"));
    let cell_type = value.get("cell_type").and_then(Value::as_str).ok_or_else(|| invalid("no `cell_type`"))?;
    let source = match value.get("source") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| invalid("`source` has an item that is not a string")))
            .collect::<Result<String, _>>()?,
        Some(_) => return Err(invalid("`source` is neither a string nor a list of strings")),
        None => return Err(invalid("no `source`")),
    };
    Ok((cell_type == "code", source))
}

/// The cells with where their sources are in the file.
fn place_cells(
    contents: Vec<(bool, String)>,
    spans: Vec<Option<json::SourceSpan>>,
) -> Result<Vec<Cell>, NotebookError> {
    if contents.len() != spans.len() {
        return Err(NotebookError::WriteBack("the cells found in the bytes and in the JSON differ".into()));
    }
    let cells = contents.into_iter().zip(spans).map(|((is_code, source), span)| {
        let span = span.ok_or_else(|| NotebookError::WriteBack("a cell's source was not found in the bytes".into()))?;
        Ok(Cell { is_code, source, span })
    });
    cells.collect()
}

/// `language_info.name`, else `kernelspec.language`, from the notebook's metadata.
fn kernel_language(root: &Map<String, Value>) -> Option<String> {
    let metadata = root.get("metadata")?;
    let named = |path: [&str; 2]| metadata.get(path[0])?.get(path[1])?.as_str().map(str::to_string);
    named(["language_info", "name"]).or_else(|| named(["kernelspec", "language"]))
}

/// A VS Code cell's own language (`metadata.vscode.languageId`).
fn cell_language(root: &Map<String, Value>, index: usize) -> Option<String> {
    let cell = root.get("cells")?.get(index)?;
    cell.get("metadata")?.get("vscode")?.get("languageId")?.as_str().map(str::to_string)
}

fn is_python_language(language: &str) -> bool {
    let language = language.to_ascii_lowercase();
    language.starts_with("python") || language.starts_with("ipython")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notebook(cells: &[(&str, Value)]) -> Notebook {
        let cells: Vec<Value> = cells
            .iter()
            .map(|(kind, source)| serde_json::json!({"cell_type": kind, "metadata": {}, "source": source}))
            .collect();
        let json = serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5});
        Notebook::parse(serde_json::to_string_pretty(&json).unwrap().as_bytes()).unwrap()
    }

    #[test]
    fn virtual_source_joins_python_cells_with_one_newline() {
        let nb = notebook(&[
            ("markdown", "# Title".into()),
            ("code", serde_json::json!(["import torch\n", "p = 'm.pt'"])),
            ("code", "%%bash\nls".into()),
            ("code", "".into()),
            ("code", "m = torch.load(p)\n".into()),
        ]);
        assert_eq!(nb.virtual_source(), "import torch\np = 'm.pt'\n\nm = torch.load(p)\n\n");
        assert_eq!(nb.skipped_cells(), [SkippedCell { cell: 3, reason: SkipReason::CellMagic("bash".into()) }]);
        assert_eq!(nb.cell_range(5), Some(25..43));
        assert_eq!(nb.cell_range(3), None);
    }

    #[test]
    fn positions_name_the_cell_among_all_cells() {
        let nb = notebook(&[
            ("markdown", "# Title".into()),
            ("code", "import torch\np = 'é'".into()),
            ("code", "".into()),
            ("code", "x = 1\nm = torch.load(p)".into()),
        ]);
        let source = nb.virtual_source();
        let at = |needle: &str| nb.cell_position(source.find(needle).unwrap()).unwrap().to_string();
        assert_eq!(at("import"), "cell 2:line 1:col 1");
        assert_eq!(at("'é'"), "cell 2:line 2:col 5");
        assert_eq!(at("torch.load"), "cell 4:line 2:col 5");
        // The newline after a cell is the end of its last line.
        let after_cell_2 = "import torch\np = 'é'".len();
        assert_eq!(nb.cell_position(after_cell_2).unwrap().to_string(), "cell 2:line 2:col 8");
        assert_eq!(nb.cell_position(after_cell_2 + 1).unwrap().to_string(), "cell 3:line 1:col 1");
        assert_eq!(nb.cell_position(source.len()).unwrap().to_string(), "cell 4:line 2:col 18");
        assert_eq!(nb.cell_position(source.len() + 1), None);
    }

    #[test]
    fn positions_inside_masked_lines_count_the_cell_characters() {
        let nb = notebook(&[("code", "!echo é\nx = torch.load(p)".into())]);
        let offset = nb.virtual_source().find("torch").unwrap();
        assert_eq!(nb.cell_position(offset).unwrap().to_string(), "cell 1:line 2:col 5");
        // Byte 7 is inside the placeholder that stands for `é`; column 7 is `é`.
        assert_eq!(nb.cell_position(6).unwrap().to_string(), "cell 1:line 1:col 7");
    }

    #[test]
    fn other_kernels_have_no_python() {
        let json = serde_json::json!({
            "cells": [{"cell_type": "code", "metadata": {}, "source": "library(x)", "outputs": [], "execution_count": null}],
            "metadata": {"kernelspec": {"language": "R", "name": "ir", "display_name": "R"}},
            "nbformat": 4, "nbformat_minor": 2
        });
        let nb = Notebook::parse(json.to_string().as_bytes()).unwrap();
        assert!(!nb.is_python());
        assert_eq!(nb.virtual_source(), "");
        assert_eq!(nb.skipped_cells()[0].reason, SkipReason::Language("R".into()));
        assert_eq!(nb.cell_position(0), None);
    }

    #[test]
    fn vs_code_cells_in_other_languages_are_skipped() {
        let json = serde_json::json!({
            "cells": [
                {"cell_type": "code", "metadata": {"vscode": {"languageId": "sql"}}, "source": "SELECT 1"},
                {"cell_type": "code", "metadata": {"vscode": {"languageId": "python"}}, "source": "x = 1"}
            ],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 2
        });
        let nb = Notebook::parse(json.to_string().as_bytes()).unwrap();
        assert_eq!(nb.virtual_source(), "x = 1\n");
        assert_eq!(nb.skipped_cells(), [SkippedCell { cell: 1, reason: SkipReason::Language("sql".into()) }]);
        assert_eq!(nb.skipped_cells()[0].reason.to_string(), "sql code, not Python");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |text: &str| Notebook::parse(text.as_bytes()).unwrap_err().to_string();
        assert_eq!(err("{\n  \"cells\": [,]\n}"), "not valid JSON at line 2, column 13: expected value");
        assert_eq!(err(""), "not a Jupyter notebook: the file is empty");
        assert_eq!(err("[1]"), "not a Jupyter notebook: the top level is not a JSON object");
        assert_eq!(err(r#"{"nbformat": 4, "nbformat_minor": 2}"#), "not a Jupyter notebook: no `cells` list");
        assert_eq!(err(r#"{"cells": []}"#), "not a Jupyter notebook: no `nbformat` key");
        assert!(err(r#"{"worksheets": [], "metadata": {}}"#).starts_with("nbformat 3 notebook; only nbformat 4"));
        assert!(err(r#"{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}"#).starts_with("nbformat 3"));
        assert_eq!(
            err(r#"{"nbformat": 4, "nbformat_minor": 2, "cells": [{"cell_type": "code", "source": 3}]}"#),
            "not a Jupyter notebook: cell 1: `source` is neither a string nor a list of strings"
        );
    }

    #[test]
    fn a_byte_order_mark_is_read_past() {
        let mut bytes = BOM.to_vec();
        bytes.extend_from_slice(
            br#"{"nbformat": 4, "nbformat_minor": 2, "cells": [{"cell_type": "code", "source": "x"}]}"#,
        );
        assert_eq!(Notebook::parse(&bytes).unwrap().virtual_source(), "x\n");
    }
}
