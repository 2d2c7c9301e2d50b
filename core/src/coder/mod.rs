//! The event coder: English news text in, canonical events out, each with the sentence, the
//! character span and the lexicon rule that produced it. A document goes through these stages:
//!
//! 1. `crate::syntax::sentences`: sentences and datelines;
//! 2. tokens (`crate::domain::text`) and actor mentions (`mentions`: the dictionary's names, roles,
//!    titles, persons in office on the date; `discourse` adds what earlier sentences resolve);
//! 3. the dependency parse (`crate::syntax`), repaired where news parses commonly fail, and its
//!    predicate frames (`frames`: who does what to whom, coordination, control, clause kinds,
//!    negation, modality);
//! 4. sentence events (`events`): the lexicon's patterns matched over each predicate's dependents,
//!    sources and targets from the frame; where the tree finds no act and raises no objection, the
//!    token-window matcher of before the parse (`engine`) still codes one;
//! 5. document resolution (`discourse`): coreference, dates and background, places, meeting
//!    groups, the authors of acts named as objects ("condemned the invasion"), duplicates.
//!
//! It prefers no event to a wrong one: nothing is coded without a lexicon match, negated and
//! hypothetical verbs ("did not sign", "may attack") are not coded, refusals and threats get
//! their own codes, and in reported speech ("X said Y would …") Y's act is coded, not X's
//! statement.

mod discourse;
mod engine;
mod events;
mod frames;
mod lemma;
mod lexicon;
mod mentions;
mod time;

pub use engine::{CodedSentence, SentenceEvent};
pub use lexicon::Lexicon;

use crate::domain::actors::Dictionary;
use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::error::Result;
use crate::syntax::sentences;
use mentions::MentionFinder;
use std::sync::{Arc, OnceLock};

/// The lexicon files compiled into detente (users add their own with `--lexicon`).
pub const BUILTIN_LEXICON: &[(&str, &str)] = &[
    ("lexicon/events.txt", include_str!("../../data/lexicon/events.txt")),
    ("lexicon/phoenix-verbs.txt", include_str!("../../data/lexicon/phoenix-verbs.txt")),
    ("lexicon/topics.txt", include_str!("../../data/lexicon/topics.txt")),
];

/// The built-in lexicon, parsed once.
pub(crate) fn builtin_lexicon() -> Result<Arc<Lexicon>> {
    static L: OnceLock<std::result::Result<Arc<Lexicon>, String>> = OnceLock::new();
    L.get_or_init(|| Lexicon::parse(BUILTIN_LEXICON).map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(crate::error::Error::Internal)
}

/// Codes documents into events. Build one per dictionary and lexicon and share it: it is
/// immutable and thread-safe.
#[derive(Debug)]
pub struct Coder {
    finder: MentionFinder,
    lexicon: Arc<Lexicon>,
    /// Whether sentences are read with the embedded parser (loaded on the first document, so that
    /// commands that code nothing never pay for it); false codes from token windows alone (the
    /// coder of before the parse, kept to compare).
    parse: bool,
}

impl Coder {
    /// A coder over a dictionary and a lexicon, reading each sentence's dependency tree with the
    /// embedded syntax model (token windows alone if that model cannot load, with a warning).
    pub fn new(dict: Arc<Dictionary>, lexicon: Arc<Lexicon>) -> Coder {
        Coder { finder: MentionFinder::new(dict), lexicon, parse: true }
    }

    /// The parser, loaded on first use; None (with a warning, once) if it cannot load.
    fn syntax(&self) -> Option<&'static crate::syntax::SyntaxModel> {
        if !self.parse {
            return None;
        }
        static WARNED: std::sync::Once = std::sync::Once::new();
        match crate::syntax::SyntaxModel::embedded() {
            Ok(m) => Some(m),
            Err(e) => {
                WARNED.call_once(|| tracing::warn!("no syntax model ({e}): coding from token windows alone"));
                None
            }
        }
    }

    /// The same coder without the parse: token windows alone, the coder of before issue 21 (to
    /// compare; faster, less accurate on unseen news).
    pub fn token_windows(mut self) -> Coder {
        self.parse = false;
        self
    }

    /// A coder with the built-in dictionary and lexicon.
    pub fn builtin() -> Result<Coder> {
        Ok(Coder::new(Dictionary::builtin(), builtin_lexicon()?))
    }

    /// The lexicon in use.
    pub fn lexicon(&self) -> &Arc<Lexicon> {
        &self.lexicon
    }

    /// Codes a whole document: every sentence, in order.
    pub fn code_document(&self, doc: &Document) -> Vec<Event> {
        discourse::code_document(&self.finder, &self.lexicon, self.syntax(), doc)
    }

    /// A readable trace of how a document was coded: each sentence, the actors found in it and
    /// the events with the rules that produced them (`detente code --explain`).
    pub fn explain(&self, doc: &Document) -> String {
        let mut out = String::new();
        let (_, datelines) = sentences::split(&doc.text);
        for d in datelines {
            out.push_str(&format!("dateline: {}\n", d.place));
        }
        let mut coded_sentences = Vec::new();
        discourse::code_document_traced(&self.finder, &self.lexicon, self.syntax(), doc, Some(&mut coded_sentences));
        let syntax = crate::syntax::SyntaxModel::embedded();
        for (i, coded) in coded_sentences.iter().enumerate() {
            let sentence = &doc.text[coded.start..coded.end];
            out.push_str(&format!("[{i}] {sentence}\n"));
            // The sentence's tree: ID, FORM, LEMMA, UPOS, XPOS, HEAD, DEPREL.
            match &syntax {
                Ok(model) => {
                    if let Some(mut parsed) = model.parse_span(&doc.text, coded.start, coded.end) {
                        frames::repair(&mut parsed);
                        for line in parsed.to_conllu().lines() {
                            out.push_str(&format!("    | {line}\n"));
                        }
                        for f in frames::frames(&parsed) {
                            out.push_str(&format!("    frame {}\n", f.describe(&parsed)));
                        }
                    }
                }
                Err(e) => out.push_str(&format!("    (no tree: {e})\n")),
            }
            for m in &coded.mentions {
                let text = &doc.text[coded.tokens[m.start].start..coded.tokens[m.end - 1].end];
                let flags = format!("{}{}", if m.locative { " place" } else { "" }, if m.weak { " weak" } else { "" });
                out.push_str(&format!("    actor {:<10} {:<12} «{text}»{flags}\n", m.code, m.kind.as_str()));
            }
            for t in &coded.trace {
                out.push_str(&format!("    {t}\n"));
            }
            for e in &coded.events {
                out.push_str(&format!(
                    "    event {} → {} {}{}{} [{}]\n",
                    e.source.as_deref().unwrap_or("?"),
                    e.target.as_deref().unwrap_or("?"),
                    e.code,
                    if e.symmetric { " symmetric" } else { "" },
                    if e.planned { " planned" } else { "" },
                    e.rule
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
