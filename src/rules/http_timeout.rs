//! `http-timeout`: HTTP calls that can wait forever (Bandit B113, ruff S113),
//! in requests, httpx, aiohttp and urllib.

use ruff_python_ast as ast;
use tree_sitter::Node;

use crate::config::{Seconds, TimeoutSet};
use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::name_for;
use crate::fix::keyword::{self, Keyword};
use crate::python::call::{text, Arg, Call};
use crate::python::http_client::{self as http_clients, ClientKind};
use crate::python::model::{Origin, Resolved, SemanticModel};
use crate::python::names::nfkc;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Memo, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds HTTP calls that have no upper bound on how long they wait:
    /// - requests: `requests.get/options/head/post/put/patch/delete/request`
    ///   (through any alias or from-import), and the same methods on a
    ///   `requests.Session()` bound in the same scope (`s = requests.Session()`,
    ///   `with requests.Session() as s:`, `self.session = requests.Session()`
    ///   used in the class), without `timeout` or with `timeout=None`;
    /// - httpx (whose default is 5 seconds): `timeout=None` on
    ///   `httpx.get/…/request/stream/Client/AsyncClient` and on the methods of
    ///   an httpx client bound as above;
    /// - aiohttp: `timeout=None` on `aiohttp.ClientSession(...)` or on a
    ///   session's request methods, and `aiohttp.ClientTimeout(...)` with every
    ///   bound unset or `None`;
    /// - urllib: `urllib.request.urlopen(...)` without a timeout, or with
    ///   `timeout=None`.
    ///
    /// A timeout given as any other expression (`timeout=self.timeout`,
    /// `timeout=cfg.t * 2`) is not flagged: it is bounded by intent. Chains
    /// that only look like a library (`self.requests.get`) are not flagged.
    ///
    /// ## Why is this bad?
    /// A server that accepts the connection and then stops answering keeps
    /// the call waiting forever: a worker, a training job or a proxy hangs
    /// with no error to act on.
    ///
    /// ## Example
    /// ```python
    /// response = requests.get(url)
    /// async with httpx.AsyncClient(timeout=None) as client:
    ///     upstream = await client.stream("GET", url)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// response = requests.get(url, timeout=(10.0, 60.0))
    /// async with httpx.AsyncClient(timeout=httpx.Timeout(connect=10.0, read=300.0, write=10.0, pool=10.0)) as client:
    ///     upstream = await client.stream("GET", url)
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the values come from `configs/timeouts.yaml` (`HTTP_TIMEOUTS`,
    /// or `STREAMING_TIMEOUTS` for a requests call passing `stream=True`, an
    /// httpx client whose `.stream(...)` is called, and `httpx.stream`), or
    /// from the `REMEDIATE_*_TIMEOUT` environment variables. requests gets
    /// `timeout=(connect, read)`; httpx an inline
    /// `httpx.Timeout(connect=…, read=…, write=…, pool=…)`; aiohttp
    /// `aiohttp.ClientTimeout(total=connect+read, connect=…, sock_read=read)`;
    /// urllib `timeout=read`. When the file does not bind the name the fix
    /// needs, it is added to an existing `from httpx import …` line, or an
    /// `import httpx` is added to the import block. A call that now waits
    /// longer than the configured values fails with a timeout error instead
    /// of hanging. Reported without a fix: a call passing `**kwargs` (the
    /// dict may hold `timeout` already), and a chain Bandit flags that is not
    /// a known requests function (`requests.codes.get`).
    ///
    /// ## References
    /// - Bandit B113 `request_without_timeout`, ruff S113
    /// - requests: Timeouts; httpx: Timeouts; aiohttp: `ClientTimeout`
    pub(crate) struct HttpTimeout;
}

static META: RuleMeta = RuleMeta {
    id: "http-timeout",
    bandit: Some("B113"),
    bandit_name: Some("request_without_timeout"),
    ruff: &["S113"],
    fix_safety: Some(FixSafety::Safe),
    severity: Severity::Medium,
    summary: "HTTP call without a timeout (requests, httpx, aiohttp, urllib)",
    doc: HttpTimeout::DOC,
    calls: CALLEE_NAMES,
    query: None,
    triggers: &[&["requests"], &["httpx"], &["aiohttp"], &["urlopen"]],
};

/// Every callee name this rule judges: the verbs of all three libraries,
/// httpx's clients, aiohttp's session and timeout, urllib's `urlopen`.
const CALLEE_NAMES: &[&str] = &[
    "get",
    "options",
    "head",
    "post",
    "put",
    "patch",
    "delete",
    "request",
    "stream",
    "ws_connect",
    "Client",
    "AsyncClient",
    "ClientSession",
    "ClientTimeout",
    "urlopen",
];

