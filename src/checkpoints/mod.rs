//! `remediate checkpoints`: audits checkpoint files for `torch.load(f, weights_only=True)`
//! without loading them.
//!
//! Fixing `torch.load` calls (rule `torch-load`) adds `weights_only=True`; this
//! module answers whether the checkpoints those calls read will still load,
//! and what they need if not. Training code routinely saves numpy RNG states,
//! numpy scalars, `argparse.Namespace`, dataclass configs and `pathlib.Path`s,
//! which torch's weights-only unpickler refuses until they are allowlisted.
//! The audit walks the file's pickle opcodes (`pickle.rs`) inside its
//! container (`archive.rs`), reading only the pickle, never tensor data, and
//! judges them with torch 2.x's weights-only rules (`verdict.rs`).
//!
//! # Verdicts
//!
//! | verdict | meaning | attention |
//! |---|---|---|
//! | `weights-only` | `torch.load(f, weights_only=True)` loads it as it is | no |
//! | `needs-allowlist` | loads inside `with torch.serialization.safe_globals([...]):`; [`Audit::allowlist`] gives the Python, for numpy 1.x and 2.x alike | yes |
//! | `unsupported` | refused whatever the allowlist: the legacy tar format, TorchScript, a plain pickle, pickle protocol 4+ opcodes, a dict subclass filled by `SETITEMS`... | yes |
//! | `dangerous` | names a global that runs code or touches the system (`os.system`, `subprocess.*`, `builtins.eval`, `socket.*`...: [`verdict::dangerous`] lists them with reasons); never put in an allowlist | yes |
//! | `unknown` | could not be read whole (truncated, compressed, not a checkpoint), or the outcome depends on what a call returns at load time | yes |
//!
//! A `dangerous` verdict wins over every other. `.safetensors` files hold no
//! pickle and are `weights-only` once their header checks out. A future
//! command exits 1 when any file needs attention ([`Audit::needs_attention`]).
//!
//! # API
//!
//! ```ignore
//! use remediate::checkpoints::{self, Verdict};
//!
//! let audits = checkpoints::audit_paths(&paths);          // files and directories
//! print!("{}", checkpoints::render::text(&audits));       // or render::json, render::sarif
//! for audit in &audits {
//!     if let Some(allowlist) = audit.allowlist() {        // Some only for needs-allowlist
//!         allowlist.imports;                              // ["import numpy as np", "import torch", ...]
//!         allowlist.list();                               // "[np.ndarray, np.dtype, ...]"
//!         allowlist.with_statement();                     // "with torch.serialization.safe_globals([...]):"
//!     }
//! }
//! let exit = if audits.iter().any(|a| a.needs_attention()) { 1 } else { 0 };
//! ```
//!
//! [`allowlist_snippet`] builds the same [`Allowlist`] from any globals (a
//! fixer merging several checkpoints' needs); dangerous and invalid globals
//! never enter it. Its `unresolved` names classes defined in the saving
//! script's `__main__`, which no import can provide: a fixer should not insert
//! such a snippet unattended.
//!
//! # Files
//!
//! A directory is walked, recursively and in name order, for files ending in
//! [`EXTENSIONS`]; `.git` is skipped, `.gitignore` is not honoured (checkpoints
//! are usually ignored by git), symbolic links to files are followed (the
//! Hugging Face cache links snapshots to blobs), links to directories are not.
//! A file named explicitly is always read, whatever its name: the format is
//! recognised by content (zip, tar, pickle, safetensors header), then by
//! extension. Files are audited in parallel; results keep the walk's order.

mod archive;
pub(crate) mod evidence;
mod pickle;
pub mod render;
pub(crate) mod verdict;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use archive::Format;
pub use verdict::{allowlist_snippet, Allowlist, Global, Source, Status, Uses, Verdict};

/// The extensions a directory walk audits.
pub(crate) const EXTENSIONS: &[&str] = &["pt", "pth", "ckpt", "bin", "tar", "pkl", "pickle", "safetensors"];

/// The audit of one file.
#[derive(Clone, Debug)]
pub struct Audit {
    /// The path as given, or as walked from the directory given.
    pub path: PathBuf,
    pub format: Format,
    pub verdict: Verdict,
    /// The highest pickle protocol among the file's pickles (none before protocol 2).
    pub(crate) protocol: Option<u8>,
    /// Every global the file's pickles name, in order of first appearance, then
    /// the types that receive `BUILD` without being named (numpy dtype classes).
    pub globals: Vec<Global>,
    /// Why the verdict: the dangerous globals, what torch refuses, the read error,
    /// or the globals to allowlist.
    pub reasons: Vec<String>,
}

