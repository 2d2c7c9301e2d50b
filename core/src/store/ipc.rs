//! The segment file format: one Arrow IPC file of one event batch, memory-mapped and decoded
//! without copying. A column a segment has no value in is written as Arrow's null type and read
//! back as a null column of its own type; so is a column whose every row holds one value (an
//! import's `origin`, its empty `topics`), with that value in the field's metadata under
//! `detente.same` ([`to_stored`], [`from_stored`]). The footer's custom metadata holds the
//! segment's place in the store ([`SegmentMeta`]); the file's name, the XXH3 of its bytes,
//! checked before any value is decoded ([`read_segment`]).

use super::files::{META_KEY, SegmentMeta, SegmentName, checksum, damaged};
use crate::domain::columnar::event_schema;
use crate::error::{Error, Result};
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, DictionaryArray, ListArray, NullArray, RecordBatch, StringArray};
use arrow_buffer::Buffer;
use arrow_data::{ArrayData, ArrayDataBuilder};
use arrow_ipc::convert::fb_to_schema;
use arrow_ipc::reader::{FileDecoder, read_footer_length};
use arrow_ipc::root_as_footer;
use arrow_ipc::writer::FileWriter;
use arrow_schema::{ArrowError, DataType, Field, FieldRef, Schema};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

/// A segment as read from its file: its events and, for files of this build's format, its
/// place in the store.
#[derive(Debug)]
pub(super) struct ReadSegment {
    /// The events.
    pub batch: RecordBatch,
    /// The footer's [`SegmentMeta`]; `None` in files of older builds.
    pub meta: Option<SegmentMeta>,
}

/// Memory-maps one Arrow IPC file of a single event batch and decodes it without copying. A
/// segment file named with its checksum is checked against it first.
pub fn read_ipc_mmap(path: &Path) -> Result<RecordBatch> {
    Ok(read_segment(path, false)?.batch)
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

/// The field metadata key of a column stored as the null type because every row of it holds one
/// value: that value (a dictionary's string; for a list, the empty list, "").
const SAME: &str = "detente.same";

/// How a segment file holds one event column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stored<'a> {
    /// As the event schema types it.
    Plain,
    /// As the null type: no row has a value.
    Null,
    /// As the null type with [`SAME`] in its metadata: every row holds this value.
    Same(&'a str),
}

/// How `stored`, a field of a segment file's schema, holds the event field `field`; `None` when
/// it cannot be that field.
fn stored_as<'a>(field: &Field, stored: &'a Field) -> Option<Stored<'a>> {
    if stored.name() != field.name() {
        return None;
    }
    if stored.data_type() != &DataType::Null || field.data_type() == &DataType::Null {
        return (stored == field).then_some(Stored::Plain);
    }
    match (stored.metadata().get(SAME), field.data_type()) {
        (None, _) => field.is_nullable().then_some(Stored::Null),
        (Some(value), DataType::Dictionary(key, values)) if **key == DataType::Int32 && **values == DataType::Utf8 => {
            Some(Stored::Same(value))
        }
        (Some(value), DataType::List(_)) if value.is_empty() => Some(Stored::Same(value)),
        (Some(_), _) => None,
    }
}

/// The one value every row of `column` holds, when it is a dictionary of strings without nulls
/// whose keys all point at one string, or a list column of empty lists without nulls.
fn same_value(column: &ArrayRef) -> Option<&str> {
    if column.is_empty() || column.null_count() > 0 {
        return None;
    }
    if let Some(dict) = column.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
        let keys = dict.keys().values();
        let values = dict.values().as_any().downcast_ref::<StringArray>()?;
        let first = usize::try_from(keys[0]).ok().filter(|&k| k < values.len() && values.is_valid(k))?;
        let value = values.value(first);
        // Keys are compared by the strings they point at: batches joined into one write (small
        // files) or merged hold a dictionary with the value once per batch. Each dictionary
        // entry is compared once (0: not yet, 1: the value, 2: another).
        let mut seen = vec![0u8; values.len()];
        let same = keys.iter().all(|&k| {
            let Some(at) = usize::try_from(k).ok().filter(|&at| at < values.len()) else { return false };
            if seen[at] == 0 {
                seen[at] = if values.is_valid(at) && values.value(at) == value { 1 } else { 2 };
            }
            seen[at] == 1
        });
        return same.then_some(value);
    }
    let list = column.as_any().downcast_ref::<ListArray>()?;
    let offsets = list.value_offsets();
    (offsets.first() == offsets.last()).then_some("")
}

