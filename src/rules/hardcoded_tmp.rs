//! `hardcoded-tmp`: string literals naming a path in a shared temporary
//! directory (Bandit B108, ruff S108).

use ruff_python_ast::Expr;

use crate::documented_rule;
use crate::python::model::Origin;
use crate::python::strings::{self, StringLiteral};
use crate::report::Finding;
use crate::rules::literal_findings::{self, Flagged, LiteralFindings};
use crate::rules::{Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds string literals whose value starts with `/tmp`, `/var/tmp` or
    /// `/dev/shm`, as Bandit and ruff read them: after escapes
    /// (`"\x2ftmp"`), across implicit concatenation (`"/tmp/" "x"`), and for
    /// an f-string in each stretch of literal text (`f"/tmp/{run_id}.log"`,
    /// `f"{home}/tmp"`), format specs included. Bytes literals are not
    /// paths Python code usually opens and are not flagged; neither is a
    /// string that is a statement of its own (a docstring).
    ///
    /// ## Why is this bad?
    /// `/tmp`, `/var/tmp` and `/dev/shm` are shared by every user of the
    /// machine. A name fixed in the code can be created first by someone
    /// else: a symbolic link that makes the program overwrite a file of
    /// yours, or a file with their content that the program then reads. On a
    /// shared training node or CI runner that someone is real.
    ///
    /// ## Example
    /// ```python
    /// vocab_file = "/tmp/char_vocab.txt"
    /// with open(vocab_file, "w") as f:
    ///     f.write(vocab)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import tempfile
    ///
    /// with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ///     f.write(vocab)
    /// vocab_file = f.name
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed; each finding says what to do. The rewrite that suggests
    /// itself, `os.path.join(tempfile.gettempdir(), "char_vocab.txt")`, fixes
    /// nothing: the name is as predictable as before in the same shared
    /// directory (`gettempdir()` is `/tmp` unless `TMPDIR` is set), and the
    /// path changes for everyone who sets `TMPDIR`. What does fix it
    /// (`tempfile.mkstemp`, `NamedTemporaryFile`, `TemporaryDirectory`)
    /// changes how the file is created and cleaned up: a change to make by
    /// hand. A path passed to `tempfile` itself (`tempfile.mkdtemp(dir="/tmp")`)
    /// is reported with its own advice: the name `tempfile` makes is
    /// private, only `TMPDIR` is ignored. `/dev/shm` has no `tempfile`
    /// counterpart: create private names inside it.
    ///
    /// ## References
    /// - Bandit B108 `hardcoded_tmp_directory`, ruff S108
    /// - CWE-377: Insecure Temporary File
    /// - Python: `tempfile`
    pub(crate) struct HardcodedTmp;
}

static META: RuleMeta = RuleMeta {
    id: "hardcoded-tmp",
    bandit: Some("B108"),
    bandit_name: Some("hardcoded_tmp_directory"),
    ruff: &["S108"],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "hardcoded path in `/tmp`, `/var/tmp` or `/dev/shm`",
    doc: HardcodedTmp::DOC,
    calls: &[],
    query: Some(Query { source: literal_findings::QUERY, matches: QueryTarget::StringsContaining(SHARED_DIRS) }),
    // `/var/tmp` contains `/tmp`.
    triggers: &[&["<in string>/tmp"], &["<in string>/dev/shm"]],
};

/// What a flagged value may start with (`/var/tmp` included in the search
/// for `/tmp`).
const SHARED_DIRS: &[&str] = &["/tmp", "/dev/shm"];
const PREFIXES: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// The flagged literals of one file.
struct Flags(LiteralFindings);

impl Rule for HardcodedTmp {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        cx.memo.get(|| Flags(flag_all(cx))).0.finding(&META, captures)
    }
}

fn flag_all(cx: &FileContext<'_>) -> LiteralFindings {
    let literals = strings::collect(&cx.model.module.body, |s| !s.is_statement() && path_of(s).is_some());
    LiteralFindings::new(cx, &literals, |literal| judge(cx, literal))
}

/// The first text of the literal that starts with a shared directory.
fn path_of<'s>(literal: &'s StringLiteral<'_>) -> Option<&'s str> {
    literal.texts.iter().map(|t| t.as_ref()).find(|t| PREFIXES.iter().any(|p| t.starts_with(p)))
}

fn judge(cx: &FileContext<'_>, literal: &StringLiteral<'_>) -> Option<Flagged> {
    let path = path_of(literal)?;
    // An f-string is shown as written: its literal text alone would read as a whole path.
    let shown = match literal.expr {
        Expr::FString(_) => literal_findings::source(cx, literal),
        _ => literal_findings::quoted(path),
    };
    let tempfile_call = literal.argument_of().and_then(|(call, _)| {
        let callee = cx.model.resolve_expr(&call.func)?;
        let module = matches!(callee.origin, Origin::Imported | Origin::Unbound | Origin::Ambiguous);
        (module && callee.qualified.starts_with("tempfile.")).then_some(callee.qualified)
    });
    if let Some(callee) = tempfile_call {
        return Some(Flagged {
            message: format!("`{callee}` is given the hardcoded directory {shown}"),
            reason: format!(
                "the name `{callee}` creates is private, but this ignores `TMPDIR`; leave the directory out to use \
                 `tempfile.gettempdir()`, or keep it and mark the line `# nosec B108`"
            ),
        });
    }
    if path.starts_with("/dev/shm") {
        return Some(Flagged {
            message: format!("hardcoded path {shown} in shared memory, which every local user can read and write"),
            reason: "`tempfile` has no shared-memory counterpart to rewrite to; create the names inside it with \
                     `tempfile.mkstemp(dir=...)` or `tempfile.mkdtemp(dir=...)` so that they are private"
                .into(),
        });
    }
    let directory_only =
        literal.expr.is_string_literal_expr() && PREFIXES.iter().any(|p| path.trim_end_matches('/') == *p);
    let message = if directory_only {
        format!("hardcoded temporary directory {shown}: names made in it by hand are predictable")
    } else {
        format!("hardcoded path {shown} in a shared temporary directory: another local user can create it first")
    };
    Some(Flagged {
        message,
        reason: "create it with `tempfile.NamedTemporaryFile()`, `tempfile.mkstemp()` or \
                 `tempfile.TemporaryDirectory()`, which choose a fresh private name; joining \
                 `tempfile.gettempdir()` would keep the name predictable, so no rewrite is offered"
            .into(),
    })
}
