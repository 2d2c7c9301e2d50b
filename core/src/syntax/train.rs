//! Training the syntax models from a Universal Dependencies treebank. Deterministic given the
//! seed: example order comes from a seeded generator and every table is written in key order.

use std::collections::BTreeSet;

use super::conllu::Sentence;
use super::lemmatizer::Lemmatizer;
use super::parser::{self, ParseAtoms, ParseExample};
use super::tagger::{self, Gazetteer, TagExample, WordAtoms};
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
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
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
    /// Weights under this many units of the 16-bit scale (32,767 for each model's largest
    /// weight) are dropped, for the tagger, the parser's transitions and its labeller: on EWT
    /// dev, 512 drops half the transition features and no accuracy.
    pub prune: [i32; 3],
    /// Taggers and parsers trained (with seeds `seed`, `seed + 1`, …) and averaged into one:
    /// on EWT dev 2 gave +0.1 UPOS, +0.1 UAS, +0.25 LAS, for twice the training time and a
    /// fifth more memory.
    pub ensemble: usize,
    /// A second tagging pass that sees the first pass's tags of the words ahead: on EWT dev
    /// +0.2 UPOS and UAS, for a third less speed.
    pub two_pass: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            seed: 1,
            tagger_epochs: 15,
            parser_epochs: 15,
            explore_after: 1,
            folds: 4,
            prune: [256, 512, 256],
            ensemble: 1,
            two_pass: false,
        }
    }
}

/// Trains tagger, lemmatizer and parser on treebank sentences; `gazetteer` is what the tagger
/// knows of names (see [`Gazetteer::from_actor_files`]). `progress` hears each stage.
pub fn train(
    sentences: &[Sentence],
    gazetteer: &Gazetteer,
    options: &TrainOptions,
    progress: &mut dyn FnMut(&str),
) -> SyntaxModel {
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
            atoms: s.words.iter().map(|w| WordAtoms::new(&w.form, &w.form.to_lowercase(), gazetteer)).collect(),
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
            let t =
                tagger::train(gazetteer, tags.clone(), &part, options.tagger_epochs, options.prune[0], None, &mut rng);
            for i in held {
                predicted[i] = t.tag(&examples[i].atoms, &examples[i].lower);
            }
        }
    }
    progress("tagger");
    // The second pass learns from the jackknifed first-pass tags, as it will see them.
    let ahead = (options.two_pass && options.folds > 1).then_some(predicted.as_slice());
    let taggers: Vec<_> = (0..options.ensemble.max(1))
        .map(|k| {
            let mut rng = Rng::new(options.seed + k as u64);
            tagger::train(gazetteer, tags.clone(), &examples, options.tagger_epochs, options.prune[0], ahead, &mut rng)
        })
        .collect();
    let tagger = if taggers.len() == 1 {
        taggers[0].clone()
    } else {
        tagger::Tagger::average(&taggers).pruned(options.prune[0] as i16)
    };

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
                atoms: e
                    .atoms
                    .iter()
                    .zip(p)
                    .zip(&e.lower)
                    .map(|((a, &t), l)| ParseAtoms {
                        word: a.lower,
                        tag: tag_atom_of(t),
                        upos: super::weights_atom(&tags[t as usize].0),
                        comma: matches!(l.as_str(), "," | ";"),
                    })
                    .collect(),
                heads: s.words.iter().map(|w| if w.head == 0 { n } else { w.head - 1 }).collect(),
                labels: s.words.iter().map(|w| label_index(&w.deprel)).collect(),
            }
        })
        .collect();
    let parsers: Vec<_> = (0..options.ensemble.max(1))
        .map(|k| {
            let mut r = Rng::new((options.seed + k as u64) ^ 0x5EED);
            parser::train(labels.clone(), &parse_examples, options, &mut r)
        })
        .collect();
    let parser = if parsers.len() == 1 {
        parsers[0].clone()
    } else {
        parser::Parser::average(&parsers).pruned(options.prune[1] as i16, options.prune[2] as i16)
    };
    SyntaxModel { tagger, lemmatizer, parser }
}
