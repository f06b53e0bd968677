//! `yaml-load`: PyYAML loads that can construct Python objects (Bandit
//! B506, ruff S506).

use tree_sitter::Node;

use crate::documented_rule;
use crate::fix::argument;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::name_for;
use crate::python::call::{text, Arg, Call};
use crate::python::model::{BindingKind, Lookup, Origin};
use crate::python::parse::text_size;
use crate::report::{one_line, Finding};
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds PyYAML loads that can construct Python objects: `yaml.load` and
    /// `yaml.load_all` without a `Loader`, or with `Loader=` (or a second
    /// positional argument) `yaml.Loader`, `UnsafeLoader`, `FullLoader`, their
    /// `C…` variants or a loader of unknown make; and `yaml.unsafe_load`,
    /// `yaml.full_load` and their `_all` forms. Any alias counts (`import
    /// yaml as y`, `from yaml import load`).
    ///
    /// ## Why is this bad?
    /// A document can name Python objects with tags (`!!python/object/apply:`
    /// calls a function, `!!python/name:` imports one). Loading a file someone
    /// else wrote (a downloaded config, a model card, a dataset's metadata)
    /// with a loader that honours them runs their code.
    ///
    /// ## Example
    /// ```python
    /// config = yaml.load(open(path), Loader=yaml.FullLoader)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// config = yaml.safe_load(open(path))
    /// ```
    ///
    /// ## Fix safety
    /// `yaml.load(x)` without a `Loader` becomes `yaml.safe_load(x)`: a
    /// safe fix. From PyYAML 6.0 the `Loader` is required and the call raises
    /// `TypeError` on every document, so no code that works with a current
    /// PyYAML changes; with PyYAML 5.1 to 5.4 it meant `FullLoader`, which
    /// gives the same result as `safe_load` for every document without
    /// Python tags and now refuses the ones with them
    /// (`yaml.constructor.ConstructorError`), as intended.
    ///
    /// An explicit unsafe loader (`Loader=yaml.FullLoader`, `yaml.Loader`,
    /// `yaml.UnsafeLoader`, ...), `yaml.full_load` and `yaml.unsafe_load`
    /// become `yaml.safe_load` (`_all` forms: `yaml.safe_load_all`) as an
    /// unsafe fix, applied only with `--unsafe-fixes`: the author asked for
    /// Python objects, and documents that carry tags such as
    /// `!!python/tuple` now raise instead of loading. The first argument is
    /// kept as written and the `Loader` argument is removed. `from yaml
    /// import load` gets `safe_load` added to that import (or uses an
    /// existing `yaml` import).
    ///
    /// Reported without a fix, with the reason: a custom or unknown loader
    /// (`Loader=MyLoader`, `Loader=loader_cls`: `safe_load` would drop the
    /// constructors it adds), `**kwargs` or `*args` (they may pass the
    /// loader), arguments `safe_load` does not take, a comment the removed
    /// `Loader` argument shares a line with, a callee that may not be
    /// PyYAML's (a `yaml` that is not imported where it is used), and a
    /// function-local `from yaml import load` (a new top-level import would
    /// make an optional PyYAML required).
    ///
    /// Not findings: `Loader=yaml.SafeLoader` / `yaml.CSafeLoader` (also
    /// imported under another name), `yaml.BaseLoader` / `yaml.CBaseLoader`
    /// (they build only strings, lists and dicts), `yaml.safe_load`, and
    /// methods named `load` of other objects.
    ///
    /// ## References
    /// - Bandit B506 `yaml_load`, ruff S506 `unsafe-yaml-load`
    /// - PyYAML: `yaml.load` and its loaders
    pub(crate) struct YamlLoad;
}

static META: RuleMeta = RuleMeta {
    id: "yaml-load",
    bandit: Some("B506"),
    bandit_name: Some("yaml_load"),
    ruff: &["S506"],
    // Safe without a `Loader`; unsafe where the author chose an unsafe one.
    fix_safety: Some(FixSafety::Safe),
    severity: Severity::Medium,
    summary: "PyYAML load that can construct Python objects",
    doc: YamlLoad::DOC,
    calls: &["load", "load_all", "full_load", "full_load_all", "unsafe_load", "unsafe_load_all"],
    query: None,
    // The callee resolves to `yaml.*` only through `yaml` spelled in code,
    // and its own name is spelled in the call or in the import aliasing it.
    triggers: &[
        &["yaml", "load"],
        &["yaml", "load_all"],
        &["yaml", "full_load"],
        &["yaml", "full_load_all"],
        &["yaml", "unsafe_load"],
        &["yaml", "unsafe_load_all"],
    ],
};

