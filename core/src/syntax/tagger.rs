//! Part-of-speech tagging: a greedy left-to-right averaged perceptron over the word, its shape
//! and affixes, its neighbours and the tags already given. Each class is a joint UPOS + PTB tag
//! (`PROPN NNP`), so both tag sets come out consistent. Frequent words the treebank always tags
//! one way skip the model (a tag dictionary, as in most fast taggers).

use std::collections::HashMap;

use super::model_file::{Reader, Writer};
use super::weights::{Perceptron, Weights, atom, feature};
use crate::Result;

/// What the tagger reads of one word, hashed once.
#[derive(Clone, Copy)]
pub(crate) struct WordAtoms {
    pub lower: u64,
    pub form: u64,
    pub shape: u64,
    pub prefix: [u64; 3],
    pub suffix: [u64; 4],
}

const NONE: u64 = 0x5A5A_0001;
const START: u64 = 0x5A5A_0002;
const END: u64 = 0x5A5A_0003;

impl WordAtoms {
    pub fn new(form: &str) -> Self {
        let lower = form.to_lowercase();
        // Byte offsets of the first four and last five character boundaries.
        let bounds: Vec<usize> = lower.char_indices().map(|(i, _)| i).chain([lower.len()]).collect();
        let chars = bounds.len() - 1;
        let prefix = |k: usize| if chars < k { NONE } else { atom(&lower[..bounds[k]]) };
        let suffix = |k: usize| if chars < k { NONE } else { atom(&lower[bounds[chars - k]..]) };
        WordAtoms {
            lower: atom(&lower),
            form: atom(form) ^ 0x77,
            shape: atom(&shape(form)),
            prefix: [prefix(1), prefix(2), prefix(3)],
            suffix: [suffix(1), suffix(2), suffix(3), suffix(4)],
        }
    }
    fn boundary(a: u64) -> Self {
        WordAtoms { lower: a, form: a, shape: a, prefix: [a; 3], suffix: [a; 4] }
    }
}

/// The word's shape: letters as X/x, digits as d, runs collapsed ("Turkey" → "Xx", "U.S." →
/// "X.X.", "2,000" → "d,d"), at most 8 characters.
pub(crate) fn shape(form: &str) -> String {
    let mut out = String::new();
    let mut last = '\0';
    for c in form.chars() {
        let k = if c.is_uppercase() {
            'X'
        } else if c.is_alphabetic() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if k != last {
            out.push(k);
            last = k;
            if out.len() >= 8 {
                break;
            }
        }
    }
    out
}

/// The trained tagger.
#[derive(Debug, Clone, PartialEq)]
pub struct Tagger {
    /// The classes: `UPOS XPOS`.
    pub(crate) tags: Vec<(String, String)>,
    weights: Weights,
    /// Lowercase forms the treebank tags one way, with that tag.
    known: HashMap<String, u8>,
}

/// Tag atoms: distinct from word atoms.
fn tag_atom(t: usize) -> u64 {
    0x7A60_0000 + t as u64
}

/// The features of word `i` given the tags of the two before it.
fn features(words: &[WordAtoms], i: usize, t1: u64, t2: u64, first: bool, out: &mut Vec<u64>) {
    out.clear();
    let start = WordAtoms::boundary(START);
    let end = WordAtoms::boundary(END);
    let at = |j: isize| -> &WordAtoms { if j < 0 { &start } else { words.get(j as usize).unwrap_or(&end) } };
    let i = i as isize;
    let w = at(i);
    let (p1, p2, n1, n2) = (at(i - 1), at(i - 2), at(i + 1), at(i + 2));
    out.push(feature(0, &[]));
    out.push(feature(1, &[w.lower]));
    out.push(feature(2, &[w.form]));
    for (k, s) in w.suffix.iter().enumerate() {
        out.push(feature(3 + k as u64, &[*s]));
    }
    for (k, s) in w.prefix.iter().enumerate() {
        out.push(feature(7 + k as u64, &[*s]));
    }
    out.push(feature(10, &[w.shape]));
    out.push(feature(11, &[t1]));
    out.push(feature(12, &[t2, t1]));
    out.push(feature(13, &[t1, w.lower]));
    out.push(feature(14, &[p1.lower]));
    out.push(feature(15, &[p1.suffix[2]]));
    out.push(feature(16, &[p2.lower]));
    out.push(feature(17, &[n1.lower]));
    out.push(feature(18, &[n1.suffix[2]]));
    out.push(feature(19, &[n2.lower]));
    out.push(feature(20, &[p1.lower, w.lower]));
    out.push(feature(21, &[w.lower, n1.lower]));
    out.push(feature(22, &[p1.shape, w.shape, n1.shape]));
    out.push(feature(23, &[u64::from(first), w.shape]));
    out.push(feature(24, &[t1, w.suffix[2]]));
    out.push(feature(25, &[n1.shape]));
    out.push(feature(26, &[t1, n1.lower]));
    out.push(feature(27, &[n1.suffix[1], n2.suffix[1]]));
    out.push(feature(28, &[u64::from(first), w.lower]));
}

