//! What each imported name in a file refers to, so that rules match calls by
//! qualified name (`th.load` → `torch.load`) instead of by spelling; and where
//! a fix adds an import when it needs a name the file does not bind.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::fix::edit::Edit;
use crate::python::call::{line_end, text};

/// Statement kinds that may contain an import somewhere below them.
const STATEMENT_CONTAINERS: &[&str] = &[
    "module",
    "block",
    "if_statement",
    "elif_clause",
    "else_clause",
    "try_statement",
    "except_clause",
    "except_group_clause",
    "finally_clause",
    "with_statement",
    "for_statement",
    "while_statement",
    "function_definition",
    "class_definition",
    "decorated_definition",
    "match_statement",
    "case_clause",
];

/// Local name → fully qualified name, for every absolute import in the file.
#[derive(Debug, Default)]
pub struct Imports {
    bindings: HashMap<String, String>,
    /// The same for imports that bind a global name at run time: not inside
    /// a function or class, not under `if TYPE_CHECKING:`. Only these may be
    /// named by code a fix inserts, which can be anywhere in the file.
    module_bindings: HashMap<String, String>,
}

impl Imports {
    /// Collects the imports of the whole file, at any depth (a function-local
    /// `import torch` counts), later bindings of a name winning.
    pub fn collect(root: Node<'_>, src: &str) -> Imports {
        let mut imports = Imports::default();
        let mut stack = vec![(root, true)];
        while let Some((node, global)) = stack.pop() {
            match node.kind() {
                "import_statement" => imports.add_import(node, src, global),
                "import_from_statement" => imports.add_from_import(node, src, global),
                kind if STATEMENT_CONTAINERS.contains(&kind) => {
                    let global = global
                        && !matches!(kind, "function_definition" | "class_definition")
                        && !(kind == "if_statement" && is_type_checking(node, src));
                    let mut cursor = node.walk();
                    let children: Vec<_> = node.named_children(&mut cursor).collect();
                    stack.extend(children.into_iter().rev().map(|c| (c, global)));
                }
                _ => {}
            }
        }
        imports
    }

    fn bind(&mut self, local: String, qualified: String, global: bool) {
        if global {
            self.module_bindings.insert(local.clone(), qualified.clone());
        }
        self.bindings.insert(local, qualified);
    }

