//! Finds the pickles inside a checkpoint file and walks them, reading only
//! the bytes they occupy: never tensor data.
//!
//! Containers, tried in the order `torch.load` tries them:
//! - zip (`torch.save` since 1.6): the archive's central directory names
//!   `<prefix>/data.pkl`, where `<prefix>` is the first member's top folder;
//!   only that member is read. ZIP64 is followed; a compressed `data.pkl`
//!   (torch stores members) or a broken directory is an error. An archive with
//!   `<prefix>/constants.pkl` is TorchScript.
//! - tar (before 1.0): the `pickle` member, and the first pickle of `storages`
//!   and `tensors`.
//! - the legacy stream (`_use_new_zipfile_serialization=False`): pickles of the
//!   magic number, the protocol version, the system info, the data and the
//!   storage keys, then raw storages.
//! - anything else starting with a pickle: a plain pickle, and the pickles
//!   concatenated after it.
//! - `.safetensors`: an 8-byte header length and a JSON header, checked.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};

use super::has_checkpoint_extension;
use super::pickle::{self, ErrorKind, Walk};

/// How a checkpoint file is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `torch.save`'s zip archive.
    TorchZip,
    /// A zip archive written by `torch.jit.save`.
    TorchScript,
    /// `torch.save(..., _use_new_zipfile_serialization=False)`.
    TorchLegacy,
    /// The tar archive of torch before 1.0.
    TorchTar,
    /// A pickle that `torch.save` did not write.
    Pickle,
    Safetensors,
    /// Not read, or not a format we know.
    Unknown,
}

impl Format {
    /// The name used in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::TorchZip => "torch-zip",
            Format::TorchScript => "torchscript",
            Format::TorchLegacy => "torch-legacy",
            Format::TorchTar => "torch-tar",
            Format::Pickle => "pickle",
            Format::Safetensors => "safetensors",
            Format::Unknown => "unknown",
        }
    }
}

/// What a file holds: its format, its pickles walked, and why reading stopped early.
#[derive(Debug)]
pub(crate) struct Contents {
    pub(crate) format: Format,
    pub(crate) pickles: Vec<Walk>,
    /// Why the file could not be read whole; the walks hold what was read before.
    pub(crate) error: Option<String>,
}

impl Contents {
    fn new(format: Format) -> Self {
        Contents { format, pickles: Vec::new(), error: None }
    }
}

/// torch's `MAGIC_NUMBER`, the first pickle of the legacy format.
const TORCH_MAGIC: i128 = 0x1950A86A20F9469CFC6C;
/// Pickles concatenated in a plain pickle file that are walked.
const MAX_CONCATENATED: usize = 1024;
/// Larger central directories, tar extension headers and safetensors headers are refused.
const MAX_DIRECTORY: u64 = 256 << 20;
const MAX_TAR_NAME: u64 = 1 << 20;
const MAX_SAFETENSORS_HEADER: u64 = 100 << 20;

/// Reads `path` and walks its pickles; errors end up in [`Contents::error`].
pub(crate) fn read(path: &Path) -> Contents {
    let mut contents = Contents::new(Format::Unknown);
    if let Err(e) = read_into(path, &mut contents) {
        contents.error = Some(format!("{e:#}"));
    }
    contents
}

/// Recognises the container by content (then by extension) and reads it, setting the format first.
fn read_into(path: &Path, contents: &mut Contents) -> Result<()> {
    let mut file = File::open(path).context("opening")?;
    let len = file.metadata().context("reading metadata")?.len();
    let head = read_range(&mut file, 0, len.min(512))?;
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if head.starts_with(b"PK\x03\x04") {
        contents.format = Format::TorchZip;
        zip(&mut file, len, contents)
    } else if extension == "safetensors" || looks_like_safetensors(&head, len) {
        contents.format = Format::Safetensors;
        safetensors(&mut file, len)
    } else if is_tar_header(&head) {
        contents.format = Format::TorchTar;
        tar(&mut file, len, contents)
    } else if head.first() == Some(&pickle::PROTO) || (starts_with_opcode(&head) && has_checkpoint_extension(path)) {
        contents.format = Format::Pickle;
        stream(&mut file, len, contents)
    } else {
        bail!("not a checkpoint: no zip, tar, pickle or safetensors signature")
    }
}