/// A batch as a segment file holds it: a nullable column without a value in this batch is
/// written as Arrow's null type, which has no buffers (imported GDELT rows leave 5 to 7 of the
/// 31 columns empty: in the generated benchmark file, 33 of 159 bytes a row); so is a column
/// whose rows all hold one value, named in its metadata (an import's `origin` and
/// `date_precision`, its empty `topics` and `participants`: 16 of the 142 bytes a row left).
fn to_stored(batch: &RecordBatch) -> std::result::Result<RecordBatch, ArrowError> {
    let null_field = |name: &str| Field::new(name, DataType::Null, true);
    let (fields, columns): (Vec<FieldRef>, Vec<ArrayRef>) = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            let null = || -> ArrayRef { Arc::new(NullArray::new(column.len())) };
            if field.is_nullable() && !column.is_empty() && column.null_count() == column.len() {
                (Arc::new(null_field(field.name())), null())
            } else if let Some(value) = same_value(column) {
                let metadata = HashMap::from([(SAME.to_string(), value.to_string())]);
                (Arc::new(null_field(field.name()).with_metadata(metadata)), null())
            } else {
                (field.clone(), column.clone())
            }
        })
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Whether a segment file's schema is the event schema, some of its fields written as the null
/// type ([`to_stored`]).
fn is_stored_schema(schema: &Schema) -> bool {
    let event = event_schema();
    schema.fields().len() == event.fields().len()
        && schema.fields().iter().zip(event.fields()).all(|(stored, field)| stored_as(field, stored).is_some())
}

/// The event batch of a checked segment: a column stored as the null type comes back as a null
/// column of its type, or as its one value repeated. Its buffers are slices of one read-only
/// anonymous mapping, whose pages all read as the system's one page of zeros: such a column
/// takes no memory, where arrow's null arrays would allocate and zero their full size.
fn from_stored(batch: RecordBatch) -> std::result::Result<RecordBatch, ArrowError> {
    let n = batch.num_rows();
    let stored = batch.schema();
    fn how<'a>((field, stored): (&FieldRef, &'a FieldRef)) -> Stored<'a> {
        stored_as(field, stored).unwrap_or(Stored::Plain)
    }
    let event = event_schema();
    if event.fields().iter().zip(stored.fields()).all(|f| how(f) == Stored::Plain) {
        return RecordBatch::try_new(event, batch.columns().to_vec());
    }
    // The widest buffer such a column has: two u32 per row (`span`).
    let zeros = zeros(8 * n + 64).map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
    let columns = event
        .fields()
        .iter()
        .zip(stored.fields())
        .zip(batch.columns())
        .map(|(f, column)| match how(f) {
            Stored::Plain => Ok(column.clone()),
            Stored::Null => Ok(arrow_array::make_array(null_data(f.0.data_type(), n, &zeros)?)),
            Stored::Same(value) => Ok(arrow_array::make_array(same_data(f.0.data_type(), n, value, &zeros)?)),
        })
        .collect::<std::result::Result<Vec<_>, ArrowError>>()?;
    RecordBatch::try_new(event, columns)
}

/// At least `len` bytes of zeros that take no memory: a read-only anonymous mapping never
/// written, one for the process, mapped again (twice as large) when a segment needs more.
fn zeros(len: usize) -> std::io::Result<Buffer> {
    static ZEROS: Mutex<Option<Buffer>> = Mutex::new(None);
    let mut zeros = ZEROS.lock();
    if let Some(z) = zeros.as_ref().filter(|z| z.len() >= len) {
        return Ok(z.clone());
    }
    let len = len.max(zeros.as_ref().map_or(0, |z| 2 * z.len()));
    let map = memmap2::MmapOptions::new().len(len).map_anon()?.make_read_only()?;
    let ptr = NonNull::new(map.as_ptr() as *mut u8)
        .ok_or_else(|| std::io::Error::other("an anonymous mapping at address 0"))?;
    // SAFETY: the pointer and length describe the mapping, which the Arc keeps alive as long as
    // any buffer slice refers to it; nothing writes to it (arrow copies a custom allocation
    // before it would change it).
    let z = unsafe { Buffer::from_custom_allocation(ptr, len, Arc::new(map)) };
    *zeros = Some(z.clone());
    Ok(z)
}

