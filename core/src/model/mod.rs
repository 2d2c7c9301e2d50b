//! The Model: the one object the server and the Python module hold. It owns the store, the
//! actor dictionary (built-in, user files, entries kept in the store) and the rules that sit
//! between what a caller asks and what the store does. Cheap to clone and safe to share between
//! threads: readers never wait for each other, and the one writer holds no lock readers need
//! while it writes files.

use crate::coder::{Coder, Lexicon};
use crate::domain::actors::{Dictionary, Entry, Layer, NameKind, Resolution, is_well_formed_code};
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::domain::event::{Event, Origin};
use crate::error::{Error, Result};
use crate::paging::{Page, PageRequest};
use crate::relations::{Mediator, Network, Series, SeriesOptions, Shift, ShiftOptions};
use crate::store::{
    Access, ActorSel, Backend, Cursor, DirBackend, EventFilter, MemoryBackend, Store, StoreView, Write, WriteSummary,
};
use parking_lot::RwLock;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to open a model.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// User dictionary files layered over the built-in dictionary (`--actors`).
    pub actor_files: Vec<PathBuf>,
    /// Open the store read-only (never blocks a writer; writes fail).
    pub read_only: bool,
    /// Open only a store that exists: a writable open otherwise creates one.
    pub existing: bool,
    /// User lexicon files added to the built-in lexicon (`--lexicon`).
    pub lexicon_files: Vec<PathBuf>,
    /// Opened for one command that exits afterwards (the CLI): the in-memory aggregates and
    /// dyad index are built only when a query needs them, and a series of one dyad sums that
    /// pair's events instead. Otherwise (a library user, a notebook, a service) both are built
    /// when the store opens and kept up to date by every write, imports included, so series
    /// answer in microseconds.
    pub one_off: bool,
}

/// Options of an ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Re-code documents already stored (after a lexicon or dictionary change): their coded
    /// events are replaced, and a changed text replaces the stored one.
    pub recode: bool,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Documents stored for the first time.
    pub new_documents: usize,
    /// Documents already stored with the same text, and (when re-coded) the same events:
    /// nothing changed.
    pub unchanged_documents: usize,
    /// Documents re-coded whose text or events changed.
    pub recoded_documents: usize,
    /// Events stored.
    pub events_added: usize,
    /// Old coded events removed by re-coding.
    pub events_removed: usize,
    /// What happened to each document, in input order.
    pub documents: Vec<DocumentOutcome>,
}

/// What an ingest did with one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentOutcome {
    /// The document id.
    pub id: String,
    /// New, unchanged or re-coded.
    pub status: DocumentStatus,
    /// Events coded from it (0 when unchanged: its stored events stand).
    pub events: usize,
}

/// The fate of one ingested document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// Stored for the first time.
    New,
    /// Already stored with the same text (and, re-coded, the same events): nothing changed.
    Unchanged,
    /// Re-coded, and its text or its events changed: the events it no longer codes to are
    /// removed, the new ones added.
    Recoded,
}

impl DocumentStatus {
    /// `new`, `unchanged` or `recoded`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::New => "new",
            DocumentStatus::Unchanged => "unchanged",
            DocumentStatus::Recoded => "recoded",
        }
    }
}

/// Options of a write of events.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Replace stored events with the same id and other content instead of failing.
    pub replace: bool,
    /// The input's name for error messages (a file, `<stdin>`, a request).
    pub input: Option<String>,
    /// The line (or item) number of each event, for error messages.
    pub lines: Vec<u64>,
}

/// What an add did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddReport {
    /// Counts of added, unchanged and replaced events.
    pub summary: WriteSummary,
    /// Well-formed actor codes the dictionary does not know (stored anyway).
    pub unknown_actors: Vec<String>,
}

/// The changes one committed write made to the events a watch follows.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The write's revision.
    pub revision: u64,
    /// Events it stored (new ones, and new versions of replaced ones), in order.
    pub added: Vec<Event>,
    /// Events it removed, as they were.
    pub removed: Vec<Event>,
}

/// A listing request as callers give it: actors as codes or names, everything optional.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Two actors: events between them.
    pub dyad: Option<(String, String)>,
    /// One actor: events with it on either side.
    pub actor: Option<String>,
    /// Only A→B for a dyad (symmetric events count too).
    pub directed: bool,
    /// Exact actor codes instead of country roll-up.
    pub exact: bool,
    /// CAMEO codes (each matches its children).
    pub codes: Vec<String>,
    /// Root codes.
    pub roots: Vec<String>,
    /// QuadClasses (GDELT scheme, 1..=4).
    pub quads: Vec<u8>,
    /// First day.
    pub start: Option<Date>,
    /// Last day.
    pub end: Option<Date>,
    /// Topic word.
    pub topic: Option<String>,
    /// Origin.
    pub origin: Option<Origin>,
    /// Event ids.
    pub ids: Vec<String>,
    /// Events of one document.
    pub doc_id: Option<String>,
    /// At most this many (default 100).
    pub limit: Option<usize>,
    /// Continue after this cursor.
    pub cursor: Option<String>,
    /// Show repeated reports (same source, target, code, direction and day) as one event with
    /// their mentions summed. A view: the store keeps every report. A page then ends at a day's
    /// end, so a day's reports are never split across pages.
    pub collapse: bool,
    /// Newest first (the rows of a day in reverse storage order).
    pub descending: bool,
}

impl EventQuery {
    /// Sets the order from an AIP-132 `order_by`: `date` or `date asc` (oldest first), `date desc`
    /// (newest first); empty keeps the default, oldest first.
    pub fn order_by(mut self, order_by: &str) -> Result<EventQuery> {
        let words: Vec<String> = order_by.split_whitespace().map(str::to_ascii_lowercase).collect();
        self.descending = match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            [] | ["date"] | ["date", "asc"] => false,
            ["date", "desc"] => true,
            _ => {
                return Err(Error::invalid(
                    "order_by",
                    format!("events are ordered by `date` or `date desc`, not `{}`", order_by.trim()),
                ));
            }
        };
        Ok(self)
    }
}

/// A page of events.
#[derive(Debug, Clone, Default)]
pub struct EventPage {
    /// The events, in (date, storage) order.
    pub events: Vec<Event>,
    /// Pass this back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// The store's revision when the page was read (a watch from it sees every later change).
    pub revision: u64,
}

/// A dictionary listing request.
#[derive(Debug, Clone, Default)]
pub struct ActorQuery {
    /// Only entries of this kind (`country`, `person`, …).
    pub kind: Option<String>,
    /// Only entries whose code starts with this (case-insensitive).
    pub code: Option<String>,
    /// At most this many (default: all).
    pub limit: Option<usize>,
    /// Continue after this cursor.
    pub cursor: Option<String>,
    /// Only the entries users added (kept in the store).
    pub user_only: bool,
}

/// A page of dictionary entries.
#[derive(Debug, Clone, Default)]
pub struct ActorPage {
    /// The entries, in dictionary order.
    pub entries: Vec<Entry>,
    /// Pass this back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Entries matching the query, on every page.
    pub total_size: usize,
}

/// A document listing request.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    /// Only documents published on or after this day.
    pub start: Option<Date>,
    /// Only documents published on or before this day.
    pub end: Option<Date>,
    /// Only documents whose id starts with this (their site or wire).
    pub id_prefix: Option<String>,
    /// With their texts.
    pub with_text: bool,
}

/// A stored document as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentEntry {
    /// The document (its text empty unless asked for).
    pub document: Document,
    /// When it was stored, in seconds since the Unix epoch.
    pub added: i64,
    /// Events coded from it and stored.
    pub events: usize,
}

/// A page of a network: its nodes and summary on the first page, a page of its edges on each.
#[derive(Debug, Clone)]
pub struct NetworkPage {
    /// The network, with this page's edges (and no nodes after the first page).
    pub network: Network,
    /// The token of the next page of edges; `None` on the last page.
    pub next_page_token: Option<String>,
    /// Edges of the whole network.
    pub total_size: usize,
}

