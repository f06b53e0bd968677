//! `configs/model_revisions.yaml`: the revision each Hugging Face id is
//! pinned to, with an optional `default` for ids without an entry.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::{read_yaml, DEFAULT_REVISIONS};

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
