//! Runs the engine over many files on a pool of threads, one parser per
//! thread, in two phases, and hands back results in the walk's order.
//!
//! 1. **Index.** Every file is read and prefiltered; files some rule or the
//!    index needs are parsed once and summarised into facts. A file that no
//!    rule reading other files can match is analysed (and, in fix mode,
//!    written) right away, from the same parse. Project modules the
//!    remaining files import are indexed too, for their constants.
//!    Notebooks are indexed like modules (what they save and import
//!    counts), under their file name with `.ipynb` (`notebooks.explore.ipynb`),
//!    which no `import` statement can name, so nothing resolves to them.
//! 2. **Rules that read the index.** The deferred files are analysed with
//!    the project index in hand.
//!
//! In fix mode each worker writes its file as soon as it is verified, so
//! memory holds only results and the deferred files' bytes, never the whole
//! tree's text.

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::config::Config;
use crate::pipeline::cache::{Cache, Entry};
use crate::pipeline::engine::{Engine, FirstPass, Mode, RuleSet};
use crate::pipeline::index::{absolute, IndexedFile, ModuleNames, ProjectIndex};
use crate::pipeline::timings::{self, Stage};
use crate::pipeline::walk::FileKind;
use crate::pipeline::write::replace_file;
use crate::python::facts::FileFacts;
use crate::report::{FileResult, Outcome};

/// How the run should treat each file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) mode: Mode,
    /// Write fixed files in place (`fix`), or only compute them (`diff`).
    pub(crate) write: bool,
    pub(crate) jobs: usize,
    /// Parse only files where some rule's trigger words occur in code.
    pub(crate) prefilter: bool,
}

thread_local! {
    /// The file a worker is on, for the panic message.
    static CURRENT_FILE: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Workers get a generous stack: the engine walks trees iteratively, but a
/// deeply nested generated file should never abort the whole run.
pub(crate) const WORKER_STACK: usize = 64 << 20;

/// The file this thread is processing, if any.
pub(crate) fn current_file() -> Option<PathBuf> {
    CURRENT_FILE.with(|f| f.borrow().clone())
}

/// Installs a panic hook that names the file being processed.
pub fn install_panic_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if let Some(path) = current_file() {
            crate::output::stream::note(format!("remediate: internal error while processing {}", path.display()));
        }
        default(info);
    }));
}

/// Everything a run needs besides the files.
pub(crate) struct Job<'a> {
    pub(crate) rules: &'a RuleSet,
    pub(crate) config: &'a Config,
    pub(crate) plan: Plan,
    pub(crate) cache: Option<&'a Cache>,
    /// The paths the user named: modules are named relative to them.
    pub(crate) roots: &'a [PathBuf],
    /// The rules (indexes into the rule set) turned off for a file
    /// (`per-file-ignores`).
    pub(crate) ignored: &'a (dyn Fn(&Path) -> Vec<usize> + Sync),
}

