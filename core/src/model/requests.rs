//! What callers pass to the model and get back: options, queries, pages and reports.

use crate::domain::actors::Entry;
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::domain::event::{Event, Origin};
use crate::error::{Error, Result};
use crate::relations::Network;
use crate::store::WriteSummary;
use std::path::PathBuf;

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
pub const DEFAULT_LIMIT: usize = crate::paging::DEFAULT_PAGE_SIZE;