/// Protocols 0 and 1 have no `PROTO`: any opcode may come first.
fn starts_with_opcode(head: &[u8]) -> bool {
    head.first().is_some_and(|&b| pickle::opcode_name(b).is_some())
}

/// Reads `len` bytes at `offset`; the caller has checked they lie within the file.
fn read_range(file: &mut File, offset: u64, len: u64) -> Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset)).with_context(|| format!("seeking to byte {offset}"))?;
    // `len` is within the file; the first allocation is still capped, growth follows what is read.
    let mut out = Vec::with_capacity(usize::try_from(len.min(64 << 20)).unwrap_or(0));
    file.take(len).read_to_end(&mut out).with_context(|| format!("reading {len} bytes at {offset}"))?;
    if (out.len() as u64) < len {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof))
            .context(format!("file ends before byte {}", offset + len));
    }
    Ok(out)
}

/// Walks the pickle at `offset`, reading more of the file only while the walk runs out of bytes.
fn walk_at(file: &mut File, offset: u64, available: u64) -> Result<Walk> {
    let mut chunk = available.min(64 << 10);
    loop {
        let bytes = read_range(file, offset, chunk)?;
        let walk = pickle::walk(&bytes);
        let truncated = matches!(walk.error, Some(ref e) if e.kind == ErrorKind::Truncated);
        if !truncated || chunk == available {
            return Ok(walk);
        }
        chunk = available.min(chunk.saturating_mul(8));
    }
}

fn record(contents: &mut Contents, walk: Walk, what: &str) -> Result<u64> {
    let error = walk.error.clone();
    let end = walk.end as u64;
    contents.pickles.push(walk);
    match error {
        Some(e) => Err(anyhow!("{what}: {e}")),
        None => Ok(end),
    }
}

// ---- pickle streams --------------------------------------------------------

/// A file that starts with a pickle: torch's legacy format when the first pickle is its magic number.
fn stream(file: &mut File, len: u64, contents: &mut Contents) -> Result<()> {
    let first = walk_at(file, 0, len)?;
    if first.error.is_none() && first.result_int == Some(TORCH_MAGIC) {
        contents.format = Format::TorchLegacy;
    }
    let mut offset = record(contents, first, "pickle")?;
    if contents.format == Format::TorchLegacy {
        // After the magic number: the protocol version, the system info, the data, the storage keys.
        for name in ["protocol version", "system info", "data", "storage keys"] {
            ensure!(offset < len, "legacy checkpoint ends before its {name} pickle");
            let walk = walk_at(file, offset, len - offset)?;
            offset += record(contents, walk, &format!("{name} pickle"))?;
        }
        return Ok(());
    }
    // Files written by successive `pickle.dump` calls hold more pickles.
    while offset < len && contents.pickles.len() < MAX_CONCATENATED {
        if read_range(file, offset, 1)?[0] != pickle::PROTO {
            break;
        }
        let walk = walk_at(file, offset, len - offset)?;
        offset += record(contents, walk, &format!("pickle at byte {offset}"))?;
    }
    Ok(())
}

// ---- zip -------------------------------------------------------------------

