//! Command-line arguments only; what they do lives in `main.rs` and below.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::python::parse::PythonVersion;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing to report (check), nothing left to review (fix), no changes (diff --exit-code)
  1  findings remain or a file does not parse (check, fix), or changes exist (diff --exit-code),
     or a finding could not be suppressed (suppress)
  2  usage, configuration or I/O error
--exit-zero turns 1 into 0; 2 stays 2.";

/// Find and fix the security findings Bandit reports in ML Python code:
/// unsafe torch.load, unpinned Hugging Face downloads, HTTP calls without
/// timeouts, swallowed exceptions.
#[derive(Debug, Parser)]
#[command(name = "remediate", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show the fixes as a unified diff (dry run); `remediate diff | git apply` applies them.
    Diff(DiffArgs),
    /// Apply the fixes in place.
    Fix(FixArgs),
    /// List every finding, fixable or not.
    Check(CheckArgs),
    /// Describe the rules.
    Rules(RulesArgs),
    /// List every Hugging Face repository the code downloads, with its pin.
    Models(ModelsArgs),
    /// Pin the repositories the code downloads to commit SHAs in the revisions file.
    Lock(LockArgs),
    /// Print the settings in effect for the paths given, and where each came from.
    Config(ConfigArgs),
    /// Audit checkpoint files for `torch.load(weights_only=True)` without loading them.
    Checkpoints(CheckpointsArgs),
    /// Add a suppression comment that Bandit and remediate both read
    /// (`# nosec B614  # REASON`) for every finding `check` reports.
    Suppress(SuppressArgs),
}

impl Cli {
    /// Parses the command line, noting whether PATHS were given or are the
    /// default (`--stdin-filename x.py .` names a path; no path does not).
    pub fn parse_args() -> Cli {
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let given = matches
            .subcommand()
            .and_then(|(_, sub)| sub.value_source("paths"))
            .is_some_and(|source| source == ValueSource::CommandLine);
        if let Some(options) = cli.command.rule_options_mut() {
            options.paths_given = given;
        }
        cli
    }
}

impl Command {
    fn rule_options_mut(&mut self) -> Option<&mut RuleOptions> {
        match self {
            Command::Diff(a) => Some(&mut a.options),
            Command::Fix(a) => Some(&mut a.options),
            Command::Check(a) => Some(&mut a.options),
            Command::Config(a) => Some(&mut a.options),
            Command::Suppress(a) => Some(&mut a.options),
            Command::Rules(_) | Command::Models(_) | Command::Lock(_) | Command::Checkpoints(_) => None,
        }
    }
}

