//! One scope and binding model per file, built from the CPython-faithful
//! AST, that every rule and the project index read names through.
//!
//! It answers what a name means where it is used, as Python decides it:
//! the innermost scope that binds the name wins; a name bound anywhere in a
//! function is local to the whole function; function scopes see enclosing
//! functions but not enclosing class bodies; `global` and `nonlocal` move a
//! binding to the module or the enclosing function; comprehensions and
//! lambdas are scopes of their own; a walrus binds in the scope around its
//! comprehension. Imports are matched by what they import, so a
//! function-local `from pickle import load` never makes another function's
//! `load` a `torch.load`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// An index into [`SemanticModel::scopes`]; the module is 0.
pub(crate) type ScopeId = usize;
/// An index into the model's bindings.
pub(crate) type BindingId = usize;

/// What kind of scope, with its definition where it has one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ScopeKind<'a> {
    Module,
    Class(&'a ast::StmtClassDef),
    Function(&'a ast::StmtFunctionDef),
    Lambda,
    Comprehension,
}

/// One scope: where its names resolve and what it binds.
#[derive(Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) kind: ScopeKind<'a>,
    pub(crate) parent: Option<ScopeId>,
    /// The code whose names resolve here: a function's or class's body, a
    /// lambda's body, a whole comprehension (less [`Scope::excluded`]).
    pub(crate) range: TextRange,
    /// A comprehension's first iterable, evaluated in the enclosing scope.
    excluded: Option<TextRange>,
    names: NameMap<'a>,
    /// Names declared `global` / `nonlocal` here (few, so a list).
    globals: Vec<&'a str>,
    nonlocals: Vec<&'a str>,
}

/// A scope's bindings by name, hashed with a hasher fit for short keys.
type NameMap<'a> = HashMap<&'a str, Vec<BindingId>, BuildHasherDefault<NameHasher>>;

/// FNV-1a: identifiers are short, and SipHash's resistance to chosen keys
/// buys nothing for a file's own names.
#[derive(Default)]
pub(crate) struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

impl Scope<'_> {
    fn contains(&self, offset: TextSize) -> bool {
        self.range.contains_inclusive(offset) && !self.excluded.is_some_and(|e| e.contains(offset))
    }

    /// Does this scope run its code when the module is imported (the module
    /// body or a class body directly in it)?
    pub(crate) fn is_function_like(&self) -> bool {
        matches!(self.kind, ScopeKind::Function(_) | ScopeKind::Lambda)
    }
}

/// One binding of a name.
#[derive(Debug)]
pub(crate) struct Binding<'a> {
    pub(crate) name: &'a str,
    pub(crate) scope: ScopeId,
    /// Where the binding statement runs: differs from `scope` for a
    /// `global` or `nonlocal` name, or a walrus in a comprehension.
    pub(crate) made_in: ScopeId,
    pub(crate) kind: BindingKind<'a>,
    /// The bound name itself.
    pub(crate) range: TextRange,
    /// The statement that binds it (the whole compound statement for a
    /// `for` or `with` target).
    pub(crate) statement: TextRange,
    /// Under `if TYPE_CHECKING:`: bound for type checkers only, never at run time.
    pub(crate) type_checking: bool,
}

/// How a name is bound.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BindingKind<'a> {
    /// An absolute import of `module` (or of `member` from it): `import
    /// a.b` binds `a` to module `a`, `import a.b as c` binds `c` to module
    /// `a.b`, `from a import b` binds `b` to member `b` of module `a`.
    Import {
        module: &'a str,
        member: Option<&'a str>,
    },
    /// `from .m import x` / `from . import x`.
    RelativeImport {
        level: u32,
        module: Option<&'a str>,
        member: &'a str,
    },
    FunctionDef,
    ClassDef,
    Parameter {
        default: Option<&'a Expr>,
        index: usize,
        function: Option<&'a ast::StmtFunctionDef>,
    },
    /// `x = value`, `x: T = value`, `a = b = value`, `(x := value)`.
    Assignment {
        value: &'a Expr,
    },
    /// `x: T` with no value.
    Annotation,
    Augmented,
    /// A name inside an unpacking target: `a, b = value`.
    Unpacked,
    LoopTarget,
    WithTarget {
        context: &'a Expr,
    },
    ExceptTarget,
    Deletion,
    /// Match captures, type aliases, type parameters.
    Other,
}

impl BindingKind<'_> {
    /// The dotted name an import binds: `a.b` for `from a import b`.
    pub(crate) fn imported_name(&self) -> Option<String> {
        match self {
            BindingKind::Import { module, member: None } => Some((*module).to_owned()),
            BindingKind::Import { module, member: Some(member) } => Some(format!("{module}.{member}")),
            _ => None,
        }
    }

    /// `x = None`: a placeholder before the real value (`try: import x
    /// except ImportError: x = None`), which does not change what `x` is.
    fn is_placeholder(&self) -> bool {
        matches!(self, BindingKind::Assignment { value: Expr::NoneLiteral(_) })
    }
}

/// Where a resolved name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Every binding visible at the use imports the same thing.
    Imported,
    /// Nothing binds the name: a builtin, or a module used without an
    /// import (Bandit reads `torch.load` as `torch.load` in any case).
    Unbound,
    /// Some visible bindings import it and others bind something else, or
    /// imports disagree: flagged like an import, never fixed.
    Ambiguous,
    /// A relative import: a module of this project (`.utils.logging`).
    Relative,
    /// A local value (a parameter, a variable, a definition of this
    /// module): the name is kept as spelled, as Bandit reads it, but it may
    /// hold anything.
    Local,
}

