//! Shifts: change points in a relation series — thaws and freezes — with the events that
//! explain them.
//!
//! **Method.** The signal is the mean Goldstein value of each non-empty period of the series
//! (empty periods carry no information about the level and are skipped). Change points minimise
//! `Σ_segments C(segment) + β × segments` with the L2 cost `C = Σ w_i (x_i − μ)²` (μ the
//! segment's weighted mean; `w_i` the period's event count, or 1 when unweighted) by PELT
//! (Killick, Fearnhead & Eckley 2012): optimal partitioning with pruning, exact for this cost.
//! Segments have at least `min_size` periods (by default one: a change between two periods
//! counts). A series needs [`MIN_PERIODS`] periods with events to be judged at all: the noise
//! a change must outweigh is measured from them. The default penalty is `β = 3 σ̂² ln n` (a
//! conservative BIC, since the change's location is also estimated), with `σ̂²` the variance of
//! single events' Goldstein values within their periods, pooled over the series (read from the
//! dyad index); when periods hold one event each, `σ̂` comes from the successive differences of the
//! signal (`1.4826 · median|Δx| / √2`) times the mean weight. A shift's direction is *thaw* when
//! the level after (the next segment's weighted mean) is higher, *freeze* when lower.
//!
//! **Explaining events** are the events of the periods around the change (`window` periods on
//! each side) whose Goldstein sign agrees with the direction, ranked by |Goldstein| × mentions.

use super::series::{Series, SeriesOptions, dyad_rows};
use crate::domain::date::Date;
use crate::error::{Error, Result};
use crate::store::{ActorSel, StoreView};
use serde::{Deserialize, Serialize};

/// Periods with events a series needs before a change in it can be told from noise.
pub const MIN_PERIODS: usize = 3;

/// How to look for shifts.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftOptions {
    /// The penalty β per segment; `None` for the BIC-like default.
    pub penalty: Option<f64>,
    /// Minimum periods per segment.
    pub min_size: usize,
    /// Weight periods by their event counts.
    pub weighted: bool,
    /// Periods on each side of a change whose events explain it.
    pub window: usize,
    /// Explaining events per shift.
    pub top_events: usize,
}

impl Default for ShiftOptions {
    fn default() -> Self {
        ShiftOptions { penalty: None, min_size: 1, weighted: true, window: 1, top_events: 5 }
    }
}

/// An event that explains a shift, with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Event id.
    pub id: String,
    /// Its date.
    pub date: Date,
    /// Source code.
    pub source: Option<String>,
    /// Target code.
    pub target: Option<String>,
    /// CAMEO code.
    pub code: String,
    /// Goldstein value.
    pub goldstein: f64,
    /// Mentions.
    pub mentions: u32,
    /// |Goldstein| × mentions: the ranking weight.
    pub weight: f64,
    /// Document.
    pub doc_id: Option<String>,
    /// Sentence index.
    pub sentence: Option<u32>,
    /// Sentence text.
    pub evidence: Option<String>,
}

/// A change point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    /// First period of the new level.
    pub period: Date,
    /// `thaw` (the level rises) or `freeze` (it falls).
    pub direction: String,
    /// |after − before|.
    pub magnitude: f64,
    /// Mean Goldstein of the segment before.
    pub before: f64,
    /// Mean Goldstein of the segment after.
    pub after: f64,
    /// The events that explain it, strongest first.
    pub events: Vec<Evidence>,
}

/// Prefix sums for O(1) segment costs.
struct Prefix {
    w: Vec<f64>,
    wx: Vec<f64>,
    wxx: Vec<f64>,
}

