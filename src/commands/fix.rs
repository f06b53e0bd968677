//! `remediate fix`: apply the fixes in place and list what remains.

use std::path::Path;

use anyhow::{Context, Result};

use super::{describe_problems, execute, exit_code, prepare, report_file_problems, stale_pin_module, write_stdout};
use crate::cli::RuleOptions;
use crate::output::{self, stream, Paint};
use crate::pipeline::engine::Mode;
use crate::pipeline::write::write_new_contents;
use crate::pipeline::write::PendingFile;
use crate::report::summary::Summary;

pub(crate) fn run(options: &RuleOptions, report: Option<&Path>, show_fixes: bool) -> Result<u8> {
    let p = prepare(options)?;
    // The report's place is taken before any file is rewritten: a report
    // that cannot be written stops the run while nothing has changed.
    let pending_report = report.map(PendingFile::create).transpose().context("--report")?;
    let results = execute(&p, Mode::Fix { unsafe_fixes: p.unsafe_fixes }, true);
    let summary = Summary::of(&results, &p.walk_errors, p.unsafe_fixes);
    if let Some(stdin) = &p.stdin {
        // Standard output is the file, as an editor reads it back; what
        // remains goes to standard error.
        write_stdout(fixed_or_unchanged(&results, &stdin.bytes))?;
        let paint = Paint(output::stderr_colour());
        let mut notes = output::text::findings(&results, paint, false);
        if show_fixes {
            notes += &applied_fixes(&results);
        }
        if !notes.is_empty() {
            stream::note(notes.trim_end_matches('\n'));
        }
    } else {
        let paint = Paint(output::stdout_colour());
        write_stdout(output::text::findings(&results, paint, output::stdout_is_terminal()).as_bytes())?;
        if show_fixes {
            write_stdout(applied_fixes(&results).as_bytes())?;
        }
    }
    let io_failed = report_file_problems(&p, &results);
    let stale = if p.stdin.is_some() { None } else { stale_pin_module(&p.config, &p.root)? };
    if let Some(module) = stale {
        write_new_contents(&module.path, &module.text)?;
        if !options.quiet {
            stream::note(format!("wrote the pin module {}", crate::pipeline::walk::display_path(&module.path)));
        }
    }
    if !options.quiet {
        stream::note(describe_fixes(&summary, "fixed", p.unsafe_fixes));
    }
    if let (Some(path), Some(pending)) = (report, pending_report) {
        let metas = p.metas();
        let body = output::report::pull_request_body(&results, &p.walk_errors, &summary, &metas);
        pending.write(body.as_bytes()).with_context(|| format!("writing the report {}", path.display()))?;
        if !options.quiet {
            stream::note(format!("report written to {}", path.display()));
        }
    }
    Ok(exit_code(io_failed, summary.findings + summary.syntax_errors > 0, options.exit_zero))
}

/// The fixed file read from standard input, or its bytes unchanged when
/// nothing was fixed (or it does not parse).
fn fixed_or_unchanged<'a>(results: &'a [crate::report::FileResult], input: &'a [u8]) -> &'a [u8] {
    let fixed = results.iter().find_map(|r| r.outcome.fixed_bytes.as_deref().filter(|_| r.io_error.is_none()));
    fixed.unwrap_or(input)
}

/// `--show-fixes`, as ruff lists them: per changed file, each rule with
/// how many of its findings were fixed.
fn applied_fixes(results: &[crate::report::FileResult]) -> String {
    let mut out = String::new();
    for r in results.iter().filter(|r| !r.outcome.fixed.is_empty() && r.io_error.is_none()) {
        let mut by_rule: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
        for d in &r.outcome.fixed {
            *by_rule.entry((d.rule.bandit.unwrap_or(d.rule.id), d.rule.id)).or_default() += 1;
        }
        out += &format!(
            "{}:
",
            crate::pipeline::walk::display_path(&r.path)
        );
        for ((code, id), count) in by_rule {
            out += &format!("    {count} \u{d7} {code} ({id})\n");
        }
    }
    match out.is_empty() {
        true => "No fixes applied\n".to_owned(),
        false => format!("Fixed:\n{out}"),
    }
}

pub(crate) fn describe_fixes(s: &Summary, verb: &str, unsafe_fixes: bool) -> String {
    let mut line = format!(
        "{verb} {} finding(s) in {} file(s); {} finding(s) remain for review",
        s.fixed, s.files_changed, s.findings
    );
    if s.unsafe_fixable > 0 && !unsafe_fixes {
        line += &format!(" ({} have unsafe fixes: --unsafe-fixes)", s.unsafe_fixable);
    }
    line + &describe_problems(s)
}
