//! `jinja2-autoescape`: jinja2 environments and templates that do not
//! escape HTML (Bandit B701, ruff S701).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext};
use ruff_text_size::{Ranged, TextRange};

use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::add_import;
use crate::fix::keyword::{self, Keyword};
use crate::pipeline::prefilter::find_words;
use crate::python::imports;
use crate::python::model::{BindingId, BindingKind, Lookup, Origin, SemanticModel};
use crate::python::parse::text_size;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds `jinja2.Environment(...)` (any dotted name holding `jinja2`
    /// and ending in `Environment`, as Bandit reads it) and
    /// `jinja2.Template(...)` that do not pass `autoescape=True` or
    /// `autoescape=select_autoescape(...)`: no `autoescape` at all,
    /// `autoescape=False`, or a value known only at run time.
    ///
    /// ## Why is this bad?
    /// jinja2 does not escape by default. A template that renders HTML with a
    /// value from a user (`<p>{{ comment }}</p>`) lets that user inject
    /// scripts into the page (cross-site scripting).
    ///
    /// ## Example
    /// ```python
    /// env = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))
    /// page = env.get_template("report.html").render(rows=rows)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// env = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"), autoescape=jinja2.select_autoescape())
    /// page = env.get_template("report.html").render(rows=rows)
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`, and only where it is
    /// right: an environment assigned once to a local variable of a function
    /// (or used directly, `Environment(...).get_template(...)`), that is used
    /// only to load templates by literal file names
    /// (`get_template`, `select_template`, `get_or_select_template`), at
    /// least one of them ending in `.html`, `.htm` or `.xml`. The fix adds
    /// `autoescape=select_autoescape()` (importing `select_autoescape` in the
    /// file's style); those HTML templates then escape `<`, `>`, `&`, `'`
    /// and `"` in the values they render, which is the point, and a value
    /// already marked safe (`Markup`, `|safe`) is left alone. Other templates
    /// are unchanged. Reported without a fix, with the reason: environments
    /// that render templates from strings (`from_string`), since
    /// `select_autoescape()` escapes those too, which would corrupt prompts,
    /// configs and Markdown; environments that load only templates not named
    /// `.html`/`.htm`/`.xml` (`html.tpl`, `prompt.txt`), where the fix would
    /// change nothing; template names known only at run time; environments
    /// passed elsewhere, stored in an attribute or bound at module level
    /// (other modules may import it and call `from_string`); `jinja2.Template(...)`,
    /// which is always compiled from a string; an explicit
    /// `autoescape=False`; `**kwargs`. Where the output is plain text, the
    /// finding is a false alarm: suppress it with `# nosec B701`.
    ///
    /// ## References
    /// - Bandit B701 `jinja2_autoescape_false`, ruff S701
    /// - Jinja: Autoescaping; `select_autoescape`
    pub(crate) struct Jinja2Autoescape;
}

static META: RuleMeta = RuleMeta {
    id: "jinja2-autoescape",
    bandit: Some("B701"),
    bandit_name: Some("jinja2_autoescape_false"),
    ruff: &["S701"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::High,
    summary: "jinja2 `Environment`/`Template` without autoescaping",
    doc: Jinja2Autoescape::DOC,
    calls: &["Environment", "Template"],
    query: None,
    triggers: &[&["jinja2", "Environment"], &["jinja2", "Template"]],
};

/// `select_autoescape()` escapes templates whose names end in these.
const HTML_EXTENSIONS: &[&str] = &[".html", ".htm", ".xml"];
/// `Environment(...)`'s `autoescape` parameter, counted from 0 after `self`.
const AUTOESCAPE_POSITION: usize = 16;
/// `Template(source, ...)`'s `autoescape` parameter.
const TEMPLATE_AUTOESCAPE_POSITION: usize = 17;

impl Rule for Jinja2Autoescape {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref()?;
        let parts: Vec<&str> = callee.qualified.split('.').collect();
        let is_template = matches!(callee.qualified.as_str(), "jinja2.Template" | "jinja2.environment.Template");
        if !(is_template || (parts.last() == Some(&"Environment") && parts.contains(&"jinja2"))) {
            return None;
        }
        let node = site.call.node;
        let range = TextRange::new(text_size(node.start_byte()), text_size(node.end_byte()));
        let call = cx.model.call_at(range)?;
        let position = if is_template { TEMPLATE_AUTOESCAPE_POSITION } else { AUTOESCAPE_POSITION };
        if call.arguments.args.len() > position {
            return None;
        }
        let name = &callee.qualified;
        let message = match call.arguments.find_keyword("autoescape").map(|k| &k.value) {
            Some(Expr::BooleanLiteral(b)) if b.value => return None,
            Some(Expr::Call(c)) if select_autoescape(&c.func) => return None,
            Some(Expr::BooleanLiteral(_)) => {
                let finding = Finding::new(
                    &META,
                    node,
                    format!(
                        "`{name}` with `autoescape=False` renders values into HTML unescaped (cross-site scripting)"
                    ),
                );
                return Some(finding.not_fixed(
                    "`autoescape=False` is explicit: if the templates render HTML, use `autoescape=select_autoescape()`; if they are plain text, suppress the finding",
                ));
            }
            Some(_) => {
                let finding = Finding::new(
                    &META,
                    node,
                    format!("`{name}` may render values into HTML unescaped (cross-site scripting)"),
                );
                return Some(
                    finding
                        .not_fixed("`autoescape=` is known only at run time; make sure it is true for HTML templates"),
                );
            }
            None => Finding::new(
                &META,
                node,
                format!("`{name}` without `autoescape` renders values into HTML unescaped (cross-site scripting)"),
            ),
        };
        if is_template {
            return Some(message.not_fixed(
                "a `Template` is compiled from a string, and `select_autoescape()` escapes string templates: if it renders HTML pass `autoescape=True`, if plain text (a prompt, Markdown) suppress the finding",
            ));
        }
        Some(message.with_fix_or(fix(cx, site, call, callee.origin)))
    }
}

