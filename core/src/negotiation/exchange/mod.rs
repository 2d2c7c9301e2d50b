//! Stokman's exchange model — the Equal Gain model of Stokman & Van Oosten (1994) as the open
//! Decide tool computes it. Actors trade votes across issues: one that cares more about p than q
//! moves its vote on q towards a partner who cares more about q, in return for the partner's move
//! on p, sized so that both gain the same. Each round executes the best exchanges first; the
//! voting positions then move each actor's preferences part of the way (the less salient the
//! issue, the more), and the next round starts from there.
//!
//! Ties between equal gains are broken by actor and issue ([`TieBreak::ById`], the default, the
//! same answer every time) or as Decide does, by Python's seeded `random.random()`
//! ([`TieBreak::DecideSeeded`]), which with Decide's decimal arithmetic ([`Fidelity::Decide`])
//! reproduces Decide's own runs exchange for exchange.

mod engine;
mod number;
#[cfg(test)]
mod tests;

use super::Scenario;
use super::python_decimal::PyDecimal;
use super::python_random::PythonRandom;
use crate::error::{Error, Result};
use engine::{Board, Candidate};
use number::Number;

/// Whether a run follows Decide's bookkeeping and arithmetic exactly, or ours where they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fidelity {
    /// Decide's steps to the letter, in its arithmetic: Python's decimals of 28 significant
    /// digits, each result rounded half-even, so that gains equal but for their last digits
    /// sort as in Decide (about five times slower than binary floats). Each side's overshoot is
    /// checked once, so cutting the second side's move can leave the first passing its
    /// partner's position (rarely). Every salience and capability must be above zero, as
    /// Decide divides by them.
    Decide,
    /// Binary floats, and no move ever carries an outcome past the partner's position.
    Strict,
}

/// How ties between equal gains are broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    /// The exchange between the actors, then issues, that come first in the scenario's order.
    ById,
    /// Decide's way (2025.3.1, p = 0): Python's generator seeded with `seed`, `discarded`
    /// 32-bit words drawn before the run, then at each tie a draw ≥ 0.5 executes the runner-up
    /// first. Decide's command line discards one word: seeded before it starts, the `rich`
    /// package it imports draws `getrandbits(24)` (Decide as a library discards none).
    DecideSeeded {
        /// `random.seed(seed)`.
        seed: u64,
        /// Words drawn from the generator before the run.
        discarded: u32,
    },
}

/// The choices of an exchange-model run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeOptions {
    /// Rounds to play (Decide: 10).
    pub rounds: usize,
    /// How ties are broken.
    pub tie_break: TieBreak,
    /// Decide's overshoot check, or the strict one.
    pub fidelity: Fidelity,
    /// How much of its vote an actor takes into its next preference, per unit of (1 − salience)
    /// (Decide: 0.4).
    pub salience_weight: f64,
    /// And regardless of salience (Decide: 0.1).
    pub fixed_weight: f64,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions {
            rounds: 10,
            tie_break: TieBreak::ById,
            fidelity: Fidelity::Strict,
            salience_weight: 0.4,
            fixed_weight: 0.1,
        }
    }
}

impl ExchangeOptions {
    /// Decide's command-line run to the letter: its overshoot check, its tie-breaks from
    /// Python's `random` seeded with `seed` (one word discarded, as its command line does).
    pub fn decide(seed: u64) -> Self {
        ExchangeOptions {
            tie_break: TieBreak::DecideSeeded { seed, discarded: 1 },
            fidelity: Fidelity::Decide,
            ..ExchangeOptions::default()
        }
    }

    /// The options of a request: `rounds` rounds, following Decide's command line to the letter
    /// when a `decide_seed` is given, else the defaults.
    pub fn with(rounds: usize, decide_seed: Option<u64>) -> Self {
        let base = match decide_seed {
            Some(seed) => ExchangeOptions::decide(seed),
            None => ExchangeOptions::default(),
        };
        ExchangeOptions { rounds, ..base }
    }

