//! Writing parsed files to the store in groups: small files share one atomic write, each
//! file's import recorded with it; conflicts located at their file and line.

use super::{
    BadRow, Destination, FileReport, Format, ImportOptions, MAX_REPORTED_BAD_ROWS, Totals, Unit, layout, open,
};
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Small files parsed and waiting to be written together: one write (one segment, one commit)
/// for many files, each still counted apart ([`crate::store::Write::parts`]) and recorded as
/// imported with its rows. Files found imported already wait in it too (with no rows and no
/// record), so that reports keep the files' order.
pub(super) struct Group {
    /// Per file: its report, its rows, its import record, and where it is (to find the lines
    /// of rows refused as conflicts).
    pub(super) files: Vec<(FileReport, Option<RecordBatch>, Option<crate::store::ImportRecord>, PathBuf)>,
    pub(super) format: Format,
    pub(super) strict: bool,
    pub(super) replace: bool,
    pub(super) rows: usize,
    /// Memory the waiting batches hold: a tiny file's batch holds some 30 kB whatever its rows
    /// (its columns' first allocations), so the group is bounded by this too.
    pub(super) bytes: usize,
}

/// Memory a group of small files holds at most before it is written.
pub(super) const GROUP_BYTES: usize = 64 << 20;

impl Group {
    /// True when a file with this fingerprint is waiting in the group.
    pub(super) fn holds(&self, fingerprint: &str) -> bool {
        self.files.iter().any(|(_, _, r, _)| r.as_ref().is_some_and(|r| r.fingerprint == fingerprint))
    }

    /// Adds a file found imported already.
    pub(super) fn skip(&mut self, file: String) {
        let report = FileReport { file, already_imported: true, ..Default::default() };
        self.files.push((report, None, None, PathBuf::new()));
    }

    /// Writes the files waiting; their reports go to `done`, in order, and rows refused as
    /// conflicts to `bad_rows`. Strict, a conflict refuses the write: the files are then written
    /// one by one, so that those before the one it is in land and that one is named.
    pub(super) fn flush(
        &mut self,
        to: &Destination<'_>,
        done: &mut Vec<FileReport>,
        bad_rows: &mut Vec<BadRow>,
    ) -> Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        let files = std::mem::take(&mut self.files);
        (self.rows, self.bytes) = (0, 0);
        let written = self.write_files(to, &files);
        let summary = match written {
            Ok(summary) => summary,
            Err(Error::Conflict { .. }) if self.strict && files.len() > 1 => {
                for file in files {
                    self.files.push(file);
                    self.flush(to, done, bad_rows)?;
                }
                return Ok(());
            }
            Err(e) => return Err(locate_conflict(e, self.format, files.first().map(|f| f.3.as_path()))),
        };
        let mut parts = summary.parts.into_iter();
        for (mut report, _, _, path) in files {
            let mut totals = Totals::default();
            totals.add(parts.next().unwrap_or_default());
            totals.report(&mut report);
            report_conflicts(self.format, &path, &totals.conflicts, &mut report, bad_rows)?;
            log_imported(&report);
            done.push(report);
        }
        Ok(())
    }

    pub(super) fn write_files(
        &self,
        to: &Destination<'_>,
        files: &[(FileReport, Option<RecordBatch>, Option<crate::store::ImportRecord>, PathBuf)],
    ) -> Result<crate::store::WriteSummary> {
        let t = std::time::Instant::now();
        let events = join(files.iter().filter_map(|(_, b, _, _)| b.clone()).collect())?;
        let parts = files
            .iter()
            .map(|(r, b, _, _)| crate::store::WritePart {
                input: r.file.clone(),
                events: b.as_ref().map_or(0, RecordBatch::num_rows),
            })
            .collect();
        let summary = to.store.write(crate::store::Write {
            events,
            replace: self.replace,
            skip_conflicts: !self.strict,
            imports: files.iter().filter_map(|(_, _, r, _)| r.clone()).collect(),
            parts,
            ..Default::default()
        })?;
        tracing::debug!(files = files.len(), ms = t.elapsed().as_millis() as u64, "small files written together");
        Ok(summary)
    }
}

/// Reports rows refused as conflicts (an id stored with other content) as bad rows of their
/// file, with their lines.
pub(super) fn report_conflicts(
    format: Format,
    path: &Path,
    ids: &[String],
    report: &mut FileReport,
    bad_rows: &mut Vec<BadRow>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let lines = lines_of_ids(format, path, &report.file, ids)?;
    let file = report.file.clone();
    conflicts_as_bad_rows(&file, ids, |id| lines.get(id).copied(), report, bad_rows);
    Ok(())
}

