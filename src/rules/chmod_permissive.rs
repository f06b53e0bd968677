//! `chmod-permissive`: `chmod` calls that let other users write or run a
//! file (Bandit B103, ruff S103).

use ruff_python_ast::{self as ast, Expr};
use tree_sitter::Node;

use crate::documented_rule;
use crate::python::call::Call;
use crate::python::model::{name_chain, Origin, Resolved};
use crate::python::parse::text_size;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds `os.chmod`, `os.fchmod`, `os.lchmod` and `pathlib.Path.chmod` /
    /// `lchmod` calls (through any alias or from-import, and on a
    /// `Path(...)` object, directly or through a variable) whose mode lets
    /// the group or other users write the file, or run it: any of the bits
    /// `0o020`, `0o002`, `0o010`, `0o001`. The mode is read when it is an
    /// integer literal (`0o777`, `0x1ff`, `511`), a `stat` constant
    /// (`stat.S_IRWXG`), or a combination of them with `|`, `&`, `^`, `+`
    /// and `~` (`0o777 & ~0o022`); passed by position or as `mode=`. A mode
    /// held in a variable is not read.
    ///
    /// ## Why is this bad?
    /// A file other users can write is a file they can change: a script or
    /// a config that a job later runs or loads, a model checkpoint that is
    /// later unpickled. A group- or world-executable file is one they can
    /// run, which matters for anything holding credentials.
    ///
    /// ## Example
    /// ```python
    /// os.chmod(cache_path, 0o777)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// os.chmod(cache_path, 0o700)
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed; each finding says what to do. A narrower mode changes
    /// who can use the file, and the wide one is sometimes the point: a
    /// cache shared by every user of a machine, an executable the CLI has
    /// just installed (`0o755`). Where it is, mark the line `# nosec B103`
    /// and say why.
    ///
    /// Severity: Bandit rates world-writable modes HIGH and the others
    /// MEDIUM; this rule reports all of them as HIGH.
    ///
    /// ## References
    /// - Bandit B103 `set_bad_file_permissions`, ruff S103
    /// - CWE-732: Incorrect Permission Assignment for Critical Resource
    /// - Python: `os.chmod`, `stat`
    pub(crate) struct ChmodPermissive;
}

static META: RuleMeta = RuleMeta {
    id: "chmod-permissive",
    bandit: Some("B103"),
    bandit_name: Some("set_bad_file_permissions"),
    ruff: &["S103"],
    fix_safety: None,
    severity: Severity::High,
    summary: "`chmod` with a mode that lets other users write or run the file",
    doc: ChmodPermissive::DOC,
    calls: &["chmod", "fchmod", "lchmod"],
    query: None,
    triggers: &[&["chmod"], &["fchmod"], &["lchmod"]],
};

const WRITE_GROUP: i64 = 0o020;
const WRITE_OTHERS: i64 = 0o002;
const EXECUTE_GROUP: i64 = 0o010;
const EXECUTE_OTHERS: i64 = 0o001;
/// The permission bits; chmod(2) ignores the file type bits above them.
const PERMISSIONS: i64 = 0o7777;

/// `pathlib` classes whose instances have `chmod` and `lchmod`.
const PATH_CLASSES: &[&str] = &["pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"];

impl Rule for ChmodPermissive {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let (name, mode_index) = target(cx, site)?;
        let call = &site.call;
        let mode_node = call.keyword(cx.src, "mode").or_else(|| mode_position(call, mode_index))?;
        let mode = eval_mode(cx, mode_node)? & PERMISSIONS;
        let written = cx.text(mode_node);
        let octal_literal = mode_node.kind() == "integer" && written.starts_with("0o");
        let shown = if octal_literal { written.to_owned() } else { format!("{mode:#o}") };
        let (message, reason) = if mode & WRITE_OTHERS != 0 {
            (format!("`{name}` sets mode {shown}: every local user can write the file"), WRITE_REASON)
        } else if mode & WRITE_GROUP != 0 {
            (format!("`{name}` sets mode {shown}: the file's group can write it"), WRITE_REASON)
        } else if mode & (EXECUTE_GROUP | EXECUTE_OTHERS) != 0 {
            (
                format!("`{name}` sets mode {shown}: users other than the owner can run the file"),
                "for a file only its owner runs, use 0o700; for a program other users must run, 0o755 is the usual \
                 mode: mark the line `# nosec B103`",
            )
        } else {
            return None;
        };
        Some(Finding::new(&META, call.node, message).not_fixed(reason))
    }
}

