//! The two configuration files: `configs/model_revisions.yaml` (which
//! revision each Hugging Face id is pinned to) and `configs/timeouts.yaml`
//! (the HTTP timeouts fixes insert). Both are validated strictly: an unknown
//! key or a bad value is an error naming the file, line and column.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::python::parse::PythonVersion;

pub(crate) mod project;
mod revisions;
mod timeouts;

pub(crate) use revisions::{is_commit_sha, ModelPin, ModelRevisions, Revision};
pub(crate) use timeouts::{Seconds, TimeoutSet, Timeouts};

pub(crate) const DEFAULT_REVISIONS: &str = "configs/model_revisions.yaml";
pub(crate) const DEFAULT_TIMEOUTS: &str = "configs/timeouts.yaml";

/// Everything the rules read besides the source.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) revisions: ModelRevisions,
    pub(crate) timeouts: Timeouts,
    /// `--strict-except`: except-pass/continue flag every exception type.
    pub(crate) strict_except: bool,
    /// The oldest Python the fixed code must run on: no fix emits syntax
    /// or uses an API newer than this.
    pub target_version: PythonVersion,
    /// The generated module (`training.model_revisions`) whose
    /// `pinned_revision(repo_id)` pins downloads known only at run time.
    pub(crate) pin_module: Option<String>,
    /// The project's line length (`[tool.ruff]` / `[tool.black]`
    /// `line-length`): a call a fix would push past it is split, one
    /// argument per line.
    pub(crate) line_length: usize,
    /// `--checkpoints DIR`: audits of real checkpoint files, by file name,
    /// that decide the fix of a load whose path names one.
    pub(crate) checkpoints: crate::checkpoints::evidence::Evidence,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            revisions: ModelRevisions::default(),
            timeouts: Timeouts::default(),
            strict_except: false,
            target_version: DEFAULT_TARGET,
            pin_module: None,
            line_length: crate::fix::line_length::DEFAULT,
            checkpoints: crate::checkpoints::evidence::Evidence::default(),
        }
    }
}

/// The target when the project declares none: the oldest Python accepted.
pub(crate) const DEFAULT_TARGET: PythonVersion = PythonVersion::PY38;

/// Where the configuration comes from; each path given must exist. The
/// defaults (`configs/...` under the project root) are chosen by the caller.
pub struct ConfigPaths {
    pub revisions: Option<PathBuf>,
    pub timeouts: Option<PathBuf>,
}

impl Config {
    pub fn load(paths: &ConfigPaths) -> Result<Config> {
        let revisions = match &paths.revisions {
            Some(path) => ModelRevisions::load(path)?,
            None => ModelRevisions::default(),
        };
        let timeouts = match &paths.timeouts {
            Some(path) => Timeouts::load(path)?,
            None => Timeouts::default(),
        }
        .with_overrides(|name| std::env::var_os(name))?;
        Ok(Config { revisions, timeouts, ..Config::default() })
    }
}

/// A configuration file larger than this is refused unread: ours hold a
/// few hundred lines at most.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Brackets and braces nested deeper than this are refused before parsing:
/// the YAML scanner's time grows with the square of the depth, and our files
/// need two or three levels.
const MAX_FLOW_DEPTH: usize = 64;

/// Reads and parses one YAML file, turning any error into
/// `path:line:column: message`.
pub(crate) fn read_yaml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    read_yaml_text(path).map(|(value, _)| value)
}

/// Like [`read_yaml`], also returning the file's text.
pub(crate) fn read_yaml_text<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<(T, String)> {
    let bytes = read_config_bytes(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not UTF-8 text (byte {})", path.display(), e.valid_up_to()))?;
    if text.contains('\0') {
        bail!("{}: contains NUL bytes; not a YAML file", path.display());
    }
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        bail!("{}: the file is empty", path.display());
    }
    if let Some((line, column)) = too_deep(text) {
        bail!("{}:{line}:{column}: nested more than {MAX_FLOW_DEPTH} levels deep", path.display());
    }
    let value = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(at) => {
            let message = strip_location(&e, at.line(), at.column());
            let (line, column) = refine_location(text, &message, at.line(), at.column());
            anyhow::anyhow!("{}:{line}:{column}: {message}", path.display())
        }
        None => anyhow::anyhow!("{}: {}", path.display(), explain(&e.to_string())),
    })?;
    Ok((value, text.to_owned()))
}

/// The file's bytes, refusing what cannot be a configuration file: a
/// directory, a FIFO or a device (reading would block or never end), or
/// anything over [`MAX_CONFIG_BYTES`].
fn read_config_bytes(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    if meta.len() > MAX_CONFIG_BYTES {
        bail!("{}: {} bytes; a configuration file may hold at most {MAX_CONFIG_BYTES}", path.display(), meta.len());
    }
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        bail!("{}: grew past {MAX_CONFIG_BYTES} bytes while being read", path.display());
    }
    Ok(bytes)
}

