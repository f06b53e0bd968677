//! What the Hugging Face rules and the `models` and `lock` commands share:
//! recognising a call that downloads from the Hub, the repository id it
//! names, and the revision it asks for.

use ruff_python_ast::Expr;
use tree_sitter::Node;

use crate::config::is_commit_sha;
use crate::python::bound_object::receiver_kind;
use crate::python::call::{text, Arg, Call};
use crate::python::model::{Lookup, Origin, Resolved};
use crate::python::parse::text_size;
use crate::rules::{CallSite, FileContext};

/// The callee names of every Hub download: the call rules' `calls`.
pub(crate) const LOADER_NAMES: &[&str] = TRIGGERS;

/// The strings one of which a file must contain to hold a Hub download.
pub(crate) const TRIGGERS: &[&str] = &[
    "from_pretrained",
    "load_dataset",
    "hf_hub_download",
    "snapshot_download",
    "SentenceTransformer",
    "CrossEncoder",
    "SparseEncoder",
    "pipeline",
    "create_model",
];

/// The prefilter's form of [`recognise`]: a download is recognised only when
/// its qualified name carries its library (`transformers`, `datasets`, …),
/// which comes from an import or a spelled-out module in code; so each
/// group pairs the loader's word with a library's. The loader is called by
/// the name it is written with (`from_pretrained(`), or by another name it
/// was imported as (`SentenceTransformer as ST`): a name assigned from it is
/// not followed, so a mention alone (a type annotation) cannot match.
pub(crate) const PREFILTER: crate::pipeline::prefilter::Triggers = &[
    &["from_pretrained(", "transformers"],
    &["from_pretrained(", "diffusers"],
    &["from_pretrained(", "peft"],
    &["from_pretrained(", "sentence_transformers"],
    &["from_pretrained(", "optimum"],
    &["from_pretrained(", "huggingface_hub"],
    &["from_pretrained(", "setfit"],
    &["load_dataset(", "datasets"],
    &["load_dataset as", "datasets"],
    &["hf_hub_download(", "huggingface_hub"],
    &["hf_hub_download as", "huggingface_hub"],
    &["snapshot_download(", "huggingface_hub"],
    &["snapshot_download as", "huggingface_hub"],
    &["SentenceTransformer(", "sentence_transformers"],
    &["SentenceTransformer as", "sentence_transformers"],
    &["CrossEncoder(", "sentence_transformers"],
    &["CrossEncoder as", "sentence_transformers"],
    &["SparseEncoder(", "sentence_transformers"],
    &["SparseEncoder as", "sentence_transformers"],
    &["pipeline(", "transformers"],
    &["pipeline as", "transformers"],
    &["create_model(", "timm"],
    &["create_model as", "timm"],
];

/// Libraries whose `from_pretrained` downloads from the Hub and accepts
/// `revision=`. A class from any other library may not take the keyword.
const FROM_PRETRAINED_LIBRARIES: &[&str] =
    &["transformers", "diffusers", "peft", "sentence_transformers", "optimum", "huggingface_hub", "setfit"];

/// `optimum`'s `ORTQuantizer`, `ORTOptimizer` and the like wrap a model
/// already loaded and take no `revision=`.
const NO_REVISION_SUFFIXES: &[&str] = &["Quantizer", "Optimizer"];

/// sentence-transformers classes whose constructor downloads the model.
const ENCODER_CLASSES: &[&str] = &["SentenceTransformer", "CrossEncoder", "SparseEncoder"];

/// `datasets` builders that read local or remote files, not a Hub repository.
const PACKAGED_BUILDERS: &[&str] = &[
    "arrow",
    "audiofolder",
    "cache",
    "csv",
    "generator",
    "hdf5",
    "imagefolder",
    "json",
    "niftifolder",
    "pandas",
    "parquet",
    "pdffolder",
    "spark",
    "sql",
    "text",
    "videofolder",
    "webdataset",
    "xml",
];

/// Which download function a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loader {
    /// `<Class>.from_pretrained(...)`.
    FromPretrained,
    /// `datasets.load_dataset(...)`.
    LoadDataset,
    /// `huggingface_hub.hf_hub_download(...)`.
    HfHubDownload,
    /// `huggingface_hub.snapshot_download(...)`.
    SnapshotDownload,
    /// `SentenceTransformer("id")` and the other sentence-transformers models.
    Encoder,
    /// `transformers.pipeline(task, model="id")`.
    Pipeline,
    /// `timm.create_model("hf-hub:org/name")`: the revision goes inside the
    /// id (`hf-hub:org/name@<commit>`), never as a keyword.
    TimmHub,
}

