//! The project index: what every file contributes (its module path and
//! facts), built in the first phase, before any rule that reads other files
//! runs. Rules see it read-only; it is the only way facts cross files.
//!
//! It also holds the Hub-id-shaped values of the project's YAML, JSON and
//! TOML files, which `remediate models` offers as candidates for ids known
//! only at run time.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::pipeline::prefilter::Triggers;
use crate::python::facts::{Argument, CallFact, Constant, FileFacts, KeyDefault, SaveFact};
use crate::python::load_site::{self, LoadSite};
use crate::python::payload;

/// Code that makes a file worth indexing even when no rule can match it:
/// a checkpoint save (`torch.save(`, `th.save(`, `from torch import save
/// as keep`), an argparse default.
pub(crate) const TRIGGERS: Triggers = &[&["torch", "save("], &["torch", "save as"], &["add_argument("]];

/// One indexed file.
#[derive(Debug, Clone)]
pub(crate) struct IndexedFile {
    pub(crate) path: PathBuf,
    /// Its dotted module name, relative to the root it was found under.
    pub(crate) module: String,
    pub(crate) facts: FileFacts,
}

/// A string value in a configuration file that looks like a Hub id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ConfigValue {
    pub(crate) path: PathBuf,
    /// The innermost key it is under (`hf_name`).
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) line: usize,
}

/// Facts of the whole project. Every field a rule can read is [`Watched`]:
/// an analysis that never read one does not depend on the index, and phase
/// 1 keeps its result instead of analysing the file again in phase 2.
#[derive(Debug, Default)]
pub(crate) struct ProjectIndex {
    files: Watched<Vec<IndexedFile>>,
    by_module: Watched<HashMap<String, usize>>,
    configs: Watched<Vec<ConfigValue>>,
    /// Computed when first asked (only the cache needs it).
    digest: std::sync::OnceLock<u64>,
}

thread_local! {
    /// Has this thread read the index since [`watch`]?
    static CONSULTED: Cell<bool> = const { Cell::new(false) };
}

/// Index contents whose every read is noted, per thread.
#[derive(Debug, Default)]
struct Watched<T>(T);

impl<T> Deref for Watched<T> {
    type Target = T;

    fn deref(&self) -> &T {
        CONSULTED.with(|c| c.set(true));
        &self.0
    }
}

/// Starts noting, on this thread, whether any index is read.
pub(crate) fn watch() {
    CONSULTED.with(|c| c.set(false));
}

/// Was any index read on this thread since [`watch`]?
pub(crate) fn consulted() -> bool {
    CONSULTED.with(Cell::get)
}

impl ProjectIndex {
    pub(crate) fn new(mut files: Vec<IndexedFile>, configs: Vec<ConfigValue>) -> ProjectIndex {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for file in &mut files {
            qualify_local_names(file);
        }
        let by_module = files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
        ProjectIndex {
            files: Watched(files),
            by_module: Watched(by_module),
            configs: Watched(configs),
            digest: std::sync::OnceLock::new(),
        }
    }