    /// `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
    fn add_import(&mut self, node: Node<'_>, src: &str, global: bool) {
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            match name.kind() {
                "dotted_name" => {
                    let full = dotted(name, src);
                    let first = full.split('.').next().unwrap_or_default().to_owned();
                    self.bind(first.clone(), first, global);
                }
                "aliased_import" => {
                    if let (Some(target), Some(alias)) =
                        (name.child_by_field_name("name"), name.child_by_field_name("alias"))
                    {
                        self.bind(text(alias, src).to_owned(), dotted(target, src), global);
                    }
                }
                _ => {}
            }
        }
    }

    /// `from a.b import c as d` binds `d` to `a.b.c`. Relative imports bind
    /// nothing we can qualify, so a name they bind is dropped.
    fn add_from_import(&mut self, node: Node<'_>, src: &str, global: bool) {
        let Some(module) = node.child_by_field_name("module_name") else { return };
        let relative = module.kind() == "relative_import";
        let module = dotted(module, src);
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            let (target, local) = match name.kind() {
                "dotted_name" => (dotted(name, src), dotted(name, src)),
                "aliased_import" => match (name.child_by_field_name("name"), name.child_by_field_name("alias")) {
                    (Some(t), Some(a)) => (dotted(t, src), text(a, src).to_owned()),
                    _ => continue,
                },
                _ => continue,
            };
            if relative {
                self.bindings.remove(&local);
                self.module_bindings.remove(&local);
            } else {
                self.bind(local, format!("{module}.{target}"), global);
            }
        }
    }

    /// The qualified name an expression refers to: `th.load` → `torch.load`.
    /// A name no import binds stands for itself, as Bandit assumes
    /// (`torch.load` in a file that never imports torch is still `torch.load`).
    /// Anything but a chain of names (`self.x.load`, `f().load`) has none.
    /// Walks the chain iteratively: a generated file may hold attribute
    /// chains thousands of links long.
    pub fn resolve(&self, node: Node<'_>, src: &str) -> Option<String> {
        let mut attributes = Vec::new();
        let mut current = node;
        while current.kind() == "attribute" {
            attributes.push(text(current.child_by_field_name("attribute")?, src));
            current = current.child_by_field_name("object")?;
        }
        if current.kind() != "identifier" {
            return None;
        }
        let name = text(current, src);
        let mut qualified = self.bindings.get(name).cloned().unwrap_or_else(|| name.to_owned());
        for attribute in attributes.iter().rev() {
            qualified.push('.');
            qualified.push_str(attribute);
        }
        Some(qualified)
    }

    /// The qualified name an import binds `local` to, if an import binds it
    /// (`None` for a local variable, a parameter, `self`).
    pub fn binding(&self, local: &str) -> Option<&str> {
        self.bindings.get(local).map(String::as_str)
    }

    /// Is the leftmost name of `node` (`torch` in `torch.load`) bound by an
    /// import? When it is not, the name may be anything (a local variable
    /// called `requests`), and no fix may assume which library it is.
    pub fn root_is_imported(&self, node: Node<'_>, src: &str) -> bool {
        root_identifier(node).is_some_and(|root| self.binding(text(root, src)).is_some())
    }

    /// An expression naming `module.name` with the file's existing imports:
    /// `Timeout` after `from httpx import Timeout`, `hx.Timeout` after
    /// `import httpx as hx`. Only module-level imports count, since the
    /// expression may be inserted anywhere (an import inside one function
    /// binds nothing in another). `None` when the file imports neither.
    pub fn reference(&self, module: &str, name: &str) -> Option<String> {
        let full = format!("{module}.{name}");
        let mut locals: Vec<(&String, &String)> = self.module_bindings.iter().collect();
        locals.sort();
        if let Some((local, _)) = locals.iter().find(|(_, q)| **q == full) {
            return Some((*local).clone());
        }
        locals.iter().find(|(_, q)| **q == module).map(|(local, _)| format!("{local}.{name}"))
    }
}

/// The leftmost name of an attribute chain: `torch` in `torch.serialization.load`.
pub fn root_identifier(mut node: Node<'_>) -> Option<Node<'_>> {
    loop {
        match node.kind() {
            "identifier" => return Some(node),
            "attribute" => node = node.child_by_field_name("object")?,
            _ => return None,
        }
    }
}

/// Does a statement directly in the module body (not under `try`, `if`, a
/// function) import `module` or something from it? Only then may a fix add
/// another import of it without making an optional dependency required.
pub fn imports_unconditionally(root: Node<'_>, src: &str, module: &str) -> bool {
    let names_module = |m: Node<'_>| {
        let name = dotted(m, src);
        name == module || name.starts_with(&format!("{module}."))
    };
    let mut cursor = root.walk();
    let found = root.named_children(&mut cursor).any(|statement| match statement.kind() {
        "import_from_statement" => statement.child_by_field_name("module_name").is_some_and(names_module),
        "import_statement" => {
            let mut names = statement.walk();
            let hit = statement.children_by_field_name("name", &mut names).any(|n| {
                let target = if n.kind() == "aliased_import" { n.child_by_field_name("name") } else { Some(n) };
                target.is_some_and(names_module)
            });
            hit
        }
        _ => false,
    });
    found
}

/// `if TYPE_CHECKING:` / `if typing.TYPE_CHECKING:`: false at run time.
fn is_type_checking(node: Node<'_>, src: &str) -> bool {
    node.child_by_field_name("condition").is_some_and(|c| text(c, src).ends_with("TYPE_CHECKING"))
}

