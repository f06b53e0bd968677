//! The judge of every rewrite, independent of the parser that found the
//! fix: the rewritten text is read by the CPython-faithful parser for the
//! target Python version, and refused when it would not compile there
//! (including syntax only newer Pythons accept), passes a keyword twice in
//! a call, or uses a name that is not bound before the code runs: an import
//! the module makes later, one only a type checker sees, a logger defined
//! below the function that the module calls at import time.

use std::ops::Range;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ModModule, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange};

use crate::python::flow::bound_in_time;
use crate::python::imports::is_future_import;
use crate::python::lines::position;
use crate::python::model::{Lookup, SemanticModel};
use crate::python::parse::{beyond_tokenizer_limits, parse_module, PythonVersion};

/// Names Python provides in every module without an import.
const BUILTINS: &[&str] = &[
    "__name__",
    "__file__",
    "__doc__",
    "__spec__",
    "__loader__",
    "__package__",
    "__builtins__",
    "__debug__",
    "__import__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "BaseException",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "RuntimeError",
    "OSError",
    "ImportError",
    "NotImplemented",
    "Ellipsis",
];

/// Checks `rewritten`, in which `inserted` holds the ranges of new text.
/// `Err` says why the rewrite must be refused.
pub(crate) fn verify(rewritten: &str, inserted: &[Range<usize>], target: PythonVersion) -> Result<(), String> {
    let parsed = parse_module(rewritten, target);
    compiles(&parsed, rewritten, inserted, target)?;
    let model = SemanticModel::build(parsed.syntax(), rewritten);
    no_repeated_keyword(&model, inserted)?;
    names_bound(&model, inserted)?;
    future_imports_first(&parsed.syntax().body)
}

fn overlaps(range: TextRange, inserted: &[Range<usize>]) -> bool {
    let (start, end) = (range.start().to_usize(), range.end().to_usize());
    inserted.iter().any(|r| r.start <= end && start <= r.end)
}

fn compiles(
    parsed: &Parsed<ModModule>,
    text: &str,
    inserted: &[Range<usize>],
    target: PythonVersion,
) -> Result<(), String> {
    let refused = parsed.errors().first().map(|e| (e.location.start().to_usize(), e.error.to_string()));
    if let Some((at, message)) = refused.or_else(|| beyond_tokenizer_limits(parsed, text)) {
        return Err(format!("the rewrite would not compile ({message} at line {})", position(text, at).line));
    }
    match parsed.unsupported_syntax_errors().iter().find(|e| overlaps(e.range, inserted)) {
        Some(e) => Err(format!("the rewrite would need a newer Python than {target} ({e})")),
        None => Ok(()),
    }
}

fn no_repeated_keyword(model: &SemanticModel<'_>, inserted: &[Range<usize>]) -> Result<(), String> {
    for (call, _) in model.calls().iter().filter(|(c, _)| overlaps(c.range(), inserted)) {
        let mut seen = Vec::new();
        for name in call.arguments.keywords.iter().filter_map(|k| k.arg.as_ref()) {
            if seen.contains(&name.as_str()) {
                return Err(format!("the rewrite would pass `{}` twice in one call", name.as_str()));
            }
            seen.push(name.as_str());
        }
    }
    Ok(())
}

/// Every name read inside new text must be bound where and when it runs.
fn names_bound(model: &SemanticModel<'_>, inserted: &[Range<usize>]) -> Result<(), String> {
    let mut reads = NameReads { inserted, found: Vec::new() };
    reads.visit_body(&model.module.body);
    for name in reads.found {
        if !read_in_time(model, name) {
            return Err(format!("the rewrite would use `{}` before anything binds it", name.id.as_str()));
        }
    }
    Ok(())
}

fn read_in_time(model: &SemanticModel<'_>, name: &ast::ExprName) -> bool {
    let at = name.start();
    let bindings = match model.lookup(name.id.as_str(), at) {
        Lookup::Unbound => return BUILTINS.contains(&name.id.as_str()),
        Lookup::Bound { scope, bindings } if scope != 0 => return !bindings.is_empty(),
        Lookup::Bound { bindings, .. } => bindings,
    };
    bindings
        .iter()
        .map(|&id| model.binding(id))
        .any(|b| !b.type_checking && bound_in_time(model, b.statement, b.range, at))
}

