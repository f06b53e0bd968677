//! The two configuration files: `configs/model_revisions.yaml` (which
//! revision each Hugging Face id is pinned to) and `configs/timeouts.yaml`
//! (the HTTP timeouts fixes insert). Both are validated strictly: an unknown
//! key or a bad value is an error naming the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

pub const DEFAULT_REVISIONS: &str = "configs/model_revisions.yaml";
pub const DEFAULT_TIMEOUTS: &str = "configs/timeouts.yaml";

/// Everything the rules read besides the source.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub revisions: ModelRevisions,
    pub timeouts: Timeouts,
    /// `--strict-except`: except-pass/continue flag every exception type.
    pub strict_except: bool,
}

/// Where the configuration comes from: explicit paths must exist; the
/// defaults are read only when present.
pub struct ConfigPaths {
    pub revisions: Option<PathBuf>,
    pub timeouts: Option<PathBuf>,
}

impl Config {
    pub fn load(paths: &ConfigPaths) -> Result<Config> {
        let revisions = match chosen(&paths.revisions, DEFAULT_REVISIONS) {
            Some(path) => ModelRevisions::load(&path)?,
            None => ModelRevisions::default(),
        };
        let timeouts = match chosen(&paths.timeouts, DEFAULT_TIMEOUTS) {
            Some(path) => Timeouts::load(&path)?,
            None => Timeouts::default(),
        }
        .with_overrides(|name| std::env::var_os(name))?;
        Ok(Config { revisions, timeouts, strict_except: false })
    }
}

fn chosen(explicit: &Option<PathBuf>, default: &str) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.clone()),
        None => Some(PathBuf::from(default)).filter(|p| p.is_file()),
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
pub fn read_yaml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
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
    serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(at) => {
            let message = strip_location(&e, at.line(), at.column());
            let (line, column) = refine_location(text, &message, at.line(), at.column());
            anyhow::anyhow!("{}:{line}:{column}: {message}", path.display())
        }
        None => anyhow::anyhow!("{}: {}", path.display(), explain(&e.to_string())),
    })
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
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
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
    let key = message
        .split_once('`')
        .and_then(|(_, rest)| rest.split_once("`:"))
        .map(|(key, _)| key);
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

// ---------------------------------------------------------------- revisions

/// The pin for one model id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPin {
    pub revision: Revision,
    #[serde(default)]
    pub trust_remote_code: Option<bool>,
}

/// A revision string: a commit SHA, tag or branch name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision(pub String);

impl Revision {
    /// 7 to 40 hexadecimal digits: an immutable commit.
    pub fn is_commit_sha(&self) -> bool {
        is_commit_sha(&self.0)
    }
}

pub fn is_commit_sha(s: &str) -> bool {
    (7..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<'de> Deserialize<'de> for Revision {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || s.eq_ignore_ascii_case("null") || s == "~" {
            return Err(de::Error::custom("revision is empty: expected a commit SHA, tag or branch name"));
        }
        let valid = !s.is_empty()
            && !s.starts_with('-')
            && !s.contains("..")
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
        if !valid {
            return Err(de::Error::custom(format!(
                "invalid revision {s:?}: expected a commit SHA, tag or branch name"
            )));
        }
        Ok(Revision(s))
    }
}

/// `model_revisions.yaml`: model id → pin, in file order, plus `default`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelRevisions {
    pub pins: Vec<(String, ModelPin)>,
    pub default: Option<ModelPin>,
    /// The file they came from, for messages.
    pub path: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionsFile {
    model_revisions: PinTable,
}

struct PinTable(Vec<(String, ModelPin)>);

impl<'de> Deserialize<'de> for PinTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct TableVisitor;
        impl<'de> Visitor<'de> for TableVisitor {
            type Value = PinTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping from model id to {revision, trust_remote_code}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<PinTable, A::Error> {
                let mut pins: Vec<(String, ModelPin)> = Vec::new();
                while let Some(id) = map.next_key::<String>()? {
                    if id.trim().is_empty() {
                        return Err(de::Error::custom("empty model id"));
                    }
                    if pins.iter().any(|(seen, _)| *seen == id) {
                        return Err(de::Error::custom(format!("model id {id:?} appears twice")));
                    }
                    pins.push((id, map.next_value()?));
                }
                Ok(PinTable(pins))
            }
        }
        d.deserialize_map(TableVisitor)
    }
}

impl ModelRevisions {
    pub fn load(path: &Path) -> Result<ModelRevisions> {
        let file: RevisionsFile = read_yaml(path)?;
        let mut pins = file.model_revisions.0;
        let default = pins.iter().position(|(id, _)| id == "default").map(|i| pins.remove(i).1);
        Ok(ModelRevisions { pins, default, path: Some(path.to_owned()) })
    }

    /// The pin for `id`; the `default` entry when the id has none.
    pub fn pin_for(&self, id: &str) -> Option<&ModelPin> {
        self.exact(id).or(self.default.as_ref())
    }

    pub fn exact(&self, id: &str) -> Option<&ModelPin> {
        self.pins.iter().find(|(k, _)| k == id).map(|(_, p)| p)
    }

    /// Where a user should add a pin, for messages.
    pub fn file_hint(&self) -> String {
        self.path.as_ref().map_or(DEFAULT_REVISIONS.to_owned(), |p| p.display().to_string())
    }
}

