//! Where an HTTP client object comes from, so that its methods are checked
//! like the library's functions: `s = requests.Session()`, `with
//! httpx.Client() as c:`, `self.session = aiohttp.ClientSession()` used in
//! the same class (see [`bound_object`] for how a receiver's bindings are
//! judged); a receiver we cannot place is left alone.

use ruff_python_ast::Expr;
use ruff_text_size::Ranged;
use tree_sitter::Node;

use crate::python::bound_object;
use crate::python::call::text;
use crate::python::model::{ScopeId, ScopeKind, SemanticModel};
use crate::python::parse::text_size;
use crate::rules::FileContext;

/// The client objects whose methods take a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientKind {
    RequestsSession,
    HttpxClient,
    AiohttpSession,
}

/// Does the file call a client constructor anywhere? A method call can be a
/// client's only then, so files without one skip the per-call search.
pub(crate) fn constructs_clients(model: &SemanticModel<'_>) -> bool {
    model.calls().iter().any(|(call, _)| constructor_kind(model, &call.func).is_some())
}

impl ClientKind {
    /// The kind of client a call of `qualified` creates.
    pub(crate) fn created_by(qualified: &str) -> Option<ClientKind> {
        match qualified {
            "requests.Session" | "requests.session" | "requests.sessions.Session" | "requests.sessions.session" => {
                Some(ClientKind::RequestsSession)
            }
            "httpx.Client" | "httpx.AsyncClient" => Some(ClientKind::HttpxClient),
            "aiohttp.ClientSession" | "aiohttp.client.ClientSession" => Some(ClientKind::AiohttpSession),
            _ => None,
        }
    }

    /// How messages name it: "a `requests.Session`".
    pub(crate) fn described(self) -> &'static str {
        match self {
            ClientKind::RequestsSession => "a `requests.Session`",
            ClientKind::HttpxClient => "an httpx client",
            ClientKind::AiohttpSession => "an `aiohttp.ClientSession`",
        }
    }
}

/// The client kind of the object a method is called on (a tree-sitter
/// node): a constructor call, a name bound to a client where it is used,
/// or `self.<attr>` bound to a client in the enclosing class.
pub(crate) fn receiver_kind(cx: &FileContext<'_>, receiver: Node<'_>) -> Option<ClientKind> {
    bound_object::receiver_kind(cx, receiver, &ClientKind::created_by)
}

fn constructor_kind(model: &SemanticModel<'_>, callee: &Expr) -> Option<ClientKind> {
    bound_object::made_by(model, callee, &ClientKind::created_by)
}

/// Is the client a constructor call creates used for streaming: `.stream(`
/// called on it directly, or on the name or `self.<attr>` it is bound to
/// (in the binding's scope, or the class for an attribute)?
pub(crate) fn client_streams(cx: &FileContext<'_>, constructor: Node<'_>) -> bool {
    let Some(parent) = constructor.parent() else { return false };
    let receiver = match parent.kind() {
        "attribute" => return parent.child_by_field_name("attribute").is_some_and(|a| text(a, cx.src) == "stream"),
        "as_pattern" => parent.child_by_field_name("alias").and_then(|a| a.named_child(0)),
        "assignment" if parent.child_by_field_name("right") == Some(constructor) => parent.child_by_field_name("left"),
        _ => None,
    };
    let Some(receiver) = receiver else { return false };
    let model = cx.model;
    let mut scope = model.scope_at(text_size(receiver.start_byte()));
    if receiver.kind() == "attribute" {
        let class = model.ancestors(scope).find(|&s| matches!(model.scope(s).kind, ScopeKind::Class(_)));
        match class {
            Some(class) => scope = class,
            None => return false,
        }
    }
    streams_on(model, scope, text(receiver, cx.src))
}

/// A call `<receiver>.stream(...)` anywhere in `scope`.
fn streams_on(model: &SemanticModel<'_>, scope: ScopeId, receiver: &str) -> bool {
    model.calls().iter().any(|(call, call_scope)| {
        let Expr::Attribute(callee) = call.func.as_ref() else { return false };
        callee.attr.as_str() == "stream"
            && &model.source[callee.value.range()] == receiver
            && model.ancestors(*call_scope).any(|s| s == scope)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind of the receiver of the last call in `src` spelled `<receiver>.get(`.
    fn kind_at(src: &str, marker: &str) -> Option<ClientKind> {
        crate::rules::testing::with_file(src, |cx| {
            let at = src.rfind(marker).expect("marker");
            let mut n = cx.tree.root_node().descendant_for_byte_range(at, at + marker.len()).unwrap();
            while n.kind() != "attribute" || text(n, src) != marker {
                n = n.parent().unwrap();
            }
            receiver_kind(cx, n.child_by_field_name("object").unwrap())
        })
    }

    #[test]
    fn names_bound_to_sessions() {
        let s = "import requests\ns = requests.Session()\ns.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), Some(ClientKind::RequestsSession));
        let s = "import requests\ndef f():\n    with requests.Session() as s:\n        s.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), Some(ClientKind::RequestsSession));
        let s = "import requests\ns = requests.Session()\ndef f():\n    s.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), Some(ClientKind::RequestsSession));
        let s =
            "from httpx import AsyncClient as AC\nasync def f():\n    async with AC() as c:\n        await c.get(u)\n";
        assert_eq!(kind_at(s, "c.get"), Some(ClientKind::HttpxClient));
    }

    #[test]
    fn unknown_or_rebound_names_are_not_clients() {
        let s = "import requests\ndef f(s):\n    s.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), None);
        let s = "import requests\ns = requests.Session()\ns = other()\ns.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), None);
        let s = "import requests\ns = requests.Session()\ndef f():\n    s = make()\n    s.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), None);
        let s = "import requests\nclass C:\n    s = requests.Session()\n    def f(self):\n        s.get(u)\n";
        assert_eq!(kind_at(s, "s.get"), None);
    }

    #[test]
    fn attributes_bound_in_the_class() {
        let s = "import requests\nclass C:\n    def __init__(self):\n        self.session = None\n        self.session = requests.Session()\n    def f(self):\n        return self.session.get(u)\n";
        assert_eq!(kind_at(s, "self.session.get"), Some(ClientKind::RequestsSession));
        let s = "import requests\nclass C:\n    def __init__(self, s):\n        self.session = s\n    def f(self):\n        return self.session.get(u)\n";
        assert_eq!(kind_at(s, "self.session.get"), None);
        let s = "import requests\nclass C:\n    def __init__(self):\n        self.session = requests.Session()\ndef f(self):\n    return self.session.get(u)\n";
        assert_eq!(kind_at(s, "self.session.get"), None);
        let s = "import requests\nclass C:\n    def __init__(self):\n        self.requests = requests.Session()\n    def f(self):\n        return self.requests.get(u)\n";
        assert_eq!(kind_at(s, "self.requests.get"), Some(ClientKind::RequestsSession));
        let s = "import requests\nclass C:\n    def __init__(self):\n        self.s = requests.Session()\n    def f(self):\n        def send(x):\n            return self.s.post(x)\n        return send\n";
        assert_eq!(kind_at(s, "self.s.post"), Some(ClientKind::RequestsSession));
        let s = "import requests\nclass C:\n    def __init__(self):\n        self.s = requests.Session()\n    def f(self):\n        def send(self):\n            return self.s.post(x)\n        return send\n";
        assert_eq!(kind_at(s, "self.s.post"), None);
    }
}
