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
//!
//! [`Aggregates`]: crate::aggregates::Aggregates

mod backend;
mod compaction;
mod dir;
mod files;
mod ids;
mod index;
mod ipc;
mod matcher;
mod query;
pub mod repair;
mod state;
mod view;
mod write;

pub(crate) use backend::{Backend, Commit, DocumentListing, ImportRecord, LoadedSegment, MemoryBackend};
pub(crate) use dir::{Access, CATALOG, DirBackend, SCHEMA_VERSION, UPLOADS};
pub use query::EventFilter;
pub(crate) use query::{ActorSel, Cursor};
pub(crate) use write::{Write, WritePart, WriteSummary};

use crate::domain::columnar::events_to_batch;
use crate::domain::event::Event;
use crate::error::{Error, Result};
use ids::IdIndex;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use state::State;
use write::undo_ids;

/// Maps hashed with aHash: these are on the write path of millions of rows.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;

/// Called after every write that changed the store (watchers wake on it).
pub(crate) type CommitListener = Box<dyn Fn() + Send + Sync>;

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
    /// Signalled after every write that changed the store: waiters ([`Store::wait_for_write`])
    /// sleep on it (the revision itself is the state's).
    commits: (Mutex<()>, parking_lot::Condvar),
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
            commits: (Mutex::new(()), parking_lot::Condvar::new()),
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

    /// Tells the commit listeners and the waiters that the store moved on (after a write, and
    /// after a refresh has read in another process's writes).
    pub(crate) fn notify_commit(&self) {
        for listener in self.listeners.lock().iter() {
            listener();
        }
        // Taken so that a waiter between reading the revision and sleeping is not missed.
        drop(self.commits.0.lock());
        self.commits.1.notify_all();
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
            self.notify_commit();
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

#[cfg(test)]
mod compaction_tests;
#[cfg(test)]
mod corruption_tests;
#[cfg(test)]
mod tests;
