//! The settings in effect for one run: the command line over the project's
//! settings file over the defaults, each value with where it came from
//! (`remediate config` prints them).

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::cli::RuleOptions;
use crate::config::project::{self, ProjectFile, DEFAULT_EXCLUDES};
use crate::config::{ConfigPaths, DEFAULT_REVISIONS, DEFAULT_TARGET, DEFAULT_TIMEOUTS};
use crate::pipeline::walk::{display_path, Exclusions, PathPatterns};
use crate::python::parse::PythonVersion;

/// Where a value in effect came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Default,
    CommandLine,
    /// The settings file.
    File(PathBuf),
    /// `[project] requires-python` of this `pyproject.toml`.
    RequiresPython(PathBuf),
    /// The default file, found under the project root.
    Found,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::CommandLine => f.write_str("command line"),
            Origin::File(path) => write!(f, "{}", display_path(path)),
            Origin::RequiresPython(path) => write!(f, "requires-python in {}", display_path(path)),
            Origin::Found => f.write_str("default, found under the project root"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Sourced<T> {
    pub(crate) value: T,
    pub(crate) origin: Origin,
}

fn sourced<T>(value: T, origin: Origin) -> Sourced<T> {
    Sourced { value, origin }
}

/// Every setting a scanning command uses.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub(crate) project: Option<ProjectFile>,
    /// Where default files are looked for and patterns are relative to.
    pub(crate) root: PathBuf,
    pub(crate) select: Sourced<Vec<String>>,
    pub(crate) extend_select: Sourced<Vec<String>>,
    pub(crate) ignore: Sourced<Vec<String>>,
    pub(crate) exclude: Sourced<Vec<String>>,
    pub(crate) extend_exclude: Sourced<Vec<String>>,
    pub(crate) force_exclude: Sourced<bool>,
    pub(crate) per_file_ignores: Sourced<Vec<(String, Vec<String>)>>,
    pub(crate) unsafe_fixes: Sourced<bool>,
    pub(crate) strict_except: Sourced<bool>,
    pub(crate) revisions: Sourced<Option<PathBuf>>,
    pub(crate) timeouts: Sourced<Option<PathBuf>>,
    pub(crate) pin_module: Sourced<Option<String>>,
    pub(crate) target_version: Sourced<PythonVersion>,
}

impl Effective {
    /// Finds the project's settings file from the paths given and merges it
    /// with the command line.
    pub(crate) fn resolve(options: &RuleOptions) -> Result<Effective> {
        Effective::with_project(options, discover_one(&options.paths)?)
    }