/// One central directory entry.
struct ZipEntry {
    name: Vec<u8>,
    method: u16,
    compressed: u64,
    local_offset: u64,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

fn zip(file: &mut File, len: u64, contents: &mut Contents) -> Result<()> {
    let entries = zip_directory(file, len).context("broken zip archive")?;
    let first = entries.first().ok_or_else(|| anyhow!("empty zip archive"))?;
    let slash = first.name.iter().position(|&b| b == b'/');
    let prefix = &first.name[..slash.ok_or_else(|| anyhow!("zip member not in a folder: not a torch.save archive"))?];
    let member = |name: &str| [prefix, b"/", name.as_bytes()].concat();
    let (data_name, constants) = (member("data.pkl"), member("constants.pkl"));
    if entries.iter().any(|e| e.name == constants) {
        contents.format = Format::TorchScript;
    }
    let shown = String::from_utf8_lossy(&data_name).into_owned();
    let data = entries.iter().find(|e| e.name == data_name);
    let data = data.ok_or_else(|| anyhow!("no {shown} in the zip archive: not a torch.save archive"))?;
    ensure!(data.method == 0, "{shown} is compressed (method {}); torch.save stores members uncompressed", data.method);
    let start = zip_member_start(file, len, data).with_context(|| format!("broken zip member {shown}"))?;
    let bytes = read_range(file, start, data.compressed)?;
    record(contents, pickle::walk(&bytes), &shown)?;
    Ok(())
}

/// The central directory, found from the end-of-central-directory record (ZIP64 when it says so).
fn zip_directory(file: &mut File, len: u64) -> Result<Vec<ZipEntry>> {
    let tail_len = len.min(22 + 0xffff);
    let tail = read_range(file, len - tail_len, tail_len)?;
    let eocd = (0..tail.len().saturating_sub(21)).rev().find(|&i| tail[i..].starts_with(b"PK\x05\x06"));
    let eocd = eocd.ok_or_else(|| anyhow!("no end of central directory record"))?;
    let eocd_offset = len - tail_len + eocd as u64;
    let record = &tail[eocd..];
    let (mut count, mut size, mut offset) =
        (u64::from(le16(record, 10)), u64::from(le32(record, 12)), u64::from(le32(record, 16)));
    if count == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
        match zip64_directory(file, eocd_offset) {
            Ok(values) => (count, size, offset) = values,
            Err(e) if size == 0xffff_ffff || offset == 0xffff_ffff => return Err(e),
            Err(_) => {} // exactly 65535 entries, without ZIP64 records
        }
    }
    ensure!(offset.checked_add(size).is_some_and(|end| end <= len), "central directory beyond the end of the file");
    ensure!(size <= MAX_DIRECTORY, "central directory of {size} bytes");
    let directory = read_range(file, offset, size)?;
    parse_directory(&directory, count)
}

/// Entry count, size and offset of the central directory from the ZIP64 records.
fn zip64_directory(file: &mut File, eocd_offset: u64) -> Result<(u64, u64, u64)> {
    let locator_offset = eocd_offset.checked_sub(20).ok_or_else(|| anyhow!("no ZIP64 locator"))?;
    let locator = read_range(file, locator_offset, 20)?;
    ensure!(locator.starts_with(b"PK\x06\x07"), "no ZIP64 locator before the end record");
    let record_offset = le64(&locator, 8);
    ensure!(record_offset.checked_add(56).is_some_and(|end| end <= eocd_offset), "ZIP64 end record out of place");
    let record = read_range(file, record_offset, 56)?;
    ensure!(record.starts_with(b"PK\x06\x06"), "no ZIP64 end of central directory record");
    Ok((le64(&record, 32), le64(&record, 40), le64(&record, 48)))
}

fn parse_directory(directory: &[u8], count: u64) -> Result<Vec<ZipEntry>> {
    let mut entries = Vec::new();
    let mut at = 0;
    while (entries.len() as u64) < count {
        let fixed = directory.get(at..at + 46).ok_or_else(|| anyhow!("central directory ends early"))?;
        ensure!(fixed.starts_with(b"PK\x01\x02"), "bad central directory entry at byte {at}");
        let (name_len, extra_len, comment_len) =
            (usize::from(le16(fixed, 28)), usize::from(le16(fixed, 30)), usize::from(le16(fixed, 32)));
        let end = at + 46 + name_len + extra_len + comment_len;
        let entry = directory.get(at..end).ok_or_else(|| anyhow!("central directory entry beyond its end"))?;
        let name = entry[46..46 + name_len].to_vec();
        let extra = &entry[46 + name_len..46 + name_len + extra_len];
        let (compressed, local_offset) = zip64_sizes(fixed, extra)?;
        entries.push(ZipEntry { name, method: le16(fixed, 10), compressed, local_offset });
        at = end;
    }
    Ok(entries)
}

