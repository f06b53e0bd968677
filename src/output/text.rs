//! The human format: one line a finding, `path:line:col: rule [code] message`
//! (`path:cell 3:line 2:col 5: ...` in a notebook).

use crate::output::Paint;
use crate::report::FileResult;
use crate::report::{Diagnostic, FileError};

/// The Bandit code, else the first ruff code, for the `[code]` column.
pub(crate) fn code(d: &Diagnostic) -> Option<&'static str> {
    d.rule.bandit.or(d.rule.ruff.first().copied())
}

pub(crate) fn finding_line(path: &str, d: &Diagnostic, paint: Paint) -> String {
    let code = code(d).map(|c| format!(" [{c}]")).unwrap_or_default();
    let marker = match d.fix_safety {
        Some(crate::fix::edit::FixSafety::Safe) => " (fixable)",
        Some(crate::fix::edit::FixSafety::Unsafe) => " (unsafe fix available)",
        None => "",
    };
    format!(
        "{}:{}: {}{} {}{}",
        paint.bold(path),
        d.start,
        paint.red(d.rule.id),
        code,
        d.full_message(),
        paint.cyan(marker)
    )
}

pub(crate) fn error_line(path: &str, e: &FileError, paint: Paint) -> String {
    let cell = e.cell.map(|c| format!(":cell {c}")).unwrap_or_default();
    let at = match (e.line, e.column, e.cell) {
        (Some(l), Some(c), Some(_)) => format!(":line {l}:col {c}"),
        (Some(l), None, Some(_)) => format!(":line {l}"),
        (Some(l), Some(c), None) => format!(":{l}:{c}"),
        (Some(l), None, None) => format!(":{l}"),
        _ => String::new(),
    };
    let at = cell + &at;
    let label = match e.kind {
        crate::report::FileErrorKind::Skipped => paint.yellow("warning"),
        crate::report::FileErrorKind::Syntax => paint.red("error"),
    };
    format!("{label}: {path}{at}: {}", e.message)
}

/// Every finding of every file; with `frame`, each followed by its source line.
pub(crate) fn findings(results: &[FileResult], paint: Paint, frame: bool) -> String {
    let mut out = String::new();
    for r in results {
        let path = r.path.to_string_lossy();
        for d in &r.outcome.diagnostics {
            out.push_str(&finding_line(&path, d, paint));
            out.push('\n');
            if frame {
                out.push_str(&code_frame(d, paint));
            }
        }
    }
    out
}

/// `check --format full`: each finding's line, then its code frame and what
/// its fix does, whether the output is a terminal or not (ruff's "full"
/// output). The first line of each block is the `text` format's line.
pub(crate) fn full(results: &[FileResult], paint: Paint) -> String {
    let mut out = String::new();
    for r in results {
        let path = r.path.to_string_lossy();
        for d in &r.outcome.diagnostics {
            out.push_str(&finding_line(&path, d, paint));
            out.push('\n');
            let frame = code_frame(d, paint);
            // The frame ends with a blank line; the fix goes above it.
            out.push_str(frame.strip_suffix('\n').unwrap_or(&frame));
            if let Some(help) = fix_help(d) {
                let gutter = " ".repeat(d.start.line.to_string().len());
                out.push_str(&format!("{gutter} {} {help}\n", paint.cyan("=")));
            }
            out.push('\n');
        }
    }
    out
}

/// What the fix does, and which command applies it. A finding without a fix
/// says why in its message already.
fn fix_help(d: &Diagnostic) -> Option<String> {
    let title = d.fix_title.as_deref().unwrap_or("a fix is available");
    match d.fix_safety? {
        crate::fix::edit::FixSafety::Safe => Some(format!("fix: {title}")),
        crate::fix::edit::FixSafety::Unsafe => Some(format!("unsafe fix (--unsafe-fixes): {title}")),
    }
}

use crate::report::FRAME_WIDTH;

