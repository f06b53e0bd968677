//! The words of a shell command line, for rules that turn `shell=True` /
//! `os.system("...")` into an argument list.
//!
//! [`split`] has exactly the semantics of Python's `shlex.split(s)` (POSIX
//! mode, `comments=False`): what a fix writes as the list is what Python would
//! compute. [`classify`] says whether `/bin/sh -c COMMAND` runs exactly that
//! list, and when it does not, why, as a typed [`Reason`]. It is conservative:
//! anything the shell could read differently from `shlex` is refused, even
//! where a particular shell happens to agree.
//!
//! What no classifier can see and a rule must say in its fix notes: without a
//! shell, a missing program raises `FileNotFoundError` instead of exit status
//! 127; `os.system` returns a wait status (`256` for exit 1), not an exit code;
//! and `/bin/sh` exports `PWD` (and bash `SHLVL`, `_`), so a program that
//! prints its environment sees one variable less.

use std::fmt;

/// Why `shlex.split` rejects a string (its `ValueError` message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyntaxKind {
    /// A quote is opened and never closed: "No closing quotation".
    NoClosingQuotation,
    /// The string ends with a lone backslash: "No escaped character".
    NoEscapedCharacter,
}

impl SyntaxKind {
    /// Python's message for it, word for word.
    pub(crate) fn message(self) -> &'static str {
        match self {
            SyntaxKind::NoClosingQuotation => "No closing quotation",
            SyntaxKind::NoEscapedCharacter => "No escaped character",
        }
    }
}

/// A string that `shlex.split` rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShellSyntax {
    pub(crate) kind: SyntaxKind,
    /// Byte offset of the unclosed quote or of the trailing backslash.
    pub(crate) offset: usize,
}

impl fmt::Display for ShellSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind.message(), self.offset)
    }
}

impl std::error::Error for ShellSyntax {}

/// `shlex.split(command)`: the words of `command`, with quotes and escapes
/// removed, or the error Python raises.
#[cfg(test)]
pub(crate) fn split(command: &str) -> Result<Vec<String>, ShellSyntax> {
    Ok(split_words(command)?.into_iter().map(|w| w.text).collect())
}

/// One word and the byte offset where it starts.
#[derive(Debug)]
struct Word {
    start: usize,
    text: String,
}

/// Where the splitter is: `shlex`'s states in POSIX mode with `whitespace_split`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between words.
    Blank,
    /// Inside a word, outside quotes.
    Word,
    /// Inside `'...'` or `"..."`.
    Quote(char),
    /// Just after a backslash; holds the state to return to.
    Escape(Escaped),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Escaped {
    Word,
    DoubleQuote,
}

/// `shlex`'s whitespace: exactly these four, nothing else.
fn is_shlex_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn split_words(command: &str) -> Result<Vec<Word>, ShellSyntax> {
    let mut words = Vec::new();
    let mut text = String::new();
    let mut start = 0;
    // Every path into `State::Word` adds a character or closes a quote, so a
    // word in that state is emitted even when empty (`''`).
    let mut state = State::Blank;
    // Offset of the quote or backslash that opened the current state.
    let mut opened_at = 0;
    for (i, c) in command.char_indices() {
        state = match state {
            State::Blank => {
                if is_shlex_blank(c) {
                    State::Blank
                } else {
                    start = i;
                    opened_at = i;
                    match c {
                        '\\' => State::Escape(Escaped::Word),
                        '\'' | '"' => State::Quote(c),
                        _ => {
                            text.push(c);
                            State::Word
                        }
                    }
                }
            }
            State::Word => {
                opened_at = i;
                match c {
                    c if is_shlex_blank(c) => {
                        words.push(Word { start, text: std::mem::take(&mut text) });
                        State::Blank
                    }
                    '\\' => State::Escape(Escaped::Word),
                    '\'' | '"' => State::Quote(c),
                    _ => {
                        text.push(c);
                        State::Word
                    }
                }
            }
            State::Quote(q) => {
                if c == q {
                    State::Word
                } else if c == '\\' && q == '"' {
                    opened_at = i;
                    State::Escape(Escaped::DoubleQuote)
                } else {
                    text.push(c);
                    State::Quote(q)
                }
            }
            State::Escape(back) => {
                match back {
                    Escaped::Word => {
                        text.push(c);
                        State::Word
                    }
                    Escaped::DoubleQuote => {
                        // Inside double quotes only `\"` and `\\` are escapes;
                        // before anything else the backslash stays.
                        if c != '"' && c != '\\' {
                            text.push('\\');
                        }
                        text.push(c);
                        State::Quote('"')
                    }
                }
            }
        };
    }
    match state {
        State::Blank => {}
        State::Word => words.push(Word { start, text }),
        State::Quote(_) => return Err(ShellSyntax { kind: SyntaxKind::NoClosingQuotation, offset: opened_at }),
        State::Escape(_) => return Err(ShellSyntax { kind: SyntaxKind::NoEscapedCharacter, offset: opened_at }),
    }
    Ok(words)
}

