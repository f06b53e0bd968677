//! The line length a project's formatter keeps to, which fixes respect:
//! `line-length` under `[tool.ruff]`, else under `[tool.black]`, in the
//! nearest `pyproject.toml` above the current directory; 88 (black's and
//! ruff's default) without one. And how black lays out a generated call
//! whose one argument is a list, when the line would exceed it.

use std::path::Path;

/// Black's and ruff's default.
pub(crate) const DEFAULT: usize = 88;

/// The line length of the project around `dir`.
pub(crate) fn discover(dir: &Path) -> usize {
    for folder in dir.ancestors() {
        let Ok(text) = std::fs::read_to_string(folder.join("pyproject.toml")) else { continue };
        return declared(&text).unwrap_or(DEFAULT);
    }
    DEFAULT
}

/// `line-length` of `[tool.ruff]`, else of `[tool.black]`, in a
/// `pyproject.toml`'s text.
pub(crate) fn declared(text: &str) -> Option<usize> {
    in_table(text, "tool.ruff").or_else(|| in_table(text, "tool.black"))
}

/// The integer `line-length = N` directly in table `[name]`.
fn in_table(text: &str, name: &str) -> Option<usize> {
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line.trim_start_matches('[').trim_end_matches(']').trim() == name && !line.starts_with("[[");
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim().trim_matches(['"', '\'']);
        if inside && key == "line-length" {
            let value = value.split('#').next().unwrap_or("").trim().replace('_', "");
            return value.parse().ok().filter(|&n| n > 0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruff_before_black_and_a_default() {
        let both = "[tool.black]\nline-length = 100\n\n[tool.ruff]\nline-length = 120  # wide\n";
        assert_eq!(declared(both), Some(120));
        assert_eq!(declared("[tool.black]\nline-length = 79\n[tool.ruff.lint]\nline-length = 5\n"), Some(79));
        assert_eq!(declared("[project]\nline-length = 10\n"), None);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), "[tool.ruff]\nline-length = 100\n").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        assert_eq!(discover(&dir.path().join("src")), 100);
    }
}

/// `{head}[a, b]{tail}` (a call whose one argument is a list, as in
/// `with torch.serialization.safe_globals([...]):`) laid out as black lays
/// it out at `indent`: on one line when it fits in `line_length`; else the
/// list on a line of its own; else one entry per line, with a trailing
/// comma. `head` ends with the call's `(`, `tail` starts with its `)`.
pub(crate) fn call_with_list(
    head: &str,
    entries: &[String],
    tail: &str,
    indent: &str,
    newline: &str,
    line_length: usize,
) -> String {
    let list = format!("[{}]", entries.join(", "));
    let one_line = format!("{head}{list}{tail}");
    let width = |text: &str| indent.chars().count() + text.chars().count();
    // Black counts a tab as one column; a tab-indented file is left as it is.
    if width(&one_line) <= line_length || indent.contains('\t') {
        return one_line;
    }
    let inner = format!("{indent}    ");
    let close = tail.trim_start_matches(')');
    if width(&format!("    {list}")) <= line_length {
        return format!("{head}{newline}{inner}{list}{newline}{indent}){close}");
    }
    let mut text = format!("{head}{newline}{inner}[{newline}");
    for entry in entries {
        text += &format!("{inner}    {entry},{newline}");
    }
    text + &format!("{inner}]{newline}{indent}){close}")
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    fn entries(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_call_with_a_list_is_laid_out_as_black_does() {
        let head = "with torch.serialization.safe_globals(";
        let short = entries(&["np.dtype", "np.ndarray"]);
        assert_eq!(
            call_with_list(head, &short, "):", "    ", "\n", 88),
            "with torch.serialization.safe_globals([np.dtype, np.ndarray]):"
        );
        let medium = entries(&["argparse.Namespace", "(_reconstruct, \"numpy.core.multiarray._reconstruct\")"]);
        assert_eq!(
            call_with_list(head, &medium, "):", "    ", "\n", 88),
            "with torch.serialization.safe_globals(\n        [argparse.Namespace, (_reconstruct, \"numpy.core.multiarray._reconstruct\")]\n    ):"
        );
        let long = entries(&[
            "(_reconstruct, \"numpy.core.multiarray._reconstruct\")",
            "(_reconstruct, \"numpy._core.multiarray._reconstruct\")",
            "np.dtype",
        ]);
        assert_eq!(
            call_with_list(head, &long, "):", "    ", "\r\n", 88),
            "with torch.serialization.safe_globals(\r\n        [\r\n            (_reconstruct, \"numpy.core.multiarray._reconstruct\"),\r\n            (_reconstruct, \"numpy._core.multiarray._reconstruct\"),\r\n            np.dtype,\r\n        ]\r\n    ):"
        );
        assert_eq!(
            call_with_list("torch.serialization.add_safe_globals(", &long, ")", "", "\n", 88),
            "torch.serialization.add_safe_globals(\n    [\n        (_reconstruct, \"numpy.core.multiarray._reconstruct\"),\n        (_reconstruct, \"numpy._core.multiarray._reconstruct\"),\n        np.dtype,\n    ]\n)"
        );
    }
}
