//! Partitioned Parquet datasets, the exchange format with Spark, Dask, DuckDB and polars: events
//! in hive-style folders by date (`year=2023/month=5/part-0.parquet`), each file in the record's
//! Arrow types. Engines read the folder as one dataset and skip folders on `year` and `month`
//! predicates. Every file is sorted by `date` and carries its statistics, so a `date` predicate
//! skips row groups and files too. The record's schema is also given as a Spark DDL string, for
//! engines that want it declared.

use super::export::EventPages;
use crate::domain::columnar::{event_schema, events_to_batch};
use crate::domain::date::Date;
use crate::error::{Error, Result};
use arrow_schema::DataType;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How a dataset splits events into folders by their date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioning {
    /// `year=2023/`.
    Year,
    /// `year=2023/month=5/`.
    Month,
}

impl Partitioning {
    /// Parses `year` or `month`.
    pub fn parse(s: &str) -> Result<Partitioning> {
        match s.to_ascii_lowercase().as_str() {
            "year" => Ok(Partitioning::Year),
            "month" => Ok(Partitioning::Month),
            _ => Err(Error::invalid("partition_by", format!("`{s}` is not year or month"))),
        }
    }

    /// The partition of a date: its year, and its month (0 by year).
    fn key(self, date: Date) -> (i32, u32) {
        let (y, m, _) = date.ymd();
        (y, if self == Partitioning::Month { m } else { 0 })
    }

    /// A partition's folder, relative to the dataset's root.
    fn folder(self, (y, m): (i32, u32)) -> String {
        match self {
            Partitioning::Year => format!("year={y}"),
            Partitioning::Month => format!("year={y}/month={m}"),
        }
    }
}

/// What a dataset export wrote: each file (relative to the root) with its events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatasetExport {
    /// Files in the order written, with their event counts.
    pub files: Vec<(String, u64)>,
    /// Events in all.
    pub events: u64,
}