/// The kind of Hub repository, which decides where `lock` looks it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    /// The plural the Hub API and cache directories use.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }
}

/// What the call's repository argument is.
#[derive(Debug, Clone)]
pub(crate) enum Repo<'t> {
    /// A Hub id written as a literal, or a module-level constant holding one.
    Id { id: String, node: Node<'t> },
    /// A literal local path (`./ckpt`, `/models/x`, `~/x`, `C:\x`, `a/b/c`).
    LocalPath,
    /// `load_dataset("csv", ...)`: a packaged builder reading files.
    PackagedBuilder,
    /// An expression whose value is known only at run time, or no argument
    /// at all (`**kwargs`).
    Unresolved { node: Option<Node<'t>> },
}

/// A call that downloads from the Hugging Face Hub.
#[derive(Debug, Clone)]
pub(crate) struct HubCall<'t> {
    pub(crate) call: Call<'t>,
    /// The callee's qualified name: `transformers.AutoModel.from_pretrained`.
    pub(crate) qualname: String,
    /// Whether the callee's library is imported under that name here.
    pub(crate) origin: Origin,
    pub(crate) loader: Loader,
    pub(crate) repo_type: Option<RepoType>,
    pub(crate) repo: Repo<'t>,
}

impl HubCall<'_> {
    /// Is this `from_pretrained` on a class imported from `transformers`?
    /// Only then is `trust_remote_code=` meaningful to add.
    pub(crate) fn is_transformers_class(&self) -> bool {
        self.loader == Loader::FromPretrained
            && self.qualname.starts_with("transformers.")
            && self.origin == Origin::Imported
    }

    /// The class name before `.from_pretrained`, if any.
    pub(crate) fn class_name(&self) -> Option<&str> {
        let mut parts = self.qualname.rsplit('.');
        parts.next()?;
        parts.next()
    }

    /// Does this call download from the Hub at all (not a local path or a
    /// packaged builder)?
    pub(crate) fn is_remote(&self) -> bool {
        !matches!(self.repo, Repo::LocalPath | Repo::PackagedBuilder)
    }
}

/// The call if it downloads from the Hub. Libraries are matched by their
/// top-level package: `lavis.datasets.load_dataset` is not Hugging Face's.
pub(crate) fn recognise<'t>(cx: &FileContext<'t>, site: &CallSite<'t>) -> Option<HubCall<'t>> {
    let (loader, qualname, origin) = match site.callee.as_ref().and_then(|c| Some((loader_of(c)?, c))) {
        Some((loader, callee)) => (loader, callee.qualified.clone(), callee.origin),
        None => hf_api_method(cx, site)?,
    };
    let call = site.call;
    let repo_type = repo_type(&call, loader, cx.src);
    let repo = match repo_argument(&call, loader, &qualname, cx.src) {
        RepoArgument::Node(value) if loader == Loader::TimmHub => timm_repo(cx, value)?,
        RepoArgument::Node(value) => classify_repo(cx, value, loader),
        // Without a model, `pipeline` loads its task's default at the
        // commit transformers itself pins.
        RepoArgument::Absent if matches!(loader, Loader::Encoder | Loader::Pipeline | Loader::TimmHub) => return None,
        RepoArgument::Absent => Repo::Unresolved { node: None },
    };
    Some(HubCall { call, qualname, origin, loader, repo_type, repo })
}

/// `HfApi().snapshot_download(...)`, or the method on a name bound to an
/// `HfApi()`: the same downloads as the module functions.
fn hf_api_method<'t>(cx: &FileContext<'t>, site: &CallSite<'t>) -> Option<(Loader, String, Origin)> {
    let function = site.call.node.child_by_field_name("function")?;
    if function.kind() != "attribute" {
        return None;
    }
    let method = text(function.child_by_field_name("attribute")?, cx.src);
    let loader = match method {
        "hf_hub_download" => Loader::HfHubDownload,
        "snapshot_download" => Loader::SnapshotDownload,
        _ => return None,
    };
    let is_api = |q: &str| matches!(q, "huggingface_hub.HfApi" | "huggingface_hub.hf_api.HfApi").then_some(());
    receiver_kind(cx, function.child_by_field_name("object")?, &is_api)?;
    Some((loader, format!("huggingface_hub.HfApi.{method}"), Origin::Imported))
}