/// The cache key of a file's content with `ignored` rules off: the same
/// content under another pattern has other findings.
fn content_key(bytes: &[u8], kind: FileKind, ignored: &[usize]) -> u64 {
    let key = cache_key(bytes, kind);
    if ignored.is_empty() {
        return key;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(ignored, &mut hasher);
    key ^ std::hash::Hasher::finish(&hasher).rotate_left(1)
}

/// What phase 1 left for a file.
enum Slot {
    Result(FileResult),
    Deferred(Vec<u8>),
}

/// Salt of the cache keys of notebooks: the same bytes read as a `.py` file
/// are another program.
const NOTEBOOK: u64 = 0x6e6f_7465_626f_6f6b;

fn cache_key(bytes: &[u8], kind: FileKind) -> u64 {
    match kind {
        FileKind::Source => Cache::key(bytes),
        FileKind::Notebook => Cache::key(bytes) ^ NOTEBOOK,
    }
}

/// Salt of the cache keys of deferred files' results, which depend on the
/// index as well as on the file.
const INDEXED_RESULT: u64 = 0x696e_6465_7865_6421;

pub(crate) fn run(files: &[PathBuf], job: &Job<'_>) -> Vec<FileResult> {
    let names = ModuleNames::new(job.roots);
    let modules: Vec<String> = files.iter().map(|f| names.of(f)).collect();
    let facts: Mutex<Vec<IndexedFile>> = Mutex::new(Vec::new());
    let first: Vec<Slot> = timings::time(Stage::FirstPhase, || {
        parallel(files.len(), job, ProjectIndex::empty(), |engine, i| {
            let (slot, found) = first_phase(engine, &files[i], &modules[i], job);
            if let Some(found) = found {
                let file = IndexedFile { path: files[i].clone(), module: modules[i].clone(), facts: found };
                facts.lock().unwrap_or_else(|e| e.into_inner()).push(file);
            }
            slot
        })
    });
    if !first.iter().any(|s| matches!(s, Slot::Deferred(_))) {
        return first.into_iter().filter_map(|s| if let Slot::Result(r) = s { Some(r) } else { None }).collect();
    }
    let index = timings::time(Stage::BuildIndex, || {
        let mut indexed = facts.into_inner().unwrap_or_else(|e| e.into_inner());
        indexed.extend(imported_modules(files, &modules, &indexed, job));
        ProjectIndex::new(indexed, Vec::new())
    });
    let deferred: Vec<usize> = (0..first.len()).filter(|&i| matches!(first[i], Slot::Deferred(_))).collect();
    let mut second = timings::time(Stage::SecondPhase, || {
        parallel(deferred.len(), job, &index, |engine, k| {
            let i = deferred[k];
            let Slot::Deferred(bytes) = &first[i] else { unreachable!("only deferred files are in this list") };
            engine.set_module(&modules[i]);
            second_phase(engine, &files[i], bytes, &index, job)
        })
    })
    .into_iter();
    first
        .into_iter()
        .map(|slot| match slot {
            Slot::Result(r) => r,
            Slot::Deferred(_) => second.next().unwrap_or_else(|| unreachable!("one result per deferred file")),
        })
        .collect()
}

/// Runs `work` for indexes `0..count` on the pool, each worker with its own
/// engine seeing `index`; results in index order.
fn parallel<T: Send>(
    count: usize,
    job: &Job<'_>,
    index: &ProjectIndex,
    work: impl Fn(&mut Engine<'_>, usize) -> T + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
    let workers = job.plan.jobs.clamp(1, count.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let run = || {
                let mut engine = Engine::new(job.rules, job.config);
                engine.set_prefilter(job.plan.prefilter);
                engine.set_index(index);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let value = work(&mut engine, i);
                    slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(value);
                }
            };
            let spawned = std::thread::Builder::new().stack_size(WORKER_STACK).spawn_scoped(scope, run);
            if spawned.is_err() {
                // Could not get a thread with that stack: work on a default one.
                scope.spawn(run);
            }
        }
    });
    slots.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten().collect()
}

/// One file whose bytes are given rather than read (standard input, under
/// the name `path`): the same two phases as [`run`], the index holding this
/// file alone, as it would for `remediate fix path`. Nothing is written,
/// whatever the plan says.
pub(crate) fn run_bytes(path: &Path, bytes: Vec<u8>, job: &Job<'_>) -> FileResult {
    let plan = Plan { write: false, ..job.plan };
    let job = Job { plan, ..*job };
    let work = || one_file(path, bytes, &job);
    std::thread::scope(|scope| {
        // The workers' stack, as for a file found by a walk.
        match std::thread::Builder::new().stack_size(WORKER_STACK).spawn_scoped(scope, work) {
            Ok(handle) => handle.join().unwrap_or_else(|_| io_failure(path, "internal error".into())),
            Err(_) => io_failure(path, "could not start a thread to process it".into()),
        }
    })
}

