//! A read-only view of one call's concrete syntax (tree-sitter): its
//! callee, its arguments as written, where its commas and comments are.

use tree_sitter::Node;

use crate::python::names::nfkc;

/// One argument of a call, as written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'t> {
    Positional(Node<'t>),
    Keyword {
        name: Node<'t>,
        value: Node<'t>,
    },
    /// `*args`
    ListSplat(Node<'t>),
    /// `**kwargs`
    DictSplat,
}

/// A call: its callee and its arguments, a parenthesised list or a lone
/// generator (`f(x for x in y)`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'t> {
    pub(crate) node: Node<'t>,
    pub(crate) callee: Node<'t>,
    pub(crate) arguments: Node<'t>,
}

impl<'t> Call<'t> {
    /// `node` must be a `call`.
    pub(crate) fn new(node: Node<'t>) -> Option<Call<'t>> {
        let callee = node.child_by_field_name("function")?;
        let arguments = node.child_by_field_name("arguments")?;
        let listed = matches!(arguments.kind(), "argument_list" | "generator_expression");
        (node.kind() == "call" && listed).then_some(Call { node, callee, arguments })
    }

    /// Is the only argument a generator written without its own parentheses?
    pub(crate) fn lone_generator(&self) -> bool {
        self.arguments.kind() == "generator_expression"
    }

    pub(crate) fn args(&self) -> Vec<Arg<'t>> {
        if self.lone_generator() {
            return vec![Arg::Positional(self.arguments)];
        }
        let mut cursor = self.arguments.walk();
        self.arguments
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .map(|n| match n.kind() {
                "keyword_argument" => match (n.child_by_field_name("name"), n.child_by_field_name("value")) {
                    (Some(name), Some(value)) => Arg::Keyword { name, value },
                    _ => Arg::Positional(n),
                },
                "list_splat" => Arg::ListSplat(n),
                "dictionary_splat" => Arg::DictSplat,
                _ => Arg::Positional(n),
            })
            .collect()
    }

    /// The value of keyword argument `name`, if passed (under any spelling
    /// CPython reads as `name`).
    pub(crate) fn keyword(&self, src: &str, name: &str) -> Option<Node<'t>> {
        self.args().into_iter().find_map(|a| match a {
            Arg::Keyword { name: n, value } if nfkc(text(n, src)) == name => Some(value),
            _ => None,
        })
    }

    pub(crate) fn positional(&self) -> Vec<Node<'t>> {
        self.args()
            .into_iter()
            .filter_map(|a| match a {
                Arg::Positional(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    /// `**kwargs`: the dict may already hold any keyword we would add.
    pub(crate) fn has_dict_splat(&self) -> bool {
        self.args().iter().any(|a| matches!(a, Arg::DictSplat))
    }

    /// `*args`: may fill any positional parameter.
    pub(crate) fn has_list_splat(&self) -> bool {
        self.args().iter().any(|a| matches!(a, Arg::ListSplat(_)))
    }

    /// The argument list's child after `node`, if it starts on the row where
    /// `node` ends.
    pub(crate) fn next_child_on_row(&self, node: Node<'t>) -> Option<Node<'t>> {
        let row = node.end_position().row;
        let mut cursor = self.arguments.walk();
        let next = self.arguments.children(&mut cursor).skip_while(|n| *n != node).nth(1);
        next.filter(|n| n.start_position().row == row)
    }

    pub(crate) fn last_argument(&self) -> Option<Node<'t>> {
        let mut cursor = self.arguments.walk();
        self.arguments.named_children(&mut cursor).filter(|n| n.kind() != "comment").last()
    }

    /// The comma after `last`, comments between them allowed. Walks the
    /// argument list's children rather than asking for `last`'s next
    /// sibling, which tree-sitter finds by descending from the root: in a
    /// file of deeply nested calls that made each insertion cost the depth.
    pub(crate) fn trailing_comma(&self, last: Node<'t>) -> Option<Node<'t>> {
        let mut cursor = self.arguments.walk();
        let mut after_last = self.arguments.children(&mut cursor).skip_while(|n| *n != last).skip(1);
        after_last.find(|n| n.kind() != "comment").filter(|n| n.kind() == ",")
    }
}

/// The source text of a node.
pub(crate) fn text<'s>(node: Node<'_>, src: &'s str) -> &'s str {
    &src[node.byte_range()]
}
