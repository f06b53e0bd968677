//! Finding the Python files under the paths a user names (`.py` sources and
//! `.ipynb` Jupyter notebooks): `.gitignore` and
//! other ignore files honoured, hidden directories skipped, symbolic links
//! never followed. A file named explicitly is always taken.
//!
//! Symbolic links are never followed, found or named: nothing outside the
//! given roots is read, `check` sees exactly the files `fix` may write, and a
//! linked file is never rewritten through its link. Inside a directory they
//! are passed over silently, as git and ripgrep do; a path named on the
//! command line that is a link, a FIFO or a device is an error naming it,
//! and the other paths are still processed.
//! A named path is judged by its own last component, trailing slashes and
//! `.` aside: `link/` names the link, not the directory it points to (the
//! system would follow it).
//!
//! Each file is processed once, however often it is named: twice on the
//! command line, as `x.py` and `./x.py`, or as a file and through its
//! directory. The first name it is reached by is the one shown.
//!
//! Excluded directories and files (the project's `exclude`, by default
//! `venv`, `build`, `node_modules` and the rest of ruff's list) are passed
//! over inside a walk. A path named on the command line is taken even when
//! excluded, as ruff does, unless `force-exclude` is set (pre-commit names
//! every changed file, excluded or not).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::WalkBuilder;

use crate::report::PathError;

/// How a file holds Python code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A Python source file: `.py`, or any file named on the command line.
    Source,
    /// A Jupyter notebook (`.ipynb`): its code cells are the Python.
    Notebook,
}

impl FileKind {
    /// What a directory walk takes `path` for, by its extension; `None` for
    /// a file it passes over.
    pub(crate) fn of(path: &Path) -> Option<FileKind> {
        match path.extension()?.to_str()? {
            "py" => Some(FileKind::Source),
            "ipynb" => Some(FileKind::Notebook),
            _ => None,
        }
    }

    /// How a file to process is read: a file named on the command line
    /// is Python source unless it is a notebook.
    pub(crate) fn of_file(path: &Path) -> FileKind {
        FileKind::of(path).unwrap_or(FileKind::Source)
    }
}

/// The files to process, in a stable order, and the paths that could not be read.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) errors: Vec<PathError>,
}

/// Glob patterns as `.gitignore` reads them (`venv`, `tests/fixtures/`,
/// `scripts/*.py`), relative to the directory of the file that holds them.
#[derive(Debug, Clone)]
pub(crate) struct PathPatterns {
    matcher: Arc<Gitignore>,
}

impl PathPatterns {
    pub(crate) fn new(base: &Path, patterns: &[String]) -> anyhow::Result<PathPatterns> {
        let mut builder = GitignoreBuilder::new(base);
        for pattern in patterns {
            builder.add_line(None, pattern).map_err(|e| anyhow::anyhow!("pattern `{pattern}`: {e}"))?;
        }
        let matcher = builder.build().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(PathPatterns { matcher: Arc::new(matcher) })
    }

    /// Does a pattern match `path` itself (not a directory above it: a walk
    /// never enters an excluded directory, and one named explicitly is
    /// walked)?
    pub(crate) fn matches_entry(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(path) = crate::config::project::absolute(path) else { return false };
        self.matcher.matched(&path, is_dir).is_ignore()
    }

    /// Does a pattern match `path` or a directory above it?
    pub(crate) fn matches(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(path) = crate::config::project::absolute(path) else { return false };
        if !path.starts_with(self.matcher.path()) {
            return self.matcher.matched(&path, is_dir).is_ignore();
        }
        self.matcher.matched_path_or_any_parents(&path, is_dir).is_ignore()
    }
}

/// What a walk passes over.
#[derive(Debug, Clone)]
pub(crate) struct Exclusions {
    pub(crate) patterns: PathPatterns,
    /// Also for paths named on the command line.
    pub(crate) force: bool,
    /// The patterns are the default list: a directory it names that is a
    /// Python package (holds `__init__.py`, as `mmengine/dist/` does) is
    /// source code, not a build artifact, and is walked anyway; Bandit
    /// reads it too.
    pub(crate) keep_packages: bool,
}

