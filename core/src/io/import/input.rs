//! The input of an import: a file mapped or decompressed into memory, cut into pieces at line
//! ends, and the fingerprint that says whether it was imported before.

use crate::error::{Error, Result};
use std::hash::Hasher as _;
use std::io::Read;
use std::path::Path;

/// The input's bytes, decompressed: memory-mapped when plain, read whole when compressed.
pub(super) enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// Blocks of input memory given back to the system: whole 64 KiB blocks, as madvise wants
/// page-aligned ranges on any page size.
pub(super) const RELEASE_BLOCK: usize = 64 << 10;

impl Input {
    /// Gives back the memory of bytes `from..to` of `unit`, a slice of this input that is
    /// parsed: the whole blocks among them, and the block `from` is in when `from` is not the
    /// unit's start (the bytes of that block before `from` were parsed before, by the same
    /// caller). Blocks the unit shares with its neighbours are left to
    /// [`Input::release_unit_start`].
    pub(super) fn release_span(&self, unit: &[u8], from: usize, to: usize) {
        let Input::Mapped(m) = self else { return };
        let Some(base) = (unit.as_ptr() as usize).checked_sub(m.as_ptr() as usize) else { return };
        if base + unit.len() > m.len() || to > unit.len() {
            return;
        }
        let first = base.div_ceil(RELEASE_BLOCK) * RELEASE_BLOCK;
        let a = if from == 0 { first } else { ((base + from) / RELEASE_BLOCK * RELEASE_BLOCK).max(first) };
        let b = (base + to) / RELEASE_BLOCK * RELEASE_BLOCK;
        if b > a {
            // SAFETY: a read-only map of a file; dropped pages are read again from the file if
            // touched, and these bytes were parsed.
            let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, a, b - a) };
        }
    }

    /// Gives back the memory of everything before `end`, which is read (the map's pages, not
    /// the file), from `from` on, in whole blocks. Returns how far it released.
    pub(super) fn release(&self, from: usize, end: usize) -> usize {
        let to = end / RELEASE_BLOCK * RELEASE_BLOCK;
        if let Input::Mapped(m) = self
            && to > from
        {
            // SAFETY: a read-only map of a file; dropping pages only means reading them again
            // from the file if touched, and nothing before `end` is read again.
            let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from) };
            return to;
        }
        from
    }

    /// Gives back, once the unit at `span` and every unit before it are parsed, what its own
    /// thread left ([`Input::release_span`]): the block it shares with the unit before (and the
    /// header), from `from` on. Returns how far the input's memory is now given back.
    pub(super) fn release_unit_start(&self, from: usize, span: std::ops::Range<usize>) -> usize {
        let start_block_end = span.start.div_ceil(RELEASE_BLOCK) * RELEASE_BLOCK;
        let own_blocks_end = span.end / RELEASE_BLOCK * RELEASE_BLOCK;
        if start_block_end <= own_blocks_end {
            self.release(from, start_block_end);
            own_blocks_end
        } else {
            // A unit inside one block (a file's short last one): it has no blocks of its own.
            self.release(from, span.end)
        }
    }
}

/// Whole pieces of an input, parsed as one batch of rows.
#[derive(Clone, Copy)]
pub(crate) struct Unit<'a> {
    /// The bytes, from a piece's start to a piece's end.
    pub(super) bytes: &'a [u8],
    /// The input they are part of, whose memory is given back as they are parsed.
    pub(super) input: Option<&'a Input>,
}

#[cfg(test)]
impl<'a> From<&'a [u8]> for Unit<'a> {
    /// Bytes parsed on their own, part of no input whose memory is given back.
    fn from(bytes: &'a [u8]) -> Unit<'a> {
        Unit { bytes, input: None }
    }
}

impl std::ops::Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m,
            Input::Owned(v) => v,
        }
    }
}

