//! One round of the Equal Gain exchange model, step for step as Decide computes it (our notes,
//! §2.3): candidate exchanges between actors on opposite sides of the expected outcome on two
//! issues, each sized for equal gains and cut back where it would push an outcome past the
//! demanding actor's position; the best executed first, the others recomputed after each.
//!
//! Positions here are on 0–100 (each issue normalised), as in Decide. The quirks of Decide's
//! bookkeeping that change results are kept, because its published runs are the reference: the
//! move history an exchange checks for a change of direction, the "updates" of demand positions,
//! and, in Decide's seeded order, a tied runner-up that stays listed twice.

use super::{ExchangeOrder, TieBreak};
use crate::negotiation::python_random::PythonRandom;

/// A gain below this is no gain.
const MIN_GAIN: f64 = 1e-10;
/// Gains this close are a tie (Decide: 1e-20 between 28-digit decimals; rounding in binary
/// floats needs more room).
const TIE: f64 = 1e-12;

/// The round's fixed data: per issue and actor, position (None where the actor has no stance),
/// salience and power, and per issue Σ power × salience.
pub(super) struct Board {
    pub(super) x: Vec<Vec<Option<f64>>>,
    pub(super) salience: Vec<Vec<f64>>,
    pub(super) power: Vec<Vec<f64>>,
    pub(super) denominator: Vec<f64>,
    pub(super) n_actors: usize,
    /// Whether overshoot is checked until neither side's move passes the partner (else once per
    /// side, as Decide does, where cutting the second can make the first pass again).
    pub(super) strict: bool,
}

impl Board {
    fn sal(&self, issue: usize, actor: usize) -> f64 {
        self.salience[issue][actor]
    }

    fn weight(&self, issue: usize, actor: usize) -> f64 {
        self.salience[issue][actor] * self.power[issue][actor]
    }

    /// The expected outcome of an issue: Σ c·s·x / Σ c·s (0 with no weight).
    pub(super) fn outcome(&self, issue: usize) -> f64 {
        self.outcome_of(&self.x, issue)
    }

    /// The outcome of an issue were the actors at `x` (the votes, say) instead.
    pub(super) fn outcome_of(&self, x: &[Vec<Option<f64>>], issue: usize) -> f64 {
        if self.denominator[issue] == 0.0 {
            return 0.0;
        }
        let top: f64 = (0..self.n_actors).filter_map(|a| x[issue][a].map(|x| x * self.weight(issue, a))).sum();
        top / self.denominator[issue]
    }

    pub(super) fn refresh_denominators(&mut self) {
        self.denominator = (0..self.x.len())
            .map(|d| (0..self.n_actors).filter(|&a| self.x[d][a].is_some()).map(|a| self.weight(d, a)).sum())
            .collect();
    }
}

/// One actor's side of an exchange: it moves its vote on its supply issue towards the partner
/// and gets the partner's move on its demand issue.
#[derive(Debug, Clone)]
pub(super) struct Side {
    pub(super) actor: usize,
    pub(super) supply: usize,
    pub(super) demand: usize,
    /// Its position on the supply issue (moved on by exchanges executed before this one).
    pub(super) supply_position: f64,
    /// Its position on the demand issue.
    pub(super) demand_position: f64,
    /// Its supply position when the round began.
    pub(super) start: f64,
    /// Its voting position on the supply issue if the exchange is executed.
    pub(super) y: f64,
    pub(super) shift: f64,
    /// Decide's move history for the direction check.
    moves: Vec<f64>,
    /// The supply issue's outcome before and after its move.
    pub(super) outcome_before: f64,
    pub(super) outcome_after: f64,
}

impl Side {
    fn new(board: &Board, actor: usize, supply: usize, demand: usize) -> Side {
        let at = |d: usize| board.x[d][actor].unwrap_or(0.0);
        Side {
            actor,
            supply,
            demand,
            supply_position: at(supply),
            demand_position: at(demand),
            start: at(supply),
            y: at(supply),
            shift: 0.0,
            moves: Vec::new(),
            outcome_before: 0.0,
            outcome_after: 0.0,
        }
    }