/// What an add of dictionary entries did.
#[derive(Debug, Clone, Default)]
pub struct AddActorsReport {
    /// Entries stored for the first time.
    pub added: usize,
    /// Each entry of the request as stored (with its id), in request order.
    pub entries: Vec<Entry>,
}

/// The default page size of listings.
pub const DEFAULT_LIMIT: usize = 100;

#[derive(Debug)]
struct Inner {
    store: Store,
    /// Built-in plus user files: the base the store's own entries are layered on.
    base_dictionary: Arc<Dictionary>,
    dictionary: RwLock<Arc<Dictionary>>,
    lexicon: Arc<Lexicon>,
    /// Built from the dictionary in force; rebuilt when entries are added.
    coder: RwLock<Arc<Coder>>,
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

    /// A model whose store lives in memory only.
    pub fn in_memory(opts: &ModelOptions) -> Result<Model> {
        Self::with_backend(Box::new(MemoryBackend::default()), opts)
    }

    /// A model over any backend.
    pub fn with_backend(backend: Box<dyn Backend>, opts: &ModelOptions) -> Result<Model> {
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

    /// The store, for modules of the core that query it directly.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A short-lived read view of the store.
    pub fn view(&self) -> StoreView<'_> {
        self.inner.store.view()
    }

    /// Picks up writes another process made since this model was opened (read-only models).
    pub fn refresh(&self) -> Result<bool> {
        let changed = self.inner.store.refresh()?;
        if changed {
            let entries = self.inner.store.backend().actor_entries()?;
            self.set_dictionary(Arc::new(self.inner.base_dictionary.extended(entries)));
        }
        Ok(changed)
    }

    /// The actor dictionary in force (built-in, user files, store entries).
    pub fn dictionary(&self) -> Arc<Dictionary> {
        self.inner.dictionary.read().clone()
    }

    /// Resolves a name or code to the actor code that held on `date`.
    pub fn resolve(&self, name: &str, date: Option<Date>) -> Result<Resolution> {
        self.dictionary().resolve(name, date)
    }

