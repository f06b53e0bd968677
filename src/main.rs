//! `remediate`: find and fix the security findings Bandit reports in ML
//! Python code. See the README for the commands and their exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use remediate::{cache, cli, config, engine, lock, models, output, pin_file, rules, run, summary, walk};

use cli::{CheckFormat, Cli, Command, DiffFormat, RuleOptions, RulesFormat};
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
        Command::Diff(args) => diff(&args.options, args.exit_code, args.format),
        Command::Fix(args) => fix(&args.options, args.report.as_deref()),
        Command::Rules(args) => rules_command(args.rule.as_deref(), args.format),
        Command::Models(args) => models_command(&args),
        Command::Lock(args) => lock_command(&args),
    }
}

/// What every scanning command needs before it reads a file.
struct Prepared {
    rules: RuleSet,
    config: Config,
    files: Vec<PathBuf>,
    walk_errors: Vec<String>,
    jobs: usize,
    prefilter: bool,
    cache: Option<cache::Cache>,
}

fn prepare(options: &RuleOptions) -> Result<Prepared> {
    let rules = RuleSet::new(rules::selected(&options.select, &options.ignore)?)?;
    let mut config = Config::load(&ConfigPaths {
        revisions: options.revisions.clone(),
        timeouts: options.timeouts.clone(),
    })?;
    config.strict_except = options.strict_except;
    let walked = walk::python_files(&options.paths);
    let jobs = job_count(options.jobs);
    // Without the prefilter every file is analysed afresh: a cached result
    // could hide exactly the difference `--no-prefilter` is there to show.
    let cache = if options.no_cache || options.no_prefilter {
        None
    } else {
        let ids: Vec<&str> = rules.metas().map(|m| m.id).collect();
        cache::Cache::open(&(ids, &config))
    };
    Ok(Prepared {
        rules,
        config,
        files: walked.files,
        walk_errors: walked.errors,
        jobs,
        prefilter: !options.no_prefilter,
        cache,
    })
}

fn execute(p: &Prepared, mode: Mode, write: bool) -> Vec<FileResult> {
    let plan = Plan { mode, write, jobs: p.jobs, prefilter: p.prefilter };
    let results = run::run(&p.files, &p.rules, &p.config, plan, p.cache.as_ref());
    if let Some(cache) = &p.cache {
        cache.save();
    }
    results
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
    let metas: Vec<_> = p.rules.metas().collect();
    let rendered = match format {
        CheckFormat::Text => {
            output::text::findings(&results, Paint(output::stdout_colour()), output::stdout_is_terminal())
        }
        CheckFormat::Json => pretty_json(&output::json::report(&results, &summary))?,
        CheckFormat::Sarif => {
            let root = std::env::current_dir().context("reading the current directory")?;
            pretty_json(&output::sarif::report(&results, &metas, &root))?
        }
        CheckFormat::Github => output::github::annotations(&results),
        CheckFormat::Markdown => output::markdown::tables(&results, &summary, &metas),
    };
    write_stdout(rendered.as_bytes())?;
    let io_failed = report_file_problems(&p, &results);
    if !options.quiet {
        eprintln!("{}", describe_check(&summary));
    }
    Ok(exit_code(io_failed, summary.findings + summary.syntax_errors > 0, options.exit_zero))
}

fn diff(options: &RuleOptions, exit_code_on_change: bool, format: DiffFormat) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Fix { unsafe_fixes: options.unsafe_fixes }, false);
    let summary = Summary::of(&results);
    match format {
        DiffFormat::Text => {
            let colour = output::stdout_colour();
            let mut rendered = Vec::new();
            for r in results.iter().filter(|r| r.changed()) {
                let (Some(old), Some(new)) = (&r.original, &r.outcome.fixed_bytes) else { continue };
                rendered.extend(output::diff::unified(&walk::display_path(&r.path), old, new, colour));
            }
            write_stdout(&rendered)?;
        }
        DiffFormat::Json => write_stdout(pretty_json(&output::json::diff_report(&results, &summary))?.as_bytes())?,
    }
    let io_failed = report_file_problems(&p, &results);
    if !options.quiet {
        eprintln!("{}", describe_fixes(&summary, "would fix", options.unsafe_fixes));
    }
    let changed = exit_code_on_change && summary.files_changed > 0;
    Ok(exit_code(io_failed, changed, options.exit_zero))
}

