//! Calls that run a command line, as Bandit's shell-injection tests (B602,
//! B604, B605) and ruff's S602/S604/S605 see them: which functions start a
//! shell, whether a `shell=` value is true, and whether the command, as
//! written, can run without the shell ([`plain_command`], on top of
//! [`crate::python::shell_words`]).

use ruff_python_ast::{self as ast, Expr, Number, StringFlags};

use crate::python::literal::render_str;
use crate::python::shell_words::{classify_parts, Part, Reason};

/// The `subprocess` functions that take `shell=` (Bandit's `subprocess` list).
pub(crate) const SUBPROCESS: &[&str] =
    &["subprocess.Popen", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.run"];

/// Functions that always run their command through a shell (Bandit's `shell` list).
pub(crate) const SHELL: &[&str] = &[
    "os.system",
    "os.popen",
    "os.popen2",
    "os.popen3",
    "os.popen4",
    "popen2.popen2",
    "popen2.popen3",
    "popen2.popen4",
    "popen2.Popen3",
    "popen2.Popen4",
    "commands.getoutput",
    "commands.getstatusoutput",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
];

/// What a literal `shell=` value is worth when Python tests it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    /// Not a literal: known only at run time.
    Unknown,
}

/// The truth of `value` if it is a literal: `True`, `1`, `"sh"` and `[0]` are
/// true; `False`, `None`, `0`, `""` and empty containers are false.
pub(crate) fn truthiness(value: &Expr) -> Truth {
    let truth = |b: bool| if b { Truth::True } else { Truth::False };
    match value {
        Expr::BooleanLiteral(b) => truth(b.value),
        Expr::NoneLiteral(_) => Truth::False,
        Expr::NumberLiteral(n) => truth(match &n.value {
            Number::Int(i) => *i != ast::Int::ZERO,
            Number::Float(f) => *f != 0.0,
            Number::Complex { real, imag } => *real != 0.0 || *imag != 0.0,
        }),
        Expr::StringLiteral(s) => truth(!s.value.to_str().is_empty()),
        Expr::BytesLiteral(b) => truth(b.value.iter().any(|part| !part.value.is_empty())),
        Expr::List(l) => truth(!l.elts.is_empty()),
        Expr::Tuple(t) => truth(!t.elts.is_empty()),
        Expr::Set(s) => truth(!s.elts.is_empty()),
        Expr::Dict(d) => truth(!d.items.is_empty()),
        // `-1`: a sign does not change whether a number is zero.
        Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::USub | ast::UnaryOp::UAdd) => match &*u.operand {
            number @ Expr::NumberLiteral(_) => truthiness(number),
            _ => Truth::Unknown,
        },
        _ => Truth::Unknown,
    }
}

/// The command a `subprocess` call runs: its first positional argument, or `args=`.
pub(crate) fn command_argument(call: &ast::ExprCall) -> Option<&Expr> {
    match call.arguments.args.first() {
        Some(Expr::Starred(_)) => None,
        Some(first) => Some(first),
        None => call.arguments.find_keyword("args").map(|k| &k.value),
    }
}

/// A command that runs the same without a shell: its words, and the
/// Python list that passes them (`["ls", "-l"]`, in the literal's quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlainCommand {
    pub(crate) words: Vec<String>,
    pub(crate) list: String,
}

/// Whether the command `command` (an expression; `source` is the file)
/// can drop its shell, or why not.
pub(crate) fn plain_command(command: &Expr, source: &str) -> Result<PlainCommand, String> {
    match command {
        Expr::StringLiteral(s) => {
            let value = s.value.to_str();
            if value.contains('\\') {
                // `C:\tools\x.exe`: `sh` reads `C:toolsx.exe`, and so would
                // the list; the author most likely meant Windows' `cmd.exe`.
                return Err(BACKSLASH.to_owned());
            }
            let words = classify_parts(&[Part::Literal(value)]).map_err(|e| needs_shell(&e.reason))?;
            let quote = s.value.iter().next().map_or('"', |part| part.flags.quote_style().as_char());
            let written = &source[ruff_text_size::Ranged::range(s)];
            let items: Vec<String> = words.iter().map(|w| render_str(w, quote, written)).collect();
            Ok(PlainCommand { list: format!("[{}]", items.join(", ")), words })
        }
        Expr::FString(f) => {
            let mut parts = Vec::new();
            for part in f.value.iter() {
                match part {
                    ast::FStringPart::Literal(l) => parts.push(Part::Literal(&l.value)),
                    ast::FStringPart::FString(f) => {
                        for element in &f.elements {
                            match element {
                                ast::InterpolatedStringElement::Literal(l) => parts.push(Part::Literal(&l.value)),
                                ast::InterpolatedStringElement::Interpolation(_) => parts.push(Part::Dynamic),
                            }
                        }
                    }
                }
            }
            match classify_parts(&parts) {
                Err(e) if e.reason != Reason::NonLiteral => Err(needs_shell(&e.reason)),
                // All literal after all (`f"ls"`): still an f-string to rewrite by hand.
                _ => Err(INTERPOLATED.to_owned()),
            }
        }
        Expr::List(_) | Expr::Tuple(_) => Err(LIST_WITH_SHELL.to_owned()),
        Expr::BytesLiteral(_) => Err("the command is bytes; rewrite it by hand as a list of arguments".to_owned()),
        _ => Err(COMPUTED.to_owned()),
    }
}