/// The finding's first line with its number, and carets under the flagged
/// part (to the end of the line when the finding spans several).
pub(crate) fn code_frame(d: &Diagnostic, paint: Paint) -> String {
    let number = d.start.line.to_string();
    let gutter = " ".repeat(number.len());
    let chars: Vec<char> = d.line_text.chars().collect();
    let start = (d.start.column - 1).min(chars.len());
    let end = if d.end.line == d.start.line { (d.end.column - 1).min(chars.len()) } else { chars.len() };
    let shown = chars.len().min(FRAME_WIDTH);
    let expand =
        |cs: &[char]| cs.iter().map(|&c| if c == '\t' { "    ".to_owned() } else { c.to_string() }).collect::<String>();
    let (start, end) = (start.min(shown), end.clamp(start.min(shown), shown));
    let before = expand(&chars[..start]);
    let under = expand(&chars[start..end]);
    let mut line = expand(&chars[..shown]);
    if shown < chars.len() {
        line.push('…');
    }
    let carets = "^".repeat(under.chars().count().max(1));
    format!(
        "{gutter} {bar}\n{} {bar} {line}\n{gutter} {bar} {}{}\n\n",
        paint.cyan(&number),
        " ".repeat(before.chars().count()),
        paint.red(&carets),
        bar = paint.cyan("|"),
    )
}

/// `remediate rules`: the table, then each rule's documentation.
pub(crate) fn rule_table(rules: &[&'static dyn crate::rules::Rule]) -> String {
    // The id column fits the longest id.
    let width = rules.iter().map(|r| r.meta().id.len()).max().unwrap_or(0).max(16);
    let mut out = format!("{:<width$} {:<6} {:<10} {:<7} {}\n", "RULE", "BANDIT", "RUFF", "FIX", "SUMMARY");
    for r in rules {
        let m = r.meta();
        out += &format!(
            "{:<width$} {:<6} {:<10} {:<7} {}\n",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Position;

    fn diagnostic(line_text: &str, start: (usize, usize), end: (usize, usize)) -> Diagnostic {
        Diagnostic {
            rule: crate::rules::all()[0].meta(),
            start: Position::new(start.0, start.1),
            end: Position::new(end.0, end.1),
            message: "m".into(),
            fix_safety: None,
            fix_title: None,
            edits: vec![],
            reasons: vec![],
            line_text: line_text.into(),
            notebook_line: None,
        }
    }

    #[test]
    fn frame_underlines_the_span() {
        let d = diagnostic("    x = torch.load(p)", (12, 9), (12, 22));
        assert_eq!(code_frame(&d, Paint(false)), "   |\n12 |     x = torch.load(p)\n   |         ^^^^^^^^^^^^^\n\n");
    }

    #[test]
    fn full_shows_the_frame_and_the_fix() {
        let mut d = diagnostic("    x = torch.load(p)", (12, 9), (12, 22));
        d.fix_safety = Some(crate::fix::edit::FixSafety::Safe);
        d.fix_title = Some("add `weights_only=True`".into());
        let result = FileResult {
            path: "m.py".into(),
            outcome: crate::report::Outcome { diagnostics: vec![d], ..Default::default() },
            original: None,
            io_error: None,
        };
        assert_eq!(
            full(std::slice::from_ref(&result), Paint(false)),
            "m.py:12:9: torch-load [B614] m (fixable)\n   |\n12 |     x = torch.load(p)\n   |         ^^^^^^^^^^^^^\n   = fix: add `weights_only=True`\n\n"
        );
    }

    #[test]
    fn frame_of_a_long_line_is_cut() {
        let line = format!("{}torch.load(p)", "x".repeat(200));
        let d = diagnostic(&line, (1, 201), (1, 214));
        let frame = code_frame(&d, Paint(false));
        assert!(frame.contains(&format!("1 | {}…\n", "x".repeat(FRAME_WIDTH))), "{frame}");
        assert!(frame.ends_with(&format!("  | {}^\n\n", " ".repeat(FRAME_WIDTH))), "{frame}");
    }

    #[test]
    fn frame_of_a_multi_line_finding_runs_to_the_line_end_and_expands_tabs() {
        let d = diagnostic("\tx = torch.load(", (3, 6), (5, 2));
        assert_eq!(code_frame(&d, Paint(false)), "  |\n3 |     x = torch.load(\n  |         ^^^^^^^^^^^\n\n");
    }
}
