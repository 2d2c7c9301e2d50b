//! Relation series: what the events between two actors add up to, period by period.
//!
//! Served from the aggregates (never by scanning events) for country dyads; exact-code series
//! (TURGOV→SYRMIL) are summed from the dyad index. Each period gives the event count, counts per
//! QuadClass, the Goldstein sum and mean, the cooperation share and a smoothed relation score.
//!
//! **The relation score** is an exponentially decayed mean Goldstein value:
//! `S_t = S_{t-1}·d^Δ + G_t`, `W_t = W_{t-1}·d^Δ + N_t`, `score_t = S_t / W_t` (0 before the
//! first event), where `G_t` is the period's Goldstein sum and `N_t` its event count (with
//! `weight_mentions`, Σ Goldstein×mentions and Σ mentions), `Δ` the days since the previous
//! period start and `d = 0.5^(1/half_life_days)`: an event counts half as much `half_life_days`
//! later. The score stays on the Goldstein scale (−10 … +10) and carries the last known level
//! through empty periods, fading only in weight, not in value.
//!
//! **Normalised intensity** (`normalize`): `100 × G_t / V_t`, where `V_t` is the number of events
//! involving either actor with anyone in the period (country totals): coverage in event datasets
//! grows over time, and this measures the dyad's net cooperation per hundred events of its two
//! actors.

use crate::aggregates::{AggregateSource, DayCell, DyadKey, GOLDSTEIN_SCALE, Sums};
use crate::domain::date::Date;
use crate::error::{Error, Result};
use crate::store::{ActorSel, StoreView};
use serde::{Deserialize, Serialize};

/// The length of a series' periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Freq {
    /// Days.
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    /// Calendar months.
    #[default]
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl Freq {
    /// Parses `day`, `week`, `month`, `quarter`, `year`.
    pub fn parse(s: &str) -> Result<Freq> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "day" | "d" | "daily" => Freq::Day,
            "week" | "w" | "weekly" => Freq::Week,
            "month" | "m" | "monthly" => Freq::Month,
            "quarter" | "q" | "quarterly" => Freq::Quarter,
            "year" | "y" | "yearly" | "annual" => Freq::Year,
            _ => return Err(Error::invalid("freq", format!("`{s}` is not one of day, week, month, quarter, year"))),
        })
    }

    /// The name used in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Freq::Day => "day",
            Freq::Week => "week",
            Freq::Month => "month",
            Freq::Quarter => "quarter",
            Freq::Year => "year",
        }
    }

    /// The first day of the period holding `d`.
    pub fn period_start(self, d: Date) -> Date {
        match self {
            Freq::Day => d,
            Freq::Week => d.add_days(-(d.weekday() as i32)),
            Freq::Month => d.month_start(),
            Freq::Quarter => {
                let (y, m, _) = d.ymd();
                Date::from_ymd(y, (m - 1) / 3 * 3 + 1, 1).unwrap_or(d)
            }
            Freq::Year => d.year_start(),
        }
    }

    /// About how many periods `[start, end]` spans (for reserving space).
    pub fn periods_hint(self, start: Date, end: Date) -> usize {
        let days = (end.days() - start.days()).max(0) as usize + 1;
        match self {
            Freq::Day => days,
            Freq::Week => days / 7 + 2,
            Freq::Month => days / 28 + 2,
            Freq::Quarter => days / 90 + 2,
            Freq::Year => days / 365 + 2,
        }
    }

    /// The first day of the next period (given a period start).
    #[inline]
    pub fn next(self, start: Date) -> Date {
        match self {
            Freq::Day => start.add_days(1),
            Freq::Week => start.add_days(7),
            Freq::Month => add_months(start, 1),
            Freq::Quarter => add_months(start, 3),
            Freq::Year => add_months(start, 12),
        }
    }
}

/// The first day of the month `n` months after `start`'s.
#[inline(never)]
fn add_months(start: Date, n: i32) -> Date {
    let (y, m, _) = start.ymd();
    let t = y * 12 + m as i32 - 1 + n;
    Date::from_ymd(t.div_euclid(12), t.rem_euclid(12) as u32 + 1, 1).unwrap_or(start.add_days(28 * n))
}

