//! Suppression comments: Bandit's `# nosec`, ruff's `# noqa`, and our own
//! `# remediate: ignore[...]`. A directive on any line a finding spans
//! suppresses it; only real comments count, never text inside strings.
//! `# nosec` is read as Bandit reads it: only the first one of a comment,
//! and of names joined by commas without a blank (`B113,B614`) only the
//! last, so that what `check` calls suppressed Bandit does too.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::Ranged;

use crate::python::lines::LineIndex;
use crate::rules::RuleMeta;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Directive {
    /// `# nosec` alone: every Bandit test.
    NosecAll,
    /// `# nosec B614, B113` or Bandit test names (`pytorch_load`).
    Nosec(Vec<String>),
    /// `# noqa` alone: every rule that has a ruff code.
    NoqaAll,
    /// `# noqa: S113, E722`
    Noqa(Vec<String>),
    /// `# remediate: ignore`
    IgnoreAll,
    /// `# remediate: ignore[torch-load, http-timeout]`
    Ignore(Vec<String>),
}

impl Directive {
    /// Does this directive silence `rule` (for the tool that reads it)?
    pub(crate) fn suppresses(&self, rule: &RuleMeta) -> bool {
        let has = |codes: &[String], code: Option<&str>| {
            code.is_some_and(|c| codes.iter().any(|x| x.eq_ignore_ascii_case(c)))
        };
        match self {
            Directive::NosecAll => rule.bandit.is_some(),
            Directive::Nosec(tests) => {
                tests.iter().any(|t| Some(t.as_str()) == rule.bandit || Some(t.as_str()) == rule.bandit_name)
            }
            Directive::NoqaAll => !rule.ruff.is_empty(),
            Directive::Noqa(codes) => rule.ruff.iter().any(|r| has(codes, Some(r))),
            Directive::IgnoreAll => true,
            Directive::Ignore(names) => names.iter().any(|name| rule.is_named_by(name)),
        }
    }
}

/// Every suppression directive in one file, by 0-based line.
#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    directives: Vec<(usize, Directive)>,
}

impl Suppressions {
    /// The directives in the file's comments, as CPython's tokenizer finds
    /// them (never text inside strings).
    pub(crate) fn collect(tokens: &Tokens, src: &str, lines: &LineIndex<'_>) -> Suppressions {
        let mut directives = Vec::new();
        for token in tokens.iter().filter(|t| t.kind() == TokenKind::Comment) {
            let comment = &src[token.range()];
            if !(comment.contains("nosec")
                || comment.contains("remediate")
                || comment.to_ascii_lowercase().contains("noqa"))
            {
                continue;
            }
            let row = lines.row(token.start().to_usize());
            directives.extend(parse_comment(comment).into_iter().map(|d| (row, d)));
        }
        Suppressions { directives }
    }

    /// Does a directive on any of lines `first..=last` (0-based) cover `rule`?
    pub(crate) fn covers(&self, rule: &RuleMeta, first: usize, last: usize) -> bool {
        self.directives.iter().any(|(row, d)| (first..=last).contains(row) && d.suppresses(rule))
    }
}

/// A directive as written in a comment, and where a code added to its
/// list would go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocatedDirective {
    pub(crate) directive: Directive,
    /// The byte offset in the comment just past the last code of its list,
    /// where `, CODE` extends it; `None` when it has no list to extend.
    pub(crate) list_end: Option<usize>,
}

/// The directives in one comment's text (a comment may hold several:
/// `# noqa: E722  # nosec B110`).
fn parse_comment(comment: &str) -> Vec<Directive> {
    locate_directives(comment).into_iter().map(|d| d.directive).collect()
}

/// The directives in one comment's text, each with the place its list
/// ends. Only the first `# nosec` is kept: Bandit reads no other.
pub(crate) fn locate_directives(comment: &str) -> Vec<LocatedDirective> {
    let mut found: Vec<LocatedDirective> = Vec::new();
    let mut start = 0;
    for part in comment.split('#') {
        let lead = part.len() - part.trim_start().len();
        let parsed = parse_directive(part.trim(), start + lead);
        start += part.len() + 1;
        let Some(located) = parsed else { continue };
        let nosec = |d: &Directive| matches!(d, Directive::Nosec(_) | Directive::NosecAll);
        if nosec(&located.directive) && found.iter().any(|f| nosec(&f.directive)) {
            continue;
        }
        found.push(located);
    }
    found
}

/// One directive from `part` (a comment's text between two `#`, trimmed),
/// which starts at byte `at` of its comment.
fn parse_directive(part: &str, at: usize) -> Option<LocatedDirective> {
    // Bandit reads `nosec` case-sensitively, and a list naming no test id
    // or test name (`# nosec because trusted`) as a bare `nosec`.
    if let Some(rest) = part.strip_prefix("nosec") {
        let tests: Vec<(String, usize)> = bandit_tests(rest, at + "nosec".len())
            .into_iter()
            .filter(|(c, _)| is_bandit_id(c) || c.contains('_'))
            .collect();
        let list_end = tests.last().map(|(_, end)| *end);
        let directive = match tests.is_empty() {
            true => Directive::NosecAll,
            false => Directive::Nosec(tests.into_iter().map(|(c, _)| c).collect()),
        };
        return Some(LocatedDirective { directive, list_end });
    }
    let lower = part.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("noqa") {
        let after = rest.trim_start();
        let list = after.strip_prefix(':').map(|l| (l, at + part.len() - l.len()));
        return Some(match list.map(|(l, from)| codes(l, from)).filter(|c| !c.is_empty()) {
            Some(listed) => listed_directive(listed, Directive::Noqa),
            None => LocatedDirective { directive: Directive::NoqaAll, list_end: None },
        });
    }
    let rest = lower.strip_prefix("remediate:")?.trim_start().strip_prefix("ignore")?;
    match rest.trim_start().strip_prefix('[') {
        Some(list) => {
            let names = codes(list.split(']').next().unwrap_or_default(), at + part.len() - list.len());
            Some(listed_directive(names, Directive::Ignore))
        }
        None => Some(LocatedDirective { directive: Directive::IgnoreAll, list_end: None }),
    }
}

