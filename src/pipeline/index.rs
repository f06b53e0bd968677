//! The project index: what every file contributes (its module path and
//! facts), built in the first phase, before any rule that reads other files
//! runs. Rules see it read-only; it is the only way facts cross files.
//!
//! It also holds the Hub-id-shaped values of the project's YAML, JSON and
//! TOML files, which `remediate models` offers as candidates for ids known
//! only at run time.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::pipeline::prefilter::Triggers;
use crate::python::facts::{Argument, CallFact, Constant, FileFacts, Function, KeyDefault, SaveFact};

/// Code that makes a file worth indexing even when no rule can match it:
/// a checkpoint save (`torch.save(`, `th.save(`, `from torch import save
/// as keep`), an argparse default.
pub const TRIGGERS: Triggers = &[&["torch", "save("], &["torch", "save as"], &["add_argument("]];

/// One indexed file.
#[derive(Debug, Clone)]
pub struct IndexedFile {
    pub path: PathBuf,
    /// Its dotted module name, relative to the root it was found under.
    pub module: String,
    pub facts: FileFacts,
}

/// A string value in a configuration file that looks like a Hub id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigValue {
    pub path: PathBuf,
    /// The innermost key it is under (`hf_name`).
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Facts of the whole project.
#[derive(Debug, Default)]
pub struct ProjectIndex {
    files: Vec<IndexedFile>,
    by_module: HashMap<String, usize>,
    configs: Vec<ConfigValue>,
    digest: u64,
}

impl ProjectIndex {
    pub fn new(mut files: Vec<IndexedFile>, configs: Vec<ConfigValue>) -> ProjectIndex {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for file in &mut files {
            qualify_local_names(file);
        }
        let by_module = files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
        let digest = digest(&files, &configs);
        ProjectIndex { files, by_module, configs, digest }
    }

    /// The empty index: nothing is known about other files.
    pub fn empty() -> &'static ProjectIndex {
        static EMPTY: std::sync::OnceLock<ProjectIndex> = std::sync::OnceLock::new();
        EMPTY.get_or_init(ProjectIndex::default)
    }

    /// Changes whenever any fact does: part of the cache key of results
    /// that read the index.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    pub fn files(&self) -> &[IndexedFile] {
        &self.files
    }

    pub fn configs(&self) -> &[ConfigValue] {
        &self.configs
    }

    /// The file of a module: by its full dotted name, else the one file whose
    /// name ends with it (`pkg.utils` for `utils` under a `src/` layout).
    pub fn module(&self, name: &str) -> Option<&IndexedFile> {
        if let Some(&i) = self.by_module.get(name) {
            return Some(&self.files[i]);
        }
        let suffix = format!(".{name}");
        let mut matches = self.files.iter().filter(|f| f.module.ends_with(&suffix));
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    }

    /// `MODEL` of module `config`, for `from config import MODEL`.
    pub fn constant(&self, qualified: &str) -> Option<(&IndexedFile, &Constant)> {
        let (module, name) = qualified.rsplit_once('.')?;
        let file = self.module(module)?;
        file.facts.constants.iter().find(|c| c.name == name).map(|c| (file, c))
    }

    /// A function or method by module and qualified name.
    pub fn function(&self, module: &str, qualname: &str) -> Option<(&IndexedFile, &Function)> {
        let file = self.module(module)?;
        file.facts.functions.iter().find(|f| f.qualname == qualname).map(|f| (file, f))
    }

    /// Every recorded call whose callee is `qualified` (module-qualified).
    pub fn callers<'i>(&'i self, qualified: &'i str) -> impl Iterator<Item = (&'i IndexedFile, &'i CallFact)> + 'i {
        self.files
            .iter()
            .flat_map(move |f| f.facts.calls.iter().filter(move |c| c.callee == qualified).map(move |c| (f, c)))
    }

    /// `add_argument(...)` defaults whose destination is `dest`.
    pub fn arguments(&self, dest: &str) -> Vec<(&IndexedFile, &Argument)> {
        self.files
            .iter()
            .flat_map(|f| f.facts.arguments.iter().filter(|a| a.dest == dest).map(move |a| (f, a)))
            .collect()
    }

    /// `.get(key, default)` defaults for `key`.
    pub fn key_defaults(&self, key: &str) -> Vec<(&IndexedFile, &KeyDefault)> {
        self.files.iter().flat_map(|f| f.facts.defaults.iter().filter(|d| d.key == key).map(move |d| (f, d))).collect()
    }

    /// Configuration values under `key`.
    pub fn config_values(&self, key: &str) -> Vec<&ConfigValue> {
        self.configs.iter().filter(|c| c.key == key).collect()
    }

    /// Every `torch.save` of the project.
    pub fn saves(&self) -> impl Iterator<Item = (&IndexedFile, &SaveFact)> {
        self.files.iter().flat_map(|f| f.facts.saves.iter().map(move |s| (f, s)))
    }
}

