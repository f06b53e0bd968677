//! `remediate models`: every Hugging Face repository the code downloads, with its pin.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::settings::Effective;
use super::{job_count, write_stdout};
use crate::cli::{self, RuleOptions};
use crate::config;
use crate::output::{self, stream, Paint};
use crate::pins::{inventory as models, pin_file};
use crate::pipeline::walk;
use crate::pipeline::write::write_new_contents;

/// The revisions file `models` and `lock` read: `--revisions`, else the
/// project's setting, else the default path under the project root.
pub(crate) fn revisions_path(explicit: &Option<PathBuf>, paths: &[PathBuf]) -> Result<PathBuf> {
    let settings = project_settings(explicit, paths)?;
    Ok(settings.revisions.value.unwrap_or_else(|| settings.root.join(config::DEFAULT_REVISIONS)))
}

pub(crate) fn project_settings(explicit: &Option<PathBuf>, paths: &[PathBuf]) -> Result<Effective> {
    Effective::resolve(&RuleOptions { paths: paths.to_vec(), revisions: explicit.clone(), ..RuleOptions::default() })
}

/// Scans the paths for Hub downloads, printing unreadable paths to stderr.
pub(crate) fn scan_models(
    paths: &[PathBuf],
    revisions: &Path,
    jobs: Option<usize>,
) -> Result<(Vec<models::Usage>, bool)> {
    let exclusions = project_settings(&None, paths)?.exclusions()?;
    let walked = walk::python_files(paths, &exclusions);
    let (usages, errors) = models::scan(&walked.files, paths, Some(revisions), job_count(jobs));
    let paint = Paint(output::stderr_colour());
    for e in walked.errors.iter().map(ToString::to_string).chain(errors.iter().cloned()) {
        stream::note(format!("{}: {e}", paint.red("error")));
    }
    Ok((usages, !walked.errors.is_empty() || !errors.is_empty()))
}

pub(crate) fn run(args: &cli::ModelsArgs) -> Result<u8> {
    let path = revisions_path(&args.revisions, &args.paths)?;
    if args.revisions.is_some() && !path.exists() && args.format != cli::ModelsFormat::Yaml {
        anyhow::bail!("{}: no such file", path.display());
    }
    let mut file = pin_file::PinFile::open(&path)?;
    let (usages, io_failed) = scan_models(&args.paths, &path, args.jobs)?;
    let ids = models::distinct_ids(&usages);
    let unpinned = ids.iter().filter(|f| file.revisions.exact(&f.id).is_none() && f.commit_in_code.is_none()).count();
    let text = match args.format {
        cli::ModelsFormat::Text => models::render_text(&usages, &file.revisions),
        cli::ModelsFormat::Json => serde_json::to_string_pretty(&models::render_json(&usages, &file.revisions))? + "\n",
        cli::ModelsFormat::Yaml => {
            models::add_missing(&mut file, &ids);
            file.render()
        }
    };
    match &args.output {
        Some(out) => write_new_contents(out, &text)?,
        None => write_stdout(text.as_bytes())?,
    }
    if !args.quiet {
        let dynamic = usages.iter().filter(|u| u.id.is_none()).count();
        stream::note(format!(
            "{} download(s) of {} repository id(s); {unpinned} id(s) without an entry in {}; {dynamic} download(s) whose id is known only at run time",
            usages.len(),
            ids.len(),
            path.display()
        ));
    }
    Ok(if io_failed { 2 } else { 0 })
}
