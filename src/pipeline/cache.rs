//! Results of earlier runs, so that checking an unchanged file costs a read
//! and a hash. An entry is keyed by the file's content; the cache file as a
//! whole by everything else that decides findings: the tool's version, the
//! enabled rules and the resolved configuration. Any change to those starts
//! a fresh cache file. `--no-cache` turns it off.
//!
//! Location: `$REMEDIATE_CACHE_DIR`, else `$XDG_CACHE_HOME/remediate`, else
//! `~/.cache/remediate`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::fix::edit::FixSafety;
use crate::report::{Diagnostic, FileError, FileErrorKind, LocatedEdit, Outcome, Position};
use crate::rules::RuleMeta;

/// More entries than this and the cache starts over, so it cannot grow without bound.
const MAX_ENTRIES: usize = 500_000;

pub struct Cache {
    file: PathBuf,
    entries: Mutex<HashMap<u64, Entry>>,
    changed: AtomicBool,
}

/// One file's check result, as stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    diagnostics: Vec<StoredDiagnostic>,
    error: Option<StoredError>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredDiagnostic {
    rule: String,
    start: (usize, usize),
    end: (usize, usize),
    message: String,
    fix_safety: Option<String>,
    fix_title: Option<String>,
    edits: Vec<StoredEdit>,
    reasons: Vec<String>,
    line_text: String,
}

/// An edit as (start line, column), (end line, column), text.
type StoredEdit = ((usize, usize), (usize, usize), String);

#[derive(Clone, Serialize, Deserialize)]
struct StoredError {
    line: Option<usize>,
    column: Option<usize>,
    message: String,
    skipped: bool,
}

impl Cache {
    /// Opens the cache for these settings (anything `Debug` that decides
    /// findings); a missing or unreadable cache file starts empty.
    pub fn open(settings: &impl std::fmt::Debug) -> Option<Cache> {
        let dir = cache_dir()?;
        let mut hasher = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        // A rebuilt binary keeps its version string; its size and time tell it apart.
        if let Some(meta) = std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok()) {
            meta.len().hash(&mut hasher);
            meta.modified().ok().hash(&mut hasher);
        }
        format!("{settings:?}").hash(&mut hasher);
        let file = dir.join(format!("check-{:016x}.json", hasher.finish()));
        let entries = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<HashMap<u64, Entry>>(&bytes).ok())
            .unwrap_or_default();
        Some(Cache { file, entries: Mutex::new(entries), changed: AtomicBool::new(false) })
    }

    pub fn key(bytes: &[u8]) -> u64 {
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        hasher.finish()
    }

    pub fn get(&self, key: u64, rules: &[&'static RuleMeta]) -> Option<Outcome> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&key)?.to_outcome(rules)
    }

    /// Was this content clean (no finding, no error) when last checked?
    pub fn is_clean(&self, key: u64) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&key).is_some_and(Entry::is_clean)
    }

    pub fn put(&self, key: u64, outcome: &Outcome) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry::from_outcome(outcome));
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Writes the cache back if anything was added; failures only cost speed.
    pub fn save(&self) {
        if !self.changed.load(Ordering::Relaxed) {
            return;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(bytes) = serde_json::to_vec(&*entries) else { return };
        let Some(dir) = self.file.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut temp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            if temp.write_all(&bytes).is_ok() {
                let _ = temp.persist(&self.file);
            }
        }
    }
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REMEDIATE_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("remediate"))
}

impl Entry {
    fn from_outcome(outcome: &Outcome) -> Entry {
        let pos = |p: Position| (p.line, p.column);
        Entry {
            diagnostics: outcome
                .diagnostics
                .iter()
                .map(|d| StoredDiagnostic {
                    rule: d.rule.id.to_owned(),
                    start: pos(d.start),
                    end: pos(d.end),
                    message: d.message.clone(),
                    fix_safety: d.fix_safety.map(|s| s.as_str().to_owned()),
                    fix_title: d.fix_title.clone(),
                    edits: d.edits.iter().map(|e| (pos(e.start), pos(e.end), e.text.clone())).collect(),
                    reasons: d.reasons.clone(),
                    line_text: d.line_text.clone(),
                })
                .collect(),
            error: outcome.error.as_ref().map(|e| StoredError {
                line: e.line,
                column: e.column,
                message: e.message.clone(),
                skipped: e.kind == FileErrorKind::Skipped,
            }),
        }
    }

    /// `None` when an entry names a rule that is not enabled (cannot happen
    /// with a matching settings hash, but a stale file must not mislead).
    fn to_outcome(&self, rules: &[&'static RuleMeta]) -> Option<Outcome> {
        let pos = |(line, column): (usize, usize)| Position { line, column };
        let mut diagnostics = Vec::with_capacity(self.diagnostics.len());
        for d in &self.diagnostics {
            let rule = rules.iter().find(|r| r.id == d.rule)?;
            diagnostics.push(Diagnostic {
                rule,
                start: pos(d.start),
                end: pos(d.end),
                message: d.message.clone(),
                fix_safety: match d.fix_safety.as_deref() {
                    Some("safe") => Some(FixSafety::Safe),
                    Some("unsafe") => Some(FixSafety::Unsafe),
                    _ => None,
                },
                fix_title: d.fix_title.clone(),
                edits: d
                    .edits
                    .iter()
                    .map(|(s, e, t)| LocatedEdit { start: pos(*s), end: pos(*e), text: t.clone() })
                    .collect(),
                reasons: d.reasons.clone(),
                line_text: d.line_text.clone(),
            });
        }
        let error = self.error.as_ref().map(|e| FileError {
            line: e.line,
            column: e.column,
            message: e.message.clone(),
            kind: if e.skipped { FileErrorKind::Skipped } else { FileErrorKind::Syntax },
        });
        Some(Outcome { diagnostics, error, ..Outcome::default() })
    }

    /// Nothing to fix or report: `diff` and `fix` can skip the file.
    fn is_clean(&self) -> bool {
        self.diagnostics.is_empty() && self.error.is_none()
    }
}
