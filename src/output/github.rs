//! `check --format github`: GitHub Actions workflow commands, which the
//! runner turns into annotations on the pull request's diff.

use crate::output::text::code;
use crate::pipeline::walk::display_path;
use crate::report::FileResult;
use crate::report::{Diagnostic, FileErrorKind, PathError};

/// One `::warning` a finding and one `::error` (or `::warning` for a skipped
/// file) a file or path that could not be processed.
pub(crate) fn annotations(results: &[FileResult], unwalked: &[PathError]) -> String {
    let mut out = String::new();
    for e in unwalked {
        out += &command("error", &[("file", display_path(&e.path)), ("title", "remediate".to_owned())], &e.to_string());
    }
    for r in results {
        let path = display_path(&r.path);
        for d in &r.outcome.diagnostics {
            out += &finding(&path, d);
        }
        if let Some(e) = &r.outcome.error {
            let level = match e.kind {
                FileErrorKind::Skipped => "warning",
                FileErrorKind::Syntax => "error",
            };
            let mut properties = vec![("file", path.clone())];
            properties.extend(e.line.map(|l| ("line", l.to_string())));
            properties.extend(e.column.map(|c| ("col", c.to_string())));
            properties.push(("title", "remediate".to_owned()));
            out += &command(level, &properties, &e.message);
        }
        if let Some(message) = &r.io_error {
            out += &command("error", &[("file", path.clone()), ("title", "remediate".to_owned())], message);
        }
    }
    out
}

fn finding(path: &str, d: &Diagnostic) -> String {
    let title = match code(d) {
        Some(code) => format!("{} [{code}]", d.rule.id),
        None => d.rule.id.to_owned(),
    };
    let mut message = d.full_message();
    match d.fix_safety {
        Some(crate::fix::edit::FixSafety::Safe) => message += " (fixable with `remediate fix`)",
        Some(crate::fix::edit::FixSafety::Unsafe) => message += " (fixable with `remediate fix --unsafe-fixes`)",
        None => {}
    }
    let properties = [
        ("file", path.to_owned()),
        ("line", d.start.line.to_string()),
        ("col", d.start.column.to_string()),
        ("endLine", d.end.line.to_string()),
        ("endColumn", d.end.column.to_string()),
        ("title", title),
    ];
    // In a notebook, the annotation goes on the line of the `.ipynb` file
    // that holds the cell's line; the cell is named in the message.
    let (properties, message) = match (d.start.cell, d.notebook_line) {
        (Some(cell), Some(line)) => (
            vec![("file", path.to_owned()), ("line", line.to_string()), ("title", properties[5].1.clone())],
            format!("cell {cell}, line {}: {message}", d.start.line),
        ),
        _ => (properties.to_vec(), message),
    };
    let level = match d.rule.severity {
        crate::rules::Severity::High => "error",
        crate::rules::Severity::Medium => "warning",
        crate::rules::Severity::Low => "notice",
    };
    command(level, &properties, &message)
}

/// `::level key=value,...::message` with both parts escaped as the runner expects.
fn command(level: &str, properties: &[(&str, String)], message: &str) -> String {
    let properties: Vec<String> = properties.iter().map(|(k, v)| format!("{k}={}", escape_property(v))).collect();
    format!("::{level} {}::{}\n", properties.join(","), escape_data(message))
}

/// The message: `%` and line breaks would end or corrupt the command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property value: also `:` and `,`, which separate the command's parts.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(
            command("warning", &[("file", "a,b.py".into()), ("title", "x:y".into())], "m"),
            "::warning file=a%2Cb.py,title=x%3Ay::m\n"
        );
    }
}
