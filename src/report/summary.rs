//! Counts over a run, shared by every output format and the exit code.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::fix::edit::FixSafety;
use crate::report::{FileErrorKind, FileResult, PathError};

#[derive(Debug, Default, Clone)]
pub(crate) struct Summary {
    pub(crate) files: usize,
    /// Findings that remain.
    pub(crate) findings: usize,
    /// Of those, how many `remediate fix` with the same options would fix:
    /// those with a safe fix, and with `--unsafe-fixes` those with an unsafe
    /// one too (see [`crate::report::Diagnostic::fixable_with`]).
    pub(crate) fixable: usize,
    /// Of the findings that remain, how many have an unsafe fix, whether or
    /// not `--unsafe-fixes` counts them as fixable.
    pub(crate) unsafe_fixable: usize,
    /// Whether `--unsafe-fixes` was given, so unsafe fixes count as fixable.
    pub(crate) unsafe_fixes: bool,
    /// Findings fixed (by `diff` would be, by `fix` were).
    pub(crate) fixed: usize,
    pub(crate) files_changed: usize,
    pub(crate) by_rule: BTreeMap<&'static str, usize>,
    pub(crate) fixed_by_rule: BTreeMap<&'static str, usize>,
    /// Files that could not be parsed (left untouched).
    pub(crate) syntax_errors: usize,
    /// Files skipped as not Python text (binary, unsupported encoding).
    pub(crate) skipped: usize,
    /// Reading or writing failed: files, and paths that could not be walked.
    pub(crate) io_errors: usize,
}

impl Summary {
    /// Counts over the files' results and the paths that could not be
    /// walked; `unsafe_fixes` says whether unsafe fixes count as fixable.
    pub(crate) fn of(results: &[FileResult], unwalked: &[PathError], unsafe_fixes: bool) -> Summary {
        let mut s = Summary { files: results.len(), unsafe_fixes, io_errors: unwalked.len(), ..Summary::default() };
        for r in results {
            let written = r.io_error.is_none();
            for d in &r.outcome.diagnostics {
                s.findings += 1;
                *s.by_rule.entry(d.rule.id).or_default() += 1;
                s.fixable += usize::from(d.fixable_with(unsafe_fixes));
                s.unsafe_fixable += usize::from(d.fix_safety == Some(FixSafety::Unsafe));
            }
            if r.changed() && written {
                s.files_changed += 1;
                for d in &r.outcome.fixed {
                    s.fixed += 1;
                    *s.fixed_by_rule.entry(d.rule.id).or_default() += 1;
                }
            }
            match r.outcome.error.as_ref().map(|e| e.kind) {
                Some(FileErrorKind::Syntax) => s.syntax_errors += 1,
                Some(FileErrorKind::Skipped) => s.skipped += 1,
                None => {}
            }
            s.io_errors += usize::from(r.io_error.is_some());
        }
        s
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "files": self.files,
            "findings": self.findings,
            "fixable": self.fixable,
            "unsafe_fixable": self.unsafe_fixable,
            "fixed": self.fixed,
            "files_changed": self.files_changed,
            "by_rule": self.by_rule,
            "fixed_by_rule": self.fixed_by_rule,
            "syntax_errors": self.syntax_errors,
            "skipped": self.skipped,
            "io_errors": self.io_errors,
        })
    }
}
