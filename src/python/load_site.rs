//! What a `torch.load(f)` call shows about the checkpoint it reads: the
//! function it is in, its file argument, and the keys its result is read
//! with (`ckpt["model_state_dict"]`, `ckpt.get("epoch")`,
//! `torch.load(f)["model"]`). The index ties it to the project's saves by
//! these (see [`crate::pipeline::index::ProjectIndex::saves_read_by`]).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::python::model::{ScopeKind, SemanticModel};
use crate::python::payload::{function_name, normalised};

/// One load, as the index compares it with saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSite {
    /// The function it is in (`Trainer.load_checkpoint`), if any.
    pub function: Option<String>,
    /// The file argument as written, whitespace-normalised.
    pub target: String,
    /// Literal keys its result is read with, in order of first reading.
    pub keys: Vec<String>,
}

impl LoadSite {
    pub fn of(model: &SemanticModel<'_>, call: &ast::ExprCall) -> LoadSite {
        let target = call.arguments.find_argument_value("f", 0).map_or_else(String::new, |f| normalised(model, f));
        let function = function_name(model, call.start());
        LoadSite { function, target, keys: keys_read(model, call) }
    }
}

/// The file name a path expression ends with, when a string literal in it
/// spells one (`"best.pt"`, `os.path.join(d, "best.pt")`, `f"{d}/best.pt"`):
/// the text after the last `/` of the last literal, if it has an extension
/// and no placeholder.
pub fn file_name(target: &str) -> Option<&str> {
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
pub fn saving_counterpart(function: &str) -> Option<String> {
    let (class, name) = function.rsplit_once('.').map_or(("", function), |(c, n)| (c, n));
    let renamed = ["load", "restore", "resume"]
        .iter()
        .find(|verb| name.contains(*verb))
        .map(|verb| name.replacen(verb, "save", 1))?;
    Some(if class.is_empty() { renamed } else { format!("{class}.{renamed}") })
}

/// Keys read from the load's result: directly (`torch.load(f)["k"]`), or
/// through the one name it is assigned to in the same scope.
fn keys_read(model: &SemanticModel<'_>, call: &ast::ExprCall) -> Vec<String> {
    let function = model.ancestors(model.scope_at(call.start())).find_map(|s| match model.scope(s).kind {
        ScopeKind::Function(f) => Some(f),
        _ => None,
    });
    let body: &[Stmt] = function.map_or(&model.module.body, |f| &f.body);
    let mut finder = AssignedName { call: call.range(), name: None };
    finder.visit_body(body);
    let mut reader = KeyReader { call: call.range(), name: finder.name, keys: Vec::new() };
    reader.visit_body(body);
    reader.keys
}

/// The name `x` of `x = torch.load(...)`.
struct AssignedName<'a> {
    call: TextRange,
    name: Option<&'a str>,
}

impl<'a> Visitor<'a> for AssignedName<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Assign(a) if a.value.range() == self.call && a.targets.len() == 1 => {
                if let Expr::Name(n) = &a.targets[0] {
                    self.name = Some(n.id.as_str());
                }
            }
            Stmt::AnnAssign(a) if a.value.as_ref().is_some_and(|v| v.range() == self.call) => {
                if let Expr::Name(n) = a.target.as_ref() {
                    self.name = Some(n.id.as_str());
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}

struct KeyReader<'a> {
    call: TextRange,
    name: Option<&'a str>,
    keys: Vec<String>,
}

impl KeyReader<'_> {
    fn is_result(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Call(c) => c.range() == self.call,
            Expr::Name(n) => self.name == Some(n.id.as_str()),
            _ => false,
        }
    }

    fn push(&mut self, key: &Expr) {
        if let Expr::StringLiteral(s) = key {
            let key = s.value.to_str().to_owned();
            if !self.keys.contains(&key) {
                self.keys.push(key);
            }
        }
    }
}

impl<'a> Visitor<'a> for KeyReader<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Subscript(s) if self.is_result(&s.value) => self.push(&s.slice),
            Expr::Call(c) => {
                if let Expr::Attribute(a) = c.func.as_ref() {
                    if a.attr.as_str() == "get" && self.is_result(&a.value) {
                        if let Some(key) = c.arguments.args.first() {
                            self.push(key);
                        }
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
        LoadSite::of(&model, call)
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
