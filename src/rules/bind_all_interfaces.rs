//! `bind-all-interfaces`: the address `"0.0.0.0"` (Bandit B104, ruff S104).

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::documented_rule;
use crate::python::strings::{self, Argument, Holder, StringLiteral};
use crate::report::Finding;
use crate::rules::literal_findings::{self, Flagged, LiteralFindings};
use crate::rules::{Captures, FileContext, Query, QueryTarget, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds string literals whose value is exactly `"0.0.0.0"`, as Bandit
    /// and ruff read them (after escapes, across implicit concatenation, and
    /// for an f-string each stretch of literal text). `"::"`, `""` and
    /// `"0.0.0.0:8000"` are not flagged (neither tool flags them), nor is a
    /// string that is a statement of its own (a docstring).
    ///
    /// The message tells two cases apart. Where the string is the address
    /// given to a call that starts a server (`sock.bind(("0.0.0.0", port))`,
    /// `uvicorn.run(app, host="0.0.0.0")`, `app.run(host=...)`,
    /// `web.run_app(...)`, `asyncio.start_server(cb, "0.0.0.0", port)`,
    /// `HTTPServer(("0.0.0.0", port), ...)`, `demo.launch(server_name=...)`),
    /// the server listens on every network interface. Anywhere else (a
    /// default, a config field) the same value may be a client's
    /// destination instead, where `0.0.0.0` only works by accident.
    ///
    /// ## Why is this bad?
    /// A server bound to `0.0.0.0` accepts connections from every network
    /// the machine is on: a notebook, an inference server or a debugging
    /// endpoint meant for the local machine is then open to the whole
    /// cluster network, or the internet. A client told to connect to
    /// `0.0.0.0` reaches the local machine on Linux and fails elsewhere.
    ///
    /// ## Example
    /// ```python
    /// uvicorn.run(app, host="0.0.0.0", port=8000)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=8000)
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed; each finding says what to do. Which address is right
    /// depends on who uses the value and who must reach the server, and a
    /// changed default breaks everyone who relied on it: for a server that
    /// must serve other machines `0.0.0.0` is the documented setting (then
    /// mark the line `# nosec B104`); for a client, `"127.0.0.1"` or the
    /// server's name.
    ///
    /// ## References
    /// - Bandit B104 `hardcoded_bind_all_interfaces`, ruff S104
    /// - CWE-605: Multiple Binds to the Same Port
    pub(crate) struct BindAllInterfaces;
}

static META: RuleMeta = RuleMeta {
    id: "bind-all-interfaces",
    bandit: Some("B104"),
    bandit_name: Some("hardcoded_bind_all_interfaces"),
    ruff: &["S104"],
    fix_safety: None,
    severity: Severity::Medium,
    summary: "the address `\"0.0.0.0\"` (every network interface)",
    doc: BindAllInterfaces::DOC,
    calls: &[],
    query: Some(Query { source: literal_findings::QUERY, matches: QueryTarget::StringsContaining(&[ALL_INTERFACES]) }),
    triggers: &[&["<in string>0.0.0.0"]],
};

const ALL_INTERFACES: &str = "0.0.0.0";

/// Calls that take the address to listen on as a `host=` (`hostname=`,
/// `server_name=`) keyword: uvicorn, Flask, Dash, aiohttp, waitress,
/// werkzeug, gradio, asyncio.
const SERVE_WITH_HOST: &[&str] = &[
    "run",
    "run_server",
    "run_app",
    "run_simple",
    "serve",
    "launch",
    "Config",
    "Server",
    "start_server",
    "create_server",
    "TCPSite",
    "make_server",
];
const HOST_KEYWORDS: &[&str] = &["host", "hostname", "server_name"];
/// Calls whose first argument is an `(address, port)` pair to listen on.
const SERVE_ON_PAIR: &[&str] = &[
    "bind",
    "create_server",
    "HTTPServer",
    "ThreadingHTTPServer",
    "TCPServer",
    "UDPServer",
    "ThreadingTCPServer",
    "ThreadingUDPServer",
    "ForkingTCPServer",
    "ForkingUDPServer",
    "SimpleXMLRPCServer",
    "WSGIServer",
];
/// Calls taking the address as a positional argument: its index.
const SERVE_WITH_POSITIONAL_HOST: &[(&str, usize)] =
    &[("start_server", 1), ("create_server", 1), ("TCPSite", 1), ("make_server", 0), ("run_simple", 0)];