/// Options every scanning command shares.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct RuleOptions {
    /// Files or directories to scan (directories are walked for *.py, honouring
    /// .gitignore and the project's `exclude`); `-` reads one file from
    /// standard input.
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// Read the file from standard input, as if it were PATH: PATH chooses
    /// the settings, per-file ignores, the name in messages and whether it
    /// is a notebook. `fix` then prints the fixed file to standard output
    /// and writes nothing.
    #[arg(long, value_name = "PATH")]
    pub(crate) stdin_filename: Option<PathBuf>,
    /// PATHS were written on the command line (not the default `.`).
    #[arg(skip)]
    pub(crate) paths_given: bool,
    /// Only these rules: ids, Bandit or ruff codes, comma-separated (e.g. torch-load,B113).
    #[arg(long, value_delimiter = ',')]
    pub(crate) select: Vec<String>,
    /// Skip these rules: ids, Bandit or ruff codes, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// Model revision pins [default: configs/model_revisions.yaml, when present].
    #[arg(long, value_name = "FILE")]
    pub(crate) revisions: Option<PathBuf>,
    /// HTTP timeouts [default: configs/timeouts.yaml, when present].
    #[arg(long, value_name = "FILE")]
    pub(crate) timeouts: Option<PathBuf>,
    /// Also apply fixes that change behaviour (see `remediate rules`); for
    /// `check`, count findings with such a fix as fixable.
    #[arg(long)]
    pub(crate) unsafe_fixes: bool,
    /// except-pass / except-continue: flag handlers of any exception type.
    #[arg(long)]
    pub(crate) strict_except: bool,
    /// Pin downloads whose repository id is known only at run time through
    /// this generated module (`training.model_revisions`), whose
    /// `pinned_revision(repo_id)` reads the revisions file's pins.
    #[arg(long, value_name = "MODULE", value_parser = parse_pin_module)]
    pub(crate) pin_module: Option<String>,
    /// The oldest Python the fixed code must run on: py38 ... py314
    /// [default: the project's `requires-python`, else py38].
    #[arg(long, value_name = "VERSION", value_parser = parse_target_version)]
    pub(crate) target_version: Option<PythonVersion>,
    /// Audit the checkpoint files under this directory and let them decide
    /// the `torch-load` fix of each load whose path names one of them by
    /// file name (`"runs/rng.pt"` -> `DIR/**/rng.pt`).
    #[arg(long, value_name = "DIR")]
    pub(crate) checkpoints: Option<PathBuf>,
    /// Findings of an earlier `check --format json` (or `bandit -f json`)
    /// that no longer count: matched by rule, file and line text.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Print nothing but findings, diffs or errors.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Exit 0 even when findings remain (errors still exit 2).
    #[arg(long)]
    pub(crate) exit_zero: bool,
    /// Do not read or write the result cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Parse every file, even those whose trigger words occur only in
    /// strings and comments (for proving the prefilter exact).
    #[arg(long, hide = true)]
    pub(crate) no_prefilter: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(flatten)]
    pub(crate) options: RuleOptions,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    #[command(flatten)]
    pub(crate) options: RuleOptions,
    /// Exit 1 when anything would change.
    #[arg(long)]
    pub(crate) exit_code: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub(crate) format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    /// A unified diff for `git apply`.
    Text,
    /// Per file: the unified diff and the edits of each fix.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct FixArgs {
    #[command(flatten)]
    pub(crate) options: RuleOptions,
    /// Also write a Markdown pull-request body: what was fixed, what remains.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// After the remaining findings, list the fixes applied, per file and rule.
    #[arg(long)]
    pub(crate) show_fixes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SuppressArgs {
    #[command(flatten)]
    pub(crate) options: RuleOptions,
    /// Why the findings are accepted, written after the directive:
    /// `# nosec B614  # TEXT`.
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: String,
    /// Also add each rule's ruff codes to a `# noqa:` directive, so that
    /// ruff (which does not read `# nosec`) is silenced too.
    #[arg(long)]
    pub(crate) noqa: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) options: RuleOptions,
    /// Print the number of findings per rule instead of the findings
    /// (`--format json` for a JSON list; other formats print the text table).
    #[arg(long)]
    pub(crate) statistics: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub(crate) format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// `path:line:col: rule [code] message`; a code frame on a terminal.
    Text,
    /// The `text` line, the code frame and what the fix does, for every finding, in a pipe too.
    Full,
    /// Findings, errors and a summary, for scripts.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the diff).
    Github,
    /// A Markdown table per rule.
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Show one rule's documentation (id or code).
    pub(crate) rule: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub(crate) format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ModelsArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// Model revision pins [default: configs/model_revisions.yaml, when present].
    #[arg(long, value_name = "FILE")]
    pub(crate) revisions: Option<PathBuf>,
    /// Output format; `yaml` prints the revisions file with the missing ids added.
    #[arg(long, value_enum, default_value_t = ModelsFormat::Text)]
    pub(crate) format: ModelsFormat,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Print nothing but the output or errors.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModelsFormat {
    Text,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub(crate) struct CheckpointsArgs {
    /// Checkpoint files, or directories walked for .pt .pth .ckpt .bin .tar .pkl .pickle .safetensors.
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckpointsFormat::Text)]
    pub(crate) format: CheckpointsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckpointsFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// The revisions file to fill [default: configs/model_revisions.yaml].
    #[arg(long, value_name = "FILE")]
    pub(crate) revisions: Option<PathBuf>,
    /// Use only the local Hugging Face cache (also when HF_HUB_OFFLINE=1).
    #[arg(long)]
    pub(crate) offline: bool,
    /// Regenerate this run-time pin module (`training.model_revisions`)
    /// from the revisions file once it is written.
    #[arg(long, value_name = "MODULE", value_parser = parse_pin_module)]
    pub(crate) pin_module: Option<String>,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
}

/// `py38` ... `py314`, ruff's spelling of a target version.
pub(crate) fn parse_target_version(text: &str) -> Result<PythonVersion, String> {
    let minor = text
        .strip_prefix("py3")
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| (8..=14).contains(m))
        .ok_or_else(|| format!("`{text}` is not a target version: use py38, py39, ..., py314"))?;
    Ok(PythonVersion { major: 3, minor })
}

/// A dotted Python module name for `--pin-module`.
pub(crate) fn parse_pin_module(text: &str) -> Result<String, String> {
    if crate::pins::pin_module::is_module_name(text) {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}` is not a Python module name (like `training.model_revisions`)"))
    }
}
