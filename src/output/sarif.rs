//! `check --format sarif`: SARIF 2.1.0 for code-scanning dashboards.
//!
//! Locations are relative to the run's root, the current directory, named
//! by the `%SRCROOT%` base id. Columns count Unicode code points, as our
//! positions do, and the run says so with `columnKind`. A fixable finding
//! carries its fix as replacements of exact regions of the original file.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::pipeline::walk::display_path;
use crate::report::FileResult;
use crate::report::{Diagnostic, FileErrorKind, LocatedEdit, PathError, Position};
use crate::rules::RuleMeta;

pub(crate) const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const ROOT_ID: &str = "%SRCROOT%";

/// The whole log: one run, with every enabled rule described, one result a
/// finding, and the files that could not be processed as notifications.
pub(crate) fn report(
    results: &[FileResult],
    unwalked: &[PathError],
    rules: &[&'static RuleMeta],
    root: &Path,
) -> Value {
    let mut findings = Vec::new();
    let mut notifications = Vec::new();
    for e in unwalked {
        notifications.push(json!({
            "level": "error",
            "message": { "text": e.to_string() },
            "locations": [{ "physicalLocation": { "artifactLocation": artifact_location(&e.path, root) } }],
        }));
    }
    for r in results {
        let location = artifact_location(&r.path, root);
        for d in &r.outcome.diagnostics {
            findings.push(result(d, rules, &location));
        }
        if let Some(e) = &r.outcome.error {
            let level = match e.kind {
                FileErrorKind::Skipped => "warning",
                FileErrorKind::Syntax => "error",
            };
            let mut physical = json!({ "artifactLocation": location });
            if let Some(line) = e.line {
                let mut region = json!({ "startLine": line });
                if let Some(column) = e.column {
                    region["startColumn"] = json!(column);
                }
                physical["region"] = region;
            }
            notifications.push(json!({
                "level": level,
                "message": { "text": e.message },
                "locations": [{ "physicalLocation": physical }],
            }));
        }
        if let Some(message) = &r.io_error {
            notifications.push(json!({
                "level": "error",
                "message": { "text": message },
                "locations": [{ "physicalLocation": { "artifactLocation": location } }],
            }));
        }
    }
    let execution_successful = unwalked.is_empty() && results.iter().all(|r| r.io_error.is_none());
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver(rules) },
            "originalUriBaseIds": { ROOT_ID: { "uri": directory_uri(root) } },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": execution_successful,
                "toolExecutionNotifications": notifications,
            }],
            "results": findings,
        }],
    })
}

