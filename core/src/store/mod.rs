//! The event store: durable storage behind a [`Backend`], and in memory the indexes and
//! aggregates every query is served from — a date-ordered dyad index (country pair → events), an
//! id index for idempotent writes, removed rows, and the [`Aggregates`]. The id index is built on
//! the first write, the dyad index and the aggregates on the first query that reads them (or by
//! [`Store::prepare`]); once built, every write keeps them up to date.
//!
//! Writes are atomic batches: the whole batch is checked (ids, conflicts) before anything is
//! written; then one backend commit makes it durable; only then does the in-memory state change.
//! Readers take a short read lock; the one writer prepares everything outside the state lock.
//! The id index belongs to the writer (under its lock): the check enters each new id as it
//! looks it up, and a write that fails before it is durable takes those entries out again.

mod backend;
mod compaction;
mod dir;
mod files;
mod ids;
mod ipc;
mod query;
pub mod repair;

pub use backend::{
    Backend, Commit, Committed, DocumentListing, DocumentSummary, ImportRecord, LoadedSegment, MemoryBackend, Snapshot,
};
pub use dir::{Access, DirBackend, SCHEMA_VERSION, UPLOADS};
pub use ipc::read_ipc_mmap;
pub use query::{ActorSel, Cursor, EventFilter};

use crate::aggregates::{AggregateSource, Aggregates, Delta, DyadKey, EventDeltas, Interner, KeyLayout, Sums};
use crate::domain::actors::Entry;
use crate::domain::columnar::{EventColumns, events_to_batch};
use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::error::{Error, Location, Result};
use arrow_array::{BooleanArray, RecordBatch};
use ids::IdIndex;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

/// Rows indexed together when the aggregates are built from stored segments: 32 bytes each
/// while they are sorted. Each further group merges into every dyad's cells, which takes
/// them all to fresh memory, so a group is large.
const LOAD_GROUP_ROWS: usize = 8_000_000;

/// Maps hashed with aHash: these are on the write path of millions of rows.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;
use xxhash_rust::xxh3::xxh3_64;

/// One segment in memory: its rows and, per country column, dictionary key → country id.
#[derive(Debug)]
struct Segment {
    /// The backend's sequence number of the segment.
    seq: u64,
    /// The global row number of its first row.
    base: u32,
    cols: EventColumns,
    source_ids: Vec<u32>,
    target_ids: Vec<u32>,
}

impl Segment {
    #[inline]
    fn countries(&self, row: usize) -> (u32, u32) {
        let s = self.cols.source_country.key(row).map_or(0, |k| self.source_ids[k as usize]);
        let t = self.cols.target_country.key(row).map_or(0, |k| self.target_ids[k as usize]);
        (s, t)
    }
}

/// The fields of a stored event that analytics read, borrowed from the store.
#[derive(Debug, Clone, Copy)]
pub struct RowBrief<'a> {
    /// Day number.
    pub date: i32,
    /// Root code 1..=20.
    pub root: u8,
    /// CAMEO code.
    pub code: &'a str,
    /// Goldstein value.
    pub goldstein: f64,
    /// Mentions.
    pub mentions: u32,
    /// QuadClass (GDELT scheme).
    pub quad: u8,
    /// Directed (false for symmetric consultations).
    pub directed: bool,
    /// Announced, not yet happened.
    pub planned: bool,
    /// Source code.
    pub source: Option<&'a str>,
    /// Target code.
    pub target: Option<&'a str>,
    /// Source country.
    pub source_country: Option<&'a str>,
    /// Target country.
    pub target_country: Option<&'a str>,
    /// Multilateral group.
    pub group: Option<&'a str>,
}

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

/// The dyad index: where each country pair's events are.
#[derive(Debug, Default)]
struct DyadIndex {
    /// (source country, target country) → (date, row), sorted.
    lists: HashMap<(u32, u32), Vec<(i32, u32)>>,
    /// country → the dyad keys it appears in.
    by_country: HashMap<u32, Vec<(u32, u32)>>,
}

#[derive(Debug)]
struct State {
    segments: Vec<Segment>,
    rows: u32,
    countries: Interner,
    /// Built on the first query that needs it (series and networks read the aggregates only),
    /// then kept up to date by writes.
    dyads: OnceLock<DyadIndex>,
    /// doc_id → rows.
    docs: HashMap<String, Vec<u32>>,
    deleted: Vec<u64>,
    /// Built on the first query that reads them (a one-shot process that imports, or answers
    /// one dyad's series, never needs them), then kept up to date by writes.
    aggregates: OnceLock<Aggregates>,
    generation: u64,
    /// What the writes of this process changed, oldest first: a watch resumes from it.
    changes: std::collections::VecDeque<Change>,
    /// The oldest revision [`State::changes`] covers: every change after it is in the log.
    changes_from: u64,
}

/// What one committed write changed: the rows it added and the rows it removed.
#[derive(Debug, Clone)]
struct Change {
    generation: u64,
    added: std::ops::Range<u32>,
    removed: Vec<u32>,
}

/// Writes whose changes a watch can replay, at most (the oldest are forgotten first).
const CHANGES_KEPT: usize = 4096;

/// One write's changes that match a filter, as a watch replays them.
#[derive(Debug, Clone, Default)]
pub struct ChangedRows {
    /// The revision (store generation) of the write.
    pub revision: u64,
    /// Rows it added that match, in order (removed since or not).
    pub added: Vec<u32>,
    /// Rows it removed that match.
    pub removed: Vec<u32>,
}

