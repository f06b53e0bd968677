//! What a rule sees of one file: the [`FileContext`] (source, the one
//! semantic model, the tree of the statements under analysis, the
//! configuration) and, for call rules, each [`CallSite`] with its callee
//! already resolved.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tree_sitter::{Node, Query, QueryCapture, Tree};

use crate::config::Config;
use crate::pipeline::index::ProjectIndex;
use crate::python::call::{text, Call};
#[allow(unused_imports)]
use crate::python::model::Origin;
use crate::python::model::{Resolved, SemanticModel};
use crate::python::names::nfkc;
use crate::python::parse::{text_size, PythonVersion};
use crate::python::partial::partial_passing;
use ruff_text_size::Ranged;

/// Everything a rule may look at in one file.
pub(crate) struct FileContext<'a> {
    /// The decoded text; every offset and edit refers to it.
    pub(crate) src: &'a str,
    /// Scopes, bindings and what each name means, for the whole file.
    pub(crate) model: &'a SemanticModel<'a>,
    /// tree-sitter's tree of the statements under analysis (the whole file,
    /// or only the statements that hold a candidate, with the headers of the
    /// functions and classes around them). Rules look at their own node and
    /// its statement here; anything wider comes from `model`.
    pub(crate) tree: &'a Tree,
    pub(crate) config: &'a Config,
    /// Facts of the other files of the project.
    pub(crate) index: &'a ProjectIndex,
    /// This file's dotted module name, as the index knows it.
    pub(crate) module: &'a str,
    /// The newline that inserted lines use.
    pub(crate) newline: &'a str,
    /// The oldest Python the fixed code must run on.
    pub(crate) target: PythonVersion,
    /// File-wide facts rules compute once instead of once per match.
    pub(crate) memo: Memo,
}

impl<'a> FileContext<'a> {
    /// The source text of a node.
    pub(crate) fn text(&self, node: Node<'_>) -> &'a str {
        text(node, self.src)
    }

    /// The CPython-faithful AST of the call tree-sitter's `node` spans.
    pub(crate) fn ast_call(&self, node: Node<'_>) -> Option<&'a ruff_python_ast::ExprCall> {
        self.model.call_at(ruff_text_size::TextRange::new(text_size(node.start_byte()), text_size(node.end_byte())))
    }

    /// Why a call must not get `keyword` added: its callee may be bound to a
    /// `functools.partial` that passes it already (the added keyword would
    /// override the partial's). `None` when no such partial is in the file.
    pub(crate) fn partial_reason(&self, node: Node<'_>, keyword: &str) -> Option<String> {
        let partial = partial_passing(self.model, self.ast_call(node)?, keyword)?;
        let line = crate::python::lines::position(self.src, partial.start().to_usize()).line;
        Some(format!(
            "the callee may be the `functools.partial` of line {line}, which passes `{keyword}` already; \
             adding it here would override that value"
        ))
    }

    /// What a name or attribute chain (tree-sitter node) refers to where it
    /// is written; `None` for anything else or a local value.
    pub(crate) fn resolve(&self, node: Node<'_>) -> Option<Resolved> {
        let (parts, root) = chain_parts(node, self.src)?;
        let parts: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
        self.model.resolve_chain(&parts, text_size(root.start_byte()))
    }
}

/// `a.b.c` as `["a", "b", "c"]` (each name as CPython reads it, NFKC)
/// and the root node `a`. Iterative: a generated file may hold chains
/// thousands of links long.
pub(crate) fn chain_parts<'t, 's>(node: Node<'t>, src: &'s str) -> Option<(Vec<Cow<'s, str>>, Node<'t>)> {
    let mut attributes = Vec::new();
    let mut current = node;
    while current.kind() == "attribute" {
        attributes.push(nfkc(text(current.child_by_field_name("attribute")?, src)));
        current = current.child_by_field_name("object")?;
    }
    if current.kind() != "identifier" {
        return None;
    }
    let mut parts = vec![nfkc(text(current, src))];
    parts.extend(attributes.into_iter().rev());
    Some((parts, current))
}

/// A call found in the tree (once for every call rule), with its callee resolved once
/// for every rule.
pub(crate) struct CallSite<'t> {
    pub(crate) call: Call<'t>,
    /// What the callee refers to: `torch.load` for `th.load(...)` after
    /// `import torch as th`; a chain rooted in a local value (a parameter)
    /// is kept as spelled, marked [`Origin::Local`]. `None` for a callee
    /// that is not a name or an attribute chain (`f()()`).
    pub(crate) callee: Option<Resolved>,
    /// The callee's last name as CPython reads it: `load` in `th.load(...)`
    /// and in `th.𝐥𝐨𝐚𝐝(...)`.
    pub(crate) name: Cow<'t, str>,
}

impl<'t> CallSite<'t> {
    pub(crate) fn new(cx: &FileContext<'t>, node: Node<'t>) -> Option<CallSite<'t>> {
        let call = Call::new(node)?;
        let name_node = match call.callee.kind() {
            "attribute" => call.callee.child_by_field_name("attribute")?,
            "identifier" => call.callee,
            _ => return None,
        };
        Some(CallSite { call, callee: cx.resolve(call.callee), name: nfkc(cx.text(name_node)) })
    }

