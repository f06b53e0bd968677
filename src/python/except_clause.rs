//! What the three exception-handler rules share: a view of one `except`
//! clause, which exception types count as "everything", and the fix that
//! turns a swallowed exception into a logging call (finding or adding the
//! module's logger, binding the exception under a free name).

use std::collections::HashSet;

use tree_sitter::Node;

use crate::fix::edit::{Edit, Fix};
use crate::python::call::{line_end, line_indent, starts_its_line, text};
use crate::python::imports::add_import;
use crate::rules::{Captures, FileContext, Finding, RuleMeta};

/// The types a handler may name that catch every ordinary exception.
const BROAD_TYPES: &[&str] = &["Exception", "BaseException", "builtins.Exception", "builtins.BaseException"];

/// Module-level names we use for an existing logger before any other.
const PREFERRED_LOGGERS: &[&str] = &["logger", "log", "LOGGER"];

/// One `except` (or `except*`) clause, taken apart.
#[derive(Debug, Clone)]
pub struct ExceptHandler<'t> {
    pub node: Node<'t>,
    /// The `except` keyword.
    pub keyword: Node<'t>,
    /// `except*` (a handler of exception groups).
    pub star: bool,
    /// The exception types as written: none for a bare `except:`, one
    /// expression (possibly a tuple), or several for `except A, B:`.
    pub types: Vec<Node<'t>>,
    /// The name after `as`.
    pub alias: Option<Node<'t>>,
    pub colon: Node<'t>,
    /// The statements of the body, comments left out.
    pub statements: Vec<Node<'t>>,
}

/// How a handler swallows the exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swallow {
    /// `pass` or `...`
    Pass,
    /// `continue`
    Continue,
}

