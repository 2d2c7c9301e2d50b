//! The actor dictionary through the model: resolving names, listing entries, and the entries
//! users add, change and delete (kept in the store, layered over the built-in and file ones).

use super::Model;
use super::requests::{ActorPage, ActorQuery, AddActorsReport};
use crate::coder::Coder;
use crate::domain::actors::{Dictionary, Entry, Layer, NameKind, Resolution};
use crate::domain::date::Date;
use crate::error::{Error, Result};
use crate::store::Write;
use std::sync::Arc;

impl Model {
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
    pub(super) fn user_entry(&self, id: i64) -> Result<Entry> {
        self.dictionary()
            .entries()
            .iter()
            .find(|e| e.layer == Layer::Store && e.id == Some(id))
            .cloned()
            .ok_or_else(|| Error::NotFound { what: "actor entry", id: id.to_string() })
    }

    /// Rebuilds the dictionary from the base and the store's entries as the catalog holds them
    /// (their ids and origins as a restart would give them).
    pub(super) fn reload_store_entries(&self) -> Result<()> {
        let entries = self.inner.store.backend().actor_entries()?;
        self.set_dictionary(Arc::new(self.inner.base_dictionary.extended(entries)));
        Ok(())
    }

    pub(super) fn set_dictionary(&self, d: Arc<Dictionary>) {
        *self.inner.coder.write() = Arc::new(Coder::new(d.clone(), self.inner.lexicon.clone()));
        *self.inner.dictionary.write() = d;
    }
}

/// An entry id from a caller: a user's entries have ids from 1 (ListActors gives them).
pub(super) fn check_entry_id(id: i64) -> Result<()> {
    if id <= 0 {
        return Err(Error::invalid("id", "the id of an entry a user added is required (listings give it)"));
    }
    Ok(())
}