impl Audit {
    /// Everything but `weights-only` needs a look.
    pub fn needs_attention(&self) -> bool {
        self.verdict != Verdict::WeightsOnly
    }

    /// The Python that makes a `needs-allowlist` file load; `None` for every other verdict.
    pub fn allowlist(&self) -> Option<Allowlist> {
        (self.verdict == Verdict::NeedsAllowlist).then(|| allowlist_snippet(&self.globals))
    }
}

/// Whether a directory walk audits this file.
pub(crate) fn has_checkpoint_extension(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(extension))
}

/// Audits one file, whatever its name.
pub fn audit_file(path: &Path) -> Audit {
    let contents = archive::read(path);
    let judgement = verdict::judge(&contents);
    let protocol = contents.pickles.iter().filter_map(|w| w.protocol).max();
    Audit {
        path: path.to_owned(),
        format: contents.format,
        verdict: judgement.verdict,
        protocol,
        globals: judgement.globals,
        reasons: judgement.reasons,
    }
}

/// Audits a file, or every checkpoint under a directory.
pub fn audit_path(path: &Path) -> Vec<Audit> {
    audit_paths(std::slice::from_ref(&path.to_path_buf()))
}

/// Audits files and directories, in the order given.
pub fn audit_paths(paths: &[PathBuf]) -> Vec<Audit> {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk_directory(path, &mut files, &mut failures);
        } else {
            files.push(path.clone());
        }
    }
    let mut audits = audit_in_parallel(&files);
    audits.extend(failures);
    audits
}

/// Collects the checkpoint files under `root`, sorted; unreadable directories become `unknown` audits.
fn walk_directory(root: &Path, files: &mut Vec<PathBuf>, failures: &mut Vec<Audit>) {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                failures.push(unreadable(&dir, format!("reading directory: {e}")));
                continue;
            }
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else { continue };
            if file_type.is_dir() {
                if entry.file_name() != ".git" {
                    pending.push(path);
                }
            } else if has_checkpoint_extension(&path) && (file_type.is_file() || path.is_file()) {
                found.push(path);
            }
        }
    }
    found.sort();
    files.extend(found);
}

fn unreadable(path: &Path, reason: String) -> Audit {
    Audit {
        path: path.to_owned(),
        format: Format::Unknown,
        verdict: Verdict::Unknown,
        protocol: None,
        globals: Vec::new(),
        reasons: vec![reason],
    }
}

/// Audits files on a few threads (each audit is a handful of reads); results keep the input order.
fn audit_in_parallel(files: &[PathBuf]) -> Vec<Audit> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(8).min(files.len());
    if threads <= 1 {
        return files.iter().map(|f| audit_file(f)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(i) else { return done };
            done.push((i, audit_file(file)));
        }
    };
    let mut done: Vec<(usize, Audit)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, audit)| audit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn directories_are_walked_for_checkpoint_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("runs/b")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join("runs/b/last.ckpt"), [0x80, 2, b'}', b'.']).unwrap();
        fs::write(root.join("runs/a.PT"), [0x80, 2, b'N', b'.']).unwrap();
        fs::write(root.join("runs/notes.txt"), "x").unwrap();
        fs::write(root.join(".git/x.pt"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("runs/a.PT"), root.join("link.pt")).unwrap();
        let audits = audit_path(root);
        let names: Vec<_> = audits.iter().map(|a| a.path.strip_prefix(root).unwrap().to_owned()).collect();
        let mut expected = vec![PathBuf::from("runs/a.PT"), PathBuf::from("runs/b/last.ckpt")];
        if cfg!(unix) {
            expected.insert(0, PathBuf::from("link.pt"));
        }
        assert_eq!(names, expected);
        // Plain pickles: torch.load cannot read them.
        assert!(audits.iter().all(|a| a.verdict == Verdict::Unsupported && a.format == Format::Pickle));
    }

    #[test]
    fn a_missing_file_is_unknown() {
        let audits = audit_path(Path::new("/nonexistent/model.pt"));
        assert_eq!(audits.len(), 1);
        assert_eq!(audits[0].verdict, Verdict::Unknown);
        assert!(audits[0].needs_attention());
        assert!(audits[0].allowlist().is_none());
    }
}
