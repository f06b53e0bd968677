//! Analysing one text: the CPython-faithful parse and the semantic model
//! of the whole file, the candidates the enabled rules name (calls by
//! callee, `except` clauses by shape), a tree-sitter parse of only the
//! statements that hold them, the calls in that tree (found once for every
//! call rule) and the rules' own queries over it, and the suppression
//! comments. Returns findings
//! with their fixes; applying them is the engine's business.

use std::collections::HashSet;

use anyhow::{Context, Result};
use ruff_python_ast::{self as ast, Expr, ModModule, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, Query, QueryCursor, Tree};

use crate::config::Config;
use crate::pipeline::index::ProjectIndex;
use crate::pipeline::timings::{self, Count, Stage};
use crate::python::facts::FileFacts;
use crate::python::lines::LineIndex;
use crate::python::model::{Resolved, SemanticModel};
use crate::python::parse::{self, parse_module, PythonVersion};
use crate::python::strings;
use crate::python::suppress::Suppressions;
use crate::report::Finding;
use crate::rules::{CallSite, Captures, FileContext, Memo, QueryTarget, Rule, RuleMeta};

/// The enabled rules with their compiled queries; built once, shared by
/// every thread.
pub struct RuleSet {
    rules: Vec<(&'static dyn Rule, Option<Query>)>,
}

impl RuleSet {
    pub fn new(rules: Vec<&'static dyn Rule>) -> Result<RuleSet> {
        let language = tree_sitter_python::LANGUAGE.into();
        let rules = rules
            .into_iter()
            .map(|rule| {
                let query = rule.meta().query.as_ref().map(|q| {
                    Query::new(&language, q.source)
                        .with_context(|| format!("compiling the query of rule {}", rule.meta().id))
                });
                Ok((rule, query.transpose()?))
            })
            .collect::<Result<_>>()?;
        Ok(RuleSet { rules })
    }

    pub(crate) fn metas(&self) -> impl Iterator<Item = &'static RuleMeta> + '_ {
        self.rules.iter().map(|(r, _)| r.meta())
    }

    pub(crate) fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rules of `active` (indexes) that judge calls.
    fn call_rules<'r>(&'r self, active: &'r [usize]) -> impl Iterator<Item = &'static dyn Rule> + 'r {
        active.iter().map(|&i| self.rules[i].0).filter(|r| !r.meta().calls.is_empty())
    }

    pub(crate) fn meta(&self, index: usize) -> &'static RuleMeta {
        self.rules[index].0.meta()
    }
}

/// What one analysis found.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// The file's facts for the project index, when asked for.
    pub(crate) facts: Option<FileFacts>,
    pub(crate) findings: Vec<Finding>,
    /// CPython would not compile the text: where and why. Findings are then
    /// only those outside the broken statement, none of them fixable.
    pub(crate) syntax_error: Option<(usize, String)>,
    /// Candidates CPython sees that tree-sitter does not (a lone `\r` inside
    /// a statement, syntax the grammar does not know): the first one's
    /// offset. The file is reported and never rewritten.
    pub(crate) disagreement: Option<usize>,
}

/// The per-thread parts of an analysis: parsers and cursors are not shared.
pub(crate) struct Analyzer<'a> {
    pub(crate) rules: &'a RuleSet,
    pub(crate) config: &'a Config,
    pub(crate) index: &'a ProjectIndex,
    /// The module under analysis, as the index names it.
    pub(crate) module: String,
    pub(crate) target: PythonVersion,
    parser: Parser,
    cursor: QueryCursor,
    /// Parse only the statements with candidates (off to prove that exact).
    pub(crate) partial: bool,
}

