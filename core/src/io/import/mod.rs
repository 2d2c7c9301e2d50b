//! Bulk event data: GDELT 1.0 and 2.0 event exports, ICEWS coded event files and POLECAT files
//! into the store. A streaming pipeline: the input (plain, gzip or zip) is cut into pieces of
//! 32 MiB at line ends, which threads on every core take in turn and parse straight into Arrow
//! columns (only the fields an event needs), hashing each piece for the file's fingerprint on
//! the way; the rows go, in file order, to the store in large atomic batches that update the
//! aggregates (where they are built) as they land. Bad rows are counted and reported with file and line; with
//! `strict` a file with any bad row writes nothing. A file already imported (same content) is
//! skipped; rows already stored are left as they are.

mod gdelt;
mod icews;
mod lookup;
mod polecat;
mod rows;

use rows::{Row, Rows};

use crate::domain::actors::Dictionary;
use crate::error::{Error, Result};
use crate::store::Store;
use arrow_array::RecordBatch;
use std::collections::HashMap;
use std::hash::Hasher as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
pub const MAX_REPORTED_BAD_ROWS: usize = 100;

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
        let imported = import_file(to, format, path, name, opts, &mut report.bad_rows, &mut group, &mut report.files);
        if let Err(e) = imported {
            // The files before this one land, as they would have one by one.
            group.flush(to, &mut report.files, &mut report.bad_rows)?;
            return Err(e);
        }
    }
    group.flush(to, &mut report.files, &mut report.bad_rows)?;
    Ok(report)
}

/// Small files parsed and waiting to be written together: one write (one segment, one commit)
/// for many files, each still counted apart ([`crate::store::Write::parts`]) and recorded as
/// imported with its rows. Files found imported already wait in it too (with no rows and no
/// record), so that reports keep the files' order.
struct Group {
    /// Per file: its report, its rows, its import record, and where it is (to find the lines
    /// of rows refused as conflicts).
    files: Vec<(FileReport, Option<RecordBatch>, Option<crate::store::ImportRecord>, PathBuf)>,
    format: Format,
    strict: bool,
    replace: bool,
    rows: usize,
    /// Memory the waiting batches hold: a tiny file's batch holds some 30 kB whatever its rows
    /// (its columns' first allocations), so the group is bounded by this too.
    bytes: usize,
}

/// Memory a group of small files holds at most before it is written.
const GROUP_BYTES: usize = 64 << 20;

impl Group {
    /// True when a file with this fingerprint is waiting in the group.
    fn holds(&self, fingerprint: &str) -> bool {
        self.files.iter().any(|(_, _, r, _)| r.as_ref().is_some_and(|r| r.fingerprint == fingerprint))
    }

    /// Adds a file found imported already.
    fn skip(&mut self, file: String) {
        let report = FileReport { file, already_imported: true, ..Default::default() };
        self.files.push((report, None, None, PathBuf::new()));
    }

