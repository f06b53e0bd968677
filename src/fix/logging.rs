//! The fix of the except rules: a swallowed exception becomes a `debug`
//! call on the module's logger (followed by the `continue` it replaced),
//! binding the exception under a free name when the handler does not, and
//! defining the logger when the module has none.
//!
//! Names are chosen with the file's semantic model, so the fix never uses a
//! name before the module binds it at import time, never shadows one, and
//! never logs from inside the logging machinery itself.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use tree_sitter::Node;

use crate::fix::edit::{Edit, Fix};
use crate::fix::import::{add_import, insert_after};
use crate::python::except_clause::{ExceptHandler, Swallow};
use crate::python::flow::bound_in_time;
use crate::python::imports::{import_block, only_binds_module};
use crate::python::lines::{line_indent, starts_its_line};
use crate::python::model::{BindingKind, Lookup, ScopeId, ScopeKind, SemanticModel};
use crate::python::parse::text_size;
use crate::rules::FileContext;

/// Module-level names we use for an existing logger before any other.
const PREFERRED_LOGGERS: &[&str] = &["logger", "log", "LOGGER"];

/// Methods of logging handlers, filters and formatters: a log call there
/// can re-enter the handler that is running.
const LOGGING_HOOKS: &[&str] = &[
    "emit",
    "filter",
    "format",
    "formatTime",
    "formatException",
    "formatStack",
    "handle",
    "handleError",
    "flush",
    "close",
];

/// The edits that log the exception instead of swallowing it, or why not.
pub(crate) fn log_instead(
    cx: &FileContext<'_>,
    handler: &ExceptHandler<'_>,
    swallow: Swallow,
    statement: Node<'_>,
) -> Result<Fix, String> {
    if handler.types.len() > 1 {
        return Err("`except A, B:` cannot bind the exception without parentheses; write `except (A, B):`".into());
    }
    let at = text_size(handler.node.start_byte());
    let place = Place::of(cx.model, at);
    place.refuse_logging_machinery(cx.model)?;
    let logger = LoggerPlan::choose(cx, handler, &place)?;
    let mut edits = logger.edits;
    let exc = match handler.alias {
        Some(alias) => cx.text(alias).to_owned(),
        None => {
            let clashing = names_clashing_with_handler(cx, &place, handler);
            let name = fresh_name("exc", &|n: &str| clashing.contains(n));
            edits.push(bind_exception(handler, &name));
            name
        }
    };
    let what = match swallow {
        Swallow::Pass => "Ignored exception",
        Swallow::Continue => "Skipping iteration after exception",
    };
    let call = match logger.api {
        LoggerApi::Stdlib => {
            format!("{}.debug(\"{what} {}: %r\", {exc}, exc_info=True)", logger.name, place.describe())
        }
        // loguru formats with `str.format` and takes the exception through `opt`.
        LoggerApi::Loguru => format!(
            "{}.opt(exception={exc}).debug(\"{what} {}: {{!r}}\", {exc})",
            logger.name,
            place.describe().replace('{', "{{").replace('}', "}}")
        ),
    };
    edits.push(replace_body(cx, handler, swallow, statement, call));
    Ok(Fix::unsafe_(edits).titled(format!("log the exception with `{}.debug`", logger.name)))
}

/// `except E:` → `except E as NAME:`; a bare `except:` becomes `except
/// BaseException as NAME:`, which catches what it caught before.
fn bind_exception(handler: &ExceptHandler<'_>, name: &str) -> Edit {
    match handler.types.first() {
        Some(t) => Edit::insert(t.end_byte(), format!(" as {name}")),
        None => {
            Edit::replace(handler.keyword.end_byte()..handler.colon.start_byte(), format!(" BaseException as {name}"))
        }
    }
}