/// Why a command string cannot drop its shell: the shell would do something
/// that the argument list from [`split`] does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// `shlex.split` raises on it.
    Syntax(SyntaxKind),
    /// Part of the command is computed at run time (an f-string field, a
    /// variable, a `%`/`.format` argument): its text is unknown.
    NonLiteral,
    /// No words at all: the shell does nothing, `subprocess.run([])` raises.
    Empty,
    /// `|`: a pipeline.
    Pipe,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `&`: runs in the background.
    Background,
    /// `;`: a second command.
    Separator,
    /// `<`, `>`, `>>`, `2>&1`, `&>`.
    Redirection,
    /// `<<`, `<<-`, `<<<`.
    HereDoc,
    /// `(` or `)`: a subshell, or `<(...)`.
    Subshell,
    /// `$`: parameter or arithmetic expansion, `$'...'` quoting; also `\$`
    /// inside double quotes, which the shell unescapes and `shlex` does not.
    Expansion,
    /// `` `...` `` or `$(...)`.
    CommandSubstitution,
    /// Unquoted `*`, `?` or `[`: a pathname pattern.
    Glob,
    /// Unquoted `~`: the home directory.
    Tilde,
    /// Unquoted `{` or `}`: brace expansion (bash) or a command group.
    Brace,
    /// Unquoted `#` starting a word: the rest of the line is a comment to the
    /// shell and words to `shlex.split`.
    Comment,
    /// Unquoted newline: a second command.
    Newline,
    /// Backslash-newline: the shell joins the lines, `shlex` keeps a newline.
    LineContinuation,
    /// Unquoted carriage return: a blank to `shlex`, a character to the shell.
    CarriageReturn,
    /// `NAME=value cmd`: an environment assignment, not a program.
    Assignment,
    /// The command word is a shell keyword (`if`, `for`, `!`, `time`...).
    ReservedWord(String),
    /// The command word is a shell builtin with no program of that name
    /// (`cd`, `export`, `source`, `.`, `exit`...).
    Builtin(String),
    /// The shell's builtin and the program of the same name disagree on these
    /// arguments: `echo` with a backslash or an option other than `-n`,
    /// `printf` with a backslash or a conversion other than `%s`, `test`,
    /// `[`, `pwd`, `kill`.
    BuiltinDiffers(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Syntax(kind) => write!(f, "not valid shell syntax: {}", kind.message()),
            Reason::NonLiteral => f.write_str("part of the command is computed at run time"),
            Reason::Empty => f.write_str("the command is empty"),
            Reason::Pipe => f.write_str("a pipeline (`|`)"),
            Reason::And => f.write_str("a command list (`&&`)"),
            Reason::Or => f.write_str("a command list (`||`)"),
            Reason::Background => f.write_str("a background command (`&`)"),
            Reason::Separator => f.write_str("several commands (`;`)"),
            Reason::Redirection => f.write_str("a redirection (`<`, `>`)"),
            Reason::HereDoc => f.write_str("a here-document (`<<`)"),
            Reason::Subshell => f.write_str("a subshell (`(`, `)`)"),
            Reason::Expansion => f.write_str("a shell expansion (`$`)"),
            Reason::CommandSubstitution => f.write_str("a command substitution (`` ` ``, `$(`)"),
            Reason::Glob => f.write_str("a filename pattern (`*`, `?`, `[`)"),
            Reason::Tilde => f.write_str("a tilde expansion (`~`)"),
            Reason::Brace => f.write_str("a brace expansion or group (`{`, `}`)"),
            Reason::Comment => f.write_str("a comment (`#`)"),
            Reason::Newline => f.write_str("several lines"),
            Reason::LineContinuation => f.write_str("a line continuation (backslash-newline)"),
            Reason::CarriageReturn => f.write_str("a carriage return outside quotes"),
            Reason::Assignment => f.write_str("an environment assignment before the command"),
            Reason::ReservedWord(w) => write!(f, "the shell keyword `{w}`"),
            Reason::Builtin(w) => write!(f, "the shell builtin `{w}`, which has no program"),
            Reason::BuiltinDiffers(w) => {
                write!(f, "the shell builtin `{w}`, which differs from the program on these arguments")
            }
        }
    }
}

