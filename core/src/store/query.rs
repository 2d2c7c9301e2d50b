//! What `events list` asks of the store: filters, a limit and a cursor for paging.

use crate::domain::date::Date;
use crate::domain::event::Origin;
use crate::error::{Error, Result};
use xxhash_rust::xxh3::Xxh3;

/// An actor in a query, after resolution: its country (or organisation) and its exact code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActorSel {
    /// Country or organisation code: what roll-up queries match.
    pub country: String,
    /// The exact actor code: what `exact` queries match.
    pub code: String,
}

/// Filters over stored events. Actors are already resolved to codes (see `Model::events`).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events between two actors (either direction unless `directed`).
    pub dyad: Option<(ActorSel, ActorSel)>,
    /// Events with this actor on either side.
    pub actor: Option<ActorSel>,
    /// Only A→B for a dyad (symmetric events between A and B count too).
    pub directed: bool,
    /// Match exact actor codes instead of rolling up to countries.
    pub exact: bool,
    /// CAMEO codes; each matches itself and its children (`101` matches `1011`).
    pub codes: Vec<String>,
    /// Root codes (`04`).
    pub roots: Vec<String>,
    /// QuadClasses (GDELT scheme).
    pub quads: Vec<u8>,
    /// First day (inclusive).
    pub start: Option<Date>,
    /// Last day (inclusive).
    pub end: Option<Date>,
    /// A topic word.
    pub topic: Option<String>,
    /// An origin.
    pub origin: Option<Origin>,
    /// Event ids.
    pub ids: Vec<String>,
    /// Events of one document.
    pub doc_id: Option<String>,
    /// Leave out announced future events.
    pub exclude_planned: bool,
}

impl EventFilter {
    /// A fingerprint of the filter: a cursor is only valid for the query that produced it.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Xxh3::new();
        let mut s = |x: &str| {
            h.update(x.as_bytes());
            h.update(&[0xff]);
        };
        if let Some((a, b)) = &self.dyad {
            for x in [&a.country, &a.code, &b.country, &b.code] {
                s(x);
            }
        }
        if let Some(a) = &self.actor {
            s(&a.country);
            s(&a.code);
        }
        s(if self.directed { "d" } else { "u" });
        s(if self.exact { "e" } else { "r" });
        for c in self.codes.iter().chain(&self.roots).chain(&self.ids) {
            s(c);
        }
        for q in &self.quads {
            s(&q.to_string());
        }
        s(&self.start.map(|d| d.to_string()).unwrap_or_default());
        s(&self.end.map(|d| d.to_string()).unwrap_or_default());
        s(self.topic.as_deref().unwrap_or(""));
        s(self.origin.map_or("", Origin::as_str));
        s(self.doc_id.as_deref().unwrap_or(""));
        s(if self.exclude_planned { "p" } else { "" });
        h.digest()
    }
}

/// A position in the listing order (date, then storage order), bound to one filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Date of the last event returned.
    pub date: i32,
    /// Its row in storage order.
    pub row: u32,
}

impl Cursor {
    /// The page token handed to clients: the position, bound to the query's fingerprint (the
    /// same tokens as every paged listing, [`crate::paging`]).
    pub(crate) fn encode(&self, fingerprint: u64) -> String {
        crate::paging::token(fingerprint, &crate::paging::date_row_key(self.date, self.row))
    }

    /// Reads a page token, checking it belongs to this query.
    pub(crate) fn decode(token: &str, fingerprint: u64) -> Result<Cursor> {
        let request = crate::paging::PageRequest { size: 1, token: Some(token.to_string()) };
        let key = request.after(fingerprint)?.unwrap_or_default();
        let (date, row) = crate::paging::parse_date_row_key(&key)
            .ok_or_else(|| Error::invalid("page_token", format!("`{token}` is not a page token of this listing")))?;
        Ok(Cursor { date, row })
    }
}