/// The edit that puts `call` where the lone `pass`, `...` or `continue` is.
fn replace_body(
    cx: &FileContext<'_>,
    handler: &ExceptHandler<'_>,
    swallow: Swallow,
    statement: Node<'_>,
    call: String,
) -> Edit {
    let newline = cx.newline;
    let own_line = starts_its_line(cx.src, statement.start_byte());
    let indent = if own_line { line_indent(cx.src, statement.start_byte()) } else { body_indent(cx.src, handler) };
    let body = match swallow {
        Swallow::Pass => call,
        Swallow::Continue => format!("{call}{newline}{indent}"),
    };
    match (own_line, swallow) {
        (true, Swallow::Pass) => Edit::replace(statement.byte_range(), body),
        (true, Swallow::Continue) => Edit::insert(statement.start_byte(), body),
        // `except Exception: pass` on one line: the body moves to its own line.
        (false, Swallow::Pass) => {
            Edit::replace(handler.colon.end_byte()..statement.end_byte(), format!("{newline}{indent}{body}"))
        }
        (false, Swallow::Continue) => {
            Edit::replace(handler.colon.end_byte()..statement.start_byte(), format!("{newline}{indent}{body}"))
        }
    }
}

/// The indentation for a body written on the `except` line once it moves
/// to its own line: one level deeper than the `except`, in the file's unit.
fn body_indent(src: &str, handler: &ExceptHandler<'_>) -> String {
    let outer = line_indent(src, handler.node.start_byte());
    // The `try:` body shows the unit when it sits on its own line.
    let try_body = handler
        .node
        .parent()
        .and_then(|t| t.child_by_field_name("body"))
        .and_then(|b| b.named_children(&mut b.walk()).find(|n| n.kind() != "comment"))
        .filter(|s| starts_its_line(src, s.start_byte()));
    if let Some(s) = try_body {
        let inner = line_indent(src, s.start_byte());
        if inner.len() > outer.len() && inner.starts_with(&outer) {
            return inner;
        }
    }
    let unit = if outer.contains('\t') { "\t" } else { "    " };
    format!("{outer}{unit}")
}

// ------------------------------------------------------------------ place

/// Where the handler is: the functions and classes around it, innermost
/// first, and its offset.
struct Place<'m, 'a> {
    model: &'m SemanticModel<'a>,
    at: TextSize,
    chain: Vec<ScopeId>,
}

impl<'m, 'a> Place<'m, 'a> {
    fn of(model: &'m SemanticModel<'a>, at: TextSize) -> Place<'m, 'a> {
        let chain = model
            .ancestors(model.scope_at(at))
            .filter(|&s| matches!(model.scope(s).kind, ScopeKind::Function(_) | ScopeKind::Class(_)))
            .collect();
        Place { model, at, chain }
    }

    /// Runs when the module is imported: not inside any function.
    fn at_import_time(&self) -> bool {
        !self.chain.iter().any(|&s| matches!(self.model.scope(s).kind, ScopeKind::Function(_)))
    }

    /// The function (or the module) whose local names the handler shares.
    fn local_scope(&self) -> ScopeId {
        self.model.enclosing_function(self.model.scope_at(self.at)).unwrap_or(0)
    }

    /// `in load()`, `in Config.load()`, `in class Config`, `at module level`.
    fn describe(&self) -> String {
        let name = |s: ScopeId| match self.model.scope(s).kind {
            ScopeKind::Function(f) => f.name.as_str().to_owned(),
            ScopeKind::Class(c) => c.name.as_str().to_owned(),
            _ => "?".to_owned(),
        };
        let kinds: Vec<(ScopeId, bool)> =
            self.chain.iter().map(|&s| (s, matches!(self.model.scope(s).kind, ScopeKind::Class(_)))).collect();
        match (kinds.first(), kinds.get(1)) {
            (None, _) => "at module level".to_owned(),
            (Some(&(c, true)), _) => format!("in class {}", name(c)),
            (Some(&(f, false)), Some(&(c, true))) => format!("in {}.{}()", name(c), name(f)),
            (Some(&(f, false)), _) => format!("in {}()", name(f)),
        }
    }