/// A command string that cannot be run without its shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotSafe {
    pub(crate) reason: Reason,
    /// Byte offset in the command (its literal parts, concatenated) of the
    /// first character that needs the shell.
    pub(crate) offset: usize,
}

impl fmt::Display for NotSafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.reason, self.offset)
    }
}

impl std::error::Error for NotSafe {}

/// One piece of a command string as written in the source: literal text, or
/// something computed at run time (an f-string field, a `%` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part<'a> {
    Literal(&'a str),
    Dynamic,
}

/// Whether `/bin/sh -c command` runs exactly `split(command)`. On success,
/// the argument list to run instead.
#[cfg(test)]
pub(crate) fn classify(command: &str) -> Result<Vec<String>, NotSafe> {
    classify_parts(&[Part::Literal(command)])
}

/// [`classify`] for a command built from parts. Any [`Part::Dynamic`] makes
/// it [`Reason::NonLiteral`], unless an earlier character already needs the
/// shell. Offsets count the literal parts only.
pub(crate) fn classify_parts(parts: &[Part<'_>]) -> Result<Vec<String>, NotSafe> {
    // The text as a sequence of characters, `None` standing for a dynamic part.
    let mut chars: Vec<(usize, Option<char>)> = Vec::new();
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Literal(s) => {
                let base = text.len();
                chars.extend(s.char_indices().map(|(i, c)| (base + i, Some(c))));
                text.push_str(s);
            }
            Part::Dynamic => chars.push((text.len(), None)),
        }
    }
    scan(&chars)?;
    let words = split_words(&text).map_err(|e| NotSafe { reason: Reason::Syntax(e.kind), offset: e.offset })?;
    check_command_word(&words)?;
    Ok(words.into_iter().map(|w| w.text).collect())
}

/// Where the shell's reader is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    None,
    Single,
    Double,
}