/// Each function this rule judges and the safe function that replaces it.
const FUNCTIONS: &[(&str, &str)] = &[
    ("load", "safe_load"),
    ("load_all", "safe_load_all"),
    ("full_load", "safe_load"),
    ("full_load_all", "safe_load_all"),
    ("unsafe_load", "safe_load"),
    ("unsafe_load_all", "safe_load_all"),
];

const SAFE_LOADERS: &[&str] = &["yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader"];
const UNSAFE_LOADERS: &[&str] =
    &["yaml.Loader", "yaml.CLoader", "yaml.FullLoader", "yaml.CFullLoader", "yaml.UnsafeLoader", "yaml.CUnsafeLoader"];

/// What the `Loader` argument is.
enum Loader {
    /// `SafeLoader`, `CSafeLoader`, `BaseLoader`, `CBaseLoader` of PyYAML.
    Safe,
    /// One of PyYAML's loaders that construct Python objects.
    Unsafe,
    /// Named `SafeLoader` but not PyYAML's as far as the file shows.
    SpelledSafe,
    /// A custom class, a variable, an expression.
    Unknown,
}

impl Rule for YamlLoad {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref()?;
        let call = &site.call;
        let spelled = callee.qualified.as_str();
        let exact = FUNCTIONS.iter().find(|(f, _)| spelled.strip_prefix("yaml.") == Some(f));
        let (function, safe) = match exact {
            Some(&pair) if matches!(callee.origin, Origin::Imported | Origin::Ambiguous) => pair,
            // Bandit reads any callee spelled with a `yaml` part and ending
            // in `load` as PyYAML's, in a file that imports `yaml`.
            _ if spelled.split('.').rev().skip(1).any(|p| p == "yaml")
                && spelled.ends_with(".load")
                && imports_yaml(cx) =>
            {
                ("load", "safe_load")
            }
            _ => return None,
        };
        let finding = |what: String| {
            Finding::new(&META, call.node, format!("{what} can construct Python objects named by the document"))
        };
        if !matches!(function, "load" | "load_all") {
            let fixed = fix(cx, site, safe, None).map(|(edits, title)| Fix::unsafe_(edits).titled(title));
            return Some(finding(format!("`{spelled}`")).with_fix_or(fixed));
        }
        let Some(loader) = loader_argument(cx, call) else {
            let finding = finding(format!("`{spelled}` without a safe `Loader`"));
            if call.has_dict_splat() || call.has_list_splat() {
                return Some(finding.not_fixed("`*args` or `**kwargs` may hold the `Loader`; review it by hand"));
            }
            let fixed = fix(cx, site, safe, None).map(|(edits, title)| Fix::safe(edits).titled(title));
            return Some(finding.with_fix_or(fixed));
        };
        let written = one_line(cx.text(loader));
        let finding = finding(format!("`{spelled}` with `Loader={written}`"));
        match classify(cx, loader) {
            Loader::Safe => None,
            Loader::Unsafe => {
                let fixed = fix(cx, site, safe, Some(loader)).map(|(edits, title)| Fix::unsafe_(edits).titled(title));
                Some(finding.with_fix_or(fixed))
            }
            Loader::SpelledSafe => Some(finding.not_fixed(format!(
                "`{written}` is not PyYAML's `SafeLoader` as far as this file shows; review it by hand"
            ))),
            Loader::Unknown => Some(finding.not_fixed(format!(
                "`{written}` is a custom or unknown loader, and `yaml.{safe}` would drop what it adds; review it by hand"
            ))),
        }
    }
}

/// Does the file `import yaml` (as any name), the condition of Bandit's check?
fn imports_yaml(cx: &FileContext<'_>) -> bool {
    cx.model.all_bindings().any(|b| matches!(b.kind, BindingKind::Import { module: "yaml", member: None }))
}

