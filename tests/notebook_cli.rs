//! Notebooks through the real binary: `check` reports findings by cell,
//! `diff` gives a patch of the JSON that `git apply` takes, and `fix`
//! writes back a notebook that nbformat still validates, with only the
//! edited cells' sources changed and every code cell compiling in CPython.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{remediate, run_in, runtime_python};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notebooks").join(name)
}

fn run(dir: &Path, args: &[&str]) -> common::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_in(dir, &remediate(), &args)
}

/// A notebook of `cells` (`("code" | "markdown", source)`), sources as
/// lists of lines, with an output and metadata that must survive a fix.
fn notebook(cells: &[(&str, &str)]) -> String {
    let cells: Vec<Value> = cells
        .iter()
        .enumerate()
        .map(|(i, (kind, source))| {
            let lines: Vec<&str> = source.split_inclusive('\n').collect();
            match *kind {
                "code" => serde_json::json!({
                    "cell_type": "code", "execution_count": i, "id": format!("c{i}"),
                    "metadata": {"tags": ["keep"]},
                    "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
                    "source": lines,
                }),
                _ => {
                    serde_json::json!({"cell_type": "markdown", "id": format!("c{i}"), "metadata": {}, "source": lines})
                }
            }
        })
        .collect();
    let json = serde_json::json!({
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    });
    serde_json::to_string_pretty(&json).unwrap() + "\n"
}