/// Reads the text as `/bin/sh` would and stops at the first character whose
/// meaning to the shell differs from its meaning to `shlex.split`.
fn scan(chars: &[(usize, Option<char>)]) -> Result<(), NotSafe> {
    let fail = |reason: Reason, offset: usize| Err(NotSafe { reason, offset });
    let mut quoting = Quoting::None;
    let mut quote_at = 0;
    // No character of the current word has been read yet.
    let mut word_start = true;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let Some(c) = c else {
            return fail(Reason::NonLiteral, at);
        };
        match quoting {
            Quoting::None => {
                let starts_word = word_start;
                word_start = false;
                match c {
                    ' ' | '\t' => word_start = true,
                    '\'' => {
                        quoting = Quoting::Single;
                        quote_at = at;
                    }
                    '"' => {
                        quoting = Quoting::Double;
                        quote_at = at;
                    }
                    '\\' => match next {
                        None => return fail(Reason::Syntax(SyntaxKind::NoEscapedCharacter), at),
                        Some(None) => return fail(Reason::NonLiteral, chars[i + 1].0),
                        Some(Some('\n')) => return fail(Reason::LineContinuation, at),
                        // Any other escaped character is itself to both.
                        Some(Some(_)) => i += 1,
                    },
                    '|' if next == Some(Some('|')) => return fail(Reason::Or, at),
                    '|' => return fail(Reason::Pipe, at),
                    '&' if next == Some(Some('&')) => return fail(Reason::And, at),
                    '&' if next == Some(Some('>')) => return fail(Reason::Redirection, at),
                    '&' => return fail(Reason::Background, at),
                    ';' => return fail(Reason::Separator, at),
                    '<' if next == Some(Some('<')) => return fail(Reason::HereDoc, at),
                    '<' | '>' => return fail(Reason::Redirection, at),
                    '(' | ')' => return fail(Reason::Subshell, at),
                    '$' if next == Some(Some('(')) => return fail(Reason::CommandSubstitution, at),
                    '$' => return fail(Reason::Expansion, at),
                    '`' => return fail(Reason::CommandSubstitution, at),
                    '*' | '?' | '[' => return fail(Reason::Glob, at),
                    '~' => return fail(Reason::Tilde, at),
                    '{' | '}' => return fail(Reason::Brace, at),
                    '#' if starts_word => return fail(Reason::Comment, at),
                    '\n' => return fail(Reason::Newline, at),
                    '\r' => return fail(Reason::CarriageReturn, at),
                    _ => {}
                }
            }
            Quoting::Single => {
                if c == '\'' {
                    quoting = Quoting::None;
                }
            }
            Quoting::Double => match c {
                '"' => quoting = Quoting::None,
                '$' if next == Some(Some('(')) => return fail(Reason::CommandSubstitution, at),
                '$' => return fail(Reason::Expansion, at),
                '`' => return fail(Reason::CommandSubstitution, at),
                '\\' => match next {
                    None => return fail(Reason::Syntax(SyntaxKind::NoEscapedCharacter), at),
                    Some(None) => return fail(Reason::NonLiteral, chars[i + 1].0),
                    // The shell unescapes these, `shlex` keeps the backslash.
                    Some(Some('$')) => return fail(Reason::Expansion, at),
                    Some(Some('`')) => return fail(Reason::CommandSubstitution, at),
                    Some(Some('\n')) => return fail(Reason::LineContinuation, at),
                    Some(Some(_)) => i += 1,
                },
                _ => {}
            },
        }
        i += 1;
    }
    if quoting != Quoting::None {
        return fail(Reason::Syntax(SyntaxKind::NoClosingQuotation), quote_at);
    }
    Ok(())
}

/// Shell keywords (POSIX and bash) that cannot start a simple command.
const RESERVED: &[&str] = &[
    "!", "{", "}", "[[", "]]", "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if",
    "in", "select", "then", "time", "until", "while",
];

/// Builtins of sh and bash that no program of the same name can stand for:
/// they act on the shell itself, or exist only inside it.
const BUILTINS: &[&str] = &[
    ".",
    ":",
    "alias",
    "bg",
    "bind",
    "break",
    "builtin",
    "caller",
    "cd",
    "chdir",
    "command",
    "compgen",
    "complete",
    "compopt",
    "continue",
    "declare",
    "dirs",
    "disown",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "pushd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "times",
    "trap",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
];

/// Builtins that also exist as programs but behave differently from them.
const DIVERGENT: &[&str] = &["[", "kill", "pwd", "test"];

