//! Parquet event datasets into the store: a file `export` wrote, a hive-partitioned folder of
//! them (`year=2023/month=5/part-0.parquet`), or what Spark, Dask or DuckDB wrote from the
//! event schema (`part-00000-….snappy.parquet`, beside `_SUCCESS` and `.crc` files, which are
//! passed over). The same contract as the text importers: a file imported before (same bytes)
//! is skipped, rows already stored are left alone, a bad row is reported with its file and row
//! (1-based, in the `line` field) and skipped, and with `strict` a file with any bad row writes
//! nothing.
//!
//! Partition folders carry values the files do not (Spark leaves its partition columns out of
//! the files): a `key=value` folder whose key is a record field the file lacks fills that
//! column; `year`, `month` and `day` are checked against each event's date, so that a file
//! moved to the wrong folder is caught rather than believed.

use super::{
    BadRow, Destination, FileReport, ImportOptions, ImportReport, MAX_REPORTED_BAD_ROWS, Totals, conflicts_as_bad_rows,
};
use crate::domain::columnar::events_to_batch;
use crate::domain::event::{CSV_COLUMNS, Event, FIELDS};
use crate::error::{Error, Location, Result};
use crate::store::{ImportRecord, Write, WritePart};
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The format name Parquet imports are recorded under in the store's catalog.
const FORMAT: &str = "parquet";

/// Rows read from a Parquet file at a time.
const READ_ROWS: usize = 65_536;

/// A Parquet file to import: where it is, the name reports give it and the `key=value` folders
/// it sits in below the dataset's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetFile {
    /// The file.
    pub path: PathBuf,
    /// The partition keys and values of the folders it sits in (outermost first).
    pub partition: Vec<(String, String)>,
}

/// The Parquet files a dataset argument names: a file; a folder (every `.parquet` file below
/// it, at any depth, in path order; names starting with `_` or `.` — Spark's `_SUCCESS`, its
/// checksums, our unfinished exports — are passed over); or a glob (`*` and `?` within a name,
/// `**` for any folders), for when the shell has not expanded it.
pub fn parquet_files(arg: &Path) -> Result<Vec<ParquetFile>> {
    let text = arg.to_string_lossy();
    let not_found = || Error::invalid("files", format!("{}: no such file or folder", arg.display()));
    if arg.is_file() {
        return Ok(vec![ParquetFile { path: arg.to_path_buf(), partition: partition_of(arg) }]);
    }
    let (root, pattern) = if arg.is_dir() {
        (arg.to_path_buf(), None)
    } else if text.contains(['*', '?']) {
        // The folders before the first component with a wildcard are walked; the rest matched.
        let mut root = PathBuf::new();
        let mut rest = Vec::new();
        for c in arg.components() {
            let s = c.as_os_str().to_string_lossy().into_owned();
            if rest.is_empty() && !s.contains(['*', '?']) {
                root.push(c);
            } else {
                rest.push(s);
            }
        }
        if root.as_os_str().is_empty() {
            root.push(".");
        }
        (root, Some(rest))
    } else {
        return Err(not_found());
    };
    let mut found = Vec::new();
    walk(&root, &root, &mut found)?;
    found.sort();
    let files: Vec<ParquetFile> = found
        .into_iter()
        .filter(|rel| match &pattern {
            Some(p) => glob_match(p, &components(rel)),
            None => rel.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")),
        })
        .map(|rel| root.join(rel))
        .map(|path| ParquetFile { partition: partition_of(&path), path })
        .collect();
    if files.is_empty() {
        return Err(Error::invalid("files", format!("{}: no Parquet files there", arg.display())));
    }
    Ok(files)
}

/// Every file below `dir` (relative to `root`), leaving out names starting with `_` or `.`.
fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(['_', '.']) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

fn components(path: &Path) -> Vec<String> {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect()
}

/// Whether path components match pattern components (`**` matches any number of folders).
fn glob_match(pattern: &[String], path: &[String]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((p, rest)) if p == "**" => (0..=path.len()).any(|skip| glob_match(rest, &path[skip..])),
        Some((p, rest)) => {
            path.split_first().is_some_and(|(c, more)| name_match(p.as_bytes(), c.as_bytes()) && glob_match(rest, more))
        }
    }
}

