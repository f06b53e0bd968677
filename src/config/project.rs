//! The project's own settings, found as ruff finds its own: the nearest
//! `remediate.toml`, or `pyproject.toml` with a `[tool.remediate]` table,
//! searched upward from the paths given. In one directory `remediate.toml`
//! wins. Paths in the file are relative to the directory that holds it;
//! the command line overrides it. An unknown key or a value of the wrong
//! type is an error naming the file, line and column, before any file is
//! read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use crate::python::parse::PythonVersion;

/// The settings file of its own, which wins over `pyproject.toml` in the same directory.
pub(crate) const SETTINGS_FILE: &str = "remediate.toml";
pub(crate) const PYPROJECT: &str = "pyproject.toml";

/// Directories never walked unless `exclude` says otherwise: ruff's list.
pub(crate) const DEFAULT_EXCLUDES: &[&str] = &[
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
];

/// The keys of `[tool.remediate]` (or of `remediate.toml`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Settings {
    #[serde(default, deserialize_with = "rule_names")]
    pub(crate) select: Option<Vec<String>>,
    #[serde(default, deserialize_with = "rule_names")]
    pub(crate) ignore: Option<Vec<String>>,
    #[serde(default, deserialize_with = "rule_names")]
    pub(crate) extend_select: Option<Vec<String>>,
    pub(crate) exclude: Option<Vec<String>>,
    pub(crate) extend_exclude: Option<Vec<String>>,
    /// Also exclude paths named on the command line (for pre-commit, which
    /// names every changed file).
    pub(crate) force_exclude: Option<bool>,
    #[serde(default, deserialize_with = "per_file_rule_names")]
    pub(crate) per_file_ignores: Option<BTreeMap<String, Vec<String>>>,
    pub(crate) unsafe_fixes: Option<bool>,
    pub(crate) strict_except: Option<bool>,
    pub(crate) revisions: Option<PathBuf>,
    pub(crate) timeouts: Option<PathBuf>,
    #[serde(default, deserialize_with = "pin_module")]
    pub(crate) pin_module: Option<String>,
    #[serde(default, deserialize_with = "target_version")]
    pub(crate) target_version: Option<PythonVersion>,
}

/// A settings file found, and what it says.
#[derive(Debug, Clone)]
pub(crate) struct ProjectFile {
    pub(crate) path: PathBuf,
    pub(crate) settings: Settings,
}

impl ProjectFile {
    /// The directory its paths are relative to.
    pub(crate) fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// `pyproject.toml` as far as we read it.
#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tool>,
    project: Option<ProjectTable>,
}

#[derive(Deserialize)]
struct Tool {
    remediate: Option<toml::Value>,
}

#[derive(Deserialize)]
struct ProjectTable {
    #[serde(rename = "requires-python")]
    requires_python: Option<toml::Value>,
}

/// The nearest settings file at or above `start` (a file or directory).
pub(crate) fn discover(start: &Path) -> Result<Option<ProjectFile>> {
    let start = absolute(start)?;
    let dir = if start.is_dir() { start.as_path() } else { start.parent().unwrap_or(&start) };
    for dir in dir.ancestors() {
        if let Some(found) = settings_in(dir)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The settings file in `dir` itself: `remediate.toml`, else a
/// `pyproject.toml` with a `[tool.remediate]` table.
pub(crate) fn settings_in(dir: &Path) -> Result<Option<ProjectFile>> {
    let own = dir.join(SETTINGS_FILE);
    if own.is_file() {
        return load_settings_file(&own).map(Some);
    }
    let pyproject = dir.join(PYPROJECT);
    match pyproject.is_file() {
        true => load_pyproject(&pyproject),
        false => Ok(None),
    }
}

/// The project root when no settings file names one: the nearest directory
/// at or above `start` holding a `pyproject.toml` or a `.git`, else `start`'s
/// directory.
pub(crate) fn nearest_root(start: &Path) -> Result<PathBuf> {
    let start = absolute(start)?;
    let dir = if start.is_dir() { start.clone() } else { start.parent().unwrap_or(&start).to_path_buf() };
    let found = dir.ancestors().find(|d| d.join(PYPROJECT).is_file() || d.join(".git").exists());
    Ok(found.unwrap_or(&dir).to_path_buf())
}

/// `[project] requires-python` of the `pyproject.toml` in `dir`, as the
/// oldest version it allows; None when there is no such file or key.
pub(crate) fn requires_python(dir: &Path) -> Result<Option<(PythonVersion, String)>> {
    let path = dir.join(PYPROJECT);
    if !path.is_file() {
        return Ok(None);
    }
    let text = read_text(&path)?;
    let parsed: Pyproject = parse(&path, &text)?;
    let Some(value) = parsed.project.and_then(|p| p.requires_python) else { return Ok(None) };
    let Some(spec) = value.as_str() else {
        bail!("{}: `project.requires-python` must be a string", path.display());
    };
    Ok(Some((lowest_allowed(spec), spec.to_owned())))
}

/// The oldest Python 3 minor version a PEP 440 specifier set admits,
/// clamped to the versions we support (py38 ... py314).
pub(crate) fn lowest_allowed(spec: &str) -> PythonVersion {
    let mut minor = 8u8;
    for clause in spec.split(',') {
        let clause = clause.trim();
        let (op, version) = ["===", "~=", "==", ">=", ">"]
            .iter()
            .find_map(|op| clause.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("", ""));
        if op.is_empty() {
            continue;
        }
        let mut parts = version.split('.');
        let (Some("3"), Some(m)) = (parts.next(), parts.next()) else { continue };
        let Ok(m) = m.trim_end_matches('*').parse::<u8>() else { continue };
        // `>3.9` still admits 3.9.1; only the minor version matters here.
        minor = minor.max(m);
    }
    PythonVersion { major: 3, minor: minor.clamp(8, 14) }
}

fn load_settings_file(path: &Path) -> Result<ProjectFile> {
    let text = read_text(path)?;
    let settings: Settings = parse(path, &text)?;
    Ok(ProjectFile { path: path.to_owned(), settings })
}

fn load_pyproject(path: &Path) -> Result<Option<ProjectFile>> {
    let text = read_text(path)?;
    // Parsed twice: once to see whether the table is there, once strictly,
    // so that an error points into the file as the user wrote it.
    let outline: Pyproject = parse(path, &text)?;
    if outline.tool.and_then(|t| t.remediate).is_none() {
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Strict {
        tool: StrictTool,
    }
    #[derive(Deserialize)]
    struct StrictTool {
        remediate: Settings,
    }
    let strict: Strict = parse(path, &text)?;
    Ok(Some(ProjectFile { path: path.to_owned(), settings: strict.tool.remediate }))
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("{}: not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
}

/// Parses TOML, turning an error into `path:line:column: message`.
fn parse<T: for<'de> Deserialize<'de>>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_owned();
        match e.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                anyhow::anyhow!("{}:{line}:{column}: {message}", path.display())
            }
            None => anyhow::anyhow!("{}: {message}", path.display()),
        }
    })
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `path` made absolute against the current directory, with `.` and `..`
/// removed by name (links are not resolved: the user's view of the tree).
pub(crate) fn absolute(path: &Path) -> Result<PathBuf> {
    let joined = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut normal = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    Ok(normal)
}