/// Rows left out as conflicts, as bad rows of `file` in line order (`line_of` finds each id's
/// line; 0 when unknown), counted in the file's report.
pub(super) fn conflicts_as_bad_rows(
    file: &str,
    ids: &[String],
    line_of: impl Fn(&str) -> Option<u64>,
    report: &mut FileReport,
    bad_rows: &mut Vec<BadRow>,
) {
    let mut found: Vec<(u64, &String)> = ids.iter().map(|id| (line_of(id).unwrap_or(0), id)).collect();
    found.sort();
    for (line, id) in found {
        if bad_rows.len() < MAX_REPORTED_BAD_ROWS {
            bad_rows.push(BadRow { file: file.to_string(), line, message: conflict_message(id) });
        }
    }
    report.bad += ids.len() as u64;
}

pub(super) fn conflict_message(id: &str) -> String {
    format!("event `{id}` is already stored with other content (import with replace to overwrite it)")
}

/// A conflict error of a strict import, given the line of the row it is about.
pub(super) fn locate_conflict(e: Error, format: Format, path: Option<&Path>) -> Error {
    match (e, path) {
        (Error::Conflict { what, id, mut location }, Some(path)) if location.line.is_none() => {
            let name = location.input.clone().unwrap_or_else(|| path.display().to_string());
            if let Ok(lines) = lines_of_ids(format, path, &name, std::slice::from_ref(&id)) {
                location.line = lines.get(&id).copied();
            }
            Error::Conflict { what, id, location }
        }
        (e, _) => e,
    }
}

/// The lines of a file whose rows hold these ids. Only lines that hold an id's own part (what
/// follows `prefix:`, up to a `-`) are parsed again.
pub(super) fn lines_of_ids(format: Format, path: &Path, name: &str, ids: &[String]) -> Result<HashMap<String, u64>> {
    let (input, _) = open(path, name)?;
    let data: &[u8] = &input;
    let (parser, body_start, first_line) = layout(format, data, name)?;
    let body = &data[body_start..];
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut starts = std::collections::BTreeSet::new();
    for id in ids {
        let raw = id.split_once(':').map_or(id.as_str(), |(_, r)| r);
        let raw = raw.split('-').next().unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        for at in memchr::memmem::find_iter(body, raw.as_bytes()) {
            starts.insert(memchr::memrchr(b'\n', &body[..at]).map_or(0, |p| p + 1));
        }
    }
    let dict = crate::Dictionary::builtin();
    let mut out = HashMap::new();
    let (mut line, mut counted) = (first_line, 0);
    for start in starts {
        line += memchr::memchr_iter(b'\n', &body[counted..start]).count() as u64;
        counted = start;
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |p| start + p + 1);
        let parsed = parser.parse(Unit { bytes: &body[start..end], input: None }, &dict, format)?;
        let cols = match parsed.batch {
            Some(b) => crate::domain::columnar::EventColumns::new(b)?,
            None => continue,
        };
        for i in 0..cols.len() {
            let id = cols.id.value(i);
            if wanted.contains(id) {
                out.entry(id.to_string()).or_insert(line);
            }
        }
    }
    Ok(out)
}

/// Batches of rows as one (none for none).
pub(super) fn join(batches: Vec<RecordBatch>) -> Result<Option<RecordBatch>> {
    match batches.len() {
        0 => Ok(None),
        1 => Ok(batches.into_iter().next()),
        _ => crate::domain::columnar::concat_events(&batches).map(Some),
    }
}

pub(super) fn log_imported(file: &FileReport) {
    if file.already_imported {
        tracing::info!(file = %file.file, "already imported (or the same content earlier in this import): skipped");
    } else {
        tracing::info!(file = %file.file, rows = file.rows, added = file.added, bad = file.bad, "imported");
    }
}

pub(super) fn strict_error(name: &str, bad_rows: &[BadRow], count: u64) -> Error {
    let first = bad_rows.iter().find(|b| b.file == name);
    let (line, message) = first.map_or((0, String::new()), |b| (b.line, b.message.clone()));
    Error::invalid_at(
        crate::error::Location::line(name, line),
        format!("{message} ({count} bad rows; a strict import writes nothing of this file)"),
    )
}

pub(super) fn write_batches(
    to: &Destination<'_>,
    batches: Vec<RecordBatch>,
    file: &str,
    record: Option<crate::store::ImportRecord>,
    first_row: u32,
    opts: &ImportOptions,
) -> Result<crate::store::WriteSummary> {
    let t = std::time::Instant::now();
    let parts = batches.len();
    let batch = join(batches)?;
    tracing::debug!(parts, ms = t.elapsed().as_millis() as u64, "import batches joined");
    let t = std::time::Instant::now();
    let rows = batch.as_ref().map_or(0, RecordBatch::num_rows);
    let summary = to.store.write(crate::store::Write {
        events: batch,
        replace: opts.replace,
        skip_conflicts: !opts.strict,
        imports: record.into_iter().collect(),
        input: Some(file.to_string()),
        repeats_from: Some(first_row),
        ..Default::default()
    })?;
    tracing::debug!(rows, ms = t.elapsed().as_millis() as u64, "import batch written");
    Ok(summary)
}
