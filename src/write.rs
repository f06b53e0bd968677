//! Writing a fixed file without ever leaving it half-written: the new bytes
//! go to a temporary file in the same directory, which then replaces the
//! original by rename. Permissions are kept; a file that changed since it
//! was read, a symbolic link and a read-only file are refused.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

pub fn replace_file(path: &Path, original: &[u8], new: &[u8]) -> Result<()> {
    let meta = fs::symlink_metadata(path).with_context(|| format!("{}: reading metadata", path.display()))?;
    if meta.file_type().is_symlink() {
        bail!("{}: is a symbolic link; not rewritten through the link", path.display());
    }
    if meta.permissions().readonly() {
        bail!("{}: is read-only; not rewritten", path.display());
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
