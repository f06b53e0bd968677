//! `exec-used`: the builtin `exec` (Bandit B102, ruff S102).

use crate::documented_rule;
use crate::report::Finding;
use crate::rules::eval_used::builtin;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls of the builtin `exec` (and `builtins.exec`). A function,
    /// parameter or variable of the file's own named `exec` is not flagged.
    ///
    /// ## Why is this bad?
    /// `exec` runs any Python code: a config file, a tool definition from a
    /// remote environment or a model repository's code runs with your
    /// privileges.
    ///
    /// ## Example
    /// ```python
    /// exec(compile(source, path, "exec"), namespace)
    /// ```
    ///
    /// ## Use instead
    /// Read data as data (`json`, `yaml.safe_load`, `ast.literal_eval`), or
    /// import code as a module the user installed, so that running it is
    /// their explicit choice.
    ///
    /// ## Fix safety
    /// Never fixed: running code is what `exec` is for, and nothing keeps
    /// that behaviour without it. Make sure the code comes only from this
    /// program or a source you trust, then suppress the finding with the
    /// reason (`# nosec B102`).
    ///
    /// ## References
    /// - Bandit B102 `exec_used`, ruff S102
    pub(crate) struct ExecUsed;
}

static META: RuleMeta = RuleMeta {
    id: "exec-used",
    bandit: Some("B102"),
    bandit_name: Some("exec_used"),
    ruff: &["S102"],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "`exec`: runs any code",
    doc: ExecUsed::DOC,
    calls: &["exec"],
    query: None,
    // The builtin is called by its bare name (or an alias imported under
    // it), or through `builtins`; a method of the same name is not it.
    triggers: &[&["<not after .>exec"], &["builtins", "exec"]],
};

impl Rule for ExecUsed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        builtin(site, "exec")?;
        let compiled = site.call.positional().first().is_some_and(|a| {
            a.kind() == "call" && a.child_by_field_name("function").is_some_and(|f| cx.text(f) == "compile")
        });
        let reason = if compiled {
            "it runs code compiled at run time, and nothing keeps that behaviour without `exec`; make sure the source comes only from this program or a source you trust"
        } else {
            "running code is what `exec` does, and nothing keeps that behaviour without it; make sure the code comes only from this program or a source you trust"
        };
        Some(Finding::new(&META, site.call.node, "`exec` runs any Python code it is given").not_fixed(reason))
    }
}