struct Flags(LiteralFindings);

impl Rule for BindAllInterfaces {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, cx: &FileContext<'_>, captures: &Captures<'_, '_>) -> Option<Finding> {
        cx.memo.get(|| Flags(flag_all(cx))).0.finding(&META, captures)
    }
}

fn flag_all(cx: &FileContext<'_>) -> LiteralFindings {
    let literals = strings::collect(&cx.model.module.body, |s| {
        !s.is_statement() && s.texts.iter().any(|t| t.as_ref() == ALL_INTERFACES)
    });
    LiteralFindings::new(cx, &literals, |literal| Some(judge(cx, literal)))
}

fn judge(cx: &FileContext<'_>, literal: &StringLiteral<'_>) -> Flagged {
    match server_call(cx, literal) {
        Some(callee) => Flagged {
            message: format!(
                "`{callee}` listens on \"0.0.0.0\", every network interface: any machine that can reach this one can connect"
            ),
            reason: "listen on \"127.0.0.1\" unless other machines must connect; if they must, take the address from \
                     configuration, make sure a firewall or authentication decides who connects, and mark the line \
                     `# nosec B104`"
                .into(),
        },
        None => Flagged {
            message: "\"0.0.0.0\" as an address: a server bound to it listens on every network interface, and a client \
                      connecting to it reaches this machine only by accident"
                .into(),
            reason: "the right address depends on who uses the value: a client should connect to \"127.0.0.1\" or the \
                     server's name, a server should listen on \"127.0.0.1\" unless other machines must connect; a \
                     changed default breaks its users, so no rewrite is offered"
                .into(),
        },
    }
}

/// The callee, as written, of the server call this literal is the address of.
fn server_call(cx: &FileContext<'_>, literal: &StringLiteral<'_>) -> Option<String> {
    let call = match (literal.argument_of(), literal.holders.as_slice()) {
        (Some((call, Argument::Keyword(keyword))), _) => {
            let name = callee_name(cx, call)?;
            (HOST_KEYWORDS.contains(&keyword) && SERVE_WITH_HOST.contains(&name.as_str())).then_some(call)?
        }
        (Some((call, Argument::Positional(index))), _) => {
            let name = callee_name(cx, call)?;
            SERVE_WITH_POSITIONAL_HOST.contains(&(name.as_str(), index)).then_some(call)?
        }
        (_, [Holder::Expr(Expr::Tuple(pair)), Holder::Expr(Expr::Call(call)), ..]) => {
            let first_of_pair = pair.elts.first().is_some_and(|e| e.range() == literal.range);
            let pair_is_first = call.arguments.args.first().is_some_and(|a| a.range() == pair.range());
            let name = callee_name(cx, call)?;
            (first_of_pair && pair_is_first && SERVE_ON_PAIR.contains(&name.as_str())).then_some(call)?
        }
        _ => return None,
    };
    Some(cx.src[call.func.range().start().to_usize()..call.func.range().end().to_usize()].to_owned())
}

/// The callee's last name: the attribute, or what a bare name was imported as.
fn callee_name(cx: &FileContext<'_>, call: &ast::ExprCall) -> Option<String> {
    match call.func.as_ref() {
        Expr::Attribute(attribute) => Some(attribute.attr.to_string()),
        Expr::Name(_) => cx.model.resolve_expr(&call.func).map(|r| r.last().to_owned()),
        _ => None,
    }
}
