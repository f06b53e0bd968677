//! What each imported name in a file refers to, so that rules match calls by
//! qualified name (`th.load` → `torch.load`) instead of by spelling; and where
//! a fix adds an import when it needs a name the file does not bind.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::call::{line_end, text};
use crate::edit::Edit;

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
}

impl Imports {
    /// Collects the imports of the whole file, at any depth (a function-local
    /// `import torch` counts), later bindings of a name winning.
    pub fn collect(root: Node<'_>, src: &str) -> Imports {
        let mut imports = Imports::default();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "import_statement" => imports.add_import(node, src),
                "import_from_statement" => imports.add_from_import(node, src),
                kind if STATEMENT_CONTAINERS.contains(&kind) => {
                    let mut cursor = node.walk();
                    let children: Vec<_> = node.named_children(&mut cursor).collect();
                    stack.extend(children.into_iter().rev());
                }
                _ => {}
            }
        }
        imports
    }

    /// `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
    fn add_import(&mut self, node: Node<'_>, src: &str) {
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            match name.kind() {
                "dotted_name" => {
                    let full = dotted(name, src);
                    let first = full.split('.').next().unwrap_or_default().to_owned();
                    self.bindings.insert(first.clone(), first);
                }
                "aliased_import" => {
                    if let (Some(target), Some(alias)) =
                        (name.child_by_field_name("name"), name.child_by_field_name("alias"))
                    {
                        self.bindings.insert(text(alias, src).to_owned(), dotted(target, src));
                    }
                }
                _ => {}
            }
        }
    }

    /// `from a.b import c as d` binds `d` to `a.b.c`. Relative imports bind
    /// nothing we can qualify, so a name they bind is dropped.
    fn add_from_import(&mut self, node: Node<'_>, src: &str) {
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
            } else {
                self.bindings.insert(local, format!("{module}.{target}"));
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

    /// Is `local` bound by an import to exactly `qualified`?
    pub fn binds(&self, local: &str, qualified: &str) -> bool {
        self.bindings.get(local).is_some_and(|q| q == qualified)
    }

    /// An expression naming `module.name` with the file's existing imports:
    /// `Timeout` after `from httpx import Timeout`, `hx.Timeout` after
    /// `import httpx as hx`. `None` when the file imports neither.
    pub fn reference(&self, module: &str, name: &str) -> Option<String> {
        let full = format!("{module}.{name}");
        let mut locals: Vec<(&String, &String)> = self.bindings.iter().collect();
        locals.sort();
        if let Some((local, _)) = locals.iter().find(|(_, q)| **q == full) {
            return Some((*local).clone());
        }
        locals
            .iter()
            .find(|(_, q)| **q == module)
            .map(|(local, _)| format!("{local}.{name}"))
    }
}

fn dotted(node: Node<'_>, src: &str) -> String {
    text(node, src).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The edit that adds `statement` (`import httpx`) to the file's top-level
/// import block: after its last import, else after the module docstring,
/// else at the top below any shebang and coding comments.
pub fn add_import(root: Node<'_>, src: &str, newline: &str, statement: &str) -> Edit {
    let mut last_import = None;
    let mut docstring_end = None;
    let mut cursor = root.walk();
    for (i, child) in root.named_children(&mut cursor).enumerate() {
        match child.kind() {
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                last_import = Some(child)
            }
            "expression_statement" if i == 0 && is_string_statement(child) => {
                docstring_end = Some(child.end_byte())
            }
            "comment" => {}
            _ => break,
        }
    }
    if let Some(node) = last_import.map(|n| n.end_byte()).or(docstring_end) {
        return Edit::insert(line_end(src, node), format!("{newline}{statement}"));
    }
    Edit::insert(header_end(src), format!("{statement}{newline}"))
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
        assert_eq!(resolve_last_call("import torch.serialization\ntorch.serialization.load(f)\n").unwrap(), "torch.serialization.load");
        assert_eq!(resolve_last_call("def f():\n    import torch as t\nt.load(f)\n").unwrap(), "torch.load");
    }

    #[test]
    fn relative_imports_and_method_calls_do_not_qualify() {
        assert_eq!(resolve_last_call("from .io import load\nload(f)\n").unwrap(), "load");
        assert_eq!(resolve_last_call("self.load(f)\n").unwrap(), "self.load");
        assert_eq!(resolve_last_call("get().load(f)\n"), None);
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
    fn import_goes_after_the_import_block_or_docstring() {
        let cases = [
            ("import os\nimport sys\n\nx = 1\n", "import os\nimport sys\nimport httpx\n\nx = 1\n"),
            ("\"\"\"Doc.\"\"\"\nx = 1\n", "\"\"\"Doc.\"\"\"\nimport httpx\nx = 1\n"),
            ("#!/usr/bin/env python\nx = 1\n", "#!/usr/bin/env python\nimport httpx\nx = 1\n"),
            ("from a import (\n    b,\n)  # c\ny = 2\n", "from a import (\n    b,\n)  # c\nimport httpx\ny = 2\n"),
        ];
        for (src, want) in cases {
            let tree = parse(src);
            let edit = add_import(tree.root_node(), src, "\n", "import httpx");
            assert_eq!(crate::edit::apply(src, &[edit]).unwrap(), want);
        }
    }
}
