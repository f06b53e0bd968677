//! `weak-hash`: MD4, MD5 and SHA-1 from `hashlib` without
//! `usedforsecurity=False`, and `crypt`'s weak methods (Bandit B324, ruff S324).

use tree_sitter::Node;

use crate::documented_rule;
use crate::fix::edit::{Fix, FixSafety};
use crate::fix::keyword::{self, Keyword};
use crate::python::call::{text, Arg, Call};
use crate::python::hub_call::string_literal;
use crate::python::model::{Origin, ScopeKind};
use crate::python::parse::{text_size, PythonVersion};
use crate::python::secret_words::security_word;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds weak hashes from `hashlib` used without saying they protect
    /// nothing: `hashlib.md5`, `sha1`, `md4` and `sha`, and `hashlib.new`
    /// with one of those names as a literal (`"MD5"` too), through any alias
    /// (`import hashlib as h`, `from hashlib import md5`), also when chained
    /// (`hashlib.md5(data).hexdigest()`), unless the call passes
    /// `usedforsecurity=False`. Also `crypt.crypt` and `crypt.mksalt` with
    /// `METHOD_CRYPT`, `METHOD_MD5` or `METHOD_BLOWFISH`.
    ///
    /// ## Why is this bad?
    /// MD5 and SHA-1 collide: two different inputs with the same digest can
    /// be made cheaply, so a digest that signs, authenticates or stores a
    /// secret can be forged. As a cache key, a file name or a checksum
    /// against accidental corruption they are fine, and
    /// `usedforsecurity=False` (Python 3.9+) says so; it is also what lets
    /// the call run on FIPS-mode builds of OpenSSL, where it raises otherwise.
    ///
    /// ## Example
    /// ```python
    /// cache_dir = hashlib.md5(url.encode()).hexdigest()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// cache_dir = hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()
    /// ```
    ///
    /// ## Fix safety
    /// Safe: `usedforsecurity=False` is added as the last argument, in the
    /// call's own layout. The digest is the same; on a FIPS-mode OpenSSL the
    /// call now runs instead of raising. The keyword exists from Python 3.9:
    /// with `--target-version py38` (the default) the finding is reported
    /// with that reason, and `--target-version py39` or newer enables the fix.
    ///
    /// Reported without a fix, with the reason, where the hash plainly is a
    /// security use: a word such as `password`, `passwd`, `secret`, `token`,
    /// `signature`, `sign`, `hmac`, `auth`, `credential`, `salt`, `nonce`,
    /// `kdf` or `api_key` (whole words of identifiers, camel case split, and
    /// of string literals) in the call's arguments, in the name the result is
    /// assigned or passed to, or in the enclosing function's name. There,
    /// switch to SHA-256 or a password hash (`hashlib.scrypt`) by hand:
    /// another algorithm changes every stored digest, so it is never done
    /// automatically. Also not fixed: `usedforsecurity=True` or a
    /// non-literal value, `**kwargs` (the dict may hold the keyword already),
    /// `hashlib.md4` and `hashlib.sha` (no such attribute: the call raises
    /// `AttributeError`), a callee that may not be `hashlib` (not imported,
    /// or bound to something else too), and `crypt` (deprecated, removed in
    /// Python 3.13: move to a modern password hash).
    ///
    /// Not findings: `usedforsecurity=False`, strong hashes, `hashlib.new`
    /// with a non-literal name, `hmac.new(key, msg, hashlib.md5)` (a
    /// reference, not a call) and text in strings and comments.
    ///
    /// ## References
    /// - Bandit B324 `hashlib`, ruff S324 `hashlib-insecure-hash-function`
    /// - Python: `hashlib` and `usedforsecurity`
    pub(crate) struct WeakHash;
}

static META: RuleMeta = RuleMeta {
    id: "weak-hash",
    bandit: Some("B324"),
    bandit_name: Some("hashlib"),
    ruff: &["S324"],
    fix_safety: Some(FixSafety::Safe),
    severity: Severity::High,
    summary: "weak hash (MD5, SHA-1) without `usedforsecurity=False`",
    doc: WeakHash::DOC,
    calls: &["md4", "md5", "sha", "sha1", "new", "crypt", "mksalt"],
    query: None,
    // A callee resolves to `hashlib.*` or `crypt.*` only through a module
    // name spelled in code, and its last name (the function, or `new`) is
    // spelled in the call or in the import that aliases it.
    triggers: &[
        &["hashlib", "md5"],
        &["hashlib", "sha1"],
        &["hashlib", "md4"],
        &["hashlib", "sha"],
        &["hashlib", "new"],
        &["crypt"],
    ],
};

const WEAK_HASHES: &[&str] = &["md4", "md5", "sha", "sha1"];
const WEAK_CRYPT_METHODS: &[&str] = &["METHOD_CRYPT", "METHOD_MD5", "METHOD_BLOWFISH"];
/// `hashlib` attributes Bandit and ruff flag that Python 3 does not have.
const MISSING_ATTRIBUTES: &[&str] = &["hashlib.md4", "hashlib.sha"];

