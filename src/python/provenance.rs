//! Where a Hugging Face repository id that is not a literal at the call
//! comes from. Two answers, kept apart:
//!
//! - [`proven`]: a single literal the code guarantees (a module constant,
//!   here or imported from another project module; a local assigned once; a
//!   parameter of a private function whose every caller in the project
//!   passes the same literal). A fix may pin it like a literal.
//! - [`candidates`]: values the id may hold and where each was seen
//!   (parameter defaults, literal arguments of callers, argparse defaults
//!   and `.get` defaults and configuration values under the same name).
//!   Heuristic: for the inventory, never for a fix.

use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextSize};
use tree_sitter::Node;

use crate::pipeline::index::{absolute, IndexedFile};
use crate::python::facts::{string_value, ArgFact};
use crate::python::hub_call::is_local_path;
use crate::python::model::{Binding, BindingKind, Lookup, Origin, ScopeKind};
use crate::python::parse::text_size;
use crate::rules::FileContext;

/// A value the code guarantees, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proven {
    pub(crate) value: String,
    pub(crate) source: String,
}

/// A value the id may hold, and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Candidate {
    pub(crate) value: String,
    pub(crate) source: String,
}

/// The single literal `node` (a name) must hold, when the code proves it.
pub(crate) fn proven(cx: &FileContext<'_>, node: Node<'_>) -> Option<Proven> {
    if node.kind() != "identifier" {
        return None;
    }
    let name = cx.text(node);
    let at = text_size(node.start_byte());
    let Lookup::Bound { bindings: [only], .. } = cx.model.lookup(name, at) else { return None };
    let binding = cx.model.binding(*only);
    match binding.kind {
        BindingKind::Assignment { value } if binding.made_in == binding.scope => {
            let value = string_value(value)?;
            let what = if binding.scope == 0 { "module constant" } else { "local" };
            Some(Proven { value, source: format!("the {what} `{name}` ({})", where_in(cx, binding.range.start())) })
        }
        BindingKind::Import { .. } | BindingKind::RelativeImport { .. } => imported_constant(cx, name, at),
        BindingKind::Parameter { index, function: Some(f), .. } => private_parameter(cx, binding, f, index),
        _ => None,
    }
}

/// `from config import MODEL`: the constant of a project module.
fn imported_constant(cx: &FileContext<'_>, name: &str, at: TextSize) -> Option<Proven> {
    let resolved = cx.model.resolve(name, at)?;
    let qualified = match resolved.origin {
        Origin::Imported => resolved.qualified,
        Origin::Relative => absolute(cx.module, &resolved.qualified),
        _ => return None,
    };
    let (file, constant) = cx.index.constant(&qualified)?;
    Some(Proven {
        value: constant.value.clone(),
        source: format!(
            "the constant `{qualified}` ({}:{})",
            crate::pipeline::walk::display_path(&file.path),
            constant.line
        ),
    })
}

/// A parameter of a function only this project calls (its name starts
/// with `_`, or it is nested in another function), every call of which in
/// the project passes the same literal for it.
fn private_parameter(
    cx: &FileContext<'_>,
    binding: &Binding<'_>,
    f: &ruff_python_ast::StmtFunctionDef,
    index: usize,
) -> Option<Proven> {
    let scope = binding.scope;
    let parent = cx.model.scope(scope).parent?;
    let nested = matches!(cx.model.scope(parent).kind, ScopeKind::Function(_));
    let module_level = parent == 0;
    let private = module_level && f.name.as_str().starts_with('_');
    if !private && !nested {
        return None;
    }
    let callee = format!("{}.{}", cx.module, f.name.as_str());
    let name = binding.name;
    let mut values = Vec::new();
    for (_, call) in cx.index.callers(&callee) {
        if call.splat {
            return None;
        }
        let passed = call.keywords.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let value = passed.or_else(|| call.args.get(index))?;
        values.push(value.literal()?.to_owned());
    }
    let first = values.first()?.clone();
    values.iter().all(|v| *v == first).then(|| Proven {
        value: first,
        source: format!("every call of `{}` in the project passes it as `{name}`", f.name.as_str()),
    })
}

fn where_in(cx: &FileContext<'_>, at: TextSize) -> String {
    let line = crate::python::lines::position(cx.src, at.to_usize()).line;
    if cx.module.is_empty() {
        format!("line {line}")
    } else {
        format!("{}, line {line}", cx.module)
    }
}

/// Values the id expression at `node` may hold, from the index: for
/// `name` its default and its callers' literals, or what it was assigned;
/// for `args.attr`, `cfg["key"]` and `kw.get("key", ...)` the argparse
/// defaults, `.get` defaults and configuration values under that name.
/// Local paths are left out: a revision means nothing there.
pub(crate) fn candidates(cx: &FileContext<'_>, node: Node<'_>) -> Vec<Candidate> {
    let mut found = Vec::new();
    match node.kind() {
        "identifier" => name_candidates(cx, node, &mut found),
        "attribute" => {
            if let Some(attr) = node.child_by_field_name("attribute") {
                keyed_candidates(cx, cx.text(attr), &mut found);
            }
        }
        "subscript" => {
            let key =
                node.child_by_field_name("subscript").and_then(|k| crate::python::hub_call::string_literal(k, cx.src));
            if let Some(key) = key {
                keyed_candidates(cx, &key, &mut found);
            }
        }
        "call" => {
            if let Some(call) = call_at(cx, node) {
                call_candidates(cx, call, &mut found);
            }
        }
        _ => {}
    }
    found.retain(|c| !is_local_path(&c.value));
    let mut seen = std::collections::HashSet::new();
    found.retain(|c| seen.insert(c.value.clone()));
    found
}

