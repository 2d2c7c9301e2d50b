//! Events as Arrow: the one schema used by the store's segment files, the Python module and the
//! Parquet export (the record with its struct and list types kept), conversion from records
//! to a batch, and a typed view that reads rows and cells back without copying.

use crate::domain::date::{Date, DatePrecision};
use crate::domain::event::{Event, Origin, Place};
use crate::error::{Error, Result};
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, DictionaryArray, FixedSizeListArray, Float64Array, ListArray,
    RecordBatch, StringArray, StructArray, UInt8Array, UInt32Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::sync::{Arc, OnceLock};

fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

fn location_fields() -> Fields {
    Fields::from(vec![Field::new("name", dict_type(), true), Field::new("country", dict_type(), true)])
}

fn span_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::UInt32, false))
}

fn list_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Utf8, true))
}

/// The Arrow schema of events. Low-cardinality strings (codes, countries, names, origin) are
/// dictionary-encoded (categoricals in pandas and polars); dates are `date32`; `location` is a
/// struct, `topics` and `participants` lists of strings, `span` a fixed-size list of two `uint32`.
pub fn event_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        let d = dict_type;
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("date", DataType::Date32, false),
            Field::new("date_precision", d(), false),
            Field::new("source", d(), true),
            Field::new("target", d(), true),
            Field::new("source_country", d(), true),
            Field::new("target_country", d(), true),
            Field::new("source_name", d(), true),
            Field::new("target_name", d(), true),
            Field::new("source_raw", d(), true),
            Field::new("target_raw", d(), true),
            Field::new("code", d(), false),
            Field::new("root_code", d(), false),
            Field::new("directed", DataType::Boolean, false),
            Field::new("plover", d(), true),
            Field::new("quad_class", DataType::UInt8, false),
            Field::new("goldstein", DataType::Float64, false),
            Field::new("location", DataType::Struct(location_fields()), true),
            Field::new("topics", DataType::List(list_item()), false),
            Field::new("historical", DataType::Boolean, false),
            Field::new("planned", DataType::Boolean, false),
            Field::new("group", DataType::Utf8, true),
            Field::new("participants", DataType::List(list_item()), false),
            Field::new("reported", DataType::Date32, true),
            Field::new("doc_id", d(), true),
            Field::new("sentence", DataType::UInt32, true),
            Field::new("evidence", d(), true),
            Field::new("span", DataType::FixedSizeList(span_item(), 2), true),
            Field::new("rule", d(), true),
            Field::new("mentions", DataType::UInt32, false),
            Field::new("origin", d(), false),
        ]))
    })
    .clone()
}

fn dict<'a>(it: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(it.collect::<DictionaryArray<Int32Type>>())
}

