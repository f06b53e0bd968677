//! The subcommands, one file each, and what the scanning ones share:
//! preparing the rules, configuration and files, running the pipeline,
//! reporting file problems, and the exit code.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::{Cli, Command, RuleOptions};
use crate::config::project::ProjectFile;
use crate::config::Config;
use crate::output::{self, stream, Paint};
use crate::pins::pin_module::Generated;
use crate::pipeline::engine::{Mode, RuleSet};
use crate::pipeline::timings::{self, Stage};
use crate::pipeline::{cache, pool, walk};
use crate::report::baseline::Baseline;
use crate::report::summary::Summary;
use crate::report::{FileResult, PathError};
use crate::rules::{self, RuleMeta};

mod check;
mod checkpoints;
mod config_show;
mod diff;
mod fix;
mod lock;
mod models;
mod projects;
mod rules_list;
pub(crate) mod settings;
mod suppress;

/// Runs the command line; the exit code on success, an error otherwise.
pub fn run(cli: Cli) -> Result<u8> {
    let code = match cli.command {
        Command::Check(args) => check::run(&args.options, args.format, args.statistics),
        Command::Diff(args) => diff::run(&args.options, args.exit_code, args.format),
        Command::Fix(args) => fix::run(&args.options, args.report.as_deref(), args.show_fixes),
        Command::Rules(args) => rules_list::run(args.rule.as_deref(), args.format),
        Command::Models(args) => models::run(&args),
        Command::Lock(args) => lock::run(&args),
        Command::Config(args) => config_show::run(&args.options),
        Command::Checkpoints(args) => checkpoints::run(&args),
        Command::Suppress(args) => suppress::run(&args.options, &args.reason, args.noqa),
    };
    timings::report();
    code
}

/// What every scanning command needs before it reads a file.
pub(crate) struct Prepared {
    pub(crate) rules: RuleSet,
    pub(crate) config: Config,
    pub(crate) files: Vec<PathBuf>,
    /// The paths named on the command line.
    pub(crate) roots: Vec<PathBuf>,
    pub(crate) walk_errors: Vec<PathError>,
    pub(crate) jobs: usize,
    pub(crate) prefilter: bool,
    pub(crate) cache: Option<cache::Cache>,
    /// The project's directory: default files and patterns are relative to it.
    pub(crate) root: PathBuf,
    /// `unsafe-fixes`, from the command line or the settings file.
    pub(crate) unsafe_fixes: bool,
    pub(crate) per_file_ignores: settings::PerFileIgnores,
    pub(crate) baseline: Option<Baseline>,
    /// The file read from standard input, when the path is `-`: then
    /// `files` is empty.
    pub(crate) stdin: Option<StdinFile>,
    /// The projects of settings files below the paths given, each over the
    /// files it governs (see [`projects`]).
    pub(crate) nested: Vec<Prepared>,
    /// Every file walked, in order, when there are nested projects.
    pub(crate) order: Vec<PathBuf>,
}

impl Prepared {
    /// The rules of this project and of every nested one, in registry order.
    pub(crate) fn metas(&self) -> Vec<&'static RuleMeta> {
        let ids: HashSet<&str> =
            self.nested.iter().flat_map(|n| n.rules.metas()).chain(self.rules.metas()).map(|m| m.id).collect();
        rules::all().into_iter().map(|r| r.meta()).filter(|m| ids.contains(m.id)).collect()
    }
}

/// A file read from standard input (`-`), under the name
/// `--stdin-filename` gives it (`-` without one).
pub(crate) struct StdinFile {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
    /// The name matches `exclude` with `force-exclude` on: nothing is checked.
    pub(crate) excluded: bool,
}

/// The name of the file to read from standard input, if that is what the
/// command line asks for: `-` as the only path, or `--stdin-filename`
/// (with `-` or no path).
pub(crate) fn stdin_name(options: &RuleOptions) -> Result<Option<PathBuf>> {
    let dash = options.paths.iter().any(|p| p.as_os_str() == "-");
    if dash && options.paths.len() > 1 {
        bail!("`-` reads one file from standard input; it cannot be given with other paths");
    }
    match &options.stdin_filename {
        Some(name) if dash || !options.paths_given => Ok(Some(name.clone())),
        Some(_) => bail!("--stdin-filename reads the file from standard input: give `-` as the path, or no path"),
        None => Ok(dash.then(|| PathBuf::from("-"))),
    }
}

