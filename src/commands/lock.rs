//! `remediate lock`: pin the downloaded repositories to commit SHAs in the revisions file.

use std::path::Path;

use anyhow::Result;

use super::models::{project_settings, revisions_path, scan_models};
use super::write_stdout;
use crate::cli;
use crate::config::ModelRevisions;
use crate::output::{self, stream, Paint};
use crate::pins::pin_module::Generated;
use crate::pins::{inventory as models, lock, pin_file};
use crate::pipeline::write::write_new_contents;

/// Writes the run-time pin module from the revisions file as it now is,
/// when it differs from what is on disk.
fn regenerate_pin_module(revisions: &Path, root: &Path, module: &str) -> Result<()> {
    let pins = ModelRevisions::load(revisions)?;
    let generated = Generated::new(root, module, &pins);
    if !generated.is_current() {
        write_new_contents(&generated.path, &generated.text)?;
        stream::note(format!("wrote the pin module {}", generated.path.display()));
    }
    Ok(())
}

pub(crate) fn run(args: &cli::LockArgs) -> Result<u8> {
    let path = revisions_path(&args.revisions, &args.paths)?;
    let mut file = pin_file::PinFile::open(&path)?;
    let (usages, io_failed) = scan_models(&args.paths, &path, args.jobs)?;
    let found = models::distinct_ids(&usages);
    let resolver = lock::Resolver::from_env(args.offline);
    let outcomes = lock::lock(&mut file, &found, &resolver);
    let text = file.render();
    if text != file.original() {
        write_new_contents(&path, &text)?;
    }
    // The module goes where `fix` writes it: under the project root.
    let settings = project_settings(&args.revisions, &args.paths)?;
    if let Some(module) = args.pin_module.as_ref().or(settings.pin_module.value.as_ref()) {
        regenerate_pin_module(&path, &settings.root, module)?;
    }
    let paint = Paint(output::stdout_colour());
    let mut out = String::new();
    let mut failed = 0;
    for (id, outcome) in &outcomes {
        match outcome {
            lock::Outcome::Pinned { from, to, source } => {
                out += &format!("{} {id}: {from} -> {to} (from {source})\n", paint.green("pinned"));
            }
            lock::Outcome::Failed { reference, reason } => {
                failed += 1;
                out += &format!("{} {id} ({reference}): {reason}\n", paint.red("not pinned"));
            }
        }
    }
    write_stdout(out.as_bytes())?;
    let pinned = outcomes.len() - failed;
    let offline = if resolver.is_offline() { " (offline)" } else { "" };
    stream::note(format!(
        "{pinned} id(s) pinned, {failed} not pinned, {} already pinned{offline}; {} {}",
        found.len() - outcomes.len(),
        if text != file.original() { "wrote" } else { "left unchanged" },
        path.display()
    ));
    Ok(if io_failed {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}
