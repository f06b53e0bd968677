//! `check --statistics`: how many findings each rule has, as ruff prints
//! them: count, code, `[*]` when `remediate fix` with the run's options
//! would fix them all, and the rule's id. Most frequent first.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::report::FileResult;

/// One rule's count.
pub(crate) struct RuleCount {
    pub(crate) code: &'static str,
    pub(crate) id: &'static str,
    pub(crate) count: usize,
    pub(crate) fixable: usize,
}

pub(crate) fn counts(results: &[FileResult], unsafe_fixes: bool) -> Vec<RuleCount> {
    let mut by_rule: BTreeMap<&'static str, RuleCount> = BTreeMap::new();
    for d in results.iter().flat_map(|r| &r.outcome.diagnostics) {
        let code = d.rule.bandit.unwrap_or(d.rule.id);
        let entry = by_rule.entry(d.rule.id).or_insert(RuleCount { code, id: d.rule.id, count: 0, fixable: 0 });
        entry.count += 1;
        entry.fixable += usize::from(d.fixable_with(unsafe_fixes));
    }
    let mut counts: Vec<RuleCount> = by_rule.into_values().collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)).then(a.id.cmp(b.id)));
    counts
}

pub(crate) fn text(counts: &[RuleCount]) -> String {
    let width = counts.iter().map(|c| c.count.to_string().len()).max().unwrap_or(1);
    let code_width = counts.iter().map(|c| c.code.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in counts {
        let mark = if c.fixable == c.count { "[*] " } else { "    " };
        out += &format!("{:>width$}\t{:<code_width$}\t{mark}{}\n", c.count, c.code, c.id);
    }
    out
}

pub(crate) fn json(counts: &[RuleCount]) -> Value {
    Value::Array(
        counts
            .iter()
            .map(|c| json!({"code": c.code, "name": c.id, "count": c.count, "fixable": c.fixable == c.count, "fixable_count": c.fixable}))
            .collect(),
    )
}
