//! `except-pass`: a handler of every exception whose body is only `pass`
//! (Bandit B110, ruff S110).

use crate::documented_rule;
use crate::fix::edit::FixSafety;
use crate::fix::logging::log_instead;
use crate::python::except_clause::{ExceptHandler, Swallow};
use crate::report::Finding;
use crate::rules::{Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds exception handlers whose whole body is `pass` (or `...`) and
    /// that catch everything: a bare `except:`, `except Exception`,
    /// `except BaseException` (also as `builtins.X`), or a tuple holding one
    /// of them, with or without `as name`, in `except` and `except*`. With
    /// `--strict-except`, handlers of any exception type are flagged.
    ///
    /// ## Why is this bad?
    /// The failure disappears without a trace: a model that did not load,
    /// a file that was not written, a permission check that raised. Nobody
    /// learns that it happened, and the program carries on in a state its
    /// author did not plan for.
    ///
    /// ## Example
    /// ```python
    /// def load_config(path):
    ///     try:
    ///         return read(path)
    ///     except Exception:
    ///         pass
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def load_config(path):
    ///     try:
    ///         return read(path)
    ///     except Exception as exc:
    ///         logger.debug("Ignored exception in load_config(): %r", exc, exc_info=True)
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`. The `pass` becomes a
    /// `debug` call on the module's logger (`logger`, `log`, `LOGGER` or
    /// another module-level name bound to `logging.getLogger(...)`); when
    /// there is none, `logger = logging.getLogger(__name__)` is added after
    /// the imports, with `import logging` if needed. The exception is bound
    /// as `exc` (or `exc_1`, ... when that name is taken) if the handler does
    /// not bind it; a bare `except:` becomes `except BaseException as exc:`,
    /// which catches what it caught before. Comments stay. The level is
    /// `debug` so that default log output does not change: a loop that
    /// swallowed thousands of errors does not start printing thousands of
    /// tracebacks. Review each one: raise the level where the failure
    /// matters, narrow the exception type, or handle the error.
    /// Not fixed: `except A, B:` (it needs parentheses to bind a name), and
    /// a module-level handler that runs before the module imports `logging`.
    ///
    /// ## References
    /// - Bandit B110 `try_except_pass`
    /// - ruff S110 `try-except-pass`
    pub(crate) struct ExceptPass;
}

static META: RuleMeta = RuleMeta {
    id: "except-pass",
    bandit: Some("B110"),
    bandit_name: Some("try_except_pass"),
    ruff: &["S110"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::Low,
    summary: "`except Exception: pass` silently swallows errors",
    doc: ExceptPass::DOC,
    calls: &[],
    query: Some(Query {
        source: include_str!("../../queries/except_pass.scm"),
        matches: QueryTarget::SwallowingHandlers,
    }),
    // Every finding is a bare `except:` or a handler whose body starts with
    // `pass`, `continue` or `...`; the prefilter looks for exactly that.
    triggers: &[&[crate::pipeline::prefilter::SWALLOWING_EXCEPT]],
};

impl Rule for ExceptPass {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        let handler = ExceptHandler::new(captures.get("handler")?)?;
        let statement = handler.swallowed(cx, Swallow::Pass)?;
        let finding = handler.finding(&META, handler.swallow_message(cx.src, Swallow::Pass, statement));
        Some(finding.with_fix_or(log_instead(cx, &handler, Swallow::Pass, statement)))
    }
}