/// requests' functions and `Session` methods that send a request.
const REQUESTS_VERBS: &[&str] = &["get", "options", "head", "post", "put", "patch", "delete", "request"];
/// httpx's module-level API Bandit and ruff check, and client methods taking `timeout`.
const HTTPX_NAMES: &[&str] =
    &["get", "options", "head", "post", "put", "patch", "delete", "request", "stream", "Client", "AsyncClient"];
const HTTPX_CLIENT_METHODS: &[&str] =
    &["get", "options", "head", "post", "put", "patch", "delete", "request", "stream"];
const AIOHTTP_METHODS: &[&str] = &["get", "options", "head", "post", "put", "patch", "delete", "request", "ws_connect"];
const CLIENT_TIMEOUT_BOUNDS: &[&str] = &["total", "connect", "sock_read", "sock_connect"];

/// What a call is, for this rule.
enum Target {
    /// `requests.get(...)`; `known` when it is a real requests function
    /// (`requests.get`, `requests.api.get`), not just a chain starting with
    /// `requests` that Bandit also flags.
    Requests { name: String, known: bool },
    /// A method of a client object (`s.get`), with the receiver's spelling.
    ClientMethod { kind: ClientKind, receiver: String, method: String },
    /// `httpx.get`, `httpx.stream`, `httpx.Client`, ...
    Httpx { name: String },
    /// `aiohttp.ClientSession(...)`
    AiohttpSession { name: String },
    /// `aiohttp.ClientTimeout(...)`
    ClientTimeout { name: String },
    /// `urllib.request.urlopen(...)`
    Urlopen { name: String },
}

impl Target {
    fn of(site: &CallSite<'_>, cx: &FileContext<'_>) -> Option<Target> {
        let call = &site.call;
        if let Some(name) = site.callee.as_ref().map(|c| c.qualified.clone()) {
            let mut parts = name.split('.');
            let (first, last) = (parts.next().unwrap_or_default(), name.rsplit('.').next().unwrap_or_default());
            let dotted = name.contains('.');
            if first == "requests" && dotted && REQUESTS_VERBS.contains(&last) {
                let known = name == format!("requests.{last}") || name == format!("requests.api.{last}");
                return Some(Target::Requests { name, known });
            }
            if first == "httpx" && dotted && HTTPX_NAMES.contains(&last) {
                return Some(Target::Httpx { name });
            }
            match name.as_str() {
                "aiohttp.ClientSession" | "aiohttp.client.ClientSession" => {
                    return Some(Target::AiohttpSession { name })
                }
                "aiohttp.ClientTimeout" | "aiohttp.client.ClientTimeout" => {
                    return Some(Target::ClientTimeout { name })
                }
                "urllib.request.urlopen" => return Some(Target::Urlopen { name }),
                _ => {}
            }
        }
        if call.callee.kind() != "attribute" {
            return None;
        }
        let receiver = call.callee.child_by_field_name("object")?;
        let method = nfkc(text(call.callee.child_by_field_name("attribute")?, cx.src));
        let method = method.as_ref();
        let any_client_method =
            [REQUESTS_VERBS, HTTPX_CLIENT_METHODS, AIOHTTP_METHODS].iter().any(|m| m.contains(&method));
        if !any_client_method || !constructs_clients(cx.model, &cx.memo) {
            return None;
        }
        let kind = http_clients::receiver_kind(cx, receiver)?;
        let methods = match kind {
            ClientKind::RequestsSession => REQUESTS_VERBS,
            ClientKind::HttpxClient => HTTPX_CLIENT_METHODS,
            ClientKind::AiohttpSession => AIOHTTP_METHODS,
        };
        methods.contains(&method).then(|| Target::ClientMethod {
            kind,
            receiver: text(receiver, cx.src).to_owned(),
            method: method.to_owned(),
        })
    }

    /// Must the call pass a timeout (requests, urllib), or only not `None`?
    fn needs_timeout(&self) -> bool {
        match self {
            Target::Requests { .. } | Target::Urlopen { .. } => true,
            Target::ClientMethod { kind, .. } => *kind == ClientKind::RequestsSession,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Requests { name, .. }
            | Target::Httpx { name }
            | Target::AiohttpSession { name }
            | Target::ClientTimeout { name }
            | Target::Urlopen { name } => format!("`{name}`"),
            Target::ClientMethod { kind, receiver, method } => {
                let receiver = if receiver.contains('\n') { "…" } else { receiver };
                format!("`{receiver}.{method}` ({})", kind.described())
            }
        }
    }
}