impl<'t> ExceptHandler<'t> {
    /// `node` must be an `except_clause`.
    pub fn new(node: Node<'t>) -> Option<ExceptHandler<'t>> {
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

    pub fn is_bare(&self) -> bool {
        self.types.is_empty()
    }

    /// Does the body re-raise with a bare `raise` as one of its own
    /// statements (not nested in an `if`)? ruff's E722 exempts such handlers.
    pub fn reraises(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.kind() == "raise_statement" && s.named_children(&mut s.walk()).all(|c| c.kind() == "comment"))
    }

    /// Does the handler catch `Exception` or `BaseException`: bare, either
    /// name (also as `builtins.X`, and literally spelt even if rebound, as
    /// Bandit reads it), or a tuple holding one?
    pub fn catches_broadly(&self, cx: &FileContext<'_>) -> bool {
        self.is_bare() || self.types.iter().any(|t| is_broad(*t, cx))
    }

    /// The lone `pass`, `...` or `continue` that makes up the whole body.
    pub fn swallows(&self) -> Option<(Swallow, Node<'t>)> {
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
    pub fn header(&self, src: &str) -> String {
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
    pub fn finding(&self, meta: &'static RuleMeta, message: impl Into<String>) -> Finding {
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
                || cx.imports.resolve(node, cx.src).is_some_and(|q| BROAD_TYPES.contains(&q.as_str()))
        }
        _ => false,
    }
}

/// The finding of `except-pass` / `except-continue`: a handler of every
/// exception (of any, with `--strict-except`) whose whole body is one
/// `expected` statement, with the logging fix or the reason it has none.
pub fn swallowed_exception(
    cx: &FileContext<'_>,
    captures: &Captures<'_, '_>,
    meta: &'static RuleMeta,
    expected: Swallow,
) -> Option<Finding> {
    let handler = ExceptHandler::new(captures.get("handler")?)?;
    let (swallow, statement) = handler.swallows()?;
    if swallow != expected || !(cx.config.strict_except || handler.catches_broadly(cx)) {
        return None;
    }
    let header = handler.header(cx.src);
    let body = text(statement, cx.src);
    let message = match swallow {
        Swallow::Pass => format!("`{header}` with only `{body}` hides every failure; log the exception or handle it"),
        Swallow::Continue => {
            format!("`{header}` with only `continue` skips failures silently; log the exception or handle it")
        }
    };
    let finding = handler.finding(meta, message);
    Some(match logging_fix(cx, &handler, swallow, statement) {
        Ok(fix) => finding.with_fix(fix),
        Err(reason) => finding.not_fixed(reason),
    })
}

/// The edits that make `except:` catch `Exception` only.
pub fn narrow_bare_except(handler: &ExceptHandler<'_>) -> Edit {
    Edit::replace(handler.keyword.end_byte()..handler.colon.start_byte(), " Exception")
}

/// The fix that replaces a lone `pass` / `...` / `continue` with a logging
/// call (followed by the `continue`), binding the exception when the
/// handler does not, and defining the module's logger when it has none.
/// `Err` is the reason no fix is offered.
fn logging_fix(
    cx: &FileContext<'_>,
    handler: &ExceptHandler<'_>,
    swallow: Swallow,
    statement: Node<'_>,
) -> Result<Fix, String> {
    if handler.types.len() > 1 {
        return Err("`except A, B:` cannot bind the exception without parentheses; write `except (A, B):`".into());
    }
    let scopes = Scopes::of(handler.node);
    let logger = LoggerPlan::choose(cx, handler.node, &scopes)?;
    let mut edits = logger.edits.clone();

    let exc = match handler.alias {
        Some(alias) => text(alias, cx.src).to_owned(),
        None => {
            let scope = scopes.innermost().unwrap_or(cx.tree.root_node());
            let name = fresh_name("exc", &names_clashing_with_handler(handler.node, scope, cx.src));
            let insert = match handler.types.first() {
                Some(t) => Edit::insert(t.end_byte(), format!(" as {name}")),
                // A bare `except:` can only bind with a type; `BaseException`
                // is what it catches today (`bare-except` narrows it).
                None => Edit::replace(
                    handler.keyword.end_byte()..handler.colon.start_byte(),
                    format!(" BaseException as {name}"),
                ),
            };
            edits.push(insert);
            name
        }
    };

    let what = match swallow {
        Swallow::Pass => "Ignored exception",
        Swallow::Continue => "Skipping iteration after exception",
    };
    let call = format!("{}.debug(\"{what} {}: %r\", {exc}, exc_info=True)", logger.name, scopes.describe(cx.src));
    let newline = cx.newline;
    let own_line = starts_its_line(cx.src, statement.start_byte());
    let indent =
        if own_line { line_indent(cx.src, statement.start_byte()).to_owned() } else { body_indent(cx.src, handler) };
    let body = match swallow {
        Swallow::Pass => call,
        Swallow::Continue => format!("{call}{newline}{indent}"),
    };
    edits.push(match (own_line, swallow) {
        (true, Swallow::Pass) => Edit::replace(statement.byte_range(), body),
        (true, Swallow::Continue) => Edit::insert(statement.start_byte(), body),
        // `except Exception: pass` on one line: the body moves to its own line.
        (false, Swallow::Pass) => {
            Edit::replace(handler.colon.end_byte()..statement.end_byte(), format!("{newline}{indent}{body}"))
        }
        (false, Swallow::Continue) => {
            Edit::replace(handler.colon.end_byte()..statement.start_byte(), format!("{newline}{indent}{body}"))
        }
    });
    Ok(Fix::unsafe_(edits).titled(format!("log the exception with `{}.debug`", logger.name)))
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
        if inner.len() > outer.len() && inner.starts_with(outer) {
            return inner.to_owned();
        }
    }
    let unit = if outer.contains('\t') { "\t" } else { "    " };
    format!("{outer}{unit}")
}

// ------------------------------------------------------------------ scopes

/// The functions and classes around a node, innermost first.
struct Scopes<'t> {
    chain: Vec<Node<'t>>,
}

