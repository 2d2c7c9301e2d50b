//! [`StoreView`]: the read side of the store, every query a read lock serves (listings, rows
//! since a point, changes since a revision, single rows and the aggregates).

use super::matcher::{Matcher, Mode, countries_match};
use super::{Cursor, EventFilter, StoreView};
use crate::aggregates::{AggregateSource, Aggregates, Interner};
use crate::domain::event::Event;
use crate::error::Result;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

/// A store's series come from its own aggregates.
/// An index list of (date, row) holding candidates of a filter, and how its rows match.
type CandidateList<'a> = (&'a [(i32, u32)], Mode);

impl AggregateSource for StoreView<'_> {
    fn country_id(&self, code: &str) -> Option<u32> {
        self.countries().get(code)
    }
    fn aggregates(&self) -> &Aggregates {
        StoreView::aggregates(self)
    }
    fn country_name(&self, id: u32) -> &str {
        self.countries().name(id)
    }
}

impl StoreView<'_> {
    /// The position after the last stored row: rows written later come at or after it.
    pub fn end_row(&self) -> u32 {
        self.state.rows
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

    /// The aggregates of one country pair, computed from the events (see
    /// [`Store::prepare`](super::Store::prepare)).
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
    fn candidate_lists(&self, f: &EventFilter) -> Option<Vec<CandidateList<'_>>> {
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