fn string_list<'a>(it: impl Iterator<Item = &'a Vec<String>>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new()).with_field(list_item());
    for list in it {
        for s in list {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// Batches of events in the event schema as one batch.
pub(crate) fn concat_events<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> Result<RecordBatch> {
    arrow_select::concat::concat_batches(&event_schema(), batches).map_err(arrow_err)
}

/// The memory a batch's buffers hold (their capacity), each buffer counted once however many
/// columns share it. (Arrow's `get_array_memory_size` counts a shared buffer once per column.)
pub(crate) fn held_bytes(batch: &RecordBatch) -> usize {
    fn walk(data: &arrow_data::ArrayData, seen: &mut std::collections::HashSet<usize>, total: &mut usize) {
        let nulls = data.nulls().map(|n| n.buffer());
        for buffer in data.buffers().iter().chain(nulls) {
            if seen.insert(buffer.data_ptr().as_ptr() as usize) {
                *total += buffer.capacity();
            }
        }
        for child in data.child_data() {
            walk(child, seen, total);
        }
    }
    let (mut seen, mut total) = (std::collections::HashSet::new(), 0);
    for column in batch.columns() {
        walk(&column.to_data(), &mut seen, &mut total);
    }
    total
}

fn arrow_err(e: arrow_schema::ArrowError) -> Error {
    Error::Internal(format!("arrow: {e}"))
}

/// Builds one record batch of events in [`event_schema`].
pub fn events_to_batch(events: &[Event]) -> Result<RecordBatch> {
    let s = |f: fn(&Event) -> &Option<String>| dict(events.iter().map(move |e| f(e).as_deref()));
    let location = {
        let nulls = NullBuffer::from(events.iter().map(|e| e.location.is_some()).collect::<Vec<_>>());
        let name = dict(events.iter().map(|e| e.location.as_ref().and_then(|l| l.name.as_deref())));
        let country = dict(events.iter().map(|e| e.location.as_ref().and_then(|l| l.country.as_deref())));
        StructArray::try_new(location_fields(), vec![name, country], Some(nulls)).map_err(arrow_err)?
    };
    let span = {
        let values = UInt32Array::from_iter_values(events.iter().flat_map(|e| e.span.unwrap_or([0, 0])));
        let nulls = NullBuffer::from(events.iter().map(|e| e.span.is_some()).collect::<Vec<_>>());
        FixedSizeListArray::try_new(span_item(), 2, Arc::new(values), Some(nulls)).map_err(arrow_err)?
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(events.iter().map(|e| e.id.as_str()))),
        Arc::new(Date32Array::from_iter_values(events.iter().map(|e| e.date.days()))),
        dict(events.iter().map(|e| Some(e.date_precision.as_str()))),
        s(|e| &e.source),
        s(|e| &e.target),
        s(|e| &e.source_country),
        s(|e| &e.target_country),
        s(|e| &e.source_name),
        s(|e| &e.target_name),
        s(|e| &e.source_raw),
        s(|e| &e.target_raw),
        dict(events.iter().map(|e| Some(e.code.as_str()))),
        dict(events.iter().map(|e| Some(e.root_code.as_str()))),
        Arc::new(BooleanArray::from_iter(events.iter().map(|e| Some(e.directed)))),
        s(|e| &e.plover),
        Arc::new(UInt8Array::from_iter_values(events.iter().map(|e| e.quad_class))),
        Arc::new(Float64Array::from_iter_values(events.iter().map(|e| e.goldstein))),
        Arc::new(location),
        string_list(events.iter().map(|e| &e.topics)),
        Arc::new(BooleanArray::from_iter(events.iter().map(|e| Some(e.historical)))),
        Arc::new(BooleanArray::from_iter(events.iter().map(|e| Some(e.planned)))),
        Arc::new(StringArray::from_iter(events.iter().map(|e| e.group.as_deref()))),
        string_list(events.iter().map(|e| &e.participants)),
        Arc::new(Date32Array::from_iter(events.iter().map(|e| e.reported.map(Date::days)))),
        s(|e| &e.doc_id),
        Arc::new(UInt32Array::from_iter(events.iter().map(|e| e.sentence))),
        s(|e| &e.evidence),
        Arc::new(span),
        s(|e| &e.rule),
        Arc::new(UInt32Array::from_iter_values(events.iter().map(|e| e.mentions))),
        dict(events.iter().map(|e| Some(e.origin.as_str()))),
    ];
    RecordBatch::try_new(event_schema(), columns).map_err(arrow_err)
}

/// A dictionary-encoded string column: keys and values, read without copying.
#[derive(Debug, Clone)]
pub(crate) struct DictColumn {
    keys: arrow_array::Int32Array,
    values: StringArray,
}

impl DictColumn {
    fn new(a: &ArrayRef, name: &str) -> Result<Self> {
        let d = a
            .as_any()
            .downcast_ref::<DictionaryArray<Int32Type>>()
            .ok_or_else(|| corrupt(format!("column `{name}` is not a dictionary")))?;
        let values = d
            .values()
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| corrupt(format!("column `{name}` has non-string values")))?
            .clone();
        Ok(DictColumn { keys: d.keys().clone(), values })
    }

    /// The dictionary key of a row (`None` when null).
    #[inline]
    pub(crate) fn key(&self, row: usize) -> Option<i32> {
        if self.keys.is_null(row) { None } else { Some(self.keys.value(row)) }
    }

    /// The string of a row.
    #[inline]
    pub(crate) fn get(&self, row: usize) -> Option<&str> {
        self.key(row).map(|k| self.values.value(k as usize))
    }

    /// True when the dictionary holds `value`.
    pub(crate) fn contains(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == Some(value))
    }

    /// The distinct values (indexed by key).
    pub(crate) fn values(&self) -> &StringArray {
        &self.values
    }
}

fn corrupt(message: String) -> Error {
    Error::Internal(format!("event batch: {message}"))
}

fn col<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> Result<&'a T> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| corrupt(format!("column `{name}` is missing or has the wrong type")))
}

fn dcol(b: &RecordBatch, name: &str) -> Result<DictColumn> {
    let a = b.column_by_name(name).ok_or_else(|| corrupt(format!("column `{name}` is missing")))?;
    DictColumn::new(a, name)
}

