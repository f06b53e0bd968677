//! Finding the Python files under the paths a user names: `.gitignore` and
//! other ignore files honoured, hidden directories skipped, symbolic links
//! never followed. A file named explicitly is always taken.
//!
//! Symbolic links are never followed, found or named: nothing outside the
//! given roots is read, `check` sees exactly the files `fix` may write, and a
//! linked file is never rewritten through its link. Inside a directory they
//! are passed over silently, as git and ripgrep do; a path named on the
//! command line that is a link, a FIFO or a device is an error naming it,
//! and the other paths are still processed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::report::PathError;

/// The files to process, in a stable order, and the paths that could not be read.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub errors: Vec<PathError>,
}

pub fn python_files(roots: &[PathBuf]) -> Walked {
    let mut walked = Walked::default();
    let mut seen = HashSet::new();
    for root in roots {
        match std::fs::symlink_metadata(root) {
            Err(e) => walked.errors.push(PathError { path: root.clone(), reason: e.to_string() }),
            Ok(meta) if meta.is_dir() => walk_dir(root, &mut walked, &mut seen),
            Ok(meta) if meta.is_file() => {
                if seen.insert(root.clone()) {
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

fn walk_dir(root: &Path, walked: &mut Walked, seen: &mut HashSet<PathBuf>) {
    let walker =
        WalkBuilder::new(root).follow_links(false).require_git(false).sort_by_file_name(|a, b| a.cmp(b)).build();
    for entry in walker {
        match entry {
            Err(e) => walked.errors.push(walk_error(root, &e)),
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                let path = entry.into_path();
                if is_file && path.extension().is_some_and(|e| e == "py") && seen.insert(path.clone()) {
                    walked.files.push(path);
                }
            }
        }
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
pub fn display_path(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let text = shown.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}
