//! The negotiation models' answers as rows — one JSON object per round, actor, offer, exchange
//! or issue, with the column names every front-end shows — and the trajectory as a text chart.
//! The command line prints these rows and the Python binding turns them into Arrow tables.

use super::{Baselines, DecisionRule, EumRun, ExchangeRun, Issue, MonteCarlo, NegotiationModel, PerspectivePoint};
use serde_json::{Value, json};

/// One row per issue.
pub fn baseline_rows(b: &[Baselines]) -> Vec<Value> {
    b.iter()
        .map(|b| {
            json!({"issue": b.issue, "mean": b.mean, "salience_mean": b.salience_mean,
                "power_mean": b.power_mean, "power_median": b.power_median})
        })
        .collect()
}

/// One row per round, from round 0: the weighted median and mean of the positions after it.
pub fn eum_round_rows(run: &EumRun) -> Vec<Value> {
    run.medians()
        .iter()
        .zip(run.means())
        .enumerate()
        .map(|(round, (median, mean))| json!({"round": round, "median": median, "mean": mean}))
        .collect()
}

/// One row per round and actor, from round 0: the position after the round, the risk exponent
/// used in it and the offer the actor accepted.
pub fn eum_trajectory_rows(run: &EumRun) -> Vec<Value> {
    let mut rows = Vec::new();
    for (i, actor) in run.actors.iter().enumerate() {
        rows.push(json!({"round": 0, "actor": actor, "position": run.initial[i], "risk": null,
            "offer": null, "proposer": null, "eu_self": null, "eu_other": null}));
    }
    for r in &run.rounds {
        for (i, actor) in run.actors.iter().enumerate() {
            let accepted = r.accepted[i];
            rows.push(json!({"round": r.round, "actor": actor, "position": r.positions[i], "risk": r.risk[i],
                "offer": accepted.map(|o| o.kind.name()),
                "proposer": accepted.map(|o| run.actors[o.proposer].clone()),
                "eu_self": accepted.map(|o| o.eu_self), "eu_other": accepted.map(|o| o.eu_other)}));
        }
    }
    rows
}

/// One row per offer made, with whether it was the one accepted.
pub fn eum_offer_rows(run: &EumRun) -> Vec<Value> {
    run.rounds
        .iter()
        .flat_map(|r| {
            r.offers.iter().map(move |o| {
                json!({"round": r.round, "receiver": run.actors[o.receiver], "proposer": run.actors[o.proposer],
                    "offer": o.kind.name(), "eu_self": o.eu_self, "eu_other": o.eu_other, "position": o.position,
                    "accepted": r.accepted[o.receiver].is_some_and(|a| a.proposer == o.proposer)})
            })
        })
        .collect()
}

/// One row per round and ordered pair: the probability of success and both expected utilities.
pub fn eum_matrix_rows(run: &EumRun) -> Vec<Value> {
    let mut rows = Vec::new();
    for r in &run.rounds {
        for (i, a) in run.actors.iter().enumerate() {
            for (j, b) in run.actors.iter().enumerate().filter(|(j, _)| *j != i) {
                rows.push(json!({"round": r.round, "actor": a, "other": b, "probability": r.probability[i][j],
                    "eu_challenge": r.eu_challenge[i][j], "eu_challenged": r.eu_challenged[i][j]}));
            }
        }
    }
    rows
}

/// One row per other actor of a perspective chart, with Bueno de Mesquita's reading of where
/// it falls: `conflict` (both expect to gain), `concede` or `capitulate` (the other has the
/// upper hand, and the actor gives part or all of the way), `win concession` or `compel` (the
/// actor has it), `status quo`, `same position`.
pub fn perspective_rows(points: &[PerspectivePoint]) -> Vec<Value> {
    points
        .iter()
        .map(|p| {
            // From the actor's side, by the model's own offer rules: who expects to gain from a
            // challenge, and by how much more than the other stands to lose.
            let (x, y) = (p.challenge, p.challenged);
            let reading = match (x > 0.0, y > 0.0) {
                (true, true) => "conflict",
                (false, true) if y > -x => "concede",
                (false, true) => "capitulate",
                (true, false) if x > -y => "win concession",
                (true, false) => "compel",
                (false, false) => "status quo",
            };
            // Rounding leaves ±1e-17 where two actors share a position.
            let reading = if x.abs() < 1e-12 && y.abs() < 1e-12 { "same position" } else { reading };
            json!({"other": p.other, "challenge": p.challenge, "challenged": p.challenged, "reading": reading})
        })
        .collect()
}