    /// Writes the files waiting; their reports go to `done`, in order, and rows refused as
    /// conflicts to `bad_rows`. Strict, a conflict refuses the write: the files are then written
    /// one by one, so that those before the one it is in land and that one is named.
    fn flush(&mut self, to: &Destination<'_>, done: &mut Vec<FileReport>, bad_rows: &mut Vec<BadRow>) -> Result<()> {
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

    fn write_files(
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
fn report_conflicts(
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
    let mut found: Vec<(u64, &String)> = ids.iter().map(|id| (lines.get(id).copied().unwrap_or(0), id)).collect();
    found.sort();
    for (line, id) in found {
        if bad_rows.len() < MAX_REPORTED_BAD_ROWS {
            bad_rows.push(BadRow { file: report.file.clone(), line, message: conflict_message(id) });
        }
    }
    report.bad += ids.len() as u64;
    Ok(())
}

fn conflict_message(id: &str) -> String {
    format!("event `{id}` is already stored with other content (import with replace to overwrite it)")
}

/// A conflict error of a strict import, given the line of the row it is about.
fn locate_conflict(e: Error, format: Format, path: Option<&Path>) -> Error {
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
fn lines_of_ids(format: Format, path: &Path, name: &str, ids: &[String]) -> Result<HashMap<String, u64>> {
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

/// How an input is laid out: its format's parser (configured from its header), where its rows
/// start (after a byte-order mark and a header) and the line they start on.
fn layout(format: Format, data: &[u8], name: &str) -> Result<(Parser, usize, u64)> {
    // A byte-order mark is not part of the first line (a header or a row).
    let bom = if data.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    // The header (ICEWS, POLECAT; GDELT files may carry one too).
    let header_end = memchr::memchr(b'\n', &data[bom..]).map_or(data.len(), |p| bom + p + 1);
    let parser = Parser::new(format, &data[bom..header_end], name)?;
    let body_start = if parser.has_header() { header_end } else { bom };
    if !parser.has_header() && data[body_start..].iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("file", format!("{name}: no rows and no header (an empty file?)")));
    }
    let first_line = if parser.has_header() { 2 } else { 1 };
    Ok((parser, body_start, first_line))
}

/// Batches of rows as one (none for none).
fn join(batches: Vec<RecordBatch>) -> Result<Option<RecordBatch>> {
    match batches.len() {
        0 => Ok(None),
        1 => Ok(batches.into_iter().next()),
        _ => crate::domain::columnar::concat_events(&batches).map(Some),
    }
}

fn log_imported(file: &FileReport) {
    if file.already_imported {
        tracing::info!(file = %file.file, "already imported (or the same content earlier in this import): skipped");
    } else {
        tracing::info!(file = %file.file, rows = file.rows, added = file.added, bad = file.bad, "imported");
    }
}

/// The input's bytes, decompressed: memory-mapped when plain, read whole when compressed.
enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// Blocks of input memory given back to the system: whole 64 KiB blocks, as madvise wants
/// page-aligned ranges on any page size.
const RELEASE_BLOCK: usize = 64 << 10;

impl Input {
    /// Gives back the memory of bytes `from..to` of `unit`, a slice of this input that is
    /// parsed: the whole blocks among them, and the block `from` is in when `from` is not the
    /// unit's start (the bytes of that block before `from` were parsed before, by the same
    /// caller). Blocks the unit shares with its neighbours are left to
    /// [`Input::release_unit_start`].
    fn release_span(&self, unit: &[u8], from: usize, to: usize) {
        let Input::Mapped(m) = self else { return };
        let Some(base) = (unit.as_ptr() as usize).checked_sub(m.as_ptr() as usize) else { return };
        if base + unit.len() > m.len() || to > unit.len() {
            return;
        }
        let first = base.div_ceil(RELEASE_BLOCK) * RELEASE_BLOCK;
        let a = if from == 0 { first } else { ((base + from) / RELEASE_BLOCK * RELEASE_BLOCK).max(first) };
        let b = (base + to) / RELEASE_BLOCK * RELEASE_BLOCK;
        if b > a {
            // SAFETY: a read-only map of a file; dropped pages are read again from the file if
            // touched, and these bytes were parsed.
            let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, a, b - a) };
        }
    }

    /// Gives back the memory of everything before `end`, which is read (the map's pages, not
    /// the file), from `from` on, in whole blocks. Returns how far it released.
    fn release(&self, from: usize, end: usize) -> usize {
        let to = end / RELEASE_BLOCK * RELEASE_BLOCK;
        if let Input::Mapped(m) = self
            && to > from
        {
            // SAFETY: a read-only map of a file; dropping pages only means reading them again
            // from the file if touched, and nothing before `end` is read again.
            let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from) };
            return to;
        }
        from
    }

    /// Gives back, once the unit at `span` and every unit before it are parsed, what its own
    /// thread left ([`Input::release_span`]): the block it shares with the unit before (and the
    /// header), from `from` on. Returns how far the input's memory is now given back.
    fn release_unit_start(&self, from: usize, span: std::ops::Range<usize>) -> usize {
        let start_block_end = span.start.div_ceil(RELEASE_BLOCK) * RELEASE_BLOCK;
        let own_blocks_end = span.end / RELEASE_BLOCK * RELEASE_BLOCK;
        if start_block_end <= own_blocks_end {
            self.release(from, start_block_end);
            own_blocks_end
        } else {
            // A unit inside one block (a file's short last one): it has no blocks of its own.
            self.release(from, span.end)
        }
    }
}

/// Whole pieces of an input, parsed as one batch of rows.
#[derive(Clone, Copy)]
pub(crate) struct Unit<'a> {
    /// The bytes, from a piece's start to a piece's end.
    bytes: &'a [u8],
    /// The input they are part of, whose memory is given back as they are parsed.
    input: Option<&'a Input>,
}

#[cfg(test)]
impl<'a> From<&'a [u8]> for Unit<'a> {
    /// Bytes parsed on their own, part of no input whose memory is given back.
    fn from(bytes: &'a [u8]) -> Unit<'a> {
        Unit { bytes, input: None }
    }
}

impl std::ops::Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m,
            Input::Owned(v) => v,
        }
    }
}

/// The xxh3 of a whole map, hashed a block at a time, each block's pages given back once
/// hashed: a whole-file pass would otherwise hold the entire file in this process's memory.
fn hash_map(map: &memmap2::Mmap) -> u64 {
    let mut hasher = Xxh3::with_seed(0);
    const BLOCK: usize = 64 << 20;
    for start in (0..map.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(map.len());
        hasher.write(&map[start..end]);
        // SAFETY: a read-only map of a file; dropped pages are read again from the file.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
    hasher.finish()
}

/// Opens an input. A compressed file is hashed (its fingerprint is that of the compressed
/// bytes) and decompressed here; a plain file's fingerprint is left to the caller, who can
/// hash it while parsing it.
fn open(path: &Path, name: &str) -> Result<(Input, Option<u64>)> {
    let io = |e: std::io::Error| Error::io(path, e);
    if path.is_dir() {
        return Err(Error::invalid("file", format!("{name} is a directory: name the files in it to import them")));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // SAFETY: the map is read-only; a file truncated under us would fault like any reader's
    // I/O error would surface. Import inputs are not the store's own files.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    let compressed = map.starts_with(&[0x1f, 0x8b]) || map.starts_with(b"PK\x03\x04");
    if !compressed {
        return Ok((Input::Mapped(map), None));
    }
    let fingerprint = Some(hash_map(&map));
    if map.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(map.len() * 4);
        flate2::read::MultiGzDecoder::new(&map[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::invalid("file", format!("{name}: not a readable gzip file: {e}")))?;
        return Ok((Input::Owned(out), fingerprint));
    }
    {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&map[..]))
            .map_err(|e| Error::invalid("file", format!("{name}: not a readable zip file: {e}")))?;
        let mut out = Vec::new();
        for i in 0..archive.len() {
            let mut entry =
                archive.by_index(i).map_err(|e| Error::invalid("file", format!("{name}: zip entry {i}: {e}")))?;
            if entry.is_dir() {
                continue;
            }
            entry.read_to_end(&mut out).map_err(|e| Error::invalid("file", format!("{name}: zip entry {i}: {e}")))?;
            if !out.ends_with(b"\n") && !out.is_empty() {
                out.push(b'\n');
            }
        }
        Ok((Input::Owned(out), fingerprint))
    }
}

