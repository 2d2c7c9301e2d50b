//! How changes reach the aggregates: country totals of a batch, single events' deltas packed
//! into integer keys and radix-sorted, and sorted runs merged into the cells.

use super::{Cell, DayCell, DayTotal, DyadKey, HashMap, PackedSums, Sums};

/// Country totals of a batch of deltas: each event counts once for each distinct country it
/// involves. Summed in a dense (country × day) table when the batch spans few enough of them
/// (country ids are small and dense; a map's random accesses cost more than the whole table),
/// else in a map. Sums keep only count and mentions.
pub(super) fn country_day_totals(
    deltas: impl Iterator<Item = (DyadKey, i32, i64, i64)> + Clone,
) -> Vec<(u32, i32, Sums)> {
    let (mut lo, mut hi, mut width, mut n) = (i32::MAX, i32::MIN, 0u32, 0u64);
    for (key, day, _, _) in deltas.clone() {
        lo = lo.min(day);
        hi = hi.max(day);
        width = width.max(key.source.max(key.target) + 1);
        n += 1;
    }
    let span = (i64::from(hi) - i64::from(lo) + 1).max(0) as u64;
    let cells = span.saturating_mul(u64::from(width));
    if cells <= 4 * n + (1 << 20) {
        let span = span as usize;
        let mut table = vec![(0i64, 0i64); cells as usize];
        for (key, day, count, mentions) in deltas {
            let mut add = |c: u32| {
                let t = &mut table[c as usize * span + (day - lo) as usize];
                t.0 += count;
                t.1 += mentions;
            };
            add(key.source);
            if key.target != key.source {
                add(key.target);
            }
        }
        return table
            .iter()
            .enumerate()
            .filter(|(_, t)| t.0 != 0 || t.1 != 0)
            .map(|(k, &(count, mentions))| {
                let (c, day) = ((k / span) as u32, lo + (k % span) as i32);
                (c, day, Sums { count, mentions, ..Default::default() })
            })
            .collect();
    }
    let mut by_day: HashMap<(u32, i32), Sums> = HashMap::default();
    for (key, day, count, mentions) in deltas {
        let s = Sums { count, mentions, ..Default::default() };
        by_day.entry((key.source, day)).or_default().add(&s);
        if key.target != key.source {
            by_day.entry((key.target, day)).or_default().add(&s);
        }
    }
    by_day.into_iter().map(|((c, d), s)| (c, d, s)).collect()
}

/// The deltas of single events added (+1), packed as they come: what a store builds its
/// aggregates from, without a [`Delta`] per row in between.
pub(crate) struct EventDeltas {
    pub(super) keys: Vec<u64>,
    pub(super) values: Vec<u64>,
    pub(super) layout: KeyLayout,
}

impl EventDeltas {
    /// Room for `capacity` events in `layout`, which must pack country ids directly.
    pub(crate) fn new(layout: KeyLayout, capacity: usize) -> Option<EventDeltas> {
        layout.numbered.is_none().then(|| EventDeltas {
            keys: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            layout,
        })
    }

    /// Adds an event; false (and nothing added) when it falls outside the layout or its sums
    /// do not pack, and the caller must take [`Aggregates::apply`] instead.
    #[inline]
    pub(crate) fn push(&mut self, key: DyadKey, day: i32, root: u8, goldstein: f64, mentions: u32) -> bool {
        let l = &self.layout;
        let fits = key.source < 1 << 15
            && u64::from(key.target) < 1 << l.target_bits
            && u64::from(root) < 1 << l.root_bits
            && day >= l.lo
            && i64::from(day) - i64::from(l.lo) < 1 << l.day_bits;
        let Some(sums) = PackedSums::pack(&Sums::of_event(goldstein, mentions, 1)).filter(|_| fits) else {
            return false;
        };
        self.keys.push(self.layout.key(key, day, root));
        self.values.push(sums.0);
        true
    }
}

