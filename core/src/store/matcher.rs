//! Filter matching: the per-row conditions of an [`EventFilter`], with per-segment caches of
//! dictionary lookups, and the country-level conditions the dyad index applies.

use super::state::{Segment, State};
use super::{ActorSel, EventFilter};
use crate::domain::columnar::EventColumns;

/// How a candidate list relates to the queried actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Mode {
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
pub(super) struct Matcher<'a> {
    st: &'a State,
    f: &'a EventFilter,
    /// Removed rows match too (a watch reports removals as they were).
    pub(super) removed_too: bool,
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
    pub(super) fn new(st: &'a State, f: &'a EventFilter) -> Self {
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

    pub(super) fn matches(&mut self, row: u32, mode: Mode) -> bool {
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
        // Country-level actor conditions are the dyad index's (or `countries_match`'s).
        !f.exact || sides_match(c.source.get(l), c.target.get(l), c.directed.value(l), f, |a| a.code.as_str())
    }
}

/// The country-level actor conditions of a filter (the dyad index applies them for listings).
pub(super) fn countries_match(c: &EventColumns, l: usize, f: &EventFilter) -> bool {
    let (s, t) = (c.source_country.get(l), c.target_country.get(l));
    sides_match(s, t, c.directed.value(l), f, |a| a.country.as_str())
}

/// Whether an event's source and target meet the filter's dyad (either way round unless the
/// filter is directed; a symmetric event either way round even then) or its actor (either
/// side), compared at the level `level` reads from an actor: its code or its country.
fn sides_match(
    source: Option<&str>,
    target: Option<&str>,
    directed_event: bool,
    f: &EventFilter,
    level: fn(&ActorSel) -> &str,
) -> bool {
    if let Some((a, b)) = &f.dyad {
        let forward = source == Some(level(a)) && target == Some(level(b));
        let reverse = source == Some(level(b)) && target == Some(level(a));
        return forward || (reverse && (!f.directed || !directed_event));
    }
    if let Some(a) = &f.actor {
        return source == Some(level(a)) || target == Some(level(a));
    }
    true
}
