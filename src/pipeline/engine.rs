//! One file's pipeline: bytes → decoded source (or a notebook's code
//! cells) → prefilter → analysis (findings with fixes) → rewritten text,
//! verified by the CPython-faithful parser → bytes in the file's own
//! encoding, BOM and newlines (or the notebook's JSON with only the edited
//! cells' sources changed). Nothing here touches the file system.

use crate::config::Config;
use crate::fix::edit::{self, FixSafety};
use crate::pipeline::analysis::{Analysis, Analyzer};
use crate::pipeline::document::Document;
use crate::pipeline::index::{self, ProjectIndex};
use crate::pipeline::prefilter::CodeScan;
use crate::pipeline::timings::{self, Stage};
use crate::pipeline::walk::FileKind;
use crate::python::facts::FileFacts;
use crate::python::lines::{position, LineIndex};
use crate::python::parse::PythonVersion;
use crate::python::verify::verify;
use crate::report::{locate, locate_all, Diagnostic, FileError, FileErrorKind, Finding, Outcome};

pub use crate::pipeline::analysis::RuleSet;

/// Passes of fix-then-recheck before giving up: later passes apply fixes
/// that conflicted with an earlier one (two imports at the same spot).
const MAX_PASSES: usize = 8;

/// What to do with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report findings only.
    Check,
    /// Compute the fixed text too (`diff` and `fix`).
    Fix { unsafe_fixes: bool },
}

/// A verified rewrite: the new text, the notebook that holds it (for a
/// notebook) and the indexes of the findings it fixed.
type Applied = (String, Option<Document>, Vec<usize>);

/// Per-thread state: parsers and cursors are not shared.
pub struct Engine<'a> {
    analyzer: Analyzer<'a>,
    scan: CodeScan,
    prefilter: bool,
    /// Rules turned off for the next file (`per-file-ignores`).
    ignored: Vec<usize>,
}

/// What the first phase made of a file.
#[derive(Debug)]
pub(crate) enum FirstPass {
    /// No rule can match and the file holds nothing the index needs.
    Nothing,
    /// Analysed (and fixed, in fix mode) without reading the index. Its
    /// facts, if any, go to the index.
    Done { outcome: Outcome, facts: Option<FileFacts> },
    /// Its analysis read the index: its facts now, its analysis again once
    /// the index is built.
    Deferred { facts: Option<FileFacts> },
}

