//! The aggregates the analytics are served from, kept up to date on every write: per dyad
//! (source country, target country, directed or symmetric), per day and root code, the event
//! count, Goldstein sum, mentions sum and Goldstein × mentions sum; and per country and day the
//! totals used to normalise for coverage. Planned events are left out.
//!
//! Sums are kept in integers (Goldstein in thousandths) so that adding and removing events is
//! exact and partial aggregates built anywhere merge into the same numbers.

mod deltas;
mod interner;
mod set;
#[cfg(test)]
mod tests;

use crate::domain::date::Date;
pub(crate) use deltas::{EventDeltas, KeyLayout, radix_sort};
use deltas::{country_day_totals, merge_cells, merge_days, merge_totals};
pub use interner::Interner;
use serde::{Deserialize, Serialize};
pub use set::{AGGREGATE_COLUMNS, AggregateSet, aggregate_schema};
/// Maps hashed with aHash: these are on the write path of millions of rows.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// Goldstein values are summed in thousandths.
pub(crate) const GOLDSTEIN_SCALE: f64 = 1000.0;

/// Converts a Goldstein value to the integer units sums are kept in.
#[inline]
pub(crate) fn goldstein_units(g: f64) -> i64 {
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
        let q = crate::domain::taxonomy::quad_of_root(root, crate::domain::taxonomy::QuadScheme::Gdelt) as usize;
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

/// What series are computed from: country ids and the aggregates under them.
pub(crate) trait AggregateSource {
    /// The id of a country (or organisation) code, if any event has it.
    fn country_id(&self, code: &str) -> Option<u32>;
    /// The aggregates.
    fn aggregates(&self) -> &Aggregates;
    /// The code of a country id ("" for none).
    fn country_name(&self, id: u32) -> &str;
}