/// An all-null array of `data_type` and `n` rows over `zeros` (at least 8n + 4 bytes). Types
/// the event schema does not hold nullable get arrow's own. Built without arrow's check of each
/// value (a bounds check of every null key against an empty dictionary was a tenth of a one-off
/// series); debug builds, and so the tests, check every array in full.
fn null_data(data_type: &DataType, n: usize, zeros: &Buffer) -> std::result::Result<ArrayData, ArrowError> {
    let bytes = |len: usize| zeros.slice_with_length(0, len);
    let all_null = ArrayData::builder(data_type.clone()).len(n).null_bit_buffer(Some(bytes(n.div_ceil(8))));
    let data = match data_type {
        DataType::Dictionary(key, values) if **key == DataType::Int32 => {
            all_null.add_buffer(bytes(4 * n)).add_child_data(ArrayData::new_empty(values))
        }
        DataType::Utf8 => all_null.add_buffer(bytes(4 * (n + 1))).add_buffer(Buffer::from_vec(Vec::<u8>::new())),
        DataType::Date32 | DataType::UInt32 => all_null.add_buffer(bytes(4 * n)),
        DataType::FixedSizeList(item, 2) if item.data_type() == &DataType::UInt32 && !item.is_nullable() => {
            let values = ArrayData::builder(DataType::UInt32).len(2 * n).add_buffer(bytes(8 * n));
            // SAFETY: 2n u32 values in 8n bytes, no nulls.
            all_null.add_child_data(unsafe { values.build_unchecked() })
        }
        DataType::Struct(fields) => {
            let children = fields
                .iter()
                .map(|f| null_data(f.data_type(), n, zeros))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            all_null.child_data(children)
        }
        other => return Ok(ArrayData::new_null(other, n)),
    };
    // SAFETY: each type above gets the buffers its layout needs, long enough for `n` rows
    // (`zeros` holds 8n + 64 bytes: n/8 bytes of null bits, 4(n + 1) of offsets or keys, 8n of
    // span values); every offset is 0, within an empty value buffer, and every row is null, so
    // no key (all 0, with an empty dictionary) is one arrow requires in bounds.
    unsafe { build_laid_out(data) }
}

/// Builds an array laid out by this module without arrow's check of each value; debug builds,
/// and so the tests, check it in full.
///
/// # Safety
/// The builder's buffers must be valid for its type and length (arrow's `build_unchecked`).
unsafe fn build_laid_out(data: ArrayDataBuilder) -> std::result::Result<ArrayData, ArrowError> {
    // SAFETY: passed on to the caller.
    let data = unsafe { data.build_unchecked() };
    #[cfg(debug_assertions)]
    data.validate_full()?;
    Ok(data)
}

/// `n` rows that all hold `value`, of `data_type` (a dictionary of strings, or a list, whose
/// value is then the empty list), over `zeros` (at least 4(n + 1) bytes): every key 0 into a
/// dictionary of that one string, or every offset 0.
fn same_data(
    data_type: &DataType,
    n: usize,
    value: &str,
    zeros: &Buffer,
) -> std::result::Result<ArrayData, ArrowError> {
    let data = ArrayData::builder(data_type.clone()).len(n);
    let data = match data_type {
        DataType::Dictionary(key, values) if **key == DataType::Int32 && **values == DataType::Utf8 => data
            .add_buffer(zeros.slice_with_length(0, 4 * n))
            .add_child_data(StringArray::from(vec![value]).into_data()),
        DataType::List(item) if value.is_empty() => data
            .add_buffer(zeros.slice_with_length(0, 4 * (n + 1)))
            .add_child_data(ArrayData::new_empty(item.data_type())),
        other => {
            return Err(ArrowError::InvalidArgumentError(format!("a {other} column stored as one value")));
        }
    };
    // SAFETY: a dictionary's n keys are 0, into one value, and a list's n + 1 offsets are 0,
    // into no items; no row is null.
    unsafe { build_laid_out(data) }
}