impl<'t> Scopes<'t> {
    fn of(node: Node<'t>) -> Scopes<'t> {
        let mut chain = Vec::new();
        let mut current = node.parent();
        while let Some(n) = current {
            if matches!(n.kind(), "function_definition" | "class_definition") {
                chain.push(n);
            }
            current = n.parent();
        }
        Scopes { chain }
    }

    fn innermost(&self) -> Option<Node<'t>> {
        self.chain.first().copied()
    }

    /// Runs at import time: not inside any function.
    fn at_import_time(&self) -> bool {
        !self.chain.iter().any(|n| n.kind() == "function_definition")
    }

    /// The scopes whose local names a name in the handler would see: every
    /// enclosing function, and the class body when the handler sits
    /// directly in it (methods do not see their class's names).
    fn visible(&self) -> impl Iterator<Item = Node<'t>> + '_ {
        self.chain.iter().enumerate().filter(|(i, n)| n.kind() == "function_definition" || *i == 0).map(|(_, n)| *n)
    }

    /// `load()`, `Config.load()`, `class Config`, `module level`.
    fn describe(&self, src: &str) -> String {
        let name = |n: Node<'_>| n.child_by_field_name("name").map_or("?", |id| text(id, src)).to_owned();
        match (self.chain.first(), self.chain.get(1)) {
            (None, _) => "at module level".to_owned(),
            (Some(&c), _) if c.kind() == "class_definition" => format!("in class {}", name(c)),
            (Some(&f), Some(&c)) if c.kind() == "class_definition" => format!("in {}.{}()", name(c), name(f)),
            (Some(&f), _) => format!("in {}()", name(f)),
        }
    }
}

/// Names a new binding could collide with in `scope`: every identifier in
/// it except attribute names (`self.exc`) and keyword argument names.
fn names_used<'s>(scope: Node<'_>, src: &'s str) -> HashSet<&'s str> {
    let mut used = HashSet::new();
    let mut stack = vec![scope];
    while let Some(node) = stack.pop() {
        if node.kind() == "identifier" {
            if !is_attribute_or_keyword_name(node) {
                used.insert(text(node, src));
            }
            continue;
        }
        stack.extend(node.children(&mut node.walk()));
    }
    used
}

/// The names a new `except ... as NAME` in `handler` must avoid. Python
/// deletes NAME when the handler ends, so it must not hold anything else
/// in `scope`. A name used only inside other handlers that bind it
/// themselves (`except E as exc: print(exc)`) is free, unless one of them
/// encloses `handler`.
fn names_clashing_with_handler<'s>(handler: Node<'_>, scope: Node<'_>, src: &'s str) -> HashSet<&'s str> {
    let mut used = HashSet::new();
    let mut stack: Vec<(Node<'_>, Vec<&'s str>)> = vec![(scope, Vec::new())];
    while let Some((node, mut bound_here)) = stack.pop() {
        if node.kind() == "identifier" {
            let name = text(node, src);
            if !bound_here.contains(&name) && !is_attribute_or_keyword_name(node) {
                used.insert(name);
            }
            continue;
        }
        if let Some(alias) = ExceptHandler::new(node).and_then(|h| h.alias) {
            bound_here.push(text(alias, src));
        }
        stack.extend(node.children(&mut node.walk()).map(|c| (c, bound_here.clone())));
    }
    let mut current = handler.parent();
    while let Some(n) = current.filter(|n| n.id() != scope.id()) {
        used.extend(ExceptHandler::new(n).and_then(|h| h.alias).map(|a| text(a, src)));
        current = n.parent();
    }
    used
}

/// `x` in `a.x` or in `f(x=1)`: not a variable.
fn is_attribute_or_keyword_name(node: Node<'_>) -> bool {
    node.parent().is_some_and(|p| {
        (p.kind() == "attribute" && p.child_by_field_name("attribute") == Some(node))
            || (p.kind() == "keyword_argument" && p.child_by_field_name("name") == Some(node))
    })
}