/// The line and column of the first `[` or `{` nested deeper than
/// [`MAX_FLOW_DEPTH`]. Counted without regard to quoting: a real
/// configuration never comes near the limit, so only hostile or broken
/// files are refused.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (number, line) in text.lines().enumerate() {
        for (column, c) in line.chars().enumerate() {
            match c {
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Some((number + 1, column + 1));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// Errors yaml_serde reports without a location, in the user's terms.
fn explain(message: &str) -> String {
    match message {
        "repetition limit exceeded" => {
            "aliases (`*name`) expand to too much data (a \"billion laughs\" file?); this file needs no aliases".into()
        }
        "recursion limit exceeded" => format!("nested too deeply (at most {MAX_FLOW_DEPTH} levels)"),
        _ => message.to_owned(),
    }
}

/// Errors our validators raise carry the location of the enclosing mapping;
/// when the message names the offending key (`` `read`: ... ``), point at
/// that key's line instead.
fn refine_location(text: &str, message: &str, line: usize, column: usize) -> (usize, usize) {
    let key = message.split_once('`').and_then(|(_, rest)| rest.split_once("`:")).map(|(key, _)| key);
    let Some(key) = key else { return (line, column) };
    // A repeated key is shown where it repeats.
    let mut skip = usize::from(message.ends_with("appears twice"));
    for (i, l) in text.lines().enumerate().skip(line.saturating_sub(1)) {
        let trimmed = l.trim_start();
        let bare = trimmed.trim_start_matches(['"', '\'']);
        if bare.starts_with(key) && bare[key.len()..].trim_start_matches(['"', '\'']).trim_start().starts_with(':') {
            if skip == 0 {
                return (i + 1, l.len() - trimmed.len() + 1);
            }
            skip -= 1;
        }
    }
    (line, column)
}

/// serde_yaml puts " at line L column C" after the problem; we lead with it
/// instead. A scanner error's second location (where the construct it was
/// reading began) stays in the message.
fn strip_location(e: &serde_yaml::Error, line: usize, column: usize) -> String {
    explain(&e.to_string().replacen(&format!(" at line {line} column {column}"), "", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn revisions_keep_order_and_split_default() {
        let (_d, p) = write(
            "model_revisions:\n  \"b/m\":\n    revision: \"abc1234\"\n  a/m:\n    revision: v1.0\n    trust_remote_code: false\n  default:\n    revision: main\n",
        );
        let r = ModelRevisions::load(&p).unwrap();
        assert_eq!(r.pins.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["b/m", "a/m"]);
        assert!(r.exact("b/m").unwrap().revision.is_commit_sha());
        assert_eq!(r.pin_for("zzz").unwrap().revision.0, "main");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let (_d, p) = write("model_revisions:\n  gpt2:\n    revison: abc\n");
        let err = ModelRevisions::load(&p).unwrap_err().to_string();
        assert!(err.contains("c.yaml:3:"), "{err}");
        assert!(err.contains("revison"), "{err}");
        let (_d, p) = write("HTTP_TIMEOUTS:\n  connect: 10\n  read: -1\n  write: 1\n  pool: 1\n");
        let err = Timeouts::load(&p).unwrap_err().to_string();
        assert!(err.contains("c.yaml:3:"), "{err}");
        let (_d, p) = write("model_revisions:\n  \"\":\n    revision: main\n");
        assert!(ModelRevisions::load(&p).unwrap_err().to_string().contains("empty model id"));
    }

    #[test]
    fn timeouts_default_to_the_plan() {
        let (_d, p) = write("HTTP_TIMEOUTS:\n  connect: 5\n  read: 30\n  write: 5\n  pool: 5\n");
        let t = Timeouts::load(&p).unwrap();
        assert_eq!(t.http.read, Seconds(30.0));
        assert_eq!(t.streaming.read, Seconds(300.0));
        assert_eq!(Seconds(10.0).to_string(), "10.0");
        assert_eq!(Seconds(2.5).to_string(), "2.5");
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.into())
    }

    #[test]
    fn environment_overrides_single_values() {
        let t = Timeouts::default()
            .with_overrides(env(&[
                ("REMEDIATE_HTTP_READ_TIMEOUT", "30"),
                ("REMEDIATE_STREAMING_CONNECT_TIMEOUT", " 2.5 "),
            ]))
            .unwrap();
        assert_eq!(t.http.read, Seconds(30.0));
        assert_eq!(t.http.connect, Seconds(10.0));
        assert_eq!(t.streaming.connect, Seconds(2.5));
        assert_eq!(t.streaming.read, Seconds(300.0));
        let unchanged = Timeouts::default().with_overrides(env(&[("REMEDIATE_HTTP_POOL_TIMEOUT", "")])).unwrap();
        assert_eq!(unchanged, Timeouts::default());
    }

    #[test]
    fn invalid_environment_values_name_the_variable() {
        for bad in ["0", "-1", "ten", "inf", "NaN"] {
            let err = Timeouts::default()
                .with_overrides(env(&[("REMEDIATE_STREAMING_WRITE_TIMEOUT", bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains("REMEDIATE_STREAMING_WRITE_TIMEOUT"), "{err}");
            assert!(err.contains("positive number"), "{err}");
        }
    }

    #[test]
    fn timeouts_over_a_day_are_refused_naming_the_variable() {
        for huge in ["1e303", "86400.5", "1e400"] {
            let err = Timeouts::default()
                .with_overrides(env(&[("REMEDIATE_HTTP_READ_TIMEOUT", huge)]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("environment variable REMEDIATE_HTTP_READ_TIMEOUT="), "{err}");
            assert!(err.contains("at most 86400 seconds") || err.contains("positive number"), "{err}");
        }
        let err = Timeouts::default()
            .with_overrides(env(&[("REMEDIATE_HTTP_READ_TIMEOUT", "1e303")]))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("at most 86400 seconds (one day), got 1e303"), "{err}");
        let day = Timeouts::default().with_overrides(env(&[("REMEDIATE_HTTP_READ_TIMEOUT", "86400")])).unwrap();
        assert_eq!(day.http.read, Seconds(86_400.0));
    }
}
