//! Results of earlier runs, so that checking an unchanged file costs a read
//! and a hash. An entry is keyed by the file's content (and, for files whose
//! findings depend on other files, by the project index's digest too); the
//! cache file as a whole by everything else that decides findings: a hash of
//! the binary itself, the enabled rules and the resolved configuration. Any
//! change to those starts a fresh cache file. `--no-cache` turns it off.
//!
//! An entry also keeps the file's facts for the project index, so an
//! unchanged file is neither parsed for its findings nor for its facts.
//!
//! Location: `$REMEDIATE_CACHE_DIR`, else `$XDG_CACHE_HOME/remediate`, else
//! `~/.cache/remediate`. A cache file that is not a regular file (a FIFO, a
//! device) is never opened.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::python::facts::FileFacts;
use crate::report::{Diagnostic, FileError, Outcome};

/// More entries than this and the cache starts over, so it cannot grow without bound.
const MAX_ENTRIES: usize = 500_000;
/// A cache file larger than this is not read (and starts over).
const MAX_CACHE_BYTES: u64 = 512 << 20;

pub(crate) struct Cache {
    file: PathBuf,
    entries: Mutex<HashMap<u64, Entry>>,
    changed: AtomicBool,
}

/// One file's result, as stored.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) error: Option<FileError>,
    /// The file's facts for the index, when it has any.
    pub(crate) facts: Option<FileFacts>,
    /// Rules that read the index apply to the file: its findings are stored
    /// apart, under a key that includes the index.
    pub(crate) deferred: bool,
}

impl Entry {
    pub(crate) fn of(outcome: &Outcome, facts: Option<FileFacts>) -> Entry {
        Entry { diagnostics: outcome.diagnostics.clone(), error: outcome.error.clone(), facts, deferred: false }
    }

    pub(crate) fn outcome(&self) -> Outcome {
        Outcome { diagnostics: self.diagnostics.clone(), error: self.error.clone(), ..Outcome::default() }
    }

    /// Nothing to fix or report: `diff` and `fix` can skip the file.
    pub(crate) fn is_clean(&self) -> bool {
        self.diagnostics.is_empty() && self.error.is_none()
    }
}

impl Cache {
    /// Opens the cache for these settings (anything `Debug` that decides
    /// findings); a missing or unreadable cache file starts empty.
    pub(crate) fn open(settings: &impl std::fmt::Debug) -> Option<Cache> {
        let dir = cache_dir()?;
        let mut hasher = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        binary_digest().hash(&mut hasher);
        format!("{settings:?}").hash(&mut hasher);
        let file = dir.join(format!("check-{:016x}.json", hasher.finish()));
        let entries = read_regular(&file)
            .and_then(|bytes| serde_json::from_slice::<HashMap<u64, Entry>>(&bytes).ok())
            .unwrap_or_default();
        Some(Cache { file, entries: Mutex::new(entries), changed: AtomicBool::new(false) })
    }

    pub(crate) fn key(bytes: &[u8]) -> u64 {
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        hasher.finish()
    }

    pub(crate) fn get(&self, key: u64) -> Option<Entry> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned()
    }

    pub(crate) fn put(&self, key: u64, entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, entry);
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Writes the cache back if anything was added; failures only cost speed.
    pub(crate) fn save(&self) {
        if !self.changed.load(Ordering::Relaxed) {
            return;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(bytes) = serde_json::to_vec(&*entries) else { return };
        let Some(dir) = self.file.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut temp) = tempfile::Builder::new().prefix(".remediate-cache-").tempfile_in(dir) {
            use std::io::Write;
            if temp.write_all(&bytes).is_ok() {
                let _ = temp.persist(&self.file);
            }
        }
    }
}

/// A hash of the running binary's bytes: a rebuilt binary with the same
/// version, size and time still starts a fresh cache.
fn binary_digest() -> u64 {
    let mut hasher = DefaultHasher::new();
    if let Some(bytes) = std::env::current_exe().ok().and_then(|p| std::fs::read(p).ok()) {
        bytes.hash(&mut hasher);
    }
    hasher.finish()
}

/// The file's bytes, only if it is a regular file of a sane size: a FIFO
/// in the cache directory must never block a check.
fn read_regular(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_CACHE_BYTES {
        return None;
    }
    std::fs::read(path).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("check.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        if made {
            assert!(read_regular(&fifo).is_none());
        }
        let file = dir.path().join("plain.json");
        std::fs::write(&file, b"{}").unwrap();
        assert_eq!(read_regular(&file).unwrap(), b"{}");
    }
}
