//! `hf-revision`: a Hugging Face Hub download without a pinned revision
//! (Bandit B615).

use crate::config::ModelPin;
use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::add_import;
use crate::fix::keyword::{self, Keyword};
use crate::pins::pin_module;
use crate::python::call::text;
use crate::python::hub_call::{self as hub, HubCall, Loader, Repo, RevisionArg};
use crate::python::imports;
use crate::python::parse::text_size;
use crate::python::provenance;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};
use tree_sitter::Node;

documented_rule! {
    /// ## What it does
    /// Finds downloads from the Hugging Face Hub that do not pin a revision:
    /// `from_pretrained` on a class from `transformers`, `diffusers`, `peft`,
    /// `sentence_transformers`, `optimum`, `huggingface_hub` or `setfit`;
    /// `datasets.load_dataset`; `huggingface_hub.hf_hub_download` and
    /// `snapshot_download`; the `SentenceTransformer`, `CrossEncoder` and
    /// `SparseEncoder` constructors. Names are resolved through imports and
    /// aliases (`import datasets as hfd`). A call is pinned when `revision=`
    /// is a literal commit SHA (7 to 40 hex digits) or an expression decided
    /// at run time; it is flagged when `revision=` is missing, `None`, or a
    /// literal branch or tag (`"main"`, `"v1.0"`).
    ///
    /// Not flagged: a literal local path (`./ckpt`, `../x`, `/models/x`,
    /// `~/x`, `C:\x`, or anything with more than one `/`, which no Hub id
    /// has); `load_dataset` of a packaged builder (`"csv"`, `"json"`,
    /// `"parquet"`, `"text"`, `"imagefolder"`, ...); `from_pretrained` on
    /// `self`, `cls`, a variable, or a class of another library.
    ///
    /// ## Why is this bad?
    /// Without a pinned commit, every run downloads whatever the repository
    /// holds today. Whoever controls it (or takes it over) can change the
    /// weights, the tokenizer, or the code `trust_remote_code` runs, and your
    /// next run uses it without review. Branches and tags can be moved.
    ///
    /// ## Example
    /// ```python
    /// tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// tokenizer = AutoTokenizer.from_pretrained(
    ///     "bert-base-uncased",
    ///     revision="86b5e0934494bd15c9632b12f734a8a67f723594",
    ///     trust_remote_code=False,
    /// )
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the pin comes from `configs/model_revisions.yaml` (or
    /// `--revisions`): the entry for the repository id, else the `default`
    /// entry. The fix adds `revision="<pin>"` as the last argument, or
    /// replaces a literal branch or tag. On a `transformers` class it also
    /// adds `trust_remote_code=` with the entry's value (default `False`,
    /// the library's own default) unless the call passes it; config classes
    /// other than `AutoConfig` ignore it and do not get it. The repository
    /// id is read from the first argument or its keyword
    /// (`pretrained_model_name_or_path`, `model_id` for `PeftModel`,
    /// `repo_id`, `path`, `model_name_or_path`), as a string literal or a
    /// module-level name assigned a literal exactly once (`MODEL = "gpt2"`).
    /// Reported without a fix: no pin for the id (the message names the file
    /// to add it to; `remediate models --format yaml` and `remediate lock`
    /// write it); a repository id known only at run time; a call with
    /// `**kwargs` (the dict may hold `revision` already, and a repeated
    /// keyword raises `TypeError`); a literal that already equals its pin,
    /// when the pin is itself a branch or tag.
    ///
    /// ## References
    /// - Bandit B615 `huggingface_unsafe_download`
    /// - Hugging Face: `from_pretrained(revision=...)` and `hf_hub_download`
    pub(crate) struct HfRevision;
}

static META: RuleMeta = RuleMeta {
    id: "hf-revision",
    bandit: Some("B615"),
    bandit_name: Some("huggingface_unsafe_download"),
    ruff: &[],
    fix_safety: Some(FixSafety::Safe),
    severity: Severity::Medium,
    summary: "Hugging Face download without a pinned revision",
    doc: HfRevision::DOC,
    calls: hub::LOADER_NAMES,
    query: None,
    triggers: hub::PREFILTER,
};

/// `load_dataset` takes `revision` as its 13th positional parameter.
const LOAD_DATASET_REVISION_INDEX: usize = 12;

impl Rule for HfRevision {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn reads_index(&self) -> bool {
        true
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let hub = hub::recognise(cx, site)?;
        if !hub.is_remote() {
            return None;
        }
        let revision = hub::revision(&hub, cx.src);
        if matches!(revision, RevisionArg::Commit { .. } | RevisionArg::Dynamic { .. }) {
            return None;
        }
        let target = PinTarget::of(cx, &hub);
        if matches!(&target, PinTarget::Proven { id, .. } if hub::is_local_path(id)) {
            return None;
        }
        let finding = Finding::new(&META, hub.call.node, message(&hub, &revision, &target));
        if hub.loader == Loader::TimmHub {
            return Some(finding.not_fixed(timm_advice(cx, &target)));
        }
        let fix = match &target {
            PinTarget::Literal { id } => static_fix(cx, &hub, &revision, id, None),
            PinTarget::Proven { id, source } => static_fix(cx, &hub, &revision, id, Some(source)),
            PinTarget::RunTime { expression } => run_time_fix(cx, &hub, &revision, *expression),
            PinTarget::Missing => {
                Err("the call passes no repository id this rule can see; pin it by hand with `revision=`".into())
            }
        };
        Some(finding.with_fix_or(fix))
    }
}

/// timm reads the revision from the model name, `hf-hub:org/name@<commit>`:
/// the pin to write there, if the revisions file has one.
fn timm_advice(cx: &FileContext<'_>, target: &PinTarget<'_>) -> String {
    let pin = match target {
        PinTarget::Literal { id } => cx.config.revisions.pin_for(id).map(|p| (id, &p.revision.0)),
        _ => None,
    };
    match pin {
        Some((id, revision)) => format!("timm takes the revision inside the name: write `hf-hub:{id}@{revision}`"),
        None => "timm takes the revision inside the name: write `hf-hub:<id>@<commit>`".to_owned(),
    }
}

/// What the repository id is, for pinning.
enum PinTarget<'t> {
    /// A literal, or a module constant holding one.
    Literal { id: String },
    /// A single literal the project proves (an imported constant, a local
    /// assigned once, a private function's parameter).
    Proven { id: String, source: String },
    /// Known only at run time: this expression.
    RunTime { expression: Node<'t> },
    /// No id argument (`**kwargs`).
    Missing,
}

impl<'t> PinTarget<'t> {
    fn of(cx: &FileContext<'t>, hub: &HubCall<'t>) -> PinTarget<'t> {
        match &hub.repo {
            Repo::Id { id, .. } => PinTarget::Literal { id: id.clone() },
            Repo::Unresolved { node: Some(node) } => match provenance::proven(cx, *node) {
                Some(proven) => PinTarget::Proven { id: proven.value, source: proven.source },
                None => PinTarget::RunTime { expression: *node },
            },
            _ => PinTarget::Missing,
        }
    }
}

