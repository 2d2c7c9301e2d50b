//! Bueno de Mesquita's expected-utility model (EUM) of one issue, as Scholz, Calbert & Smith
//! (2011) reconstruct it: each round every actor's risk exponent is set from how exposed its
//! position is, every actor weighs challenging every other, and each accepts the offer it prefers
//! (confrontation, compromise, capitulation); all moves land together at the round's end.
//!
//! Every choice on which accounts differ is an option of [`EumProfile`]; the default profile
//! reproduces the published trajectory. A run keeps a per-round trace — risk exponents, the
//! probabilities of success, both expected-utility matrices, the offers made and accepted — from
//! which Bueno de Mesquita's perspective chart of any actor and round is read.

mod profile;
#[cfg(test)]
mod tests;

pub use profile::{
    Centre, CompromisePoint, DecisionRule, Drift, EUM_PROFILES, EumProfile, MedianRule, OPTION_KEYS, OfferChoice,
    PerceivedRisk, Probability, Range, ResistSalience, RiskGuard, Stopping, VoterUtility,
};

use super::{Scenario, weighted_median};
use crate::error::{Error, Result};

/// The kind of an offer, in the order an actor prefers to accept them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OfferKind {
    /// Both expect to gain from challenging, the proposer more: the receiver gives in fully.
    Confrontation,
    /// The receiver expects to lose, but less than the proposer gains: it concedes part way.
    Compromise,
    /// The receiver expects to lose more than the proposer gains: it gives in fully.
    Capitulation,
}

impl OfferKind {
    /// The kind's name in results: `confrontation`, `compromise`, `capitulation`.
    pub fn name(self) -> &'static str {
        match self {
            OfferKind::Confrontation => "confrontation",
            OfferKind::Compromise => "compromise",
            OfferKind::Capitulation => "capitulation",
        }
    }
}

/// An offer one actor makes another in a round, as the receiver sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    /// The actor that would move (its index in the run's actors).
    pub receiver: usize,
    /// The actor whose challenge prompts it.
    pub proposer: usize,
    /// What kind of offer it is.
    pub kind: OfferKind,
    /// The receiver's expected utility of challenging the proposer, E^i(U_ij).
    pub eu_self: f64,
    /// The proposer's expected utility of challenging the receiver, as the receiver sees it,
    /// E^i(U_ji).
    pub eu_other: f64,
    /// Where the receiver would move to.
    pub position: f64,
}

/// One round of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct EumRound {
    /// The round's number, from 1.
    pub round: usize,
    /// Each actor's risk exponent r this round, in [0.5, 2].
    pub risk: Vec<f64>,
    /// P[i][j]: the probability that i prevails when it challenges j (0 on the diagonal).
    pub probability: Vec<Vec<f64>>,
    /// E^i(U_ij): i's expected utility of challenging j (0 on the diagonal).
    pub eu_challenge: Vec<Vec<f64>>,
    /// E^i(U_ji): j's expected utility of challenging i, as i estimates it (0 on the diagonal).
    pub eu_challenged: Vec<Vec<f64>>,
    /// Every offer made this round, by receiver and then proposer.
    pub offers: Vec<Offer>,
    /// The offer each actor accepted, if any.
    pub accepted: Vec<Option<Offer>>,
    /// The positions after the round's moves.
    pub positions: Vec<f64>,
    /// The weighted median of those positions.
    pub median: f64,
    /// Their capability × salience-weighted mean.
    pub mean: f64,
}

/// One actor's view of the others in a round: Bueno de Mesquita's perspective chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PerspectivePoint {
    /// The other actor.
    pub other: String,
    /// x: the actor's expected utility of challenging the other, E^i(U_ij).
    pub challenge: f64,
    /// y: the other's expected utility of challenging the actor, as the actor sees it, E^i(U_ji).
    pub challenged: f64,
}

