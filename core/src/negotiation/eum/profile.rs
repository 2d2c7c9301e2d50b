//! The expected-utility model's profile: every choice on which published accounts and open
//! implementations of the model differ (A1–A13 of the reference notes), each an explicit option,
//! with the two built-in profiles. Nothing here is silent: a run records the profile it used.

use crate::error::{Error, Result};

/// A1: how the probability that a challenger prevails over a target is computed from the votes
/// v^k_ij of every actor k between the two positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probability {
    /// The paper's formula: the positive votes over the sum of the absolute votes on this pair.
    /// P_ij + P_ji = 1 (ties aside).
    PairShare,
    /// Scholz's code: the positive votes over the absolute votes of every actor on every ordered
    /// pair of actors — a global normaliser, so P is small (≈ 0.003–0.012 on the EC data). It
    /// reproduces the published trajectory and Belgium's perspective chart.
    GlobalShare,
    /// Net support: the positive part of the summed votes over the sum of the absolute votes.
    NetSupport,
}

/// A2: the voters' utility when they vote between two positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoterUtility {
    /// Linear in distance, as the paper prints it.
    Linear,
    /// Distance raised to the voter's current risk exponent (Scholz's code).
    RiskAdjusted,
}

/// A3: whose risk exponent an actor uses when it estimates another's expected utility of
/// challenging it, E^i(U_ji).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerceivedRisk {
    /// Its own: every estimate is made from the perceiver's point of view (Scholz's code).
    Perceiver,
    /// The challenger's.
    Challenger,
}

/// A4: the forecast μ inside the status-quo utilities U_b and U_w (they matter only when Q < 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Centre {
    /// The weighted median (the paper).
    Median,
    /// The weighted mean.
    Mean,
}

/// A5: T, the probability that without a challenge things move in the challenger's favour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Drift {
    /// A fixed probability in [0, 1].
    Fixed(f64),
    /// Eftekhari's rule: 1 when the challenger is closer to the forecast than to the target,
    /// else 0.
    Eftekhari,
}

/// A6: where an actor that compromises ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompromisePoint {
    /// It concedes the share |a/b| of the way to the other: x_i + (x_j − x_i)·|a/b|.
    Proportional,
    /// The expected-utility-weighted point (|a|·x_i + |b|·x_j)/(|a| + |b|).
    Weighted,
}

/// A7: which offer an actor accepts among several of the same kind (confrontation before
/// compromise before capitulation always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferChoice {
    /// The one that moves it least (the paper and Bueno de Mesquita).
    LeastMove,
    /// Scholz's code: the least move, except among compromises, where it takes the one with the
    /// lowest expected-utility-weighted point — a position, not a distance. It reproduces the
    /// published path (Belgium's round-4 jump).
    ScholzCode,
}

/// A9: the range Δ that distances are divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The spread of the initial positions, fixed for the run (every open implementation).
    InitialPositions,
    /// The spread of the current positions, recomputed each round.
    CurrentPositions,
    /// The issue's declared scale.
    IssueScale,
}

/// A10: whose salience stands for the probability that the target resists, in the mirror
/// estimate E^i(U_ji) and in the danger sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResistSalience {
    /// The target's, everywhere (what the logic needs and implementations do).
    Target,
    /// As Scholz prints the mirror equation: the challenger's salience there.
    AsPrinted,
}

/// A11: when the run stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stopping {
    /// After a fixed number of rounds (Scholz and all open ports: 10).
    Rounds(usize),
    /// When the forecast moves less than `tolerance` in a round, or after `max_rounds`.
    Converged {
        /// The change of forecast, in scale units, under which the talks have settled.
        tolerance: f64,
        /// The rounds after which the run stops regardless.
        max_rounds: usize,
    },
}

/// A12: how the median (the median voter's position) is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedianRule {
    /// The weighted median by capability × salience.
    Weighted,
    /// King of the hill: the distinct positions in order of first appearance, each replacing
    /// the incumbent when pairwise votes (linear utility) favour it — the reference code's way;
    /// the same position as the weighted median in one dimension except on exact ties.
    KingOfTheHill,
}

