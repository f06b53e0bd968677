//! Removing one argument from a call, in the call's own layout: with the
//! comma that separated it, or, when it has a line of its own, with that
//! line. A comment that would go with it, or be stranded by it, makes the
//! helper refuse rather than guess.

use tree_sitter::Node;

use crate::fix::edit::Edit;
use crate::python::call::Call;
use crate::python::lines::{line_end, line_start, starts_its_line};

/// The edit that removes `argument` (a positional value or a whole
/// `keyword_argument` node of `call`), or why it cannot be removed cleanly.
pub(crate) fn remove(call: &Call<'_>, argument: Node<'_>, src: &str) -> Result<Edit, String> {
    let mut cursor = call.arguments.walk();
    let children: Vec<Node<'_>> = call.arguments.children(&mut cursor).collect();
    let index = children.iter().position(|n| *n == argument).ok_or("the argument is not in the call")?;
    let is_argument = |n: &Node<'_>| n.is_named() && n.kind() != "comment";
    let previous = children[..index].iter().rev().find(|n| is_argument(n));
    let next = children[index + 1..].iter().find(|n| is_argument(n));

    // One argument per line: the whole line goes, with its comma and any
    // comment about it; the arguments around keep their own lines.
    let start = argument.start_byte();
    let on_earlier_line = previous.is_some_and(|p| p.end_position().row < argument.start_position().row);
    if starts_its_line(src, start) && on_earlier_line {
        let comma = children.get(index + 1).filter(|n| n.kind() == ",");
        let end = comma.map_or(argument.end_byte(), |c| c.end_byte());
        let rest = src[end..line_end(src, end)].trim_start_matches([' ', '\t', '\x0c']);
        if rest.is_empty() || rest.starts_with('#') {
            // Without a comma of its own the argument was the last: the
            // previous one's comma now trails, which Python accepts.
            return Ok(Edit::replace(line_start(src, start)..next_line_start(src, end), ""));
        }
    }
    // Otherwise the argument goes with the separator before it (or, when
    // it comes first, after it), which must hold no comment.
    let range = match (previous, next) {
        (Some(previous), _) => previous.end_byte()..argument.end_byte(),
        (None, Some(next)) => argument.start_byte()..next.start_byte(),
        (None, None) => return Err("the call has no other argument".into()),
    };
    let inside = |n: &&Node<'_>| range.start <= n.start_byte() && n.end_byte() <= range.end;
    if children.iter().filter(inside).any(|n| n.kind() == "comment") {
        return Err("a comment next to the argument would be lost; fix it by hand".into());
    }
    Ok(Edit::replace(range, ""))
}

/// The offset after the line break that ends the line holding `pos`.
fn next_line_start(src: &str, pos: usize) -> usize {
    let end = line_end(src, pos);
    match &src.as_bytes()[end..] {
        [b'\r', b'\n', ..] => end + 2,
        [_, ..] => end + 1,
        [] => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::edit::apply;

    fn removed(src: &str, which: &str) -> Result<String, String> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        let mut node = tree.root_node();
        while node.kind() != "call" {
            node = node.named_child(0).unwrap();
        }
        let call = Call::new(node).unwrap();
        let mut cursor = call.arguments.walk();
        let argument = call
            .arguments
            .named_children(&mut cursor)
            .find(|n| &src[n.byte_range()] == which)
            .expect("argument in the call");
        let edit = remove(&call, argument, src)?;
        let out = apply(src, &[edit]).unwrap();
        assert!(!parser.parse(&out, None).unwrap().root_node().has_error(), "does not parse:\n{out}");
        Ok(out)
    }

    #[test]
    fn same_line() {
        assert_eq!(removed("f(a, L=x)\n", "L=x").unwrap(), "f(a)\n");
        assert_eq!(removed("f(a, L=x,)\n", "L=x").unwrap(), "f(a,)\n");
        assert_eq!(removed("f(a, x)\n", "x").unwrap(), "f(a)\n");
        assert_eq!(removed("f(L=x, s=a)\n", "L=x").unwrap(), "f(s=a)\n");
        assert_eq!(removed("f(a,\n  L=x)\n", "L=x").unwrap(), "f(a)\n");
    }

    #[test]
    fn own_line() {
        assert_eq!(removed("f(\n    a,\n    L=x,\n)\n", "L=x").unwrap(), "f(\n    a,\n)\n");
        assert_eq!(removed("f(\n    a,\n    L=x\n)\n", "L=x").unwrap(), "f(\n    a,\n)\n");
        assert_eq!(
            removed("f(\n    a,  # the file\n    L=x,  # why\n)\n", "L=x").unwrap(),
            "f(\n    a,  # the file\n)\n"
        );
        assert_eq!(removed("f(\r\n    a,\r\n    L=x,\r\n)\r\n", "L=x").unwrap(), "f(\r\n    a,\r\n)\r\n");
        assert_eq!(removed("f(\n    a,\n    L=x)\n", "L=x").unwrap(), "f(\n    a)\n");
    }

    #[test]
    fn comments_that_would_be_lost_refuse() {
        assert!(removed("f(a,  # why\n  L=x)\n", "L=x").is_err());
        assert!(removed("f(L=x,  # why\n  a)\n", "L=x").is_err());
    }
}