/// `base`, else `base_1`, `base_2`, ... whichever is not used.
fn fresh_name(base: &str, used: &HashSet<&str>) -> String {
    if !used.contains(base) {
        return base.to_owned();
    }
    (1..).map(|i| format!("{base}_{i}")).find(|n| !used.contains(n.as_str())).expect("an unused name exists")
}

/// The names a scope (module, class or function) binds itself, with the
/// node that binds each, and the names it declares `global`. Nested
/// functions and classes bind only their own name here.
struct Bindings<'t> {
    bound: Vec<(String, Node<'t>)>,
    globals: HashSet<String>,
}

impl<'t> Bindings<'t> {
    fn of(scope: Node<'t>, src: &str) -> Bindings<'t> {
        let mut b = Bindings { bound: Vec::new(), globals: HashSet::new() };
        let mut stack: Vec<Node<'t>> = match scope.kind() {
            "function_definition" => {
                scope.child_by_field_name("parameters").into_iter().chain(scope.child_by_field_name("body")).collect()
            }
            "class_definition" => scope.child_by_field_name("body").into_iter().collect(),
            _ => vec![scope],
        };
        if let Some(params) = scope.child_by_field_name("parameters") {
            b.parameters(params, src);
        }
        while let Some(node) = stack.pop() {
            match node.kind() {
                "function_definition" | "class_definition" => {
                    b.add_targets(node.child_by_field_name("name"), node, src);
                    continue;
                }
                "lambda" | "parameters" => continue,
                "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                    b.add_targets(node.child_by_field_name("left"), node, src)
                }
                "named_expression" => b.add_targets(node.child_by_field_name("name"), node, src),
                "as_pattern_target" | "delete_statement" | "case_pattern" => b.add_targets(Some(node), node, src),
                "import_statement" | "import_from_statement" => b.imports(node, src),
                "global_statement" => {
                    for id in node.named_children(&mut node.walk()) {
                        b.globals.insert(text(id, src).to_owned());
                    }
                }
                _ => {}
            }
            stack.extend(node.named_children(&mut node.walk()));
        }
        b
    }

    fn binds(&self, name: &str) -> bool {
        !self.globals.contains(name) && self.bound.iter().any(|(n, _)| n == name)
    }

    fn parameters(&mut self, params: Node<'t>, src: &str) {
        for p in params.named_children(&mut params.walk()) {
            let name = match p.kind() {
                "identifier" => Some(p),
                "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
                _ => p.named_children(&mut p.walk()).find(|c| c.kind() == "identifier"),
            };
            self.add_targets(name, p, src);
        }
    }

    /// Every name a target binds: `a`, `a, (b, *c)`; not `a.x` or `a[i]`.
    fn add_targets(&mut self, target: Option<Node<'t>>, site: Node<'t>, src: &str) {
        let Some(target) = target else { return };
        let mut stack = vec![target];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "identifier" => self.bound.push((text(n, src).to_owned(), site)),
                "attribute" | "subscript" | "call" => {}
                _ => stack.extend(n.named_children(&mut n.walk())),
            }
        }
    }

    fn imports(&mut self, node: Node<'t>, src: &str) {
        let from = node.kind() == "import_from_statement";
        for name in node.children_by_field_name("name", &mut node.walk()) {
            let local = match name.kind() {
                "aliased_import" => name.child_by_field_name("alias").map(|a| text(a, src).to_owned()),
                _ if from => Some(text(name, src).to_owned()),
                _ => text(name, src).split('.').next().map(|s| s.trim().to_owned()),
            };
            if let Some(local) = local {
                self.bound.push((local, node));
            }
        }
    }
}

// ------------------------------------------------------------------ logger

/// The logger a fix writes to, and the edits that define it if needed.
struct LoggerPlan {
    name: String,
    edits: Vec<Edit>,
}