/// The Hub id of a timm model name `hf-hub:org/name[@revision]` (also
/// `hf_hub:`); any other name is one of timm's own, not a Hub download.
fn timm_repo<'t>(cx: &FileContext<'t>, value: Node<'t>) -> Option<Repo<'t>> {
    let name = string_literal(value, cx.src).or_else(|| module_constant(cx, value))?;
    let id = name.strip_prefix("hf-hub:").or_else(|| name.strip_prefix("hf_hub:"))?;
    let id = id.split_once('@').map_or(id, |(id, _)| id);
    Some(Repo::Id { id: id.to_owned(), node: value })
}

/// Which download a resolved callee is, if any.
fn loader_of(callee: &Resolved) -> Option<Loader> {
    let segments: Vec<&str> = callee.qualified.split('.').collect();
    let package = segments[0];
    // Bandit reads `transformers.X.from_pretrained` as a download even
    // without an import; other libraries must be imported under that name.
    let imported = matches!(callee.origin, Origin::Imported | Origin::Ambiguous);
    match *segments.last()? {
        "from_pretrained" if segments.len() >= 2 => {
            let class = segments[segments.len() - 2];
            let library = package == "transformers" || (FROM_PRETRAINED_LIBRARIES.contains(&package) && imported);
            (library && !NO_REVISION_SUFFIXES.iter().any(|s| class.ends_with(s))).then_some(Loader::FromPretrained)
        }
        "load_dataset" if package == "datasets" => Some(Loader::LoadDataset),
        "hf_hub_download" if package == "huggingface_hub" => Some(Loader::HfHubDownload),
        "snapshot_download" if package == "huggingface_hub" => Some(Loader::SnapshotDownload),
        name if ENCODER_CLASSES.contains(&name) && package == "sentence_transformers" && imported => {
            Some(Loader::Encoder)
        }
        "pipeline" if package == "transformers" && segments.len() == 2 => Some(Loader::Pipeline),
        "create_model" if package == "timm" && segments.len() == 2 && imported => Some(Loader::TimmHub),
        _ => None,
    }
}

enum RepoArgument<'t> {
    Node(Node<'t>),
    Absent,
}

/// Where each loader takes its repository id.
fn repo_argument<'t>(call: &Call<'t>, loader: Loader, qualname: &str, src: &str) -> RepoArgument<'t> {
    let (index, keyword) = match loader {
        Loader::FromPretrained if is_peft_model(qualname) => (1, "model_id"),
        Loader::FromPretrained => (0, "pretrained_model_name_or_path"),
        Loader::Encoder => (0, "model_name_or_path"),
        Loader::LoadDataset => (0, "path"),
        Loader::HfHubDownload | Loader::SnapshotDownload => (0, "repo_id"),
        Loader::Pipeline => (1, "model"),
        Loader::TimmHub => (0, "model_name"),
    };
    if let Some(value) = call.keyword(src, keyword) {
        return RepoArgument::Node(value);
    }
    let mut position = 0;
    for arg in call.args() {
        match arg {
            Arg::Positional(node) if position == index => return RepoArgument::Node(node),
            Arg::Positional(_) => position += 1,
            // `*args` may hold the id: unknown.
            Arg::ListSplat(node) => return RepoArgument::Node(node),
            _ => {}
        }
    }
    RepoArgument::Absent
}

/// `PeftModel.from_pretrained(base_model, "org/adapter")`: the adapter id
/// comes second. `AutoPeftModel*` and the config classes take it first.
fn is_peft_model(qualname: &str) -> bool {
    let mut parts = qualname.rsplit('.');
    parts.next();
    let class = parts.next().unwrap_or_default();
    qualname.starts_with("peft.") && class.starts_with("Peft") && !class.ends_with("Config")
}

fn repo_type(call: &Call<'_>, loader: Loader, src: &str) -> Option<RepoType> {
    match loader {
        Loader::LoadDataset => Some(RepoType::Dataset),
        Loader::FromPretrained | Loader::Encoder | Loader::Pipeline | Loader::TimmHub => Some(RepoType::Model),
        Loader::HfHubDownload | Loader::SnapshotDownload => match call.keyword(src, "repo_type") {
            None => Some(RepoType::Model),
            Some(value) if value.kind() == "none" => Some(RepoType::Model),
            Some(value) => match string_literal(value, src).as_deref() {
                Some("model") => Some(RepoType::Model),
                Some("dataset") => Some(RepoType::Dataset),
                Some("space") => Some(RepoType::Space),
                _ => None,
            },
        },
    }
}

