//! The store's state in memory: its segments (rows mapped from the backend's files), the
//! removed rows, and the indexes and aggregates built over them, with the log of changes.

use super::HashMap;
use super::LoadedSegment;
use super::ids::IdIndex;
use super::index::{DyadIndex, index_aggregates, index_documents, index_dyads, segment_deltas};
use crate::aggregates::{Aggregates, Delta, DyadKey, Interner, Sums};
use crate::domain::columnar::EventColumns;
use crate::domain::event::Event;
use crate::error::{Error, Result};
use std::sync::OnceLock;
use xxhash_rust::xxh3::xxh3_64;

/// Rows indexed together when the aggregates are built from stored segments: 32 bytes each
/// while they are sorted. Each further group merges into every dyad's cells, which takes
/// them all to fresh memory, so a group is large.
const LOAD_GROUP_ROWS: usize = 8_000_000;

/// One segment in memory: its rows and, per country column, dictionary key → country id.
#[derive(Debug)]
pub(super) struct Segment {
    /// The backend's sequence number of the segment.
    pub(super) seq: u64,
    /// The global row number of its first row.
    pub(super) base: u32,
    pub(super) cols: EventColumns,
    pub(super) source_ids: Vec<u32>,
    pub(super) target_ids: Vec<u32>,
}

impl Segment {
    #[inline]
    pub(super) fn countries(&self, row: usize) -> (u32, u32) {
        let s = self.cols.source_country.key(row).map_or(0, |k| self.source_ids[k as usize]);
        let t = self.cols.target_country.key(row).map_or(0, |k| self.target_ids[k as usize]);
        (s, t)
    }
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) segments: Vec<Segment>,
    pub(super) rows: u32,
    pub(super) countries: Interner,
    /// Built on the first query that needs it (series and networks read the aggregates only),
    /// then kept up to date by writes.
    pub(super) dyads: OnceLock<DyadIndex>,
    /// doc_id → rows.
    pub(super) docs: HashMap<String, Vec<u32>>,
    deleted: Vec<u64>,
    /// Built on the first query that reads them (a one-shot process that imports, or answers
    /// one dyad's series, never needs them), then kept up to date by writes.
    pub(super) aggregates: OnceLock<Aggregates>,
    pub(super) generation: u64,
    /// What the writes of this process changed, oldest first: a watch resumes from it.
    pub(super) changes: std::collections::VecDeque<Change>,
    /// The oldest revision [`State::changes`] covers: every change after it is in the log.
    pub(super) changes_from: u64,
}

/// What one committed write changed: the rows it added and the rows it removed.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub(super) generation: u64,
    pub(super) added: std::ops::Range<u32>,
    pub(super) removed: Vec<u32>,
}

/// Writes whose changes a watch can replay, at most (the oldest are forgotten first).
const CHANGES_KEPT: usize = 4096;

impl State {
    pub(super) fn new() -> Self {
        State {
            segments: Vec::new(),
            rows: 0,
            countries: Interner::new(),
            dyads: OnceLock::new(),
            docs: HashMap::default(),
            deleted: Vec::new(),
            aggregates: OnceLock::new(),
            generation: 0,
            changes: std::collections::VecDeque::new(),
            changes_from: 0,
        }
    }

    /// Logs a committed write's changes.
    pub(super) fn log_change(&mut self, generation: u64, added: std::ops::Range<u32>, removed: Vec<u32>) {
        self.changes.push_back(Change { generation, added, removed });
        while self.changes.len() > CHANGES_KEPT {
            if let Some(c) = self.changes.pop_front() {
                self.changes_from = c.generation;
            }
        }
    }

    /// Rows stored and not removed.
    pub(super) fn live_rows(&self) -> usize {
        let deleted: u32 = self.deleted.iter().map(|w| w.count_ones()).sum();
        self.rows.saturating_sub(deleted) as usize
    }

    #[inline]
    pub(super) fn is_deleted(&self, row: u32) -> bool {
        !live_in(&self.deleted)(row)
    }

    pub(super) fn mark_deleted(&mut self, row: u32) {
        let w = row as usize / 64;
        if self.deleted.len() <= w {
            self.deleted.resize(w + 1, 0);
        }
        self.deleted[w] |= 1 << (row % 64);
    }

