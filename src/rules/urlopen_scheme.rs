//! `urlopen-scheme`: urllib calls that open any URL scheme, `file:`
//! included (Bandit B310, ruff S310).

use ruff_python_ast::{self as ast, Expr, FStringPart, InterpolatedStringElement};
use ruff_text_size::Ranged;

use crate::documented_rule;
use crate::python::model::Origin;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds `urllib.request.urlopen`, `urlretrieve` and `Request` (also
    /// through `six.moves.urllib.request`, any alias or from-import) whose
    /// URL is not known to be `http://` or `https://`, and every use of the
    /// deprecated `URLopener` and `FancyURLopener` classes.
    ///
    /// A URL counts as http(s) when it is a string literal starting with
    /// `http://` or `https://` (leading blanks allowed, any case), an f-string whose
    /// literal text starts so (`f"https://{host}/x"`), a `+` whose left side
    /// does, a `Request(...)` built from one, or a variable every assignment
    /// of which is one of these. That is ruff's reading; Bandit flags every
    /// `urlopen` and `urlretrieve` call whatever its URL, and never
    /// `Request`.
    ///
    /// ## Why is this bad?
    /// urllib opens more than HTTP: `file:///etc/passwd` reads a local
    /// file, `ftp://` fetches over an unencrypted channel, and installed
    /// handlers add more. A URL that comes from a config, a dataset card or
    /// a request parameter can then read files on the machine that runs the
    /// code (and, with `urlretrieve`, copy them somewhere).
    ///
    /// ## Example
    /// ```python
    /// def fetch(url):
    ///     return urllib.request.urlopen(url, timeout=30).read()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def fetch(url):
    ///     if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
    ///         raise ValueError(f"not an http(s) URL: {url!r}")
    ///     return urllib.request.urlopen(url, timeout=30).read()  # nosec B310: scheme checked above
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed; each finding says what to do. Inserting the scheme check
    /// changes behaviour for every caller that passes a `file:` path today,
    /// and neither Bandit nor ruff sees a check written before the call, so
    /// once it is there the line still needs `# nosec B310`. `requests` and
    /// `httpx` only speak HTTP and need no check.
    ///
    /// ## References
    /// - Bandit B310 `urllib_urlopen`, ruff S310
    /// - CWE-22: Path Traversal
    /// - Python: `urllib.request.urlopen`
    pub(crate) struct UrlopenScheme;
}

static META: RuleMeta = RuleMeta {
    id: "urlopen-scheme",
    bandit: Some("B310"),
    bandit_name: Some("urllib_urlopen"),
    ruff: &["S310"],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "urllib opening a URL that is not a literal http(s) URL (`file:` too)",
    doc: UrlopenScheme::DOC,
    calls: &["urlopen", "urlretrieve", "Request", "URLopener", "FancyURLopener"],
    query: None,
    // Every callee is `urllib.request.*` or `six.moves.urllib.request.*`:
    // reaching it spells `urllib` in an import or the call, and its own
    // name in the call or in the import that renames it.
    triggers: &[
        &["urllib", "urlopen"],
        &["urllib", "urlretrieve"],
        &["urllib", "Request"],
        &["urllib", "URLopener"],
        &["urllib", "FancyURLopener"],
    ],
};

/// How far a URL variable is followed through its assignments.
const MAX_DEPTH: usize = 8;

enum Target {
    /// `urlopen`, `urlretrieve`: a URL, or a `Request`.
    Open,
    /// `Request`: a URL.
    Request,
    /// `URLopener`, `FancyURLopener`: any scheme, whatever is opened later.
    Opener,
}

fn target_named(qualified: &str) -> Option<Target> {
    let name =
        qualified.strip_prefix("urllib.request.").or_else(|| qualified.strip_prefix("six.moves.urllib.request."))?;
    match name {
        "urlopen" | "urlretrieve" => Some(Target::Open),
        "Request" => Some(Target::Request),
        "URLopener" | "FancyURLopener" => Some(Target::Opener),
        _ => None,
    }
}

