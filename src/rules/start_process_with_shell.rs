//! `start-process-with-shell`: `os.system`, `os.popen`,
//! `subprocess.getoutput` and the other functions that always run a shell
//! (Bandit B605, ruff S605).

use ruff_python_ast as ast;
use tree_sitter::Node;

use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::stdlib_name;
use crate::python::call::text;
use crate::python::model::Origin;
use crate::python::parse::text_size;
use crate::python::shell_call::{plain_command, SHELL};
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls of the functions that always run their command through
    /// `/bin/sh`: `os.system`, `os.popen`, `subprocess.getoutput`,
    /// `subprocess.getstatusoutput`, and the Python 2 `os.popen2`-`4`,
    /// `popen2.*` and `commands.*`, through any alias.
    ///
    /// ## Why is this bad?
    /// The command is a shell script: a value interpolated into it
    /// (`os.system(f"zstd -d {path}")`) that holds `;`, `|`, `$(...)` or a
    /// blank runs commands or splits into arguments nobody meant.
    ///
    /// ## Example
    /// ```python
    /// os.system("dvc init -f --no-scm")
    /// if os.system("nvidia-smi") != 0:
    ///     ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// subprocess.run(["dvc", "init", "-f", "--no-scm"])
    /// if subprocess.run(["nvidia-smi"]).returncode != 0:
    ///     ...
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`, and only for `os.system`
    /// with a string literal command that has no shell syntax (as for
    /// `subprocess-shell`), whose result is thrown away or only compared
    /// with `0` (`== 0`, `!= 0`, `if`, `while`, `not`, `assert`):
    /// `os.system` returns a wait status (`256` for exit status 1), which is
    /// zero exactly when `returncode` is. `import subprocess` is added when
    /// the file lacks it. What differs: a missing program raises
    /// `FileNotFoundError` instead of returning status 127; `os.system`
    /// ignores Ctrl-C in the parent while the command runs, and
    /// `subprocess.run` does not; the other differences listed for
    /// `subprocess-shell`. Reported with the reason: commands built at run
    /// time or with shell syntax, a wait status used as a number, `os.popen`
    /// (it returns a pipe object), `getoutput`/`getstatusoutput` (they merge
    /// stderr into the output, strip a newline and never raise).
    ///
    /// ## References
    /// - Bandit B605 `start_process_with_a_shell`, ruff S605
    /// - Python: `subprocess` — Replacing Older Functions with the subprocess Module
    pub(crate) struct StartProcessWithShell;
}

static META: RuleMeta = RuleMeta {
    id: "start-process-with-shell",
    bandit: Some("B605"),
    bandit_name: Some("start_process_with_a_shell"),
    ruff: &["S605"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::High,
    summary: "`os.system`, `os.popen`, `subprocess.getoutput`: a shell runs the command",
    doc: StartProcessWithShell::DOC,
    calls: &["system", "popen", "popen2", "popen3", "popen4", "Popen3", "Popen4", "getoutput", "getstatusoutput"],
    query: None,
    // Each function is spelled with its module somewhere in the code: in
    // the call (`os.system`) or in the import that binds it.
    triggers: &[
        &["os", "system"],
        &["os", "popen"],
        &["os", "popen2"],
        &["os", "popen3"],
        &["os", "popen4"],
        &["popen2"],
        &["commands", "getoutput"],
        &["commands", "getstatusoutput"],
        &["subprocess", "getoutput"],
        &["subprocess", "getstatusoutput"],
    ],
};

impl Rule for StartProcessWithShell {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref().filter(|c| SHELL.contains(&c.qualified.as_str()))?;
        let node = site.call.node;
        let call = cx
            .model
            .call_at(ruff_text_size::TextRange::new(text_size(node.start_byte()), text_size(node.end_byte())))?;
        let name = &callee.qualified;
        let finding = Finding::new(
            &META,
            node,
            format!("`{name}` runs its command through a shell, where interpolated values can inject commands"),
        );
        Some(finding.with_fix_or(fix(cx, site, call, name, callee.origin)))
    }
}

fn fix(
    cx: &FileContext<'_>,
    site: &CallSite<'_>,
    call: &ast::ExprCall,
    name: &str,
    origin: Origin,
) -> Result<Fix, String> {
    let command = match (&call.arguments.args[..], &call.arguments.keywords[..]) {
        ([command], []) if !command.is_starred_expr() => command,
        ([], [k]) if k.arg.as_ref().is_some_and(|a| a.as_str() == "command" || a.as_str() == "cmd") => &k.value,
        _ => return Err("the call's arguments are not one command; rewrite it by hand".into()),
    };
    let plain = plain_command(command, cx.src)?;
    match name {
        "os.system" => {}
        "os.popen" => {
            return Err(format!(
                "`os.popen` returns a pipe object; rewrite it by hand, e.g. `subprocess.run({}, capture_output=True, text=True).stdout`",
                plain.list
            ))
        }
        _ => {
            return Err(format!(
                "`{name}` merges stderr into the output, strips a newline and never raises; rewrite it by hand with `subprocess.run({})`",
                plain.list
            ))
        }
    }
    match origin {
        Origin::Imported => {}
        Origin::Ambiguous => {
            return Err(format!("`{}` may name another function here; review it by hand", cx.text(site.call.callee)))
        }
        Origin::Unbound => return Err("`os` is not imported in this file, so this may be another object".into()),
        _ => return Err(format!("`{}` is a name of this file here (a parameter, variable or relative import), not the module; review it by hand", cx.text(site.call.callee).split('.').next().unwrap_or_default())),
    }
    let node = site.call.node;
    if crate::rules::subprocess_shell::has_comment(node) {
        return Err("a comment inside the call would be lost; rewrite it by hand".into());
    }
    let suffix = match use_of_status(node, cx.src) {
        StatusUse::Discarded => "",
        StatusUse::ZeroTest => ".returncode",
        StatusUse::Other => {
            return Err("the wait status `os.system` returns is used here, and `returncode` is a different number (`256` for exit status 1); rewrite it by hand".into())
        }
    };
    let (run, import) = stdlib_name(cx.model, cx.src, cx.newline, "subprocess", "run", text_size(node.start_byte()))?;
    let replacement = format!("{run}({}){suffix}", plain.list);
    let mut edits = vec![Edit::replace(node.byte_range(), replacement.clone())];
    let mut title = format!("run `{}` without a shell: `{replacement}`", plain.list);
    if let Some(import) = import {
        title += &format!("; import `{run}`");
        edits.push(import);
    }
    Ok(Fix::unsafe_(edits).titled(title))
}

/// What the code does with the wait status `os.system` returns.
enum StatusUse {
    /// An expression statement: nothing.
    Discarded,
    /// Only whether it is zero: `== 0`, `!= 0`, a condition, `not`.
    ZeroTest,
    Other,
}

fn use_of_status(call: Node<'_>, src: &str) -> StatusUse {
    let mut node = call;
    let mut parent = node.parent();
    while let Some(p) = parent.filter(|p| p.kind() == "parenthesized_expression") {
        node = p;
        parent = p.parent();
    }
    let Some(parent) = parent else { return StatusUse::Other };
    let is_condition = |field: &str| parent.child_by_field_name(field).is_some_and(|c| c.id() == node.id());
    match parent.kind() {
        "expression_statement" if parent.named_child_count() == 1 => StatusUse::Discarded,
        "not_operator" => StatusUse::ZeroTest,
        "if_statement" | "elif_clause" | "while_statement" if is_condition("condition") => StatusUse::ZeroTest,
        "assert_statement" if parent.named_child(0).is_some_and(|c| c.id() == node.id()) => StatusUse::ZeroTest,
        "comparison_operator" => {
            let mut cursor = parent.walk();
            let children: Vec<Node<'_>> = parent.children(&mut cursor).collect();
            match children.as_slice() {
                [a, op, b] if matches!(text(*op, src), "==" | "!=") => {
                    let other = if a.id() == node.id() { b } else { a };
                    if text(*other, src) == "0" {
                        StatusUse::ZeroTest
                    } else {
                        StatusUse::Other
                    }
                }
                _ => StatusUse::Other,
            }
        }
        _ => StatusUse::Other,
    }
}
