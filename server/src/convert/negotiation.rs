//! Negotiation scenarios from protobuf, and the models' answers to it.

use crate::pb;
use detente_core::negotiation::{
    self as n, Baselines, EumProfile, EumRun, ExchangeOptions, ExchangeRun, ExchangeSide, Issue, MonteCarlo,
    NegotiationModel, Perturbation, SalienceScale, Scenario, Stance,
};
use detente_core::{Error, Result};
use std::collections::HashMap;

/// A scenario from its message; errors name its fields (`stances[2].salience`).
pub fn scenario_from_pb(s: Option<pb::Scenario>) -> Result<Scenario> {
    let s = s.ok_or_else(|| Error::invalid("scenario", "the scenario is required"))?;
    let scale = match pb::SalienceScale::try_from(s.salience_scale) {
        Ok(pb::SalienceScale::Fraction) => SalienceScale::Fraction,
        Ok(pb::SalienceScale::Percent) => SalienceScale::Percent,
        _ => {
            return Err(Error::invalid(
                "salience_scale",
                "declare the salience scale (fraction or percent): it is never guessed",
            ));
        }
    };
    let issues = s
        .issues
        .into_iter()
        .map(|i| Issue {
            id: i.id,
            label: i.label,
            min: i.min,
            max: i.max,
            anchors: i.anchors.into_iter().map(|a| (a.point, a.label)).collect(),
        })
        .collect();
    let stances = s
        .stances
        .into_iter()
        .map(|x| Stance {
            actor: x.actor,
            issue: x.issue,
            position: x.position,
            salience: x.salience,
            capability: x.capability,
        })
        .collect();
    Scenario::with_salience_scale(issues, stances, scale)
}

/// The exchange model's options from a request's rounds (0: the default) and Decide seed.
pub fn exchange_options(rounds: i32, decide_seed: Option<u64>) -> Result<ExchangeOptions> {
    let rounds = match rounds {
        0 => 10,
        r if r < 0 => return Err(Error::invalid("rounds", format!("rounds must not be negative, got {r}"))),
        r => r as usize,
    };
    Ok(ExchangeOptions::with(rounds, decide_seed))
}

/// The profile's name; the contract's unset (empty) is the core's default.
pub fn profile_name(name: &str) -> &str {
    if name.trim().is_empty() { EumProfile::default_name() } else { name.trim() }
}

/// An optional string field: unset (empty) is `None`.
pub fn unset_if_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The options map in a stable order (by key).
pub fn options_list(map: HashMap<String, String>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = map.into_iter().collect();
    v.sort();
    v
}

/// A Monte Carlo's perturbation from a request's fields (unset: the core's defaults).
pub fn perturbation(r: &pb::RunMonteCarloRequest) -> Result<Perturbation> {
    if r.draws <= 0 {
        return Err(Error::invalid("draws", "a Monte Carlo needs one draw or more"));
    }
    let d = Perturbation::default();
    Ok(Perturbation {
        draws: r.draws as usize,
        seed: r.seed,
        salience_sd: r.salience_sd.unwrap_or(d.salience_sd),
        capability_sd: r.capability_sd.unwrap_or(d.capability_sd),
        dropout: r.dropout.unwrap_or(d.dropout),
    })
}

/// What a run used.
pub fn run_info(model: &NegotiationModel, p: Option<&Perturbation>) -> pb::RunInfo {
    pb::RunInfo { settings: n::run_info(model, p).into_iter().collect(), version: env!("CARGO_PKG_VERSION").into() }
}

/// Every issue's baselines.
pub fn baselines_to_pb(b: &[Baselines]) -> pb::BaselinesResponse {
    pb::BaselinesResponse {
        baselines: b
            .iter()
            .map(|b| pb::IssueBaselines {
                issue: b.issue.clone(),
                mean: b.mean,
                salience_mean: b.salience_mean,
                power_mean: b.power_mean,
                power_median: b.power_median,
            })
            .collect(),
    }
}