impl State {
    fn new() -> Self {
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
    fn log_change(&mut self, generation: u64, added: std::ops::Range<u32>, removed: Vec<u32>) {
        self.changes.push_back(Change { generation, added, removed });
        while self.changes.len() > CHANGES_KEPT {
            if let Some(c) = self.changes.pop_front() {
                self.changes_from = c.generation;
            }
        }
    }

    /// Rows stored and not removed.
    fn live_rows(&self) -> usize {
        let deleted: u32 = self.deleted.iter().map(|w| w.count_ones()).sum();
        self.rows.saturating_sub(deleted) as usize
    }

    #[inline]
    fn is_deleted(&self, row: u32) -> bool {
        !live_in(&self.deleted)(row)
    }

    fn mark_deleted(&mut self, row: u32) {
        let w = row as usize / 64;
        if self.deleted.len() <= w {
            self.deleted.resize(w + 1, 0);
        }
        self.deleted[w] |= 1 << (row % 64);
    }

    /// (segment index, local row) of a global row.
    #[inline]
    fn locate(&self, row: u32) -> Option<(usize, usize)> {
        let i = self.segments.partition_point(|s| s.base <= row).checked_sub(1)?;
        let local = (row - self.segments[i].base) as usize;
        (local < self.segments[i].cols.len()).then_some((i, local))
    }

    fn event(&self, row: u32) -> Option<Event> {
        self.locate(row).map(|(s, r)| self.segments[s].cols.event(r))
    }

    fn delta(seg: &Segment, local: usize, sign: i64) -> Option<Delta> {
        let root = seg.cols.root_code.get(local).and_then(|r| r.parse::<u8>().ok())?;
        Self::delta_with_root(seg, local, root, sign)
    }

    #[inline]
    fn delta_with_root(seg: &Segment, local: usize, root: u8, sign: i64) -> Option<Delta> {
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
    fn aggregates(&self) -> &Aggregates {
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
    fn pair_aggregates(&self, a: &str, b: &str) -> Aggregates {
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
    fn build_indexes(&self) {
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
    fn dyad_index(&self) -> &DyadIndex {
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
    /// index is the writer's: [`Store::write`] keeps it.)
    fn add_segments(&mut self, loaded: Vec<LoadedSegment>) -> Result<()> {
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
    fn replace_segments(&mut self, run: std::ops::Range<usize>, merged: LoadedSegment) -> Result<()> {
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
    fn remove_rows(&mut self, rows: &[u32], ids: &mut IdIndex) {
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

    fn build_ids(&self) -> IdIndex {
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

/// A change a write made to the id index, undone when the write fails before it is durable.
enum IdChange {
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

/// Called after every write that changed the store (watchers wake on it).
pub type CommitListener = Box<dyn Fn() + Send + Sync>;

/// The event store of a model.
pub struct Store {
    backend: Box<dyn Backend>,
    /// Set by [`Store::prepare`]: a state re-read by [`Store::refresh`] is prepared too.
    prepared: std::sync::atomic::AtomicBool,
    state: RwLock<State>,
    /// The one writer's lock, and the id index only writers read: xxh3(id) → row, built on the
    /// first write.
    writer: Mutex<Option<IdIndex>>,
    listeners: Mutex<Vec<CommitListener>>,
    /// Counts the writes that changed the store; waiters ([`Store::wait_for_write`]) sleep on it.
    commits: (Mutex<u64>, parking_lot::Condvar),
    /// Open [`DeferredCompaction`] guards: while any is, writes leave small segments be.
    compaction_deferred: std::sync::atomic::AtomicUsize,
    /// Set when a merge landed on disk but not in memory: no more merges until reopened.
    compaction_halted: std::sync::atomic::AtomicBool,
    /// Set when a write landed on disk but not in memory: its rows' numbers are no longer
    /// this process's, so no more writes until reopened.
    writes_halted: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// Segments a store may hold while compaction is deferred before it merges them anyway (each is
/// a memory map; the system allows about 65,000).
const MAX_DEFERRED_SEGMENTS: usize = 1024;

/// Compaction put off ([`Store::defer_compaction`]): dropped, it merges what is due.
#[must_use = "dropping the guard ends the deferral at once"]
pub struct DeferredCompaction<'a> {
    store: &'a Store,
}

impl Drop for DeferredCompaction<'_> {
    fn drop(&mut self) {
        let left = self.store.compaction_deferred.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) - 1;
        if left == 0
            && !std::thread::panicking()
            && self.store.backend.writable()
            && let Err(e) = self.store.compact()
        {
            tracing::warn!(error = %e, "could not merge small segments");
        }
    }
}

/// A bulk load in progress ([`Store::bulk_load`]): dropped, it builds the indexes it let go of.
#[must_use = "dropping the guard ends the bulk load at once"]
pub struct BulkLoad<'a> {
    store: &'a Store,
    aggregates: bool,
    dyads: bool,
}

impl Drop for BulkLoad<'_> {
    fn drop(&mut self) {
        // Unwinding: the first query that needs them builds them.
        if std::thread::panicking() || !(self.aggregates || self.dyads) {
            return;
        }
        let state = &self.store.view().state;
        if self.aggregates && self.dyads {
            state.build_indexes();
        } else if self.aggregates {
            state.aggregates();
        } else {
            state.dyad_index();
        }
    }
}

/// A read view of the store, held only for the duration of a query.
pub struct StoreView<'a> {
    state: RwLockReadGuard<'a, State>,
}

impl Store {
    /// Opens a store over a backend (its segments mapped; indexes wait for their first use).
    pub fn open(backend: Box<dyn Backend>) -> Result<Store> {
        let state = Self::load_state(backend.as_ref())?;
        Ok(Store {
            backend,
            prepared: std::sync::atomic::AtomicBool::new(false),
            state: RwLock::new(state),
            writer: Mutex::new(None),
            listeners: Mutex::new(Vec::new()),
            commits: (Mutex::new(0), parking_lot::Condvar::new()),
            compaction_deferred: std::sync::atomic::AtomicUsize::new(0),
            compaction_halted: std::sync::atomic::AtomicBool::new(false),
            writes_halted: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn load_state(backend: &dyn Backend) -> Result<State> {
        let snap = backend.load()?;
        let mut state = State::new();
        for &r in &snap.tombstones {
            state.mark_deleted(r);
        }
        // Only the document index is built here; the aggregates and the dyad index wait for the
        // first query that needs them.
        state.add_segments(snap.segments)?;
        state.generation = snap.generation;
        // Changes before this process opened the store are not in its log.
        state.changes_from = snap.generation;
        tracing::info!(rows = state.rows, segments = state.segments.len(), "store loaded");
        Ok(state)
    }

    /// Re-reads the backend when another process has written since (read-only stores).
    pub fn refresh(&self) -> Result<bool> {
        let g = self.backend.generation()?;
        if g == self.state.read().generation {
            return Ok(false);
        }
        let state = Self::load_state(self.backend.as_ref())?;
        // Rows changed under any id index: the next write builds it again.
        *self.writer.lock() = None;
        if self.prepared.load(std::sync::atomic::Ordering::Relaxed) {
            state.build_indexes();
        }
        *self.state.write() = state;
        Ok(true)
    }

    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// A read view (hold it briefly: writers wait for it).
    pub fn view(&self) -> StoreView<'_> {
        StoreView { state: self.state.read() }
    }

    /// Applies one write atomically. Every event is checked against the store and the rest of
    /// the batch first: an id stored with other content is a conflict (unless `replace`), and a
    /// conflict writes nothing. Events already stored unchanged are skipped.
    pub fn write(&self, w: Write) -> Result<WriteSummary> {
        self.check_writable()?;
        let mut writer = self.writer.lock();
        let ids = writer.get_or_insert_with(|| self.state.read().build_ids());
        // The check enters each new event's row in the id index as it goes (one probe per id);
        // a write that fails before its rows are in the state takes those entries out again.
        let mut undo = Vec::new();
        let applied = self.apply(w, ids, &mut undo);
        if applied.is_err() {
            undo_ids(ids, undo);
        }
        let (summary, changed) = applied?;
        if changed {
            // Durable and visible: tell the watchers (outside the state lock, so they can read).
            for listener in self.listeners.lock().iter() {
                listener();
            }
            *self.commits.0.lock() += 1;
            self.commits.1.notify_all();
            // The write stands whatever happens here: a merge refused or failed before its commit
            // leaves the segments as they were, to merge after a later write. Deferred (an
            // import of many files), small segments still merge once they are very many.
            let deferred = self.compaction_deferred.load(std::sync::atomic::Ordering::Relaxed) > 0;
            if (!deferred || self.view().segment_count() > MAX_DEFERRED_SEGMENTS)
                && let Err(e) = self.compact_segments()
            {
                tracing::warn!(error = %e, "could not merge small segments");
            }
        }
        Ok(summary)
    }

    /// Merges runs of small segments (see [`compaction`]) until none is left to merge; returns
    /// the number of segments merged away. Every write that is not deferred does this after it
    /// commits; a store written by an older build that never did is merged at the first call
    /// (small segments left between large ones stay, one between each two).
    pub fn compact(&self) -> Result<usize> {
        self.check_writable()?;
        let _writer = self.writer.lock();
        self.compact_segments()
    }

    /// Puts off compaction until the returned guard is dropped (an import of many small files):
    /// merging as each file lands would rewrite the same rows several times over, where one
    /// merge at the end writes them once.
    pub fn defer_compaction(&self) -> DeferredCompaction<'_> {
        self.compaction_deferred.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        DeferredCompaction { store: self }
    }

    /// Refuses to write a store opened read-only, or one whose last write landed on disk only.
    fn check_writable(&self) -> Result<()> {
        if self.writes_halted.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Unavailable(
                "a write landed on disk but not in this process's view of the store: open the store again".into(),
            ));
        }
        if self.backend.writable() {
            return Ok(());
        }
        Err(Error::Locked {
            path: self.backend.path().map(|p| p.to_path_buf()).unwrap_or_default(),
            reason: "it was opened read-only".into(),
        })
    }

    /// [`Store::compact`], the writer's lock held.
    fn compact_segments(&self) -> Result<usize> {
        let mut merged = 0;
        loop {
            if self.compaction_halted.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            let (run, seqs, batch) = {
                let state = self.state.read();
                let rows: Vec<usize> = state.segments.iter().map(|s| s.cols.len()).collect();
                let Some(run) = compaction::next_merge(&rows) else { break };
                let segs = &state.segments[run.clone()];
                let seqs: Vec<(u64, usize)> = segs.iter().map(|s| (s.seq, s.cols.len())).collect();
                let batch = crate::domain::columnar::concat_events(segs.iter().map(|s| &s.cols.batch))?;
                (run, seqs, batch)
            };
            let t = std::time::Instant::now();
            let committed = self.backend.merge_segments(&seqs, &batch)?;
            drop(batch);
            let Some(segment) = committed.segment else {
                return Err(Error::Internal("a merge without its segment".into()));
            };
            let mut state = self.state.write();
            if let Err(e) = state.replace_segments(run.clone(), segment) {
                // The merge is on disk; memory still holds the segments it merged (the same
                // rows, still mapped). Answers stay right, but this process's view of the
                // segments is no longer the catalog's: it merges no more until reopened.
                self.compaction_halted.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(e);
            }
            state.generation = committed.generation;
            drop(state);
            merged += run.len() - 1;
            tracing::debug!(segments = run.len(), ms = t.elapsed().as_millis() as u64, "segments merged");
        }
        Ok(merged)
    }

    /// Checks, commits and indexes a write; true when it changed the store.
    fn apply(&self, w: Write, ids: &mut IdIndex, undo: &mut Vec<IdChange>) -> Result<(WriteSummary, bool)> {
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

    /// Builds the aggregates and the dyad index now rather than on the first query that needs
    /// them: a long-running service does this once at start, and they are then kept up to
    /// date by every write.
    pub fn prepare(&self) {
        self.prepared.store(true, std::sync::atomic::Ordering::Relaxed);
        self.view().state.build_indexes();
    }

    /// Starts a bulk load of about `rows` rows in `writes` writes (an import): with many
    /// writes that together at least double the store, keeping the aggregates and the dyad
    /// index up to date write by write would merge into them over and over (rows arrive in no
    /// date order), so they are let go of now and built once, from every row, when the
    /// returned guard is dropped. Queries in between stay correct: one that needs them builds
    /// them, and the writes after it keep them.
    ///
    /// It also makes room in the id index for the rows: the index then grows once, not by
    /// doubling, each doubling a pass over millions of entries with the old and new tables
    /// both in memory.
    pub fn bulk_load(&self, rows: usize, writes: usize) -> BulkLoad<'_> {
        {
            let mut writer = self.writer.lock();
            writer.get_or_insert_with(|| self.state.read().build_ids()).reserve(rows);
        }
        let mut state = self.state.write();
        let rebuild = writes > 1 && rows >= state.live_rows();
        let aggregates = rebuild && state.aggregates.take().is_some();
        let dyads = rebuild && state.dyads.take().is_some();
        BulkLoad { store: self, aggregates, dyads }
    }

    /// Registers a function called after every write that changed the store.
    pub fn on_commit(&self, listener: CommitListener) {
        self.listeners.lock().push(listener);
    }

    /// Waits until the store's revision is past `revision` or `timeout` has passed; the
    /// revision then. Writes wake it as they commit, so a follower needs no polling.
    pub fn wait_for_write(&self, revision: u64, timeout: std::time::Duration) -> u64 {
        let deadline = std::time::Instant::now() + timeout;
        let mut commits = self.commits.0.lock();
        loop {
            // Read under the commit lock: a write that lands now notifies after we wait.
            let now = self.view().revision();
            if now > revision || self.commits.1.wait_until(&mut commits, deadline).timed_out() {
                return self.view().revision();
            }
        }
    }

    /// Convenience: writes normalised events.
    pub fn add_events(&self, events: &[Event], replace: bool) -> Result<WriteSummary> {
        let batch = if events.is_empty() { None } else { Some(events_to_batch(events)?) };
        self.write(Write { events: batch, replace, ..Default::default() })
    }
}

/// A store's series come from its own aggregates.
impl AggregateSource for StoreView<'_> {
    fn country_id(&self, code: &str) -> Option<u32> {
        self.countries().get(code)
    }
    fn aggregates(&self) -> &Aggregates {
        StoreView::aggregates(self)
    }
}

impl StoreView<'_> {
    /// The position after the last stored row: rows written later come at or after it.
    pub fn end_row(&self) -> u32 {
        self.state.rows
    }

    /// Live rows at or after `from`, in write order, that match the filter (actors at country
    /// level unless exact), at most `limit`; and the position to continue from.
    pub fn rows_since(&self, f: &EventFilter, from: u32, limit: usize) -> (Vec<u32>, u32) {
        let st = &*self.state;
        let mut matcher = Matcher::new(st, f);
        let mut out = Vec::new();
        let mut next = from;
        for seg in &st.segments {
            let end = seg.base + seg.cols.len() as u32;
            if end <= next {
                continue;
            }
            for local in (next.saturating_sub(seg.base) as usize)..seg.cols.len() {
                let row = seg.base + local as u32;
                next = row + 1;
                if countries_match(&seg.cols, local, f) && matcher.matches(row, Mode::Any) {
                    out.push(row);
                    if out.len() >= limit {
                        return (out, next);
                    }
                }
            }
        }
        (out, st.rows.max(from))
    }

    /// The store's revision: its generation, which every committed write raises.
    pub fn revision(&self) -> u64 {
        self.state.generation
    }

    /// The changes of the writes after `revision` that match a filter, oldest first (writes
    /// without a matching change left out), with the revision they reach. None when `revision`
    /// is older than this process's log of changes reaches (before it opened the store, or
    /// forgotten): the caller must list again.
    pub fn changes_since(&self, f: &EventFilter, revision: u64) -> Option<(Vec<ChangedRows>, u64)> {
        let st = &*self.state;
        if revision < st.changes_from {
            return None;
        }
        let mut matcher = Matcher::new(st, f);
        matcher.removed_too = true;
        let mut hit = |row: u32| {
            st.locate(row).is_some_and(|(s, l)| countries_match(&st.segments[s].cols, l, f))
                && matcher.matches(row, Mode::Any)
        };
        let mut out = Vec::new();
        for c in st.changes.iter().filter(|c| c.generation > revision) {
            let added: Vec<u32> = c.added.clone().filter(|&r| hit(r)).collect();
            let removed: Vec<u32> = c.removed.iter().copied().filter(|&r| hit(r)).collect();
            if !added.is_empty() || !removed.is_empty() {
                out.push(ChangedRows { revision: c.generation, added, removed });
            }
        }
        Some((out, st.generation))
    }

    /// The oldest revision [`StoreView::changes_since`] can replay from.
    pub fn oldest_revision(&self) -> u64 {
        self.state.changes_from
    }

    /// Number of stored (not removed) events.
    pub fn len(&self) -> usize {
        self.state.live_rows()
    }

    /// True when no events are stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of segments the events are stored in (each write adds one; compaction merges
    /// small ones).
    pub fn segment_count(&self) -> usize {
        self.state.segments.len()
    }

    /// The aggregates (built on first use).
    pub fn aggregates(&self) -> &Aggregates {
        self.state.aggregates()
    }

    /// True when the aggregates are built (queries of them answer in microseconds).
    pub fn aggregates_built(&self) -> bool {
        self.state.aggregates.get().is_some()
    }

    /// The aggregates of one country pair, computed from the events (see [`Store::prepare`]).
    pub fn pair_aggregates(&self, a: &str, b: &str) -> Aggregates {
        self.state.pair_aggregates(a, b)
    }

    /// Interned country codes.
    pub fn countries(&self) -> &Interner {
        &self.state.countries
    }

    /// True when some stored event has this country code.
    pub fn knows_country(&self, code: &str) -> bool {
        self.state.countries.get(code).is_some()
    }

    /// True when some stored event has this exact actor code.
    pub fn knows_code(&self, code: &str) -> bool {
        self.state.segments.iter().any(|s| s.cols.source.contains(code) || s.cols.target.contains(code))
    }

    /// The event of a row.
    pub fn event(&self, row: u32) -> Option<Event> {
        self.state.event(row)
    }

    /// The events of rows, in the order given.
    pub fn events(&self, rows: &[u32]) -> Vec<Event> {
        rows.iter().filter_map(|&r| self.state.event(r)).collect()
    }

    /// Rows of a document's events.
    pub fn document_rows(&self, doc_id: &str) -> Vec<u32> {
        let mut rows: Vec<u32> = self
            .state
            .docs
            .get(doc_id)
            .map(|v| v.iter().copied().filter(|r| !self.state.is_deleted(*r)).collect())
            .unwrap_or_default();
        rows.sort_unstable();
        rows
    }

    /// (date, row) pairs of a stored country dyad, sorted, removed rows included (callers
    /// filter with [`StoreView::is_live`]).
    pub fn dyad_rows(&self, source: &str, target: &str) -> &[(i32, u32)] {
        match (self.state.countries.get(source), self.state.countries.get(target)) {
            (Some(s), Some(t)) => self.state.dyad_index().lists.get(&(s, t)).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }

    /// False for removed rows.
    pub fn is_live(&self, row: u32) -> bool {
        !self.state.is_deleted(row)
    }

    /// The few fields analytics read of a row, without building the whole record.
    pub fn row_brief(&self, row: u32) -> Option<RowBrief<'_>> {
        let (s, l) = self.state.locate(row)?;
        let c = &self.state.segments[s].cols;
        Some(RowBrief {
            date: c.date.value(l),
            root: c.root_code.get(l).and_then(|r| r.parse().ok()).unwrap_or(0),
            code: c.code.get(l).unwrap_or(""),
            goldstein: c.goldstein.value(l),
            mentions: c.mentions.value(l),
            quad: c.quad_class.value(l),
            directed: c.directed.value(l),
            planned: c.planned.value(l),
            source: c.source.get(l),
            target: c.target.get(l),
            source_country: c.source_country.get(l),
            target_country: c.target_country.get(l),
            group: c.group(l),
        })
    }

    /// The dyad keys (source, target country codes) that involve a country.
    pub fn dyads_of(&self, country: &str) -> Vec<(&str, &str)> {
        let Some(c) = self.state.countries.get(country) else { return Vec::new() };
        self.state
            .dyad_index()
            .by_country
            .get(&c)
            .map(|keys| {
                keys.iter().map(|&(s, t)| (self.state.countries.name(s), self.state.countries.name(t))).collect()
            })
            .unwrap_or_default()
    }

    /// A row's event id, without building the record.
    pub fn row_id(&self, row: u32) -> Option<&str> {
        let (s, l) = self.state.locate(row)?;
        Some(self.state.segments[s].cols.id.value(l))
    }

    /// Whether a row is directed, and its exact source and target codes.
    pub fn row_actors(&self, row: u32) -> Option<(bool, Option<&str>, Option<&str>)> {
        let (s, l) = self.state.locate(row)?;
        let c = &self.state.segments[s].cols;
        Some((c.directed.value(l), c.source.get(l), c.target.get(l)))
    }

    /// Lists events matching a filter in (date, storage) order after `cursor`, at most `limit`;
    /// returns the rows and the cursor of the next page, if there is one.
    pub fn list(&self, f: &EventFilter, limit: usize, cursor: Option<Cursor>) -> Result<(Vec<u32>, Option<Cursor>)> {
        self.list_in_order(f, limit, cursor, false)
    }

    /// [`StoreView::list`] in either order: `descending` lists the newest first, the rows of a day
    /// in reverse storage order, after (below) `cursor`.
    pub fn list_in_order(
        &self,
        f: &EventFilter,
        limit: usize,
        cursor: Option<Cursor>,
        descending: bool,
    ) -> Result<(Vec<u32>, Option<Cursor>)> {
        let st = &*self.state;
        // One ascending walk serves both orders: descending, every key is mirrored (`!` reverses
        // the order of i32 and u32 alike) and the index lists are read from their ends.
        let walk = |k: (i32, u32)| if descending { (!k.0, !k.1) } else { k };
        let after = cursor.map(|c| walk((c.date, c.row)));
        let days = |d: Option<crate::Date>| d.map(|d| walk((d.days(), 0)).0);
        // The first and last day of the walk, in its own order.
        let (first_day, last_day) =
            if descending { (days(f.end), days(f.start)) } else { (days(f.start), days(f.end)) };
        let before_first = |k: (i32, u32)| after.is_some_and(|a| k <= a) || first_day.is_some_and(|d| k.0 < d);
        let mut matcher = Matcher::new(st, f);
        let take = limit.saturating_add(1);
        let mut out: Vec<(i32, u32)> = Vec::new();
        match self.candidate_lists(f) {
            Some(lists) => {
                // The i-th key of a list in the walk's order.
                let at =
                    |list: &[(i32, u32)], i: usize| walk(if descending { list[list.len() - 1 - i] } else { list[i] });
                // k-way merge of the sorted lists, stopping once the page is full.
                let mut heap = BinaryHeap::new();
                for (li, (list, mode)) in lists.iter().enumerate() {
                    let (mut lo, mut hi) = (0, list.len());
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if before_first(at(list, mid)) { lo = mid + 1 } else { hi = mid }
                    }
                    if lo < list.len() {
                        heap.push(Reverse((at(list, lo), li, lo, *mode)));
                    }
                }
                let mut last: Option<(i32, u32)> = None;
                while let Some(Reverse((k, li, pos, mode))) = heap.pop() {
                    if last_day.is_some_and(|d| k.0 > d) {
                        break; // every key still queued is later
                    }
                    let list = lists[li].0;
                    if pos + 1 < list.len() {
                        heap.push(Reverse((at(list, pos + 1), li, pos + 1, mode)));
                    }
                    if last == Some(k) {
                        continue;
                    }
                    if matcher.matches(walk(k).1, mode) {
                        out.push(k);
                        last = Some(k);
                        if out.len() >= take {
                            break;
                        }
                    }
                }
            }
            None => {
                // A scan: keep the `take` first keys of the walk after the cursor.
                let mut heap: BinaryHeap<(i32, u32)> = BinaryHeap::new();
                for seg in &st.segments {
                    for local in 0..seg.cols.len() {
                        let k = walk((seg.cols.date.value(local), seg.base + local as u32));
                        if after.is_some_and(|a| k <= a)
                            || (heap.len() >= take && heap.peek().is_some_and(|top| k >= *top))
                        {
                            continue;
                        }
                        if matcher.matches(walk(k).1, Mode::Any) {
                            heap.push(k);
                            if heap.len() > take {
                                heap.pop();
                            }
                        }
                    }
                }
                out = heap.into_sorted_vec();
            }
        }
        // Back from the walk's keys to the store's.
        let mut out: Vec<(i32, u32)> = out.into_iter().map(walk).collect();
        let next = (out.len() > limit).then(|| {
            out.truncate(limit);
            out.last().map(|&(date, row)| Cursor { date, row })
        });
        Ok((out.into_iter().map(|k| k.1).collect(), next.flatten()))
    }

    /// The index lists that hold every candidate of a filter, or `None` for a scan.
    fn candidate_lists(&self, f: &EventFilter) -> Option<Vec<(&[(i32, u32)], Mode)>> {
        let st = &*self.state;
        // The dyad index is built (on first use) only for filters it serves.
        if f.dyad.is_none() && f.actor.is_none() {
            return None;
        }
        let index = st.dyad_index();
        let get = |a: u32, b: u32| index.lists.get(&(a, b)).map_or(&[][..], Vec::as_slice);
        let id = |c: &str| st.countries.get(c);
        if let Some((a, b)) = &f.dyad {
            let (Some(a), Some(b)) = (id(&a.country), id(&b.country)) else { return Some(Vec::new()) };
            let mut v = vec![(get(a, b), Mode::Forward)];
            if a != b {
                v.push((get(b, a), if f.directed { Mode::ReverseSymmetric } else { Mode::Reverse }));
            }
            return Some(v);
        }
        if let Some(a) = &f.actor {
            let Some(c) = id(&a.country) else { return Some(Vec::new()) };
            let keys = index.by_country.get(&c).map_or(&[][..], Vec::as_slice);
            return Some(
                keys.iter().map(|&(s, t)| (get(s, t), if s == c { Mode::Forward } else { Mode::Reverse })).collect(),
            );
        }
        None
    }
}

/// How a candidate list relates to the queried actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// Any row (scans).
    Any,
    /// Stored as A→B.
    Forward,
    /// Stored as B→A.
    Reverse,
    /// Stored as B→A, admitted only when symmetric (a directed query counts symmetric events).
    ReverseSymmetric,
}

/// Evaluates the per-row filters, with per-segment caches of dictionary lookups.
struct Matcher<'a> {
    st: &'a State,
    f: &'a EventFilter,
    /// Removed rows match too (a watch reports removals as they were).
    removed_too: bool,
    /// Per segment: code key → matches, root key → matches, origin key.
    seg_cache: Vec<Option<SegFilter>>,
}

/// Per dictionary value of a segment's column, whether a filter wants it (`None`: no filter on
/// that column).
struct SegFilter {
    codes: Option<Vec<bool>>,
    roots: Option<Vec<bool>>,
    origin: Option<Vec<bool>>,
    doc: Option<Vec<bool>>,
}

impl<'a> Matcher<'a> {
    fn new(st: &'a State, f: &'a EventFilter) -> Self {
        let n = st.segments.len();
        Matcher { st, f, removed_too: false, seg_cache: (0..n).map(|_| None).collect() }
    }