/// The relation score's half-life when the caller gives none: an event counts half as much
/// 90 days later.
pub const DEFAULT_HALF_LIFE_DAYS: f64 = 90.0;

/// How to compute a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesOptions {
    /// Period length.
    pub freq: Freq,
    /// First day (default: the dyad's first event).
    pub start: Option<Date>,
    /// Last day (default: the dyad's last event).
    pub end: Option<Date>,
    /// Only A→B (symmetric events between A and B count too).
    pub directed: bool,
    /// Exact actor codes instead of countries.
    pub exact: bool,
    /// Leave out roots 01 (statements) and 02 (appeals).
    pub drop_low_info: bool,
    /// Half-life of the relation score, in days.
    pub half_life_days: f64,
    /// Weight events by their mentions in the score.
    pub weight_mentions: bool,
    /// Count repeated reports (same dyad, code and day) once, with their mentions summed.
    pub collapse: bool,
    /// Compute the normalised intensity.
    pub normalize: bool,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            freq: Freq::Month,
            start: None,
            end: None,
            directed: false,
            exact: false,
            drop_low_info: false,
            half_life_days: DEFAULT_HALF_LIFE_DAYS,
            weight_mentions: false,
            collapse: false,
            normalize: false,
        }
    }
}

/// One period of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// First day of the period.
    pub period: Date,
    /// Events.
    pub count: i64,
    /// Events per QuadClass 1..=4.
    pub quads: [i64; 4],
    /// Σ Goldstein.
    pub goldstein_sum: f64,
    /// Mean Goldstein (0 for an empty period).
    pub goldstein_mean: f64,
    /// Share of cooperative events (QuadClass 1 and 2); 0 for an empty period.
    pub cooperation_share: f64,
    /// Σ mentions.
    pub mentions: i64,
    /// Σ Goldstein × mentions (the numerator of the mentions-weighted score).
    pub goldstein_mentions_sum: f64,
    /// The smoothed relation score (see the module documentation): −10 … +10.
    pub score: f64,
    /// The events behind the score, decayed (`W_t`): an event counts 1 in its period, ½ a
    /// half-life later. Through periods without events the score carries its last level while
    /// this weight fades: a score with little weight is old news; 0 means no evidence yet.
    pub score_weight: f64,
    /// Events of either actor with anyone, when normalising.
    pub volume: i64,
    /// 100 × Goldstein sum / volume, when normalising.
    pub intensity: f64,
}

/// A relation series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// First actor as queried (country or exact code).
    pub a: String,
    /// Second actor.
    pub b: String,
    /// The options it was computed with.
    pub freq: Freq,
    /// Only A→B.
    pub directed: bool,
    /// Exact codes.
    pub exact: bool,
    /// The periods, consecutive, empty ones as zeros.
    pub points: Vec<SeriesPoint>,
}

impl Series {
    /// Periods that hold at least one event.
    pub fn periods_with_events(&self) -> usize {
        self.points.iter().filter(|p| p.count > 0).count()
    }
}

/// Accumulates one period.
#[derive(Default, Clone, Copy)]
struct Acc {
    quads: [i64; 4],
    sums: Sums,
}

impl Acc {
    fn add_day(&mut self, c: &DayCell, drop_low: bool) {
        for q in 0..4 {
            self.quads[q] += i64::from(c.quads[q]);
        }
        self.sums.add(&c.sums());
        if drop_low {
            // Roots 01 and 02 are QuadClass 1 in the GDELT scheme.
            let low = c.low();
            self.quads[0] -= low.count;
            self.sums.add(&Sums {
                count: -low.count,
                goldstein: -low.goldstein,
                mentions: -low.mentions,
                goldstein_mentions: -low.goldstein_mentions,
            });
        }
    }
}

/// The dyad keys a country series reads: A→B, (B→A unless directed), and the symmetric pair.
fn keys(src: &dyn AggregateSource, a: &str, b: &str, directed: bool) -> Vec<DyadKey> {
    let (Some(ia), Some(ib)) = (src.country_id(a), src.country_id(b)) else { return Vec::new() };
    let mut k = vec![DyadKey::of(ia, ib, true), DyadKey::of(ia, ib, false)];
    if !directed && ia != ib {
        k.push(DyadKey::of(ib, ia, true));
    }
    k
}

