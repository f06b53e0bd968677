//! `torch-load`: `torch.load` without `weights_only=True` (Bandit B614).

use ruff_python_ast as ast;
use ruff_text_size::Ranged;

use crate::checkpoints::evidence::{self, Judgement};
use crate::checkpoints::Audit;
use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import;
use crate::fix::keyword::{self, Keyword};
use crate::fix::line_length;
use crate::fix::statement;
use crate::pipeline::index::{absolute, IndexedFile, ProjectIndex, Tie};
use crate::python::call::Call;
use crate::python::facts::SaveFact;
use crate::python::imports;
use crate::python::lines::{line_indent, starts_its_line};
use crate::python::load_site::{file_name, KeyCache, LoadSite};
use crate::python::model::{Origin, Resolved, SemanticModel};
use crate::python::parse::text_size;
use crate::python::payload::{self, Leaf};
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Memo, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls of `torch.load` and `torch.serialization.load`, through any
    /// alias (`import torch as th`, `from torch import load as tl`), that do not
    /// pass a literal `weights_only=True`.
    ///
    /// ## Why is this bad?
    /// Without `weights_only=True`, `torch.load` unpickles the file, and a
    /// pickle can run arbitrary code. A checkpoint downloaded or shared by
    /// someone else then runs with your privileges.
    ///
    /// ## Example
    /// ```python
    /// state = torch.load(path, map_location="cpu")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// state = torch.load(path, map_location="cpu", weights_only=True)
    /// ```
    ///
    /// ## Fix safety
    /// The fix depends on what the project saves. Every `torch.save(obj, f)`
    /// is described in the index: `obj` is followed through dict literals,
    /// a name bound to one, item assignments (`ckpt["meta"] = {...}`) and
    /// nested containers, and each value is classified as weights-only clean
    /// (tensors, `state_dict()`s, torch's and Python's RNG states, numbers,
    /// strings, containers), needing known globals (numpy arrays, scalars and
    /// `np.random.get_state()`, `argparse.Namespace`, `pathlib` paths,
    /// classes of the project) or unknown. A load is tied to the saves whose
    /// checkpoints it may read by any of: the same file name in a string
    /// literal of both paths (`"best.pt"`, `os.path.join(d, "best.pt")`); the
    /// same path expression in one module; a save/load function pair of one
    /// module (`save_checkpoint` and `load_checkpoint`, `Trainer.save` and
    /// `Trainer.resume`); every key its result is read with
    /// (`ckpt["model_state_dict"]`, `ckpt.get("epoch")`) being a key of the
    /// saved dict. Then:
    ///
    /// | tied saves | fix |
    /// |---|---|
    /// | all weights-only clean | safe: `weights_only=True` |
    /// | need known globals, nothing unknown | safe: the statement wrapped in `with torch.serialization.safe_globals([...]):` listing exactly those (numpy 1.x and 2.x spellings both), plus `weights_only=True` and the imports; unsafe when no `with` can wrap it alone (a `lambda`, a compound statement's header, a shared line): `torch.serialization.add_safe_globals([...])` before it, which widens every later load |
    /// | any unknown value | none: the message names the save (file:line) and the value |
    /// | none, and the project saves nothing that needs more | safe: `weights_only=True` |
    /// | none, but the project saves checkpoints that need more | none: the message names those saves |
    ///
    /// A checkpoint the project does not write (downloaded weights) is
    /// judged by the code alone, unless `--checkpoints DIR` audits real
    /// files: a load whose path names one of them by file name (`"rng.pt"`)
    /// takes its verdict (weights-only: `weights_only=True`; needs an
    /// allowlist: the `safe_globals` fix with exactly its globals; dangerous,
    /// unsupported or unreadable: no fix, naming the file). When saves in the
    /// code are tied to the load too, the files decide only if both agree;
    /// else the message names both and there is no fix.
    /// Also reported without a fix, with the reason: an explicit
    /// `weights_only=False` or a non-literal value (a decision to review); a
    /// call with `**kwargs` (the dict may hold `weights_only` already, and a
    /// repeated keyword raises `TypeError`); a call passing `pickle_module`,
    /// also positionally or through `*args` (torch refuses it together with
    /// `weights_only=True`); a class defined in a script (pickled as
    /// `__main__.Name`, which no import provides). `torch.jit.load`,
    /// `json.load` and methods named `load` are not flagged.
    ///
    /// ## References
    /// - Bandit B614 `pytorch_load`
    /// - PyTorch: `torch.load` and `weights_only`
    pub(crate) struct TorchLoad;
}