/// Bytes of a piece of input, which one thread parses at a time. A piece ends at the first line
/// end after this many bytes from its start, so pieces depend on the file alone and a plain
/// file's fingerprint can be made of their hashes, each taken by the thread that parses it. The
/// size is part of every fingerprint: changing it needs the same care as the whole-file hashes
/// of older stores (see `import_file`).
/// (Tests cut small files into many pieces and rounds.)
const PIECE_BYTES: usize = if cfg!(test) { 4 << 10 } else { 32 << 20 };

/// Where the piece of `body` that starts at `start` ends.
fn piece_end(body: &[u8], start: usize) -> usize {
    cut_after(body, start, PIECE_BYTES)
}

/// The end of the line in which `data` passes `bytes` bytes from `start` (or its end).
fn cut_after(data: &[u8], start: usize, bytes: usize) -> usize {
    let target = start.saturating_add(bytes);
    if target >= data.len() {
        return data.len();
    }
    memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |p| target + p + 1)
}

/// Lines checked and parsed together, and sampled to estimate rows: a quarter MiB stays in the
/// cache between its UTF-8 check and its parsing.
const CHUNK_BYTES: usize = 256 << 10;

/// XXH3 (64 bits, seed 0), the hash of files' fingerprints. This implementation picks AVX2 or
/// SSE2 as the CPU has them (a build for the baseline x86_64 target otherwise hashes with
/// SSE2 only, twice the time); the value is XXH3's, as the store's other hashes compute it.
type Xxh3 = twox_hash::XxHash3_64;

/// A plain file's fingerprint: the xxh3 of the xxh3 of its header and of each of its pieces.
fn fingerprint_of(header: &[u8], pieces: &[u64]) -> u64 {
    let mut h = Xxh3::with_seed(0);
    h.write(&Xxh3::oneshot(header).to_le_bytes());
    for piece in pieces {
        h.write(&piece.to_le_bytes());
    }
    h.finish()
}

/// A plain file's fingerprint taken before it is read; `hashed(end)` follows the pass (the
/// caller gives back the memory of what was hashed).
fn hash_plain(data: &[u8], body_start: usize, mut hashed: impl FnMut(usize)) -> u64 {
    let body = &data[body_start..];
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let end = piece_end(body, start);
        pieces.push(Xxh3::oneshot(&body[start..end]));
        hashed(body_start + end);
        start = end;
    }
    fingerprint_of(&data[..body_start], &pieces)
}

