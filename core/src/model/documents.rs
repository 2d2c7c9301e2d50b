//! Stored documents: one with its events, listings by date, deletion with their events.

use super::Model;
use super::requests::{DocumentEntry, DocumentQuery};
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::error::{Error, Result};
use crate::paging::{Page, PageRequest};
use crate::store::Write;

impl Model {
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
        Date::check_window(q.start, q.end)?;
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
}