/// Panics unless nbformat validates the notebook at `path`.
fn assert_nbformat_valid(path: &Path) {
    let Some(python) = runtime_python("nbformat.validate") else { return };
    let script = "import sys, nbformat\nnbformat.validate(nbformat.read(sys.argv[1], as_version=4))\n";
    let out = Command::new(python).args(["-c", script]).arg(path).output().expect("running the runtime python");
    assert!(out.status.success(), "nbformat.validate failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Panics unless CPython compiles every code cell of the notebook at `path`
/// once its IPython lines are replaced, as IPython would run them: `%%time`
/// dropped, `%time stmt` as `stmt`, other `%`, `!` and `?` lines as `pass`.
fn assert_cells_compile(path: &Path) {
    let script = r#"
import json, re, sys
nb = json.load(open(sys.argv[1], encoding="utf-8"))
for number, cell in enumerate(nb["cells"], 1):
    if cell["cell_type"] != "code":
        continue
    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    lines = text.splitlines()
    if lines and lines[0].startswith("%%"):
        if not lines[0].startswith("%%time"):
            continue
        lines = lines[1:]
    out = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        body = line.strip()
        if body.startswith("%time "):
            out.append(indent + body[len("%time "):])
        elif body.startswith(("%", "!")) or body.endswith("?") or re.match(r"\w+ = !", body):
            out.append(indent + "pass")
        else:
            out.append(line)
    compile("\n".join(out) + "\n", f"cell {number}", "exec")
"#;
    let out = common::python(&["-c", script, path.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "a fixed cell does not compile:\n{}", out.stderr);
}

/// The cells' sources, joined, and the notebook with every source blanked.
fn split_sources(bytes: &[u8]) -> (Vec<String>, Value) {
    let mut json: Value = serde_json::from_slice(bytes).expect("valid JSON");
    let mut sources = Vec::new();
    for cell in json["cells"].as_array_mut().unwrap() {
        let source = match &cell["source"] {
            Value::Array(items) => items.iter().map(|i| i.as_str().unwrap()).collect(),
            Value::String(text) => text.clone(),
            other => panic!("source is {other}"),
        };
        sources.push(source);
        cell["source"] = Value::Null;
    }
    (sources, json)
}

#[test]
fn check_reports_a_torch_load_cell_by_cell_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("explore.ipynb"), dir.path().join("explore.ipynb")).unwrap();
    let out = run(dir.path(), &["check", "explore.ipynb"]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("explore.ipynb:cell 3:line 5:col 9: torch-load [B614]"), "{}", out.stdout);
    assert!(out.stdout.contains("explore.ipynb:cell 7:line 2:col 11: torch-load"), "{}", out.stdout);
    // The `%%bash` cell and the IPython lines are not read as Python.
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert!(out.stderr.contains("3 finding(s) in 1 file(s)"), "{}", out.stderr);

    let json = run(dir.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let first = &report["findings"][0];
    assert_eq!((first["cell"].as_u64(), first["line"].as_u64(), first["column"].as_u64()), (Some(3), Some(5), Some(9)));
    assert_eq!(first["path"], "./explore.ipynb");

    let sarif = run(dir.path(), &["check", "--format", "sarif", "explore.ipynb"]);
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let line = result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap() as usize;
    let file = std::fs::read_to_string(dir.path().join("explore.ipynb")).unwrap();
    assert!(file.lines().nth(line - 1).unwrap().contains("state = torch.load(p)"), "SARIF line {line}");
    assert_eq!(result["properties"]["cell"]["cell"], 3);
    assert!(result.get("fixes").is_none(), "a notebook's fix cannot be SARIF byte replacements");
}

#[test]
fn diff_is_a_patch_of_the_json_that_git_applies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("explore.ipynb"), dir.path().join("explore.ipynb")).unwrap();
    let out = run(dir.path(), &["diff", "explore.ipynb"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("--- a/explore.ipynb\n+++ b/explore.ipynb\n"), "{}", out.stdout);
    assert!(out.stdout.contains(" @@ cell 3\n") && out.stdout.contains(" @@ cell 7\n"), "{}", out.stdout);
    assert!(out.stdout.contains("+    \"state = torch.load(p, weights_only=True)\\n\",\n"), "{}", out.stdout);
    std::fs::write(dir.path().join("fix.patch"), &out.stdout_bytes).unwrap();
    let git = |args: &[&str]| Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
    assert!(git(&["init", "-q"]).status.success());
    let applied = git(&["apply", "fix.patch"]);
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    // Applying the patch gives what `fix` writes.
    let patched = std::fs::read(dir.path().join("explore.ipynb")).unwrap();
    std::fs::copy(fixture("explore.ipynb"), dir.path().join("explore.ipynb")).unwrap();
    assert_eq!(run(dir.path(), &["fix", "explore.ipynb"]).code, Some(0));
    assert_eq!(std::fs::read(dir.path().join("explore.ipynb")).unwrap(), patched);
}

#[test]
fn fix_changes_only_the_edited_cells_and_keeps_the_notebook_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.ipynb");
    let original = notebook(&[
        ("markdown", "# Training\n"),
        ("code", "import os\nimport requests\nimport torch\n\nfrom mylib import data\n"),
        ("code", "!pip install -q torch\n%matplotlib inline\nr = requests.get(\"https://example.com\")\n"),
        ("code", "try:\n    m = torch.load(os.environ[\"CKPT\"])\nexcept Exception:\n    pass\n"),
        ("code", "%%bash\necho torch.load\n"),
        ("code", "print(r.status_code)"),
    ]);
    std::fs::write(&path, &original).unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "train.ipynb"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let fixed = std::fs::read(&path).unwrap();

    let (old_sources, old_rest) = split_sources(original.as_bytes());
    let (new_sources, new_rest) = split_sources(&fixed);
    assert_eq!(new_rest, old_rest, "only cell sources may change");
    let changed: Vec<usize> =
        (0..old_sources.len()).filter(|&i| old_sources[i] != new_sources[i]).map(|i| i + 1).collect();
    assert_eq!(changed, [2, 3, 4], "{new_sources:#?}");
    assert!(new_sources[2].contains("requests.get(\"https://example.com\", timeout="), "{}", new_sources[2]);
    assert!(new_sources[2].starts_with("!pip install -q torch\n%matplotlib inline\n"), "{}", new_sources[2]);
    assert!(new_sources[3].contains("torch.load(os.environ[\"CKPT\"], weights_only=True)"), "{}", new_sources[3]);
    // The logger the except fix needs is set up in the first code cell.
    assert!(new_sources[1].contains("import logging\n"), "{}", new_sources[1]);
    assert!(new_sources[4] == old_sources[4]);
    // The file's formatting is kept: the edit is the only difference.
    assert!(String::from_utf8(fixed.clone()).unwrap().ends_with("}\n"));
    assert_nbformat_valid(&path);
    assert_cells_compile(&path);
    // A second run finds nothing left to fix.
    let again = run(dir.path(), &["fix", "--unsafe-fixes", "train.ipynb"]);
    assert_eq!(again.code, Some(0));
    assert_eq!(std::fs::read(&path).unwrap(), fixed);
}

#[test]
fn fixed_fixture_notebooks_stay_valid_and_compile() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["explore.ipynb", "strings.ipynb", "crlf.ipynb", "ascii.ipynb"] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "."]);
    assert_ne!(out.code, Some(2), "{}", out.stderr);
    for name in ["explore.ipynb", "strings.ipynb", "crlf.ipynb", "ascii.ipynb"] {
        let path = dir.path().join(name);
        assert_nbformat_valid(&path);
        assert_cells_compile(&path);
    }
}

#[test]
fn a_file_that_is_not_a_notebook_is_skipped_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.ipynb"), "{\"cells\": [,]}").unwrap();
    std::fs::write(dir.path().join("ok.py"), "x = 1\n").unwrap();
    let out = run(dir.path(), &["check", "."]);
    assert!(out.stderr.contains("broken.ipynb: skipped: not valid JSON at line 1"), "{}", out.stderr);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
