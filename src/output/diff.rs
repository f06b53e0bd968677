//! Unified diffs of whole files, byte for byte: lines keep their own `\r\n`
//! or `\n`, a BOM stays on line 1, Latin-1 bytes stay Latin-1, so the output
//! applies with `git apply` / `patch -p1`. File names are written as
//! `git diff` writes them: quoted, with C escapes, when they hold a
//! backslash, a double quote, a control character or a byte beyond ASCII.

use std::path::Path;

use similar::{capture_diff_slices, group_diff_ops, Algorithm, DiffOp};

use crate::notebook::Notebook;
use crate::pipeline::walk::{display_path_bytes, FileKind};

/// The diff of a file the run changed, named as [`display_path_bytes`]
/// shows it. A notebook's diff is the diff of its JSON, which `git apply`
/// takes as any other; each hunk header names the cell it changes
/// (`@@ -42,7 +42,7 @@ cell 3`), in the place `git diff` gives a function's name.
pub(crate) fn of_file(path: &Path, old: &[u8], new: &[u8], colour: bool) -> Vec<u8> {
    let shown = display_path_bytes(path);
    let notebook = match FileKind::of_file(path) {
        FileKind::Notebook => Notebook::parse(old).ok(),
        FileKind::Source => None,
    };
    let label = |line: usize| notebook.as_ref()?.cell_at_file_line(line).map(|cell| format!("cell {cell}"));
    labelled(&shown, old, new, colour, &label)
}

/// The `--- a/` `+++ b/` diff turning `old` into `new`; colour wraps whole
/// lines. `path` is the file's name as bytes, as the file system has it.
pub(crate) fn unified(path: &[u8], old: &[u8], new: &[u8], colour: bool) -> Vec<u8> {
    labelled(path, old, new, colour, &|_| None)
}

/// [`unified`], each hunk header followed by `label` of the hunk's first
/// changed line of `old` (1-based), if any.
fn labelled(path: &[u8], old: &[u8], new: &[u8], colour: bool, label: &dyn Fn(usize) -> Option<String>) -> Vec<u8> {
    let old_lines: Vec<&[u8]> = old.split_inclusive(|&b| b == b'\n').collect();
    let new_lines: Vec<&[u8]> = new.split_inclusive(|&b| b == b'\n').collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
    let mut out = Vec::new();
    let mut header = b"--- ".to_vec();
    header.extend(header_name("a/", path));
    header.extend_from_slice(b"\n+++ ");
    header.extend(header_name("b/", path));
    header.push(b'\n');
    push_styled(&mut out, colour, "1", &header);
    for hunk in group_diff_ops(ops, 3) {
        let changed = hunk.iter().find(|op| !matches!(op, DiffOp::Equal { .. })).unwrap_or(&hunk[0]);
        let mut header = hunk_header(&hunk);
        if let Some(label) = label(changed.old_range().start + 1) {
            header.insert_str(header.len() - 1, &format!(" {label}"));
        }
        push_styled(&mut out, colour, "36", header.as_bytes());
        for op in &hunk {
            let (_, old_range, new_range) = op.as_tag_tuple();
            if let DiffOp::Equal { .. } = op {
                push_lines(&mut out, b' ', &old_lines[old_range], false, "");
                continue;
            }
            push_lines(&mut out, b'-', &old_lines[old_range], colour, "31");
            push_lines(&mut out, b'+', &new_lines[new_range], colour, "32");
        }
    }
    out
}

/// The diff that creates the file `path` holding `new` (`git apply` takes
/// `--- /dev/null` as "a new file").
pub(crate) fn created(path: &[u8], new: &[u8], colour: bool) -> Vec<u8> {
    let lines: Vec<&[u8]> = new.split_inclusive(|&b| b == b'\n').collect();
    let mut out = Vec::new();
    let mut header = b"--- /dev/null\n+++ ".to_vec();
    header.extend(header_name("b/", path));
    header.push(b'\n');
    push_styled(&mut out, colour, "1", &header);
    push_styled(&mut out, colour, "36", format!("@@ -0,0 +1,{} @@\n", lines.len()).as_bytes());
    push_lines(&mut out, b'+', &lines, colour, "32");
    out
}

