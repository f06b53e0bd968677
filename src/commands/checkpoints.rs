//! `remediate checkpoints`: audits checkpoint files for
//! `torch.load(f, weights_only=True)` without loading them (see
//! [`crate::checkpoints`]). Exit 1 when any file needs more than
//! weights-only loading: an allowlist, or it is dangerous, unsupported or
//! unreadable.

use anyhow::Result;

use super::write_stdout;
use crate::checkpoints::{self, render};
use crate::cli;
use crate::output::stream;

pub(crate) fn run(args: &cli::CheckpointsArgs) -> Result<u8> {
    let audits = checkpoints::audit_paths(&args.paths);
    let out = match args.format {
        cli::CheckpointsFormat::Text => render::text(&audits),
        cli::CheckpointsFormat::Json => format!("{:#}\n", render::json(&audits)),
        cli::CheckpointsFormat::Sarif => format!("{:#}\n", render::sarif(&audits)),
    };
    write_stdout(out.as_bytes())?;
    if args.format == cli::CheckpointsFormat::Text {
        stream::note(render::summary(&audits));
    }
    Ok(u8::from(audits.iter().any(checkpoints::Audit::needs_attention)))
}