/// `*` (any run of characters) and `?` (one) within one name.
fn name_match(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| name_match(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && name_match(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && name_match(rest, &s[1..]),
    }
}

/// The `key=value` folders right above a file (the hive layout: a folder whose name has no
/// `=` ends them), values %-decoded as Spark and pyarrow escape them; Hive's placeholder for a
/// null value is left out.
fn partition_of(path: &Path) -> Vec<(String, String)> {
    let parts = components(path);
    let folders = &parts[..parts.len().saturating_sub(1)];
    let start = folders.iter().rposition(|c| !c.contains('=')).map_or(0, |i| i + 1);
    folders[start..]
        .iter()
        .filter_map(|c| c.split_once('='))
        .filter(|(_, v)| *v != "__HIVE_DEFAULT_PARTITION__")
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a file's partition folders say: record fields to fill, and the date parts every event
/// must have.
#[derive(Default)]
struct Partition {
    fill: Vec<(String, String)>,
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
}

impl Partition {
    fn of(file: &ParquetFile, name: &str) -> Result<Partition> {
        let mut p = Partition::default();
        let bad = |k: &str, v: &str| {
            Error::invalid_at(
                Location { input: Some(name.to_string()), line: None, field: Some(k.to_string()) },
                format!("partition folder `{k}={v}`: `{v}` is not a number"),
            )
        };
        for (k, v) in &file.partition {
            match k.as_str() {
                "year" => p.year = Some(v.parse().map_err(|_| bad(k, v))?),
                "month" => p.month = Some(v.parse().map_err(|_| bad(k, v))?),
                "day" => p.day = Some(v.parse().map_err(|_| bad(k, v))?),
                _ if FIELDS.contains(&k.as_str()) || CSV_COLUMNS.contains(&k.as_str()) => {
                    p.fill.push((k.clone(), v.clone()))
                }
                _ => {
                    return Err(Error::invalid_at(
                        Location { input: Some(name.to_string()), line: None, field: Some(k.clone()) },
                        format!(
                            "partition folder `{k}={v}`: `{k}` is neither a field of the event record nor year, month or day"
                        ),
                    ));
                }
            }
        }
        Ok(p)
    }

    /// The batch with the folders' fields added as columns, where the file lacks them; a column
    /// the file holds for one of its folders' date parts (a partitioned read written back into
    /// the same layout) is dropped, as the folder is checked against each date. Any other
    /// `year`, `month` or `day` column is an unknown column.
    fn apply(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let schema = batch.schema();
        let mut fields: Vec<arrow_schema::FieldRef> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        let folders = [("year", self.year.is_some()), ("month", self.month.is_some()), ("day", self.day.is_some())];
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            if !folders.iter().any(|(k, held)| *held && f.name() == k) {
                fields.push(f.clone());
                columns.push(c.clone());
            }
        }
        for (k, v) in &self.fill {
            if schema.field_with_name(k).is_err() {
                fields.push(Arc::new(arrow_schema::Field::new(k, arrow_schema::DataType::Utf8, true)));
                columns.push(Arc::new(StringArray::from(vec![v.as_str(); batch.num_rows()])));
            }
        }
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        RecordBatch::try_new_with_options(Arc::new(arrow_schema::Schema::new(fields)), columns, &options)
            .map_err(|e| Error::Internal(format!("adding partition columns: {e}")))
    }

    /// Refuses an event dated outside its folders' year, month or day.
    fn check(&self, e: &Event) -> Result<()> {
        let (y, m, d) = e.date.ymd();
        let outside = |what: &str, folder: String| {
            Err(Error::invalid("date", format!("{} lies outside its partition folder `{what}={folder}`", e.date)))
        };
        match (self.year, self.month, self.day) {
            (Some(want), _, _) if want != y => outside("year", want.to_string()),
            (_, Some(want), _) if want != m => outside("month", want.to_string()),
            (_, _, Some(want)) if want != d => outside("day", want.to_string()),
            _ => Ok(()),
        }
    }
}

/// A file read and waiting to be written with the small files around it.
struct Pending {
    report: FileReport,
    batch: Option<RecordBatch>,
    lines: Vec<u64>,
    /// None for a file found imported already.
    record: Option<ImportRecord>,
}

/// Small files waiting for one write together (Spark and Dask write many of a few thousand
/// rows): one commit for them all, each still counted apart.
struct Waiting {
    files: Vec<Pending>,
    rows: usize,
}

/// Imports Parquet files of events (see [`parquet_files`] to find them in a dataset folder).
pub fn import_parquet(to: &Destination<'_>, files: &[ParquetFile], opts: &ImportOptions) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let _merge_at_end = (files.len() > 1).then(|| to.store.defer_compaction());
    let mut waiting = Waiting { files: Vec::new(), rows: 0 };
    for file in files {
        let read = import_one(to, file, opts, &mut waiting, &mut report);
        if let Err(e) = read {
            // The files before this one land, as they would have one by one.
            waiting.flush(to, opts, &mut report)?;
            return Err(e);
        }
    }
    waiting.flush(to, opts, &mut report)?;
    Ok(report)
}

fn import_one(
    to: &Destination<'_>,
    file: &ParquetFile,
    opts: &ImportOptions,
    waiting: &mut Waiting,
    out: &mut ImportReport,
) -> Result<()> {
    let path = file.path.as_path();
    let name = path.display().to_string();
    let mut report = FileReport { file: name.clone(), ..Default::default() };
    let handle = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: a read-only map of an input file, only hashed.
    let map = unsafe { memmap2::Mmap::map(&handle) }.map_err(|e| Error::io(path, e))?;
    let fingerprint = format!("{FORMAT}:{:016x}:{}", super::hash_map(&map), map.len());
    drop(map);
    let pending_same = waiting.files.iter().any(|f| f.record.as_ref().is_some_and(|r| r.fingerprint == fingerprint));
    if !opts.force && (pending_same || to.store.backend().imported(&fingerprint)?) {
        report.already_imported = true;
        super::log_imported(&report);
        waiting.files.push(Pending { report, batch: None, lines: Vec::new(), record: None });
        return Ok(());
    }
    let partition = Partition::of(file, &name)?;
    let located =
        |message: String| Error::invalid_at(Location { input: Some(name.clone()), line: None, field: None }, message);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(handle)
        .map_err(|e| located(format!("not a readable Parquet file: {e}")))?
        .with_batch_size(READ_ROWS)
        .build()
        .map_err(|e| located(format!("not a readable Parquet file: {e}")))?;
    let dict = to.dictionary.clone();
    let record = ImportRecord { fingerprint, name: name.clone(), format: FORMAT.into(), rows: 0 };
    // Where this file's rows start in the store, once it writes on its own (a large file).
    let mut first_row = 0;
    let mut events: Vec<Event> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut totals = Totals::default();
    let mut wrote = false;
    let mut first_bad: Option<String> = None;
    // Rows that are not events (conflicts with stored events are counted in `bad` too, later).
    let mut unreadable = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| located(format!("not a readable Parquet file: {e}")))?;
        let batch = partition.apply(batch)?;
        let rows = crate::io::tables::event_rows(&batch).map_err(|e| {
            let field = e.field().map(str::to_string);
            Error::invalid_at(Location { input: Some(name.clone()), line: None, field }, message_of(&e))
        })?;
        for row in rows {
            report.rows += 1;
            let line = report.rows;
            let event = row.and_then(|mut e| {
                e.normalize(&dict)?;
                partition.check(&e)?;
                Ok(e)
            });
            match event {
                Ok(e) => {
                    events.push(e);
                    lines.push(line);
                }
                Err(e) => {
                    report.bad += 1;
                    unreadable += 1;
                    first_bad.get_or_insert_with(|| e.to_string());
                    if out.bad_rows.len() < MAX_REPORTED_BAD_ROWS {
                        out.bad_rows.push(BadRow { file: name.clone(), line, message: e.to_string() });
                    }
                }
            }
        }
        if opts.strict && report.bad > 0 {
            return Err(super::strict_error(&name, &out.bad_rows, report.bad));
        }
        if !opts.strict && events.len() >= opts.batch_rows.max(1) {
            // A large file: written as it is read, after the small files before it.
            if !wrote {
                waiting.flush(to, opts, out)?;
                first_row = to.store.view().end_row();
            }
            let batch = events_to_batch(&std::mem::take(&mut events))?;
            let lines = std::mem::take(&mut lines);
            totals.add(write_rows(to, opts, &name, Some(batch), lines, None, first_row, &mut report, out)?);
            wrote = true;
        }
    }
    if report.rows > 0 && unreadable == report.rows {
        let first = first_bad.unwrap_or_default();
        return Err(Error::invalid_at(
            Location::line(name.clone(), 1),
            format!("no row of this file is an event row (the first: {first})"),
        ));
    }
    let record = ImportRecord { rows: report.rows, ..record };
    let batch = if events.is_empty() { None } else { Some(events_to_batch(&events)?) };
    drop(events);
    if wrote {
        totals.add(write_rows(to, opts, &name, batch, lines, Some(record), first_row, &mut report, out)?);
        totals.report(&mut report);
        super::log_imported(&report);
        out.files.push(report);
        return Ok(());
    }
    waiting.rows += lines.len();
    waiting.files.push(Pending { report, batch, lines, record: Some(record) });
    if waiting.rows >= opts.batch_rows.max(1) {
        waiting.flush(to, opts, out)?;
    }
    Ok(())
}