impl Prefix {
    fn new(x: &[f64], w: &[f64]) -> Prefix {
        let n = x.len();
        let (mut pw, mut pwx, mut pwxx) = (vec![0.0; n + 1], vec![0.0; n + 1], vec![0.0; n + 1]);
        for i in 0..n {
            pw[i + 1] = pw[i] + w[i];
            pwx[i + 1] = pwx[i] + w[i] * x[i];
            pwxx[i + 1] = pwxx[i] + w[i] * x[i] * x[i];
        }
        Prefix { w: pw, wx: pwx, wxx: pwxx }
    }
    /// Cost of x[s..t].
    fn cost(&self, s: usize, t: usize) -> f64 {
        let w = self.w[t] - self.w[s];
        if w <= 0.0 {
            return 0.0;
        }
        let wx = self.wx[t] - self.wx[s];
        let wxx = self.wxx[t] - self.wxx[s];
        (wxx - wx * wx / w).max(0.0)
    }
    fn mean(&self, s: usize, t: usize) -> f64 {
        let w = self.w[t] - self.w[s];
        if w > 0.0 { (self.wx[t] - self.wx[s]) / w } else { 0.0 }
    }
}

/// PELT change points of a signal: the ends of all segments but the last (indexes into `x`
/// where a new segment starts), as ruptures' `predict` gives them without the final `n`.
pub(crate) fn pelt(x: &[f64], w: &[f64], penalty: f64, min_size: usize) -> Vec<usize> {
    let n = x.len();
    let min_size = min_size.max(1);
    if n < 2 * min_size {
        return Vec::new();
    }
    let p = Prefix::new(x, w);
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = 0.0;
    let mut admissible: Vec<usize> = Vec::new();
    for t in min_size..=n {
        // A new candidate start: the segment before it must itself be long enough.
        let cand = t - min_size;
        if cand == 0 || cand >= min_size {
            admissible.push(cand);
        }
        let mut best = f64::INFINITY;
        let mut arg = 0;
        let mut costs = Vec::with_capacity(admissible.len());
        for &s in &admissible {
            let v = f[s] + p.cost(s, t) + penalty;
            costs.push(v);
            if v < best {
                best = v;
                arg = s;
            }
        }
        f[t] = best;
        last[t] = arg;
        // Prune starts that can never be optimal again.
        let keep: Vec<usize> =
            admissible.iter().zip(&costs).filter(|(_, c)| **c <= best + penalty).map(|(s, _)| *s).collect();
        admissible = keep;
    }
    let mut cps = Vec::new();
    let mut t = n;
    while t > 0 {
        let s = last[t];
        if s > 0 {
            cps.push(s);
        }
        t = s;
    }
    cps.reverse();
    cps
}

/// The default penalty from the signal alone: `3 σ̂² w̄ ln n`, `σ̂` from successive differences.
pub(crate) fn default_penalty(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    if n < MIN_PERIODS {
        return f64::INFINITY;
    }
    let mut d: Vec<f64> = x.windows(2).map(|p| (p[1] - p[0]).abs()).collect();
    d.sort_by(|a, b| a.total_cmp(b));
    let med = d[d.len() / 2];
    let sigma = 1.4826 * med / std::f64::consts::SQRT_2;
    // A perfectly flat signal has no noise to measure; any real change is then significant.
    let sigma2 = if sigma > 0.0 { sigma * sigma } else { 1e-6 };
    let wbar = w.iter().sum::<f64>() / n as f64;
    3.0 * sigma2 * wbar * (n as f64).ln()
}

/// Pooled within-period variance of single events' Goldstein values, when periods hold several
/// events (`None` otherwise).
fn within_variance(
    view: &StoreView,
    a: &ActorSel,
    b: &ActorSel,
    series: &Series,
    sopts: &SeriesOptions,
) -> Option<f64> {
    let (first, last) = (series.points.first()?, series.points.last()?);
    let to = sopts.freq.next(last.period).add_days(-1);
    let starts: Vec<i32> = series.points.iter().map(|p| p.period.days()).collect();
    let mut acc = vec![(0.0f64, 0.0f64, 0usize); starts.len()];
    for (day, r) in dyad_rows(view, a, b, sopts.directed, sopts.exact, first.period, to) {
        let Some(e) = view.row_brief(r) else { continue };
        if e.planned || (sopts.drop_low_info && e.root <= 2) {
            continue;
        }
        let i = starts.partition_point(|&s| s <= day).saturating_sub(1);
        acc[i].0 += e.goldstein;
        acc[i].1 += e.goldstein * e.goldstein;
        acc[i].2 += 1;
    }
    let (mut ss, mut df) = (0.0, 0usize);
    for &(s, s2, n) in &acc {
        if n > 1 {
            ss += s2 - s * s / n as f64;
            df += n - 1;
        }
    }
    (df > 0).then(|| (ss / df as f64).max(1e-6))
}