fn message(hub: &HubCall<'_>, revision: &RevisionArg<'_>, target: &PinTarget<'_>) -> String {
    let shown = match target {
        PinTarget::Literal { id } | PinTarget::Proven { id, .. } => format!("`{id}`"),
        _ => "a repository".to_owned(),
    };
    let name = &hub.qualname;
    match revision {
        RevisionArg::Mutable { value, .. } if value == "None" => {
            format!(
                "`{name}` downloads {shown} with `revision=None`, the default branch; its owner can change what runs"
            )
        }
        RevisionArg::Mutable { value, .. } => {
            format!("`{name}` pins {shown} to `{value}`, a branch or tag that can move; pin a commit SHA")
        }
        _ => format!("`{name}` downloads {shown} without a pinned revision; its owner can change what runs"),
    }
}

/// Pins a repository id known before run time, from the revisions file.
fn static_fix(
    cx: &FileContext<'_>,
    hub: &HubCall<'_>,
    revision: &RevisionArg<'_>,
    id: &str,
    source: Option<&String>,
) -> Result<Fix, String> {
    let revisions = &cx.config.revisions;
    let Some(pin) = revisions.pin_for(id) else {
        if let RevisionArg::Absent = revision {
            keyword::check(&hub.call, cx.src, &revision_slot(hub, String::new()))?;
        }
        return Err(format!(
            "no pin for `{id}`: add it to {} (`remediate models --format yaml`, then `remediate lock`)",
            revisions.file_hint()
        ));
    };
    let pinned = &pin.revision.0;
    if let RevisionArg::Mutable { value, .. } = revision {
        if value == pinned {
            return Err(format!(
                "`{pinned}` is the pin in {}, and it is a branch or tag; pin a commit SHA there (`remediate lock`)",
                revisions.file_hint()
            ));
        }
    }
    let revision_value = match revision {
        RevisionArg::Mutable { node, .. } => quoted(*node, cx.src, pinned),
        _ => {
            let quote = hub::quote_for(hub.call.node, cx.src);
            format!("{quote}{pinned}{quote}")
        }
    };
    let trust = trust_remote_code_keyword(hub, cx, pin_trust(pin));
    let edits = pin_edits(hub, cx, revision, revision_value, trust.clone())?;
    let mut title = format!("pin `{id}` to revision `{pinned}`");
    if let Some(source) = source {
        title += &format!(" ({source})");
    }
    if let Some(keyword) = trust {
        title += &format!(" and pass `trust_remote_code={}`", keyword.value);
    }
    Ok(Fix::safe(edits).titled(title))
}