impl<'a> Engine<'a> {
    pub(crate) fn new(rules: &'a RuleSet, config: &'a Config) -> Engine<'a> {
        Engine::for_target(rules, config, config.target_version)
    }

    pub fn for_target(rules: &'a RuleSet, config: &'a Config, target: PythonVersion) -> Engine<'a> {
        Engine {
            analyzer: Analyzer::new(rules, config, target),
            scan: CodeScan::new(config.strict_except),
            prefilter: true,
            ignored: Vec::new(),
        }
    }

    /// Rules (indexes into the rule set) not run on the next file.
    pub(crate) fn set_ignored(&mut self, ignored: Vec<usize>) {
        self.ignored = ignored;
    }

    /// Rules see `index` (for the second phase).
    pub(crate) fn set_index(&mut self, index: &'a ProjectIndex) {
        self.analyzer.index = index;
    }

    /// The module the next file is, as the index names it.
    pub(crate) fn set_module(&mut self, module: &str) {
        self.analyzer.module.clear();
        self.analyzer.module.push_str(module);
    }

    /// The facts of a file the index wants although no rule runs on it.
    pub(crate) fn facts(&mut self, bytes: &[u8], kind: FileKind) -> Option<FileFacts> {
        Document::read(bytes, kind).ok().map(|document| self.analyzer.facts(document.text()))
    }

    /// The first phase for one file: its facts for the index, and its whole
    /// analysis when no enabled rule that reads the index can match it.
    pub(crate) fn first_pass(&mut self, bytes: &[u8], kind: FileKind, mode: Mode) -> FirstPass {
        timings::count(timings::Count::FilesRead, 1);
        timings::count(timings::Count::BytesRead, bytes.len());
        let Ok(source) = timings::time(Stage::Prefilter, || Document::read(bytes, kind)) else {
            return FirstPass::Done { outcome: self.run(bytes, kind, mode), facts: None };
        };
        let active = timings::time(Stage::Prefilter, || self.active_rules(source.text()));
        let indexed = !self.prefilter || self.scan.may_match(index::TRIGGERS);
        if active.is_empty() {
            return match indexed {
                true => {
                    FirstPass::Done { outcome: Outcome::default(), facts: Some(self.analyzer.facts(source.text())) }
                }
                false => FirstPass::Nothing,
            };
        }
        // Rules that read the index see an empty one here; an analysis that
        // never looked is final, one that did waits for the real index.
        index::watch();
        let mut analysis = self.analyzer.analyze(source.text(), source.newline(), &active, true);
        let facts = analysis.facts.take();
        if index::consulted() {
            return FirstPass::Deferred { facts };
        }
        let outcome = self.conclude(&source, analysis, &active, mode);
        match index::consulted() {
            true => FirstPass::Deferred { facts },
            false => FirstPass::Done { outcome, facts },
        }
    }

    /// With the prefilter off every rule runs on every file, and every
    /// file is parsed whole (for proving both shortcuts exact).
    pub(crate) fn set_prefilter(&mut self, on: bool) {
        self.prefilter = on;
        self.analyzer.partial = on;
    }

    pub fn run(&mut self, bytes: &[u8], kind: FileKind, mode: Mode) -> Outcome {
        let source = match timings::time(Stage::Prefilter, || Document::read(bytes, kind)) {
            Ok(source) => source,
            Err(e) => return Outcome::failed(e.file_error()),
        };
        let active = timings::time(Stage::Prefilter, || self.active_rules(source.text()));
        if active.is_empty() {
            return Outcome::default();
        }
        let analysis = self.analyzer.analyze(source.text(), source.newline(), &active, false);
        self.conclude(&source, analysis, &active, mode)
    }

    /// The outcome of an analysis: its findings, or the fixed text.
    fn conclude(&mut self, source: &Document, analysis: Analysis, active: &[usize], mode: Mode) -> Outcome {
        if let Some(problem) = file_problem(source.text(), &analysis) {
            return Outcome {
                diagnostics: placed(source, source.text(), &analysis.findings),
                error: Some(source.place_error(problem)),
                ..Outcome::default()
            };
        }
        match mode {
            Mode::Check => {
                Outcome { diagnostics: placed(source, source.text(), &analysis.findings), ..Outcome::default() }
            }
            Mode::Fix { unsafe_fixes } => {
                timings::time(Stage::Fix, || self.fix(source, analysis, active, unsafe_fixes))
            }
        }
    }

    /// The rules whose trigger words occur in the code (all, without the prefilter).
    fn active_rules(&mut self, text: &str) -> Vec<usize> {
        let rules = self.analyzer.rules;
        if self.prefilter {
            self.scan.scan(text);
        }
        let active: Vec<usize> = (0..rules.len())
            .filter(|&i| !self.ignored.contains(&i))
            .filter(|&i| !self.prefilter || self.scan.may_match(rules.meta(i).triggers))
            .collect();
        if timings::enabled() {
            active.iter().for_each(|&i| timings::triggered(rules.meta(i).id, text.len()));
        }
        active
    }

    /// Applies fixes pass by pass until none is left to apply, verifying
    /// each rewritten text before it is accepted.
    fn fix(&mut self, source: &Document, mut analysis: Analysis, active: &[usize], unsafe_fixes: bool) -> Outcome {
        let mut text = source.text().to_owned();
        let mut current: Option<Document> = None;
        let mut fixed = Vec::new();
        for _ in 0..MAX_PASSES {
            let mut findings = analysis.findings;
            let applicable: Vec<usize> = (0..findings.len())
                .filter(|&i| findings[i].fix.as_ref().is_some_and(|f| unsafe_fixes || f.safety == FixSafety::Safe))
                .collect();
            let chosen: Vec<usize> =
                edit::choose_compatible(applicable.iter().filter_map(|&i| findings[i].fix.as_ref()))
                    .into_iter()
                    .map(|k| applicable[k])
                    .collect();
            let document = current.as_ref().unwrap_or(source);
            let (applied, refused) = self.apply_verified(document, &text, &findings, &chosen);
            for (i, reason) in refused {
                findings[i] = findings[i].clone().not_fixed(reason);
            }
            let Some((new_text, edited, applied)) = applied else {
                return self.finish(source, current.as_ref(), text, fixed, &findings);
            };
            let lines = LineIndex::new(&text);
            let mut located: Vec<Diagnostic> = applied.iter().map(|&i| locate(&lines, &findings[i])).collect();
            document.place(&text, &mut located);
            fixed.extend(located);
            text = new_text;
            if edited.is_some() {
                current = edited;
            }
            analysis = self.analyzer.analyze(&text, source.newline(), active, false);
        }
        self.finish(source, current.as_ref(), text, fixed, &analysis.findings)
    }

    /// Applies the chosen fixes together; if the result fails verification,
    /// finds the fixes that fail on their own and applies the rest. Returns
    /// the new text with the indexes applied (`None` if none), and the
    /// indexes refused with the verifier's reason.
    fn apply_verified(
        &self,
        document: &Document,
        text: &str,
        findings: &[Finding],
        chosen: &[usize],
    ) -> (Option<Applied>, Vec<(usize, String)>) {
        let mut refused = Vec::new();
        let mut attempt: Vec<usize> = chosen.to_vec();
        for round in 0..2 {
            if attempt.is_empty() {
                break;
            }
            match self.try_apply(document, text, findings, &attempt) {
                Ok((new_text, edited)) => return (Some((new_text, edited, attempt)), refused),
                Err(reason) if round == 1 => refused.extend(attempt.drain(..).map(|i| (i, reason.clone()))),
                Err(_) => {
                    let mut good = Vec::new();
                    for i in attempt {
                        match self.try_apply(document, text, findings, &[i]) {
                            Ok(_) => good.push(i),
                            Err(reason) => refused.push((i, reason)),
                        }
                    }
                    attempt = good;
                }
            }
        }
        (None, refused)
    }

    /// The text with the findings' fixes applied and verified, and for a
    /// notebook the notebook that holds it.
    fn try_apply(
        &self,
        document: &Document,
        text: &str,
        findings: &[Finding],
        indexes: &[usize],
    ) -> Result<(String, Option<Document>), String> {
        let mut edits: Vec<_> =
            indexes.iter().flat_map(|&i| findings[i].fix.iter().flat_map(|f| f.edits.iter().cloned())).collect();
        edit::match_line_endings(text, &mut edits);
        let (new_text, inserted) = edit::apply_tracked(text, &edits).ok_or("the fix's edits overlap")?;
        verify(&new_text, &inserted, self.analyzer.target)?;
        let edited = document.edited(&edits, &new_text)?;
        Ok((new_text, edited))
    }

    /// `current` is the notebook holding `text` once fixes changed it.
    fn finish(
        &self,
        source: &Document,
        current: Option<&Document>,
        text: String,
        fixed: Vec<Diagnostic>,
        findings: &[Finding],
    ) -> Outcome {
        let document = current.unwrap_or(source);
        let diagnostics = placed(document, &text, findings);
        if text == source.text() {
            return Outcome { diagnostics, fixed, ..Outcome::default() };
        }
        match document.bytes(&text) {
            Ok(bytes) => Outcome { diagnostics, fixed, fixed_bytes: Some(bytes), error: None },
            Err(reason) => Outcome {
                diagnostics: placed(source, source.text(), findings),
                error: Some(FileError {
                    line: None,
                    column: None,
                    cell: None,
                    message: format!("fixes refused: {reason}"),
                    kind: FileErrorKind::Syntax,
                }),
                ..Outcome::default()
            },
        }
    }
}

