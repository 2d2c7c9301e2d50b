//! A write: its request and summary, and how the store checks it against the id index and
//! itself, commits it to the backend and applies it to the state.

use super::ids::IdIndex;
use super::{Commit, HashSet, ImportRecord, Store};
use crate::domain::actors::Entry;
use crate::domain::columnar::EventColumns;
use crate::domain::document::Document;
use crate::error::{Error, Location, Result};
use arrow_array::{BooleanArray, RecordBatch};
use xxhash_rust::xxh3::xxh3_64;

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Events stored.
    pub added: usize,
    /// Events already stored with the same content (nothing written for them).
    pub unchanged: usize,
    /// Stored events replaced by a new version.
    pub replaced: usize,
    /// Stored events removed.
    pub removed: usize,
    /// Of `unchanged`, the events another event of the same input holds: one earlier in this
    /// write, or one stored at or after [`Write::repeats_from`].
    pub repeats: usize,
    /// The id hashes (xxh3) of the other unchanged events, held by rows stored before
    /// [`Write::repeats_from`] (filled only when it is set): an input that spans several writes
    /// finds its repeats among them.
    pub earlier: Vec<u64>,
    /// With [`Write::parts`], the same counts for each input (`replaced` and `removed` stay
    /// in the whole write's), in order.
    pub parts: Vec<WriteSummary>,
    /// With [`Write::skip_conflicts`], the ids of the events left out because they are stored
    /// (or come earlier in the write) with other content.
    pub conflicts: Vec<String>,
}

impl WriteSummary {
    /// Notes an event of part `part` left out as a conflict.
    fn skip_conflict(&mut self, part: usize, id: &str) {
        self.conflicts.push(id.to_string());
        if let Some(p) = self.parts.get_mut(part) {
            p.conflicts.push(id.to_string());
        }
    }
}

/// One of the inputs a write's events come from ([`Write::parts`]).
#[derive(Debug, Clone, Default)]
pub struct WritePart {
    /// The input's name (a file).
    pub input: String,
    /// Its events: the next this many of the batch.
    pub events: usize,
}

/// One write request.
#[derive(Debug, Default)]
pub struct Write {
    /// New events (normalised).
    pub events: Option<RecordBatch>,
    /// Replace stored events with the same id and other content instead of failing.
    pub replace: bool,
    /// Leave out events whose id is stored with other content (unless `replace`), listing them
    /// in [`WriteSummary::conflicts`], instead of failing (a lenient import reports them as bad
    /// rows).
    pub skip_conflicts: bool,
    /// Stored rows to remove (e.g. a document's old coded events).
    pub remove: Vec<u32>,
    /// Documents to store.
    pub documents: Vec<Document>,
    /// Dictionary entries to store.
    pub actors: Vec<Entry>,
    /// Documents to delete, by id (their events go in `remove`).
    pub removed_documents: Vec<String>,
    /// Dictionary entries a user added, replaced in place (each with its `id`).
    pub updated_actors: Vec<Entry>,
    /// Dictionary entries a user added, deleted by id.
    pub removed_actors: Vec<i64>,
    /// Where the events came from, for error messages (a file name, `<stdin>`, a request).
    pub input: Option<String>,
    /// Line (or item) number of each event in `input`, for error messages.
    pub lines: Vec<u64>,
    /// Imported files to record with this write.
    pub imports: Vec<ImportRecord>,
    /// The first row of the input this write belongs to, when it spans several writes (an
    /// import): events already stored from there on count as [`WriteSummary::repeats`].
    pub repeats_from: Option<u32>,
    /// The inputs the events come from, when several (small files imported in one write): each
    /// is then counted apart, as if written alone ([`WriteSummary::parts`]: its repeats are
    /// those of its own events), and an error names the input it is in. Their events must add
    /// up to the batch's.
    pub parts: Vec<WritePart>,
}

/// A change a write made to the id index, undone when the write fails before it is durable.
pub(super) enum IdChange {
    /// (hash, row) entered.
    Added(u64, u32),
    /// (hash, from, to): an entry moved to another row.
    Moved(u64, u32, u32),
}

/// A checked write: what to commit and what it will have done.
struct Checked {
    batch: Option<RecordBatch>,
    remove: Vec<u32>,
    summary: WriteSummary,
}

