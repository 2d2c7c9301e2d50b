//! One round of the Equal Gain exchange model, step for step as Decide computes it (our notes,
//! §2.3): candidate exchanges between actors on opposite sides of the expected outcome on two
//! issues, each sized for equal gains and cut back where it would push an outcome past the
//! demanding actor's position; the best executed first, the others recomputed after each.
//!
//! Positions here are on 0–100 (each issue normalised), as in Decide. The quirks of Decide's
//! bookkeeping that change results are kept, because its published runs are the reference: the
//! move history an exchange checks for a change of direction, the "updates" of demand positions,
//! and, in Decide's seeded order, a tied runner-up that stays listed twice. Every formula keeps
//! Decide's order of operations, sums included, so that in its decimal arithmetic each result
//! rounds as its does.

use super::number::Number;
use super::{ExchangeOrder, TieBreak};
use crate::negotiation::python_random::PythonRandom;

/// The round's fixed data: per issue and actor, position (None where the actor has no stance),
/// salience and power, and per issue Σ salience × power.
pub(super) struct Board<T: Number> {
    pub(super) x: Vec<Vec<Option<T>>>,
    pub(super) salience: Vec<Vec<T>>,
    pub(super) power: Vec<Vec<T>>,
    /// Per issue, the actors with a stance on it, in the order of the stances (the order Decide
    /// sums in).
    pub(super) order: Vec<Vec<usize>>,
    pub(super) denominator: Vec<T>,
    /// Per issue and actor, x·s·c at the positions of `x`, and per issue the running sums of
    /// those terms in `order` (`sums[d][k]`: the first k), so that an outcome with a few actors
    /// elsewhere adds the same numbers in the same order without recomputing the rest.
    terms: Vec<Vec<T>>,
    sums: Vec<Vec<T>>,
    /// Per issue and actor, s·c.
    weights: Vec<Vec<T>>,
    /// Per issue and actor, its place in `order`.
    rank: Vec<Vec<usize>>,
    pub(super) n_actors: usize,
    /// Whether overshoot is checked until neither side's move passes the partner (else once per
    /// side, as Decide does, where cutting the second can make the first pass again).
    pub(super) strict: bool,
    /// A move or gain no larger than this is none (Decide: 1e-10).
    pub(super) min_gain: T::Exact,
    /// Gains closer than this are a tie.
    pub(super) tie: T::Exact,
}

impl<T: Number> Board<T> {
    fn sal(&self, issue: usize, actor: usize) -> T {
        self.salience[issue][actor]
    }

    /// s·c of an actor on an issue.
    fn weight(&self, issue: usize, actor: usize) -> T {
        self.weights[issue][actor]
    }

    /// x·s·c, in Decide's order.
    fn term(&self, issue: usize, actor: usize, x: T) -> T {
        x * self.salience[issue][actor] * self.power[issue][actor]
    }

    /// The expected outcome of an issue: Σ c·s·x / Σ c·s (0 with no weight).
    pub(super) fn outcome(&self, issue: usize) -> T {
        match self.sums[issue].last() {
            Some(&top) if self.denominator[issue] != T::zero() => top / self.denominator[issue],
            _ => T::zero(),
        }
    }

    /// A board for `x` on 0–100, with the given saliences and powers, actors summed in `order`.
    pub(super) fn new(
        x: Vec<Vec<Option<T>>>,
        salience: Vec<Vec<T>>,
        power: Vec<Vec<T>>,
        order: Vec<Vec<usize>>,
        strict: bool,
        min_gain: T::Exact,
        tie: T::Exact,
    ) -> Board<T> {
        let n_actors = x.first().map_or(0, Vec::len);
        let mut rank = vec![vec![usize::MAX; n_actors]; x.len()];
        for (d, actors) in order.iter().enumerate() {
            for (k, &a) in actors.iter().enumerate() {
                rank[d][a] = k;
            }
        }
        let weights: Vec<Vec<T>> =
            salience.iter().zip(&power).map(|(s, c)| s.iter().zip(c).map(|(&s, &c)| s * c).collect()).collect();
        // Σ s·c, in Decide's order; saliences and powers stay, so this does too.
        let denominator =
            order.iter().zip(&weights).map(|(actors, w)| actors.iter().fold(T::zero(), |sum, &a| sum + w[a])).collect();
        let mut board = Board {
            x: Vec::new(),
            salience,
            power,
            weights,
            order,
            denominator,
            terms: Vec::new(),
            sums: Vec::new(),
            rank,
            n_actors,
            strict,
            min_gain,
            tie,
        };
        board.set_positions(x);
        board
    }

