//! Where lines start, as CPython counts them: `\n`, `\r\n` and a lone `\r`
//! each end a line. Positions in reports, points for tree-sitter and the
//! line of a suppression comment all come from here, so they agree with
//! what Python (and Bandit) call line N.

use std::cell::OnceCell;

use crate::report::Position;

/// Line starts of one text; locating an offset is a binary search.
pub(crate) struct LineIndex<'s> {
    src: &'s str,
    starts: Vec<usize>,
    /// Per line: is it ASCII, so that its columns are byte offsets? Found
    /// when a column far into a line is first asked for: counting
    /// characters from the line's start for each of many findings on one
    /// long line (generated code) would take time quadratic in its length.
    ascii: OnceCell<Vec<bool>>,
}

/// Columns this far into a line are counted through [`LineIndex::ascii`].
const LONG_PREFIX: usize = 256;

impl<'s> LineIndex<'s> {
    pub(crate) fn new(src: &'s str) -> LineIndex<'s> {
        let bytes = src.as_bytes();
        let mut starts = vec![0];
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let lone_cr = bytes[at] == b'\r' && bytes.get(at + 1) != Some(&b'\n');
            if bytes[at] == b'\n' || lone_cr {
                starts.push(at + 1);
            }
        }
        LineIndex { src, starts, ascii: OnceCell::new() }
    }

    pub(crate) fn text(&self) -> &'s str {
        self.src
    }

    /// The 0-based line holding `offset`.
    pub(crate) fn row(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// The offset where 0-based line `row` starts (the text's end past the last line).
    pub(crate) fn line_start(&self, row: usize) -> usize {
        self.starts.get(row).copied().unwrap_or(self.src.len())
    }

    /// The 1-based line and character column of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> Position {
        let row = self.row(offset);
        let start = self.starts[row];
        let column = if offset - start > LONG_PREFIX && self.ascii_lines()[row] {
            offset - start + 1
        } else {
            self.src[start..offset].chars().count() + 1
        };
        Position::new(row + 1, column)
    }

    fn ascii_lines(&self) -> &[bool] {
        self.ascii.get_or_init(|| {
            let end = |row: usize| self.starts.get(row + 1).copied().unwrap_or(self.src.len());
            (0..self.starts.len()).map(|row| self.src.as_bytes()[self.starts[row]..end(row)].is_ascii()).collect()
        })
    }

    /// The 0-based line and byte column, as tree-sitter counts points.
    pub(crate) fn point(&self, offset: usize) -> (usize, usize) {
        let row = self.row(offset);
        (row, offset - self.starts[row])
    }

    /// The offset of the start of the line after the one holding `offset`
    /// (the text's end on the last line).
    pub(crate) fn next_line_start(&self, offset: usize) -> usize {
        self.line_start(self.row(offset) + 1)
    }
}

/// The 1-based line and character column of a byte offset.
pub(crate) fn position(src: &str, offset: usize) -> Position {
    LineIndex::new(src).position(offset)
}

/// Is `pos` the first non-blank character on its line?
pub(crate) fn starts_its_line(src: &str, pos: usize) -> bool {
    // Backwards from `pos`, stopping at the first character that decides:
    // constant time for a call in the middle of a long line.
    for c in src[..pos].chars().rev() {
        match c {
            '\n' | '\r' => return true,
            ' ' | '\t' | '\x0c' => {}
            _ => return false,
        }
    }
    true
}

/// The offset where the line holding `pos` starts.
pub(crate) fn line_start(src: &str, pos: usize) -> usize {
    src[..pos].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The offset of the line's end, before its `\n`, `\r\n` or lone `\r`.
pub(crate) fn line_end(src: &str, pos: usize) -> usize {
    src[pos..].find(['\n', '\r']).map_or(src.len(), |i| pos + i)
}

/// The indentation of the line holding `pos`, as a new line should repeat
/// it: its leading spaces and tabs. A form feed there only resets CPython's
/// column count, so it is left out.
pub(crate) fn line_indent(src: &str, pos: usize) -> String {
    let start = line_start(src, pos);
    let len = src[start..].find(|c: char| !matches!(c, ' ' | '\t' | '\x0c')).unwrap_or(src.len() - start);
    let blanks = &src[start..start + len];
    let after_feed = blanks.rfind('\x0c').map_or(0, |i| i + 1);
    blanks[after_feed..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_python_line_ending_counts() {
        let src = "a\nb\r\nc\rd";
        let lines = LineIndex::new(src);
        assert_eq!(lines.position(src.find('b').unwrap()), Position::new(2, 1));
        assert_eq!(lines.position(src.find('c').unwrap()), Position::new(3, 1));
        assert_eq!(lines.position(src.find('d').unwrap()), Position::new(4, 1));
        assert_eq!(lines.point(src.find('d').unwrap()), (3, 0));
        assert_eq!(lines.next_line_start(0), 2);
        assert_eq!(lines.next_line_start(src.len()), src.len());
    }

    #[test]
    fn line_geometry_follows_cpython() {
        let src = "a = 1\r\tb\rc\n\x0c    continue\n";
        assert_eq!(line_start(src, src.find('b').unwrap()), 6);
        assert_eq!(line_end(src, 0), 5);
        assert_eq!(line_end(src, 6), 8);
        assert_eq!(line_indent(src, src.find("continue").unwrap()), "    ");
        assert!(starts_its_line(src, src.find("continue").unwrap()));
    }

    #[test]
    fn columns_count_characters() {
        let src = "é = torch.load(p)\n";
        assert_eq!(position(src, src.find("torch").unwrap()), Position::new(1, 5));
        let long = format!("x = 1\n{}é{}\n{}\n", "a".repeat(300), "b".repeat(300), "c".repeat(600));
        let lines = LineIndex::new(&long);
        assert_eq!(lines.position(long.find('b').unwrap() + 10), Position::new(2, 312));
        assert_eq!(lines.position(long.find('c').unwrap() + 500), Position::new(3, 501));
    }
}