fn fix(options: &RuleOptions, report: Option<&Path>) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Fix { unsafe_fixes: options.unsafe_fixes }, true);
    let summary = Summary::of(&results);
    let paint = Paint(output::stdout_colour());
    write_stdout(output::text::findings(&results, paint, output::stdout_is_terminal()).as_bytes())?;
    let io_failed = report_file_problems(&p, &results);
    if !options.quiet {
        eprintln!("{}", describe_fixes(&summary, "fixed", options.unsafe_fixes));
    }
    if let Some(path) = report {
        let metas: Vec<_> = p.rules.metas().collect();
        let body = output::report::pull_request_body(&results, &summary, &metas);
        std::fs::write(path, body).with_context(|| format!("writing the report {}", path.display()))?;
        if !options.quiet {
            eprintln!("report written to {}", path.display());
        }
    }
    Ok(exit_code(io_failed, summary.findings + summary.syntax_errors > 0, options.exit_zero))
}

fn pretty_json(value: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// Writes everything to stdout; a closed pipe (`| head`) ends quietly.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
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

fn job_count(requested: Option<usize>) -> usize {
    requested
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The revisions file `models` and `lock` read: `--revisions`, else the default path.
fn revisions_path(explicit: &Option<PathBuf>) -> PathBuf {
    explicit.clone().unwrap_or_else(|| PathBuf::from(config::DEFAULT_REVISIONS))
}

/// Scans the paths for Hub downloads, printing unreadable paths to stderr.
fn scan_models(paths: &[PathBuf], jobs: Option<usize>) -> (Vec<models::Usage>, bool) {
    let walked = walk::python_files(paths);
    let (usages, errors) = models::scan(&walked.files, job_count(jobs));
    let paint = Paint(output::stderr_colour());
    for e in walked.errors.iter().chain(&errors) {
        eprintln!("{}: {e}", paint.red("error"));
    }
    (usages, !walked.errors.is_empty() || !errors.is_empty())
}

fn models_command(args: &cli::ModelsArgs) -> Result<u8> {
    let path = revisions_path(&args.revisions);
    if args.revisions.is_some() && !path.exists() && args.format != cli::ModelsFormat::Yaml {
        anyhow::bail!("{}: no such file", path.display());
    }
    let mut file = pin_file::PinFile::open(&path)?;
    let (usages, io_failed) = scan_models(&args.paths, args.jobs);
    let ids = models::distinct_ids(&usages);
    let unpinned = ids.iter().filter(|f| file.revisions.exact(&f.id).is_none() && f.commit_in_code.is_none()).count();
    let text = match args.format {
        cli::ModelsFormat::Text => models::render_text(&usages, &file.revisions),
        cli::ModelsFormat::Json => serde_json::to_string_pretty(&models::render_json(&usages, &file.revisions))? + "\n",
        cli::ModelsFormat::Yaml => {
            models::add_missing(&mut file, &ids);
            file.render()
        }
    };
    match &args.output {
        Some(out) => lock::write_atomically(out, &text)?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    if !args.quiet {
        let dynamic = usages.iter().filter(|u| u.id.is_none()).count();
        eprintln!(
            "{} download(s) of {} repository id(s); {unpinned} id(s) without an entry in {}; {dynamic} download(s) whose id is known only at run time",
            usages.len(),
            ids.len(),
            path.display()
        );
    }
    Ok(if io_failed { 2 } else { 0 })
}

fn lock_command(args: &cli::LockArgs) -> Result<u8> {
    let path = revisions_path(&args.revisions);
    let mut file = pin_file::PinFile::open(&path)?;
    let (usages, io_failed) = scan_models(&args.paths, args.jobs);
    let found = models::distinct_ids(&usages);
    let resolver = lock::Resolver::from_env(args.offline);
    let outcomes = lock::lock(&mut file, &found, &resolver);
    let text = file.render();
    if text != file.original() {
        lock::write_atomically(&path, &text)?;
    }
    let paint = Paint(output::stdout_colour());
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (id, outcome) in &outcomes {
        match outcome {
            lock::Outcome::Pinned { from, to, source } => {
                writeln!(out, "{} {id}: {from} -> {to} (from {source})", paint.green("pinned"))?;
            }
            lock::Outcome::Failed { reference, reason } => {
                failed += 1;
                writeln!(out, "{} {id} ({reference}): {reason}", paint.red("not pinned"))?;
            }
        }
    }
    let pinned = outcomes.len() - failed;
    let offline = if resolver.is_offline() { " (offline)" } else { "" };
    eprintln!(
        "{pinned} id(s) pinned, {failed} not pinned, {} already pinned{offline}; {} {}",
        found.len() - outcomes.len(),
        if text != file.original() { "wrote" } else { "left unchanged" },
        path.display()
    );
    Ok(if io_failed { 2 } else if failed > 0 { 1 } else { 0 })
}