/// How (dyad, day, root) pack into one u64 sort key, from the high bits down, each part as
/// narrow as a batch allows: fewer bits, fewer passes of the radix sort. A dyad is its two
/// country ids and direction when the ids fit 15 bits (3-letter codes do), else a number
/// given as dyads come.
#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    /// The first day; days are packed as offsets from it.
    lo: i32,
    day_bits: u32,
    root_bits: u32,
    target_bits: u32,
    /// Numbered dyads, when ids are too wide to pack.
    numbered: Option<(HashMap<DyadKey, u64>, Vec<DyadKey>)>,
}

impl KeyLayout {
    /// A layout for days `lo..=hi`, country ids up to `max_id` (targets up to `max_target`)
    /// and roots up to `max_root`; `None` when the days span 2^22 or more (11,000 years: a
    /// store's dates span two centuries).
    pub(crate) fn new(lo: i32, hi: i32, max_id: u32, max_target: u32, max_root: u8) -> Option<KeyLayout> {
        let span = u64::try_from(i64::from(hi) - i64::from(lo)).ok().filter(|&s| s < 1 << 22)?;
        let numbered = (max_id >= 1 << 15).then(Default::default);
        Some(KeyLayout {
            lo,
            day_bits: bits(span),
            root_bits: bits(u64::from(max_root)),
            target_bits: bits(u64::from(max_target)),
            numbered,
        })
    }

    fn low_bits(&self) -> u32 {
        self.day_bits + self.root_bits
    }

    /// Frees the map that numbers dyads once every key is made (the numbers stay readable):
    /// it is not needed while the keys are sorted.
    pub(crate) fn keys_made(&mut self) {
        if let Some((numbers, _)) = &mut self.numbered {
            *numbers = HashMap::default();
        }
    }

    /// The key of a dyad, day and root (within the layout's bounds).
    #[inline]
    pub(crate) fn key(&mut self, dyad: DyadKey, day: i32, root: u8) -> u64 {
        let number = match &mut self.numbered {
            None => {
                (u64::from(dyad.source) << (self.target_bits + 1))
                    | (u64::from(dyad.target) << 1)
                    | u64::from(dyad.directed)
            }
            Some((numbers, dyads)) => *numbers.entry(dyad).or_insert_with(|| {
                dyads.push(dyad);
                dyads.len() as u64 - 1
            }),
        };
        (number << self.low_bits()) | (((day - self.lo) as u64) << self.root_bits) | u64::from(root)
    }

    /// The dyad part of a key.
    #[inline]
    pub(crate) fn dyad(&self, key: u64) -> u64 {
        key >> self.low_bits()
    }

    /// The dyad a key's dyad part stands for.
    #[inline]
    pub(crate) fn dyad_key(&self, dyad: u64) -> DyadKey {
        match &self.numbered {
            None => DyadKey {
                source: (dyad >> (self.target_bits + 1)) as u32,
                target: ((dyad >> 1) & ((1 << self.target_bits) - 1)) as u32,
                directed: dyad & 1 == 1,
            },
            Some((_, dyads)) => dyads[dyad as usize],
        }
    }

    /// The day of a key.
    #[inline]
    pub(crate) fn day(&self, key: u64) -> i32 {
        self.lo + ((key >> self.root_bits) & ((1 << self.day_bits) - 1)) as i32
    }

    /// The root of a key.
    #[inline]
    pub(super) fn root(&self, key: u64) -> u8 {
        (key & ((1 << self.root_bits) - 1)) as u8
    }
}