/// A run of the model on one issue, with everything needed to reproduce it.
#[derive(Debug, Clone, PartialEq)]
pub struct EumRun {
    /// The issue's id.
    pub issue: String,
    /// The profile the run used.
    pub profile: EumProfile,
    /// detente's version.
    pub version: &'static str,
    /// The actors, in the scenario's order.
    pub actors: Vec<String>,
    /// Their positions before the first round.
    pub initial: Vec<f64>,
    /// The weighted median before the first round.
    pub initial_median: f64,
    /// The weighted mean before the first round.
    pub initial_mean: f64,
    /// The rounds played.
    pub rounds: Vec<EumRound>,
    /// Where the issue lands by the profile's decision rule, after the last round.
    pub forecast: f64,
}

impl EumRun {
    /// The positions after `round` (0: the initial positions), if the run got that far.
    pub fn positions(&self, round: usize) -> Option<&[f64]> {
        match round {
            0 => Some(&self.initial),
            k => self.rounds.get(k - 1).map(|r| r.positions.as_slice()),
        }
    }

    /// The weighted mean after each round, from round 0.
    pub fn means(&self) -> Vec<f64> {
        std::iter::once(self.initial_mean).chain(self.rounds.iter().map(|r| r.mean)).collect()
    }

    /// The weighted median after each round, from round 0.
    pub fn medians(&self) -> Vec<f64> {
        std::iter::once(self.initial_median).chain(self.rounds.iter().map(|r| r.median)).collect()
    }

    /// `actor`'s perspective chart in `round` (from 1): where it places every other actor, as
    /// the round's risk exponents make it see them.
    pub fn perspective(&self, actor: &str, round: usize) -> Result<Vec<PerspectivePoint>> {
        let i = self
            .actors
            .iter()
            .position(|a| a == actor)
            .ok_or_else(|| Error::invalid("actor", format!("no actor `{actor}` on `{}`", self.issue)))?;
        let r = round.checked_sub(1).and_then(|k| self.rounds.get(k)).ok_or_else(|| {
            Error::invalid("round", format!("round {round} is not among the run's rounds 1 to {}", self.rounds.len()))
        })?;
        Ok((0..self.actors.len())
            .filter(|&j| j != i)
            .map(|j| PerspectivePoint {
                other: self.actors[j].clone(),
                challenge: r.eu_challenge[i][j],
                challenged: r.eu_challenged[i][j],
            })
            .collect())
    }
}

/// Runs the expected-utility model as a request names it: on `issue` (default: the scenario's
/// first), under the built-in `profile` with `options` changed (see [`EumProfile::set`]).
pub fn run_eum_named<K: AsRef<str>, V: AsRef<str>>(
    scenario: &Scenario,
    issue: Option<&str>,
    profile: &str,
    options: &[(K, V)],
) -> Result<EumRun> {
    let issue = scenario.issue(issue)?.id.clone();
    run_eum(scenario, &issue, &EumProfile::with_options(profile, options)?)
}

/// Runs the expected-utility model on `issue` of the scenario under `profile`.
pub fn run_eum(scenario: &Scenario, issue: &str, profile: &EumProfile) -> Result<EumRun> {
    check_rounds(profile)?;
    let model = Model::of(scenario, issue, profile)?;
    let initial = model.start.clone();
    let (initial_median, initial_mean) = (model.median(&initial), model.mean(&initial));
    let rounds = model.play(true);
    let last = rounds.last().map(|r| r.positions.as_slice()).unwrap_or(&initial);
    let forecast = model.forecast(last);
    Ok(EumRun {
        issue: issue.to_string(),
        profile: profile.clone(),
        version: env!("CARGO_PKG_VERSION"),
        actors: scenario.stances_on(issue).map(|s| s.actor.clone()).collect(),
        initial,
        initial_median,
        initial_mean,
        rounds,
        forecast,
    })
}

/// The forecast alone, with no trace kept: what a Monte Carlo draw needs.
pub(super) fn eum_forecast(scenario: &Scenario, issue: &str, profile: &EumProfile) -> Result<f64> {
    check_rounds(profile)?;
    let model = Model::of(scenario, issue, profile)?;
    let rounds = model.play(false);
    Ok(model.forecast(rounds.last().map(|r| r.positions.as_slice()).unwrap_or(&model.start)))
}