impl<'a> Analyzer<'a> {
    pub(crate) fn new(rules: &'a RuleSet, config: &'a Config, target: PythonVersion) -> Analyzer<'a> {
        let mut parser = Parser::new();
        if parser.set_language(&tree_sitter_python::LANGUAGE.into()).is_err() {
            unreachable!("the bundled grammar matches the tree-sitter version");
        }
        let index = ProjectIndex::empty();
        Analyzer {
            rules,
            config,
            index,
            module: String::new(),
            target,
            parser,
            cursor: QueryCursor::new(),
            partial: true,
        }
    }

    /// The file's facts for the index, without running any rule.
    pub(crate) fn facts(&self, text: &str) -> FileFacts {
        timings::count(Count::FactsOnlyParses, 1);
        timings::time(Stage::Index, || {
            let parsed = parse_module(text, self.target);
            FileFacts::extract(&SemanticModel::build(parsed.syntax(), text), &self.module, &LineIndex::new(text))
        })
    }

    /// Runs the `active` rules (indexes into the rule set) over `text`;
    /// with `want_facts`, also summarises the file for the index.
    pub(crate) fn analyze(&mut self, text: &str, newline: &str, active: &[usize], want_facts: bool) -> Analysis {
        timings::count(Count::FilesParsed, 1);
        timings::count(Count::BytesParsed, text.len());
        let parsed = timings::time(Stage::Parse, || parse_module(text, self.target));
        let model = timings::time(Stage::Parse, || SemanticModel::build(parsed.syntax(), text));
        let lines = LineIndex::new(text);
        let facts =
            want_facts.then(|| timings::time(Stage::Index, || FileFacts::extract(&model, &self.module, &lines)));
        let broken = cpython_refuses(&parsed, &model);
        let memo = Memo::default();
        let candidates = candidates(&model, self.rules, active, &memo);
        if candidates.is_empty() {
            return Analysis { syntax_error: broken, facts, ..Analysis::default() };
        }
        let ts_text = parse::tree_sitter_text(text);
        let module = self.module.clone();
        let regions = (self.partial && broken.is_none())
            .then(|| parse::regions(&model.module.body, &lines, candidates.iter().copied()));
        let parsed_tree = timings::time(Stage::TreeSitter, || {
            parse::parse_tree(&mut self.parser, &ts_text, regions.as_deref().map(|r| (r, &lines)))
        });
        timings::count(
            Count::TreeSitterBytes,
            regions.as_ref().map_or(ts_text.len(), |r| r.iter().map(|r| r.len()).sum()),
        );
        let Some(tree) = parsed_tree else {
            return Analysis {
                syntax_error: Some((0, "the parser gave up on this file".into())),
                ..Analysis::default()
            };
        };
        let cx = FileContext {
            src: text,
            model: &model,
            tree: &tree,
            config: self.config,
            index: self.index,
            module: &module,
            newline,
            target: self.target,
            memo,
        };
        let (findings, seen) = timings::time(Stage::Rules, || {
            let (mut findings, seen) = self.dispatch(&cx, active);
            let suppressions = Suppressions::collect(parsed.tokens(), text, &lines);
            keep_reportable(&mut findings, &suppressions);
            (findings, seen)
        });
        let mut analysis = Analysis { findings, syntax_error: broken, disagreement: None, facts };
        if let Some((at, _)) = &analysis.syntax_error {
            unfixable_near_errors(&mut analysis.findings, &tree, &model, *at);
        } else {
            analysis.disagreement = unseen_candidate(&model, &candidates, &seen);
            not_fixed_at_tree_errors(&mut analysis.findings, &tree);
            if analysis.disagreement.is_some() {
                for finding in analysis.findings.iter_mut() {
                    *finding =
                        finding.clone().not_fixed("the file could not be analysed reliably, so it is never rewritten");
                }
            }
        }
        analysis
    }

    /// Calls `visit` with every call whose callee `names` names (as rules'
    /// `calls` do), in source order: for commands that inventory calls
    /// rather than judge them (`remediate models`).
    pub(crate) fn visit_calls(
        &mut self,
        text: &str,
        names: &[&str],
        visit: &mut dyn FnMut(&FileContext<'_>, &CallSite<'_>),
    ) {
        let parsed = parse_module(text, self.target);
        let model = SemanticModel::build(parsed.syntax(), text);
        let wanted: HashSet<&str> = names.iter().copied().collect();
        let candidates: Vec<TextRange> =
            model.calls().iter().filter(|(c, _)| callee_named(&model, c, &wanted)).map(|(c, _)| c.range()).collect();
        if candidates.is_empty() {
            return;
        }
        let lines = LineIndex::new(text);
        let ts_text = parse::tree_sitter_text(text);
        let regions = parse::regions(&model.module.body, &lines, candidates);
        let Some(tree) = parse::parse_tree(&mut self.parser, &ts_text, Some((&regions, &lines))) else { return };
        let cx = FileContext {
            src: text,
            model: &model,
            tree: &tree,
            config: self.config,
            index: self.index,
            module: &self.module,
            newline: "\n",
            target: self.target,
            memo: Memo::default(),
        };
        for node in calls_in(tree.root_node()) {
            if let Some(site) = CallSite::new(&cx, node).filter(|s| s.named_in(names)) {
                visit(&cx, &site);
            }
        }
    }

    /// Finds the calls once, for every call rule, and runs each rule's own
    /// query; returns the findings and the byte ranges of the calls
    /// tree-sitter saw.
    fn dispatch(&mut self, cx: &FileContext<'_>, active: &[usize]) -> (Vec<Finding>, HashSet<(usize, usize)>) {
        let root = cx.tree.root_node();
        let call_rules: Vec<&dyn Rule> = self.rules.call_rules(active).collect();
        // Calls found by a rule's own query are candidates too: the calls
        // are collected so that a call tree-sitter misses is noticed.
        let call_queries = active.iter().any(|&i| {
            matches!(self.rules.meta(i).query.as_ref().map(|q| q.matches), Some(QueryTarget::CallsWithKeyword(_)))
        });
        let mut findings = Vec::new();
        let mut seen = HashSet::new();
        if !call_rules.is_empty() || call_queries {
            for node in calls_in(root) {
                seen.insert((node.start_byte(), node.end_byte()));
                let Some(site) = CallSite::new(cx, node) else { continue };
                for rule in call_rules.iter().filter(|r| site.named_in(r.meta().calls)) {
                    findings.extend(rule.check_call(cx, &site));
                }
            }
        }
        for &i in active {
            let (rule, Some(query)) = &self.rules.rules[i] else { continue };
            let mut matches = self.cursor.matches(query, root, cx.src.as_bytes());
            while let Some(m) = matches.next() {
                findings.extend(rule.check_match(cx, &Captures { query, nodes: m.captures() }));
            }
        }
        (findings, seen)
    }
}

