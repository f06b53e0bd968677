//! Writing a fixed file without ever leaving it half-written: the new bytes
//! go to a temporary file in the same directory, which then replaces the
//! original by rename. Permissions, owner and group are kept. Refused, with
//! the file left as it is: a symbolic link (never rewritten through the
//! link), a read-only file, a file with several hard links (a rename would
//! split them), a file that vanished, and a file whose bytes changed since
//! they were read (a concurrent edit is never overwritten). That last check
//! runs after the new text is written and flushed, immediately before the
//! rename, so the window left is the rename itself.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

pub fn replace_file(path: &Path, original: &[u8], new: &[u8]) -> Result<()> {
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".remediate-")
        .tempfile_in(dir)
        .with_context(|| format!("{}: creating a temporary file beside it", path.display()))?;
    temp.write_all(new).with_context(|| format!("{}: writing the fixed text", path.display()))?;
    keep_owner(temp.as_file(), &meta).with_context(|| format!("{}: keeping its owner and group", path.display()))?;
    temp.as_file()
        .set_permissions(meta.permissions())
        .with_context(|| format!("{}: copying permissions", path.display()))?;
    temp.as_file().sync_all().with_context(|| format!("{}: flushing", path.display()))?;
    let current = fs::read(path).with_context(|| format!("{}: re-reading before replacing", path.display()))?;
    if current != original {
        bail!("{}: changed while it was being fixed; left as it is now", path.display());
    }
    temp.persist(path).with_context(|| format!("{}: replacing the file", path.display()))?;
    Ok(())
}

/// Gives the replacement the original's owner and group, so that fixing a
/// colleague's file (as root, or through a shared group) does not take it
/// over. When that is not allowed, the file is not rewritten.
/// Writes a whole file that `remediate` owns (the revisions file, a report)
/// atomically: a temporary file beside it, renamed over it. An existing file
/// is replaced with the same care as a fixed source file.
pub fn write_new_contents(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if path.exists() {
        let original = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return replace_file(path, &original, text.as_bytes());
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".remediate-")
        .tempfile_in(dir)
        .with_context(|| format!("{}: creating a temporary file beside it", path.display()))?;
    std::io::Write::write_all(&mut temp, text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    temp.as_file().sync_all().with_context(|| format!("flushing {}", path.display()))?;
    temp.persist(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

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
}