/// Checks a decoded segment as arrow's full validation would, except for dictionary keys: one
/// pass comparing all of them (null slots too, where writers put 0) with the dictionary's
/// length instead of a bounds check per key, which was most of the time of opening a store. A
/// column whose keys fail the quick check gets arrow's exact one.
fn check_segment(batch: &RecordBatch) -> std::result::Result<(), ArrowError> {
    if batch.num_columns() != event_schema().fields().len() {
        return Err(ArrowError::InvalidArgumentError("the batch's columns are not the schema's".into()));
    }
    let stored = batch.schema();
    for ((field, stored), column) in event_schema().fields().iter().zip(stored.fields()).zip(batch.columns()) {
        let how = stored_as(field, stored);
        let fits = match how {
            Some(Stored::Plain) => column.data_type() == field.data_type(),
            Some(Stored::Null | Stored::Same(_)) => column.data_type() == &DataType::Null,
            None => false,
        };
        if column.len() != batch.num_rows() || !fits {
            return Err(ArrowError::InvalidArgumentError(format!("column `{}` does not fit the batch", field.name())));
        }
        if how != Some(Stored::Plain) {
            continue;
        }
        if !field.is_nullable() && column.null_count() > 0 {
            return Err(ArrowError::InvalidArgumentError(format!("column `{}` has nulls", field.name())));
        }
        check_array(&column.to_data())?;
    }
    Ok(())
}

fn check_array(data: &ArrayData) -> std::result::Result<(), ArrowError> {
    match data.data_type() {
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let values = check_with_child(data, "a dictionary without values")?;
            let keys = &data.buffer::<i32>(0)[..data.len()];
            // One unsigned comparison a key, folded without an early exit (a loop the compiler
            // vectorises): a negative key, as u32, is 2^31 or more, and no valid key is.
            let len = values.len().min(1 << 31) as u32;
            let outside = keys.iter().fold(false, |out, &k| out | (k as u32 >= len));
            if outside { data.validate_values() } else { Ok(()) }
        }
        DataType::List(_) => {
            let items = check_with_child(data, "a list without items")?;
            if data.is_empty() {
                return Ok(());
            }
            check_offsets(data, items.len()).map(|_| ())
        }
        DataType::Struct(_) => {
            data.validate_data()?;
            data.child_data().iter().try_for_each(check_array)
        }
        DataType::Utf8 => check_utf8(data),
        _ => data.validate_full(),
    }
}

/// Arrow's checks of an array's layout and nulls, and ours of its one child (a dictionary's
/// values, a list's items), which it returns; `missing` says what an array without one is.
fn check_with_child<'a>(data: &'a ArrayData, missing: &str) -> std::result::Result<&'a ArrayData, ArrowError> {
    data.validate()?;
    data.validate_nulls()?;
    let child = data.child_data().first().ok_or_else(|| ArrowError::InvalidArgumentError(missing.into()))?;
    check_array(child)?;
    Ok(child)
}

/// Arrow's full check of a string array, done in bulk: the layout and nulls by arrow, then the
/// offsets in one pass, the text in one SIMD UTF-8 check, and no offset inside a character.
/// (Arrow checks offsets one by one and the text with the standard library's check: most of
/// the time of opening a store of imported events, whose ids and URLs are strings.)
fn check_utf8(data: &ArrayData) -> std::result::Result<(), ArrowError> {
    data.validate()?;
    data.validate_nulls()?;
    if data.is_empty() {
        return Ok(());
    }
    let bad = |what: &str| ArrowError::InvalidArgumentError(format!("a string array with {what}"));
    let values = data.buffers().get(1).ok_or_else(|| bad("no values"))?.as_slice();
    let offsets = check_offsets(data, values.len())?;
    let (first, last) = (offsets[0], offsets[offsets.len() - 1]);
    let text = &values[first as usize..last as usize];
    simdutf8::basic::from_utf8(text).map_err(|_| bad("invalid UTF-8"))?;
    // A UTF-8 continuation byte is 0b10xx_xxxx: no string may start (or end) on one.
    let inside = offsets.iter().any(|&o| text.get((o - first) as usize).is_some_and(|&b| (b as i8) < -0x40));
    if inside {
        return Err(bad("an offset inside a character"));
    }
    Ok(())
}

