//! `tarfile-extract`: extracting a tar archive without `filter="data"`
//! (Bandit B202, ruff S202).

use tree_sitter::Node;

use crate::documented_rule;
use crate::fix::edit::{Edit, Fix, FixSafety};
use crate::fix::import::add_import;
use crate::fix::keyword::{self, Keyword};
use crate::python::bound_object::receiver_kind;
use crate::python::call::{text, Call};
use crate::python::hub_call::string_literal;
use crate::python::imports::only_binds_module;
use crate::python::model::{BindingKind, Origin};
use crate::python::parse::{text_size, PythonVersion};
use crate::report::{one_line, Finding};
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds `extractall` and `extract` called on a tar archive without
    /// `filter="data"`: an archive made by `tarfile.open(...)`,
    /// `tarfile.TarFile(...)` or `TarFile.open(...)` (any alias), called on
    /// directly, or bound to a name (`t = tarfile.open(p)`, `with
    /// tarfile.open(p) as t:`) or to `self.<attr>` in the same class. In a
    /// file that imports `tarfile`, `extractall` on an object whose origin the
    /// file does not show (a parameter, a return value) is reported too.
    ///
    /// ## Why is this bad?
    /// A tar member can be named `../../.bashrc` or `/etc/cron.d/x`, or be a
    /// link that points outside the destination and a file written through
    /// it. Without a filter, extracting an archive someone else made (a
    /// downloaded dataset or checkpoint) can overwrite any file the process
    /// may write. `filter="data"` refuses such members.
    ///
    /// ## Example
    /// ```python
    /// with tarfile.open(archive_path) as tar:
    ///     tar.extractall(data_dir)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with tarfile.open(archive_path) as tar:
    ///     tar.extractall(data_dir, filter="data")
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, applied only with `--unsafe-fixes`: the `data` filter refuses
    /// absolute names, `..`, links that leave the destination and device
    /// files, clears set-uid and group/other write bits and ignores stored
    /// owners. An archive that relies on any of that (a symlink to a sibling
    /// directory) now raises `tarfile.FilterError` instead of extracting.
    ///
    /// `filter=` exists from Python 3.12, and in the security releases 3.8.17,
    /// 3.9.17, 3.10.12 and 3.11.4; older patch releases raise `TypeError` on
    /// it. With `--target-version py312` or newer the fix adds
    /// `filter="data"`. With an older target (the default is py38) it adds
    /// `**({"filter": "data"} if hasattr(tarfile, "data_filter") else {})`,
    /// which passes the filter wherever the running Python has it and
    /// extracts as before where it does not (adding `import tarfile` when the
    /// module is not bound). Bandit and ruff do not read a keyword passed
    /// through `**` and keep reporting such a call; `remediate` does not.
    ///
    /// Reported without a fix, with the reason: another filter
    /// (`filter="tar"`, `"fully_trusted"`, a function), `**kwargs` (the dict
    /// may hold `filter`), and an object the file does not show to be a tar
    /// archive.
    ///
    /// Not findings: `filter="data"` or `filter=tarfile.data_filter`,
    /// `zipfile.ZipFile` and other archives known not to be tar files (their
    /// `extractall` takes no `filter`, and `zipfile` strips `..` and absolute
    /// names itself), `shutil.unpack_archive`, and files that do not use
    /// `tarfile`.
    ///
    /// ## References
    /// - Bandit B202 `tarfile_unsafe_members`, ruff S202 `tarfile-unsafe-members`
    /// - PEP 706; Python: `tarfile` extraction filters
    pub(crate) struct TarfileExtract;
}

static META: RuleMeta = RuleMeta {
    id: "tarfile-extract",
    bandit: Some("B202"),
    bandit_name: Some("tarfile_unsafe_members"),
    ruff: &["S202"],
    fix_safety: Some(FixSafety::Unsafe),
    severity: Severity::High,
    summary: "tar extraction without `filter=\"data\"`",
    doc: TarfileExtract::DOC,
    calls: &["extractall", "extract"],
    query: None,
    // Every finding is in a file that spells `tarfile` (the import, or the
    // chain that makes the archive) and names the method at the call.
    triggers: &[&["tarfile", "extractall"], &["tarfile", "extract"]],
};

/// What kind of archive an object is, by the call that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Archive {
    Tar,
    /// Archives whose `extractall` takes no `filter`.
    Other,
}

fn archive_made_by(qualified: &str) -> Option<Archive> {
    match qualified {
        "tarfile.open"
        | "tarfile.TarFile"
        | "tarfile.TarFile.open"
        | "tarfile.TarFile.taropen"
        | "tarfile.TarFile.gzopen"
        | "tarfile.TarFile.bz2open"
        | "tarfile.TarFile.xzopen"
        | "tarfile.TarFile.zstopen" => Some(Archive::Tar),
        "zipfile.ZipFile" | "zipfile.PyZipFile" | "rarfile.RarFile" | "py7zr.SevenZipFile" => Some(Archive::Other),
        _ => None,
    }
}

/// `filter=` values that refuse what the `data` filter refuses.
const DATA_FILTERS: &[&str] = &["tarfile.data_filter"];