/// Why CPython would not compile the text, and where: a syntax error, or
/// one of the limits its tokenizer and compiler enforce.
fn cpython_refuses(parsed: &Parsed<ModModule>, model: &SemanticModel<'_>) -> Option<(usize, String)> {
    if let Some(error) = parsed.errors().first() {
        return Some((error.location.start().to_usize(), error.error.to_string()));
    }
    if let Some(limit) = parse::beyond_tokenizer_limits(parsed, model.source) {
        return Some(limit);
    }
    let (depth, at) = model.deepest_expression();
    (depth > parse::MAX_EXPRESSION_DEPTH).then(|| (at.to_usize(), "expressions nested too deeply to compile".into()))
}

/// Every call whose callee is a name or an attribute chain and whose
/// arguments are a list or a lone generator (`f(x for x in y)`, which Bandit
/// flags too), in source order (an outer call before the calls inside it).
/// Aliases (`from torch import load as tl`) hide a function's name, so the
/// callee is not filtered here: the engine resolves it through the file's
/// scopes and hands the call to the rules that name it. One iterative walk:
/// a tree-sitter query keeps a match open for every enclosing call, which
/// on a chain of thousands of method calls takes quadratic time.
fn calls_in(root: Node<'_>) -> Vec<Node<'_>> {
    let mut calls = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.kind() == "call" && is_plain_call(node) {
            calls.push(node);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return calls;
            }
        }
    }
}