    /// The empty index: nothing is known about other files.
    pub(crate) fn empty() -> &'static ProjectIndex {
        static EMPTY: std::sync::OnceLock<ProjectIndex> = std::sync::OnceLock::new();
        EMPTY.get_or_init(ProjectIndex::default)
    }

    /// Changes whenever any fact does: part of the cache key of results
    /// that read the index.
    pub(crate) fn digest(&self) -> u64 {
        *self.digest.get_or_init(|| digest(&self.files.0, &self.configs.0))
    }

    /// The file of a module: by its full dotted name, else the one file whose
    /// name ends with it (`pkg.utils` for `utils` under a `src/` layout).
    pub(crate) fn module(&self, name: &str) -> Option<&IndexedFile> {
        if let Some(&i) = self.by_module.get(name) {
            return Some(&self.files[i]);
        }
        let suffix = format!(".{name}");
        let mut matches = self.files.iter().filter(|f| f.module.ends_with(&suffix));
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    }

    /// `MODEL` of module `config`, for `from config import MODEL`.
    pub(crate) fn constant(&self, qualified: &str) -> Option<(&IndexedFile, &Constant)> {
        let (module, name) = qualified.rsplit_once('.')?;
        let file = self.module(module)?;
        file.facts.constants.iter().find(|c| c.name == name).map(|c| (file, c))
    }

    /// Every recorded call whose callee is `qualified` (module-qualified).
    pub(crate) fn callers<'i>(
        &'i self,
        qualified: &'i str,
    ) -> impl Iterator<Item = (&'i IndexedFile, &'i CallFact)> + 'i {
        self.files
            .iter()
            .flat_map(move |f| f.facts.calls.iter().filter(move |c| c.callee == qualified).map(move |c| (f, c)))
    }

    /// `add_argument(...)` defaults whose destination is `dest`.
    pub(crate) fn arguments(&self, dest: &str) -> Vec<(&IndexedFile, &Argument)> {
        self.files
            .iter()
            .flat_map(|f| f.facts.arguments.iter().filter(|a| a.dest == dest).map(move |a| (f, a)))
            .collect()
    }

    /// `.get(key, default)` defaults for `key`.
    pub(crate) fn key_defaults(&self, key: &str) -> Vec<(&IndexedFile, &KeyDefault)> {
        self.files.iter().flat_map(|f| f.facts.defaults.iter().filter(|d| d.key == key).map(move |d| (f, d))).collect()
    }

    /// Configuration values under `key`.
    pub(crate) fn config_values(&self, key: &str) -> Vec<&ConfigValue> {
        self.configs.iter().filter(|c| c.key == key).collect()
    }

    /// Every `torch.save` of the project.
    pub(crate) fn saves(&self) -> impl Iterator<Item = (&IndexedFile, &SaveFact)> {
        self.files.iter().flat_map(|f| f.facts.saves.iter().map(move |s| (f, s)))
    }

    /// The saves whose checkpoints a load in `module` may read, each with
    /// the first evidence that ties it (see [`Tie`]).
    pub(crate) fn saves_read_by<'i>(
        &'i self,
        module: &str,
        load: &LoadSite,
    ) -> Vec<(&'i IndexedFile, &'i SaveFact, Tie)> {
        self.saves().filter_map(|(file, save)| Some((file, save, Tie::between(module, load, file, save)?))).collect()
    }
}

/// Why a load is taken to read what a save writes. Evidence, strongest
/// first; a load is tied to every save any of it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tie {
    /// Both name the same file: the file name a string literal in their path
    /// expressions ends with (`"best.pt"`, `os.path.join(d, "best.pt")`).
    FileName,
    /// The same path expression in one module (`self.ckpt_path`,
    /// `args.resume`, `CKPT`), not a lone lower-case name, which two
    /// functions may bind to different paths (their `path` parameters),
    /// unless both calls are in the same function.
    SamePath,
    /// A save and load function pair of one module: `save_checkpoint` and
    /// `load_checkpoint`, `Trainer.save` and `Trainer.resume`.
    FunctionPair,
    /// Every key the load's result is read with is a top-level key of the
    /// saved dict (at least one key).
    Keys,
}

impl Tie {
    fn between(module: &str, load: &LoadSite, file: &IndexedFile, save: &SaveFact) -> Option<Tie> {
        let same_module = file.module == module;
        let name = load_site::file_name(&load.target);
        if name.is_some() && name == load_site::file_name(&save.target) {
            return Some(Tie::FileName);
        }
        let same_function = load.function.is_some() && load.function == save.function;
        if same_module && load.target == save.target && (same_function || Tie::is_shared_path(&load.target)) {
            return Some(Tie::SamePath);
        }
        let counterpart = load.function.as_deref().and_then(load_site::saving_counterpart);
        if same_module && counterpart.is_some() && counterpart == save.function {
            return Some(Tie::FunctionPair);
        }
        let keys = payload::top_keys(&save.payload);
        if !load.keys.is_empty() && load.keys.iter().all(|k| keys.contains(&k.as_str())) {
            return Some(Tie::Keys);
        }
        None
    }

    /// Anything but a lone lower-case name (a parameter or local variable).
    fn is_shared_path(target: &str) -> bool {
        let lone_name = target.chars().all(|c| c.is_alphanumeric() || c == '_');
        !target.is_empty() && (!lone_name || !target.chars().any(char::is_lowercase))
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Tie::FileName => "the same file name",
            Tie::SamePath => "the same path expression",
            Tie::FunctionPair => "a save/load function pair",
            Tie::Keys => "the keys read from it",
        }
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
pub(crate) fn absolute(module: &str, relative: &str) -> String {
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

/// Files larger than this are not read for configuration values.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Extensions that make a `a/b.ext` value a file, not a Hub id.
const FILE_EXTENSIONS: &[&str] = &[
    "py",
    "yaml",
    "yml",
    "json",
    "toml",
    "txt",
    "csv",
    "tsv",
    "md",
    "sh",
    "pt",
    "pth",
    "bin",
    "ckpt",
    "safetensors",
    "onnx",
    "jsonl",
    "parquet",
    "arrow",
    "png",
    "jpg",
    "wav",
    "npy",
    "npz",
    "pkl",
    "tar",
    "gz",
    "zip",
    "log",
    "cfg",
];

/// Hub-id-shaped values in the YAML, JSON and TOML files under `roots`
/// (`hf_name: microsoft/deberta-v3-small`), skipping `skip` (the revisions
/// file itself). Read line by line: the key is the one on the value's line.
pub(crate) fn scan_configs(roots: &[PathBuf], skip: Option<&Path>) -> Vec<ConfigValue> {
    let mut found = Vec::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        let walker = ignore::WalkBuilder::new(root).follow_links(false).require_git(false).build();
        for entry in walker.flatten() {
            let path = entry.path();
            let is_config =
                path.extension().is_some_and(|e| matches!(e.to_str(), Some("yaml" | "yml" | "json" | "toml")));
            let small = entry.metadata().is_ok_and(|m| m.is_file() && m.len() <= MAX_CONFIG_BYTES);
            if is_config && small && skip.is_none_or(|s| !same_file(s, path)) {
                found.extend(config_values(path));
            }
        }
    }
    found
}

fn same_file(a: &Path, b: &Path) -> bool {
    a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b)
}

