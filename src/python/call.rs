//! A read-only view of one call expression's arguments, and the one helper
//! every rule uses to add a keyword argument to a call in any layout.

use tree_sitter::Node;

use crate::fix::edit::Edit;

/// One argument of a call, as written.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'t> {
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
pub struct Call<'t> {
    pub node: Node<'t>,
    pub callee: Node<'t>,
    pub arguments: Node<'t>,
}

impl<'t> Call<'t> {
    /// `node` must be a `call`.
    pub fn new(node: Node<'t>) -> Option<Call<'t>> {
        let callee = node.child_by_field_name("function")?;
        let arguments = node.child_by_field_name("arguments")?;
        let listed = matches!(arguments.kind(), "argument_list" | "generator_expression");
        (node.kind() == "call" && listed).then_some(Call { node, callee, arguments })
    }

    /// Is the only argument a generator written without its own parentheses?
    fn lone_generator(&self) -> bool {
        self.arguments.kind() == "generator_expression"
    }

    pub fn args(&self) -> Vec<Arg<'t>> {
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

    /// The value of keyword argument `name`, if passed.
    pub fn keyword(&self, src: &str, name: &str) -> Option<Node<'t>> {
        self.args().into_iter().find_map(|a| match a {
            Arg::Keyword { name: n, value } if text(n, src) == name => Some(value),
            _ => None,
        })
    }