/// A dotted name an expression refers to, and how sure the model is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) qualified: String,
    pub(crate) origin: Origin,
}

impl Resolved {
    /// The top-level package: `torch` for `torch.serialization.load`.
    pub(crate) fn package(&self) -> &str {
        self.qualified.split('.').next().unwrap_or_default()
    }

    /// The last segment: `load` for `torch.serialization.load`.
    pub(crate) fn last(&self) -> &str {
        self.qualified.rsplit('.').next().unwrap_or_default()
    }
}

/// `obj.attr = value` (in any scope), for `self.x` bindings.
#[derive(Debug)]
pub(crate) struct AttributeStore<'a> {
    pub(crate) scope: ScopeId,
    pub(crate) object: &'a str,
    pub(crate) attr: &'a str,
    /// `None` for an augmented assignment or an unpacking.
    pub(crate) value: Option<&'a Expr>,
}

/// `obj[key] = value`, for payloads built up item by item.
#[derive(Debug)]
pub(crate) struct ItemStore<'a> {
    pub(crate) scope: ScopeId,
    pub(crate) object: &'a str,
    pub(crate) key: &'a Expr,
    pub(crate) value: &'a Expr,
}

/// The scopes and bindings of one module.
#[derive(Debug)]
pub(crate) struct SemanticModel<'a> {
    pub(crate) source: &'a str,
    pub(crate) module: &'a ast::ModModule,
    scopes: Vec<Scope<'a>>,
    /// Scope ids ordered by where their range starts, for lookups by offset.
    by_start: Vec<ScopeId>,
    bindings: Vec<Binding<'a>>,
    calls: Vec<(&'a ast::ExprCall, ScopeId)>,
    handlers: Vec<(&'a ast::ExceptHandlerExceptHandler, ScopeId)>,
    attribute_stores: Vec<AttributeStore<'a>>,
    item_stores: Vec<ItemStore<'a>>,
    star_imports: Vec<(ScopeId, TextRange)>,
    /// The deepest expression nesting, and where it is.
    deepest: (usize, TextSize),
}

/// What a lookup of a name finds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'m> {
    /// The scope that decides, and its bindings of the name.
    Bound {
        scope: ScopeId,
        bindings: &'m [BindingId],
    },
    Unbound,
}

