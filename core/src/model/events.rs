//! Events in and out of the store: coding and ingesting documents, adding coded events,
//! listing them by filter, getting and deleting them by id or filter.

use super::Model;
use super::requests::{
    AddOptions, AddReport, DEFAULT_LIMIT, DocumentOutcome, DocumentStatus, EventPage, EventQuery, IngestOptions,
    IngestReport,
};
use crate::domain::actors::is_well_formed_code;
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::error::{Error, Result};
use crate::store::{ActorSel, Cursor, EventFilter, Write};
use std::collections::{BTreeSet, HashMap};

impl Model {
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
        Date::check_window(q.start, q.end)?;
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

    /// Stored events by id, in the order asked (an id asked twice comes twice). An id no stored
    /// event has is NOT_FOUND, naming it.
    pub fn events_by_id(&self, ids: &[String]) -> Result<Vec<Event>> {
        Ok(self.stored_by_id(ids)?.into_iter().map(|(_, e)| e).collect())
    }

    /// The row and event of each id, in the order asked: none given or an empty one is bad
    /// input, one no stored event has is NOT_FOUND.
    pub(super) fn stored_by_id(&self, ids: &[String]) -> Result<Vec<(u32, Event)>> {
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
    pub(super) fn delete_events_by_id(&self, ids: &[String]) -> Result<usize> {
        let mut rows: Vec<u32> = self.stored_by_id(ids)?.into_iter().map(|(r, _)| r).collect();
        rows.sort_unstable();
        rows.dedup();
        Ok(self.inner.store.write(Write { remove: rows, ..Default::default() })?.removed)
    }

    /// Deletes every stored event matching a query (its paging ignored) in one atomic write;
    /// returns how many were deleted.
    pub(super) fn delete_events_matching(&self, q: &EventQuery) -> Result<usize> {
        let filter = self.filter(q)?;
        let (rows, _) = self.view().list(&filter, usize::MAX, None)?;
        if rows.is_empty() {
            return Ok(0);
        }
        Ok(self.inner.store.write(Write { remove: rows, ..Default::default() })?.removed)
    }
}

/// Repeated reports (same day, source, target, code and direction; a symmetric event in either
/// orientation) as their first report with the mentions summed, in first-report order.
pub fn collapse_reports(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut at: HashMap<crate::domain::event::ReportKey, usize> = HashMap::new();
    for e in events {
        let key = e.report_key();
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
