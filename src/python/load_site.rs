//! What a `torch.load(f)` call shows about the checkpoint it reads: the
//! function it is in, its file argument, and the keys its result is read
//! with (`ckpt["model_state_dict"]`, `ckpt.get("epoch")`,
//! `torch.load(f)["model"]`). The index ties it to the project's saves by
//! these (see [`crate::pipeline::index::ProjectIndex::saves_read_by`]).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ruff_text_size::{Ranged, TextRange};

use crate::python::model::{ScopeKind, SemanticModel};
use crate::python::payload::{function_name, normalised};

/// One load, as the index compares it with saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadSite {
    /// The function it is in (`Trainer.load_checkpoint`), if any.
    pub(crate) function: Option<String>,
    /// The file argument as written, whitespace-normalised.
    pub(crate) target: String,
    /// Literal keys its result is read with, in order of first reading.
    pub(crate) keys: Vec<String>,
}

impl LoadSite {
    /// The load `call`; `keys` caches each body's key index, so a file of
    /// many loads is read once per body, not once per load.
    pub(crate) fn of(model: &SemanticModel<'_>, call: &ast::ExprCall, keys: &KeyCache) -> LoadSite {
        let target = call.arguments.find_argument_value("f", 0).map_or_else(String::new, |f| normalised(model, f));
        let function = function_name(model, call.start());
        LoadSite { function, target, keys: keys_read(model, call, keys) }
    }
}

/// The file name a path expression ends with, when a string literal in it
/// spells one (`"best.pt"`, `os.path.join(d, "best.pt")`, `f"{d}/best.pt"`):
/// the text after the last `/` of the last literal, if it has an extension
/// and no placeholder.
pub(crate) fn file_name(target: &str) -> Option<&str> {
    let end = target.rfind(['"', '\''])?;
    let quote = target.as_bytes()[end] as char;
    let start = target[..end].rfind(quote)? + 1;
    let literal = &target[start..end];
    let name = literal.rsplit(['/', '\\']).next()?;
    let placeholder = name.contains(['{', '}', '%', '*']);
    (name.contains('.') && !name.starts_with('.') && !placeholder).then_some(name)
}

/// `save_checkpoint` for `load_checkpoint`, `Trainer.save` for
/// `Trainer.load`: the name a function that writes what this one reads would
/// have (`load`, `restore` and `resume` become `save`).
pub(crate) fn saving_counterpart(function: &str) -> Option<String> {
    let (class, name) = function.rsplit_once('.').map_or(("", function), |(c, n)| (c, n));
    let renamed = ["load", "restore", "resume"]
        .iter()
        .find(|verb| name.contains(*verb))
        .map(|verb| name.replacen(verb, "save", 1))?;
    Some(if class.is_empty() { renamed } else { format!("{class}.{renamed}") })
}

/// Key indexes of the bodies read so far, by the body's start offset.
pub(crate) type KeyCache = RefCell<HashMap<u32, Rc<BodyKeys>>>;

/// Keys read from the load's result: directly (`torch.load(f)["k"]`), or
/// through the one name it is assigned to in the same scope.
fn keys_read(model: &SemanticModel<'_>, call: &ast::ExprCall, cache: &KeyCache) -> Vec<String> {
    let function = model.ancestors(model.scope_at(call.start())).find_map(|s| match model.scope(s).kind {
        ScopeKind::Function(f) => Some(f),
        _ => None,
    });
    let body: &[Stmt] = function.map_or(&model.module.body, |f| &f.body);
    let at = function.map_or(u32::MAX, |f| f.start().to_u32());
    let index = cache.borrow().get(&at).cloned();
    let index = index.unwrap_or_else(|| {
        let built = Rc::new(BodyKeys::of(body));
        cache.borrow_mut().insert(at, built.clone());
        built
    });
    index.keys_for(call.range())
}

/// What one body (a function's, or the module's) reads with literal keys:
/// from a call's result directly, through a name, and which call each name
/// is assigned from. Nested functions and classes are not entered.
#[derive(Debug, Default)]
pub(crate) struct BodyKeys {
    direct: HashMap<(u32, u32), Vec<String>>,
    assigned: HashMap<(u32, u32), String>,
    by_name: HashMap<String, Vec<String>>,
}

