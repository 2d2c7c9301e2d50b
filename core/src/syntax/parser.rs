//! Dependency parsing: a greedy arc-eager transition parser with the root at the end of the
//! buffer, its transitions scored by an averaged perceptron over the rich feature set of Zhang &
//! Nivre (2011), trained with a dynamic oracle (Goldberg & Nivre 2012) so that it learns to
//! recover from its own mistakes. Each arc is labelled when it is made, by a second perceptron, so
//! later decisions see the labels already given.

use super::model_file::{Reader, Writer};
use super::weights::{Perceptron, Weights, feature};
use crate::Result;

/// The four transitions.
const SHIFT: usize = 0;
const REDUCE: usize = 1;
const LEFT: usize = 2;
const RIGHT: usize = 3;
const TRANSITIONS: usize = 4;

const NO: usize = usize::MAX;
/// Atoms of positions that do not exist.
const ABSENT: u64 = 0x3C3C_0001;

/// What the parser reads of one word: its lowercase form and its tag, hashed.
#[derive(Clone, Copy)]
pub(crate) struct ParseAtoms {
    pub word: u64,
    pub tag: u64,
    /// The coarse (UPOS) part of the tag.
    pub upos: u64,
    /// A comma or semicolon: clause and conjunct boundaries.
    pub comma: bool,
}

/// The root token's atoms (it sits at the end of the buffer).
const ROOT: ParseAtoms = ParseAtoms { word: 0x3C3C_0002, tag: 0x3C3C_0003, upos: 0x3C3C_0004, comma: false };

/// A parser state: stack, buffer front, arcs so far and what features read of them.
struct State {
    n: usize,
    stack: Vec<usize>,
    front: usize,
    head: Vec<usize>,
    label: Vec<u8>,
    /// Two leftmost and two rightmost children (nearest-to-edge first), per token (and root).
    left: Vec<[usize; 2]>,
    right: Vec<[usize; 2]>,
    left_count: Vec<u8>,
    right_count: Vec<u8>,
    left_labels: Vec<u128>,
    right_labels: Vec<u128>,
    in_stack: Vec<bool>,
    /// Commas before each position (and the root's): `commas[j] - commas[i]` lie in `i..j`.
    commas: Vec<u16>,
}

impl State {
    fn new(words: &[ParseAtoms]) -> State {
        let n = words.len();
        let mut commas = Vec::with_capacity(n + 2);
        let mut c = 0u16;
        commas.push(0);
        for w in words {
            c = c.saturating_add(u16::from(w.comma));
            commas.push(c);
        }
        commas.push(c);
        State {
            commas,
            n,
            stack: Vec::with_capacity(n),
            front: 0,
            head: vec![NO; n + 1],
            label: vec![0; n + 1],
            left: vec![[NO; 2]; n + 1],
            right: vec![[NO; 2]; n + 1],
            left_count: vec![0; n + 1],
            right_count: vec![0; n + 1],
            left_labels: vec![0; n + 1],
            right_labels: vec![0; n + 1],
            in_stack: vec![false; n + 1],
        }
    }

    fn done(&self) -> bool {
        self.front == self.n && self.stack.is_empty()
    }

    fn valid(&self, t: usize) -> bool {
        let top = self.stack.last().copied();
        match t {
            SHIFT => self.front < self.n,
            REDUCE => top.is_some_and(|s| self.head[s] != NO),
            LEFT => top.is_some_and(|s| self.head[s] == NO),
            RIGHT => top.is_some() && self.front < self.n,
            _ => false,
        }
    }

    fn add_arc(&mut self, h: usize, d: usize, l: u8) {
        self.head[d] = h;
        self.label[d] = l;
        let bit = 1u128 << (l as u32 % 128);
        if d < h {
            // Scanning left to right, a new left child of h is further left than those it has.
            let c = &mut self.left[h];
            if c[0] == NO || d < c[0] {
                c[1] = c[0];
                c[0] = d;
            } else if c[1] == NO || d < c[1] {
                c[1] = d;
            }
            self.left_count[h] = self.left_count[h].saturating_add(1);
            self.left_labels[h] |= bit;
        } else {
            let c = &mut self.right[h];
            if c[0] == NO || d > c[0] {
                c[1] = c[0];
                c[0] = d;
            } else if c[1] == NO || d > c[1] {
                c[1] = d;
            }
            self.right_count[h] = self.right_count[h].saturating_add(1);
            self.right_labels[h] |= bit;
        }
    }

