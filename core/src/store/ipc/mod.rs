//! The segment file format: one Arrow IPC file of one event batch, memory-mapped and decoded
//! without copying. A column a segment has no value in is written as Arrow's null type and read
//! back as a null column of its own type; so is a column whose every row holds one value (an
//! import's `origin`, its empty `topics`), with that value in the field's metadata under
//! `detente.same` ([`to_stored`], [`from_stored`]). The footer's custom metadata holds the
//! segment's place in the store ([`SegmentMeta`]); the file's name, the XXH3 of its bytes,
//! checked before any value is decoded ([`read_segment`]).

mod check;
mod stored;

use super::files::{META_KEY, SegmentMeta, SegmentName, checksum, damaged};
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::convert::fb_to_schema;
use arrow_ipc::reader::{FileDecoder, read_footer_length};
use arrow_ipc::root_as_footer;
use arrow_ipc::writer::FileWriter;
use arrow_schema::ArrowError;
use check::check_segment;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;
use stored::{from_stored, is_stored_schema, to_stored};

/// A segment as read from its file: its events and, for files of this build's format, its
/// place in the store.
#[derive(Debug)]
pub(super) struct ReadSegment {
    /// The events.
    pub batch: RecordBatch,
    /// The footer's [`SegmentMeta`]; `None` in files of older builds.
    pub meta: Option<SegmentMeta>,
}

/// Reads a segment file: its checksum (when its name carries one) and every value checked
/// before anything is returned. With `release`, the pages the checks read are dropped from
/// the mapping afterwards (they stay in the page cache and map back in when a query reads
/// them).
pub(super) fn read_segment(path: &Path, release: bool) -> Result<ReadSegment> {
    read_mapped_segment(path, map_segment(path)?, release)
}

/// Writes a batch as a segment file (its footer holding `meta`) into `file`; returns the file.
pub(super) fn write_segment_file<W: Write>(out: W, batch: &RecordBatch, meta: &SegmentMeta) -> Result<W> {
    let arrow = |e: ArrowError| Error::Internal(format!("writing a segment: {e}"));
    let stored = to_stored(batch).map_err(arrow)?;
    let mut w = FileWriter::try_new(out, &stored.schema()).map_err(arrow)?;
    w.write_metadata(META_KEY, meta.to_json());
    w.write(&stored).map_err(arrow)?;
    w.finish().map_err(arrow)?;
    w.into_inner().map_err(arrow)
}

/// Maps a segment file (its descriptor closed again: a store may hold more segments than a
/// process may open files).
pub(super) fn map_segment(path: &Path) -> Result<memmap2::Mmap> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: segment files are immutable once renamed into place; nothing truncates them. A
    // merge deletes the files it merged, which leaves a mapping valid (the file lives on until
    // it is unmapped).
    unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))
}

/// The [`SegmentMeta`] in a segment file's footer, read without decoding (or checking) its rows.
pub(super) fn read_meta(path: &Path) -> Result<Option<SegmentMeta>> {
    let corrupt = |m: String| Error::Corrupt { path: path.to_path_buf(), message: m };
    let mmap = map_segment(path)?;
    let footer = footer_of(&mmap).map_err(corrupt)?;
    meta_of(&footer).map_err(corrupt)
}

/// The footer of an Arrow IPC file's bytes.
fn footer_of(bytes: &[u8]) -> std::result::Result<arrow_ipc::Footer<'_>, String> {
    let len = bytes.len();
    if len < 10 {
        return Err("file too short".into());
    }
    let trailer: [u8; 10] = bytes[len - 10..].try_into().map_err(|_| "bad trailer".to_string())?;
    let footer_len = read_footer_length(trailer).map_err(|e| e.to_string())?;
    if footer_len + 10 > len {
        return Err("bad footer length".into());
    }
    root_as_footer(&bytes[len - 10 - footer_len..len - 10]).map_err(|e| e.to_string())
}

/// The [`SegmentMeta`] a footer holds, if any.
fn meta_of(footer: &arrow_ipc::Footer<'_>) -> std::result::Result<Option<SegmentMeta>, String> {
    footer
        .custom_metadata()
        .and_then(|kv| kv.iter().find(|e| e.key() == Some(META_KEY)))
        .map(|e| SegmentMeta::from_json(e.value().unwrap_or("")))
        .transpose()
}