    pub fn positional(&self) -> Vec<Node<'t>> {
        self.args()
            .into_iter()
            .filter_map(|a| match a {
                Arg::Positional(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    /// `**kwargs`: the dict may already hold any keyword we would add.
    pub fn has_dict_splat(&self) -> bool {
        self.args().iter().any(|a| matches!(a, Arg::DictSplat))
    }

    /// `*args`: may fill any positional parameter.
    pub fn has_list_splat(&self) -> bool {
        self.args().iter().any(|a| matches!(a, Arg::ListSplat(_)))
    }

    /// The edits that append `keyword` (for example `weights_only=True`) as
    /// the last argument, following the call's own layout:
    /// - `f()` → `f(weights_only=True)`;
    /// - one line: `f(a, b)` → `f(a, b, weights_only=True)`, keeping a trailing comma;
    /// - one argument per line: a new line with the same indentation, with a
    ///   trailing comma when the call has one, after any comment on the last line.
    pub fn insert_keyword(&self, src: &str, newline: &str, keyword: &str) -> Vec<Edit> {
        self.insert_keywords(src, newline, &[keyword])
    }

    /// Like [`Call::insert_keyword`] for several keywords at once, in order:
    /// side by side in a one-line call, one per line in a vertical one. One
    /// insertion point, so the edits never conflict with each other.
    pub fn insert_keywords(&self, src: &str, newline: &str, keywords: &[&str]) -> Vec<Edit> {
        if self.lone_generator() {
            // `f(x for x in y)` → `f((x for x in y), k=v)`: the generator
            // needs its own parentheses once it is not the only argument.
            let (open, close) = (self.arguments.start_byte() + 1, self.arguments.end_byte() - 1);
            return vec![Edit::insert(open, "("), Edit::insert(close, format!("), {}", keywords.join(", ")))];
        }
        let Some(last) = self.last_argument() else {
            return vec![Edit::insert(self.arguments.start_byte() + 1, keywords.join(", "))];
        };
        let trailing_comma = self.trailing_comma(last);
        if !starts_its_line(src, last.start_byte()) {
            let keyword = keywords.join(", ");
            return match trailing_comma {
                Some(comma) => vec![Edit::insert(comma.end_byte(), format!(" {keyword},"))],
                None => vec![Edit::insert(last.end_byte(), format!(", {keyword}"))],
            };
        }
        let indent = line_indent(src, last.start_byte());
        let keyword = keywords.join(&format!(",{newline}{indent}"));
        let before = trailing_comma.unwrap_or(last);
        let anchor = before.end_byte();
        let line = format!("{newline}{indent}{keyword}");
        // What follows on the same line is read from the tree, not the text:
        // the parser takes characters such as U+FEFF for blanks, which
        // `trim` keeps, and a wrong guess here put the new argument after
        // the closing parenthesis.
        let follows = self.next_child_on_row(before);
        match (follows.map(|n| n.kind()), trailing_comma) {
            (Some(")"), _) => {
                let sep = if trailing_comma.is_some() { "" } else { "," };
                vec![Edit::insert(anchor, format!("{sep}{line}"))]
            }
            (None | Some("comment"), Some(_)) => vec![Edit::insert(line_end(src, anchor), format!("{line},"))],
            (None, None) => vec![Edit::insert(anchor, format!(",{line}"))],
            // A comment follows the last argument: the comma goes before it,
            // the new argument on its own line after it.
            (Some("comment"), None) => vec![Edit::insert(anchor, ","), Edit::insert(line_end(src, anchor), line)],
            // Nothing else can follow the last argument in a parsed call;
            // should it, the same-line form is right whatever follows.
            (Some(_), Some(comma)) => vec![Edit::insert(comma.end_byte(), format!(" {keyword},"))],
            (Some(_), None) => vec![Edit::insert(last.end_byte(), format!(", {keyword}"))],
        }
    }

    /// The argument list's child after `node`, if it starts on the row where
    /// `node` ends.
    fn next_child_on_row(&self, node: Node<'t>) -> Option<Node<'t>> {
        let row = node.end_position().row;
        let mut cursor = self.arguments.walk();
        let next = self.arguments.children(&mut cursor).skip_while(|n| *n != node).nth(1);
        next.filter(|n| n.start_position().row == row)
    }

    fn last_argument(&self) -> Option<Node<'t>> {
        let mut cursor = self.arguments.walk();
        self.arguments.named_children(&mut cursor).filter(|n| n.kind() != "comment").last()
    }

    /// The comma after `last`, comments between them allowed. Walks the
    /// argument list's children rather than asking for `last`'s next
    /// sibling, which tree-sitter finds by descending from the root: in a
    /// file of deeply nested calls that made each insertion cost the depth.
    fn trailing_comma(&self, last: Node<'t>) -> Option<Node<'t>> {
        let mut cursor = self.arguments.walk();
        let mut after_last = self.arguments.children(&mut cursor).skip_while(|n| *n != last).skip(1);
        after_last.find(|n| n.kind() != "comment").filter(|n| n.kind() == ",")
    }
}

/// The source text of a node.
pub fn text<'s>(node: Node<'_>, src: &'s str) -> &'s str {
    &src[node.byte_range()]
}

/// Is `pos` the first non-blank character on its line?
pub fn starts_its_line(src: &str, pos: usize) -> bool {
    src[line_start(src, pos)..pos].chars().all(|c| c == ' ' || c == '\t' || c == '\x0c')
}

pub fn line_start(src: &str, pos: usize) -> usize {
    src[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset of the line's end, before its `\n` or `\r\n`.
pub fn line_end(src: &str, pos: usize) -> usize {
    let end = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
    if end > pos && src.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// The leading blanks (spaces, tabs) of the line holding `pos`.
pub fn line_indent(src: &str, pos: usize) -> &str {
    let start = line_start(src, pos);
    let len = src[start..].find(|c: char| c != ' ' && c != '\t').unwrap_or(src.len() - start);
    &src[start..start + len]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::edit::apply;

    fn add(src: &str, kw: &str) -> String {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        let call = find_call(tree.root_node()).expect("a call");
        let newline = if src.contains("\r\n") { "\r\n" } else { "\n" };
        let out = apply(src, &Call::new(call).unwrap().insert_keyword(src, newline, kw)).unwrap();
        let check = parser.parse(&out, None).unwrap();
        assert!(!check.root_node().has_error(), "does not parse:\n{out}");
        out
    }

    fn find_call(node: Node<'_>) -> Option<Node<'_>> {
        if node.kind() == "call" {
            return Some(node);
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        children.into_iter().find_map(find_call)
    }

    #[test]
    fn empty_and_single_line() {
        assert_eq!(add("f()\n", "k=1"), "f(k=1)\n");
        assert_eq!(add("f(a)\n", "k=1"), "f(a, k=1)\n");
        assert_eq!(add("f(a, b,)\n", "k=1"), "f(a, b, k=1,)\n");
        assert_eq!(add("f(a, b  # why\n)\n", "k=1"), "f(a, b, k=1  # why\n)\n");
        assert_eq!(add("f(*a)\n", "k=1"), "f(*a, k=1)\n");
    }

    #[test]
    fn vertical_with_and_without_trailing_comma() {
        assert_eq!(add("f(\n    a,\n    b,\n)\n", "k=1"), "f(\n    a,\n    b,\n    k=1,\n)\n");
        assert_eq!(add("f(\n    a,\n    b\n)\n", "k=1"), "f(\n    a,\n    b,\n    k=1\n)\n");
        assert_eq!(add("f(\n    a,\n    b)\n", "k=1"), "f(\n    a,\n    b,\n    k=1)\n");
    }

    #[test]
    fn comments_stay_where_they_are() {
        assert_eq!(
            add("f(\n    a,  # first\n    b  # last\n)\n", "k=1"),
            "f(\n    a,  # first\n    b,  # last\n    k=1\n)\n"
        );
        assert_eq!(
            add("f(\n    a,\n    b,  # last\n    # closing\n)\n", "k=1"),
            "f(\n    a,\n    b,  # last\n    k=1,\n    # closing\n)\n"
        );
    }

    /// Found by the property harness: a U+FEFF before the closing
    /// parenthesis is a blank to the parser but not to `trim`, and the new
    /// argument went after the parenthesis, as a statement of its own.
    #[test]
    fn blanks_only_the_parser_knows_are_not_mistaken_for_a_comment() {
        assert_eq!(add("f(\n    a,\n    b\u{feff})\n", "k=1"), "f(\n    a,\n    b,\n    k=1\u{feff})\n");
        assert_eq!(add("f(\n    a,\n    b,\u{feff})\n", "k=1"), "f(\n    a,\n    b,\n    k=1\u{feff})\n");
        assert_eq!(add("f(\n    a,\n    b\u{200b}\n)\n", "k=1"), "f(\n    a,\n    b,\n    k=1\u{200b}\n)\n");
    }

    #[test]
    fn several_keywords_follow_the_layout() {
        let add_two = |src: &str| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
            let tree = parser.parse(src, None).unwrap();
            let call = Call::new(find_call(tree.root_node()).unwrap()).unwrap();
            apply(src, &call.insert_keywords(src, "\n", &["k=1", "j=2"])).unwrap()
        };
        assert_eq!(add_two("f()\n"), "f(k=1, j=2)\n");
        assert_eq!(add_two("f(a,)\n"), "f(a, k=1, j=2,)\n");
        assert_eq!(add_two("f(\n    a,\n)\n"), "f(\n    a,\n    k=1,\n    j=2,\n)\n");
        assert_eq!(add_two("f(\n    a  # c\n)\n"), "f(\n    a,  # c\n    k=1,\n    j=2\n)\n");
    }

    #[test]
    fn tabs_and_crlf_are_kept() {
        assert_eq!(add("f(\r\n\ta,\r\n)\r\n", "k=1"), "f(\r\n\ta,\r\n\tk=1,\r\n)\r\n");
    }

    #[test]
    fn hanging_argument_that_spans_lines() {
        assert_eq!(add("f(open(\n    p))\n", "k=1"), "f(open(\n    p), k=1)\n");
        assert_eq!(add("x = f(\n    p, m='cpu')\n", "k=1"), "x = f(\n    p, m='cpu', k=1)\n");
    }

    #[test]
    fn lone_generator_gets_its_own_parentheses() {
        assert_eq!(add("f(x for x in y)\n", "k=1"), "f((x for x in y), k=1)\n");
    }
}
