//! Notebooks end to end on realistic fixtures (`tests/fixtures/notebooks/`):
//! the virtual source parses as Python, an unchanged notebook writes back
//! byte for byte, and an edit changes only the edited cell's source, in
//! JSON that nbformat still validates.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

use remediate::notebook::{CellPosition, EditRefusal, Notebook, NotebookError, SkipReason};
use serde_json::Value;

const FIXTURES: &[&str] = &["explore.ipynb", "strings.ipynb", "crlf.ipynb", "ascii.ipynb", "r_kernel.ipynb"];

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notebooks").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn parse(name: &str) -> (Vec<u8>, Notebook) {
    let bytes = read(name);
    let notebook = Notebook::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    (bytes, notebook)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

/// The source of `cell` (1-based) as the JSON holds it, and whether it is a list.
fn cell_source(notebook_json: &Value, cell: usize) -> (String, bool) {
    match &notebook_json["cells"][cell - 1]["source"] {
        Value::String(text) => (text.clone(), false),
        Value::Array(items) => (items.iter().map(|i| i.as_str().unwrap()).collect(), true),
        other => panic!("cell {cell} source is {other}"),
    }
}

/// Panics unless `text` parses as Python with no error node.
fn assert_parses_as_python(name: &str, text: &str) {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
    let tree = parser.parse(text, None).unwrap();
    assert!(!tree.root_node().has_error(), "{name}: virtual source does not parse:\n{text}\n{}", tree.root_node());
}

/// The insertion of `text` before the `)` that closes the first call of `call`.
fn insert_in_call(notebook: &Notebook, call: &str, text: &'static str) -> (Range<usize>, &'static str) {
    let source = notebook.virtual_source();
    let start = source.find(call).unwrap_or_else(|| panic!("no {call} in:\n{source}"));
    let close = start + source[start..].find(')').unwrap();
    (close..close, text)
}

/// Asserts that `after` is `before` with only `cell`'s source changed, to `expected`
/// and in the same shape.
fn assert_only_cell_changed(before: &[u8], after: &[u8], cell: usize, expected: &str) {
    let (old, mut new) = (json(before), json(after));
    let (old_source, old_is_list) = cell_source(&old, cell);
    let (new_source, new_is_list) = cell_source(&new, cell);
    assert_eq!(new_source, expected);
    assert_ne!(new_source, old_source);
    assert_eq!(new_is_list, old_is_list, "the source changed shape");
    new["cells"][cell - 1]["source"] = old["cells"][cell - 1]["source"].clone();
    assert_eq!(new, old, "more than cell {cell}'s source changed");
}

/// The bytes that differ between `before` and `after`: (old stretch, new stretch).
fn changed_bytes<'a>(before: &'a [u8], after: &'a [u8]) -> (&'a str, &'a str) {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let most = before.len().min(after.len()) - prefix;
    let suffix = before.iter().rev().zip(after.iter().rev()).take(most).take_while(|(a, b)| a == b).count();
    let old = std::str::from_utf8(&before[prefix..before.len() - suffix]).unwrap();
    let new = std::str::from_utf8(&after[prefix..after.len() - suffix]).unwrap();
    (old, new)
}

/// The Python with nbformat: `$REMEDIATE_RUNTIME_PYTHON`. Unset, the check
/// is skipped with a message, except under CI where it fails.
fn runtime_python() -> Option<PathBuf> {
    match std::env::var_os("REMEDIATE_RUNTIME_PYTHON") {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => panic!("REMEDIATE_RUNTIME_PYTHON must be set under CI"),
        None => {
            eprintln!("skipping nbformat.validate: REMEDIATE_RUNTIME_PYTHON is not set");
            None
        }
    }
}

