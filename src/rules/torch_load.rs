//! `torch-load`: `torch.load` without `weights_only=True` (Bandit B614).

use crate::documented_rule;
use crate::fix::edit::{Fix, FixSafety};
use crate::fix::keyword::{self, Keyword};
use crate::python::call::Call;
use crate::python::model::Origin;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

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
    /// Safe: `weights_only=True` is added as the last argument in the call's
    /// own layout. Checkpoints holding only tensors and plain containers load
    /// as before; one that pickles custom classes now fails loudly instead of
    /// running their code. Reported without a fix, with the reason: an explicit
    /// `weights_only=False` or a non-literal value (a decision to review); a
    /// call with `**kwargs` (the dict may hold `weights_only` already, and a
    /// repeated keyword raises `TypeError`); a call passing `pickle_module`,
    /// also positionally or through `*args` (torch refuses it together with
    /// `weights_only=True`). `torch.jit.load`, `json.load` and methods named
    /// `load` are not flagged.
    ///
    /// ## References
    /// - Bandit B614 `pytorch_load`
    /// - PyTorch: `torch.load` and `weights_only`
    pub struct TorchLoad;
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
    // Every spelling of the call names `load`, and reaching it needs `torch`
    // (an import, or the bare module name Bandit assumes).
    triggers: &[&["torch", "load"]],
};

const LOADERS: &[&str] = &["torch.load", "torch.serialization.load"];

impl Rule for TorchLoad {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn reads_index(&self) -> bool {
        true
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref().filter(|c| LOADERS.contains(&c.qualified.as_str()))?;
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
        if let Some(reason) = pickle_module_reason(call, cx.src) {
            return Some(finding.not_fixed(reason));
        }
        let edits =
            keyword::insert(call, cx.src, cx.newline, &[Keyword::new("weights_only", "True")], cx.config.line_length);
        Some(finding.with_fix_or(edits.map(|e| Fix::safe(e).titled("add `weights_only=True`"))))
    }
}

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
