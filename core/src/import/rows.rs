//! Imported rows straight into Arrow columns of the store's event schema: no `Event` per row,
//! strings appended once into dictionary builders, the columns imports never fill made once as
//! constants.

use crate::columnar::event_schema;
use crate::error::{Error, Result};
use arrow_array::builder::{StringBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, FixedSizeListArray, Float64Array, Int32Array, ListArray,
    RecordBatch, StringArray, StructArray, UInt8Array, UInt32Array,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field};
use std::sync::Arc;

/// One imported row, its strings borrowed from the input or from the readers' caches.
#[derive(Debug, Default, Clone)]
pub struct Row<'a> {
    /// The id without its origin prefix (`1234` for `gdelt:1234`).
    pub id: &'a str,
    /// An extra id part making non-unique source ids unique (ICEWS), appended after `:`.
    pub id_suffix: Option<&'a str>,
    /// Day number.
    pub date: i32,
    /// Normalised source code.
    pub source: Option<&'a str>,
    /// Normalised target code.
    pub target: Option<&'a str>,
    /// Source country or organisation.
    pub source_country: Option<&'a str>,
    /// Target country or organisation.
    pub target_country: Option<&'a str>,
    /// Source name as the dataset gave it.
    pub source_name: Option<&'a str>,
    /// Target name.
    pub target_name: Option<&'a str>,
    /// Source code as the dataset gave it, when it differs.
    pub source_raw: Option<&'a str>,
    /// Target code as the dataset gave it, when it differs.
    pub target_raw: Option<&'a str>,
    /// CAMEO code (checked).
    pub code: &'a str,
    /// Its root.
    pub root_code: &'a str,
    /// PLOVER type.
    pub plover: Option<&'a str>,
    /// QuadClass (GDELT scheme).
    pub quad_class: u8,
    /// Goldstein value.
    pub goldstein: f64,
    /// Mentions (at least 1).
    pub mentions: u32,
    /// Day the source reported it.
    pub reported: Option<i32>,
    /// Place name.
    pub location_name: Option<&'a str>,
    /// Place country.
    pub location_country: Option<&'a str>,
    /// Document (GDELT's SOURCEURL, an ICEWS story).
    pub doc_id: Option<&'a str>,
    /// Sentence number in the document.
    pub sentence: Option<u32>,
}

/// Columns under construction.
pub struct Rows {
    prefix: &'static str,
    origin: &'static str,
    /// Reused for building ids.
    scratch: String,
    id: StringBuilder,
    date: Vec<i32>,
    source: StringDictionaryBuilder<Int32Type>,
    target: StringDictionaryBuilder<Int32Type>,
    source_country: StringDictionaryBuilder<Int32Type>,
    target_country: StringDictionaryBuilder<Int32Type>,
    source_name: StringDictionaryBuilder<Int32Type>,
    target_name: StringDictionaryBuilder<Int32Type>,
    source_raw: StringDictionaryBuilder<Int32Type>,
    target_raw: StringDictionaryBuilder<Int32Type>,
    code: StringDictionaryBuilder<Int32Type>,
    root_code: StringDictionaryBuilder<Int32Type>,
    plover: StringDictionaryBuilder<Int32Type>,
    quad_class: Vec<u8>,
    goldstein: Vec<f64>,
    mentions: Vec<u32>,
    reported: Vec<Option<i32>>,
    location_name: StringDictionaryBuilder<Int32Type>,
    location_country: StringDictionaryBuilder<Int32Type>,
    location_valid: Vec<bool>,
    doc_id: StringDictionaryBuilder<Int32Type>,
    sentence: Vec<Option<u32>>,
}

fn dict() -> StringDictionaryBuilder<Int32Type> {
    StringDictionaryBuilder::new()
}

fn put(b: &mut StringDictionaryBuilder<Int32Type>, v: Option<&str>) {
    match v {
        Some(s) => {
            b.append_value(s);
        }
        None => b.append_null(),
    }
}

/// A dictionary column holding one value in every row.
fn constant(value: &str, n: usize) -> ArrayRef {
    let keys = Int32Array::from(vec![0; n]);
    Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(StringArray::from(vec![value]))))
}

fn empty_lists(n: usize) -> ArrayRef {
    let item = Arc::new(Field::new("item", DataType::Utf8, true));
    Arc::new(ListArray::new(item, OffsetBuffer::new_zeroed(n), Arc::new(StringArray::from(Vec::<&str>::new())), None))
}

