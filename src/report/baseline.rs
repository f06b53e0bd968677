//! `--baseline FILE`: the findings of an earlier run (`check --format json`,
//! or Bandit's own `-f json`) that no longer count, so that CI can fail on
//! new findings while old ones are worked off. A finding is matched by its
//! rule (Bandit code where it has one), its file and the text of its line,
//! not by its line number, so that code added above it does not make it new;
//! each baseline entry hides one finding (two identical lines need two).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::{Diagnostic, FileResult};

/// Rule, file and line text, each normalised.
type Key = (String, String, String);

#[derive(Debug, Default, Clone)]
pub(crate) struct Baseline {
    counts: HashMap<Key, usize>,
}

impl Baseline {
    pub(crate) fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        let mut baseline = Baseline::default();
        let keys = if let Some(findings) = value.get("findings").and_then(Value::as_array) {
            findings.iter().map(own_key).collect::<Option<Vec<_>>>()
        } else if let Some(results) = value.get("results").and_then(Value::as_array) {
            results.iter().map(bandit_key).collect::<Option<Vec<_>>>()
        } else {
            bail!(
                "{}: not a baseline: expected `remediate check --format json` or `bandit -f json` output",
                path.display()
            );
        };
        let Some(keys) = keys else {
            bail!("{}: a finding lacks its rule, path or code; write the baseline with this version's `check --format json`", path.display());
        };
        for key in keys {
            *baseline.counts.entry(key).or_default() += 1;
        }
        Ok(baseline)
    }

    /// Drops the findings the baseline holds, each entry once.
    pub(crate) fn hide_known(&mut self, results: &mut [FileResult]) {
        for r in results {
            let path = normal_path(&crate::pipeline::walk::display_path(&r.path));
            r.outcome.diagnostics.retain(|d| {
                let key = (rule_key(d), path.clone(), normal_code(&d.line_text));
                match self.counts.get_mut(&key) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                }
            });
        }
    }
}

fn rule_key(d: &Diagnostic) -> String {
    d.rule.bandit.unwrap_or(d.rule.id).to_ascii_uppercase()
}

fn own_key(finding: &Value) -> Option<Key> {
    let rule = finding.get("bandit").and_then(Value::as_str).or_else(|| finding.get("rule").and_then(Value::as_str))?;
    let path = finding.get("path")?.as_str()?;
    let code = finding.get("code")?.as_str()?;
    Some((rule.to_ascii_uppercase(), normal_path(path), normal_code(code)))
}

/// Bandit's `code` holds numbered lines around the finding (`2 m = f()`);
/// the one numbered `line_number` is the finding's.
fn bandit_key(result: &Value) -> Option<Key> {
    let rule = result.get("test_id")?.as_str()?;
    let path = result.get("filename")?.as_str()?;
    let line = result.get("line_number")?.as_u64()?.to_string();
    let code = result.get("code")?.as_str()?;
    let text = code.lines().find_map(|l| l.strip_prefix(line.as_str()).and_then(|rest| rest.strip_prefix(' ')))?;
    Some((rule.to_ascii_uppercase(), normal_path(path), normal_code(text)))
}

fn normal_path(path: &str) -> String {
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path.to_owned()
}

fn normal_code(code: &str) -> String {
    code.trim().to_owned()
}
