//! Writing a fixed file without ever leaving it half-written: the new bytes
//! go to a temporary file in the same directory, which then replaces the
//! original by rename. Permissions, owner and group are kept. Refused, with
//! the file left as it is: a symbolic link (never rewritten through the
//! link), a read-only file, a file with several hard links (a rename would
//! split them), a file that vanished, and a file whose bytes changed since
//! they were read (a concurrent edit is never overwritten). That last check
//! runs after the new text is written and flushed, immediately before the
//! rename, so the window left is the rename itself.
//!
//! A run that is killed must not leave copies of the user's files behind
//! (`git add -A` would commit them). On Linux the temporary file has no name
//! while it is written (`O_TMPFILE`): a killed run leaves nothing, and the
//! name appears only for the two system calls that link it and rename it
//! over the original. Where that is not available (another OS, a file system
//! without `O_TMPFILE`) the file is named `.remediate-XXXXXX` and locked
//! (`flock`) for as long as this process lives. Before its first write into a
//! directory, `fix` removes the temporaries an earlier run left there: only
//! names of exactly that form, regular files with one link, owned by the
//! user running `fix`, older than a minute and not locked by a live process.
//! Age alone would be a guess and a prefix alone could match someone's file;
//! the lock tells a live run from a dead one, since the kernel drops it when
//! the process dies, however it dies.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Every temporary file `remediate` names is this prefix and
/// [`TEMP_RANDOM_LEN`] ASCII letters and digits.
pub(crate) const TEMP_PREFIX: &str = ".remediate-";
const TEMP_RANDOM_LEN: usize = 6;
/// An unlocked temporary of ours older than this belongs to no live run.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Makes a write over `ulimit -f` fail with an error (`File too large`)
/// that names the file, instead of the signal killing the process without a
/// word. Called once at start-up.
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: installing SIG_IGN for SIGXFSZ has no preconditions and runs
    // before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

pub(crate) fn replace_file(path: &Path, original: &[u8], new: &[u8]) -> Result<()> {
    let meta = fs::symlink_metadata(path).with_context(|| format!("{}: reading metadata", path.display()))?;
    if meta.file_type().is_symlink() {
        bail!("{}: is a symbolic link; not rewritten through the link", path.display());
    }
    if !meta.is_file() {
        bail!("{}: is not a regular file; not rewritten", path.display());
    }
    if meta.permissions().readonly() {
        bail!("{}: is read-only; not rewritten", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            bail!(
                "{}: has {} hard links; not rewritten, since replacing it would leave the other links unfixed",
                path.display(),
                meta.nlink()
            );
        }
    }
    let mut temp = Staged::beside(parent_dir(path), 0o600)
        .with_context(|| format!("{}: creating a temporary file beside it", path.display()))?;
    temp.file.write_all(new).with_context(|| format!("{}: writing the fixed text", path.display()))?;
    keep_owner(&temp.file, &meta).with_context(|| format!("{}: keeping its owner and group", path.display()))?;
    temp.file
        .set_permissions(meta.permissions())
        .with_context(|| format!("{}: copying permissions", path.display()))?;
    temp.file.sync_all().with_context(|| format!("{}: flushing", path.display()))?;
    let current = fs::read(path).with_context(|| format!("{}: re-reading before replacing", path.display()))?;
    if current != original {
        bail!("{}: changed while it was being fixed; left as it is now", path.display());
    }
    temp.persist(path).with_context(|| format!("{}: replacing the file", path.display()))?;
    Ok(())
}

/// Writes a whole file that `remediate` owns (the revisions file, a report)
/// atomically: a temporary file beside it, renamed over it. An existing file
/// is replaced with the same care as a fixed source file.
pub(crate) fn write_new_contents(path: &Path, text: &str) -> Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if path.exists() {
        let original = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return replace_file(path, &original, text.as_bytes());
    }
    PendingFile::create(path)?.write(text.as_bytes())
}

/// A file written at the end of a run whose place is taken at the start:
/// `fix --report` finds out that it cannot write the report before it
/// rewrites any source file. The temporary file is created beside the
/// destination now, and renamed over it by [`PendingFile::write`].
pub(crate) struct PendingFile {
    path: PathBuf,
    temp: Staged,
}

