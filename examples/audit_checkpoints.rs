//! Audits checkpoint files with the library, until `remediate checkpoints` exists:
//!
//!     cargo run --release --example audit_checkpoints -- [--format text|json|sarif] PATH...
//!
//! Prints the report on stdout and, on stderr, the summary and the time the
//! audit took (the figure `scripts/bench-checkpoints.sh` reports). Exits 1 when
//! a file needs attention.

use std::path::PathBuf;
use std::time::Instant;

use remediate::checkpoints::{self, render};

fn main() {
    let mut format = "text".to_owned();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => format = args.next().unwrap_or_default(),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let start = Instant::now();
    let audits = checkpoints::audit_paths(&paths);
    let elapsed = start.elapsed();
    let report = match format.as_str() {
        "json" => format!("{:#}\n", render::json(&audits)),
        "sarif" => format!("{:#}\n", render::sarif(&audits)),
        _ => render::text(&audits),
    };
    print!("{report}");
    eprintln!("{}", render::summary(&audits));
    eprintln!("audited in {:.3} ms", elapsed.as_secs_f64() * 1000.0);
    std::process::exit(i32::from(audits.iter().any(|a| a.needs_attention())));
}