/// Computes a series. `a` and `b` are resolved actors; countries are used unless `exact`.
pub fn series(view: &StoreView, a: &ActorSel, b: &ActorSel, opts: &SeriesOptions) -> Result<Series> {
    let exact = (opts.exact || opts.collapse).then(|| exact_days(view, a, b, opts.directed, opts.exact, opts.collapse));
    if exact.is_none() && !opts.normalize && !view.aggregates_built() {
        // A process that has not built the store's aggregates (one command, one dyad): the
        // pair's own events, found by a scan of the country columns, aggregated the same way,
        // cost a fraction of building them for every dyad. Normalising needs both countries'
        // totals with everyone, hence the store's aggregates.
        let pair = PairSource { view, aggregates: view.pair_aggregates(&a.country, &b.country) };
        return series_over(&pair, a, b, None, opts);
    }
    series_over(view, a, b, exact, opts)
}

/// One country pair's aggregates, under the store's country ids.
struct PairSource<'a, 'v> {
    view: &'a StoreView<'v>,
    aggregates: crate::aggregates::Aggregates,
}

impl AggregateSource for PairSource<'_, '_> {
    fn country_id(&self, code: &str) -> Option<u32> {
        self.view.countries().get(code)
    }
    fn aggregates(&self) -> &crate::aggregates::Aggregates {
        &self.aggregates
    }
    fn country_name(&self, id: u32) -> &str {
        self.view.countries().name(id)
    }
}