impl Rows {
    /// Empty columns for rows of one origin (`gdelt`, `icews`, `polecat`).
    pub fn new(origin: &'static str, prefix: &'static str, capacity: usize) -> Rows {
        Rows {
            prefix,
            origin,
            scratch: String::new(),
            id: StringBuilder::with_capacity(capacity, capacity * 16),
            date: Vec::with_capacity(capacity),
            source: dict(),
            target: dict(),
            source_country: dict(),
            target_country: dict(),
            source_name: dict(),
            target_name: dict(),
            source_raw: dict(),
            target_raw: dict(),
            code: dict(),
            root_code: dict(),
            plover: dict(),
            quad_class: Vec::with_capacity(capacity),
            goldstein: Vec::with_capacity(capacity),
            mentions: Vec::with_capacity(capacity),
            reported: Vec::with_capacity(capacity),
            location_name: dict(),
            location_country: dict(),
            location_valid: Vec::with_capacity(capacity),
            doc_id: dict(),
            sentence: Vec::with_capacity(capacity),
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.date.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.date.is_empty()
    }

    /// Appends one row.
    pub fn push(&mut self, r: &Row<'_>) {
        let id = &mut self.scratch;
        id.clear();
        id.push_str(self.prefix);
        id.push_str(r.id);
        if let Some(s) = r.id_suffix {
            id.push(':');
            id.push_str(s);
        }
        self.id.append_value(id.as_str());
        self.date.push(r.date);
        put(&mut self.source, r.source);
        put(&mut self.target, r.target);
        put(&mut self.source_country, r.source_country);
        put(&mut self.target_country, r.target_country);
        put(&mut self.source_name, r.source_name);
        put(&mut self.target_name, r.target_name);
        put(&mut self.source_raw, r.source_raw);
        put(&mut self.target_raw, r.target_raw);
        put(&mut self.code, Some(r.code));
        put(&mut self.root_code, Some(r.root_code));
        put(&mut self.plover, r.plover);
        self.quad_class.push(r.quad_class);
        self.goldstein.push(r.goldstein);
        self.mentions.push(r.mentions.max(1));
        self.reported.push(r.reported);
        put(&mut self.location_name, r.location_name);
        put(&mut self.location_country, r.location_country);
        self.location_valid.push(r.location_name.is_some() || r.location_country.is_some());
        put(&mut self.doc_id, r.doc_id);
        self.sentence.push(r.sentence);
    }

    /// The batch, in the store's event schema.
    pub fn finish(mut self) -> Result<RecordBatch> {
        let n = self.len();
        let err = |e: arrow_schema::ArrowError| Error::Internal(format!("arrow: {e}"));
        let location_fields = match event_schema().field_with_name("location").map(|f| f.data_type().clone()) {
            Ok(DataType::Struct(f)) => f,
            _ => return Err(Error::Internal("event schema without a location struct".into())),
        };
        let location = StructArray::try_new(
            location_fields,
            vec![Arc::new(self.location_name.finish()), Arc::new(self.location_country.finish())],
            Some(NullBuffer::from(std::mem::take(&mut self.location_valid))),
        )
        .map_err(err)?;
        let span_item = Arc::new(Field::new("item", DataType::UInt32, false));
        let span = FixedSizeListArray::try_new(
            span_item,
            2,
            Arc::new(UInt32Array::from(vec![0u32; 2 * n])),
            Some(NullBuffer::new_null(n)),
        )
        .map_err(err)?;
        let falses = || -> ArrayRef { Arc::new(BooleanArray::from(vec![false; n])) };
        let nulls_dict = || -> ArrayRef {
            Arc::new(DictionaryArray::<Int32Type>::new(
                Int32Array::new_null(n),
                Arc::new(StringArray::from(Vec::<&str>::new())),
            ))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(Date32Array::from(std::mem::take(&mut self.date))),
            constant("day", n),
            Arc::new(self.source.finish()),
            Arc::new(self.target.finish()),
            Arc::new(self.source_country.finish()),
            Arc::new(self.target_country.finish()),
            Arc::new(self.source_name.finish()),
            Arc::new(self.target_name.finish()),
            Arc::new(self.source_raw.finish()),
            Arc::new(self.target_raw.finish()),
            Arc::new(self.code.finish()),
            Arc::new(self.root_code.finish()),
            Arc::new(BooleanArray::from(vec![true; n])),
            Arc::new(self.plover.finish()),
            Arc::new(UInt8Array::from(std::mem::take(&mut self.quad_class))),
            Arc::new(Float64Array::from(std::mem::take(&mut self.goldstein))),
            Arc::new(location),
            empty_lists(n),
            falses(),
            falses(),
            Arc::new(StringArray::new_null(n)),
            empty_lists(n),
            Arc::new(Date32Array::from(std::mem::take(&mut self.reported))),
            Arc::new(self.doc_id.finish()),
            Arc::new(UInt32Array::from(std::mem::take(&mut self.sentence))),
            nulls_dict(),
            Arc::new(span),
            nulls_dict(),
            Arc::new(UInt32Array::from(std::mem::take(&mut self.mentions))),
            constant(self.origin, n),
        ];
        RecordBatch::try_new(event_schema(), columns).map_err(err)
    }
}
