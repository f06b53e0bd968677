//! `remediate suppress`: a suppression comment for every finding `check`
//! reports, read by both Bandit and `remediate` (ruff's `--add-noqa`), so
//! that a team can gate CI on new findings while the old ones wait:
//!
//! ```text
//! torch.load(path)  # nosec B614  # legacy checkpoints, see #123
//! ```
//!
//! A rule without a Bandit id gets `# remediate: ignore[rule-id]`; with
//! `--noqa` the rule's ruff codes go into a `# noqa:` directive too. Codes
//! are merged into the directives a line already has (Bandit reads only the
//! first `# nosec` of a line). The comment goes on the finding's first line,
//! which Bandit reads for every test; when that line cannot end in a comment
//! (it ends inside a string, or a backslash continues it), on the next line
//! of the finding that can. A finding no line of which can take a comment is
//! reported with the reason and exits 1: nothing is skipped silently.
//! Each rewritten file must parse, and every inserted text must be a
//! comment; then `check` runs again and any finding still reported is
//! listed as not suppressed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use ruff_python_ast::token::TokenKind;
use ruff_text_size::Ranged;

use super::{exit_code, prepare, report_file_problems, stdin_name, write_stdout, Prepared};
use crate::cli::RuleOptions;
use crate::fix::comment::{add_directives, Additions, LineEnd, LineEnds};
use crate::fix::edit::{apply_tracked, Edit};
use crate::output::{self, stream, Paint};
use crate::pipeline::document::Document;
use crate::pipeline::engine::Mode;
use crate::pipeline::source::Source;
use crate::pipeline::walk::{display_path, FileKind};
use crate::pipeline::write::replace_file;
use crate::python::lines::LineIndex;
use crate::python::parse::{parse_module, PythonVersion};
use crate::python::suppress::{locate_directives, Directive};
use crate::report::summary::Summary;
use crate::report::{Diagnostic, FileResult};
use crate::rules::QueryTarget;

/// What `suppress` did to one file.
#[derive(Debug, Default)]
struct FileSuppression {
    path: PathBuf,
    /// Lines whose comment was added or extended.
    comments: usize,
    /// Findings those comments cover.
    covered: usize,
    /// Findings left as they were, with the reason.
    refused: Vec<(Diagnostic, String)>,
}

pub(crate) fn run(options: &RuleOptions, reason: &str, noqa: bool) -> Result<u8> {
    check_reason(reason)?;
    if stdin_name(options)?.is_some() {
        bail!("`suppress` edits files in place; it does not read standard input");
    }
    let p = prepare(options)?;
    let results = super::execute(&p, Mode::Check, false);
    let io_failed = report_file_problems(&p, &results);
    let target = p.config.target_version;
    let mut done: Vec<FileSuppression> = results
        .iter()
        .filter(|r| !r.outcome.diagnostics.is_empty() && r.io_error.is_none())
        .map(|r| suppress_file(r, reason, noqa, target))
        .collect();
    if done.iter().any(|f| f.covered > 0) {
        still_reported(&p, &mut done);
    }
    let paint = Paint(output::stdout_colour());
    write_stdout(describe_files(&done, options.quiet, paint).as_bytes())?;
    let syntax_errors = Summary::of(&results, &p.walk_errors, false).syntax_errors;
    if !options.quiet {
        stream::note(summary(&done));
    }
    let refused = done.iter().any(|f| !f.refused.is_empty());
    Ok(exit_code(io_failed, refused || syntax_errors > 0, options.exit_zero))
}

/// The reason goes into every comment: one line, and no directive of its
/// own (`# noqa` in it would silence every ruff rule on the line).
fn check_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        bail!("--reason must say why the findings are accepted");
    }
    if reason.contains(['\n', '\r']) {
        bail!("--reason must be one line: it is written at the end of each line it suppresses");
    }
    if !locate_directives(&format!("# {reason}")).is_empty() {
        bail!("--reason `{reason}` holds a suppression directive (nosec, noqa or remediate: ignore) of its own");
    }
    Ok(())
}

/// Adds the comments for `result`'s findings to its file.
fn suppress_file(result: &FileResult, reason: &str, noqa: bool, target: PythonVersion) -> FileSuppression {
    let mut done = FileSuppression { path: result.path.clone(), ..FileSuppression::default() };
    let findings = &result.outcome.diagnostics;
    let refuse_all = |done: &mut FileSuppression, why: &str| {
        done.refused.extend(findings.iter().map(|d| (d.clone(), why.to_owned())));
    };
    if FileKind::of_file(&result.path) == FileKind::Notebook {
        refuse_all(&mut done, "`suppress` does not edit notebooks (Bandit does not read them); add `# remediate: ignore[...]` in the cell");
        return done;
    }
    if result.outcome.error.is_some() {
        refuse_all(&mut done, "the file does not parse, so it is not edited");
        return done;
    }
    match rewrite(&result.path, findings, reason, noqa, target) {
        Ok(rewritten) => rewritten,
        Err(why) => {
            refuse_all(&mut done, &why);
            done
        }
    }
}