    /// Does `names` hold this call's callee name, as written or as resolved?
    pub(crate) fn named_in(&self, names: &[&str]) -> bool {
        names.contains(&self.name.as_ref()) || self.callee.as_ref().is_some_and(|c| names.contains(&c.last()))
    }
}

/// The nodes a query match captured, by capture name.
pub(crate) struct Captures<'a, 't> {
    pub(crate) query: &'a Query,
    pub(crate) nodes: &'a [QueryCapture<'t>],
}

impl<'t> Captures<'_, 't> {
    pub(crate) fn get(&self, name: &str) -> Option<Node<'t>> {
        let index = self.query.capture_index_for_name(name)?;
        self.nodes.iter().find(|c| c.index == index).map(|c| c.node)
    }
}

/// One value per type, computed on first use, for the file being analysed.
#[derive(Default)]
pub(crate) struct Memo(RefCell<HashMap<TypeId, Rc<dyn Any>>>);

impl Memo {
    pub(crate) fn get<T: Any>(&self, init: impl FnOnce() -> T) -> Rc<T> {
        let key = TypeId::of::<T>();
        if let Some(found) = self.0.borrow().get(&key) {
            if let Ok(value) = found.clone().downcast() {
                return value;
            }
        }
        let value = Rc::new(init());
        self.0.borrow_mut().insert(key, value.clone());
        value
    }
}

/// Building a context from a snippet, for unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::python::parse::{parse_module, parse_tree};

    /// Runs `f` with the context of `src` (the whole file parsed).
    pub(crate) fn with_file<T>(src: &str, f: impl FnOnce(&FileContext<'_>) -> T) -> T {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).expect("grammar");
        let tree = parse_tree(&mut parser, src, None).expect("tree-sitter parses");
        let parsed = parse_module(src, PythonVersion::latest());
        let model = SemanticModel::build(parsed.syntax(), src);
        let config = Config::default();
        let cx = FileContext {
            src,
            model: &model,
            tree: &tree,
            config: &config,
            index: ProjectIndex::empty(),
            module: "",
            newline: "\n",
            target: PythonVersion::latest(),
            memo: Memo::default(),
        };
        f(&cx)
    }

    /// Every call in the file, in source order.
    pub(crate) fn call_sites<'t>(cx: &FileContext<'t>) -> Vec<CallSite<'t>> {
        let mut sites = Vec::new();
        let mut stack = vec![cx.tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == "call" {
                sites.extend(CallSite::new(cx, node));
            }
            stack.extend(node.children(&mut node.walk()));
        }
        sites.sort_by_key(|s| s.call.node.start_byte());
        sites
    }
}