/// `select_autoescape` or `x.select_autoescape`, as Bandit accepts it.
fn select_autoescape(func: &Expr) -> bool {
    match func {
        Expr::Name(n) => n.id.as_str() == "select_autoescape",
        Expr::Attribute(a) => a.attr.as_str() == "select_autoescape",
        _ => false,
    }
}

fn fix(cx: &FileContext<'_>, site: &CallSite<'_>, call: &ast::ExprCall, origin: Origin) -> Result<Fix, String> {
    if call.arguments.keywords.iter().any(|k| k.arg.is_none()) {
        return Err(
            "the call passes `**kwargs`, which may hold `autoescape` already; set it where the dict is built".into()
        );
    }
    let loads = templates_loaded(cx, call)?;
    let names: Vec<&str> = loads.iter().map(String::as_str).collect();
    let html: Vec<&str> = names.iter().copied().filter(|n| is_html(n)).collect();
    if html.is_empty() {
        return Err(format!(
            "it loads only templates `select_autoescape()` does not escape ({}), so adding it would change nothing; escape HTML values yourself, or suppress the finding if the output is not HTML",
            quoted(&names)
        ));
    }
    if origin != Origin::Imported {
        return Err("`jinja2` is not imported in this file, so this may be another object".into());
    }
    let (function, import) = select_autoescape_name(cx, call)?;
    let mut edits = keyword::insert(
        &site.call,
        cx.src,
        cx.newline,
        &[Keyword::new("autoescape", format!("{function}()")).positional_at(AUTOESCAPE_POSITION)],
        cx.config.line_length,
    )?;
    edits.extend(import);
    Ok(Fix::unsafe_(edits).titled(format!("add `autoescape={function}()`: {} will escape HTML", quoted(&html))))
}

fn is_html(name: &str) -> bool {
    let lower = name.to_lowercase();
    HTML_EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The template names the environment made by `call` loads, when every use
/// of it in the file can be followed and each loads templates by literal
/// name; otherwise why not.
fn templates_loaded(cx: &FileContext<'_>, call: &ast::ExprCall) -> Result<Vec<String>, String> {
    let target = environment_target(cx, call)?;
    let mut uses = Uses { model: cx.model, target: &target, names: Vec::new(), problem: None };
    uses.visit_body(&cx.model.module.body);
    if let Some(problem) = uses.problem {
        return Err(problem);
    }
    if uses.names.is_empty() {
        return Err("no template it loads is visible in this file; if they render HTML, add `autoescape=select_autoescape()` by hand".into());
    }
    Ok(uses.names)
}

/// How the environment is reached: the call itself, chained
/// (`Environment(...).get_template(...)`), or the local name it is assigned
/// to once (its binding's id).
enum Target {
    Call(TextRange),
    Name(String, BindingId),
}

fn environment_target(cx: &FileContext<'_>, call: &ast::ExprCall) -> Result<Target, String> {
    let assigned =
        |kind: &BindingKind<'_>| matches!(kind, BindingKind::Assignment { value } if value.range() == call.range());
    let mut bindings = cx.model.all_bindings().enumerate().filter(|(_, b)| assigned(&b.kind));
    let Some((id, binding)) = bindings.next() else {
        // Not assigned to a name: only a direct chain can be followed.
        return Ok(Target::Call(call.range()));
    };
    let name = binding.name;
    if bindings.next().is_some()
        || cx.model.bindings_in(binding.scope, name).len() != 1
        || binding.scope != binding.made_in
    {
        return Err(format!("`{name}` is bound more than once, so the templates it loads cannot be followed"));
    }
    if !cx.model.scope(binding.scope).is_function_like() {
        return Err(format!(
            "`{name}` is a module-level name, which other modules may import and use with `from_string`; if every template it renders is HTML, add `autoescape=select_autoescape()` by hand"
        ));
    }
    Ok(Target::Name(name.to_owned(), id))
}

/// Walks the module for every use of the environment.
struct Uses<'t> {
    model: &'t SemanticModel<'t>,
    target: &'t Target,
    names: Vec<String>,
    problem: Option<String>,
}