/// The configured pin module when its file does not hold what the
/// revisions file says (missing or out of date).
pub(crate) fn stale_pin_module(config: &Config, root: &Path) -> Result<Option<Generated>> {
    let Some(module) = config.pin_module.as_deref() else { return Ok(None) };
    let generated = Generated::new(root, module, &config.revisions);
    Ok((!generated.is_current()).then_some(generated))
}

/// The options as they apply to the files read: for standard input, those
/// of the file it stands for (its settings, per-file ignores, name), with
/// that file's name.
pub(crate) fn as_read(options: &RuleOptions) -> Result<(Cow<'_, RuleOptions>, Option<PathBuf>)> {
    Ok(match stdin_name(options)? {
        Some(path) => (Cow::Owned(RuleOptions { paths: vec![path.clone()], ..options.clone() }), Some(path)),
        None => (Cow::Borrowed(options), None),
    })
}

pub(crate) fn prepare(options: &RuleOptions) -> Result<Prepared> {
    let (options, stdin_path) = as_read(options)?;
    let options = options.as_ref();
    let settings = settings::Effective::resolve(options)?;
    let exclusions = settings.exclusions()?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let stdin = stdin_path.map(|path| read_stdin(path, &exclusions)).transpose()?;
    let walked = match stdin {
        Some(_) => walk::Walked::default(),
        None => timings::time(Stage::Walk, || walk::python_files(&options.paths, &exclusions)),
    };
    let order = walked.files.clone();
    let split = projects::split(walked.files, settings.project.as_ref().map(|f| f.path.as_path()))?;
    let mut p = project(options, &settings, split.own, &cwd)?;
    p.nested = split.nested.into_iter().map(|(file, files)| nested(options, file, files)).collect::<Result<_>>()?;
    if !p.nested.is_empty() {
        p.order = order;
    }
    p.walk_errors = walked.errors;
    p.baseline = options.baseline.as_deref().map(Baseline::load).transpose()?;
    if stdin.is_some() {
        // An editor's buffer is analysed afresh every time.
        p.cache = None;
    }
    p.stdin = stdin;
    Ok(p)
}

/// One project's settings made into rules and configuration, over `files`;
/// the line length is the one declared at or above `dir`.
fn project(options: &RuleOptions, settings: &settings::Effective, files: Vec<PathBuf>, dir: &Path) -> Result<Prepared> {
    let (select, ignore) = settings.rule_names();
    let rules = RuleSet::new(rules::selected(&select, &ignore)?)?;
    let paths = settings.config_paths();
    let mut config = timings::time(Stage::Config, || Config::load(&paths))?;
    config.strict_except = settings.strict_except.value;
    config.target_version = settings.target_version.value;
    config.pin_module = settings.pin_module.value.clone();
    config.line_length = crate::fix::line_length::discover(dir);
    if let Some(dir) = &options.checkpoints {
        config.checkpoints = crate::checkpoints::evidence::Evidence::audit(dir)?;
    }
    for warning in &config.revisions.warnings {
        if !options.quiet {
            stream::note(format!("warning: {warning}"));
        }
    }
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
        files,
        roots: options.paths.clone(),
        walk_errors: Vec::new(),
        jobs: job_count(options.jobs),
        prefilter: !options.no_prefilter,
        cache,
        root: settings.root.clone(),
        unsafe_fixes: settings.unsafe_fixes.value,
        per_file_ignores: settings.per_file_ignores()?,
        baseline: None,
        stdin: None,
        nested: Vec::new(),
        order: Vec::new(),
    })
}