fn config_values(path: &Path) -> Vec<ConfigValue> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let base = path.parent().unwrap_or(Path::new("."));
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (key, value) = key_and_value(line)?;
            (looks_like_hub_id(value) && !base.join(value).exists()).then(|| ConfigValue {
                path: path.to_owned(),
                key: key.to_owned(),
                value: value.to_owned(),
                line: i + 1,
            })
        })
        .collect()
}

/// `key: value`, `"key": "value",` or `key = "value"` on one line.
fn key_and_value(line: &str) -> Option<(&str, &str)> {
    let line = line.trim().trim_start_matches("- ");
    let split = line.find([':', '='])?;
    let key = line[..split].trim().trim_matches(['"', '\'']);
    let value = line[split + 1..].split(" #").next().unwrap_or_default();
    let value = value.trim().trim_end_matches(',').trim().trim_matches(['"', '\'']);
    let valid_key = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    valid_key.then_some((key.rsplit('.').next().unwrap_or(key), value))
}

/// `namespace/name` of Hub characters, not a file name.
pub(crate) fn looks_like_hub_id(value: &str) -> bool {
    let Some((namespace, name)) = value.split_once('/') else { return false };
    let part = |p: &str| {
        !p.is_empty()
            && p.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    part(namespace) && part(name) && !extension.is_some_and(|e| FILE_EXTENSIONS.contains(&e.as_str()))
}

/// The dotted module name of `path` under `root`: `pkg/sub/mod.py` →
/// `pkg.sub.mod`, `pkg/__init__.py` → `pkg`.
#[cfg(test)]
pub(crate) fn module_name(path: &Path, roots: &[PathBuf]) -> String {
    ModuleNames::new(roots).of(path)
}

/// Names modules relative to the paths the user named; each path's base
/// (a file's directory) is found once, not once per file.
pub(crate) struct ModuleNames {
    bases: Vec<PathBuf>,
}

impl ModuleNames {
    pub(crate) fn new(roots: &[PathBuf]) -> ModuleNames {
        let base =
            |root: &Path| if root.is_file() { root.parent().unwrap_or(root).to_owned() } else { root.to_owned() };
        ModuleNames { bases: roots.iter().map(|root| base(root)).collect() }
    }

    /// The dotted module name of `path`.
    pub(crate) fn of(&self, path: &Path) -> String {
        let relative = self
            .bases
            .iter()
            .filter_map(|base| path.strip_prefix(base).ok())
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
    fn configuration_values_that_look_like_hub_ids() {
        assert_eq!(
            key_and_value("  hf_name: microsoft/deberta-v3-small  # judge"),
            Some(("hf_name", "microsoft/deberta-v3-small"))
        );
        assert_eq!(key_and_value("\"model\": \"org/m\","), Some(("model", "org/m")));
        assert_eq!(key_and_value("model.name = \"org/m\""), Some(("name", "org/m")));
        assert!(looks_like_hub_id("microsoft/deberta-v3-small"));
        assert!(!looks_like_hub_id("configs/train.yaml") && !looks_like_hub_id("a/b/c") && !looks_like_hub_id("gpt2"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("train.yaml"), "model:\n  hf_name: microsoft/deberta-v3-small\n  out: runs/x\n")
            .unwrap();
        std::fs::create_dir_all(dir.path().join("runs/x")).unwrap();
        let found = scan_configs(&[dir.path().to_path_buf()], None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].key.as_str(), found[0].value.as_str(), found[0].line),
            ("hf_name", "microsoft/deberta-v3-small", 2)
        );
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
