//! Negotiation models: where talks are likely to land, from each side's position, the salience
//! it gives the issue and its capability. This module holds the scenario those models read —
//! issues on a scale, every actor's stance on each — with its validation, and the baselines any
//! forecast is judged against (the salience-weighted and capability×salience-weighted mean and
//! median, the unweighted mean), and the models: Bueno de Mesquita's expected-utility model
//! ([`run_eum`]), Stokman's exchange model ([`run_exchange`]) and a seeded Monte Carlo of either
//! ([`monte_carlo`]). Every answer is also a list of rows (`*_rows`), the one shape the command
//! line, the Python module and tests show.

/// The most rounds a run may play: far past where any published run settles, and a bound on
/// the memory a request can ask for.
pub const MAX_ROUNDS: usize = 10_000;
/// The most draws a Monte Carlo may take.
pub const MAX_DRAWS: usize = 1_000_000;

mod baselines;
mod decide;
mod eum;
mod exchange;
mod input;
mod python_decimal;
mod python_random;
mod rows;
mod scenario;
#[cfg(test)]
mod tests;
mod uncertainty;

pub use baselines::{Baselines, baselines, weighted_median};
pub use decide::{read_decide, write_decide};
pub use eum::{
    Centre, CompromisePoint, DecisionRule, Drift, EUM_PROFILES, EumProfile, EumRound, EumRun, MedianRule, OPTION_KEYS,
    Offer, OfferChoice, OfferKind, PerceivedRisk, PerspectivePoint, Probability, Range, ResistSalience, RiskGuard,
    Stopping, VoterUtility, run_eum, run_eum_named,
};
pub use exchange::{
    ExchangeOptions, ExchangeRound, ExchangeRun, ExchangeSide, ExecutedExchange, Externality, Fidelity, TieBreak,
    run_exchange,
};
pub use input::{EXAMPLE_SCENARIOS, example_scenario, read_actor_table, read_scenario};
pub use rows::{
    baseline_rows, eum_chart, eum_matrix_rows, eum_offer_rows, eum_round_rows, eum_trajectory_rows, exchange_chart,
    exchange_outcome_rows, exchange_rows, externality_rows, monte_carlo_rows, perspective_rows, run_info,
    run_info_rows,
};
pub use scenario::{Issue, SalienceScale, Scenario, Stance};
pub use uncertainty::{MonteCarlo, NegotiationModel, OutcomeDistribution, Perturbation, monte_carlo, quantile};