/// What a flagged call hashes with.
enum Weak {
    /// `hashlib.md5(...)`, `hashlib.new("md5", ...)`: the algorithm as written.
    Hashlib { algorithm: String },
    /// `crypt.crypt(w, crypt.METHOD_MD5)`: the method's name.
    Crypt { method: String },
}

impl Rule for WeakHash {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref()?;
        let call = &site.call;
        let spelled = callee.qualified.as_str();
        let algorithm = match weak_algorithm(cx, call, spelled)? {
            Weak::Hashlib { algorithm } => algorithm,
            Weak::Crypt { method } => {
                let message = format!("`{spelled}` with `{method}` is a weak password hash");
                return Some(Finding::new(&META, call.node, message).not_fixed(
                    "`crypt` is deprecated and removed in Python 3.13; move to a modern password hash (`hashlib.scrypt`) by hand",
                ));
            }
        };
        let finding = Finding::new(
            &META,
            call.node,
            format!("`{spelled}` uses {}, a weak hash, without `usedforsecurity=False`", algorithm.to_uppercase()),
        );
        match call.keyword(cx.src, "usedforsecurity").map(|v| cx.text(v)) {
            Some("False") => return None,
            Some("True") => {
                return Some(finding.not_fixed(
                    "`usedforsecurity=True` says the hash protects something; switch to SHA-256 by hand (every stored digest changes)",
                ))
            }
            Some(_) => {
                return Some(finding.not_fixed(
                    "`usedforsecurity` is not a literal `False`; make sure it is false at run time, or write `usedforsecurity=False`",
                ))
            }
            None => {}
        }
        if MISSING_ATTRIBUTES.contains(&spelled) {
            return Some(finding.not_fixed(format!(
                "`{spelled}` does not exist in Python 3, so this call raises AttributeError; use a strong hash"
            )));
        }
        if !spelled.starts_with("hashlib.") || spelled.matches('.').count() != 1 {
            return Some(
                finding.not_fixed(format!("`{spelled}` may not be the standard `hashlib`; review it by hand")),
            );
        }
        match callee.origin {
            Origin::Imported => {}
            Origin::Unbound | Origin::Relative => {
                return Some(finding.not_fixed("`hashlib` is not imported in this file, so this may be another object"))
            }
            Origin::Local => {
                return Some(finding.not_fixed(format!(
                    "`{}` is a local name here (a parameter or variable), not the `hashlib` module; review it by hand",
                    cx.text(call.callee).split('.').next().unwrap_or_default()
                )))
            }
            Origin::Ambiguous => {
                return Some(finding.not_fixed(format!(
                    "`{}` may name something other than `{spelled}` here; review it by hand",
                    cx.text(call.callee)
                )))
            }
        }
        if let Some((word, place)) = security_use(cx, call) {
            return Some(finding.not_fixed(format!(
                "`{word}` {place} suggests a security use; switch to SHA-256 or a password hash by hand (every stored digest changes), or add `usedforsecurity=False` yourself if it protects nothing"
            )));
        }
        if cx.target < PythonVersion::PY39 {
            return Some(finding.not_fixed(format!(
                "`usedforsecurity` needs Python 3.9 or newer and the target is Python {}.{}; pass `--target-version py39` (or newer) if the code no longer runs on older versions",
                cx.target.major, cx.target.minor
            )));
        }
        let edits = keyword::insert(
            call,
            cx.src,
            cx.newline,
            &[Keyword::new("usedforsecurity", "False")],
            cx.config.line_length,
        );
        Some(finding.with_fix_or(edits.map(|e| Fix::safe(e).titled("add `usedforsecurity=False`"))))
    }
}

/// The weak algorithm a call uses, as Bandit and ruff read it: the callee
/// spelled with a `hashlib` part (any alias resolved) and a weak name, or
/// `hashlib.new` with a weak literal name; `crypt.crypt` / `crypt.mksalt`
/// with a weak method.
fn weak_algorithm(cx: &FileContext<'_>, call: &Call<'_>, spelled: &str) -> Option<Weak> {
    let mut parts = spelled.split('.');
    let function = parts.next_back()?;
    let module_parts: Vec<&str> = parts.collect();
    if module_parts.contains(&"hashlib") {
        if WEAK_HASHES.contains(&function) {
            return Some(Weak::Hashlib { algorithm: function.to_owned() });
        }
        if function == "new" {
            let name = string_literal(argument(cx, call, 0, "name")?, cx.src)?;
            return WEAK_HASHES.contains(&name.to_lowercase().as_str()).then_some(Weak::Hashlib { algorithm: name });
        }
        return None;
    }
    if module_parts.contains(&"crypt") {
        let (position, keyword) = match function {
            "crypt" => (1, "salt"),
            "mksalt" => (0, "method"),
            _ => return None,
        };
        let value = argument(cx, call, position, keyword)?;
        let method = match value.kind() {
            "identifier" => cx.text(value).to_owned(),
            "attribute" => cx.text(value.child_by_field_name("attribute")?).to_owned(),
            _ => string_literal(value, cx.src)?,
        };
        return WEAK_CRYPT_METHODS.contains(&method.as_str()).then_some(Weak::Crypt { method });
    }
    None
}