/// Imports one file: a file of one piece joins `group` (written with the files around it), a
/// larger one is written at once (after the group). Reports go to `done`, in file order.
#[allow(clippy::too_many_arguments)]
fn import_file(
    to: &Destination<'_>,
    format: Format,
    path: &Path,
    name: &str,
    opts: &ImportOptions,
    bad_rows: &mut Vec<BadRow>,
    group: &mut Group,
    done: &mut Vec<FileReport>,
) -> Result<()> {
    let name = name.to_string();
    let mut report = FileReport { file: name.clone(), ..Default::default() };
    let (input, mut fingerprint) = open(path, &name)?;
    let key = |hash: u64| format!("{}:{hash:016x}:{}", format.as_str(), input.len());
    let data: &[u8] = &input;
    let (parser, body_start, first_line) = layout(format, data, &name)?;
    let body = &data[body_start..];
    let backend = to.store.backend();
    // Imported before, or waiting in the group to be.
    let known = |hash: u64| Ok::<_, Error>(group.holds(&key(hash)) || backend.imported(&key(hash))?);
    let already_imported = match (&input, fingerprint) {
        _ if opts.force => false,
        (_, Some(hash)) => known(hash)?,
        // A plain file is hashed before it is read only when one of its format and size was
        // imported; otherwise the threads that parse it hash it, piece by piece.
        (Input::Mapped(map), None) if backend.imported_size(format.as_str(), input.len() as u64)? => {
            let mut released = 0;
            let hash = hash_plain(data, body_start, |end| released = input.release(released, end));
            fingerprint = Some(hash);
            // Stores written before fingerprints were made of pieces hold the whole file's xxh3.
            known(hash)? || known(hash_map(map))?
        }
        _ => false,
    };
    if already_imported {
        group.skip(name);
        return Ok(());
    }

    // Dropped when the file is done: the indexes let go of for the load are built then.
    let rows = estimate_rows(body);
    let writes = if opts.strict { 1 } else { rows.div_ceil(opts.batch_rows.max(1)) };
    let _load = to.store.bulk_load(rows, writes);
    let dict = to.dictionary.clone();
    let threads = opts.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let record = crate::store::ImportRecord {
        fingerprint: fingerprint.map(key).unwrap_or_default(),
        name: name.clone(),
        format: format.as_str().into(),
        rows: 0,
    };
    let pieces = PieceParser { parser: &parser, dict: &dict, format, threads };
    let fingerprint_key = fingerprint.is_none().then_some(&key as &dyn Fn(u64) -> String);
    let one_piece = piece_end(body, 0) >= body.len();
    if !one_piece {
        // Events stored from here on are this file's: finding one again is a duplicate row.
        group.flush(to, done, bad_rows)?;
    }
    // Parses the file, handing its batches to `send` (once: it takes the file's record).
    let parse = |report: &mut FileReport, send: &mut BatchSink<'_>| {
        parse_body(
            &pieces,
            &input,
            body_start,
            first_line,
            opts,
            &name,
            report,
            bad_rows,
            send,
            record,
            fingerprint_key,
        )
    };
    let mut totals = Totals::default();
    if one_piece {
        // One piece (a GDELT 15-minute file, say): parsed on this thread (threads started for
        // it would cost more than its rows), then written with the small files around it.
        let mut sent: Vec<(Vec<RecordBatch>, Option<crate::store::ImportRecord>)> = Vec::new();
        let mut send = |batches, record| {
            sent.push((batches, record));
            Ok(())
        };
        parse(&mut report, &mut send)?;
        let rows: usize = sent.iter().flat_map(|(b, _)| b).map(RecordBatch::num_rows).sum();
        let record = sent.iter_mut().find_map(|(_, r)| r.take());
        match record {
            // The same content as a file waiting in the group: imported already, in effect.
            Some(r) if group.holds(&r.fingerprint) => group.skip(name),
            Some(r) if rows <= opts.batch_rows => {
                let batch = join(sent.into_iter().flat_map(|(b, _)| b).collect())?;
                group.rows += rows;
                group.bytes += batch.as_ref().map_or(0, crate::domain::columnar::held_bytes);
                group.files.push((report, batch, Some(r), path.to_path_buf()));
                if group.rows >= opts.batch_rows || group.bytes >= GROUP_BYTES {
                    group.flush(to, done, bad_rows)?;
                }
            }
            record => {
                // More rows than one write takes: written alone, batch by batch, after the group.
                group.flush(to, done, bad_rows)?;
                let first_row = to.store.view().end_row();
                let (last, mut record) = (sent.len().saturating_sub(1), record);
                for (i, (batches, _)) in sent.into_iter().enumerate() {
                    let record = if i == last { record.take() } else { None };
                    totals.add(
                        write(to, batches, &name, record, first_row, opts)
                            .map_err(|e| locate_conflict(e, format, Some(path)))?,
                    );
                }
                totals.report(&mut report);
                report_conflicts(format, path, &totals.conflicts, &mut report, bad_rows)?;
                log_imported(&report);
                done.push(report);
            }
        }
        return Ok(());
    }
    let first_row = to.store.view().end_row();
    // Parsing (every core) and writing (one writer) overlap: the writer commits one batch of
    // rows while the next ones are parsed. The channel holds one batch, which bounds memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<RecordBatch>, Option<crate::store::ImportRecord>)>(1);
    let file_name = name.clone();
    std::thread::scope(|s| -> Result<()> {
        let writer = s.spawn(move || -> Result<Totals> {
            let mut totals = Totals::default();
            for (batches, record) in rx {
                totals.add(write(to, batches, &file_name, record, first_row, opts)?);
            }
            Ok(totals)
        });
        let gone = || Error::Internal("the import writer stopped".into());
        let mut send = |batches, record| tx.send((batches, record)).map_err(|_| gone());
        let parsed = parse(&mut report, &mut send);
        drop(tx);
        let written = writer.join().unwrap_or_else(|_| Err(Error::Internal("the import writer panicked".into())));
        // A writer error explains a parse that stopped because the writer went away.
        totals = written?;
        parsed
    })?;
    totals.report(&mut report);
    report_conflicts(format, path, &totals.conflicts, &mut report, bad_rows)?;
    log_imported(&report);
    done.push(report);
    Ok(())
}

/// Where parsed batches of rows go (the last with the file's import record).
type BatchSink<'a> = dyn FnMut(Vec<RecordBatch>, Option<crate::store::ImportRecord>) -> Result<()> + 'a;

/// What the writes of one file stored.
#[derive(Default)]
struct Totals {
    added: u64,
    unchanged: u64,
    repeats: u64,
    /// Ids of events stored before this file that it holds: the second time one comes, it is
    /// a repeat too. Empty unless the file overlaps what was stored.
    earlier: std::collections::HashSet<u64, ahash::RandomState>,
    /// Ids of rows left out as conflicts (stored with other content).
    conflicts: Vec<String>,
}

