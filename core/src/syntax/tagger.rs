//! Part-of-speech tagging: greedy left-to-right averaged perceptrons over the word, its shape
//! and affixes, its neighbours, the tags already given and what the actor dictionary knows of
//! names. Optionally (`TrainOptions::two_pass`) a second pass also sees the first pass's tags of
//! the next two words: on EWT dev +0.2 UPOS for a third less speed. Each
//! class is a joint UPOS + PTB tag (`PROPN NNP`), so both tag sets come out consistent.
//! Frequent words the treebank always tags one way skip the model (a tag dictionary, as in
//! most fast taggers).

use std::collections::HashMap;

use super::model_file::{Reader, WordMap, Writer};
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
    /// What the gazetteer says of a capitalized word: a name, a demonym, both or neither.
    pub names: u64,
}

const NONE: u64 = 0x5A5A_0001;
const START: u64 = 0x5A5A_0002;
const END: u64 = 0x5A5A_0003;

impl WordAtoms {
    /// The atoms of a word, given as written and in lowercase.
    pub(crate) fn new(form: &str, lower: &str, gazetteer: &Gazetteer) -> Self {
        let capitalized = form.chars().next().is_some_and(char::is_uppercase);
        let names = if capitalized { u64::from(gazetteer.get(lower)) } else { 0 };
        let chars = lower.chars().count();
        // Byte offset after the k-th character, and of the k-th character from the end.
        let prefix_end = |k: usize| lower.char_indices().nth(k).map_or(lower.len(), |(i, _)| i);
        let suffix_start = |k: usize| lower.char_indices().rev().nth(k - 1).map_or(0, |(i, _)| i);
        let prefix = |k: usize| if chars < k { NONE } else { atom(&lower[..prefix_end(k)]) };
        let suffix = |k: usize| if chars < k { NONE } else { atom(&lower[suffix_start(k)..]) };
        let mut shape_buf = [0u8; 32];
        WordAtoms {
            lower: atom(lower),
            form: atom(form) ^ 0x77,
            shape: atom(shape(form, &mut shape_buf)),
            prefix: [prefix(1), prefix(2), prefix(3)],
            suffix: [suffix(1), suffix(2), suffix(3), suffix(4)],
            names: 0x6A5E_0000 + names,
        }
    }
    fn boundary(a: u64) -> Self {
        WordAtoms { lower: a, form: a, shape: a, prefix: [a; 3], suffix: [a; 4], names: a }
    }
}

/// The word's shape: letters as X/x, digits as d, runs collapsed ("Turkey" → "Xx", "U.S." →
/// "X.X.", "2,000" → "d,d"), at most 8 characters, written into `buf`.
pub(crate) fn shape<'b>(form: &str, buf: &'b mut [u8; 32]) -> &'b str {
    let mut len = 0;
    let mut count = 0;
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
            len += k.encode_utf8(&mut buf[len..]).len();
            last = k;
            count += 1;
            if count >= 8 {
                break;
            }
        }
    }
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}

/// The trained tagger.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tagger {
    /// The classes: `UPOS XPOS`.
    pub(crate) tags: Vec<(String, String)>,
    weights: Weights,
    /// The second pass: the same features plus the first pass's tags of the next two words
    /// (what follows decides "that", "before", a participle).
    right: Option<Weights>,
    /// Lowercase forms the treebank tags one way, with that tag.
    known: WordMap,
    /// Words of the actor dictionary's names.
    pub(crate) gazetteer: Gazetteer,
}

/// The words of names in the actor dictionary (countries, capitals, persons, organisations,
/// regions) and of demonyms, lowercase: the tagger's knowledge of news names the treebank never
/// saw. Kept in the model file, so a model tags the same whatever dictionary is loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gazetteer {
    words: WordMap,
}

/// A gazetteer bit: a word of a name.
const NAME: u8 = 1;
/// A gazetteer bit: a word of a demonym.
const DEMONYM: u8 = 2;