    /// Every option as (key, value), as a run records it.
    pub fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            ("rounds", self.rounds.to_string()),
            (
                "tie_break",
                match self.tie_break {
                    TieBreak::ById => "by_id".to_string(),
                    TieBreak::DecideSeeded { seed, discarded } => format!("decide_seeded:{seed}:{discarded}"),
                },
            ),
            (
                "fidelity",
                match self.fidelity {
                    Fidelity::Decide => "decide",
                    Fidelity::Strict => "strict",
                }
                .to_string(),
            ),
            (
                "arithmetic",
                match self.fidelity {
                    Fidelity::Decide => "decimal28",
                    Fidelity::Strict => "binary64",
                }
                .to_string(),
            ),
            ("salience_weight", self.salience_weight.to_string()),
            ("fixed_weight", self.fixed_weight.to_string()),
        ]
    }
}

/// Generator state for the tie-breaks of a run.
pub(super) enum ExchangeOrder {
    ById,
    Decide(Box<PythonRandom>),
}

/// One actor's part in an executed exchange. Positions are on the issue's own scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeSide {
    /// The actor.
    pub actor: String,
    /// The issue on which it moves its vote.
    pub supply: String,
    /// The issue on which the partner moves towards it.
    pub demand: String,
    /// Its vote on the supply issue before this exchange.
    pub start: f64,
    /// How far it moves (signed).
    pub shift: f64,
    /// Its vote after the move.
    pub voting: f64,
    /// The partner's position on that issue, which it moves towards.
    pub towards: f64,
    /// The supply issue's expected outcome before its move.
    pub outcome_before: f64,
    /// And after.
    pub outcome_after: f64,
}

/// An executed exchange: both sides gain the same.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutedExchange {
    /// Each side's gain, in salience × outcome shift on the 0–100 normalised scales.
    pub gain: f64,
    /// The side that supplies on the second issue of the pair.
    pub i: ExchangeSide,
    /// The side that supplies on the first.
    pub j: ExchangeSide,
}

/// The effects on one actor of a round's exchanges: those it made (own) and others' exchanges
/// that moved outcomes towards it (positive) or away (negative), from actors on the exchangers'
/// sides of both outcomes (inner) or not (outer).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Externality {
    /// The actor.
    pub actor: String,
    /// Inner positive.
    pub inner_positive: f64,
    /// Inner negative.
    pub inner_negative: f64,
    /// Outer positive.
    pub outer_positive: f64,
    /// Outer negative.
    pub outer_negative: f64,
    /// Its own gains.
    pub own: f64,
}

/// One round of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeRound {
    /// The round, from 1.
    pub round: usize,
    /// Each issue's expected outcome at the round's start (preferences), in issue order.
    pub outcomes: Vec<f64>,
    /// Each issue's expected outcome on the votes after the round's exchanges.
    pub voting_outcomes: Vec<f64>,
    /// The exchanges executed, in order. (Decide's seeded order can list an exchange twice;
    /// executed, it is then recalculated against itself, and where that leaves it invalid it
    /// is left out here, as Decide leaves it out, though its votes count.)
    pub exchanges: Vec<ExecutedExchange>,
    /// Every actor's externalities in the round.
    pub externalities: Vec<Externality>,
    /// How many ties the tie-break decided.
    pub ties: usize,
}

/// A run of the exchange model, with what is needed to reproduce it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeRun {
    /// The issues, in order.
    pub issues: Vec<String>,
    /// The actors, in order.
    pub actors: Vec<String>,
    /// The options used.
    pub options: ExchangeOptions,
    /// detente's version.
    pub version: &'static str,
    /// The rounds.
    pub rounds: Vec<ExchangeRound>,
    /// Each issue's expected outcome after the last round (on the preferences it leaves).
    pub outcomes: Vec<f64>,
}