/// The compressed size and local header offset, from the ZIP64 extra field when the 32-bit ones are saturated.
fn zip64_sizes(fixed: &[u8], extra: &[u8]) -> Result<(u64, u64)> {
    let (uncompressed, mut compressed, mut offset) =
        (u64::from(le32(fixed, 24)), u64::from(le32(fixed, 20)), u64::from(le32(fixed, 42)));
    if uncompressed != 0xffff_ffff && compressed != 0xffff_ffff && offset != 0xffff_ffff {
        return Ok((compressed, offset));
    }
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, size) = (le16(extra, at), usize::from(le16(extra, at + 2)));
        let body = extra.get(at + 4..at + 4 + size).ok_or_else(|| anyhow!("extra field beyond its entry"))?;
        if id == 1 {
            let mut fields = body.chunks_exact(8).map(|c| le64(c, 0));
            let mut next = || fields.next().ok_or_else(|| anyhow!("ZIP64 extra field too short"));
            if uncompressed == 0xffff_ffff {
                next()?;
            }
            if compressed == 0xffff_ffff {
                compressed = next()?;
            }
            if offset == 0xffff_ffff {
                offset = next()?;
            }
            return Ok((compressed, offset));
        }
        at += 4 + size;
    }
    bail!("32-bit sizes saturated but no ZIP64 extra field")
}

/// Where a member's data starts, after its local header.
fn zip_member_start(file: &mut File, len: u64, entry: &ZipEntry) -> Result<u64> {
    ensure!(entry.local_offset.checked_add(30).is_some_and(|end| end <= len), "local header beyond the file");
    let header = read_range(file, entry.local_offset, 30)?;
    ensure!(header.starts_with(b"PK\x03\x04"), "no local header at byte {}", entry.local_offset);
    let start = entry.local_offset + 30 + u64::from(le16(&header, 26)) + u64::from(le16(&header, 28));
    ensure!(start.checked_add(entry.compressed).is_some_and(|end| end <= len), "member data beyond the file");
    Ok(start)
}

// ---- tar -------------------------------------------------------------------

/// A tar header: its checksum (bytes summed with the checksum field as spaces) matches.
fn is_tar_header(head: &[u8]) -> bool {
    head.len() >= 512 && head[..512].iter().any(|&b| b != 0) && tar_checksum_ok(&head[..512])
}

fn tar_checksum_ok(header: &[u8]) -> bool {
    let sum: u64 =
        header.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) }).sum();
    tar_number(&header[148..156]) == Some(sum)
}

/// An octal field, or GNU's base-256 when the high bit is set.
fn tar_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        return field[1..].iter().try_fold(0u64, |n, &b| n.checked_mul(256)?.checked_add(u64::from(b)));
    }
    let text = std::str::from_utf8(field).ok()?.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

fn tar_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The `path` record of a PAX extended header (`<len> path=<value>\n` records).
fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines().find_map(|line| line.split_once(' ')?.1.strip_prefix("path=").map(str::to_owned))
}

fn tar(file: &mut File, len: u64, contents: &mut Contents) -> Result<()> {
    let mut offset = 0u64;
    let mut long_name: Option<String> = None;
    let mut found_pickle = false;
    while offset + 512 <= len {
        let header = read_range(file, offset, 512)?;
        if header.iter().all(|&b| b == 0) {
            break;
        }
        ensure!(tar_checksum_ok(&header), "broken tar header at byte {offset}");
        let size = tar_number(&header[124..136]).ok_or_else(|| anyhow!("bad size in tar header at {offset}"))?;
        let data = offset + 512;
        ensure!(data.checked_add(size).is_some_and(|end| end <= len), "tar member beyond the end of the file");
        let name = long_name.take().unwrap_or_else(|| tar_member_name(&header));
        match header[156] {
            b'x' | b'L' => {
                ensure!(size <= MAX_TAR_NAME, "tar extension header of {size} bytes");
                let body = read_range(file, data, size)?;
                long_name = if header[156] == b'x' { pax_path(&body) } else { Some(tar_text(&body)) };
            }
            b'0' | 0 => match name.as_str() {
                "pickle" => {
                    found_pickle = true;
                    record(contents, walk_at(file, data, size)?, "tar member pickle")?;
                }
                // Their first pickle is a count; raw storage data follows.
                "storages" | "tensors" if size > 0 => {
                    record(contents, walk_at(file, data, size)?, &format!("tar member {name}"))?;
                }
                _ => {}
            },
            _ => {}
        }
        offset = data + size.div_ceil(512) * 512;
    }
    ensure!(found_pickle, "tar archive without a `pickle` member: not a torch checkpoint");
    Ok(())
}

