//! `subprocess-shell`: `subprocess` calls with `shell=True` (Bandit B602,
//! ruff S602).

use ruff_python_ast as ast;
use tree_sitter::Node;

use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::keyword;
use crate::python::model::Origin;
use crate::python::parse::text_size;
use crate::python::shell_call::{command_argument, plain_command, truthiness, Truth, SUBPROCESS};
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls of `subprocess.Popen`, `run`, `call`, `check_call` and
    /// `check_output`, through any alias, that pass a true `shell=` (`True`,
    /// `1`, any other true literal) or a `shell=` known only at run time.
    ///
    /// ## Why is this bad?
    /// With a shell, the command string is a shell script: a value
    /// interpolated into it (`f"ls {path}"`) that holds `;`, `|`, `$(...)` or
    /// a blank runs commands or splits into arguments nobody meant. A list of
    /// arguments without a shell passes each value as one argument, whatever
    /// it holds.
    ///
    /// ## Example
    /// ```python
    /// subprocess.run("nvidia-smi --query-gpu=name --format=csv", shell=True)
    /// subprocess.check_output(f"sox {src} -r 16000 {dst}", shell=True)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv"])
    /// subprocess.check_output(["sox", src, "-r", "16000", dst])
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`, and only for a command
    /// that is a string literal with no shell syntax at all: no pipes,
    /// redirections, `;`, `&&`, variables, globs, `~`, comments, environment
    /// assignments, and no shell keyword or builtin as the program (`cd`,
    /// `export`, `source`; `echo`, `printf`, `test`, `pwd` and `kill` where
    /// the builtin and the program differ). The string becomes the list that
    /// `shlex.split` gives, and `shell=True` is removed (`shell=False` is the
    /// default, so it is not added). On POSIX the same program then runs with
    /// the same arguments, found on the same `PATH`, with the same output and
    /// exit status. What differs: a program that does not exist raises
    /// `FileNotFoundError` instead of exiting with status 127; a script
    /// without a `#!` line fails with `OSError` instead of being run by `sh`;
    /// `Popen.pid` and signals reach the program instead of a shell; `sh` no
    /// longer exports `PWD`; on Windows the shell was `cmd.exe`, whose
    /// quoting differs. Reported without a fix, with the reason: commands
    /// built at run time (f-strings, `%`, `.format`, `" ".join(...)`), shell
    /// syntax, a list with `shell=True` (its first item is the script, the
    /// others become `$0`, `$1`), `executable=` (it names the shell with
    /// `shell=True` and the program without), a call that may pass
    /// `executable` through `*args`, `**kwargs` or a third positional
    /// argument, and `shell=` known only at run time.
    ///
    /// ## References
    /// - Bandit B602 `subprocess_popen_with_shell_equals_true`, ruff S602
    /// - Python: `subprocess` — Security Considerations
    pub(crate) struct SubprocessShell;
}

static META: RuleMeta = RuleMeta {
    id: "subprocess-shell",
    bandit: Some("B602"),
    bandit_name: Some("subprocess_popen_with_shell_equals_true"),
    ruff: &["S602"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::High,
    summary: "`subprocess` call with `shell=True`",
    doc: SubprocessShell::DOC,
    calls: &["Popen", "call", "check_call", "check_output", "run"],
    query: None,
    // The callee resolves to `subprocess.*` (an import or the module name
    // as spelled), and a true `shell=` is a keyword argument.
    triggers: &[&["subprocess", "shell"]],
};

impl Rule for SubprocessShell {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref().filter(|c| SUBPROCESS.contains(&c.qualified.as_str()))?;
        let node = site.call.node;
        let call = cx
            .model
            .call_at(ruff_text_size::TextRange::new(text_size(node.start_byte()), text_size(node.end_byte())))?;
        let shell = call.arguments.find_keyword("shell")?;
        let truth = truthiness(&shell.value);
        if truth == Truth::False {
            return None;
        }
        let name = &callee.qualified;
        let finding = Finding::new(
            &META,
            node,
            format!("`{name}` with `shell=True` runs its command through a shell, where interpolated values can inject commands"),
        );
        if truth == Truth::Unknown {
            return Some(finding.not_fixed(
                "`shell=` is known only at run time; make sure it is never true for commands built from data",
            ));
        }
        Some(finding.with_fix_or(fix(cx, site, call, callee.origin)))
    }
}

fn fix(cx: &FileContext<'_>, site: &CallSite<'_>, call: &ast::ExprCall, origin: Origin) -> Result<Fix, String> {
    let command = command_argument(call).ok_or("the command is passed through `*args`; rewrite it by hand")?;
    let plain = plain_command(command, cx.src)?;
    match origin {
        Origin::Imported => {}
        Origin::Ambiguous => {
            return Err(format!("`{}` may name another function here; review it by hand", cx.text(site.call.callee)))
        }
        Origin::Unbound => return Err("`subprocess` is not imported in this file, so this may be another object".into()),
        _ => return Err(format!("`{}` is a name of this file here (a parameter, variable or relative import), not the module; review it by hand", cx.text(site.call.callee).split('.').next().unwrap_or_default())),
    }
    if call.arguments.find_keyword("executable").is_some() {
        return Err(
            "`executable=` names the shell with `shell=True` and the program without it; rewrite it by hand".into()
        );
    }
    if call.arguments.keywords.iter().any(|k| k.arg.is_none()) {
        return Err("the call passes `**kwargs`, which may hold `executable=` (the shell with `shell=True`, the program without)".into());
    }
    // Popen(args, bufsize, executable, ...): the third positional is `executable`.
    if call.arguments.args.len() >= 3 || call.arguments.args.iter().any(|a| a.is_starred_expr()) {
        return Err(
            "the call may pass `executable` positionally (the shell with `shell=True`, the program without)".into()
        );
    }
    let command_node = command_node(site, cx.src).ok_or("the rewriter cannot find the command in this call")?;
    if has_comment(command_node) {
        return Err("a comment inside the command would be lost; rewrite it by hand".into());
    }
    let mut edits = vec![Edit::replace(command_node.byte_range(), plain.list.clone())];
    edits.extend(keyword::remove(&site.call, cx.src, "shell")?);
    Ok(Fix::unsafe_(edits).titled(format!("run `{}` without a shell", plain.list)))
}

/// The tree-sitter node of the command: the first positional argument or `args=`.
pub(crate) fn command_node<'t>(site: &CallSite<'t>, src: &str) -> Option<Node<'t>> {
    site.call.positional().first().copied().or_else(|| site.call.keyword(src, "args"))
}

/// Does the node hold a comment (between the parts of an implicitly
/// concatenated string)?
pub(crate) fn has_comment(node: Node<'_>) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "comment" {
            return true;
        }
        stack.extend(n.children(&mut n.walk()));
    }
    false
}