fn classify_repo<'t>(cx: &FileContext<'t>, value: Node<'t>, loader: Loader) -> Repo<'t> {
    let literal = string_literal(value, cx.src).or_else(|| module_constant(cx, value));
    let Some(id) = literal else {
        return Repo::Unresolved { node: Some(value) };
    };
    if loader == Loader::LoadDataset && PACKAGED_BUILDERS.contains(&id.as_str()) {
        return Repo::PackagedBuilder;
    }
    if is_local_path(&id) {
        return Repo::LocalPath;
    }
    Repo::Id { id, node: value }
}

/// The quote a string literal inserted into `node` should use: `"`, or `'`
/// inside an f-string replacement field delimited by `"` (reusing the
/// delimiter there needs Python 3.12).
pub(crate) fn quote_for(node: Node<'_>, src: &str) -> char {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind() == "string" && text(n, src).trim_start_matches(|c: char| c.is_ascii_alphabetic()).starts_with('"') {
            return '\'';
        }
        current = n.parent();
    }
    '"'
}

/// A literal that cannot be a Hub id (`name` or `namespace/name` of
/// letters, digits, `-`, `_`, `.`) is a local path.
pub(crate) fn is_local_path(s: &str) -> bool {
    let valid_id = !s.is_empty()
        && s.matches('/').count() <= 1
        && !s.starts_with('/')
        && !s.ends_with('/')
        && !s.starts_with('.')
        && !s.contains("..")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    !valid_id
}

/// The revision a call asks for.
#[derive(Debug, Clone)]
pub(crate) enum RevisionArg<'t> {
    /// No `revision=`: the default branch, whatever it holds today.
    Absent,
    /// A literal commit SHA.
    Commit { value: String },
    /// An expression (a variable, a config lookup): decided at run time.
    Dynamic { node: Node<'t> },
    /// A literal branch or tag (`"main"`, `"v1.0"`), or `None`.
    Mutable { node: Node<'t>, value: String },
}

/// The revision a download asks for: Bandit's reading of `revision=` (see
/// [`keyword_revision`]), or for timm the part after `@` in the id.
pub(crate) fn revision<'t>(hub: &HubCall<'t>, src: &str) -> RevisionArg<'t> {
    if hub.loader != Loader::TimmHub {
        return keyword_revision(&hub.call, src);
    }
    let Repo::Id { node, .. } = &hub.repo else { return RevisionArg::Absent };
    let name = string_literal(*node, src).unwrap_or_default();
    match name.split_once('@') {
        Some((_, rev)) if is_commit_sha(rev) => RevisionArg::Commit { value: rev.to_owned() },
        Some((_, rev)) => RevisionArg::Mutable { node: *node, value: rev.to_owned() },
        None => RevisionArg::Absent,
    }
}

/// Bandit's reading of `revision=` (falling back to `commit_id=`): a
/// non-literal value is accepted, a literal must be a commit SHA.
fn keyword_revision<'t>(call: &Call<'t>, src: &str) -> RevisionArg<'t> {
    let revision = call.keyword(src, "revision");
    let commit_id = call.keyword(src, "commit_id");
    if let Some(node) = [revision, commit_id].into_iter().flatten().find(|v| !is_literal(*v, src)) {
        return RevisionArg::Dynamic { node };
    }
    let truthy = |v: &Node<'_>| literal_value(*v, src).is_some_and(|s| !s.is_empty() && s != "None");
    let Some(node) = revision.filter(truthy).or(commit_id).or(revision) else {
        return RevisionArg::Absent;
    };
    let value = literal_value(node, src).unwrap_or_else(|| text(node, src).to_owned());
    if string_literal(node, src).is_some_and(|s| is_commit_sha(&s)) {
        RevisionArg::Commit { value }
    } else {
        RevisionArg::Mutable { node, value }
    }
}

/// A constant in Python's sense: a number, string, bytes, `True`, `False`,
/// `None`. An f-string is not (Bandit accepts it as non-literal).
fn is_literal(node: Node<'_>, src: &str) -> bool {
    match node.kind() {
        "integer" | "float" | "true" | "false" | "none" => true,
        "string" => !string_prefix(node, src).contains(['f', 't']),
        "concatenated_string" => {
            let mut cursor = node.walk();
            let all = node.named_children(&mut cursor).all(|n| n.kind() != "string" || is_literal(n, src));
            all
        }
        _ => false,
    }
}