fn unknown_rule(name: &str) -> Option<String> {
    let known = crate::rules::all().iter().any(|r| r.meta().is_named_by(name));
    (!known).then(|| format!("unknown rule `{name}` (see `remediate rules`)"))
}

fn rule_names<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    if let Some(problem) = names.iter().find_map(|n| unknown_rule(n)) {
        return Err(de::Error::custom(problem));
    }
    Ok(Some(names))
}

fn per_file_rule_names<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, Vec<String>>>, D::Error> {
    let map = BTreeMap::<String, Vec<String>>::deserialize(d)?;
    if let Some(problem) = map.values().flatten().find_map(|n| unknown_rule(n)) {
        return Err(de::Error::custom(problem));
    }
    Ok(Some(map))
}

fn pin_module<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    crate::cli::parse_pin_module(&text).map(Some).map_err(de::Error::custom)
}

fn target_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PythonVersion>, D::Error> {
    let text = String::deserialize(d)?;
    crate::cli::parse_target_version(&text).map(Some).map_err(de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python_gives_its_lowest_minor_version() {
        let minor = |spec: &str| lowest_allowed(spec).minor;
        assert_eq!(minor(">=3.10"), 10);
        assert_eq!(minor(">=3.9, <4"), 9);
        assert_eq!(minor("~=3.11.2"), 11);
        assert_eq!(minor("==3.12.*"), 12);
        assert_eq!(minor(">3.9"), 9);
        assert_eq!(minor(">=3.6"), 8);
        assert_eq!(minor("<3.13"), 8);
        assert_eq!(minor(">=3.99"), 14);
    }

    #[test]
    fn errors_name_the_line_of_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PYPROJECT);
        std::fs::write(&path, "[project]\nname = \"x\"\n\n[tool.remediate]\nselec = [\"B614\"]\n").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pyproject.toml:5:1: unknown field `selec`"), "{err}");
        std::fs::write(&path, "[tool.remediate]\nunsafe-fixes = \"yes\"\n").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pyproject.toml:2:16:"), "{err}");
        std::fs::write(&path, "[tool.remediate]\nignore = [\"B999\"]\n").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains(":2:10: unknown rule `B999`"), "{err}");
    }

    #[test]
    fn the_own_file_wins_and_tables_elsewhere_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("pkg/sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.path().join(PYPROJECT), "[tool.remediate]\nselect = [\"B614\"]\n").unwrap();
        std::fs::write(dir.path().join("pkg").join(PYPROJECT), "[tool.black]\nline-length = 100\n").unwrap();
        let found = discover(&sub).unwrap().unwrap();
        assert_eq!(found.path, dir.path().join(PYPROJECT));
        std::fs::write(dir.path().join(SETTINGS_FILE), "select = [\"B113\"]\n").unwrap();
        let found = discover(&sub).unwrap().unwrap();
        assert_eq!(found.settings.select.unwrap(), ["B113"]);
    }
}
