//! Reading tables other tools made: Arrow record batches (from pyarrow, polars, pandas, DuckDB,
//! Parquet) whose columns carry the canonical record's names, as events or as documents. Columns
//! are taken in whatever reasonable Arrow type they come (strings of any layout, dictionary
//! strings, dates, timestamps, integers of any width); each error names its row and column.

use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::domain::event::{CSV_COLUMNS, Event, FIELDS, Fields, Place, from_fields};
use crate::error::{Error, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::DataType;
use std::collections::HashMap;

/// A column converted once to the type its field is read as.
enum Column {
    Str(StringArray),
    Bool(BooleanArray),
    F64(arrow_array::Float64Array),
    U64(arrow_array::UInt64Array),
    /// Lists of strings: (offsets into values per row, or None for null), the values.
    List(Vec<Option<Vec<String>>>),
    /// A struct location: name and country.
    Place(Option<StringArray>, Option<StringArray>),
    /// A `[start, end]` span.
    Span(Vec<Option<[u32; 2]>>),
}

const TEXT_FIELDS: &[&str] = &[
    "id",
    "date",
    "date_precision",
    "source",
    "target",
    "source_country",
    "target_country",
    "source_name",
    "target_name",
    "source_raw",
    "target_raw",
    "code",
    "root_code",
    "plover",
    "group",
    "reported",
    "doc_id",
    "evidence",
    "rule",
    "origin",
    "location_name",
    "location_country",
];
const BOOL_FIELDS: &[&str] = &["directed", "historical", "planned"];
const INT_FIELDS: &[&str] = &["quad_class", "sentence", "mentions", "span_start", "span_end"];
/// Codes written as numbers have lost their leading zeros ("043" → 43): refused, not guessed.
const CODE_FIELDS: &[&str] = &["code", "root_code"];

fn cast_error(field: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid(field, format!("column `{field}` cannot be read: {e}"))
}

fn strict() -> CastOptions<'static> {
    CastOptions { safe: false, ..Default::default() }
}

/// Any string-like or date-like array as strings (dates as YYYY-MM-DD).
fn as_strings(field: &str, a: &ArrayRef) -> Result<StringArray> {
    let a = match a.data_type() {
        DataType::Timestamp(..) | DataType::Date64 => {
            cast_with_options(a, &DataType::Date32, &strict()).map_err(|e| cast_error(field, e))?
        }
        _ => a.clone(),
    };
    let s = cast_with_options(&a, &DataType::Utf8, &strict()).map_err(|e| cast_error(field, e))?;
    Ok(s.as_string::<i32>().clone())
}

fn prepare(field: &str, a: &ArrayRef) -> Result<Column> {
    let t = a.data_type();
    if CODE_FIELDS.contains(&field) && (t.is_integer() || t.is_floating()) {
        return Err(Error::invalid(
            field,
            format!("column `{field}` holds numbers ({t}); CAMEO codes are strings (\"043\", not 43): read it as text"),
        ));
    }
    if TEXT_FIELDS.contains(&field) {
        return Ok(Column::Str(as_strings(field, a)?));
    }
    if BOOL_FIELDS.contains(&field) {
        let b = cast_with_options(a, &DataType::Boolean, &strict()).map_err(|e| cast_error(field, e))?;
        return Ok(Column::Bool(b.as_boolean().clone()));
    }
    if field == "goldstein" {
        let f = cast_with_options(a, &DataType::Float64, &strict()).map_err(|e| cast_error(field, e))?;
        return Ok(Column::F64(f.as_primitive::<Float64Type>().clone()));
    }
    if INT_FIELDS.contains(&field) {
        let u = cast_with_options(a, &DataType::UInt64, &strict())
            .map_err(|_| Error::invalid(field, format!("column `{field}` must hold non-negative integers")))?;
        return Ok(Column::U64(u.as_primitive::<UInt64Type>().clone()));
    }
    match field {
        "topics" | "participants" => Ok(Column::List(string_lists(field, a)?)),
        "location" => match t {
            DataType::Struct(_) => {
                let s = a.as_struct();
                let child = |n: &str| s.column_by_name(n).map(|c| as_strings("location", c)).transpose();
                Ok(Column::Place(child("name")?, child("country")?))
            }
            _ => Err(Error::invalid(
                "location",
                format!("column `location` must be a struct {{name, country}}, not {t}"),
            )),
        },
        "span" => Ok(Column::Span(spans(a)?)),
        _ => Err(Error::invalid(field, format!("unknown column `{field}`"))),
    }
}

