//! PEP 263 encoding declarations: `# -*- coding: latin-1 -*-` on line 1, or
//! on line 2 when line 1 is blank or a comment. Only those two lines count,
//! so a fix must never push a declaration further down.

/// PEP 263: a comment matching `coding[:=]\s*([-\w.]+)` on line 1 or 2
/// (line 2 only when line 1 is blank or a comment).
pub(crate) fn declared_encoding(body: &[u8]) -> Option<(usize, String)> {
    let mut lines = body.split(|&b| b == b'\n');
    for number in 1..=2 {
        let line = lines.next()?;
        let trimmed = trim_ascii_start(line);
        if !trimmed.starts_with(b"#") {
            if number == 1 && trimmed.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return None;
        }
        if let Some(name) = coding_name(trimmed) {
            return Some((number, name));
        }
    }
    None
}

fn trim_ascii_start(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\x0c')).unwrap_or(line.len());
    &line[start..]
}

fn coding_name(comment: &[u8]) -> Option<String> {
    let at = comment.windows(6).position(|w| w == b"coding")?;
    let rest = &comment[at + 6..];
    let rest = rest.strip_prefix(b":").or_else(|| rest.strip_prefix(b"="))?;
    let rest = trim_ascii_start(rest);
    let len = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
        .unwrap_or(rest.len());
    (len > 0).then(|| String::from_utf8_lossy(&rest[..len]).into_owned())
}

/// The offset just past the line that declares the encoding, if any: code
/// inserted at the top of the file must go after it.
pub(crate) fn declaration_end(text: &str) -> Option<usize> {
    let (line, _) = declared_encoding(text.as_bytes())?;
    let mut end = 0;
    for _ in 0..line {
        end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_on_the_first_two_lines_only() {
        assert_eq!(declared_encoding(b"# -*- coding: latin-1 -*-\n"), Some((1, "latin-1".into())));
        assert_eq!(declared_encoding(b"\n   # coding=cp1252\n"), Some((2, "cp1252".into())));
        assert_eq!(declared_encoding(b"x = 1\n# coding: latin-1\n"), None);
        assert_eq!(declaration_end("\n# coding: latin-1\nimport os\n"), Some(19));
        assert_eq!(declaration_end("import os\n"), None);
    }
}