    /// Logging from a logging handler, filter or formatter can recurse into
    /// itself; logging from `__del__` can run during interpreter shutdown.
    fn refuse_logging_machinery(&self, model: &SemanticModel<'_>) -> Result<(), String> {
        for pair in self.chain.windows(2).chain(self.chain.last().map(std::slice::from_ref)) {
            let ScopeKind::Function(f) = model.scope(pair[0]).kind else { continue };
            if f.name.as_str() == "__del__" {
                return Err(
                    "the handler is in `__del__`, which may run while logging shuts down; review it by hand".into()
                );
            }
            let class = pair.get(1).and_then(|&c| match model.scope(c).kind {
                ScopeKind::Class(class) => Some(class),
                _ => None,
            });
            if LOGGING_HOOKS.contains(&f.name.as_str()) && class.is_some_and(|c| extends_logging(model, c)) {
                return Err(format!(
                    "the handler is in `{}.{}`, part of the logging machinery, where logging can recurse; review it by hand",
                    class.map_or("?", |c| c.name.as_str()),
                    f.name.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// Does the class derive from something in `logging` (a handler, filter,
/// formatter, adapter), or from a class named like one?
fn extends_logging(model: &SemanticModel<'_>, class: &ast::StmtClassDef) -> bool {
    class.bases().iter().any(|base| {
        let resolved = model.resolve_expr(base);
        resolved.as_ref().is_some_and(|r| r.package() == "logging")
            || ["Handler", "Filter", "Formatter", "Adapter"].iter().any(|s| {
                resolved
                    .as_ref()
                    .map_or_else(|| expr_name(base).is_some_and(|n| n.ends_with(s)), |r| r.last().ends_with(s))
            })
    })
}

fn expr_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.as_str()),
        _ => None,
    }
}

// ------------------------------------------------------------------ names

/// `base`, else `base_1`, `base_2`, ... whichever is not used.
fn fresh_name(base: &str, used: &dyn Fn(&str) -> bool) -> String {
    if !used(base) {
        return base.to_owned();
    }
    (1..).map(|i| format!("{base}_{i}")).find(|n| !used(n.as_str())).unwrap_or_else(|| base.to_owned())
}

/// The names a new `except ... as NAME` in `handler` must avoid. Python
/// deletes NAME when the handler ends, so it must not hold anything else in
/// the handler's function (or module). A name used only inside other
/// handlers that bind it themselves (`except E as exc: print(exc)`) is
/// free, unless one of them encloses `handler`.
fn names_clashing_with_handler(cx: &FileContext<'_>, place: &Place<'_, '_>, handler: &ExceptHandler<'_>) -> Clashing {
    let model = cx.model;
    let scope = place.local_scope();
    let memo = cx.memo.get(ScopeNames::default);
    let in_scope = memo.0.borrow_mut().entry(scope).or_insert_with(|| Rc::new(names_in_scope(model, scope))).clone();
    let target = TextRange::new(text_size(handler.node.start_byte()), text_size(handler.node.end_byte()));
    let mut around = HashSet::new();
    for (other, _) in model.handlers() {
        if other.range.contains_range(target) && other.range != target {
            around.extend(other.name.as_ref().map(|n| n.as_str().to_owned()));
        }
    }
    Clashing { in_scope, around }
}

/// The names of [`names_clashing_with_handler`]: those of the scope, and
/// those the handlers around it bind.
struct Clashing {
    in_scope: Rc<HashSet<String>>,
    around: HashSet<String>,
}

impl Clashing {
    fn contains(&self, name: &str) -> bool {
        self.in_scope.contains(name) || self.around.contains(name)
    }
}

/// Per scope, the names a new handler name there must avoid: found once
/// per scope, not once per handler (a generated module can hold thousands).
#[derive(Default)]
struct ScopeNames(RefCell<HashMap<ScopeId, Rc<HashSet<String>>>>);

fn names_in_scope(model: &SemanticModel<'_>, scope: ScopeId) -> HashSet<String> {
    let mut names = Names::default();
    match model.scope(scope).kind {
        ScopeKind::Function(f) => names.visit_function_whole(f),
        _ => names.visit_body(&model.module.body),
    }
    names.used.into_iter().map(str::to_owned).collect()
}

/// Every identifier in a body except attribute and keyword names, and
/// except names used only inside a handler that binds them itself.
#[derive(Default)]
struct Names<'a> {
    used: HashSet<&'a str>,
    bound_by_handlers: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn add(&mut self, name: &'a str) {
        if !self.bound_by_handlers.contains(&name) {
            self.used.insert(name);
        }
    }

    fn visit_function_whole(&mut self, f: &'a ast::StmtFunctionDef) {
        self.add(f.name.as_str());
        for p in f.parameters.iter() {
            self.add(p.name().as_str());
        }
        self.visit_body(&f.body);
    }
}

impl<'a> Visitor<'a> for Names<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                self.visit_function_whole(f);
                return;
            }
            Stmt::ClassDef(c) => self.add(c.name.as_str()),
            Stmt::Import(i) => {
                for alias in &i.names {
                    let local = alias
                        .asname
                        .as_ref()
                        .map_or_else(|| alias.name.as_str().split('.').next(), |a| Some(a.as_str()));
                    self.used.extend(local);
                }
            }
            Stmt::ImportFrom(i) => {
                self.used.extend(i.names.iter().map(|a| a.asname.as_ref().unwrap_or(&a.name).as_str()))
            }
            Stmt::Global(g) => self.used.extend(g.names.iter().map(|n| n.as_str())),
            Stmt::Nonlocal(n) => self.used.extend(n.names.iter().map(|n| n.as_str())),
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) => self.add(n.id.as_str()),
            Expr::Attribute(_) => {
                let mut current = expr;
                while let Expr::Attribute(a) = current {
                    current = &a.value;
                }
                self.visit_expr(current);
            }
            Expr::Lambda(l) => {
                for p in l.parameters.iter().flat_map(|p| p.iter()) {
                    self.add(p.name().as_str());
                }
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        let bound = h.name.as_ref().map(|n| n.as_str());
        self.bound_by_handlers.extend(bound);
        visitor::walk_except_handler(self, handler);
        if bound.is_some() {
            self.bound_by_handlers.pop();
        }
    }
}

