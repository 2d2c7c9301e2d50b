//! One file through the parallel pipeline: pieces parsed on every core into Arrow columns, in
//! file order, to the store in large batches.

use super::{
    BadRow, Destination, FileReport, Format, GROUP_BYTES, Group, ImportOptions, Input, MAX_REPORTED_BAD_ROWS,
    PIECE_BYTES, Parsed, Parser, Unit, estimate_rows, fingerprint_of, hash_map, hash_plain, join, layout,
    locate_conflict, log_imported, no_event_rows, open, piece_end, report_conflicts, strict_error, write_batches,
};
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use std::path::Path;

/// What every file of one import shares: where it goes, its format, the options.
#[derive(Clone, Copy)]
pub(super) struct Job<'a> {
    pub(super) to: &'a Destination<'a>,
    pub(super) format: Format,
    pub(super) opts: &'a ImportOptions,
}

/// Imports one file: a file of one piece joins `group` (written with the files around it), a
/// larger one is written at once (after the group). Reports go to `done`, in file order.
pub(super) fn import_file(
    job: Job<'_>,
    path: &Path,
    name: &str,
    bad_rows: &mut Vec<BadRow>,
    group: &mut Group,
    done: &mut Vec<FileReport>,
) -> Result<()> {
    let Job { to, format, opts } = job;
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
            Body { input: &input, start: body_start, first_line, name: &name, opts },
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
                        write_batches(to, batches, &name, record, first_row, opts)
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
                totals.add(write_batches(to, batches, &file_name, record, first_row, opts)?);
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
pub(super) type BatchSink<'a> = dyn FnMut(Vec<RecordBatch>, Option<crate::store::ImportRecord>) -> Result<()> + 'a;

/// What the writes of one file stored.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) added: u64,
    pub(super) unchanged: u64,
    pub(super) repeats: u64,
    /// Ids of events stored before this file that it holds: the second time one comes, it is
    /// a repeat too. Empty unless the file overlaps what was stored.
    pub(super) earlier: std::collections::HashSet<u64, ahash::RandomState>,
    /// Ids of rows left out as conflicts (stored with other content).
    pub(super) conflicts: Vec<String>,
}

impl Totals {
    /// Adds the counts to a file's report.
    pub(super) fn report(&self, report: &mut FileReport) {
        report.added += self.added;
        report.unchanged += self.unchanged;
        report.duplicates += self.repeats;
    }

    pub(super) fn add(&mut self, w: crate::store::WriteSummary) {
        self.added += w.added as u64;
        self.unchanged += w.unchanged as u64;
        let again = w.earlier.into_iter().filter(|h| !self.earlier.insert(*h)).count();
        self.repeats += (w.repeats + again) as u64;
        self.conflicts.extend(w.conflicts);
    }
}

/// How the pieces of a file are parsed: the format's parser, on `threads` threads.
pub(super) struct PieceParser<'a> {
    pub(super) parser: &'a Parser,
    pub(super) dict: &'a crate::Dictionary,
    pub(super) format: Format,
    pub(super) threads: usize,
}

/// A file's body as the parse reads it: the input, where the body starts in it (after a header)
/// and on which line, the file's name for reports, and the import's options.
#[derive(Clone, Copy)]
pub(super) struct Body<'a> {
    pub(super) input: &'a Input,
    pub(super) start: usize,
    pub(super) first_line: u64,
    pub(super) name: &'a str,
    pub(super) opts: &'a ImportOptions,
}

/// Parses the body round by round and hands batches of rows to the writer (`send`). A body of
/// one piece is parsed on this thread.
pub(super) fn parse_body(
    pieces: &PieceParser<'_>,
    body: Body<'_>,
    report: &mut FileReport,
    bad_rows: &mut Vec<BadRow>,
    send: &mut BatchSink<'_>,
    mut record: crate::store::ImportRecord,
    // The key of a fingerprint, when the file's is to be made of its pieces' hashes.
    fingerprint: Option<&dyn Fn(u64) -> String>,
) -> Result<()> {
    let Body { input, start: body_start, first_line, name, opts } = body;
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
pub(super) fn pieces_per_unit(body: &[u8], batch_rows: usize, threads: usize) -> usize {
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
pub(super) const PIECES_IN_FLIGHT: usize = 12;

/// Parsing threads that live for a whole file, each taking the next unit when it is free.
/// A thread's allocator heap then serves the next unit from the memory the last one freed; a
/// thread per unit starts on fresh pages, which the system zeroes at ~0.85 s per GiB on a VM
/// like ours. With no threads, each unit is parsed as it is sent, on the sending thread.
pub(super) struct Workers<'a> {
    /// `None`: no threads.
    pub(super) units: Option<std::sync::mpsc::Sender<(usize, Unit<'a>)>>,
    /// What parses units on the sending thread, when there are no threads.
    pub(super) inline: Option<Inline<'a>>,
    pub(super) results: std::sync::mpsc::Receiver<(usize, Result<Parsed>)>,
}

/// A parser, its dictionary and format, and where its results go: [`Workers`] without threads.
pub(super) type Inline<'a> =
    (&'a Parser, &'a crate::Dictionary, Format, std::sync::mpsc::Sender<(usize, Result<Parsed>)>);

/// Parses a piece. A panic is a bug, not bad input: it becomes an error (and a worker thread
/// ends normally: a scope whose thread panicked would panic in turn).
pub(super) fn parse_caught(
    parser: &Parser,
    unit: Unit<'_>,
    dict: &crate::Dictionary,
    format: Format,
) -> Result<Parsed> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(unit, dict, format)))
        .unwrap_or_else(|_| Err(Error::Internal("an import worker panicked".into())))
}

impl<'a> Workers<'a> {
    pub(super) fn start<'scope>(
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
    pub(super) fn send(&self, index: usize, unit: Unit<'a>) -> Result<()> {
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
    pub(super) fn recv(&self) -> Result<(usize, Result<Parsed>)> {
        self.results.recv().map_err(|_| Error::Internal("the import workers stopped".into()))
    }
}
