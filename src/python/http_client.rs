//! Where an HTTP client object comes from, so that its methods are checked
//! like the library's functions: `s = requests.Session()`, `with
//! httpx.Client() as c:`, `self.session = aiohttp.ClientSession()` used in
//! the same class. A name is a client only when every binding it has in its
//! scope makes one (or is `None`); anything else (a parameter, a reassignment
//! to another value) means we do not know, and the call is left alone.

use tree_sitter::Node;

use crate::python::call::text;
use crate::python::imports::Imports;

/// The client objects whose methods take a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    RequestsSession,
    HttpxClient,
    AiohttpSession,
}

/// Does the file call a client constructor anywhere? A method call can be a
/// client's only then, so files without one skip the per-call scope search.
pub struct ConstructsClients(pub bool);

impl ConstructsClients {
    pub fn find(root: Node<'_>, imports: &Imports, src: &str) -> ConstructsClients {
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            if node.kind() == "call" && is_constructor_call(node, imports, src) {
                return ConstructsClients(true);
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return ConstructsClients(false);
                }
            }
        }
    }
}

const CONSTRUCTOR_NAMES: &[&str] = &["Session", "session", "Client", "AsyncClient", "ClientSession"];

fn is_constructor_call(call: Node<'_>, imports: &Imports, src: &str) -> bool {
    let Some(callee) = call.child_by_field_name("function") else { return false };
    let last = match callee.kind() {
        "attribute" => callee.child_by_field_name("attribute"),
        "identifier" => Some(callee),
        _ => None,
    };
    // An alias (`from httpx import Client as C`) hides the spelling: resolve it.
    let spelled = last.is_some_and(|n| CONSTRUCTOR_NAMES.contains(&text(n, src)));
    (spelled || callee.kind() == "identifier")
        && imports.resolve(callee, src).as_deref().and_then(ClientKind::created_by).is_some()
}

impl ClientKind {
    /// The kind of client a call of `qualified` creates.
    pub fn created_by(qualified: &str) -> Option<ClientKind> {
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
    pub fn described(self) -> &'static str {
        match self {
            ClientKind::RequestsSession => "a `requests.Session`",
            ClientKind::HttpxClient => "an httpx client",
            ClientKind::AiohttpSession => "an `aiohttp.ClientSession`",
        }
    }
}

/// What one binding assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Client(ClientKind),
    /// `None`, as in `self.session = None` before the real one.
    Nothing,
    Other,
}

/// The client kind of the object a method is called on: a constructor call,
/// a name bound to a client in an enclosing scope, or `self.<attr>` bound to
/// a client in the enclosing class.
pub fn receiver_kind(receiver: Node<'_>, imports: &Imports, src: &str) -> Option<ClientKind> {
    match receiver.kind() {
        "call" => constructor_kind(receiver, imports, src),
        "parenthesized_expression" => receiver_kind(receiver.named_child(0)?, imports, src),
        "identifier" => name_kind(receiver, text(receiver, src), imports, src),
        "attribute" => attribute_kind(receiver, imports, src),
        _ => None,
    }
}

fn constructor_kind(call: Node<'_>, imports: &Imports, src: &str) -> Option<ClientKind> {
    let callee = call.child_by_field_name("function")?;
    ClientKind::created_by(&imports.resolve(callee, src)?)
}

fn value_kind(value: Node<'_>, imports: &Imports, src: &str) -> Bound {
    match value.kind() {
        "none" => Bound::Nothing,
        "parenthesized_expression" => value.named_child(0).map_or(Bound::Other, |v| value_kind(v, imports, src)),
        "call" => constructor_kind(value, imports, src).map_or(Bound::Other, Bound::Client),
        _ => Bound::Other,
    }
}

/// Every binding agrees on one kind of client (`None` aside).
fn verdict(bounds: &[Bound]) -> Option<ClientKind> {
    let mut kind = None;
    for b in bounds {
        match b {
            Bound::Other => return None,
            Bound::Nothing => {}
            Bound::Client(k) if kind.is_some_and(|seen| seen != *k) => return None,
            Bound::Client(k) => kind = Some(*k),
        }
    }
    kind
}

fn is_scope(kind: &str) -> bool {
    matches!(kind, "function_definition" | "lambda" | "class_definition" | "module")
}