/// The `Loader` argument: by keyword, or second by position.
fn loader_argument<'t>(cx: &FileContext<'_>, call: &Call<'t>) -> Option<Node<'t>> {
    if let Some(value) = call.keyword(cx.src, "Loader") {
        return Some(value);
    }
    let mut positional = 0;
    for arg in call.args() {
        match arg {
            Arg::Positional(node) if positional == 1 => return Some(node),
            Arg::Positional(_) => positional += 1,
            Arg::ListSplat(_) => return None,
            _ => {}
        }
    }
    None
}

/// `yaml.loader.SafeLoader` and `yaml.cyaml.CSafeLoader` are `yaml.SafeLoader`
/// and `yaml.CSafeLoader`.
fn canonical(qualified: &str) -> String {
    for module in ["yaml.loader.", "yaml.cyaml."] {
        if let Some(name) = qualified.strip_prefix(module) {
            return format!("yaml.{name}");
        }
    }
    qualified.to_owned()
}

fn classify(cx: &FileContext<'_>, loader: Node<'_>) -> Loader {
    let Some(resolved) = cx.resolve(loader) else { return Loader::Unknown };
    let name = canonical(&resolved.qualified);
    match resolved.origin {
        Origin::Imported | Origin::Unbound if SAFE_LOADERS.contains(&name.as_str()) => return Loader::Safe,
        Origin::Imported | Origin::Unbound if UNSAFE_LOADERS.contains(&name.as_str()) => return Loader::Unsafe,
        // `try: from yaml import CSafeLoader as SafeLoader` / `except
        // ImportError: from yaml import SafeLoader`: every import is safe.
        Origin::Ambiguous if loader.kind() == "identifier" && all_imports_safe(cx, loader) => return Loader::Safe,
        _ => {}
    }
    if matches!(resolved.last(), "SafeLoader" | "CSafeLoader") {
        Loader::SpelledSafe
    } else {
        Loader::Unknown
    }
}

fn all_imports_safe(cx: &FileContext<'_>, name: Node<'_>) -> bool {
    let Lookup::Bound { bindings, .. } = cx.model.lookup(cx.text(name), text_size(name.start_byte())) else {
        return false;
    };
    bindings.iter().all(|&id| {
        let imported = cx.model.binding(id).kind.imported_name();
        imported.is_some_and(|q| SAFE_LOADERS.contains(&canonical(&q).as_str()))
    })
}

/// The edits that turn the call into `yaml.<safe>(stream)`, and the fix's title.
fn fix(
    cx: &FileContext<'_>,
    site: &CallSite<'_>,
    safe: &str,
    loader: Option<Node<'_>>,
) -> Result<(Vec<Edit>, String), String> {
    let call = &site.call;
    let written = one_line(cx.text(call.callee));
    match site.callee.as_ref() {
        Some(c) if c.origin == Origin::Imported && c.qualified.matches('.').count() == 1 => {}
        Some(c) if c.origin == Origin::Ambiguous => {
            return Err(format!("`{written}` may name something other than `{}` here; review it by hand", c.qualified))
        }
        _ => {
            return Err(format!(
                "`{written}` may not be PyYAML's (`yaml` is not imported where it is used); review it by hand"
            ))
        }
    }
    check_arguments(cx, call, safe, loader)?;
    let mut edits = Vec::new();
    let mut note = String::new();
    match call.callee.kind() {
        "attribute" => {
            let attribute = call.callee.child_by_field_name("attribute").ok_or("no attribute")?;
            edits.push(Edit::replace(attribute.byte_range(), safe));
        }
        _ => {
            let (name, import) = name_for(cx, call.node.start_byte(), "yaml", safe)?;
            if let Some((edit, import_note)) = import {
                edits.push(edit);
                note = import_note;
            }
            edits.push(Edit::replace(call.callee.byte_range(), name));
        }
    }
    if let Some(loader) = loader {
        // A keyword goes whole (`Loader=...`); a positional loader is the value itself.
        let argument_node = loader.parent().filter(|p| p.kind() == "keyword_argument").unwrap_or(loader);
        edits.push(argument::remove(call, argument_node, cx.src)?);
    }
    Ok((edits, format!("use `yaml.{safe}`{note}")))
}