/// `prefix` and `path` as `git diff` writes a name on a `---`/`+++` line.
/// A name holding `"`, `\\`, a control character or a non-ASCII byte is
/// quoted as a whole, prefix included, with C escapes (`\t`, `\n`, `\"`,
/// `\\`) and three octal digits for any other such byte: `"a/caf\303\251.py"`.
/// A plain name with a space is followed by a tab, which ends the name for
/// `git apply` and `patch`.
pub(crate) fn header_name(prefix: &str, path: &[u8]) -> Vec<u8> {
    let needs_quotes = path.iter().any(|&b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\');
    let mut out = Vec::with_capacity(prefix.len() + path.len() + 3);
    if !needs_quotes {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(path);
        if path.contains(&b' ') {
            out.push(b'\t');
        }
        return out;
    }
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    for &b in path {
        let escaped: &[u8] = match b {
            0x07 => b"\\a",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0b => b"\\v",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b if !(0x20..0x7f).contains(&b) => {
                out.extend_from_slice(format!("\\{b:03o}").as_bytes());
                continue;
            }
            _ => {
                out.push(b);
                continue;
            }
        };
        out.extend_from_slice(escaped);
    }
    out.push(b'"');
    out
}

fn hunk_header(hunk: &[DiffOp]) -> String {
    let (first, last) = (&hunk[0], &hunk[hunk.len() - 1]);
    let old = first.old_range().start..last.old_range().end;
    let new = first.new_range().start..last.new_range().end;
    format!("@@ -{} +{} @@\n", range(old), range(new))
}

/// `start,len` with a 1-based start; an empty range names the line before it.
fn range(r: std::ops::Range<usize>) -> String {
    let len = r.end - r.start;
    let start = if len == 0 { r.start } else { r.start + 1 };
    format!("{start},{len}")
}

fn push_lines(out: &mut Vec<u8>, sign: u8, lines: &[&[u8]], colour: bool, code: &str) {
    for line in lines {
        let mut text = vec![sign];
        text.extend_from_slice(line);
        let terminated = line.ends_with(b"\n");
        if !terminated {
            text.extend_from_slice(b"\n\\ No newline at end of file\n");
        }
        push_styled(out, colour, code, &text);
    }
}

fn push_styled(out: &mut Vec<u8>, colour: bool, code: &str, text: &[u8]) {
    if colour && !code.is_empty() {
        out.extend_from_slice(format!("\x1b[{code}m").as_bytes());
        out.extend_from_slice(text);
        out.extend_from_slice(b"\x1b[0m");
    } else {
        out.extend_from_slice(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_missing_final_newline() {
        let old = b"a\r\nb\r\nc";
        let new = b"a\r\nB\r\nc";
        let d = String::from_utf8(unified(b"x.py", old, new, false)).unwrap();
        assert_eq!(d, "--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\n\\ No newline at end of file\n");
    }

    #[test]
    fn identical_inputs_give_only_headers() {
        let d = unified(b"x.py", b"a\n", b"a\n", false);
        assert_eq!(d, b"--- a/x.py\n+++ b/x.py\n");
    }

    /// What `git diff` writes for the same names.
    #[test]
    fn names_are_quoted_as_git_quotes_them() {
        let name = |path: &[u8]| String::from_utf8(header_name("a/", path)).unwrap();
        assert_eq!(name(b"dir/x.py"), "a/dir/x.py");
        assert_eq!(name(b"sp ace.py"), "a/sp ace.py\t");
        assert_eq!(name(b"back\\slash.py"), r#""a/back\\slash.py""#);
        assert_eq!(name(b"tab\there.py"), r#""a/tab\there.py""#);
        assert_eq!(name(b"new\nline.py"), r#""a/new\nline.py""#);
        assert_eq!(name(b"quo\"te.py"), r#""a/quo\"te.py""#);
        assert_eq!(name("café.py".as_bytes()), r#""a/caf\303\251.py""#);
        assert_eq!(name(b"latin\xe9.py"), r#""a/latin\351.py""#);
        assert_eq!(name(b"bell\x07 del\x7f.py"), r#""a/bell\a del\177.py""#);
    }
}