impl Totals {
    /// Adds the counts to a file's report.
    fn report(&self, report: &mut FileReport) {
        report.added += self.added;
        report.unchanged += self.unchanged;
        report.duplicates += self.repeats;
    }

    fn add(&mut self, w: crate::store::WriteSummary) {
        self.added += w.added as u64;
        self.unchanged += w.unchanged as u64;
        let again = w.earlier.into_iter().filter(|h| !self.earlier.insert(*h)).count();
        self.repeats += (w.repeats + again) as u64;
        self.conflicts.extend(w.conflicts);
    }
}

/// How the pieces of a file are parsed: the format's parser, on `threads` threads.
struct PieceParser<'a> {
    parser: &'a Parser,
    dict: &'a crate::Dictionary,
    format: Format,
    threads: usize,
}

/// Parses the body round by round and hands batches of rows to the writer (`send`). A body of
/// one piece is parsed on this thread.
#[allow(clippy::too_many_arguments)]
fn parse_body(
    pieces: &PieceParser<'_>,
    input: &Input,
    body_start: usize,
    first_line: u64,
    opts: &ImportOptions,
    name: &str,
    report: &mut FileReport,
    bad_rows: &mut Vec<BadRow>,
    send: &mut BatchSink<'_>,
    mut record: crate::store::ImportRecord,
    // The key of a fingerprint, when the file's is to be made of its pieces' hashes.
    fingerprint: Option<&dyn Fn(u64) -> String>,
) -> Result<()> {
    let data: &[u8] = input;
    let body = &data[body_start..];
    let PieceParser { parser, dict, format, threads } = *pieces;
    let mut pending: Vec<RecordBatch> = Vec::new();
    let mut pending_rows = 0usize;
    let mut line_base = first_line;
    let mut offset = 0;
    let mut released = 0;
    let mut piece_hashes = Vec::new();
    // A body of one piece is parsed here: no thread is started for it.
    // No more threads than pieces: a thread without a piece would only hold memory.
    let threads = if piece_end(body, 0) >= body.len() { 0 } else { threads.clamp(1, body.len().div_ceil(PIECE_BYTES)) };
    let per_unit = pieces_per_unit(body, opts.batch_rows, threads);
    std::thread::scope(|scope| {
        let workers = Workers::start(scope, threads, parser, dict, format)?;
        // Units go to whichever thread is free; their results are taken in file order.
        let (mut sent, mut taken) = (0usize, 0usize);
        let mut spans = std::collections::VecDeque::new();
        let mut ready = std::collections::BTreeMap::new();
        let t = std::time::Instant::now();
        loop {
            // Every thread busy and one unit waiting: memory bounded by threads + 1 units.
            while sent - taken <= threads && offset < body.len() {
                let end = (0..per_unit).fold(offset, |at, _| if at < body.len() { piece_end(body, at) } else { at });
                workers.send(sent, Unit { bytes: &body[offset..end], input: Some(input) })?;
                spans.push_back(body_start + offset..body_start + end);
                sent += 1;
                offset = end;
            }
            if taken == sent {
                break;
            }
            let (index, parsed) = workers.recv()?;
            ready.insert(index, parsed);
            while let Some(p) = ready.remove(&taken) {
                let p = p?;
                taken += 1;
                piece_hashes.extend(p.hashes);
                for (line, message) in p.bad {
                    if bad_rows.len() < MAX_REPORTED_BAD_ROWS {
                        bad_rows.push(BadRow { file: name.to_string(), line: line_base + line - 1, message });
                    }
                }
                report.bad += p.bad_count;
                report.rows += p.rows;
                line_base += p.lines;
                if let Some(b) = p.batch {
                    pending_rows += b.num_rows();
                    pending.push(b);
                }
                if let Some(span) = spans.pop_front() {
                    released = input.release_unit_start(released, span);
                }
                if opts.strict && report.bad > 0 {
                    return Err(strict_error(name, bad_rows, report.bad));
                }
                // A unit of several pieces was sized to be a write of its own: one that came out
                // short is written as it is rather than joined with the next.
                if !opts.strict && (pending_rows >= opts.batch_rows || per_unit > 1) {
                    tracing::debug!(rows = pending_rows, ms = t.elapsed().as_millis() as u64, "import rows parsed");
                    send(std::mem::take(&mut pending), None)?;
                    pending_rows = 0;
                }
            }
        }
        Ok(())
    })?;
    // A file of which no row could be read is not an import that went well.
    if report.rows > 0 && report.bad == report.rows {
        return Err(no_event_rows(format, name, body, bad_rows));
    }
    // The file's fingerprint lands with its last rows: a file counts as imported only whole.
    if let Some(key) = fingerprint {
        record.fingerprint = key(fingerprint_of(&data[..body_start], &piece_hashes));
    }
    record.rows = report.rows;
    send(pending, Some(record))?;
    Ok(())
}