    fn seg_filter(f: &EventFilter, seg: &Segment) -> SegFilter {
        let codes = (!f.codes.is_empty()).then(|| {
            seg.cols
                .code
                .values()
                .iter()
                .map(|v| v.is_some_and(|v| f.codes.iter().any(|c| v.starts_with(c.as_str()))))
                .collect()
        });
        let roots = (!f.roots.is_empty()).then(|| {
            seg.cols.root_code.values().iter().map(|v| v.is_some_and(|v| f.roots.iter().any(|r| r == v))).collect()
        });
        // Keys, not one key: a dictionary may hold a value more than once (concatenated batches).
        let keys = |c: &crate::domain::columnar::DictColumn, v: &str| -> Vec<bool> {
            c.values().iter().map(|x| x == Some(v)).collect()
        };
        let origin = f.origin.map(|o| keys(&seg.cols.origin, o.as_str()));
        let doc = f.doc_id.as_ref().map(|d| keys(&seg.cols.doc_id, d));
        SegFilter { codes, roots, origin, doc }
    }

    fn matches(&mut self, row: u32, mode: Mode) -> bool {
        let st = self.st;
        if st.is_deleted(row) && !self.removed_too {
            return false;
        }
        let Some((si, l)) = st.locate(row) else { return false };
        let seg = &st.segments[si];
        let f = self.f;
        let sf = self.seg_cache[si].get_or_insert_with(|| Self::seg_filter(f, seg));
        let c = &seg.cols;
        if mode == Mode::ReverseSymmetric && c.directed.value(l) {
            return false;
        }
        let d = c.date.value(l);
        if f.start.is_some_and(|s| d < s.days()) || f.end.is_some_and(|e| d > e.days()) {
            return false;
        }
        if f.exclude_planned && c.planned.value(l) {
            return false;
        }
        let allowed = |wanted: &Option<Vec<bool>>, column: &crate::domain::columnar::DictColumn| {
            wanted.as_ref().is_none_or(|w| column.key(l).is_some_and(|k| w[k as usize]))
        };
        if !(allowed(&sf.codes, &c.code)
            && allowed(&sf.roots, &c.root_code)
            && allowed(&sf.origin, &c.origin)
            && allowed(&sf.doc, &c.doc_id))
        {
            return false;
        }
        if !f.quads.is_empty() && !f.quads.contains(&c.quad_class.value(l)) {
            return false;
        }
        if let Some(t) = &f.topic
            && !c.has_topic(l, t)
        {
            return false;
        }
        if !f.ids.is_empty() && !f.ids.iter().any(|i| i == c.id.value(l)) {
            return false;
        }
        if f.exact {
            let (s, t) = (c.source.get(l), c.target.get(l));
            if let Some((a, b)) = &f.dyad {
                let fwd = s == Some(a.code.as_str()) && t == Some(b.code.as_str());
                let rev = s == Some(b.code.as_str()) && t == Some(a.code.as_str());
                let ok = if f.directed { fwd || (rev && !c.directed.value(l)) } else { fwd || rev };
                if !ok {
                    return false;
                }
            } else if let Some(a) = &f.actor
                && s != Some(a.code.as_str())
                && t != Some(a.code.as_str())
            {
                return false;
            }
        }
        true
    }
}

/// Merges two sorted lists.
fn merge_sorted(a: Vec<(i32, u32)>, b: Vec<(i32, u32)>) -> Vec<(i32, u32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Puts back the id index entries a failed write changed, the last change first.
fn undo_ids(ids: &mut IdIndex, undo: Vec<IdChange>) {
    for change in undo.into_iter().rev() {
        match change {
            IdChange::Added(h, row) => ids.remove(h, row),
            IdChange::Moved(h, from, to) => ids.replace(h, to, from),
        };
    }
}

#[cfg(test)]
thread_local! {
    /// Aggregate builds on this thread that took the [`Delta`] path (tests expect none).
    pub(super) static UNPACKED_BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Adds segments' live rows to the aggregates: packed as they are read when they fit a
/// packing (as a store's do), else as [`Delta`]s.
fn index_aggregates(aggregates: &mut Aggregates, segs: &[Segment], live: impl Fn(u32) -> bool) {
    let roots: Vec<Vec<Option<u8>>> = segs.iter().map(segment_roots).collect();
    let max_root = roots.iter().flatten().flatten().copied().max().unwrap_or(0);
    let n = segs.iter().map(|s| s.cols.len()).sum();
    let (lo, hi, max_id) = bounds(segs);
    // A symmetric event's key has the larger id as its target: either side's may end up there.
    let layout = KeyLayout::new(lo, hi, max_id, max_id, max_root);
    if let Some(mut events) = layout.and_then(|l| EventDeltas::new(l, n)) {
        let packed = segs.iter().zip(&roots).all(|(seg, roots)| {
            let c = &seg.cols;
            (0..c.len()).all(|local| {
                let root = c.root_code.key(local).and_then(|k| roots[k as usize]);
                let Some(root) = root.filter(|_| !c.planned.value(local) && live(seg.base + local as u32)) else {
                    return true;
                };
                let (s, t) = seg.countries(local);
                let key = DyadKey::of(s, t, c.directed.value(local));
                events.push(key, c.date.value(local), root, c.goldstein.value(local), c.mentions.value(local))
            })
        });
        if packed {
            aggregates.apply_events(events);
            return;
        }
    }
    tracing::debug!(rows = n, "aggregates built from deltas: the rows do not pack");
    #[cfg(test)]
    UNPACKED_BUILDS.with(|c| c.set(c.get() + 1));
    let mut deltas = Vec::with_capacity(n);
    for seg in segs {
        segment_deltas(seg, |local| live(seg.base + local as u32), &mut deltas);
    }
    aggregates.apply(deltas);
}

/// The first and last day of segments' rows and their largest country id (zeros when empty).
fn bounds(segs: &[Segment]) -> (i32, i32, u32) {
    let dates = || segs.iter().flat_map(|s| s.cols.date.values().iter().copied());
    let max_id = segs.iter().flat_map(|s| s.source_ids.iter().chain(&s.target_ids)).copied().max();
    (dates().min().unwrap_or(0), dates().max().unwrap_or(0), max_id.unwrap_or(0))
}

/// A segment's root codes as numbers, one per dictionary value.
fn segment_roots(seg: &Segment) -> Vec<Option<u8>> {
    seg.cols.root_code.values().iter().map(|v| v.and_then(|r| r.parse::<u8>().ok())).collect()
}

/// The aggregate deltas of a segment's rows that `keep` (given the local row) accepts; roots
/// are parsed once per dictionary value, not per row.
fn segment_deltas(seg: &Segment, keep: impl Fn(usize) -> bool, out: &mut Vec<Delta>) {
    let roots = segment_roots(seg);
    for local in (0..seg.cols.len()).filter(|&l| keep(l)) {
        let root = seg.cols.root_code.key(local).and_then(|k| roots[k as usize]);
        if let Some(d) = root.and_then(|r| State::delta_with_root(seg, local, r, 1)) {
            out.push(d);
        }
    }
}

/// Whether a row is live (not removed), given the removed-rows bitmap.
fn live_in(deleted: &[u64]) -> impl Fn(u32) -> bool + Copy + '_ {
    move |row| deleted.get(row as usize / 64).is_none_or(|w| w & (1 << (row % 64)) == 0)
}

/// Adds a segment's live coded events to the document index. Only coded events index their
/// document (stored documents are re-coded and shown by id); an imported event's doc_id is a
/// source URL, millions of them, never asked for so.
fn index_documents(docs: &mut HashMap<String, Vec<u32>>, seg: &Segment, live: impl Fn(u32) -> bool) {
    let c = &seg.cols;
    let coded: Vec<bool> = c.origin.values().iter().map(|v| v == Some("coder")).collect();
    if !coded.contains(&true) {
        return;
    }
    for local in 0..c.len() {
        let row = seg.base + local as u32;
        if live(row)
            && c.origin.key(local).is_some_and(|k| coded[k as usize])
            && let Some(d) = c.doc_id.get(local)
        {
            docs.entry(d.to_string()).or_default().push(row);
        }
    }
}

/// Adds segments' live rows to the dyad index (lists of (date, row) in order).
fn index_dyads(index: &mut DyadIndex, segs: &[Segment], live: impl Fn(u32) -> bool) {
    let n: usize = segs.iter().map(|s| s.cols.len()).sum();
    let (lo, hi, max_id) = bounds(segs);
    // One sort by (pair, date, row) instead of a map lookup per row: a radix sort of (pair,
    // date) keys packed as the aggregates pack theirs (the pair as a directed dyad, no root),
    // with their rows (stable, so rows of one day stay in order); a sort of tuples when the
    // days are too far apart to pack.
    let sorted = if let Some(mut layout) = KeyLayout::new(lo, hi, max_id, max_id, 0) {
        let (mut keys, mut rows) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for seg in segs {
            for local in 0..seg.cols.len() {
                let row = seg.base + local as u32;
                if live(row) {
                    let (source, target) = seg.countries(local);
                    let pair = DyadKey { source, target, directed: true };
                    keys.push(layout.key(pair, seg.cols.date.value(local), 0));
                    rows.push(row);
                }
            }
        }
        layout.keys_made();
        crate::aggregates::radix_sort(&mut keys, &mut rows);
        SortedRows::Packed { keys, rows, layout }
    } else {
        let mut all = Vec::with_capacity(n);
        for seg in segs {
            for local in 0..seg.cols.len() {
                let row = seg.base + local as u32;
                if live(row) {
                    all.push((seg.countries(local), (seg.cols.date.value(local), row)));
                }
            }
        }
        all.sort_unstable();
        SortedRows::Plain(all)
    };
    let DyadIndex { lists, by_country } = index;
    let mut i = 0;
    while i < sorted.len() {
        let key = sorted.get(i).0;
        let mut j = i;
        while j < sorted.len() && sorted.get(j).0 == key {
            j += 1;
        }
        let run: Vec<(i32, u32)> = (i..j).map(|k| sorted.get(k).1).collect();
        let list = lists.entry(key).or_insert_with(|| {
            by_country.entry(key.0).or_default().push(key);
            if key.1 != key.0 {
                by_country.entry(key.1).or_default().push(key);
            }
            Vec::new()
        });
        // Imports arrive out of date order: merge unless the run simply follows.
        if list.is_empty() {
            *list = run;
        } else if list.last().is_none_or(|last| run.first().is_none_or(|first| first >= last)) {
            list.extend(run);
        } else {
            *list = merge_sorted(std::mem::take(list), run);
        }
        i = j;
    }
}

/// Rows in (country pair, date, row) order, as [`index_dyads`] sorts them.
enum SortedRows {
    /// Keys packing (source id, target id, date) in `layout`, and the rows, in key order.
    Packed { keys: Vec<u64>, rows: Vec<u32>, layout: KeyLayout },
    /// ((source id, target id), (date, row)) in order.
    Plain(Vec<((u32, u32), (i32, u32))>),
}

impl SortedRows {
    fn len(&self) -> usize {
        match self {
            SortedRows::Packed { rows, .. } => rows.len(),
            SortedRows::Plain(all) => all.len(),
        }
    }

    /// The k-th ((source, target), (date, row)).
    #[inline]
    fn get(&self, k: usize) -> ((u32, u32), (i32, u32)) {
        match self {
            SortedRows::Packed { keys, rows, layout } => {
                let pair = layout.dyad_key(layout.dyad(keys[k]));
                ((pair.source, pair.target), (layout.day(keys[k]), rows[k]))
            }
            SortedRows::Plain(all) => all[k],
        }
    }
}

/// The country-level actor conditions of a filter (the dyad index applies them for listings).
fn countries_match(c: &EventColumns, l: usize, f: &EventFilter) -> bool {
    let (s, t) = (c.source_country.get(l), c.target_country.get(l));
    if let Some((a, b)) = &f.dyad {
        let fwd = s == Some(a.country.as_str()) && t == Some(b.country.as_str());
        let rev = s == Some(b.country.as_str()) && t == Some(a.country.as_str());
        return fwd || (rev && (!f.directed || !c.directed.value(l)));
    }
    if let Some(a) = &f.actor {
        return s == Some(a.country.as_str()) || t == Some(a.country.as_str());
    }
    true
}

#[cfg(test)]
mod corruption_tests;
#[cfg(test)]
mod tests;
