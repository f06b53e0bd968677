//! `remediate config`: the settings in effect for the paths given, and
//! where each value came from (the settings file, the command line,
//! `requires-python`, or the default).

use anyhow::Result;

use super::settings::Effective;
use super::{as_read, write_stdout};
use crate::cli::RuleOptions;

pub(crate) fn run(options: &RuleOptions) -> Result<u8> {
    let (options, _) = as_read(options)?;
    let settings = Effective::resolve(&options)?;
    // Rule names and patterns are checked as a scan would check them.
    let (select, ignore) = settings.rule_names();
    crate::rules::selected(&select, &ignore)?;
    settings.exclusions()?;
    settings.per_file_ignores()?;
    write_stdout(settings.render().as_bytes())?;
    Ok(0)
}
