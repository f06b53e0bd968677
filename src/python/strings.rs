//! String literals as Bandit and ruff read them, from the CPython-faithful
//! AST: escapes processed, implicit concatenation joined, and the nodes
//! around each one (which call it is passed to, which statement holds it).
//!
//! The two tools compare different texts for an f-string. ruff takes each
//! literal part on its own (`"pre"` and `"/tmp/"` in `"pre" f"/tmp/{x}"`);
//! Bandit takes the constants of Python's AST, where the literal text
//! between two replacement fields is one constant (`"pre/tmp/"`) and a
//! format spec (`{x:/tmp}`) holds constants of its own. [`StringLiteral::texts`]
//! holds both readings, so a rule that tests each text misses neither tool.
//! t-strings are left out: their value is not a `str`, and neither tool
//! reads them.

use std::borrow::Cow;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, FStringPart, InterpolatedStringElement, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// A node around a string literal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Holder<'a> {
    Expr(&'a Expr),
    /// `name=value` in a call.
    Keyword(&'a ast::Keyword),
    Stmt(&'a Stmt),
    /// Parameters, decorators, `with` items, comprehension clauses, match cases.
    Other,
}

impl Holder<'_> {
    /// The lines a suppression comment may sit on for a string it holds, as
    /// Bandit reads them: the whole node, except for a statement with a body
    /// (`if "x" in y:`), whose body is not the string's business.
    pub(crate) fn suppression_range(&self) -> Option<TextRange> {
        match self {
            Holder::Expr(e) => Some(e.range()),
            Holder::Keyword(k) => Some(k.range()),
            Holder::Stmt(s) if !has_body(s) => Some(s.range()),
            Holder::Stmt(_) | Holder::Other => None,
        }
    }
}

fn has_body(stmt: &Stmt) -> bool {
    matches!(
        stmt,
        Stmt::FunctionDef(_)
            | Stmt::ClassDef(_)
            | Stmt::If(_)
            | Stmt::For(_)
            | Stmt::While(_)
            | Stmt::With(_)
            | Stmt::Try(_)
            | Stmt::Match(_)
    )
}

/// One string literal expression.
#[derive(Debug)]
pub(crate) struct StringLiteral<'a> {
    pub(crate) expr: &'a Expr,
    /// The whole expression, every part of an implicit concatenation included.
    pub(crate) range: TextRange,
    /// The texts the tools compare: a plain string's whole value; for an
    /// f-string, each literal part (ruff) and each stretch of literal text
    /// between replacement fields, format specs on their own (Bandit). Empty
    /// texts are left out.
    pub(crate) texts: Vec<Cow<'a, str>>,
    /// The nodes around it, innermost first, at most three.
    pub(crate) holders: Vec<Holder<'a>>,
}

impl<'a> StringLiteral<'a> {
    /// A plain string that is a whole statement (a docstring, or a string
    /// left as a comment): never a value the program uses, and never read
    /// by Bandit. An f-string statement does not count: Bandit reads its
    /// literal parts.
    pub(crate) fn is_statement(&self) -> bool {
        self.expr.is_string_literal_expr() && matches!(self.holders.first(), Some(Holder::Stmt(Stmt::Expr(_))))
    }

    /// The call this string is passed to directly, and how: the keyword's
    /// name, or `None` for a positional argument (then the index).
    pub(crate) fn argument_of(&self) -> Option<(&'a ast::ExprCall, Argument<'a>)> {
        match self.holders.as_slice() {
            [Holder::Keyword(k), Holder::Expr(Expr::Call(call)), ..] => {
                Some((call, k.arg.as_ref().map_or(Argument::Splat, |a| Argument::Keyword(a.as_str()))))
            }
            [Holder::Expr(Expr::Call(call)), ..] => {
                let index = call.arguments.args.iter().position(|a| a.range() == self.range)?;
                Some((call, Argument::Positional(index)))
            }
            _ => None,
        }
    }
}

/// How an argument is passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Argument<'a> {
    Positional(usize),
    Keyword(&'a str),
    /// `**{...}`
    Splat,
}

/// Every string literal of `body` (nested ones included) that `keep` accepts.
pub(crate) fn collect<'a>(body: &'a [Stmt], keep: impl Fn(&StringLiteral<'a>) -> bool) -> Vec<StringLiteral<'a>> {
    let mut collector = Collector { keep, holders: Vec::new(), found: Vec::new() };
    collector.visit_body(body);
    collector.found
}

/// Does any of the literal's texts contain one of `needles`?
pub(crate) fn contains_any(literal: &StringLiteral<'_>, needles: &[&str]) -> bool {
    literal.texts.iter().any(|t| needles.iter().any(|n| t.contains(n)))
}

struct Collector<'a, F> {
    keep: F,
    holders: Vec<Holder<'a>>,
    found: Vec<StringLiteral<'a>>,
}

impl<'a, F: Fn(&StringLiteral<'a>) -> bool> Collector<'a, F> {
    fn within(&mut self, holder: Holder<'a>, walk: impl FnOnce(&mut Self)) {
        self.holders.push(holder);
        walk(self);
        self.holders.pop();
    }
}