/// Reads the file, adds the comments, checks the result and writes it;
/// `Err` when the file is left as it was, with the reason for all its
/// findings.
fn rewrite(
    path: &Path,
    findings: &[Diagnostic],
    reason: &str,
    noqa: bool,
    target: PythonVersion,
) -> Result<FileSuppression, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("could not read the file: {e}"))?;
    let source = Source::decode(&bytes).map_err(|e| format!("could not decode the file: {e}"))?;
    let text = source.text.clone();
    let parsed = parse_module(&text, target);
    if !parsed.errors().is_empty() {
        return Err("the file does not parse, so it is not edited".into());
    }
    let lines = LineIndex::new(&text);
    let ends = LineEnds::new(parsed.tokens(), &lines);
    let plan = Plan::new(&text, &ends, findings, noqa);
    let edits: Vec<Edit> =
        plan.by_row.iter().filter_map(|(row, add)| add_directives(&text, ends.get(*row)?, add, reason)).collect();
    let done =
        FileSuppression { path: path.to_owned(), comments: edits.len(), covered: plan.covered, refused: plan.refused };
    if edits.is_empty() {
        return Ok(done);
    }
    let new_text = checked_text(&text, &edits, target)?;
    let new_bytes = Document::Source(source)
        .bytes(&new_text)
        .map_err(|why| format!("the comment cannot be written in this file: {why}"))?;
    replace_file(path, &bytes, &new_bytes).map_err(|e| format!("{e:#}"))?;
    Ok(done)
}

/// `text` with `edits`, refused unless it still parses and each edit's new
/// text lies inside a comment.
fn checked_text(text: &str, edits: &[Edit], target: PythonVersion) -> Result<String, String> {
    let (new_text, landed) = apply_tracked(text, edits).ok_or("the comments overlap (an internal error)")?;
    crate::python::verify::verify(&new_text, &[], target)
        .map_err(|why| format!("the file would not compile with the comments ({why})"))?;
    let parsed = parse_module(&new_text, target);
    let comments: Vec<_> = parsed
        .tokens()
        .iter()
        .filter(|t| t.kind() == TokenKind::Comment)
        .map(|t| t.start().to_usize()..t.end().to_usize())
        .collect();
    let trailing = |r: &std::ops::Range<usize>| {
        let text = new_text[r.clone()].trim_start();
        let start = r.end - text.len();
        text.is_empty() || comments.iter().any(|c| c.start <= start && r.end <= c.end)
    };
    if !landed.iter().all(trailing) {
        return Err("an added directive would not be read as a comment".into());
    }
    Ok(new_text)
}

/// Where each finding's comment goes, and what each line gains.
struct Plan {
    by_row: BTreeMap<usize, Additions>,
    covered: usize,
    refused: Vec<(Diagnostic, String)>,
}

impl Plan {
    fn new(text: &str, ends: &LineEnds, findings: &[Diagnostic], noqa: bool) -> Plan {
        let mut plan = Plan { by_row: BTreeMap::new(), covered: 0, refused: Vec::new() };
        let mut placed: Vec<(&Diagnostic, usize)> = Vec::new();
        for d in findings {
            match comment_row(ends, d) {
                Ok(row) => placed.push((d, row)),
                Err(why) => plan.refused.push((d.clone(), why)),
            }
        }
        let nosec_rows: HashSet<usize> =
            placed.iter().filter(|(d, _)| d.rule.bandit.is_some()).map(|(_, row)| *row).collect();
        for (d, row) in placed {
            if let Err(why) = bandit_reads(text, ends, d, row, &nosec_rows) {
                plan.refused.push((d.clone(), why));
                continue;
            }
            plan.add(row, d, noqa);
        }
        plan.refused.sort_by_key(|(d, _)| (d.start.line, d.start.column));
        plan
    }

    fn add(&mut self, row: usize, d: &Diagnostic, noqa: bool) {
        let add = self.by_row.entry(row).or_default();
        let rule = d.rule;
        match rule.bandit {
            Some(id) => push_new(&mut add.nosec, id),
            None => push_new(&mut add.ignore, rule.id),
        }
        if noqa {
            for code in rule.ruff {
                push_new(&mut add.noqa, code);
            }
        }
        self.covered += 1;
    }
}

fn push_new(codes: &mut Vec<&'static str>, code: &'static str) {
    if !codes.contains(&code) {
        codes.push(code);
    }
}

