//! How sure a forecast is: a seeded Monte Carlo that re-runs a model on perturbed inputs —
//! salience and capability jittered, actors sitting out — and reports the spread of outcomes.
//! Each draw has its own generator derived from the seed and the draw's number, so a run is
//! reproducible anywhere and draws could be split across workers without changing a number.

use super::{EumProfile, ExchangeOptions, Scenario, Stance, eum::eum_forecast, run_exchange};
use crate::error::{Error, Result};

/// What is perturbed in each draw, and how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Perturbation {
    /// How many draws.
    pub draws: usize,
    /// The seed; the same seed gives the same draws.
    pub seed: u64,
    /// Standard deviation of the noise added to each salience (on 0–1; the result is clamped
    /// to 0–1).
    pub salience_sd: f64,
    /// Standard deviation of the log of the factor each capability is multiplied by.
    pub capability_sd: f64,
    /// The probability that an actor sits a draw out altogether.
    pub dropout: f64,
}

impl Default for Perturbation {
    fn default() -> Self {
        Perturbation { draws: 1000, seed: 0, salience_sd: 0.1, capability_sd: 0.2, dropout: 0.0 }
    }
}

impl Perturbation {
    fn check(&self) -> Result<()> {
        if self.draws == 0 || self.draws > super::MAX_DRAWS {
            return Err(Error::invalid(
                "draws",
                format!("draws must be from 1 to {}, not {}", super::MAX_DRAWS, self.draws),
            ));
        }
        for (field, v) in [("salience_sd", self.salience_sd), ("capability_sd", self.capability_sd)] {
            if !v.is_finite() || v < 0.0 {
                return Err(Error::invalid(field, format!("{v} is not a standard deviation")));
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::invalid("dropout", format!("{} is not a probability below 1", self.dropout)));
        }
        Ok(())
    }

    /// Every setting as (key, value), as a result records it.
    pub fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            ("draws", self.draws.to_string()),
            ("seed", self.seed.to_string()),
            ("salience_sd", self.salience_sd.to_string()),
            ("capability_sd", self.capability_sd.to_string()),
            ("dropout", self.dropout.to_string()),
        ]
    }
}

/// The model a Monte Carlo re-runs.
#[derive(Debug, Clone, PartialEq)]
pub enum NegotiationModel {
    /// The expected-utility model on one issue: its forecast by the profile's decision rule.
    Eum {
        /// The issue.
        issue: String,
        /// The profile.
        profile: EumProfile,
    },
    /// The exchange model on every issue: the outcomes after the last round.
    Exchange(ExchangeOptions),
}

impl super::EumRun {
    /// The model a run was: its issue and profile.
    pub fn model(&self) -> NegotiationModel {
        NegotiationModel::Eum { issue: self.issue.clone(), profile: self.profile.clone() }
    }
}

impl super::ExchangeRun {
    /// The model a run was: its options.
    pub fn model(&self) -> NegotiationModel {
        NegotiationModel::Exchange(self.options.clone())
    }
}

impl NegotiationModel {
    /// A model as a request names it: `eum` on `issue` (default: the scenario's first) under a
    /// built-in `profile` with `options` changed, or `exchange` with `exchange`'s options.
    pub fn named<K: AsRef<str>, V: AsRef<str>>(
        name: &str,
        scenario: &Scenario,
        issue: Option<&str>,
        profile: &str,
        options: &[(K, V)],
        exchange: ExchangeOptions,
    ) -> Result<NegotiationModel> {
        match name {
            "eum" => Ok(NegotiationModel::Eum {
                issue: scenario.issue(issue)?.id.clone(),
                profile: EumProfile::with_options(profile, options)?,
            }),
            "exchange" => Ok(NegotiationModel::Exchange(exchange)),
            other => Err(Error::invalid("model", format!("`{other}` is not eum or exchange"))),
        }
    }
}

/// The distribution of one issue's outcome over the draws.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeDistribution {
    /// The issue.
    pub issue: String,
    /// The forecast on the unperturbed scenario.
    pub unperturbed: f64,
    /// The mean over the draws.
    pub mean: f64,
    /// The standard deviation over the draws.
    pub sd: f64,
    /// (probability, quantile) at 5, 25, 50, 75 and 95 per cent (linear interpolation).
    pub quantiles: Vec<(f64, f64)>,
    /// Each draw's outcome, in draw order (NaN where the draw was skipped).
    pub draws: Vec<f64>,
}