/// A typed view of one batch of events.
#[derive(Debug, Clone)]
pub(crate) struct EventColumns {
    /// The batch itself.
    pub batch: RecordBatch,
    /// `id`.
    pub id: StringArray,
    /// `date` as day numbers.
    pub date: Date32Array,
    /// `date_precision`.
    pub date_precision: DictColumn,
    /// `source`.
    pub source: DictColumn,
    /// `target`.
    pub target: DictColumn,
    /// `source_country`.
    pub source_country: DictColumn,
    /// `target_country`.
    pub target_country: DictColumn,
    source_name: DictColumn,
    target_name: DictColumn,
    source_raw: DictColumn,
    target_raw: DictColumn,
    /// `code`.
    pub code: DictColumn,
    /// `root_code`.
    pub root_code: DictColumn,
    /// `directed`.
    pub directed: BooleanArray,
    plover: DictColumn,
    /// `quad_class`.
    pub quad_class: UInt8Array,
    /// `goldstein`.
    pub goldstein: Float64Array,
    location: StructArray,
    location_name: DictColumn,
    location_country: DictColumn,
    /// `topics`.
    pub topics: ListArray,
    historical: BooleanArray,
    /// `planned`.
    pub planned: BooleanArray,
    group: StringArray,
    participants: ListArray,
    reported: Date32Array,
    /// `doc_id`.
    pub doc_id: DictColumn,
    sentence: UInt32Array,
    evidence: DictColumn,
    span: FixedSizeListArray,
    rule: DictColumn,
    /// `mentions`.
    pub mentions: UInt32Array,
    /// `origin`.
    pub origin: DictColumn,
}

impl EventColumns {
    /// A view of a batch in [`event_schema`]; an error when the batch has another shape.
    pub(crate) fn new(batch: RecordBatch) -> Result<Self> {
        if batch.schema().fields() != event_schema().fields() {
            return Err(corrupt("schema differs from the event schema".into()));
        }
        let location = col::<StructArray>(&batch, "location")?.clone();
        let location_name = DictColumn::new(location.column(0), "location.name")?;
        let location_country = DictColumn::new(location.column(1), "location.country")?;
        Ok(EventColumns {
            id: col::<StringArray>(&batch, "id")?.clone(),
            date: col::<Date32Array>(&batch, "date")?.clone(),
            date_precision: dcol(&batch, "date_precision")?,
            source: dcol(&batch, "source")?,
            target: dcol(&batch, "target")?,
            source_country: dcol(&batch, "source_country")?,
            target_country: dcol(&batch, "target_country")?,
            source_name: dcol(&batch, "source_name")?,
            target_name: dcol(&batch, "target_name")?,
            source_raw: dcol(&batch, "source_raw")?,
            target_raw: dcol(&batch, "target_raw")?,
            code: dcol(&batch, "code")?,
            root_code: dcol(&batch, "root_code")?,
            directed: col::<BooleanArray>(&batch, "directed")?.clone(),
            plover: dcol(&batch, "plover")?,
            quad_class: col::<UInt8Array>(&batch, "quad_class")?.clone(),
            goldstein: col::<Float64Array>(&batch, "goldstein")?.clone(),
            location,
            location_name,
            location_country,
            topics: col::<ListArray>(&batch, "topics")?.clone(),
            historical: col::<BooleanArray>(&batch, "historical")?.clone(),
            planned: col::<BooleanArray>(&batch, "planned")?.clone(),
            group: col::<StringArray>(&batch, "group")?.clone(),
            participants: col::<ListArray>(&batch, "participants")?.clone(),
            reported: col::<Date32Array>(&batch, "reported")?.clone(),
            doc_id: dcol(&batch, "doc_id")?,
            sentence: col::<UInt32Array>(&batch, "sentence")?.clone(),
            evidence: dcol(&batch, "evidence")?,
            span: col::<FixedSizeListArray>(&batch, "span")?.clone(),
            rule: dcol(&batch, "rule")?,
            mentions: col::<UInt32Array>(&batch, "mentions")?.clone(),
            origin: dcol(&batch, "origin")?,
            batch,
        })
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.batch.num_rows()
    }

    /// The date of a row.
    #[inline]
    pub(crate) fn date(&self, row: usize) -> Date {
        Date::from_days(self.date.value(row))
    }

    /// The group of a row, if any.
    pub(crate) fn group(&self, row: usize) -> Option<&str> {
        (!self.group.is_null(row)).then(|| self.group.value(row))
    }

    /// True when a row's topics include `topic`.
    pub(crate) fn has_topic(&self, row: usize, topic: &str) -> bool {
        let list = self.topics.value(row);
        list.as_any().downcast_ref::<StringArray>().is_some_and(|s| s.iter().any(|t| t == Some(topic)))
    }