impl LoggerPlan {
    fn choose(cx: &FileContext<'_>, handler: Node<'_>, scopes: &Scopes<'_>) -> Result<LoggerPlan, String> {
        let root = cx.tree.root_node();
        let module = Bindings::of(root, cx.src);
        let local: Vec<Bindings<'_>> = scopes.visible().map(|s| Bindings::of(s, cx.src)).collect();
        let visible = |name: &str| !local.iter().any(|b| b.binds(name));

        let mut existing = module_loggers(cx, &module);
        existing.sort_by_key(|(name, _)| {
            PREFERRED_LOGGERS.iter().position(|p| p == name).unwrap_or(PREFERRED_LOGGERS.len())
        });
        let usable = existing.into_iter().find(|(name, definition)| {
            visible(name) && (!scopes.at_import_time() || definition.end_byte() <= handler.start_byte())
        });
        if let Some((name, _)) = usable {
            return Ok(LoggerPlan { name, edits: Vec::new() });
        }

        let used = names_used(root, cx.src);
        let name = std::iter::once("logger".to_owned())
            .chain(std::iter::once("_logger".to_owned()))
            .chain((1..).map(|i| format!("_logger_{i}")))
            .find(|n| !used.contains(n.as_str()))
            .expect("an unused name exists");
        let newline = cx.newline;
        let edit = match stdlib_logging_import(root, cx.src, &module) {
            LoggingImport::Present { reference, after } => {
                let at = line_end(
                    cx.src,
                    crate::python::imports::import_block(root).last_import_end.map_or(after, |end| end.max(after)),
                );
                if scopes.at_import_time() && at > handler.start_byte() {
                    return Err("the module imports `logging` only after this handler runs".into());
                }
                Edit::insert(at, format!("{newline}{name} = {reference}.getLogger(__name__)"))
            }
            LoggingImport::Absent => {
                // `logging` may name something else here (a relative import,
                // a star import); an alias keeps ours apart.
                let plain = !used.contains("logging") || only_stdlib_logging(root, cx.src);
                let reference = if plain { "logging".to_owned() } else { fresh_name("_logging", &used) };
                let import = if plain { "import logging".to_owned() } else { format!("import logging as {reference}") };
                add_import(root, cx.src, newline, &format!("{import}{newline}{name} = {reference}.getLogger(__name__)"))
            }
        };
        Ok(LoggerPlan { name, edits: vec![edit] })
    }
}

/// Module-level `NAME = logging.getLogger(...)` (or a `...logging.get_logger`
/// such as transformers' and accelerate's), bound nowhere else at module
/// level, in file order.
fn module_loggers<'t>(cx: &FileContext<'t>, module: &Bindings<'t>) -> Vec<(String, Node<'t>)> {
    let root = cx.tree.root_node();
    let mut found = Vec::new();
    for statement in root.named_children(&mut root.walk()) {
        let Some(assignment) =
            statement.named_child(0).filter(|a| statement.kind() == "expression_statement" && a.kind() == "assignment")
        else {
            continue;
        };
        let (Some(left), Some(right)) =
            (assignment.child_by_field_name("left"), assignment.child_by_field_name("right"))
        else {
            continue;
        };
        if left.kind() != "identifier" || right.kind() != "call" {
            continue;
        }
        let Some(callee) = right.child_by_field_name("function").and_then(|f| cx.imports.resolve(f, cx.src)) else {
            continue;
        };
        let is_factory =
            callee == "logging.getLogger" || callee == "logging.get_logger" || callee.ends_with(".logging.get_logger");
        let name = text(left, cx.src);
        let bindings = module.bound.iter().filter(|(n, _)| n == name).count();
        if is_factory && bindings == 1 && !module.globals.contains(name) {
            found.push((name.to_owned(), statement));
        }
    }
    found
}

enum LoggingImport {
    /// A module-level `import logging` (or `as X`): the name to use, and
    /// where the statement ends.
    Present {
        reference: String,
        after: usize,
    },
    Absent,
}

