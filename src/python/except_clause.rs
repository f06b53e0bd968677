//! What the three exception-handler rules share: a view of one `except`
//! clause's concrete syntax and which exception types count as
//! "everything". The fix that logs a swallowed exception is in
//! `fix::logging`.

use tree_sitter::Node;

use crate::fix::edit::Edit;
use crate::python::call::text;
use crate::report::Finding;
use crate::rules::{FileContext, RuleMeta};

/// The types a handler may name that catch every ordinary exception.
const BROAD_TYPES: &[&str] = &["Exception", "BaseException", "builtins.Exception", "builtins.BaseException"];

/// One `except` (or `except*`) clause, taken apart.
#[derive(Debug, Clone)]
pub(crate) struct ExceptHandler<'t> {
    pub(crate) node: Node<'t>,
    /// The `except` keyword.
    pub(crate) keyword: Node<'t>,
    /// `except*` (a handler of exception groups).
    pub(crate) star: bool,
    /// The exception types as written: none for a bare `except:`, one
    /// expression (possibly a tuple), or several for `except A, B:`.
    pub(crate) types: Vec<Node<'t>>,
    /// The name after `as`.
    pub(crate) alias: Option<Node<'t>>,
    pub(crate) colon: Node<'t>,
    /// The statements of the body, comments left out.
    pub(crate) statements: Vec<Node<'t>>,
}

/// How a handler swallows the exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swallow {
    /// `pass` or `...`
    Pass,
    /// `continue`
    Continue,
}

impl<'t> ExceptHandler<'t> {
    /// `node` must be an `except_clause`.
    pub(crate) fn new(node: Node<'t>) -> Option<ExceptHandler<'t>> {
        if node.kind() != "except_clause" {
            return None;
        }
        let mut keyword = None;
        let mut star = false;
        let mut types = Vec::new();
        let mut alias = None;
        let mut colon = None;
        let mut statements = Vec::new();
        let mut cursor = node.walk();
        for (i, child) in node.children(&mut cursor).enumerate() {
            match (child.kind(), node.field_name_for_child(i as u32)) {
                ("except", _) => keyword = Some(child),
                ("*", _) => star = true,
                (":", _) => colon = Some(child),
                (_, Some("value")) if child.kind() == "as_pattern" => {
                    types.extend(child.named_child(0));
                    alias = child.child_by_field_name("alias").map(|target| target.named_child(0).unwrap_or(target));
                }
                (_, Some("value")) => types.push(child),
                (_, Some("alias")) => alias = Some(child),
                ("block", _) => {
                    let mut c = child.walk();
                    statements = child.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
                }
                _ => {}
            }
        }
        Some(ExceptHandler { node, keyword: keyword?, star, types, alias, colon: colon?, statements })
    }

    pub(crate) fn is_bare(&self) -> bool {
        self.types.is_empty()
    }

    /// Does the body re-raise with a bare `raise` as one of its own
    /// statements (not nested in an `if`)? ruff's E722 exempts such handlers.
    pub(crate) fn reraises(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.kind() == "raise_statement" && s.named_children(&mut s.walk()).all(|c| c.kind() == "comment"))
    }

    /// Does the handler catch `Exception` or `BaseException`: bare, either
    /// name (also as `builtins.X`, and literally spelt even if rebound, as
    /// Bandit reads it), or a tuple holding one?
    pub(crate) fn catches_broadly(&self, cx: &FileContext<'_>) -> bool {
        self.is_bare() || self.types.iter().any(|t| is_broad(*t, cx))
    }

    /// The lone `pass`, `...` or `continue` that makes up the whole body.
    pub(crate) fn swallows(&self) -> Option<(Swallow, Node<'t>)> {
        let [only] = self.statements[..] else { return None };
        match only.kind() {
            "pass_statement" => Some((Swallow::Pass, only)),
            "continue_statement" => Some((Swallow::Continue, only)),
            "expression_statement"
                if only.named_child_count() == 1 && only.named_child(0).is_some_and(|e| e.kind() == "ellipsis") =>
            {
                Some((Swallow::Pass, only))
            }
            _ => None,
        }
    }

    /// How the clause reads in messages: `except:`, `except Exception:`.
    pub(crate) fn header(&self, src: &str) -> String {
        let star = if self.star { "*" } else { "" };
        match (self.types.first(), self.types.last()) {
            (Some(first), Some(last)) => {
                let types: String =
                    src[first.start_byte()..last.end_byte()].split_whitespace().collect::<Vec<_>>().join(" ");
                format!("except{star} {types}:")
            }
            _ => format!("except{star}:"),
        }
    }

    /// A finding at the `except` keyword that spans the whole handler, so a
    /// suppression on any of its lines counts, as in Bandit.
    pub(crate) fn finding(&self, meta: &'static RuleMeta, message: impl Into<String>) -> Finding {
        let mut finding = Finding::new(meta, self.node, message);
        let end = self.statements.last().map_or(self.colon, |s| *s);
        finding.range = self.node.start_byte()..end.end_byte();
        finding.rows = (self.node.start_position().row, end.end_position().row);
        finding
    }
}

fn is_broad(node: Node<'_>, cx: &FileContext<'_>) -> bool {
    match node.kind() {
        "parenthesized_expression" | "tuple" => node.named_children(&mut node.walk()).any(|child| is_broad(child, cx)),
        "identifier" | "attribute" => {
            let written = text(node, cx.src);
            BROAD_TYPES.contains(&written)
                || cx.resolve(node).is_some_and(|r| BROAD_TYPES.contains(&r.qualified.as_str()))
        }
        _ => false,
    }
}

impl<'t> ExceptHandler<'t> {
    /// The lone `expected` statement, when that is the handler's whole body
    /// and it catches everything (anything, with `--strict-except`).
    pub(crate) fn swallowed(&self, cx: &FileContext<'_>, expected: Swallow) -> Option<Node<'t>> {
        let (swallow, statement) = self.swallows()?;
        (swallow == expected && (cx.config.strict_except || self.catches_broadly(cx))).then_some(statement)
    }

    /// What the except rules say about a swallowing handler.
    pub(crate) fn swallow_message(&self, src: &str, swallow: Swallow, statement: Node<'_>) -> String {
        let header = self.header(src);
        match swallow {
            Swallow::Pass => format!(
                "`{header}` with only `{}` hides every failure; log the exception or handle it",
                text(statement, src)
            ),
            Swallow::Continue => {
                format!("`{header}` with only `continue` skips failures silently; log the exception or handle it")
            }
        }
    }
}

/// The edit that makes `except:` catch `Exception` only.
pub(crate) fn narrow_bare_except(handler: &ExceptHandler<'_>) -> Edit {
    Edit::replace(handler.keyword.end_byte()..handler.colon.start_byte(), " Exception")
}