/// The xxh3 of a whole map, hashed a block at a time, each block's pages given back once
/// hashed: a whole-file pass would otherwise hold the entire file in this process's memory.
pub(super) fn hash_map(map: &memmap2::Mmap) -> u64 {
    let mut hasher = Xxh3::with_seed(0);
    const BLOCK: usize = 64 << 20;
    for start in (0..map.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(map.len());
        hasher.write(&map[start..end]);
        // SAFETY: a read-only map of a file; dropped pages are read again from the file.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
    hasher.finish()
}

/// Opens an input. A compressed file is hashed (its fingerprint is that of the compressed
/// bytes) and decompressed here; a plain file's fingerprint is left to the caller, who can
/// hash it while parsing it.
pub(super) fn open(path: &Path, name: &str) -> Result<(Input, Option<u64>)> {
    let io = |e: std::io::Error| Error::io(path, e);
    if path.is_dir() {
        return Err(Error::invalid("file", format!("{name} is a directory: name the files in it to import them")));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // SAFETY: the map is read-only; a file truncated under us would fault like any reader's
    // I/O error would surface. Import inputs are not the store's own files.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    let compressed = map.starts_with(&[0x1f, 0x8b]) || map.starts_with(b"PK\x03\x04");
    if !compressed {
        return Ok((Input::Mapped(map), None));
    }
    let fingerprint = Some(hash_map(&map));
    if map.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(map.len() * 4);
        flate2::read::MultiGzDecoder::new(&map[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::invalid("file", format!("{name}: not a readable gzip file: {e}")))?;
        return Ok((Input::Owned(out), fingerprint));
    }
    {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&map[..]))
            .map_err(|e| Error::invalid("file", format!("{name}: not a readable zip file: {e}")))?;
        let mut out = Vec::new();
        for i in 0..archive.len() {
            let mut entry =
                archive.by_index(i).map_err(|e| Error::invalid("file", format!("{name}: zip entry {i}: {e}")))?;
            if entry.is_dir() {
                continue;
            }
            entry.read_to_end(&mut out).map_err(|e| Error::invalid("file", format!("{name}: zip entry {i}: {e}")))?;
            if !out.ends_with(b"\n") && !out.is_empty() {
                out.push(b'\n');
            }
        }
        Ok((Input::Owned(out), fingerprint))
    }
}

/// Bytes of a piece of input, which one thread parses at a time. A piece ends at the first line
/// end after this many bytes from its start, so pieces depend on the file alone and a plain
/// file's fingerprint can be made of their hashes, each taken by the thread that parses it. The
/// size is part of every fingerprint: changing it needs the same care as the whole-file hashes
/// of older stores (see `import_file`).
/// (Tests cut small files into many pieces and rounds.)
pub(super) const PIECE_BYTES: usize = if cfg!(test) { 4 << 10 } else { 32 << 20 };

/// Where the piece of `body` that starts at `start` ends.
pub(super) fn piece_end(body: &[u8], start: usize) -> usize {
    cut_after(body, start, PIECE_BYTES)
}

/// The end of the line in which `data` passes `bytes` bytes from `start` (or its end).
pub(super) fn cut_after(data: &[u8], start: usize, bytes: usize) -> usize {
    let target = start.saturating_add(bytes);
    if target >= data.len() {
        return data.len();
    }
    memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |p| target + p + 1)
}

/// Lines checked and parsed together, and sampled to estimate rows: a quarter MiB stays in the
/// cache between its UTF-8 check and its parsing.
pub(super) const CHUNK_BYTES: usize = 256 << 10;

/// XXH3 (64 bits, seed 0), the hash of files' fingerprints. This implementation picks AVX2 or
/// SSE2 as the CPU has them (a build for the baseline x86_64 target otherwise hashes with
/// SSE2 only, twice the time); the value is XXH3's, as the store's other hashes compute it.
pub(super) type Xxh3 = twox_hash::XxHash3_64;

/// A plain file's fingerprint: the xxh3 of the xxh3 of its header and of each of its pieces.
pub(super) fn fingerprint_of(header: &[u8], pieces: &[u64]) -> u64 {
    let mut h = Xxh3::with_seed(0);
    h.write(&Xxh3::oneshot(header).to_le_bytes());
    for piece in pieces {
        h.write(&piece.to_le_bytes());
    }
    h.finish()
}

/// A plain file's fingerprint taken before it is read; `hashed(end)` follows the pass (the
/// caller gives back the memory of what was hashed).
pub(super) fn hash_plain(data: &[u8], body_start: usize, mut hashed: impl FnMut(usize)) -> u64 {
    let body = &data[body_start..];
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let end = piece_end(body, start);
        pieces.push(Xxh3::oneshot(&body[start..end]));
        hashed(body_start + end);
        start = end;
    }
    fingerprint_of(&data[..body_start], &pieces)
}
