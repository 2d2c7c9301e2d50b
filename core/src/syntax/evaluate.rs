//! Scores of the syntax models against a treebank, as the CoNLL 2018 shared task defines them:
//! UPOS, XPOS, lemma, UAS and LAS (LAS compares the universal part of the relation). With the
//! treebank's words given, they are accuracies; from raw text through our own tokenizer, system
//! and gold words are aligned by their character spans and each score is an F1 over words.

use std::fmt;

use super::SyntaxModel;
use super::conllu::{Sentence, universal};

/// Counts of correct words per measure, and the words compared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    /// Words in the gold trees.
    pub gold_words: usize,
    /// Words the system produced.
    pub system_words: usize,
    /// System words whose span matches a gold word's.
    pub aligned: usize,
    /// Aligned words with the right UPOS.
    pub upos: usize,
    /// … the right PTB tag.
    pub xpos: usize,
    /// … the right lemma.
    pub lemma: usize,
    /// … the right head.
    pub uas: usize,
    /// … the right head and universal relation.
    pub las: usize,
    /// … the right head and full relation (with subtype).
    pub las_full: usize,
}

impl Scores {
    /// F1 of a count (an accuracy when system and gold words are the same).
    pub fn f1(&self, correct: usize) -> f64 {
        if self.gold_words == 0 || self.system_words == 0 {
            return 0.0;
        }
        let p = correct as f64 / self.system_words as f64;
        let r = correct as f64 / self.gold_words as f64;
        if p + r == 0.0 { 0.0 } else { 100.0 * 2.0 * p * r / (p + r) }
    }
}

impl fmt::Display for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "words     {:6.2}  ({} gold, {} system)",
            self.f1(self.aligned),
            self.gold_words,
            self.system_words
        )?;
        for (name, n) in [
            ("UPOS", self.upos),
            ("XPOS", self.xpos),
            ("lemma", self.lemma),
            ("UAS", self.uas),
            ("LAS", self.las),
            ("LAS full", self.las_full),
        ] {
            writeln!(f, "{name:<9} {:6.2}", self.f1(n))?;
        }
        Ok(())
    }
}

/// Scores with the treebank's own words.
pub fn gold_words(model: &SyntaxModel, sentences: &[Sentence]) -> Scores {
    let mut s = Scores::default();
    for sent in sentences {
        let forms: Vec<&str> = sent.words.iter().map(|w| w.form.as_str()).collect();
        let parsed = model.analyse(&forms);
        s.gold_words += forms.len();
        s.system_words += forms.len();
        s.aligned += forms.len();
        for (g, p) in sent.words.iter().zip(&parsed) {
            s.upos += usize::from(g.upos == p.upos);
            s.xpos += usize::from(g.xpos == p.xpos);
            s.lemma += usize::from(g.lemma == p.lemma);
            let head = g.head == p.head;
            s.uas += usize::from(head);
            s.las += usize::from(head && universal(&g.deprel) == universal(p.deprel));
            s.las_full += usize::from(head && g.deprel == p.deprel);
        }
    }
    s
}

/// Gold words' character spans in the sentence's text: each form found in order, skipping
/// spaces. None when the text and the words disagree.
fn gold_spans(sent: &Sentence, text: &str) -> Option<Vec<(usize, usize)>> {
    let mut at = 0;
    let mut out = Vec::with_capacity(sent.words.len());
    for w in &sent.words {
        let rest = &text[at..];
        let skip = rest.len() - rest.trim_start().len();
        at += skip;
        if !text[at..].starts_with(w.form.as_str()) {
            return None;
        }
        out.push((at, at + w.form.len()));
        at += w.form.len();
    }
    Some(out)
}

/// Scores from each sentence's raw text, through our tokenizer. Sentences whose text does not
/// spell out their words (rare treebank typos) are counted in `skipped`.
pub fn raw_text(model: &SyntaxModel, sentences: &[Sentence]) -> (Scores, usize) {
    let mut s = Scores::default();
    let mut skipped = 0;
    for sent in sentences {
        let Some(text) = sent.text.as_deref() else {
            skipped += 1;
            continue;
        };
        let Some(gold) = gold_spans(sent, text) else {
            skipped += 1;
            continue;
        };
        let tokens = crate::domain::text::tokenize(text);
        let spans = super::words::words(text, &tokens);
        let parsed = model.analyse_words(text, &spans);
        s.gold_words += gold.len();
        s.system_words += parsed.len();
        // system index → gold index, where spans match.
        let mut to_gold = vec![None; parsed.len()];
        let mut g = 0;
        for (i, p) in parsed.iter().enumerate() {
            while g < gold.len() && gold[g].0 < p.start {
                g += 1;
            }
            if g < gold.len() && gold[g] == (p.start, p.end) {
                to_gold[i] = Some(g);
            }
        }
        for (i, p) in parsed.iter().enumerate() {
            let Some(gi) = to_gold[i] else { continue };
            let gw = &sent.words[gi];
            s.aligned += 1;
            s.upos += usize::from(gw.upos == p.upos);
            s.xpos += usize::from(gw.xpos == p.xpos);
            s.lemma += usize::from(gw.lemma == p.lemma);
            let head = match (p.head, gw.head) {
                (0, 0) => true,
                (0, _) | (_, 0) => false,
                (ph, gh) => to_gold[ph - 1] == Some(gh - 1),
            };
            s.uas += usize::from(head);
            s.las += usize::from(head && universal(&gw.deprel) == universal(p.deprel));
            s.las_full += usize::from(head && gw.deprel == p.deprel);
        }
    }
    (s, skipped)
}