fn span(range: TextRange) -> (u32, u32) {
    (range.start().to_u32(), range.end().to_u32())
}

fn push_key(keys: &mut Vec<String>, key: &Expr) {
    if let Expr::StringLiteral(s) = key {
        let key = s.value.to_str().to_owned();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
}

impl BodyKeys {
    fn of(body: &[Stmt]) -> BodyKeys {
        let mut keys = BodyKeys::default();
        keys.visit_body(body);
        keys
    }

    fn keys_for(&self, call: TextRange) -> Vec<String> {
        let mut keys = self.direct.get(&span(call)).cloned().unwrap_or_default();
        let through_name = self.assigned.get(&span(call)).and_then(|name| self.by_name.get(name));
        for key in through_name.into_iter().flatten() {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        keys
    }

    /// A key read from `value`: a call's result or a name.
    fn read(&mut self, value: &Expr, key: &Expr) {
        match value {
            Expr::Call(c) => push_key(self.direct.entry(span(c.range())).or_default(), key),
            Expr::Name(n) => push_key(self.by_name.entry(n.id.to_string()).or_default(), key),
            _ => {}
        }
    }
}

impl<'a> Visitor<'a> for BodyKeys {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::Assign(a) if a.targets.len() == 1 => {
                if let (Expr::Name(n), Expr::Call(c)) = (&a.targets[0], a.value.as_ref()) {
                    self.assigned.insert(span(c.range()), n.id.to_string());
                }
            }
            Stmt::AnnAssign(a) => {
                if let (Expr::Name(n), Some(Expr::Call(c))) = (a.target.as_ref(), a.value.as_deref()) {
                    self.assigned.insert(span(c.range()), n.id.to_string());
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Subscript(s) => self.read(&s.value, &s.slice),
            Expr::Call(c) => {
                if let Expr::Attribute(a) = c.func.as_ref() {
                    if let (true, Some(key)) = (a.attr.as_str() == "get", c.arguments.args.first()) {
                        self.read(&a.value, key);
                    }
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    fn site(src: &str) -> LoadSite {
        let parsed = parse_module(src, PythonVersion::latest());
        let model = SemanticModel::build(parsed.syntax(), src);
        let (call, _) = model
            .calls()
            .iter()
            .find(|(c, _)| model.resolve_expr(&c.func).is_some_and(|r| r.qualified == "torch.load"))
            .unwrap();
        LoadSite::of(&model, call, &KeyCache::default())
    }

    #[test]
    fn keys_read_through_the_assigned_name() {
        let src = "import torch\ndef load_checkpoint(model, path):\n    ckpt = torch.load(path, map_location='cpu')\n    model.load_state_dict(ckpt['model_state_dict'])\n    return ckpt.get('epoch', 0), ckpt['model_state_dict']\n";
        let load = site(src);
        assert_eq!(load.keys, ["model_state_dict", "epoch"]);
        assert_eq!(load.function.as_deref(), Some("load_checkpoint"));
        assert_eq!(load.target, "path");
    }

    #[test]
    fn keys_read_directly() {
        assert_eq!(site("import torch\nsd = torch.load('best.pt')['model']\n").keys, ["model"]);
    }

    #[test]
    fn file_names_and_counterparts() {
        assert_eq!(file_name("os.path.join(out, \"best.pt\")"), Some("best.pt"));
        assert_eq!(file_name("f\"{d}/last.ckpt\""), Some("last.ckpt"));
        assert_eq!(file_name("f\"ckpt_{epoch}.pt\""), None);
        assert_eq!(file_name("path"), None);
        assert_eq!(saving_counterpart("Trainer.load_checkpoint").as_deref(), Some("Trainer.save_checkpoint"));
        assert_eq!(saving_counterpart("resume").as_deref(), Some("save"));
        assert_eq!(saving_counterpart("evaluate"), None);
    }
}