static META: RuleMeta = RuleMeta {
    id: "torch-load",
    bandit: Some("B614"),
    bandit_name: Some("pytorch_load"),
    ruff: &[],
    fix_safety: Some(FixSafety::Safe),
    severity: Severity::Medium,
    summary: "`torch.load` without `weights_only=True`",
    doc: TorchLoad::DOC,
    calls: &["load"],
    query: None,
    // Every way to reach the loader: `torch.load` and
    // `torch.serialization.load` spelled out (also where Bandit assumes the
    // bare module name), `load` called through an alias of `torch` or of
    // `torch.serialization`, `load` imported under another name, and `load`
    // imported and called bare.
    triggers: &[
        &["torch.load"],
        &["serialization.load"],
        &["torch as", "load("],
        &["serialization as", "load("],
        &["torch", "load as"],
        &["torch", "<not after .>load("],
    ],
};

const LOADERS: &[&str] = &["torch.load", "torch.serialization.load"];

fn is_loader(callee: &Resolved) -> bool {
    LOADERS.contains(&callee.qualified.as_str())
}

impl Rule for TorchLoad {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn reads_index(&self) -> bool {
        true
    }

    fn may_judge(
        &self,
        _model: &SemanticModel<'_>,
        _call: &ast::ExprCall,
        callee: Option<&Resolved>,
        _memo: &Memo,
    ) -> bool {
        callee.is_some_and(is_loader)
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref().filter(|c| is_loader(c))?;
        let name = &callee.qualified;
        let call = &site.call;
        let finding = Finding::new(
            &META,
            call.node,
            format!("`{name}` without `weights_only=True` can run arbitrary code from a malicious checkpoint"),
        );
        match call.keyword(cx.src, "weights_only").map(|v| cx.text(v)) {
            Some("True") => return None,
            Some("False") => {
                return Some(finding.not_fixed(
                    "`weights_only=False` is explicit; review whether this checkpoint needs full unpickling",
                ))
            }
            Some(_) => {
                return Some(
                    finding.not_fixed("`weights_only` is not a literal `True`; make sure it is `True` at run time"),
                )
            }
            None => {}
        }
        match callee.origin {
            Origin::Imported => {}
            Origin::Unbound | Origin::Local | Origin::Relative => {
                return Some(finding.not_fixed("`torch` is not imported in this file, so this may be another object"))
            }
            Origin::Ambiguous => {
                return Some(finding.not_fixed(format!(
                    "`{}` may name something other than `{name}` here; review it by hand",
                    cx.text(call.callee)
                )))
            }
        }
        if let Some(reason) = cx.partial_reason(call.node, "weights_only") {
            return Some(finding.not_fixed(reason));
        }
        if let Some(reason) = pickle_module_reason(call, cx.src) {
            return Some(finding.not_fixed(reason));
        }
        let keyword = match keyword::insert(
            call,
            cx.src,
            cx.newline,
            &[Keyword::new("weights_only", "True")],
            cx.config.line_length,
        ) {
            Ok(edits) => edits,
            Err(reason) => return Some(finding.not_fixed(reason)),
        };
        let Some(load) = cx.model.call_at(ruff_text_size::TextRange::new(
            text_size(call.node.start_byte()),
            text_size(call.node.end_byte()),
        )) else {
            return Some(finding.with_fix(weights_only_fix(keyword)));
        };
        Some(match needs(cx, load) {
            Needs::Nothing => finding.with_fix(weights_only_fix(keyword)),
            Needs::Globals { globals, why } => match allowlist_fix(cx, load, &globals, keyword, &why) {
                Ok(fix) => finding.with_fix(fix),
                Err(reason) => finding.not_fixed(reason),
            },
            Needs::Review(reason) => finding.not_fixed(reason),
        })
    }
}

