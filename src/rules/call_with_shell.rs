//! `call-with-shell`: calls of other functions with `shell=True` (Bandit
//! B604, ruff S604).

use crate::documented_rule;
use crate::python::parse::text_size;
use crate::python::shell_call::{truthiness, Truth, SUBPROCESS};
use crate::report::Finding;
use crate::rules::{CallSite, Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls that pass a true literal `shell=` (`True`, `1`, `"sh"`)
    /// to a function other than the `subprocess` ones `subprocess-shell`
    /// checks: a wrapper that may hand the flag on to `subprocess`.
    ///
    /// ## Why is this bad?
    /// If the function starts a process, `shell=True` makes its command a
    /// shell script, open to injection through any value interpolated into
    /// it.
    ///
    /// ## Example
    /// ```python
    /// run_command(f"git checkout {branch}", shell=True)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// run_command(["git", "checkout", branch])
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed: what `shell=` means depends on the function called.
    /// A `shell=` that is not a literal (`shell=shell`, as shell-completion
    /// helpers pass a shell's name) is not flagged.
    ///
    /// ## References
    /// - Bandit B604 `any_other_function_with_shell_equals_true`, ruff S604
    pub(crate) struct CallWithShell;
}

static META: RuleMeta = RuleMeta {
    id: "call-with-shell",
    bandit: Some("B604"),
    bandit_name: Some("any_other_function_with_shell_equals_true"),
    ruff: &["S604"],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "other call with `shell=True`",
    doc: CallWithShell::DOC,
    calls: &[],
    query: Some(Query {
        source: include_str!("../../queries/call_with_shell.scm"),
        matches: QueryTarget::CallsWithKeyword("shell"),
    }),
    triggers: &[&["shell"]],
};

impl Rule for CallWithShell {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        let site = CallSite::new(cx, captures.get("call")?)?;
        let node = site.call.node;
        let call = cx
            .model
            .call_at(ruff_text_size::TextRange::new(text_size(node.start_byte()), text_size(node.end_byte())))?;
        let callee = site.callee.as_ref().map_or_else(|| cx.text(site.call.callee).to_owned(), |c| c.qualified.clone());
        if SUBPROCESS.contains(&callee.as_str()) {
            return None;
        }
        let shell = call.arguments.find_keyword("shell")?;
        if truthiness(&shell.value) != Truth::True {
            return None;
        }
        let callee = if callee.contains('\n') { "…".to_owned() } else { callee };
        let value = &cx.src[ruff_text_size::Ranged::range(&shell.value)];
        let value = if value.len() > 20 || value.contains('\n') { "True" } else { value };
        Some(
            Finding::new(
                &META,
                node,
                format!("`{callee}` is called with `shell={value}`: if it starts a process, its command goes through a shell"),
            )
            .not_fixed("not a `subprocess` function, so what `shell=True` does depends on it; review it by hand"),
        )
    }
}
