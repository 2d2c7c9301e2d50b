//! Bulk event data: GDELT 1.0 and 2.0 event exports, ICEWS coded event files and POLECAT files
//! into the store. A streaming pipeline: the input (plain, gzip or zip) is cut into pieces of
//! 32 MiB at line ends, which threads on every core take in turn and parse straight into Arrow
//! columns (only the fields an event needs), hashing each piece for the file's fingerprint on
//! the way; the rows go, in file order, to the store in large atomic batches that update the
//! aggregates (where they are built) as they land. Bad rows are counted and reported with file and line; with
//! `strict` a file with any bad row writes nothing. A file already imported (same content) is
//! skipped; rows already stored are left as they are.

mod fields;
mod gdelt;
mod group;
mod icews;
mod input;
mod lookup;
mod parquet;
mod parser;
mod pipeline;
mod polecat;
mod rows;

use fields::{fields, line_ranges, some_fields, trim};
use group::{
    GROUP_BYTES, Group, conflicts_as_bad_rows, join, locate_conflict, log_imported, report_conflicts, strict_error,
    write_batches,
};
use input::{
    CHUNK_BYTES, Input, PIECE_BYTES, Unit, Xxh3, cut_after, fingerprint_of, hash_map, hash_plain, open, piece_end,
};
pub use parquet::{ParquetFile, import_parquet, parquet_files};
use parser::{Parser, estimate_rows, layout, parse_pieces};
use pipeline::{Job, Totals, import_file};
use rows::{Row, Rows};

use crate::domain::actors::Dictionary;
use crate::error::{Error, Result};
use crate::store::Store;
use arrow_array::RecordBatch;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What an import reads: files of one of the coded-event datasets, or Parquet files of events
/// (a file, a partitioned dataset folder or a glob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    /// GDELT, ICEWS or POLECAT files.
    Coded(Format),
    /// Parquet files in the event record's columns ([`import_parquet`]).
    Parquet,
}

impl ImportKind {
    /// Parses `gdelt1`, `gdelt2`, `icews`, `polecat`, `parquet`.
    pub fn parse(s: &str) -> Result<ImportKind> {
        if s.eq_ignore_ascii_case("parquet") {
            return Ok(ImportKind::Parquet);
        }
        Format::parse(s)
            .map(ImportKind::Coded)
            .map_err(|_| Error::invalid("kind", format!("`{s}` is not one of gdelt1, gdelt2, icews, polecat, parquet")))
    }
}

impl From<Format> for ImportKind {
    fn from(f: Format) -> Self {
        ImportKind::Coded(f)
    }
}

/// The event datasets detente reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// GDELT 1.0 event files: 57 columns (backfiles) or 58 (daily files, with SOURCEURL).
    Gdelt1,
    /// GDELT 2.0 event exports: 61 columns.
    Gdelt2,
    /// ICEWS coded event files (tab-separated, with a header).
    Icews,
    /// POLECAT weekly files (tab-separated, with a header).
    Polecat,
}

impl Format {
    /// Parses `gdelt1`, `gdelt2`, `icews`, `polecat`.
    pub fn parse(s: &str) -> Result<Format> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "gdelt1" | "gdelt-1" | "gdelt1.0" => Format::Gdelt1,
            "gdelt2" | "gdelt-2" | "gdelt2.0" | "gdelt" => Format::Gdelt2,
            "icews" => Format::Icews,
            "polecat" => Format::Polecat,
            _ => return Err(Error::invalid("kind", format!("`{s}` is not one of gdelt1, gdelt2, icews, polecat"))),
        })
    }

    /// The name used in reports and the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Gdelt1 => "gdelt1",
            Format::Gdelt2 => "gdelt2",
            Format::Icews => "icews",
            Format::Polecat => "polecat",
        }
    }

    /// The dataset's own name, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Format::Gdelt1 => "GDELT 1.0",
            Format::Gdelt2 => "GDELT 2.0",
            Format::Icews => "ICEWS",
            Format::Polecat => "POLECAT",
        }
    }
}

