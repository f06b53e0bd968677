//! One file's pipeline: bytes → decoded source → tree → findings with fixes
//! → rewritten text, re-parsed and verified → bytes in the file's own
//! encoding, BOM and newlines. Nothing here touches the file system.

use std::collections::HashSet;

use anyhow::{Context, Result};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, Query, QueryCursor, Tree};

use crate::config::Config;
use crate::fix::edit::{self, Edit, Fix, FixSafety};
use crate::pipeline::prefilter::CodeScan;
use crate::pipeline::source::{DecodeError, Source};
use crate::python::imports::Imports;
use crate::python::suppress::Suppressions;
use crate::report::{position, Diagnostic, FileError, FileErrorKind, LineIndex, LocatedEdit, Outcome};
use crate::rules::{Captures, FileContext, Finding, Rule, RuleMeta};

/// Passes of fix-then-recheck before giving up: later passes apply fixes
/// that conflicted with an earlier one (two imports at the same spot).
const MAX_PASSES: usize = 8;

/// The enabled rules with their compiled queries; built once, shared by
/// every thread.
pub struct RuleSet {
    rules: Vec<(&'static dyn Rule, Query)>,
}

impl RuleSet {
    pub fn new(rules: Vec<&'static dyn Rule>) -> Result<RuleSet> {
        let language = tree_sitter_python::LANGUAGE.into();
        let rules = rules
            .into_iter()
            .map(|rule| {
                let query = Query::new(&language, rule.meta().query)
                    .with_context(|| format!("compiling the query of rule {}", rule.meta().id))?;
                Ok((rule, query))
            })
            .collect::<Result<_>>()?;
        Ok(RuleSet { rules })
    }

    pub fn metas(&self) -> impl Iterator<Item = &'static RuleMeta> + '_ {
        self.rules.iter().map(|(r, _)| r.meta())
    }
}

/// What to do with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report findings only.
    Check,
    /// Compute the fixed text too (`diff` and `fix`).
    Fix { unsafe_fixes: bool },
}

/// A verified rewrite: the new text, its tree, and the fixes it applied.
type Applied = (String, Tree, Vec<usize>);

/// Per-thread state: tree-sitter parsers and cursors are not shared.
pub struct Engine<'a> {
    rules: &'a RuleSet,
    config: &'a Config,
    parser: Parser,
    cursor: QueryCursor,
    scan: CodeScan,
    prefilter: bool,
}

