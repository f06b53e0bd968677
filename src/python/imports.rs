//! The module's own imports, as code a fix inserts must use them: which
//! name already refers to `httpx.Timeout`, whether `httpx` is imported
//! unconditionally (so another import cannot turn an optional dependency
//! into a required one), and where the leading import block ends.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use crate::python::model::{BindingKind, Origin, SemanticModel};

/// An expression naming `module.name` with the file's existing imports:
/// `Timeout` after `from httpx import Timeout`, `hx.Timeout` after `import
/// httpx as hx`. Only imports that bind at module level at run time count
/// (not under `if TYPE_CHECKING:`), and only a name that still means that
/// import where the expression goes (`at`). `None` when there is none.
pub(crate) fn reference(model: &SemanticModel<'_>, module: &str, name: &str, at: TextSize) -> Option<String> {
    let full = format!("{module}.{name}");
    let mut candidates: Vec<(&str, String)> = Vec::new();
    for binding in model.module_imports() {
        match binding.kind.imported_name() {
            Some(imported) if imported == full => candidates.push((binding.name, binding.name.to_owned())),
            Some(imported) if imported == module => candidates.push((binding.name, format!("{}.{name}", binding.name))),
            _ => {}
        }
    }
    candidates.sort();
    // The import must run before the statement the expression goes into.
    let holder = model.top_level_statement(at).map_or(at, |s| s.start());
    candidates.retain(|(local, _)| model.module_imports().any(|b| b.name == *local && b.statement.end() <= holder));
    candidates.into_iter().find_map(|(local, expression)| {
        let resolved = model.resolve(local, at)?;
        let wanted = if expression.contains('.') { module } else { full.as_str() };
        (resolved.origin == Origin::Imported && resolved.qualified == wanted).then_some(expression)
    })
}

/// Does a statement directly in the module body (not under `try`, `if` or
/// in a function) import `module` or something from it? Only then may a fix
/// add another import of it.
pub(crate) fn imports_unconditionally(body: &[Stmt], module: &str) -> bool {
    let names_module = |name: &str| name == module || name.strip_prefix(module).is_some_and(|r| r.starts_with('.'));
    body.iter().any(|statement| match statement {
        Stmt::ImportFrom(i) => i.level == 0 && i.module.as_ref().is_some_and(|m| names_module(m.as_str())),
        Stmt::Import(i) => i.names.iter().any(|alias| names_module(alias.name.as_str())),
        _ => false,
    })
}

/// The first module-level `from <module> import a, b` (absolute, not `*`),
/// to which a fix can add a name in the file's own style.
pub(crate) fn from_import_of<'a>(body: &'a [Stmt], module: &str) -> Option<&'a ast::StmtImportFrom> {
    body.iter().find_map(|statement| match statement {
        Stmt::ImportFrom(i)
            if i.level == 0
                && i.module.as_ref().is_some_and(|m| m.as_str() == module)
                && i.names.iter().all(|a| a.name.as_str() != "*") =>
        {
            Some(i)
        }
        _ => None,
    })
}

/// The module's leading block: its docstring and the imports that follow
/// it before any other statement.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ImportBlock<'a> {
    pub(crate) docstring: Option<&'a Stmt>,
    pub(crate) last_import: Option<&'a Stmt>,
}

pub(crate) fn import_block(body: &[Stmt]) -> ImportBlock<'_> {
    let mut block = ImportBlock::default();
    for (i, statement) in body.iter().enumerate() {
        match statement {
            Stmt::Import(_) | Stmt::ImportFrom(_) => block.last_import = Some(statement),
            Stmt::Expr(e) if i == 0 && is_string(&e.value) => block.docstring = Some(statement),
            _ => break,
        }
    }
    block
}

fn is_string(expr: &Expr) -> bool {
    matches!(expr, Expr::StringLiteral(_))
}

/// Is this `from __future__ import ...`?
pub(crate) fn is_future_import(statement: &Stmt) -> bool {
    matches!(statement, Stmt::ImportFrom(i) if i.level == 0 && i.module.as_ref().is_some_and(|m| m.as_str() == "__future__"))
}

/// Is every binding of `name` anywhere in the file an `import name` of the
/// standard module (`import logging`, possibly inside functions), with no
/// star import that could bind it too?
pub(crate) fn only_binds_module(model: &SemanticModel<'_>, name: &str) -> bool {
    !model.has_any_star_import()
        && model.all_bindings().filter(|b| b.name == name).all(|b| {
            matches!(b.kind, BindingKind::Import { module, member: None } if module == name || module.starts_with(&format!("{name}.")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    fn with_model<T>(src: &str, f: impl FnOnce(&SemanticModel<'_>) -> T) -> T {
        let parsed = parse_module(src, PythonVersion::latest());
        let model = SemanticModel::build(parsed.syntax(), src);
        f(&model)
    }

    #[test]
    fn reference_prefers_existing_names() {
        let src = "from httpx import AsyncClient\nimport httpx as hx\nx = 1\n";
        let end = TextSize::of(src);
        assert_eq!(with_model(src, |m| reference(m, "httpx", "Timeout", end)).as_deref(), Some("hx.Timeout"));
        let src = "from httpx import Timeout\nimport httpx\n";
        assert_eq!(with_model(src, |m| reference(m, "httpx", "Timeout", end)).as_deref(), Some("Timeout"));
        let src = "import httpx\nhttpx = make()\n";
        assert_eq!(with_model(src, |m| reference(m, "httpx", "Timeout", end)), None);
        let src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\n";
        assert_eq!(with_model(src, |m| reference(m, "httpx", "Timeout", end)), None);
        let src = "def f():\n    import httpx\n";
        assert_eq!(with_model(src, |m| reference(m, "httpx", "Timeout", end)), None);
    }

    #[test]
    fn unconditional_imports_and_the_leading_block() {
        let src =
            "'''doc'''\nimport os\nfrom httpx import Client\ntry:\n    import aiohttp\nexcept ImportError:\n    pass\n";
        let parsed = parse_module(src, PythonVersion::latest());
        let body = &parsed.syntax().body;
        assert!(imports_unconditionally(body, "httpx"));
        assert!(!imports_unconditionally(body, "aiohttp"));
        assert!(from_import_of(body, "httpx").is_some());
        let block = import_block(body);
        assert!(block.docstring.is_some());
        assert_eq!(block.last_import.map(|s| s.end().to_usize()), Some(src.find("\ntry").unwrap()));
    }

    #[test]
    fn only_binds_module_sees_every_binding() {
        assert!(with_model("import logging\ndef f():\n    import logging\n", |m| only_binds_module(m, "logging")));
        assert!(!with_model("import logging\ndef f(logging):\n    pass\n", |m| only_binds_module(m, "logging")));
        assert!(!with_model("from .utils import logging\n", |m| only_binds_module(m, "logging")));
        assert!(!with_model("from x import *\n", |m| only_binds_module(m, "logging")));
    }
}