fn literal_value(node: Node<'_>, src: &str) -> Option<String> {
    match node.kind() {
        "none" => Some("None".to_owned()),
        "string" | "concatenated_string" => string_literal(node, src),
        _ => Some(text(node, src).to_owned()),
    }
}

/// The letters before a string's opening quote, lower-cased (`rb`, `f`).
fn string_prefix(node: Node<'_>, src: &str) -> String {
    let raw = text(node, src);
    raw[..raw.find(['"', '\'']).unwrap_or(0)].to_ascii_lowercase()
}

/// The value of a plain string literal (also implicitly concatenated), or
/// `None` for an f-string, a bytes literal or an escape we do not decode.
pub(crate) fn string_literal(node: Node<'_>, src: &str) -> Option<String> {
    match node.kind() {
        "string" => single_string(node, src),
        "concatenated_string" => {
            let mut cursor = node.walk();
            let parts: Vec<Node<'_>> = node.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
            parts.into_iter().map(|n| single_string(n, src)).collect()
        }
        _ => None,
    }
}

fn single_string(node: Node<'_>, src: &str) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let raw = text(node, src);
    let quote_at = raw.find(['"', '\''])?;
    let prefix = string_prefix(node, src);
    if prefix.contains('f') || prefix.contains('b') || prefix.contains('t') {
        return None;
    }
    let rest = &raw[quote_at..];
    let quote = if rest.starts_with("\"\"\"") || rest.starts_with("'''") { &rest[..3] } else { &rest[..1] };
    let inner = rest.strip_prefix(quote)?.strip_suffix(quote)?;
    if prefix.contains('r') {
        return Some(inner.to_owned());
    }
    unescape(inner)
}

