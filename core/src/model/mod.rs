//! The Model: the one object the server and the Python module hold. It owns the store, the
//! actor dictionary (built-in, user files, entries kept in the store) and the rules that sit
//! between what a caller asks and what the store does. Cheap to clone and safe to share between
//! threads: readers never wait for each other, and the one writer holds no lock readers need
//! while it writes files.
//!
//! Its operations are grouped by what they touch: `events` (code, ingest, add, list, get,
//! delete), `documents`, `actors` (the dictionary and users' entries), `analytics` (series,
//! shifts, mediators, networks), `watch` (revisions and changes), `files` (import, export);
//! `requests` holds the options, queries and reports they take and give, and `rows` the one
//! shape each answer has as a row.

mod actors;
mod analytics;
mod documents;
mod events;
mod files;
mod requests;
pub mod rows;
mod watch;

pub use analytics::PairRelation;
pub use events::collapse_reports;
pub use requests::{
    ActorPage, ActorQuery, AddActorsReport, AddOptions, AddReport, Changes, DEFAULT_LIMIT, DocumentEntry,
    DocumentOutcome, DocumentQuery, DocumentStatus, EventPage, EventQuery, IngestOptions, IngestReport, ModelOptions,
    NetworkPage,
};
pub use watch::Follower;

use crate::coder::{Coder, Lexicon};
use crate::domain::actors::Dictionary;
use crate::error::{Error, Result};
use crate::store::{Access, Backend, DirBackend, MemoryBackend, Store, StoreView};
use parking_lot::RwLock;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug)]
struct Inner {
    store: Store,
    /// Built-in plus user files: the base the store's own entries are layered on.
    base_dictionary: Arc<Dictionary>,
    dictionary: RwLock<Arc<Dictionary>>,
    lexicon: Arc<Lexicon>,
    /// Built from the dictionary in force; rebuilt when entries are added.
    coder: RwLock<Arc<Coder>>,
    /// Held while another process's writes are read in: two refreshes at once could otherwise
    /// leave the older state in place.
    refreshing: parking_lot::Mutex<()>,
    /// Set by [`Model::follow_writer`]: this model reads another process's writes, whose change
    /// log it does not have.
    following: std::sync::atomic::AtomicBool,
}

/// The diplomacy model. Clones share one store.
#[derive(Debug, Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

impl Model {
    /// Opens a store directory, creating it when writable unless `opts.existing` is set.
    pub fn open(path: &Path, opts: &ModelOptions) -> Result<Model> {
        let access = match (opts.read_only, opts.existing) {
            (true, _) => Access::ReadOnly,
            (false, true) => Access::Existing,
            (false, false) => Access::ReadWrite,
        };
        let backend = DirBackend::open(path, access)?;
        Self::with_backend(Box::new(backend), opts)
    }

    /// Whether `path` holds a store (a directory with a catalog), without opening it.
    pub fn exists(path: &Path) -> bool {
        path.join(crate::store::CATALOG).is_file()
    }

    /// A model whose store lives in memory only.
    pub fn in_memory(opts: &ModelOptions) -> Result<Model> {
        Self::with_backend(Box::new(MemoryBackend::default()), opts)
    }

    /// A model over any backend.
    pub(crate) fn with_backend(backend: Box<dyn Backend>, opts: &ModelOptions) -> Result<Model> {
        let mut base = Dictionary::builtin();
        for f in &opts.actor_files {
            base = Arc::new(base.extended(Dictionary::load_file(f)?));
        }
        let store_entries = backend.actor_entries()?;
        let dictionary = Arc::new(base.extended(store_entries));
        let lexicon = if opts.lexicon_files.is_empty() {
            crate::coder::builtin_lexicon()?
        } else {
            let mut texts: Vec<(String, String)> =
                crate::coder::BUILTIN_LEXICON.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
            for f in &opts.lexicon_files {
                texts.push((f.display().to_string(), std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?));
            }
            let refs: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            Arc::new(Lexicon::parse(&refs)?)
        };
        let coder = Arc::new(Coder::new(dictionary.clone(), lexicon.clone()));
        let store = Store::open(backend)?;
        if !opts.one_off {
            store.prepare();
        }
        Ok(Model {
            inner: Arc::new(Inner {
                store,
                base_dictionary: base,
                dictionary: RwLock::new(dictionary),
                lexicon,
                coder: RwLock::new(coder),
                refreshing: parking_lot::Mutex::new(()),
                following: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// The store directory, for models on disk.
    pub fn path(&self) -> Option<&Path> {
        self.inner.store.backend().path()
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.inner.store.backend().size_on_disk()
    }

    /// Merges the store's small segments now; returns the segments merged away and those
    /// left. Writes do this after they commit (an import of several files, when it ends): this
    /// is for a store written by an older build.
    pub fn compact(&self) -> Result<(usize, usize)> {
        let merged = self.inner.store.compact()?;
        Ok((merged, self.inner.store.view().segment_count()))
    }

    /// Builds the in-memory aggregates and dyad index now, not on the first query that needs
    /// them (a service does this at start: its queries then answer in microseconds).
    pub fn prepare(&self) {
        let t = std::time::Instant::now();
        self.inner.store.prepare();
        tracing::info!(ms = t.elapsed().as_millis() as u64, "indexes built");
    }

    /// How many events the store holds.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when the store holds no event.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store, for modules of the core that query it directly.
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A short-lived read view of the store.
    pub(crate) fn view(&self) -> StoreView<'_> {
        self.inner.store.view()
    }

    /// Picks up writes another process made since this model was opened (read-only models).
    pub fn refresh(&self) -> Result<bool> {
        let _one_at_a_time = self.inner.refreshing.lock();
        let changed = self.inner.store.refresh()?;
        if changed {
            let entries = self.inner.store.backend().actor_entries()?;
            self.set_dictionary(Arc::new(self.inner.base_dictionary.extended(entries)));
            // Told once the dictionary matches the new state too.
            self.inner.store.notify_commit();
        }
        Ok(changed)
    }

    /// The actor dictionary in force (built-in, user files, store entries).
    pub fn dictionary(&self) -> Arc<Dictionary> {
        self.inner.dictionary.read().clone()
    }

    /// The coder in force (dictionary and lexicon of this model).
    pub fn coder(&self) -> Arc<Coder> {
        self.inner.coder.read().clone()
    }
}