/// A13: what the risk update does when every actor's danger is the same (max = min).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RiskGuard {
    /// Everyone is risk-neutral (r = 1) that round.
    Neutral,
    /// The spread is taken as at least this much (one port uses 0.001).
    MinSpread(f64),
}

/// The forecast a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRule {
    /// The weighted median of the final positions (Bueno de Mesquita's forecast).
    Median,
    /// The weighted mean of the final positions (what Scholz plots).
    Mean,
}

/// Every choice of a run of the expected-utility model.
#[derive(Debug, Clone, PartialEq)]
pub struct EumProfile {
    /// The profile's name: a built-in one, or `custom` once an option is changed.
    pub name: String,
    /// A1.
    pub probability: Probability,
    /// A2.
    pub voter_utility: VoterUtility,
    /// A3.
    pub perceived_risk: PerceivedRisk,
    /// A4.
    pub centre: Centre,
    /// A5: Q, the probability that the status quo persists when nobody challenges.
    pub q: f64,
    /// A5: T.
    pub drift: Drift,
    /// A6.
    pub compromise: CompromisePoint,
    /// A7.
    pub choice: OfferChoice,
    /// A8: whether an actor that expects to lose badly capitulates (moves to the challenger).
    /// Scholz's code has this branch dead (its condition can never hold).
    pub capitulation: bool,
    /// A9.
    pub range: Range,
    /// A10.
    pub resist_salience: ResistSalience,
    /// A11.
    pub stopping: Stopping,
    /// A12.
    pub median: MedianRule,
    /// A13.
    pub risk_guard: RiskGuard,
    /// The forecast reported.
    pub decision: DecisionRule,
}

/// The names of the built-in profiles.
pub const EUM_PROFILES: [&str; 2] = ["scholz2011_code", "scholz2011_paper"];

impl Default for EumProfile {
    fn default() -> Self {
        EumProfile::scholz2011_code()
    }
}

impl EumProfile {
    /// The model as Scholz, Calbert & Smith's code computes it (as jmckib's port reproduces it):
    /// it reproduces their published trajectory of the EC case and Bueno de Mesquita's Belgium
    /// chart. The default.
    pub fn scholz2011_code() -> Self {
        EumProfile {
            name: "scholz2011_code".into(),
            probability: Probability::GlobalShare,
            voter_utility: VoterUtility::RiskAdjusted,
            perceived_risk: PerceivedRisk::Perceiver,
            centre: Centre::Median,
            q: 1.0,
            drift: Drift::Fixed(1.0),
            compromise: CompromisePoint::Proportional,
            choice: OfferChoice::ScholzCode,
            capitulation: false,
            range: Range::InitialPositions,
            resist_salience: ResistSalience::Target,
            stopping: Stopping::Rounds(10),
            median: MedianRule::Weighted,
            risk_guard: RiskGuard::Neutral,
            decision: DecisionRule::Median,
        }
    }

    /// The equations as Scholz et al. print them: the pair's share of votes, linear voters, the
    /// least move, capitulation live, the mirror equation's salience as printed.
    pub fn scholz2011_paper() -> Self {
        EumProfile {
            name: "scholz2011_paper".into(),
            probability: Probability::PairShare,
            voter_utility: VoterUtility::Linear,
            choice: OfferChoice::LeastMove,
            capitulation: true,
            resist_salience: ResistSalience::AsPrinted,
            ..EumProfile::scholz2011_code()
        }
    }