/// A file CPython cannot compile, or whose statements the two parsers read
/// differently, is reported and never rewritten.
fn file_problem(text: &str, analysis: &Analysis) -> Option<FileError> {
    if let Some((at, message)) = &analysis.syntax_error {
        let p = position(text, *at);
        return Some(FileError {
            line: Some(p.line),
            column: Some(p.column),
            cell: None,
            message: format!("could not parse ({message}); the file is not rewritten"),
            kind: FileErrorKind::Syntax,
        });
    }
    let at = analysis.disagreement?;
    let p = position(text, at);
    Some(FileError {
        line: Some(p.line),
        column: Some(p.column),
        cell: None,
        message: "could not be analysed reliably: CPython reads a call here that the rewriter's parser does not (a lone carriage return, or syntax the grammar does not know); the file is not rewritten".into(),
        kind: FileErrorKind::Syntax,
    })
}

impl Outcome {
    fn failed(error: FileError) -> Outcome {
        Outcome { error: Some(error), ..Outcome::default() }
    }
}

/// Findings located in `text`, the text of `document`, at the positions its reader knows.
fn placed(document: &Document, text: &str, findings: &[Finding]) -> Vec<Diagnostic> {
    let mut diagnostics = locate_all(text, findings);
    document.place(text, &mut diagnostics);
    diagnostics
}