const WRITE_REASON: &str = "a narrower mode changes who can use the file: give write to the owner only (0o600 for a \
                            file, 0o700 for a directory, 0o644 when others only read it); if other users must write \
                            here, share it through a common group and mark the line `# nosec B103`";

/// What the call is (`os.chmod`, `pathlib.Path.chmod`) and where its mode
/// sits among the positional arguments.
fn target(cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<(String, usize)> {
    let callee = site.callee.as_ref();
    if let Some(Resolved { qualified, origin }) = callee {
        if *origin != Origin::Local && *origin != Origin::Relative {
            match qualified.as_str() {
                "os.chmod" | "os.fchmod" | "os.lchmod" => return Some((qualified.clone(), 1)),
                q if PATH_CLASSES.iter().any(|c| q == format!("{c}.chmod") || q == format!("{c}.lchmod")) => {
                    return Some((qualified.clone(), 1))
                }
                _ => {}
            }
        }
    }
    // A method of a `Path` object: `Path(p).chmod(mode)`, `p.chmod(mode)`.
    let callee_node = site.call.callee;
    if callee_node.kind() != "attribute" || !matches!(site.name.as_ref(), "chmod" | "lchmod") {
        return None;
    }
    let receiver = callee_node.child_by_field_name("object")?;
    is_path(cx, receiver).then(|| (format!("{}.{}", cx.text(receiver), site.name), 0))
}

/// Is the expression a `pathlib.Path` made right here (`Path(p)`,
/// `Path(p) / "x"`), or a name every assignment of which makes one?
fn is_path(cx: &FileContext<'_>, node: Node<'_>) -> bool {
    match node.kind() {
        "parenthesized_expression" => node.named_child(0).is_some_and(|inner| is_path(cx, inner)),
        "binary_operator" => {
            let slash = node.child_by_field_name("operator").is_some_and(|op| cx.text(op) == "/");
            slash && node.child_by_field_name("left").is_some_and(|left| is_path(cx, left))
        }
        "call" => node.child_by_field_name("function").and_then(|f| cx.resolve(f)).is_some_and(|c| is_path_class(&c)),
        "identifier" => {
            let Some(values) = cx.model.assigned_values(cx.text(node), text_size(node.start_byte())) else {
                return false;
            };
            !values.is_empty() && values.iter().all(|value| makes_path(cx, value))
        }
        _ => false,
    }
}

/// [`is_path`] for an assigned value, on the AST: `Path(p)`, `Path(p) / "x" / y`.
fn makes_path(cx: &FileContext<'_>, value: &Expr) -> bool {
    let mut value = value;
    while let Expr::BinOp(ast::ExprBinOp { left, op: ast::Operator::Div, .. }) = value {
        value = left;
    }
    match value {
        Expr::Call(call) => {
            name_chain(&call.func).is_some() && cx.model.resolve_expr(&call.func).is_some_and(|c| is_path_class(&c))
        }
        _ => false,
    }
}

fn is_path_class(callee: &Resolved) -> bool {
    callee.origin == Origin::Imported && PATH_CLASSES.contains(&callee.qualified.as_str())
}

fn mode_position<'t>(call: &Call<'t>, index: usize) -> Option<Node<'t>> {
    if call.has_list_splat() {
        return None;
    }
    call.positional().get(index).copied()
}