impl<'a, F: Fn(&StringLiteral<'a>) -> bool> Visitor<'a> for Collector<'a, F> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.within(Holder::Stmt(stmt), |v| visitor::walk_stmt(v, stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Some(texts) = texts_of(expr) {
            let holders = self.holders.iter().rev().take(3).copied().collect();
            let literal = StringLiteral { expr, range: expr.range(), texts, holders };
            if (self.keep)(&literal) {
                self.found.push(literal);
            }
        }
        self.within(Holder::Expr(expr), |v| visitor::walk_expr(v, expr));
    }

    fn visit_keyword(&mut self, keyword: &'a ast::Keyword) {
        self.within(Holder::Keyword(keyword), |v| visitor::walk_keyword(v, keyword));
    }

    fn visit_parameters(&mut self, parameters: &'a ast::Parameters) {
        self.within(Holder::Other, |v| visitor::walk_parameters(v, parameters));
    }

    fn visit_decorator(&mut self, decorator: &'a ast::Decorator) {
        self.within(Holder::Other, |v| visitor::walk_decorator(v, decorator));
    }

    fn visit_with_item(&mut self, item: &'a ast::WithItem) {
        self.within(Holder::Other, |v| visitor::walk_with_item(v, item));
    }

    fn visit_comprehension(&mut self, comprehension: &'a ast::Comprehension) {
        self.within(Holder::Other, |v| visitor::walk_comprehension(v, comprehension));
    }

    fn visit_match_case(&mut self, case: &'a ast::MatchCase) {
        self.within(Holder::Other, |v| visitor::walk_match_case(v, case));
    }
}

/// The texts of a plain string or an f-string (see [`StringLiteral::texts`]).
fn texts_of(expr: &Expr) -> Option<Vec<Cow<'_, str>>> {
    match expr {
        Expr::StringLiteral(s) => Some(vec![Cow::Borrowed(s.value.to_str())]),
        Expr::FString(f) => {
            let mut texts = Vec::new();
            let mut run = String::new();
            for part in f.value.iter() {
                match part {
                    FStringPart::Literal(literal) => {
                        push_text(&mut texts, Cow::Borrowed(literal.value.as_ref()));
                        run.push_str(&literal.value);
                    }
                    FStringPart::FString(f_string) => element_texts(&f_string.elements, &mut texts, &mut run),
                }
            }
            push_text(&mut texts, Cow::Owned(run));
            Some(texts)
        }
        _ => None,
    }
}

fn element_texts<'a>(elements: &'a [InterpolatedStringElement], texts: &mut Vec<Cow<'a, str>>, run: &mut String) {
    for element in elements {
        match element {
            InterpolatedStringElement::Literal(literal) => {
                push_text(texts, Cow::Borrowed(literal.value.as_ref()));
                run.push_str(&literal.value);
            }
            InterpolatedStringElement::Interpolation(field) => {
                push_text(texts, Cow::Owned(std::mem::take(run)));
                if let Some(spec) = &field.format_spec {
                    let mut spec_run = String::new();
                    element_texts(&spec.elements, texts, &mut spec_run);
                    push_text(texts, Cow::Owned(spec_run));
                }
            }
        }
    }
}

fn push_text<'a>(texts: &mut Vec<Cow<'a, str>>, text: Cow<'a, str>) {
    if !text.is_empty() && !texts.contains(&text) {
        texts.push(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse::{parse_module, PythonVersion};

    fn texts(src: &str) -> Vec<Vec<String>> {
        let parsed = parse_module(src, PythonVersion::latest());
        collect(&parsed.syntax().body, |_| true)
            .iter()
            .map(|s| s.texts.iter().map(|t| t.to_string()).collect())
            .collect()
    }

    #[test]
    fn both_readings_of_an_f_string() {
        assert_eq!(texts("x = 'a' \"b\"\n"), [["ab"]]);
        assert_eq!(texts("x = '\\x2ftmp'\n"), [["/tmp"]]);
        assert_eq!(texts("x = 'pre' f'/tmp/{a}b'\n"), [["pre", "/tmp/", "pre/tmp/", "b"]]);
        assert_eq!(texts("x = f'{a:/t{w}x}'\n"), [["/t", "x"]]);
        assert_eq!(texts("x = t'/tmp/{a}'\nb'/tmp'\n"), Vec::<Vec<String>>::new());
    }

    #[test]
    fn holders_and_statements() {
        let src = "'''doc'''\nf'{x}/tmp'\nos.path.join('/tmp', 'x')\nmkdtemp(dir='/tmp')\ndef f(h='0'):\n    pass\n";
        let parsed = parse_module(src, PythonVersion::latest());
        let found = collect(&parsed.syntax().body, |_| true);
        let statements: Vec<bool> = found.iter().map(|s| s.is_statement()).collect();
        assert_eq!(statements, [true, false, false, false, false, false]);
        let args: Vec<Option<Argument<'_>>> = found.iter().map(|s| s.argument_of().map(|(_, a)| a)).collect();
        assert_eq!(
            args,
            [
                None,
                None,
                Some(Argument::Positional(0)),
                Some(Argument::Positional(1)),
                Some(Argument::Keyword("dir")),
                None
            ]
        );
        assert!(found[5].holders[0].suppression_range().is_none());
    }
}