/// One row per round and issue: the expected outcome at the round's start and on its votes;
/// a last row per issue for where the run leaves it.
pub fn exchange_outcome_rows(run: &ExchangeRun) -> Vec<Value> {
    let mut rows = Vec::new();
    for r in &run.rounds {
        for (d, issue) in run.issues.iter().enumerate() {
            rows.push(json!({"round": r.round, "issue": issue, "outcome": r.outcomes[d],
                "voting_outcome": r.voting_outcomes[d]}));
        }
    }
    for (d, issue) in run.issues.iter().enumerate() {
        rows.push(json!({"round": run.rounds.len() + 1, "issue": issue, "outcome": run.outcomes[d],
            "voting_outcome": null}));
    }
    rows
}

/// One row per executed exchange: both sides, flat.
pub fn exchange_rows(run: &ExchangeRun) -> Vec<Value> {
    let mut rows = Vec::new();
    for r in &run.rounds {
        for (k, e) in r.exchanges.iter().enumerate() {
            let mut row = json!({"round": r.round, "order": k + 1, "gain": e.gain});
            for (prefix, s) in [("i", &e.i), ("j", &e.j)] {
                for (key, value) in [
                    ("actor", json!(s.actor)),
                    ("supply", json!(s.supply)),
                    ("demand", json!(s.demand)),
                    ("start", json!(s.start)),
                    ("shift", json!(s.shift)),
                    ("voting", json!(s.voting)),
                    ("towards", json!(s.towards)),
                    ("outcome_before", json!(s.outcome_before)),
                    ("outcome_after", json!(s.outcome_after)),
                ] {
                    row[format!("{prefix}_{key}")] = value;
                }
            }
            rows.push(row);
        }
    }
    rows
}

/// One row per round and actor: the effects of the round's exchanges on it.
pub fn externality_rows(run: &ExchangeRun) -> Vec<Value> {
    run.rounds
        .iter()
        .flat_map(|r| {
            r.externalities.iter().map(move |e| {
                json!({"round": r.round, "actor": e.actor, "inner_positive": e.inner_positive,
                    "inner_negative": e.inner_negative, "outer_positive": e.outer_positive,
                    "outer_negative": e.outer_negative, "own": e.own})
            })
        })
        .collect()
}

/// One row per issue: the outcome's distribution over the draws.
pub fn monte_carlo_rows(mc: &MonteCarlo) -> Vec<Value> {
    mc.outcomes
        .iter()
        .map(|o| {
            let mut row = json!({"issue": o.issue, "unperturbed": o.unperturbed, "mean": o.mean, "sd": o.sd});
            for (p, q) in &o.quantiles {
                row[format!("q{:02}", (p * 100.0).round() as u32)] = json!(q);
            }
            row["draws"] = json!(o.draws.len() - mc.skipped);
            row["skipped"] = json!(mc.skipped);
            row
        })
        .collect()
}

/// [`run_info`] as rows `{key, value}`.
pub fn run_info_rows(model: &NegotiationModel, perturbation: Option<&super::Perturbation>) -> Vec<Value> {
    run_info(model, perturbation).into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect()
}

/// An expected-utility run as a text chart on its issue's scale (`issue`), every actor's
/// position round by round, and the forecast below.
pub fn eum_chart(run: &EumRun, issue: &Issue) -> String {
    let series: Vec<Vec<f64>> = (0..run.actors.len())
        .map(|i| (0..=run.rounds.len()).filter_map(|t| run.positions(t).map(|x| x[i])).collect())
        .collect();
    let rule = match run.profile.decision {
        DecisionRule::Median => "weighted median",
        DecisionRule::Mean => "weighted mean",
    };
    format!(
        "{}forecast ({rule} after round {}): {}\n",
        trajectory_chart(&run.actors, &series, issue.min, issue.max, CHART_HEIGHT),
        run.rounds.len(),
        run.forecast
    )
}

/// An exchange run's outcomes round by round as a text chart, each issue (of `issues`, the
/// run's scenario's) drawn as per cent of its own scale; the last column is where the run
/// leaves them.
pub fn exchange_chart(run: &ExchangeRun, issues: &[Issue]) -> String {
    let series: Vec<Vec<f64>> = issues
        .iter()
        .enumerate()
        .map(|(d, i)| {
            let at = |x: f64| 100.0 * (x - i.min) / (i.max - i.min);
            run.rounds.iter().map(|r| at(r.outcomes[d])).chain([at(run.outcomes[d])]).collect()
        })
        .collect();
    trajectory_chart(&run.issues, &series, 0.0, 100.0, CHART_HEIGHT)
}

/// Lines of a text chart's scale.
const CHART_HEIGHT: usize = 12;

