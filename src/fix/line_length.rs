//! The line length a project's formatter keeps to, which fixes respect:
//! `line-length` under `[tool.ruff]`, else under `[tool.black]`, in the
//! nearest `pyproject.toml` above the current directory; 88 (black's and
//! ruff's default) without one.

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
