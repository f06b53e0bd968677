//! What one file contributes to the project index: a summary of its
//! semantic model, small and owned, so facts can cross files and be cached
//! by content. A fact never holds a node; rules read facts of other files
//! through the index, and their own file through the model.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};
use serde::{Deserialize, Serialize};

use crate::python::hub_call::LOADER_NAMES;
use crate::python::lines::LineIndex;
use crate::python::model::{BindingKind, Lookup, Origin, ScopeKind, SemanticModel};
use crate::python::payload::{self, Payload};

/// Everything the index keeps about one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct FileFacts {
    /// Module-level names bound exactly once, to a string literal.
    pub(crate) constants: Vec<Constant>,
    /// Functions and methods, with their parameters and literal defaults.
    pub(crate) functions: Vec<Function>,
    /// Calls passing at least one string literal, by callee.
    pub(crate) calls: Vec<CallFact>,
    /// `parser.add_argument("--model", default="org/m")`.
    pub(crate) arguments: Vec<Argument>,
    /// `mapping.get("key", "default")`.
    pub(crate) defaults: Vec<KeyDefault>,
    /// What each `torch.save(obj, ...)` stores.
    pub(crate) saves: Vec<SaveFact>,
    /// `if __name__ == "__main__":` at module level: a script.
    pub(crate) is_script: bool,
    /// Imported names whose values rules need from other files: names
    /// passed to a Hugging Face loader (`from config import MODEL`), as
    /// qualified names (relative ones with their dots).
    pub(crate) wanted: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Constant {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) line: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Function {
    /// `load` or `Model.load`.
    pub(crate) qualname: String,
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) line: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Parameter {
    pub(crate) name: String,
    /// Its index among positional parameters; `None` for keyword-only ones.
    pub(crate) position: Option<usize>,
    /// The default when it is a string literal.
    pub(crate) default: Option<String>,
}

/// A call of a function, with what is known of its arguments:
/// `build("org/m", name=args.model_name)`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct CallFact {
    /// The callee as resolved: `pkg.models.build`, or this module's
    /// function as `<module>.build` (the index fills the module in).
    pub(crate) callee: String,
    /// Positional arguments.
    pub(crate) args: Vec<ArgFact>,
    /// Keyword arguments, by name.
    pub(crate) keywords: Vec<(String, ArgFact)>,
    /// The call passes `*args` or `**kwargs`: other values may arrive.
    pub(crate) splat: bool,
    pub(crate) line: usize,
}

/// What a call passes for one parameter.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum ArgFact {
    /// A string literal.
    Literal(String),
    /// A value read under a name: `args.model_name`, `cfg["model_name"]`,
    /// `kw.get("model_name")` are all read under `model_name`.
    Key(String),
    /// Anything else.
    Other,
}

impl ArgFact {
    fn of(expr: &Expr) -> ArgFact {
        if let Some(value) = string_value(expr) {
            return ArgFact::Literal(value);
        }
        match expr {
            Expr::Attribute(a) => ArgFact::Key(a.attr.to_string()),
            Expr::Subscript(s) => string_value(&s.slice).map_or(ArgFact::Other, ArgFact::Key),
            Expr::Call(c) if c.func.as_attribute_expr().is_some_and(|a| a.attr.as_str() == "get") => {
                c.arguments.args.first().and_then(string_value).map_or(ArgFact::Other, ArgFact::Key)
            }
            _ => ArgFact::Other,
        }
    }