fn check_rounds(profile: &EumProfile) -> Result<()> {
    let rounds = match profile.stopping {
        Stopping::Rounds(n) | Stopping::Converged { max_rounds: n, .. } => n,
    };
    if rounds > super::MAX_ROUNDS {
        return Err(Error::invalid("profile.rounds", format!("{rounds} rounds is more than {}", super::MAX_ROUNDS)));
    }
    Ok(())
}

/// The numbers a run works on: capability × salience, salience and positions per actor.
struct Model<'a> {
    profile: &'a EumProfile,
    salience: Vec<f64>,
    weight: Vec<f64>,
    start: Vec<f64>,
    /// Δ when it does not follow the positions: the initial spread or the issue's scale.
    fixed_range: f64,
}

/// The matrices of a round, flat and row-major.
struct Matrices {
    n: usize,
    probability: Vec<f64>,
    challenge: Vec<f64>,
    challenged: Vec<f64>,
}

impl Matrices {
    fn rows(values: &[f64], n: usize) -> Vec<Vec<f64>> {
        values.chunks(n.max(1)).map(<[f64]>::to_vec).collect()
    }
}

impl<'a> Model<'a> {
    fn of(scenario: &Scenario, issue: &str, profile: &'a EumProfile) -> Result<Model<'a>> {
        let Some(spec) = scenario.issues().iter().find(|i| i.id == issue) else {
            return Err(Error::invalid("issue", format!("no issue `{issue}` in the scenario")));
        };
        let stances: Vec<_> = scenario.stances_on(issue).collect();
        let start: Vec<f64> = stances.iter().map(|s| s.position).collect();
        let fixed_range = match profile.range {
            Range::IssueScale => spec.max - spec.min,
            Range::InitialPositions | Range::CurrentPositions => spread(&start),
        };
        Ok(Model {
            profile,
            salience: stances.iter().map(|s| s.salience).collect(),
            weight: stances.iter().map(|s| s.capability * s.salience).collect(),
            start,
            fixed_range,
        })
    }

    fn n(&self) -> usize {
        self.start.len()
    }

    fn range(&self, x: &[f64]) -> f64 {
        match self.profile.range {
            Range::CurrentPositions => spread(x),
            Range::InitialPositions | Range::IssueScale => self.fixed_range,
        }
    }

    fn mean(&self, x: &[f64]) -> f64 {
        let total: f64 = self.weight.iter().sum();
        x.iter().zip(&self.weight).map(|(x, w)| x * w).sum::<f64>() / total
    }

    fn median(&self, x: &[f64]) -> f64 {
        match self.profile.median {
            MedianRule::Weighted => {
                weighted_median(&x.iter().copied().zip(self.weight.iter().copied()).collect::<Vec<_>>())
            }
            MedianRule::KingOfTheHill => {
                let mut incumbent = x[0];
                let mut seen: Vec<f64> = vec![x[0]];
                for &p in &x[1..] {
                    if seen.contains(&p) {
                        continue;
                    }
                    seen.push(p);
                    let votes: f64 =
                        x.iter().zip(&self.weight).map(|(xk, w)| w * ((xk - incumbent).abs() - (xk - p).abs())).sum();
                    if votes > 0.0 {
                        incumbent = p;
                    }
                }
                incumbent
            }
        }
    }

    fn forecast(&self, x: &[f64]) -> f64 {
        match self.profile.decision {
            DecisionRule::Median => self.median(x),
            DecisionRule::Mean => self.mean(x),
        }
    }

    /// Plays the rounds the profile's stopping rule allows; with `trace` off, only positions,
    /// median and mean are kept.
    fn play(&self, trace: bool) -> Vec<EumRound> {
        let (max_rounds, tolerance) = match self.profile.stopping {
            Stopping::Rounds(n) => (n, None),
            Stopping::Converged { tolerance, max_rounds } => (max_rounds, Some(tolerance)),
        };
        let mut x = self.start.clone();
        let mut previous = self.forecast(&x);
        let mut rounds = Vec::with_capacity(max_rounds);
        for round in 1..=max_rounds {
            let record = self.round(round, &x, trace);
            x.clone_from(&record.positions);
            rounds.push(record);
            let now = self.forecast(&x);
            if tolerance.is_some_and(|t| (now - previous).abs() <= t) {
                break;
            }
            previous = now;
        }
        rounds
    }

    fn round(&self, round: usize, x: &[f64], trace: bool) -> EumRound {
        let n = self.n();
        let delta = self.range(x);
        let centre = match self.profile.centre {
            Centre::Median => self.median(x),
            Centre::Mean => self.mean(x),
        };
        let risk = self.risk(x, delta, centre);
        let m = self.matrices(x, &risk, delta, centre);
        let offers = self.offers(x, &m, delta);
        let accepted: Vec<Option<Offer>> = (0..n).map(|i| self.choose(x, &offers, i, delta)).collect();
        let positions: Vec<f64> =
            x.iter().zip(&accepted).map(|(&xi, offer)| offer.map_or(xi, |o| o.position)).collect();
        let (median, mean) = (self.median(&positions), self.mean(&positions));
        let keep = |v: &[f64]| if trace { Matrices::rows(v, n) } else { Vec::new() };
        EumRound {
            round,
            probability: keep(&m.probability),
            eu_challenge: keep(&m.challenge),
            eu_challenged: keep(&m.challenged),
            risk,
            offers: if trace { offers } else { Vec::new() },
            accepted,
            positions,
            median,
            mean,
        }
    }

    /// Step 6: each actor's risk exponent from how much the others expect to gain by challenging
    /// it, all computed risk-neutral, scaled between the least and most exposed actor.
    fn risk(&self, x: &[f64], delta: f64, centre: f64) -> Vec<f64> {
        let n = self.n();
        let neutral = vec![1.0; n];
        let m = self.matrices(x, &neutral, delta, centre);
        let danger: Vec<f64> =
            (0..n).map(|i| (0..n).filter(|&j| j != i).map(|j| m.challenged[i * n + j]).sum()).collect();
        let max = danger.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = danger.iter().copied().fold(f64::INFINITY, f64::min);
        let spread = match self.profile.risk_guard {
            RiskGuard::Neutral if max - min > 0.0 => max - min,
            RiskGuard::Neutral => return neutral,
            RiskGuard::MinSpread(floor) => (max - min).max(floor),
        };
        danger
            .iter()
            .map(|d| {
                let big_r = (2.0 * d - max - min) / spread;
                (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
            })
            .collect()
    }

    /// Steps 3–5: P, E^i(U_ij) and E^i(U_ji) for every ordered pair under risk exponents `r`.
    fn matrices(&self, x: &[f64], r: &[f64], delta: f64, centre: f64) -> Matrices {
        let n = self.n();
        let distance = |a: f64, b: f64| if delta > 0.0 { (a - b).abs() / delta } else { 0.0 };
        // Every power below is v^r with v from a pair of positions and r from an actor, and
        // actors often share positions: each power is taken once per actor and distinct
        // position (powf is most of a run's time, and a Monte Carlo runs thousands).
        let mut distinct: Vec<f64> = Vec::with_capacity(n);
        let slot: Vec<usize> = x
            .iter()
            .map(|&xa| {
                distinct.iter().position(|&p| p == xa).unwrap_or_else(|| {
                    distinct.push(xa);
                    distinct.len() - 1
                })
            })
            .collect();
        let m = distinct.len();
        // How many actors hold each distinct position.
        let mut count = vec![0.0; m];
        for &p in &slot {
            count[p] += 1.0;
        }
        // How far each voter k finds each distinct position p, in its own utility (A2).
        let mut far = vec![0.0; n * m];
        for k in 0..n {
            let power = match self.profile.voter_utility {
                VoterUtility::RiskAdjusted => r[k],
                VoterUtility::Linear => 1.0,
            };
            for (p, &xp) in distinct.iter().enumerate() {
                far[k * m + p] = pow(distance(x[k], xp), power);
            }
        }
        // v^k_pq = c_k s_k (far_k(q) − far_k(p)): positive when k prefers position p. Votes
        // depend on positions only, so they are summed per pair of distinct positions.
        let vote = |k: usize, p: usize, q: usize| self.weight[k] * (far[k * m + q] - far[k * m + p]);
        let global: f64 = match self.profile.probability {
            // Over every voter and every ordered pair of actors (actors sharing a position
            // counted as often as they are).
            Probability::GlobalShare => (0..n)
                .map(|k| {
                    (0..m).map(|p| (0..m).map(|q| count[p] * count[q] * vote(k, p, q).abs()).sum::<f64>()).sum::<f64>()
                })
                .sum(),
            Probability::PairShare | Probability::NetSupport => 0.0,
        };
        let mut by_positions = vec![0.0; m * m];
        for p in 0..m {
            for q in (0..m).filter(|&q| q != p && !same(distinct[p], distinct[q], delta)) {
                let (mut positive, mut absolute, mut net) = (0.0, 0.0, 0.0);
                for k in 0..n {
                    let v = vote(k, p, q);
                    positive += v.max(0.0);
                    absolute += v.abs();
                    net += v;
                }
                let (top, bottom) = match self.profile.probability {
                    Probability::PairShare => (positive, absolute),
                    Probability::GlobalShare => (positive, global),
                    Probability::NetSupport => (net.max(0.0), absolute),
                };
                by_positions[p * m + q] = if bottom > 0.0 { top / bottom } else { 0.0 };
            }
        }
        let mut probability = vec![0.0; n * n];
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                probability[i * n + j] = by_positions[slot[i] * m + slot[j]];
            }
        }
        let mut challenge = vec![0.0; n * n];
        let mut challenged = vec![0.0; n * n];
        // U_sq depends on r alone; U_s and U_f on r and the pair's distance, which both of a
        // pair's estimates share when both are made with the perceiver's r: computed once each.
        let status_quo: Vec<f64> = r.iter().map(|&ri| 2.0 - 4.0 * pow(0.5, ri)).collect();
        let outcomes: Vec<Outcomes> = (0..n)
            .flat_map(|i| distinct.iter().map(move |&p| (i, p)))
            .map(|(i, p)| Outcomes::of(r[i], distance(x[i], p), status_quo[i]))
            .collect();
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let own = outcomes[i * m + slot[j]];
                challenge[i * n + j] =
                    self.expected(own, distance(x[i], centre), probability[i * n + j], self.salience[j]);
                let theirs = match self.profile.perceived_risk {
                    PerceivedRisk::Perceiver => own,
                    PerceivedRisk::Challenger => outcomes[j * m + slot[i]],
                };
                let resist = match self.profile.resist_salience {
                    ResistSalience::Target => self.salience[i],
                    ResistSalience::AsPrinted => self.salience[j],
                };
                challenged[i * n + j] = self.expected(theirs, distance(x[j], centre), probability[j * n + i], resist);
            }
        }
        Matrices { n, probability, challenge, challenged }
    }

    /// Step 5: a challenger's expected utility of a challenge with outcomes `o` that succeeds
    /// with probability `p`, the target resisting with probability `resist`; `centre_gap` is the
    /// challenger's distance from the forecast (over Δ), which matters only when Q < 1.
    fn expected(&self, o: Outcomes, centre_gap: f64, p: f64, resist: f64) -> f64 {
        let q = self.profile.q;
        let mut status_quo = q * o.status_quo;
        if q < 1.0 {
            let utility = |v: f64| 2.0 - 4.0 * pow(v, o.r);
            let spread = centre_gap + o.d;
            let t = match self.profile.drift {
                Drift::Fixed(t) => t,
                Drift::Eftekhari => f64::from(u8::from(centre_gap < o.d)),
            };
            let better = utility(0.5 - 0.25 * spread);
            let worse = utility(0.5 + 0.25 * spread);
            status_quo += (1.0 - q) * (t * better + (1.0 - t) * worse);
        }
        resist * (p * o.success + (1.0 - p) * o.failure) + (1.0 - resist) * o.success - status_quo
    }

    /// Step 8: the offers each actor receives, by receiver and then proposer.
    fn offers(&self, x: &[f64], m: &Matrices, delta: f64) -> Vec<Offer> {
        let n = m.n;
        let mut offers = Vec::new();
        // a > b beyond rounding.
        let above = |a: f64, b: f64| a - b > TIE;
        for i in 0..n {
            for j in 0..n {
                if i == j || same(x[i], x[j], delta) {
                    continue;
                }
                let (a, b) = (m.challenge[i * n + j], m.challenged[i * n + j]);
                let kind = if above(b, a) && above(a, 0.0) {
                    OfferKind::Confrontation
                } else if above(b, 0.0) && above(0.0, a) && above(b, a.abs()) {
                    OfferKind::Compromise
                } else if self.profile.capitulation && above(b, 0.0) && above(0.0, a) && above(a.abs(), b) {
                    OfferKind::Capitulation
                } else {
                    continue;
                };
                let position = match kind {
                    OfferKind::Compromise => match self.profile.compromise {
                        CompromisePoint::Proportional => x[i] + (x[j] - x[i]) * (a / b).abs(),
                        CompromisePoint::Weighted => weighted_point(a, x[i], b, x[j]),
                    },
                    OfferKind::Confrontation | OfferKind::Capitulation => x[j],
                };
                offers.push(Offer { receiver: i, proposer: j, kind, eu_self: a, eu_other: b, position });
            }
        }
        offers
    }

    /// Step 9: the offer actor `i` accepts — the most pressing kind, and within it the least
    /// move (or, for compromises under Scholz's code, the lowest weighted point); the first
    /// proposer wins a tie.
    fn choose(&self, x: &[f64], offers: &[Offer], i: usize, delta: f64) -> Option<Offer> {
        let mine = offers.iter().filter(|o| o.receiver == i);
        let kind = mine.clone().map(|o| o.kind).min()?;
        let key = |o: &Offer| match (kind, self.profile.choice) {
            (OfferKind::Compromise, OfferChoice::ScholzCode) => {
                weighted_point(o.eu_self, x[i], o.eu_other, x[o.proposer])
            }
            _ => (x[i] - o.position).abs(),
        };
        let mut best: Option<&Offer> = None;
        for o in mine.filter(|o| o.kind == kind) {
            if best.is_none_or(|b| key(b) - key(o) > TIE * delta.max(f64::MIN_POSITIVE)) {
                best = Some(o);
            }
        }
        best.copied()
    }
}