/// Runs the exchange model on every issue of the scenario.
pub fn run_exchange(scenario: &Scenario, options: &ExchangeOptions) -> Result<ExchangeRun> {
    if scenario.issues().len() < 2 {
        return Err(Error::invalid("issues", "the exchange model needs two issues or more to trade across"));
    }
    for (field, w) in [("salience_weight", options.salience_weight), ("fixed_weight", options.fixed_weight)] {
        if !(0.0..=1.0).contains(&w) {
            return Err(Error::invalid(field, format!("{w} is not within 0 to 1")));
        }
    }
    // An actor that cares nothing for an issue takes in both: more than all of its vote would
    // carry its preference past the vote.
    if options.salience_weight + options.fixed_weight > 1.0 {
        return Err(Error::invalid("fixed_weight", "salience_weight + fixed_weight must not exceed 1"));
    }
    if options.rounds > super::MAX_ROUNDS {
        return Err(Error::invalid("rounds", format!("{} rounds is more than {}", options.rounds, super::MAX_ROUNDS)));
    }
    match options.fidelity {
        Fidelity::Decide => {
            if let Some(s) = scenario.stances().iter().find(|s| s.salience <= 0.0 || s.capability <= 0.0) {
                let field = if s.salience <= 0.0 { "salience" } else { "capability" };
                return Err(Error::invalid(
                    field,
                    format!(
                        "{} on {} has {field} 0; Decide's arithmetic divides by every salience and capability",
                        s.actor, s.issue
                    ),
                ));
            }
            run::<PyDecimal>(scenario, options)
        }
        Fidelity::Strict => run::<f64>(scenario, options),
    }
}

/// The run in arithmetic `T`.
fn run<T: Number>(scenario: &Scenario, options: &ExchangeOptions) -> Result<ExchangeRun> {
    let exact = |field: &str, value: f64| {
        T::exact(value).ok_or_else(|| Error::invalid(field, format!("{value} is too small to take exactly")))
    };
    let salience_weight = exact("salience_weight", options.salience_weight)?;
    let fixed_weight = exact("fixed_weight", options.fixed_weight)?;
    let actors = scenario.actors();
    let issues = scenario.issues();
    let n = actors.len();
    let mut x = vec![vec![None; n]; issues.len()];
    let mut salience = vec![vec![T::zero(); n]; issues.len()];
    let mut power = vec![vec![T::zero(); n]; issues.len()];
    let mut order = vec![Vec::new(); issues.len()];
    for (d, issue) in issues.iter().enumerate() {
        // Decide: (position − lower) × (100 / (upper − lower)).
        let (lower, upper) = (T::input(issue.min), T::input(issue.max));
        let step = T::int(100) / (upper - lower);
        for s in scenario.stances_on(&issue.id) {
            let Some(a) = actors.iter().position(|x| *x == s.actor) else { continue };
            x[d][a] = Some((T::input(s.position) - lower) * step);
            salience[d][a] = T::input(s.salience);
            power[d][a] = T::input(s.capability);
            order[d].push(a);
        }
    }
    let strict = options.fidelity == Fidelity::Strict;
    let mut board = Board::new(x, salience, power, order, strict, exact("min_gain", 1e-10)?, exact("tie", T::TIE)?);
    let scale = |d: usize, v: T| issues[d].min + v.to_f64() * (issues[d].max - issues[d].min) / 100.0;
    let span = |d: usize, v: T| v.to_f64() * (issues[d].max - issues[d].min) / 100.0;
    let mut tie_breaker = engine::order_of(options.tie_break);
    let mut rounds = Vec::with_capacity(options.rounds);
    for round in 1..=options.rounds {
        let outcomes: Vec<T> = (0..issues.len()).map(|d| board.outcome(d)).collect();
        let (candidates, groups) = engine::candidates(&board, &outcomes);
        let played = engine::play_round(&board, candidates, &mut tie_breaker);
        let mut externalities: Vec<Externality> =
            actors.iter().map(|a| Externality { actor: a.clone(), ..Externality::default() }).collect();
        for done in &played.when_executed {
            add_externalities(&board, done, &groups, &mut externalities);
        }
        let side = |s: &engine::Side<T>, partner: &engine::Side<T>| ExchangeSide {
            actor: actors[s.actor].clone(),
            supply: issues[s.supply].id.clone(),
            demand: issues[s.demand].id.clone(),
            start: scale(s.supply, s.supply_position),
            shift: span(s.supply, s.shift),
            voting: scale(s.supply, s.y),
            towards: scale(s.supply, partner.demand_position),
            outcome_before: scale(s.supply, s.outcome_before),
            outcome_after: scale(s.supply, s.outcome_after),
        };
        // Listed as Decide lists them: those still valid at the round's end.
        let exchanges: Vec<ExecutedExchange> = played
            .executed
            .iter()
            .filter(|&&k| played.all[k].valid)
            .map(|&k| {
                let c = &played.all[k];
                ExecutedExchange { gain: c.gain.to_f64(), i: side(&c.i, &c.j), j: side(&c.j, &c.i) }
            })
            .collect();
        // Votes replace positions for the voting outcome; then each actor's preference moves
        // towards its vote, the more the less it cares.
        let mut votes = board.x.clone();
        for &k in &played.executed {
            let c = &played.all[k];
            for s in [&c.i, &c.j] {
                votes[s.supply][s.actor] = Some(s.y);
            }
        }
        board.set_positions(votes);
        let voting_outcomes = (0..issues.len()).map(|d| scale(d, board.outcome(d))).collect();
        let mut preferences = board.x.clone();
        for &k in &played.executed {
            let c = &played.all[k];
            for s in [&c.i, &c.j] {
                // Decide: (1 − s)·sw·y + fw·y + (1 − (1 − s)·sw − fw)·x, in that order.
                let one = T::int(1);
                let lean = (one - board.salience[s.supply][s.actor]).mul_exact(&salience_weight);
                let moved = lean * s.y + s.y.mul_exact(&fixed_weight) + (one - lean).sub_exact(&fixed_weight) * s.start;
                preferences[s.supply][s.actor] = Some(moved);
            }
        }
        board.set_positions(preferences);
        rounds.push(ExchangeRound {
            round,
            outcomes: outcomes.iter().enumerate().map(|(d, &o)| scale(d, o)).collect(),
            voting_outcomes,
            exchanges,
            externalities,
            ties: played.ties,
        });
    }
    let outcomes = (0..issues.len()).map(|d| scale(d, board.outcome(d))).collect();
    Ok(ExchangeRun {
        issues: issues.iter().map(|i| i.id.clone()).collect(),
        actors,
        options: options.clone(),
        version: env!("CARGO_PKG_VERSION"),
        rounds,
        outcomes,
    })
}