    pub(crate) fn literal(&self) -> Option<&str> {
        match self {
            ArgFact::Literal(value) => Some(value),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Argument {
    /// The attribute the parsed namespace gets: `model_name` for `--model-name`.
    pub(crate) dest: String,
    pub(crate) default: String,
    pub(crate) line: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct KeyDefault {
    pub(crate) key: String,
    pub(crate) default: String,
    pub(crate) line: usize,
}

/// One `torch.save(obj, f)`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct SaveFact {
    pub(crate) line: usize,
    /// The function it is in (`Trainer.save_checkpoint`), if any.
    pub(crate) function: Option<String>,
    /// The file argument as written, whitespace-normalised.
    pub(crate) target: String,
    pub(crate) payload: Payload,
}

impl FileFacts {
    /// Summarises a file's model. `module` is its dotted name in the project.
    pub(crate) fn extract(model: &SemanticModel<'_>, module: &str, lines: &LineIndex<'_>) -> FileFacts {
        let line = |at: TextSize| lines.position(at.to_usize()).line;
        let mut facts = FileFacts { is_script: has_main_guard(&model.module.body), ..FileFacts::default() };
        facts.constants = constants(model, &line);
        facts.functions = functions(model, &line);
        for (call, _) in model.calls() {
            facts.record_call(model, module, call, line(call.start()));
        }
        facts
    }

    fn record_call(&mut self, model: &SemanticModel<'_>, module: &str, call: &ast::ExprCall, line: usize) {
        let Some(callee) = model.resolve_expr(&call.func) else { return };
        let arguments = &call.arguments;
        if LOADER_NAMES.contains(&callee.last()) {
            self.want_imported_names(model, arguments);
        }
        match callee.last() {
            "add_argument" => self.arguments.extend(argument(arguments, line)),
            "get" if arguments.args.len() == 2 => self.defaults.extend(key_default(arguments, line)),
            "save" if callee.qualified == "torch.save" || callee.qualified == "torch.serialization.save" => {
                self.saves.extend(payload::save_fact(model, call, line));
            }
            _ => {}
        }
        let args: Vec<ArgFact> = arguments.args.iter().map(ArgFact::of).collect();
        let keywords: Vec<(String, ArgFact)> = arguments
            .keywords
            .iter()
            .filter_map(|k| Some((k.arg.as_ref()?.as_str().to_owned(), ArgFact::of(&k.value))))
            .filter(|(_, v)| *v != ArgFact::Other)
            .collect();
        if args.iter().all(|a| *a == ArgFact::Other) && keywords.is_empty() {
            return;
        }
        let callee = match callee.origin {
            Origin::Local => format!("{module}.{}", callee.qualified),
            _ => callee.qualified,
        };
        let splat =
            arguments.args.iter().any(Expr::is_starred_expr) || arguments.keywords.iter().any(|k| k.arg.is_none());
        self.calls.push(CallFact { callee, args, keywords, splat, line });
    }
}

impl FileFacts {
    /// Names imported from other modules that a loader call passes.
    fn want_imported_names(&mut self, model: &SemanticModel<'_>, arguments: &ast::Arguments) {
        let values = arguments.args.iter().chain(arguments.keywords.iter().map(|k| &k.value));
        for value in values {
            let Expr::Name(name) = value else { continue };
            let Some(resolved) = model.resolve(name.id.as_str(), name.start()) else { continue };
            let imported = matches!(resolved.origin, Origin::Imported | Origin::Relative);
            if imported && !self.wanted.contains(&resolved.qualified) {
                self.wanted.push(resolved.qualified);
            }
        }
    }
}

/// A string literal's value (implicit concatenation joined; not f-strings).
pub(crate) fn string_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
        _ => None,
    }
}

fn constants(model: &SemanticModel<'_>, line: &dyn Fn(TextSize) -> usize) -> Vec<Constant> {
    let mut found = Vec::new();
    for statement in &model.module.body {
        let Stmt::Assign(assign) = statement else { continue };
        let ([Expr::Name(target)], Some(value)) = (&assign.targets[..], string_value(&assign.value)) else { continue };
        if let Lookup::Bound { scope: 0, bindings: [_] } = model.lookup(target.id.as_str(), assign.start()) {
            found.push(Constant { name: target.id.to_string(), value, line: line(assign.start()) });
        }
    }
    found
}

fn functions(model: &SemanticModel<'_>, line: &dyn Fn(TextSize) -> usize) -> Vec<Function> {
    let mut found = Vec::new();
    for id in 0.. {
        if id >= model.scope_count() {
            break;
        }
        let ScopeKind::Function(f) = model.scope(id).kind else { continue };
        let class = model.scope(id).parent.and_then(|p| match model.scope(p).kind {
            ScopeKind::Class(c) => Some(c.name.as_str()),
            _ => None,
        });
        let qualname = match class {
            Some(class) => format!("{class}.{}", f.name.as_str()),
            None => f.name.to_string(),
        };
        found.push(Function { qualname, parameters: parameters(model, id), line: line(f.start()) });
    }
    found
}

fn parameters(model: &SemanticModel<'_>, scope: usize) -> Vec<Parameter> {
    let ScopeKind::Function(f) = model.scope(scope).kind else { return Vec::new() };
    f.parameters
        .iter()
        .map(|p| {
            let name = p.name().as_str();
            let position = model.bindings_in(scope, name).iter().find_map(|&b| match model.binding(b).kind {
                BindingKind::Parameter { index, .. } if index != usize::MAX => Some(index),
                _ => None,
            });
            Parameter { name: name.to_owned(), position, default: p.default().and_then(string_value) }
        })
        .collect()
}

/// `add_argument("--model-name", "-m", default="org/m")` → `model_name`;
/// an explicit `dest=` wins.
fn argument(arguments: &ast::Arguments, line: usize) -> Option<Argument> {
    let default = string_value(&arguments.find_keyword("default")?.value)?;
    let dest = match arguments.find_keyword("dest").and_then(|k| string_value(&k.value)) {
        Some(dest) => dest,
        None => {
            let flags: Vec<String> = arguments.args.iter().filter_map(string_value).collect();
            let long = flags.iter().find(|f| f.starts_with("--")).or_else(|| flags.first())?;
            long.trim_start_matches('-').replace('-', "_")
        }
    };
    Some(Argument { dest, default, line })
}

fn key_default(arguments: &ast::Arguments, line: usize) -> Option<KeyDefault> {
    let key = string_value(&arguments.args[0])?;
    let default = string_value(&arguments.args[1])?;
    Some(KeyDefault { key, default, line })
}

fn has_main_guard(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::If(i) => {
            let text = match i.test.as_ref() {
                Expr::Compare(c) => c.left.as_name_expr().map(|n| n.id.as_str()),
                _ => None,
            };
            text == Some("__name__")
        }
        _ => false,
    })
}
