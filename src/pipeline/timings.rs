//! Where a run's time goes, printed to stderr when `REMEDIATE_TIMINGS` is
//! set (`scripts/bench.sh` reads it): the CPU time of each phase (the
//! process's, all threads) and of each stage inside them (the thread's own,
//! summed over worker threads), so that a busy machine does not inflate
//! them; and how many files and bytes each stage saw. Off, each probe costs
//! one relaxed load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// A stretch of work that is timed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    /// Loading the configuration and the revisions file.
    Config,
    /// Finding the files.
    Walk,
    /// Phase 1: reading, prefiltering, indexing, and analysing
    /// files no index-reading rule can match.
    FirstPhase,
    /// Phase 2: the files index-reading rules may match.
    SecondPhase,
    /// Indexing the modules phase 1 left out, and building the index.
    BuildIndex,
    /// Decoding and the code-only scan (summed over threads).
    Prefilter,
    /// The CPython-faithful parse and the semantic model, for rules.
    Parse,
    /// Work done only for the index: facts, and the parses of files no
    /// rule runs on.
    Index,
    /// tree-sitter parses of the regions holding candidates.
    TreeSitter,
    /// Running the rules' queries and decisions.
    Rules,
    /// Applying fixes and verifying the rewritten text.
    Fix,
    /// Rendering findings or diffs.
    Output,
}

const STAGES: [(Stage, &str); 12] = [
    (Stage::Config, "config"),
    (Stage::Walk, "walk"),
    (Stage::FirstPhase, "phase 1 (index, and files no index-reading rule matches)"),
    (Stage::SecondPhase, "phase 2 (files index-reading rules may match)"),
    (Stage::BuildIndex, "building the index"),
    (Stage::Prefilter, "  decode + prefilter"),
    (Stage::Parse, "  parse + semantic model (for rules)"),
    (Stage::Index, "  index facts (extraction, facts-only parses)"),
    (Stage::TreeSitter, "  tree-sitter regions"),
    (Stage::Rules, "  rules"),
    (Stage::Fix, "  fixes + verification"),
    (Stage::Output, "output"),
];

/// Counted events.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Count {
    FilesRead,
    BytesRead,
    FilesParsed,
    BytesParsed,
    TreeSitterBytes,
    FactsOnlyParses,
}

const COUNTS: [(Count, &str); 6] = [
    (Count::FilesRead, "files read"),
    (Count::BytesRead, "bytes read"),
    (Count::FilesParsed, "files parsed"),
    (Count::BytesParsed, "bytes parsed"),
    (Count::TreeSitterBytes, "bytes read by tree-sitter"),
    (Count::FactsOnlyParses, "files parsed for the index alone"),
];

static NANOS: [AtomicU64; STAGES.len()] = [const { AtomicU64::new(0) }; STAGES.len()];
static COUNTED: [AtomicU64; COUNTS.len()] = [const { AtomicU64::new(0) }; COUNTS.len()];
/// Per rule id: the files whose code holds its trigger words, and their bytes.
static TRIGGERED: Mutex<Vec<(&'static str, u64, u64)>> = Mutex::new(Vec::new());

/// Is `REMEDIATE_TIMINGS` set (to anything but empty or `0`)?
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("REMEDIATE_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Runs `work`, adding its duration to `stage` when timings are on.
pub(crate) fn time<T>(stage: Stage, work: impl FnOnce() -> T) -> T {
    if !enabled() {
        return work();
    }
    let clock = if stage.is_phase() { libc_clock::PROCESS } else { libc_clock::THREAD };
    let start = cpu_nanos(clock);
    let value = work();
    NANOS[stage as usize].fetch_add(cpu_nanos(clock).saturating_sub(start), Ordering::Relaxed);
    value
}

impl Stage {
    /// Run by the main thread while no other work runs: timed by the whole
    /// process's CPU time.
    fn is_phase(self) -> bool {
        matches!(
            self,
            Stage::Config | Stage::Walk | Stage::FirstPhase | Stage::SecondPhase | Stage::BuildIndex | Stage::Output
        )
    }
}

#[cfg(unix)]
mod libc_clock {
    pub(super) const PROCESS: libc::clockid_t = libc::CLOCK_PROCESS_CPUTIME_ID;
    pub(super) const THREAD: libc::clockid_t = libc::CLOCK_THREAD_CPUTIME_ID;
}

/// The CPU time the process or this thread has used.
#[cfg(unix)]
fn cpu_nanos(clock: libc::clockid_t) -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to fill.
    if unsafe { libc::clock_gettime(clock, &mut now) } != 0 {
        return 0;
    }
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

#[cfg(not(unix))]
mod libc_clock {
    pub(super) const PROCESS: () = ();
    pub(super) const THREAD: () = ();
}

/// Elsewhere, wall time since the first probe.
#[cfg(not(unix))]
fn cpu_nanos(_clock: ()) -> u64 {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(std::time::Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

pub(crate) fn count(what: Count, n: usize) {
    if enabled() {
        COUNTED[what as usize].fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A file of `bytes` bytes holds the trigger words of rule `id`.
pub(crate) fn triggered(id: &'static str, bytes: usize) {
    if !enabled() {
        return;
    }
    let mut table = TRIGGERED.lock().unwrap_or_else(|e| e.into_inner());
    match table.iter_mut().find(|(rule, _, _)| *rule == id) {
        Some(entry) => {
            entry.1 += 1;
            entry.2 += bytes as u64;
        }
        None => table.push((id, 1, bytes as u64)),
    }
}

/// Prints the table to stderr, when timings are on.
pub(crate) fn report() {
    if !enabled() {
        return;
    }
    let mut lines = vec!["CPU time (indented: stages of the phases, summed over worker threads):".to_owned()];
    for (stage, name) in STAGES {
        let seconds = NANOS[stage as usize].load(Ordering::Relaxed) as f64 / 1e9;
        lines.push(format!("  {name:<60} {seconds:>9.3} s"));
    }
    for (what, name) in COUNTS {
        lines.push(format!("  {name:<60} {:>11}", COUNTED[what as usize].load(Ordering::Relaxed)));
    }
    let mut table = TRIGGERED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    table.sort_by_key(|&(id, files, _)| (std::cmp::Reverse(files), id));
    for (id, files, bytes) in table {
        lines.push(format!("  trigger words of {id:<42} {files:>6} files {bytes:>11} bytes"));
    }
    crate::output::stream::note(lines.join("\n"));
}