// ---------------------------------------------------------------- timeouts

/// Seconds, a positive finite number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seconds(pub f64);

impl fmt::Display for Seconds {
    /// Always with a decimal point, as the plan writes them: `10.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            write!(f, "{:.1}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// One set of httpx-style timeouts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeoutSet {
    pub connect: Seconds,
    pub read: Seconds,
    pub write: Seconds,
    pub pool: Seconds,
}

impl<'de> Deserialize<'de> for TimeoutSet {
    /// All four keys are required; each error names its key.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = TimeoutSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping with connect, read, write and pool (seconds)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<TimeoutSet, A::Error> {
                let mut values: [Option<Seconds>; 4] = [None; 4];
                while let Some(key) = map.next_key::<String>()? {
                    let Some(slot) = TIMEOUT_KEYS.iter().position(|k| *k == key) else {
                        return Err(de::Error::custom(format!(
                            "`{key}`: unknown key, expected one of connect, read, write, pool"
                        )));
                    };
                    if values[slot].is_some() {
                        return Err(de::Error::custom(format!("`{key}`: appears twice")));
                    }
                    let PositiveSeconds(value) = map.next_value()?;
                    values[slot] = Some(Seconds(value));
                }
                match values {
                    [Some(connect), Some(read), Some(write), Some(pool)] => Ok(TimeoutSet { connect, read, write, pool }),
                    _ => {
                        let missing: Vec<&str> = TIMEOUT_KEYS
                            .iter()
                            .zip(values)
                            .filter(|(_, v)| v.is_none())
                            .map(|(k, _)| *k)
                            .collect();
                        Err(de::Error::custom(format!("missing {}", missing.join(", "))))
                    }
                }
            }
        }
        d.deserialize_map(SetVisitor)
    }
}

const TIMEOUT_KEYS: [&str; 4] = ["connect", "read", "write", "pool"];

/// A positive, finite number of seconds. Read straight from the scalar,
/// never through a generic YAML value, so an alias to a huge sequence is
/// refused without being expanded.
struct PositiveSeconds(f64);

impl<'de> Deserialize<'de> for PositiveSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct SecondsVisitor;
        impl Visitor<'_> for SecondsVisitor {
            type Value = PositiveSeconds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a positive number of seconds")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<PositiveSeconds, E> {
                if v.is_finite() && v > 0.0 {
                    Ok(PositiveSeconds(v))
                } else {
                    Err(E::custom(format!("timeout must be a positive number of seconds, got {v}")))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<PositiveSeconds, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<PositiveSeconds, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_f64(SecondsVisitor)
    }
}

/// `timeouts.yaml`: plain calls and streaming calls.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    #[serde(rename = "HTTP_TIMEOUTS", default = "Timeouts::default_http")]
    pub http: TimeoutSet,
    #[serde(rename = "STREAMING_TIMEOUTS", default = "Timeouts::default_streaming")]
    pub streaming: TimeoutSet,
}

impl Default for Timeouts {
    /// The plan's values.
    fn default() -> Self {
        Timeouts { http: Self::default_http(), streaming: Self::default_streaming() }
    }
}

impl Timeouts {
    fn default_http() -> TimeoutSet {
        TimeoutSet { connect: Seconds(10.0), read: Seconds(60.0), write: Seconds(10.0), pool: Seconds(10.0) }
    }

    fn default_streaming() -> TimeoutSet {
        TimeoutSet { read: Seconds(300.0), ..Self::default_http() }
    }

    pub fn load(path: &Path) -> Result<Timeouts> {
        read_yaml(path)
    }

    /// Applies the environment's single-value overrides,
    /// `REMEDIATE_{HTTP,STREAMING}_{CONNECT,READ,WRITE,POOL}_TIMEOUT`, read
    /// through `lookup`. An empty variable counts as unset; any other value
    /// must be a positive number of seconds.
    pub fn with_overrides(mut self, lookup: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<Timeouts> {
        for (set_name, set) in [("HTTP", &mut self.http), ("STREAMING", &mut self.streaming)] {
            for key in TIMEOUT_KEYS {
                let name = override_variable(set_name, key);
                let Some(raw) = lookup(&name).filter(|v| !v.is_empty()) else { continue };
                let text = raw
                    .to_str()
                    .with_context(|| format!("environment variable {name}: not valid UTF-8"))?;
                let value = match text.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 => Seconds(v),
                    _ => bail!("environment variable {name}={text:?}: timeout must be a positive number of seconds"),
                };
                *set.slot(key) = value;
            }
        }
        Ok(self)
    }
}

/// `REMEDIATE_HTTP_READ_TIMEOUT` for (`HTTP`, `read`).
pub fn override_variable(set: &str, key: &str) -> String {
    format!("REMEDIATE_{set}_{}_TIMEOUT", key.to_ascii_uppercase())
}

impl TimeoutSet {
    fn slot(&mut self, key: &str) -> &mut Seconds {
        match key {
            "connect" => &mut self.connect,
            "read" => &mut self.read,
            "write" => &mut self.write,
            _ => &mut self.pool,
        }
    }
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
            .with_overrides(env(&[("REMEDIATE_HTTP_READ_TIMEOUT", "30"), ("REMEDIATE_STREAMING_CONNECT_TIMEOUT", " 2.5 ")]))
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
}
