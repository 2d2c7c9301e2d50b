//! Exports: events matching a query, or a relation series, as Parquet (the record's Arrow types:
//! dictionary strings, dates, the location struct, lists) or as CSV in the flattened form
//! (`location_name`, `location_country`, `span_start`, `span_end`, lists joined with `;`). Files
//! DuckDB, polars, pandas and Spark read directly. Events are written page by page, so an export
//! of millions of events needs memory for one page only.

use crate::domain::columnar::event_schema;
use crate::domain::event::{CSV_COLUMNS, Event};
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use std::io::Write;
use std::path::Path;

/// File formats of exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Apache Parquet (Snappy-compressed).
    Parquet,
    /// Comma-separated values with a header, nested fields flattened.
    Csv,
}

impl ExportFormat {
    /// Parses `parquet` or `csv`.
    pub fn parse(s: &str) -> Result<ExportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Ok(ExportFormat::Parquet),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(Error::invalid("format", format!("`{s}` is not parquet or csv"))),
        }
    }

    /// The format a file name asks for (`.parquet`, `.csv`).
    pub fn of_path(path: &Path) -> Result<ExportFormat> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("parquet") | Some("pq") => Ok(ExportFormat::Parquet),
            Some("csv") => Ok(ExportFormat::Csv),
            _ => Err(Error::invalid("to", format!("{}: the file name must end in .parquet or .csv", path.display()))),
        }
    }
}

/// Writes record batches in one format to any writer.
enum Sink<W: Write + Send> {
    Parquet(Box<parquet::arrow::ArrowWriter<W>>),
    Csv(Box<csv::Writer<W>>),
}

fn pq_err(e: parquet::errors::ParquetError) -> Error {
    Error::Internal(format!("parquet: {e}"))
}

impl<W: Write + Send> Sink<W> {
    fn new(format: ExportFormat, out: W, schema: arrow_schema::SchemaRef, csv_header: &[&str]) -> Result<Sink<W>> {
        Ok(match format {
            ExportFormat::Parquet => {
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                Sink::Parquet(Box::new(parquet::arrow::ArrowWriter::try_new(out, schema, Some(props)).map_err(pq_err)?))
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(csv_header).map_err(|e| Error::Internal(format!("csv: {e}")))?;
                Sink::Csv(Box::new(w))
            }
        })
    }

    fn finish(self) -> Result<W> {
        match self {
            Sink::Parquet(w) => w.into_inner().map_err(pq_err),
            Sink::Csv(w) => (*w).into_inner().map_err(|e| Error::Internal(format!("csv: {}", e.error()))),
        }
    }
}

fn csv_err(e: csv::Error) -> Error {
    Error::Internal(format!("csv: {e}"))
}

/// A source of events page by page: given the previous page's token (none at first), the next
/// page and its token (none at the end). What a [`crate::Model`] listing gives.
pub trait EventPages: FnMut(Option<String>) -> Result<(Vec<Event>, Option<String>)> {}
impl<F: FnMut(Option<String>) -> Result<(Vec<Event>, Option<String>)>> EventPages for F {}

/// Writes every event `pages` gives to `out`, a page at a time; returns how many.
pub fn write_events<W: Write + Send>(mut pages: impl EventPages, format: ExportFormat, out: W) -> Result<(W, u64)> {
    let mut sink = Sink::new(format, out, event_schema(), CSV_COLUMNS)?;
    let mut token = None;
    let mut n = 0u64;
    loop {
        let (events, next) = pages(token)?;
        n += events.len() as u64;
        if !events.is_empty() {
            match &mut sink {
                Sink::Parquet(w) => {
                    let batch = crate::domain::columnar::events_to_batch(&events)?;
                    w.write(&batch).map_err(pq_err)?;
                }
                Sink::Csv(w) => {
                    for e in &events {
                        w.write_record(crate::io::records::csv_fields(e)).map_err(csv_err)?;
                    }
                }
            }
        }
        match next {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    Ok((sink.finish()?, n))
}

/// Writes a batch (a series, any table) to `out` in one format.
pub(crate) fn write_batch<W: Write + Send>(batch: &RecordBatch, format: ExportFormat, out: W) -> Result<W> {
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    let header: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut sink = Sink::new(format, out, batch.schema(), &header)?;
    match &mut sink {
        Sink::Parquet(w) => w.write(batch).map_err(pq_err)?,
        Sink::Csv(w) => {
            let cols: Vec<arrow_array::ArrayRef> = batch
                .columns()
                .iter()
                .map(|c| {
                    arrow_cast::cast(c, &arrow_schema::DataType::Utf8)
                        .map_err(|e| Error::Internal(format!("arrow: {e}")))
                })
                .collect::<Result<_>>()?;
            for i in 0..batch.num_rows() {
                let row: Vec<&str> = cols
                    .iter()
                    .map(|c| {
                        let s = arrow_array::cast::AsArray::as_string::<i32>(c.as_ref());
                        if arrow_array::Array::is_null(s, i) { "" } else { s.value(i) }
                    })
                    .collect();
                w.write_record(&row).map_err(csv_err)?;
            }
        }
    }
    sink.finish()
}

/// Writes to a file atomically: into a temporary name beside it, synced, then renamed.
pub(crate) fn to_file<T>(
    path: &Path,
    f: impl FnOnce(std::io::BufWriter<std::fs::File>) -> Result<(std::io::BufWriter<std::fs::File>, T)>,
) -> Result<T> {
    let tmp = path.with_extension(format!("{}.partial", path.extension().and_then(|e| e.to_str()).unwrap_or("out")));
    let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = f(std::io::BufWriter::with_capacity(1 << 20, file)).and_then(|(w, t)| {
        let file = w.into_inner().map_err(|e| Error::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        Ok(t)
    });
    match result {
        Ok(t) => {
            std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
            Ok(t)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Exports every event `pages` gives to a `.parquet` or `.csv` file, atomically; returns how
/// many.
pub fn export_events(pages: impl EventPages, path: &Path) -> Result<u64> {
    let format = ExportFormat::of_path(path)?;
    to_file(path, |w| write_events(pages, format, w))
}

/// Exports a table (a relation series) to a `.parquet` or `.csv` file.
pub fn export_batch(batch: &RecordBatch, path: &Path) -> Result<()> {
    let format = ExportFormat::of_path(path)?;
    to_file(path, |w| write_batch(batch, format, w).map(|w| (w, ())))
}

/// Events from a Parquet file (as `export` writes it, or any file with the record's columns).
pub fn read_parquet_events(path: &Path) -> Result<Vec<Event>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::invalid("file", format!("{}: not a readable Parquet file: {e}", path.display())))?
        .with_batch_size(65_536)
        .build()
        .map_err(|e| Error::invalid("file", format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    let mut offset = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| Error::invalid("file", format!("{}: {e}", path.display())))?;
        let events =
            crate::io::tables::events_from_batch(&batch).map_err(|e| match e.location().and_then(|l| l.line) {
                Some(line) => {
                    let field = e.field().unwrap_or("").to_string();
                    Error::invalid_at(
                        crate::error::Location::line(path.display().to_string(), offset + line).with_field(field),
                        strip(&e),
                    )
                }
                None => e,
            })?;
        offset += batch.num_rows() as u64;
        out.extend(events);
    }
    Ok(out)
}

fn strip(e: &Error) -> String {
    match e {
        Error::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