fn one_file(path: &Path, bytes: Vec<u8>, job: &Job<'_>) -> FileResult {
    let module = ModuleNames::new(job.roots).of(path);
    let mut engine = Engine::new(job.rules, job.config);
    engine.set_prefilter(job.plan.prefilter);
    let (slot, facts) = first_phase_of(&mut engine, path, bytes, &module, job);
    let bytes = match slot {
        Slot::Result(result) => return result,
        Slot::Deferred(bytes) => bytes,
    };
    let indexed = facts.map(|facts| IndexedFile { path: path.to_owned(), module: module.clone(), facts });
    let index = ProjectIndex::new(indexed.into_iter().collect(), Vec::new());
    let mut engine = Engine::new(job.rules, job.config);
    engine.set_prefilter(job.plan.prefilter);
    engine.set_index(&index);
    engine.set_module(&module);
    second_phase(&mut engine, path, &bytes, &index, job)
}

/// Phase 1 for one file: its result (or its bytes, deferred) and its facts.
fn first_phase(engine: &mut Engine<'_>, path: &Path, module: &str, job: &Job<'_>) -> (Slot, Option<FileFacts>) {
    match read_regular_file(path) {
        Ok(bytes) => first_phase_of(engine, path, bytes, module, job),
        Err(e) => (Slot::Result(io_failure(path, e.to_string())), None),
    }
}

/// Phase 1 for one file's bytes.
fn first_phase_of(
    engine: &mut Engine<'_>,
    path: &Path,
    bytes: Vec<u8>,
    module: &str,
    job: &Job<'_>,
) -> (Slot, Option<FileFacts>) {
    let kind = FileKind::of_file(path);
    let ignored = (job.ignored)(path);
    let key = job.cache.map(|_| content_key(&bytes, kind, &ignored));
    engine.set_ignored(ignored);
    if let Some(entry) = job.cache.zip(key).and_then(|(c, key)| c.get(key)) {
        if entry.deferred {
            return (Slot::Deferred(bytes), entry.facts);
        }
        if job.plan.mode == Mode::Check || entry.is_clean() {
            let result = FileResult { path: path.to_owned(), outcome: entry.outcome(), original: None, io_error: None };
            return (Slot::Result(result), entry.facts);
        }
    }
    engine.set_module(module);
    let pass = guarded(path, || engine.first_pass(&bytes, kind, job.plan.mode));
    let (outcome, facts) = match pass {
        Ok(FirstPass::Nothing) => (Outcome::default(), None),
        Ok(FirstPass::Done { outcome, facts }) => (outcome, facts),
        Ok(FirstPass::Deferred { facts }) => {
            if let Some((cache, key)) = job.cache.zip(key) {
                cache.put(key, Entry { deferred: true, facts: facts.clone(), ..Entry::default() });
            }
            return (Slot::Deferred(bytes), facts);
        }
        Err(failure) => return (Slot::Result(*failure), None),
    };
    if let (Some((cache, key)), Mode::Check) = (job.cache.zip(key), job.plan.mode) {
        cache.put(key, Entry::of(&outcome, facts.clone()));
    }
    (Slot::Result(finish(engine, path, bytes, outcome, job)), facts)
}

/// Phase 2 for a deferred file, with the index built.
fn second_phase(engine: &mut Engine<'_>, path: &Path, bytes: &[u8], index: &ProjectIndex, job: &Job<'_>) -> FileResult {
    let kind = FileKind::of_file(path);
    let ignored = (job.ignored)(path);
    let key = job.cache.map(|_| content_key(bytes, kind, &ignored) ^ index.digest() ^ INDEXED_RESULT);
    engine.set_ignored(ignored);
    if let Some(entry) = job.cache.zip(key).and_then(|(c, key)| c.get(key)) {
        if job.plan.mode == Mode::Check || entry.is_clean() {
            return FileResult { path: path.to_owned(), outcome: entry.outcome(), original: None, io_error: None };
        }
    }
    let outcome = match guarded(path, || engine.run(bytes, kind, job.plan.mode)) {
        Ok(outcome) => outcome,
        Err(failure) => return *failure,
    };
    if let (Some((cache, key)), Mode::Check) = (job.cache.zip(key), job.plan.mode) {
        cache.put(key, Entry::of(&outcome, None));
    }
    finish(engine, path, bytes.to_vec(), outcome, job)
}

