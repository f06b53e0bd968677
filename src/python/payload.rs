//! What a `torch.save(obj, f)` stores, as far as the code shows it: the
//! structure of `obj` (dicts, lists, tuples, a name bound to one in the same
//! function, item assignments `ckpt["meta"] = {...}`) down to leaves, each
//! classified by what torch's weights-only unpickler needs to load it:
//! nothing (tensors, `state_dict()`s, torch's and Python's RNG states,
//! numbers, strings), known globals (numpy arrays and RNG states,
//! `argparse.Namespace`, `pathlib` paths, classes of the project), or
//! something the code does not show.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextSize};
use serde::{Deserialize, Serialize};

use crate::python::facts::SaveFact;
use crate::python::model::{BindingKind, Lookup, Origin, ScopeKind, SemanticModel};

/// How deep names and containers are followed.
const MAX_DEPTH: usize = 6;

/// The structure of a saved object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Payload {
    /// Keys (`?` when not a literal) and what each holds.
    Dict(Vec<(String, Payload)>),
    Sequence(Vec<Payload>),
    Leaf(Leaf),
}

/// One value, as torch's weights-only unpickler sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Leaf {
    /// Loads with `weights_only=True` as it is.
    Plain(String),
    /// Loads only with these globals allowlisted (qualified names as a
    /// pickle names them).
    Needs { what: String, globals: Vec<String> },
    /// The code does not show what it is.
    Unknown(String),
}

/// What every leaf of a payload is, flattened, with the key path to it.
pub(crate) fn leaves(payload: &Payload) -> Vec<(String, &Leaf)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), payload)];
    while let Some((path, node)) = stack.pop() {
        match node {
            Payload::Leaf(leaf) => out.push((path, leaf)),
            Payload::Dict(entries) => {
                stack.extend(entries.iter().rev().map(|(k, v)| (format!("{path}[{k:?}]"), v)));
            }
            Payload::Sequence(items) => {
                stack.extend(items.iter().enumerate().rev().map(|(i, v)| (format!("{path}[{i}]"), v)));
            }
        }
    }
    out
}