/// Calls of the module's own functions are recorded as `<module>.name`
/// once the module is known; relative callees (`.utils.build`) become
/// absolute.
fn qualify_local_names(file: &mut IndexedFile) {
    let module = file.module.clone();
    for call in &mut file.facts.calls {
        if call.callee.starts_with('.') {
            call.callee = absolute(&module, &call.callee);
        }
    }
}

/// `..utils.build` seen from `pkg.train.loop` is `pkg.utils.build`.
pub fn absolute(module: &str, relative: &str) -> String {
    let level = relative.len() - relative.trim_start_matches('.').len();
    let mut base: Vec<&str> = module.split('.').collect();
    for _ in 0..level {
        base.pop();
    }
    let rest = relative.trim_start_matches('.');
    if base.is_empty() {
        rest.to_owned()
    } else {
        format!("{}.{rest}", base.join("."))
    }
}

fn digest(files: &[IndexedFile], configs: &[ConfigValue]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.module.hash(&mut hasher);
        format!("{:?}", file.facts).hash(&mut hasher);
    }
    configs.hash(&mut hasher);
    hasher.finish()
}

/// The dotted module name of `path` under `root`: `pkg/sub/mod.py` →
/// `pkg.sub.mod`, `pkg/__init__.py` → `pkg`.
pub fn module_name(path: &Path, roots: &[PathBuf]) -> String {
    let relative = roots
        .iter()
        .filter_map(|root| {
            let base = if root.is_file() { root.parent().unwrap_or(root) } else { root.as_path() };
            path.strip_prefix(base).ok()
        })
        .min_by_key(|r| r.components().count())
        .unwrap_or(path);
    let mut parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if let Some(last) = parts.last_mut() {
        if let Some(stem) = last.strip_suffix(".py") {
            *last = stem.to_owned();
        }
    }
    if parts.last().is_some_and(|p| p == "__init__") {
        parts.pop();
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_follow_the_root() {
        let roots = [PathBuf::from("proj/src"), PathBuf::from("proj/scripts/run.py")];
        assert_eq!(module_name(Path::new("proj/src/pkg/models/bert.py"), &roots), "pkg.models.bert");
        assert_eq!(module_name(Path::new("proj/src/pkg/__init__.py"), &roots), "pkg");
        assert_eq!(absolute("pkg.train.loop", ".utils.build"), "pkg.train.utils.build");
        assert_eq!(absolute("pkg.train.loop", "..utils.build"), "pkg.utils.build");
    }

    #[test]
    fn modules_are_found_by_suffix_when_unique() {
        let file = |module: &str| IndexedFile {
            path: PathBuf::from(format!("{module}.py")),
            module: module.into(),
            facts: FileFacts {
                constants: vec![Constant { name: "MODEL".into(), value: "org/m".into(), line: 1 }],
                ..FileFacts::default()
            },
        };
        let index = ProjectIndex::new(vec![file("src.pkg.config"), file("pkg.other")], Vec::new());
        assert_eq!(index.constant("pkg.config.MODEL").map(|(_, c)| c.value.as_str()), Some("org/m"));
        assert_eq!(index.constant("config.MODEL").map(|(f, _)| f.module.as_str()), Some("src.pkg.config"));
        assert!(index.constant("missing.MODEL").is_none());
    }
}