impl<'a> SemanticModel<'a> {
    /// Builds the model of a parsed module. Walks the tree once.
    pub(crate) fn build(module: &'a ast::ModModule, source: &'a str) -> SemanticModel<'a> {
        let mut builder = Builder::new(module, source);
        builder.visit_body(&module.body);
        builder.finish()
    }

    /// How many scopes the module has; ids run from 0 to this, exclusive.
    pub(crate) fn scope_count(&self) -> usize {
        self.scopes.len()
    }

    /// The annotation of the parameter `name` names at `at`, if it is one.
    pub(crate) fn parameter_annotation(&self, name: &str, at: TextSize) -> Option<&'a Expr> {
        let Lookup::Bound { bindings, .. } = self.lookup(name, at) else { return None };
        bindings.iter().find_map(|&id| match self.bindings[id].kind {
            BindingKind::Parameter { function: Some(f), .. } => {
                f.parameters.iter().find(|p| p.name().as_str() == name).and_then(|p| p.annotation())
            }
            _ => None,
        })
    }

    pub(crate) fn scope(&self, id: ScopeId) -> &Scope<'a> {
        &self.scopes[id]
    }

    pub(crate) fn binding(&self, id: BindingId) -> &Binding<'a> {
        &self.bindings[id]
    }

    /// The calls of the module in source order of their start, with their scope.
    pub(crate) fn calls(&self) -> &[(&'a ast::ExprCall, ScopeId)] {
        &self.calls
    }

    /// The call spanning exactly `range` (the same call as tree-sitter's node).
    pub(crate) fn call_at(&self, range: TextRange) -> Option<&'a ast::ExprCall> {
        let first = self.calls.partition_point(|(c, _)| c.start() < range.start());
        self.calls[first..]
            .iter()
            .take_while(|(c, _)| c.start() == range.start())
            .find(|(c, _)| c.range() == range)
            .map(|(c, _)| *c)
    }

    /// The `except` clauses of the module, with the scope they run in.
    pub(crate) fn handlers(&self) -> &[(&'a ast::ExceptHandlerExceptHandler, ScopeId)] {
        &self.handlers
    }

    pub(crate) fn attribute_stores(&self) -> &[AttributeStore<'a>] {
        &self.attribute_stores
    }

    pub(crate) fn item_stores(&self) -> &[ItemStore<'a>] {
        &self.item_stores
    }

    /// The innermost scope whose names are visible at `offset`.
    pub(crate) fn scope_at(&self, offset: TextSize) -> ScopeId {
        let after = self.by_start.partition_point(|&id| self.scopes[id].range.start() <= offset);
        let mut candidate = if after == 0 { 0 } else { self.by_start[after - 1] };
        loop {
            if candidate == 0 || self.scopes[candidate].contains(offset) {
                return candidate;
            }
            candidate = self.scopes[candidate].parent.unwrap_or(0);
        }
    }

    /// The scopes from `scope` out to the module.
    pub(crate) fn ancestors(&self, scope: ScopeId) -> impl Iterator<Item = ScopeId> + '_ {
        std::iter::successors(Some(scope), move |&s| self.scopes[s].parent)
    }

    /// The bindings `name` has in `scope` itself.
    pub(crate) fn bindings_in(&self, scope: ScopeId, name: &str) -> &[BindingId] {
        self.scopes[scope].names.get(name).map_or(&[], Vec::as_slice)
    }

    /// The scope that decides what `name` means at `offset`, as Python
    /// looks it up, and its bindings of the name.
    pub(crate) fn lookup(&self, name: &str, offset: TextSize) -> Lookup<'_> {
        let start = self.scope_at(offset);
        let mut skip_to_function = false;
        for id in self.ancestors(start) {
            let scope = &self.scopes[id];
            let is_class = matches!(scope.kind, ScopeKind::Class(_));
            // Class bodies are visible only to code directly in them.
            if (is_class && id != start) || (skip_to_function && !scope.is_function_like()) {
                continue;
            }
            if scope.globals.contains(&name) {
                return self.bound_in(0, name);
            }
            if scope.nonlocals.contains(&name) {
                skip_to_function = true;
                continue;
            }
            skip_to_function = false;
            if let Some(bindings) = scope.names.get(name) {
                return Lookup::Bound { scope: id, bindings };
            }
        }
        Lookup::Unbound
    }

    fn bound_in(&self, scope: ScopeId, name: &str) -> Lookup<'_> {
        match self.scopes[scope].names.get(name) {
            Some(bindings) => Lookup::Bound { scope, bindings },
            None => Lookup::Unbound,
        }
    }

    /// What `name`, used at `offset`, refers to: what an import binds it
    /// to; the name itself when nothing binds it (a builtin, or a module
    /// read without an import); or the name as spelled, marked local, when
    /// a parameter, variable or definition holds it.
    pub(crate) fn resolve(&self, name: &str, offset: TextSize) -> Option<Resolved> {
        let bindings = match self.lookup(name, offset) {
            Lookup::Unbound => return Some(Resolved { qualified: name.to_owned(), origin: Origin::Unbound }),
            Lookup::Bound { bindings, .. } => bindings,
        };
        let mut imported: Option<String> = None;
        let mut relative = false;
        let mut agree = true;
        let mut other = false;
        for &id in bindings {
            let kind = self.bindings[id].kind;
            let target = match kind {
                BindingKind::RelativeImport { level, module, member } => {
                    relative = true;
                    Some(relative_name(level, module, member))
                }
                _ => kind.imported_name(),
            };
            match target {
                Some(target) => {
                    agree &= imported.as_ref().is_none_or(|seen| *seen == target);
                    imported = Some(target);
                }
                None if kind.is_placeholder() => {}
                None => other = true,
            }
        }
        let Some(qualified) = imported else {
            return Some(Resolved { qualified: name.to_owned(), origin: Origin::Local });
        };
        let origin = match (agree && !other, relative) {
            (true, false) => Origin::Imported,
            (true, true) => Origin::Relative,
            (false, _) => Origin::Ambiguous,
        };
        Some(Resolved { qualified, origin })
    }

    /// What a chain of names (`root.attr.attr`) used at `offset` refers to.
    pub(crate) fn resolve_chain(&self, parts: &[&str], offset: TextSize) -> Option<Resolved> {
        let (root, attributes) = parts.split_first()?;
        let mut resolved = self.resolve(root, offset)?;
        for attribute in attributes {
            resolved.qualified.push('.');
            resolved.qualified.push_str(attribute);
        }
        Some(resolved)
    }

    /// What an expression that is a name or an attribute chain refers to.
    pub(crate) fn resolve_expr(&self, expr: &Expr) -> Option<Resolved> {
        let (root, attributes) = name_chain(expr)?;
        let mut parts = vec![root.id.as_str()];
        parts.extend(attributes.iter().rev().map(|a| a.as_str()));
        self.resolve_chain(&parts, root.range.start())
    }

    /// The values `name` may hold at `offset`, when every visible binding is
    /// an assignment (placeholders aside); `None` when any is something else.
    pub(crate) fn assigned_values(&self, name: &str, offset: TextSize) -> Option<Vec<&'a Expr>> {
        let Lookup::Bound { bindings, .. } = self.lookup(name, offset) else { return None };
        let mut values = Vec::new();
        for &id in bindings {
            match self.bindings[id].kind {
                BindingKind::Assignment { value } => values.push(value),
                _ => return None,
            }
        }
        Some(values)
    }

    /// Every name the module reads, writes or binds, anywhere (a walk of
    /// the whole tree: for choosing a new module-level name, which is rare).
    pub(crate) fn names_used(&self) -> HashSet<&'a str> {
        let mut names = AllNames::default();
        names.visit_body(&self.module.body);
        names.0
    }

    /// The innermost function (or lambda) scope around `scope`, itself included.
    pub(crate) fn enclosing_function(&self, scope: ScopeId) -> Option<ScopeId> {
        self.ancestors(scope).find(|&s| self.scopes[s].is_function_like())
    }

    /// The module's statement that contains `offset`.
    pub(crate) fn top_level_statement(&self, offset: TextSize) -> Option<&'a Stmt> {
        let body = &self.module.body;
        let after = body.partition_point(|s| s.start() <= offset);
        body[..after].last().filter(|s| s.range().contains_inclusive(offset))
    }

    /// `from x import *` statements in `scope`: each may bind any name.
    pub(crate) fn has_star_import(&self, scope: ScopeId) -> bool {
        self.star_imports.iter().any(|(s, _)| *s == scope)
    }

    /// The deepest nesting of expressions in the file, and where it is.
    pub(crate) fn deepest_expression(&self) -> (usize, TextSize) {
        self.deepest
    }

    /// Is there a `from x import *` anywhere in the file?
    pub(crate) fn has_any_star_import(&self) -> bool {
        !self.star_imports.is_empty()
    }

    pub(crate) fn all_bindings(&self) -> impl Iterator<Item = &Binding<'a>> {
        self.bindings.iter()
    }

    /// Absolute imports made at module level that bind at run time (not
    /// under `if TYPE_CHECKING:`), in source order.
    pub(crate) fn module_imports(&self) -> impl Iterator<Item = &Binding<'a>> {
        self.bindings.iter().filter(|b| {
            b.scope == 0 && b.made_in == 0 && !b.type_checking && matches!(b.kind, BindingKind::Import { .. })
        })
    }
}