/// Writes every event `pages` gives into a partitioned Parquet dataset at `dir`, which must not
/// exist or be empty. It is written into a folder beside `dir` and renamed into place at the
/// end, so a failed export leaves nothing half written. Events come in date order from a
/// listing, so each partition's file is written in one go; a partition met again gets a further
/// file (`part-1.parquet`).
pub fn export_dataset(mut pages: impl EventPages, dir: &Path, by: Partitioning) -> Result<DatasetExport> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(Error::invalid("to", format!("{}: exists and is not empty", dir.display())));
    }
    if dir.is_file() {
        return Err(Error::invalid("to", format!("{}: is a file, not a folder", dir.display())));
    }
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("dataset");
    let staging = dir.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = write_partitions(&mut pages, &staging, by).and_then(|report| {
        if dir.exists() {
            // Empty (checked above): rename replaces an empty folder.
            std::fs::remove_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::rename(&staging, dir).map_err(|e| Error::io(dir, e))?;
        Ok(report)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// One partition's open file.
struct Part {
    key: (i32, u32),
    path: PathBuf,
    writer: parquet::arrow::ArrowWriter<std::io::BufWriter<std::fs::File>>,
    events: u64,
}

fn pq(e: parquet::errors::ParquetError) -> Error {
    Error::Internal(format!("parquet: {e}"))
}

fn write_partitions(pages: &mut impl EventPages, root: &Path, by: Partitioning) -> Result<DatasetExport> {
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    let mut report = DatasetExport::default();
    let mut parts_of: HashMap<(i32, u32), usize> = HashMap::new();
    let mut open: Option<Part> = None;
    let mut token = None;
    loop {
        let (events, next) = pages(token)?;
        let mut start = 0;
        while start < events.len() {
            // The run of events in the same partition.
            let key = by.key(events[start].date);
            let end = start + events[start..].iter().take_while(|e| by.key(e.date) == key).count();
            if open.as_ref().is_none_or(|p| p.key != key) {
                if let Some(done) = open.take() {
                    close(done, root, &mut report)?;
                }
                let n = parts_of.entry(key).or_insert(0);
                let dir = root.join(by.folder(key));
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                let path = dir.join(format!("part-{n}.parquet"));
                *n += 1;
                let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let writer = parquet::arrow::ArrowWriter::try_new(
                    std::io::BufWriter::with_capacity(1 << 20, file),
                    event_schema(),
                    Some(props),
                )
                .map_err(pq)?;
                open = Some(Part { key, path, writer, events: 0 });
            }
            if let Some(part) = open.as_mut() {
                part.writer.write(&events_to_batch(&events[start..end])?).map_err(pq)?;
                part.events += (end - start) as u64;
            }
            start = end;
        }
        match next {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    if let Some(done) = open.take() {
        close(done, root, &mut report)?;
    }
    Ok(report)
}

fn close(part: Part, root: &Path, report: &mut DatasetExport) -> Result<()> {
    let file = part.writer.into_inner().map_err(pq)?;
    let file = file.into_inner().map_err(|e| Error::io(&part.path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&part.path, e))?;
    let relative = part.path.strip_prefix(root).unwrap_or(&part.path).to_string_lossy().replace('\\', "/");
    report.files.push((relative, part.events));
    report.events += part.events;
    Ok(())
}

/// One field of the event record as the engines see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaField {
    /// The column's name.
    pub name: String,
    /// Its Arrow type (as Arrow prints it).
    pub arrow: String,
    /// Its Spark SQL type, as Spark reads our Parquet files.
    pub spark: String,
    /// Whether it may be null.
    pub nullable: bool,
}

/// The tables detente hands to other engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The event record.
    Events,
    /// An aggregate set (per dyad, day and root, the sums a store keeps).
    Aggregates,
}

impl Table {
    /// Parses `events` or `aggregates`.
    pub fn parse(s: &str) -> Result<Table> {
        match s.to_ascii_lowercase().as_str() {
            "events" => Ok(Table::Events),
            "aggregates" => Ok(Table::Aggregates),
            _ => Err(Error::invalid("table", format!("`{s}` is not one of events, aggregates"))),
        }
    }

    /// Its Arrow schema.
    pub fn schema(self) -> arrow_schema::SchemaRef {
        match self {
            Table::Events => event_schema(),
            Table::Aggregates => crate::aggregates::aggregate_schema(),
        }
    }

    /// Its fields, in file order.
    pub fn fields(self) -> Vec<SchemaField> {
        fields_of(&self.schema())
    }

    /// Its columns as a Spark DDL string, for `spark.read.schema(...)` and `mapInArrow`.
    pub fn spark_ddl(self) -> String {
        self.fields()
            .iter()
            .map(|f| format!("`{}` {}{}", f.name, f.spark, if f.nullable { "" } else { " NOT NULL" }))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The event record's fields, in file order.
pub fn event_fields() -> Vec<SchemaField> {
    Table::Events.fields()
}

fn fields_of(schema: &arrow_schema::Schema) -> Vec<SchemaField> {
    schema
        .fields()
        .iter()
        .map(|f| SchemaField {
            name: f.name().clone(),
            arrow: f.data_type().to_string(),
            spark: spark_type(f.data_type()),
            nullable: f.is_nullable(),
        })
        .collect()
}

/// The event record as a Spark DDL string, for `spark.read.schema(...)`.
pub fn event_spark_ddl() -> String {
    Table::Events.spark_ddl()
}

/// The Spark SQL type Spark gives a Parquet column of this Arrow type. Unsigned integers widen
/// (Spark has none): `UInt8` is read as `SMALLINT`, `UInt32` as `BIGINT`.
fn spark_type(t: &DataType) -> String {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "STRING".into(),
        DataType::Dictionary(_, value) => spark_type(value),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 | DataType::UInt8 => "SMALLINT".into(),
        DataType::Int32 | DataType::UInt16 => "INT".into(),
        DataType::Int64 | DataType::UInt32 => "BIGINT".into(),
        DataType::UInt64 => "DECIMAL(20,0)".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Timestamp(..) => "TIMESTAMP".into(),
        DataType::Binary | DataType::LargeBinary => "BINARY".into(),
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
            format!("ARRAY<{}>", spark_type(item.data_type()))
        }
        DataType::Struct(fields) => format!(
            "STRUCT<{}>",
            fields
                .iter()
                .map(|f| format!("`{}`: {}", f.name(), spark_type(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string().to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;
    use crate::io::export::read_parquet_events;

    fn events() -> Vec<Event> {
        // The May 2023 Moscow talks and what came before and after, in date order.
        [
            ("e1", "2023-04-25", "TUR", "SYR", "040"),
            ("e2", "2023-05-10", "TUR", "SYR", "043"),
            ("e3", "2023-05-10", "RUS", "IRN", "042"),
            ("e4", "2023-06-20", "TUR", "SYR", "036"),
            ("e5", "2024-01-15", "SYR", "TUR", "112"),
        ]
        .iter()
        .map(|(id, d, s, t, c)| Event::new(*id, Date::parse(d).expect("date"), Some(s), Some(t), c).expect("event"))
        .collect()
    }

    /// The events two to a page, as a listing pages them.
    fn pages(all: Vec<Event>) -> impl EventPages {
        move |token: Option<String>| {
            let from: usize = token.map_or(0, |t| t.parse().unwrap_or(0));
            let to = (from + 2).min(all.len());
            Ok((all[from..to].to_vec(), (to < all.len()).then(|| to.to_string())))
        }
    }

    #[test]
    fn a_month_partitioned_dataset_holds_every_event_once_in_its_folder() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("events");
        let report = export_dataset(pages(events()), &dir, Partitioning::Month).expect("export");
        let files: Vec<(&str, u64)> = report.files.iter().map(|(f, n)| (f.as_str(), *n)).collect();
        assert_eq!(
            files,
            [
                ("year=2023/month=4/part-0.parquet", 1),
                ("year=2023/month=5/part-0.parquet", 2),
                ("year=2023/month=6/part-0.parquet", 1),
                ("year=2024/month=1/part-0.parquet", 1),
            ]
        );
        assert_eq!(report.events, 5);
        let mut back = Vec::new();
        for (file, _) in &report.files {
            back.extend(read_parquet_events(&dir.join(file)).expect("read"));
        }
        assert_eq!(back, events());
        // Nothing left beside it.
        assert_eq!(std::fs::read_dir(tmp.path()).expect("ls").count(), 1);
    }

    #[test]
    fn by_year_and_a_partition_met_twice_gets_a_second_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        // 2024 first, then 2023, then 2024 again.
        let mut shuffled = events();
        let last = shuffled.remove(4);
        let later =
            Event::new("e6", Date::parse("2024-02-01").expect("date"), Some("SYR"), Some("TUR"), "111").expect("event");
        shuffled.insert(0, last);
        shuffled.push(later);
        let report = export_dataset(pages(shuffled), &tmp.path().join("d"), Partitioning::Year).expect("export");
        let names: Vec<&str> = report.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["year=2024/part-0.parquet", "year=2023/part-0.parquet", "year=2024/part-1.parquet"]);
    }

    #[test]
    fn a_folder_with_something_in_it_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().expect("tmp");
        let keep = tmp.path().join("notes.txt");
        std::fs::write(&keep, "mine").expect("write");
        let err = export_dataset(pages(events()), tmp.path(), Partitioning::Month).expect_err("not empty");
        assert_eq!(err.field(), Some("to"));
        assert_eq!(std::fs::read_to_string(&keep).expect("kept"), "mine");
        assert_eq!(Partitioning::parse("week").expect_err("unknown").field(), Some("partition_by"));
    }

    #[test]
    fn the_schema_reads_as_spark_reads_our_files() {
        let fields = event_fields();
        let field = |n: &str| fields.iter().find(|f| f.name == n).expect("field").clone();
        assert_eq!((field("date").spark.as_str(), field("date").nullable), ("DATE", false));
        assert_eq!(field("quad_class").spark, "SMALLINT");
        assert_eq!(field("mentions").spark, "BIGINT");
        assert_eq!(field("topics").spark, "ARRAY<STRING>");
        assert!(field("location").spark.starts_with("STRUCT<`name`: STRING"), "{}", field("location").spark);
        let ddl = event_spark_ddl();
        assert!(ddl.starts_with("`id` STRING NOT NULL, `date` DATE NOT NULL, "), "{ddl}");
        for f in &fields {
            assert!(ddl.contains(&format!("`{}` {}", f.name, f.spark)), "{} in {ddl}", f.name);
        }
    }
}
