//! Adding keyword arguments to a call: the one helper every fix uses, so
//! that no rule re-implements the layouts or the checks.
//!
//! The new arguments follow the call's own layout:
//! - `f()` → `f(weights_only=True)`;
//! - one line: `f(a, b)` → `f(a, b, weights_only=True)`, keeping a trailing comma;
//! - one argument per line: a new line with the same indentation, with a
//!   trailing comma when the call has one, after any comment on the last line;
//! - a lone generator argument gets its own parentheses;
//! - a call on one line whose line would grow past the project's line
//!   length (`[tool.ruff]`/`[tool.black]` `line-length`, default 88) gets
//!   one argument per line, as black writes it: each argument on its own
//!   line indented four spaces more than the call's line, a trailing comma
//!   (black's "magic trailing comma", which keeps it that way) and `)` back
//!   on the call's indentation. Only where black would split this call
//!   first: the call ends its line (nothing but a comment after `)`), sits
//!   inside no other brackets, holds no comment, and its line is indented
//!   with spaces. Otherwise the line is left long.
//!
//! A keyword newer than the oldest Python the code must run on can be
//! passed only where it exists: `**({"filter": "data"} if hasattr(tarfile,
//! "data_filter") else {})` (see [`Keyword::guarded`]).
//!
//! Before any edit, [`insert`] refuses a call where the keyword could
//! already be passed: `**kwargs` may hold it, `*args` or enough positional
//! arguments may fill its parameter, and a repeated keyword raises
//! `TypeError: got multiple values` at run time.

use crate::fix::edit::Edit;
use crate::python::call::{Arg, Call};
use tree_sitter::Node;

use crate::python::lines::{line_end, line_indent, line_start, starts_its_line};
use crate::python::names::nfkc;

/// A keyword a fix adds: its name, its value as code, and the position
/// at which the callee's signature would also take it (`None` for a
/// keyword-only parameter).
#[derive(Debug, Clone)]
pub(crate) struct Keyword {
    pub(crate) name: &'static str,
    pub(crate) value: String,
    pub(crate) position: Option<usize>,
    /// A condition (code) under which alone the keyword is passed.
    pub(crate) guard: Option<String>,
}

impl Keyword {
    pub(crate) fn new(name: &'static str, value: impl Into<String>) -> Keyword {
        Keyword { name, value: value.into(), position: None, guard: None }
    }

    /// Passes the keyword only when `condition` holds at run time, for a
    /// parameter that older releases of a library or of Python lack:
    /// `**({"name": value} if condition else {})`.
    pub(crate) fn guarded(mut self, condition: impl Into<String>) -> Keyword {
        self.guard = Some(condition.into());
        self
    }

    /// The parameter can also be passed as the `index`-th positional argument (0-based).
    pub(crate) fn positional_at(mut self, index: usize) -> Keyword {
        self.position = Some(index);
        self
    }

    fn text(&self) -> String {
        match &self.guard {
            Some(condition) => format!("**({{\"{}\": {}}} if {condition} else {{}})", self.name, self.value),
            None => format!("{}={}", self.name, self.value),
        }
    }
}

/// The edits that add `keywords` to `call`, or why they cannot be added
/// without risking a call that passes one twice.
pub(crate) fn insert(
    call: &Call<'_>,
    src: &str,
    newline: &str,
    keywords: &[Keyword],
    line_length: usize,
) -> Result<Vec<Edit>, String> {
    for keyword in keywords {
        if call.keyword(src, keyword.name).is_some() {
            return Err(format!("the call already passes `{}`", keyword.name));
        }
        check(call, src, keyword)?;
    }
    let texts: Vec<String> = keywords.iter().map(Keyword::text).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let edits = layout_edits(call, src, newline, &texts);
    // A call black would not split is left as it is, without measuring
    // its line (which may be long, and hold many such calls).
    if inside_brackets(call.node)
        || call.lone_generator()
        || !ends_its_line(call, src)
        || !too_long(call, src, &edits, line_length)
    {
        return Ok(edits);
    }
    Ok(one_per_line(call, src, newline, &texts).unwrap_or(edits))
}

/// Does only a comment, or nothing, follow the call on its line? Black
/// splits no other call (`a = f(x); b = 1` is left to the statement).
/// Reads only the blanks after the call, not the rest of a long line.
fn ends_its_line(call: &Call<'_>, src: &str) -> bool {
    let after = src[call.node.end_byte()..].trim_start_matches([' ', '\t']);
    after.is_empty() || after.starts_with(['\n', '\r', '#'])
}