fn weights_only_fix(edits: Vec<Edit>) -> Fix {
    Fix::safe(edits).titled("add `weights_only=True`")
}

/// What loading with `weights_only=True` needs, judged from the saves the
/// load is tied to.
enum Needs {
    /// Tied saves are all weights-only clean, or nothing ties it and the
    /// project writes no checkpoint that needs more.
    Nothing,
    /// Tied saves need these globals (qualified as a pickle names them) and
    /// nothing unknown; `why` names the saves.
    Globals { globals: Vec<String>, why: String },
    /// No safe fix: what the user must decide, naming the save and value.
    Review(String),
}

fn needs(cx: &FileContext<'_>, load: &ast::ExprCall) -> Needs {
    let site = LoadSite::of(cx.model, load, &cx.memo.get(KeyCache::default));
    let tied = cx.index.saves_read_by(cx.module, &site);
    let files = file_name(&site.target).and_then(|name| cx.config.checkpoints.named(name));
    match (files, tied.is_empty()) {
        (None, true) => untied(cx),
        (None, false) => from_saves(cx, &tied),
        (Some(files), true) => from_files(files),
        (Some(files), false) => reconcile(files, from_files(files), &tied, from_saves(cx, &tied)),
    }
}

/// What the tied saves need.
fn from_saves(cx: &FileContext<'_>, tied: &[(&IndexedFile, &SaveFact, Tie)]) -> Needs {
    let mut globals: Vec<String> = Vec::new();
    let mut sites: Vec<String> = Vec::new();
    for (file, save, tie) in tied {
        for (key, leaf) in payload::leaves(&save.payload) {
            match leaf {
                Leaf::Plain(_) => {}
                Leaf::Needs { globals: needed, what } => {
                    let qualified = match qualify_classes(cx.index, file, needed) {
                        Ok(q) => q,
                        Err(reason) => return Needs::Review(reason),
                    };
                    globals.extend(qualified);
                    sites.push(format!("{} stores ({what} at {})", site_of(file, save), value_path(&key)));
                }
                Leaf::Unknown(what) => {
                    return Needs::Review(format!(
                        "this load reads the checkpoint saved at {} (tied by {}), which stores {what} at {}, a value the code does not show; save only tensors, numbers, strings and plain containers there, or check a real file with `remediate checkpoints` and load it inside the `torch.serialization.safe_globals([...])` it prints",
                        site_of(file, save),
                        tie.describe(),
                        value_path(&key),
                    ))
                }
            }
        }
    }
    globals.sort();
    globals.dedup();
    if globals.is_empty() {
        Needs::Nothing
    } else {
        Needs::Globals { globals, why: sites.join(", ") }
    }
}

/// What the audited files the load names need (`--checkpoints`).
fn from_files(files: &[Audit]) -> Needs {
    match evidence::judge(files) {
        Judgement::WeightsOnly => Needs::Nothing,
        Judgement::Globals(globals) => {
            Needs::Globals { globals, why: format!("the checkpoint file {} holds", paths_of(files)) }
        }
        Judgement::Refused(reason) => Needs::Review(reason),
    }
}

/// Files and saves both speak for the load: the files decide when they
/// agree with the saves (both weights-only clean, or both needing an
/// allowlist); otherwise the finding names both and gets no fix.
fn reconcile(files: &[Audit], by_files: Needs, tied: &[(&IndexedFile, &SaveFact, Tie)], by_saves: Needs) -> Needs {
    match (&by_files, &by_saves) {
        (Needs::Review(_), _) | (Needs::Nothing, Needs::Nothing) | (Needs::Globals { .. }, Needs::Globals { .. }) => {
            by_files
        }
        _ => {
            let saves: Vec<String> = tied.iter().map(|(file, save, _)| site_of(file, save)).collect();
            Needs::Review(format!(
                "the checkpoint file {} {}, but the code that saves it ({}) {}; check which is current, then load it by hand",
                paths_of(files),
                describe(&by_files),
                saves.join(", "),
                describe(&by_saves),
            ))
        }
    }
}