    /// The default profile's name.
    pub fn default_name() -> &'static str {
        EUM_PROFILES[0]
    }

    /// A built-in profile by name.
    pub fn named(name: &str) -> Result<Self> {
        match name {
            "scholz2011_code" => Ok(EumProfile::scholz2011_code()),
            "scholz2011_paper" => Ok(EumProfile::scholz2011_paper()),
            _ => Err(Error::invalid("profile", format!("no EUM profile `{name}` (there are {EUM_PROFILES:?})"))),
        }
    }

    /// A built-in profile with options changed, each `(key, value)` as [`EumProfile::set`]
    /// reads them.
    pub fn with_options<K: AsRef<str>, V: AsRef<str>>(name: &str, options: &[(K, V)]) -> Result<Self> {
        let mut profile = EumProfile::named(name)?;
        for (k, v) in options {
            profile.set(k.as_ref(), v.as_ref())?;
        }
        Ok(profile)
    }

    /// Changes one option by its key (`probability`, or its number `a1`) to a value written as
    /// the options are listed by [`EumProfile::options`]; the profile is then `custom`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let field = format!("profile.{key}");
        let bad = |expected: &str| Error::invalid(field.clone(), format!("`{value}` is not {expected}"));
        let number = |lo: f64, hi: f64| {
            value
                .parse::<f64>()
                .ok()
                .filter(|x| (lo..=hi).contains(x))
                .ok_or_else(|| bad(&format!("a number in {lo}..={hi}")))
        };
        let count = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=super::super::MAX_ROUNDS).contains(n))
                .ok_or_else(|| bad(&format!("a count of rounds from 1 to {}", super::super::MAX_ROUNDS)))
        };
        let max_rounds = match self.stopping {
            Stopping::Rounds(n) | Stopping::Converged { max_rounds: n, .. } => n,
        };
        match key.to_ascii_lowercase().as_str() {
            "probability" | "a1" => self.probability = pick(value, &bad)?,
            "voter_utility" | "a2" => self.voter_utility = pick(value, &bad)?,
            "perceived_risk" | "a3" => self.perceived_risk = pick(value, &bad)?,
            "centre" | "a4" => self.centre = pick(value, &bad)?,
            "q" | "a5" => self.q = number(0.0, 1.0)?,
            "t" => {
                self.drift = match value {
                    "eftekhari" => Drift::Eftekhari,
                    _ => Drift::Fixed(number(0.0, 1.0)?),
                }
            }
            "compromise" | "a6" => self.compromise = pick(value, &bad)?,
            "choice" | "a7" => self.choice = pick(value, &bad)?,
            "capitulation" | "a8" => {
                self.capitulation = match value {
                    "live" | "true" => true,
                    "dead" | "false" => false,
                    _ => return Err(bad("live or dead")),
                }
            }
            "range" | "a9" => self.range = pick(value, &bad)?,
            "resist_salience" | "a10" => self.resist_salience = pick(value, &bad)?,
            "rounds" | "a11" => {
                self.stopping = match self.stopping {
                    Stopping::Rounds(_) => Stopping::Rounds(count()?),
                    Stopping::Converged { tolerance, .. } => Stopping::Converged { tolerance, max_rounds: count()? },
                }
            }
            "tolerance" => {
                self.stopping = match value {
                    "none" => Stopping::Rounds(max_rounds),
                    _ => Stopping::Converged { tolerance: number(0.0, f64::MAX)?, max_rounds },
                };
            }
            "median" | "a12" => self.median = pick(value, &bad)?,
            "risk_guard" | "a13" => {
                self.risk_guard = match value {
                    "neutral" => RiskGuard::Neutral,
                    _ => RiskGuard::MinSpread(
                        value
                            .parse::<f64>()
                            .ok()
                            .filter(|x| *x > 0.0 && x.is_finite())
                            .ok_or_else(|| bad("neutral or a positive spread"))?,
                    ),
                }
            }
            "decision" => self.decision = pick(value, &bad)?,
            _ => {
                return Err(Error::invalid(
                    field,
                    format!("no EUM option `{key}` (the options are {:?})", OPTION_KEYS),
                ));
            }
        }
        self.name = "custom".into();
        Ok(())
    }

    /// Every option as (key, value), in the order A1–A13 and then the decision rule, written
    /// as [`EumProfile::set`] reads them: what a run's result records.
    pub fn options(&self) -> Vec<(&'static str, String)> {
        let (rounds, tolerance) = match self.stopping {
            Stopping::Rounds(n) => (n, "none".to_string()),
            Stopping::Converged { tolerance, max_rounds } => (max_rounds, tolerance.to_string()),
        };
        vec![
            ("probability", self.probability.word().into()),
            ("voter_utility", self.voter_utility.word().into()),
            ("perceived_risk", self.perceived_risk.word().into()),
            ("centre", self.centre.word().into()),
            ("q", self.q.to_string()),
            (
                "t",
                match self.drift {
                    Drift::Fixed(t) => t.to_string(),
                    Drift::Eftekhari => "eftekhari".into(),
                },
            ),
            ("compromise", self.compromise.word().into()),
            ("choice", self.choice.word().into()),
            ("capitulation", if self.capitulation { "live" } else { "dead" }.into()),
            ("range", self.range.word().into()),
            ("resist_salience", self.resist_salience.word().into()),
            ("rounds", rounds.to_string()),
            ("tolerance", tolerance),
            ("median", self.median.word().into()),
            (
                "risk_guard",
                match self.risk_guard {
                    RiskGuard::Neutral => "neutral".into(),
                    RiskGuard::MinSpread(m) => m.to_string(),
                },
            ),
            ("decision", self.decision.word().into()),
        ]
    }
}