fn driver(rules: &[&'static RuleMeta]) -> Value {
    json!({
        "name": "remediate",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules.iter().map(|m| descriptor(m)).collect::<Vec<_>>(),
    })
}

/// A rule's metadata: its documentation is the help text.
fn descriptor(meta: &RuleMeta) -> Value {
    let documentation = meta.documentation();
    let mut tags = vec![json!("security")];
    tags.extend(meta.bandit.iter().chain(meta.ruff).map(|c| json!(c)));
    json!({
        "id": meta.id,
        "name": meta.bandit_name.unwrap_or(meta.id),
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": section(&documentation, "What it does").unwrap_or_else(|| meta.summary.to_owned()) },
        "help": { "text": documentation, "markdown": documentation },
        "defaultConfiguration": { "level": meta.severity.sarif_level() },
        "properties": {
            "tags": tags,
            "security-severity": meta.severity.security_score(),
            "severity": meta.severity.as_str(),
            "bandit": meta.bandit,
            "bandit_name": meta.bandit_name,
            "ruff": meta.ruff,
            "fix_safety": meta.fix_safety.map(|s| s.as_str()),
        },
    })
}

/// The text of a `## title` section of a rule's documentation, as one paragraph.
fn section(documentation: &str, title: &str) -> Option<String> {
    let heading = format!("## {title}");
    let mut lines = documentation.lines().skip_while(|l| l.trim() != heading);
    lines.next()?;
    let body: Vec<&str> =
        lines.take_while(|l| !l.starts_with("## ")).map(str::trim).filter(|l| !l.is_empty()).collect();
    (!body.is_empty()).then(|| body.join(" "))
}

fn result(d: &Diagnostic, rules: &[&'static RuleMeta], location: &Value) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(d.rule.id));
    if let Some(index) = rules.iter().position(|m| m.id == d.rule.id) {
        result.insert("ruleIndex".into(), json!(index));
    }
    result.insert("level".into(), json!(d.rule.severity.sarif_level()));
    result.insert("message".into(), json!({ "text": d.full_message() }));
    // A notebook's finding points at the line of the `.ipynb` file that
    // holds it (what a viewer of the file shows); its cell, line and column
    // are properties. Its fix is left out: replacements address the file's
    // bytes, and the fix edits a cell's decoded source.
    let region = match (d.start.cell, d.notebook_line) {
        (Some(_), Some(line)) => json!({ "startLine": line }),
        _ => region(d.start, d.end),
    };
    result.insert(
        "locations".into(),
        json!([{ "physicalLocation": { "artifactLocation": location, "region": region } }]),
    );
    if let Some(safety) = d.fix_safety.filter(|_| d.start.cell.is_none()) {
        let description = match (&d.fix_title, safety) {
            (Some(title), crate::fix::edit::FixSafety::Safe) => title.clone(),
            (Some(title), crate::fix::edit::FixSafety::Unsafe) => {
                format!("{title} (unsafe: changes behaviour; review before applying)")
            }
            (None, _) => format!("{} fix", safety.as_str()),
        };
        result.insert(
            "fixes".into(),
            json!([{
                "description": { "text": description },
                "artifactChanges": [{
                    "artifactLocation": location,
                    "replacements": d.edits.iter().map(replacement).collect::<Vec<_>>(),
                }],
            }]),
        );
    }
    result.insert(
        "properties".into(),
        json!({ "bandit": d.rule.bandit, "ruff": d.rule.ruff, "fix_safety": d.fix_safety.map(|s| s.as_str()) }),
    );
    if let Some(cell) = d.start.cell {
        result["properties"]["cell"] = json!({ "cell": cell, "line": d.start.line, "column": d.start.column });
    }
    Value::Object(result)
}

/// SARIF regions end at the column after the last character, as ours do.
fn region(start: Position, end: Position) -> Value {
    json!({ "startLine": start.line, "startColumn": start.column, "endLine": end.line, "endColumn": end.column })
}

/// An insertion is a replacement of an empty region.
fn replacement(e: &LocatedEdit) -> Value {
    json!({ "deletedRegion": region(e.start, e.end), "insertedContent": { "text": e.text } })
}

/// Relative to the root when the file lies below it; else an absolute `file:` URI.
fn artifact_location(path: &Path, root: &Path) -> Value {
    let shown = display_path(path);
    if Path::new(&shown).is_absolute() {
        json!({ "uri": file_uri(&shown) })
    } else if shown.starts_with("../") {
        json!({ "uri": file_uri(&lexically_normal(&root.join(&shown)).to_string_lossy().replace('\\', "/")) })
    } else {
        json!({ "uri": percent_encode(&shown), "uriBaseId": ROOT_ID })
    }
}

/// `a/b/../c` as `a/c`, without asking the file system.
fn lexically_normal(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn directory_uri(dir: &Path) -> String {
    let mut uri = file_uri(&dir.to_string_lossy().replace('\\', "/"));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn file_uri(absolute: &str) -> String {
    let path = percent_encode(absolute);
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        // A Windows path with a drive letter.
        format!("file:///{path}")
    }
}

/// Percent-encodes every byte but unreserved characters, `/` and a drive's `:`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, b) in path.bytes().enumerate() {
        let drive_colon = b == b':' && i == 1;
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || drive_colon {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(percent_encode("a b/ü#1.py"), "a%20b/%C3%BC%231.py");
        assert_eq!(file_uri("/tmp/x y"), "file:///tmp/x%20y");
        assert_eq!(directory_uri(Path::new("/work")), "file:///work/");
        assert_eq!(lexically_normal(Path::new("/w/a/../b/./c.py")), Path::new("/w/b/c.py"));
    }

    #[test]
    fn section_is_one_paragraph() {
        let doc = "## What it does\nFinds a\nthing.\n\n## Why is this bad?\nBecause.";
        assert_eq!(section(doc, "What it does").as_deref(), Some("Finds a thing."));
        assert_eq!(section(doc, "Example"), None);
    }
}