    /// The settings of `project` (found already) merged with the command line.
    pub(crate) fn with_project(options: &RuleOptions, project: Option<ProjectFile>) -> Result<Effective> {
        let root = match &project {
            Some(file) => file.dir().to_path_buf(),
            None => project::nearest_root(options.paths.first().map_or(Path::new("."), PathBuf::as_path))?,
        };
        let file_origin = || Origin::File(project.as_ref().map(|p| p.path.clone()).unwrap_or_default());
        let s = project.as_ref().map(|p| p.settings.clone()).unwrap_or_default();
        let from_cli_or_file = |cli: &[String], file: Option<Vec<String>>| -> Sourced<Vec<String>> {
            match (cli.iter().any(|t| !t.trim().is_empty()), file) {
                (true, _) => sourced(cli.to_vec(), Origin::CommandLine),
                (false, Some(file)) => sourced(file, file_origin()),
                (false, None) => sourced(Vec::new(), Origin::Default),
            }
        };
        let select = from_cli_or_file(&options.select, s.select.clone());
        // A command-line selection replaces the file's whole selection.
        let extend_select = match (&select.origin, s.extend_select) {
            (Origin::CommandLine, _) | (_, None) => sourced(Vec::new(), Origin::Default),
            (_, Some(extra)) => sourced(extra, file_origin()),
        };
        let ignore = match (options.ignore.is_empty(), s.ignore) {
            (true, Some(file)) => sourced(file, file_origin()),
            (false, Some(mut file)) => {
                file.extend(options.ignore.iter().cloned());
                sourced(file, Origin::CommandLine)
            }
            (_, None) => sourced(
                options.ignore.clone(),
                if options.ignore.is_empty() { Origin::Default } else { Origin::CommandLine },
            ),
        };
        let exclude = match s.exclude {
            Some(list) => sourced(list, file_origin()),
            None => sourced(DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(), Origin::Default),
        };
        let or_default = |value: Option<Vec<String>>| match value {
            Some(v) => sourced(v, file_origin()),
            None => sourced(Vec::new(), Origin::Default),
        };
        let extend_exclude = or_default(s.extend_exclude);
        let per_file_ignores = match s.per_file_ignores {
            Some(map) => sourced(map.into_iter().collect(), file_origin()),
            None => sourced(Vec::new(), Origin::Default),
        };
        let flag = |cli: bool, file: Option<bool>| match (cli, file) {
            (true, _) => sourced(true, Origin::CommandLine),
            (false, Some(v)) => sourced(v, file_origin()),
            (false, None) => sourced(false, Origin::Default),
        };
        let dir = project.as_ref().map(|p| p.dir().to_path_buf());
        let file_path = |cli: &Option<PathBuf>, file: Option<PathBuf>, default: &str| match (cli, file) {
            (Some(path), _) => sourced(Some(path.clone()), Origin::CommandLine),
            (None, Some(path)) => sourced(Some(below_cwd(dir.clone().unwrap_or_default().join(path))), file_origin()),
            (None, None) => {
                let found = root.join(default);
                match found.is_file() {
                    true => sourced(Some(below_cwd(found)), Origin::Found),
                    false => sourced(None, Origin::Default),
                }
            }
        };
        let revisions = file_path(&options.revisions, s.revisions, DEFAULT_REVISIONS);
        let timeouts = file_path(&options.timeouts, s.timeouts, DEFAULT_TIMEOUTS);
        let pin_module = match (&options.pin_module, s.pin_module) {
            (Some(m), _) => sourced(Some(m.clone()), Origin::CommandLine),
            (None, Some(m)) => sourced(Some(m), file_origin()),
            (None, None) => sourced(None, Origin::Default),
        };
        let target_version = match (options.target_version, s.target_version) {
            (Some(v), _) => sourced(v, Origin::CommandLine),
            (None, Some(v)) => sourced(v, file_origin()),
            (None, None) => match project::requires_python(&root)? {
                Some((v, _)) => sourced(v, Origin::RequiresPython(root.join(project::PYPROJECT))),
                None => sourced(DEFAULT_TARGET, Origin::Default),
            },
        };
        Ok(Effective {
            unsafe_fixes: flag(options.unsafe_fixes, s.unsafe_fixes),
            strict_except: flag(options.strict_except, s.strict_except),
            force_exclude: flag(false, s.force_exclude),
            project,
            root,
            select,
            extend_select,
            ignore,
            exclude,
            extend_exclude,
            per_file_ignores,
            revisions,
            timeouts,
            pin_module,
            target_version,
        })
    }

    /// The rules to select (empty for all) and to skip.
    pub(crate) fn rule_names(&self) -> (Vec<String>, Vec<String>) {
        let mut select = self.select.value.clone();
        if !select.is_empty() {
            select.extend(self.extend_select.value.iter().cloned());
        }
        (select, self.ignore.value.clone())
    }

    pub(crate) fn config_paths(&self) -> ConfigPaths {
        ConfigPaths { revisions: self.revisions.value.clone(), timeouts: self.timeouts.value.clone() }
    }

    /// The patterns are relative to the settings file, or to the project root without one.
    pub(crate) fn exclusions(&self) -> Result<Exclusions> {
        let patterns: Vec<String> = self.exclude.value.iter().chain(&self.extend_exclude.value).cloned().collect();
        let patterns = PathPatterns::new(&self.root, &patterns).map_err(|e| self.file_error("exclude", e))?;
        let keep_packages = matches!(self.exclude.origin, Origin::Default);
        Ok(Exclusions { patterns, force: self.force_exclude.value, keep_packages })
    }

    /// Only the patterns the settings file itself gives (`exclude`,
    /// `extend-exclude`): for a nested project, whose files the walk has
    /// already passed through the default list.
    pub(crate) fn own_exclusions(&self) -> Result<Option<PathPatterns>> {
        let patterns: Vec<String> = [&self.exclude, &self.extend_exclude]
            .into_iter()
            .filter(|list| matches!(list.origin, Origin::File(_)))
            .flat_map(|list| list.value.iter().cloned())
            .collect();
        if patterns.is_empty() {
            return Ok(None);
        }
        PathPatterns::new(&self.root, &patterns).map(Some).map_err(|e| self.file_error("exclude", e))
    }