fn tar_member_name(header: &[u8]) -> String {
    let name = tar_text(&header[..100]);
    let prefix = if &header[257..262] == b"ustar" { tar_text(&header[345..500]) } else { String::new() };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

// ---- safetensors -----------------------------------------------------------

fn looks_like_safetensors(head: &[u8], len: u64) -> bool {
    head.len() > 8 && head[8] == b'{' && le64(head, 0).checked_add(8).is_some_and(|end| end <= len)
}

/// Checks the header: its length, its JSON, and that every tensor's bytes lie in the file.
fn safetensors(file: &mut File, len: u64) -> Result<()> {
    ensure!(len >= 8, "safetensors file shorter than its 8-byte header length");
    let header_len = le64(&read_range(file, 0, 8)?, 0);
    ensure!(
        header_len <= MAX_SAFETENSORS_HEADER,
        "safetensors header of {header_len} bytes (the format allows 100 MB)"
    );
    ensure!(header_len + 8 <= len, "safetensors header of {header_len} bytes beyond the end of the file");
    let header = read_range(file, 8, header_len)?;
    let json: serde_json::Value = serde_json::from_slice(&header).context("safetensors header is not JSON")?;
    let tensors = json.as_object().ok_or_else(|| anyhow!("safetensors header is not a JSON object"))?;
    let data_len = len - 8 - header_len;
    for (name, tensor) in tensors {
        if name == "__metadata__" {
            let strings = tensor.as_object().is_some_and(|m| m.values().all(serde_json::Value::is_string));
            ensure!(strings, "safetensors __metadata__ is not a map of strings");
            continue;
        }
        let offsets = tensor.get("data_offsets").and_then(|o| o.as_array());
        let range: Option<Vec<u64>> = offsets.map(|o| o.iter().filter_map(serde_json::Value::as_u64).collect());
        let valid = tensor.get("dtype").is_some_and(serde_json::Value::is_string)
            && tensor.get("shape").and_then(|s| s.as_array()).is_some_and(|s| s.iter().all(|d| d.is_u64()))
            && matches!(range.as_deref(), Some([begin, end]) if begin <= end && *end <= data_len);
        ensure!(valid, "safetensors tensor {name:?}: bad dtype, shape or data_offsets");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8], name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        File::create(&path).unwrap().write_all(bytes).unwrap();
        (dir, path)
    }

    /// `{"a": posix.system}` at protocol 2, the shape of a torch data.pkl.
    fn data_pickle() -> Vec<u8> {
        let mut p = vec![0x80, 2, b'}', b'X', 1, 0, 0, 0, b'a', b'c'];
        p.extend_from_slice(b"posix\nsystem\n");
        p.extend([b's', b'.']);
        p
    }

    /// A zip as torch writes it: stored members under one folder; `zip64` forces the ZIP64 records.
    fn zip_bytes(members: &[(&str, &[u8])], method: u16, zip64: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, data) in members {
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend([20, 0, 0, 0]);
            out.extend(method.to_le_bytes());
            out.extend([0; 8]); // time, date, crc
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(4u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend([0xff, 0xff, 0, 0]); // an unrelated extra field
            out.extend_from_slice(data);
            directory.extend_from_slice(b"PK\x01\x02");
            directory.extend([20, 0, 20, 0, 0, 0]);
            directory.extend(method.to_le_bytes());
            directory.extend([0; 8]);
            let (size, local) = if zip64 { (0xffff_ffffu32, 0xffff_ffffu32) } else { (data.len() as u32, offset) };
            directory.extend(size.to_le_bytes());
            directory.extend(size.to_le_bytes());
            directory.extend((name.len() as u16).to_le_bytes());
            directory.extend((if zip64 { 28u16 } else { 0 }).to_le_bytes());
            directory.extend([0; 10]); // comment length, disk, attributes
            directory.extend(local.to_le_bytes());
            directory.extend_from_slice(name.as_bytes());
            if zip64 {
                directory.extend([1, 0, 24, 0]);
                directory.extend((data.len() as u64).to_le_bytes());
                directory.extend((data.len() as u64).to_le_bytes());
                directory.extend(u64::from(offset).to_le_bytes());
            }
        }
        let directory_offset = out.len() as u64;
        out.extend_from_slice(&directory);
        let count = members.len() as u64;
        if zip64 {
            let record = out.len() as u64;
            out.extend_from_slice(b"PK\x06\x06");
            out.extend(44u64.to_le_bytes());
            out.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend(count.to_le_bytes());
            out.extend(count.to_le_bytes());
            out.extend((directory.len() as u64).to_le_bytes());
            out.extend(directory_offset.to_le_bytes());
            out.extend_from_slice(b"PK\x06\x07");
            out.extend([0; 4]);
            out.extend(record.to_le_bytes());
            out.extend(1u32.to_le_bytes());
        }
        out.extend_from_slice(b"PK\x05\x06");
        out.extend([0; 4]);
        let (short_count, size, offset) = if zip64 {
            (0xffffu16, 0xffff_ffffu32, 0xffff_ffffu32)
        } else {
            (count as u16, directory.len() as u32, directory_offset as u32)
        };
        out.extend(short_count.to_le_bytes());
        out.extend(short_count.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    fn global_names(contents: &Contents) -> Vec<String> {
        let walks = contents.pickles.iter().flat_map(|w| &w.globals);
        walks.map(|g| format!("{:?}", g.reference)).collect()
    }

    #[test]
    fn zip_reads_only_data_pkl() {
        let tensor = vec![0xabu8; 4096];
        for zip64 in [false, true] {
            let bytes = zip_bytes(&[("ckpt/data.pkl", &data_pickle()), ("ckpt/data/0", &tensor)], 0, zip64);
            let (_dir, path) = file_with(&bytes, "ckpt.pt");
            let contents = read(&path);
            assert_eq!(contents.error, None, "zip64={zip64}");
            assert_eq!(contents.format, Format::TorchZip);
            assert_eq!(global_names(&contents), [r#"Named { module: "posix", name: "system" }"#]);
        }
    }

    #[test]
    fn torchscript_and_broken_zips() {
        let script = zip_bytes(&[("m/data.pkl", &data_pickle()), ("m/constants.pkl", b"\x80\x02).")], 0, false);
        let (_d, path) = file_with(&script, "m.pt");
        assert_eq!(read(&path).format, Format::TorchScript);

        let compressed = zip_bytes(&[("c/data.pkl", &data_pickle())], 8, false);
        let (_d, path) = file_with(&compressed, "c.pt");
        let contents = read(&path);
        assert!(contents.error.unwrap().contains("compressed (method 8)"));

        let no_data = zip_bytes(&[("x/other", b"1")], 0, false);
        let (_d, path) = file_with(&no_data, "x.pt");
        assert!(read(&path).error.unwrap().contains("no x/data.pkl"));

        let mut cut = zip_bytes(&[("t/data.pkl", &data_pickle())], 0, false);
        cut.truncate(cut.len() - 10);
        let (_d, path) = file_with(&cut, "t.pt");
        assert!(read(&path).error.unwrap().contains("broken zip archive"));

        // Every truncation and every corrupted byte is an error or a result, never a panic.
        let good = zip_bytes(&[("g/data.pkl", &data_pickle())], 0, true);
        for i in 0..good.len() {
            let (_d, path) = file_with(&good[..i], "g.pt");
            read(&path);
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let (_d, path) = file_with(&bad, "g.pt");
            read(&path);
        }
    }

    fn legacy_bytes() -> Vec<u8> {
        let mut out = vec![0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, b'.'];
        out.extend([0x80, 2, b'M', 0xe9, 0x03, b'.']); // 1001
        out.extend([0x80, 2, b'}', b'.']); // system info
        out.extend(data_pickle());
        out.extend([0x80, 2, b']', b'.']); // storage keys
        out.extend([0x80; 64]); // raw storage bytes, not pickles
        out
    }

    #[test]
    fn legacy_stream_has_five_pickles() {
        let (_d, path) = file_with(&legacy_bytes(), "old.pt");
        let contents = read(&path);
        assert_eq!(contents.error, None);
        assert_eq!(contents.format, Format::TorchLegacy);
        assert_eq!(contents.pickles.len(), 5);
        assert_eq!(global_names(&contents).len(), 1);
    }

    #[test]
    fn plain_pickles_and_concatenated_ones() {
        let mut bytes = vec![0x80, 4, b'N', b'.'];
        bytes.extend(data_pickle());
        let (_d, path) = file_with(&bytes, "two.pkl");
        let contents = read(&path);
        assert_eq!(contents.format, Format::Pickle);
        assert_eq!(contents.pickles.len(), 2);
        assert_eq!(global_names(&contents).len(), 1);

        // Protocol 0 starts with no PROTO.
        let (_d, path) = file_with(b"cos\nsystem\n(S'x'\ntR.", "p0.pkl");
        let contents = read(&path);
        assert_eq!((contents.format, contents.error), (Format::Pickle, None));

        let (_d, path) = file_with(&[0x80, 2, b'c', b'o', b's'], "cut.pkl");
        assert!(read(&path).error.unwrap().contains("truncated"));
    }

    fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in members {
            let mut header = [0u8; 512];
            header[..name.len()].copy_from_slice(name.as_bytes());
            header[100..107].copy_from_slice(b"0000644");
            header[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
            header[156] = b'0';
            header[257..263].copy_from_slice(b"ustar\0");
            header[148..156].copy_from_slice(b"        ");
            let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
            header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            out.extend_from_slice(&header);
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend([0; 1024]);
        out
    }

    #[test]
    fn tar_members() {
        let bytes = tar_bytes(&[("storages", b"\x80\x02K\x00.raw"), ("pickle", &data_pickle()), ("tensors", b"")]);
        let (_d, path) = file_with(&bytes, "old.tar");
        let contents = read(&path);
        assert_eq!(contents.error, None);
        assert_eq!(contents.format, Format::TorchTar);
        assert_eq!(contents.pickles.len(), 2);
        assert_eq!(global_names(&contents).len(), 1);

        let (_d, path) = file_with(&tar_bytes(&[("readme", b"hi")]), "other.tar");
        assert!(read(&path).error.unwrap().contains("without a `pickle` member"));
    }

    #[test]
    fn safetensors_header_is_checked() {
        let header = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header);
        bytes.extend([0; 8]);
        let (_d, path) = file_with(&bytes, "model.safetensors");
        let contents = read(&path);
        assert_eq!((contents.format, contents.error), (Format::Safetensors, None));
        // Detected by content too.
        let (_d, path) = file_with(&bytes, "model.bin");
        assert_eq!(read(&path).format, Format::Safetensors);

        bytes.truncate(bytes.len() - 1);
        let (_d, path) = file_with(&bytes, "short.safetensors");
        assert!(read(&path).error.unwrap().contains("data_offsets"));
        let (_d, path) = file_with(&u64::MAX.to_le_bytes(), "huge.safetensors");
        assert!(read(&path).error.is_some());
    }

    #[test]
    fn unknown_content() {
        let (_d, path) = file_with(b"\x00\x01garbage", "x.bin");
        let contents = read(&path);
        assert_eq!(contents.format, Format::Unknown);
        assert!(contents.error.unwrap().contains("no zip, tar, pickle or safetensors signature"));
        let contents = read(Path::new("/nonexistent/x.pt"));
        assert!(contents.error.unwrap().contains("opening"));
    }
}
