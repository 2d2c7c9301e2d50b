//! The aggregates the analytics are served from, kept up to date on every write: per dyad
//! (source country, target country, directed or symmetric), per day and root code, the event
//! count, Goldstein sum, mentions sum and Goldstein × mentions sum; and per country and day the
//! totals used to normalise for coverage. Planned events are left out.
//!
//! Sums are kept in integers (Goldstein in thousandths) so that adding and removing events is
//! exact and partial aggregates built anywhere merge into the same numbers.

use crate::date::Date;
use serde::{Deserialize, Serialize};
/// Maps hashed with aHash: these are on the write path of millions of rows.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// Goldstein values are summed in thousandths.
pub const GOLDSTEIN_SCALE: f64 = 1000.0;

/// Converts a Goldstein value to the integer units sums are kept in.
#[inline]
pub fn goldstein_units(g: f64) -> i64 {
    (g * GOLDSTEIN_SCALE).round() as i64
}

/// Sums for one (dyad, day, root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sums {
    /// Number of events.
    pub count: i64,
    /// Σ Goldstein, in thousandths.
    pub goldstein: i64,
    /// Σ mentions.
    pub mentions: i64,
    /// Σ Goldstein × mentions, in thousandths.
    pub goldstein_mentions: i64,
}

impl Sums {
    /// The sums of one event (negated when `sign` is −1, to remove it).
    pub fn of_event(goldstein: f64, mentions: u32, sign: i64) -> Sums {
        let g = goldstein_units(goldstein);
        let m = mentions as i64;
        Sums { count: sign, goldstein: sign * g, mentions: sign * m, goldstein_mentions: sign * g * m }
    }

    /// Adds another set of sums.
    #[inline]
    pub fn add(&mut self, o: &Sums) {
        self.count += o.count;
        self.goldstein += o.goldstein;
        self.mentions += o.mentions;
        self.goldstein_mentions += o.goldstein_mentions;
    }

    /// Σ Goldstein as a number.
    pub fn goldstein_sum(&self) -> f64 {
        self.goldstein as f64 / GOLDSTEIN_SCALE
    }

    /// Σ Goldstein × mentions as a number.
    pub fn goldstein_mentions_sum(&self) -> f64 {
        self.goldstein_mentions as f64 / GOLDSTEIN_SCALE
    }

    fn is_zero(&self) -> bool {
        self.count == 0 && self.goldstein == 0 && self.mentions == 0 && self.goldstein_mentions == 0
    }
}

/// The sums of one event added or removed, in 64 bits: Goldstein in thousandths (32 bits), the
/// sign (1 bit) and the mentions (31 bits). Count and Goldstein × mentions follow from them.
#[derive(Debug, Clone, Copy)]
struct PackedSums(u64);

impl PackedSums {
    /// Packs sums that are one event's (count ±1, in range); `None` for any other.
    fn pack(s: &Sums) -> Option<PackedSums> {
        if !matches!(s.count, 1 | -1) {
            return None;
        }
        let mentions = s.mentions.checked_mul(s.count)?;
        let goldstein = i32::try_from(s.goldstein).ok()?;
        let fits = (0..1 << 31).contains(&mentions) && Some(s.goldstein_mentions) == s.goldstein.checked_mul(mentions);
        let negative = u64::from(s.count < 0) << 31;
        fits.then(|| PackedSums((u64::from(goldstein as u32) << 32) | negative | mentions as u64))
    }

    fn unpack(self) -> Sums {
        let count = if self.0 & (1 << 31) != 0 { -1 } else { 1 };
        let mentions = (self.0 & 0x7fff_ffff) as i64;
        let goldstein = i64::from((self.0 >> 32) as u32 as i32);
        Sums { count, goldstein, mentions: count * mentions, goldstein_mentions: goldstein * mentions }
    }
}

/// One cell of a dyad's aggregate: a day, a root code (1..=20) and its sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// Day number (days since 1970-01-01).
    pub day: i32,
    /// Root code 1..=20.
    pub root: u8,
    /// The sums.
    pub sums: Sums,
}