/// One write of a large file's rows (the last with its import record); conflicts left out are
/// reported as bad rows at their lines.
#[allow(clippy::too_many_arguments)]
fn write_rows(
    to: &Destination<'_>,
    opts: &ImportOptions,
    name: &str,
    batch: Option<RecordBatch>,
    lines: Vec<u64>,
    record: Option<ImportRecord>,
    first_row: u32,
    report: &mut FileReport,
    out: &mut ImportReport,
) -> Result<crate::store::WriteSummary> {
    let mut summary = to.store.write(Write {
        events: batch.clone(),
        replace: opts.replace,
        skip_conflicts: !opts.strict,
        imports: record.into_iter().collect(),
        input: Some(name.to_string()),
        lines: lines.clone(),
        repeats_from: Some(first_row),
        ..Default::default()
    })?;
    report_conflicts(name, batch.as_ref(), &lines, &std::mem::take(&mut summary.conflicts), report, out)?;
    Ok(summary)
}

/// Rows left out because their id is stored with other content, as bad rows at their lines.
fn report_conflicts(
    name: &str,
    batch: Option<&RecordBatch>,
    lines: &[u64],
    ids: &[String],
    report: &mut FileReport,
    out: &mut ImportReport,
) -> Result<()> {
    let Some(batch) = batch.filter(|_| !ids.is_empty()) else { return Ok(()) };
    let cols = crate::domain::columnar::EventColumns::new(batch.clone())?;
    let mut line_of: HashMap<&str, u64> = HashMap::new();
    for i in 0..cols.len() {
        line_of.entry(cols.id.value(i)).or_insert(lines.get(i).copied().unwrap_or(0));
    }
    conflicts_as_bad_rows(name, ids, |id| line_of.get(id).copied(), report, &mut out.bad_rows);
    Ok(())
}