/// The keys [`EumProfile::set`] takes (each also by its number, `a1`…`a13`, where it has one).
pub const OPTION_KEYS: [&str; 16] = [
    "probability",
    "voter_utility",
    "perceived_risk",
    "centre",
    "q",
    "t",
    "compromise",
    "choice",
    "capitulation",
    "range",
    "resist_salience",
    "rounds",
    "tolerance",
    "median",
    "risk_guard",
    "decision",
];

/// The words an option's values are written with: one table per option, read by
/// [`EumProfile::set`] and written by [`EumProfile::options`].
trait Words: Copy + PartialEq + 'static {
    const WORDS: &'static [(&'static str, Self)];

    fn word(self) -> &'static str {
        Self::WORDS.iter().find(|(_, v)| *v == self).map_or("", |(w, _)| w)
    }
}

/// The value `value` names, or an error listing the words there are.
fn pick<T: Words>(value: &str, bad: &dyn Fn(&str) -> Error) -> Result<T> {
    T::WORDS.iter().find(|(w, _)| *w == value).map(|(_, v)| *v).ok_or_else(|| {
        let words: Vec<&str> = T::WORDS.iter().map(|(w, _)| *w).collect();
        bad(&words.join(" or "))
    })
}

macro_rules! words {
    ($($t:ty => [$(($w:literal, $v:expr)),+ $(,)?]);+ $(;)?) => {
        $(impl Words for $t {
            const WORDS: &'static [(&'static str, Self)] = &[$(($w, $v)),+];
        })+
    };
}

words! {
    Probability => [("pair_share", Probability::PairShare), ("global_share", Probability::GlobalShare),
        ("net_support", Probability::NetSupport)];
    VoterUtility => [("linear", VoterUtility::Linear), ("risk_adjusted", VoterUtility::RiskAdjusted)];
    PerceivedRisk => [("perceiver", PerceivedRisk::Perceiver), ("challenger", PerceivedRisk::Challenger)];
    Centre => [("median", Centre::Median), ("mean", Centre::Mean)];
    CompromisePoint => [("proportional", CompromisePoint::Proportional), ("weighted", CompromisePoint::Weighted)];
    OfferChoice => [("least_move", OfferChoice::LeastMove), ("scholz_code", OfferChoice::ScholzCode)];
    Range => [("initial", Range::InitialPositions), ("current", Range::CurrentPositions), ("scale", Range::IssueScale)];
    ResistSalience => [("target", ResistSalience::Target), ("as_printed", ResistSalience::AsPrinted)];
    MedianRule => [("weighted", MedianRule::Weighted), ("king_of_the_hill", MedianRule::KingOfTheHill)];
    DecisionRule => [("median", DecisionRule::Median), ("mean", DecisionRule::Mean)];
}