fn string_lists(field: &str, a: &ArrayRef) -> Result<Vec<Option<Vec<String>>>> {
    let t = a.data_type();
    let list = match t {
        DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_) | DataType::FixedSizeList(..) => {
            let inner = arrow_schema::Field::new_list_field(DataType::Utf8, true);
            cast_with_options(a, &DataType::List(inner.into()), &strict()).map_err(|e| cast_error(field, e))?
        }
        // The CSV form: `a;b;c`.
        _ => {
            let s = as_strings(field, a)?;
            return Ok((0..s.len())
                .map(|i| {
                    (!s.is_null(i)).then(|| {
                        s.value(i).split(';').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
                    })
                })
                .collect());
        }
    };
    let list = list.as_list::<i32>();
    Ok((0..list.len())
        .map(|i| {
            (!list.is_null(i)).then(|| {
                let v = list.value(i);
                let v = v.as_string::<i32>();
                (0..v.len()).filter(|j| !v.is_null(*j)).map(|j| v.value(j).to_string()).collect()
            })
        })
        .collect())
}

fn spans(a: &ArrayRef) -> Result<Vec<Option<[u32; 2]>>> {
    let inner = arrow_schema::Field::new_list_field(DataType::UInt32, true);
    let list = cast_with_options(a, &DataType::List(inner.into()), &strict())
        .map_err(|_| Error::invalid("span", "column `span` must hold [start, end] pairs of non-negative integers"))?;
    let list = list.as_list::<i32>();
    (0..list.len())
        .map(|i| {
            if list.is_null(i) {
                return Ok(None);
            }
            let v = list.value(i);
            let v = v.as_primitive::<arrow_array::types::UInt32Type>();
            match (v.len(), v.is_valid(0) && v.len() == 2 && v.is_valid(1)) {
                (2, true) => Ok(Some([v.value(0), v.value(1)])),
                _ => Err(Error::invalid("span", "expected [start, end]").at("table", i as u64 + 1)),
            }
        })
        .collect()
}

/// The columns of one batch, prepared once.
struct Prepared {
    cols: HashMap<String, Column>,
}

/// One row of a prepared batch, read as the canonical record's fields.
struct Row<'a> {
    p: &'a Prepared,
    i: usize,
}

impl Fields for Row<'_> {
    fn str(&self, name: &str) -> Result<Option<String>> {
        Ok(match self.p.cols.get(name) {
            Some(Column::Str(s)) if !s.is_null(self.i) => {
                Some(s.value(self.i).trim().to_string()).filter(|x| !x.is_empty())
            }
            _ => None,
        })
    }
    fn bool(&self, name: &str) -> Result<Option<bool>> {
        Ok(match self.p.cols.get(name) {
            Some(Column::Bool(b)) if !b.is_null(self.i) => Some(b.value(self.i)),
            _ => None,
        })
    }
    fn f64(&self, name: &str) -> Result<Option<f64>> {
        Ok(match self.p.cols.get(name) {
            Some(Column::F64(f)) if !f.is_null(self.i) => Some(f.value(self.i)),
            _ => None,
        })
    }
    fn u64(&self, name: &str) -> Result<Option<u64>> {
        Ok(match self.p.cols.get(name) {
            Some(Column::U64(u)) if !u.is_null(self.i) => Some(u.value(self.i)),
            _ => None,
        })
    }
    fn list(&self, name: &str) -> Result<Vec<String>> {
        Ok(match self.p.cols.get(name) {
            Some(Column::List(l)) => l.get(self.i).cloned().flatten().unwrap_or_default(),
            _ => Vec::new(),
        })
    }
    fn location(&self) -> Result<Option<Place>> {
        let (name, country) = match self.p.cols.get("location") {
            Some(Column::Place(n, c)) => {
                let get = |a: &Option<StringArray>| {
                    a.as_ref()
                        .filter(|a| !a.is_null(self.i))
                        .map(|a| a.value(self.i).to_string())
                        .filter(|s| !s.is_empty())
                };
                (get(n), get(c))
            }
            _ => (self.str("location_name")?, self.str("location_country")?),
        };
        Ok((name.is_some() || country.is_some()).then_some(Place { name, country }))
    }
    fn span(&self) -> Result<Option<[u32; 2]>> {
        if let Some(Column::Span(s)) = self.p.cols.get("span") {
            return Ok(s.get(self.i).copied().flatten());
        }
        match (self.u64("span_start")?, self.u64("span_end")?) {
            (None, None) => Ok(None),
            (Some(s), Some(e)) if s <= u32::MAX as u64 && e <= u32::MAX as u64 => Ok(Some([s as u32, e as u32])),
            _ => Err(Error::invalid("span", "span_start and span_end must both be given")),
        }
    }
    fn unknown_field(&self) -> Option<String> {
        None
    }
}

