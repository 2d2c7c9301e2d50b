//! The checks of a decoded segment: arrow's full validation, done in bulk where arrow checks
//! value by value (dictionary keys, offsets, UTF-8).

use super::stored::{Stored, stored_as};
use crate::domain::columnar::event_schema;
use arrow_array::{Array, RecordBatch};
use arrow_data::ArrayData;
use arrow_schema::{ArrowError, DataType};

/// Checks a decoded segment as arrow's full validation would, except for dictionary keys: one
/// pass comparing all of them (null slots too, where writers put 0) with the dictionary's
/// length instead of a bounds check per key, which was most of the time of opening a store. A
/// column whose keys fail the quick check gets arrow's exact one.
pub(super) fn check_segment(batch: &RecordBatch) -> std::result::Result<(), ArrowError> {
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

pub(super) fn check_array(data: &ArrayData) -> std::result::Result<(), ArrowError> {
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
pub(super) fn check_utf8(data: &ArrayData) -> std::result::Result<(), ArrowError> {
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