impl Store {
    /// Checks, commits and indexes a write; true when it changed the store.
    pub(super) fn apply(&self, w: Write, ids: &mut IdIndex, undo: &mut Vec<IdChange>) -> Result<(WriteSummary, bool)> {
        let checked = self.check_write(&w, ids, undo)?;
        let idle = checked.batch.is_none() && checked.remove.is_empty();
        let catalog_idle = w.documents.is_empty()
            && w.actors.is_empty()
            && w.imports.is_empty()
            && w.removed_documents.is_empty()
            && w.updated_actors.is_empty()
            && w.removed_actors.is_empty();
        if idle && catalog_idle {
            // Every event already stored unchanged: nothing to write (and nothing entered).
            return Ok((checked.summary, false));
        }
        let t = std::time::Instant::now();
        let committed = self.backend.commit(Commit {
            batch: checked.batch,
            tombstones: checked.remove.clone(),
            documents: w.documents,
            actors: w.actors,
            imports: w.imports,
            removed_documents: w.removed_documents,
            updated_actors: w.updated_actors,
            removed_actors: w.removed_actors,
        })?;
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "committed");
        let t = std::time::Instant::now();
        let mut state = self.state.write();
        let rows_before = state.rows;
        if let Some(seg) = committed.segment {
            // The backend checked the segment as it read it back, before committing it; a batch
            // the state still cannot take leaves the state (and, undone, the index) as they were,
            // and the store behind its files until it is opened again: no more writes here.
            if let Err(e) = state.add_segments(vec![seg]) {
                self.writes_halted.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(e);
            }
        }
        state.remove_rows(&checked.remove, ids);
        state.generation = committed.generation;
        let added = rows_before..state.rows;
        state.log_change(committed.generation, added, checked.remove);
        drop(state);
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "indexed");
        Ok((checked.summary, true))
    }

    /// Checks a write against the store and itself, entering the rows its new events will get
    /// in the id index (the previous entries in `undo`).
    fn check_write(&self, w: &Write, ids: &mut IdIndex, undo: &mut Vec<IdChange>) -> Result<Checked> {
        let t = std::time::Instant::now();
        let mut summary = WriteSummary::default();
        let mut remove: Vec<u32> = w.remove.clone();
        let mut removing: HashSet<u32> = remove.iter().copied().collect();
        let mut keep: Vec<bool> = Vec::new();
        if let Some(batch) = &w.events {
            let cols = EventColumns::new(batch.clone())?;
            let state = self.state.read();
            let base = state.rows;
            keep = vec![false; cols.len()];
            let hashes: Vec<u64> = (0..cols.len()).map(|i| xxh3_64(cols.id.value(i).as_bytes())).collect();
            ids.reserve(cols.len());
            // The batch index of each row given out, in order.
            let mut given: Vec<u32> = Vec::with_capacity(cols.len());
            // Set when an event of this batch replaced an earlier one: the rows given after the
            // earlier one move down by one.
            let mut renumber = false;
            if !w.parts.is_empty() {
                let events: usize = w.parts.iter().map(|p| p.events).sum();
                if events != cols.len() {
                    return Err(Error::Internal(format!("write parts of {events} events for {}", cols.len())));
                }
                summary.parts = vec![WriteSummary::default(); w.parts.len()];
            }
            // Event `i`, in part `part` (when there are parts), holds an id stored with other content.
            let conflict = |i: usize, part: usize, id: &str| Error::Conflict {
                what: "event",
                id: id.to_string(),
                location: Location {
                    input: w.parts.get(part).map(|p| p.input.clone()).or_else(|| w.input.clone()),
                    line: w.lines.get(i).copied(),
                    field: Some("id".into()),
                },
            };
            // The part being read: its index, where it ends in the batch, its first row.
            let (mut part, mut part_end, mut part_from) = (0, w.parts.first().map_or(usize::MAX, |p| p.events), base);
            for (i, &h) in hashes.iter().enumerate() {
                while i >= part_end && part + 1 < w.parts.len() {
                    part += 1;
                    part_end += w.parts[part].events;
                    part_from = base + given.len() as u32;
                }
                // Lookups land anywhere in the index: ask for the slots a few ids ahead.
                if let Some(&ahead) = hashes.get(i + 16) {
                    ids.prefetch(ahead);
                }
                let id = cols.id.value(i);
                let next = base + given.len() as u32;
                // The row holding this id: earlier in this batch, or stored.
                let holds_id = |row: u32| match row.checked_sub(base) {
                    Some(k) => given.get(k as usize).is_some_and(|&j| cols.id.value(j as usize) == id),
                    None => state.locate(row).is_some_and(|(s, l)| state.segments[s].cols.id.value(l) == id),
                };
                match ids.find(h, holds_id) {
                    None => {
                        ids.insert(h, next);
                        undo.push(IdChange::Added(h, next));
                    }
                    Some(row) => {
                        if row >= base {
                            let j = given[(row - base) as usize] as usize;
                            if cols.event(j).content_hash() == cols.event(i).content_hash() {
                                summary.unchanged += 1;
                                summary.repeats += 1;
                                if let Some(p) = summary.parts.get_mut(part) {
                                    // A repeat of its own input, or an event another input of
                                    // this write stored first.
                                    p.unchanged += 1;
                                    if row >= part_from {
                                        p.repeats += 1;
                                    } else {
                                        p.earlier.push(h);
                                    }
                                }
                                continue;
                            }
                            if !w.replace {
                                if w.skip_conflicts {
                                    summary.skip_conflict(part, id);
                                    continue;
                                }
                                return Err(conflict(i, part, id));
                            }
                            keep[j] = false;
                            renumber = true;
                        } else if !state.is_deleted(row) && !removing.contains(&row) {
                            if state.event(row).map(|e| e.content_hash()) == Some(cols.event(i).content_hash()) {
                                summary.unchanged += 1;
                                match w.repeats_from {
                                    Some(from) if row >= from => summary.repeats += 1,
                                    Some(_) => summary.earlier.push(h),
                                    None => {}
                                }
                                if let Some(p) = summary.parts.get_mut(part) {
                                    p.unchanged += 1;
                                    p.earlier.push(h);
                                }
                                continue;
                            }
                            if !w.replace {
                                if w.skip_conflicts {
                                    summary.skip_conflict(part, id);
                                    continue;
                                }
                                return Err(conflict(i, part, id));
                            }
                            remove.push(row);
                            removing.insert(row);
                            summary.replaced += 1;
                        }
                        ids.replace(h, row, next);
                        undo.push(IdChange::Moved(h, row, next));
                    }
                }
                keep[i] = true;
                given.push(i as u32);
            }
            if renumber {
                // Rare: rows are given again, in order, to the events kept.
                let mut next = base;
                for (k, &i) in given.iter().enumerate() {
                    let i = i as usize;
                    if keep[i] {
                        let provisional = base + k as u32;
                        if provisional != next && ids.replace(hashes[i], provisional, next) {
                            undo.push(IdChange::Moved(hashes[i], provisional, next));
                        }
                        next += 1;
                    }
                }
            }
        }
        let mut start = 0;
        for (p, part) in summary.parts.iter_mut().zip(&w.parts) {
            p.added = keep.get(start..start + part.events).map_or(0, |k| k.iter().filter(|k| **k).count());
            start += part.events;
        }
        let batch = match &w.events {
            Some(b) if keep.iter().all(|k| *k) => Some(b.clone()),
            Some(b) if keep.iter().any(|k| *k) => Some(
                arrow_select::filter::filter_record_batch(b, &BooleanArray::from(keep))
                    .map_err(|e| Error::Internal(format!("arrow: {e}")))?,
            ),
            _ => None,
        };
        summary.added = batch.as_ref().map_or(0, RecordBatch::num_rows);
        remove.sort_unstable();
        remove.dedup();
        summary.removed = remove.len();
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "write checked");
        Ok(Checked { batch, remove, summary })
    }
}

/// Puts back the id index entries a failed write changed, the last change first.
pub(super) fn undo_ids(ids: &mut IdIndex, undo: Vec<IdChange>) {
    for change in undo.into_iter().rev() {
        match change {
            IdChange::Added(h, row) => ids.remove(h, row),
            IdChange::Moved(h, from, to) => ids.replace(h, to, from),
        };
    }
}
