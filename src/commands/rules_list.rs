//! `remediate rules`: the rule table, or one rule's documentation.

use anyhow::Result;

use super::{pretty_json, write_stdout};
use crate::cli::RulesFormat;
use crate::output;
use crate::rules;

pub(crate) fn run(which: Option<&str>, format: RulesFormat) -> Result<u8> {
    let all = rules::all();
    let chosen: Vec<_> = match which {
        Some(name) => {
            let found: Vec<_> = all.into_iter().filter(|r| r.meta().is_named_by(name)).collect();
            anyhow::ensure!(!found.is_empty(), "unknown rule `{name}` (see `remediate rules`)");
            found
        }
        None => all,
    };
    let rendered = match format {
        RulesFormat::Json => {
            let list: Vec<_> = chosen.iter().map(|r| output::json::rule(r.meta())).collect();
            pretty_json(&serde_json::Value::Array(list))?
        }
        RulesFormat::Text if which.is_some() => {
            chosen.iter().map(|r| format!("# {}\n\n{}\n", r.meta().id, r.meta().documentation())).collect()
        }
        RulesFormat::Text => output::text::rule_table(&chosen),
    };
    write_stdout(rendered.as_bytes())?;
    Ok(0)
}