impl Gazetteer {
    /// From actor dictionary files (`code, kind, names…` lines, names `; `-separated).
    pub fn from_actor_files(files: &[&str]) -> Gazetteer {
        let mut words = WordMap::default();
        for file in files {
            for line in file.lines().filter(|l| !l.starts_with('#')) {
                let cols: Vec<&str> = line.split('\t').collect();
                let bit = match cols.get(1) {
                    Some(&("country" | "capital" | "person" | "organisation" | "region")) => NAME,
                    Some(&"demonym") => DEMONYM,
                    _ => continue,
                };
                for name in cols.get(2).unwrap_or(&"").split("; ") {
                    for t in crate::domain::text::tokenize(name) {
                        if t.capitalized && t.kind == crate::domain::text::TokenKind::Word {
                            *words.entry(name[t.start..t.end].to_lowercase()).or_default() |= bit;
                        }
                    }
                }
            }
        }
        Gazetteer { words }
    }

    fn get(&self, lower: &str) -> u8 {
        self.words.get(lower).copied().unwrap_or(0)
    }

    fn write(&self, out: &mut Writer) {
        out.word_map(&self.words);
    }

    fn read(input: &mut Reader) -> Result<Gazetteer> {
        Ok(Gazetteer { words: input.word_map(usize::from(NAME | DEMONYM) + 1)? })
    }
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
    // Names the actor dictionary knows: "Moscow urged", "Faisal Mekdad".
    out.push(feature(29, &[w.names]));
    out.push(feature(30, &[w.names, u64::from(first)]));
    out.push(feature(31, &[w.names, n1.names]));
    out.push(feature(32, &[p1.names, w.names, w.shape]));
    out.push(feature(33, &[w.names, n1.suffix[1]]));
}

/// The second pass's features: the first pass's tags of the next two words.
fn right_features(words: &[WordAtoms], ahead: &[u8], i: usize, t1: u64, out: &mut Vec<u64>) {
    let tag = |j: usize| ahead.get(j).map_or(END, |&t| tag_atom(t as usize));
    let (r1, r2) = (tag(i + 1), tag(i + 2));
    let w = &words[i];
    out.push(feature(40, &[r1]));
    out.push(feature(41, &[r1, r2]));
    out.push(feature(42, &[r1, w.lower]));
    out.push(feature(43, &[t1, r1]));
    out.push(feature(44, &[r1, w.suffix[2]]));
    out.push(feature(45, &[tag(i)]));
}

impl Tagger {
    /// Tags a sentence: one class index per word.
    pub(crate) fn tag<S: AsRef<str>>(&self, words: &[WordAtoms], lower: &[S]) -> Vec<u8> {
        let known: Vec<Option<u8>> = lower.iter().map(|w| self.known.get(w.as_ref()).copied()).collect();
        let first = self.pass(&self.weights, words, &known, None);
        match &self.right {
            Some(right) => self.pass(right, words, &known, Some(&first)),
            None => first,
        }
    }