pub fn enclosing_scope(node: Node<'_>) -> Option<Node<'_>> {
    let mut current = node.parent();
    while let Some(n) = current {
        if is_scope(n.kind()) {
            return Some(n);
        }
        current = n.parent();
    }
    None
}

/// Python's lookup: the innermost scope binding the name decides; class
/// bodies are seen only by code directly in them.
fn name_kind(use_site: Node<'_>, name: &str, imports: &Imports, src: &str) -> Option<ClientKind> {
    let mut scope = enclosing_scope(use_site);
    let mut innermost = true;
    while let Some(s) = scope {
        if innermost || s.kind() != "class_definition" {
            let bounds = bindings_in_scope(s, name, src, imports);
            if !bounds.is_empty() {
                return verdict(&bounds);
            }
        }
        innermost = false;
        scope = enclosing_scope(s);
    }
    None
}

/// What `name` is bound to anywhere in `scope` (not in nested scopes).
fn bindings_in_scope(scope: Node<'_>, name: &str, src: &str, imports: &Imports) -> Vec<Bound> {
    let mut bounds = Vec::new();
    if let Some(params) = scope.child_by_field_name("parameters") {
        if parameter_names(params, src).any(|p| p == name) {
            bounds.push(Bound::Other);
        }
    }
    let body = match scope.kind() {
        "module" => Some(scope),
        _ => scope.child_by_field_name("body"),
    };
    let mut stack: Vec<Node<'_>> = body.into_iter().collect();
    while let Some(node) = stack.pop() {
        match node.kind() {
            "function_definition" | "class_definition" => {
                if node.child_by_field_name("name").is_some_and(|n| text(n, src) == name) {
                    bounds.push(Bound::Other);
                }
                continue;
            }
            "lambda" => continue,
            "assignment" => {
                if let Some(left) = node.child_by_field_name("left") {
                    if left.kind() == "identifier" && text(left, src) == name {
                        if let Some(value) = assigned_value(node) {
                            bounds.push(value_kind(value, imports, src));
                        }
                    } else if is_unpacking(left) && mentions(left, name, src) {
                        bounds.push(Bound::Other);
                    }
                }
            }
            "as_pattern" => {
                if let Some(target) = node.child_by_field_name("alias").and_then(|a| a.named_child(0)) {
                    if target.kind() == "identifier" && text(target, src) == name {
                        bounds.push(node.named_child(0).map_or(Bound::Other, |v| value_kind(v, imports, src)));
                    } else if mentions(target, name, src) {
                        bounds.push(Bound::Other);
                    }
                }
            }
            "named_expression" if node.child_by_field_name("name").is_some_and(|n| text(n, src) == name) => {
                bounds.push(node.child_by_field_name("value").map_or(Bound::Other, |v| value_kind(v, imports, src)));
            }
            "augmented_assignment"
            | "for_statement"
            | "import_statement"
            | "import_from_statement"
            | "global_statement"
            | "nonlocal_statement" => {
                let target = node.child_by_field_name("left").unwrap_or(node);
                if mentions(target, name, src) {
                    bounds.push(Bound::Other);
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    bounds
}

/// `a, b = …` / `[a, *b] = …`: binds every name inside.
fn is_unpacking(target: Node<'_>) -> bool {
    matches!(target.kind(), "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list" | "list_splat_pattern")
}

/// The value of `a = b = value`, following chained assignments.
fn assigned_value(assignment: Node<'_>) -> Option<Node<'_>> {
    let mut right = assignment.child_by_field_name("right")?;
    while right.kind() == "assignment" {
        right = right.child_by_field_name("right")?;
    }
    Some(right)
}

fn parameter_names<'s>(params: Node<'_>, src: &'s str) -> impl Iterator<Item = &'s str> {
    let mut cursor = params.walk();
    let names: Vec<&'s str> = params
        .named_children(&mut cursor)
        .filter_map(|p| match p.kind() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
            "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => {
                p.named_child(0).and_then(|c| if c.kind() == "identifier" { Some(c) } else { c.named_child(0) })
            }
            _ => None,
        })
        .map(|n| text(n, src))
        .collect();
    names.into_iter()
}

/// Does an identifier spelled `name` occur anywhere in `node`?
fn mentions(node: Node<'_>, name: &str, src: &str) -> bool {
    if node.kind() == "identifier" || node.kind() == "dotted_name" {
        return text(node, src) == name || text(node, src).split('.').next() == Some(name);
    }
    let mut cursor = node.walk();
    let children: Vec<_> = node.named_children(&mut cursor).collect();
    children.into_iter().any(|c| mentions(c, name, src))
}

/// `self.session` inside a method: bound in the class body or in any of its
/// methods through the same first-parameter name.
fn attribute_kind(receiver: Node<'_>, imports: &Imports, src: &str) -> Option<ClientKind> {
    let object = receiver.child_by_field_name("object")?;
    let attr = text(receiver.child_by_field_name("attribute")?, src);
    if object.kind() != "identifier" {
        return None;
    }
    let owner = text(object, src);
    let class = owning_class(receiver, owner, src)?;
    verdict(&attribute_bindings(class, owner, attr, imports, src))
}

/// The class whose method binds `owner` as its first parameter, seen from
/// `node`: in that method, or in a function nested in it that does not
/// rebind the name (a closure over `self`).
fn owning_class<'t>(node: Node<'t>, owner: &str, src: &str) -> Option<Node<'t>> {
    let mut scope = enclosing_scope(node);
    while let Some(s) = scope {
        match s.kind() {
            "function_definition" | "lambda" => {
                let params: Vec<&str> =
                    s.child_by_field_name("parameters").map_or_else(Vec::new, |p| parameter_names(p, src).collect());
                if params.first() == Some(&owner) && s.kind() == "function_definition" {
                    if let Some(class) = enclosing_class(s) {
                        return Some(class);
                    }
                }
                if params.contains(&owner) {
                    return None;
                }
                scope = enclosing_scope(s);
            }
            _ => return None,
        }
    }
    None
}

/// The class a method is defined in, directly (decorators allowed).
pub fn enclosing_class(method: Node<'_>) -> Option<Node<'_>> {
    let mut parent = method.parent()?;
    if parent.kind() == "decorated_definition" {
        parent = parent.parent()?;
    }
    let class = parent.parent()?;
    (parent.kind() == "block" && class.kind() == "class_definition").then_some(class)
}

fn attribute_bindings(class: Node<'_>, owner: &str, attr: &str, imports: &Imports, src: &str) -> Vec<Bound> {
    let mut bounds = Vec::new();
    let is_target = |n: Node<'_>| {
        n.kind() == "attribute"
            && n.child_by_field_name("object").is_some_and(|o| text(o, src) == owner)
            && n.child_by_field_name("attribute").is_some_and(|a| text(a, src) == attr)
    };
    let Some(body) = class.child_by_field_name("body") else { return bounds };
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "class_definition" => continue,
            "assignment" => {
                if let Some(left) = node.child_by_field_name("left") {
                    let class_level = enclosing_scope(node) == Some(class);
                    let direct =
                        is_target(left) || (class_level && left.kind() == "identifier" && text(left, src) == attr);
                    if direct {
                        if let Some(value) = assigned_value(node) {
                            bounds.push(value_kind(value, imports, src));
                        }
                    }
                }
            }
            "augmented_assignment" if node.child_by_field_name("left").is_some_and(is_target) => {
                bounds.push(Bound::Other);
            }
            "as_pattern" if node.child_by_field_name("alias").and_then(|a| a.named_child(0)).is_some_and(is_target) => {
                bounds.push(node.named_child(0).map_or(Bound::Other, |v| value_kind(v, imports, src)));
            }
            _ => {}
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    bounds
}

/// Is the client a constructor call creates used for streaming: `.stream(`
/// called on it directly, or on the name or `self.<attr>` it is bound to
/// (in the binding's scope, or the class for an attribute)?
pub fn client_streams(constructor: Node<'_>, src: &str) -> bool {
    let Some(parent) = constructor.parent() else { return false };
    let (receiver, scope) = match parent.kind() {
        "attribute" => {
            return parent.child_by_field_name("attribute").is_some_and(|a| text(a, src) == "stream");
        }
        "as_pattern" => match parent.child_by_field_name("alias").and_then(|a| a.named_child(0)) {
            Some(target) => (target, enclosing_scope(parent)),
            None => return false,
        },
        "assignment" if parent.child_by_field_name("right") == Some(constructor) => {
            match parent.child_by_field_name("left") {
                Some(target) => (target, enclosing_scope(parent)),
                None => return false,
            }
        }
        _ => return false,
    };
    let scope = match (receiver.kind(), scope) {
        ("attribute", Some(s)) if s.kind() == "function_definition" => enclosing_class(s).unwrap_or(s),
        (_, Some(s)) => s,
        (_, None) => return false,
    };
    streams_on(scope, text(receiver, src), src)
}

/// A call `<receiver>.stream(...)` anywhere in `scope`.
fn streams_on(scope: Node<'_>, receiver: &str, src: &str) -> bool {
    let mut stack = vec![scope];
    while let Some(node) = stack.pop() {
        if node.kind() == "call" {
            let callee = node.child_by_field_name("function");
            if callee.is_some_and(|c| {
                c.kind() == "attribute"
                    && c.child_by_field_name("attribute").is_some_and(|a| text(a, src) == "stream")
                    && c.child_by_field_name("object").is_some_and(|o| text(o, src) == receiver)
            }) {
                return true;
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind of the receiver of the last call in `src` spelled `<receiver>.get(`.
    fn kind_at(src: &str, marker: &str) -> Option<ClientKind> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        let imports = Imports::collect(tree.root_node(), src);
        let at = src.rfind(marker).expect("marker");
        let node = tree.root_node().descendant_for_byte_range(at, at + marker.len()).unwrap();
        let mut n = node;
        while n.kind() != "attribute" || text(n, src) != marker {
            n = n.parent().unwrap();
        }
        receiver_kind(n.child_by_field_name("object").unwrap(), &imports, src)
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