    /// Applies transition `t`; `l` labels the arc of LEFT and RIGHT.
    fn apply(&mut self, t: usize, l: u8) {
        match t {
            SHIFT => {
                self.in_stack[self.front] = true;
                self.stack.push(self.front);
                self.front += 1;
            }
            REDUCE => {
                if let Some(s) = self.stack.pop() {
                    self.in_stack[s] = false;
                }
            }
            LEFT => {
                if let Some(s) = self.stack.pop() {
                    self.in_stack[s] = false;
                    self.add_arc(self.front, s, l);
                }
            }
            _ => {
                if let Some(&s) = self.stack.last() {
                    self.add_arc(s, self.front, l);
                    self.in_stack[self.front] = true;
                    self.stack.push(self.front);
                    self.front += 1;
                }
            }
        }
    }

    /// What transition `t` costs against the gold heads: gold arcs it makes unreachable.
    fn cost(&self, t: usize, gold: &[usize]) -> u32 {
        let b = self.front;
        let buffer = b..self.n;
        match t {
            SHIFT => {
                let mut c = u32::from(gold[b] != self.n && self.in_stack[gold[b]]);
                c += self.stack.iter().filter(|&&k| gold[k] == b && self.head[k] == NO).count() as u32;
                c
            }
            REDUCE => {
                let s = self.stack[self.stack.len() - 1];
                buffer.filter(|&k| gold[k] == s).count() as u32
            }
            LEFT => {
                let s = self.stack[self.stack.len() - 1];
                let mut c = u32::from(gold[s] > b);
                c += buffer.filter(|&k| gold[k] == s).count() as u32;
                c
            }
            _ => {
                let s = self.stack[self.stack.len() - 1];
                let g = gold[b];
                let mut c = u32::from(g != s && (g > b || (g != self.n && self.in_stack[g])));
                c += self.stack.iter().filter(|&&k| gold[k] == b && self.head[k] == NO).count() as u32;
                c
            }
        }
    }
}

/// Distance buckets.
fn distance(a: usize, b: usize) -> u64 {
    let d = a.abs_diff(b);
    match d {
        0..=4 => d as u64,
        5..=6 => 5,
        7..=10 => 6,
        _ => 7,
    }
}

fn label_atom(l: u8) -> u64 {
    0x1AB0_0000 + u64::from(l)
}

fn set_atom(s: u128) -> u64 {
    super::weights::mix(s as u64, (s >> 64) as u64 ^ 0x5E7)
}

