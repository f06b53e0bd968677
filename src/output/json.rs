//! `--format json`: a stable schema for scripts (documented in the README).

use serde_json::{json, Value};

use crate::engine::{Diagnostic, FileError, FileErrorKind};
use crate::run::FileResult;
use crate::summary::Summary;

pub fn finding(path: &str, d: &Diagnostic) -> Value {
    json!({
        "path": path,
        "line": d.start.line,
        "column": d.start.column,
        "end_line": d.end.line,
        "end_column": d.end.column,
        "rule": d.rule.id,
        "bandit": d.rule.bandit,
        "ruff": d.rule.ruff.first(),
        "message": d.message,
        "fixable": d.fixable(),
        "fix_safety": d.fix_safety.map(|s| s.as_str()),
    })
}

pub fn error(path: &str, e: &FileError) -> Value {
    json!({
        "path": path,
        "line": e.line,
        "column": e.column,
        "kind": match e.kind { FileErrorKind::Skipped => "skipped", FileErrorKind::Syntax => "syntax" },
        "message": e.message,
    })
}

pub fn report(results: &[FileResult], summary: &Summary) -> Value {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        let path = r.path.to_string_lossy();
        findings.extend(r.outcome.diagnostics.iter().map(|d| finding(&path, d)));
        errors.extend(r.outcome.error.iter().map(|e| error(&path, e)));
        if let Some(message) = &r.io_error {
            errors.push(json!({"path": path, "line": null, "column": null, "kind": "io", "message": message}));
        }
    }
    json!({ "findings": findings, "errors": errors, "summary": summary.to_json() })
}

pub fn rule(meta: &crate::rules::RuleMeta) -> Value {
    json!({
        "id": meta.id,
        "bandit": meta.bandit,
        "bandit_name": meta.bandit_name,
        "ruff": meta.ruff,
        "fix_safety": meta.fix_safety.map(|s| s.as_str()),
        "summary": meta.summary,
        "documentation": meta.documentation(),
    })
}
