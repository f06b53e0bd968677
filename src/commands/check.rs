//! `remediate check`: list every finding, fixable or not.

use anyhow::{Context, Result};

use super::Prepared;
use super::{
    describe_problems, execute, exit_code, prepare, pretty_json, report_file_problems, stale_pin_module, write_stdout,
};
use crate::cli::{CheckFormat, RuleOptions};
use crate::output::{self, stream, Paint};
use crate::pipeline::engine::Mode;
use crate::pipeline::timings::{self, Stage};
use crate::pipeline::walk;
use crate::report::summary::Summary;
use crate::report::FileResult;
use crate::rules::RuleMeta;

pub(crate) fn run(options: &RuleOptions, format: CheckFormat, statistics: bool) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Check, false);
    let summary = Summary::of(&results, &p.walk_errors, p.unsafe_fixes);
    let metas = p.metas();
    let rendered = if statistics {
        let counts = output::statistics::counts(&results, p.unsafe_fixes);
        match format {
            CheckFormat::Json => pretty_json(&output::statistics::json(&counts))?,
            _ => output::statistics::text(&counts),
        }
    } else {
        timings::time(Stage::Output, || render(&results, &p, &summary, &metas, format))?
    };
    write_stdout(rendered.as_bytes())?;
    let io_failed = report_file_problems(&p, &results);
    // Standard input is one file an editor holds, not the project.
    let stale = if p.stdin.is_some() { None } else { stale_pin_module(&p.config, &p.root)? };
    if let Some(module) = &stale {
        let paint = Paint(output::stderr_colour());
        let state = if module.current().ok().flatten().is_some() {
            "is out of date with"
        } else {
            "does not exist yet; it is generated from"
        };
        stream::note(format!(
            "{}: {}: the pin module {state} {}; `remediate fix` or `remediate lock` writes it",
            paint.red("error"),
            walk::display_path(&module.path),
            p.config.revisions.file_hint()
        ));
    }
    if !options.quiet {
        stream::note(describe_check(&summary));
    }
    let attention = summary.findings + summary.syntax_errors > 0 || stale.is_some();
    Ok(exit_code(io_failed, attention, options.exit_zero))
}

fn describe_check(s: &Summary) -> String {
    let mut line = format!("{} finding(s) in {} file(s) scanned", s.findings, s.files);
    if s.unsafe_fixes && s.fixable > 0 {
        line += &format!("; {} fixable with `remediate fix --unsafe-fixes`", s.fixable);
    } else if s.fixable + s.unsafe_fixable > 0 {
        line += &format!("; {} fixable with `remediate fix`", s.fixable);
        if s.unsafe_fixable > 0 {
            line += &format!(" (+{} with --unsafe-fixes)", s.unsafe_fixable);
        }
    }
    line + &describe_problems(s)
}

/// The findings in the chosen format.
fn render(
    results: &[FileResult],
    p: &Prepared,
    summary: &Summary,
    metas: &[&'static RuleMeta],
    format: CheckFormat,
) -> Result<String> {
    Ok(match format {
        CheckFormat::Text => {
            output::text::findings(results, Paint(output::stdout_colour()), output::stdout_is_terminal())
        }
        CheckFormat::Full => output::text::full(results, Paint(output::stdout_colour())),
        CheckFormat::Json => pretty_json(&output::json::report(results, &p.walk_errors, summary))?,
        CheckFormat::Sarif => {
            let root = std::env::current_dir().context("reading the current directory")?;
            pretty_json(&output::sarif::report(results, &p.walk_errors, metas, &root))?
        }
        CheckFormat::Github => output::github::annotations(results, &p.walk_errors),
        CheckFormat::Markdown => output::markdown::tables(results, &p.walk_errors, summary, metas),
    })
}
