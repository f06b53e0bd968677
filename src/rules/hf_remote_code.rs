//! `hf-remote-code`: a Hugging Face download that runs the repository's own
//! Python code (`trust_remote_code=True`).

use crate::documented_rule;
use crate::python::hub_call::{self as hub, Repo};
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds the Hub downloads `hf-revision` checks (`from_pretrained`,
    /// `load_dataset`, `hf_hub_download`, `snapshot_download`, the
    /// sentence-transformers models) that pass a literal
    /// `trust_remote_code=True`. Calls on a literal local path are not
    /// flagged.
    ///
    /// ## Why is this bad?
    /// `trust_remote_code=True` imports and runs Python files from the
    /// downloaded repository with your privileges. Unless the revision is
    /// pinned to a commit whose code you have read, its owner decides what
    /// runs on your machines.
    ///
    /// ## Example
    /// ```python
    /// model = AutoModel.from_pretrained("org/custom-model", trust_remote_code=True)
    /// ```
    ///
    /// ## Use instead
    /// Review the repository's code, then pin the reviewed commit:
    /// ```python
    /// model = AutoModel.from_pretrained(
    ///     "org/custom-model",
    ///     revision="0123456789abcdef0123456789abcdef01234567",
    ///     trust_remote_code=True,  # reviewed at this commit
    /// )
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed: turning `trust_remote_code` off breaks models that need
    /// their code. Review it, pin the commit, and suppress the finding with
    /// `# remediate: ignore[hf-remote-code]` once reviewed.
    ///
    /// ## References
    /// - Hugging Face: "Using a model with custom code"
    pub(crate) struct HfRemoteCode;
}

static META: RuleMeta = RuleMeta {
    id: "hf-remote-code",
    bandit: None,
    bandit_name: None,
    ruff: &[],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "Hugging Face download with `trust_remote_code=True`",
    doc: HfRemoteCode::DOC,
    calls: hub::LOADER_NAMES,
    query: None,
    // Only a literal `trust_remote_code=True` keyword is flagged.
    triggers: &[&["trust_remote_code=True"]],
};

impl Rule for HfRemoteCode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        if site.call.keyword(cx.src, "trust_remote_code").map(|v| v.kind()) != Some("true") {
            return None;
        }
        let hub = hub::recognise(cx, site)?;
        if !hub.is_remote() {
            return None;
        }
        let repository = match &hub.repo {
            Repo::Id { id, .. } => format!("`{id}`"),
            _ => "the repository".to_owned(),
        };
        Some(Finding::new(
            &META,
            hub.call.node,
            format!(
                "`{}` runs Python code from {repository} (`trust_remote_code=True`); review it and pin the reviewed commit",
                hub.qualname
            ),
        ))
    }
}