impl Rule for TarfileExtract {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_call(&self, cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let call = &site.call;
        let receiver = call.callee.child_by_field_name("object").filter(|_| call.callee.kind() == "attribute")?;
        let known = receiver_kind(cx, receiver, &archive_made_by);
        match known {
            Some(Archive::Other) => return None,
            None if site.name != "extractall" || !imports_tarfile(cx) => return None,
            _ => {}
        }
        if passes_data_filter(cx, call) {
            return None;
        }
        let written = one_line(cx.text(receiver));
        let method = &site.name;
        let finding = Finding::new(
            &META,
            call.node,
            format!("`{written}.{method}` without `filter=\"data\"` can write outside the destination directory"),
        );
        if let Some(value) = call.keyword(cx.src, "filter") {
            let value = one_line(cx.text(value));
            return Some(finding.not_fixed(format!(
                "`filter={value}` is an explicit choice; review whether it refuses what `filter=\"data\"` refuses"
            )));
        }
        if known.is_none() {
            return Some(finding.not_fixed(format!(
                "this file does not show that `{written}` is a tar archive (a zip file's `{method}` takes no `filter`); if it is, add `filter=\"data\"` by hand"
            )));
        }
        Some(finding.with_fix_or(fix(cx, call)))
    }
}

/// Does the file import `tarfile` or something from it?
fn imports_tarfile(cx: &FileContext<'_>) -> bool {
    cx.model.all_bindings().any(|b| matches!(b.kind, BindingKind::Import { module: "tarfile", .. }))
}

/// `filter="data"`, `filter=tarfile.data_filter`, or the guarded form this
/// rule writes for older targets.
fn passes_data_filter(cx: &FileContext<'_>, call: &Call<'_>) -> bool {
    if let Some(value) = call.keyword(cx.src, "filter") {
        return string_literal(value, cx.src).is_some_and(|v| v == "data")
            || cx.resolve(value).is_some_and(|r| DATA_FILTERS.contains(&r.qualified.as_str()));
    }
    let mut cursor = call.arguments.walk();
    let splats: Vec<Node<'_>> =
        call.arguments.named_children(&mut cursor).filter(|n| n.kind() == "dictionary_splat").collect();
    splats.into_iter().any(|splat| is_guarded_data_filter(text(splat, cx.src)))
}

/// `**({"filter": "data"} if hasattr(<name>, "data_filter") else {})`, in
/// any spacing and quotes.
fn is_guarded_data_filter(splat: &str) -> bool {
    let compact: String =
        splat.chars().filter(|c| !c.is_whitespace()).map(|c| if c == '\'' { '"' } else { c }).collect();
    let Some(rest) = compact.strip_prefix("**({\"filter\":\"data\"}ifhasattr(") else { return false };
    let Some(module) = rest.strip_suffix(",\"data_filter\")else{})") else { return false };
    !module.is_empty() && module.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn fix(cx: &FileContext<'_>, call: &Call<'_>) -> Result<Fix, String> {
    let data = Keyword::new("filter", "\"data\"");
    if cx.target >= PythonVersion::PY312 {
        let edits = keyword::insert(call, cx.src, cx.newline, &[data], cx.config.line_length)?;
        return Ok(Fix::unsafe_(edits).titled("add `filter=\"data\"`"));
    }
    // Older targets: only where the running Python has the filter.
    keyword::check(call, cx.src, &data)?;
    let (module, import) = tarfile_module(cx, call.node.start_byte())?;
    let guarded = data.guarded(format!("hasattr({module}, \"data_filter\")"));
    let mut edits = keyword::insert(call, cx.src, cx.newline, &[guarded], cx.config.line_length)?;
    let mut title = "add `filter=\"data\"` where the running Python has it".to_owned();
    if let Some(import) = import {
        edits.push(import);
        title.push_str("; add `import tarfile`");
    }
    Ok(Fix::unsafe_(edits).titled(title))
}

/// A name bound to the `tarfile` module where the call is, or `tarfile`
/// with the edit that imports it (a standard module: never an optional
/// dependency).
fn tarfile_module(cx: &FileContext<'_>, at: usize) -> Result<(String, Option<Edit>), String> {
    let model = cx.model;
    let at = text_size(at);
    let mut names: Vec<&str> = model
        .all_bindings()
        .filter(|b| matches!(b.kind, BindingKind::Import { module: "tarfile", member: None }))
        .map(|b| b.name)
        .collect();
    names.sort_unstable();
    names.dedup();
    let bound = names
        .into_iter()
        .find(|name| model.resolve(name, at).is_some_and(|r| r.origin == Origin::Imported && r.qualified == "tarfile"));
    if let Some(name) = bound {
        return Ok((name.to_owned(), None));
    }
    let free = model.resolve("tarfile", at).is_some_and(|r| r.origin == Origin::Unbound);
    if !free || !only_binds_module(model, "tarfile") {
        return Err("`tarfile` names something else in this file; add the filter by hand".into());
    }
    let edit = add_import(&model.module.body, cx.src, cx.newline, "import tarfile")?;
    Ok(("tarfile".to_owned(), Some(edit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_this_rule_writes_is_recognised() {
        assert!(is_guarded_data_filter("**({\"filter\": \"data\"} if hasattr(tarfile, \"data_filter\") else {})"));
        assert!(is_guarded_data_filter("**({'filter': 'data'}\n  if hasattr(tf, 'data_filter') else {})"));
        assert!(!is_guarded_data_filter("**({\"filter\": \"tar\"} if hasattr(tarfile, \"data_filter\") else {})"));
        assert!(!is_guarded_data_filter("**kwargs"));
        assert!(!is_guarded_data_filter("**({\"filter\": \"data\"} if hasattr(f(), \"data_filter\") else {})"));
    }
}