/// The project of a settings file below the paths given, over the files it
/// governs, less those its own `exclude` patterns name.
fn nested(options: &RuleOptions, file: ProjectFile, files: Vec<PathBuf>) -> Result<Prepared> {
    let dir = file.dir().to_path_buf();
    let settings = settings::Effective::with_project(options, Some(file))?;
    let excluded = settings.own_exclusions()?;
    let files = files.into_iter().filter(|f| !excluded.as_ref().is_some_and(|e| e.matches(f, false))).collect();
    project(options, &settings, files, &dir)
}

fn read_stdin(path: PathBuf, exclusions: &walk::Exclusions) -> Result<StdinFile> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).context("reading standard input")?;
    let excluded = exclusions.force && exclusions.patterns.matches(&path, false);
    Ok(StdinFile { path, bytes, excluded })
}

pub(crate) fn execute(p: &Prepared, mode: Mode, write: bool) -> Vec<FileResult> {
    let mut results = execute_project(p, mode, write);
    for nested in &p.nested {
        let mode = match mode {
            Mode::Fix { .. } => Mode::Fix { unsafe_fixes: nested.unsafe_fixes },
            Mode::Check => Mode::Check,
        };
        results.extend(execute_project(nested, mode, write));
    }
    if !p.nested.is_empty() {
        // In the order of the walk, as one project's results are.
        let position: HashMap<&Path, usize> = p.order.iter().enumerate().map(|(i, f)| (f.as_path(), i)).collect();
        results.sort_by_key(|r| position.get(r.path.as_path()).copied().unwrap_or(usize::MAX));
    }
    if let Some(baseline) = &p.baseline {
        baseline.clone().hide_known(&mut results);
    }
    results
}

/// Runs one project's files through the pipeline.
fn execute_project(p: &Prepared, mode: Mode, write: bool) -> Vec<FileResult> {
    let plan = pool::Plan { mode, write, jobs: p.jobs, prefilter: p.prefilter };
    let ignored = |path: &Path| -> Vec<usize> {
        if p.per_file_ignores.is_empty() {
            return Vec::new();
        }
        let names = p.per_file_ignores.names_for(path);
        (0..p.rules.len()).filter(|&i| names.iter().any(|n| p.rules.meta(i).is_named_by(n))).collect()
    };
    let job = pool::Job {
        rules: &p.rules,
        config: &p.config,
        plan,
        cache: p.cache.as_ref(),
        roots: &p.roots,
        ignored: &ignored,
    };
    let results = match &p.stdin {
        Some(stdin) if stdin.excluded => Vec::new(),
        Some(stdin) => vec![pool::run_bytes(&stdin.path, stdin.bytes.clone(), &job)],
        None => pool::run(&p.files, &job),
    };
    if let Some(cache) = &p.cache {
        cache.save();
    }
    results
}

/// Problems with files rather than findings, to stderr; true if any is an I/O error.
pub(crate) fn report_file_problems(p: &Prepared, results: &[FileResult]) -> bool {
    let paint = Paint(output::stderr_colour());
    for e in &p.walk_errors {
        stream::note(format!("{}: {e}", paint.red("error")));
    }
    for r in results {
        if let Some(e) = &r.outcome.error {
            stream::note(output::text::error_line(&r.path.to_string_lossy(), e, paint));
        }
        if let Some(e) = &r.io_error {
            stream::note(format!("{}: {e}", paint.red("error")));
        }
    }
    !p.walk_errors.is_empty() || results.iter().any(|r| r.io_error.is_some())
}

pub(crate) fn pretty_json(value: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// Writes everything to stdout; a closed pipe (`| head`) ends quietly.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    stream::print(bytes).context("writing to standard output")
}

/// 2 on an I/O error, else 1 when something needs attention, else 0.
pub(crate) fn exit_code(io_failed: bool, attention: bool, exit_zero: bool) -> u8 {
    match (io_failed, attention && !exit_zero) {
        (true, _) => 2,
        (false, true) => 1,
        (false, false) => 0,
    }
}

pub(crate) fn describe_problems(s: &Summary) -> String {
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

pub(crate) fn job_count(requested: Option<usize>) -> usize {
    requested.filter(|&n| n > 0).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
