//! Changes as plain data: a byte range of the decoded text and its
//! replacement. Rules return edits; only this module turns them into text.

use std::ops::Range;

/// Replace `range` of the source text with `text` (an insertion when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub(crate) text: String,
}

impl Edit {
    pub(crate) fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit { range: at..at, text: text.into() }
    }

    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit { range, text: text.into() }
    }

    /// Two edits conflict when their ranges share bytes, or when they start
    /// at the same offset (the order of two insertions there is ambiguous).
    fn conflicts(&self, other: &Edit) -> bool {
        self.range.start == other.range.start
            || (self.range.start < other.range.end && other.range.start < self.range.end)
    }
}

/// One fix's edits with every insertion that starts where another of its
/// edits starts folded into that edit, in order: an import added at the top
/// of a file whose first statement the same fix rewrites is one edit, not
/// two that look ambiguous.
fn joined(edits: Vec<Edit>) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        let same_start =
            out.iter_mut().find(|o| o.range.start == edit.range.start && (o.range.is_empty() || edit.range.is_empty()));
        match same_start {
            Some(o) if o.range.is_empty() => {
                o.range = edit.range;
                o.text.push_str(&edit.text);
            }
            Some(o) => o.text.insert_str(0, &edit.text),
            None => out.push(edit),
        }
    }
    out
}

/// How much review a fix needs before it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FixSafety {
    /// Keeps behaviour for code that works today; applied by default.
    Safe,
    /// Changes behaviour (for example which exceptions propagate); applied
    /// only with `--unsafe-fixes`.
    Unsafe,
}

impl FixSafety {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FixSafety::Safe => "safe",
            FixSafety::Unsafe => "unsafe",
        }
    }
}

/// All the edits one finding needs; applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub(crate) safety: FixSafety,
    pub edits: Vec<Edit>,
    /// What the fix does, for reports: "pin `gpt2` to revision `abc1234`".
    pub(crate) title: Option<String>,
}

impl Fix {
    pub fn safe(edits: Vec<Edit>) -> Fix {
        Fix { safety: FixSafety::Safe, edits: joined(edits), title: None }
    }

    pub(crate) fn unsafe_(edits: Vec<Edit>) -> Fix {
        Fix { safety: FixSafety::Unsafe, edits: joined(edits), title: None }
    }

    pub(crate) fn titled(mut self, title: impl Into<String>) -> Fix {
        self.title = Some(title.into());
        self
    }

    fn conflicts(&self, accepted: &[Edit]) -> bool {
        self.edits.iter().any(|e| accepted.iter().any(|a| a.conflicts(e)))
            || self.edits.iter().enumerate().any(|(i, e)| self.edits[i + 1..].iter().any(|o| o.conflicts(e)))
    }
}

/// Picks the fixes that can be applied together: in order, each fix whose
/// edits conflict with none already chosen. Returns the indexes chosen; the
/// rest wait for the next pass over the rewritten text.
pub fn choose_compatible<'a>(fixes: impl IntoIterator<Item = &'a Fix>) -> Vec<usize> {
    let mut accepted: Vec<Edit> = Vec::new();
    let mut chosen = Vec::new();
    for (index, fix) in fixes.into_iter().enumerate() {
        if !fix.conflicts(&accepted) {
            accepted.extend(fix.edits.iter().cloned());
            chosen.push(index);
        }
    }
    chosen
}

/// Applies non-conflicting edits to `text`. Callers pass edits from
/// [`choose_compatible`]; a conflict here is a bug and yields `None`.
pub fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    apply_tracked(text, edits).map(|(out, _)| out)
}

/// Like [`apply`], also returning where each edit's new text landed in the
/// result, so that a verifier can judge exactly the code a fix wrote.
pub(crate) fn apply_tracked(text: &str, edits: &[Edit]) -> Option<(String, Vec<Range<usize>>)> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut landed = Vec::with_capacity(sorted.len());
    let mut cursor = 0;
    for (i, edit) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].conflicts(edit) {
            return None;
        }
        if edit.range.start < cursor || edit.range.end > text.len() {
            return None;
        }
        out.push_str(text.get(cursor..edit.range.start)?);
        landed.push(out.len()..out.len() + edit.text.len());
        out.push_str(&edit.text);
        cursor = edit.range.end;
    }
    out.push_str(text.get(cursor..)?);
    Some((out, landed))
}

/// In a file whose lines end in different ways, each edit's new lines end
/// like the line it edits, so no existing line changes its ending.
pub(crate) fn match_line_endings(text: &str, edits: &mut [Edit]) {
    let has_crlf = text.contains("\r\n");
    let has_lf = text.as_bytes().windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r') || text.starts_with('\n');
    if !(has_crlf && has_lf) {
        return;
    }
    for edit in edits.iter_mut().filter(|e| e.text.contains('\n')) {
        let local = local_newline(text, edit.range.start);
        let plain = edit.text.replace("\r\n", "\n");
        edit.text = if local == "\n" { plain } else { plain.replace('\n', local) };
    }
}

/// How the line holding `offset` ends.
fn local_newline(text: &str, offset: usize) -> &'static str {
    match text[offset..].find('\n') {
        Some(i) if i + offset > 0 && text.as_bytes()[i + offset - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod joined_tests {
    use super::*;

    #[test]
    fn an_insertion_where_a_replacement_starts_joins_it() {
        let fix = Fix::safe(vec![Edit::replace(0..3, "new"), Edit::insert(0, "import x\n")]);
        assert_eq!(fix.edits, [Edit::replace(0..3, "import x\nnew")]);
        let fix = Fix::safe(vec![Edit::insert(0, "a"), Edit::insert(0, "b"), Edit::replace(0..1, "c")]);
        assert_eq!(fix.edits, [Edit::replace(0..1, "abc")]);
        assert_eq!(apply("xyz", &fix.edits).as_deref(), Some("abcyz"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_order_regardless_of_input_order() {
        let edits = vec![Edit::insert(5, "!"), Edit::replace(0..1, "H")];
        assert_eq!(apply("hello world", &edits).unwrap(), "Hello! world");
    }

    #[test]
    fn refuses_overlaps_and_same_point_insertions() {
        assert!(apply("abcdef", &[Edit::replace(0..3, "x"), Edit::replace(2..4, "y")]).is_none());
        assert!(apply("abcdef", &[Edit::insert(2, "x"), Edit::insert(2, "y")]).is_none());
        assert!(apply("abcdef", &[Edit::replace(0..2, "x"), Edit::insert(2, "y")]).is_some());
    }

    #[test]
    fn new_lines_end_like_the_line_they_edit() {
        let text = "a = 1\nf(\r\n    x,\r\n)\r\n";
        let mut edits = vec![Edit::insert(text.find("x,").unwrap() + 2, "\n    k=1,")];
        match_line_endings(text, &mut edits);
        assert_eq!(edits[0].text, "\r\n    k=1,");
        let mut same = vec![Edit::insert(0, "\nimport x")];
        match_line_endings("a\nb\n", &mut same);
        assert_eq!(same[0].text, "\nimport x");
    }

    #[test]
    fn chooses_first_of_conflicting_fixes() {
        let fixes = [
            Fix::safe(vec![Edit::insert(3, "a")]),
            Fix::safe(vec![Edit::insert(3, "b")]),
            Fix::safe(vec![Edit::insert(4, "c")]),
        ];
        assert_eq!(choose_compatible(fixes.iter()), vec![0, 2]);
    }
}