/// The parser's features of a state.
fn features(st: &State, words: &[ParseAtoms], out: &mut Vec<u64>) {
    out.clear();
    let atoms = |i: usize| -> ParseAtoms {
        if i == NO {
            ParseAtoms { word: ABSENT, tag: ABSENT, upos: ABSENT, comma: false }
        } else if i == st.n {
            ROOT
        } else {
            words[i]
        }
    };
    let lab =
        |i: usize| -> u64 { if i == NO || i == st.n || st.head[i] == NO { ABSENT } else { label_atom(st.label[i]) } };
    let s0 = st.stack.last().copied().unwrap_or(NO);
    let n0 = st.front;
    let n1 = if n0 < st.n { n0 + 1 } else { NO };
    let n2 = if n0 + 2 <= st.n { n0 + 2 } else { NO };
    let get = |v: &Vec<[usize; 2]>, i: usize, k: usize| if i == NO { NO } else { v[i][k] };
    let s0h = if s0 == NO { NO } else { st.head[s0] };
    let s0h2 = if s0h == NO || s0h == st.n { NO } else { st.head[s0h] };
    let (s0l, s0l2, s0r, s0r2) =
        (get(&st.left, s0, 0), get(&st.left, s0, 1), get(&st.right, s0, 0), get(&st.right, s0, 1));
    let (n0l, n0l2) = (get(&st.left, n0, 0), get(&st.left, n0, 1));
    let (a_s0, a_n0, a_n1, a_n2) = (atoms(s0), atoms(n0), atoms(n1), atoms(n2));
    let (a_s0h, a_s0h2) = (atoms(s0h), atoms(s0h2));
    let (a_s0l, a_s0l2, a_s0r, a_s0r2) = (atoms(s0l), atoms(s0l2), atoms(s0r), atoms(s0r2));
    let (a_n0l, a_n0l2) = (atoms(n0l), atoms(n0l2));
    let d = if s0 == NO { ABSENT } else { distance(s0, n0) };
    let (s0vl, s0vr, n0vl) = if s0 == NO {
        (ABSENT, ABSENT, u64::from(st.left_count[n0]))
    } else {
        (u64::from(st.left_count[s0]), u64::from(st.right_count[s0]), u64::from(st.left_count[n0]))
    };
    let (s0sl, s0sr) =
        if s0 == NO { (ABSENT, ABSENT) } else { (set_atom(st.left_labels[s0]), set_atom(st.right_labels[s0])) };
    let n0sl = set_atom(st.left_labels[n0]);
    let (s0w, s0p, n0w, n0p) = (a_s0.word, a_s0.tag, a_n0.word, a_n0.tag);
    let mut f = |t: u64, a: &[u64]| out.push(feature(100 + t, a));
    // Single words.
    f(0, &[s0w, s0p]);
    f(1, &[s0w]);
    f(2, &[s0p]);
    f(3, &[n0w, n0p]);
    f(4, &[n0w]);
    f(5, &[n0p]);
    f(6, &[a_n1.word, a_n1.tag]);
    f(7, &[a_n1.word]);
    f(8, &[a_n1.tag]);
    f(9, &[a_n2.word, a_n2.tag]);
    f(10, &[a_n2.word]);
    f(11, &[a_n2.tag]);
    // Pairs.
    f(12, &[s0w, s0p, n0w, n0p]);
    f(13, &[s0w, s0p, n0w]);
    f(14, &[s0w, n0w, n0p]);
    f(15, &[s0w, s0p, n0p]);
    f(16, &[s0p, n0w, n0p]);
    f(17, &[s0w, n0w]);
    f(18, &[s0p, n0p]);
    f(19, &[n0p, a_n1.tag]);
    // Three words.
    f(20, &[n0p, a_n1.tag, a_n2.tag]);
    f(21, &[s0p, n0p, a_n1.tag]);
    f(22, &[a_s0h.tag, s0p, n0p]);
    f(23, &[s0p, a_s0l.tag, n0p]);
    f(24, &[s0p, a_s0r.tag, n0p]);
    f(25, &[s0p, n0p, a_n0l.tag]);
    // Distance.
    f(26, &[s0w, d]);
    f(27, &[s0p, d]);
    f(28, &[n0w, d]);
    f(29, &[n0p, d]);
    f(30, &[s0w, n0w, d]);
    f(31, &[s0p, n0p, d]);
    // Valency.
    f(32, &[s0w, s0vr]);
    f(33, &[s0p, s0vr]);
    f(34, &[s0w, s0vl]);
    f(35, &[s0p, s0vl]);
    f(36, &[n0w, n0vl]);
    f(37, &[n0p, n0vl]);
    // Unigrams of heads and children.
    f(38, &[a_s0h.word]);
    f(39, &[a_s0h.tag]);
    f(40, &[lab(s0)]);
    f(41, &[a_s0l.word]);
    f(42, &[a_s0l.tag]);
    f(43, &[lab(s0l)]);
    f(44, &[a_s0r.word]);
    f(45, &[a_s0r.tag]);
    f(46, &[lab(s0r)]);
    f(47, &[a_n0l.word]);
    f(48, &[a_n0l.tag]);
    f(49, &[lab(n0l)]);
    // Third order.
    f(50, &[a_s0h2.word]);
    f(51, &[a_s0h2.tag]);
    f(52, &[lab(s0h)]);
    f(53, &[a_s0l2.word]);
    f(54, &[a_s0l2.tag]);
    f(55, &[lab(s0l2)]);
    f(56, &[a_s0r2.word]);
    f(57, &[a_s0r2.tag]);
    f(58, &[lab(s0r2)]);
    f(59, &[a_n0l2.word]);
    f(60, &[a_n0l2.tag]);
    f(61, &[lab(n0l2)]);
    f(62, &[s0p, a_s0l.tag, a_s0l2.tag]);
    f(63, &[s0p, a_s0r.tag, a_s0r2.tag]);
    f(64, &[s0p, a_s0h.tag, a_s0h2.tag]);
    f(65, &[n0p, a_n0l.tag, a_n0l2.tag]);
    // Label sets.
    f(66, &[s0w, s0sr]);
    f(67, &[s0p, s0sr]);
    f(68, &[s0w, s0sl]);
    f(69, &[s0p, s0sl]);
    f(70, &[n0w, n0sl]);
    f(71, &[n0p, n0sl]);
    // The word below the top of the stack.
    let s1 = if st.stack.len() >= 2 { st.stack[st.stack.len() - 2] } else { NO };
    let a_s1 = atoms(s1);
    f(72, &[a_s1.tag, s0p, n0p]);
    f(73, &[a_s1.word, a_s1.tag]);
    // Coarse tags, and the commas between the top of the stack and the front of the buffer.
    let commas = if s0 == NO { ABSENT } else { u64::from((st.commas[n0] - st.commas[s0 + 1]).min(2)) };
    let (s0u, n0u) = (a_s0.upos, a_n0.upos);
    f(74, &[s0u, n0u]);
    f(75, &[s0u, n0u, a_n1.upos]);
    f(76, &[a_s1.upos, s0u, n0u]);
    f(77, &[s0u, n0u, commas]);
    f(78, &[s0p, n0p, commas]);
    f(79, &[commas, d]);
    f(80, &[s0w, n0u]);
    f(81, &[s0u, n0w]);
}