const INTERPOLATED: &str = "the command interpolates values (an f-string): without a shell they would be split \
     differently (a value with blanks stays one argument); pass a list of arguments by hand";
const BACKSLASH: &str = "the command holds a backslash, an escape to `/bin/sh` but a path separator to Windows' \
     `cmd.exe`; rewrite it by hand as a list of arguments";
const COMPUTED: &str = "the command is computed at run time; pass a list of arguments instead of a string";
const LIST_WITH_SHELL: &str = "the command is a list: with a shell only its first item is the script, the others \
     become `$0`, `$1`, ...; drop the shell if the list is the program and its arguments";

fn needs_shell(reason: &Reason) -> String {
    format!("the command needs the shell: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    fn command(src: &str) -> Result<PlainCommand, String> {
        let parsed = parse_module(src, PythonVersion::latest());
        let ast::Stmt::Expr(statement) = &parsed.syntax().body[0] else { panic!("an expression") };
        plain_command(&statement.value, src)
    }

    fn truth(src: &str) -> Truth {
        let parsed = parse_module(src, PythonVersion::latest());
        let ast::Stmt::Expr(statement) = &parsed.syntax().body[0] else { panic!("an expression") };
        truthiness(&statement.value)
    }

    #[test]
    fn literal_truth() {
        for yes in ["True", "1", "-1", "0.5", "1j", "'sh'", "b'x'", "[0]", "(0,)", "{0}", "{0: 0}"] {
            assert_eq!(truth(yes), Truth::True, "{yes}");
        }
        for no in ["False", "None", "0", "0.0", "0j", "''", "b''", "[]", "()", "{}"] {
            assert_eq!(truth(no), Truth::False, "{no}");
        }
        for unknown in ["flag", "f'{x}'", "not x", "x or True", "set()"] {
            assert_eq!(truth(unknown), Truth::Unknown, "{unknown}");
        }
    }

    #[test]
    fn plain_commands_become_lists() {
        assert_eq!(command("'ls -l'").unwrap().list, "['ls', '-l']");
        assert_eq!(command("\"git log --format='%H'\"").unwrap().list, "[\"git\", \"log\", \"--format=%H\"]");
        assert_eq!(command("'ls ' '-l'").unwrap().words, ["ls", "-l"]);
        assert_eq!(command("'echo \"it'\"'\"'s\"'").unwrap().list, "['echo', 'it\\'s']");
        assert_eq!(command("'''dvc init -f'''").unwrap().list, "['dvc', 'init', '-f']");
    }

    #[test]
    fn commands_that_need_their_shell_say_why() {
        assert!(command("'ls | wc'").unwrap_err().contains("pipeline"));
        assert!(command("'cd /tmp'").unwrap_err().contains("`cd`"));
        assert!(command("f'ls {d}'").unwrap_err().contains("f-string"));
        assert!(command("f'ls {d} | wc'").unwrap_err().contains("f-string"));
        assert!(command("f'ls | wc {d}'").unwrap_err().contains("pipeline"));
        assert!(command("f'ls'").unwrap_err().contains("f-string"));
        assert!(command("'ls %s' % d").unwrap_err().contains("computed"));
        assert!(command("['ls', '-l']").unwrap_err().contains("`$0`"));
        assert!(command("b'ls'").unwrap_err().contains("bytes"));
        assert!(command("r'C:\\tools\\x.exe --flag'").unwrap_err().contains("backslash"));
        assert!(command("'echo a\\ b'").unwrap_err().contains("backslash"));
    }
}
