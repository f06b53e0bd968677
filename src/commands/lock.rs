//! `remediate lock`: pin the downloaded repositories to commit SHAs in the revisions file.

use anyhow::Result;

use super::models::{revisions_path, scan_models};
use super::write_stdout;
use crate::cli;
use crate::output::{self, stream, Paint};
use crate::pins::{inventory as models, lock, pin_file};
use crate::pipeline::write::write_new_contents;

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