/// A dyad's aggregate key: interned country ids and whether the events are directed.
/// Symmetric events are kept under (min, max, false) so either orientation finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DyadKey {
    /// Source country id (for symmetric keys, the smaller id).
    pub source: u32,
    /// Target country id.
    pub target: u32,
    /// Directed events (true) or symmetric ones (false).
    pub directed: bool,
}

impl DyadKey {
    /// The key an event of these countries goes to.
    pub fn of(source: u32, target: u32, directed: bool) -> DyadKey {
        if directed {
            DyadKey { source, target, directed }
        } else {
            DyadKey { source: source.min(target), target: source.max(target), directed }
        }
    }
}

/// One dyad's day, all roots together: counts per QuadClass (GDELT scheme) and sums, with the
/// low-information roots (01 statements, 02 appeals) also kept apart so series can leave them out.
/// Series read these: a 10-year daily series touches at most one cell per day per key.
///
/// A store holds one per dyad and day with events, millions of them, so the cell is packed:
/// 72 bytes, counts in 32 bits (one dyad's events of one day), the event count not kept apart
/// from the QuadClass counts it is the sum of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCell {
    /// Day number.
    pub day: i32,
    /// Events of roots 01 and 02.
    low_count: i32,
    /// Events per QuadClass 1..=4 (index 0..=3).
    pub quads: [i32; 4],
    sums: EventSums,
    low: EventSums,
}

/// [`Sums`] without the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct EventSums {
    goldstein: i64,
    mentions: i64,
    goldstein_mentions: i64,
}

impl EventSums {
    fn add(&mut self, s: &Sums) {
        self.goldstein += s.goldstein;
        self.mentions += s.mentions;
        self.goldstein_mentions += s.goldstein_mentions;
    }

    fn merge(&mut self, o: &EventSums) {
        self.goldstein += o.goldstein;
        self.mentions += o.mentions;
        self.goldstein_mentions += o.goldstein_mentions;
    }

    fn with_count(self, count: i64) -> Sums {
        Sums { count, goldstein: self.goldstein, mentions: self.mentions, goldstein_mentions: self.goldstein_mentions }
    }
}

impl DayCell {
    /// An empty cell of a day.
    pub fn new(day: i32) -> DayCell {
        DayCell { day, ..Default::default() }
    }

    /// Adds sums of events of one root (of `s.count` events: 0 adds the sums alone, as a
    /// repeated report's mentions). Counts stop at the 32-bit limits (one dyad's events of one
    /// day; aggregate tables with more are refused when read).
    pub fn add(&mut self, root: u8, s: &Sums) {
        let q = crate::taxonomy::quad_of_root(root, crate::taxonomy::QuadScheme::Gdelt) as usize;
        let count = s.count.clamp(i32::MIN.into(), i32::MAX.into()) as i32;
        let quad = &mut self.quads[q.clamp(1, 4) - 1];
        *quad = quad.saturating_add(count);
        self.sums.add(s);
        if root <= 2 {
            self.low_count = self.low_count.saturating_add(count);
            self.low.add(s);
        }
    }

    /// Adds another cell of the same day.
    fn merge(&mut self, o: &DayCell) {
        for q in 0..4 {
            self.quads[q] = self.quads[q].saturating_add(o.quads[q]);
        }
        self.low_count = self.low_count.saturating_add(o.low_count);
        self.sums.merge(&o.sums);
        self.low.merge(&o.low);
    }

    /// Sums over all roots.
    pub fn sums(&self) -> Sums {
        self.sums.with_count(self.quads.iter().map(|&q| i64::from(q)).sum())
    }

    /// Sums over roots 01 and 02 only.
    pub fn low(&self) -> Sums {
        self.low.with_count(i64::from(self.low_count))
    }

    fn is_zero(&self) -> bool {
        *self == DayCell::new(self.day)
    }
}

/// Per-country daily totals for normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DayTotal {
    /// Day number.
    pub day: i32,
    /// Events involving the country that day.
    pub count: i64,
    /// Their mentions.
    pub mentions: i64,
}

/// A change to the aggregates: one event added (+1) or removed (−1).
#[derive(Debug, Clone, Copy)]
pub struct Delta {
    /// Where the event goes.
    pub key: DyadKey,
    /// Its day.
    pub day: i32,
    /// Its root (1..=20).
    pub root: u8,
    /// Its sums (negative to remove).
    pub sums: Sums,
}