// ------------------------------------------------------------------ logger

/// The logger a fix writes to, and the edits that define it if needed.
struct LoggerPlan {
    name: String,
    api: LoggerApi,
    edits: Vec<Edit>,
}

/// How a logger is called: `logging`'s API (which structlog's loggers also
/// take: `%` arguments, `exc_info=True`), or loguru's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoggerApi {
    Stdlib,
    Loguru,
}

impl LoggerPlan {
    fn choose(cx: &FileContext<'_>, handler: &ExceptHandler<'_>, place: &Place<'_, '_>) -> Result<LoggerPlan, String> {
        let model = cx.model;
        let at = text_size(handler.node.start_byte());
        let mut existing = module_loggers(model);
        existing.sort_by_key(|(name, _, _)| {
            PREFERRED_LOGGERS.iter().position(|p| p == name).unwrap_or(PREFERRED_LOGGERS.len())
        });
        let usable = existing.into_iter().find(|(name, definition, _)| {
            let bound = model.bindings_in(0, name).first().map(|&id| model.binding(id).range);
            visible_from_module(model, name, at)
                && bound.is_some_and(|b| bound_in_time(model, definition.range(), b, at))
        });
        if let Some((name, _, api)) = usable {
            return Ok(LoggerPlan { name: name.to_owned(), api, edits: Vec::new() });
        }
        new_logger(cx, at, place)
    }
}

/// Does `name`, where the handler is, mean the module's own binding?
fn visible_from_module(model: &SemanticModel<'_>, name: &str, at: TextSize) -> bool {
    matches!(model.lookup(name, at), Lookup::Bound { scope: 0, .. })
}