/// Does the file construct an HTTP client anywhere (asked once per file)?
fn constructs_clients(model: &SemanticModel<'_>, memo: &Memo) -> bool {
    struct ConstructsClients(bool);
    memo.get(|| ConstructsClients(http_clients::constructs_clients(model))).0
}

impl Rule for HttpTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// A library's function ([`Target::of`]), or a method call in a file
    /// that constructs a client.
    fn may_judge(
        &self,
        model: &SemanticModel<'_>,
        call: &ast::ExprCall,
        callee: Option<&Resolved>,
        memo: &Memo,
    ) -> bool {
        let library = callee.is_some_and(|c| matches!(c.package(), "requests" | "httpx" | "aiohttp" | "urllib"));
        library || (call.func.is_attribute_expr() && constructs_clients(model, memo))
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let call = site.call;
        let target = Target::of(site, cx)?;
        if let Target::ClientTimeout { name } = &target {
            return check_client_timeout(cx, &call, name);
        }
        let timeout = call.keyword(cx.src, "timeout");
        let what = target.describe();
        let finding = match timeout {
            Some(value) if value.kind() == "none" => Finding::new(
                &META,
                call.node,
                format!("{what} with `timeout=None` can wait forever on an unresponsive server"),
            ),
            Some(_) => return None,
            None if target.needs_timeout() && !passes_timeout_positionally(&target, &call) => Finding::new(
                &META,
                call.node,
                format!("{what} without a timeout can wait forever on an unresponsive server"),
            ),
            None => return None,
        };
        if let Some(reason) = timeout.is_none().then(|| cx.partial_reason(call.node, "timeout")).flatten() {
            // Bandit flags requests' and httpx's functions whatever they are
            // bound to: reported, never fixed. A client's method is not a
            // finding at all.
            return match target {
                Target::ClientMethod { .. } => None,
                _ => Some(finding.not_fixed(reason)),
            };
        }
        if call.has_dict_splat() {
            return Some(finding.not_fixed(
                "the call passes `**kwargs`, which may already hold `timeout`; set it where the dict is built",
            ));
        }
        if let Target::Requests { known: false, name } = &target {
            return Some(finding.not_fixed(format!("`{name}` is not a known requests function; review it by hand")));
        }
        match (&target, site.callee.as_ref().map(|c| c.origin)) {
            (Target::Requests { .. }, Some(Origin::Unbound | Origin::Local)) => {
                return Some(
                    finding.not_fixed("`requests` is not imported in this file, so this may be another object"),
                )
            }
            (_, Some(Origin::Ambiguous)) => {
                return Some(finding.not_fixed(format!(
                    "`{}` may name something other than {} here; review it by hand",
                    cx.text(call.callee),
                    target.describe()
                )))
            }
            _ => {}
        }
        if call.has_list_splat() && takes_timeout_positionally(&target) {
            return Some(finding.not_fixed("the call passes `*args`, which may already fill `timeout`"));
        }
        match fix(cx, &call, &target, timeout) {
            Ok(fix) => Some(finding.with_fix(fix)),
            Err(reason) => Some(finding.not_fixed(reason)),
        }
    }
}

/// `urlopen(url, data, 5)` and `Session.request(m, u, params, …, timeout)`
/// can pass the timeout by position.
fn passes_timeout_positionally(target: &Target, call: &Call<'_>) -> bool {
    timeout_position(target).is_some_and(|index| call.positional().len() > index)
}

fn takes_timeout_positionally(target: &Target) -> bool {
    timeout_position(target).is_some()
}

/// The 0-based position of the `timeout` parameter, where it has one.
fn timeout_position(target: &Target) -> Option<usize> {
    match target {
        Target::Urlopen { .. } => Some(2),
        Target::ClientMethod { method, .. } if method == "request" => Some(8),
        _ => None,
    }
}

/// Which of the two configured sets applies.
fn timeout_set(cx: &FileContext<'_>, call: &Call<'_>, target: &Target) -> (&'static str, TimeoutSet) {
    let stream_keyword = call.keyword(cx.src, "stream").is_some_and(|v| text(v, cx.src) == "True");
    let streaming = match target {
        Target::Requests { .. } => stream_keyword,
        Target::ClientMethod { kind: ClientKind::RequestsSession, .. } => stream_keyword,
        Target::ClientMethod { kind: ClientKind::HttpxClient, method, .. } => method == "stream",
        Target::Httpx { name } => name.ends_with(".stream") || http_clients::client_streams(cx, call.node),
        _ => false,
    };
    let timeouts = &cx.config.timeouts;
    if streaming {
        ("STREAMING_TIMEOUTS", timeouts.streaming)
    } else {
        ("HTTP_TIMEOUTS", timeouts.http)
    }
}

