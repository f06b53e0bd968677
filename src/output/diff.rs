//! Unified diffs of whole files, byte for byte: lines keep their own `\r\n`
//! or `\n`, a BOM stays on line 1, Latin-1 bytes stay Latin-1, so the output
//! applies with `git apply` / `patch -p1`.

use similar::{capture_diff_slices, group_diff_ops, Algorithm, DiffOp};

/// The `--- a/` `+++ b/` diff turning `old` into `new`; colour wraps whole lines.
pub fn unified(path: &str, old: &[u8], new: &[u8], colour: bool) -> Vec<u8> {
    let old_lines: Vec<&[u8]> = old.split_inclusive(|&b| b == b'\n').collect();
    let new_lines: Vec<&[u8]> = new.split_inclusive(|&b| b == b'\n').collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
    let mut out = Vec::new();
    push_styled(&mut out, colour, "1", format!("--- a/{path}\n+++ b/{path}\n").as_bytes());
    for hunk in group_diff_ops(ops, 3) {
        push_styled(&mut out, colour, "36", hunk_header(&hunk).as_bytes());
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
pub fn created(path: &str, new: &[u8], colour: bool) -> Vec<u8> {
    let lines: Vec<&[u8]> = new.split_inclusive(|&b| b == b'\n').collect();
    let mut out = Vec::new();
    push_styled(&mut out, colour, "1", format!("--- /dev/null\n+++ b/{path}\n").as_bytes());
    push_styled(&mut out, colour, "36", format!("@@ -0,0 +1,{} @@\n", lines.len()).as_bytes());
    push_lines(&mut out, b'+', &lines, colour, "32");
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
        let d = String::from_utf8(unified("x.py", old, new, false)).unwrap();
        assert_eq!(d, "--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\n\\ No newline at end of file\n");
    }

    #[test]
    fn identical_inputs_give_only_headers() {
        let d = unified("x.py", b"a\n", b"a\n", false);
        assert_eq!(d, b"--- a/x.py\n+++ b/x.py\n");
    }
}