impl Tagger {
    /// Tags a sentence: one class index per word.
    pub fn tag(&self, words: &[WordAtoms], lower: &[String]) -> Vec<u8> {
        let mut out = Vec::with_capacity(words.len());
        let mut feats = Vec::with_capacity(32);
        let mut scores = vec![0i32; self.tags.len()];
        let (mut t1, mut t2) = (START, START);
        for i in 0..words.len() {
            let t = match self.known.get(&lower[i]) {
                Some(&t) => t,
                None => {
                    features(words, i, t1, t2, i == 0, &mut feats);
                    self.weights.score(&feats, &mut scores);
                    argmax(&scores) as u8
                }
            };
            out.push(t);
            t2 = t1;
            t1 = tag_atom(t as usize);
        }
        out
    }

    /// The UPOS and XPOS of a class.
    pub fn names(&self, tag: u8) -> (&str, &str) {
        let t = &self.tags[tag as usize];
        (&t.0, &t.1)
    }

    pub(crate) fn pruned(&self, min_units: i16) -> Tagger {
        Tagger { weights: self.weights.pruned(min_units), ..self.clone() }
    }

    /// Number of features with weights.
    pub fn features(&self) -> usize {
        self.weights.features()
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        out.varint(self.tags.len() as u64);
        for (u, x) in &self.tags {
            out.str(u);
            out.str(x);
        }
        let mut known: Vec<(&String, &u8)> = self.known.iter().collect();
        known.sort();
        out.varint(known.len() as u64);
        for (w, t) in known {
            out.str(w);
            out.u8(*t);
        }
        self.weights.write(out);
    }

    pub(crate) fn read(input: &mut Reader) -> Result<Tagger> {
        let n = input.count(2)?;
        let mut tags = Vec::with_capacity(n);
        for _ in 0..n {
            tags.push((input.str()?, input.str()?));
        }
        let k = input.count(2)?;
        let mut known = HashMap::with_capacity(k);
        for _ in 0..k {
            let w = input.str()?;
            let t = input.u8()?;
            if t as usize >= n {
                return Err(input.corrupt("tag out of range"));
            }
            known.insert(w, t);
        }
        let weights = Weights::read(input)?;
        if weights.classes() != n {
            return Err(input.corrupt("tagger weights do not match its tags"));
        }
        Ok(Tagger { tags, weights, known })
    }
}

pub(crate) fn argmax<T: PartialOrd + Copy>(scores: &[T]) -> usize {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = i;
        }
    }
    best
}

/// A training sentence for the tagger: word forms and gold class indices.
pub(crate) struct TagExample {
    pub atoms: Vec<WordAtoms>,
    pub lower: Vec<String>,
    pub gold: Vec<u8>,
}

/// Trains a tagger. `tags` lists the classes; `rng` orders the examples in each epoch.
pub(crate) fn train(
    tags: Vec<(String, String)>,
    examples: &[TagExample],
    epochs: usize,
    prune: i32,
    rng: &mut super::train::Rng,
) -> Tagger {
    let known = tag_dictionary(examples, tags.len());
    let mut model = Perceptron::new(tags.len());
    let mut feats = Vec::with_capacity(32);
    let mut scores = vec![0f32; tags.len()];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    for _ in 0..epochs {
        rng.shuffle(&mut order);
        for &e in &order {
            let ex = &examples[e];
            let (mut t1, mut t2) = (START, START);
            for i in 0..ex.atoms.len() {
                let gold = ex.gold[i] as usize;
                let guess = match known.get(&ex.lower[i]) {
                    Some(&t) => t as usize,
                    None => {
                        features(&ex.atoms, i, t1, t2, i == 0, &mut feats);
                        model.score(&feats, &mut scores);
                        let guess = argmax(&scores);
                        model.update(&feats, gold, guess);
                        model.tick();
                        guess
                    }
                };
                t2 = t1;
                t1 = tag_atom(guess);
            }
        }
    }
    Tagger { weights: model.finish(prune), tags, known }
}

/// Words seen at least 20 times with one tag in at least 99.5% of them.
fn tag_dictionary(examples: &[TagExample], classes: usize) -> HashMap<String, u8> {
    let mut counts: HashMap<&str, Vec<u32>> = HashMap::new();
    for ex in examples {
        for (w, &t) in ex.lower.iter().zip(&ex.gold) {
            counts.entry(w.as_str()).or_insert_with(|| vec![0; classes])[t as usize] += 1;
        }
    }
    let mut known = HashMap::new();
    for (w, c) in counts {
        let total: u32 = c.iter().sum();
        let best = argmax(&c);
        if total >= 20 && f64::from(c[best]) >= 0.995 * f64::from(total) {
            known.insert(w.to_string(), best as u8);
        }
    }
    known
}