/// The module's loggers, bound nowhere else, in file order, whatever their
/// name: `NAME = logging.getLogger(...)` (or a `...logging.get_logger` such
/// as transformers' and accelerate's, or structlog's `get_logger`), with or
/// without an annotation; loguru's `from loguru import logger` (or
/// `NAME = logger.bind(...)`); and a logger imported from another module
/// under a logger's name (`from .log import logger`, `from litellm._logging
/// import verbose_logger`).
fn module_loggers<'a>(model: &SemanticModel<'a>) -> Vec<(&'a str, &'a Stmt, LoggerApi)> {
    let mut found = Vec::new();
    for statement in &model.module.body {
        let candidates: Vec<(&str, LoggerApi)> = match statement {
            Stmt::Assign(assign) => match (&assign.targets[..], assign.value.as_ref()) {
                ([Expr::Name(target)], Expr::Call(call)) => {
                    factory_api(model, &call.func).map(|api| (target.id.as_str(), api)).into_iter().collect()
                }
                _ => Vec::new(),
            },
            Stmt::AnnAssign(assign) => match (assign.target.as_ref(), assign.value.as_deref()) {
                (Expr::Name(target), Some(Expr::Call(call))) => {
                    factory_api(model, &call.func).map(|api| (target.id.as_str(), api)).into_iter().collect()
                }
                _ => Vec::new(),
            },
            Stmt::ImportFrom(import) => imported_loggers(import),
            _ => Vec::new(),
        };
        for (name, api) in candidates {
            if model.bindings_in(0, name).len() == 1 {
                found.push((name, statement, api));
            }
        }
    }
    found
}

/// Every name the module uses, found once per file.
struct ModuleNamesUsed(HashSet<String>);

/// The API of the logger a call of `func` returns, if it makes one.
fn factory_api(model: &SemanticModel<'_>, func: &Expr) -> Option<LoggerApi> {
    let q = model.resolve_expr(func)?.qualified;
    let stdlib = ["logging.getLogger", "logging.get_logger", "structlog.get_logger", "structlog.getLogger"];
    if stdlib.contains(&q.as_str()) || q.ends_with(".logging.get_logger") || q == "structlog.stdlib.get_logger" {
        return Some(LoggerApi::Stdlib);
    }
    (q == "loguru.logger.bind").then_some(LoggerApi::Loguru)
}

/// The names `from ... import ...` binds that are loggers: loguru's, or
/// one named as a logger (`logger`, `LOGGER`, `*_logger`, `*_LOGGER`) from
/// a module outside the standard library.
fn imported_loggers(import: &ast::StmtImportFrom) -> Vec<(&str, LoggerApi)> {
    let module = import.module.as_ref().map_or("", |m| m.as_str());
    if import.level == 0 && crate::python::stdlib::is_stdlib(module) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for alias in &import.names {
        let local = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
        let imported = alias.name.as_str();
        if import.level == 0 && module == "loguru" && imported == "logger" {
            found.push((local, LoggerApi::Loguru));
        } else if is_logger_name(imported) && is_logger_name(local) {
            found.push((local, LoggerApi::Stdlib));
        }
    }
    found
}

fn is_logger_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "logger" || lower.ends_with("_logger")
}