/// What one piece of evidence says, for a message naming two.
fn describe(needs: &Needs) -> String {
    match needs {
        Needs::Nothing => "holds only what `weights_only=True` loads".to_owned(),
        Needs::Globals { globals, .. } => format!("needs `{}` allowlisted", globals.join("`, `")),
        Needs::Review(reason) => format!("cannot be judged ({reason})"),
    }
}

/// `runs/rng.pt`, or `a/best.pt and b/best.pt`.
fn paths_of(files: &[Audit]) -> String {
    files.iter().map(|a| a.path.display().to_string()).collect::<Vec<_>>().join(" and ")
}

/// A load no evidence ties to a save: as safe as before when the project
/// writes only weights-only checkpoints; else it may read one of those.
fn untied(cx: &FileContext<'_>) -> Needs {
    let risky: Vec<String> = cx
        .index
        .saves()
        .filter_map(|(file, save)| {
            let (key, leaf) = payload::leaves(&save.payload).into_iter().find(|(_, l)| !matches!(l, Leaf::Plain(_)))?;
            let what = match leaf {
                Leaf::Needs { what, .. } | Leaf::Unknown(what) => what,
                Leaf::Plain(_) => return None,
            };
            Some(format!("{} stores {what} at {}", site_of(file, save), value_path(&key)))
        })
        .collect();
    if risky.is_empty() {
        return Needs::Nothing;
    }
    let shown: Vec<&str> = risky.iter().take(2).map(String::as_str).collect();
    let more = if risky.len() > 2 { format!(" (and {} more)", risky.len() - 2) } else { String::new() };
    Needs::Review(format!(
        "the project saves checkpoints that `weights_only=True` refuses ({}{more}) and nothing ties this load to one save or another; read the file from the save's path or function, or check the real files with `remediate checkpoints` and load them inside the `torch.serialization.safe_globals([...])` it prints",
        shown.join("; ")
    ))
}

/// `train.py:12`.
fn site_of(file: &IndexedFile, save: &SaveFact) -> String {
    format!("{}:{}", file.path.display(), save.line)
}

/// `ckpt["meta"]["rng"]`, or `the saved object` for the whole.
fn value_path(key: &str) -> String {
    if key.is_empty() {
        "the top level (the whole saved object)".to_owned()
    } else {
        format!("`obj{key}`")
    }
}

/// Project classes in a payload are named as the saving module knows them
/// (`Config`, `.config.Config`); a pickle names them by their module. A class
/// defined in a script is pickled as `__main__.Config`, which no import
/// provides.
fn qualify_classes(index: &ProjectIndex, file: &IndexedFile, globals: &[String]) -> Result<Vec<String>, String> {
    globals
        .iter()
        .map(|g| {
            if KNOWN_MODULES.iter().any(|m| g.starts_with(m)) {
                return Ok(g.clone());
            }
            if g.starts_with('.') {
                return Ok(absolute(&file.module, g));
            }
            if let Some((module, _)) = g.rsplit_once('.') {
                if index.module(module).is_some() || is_project_module(file, module) {
                    return Ok(g.clone());
                }
                return Err(format!(
                    "the checkpoint saved at {} holds an instance of `{g}`, a class from outside the project; check a real file with `remediate checkpoints` and allowlist it by hand if you trust it",
                    file.path.display()
                ));
            }
            if file.facts.is_script {
                return Err(format!(
                    "the checkpoint holds an instance of `{g}`, defined in the script {} and pickled as `__main__.{g}`; move the class into an importable module, or save `dataclasses.asdict(...)` instead",
                    file.path.display()
                ));
            }
            Ok(format!("{}.{g}", file.module))
        })
        .collect()
}

/// Is `module` a file or package beside the saving file or in a directory
/// above it (the project's own `config.py`, which the index holds only when
/// it saves checkpoints itself)?
fn is_project_module(file: &IndexedFile, module: &str) -> bool {
    let relative = module.replace('.', "/");
    file.path
        .ancestors()
        .skip(1)
        .take(4)
        .any(|dir| dir.join(format!("{relative}.py")).is_file() || dir.join(&relative).join("__init__.py").is_file())
}

