//! Python literals, both ways: writing a `str` value back as a literal a fix
//! can insert ([`render_str`]), and deciding whether a string holds plain
//! literal data, on which `ast.literal_eval` gives exactly what `eval` gives
//! ([`is_literal_data`]).

use ruff_python_ast::{self as ast, Expr, Number, Operator, UnaryOp};

/// `value` as a Python `str` literal in `quote` (`'` or `"`). Backslashes,
/// the quote and control characters are escaped; a non-ASCII character is
/// written as itself only when `source` (the literal it comes from, as
/// written) holds it as itself, so that a fix never puts into a file a
/// character its encoding may not hold, nor an invisible one it did not have.
pub(crate) fn render_str(value: &str, quote: char, source: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push(quote);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if !c.is_ascii() && !c.is_control() && source.contains(c) => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// How deep literal data may nest before we stop vouching for it (CPython's
/// parser allows 200 levels of brackets; far below that, nothing differs).
const MAX_DEPTH: usize = 50;

/// Does `eval(text)` evaluate plain literal data, on which
/// `ast.literal_eval(text)` gives the same value (or raises the same error),
/// on every Python from 3.8 on? Numbers (not booleans) under a unary `+`/`-`,
/// `a + bj` / `a - bj` complex numbers, strings, bytes, `True`, `False`,
/// `None`, `...`, and tuples, lists, sets and dicts of these. Not `set()`:
/// `eval` looks the name up, and 3.8's `literal_eval` refuses it. Both strip
/// leading spaces and tabs; a NUL byte makes both raise, and is refused here.
pub(crate) fn is_literal_data(text: &str) -> bool {
    if text.contains('\0') {
        return false;
    }
    let Ok(parsed) = ruff_python_parser::parse_expression(text.trim_start_matches([' ', '\t'])) else {
        return false;
    };
    literal(&parsed.syntax().body, 0)
}

fn literal(expr: &Expr, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let all = |items: &[Expr]| items.iter().all(|e| literal(e, depth + 1));
    match expr {
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::EllipsisLiteral(_) => true,
        Expr::Tuple(t) => all(&t.elts),
        Expr::List(l) => all(&l.elts),
        Expr::Set(s) => all(&s.elts),
        Expr::Dict(d) => d
            .items
            .iter()
            .all(|item| item.key.as_ref().is_some_and(|k| literal(k, depth + 1)) && literal(&item.value, depth + 1)),
        Expr::UnaryOp(u) => signed_number(u),
        Expr::BinOp(b) => complex_number(b),
        _ => false,
    }
}

/// `-1`, `+2.5`, `-3j`: a sign before a number literal (`literal_eval`
/// refuses `-True` and `--1`).
fn signed_number(unary: &ast::ExprUnaryOp) -> bool {
    matches!(unary.op, UnaryOp::UAdd | UnaryOp::USub) && matches!(*unary.operand, Expr::NumberLiteral(_))
}

/// `1 + 2j`, `-1.5 - 2j`: a real number, maybe signed, plus or minus an
/// imaginary literal.
fn complex_number(binary: &ast::ExprBinOp) -> bool {
    let real = match &*binary.left {
        Expr::NumberLiteral(n) => !matches!(n.value, Number::Complex { .. }),
        Expr::UnaryOp(u) => {
            signed_number(u)
                && matches!(&*u.operand, Expr::NumberLiteral(n) if !matches!(n.value, Number::Complex { .. }))
        }
        _ => false,
    };
    let imaginary = matches!(&*binary.right, Expr::NumberLiteral(n) if matches!(n.value, Number::Complex { .. }));
    matches!(binary.op, Operator::Add | Operator::Sub) && real && imaginary
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn rendering_escapes_what_must_be_escaped() {
        assert_eq!(render_str("ls", '"', ""), "\"ls\"");
        assert_eq!(render_str("it's", '\'', ""), "'it\\'s'");
        assert_eq!(render_str("a\"b\\c", '"', ""), "\"a\\\"b\\\\c\"");
        assert_eq!(render_str("a\nb\tc\r\u{7}", '"', ""), "\"a\\nb\\tc\\r\\x07\"");
        assert_eq!(render_str("é", '"', "\"é\""), "\"é\"");
        assert_eq!(render_str("é", '"', "\"\\xe9\""), "\"\\xe9\"");
        assert_eq!(render_str("中\u{202e}😀", '"', ""), "\"\\u4e2d\\u202e\\U0001f600\"");
    }

    #[test]
    fn literal_data_examples() {
        for yes in [
            "1",
            "-1",
            "+1.5",
            "1+2j",
            "-1 - 2j",
            "'a'",
            "b'x'",
            "'a' 'b'",
            "[1, 2]",
            "(1,)",
            "()",
            "{}",
            "{1, 2}",
            "{'a': [1, (2, None)]}",
            "  [True, False, ...]",
            "\t1",
            "[1,\n 2]  # comment",
        ] {
            assert!(is_literal_data(yes), "{yes:?}");
        }
        for no in [
            "x",
            "set()",
            "1 + 1",
            "--1",
            "-True",
            "1j + 2j",
            "1 + -2j",
            "f'{x}'",
            "[*a]",
            "{**a}",
            "__import__('os')",
            "(1).real",
            "[1][0]",
            "1 if True else 2",
            "1\0",
            "",
            "lambda: 1",
        ] {
            assert!(!is_literal_data(no), "{no:?}");
        }
        assert!(!is_literal_data(&format!("{}1{}", "[".repeat(60), "]".repeat(60))));
    }

    fn run_python(script: &str, input: &str) -> Vec<serde_json::Value> {
        use std::io::Write;
        let python = std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {python}: {e}"));
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every rendered literal reads back, in CPython, as the value it was made from.
    #[test]
    fn rendered_literals_read_back_in_python() {
        let values = [
            "",
            "ls",
            "it's",
            "say \"hi\"",
            "a\\b",
            "tab\there",
            "nl\n",
            "\r\x00\x7f\u{85}",
            "é",
            "中文",
            "\u{202e}",
            "😀",
            "\\'\"",
        ];
        let mut cases = Vec::new();
        for value in values {
            for quote in ['"', '\''] {
                for source in ["", value] {
                    cases.push((value.to_owned(), render_str(value, quote, source)));
                }
            }
        }
        let script = r#"
import ast, json, sys
print(json.dumps([[v, r] for v, r in json.load(sys.stdin) if ast.literal_eval(r) != v]))
"#;
        let bad = run_python(script, &serde_json::to_string(&cases).unwrap());
        assert!(bad.is_empty(), "{bad:#?}");
    }

    /// What `is_literal_data` accepts, CPython agrees with: `literal_eval`
    /// gives the same value as `eval`, or raises the same error type.
    #[test]
    fn literal_data_agrees_with_python() {
        let mut inputs: Vec<String> = [
            "1",
            "-1",
            "+0.0",
            "-0.0",
            "1e999",
            "-1e999",
            "1_000",
            "0x1F",
            "0o17",
            "0b11",
            "1+2j",
            "-1.5-2j",
            "1J",
            "'a'",
            "\"b\"",
            "'''c'''",
            "r'\\d'",
            "b'x'",
            "rb'\\x'",
            "u'z'",
            "'a' 'b'",
            "[1, 2]",
            "(1,)",
            "()",
            "{}",
            "{1, 2}",
            "{1: 2, 1: 3}",
            "{'a': [1, (2, None)]}",
            " [True, False, ...]",
            "\t1",
            "[1,\n 2]  # c",
            "{[1]}",
            "{[]: 1}",
            "'\\N{DASH}'",
            "(((1)))",
            "[1, 2,]",
            "{'k': -1j}",
            "None",
            "...",
            "  \t'x'  ",
            "1\n",
            "[\n1\n,\n]",
            "'é'",
            "-(1)",
            "+(1.5)",
            "(-1)+2j",
            "9",
            "\n1",
            "\x0c1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push("9".repeat(5000));
        let accepted: Vec<&String> = inputs.iter().filter(|s| is_literal_data(s)).collect();
        assert!(accepted.len() > 40, "only {} accepted", accepted.len());
        let script = r#"
import ast, json, sys
bad = []
def outcome(f, s):
    try:
        v = f(s)
        return [type(v).__name__, repr(v)]
    except BaseException as e:
        return ["raises", type(e).__name__]
for s in json.load(sys.stdin):
    a, b = outcome(eval, s), outcome(ast.literal_eval, s)
    if a != b:
        bad.append([s[:80], a, b])
print(json.dumps(bad))
"#;
        let bad = run_python(script, &serde_json::to_string(&accepted).unwrap());
        assert!(bad.is_empty(), "eval and literal_eval differ: {bad:#?}");
    }
}