/// Writes the fixed file when asked; on failure reports the findings as
/// they stand in the unchanged file.
fn finish(engine: &mut Engine<'_>, path: &Path, bytes: Vec<u8>, mut outcome: Outcome, job: &Job<'_>) -> FileResult {
    let mut io_error = None;
    if let (true, Some(new)) = (job.plan.write, outcome.fixed_bytes.as_ref()) {
        io_error = replace_file(path, &bytes, new).err().map(|e| format!("{e:#}"));
        if io_error.is_some() {
            outcome = engine.run(&bytes, FileKind::of_file(path), Mode::Check);
        }
    }
    let original = outcome.fixed_bytes.is_some().then_some(bytes);
    FileResult { path: path.to_owned(), outcome, original, io_error }
}

/// The project modules holding names the indexed files want from other
/// modules (constants passed to loaders) that phase 1 did not index:
/// indexed now.
fn imported_modules(files: &[PathBuf], modules: &[String], indexed: &[IndexedFile], job: &Job<'_>) -> Vec<IndexedFile> {
    let known: HashSet<&str> = indexed.iter().map(|f| f.module.as_str()).collect();
    let wanted: HashSet<String> = indexed
        .iter()
        .flat_map(|f| {
            f.facts.wanted.iter().map(move |m| if m.starts_with('.') { absolute(&f.module, m) } else { m.clone() })
        })
        .filter_map(|name| name.rsplit_once('.').map(|(module, _)| module.to_owned()))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let todo: Vec<usize> =
        (0..files.len()).filter(|&i| !known.contains(modules[i].as_str()) && imported(&modules[i], &wanted)).collect();
    let found = parallel(todo.len(), job, ProjectIndex::empty(), |engine, k| {
        let i = todo[k];
        let bytes = read_regular_file(&files[i]).ok()?;
        engine.set_module(&modules[i]);
        let facts = guarded(&files[i], || engine.facts(&bytes, FileKind::of_file(&files[i]))).ok().flatten()?;
        Some(IndexedFile { path: files[i].clone(), module: modules[i].clone(), facts })
    });
    found.into_iter().flatten().collect()
}

/// Is `module` imported, by its full name or as the end of its name
/// (`from utils import X` in a `src/` layout)?
fn imported(module: &str, wanted: &HashSet<String>) -> bool {
    wanted.contains(module)
        || wanted.iter().any(|w| module.ends_with(w.as_str()) && module[..module.len() - w.len()].ends_with('.'))
}

/// Runs `process` for one file, turning a panic into an error for that file
/// alone; the panic hook names the file meanwhile.
fn guarded<T>(path: &Path, process: impl FnOnce() -> T) -> Result<T, Box<FileResult>> {
    CURRENT_FILE.with(|f| *f.borrow_mut() = Some(path.to_owned()));
    let result = panic::catch_unwind(AssertUnwindSafe(process));
    CURRENT_FILE.with(|f| *f.borrow_mut() = None);
    result.map_err(|_| Box::new(io_failure(path, "internal error; the file was not changed".into())))
}

fn io_failure(path: &Path, message: String) -> FileResult {
    FileResult {
        path: path.to_owned(),
        outcome: Outcome::default(),
        original: None,
        io_error: Some(format!("{}: {message}", path.display())),
    }
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
        let seen = guarded(path, || {
            assert_eq!(current_file().as_deref(), Some(path), "the hook can name the file");
            panic!("boom");
        });
        assert!(current_file().is_none());
        let failure = seen.expect_err("the panic is reported");
        let error = failure.io_error.expect("as an error");
        assert!(error.contains("pkg/model.py") && error.contains("not changed"), "{error}");
        assert!(failure.outcome.fixed_bytes.is_none());
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
