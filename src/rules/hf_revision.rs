//! `hf-revision`: a Hugging Face Hub download without a pinned revision
//! (Bandit B615).

use crate::config::ModelPin;
use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::keyword::{self, Keyword};
use crate::python::call::text;
use crate::python::hub_call::{self as hub, HubCall, Loader, Repo, RevisionArg};
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

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
    pub struct HfRevision;
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
        let revision = hub::revision(&hub.call, cx.src);
        let shown = match &hub.repo {
            Repo::Id { id, .. } => format!("`{id}`"),
            _ => "a repository".to_owned(),
        };
        let name = &hub.qualname;
        let message = match &revision {
            RevisionArg::Commit { .. } | RevisionArg::Dynamic { .. } => return None,
            RevisionArg::Absent => {
                format!("`{name}` downloads {shown} without a pinned revision; its owner can change what runs")
            }
            RevisionArg::Mutable { value, .. } if value == "None" => {
                format!("`{name}` downloads {shown} with `revision=None`, the default branch; its owner can change what runs")
            }
            RevisionArg::Mutable { value, .. } => {
                format!("`{name}` pins {shown} to `{value}`, a branch or tag that can move; pin a commit SHA")
            }
        };
        let finding = Finding::new(&META, hub.call.node, message);
        let id =
            match &hub.repo {
                Repo::Id { id, .. } => id.clone(),
                _ => return Some(finding.not_fixed(
                    "the repository id is not a literal or a module-level constant; pin it by hand with `revision=`",
                )),
            };
        let revisions = &cx.config.revisions;
        let Some(pin) = revisions.pin_for(&id) else {
            if let (RevisionArg::Absent, Err(reason)) =
                (&revision, keyword::check(&hub.call, cx.src, &revision_slot(&hub, String::new())))
            {
                return Some(finding.not_fixed(reason));
            }
            return Some(finding.not_fixed(format!(
                "no pin for `{id}`: add it to {} (`remediate models --format yaml`, then `remediate lock`)",
                revisions.file_hint()
            )));
        };
        let pinned = &pin.revision.0;
        if let RevisionArg::Mutable { value, .. } = &revision {
            if value == pinned {
                return Some(finding.not_fixed(format!(
                    "`{pinned}` is the pin in {}, and it is a branch or tag; pin a commit SHA there (`remediate lock`)",
                    revisions.file_hint()
                )));
            }
        }
        let quote = hub::quote_for(hub.call.node, cx.src);
        let fix = pin_edits(&hub, cx, pin, &revision, quote).map(|(edits, trust)| {
            let mut title = format!("pin `{id}` to revision `{pinned}`");
            if let Some(keyword) = trust {
                title += &format!(" and pass `{keyword}`");
            }
            Fix::safe(edits).titled(title)
        });
        Some(finding.with_fix_or(fix))
    }
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
/// literal replaced) and, on `transformers` `Auto*` classes, an explicit
/// `trust_remote_code=`; with the latter's text for the title.
fn pin_edits(
    hub: &HubCall<'_>,
    cx: &FileContext<'_>,
    pin: &ModelPin,
    revision: &RevisionArg<'_>,
    quote: char,
) -> Result<(Vec<Edit>, Option<String>), String> {
    let pinned = &pin.revision.0;
    let revision_keyword = revision_slot(hub, format!("{quote}{pinned}{quote}"));
    let mut edits = Vec::new();
    let mut keywords = Vec::new();
    match revision {
        RevisionArg::Mutable { node, .. } => {
            edits.push(Edit::replace(node.byte_range(), quoted(*node, cx.src, pinned)))
        }
        _ => keywords.push(revision_keyword),
    }
    let trust = trust_remote_code_keyword(hub, cx, pin);
    keywords.extend(trust.clone());
    if !keywords.is_empty() {
        edits.extend(keyword::insert(&hub.call, cx.src, cx.newline, &keywords)?);
    }
    Ok((edits, trust.map(|k| format!("{}={}", k.name, k.value))))
}

/// `trust_remote_code=<the pin's value>` for a `transformers` `Auto*` class
/// that does not pass it. Only the `Auto*` classes can run code from a
/// repository and take the keyword; a concrete class (`BertModel`, an image
/// processor, a config) would keep it as an attribute or reject it.
fn trust_remote_code_keyword(hub: &HubCall<'_>, cx: &FileContext<'_>, pin: &ModelPin) -> Option<Keyword> {
    if !hub.is_transformers_class() || hub.call.keyword(cx.src, "trust_remote_code").is_some() {
        return None;
    }
    if !hub.class_name()?.starts_with("Auto") {
        return None;
    }
    let value = if pin.trust_remote_code.unwrap_or(false) { "True" } else { "False" };
    Some(Keyword::new("trust_remote_code", value))
}

/// `value` as a string literal in the quotes the replaced literal used.
fn quoted(node: tree_sitter::Node<'_>, src: &str, value: &str) -> String {
    let quote = if text(node, src).starts_with('\'') { '\'' } else { '"' };
    format!("{quote}{value}{quote}")
}