/// Collects the names read inside the inserted ranges.
struct NameReads<'a, 'r> {
    inserted: &'r [Range<usize>],
    found: Vec<&'a ast::ExprName>,
}

impl<'a> Visitor<'a> for NameReads<'a, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) if n.ctx.is_load() && self.inserted.iter().any(|r| r.contains(&n.start().to_usize())) => {
                self.found.push(n)
            }
            Expr::Attribute(_) => {
                let mut current = expr;
                while let Expr::Attribute(a) = current {
                    current = &a.value;
                }
                self.visit_expr(current);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// `from __future__ import ...` may follow only the docstring and other
/// future imports; CPython refuses the module otherwise.
fn future_imports_first(body: &[Stmt]) -> Result<(), String> {
    let mut others = false;
    for (i, statement) in body.iter().enumerate() {
        let docstring = i == 0 && matches!(statement, Stmt::Expr(e) if e.value.is_string_literal_expr());
        if is_future_import(statement) && others {
            return Err("the rewrite would put code before a `from __future__` import".into());
        }
        others |= !docstring && !is_future_import(statement);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(rewritten: &str, marker: &str) -> Result<(), String> {
        let at = rewritten.find(marker).expect("marker");
        let inserted = std::iter::once(at..at + marker.len()).collect::<Vec<_>>();
        verify(rewritten, &inserted, PythonVersion::PY311)
    }

    #[test]
    fn accepts_sound_rewrites() {
        assert!(judge("import torch\nx = torch.load(p, weights_only=True)\n", "weights_only=True").is_ok());
        let src = "import logging\nlogger = logging.getLogger(__name__)\ndef f():\n    try:\n        x()\n    except Exception as exc:\n        logger.debug('x %r', exc, exc_info=True)\n";
        assert!(judge(src, "logger.debug('x %r', exc, exc_info=True)").is_ok());
    }

    #[test]
    fn refuses_what_cpython_would_refuse() {
        assert!(judge("x = f(a=1, a=2)\n", "a=2").unwrap_err().contains("twice"));
        assert!(judge("x = f(\n", "f(").unwrap_err().contains("not compile"));
        let nested = "x = f\"{g('a', k=\"v\")}\"\n";
        assert!(judge(nested, "k=\"v\"").unwrap_err().contains("newer Python"), "{:?}", judge(nested, "k=\"v\""));
    }

    #[test]
    fn refuses_names_bound_too_late() {
        let later = "def f():\n    return hx.Timeout(connect=1)\nf()\nimport httpx as hx\n";
        assert!(judge(later, "hx.Timeout(connect=1)").unwrap_err().contains("`hx`"));
        let module_level = "x = hx.Timeout(connect=1)\nimport httpx as hx\n";
        assert!(judge(module_level, "hx.Timeout(connect=1)").is_err());
        let uncalled = "def f():\n    return hx.Timeout(connect=1)\nimport httpx as hx\n";
        assert!(judge(uncalled, "hx.Timeout(connect=1)").is_ok(), "nothing runs `f` before the import");
        let checking = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\nx = httpx.Timeout(1)\n";
        assert!(judge(checking, "httpx.Timeout(1)").is_err());
        let called = "import logging\ndef f():\n    logger.debug('x')\nf()\nlogger = logging.getLogger(__name__)\n";
        assert!(judge(called, "logger.debug('x')").is_err());
        assert!(judge("x = undefined_thing(1)\n", "undefined_thing(1)").is_err());
        assert!(judge("x = print(len(__name__))\n", "print(len(__name__))").is_ok());
    }

    #[test]
    fn future_imports_stay_first() {
        assert!(judge("import logging\nfrom __future__ import annotations\n", "import logging").is_err());
        assert!(judge("'''doc'''\nfrom __future__ import annotations\nimport logging\n", "import logging").is_ok());
    }
}