fn is_plain_call(call: Node<'_>) -> bool {
    let kind = |field: &str| call.child_by_field_name(field).map(|n| n.kind());
    matches!(kind("function"), Some("identifier" | "attribute"))
        && matches!(kind("arguments"), Some("argument_list" | "generator_expression"))
}

/// The ranges the active rules could flag, found in the CPython-faithful
/// AST: calls whose callee's last name (as written, or through an alias)
/// a call rule names, `except` clauses of the shapes query rules match,
/// string literals holding the texts they look for, and the characters they
/// look for anywhere in the text.
fn candidates(model: &SemanticModel<'_>, rules: &RuleSet, active: &[usize], memo: &Memo) -> Vec<TextRange> {
    let metas: Vec<&RuleMeta> = active.iter().map(|&i| rules.meta(i)).collect();
    let targets: Vec<QueryTarget> = metas.iter().filter_map(|m| m.query.as_ref().map(|q| q.matches)).collect();
    let mut found = candidate_calls(model, rules, active, memo);
    for (handler, _) in model.handlers() {
        if targets.iter().any(|t| handler_matches(*t, handler)) {
            found.push(handler.range);
        }
    }
    let keywords: Vec<&str> = targets
        .iter()
        .filter_map(|t| match t {
            QueryTarget::CallsWithKeyword(name) => Some(*name),
            _ => None,
        })
        .collect();
    if !keywords.is_empty() {
        let passes = |c: &ast::ExprCall| {
            c.arguments.keywords.iter().any(|k| k.arg.as_ref().is_some_and(|a| keywords.contains(&a.as_str())))
        };
        found.extend(model.calls().iter().filter(|(c, _)| passes(c)).map(|(c, _)| c.range()));
    }
    let needles: Vec<&str> = targets
        .iter()
        .flat_map(|t| match t {
            QueryTarget::StringsContaining(texts) => *texts,
            _ => &[],
        })
        .copied()
        .collect();
    if !needles.is_empty() {
        let literals = strings::collect(&model.module.body, |s| strings::contains_any(s, &needles));
        found.extend(literals.iter().map(|s| s.range));
    }
    let chars: Vec<char> = targets
        .iter()
        .flat_map(|t| match t {
            QueryTarget::Characters(chars) => *chars,
            _ => &[],
        })
        .copied()
        .collect();
    if !chars.is_empty() {
        let at = |(offset, c): (usize, char)| TextRange::at(parse::text_size(offset), TextSize::of(c));
        found.extend(model.source.char_indices().filter(|(_, c)| chars.contains(c)).map(at));
    }
    found
}

/// The calls some active rule may judge: its `calls` name the callee, and
/// the callee as resolved does not rule the call out ([`Rule::may_judge`]).
fn candidate_calls(model: &SemanticModel<'_>, rules: &RuleSet, active: &[usize], memo: &Memo) -> Vec<TextRange> {
    let call_rules: Vec<(&dyn Rule, HashSet<&str>)> =
        rules.call_rules(active).map(|r| (r, r.meta().calls.iter().copied().collect())).collect();
    if call_rules.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (call, _) in model.calls() {
        // A callee spelled with other than ASCII is read under NFKC by
        // CPython and by the call sites: every rule that names it keeps it.
        let ascii = model.source.get(call.func.range().to_std_range()).is_some_and(str::is_ascii);
        let mut callee: Option<Option<Resolved>> = None;
        let judged = call_rules.iter().any(|(rule, names)| {
            callee_named(model, call, names) && {
                let callee = callee.get_or_insert_with(|| model.resolve_expr(&call.func));
                !ascii || rule.may_judge(model, call, callee.as_ref(), memo)
            }
        });
        if judged {
            found.push(call.range());
        }
    }
    found
}

