//! `pickle-load`: loading pickles, which can run code (Bandit B301, ruff S301).

use tree_sitter::Node;

use crate::documented_rule;
use crate::python::model::{BindingKind, Lookup};
use crate::python::parse::text_size;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls that unpickle: `pickle.load`, `loads` and `Unpickler`;
    /// the same in `dill`; `shelve.open` and `shelve.DbfilenameShelf`;
    /// `jsonpickle.decode` and its `unpickler`; `pandas.read_pickle`; and,
    /// beyond Bandit's list, `joblib.load` and `cloudpickle.load`/`loads`.
    /// Names are matched through the file's imports (`import pickle as pkl`,
    /// `from pickle import loads`, `import pandas as pd`) and, as Bandit
    /// does, as spelled when nothing imports them. `torch.load` is the
    /// `torch-load` rule.
    ///
    /// ## Why is this bad?
    /// A pickle is a program: loading one can call any function with any
    /// arguments (`os.system`, for a start). A model, dataset or cache file
    /// from a download, a shared drive or another user runs its code with
    /// your privileges the moment it is loaded.
    ///
    /// ## Example
    /// ```python
    /// with open("passages.pkl", "rb") as f:
    ///     passages = pickle.load(f)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with open("passages.json") as f:
    ///     passages = json.load(f)
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed: no rewrite makes unpickling safe, and a safe format is a
    /// change of what is stored. The message says what to do instead: for a
    /// model or checkpoint file, audit it without loading it (`remediate
    /// checkpoints PATH`) and prefer safetensors; for a round trip of an
    /// object the code has just pickled, there is nothing to fear (suppress
    /// it with `# nosec B301`).
    ///
    /// ## References
    /// - Bandit B301 `pickle`, ruff S301
    /// - Python: `pickle` — the warning at the top
    pub(crate) struct PickleLoad;
}

static META: RuleMeta = RuleMeta {
    id: "pickle-load",
    bandit: Some("B301"),
    bandit_name: Some("pickle"),
    ruff: &["S301"],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "unpickling (`pickle`, `dill`, `shelve`, `jsonpickle`, `pandas.read_pickle`, `joblib`)",
    doc: PickleLoad::DOC,
    calls: &["load", "loads", "Unpickler", "open", "DbfilenameShelf", "decode", "read_pickle"],
    query: None,
    // Each function is spelled with its module in the call or in the import that binds it.
    triggers: &[
        &["pickle", "load"],
        &["pickle", "loads"],
        &["pickle", "Unpickler"],
        &["dill", "load"],
        &["dill", "loads"],
        &["dill", "Unpickler"],
        &["shelve", "open"],
        &["shelve", "DbfilenameShelf"],
        &["jsonpickle", "decode"],
        &["jsonpickle", "Unpickler"],
        &["pandas", "read_pickle"],
        &["joblib", "load"],
        &["cloudpickle", "load"],
        &["cloudpickle", "loads"],
    ],
};

/// Bandit's B301 list.
const BANDIT: &[&str] = &[
    "pickle.loads",
    "pickle.load",
    "pickle.Unpickler",
    "dill.loads",
    "dill.load",
    "dill.Unpickler",
    "shelve.open",
    "shelve.DbfilenameShelf",
    "jsonpickle.decode",
    "jsonpickle.unpickler.decode",
    "jsonpickle.unpickler.Unpickler",
    "pandas.read_pickle",
];
/// Loaders that unpickle as well, which Bandit does not list.
const MORE: &[&str] = &["joblib.load", "cloudpickle.load", "cloudpickle.loads"];
/// Functions that pickle, for `loads(dumps(x))` round trips.
const DUMPS: &[&str] = &["pickle.dumps", "dill.dumps", "cloudpickle.dumps"];
/// Words in a file name or variable that say "a model or checkpoint".
const MODEL_WORDS: &[&str] = &[
    "model",
    "checkpoint",
    "ckpt",
    "weight",
    "state_dict",
    "estimator",
    "classifier",
    "regressor",
    ".pt",
    ".pth",
    ".joblib",
];

impl Rule for PickleLoad {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref()?;
        let name = callee.qualified.as_str();
        if !(BANDIT.contains(&name) || MORE.contains(&name)) {
            return None;
        }
        let finding =
            Finding::new(&META, site.call.node, format!("`{name}` can run arbitrary code hidden in the data it loads"));
        Some(finding.not_fixed(reason(cx, site, name)))
    }
}

fn reason(cx: &FileContext<'_>, site: &CallSite<'_>, name: &str) -> String {
    let first = site.call.positional().first().copied();
    if first.is_some_and(|a| round_trip(cx, a)) {
        return "a round trip of an object this code has just pickled reads nothing from outside; suppress it with `# nosec B301`".into();
    }
    let source = first.map(|a| source_text(cx, a)).unwrap_or_default().to_lowercase();
    if name == "joblib.load" || MODEL_WORDS.iter().any(|w| source.contains(w)) {
        return "no rewrite makes unpickling safe; audit the model file without loading it (`remediate checkpoints PATH`), load it only from a source you trust, and prefer safetensors".into();
    }
    match name {
        "shelve.open" | "shelve.DbfilenameShelf" => "a shelf unpickles every value read from it; open only shelves this program wrote, or use `dbm` or `sqlite3` with JSON values".into(),
        "jsonpickle.decode" | "jsonpickle.unpickler.decode" | "jsonpickle.unpickler.Unpickler" => "jsonpickle rebuilds any object the JSON names; decode data from elsewhere with `json`".into(),
        "pandas.read_pickle" => "`read_pickle` unpickles; read data from elsewhere as Parquet, Feather or CSV".into(),
        _ => "no rewrite makes unpickling safe; load only data this program wrote or that comes from a source you trust, or store it as JSON, safetensors or `.npy` without pickle".into(),
    }
}

/// `pickle.loads(pickle.dumps(x))`.
fn round_trip(cx: &FileContext<'_>, argument: Node<'_>) -> bool {
    argument.kind() == "call"
        && argument
            .child_by_field_name("function")
            .and_then(|f| cx.resolve(f))
            .is_some_and(|r| DUMPS.contains(&r.qualified.as_str()))
}

/// The argument's text, and for a name bound by `with open(path) as f` (or
/// assigned once), the text of what it was bound to as well.
fn source_text(cx: &FileContext<'_>, argument: Node<'_>) -> String {
    let mut text = cx.text(argument).to_owned();
    if argument.kind() == "identifier" {
        let at = text_size(argument.start_byte());
        if let Lookup::Bound { bindings, .. } = cx.model.lookup(cx.text(argument), at) {
            for &id in bindings {
                let bound = match cx.model.binding(id).kind {
                    BindingKind::WithTarget { context } => Some(context),
                    BindingKind::Assignment { value } => Some(value),
                    _ => None,
                };
                if let Some(expr) = bound {
                    text.push(' ');
                    text.push_str(&cx.src[ruff_text_size::Ranged::range(expr)]);
                }
            }
        }
    }
    text
}