/// Adds one executed exchange's effects on every actor (Decide's externalities): for an actor
/// on both issues, how much nearer (or farther) each outcome moved to it, weighted by salience.
fn add_externalities<T: Number>(
    board: &Board<T>,
    done: &Candidate<T>,
    groups: &[engine::Groups],
    into: &mut [Externality],
) {
    // Inner: the actors of the two groups the exchangers come from (A and D, or B and C).
    let inner: Vec<usize> = groups
        .iter()
        .filter(|g| g.0 == (done.p, done.q))
        .flat_map(|(_, g)| if done.outer_pair_ad { [&g[0], &g[3]] } else { [&g[1], &g[2]] })
        .flatten()
        .copied()
        .collect();
    for (k, e) in into.iter_mut().enumerate() {
        if k == done.i.actor || k == done.j.actor {
            e.own += done.gain.to_f64();
            continue;
        }
        let (p, q) = (done.j.supply, done.i.supply);
        let value = match (board.x[p][k], board.x[q][k]) {
            (Some(xp), Some(xq)) => {
                let l = (done.j.outcome_before - xp).abs() - (done.j.outcome_after - xp).abs();
                let r = (done.i.outcome_before - xq).abs() - (done.i.outcome_after - xq).abs();
                (l * board.salience[p][k] + r * board.salience[q][k]).to_f64()
            }
            _ => 0.0,
        };
        let is_inner = inner.contains(&k);
        match (value > 0.0, is_inner) {
            (true, true) => e.inner_positive += value,
            (true, false) => e.outer_positive += value,
            (false, true) => e.inner_negative += value,
            (false, false) => e.outer_negative += value,
        }
    }
}