    /// Moves the actors to `x` (between rounds).
    pub(super) fn set_positions(&mut self, x: Vec<Vec<Option<T>>>) {
        self.x = x;
        let issues = 0..self.x.len();
        self.terms = issues
            .clone()
            .map(|d| (0..self.n_actors).map(|a| self.x[d][a].map_or(T::zero(), |x| self.term(d, a, x))).collect())
            .collect();
        self.sums = issues
            .map(|d| {
                let mut sums = vec![T::zero()];
                for &a in &self.order[d] {
                    let last = sums[sums.len() - 1];
                    sums.push(last + self.terms[d][a]);
                }
                sums
            })
            .collect();
    }

    /// Σ x·s·c on `issue` in Decide's order, with the actors `changed` gives a position for
    /// there instead; `first` is the first place in the order where one may.
    fn sum_with(&self, issue: usize, first: usize, changed: impl Fn(usize) -> Option<T>) -> T {
        let order = &self.order[issue];
        let mut first = first.min(order.len());
        // An actor given its own position changes nothing: the running sum holds through it.
        while first < order.len() {
            let a = order[first];
            match changed(a) {
                Some(x) if Some(x) != self.x[issue][a] => break,
                _ => first += 1,
            }
        }
        order[first..].iter().fold(self.sums[issue][first], |sum, &a| {
            sum + changed(a).map_or(self.terms[issue][a], |x| self.term(issue, a, x))
        })
    }

    /// |x| ≤ the smallest move.
    fn negligible(&self, x: T) -> bool {
        x.abs().cmp_exact(&self.min_gain).is_le()
    }
}

fn min<T: Number>(a: T, b: T) -> T {
    if b < a { b } else { a }
}

fn max<T: Number>(a: T, b: T) -> T {
    if b > a { b } else { a }
}

/// One actor's side of an exchange: it moves its vote on its supply issue towards the partner
/// and gets the partner's move on its demand issue.
#[derive(Debug, Clone)]
pub(super) struct Side<T: Number> {
    pub(super) actor: usize,
    pub(super) supply: usize,
    pub(super) demand: usize,
    /// Its position on the supply issue (moved on by exchanges executed before this one).
    pub(super) supply_position: T,
    /// Its position on the demand issue.
    pub(super) demand_position: T,
    /// Its supply position when the round began.
    pub(super) start: T,
    /// Its voting position on the supply issue if the exchange is executed.
    pub(super) y: T,
    pub(super) shift: T,
    /// Decide's move history for the direction check.
    moves: Vec<T>,
    /// The supply issue's outcome before and after its move.
    pub(super) outcome_before: T,
    pub(super) outcome_after: T,
}

impl<T: Number> Side<T> {
    fn new(board: &Board<T>, actor: usize, supply: usize, demand: usize) -> Side<T> {
        let at = |d: usize| board.x[d][actor].unwrap_or(T::zero());
        Side {
            actor,
            supply,
            demand,
            supply_position: at(supply),
            demand_position: at(demand),
            start: at(supply),
            y: at(supply),
            shift: T::zero(),
            moves: Vec::with_capacity(4),
            outcome_before: T::zero(),
            outcome_after: T::zero(),
        }
    }