/// The checks that need whole words: the command word and its arguments.
fn check_command_word(words: &[Word]) -> Result<(), NotSafe> {
    let Some(first) = words.first() else {
        return Err(NotSafe { reason: Reason::Empty, offset: 0 });
    };
    let name = first.text.as_str();
    let fail = |reason: Reason| Err(NotSafe { reason, offset: first.start });
    if is_assignment(name) {
        return fail(Reason::Assignment);
    }
    if RESERVED.contains(&name) {
        return fail(Reason::ReservedWord(name.to_string()));
    }
    if BUILTINS.contains(&name) {
        return fail(Reason::Builtin(name.to_string()));
    }
    if DIVERGENT.contains(&name) {
        return fail(Reason::BuiltinDiffers(name.to_string()));
    }
    let args: Vec<&str> = words[1..].iter().map(|w| w.text.as_str()).collect();
    let differs = match name {
        "echo" => echo_differs(&args),
        "printf" => printf_differs(&args),
        "" => return fail(Reason::Empty),
        _ => false,
    };
    if differs {
        return fail(Reason::BuiltinDiffers(name.to_string()));
    }
    Ok(())
}

/// `NAME=...` with a valid shell name before the `=`.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// dash's `echo` expands backslash escapes and knows only a first `-n`;
/// coreutils' `echo` expands none and takes any leading `-[neE]+`, and
/// `--help`/`--version` when alone.
fn echo_differs(args: &[&str]) -> bool {
    if args.iter().any(|a| a.contains('\\')) {
        return true;
    }
    if matches!(args, ["--help" | "--version"]) {
        return true;
    }
    let first = usize::from(args.first() == Some(&"-n"));
    args.get(first).is_some_and(|a| a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c)))
}