/// How many pieces are parsed as one unit: enough for one write (`batch_rows`) of rows, which
/// then takes the unit's batch as it is (joining batches copies every column), but no more than
/// leaves two units per thread (a file of a few pieces is still parsed on every core), and no
/// more than keeps [`PIECES_IN_FLIGHT`] pieces parsed at once (threads + 1 units: on many
/// cores, units are single pieces joined for their write, as memory allows no more).
fn pieces_per_unit(body: &[u8], batch_rows: usize, threads: usize) -> usize {
    let first = piece_end(body, 0);
    // The estimate is 10% over the rows it saw: a unit of `wanted` pieces holds a write.
    let per_piece = estimate_rows(&body[..first]).max(1) as f64 / 1.1;
    let wanted = (batch_rows as f64 / per_piece).ceil() as usize;
    let threads = threads.max(1);
    let pieces = body.len().div_ceil(PIECE_BYTES);
    wanted.min(pieces / (2 * threads)).min(PIECES_IN_FLIGHT / (threads + 1)).max(1)
}

/// Pieces parsed or waiting at once, at most, when units hold several (about 32 MiB of input and
/// 45 MB of columns each): 3 units of 4 on two cores.
const PIECES_IN_FLIGHT: usize = 12;

/// Parsing threads that live for a whole file, each taking the next unit when it is free.
/// A thread's allocator heap then serves the next unit from the memory the last one freed; a
/// thread per unit starts on fresh pages, which the system zeroes at ~0.85 s per GiB on a VM
/// like ours. With no threads, each unit is parsed as it is sent, on the sending thread.
struct Workers<'a> {
    /// `None`: no threads.
    units: Option<std::sync::mpsc::Sender<(usize, Unit<'a>)>>,
    /// What parses units on the sending thread, when there are no threads.
    inline: Option<Inline<'a>>,
    results: std::sync::mpsc::Receiver<(usize, Result<Parsed>)>,
}

/// A parser, its dictionary and format, and where its results go: [`Workers`] without threads.
type Inline<'a> = (&'a Parser, &'a crate::Dictionary, Format, std::sync::mpsc::Sender<(usize, Result<Parsed>)>);

/// Parses a piece. A panic is a bug, not bad input: it becomes an error (and a worker thread
/// ends normally: a scope whose thread panicked would panic in turn).
fn parse_caught(parser: &Parser, unit: Unit<'_>, dict: &crate::Dictionary, format: Format) -> Result<Parsed> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(unit, dict, format)))
        .unwrap_or_else(|_| Err(Error::Internal("an import worker panicked".into())))
}

impl<'a> Workers<'a> {
    fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        threads: usize,
        parser: &'a Parser,
        dict: &'a crate::Dictionary,
        format: Format,
    ) -> Result<Workers<'a>>
    where
        'a: 'scope,
    {
        let (result_tx, result_rx) = std::sync::mpsc::channel();
        if threads == 0 {
            return Ok(Workers { units: None, inline: Some((parser, dict, format, result_tx)), results: result_rx });
        }
        let (unit_tx, unit_rx) = std::sync::mpsc::channel::<(usize, Unit<'a>)>();
        let unit_rx = std::sync::Arc::new(parking_lot::Mutex::new(unit_rx));
        for _ in 0..threads {
            let (units, results) = (unit_rx.clone(), result_tx.clone());
            // A thread the system refuses (asked for thousands) is an error, not a panic.
            let spawned = std::thread::Builder::new().name("detente-parse".into()).spawn_scoped(scope, move || {
                loop {
                    // The lock is held only to take a unit.
                    let next = units.lock().recv();
                    let Ok((index, unit)) = next else { break };
                    if results.send((index, parse_caught(parser, unit, dict, format))).is_err() {
                        break;
                    }
                }
            });
            spawned.map_err(|e| Error::Internal(format!("starting an import thread: {e}")))?;
        }
        Ok(Workers { units: Some(unit_tx), inline: None, results: result_rx })
    }

    /// Hands unit number `index` to the next free thread (or parses it now).
    fn send(&self, index: usize, unit: Unit<'a>) -> Result<()> {
        let stopped = || Error::Internal("the import workers stopped".into());
        match (&self.units, &self.inline) {
            (Some(units), _) => units.send((index, unit)).map_err(|_| stopped()),
            (None, Some((parser, dict, format, results))) => {
                results.send((index, parse_caught(parser, unit, dict, *format))).map_err(|_| stopped())
            }
            (None, None) => Err(stopped()),
        }
    }

    /// The next unit parsed, whichever it is. The threads end when `self` is dropped.
    fn recv(&self) -> Result<(usize, Result<Parsed>)> {
        self.results.recv().map_err(|_| Error::Internal("the import workers stopped".into()))
    }
}

fn strict_error(name: &str, bad_rows: &[BadRow], count: u64) -> Error {
    let first = bad_rows.iter().find(|b| b.file == name);
    let (line, message) = first.map_or((0, String::new()), |b| (b.line, b.message.clone()));
    Error::invalid_at(
        crate::error::Location::line(name, line),
        format!("{message} ({count} bad rows; a strict import writes nothing of this file)"),
    )
}