/// Computes a series over any aggregates — a store's, or an [`crate::aggregates::AggregateSet`]
/// merged from workers. `exact`, when given, holds the exact-code dyad's day cells, read in
/// place of the country keys.
pub(crate) fn series_over(
    src: &dyn AggregateSource,
    a: &ActorSel,
    b: &ActorSel,
    exact: Option<Vec<DayCell>>,
    opts: &SeriesOptions,
) -> Result<Series> {
    if opts.half_life_days.is_nan() || opts.half_life_days <= 0.0 {
        return Err(Error::invalid("half_life_days", "the half-life must be a positive number of days"));
    }
    Date::check_window(opts.start, opts.end)?;
    // Day cells per key, or for exact codes day cells summed from the dyad index.
    let keys = if exact.is_some() { Vec::new() } else { keys(src, &a.country, &b.country, opts.directed) };
    let all_time = (Date::MIN, Date::MAX);
    let slices: Vec<&[DayCell]> = match &exact {
        Some(days) => vec![days.as_slice()],
        None => keys
            .iter()
            .map(|k| src.aggregates().days_between(k, opts.start.unwrap_or(all_time.0), opts.end.unwrap_or(all_time.1)))
            .collect(),
    };
    let first = slices.iter().filter_map(|s| s.first().map(|c| c.day)).min();
    let last = slices.iter().filter_map(|s| s.last().map(|c| c.day)).max();
    let (start, end) = match (opts.start, opts.end, first, last) {
        (Some(s), Some(e), _, _) => (s, e),
        (Some(s), None, _, Some(l)) => (s, Date::from_days(l).max(s)),
        (None, Some(e), Some(f), _) => (Date::from_days(f).min(e), e),
        (None, None, Some(f), Some(l)) => (Date::from_days(f), Date::from_days(l)),
        _ => {
            return Ok(Series {
                a: label(a, opts),
                b: label(b, opts),
                freq: opts.freq,
                directed: opts.directed,
                exact: opts.exact,
                points: Vec::new(),
            });
        }
    };
    // Volume for normalisation: both actors' events with anyone (country totals).
    let volume_lists: Vec<&[crate::aggregates::DayTotal]> = if opts.normalize {
        [&a.country, &b.country]
            .into_iter()
            .filter_map(|c| src.country_id(c))
            .map(|id| src.aggregates().country_totals(id))
            .collect()
    } else {
        Vec::new()
    };
    // One pass over the periods with a cursor into each list of day cells (all sorted by day):
    // no intermediate arrays, so a ten-year daily series costs little more than its output.
    let mut cursors: Vec<usize> = slices.iter().map(|s| s.partition_point(|c| c.day < start.days())).collect();
    let mut volume_cursors: Vec<usize> =
        volume_lists.iter().map(|s| s.partition_point(|t| t.day < start.days())).collect();
    let mut period = opts.freq.period_start(start);
    let mut points = Vec::with_capacity(opts.freq.periods_hint(period, end));
    while period <= end {
        let next = opts.freq.next(period);
        let limit = next.days().min(end.days().saturating_add(1));
        let mut acc = Acc::default();
        for (cells, cur) in slices.iter().zip(cursors.iter_mut()) {
            while let Some(c) = cells.get(*cur).filter(|c| c.day < limit) {
                acc.add_day(c, opts.drop_low_info);
                *cur += 1;
            }
        }
        let mut volume = 0i64;
        for (totals, cur) in volume_lists.iter().zip(volume_cursors.iter_mut()) {
            while let Some(t) = totals.get(*cur).filter(|t| t.day < limit) {
                volume += t.count;
                *cur += 1;
            }
        }
        let count = acc.sums.count;
        let gsum = acc.sums.goldstein as f64 / GOLDSTEIN_SCALE;
        points.push(SeriesPoint {
            period,
            count,
            quads: acc.quads,
            goldstein_sum: gsum,
            goldstein_mean: if count > 0 { gsum / count as f64 } else { 0.0 },
            cooperation_share: if count > 0 { (acc.quads[0] + acc.quads[1]) as f64 / count as f64 } else { 0.0 },
            mentions: acc.sums.mentions,
            goldstein_mentions_sum: acc.sums.goldstein_mentions as f64 / GOLDSTEIN_SCALE,
            score: 0.0,
            score_weight: 0.0,
            volume,
            intensity: if volume > 0 { 100.0 * gsum / volume as f64 } else { 0.0 },
        });
        period = next;
    }
    // The score in a second, tight pass: its recurrence is serial, and kept apart from the sums
    // above it stays in registers (a ten-year daily series is 3,650 steps).
    let decay = 0.5f64.powf(1.0 / opts.half_life_days);
    let (mut s_acc, mut w_acc) = (0.0f64, 0.0f64);
    let mut prev_day = points.first().map_or(0, |p| p.period.days());
    let (mut last_dt, mut fade) = (0, 1.0);
    for p in points.iter_mut() {
        let dt = p.period.days() - prev_day;
        prev_day = p.period.days();
        if dt != last_dt {
            // Periods mostly have one length: compute its decay once.
            last_dt = dt;
            fade = power(decay, dt);
        }
        let (g, w) = if opts.weight_mentions {
            (p.goldstein_mentions_sum, p.mentions as f64)
        } else {
            (p.goldstein_sum, p.count as f64)
        };
        s_acc = s_acc * fade + g;
        w_acc = w_acc * fade + w;
        p.score = if w_acc > 0.0 { s_acc / w_acc } else { 0.0 };
        p.score_weight = w_acc;
    }
    Ok(Series {
        a: label(a, opts),
        b: label(b, opts),
        freq: opts.freq,
        directed: opts.directed,
        exact: opts.exact,
        points,
    })
}

/// `x^n`, kept out of line: inlined, the compiler evaluates it on every step of the score's loop
/// (it may, `powi` having no side effects), which spills the loop's state to memory.
#[inline(never)]
fn power(x: f64, n: i32) -> f64 {
    x.powi(n)
}

fn label(x: &ActorSel, opts: &SeriesOptions) -> String {
    if opts.exact { x.code.clone() } else { x.country.clone() }
}

/// Rows of the dyad (country level, either direction unless directed) within `[from, to]`,
/// exact codes checked when asked: (date, row) sorted. The traceability path of every series,
/// shift and mediator: it reads the dyad index, never scans the store.
pub(crate) fn dyad_rows(
    view: &StoreView,
    a: &ActorSel,
    b: &ActorSel,
    directed: bool,
    exact: bool,
    from: Date,
    to: Date,
) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut take = |list: &[(i32, u32)], reverse: bool| {
        let lo = list.partition_point(|x| x.0 < from.days());
        for &(d, r) in &list[lo..] {
            if d > to.days() {
                break;
            }
            if !view.is_live(r) {
                continue;
            }
            let Some(brief) = view.row_brief(r) else { continue };
            if reverse && directed && brief.directed {
                continue;
            }
            if exact {
                let (x, y) = if reverse { (&b.code, &a.code) } else { (&a.code, &b.code) };
                if brief.source != Some(x.as_str()) || brief.target != Some(y.as_str()) {
                    continue;
                }
            }
            out.push((d, r));
        }
    };
    take(view.dyad_rows(&a.country, &b.country), false);
    if a.country != b.country {
        take(view.dyad_rows(&b.country, &a.country), true);
    }
    out.sort_unstable();
    out
}

