//! `bare-except`: an `except:` that names no exception type (ruff E722).

use crate::documented_rule;
use crate::fix::edit::{Fix, FixSafety};
use crate::python::except_clause::{narrow_bare_except, ExceptHandler};
use crate::report::Finding;
use crate::rules::{Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds `except:` clauses that name no exception type, unless the
    /// handler re-raises with a bare `raise` as one of its own statements
    /// (the same exemption as ruff's E722).
    ///
    /// ## Why is this bad?
    /// A bare `except:` catches every exception, including
    /// `KeyboardInterrupt` (Ctrl-C), `SystemExit` (`sys.exit()`) and
    /// `GeneratorExit`. A job that should stop keeps running, and errors
    /// nobody expected, security failures among them, are handled as if
    /// they were the one the author had in mind.
    ///
    /// ## Example
    /// ```python
    /// try:
    ///     config = load_config(path)
    /// except:
    ///     config = DEFAULTS
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// try:
    ///     config = load_config(path)
    /// except (OSError, ValueError):
    ///     config = DEFAULTS
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`: `except:` becomes
    /// `except Exception:`. `KeyboardInterrupt`, `SystemExit` and
    /// `GeneratorExit` then propagate instead of being handled, which is
    /// usually the intent but changes behaviour: code that relied on
    /// swallowing `sys.exit()` (a plugin calling it, a `__del__` at
    /// shutdown) now exits. The fix does not guess the specific exceptions;
    /// narrowing `Exception` further is left to review.
    ///
    /// ## References
    /// - ruff E722 `bare-except`
    /// - Python: the exception hierarchy (`BaseException` vs `Exception`)
    pub(crate) struct BareExcept;
}

static META: RuleMeta = RuleMeta {
    id: "bare-except",
    bandit: None,
    bandit_name: None,
    ruff: &["E722"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::Low,
    summary: "bare `except:` also catches KeyboardInterrupt and SystemExit",
    doc: BareExcept::DOC,
    calls: &[],
    query: Some(Query { source: include_str!("../../queries/bare_except.scm"), matches: QueryTarget::BareHandlers }),
    // Every finding is a bare `except:` or a handler whose body starts with
    // `pass`, `continue` or `...`; the prefilter looks for exactly that.
    triggers: &[&[crate::pipeline::prefilter::SWALLOWING_EXCEPT]],
};

impl Rule for BareExcept {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, _cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        let handler = ExceptHandler::new(captures.get("handler")?)?;
        if !handler.is_bare() || handler.star || handler.reraises() {
            return None;
        }
        let finding = handler.finding(
            &META,
            "bare `except:` also catches KeyboardInterrupt and SystemExit; name the exceptions to handle",
        );
        let fix = Fix::unsafe_(vec![narrow_bare_except(&handler)]).titled("catch `Exception` instead of everything");
        Some(finding.with_fix(fix))
    }
}