/// Events from a table whose columns carry the canonical record's names (any subset beyond
/// `date` and `code`; flattened CSV names accepted). Errors name the row (`line`, 1-based) and
/// the column. The events still need [`Event::normalize`] (the Model's `add_events` does it).
pub fn events_from_batch(batch: &RecordBatch) -> Result<Vec<Event>> {
    event_rows(batch)?.into_iter().enumerate().map(|(i, row)| row.map_err(|e| e.at("table", i as u64 + 1))).collect()
}

/// Each row of a table as an event or the reason it is not one (no location: the caller knows
/// the row). An error for the whole table (an unknown column, a column of the wrong type) is
/// the outer one, naming the column.
pub fn event_rows(batch: &RecordBatch) -> Result<Vec<Result<Event>>> {
    let schema = batch.schema();
    let mut cols = HashMap::new();
    for (f, a) in schema.fields().iter().zip(batch.columns()) {
        let name = f.name().as_str();
        if !FIELDS.contains(&name) && !CSV_COLUMNS.contains(&name) {
            return Err(Error::invalid(
                name,
                format!(
                    "unknown column `{name}` (columns are the canonical record's fields: id, date, source, target, code, …)"
                ),
            ));
        }
        cols.insert(name.to_string(), prepare(name, a)?);
    }
    let p = Prepared { cols };
    Ok((0..batch.num_rows()).map(|i| from_fields(&Row { p: &p, i })).collect())
}