const KNOWN_MODULES: &[&str] = &["numpy.", "argparse.", "pathlib."];

/// The `with torch.serialization.safe_globals([...]):` fix: safe when the
/// statement can be wrapped; else the allowlist is added process-wide before
/// it (`add_safe_globals`), an unsafe fix since it widens every later load.
fn allowlist_fix(
    cx: &FileContext<'_>,
    load: &ast::ExprCall,
    globals: &[String],
    keyword: Vec<Edit>,
    why: &str,
) -> Result<Fix, String> {
    let at = load.start().to_usize();
    let mut names = Names::new(cx, at);
    let serialization = names.module_attribute("torch", "serialization")?;
    let entries = globals.iter().map(|g| names.entry(g)).collect::<Result<Vec<_>, _>>()?.concat();
    let imports = names.imports_edit()?;
    let holders = statement::statements_holding(&cx.model.module.body, load.range());
    let innermost = holders.last().ok_or("the load is not in a statement")?;
    // Laid out as black would, at the indentation of the statement it wraps or precedes.
    let call = |head: &str, tail: &str, at: usize| {
        let indent = line_indent(cx.src, at);
        line_length::call_with_list(head, &entries, tail, &indent, cx.newline, cx.config.line_length)
    };
    let header = call(&format!("with {serialization}.safe_globals("), "):", innermost.start().to_usize());
    match statement::wrap_in_block(cx.src, cx.newline, innermost, load.range(), &header, &keyword) {
        Ok(wrap) => {
            let edits = imports.into_iter().chain([wrap]).collect();
            Ok(Fix::safe(edits)
                .titled(format!("load with `weights_only=True` inside `safe_globals([...])`, allowing what {why}")))
        }
        Err(reason) => {
            let before = holders
                .iter()
                .rev()
                .find(|s| starts_its_line(cx.src, s.start().to_usize()))
                .ok_or("no statement around the load starts its line")?;
            let allow = call(&format!("{serialization}.add_safe_globals("), ")", before.start().to_usize());
            let line = statement::line_before(cx.src, cx.newline, before, &allow);
            let edits = imports.into_iter().chain([line]).chain(keyword).collect();
            Ok(Fix::unsafe_(edits).titled(format!(
                "add `weights_only=True` and `add_safe_globals([...])` for the whole process, allowing what {why}; not a `with` block: {reason}"
            )))
        }
    }
}

/// How the allowlist names each global in this file, and the imports it adds.
struct Names<'c, 'a> {
    cx: &'c FileContext<'a>,
    at: usize,
    imports: Vec<String>,
}

impl<'c, 'a> Names<'c, 'a> {
    fn new(cx: &'c FileContext<'a>, at: usize) -> Names<'c, 'a> {
        Names { cx, at, imports: Vec::new() }
    }

    /// `np.ndarray` when the file has `import numpy as np`; else `import
    /// numpy` is added when the file does not use the word `numpy`.
    fn module_attribute(&mut self, module: &str, name: &str) -> Result<String, String> {
        if let Some(reference) = imports::reference(self.cx.model, module, name, text_size(self.at)) {
            return Ok(reference);
        }
        let line = format!("import {module}");
        if !import::contains_word(self.cx.src, module) || self.imports.contains(&line) {
            self.add(line);
            return Ok(format!("{module}.{name}"));
        }
        Err(format!(
            "`{module}` is not imported in this file and its name is used otherwise; add the allowlist by hand"
        ))
    }

    /// `_reconstruct` through `from numpy.core.multiarray import _reconstruct`.
    fn imported_name(&mut self, module: &str, name: &str) -> Result<String, String> {
        if let Some(reference) = imports::reference(self.cx.model, module, name, text_size(self.at)) {
            return Ok(reference);
        }
        let line = format!("from {module} import {name}");
        if !import::contains_word(self.cx.src, name) || self.imports.contains(&line) {
            let prefix = format!("from {module} import ");
            match self.imports.iter_mut().find(|l| l.starts_with(&prefix)) {
                Some(existing) if existing.split(", ").any(|n| n.trim_start_matches(&prefix) == name) => {}
                Some(existing) => existing.push_str(&format!(", {name}")),
                None => self.add(line),
            }
            return Ok(name.to_owned());
        }
        Err(format!("`{name}` names something else in this file; add the allowlist by hand"))
    }