/// The module's own top-level import of the standard `logging`, if the name
/// it binds is not rebound elsewhere at module level.
fn stdlib_logging_import(root: Node<'_>, src: &str, module: &Bindings<'_>) -> LoggingImport {
    for statement in root.named_children(&mut root.walk()) {
        if statement.kind() != "import_statement" {
            continue;
        }
        for name in statement.children_by_field_name("name", &mut statement.walk()) {
            let (module_name, reference) = match name.kind() {
                "aliased_import" => match (name.child_by_field_name("name"), name.child_by_field_name("alias")) {
                    (Some(m), Some(a)) => (text(m, src), text(a, src)),
                    _ => continue,
                },
                _ => (text(name, src), text(name, src).split('.').next().unwrap_or_default()),
            };
            let is_logging =
                module_name == "logging" || (module_name.starts_with("logging.") && reference == "logging");
            let rebound = module.bound.iter().any(|(n, site)| n == reference && *site != statement);
            if is_logging && !rebound && !module.globals.contains(reference) {
                return LoggingImport::Present { reference: reference.to_owned(), after: statement.end_byte() };
            }
        }
    }
    LoggingImport::Absent
}

/// Is every binding of the name `logging` in the file an `import logging`
/// (say, inside functions), so a top-level one means the same module?
fn only_stdlib_logging(root: Node<'_>, src: &str) -> bool {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "import_from_statement" | "future_import_statement" => {
                let star = node.named_children(&mut node.walk()).any(|c| c.kind() == "wildcard_import");
                let binds_logging = node.children_by_field_name("name", &mut node.walk()).any(|n| {
                    let local = match n.kind() {
                        "aliased_import" => n.child_by_field_name("alias"),
                        _ => Some(n),
                    };
                    local.is_some_and(|l| text(l, src) == "logging")
                });
                if star || binds_logging {
                    return false;
                }
            }
            "import_statement" => {
                for n in node.children_by_field_name("name", &mut node.walk()) {
                    if let (Some(m), Some(a)) = (n.child_by_field_name("name"), n.child_by_field_name("alias")) {
                        if text(a, src) == "logging" && text(m, src) != "logging" {
                            return false;
                        }
                    }
                }
            }
            _ => stack.extend(node.named_children(&mut node.walk())),
        }
    }
    // Any other binding (assignment, parameter, def) of `logging` counts too.
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let bindings = match node.kind() {
            "module" | "function_definition" | "class_definition" => Some(Bindings::of(node, src)),
            _ => None,
        };
        if bindings.is_some_and(|b| b.bound.iter().any(|(n, site)| n == "logging" && site.kind() != "import_statement"))
        {
            return false;
        }
        stack.extend(node.named_children(&mut node.walk()));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::python::imports::Imports;

    fn parse(src: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        parser.parse(src, None).unwrap()
    }

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

    /// Applies the logging fix to the first swallowing handler of `src`.
    fn fixed(src: &str) -> String {
        let tree = parse(src);
        let imports = Imports::collect(tree.root_node(), src);
        let config = Config::default();
        let cx = FileContext {
            src,
            tree: &tree,
            imports: &imports,
            config: &config,
            newline: "\n",
            memo: Default::default(),
        };
        let h = handlers(tree.root_node())
            .into_iter()
            .filter_map(ExceptHandler::new)
            .find(|h| h.swallows().is_some())
            .unwrap();
        let (swallow, statement) = h.swallows().unwrap();
        let fix = logging_fix(&cx, &h, swallow, statement).unwrap();
        let out = crate::fix::edit::apply(src, &fix.edits).unwrap();
        assert!(!parse(&out).root_node().has_error(), "does not parse:\n{out}");
        out
    }

    #[test]
    fn takes_clauses_apart() {
        let src = "try:\n    x()\nexcept (A, Exception) as e:\n    pass\nexcept* builtins.Exception:\n    ...\nexcept:\n    raise\n";
        let tree = parse(src);
        let imports = Imports::collect(tree.root_node(), src);
        let config = Config::default();
        let cx = FileContext {
            src,
            tree: &tree,
            imports: &imports,
            config: &config,
            newline: "\n",
            memo: Default::default(),
        };
        let hs: Vec<_> = handlers(tree.root_node()).into_iter().map(|n| ExceptHandler::new(n).unwrap()).collect();
        assert_eq!(text(hs[0].alias.unwrap(), src), "e");
        assert!(hs[0].catches_broadly(&cx) && hs[1].catches_broadly(&cx));
        assert!(hs[1].star && hs[1].swallows().is_some_and(|(s, _)| s == Swallow::Pass));
        assert!(hs[2].is_bare() && hs[2].reraises());
        assert_eq!(hs[0].header(src), "except (A, Exception):");
    }

    #[test]
    fn adds_logger_after_imports_and_binds_a_free_name() {
        assert_eq!(
            fixed("import os\n\ndef f(exc):\n    try:\n        x()\n    except Exception:\n        pass  # why\n"),
            "import os\nimport logging\nlogger = logging.getLogger(__name__)\n\ndef f(exc):\n    try:\n        x()\n    except Exception as exc_1:\n        logger.debug(\"Ignored exception in f(): %r\", exc_1, exc_info=True)  # why\n"
        );
    }

    #[test]
    fn uses_existing_logger_unless_shadowed() {
        let src = "import logging\nlog = logging.getLogger(__name__)\ndef f():\n    try:\n        x()\n    except:\n        pass\n";
        assert!(fixed(src).contains("except BaseException as exc:\n        log.debug("));
        let shadowed = "import logging\nlogger = logging.getLogger(__name__)\ndef f(logger):\n    try:\n        x()\n    except Exception: pass\n";
        let out = fixed(shadowed);
        assert!(out.contains("_logger = logging.getLogger(__name__)\n"), "{out}");
        assert!(out.contains("    except Exception as exc:\n        _logger.debug("), "{out}");
    }

    #[test]
    fn foreign_logging_name_gets_an_alias() {
        let src = "from .utils import logging\n\nfor a in b:\n    try:\n        x()\n    except Exception:\n        continue\n";
        let out = fixed(src);
        assert!(out.contains("import logging as _logging\nlogger = _logging.getLogger(__name__)\n"), "{out}");
        assert!(out.contains("        logger.debug(\"Skipping iteration after exception at module level: %r\", exc, exc_info=True)\n        continue\n"), "{out}");
    }

    #[test]
    fn logger_defined_later_is_used_only_at_run_time() {
        let src = "import logging\ntry:\n    x()\nexcept Exception:\n    pass\nlogger = logging.getLogger(__name__)\n";
        let out = fixed(src);
        assert!(out.starts_with("import logging\n_logger = logging.getLogger(__name__)\n"), "{out}");
        let later = "import logging\ndef f():\n    try:\n        x()\n    except Exception:\n        pass\nlogger = logging.getLogger(__name__)\n";
        assert!(fixed(later).contains("        logger.debug("));
    }

    #[test]
    fn names_bound_by_sibling_handlers_are_reused_but_not_by_enclosing_ones() {
        let sibling = "def f():\n    try:\n        x()\n    except Exception:\n        pass\n    try:\n        y()\n    except ValueError as exc:\n        print(exc)\n";
        assert!(fixed(sibling).contains("except Exception as exc:\n"));
        let enclosing = "def f():\n    try:\n        x()\n    except ValueError as exc:\n        try:\n            y()\n        except Exception:\n            pass\n        print(exc)\n";
        assert!(fixed(enclosing).contains("except Exception as exc_1:\n"));
        let elsewhere = "def f(exc):\n    try:\n        x()\n    except Exception:\n        pass\n";
        assert!(fixed(elsewhere).contains("except Exception as exc_1:\n"));
    }
}