fn callee_named(model: &SemanticModel<'_>, call: &ast::ExprCall, names: &HashSet<&str>) -> bool {
    match call.func.as_ref() {
        Expr::Attribute(a) => names.contains(a.attr.as_str()),
        Expr::Name(n) => {
            names.contains(n.id.as_str())
                || model.resolve(n.id.as_str(), n.start()).is_some_and(|r| names.contains(r.last()))
        }
        _ => false,
    }
}

fn handler_matches(target: QueryTarget, handler: &ast::ExceptHandlerExceptHandler) -> bool {
    match target {
        QueryTarget::BareHandlers => handler.type_.is_none(),
        QueryTarget::SwallowingHandlers => match &handler.body[..] {
            [Stmt::Pass(_) | Stmt::Continue(_)] => true,
            [Stmt::Expr(statement)] => statement.value.is_ellipsis_literal_expr(),
            _ => false,
        },
        QueryTarget::CallsWithKeyword(_) | QueryTarget::StringsContaining(_) | QueryTarget::Characters(_) => false,
    }
}

/// Drops suppressed findings and duplicates; sorts by position.
fn keep_reportable(findings: &mut Vec<Finding>, suppressions: &Suppressions) {
    let mut seen = HashSet::new();
    findings.retain(|f| !suppressions.covers(f.rule, f.rows.0, f.rows.1) && seen.insert((f.rule.id, f.range.clone())));
    findings.sort_by_key(|f| (f.range.start, f.rule.id));
}

/// A candidate call CPython sees whose callee starts the call (no
/// parentheses around it) and that tree-sitter did not find.
fn unseen_candidate(
    model: &SemanticModel<'_>,
    candidates: &[TextRange],
    seen: &HashSet<(usize, usize)>,
) -> Option<usize> {
    let calls: HashSet<(usize, usize)> = model
        .calls()
        .iter()
        .filter(|(c, _)| c.func.start() == c.start() && matches!(c.func.as_ref(), Expr::Name(_) | Expr::Attribute(_)))
        .map(|(c, _)| (c.start().to_usize(), c.end().to_usize()))
        .collect();
    candidates
        .iter()
        .map(|r| (r.start().to_usize(), r.end().to_usize()))
        .filter(|r| calls.contains(r) && !seen.contains(r))
        .map(|(start, _)| start)
        .min()
}

/// In a file CPython cannot compile, findings in the broken statement are
/// dropped and the others are never fixed.
fn unfixable_near_errors(findings: &mut Vec<Finding>, tree: &Tree, model: &SemanticModel<'_>, at: usize) {
    let broken = model
        .top_level_statement(parse::text_size(at))
        .map_or(at..at + 1, |s| s.start().to_usize()..s.end().to_usize());
    findings.retain(|f| {
        let outside = f.range.end <= broken.start || f.range.start >= broken.end;
        outside && !overlaps_error(tree.root_node(), &f.range)
    });
    for finding in findings.iter_mut() {
        *finding = finding.clone().not_fixed("the file does not parse cleanly, so it is never rewritten");
    }
}

/// Findings whose statement tree-sitter could not read cleanly are
/// reported but not fixed: the edit would be computed from a broken tree.
fn not_fixed_at_tree_errors(findings: &mut [Finding], tree: &Tree) {
    if !tree.root_node().has_error() {
        return;
    }
    for finding in findings.iter_mut().filter(|f| f.fix.is_some() && overlaps_error(tree.root_node(), &f.range)) {
        *finding = finding.clone().not_fixed("the rewriter's parser cannot read this statement; fix it by hand");
    }
}

/// Does `range` touch an ERROR or MISSING node?
fn overlaps_error(root: Node<'_>, range: &std::ops::Range<usize>) -> bool {
    root.descendant_for_byte_range(range.start, range.end)
        .is_some_and(|n| n.has_error() || std::iter::successors(n.parent(), |p| p.parent()).any(|p| p.is_error()))
}
