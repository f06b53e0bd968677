//! What kind of object a method is called on, judged by the call that made
//! it: `s = requests.Session()`, `with tarfile.open(p) as t:`,
//! `self.session = aiohttp.ClientSession()` used in the same class. A name
//! has a kind only when every binding it has in its scope makes that kind
//! (or is `None`); anything else (a parameter, a reassignment to another
//! value) means we do not know.
//!
//! Each caller names its kinds with a classifier from the constructor's
//! qualified name (`requests.Session` → a requests session).

use ruff_python_ast::Expr;
use ruff_text_size::TextSize;
use tree_sitter::Node;

use crate::python::call::text;
use crate::python::model::{Binding, BindingKind, Lookup, ScopeId, ScopeKind, SemanticModel};
use crate::python::parse::text_size;
use crate::rules::FileContext;

/// The kind of object a call of a qualified name creates, if any.
pub(crate) type Classifier<'c, K> = &'c dyn Fn(&str) -> Option<K>;

/// What one binding assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound<K> {
    Made(K),
    /// `None`, as in `self.session = None` before the real one.
    Nothing,
    Other,
}

/// The kind of the object a method is called on (a tree-sitter node): a
/// constructor call, a name bound to one where it is used, or
/// `self.<attr>` bound to one in the enclosing class.
pub(crate) fn receiver_kind<K: Copy + PartialEq>(
    cx: &FileContext<'_>,
    receiver: Node<'_>,
    classify: Classifier<'_, K>,
) -> Option<K> {
    match receiver.kind() {
        "call" => classify(&cx.resolve(receiver.child_by_field_name("function")?)?.qualified),
        "parenthesized_expression" => receiver_kind(cx, receiver.named_child(0)?, classify),
        "identifier" => name_kind(cx.model, text(receiver, cx.src), text_size(receiver.start_byte()), classify),
        "attribute" => attribute_kind(cx, receiver, classify),
        _ => None,
    }
}

/// The kind a call of `callee` creates.
pub(crate) fn made_by<K>(model: &SemanticModel<'_>, callee: &Expr, classify: Classifier<'_, K>) -> Option<K> {
    classify(&model.resolve_expr(callee)?.qualified)
}

fn value_kind<K>(model: &SemanticModel<'_>, value: &Expr, classify: Classifier<'_, K>) -> Bound<K> {
    match value {
        Expr::NoneLiteral(_) => Bound::Nothing,
        Expr::Call(call) => made_by(model, &call.func, classify).map_or(Bound::Other, Bound::Made),
        _ => Bound::Other,
    }
}

fn binding_kind<K>(model: &SemanticModel<'_>, binding: &Binding<'_>, classify: Classifier<'_, K>) -> Bound<K> {
    match binding.kind {
        BindingKind::Assignment { value } | BindingKind::WithTarget { context: value } => {
            value_kind(model, value, classify)
        }
        _ => Bound::Other,
    }
}

/// Every binding agrees on one kind (`None` aside).
fn verdict<K: Copy + PartialEq>(bounds: &[Bound<K>]) -> Option<K> {
    let mut kind = None;
    for b in bounds {
        match b {
            Bound::Other => return None,
            Bound::Nothing => {}
            Bound::Made(k) if kind.is_some_and(|seen| seen != *k) => return None,
            Bound::Made(k) => kind = Some(*k),
        }
    }
    kind
}

/// Python's lookup decides which bindings count; every one must agree.
fn name_kind<K: Copy + PartialEq>(
    model: &SemanticModel<'_>,
    name: &str,
    at: TextSize,
    classify: Classifier<'_, K>,
) -> Option<K> {
    let Lookup::Bound { bindings, .. } = model.lookup(name, at) else { return None };
    let bounds: Vec<Bound<K>> = bindings.iter().map(|&id| binding_kind(model, model.binding(id), classify)).collect();
    verdict(&bounds)
}

/// `self.session` inside a method: bound in the class body or in any of its
/// methods through the same first-parameter name.
fn attribute_kind<K: Copy + PartialEq>(
    cx: &FileContext<'_>,
    receiver: Node<'_>,
    classify: Classifier<'_, K>,
) -> Option<K> {
    let object = receiver.child_by_field_name("object")?;
    let attr = text(receiver.child_by_field_name("attribute")?, cx.src);
    if object.kind() != "identifier" {
        return None;
    }
    let owner = text(object, cx.src);
    let class = owning_class(cx.model, text_size(receiver.start_byte()), owner)?;
    verdict(&attribute_bindings(cx.model, class, owner, attr, classify))
}

/// The class whose method binds `owner` as its first parameter, seen from
/// `at`: in that method, or in a function nested in it that does not
/// rebind the name (a closure over `self`).
fn owning_class(model: &SemanticModel<'_>, at: TextSize, owner: &str) -> Option<ScopeId> {
    for scope in model.ancestors(model.scope_at(at)) {
        match model.scope(scope).kind {
            ScopeKind::Function(f) => {
                let first = f.parameters.iter().next().map(|p| p.name().as_str());
                let parent = model.scope(scope).parent.unwrap_or(0);
                if first == Some(owner) && matches!(model.scope(parent).kind, ScopeKind::Class(_)) {
                    return Some(parent);
                }
                if !model.bindings_in(scope, owner).is_empty() {
                    return None;
                }
            }
            ScopeKind::Lambda if !model.bindings_in(scope, owner).is_empty() => return None,
            ScopeKind::Lambda | ScopeKind::Comprehension => {}
            ScopeKind::Class(_) | ScopeKind::Module => return None,
        }
    }
    None
}

/// What `owner.attr` is bound to inside `class` (not in nested classes),
/// and what `attr` is bound to in the class body itself.
fn attribute_bindings<K>(
    model: &SemanticModel<'_>,
    class: ScopeId,
    owner: &str,
    attr: &str,
    classify: Classifier<'_, K>,
) -> Vec<Bound<K>> {
    let within_class = |scope: ScopeId| {
        model.ancestors(scope).find(|&s| matches!(model.scope(s).kind, ScopeKind::Class(_))).is_some_and(|c| c == class)
    };
    let mut bounds: Vec<Bound<K>> = model
        .attribute_stores()
        .iter()
        .filter(|store| store.object == owner && store.attr == attr && within_class(store.scope))
        .map(|store| store.value.map_or(Bound::Other, |v| value_kind(model, v, classify)))
        .collect();
    bounds.extend(model.bindings_in(class, attr).iter().map(|&id| binding_kind(model, model.binding(id), classify)));
    bounds
}