    fn add(&mut self, line: String) {
        if !self.imports.contains(&line) {
            self.imports.push(line);
        }
    }

    /// The list entries for one global: both numpy majors' and both
    /// `pathlib` spellings (torch keys a `(object, "name")` entry by the string).
    fn entry(&mut self, global: &str) -> Result<Vec<String>, String> {
        if let Some(name) = global.strip_prefix("numpy.core.multiarray.") {
            let object = self.imported_name("numpy.core.multiarray", name)?;
            return Ok(["numpy.core", "numpy._core"]
                .iter()
                .map(|package| format!("({object}, \"{package}.multiarray.{name}\")"))
                .collect());
        }
        if let Some(class) = global.strip_prefix("numpy.dtypes.") {
            let code = DTYPE_CODES.iter().find(|(c, _)| *c == class).map(|(_, code)| *code);
            let code = code.ok_or_else(|| format!("no dtype code known for `{global}`"))?;
            return Ok(vec![format!("type({}({code:?}))", self.module_attribute("numpy", "dtype")?)]);
        }
        if let Some(name) = global.strip_prefix("pathlib.") {
            let object = self.module_attribute("pathlib", name)?;
            return Ok(["pathlib", "pathlib._local"].iter().map(|m| format!("({object}, \"{m}.{name}\")")).collect());
        }
        if let Some((module @ ("numpy" | "argparse"), name)) = global.split_once('.') {
            return Ok(vec![self.module_attribute(module, name)?]);
        }
        self.project_class(global).map(|c| vec![c])
    }

    /// A class of the project: by its name where this module defines or
    /// imports it; a class of another module is imported from it.
    fn project_class(&mut self, global: &str) -> Result<String, String> {
        let (module, name) = global.rsplit_once('.').ok_or("a class without a module")?;
        if module == self.cx.module {
            let here = self.cx.model.resolve(name, text_size(self.at));
            if here.is_some_and(|r| r.origin == Origin::Local) {
                return Ok(name.to_owned());
            }
            return Err(format!("`{name}` is not defined before this load; add the allowlist by hand"));
        }
        self.imported_name(module, name)
    }

    /// One edit adding every import, after the file's leading imports.
    fn imports_edit(&self) -> Result<Option<Edit>, String> {
        if self.imports.is_empty() {
            return Ok(None);
        }
        let statement = self.imports.join(self.cx.newline);
        import::add_import(&self.cx.model.module.body, self.cx.src, self.cx.newline, &statement).map(Some)
    }
}

/// numpy's dtype classes and the dtype code that builds one of each.
const DTYPE_CODES: &[(&str, &str)] = &[
    ("BoolDType", "?"),
    ("Float16DType", "f2"),
    ("Float32DType", "f4"),
    ("Float64DType", "f8"),
    ("Int8DType", "i1"),
    ("Int16DType", "i2"),
    ("Int32DType", "i4"),
    ("Int64DType", "i8"),
    ("UInt8DType", "u1"),
    ("UInt16DType", "u2"),
    ("UInt32DType", "u4"),
    ("UInt64DType", "u8"),
];

/// torch refuses `pickle_module` together with `weights_only=True`: passed
/// by keyword, as the third positional argument, or possibly in `*args`.
fn pickle_module_reason(call: &Call<'_>, src: &str) -> Option<&'static str> {
    if call.has_dict_splat() {
        // Refused by the keyword helper, whose reason comes first.
        return None;
    }
    let pickle_module = call.keyword(src, "pickle_module").map(|v| &src[v.byte_range()]);
    if pickle_module.is_some_and(|v| v != "None") || call.positional().len() >= 3 {
        return Some("the call passes `pickle_module`, which torch refuses together with `weights_only=True`");
    }
    if call.has_list_splat() {
        return Some(
            "the call passes `*args`, which may fill `pickle_module`, refused together with `weights_only=True`",
        );
    }
    None
}