/// Documents from a table with a `text` column and a `published` date column (strings
/// YYYY-MM-DD, dates or timestamps), and optional `id` and `title`. Errors name row and column.
pub fn documents_from_batch(batch: &RecordBatch) -> Result<Vec<Document>> {
    let col = |name: &str| batch.column_by_name(name).map(|a| as_strings(name, a)).transpose();
    let text = col("text")?.ok_or_else(|| Error::invalid("text", "the table has no `text` column"))?;
    let published =
        col("published")?.ok_or_else(|| Error::invalid("published", "the table has no `published` column"))?;
    let id = col("id")?;
    let title = col("title")?;
    if let Some(extra) = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name())
        .find(|n| !["text", "published", "id", "title"].contains(&n.as_str()))
    {
        return Err(Error::invalid(
            extra.as_str(),
            format!("unknown column `{extra}` (expected id, published, title, text)"),
        ));
    }
    fn get(a: &Option<StringArray>, i: usize) -> Option<&str> {
        a.as_ref().filter(|a| !a.is_null(i)).map(|a| a.value(i))
    }
    (0..batch.num_rows())
        .map(|i| {
            let at = |e: Error| e.at("table", i as u64 + 1);
            let p = (!published.is_null(i))
                .then(|| published.value(i))
                .ok_or_else(|| at(Error::invalid("published", "missing publication date")))?;
            let date = Date::parse(p.trim()).map_err(|e| at(e.in_field("published")))?;
            let t = if text.is_null(i) { "" } else { text.value(i) };
            Document::new(get(&id, i), date, get(&title, i), t).map_err(at)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Date32Array, Int64Array, StringArray, StructArray};
    use arrow_schema::{Field, Fields as ArrowFields};
    use std::sync::Arc;

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols.into_iter().map(|(n, a)| (n.to_string(), a))).expect("batch")
    }

    #[test]
    fn reads_the_columns_tools_produce() {
        let d = Date::parse("2023-05-10").expect("date").days();
        let place = StructArray::new(
            ArrowFields::from(vec![
                Field::new("name", DataType::Utf8, true),
                Field::new("country", DataType::Utf8, true),
            ]),
            vec![
                Arc::new(StringArray::from(vec![Some("Moscow"), None])),
                Arc::new(StringArray::from(vec![Some("RUS"), None])),
            ],
            None,
        );
        let b = batch(vec![
            ("id", Arc::new(StringArray::from(vec!["a", "b"]))),
            ("date", Arc::new(Date32Array::from(vec![d, d + 1]))),
            (
                "source",
                Arc::new(arrow_array::DictionaryArray::<arrow_array::types::Int32Type>::from_iter(["TURGOV", "SYR"])),
            ),
            ("target", Arc::new(StringArray::from(vec![Some("SYRGOV"), None]))),
            ("code", Arc::new(StringArray::from(vec!["040", "112"]))),
            ("mentions", Arc::new(Int64Array::from(vec![3, 1]))),
            ("directed", Arc::new(BooleanArray::from(vec![false, true]))),
            ("topics", Arc::new(StringArray::from(vec![Some("refugees;counterterrorism"), None]))),
            ("location", Arc::new(place)),
        ]);
        let events = events_from_batch(&b).expect("events");
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(
            (e.id.as_str(), e.date.to_string().as_str(), e.source.as_deref()),
            ("a", "2023-05-10", Some("TURGOV"))
        );
        assert_eq!((e.mentions, e.directed), (3, false));
        assert_eq!(e.topics, ["refugees", "counterterrorism"]);
        assert_eq!(e.location.as_ref().and_then(|l| l.name.as_deref()), Some("Moscow"));
        assert_eq!((events[1].target.as_deref(), events[1].location.is_none()), (None, true));
    }

    #[test]
    fn errors_name_row_and_column() {
        let b = batch(vec![
            ("date", Arc::new(StringArray::from(vec!["2023-05-10", "2023-02-30"]))),
            ("code", Arc::new(StringArray::from(vec!["040", "040"]))),
        ]);
        let e = events_from_batch(&b).unwrap_err();
        assert_eq!((e.field(), e.location().and_then(|l| l.line)), (Some("date"), Some(2)));
        let numeric = batch(vec![
            ("date", Arc::new(StringArray::from(vec!["2023-05-10"]))),
            ("code", Arc::new(Int64Array::from(vec![43]))),
        ]);
        assert!(events_from_batch(&numeric).unwrap_err().to_string().contains("strings"));
        let extra = batch(vec![
            ("date", Arc::new(StringArray::from(vec!["2023-05-10"]))),
            ("colour", Arc::new(StringArray::from(vec!["red"]))),
        ]);
        assert_eq!(events_from_batch(&extra).unwrap_err().field(), Some("colour"));
        let negative = batch(vec![
            ("date", Arc::new(StringArray::from(vec!["2023-05-10"]))),
            ("code", Arc::new(StringArray::from(vec!["040"]))),
            ("mentions", Arc::new(Int64Array::from(vec![-2]))),
        ]);
        assert_eq!(events_from_batch(&negative).unwrap_err().field(), Some("mentions"));
    }

    #[test]
    fn documents_from_a_table() {
        let b = batch(vec![
            ("id", Arc::new(StringArray::from(vec![Some("x"), None]))),
            ("published", Arc::new(StringArray::from(vec!["2023-05-11", "2023-05-12"]))),
            ("text", Arc::new(StringArray::from(vec!["Turkey met Syria.", "Syria accused Turkey."]))),
        ]);
        let docs = documents_from_batch(&b).expect("docs");
        assert_eq!(docs[0].id, "x");
        assert!(docs[1].id.starts_with("doc:"));
        let bad = batch(vec![
            ("published", Arc::new(StringArray::from(vec!["2023-05-11", "11/05/2023"]))),
            ("text", Arc::new(StringArray::from(vec!["a", "b"]))),
        ]);
        let e = documents_from_batch(&bad).unwrap_err();
        assert_eq!((e.field(), e.location().and_then(|l| l.line)), (Some("published"), Some(2)));
    }
}