    /// (segment index, local row) of a global row.
    #[inline]
    pub(super) fn locate(&self, row: u32) -> Option<(usize, usize)> {
        let i = self.segments.partition_point(|s| s.base <= row).checked_sub(1)?;
        let local = (row - self.segments[i].base) as usize;
        (local < self.segments[i].cols.len()).then_some((i, local))
    }

    pub(super) fn event(&self, row: u32) -> Option<Event> {
        self.locate(row).map(|(s, r)| self.segments[s].cols.event(r))
    }

    fn delta(seg: &Segment, local: usize, sign: i64) -> Option<Delta> {
        let root = seg.cols.root_code.get(local).and_then(|r| r.parse::<u8>().ok())?;
        Self::delta_with_root(seg, local, root, sign)
    }

    #[inline]
    pub(super) fn delta_with_root(seg: &Segment, local: usize, root: u8, sign: i64) -> Option<Delta> {
        let c = &seg.cols;
        if c.planned.value(local) {
            return None;
        }
        let (s, t) = seg.countries(local);
        Some(Delta {
            key: DyadKey::of(s, t, c.directed.value(local)),
            day: c.date.value(local),
            root,
            sums: Sums::of_event(c.goldstein.value(local), c.mentions.value(local), sign),
        })
    }

    /// The aggregates, built from every segment on first use (a group of segments at a time:
    /// one sort and one merge per group, the transient per-row work bounded by the group).
    pub(super) fn aggregates(&self) -> &Aggregates {
        self.aggregates.get_or_init(|| {
            let t = std::time::Instant::now();
            let mut aggregates = Aggregates::days_only();
            let live = live_in(&self.deleted);
            let mut start = 0;
            while start < self.segments.len() {
                let mut end = start;
                let mut rows = 0;
                while end < self.segments.len() && (end == start || rows < LOAD_GROUP_ROWS) {
                    rows += self.segments[end].cols.len();
                    end += 1;
                }
                index_aggregates(&mut aggregates, &self.segments[start..end], live);
                start = end;
            }
            tracing::debug!(rows = self.rows, ms = t.elapsed().as_millis() as u64, "aggregates built");
            aggregates
        })
    }

    /// The aggregates of one country pair (both directions, symmetric events included), from
    /// a scan of the country columns: what a query of one dyad needs when the store's
    /// aggregates are not built.
    pub(super) fn pair_aggregates(&self, a: &str, b: &str) -> Aggregates {
        let mut out = Aggregates::days_only();
        let (Some(a), Some(b)) = (self.countries.get(a), self.countries.get(b)) else { return out };
        let mut deltas = Vec::new();
        let live = live_in(&self.deleted);
        for seg in &self.segments {
            let pair = |local: usize| {
                let (s, t) = seg.countries(local);
                ((s == a && t == b) || (s == b && t == a)) && live(seg.base + local as u32)
            };
            segment_deltas(seg, pair, &mut deltas);
        }
        out.apply(deltas);
        out
    }

    /// Builds the aggregates and the dyad index (those not built yet), on both cores.
    pub(super) fn build_indexes(&self) {
        std::thread::scope(|scope| {
            let dyads = scope.spawn(|| {
                self.dyad_index();
            });
            self.aggregates();
            // A panic there is a bug in the indexing code, not bad input: pass it on.
            if let Err(p) = dyads.join() {
                std::panic::resume_unwind(p);
            }
        });
    }

    /// The dyad index, built from every segment on first use.
    pub(super) fn dyad_index(&self) -> &DyadIndex {
        self.dyads.get_or_init(|| {
            let t = std::time::Instant::now();
            let mut index = DyadIndex::default();
            let live = live_in(&self.deleted);
            index_dyads(&mut index, &self.segments, live);
            tracing::debug!(rows = self.rows, ms = t.elapsed().as_millis() as u64, "dyad index built");
            index
        })
    }