/// `yaml.safe_load(stream)` takes the document and nothing else.
fn check_arguments(cx: &FileContext<'_>, call: &Call<'_>, safe: &str, loader: Option<Node<'_>>) -> Result<(), String> {
    let mut has_stream = false;
    for arg in call.args() {
        match arg {
            Arg::Positional(node) if Some(node) == loader => {}
            Arg::Positional(_) if !has_stream => has_stream = true,
            Arg::Keyword { name, .. } if text(name, cx.src) == "stream" && !has_stream => has_stream = true,
            Arg::Keyword { value, .. } if Some(value) == loader => {}
            Arg::Positional(node) => {
                return Err(format!(
                    "`yaml.{safe}` takes only the document, and the call also passes `{}`",
                    one_line(cx.text(node))
                ))
            }
            Arg::Keyword { name, .. } => {
                return Err(format!(
                    "`yaml.{safe}` takes only the document, and the call also passes `{}=`",
                    text(name, cx.src)
                ))
            }
            Arg::ListSplat(_) | Arg::DictSplat => {
                return Err(format!("`*args` or `**kwargs` may pass arguments `yaml.{safe}` does not take"))
            }
        }
    }
    if !has_stream {
        return Err("the call passes no document".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::edit::apply;
    use crate::rules::testing::{call_sites, with_file};

    /// Each finding of `src` as `line: message [fix]`, and the text after
    /// applying every fix.
    fn run(src: &str) -> (Vec<String>, String) {
        with_file(src, |cx| {
            let findings: Vec<Finding> = call_sites(cx)
                .iter()
                .filter(|s| s.named_in(META.calls))
                .filter_map(|s| YamlLoad.check_call(cx, s))
                .collect();
            let mut edits: Vec<Edit> =
                findings.iter().filter_map(|f| f.fix.as_ref()).flat_map(|f| f.edits.clone()).collect();
            edits.sort_by_key(|e| e.range.start);
            let fixed = apply(src, &edits).unwrap();
            let lines = findings
                .iter()
                .map(|f| match &f.fix {
                    Some(fix) => format!("{}: {}", f.message, fix.safety.as_str()),
                    None => format!("{}: {}", f.message, f.reasons.join("; ")),
                })
                .collect();
            (lines, fixed)
        })
    }

    #[test]
    fn no_loader_is_a_safe_fix() {
        let (found, fixed) = run("import yaml\nyaml.load(s)\n");
        assert_eq!(
            found,
            ["`yaml.load` without a safe `Loader` can construct Python objects named by the document: safe"]
        );
        assert_eq!(fixed, "import yaml\nyaml.safe_load(s)\n");
    }

    #[test]
    fn unsafe_loaders_are_unsafe_fixes() {
        let src = "import yaml as y\ny.load(s, Loader=y.FullLoader)\ny.load(s, y.UnsafeLoader)\ny.unsafe_load(s)\ny.full_load_all(s)\n";
        let (found, fixed) = run(src);
        assert!(found.iter().all(|f| f.ends_with(": unsafe")), "{found:?}");
        assert_eq!(fixed, "import yaml as y\ny.safe_load(s)\ny.safe_load(s)\ny.safe_load(s)\ny.safe_load_all(s)\n");
    }

    #[test]
    fn safe_loaders_are_not_findings() {
        let src = "import yaml\nfrom yaml import CSafeLoader as L\ntry:\n    from yaml import CSafeLoader as SL\nexcept ImportError:\n    from yaml import SafeLoader as SL\nyaml.load(s, Loader=yaml.SafeLoader)\nyaml.load(s, L)\nyaml.load(s, Loader=SL)\nyaml.load(s, Loader=yaml.BaseLoader)\nyaml.safe_load(s)\n";
        assert_eq!(run(src).0, Vec::<String>::new());
    }

    #[test]
    fn unknown_loaders_and_extra_arguments_are_reported() {
        let src = "import yaml\nyaml.load(s, Loader=MyLoader)\nyaml.load(s, Loader=other.SafeLoader)\nyaml.load(s, **kw)\nyaml.unsafe_load(s, extra)\n";
        let (found, fixed) = run(src);
        assert_eq!(found.len(), 4);
        assert!(found[0].contains("custom or unknown loader"), "{found:?}");
        assert!(found[1].contains("not PyYAML's `SafeLoader`"), "{found:?}");
        assert!(found[2].contains("`**kwargs`"), "{found:?}");
        assert!(found[3].contains("takes only the document"), "{found:?}");
        assert_eq!(fixed, src);
    }
}