/// What a run used, as (key, value) rows: the model, its profile or options, the Monte Carlo's
/// seed and settings when there is one, and detente's version.
pub fn run_info(model: &NegotiationModel, perturbation: Option<&super::Perturbation>) -> Vec<(String, String)> {
    let mut info: Vec<(String, String)> = Vec::new();
    match model {
        NegotiationModel::Eum { issue, profile } => {
            info.push(("model".into(), "eum".into()));
            info.push(("issue".into(), issue.clone()));
            info.push(("profile".into(), profile.name.clone()));
            info.extend(profile.options().into_iter().map(|(k, v)| (k.to_string(), v)));
        }
        NegotiationModel::Exchange(options) => {
            info.push(("model".into(), "exchange".into()));
            info.extend(options.options().into_iter().map(|(k, v)| (k.to_string(), v)));
        }
    }
    if let Some(p) = perturbation {
        info.extend(p.options().into_iter().map(|(k, v)| (format!("monte_carlo.{k}"), v)));
    }
    info.push(("version".into(), env!("CARGO_PKG_VERSION").into()));
    info
}

/// The positions of every actor round by round as a text chart: rounds across, the scale
/// down, each actor a letter (a `*` where several meet), with the legend below.
fn trajectory_chart(actors: &[String], series: &[Vec<f64>], low: f64, high: f64, height: usize) -> String {
    let height = height.max(3);
    let rounds = series.first().map_or(0, Vec::len);
    let span = if high > low { high - low } else { 1.0 };
    let row_of = |x: f64| (((high - x) / span) * (height - 1) as f64).round().clamp(0.0, (height - 1) as f64) as usize;
    let rounds = series.iter().map(Vec::len).max().unwrap_or(rounds);
    let mut grid = vec![vec![' '; rounds * 3]; height];
    // A–Z, then a–z, then digits; `#` past those.
    let letter = |k: usize| {
        let marks = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        marks.get(k).map_or('#', |&b| char::from(b))
    };
    for (k, xs) in series.iter().enumerate() {
        for (t, &x) in xs.iter().enumerate().filter(|(_, x)| x.is_finite()) {
            if let Some(cell) = grid.get_mut(row_of(x)).and_then(|row| row.get_mut(t * 3 + 1)) {
                *cell = if *cell == ' ' || *cell == letter(k) { letter(k) } else { '*' };
            }
        }
    }
    let mut out = String::new();
    for (r, line) in grid.iter().enumerate() {
        let label = high - span * r as f64 / (height - 1) as f64;
        out.push_str(&format!("{label:>9.2} |{}\n", line.iter().collect::<String>().trim_end()));
    }
    out.push_str(&format!("{:>9} +{}\n", "", "-".repeat(rounds * 3)));
    let ticks: String = (0..rounds).map(|t| format!("{t:^3}")).collect();
    out.push_str(&format!("{:>9}  {}  (round)\n", "", ticks.trim_end()));
    for (k, a) in actors.iter().enumerate() {
        out.push_str(&format!("  {} {a}\n", letter(k)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiation::tests::ec_case;
    use crate::negotiation::{EumProfile, run_eum};

    #[test]
    fn the_ec_run_as_rows_and_a_chart() {
        let run = run_eum(&ec_case(), "emissions", &EumProfile::default()).expect("run");
        let rounds = eum_round_rows(&run);
        assert_eq!(rounds.len(), 11);
        assert!((rounds[1]["median"].as_f64().expect("median") - 8.415932315426765).abs() < 1e-12);
        let trajectory = eum_trajectory_rows(&run);
        let belgium = trajectory.iter().find(|r| r["round"] == 1 && r["actor"] == "Belgium").expect("row");
        assert_eq!((belgium["offer"].as_str(), belgium["proposer"].as_str()), (Some("compromise"), Some("France")));
        let accepted = eum_offer_rows(&run).iter().filter(|r| r["round"] == 1 && r["accepted"] == true).count();
        assert_eq!(accepted, 3, "Belgium, Luxembourg and Ireland move in round 1");
        let chart = perspective_rows(&run.perspective("Belgium", 1).expect("chart"));
        let lux = chart.iter().find(|r| r["other"] == "Luxembourg").expect("Luxembourg");
        assert_eq!(lux["reading"], "conflict", "both expect to gain from a challenge");
        let scale = Issue { id: "emissions".into(), label: String::new(), min: 4.0, max: 10.0, anchors: Vec::new() };
        let text = eum_chart(&run, &scale);
        assert_eq!(text.lines().count(), CHART_HEIGHT + 2 + run.actors.len() + 1);
        assert!(text.ends_with("forecast (weighted median after round 10): 7\n"), "{text}");
        assert!(text.lines().next().expect("top").starts_with("    10.00 |"), "{text}");
    }
}
