//! When module-level code runs relative to a use: whether a name the module
//! binds exists by the time a use of it executes. At import time statements
//! run in order; code in a function runs when the function is called, which
//! may be from a later top-level statement, so a binding placed after the
//! function is safe only when nothing in between can call it.

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::python::model::SemanticModel;

/// Does the module-level binding made by `statement` (its name at `name`)
/// exist whenever the code at `at` runs?
pub(crate) fn bound_in_time(model: &SemanticModel<'_>, statement: TextRange, name: TextRange, at: TextSize) -> bool {
    let Some(holder) = model.top_level_statement(at) else { return statement.end() <= at };
    if statement.end() <= holder.start() {
        return true;
    }
    let import_time = model.enclosing_function(model.scope_at(at)).is_none();
    if import_time {
        // The same top-level statement: straight-line code before the use.
        return holder.range().contains_range(statement) && name.end() <= at;
    }
    model
        .module
        .body
        .iter()
        .skip_while(|s| s.start() < holder.end())
        .take_while(|s| s.start() < statement.start())
        .all(is_inert)
}

/// Statements that cannot call anything defined earlier in the module:
/// undecorated functions with constant defaults, imports, assignments of
/// constants or names, docstrings, `pass`.
pub(crate) fn is_inert(statement: &Stmt) -> bool {
    match statement {
        Stmt::FunctionDef(f) => {
            f.decorator_list.is_empty() && f.parameters.iter().all(|p| p.default().is_none_or(is_constant))
        }
        Stmt::Import(_) | Stmt::ImportFrom(_) | Stmt::Pass(_) => true,
        Stmt::Assign(a) => is_constant(&a.value),
        Stmt::AnnAssign(a) => a.value.as_deref().is_none_or(is_constant),
        Stmt::Expr(e) => is_constant(&e.value),
        _ => false,
    }
}

fn is_constant(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_)
            | Expr::Name(_)
    )
}
