//! Syntax: part-of-speech tags (UPOS and PTB), lemmas and labelled Universal Dependencies trees
//! for English sentences, from linear models of our own trained on the UD English Web Treebank
//! (see `core/data/syntax/README.md` for its licence and how to retrain).
//!
//! [`SyntaxModel::embedded`] is the model shipped in the binary, inflated on first use (once per
//! process); [`SyntaxModel::parse_text`] splits text into sentences and words (our tokenizer,
//! with contractions and hyphens split as the treebank does) and analyses each.
//!
//! - `tagger`: two-pass greedy averaged-perceptron tagger over joint UPOS+XPOS classes;
//! - `lemmatizer`: exceptions and suffix rules learned from the treebank;
//! - `parser`: arc-eager transition parser with a dynamic oracle and an arc labeller;
//! - `weights`: the hashed sparse linear models they share; `model_file`: their file;
//! - `conllu`, `train`, `evaluate`: treebank reading, training and the CoNLL 2018 scores.

pub mod conllu;
pub mod evaluate;
pub(crate) mod lemmatizer;
pub(crate) mod model_file;
pub(crate) mod parser;
pub mod sentences;
mod table;
pub(crate) mod tagger;
pub mod train;
mod weights;
pub mod words;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use lemmatizer::Lemmatizer;
use model_file::{Reader, Writer};
use parser::{ParseAtoms, Parser};
pub use table::{COLUMNS, parse_table};
pub use tagger::Gazetteer;
use tagger::{Tagger, WordAtoms};

/// The trained tagger, lemmatizer and parser.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxModel {
    tagger: Tagger,
    lemmatizer: Lemmatizer,
    parser: Parser,
}

/// One analysed word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedWord<'m> {
    /// Byte offset of the word in the text parsed (0 when parsing given words).
    pub start: usize,
    /// Byte offset after it.
    pub end: usize,
    /// The word as written.
    pub form: String,
    /// Its lemma.
    pub lemma: String,
    /// Universal part-of-speech tag (`NOUN`, `VERB`, `PROPN`…).
    pub upos: &'m str,
    /// Penn Treebank tag (`NNS`, `VBD`, `NNP`…).
    pub xpos: &'m str,
    /// 1-based index of the head word in the sentence; 0 for the root.
    pub head: usize,
    /// Universal Dependencies relation to the head, with its subtype (`nsubj:pass`).
    pub deprel: &'m str,
}

/// One analysed sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSentence<'m> {
    /// Byte offset of the sentence in the text.
    pub start: usize,
    /// Byte offset after it.
    pub end: usize,
    /// Its words, in order.
    pub words: Vec<ParsedWord<'m>>,
}

impl ParsedSentence<'_> {
    /// The sentence's word lines in CoNLL-U: ID, FORM, LEMMA, UPOS, XPOS, FEATS (`_`), HEAD,
    /// DEPREL, DEPS (`_`) and MISC (`SpaceAfter=No` where no space follows).
    pub fn to_conllu(&self) -> String {
        let mut out = String::new();
        // A form or lemma with a tab or newline would break the columns.
        let clean = |v: &str| v.replace(['\t', '\n', '\r'], " ");
        for (j, w) in self.words.iter().enumerate() {
            let joined = self.words.get(j + 1).is_some_and(|next| next.start == w.end);
            let misc = if joined { "SpaceAfter=No" } else { "_" };
            let (form, lemma) = (clean(&w.form), clean(&w.lemma));
            let _ = writeln!(
                out,
                "{}\t{form}\t{lemma}\t{}\t{}\t_\t{}\t{}\t_\t{misc}",
                j + 1,
                w.upos,
                w.xpos,
                w.head,
                w.deprel
            );
        }
        out
    }
}

/// Splits `text` into sentences and analyses them with the embedded model, as CoNLL-U: a
/// `# sent_id` and `# text` per sentence, then its words ([`ParsedSentence::to_conllu`]).
pub fn to_conllu(text: &str) -> Result<String> {
    let model = SyntaxModel::embedded()?;
    let mut out = String::new();
    for (i, s) in model.parse_text(text).iter().enumerate() {
        let shown: String = text[s.start..s.end].split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "# sent_id = {}\n# text = {shown}", i + 1);
        out.push_str(&s.to_conllu());
        out.push('\n');
    }
    Ok(out)
}

/// The embedded model file: trained on UD English EWT (CC BY-SA 4.0).
static EMBEDDED: &[u8] = include_bytes!("../../data/syntax/en_ewt.model");

/// Words longer than this are cut for hashing: a 10,000-character "word" costs what 64 do.
const MAX_WORD_CHARS: usize = 64;

/// A coarse tag's atom in parser features.
pub(crate) fn weights_atom(upos: &str) -> u64 {
    weights::atom(upos) ^ 0x0C0A_25E0
}

/// The tag class's atom in parser features.
pub(crate) fn tag_atom_of(t: u8) -> u64 {
    0x7A61_0000 + u64::from(t)
}

