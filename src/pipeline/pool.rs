//! Runs the engine over many files on a pool of threads, one parser per
//! thread, and hands back results in the walk's order. In fix mode each
//! worker writes its file as soon as it is verified, so memory holds only
//! the results, never the whole tree's text.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::config::Config;
use crate::pipeline::cache::Cache;
use crate::pipeline::engine::{Engine, Mode, RuleSet};
use crate::pipeline::write::replace_file;
use crate::report::{FileResult, Outcome};

/// How the run should treat each file.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub mode: Mode,
    /// Write fixed files in place (`fix`), or only compute them (`diff`).
    pub write: bool,
    pub jobs: usize,
    /// Parse only files where some rule's trigger words occur in code.
    pub prefilter: bool,
}

thread_local! {
    /// The file a worker is on, for the panic message.
    static CURRENT_FILE: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Workers get a generous stack: the engine walks trees iteratively, but a
/// deeply nested generated file should never abort the whole run.
pub const WORKER_STACK: usize = 64 << 20;

/// The file this thread is processing, if any.
pub fn current_file() -> Option<PathBuf> {
    CURRENT_FILE.with(|f| f.borrow().clone())
}

/// Installs a panic hook that names the file being processed.
pub fn install_panic_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if let Some(path) = current_file() {
            eprintln!("remediate: internal error while processing {}", path.display());
        }
        default(info);
    }));
}

pub fn run(files: &[PathBuf], rules: &RuleSet, config: &Config, plan: Plan, cache: Option<&Cache>) -> Vec<FileResult> {
    let metas: Vec<_> = rules.metas().collect();
    let cached = cache.map(|c| (c, metas.as_slice()));
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<FileResult>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    let workers = plan.jobs.clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let work = || {
                let mut engine = Engine::new(rules, config);
                engine.set_prefilter(plan.prefilter);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let result = guarded(path, || process(&mut engine, path, plan, cached));
                    slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                }
            };
            let spawned = std::thread::Builder::new().stack_size(WORKER_STACK).spawn_scoped(scope, work);
            if spawned.is_err() {
                // Could not get a thread with that stack: work on a default one.
                scope.spawn(work);
            }
        }
    });
    slots.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten().collect()
}

/// Processes one file, turning a panic into an error for that file alone;
/// the panic hook names the file meanwhile.
fn guarded(path: &Path, process: impl FnOnce() -> FileResult) -> FileResult {
    CURRENT_FILE.with(|f| *f.borrow_mut() = Some(path.to_owned()));
    let result = panic::catch_unwind(AssertUnwindSafe(process));
    CURRENT_FILE.with(|f| *f.borrow_mut() = None);
    result.unwrap_or_else(|_| FileResult {
        path: path.to_owned(),
        outcome: Outcome::default(),
        original: None,
        io_error: Some(format!("{}: internal error; the file was not changed", path.display())),
    })
}

/// The cache with the enabled rules' metadata, to rebuild diagnostics.
type Cached<'a> = Option<(&'a Cache, &'a [&'static crate::rules::RuleMeta])>;

fn process(engine: &mut Engine<'_>, path: &Path, plan: Plan, cache: Cached<'_>) -> FileResult {
    let bytes = match read_regular_file(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return FileResult {
                path: path.to_owned(),
                outcome: Outcome::default(),
                original: None,
                io_error: Some(format!("{}: {e}", path.display())),
            }
        }
    };
    let key = cache.map(|_| Cache::key(&bytes));
    if let (Some((cache, metas)), Some(key)) = (cache, key) {
        let hit = match plan.mode {
            Mode::Check => cache.get(key, metas),
            Mode::Fix { .. } => cache.is_clean(key).then(Outcome::default),
        };
        if let Some(outcome) = hit {
            return FileResult { path: path.to_owned(), outcome, original: None, io_error: None };
        }
    }
    let mut outcome = engine.run(&bytes, plan.mode);
    if let (Some((cache, _)), Some(key), Mode::Check) = (cache, key, plan.mode) {
        cache.put(key, &outcome);
    }
    let mut io_error = None;
    if let (true, Some(new)) = (plan.write, outcome.fixed_bytes.as_ref()) {
        io_error = replace_file(path, &bytes, new).err().map(|e| format!("{e:#}"));
        if io_error.is_some() {
            // Nothing was written: report the file's findings as they stand.
            outcome = engine.run(&bytes, Mode::Check);
        }
    }
    let original = outcome.fixed_bytes.is_some().then_some(bytes);
    FileResult { path: path.to_owned(), outcome, original, io_error }
}

/// Reads a file the walk found, unless it has since become something else:
/// a link is not followed, and a FIFO or device would block or never end.
fn read_regular_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        let what = if meta.file_type().is_symlink() { "a symbolic link" } else { "not a regular file" };
        return Err(std::io::Error::other(format!("is now {what}; not read")));
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_for_its_file_alone() {
        let path = Path::new("pkg/model.py");
        let seen = guarded(path, || -> FileResult {
            assert_eq!(current_file().as_deref(), Some(path), "the hook can name the file");
            panic!("boom");
        });
        assert!(current_file().is_none());
        let error = seen.io_error.expect("the panic is reported");
        assert!(error.contains("pkg/model.py") && error.contains("not changed"), "{error}");
        assert!(seen.outcome.fixed_bytes.is_none());
    }

    #[test]
    fn files_that_are_no_longer_regular_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.py");
        std::fs::write(&target, "x = 1\n").unwrap();
        assert_eq!(read_regular_file(&target).unwrap(), b"x = 1\n");
        let gone = read_regular_file(&dir.path().join("gone.py")).unwrap_err();
        assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
        #[cfg(unix)]
        {
            let link = dir.path().join("link.py");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            assert!(read_regular_file(&link).unwrap_err().to_string().contains("symbolic link"));
        }
    }
}