    /// A move stays within 0–100, is no smaller than rounding, and never reverses the
    /// direction of earlier moves.
    fn move_is_valid(&self, board: &Board<T>, shift: T) -> bool {
        let hundred = T::int(100);
        if shift.abs() > hundred || board.negligible(shift) {
            return false;
        }
        let to = self.supply_position + shift;
        if to < T::zero() || to > hundred || self.moves.iter().fold(T::zero(), |sum, &m| sum + m) > hundred {
            return false;
        }
        let Some(&first) = self.moves.first() else { return false };
        let (low, high) = self.moves.iter().fold((first, first), |(l, h), &m| (min(l, m), max(h, m)));
        (low < T::zero() && high < T::zero()) || (low > T::zero() && high > T::zero())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    I = 0,
    J = 1,
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
pub(super) struct Candidate<T: Number> {
    pub(super) i: Side<T>,
    pub(super) j: Side<T>,
    pub(super) p: usize,
    pub(super) q: usize,
    /// Whether the pair are of groups A and D (else B and C).
    pub(super) outer_pair_ad: bool,
    pub(super) gain: T,
    pub(super) valid: bool,
    /// Voting positions of exchanges executed since, on this exchange's issues (issue, actor).
    updates: Vec<(usize, usize, T)>,
    /// For each side, (own supply + partner's demand salience) / (own demand + partner's supply
    /// salience): the saliences never change, nor then this.
    gain_ratio: [T; 2],
}

impl<T: Number> Candidate<T> {
    pub(super) fn new(board: &Board<T>, i: usize, j: usize, p: usize, q: usize, outer_pair_ad: bool) -> Candidate<T> {
        // The actor whose salience leans more to q supplies q.
        let (a, b) =
            if board.sal(p, i) / board.sal(q, i) < board.sal(p, j) / board.sal(q, j) { (j, i) } else { (i, j) };
        let (i, j) = (Side::new(board, a, q, p), Side::new(board, b, p, q));
        let ratio = |s: &Side<T>, o: &Side<T>| {
            (board.sal(s.supply, s.actor) + board.sal(o.demand, o.actor))
                / (board.sal(s.demand, s.actor) + board.sal(o.supply, o.actor))
        };
        let gain_ratio = [ratio(&i, &j), ratio(&j, &i)];
        let mut c =
            Candidate { i, j, p, q, outer_pair_ad, gain: T::zero(), valid: true, updates: Vec::new(), gain_ratio };
        c.calculate(board);
        c
    }

    fn side(&self, w: Who) -> &Side<T> {
        match w {
            Who::I => &self.i,
            Who::J => &self.j,
        }
    }

    fn side_mut(&mut self, w: Who) -> &mut Side<T> {
        match w {
            Who::I => &mut self.i,
            Who::J => &mut self.j,
        }
    }

    fn update(&self, issue: usize, actor: usize) -> Option<T> {
        self.updates.iter().find(|u| u.0 == issue && u.1 == actor).map(|u| u.2)
    }

    fn set_update(&mut self, issue: usize, actor: usize, value: T) {
        match self.updates.iter_mut().find(|u| u.0 == issue && u.1 == actor) {
            Some(u) => u.2 = value,
            None => self.updates.push((issue, actor, value)),
        }
    }

    /// The first place in issue `d`'s order of `actor` or an actor with a recorded vote there.
    fn first_changed(&self, board: &Board<T>, d: usize, actor: usize) -> usize {
        self.updates.iter().filter(|u| u.0 == d).map(|u| board.rank[d][u.1]).fold(board.rank[d][actor], usize::min)
    }

    /// The supply issue's outcome with side `w` at `position` and the executed exchanges'
    /// voting positions in place.
    fn outcome_with(&self, board: &Board<T>, w: Who, position: T) -> T {
        let s = self.side(w);
        let d = s.supply;
        if board.denominator[d] == T::zero() {
            return T::zero();
        }
        let top = board.sum_with(d, self.first_changed(board, d, s.actor), |a| {
            if a == s.actor { Some(position) } else { self.update(d, a) }
        });
        top / board.denominator[d]
    }

    /// How far side `w` must move from its supply position for its supply issue's outcome to
    /// be `outcome` (signed), the executed exchanges' voting positions in place.
    fn shift_for(&self, board: &Board<T>, w: Who, outcome: T) -> T {
        let s = self.side(w);
        let d = s.supply;
        let now = board.sum_with(d, self.first_changed(board, d, s.actor), |a| {
            // Decide lets a recorded vote of the actor itself override its position here (but
            // not in the outcome it checks against); strict runs use the position.
            match self.update(d, a) {
                _ if a == s.actor && board.strict => Some(s.supply_position),
                Some(u) => Some(u),
                None if a == s.actor => Some(s.supply_position),
                None => None,
            }
        });
        (outcome * board.denominator[d] - now) / board.weight(d, s.actor)
    }

    /// The outcome shift of side `w` moving `distance`: x·s·c / Σ c·s.
    fn ratio_of(&self, board: &Board<T>, w: Who, distance: T) -> T {
        let s = self.side(w);
        board.term(s.supply, s.actor, distance) / board.denominator[s.supply]
    }

    /// The outcome shift of `w` moving all the way to the partner's position.
    fn full_ratio(&self, board: &Board<T>, w: Who) -> T {
        let (s, o) = (self.side(w), self.side(w.other()));
        self.ratio_of(board, w, (o.demand_position - s.supply_position).abs())
    }

    /// The partner's outcome shift that gives both the same gain as `w`'s shift `ratio`.
    fn equal_ratio(&self, w: Who, ratio: T) -> T {
        self.gain_ratio[w as usize] * ratio
    }

    /// The move of `w` that shifts its supply outcome by `ratio`.
    fn move_for(&self, board: &Board<T>, w: Who, ratio: T) -> T {
        let s = self.side(w);
        ratio * board.denominator[s.supply] / board.weight(s.supply, s.actor)
    }

    /// A side's gain from shifts of its supply (`supply_ratio`) and demand (`demand_ratio`)
    /// outcomes.
    fn gain_of(&self, board: &Board<T>, w: Who, supply_ratio: T, demand_ratio: T) -> T {
        let s = self.side(w);
        (supply_ratio * board.sal(s.supply, s.actor) - demand_ratio * board.sal(s.demand, s.actor)).abs()
    }

    fn moves_are_valid(&self, board: &Board<T>) -> bool {
        self.i.move_is_valid(board, self.i.shift) && self.j.move_is_valid(board, self.j.shift)
    }

    /// Sizes the exchange for equal gains and checks it.
    pub(super) fn calculate(&mut self, board: &Board<T>) {
        // j first moves all the way to i on p; if i's equal-gain move on q then overshoots j,
        // i moves all the way instead and j's move is scaled.
        let mut dp = self.full_ratio(board, Who::J);
        let mut dq = self.equal_ratio(Who::J, dp);
        let mut i_shift = self.move_for(board, Who::I, dq);
        let mut j_shift = (self.i.demand_position - self.j.supply_position).abs();
        if i_shift.abs() > (self.j.demand_position - self.i.supply_position).abs() {
            dq = self.full_ratio(board, Who::I);
            dp = self.equal_ratio(Who::I, dq);
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
        self.valid = self.moves_are_valid(board) && self.gain.cmp_exact(&board.min_gain).is_ge();
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
        self.valid = self.moves_are_valid(board);
    }

    /// Whether `w`'s move carries its supply outcome past the partner's position.
    fn overshoots(&self, board: &Board<T>, w: Who) -> bool {
        let before = self.outcome_with(board, w, self.side(w).supply_position);
        let after = self.outcome_with(board, w, self.side(w).y);
        let target = self.side(w.other()).demand_position;
        (target - before) * (target - after) < T::zero() && !board.negligible(target - after)
    }

    /// No overshoot: when `w`'s move would carry its supply outcome past the partner's own
    /// position, the move is cut so that the outcome lands there and the partner's move is
    /// recomputed for equal gains.
    fn limit_to_demand(&mut self, board: &Board<T>, w: Who) {
        let before = self.outcome_with(board, w, self.side(w).supply_position);
        let after = self.outcome_with(board, w, self.side(w).y);
        let target = self.side(w.other()).demand_position;
        {
            let s = self.side_mut(w);
            s.outcome_before = before;
            s.outcome_after = after;
        }
        let zero = T::zero();
        if (target - before >= zero && target - after >= zero) || (target - before <= zero && target - after <= zero) {
            return;
        }
        let shift = self.shift_for(board, w, target).abs();
        let ratio = self.ratio_of(board, w, shift);
        let other_ratio = self.equal_ratio(w, ratio);
        let mut other_shift = self.move_for(board, w.other(), other_ratio).abs();
        let mut own_shift = shift;
        let (s, o) = (self.side(w), self.side(w.other()));
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
    fn recalculate(&mut self, board: &Board<T>, done: &Candidate<T>) {
        let mut again = false;
        let mut moved = [false; 2];
        for (k, w) in [Who::I, Who::J].into_iter().enumerate() {
            for d in [&done.i, &done.j] {
                let s = self.side_mut(w);
                if s.actor == d.actor && s.supply == d.supply {
                    s.supply_position = d.y;
                    s.moves.push(d.moves.last().copied().unwrap_or(T::zero()));
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
                Some(u) if mover.start <= u => min(u, mover.y),
                Some(u) => max(u, mover.y),
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
///
/// Listed twice (Decide's tie rule), an exchange stays in play after its execution and can be
/// recalculated later; as in Decide, its final state is what moves the votes, its state when
/// executed what its externalities come from.
pub(super) struct Played<T: Number> {
    pub(super) all: Vec<Candidate<T>>,
    pub(super) executed: Vec<usize>,
    /// Each executed exchange as it was once executed (the others recalculated against it).
    pub(super) when_executed: Vec<Candidate<T>>,
    /// How many ties the tie-break decided.
    pub(super) ties: usize,
}

/// Executes exchanges, best gain first, until none is left.
pub(super) fn play_round<T: Number>(
    board: &Board<T>,
    candidates: Vec<Candidate<T>>,
    order: &mut ExchangeOrder,
) -> Played<T> {
    let mut all = candidates;
    let mut list: Vec<usize> = (0..all.len()).collect();
    let mut keys: Vec<T::Key> = all.iter().map(|c| c.gain.key()).collect();
    let mut executed = Vec::new();
    let mut when_executed = Vec::new();
    let mut ties = 0;
    while !list.is_empty() {
        // Stable: equal gains keep the order the candidates were made in, as Python's sort.
        list.sort_by(|a, b| keys[*b].cmp(&keys[*a]));
        let mut chosen = list.remove(0);
        if let Some(&next) = list.first() {
            let tie = |k: usize| T::tied(all[chosen].gain, all[k].gain, &board.tie);
            if tie(next) {
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
        let mut done = all[chosen].clone();
        let mut kept = Vec::with_capacity(list.len());
        for &k in &list {
            if !all[k].valid {
                continue;
            }
            all[k].recalculate(board, &done);
            keys[k] = all[k].gain.key();
            if k == chosen {
                // Listed twice, the executed exchange is recalculated against itself, and in
                // Decide the later ones see it so changed.
                done = all[chosen].clone();
            }
            if all[k].valid {
                kept.push(k);
            }
        }
        list = kept;
        executed.push(chosen);
        when_executed.push(all[chosen].clone());
    }
    Played { all, executed, when_executed, ties }
}

/// An issue pair (p, q) and its actors by side of the two outcomes: A (right of both), B (left
/// on p only), C (left on q only), D (left of both).
pub(super) type Groups = ((usize, usize), [Vec<usize>; 4]);

/// The candidate exchanges of a round, in Decide's order: per pair of issues (in order), the
/// actors right of both expected `outcomes` with those left of both, then those left on p only
/// with those left on q only. Returns them with each issue pair's groups (A, B, C, D).
pub(super) fn candidates<T: Number>(board: &Board<T>, outcomes: &[T]) -> (Vec<Candidate<T>>, Vec<Groups>) {
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