impl Uses<'_> {
    /// Is `expr` the environment: the call, or a use of its name that
    /// resolves to the binding (a use that may mean it or something else
    /// counts, so that it is never missed)?
    fn is_target(&self, expr: &Expr) -> bool {
        match (self.target, expr) {
            (Target::Call(range), Expr::Call(c)) => c.range() == *range,
            (Target::Name(name, id), Expr::Name(n)) if n.id.as_str() == name => {
                match self.model.lookup(name, n.start()) {
                    Lookup::Bound { bindings, .. } => bindings.contains(id),
                    Lookup::Unbound => false,
                }
            }
            _ => false,
        }
    }

    fn fail(&mut self, why: String) {
        self.problem.get_or_insert(why);
    }

    /// `env.<method>(...)`.
    fn method(&mut self, method: &str, call: &ast::ExprCall) {
        let argument = |keyword: &str| {
            call.arguments.args.first().or_else(|| call.arguments.find_keyword(keyword).map(|k| &k.value))
        };
        let names = match method {
            "get_template" => argument("name"),
            "select_template" => argument("names"),
            "get_or_select_template" => argument("template_name_or_list"),
            "from_string" => {
                return self.fail(
                    "it renders templates from strings (`from_string`), which `select_autoescape()` escapes as well: prompts, configs or Markdown would be HTML-escaped; if they are HTML pass `autoescape=True`, if plain text suppress the finding".into(),
                )
            }
            _ => return,
        };
        match names.map(literal_names) {
            Some(Some(names)) => self.names.extend(names),
            _ => self.fail("it loads templates by names known only at run time; if they render HTML, add `autoescape=select_autoescape()` by hand".into()),
        }
    }
}

/// `"a.html"` or a list or tuple of such literals.
fn literal_names(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::StringLiteral(s) => Some(vec![s.value.to_str().to_owned()]),
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            elts.iter().map(|e| literal_names(e).filter(|n| n.len() == 1).map(|mut n| n.remove(0))).collect()
        }
        _ => None,
    }
}

impl<'a> Visitor<'a> for Uses<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) if self.is_target(&a.value) => {
                    self.method(a.attr.as_str(), c);
                    visitor::walk_arguments(self, &c.arguments);
                }
                _ => visitor::walk_expr(self, expr),
            },
            Expr::Attribute(a) if self.is_target(&a.value) => {
                if a.ctx != ExprContext::Load && matches!(a.attr.as_str(), "loader" | "autoescape") {
                    self.fail(format!("`.{}` is set after the environment is made; review it by hand", a.attr));
                }
            }
            Expr::Name(n) if n.ctx == ExprContext::Load && self.is_target(expr) => {
                self.fail(format!("`{}` is passed on or stored, so the templates it loads cannot be followed", n.id));
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// How the fix names `jinja2.select_autoescape`, and the import edit if one
/// is needed: an existing binding; the name added to the file's `from jinja2
/// import ...`; or `import jinja2`, only when the file already imports
/// jinja2 unconditionally (never making an optional dependency required).
fn select_autoescape_name(cx: &FileContext<'_>, call: &ast::ExprCall) -> Result<(String, Option<Edit>), String> {
    let at = call.start();
    if let Some(reference) = imports::reference(cx.model, "jinja2", "select_autoescape", at) {
        return Ok((reference, None));
    }
    let body = &cx.model.module.body;
    let holder = cx.model.top_level_statement(at).map_or(at, |s| s.start());
    let spelled = find_words(cx.src.as_bytes(), "select_autoescape").next().is_some();
    let from_import = imports::from_import_of(body, "jinja2").filter(|s| s.end() <= holder);
    if let (false, Some(last)) = (spelled, from_import.and_then(|s| s.names.last())) {
        let edit = Edit::insert(last.end().to_usize(), ", select_autoescape");
        return Ok(("select_autoescape".into(), Some(edit)));
    }
    match cx.model.resolve("jinja2", at) {
        Some(r) if r.qualified == "jinja2" && matches!(r.origin, Origin::Imported | Origin::Unbound) => {}
        _ => return Err("`jinja2` names something else in this file; add `autoescape=` by hand".into()),
    }
    if !imports::imports_unconditionally(body, "jinja2") {
        return Err("`jinja2` is not imported unconditionally at the top of this file; add `autoescape=select_autoescape()` by hand".into());
    }
    let edit = add_import(body, cx.src, cx.newline, "import jinja2")?;
    Ok(("jinja2.select_autoescape".into(), Some(edit)))
}