/// `..utils.logging` for `from ..utils import logging`.
fn relative_name(level: u32, module: Option<&str>, member: &str) -> String {
    let dots = ".".repeat(level as usize);
    match module {
        Some(module) => format!("{dots}{module}.{member}"),
        None => format!("{dots}{member}"),
    }
}

/// `a.b.c` as its root name and its attributes, innermost last (`[c, b]`).
/// Iterative: generated files hold chains thousands of links long.
pub(crate) fn name_chain(expr: &Expr) -> Option<(&ast::ExprName, Vec<&ast::Identifier>)> {
    let mut attributes = Vec::new();
    let mut current = expr;
    loop {
        match current {
            Expr::Attribute(a) => {
                attributes.push(&a.attr);
                current = &a.value;
            }
            Expr::Name(name) => return Some((name, attributes)),
            _ => return None,
        }
    }
}

/// `if TYPE_CHECKING:` / `if typing.TYPE_CHECKING:`.
fn is_type_checking(test: &Expr) -> bool {
    match test {
        Expr::Name(n) => n.id.as_str() == "TYPE_CHECKING",
        Expr::Attribute(a) => a.attr.as_str() == "TYPE_CHECKING",
        _ => false,
    }
}

/// The span of a block of statements.
fn body_range(body: &[Stmt], fallback: TextRange) -> TextRange {
    match (body.first(), body.last()) {
        (Some(first), Some(last)) => TextRange::new(first.start(), last.end()),
        _ => fallback,
    }
}

/// Walks the module once, recording scopes and bindings.
struct Builder<'a> {
    model: SemanticModel<'a>,
    stack: Vec<ScopeId>,
    statement: TextRange,
    type_checking: bool,
    /// Expression nesting where the walk is.
    depth: usize,
}