impl<'a> Engine<'a> {
    pub fn new(rules: &'a RuleSet, config: &'a Config) -> Engine<'a> {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .expect("the bundled grammar matches the tree-sitter version");
        Engine {
            rules,
            config,
            parser,
            cursor: QueryCursor::new(),
            scan: CodeScan::new(config.strict_except),
            prefilter: true,
        }
    }

    /// With the prefilter off every rule runs on every file (for proving it exact).
    pub fn set_prefilter(&mut self, on: bool) {
        self.prefilter = on;
    }

    pub fn run(&mut self, bytes: &[u8], mode: Mode) -> Outcome {
        let source = match Source::decode(bytes) {
            Ok(source) => source,
            Err(e) => return Outcome::failed(decode_error(&e)),
        };
        if self.prefilter {
            self.scan.scan(&source.text);
        }
        let active: Vec<usize> = (0..self.rules.rules.len())
            .filter(|&i| !self.prefilter || self.scan.may_match(self.rules.rules[i].0.meta().triggers))
            .collect();
        if active.is_empty() {
            return Outcome::default();
        }
        let Some(tree) = self.parser.parse(&source.text, None) else {
            return Outcome::failed(syntax_error(None, "the parser gave up on this file"));
        };
        if let Some(node) = first_error(tree.root_node()) {
            return self.report_unparsed(&source, &tree, node, &active);
        }
        match mode {
            Mode::Check => {
                let findings = self.analyze(&source.text, source.newline, &tree, &active);
                Outcome { diagnostics: locate_all(&source.text, &findings), ..Outcome::default() }
            }
            Mode::Fix { unsafe_fixes } => self.fix(&source, tree, &active, unsafe_fixes),
        }
    }

    /// A file the parser cannot read cleanly (a syntax error, or syntax newer
    /// than the grammar) is never rewritten; findings outside the unparsed
    /// region are still reported, so nothing goes unseen.
    fn report_unparsed(&mut self, source: &Source, tree: &Tree, error: Node<'_>, active: &[usize]) -> Outcome {
        let src = source.text.as_str();
        let findings: Vec<Finding> = self
            .analyze(src, source.newline, tree, active)
            .into_iter()
            .filter(|f| !overlaps_error(tree.root_node(), &f.range))
            .map(|f| f.not_fixed("the file does not parse cleanly, so it is never rewritten"))
            .collect();
        Outcome {
            diagnostics: locate_all(src, &findings),
            error: Some(syntax_error(
                Some((src, error)),
                "could not parse (a syntax error, or syntax newer than the parser knows)",
            )),
            ..Outcome::default()
        }
    }

    /// Runs each active rule's query and keeps the unsuppressed findings,
    /// in source order.
    fn analyze(&mut self, src: &str, newline: &str, tree: &Tree, active: &[usize]) -> Vec<Finding> {
        let imports = Imports::collect(tree.root_node(), src);
        let cx = FileContext { src, tree, imports: &imports, config: self.config, newline, memo: Default::default() };
        let mut findings = Vec::new();
        for &i in active {
            let (rule, query) = &self.rules.rules[i];
            let mut matches = self.cursor.matches(query, tree.root_node(), src.as_bytes());
            while let Some(m) = matches.next() {
                let captures = Captures { query, nodes: m.captures() };
                findings.extend(rule.check(&cx, &captures));
            }
        }
        if findings.is_empty() {
            return findings;
        }
        let suppressions = Suppressions::collect(tree.root_node(), src);
        let mut seen = HashSet::new();
        findings
            .retain(|f| !suppressions.covers(f.rule, f.rows.0, f.rows.1) && seen.insert((f.rule.id, f.range.clone())));
        findings.sort_by_key(|f| (f.range.start, f.rule.id));
        findings
    }

    /// Applies fixes pass by pass until none is left to apply, verifying that
    /// each rewritten text still parses.
    fn fix(&mut self, source: &Source, mut tree: Tree, active: &[usize], unsafe_fixes: bool) -> Outcome {
        let mut text = source.text.clone();
        let mut fixed = Vec::new();
        for _ in 0..MAX_PASSES {
            let mut findings = self.analyze(&text, source.newline, &tree, active);
            let applicable: Vec<usize> = (0..findings.len())
                .filter(|&i| findings[i].fix.as_ref().is_some_and(|f| unsafe_fixes || f.safety == FixSafety::Safe))
                .collect();
            let chosen: Vec<usize> =
                edit::choose_compatible(applicable.iter().map(|&i| findings[i].fix.as_ref().unwrap()))
                    .into_iter()
                    .map(|k| applicable[k])
                    .collect();
            let (applied, refused) = self.apply_verified(&text, &findings, &chosen);
            for &i in &refused {
                findings[i] = findings[i].clone().not_fixed("the rewrite would not parse, so it was refused");
            }
            let Some((new_text, new_tree, applied)) = applied else {
                return self.finish(source, text, fixed, &findings);
            };
            let lines = LineIndex::new(&text);
            fixed.extend(applied.iter().map(|&i| locate(&lines, &findings[i])));
            text = new_text;
            tree = new_tree;
        }
        let findings = self.analyze(&text, source.newline, &tree, active);
        self.finish(source, text, fixed, &findings)
    }

    /// Applies the chosen fixes together; if the result does not parse, finds
    /// the fixes that break it on their own and applies the rest. Returns the
    /// new text and tree with the indexes applied (`None` if none), and the
    /// indexes refused.
    fn apply_verified(&mut self, text: &str, findings: &[Finding], chosen: &[usize]) -> (Option<Applied>, Vec<usize>) {
        let mut refused = Vec::new();
        let mut attempt: Vec<usize> = chosen.to_vec();
        for round in 0..2 {
            if attempt.is_empty() {
                break;
            }
            if let Some((new_text, tree)) = self.try_apply(text, findings, &attempt) {
                return (Some((new_text, tree, attempt)), refused);
            }
            if round == 0 {
                let (good, bad): (Vec<usize>, Vec<usize>) =
                    attempt.iter().partition(|&&i| self.try_apply(text, findings, &[i]).is_some());
                refused.extend(bad);
                attempt = good;
            } else {
                refused.append(&mut attempt);
            }
        }
        (None, refused)
    }

    fn try_apply(&mut self, text: &str, findings: &[Finding], indexes: &[usize]) -> Option<(String, Tree)> {
        let edits: Vec<Edit> =
            indexes.iter().flat_map(|&i| findings[i].fix.iter().flat_map(|f| f.edits.iter().cloned())).collect();
        let new_text = edit::apply(text, &edits)?;
        let tree = self.parser.parse(&new_text, None)?;
        let valid = !tree.root_node().has_error() && !repeats_a_keyword(tree.root_node(), &new_text);
        valid.then_some((new_text, tree))
    }

    fn finish(&self, source: &Source, text: String, fixed: Vec<Diagnostic>, findings: &[Finding]) -> Outcome {
        let diagnostics = locate_all(&text, findings);
        if text == source.text {
            return Outcome { diagnostics, fixed, ..Outcome::default() };
        }
        match source.encode(&text) {
            Ok(bytes) => Outcome { diagnostics, fixed, fixed_bytes: Some(bytes), error: None },
            Err(reason) => Outcome {
                diagnostics: locate_all(&source.text, findings),
                error: Some(FileError {
                    line: None,
                    column: None,
                    message: format!("fixes refused: {reason}"),
                    kind: FileErrorKind::Syntax,
                }),
                ..Outcome::default()
            },
        }
    }
}

impl Outcome {
    fn failed(error: FileError) -> Outcome {
        Outcome { error: Some(error), ..Outcome::default() }
    }
}

