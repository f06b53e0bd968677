//! `except-continue`: a handler of every exception whose body is only
//! `continue` (Bandit B112, ruff S112).

use crate::documented_rule;
use crate::fix::edit::FixSafety;
use crate::fix::logging::log_instead;
use crate::python::except_clause::{ExceptHandler, Swallow};
use crate::report::Finding;
use crate::rules::{Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds exception handlers inside loops whose whole body is `continue`
    /// and that catch everything: a bare `except:`, `except Exception`,
    /// `except BaseException` (also as `builtins.X`), or a tuple holding one
    /// of them, with or without `as name`. With `--strict-except`, handlers
    /// of any exception type are flagged.
    ///
    /// ## Why is this bad?
    /// Every item that fails is skipped without a word. A data loader that
    /// drops half its shards or a batch job that skips every record looks
    /// like it succeeded.
    ///
    /// ## Example
    /// ```python
    /// for path in shards:
    ///     try:
    ///         rows.extend(read(path))
    ///     except Exception:
    ///         continue
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// for path in shards:
    ///     try:
    ///         rows.extend(read(path))
    ///     except Exception as exc:
    ///         logger.debug("Skipping iteration after exception at module level: %r", exc, exc_info=True)
    ///         continue
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`, and made the same way as
    /// `except-pass`'s: a `debug` call on the module's logger (added when
    /// there is none) goes before the `continue`, which stays. The
    /// exception is bound as `exc` (or a free variant) when the handler does
    /// not bind it. Review each one: count or report skipped items where
    /// losing them matters.
    ///
    /// ## References
    /// - Bandit B112 `try_except_continue`
    /// - ruff S112 `try-except-continue`
    pub(crate) struct ExceptContinue;
}

static META: RuleMeta = RuleMeta {
    id: "except-continue",
    bandit: Some("B112"),
    bandit_name: Some("try_except_continue"),
    ruff: &["S112"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::Low,
    summary: "`except Exception: continue` silently skips failures",
    doc: ExceptContinue::DOC,
    calls: &[],
    query: Some(Query {
        source: include_str!("../../queries/except_continue.scm"),
        matches: QueryTarget::SwallowingHandlers,
    }),
    // Every finding is a bare `except:` or a handler whose body starts with
    // `pass`, `continue` or `...`; the prefilter looks for exactly that.
    triggers: &[&[crate::pipeline::prefilter::SWALLOWING_EXCEPT]],
};

impl Rule for ExceptContinue {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        let handler = ExceptHandler::new(captures.get("handler")?)?;
        let statement = handler.swallowed(cx, Swallow::Continue)?;
        let finding = handler.finding(&META, handler.swallow_message(cx.src, Swallow::Continue, statement));
        Some(finding.with_fix_or(log_instead(cx, &handler, Swallow::Continue, statement)))
    }
}