/// The i32 offsets of a string or list array (at least one), checked in one pass: from 0 or
/// more, in order, and up to `limit` (its values' length). Arrow checks them one by one.
fn check_offsets(data: &ArrayData, limit: usize) -> std::result::Result<&[i32], ArrowError> {
    let bad = |what: &str| ArrowError::InvalidArgumentError(format!("an array with {what}"));
    // `buffer` starts at the array's offset already.
    let offsets = data.buffer::<i32>(0).get(..data.len() + 1).ok_or_else(|| bad("too few offsets"))?;
    let (first, last) = (offsets[0], offsets[offsets.len() - 1]);
    let ordered = offsets.windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]));
    if first < 0 || !ordered || last as usize > limit {
        return Err(bad("offsets out of order or past its values"));
    }
    Ok(offsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::columnar::events_to_batch;
    use arrow_array::Int32Array;

    fn batch() -> RecordBatch {
        let ev = |id, s, t| super::super::tests::ev(id, "2023-05-10", s, t, "040");
        events_to_batch(&[ev("a", "TURGOV", "SYRGOV"), ev("b", "RUSGOV", "IRNGOV"), ev("c", "TURGOV", "RUSGOV")])
            .expect("batch")
    }

    /// A batch written as a segment file at `path` (as a store writes it), and read back.
    fn store(path: &Path, batch: &RecordBatch) -> (u64, RecordBatch) {
        let meta = SegmentMeta {
            format: super::super::SCHEMA_VERSION,
            seq: 1,
            first_seq: 1,
            base: 0,
            rows: batch.num_rows() as u64,
            generation: 1,
            removed: Vec::new(),
            imports: Vec::new(),
        };
        write_segment_file(File::create(path).expect("file"), batch, &meta).expect("write");
        let read = read_segment(path, false).expect("read back");
        assert_eq!(read.meta, Some(meta));
        (std::fs::metadata(path).expect("size").len(), read.batch)
    }

    /// Writes a batch as a segment file, unchecked (arrow's writer checks what it can).
    fn write_file(path: &Path, batch: &RecordBatch) {
        let mut w = FileWriter::try_new(File::create(path).expect("file"), &event_schema()).expect("writer");
        w.write(batch).expect("write");
        w.finish().expect("finish");
    }

    /// Writes a batch in its own schema.
    fn write_file_as(path: &Path, batch: &RecordBatch) {
        let mut w = FileWriter::try_new(File::create(path).expect("file"), &batch.schema()).expect("writer");
        w.write(batch).expect("write");
        w.finish().expect("finish");
    }

    /// The batch with its `source` column's keys replaced (arrow's unchecked constructor: what
    /// a damaged file decodes to).
    fn with_source_keys(keys: Int32Array) -> RecordBatch {
        let b = batch();
        let at = b.schema().index_of("source").expect("source");
        let values = Arc::new(StringArray::from(vec!["TURGOV", "RUSGOV"]));
        // SAFETY: a test of the checks that must catch such arrays; never read.
        let bad = unsafe { DictionaryArray::<Int32Type>::new_unchecked(keys, values) };
        let mut columns = b.columns().to_vec();
        columns[at] = Arc::new(bad);
        RecordBatch::try_new(b.schema(), columns).expect("same types and lengths")
    }

    #[test]
    fn segments_are_checked_like_arrow_checks_them() {
        assert!(check_segment(&batch()).is_ok());
        // A key past the dictionary: refused.
        assert!(check_segment(&with_source_keys(Int32Array::from(vec![0, 5, 1]))).is_err());
        assert!(check_segment(&with_source_keys(Int32Array::from(vec![0, -1, 1]))).is_err());
        // A wild key under a null: arrow allows it, and so does the exact check it falls back to.
        assert!(check_segment(&with_source_keys(Int32Array::from(vec![Some(0), None, Some(1)]))).is_ok());
        let wild_null = Int32Array::new(vec![0, 99, 1].into(), Some(vec![true, false, true].into()));
        assert!(check_segment(&with_source_keys(wild_null)).is_ok());
    }

    #[test]
    fn strings_are_checked_like_arrow_checks_them() {
        // (offsets, bytes): valid, then broken in each way a damaged file can break them.
        let cases: Vec<(Vec<i32>, &[u8])> = vec![
            (vec![0, 3, 3, 8], b"abcd\xc3\xa9fg"),
            (vec![2, 3, 7], b"xxa\xc3\xa9\xc3\xa9"),
            (vec![0, 3, 8], b"abcd\xc3\x28fg"),
            (vec![0, 5, 8], b"abcd\xc3\xa9fg"),
            (vec![0, 3, 5], b"abcd\xc3\xa9fg"),
            (vec![0, 6, 3], b"abcd\xc3\xa9fg"),
            (vec![0, 3, 9], b"abcd\xc3\xa9fg"),
            (vec![-1, 3, 8], b"abcd\xc3\xa9fg"),
            (vec![0, 3, 8], b"ab\xffd\xc3\xa9fg"),
        ];
        // Arrays that start one offset in (a slice): the first reads offsets 1, 3, 5; the
        // second 9, 0, 1, out of order, where offsets 0, 1, 2 further on are in order.
        let sliced: Vec<(Vec<i32>, &[u8])> =
            vec![(vec![0, 1, 3, 5], b"abcdefghij"), (vec![0, 9, 0, 1, 2], b"abcdefghij")];
        let (mut ok, mut refused) = (0, 0);
        let all = cases.into_iter().map(|c| (0, c)).chain(sliced.into_iter().map(|c| (1, c)));
        for (offset, (offsets, bytes)) in all {
            let builder = ArrayData::builder(DataType::Utf8)
                .len(offsets.len() - 1 - offset)
                .offset(offset)
                .add_buffer(Buffer::from_vec(offsets.clone()))
                .add_buffer(Buffer::from_vec(bytes.to_vec()));
            // SAFETY: only checked, never read as strings.
            let data = unsafe { builder.build_unchecked() };
            let ours = check_utf8(&data).is_ok();
            assert_eq!(ours, data.validate_full().is_ok(), "{offsets:?} {bytes:?}");
            if ours {
                ok += 1;
            } else {
                refused += 1;
            }
        }
        assert_eq!((ok, refused), (3, 8));
    }

    #[test]
    fn lists_are_checked_like_arrow_checks_them() {
        // List offsets over five strings: valid (empty lists among them), then out of order,
        // negative, or past the items; whole arrays and arrays sliced one list in.
        let cases: Vec<(usize, Vec<i32>)> = vec![
            (0, vec![0, 0, 2, 5]),
            (0, vec![0, 0, 0]),
            (1, vec![0, 2, 2, 4]),
            (0, vec![0, 3, 2, 5]),
            (0, vec![-1, 2, 5]),
            (0, vec![0, 2, 6]),
            (1, vec![0, 4, 1, 5]),
        ];
        let items = StringArray::from(vec!["a", "b", "c", "d", "e"]).into_data();
        let item = Arc::new(Field::new("item", DataType::Utf8, true));
        let mut verdicts = Vec::new();
        for (offset, offsets) in cases {
            let builder = ArrayData::builder(DataType::List(item.clone()))
                .len(offsets.len() - 1 - offset)
                .offset(offset)
                .add_buffer(Buffer::from_vec(offsets.clone()))
                .add_child_data(items.clone());
            // SAFETY: only checked, never read.
            let data = unsafe { builder.build_unchecked() };
            let ours = check_array(&data).is_ok();
            assert_eq!(ours, data.validate_full().is_ok(), "{offsets:?} from {offset}");
            verdicts.push(ours);
        }
        assert_eq!(verdicts, [true, true, true, false, false, false, false]);
    }

    #[test]
    fn a_segment_with_a_bad_key_is_a_corrupt_store_not_a_panic() {
        // A valid file whose source keys (257, 258, 259 of 300 values) are then damaged on disk.
        let b = batch();
        let at = b.schema().index_of("source").expect("source");
        let names: Vec<String> = (0..300).map(|i| format!("ACTOR{i}")).collect();
        let source = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(vec![257, 258, 259]),
            Arc::new(StringArray::from(names)),
        )
        .expect("valid");
        let mut columns = b.columns().to_vec();
        columns[at] = Arc::new(source);
        let good = RecordBatch::try_new(b.schema(), columns).expect("batch");
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("00000001.arrow");
        write_file(&path, &good);
        assert_eq!(read_ipc_mmap(&path).expect("read").num_rows(), 3);
        let mut bytes = std::fs::read(&path).expect("bytes");
        let keys: Vec<u8> = [257i32, 258, 259].iter().flat_map(|k| k.to_le_bytes()).collect();
        let at = bytes.windows(keys.len()).position(|w| w == keys.as_slice()).expect("the keys in the file");
        bytes[at + 4..at + 8].copy_from_slice(&7_000_000i32.to_le_bytes());
        std::fs::write(&path, &bytes).expect("damage");
        match read_ipc_mmap(&path) {
            Err(Error::Corrupt { message, .. }) => assert!(message.contains("out of bounds"), "{message}"),
            other => panic!("expected a corrupt segment, got {other:?}"),
        }
    }

    #[test]
    fn empty_columns_are_stored_without_buffers_and_read_back_as_nulls() {
        let dir = tempfile::tempdir().expect("tmp");
        let b = batch();
        let path = dir.path().join("00000001.arrow");
        let (bytes, written) = store(&path, &b);
        assert_eq!(written, b, "the batch read back as it was written");
        let file = arrow_ipc::reader::FileReader::try_new(File::open(&path).expect("open"), None).expect("ipc");
        let schema = file.schema();
        let nulls: Vec<&str> =
            schema.fields().iter().filter(|f| f.data_type() == &DataType::Null).map(|f| f.name().as_str()).collect();
        // Coded-event columns an event made by hand leaves empty; never a column with values.
        for empty in ["group", "sentence", "evidence", "span", "rule"] {
            assert!(nulls.contains(&empty), "{empty} in {nulls:?}");
        }
        for full in ["id", "source", "date", "goldstein"] {
            assert!(!nulls.contains(&full), "{full}");
        }
        // Smaller than the batch written whole, and read back as the same event batch.
        let whole = dir.path().join("whole.arrow");
        write_file(&whole, &b);
        assert!(bytes < std::fs::metadata(&whole).expect("size").len());
        let back = read_ipc_mmap(&path).expect("read");
        assert_eq!(back.schema(), event_schema());
        assert_eq!(back, b);
        assert_eq!(read_ipc_mmap(&whole).expect("whole"), b);
        // Only a nullable column may be stored as nulls.
        let id_as_null: Vec<FieldRef> = event_schema()
            .fields()
            .iter()
            .map(|f| if f.name() == "id" { Arc::new(Field::new("id", DataType::Null, true)) } else { f.clone() })
            .collect();
        assert!(!is_stored_schema(&Schema::new(id_as_null)));
        assert!(is_stored_schema(&schema));
    }

    /// The batch with one of its dictionary columns replaced.
    fn with_column(name: &str, column: DictionaryArray<Int32Type>) -> RecordBatch {
        let b = batch();
        let at = b.schema().index_of(name).expect("column");
        let mut columns = b.columns().to_vec();
        columns[at] = Arc::new(column);
        RecordBatch::try_new(b.schema(), columns).expect("same types and lengths")
    }

    /// The value a segment file's column is stored as, if it is stored as one value.
    fn same_in(path: &Path, column: &str) -> Option<String> {
        let file = arrow_ipc::reader::FileReader::try_new(File::open(path).expect("open"), None).expect("ipc");
        let field = file.schema().field_with_name(column).expect("column").clone();
        field.metadata().get(SAME).cloned().filter(|_| field.data_type() == &DataType::Null)
    }

    #[test]
    fn columns_of_one_value_are_stored_once_and_read_back_whole() {
        let dir = tempfile::tempdir().expect("tmp");
        let b = batch();
        let path = dir.path().join("00000001.arrow");
        let (_, written) = store(&path, &b);
        assert_eq!(written, b, "read back as it was written");
        // Three events of one code, origin and precision, none with topics or participants.
        let origin = b.column_by_name("origin").and_then(|c| arrow_cast::display::array_value_to_string(c, 0).ok());
        assert_eq!(same_in(&path, "origin"), origin);
        assert_eq!(same_in(&path, "code").as_deref(), Some("040"));
        assert_eq!(same_in(&path, "date_precision").as_deref(), Some("day"));
        assert_eq!(same_in(&path, "topics").as_deref(), Some(""));
        assert_eq!(same_in(&path, "participants").as_deref(), Some(""));
        // Columns whose rows differ, and columns of other types, are stored as they are.
        for differ in ["id", "source", "target", "date", "goldstein", "quad_class", "mentions"] {
            assert_eq!(same_in(&path, differ), None, "{differ}");
        }
        let back = read_ipc_mmap(&path).expect("read");
        assert_eq!(back.schema(), event_schema());
        assert_eq!(back, b);

        // Keys all pointing at one value of a larger dictionary (a merged segment's): stored as
        // that value. One key elsewhere, or one null: stored as it is.
        let keyed = |keys: Vec<Option<i32>>| {
            DictionaryArray::<Int32Type>::try_new(keys.into(), Arc::new(StringArray::from(vec!["TURGOV", "SYRGOV"])))
                .expect("keys")
        };
        let keyed_twice = |keys: Vec<Option<i32>>| {
            let values = StringArray::from(vec!["SYRGOV", "TURGOV", "SYRGOV"]);
            DictionaryArray::<Int32Type>::try_new(keys.into(), Arc::new(values)).expect("keys")
        };
        for (column, keys, same) in [
            (keyed(vec![Some(1), Some(1), Some(1)]), "1 1 1", Some("SYRGOV")),
            (keyed(vec![Some(1), Some(0), Some(1)]), "1 0 1", None),
            (keyed(vec![Some(1), None, Some(1)]), "1 null 1", None),
            // Batches joined: the value twice in the dictionary.
            (keyed_twice(vec![Some(0), Some(2), Some(0)]), "0 2 0 of a value twice", Some("SYRGOV")),
            (keyed_twice(vec![Some(0), Some(2), Some(1)]), "0 2 1 of a value twice", None),
            // Keys at a null value: nulls, not one value.
            (
                DictionaryArray::<Int32Type>::try_new(
                    vec![0, 0, 0].into(),
                    Arc::new(StringArray::from(vec![None, Some("SYRGOV")])),
                )
                .expect("keys"),
                "0 0 0 of a null value",
                None,
            ),
        ] {
            let b = with_column("source", column);
            let path = dir.path().join("keyed.arrow");
            write_file_as(&path, &to_stored(&b).expect("stored"));
            assert_eq!(same_in(&path, "source").as_deref(), same, "{keys:?}");
            assert_eq!(read_ipc_mmap(&path).expect("read"), b, "{keys:?}");
        }

        // No rows: nothing to store as one value.
        let none = b.slice(0, 0);
        assert!(to_stored(&none).expect("stored").schema().fields().iter().all(|f| f.metadata().is_empty()));

        // One value where the event schema has none (a number), or a list that is not empty:
        // a damaged file, refused on reading.
        let stored = to_stored(&b).expect("stored");
        for (column, value) in [("goldstein", "1.0"), ("topics", "[\"x\"]"), ("date", "2023-05-10")] {
            let fields: Vec<FieldRef> = stored
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    if f.name() != column {
                        return f.clone();
                    }
                    let same = HashMap::from([(SAME.to_string(), value.to_string())]);
                    Arc::new(Field::new(column, DataType::Null, true).with_metadata(same))
                })
                .collect();
            let mut columns = stored.columns().to_vec();
            columns[stored.schema().index_of(column).expect("column")] = Arc::new(NullArray::new(b.num_rows()));
            let bad = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
            let path = dir.path().join("bad.arrow");
            write_file_as(&path, &bad);
            assert!(matches!(read_ipc_mmap(&path), Err(Error::Corrupt { .. })), "{column}");
        }
    }

    #[test]
    fn a_damaged_segment_is_an_error_or_reads_never_a_crash() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("00000001.arrow");
        // A file written whole (as stores before empty columns were left out hold them), and
        // one as stores write them now.
        write_file(&path, &batch());
        let whole = std::fs::read(&path).expect("bytes");
        let stored_path = dir.path().join("stored.arrow");
        write_file_as(&stored_path, &to_stored(&batch()).expect("stored"));
        let stored = std::fs::read(&stored_path).expect("bytes");
        let (mut refused, mut read) = (0, 0);
        // Bytes all over the file (metadata, buffers, footer) set to values that break lengths,
        // offsets and keys: every outcome is a batch that passes the checks or a corrupt-store
        // error, never a crash.
        for (good, at) in [&whole, &stored].into_iter().flat_map(|g| (0..g.len()).step_by(5).map(move |at| (g, at))) {
            for value in [0xff, 0x7f, 0x00] {
                let mut bytes = good.clone();
                if bytes[at] == value {
                    continue;
                }
                bytes[at] = value;
                std::fs::write(&path, &bytes).expect("write");
                match read_ipc_mmap(&path) {
                    Ok(b) => {
                        read += 1;
                        assert!(check_segment(&b).is_ok());
                    }
                    Err(Error::Corrupt { .. }) => refused += 1,
                    Err(e) => panic!("byte {at} = {value:#x}: {e:?}"),
                }
            }
        }
        assert!(refused > 100 && read > 0, "{refused} refused, {read} read");
    }
}