    /// Adds segments and indexes their rows (those not in `deleted`) in one pass: one sort and
    /// one merge into the aggregates (and the dyad index, if built) for all of them. (The id
    /// index is the writer's: [`Store::write`](super::Store::write) keeps it.)
    pub(super) fn add_segments(&mut self, loaded: Vec<LoadedSegment>) -> Result<()> {
        let first = self.segments.len();
        // Every batch is read before any is added: a bad one leaves the state as it was.
        let columns =
            loaded.into_iter().map(|s| Ok((s.seq, EventColumns::new(s.batch)?))).collect::<Result<Vec<_>>>()?;
        for (seq, cols) in columns {
            let base = self.rows;
            self.rows += cols.len() as u32;
            let segment = self.segment(seq, base, cols);
            self.segments.push(segment);
        }
        let State { segments, dyads, docs, deleted, aggregates, .. } = self;
        let segs = &segments[first..];
        let n: usize = segs.iter().map(|s| s.cols.len()).sum();
        let live = live_in(deleted);
        for seg in segs {
            index_documents(docs, seg, live);
        }
        // The dyad index and the aggregates (those built) are independent: a big write builds
        // them on both cores.
        std::thread::scope(|scope| {
            let big = n >= 100_000;
            let dyads_worker = match dyads.get_mut() {
                Some(index) if big => Some(scope.spawn(move || index_dyads(index, segs, live))),
                Some(index) => {
                    index_dyads(index, segs, live);
                    None
                }
                None => None,
            };
            if let Some(aggregates) = aggregates.get_mut() {
                index_aggregates(aggregates, segs, live);
            }
            if let Some(worker) = dyads_worker {
                // A panic there is a bug in the indexing code, not bad input: pass it on.
                if let Err(p) = worker.join() {
                    std::panic::resume_unwind(p);
                }
            }
        });
        Ok(())
    }

    /// A segment in memory, its country codes interned.
    fn segment(&mut self, seq: u64, base: u32, cols: EventColumns) -> Segment {
        let mut ids = |c: &crate::domain::columnar::DictColumn| -> Vec<u32> {
            c.values().iter().map(|v| self.countries.intern(v)).collect()
        };
        let source_ids = ids(&cols.source_country);
        let target_ids = ids(&cols.target_country);
        Segment { seq, base, cols, source_ids, target_ids }
    }

    /// Replaces a run of segments by the one a compaction merged them into: the same rows in
    /// the same order, so that every index over row numbers holds as it is.
    pub(super) fn replace_segments(&mut self, run: std::ops::Range<usize>, merged: LoadedSegment) -> Result<()> {
        let cols = EventColumns::new(merged.batch)?;
        let rows: usize = self.segments[run.clone()].iter().map(|s| s.cols.len()).sum();
        if cols.len() != rows {
            return Err(Error::Internal(format!("a merged segment of {} rows for {rows}", cols.len())));
        }
        let base = self.segments[run.start].base;
        let segment = self.segment(merged.seq, base, cols);
        self.segments.splice(run, [segment]);
        Ok(())
    }

    /// Removes rows: marks them, takes them out of the aggregates and the id index (an entry
    /// that points at another row, the id's new version, stays).
    pub(super) fn remove_rows(&mut self, rows: &[u32], ids: &mut IdIndex) {
        let mut deltas = Vec::new();
        let built = self.aggregates.get().is_some();
        for &row in rows {
            if self.is_deleted(row) {
                continue;
            }
            if let Some((s, local)) = self.locate(row) {
                let seg = &self.segments[s];
                if let Some(d) = Self::delta(seg, local, -1).filter(|_| built) {
                    deltas.push(d);
                }
                ids.remove(xxh3_64(seg.cols.id.value(local).as_bytes()), row);
            }
            self.mark_deleted(row);
        }
        if let Some(aggregates) = self.aggregates.get_mut() {
            aggregates.apply(deltas);
        }
    }

    pub(super) fn build_ids(&self) -> IdIndex {
        let mut ids = IdIndex::with_capacity(self.rows as usize);
        for seg in &self.segments {
            for local in 0..seg.cols.len() {
                let row = seg.base + local as u32;
                if !self.is_deleted(row) {
                    ids.insert(xxh3_64(seg.cols.id.value(local).as_bytes()), row);
                }
            }
        }
        ids
    }
}

/// Whether a row is live (not removed), given the removed-rows bitmap.
fn live_in(deleted: &[u64]) -> impl Fn(u32) -> bool + Copy + '_ {
    move |row| deleted.get(row as usize / 64).is_none_or(|w| w & (1 << (row % 64)) == 0)
}