fn pin_trust(pin: &ModelPin) -> String {
    if pin.trust_remote_code.unwrap_or(false) { "True" } else { "False" }.to_owned()
}

/// Pins a repository id known only at run time through the generated pin
/// module: `revision=pinned_revision(<the id expression>)`.
fn run_time_fix(
    cx: &FileContext<'_>,
    hub: &HubCall<'_>,
    revision: &RevisionArg<'_>,
    expression: Node<'_>,
) -> Result<Fix, String> {
    let text = cx.text(expression);
    let Some(module) = cx.config.pin_module.as_deref() else {
        return Err(format!(
            "the repository id `{}` is known only at run time; `--pin-module MODULE` (or `pin-module` under `[tool.remediate]`) pins it at run time, or pin it by hand with `revision=`",
            short(text)
        ));
    };
    if !evaluates_twice_safely(expression) || text.contains(['\n', '\r']) {
        return Err(format!(
            "the repository id `{}` is not a plain name, attribute or key lookup: evaluating it twice could differ; pin it by hand",
            short(text)
        ));
    }
    if cx.module == module {
        return Err("this file is the pin module itself".into());
    }
    if cx.config.revisions.default.is_none() {
        return Err(format!(
            "{} has no `default` entry, so an id without its own entry would raise LookupError at run time; add a `default` (see `remediate models` for the ids this code loads)",
            cx.config.revisions.file_hint()
        ));
    }
    let wants_trust = trust_remote_code_keyword(hub, cx, String::new()).is_some();
    let wanted: Vec<&str> = [Some(pin_module::REVISION_FUNCTION), wants_trust.then_some(pin_module::TRUST_FUNCTION)]
        .into_iter()
        .flatten()
        .collect();
    let (names, mut edits) = pin_functions(cx, hub, module, &wanted)?;
    let trust = wants_trust.then(|| Keyword::new("trust_remote_code", format!("{}({text})", names[1])));
    edits.extend(pin_edits(hub, cx, revision, format!("{}({text})", names[0]), trust)?);
    Ok(Fix::safe(edits).titled(format!("pin `{}` at run time with `{}` from `{module}`", short(text), names[0])))
}