/// The value of a mode expression, when it is made of integer literals and
/// `stat` constants.
fn eval_mode(cx: &FileContext<'_>, node: Node<'_>) -> Option<i64> {
    // Iterative over the operators: a generated file may chain thousands.
    let mut stack = vec![(node, false)];
    let mut values: Vec<i64> = Vec::new();
    while let Some((node, visited)) = stack.pop() {
        match node.kind() {
            "integer" => values.push(parse_int(cx.text(node))?),
            "identifier" | "attribute" => values.push(stat_constant(&cx.resolve(node)?)?),
            "parenthesized_expression" => stack.push((node.named_child(0)?, false)),
            "unary_operator" | "binary_operator" if !visited => {
                stack.push((node, true));
                if let Some(left) = node.child_by_field_name("left") {
                    stack.push((left, false));
                }
                let operand = node.child_by_field_name("right").or_else(|| node.child_by_field_name("argument"))?;
                stack.push((operand, false));
            }
            "unary_operator" => {
                let operand = values.pop()?;
                values.push(match cx.text(node.child_by_field_name("operator")?) {
                    "~" => !operand,
                    "+" => operand,
                    "-" => operand.checked_neg()?,
                    _ => return None,
                });
            }
            "binary_operator" => {
                let left = values.pop()?;
                let right = values.pop()?;
                values.push(match cx.text(node.child_by_field_name("operator")?) {
                    "|" => left | right,
                    "&" => left & right,
                    "^" => left ^ right,
                    "+" => left.checked_add(right)?,
                    _ => return None,
                });
            }
            _ => return None,
        }
    }
    let value = values.pop().filter(|_| values.is_empty())?;
    (value >= 0).then_some(value)
}

/// `0o777`, `0x1FF`, `0b111`, `511`, `0o7_7_7`.
fn parse_int(text: &str) -> Option<i64> {
    let digits = text.replace('_', "").to_ascii_lowercase();
    let (radix, body) = match digits.get(..2) {
        Some("0o") => (8, &digits[2..]),
        Some("0x") => (16, &digits[2..]),
        Some("0b") => (2, &digits[2..]),
        _ => (10, digits.as_str()),
    };
    i64::from_str_radix(body, radix).ok()
}

/// The value of a `stat` permission constant.
fn stat_constant(resolved: &Resolved) -> Option<i64> {
    if resolved.origin == Origin::Local || resolved.origin == Origin::Relative {
        return None;
    }
    let name = resolved.qualified.strip_prefix("stat.")?;
    Some(match name {
        "S_ISUID" => 0o4000,
        "S_ISGID" | "S_ENFMT" => 0o2000,
        "S_ISVTX" => 0o1000,
        "S_IRWXU" => 0o700,
        "S_IRUSR" | "S_IREAD" => 0o400,
        "S_IWUSR" | "S_IWRITE" => 0o200,
        "S_IXUSR" | "S_IEXEC" => 0o100,
        "S_IRWXG" => 0o070,
        "S_IRGRP" => 0o040,
        "S_IWGRP" => 0o020,
        "S_IXGRP" => 0o010,
        "S_IRWXO" => 0o007,
        "S_IROTH" => 0o004,
        "S_IWOTH" => 0o002,
        "S_IXOTH" => 0o001,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{call_sites, with_file};

    fn modes(src: &str) -> Vec<Option<String>> {
        with_file(src, |cx| {
            call_sites(cx)
                .iter()
                .filter(|s| s.named_in(META.calls))
                .map(|s| ChmodPermissive.check_call(cx, s).map(|f| f.message))
                .collect()
        })
    }

    #[test]
    fn reads_modes() {
        let src = "import os, stat\nfrom pathlib import Path\n\
                   os.chmod(p, 0o777)\nos.chmod(p, 0o644)\nos.chmod(p, mode=stat.S_IRWXU | stat.S_IWGRP)\n\
                   os.chmod(p, 0o777 & ~0o022)\nos.chmod(p, 0o777 & ~0o033)\nos.chmod(p, 0x1ff)\nos.chmod(p, 0o100644)\n\
                   Path(p).chmod(0o666)\nq = Path(p) / 'x'\nq.chmod(0o600)\nq.chmod(0o701)\nos.chmod(p, m)\n";
        let got = modes(src);
        let shown: Vec<&str> =
            got.iter().map(|m| m.as_deref().map_or("-", |m| m.split(": ").next().unwrap())).collect();
        assert_eq!(
            shown,
            [
                "`os.chmod` sets mode 0o777",
                "-",
                "`os.chmod` sets mode 0o720",
                "`os.chmod` sets mode 0o755",
                "-",
                "`os.chmod` sets mode 0o777",
                "-",
                "`Path(p).chmod` sets mode 0o666",
                "-",
                "`q.chmod` sets mode 0o701",
                "-",
            ]
        );
    }
}