    /// A move stays within 0–100, is no smaller than rounding, and never reverses the
    /// direction of earlier moves.
    fn move_is_valid(&self, shift: f64) -> bool {
        if shift.abs() > 100.0 || shift.abs() <= MIN_GAIN {
            return false;
        }
        let to = self.supply_position + shift;
        if !(0.0..=100.0).contains(&to) || self.moves.iter().sum::<f64>() > 100.0 {
            return false;
        }
        let min = self.moves.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.moves.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min < 0.0 && max < 0.0) || (min > 0.0 && max > 0.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    I,
    J,
}

impl Who {
    fn other(self) -> Who {
        match self {
            Who::I => Who::J,
            Who::J => Who::I,
        }
    }
}

/// A candidate exchange between two actors on the issues p and q.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) i: Side,
    pub(super) j: Side,
    pub(super) p: usize,
    pub(super) q: usize,
    /// Whether the pair are of groups A and D (else B and C).
    pub(super) outer_pair_ad: bool,
    pub(super) gain: f64,
    pub(super) valid: bool,
    /// Voting positions of exchanges executed since, on this exchange's issues (issue, actor).
    updates: Vec<(usize, usize, f64)>,
}

impl Candidate {
    pub(super) fn new(board: &Board, i: usize, j: usize, p: usize, q: usize, outer_pair_ad: bool) -> Candidate {
        // The actor whose salience leans more to q supplies q.
        let (a, b) =
            if board.sal(p, i) / board.sal(q, i) < board.sal(p, j) / board.sal(q, j) { (j, i) } else { (i, j) };
        let mut c = Candidate {
            i: Side::new(board, a, q, p),
            j: Side::new(board, b, p, q),
            p,
            q,
            outer_pair_ad,
            gain: 0.0,
            valid: true,
            updates: Vec::new(),
        };
        c.calculate(board);
        c
    }

    fn side(&self, w: Who) -> &Side {
        match w {
            Who::I => &self.i,
            Who::J => &self.j,
        }
    }

    fn side_mut(&mut self, w: Who) -> &mut Side {
        match w {
            Who::I => &mut self.i,
            Who::J => &mut self.j,
        }
    }

    fn update(&self, issue: usize, actor: usize) -> Option<f64> {
        self.updates.iter().find(|u| u.0 == issue && u.1 == actor).map(|u| u.2)
    }

    fn set_update(&mut self, issue: usize, actor: usize, value: f64) {
        match self.updates.iter_mut().find(|u| u.0 == issue && u.1 == actor) {
            Some(u) => u.2 = value,
            None => self.updates.push((issue, actor, value)),
        }
    }

    /// The supply issue's outcome with side `w` at `position` and the executed exchanges'
    /// voting positions in place.
    fn outcome_with(&self, board: &Board, w: Who, position: f64) -> f64 {
        let s = self.side(w);
        let d = s.supply;
        if board.denominator[d] == 0.0 {
            return 0.0;
        }
        let top: f64 = (0..board.n_actors)
            .filter_map(|a| {
                let x = board.x[d][a]?;
                let x = if a == s.actor { position } else { self.update(d, a).unwrap_or(x) };
                Some(x * board.weight(d, a))
            })
            .sum();
        top / board.denominator[d]
    }

    /// How far side `w` must move from its supply position for its supply issue's outcome to
    /// be `outcome` (signed), the executed exchanges' voting positions in place.
    fn shift_for(&self, board: &Board, w: Who, outcome: f64) -> f64 {
        let s = self.side(w);
        let d = s.supply;
        let now: f64 = (0..board.n_actors)
            .filter_map(|a| {
                let x = board.x[d][a]?;
                // Decide lets a recorded vote of the actor itself override its position here
                // (but not in the outcome it checks against); strict runs use the position.
                let x = match self.update(d, a) {
                    _ if a == s.actor && board.strict => s.supply_position,
                    Some(u) => u,
                    None if a == s.actor => s.supply_position,
                    None => x,
                };
                Some(x * board.weight(d, a))
            })
            .sum();
        (outcome * board.denominator[d] - now) / board.weight(d, s.actor)
    }