/// The keys of a payload's top-level dict.
pub(crate) fn top_keys(payload: &Payload) -> Vec<&str> {
    match payload {
        Payload::Dict(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// What a numpy array or scalar of a dtype the code does not show needs:
/// the array and scalar constructors, and the dtype classes of numbers and
/// booleans (each receives `BUILD` only for its own dtype; listing the
/// others is harmless).
pub(crate) const NUMPY_VALUE: &[&str] = &[
    "numpy.core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.dtypes.BoolDType",
    "numpy.dtypes.Float16DType",
    "numpy.dtypes.Float32DType",
    "numpy.dtypes.Float64DType",
    "numpy.dtypes.Int8DType",
    "numpy.dtypes.Int16DType",
    "numpy.dtypes.Int32DType",
    "numpy.dtypes.Int64DType",
    "numpy.dtypes.UInt8DType",
    "numpy.dtypes.UInt16DType",
    "numpy.dtypes.UInt32DType",
    "numpy.dtypes.UInt64DType",
];
/// `np.random.get_state()`: a tuple holding a uint32 array.
const NUMPY_RNG: &[&str] =
    &["numpy.core.multiarray._reconstruct", "numpy.ndarray", "numpy.dtype", "numpy.dtypes.UInt32DType"];

pub(crate) fn save_fact(model: &SemanticModel<'_>, call: &ast::ExprCall, line: usize) -> Option<SaveFact> {
    let object = call.arguments.find_argument_value("obj", 0)?;
    let target = call.arguments.find_argument_value("f", 1).map_or_else(String::new, |f| normalised(model, f));
    let function = function_name(model, call.start());
    let payload = Reader { model }.read(object, 0);
    Some(SaveFact { line, function, target, payload })
}

/// An expression's text with whitespace runs collapsed, for comparing paths.
pub(crate) fn normalised(model: &SemanticModel<'_>, expr: &Expr) -> String {
    model.source[expr.range()].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Trainer.save_checkpoint` or `save`, the function holding `at`.
pub(crate) fn function_name(model: &SemanticModel<'_>, at: TextSize) -> Option<String> {
    let mut names = Vec::new();
    for scope in model.ancestors(model.scope_at(at)) {
        match model.scope(scope).kind {
            ScopeKind::Function(f) => names.push(f.name.as_str()),
            ScopeKind::Class(c) => names.push(c.name.as_str()),
            _ => {}
        }
    }
    (!names.is_empty()).then(|| names.into_iter().rev().collect::<Vec<_>>().join("."))
}

/// Reads an expression's value where the save is.
struct Reader<'m, 'a> {
    model: &'m SemanticModel<'a>,
}

impl Reader<'_, '_> {
    fn read(&self, expr: &Expr, depth: usize) -> Payload {
        if depth > MAX_DEPTH {
            return unknown(self.model, expr);
        }
        match expr {
            Expr::Dict(dict) => Payload::Dict(
                dict.items
                    .iter()
                    .map(|item| {
                        let key = item.key.as_ref().and_then(key_text).unwrap_or_else(|| "?".to_owned());
                        (key, self.read(&item.value, depth + 1))
                    })
                    .collect(),
            ),
            Expr::List(l) => Payload::Sequence(l.elts.iter().map(|e| self.read(e, depth + 1)).collect()),
            Expr::Tuple(t) => Payload::Sequence(t.elts.iter().map(|e| self.read(e, depth + 1)).collect()),
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_) => Payload::Leaf(Leaf::Plain("a constant".into())),
            Expr::BinOp(_) | Expr::UnaryOp(_) => Payload::Leaf(Leaf::Plain("a number".into())),
            Expr::Name(name) => self.read_name(name, depth),
            Expr::Call(call) => self.read_call(call, depth),
            _ => unknown(self.model, expr),
        }
    }

    /// A name bound once in the save's scope: its value, with any items
    /// assigned into it afterwards (`ckpt["meta"] = {...}`).
    fn read_name(&self, name: &ast::ExprName, depth: usize) -> Payload {
        let model = self.model;
        let Lookup::Bound { scope, bindings: [only] } = model.lookup(name.id.as_str(), name.start()) else {
            return unknown(model, &Expr::Name(name.clone()));
        };
        match model.binding(*only).kind {
            BindingKind::Assignment { value } => {
                let mut payload = self.read(value, depth + 1);
                if let Payload::Dict(entries) = &mut payload {
                    for store in model.item_stores().iter().filter(|s| s.object == name.id.as_str() && s.scope == scope)
                    {
                        let key = key_text(store.key).unwrap_or_else(|| "?".to_owned());
                        entries.push((key, self.read(store.value, depth + 1)));
                    }
                }
                payload
            }
            BindingKind::Parameter { .. } => parameter_leaf(model, name),
            BindingKind::LoopTarget => Payload::Leaf(Leaf::Unknown(format!("`{}`, a loop variable", name.id))),
            _ => unknown(model, &Expr::Name(name.clone())),
        }
    }

    fn read_call(&self, call: &ast::ExprCall, depth: usize) -> Payload {
        let model = self.model;
        let method = match call.func.as_ref() {
            Expr::Attribute(a) => Some(a.attr.as_str()),
            _ => None,
        };
        match method {
            Some("state_dict") => return plain("a `state_dict()`"),
            Some("item" | "tolist") => return plain("a Python number or list"),
            Some("cpu" | "detach" | "clone" | "contiguous" | "to" | "half" | "float") => return plain("a tensor"),
            Some("numpy") => return needs("a numpy array", NUMPY_VALUE),
            Some("parse_args") => return needs("the `argparse.Namespace` of `parse_args()`", &["argparse.Namespace"]),
            _ => {}
        }
        let Some(callee) = model.resolve_expr(&call.func) else { return unknown(model, &Expr::Call(call.clone())) };
        let q = callee.qualified.as_str();
        match q {
            "torch.get_rng_state"
            | "torch.cuda.get_rng_state"
            | "torch.cuda.get_rng_state_all"
            | "torch.random.get_rng_state" => plain("torch's RNG state"),
            "random.getstate" => plain("Python's RNG state"),
            "numpy.random.get_state" => needs("numpy's RNG state", NUMPY_RNG),
            "copy.deepcopy" | "copy.copy" => {
                call.arguments.args.first().map_or_else(|| plain("a copy"), |a| self.read(a, depth + 1))
            }
            "collections.OrderedDict" | "dict" | "list" | "tuple" if call.arguments.is_empty() => {
                plain("an empty container")
            }
            "argparse.Namespace" => needs("an `argparse.Namespace`", &["argparse.Namespace"]),
            "pathlib.Path" | "pathlib.PosixPath" => needs("a `pathlib` path", &["pathlib.PosixPath"]),
            _ if callee.package() == "torch" && !q.ends_with("save") => plain("a tensor from torch"),
            _ if callee.package() == "numpy" => needs("a numpy value", NUMPY_VALUE),
            _ => match project_class(&callee) {
                Some(class) => {
                    Payload::Leaf(Leaf::Needs { what: format!("an instance of `{class}`"), globals: vec![class] })
                }
                None => unknown(model, &Expr::Call(call.clone())),
            },
        }
    }
}

/// A class called as a constructor: its name as this module knows it
/// (`Config` defined here, `.config.Config`, `config.Config` imported);
/// the rule qualifies it through the index, which knows the project's
/// modules, and reviews a class from outside the project.
fn project_class(callee: &crate::python::model::Resolved) -> Option<String> {
    let starts_upper = callee.last().chars().next().is_some_and(char::is_uppercase);
    let named = matches!(callee.origin, Origin::Local | Origin::Relative | Origin::Imported);
    (named && starts_upper).then(|| callee.qualified.clone())
}

/// A parameter is known only by its annotation: numbers, strings and
/// tensors load as they are; anything else is not shown by the code.
fn parameter_leaf(model: &SemanticModel<'_>, name: &ast::ExprName) -> Payload {
    let annotation = model.parameter_annotation(name.id.as_str(), name.start());
    let text = annotation.map(|a| model.source[a.range()].to_owned());
    match text.as_deref() {
        Some("int" | "float" | "str" | "bool" | "torch.Tensor" | "Tensor") => {
            plain("a number, string or tensor parameter")
        }
        _ => Payload::Leaf(Leaf::Unknown(format!("`{}`, a parameter", name.id))),
    }
}

fn key_text(key: &Expr) -> Option<String> {
    match key {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
        Expr::NumberLiteral(n) => Some(format!("{:?}", n.value)),
        _ => None,
    }
}

fn plain(what: &str) -> Payload {
    Payload::Leaf(Leaf::Plain(what.to_owned()))
}

fn needs(what: &str, globals: &[&str]) -> Payload {
    Payload::Leaf(Leaf::Needs { what: what.to_owned(), globals: globals.iter().map(|g| (*g).to_owned()).collect() })
}

fn unknown(model: &SemanticModel<'_>, expr: &Expr) -> Payload {
    let text: String = model.source[expr.range()].chars().take(60).collect();
    Payload::Leaf(Leaf::Unknown(format!("`{}`", text.split_whitespace().collect::<Vec<_>>().join(" "))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    fn saved(src: &str) -> Payload {
        let parsed = parse_module(src, PythonVersion::latest());
        let model = SemanticModel::build(parsed.syntax(), src);
        let (call, _) = model
            .calls()
            .iter()
            .rev()
            .find(|(c, _)| model.resolve_expr(&c.func).is_some_and(|r| r.qualified == "torch.save"))
            .unwrap();
        save_fact(&model, call, 1).unwrap().payload
    }

    #[test]
    fn a_training_checkpoint_with_numpy_rng_state() {
        let src = "import random, torch\nimport numpy as np\ndef save_checkpoint(model, optimizer, path, epoch: int):\n    ckpt = {\"model_state_dict\": model.state_dict(), \"optimizer_state_dict\": optimizer.state_dict(), \"epoch\": epoch}\n    ckpt[\"meta\"] = {\"rng_states\": {\"python\": random.getstate(), \"numpy\": np.random.get_state(), \"torch\": torch.get_rng_state()}}\n    torch.save(ckpt, path)\n";
        let payload = saved(src);
        assert_eq!(top_keys(&payload), ["model_state_dict", "optimizer_state_dict", "epoch", "meta"]);
        let needs: Vec<_> = leaves(&payload).into_iter().filter(|(_, l)| matches!(l, Leaf::Needs { .. })).collect();
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].0, "[\"meta\"][\"rng_states\"][\"numpy\"]");
        assert!(leaves(&payload).iter().all(|(_, l)| !matches!(l, Leaf::Unknown(_))), "{payload:?}");
    }

    #[test]
    fn namespaces_paths_and_unknowns() {
        let src = "import torch, argparse\nfrom pathlib import Path\nargs = argparse.ArgumentParser().parse_args()\ntorch.save({'args': args, 'out': Path('x'), 'cfg': config}, 'c.pt')\n";
        let kinds: Vec<String> = leaves(&saved(src))
            .into_iter()
            .map(|(k, l)| match l {
                Leaf::Plain(_) => format!("{k} plain"),
                Leaf::Needs { globals, .. } => format!("{k} {}", globals.join(",")),
                Leaf::Unknown(w) => format!("{k} unknown {w}"),
            })
            .collect();
        assert_eq!(
            kinds,
            ["[\"args\"] argparse.Namespace", "[\"out\"] pathlib.PosixPath", "[\"cfg\"] unknown `config`"]
        );
    }

    #[test]
    fn a_plain_state_dict() {
        let src = "import torch\ndef f(model):\n    torch.save(model.state_dict(), 'm.pt')\n";
        assert_eq!(saved(src), Payload::Leaf(Leaf::Plain("a `state_dict()`".into())));
    }
}