fn dotted(node: Node<'_>, src: &str) -> String {
    text(node, src).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The module's leading block: where its last top-level import ends and
/// where its docstring ends (comments, a shebang, may come first).
pub struct ImportBlock {
    pub last_import_end: Option<usize>,
    pub docstring_end: Option<usize>,
}

pub fn import_block(root: Node<'_>) -> ImportBlock {
    let mut block = ImportBlock { last_import_end: None, docstring_end: None };
    let mut cursor = root.walk();
    let mut first_statement = true;
    for child in root.named_children(&mut cursor) {
        match child.kind() {
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                block.last_import_end = Some(child.end_byte())
            }
            "expression_statement" if first_statement && is_string_statement(child) => {
                block.docstring_end = Some(child.end_byte())
            }
            "comment" => continue,
            _ => break,
        }
        first_statement = false;
    }
    block
}

/// The edit that adds `statement` (`import httpx`) to the file's top-level
/// import block: after its last import, else after the module docstring,
/// else at the top below any shebang and coding comments.
pub fn add_import(root: Node<'_>, src: &str, newline: &str, statement: &str) -> Edit {
    let block = import_block(root);
    if let Some(end) = block.last_import_end.or(block.docstring_end) {
        return Edit::insert(line_end(src, end), format!("{newline}{statement}"));
    }
    Edit::insert(header_end(src), format!("{statement}{newline}"))
}

/// The first module-level `from <module> import a, b` (not `*`, not
/// relative), to which a fix can add a name in the file's own style.
pub fn from_import_of<'t>(root: Node<'t>, src: &str, module: &str) -> Option<Node<'t>> {
    let mut cursor = root.walk();
    let found = root.named_children(&mut cursor).find(|n| {
        n.kind() == "import_from_statement"
            && n.child_by_field_name("module_name")
                .is_some_and(|m| m.kind() == "dotted_name" && dotted(m, src) == module)
            && n.child_by_field_name("name").is_some()
    });
    found
}

/// The edit that adds `name` after the last name of a `from … import`
/// statement found by [`from_import_of`]: `from httpx import AsyncClient`
/// → `from httpx import AsyncClient, Timeout`.
pub fn add_name_to_from_import(statement: Node<'_>, name: &str) -> Option<Edit> {
    let mut cursor = statement.walk();
    let last = statement.children_by_field_name("name", &mut cursor).last()?;
    Some(Edit::insert(last.end_byte(), format!(", {name}")))
}

fn is_string_statement(node: Node<'_>) -> bool {
    node.named_child(0).is_some_and(|n| n.kind() == "string" || n.kind() == "concatenated_string")
}