/// The first line of the finding that can end in a comment (0-based), or
/// why none can.
fn comment_row(ends: &LineEnds, d: &Diagnostic) -> Result<usize, String> {
    let (first, last) = (d.start.line - 1, d.end.line.max(d.start.line) - 1);
    let open = |row: &usize| ends.get(*row).is_some_and(|e| !matches!(e, LineEnd::Closed(_)));
    if let Some(row) = (first..=last).find(open) {
        return Ok(row);
    }
    let why = match ends.get(first) {
        Some(LineEnd::Closed(closed)) => closed.describe(),
        _ => "is past the end of the file",
    };
    Err(match first == last {
        true => format!("line {} {why}, so it cannot take a comment", first + 1),
        false => format!("line {} {why}, and no other line of the finding can take a comment", first + 1),
    })
}

/// A comment below a string literal's first line counts for Bandit only
/// when no earlier line of its statement holds a `# nosec`: Bandit judges a
/// string with the lines of the node around it (a call that may start lines
/// earlier) and reads the first `# nosec` among them. A call or an `except`
/// is judged with its own lines, none of which before `row` holds a comment.
/// `Err` names the line Bandit would read instead; `nosec_rows` are the
/// lines this run gives a `# nosec`.
fn bandit_reads(
    text: &str,
    ends: &LineEnds,
    d: &Diagnostic,
    row: usize,
    nosec_rows: &HashSet<usize>,
) -> Result<(), String> {
    let first = d.start.line - 1;
    let string = matches!(d.rule.query.as_ref().map(|q| q.matches), Some(QueryTarget::StringsContaining(_)));
    if row == first || d.rule.bandit.is_none() || !string {
        return Ok(());
    }
    let has_nosec = |r: usize| {
        nosec_rows.contains(&r)
            || matches!(ends.get(r), Some(LineEnd::Comment(c)) if locate_directives(&text[c.clone()])
                .iter()
                .any(|l| matches!(l.directive, Directive::Nosec(_))))
    };
    match (ends.statement_start(first)..first).find(|&r| has_nosec(r)) {
        Some(r) => Err(format!(
            "line {} cannot take a comment, and Bandit would read the `# nosec` on line {} instead of one on line {}",
            first + 1,
            r + 1,
            row + 1
        )),
        None => Ok(()),
    }
}

/// Runs `check` again over the same paths: a finding still reported in a
/// file this run edited was not suppressed after all.
fn still_reported(p: &Prepared, done: &mut [FileSuppression]) {
    let after = super::execute(p, Mode::Check, false);
    let by_path: BTreeMap<&Path, &FileResult> = after.iter().map(|r| (r.path.as_path(), r)).collect();
    for file in done.iter_mut().filter(|f| f.covered > 0) {
        let Some(result) = by_path.get(file.path.as_path()) else { continue };
        let known: HashSet<(&str, usize, usize)> =
            file.refused.iter().map(|(d, _)| (d.rule.id, d.start.line, d.start.column)).collect();
        let left: Vec<Diagnostic> = result
            .outcome
            .diagnostics
            .iter()
            .filter(|d| !known.contains(&(d.rule.id, d.start.line, d.start.column)))
            .cloned()
            .collect();
        file.covered -= left.len().min(file.covered);
        let why = "still reported after the comment was added";
        file.refused.extend(left.into_iter().map(|d| (d, why.to_owned())));
    }
}

/// Per file, the comments added; then every finding not suppressed, with why.
fn describe_files(done: &[FileSuppression], quiet: bool, paint: Paint) -> String {
    let mut out = String::new();
    for file in done.iter().filter(|f| f.comments > 0 && !quiet) {
        out += &format!(
            "{}: {} comment(s) added for {} finding(s)\n",
            display_path(&file.path),
            file.comments,
            file.covered
        );
    }
    for file in done {
        for (d, why) in &file.refused {
            let code = output::text::code(d).map(|c| format!(" [{c}]")).unwrap_or_default();
            out += &format!(
                "{}:{}: {}{code} not suppressed: {why}\n",
                paint.bold(&display_path(&file.path)),
                d.start,
                paint.red(d.rule.id)
            );
        }
    }
    out
}

fn summary(done: &[FileSuppression]) -> String {
    let comments: usize = done.iter().map(|f| f.comments).sum();
    let covered: usize = done.iter().map(|f| f.covered).sum();
    let files = done.iter().filter(|f| f.comments > 0).count();
    let refused: usize = done.iter().map(|f| f.refused.len()).sum();
    let mut line = format!("{comments} comment(s) added for {covered} finding(s) in {files} file(s)");
    if refused > 0 {
        line += &format!("; {refused} finding(s) could not be suppressed");
    }
    line
}
