#![no_main]
//! A negotiation scenario as a user hands it over (Decide's format, a long table or an actor
//! table, salience as a fraction or a percentage), run through the baselines, both models (two
//! rounds) and a small Monte Carlo: bad input must be an error, never a panic.
use detente_core::negotiation::{
    EumProfile, ExchangeOptions, NegotiationModel, Perturbation, SalienceScale, baselines, monte_carlo, read_scenario,
    run_eum, run_exchange,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
    let salience = if flags & 1 == 1 { SalienceScale::Percent } else { SalienceScale::Fraction };
    let scale = (flags & 2 == 2).then_some((0.0, 100.0));
    let Ok(s) = read_scenario(&text, "fuzz", salience, None, scale) else { return };
    let _ = baselines(&s);
    let Some(issue) = s.issues().first().map(|i| i.id.clone()) else { return };
    let mut profile = if flags & 4 == 4 { EumProfile::scholz2011_paper() } else { EumProfile::default() };
    let _ = profile.set("rounds", "2");
    let _ = run_eum(&s, &issue, &profile);
    let decide = if flags & 8 == 8 { ExchangeOptions::decide(0) } else { ExchangeOptions::default() };
    let _ = run_exchange(&s, &ExchangeOptions { rounds: 2, ..decide });
    let model = NegotiationModel::Eum { issue, profile };
    let _ = monte_carlo(&s, &model, &Perturbation { draws: 3, dropout: 0.3, ..Perturbation::default() });
});