/// The labeller's features of an arc h → d being made in state `st`.
fn label_features(st: &State, words: &[ParseAtoms], h: usize, d: usize, out: &mut Vec<u64>) {
    out.clear();
    let atoms = |i: usize| -> ParseAtoms {
        if i == NO || i > st.n {
            ParseAtoms { word: ABSENT, tag: ABSENT, upos: ABSENT, comma: false }
        } else if i == st.n {
            ROOT
        } else {
            words[i]
        }
    };
    let lab = |i: usize| -> u64 { if i == NO || st.head[i] == NO { ABSENT } else { label_atom(st.label[i]) } };
    let (ah, ad) = (atoms(h), atoms(d));
    let dir = u64::from(h < d);
    let dist = distance(h, d);
    let dl = st.left[d][0];
    let dr = st.right[d][0];
    let hl = st.left[h][0];
    let hr = st.right[h][0];
    let before = if d == 0 { NO } else { d - 1 };
    let mut f = |t: u64, a: &[u64]| out.push(feature(300 + t, a));
    f(0, &[]);
    f(1, &[ah.word, dir]);
    f(2, &[ah.tag, dir]);
    f(3, &[ad.word, dir]);
    f(4, &[ad.tag, dir]);
    f(5, &[ah.tag, ad.tag, dir]);
    f(6, &[ah.word, ad.tag, dir]);
    f(7, &[ah.tag, ad.word, dir]);
    f(8, &[ah.word, ad.word, dir]);
    f(9, &[ad.tag, dir, dist]);
    f(10, &[ah.tag, ad.tag, dir, dist]);
    f(11, &[ad.tag, atoms(before).tag, atoms(d + 1).tag]);
    f(12, &[ad.tag, lab(dl), lab(dr)]);
    f(13, &[ad.tag, atoms(dl).tag, atoms(dr).tag]);
    f(14, &[ad.word, lab(dl)]);
    f(15, &[ah.tag, lab(hl), lab(hr), dir]);
    f(16, &[ah.tag, lab(h), ad.tag]);
    f(17, &[ad.tag, u64::from(st.left_count[d]), u64::from(st.right_count[d])]);
    f(18, &[ah.tag, ad.tag, atoms(dl).word]);
    f(19, &[ah.tag, ad.tag, set_atom(st.left_labels[h] | st.right_labels[h])]);
}