fn fix(cx: &FileContext<'_>, call: &Call<'_>, target: &Target, timeout: Option<Node<'_>>) -> Result<Fix, String> {
    let (set_name, set) = timeout_set(cx, call, target);
    let mut edits = Vec::new();
    let mut import_note = String::new();
    let value = match target {
        Target::Requests { .. } | Target::ClientMethod { kind: ClientKind::RequestsSession, .. } => {
            format!("({}, {})", set.connect, set.read)
        }
        Target::Urlopen { .. } => set.read.to_string(),
        Target::Httpx { .. } | Target::ClientMethod { kind: ClientKind::HttpxClient, .. } => {
            let (name, import) = name_for(cx, call.node.start_byte(), "httpx", "Timeout")?;
            if let Some((edit, note)) = import {
                edits.push(edit);
                import_note = note;
            }
            format!("{name}(connect={}, read={}, write={}, pool={})", set.connect, set.read, set.write, set.pool)
        }
        Target::AiohttpSession { .. } | Target::ClientMethod { kind: ClientKind::AiohttpSession, .. } => {
            let (name, import) = name_for(cx, call.node.start_byte(), "aiohttp", "ClientTimeout")?;
            if let Some((edit, note)) = import {
                edits.push(edit);
                import_note = note;
            }
            format!("{name}({})", client_timeout_arguments(set))
        }
        Target::ClientTimeout { .. } => unreachable!("fixed by check_client_timeout"),
    };
    let title = match timeout {
        Some(none) => {
            edits.push(Edit::replace(none.byte_range(), value.clone()));
            format!("replace `timeout=None` with `timeout={value}` from {set_name}{import_note}")
        }
        None => {
            edits.extend(keyword::insert(
                call,
                cx.src,
                cx.newline,
                &[Keyword::new("timeout", value.clone())],
                cx.config.line_length,
            )?);
            format!("add `timeout={value}` from {set_name}{import_note}")
        }
    };
    Ok(Fix::safe(edits).titled(title))
}

/// `total=…, connect=…, sock_read=…`: `sock_read` bounds each read like
/// requests' and httpx's read timeout; `total` bounds the whole exchange,
/// set to connect + read so a request meeting both bounds is never cut.
fn client_timeout_arguments(set: TimeoutSet) -> String {
    let total = Seconds(((set.connect.0 + set.read.0) * 1e6).round() / 1e6);
    format!("total={total}, connect={}, sock_read={}", set.connect, set.read)
}

/// `aiohttp.ClientTimeout(total=None)` / `ClientTimeout()`: no bound at all.
fn check_client_timeout(cx: &FileContext<'_>, call: &Call<'_>, name: &str) -> Option<Finding> {
    let mut bounds = Vec::new();
    let mut others = Vec::new();
    for (i, arg) in call.args().into_iter().enumerate() {
        match arg {
            Arg::Positional(value) if i < CLIENT_TIMEOUT_BOUNDS.len() => bounds.push(value),
            Arg::Keyword { name, value } if CLIENT_TIMEOUT_BOUNDS.contains(&text(name, cx.src)) => bounds.push(value),
            Arg::Keyword { name, value } => others.push((name, value)),
            // `*args`, `**kwargs` or a fifth positional: may set a bound.
            _ => return None,
        }
    }
    if bounds.iter().any(|v| v.kind() != "none") {
        return None;
    }
    let finding = Finding::new(
        &META,
        call.node,
        format!(
            "`{name}` without any bound (`total`, `connect`, `sock_read`, `sock_connect` all `None`) can wait forever"
        ),
    );
    if has_comment(call.arguments) {
        return Some(finding.not_fixed("comments inside the call would be lost; set `total=` by hand"));
    }
    let set = cx.config.timeouts.http;
    let mut arguments = client_timeout_arguments(set);
    for (name, value) in others {
        arguments += &format!(", {}={}", text(name, cx.src), text(value, cx.src));
    }
    let edit = Edit::replace(call.arguments.byte_range(), format!("({arguments})"));
    let title = format!("set `{}` from HTTP_TIMEOUTS", client_timeout_arguments(set));
    Some(finding.with_fix(Fix::safe(vec![edit]).titled(title)))
}

fn has_comment(node: Node<'_>) -> bool {
    let mut cursor = node.walk();
    let children: Vec<_> = node.children(&mut cursor).collect();
    children.into_iter().any(|c| c.kind() == "comment")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aiohttp_total_is_connect_plus_read() {
        let set = crate::config::Timeouts::default().http;
        assert_eq!(client_timeout_arguments(set), "total=70.0, connect=10.0, sock_read=60.0");
    }
}
