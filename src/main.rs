//! `remediate`: find and fix the security findings Bandit reports in ML
//! Python code. See the README for the commands and their exit codes.

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    remediate::pipeline::pool::install_panic_hook();
    remediate::pipeline::write::ignore_file_size_signal();
    let cli = remediate::cli::Cli::parse_args();
    match remediate::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            remediate::output::stream::note(format!("remediate: error: {e:#}"));
            ExitCode::from(2)
        }
    }
}
