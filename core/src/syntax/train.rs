//! Training the syntax models from a Universal Dependencies treebank. Deterministic given the
//! seed: example order comes from a seeded generator and every table is written in key order.

use std::collections::BTreeSet;

use super::conllu::Sentence;
use super::lemmatizer::Lemmatizer;
use super::parser::{self, ParseAtoms, ParseExample};
use super::tagger::{self, TagExample, WordAtoms};
use super::{SyntaxModel, tag_atom_of};

/// A small deterministic generator (xorshift64*): training must not depend on a crate's
/// generator changing between versions.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Seed of the example order and the oracle's exploration.
    pub seed: u64,
    /// Passes over the treebank for the tagger.
    pub tagger_epochs: usize,
    /// Passes for the parser.
    pub parser_epochs: usize,
    /// Parser epochs on the oracle's path before it explores its own mistakes.
    pub explore_after: usize,
    /// Folds of the jackknife that gives the parser's training data predicted tags (as it will
    /// see at run time); 1 trains it on gold tags.
    pub folds: usize,
    /// Weights under this many units of the 16-bit scale (32,767 for the largest weight) are
    /// dropped from the model file: on EWT dev, 256 drops a tenth of the parser's features and
    /// no accuracy.
    pub prune: i32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { seed: 1, tagger_epochs: 15, parser_epochs: 15, explore_after: 1, folds: 4, prune: 256 }
    }
}

/// Trains tagger, lemmatizer and parser on treebank sentences. `progress` hears each stage.
pub fn train(sentences: &[Sentence], options: &TrainOptions, progress: &mut dyn FnMut(&str)) -> SyntaxModel {
    let mut rng = Rng::new(options.seed);
    let tag_set: BTreeSet<(String, String)> =
        sentences.iter().flat_map(|s| s.words.iter().map(|w| (w.upos.clone(), w.xpos.clone()))).collect();
    let tags: Vec<(String, String)> = tag_set.into_iter().collect();
    let label_set: BTreeSet<&str> = sentences.iter().flat_map(|s| s.words.iter().map(|w| w.deprel.as_str())).collect();
    let labels: Vec<String> = label_set.into_iter().map(str::to_string).collect();
    let tag_index = |u: &str, x: &str| tags.iter().position(|t| t.0 == u && t.1 == x).unwrap_or(0) as u8;
    let label_index = |l: &str| labels.iter().position(|x| x == l).unwrap_or(0) as u8;

    let examples: Vec<TagExample> = sentences
        .iter()
        .map(|s| TagExample {
            atoms: s.words.iter().map(|w| WordAtoms::new(&w.form)).collect(),
            lower: s.words.iter().map(|w| w.form.to_lowercase()).collect(),
            gold: s.words.iter().map(|w| tag_index(&w.upos, &w.xpos)).collect(),
        })
        .collect();

    // Predicted tags for the parser's training data, each fold tagged by a tagger that never
    // saw it.
    let mut predicted: Vec<Vec<u8>> = examples.iter().map(|e| e.gold.clone()).collect();
    if options.folds > 1 {
        for fold in 0..options.folds {
            progress(&format!("tagger for fold {}/{}", fold + 1, options.folds));
            let (held, rest): (Vec<usize>, Vec<usize>) = (0..examples.len()).partition(|i| i % options.folds == fold);
            let part: Vec<TagExample> = rest
                .iter()
                .map(|&i| TagExample {
                    atoms: examples[i].atoms.clone(),
                    lower: examples[i].lower.clone(),
                    gold: examples[i].gold.clone(),
                })
                .collect();
            let t = tagger::train(tags.clone(), &part, options.tagger_epochs, options.prune, &mut rng);
            for i in held {
                predicted[i] = t.tag(&examples[i].atoms, &examples[i].lower);
            }
        }
    }
    progress("tagger");
    let tagger = tagger::train(tags.clone(), &examples, options.tagger_epochs, options.prune, &mut rng);

    progress("lemmatizer");
    let lemmatizer = Lemmatizer::train(
        sentences
            .iter()
            .zip(&examples)
            .flat_map(|(s, e)| s.words.iter().zip(&e.gold).map(|(w, &t)| (w.form.as_str(), t, w.lemma.as_str()))),
    );

    progress("parser");
    let parse_examples: Vec<ParseExample> = sentences
        .iter()
        .zip(&examples)
        .zip(&predicted)
        .map(|((s, e), p)| {
            let n = s.words.len();
            ParseExample {
                atoms: e.atoms.iter().zip(p).map(|(a, &t)| ParseAtoms { word: a.lower, tag: tag_atom_of(t) }).collect(),
                heads: s.words.iter().map(|w| if w.head == 0 { n } else { w.head - 1 }).collect(),
                labels: s.words.iter().map(|w| label_index(&w.deprel)).collect(),
            }
        })
        .collect();
    let parser = parser::train(labels, &parse_examples, options, &mut rng);
    SyntaxModel { tagger, lemmatizer, parser }
}