    /// Lists dictionary entries (built-in, files and store), filtered, a page at a time.
    pub fn actors(&self, q: &ActorQuery) -> Result<ActorPage> {
        let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(NameKind::from_name).transpose()?;
        let code = q.code.as_deref().map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty());
        let fingerprint = xxhash_rust::xxh3::xxh3_64(format!("{kind:?}|{code:?}|{}", q.user_only).as_bytes());
        let offset = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => 0,
            Some(c) => {
                let bad = || Error::invalid("page_token", format!("`{c}` is not a page token returned by this query"));
                let parts: Vec<&str> = c.split('.').collect();
                if parts.len() != 3 || parts[0] != "a1" {
                    return Err(bad());
                }
                let fp = u64::from_str_radix(parts[2], 16).map_err(|_| bad())?;
                if fp != fingerprint {
                    return Err(Error::invalid("page_token", "the page token belongs to a query with other filters"));
                }
                usize::from_str_radix(parts[1], 16).map_err(|_| bad())?
            }
        };
        let limit = q.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Err(Error::invalid("limit", "limit must be at least 1"));
        }
        let dict = self.dictionary();
        let matching: Vec<&Entry> = dict
            .entries()
            .iter()
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .filter(|e| code.as_deref().is_none_or(|c| e.code.starts_with(c)))
            .filter(|e| !q.user_only || e.layer == Layer::Store)
            .collect();
        let total_size = matching.len();
        let entries: Vec<Entry> = matching.iter().skip(offset).take(limit).map(|e| (*e).clone()).collect();
        let more = offset.saturating_add(entries.len()) < total_size;
        let next_cursor = more.then(|| format!("a1.{:x}.{fingerprint:x}", offset + entries.len()));
        Ok(ActorPage { entries, next_cursor, total_size })
    }

    /// Adds dictionary entries, kept in the store (they win over files and built-in entries).
    /// Each entry is checked as a line of a dictionary file would be.
    pub fn add_actors(&self, entries: Vec<Entry>) -> Result<usize> {
        self.add_actor_entries(entries).map(|r| r.added)
    }

    /// [`Model::add_actors`], answering with each entry as stored.
    pub fn add_actor_entries(&self, entries: Vec<Entry>) -> Result<AddActorsReport> {
        let checked = entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| crate::domain::actors::check_entry(e).map_err(|err| err.at_item(i as u64 + 1)))
            .collect::<Result<Vec<Entry>>>()?;
        // Idempotent: an entry the store already holds (or that comes twice) is stored once.
        let same = |a: &Entry, b: &Entry| {
            (&a.code, a.kind, &a.names, a.from, a.until, &a.office)
                == (&b.code, b.kind, &b.names, b.from, b.until, &b.office)
        };
        // The users' entries only: the built-in ones (tens of thousands) need not be compared.
        let users = |d: &Dictionary| -> Vec<Entry> {
            d.entries().iter().filter(|x| x.layer == Layer::Store).cloned().collect()
        };
        let before = users(&self.dictionary());
        let mut new: Vec<Entry> = Vec::with_capacity(checked.len());
        for e in &checked {
            if !before.iter().chain(&new).any(|x| same(x, e)) {
                new.push(e.clone());
            }
        }
        let added = new.len();
        if !new.is_empty() {
            self.inner.store.write(Write { actors: new, ..Default::default() })?;
            self.reload_store_entries()?;
        }
        let after = users(&self.dictionary());
        let entries = checked.iter().filter_map(|e| after.iter().find(|x| same(x, e)).cloned()).collect();
        Ok(AddActorsReport { added, entries })
    }

    /// Replaces the dictionary entry a user added under `id` (checked as a dictionary line is),
    /// returning it as stored. Built-in and file entries have no id: add an entry instead.
    pub fn update_actor(&self, id: i64, entry: Entry) -> Result<Entry> {
        check_entry_id(id)?;
        let mut entry = crate::domain::actors::check_entry(entry)?;
        self.user_entry(id)?;
        entry.id = Some(id);
        entry.layer = Layer::Store;
        self.inner.store.write(Write { updated_actors: vec![entry], ..Default::default() })?;
        self.reload_store_entries()?;
        self.user_entry(id)
    }

    /// Deletes the dictionary entry a user added under `id`, returning it as it was.
    pub fn delete_actor(&self, id: i64) -> Result<Entry> {
        check_entry_id(id)?;
        let old = self.user_entry(id)?;
        self.inner.store.write(Write { removed_actors: vec![id], ..Default::default() })?;
        self.reload_store_entries()?;
        Ok(old)
    }

    /// The entry a user added under `id`.
    fn user_entry(&self, id: i64) -> Result<Entry> {
        self.dictionary()
            .entries()
            .iter()
            .find(|e| e.layer == Layer::Store && e.id == Some(id))
            .cloned()
            .ok_or_else(|| Error::NotFound { what: "actor entry", id: id.to_string() })
    }

    /// Rebuilds the dictionary from the base and the store's entries as the catalog holds them
    /// (their ids and origins as a restart would give them).
    fn reload_store_entries(&self) -> Result<()> {
        let entries = self.inner.store.backend().actor_entries()?;
        self.set_dictionary(Arc::new(self.inner.base_dictionary.extended(entries)));
        Ok(())
    }

    fn set_dictionary(&self, d: Arc<Dictionary>) {
        *self.inner.coder.write() = Arc::new(Coder::new(d.clone(), self.inner.lexicon.clone()));
        *self.inner.dictionary.write() = d;
    }

    /// The coder in force (dictionary and lexicon of this model).
    pub fn coder(&self) -> Arc<Coder> {
        self.inner.coder.read().clone()
    }

    /// Codes documents without storing anything.
    pub fn code(&self, docs: &[Document]) -> Vec<Event> {
        let coder = self.coder();
        docs.iter().flat_map(|d| coder.code_document(d)).collect()
    }

    /// Codes and stores documents with their events, as one atomic write. A document already
    /// stored with the same text changes nothing; with other text it is an error unless
    /// re-coding, which replaces the document and its coded events.
    pub fn ingest(&self, docs: Vec<Document>, opts: &IngestOptions) -> Result<IngestReport> {
        let mut report = IngestReport::default();
        let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        let stored = self.inner.store.backend().document_hashes(&ids)?;
        let mut seen = std::collections::HashSet::new();
        let mut to_code = Vec::new();
        for (i, d) in docs.into_iter().enumerate() {
            // Errors name the document by its 1-based place in the batch (a request's index, a
            // file's document number).
            let at = |field: &str| {
                crate::error::Location { line: Some(i as u64 + 1), ..Default::default() }.with_field(field)
            };
            if !seen.insert(d.id.clone()) {
                return Err(Error::invalid_at(at("id"), format!("document `{}` appears twice in one ingest", d.id)));
            }
            let status = match stored.get(&d.id) {
                Some(&h) if h == d.content_hash() && !opts.recode => DocumentStatus::Unchanged,
                Some(_) if !opts.recode => {
                    return Err(Error::Conflict { what: "document", id: d.id.clone(), location: at("text") });
                }
                Some(_) => DocumentStatus::Recoded,
                None => DocumentStatus::New,
            };
            report.documents.push(DocumentOutcome { id: d.id.clone(), status, events: 0 });
            if status != DocumentStatus::Unchanged {
                to_code.push(d);
            }
        }
        let mut events = if to_code.is_empty() { Vec::new() } else { self.code(&to_code) };
        let mut per_doc: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for e in &events {
            if let Some(d) = e.doc_id.as_deref() {
                *per_doc.entry(d.to_string()).or_default() += 1;
            }
        }
        // A re-coded document keeps the events it codes to again (same id, same content): only
        // what changed is removed and added, and a document whose text and events are both as
        // stored is unchanged.
        let mut remove = Vec::new();
        let mut kept: std::collections::HashSet<(String, u64)> = std::collections::HashSet::new();
        {
            let view = self.view();
            for o in report.documents.iter_mut().filter(|o| o.status == DocumentStatus::Recoded) {
                let rows = view.document_rows(&o.id);
                let old = view.events(&rows);
                let new: std::collections::HashSet<(&str, u64)> = events
                    .iter()
                    .filter(|e| e.doc_id.as_deref() == Some(o.id.as_str()))
                    .map(|e| (e.id.as_str(), e.content_hash()))
                    .collect();
                let mut same = old.len() == new.len();
                for (row, e) in rows.iter().zip(&old) {
                    if new.contains(&(e.id.as_str(), e.content_hash())) {
                        kept.insert((e.id.clone(), e.content_hash()));
                    } else {
                        remove.push(*row);
                        same = false;
                    }
                }
                let text_same =
                    stored.get(&o.id).copied() == to_code.iter().find(|d| d.id == o.id).map(Document::content_hash);
                if same && text_same {
                    o.status = DocumentStatus::Unchanged;
                }
            }
        }
        events.retain(|e| !kept.contains(&(e.id.clone(), e.content_hash())));
        to_code.retain(|d| report.documents.iter().any(|o| o.id == d.id && o.status != DocumentStatus::Unchanged));
        for o in &mut report.documents {
            o.events = per_doc.get(o.id.as_str()).copied().unwrap_or(0);
            match o.status {
                DocumentStatus::New => report.new_documents += 1,
                DocumentStatus::Unchanged => report.unchanged_documents += 1,
                DocumentStatus::Recoded => report.recoded_documents += 1,
            }
        }
        if to_code.is_empty() && events.is_empty() && remove.is_empty() {
            return Ok(report);
        }
        let batch = if events.is_empty() { None } else { Some(crate::domain::columnar::events_to_batch(&events)?) };
        // Coded ids derive from the document and content: a re-code replaces rather than conflicts.
        let summary = self.inner.store.write(Write {
            events: batch,
            replace: true,
            remove,
            documents: to_code,
            ..Default::default()
        })?;
        report.events_added = summary.added;
        report.events_removed = summary.removed;
        Ok(report)
    }

    /// Normalises and stores events as one atomic batch. A bad event fails the whole batch with
    /// an error naming its line and field; nothing is written.
    pub fn add_events(&self, mut events: Vec<Event>, opts: &AddOptions) -> Result<AddReport> {
        let dict = self.dictionary();
        let input = opts.input.clone().unwrap_or_else(|| "events".into());
        let mut unknown = BTreeSet::new();
        for (i, e) in events.iter_mut().enumerate() {
            let line = opts.lines.get(i).copied().unwrap_or(i as u64 + 1);
            let w = e.normalize(&dict).map_err(|err| err.at(&input, line))?;
            unknown.extend(w.unknown_actors);
        }
        for code in &unknown {
            tracing::warn!(code = %code, "actor code not in the dictionary (stored anyway)");
        }
        let batch = if events.is_empty() { None } else { Some(crate::domain::columnar::events_to_batch(&events)?) };
        let summary = self.inner.store.write(Write {
            events: batch,
            replace: opts.replace,
            input: Some(input),
            lines: if opts.lines.is_empty() { (1..=events.len() as u64).collect() } else { opts.lines.clone() },
            ..Default::default()
        })?;
        Ok(AddReport { summary, unknown_actors: unknown.into_iter().collect() })
    }

    /// Resolves an actor argument of a query — a code (`TURGOV`, `IGOWSTNAT`) or a name
    /// ("Turkey", "the Kremlin") — to its country and exact code. An actor that neither the
    /// dictionary nor the store knows is an error.
    pub fn actor_arg(&self, arg: &str) -> Result<ActorSel> {
        let arg = arg.trim();
        let dict = self.dictionary();
        if is_well_formed_code(arg) {
            let c = dict.normalize_code(arg)?;
            let view = self.view();
            let known =
                c.known || view.knows_code(&c.code) || c.country.as_deref().is_some_and(|k| view.knows_country(k));
            if !known {
                return Err(Error::UnknownActor { name: arg.to_string() });
            }
            return Ok(ActorSel { country: c.country.clone().unwrap_or_else(|| c.code.clone()), code: c.code });
        }
        let r = dict.resolve(arg, None)?;
        Ok(ActorSel { country: r.country.clone().unwrap_or_else(|| r.code.clone()), code: r.code })
    }

    /// The store filter of a query (actors resolved, codes checked).
    pub fn filter(&self, q: &EventQuery) -> Result<EventFilter> {
        let dyad = match &q.dyad {
            Some((a, b)) => Some((self.actor_arg(a)?, self.actor_arg(b)?)),
            None => None,
        };
        let actor = q.actor.as_deref().map(|a| self.actor_arg(a)).transpose()?;
        let tax = crate::domain::taxonomy::taxonomy();
        // Errors name the filter's fields as the record and the API do, with the item's index.
        for (i, c) in q.codes.iter().enumerate() {
            tax.get(c).map_err(|e| e.in_field(&format!("codes[{i}]")))?;
        }
        for (i, r) in q.roots.iter().enumerate() {
            let field = format!("roots[{i}]");
            let code = tax.get(r).map_err(|e| e.in_field(&field))?;
            if code.code.len() != 2 {
                return Err(Error::invalid(field, format!("`{r}` is not a root code (01 to 20)")));
            }
        }
        if let Some((i, q)) = q.quads.iter().enumerate().find(|(_, q)| !(1..=4).contains(*q)) {
            return Err(Error::invalid(format!("quad_classes[{i}]"), format!("quad class {q} is not 1, 2, 3 or 4")));
        }
        if let (Some(s), Some(e)) = (q.start, q.end)
            && s > e
        {
            return Err(Error::invalid("end", format!("end {e} is before start {s}")));
        }
        Ok(EventFilter {
            dyad,
            actor,
            directed: q.directed,
            exact: q.exact,
            codes: q.codes.clone(),
            roots: q.roots.clone(),
            quads: q.quads.clone(),
            start: q.start,
            end: q.end,
            topic: q.topic.clone(),
            origin: q.origin,
            ids: q.ids.clone(),
            doc_id: q.doc_id.clone(),
            exclude_planned: false,
        })
    }

    /// Lists stored events matching a query, a page at a time.
    pub fn events(&self, q: &EventQuery) -> Result<EventPage> {
        let filter = self.filter(q)?;
        // A token pages one order: the order is part of what it belongs to.
        let fp = filter.fingerprint() ^ if q.descending { 0x9e37_79b9_7f4a_7c15 } else { 0 };
        let cursor = q.cursor.as_deref().map(|c| Cursor::decode(c, fp)).transpose()?;
        let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 {
            return Err(Error::invalid("limit", "limit must be at least 1"));
        }
        let view = self.view();
        let (mut rows, mut next) = view.list_in_order(&filter, limit, cursor, q.descending)?;
        if !q.collapse {
            return Ok(EventPage {
                events: view.events(&rows),
                next_cursor: next.map(|c| c.encode(fp)),
                revision: view.revision(),
            });
        }
        // Finish the last day, so that its repeated reports are all on this page.
        while let (Some(c), Some(&last)) = (next, rows.last()) {
            let day = view.row_brief(last).map_or(c.date, |b| b.date);
            let (more, after) = view.list_in_order(&filter, 256, Some(c), q.descending)?;
            let same = more.iter().take_while(|r| view.row_brief(**r).is_some_and(|b| b.date == day)).count();
            rows.extend_from_slice(&more[..same]);
            if same < more.len() {
                // Another day follows: the next page starts there.
                next = rows.last().map(|&row| Cursor { date: day, row });
                break;
            }
            next = after;
        }
        Ok(EventPage {
            events: collapse_reports(view.events(&rows)),
            next_cursor: next.map(|c| c.encode(fp)),
            revision: view.revision(),
        })
    }

    /// Writes the events matching `q` (its limit and cursor ignored) to `out` as Parquet or
    /// CSV, a page at a time (memory for one page only); returns how many.
    pub fn write_events<W: std::io::Write + Send>(
        &self,
        q: &EventQuery,
        format: crate::io::export::ExportFormat,
        out: W,
    ) -> Result<(W, u64)> {
        crate::io::export::write_events(self.event_pages(q), format, out)
    }

    /// Exports the events matching `q` to a `.parquet` or `.csv` file (written aside, then
    /// renamed into place); returns how many.
    pub fn export_events(&self, q: &EventQuery, path: &Path) -> Result<u64> {
        crate::io::export::export_events(self.event_pages(q), path)
    }

    /// The pages of a listing of every event matching `q`, for an export.
    fn event_pages(&self, q: &EventQuery) -> impl crate::io::export::EventPages + '_ {
        /// Events per page read while exporting.
        const PAGE: usize = 200_000;
        let mut q = q.clone();
        q.limit = Some(PAGE);
        move |token| {
            q.cursor = token;
            let page = self.events(&q)?;
            Ok((page.events, page.next_cursor))
        }
    }

    /// Imports GDELT, ICEWS or POLECAT files (plain, gzip or zip) into the store; see
    /// [`crate::io::import`].
    pub fn import(
        &self,
        format: crate::io::import::Format,
        files: &[PathBuf],
        opts: &crate::io::import::ImportOptions,
    ) -> Result<crate::io::import::ImportReport> {
        crate::io::import::import_files(&self.destination(), format, files, opts)
    }

    /// Where imports write: the store, resolving actors with the dictionary in force.
    fn destination(&self) -> crate::io::import::Destination<'_> {
        crate::io::import::Destination { store: self.store(), dictionary: self.dictionary() }
    }

    /// A new file to spool an upload into before [`Model::import_upload`] reads it: in the
    /// store's `uploads/` folder, which the next writable open empties (a process killed mid-
    /// upload leaves nothing behind for long), or the system's temporary folder for a store in
    /// memory. The caller removes it when done.
    pub fn upload_path(&self) -> Result<PathBuf> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = match self.store().backend().path() {
            Some(root) => root.join(crate::store::UPLOADS),
            None => std::env::temp_dir(),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir.join(format!("upload-{}-{n}", std::process::id())))
    }

    /// Imports one uploaded file, spooled at `path`; reports and errors call it `name`.
    pub fn import_upload(
        &self,
        format: crate::io::import::Format,
        path: &Path,
        name: &str,
        opts: &crate::io::import::ImportOptions,
    ) -> Result<crate::io::import::ImportReport> {
        crate::io::import::import_upload(&self.destination(), format, path, name, opts)
    }

    /// The position after the last stored event: events stored later are at or after it.
    pub fn position(&self) -> u64 {
        u64::from(self.view().end_row())
    }

    /// Events stored at or after `position`, in the order they were stored, that match the
    /// filter (see [`Model::filter`]); at most `limit`, with the position to continue from.
    /// Following the store this way (a watch) neither misses nor repeats an event; a replaced
    /// event comes again in its new version.
    pub fn events_since(&self, filter: &EventFilter, position: u64, limit: usize) -> Result<(Vec<Event>, u64)> {
        let from = u32::try_from(position)
            .map_err(|_| Error::invalid("position", format!("position {position} is beyond the store")))?;
        let view = self.view();
        let (rows, next) = view.rows_since(filter, from, limit.max(1));
        Ok((view.events(&rows), u64::from(next)))
    }

    /// The store's revision: every committed write raises it. A listing read at this revision
    /// and a watch from it together see every change once.
    pub fn revision(&self) -> u64 {
        self.view().revision()
    }

    /// The changes after `revision` that match a filter, write by write (oldest first, writes
    /// with no matching change left out), with the revision they reach: the events each write
    /// stored and those it removed (a re-code, a replacement, a delete), as they were. A
    /// revision older than this process can replay is [`Error::RevisionTooOld`]; one beyond the
    /// store's is bad input.
    pub fn changes_since(&self, filter: &EventFilter, revision: u64) -> Result<(Vec<Changes>, u64)> {
        self.check_revision(revision)?;
        let view = self.view();
        // A write between the check and this read only moves the log's end: the revision stays
        // replayable unless 4,096 writes came in between.
        let (rows, now) = view
            .changes_since(filter, revision)
            .ok_or(Error::RevisionTooOld { revision, oldest: view.oldest_revision() })?;
        let changes = rows
            .into_iter()
            .map(|c| Changes { revision: c.revision, added: view.events(&c.added), removed: view.events(&c.removed) })
            .collect();
        Ok((changes, now))
    }

    /// Waits until a write takes the store past `revision`, or `timeout` passes; the revision
    /// then (still `revision` when nothing was written). A follower calls this, then
    /// [`Model::changes_since`], and sleeps between writes instead of polling.
    pub fn wait_for_change(&self, revision: u64, timeout: std::time::Duration) -> u64 {
        self.inner.store.wait_for_write(revision, timeout)
    }

    /// Ok when a watch can replay the changes after `revision` ([`Model::changes_since`]).
    pub fn check_revision(&self, revision: u64) -> Result<()> {
        let view = self.view();
        if revision > view.revision() {
            return Err(Error::invalid(
                "start_revision",
                format!("revision {revision} is beyond the store's ({})", view.revision()),
            ));
        }
        if revision < view.oldest_revision() {
            return Err(Error::RevisionTooOld { revision, oldest: view.oldest_revision() });
        }
        Ok(())
    }

    /// Stored events by id, in the order asked (an id asked twice comes twice). An id no stored
    /// event has is NOT_FOUND, naming it.
    pub fn events_by_id(&self, ids: &[String]) -> Result<Vec<Event>> {
        Ok(self.stored_by_id(ids)?.into_iter().map(|(_, e)| e).collect())
    }

    /// The row and event of each id, in the order asked: none given or an empty one is bad
    /// input, one no stored event has is NOT_FOUND.
    fn stored_by_id(&self, ids: &[String]) -> Result<Vec<(u32, Event)>> {
        if ids.is_empty() {
            return Err(Error::invalid("ids", "no event ids given"));
        }
        if let Some(i) = ids.iter().position(|id| id.trim().is_empty()) {
            return Err(Error::invalid(format!("ids[{i}]"), "an event id is empty"));
        }
        let ids: Vec<String> = ids.iter().map(|i| i.trim().to_string()).collect();
        let filter = self.filter(&EventQuery { ids: ids.clone(), ..Default::default() })?;
        let view = self.view();
        let (rows, _) = view.list(&filter, ids.len(), None)?;
        let by_id: HashMap<String, (u32, Event)> =
            rows.iter().filter_map(|&r| view.event(r).map(|e| (e.id.clone(), (r, e)))).collect();
        ids.into_iter().map(|id| by_id.get(&id).cloned().ok_or(Error::NotFound { what: "event", id })).collect()
    }

    /// Deletes stored events, by `ids` or every event `matching` a query (never both), and
    /// returns how many were deleted. Deleting by query needs `confirm`: a query deletes what it
    /// matches, possibly the whole store.
    pub fn delete_events(&self, ids: &[String], matching: Option<&EventQuery>, confirm: bool) -> Result<usize> {
        match (ids.is_empty(), matching) {
            (false, Some(_)) => Err(Error::invalid("filter", "give ids or a filter, not both")),
            (true, None) => Err(Error::invalid("ids", "give the ids to delete, or a filter with confirm")),
            (false, None) => self.delete_events_by_id(ids),
            (true, Some(_)) if !confirm => {
                Err(Error::invalid("confirm", "deleting by filter needs confirm set to true"))
            }
            (true, Some(q)) => self.delete_events_matching(q),
        }
    }

    /// Deletes stored events by id, all or none (an id no stored event has is NOT_FOUND and
    /// deletes nothing); returns how many were deleted.
    fn delete_events_by_id(&self, ids: &[String]) -> Result<usize> {
        let mut rows: Vec<u32> = self.stored_by_id(ids)?.into_iter().map(|(r, _)| r).collect();
        rows.sort_unstable();
        rows.dedup();
        Ok(self.inner.store.write(Write { remove: rows, ..Default::default() })?.removed)
    }

    /// Deletes every stored event matching a query (its paging ignored) in one atomic write;
    /// returns how many were deleted.
    fn delete_events_matching(&self, q: &EventQuery) -> Result<usize> {
        let filter = self.filter(q)?;
        let (rows, _) = self.view().list(&filter, usize::MAX, None)?;
        if rows.is_empty() {
            return Ok(0);
        }
        Ok(self.inner.store.write(Write { remove: rows, ..Default::default() })?.removed)
    }

    /// Calls `listener` after every write that changed the store (events, documents, actors),
    /// once it is durable and visible to readers. Keep it short: it runs on the writer's thread.
    pub fn on_commit(&self, listener: impl Fn() + Send + Sync + 'static) {
        self.inner.store.on_commit(Box::new(listener));
    }

    /// The two actors of a relation, resolved: the same actor twice is an error (a relation is
    /// between two).
    fn dyad_args(&self, a: &str, b: &str) -> Result<(ActorSel, ActorSel)> {
        let (sa, sb) = (self.actor_arg(a)?, self.actor_arg(b)?);
        if sa.code == sb.code {
            return Err(Error::invalid(
                "b",
                format!("a relation is between two actors: `{}` and `{}` are both {}", a.trim(), b.trim(), sa.code),
            ));
        }
        Ok((sa, sb))
    }

    /// The relation series of a dyad (actors as codes or names; unknown actors are an error).
    pub fn relation(&self, a: &str, b: &str, opts: &SeriesOptions) -> Result<Series> {
        let (a, b) = self.dyad_args(a, b)?;
        crate::relations::series(&self.view(), &a, &b, opts)
    }

    /// The events behind one period of a relation series.
    pub fn relation_events(&self, a: &str, b: &str, opts: &SeriesOptions, period: Date) -> Result<Vec<Event>> {
        let (a, b) = self.dyad_args(a, b)?;
        let view = self.view();
        let rows = crate::relations::series::period_rows(&view, &a, &b, opts, period);
        Ok(view.events(&rows))
    }

    /// The shifts (thaws and freezes) of a dyad's relation, with the events that explain them.
    pub fn shifts(&self, a: &str, b: &str, sopts: &SeriesOptions, opts: &ShiftOptions) -> Result<Vec<Shift>> {
        let (a, b) = self.dyad_args(a, b)?;
        let view = self.view();
        let series = crate::relations::series(&view, &a, &b, sopts)?;
        crate::relations::shifts(&view, &a, &b, &series, sopts, opts)
    }

    /// The third parties brokering between two actors over a window, strongest evidence first.
    pub fn mediators(
        &self,
        a: &str,
        b: &str,
        start: Option<Date>,
        end: Option<Date>,
        limit: usize,
    ) -> Result<Vec<Mediator>> {
        let (a, b) = self.dyad_args(a, b)?;
        Ok(crate::relations::mediators(
            &self.view(),
            &a,
            &b,
            start.unwrap_or(Date::MIN),
            end.unwrap_or(Date::MAX),
            limit,
        ))
    }

    /// The network of relations over a window.
    pub fn network(&self, start: Option<Date>, end: Option<Date>, min_events: i64) -> Result<Network> {
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            return Err(Error::invalid("end", format!("end {e} is before start {s}")));
        }
        Ok(crate::relations::network(&self.view(), start.unwrap_or(Date::MIN), end.unwrap_or(Date::MAX), min_events))
    }

    /// A stored document with its events.
    pub fn document(&self, id: &str) -> Result<(Document, Vec<Event>)> {
        let doc = self
            .inner
            .store
            .backend()
            .document(id)?
            .ok_or_else(|| Error::NotFound { what: "document", id: id.to_string() })?;
        let view = self.view();
        let rows = view.document_rows(id);
        let mut events = view.events(&rows);
        events.sort_by_key(|a| (a.sentence, a.span));
        Ok((doc, events))
    }

    /// Lists stored documents by publication date, then id, a page at a time.
    pub fn documents(&self, q: &DocumentQuery, page: &PageRequest) -> Result<Page<DocumentEntry>> {
        if let (Some(s), Some(e)) = (q.start, q.end)
            && s > e
        {
            return Err(Error::invalid("end", format!("end {e} is before start {s}")));
        }
        let start = q.start.map(|d| d.to_string()).unwrap_or_default();
        let end = q.end.map(|d| d.to_string()).unwrap_or_default();
        let fp = crate::paging::fingerprint(&["documents", &start, &end, q.id_prefix.as_deref().unwrap_or("")]);
        // The key is the publication date and the id, split at the first tab (dates have none).
        let after = match page.after(fp)? {
            None => None,
            Some(key) => {
                let bad = || Error::invalid("page_token", "not a page token of this listing");
                let (date, id) = key.split_once('\t').ok_or_else(bad)?;
                Some((Date::parse(date).map_err(|_| bad())?, id.to_string()))
            }
        };
        let listing = crate::store::DocumentListing {
            start: q.start,
            end: q.end,
            id_prefix: q.id_prefix.clone().filter(|p| !p.is_empty()),
            after,
            limit: page.size.saturating_add(1),
            with_text: q.with_text,
        };
        let (mut docs, total_size) = self.inner.store.backend().documents(&listing)?;
        let more = docs.len() > page.size;
        docs.truncate(page.size);
        let next_page_token = more
            .then(|| {
                docs.last().map(|d| crate::paging::token(fp, &format!("{}\t{}", d.document.published, d.document.id)))
            })
            .flatten();
        let view = self.view();
        let items = docs
            .into_iter()
            .map(|d| DocumentEntry {
                events: view.document_rows(&d.document.id).len(),
                document: d.document,
                added: d.added,
            })
            .collect();
        Ok(Page { items, next_page_token, total_size })
    }

    /// Deletes a stored document and the events coded from it, in one atomic write; returns how
    /// many events went with it.
    pub fn delete_document(&self, id: &str) -> Result<usize> {
        if self.inner.store.backend().document(id)?.is_none() {
            return Err(Error::NotFound { what: "document", id: id.to_string() });
        }
        let rows = self.view().document_rows(id);
        let n = rows.len();
        self.inner.store.write(Write {
            remove: rows,
            removed_documents: vec![id.to_string()],
            ..Default::default()
        })?;
        Ok(n)
    }

    /// The events behind one period of a relation series, in (date, storage) order, a page at a
    /// time.
    pub fn relation_events_page(
        &self,
        a: &str,
        b: &str,
        opts: &SeriesOptions,
        period: Date,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let (sa, sb) = self.dyad_args(a, b)?;
        let view = self.view();
        let rows = crate::relations::series::period_rows(&view, &sa, &sb, opts, period);
        let fp = crate::paging::fingerprint(&[
            "relation",
            &sa.code,
            &sb.code,
            &format!("{opts:?}"),
            &opts.freq.period_start(period).to_string(),
        ]);
        page_of_rows(&view, rows, fp, page)
    }

    /// The events behind one mediator's score between two actors over a window, in (date,
    /// storage) order, a page at a time (none for an actor that is not a mediator of the dyad).
    pub fn mediator_events(
        &self,
        a: &str,
        b: &str,
        start: Option<Date>,
        end: Option<Date>,
        mediator: &str,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let m = self.actor_arg(mediator)?;
        let all = self.mediators(a, b, start, end, usize::MAX)?;
        let rows = all.into_iter().find(|x| x.actor == m.country || x.actor == m.code).map(|x| x.rows);
        let window = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let fp = crate::paging::fingerprint(&["mediator", a.trim(), b.trim(), &window(start), &window(end), &m.code]);
        page_of_rows(&self.view(), rows.unwrap_or_default(), fp, page)
    }

    /// The network of relations over a window, its edges a page at a time (by their actors).
    pub fn network_page(
        &self,
        start: Option<Date>,
        end: Option<Date>,
        min_events: i64,
        page: &PageRequest,
    ) -> Result<NetworkPage> {
        let mut network = self.network(start, end, min_events)?;
        let window = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let fp = crate::paging::fingerprint(&["network", &window(start), &window(end), &min_events.to_string()]);
        let first = page.token.as_deref().is_none_or(str::is_empty);
        let mut edges = std::mem::take(&mut network.edges);
        edges.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
        let edges = page.page(edges, fp, |e| format!("{}\t{}", e.a, e.b))?;
        network.edges = edges.items;
        if !first {
            network.nodes.clear();
        }
        Ok(NetworkPage { network, next_page_token: edges.next_page_token, total_size: edges.total_size })
    }
}

