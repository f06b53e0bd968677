//! Physical lines of a cell's text, as Python and Jupyter see them: a line
//! ends at `\n`, `\r\n` or a lone `\r`.

/// One line: `start..end` is its text, `end..next` its line ending (empty on
/// a last line that has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) next: usize,
}

/// The lines of `text`. A text ending in a line ending has no empty last
/// line here; an empty text has no lines.
pub(super) fn split(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        lines.push(Line { start, end, next });
        start = next;
    }
    lines
}

/// `text` cut after each line ending, the ending kept: the items of a
/// notebook's list-shaped `source`.
pub(super) fn split_keeping_endings(text: &str) -> Vec<&str> {
    split(text).into_iter().map(|line| &text[line.start..line.next]).collect()
}

/// The 1-based line and character column of byte `offset` in `text`.
/// An offset inside a character counts that character as before it.
pub(super) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut line = 1;
    let mut line_start = 0;
    for found in split(text) {
        // A line without an ending is the last one and holds the text's end.
        if offset < found.next || found.end == found.next {
            break;
        }
        line += 1;
        line_start = found.next;
    }
    let column = text.as_bytes()[line_start..offset].iter().filter(|&&b| !is_continuation_byte(b)).count();
    (line, column + 1)
}

fn is_continuation_byte(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_every_kind_of_line_ending() {
        assert_eq!(split_keeping_endings("a\nb\r\nc\rd"), ["a\n", "b\r\n", "c\r", "d"]);
        assert_eq!(split_keeping_endings("a\n"), ["a\n"]);
        assert!(split_keeping_endings("").is_empty());
        assert_eq!(split_keeping_endings("\n\n"), ["\n", "\n"]);
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\ncé x\r\nz";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 2), (1, 3));
        assert_eq!(line_and_column(text, 3), (2, 1));
        // `x` follows a two-byte `é`: byte 7, character column 4.
        assert_eq!(line_and_column(text, 7), (2, 4));
        assert_eq!(line_and_column(text, 10), (3, 1));
        // The end of a text ending in a newline is the start of a new line.
        assert_eq!(line_and_column("a\n", 2), (2, 1));
        assert_eq!(line_and_column("", 0), (1, 1));
    }
}
