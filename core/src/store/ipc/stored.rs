//! How a segment file holds the event columns: a column without a value, or with one value in
//! every row, as Arrow's null type (no buffers), read back over a shared mapping of zeros.

use crate::domain::columnar::event_schema;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, DictionaryArray, ListArray, NullArray, RecordBatch, StringArray};
use arrow_buffer::Buffer;
use arrow_data::{ArrayData, ArrayDataBuilder};
use arrow_schema::{ArrowError, DataType, Field, FieldRef, Schema};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::Arc;

/// The field metadata key of a column stored as the null type because every row of it holds one
/// value: that value (a dictionary's string; for a list, the empty list, "").
pub(super) const SAME: &str = "detente.same";

/// How a segment file holds one event column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stored<'a> {
    /// As the event schema types it.
    Plain,
    /// As the null type: no row has a value.
    Null,
    /// As the null type with [`SAME`] in its metadata: every row holds this value.
    Same(&'a str),
}

/// How `stored`, a field of a segment file's schema, holds the event field `field`; `None` when
/// it cannot be that field.
pub(super) fn stored_as<'a>(field: &Field, stored: &'a Field) -> Option<Stored<'a>> {
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
pub(super) fn to_stored(batch: &RecordBatch) -> std::result::Result<RecordBatch, ArrowError> {
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
pub(super) fn is_stored_schema(schema: &Schema) -> bool {
    let event = event_schema();
    schema.fields().len() == event.fields().len()
        && schema.fields().iter().zip(event.fields()).all(|(stored, field)| stored_as(field, stored).is_some())
}

/// The event batch of a checked segment: a column stored as the null type comes back as a null
/// column of its type, or as its one value repeated. Its buffers are slices of one read-only
/// anonymous mapping, whose pages all read as the system's one page of zeros: such a column
/// takes no memory, where arrow's null arrays would allocate and zero their full size.
pub(super) fn from_stored(batch: RecordBatch) -> std::result::Result<RecordBatch, ArrowError> {
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
