//! Indexing segments' rows: the dyad index (country pair → dated rows), the document index,
//! and the aggregates, packed when the rows fit a packing.

use super::HashMap;
use super::state::{Segment, State};
use crate::aggregates::{Aggregates, Delta, DyadKey, EventDeltas, KeyLayout};

/// The dyad index: where each country pair's events are.
#[derive(Debug, Default)]
pub(super) struct DyadIndex {
    /// (source country, target country) → (date, row), sorted.
    pub(super) lists: HashMap<(u32, u32), Vec<(i32, u32)>>,
    /// country → the dyad keys it appears in.
    pub(super) by_country: HashMap<u32, Vec<(u32, u32)>>,
}

#[cfg(test)]
thread_local! {
    /// Aggregate builds on this thread that took the [`Delta`] path (tests expect none).
    pub(super) static UNPACKED_BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Adds segments' live rows to the aggregates: packed as they are read when they fit a
/// packing (as a store's do), else as [`Delta`]s.
pub(super) fn index_aggregates(aggregates: &mut Aggregates, segs: &[Segment], live: impl Fn(u32) -> bool) {
    let roots: Vec<Vec<Option<u8>>> = segs.iter().map(segment_roots).collect();
    let max_root = roots.iter().flatten().flatten().copied().max().unwrap_or(0);
    let n = segs.iter().map(|s| s.cols.len()).sum();
    let (lo, hi, max_id) = bounds(segs);
    // A symmetric event's key has the larger id as its target: either side's may end up there.
    let layout = KeyLayout::new(lo, hi, max_id, max_id, max_root);
    if let Some(mut events) = layout.and_then(|l| EventDeltas::new(l, n)) {
        let packed = segs.iter().zip(&roots).all(|(seg, roots)| {
            let c = &seg.cols;
            (0..c.len()).all(|local| {
                let root = c.root_code.key(local).and_then(|k| roots[k as usize]);
                let Some(root) = root.filter(|_| !c.planned.value(local) && live(seg.base + local as u32)) else {
                    return true;
                };
                let (s, t) = seg.countries(local);
                let key = DyadKey::of(s, t, c.directed.value(local));
                events.push(key, c.date.value(local), root, c.goldstein.value(local), c.mentions.value(local))
            })
        });
        if packed {
            aggregates.apply_events(events);
            return;
        }
    }
    tracing::debug!(rows = n, "aggregates built from deltas: the rows do not pack");
    #[cfg(test)]
    UNPACKED_BUILDS.with(|c| c.set(c.get() + 1));
    let mut deltas = Vec::with_capacity(n);
    for seg in segs {
        segment_deltas(seg, |local| live(seg.base + local as u32), &mut deltas);
    }
    aggregates.apply(deltas);
}

/// The first and last day of segments' rows and their largest country id (zeros when empty).
fn bounds(segs: &[Segment]) -> (i32, i32, u32) {
    let dates = || segs.iter().flat_map(|s| s.cols.date.values().iter().copied());
    let max_id = segs.iter().flat_map(|s| s.source_ids.iter().chain(&s.target_ids)).copied().max();
    (dates().min().unwrap_or(0), dates().max().unwrap_or(0), max_id.unwrap_or(0))
}

/// A segment's root codes as numbers, one per dictionary value.
fn segment_roots(seg: &Segment) -> Vec<Option<u8>> {
    seg.cols.root_code.values().iter().map(|v| v.and_then(|r| r.parse::<u8>().ok())).collect()
}

/// The aggregate deltas of a segment's rows that `keep` (given the local row) accepts; roots
/// are parsed once per dictionary value, not per row.
pub(super) fn segment_deltas(seg: &Segment, keep: impl Fn(usize) -> bool, out: &mut Vec<Delta>) {
    let roots = segment_roots(seg);
    for local in (0..seg.cols.len()).filter(|&l| keep(l)) {
        let root = seg.cols.root_code.key(local).and_then(|k| roots[k as usize]);
        if let Some(d) = root.and_then(|r| State::delta_with_root(seg, local, r, 1)) {
            out.push(d);
        }
    }
}

/// Adds a segment's live coded events to the document index. Only coded events index their
/// document (stored documents are re-coded and shown by id); an imported event's doc_id is a
/// source URL, millions of them, never asked for so.
pub(super) fn index_documents(docs: &mut HashMap<String, Vec<u32>>, seg: &Segment, live: impl Fn(u32) -> bool) {
    let c = &seg.cols;
    let coded: Vec<bool> = c.origin.values().iter().map(|v| v == Some("coder")).collect();
    if !coded.contains(&true) {
        return;
    }
    for local in 0..c.len() {
        let row = seg.base + local as u32;
        if live(row)
            && c.origin.key(local).is_some_and(|k| coded[k as usize])
            && let Some(d) = c.doc_id.get(local)
        {
            docs.entry(d.to_string()).or_default().push(row);
        }
    }
}

/// Adds segments' live rows to the dyad index (lists of (date, row) in order).
pub(super) fn index_dyads(index: &mut DyadIndex, segs: &[Segment], live: impl Fn(u32) -> bool) {
    let n: usize = segs.iter().map(|s| s.cols.len()).sum();
    let (lo, hi, max_id) = bounds(segs);
    // One sort by (pair, date, row) instead of a map lookup per row: a radix sort of (pair,
    // date) keys packed as the aggregates pack theirs (the pair as a directed dyad, no root),
    // with their rows (stable, so rows of one day stay in order); a sort of tuples when the
    // days are too far apart to pack.
    let sorted = if let Some(mut layout) = KeyLayout::new(lo, hi, max_id, max_id, 0) {
        let (mut keys, mut rows) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for seg in segs {
            for local in 0..seg.cols.len() {
                let row = seg.base + local as u32;
                if live(row) {
                    let (source, target) = seg.countries(local);
                    let pair = DyadKey { source, target, directed: true };
                    keys.push(layout.key(pair, seg.cols.date.value(local), 0));
                    rows.push(row);
                }
            }
        }
        layout.keys_made();
        crate::aggregates::radix_sort(&mut keys, &mut rows);
        SortedRows::Packed { keys, rows, layout }
    } else {
        let mut all = Vec::with_capacity(n);
        for seg in segs {
            for local in 0..seg.cols.len() {
                let row = seg.base + local as u32;
                if live(row) {
                    all.push((seg.countries(local), (seg.cols.date.value(local), row)));
                }
            }
        }
        all.sort_unstable();
        SortedRows::Plain(all)
    };
    let DyadIndex { lists, by_country } = index;
    let mut i = 0;
    while i < sorted.len() {
        let key = sorted.get(i).0;
        let mut j = i;
        while j < sorted.len() && sorted.get(j).0 == key {
            j += 1;
        }
        let run: Vec<(i32, u32)> = (i..j).map(|k| sorted.get(k).1).collect();
        let list = lists.entry(key).or_insert_with(|| {
            by_country.entry(key.0).or_default().push(key);
            if key.1 != key.0 {
                by_country.entry(key.1).or_default().push(key);
            }
            Vec::new()
        });
        // Imports arrive out of date order: merge unless the run simply follows.
        if list.is_empty() {
            *list = run;
        } else if list.last().is_none_or(|last| run.first().is_none_or(|first| first >= last)) {
            list.extend(run);
        } else {
            *list = merge_sorted(std::mem::take(list), run);
        }
        i = j;
    }
}

/// Rows in (country pair, date, row) order, as [`index_dyads`] sorts them.
enum SortedRows {
    /// Keys packing (source id, target id, date) in `layout`, and the rows, in key order.
    Packed { keys: Vec<u64>, rows: Vec<u32>, layout: KeyLayout },
    /// ((source id, target id), (date, row)) in order.
    Plain(Vec<((u32, u32), (i32, u32))>),
}

impl SortedRows {
    fn len(&self) -> usize {
        match self {
            SortedRows::Packed { rows, .. } => rows.len(),
            SortedRows::Plain(all) => all.len(),
        }
    }

    /// The k-th ((source, target), (date, row)).
    #[inline]
    fn get(&self, k: usize) -> ((u32, u32), (i32, u32)) {
        match self {
            SortedRows::Packed { keys, rows, layout } => {
                let pair = layout.dyad_key(layout.dyad(keys[k]));
                ((pair.source, pair.target), (layout.day(keys[k]), rows[k]))
            }
            SortedRows::Plain(all) => all[k],
        }
    }
}

/// Merges two sorted lists.
fn merge_sorted(a: Vec<(i32, u32)>, b: Vec<(i32, u32)>) -> Vec<(i32, u32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