fn decode_error(e: &DecodeError) -> FileError {
    let (line, column) = match e {
        DecodeError::Invalid { line, column, .. } => (Some(*line), Some(*column)),
        DecodeError::UnsupportedEncoding { line, .. } => (Some(*line), None),
        DecodeError::Binary => (None, None),
    };
    FileError { line, column, message: format!("skipped: {e}"), kind: FileErrorKind::Skipped }
}

fn syntax_error(at: Option<(&str, Node<'_>)>, message: &str) -> FileError {
    let position = at.map(|(src, node)| position(src, node.start_byte()));
    FileError {
        line: position.map(|p| p.line),
        column: position.map(|p| p.column),
        message: format!("{message}; the file is not rewritten"),
        kind: FileErrorKind::Syntax,
    }
}

/// Does some call pass the same keyword twice? tree-sitter parses
/// `f(a=1, a=2)`; CPython refuses to compile it.
fn repeats_a_keyword(root: Node<'_>, src: &str) -> bool {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.kind() == "argument_list" && has_repeated_keyword(node, src) {
            return true;
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return false;
            }
        }
    }
}

fn has_repeated_keyword(arguments: Node<'_>, src: &str) -> bool {
    let mut seen = HashSet::new();
    let mut cursor = arguments.walk();
    let names: Vec<&str> = arguments
        .named_children(&mut cursor)
        .filter(|n| n.kind() == "keyword_argument")
        .filter_map(|n| n.child_by_field_name("name"))
        .map(|n| &src[n.byte_range()])
        .collect();
    names.into_iter().any(|name| !seen.insert(name))
}

/// Does `range` touch an ERROR or MISSING node?
fn overlaps_error(root: Node<'_>, range: &std::ops::Range<usize>) -> bool {
    root.descendant_for_byte_range(range.start, range.end).is_some_and(|n| n.has_error() || ancestors_have_error(n))
}

fn ancestors_have_error(node: Node<'_>) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.is_error() {
            return true;
        }
        current = n.parent();
    }
    false
}

/// The first ERROR or MISSING node in document order.
fn first_error(root: Node<'_>) -> Option<Node<'_>> {
    if !root.has_error() {
        return None;
    }
    let mut node = root;
    'descend: loop {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        return Some(node);
    }
}

fn locate_all(src: &str, findings: &[Finding]) -> Vec<Diagnostic> {
    let lines = LineIndex::new(src);
    findings.iter().map(|f| locate(&lines, f)).collect()
}

fn locate(lines: &LineIndex<'_>, finding: &Finding) -> Diagnostic {
    let edits = finding.fix.as_ref().map_or_else(Vec::new, |fix: &Fix| {
        fix.edits
            .iter()
            .map(|e| LocatedEdit {
                start: lines.position(e.range.start),
                end: lines.position(e.range.end),
                text: e.text.clone(),
            })
            .collect()
    });
    Diagnostic {
        rule: finding.rule,
        start: lines.position(finding.range.start),
        end: lines.position(finding.range.end),
        message: finding.message.clone(),
        fix_safety: finding.fix.as_ref().map(|f| f.safety),
        fix_title: finding.fix.as_ref().and_then(|f| f.title.clone()),
        edits,
        reasons: finding.reasons.clone(),
        line_text: line_at(lines.src, finding.range.start).to_owned(),
    }
}

/// The line holding byte `offset`, without its line ending.
fn line_at(src: &str, offset: usize) -> &str {
    let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
    src[start..end].strip_suffix('\r').unwrap_or(&src[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Tree {
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        parser.parse(src, None).unwrap()
    }

    #[test]
    fn a_repeated_keyword_is_caught_although_it_parses() {
        let bad = "x = f(a, k=1, g(k=2), k=3)\n";
        let tree = parse(bad);
        assert!(!tree.root_node().has_error(), "tree-sitter accepts it");
        assert!(repeats_a_keyword(tree.root_node(), bad));
        let good = "x = f(a, k=1, g(k=2))\n";
        assert!(!repeats_a_keyword(parse(good).root_node(), good));
    }

    #[test]
    fn line_at_strips_the_line_ending() {
        let src = "a = 1\r\nb = torch.load(p)\r\nc";
        assert_eq!(line_at(src, src.find("torch").unwrap()), "b = torch.load(p)");
        assert_eq!(line_at(src, src.len() - 1), "c");
        assert_eq!(line_at(src, 0), "a = 1");
    }

    #[test]
    fn headline_drops_every_reason() {
        let rule = crate::rules::all()[0].meta();
        let finding = Finding { range: 0..1, rows: (0, 0), rule, message: "bad".into(), fix: None, reasons: vec![] }
            .not_fixed("first")
            .not_fixed("second");
        let d = locate(&LineIndex::new("x\n"), &finding);
        assert_eq!(d.message, "bad; not fixed: first; not fixed: second");
        assert_eq!(d.headline(), "bad");
        assert_eq!(d.reasons, ["first", "second"]);
    }
}