/// The trained parser.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parser {
    /// The relation names, `root` among them.
    pub(crate) labels: Vec<String>,
    root: u8,
    transitions: Weights,
    labeller: Weights,
}

/// One parsed word: its head (1-based, 0 for the root) and its relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arc {
    /// 1-based head index; 0 for the root.
    pub head: usize,
    /// Index into the parser's labels.
    pub label: u8,
}

impl Parser {
    /// Parses a tagged sentence.
    pub(crate) fn parse(&self, words: &[ParseAtoms]) -> Vec<Arc> {
        let n = words.len();
        let mut st = State::new(words);
        let mut feats = Vec::with_capacity(80);
        let mut scores = [0i32; TRANSITIONS];
        let mut label_scores = vec![0i32; self.labels.len()];
        while !st.done() {
            let valid: [bool; TRANSITIONS] = std::array::from_fn(|t| st.valid(t));
            let t = if valid.iter().filter(|&&v| v).count() == 1 {
                valid.iter().position(|&v| v).unwrap_or(SHIFT)
            } else {
                features(&st, words, &mut feats);
                self.transitions.score(&feats, &mut scores);
                best_valid(&scores, &valid)
            };
            let l = match t {
                LEFT | RIGHT => {
                    let (h, d) = arc_of(&st, t);
                    self.label(&st, words, h, d, &mut feats, &mut label_scores)
                }
                _ => 0,
            };
            st.apply(t, l);
        }
        self.finish(&mut st, words, &mut feats, &mut label_scores);
        (0..n).map(|i| Arc { head: if st.head[i] == n { 0 } else { st.head[i] + 1 }, label: st.label[i] }).collect()
    }

    fn label(
        &self,
        st: &State,
        words: &[ParseAtoms],
        h: usize,
        d: usize,
        feats: &mut Vec<u64>,
        scores: &mut [i32],
    ) -> u8 {
        if h == st.n {
            return self.root;
        }
        label_features(st, words, h, d, feats);
        self.labeller.score(feats, scores);
        // `root` belongs to the root's arc only.
        scores[self.root as usize] = i32::MIN;
        super::tagger::argmax(scores) as u8
    }

    /// One root: the first word the root took keeps it; the others attach to that word.
    fn finish(&self, st: &mut State, words: &[ParseAtoms], feats: &mut Vec<u64>, scores: &mut [i32]) {
        let n = st.n;
        let roots: Vec<usize> = (0..n).filter(|&i| st.head[i] == n || st.head[i] == NO).collect();
        let Some(&first) = roots.first() else { return };
        st.head[first] = n;
        st.label[first] = self.root;
        for &r in &roots[1..] {
            let l = self.label(st, words, first, r, feats, scores);
            st.head[r] = first;
            st.label[r] = l;
        }
    }

    /// Parsers trained alike with different seeds, folded into one.
    pub(crate) fn average(parsers: &[Parser]) -> Parser {
        let t: Vec<&Weights> = parsers.iter().map(|p| &p.transitions).collect();
        let l: Vec<&Weights> = parsers.iter().map(|p| &p.labeller).collect();
        Parser { transitions: Weights::average(&t), labeller: Weights::average(&l), ..parsers[0].clone() }
    }

    pub(crate) fn pruned(&self, transitions: i16, labels: i16) -> Parser {
        Parser {
            transitions: self.transitions.pruned(transitions),
            labeller: self.labeller.pruned(labels),
            ..self.clone()
        }
    }

    /// Number of features with weights (transitions, labels).
    pub(crate) fn features(&self) -> (usize, usize) {
        (self.transitions.features(), self.labeller.features())
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        out.varint(self.labels.len() as u64);
        for l in &self.labels {
            out.str(l);
        }
        out.u8(self.root);
        self.transitions.write(out);
        self.labeller.write(out);
    }