/// A change found in a series: where, which way, the means either side, and the periods around
/// it whose events explain it.
struct Change {
    period: Date,
    thaw: bool,
    before: f64,
    after: f64,
    from: Date,
    to: Date,
}

/// The changes of a series. `variance` gives the pooled within-period variance of single events,
/// which the weighted default penalty needs (`None` when unknown).
fn changes(
    series: &Series,
    sopts: &SeriesOptions,
    opts: &ShiftOptions,
    variance: impl FnOnce() -> Option<f64>,
) -> Result<Vec<Change>> {
    if opts.penalty.is_some_and(|p| p.is_nan() || p < 0.0) {
        return Err(Error::invalid("penalty", "the penalty must be a non-negative number"));
    }
    if opts.min_size == 0 {
        return Err(Error::invalid("min_size", "segments need at least one period"));
    }
    let idx: Vec<usize> = (0..series.points.len()).filter(|&i| series.points[i].count > 0).collect();
    let x: Vec<f64> = idx.iter().map(|&i| series.points[i].goldstein_mean).collect();
    let w: Vec<f64> = idx.iter().map(|&i| if opts.weighted { series.points[i].count as f64 } else { 1.0 }).collect();
    let penalty = match (opts.penalty, opts.weighted) {
        (Some(p), _) => p,
        (None, true) => match variance() {
            Some(v) if x.len() >= MIN_PERIODS => 3.0 * v * (x.len() as f64).ln(),
            _ => default_penalty(&x, &w),
        },
        (None, false) => default_penalty(&x, &w),
    };
    let cps = pelt(&x, &w, penalty, opts.min_size);
    let p = Prefix::new(&x, &w);
    let mut bounds = vec![0];
    bounds.extend(&cps);
    bounds.push(x.len());
    let mut out = Vec::new();
    for k in 1..bounds.len() - 1 {
        let (s0, c, s1) = (bounds[k - 1], bounds[k], bounds[k + 1]);
        let (before, after) = (p.mean(s0, c), p.mean(c, s1));
        // The periods around the change.
        let lo = idx[c.saturating_sub(opts.window)];
        let hi = idx[(c + opts.window).min(idx.len()) - 1].max(idx[c]);
        out.push(Change {
            period: series.points[idx[c]].period,
            thaw: after > before,
            before,
            after,
            from: series.points[lo].period,
            to: sopts.freq.next(series.points[hi].period).add_days(-1),
        });
    }
    Ok(out)
}

impl Change {
    fn into_shift(self, events: Vec<Evidence>) -> Shift {
        Shift {
            period: self.period,
            direction: if self.thaw { "thaw" } else { "freeze" }.to_string(),
            magnitude: (self.after - self.before).abs(),
            before: self.before,
            after: self.after,
            events,
        }
    }
}