/// [`read_segment`] of a file already mapped.
pub(super) fn read_mapped_segment(path: &Path, mmap: memmap2::Mmap, release: bool) -> Result<ReadSegment> {
    if let Some(name) = SegmentName::of(path) {
        let found = checksum(&mmap);
        if found != name.checksum {
            return Err(damaged(
                path,
                format!(
                    "the segment is damaged: its bytes hash to {found:016x}, not the {:016x} its name records",
                    name.checksum
                ),
            ));
        }
    }
    // Arrow asserts some of what a damaged file breaks (a schema type it does not know, and,
    // without its validation, a node longer than its buffer): that is an error here, not a crash.
    let mmap = std::panic::AssertUnwindSafe(mmap);
    std::panic::catch_unwind(move || decode_segment_file(path, mmap.0, release)).unwrap_or_else(|_| {
        Err(Error::Corrupt { path: path.to_path_buf(), message: "the file does not hold what it says".into() })
    })
}

fn decode_segment_file(path: &Path, mmap: memmap2::Mmap, release: bool) -> Result<ReadSegment> {
    let corrupt = |m: String| Error::Corrupt { path: path.to_path_buf(), message: m };
    if mmap.len() < 10 {
        return Err(corrupt("file too short".into()));
    }
    let len = mmap.len();
    let ptr = NonNull::new(mmap.as_ptr() as *mut u8).ok_or_else(|| corrupt("empty mapping".into()))?;
    // SAFETY: the pointer and length describe the mapping, which the Arc keeps alive as long as
    // any buffer slice refers to it.
    let mmap = Arc::new(mmap);
    let buffer = unsafe { Buffer::from_custom_allocation(ptr, len, mmap.clone()) };
    let footer = footer_of(&buffer).map_err(corrupt)?;
    let meta = meta_of(&footer).map_err(corrupt)?;
    let schema = footer.schema().map(fb_to_schema).ok_or_else(|| corrupt("no schema".into()))?;
    if !is_stored_schema(&schema) {
        return Err(corrupt("the segment's schema is not the event schema".into()));
    }
    // SAFETY: `check_segment` below makes every check arrow's own validation would (layouts,
    // offsets, UTF-8, nulls), and a stricter one of dictionary keys, before the batch is used.
    let mut decoder = unsafe { FileDecoder::new(Arc::new(schema), footer.version()).with_skip_validation(true) };
    let block_data = |b: &arrow_ipc::Block| -> Result<Buffer> {
        let start = usize::try_from(b.offset()).map_err(|_| corrupt("bad block offset".into()))?;
        let n = b.metaDataLength() as usize + b.bodyLength() as usize;
        if start.checked_add(n).is_none_or(|end| end > len) {
            return Err(corrupt("block outside the file".into()));
        }
        Ok(buffer.slice_with_length(start, n))
    };
    let blocks = footer.recordBatches().ok_or_else(|| corrupt("no record batches".into()))?;
    if blocks.len() != 1 {
        return Err(corrupt(format!("expected one record batch, found {}", blocks.len())));
    }
    let block = blocks.get(0);
    let data = block_data(block)?;
    for block in footer.dictionaries().iter().flatten() {
        let data = block_data(block)?;
        decoder.read_dictionary(block, &data).map_err(|e| corrupt(e.to_string()))?;
    }
    let batch = decoder
        .read_record_batch(block, &data)
        .map_err(|e| corrupt(e.to_string()))?
        .ok_or_else(|| corrupt("empty batch".into()))?;
    check_segment(&batch).map_err(|e| corrupt(e.to_string()))?;
    let batch = from_stored(batch).map_err(|e| corrupt(e.to_string()))?;
    if let Some(m) = &meta
        && m.rows != batch.num_rows() as u64
    {
        return Err(corrupt(format!("{} rows where its footer says {}", batch.num_rows(), m.rows)));
    }
    if release {
        // SAFETY: a read-only map of an immutable file; dropped pages are read again from the
        // page cache (or the file) when touched, with the same content.
        let _ = unsafe { mmap.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
    }
    Ok(ReadSegment { batch, meta })
}

#[cfg(test)]
mod tests;
