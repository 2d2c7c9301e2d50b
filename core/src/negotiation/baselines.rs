//! The baselines a negotiation forecast is judged against: where the issue would land if each
//! actor simply pulled with its weight.

use super::Scenario;

/// An issue's baselines.
#[derive(Debug, Clone, PartialEq)]
pub struct Baselines {
    /// The issue's id.
    pub issue: String,
    /// The plain mean of the positions.
    pub mean: f64,
    /// The mean weighted by salience.
    pub salience_mean: f64,
    /// The mean weighted by capability × salience: the "compromise model" of the EU literature,
    /// the mean the expected-utility model reports each round.
    pub power_mean: f64,
    /// The median weighted by capability × salience: the position that beats every other in
    /// pairwise votes (the median voter), the expected-utility model's forecast.
    pub power_median: f64,
}

/// The baselines of every issue of a scenario, in its order.
pub fn baselines(s: &Scenario) -> Vec<Baselines> {
    s.issues()
        .iter()
        .map(|issue| {
            let on: Vec<_> = s.stances_on(&issue.id).collect();
            let mean_by = |weight: &dyn Fn(&super::Stance) -> f64| {
                let total: f64 = on.iter().map(|x| weight(x)).sum();
                on.iter().map(|x| weight(x) * x.position).sum::<f64>() / total
            };
            let power: Vec<(f64, f64)> = on.iter().map(|x| (x.position, x.capability * x.salience)).collect();
            Baselines {
                issue: issue.id.clone(),
                mean: mean_by(&|_| 1.0),
                // A scenario has some capability × salience on every issue, hence some salience.
                salience_mean: mean_by(&|x| x.salience),
                power_mean: mean_by(&|x| x.capability * x.salience),
                power_median: weighted_median(&power),
            }
        })
        .collect()
}

/// The weighted median of (position, weight) points: the lowest position at which the weight
/// at or below it reaches half the total. NaN when no point has weight.
pub fn weighted_median(points: &[(f64, f64)]) -> f64 {
    let mut sorted: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1 > 0.0).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = sorted.iter().map(|p| p.1).sum();
    let mut below = 0.0;
    for (position, weight) in sorted {
        below += weight;
        if below >= total / 2.0 {
            return position;
        }
    }
    f64::NAN
}
