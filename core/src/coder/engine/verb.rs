//! How a token window reads the verb at a pattern's head: negated, hypothetical, obligatory,
//! future or passive, and whether it is a verb at all.

use super::{Sent, is_clause_punct};
use crate::domain::text::{Token, TokenKind};

/// Words that negate the verb that follows within a few tokens.
const NEGATORS: &[&str] = &[
    "not", "never", "no", "didnt", "doesnt", "dont", "wont", "cant", "cannot", "isnt", "wasnt", "hasnt", "havent",
    "hadnt", "wouldnt", "shouldnt", "couldnt", "arent", "werent", "neither", "nor",
];
/// Modal words that make the verb hypothetical.
const HYPOTHETICAL: &[&str] = &["may", "might", "could", "can", "if", "whether", "unless"];
/// Words of obligation: "Y must V", said by X, is X's demand that Y V.
const OBLIGATION: &[&str] = &["must", "should"];
/// Words that make the verb an announced future act.
const FUTURE: &[&str] = &["will", "would", "shall", "'ll"];
/// Words before a noun: articles, determiners and prepositions (`not_a_verb`).
const DETERMINERS: &[&str] = &[
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "its",
    "their",
    "his",
    "her",
    "our",
    "your",
    "any",
    "no",
    "every",
    "each",
    "such",
    "of",
    "for",
    "after",
    "before",
    "during",
    "against",
    "with",
    "by",
    "from",
    "in",
    "on",
    "following",
    "amid",
    "over",
    "without",
    "despite",
    "into",
    "about",
    "at",
    "since",
    "new",
    "recent",
];

/// What the words before a verb say about it.
pub(super) struct VerbContext {
    pub(super) neg: bool,
    pub(super) hyp: bool,
    pub(super) fut: bool,
    pub(super) passive: bool,
    pub(super) must: bool,
}

impl Sent<'_> {
    /// Why the word at `head` is not a verb here, if it is not: a noun after an article or a
    /// preposition ("for attacks", "the occupied West Bank"), a name ("last March"), part of a
    /// hyphenated modifier ("UN-brokered deal"), a participle opening the sentence ("Ousted
    /// president …"). Patterns marked nominal are nouns by nature and pass.
    pub(super) fn not_a_verb(&self, head: usize, nominal: bool) -> Option<&'static str> {
        let t = &self.toks[head];
        if t.hyphen_before {
            return Some("part of a hyphenated modifier");
        }
        if head > 0 && t.capitalized && !t.all_caps && !matches!(self.key(head - 1), "\"" | "(" | ":" | "-") {
            return Some("a name");
        }
        if nominal {
            return None;
        }
        if head == 0 && t.key.ends_with("ed") {
            return Some("a participle opening the sentence");
        }
        let mut i = head;
        let mut steps = 0;
        while i > 0 && steps < 3 {
            i -= 1;
            steps += 1;
            let k = self.key(i);
            // A gerund after a preposition is still a verb ("guilty of violating the ceasefire").
            let article = is_article(k);
            if DETERMINERS.contains(&k) && (article || !t.key.ends_with("ing")) {
                return Some("a noun");
            }
            // Only adjectives, numbers and modifiers may stand between an article and its noun.
            if self.toks[i].kind == TokenKind::Punct || self.starts[i].is_some() || k == "to" {
                break;
            }
            let adjective_like = is_adjective_like(&self.toks[i], k);
            if !adjective_like {
                break;
            }
        }
        None
    }

    /// A past participle: a regular "-ed" form or an irregular one ("held", "taken").
    fn is_participle(&self, i: usize) -> bool {
        let k = self.key(i);
        k.ends_with("ed") || (self.lemmas[i].iter().any(|l| l != k) && !k.ends_with("ing") && !k.ends_with('s'))
    }

    /// Looks back from the head over auxiliaries and adverbs: (negated, hypothetical, future, passive).
    pub(super) fn verb_context(&self, head: usize) -> (bool, bool, bool, bool) {
        let c = self.verb_context_full(head);
        (c.neg, c.hyp, c.fut, c.passive)
    }

    /// The verb's context: negated, hypothetical, future, passive, obligatory.
    pub(super) fn verb_context_full(&self, head: usize) -> VerbContext {
        let (mut neg, mut hyp, mut fut, mut passive, mut must) = (false, false, false, false, false);
        let mut i = head;
        let mut steps = 0;
        while i > 0 && steps < 5 {
            i -= 1;
            steps += 1;
            let t = &self.toks[i];
            if is_clause_punct(t) || self.starts[i].is_some() || self.mentions.iter().any(|m| m.start <= i && i < m.end)
            {
                break;
            }
            let k = t.key.as_str();
            if NEGATORS.contains(&k) {
                neg = true;
            } else if k == "yet" && self.key(i + 1) == "to" {
                neg = true; // "has yet to sign"
            } else if matches!(k, "fail" | "failed" | "fails" | "failing") && self.key(i + 1) == "to" {
                neg = true;
            } else if HYPOTHETICAL.contains(&k) {
                hyp = true;
            } else if OBLIGATION.contains(&k)
                || (matches!(k, "has" | "have" | "needs" | "need") && self.key(i + 1) == "to")
            {
                must = true;
            } else if FUTURE.contains(&k)
                || (k == "to"
                    && i > 0
                    && matches!(
                        self.key(i - 1),
                        "due" | "scheduled" | "expected" | "set" | "planning" | "plans" | "plan" | "planned" | "going"
                    ))
            {
                fut = true;
            } else if matches!(k, "is" | "are" | "was" | "were" | "be" | "been" | "being")
                && (head - i) <= 2
                && self.is_participle(head)
            {
                passive = true;
            }
        }
        // ", mediated by Oman": a participle with its agent is a passive.
        if self.key(head).ends_with("ed") && self.key(head + 1) == "by" {
            passive = true;
        }
        // "unless Baghdad accepted": a condition, not an act.
        if let Some(subj) = self.mentions.iter().rev().find(|m| m.end <= head && head - m.end <= 3)
            && subj.start > 0
            && matches!(self.key(subj.start - 1), "if" | "unless" | "whether")
        {
            hyp = true;
        }
        VerbContext { neg, hyp, fut, passive, must }
    }
}

/// Articles and determiners: before them a word is a noun even when it ends in "-ing".
fn is_article(k: &str) -> bool {
    matches!(
        k,
        "a" | "an"
            | "the"
            | "this"
            | "that"
            | "these"
            | "those"
            | "its"
            | "their"
            | "his"
            | "her"
            | "our"
            | "your"
            | "any"
            | "no"
            | "every"
            | "each"
            | "such"
            | "new"
            | "recent"
    )
}

/// Words that may stand between an article and its noun: adjectives, numbers, modifiers
/// (`k` is the token's key).
fn is_adjective_like(t: &Token, k: &str) -> bool {
    t.kind == TokenKind::Number
        || matches!(
            k,
            "fierce"
                | "heavy"
                | "violent"
                | "official"
                | "formal"
                | "joint"
                | "fresh"
                | "major"
                | "massive"
                | "first"
                | "second"
                | "latest"
                | "further"
                | "deadly"
                | "unilateral"
                | "military"
                | "economic"
                | "political"
                | "diplomatic"
                | "full"
                | "four"
                | "day"
                | "week"
                | "long"
                | "year"
                | "two"
                | "three"
                | "several"
                | "more"
                | "fewer"
                | "other"
                | "all"
                | "many"
                | "some"
                | "stern"
                | "strong"
                | "peaceful"
                | "immediate"
        )
        || k.ends_with("al")
        || k.ends_with("ive")
        || k.ends_with("ous")
}