/// Would `edits` (of a call on one line) leave its line longer than
/// `line_length` characters?
fn too_long(call: &Call<'_>, src: &str, edits: &[Edit], line_length: usize) -> bool {
    let (start, end) = (line_start(src, call.node.start_byte()), line_end(src, call.node.end_byte()));
    if src[start..end].contains(['\n', '\r']) {
        return false;
    }
    let mut rebased: Vec<Edit> = edits.to_vec();
    for edit in rebased.iter_mut() {
        if edit.range.start < start || edit.range.end > end {
            return false;
        }
        edit.range = edit.range.start - start..edit.range.end - start;
    }
    crate::fix::edit::apply(&src[start..end], &rebased).is_some_and(|line| line.chars().count() > line_length)
}

/// The edits that put every argument of `call`, then `keywords`, on a line
/// of its own, as black does (see the module documentation); `None` where
/// black would not split this call this way, or it would not be safe. The
/// caller has ruled out calls inside brackets, lone generators and calls
/// that do not end their line.
fn one_per_line(call: &Call<'_>, src: &str, newline: &str, keywords: &[&str]) -> Option<Vec<Edit>> {
    let node = call.node;
    let indent = line_indent(src, node.start_byte());
    if indent.contains(|c| c != ' ') {
        return None;
    }
    let inner = format!("{newline}{indent}    ");
    let mut cursor = call.arguments.walk();
    let children: Vec<Node<'_>> = call.arguments.children(&mut cursor).collect();
    if children.iter().any(|n| n.kind() == "comment") {
        return None;
    }
    let (open, close) = (children.first()?, children.last()?);
    let added: String = keywords.iter().map(|k| format!("{inner}{k},")).collect();
    let closing = format!("{newline}{indent}");
    let Some(last) = call.last_argument() else {
        return Some(vec![Edit::replace(open.end_byte()..close.start_byte(), format!("{added}{closing}"))]);
    };
    let mut edits = Vec::new();
    let first = children.get(1)?;
    edits.push(Edit::replace(open.end_byte()..first.start_byte(), inner.clone()));
    for pair in children.windows(2) {
        if pair[0].kind() == "," && pair[1].end_byte() <= last.end_byte() {
            edits.push(Edit::replace(pair[0].end_byte()..pair[1].start_byte(), inner.clone()));
        }
    }
    edits.push(Edit::replace(last.end_byte()..close.start_byte(), format!(",{added}{closing}")));
    Some(edits)
}

/// Is the call anything but a statement of its own, the value of an
/// assignment or of `return`? Inside other brackets, or followed by an
/// attribute or a subscript, black splits another pair of brackets first.
fn inside_brackets(node: Node<'_>) -> bool {
    let mut current = node.parent();
    while let Some(parent) = current {
        match parent.kind() {
            "expression_statement" | "return_statement" => return false,
            "assignment" | "augmented_assignment" => current = parent.parent(),
            _ => return true,
        }
    }
    true
}

/// Whether `**kwargs`, `*args` or the positional arguments of `call` may
/// already pass `keyword` (whether it is passed by name is the caller's
/// question: a fix may mean to replace it).
pub(crate) fn check(call: &Call<'_>, _src: &str, keyword: &Keyword) -> Result<(), String> {
    let name = keyword.name;
    let args = call.args();
    if args.iter().any(|a| matches!(a, Arg::DictSplat)) {
        return Err(format!(
            "the call passes `**kwargs`, which may already hold `{name}` (a repeated keyword raises TypeError)"
        ));
    }
    let Some(position) = keyword.position else { return Ok(()) };
    if args.iter().any(|a| matches!(a, Arg::ListSplat(_))) {
        return Err(format!("the call passes `*args`, which may already fill `{name}`"));
    }
    let positional = args.iter().filter(|a| matches!(a, Arg::Positional(_))).count();
    if positional > position {
        return Err(format!("the call may pass `{name}` positionally"));
    }
    Ok(())
}