/// An expected-utility run as its stream: round 0, then one message per round.
pub fn eum_to_pb(run: &EumRun, info: pb::RunInfo) -> Vec<pb::RunEumResponse> {
    let medians = run.medians();
    let means = run.means();
    let mut out = vec![pb::RunEumResponse {
        round: Some(pb::EumRound {
            round: 0,
            actors: run
                .actors
                .iter()
                .zip(&run.initial)
                .map(|(a, &x)| pb::EumActor { actor: a.clone(), position: x, risk: None })
                .collect(),
            median: medians[0],
            mean: means[0],
            offers: Vec::new(),
            pairs: Vec::new(),
        }),
        info: Some(info),
        forecast: None,
    }];
    for r in &run.rounds {
        let name = |i: usize| run.actors[i].clone();
        let offers = r
            .offers
            .iter()
            .map(|o| pb::EumOffer {
                receiver: name(o.receiver),
                proposer: name(o.proposer),
                kind: o.kind.name().into(),
                eu_self: o.eu_self,
                eu_other: o.eu_other,
                position: o.position,
                accepted: r.accepted[o.receiver].is_some_and(|a| a.proposer == o.proposer),
            })
            .collect();
        let mut pairs = Vec::new();
        for i in 0..run.actors.len() {
            for j in (0..run.actors.len()).filter(|&j| j != i) {
                pairs.push(pb::EumPair {
                    actor: name(i),
                    other: name(j),
                    probability: r.probability[i][j],
                    eu_challenge: r.eu_challenge[i][j],
                    eu_challenged: r.eu_challenged[i][j],
                });
            }
        }
        out.push(pb::RunEumResponse {
            round: Some(pb::EumRound {
                round: r.round as i32,
                actors: (0..run.actors.len())
                    .map(|i| pb::EumActor { actor: name(i), position: r.positions[i], risk: Some(r.risk[i]) })
                    .collect(),
                median: r.median,
                mean: r.mean,
                offers,
                pairs,
            }),
            info: None,
            forecast: None,
        });
    }
    if let Some(last) = out.last_mut() {
        last.forecast = Some(run.forecast);
    }
    out
}

fn side_to_pb(s: &ExchangeSide) -> pb::ExchangeSide {
    pb::ExchangeSide {
        actor: s.actor.clone(),
        supply: s.supply.clone(),
        demand: s.demand.clone(),
        start: s.start,
        shift: s.shift,
        voting: s.voting,
        towards: s.towards,
        outcome_before: s.outcome_before,
        outcome_after: s.outcome_after,
    }
}

/// An exchange run as its stream: one message per round.
pub fn exchange_to_pb(run: &ExchangeRun, info: pb::RunInfo) -> Vec<pb::RunExchangeResponse> {
    let mut out: Vec<pb::RunExchangeResponse> = run
        .rounds
        .iter()
        .map(|r| pb::RunExchangeResponse {
            round: Some(pb::ExchangeRound {
                round: r.round as i32,
                outcomes: run
                    .issues
                    .iter()
                    .enumerate()
                    .map(|(d, issue)| pb::IssueOutcome {
                        issue: issue.clone(),
                        outcome: r.outcomes[d],
                        voting_outcome: r.voting_outcomes[d],
                    })
                    .collect(),
                exchanges: r
                    .exchanges
                    .iter()
                    .map(|e| pb::ExecutedExchange {
                        gain: e.gain,
                        i: Some(side_to_pb(&e.i)),
                        j: Some(side_to_pb(&e.j)),
                    })
                    .collect(),
                externalities: r
                    .externalities
                    .iter()
                    .map(|e| pb::Externality {
                        actor: e.actor.clone(),
                        inner_positive: e.inner_positive,
                        inner_negative: e.inner_negative,
                        outer_positive: e.outer_positive,
                        outer_negative: e.outer_negative,
                        own: e.own,
                    })
                    .collect(),
            }),
            info: None,
            final_outcomes: HashMap::new(),
        })
        .collect();
    if let Some(first) = out.first_mut() {
        first.info = Some(info);
    }
    if let Some(last) = out.last_mut() {
        last.final_outcomes = run.issues.iter().cloned().zip(run.outcomes.iter().copied()).collect();
    }
    out
}

/// A Monte Carlo's distributions.
pub fn monte_carlo_to_pb(mc: &MonteCarlo, info: pb::RunInfo) -> pb::RunMonteCarloResponse {
    pb::RunMonteCarloResponse {
        outcomes: mc
            .outcomes
            .iter()
            .map(|o| pb::OutcomeDistribution {
                issue: o.issue.clone(),
                unperturbed: o.unperturbed,
                mean: o.mean,
                sd: o.sd,
                quantiles: o.quantiles.iter().map(|&(p, v)| pb::Quantile { probability: p, value: v }).collect(),
                draws: o.draws.clone(),
            })
            .collect(),
        skipped: mc.skipped as i32,
        info: Some(info),
    }
}
