//! Compaction: which small segments to merge. A store fed in small writes (a service storing
//! each article's events, an import of GDELT's 15-minute files) would otherwise hold one segment
//! per write, and every query and every open pays per segment: 10,000 segments of 100 rows
//! answered a dyad series 45 times slower, in 10 times the memory, than one segment of the same
//! million rows.
//!
//! Only adjacent segments merge, their rows kept in order, so that every row keeps its number
//! and the indexes over row numbers (ids, dyads, documents, removed rows) stay as they are.
//! Segments merge by size tier, as in a log-structured merge tree: a merge of a tier lifts the
//! rows it rewrites at least one tier, so a row is rewritten at most once per tier on its way
//! to [`SMALL_ROWS`] (six tiers), and once more when its run is closed (a large segment after
//! it, or [`MAX_MERGE_ROWS`] reached). One small segment may stay between each two large ones
//! (an imported file's last batch): the count of those grows with the store, one per large
//! segment at most.
//!
use std::ops::Range;

/// Segments with fewer rows take part in compaction; larger ones (an import's batches) stay
/// as written.
pub(crate) const SMALL_ROWS: usize = 65_536;

/// Segments of one tier merged at once; a tier's segments are this many times larger than the
/// tier's below.
pub(crate) const FANOUT: usize = 8;

/// Rows one merge writes at most (twice an import's batch): a merge holds its rows in memory
/// about three times over (the segments read, the merged batch, its encoding), and opening a
/// store maps each segment whole while it checks it.
pub(crate) const MAX_MERGE_ROWS: usize = 1 << 19;

/// The size tier of a segment of `rows` rows: 0 below 8 rows, 1 below 64, and so on.
fn tier(rows: usize) -> u32 {
    rows.max(1).ilog(FANOUT)
}