/// A Monte Carlo run with what is needed to reproduce it.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarlo {
    /// The model and its options.
    pub model: NegotiationModel,
    /// The perturbation.
    pub perturbation: Perturbation,
    /// detente's version.
    pub version: &'static str,
    /// Draws skipped because the perturbed scenario was not a valid one: an issue the model runs
    /// on left without two weighted actors (drop-out, or every salience there clamped to 0), or
    /// a capability beyond the range of numbers.
    pub skipped: usize,
    /// One distribution per issue the model forecasts.
    pub outcomes: Vec<OutcomeDistribution>,
}

/// Runs `model` on `perturbation.draws` perturbed copies of the scenario.
pub fn monte_carlo(scenario: &Scenario, model: &NegotiationModel, perturbation: &Perturbation) -> Result<MonteCarlo> {
    perturbation.check()?;
    let issues: Vec<String> = match model {
        NegotiationModel::Eum { issue, .. } => vec![issue.clone()],
        NegotiationModel::Exchange(_) => scenario.issues().iter().map(|i| i.id.clone()).collect(),
    };
    let unperturbed = forecast(scenario, model)?;
    // The issues the model runs on: a draw that empties another issue does not count against it.
    let modelled: Vec<super::Issue> = scenario.issues().iter().filter(|i| issues.contains(&i.id)).cloned().collect();
    let actors = scenario.actors();
    // Per stance, once: its actor's index, and whether the model reads it.
    let who: Vec<usize> =
        scenario.stances().iter().map(|s| actors.iter().position(|a| *a == s.actor).unwrap_or(0)).collect();
    let read: Vec<bool> = scenario.stances().iter().map(|s| modelled.iter().any(|i| i.id == s.issue)).collect();
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(perturbation.draws); issues.len()];
    let mut skipped = 0;
    for draw in 0..perturbation.draws {
        let mut rng = SplitMix64::for_draw(perturbation.seed, draw as u64);
        let present: Vec<bool> = actors.iter().map(|_| rng.uniform() >= perturbation.dropout).collect();
        let mut stances: Vec<Stance> = Vec::with_capacity(who.len());
        for (k, s) in scenario.stances().iter().enumerate().filter(|(k, _)| present[who[*k]]) {
            // Every present stance draws its noise, read or not, so that a draw's numbers do
            // not depend on which model reads it.
            let salience = (s.salience + perturbation.salience_sd * rng.normal()).clamp(0.0, 1.0);
            let capability = s.capability * (perturbation.capability_sd * rng.normal()).exp();
            if read[k] {
                stances.push(Stance { salience, capability, ..s.clone() });
            }
        }
        // A draw is skipped when its perturbed scenario is no scenario (an issue the model runs
        // on left without two weighted actors, a capability past the range of numbers); the
        // model's own errors are errors.
        match Scenario::new(modelled.clone(), stances) {
            Ok(s) => draws.iter_mut().zip(forecast(&s, model)?).for_each(|(d, v)| d.push(v)),
            Err(_) => {
                skipped += 1;
                draws.iter_mut().for_each(|d| d.push(f64::NAN));
            }
        }
    }
    if skipped == perturbation.draws {
        return Err(Error::invalid("dropout", "every draw dropped too many actors to run the model"));
    }
    let outcomes = issues
        .into_iter()
        .zip(unperturbed)
        .zip(draws)
        .map(|((issue, unperturbed), draws)| summarise(issue, unperturbed, draws))
        .collect();
    Ok(MonteCarlo {
        model: model.clone(),
        perturbation: perturbation.clone(),
        version: env!("CARGO_PKG_VERSION"),
        skipped,
        outcomes,
    })
}

fn forecast(scenario: &Scenario, model: &NegotiationModel) -> Result<Vec<f64>> {
    match model {
        NegotiationModel::Eum { issue, profile } => Ok(vec![eum_forecast(scenario, issue, profile)?]),
        NegotiationModel::Exchange(options) => Ok(run_exchange(scenario, options)?.outcomes),
    }
}