/// The edits that delete keyword argument `name` from `call` with its comma,
/// keeping the call's layout: `f(a, k=1)` → `f(a)`, `f(k=1, b)` → `f(b)`,
/// a keyword on a line of its own loses the whole line. Refused when a
/// comment sits between the keyword and the comma that goes with it.
pub(crate) fn remove(call: &Call<'_>, src: &str, name: &str) -> Result<Vec<Edit>, String> {
    let mut cursor = call.arguments.walk();
    let children: Vec<Node<'_>> = call.arguments.children(&mut cursor).collect();
    let named = |n: &Node<'_>| {
        n.kind() == "keyword_argument"
            && n.child_by_field_name("name").is_some_and(|k| nfkc(&src[k.byte_range()]) == name)
    };
    let index = children.iter().position(named).ok_or_else(|| format!("the call does not pass `{name}`"))?;
    let keyword = children[index];
    let comment_between = || format!("a comment sits next to `{name}=`; remove it by hand");
    let next = index + 1 + children[index + 1..].iter().position(|n| n.kind() != "comment").unwrap_or(0);
    let prev = children[..index].iter().rposition(|n| n.kind() != "comment").unwrap_or(0);
    match children.get(next).map(|n| n.kind()) {
        Some(",") => {
            if next != index + 1 {
                return Err(comment_between());
            }
            let comma = children[next];
            let closes = children
                .get(next + 1)
                .filter(|n| n.kind() == ")" && n.start_position().row == comma.end_position().row);
            if closes.is_some() && !starts_its_line(src, keyword.start_byte()) && prev + 1 == index {
                // `f(a, k=1,)` → `f(a,)`: the blanks before the keyword go too.
                return Ok(vec![Edit::replace(children[prev].end_byte()..comma.end_byte(), "")]);
            }
            let mut end = comma.end_byte();
            end += src[end..].len() - src[end..].trim_start_matches([' ', '\t']).len();
            let mut start = keyword.start_byte();
            // Alone on its line: the line goes.
            if starts_its_line(src, start) && line_end(src, end) == end {
                start = line_start(src, start);
                end = next_line_start(src, end);
            }
            Ok(vec![Edit::replace(start..end, "")])
        }
        Some(")") if children[prev].kind() == "(" => {
            if children[prev + 1..next].iter().any(|n| n.kind() == "comment") {
                return Err(comment_between());
            }
            Ok(vec![Edit::replace(children[prev].end_byte()..children[next].start_byte(), "")])
        }
        Some(")") if children[prev].kind() == "," => {
            if prev + 1 != index {
                return Err(comment_between());
            }
            Ok(vec![Edit::replace(children[prev].start_byte()..keyword.end_byte(), "")])
        }
        _ => Err(format!("the layout around `{name}=` is not one the rewriter knows; remove it by hand")),
    }
}

/// The offset after the line break that ends the line holding `pos`.
fn next_line_start(src: &str, pos: usize) -> usize {
    let end = line_end(src, pos);
    match &src.as_bytes()[end..] {
        [b'\r', b'\n', ..] => end + 2,
        [b'\n' | b'\r', ..] => end + 1,
        _ => end,
    }
}