/// A directive with a list of `codes` (with where each ends).
fn listed_directive(codes: Vec<(String, usize)>, make: fn(Vec<String>) -> Directive) -> LocatedDirective {
    let list_end = codes.last().map(|(_, end)| *end);
    LocatedDirective { directive: make(codes.into_iter().map(|(c, _)| c).collect()), list_end }
}

/// The test names Bandit reads after `nosec` (up to the next `#`), each
/// with the offset it ends at (`list` starts at byte `at`). Bandit's
/// pattern `(?:(B\d+|[a-z\d_]+),?)+` matches runs of names joined by single
/// commas and keeps only the last name of each run.
fn bandit_tests(list: &str, at: usize) -> Vec<(String, usize)> {
    let bytes = list.as_bytes();
    let word = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    let mut tests = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !word(i) {
            i += 1;
            continue;
        }
        let mut last = i..i;
        while word(i) {
            let start = i;
            while word(i) {
                i += 1;
            }
            last = start..i;
            if bytes.get(i) == Some(&b',') && word(i + 1) {
                i += 1;
            }
        }
        tests.push((list[last.clone()].to_owned(), at + last.end));
    }
    tests
}

fn is_bandit_id(word: &str) -> bool {
    word.len() == 4 && word.starts_with('B') && word[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Codes or names separated by commas and/or blanks, each with the offset
/// it ends at (`list` starts at byte `at`); stops at the first word that is
/// not code-like (`# noqa: E722 see below` lists one code).
fn codes(list: &str, at: usize) -> Vec<(String, usize)> {
    let separator = |c: char| c == ',' || c.is_whitespace();
    let mut found = Vec::new();
    let mut rest = list;
    while let Some(start) = rest.find(|c: char| !separator(c)) {
        let len = rest[start..].find(separator).unwrap_or(rest.len() - start);
        let word = &rest[start..start + len];
        if !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            break;
        }
        let end = at + (list.len() - rest.len()) + start + len;
        if word.chars().any(|c| c.is_ascii_alphanumeric()) {
            found.push((word.to_owned(), end));
        }
        rest = &rest[start + len..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_syntax() {
        assert_eq!(parse_comment("# nosec"), vec![Directive::NosecAll]);
        assert_eq!(parse_comment("# nosec B614"), vec![Directive::Nosec(vec!["B614".into()])]);
        assert_eq!(parse_comment("# nosec: B614, B113"), vec![Directive::Nosec(vec!["B614".into(), "B113".into()])]);
        assert_eq!(parse_comment("# nosec pytorch_load"), vec![Directive::Nosec(vec!["pytorch_load".into()])]);
        // As in Bandit: no test id named means every test; `NOSEC` is not a directive.
        assert_eq!(parse_comment("# nosec because trusted"), vec![Directive::NosecAll]);
        assert_eq!(parse_comment("# nosec b614"), vec![Directive::NosecAll]);
        assert!(parse_comment("# NOSEC").is_empty());
        assert_eq!(parse_comment("#noqa"), vec![Directive::NoqaAll]);
        assert_eq!(parse_comment("# noqa: E722,S110"), vec![Directive::Noqa(vec!["e722".into(), "s110".into()])]);
        assert_eq!(parse_comment("# remediate: ignore"), vec![Directive::IgnoreAll]);
        assert_eq!(
            parse_comment("# remediate: ignore[torch-load, hf-revision]"),
            vec![Directive::Ignore(vec!["torch-load".into(), "hf-revision".into()])]
        );
        assert_eq!(
            parse_comment("# type: ignore  # noqa: E722  # nosec"),
            vec![Directive::Noqa(vec!["e722".into()]), Directive::NosecAll]
        );
        assert!(parse_comment("# not a directive: nosec").is_empty());
    }

    /// Bandit reads only the first `# nosec` of a comment, and of names
    /// joined by a comma without a blank only the last (its pattern repeats
    /// one capture group): checked against Bandit 1.9 by the suppress tests.
    #[test]
    fn nosec_is_read_as_bandit_reads_it() {
        assert_eq!(parse_comment("# nosec B113,B614"), vec![Directive::Nosec(vec!["B614".into()])]);
        assert_eq!(parse_comment("# nosec B113, B614"), vec![Directive::Nosec(vec!["B113".into(), "B614".into()])]);
        assert_eq!(parse_comment("# nosec B113  # nosec B614"), vec![Directive::Nosec(vec!["B113".into()])]);
        assert_eq!(parse_comment("# nosec: reviewed, see B113"), vec![Directive::Nosec(vec!["B113".into()])]);
    }

    #[test]
    fn lists_end_where_a_code_can_be_added() {
        let comment = "# type: ignore  # nosec B113 why  # noqa: E501  # remediate: ignore[torch-load]";
        let ends: Vec<&str> = locate_directives(comment).iter().map(|d| &comment[..d.list_end.unwrap()]).collect();
        assert!(ends[0].ends_with("nosec B113"), "{ends:?}");
        assert!(ends[1].ends_with("noqa: E501"), "{ends:?}");
        assert!(ends[2].ends_with("ignore[torch-load"), "{ends:?}");
        assert_eq!(locate_directives("# nosec")[0].list_end, None);
    }
}
