//! `remediate rules`: the rule table, or one rule's documentation.

use std::io::Write;

use anyhow::Result;

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
    let mut out = std::io::stdout().lock();
    match format {
        RulesFormat::Json => {
            let list: Vec<_> = chosen.iter().map(|r| output::json::rule(r.meta())).collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        RulesFormat::Text if which.is_some() => {
            for r in &chosen {
                writeln!(out, "# {}\n\n{}", r.meta().id, r.meta().documentation())?;
            }
        }
        RulesFormat::Text => out.write_all(output::text::rule_table(&chosen).as_bytes())?,
    }
    Ok(0)
}