/// The edits that append `keywords` (`name=value` texts) as the last
/// arguments, in order, following the call's own layout (see the module
/// documentation). One insertion point, so the edits never conflict.
fn layout_edits(call: &Call<'_>, src: &str, newline: &str, keywords: &[&str]) -> Vec<Edit> {
    if call.lone_generator() {
        // `f(x for x in y)` → `f((x for x in y), k=v)`: the generator
        // needs its own parentheses once it is not the only argument.
        let (open, close) = (call.arguments.start_byte() + 1, call.arguments.end_byte() - 1);
        return vec![Edit::insert(open, "("), Edit::insert(close, format!("), {}", keywords.join(", ")))];
    }
    let Some(last) = call.last_argument() else {
        return vec![Edit::insert(call.arguments.start_byte() + 1, keywords.join(", "))];
    };
    let trailing_comma = call.trailing_comma(last);
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
    let follows = call.next_child_on_row(before);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::edit::apply;
    use tree_sitter::Node;

    fn add(src: &str, kw: &str) -> String {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        let call = find_call(tree.root_node()).expect("a call");
        let newline = if src.contains("\r\n") { "\r\n" } else { "\n" };
        let out = apply(src, &layout_edits(&Call::new(call).unwrap(), src, newline, &[kw])).unwrap();
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
            apply(src, &layout_edits(&call, src, "\n", &["k=1", "j=2"])).unwrap()
        };
        assert_eq!(add_two("f()\n"), "f(k=1, j=2)\n");
        assert_eq!(add_two("f(a,)\n"), "f(a, k=1, j=2,)\n");
        assert_eq!(add_two("f(\n    a,\n)\n"), "f(\n    a,\n    k=1,\n    j=2,\n)\n");
        assert_eq!(add_two("f(\n    a  # c\n)\n"), "f(\n    a,  # c\n    k=1,\n    j=2\n)\n");
    }

    #[test]
    fn guarded_keywords_are_passed_through_a_conditional_dict() {
        let keyword = Keyword::new("filter", "\"data\"").guarded("hasattr(tarfile, \"data_filter\")");
        assert_eq!(
            add("t.extractall(d)\n", &keyword.text()),
            "t.extractall(d, **({\"filter\": \"data\"} if hasattr(tarfile, \"data_filter\") else {}))\n"
        );
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

    fn without(src: &str, name: &str) -> Result<String, String> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        let call = Call::new(find_call(tree.root_node()).unwrap()).unwrap();
        let out = apply(src, &remove(&call, src, name)?).unwrap();
        assert!(!parser.parse(&out, None).unwrap().root_node().has_error(), "does not parse:\n{out}");
        Ok(out)
    }

    #[test]
    fn removing_a_keyword_keeps_the_layout() {
        assert_eq!(without("f(a, k=1)\n", "k").unwrap(), "f(a)\n");
        assert_eq!(without("f(k=1)\n", "k").unwrap(), "f()\n");
        assert_eq!(without("f(k=1,)\n", "k").unwrap(), "f()\n");
        assert_eq!(without("f(a, k=1, b=2)\n", "k").unwrap(), "f(a, b=2)\n");
        assert_eq!(without("f(k=1, b=2)\n", "k").unwrap(), "f(b=2)\n");
        assert_eq!(without("f(a, k=1,)\n", "k").unwrap(), "f(a,)\n");
        assert_eq!(without("f(a, k=1, )\n", "k").unwrap(), "f(a, )\n");
        assert_eq!(without("f(\n    a,\n    k=1,\n)\n", "k").unwrap(), "f(\n    a,\n)\n");
        assert_eq!(without("f(\n    a,\n    k=1\n)\n", "k").unwrap(), "f(\n    a\n)\n");
        assert_eq!(without("f(\n    a,\n    k=1,\n    b=2,\n)\n", "k").unwrap(), "f(\n    a,\n    b=2,\n)\n");
        assert_eq!(without("f(\r\n    a,\r\n    k=1,\r\n)\r\n", "k").unwrap(), "f(\r\n    a,\r\n)\r\n");
        assert_eq!(without("f(\n    k=1\n)\n", "k").unwrap(), "f()\n");
        assert_eq!(without("f(a,\n  k=1)\n", "k").unwrap(), "f(a)\n");
        assert_eq!(without("f(\n    a,\n    k=1,  # why\n)\n", "k").unwrap(), "f(\n    a,\n    # why\n)\n");
        assert_eq!(without("f(\n    a,\n    k=1  # why\n)\n", "k").unwrap(), "f(\n    a  # why\n)\n");
        assert_eq!(without("f(x, k=g(\n  1))\n", "k").unwrap(), "f(x)\n");
    }

    #[test]
    fn removing_a_keyword_refuses_comments_in_its_way() {
        assert!(without("f(a, k=1  # c\n, b)\n", "k").is_err());
        assert!(without("f(a,  # c\n  k=1)\n", "k").is_err());
        assert!(without("f(  # c\n  k=1)\n", "k").is_err());
        assert!(without("f(a)\n", "k").is_err());
    }

    #[test]
    fn refuses_calls_that_may_pass_the_keyword_already() {
        let refused = |src: &str, keyword: Keyword| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
            let tree = parser.parse(src, None).unwrap();
            let call = Call::new(find_call(tree.root_node()).unwrap()).unwrap();
            insert(&call, src, "\n", &[keyword], 88).err()
        };
        assert!(refused("f(a, **kw)\n", Keyword::new("k", "1")).unwrap().contains("`**kwargs`"));
        assert!(refused("f(a, *xs)\n", Keyword::new("k", "1").positional_at(2)).unwrap().contains("`*args`"));
        assert_eq!(refused("f(a, *xs)\n", Keyword::new("k", "1")), None);
        assert!(refused("f(a, b, c)\n", Keyword::new("k", "1").positional_at(2)).unwrap().contains("positionally"));
        assert_eq!(refused("f(a, b)\n", Keyword::new("k", "1").positional_at(2)), None);
        assert!(refused("f(a, k=2)\n", Keyword::new("k", "1")).unwrap().contains("already passes"));
    }
}