/// The aggregates of a whole store, or a partial one built on a worker.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// Whether per-root cells are kept. Aggregate sets travel as (dyad, day, root) tables and
    /// keep them; a store's queries read day cells only, and a store of millions of events
    /// would hold as many root cells again.
    root_cells: bool,
    dyads: HashMap<DyadKey, Vec<Cell>>,
    days: HashMap<DyadKey, Vec<DayCell>>,
    countries: HashMap<u32, Vec<DayTotal>>,
    /// For each country id, the dyad keys it takes part in.
    partners: HashMap<u32, Vec<DyadKey>>,
}

impl Default for Aggregates {
    fn default() -> Self {
        Aggregates {
            root_cells: true,
            dyads: HashMap::default(),
            days: HashMap::default(),
            countries: HashMap::default(),
            partners: HashMap::default(),
        }
    }
}

impl Aggregates {
    /// Aggregates that keep day cells and country totals but no per-root cells (a store's).
    pub fn days_only() -> Aggregates {
        Aggregates { root_cells: false, ..Default::default() }
    }

    /// Applies a batch of deltas (any order). Cells that fall to zero disappear.
    pub fn apply(&mut self, deltas: Vec<Delta>) {
        let Some((lo, hi)) = deltas
            .iter()
            .map(|d| d.day)
            .fold(None, |r: Option<(i32, i32)>, d| Some(r.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d)))))
        else {
            return;
        };
        let max_root = deltas.iter().map(|d| d.root).max().unwrap_or(0);
        let max_id = deltas.iter().map(|d| d.key.source.max(d.key.target)).max().unwrap_or(0);
        let max_target = deltas.iter().map(|d| d.key.target).max().unwrap_or(0);
        let Some(mut layout) = KeyLayout::new(lo, hi, max_id, max_target, max_root) else {
            // Days further apart than a layout holds: two halves (cells of different days are
            // apart).
            let mid = lo + ((i64::from(hi) - i64::from(lo)) / 2) as i32;
            let (early, late): (Vec<Delta>, Vec<Delta>) = deltas.into_iter().partition(|d| d.day <= mid);
            self.apply(early);
            self.apply(late);
            return;
        };
        let keys: Vec<u64> = deltas.iter().map(|d| layout.key(d.key, d.day, d.root)).collect();
        layout.keys_made();
        // The sums go through the sort with their keys when every delta is one event's (all of
        // a store's are): they then pack into 64 bits. Otherwise the delta's index does, and
        // the sums are looked up (memory reads all over the deltas: the slow part of a sort).
        let packed: Option<Vec<u64>> = deltas.iter().map(|d| PackedSums::pack(&d.sums).map(|p| p.0)).collect();
        if let Some(values) = packed {
            drop(deltas);
            self.apply_packed(keys, values, layout);
        } else {
            let totals = country_day_totals(deltas.iter().map(|d| (d.key, d.day, d.sums.count, d.sums.mentions)));
            let values = (0..deltas.len() as u64).collect();
            self.add_sorted(keys, values, &layout, |v| deltas[v as usize].sums);
            self.add_totals(totals);
        }
    }

    /// Applies the deltas of single events gathered in an [`EventDeltas`].
    pub(crate) fn apply_events(&mut self, events: EventDeltas) {
        self.apply_packed(events.keys, events.values, events.layout);
    }

    /// Applies deltas of single events (see [`Aggregates::apply`]) already packed: their keys
    /// in `layout` and their sums packed (as [`PackedSums`]).
    fn apply_packed(&mut self, keys: Vec<u64>, values: Vec<u64>, layout: KeyLayout) {
        let totals = country_day_totals(keys.iter().zip(&values).map(|(&k, &v)| {
            let s = PackedSums(v).unpack();
            (layout.dyad_key(layout.dyad(k)), layout.day(k), s.count, s.mentions)
        }));
        self.add_sorted(keys, values, &layout, |v| PackedSums(v).unpack());
        self.add_totals(totals);
    }

    /// Sorts the packed keys with their values and adds the cells they make; `sums_of` gives
    /// a value's sums.
    fn add_sorted(
        &mut self,
        mut keys: Vec<u64>,
        mut values: Vec<u64>,
        layout: &KeyLayout,
        sums_of: impl Fn(u64) -> Sums,
    ) {
        radix_sort(&mut keys, &mut values);
        let mut i = 0;
        while i < keys.len() {
            let dyad = layout.dyad(keys[i]);
            let key = layout.dyad_key(dyad);
            let mut j = i + 1;
            // Sized exactly: these vectors are kept, and memory first touched is slow to get.
            let (mut n_cells, mut n_days) = (1, 1);
            while j < keys.len() && layout.dyad(keys[j]) == dyad {
                n_cells += usize::from(keys[j] != keys[j - 1]);
                n_days += usize::from(layout.day(keys[j]) != layout.day(keys[j - 1]));
                j += 1;
            }
            let mut run: Vec<Cell> = Vec::with_capacity(if self.root_cells { n_cells } else { 0 });
            let mut day_run: Vec<DayCell> = Vec::with_capacity(n_days);
            for k in i..j {
                let (day, root) = (layout.day(keys[k]), layout.root(keys[k]));
                let sums = &sums_of(values[k]);
                if self.root_cells {
                    match run.last_mut() {
                        Some(c) if c.day == day && c.root == root => c.sums.add(sums),
                        _ => run.push(Cell { day, root, sums: *sums }),
                    }
                }
                match day_run.last_mut() {
                    Some(c) if c.day == day => c.add(root, sums),
                    _ => {
                        let mut c = DayCell::new(day);
                        c.add(root, sums);
                        day_run.push(c);
                    }
                }
            }
            let is_new = !self.days.contains_key(&key);
            merge_days(self.days.entry(key).or_default(), day_run);
            if self.root_cells {
                merge_cells(self.dyads.entry(key).or_default(), run);
            }
            if is_new {
                self.partners.entry(key.source).or_default().push(key);
                if key.target != key.source {
                    self.partners.entry(key.target).or_default().push(key);
                }
            }
            i = j;
        }
    }

    /// Adds (country, day, sums) totals, in any order.
    fn add_totals(&mut self, mut totals: Vec<(u32, i32, Sums)>) {
        totals.sort_unstable_by_key(|t| (u64::from(t.0) << 32) | u64::from(t.1 as u32 ^ 0x8000_0000));
        let mut i = 0;
        while i < totals.len() {
            let c = totals[i].0;
            let mut run: Vec<DayTotal> = Vec::new();
            while i < totals.len() && totals[i].0 == c {
                let (_, day, s) = totals[i];
                match run.last_mut() {
                    Some(t) if t.day == day => {
                        t.count += s.count;
                        t.mentions += s.mentions;
                    }
                    _ => run.push(DayTotal { day, count: s.count, mentions: s.mentions }),
                }
                i += 1;
            }
            merge_totals(self.countries.entry(c).or_default(), run);
        }
    }

    /// The cells of one dyad key, sorted by (day, root) (none in a store's aggregates, which
    /// keep day cells only).
    pub fn cells(&self, key: &DyadKey) -> &[Cell] {
        self.dyads.get(key).map_or(&[], Vec::as_slice)
    }

    /// The cells of a key within `[start, end]` (inclusive), found by binary search.
    pub fn cells_between(&self, key: &DyadKey, start: Date, end: Date) -> &[Cell] {
        let cells = self.cells(key);
        let lo = cells.partition_point(|c| c.day < start.days());
        let hi = cells.partition_point(|c| c.day <= end.days());
        &cells[lo..hi.max(lo)]
    }

    /// The day cells of a key within `[start, end]`, found by binary search.
    pub fn days_between(&self, key: &DyadKey, start: Date, end: Date) -> &[DayCell] {
        let days = self.days.get(key).map_or(&[][..], Vec::as_slice);
        let lo = days.partition_point(|c| c.day < start.days());
        let hi = days.partition_point(|c| c.day <= end.days());
        &days[lo..hi.max(lo)]
    }

    /// Daily totals of a country, sorted by day.
    pub fn country_totals(&self, country: u32) -> &[DayTotal] {
        self.countries.get(&country).map_or(&[], Vec::as_slice)
    }

    /// The dyad keys a country takes part in.
    pub fn partners(&self, country: u32) -> &[DyadKey] {
        self.partners.get(&country).map_or(&[], Vec::as_slice)
    }

    /// Every dyad key.
    pub fn keys(&self) -> impl Iterator<Item = &DyadKey> {
        self.days.keys()
    }

    /// Number of (dyad, day, root) cells (0 where only day cells are kept).
    pub fn cell_count(&self) -> usize {
        self.dyads.values().map(Vec::len).sum()
    }
}