/// A name, an attribute chain or a lookup with a literal key: reading it
/// twice gives the same value, so it may be repeated in the fix.
fn evaluates_twice_safely(node: Node<'_>) -> bool {
    match node.kind() {
        "identifier" => true,
        "attribute" => node.child_by_field_name("object").is_some_and(evaluates_twice_safely),
        "subscript" => {
            let literal_key =
                node.child_by_field_name("subscript").is_some_and(|k| matches!(k.kind(), "string" | "integer"));
            literal_key && node.child_by_field_name("value").is_some_and(evaluates_twice_safely)
        }
        "parenthesized_expression" => node.named_child(0).is_some_and(evaluates_twice_safely),
        _ => false,
    }
}

fn short(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        one_line.chars().take(57).collect::<String>() + "..."
    } else {
        one_line
    }
}

/// The names the fix calls the pin module's functions by, and the import
/// edit when the file does not import them yet.
fn pin_functions(
    cx: &FileContext<'_>,
    hub: &HubCall<'_>,
    module: &str,
    wanted: &[&str],
) -> Result<(Vec<String>, Vec<Edit>), String> {
    let at = text_size(hub.call.node.start_byte());
    let mut names = Vec::new();
    let mut missing = Vec::new();
    let used = cx
        .memo
        .get(|| cx.model.names_used().into_iter().map(str::to_owned).collect::<std::collections::HashSet<String>>());
    for function in wanted {
        match imports::reference(cx.model, module, function, at) {
            Some(reference) => names.push(reference),
            None if used.contains(*function) => {
                return Err(format!("`{function}` already names something else in this file; pin it by hand"))
            }
            None => {
                names.push((*function).to_owned());
                missing.push(*function);
            }
        }
    }
    if missing.is_empty() {
        return Ok((names, Vec::new()));
    }
    let statement = format!("from {module} import {}", missing.join(", "));
    let edit = add_import(&cx.model.module.body, cx.src, cx.newline, &statement)?;
    Ok((names, vec![edit]))
}

/// The `revision=` keyword, where its parameter also sits positionally.
fn revision_slot(hub: &HubCall<'_>, value: String) -> Keyword {
    let keyword = Keyword::new("revision", value);
    match hub.loader {
        Loader::LoadDataset => keyword.positional_at(LOAD_DATASET_REVISION_INDEX),
        _ => keyword,
    }
}

/// The edits that pin the call: a new `revision=` (or the branch or tag
/// literal replaced) with `revision_value`, and `trust`, when given.
fn pin_edits(
    hub: &HubCall<'_>,
    cx: &FileContext<'_>,
    revision: &RevisionArg<'_>,
    revision_value: String,
    trust: Option<Keyword>,
) -> Result<Vec<Edit>, String> {
    let mut edits = Vec::new();
    let mut keywords = Vec::new();
    match revision {
        RevisionArg::Mutable { node, .. } => edits.push(Edit::replace(node.byte_range(), revision_value)),
        _ => keywords.push(revision_slot(hub, revision_value)),
    }
    keywords.extend(trust);
    if !keywords.is_empty() {
        edits.extend(keyword::insert(&hub.call, cx.src, cx.newline, &keywords, cx.config.line_length)?);
    }
    Ok(edits)
}

/// `trust_remote_code=<the pin's value>` for a `transformers` `Auto*` class
/// that does not pass it. Only the `Auto*` classes can run code from a
/// repository and take the keyword; a concrete class (`BertModel`, an image
/// processor, a config) would keep it as an attribute or reject it.
fn trust_remote_code_keyword(hub: &HubCall<'_>, cx: &FileContext<'_>, value: String) -> Option<Keyword> {
    if !hub.is_transformers_class() || hub.call.keyword(cx.src, "trust_remote_code").is_some() {
        return None;
    }
    if !hub.class_name()?.starts_with("Auto") {
        return None;
    }
    Some(Keyword::new("trust_remote_code", value))
}

/// `value` as a string literal in the quotes the replaced literal used.
fn quoted(node: tree_sitter::Node<'_>, src: &str, value: &str) -> String {
    let quote = if text(node, src).starts_with('\'') { '\'' } else { '"' };
    format!("{quote}{value}{quote}")
}
