//! `negotiate baseline|eum|exchange`: the negotiation models as tables and text charts.

use super::{
    Cli, EumTable, ExchangeTable, MonteCarloArgs, NegotiateCommand, SalienceUnit, ScenarioArgs, open_read, read_input,
};
use crate::output::{Format, rounded, write_rows};
use anyhow::Result;
use detente_core::model::rows::pair_relation_row;
use detente_core::negotiation::{self as n, NegotiationModel, Scenario};
use detente_core::relations::SeriesOptions;
use serde_json::Value;
use std::io::Write;

pub(super) fn negotiate(cli: &Cli, cmd: &NegotiateCommand, format: Format, out: &mut dyn Write) -> Result<()> {
    match cmd {
        NegotiateCommand::Baseline { scenario } => {
            let s = scenario_of(scenario)?;
            table(out, format, n::baseline_rows(&n::baselines(&s)))
        }
        NegotiateCommand::Eum { scenario, profile, set, show, actor, round, monte_carlo } => {
            let s = scenario_of(scenario)?;
            let settings: Vec<(&str, &str)> = set
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .ok_or_else(|| detente_core::Error::invalid("set", format!("`{kv}` is not KEY=VALUE")).into())
                })
                .collect::<Result<_>>()?;
            if monte_carlo.draws.is_some() {
                let model = NegotiationModel::named(
                    "eum",
                    &s,
                    scenario.issue.as_deref(),
                    profile,
                    &settings,
                    n::ExchangeOptions::default(),
                )?;
                return table(out, format, distribution(&s, &model, monte_carlo)?);
            }
            let run = n::run_eum_named(&s, scenario.issue.as_deref(), profile, &settings)?;
            let rows = match show {
                EumTable::Rounds => n::eum_round_rows(&run),
                EumTable::Trajectory => n::eum_trajectory_rows(&run),
                EumTable::Offers => n::eum_offer_rows(&run),
                EumTable::Matrices => n::eum_matrix_rows(&run),
                EumTable::Perspective => {
                    let who = actor
                        .as_deref()
                        .ok_or_else(|| detente_core::Error::invalid("actor", "--show perspective needs --actor"))?;
                    n::perspective_rows(&run.perspective(who, *round)?)
                }
                EumTable::Chart => {
                    write!(out, "{}", n::eum_chart(&run, s.issue(Some(&run.issue))?))?;
                    return Ok(());
                }
                EumTable::Info => n::run_info_rows(&run.model(), None),
                EumTable::Relations => relations(cli, &s)?,
            };
            table(out, format, rows)
        }
        NegotiateCommand::Exchange { scenario, rounds, decide_seed, show, monte_carlo } => {
            let s = scenario_of(scenario)?;
            let options = n::ExchangeOptions::with(*rounds, *decide_seed);
            if monte_carlo.draws.is_some() {
                return table(out, format, distribution(&s, &NegotiationModel::Exchange(options), monte_carlo)?);
            }
            let run = n::run_exchange(&s, &options)?;
            let rows = match show {
                ExchangeTable::Outcomes => n::exchange_outcome_rows(&run),
                ExchangeTable::Exchanges => n::exchange_rows(&run),
                ExchangeTable::Externalities => n::externality_rows(&run),
                ExchangeTable::Chart => {
                    write!(out, "{}", n::exchange_chart(&run, s.issues()))?;
                    return Ok(());
                }
                ExchangeTable::Info => n::run_info_rows(&run.model(), None),
                ExchangeTable::Relations => relations(cli, &s)?,
            };
            table(out, format, rows)
        }
    }
}

fn table(out: &mut dyn Write, format: Format, rows: Vec<Value>) -> Result<()> {
    let rows: Vec<Value> = rows.into_iter().map(rounded).collect();
    write_rows(out, format, &rows, &[])?;
    Ok(())
}

/// The scenario of a command line: an example by name, or a file (or standard input).
fn scenario_of(a: &ScenarioArgs) -> Result<Scenario> {
    if let Some(name) = a.file.strip_prefix("example:") {
        return Ok(n::example_scenario(name)?);
    }
    let salience = match a.salience {
        SalienceUnit::Fraction => n::SalienceScale::Fraction,
        SalienceUnit::Percent => n::SalienceScale::Percent,
    };
    let scale = match &a.scale {
        None => None,
        Some(text) => {
            let bounds: Vec<Option<f64>> = text.split(',').map(|x| x.trim().parse().ok()).collect();
            match bounds.as_slice() {
                [Some(lo), Some(hi)] => Some((*lo, *hi)),
                _ => return Err(detente_core::Error::invalid("scale", format!("`{text}` is not MIN,MAX")).into()),
            }
        }
    };
    let (text, name) = read_input(&a.file)?;
    Ok(n::read_scenario(&text, &name, salience, a.issue.as_deref(), scale)?)
}

/// The Monte Carlo's rows (`--draws`).
fn distribution(s: &Scenario, model: &NegotiationModel, a: &MonteCarloArgs) -> Result<Vec<Value>> {
    let draws = a.draws.unwrap_or_default();
    let p = n::Perturbation {
        draws,
        seed: a.seed,
        salience_sd: a.salience_sd,
        capability_sd: a.capability_sd,
        dropout: a.dropout,
    };
    Ok(n::monte_carlo_rows(&n::monte_carlo(s, model, &p)?))
}

/// The scenario's pairs with their relation in the store.
fn relations(cli: &Cli, s: &Scenario) -> Result<Vec<Value>> {
    let model = open_read(cli)?;
    Ok(model.negotiation_relations(s, &SeriesOptions::default())?.iter().map(pair_relation_row).collect())
}