/// Panics unless nbformat reads `bytes` as a valid notebook.
fn assert_nbformat_valid(name: &str, bytes: &[u8]) {
    let Some(python) = runtime_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let script = "import json, sys, nbformat\n\
                  nb = json.load(open(sys.argv[1], encoding='utf-8'))\n\
                  nbformat.validate(nbformat.from_dict(nb))\n\
                  nbformat.read(sys.argv[1], as_version=4)\n";
    let out = Command::new(&python).args(["-c", script]).arg(&path).output().expect("running the runtime python");
    assert!(out.status.success(), "{name}: nbformat.validate failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_fixture_is_a_valid_notebook_to_start_with() {
    for name in FIXTURES {
        assert_nbformat_valid(name, &read(name));
    }
}

#[test]
fn virtual_sources_parse_as_python() {
    for name in FIXTURES {
        let (_, notebook) = parse(name);
        assert_parses_as_python(name, notebook.virtual_source());
    }
}

#[test]
fn unchanged_notebooks_write_back_byte_for_byte() {
    for name in FIXTURES {
        let (bytes, notebook) = parse(name);
        assert_eq!(notebook.apply(notebook.virtual_source()).unwrap(), bytes, "{name}: apply");
        assert_eq!(notebook.apply_edits([]).unwrap(), bytes, "{name}: apply_edits");
        // An edit that replaces text by itself changes nothing either.
        let source = notebook.virtual_source();
        if let Some(at) = source.find("torch") {
            let same = &source[at..at + 5];
            assert_eq!(notebook.apply_edits([(at..at + 5, same)]).unwrap(), bytes, "{name}: same text");
        }
    }
}

#[test]
fn explore_masks_ipython_and_skips_the_bash_cell() {
    let (_, notebook) = parse("explore.ipynb");
    let source = notebook.virtual_source();
    assert!(!source.contains("pip install"), "{source}");
    assert!(!source.contains("ls -la"), "{source}");
    assert!(!source.contains('!'), "{source}");
    assert!(source.contains("weights = torch.load(p, map_location=\"cpu\")"), "%%time body is Python");
    assert!(source.contains("0;    other = torch.load(p)"), "%time statement stays visible");
    assert_eq!(notebook.skipped_cells().len(), 1);
    assert_eq!(notebook.skipped_cells()[0].cell, 5);
    assert_eq!(notebook.skipped_cells()[0].reason, SkipReason::CellMagic("bash".into()));
    assert_eq!(notebook.cell_count(), 9);
}

#[test]
fn findings_map_to_cell_line_and_column() {
    let cases = [
        ("explore.ipynb", "torch.load(p)", CellPosition { cell: 3, line: 5, column: 9 }),
        ("explore.ipynb", "torch.load(p, map", CellPosition { cell: 7, line: 2, column: 11 }),
        ("explore.ipynb", "other = torch.load", CellPosition { cell: 7, line: 3, column: 7 }),
        ("explore.ipynb", "print(f)", CellPosition { cell: 6, line: 5, column: 5 }),
        ("strings.ipynb", "torch.load(ckpt)", CellPosition { cell: 3, line: 2, column: 9 }),
        ("crlf.ipynb", "torch.load(p)", CellPosition { cell: 3, line: 2, column: 5 }),
        ("ascii.ipynb", "torch.load(chemin)", CellPosition { cell: 3, line: 3, column: 6 }),
    ];
    for (name, needle, expected) in cases {
        let (_, notebook) = parse(name);
        let offset = notebook.virtual_source().find(needle).unwrap_or_else(|| panic!("{name}: no {needle}"));
        assert_eq!(notebook.cell_position(offset), Some(expected), "{name}: {needle}");
    }
    let (_, notebook) = parse("explore.ipynb");
    let offset = notebook.virtual_source().find("torch.load(p)").unwrap();
    let shown = format!("explore.ipynb:{}", notebook.cell_position(offset).unwrap());
    assert_eq!(shown, "explore.ipynb:cell 3:line 5:col 9");
}

#[test]
fn weights_only_edit_changes_only_cell_3() {
    let (before, notebook) = parse("explore.ipynb");
    let edit = insert_in_call(&notebook, "torch.load(p)", ", weights_only=True");
    let after = notebook.apply_edits([edit]).unwrap();

    let expected = "import torch\nimport matplotlib.pyplot as plt\n\np = \"checkpoints/modèle.pt\"\n\
                    state = torch.load(p, weights_only=True)\nprint(len(state))";
    assert_only_cell_changed(&before, &after, 3, expected);
    // Byte for byte, only the one JSON string of that line changed.
    assert_eq!(changed_bytes(&before, &after), ("", ", weights_only=True"));
    assert_nbformat_valid("explore.ipynb", &after);

    let reread = Notebook::parse(&after).unwrap();
    assert_parses_as_python("explore.ipynb after the edit", reread.virtual_source());
    // The same edit through the rewritten text gives the same bytes.
    let new_source = reread.virtual_source().to_string();
    assert_eq!(notebook.apply(&new_source).unwrap(), after);
}

#[test]
fn edits_keep_string_sources_strings() {
    let (before, notebook) = parse("strings.ipynb");
    let edit = insert_in_call(&notebook, "torch.load(ckpt)", ", weights_only=True");
    let after = notebook.apply_edits([edit]).unwrap();
    let expected = "ckpt = Path('run') / 'best.pt'\nmodel = torch.load(ckpt, weights_only=True)\n# «best» model";
    assert_only_cell_changed(&before, &after, 3, expected);
    assert_eq!(changed_bytes(&before, &after), ("", ", weights_only=True"));
    assert!(!after.ends_with(b"\n"), "the file had no final newline");
    assert_nbformat_valid("strings.ipynb", &after);
}

#[test]
fn crlf_notebooks_keep_crlf_in_cells_and_between_json_lines() {
    let (before, notebook) = parse("crlf.ipynb");
    let line_start = notebook.virtual_source().find("m = torch.load").unwrap();
    let call = insert_in_call(&notebook, "torch.load(p)", ", weights_only=True");
    let after = notebook.apply_edits([(line_start..line_start, "import os\n"), call]).unwrap();
    assert_only_cell_changed(&before, &after, 3, "x = 1\r\nimport os\r\nm = torch.load(p, weights_only=True)\r\ny = 2");
    let text = String::from_utf8(after.clone()).unwrap();
    let items = "\"x = 1\\r\\n\",\r\n    \"import os\\r\\n\",\r\n    \"m = torch.load(p, weights_only=True)\\r\\n\"";
    assert!(text.contains(items), "{text}");
    assert!(!text.replace("\r\n", "").contains('\n'), "a bare newline between JSON lines");
    assert_nbformat_valid("crlf.ipynb", &after);
}

#[test]
fn ensure_ascii_notebooks_get_escaped_text() {
    let (before, notebook) = parse("ascii.ipynb");
    let line_start = notebook.virtual_source().find("sd = ").unwrap();
    let call = insert_in_call(&notebook, "torch.load(chemin)", ", weights_only=True");
    let after = notebook.apply_edits([(line_start..line_start, "# vérifié\n"), call]).unwrap();
    let expected =
        "import torch\nchemin = 'données/modèle.pt'\n# vérifié\nsd = torch.load(chemin, weights_only=True)  # 📦";
    assert_only_cell_changed(&before, &after, 3, expected);
    let new = String::from_utf8(after.clone()).unwrap();
    let items = "\"# v\\u00e9rifi\\u00e9\\n\",\n                \"sd = torch.load(chemin, weights_only=True)";
    assert!(new.contains(items), "{new}");
    assert!(new.contains("True)  # \\ud83d\\udce6\"\n"), "{new}");
    assert!(after.is_ascii());
    assert_nbformat_valid("ascii.ipynb", &after);
}

#[test]
fn raw_notebooks_get_raw_text() {
    let (before, notebook) = parse("explore.ipynb");
    let line_start = notebook.virtual_source().find("state = ").unwrap();
    let after = notebook.apply_edits([(line_start..line_start, "# vérifié\n")]).unwrap();
    assert_eq!(changed_bytes(&before, &after), ("", "# vérifié\\n\",\n    \""));
}

#[test]
fn an_empty_cell_can_be_filled() {
    let (before, notebook) = parse("explore.ipynb");
    let empty = notebook.cell_range(4).unwrap();
    assert!(empty.is_empty());
    // Replacing the empty cell's newline writes into it.
    let filled = notebook.apply_edits([(empty.start..empty.start + 1, "import os\nos.getcwd()\n")]).unwrap();
    assert_only_cell_changed(&before, &filled, 4, "import os\nos.getcwd()");
    let (old, new) = changed_bytes(&before, &filled);
    assert_eq!((old, new), ("", "\n    \"import os\\n\",\n    \"os.getcwd()\"\n   "));
    assert_nbformat_valid("explore.ipynb", &filled);

    // An insertion at the boundary before it belongs to cell 3, after its last line.
    let appended = notebook.apply_edits([(empty.start..empty.start, "import os\n")]).unwrap();
    let (cell_3, _) = cell_source(&json(&before), 3);
    assert_only_cell_changed(&before, &appended, 3, &format!("{cell_3}\nimport os"));
    assert_nbformat_valid("explore.ipynb", &appended);
}

#[test]
fn edits_on_ipython_lines_or_across_cells_are_refused() {
    let (_, notebook) = parse("explore.ipynb");
    let source = notebook.virtual_source();
    let masked_pip = source.find('#').unwrap();
    let err = notebook.apply_edits([(masked_pip + 1..masked_pip + 4, "x")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "edit of bytes {}..{} refused: it touches cell 2, line 1, which is IPython syntax, not Python",
            masked_pip + 1,
            masked_pip + 4
        )
    );
    let cell_3 = notebook.cell_range(3).unwrap();
    let err = notebook.apply_edits([(cell_3.start - 2..cell_3.start + 2, "")]).unwrap_err();
    let reason = EditRefusal::CrossesCells { first: 2, last: 3 };
    assert_eq!(err, NotebookError::EditRefused { range: cell_3.start - 2..cell_3.start + 2, reason });
}

#[test]
fn other_kernels_give_no_python() {
    let (bytes, notebook) = parse("r_kernel.ipynb");
    assert!(!notebook.is_python());
    assert_eq!(notebook.language(), Some("R"));
    assert_eq!(notebook.virtual_source(), "");
    assert_eq!(notebook.apply("").unwrap(), bytes);
}

#[test]
fn broken_files_say_where_and_what() {
    let bytes = read("explore.ipynb");
    let cut = &bytes[..bytes.len() / 2];
    match Notebook::parse(cut) {
        Err(NotebookError::MalformedJson { line, column, .. }) => assert!(line > 1 && column > 0),
        other => panic!("expected malformed JSON, got {other:?}"),
    }
    let text = String::from_utf8(bytes).unwrap().replacen("\"nbformat\": 4", "\"nbformat\": 3", 1);
    let err = Notebook::parse(text.as_bytes()).unwrap_err();
    assert_eq!(err, NotebookError::UnsupportedFormat { nbformat: 3 });
}

#[test]
fn calls_inside_time_magics_are_fixed_in_place() {
    let (before, notebook) = parse("explore.ipynb");
    let source = notebook.virtual_source();
    let edits: Vec<(Range<usize>, &str)> = source
        .match_indices("torch.load(")
        .map(|(at, _)| {
            let close = at + source[at..].find(')').unwrap();
            (close..close, ", weights_only=True")
        })
        .collect();
    assert_eq!(edits.len(), 3);
    let after = notebook.apply_edits(edits.iter().cloned()).unwrap();
    let (cell_7, _) = cell_source(&json(&after), 7);
    assert_eq!(
        cell_7,
        "%%time\nweights = torch.load(p, map_location=\"cpu\", weights_only=True)\n\
         %time other = torch.load(p, weights_only=True)"
    );
    assert_nbformat_valid("explore.ipynb", &after);
    // The rewritten text gives the same notebook as the edits.
    let mut new_source = source.to_string();
    for (range, text) in edits.iter().rev() {
        new_source.insert_str(range.start, text);
    }
    assert_eq!(notebook.apply(&new_source).unwrap(), after);
    let (old, new) = (json(&before), json(&after));
    for cell in [1, 2, 4, 5, 6, 8, 9] {
        assert_eq!(old["cells"][cell - 1], new["cells"][cell - 1], "cell {cell}");
    }
}

/// The character at 1-based `line` and `column` of `text`.
fn char_at(text: &str, line: usize, column: usize) -> Option<char> {
    let line_text = text.split_inclusive('\n').nth(line - 1).unwrap_or("");
    line_text.trim_end_matches(['\n', '\r']).chars().nth(column - 1)
}

#[test]
fn every_offset_maps_to_the_same_character_in_its_cell() {
    for name in FIXTURES {
        let (bytes, notebook) = parse(name);
        let value = json(&bytes);
        let source = notebook.virtual_source();
        for (offset, ch) in source.char_indices() {
            let at = notebook.cell_position(offset).unwrap_or_else(|| panic!("{name}: offset {offset}"));
            let (cell_text, _) = cell_source(&value, at.cell);
            // Placeholder characters stand for IPython text; the rest is the cell's own.
            if ch.is_whitespace() || matches!(ch, '#' | '0' | ';' | '.') {
                continue;
            }
            assert_eq!(char_at(&cell_text, at.line, at.column), Some(ch), "{name}: offset {offset} at {at}");
        }
    }
}

#[test]
fn every_insertion_is_written_back_or_refused_with_a_reason() {
    for name in FIXTURES {
        let (_, notebook) = parse(name);
        let source = notebook.virtual_source();
        for offset in (0..=source.len()).filter(|&o| source.is_char_boundary(o)) {
            match notebook.apply_edits([(offset..offset, "é = 1\n")]) {
                Ok(bytes) => {
                    Notebook::parse(&bytes).unwrap_or_else(|e| panic!("{name} at {offset}: {e}"));
                    // The inserted line is in some cell (with `\r\n` in a CRLF cell).
                    let all_sources = |notebook_json: &Value| -> String {
                        let cells = notebook_json["cells"].as_array().unwrap().len();
                        (1..=cells).map(|cell| cell_source(notebook_json, cell).0.replace("\r\n", "\n")).collect()
                    };
                    let (old, new) = (all_sources(&json(&read(name))), all_sources(&json(&bytes)));
                    assert_eq!(new.len() - old.len(), "é = 1\n".len(), "{name} at {offset}");
                }
                Err(NotebookError::EditRefused {
                    reason:
                        EditRefusal::TouchesMagic { .. } | EditRefusal::SplitsLineEnding | EditRefusal::NoPythonCells,
                    ..
                }) => {}
                Err(other) => panic!("{name} at {offset}: {other}"),
            }
        }
    }
}

#[test]
fn virtual_sources_compile_with_cpython() {
    let Some(python) = runtime_python() else { return };
    for name in FIXTURES {
        let (_, notebook) = parse(name);
        let script = "import sys\ncompile(sys.stdin.buffer.read(), sys.argv[1], 'exec', dont_inherit=True)\n";
        let mut child = Command::new(&python)
            .args(["-c", script, name])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("running the runtime python");
        child.stdin.take().unwrap().write_all(notebook.virtual_source().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: CPython rejects the virtual source:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