/// Python's common string escapes; anything rarer gives `None`.
fn unescape(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return Some(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            '\n' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// The string a module-level name holds where `name` is used, when the
/// module binds it exactly once, by `NAME = "literal"`.
fn module_constant(cx: &FileContext<'_>, name: Node<'_>) -> Option<String> {
    if name.kind() != "identifier" {
        return None;
    }
    let Lookup::Bound { scope: 0, bindings: [only] } = cx.model.lookup(cx.text(name), text_size(name.start_byte()))
    else {
        return None;
    };
    let binding = cx.model.binding(*only);
    if binding.made_in != 0 {
        return None;
    }
    match binding.kind {
        crate::python::model::BindingKind::Assignment { value: Expr::StringLiteral(s) } => {
            Some(s.value.to_str().to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn prefilter_pairs_every_loader_with_its_libraries() {
        let has = |a: &str, b: &str| PREFILTER.iter().any(|g| g.contains(&a) && g.contains(&b));
        let called_or_aliased = |a: &str, b: &str| has(&format!("{a}("), b) && has(&format!("{a} as"), b);
        for library in FROM_PRETRAINED_LIBRARIES {
            assert!(has("from_pretrained(", library), "{library}");
        }
        for class in ENCODER_CLASSES {
            assert!(called_or_aliased(class, "sentence_transformers"), "{class}");
        }
        assert!(called_or_aliased("load_dataset", "datasets"));
        assert!(called_or_aliased("hf_hub_download", "huggingface_hub"));
        assert!(called_or_aliased("snapshot_download", "huggingface_hub"));
        assert!(called_or_aliased("pipeline", "transformers") && called_or_aliased("create_model", "timm"));
    }

    use super::*;

    /// (qualname, id or a marker) of the first Hub call in `src`.
    fn first(src: &str) -> Option<(String, String)> {
        crate::rules::testing::with_file(src, |cx| {
            crate::rules::testing::call_sites(cx).iter().find_map(|site| recognise(cx, site)).map(|h| {
                let repo = match h.repo {
                    Repo::Id { id, .. } => id,
                    Repo::LocalPath => "<local>".into(),
                    Repo::PackagedBuilder => "<builder>".into(),
                    Repo::Unresolved { .. } => "<unresolved>".into(),
                };
                (h.qualname, repo)
            })
        })
    }

    #[test]
    fn loaders_through_imports() {
        let q = |s: &str| first(s).map(|(q, id)| format!("{q} {id}"));
        assert_eq!(q("import datasets as hfd\nhfd.load_dataset('org/d')\n").unwrap(), "datasets.load_dataset org/d");
        assert_eq!(
            q("from transformers import AutoModel as M\nM.from_pretrained(pretrained_model_name_or_path='gpt2')\n")
                .unwrap(),
            "transformers.AutoModel.from_pretrained gpt2"
        );
        assert_eq!(
            q("from peft import PeftModel\nPeftModel.from_pretrained(base, 'org/adapter')\n").unwrap(),
            "peft.PeftModel.from_pretrained org/adapter"
        );
        assert_eq!(
            q("from sentence_transformers import SentenceTransformer as ST\nST('org/e')\n").unwrap(),
            "sentence_transformers.SentenceTransformer org/e"
        );
        assert_eq!(q("from sentence_transformers import SentenceTransformer\nSentenceTransformer()\n"), None);
        assert_eq!(
            q("from huggingface_hub import snapshot_download\nsnapshot_download(**kw)\n").unwrap(),
            "huggingface_hub.snapshot_download <unresolved>"
        );
    }

    #[test]
    fn methods_on_values_are_not_loaders() {
        assert_eq!(first("model.from_pretrained('gpt2')\n"), None);
        assert_eq!(first("class A:\n    def f(self):\n        self.from_pretrained('gpt2')\n"), None);
        assert_eq!(first("from .models import MyModel\nMyModel.from_pretrained('gpt2')\n"), None);
        assert_eq!(first("from nemo.models import ASRModel\nASRModel.from_pretrained('nvidia/x')\n"), None);
        assert_eq!(first("load_dataset('org/d')\n"), None);
        assert_eq!(
            first("from optimum.onnxruntime import ORTQuantizer\nORTQuantizer.from_pretrained('org/m')\n"),
            None
        );
    }

    #[test]
    fn local_paths_builders_and_constants() {
        let id = |s: &str| first(s).unwrap().1;
        let pre = "from transformers import AutoModel\n";
        for path in ["./m", "../m", "/m", "~/m", "C:\\\\m", "a/b/c", ".", "ckpt\\\\m"] {
            assert_eq!(id(&format!("{pre}AutoModel.from_pretrained('{path}')\n")), "<local>", "{path}");
        }
        assert_eq!(id("from datasets import load_dataset\nload_dataset('csv', data_files='x')\n"), "<builder>");
        assert_eq!(id(&format!("{pre}M = 'org/m'\nAutoModel.from_pretrained(M)\n")), "org/m");
        assert_eq!(id(&format!("{pre}M = 'org/m'\nM = 'org/n'\nAutoModel.from_pretrained(M)\n")), "<unresolved>");
        assert_eq!(id(&format!("{pre}M = 'org/m'\ndef f(M):\n    AutoModel.from_pretrained(M)\n")), "<unresolved>");
        assert_eq!(
            id(&format!("{pre}M = 'org/m'\nfor M in x:\n    pass\nAutoModel.from_pretrained(M)\n")),
            "<unresolved>"
        );
        assert_eq!(id(&format!("{pre}AutoModel.from_pretrained(f'org/{{x}}')\n")), "<unresolved>");
        assert_eq!(id(&format!("{pre}AutoModel.from_pretrained('org/' 'm')\n")), "org/m");
    }

    #[test]
    fn revisions() {
        let rev = |args: &str| {
            let src = format!("f('x', {args})\n");
            crate::rules::testing::with_file(&src, |cx| {
                let sites = crate::rules::testing::call_sites(cx);
                match keyword_revision(&sites[0].call, cx.src) {
                    RevisionArg::Absent => "absent".to_owned(),
                    RevisionArg::Commit { .. } => "commit".to_owned(),
                    RevisionArg::Dynamic { .. } => "dynamic".to_owned(),
                    RevisionArg::Mutable { value, .. } => format!("mutable {value}"),
                }
            })
        };
        assert_eq!(rev("a=1"), "absent");
        assert_eq!(rev("revision='abcdef1'"), "commit");
        assert_eq!(rev("revision='ABCDEF0123456789abcdef0123456789abcdef01'"), "commit");
        assert_eq!(rev("revision='main'"), "mutable main");
        assert_eq!(rev("revision=None"), "mutable None");
        assert_eq!(rev("revision='cafe'"), "mutable cafe");
        assert_eq!(rev("revision=REV"), "dynamic");
        assert_eq!(rev("revision=f'{x}'"), "dynamic");
        assert_eq!(rev("revision=cfg.rev"), "dynamic");
        assert_eq!(rev("commit_id='abcdef1'"), "commit");
        assert_eq!(rev("revision='', commit_id='abcdef1'"), "commit");
    }
}