    /// The outcome shift of `w` moving all the way to the partner's position.
    fn full_ratio(&self, board: &Board, w: Who) -> f64 {
        let (s, o) = (self.side(w), self.side(w.other()));
        (o.demand_position - s.supply_position).abs() * board.weight(s.supply, s.actor) / board.denominator[s.supply]
    }

    /// The partner's outcome shift that gives both the same gain as `w`'s shift `ratio`.
    fn equal_ratio(&self, board: &Board, w: Who, ratio: f64) -> f64 {
        let (s, o) = (self.side(w), self.side(w.other()));
        (board.sal(s.supply, s.actor) + board.sal(o.demand, o.actor))
            / (board.sal(s.demand, s.actor) + board.sal(o.supply, o.actor))
            * ratio
    }

    /// The move of `w` that shifts its supply outcome by `ratio`.
    fn move_for(&self, board: &Board, w: Who, ratio: f64) -> f64 {
        let s = self.side(w);
        ratio * board.denominator[s.supply] / board.weight(s.supply, s.actor)
    }

    /// A side's gain from shifts of its supply (`supply_ratio`) and demand (`demand_ratio`)
    /// outcomes.
    fn gain_of(&self, board: &Board, w: Who, supply_ratio: f64, demand_ratio: f64) -> f64 {
        let s = self.side(w);
        (supply_ratio * board.sal(s.supply, s.actor) - demand_ratio * board.sal(s.demand, s.actor)).abs()
    }

    /// Sizes the exchange for equal gains and checks it.
    pub(super) fn calculate(&mut self, board: &Board) {
        // j first moves all the way to i on p; if i's equal-gain move on q then overshoots j,
        // i moves all the way instead and j's move is scaled.
        let mut dp = self.full_ratio(board, Who::J);
        let mut dq = self.equal_ratio(board, Who::J, dp);
        let mut i_shift = self.move_for(board, Who::I, dq);
        let mut j_shift = (self.i.demand_position - self.j.supply_position).abs();
        if i_shift.abs() > (self.j.demand_position - self.i.supply_position).abs() {
            dq = self.full_ratio(board, Who::I);
            dp = self.equal_ratio(board, Who::I, dq);
            i_shift = (self.j.demand_position - self.i.supply_position).abs();
            j_shift = self.move_for(board, Who::J, dp);
        }
        if self.i.supply_position > self.j.demand_position {
            i_shift = -i_shift;
        }
        if self.j.supply_position > self.i.demand_position {
            j_shift = -j_shift;
        }
        for (w, shift) in [(Who::I, i_shift), (Who::J, j_shift)] {
            let s = self.side_mut(w);
            s.shift = shift;
            s.moves.push(shift);
            s.y = s.supply_position + shift;
        }
        self.gain = self.gain_of(board, Who::I, dq, dp);
        self.valid = self.i.move_is_valid(self.i.shift) && self.j.move_is_valid(self.j.shift) && self.gain >= MIN_GAIN;
        if !self.valid {
            return;
        }
        self.limit_to_demand(board, Who::I);
        self.limit_to_demand(board, Who::J);
        // Each cut only shrinks both moves, so this settles; a few passes are plenty.
        for _ in 0..8 {
            if !board.strict || !(self.overshoots(board, Who::I) || self.overshoots(board, Who::J)) {
                break;
            }
            self.limit_to_demand(board, Who::I);
            self.limit_to_demand(board, Who::J);
        }
        self.valid = self.i.move_is_valid(self.i.shift) && self.j.move_is_valid(self.j.shift);
    }

    /// Whether `w`'s move carries its supply outcome past the partner's position.
    fn overshoots(&self, board: &Board, w: Who) -> bool {
        let before = self.outcome_with(board, w, self.side(w).supply_position);
        let after = self.outcome_with(board, w, self.side(w).y);
        let target = self.side(w.other()).demand_position;
        (target - before) * (target - after) < 0.0 && (target - after).abs() > MIN_GAIN
    }