/// A day's report as a collapsed series compares them: source, target (a symmetric report's in
/// code order), code, directed.
type DayReport<'a> = (Option<&'a str>, Option<&'a str>, &'a str, bool);

/// Day cells summed from the dyad index (planned events left out): for an exact-code dyad, or
/// with repeated reports collapsed — a (source, target, code, direction) seen again the same day
/// adds its mentions to the first report, not another event.
fn exact_days(
    view: &StoreView,
    a: &ActorSel,
    b: &ActorSel,
    directed: bool,
    exact: bool,
    collapse: bool,
) -> Vec<DayCell> {
    let rows = dyad_rows(view, a, b, directed, exact, Date::MIN, Date::MAX);
    let mut out: Vec<DayCell> = Vec::new();
    // Reports of the current day already counted, with their Goldstein value.
    let mut today: Vec<(DayReport<'_>, f64)> = Vec::new();
    for (day, r) in rows {
        let Some(brief) = view.row_brief(r) else { continue };
        if brief.planned {
            continue;
        }
        if out.last().is_none_or(|c| c.day != day) {
            today.clear();
        }
        let (src, tgt) =
            if exact { (brief.source, brief.target) } else { (brief.source_country, brief.target_country) };
        // Symmetric reports match in either orientation.
        let (src, tgt) = if !brief.directed && src > tgt { (tgt, src) } else { (src, tgt) };
        if collapse {
            let report = (src, tgt, brief.code, brief.directed);
            if let Some(seen) = today.iter().find(|t| t.0 == report) {
                // A repeated report: its mentions only.
                let g = crate::aggregates::goldstein_units(seen.1);
                let extra = Sums {
                    count: 0,
                    goldstein: 0,
                    mentions: brief.mentions as i64,
                    goldstein_mentions: g * brief.mentions as i64,
                };
                if let Some(c) = out.last_mut() {
                    c.add(brief.root, &extra);
                }
                continue;
            }
            today.push((report, brief.goldstein));
        }
        let s = Sums::of_event(brief.goldstein, brief.mentions, 1);
        if out.last().is_none_or(|c| c.day != day) {
            out.push(DayCell::new(day));
        }
        if let Some(c) = out.last_mut() {
            c.add(brief.root, &s);
        }
    }
    out
}

/// The events behind one period of a series: ids in (date, storage) order.
pub(crate) fn period_rows(
    view: &StoreView,
    a: &ActorSel,
    b: &ActorSel,
    opts: &SeriesOptions,
    period: Date,
) -> Vec<u32> {
    let start = opts.freq.period_start(period);
    let end = opts.freq.next(start).add_days(-1);
    dyad_rows(view, a, b, opts.directed, opts.exact, start, end)
        .into_iter()
        .filter(|&(_, r)| view.row_brief(r).is_some_and(|x| !x.planned && !(opts.drop_low_info && x.root <= 2)))
        .map(|x| x.1)
        .collect()
}

/// Series from aggregates that travelled (a Spark or Dask job's): country level only.
impl crate::aggregates::AggregateSet {
    /// A relation series of two country codes (exact-code series need the events: a Model).
    pub fn relation(&self, a: &str, b: &str, opts: &SeriesOptions) -> crate::Result<Series> {
        if opts.exact {
            return Err(crate::Error::invalid("exact", "exact-code series need the events (a Model), not aggregates"));
        }
        let sel = |x: &str| crate::store::ActorSel {
            code: x.trim().to_ascii_uppercase(),
            country: x.trim().to_ascii_uppercase(),
        };
        series_over(self, &sel(a), &sel(b), None, opts)
    }
}