    fn strings(list: &ListArray, row: usize) -> Vec<String> {
        let v = list.value(row);
        v.as_any()
            .downcast_ref::<StringArray>()
            .map(|s| s.iter().flatten().map(String::from).collect())
            .unwrap_or_default()
    }

    /// Reads one row back as a record.
    pub(crate) fn event(&self, row: usize) -> Event {
        let o = |c: &DictColumn| c.get(row).map(String::from);
        let location = (!self.location.is_null(row))
            .then(|| Place { name: o(&self.location_name), country: o(&self.location_country) });
        let span = (!self.span.is_null(row)).then(|| {
            let v = self.span.value(row);
            let v = v.as_any().downcast_ref::<UInt32Array>().map(|a| [a.value(0), a.value(1)]);
            v.unwrap_or([0, 0])
        });
        Event {
            id: self.id.value(row).to_string(),
            date: self.date(row),
            date_precision: self.date_precision.get(row).and_then(|p| DatePrecision::parse(p).ok()).unwrap_or_default(),
            source: o(&self.source),
            target: o(&self.target),
            source_country: o(&self.source_country),
            target_country: o(&self.target_country),
            source_name: o(&self.source_name),
            target_name: o(&self.target_name),
            source_raw: o(&self.source_raw),
            target_raw: o(&self.target_raw),
            code: self.code.get(row).unwrap_or_default().to_string(),
            root_code: self.root_code.get(row).unwrap_or_default().to_string(),
            directed: self.directed.value(row),
            plover: o(&self.plover),
            quad_class: self.quad_class.value(row),
            goldstein: self.goldstein.value(row),
            location,
            topics: Self::strings(&self.topics, row),
            historical: self.historical.value(row),
            planned: self.planned.value(row),
            group: (!self.group.is_null(row)).then(|| self.group.value(row).to_string()),
            participants: Self::strings(&self.participants, row),
            reported: (!self.reported.is_null(row)).then(|| Date::from_days(self.reported.value(row))),
            doc_id: o(&self.doc_id),
            sentence: (!self.sentence.is_null(row)).then(|| self.sentence.value(row)),
            evidence: o(&self.evidence),
            span,
            rule: o(&self.rule),
            mentions: self.mentions.value(row),
            origin: self.origin.get(row).and_then(|s| Origin::parse(s).ok()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dictionary;
    use arrow_array::Int32Array;

    #[test]
    fn a_buffer_shared_by_columns_is_held_once() {
        let shared = arrow_buffer::Buffer::from_vec(vec![0i32; 1000]);
        let column = || -> ArrayRef {
            Arc::new(Int32Array::new(arrow_buffer::ScalarBuffer::new(shared.clone(), 0, 1000), None))
        };
        let other: ArrayRef = Arc::new(Int32Array::from(vec![7; 1000]));
        let schema = Arc::new(arrow_schema::Schema::new(
            ["a", "b", "c"].map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Int32, false)).to_vec(),
        ));
        let batch = RecordBatch::try_new(schema, vec![column(), column(), other]).expect("batch");
        assert_eq!(held_bytes(&batch), shared.capacity() + batch.column(2).to_data().buffers()[0].capacity());
        assert!(held_bytes(&batch) < batch.get_array_memory_size());
    }

    #[test]
    fn rows_round_trip_through_arrow() {
        let dict = Dictionary::builtin();
        let mut a =
            Event::new("a", Date::parse("2023-05-10").unwrap_or(Date::MIN), Some("TURGOV"), Some("SYRGOV"), "040")
                .expect("valid");
        a.location = Some(Place { name: Some("Moscow".into()), country: Some("RUS".into()) });
        a.topics = vec!["refugees".into(), "counterterrorism".into()];
        a.participants = vec!["TUR".into(), "SYR".into()];
        a.span = Some([10, 42]);
        a.sentence = Some(3);
        a.directed = false;
        a.normalize(&dict).expect("normal");
        let mut b =
            Event::new("b", Date::parse("2020-01-01").unwrap_or(Date::MIN), None, Some("USA"), "190").expect("ok");
        b.normalize(&dict).expect("normal");
        let batch = events_to_batch(&[a.clone(), b.clone()]).expect("batch");
        let cols = EventColumns::new(batch).expect("view");
        assert_eq!(cols.event(0), a);
        assert_eq!(cols.event(1), b);
        assert!(cols.has_topic(0, "refugees"));
        assert!(!cols.has_topic(1, "refugees"));
    }
}