impl SyntaxModel {
    /// The model shipped with detente, loaded on first use.
    pub fn embedded() -> Result<&'static SyntaxModel> {
        static MODEL: OnceLock<std::result::Result<SyntaxModel, String>> = OnceLock::new();
        let loaded = MODEL.get_or_init(|| {
            let started = std::time::Instant::now();
            let m = SyntaxModel::from_bytes(EMBEDDED, "embedded syntax model").map_err(|e| e.to_string());
            tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "syntax model loaded");
            m
        });
        loaded.as_ref().map_err(|e| Error::Internal(e.clone()))
    }

    /// Reads a model file's bytes; `name` names it in errors.
    pub fn from_bytes(file: &[u8], name: &str) -> Result<SyntaxModel> {
        let body = Reader::inflate(file, name)?;
        let mut r = Reader::new(&body, name);
        let tagger = Tagger::read(&mut r)?;
        let lemmatizer = Lemmatizer::read(&mut r, tagger.tags.len())?;
        let parser = Parser::read(&mut r)?;
        if !r.at_end() {
            return Err(r.corrupt("trailing bytes"));
        }
        Ok(SyntaxModel { tagger, lemmatizer, parser })
    }

    /// Reads a model file.
    pub fn load(path: &std::path::Path) -> Result<SyntaxModel> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        SyntaxModel::from_bytes(&bytes, &path.display().to_string())
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.tagger.write(&mut w);
        self.lemmatizer.write(&mut w);
        self.parser.write(&mut w);
        w.into_file()
    }

    /// Sizes: (tagger features, parser transition features, labeller features).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let (t, l) = self.parser.features();
        (self.tagger.features(), t, l)
    }

    /// Analyses a sentence given as words: tags, lemmas and tree.
    pub fn analyse<'m>(&'m self, forms: &[&str]) -> Vec<ParsedWord<'m>> {
        let normal: Vec<std::borrow::Cow<str>> = forms.iter().map(|f| words::normalized(f)).collect();
        let cut: Vec<&str> = normal
            .iter()
            .map(|f| match f.char_indices().nth(MAX_WORD_CHARS) {
                Some((i, _)) => &f[..i],
                None => f,
            })
            .collect();
        let gazetteer = &self.tagger.gazetteer;
        let lower: Vec<std::borrow::Cow<str>> = cut.iter().map(|f| words::lowercase(f)).collect();
        let atoms: Vec<WordAtoms> = cut.iter().zip(&lower).map(|(f, l)| WordAtoms::new(f, l, gazetteer)).collect();
        let tags = self.tagger.tag(&atoms, &lower);
        let parse_atoms: Vec<ParseAtoms> =
            atoms.iter().zip(&tags).zip(&lower).map(|((a, &t), l)| self.parse_atoms(a, t, l)).collect();
        let arcs = self.parser.parse(&parse_atoms);
        forms
            .iter()
            .zip(&normal)
            .zip(&tags)
            .zip(&arcs)
            .map(|(((f, n), &t), a)| {
                let (upos, xpos) = self.tagger.names(t);
                ParsedWord {
                    start: 0,
                    end: 0,
                    form: f.to_string(),
                    // The treebank's apostrophes and quotes are ASCII: "n’t" has the lemma of "n't".
                    lemma: self.lemmatizer.lemma(n, t),
                    upos,
                    xpos,
                    head: a.head,
                    deprel: &self.parser.labels[a.label as usize],
                }
            })
            .collect()
    }

    fn parse_atoms(&self, a: &WordAtoms, t: u8, lower: &str) -> ParseAtoms {
        ParseAtoms {
            word: a.lower,
            tag: tag_atom_of(t),
            upos: weights_atom(self.tagger.names(t).0),
            comma: matches!(lower, "," | ";"),
        }
    }

    /// Analyses the words of one sentence of `text` (from [`words::words`]).
    pub fn analyse_words<'m>(&'m self, text: &str, spans: &[words::WordSpan]) -> Vec<ParsedWord<'m>> {
        let forms: Vec<&str> = spans.iter().map(|w| &text[w.start..w.end]).collect();
        let mut out = self.analyse(&forms);
        for (w, s) in out.iter_mut().zip(spans) {
            w.start = s.start;
            w.end = s.end;
        }
        out
    }

    /// Splits text into sentences and words and analyses each sentence.
    pub fn parse_text<'m>(&'m self, text: &str) -> Vec<ParsedSentence<'m>> {
        let (sentences, _) = crate::syntax::sentences::split(text);
        sentences.iter().filter_map(|s| self.parse_span(text, s.start, s.end)).collect()
    }

    /// Analyses one sentence, `text[start..end]`, into words with offsets in `text`; None when it
    /// has no words.
    pub fn parse_span<'m>(&'m self, text: &str, start: usize, end: usize) -> Option<ParsedSentence<'m>> {
        let sentence = &text[start..end];
        let tokens = crate::domain::text::tokenize(sentence);
        let mut spans = words::words(sentence, &tokens);
        if spans.is_empty() {
            return None;
        }
        for w in &mut spans {
            w.start += start;
            w.end += start;
        }
        Some(ParsedSentence { start, end, words: self.analyse_words(text, &spans) })
    }
}
