//! `check --format markdown`: an overview, then a table per rule, for job
//! summaries and issue comments. The Markdown helpers here are shared with
//! the pull-request report.

use std::collections::BTreeMap;

use crate::pipeline::walk::display_path;
use crate::report::summary::Summary;
use crate::report::FileResult;
use crate::report::{Diagnostic, FileErrorKind, PathError};
use crate::rules::RuleMeta;

pub(crate) fn tables(
    results: &[FileResult],
    unwalked: &[PathError],
    summary: &Summary,
    rules: &[&'static RuleMeta],
) -> String {
    let mut by_rule: BTreeMap<&str, Vec<(String, &Diagnostic)>> = BTreeMap::new();
    for r in results {
        let path = display_path(&r.path);
        for d in &r.outcome.diagnostics {
            by_rule.entry(d.rule.id).or_default().push((path.clone(), d));
        }
    }
    let files_with_findings = results.iter().filter(|r| !r.outcome.diagnostics.is_empty()).count();
    let mut out = String::from("# remediate check\n\n");
    let command = if summary.unsafe_fixes { "remediate fix --unsafe-fixes" } else { "remediate fix" };
    out += &format!(
        "{} in {files_with_findings} of the {} scanned; {} fixable with `{command}`.\n",
        count(summary.findings, "finding"),
        count(summary.files, "file"),
        summary.fixable,
    );
    if summary.unsafe_fixable > 0 && !summary.unsafe_fixes {
        out += &format!("{} more with `--unsafe-fixes`, after review.\n", summary.unsafe_fixable);
    }
    if summary.findings > 0 {
        out += "\n| Rule | Bandit | ruff | Findings | Fixable |\n| --- | --- | --- | ---: | ---: |\n";
        for meta in rules {
            let Some(found) = by_rule.get(meta.id) else { continue };
            let fixable = found.iter().filter(|(_, d)| d.fixable_with(summary.unsafe_fixes)).count();
            out += &row(&[
                code_span(meta.id),
                codes(meta.bandit),
                ruff(meta),
                found.len().to_string(),
                fixable.to_string(),
            ]);
        }
    }
    for meta in rules {
        let Some(found) = by_rule.get(meta.id) else { continue };
        out += &format!("\n## {}: {}\n\n", code_span(meta.id), cell(meta.summary));
        out += "| Location | Message | Fix |\n| --- | --- | --- |\n";
        for (path, d) in found {
            let location = code_span(&format!("{path}:{}", d.start));
            let fix = d.fix_safety.map_or("none", |s| s.as_str()).to_owned();
            out += &row(&[location, cell(&d.full_message()), fix]);
        }
    }
    out += &problems(results, unwalked);
    out
}

/// The files and paths that were not processed, as a table (empty when there
/// are none).
pub(crate) fn problems(results: &[FileResult], unwalked: &[PathError]) -> String {
    let mut rows = String::new();
    for e in unwalked {
        rows += &row(&[code_span(&display_path(&e.path)), "I/O error".to_owned(), cell(&e.reason)]);
    }
    for r in results {
        let path = display_path(&r.path);
        if let Some(e) = &r.outcome.error {
            let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            let kind = match e.kind {
                FileErrorKind::Skipped => "skipped",
                FileErrorKind::Syntax => "not parsed",
            };
            rows += &row(&[code_span(&format!("{path}{at}")), kind.to_owned(), cell(&e.message)]);
        }
        if let Some(message) = &r.io_error {
            rows += &row(&[code_span(&path), "I/O error".to_owned(), cell(message)]);
        }
    }
    if rows.is_empty() {
        return rows;
    }
    format!("\n## Files not processed\n\n| File | Problem | Detail |\n| --- | --- | --- |\n{rows}")
}

/// `n thing` or `n things`.
pub(crate) fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

pub(crate) fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// Text made safe for one table cell: no line breaks, no bare `|`.
pub(crate) fn cell(text: &str) -> String {
    text.replace('\r', "").replace('\n', " ").replace('|', "\\|")
}

/// A code span that survives backticks and `|` in its text.
pub(crate) fn code_span(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

pub(crate) fn codes(code: Option<&str>) -> String {
    code.unwrap_or("–").to_owned()
}

pub(crate) fn ruff(meta: &RuleMeta) -> String {
    if meta.ruff.is_empty() {
        "–".to_owned()
    } else {
        meta.ruff.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_tables_intact() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(code_span("x.py:3"), "`x.py:3`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
    }
}