fn write(
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

/// A format's row parser, configured from the file's header.
pub(crate) enum Parser {
    Gdelt(gdelt::Gdelt),
    Icews(icews::Icews),
    Polecat(polecat::Polecat),
}

impl Parser {
    fn new(format: Format, header: &[u8], file: &str) -> Result<Parser> {
        Ok(match format {
            Format::Gdelt1 | Format::Gdelt2 => Parser::Gdelt(gdelt::Gdelt::new(format, header)),
            Format::Icews => Parser::Icews(icews::Icews::new(header, file)?),
            Format::Polecat => Parser::Polecat(polecat::Polecat::new(header, file)?),
        })
    }

    fn has_header(&self) -> bool {
        match self {
            Parser::Gdelt(g) => g.has_header(),
            Parser::Icews(_) | Parser::Polecat(_) => true,
        }
    }

    fn parse(&self, unit: Unit<'_>, dict: &crate::Dictionary, format: Format) -> Result<Parsed> {
        let mut lookup = lookup::Lookup::new(dict);
        match self {
            Parser::Gdelt(g) => g.parse(unit, &mut lookup, format),
            Parser::Icews(i) => i.parse(unit, &mut lookup),
            Parser::Polecat(p) => p.parse(unit, &mut lookup),
        }
    }
}

/// Parses a unit line by line into `rows`: counts rows, rejects over-long lines and invalid
/// UTF-8, and records bad rows (`row`'s message) with their line in the unit; hashes each
/// piece and gives back its memory once it is parsed. `skip` says which non-empty lines are not rows (a POLECAT line of tabs
/// only). `row` gets each line as text.
pub(crate) fn parse_pieces<'a>(
    Unit { bytes: unit, input }: Unit<'a>,
    mut rows: Rows,
    skip: impl Fn(&[u8]) -> bool,
    mut row: impl FnMut(&'a str, &mut Rows) -> std::result::Result<(), String>,
) -> Result<Parsed> {
    let mut out = Parsed { batch: None, rows: 0, lines: 0, bad: Vec::new(), bad_count: 0, hashes: Vec::new() };
    let mut piece_start = 0;
    while piece_start < unit.len() {
        // A unit starts at a piece's start, so its pieces are the file's.
        let end_of_piece = piece_end(unit, piece_start);
        let mut hasher = Xxh3::with_seed(0);
        let mut start = piece_start;
        while start < end_of_piece {
            let end = cut_after(&unit[..end_of_piece], start, CHUNK_BYTES);
            let chunk: &'a [u8] = &unit[start..end];
            start = end;
            hasher.write(chunk);
            // One SIMD check of the chunk; lines are checked one by one only when it fails, to
            // find the bad ones. A valid chunk's lines are sliced from it as text, unchecked again.
            let text = simdutf8::basic::from_utf8(chunk).ok();
            for range in line_ranges(chunk) {
                let line = &chunk[range.clone()];
                out.lines += 1;
                if line.is_empty() || skip(line) {
                    continue;
                }
                out.rows += 1;
                let parsed = check_line(line).and_then(|()| {
                    let line = match text.and_then(|t| t.get(range)) {
                        Some(l) => l,
                        None => std::str::from_utf8(line)
                            .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?,
                    };
                    row(line, &mut rows)
                });
                if let Err(message) = parsed {
                    out.bad_count += 1;
                    if out.bad.len() < MAX_REPORTED_BAD_ROWS {
                        out.bad.push((out.lines, message));
                    }
                }
            }
        }
        out.hashes.push(hasher.finish());
        if let Some(input) = input {
            input.release_span(unit, piece_start, end_of_piece);
        }
        piece_start = end_of_piece;
    }
    if !rows.is_empty() {
        out.batch = Some(rows.finish()?);
    }
    Ok(out)
}

/// The longest line read as a row. No row of these formats comes near it; a longer "line" (a
/// file without line ends) is a bad row, and the limit keeps a piece's string columns small.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// A bad-row message for a line over [`MAX_LINE_BYTES`].
fn check_line(line: &[u8]) -> std::result::Result<(), String> {
    if line.len() > MAX_LINE_BYTES {
        return Err(format!("a line of {} bytes; rows of these files have at most a few thousand", line.len()));
    }
    Ok(())
}

/// About how many rows a piece holds, from the line ends in its first chunk: enough to size
/// its columns once (an overestimate costs only address space).
pub(crate) fn estimate_rows(piece: &[u8]) -> usize {
    let sample = &piece[..piece.len().min(CHUNK_BYTES)];
    let lines = memchr::memchr_iter(b'\n', sample).count().max(1);
    let estimate = (piece.len() as f64 / sample.len().max(1) as f64 * lines as f64 * 1.1) as usize;
    // A row of these formats has more than 32 bytes: short first lines cannot inflate it.
    estimate.min(piece.len() / 32) + 16
}

/// A field without surrounding white space. Most fields have none: two byte checks answer
/// before a Unicode scan.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [] => s,
        [f, .., l] if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        [f] if f.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Splits a line (without its end) at tabs into `out`.
#[inline]
pub(crate) fn fields<'a>(line: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    // A tab is ASCII, so every cut is at a character boundary and `get` always answers.
    let field = |a: usize, b: usize| line.get(a..b).unwrap_or_default();
    let line_bytes = line.as_bytes();
    let mut start = 0;
    let mut i = 0;
    // GDELT rows have 60 tabs in ~400 bytes: a mask of the tabs in each 64 bytes, walked bit by
    // bit, costs a few instructions per field where a search call per tab costs tens.
    while i + 64 <= line_bytes.len() {
        let mut mask = tab_mask(&line_bytes[i..i + 64]);
        while mask != 0 {
            let p = i + mask.trailing_zeros() as usize;
            out.push(field(start, p));
            start = p + 1;
            mask &= mask - 1;
        }
        i += 64;
    }
    for p in memchr::memchr_iter(b'\t', &line_bytes[i..]) {
        out.push(field(start, i + p));
        start = i + p + 1;
    }
    out.push(field(start, line.len()));
}