    pub(crate) fn read(input: &mut Reader) -> Result<Parser> {
        let n = input.count(2)?;
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            labels.push(input.str()?);
        }
        let root = input.u8()?;
        if root as usize >= n || n > 128 {
            return Err(input.corrupt("parser labels out of range"));
        }
        let transitions = Weights::read(input)?;
        let labeller = Weights::read(input)?;
        if transitions.classes() != TRANSITIONS || labeller.classes() != n {
            return Err(input.corrupt("parser weights do not match its labels"));
        }
        Ok(Parser { labels, root, transitions, labeller })
    }
}

fn arc_of(st: &State, t: usize) -> (usize, usize) {
    let s = st.stack[st.stack.len() - 1];
    if t == LEFT { (st.front, s) } else { (s, st.front) }
}

fn best_valid<T: PartialOrd + Copy>(scores: &[T], valid: &[bool]) -> usize {
    let mut best = NO;
    for t in 0..scores.len() {
        if valid[t] && (best == NO || scores[t] > scores[best]) {
            best = t;
        }
    }
    best
}

/// A training sentence for the parser: atoms (with predicted tags), gold heads (0-based, `n`
/// for the root) and gold labels.
pub(crate) struct ParseExample {
    pub atoms: Vec<ParseAtoms>,
    pub heads: Vec<usize>,
    pub labels: Vec<u8>,
}

/// Trains the parser with a dynamic oracle: after `options.explore_after` epochs it follows its own
/// prediction 90% of the time when that is wrong, and learns the best move from there.
pub(crate) fn train(
    labels: Vec<String>,
    examples: &[ParseExample],
    options: &super::train::TrainOptions,
    rng: &mut super::train::Rng,
) -> Parser {
    let (epochs, explore_after) = (options.parser_epochs, options.explore_after);
    let root = labels.iter().position(|l| l == "root").unwrap_or(0) as u8;
    let mut model = Perceptron::new(TRANSITIONS);
    let mut labeller = Perceptron::new(labels.len());
    let mut feats = Vec::with_capacity(80);
    let mut lfeats = Vec::with_capacity(32);
    let mut scores = [0f32; TRANSITIONS];
    let mut lscores = vec![0f32; labels.len()];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    for epoch in 0..epochs {
        rng.shuffle(&mut order);
        for &e in &order {
            let ex = &examples[e];
            let n = ex.atoms.len();
            let mut st = State::new(&ex.atoms);
            while !st.done() {
                let valid: [bool; TRANSITIONS] = std::array::from_fn(|t| st.valid(t));
                let costs: [u32; TRANSITIONS] =
                    std::array::from_fn(|t| if valid[t] { st.cost(t, &ex.heads) } else { u32::MAX });
                let t = if valid.iter().filter(|&&v| v).count() == 1 {
                    best_valid(&[0u8; TRANSITIONS], &valid)
                } else {
                    features(&st, &ex.atoms, &mut feats);
                    model.score(&feats, &mut scores);
                    let guess = best_valid(&scores, &valid);
                    let least = costs.iter().copied().min().unwrap_or(0);
                    let best_ok = best_valid(
                        &scores,
                        &std::array::from_fn::<bool, TRANSITIONS, _>(|t| valid[t] && costs[t] == least),
                    );
                    if costs[guess] > least {
                        model.update(&feats, best_ok, guess);
                    }
                    model.tick();
                    if costs[guess] > least && epoch >= explore_after && rng.below(10) < 9 { guess } else { best_ok }
                };
                let l = match t {
                    LEFT | RIGHT => {
                        let (h, d) = arc_of(&st, t);
                        if h == n {
                            root
                        } else {
                            label_features(&st, &ex.atoms, h, d, &mut lfeats);
                            labeller.score(&lfeats, &mut lscores);
                            lscores[root as usize] = f32::MIN;
                            let guess = super::tagger::argmax(&lscores);
                            if ex.heads[d] == h {
                                let gold = ex.labels[d] as usize;
                                labeller.update(&lfeats, gold, guess);
                                labeller.tick();
                                gold as u8
                            } else {
                                guess as u8
                            }
                        }
                    }
                    _ => 0,
                };
                st.apply(t, l);
            }
        }
    }
    Parser { labels, root, transitions: model.finish(options.prune[1]), labeller: labeller.finish(options.prune[2]) }
}