/// Country totals of a batch of deltas: each event counts once for each distinct country it
/// involves. Summed in a dense (country × day) table when the batch spans few enough of them
/// (country ids are small and dense; a map's random accesses cost more than the whole table),
/// else in a map. Sums keep only count and mentions.
fn country_day_totals(deltas: impl Iterator<Item = (DyadKey, i32, i64, i64)> + Clone) -> Vec<(u32, i32, Sums)> {
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
    keys: Vec<u64>,
    values: Vec<u64>,
    layout: KeyLayout,
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
    fn root(&self, key: u64) -> u8 {
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

fn merge_cells(cells: &mut Vec<Cell>, mut run: Vec<Cell>) {
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

fn merge_days(days: &mut Vec<DayCell>, mut run: Vec<DayCell>) {
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

fn merge_totals(totals: &mut Vec<DayTotal>, run: Vec<DayTotal>) {
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

/// What series are computed from: country ids and the aggregates under them.
pub trait AggregateSource {
    /// The id of a country (or organisation) code, if any event has it.
    fn country_id(&self, code: &str) -> Option<u32>;
    /// The aggregates.
    fn aggregates(&self) -> &Aggregates;
}

impl AggregateSource for crate::store::StoreView<'_> {
    fn country_id(&self, code: &str) -> Option<u32> {
        self.countries().get(code)
    }
    fn aggregates(&self) -> &Aggregates {
        crate::store::StoreView::aggregates(self)
    }
}

/// Aggregates that carry their own country codes, built from events anywhere — a worker of a
/// Spark or Dask job, a notebook — and merged with others into the same sums a store would hold
/// for all of those events. Travels as an Arrow table (one row per dyad, day and root).
#[derive(Debug, Clone, Default)]
pub struct AggregateSet {
    countries: crate::store::Interner,
    aggregates: Aggregates,
    events: i64,
}

/// Column names of an aggregate set's table.
pub const AGGREGATE_COLUMNS: &[&str] = &[
    "source_country",
    "target_country",
    "directed",
    "date",
    "root",
    "count",
    "goldstein_milli",
    "mentions",
    "goldstein_mentions_milli",
];

impl AggregateSource for AggregateSet {
    fn country_id(&self, code: &str) -> Option<u32> {
        self.countries.get(code)
    }
    fn aggregates(&self) -> &Aggregates {
        &self.aggregates
    }
}

impl AggregateSet {
    /// The aggregates of normalised events (planned events left out, as in a store).
    pub fn from_events(events: &[crate::event::Event]) -> AggregateSet {
        let mut set = AggregateSet::default();
        let mut deltas = Vec::with_capacity(events.len());
        for e in events.iter().filter(|e| !e.planned) {
            let Ok(root) = e.root_code.parse::<u8>() else { continue };
            let s = set.countries.intern(e.source_country.as_deref());
            let t = set.countries.intern(e.target_country.as_deref());
            deltas.push(Delta {
                key: DyadKey::of(s, t, e.directed),
                day: e.date.days(),
                root,
                sums: Sums::of_event(e.goldstein, e.mentions, 1),
            });
        }
        set.events = deltas.len() as i64;
        set.aggregates.apply(deltas);
        set
    }

    /// Adds another set's sums to this one.
    pub fn merge(&mut self, other: &AggregateSet) {
        let mut deltas = Vec::with_capacity(other.aggregates.cell_count());
        let mut ids: HashMap<u32, u32> = HashMap::default();
        let mut map = |set: &mut crate::store::Interner, id: u32| {
            *ids.entry(id).or_insert_with(|| {
                let name = other.countries.name(id);
                set.intern((!name.is_empty()).then_some(name))
            })
        };
        for (key, cells) in &other.aggregates.dyads {
            let k =
                DyadKey::of(map(&mut self.countries, key.source), map(&mut self.countries, key.target), key.directed);
            deltas.extend(cells.iter().map(|c| Delta { key: k, day: c.day, root: c.root, sums: c.sums }));
        }
        self.events += other.events;
        self.aggregates.apply(deltas);
    }

    /// Events counted in.
    pub fn events(&self) -> i64 {
        self.events
    }

    /// Number of (dyad, day, root) cells.
    pub fn cell_count(&self) -> usize {
        self.aggregates.cell_count()
    }

    /// A relation series of two country codes (exact-code series need the events: a Model).
    pub fn relation(
        &self,
        a: &str,
        b: &str,
        opts: &crate::relations::SeriesOptions,
    ) -> crate::Result<crate::relations::Series> {
        if opts.exact {
            return Err(crate::Error::invalid("exact", "exact-code series need the events (a Model), not aggregates"));
        }
        let sel = |x: &str| crate::store::ActorSel {
            code: x.trim().to_ascii_uppercase(),
            country: x.trim().to_ascii_uppercase(),
        };
        crate::relations::series::series_over(self, &sel(a), &sel(b), None, opts)
    }

    /// The set as an Arrow table ([`AGGREGATE_COLUMNS`]), sorted by dyad, day and root.
    pub fn to_batch(&self) -> crate::Result<arrow_array::RecordBatch> {
        use arrow_array::{ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray, UInt8Array};
        // Names, with a symmetric pair in name order: the table must not depend on which set
        // happened to see a country first.
        let names = |k: &DyadKey| {
            let (s, t) = (self.countries.name(k.source), self.countries.name(k.target));
            if !k.directed && s > t { (t, s) } else { (s, t) }
        };
        let mut keys: Vec<&DyadKey> = self.aggregates.dyads.keys().collect();
        keys.sort_by(|x, y| (names(x), x.directed).cmp(&(names(y), y.directed)));
        let (mut sc, mut tc, mut dir, mut day, mut root) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut n, mut g, mut m, mut gm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in keys {
            let (s, t) = names(k);
            let name = |n: &str| Some(n).filter(|n| !n.is_empty()).map(str::to_string);
            for c in self.aggregates.cells(k) {
                sc.push(name(s));
                tc.push(name(t));
                dir.push(k.directed);
                day.push(c.day);
                root.push(c.root);
                n.push(c.sums.count);
                g.push(c.sums.goldstein);
                m.push(c.sums.mentions);
                gm.push(c.sums.goldstein_mentions);
            }
        }
        let cols: Vec<ArrayRef> = vec![
            std::sync::Arc::new(StringArray::from(sc)),
            std::sync::Arc::new(StringArray::from(tc)),
            std::sync::Arc::new(BooleanArray::from(dir)),
            std::sync::Arc::new(Date32Array::from(day)),
            std::sync::Arc::new(UInt8Array::from(root)),
            std::sync::Arc::new(Int64Array::from(n)),
            std::sync::Arc::new(Int64Array::from(g)),
            std::sync::Arc::new(Int64Array::from(m)),
            std::sync::Arc::new(Int64Array::from(gm)),
        ];
        arrow_array::RecordBatch::try_from_iter(AGGREGATE_COLUMNS.iter().map(|c| c.to_string()).zip(cols))
            .map_err(|e| crate::Error::Internal(format!("arrow: {e}")))
    }

    /// A set from its table (as [`AggregateSet::to_batch`] writes it); errors name row and column.
    pub fn from_batch(batch: &arrow_array::RecordBatch) -> crate::Result<AggregateSet> {
        use arrow_array::Array;
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Date32Type, Int64Type, UInt8Type};
        let col = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| crate::Error::invalid(name, format!("the aggregate table has no `{name}` column")))
        };
        let wrong = |name: &str| crate::Error::invalid(name, format!("column `{name}` has the wrong type"));
        let strs = |name: &str| col(name)?.as_string_opt::<i32>().ok_or_else(|| wrong(name));
        let ints = |name: &str| col(name)?.as_primitive_opt::<Int64Type>().ok_or_else(|| wrong(name));
        let (sc, tc) = (strs("source_country")?, strs("target_country")?);
        let dir = col("directed")?.as_boolean_opt().ok_or_else(|| wrong("directed"))?;
        let day = col("date")?.as_primitive_opt::<Date32Type>().ok_or_else(|| wrong("date"))?;
        let root = col("root")?.as_primitive_opt::<UInt8Type>().ok_or_else(|| wrong("root"))?;
        let (n, g, m, gm) =
            (ints("count")?, ints("goldstein_milli")?, ints("mentions")?, ints("goldstein_mentions_milli")?);
        let mut set = AggregateSet::default();
        let mut deltas = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            if !(1..=20).contains(&root.value(i)) || dir.is_null(i) || day.is_null(i) {
                return Err(crate::Error::invalid("root", "a row needs a root 1..=20, a date and `directed`")
                    .at("table", i as u64 + 1));
            }
            if i32::try_from(n.value(i)).is_err() {
                return Err(crate::Error::invalid("count", format!("a count of {} events in one cell", n.value(i)))
                    .at("table", i as u64 + 1));
            }
            let s = set.countries.intern((!sc.is_null(i)).then(|| sc.value(i)));
            let t = set.countries.intern((!tc.is_null(i)).then(|| tc.value(i)));
            let sums = Sums {
                count: n.value(i),
                goldstein: g.value(i),
                mentions: m.value(i),
                goldstein_mentions: gm.value(i),
            };
            set.events += sums.count;
            deltas.push(Delta { key: DyadKey::of(s, t, dir.value(i)), day: day.value(i), root: root.value(i), sums });
        }
        set.aggregates.apply(deltas);
        Ok(set)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn radix_sort_sorts_stably() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let keys: Vec<u64> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 997) | (x & 0xff00_0000_0000_0000)
            })
            .collect();
        let mut sorted = keys.clone();
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        super::radix_sort(&mut sorted, &mut order);
        let mut expected: Vec<u32> = (0..keys.len() as u32).collect();
        expected.sort_by_key(|&i| keys[i as usize]);
        assert_eq!(order, expected);
        assert!(sorted.iter().zip(&order).all(|(k, &i)| *k == keys[i as usize]));
    }

    use super::*;

    /// Applies `deltas` in three writes and checks every cell and day cell against a recount.
    fn check_against_recount(deltas: &[Delta]) {
        let mut a = Aggregates::default();
        for part in deltas.chunks(deltas.len() / 3 + 1) {
            a.apply(part.to_vec());
        }
        let mut cells: std::collections::BTreeMap<(DyadKey, i32, u8), Sums> = Default::default();
        let mut days: std::collections::BTreeMap<(DyadKey, i32), DayCell> = Default::default();
        for d in deltas {
            cells.entry((d.key, d.day, d.root)).or_default().add(&d.sums);
            days.entry((d.key, d.day)).or_insert(DayCell::new(d.day)).add(d.root, &d.sums);
        }
        cells.retain(|_, s| !s.is_zero());
        days.retain(|_, c| !c.is_zero());
        let got: Vec<_> = a.dyads.iter().flat_map(|(k, v)| v.iter().map(|c| ((*k, c.day, c.root), c.sums))).collect();
        assert_eq!(got.into_iter().collect::<std::collections::BTreeMap<_, _>>(), cells);
        let got: Vec<_> = a.days.iter().flat_map(|(k, v)| v.iter().map(|c| ((*k, c.day), *c))).collect();
        assert_eq!(got.into_iter().collect::<std::collections::BTreeMap<_, _>>(), days);
        for v in a.days.values() {
            assert!(v.windows(2).all(|w| w[0].day < w[1].day), "day cells in day order");
        }
        // Country totals: each event once for each country it involves.
        let mut totals: std::collections::BTreeMap<(u32, i32), (i64, i64)> = Default::default();
        for d in deltas {
            let mut countries = vec![d.key.source, d.key.target];
            countries.dedup();
            for c in countries {
                let t = totals.entry((c, d.day)).or_default();
                t.0 += d.sums.count;
                t.1 += d.sums.mentions;
            }
        }
        totals.retain(|_, t| *t != (0, 0));
        let got: std::collections::BTreeMap<(u32, i32), (i64, i64)> =
            a.countries.iter().flat_map(|(c, v)| v.iter().map(|t| ((*c, t.day), (t.count, t.mentions)))).collect();
        assert_eq!(got, totals);
    }

    #[test]
    fn cells_equal_a_recount_whatever_the_ids_and_dates() {
        let mut next = crate::testing::below(0x9e37_79b9_7f4a_7c15);
        let deltas: Vec<Delta> = (0..6000)
            .map(|_| {
                let key = DyadKey::of(next(6) as u32, next(6) as u32, next(2) == 0);
                let sign = if next(5) == 0 { -1 } else { 1 };
                let sums = Sums::of_event(next(200) as f64 / 10.0 - 10.0, next(9) as u32, sign);
                Delta { key, day: next(300) as i32 - 150, root: 1 + next(20) as u8, sums }
            })
            .collect();
        // Country ids of 15 bits or less, packed as they are.
        check_against_recount(&deltas);
        // Wider ids: dyads numbered as they come.
        let wide = |k: DyadKey| DyadKey::of(k.source + (1 << 20), k.target * 70_000, k.directed);
        check_against_recount(&deltas.iter().map(|d| Delta { key: wide(d.key), ..*d }).collect::<Vec<_>>());
        // Days further apart than 22 bits of offset: applied in halves.
        check_against_recount(&deltas.iter().map(|d| Delta { day: d.day * 40_000, ..*d }).collect::<Vec<_>>());
        // Sums of several events (as when aggregate sets merge): they do not pack.
        let mut merged = deltas.clone();
        merged[7].sums.add(&Sums::of_event(2.5, 4, 1));
        check_against_recount(&merged);
        assert!(PackedSums::pack(&merged[7].sums).is_none());
        for d in &deltas {
            assert_eq!(PackedSums::pack(&d.sums).map(PackedSums::unpack), Some(d.sums));
        }
    }

    #[test]
    fn a_day_cell_is_packed() {
        // Millions of them live in a store's aggregates.
        assert_eq!(std::mem::size_of::<DayCell>(), 72);
        let mut c = DayCell::new(3);
        c.add(1, &Sums::of_event(3.4, 2, 1));
        c.add(19, &Sums::of_event(-10.0, 5, 1));
        c.add(19, &Sums { count: 0, goldstein: 0, mentions: 4, goldstein_mentions: -40_000 });
        assert_eq!(c.quads, [1, 0, 0, 1]);
        assert_eq!(c.sums(), Sums { count: 2, goldstein: -6600, mentions: 11, goldstein_mentions: 6800 - 90_000 });
        assert_eq!(c.low(), Sums::of_event(3.4, 2, 1));
        let mut twice = c;
        twice.merge(&c);
        assert_eq!(twice.sums().count, 4);
        c.add(1, &Sums::of_event(3.4, 2, -1));
        c.add(19, &Sums::of_event(-10.0, 5, -1));
        c.add(19, &Sums { count: 0, goldstein: 0, mentions: -4, goldstein_mentions: 40_000 });
        assert!(c.is_zero());
    }

    #[test]
    fn add_and_remove_exactly() {
        let mut a = Aggregates::default();
        let k = DyadKey::of(1, 2, true);
        let d = |day, g: f64, sign| Delta { key: k, day, root: 4, sums: Sums::of_event(g, 3, sign) };
        a.apply(vec![d(10, 1.1, 1), d(5, 2.2, 1), d(10, 0.1, 1)]);
        assert_eq!(a.cells(&k).len(), 2);
        assert_eq!(a.cells(&k)[1].sums.count, 2);
        assert_eq!(a.cells(&k)[1].sums.goldstein, 1200);
        a.apply(vec![d(10, 1.1, -1), d(10, 0.1, -1)]);
        assert_eq!(a.cells(&k).len(), 1);
        assert_eq!(a.country_totals(1).len(), 1);
        assert_eq!(a.partners(2), &[k]);
        // Symmetric events land on one key whatever the orientation.
        assert_eq!(DyadKey::of(2, 1, false), DyadKey::of(1, 2, false));
    }
}