/// Splits a line at tabs like [`fields`], but keeps only the fields whose bit is set in `wanted`
/// (field `i` in `out[i]`; fields from 64 on are counted only); returns the number of fields.
/// A block of 64 bytes in which no wanted field ends costs one count of its tabs: a GDELT row
/// has 61 fields, of which an event reads 17.
#[inline]
pub(crate) fn some_fields<'a>(line: &'a str, wanted: u64, out: &mut [&'a str; 64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        // The same code with the bit-counting instructions of every x86_64 CPU since 2008 (and
        // 2013 for BMI1): the baseline target counts a block's tabs in a dozen instructions.
        if std::arch::is_x86_feature_detected!("popcnt") && std::arch::is_x86_feature_detected!("bmi1") {
            // SAFETY: the CPU has the features the function is compiled for (checked above).
            return unsafe { some_fields_popcnt(line, wanted, out) };
        }
    }
    some_fields_portable(line, wanted, out)
}

/// [`some_fields`] compiled for CPUs with POPCNT and BMI1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt,bmi1")]
fn some_fields_popcnt<'a>(line: &'a str, wanted: u64, out: &mut [&'a str; 64]) -> usize {
    some_fields_portable(line, wanted, out)
}

/// [`some_fields`] for any CPU; inlined into each variant.
#[inline(always)]
fn some_fields_portable<'a>(line: &'a str, wanted: u64, out: &mut [&'a str; 64]) -> usize {
    let field = |a: usize, b: usize| line.get(a..b).unwrap_or_default();
    let want = |n: usize| n < 64 && (wanted >> n) & 1 == 1;
    let bytes = line.as_bytes();
    // The field being read: its number and where it starts.
    let (mut n, mut start) = (0usize, 0usize);
    let mut i = 0;
    while i + 64 <= bytes.len() {
        let mask = tab_mask(&bytes[i..i + 64]);
        let tabs = mask.count_ones() as usize;
        // Fields n .. n + tabs end in this block.
        let ending = if tabs == 0 || n >= 64 {
            0
        } else {
            (wanted >> n) & if tabs >= 64 { u64::MAX } else { (1u64 << tabs) - 1 }
        };
        if ending != 0 {
            // Only the tabs around wanted fields are located; the others are stepped over.
            let (mut rest, mut passed, mut wanted_here) = (mask, 0usize, ending);
            while wanted_here != 0 {
                // Field n + k ends at the block's tab k and starts after its tab k - 1.
                let k = wanted_here.trailing_zeros() as usize;
                while passed + 1 < k {
                    rest &= rest - 1;
                    passed += 1;
                }
                if passed < k {
                    start = i + rest.trailing_zeros() as usize + 1;
                    rest &= rest - 1;
                    passed += 1;
                }
                let p = i + rest.trailing_zeros() as usize;
                out[n + k] = field(start, p);
                start = p + 1;
                rest &= rest - 1;
                passed += 1;
                wanted_here &= wanted_here - 1;
            }
        }
        if tabs > 0 {
            start = i + 64 - mask.leading_zeros() as usize;
            n += tabs;
        }
        i += 64;
    }
    for p in memchr::memchr_iter(b'\t', &bytes[i..]) {
        if want(n) {
            out[n] = field(start, i + p);
        }
        n += 1;
        start = i + p + 1;
    }
    if want(n) {
        out[n] = field(start, bytes.len());
    }
    n + 1
}

/// Bit `k` set where `block[k]` is a tab.
#[cfg(target_arch = "x86_64")]
#[inline]
fn tab_mask(block: &[u8]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    debug_assert!(block.len() >= 64);
    let mut mask = 0u64;
    for k in 0..4 {
        let part = &block[k * 16..k * 16 + 16];
        // SAFETY: `part` holds 16 readable bytes and the load is unaligned; SSE2 is part of
        // every x86_64 target.
        let m = unsafe {
            let v = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8)))
        };
        mask |= u64::from(m as u16) << (k * 16);
    }
    mask
}

/// Bit `k` set where `block[k]` is a tab.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn tab_mask(block: &[u8]) -> u64 {
    block[..64].iter().enumerate().fold(0u64, |m, (k, &b)| m | (u64::from(b == b'\t') << k))
}

/// Where the lines of a piece are, without their ends (`\n` or `\r\n`), skipping a final empty
/// line.
pub(crate) fn line_ranges(piece: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= piece.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &piece[start..]).map_or(piece.len(), |p| start + p);
        let line = start..if end > start && piece[end - 1] == b'\r' { end - 1 } else { end };
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests;