/// An error's message without its location (a row's place is given apart).
fn message_of(e: &Error) -> String {
    match e {
        Error::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

impl Waiting {
    /// Writes the files waiting, in one write; strict, a conflict refuses it, and the files are
    /// then written one by one, so that those before the one it is in land and that one is named.
    fn flush(&mut self, to: &Destination<'_>, opts: &ImportOptions, out: &mut ImportReport) -> Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        let files = std::mem::take(&mut self.files);
        self.rows = 0;
        let batch = super::join(files.iter().filter_map(|f| f.batch.clone()).collect())?;
        let write = Write {
            events: batch,
            replace: opts.replace,
            skip_conflicts: !opts.strict,
            imports: files.iter().filter_map(|f| f.record.clone()).collect(),
            lines: files.iter().flat_map(|f| f.lines.iter().copied()).collect(),
            parts: files
                .iter()
                .map(|f| WritePart {
                    input: f.report.file.clone(),
                    events: f.batch.as_ref().map_or(0, RecordBatch::num_rows),
                })
                .collect(),
            ..Default::default()
        };
        let summary = match to.store.write(write) {
            Ok(summary) => summary,
            Err(Error::Conflict { .. }) if opts.strict && files.len() > 1 => {
                for file in files {
                    self.files.push(file);
                    self.flush(to, opts, out)?;
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut parts = summary.parts.into_iter();
        for Pending { mut report, batch, lines, record: _ } in files {
            let mut part = parts.next().unwrap_or_default();
            let conflicts = std::mem::take(&mut part.conflicts);
            let mut totals = Totals::default();
            totals.add(part);
            totals.report(&mut report);
            report_conflicts(&report.file.clone(), batch.as_ref(), &lines, &conflicts, &mut report, out)?;
            super::log_imported(&report);
            out.files.push(report);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "parquet_tests.rs"]
mod tests;