/// Finds the shifts of a series and explains each with the events around it.
pub fn shifts(
    view: &StoreView,
    a: &ActorSel,
    b: &ActorSel,
    series: &Series,
    sopts: &SeriesOptions,
    opts: &ShiftOptions,
) -> Result<Vec<Shift>> {
    let changes = changes(series, sopts, opts, || within_variance(view, a, b, series, sopts))?;
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let thaw = change.thaw;
        let mut evidence: Vec<Evidence> = dyad_rows(view, a, b, sopts.directed, sopts.exact, change.from, change.to)
            .into_iter()
            .filter_map(|(_, r)| view.event(r))
            .filter(|e| !e.planned && if thaw { e.goldstein > 0.0 } else { e.goldstein < 0.0 })
            .map(|e| Evidence {
                weight: e.goldstein.abs() * e.mentions as f64,
                id: e.id,
                date: e.date,
                source: e.source,
                target: e.target,
                code: e.code,
                goldstein: e.goldstein,
                mentions: e.mentions,
                doc_id: e.doc_id,
                sentence: e.sentence,
                evidence: e.evidence,
            })
            .collect();
        evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.date.cmp(&b.date)).then(a.id.cmp(&b.id)));
        evidence.truncate(opts.top_events);
        out.push(change.into_shift(evidence));
    }
    Ok(out)
}

/// Shifts from aggregates that travelled (a Spark or Dask job's).
impl crate::aggregates::AggregateSet {
    /// The shifts of two country codes' relation: the same periods, directions and sizes a store
    /// of the same events gives, without the events that explain them (those need the events:
    /// `events` is empty). The default penalty of a weighted search is made from single events'
    /// Goldstein values, which sums do not hold: it is refused; give a `penalty`, or search
    /// unweighted.
    pub fn shifts(&self, a: &str, b: &str, sopts: &SeriesOptions, opts: &ShiftOptions) -> Result<Vec<Shift>> {
        if opts.weighted && opts.penalty.is_none() {
            return Err(Error::invalid(
                "penalty",
                "the default penalty of a weighted search needs each event's Goldstein value, which aggregates \
                 do not keep: give a penalty, search unweighted, or ask a Model of the events",
            ));
        }
        let series = self.relation(a, b, sopts)?;
        Ok(changes(&series, sopts, opts, || None)?.into_iter().map(|c| c.into_shift(Vec::new())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(x: &[f64], pen: f64, min: usize) -> (f64, Vec<usize>) {
        // Optimal partitioning without pruning, for checking PELT.
        let w = vec![1.0; x.len()];
        let p = Prefix::new(x, &w);
        let n = x.len();
        let mut f = vec![f64::INFINITY; n + 1];
        let mut last = vec![0; n + 1];
        f[0] = 0.0;
        for t in min..=n {
            for s in (0..=t - min).filter(|&s| s == 0 || s >= min) {
                let v = f[s] + p.cost(s, t) + pen;
                if v < f[t] {
                    f[t] = v;
                    last[t] = s;
                }
            }
        }
        let mut cps = Vec::new();
        let mut t = n;
        while t > 0 {
            if last[t] > 0 {
                cps.push(last[t]);
            }
            t = last[t];
        }
        cps.reverse();
        (f[n], cps)
    }

    #[test]
    fn pelt_equals_optimal_partitioning() {
        let mut seed = 7u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 1000) as f64 / 1000.0 - 0.5
        };
        for _ in 0..50 {
            let x: Vec<f64> = (0..60).map(|i| if i < 20 { 1.0 } else if i < 40 { -2.0 } else { 0.5 } + rnd()).collect();
            let w = vec![1.0; x.len()];
            let pen = 3.0;
            let got = pelt(&x, &w, pen, 2);
            let (_, want) = brute(&x, pen, 2);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn finds_known_changes_and_none_on_flat_noise() {
        let mut seed = 11u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 1000) as f64 / 1000.0 - 0.5
        };
        let x: Vec<f64> = (0..90).map(|i| if i < 30 { -4.0 } else if i < 60 { 3.0 } else { -1.0 } + rnd()).collect();
        let w = vec![5.0; x.len()];
        let cps = pelt(&x, &w, default_penalty(&x, &w), 2);
        assert_eq!(cps.len(), 2, "{cps:?}");
        assert!(cps[0].abs_diff(30) <= 1 && cps[1].abs_diff(60) <= 1, "{cps:?}");
        let flat: Vec<f64> = (0..90).map(|_| 1.0 + rnd()).collect();
        assert!(pelt(&flat, &w, default_penalty(&flat, &w), 2).is_empty());
    }
}