impl Rule for UrlopenScheme {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref().filter(|c| !matches!(c.origin, Origin::Local | Origin::Relative))?;
        let target = target_named(&callee.qualified)?;
        let name = &callee.qualified;
        let finding =
            |message: String, reason: &str| Some(Finding::new(&META, site.call.node, message).not_fixed(reason));
        if let Target::Opener = target {
            return finding(
                format!("`{name}` opens `file:` and `ftp:` URLs as well as http(s), and is deprecated"),
                "use `urllib.request.urlopen` on a URL whose scheme is checked, or `requests`/`httpx`, which only speak \
                 HTTP",
            );
        }
        let call = ast_call(cx, site.call.node.start_byte(), site.call.node.end_byte())?;
        let url = url_argument(call);
        if url.is_some_and(|url| is_http(cx, url, &target, 0)) {
            return None;
        }
        if let Some(literal) = url.and_then(literal_text) {
            return finding(
                format!("`{name}` is given the literal URL {literal:?}, which is not http(s)"),
                "a literal URL is the author's choice: if this scheme is meant, mark the line `# nosec B310`; \
                 otherwise write the http(s) URL",
            );
        }
        let what = match target {
            Target::Request => {
                "builds a request from a URL that is not a literal http(s) URL; opening it also follows \
                                `file:` and `ftp:` URLs"
            }
            _ => {
                "is given a URL that is not a literal http(s) URL, and also opens `file:` and `ftp:` URLs: a URL from \
                  outside can read local files"
            }
        };
        finding(
            format!("`{name}` {what}"),
            "check the scheme first (`urllib.parse.urlsplit(url).scheme in (\"http\", \"https\")`) or use \
             `requests`/`httpx`, which only speak HTTP; Bandit and ruff do not see a check made before the call, so \
             then mark the line `# nosec B310`; adding the check would change behaviour for callers passing other \
             schemes, so no rewrite is offered",
        )
    }
}

/// The AST of the call tree-sitter found at these offsets.
fn ast_call<'a>(cx: &FileContext<'a>, start: usize, end: usize) -> Option<&'a ast::ExprCall> {
    let calls = cx.model.calls();
    let first = calls.partition_point(|(c, _)| c.start().to_usize() < start);
    calls[first..]
        .iter()
        .take_while(|(c, _)| c.start().to_usize() == start)
        .map(|(c, _)| *c)
        .find(|c| c.end().to_usize() == end)
}

/// The URL argument (`url=` or the first positional), when the call can be
/// read: no `*args` or `**kwargs` (as ruff requires).
fn url_argument(call: &ast::ExprCall) -> Option<&Expr> {
    let arguments = &call.arguments;
    if arguments.args.iter().any(Expr::is_starred_expr) || arguments.keywords.iter().any(|k| k.arg.is_none()) {
        return None;
    }
    arguments.find_argument_value("url", 0)
}

/// Is `url` known to be an http(s) URL? `target` says whether a
/// `Request(...)` may stand in for it.
fn is_http(cx: &FileContext<'_>, url: &Expr, target: &Target, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match url {
        Expr::Call(inner) if matches!(target, Target::Open) => {
            let request = cx.model.resolve_expr(&inner.func).is_some_and(|c| {
                !matches!(c.origin, Origin::Local | Origin::Relative)
                    && matches!(target_named(&c.qualified), Some(Target::Request))
            });
            request && url_argument(inner).is_some_and(|u| is_http(cx, u, &Target::Request, depth + 1))
        }
        Expr::BinOp(ast::ExprBinOp { left, op: ast::Operator::Add, .. }) => is_http(cx, left, target, depth + 1),
        Expr::Name(name) => cx
            .model
            .assigned_values(name.id.as_str(), name.start())
            .is_some_and(|values| !values.is_empty() && values.iter().all(|v| is_http_text(cx, v, depth + 1))),
        _ => leading_text(url).is_some_and(|t| has_http_prefix(&t)),
    }
}

/// [`is_http`] for the value of a URL variable: text only, as ruff reads it.
fn is_http_text(cx: &FileContext<'_>, value: &Expr, depth: usize) -> bool {
    match value {
        Expr::Call(_) => false,
        _ => is_http(cx, value, &Target::Request, depth),
    }
}

/// The literal text a string or f-string starts with (an f-string's up to
/// its first replacement field).
fn leading_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
        Expr::FString(f) => {
            let mut text = String::new();
            for part in f.value.iter() {
                match part {
                    FStringPart::Literal(literal) => text.push_str(&literal.value),
                    FStringPart::FString(f_string) => {
                        for element in &f_string.elements {
                            match element {
                                InterpolatedStringElement::Literal(literal) => text.push_str(&literal.value),
                                InterpolatedStringElement::Interpolation(_) => return Some(text),
                            }
                        }
                    }
                }
            }
            Some(text)
        }
        _ => None,
    }
}

/// The whole value of a plain string literal.
fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
        _ => None,
    }
}

/// Leading blanks are skipped, as urllib does; schemes are case-insensitive.
fn has_http_prefix(text: &str) -> bool {
    let text = text.trim_start().as_bytes();
    ["http://", "https://"].iter().any(|p| text.get(..p.len()).is_some_and(|t| t.eq_ignore_ascii_case(p.as_bytes())))
}
