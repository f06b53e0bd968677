//! `remediate diff`: show the fixes as a unified diff, for review or `git apply`.

use anyhow::Result;

use super::fix::describe_fixes;
use super::{execute, exit_code, prepare, pretty_json, report_file_problems, stale_pin_module, write_stdout};
use crate::cli::{DiffFormat, RuleOptions};
use crate::output::{self, stream};
use crate::pipeline::engine::Mode;
use crate::pipeline::walk;
use crate::report::summary::Summary;

pub(crate) fn run(options: &RuleOptions, exit_code_on_change: bool, format: DiffFormat) -> Result<u8> {
    let p = prepare(options)?;
    let results = execute(&p, Mode::Fix { unsafe_fixes: p.unsafe_fixes }, false);
    let summary = Summary::of(&results, &p.walk_errors, p.unsafe_fixes);
    match format {
        DiffFormat::Text => {
            let colour = output::stdout_colour();
            let mut rendered = Vec::new();
            for r in results.iter().filter(|r| r.changed()) {
                let (Some(old), Some(new)) = (&r.original, &r.outcome.fixed_bytes) else { continue };
                rendered.extend(output::diff::of_file(&r.path, old, new, colour));
            }
            let stale = if p.stdin.is_some() { None } else { stale_pin_module(&p.config, &p.root)? };
            if let Some(module) = stale {
                let shown = walk::display_path_bytes(&module.path);
                rendered.extend(match module.current()? {
                    Some(old) => output::diff::unified(&shown, old.as_bytes(), module.text.as_bytes(), colour),
                    None => output::diff::created(&shown, module.text.as_bytes(), colour),
                });
            }
            write_stdout(&rendered)?;
        }
        DiffFormat::Json => {
            write_stdout(pretty_json(&output::json::diff_report(&results, &p.walk_errors, &summary))?.as_bytes())?
        }
    }
    let io_failed = report_file_problems(&p, &results);
    if !options.quiet {
        stream::note(describe_fixes(&summary, "would fix", p.unsafe_fixes));
    }
    let changed = exit_code_on_change && summary.files_changed > 0;
    Ok(exit_code(io_failed, changed, options.exit_zero))
}
