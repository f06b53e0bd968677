//! `eval-used`: the builtin `eval` (Bandit B307, ruff S307).

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::TextRange;

use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::stdlib_name;
use crate::python::literal::is_literal_data;
use crate::python::model::{Lookup, Origin};
use crate::python::parse::text_size;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls of the builtin `eval` (and `builtins.eval`). A function,
    /// parameter or variable of the file's own named `eval` is not the
    /// builtin and is not flagged; methods such as `model.eval()` never are.
    ///
    /// ## Why is this bad?
    /// `eval` runs any Python expression: a string that comes from a config
    /// file, a request or a dataset can call `__import__("os").system(...)`.
    ///
    /// ## Example
    /// ```python
    /// sizes = eval("[128, 256, 512]")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// sizes = ast.literal_eval("[128, 256, 512]")
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`, and only when the one
    /// argument is plainly literal data: a string literal (not an f-string),
    /// or a name bound once in the file to one, holding numbers, strings,
    /// bytes, `True`/`False`/`None`/`...`, and tuples, lists, sets and dicts
    /// of these. On such data `ast.literal_eval` returns what `eval` returns
    /// (checked against CPython), and where a name's value is replaced at run
    /// time by real code, it raises `ValueError` instead of running it. `eval`
    /// becomes `ast.literal_eval`, with `import ast` added when the file lacks
    /// it. Reported without a fix: anything else (code, names, calls,
    /// f-strings, `compile(...)` objects), `globals`/`locals` arguments, and a
    /// file with a star import, which may rebind `eval`.
    ///
    /// ## References
    /// - Bandit B307 `eval`, ruff S307
    /// - Python: `ast.literal_eval`
    pub(crate) struct EvalUsed;
}

static META: RuleMeta = RuleMeta {
    id: "eval-used",
    bandit: Some("B307"),
    bandit_name: Some("eval"),
    ruff: &["S307"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::Medium,
    summary: "`eval`: runs any expression",
    doc: EvalUsed::DOC,
    calls: &["eval"],
    query: None,
    // The builtin is called by its bare name (or an alias imported under
    // it), or through `builtins`; a method of the same name is not it.
    triggers: &[&["<not after .>eval"], &["builtins", "eval"]],
};

impl Rule for EvalUsed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let origin = builtin(site, "eval")?;
        let node = site.call.node;
        let call = cx.model.call_at(TextRange::new(text_size(node.start_byte()), text_size(node.end_byte())))?;
        let finding = Finding::new(&META, node, "`eval` runs any Python expression it is given");
        Some(finding.with_fix_or(fix(cx, site, call, origin)))
    }
}

/// The origin of the callee when it is the builtin `name` (unbound, or
/// `builtins.<name>` imported), not a function of the file's own.
pub(crate) fn builtin(site: &CallSite<'_>, name: &str) -> Option<Origin> {
    let callee = site.callee.as_ref()?;
    let builtin = callee.qualified == name && callee.origin == Origin::Unbound
        || callee.qualified == format!("builtins.{name}") && callee.origin != Origin::Local;
    builtin.then_some(callee.origin)
}

fn fix(cx: &FileContext<'_>, site: &CallSite<'_>, call: &ast::ExprCall, origin: Origin) -> Result<Fix, String> {
    let (args, keywords) = (&call.arguments.args[..], &call.arguments.keywords[..]);
    let [argument] = args else {
        return Err(if args.len() > 1 {
            "the call passes a namespace (`globals`, `locals`), which `ast.literal_eval` does not take; review it by hand"
        } else {
            "the expression is not one plain argument; review it by hand"
        }
        .into());
    };
    if !keywords.is_empty() || argument.is_starred_expr() {
        return Err(
            "the call passes more than the expression, which `ast.literal_eval` does not take; review it by hand"
                .into(),
        );
    }
    if !literal_data(cx, argument) {
        return Err("the expression is not plain literal data, which is all `ast.literal_eval` reads; make sure it never comes from outside the program".into());
    }
    let at = text_size(site.call.node.start_byte());
    if origin != Origin::Unbound && origin != Origin::Imported
        || cx.model.has_star_import(cx.model.scope_at(at))
        || cx.model.has_star_import(0)
    {
        return Err("a star import may rebind `eval` here; review it by hand".into());
    }
    let (function, import) = stdlib_name(cx.model, cx.src, cx.newline, "ast", "literal_eval", at)?;
    let mut edits = vec![Edit::replace(site.call.callee.byte_range(), function.clone())];
    edits.extend(import);
    Ok(Fix::unsafe_(edits).titled(format!("use `{function}` on literal data")))
}

/// A string literal holding literal data, or a name bound once in the file
/// to one.
fn literal_data(cx: &FileContext<'_>, argument: &Expr) -> bool {
    match argument {
        Expr::StringLiteral(s) => is_literal_data(s.value.to_str()),
        Expr::Name(n) => {
            let Lookup::Bound { bindings: [id], .. } = cx.model.lookup(n.id.as_str(), n.range.start()) else {
                return false;
            };
            let bound_once = cx.model.all_bindings().filter(|b| b.name == n.id.as_str()).count() == 1;
            let value = match cx.model.binding(*id).kind {
                crate::python::model::BindingKind::Assignment { value } => value,
                _ => return false,
            };
            bound_once && matches!(value, Expr::StringLiteral(s) if is_literal_data(s.value.to_str()))
        }
        _ => false,
    }
}