/// The number of bits `x` needs (0 for 0).
fn bits(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// Sorts `keys`, and `values` along with them: a stable LSD radix sort on 11-bit digits (2,048
/// buckets, whose write positions stay in the cache), skipping digits that are the same
/// everywhere, so keys packed narrow take few passes. Linear in the number of keys; the pairs
/// end up side by side in order, and what follows reads them sequentially.
pub(crate) fn radix_sort<V: Copy + Default>(keys: &mut Vec<u64>, values: &mut Vec<V>) {
    const DIGIT: u32 = 11;
    const MASK: u64 = (1 << DIGIT) - 1;
    let n = keys.len();
    debug_assert_eq!(n, values.len());
    let (all_or, all_and) = keys.iter().fold((0u64, u64::MAX), |(o, a), k| (o | k, a & k));
    let (mut k2, mut v2) = (Vec::new(), Vec::new());
    let mut counts = [0u32; 1 << DIGIT];
    for shift in (0..u64::BITS).step_by(DIGIT as usize) {
        // Every key has the same digit here: nothing to do.
        if (all_or >> shift) & MASK == (all_and >> shift) & MASK {
            continue;
        }
        if k2.is_empty() {
            (k2, v2) = (vec![0u64; n], vec![V::default(); n]);
        }
        counts.fill(0);
        for &k in keys.iter() {
            counts[((k >> shift) & MASK) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let v = *c;
            *c = sum;
            sum += v;
        }
        for (&k, &v) in keys.iter().zip(values.iter()) {
            let digit = ((k >> shift) & MASK) as usize;
            let at = counts[digit] as usize;
            k2[at] = k;
            v2[at] = v;
            counts[digit] += 1;
        }
        std::mem::swap(keys, &mut k2);
        std::mem::swap(values, &mut v2);
    }
}

pub(super) fn merge_cells(cells: &mut Vec<Cell>, mut run: Vec<Cell>) {
    let after_end = cells.last().is_none_or(|l| run.first().is_some_and(|f| (f.day, f.root) > (l.day, l.root)));
    if after_end {
        run.retain(|c| !c.sums.is_zero());
        if cells.is_empty() {
            *cells = run;
        } else {
            cells.extend(run);
        }
        return;
    }
    let old = std::mem::take(cells);
    let mut out = Vec::with_capacity(old.len() + run.len());
    let (mut a, mut b) = (old.into_iter().peekable(), run.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                let (kx, ky) = ((x.day, x.root), (y.day, y.root));
                if kx < ky {
                    a.next()
                } else if ky < kx {
                    b.next()
                } else {
                    let mut c = a.next();
                    if let (Some(c), Some(y)) = (c.as_mut(), b.next()) {
                        c.sums.add(&y.sums);
                    }
                    c
                }
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        if let Some(c) = next.filter(|c| !c.sums.is_zero()) {
            out.push(c);
        }
    }
    *cells = out;
}

pub(super) fn merge_days(days: &mut Vec<DayCell>, mut run: Vec<DayCell>) {
    let after_end = days.last().is_none_or(|l| run.first().is_some_and(|f| f.day > l.day));
    if after_end {
        run.retain(|c| !c.is_zero());
        if days.is_empty() {
            *days = run;
        } else {
            days.extend(run);
        }
        return;
    }
    // In place, from the back: no second vector (fresh memory is the dear part of a merge), and
    // the cells before the run's first day are not moved at all.
    let old_len = days.len();
    days.resize(old_len + run.len(), DayCell::default());
    let (mut i, mut j, mut k) = (old_len, run.len(), old_len + run.len());
    let mut zeros = false;
    while j > 0 {
        k -= 1;
        if i > 0 && days[i - 1].day > run[j - 1].day {
            days[k] = days[i - 1];
            i -= 1;
        } else if i > 0 && days[i - 1].day == run[j - 1].day {
            let mut c = days[i - 1];
            c.merge(&run[j - 1]);
            zeros |= c.is_zero();
            days[k] = c;
            i -= 1;
            j -= 1;
        } else {
            zeros |= run[j - 1].is_zero();
            days[k] = run[j - 1];
            j -= 1;
        }
    }
    // Days present on both sides left a gap of stale cells between the untouched head and the
    // merged tail.
    if k > i {
        days.drain(i..k);
    }
    if zeros {
        days.retain(|c| !c.is_zero());
    }
}

pub(super) fn merge_totals(totals: &mut Vec<DayTotal>, run: Vec<DayTotal>) {
    for t in run {
        match totals.binary_search_by_key(&t.day, |x| x.day) {
            Ok(i) => {
                totals[i].count += t.count;
                totals[i].mentions += t.mentions;
                if totals[i].count == 0 && totals[i].mentions == 0 {
                    totals.remove(i);
                }
            }
            // Events added and taken away within one batch leave nothing to keep.
            Err(_) if t.count == 0 && t.mentions == 0 => {}
            Err(i) => totals.insert(i, t),
        }
    }
}
