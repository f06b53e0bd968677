//! Settings files below the paths given: as ruff does, each file is checked
//! with the settings of the nearest `pyproject.toml` with `[tool.remediate]`
//! (or `remediate.toml`) above it, so a monorepo whose packages carry their
//! own settings gives the same result from its root as from each package.
//! Each such subtree is a project of its own (its rules, revisions,
//! timeouts, excludes, per-file ignores, project index), under the command
//! line's options.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::project::{self, ProjectFile};

/// The files of one run, split by the settings file that governs each.
pub(crate) struct Split {
    /// Files the run's own settings govern.
    pub(crate) own: Vec<PathBuf>,
    /// Each nested settings file, with the files below it it governs.
    pub(crate) nested: Vec<(ProjectFile, Vec<PathBuf>)>,
}

/// Splits `files` by their nearest settings file; `own` is the settings
/// file of the run (`None`: there is none above the paths given).
pub(crate) fn split(files: Vec<PathBuf>, own: Option<&Path>) -> Result<Split> {
    let mut nearest = Nearest { own: own.map(Path::to_path_buf), by_dir: HashMap::new(), files: Vec::new() };
    let mut split = Split { own: Vec::new(), nested: Vec::new() };
    let mut groups: HashMap<usize, usize> = HashMap::new();
    for file in files {
        let dir = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match nearest.of(&project::absolute(&dir)?)? {
            None => split.own.push(file),
            Some(index) => {
                let group = *groups.entry(index).or_insert_with(|| {
                    split.nested.push((nearest.files[index].clone(), Vec::new()));
                    split.nested.len() - 1
                });
                split.nested[group].1.push(file);
            }
        }
    }
    Ok(split)
}

/// The nearest settings file of each directory, found once per directory.
struct Nearest {
    own: Option<PathBuf>,
    /// For each directory seen: `None` for the run's own settings, or the
    /// index of a nested settings file in `files`.
    by_dir: HashMap<PathBuf, Option<usize>>,
    files: Vec<ProjectFile>,
}

impl Nearest {
    fn of(&mut self, dir: &Path) -> Result<Option<usize>> {
        if let Some(found) = self.by_dir.get(dir) {
            return Ok(*found);
        }
        let found = match project::settings_in(dir)? {
            Some(file) if Some(&file.path) == self.own.as_ref() => None,
            Some(file) => {
                self.files.push(file);
                Some(self.files.len() - 1)
            }
            // The run's settings file lies at or above every path given:
            // reaching its directory, or the top, ends the search.
            None => match dir.parent() {
                Some(parent) if self.own.as_deref().and_then(Path::parent) != Some(dir) => self.of(parent)?,
                _ => None,
            },
        };
        self.by_dir.insert(dir.to_path_buf(), found);
        Ok(found)
    }
}
