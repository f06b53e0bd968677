//! Code put around or before the statement that holds an expression: a
//! `with` block wrapping it (`with torch.serialization.safe_globals([...]):`),
//! or a line run just before it.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::fix::edit::{self, Edit};
use crate::python::lines::{line_end, line_indent, line_start, starts_its_line};

/// The statements holding `range`, outermost first (a statement inside a
/// function, inside a class...).
pub(crate) fn statements_holding(body: &[Stmt], range: TextRange) -> Vec<&Stmt> {
    let mut finder = Holders { range, found: Vec::new() };
    finder.visit_body(body);
    finder.found
}

struct Holders<'a> {
    range: TextRange,
    found: Vec<&'a Stmt>,
}

impl<'a> Visitor<'a> for Holders<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if stmt.range().contains_range(self.range) {
            self.found.push(stmt);
            visitor::walk_stmt(self, stmt);
        }
    }
}

/// Wraps `stmt`, which holds the expression at `inner`, in a block opened by
/// `header` (`with x:`), with `edits` (inside `stmt`) applied to it first.
/// Refused, with the reason, when the block would not run the expression
/// under it, or would change more than the statement:
/// - the statement is compound (an `if` header: the block would cover its body too);
/// - it shares its line with other code (`if x: y = f()`, `a = 1; y = f()`);
/// - the expression is deferred (in a `lambda` or a generator expression);
/// - a string in it spans lines (re-indenting would change the string).
pub(crate) fn wrap_in_block(
    src: &str,
    newline: &str,
    stmt: &Stmt,
    inner: TextRange,
    header: &str,
    edits: &[Edit],
) -> Result<Edit, String> {
    let simple =
        matches!(stmt, Stmt::Expr(_) | Stmt::Assign(_) | Stmt::AnnAssign(_) | Stmt::AugAssign(_) | Stmt::Return(_));
    if !simple {
        return Err("it is part of a compound statement's header, which a `with` block cannot wrap alone".into());
    }
    let (start, end) = (stmt.start().to_usize(), stmt.end().to_usize());
    let rest = src[end..line_end(src, end)].trim_start_matches([' ', '\t', '\x0c']);
    if !starts_its_line(src, start) || !(rest.is_empty() || rest.starts_with('#')) {
        return Err("its statement shares a line with other code, so a `with` block cannot wrap it alone".into());
    }
    let mut check = Checks { inner, deferred: false, multiline_string: false, src };
    check.visit_stmt(stmt);
    if check.deferred {
        return Err("it runs later (inside a `lambda` or a generator), outside any `with` block around it".into());
    }
    if check.multiline_string {
        return Err("its statement holds a string spanning lines, which re-indenting would change".into());
    }
    let shifted: Vec<Edit> =
        edits.iter().map(|e| Edit::replace(e.range.start - start..e.range.end - start, e.text.clone())).collect();
    let body = edit::apply(&src[start..end], &shifted).ok_or("the fix's edits overlap")?;
    let indent = line_indent(src, start);
    let unit = if indent.contains('\t') { "\t" } else { "    " };
    let mut text = format!("{header}{newline}{indent}{unit}");
    let mut lines = body.split_inclusive('\n');
    text.push_str(lines.next().unwrap_or_default());
    for line in lines {
        if !line.trim().is_empty() {
            text.push_str(unit);
        }
        text.push_str(line);
    }
    Ok(Edit::replace(start..end, text))
}

/// A line inserted before the statement holding the expression, at its indentation.
pub(crate) fn line_before(src: &str, newline: &str, stmt: &Stmt, line: &str) -> Edit {
    let start = line_start(src, stmt.start().to_usize());
    Edit::insert(start, format!("{}{line}{newline}", line_indent(src, start)))
}

struct Checks<'s> {
    inner: TextRange,
    deferred: bool,
    multiline_string: bool,
    src: &'s str,
}

impl<'a> Visitor<'a> for Checks<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) | Expr::Generator(_) if expr.range().contains_range(self.inner) => self.deferred = true,
            Expr::StringLiteral(_) | Expr::BytesLiteral(_) | Expr::FString(_) => {
                let spans_lines = |range: TextRange| self.src[range].contains(['\n', '\r']);
                let parts: Vec<TextRange> = match expr {
                    Expr::StringLiteral(s) => s.value.iter().map(Ranged::range).collect(),
                    Expr::BytesLiteral(b) => b.value.iter().map(Ranged::range).collect(),
                    Expr::FString(f) => f.value.iter().map(Ranged::range).collect(),
                    _ => Vec::new(),
                };
                self.multiline_string |= parts.into_iter().any(spans_lines);
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}
