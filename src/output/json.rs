//! `--format json`: a stable schema for scripts (documented in the README).

use serde_json::{json, Value};

use crate::report::summary::Summary;
use crate::report::FileResult;
use crate::report::{Diagnostic, FileError, FileErrorKind, PathError};

/// A finding; `fixable` says whether `remediate fix` with the run's options
/// would fix it (an unsafe fix counts only with `--unsafe-fixes`).
pub(crate) fn finding(path: &str, d: &Diagnostic, unsafe_fixes: bool) -> Value {
    with_cell(
        d,
        json!({
            "path": path,
            "line": d.start.line,
            "column": d.start.column,
            "end_line": d.end.line,
            "end_column": d.end.column,
            "rule": d.rule.id,
            "bandit": d.rule.bandit,
            "ruff": d.rule.ruff.first(),
            "message": d.full_message(),
                "code": d.line_text,
            "fixable": d.fixable_with(unsafe_fixes),
            "fix_safety": d.fix_safety.map(|s| s.as_str()),
            "severity": d.rule.severity.as_str(),
        }),
    )
}

/// In a notebook, `line` and `column` are in the cell `cell` (1-based among
/// all cells); the key is absent for a `.py` file.
fn with_cell(d: &Diagnostic, mut value: Value) -> Value {
    if let Some(cell) = d.start.cell {
        value["cell"] = json!(cell);
    }
    value
}

pub(crate) fn error(path: &str, e: &FileError) -> Value {
    json!({
        "path": path,
        "cell": e.cell,
        "line": e.line,
        "column": e.column,
        "kind": match e.kind { FileErrorKind::Skipped => "skipped", FileErrorKind::Syntax => "syntax" },
        "message": e.message,
    })
}

/// The report: findings, errors (files that could not be processed and paths
/// that could not be walked, so that an exit code of 2 always has an entry
/// here) and the summary.
pub(crate) fn report(results: &[FileResult], unwalked: &[PathError], summary: &Summary) -> Value {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for e in unwalked {
        errors.push(io_error(&e.path.to_string_lossy(), &e.to_string()));
    }
    for r in results {
        let path = r.path.to_string_lossy();
        findings.extend(r.outcome.diagnostics.iter().map(|d| finding(&path, d, summary.unsafe_fixes)));
        errors.extend(r.outcome.error.iter().map(|e| error(&path, e)));
        if let Some(message) = &r.io_error {
            errors.push(io_error(&path, message));
        }
    }
    json!({ "findings": findings, "errors": errors, "summary": summary.to_json() })
}

fn io_error(path: &str, message: &str) -> Value {
    json!({"path": path, "line": null, "column": null, "kind": "io", "message": message})
}

pub(crate) fn rule(meta: &crate::rules::RuleMeta) -> Value {
    json!({
        "id": meta.id,
        "bandit": meta.bandit,
        "bandit_name": meta.bandit_name,
        "ruff": meta.ruff,
        "fix_safety": meta.fix_safety.map(|s| s.as_str()),
        "severity": meta.severity.as_str(),
        "summary": meta.summary,
        "documentation": meta.documentation(),
    })
}

/// `diff --format json`: the check report (what remains), plus per changed
/// file its unified diff and each applied fix with its edits. Edit positions
/// refer to the text the fix was applied to: the original file, unless an
/// overlapping fix had to wait for a later pass.
pub(crate) fn diff_report(results: &[FileResult], unwalked: &[PathError], summary: &Summary) -> Value {
    let mut files = Vec::new();
    for r in results.iter().filter(|r| r.changed()) {
        let (Some(old), Some(new)) = (&r.original, &r.outcome.fixed_bytes) else { continue };
        let (diff, encoding) = text_of(crate::output::diff::of_file(&r.path, old, new, false));
        files.push(json!({
            "path": r.path.to_string_lossy(),
            "diff": diff,
            "diff_encoding": encoding,
            "fixes": r.outcome.fixed.iter().map(applied_fix).collect::<Vec<_>>(),
        }));
    }
    let mut report = report(results, unwalked, summary);
    report["files"] = Value::Array(files);
    report
}

fn applied_fix(d: &Diagnostic) -> Value {
    with_cell(
        d,
        json!({
            "rule": d.rule.id,
            "bandit": d.rule.bandit,
            "ruff": d.rule.ruff.first(),
            "line": d.start.line,
            "column": d.start.column,
            "end_line": d.end.line,
            "end_column": d.end.column,
            "message": d.full_message(),
            "title": d.fix_title,
            "fix_safety": d.fix_safety.map(|s| s.as_str()),
            "edits": d.edits.iter().map(|e| json!({
                "line": e.start.line,
                "column": e.start.column,
                "end_line": e.end.line,
                "end_column": e.end.column,
                "text": e.text,
            })).collect::<Vec<_>>(),
        }),
    )
}

/// A diff as JSON text without loss: UTF-8 when it is, else Latin-1, where
/// every byte is the code point of the same value.
fn text_of(bytes: Vec<u8>) -> (String, &'static str) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, "utf-8"),
        Err(e) => (e.into_bytes().iter().map(|&b| b as char).collect(), "latin-1"),
    }
}
