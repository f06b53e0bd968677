//! `configs/model_revisions.yaml`: the revision each Hugging Face id is
//! pinned to, with an optional `default` for ids without an entry.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::{read_yaml_text, DEFAULT_REVISIONS};

/// The pin for one model id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelPin {
    pub(crate) revision: Revision,
    pub(crate) trust_remote_code: Option<bool>,
    /// Keys of the user's own (`notes`, `owner`) with their values: kept,
    /// and otherwise ignored.
    pub(crate) extra: Vec<(String, serde_yaml::Value)>,
}

impl ModelPin {
    pub(crate) fn new(revision: impl Into<String>, trust_remote_code: Option<bool>) -> ModelPin {
        ModelPin { revision: Revision(revision.into()), trust_remote_code, extra: Vec::new() }
    }
}

/// The keys an entry means something by.
const PIN_KEYS: [&str; 2] = ["revision", "trust_remote_code"];

impl<'de> Deserialize<'de> for ModelPin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct PinVisitor;
        impl<'de> Visitor<'de> for PinVisitor {
            type Value = ModelPin;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping with `revision` and, optionally, `trust_remote_code`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<ModelPin, A::Error> {
                let (mut revision, mut trust_remote_code, mut extra) = (None, None, Vec::new());
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "revision" if revision.is_some() => return Err(de::Error::duplicate_field("revision")),
                        "revision" => revision = Some(map.next_value::<Revision>()?),
                        "trust_remote_code" => trust_remote_code = map.next_value::<Option<bool>>()?,
                        _ => {
                            if let Some(meant) = PIN_KEYS.iter().find(|k| edit_distance(k, &key) <= 2) {
                                return Err(de::Error::custom(format!("unknown key `{key}`; did you mean `{meant}`?")));
                            }
                            let value = map.next_value::<serde_yaml::Value>()?;
                            extra.push((key, value));
                        }
                    }
                }
                let revision = revision.ok_or_else(|| de::Error::missing_field("revision"))?;
                Ok(ModelPin { revision, trust_remote_code, extra })
            }
        }
        d.deserialize_map(PinVisitor)
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// A revision string: a commit SHA, tag or branch name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Revision(pub String);

impl Revision {
    /// 7 to 40 hexadecimal digits: an immutable commit.
    pub(crate) fn is_commit_sha(&self) -> bool {
        is_commit_sha(&self.0)
    }
}

pub(crate) fn is_commit_sha(s: &str) -> bool {
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
pub(crate) struct ModelRevisions {
    pub(crate) pins: Vec<(String, ModelPin)>,
    pub(crate) default: Option<ModelPin>,
    /// The file they came from, for messages.
    pub(crate) path: Option<PathBuf>,
    /// Keys kept but ignored, as `path:line: ...` messages.
    pub(crate) warnings: Vec<String>,
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
                // A set, not a search of `pins`: a file of many pins would
                // take time quadratic in their number.
                let mut seen = std::collections::HashSet::new();
                while let Some(id) = map.next_key::<String>()? {
                    if id.trim().is_empty() {
                        return Err(de::Error::custom("empty model id"));
                    }
                    if !seen.insert(id.clone()) {
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
    pub(crate) fn load(path: &Path) -> Result<ModelRevisions> {
        let (file, text): (RevisionsFile, String) = read_yaml_text(path)?;
        let mut pins = file.model_revisions.0;
        let default = pins.iter().position(|(id, _)| id == "default").map(|i| pins.remove(i).1);
        let mut revisions = ModelRevisions { pins, default, path: Some(path.to_owned()), warnings: Vec::new() };
        revisions.warnings = revisions.extra_key_warnings(path, &text);
        Ok(revisions)
    }

    /// One warning per key of the user's own, with the line it is on.
    fn extra_key_warnings(&self, path: &Path, text: &str) -> Vec<String> {
        let entries =
            self.pins.iter().map(|(id, pin)| (id.as_str(), pin)).chain(self.default.iter().map(|d| ("default", d)));
        let mut warnings = Vec::new();
        for (id, pin) in entries {
            for (key, _) in &pin.extra {
                let line = key_line(text, id, key).map_or_else(String::new, |l| format!(":{l}"));
                warnings.push(format!(
                    "{}{line}: key `{key}` in the entry for `{id}` is not one remediate reads; kept as it is",
                    path.display()
                ));
            }
        }
        warnings
    }

    /// The pin for `id`; the `default` entry when the id has none.
    pub(crate) fn pin_for(&self, id: &str) -> Option<&ModelPin> {
        self.exact(id).or(self.default.as_ref())
    }

    pub(crate) fn exact(&self, id: &str) -> Option<&ModelPin> {
        self.pins.iter().find(|(k, _)| k == id).map(|(_, p)| p)
    }

    /// Where a user should add a pin, for messages.
    pub(crate) fn file_hint(&self) -> String {
        self.path.as_ref().map_or(DEFAULT_REVISIONS.to_owned(), |p| p.display().to_string())
    }
}

/// The 1-based line of `key:` inside the entry for `id` (the first such key
/// after the line naming the id).
fn key_line(text: &str, id: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let names_id = |l: &str| {
        let t = l.trim_start();
        [format!("{id}:"), format!("\"{id}\":"), format!("'{id}':")].iter().any(|p| t.starts_with(p.as_str()))
    };
    let start = lines.iter().position(|l| names_id(l))?;
    let offset = lines[start + 1..].iter().position(|l| l.trim_start().starts_with(&format!("{key}:")))?;
    Some(start + offset + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ModelRevisions> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.yaml");
        std::fs::write(&path, text).unwrap();
        ModelRevisions::load(&path)
    }

    #[test]
    fn keys_of_the_users_own_are_kept_with_a_warning() {
        let r = load("model_revisions:\n  org/m:\n    revision: abc1234\n    notes: judge model\n  default:\n    revision: main\n").unwrap();
        assert_eq!(r.exact("org/m").unwrap().extra[0].0, "notes");
        assert_eq!(r.warnings.len(), 1);
        assert!(
            r.warnings[0]
                .ends_with("r.yaml:4: key `notes` in the entry for `org/m` is not one remediate reads; kept as it is"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn near_misses_are_errors_that_say_what_was_meant() {
        let err = load("model_revisions:\n  org/m:\n    revison: abc1234\n").unwrap_err().to_string();
        assert!(err.contains("r.yaml:3:") && err.contains("did you mean `revision`"), "{err}");
        let err = load("model_revisions:\n  org/m:\n    revision: abc1234\n    trust_remote_cod: true\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `trust_remote_code`"), "{err}");
        assert!(edit_distance("owner", "revision") > 2);
    }
}