/// The offset after leading comment lines (shebang, coding, licence header).
fn header_end(src: &str) -> usize {
    let mut pos = 0;
    while pos < src.len() && src[pos..].starts_with('#') {
        pos = src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1);
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        parser.parse(src, None).unwrap()
    }

    fn resolve_last_call(src: &str) -> Option<String> {
        let tree = parse(src);
        let imports = Imports::collect(tree.root_node(), src);
        let root = tree.root_node();
        let stmt = root.named_child(root.named_child_count() as u32 - 1).unwrap();
        let call = stmt.named_child(0).unwrap();
        imports.resolve(call.child_by_field_name("function").unwrap(), src)
    }

    #[test]
    fn aliases_and_from_imports() {
        assert_eq!(resolve_last_call("import torch as th\nth.load(f)\n").unwrap(), "torch.load");
        assert_eq!(resolve_last_call("from torch import load as tl\ntl(f)\n").unwrap(), "torch.load");
        assert_eq!(
            resolve_last_call("from torch.serialization import load\nload(f)\n").unwrap(),
            "torch.serialization.load"
        );
        assert_eq!(
            resolve_last_call("import torch.serialization\ntorch.serialization.load(f)\n").unwrap(),
            "torch.serialization.load"
        );
        assert_eq!(resolve_last_call("def f():\n    import torch as t\nt.load(f)\n").unwrap(), "torch.load");
    }

    #[test]
    fn relative_imports_and_method_calls_do_not_qualify() {
        assert_eq!(resolve_last_call("from .io import load\nload(f)\n").unwrap(), "load");
        assert_eq!(resolve_last_call("self.load(f)\n").unwrap(), "self.load");
        assert_eq!(resolve_last_call("get().load(f)\n"), None);
    }

    #[test]
    fn binding_tells_imported_names_from_others() {
        let src = "import datasets as hfd\nfrom transformers import AutoModel\nfrom .local import Thing\n";
        let tree = parse(src);
        let imports = Imports::collect(tree.root_node(), src);
        assert_eq!(imports.binding("hfd"), Some("datasets"));
        assert_eq!(imports.binding("AutoModel"), Some("transformers.AutoModel"));
        assert_eq!(imports.binding("Thing"), None);
        assert_eq!(imports.binding("self"), None);
    }

    #[test]
    fn long_attribute_chains_resolve_without_recursion() {
        let src = format!("import torch as t\nt{}.load(f)\n", ".a".repeat(100_000));
        let resolved = resolve_last_call(&src).unwrap();
        assert!(resolved.starts_with("torch.a.a.") && resolved.ends_with(".a.load"));
        assert_eq!(resolved.len(), "torch".len() + 2 * 100_000 + ".load".len());
    }

    #[test]
    fn reference_prefers_existing_names() {
        let src = "from httpx import AsyncClient\nimport httpx as hx\n";
        let tree = parse(src);
        let imports = Imports::collect(tree.root_node(), src);
        assert_eq!(imports.reference("httpx", "Timeout").unwrap(), "hx.Timeout");
        assert_eq!(imports.reference("httpx", "AsyncClient").unwrap(), "AsyncClient");
        assert_eq!(imports.reference("aiohttp", "ClientTimeout"), None);
    }

    #[test]
    fn reference_ignores_imports_not_bound_globally() {
        let src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\ndef f():\n    from httpx import Timeout\nclass C:\n    import aiohttp\ntry:\n    import requests\nexcept ImportError:\n    pass\n";
        let tree = parse(src);
        let imports = Imports::collect(tree.root_node(), src);
        assert_eq!(imports.reference("httpx", "Timeout"), None);
        assert_eq!(imports.reference("aiohttp", "ClientTimeout"), None);
        assert_eq!(imports.reference("requests", "Session").unwrap(), "requests.Session");
        assert_eq!(imports.binding("Timeout"), Some("httpx.Timeout"));
    }

    #[test]
    fn a_name_joins_an_existing_from_import() {
        let cases = [
            ("from httpx import AsyncClient\n", "from httpx import AsyncClient, Timeout\n"),
            ("from httpx import Client as C  # x\n", "from httpx import Client as C, Timeout  # x\n"),
            ("from httpx import (\n    Client,\n)\n", "from httpx import (\n    Client, Timeout,\n)\n"),
        ];
        for (src, want) in cases {
            let tree = parse(src);
            let stmt = from_import_of(tree.root_node(), src, "httpx").unwrap();
            let edit = add_name_to_from_import(stmt, "Timeout").unwrap();
            assert_eq!(crate::fix::edit::apply(src, &[edit]).unwrap(), want);
        }
        for src in ["from httpx import *\n", "from .httpx import a\n", "def f():\n    from httpx import a\n"] {
            let tree = parse(src);
            assert!(from_import_of(tree.root_node(), src, "httpx").is_none(), "{src}");
        }
    }

    #[test]
    fn import_goes_after_the_import_block_or_docstring() {
        let cases = [
            ("import os\nimport sys\n\nx = 1\n", "import os\nimport sys\nimport httpx\n\nx = 1\n"),
            ("\"\"\"Doc.\"\"\"\nx = 1\n", "\"\"\"Doc.\"\"\"\nimport httpx\nx = 1\n"),
            ("#!/usr/bin/env python\nx = 1\n", "#!/usr/bin/env python\nimport httpx\nx = 1\n"),
            (
                "#!/usr/bin/env python\n\"\"\"Doc.\"\"\"\nx = 1\n",
                "#!/usr/bin/env python\n\"\"\"Doc.\"\"\"\nimport httpx\nx = 1\n",
            ),
            ("from a import (\n    b,\n)  # c\ny = 2\n", "from a import (\n    b,\n)  # c\nimport httpx\ny = 2\n"),
        ];
        for (src, want) in cases {
            let tree = parse(src);
            let edit = add_import(tree.root_node(), src, "\n", "import httpx");
            assert_eq!(crate::fix::edit::apply(src, &[edit]).unwrap(), want);
        }
    }
}
