//! When and where an event happened: the time expression and the place of its clause, and
//! the tenses that make it background.

use crate::coder::engine::{CodedSentence, SentenceEvent};
use crate::coder::lexicon::Lexicon;
use crate::coder::mentions::{Mention, MentionFinder};
use crate::coder::time::{self, TimeKind};
use crate::domain::actors::NameKind;
use crate::domain::event::Place;
use crate::domain::text::{Token, TokenKind};

/// The place of an event: a locative mention in its clause, outside its complement.
pub(super) fn place_of(finder: &MentionFinder, s: &CodedSentence, e: &SentenceEvent, text: &str) -> Option<Place> {
    let toks_all = &s.tokens;
    let after_infinitive = |pos: usize| {
        (e.head.min(pos)..e.head.max(pos)).any(|i| {
            toks_all[i].key == "to"
                && toks_all.get(i + 1).is_some_and(|t| t.kind == TokenKind::Word && !t.capitalized && t.key != "the")
        })
    };
    let in_scope = |m: &Mention| {
        m.locative
            && m.start >= e.clause.0
            && m.start < e.clause.1
            && !e.complement.is_some_and(|(a, b)| m.start >= a && m.start < b)
            && !e.nested.iter().any(|&(a, b)| m.start >= a && m.start < b)
            && !after_infinitive(m.start)
    };
    // After the verb; before it only as the sentence's opening "In Moscow, …".
    let opening = |m: &&Mention| m.start <= 2 && toks_all.first().is_some_and(|t| t.key == "in");
    let m = s
        .mentions
        .iter()
        .filter(|m| in_scope(m) && m.start > e.head)
        .min_by_key(|m| m.start)
        .or_else(|| s.mentions.iter().filter(|m| in_scope(m)).find(opening))?;
    let country = m.country.clone().or_else(|| (m.code.len() == 3 && !m.code.starts_with('-')).then(|| m.code.clone()));
    let toks = &s.tokens;
    // "the Saudi city of Al-Ula": the name after "of"; "the Eritrean capital": the capital's name.
    let noun = toks.get(m.end).map(|t| t.key.as_str());
    let place_noun = noun.is_some_and(|n| {
        matches!(
            n,
            "city" | "town" | "village" | "capital" | "port" | "province" | "region" | "resort" | "island" | "district"
        )
    });
    let name = if place_noun {
        let after_of = (toks.get(m.end + 1).map(|t| t.key.as_str()) == Some("of")).then(|| {
            let from = m.end + 2;
            let mut to = from;
            while toks.get(to).is_some_and(|t| t.capitalized) {
                to += 1;
            }
            (to > from).then(|| text[toks[from].start..toks[to - 1].end].to_string())
        });
        match (after_of.flatten(), noun) {
            (Some(n), _) => Some(n),
            (None, Some("capital")) => country.as_deref().and_then(|c| capital_name(finder, c)),
            _ => None,
        }
    } else {
        Some(text[toks[m.start].start..toks[m.end - 1].end].to_string())
    };
    Some(Place { name, country })
}

fn capital_name(finder: &MentionFinder, country: &str) -> Option<String> {
    let code = format!("{country}GOV");
    finder
        .dictionary()
        .entries()
        .iter()
        .find(|e| e.kind == NameKind::Capital && e.code == code)
        .map(|e| e.canonical().to_string())
}

/// The date of an event: a time expression of its clause (not of a complement, nor after an
/// infinitive that starts another act), resolved against the publication date.
pub(super) fn date_of<'a>(s: &CodedSentence, e: &SentenceEvent, exprs: &'a [time::TimeExpr]) -> Option<&'a TimeKind> {
    let toks = &s.tokens;
    exprs
        .iter()
        .filter(|x| x.start >= e.clause.0 && x.start < e.clause.1)
        .filter(|x| !e.complement.is_some_and(|(a, b)| x.start >= a && x.start < b))
        .filter(|x| !e.nested.iter().any(|&(a, b)| x.start >= a && x.start < b))
        .filter(|x| {
            // "an invitation to attend the summit on May 19": the date is the summit's.
            let (lo, hi) = if x.start > e.head { (e.head, x.start) } else { (x.start, e.head) };
            !(lo..hi).any(|i| {
                toks[i].key == "to"
                    && toks.get(i + 1).is_some_and(|t| t.kind == TokenKind::Word && !t.capitalized && t.key != "the")
            })
        })
        .min_by_key(|x| x.start.abs_diff(e.head))
        .map(|x| &x.kind)
}

/// A simple past form: "deployed", "held" (not "encouraging", "hosts").
pub(super) fn past_tense(t: &Token, lex: &Lexicon) -> bool {
    let k = t.key.as_str();
    k.ends_with("ed") || lex.lemmas.lemmas(k).iter().any(|l| l != k && !k.ends_with("ing") && !k.ends_with('s'))
}

/// True when the verb at `head` is in the past perfect ("had supported").
pub(super) fn past_perfect(toks: &[Token], head: usize) -> bool {
    let from = head.saturating_sub(4);
    toks[from..head].iter().any(|t| t.key == "had")
}