fn name_candidates(cx: &FileContext<'_>, node: Node<'_>, found: &mut Vec<Candidate>) {
    let name = cx.text(node);
    let Lookup::Bound { bindings, .. } = cx.model.lookup(name, text_size(node.start_byte())) else { return };
    for &id in bindings {
        let binding = cx.model.binding(id);
        match binding.kind {
            BindingKind::Parameter { default, function: Some(f), index } => {
                if let Some(value) = default.and_then(string_value) {
                    found.push(Candidate {
                        value,
                        source: format!("default of parameter `{name}` of `{}`", f.name.as_str()),
                    });
                }
                caller_candidates(cx, f.name.as_str(), name, index, found);
                keyed_candidates(cx, name, found);
            }
            BindingKind::Assignment { value } => expression_candidates(cx, value, found),
            _ => {}
        }
    }
}

/// Literals callers anywhere in the project pass for parameter `name`.
fn caller_candidates(cx: &FileContext<'_>, function: &str, name: &str, index: usize, found: &mut Vec<Candidate>) {
    let callee = format!("{}.{function}", cx.module);
    for (file, call) in cx.index.callers(&callee) {
        let passed = call.keywords.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        match passed.or_else(|| call.args.get(index)) {
            Some(ArgFact::Literal(value)) => found.push(Candidate {
                value: value.clone(),
                source: format!("passed by a call of `{function}` at {}", location(file, call.line)),
            }),
            Some(ArgFact::Key(key)) => keyed_candidates(cx, key, found),
            _ => {}
        }
    }
}

fn expression_candidates(cx: &FileContext<'_>, expr: &Expr, found: &mut Vec<Candidate>) {
    match expr {
        Expr::StringLiteral(_) => {
            if let Some(value) = string_value(expr) {
                found.push(Candidate { value, source: format!("assigned at {}", where_in(cx, expr.start())) });
            }
        }
        Expr::Attribute(a) => keyed_candidates(cx, a.attr.as_str(), found),
        Expr::Subscript(s) => {
            if let Some(key) = string_value(&s.slice) {
                keyed_candidates(cx, &key, found);
            }
        }
        Expr::Call(call) => call_candidates(cx, call, found),
        _ => {}
    }
}

/// `kwargs.get("model_name", "org/m")`: the default, and whatever else is
/// known under the key.
fn call_candidates(cx: &FileContext<'_>, call: &ruff_python_ast::ExprCall, found: &mut Vec<Candidate>) {
    let Expr::Attribute(method) = call.func.as_ref() else { return };
    if method.attr.as_str() != "get" {
        return;
    }
    match call.arguments.args.first().and_then(string_value) {
        // The index holds this `.get` default too, with its file.
        Some(key) => keyed_candidates(cx, &key, found),
        None => {
            if let Some(default) = call.arguments.args.get(1).and_then(string_value) {
                found.push(Candidate {
                    value: default,
                    source: format!("`.get` default at {}", where_in(cx, call.start())),
                });
            }
        }
    }
}

/// argparse defaults, `.get` defaults and configuration values named `key`.
fn keyed_candidates(cx: &FileContext<'_>, key: &str, found: &mut Vec<Candidate>) {
    for (file, argument) in cx.index.arguments(key) {
        found.push(Candidate {
            value: argument.default.clone(),
            source: format!("argparse default of `--{}` at {}", key.replace('_', "-"), location(file, argument.line)),
        });
    }
    for (file, default) in cx.index.key_defaults(key) {
        found.push(Candidate {
            value: default.default.clone(),
            source: format!("`.get` default at {}", location(file, default.line)),
        });
    }
    for config in cx.index.config_values(key) {
        found.push(Candidate {
            value: config.value.clone(),
            source: format!("`{key}` in {}:{}", crate::pipeline::walk::display_path(&config.path), config.line),
        });
    }
}

fn location(file: &IndexedFile, line: usize) -> String {
    format!("{}:{line}", crate::pipeline::walk::display_path(&file.path))
}

/// The CPython-faithful call at a tree-sitter call node's range.
fn call_at<'a>(cx: &FileContext<'a>, node: Node<'_>) -> Option<&'a ruff_python_ast::ExprCall> {
    let start = text_size(node.start_byte());
    let calls = cx.model.calls();
    let first = calls.partition_point(|(c, _)| c.start() < start);
    calls[first..]
        .iter()
        .take_while(|(c, _)| c.start() == start)
        .find(|(c, _)| c.end().to_usize() == node.end_byte())
        .map(|(c, _)| *c)
}