/// `logger = logging.getLogger(__name__)` under a free name, with `import
/// logging` when the module has none.
fn new_logger(cx: &FileContext<'_>, at: TextSize, place: &Place<'_, '_>) -> Result<LoggerPlan, String> {
    let model = cx.model;
    let used = cx.memo.get(|| ModuleNamesUsed(model.names_used().into_iter().map(str::to_owned).collect()));
    let used = &used.0;
    let name = ["logger".to_owned(), "_logger".to_owned()]
        .into_iter()
        .chain((1..).map(|i| format!("_logger_{i}")))
        .find(|n| !used.contains(n.as_str()))
        .unwrap_or_else(|| "_logger".to_owned());
    let newline = cx.newline;
    let body = &model.module.body;
    let edit = match stdlib_logging_import(model) {
        Some((reference, statement)) => {
            let block = import_block(body).last_import;
            let anchor = match block {
                Some(last) if last.end() > statement.end() => last,
                _ => statement,
            };
            if place.at_import_time() && anchor.end() > at {
                return Err("the module imports `logging` only after this handler runs".into());
            }
            insert_after(anchor, cx.src, newline, &format!("{name} = {reference}.getLogger(__name__)"))?
        }
        None => {
            // `logging` may name something else here (a relative import, a
            // star import); an alias keeps ours apart.
            let plain = !used.contains("logging") || only_binds_module(model, "logging");
            let reference =
                if plain { "logging".to_owned() } else { fresh_name("_logging", &|n: &str| used.contains(n)) };
            let import = if plain { "import logging".to_owned() } else { format!("import logging as {reference}") };
            // The import joins the standard-library group; the logger
            // follows the whole import block.
            let import = add_import(body, cx.src, newline, &import)?;
            let logger = add_import(body, cx.src, newline, &format!("{name} = {reference}.getLogger(__name__)"))?;
            if import.range == logger.range {
                Edit::replace(import.range, format!("{}{}", import.text, logger.text))
            } else {
                return Ok(LoggerPlan { name, api: LoggerApi::Stdlib, edits: vec![import, logger] });
            }
        }
    };
    Ok(LoggerPlan { name, api: LoggerApi::Stdlib, edits: vec![edit] })
}