/// The error for a file none of whose rows is an event row of its format, with a guess at what
/// the file is instead (from its first row's width, for GDELT).
fn no_event_rows(format: Format, name: &str, body: &[u8], bad_rows: &[BadRow]) -> Error {
    let first = bad_rows.iter().find(|b| b.file == name);
    let line = first.map(|b| b.line);
    let width =
        body.split(|&b| b == b'\n').find(|l| !l.trim_ascii().is_empty()).map(|l| l.split(|&b| b == b'\t').count());
    let guess = match (format, width) {
        (Format::Gdelt1 | Format::Gdelt2, Some(16)) => "; is it a GDELT 2.0 mentions file? They hold no events",
        (Format::Gdelt1 | Format::Gdelt2, Some(27)) => "; is it a GDELT GKG file? They hold no events",
        (Format::Gdelt1, Some(61)) => "; it has GDELT 2.0's width: import it as gdelt2",
        (Format::Gdelt2, Some(57 | 58)) => "; it has GDELT 1.0's width: import it as gdelt1",
        _ => "",
    };
    let first = first.map_or(String::new(), |b| format!(" (the first: {})", b.message));
    let location = crate::error::Location { input: Some(name.to_string()), line, field: None };
    Error::invalid_at(location, format!("no row of this file is a {} event row{first}{guess}", format.title()))
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Reject a whole file (write nothing of it) when any row is bad.
    pub strict: bool,
    /// Rows per atomic write (0 counts as 1).
    pub batch_rows: usize,
    /// Parsing threads (`None`: one per core); 0 counts as 1, and a file gets no more threads
    /// than it has pieces.
    pub threads: Option<usize>,
    /// Import a file again even if a file with the same content was imported before (rows
    /// already stored are still left alone).
    pub force: bool,
    /// Replace stored events whose id a row holds with other content. Without it, such a row
    /// is a bad row (named with its file and line; strict: it rejects its file).
    pub replace: bool,
}

/// Rows per atomic write of an import, unless told otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 250_000;

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { strict: false, batch_rows: DEFAULT_BATCH_ROWS, threads: None, force: false, replace: false }
    }
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The file.
    pub file: String,
    /// Its 1-based line.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// What happened to one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub file: String,
    /// Data rows read (header excluded).
    pub rows: u64,
    /// Events stored.
    pub added: u64,
    /// Rows already stored with the same content, or repeated within the input.
    pub unchanged: u64,
    /// Rows that repeat an earlier row of the same input: the same event (id and content)
    /// again, whether or not it was stored before. Exact duplicate rows are; so is a GDELT
    /// event re-exported with only columns detente does not read changed. (Bad rows count in
    /// `bad` only.)
    pub duplicates: u64,
    /// Bad rows skipped.
    pub bad: u64,
    /// True when a file with this content had been imported before: nothing was read.
    pub already_imported: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// One entry per file.
    pub files: Vec<FileReport>,
    /// The first bad rows (at most [`MAX_REPORTED_BAD_ROWS`]), with file and line.
    pub bad_rows: Vec<BadRow>,
}

/// Bad rows kept in a report; the rest are counted.
pub(crate) const MAX_REPORTED_BAD_ROWS: usize = 100;

impl ImportReport {
    /// Events stored, over all files.
    pub fn added(&self) -> u64 {
        self.files.iter().map(|f| f.added).sum()
    }
    /// Bad rows, over all files.
    pub fn bad(&self) -> u64 {
        self.files.iter().map(|f| f.bad).sum()
    }
    /// Rows read, over all files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// The result of parsing one unit of input (whole pieces, in order).
pub(crate) struct Parsed {
    pub batch: Option<RecordBatch>,
    pub rows: u64,
    pub lines: u64,
    /// (line within the unit, 1-based; message).
    pub bad: Vec<(u64, String)>,
    pub bad_count: u64,
    /// The xxh3 of each of the unit's pieces, for the file's fingerprint.
    pub hashes: Vec<u64>,
}

/// Where an import writes: the store, and the dictionary its actors are resolved with.
#[derive(Debug, Clone)]
pub struct Destination<'a> {
    /// The store the events go into.
    pub store: &'a Store,
    /// The dictionary in force.
    pub dictionary: Arc<Dictionary>,
}

/// Reads the files into the destination's store.
pub fn import_files(
    to: &Destination<'_>,
    format: Format,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let named: Vec<(&Path, String)> = files.iter().map(|p| (p.as_path(), p.display().to_string())).collect();
    import_named(to, format, &named, opts)
}

/// Reads one uploaded file (spooled at `path`) into the store; reports and errors call it
/// `name`, never by where it was spooled.
pub fn import_upload(
    to: &Destination<'_>,
    format: Format,
    path: &Path,
    name: &str,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    import_named(to, format, &[(path, name.to_string())], opts).map_err(|e| match e {
        Error::Io { path: p, source } if p == path => Error::Io { path: PathBuf::from(name), source },
        other => other,
    })
}

/// Reads files, each reported under its name.
fn import_named(
    to: &Destination<'_>,
    format: Format,
    files: &[(&Path, String)],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    // Files of a few thousand rows each (GDELT's 15-minute exports) merge once, at the end.
    let _merge_at_end = (files.len() > 1).then(|| to.store.defer_compaction());
    let mut group = Group { files: Vec::new(), rows: 0, bytes: 0, format, strict: opts.strict, replace: opts.replace };
    for (path, name) in files {
        let job = Job { to, format, opts };
        let imported = import_file(job, path, name, &mut report.bad_rows, &mut group, &mut report.files);
        if let Err(e) = imported {
            // The files before this one land, as they would have one by one.
            group.flush(to, &mut report.files, &mut report.bad_rows)?;
            return Err(e);
        }
    }
    group.flush(to, &mut report.files, &mut report.bad_rows)?;
    Ok(report)
}

#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod tests;
