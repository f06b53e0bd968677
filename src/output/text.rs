//! The human format: one line a finding, `path:line:col: rule [code] message`.

use crate::engine::{Diagnostic, FileError};
use crate::output::Paint;
use crate::run::FileResult;

/// The Bandit code, else the first ruff code, for the `[code]` column.
pub fn code(d: &Diagnostic) -> Option<&'static str> {
    d.rule.bandit.or(d.rule.ruff.first().copied())
}

pub fn finding_line(path: &str, d: &Diagnostic, paint: Paint) -> String {
    let code = code(d).map(|c| format!(" [{c}]")).unwrap_or_default();
    let marker = match d.fix_safety {
        Some(crate::edit::FixSafety::Safe) => " (fixable)",
        Some(crate::edit::FixSafety::Unsafe) => " (unsafe fix available)",
        None => "",
    };
    format!(
        "{}:{}:{}: {}{} {}{}",
        paint.bold(path),
        d.start.line,
        d.start.column,
        paint.red(d.rule.id),
        code,
        d.message,
        paint.cyan(marker)
    )
}

pub fn error_line(path: &str, e: &FileError, paint: Paint) -> String {
    let at = match (e.line, e.column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    };
    let label = match e.kind {
        crate::engine::FileErrorKind::Skipped => paint.yellow("warning"),
        crate::engine::FileErrorKind::Syntax => paint.red("error"),
    };
    format!("{label}: {path}{at}: {}", e.message)
}

/// Every finding of every file, then the files' own problems.
pub fn findings(results: &[FileResult], paint: Paint) -> String {
    let mut out = String::new();
    for r in results {
        let path = r.path.to_string_lossy();
        for d in &r.outcome.diagnostics {
            out.push_str(&finding_line(&path, d, paint));
            out.push('\n');
        }
    }
    out
}

/// `remediate rules`: the table, then each rule's documentation.
pub fn rule_table(rules: &[&'static dyn crate::rules::Rule]) -> String {
    let mut out = format!("{:<16} {:<6} {:<10} {:<7} {}\n", "RULE", "BANDIT", "RUFF", "FIX", "SUMMARY");
    for r in rules {
        let m = r.meta();
        out += &format!(
            "{:<16} {:<6} {:<10} {:<7} {}\n",
            m.id,
            m.bandit.unwrap_or("-"),
            if m.ruff.is_empty() { "-".to_owned() } else { m.ruff.join(",") },
            m.fix_safety.map_or("none", |s| s.as_str()),
            m.summary
        );
    }
    for r in rules {
        out += &format!("\n# {}\n\n{}\n", r.meta().id, r.meta().documentation());
    }
    out
}