/// The module's own top-level `import logging` (or `as X`): the name it
/// binds, when nothing else binds that name at module level, and the statement.
fn stdlib_logging_import<'a>(model: &SemanticModel<'a>) -> Option<(&'a str, &'a Stmt)> {
    for statement in &model.module.body {
        let Stmt::Import(import) = statement else { continue };
        for alias in &import.names {
            let module = alias.name.as_str();
            let reference = match &alias.asname {
                Some(asname) => asname.as_str(),
                None => module.split('.').next().unwrap_or(module),
            };
            let is_logging = module == "logging" || (module.starts_with("logging.") && reference == "logging");
            let only_this = model.bindings_in(0, reference).iter().all(|&id| {
                matches!(model.binding(id).kind, BindingKind::Import { module: m, member: None } if m == module || m == "logging")
            });
            if is_logging && only_this {
                return Some((reference, statement));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::python::parse::{parse_module, parse_tree, PythonVersion};
    use crate::rules::Memo;

    fn handlers(node: Node<'_>) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "except_clause" {
                out.push(n);
            }
            stack.extend(n.children(&mut n.walk()));
        }
        out.sort_by_key(|n| n.start_byte());
        out
    }

    /// The logging fix of the first swallowing handler of `src`, applied.
    fn fixed(src: &str) -> Result<String, String> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parse_tree(&mut parser, src, None).unwrap();
        let parsed = parse_module(src, PythonVersion::latest());
        let model = SemanticModel::build(parsed.syntax(), src);
        let config = Config::default();
        let cx = FileContext {
            src,
            model: &model,
            tree: &tree,
            config: &config,
            index: crate::pipeline::index::ProjectIndex::empty(),
            module: "",
            newline: "\n",
            target: PythonVersion::latest(),
            memo: Memo::default(),
        };
        let h = handlers(tree.root_node())
            .into_iter()
            .filter_map(ExceptHandler::new)
            .find(|h| h.swallows().is_some())
            .unwrap();
        let (swallow, statement) = h.swallows().unwrap();
        let fix = log_instead(&cx, &h, swallow, statement)?;
        let out = crate::fix::edit::apply(src, &fix.edits).unwrap();
        assert!(parse_module(&out, PythonVersion::latest()).has_valid_syntax(), "does not parse:\n{out}");
        Ok(out)
    }

    #[test]
    fn adds_logger_after_imports_and_binds_a_free_name() {
        assert_eq!(
            fixed("import os\n\ndef f(exc):\n    try:\n        x()\n    except Exception:\n        pass  # why\n").unwrap(),
            "import os\nimport logging\nlogger = logging.getLogger(__name__)\n\ndef f(exc):\n    try:\n        x()\n    except Exception as exc_1:\n        logger.debug(\"Ignored exception in f(): %r\", exc_1, exc_info=True)  # why\n"
        );
    }

    #[test]
    fn uses_existing_logger_unless_shadowed() {
        let src = "import logging\nlog = logging.getLogger(__name__)\ndef f():\n    try:\n        x()\n    except:\n        pass\n";
        assert!(fixed(src).unwrap().contains("except BaseException as exc:\n        log.debug("));
        let shadowed = "import logging\nlogger = logging.getLogger(__name__)\ndef f(logger):\n    try:\n        x()\n    except Exception: pass\n";
        let out = fixed(shadowed).unwrap();
        assert!(out.contains("_logger = logging.getLogger(__name__)\n"), "{out}");
        assert!(out.contains("    except Exception as exc:\n        _logger.debug("), "{out}");
    }

    #[test]
    fn foreign_logging_name_gets_an_alias() {
        let src = "from .utils import logging\n\nfor a in b:\n    try:\n        x()\n    except Exception:\n        continue\n";
        let out = fixed(src).unwrap();
        // The import joins a standard-library group before the relative one.
        let head = "import logging as _logging\n\nfrom .utils import logging\nlogger = _logging.getLogger(__name__)\n";
        assert!(out.starts_with(head), "{out}");
        assert!(
            out.contains("        logger.debug(\"Skipping iteration after exception at module level: %r\", exc, exc_info=True)\n        continue\n"),
            "{out}"
        );
    }

    #[test]
    fn logger_defined_later_is_used_only_when_nothing_runs_before_it() {
        let src = "import logging\ntry:\n    x()\nexcept Exception:\n    pass\nlogger = logging.getLogger(__name__)\n";
        let out = fixed(src).unwrap();
        assert!(out.starts_with("import logging\n_logger = logging.getLogger(__name__)\n"), "{out}");
        let later = "import logging\ndef f():\n    try:\n        x()\n    except Exception:\n        pass\nlogger = logging.getLogger(__name__)\n";
        assert!(fixed(later).unwrap().contains("        logger.debug("));
        let called = "import logging\ndef f():\n    try:\n        x()\n    except Exception:\n        pass\nf()\nlogger = logging.getLogger(__name__)\n";
        let out = fixed(called).unwrap();
        assert!(out.contains("        _logger.debug(") && out.starts_with("import logging\n_logger = "), "{out}");
    }

    #[test]
    fn never_inside_the_logging_machinery() {
        let filter = "import logging\nclass Quiet(logging.Filter):\n    def filter(self, record):\n        try:\n            x()\n        except Exception:\n            pass\n        return True\n";
        assert!(fixed(filter).unwrap_err().contains("logging machinery"));
        let del = "class C:\n    def __del__(self):\n        try:\n            x()\n        except Exception:\n            pass\n";
        assert!(fixed(del).unwrap_err().contains("__del__"));
    }

    #[test]
    fn names_bound_by_sibling_handlers_are_reused_but_not_by_enclosing_ones() {
        let sibling = "def f():\n    try:\n        x()\n    except Exception:\n        pass\n    try:\n        y()\n    except ValueError as exc:\n        print(exc)\n";
        assert!(fixed(sibling).unwrap().contains("except Exception as exc:\n"));
        let enclosing = "def f():\n    try:\n        x()\n    except ValueError as exc:\n        try:\n            y()\n        except Exception:\n            pass\n        print(exc)\n";
        assert!(fixed(enclosing).unwrap().contains("except Exception as exc_1:\n"));
        let elsewhere = "def f(exc):\n    try:\n        x()\n    except Exception:\n        pass\n";
        assert!(fixed(elsewhere).unwrap().contains("except Exception as exc_1:\n"));
    }

    #[test]
    fn a_form_feed_before_the_body_keeps_its_indentation() {
        let src = "for a in b:\n    try:\n        x()\n    except Exception:\n\x0c        continue\n";
        let out = fixed(src).unwrap();
        assert!(out.contains("exc_info=True)\n        continue\n"), "{out:?}");
    }
}