/// An entry id from a caller: a user's entries have ids from 1 (ListActors gives them).
fn check_entry_id(id: i64) -> Result<()> {
    if id <= 0 {
        return Err(Error::invalid("id", "the id of an entry a user added is required (listings give it)"));
    }
    Ok(())
}

/// A page of stored rows in (date, storage) order, the events built for that page only.
fn page_of_rows(view: &StoreView, rows: Vec<u32>, fingerprint: u64, page: &PageRequest) -> Result<Page<Event>> {
    let mut keys: Vec<(i32, u32)> = rows.into_iter().filter_map(|r| view.row_brief(r).map(|b| (b.date, r))).collect();
    keys.sort_unstable();
    // Fixed-width hex, the date's sign bit flipped: the keys' text order is their order.
    let key = |k: &(i32, u32)| format!("{:08x}{:08x}", (k.0 as u32) ^ 0x8000_0000, k.1);
    let found = page.page(keys, fingerprint, key)?;
    let rows: Vec<u32> = found.items.iter().map(|k| k.1).collect();
    Ok(Page { items: view.events(&rows), next_page_token: found.next_page_token, total_size: found.total_size })
}

/// Repeated reports (same day, source, target, code and direction; a symmetric event in either
/// orientation) as their first report with the mentions summed, in first-report order.
pub fn collapse_reports(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut at: std::collections::HashMap<(crate::Date, Option<String>, Option<String>, String, bool), usize> =
        std::collections::HashMap::new();
    for e in events {
        let (s, t) = (e.source.clone(), e.target.clone());
        let (s, t) = if !e.directed && s > t { (t, s) } else { (s, t) };
        let key = (e.date, s, t, e.code.clone(), e.directed);
        match at.get(&key) {
            Some(&i) => out[i].mentions = out[i].mentions.saturating_add(e.mentions),
            None => {
                at.insert(key, out.len());
                out.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: serde_json::Value) -> Event {
        Event::from_json(&v).expect("record")
    }

    #[test]
    fn errors_name_the_field_and_the_item() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        let field = |e: Error| (e.field().map(str::to_string), e.location().and_then(|l| l.line));
        let q = EventQuery { quads: vec![1, 5], ..Default::default() };
        assert_eq!(field(m.events(&q).unwrap_err()), (Some("quad_classes[1]".into()), None));
        let q = EventQuery { roots: vec!["19".into(), "190".into()], ..Default::default() };
        assert_eq!(field(m.events(&q).unwrap_err()), (Some("roots[1]".into()), None));
        let q = EventQuery { codes: vec!["040".into(), "999".into()], ..Default::default() };
        assert_eq!(field(m.events(&q).unwrap_err()), (Some("codes[1]".into()), None));
        // A relation is between two actors.
        let e = m.relation("TUR", "Turkey", &SeriesOptions::default()).unwrap_err();
        assert_eq!((e.kind(), e.field()), (crate::ErrorKind::InvalidInput, Some("b")));
        // The third entry is the bad one, and nothing is stored.
        let entry = |code: &str, name: &str| Entry::user(code, NameKind::Country, vec![name.into()]);
        let bad = vec![entry("ZZA", "Zedland"), entry("ZZB", "Zedonia"), entry("zz", "Zed")];
        assert_eq!(field(m.add_actors(bad).unwrap_err()), (Some("code".into()), Some(3)));
        assert!(m.resolve("Zedland", None).is_err(), "nothing added");
        let e = m.add_actors(vec![entry("ZZA", "Zed\tZedland")]).unwrap_err();
        assert_eq!(e.field(), Some("names[0]"));
        // A `;` is part of a name: stored whole, resolved whole.
        m.add_actors(vec![entry("ZZA", "Zed; Zedland")]).expect("a name with `;`");
        assert_eq!(m.resolve("Zed; Zedland", None).expect("resolves").code, "ZZA");
        // The second document of an ingest holds a stored id with other text.
        let doc = |id: &str, text: &str| Document::new(Some(id), Date::MIN, None, text).expect("doc");
        m.ingest(vec![doc("d1", "Turkey met Syria.")], &IngestOptions::default()).expect("ingest");
        let e = m
            .ingest(vec![doc("d0", "Iran met Iraq."), doc("d1", "Turkey condemned Syria.")], &IngestOptions::default())
            .unwrap_err();
        assert_eq!((e.reason(), field(e)), ("ID_CONFLICT", (Some("text".into()), Some(2))));
    }

    #[test]
    fn events_are_got_and_deleted_by_id_or_by_filter() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        let e = |id: &str, code: &str| {
            event(json!({"id": id, "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": code}))
        };
        m.add_events(vec![e("a", "040"), e("b", "111"), e("c", "190"), e("d", "036")], &AddOptions::default())
            .expect("add");
        let got = m.events_by_id(&["c".into(), "a".into()]).expect("get");
        assert_eq!(got.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), ["190", "040"], "in the order asked");
        let err = m.events_by_id(&["a".into(), "zz".into()]).unwrap_err();
        assert_eq!((err.reason(), err.to_string()), ("EVENT_NOT_FOUND", "event `zz` not found".to_string()));
        // All or none: an unknown id deletes nothing.
        assert!(m.delete_events(&["a".into(), "zz".into()], None, false).is_err());
        assert_eq!(m.delete_events(&["a".into()], None, false).expect("delete"), 1);
        assert!(m.events_by_id(&["a".into()]).is_err());
        let conflict = EventQuery { roots: vec!["19".into(), "11".into()], ..Default::default() };
        let e = m.delete_events(&[], Some(&conflict), false).unwrap_err();
        assert_eq!(e.field(), Some("confirm"), "a filter deletes only when confirmed");
        assert_eq!(m.delete_events(&[], Some(&conflict), true).expect("delete"), 2);
        let left = m.events(&EventQuery::default()).expect("list").events;
        assert_eq!(left.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["d"]);
        assert_eq!(m.delete_events(&[], Some(&conflict), true).expect("again"), 0);
    }

    /// Every page of a listing, `size` at a time.
    fn all_pages(m: &Model, q: &EventQuery, size: usize) -> Vec<String> {
        let mut q = EventQuery { limit: Some(size), ..q.clone() };
        let mut ids = Vec::new();
        loop {
            let page = m.events(&q).expect("page");
            ids.extend(page.events.into_iter().map(|e| e.id));
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => return ids,
            }
        }
    }

    #[test]
    fn newest_first_is_the_oldest_first_listing_reversed_on_every_path() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        // Three writes (segments), dates out of order, several events a day, two dyads.
        for batch in 0..3 {
            let events = (0..40)
                .map(|i| {
                    let (s, t) = if i % 3 == 0 { ("EGY", "ETH") } else { ("TUR", "SYR") };
                    let day = 1 + (i * 7 + batch * 5) % 20;
                    event(json!({"id": format!("o:{batch}:{i}"), "date": format!("2023-03-{day:02}"),
                                 "source": s, "target": t, "code": if i % 2 == 0 { "040" } else { "111" }}))
                })
                .collect();
            m.add_events(events, &AddOptions::default()).expect("add");
        }
        let queries = [
            EventQuery::default(),
            EventQuery { dyad: Some(("TUR".into(), "SYR".into())), ..Default::default() },
            EventQuery { actor: Some("EGY".into()), roots: vec!["04".into()], ..Default::default() },
            EventQuery {
                start: Date::parse("2023-03-05").ok(),
                end: Date::parse("2023-03-12").ok(),
                ..Default::default()
            },
            EventQuery {
                dyad: Some(("SYR".into(), "TUR".into())),
                start: Date::parse("2023-03-05").ok(),
                end: Date::parse("2023-03-12").ok(),
                ..Default::default()
            },
        ];
        for q in queries {
            let oldest_first = all_pages(&m, &q, 7);
            let newest_first = all_pages(&m, &q.clone().order_by("date desc").expect("order"), 7);
            assert!(!oldest_first.is_empty());
            let mut reversed = oldest_first.clone();
            reversed.reverse();
            assert_eq!(newest_first, reversed, "{q:?}");
        }
        // A token pages one order only.
        let first = m.events(&EventQuery { limit: Some(2), ..Default::default() }).expect("page");
        let q = EventQuery { cursor: first.next_cursor, ..Default::default() }.order_by("date desc").expect("order");
        assert_eq!(m.events(&q).unwrap_err().field(), Some("page_token"));
        assert_eq!(EventQuery::default().order_by("size").unwrap_err().field(), Some("order_by"));
    }

    #[test]
    fn a_document_is_listed_by_date_and_deleted_with_its_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("model");
        let doc = |id: &str, day: u32| {
            Document::new(Some(id), Date::from_ymd(2023, 5, day).expect("day"), None, "Turkey met Syria in Moscow.")
                .expect("doc")
        };
        m.ingest(vec![doc("b", 2), doc("a", 2), doc("c", 1)], &IngestOptions::default()).expect("ingest");
        let q = DocumentQuery::default();
        let first = m.documents(&q, &PageRequest::first(2)).expect("page");
        let ids: Vec<&str> = first.items.iter().map(|d| d.document.id.as_str()).collect();
        assert_eq!((ids, first.total_size), (vec!["c", "a"], 3), "by date, then id");
        assert!(first.items.iter().all(|d| d.document.text.is_empty() && d.events > 0));
        let next = PageRequest { size: 2, token: first.next_page_token };
        assert_eq!(m.documents(&q, &next).expect("page").items[0].document.id, "b");
        let events = m.document("a").expect("doc").1.len();
        let before = m.revision();
        assert_eq!(m.delete_document("a").expect("delete"), events);
        // A watcher sees the document's events removed, in one write.
        let all = m.filter(&EventQuery::default()).expect("filter");
        let (changes, _) = m.changes_since(&all, before).expect("changes");
        assert_eq!(changes.len(), 1);
        assert!(changes[0].added.is_empty());
        assert_eq!(changes[0].removed.iter().filter(|e| e.doc_id.as_deref() == Some("a")).count(), events);
        assert_eq!(changes[0].removed.len(), events);
        assert_eq!(m.document("a").unwrap_err().reason(), "DOCUMENT_NOT_FOUND");
        assert!(
            m.events(&EventQuery { doc_id: Some("a".into()), ..Default::default() }).expect("list").events.is_empty()
        );
        // Reopened, the document stays gone and the others stay.
        drop(m);
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
        let left = m.documents(&q, &PageRequest::first(10)).expect("page");
        assert_eq!(left.items.iter().map(|d| d.document.id.as_str()).collect::<Vec<_>>(), ["c", "b"]);
    }

    #[test]
    fn a_watch_replays_additions_and_removals_from_a_revision() {
        let dir = tempfile::tempdir().expect("tmp");
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("open");
        let e = |id: &str, code: &str| {
            event(json!({"id": id, "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": code}))
        };
        m.add_events(vec![e("a", "040")], &AddOptions::default()).expect("add");
        let start = m.revision();
        let all = m.filter(&EventQuery::default()).expect("filter");
        let conflict = m.filter(&EventQuery { roots: vec!["19".into()], ..Default::default() }).expect("filter");
        // After `start`: two added, one replaced by a new version, one deleted.
        m.add_events(vec![e("b", "111"), e("c", "190")], &AddOptions::default()).expect("add");
        m.add_events(vec![e("b", "112")], &AddOptions { replace: true, ..Default::default() }).expect("replace");
        m.delete_events(&["c".into()], None, false).expect("delete");
        let (changes, now) = m.changes_since(&all, start).expect("changes");
        assert_eq!(now, m.revision());
        let seen: Vec<(Vec<&str>, Vec<&str>)> = changes
            .iter()
            .map(|c| {
                (c.added.iter().map(|e| e.code.as_str()).collect(), c.removed.iter().map(|e| e.code.as_str()).collect())
            })
            .collect();
        assert_eq!(seen, [(vec!["111", "190"], vec![]), (vec!["112"], vec!["111"]), (vec![], vec!["190"])]);
        assert!(changes.windows(2).all(|w| w[0].revision < w[1].revision));
        // A filter sees only its own: the conflict event's addition and removal.
        let (changes, _) = m.changes_since(&conflict, start).expect("changes");
        assert_eq!(changes.iter().map(|c| (c.added.len(), c.removed.len())).collect::<Vec<_>>(), [(1, 0), (0, 1)]);
        // Resuming from the last revision seen gives nothing twice.
        assert!(m.changes_since(&all, now).expect("none").0.is_empty());
        assert_eq!(m.changes_since(&all, now + 1).unwrap_err().field(), Some("start_revision"));
        drop(m);
        // Another process cannot replay what this one wrote.
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
        let e = m.changes_since(&all, start).unwrap_err();
        assert_eq!((e.reason(), e.kind()), ("REVISION_TOO_OLD", crate::ErrorKind::InvalidInput));
        assert!(m.changes_since(&all, m.revision()).is_ok());
    }

    #[test]
    fn a_follower_wakes_when_a_write_commits() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        let start = m.revision();
        // Nothing written: the wait ends at its timeout with the revision unchanged.
        assert_eq!(m.wait_for_change(start, std::time::Duration::from_millis(20)), start);
        let writer = m.clone();
        let write = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let e = event(json!({"id": "w", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"}));
            writer.add_events(vec![e], &AddOptions::default()).expect("add");
        });
        // Woken by the write, long before the minute is up.
        let now = m.wait_for_change(start, std::time::Duration::from_secs(60));
        assert!(now > start);
        write.join().expect("writer");
        let (changes, _) = m.changes_since(&m.filter(&EventQuery::default()).expect("filter"), start).expect("changes");
        assert_eq!(changes.iter().map(|c| c.added.len()).sum::<usize>(), 1);
    }

    #[test]
    fn added_actors_are_stored_once_and_usable_by_code() {
        let dir = tempfile::tempdir().expect("tmp");
        let entry = Entry::user("ZZZGOV", NameKind::Body, vec!["Zedland government".into()]);
        {
            let m = Model::open(dir.path(), &ModelOptions::default()).expect("open");
            assert_eq!(m.add_actors(vec![entry.clone(), entry.clone()]).expect("add"), 1, "given twice, stored once");
            assert_eq!(m.add_actors(vec![entry.clone()]).expect("again"), 0, "already stored");
            // Known as a code before any event names it.
            let q = EventQuery { actor: Some("ZZZGOV".into()), ..Default::default() };
            assert!(m.events(&q).expect("a known code").events.is_empty());
            m.add_events(
                vec![event(
                    json!({"id": "z", "date": "2023-05-10", "source": "ZZZGOV", "target": "TUR", "code": "040"}),
                )],
                &AddOptions::default(),
            )
            .expect("add");
        }
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
        let stored = m.dictionary().entries().iter().filter(|e| e.code == "ZZZGOV").count();
        assert_eq!(stored, 1);
        // The added code is a code everywhere, as its name is.
        assert_eq!(m.resolve("Zedland government", None).expect("by name").code, "ZZZGOV");
        let q = EventQuery { actor: Some("ZZZGOV".into()), exact: true, ..Default::default() };
        assert_eq!(m.events(&q).expect("by code").events.len(), 1);
        assert!(m.relation("ZZZGOV", "TUR", &SeriesOptions::default()).is_ok());
    }

    #[test]
    fn store_round_trip_on_disk_and_reopen() {
        let dir = tempfile::tempdir().expect("tmp");
        let opts = ModelOptions::default();
        {
            let m = Model::open(dir.path(), &opts).expect("open");
            let r = m
                .add_events(
                    vec![
                        event(json!({"id": "a", "date": "2023-05-10", "source": "TURGOV", "target": "SYRGOV", "code": "040",
                                    "topics": ["refugees"], "location": {"name": "Moscow", "country": "RUS"}})),
                        event(json!({"id": "b", "date": "2023-05-11", "source": "XYZGOV", "target": "SYR", "code": "112"})),
                    ],
                    &AddOptions::default(),
                )
                .expect("add");
            assert_eq!(r.summary.added, 2);
            assert_eq!(r.unknown_actors, ["XYZGOV"]);
        }
        let m = Model::open(dir.path(), &opts).expect("reopen");
        let page =
            m.events(&EventQuery { dyad: Some(("SYR".into(), "Turkey".into())), ..Default::default() }).expect("list");
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.events[0].topics, ["refugees"]);
        // A code only the store knows is a valid query; one nobody knows is not.
        assert!(m.events(&EventQuery { actor: Some("XYZ".into()), ..Default::default() }).is_ok());
        let e = m.events(&EventQuery { actor: Some("QQQ".into()), ..Default::default() }).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    }

    #[test]
    fn following_the_store_sees_each_new_matching_event_once() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        let wakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let w = wakes.clone();
        m.on_commit(move || {
            w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let ev = |id: &str, s: &str, t: &str| {
            event(json!({"id": id, "date": "2023-05-10", "source": s, "target": t, "code": "040"}))
        };
        m.add_events(vec![ev("old", "TURGOV", "SYRGOV")], &AddOptions::default()).expect("add");
        let filter =
            m.filter(&EventQuery { dyad: Some(("SYR".into(), "TUR".into())), ..Default::default() }).expect("f");
        let start = m.position();
        assert_eq!(m.events_since(&filter, start, 10).expect("since").0.len(), 0, "only what comes after");
        m.add_events(
            vec![ev("a", "SYRMIL", "TURMIL"), ev("b", "RUSGOV", "TURGOV"), ev("c", "TURGOV", "SYR")],
            &AddOptions::default(),
        )
        .expect("add");
        let (first, pos) = m.events_since(&filter, start, 1).expect("since");
        assert_eq!(first.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a"]);
        let (rest, pos) = m.events_since(&filter, pos, 10).expect("since");
        assert_eq!(rest.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["c"]);
        // Re-adding the same content is not news; a replacement is.
        m.add_events(vec![ev("a", "SYRMIL", "TURMIL")], &AddOptions::default()).expect("again");
        assert!(m.events_since(&filter, pos, 10).expect("since").0.is_empty());
        let changed =
            event(json!({"id": "a", "date": "2023-05-10", "source": "SYRMIL", "target": "TURMIL", "code": "111"}));
        m.add_events(vec![changed], &AddOptions { replace: true, ..Default::default() }).expect("replace");
        let (news, _) = m.events_since(&filter, pos, 10).expect("since");
        assert_eq!((news.len(), news[0].code.as_str()), (1, "111"));
        assert_eq!(wakes.load(std::sync::atomic::Ordering::SeqCst), 3, "three writes changed the store");
        assert_eq!(m.events_since(&filter, u64::MAX, 1).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_second_writer_is_refused_and_readers_are_fine() {
        let dir = tempfile::tempdir().expect("tmp");
        let w = Model::open(dir.path(), &ModelOptions::default()).expect("writer");
        let e = Model::open(dir.path(), &ModelOptions::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::FailedPrecondition);
        let ro = ModelOptions { read_only: true, ..Default::default() };
        let r = Model::open(dir.path(), &ro).expect("reader");
        w.add_events(
            vec![event(json!({"id": "a", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"}))],
            &AddOptions::default(),
        )
        .expect("add");
        assert_eq!(r.view().len(), 0);
        assert!(r.refresh().expect("refresh"));
        assert_eq!(r.view().len(), 1);
        let e = r.add_events(vec![], &AddOptions::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::FailedPrecondition);
    }

    #[test]
    fn actors_added_to_the_store_win_and_persist() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let m = Model::open(dir.path(), &ModelOptions::default()).expect("open");
            let entry = Entry::user("XYZGOV", crate::NameKind::Capital, vec!["Ankara".into()]);
            m.add_actors(vec![entry]).expect("add actor");
            assert_eq!(m.resolve("Ankara", None).map(|r| r.code).ok().as_deref(), Some("XYZGOV"));
        }
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
        assert_eq!(m.resolve("Ankara", None).map(|r| r.code).ok().as_deref(), Some("XYZGOV"));
    }

    #[test]
    fn readers_during_writes_see_whole_batches() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        let writer = {
            let m = m.clone();
            std::thread::spawn(move || {
                for b in 0..40 {
                    let events = (0..25)
                        .map(|i| event(json!({"id": format!("{b}-{i}"), "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"})))
                        .collect();
                    m.add_events(events, &AddOptions::default()).expect("add");
                }
            })
        };
        let mut last = 0;
        while last < 1000 {
            let n = m.view().len();
            assert_eq!(n % 25, 0, "a reader saw part of a batch");
            assert!(n >= last);
            last = n;
        }
        writer.join().expect("writer");
    }
}