    /// No overshoot: when `w`'s move would carry its supply outcome past the partner's own
    /// position, the move is cut so that the outcome lands there and the partner's move is
    /// recomputed for equal gains.
    fn limit_to_demand(&mut self, board: &Board, w: Who) {
        let before = self.outcome_with(board, w, self.side(w).supply_position);
        let after = self.outcome_with(board, w, self.side(w).y);
        let target = self.side(w.other()).demand_position;
        {
            let s = self.side_mut(w);
            s.outcome_before = before;
            s.outcome_after = after;
        }
        if (target - before >= 0.0 && target - after >= 0.0) || (target - before <= 0.0 && target - after <= 0.0) {
            return;
        }
        let shift = self.shift_for(board, w, target).abs();
        let ratio =
            shift * board.weight(self.side(w).supply, self.side(w).actor) / board.denominator[self.side(w).supply];
        let other_ratio = self.equal_ratio(board, w, ratio);
        let mut other_shift = self.move_for(board, w.other(), other_ratio).abs();
        let mut own_shift = shift;
        let (s, o) = (self.side(w).clone(), self.side(w.other()).clone());
        if o.supply_position > s.demand_position {
            other_shift = -other_shift;
        }
        if s.supply_position > o.demand_position {
            own_shift = -own_shift;
        }
        for (who, value) in [(w.other(), other_shift), (w, own_shift)] {
            let side = self.side_mut(who);
            side.moves.pop();
            side.moves.push(value);
            side.shift = value;
            side.y = side.supply_position + value;
        }
        self.gain = self.gain_of(board, w.other(), other_ratio, ratio);
        let after = self.outcome_with(board, w, self.side(w).y);
        self.side_mut(w).outcome_after = after;
    }

    /// After `done` is executed: take its voting positions where they concern this exchange's
    /// sides or demand issues, and recompute if anything changed.
    fn recalculate(&mut self, board: &Board, done: &Candidate) {
        let mut again = false;
        let mut moved = [false; 2];
        for (k, w) in [Who::I, Who::J].into_iter().enumerate() {
            for d in [&done.i, &done.j] {
                let s = self.side_mut(w);
                if s.actor == d.actor && s.supply == d.supply {
                    s.supply_position = d.y;
                    s.moves.push(d.moves.last().copied().unwrap_or(0.0));
                    moved[k] = true;
                    break;
                }
            }
        }
        if moved[0] || moved[1] {
            self.i.moves.pop();
            self.j.moves.pop();
            again = true;
        }
        for (demanding, mover) in [(&done.j, &done.i), (&done.i, &done.j)] {
            let concerns =
                [&self.i, &self.j].iter().any(|s| s.actor == demanding.actor && s.demand == demanding.demand);
            if !concerns {
                continue;
            }
            let issue = demanding.demand;
            let value = match self.update(issue, mover.actor) {
                Some(u) if mover.start <= u => u.min(mover.y),
                Some(u) => u.max(mover.y),
                None => mover.y,
            };
            self.set_update(issue, mover.actor, value);
            if !again {
                self.i.moves.pop();
                self.j.moves.pop();
                again = true;
            }
        }
        if again {
            self.calculate(board);
        }
    }

    /// The deterministic tie-break key: the two actors and the two supply issues.
    fn key(&self) -> (usize, usize, usize, usize) {
        (self.i.actor.min(self.j.actor), self.i.actor.max(self.j.actor), self.p, self.q)
    }
}

/// The exchanges a round executes, in order (indices into `all`), and every candidate.
pub(super) struct Played {
    pub(super) all: Vec<Candidate>,
    pub(super) executed: Vec<usize>,
    /// How many ties the tie-break decided.
    pub(super) ties: usize,
}