impl<'a> Builder<'a> {
    fn new(module: &'a ast::ModModule, source: &'a str) -> Builder<'a> {
        let module_scope = Scope {
            kind: ScopeKind::Module,
            parent: None,
            range: TextRange::up_to(TextSize::of(source)),
            excluded: None,
            names: NameMap::default(),
            globals: Vec::new(),
            nonlocals: Vec::new(),
        };
        let model = SemanticModel {
            source,
            module,
            scopes: vec![module_scope],
            by_start: Vec::new(),
            bindings: Vec::new(),
            calls: Vec::new(),
            handlers: Vec::new(),
            attribute_stores: Vec::new(),
            item_stores: Vec::new(),
            star_imports: Vec::new(),
            deepest: (0, TextSize::default()),
        };
        Builder { model, stack: vec![0], statement: TextRange::default(), type_checking: false, depth: 0 }
    }

    fn finish(mut self) -> SemanticModel<'a> {
        let mut order: Vec<ScopeId> = (0..self.model.scopes.len()).collect();
        order.sort_by_key(|&id| (self.model.scopes[id].range.start(), id));
        self.model.by_start = order;
        self.model.calls.sort_by_key(|(call, _)| call.start());
        self.model
    }

    fn current(&self) -> ScopeId {
        *self.stack.last().unwrap_or(&0)
    }

    fn push(&mut self, kind: ScopeKind<'a>, range: TextRange, excluded: Option<TextRange>) -> ScopeId {
        let id = self.model.scopes.len();
        self.model.scopes.push(Scope {
            kind,
            parent: Some(self.current()),
            range,
            excluded,
            names: NameMap::default(),
            globals: Vec::new(),
            nonlocals: Vec::new(),
        });
        self.stack.push(id);
        id
    }

    fn pop(&mut self) {
        self.stack.pop();
    }

    /// Where a binding made in the current scope lands: the module for a
    /// `global` name, the enclosing function for a `nonlocal` one, and out
    /// of comprehensions for a walrus.
    fn target_scope(&self, name: &str, walrus: bool) -> ScopeId {
        let mut scopes = self.stack.iter().rev().copied();
        let mut scope = scopes.next().unwrap_or(0);
        if walrus {
            while matches!(self.model.scopes[scope].kind, ScopeKind::Comprehension) {
                scope = scopes.next().unwrap_or(0);
            }
        }
        let s = &self.model.scopes[scope];
        if s.globals.contains(&name) {
            return 0;
        }
        if s.nonlocals.contains(&name) {
            return scopes.find(|&id| self.model.scopes[id].is_function_like()).unwrap_or(scope);
        }
        scope
    }

    fn bind(&mut self, name: &'a str, range: TextRange, kind: BindingKind<'a>) {
        self.bind_in(name, range, kind, false);
    }

    fn bind_in(&mut self, name: &'a str, range: TextRange, kind: BindingKind<'a>, walrus: bool) {
        let scope = self.target_scope(name, walrus);
        let id = self.model.bindings.len();
        let made_in = self.current();
        self.model.bindings.push(Binding {
            name,
            scope,
            made_in,
            kind,
            range,
            statement: self.statement,
            type_checking: self.type_checking,
        });
        self.model.scopes[scope].names.entry(name).or_default().push(id);
    }

    /// Binds every name an assignment target holds; attribute and item
    /// targets are recorded as stores.
    fn bind_target(&mut self, target: &'a Expr, value: Option<&'a Expr>, kind: BindingKind<'a>) {
        let mut stack = vec![(target, false)];
        while let Some((expr, unpacked)) = stack.pop() {
            match expr {
                Expr::Name(n) => self.bind(n.id.as_str(), n.range, if unpacked { BindingKind::Unpacked } else { kind }),
                Expr::Tuple(t) => stack.extend(t.elts.iter().map(|e| (e, true))),
                Expr::List(l) => stack.extend(l.elts.iter().map(|e| (e, true))),
                Expr::Starred(s) => stack.push((&s.value, true)),
                Expr::Attribute(a) => self.attribute_store(a, if unpacked { None } else { value }),
                Expr::Subscript(s) => self.item_store(s, if unpacked { None } else { value }),
                _ => {}
            }
        }
    }

    fn attribute_store(&mut self, target: &'a ast::ExprAttribute, value: Option<&'a Expr>) {
        if let Expr::Name(object) = target.value.as_ref() {
            self.model.attribute_stores.push(AttributeStore {
                scope: self.current(),
                object: object.id.as_str(),
                attr: target.attr.as_str(),
                value,
            });
        }
    }

    fn item_store(&mut self, target: &'a ast::ExprSubscript, value: Option<&'a Expr>) {
        if let (Expr::Name(object), Some(value)) = (target.value.as_ref(), value) {
            self.model.item_stores.push(ItemStore {
                scope: self.current(),
                object: object.id.as_str(),
                key: &target.slice,
                value,
            });
        }
    }

    fn bind_parameters(&mut self, parameters: &'a ast::Parameters, function: Option<&'a ast::StmtFunctionDef>) {
        for (index, p) in parameters.posonlyargs.iter().chain(parameters.args.iter()).enumerate() {
            let kind = BindingKind::Parameter { default: p.default.as_deref(), index, function };
            self.bind(p.parameter.name.as_str(), p.parameter.name.range, kind);
        }
        let others = parameters.vararg.iter().chain(parameters.kwarg.iter()).map(|p| (p.as_ref(), None));
        let keyword_only = parameters.kwonlyargs.iter().map(|p| (&p.parameter, p.default.as_deref()));
        for (p, default) in others.chain(keyword_only) {
            let kind = BindingKind::Parameter { default, index: usize::MAX, function };
            self.bind(p.name.as_str(), p.name.range, kind);
        }
    }

    /// Defaults and annotations run in the scope around the definition.
    fn visit_parameters_outside(&mut self, parameters: &'a ast::Parameters) {
        for p in parameters.iter() {
            if let Some(default) = p.default() {
                self.visit_expr(default);
            }
            if let Some(annotation) = p.annotation() {
                self.visit_expr(annotation);
            }
        }
    }

    fn visit_function(&mut self, f: &'a ast::StmtFunctionDef) {
        for decorator in &f.decorator_list {
            self.visit_decorator(decorator);
        }
        if let Some(type_params) = &f.type_params {
            self.visit_type_params(type_params);
        }
        self.visit_parameters_outside(&f.parameters);
        if let Some(returns) = &f.returns {
            self.visit_expr(returns);
        }
        self.bind(f.name.as_str(), f.name.range, BindingKind::FunctionDef);
        self.push(ScopeKind::Function(f), body_range(&f.body, f.range), None);
        self.bind_parameters(&f.parameters, Some(f));
        self.visit_body(&f.body);
        self.pop();
    }

    fn visit_class(&mut self, c: &'a ast::StmtClassDef) {
        for decorator in &c.decorator_list {
            self.visit_decorator(decorator);
        }
        if let Some(type_params) = &c.type_params {
            self.visit_type_params(type_params);
        }
        if let Some(arguments) = &c.arguments {
            self.visit_arguments(arguments);
        }
        self.bind(c.name.as_str(), c.name.range, BindingKind::ClassDef);
        self.push(ScopeKind::Class(c), body_range(&c.body, c.range), None);
        self.visit_body(&c.body);
        self.pop();
    }

    fn visit_import(&mut self, import: &'a ast::StmtImport) {
        for alias in &import.names {
            let full = alias.name.as_str();
            match &alias.asname {
                Some(asname) => {
                    self.bind(asname.as_str(), asname.range, BindingKind::Import { module: full, member: None })
                }
                None => {
                    let first = full.split('.').next().unwrap_or(full);
                    let range = TextRange::at(alias.name.range.start(), TextSize::of(first));
                    self.bind(first, range, BindingKind::Import { module: first, member: None });
                }
            }
        }
    }

    fn visit_import_from(&mut self, import: &'a ast::StmtImportFrom) {
        let module = import.module.as_ref().map(|m| m.as_str());
        for alias in &import.names {
            let member = alias.name.as_str();
            if member == "*" {
                self.model.star_imports.push((self.current(), import.range));
                continue;
            }
            let local = alias.asname.as_ref().unwrap_or(&alias.name);
            let kind = match (import.level, module) {
                (0, Some(module)) => BindingKind::Import { module, member: Some(member) },
                (level, module) => BindingKind::RelativeImport { level, module, member },
            };
            self.bind(local.as_str(), local.range, kind);
        }
    }

    fn visit_comprehension_scope(
        &mut self,
        node: TextRange,
        generators: &'a [ast::Comprehension],
        elements: &[&'a Expr],
    ) {
        let Some(first) = generators.first() else { return };
        self.visit_expr(&first.iter);
        self.push(ScopeKind::Comprehension, node, Some(first.iter.range()));
        for (i, generator) in generators.iter().enumerate() {
            if i > 0 {
                self.visit_expr(&generator.iter);
            }
            self.bind_target(&generator.target, None, BindingKind::LoopTarget);
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.pop();
    }

    /// The part of the walk below one expression.
    fn visit_expr_inner(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(_) => {}
            // Chains are walked iteratively: only their root is a name. Each
            // link still counts as a level of nesting.
            Expr::Attribute(_) => {
                let mut current = expr;
                let mut links = 0;
                while let Expr::Attribute(a) = current {
                    current = &a.value;
                    links += 1;
                }
                self.depth += links - 1;
                self.visit_expr(current);
                self.depth -= links - 1;
            }
            Expr::Call(call) => {
                self.model.calls.push((call, self.current()));
                visitor::walk_expr(self, expr);
            }
            Expr::Named(n) => {
                self.visit_expr(&n.value);
                if let Expr::Name(target) = n.target.as_ref() {
                    self.bind_in(target.id.as_str(), target.range, BindingKind::Assignment { value: &n.value }, true);
                }
            }
            Expr::Lambda(l) => {
                if let Some(parameters) = &l.parameters {
                    self.visit_parameters_outside(parameters);
                }
                self.push(ScopeKind::Lambda, l.body.range(), None);
                if let Some(parameters) = &l.parameters {
                    self.bind_parameters(parameters, None);
                }
                self.visit_expr(&l.body);
                self.pop();
            }
            Expr::ListComp(c) => self.visit_comprehension_scope(c.range, &c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.visit_comprehension_scope(c.range, &c.generators, &[&c.elt]),
            Expr::Generator(c) => self.visit_comprehension_scope(c.range, &c.generators, &[&c.elt]),
            Expr::DictComp(c) => {
                let mut elements: Vec<&Expr> = c.key.iter().map(|k| k.as_ref()).collect();
                elements.push(&c.value);
                self.visit_comprehension_scope(c.range, &c.generators, &elements)
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let outer_statement = std::mem::replace(&mut self.statement, stmt.range());
        match stmt {
            Stmt::FunctionDef(f) => self.visit_function(f),
            Stmt::ClassDef(c) => self.visit_class(c),
            Stmt::Import(i) => self.visit_import(i),
            Stmt::ImportFrom(i) => self.visit_import_from(i),
            Stmt::Global(g) => {
                let scope = self.current();
                for name in &g.names {
                    self.model.scopes[scope].globals.push(name.as_str());
                }
            }
            Stmt::Nonlocal(n) => {
                let scope = self.current();
                for name in &n.names {
                    self.model.scopes[scope].nonlocals.push(name.as_str());
                }
            }
            Stmt::Assign(a) => {
                self.visit_expr(&a.value);
                for target in &a.targets {
                    self.bind_target(target, Some(&a.value), BindingKind::Assignment { value: &a.value });
                    self.visit_expr(target);
                }
            }
            Stmt::AnnAssign(a) => {
                self.visit_expr(&a.annotation);
                if let Some(value) = &a.value {
                    self.visit_expr(value);
                }
                let kind = match &a.value {
                    Some(value) => BindingKind::Assignment { value },
                    None => BindingKind::Annotation,
                };
                self.bind_target(&a.target, a.value.as_deref(), kind);
                self.visit_expr(&a.target);
            }
            Stmt::AugAssign(a) => {
                self.visit_expr(&a.value);
                self.bind_target(&a.target, None, BindingKind::Augmented);
                self.visit_expr(&a.target);
            }
            Stmt::For(f) => {
                self.visit_expr(&f.iter);
                self.bind_target(&f.target, None, BindingKind::LoopTarget);
                self.visit_expr(&f.target);
                self.visit_body(&f.body);
                self.visit_body(&f.orelse);
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(vars) = &item.optional_vars {
                        let kind = BindingKind::WithTarget { context: &item.context_expr };
                        self.bind_target(vars, Some(&item.context_expr), kind);
                        self.visit_expr(vars);
                    }
                }
                self.visit_body(&w.body);
            }
            Stmt::Delete(d) => {
                for target in &d.targets {
                    self.bind_target(target, None, BindingKind::Deletion);
                    self.visit_expr(target);
                }
            }
            Stmt::TypeAlias(t) => {
                self.bind_target(&t.name, None, BindingKind::Other);
                visitor::walk_stmt(self, stmt);
            }
            Stmt::If(i) if is_type_checking(&i.test) => {
                self.visit_expr(&i.test);
                let outer = std::mem::replace(&mut self.type_checking, true);
                self.visit_body(&i.body);
                self.type_checking = outer;
                for clause in &i.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
        self.statement = outer_statement;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.depth += 1;
        if self.depth > self.model.deepest.0 {
            self.model.deepest = (self.depth, expr.start());
        }
        self.visit_expr_inner(expr);
        self.depth -= 1;
    }
    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        self.model.handlers.push((h, self.current()));
        if let Some(name) = &h.name {
            self.bind(name.as_str(), name.range, BindingKind::ExceptTarget);
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a ast::Pattern) {
        let name = match pattern {
            ast::Pattern::MatchAs(p) => p.name.as_ref(),
            ast::Pattern::MatchStar(p) => p.name.as_ref(),
            ast::Pattern::MatchMapping(p) => p.rest.as_ref(),
            _ => None,
        };
        if let Some(name) = name {
            self.bind(name.as_str(), name.range, BindingKind::Other);
        }
        visitor::walk_pattern(self, pattern);
    }
}

/// Every identifier of a tree that names a variable: reads, writes and
/// bindings (definitions, parameters, import aliases, `global` names,
/// handler names, match captures); not attribute or keyword names.
#[derive(Default)]
struct AllNames<'a>(HashSet<&'a str>);

impl<'a> Visitor<'a> for AllNames<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                self.0.insert(f.name.as_str());
                self.0.extend(f.parameters.iter().map(|p| p.name().as_str()));
            }
            Stmt::ClassDef(c) => {
                self.0.insert(c.name.as_str());
            }
            Stmt::Import(i) => {
                for alias in &i.names {
                    let local = alias
                        .asname
                        .as_ref()
                        .map_or_else(|| alias.name.as_str().split('.').next(), |a| Some(a.as_str()));
                    self.0.extend(local);
                }
            }
            Stmt::ImportFrom(i) => self.0.extend(i.names.iter().map(|a| a.asname.as_ref().unwrap_or(&a.name).as_str())),
            Stmt::Global(g) => self.0.extend(g.names.iter().map(|n| n.as_str())),
            Stmt::Nonlocal(n) => self.0.extend(n.names.iter().map(|n| n.as_str())),
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) => {
                self.0.insert(n.id.as_str());
            }
            Expr::Attribute(_) => {
                let mut current = expr;
                while let Expr::Attribute(a) = current {
                    current = &a.value;
                }
                self.visit_expr(current);
            }
            Expr::Lambda(l) => {
                self.0.extend(l.parameters.iter().flat_map(|p| p.iter()).map(|p| p.name().as_str()));
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        self.0.extend(h.name.as_ref().map(|n| n.as_str()));
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a ast::Pattern) {
        let name = match pattern {
            ast::Pattern::MatchAs(p) => p.name.as_ref(),
            ast::Pattern::MatchStar(p) => p.name.as_ref(),
            ast::Pattern::MatchMapping(p) => p.rest.as_ref(),
            _ => None,
        };
        self.0.extend(name.map(|n| n.as_str()));
        visitor::walk_pattern(self, pattern);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> ruff_python_parser::Parsed<ast::ModModule> {
        ruff_python_parser::parse_module(src).expect("test source parses")
    }

    /// What the callee of the call at `marker` (the text of its callee)
    /// resolves to, the last such call in `src`.
    fn callee(src: &str, marker: &str) -> Option<String> {
        let parsed = parse(src);
        let model = SemanticModel::build(parsed.syntax(), src);
        let at = src.rfind(&format!("{marker}(")).expect("marker in source");
        let (call, _) = model.calls().iter().find(|(c, _)| c.start().to_usize() == at).expect("a call at the marker");
        model.resolve_expr(&call.func).map(|r| match r.origin {
            Origin::Imported => r.qualified,
            Origin::Unbound => format!("{}?", r.qualified),
            Origin::Ambiguous => format!("{}~", r.qualified),
            Origin::Relative => format!("{}@", r.qualified),
            Origin::Local => format!("{}!", r.qualified),
        })
    }

    #[test]
    fn aliases_and_from_imports() {
        assert_eq!(callee("import torch as th\nth.load(f)\n", "th.load").unwrap(), "torch.load");
        assert_eq!(callee("from torch import load as tl\ntl(f)\n", "tl").unwrap(), "torch.load");
        assert_eq!(
            callee("import torch.serialization\ntorch.serialization.load(f)\n", "torch.serialization.load").unwrap(),
            "torch.serialization.load"
        );
        assert_eq!(callee("torch.load(f)\n", "torch.load").unwrap(), "torch.load?");
        assert_eq!(callee("from .io import load\nload(f)\n", "load").unwrap(), ".io.load@");
    }

    #[test]
    fn function_local_imports_stay_in_their_function() {
        let src = "def a(p):\n    from pickle import load\n    return load(p)\n\ndef b(p):\n    from torch import load\n    return load(p)\n\ndef c(p):\n    return load(p)\n";
        let parsed = parse(src);
        let model = SemanticModel::build(parsed.syntax(), src);
        let resolved: Vec<(String, Origin)> = model
            .calls()
            .iter()
            .filter_map(|(c, _)| model.resolve_expr(&c.func))
            .map(|r| (r.qualified, r.origin))
            .collect();
        let expected = [("pickle.load", Origin::Imported), ("torch.load", Origin::Imported), ("load", Origin::Unbound)];
        assert_eq!(resolved, expected.map(|(q, o)| (q.to_owned(), o)));
    }

    #[test]
    fn parameters_and_definitions_shadow_imports() {
        let parameter = "from datasets import load_dataset\ndef f(load_dataset):\n    load_dataset('x')\n";
        assert_eq!(callee(parameter, "load_dataset").unwrap(), "load_dataset!");
        assert_eq!(
            callee("def load_dataset(x):\n    pass\nload_dataset('x')\n", "load_dataset").unwrap(),
            "load_dataset!"
        );
        let src = "from datasets import load_dataset\ndef f():\n    from modelscope import load_dataset\n    load_dataset('x')\nload_dataset('y')\n";
        assert_eq!(callee(src, "load_dataset").unwrap(), "datasets.load_dataset");
        let local = src.replace("load_dataset('y')\n", "");
        assert_eq!(callee(&local, "load_dataset").unwrap(), "modelscope.load_dataset");
    }

    #[test]
    fn class_bodies_are_invisible_to_methods() {
        let src = "import requests\nclass C:\n    requests = None\n    def f(self):\n        requests.get(u)\n";
        assert_eq!(callee(src, "requests.get").unwrap(), "requests.get");
        let src = "import requests\nclass C:\n    from httpx import get\n    get(u)\n";
        assert_eq!(callee(src, "get").unwrap(), "httpx.get");
    }

    #[test]
    fn global_and_nonlocal_move_bindings() {
        let src = "def setup():\n    global torch\n    import torch\ndef f(p):\n    return torch.load(p)\n";
        assert_eq!(callee(src, "torch.load").unwrap(), "torch.load");
        let src = "def outer():\n    load = None\n    def inner():\n        nonlocal load\n        from torch import load\n    return load(p)\n";
        assert_eq!(callee(src, "load").unwrap(), "torch.load");
    }

    #[test]
    fn placeholders_and_disagreements() {
        let src = "try:\n    import torch\nexcept ImportError:\n    torch = None\ntorch.load(p)\n";
        assert_eq!(callee(src, "torch.load").unwrap(), "torch.load");
        let src = "try:\n    import ujson as json\nexcept ImportError:\n    import json\njson.load(p)\n";
        assert_eq!(callee(src, "json.load").unwrap(), "json.load~");
        let src = "from torch import load\nload = make()\nload(p)\n";
        assert_eq!(callee(src, "load").unwrap(), "torch.load~");
    }

    #[test]
    fn comprehensions_lambdas_and_walrus() {
        let src = "import torch\nxs = [load(p) for load in loaders]\n";
        assert_eq!(callee(src, "load").unwrap(), "load!");
        let src = "from torch import load\nf = lambda load: load(p)\n";
        assert_eq!(callee(src, "load").unwrap(), "load!");
        let src = "from torch import load\nys = [(g := load) for _ in x]\ng(p)\n";
        assert_eq!(callee(src, "g").unwrap(), "g!", "a walrus binds outside the comprehension");
    }

    #[test]
    fn defaults_resolve_outside_the_function() {
        let src = "import torch\ndef f(torch=torch.load(p)):\n    pass\n";
        assert_eq!(callee(src, "torch.load").unwrap(), "torch.load");
    }

    #[test]
    fn stores_and_values() {
        let src = "import requests\nclass C:\n    def __init__(self):\n        self.s = requests.Session()\n        ckpt = {}\n        ckpt['meta'] = {'a': 1}\n";
        let parsed = parse(src);
        let model = SemanticModel::build(parsed.syntax(), src);
        let store = &model.attribute_stores()[0];
        assert_eq!((store.object, store.attr), ("self", "s"));
        assert_eq!(
            model
                .resolve_expr(store.value.and_then(|v| v.as_call_expr()).map(|c| &*c.func).unwrap())
                .unwrap()
                .qualified,
            "requests.Session"
        );
        assert_eq!(model.item_stores()[0].object, "ckpt");
        let at = TextSize::try_from(src.find("ckpt['meta']").unwrap()).unwrap();
        assert_eq!(model.assigned_values("ckpt", at).unwrap().len(), 1);
    }

    #[test]
    fn type_checking_imports_are_marked() {
        let src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\n";
        let parsed = parse(src);
        let model = SemanticModel::build(parsed.syntax(), src);
        let id = model.bindings_in(0, "httpx")[0];
        assert!(model.binding(id).type_checking);
    }

    #[test]
    fn long_chains_resolve_without_recursion() {
        let src = format!("import torch as t\nt{}.load(f)\n", ".a".repeat(100_000));
        let result = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || {
                let parsed = parse(&src);
                let model = SemanticModel::build(parsed.syntax(), &src);
                model.resolve_expr(&model.calls()[0].0.func).map(|r| r.qualified.len())
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(result, Some("torch".len() + 2 * 100_000 + ".load".len()));
    }
}