    pub(crate) fn per_file_ignores(&self) -> Result<PerFileIgnores> {
        let mut entries = Vec::new();
        for (pattern, rules) in &self.per_file_ignores.value {
            let matcher = PathPatterns::new(&self.root, std::slice::from_ref(pattern))
                .map_err(|e| self.file_error("per-file-ignores", e))?;
            entries.push((matcher, rules.clone()));
        }
        Ok(PerFileIgnores { entries })
    }

    fn file_error(&self, key: &str, e: anyhow::Error) -> anyhow::Error {
        let file = self.project.as_ref().map_or_else(String::new, |p| format!("{}: ", p.path.display()));
        anyhow::anyhow!("{file}`{key}`: {e}")
    }

    /// `key = value  # origin` lines, for `remediate config`.
    pub(crate) fn render(&self) -> String {
        let list = |v: &[String]| format!("[{}]", v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "));
        let path =
            |p: &Option<PathBuf>| p.as_ref().map_or_else(|| "(none)".to_owned(), |p| format!("{:?}", display_path(p)));
        let pfi = self
            .per_file_ignores
            .value
            .iter()
            .map(|(k, v)| format!("{k:?} = {}", list(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let rows: Vec<(&str, String, &Origin)> = vec![
            ("select", list(&self.select.value), &self.select.origin),
            ("extend-select", list(&self.extend_select.value), &self.extend_select.origin),
            ("ignore", list(&self.ignore.value), &self.ignore.origin),
            ("exclude", list(&self.exclude.value), &self.exclude.origin),
            ("extend-exclude", list(&self.extend_exclude.value), &self.extend_exclude.origin),
            ("force-exclude", self.force_exclude.value.to_string(), &self.force_exclude.origin),
            ("per-file-ignores", format!("{{{pfi}}}"), &self.per_file_ignores.origin),
            ("unsafe-fixes", self.unsafe_fixes.value.to_string(), &self.unsafe_fixes.origin),
            ("strict-except", self.strict_except.value.to_string(), &self.strict_except.origin),
            ("revisions", path(&self.revisions.value), &self.revisions.origin),
            ("timeouts", path(&self.timeouts.value), &self.timeouts.origin),
            (
                "pin-module",
                self.pin_module.value.as_ref().map_or_else(|| "(none)".to_owned(), |m| format!("{m:?}")),
                &self.pin_module.origin,
            ),
            (
                "target-version",
                format!("\"py{}{}\"", self.target_version.value.major, self.target_version.value.minor),
                &self.target_version.origin,
            ),
        ];
        let mut out = match &self.project {
            Some(file) => format!("# settings file: {}\n", display_path(&file.path)),
            None => "# settings file: none found\n".to_owned(),
        };
        out += &format!("# project root: {}\n", display_path(&self.root));
        for (key, value, origin) in rows {
            out += &format!("{key} = {value}  # {origin}\n");
        }
        out
    }
}

/// `path` relative to the current directory when it lies below it, so
/// that messages name it as the user would.
fn below_cwd(path: PathBuf) -> PathBuf {
    let cwd = std::env::current_dir().ok().and_then(|c| project::absolute(&c).ok());
    match cwd.as_ref().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
        _ => path,
    }
}

/// The settings file every path given belongs to; paths in two projects
/// are refused rather than scanned with one project's settings.
fn discover_one(paths: &[PathBuf]) -> Result<Option<ProjectFile>> {
    let mut found: Option<Option<ProjectFile>> = None;
    for path in paths {
        let this = project::discover(path)?;
        match &found {
            None => found = Some(this),
            Some(first) => {
                let (a, b) = (first.as_ref().map(|f| &f.path), this.as_ref().map(|f| &f.path));
                if a != b {
                    let name =
                        |p: Option<&PathBuf>| p.map_or_else(|| "no settings file".to_owned(), |p| display_path(p));
                    bail!(
                        "the paths given belong to different projects ({} and {}); run remediate once per project",
                        name(a),
                        name(b)
                    );
                }
            }
        }
    }
    Ok(found.flatten())
}

/// `per-file-ignores`: the rules each file pattern turns off.
#[derive(Debug, Clone, Default)]
pub(crate) struct PerFileIgnores {
    entries: Vec<(PathPatterns, Vec<String>)>,
}

impl PerFileIgnores {
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The rule names turned off for `path`.
    pub(crate) fn names_for(&self, path: &Path) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(pattern, _)| pattern.matches(path, false))
            .flat_map(|(_, names)| names.iter().map(String::as_str))
            .collect()
    }
}