impl PendingFile {
    pub(crate) fn create(path: &Path) -> Result<PendingFile> {
        if let Ok(meta) = fs::symlink_metadata(path) {
            if meta.is_dir() {
                bail!("{}: is a directory", path.display());
            }
            if meta.is_file() && meta.permissions().readonly() {
                bail!("{}: is read-only", path.display());
            }
        }
        let temp = Staged::beside(parent_dir(path), 0o666)
            .with_context(|| format!("{}: cannot be written", path.display()))?;
        Ok(PendingFile { path: path.to_owned(), temp })
    }

    pub(crate) fn write(mut self, bytes: &[u8]) -> Result<()> {
        let path = &self.path;
        self.temp.file.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
        self.temp.file.sync_all().with_context(|| format!("flushing {}", path.display()))?;
        self.temp.persist(path).with_context(|| format!("writing {}", path.display()))
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// New contents, written where no one sees them until they replace the
/// destination: an unnamed file (`O_TMPFILE`) where the system has one, else
/// a locked `.remediate-XXXXXX` file. Dropped without [`Staged::persist`],
/// it leaves nothing behind.
struct Staged {
    file: fs::File,
    dir: PathBuf,
    /// The name of a named temporary; `None` for an unnamed one.
    name: Option<tempfile::TempPath>,
}

impl Staged {
    /// `mode` is the new file's permissions before the umask.
    fn beside(dir: &Path, mode: u32) -> io::Result<Staged> {
        remove_stale_temporaries(dir);
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed_file(dir, mode)? {
            lock(&file);
            return Ok(Staged { file, dir: dir.to_owned(), name: None });
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).rand_bytes(TEMP_RANDOM_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(mode));
        }
        #[cfg(not(unix))]
        let _ = mode;
        let (file, name) = builder.tempfile_in(dir)?.into_parts();
        lock(&file);
        Ok(Staged { file, dir: dir.to_owned(), name: Some(name) })
    }

    /// Renames the new contents over `target`.
    fn persist(self, target: &Path) -> io::Result<()> {
        match self.name {
            Some(name) => name.persist(target).map_err(|e| e.error),
            None => self.link_and_rename(target),
        }
    }

    /// An unnamed file gets a name only now, for the rename: Linux has no
    /// call that links a file over an existing one.
    #[cfg(target_os = "linux")]
    fn link_and_rename(&self, target: &Path) -> io::Result<()> {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::io::AsRawFd;
        let source = std::ffi::CString::new(format!("/proc/self/fd/{}", self.file.as_raw_fd()))?;
        let named =
            tempfile::Builder::new().prefix(TEMP_PREFIX).rand_bytes(TEMP_RANDOM_LEN).make_in(&self.dir, |name| {
                let name = std::ffi::CString::new(name.as_os_str().as_bytes())?;
                // SAFETY: both paths are NUL-terminated strings that outlive the call.
                let linked = unsafe {
                    libc::linkat(
                        libc::AT_FDCWD,
                        source.as_ptr(),
                        libc::AT_FDCWD,
                        name.as_ptr(),
                        libc::AT_SYMLINK_FOLLOW,
                    )
                };
                if linked == 0 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            })?;
        // On failure the new name is removed when `named` is dropped.
        named.persist(target).map(drop).map_err(|e| e.error)
    }

    #[cfg(not(target_os = "linux"))]
    fn link_and_rename(&self, _target: &Path) -> io::Result<()> {
        unreachable!("unnamed temporary files exist only on Linux")
    }
}

/// An unnamed file in `dir`, or `None` where the kernel or the file system
/// has no `O_TMPFILE` (or `/proc`, needed to give it a name later).
#[cfg(target_os = "linux")]
fn unnamed_file(dir: &Path, mode: u32) -> io::Result<Option<fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    if !Path::new("/proc/self/fd").is_dir() {
        return Ok(None);
    }
    let opened = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .mode(mode)
        .open(dir);
    match opened {
        Ok(file) => Ok(Some(file)),
        // EISDIR: a kernel older than O_TMPFILE; EOPNOTSUPP: a file system without it.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Marks a temporary as held by a live run (see the module's documentation).
fn lock(file: &fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor we own. Failure only means a later
        // run cannot tell this file is live, and the age check still holds.
        unsafe {
            libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB);
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// `.remediate-` followed by exactly six ASCII letters and digits.
fn is_temporary_name(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.strip_prefix(TEMP_PREFIX))
        .is_some_and(|rest| rest.len() == TEMP_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Removes, once per run and directory, the temporaries that earlier runs
/// left in `dir` (see the module's documentation for which).
fn remove_stale_temporaries(dir: &Path) {
    static CLEANED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    if !CLEANED.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf()) {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if is_temporary_name(&entry.file_name()) {
            remove_if_stale(&entry.path());
        }
    }
}

#[cfg(unix)]
fn remove_if_stale(path: &Path) {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::os::unix::io::AsRawFd;
    let Ok(meta) = fs::symlink_metadata(path) else { return };
    // SAFETY: geteuid has no preconditions.
    let ours = meta.uid() == unsafe { libc::geteuid() };
    let old = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age >= STALE_AFTER);
    if !(meta.is_file() && meta.nlink() == 1 && ours && old) {
        return;
    }
    let Ok(file) = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)
    else {
        return;
    };
    let same = |m: &fs::Metadata| m.dev() == meta.dev() && m.ino() == meta.ino();
    if !file.metadata().is_ok_and(|m| same(&m)) {
        return;
    }
    // SAFETY: flock on a descriptor we own; the lock goes with it.
    let unlocked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if unlocked && fs::symlink_metadata(path).is_ok_and(|m| same(&m)) {
        let _ = fs::remove_file(path);
    }
}

#[cfg(not(unix))]
fn remove_if_stale(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else { return };
    let old = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age >= STALE_AFTER * 60);
    if meta.is_file() && old {
        let _ = fs::remove_file(path);
    }
}