/// Executes exchanges, best gain first, until none is left.
pub(super) fn play_round(board: &Board, candidates: Vec<Candidate>, order: &mut ExchangeOrder) -> Played {
    let mut all = candidates;
    let mut list: Vec<usize> = (0..all.len()).collect();
    let mut executed = Vec::new();
    let mut ties = 0;
    while !list.is_empty() {
        // Stable: equal gains keep the order the candidates were made in. (Decide's 28-digit
        // decimals order gains equal but for rounding otherwise than binary floats do: the one
        // place its runs and these part.)
        list.sort_by(|a, b| all[*b].gain.total_cmp(&all[*a].gain));
        let mut chosen = list.remove(0);
        if let Some(&next) = list.first() {
            let tied = (all[chosen].gain - all[next].gain).abs() < TIE * all[chosen].gain.abs().max(1.0);
            if tied {
                ties += 1;
                match order {
                    ExchangeOrder::Decide(rng) => {
                        // Decide's rule, its duplicate included: on a draw ≥ 0.5 the runner-up
                        // goes first, else the runner-up is listed a second time.
                        if rng.random() >= 0.5 {
                            list.push(chosen);
                            chosen = list.remove(0);
                        } else {
                            list.push(next);
                        }
                    }
                    ExchangeOrder::ById => {
                        // The tied candidate with the lowest (actors, issues) key goes first.
                        let gain = all[chosen].gain;
                        let tie = |k: usize| (gain - all[k].gain).abs() < TIE * gain.abs().max(1.0);
                        let best = list.iter().enumerate().filter(|e| tie(*e.1)).min_by_key(|e| all[*e.1].key());
                        if let Some((at, &k)) = best
                            && all[k].key() < all[chosen].key()
                        {
                            list.remove(at);
                            list.push(chosen);
                            chosen = k;
                        }
                    }
                }
            }
        }
        if !all[chosen].valid {
            continue;
        }
        let mut kept = Vec::with_capacity(list.len());
        for &k in &list {
            if !all[k].valid {
                continue;
            }
            let done = all[chosen].clone();
            all[k].recalculate(board, &done);

            if all[k].valid {
                kept.push(k);
            }
        }
        list = kept;
        executed.push(chosen);
    }
    Played { all, executed, ties }
}

/// An issue pair (p, q) and its actors by side of the two outcomes: A (right of both), B (left
/// on p only), C (left on q only), D (left of both).
pub(super) type Groups = ((usize, usize), [Vec<usize>; 4]);

/// The candidate exchanges of a round, in Decide's order: per pair of issues (in order), the
/// actors right of both expected `outcomes` with those left of both, then those left on p only
/// with those left on q only. Returns them with each issue pair's groups (A, B, C, D).
pub(super) fn candidates(board: &Board, outcomes: &[f64]) -> (Vec<Candidate>, Vec<Groups>) {
    let n_issues = board.x.len();
    let left = |d: usize, a: usize| board.x[d][a].is_some_and(|x| x <= outcomes[d]);
    let mut all = Vec::new();
    let mut groups = Vec::new();
    for p in 0..n_issues {
        for q in p + 1..n_issues {
            let mut g: [Vec<usize>; 4] = Default::default();
            for a in (0..board.n_actors).filter(|&a| board.x[p][a].is_some() && board.x[q][a].is_some()) {
                g[usize::from(left(p, a)) | (usize::from(left(q, a)) << 1)].push(a);
            }
            for &i in &g[0] {
                for &j in &g[3] {
                    all.push(Candidate::new(board, i, j, p, q, true));
                }
            }
            for &i in &g[1] {
                for &j in &g[2] {
                    all.push(Candidate::new(board, i, j, p, q, false));
                }
            }
            groups.push(((p, q), g));
        }
    }
    (all, groups)
}

/// The tie-break in use for a run, with its generator when it follows Decide.
pub(super) fn order_of(tie_break: TieBreak) -> ExchangeOrder {
    match tie_break {
        TieBreak::ById => ExchangeOrder::ById,
        TieBreak::DecideSeeded { seed, discarded } => {
            let mut rng = PythonRandom::seeded(seed);
            for _ in 0..discarded {
                rng.discard_word();
            }
            ExchangeOrder::Decide(Box::new(rng))
        }
    }
}