/// The argument at `position`, else the keyword `name`; `None` when a
/// `*args` before it hides which argument is where.
fn argument<'t>(cx: &FileContext<'_>, call: &Call<'t>, position: usize, name: &str) -> Option<Node<'t>> {
    let mut index = 0;
    for arg in call.args() {
        match arg {
            Arg::Positional(node) if index == position => return Some(node),
            Arg::Positional(_) => index += 1,
            Arg::ListSplat(_) => return None,
            Arg::Keyword { .. } | Arg::DictSplat => break,
        }
    }
    call.keyword(cx.src, name)
}

/// A word that says the hash protects something, and where it is: in the
/// call's arguments, the name its result is assigned or passed to, or the
/// enclosing function's name.
fn security_use(cx: &FileContext<'_>, call: &Call<'_>) -> Option<(String, &'static str)> {
    if let Some(word) = words_within(call.arguments, cx.src) {
        return Some((word, "in the call's arguments"));
    }
    if let Some(word) = receiving_name(call.node).and_then(|name| words_within(name, cx.src)) {
        return Some((word, "in the name that receives the hash"));
    }
    let model = cx.model;
    let function = model.enclosing_function(model.scope_at(text_size(call.node.start_byte())))?;
    match model.scope(function).kind {
        ScopeKind::Function(f) => security_word(f.name.as_str()).map(|w| (w, "in the enclosing function's name")),
        _ => None,
    }
}

/// The first security word in the identifiers and string contents under `node`.
fn words_within(node: Node<'_>, src: &str) -> Option<String> {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "identifier" | "string_content") {
            if let Some(word) = security_word(text(n, src)) {
                return Some(word);
            }
        }
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}

/// What the call's value goes to, within its statement: the target of an
/// assignment or walrus, the keyword it is passed as, the key of the dict
/// entry it is stored under.
fn receiving_name(call: Node<'_>) -> Option<Node<'_>> {
    let mut child = call;
    let mut node = call.parent()?;
    loop {
        match node.kind() {
            "assignment" | "augmented_assignment" if node.child_by_field_name("right") == Some(child) => {
                return node.child_by_field_name("left")
            }
            "named_expression" if node.child_by_field_name("value") == Some(child) => {
                return node.child_by_field_name("name")
            }
            "keyword_argument" if node.child_by_field_name("value") == Some(child) => {
                return node.child_by_field_name("name")
            }
            "pair" if node.child_by_field_name("value") == Some(child) => return node.child_by_field_name("key"),
            kind if kind.ends_with("statement") || kind == "block" || kind == "module" => return None,
            _ => {}
        }
        child = node;
        node = node.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{call_sites, with_file};

    fn findings(src: &str) -> Vec<String> {
        with_file(src, |cx| {
            call_sites(cx)
                .iter()
                .filter(|s| s.named_in(META.calls))
                .filter_map(|s| WeakHash.check_call(cx, s))
                .map(|f| match f.fix {
                    Some(_) => format!("{}: fixable", f.message),
                    None => format!("{}: {}", f.message, f.reasons.join("; ")),
                })
                .collect()
        })
    }

    #[test]
    fn weak_names_through_aliases() {
        let src = "import hashlib as h\nfrom hashlib import md5 as m, new\nh.sha1(b'')\nm()\nnew('MD5')\nh.new(name='sha1')\nh.sha256()\nh.new(algo)\n";
        let found = findings(src);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().all(|f| f.ends_with("fixable")), "{found:?}");
    }

    #[test]
    fn security_words_around_the_call() {
        let cases = [
            "import hashlib\ndef f(password):\n    return hashlib.md5(password.encode()).hexdigest()\n",
            "import hashlib\nsignature = hashlib.sha1(body).hexdigest()\n",
            "import hashlib\ndef check_auth(x):\n    return hashlib.md5(x)\n",
            "import hashlib\nsend(hmac_digest=hashlib.md5(x).digest())\n",
            "import hashlib\nh = hashlib.md5(b'salt:' + x)\n",
        ];
        for src in cases {
            let found = findings(src);
            assert!(found[0].contains("suggests a security use"), "{src}: {found:?}");
        }
        let plain = findings("import hashlib\ndef cache_dir(url):\n    key = hashlib.md5(url.encode())\n");
        assert!(plain[0].ends_with("fixable"), "{plain:?}");
    }

    #[test]
    fn keyword_values_and_missing_attributes() {
        let src = "import hashlib\nhashlib.md5(usedforsecurity=False)\nhashlib.md5(usedforsecurity=True)\nhashlib.md5(usedforsecurity=flag)\nhashlib.sha()\n";
        let found = findings(src);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[2].contains("AttributeError"), "{found:?}");
    }
}