/// Gives the replacement the original's owner and group, so that fixing a
/// colleague's file (as root, or through a shared group) does not take it
/// over. When that is not allowed, the file is not rewritten.
#[cfg(unix)]
fn keep_owner(temp: &fs::File, original: &fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let ours = temp.metadata()?;
    if (ours.uid(), ours.gid()) == (original.uid(), original.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(temp, Some(original.uid()), Some(original.gid()))
}

#[cfg(not(unix))]
fn keep_owner(_temp: &fs::File, _original: &fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.py");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// Only the file itself (and any link the test made) remain: no
    /// temporary file is left behind, whatever happened.
    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_and_keeps_permissions() {
        let (dir, path) = scratch("old\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o751)).unwrap();
        }
        replace_file(&path, b"old\n", b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o751);
        }
        assert_eq!(entries(dir.path()), ["m.py"]);
    }

    /// The bytes on disk differ from those the fix was computed from (an
    /// editor saved in between): the concurrent version stays.
    #[test]
    fn a_file_changed_since_it_was_read_is_left_alone() {
        let (dir, path) = scratch("edited by someone else\n");
        let err = replace_file(&path, b"what we read\n", b"our fix\n").unwrap_err();
        assert!(format!("{err:#}").contains("changed while it was being fixed"), "{err:#}");
        assert_eq!(fs::read(&path).unwrap(), b"edited by someone else\n");
        assert_eq!(entries(dir.path()), ["m.py"]);
    }

    #[test]
    fn a_vanished_file_is_not_recreated() {
        let (dir, path) = scratch("x\n");
        fs::remove_file(&path).unwrap();
        assert!(replace_file(&path, b"x\n", b"y\n").is_err());
        assert!(!path.exists());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn read_only_files_are_refused() {
        let (dir, path) = scratch("x\n");
        let mut perms = fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(&path, perms).unwrap();
        let err = replace_file(&path, b"x\n", b"y\n").unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"x\n");
        assert_eq!(entries(dir.path()), ["m.py"]);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_never_written_through() {
        let (dir, path) = scratch("x\n");
        let link = dir.path().join("link.py");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let err = replace_file(&link, b"x\n", b"y\n").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let hard = dir.path().join("hard.py");
        fs::hard_link(&path, &hard).unwrap();
        let err = replace_file(&path, b"x\n", b"y\n").unwrap_err();
        assert!(err.to_string().contains("2 hard links"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"x\n");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(entries(dir.path()), ["hard.py", "link.py", "m.py"]);
    }

    /// While the new text is written it has no name: a run killed then
    /// leaves nothing in the directory.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_unfinished_write_has_no_name_and_leaves_nothing() {
        let (dir, path) = scratch("old\n");
        let mut temp = Staged::beside(dir.path(), 0o600).unwrap();
        assert!(temp.name.is_none(), "this file system has no O_TMPFILE");
        temp.file.write_all(b"new\n").unwrap();
        temp.file.sync_all().unwrap();
        assert_eq!(entries(dir.path()), ["m.py"]);
        drop(temp);
        assert_eq!(entries(dir.path()), ["m.py"]);
        assert_eq!(fs::read(&path).unwrap(), b"old\n");
    }

    /// The fallback, a named temporary, is removed when the write fails.
    #[test]
    fn a_named_temporary_is_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let named = tempfile::Builder::new().prefix(TEMP_PREFIX).rand_bytes(TEMP_RANDOM_LEN).tempfile_in(dir.path());
        let (file, name) = named.unwrap().into_parts();
        assert!(is_temporary_name(name.file_name().unwrap()));
        drop(Staged { file, dir: dir.path().to_owned(), name: Some(name) });
        assert!(entries(dir.path()).is_empty());
    }

    /// A killed run's temporary is removed by the next `fix` that writes in
    /// its directory; nothing else is: not a live run's (locked), not a
    /// recent one, not a name of another form, a link, a directory or a
    /// file with another link.
    #[cfg(unix)]
    #[test]
    fn stale_temporaries_of_a_killed_run_are_removed_and_nothing_else() {
        use std::os::unix::io::AsRawFd;
        let (dir, path) = scratch("x\n");
        let old = std::time::SystemTime::now() - Duration::from_secs(3600);
        let make = |name: &str| {
            let p = dir.path().join(name);
            let file = fs::File::create(&p).unwrap();
            file.set_modified(old).unwrap();
            file
        };
        make(".remediate-Ab1234");
        let live = make(".remediate-Li1234");
        // SAFETY: flock on a descriptor the test owns.
        assert_eq!(unsafe { libc::flock(live.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
        fs::write(dir.path().join(".remediate-Ne1234"), "recent").unwrap();
        for other in [".remediate-notes", ".remediate-ab_123", "remediate-Ab1234", ".remediate-Ab12345"] {
            make(other);
        }
        make(".remediate-Hl1234");
        fs::hard_link(dir.path().join(".remediate-Hl1234"), dir.path().join("hl")).unwrap();
        fs::create_dir(dir.path().join(".remediate-Di1234")).unwrap();
        std::os::unix::fs::symlink(dir.path().join(".remediate-Ab1234"), dir.path().join(".remediate-Sy1234")).unwrap();

        replace_file(&path, b"x\n", b"y\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"y\n");
        assert_eq!(
            entries(dir.path()),
            [
                ".remediate-Ab12345",
                ".remediate-Di1234",
                ".remediate-Hl1234",
                ".remediate-Li1234",
                ".remediate-Ne1234",
                ".remediate-Sy1234",
                ".remediate-ab_123",
                ".remediate-notes",
                "hl",
                "m.py",
                "remediate-Ab1234",
            ]
        );
        drop(live);
    }

    /// `fix --report` takes the report's place before it rewrites anything.
    #[test]
    fn a_pending_file_is_refused_early_and_written_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        assert!(PendingFile::create(&dir.path().join("no/such/dir/body.md")).is_err());
        assert!(PendingFile::create(dir.path()).is_err(), "a directory");
        let path = dir.path().join("body.md");
        let pending = PendingFile::create(&path).unwrap();
        assert!(!path.exists());
        pending.write(b"# body\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"# body\n");
        assert_eq!(entries(dir.path()), ["body.md"]);
    }
}