/// The maximal runs of adjacent segments whose rows `fit`, each cut at [`MAX_MERGE_ROWS`].
fn runs(rows: &[usize], fit: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        if !fit(rows[start]) {
            start += 1;
            continue;
        }
        let (mut end, mut total) = (start, 0);
        while end < rows.len() && fit(rows[end]) && (end == start || total + rows[end] <= MAX_MERGE_ROWS) {
            total += rows[end];
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// The next run of segments to merge, as a range of indexes into `rows` (each segment's rows,
/// in store order), or `None` when none should.
///
/// - A run of small segments that a large one follows will never grow: it merges (whole, up
///   to [`MAX_MERGE_ROWS`]; a run cut there merges too).
/// - Otherwise tiers are taken lowest first: a run of small segments of tier `t` or below
///   merges once it is [`FANOUT`] segments long and holds enough rows for tier `t + 1`. A
///   segment is then never rewritten for a few rows added to it (which over and over would
///   rewrite it without end), sizes that straddle tier boundaries still merge, and writes of a
///   few events (a service storing an article's) merge once per eight, not once per three.
pub(crate) fn next_merge(rows: &[usize]) -> Option<Range<usize>> {
    let small = |n: usize| n < SMALL_ROWS;
    if let Some(run) = runs(rows, small).into_iter().find(|r| r.end < rows.len() && r.len() >= 2) {
        return Some(run);
    }
    for t in 0..=tier(SMALL_ROWS - 1) {
        let next_tier = FANOUT.pow(t + 1);
        let fits = |n: usize| small(n) && tier(n) <= t;
        let found = runs(rows, fits)
            .into_iter()
            .find(|r| r.len() >= FANOUT && rows[r.clone()].iter().sum::<usize>() >= next_tier);
        if found.is_some() {
            return found;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies every merge the policy asks for; returns how many rows were rewritten.
    fn compact(rows: &mut Vec<usize>) -> usize {
        let mut written = 0;
        while let Some(run) = next_merge(rows) {
            let merged: usize = rows[run.clone()].iter().sum();
            let highest = rows[run.clone()].iter().map(|&n| tier(n)).max().unwrap_or(0);
            let closed = run.end < rows.len();
            assert!(run.len() >= 2, "a merge of one segment");
            assert!(closed || tier(merged) > highest, "a merge that lifts no tier: {:?}", &rows[run.clone()]);
            written += merged;
            rows.splice(run, [merged]);
        }
        written
    }

    #[test]
    fn a_store_of_small_writes_keeps_few_segments_and_rewrites_each_row_a_few_times() {
        // A service storing 100 events at a time, 20,000 times: 2M rows.
        let mut rows = Vec::new();
        let (mut written, mut most) = (0, 0);
        for _ in 0..20_000 {
            rows.push(100);
            written += compact(&mut rows);
            most = most.max(rows.len());
        }
        let total: usize = rows.iter().sum();
        assert_eq!(total, 2_000_000, "no row lost or added");
        assert!(most <= 40, "at most {most} segments at once");
        // Each row climbs from tier 2 (100 rows) past tier 5: about four rewrites.
        let amplification = written as f64 / total as f64;
        assert!(amplification < 5.0, "each row written {amplification:.1} times over");
    }

    #[test]
    fn writes_of_mixed_sizes_keep_few_small_segments() {
        // Sizes across tier boundaries (GDELT 15-minute files run from a few hundred rows to a
        // few thousand), sizes alternating, and sizes up to large ones.
        let mut next = crate::testing::below(7);
        let sizes: [&mut dyn FnMut(usize) -> usize; 3] =
            [&mut |_| 300 + next(5000) as usize, &mut |i| if i % 2 == 0 { 1000 } else { 50 }, &mut |i| {
                1 + (i * 7919) % 100_000
            }];
        for size in sizes {
            let mut rows = Vec::new();
            let (mut written, mut added, mut most) = (0, 0, 0);
            for i in 0..20_000 {
                let n = size(i);
                rows.push(n);
                added += n;
                written += compact(&mut rows);
                most = most.max(rows.iter().filter(|&&n| n < SMALL_ROWS).count());
            }
            assert_eq!(rows.iter().sum::<usize>(), added);
            // Small segments left between large ones hold one each.
            let large = rows.iter().filter(|&&n| n >= SMALL_ROWS).count();
            assert!(most <= 40 + large, "at most {most} small segments at once, {large} large");
            let amplification = written as f64 / added as f64;
            assert!(amplification < 5.0, "each row written {amplification:.1} times over");
        }
    }

    #[test]
    fn large_segments_are_left_alone_and_runs_they_end_merge_whole() {
        assert_eq!(next_merge(&[250_000; 20]), None);
        // A run a large segment follows merges whole, whatever its tiers.
        let rows = [vec![10; 3], vec![SMALL_ROWS], vec![10]].concat();
        assert_eq!(next_merge(&rows), Some(0..3));
        // One small segment between large ones has nothing to merge with.
        assert_eq!(next_merge(&[SMALL_ROWS, 10, SMALL_ROWS, 10]), None);
    }

    #[test]
    fn the_lowest_tier_merges_first_and_only_when_it_lifts_a_tier() {
        // Seven of tier 3 (512..4095), then eight of tier 1 (8..63): those merge, into tier 2.
        let rows = [vec![1000; 7], vec![50; 8]].concat();
        assert_eq!(next_merge(&rows), Some(7..15));
        // Fewer than eight: no merge, however many rows.
        assert_eq!(next_merge(&[50; 7]), None);
        // A larger segment is not rewritten for a few rows more...
        assert_eq!(next_merge(&[[1000].as_slice(), &[50; 7]].concat()), None);
        // ...but is once they lift it a tier.
        assert_eq!(next_merge(&[[4000].as_slice(), &[100; 7]].concat()), Some(0..8));
    }
    #[test]
    fn a_merge_is_bounded_in_rows() {
        // 100,000 segments of 60 rows (6M rows): merges of at most MAX_MERGE_ROWS rows each.
        let mut rows = vec![60; 100_000];
        let first = next_merge(&rows).expect("a merge");
        let merged: usize = rows[first.clone()].iter().sum();
        assert!(merged <= MAX_MERGE_ROWS && merged + 60 > MAX_MERGE_ROWS, "{merged} rows in the first merge");
        compact(&mut rows);
        assert_eq!(rows.iter().sum::<usize>(), 6_000_000);
        assert!(rows.len() <= 6_000_000 / MAX_MERGE_ROWS + 2, "{rows:?}");
    }
}