/// Step 3's utilities of a challenge: judged with risk exponent `r`, over a distance `d`
/// between the positions (over Δ).
#[derive(Clone, Copy)]
struct Outcomes {
    r: f64,
    d: f64,
    success: f64,
    failure: f64,
    status_quo: f64,
}

impl Outcomes {
    fn of(r: f64, d: f64, status_quo: f64) -> Outcomes {
        let utility = |v: f64| 2.0 - 4.0 * pow(v, r);
        Outcomes { r, d, success: utility(0.5 - 0.5 * d), failure: utility(0.5 + 0.5 * d), status_quo }
    }
}

/// (|a|·x_i + |b|·x_j)/(|a| + |b|).
fn weighted_point(a: f64, xi: f64, b: f64, xj: f64) -> f64 {
    (a.abs() * xi + b.abs() * xj) / (a.abs() + b.abs())
}

/// Two positions the same, to rounding, on a scale of range Δ.
fn same(a: f64, b: f64, delta: f64) -> bool {
    (a - b).abs() <= TIE * delta
}

fn spread(x: &[f64]) -> f64 {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = x.iter().copied().fold(f64::INFINITY, f64::min);
    max - min
}

/// How close two numbers (positions over Δ, expected utilities, choice keys) must be to count as
/// equal: exact ties of the data stay ties, and rounding alone never decides who moves — which
/// keeps results the same in any units of the scale.
const TIE: f64 = 1e-12;

/// v^r, exact when r = 1 (the risk-neutral pass, and linear voters, need no powf).
fn pow(v: f64, r: f64) -> f64 {
    if r == 1.0 { v } else { v.powf(r) }
}
