//! `remediate`: find and fix the security findings Bandit reports in ML
//! Python code. See the README for the commands and their exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use remediate::{cli, config, engine, output, rules, run, summary, walk};

use cli::{CheckFormat, Cli, Command, RuleOptions, RulesFormat};
use config::{Config, ConfigPaths};
use engine::{Mode, RuleSet};
use output::Paint;
use run::{FileResult, Plan};
use summary::Summary;

fn main() -> ExitCode {
    run::install_panic_hook();
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("remediate: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Check(args) => check(&args.options, args.format),
        Command::Diff(args) => diff(&args.options, args.exit_code),
        Command::Fix(args) => fix(&args.options),
        Command::Rules(args) => rules_command(args.rule.as_deref(), args.format),
    }
}

/// What every scanning command needs before it reads a file.
struct Prepared {
    rules: RuleSet,
    config: Config,
    files: Vec<PathBuf>,
    walk_errors: Vec<String>,
    jobs: usize,
}

fn prepare(options: &RuleOptions) -> Result<Prepared> {
    let rules = RuleSet::new(rules::selected(&options.select, &options.ignore)?)?;
    let mut config = Config::load(&ConfigPaths {
        revisions: options.revisions.clone(),
        timeouts: options.timeouts.clone(),
    })?;
    config.strict_except = options.strict_except;
    let walked = walk::python_files(&options.paths);
    let jobs = options
        .jobs
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    Ok(Prepared { rules, config, files: walked.files, walk_errors: walked.errors, jobs })
}

fn execute(p: &Prepared, mode: Mode, write: bool) -> Vec<FileResult> {
    run::run(&p.files, &p.rules, &p.config, Plan { mode, write, jobs: p.jobs })
}

/// Problems with files rather than findings, to stderr; true if any is an I/O error.
fn report_file_problems(p: &Prepared, results: &[FileResult]) -> bool {
    let paint = Paint(output::stderr_colour());
    for e in &p.walk_errors {
        eprintln!("{}: {e}", paint.red("error"));
    }
    for r in results {
        if let Some(e) = &r.outcome.error {
            eprintln!("{}", output::text::error_line(&r.path.to_string_lossy(), e, paint));
        }
        if let Some(e) = &r.io_error {
            eprintln!("{}: {e}", paint.red("error"));
        }
    }
    !p.walk_errors.is_empty() || results.iter().any(|r| r.io_error.is_some())
}

fn check(options: &RuleOptions, format: CheckFormat) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Check, false);
    let summary = Summary::of(&results);
    let mut out = std::io::stdout().lock();
    match format {
        CheckFormat::Text => {
            out.write_all(output::text::findings(&results, Paint(output::stdout_colour())).as_bytes())?;
        }
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &output::json::report(&results, &summary))?;
            writeln!(out)?;
        }
    }
    let io_failed = report_file_problems(&p, &results);
    if !options.quiet && format == CheckFormat::Text {
        eprintln!("{}", describe_check(&summary));
    }
    Ok(exit_code(io_failed, summary.findings + summary.syntax_errors > 0, options.exit_zero))
}

fn diff(options: &RuleOptions, exit_code_on_change: bool) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Fix { unsafe_fixes: options.unsafe_fixes }, false);
    let colour = output::stdout_colour();
    let mut out = std::io::stdout().lock();
    for r in results.iter().filter(|r| r.changed()) {
        let (Some(old), Some(new)) = (&r.original, &r.outcome.fixed_bytes) else { continue };
        out.write_all(&output::diff::unified(&walk::display_path(&r.path), old, new, colour))?;
    }
    out.flush()?;
    let io_failed = report_file_problems(&p, &results);
    let summary = Summary::of(&results);
    if !options.quiet {
        eprintln!("{}", describe_fixes(&summary, "would fix", options.unsafe_fixes));
    }
    let changed = exit_code_on_change && summary.files_changed > 0;
    Ok(exit_code(io_failed, changed, false))
}

fn fix(options: &RuleOptions) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Fix { unsafe_fixes: options.unsafe_fixes }, true);
    let summary = Summary::of(&results);
    let mut out = std::io::stdout().lock();
    out.write_all(output::text::findings(&results, Paint(output::stdout_colour())).as_bytes())?;
    let io_failed = report_file_problems(&p, &results);
    if !options.quiet {
        eprintln!("{}", describe_fixes(&summary, "fixed", options.unsafe_fixes));
    }
    Ok(exit_code(io_failed, summary.findings + summary.syntax_errors > 0, options.exit_zero))
}

/// 2 on an I/O error, else 1 when something needs attention, else 0.
fn exit_code(io_failed: bool, attention: bool, exit_zero: bool) -> u8 {
    match (io_failed, attention && !exit_zero) {
        (true, _) => 2,
        (false, true) => 1,
        (false, false) => 0,
    }
}

fn describe_check(s: &Summary) -> String {
    let mut line = format!("{} finding(s) in {} file(s) scanned", s.findings, s.files);
    if s.fixable > 0 {
        line += &format!("; {} fixable with `remediate fix`", s.fixable - s.unsafe_fixable);
        if s.unsafe_fixable > 0 {
            line += &format!(" (+{} with --unsafe-fixes)", s.unsafe_fixable);
        }
    }
    line + &describe_problems(s)
}

fn describe_fixes(s: &Summary, verb: &str, unsafe_fixes: bool) -> String {
    let mut line = format!(
        "{verb} {} finding(s) in {} file(s); {} finding(s) remain for review",
        s.fixed, s.files_changed, s.findings
    );
    if s.unsafe_fixable > 0 && !unsafe_fixes {
        line += &format!(" ({} have unsafe fixes: --unsafe-fixes)", s.unsafe_fixable);
    }
    line + &describe_problems(s)
}

fn describe_problems(s: &Summary) -> String {
    let mut parts = Vec::new();
    if s.syntax_errors > 0 {
        parts.push(format!("{} file(s) not parsed", s.syntax_errors));
    }
    if s.skipped > 0 {
        parts.push(format!("{} file(s) skipped", s.skipped));
    }
    if s.io_errors > 0 {
        parts.push(format!("{} I/O error(s)", s.io_errors));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

fn rules_command(which: Option<&str>, format: RulesFormat) -> Result<u8> {
    let all = rules::all();
    let chosen: Vec<_> = match which {
        Some(name) => {
            let found: Vec<_> = all.into_iter().filter(|r| r.meta().is_named_by(name)).collect();
            anyhow::ensure!(!found.is_empty(), "unknown rule `{name}` (see `remediate rules`)");
            found
        }
        None => all,
    };
    let mut out = std::io::stdout().lock();
    match format {
        RulesFormat::Json => {
            let list: Vec<_> = chosen.iter().map(|r| output::json::rule(r.meta())).collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        RulesFormat::Text if which.is_some() => {
            for r in &chosen {
                writeln!(out, "# {}\n\n{}", r.meta().id, r.meta().documentation())?;
            }
        }
        RulesFormat::Text => out.write_all(output::text::rule_table(&chosen).as_bytes())?,
    }
    Ok(0)
}
