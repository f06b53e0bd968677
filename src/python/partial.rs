//! Callees bound to a `functools.partial`: `get = partial(requests.get,
//! timeout=T)` then `get(url)`, or a module or object attribute replaced by
//! one (`session.put = partial(session.put, timeout=T)`). A keyword such a
//! partial fixes is passed on every call through it, and a keyword the call
//! adds would silently override it.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::python::model::SemanticModel;

/// The `functools.partial(...)` call that `call`'s callee may be bound to
/// and that passes `keyword` (by name, or possibly through `**kwargs`):
/// a name assigned one, or an attribute (`obj.attr`) the module stores
/// one in anywhere in the file.
pub(crate) fn partial_passing<'a>(
    model: &SemanticModel<'a>,
    call: &ast::ExprCall,
    keyword: &str,
) -> Option<&'a ast::ExprCall> {
    let passes = |value: &'a Expr| fixes_keyword(model, value, keyword);
    match call.func.as_ref() {
        Expr::Name(name) => model.assigned_values(name.id.as_str(), name.start())?.into_iter().find_map(passes),
        Expr::Attribute(attribute) => {
            let Expr::Name(object) = attribute.value.as_ref() else { return None };
            model
                .attribute_stores()
                .iter()
                .filter(|s| s.object == object.id.as_str() && s.attr == attribute.attr.as_str())
                .find_map(|s| s.value.and_then(passes))
        }
        _ => None,
    }
}

/// `value` is `functools.partial(f, ..., keyword=...)` (or passes
/// `**kwargs`, which may hold it).
fn fixes_keyword<'a>(model: &SemanticModel<'a>, value: &'a Expr, keyword: &str) -> Option<&'a ast::ExprCall> {
    let Expr::Call(partial) = value else { return None };
    let callee = model.resolve_expr(&partial.func)?;
    if !matches!(callee.qualified.as_str(), "functools.partial" | "functools.partialmethod") {
        return None;
    }
    let passes = partial.arguments.keywords.iter().any(|k| k.arg.as_ref().is_none_or(|a| a.as_str() == keyword));
    passes.then_some(partial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    /// For each call to `go`-ending callees in `src`: does a partial pass `timeout`?
    fn passing(src: &str) -> Vec<bool> {
        let parsed = parse_module(src, PythonVersion::PY311);
        let model = SemanticModel::build(parsed.syntax(), src);
        let calls: Vec<&ast::ExprCall> = model
            .calls()
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| {
                matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str().starts_with("go"))
                    || matches!(c.func.as_ref(), Expr::Attribute(a) if a.attr.as_str().starts_with("go"))
            })
            .collect();
        calls.into_iter().map(|c| partial_passing(&model, c, "timeout").is_some()).collect()
    }

    #[test]
    fn names_and_attributes_bound_to_a_partial() {
        let src = "import functools\nfrom functools import partial as p\nimport requests\n\
go1 = functools.partial(requests.get, timeout=5)\ngo1(u)\n\
go2 = p(requests.get)\ngo2(u)\n\
s.go3 = functools.partial(s.put, timeout=t)\ns.go3(u)\n\
go4 = functools.partial(requests.get, **opts)\ngo4(u)\n\
go5 = other(requests.get, timeout=5)\ngo5(u)\n\
requests.go6(u)\n";
        assert_eq!(passing(src), [true, false, true, true, false, false]);
    }
}
