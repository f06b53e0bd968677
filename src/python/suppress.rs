//! Suppression comments: Bandit's `# nosec`, ruff's `# noqa`, and our own
//! `# remediate: ignore[...]`. A directive on any line a finding spans
//! suppresses it; only real comments count, never text inside strings.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::Ranged;

use crate::python::lines::LineIndex;
use crate::rules::RuleMeta;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Directive {
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
    fn suppresses(&self, rule: &RuleMeta) -> bool {
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
pub struct Suppressions {
    directives: Vec<(usize, Directive)>,
}

impl Suppressions {
    /// The directives in the file's comments, as CPython's tokenizer finds
    /// them (never text inside strings).
    pub fn collect(tokens: &Tokens, src: &str, lines: &LineIndex<'_>) -> Suppressions {
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
    pub fn covers(&self, rule: &RuleMeta, first: usize, last: usize) -> bool {
        self.directives.iter().any(|(row, d)| (first..=last).contains(row) && d.suppresses(rule))
    }
}

/// The directives in one comment's text (a comment may hold several:
/// `# noqa: E722  # nosec B110`).
fn parse_comment(comment: &str) -> Vec<Directive> {
    comment.split('#').filter_map(|part| parse_directive(part.trim())).collect()
}

fn parse_directive(part: &str) -> Option<Directive> {
    // Bandit reads `nosec` case-sensitively, and a list naming no test id
    // or test name (`# nosec because trusted`) as a bare `nosec`.
    if let Some(rest) = part.strip_prefix("nosec") {
        let tests: Vec<String> =
            codes(rest.trim_start_matches(':')).into_iter().filter(|c| is_bandit_id(c) || c.contains('_')).collect();
        return Some(if tests.is_empty() { Directive::NosecAll } else { Directive::Nosec(tests) });
    }
    let lower = part.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("noqa") {
        return match rest.trim_start().strip_prefix(':') {
            Some(list) if !codes(list).is_empty() => Some(Directive::Noqa(codes(list))),
            _ => Some(Directive::NoqaAll),
        };
    }
    let rest = lower.strip_prefix("remediate:")?.trim_start().strip_prefix("ignore")?;
    match rest.trim_start().strip_prefix('[') {
        Some(list) => Some(Directive::Ignore(codes(list.split(']').next().unwrap_or_default()))),
        None => Some(Directive::IgnoreAll),
    }
}

fn is_bandit_id(word: &str) -> bool {
    word.len() == 4 && word.starts_with('B') && word[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Codes or names separated by commas and/or blanks; stops at the first word
/// that is not code-like, so `# nosec - reviewed by X` reads as bare `nosec`.
fn codes(list: &str) -> Vec<String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .take_while(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| w.chars().any(|c| c.is_ascii_alphanumeric()))
        .map(str::to_owned)
        .collect()
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
}