pub(crate) fn python_files(roots: &[PathBuf], exclusions: &Exclusions) -> Walked {
    let mut walked = Walked::default();
    let mut seen = Seen::default();
    let mut named = HashSet::new();
    for root in roots {
        if !named.insert(root) {
            continue;
        }
        if exclusions.force && exclusions.patterns.matches(root, root.is_dir()) {
            continue;
        }
        match std::fs::symlink_metadata(without_trailing_slash(root)) {
            Err(e) => walked.errors.push(PathError { path: root.clone(), reason: e.to_string() }),
            Ok(meta) if meta.is_dir() => walk_dir(root, exclusions, &mut walked, &mut seen),
            Ok(meta) if meta.is_file() => {
                if seen.first_time(root, &meta) {
                    walked.files.push(root.clone());
                }
            }
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(root).map(|t| format!(" `{}`", t.display())).unwrap_or_default();
                walked.errors.push(PathError {
                    path: root.clone(),
                    reason: format!(
                        "is a symbolic link, and links are never followed; name its target{target} instead"
                    ),
                });
            }
            Ok(_) => walked.errors.push(PathError {
                path: root.clone(),
                reason: "not a regular file or a directory; skipped".to_owned(),
            }),
        }
    }
    walked
}

fn walk_dir(root: &Path, exclusions: &Exclusions, walked: &mut Walked, seen: &mut Seen) {
    let patterns = exclusions.patterns.clone();
    let keep_packages = exclusions.keep_packages;
    let walker = WalkBuilder::new(root)
        .follow_links(false)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let package = || keep_packages && is_dir && entry.path().join("__init__.py").is_file();
            entry.depth() == 0 || !patterns.matches_entry(entry.path(), is_dir) || package()
        })
        .build();
    for entry in walker {
        match entry {
            Err(e) => walked.errors.push(walk_error(root, &e)),
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                let path = entry.into_path();
                if !is_file || FileKind::of(&path).is_none() {
                    continue;
                }
                match std::fs::symlink_metadata(&path) {
                    Ok(meta) => {
                        if seen.first_time(&path, &meta) {
                            walked.files.push(path);
                        }
                    }
                    // Gone since the directory was read: reading it reports that.
                    Err(_) => walked.files.push(path),
                }
            }
        }
    }
}

/// The files taken so far: by device and inode where there are such, so
/// that every name of one file counts once; elsewhere by the path with `.`
/// components removed.
#[derive(Default)]
struct Seen {
    #[cfg(unix)]
    inodes: HashSet<(u64, u64)>,
    #[cfg(not(unix))]
    paths: HashSet<PathBuf>,
}

impl Seen {
    fn first_time(&mut self, path: &Path, meta: &std::fs::Metadata) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = path;
            self.inodes.insert((meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            self.paths.insert(path.components().collect())
        }
    }
}

/// `link/`, `link/.` and `link//` as `link`: the system resolves a link
/// named with a trailing slash, and a link is judged as a link.
fn without_trailing_slash(path: &Path) -> PathBuf {
    let normal: PathBuf = path.components().collect();
    if normal.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        normal
    }
}

/// The path an error inside a walk is about (the root when it names none),
/// and the error without that path.
fn walk_error(root: &Path, error: &ignore::Error) -> PathError {
    fn innermost(e: &ignore::Error) -> (Option<&Path>, &ignore::Error) {
        match e {
            ignore::Error::WithPath { path, err } => (Some(path), innermost(err).1),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => innermost(err),
            ignore::Error::Partial(errors) if errors.len() == 1 => innermost(&errors[0]),
            other => (None, other),
        }
    }
    let (path, inner) = innermost(error);
    match (path, inner) {
        (Some(path), inner) => PathError { path: path.to_path_buf(), reason: inner.to_string() },
        (None, ignore::Error::Loop { child, .. }) => PathError { path: child.clone(), reason: error.to_string() },
        (None, _) => PathError { path: root.to_path_buf(), reason: error.to_string() },
    }
}

/// How a path is shown: relative to the current directory when it lies
/// below it, with `/` separators, so `diff` output applies with `git apply`.
/// On Windows `\\` separators become `/`; elsewhere a backslash is part of a
/// file's name and stays. Bytes that are not UTF-8 are replaced: use
/// [`display_path_bytes`] where the exact name matters (diff headers).
pub(crate) fn display_path(path: &Path) -> String {
    String::from_utf8_lossy(&display_path_bytes(path)).into_owned()
}

/// [`display_path`] with the name's bytes exactly as the file system has them.
pub(crate) fn display_path_bytes(path: &Path) -> Vec<u8> {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(shown.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = shown.to_string_lossy().replace('\\', "/").into_bytes();
    match bytes.strip_prefix(b"./") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    }
}