    /// One greedy pass, left to right; `ahead` holds an earlier pass's tags.
    fn pass(&self, weights: &Weights, words: &[WordAtoms], known: &[Option<u8>], ahead: Option<&[u8]>) -> Vec<u8> {
        let mut out = Vec::with_capacity(words.len());
        let mut feats = Vec::with_capacity(40);
        let mut scores = vec![0i32; self.tags.len()];
        let (mut t1, mut t2) = (START, START);
        for (i, &k) in known.iter().enumerate() {
            let t = match k {
                Some(t) => t,
                None => {
                    features(words, i, t1, t2, i == 0, &mut feats);
                    if let Some(ahead) = ahead {
                        right_features(words, ahead, i, t1, &mut feats);
                    }
                    weights.score(&feats, &mut scores);
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
    pub(crate) fn names(&self, tag: u8) -> (&str, &str) {
        let t = &self.tags[tag as usize];
        (&t.0, &t.1)
    }

    /// Taggers trained alike with different seeds, folded into one.
    pub(crate) fn average(taggers: &[Tagger]) -> Tagger {
        let weights: Vec<&Weights> = taggers.iter().map(|t| &t.weights).collect();
        let right: Option<Vec<&Weights>> = taggers.iter().map(|t| t.right.as_ref()).collect();
        Tagger { weights: Weights::average(&weights), right: right.map(|r| Weights::average(&r)), ..taggers[0].clone() }
    }

    pub(crate) fn pruned(&self, min_units: i16) -> Tagger {
        Tagger {
            weights: self.weights.pruned(min_units),
            right: self.right.as_ref().map(|r| r.pruned(min_units)),
            ..self.clone()
        }
    }

    /// Number of features with weights.
    pub(crate) fn features(&self) -> usize {
        self.weights.features() + self.right.as_ref().map_or(0, Weights::features)
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        out.varint(self.tags.len() as u64);
        for (u, x) in &self.tags {
            out.str(u);
            out.str(x);
        }
        self.gazetteer.write(out);
        out.word_map(&self.known);
        self.weights.write(out);
        match &self.right {
            Some(r) => {
                out.u8(1);
                r.write(out);
            }
            None => out.u8(0),
        }
    }

    pub(crate) fn read(input: &mut Reader) -> Result<Tagger> {
        let n = input.count(2)?;
        let mut tags = Vec::with_capacity(n);
        for _ in 0..n {
            tags.push((input.str()?, input.str()?));
        }
        let gazetteer = Gazetteer::read(input)?;
        let known = input.word_map(n)?;
        let weights = Weights::read(input)?;
        let right = match input.u8()? {
            0 => None,
            _ => Some(Weights::read(input)?),
        };
        if weights.classes() != n || right.as_ref().is_some_and(|r| r.classes() != n) {
            return Err(input.corrupt("tagger weights do not match its tags"));
        }
        Ok(Tagger { tags, weights, right, known, gazetteer })
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
    gazetteer: &Gazetteer,
    tags: Vec<(String, String)>,
    examples: &[TagExample],
    epochs: usize,
    prune: i32,
    ahead: Option<&[Vec<u8>]>,
    rng: &mut super::train::Rng,
) -> Tagger {
    let known = tag_dictionary(examples, tags.len());
    let weights = train_pass(&known, tags.len(), examples, None, epochs, rng).finish(prune);
    let right = ahead.map(|a| train_pass(&known, tags.len(), examples, Some(a), epochs, rng).finish(prune));
    Tagger { weights, right, tags, known, gazetteer: gazetteer.clone() }
}

/// Trains one pass; `ahead` gives, per example, an earlier pass's tags (from a tagger that
/// never saw the example, as at run time).
fn train_pass(
    known: &WordMap,
    classes: usize,
    examples: &[TagExample],
    ahead: Option<&[Vec<u8>]>,
    epochs: usize,
    rng: &mut super::train::Rng,
) -> Perceptron {
    let mut model = Perceptron::new(classes);
    let mut feats = Vec::with_capacity(40);
    let mut scores = vec![0f32; classes];
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
                        if let Some(ahead) = ahead {
                            right_features(&ex.atoms, &ahead[e], i, t1, &mut feats);
                        }
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
    model
}

/// Words seen at least 20 times with one tag in at least 99.5% of them.
fn tag_dictionary(examples: &[TagExample], classes: usize) -> WordMap {
    let mut counts: HashMap<&str, Vec<u32>> = HashMap::new();
    for ex in examples {
        for (w, &t) in ex.lower.iter().zip(&ex.gold) {
            counts.entry(w.as_str()).or_insert_with(|| vec![0; classes])[t as usize] += 1;
        }
    }
    let mut known = HashMap::default();
    for (w, c) in counts {
        let total: u32 = c.iter().sum();
        let best = argmax(&c);
        if total >= 20 && f64::from(c[best]) >= 0.995 * f64::from(total) {
            known.insert(w.to_string(), best as u8);
        }
    }
    known
}