/// The builtin and coreutils' `printf` agree on a format that does not start
/// with `-` and holds no conversion but `%s` and `%%` (with flags, width and
/// precision); backslash escapes are refused outright (`\x41` is one that
/// only coreutils knows).
fn printf_differs(args: &[&str]) -> bool {
    // No format: dash and coreutils fail with different statuses.
    let Some(format) = args.first() else {
        return true;
    };
    // dash's `printf` takes a leading `-x` as an option; coreutils' prints it.
    if format.starts_with('-') || args.iter().any(|a| a.contains('\\')) {
        return true;
    }
    let mut rest = *format;
    while let Some(pos) = rest.find('%') {
        let spec = &rest[pos + 1..];
        let body = spec.trim_start_matches(['-', '+', ' ', '#', '0']).trim_start_matches(|c: char| c.is_ascii_digit());
        let body = match body.strip_prefix('.') {
            Some(b) => b.trim_start_matches(|c: char| c.is_ascii_digit()),
            None => body,
        };
        match body.chars().next() {
            Some('s') => rest = &body[1..],
            Some('%') if body.len() == spec.len() => rest = &body[1..],
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn python() -> String {
        std::env::var("REMEDIATE_PYTHON").unwrap_or_else(|_| "python3".into())
    }

    /// Runs `script` under the judge Python with `input` on stdin; its stdout.
    fn run_python(script: &str, input: &str, dir: Option<&std::path::Path>) -> String {
        use std::io::Write;
        let mut cmd = Command::new(python());
        cmd.args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("running {}: {e}", python()));
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    fn hand_written() -> Vec<String> {
        [
            "",
            " ",
            "a",
            "a b",
            "  a   b  ",
            "a\tb\nc\rd",
            "''",
            "\"\"",
            "'' ''",
            "a''",
            "''a",
            "a'b c'd",
            "a\"b c\"d",
            "'a\\b'",
            "\"a\\b\"",
            "\"a\\\"b\"",
            "\"a\\\\b\"",
            "\"a\\$b\"",
            "\"a\\`b\"",
            "\"\\\n\"",
            "a\\ b",
            "a\\\\b",
            "\\'",
            "\\\"",
            "\\",
            "a\\",
            "'abc",
            "\"abc",
            "\"a\\",
            "'a\\'",
            "a #b",
            "#a",
            "a#b",
            "a\\\nb",
            "'\n'",
            "é ü 中文 \u{202e}",
            "a\u{a0}b",
            "a\u{b}b\u{c}c",
            "echo 'it'\\''s'",
            "x=\"1 2\" y",
            "\"'\"'\"'",
            "\\ ",
            "\\\t\\\n",
            "a\"\"b",
            "\"\"\"\"",
            "'\\''",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn generated(count: usize, seed: u64) -> Vec<String> {
        let alphabet = [
            "a", "b", "x", " ", " ", "\t", "\n", "\r", "'", "'", "\"", "\"", "\\", "\\", "#", "$", "é", "-", "=", "*",
            "\u{202e}", "\u{b}",
        ];
        let mut rng = Rng(seed);
        (0..count)
            .map(|_| {
                let len = rng.below(12);
                (0..len).map(|_| *rng.pick(&alphabet)).collect()
            })
            .collect()
    }

    #[test]
    fn split_matches_python_shlex() {
        let mut inputs = hand_written();
        inputs.extend(generated(600, 0x9e37_79b9_7f4a_7c15));
        let script = r#"
import json, shlex, sys
out = []
for s in json.load(sys.stdin):
    try:
        out.append({"ok": shlex.split(s)})
    except ValueError as e:
        out.append({"err": str(e)})
print(json.dumps(out))
"#;
        let answer = run_python(script, &serde_json::to_string(&inputs).unwrap(), None);
        let expected: Vec<serde_json::Value> = serde_json::from_str(&answer).unwrap();
        assert_eq!(expected.len(), inputs.len());
        let (mut ok, mut errors) = (0, 0);
        for (input, want) in inputs.iter().zip(&expected) {
            let got = match split(input) {
                Ok(words) => {
                    ok += 1;
                    serde_json::json!({ "ok": words })
                }
                Err(e) => {
                    errors += 1;
                    serde_json::json!({ "err": e.kind.message() })
                }
            };
            assert_eq!(&got, want, "split({input:?})");
        }
        // Both outcomes are exercised, not only one.
        assert!(ok > 200 && errors > 50, "ok {ok}, errors {errors}");
    }

    #[test]
    fn split_examples() {
        assert_eq!(split("a 'b c' \"d\\\"e\" f\\ g").unwrap(), ["a", "b c", "d\"e", "f g"]);
        assert_eq!(split("''").unwrap(), [""]);
        assert_eq!(split("\"a\\b\"").unwrap(), ["a\\b"]);
        assert_eq!(split("a #b").unwrap(), ["a", "#b"]);
        assert!(split("   ").unwrap().is_empty());
        assert_eq!(split("ab 'c").unwrap_err(), ShellSyntax { kind: SyntaxKind::NoClosingQuotation, offset: 3 });
        assert_eq!(split("ab c\\").unwrap_err(), ShellSyntax { kind: SyntaxKind::NoEscapedCharacter, offset: 4 });
        assert_eq!(split("\"x\\").unwrap_err().kind, SyntaxKind::NoEscapedCharacter);
    }

    fn reason(command: &str) -> Reason {
        match classify(command) {
            Ok(words) => panic!("{command:?} classified safe as {words:?}"),
            Err(e) => e.reason,
        }
    }

    #[test]
    fn classify_reasons() {
        use Reason::*;
        let cases: &[(&str, Reason)] = &[
            ("ls | wc", Pipe),
            ("a && b", And),
            ("a || b", Or),
            ("sleep 1 &", Background),
            ("a; b", Separator),
            ("echo a > f", Redirection),
            ("cat < f", Redirection),
            ("cmd 2>&1", Redirection),
            ("cmd &> f", Redirection),
            ("cat <<EOF", HereDoc),
            ("(cd x)", Subshell),
            ("diff <(a) b", Redirection),
            ("echo $HOME", Expansion),
            ("echo \"$HOME\"", Expansion),
            ("echo \"a\\$b\"", Expansion),
            ("echo $'a'", Expansion),
            ("echo $(date)", CommandSubstitution),
            ("echo `date`", CommandSubstitution),
            ("echo \"`date`\"", CommandSubstitution),
            ("ls *.py", Glob),
            ("ls a?", Glob),
            ("ls [ab]", Glob),
            ("ls ~/x", Tilde),
            ("echo a{b,c}", Brace),
            ("echo a #comment", Comment),
            ("a\nb", Newline),
            ("a \\\nb", LineContinuation),
            ("echo \"a\\\nb\"", LineContinuation),
            ("a\rb", CarriageReturn),
            ("A=1 env", Assignment),
            ("if true", ReservedWord("if".into())),
            ("! true", ReservedWord("!".into())),
            ("time ls", ReservedWord("time".into())),
            ("cd /tmp", Builtin("cd".into())),
            ("source x", Builtin("source".into())),
            (". x", Builtin(".".into())),
            ("export A=1", Builtin("export".into())),
            ("test -f x", BuiltinDiffers("test".into())),
            ("pwd", BuiltinDiffers("pwd".into())),
            ("echo 'a\\tb'", BuiltinDiffers("echo".into())),
            ("echo -e x", BuiltinDiffers("echo".into())),
            ("echo -n -e x", BuiltinDiffers("echo".into())),
            ("echo --help", BuiltinDiffers("echo".into())),
            ("printf 'a\\n'", BuiltinDiffers("printf".into())),
            ("printf %d 1", BuiltinDiffers("printf".into())),
            ("printf '%q' x", BuiltinDiffers("printf".into())),
            ("printf -e", BuiltinDiffers("printf".into())),
            ("printf", BuiltinDiffers("printf".into())),
            ("", Empty),
            ("   ", Empty),
            ("'' x", Empty),
            ("echo 'a", Syntax(SyntaxKind::NoClosingQuotation)),
            ("echo a\\", Syntax(SyntaxKind::NoEscapedCharacter)),
        ];
        for (command, want) in cases {
            assert_eq!(&reason(command), want, "{command:?}");
        }
    }

    #[test]
    fn classify_safe() {
        let cases: &[(&str, &[&str])] = &[
            ("ls -l", &["ls", "-l"]),
            ("dvc init -f --no-scm", &["dvc", "init", "-f", "--no-scm"]),
            ("git log --format=%H", &["git", "log", "--format=%H"]),
            ("echo 'a | b' \"c;d\" e\\&f", &["echo", "a | b", "c;d", "e&f"]),
            ("echo '$HOME ~ * #'", &["echo", "$HOME ~ * #"]),
            ("echo a#b", &["echo", "a#b"]),
            ("echo -n x", &["echo", "-n", "x"]),
            ("printf '%-5s|%%' x", &["printf", "%-5s|%%", "x"]),
            ("nvidia-smi --query-gpu=name --format=csv", &["nvidia-smi", "--query-gpu=name", "--format=csv"]),
            ("python -m pip install 'torch==2.3'", &["python", "-m", "pip", "install", "torch==2.3"]),
            ("echo 'line\none'", &["echo", "line\none"]),
            ("true", &["true"]),
        ];
        for (command, want) in cases {
            assert_eq!(classify(command).unwrap(), *want, "{command:?}");
        }
    }

    #[test]
    fn classify_offsets_and_parts() {
        assert_eq!(classify("ls -l | wc").unwrap_err(), NotSafe { reason: Reason::Pipe, offset: 6 });
        assert_eq!(classify("echo 'x").unwrap_err().offset, 5);
        assert_eq!(classify("echo x; y=1").unwrap_err().offset, 6);
        assert_eq!(classify("  A=1 cmd").unwrap_err(), NotSafe { reason: Reason::Assignment, offset: 2 });
        let parts = [Part::Literal("sox "), Part::Dynamic, Part::Literal(" -V0")];
        assert_eq!(classify_parts(&parts).unwrap_err(), NotSafe { reason: Reason::NonLiteral, offset: 4 });
        // An earlier shell construct wins over a later dynamic part.
        let parts = [Part::Literal("a | sox "), Part::Dynamic];
        assert_eq!(classify_parts(&parts).unwrap_err().reason, Reason::Pipe);
        // A dynamic part right after a backslash or inside quotes is still dynamic.
        let parts = [Part::Literal("echo '"), Part::Dynamic, Part::Literal("'")];
        assert_eq!(classify_parts(&parts).unwrap_err().reason, Reason::NonLiteral);
        let parts = [Part::Literal("echo \\"), Part::Dynamic];
        assert_eq!(classify_parts(&parts).unwrap_err(), NotSafe { reason: Reason::NonLiteral, offset: 6 });
        // Implicitly concatenated literals are one command.
        assert_eq!(classify_parts(&[Part::Literal("ls "), Part::Literal("-l")]).unwrap(), ["ls", "-l"]);
    }

    /// Command lines built from harmless programs and arguments full of shell
    /// syntax, for the equivalence test.
    fn harmless_commands(count: usize, seed: u64) -> Vec<String> {
        let programs = [
            "echo",
            "echo -n",
            "echo -e",
            "printf",
            "printf '%s|'",
            "printf '%5s|%-3s.'",
            "true",
            "false",
            "env -i printenv",
            "env -i A=1 printenv",
            "ls",
            "ls -a",
            "cat",
            "wc -c",
            "basename",
        ];
        let pieces = [
            "a", "b.txt", "x", "-n", "-e", "--", "'q q'", "\"d d\"", "''", "\"\"", "\\ ", "\\\\", "\\'", "\\\"", " ",
            " ", "\t", "*", "?", "[ab]", "~", "$HOME", "\"$X\"", "'$X'", "`true`", "$(true)", "#", "a#", "{a,b}", ";",
            "|", "&", "&&", ">", "<", "(", ")", "=", "X=1", "\\n", "'\\t'", "%s", "%%", "%d", "é", "\n", "\r", "!",
            "\\$X", "\"\\$X\"",
        ];
        let mut rng = Rng(seed);
        (0..count)
            .map(|_| {
                // A space after the program, so the command word stays one of them.
                let mut s = format!("{} ", rng.pick(&programs));
                for _ in 0..rng.below(5) {
                    if rng.below(3) == 0 {
                        s.push(' ');
                    }
                    s.push_str(pieces[rng.below(pieces.len())]);
                }
                if rng.below(2) == 0 {
                    s.insert(0, ' ');
                }
                s
            })
            .collect()
    }

    /// Conservative: whatever `classify` calls safe prints exactly the same
    /// through `/bin/sh -c` as through its argument list.
    #[test]
    fn safe_commands_run_the_same_without_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b.txt", "ab", "~", "x y", "{a,b}"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let count = std::env::var("REMEDIATE_SHELL_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1500);
        let mut commands = harmless_commands(count, 0x2545_f491_4f6c_dd1d);
        commands.extend(
            ["echo 'a  b'", "printf '%s\\n' x", "ls", "cat a b.txt", "echo a\\ b", "echo -n x", "env -i printenv"]
                .map(String::from),
        );
        let safe: Vec<(String, Vec<String>)> =
            commands.iter().filter_map(|c| classify(c).ok().map(|argv| (c.clone(), argv))).collect();
        assert!(safe.len() >= 300, "only {} of {} generated commands are safe", safe.len(), commands.len());
        assert!(safe.len() < commands.len() / 2, "the generator should produce mostly unsafe commands");
        let script = r#"
import json, os, subprocess, sys
env = dict(os.environ, HOME=os.getcwd(), X="expanded")
bad = []
for command, argv in json.load(sys.stdin):
    kw = dict(stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=10)
    a = subprocess.run(command, shell=True, **kw)
    try:
        b = subprocess.run(argv, **kw)
    except OSError as e:
        bad.append([command, argv, repr(a.stdout), repr(e), a.returncode, None])
        continue
    if a.stdout != b.stdout or a.returncode != b.returncode:
        bad.append([command, argv, repr(a.stdout), repr(b.stdout), a.returncode, b.returncode])
print(json.dumps(bad))
"#;
        let answer = run_python(script, &serde_json::to_string(&safe).unwrap(), Some(dir.path()));
        let bad: Vec<serde_json::Value> = serde_json::from_str(&answer).unwrap();
        assert!(bad.is_empty(), "{} commands differ without a shell: {bad:#?}", bad.len());
    }
}
