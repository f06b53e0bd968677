//! Standard output and standard error, for every command and format.
//!
//! Output is often piped into a reader that stops early (`| head -1`,
//! `| grep -m1`). A reader that went away is not an error: output stops
//! there, quietly, and the command finishes with the exit code it would have
//! had, as `git log | head` and ripgrep do. Any other failure to write
//! standard output (a full disk, a file over `ulimit -f`) is an error.
//!
//! Standard error carries the summary, warnings and errors. A failure to
//! write it is ignored: there is nowhere left to report it, and it must not
//! turn a finished run into a crash.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write found the reader gone; later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to standard output and flushes them.
pub(crate) fn print(bytes: &[u8]) -> io::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// Writes one line to standard error.
pub fn note(line: impl AsRef<str>) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(line.as_ref().as_bytes()).and_then(|()| err.write_all(b"\n"));
}