fn summarise(issue: String, unperturbed: f64, draws: Vec<f64>) -> OutcomeDistribution {
    let mut sorted: Vec<f64> = draws.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let sd = (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let quantiles = [0.05, 0.25, 0.5, 0.75, 0.95].iter().map(|&p| (p, quantile(&sorted, p))).collect();
    OutcomeDistribution { issue, unperturbed, mean, sd, quantiles, draws }
}

/// The p-quantile of sorted values, interpolating linearly between order statistics (numpy's
/// default).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// SplitMix64: small, fast, and fixed here so that a seed means the same draws in every
/// version (a library generator may change its stream between releases).
struct SplitMix64(u64);

impl SplitMix64 {
    fn for_draw(seed: u64, draw: u64) -> Self {
        let mut g = SplitMix64(seed ^ draw.wrapping_mul(0xD1B5_4A32_D192_ED03));
        g.next();
        g
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiation::tests::ec_case;

    #[test]
    fn one_seed_one_distribution_and_no_noise_no_spread() {
        let model = NegotiationModel::Eum { issue: "emissions".into(), profile: EumProfile::default() };
        let p = Perturbation { draws: 200, seed: 7, ..Perturbation::default() };
        let a = monte_carlo(&ec_case(), &model, &p).expect("run");
        let b = monte_carlo(&ec_case(), &model, &p).expect("run");
        assert_eq!(a, b);
        let other = monte_carlo(&ec_case(), &model, &Perturbation { seed: 8, ..p.clone() }).expect("run");
        assert_ne!(a.outcomes[0].draws, other.outcomes[0].draws);
        let o = &a.outcomes[0];
        assert_eq!(o.unperturbed, 7.0);
        assert!(o.quantiles.windows(2).all(|w| w[0].1 <= w[1].1), "{:?}", o.quantiles);
        assert!(o.draws.iter().all(|x| (4.0..=10.0).contains(x)), "forecasts stay among the positions");
        // Noise off: every draw is the unperturbed forecast.
        let still = Perturbation { salience_sd: 0.0, capability_sd: 0.0, ..p };
        let s = monte_carlo(&ec_case(), &model, &still).expect("run");
        assert!(s.outcomes[0].draws.iter().all(|&x| x == 7.0) && s.outcomes[0].sd == 0.0);
    }

    #[test]
    fn dropping_actors_skips_draws_that_cannot_run_and_bad_settings_are_refused() {
        let model = NegotiationModel::Eum { issue: "emissions".into(), profile: EumProfile::default() };
        let p = Perturbation { draws: 300, seed: 1, dropout: 0.6, ..Perturbation::default() };
        let run = monte_carlo(&ec_case(), &model, &p).expect("run");
        let nan = run.outcomes[0].draws.iter().filter(|x| x.is_nan()).count();
        assert_eq!(nan, run.skipped);
        assert!(run.skipped < 300 && run.outcomes[0].mean.is_finite());
        for bad in [
            Perturbation { draws: 0, ..Perturbation::default() },
            Perturbation { dropout: 1.0, ..Perturbation::default() },
            Perturbation { salience_sd: -0.1, ..Perturbation::default() },
        ] {
            assert!(monte_carlo(&ec_case(), &model, &bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_eum_draw_only_needs_its_own_issue() {
        // Two issues; on `returns` only two actors, so dropping either empties it. The EUM on
        // `withdrawal` does not care.
        let s = crate::negotiation::example_scenario("moscow-2023").expect("example");
        let mut stances: Vec<Stance> = s.stances().to_vec();
        stances.retain(|x| x.issue == "withdrawal" || x.actor == "Turkiye" || x.actor == "Syria");
        let s = Scenario::new(s.issues().to_vec(), stances).expect("scenario");
        let model = NegotiationModel::Eum { issue: "withdrawal".into(), profile: EumProfile::default() };
        let p = Perturbation { draws: 400, seed: 3, dropout: 0.2, ..Perturbation::default() };
        let run = monte_carlo(&s, &model, &p).expect("run");
        // With four actors on withdrawal, a draw fails only when three or four drop (< 3%).
        assert!(run.skipped < 20, "{} skipped", run.skipped);
        assert_eq!(quantile(&[1.0, 2.0], 1.5), 2.0, "p is clamped, not an index out of range");
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.05, 0.5, 0.95]) = [1.15, 2.5, 3.85]
        let v = [1.0, 2.0, 3.0, 4.0];
        for (p, want) in [(0.05, 1.15), (0.5, 2.5), (0.95, 3.85)] {
            assert!((quantile(&v, p) - want).abs() < 1e-12);
        }
    }
}
