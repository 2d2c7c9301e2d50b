//! Coreference across a document's sentences: "the two countries", "the ministers", "the
//! country", "the bloc", possessives and subject pronouns, a surname after the full name.

use crate::coder::engine::CodedSentence;
use crate::coder::mentions::{Mention, MentionFinder};
use crate::domain::actors::NameKind;
use crate::domain::text::{Token, TokenKind};
use std::collections::HashMap;

/// What the document has said so far, for resolving references.
#[derive(Debug, Default)]
pub(super) struct Coref {
    /// The last actor that did something (or led a sentence).
    last_subject: Option<Mention>,
    /// The last two parties seen together ("Turkey and Syria").
    last_pair: Option<(Mention, Mention)>,
    /// The parties of the last meeting ("the ministers agreed …" after "the foreign ministers of
    /// Turkey, Syria, Russia and Iran met").
    last_meeting: Vec<Mention>,
    /// The last organisation named.
    last_org: Option<Mention>,
    /// The last person named.
    last_person: Option<Mention>,
    /// Persons by the key of their last name.
    persons: HashMap<String, Mention>,
}

const PAIR_NOUNS: &[&str] = &[
    "countries",
    "nations",
    "sides",
    "neighbours",
    "neighbors",
    "leaders",
    "governments",
    "rivals",
    "delegations",
    "capitals",
    "states",
    "foes",
    "adversaries",
    "parties",
];
/// Plural nouns that, after "the", name the parties of the last meeting.
const MEETING_PARTIES: &[&str] =
    &["ministers", "leaders", "delegations", "sides", "parties", "officials", "participants", "envoys"];
const ORG_NOUNS: &[&str] = &["bloc", "alliance", "organisation", "organization", "league", "union", "grouping", "body"];

fn country_level(m: &Mention, start: usize, end: usize, role: Option<&str>) -> Mention {
    let country = m.country.clone().unwrap_or_else(|| m.code.clone());
    let code = match role {
        Some(r) if country.len() == 3 => format!("{country}{r}"),
        _ => country.clone(),
    };
    Mention {
        start,
        end,
        code,
        country: Some(country),
        name: m.name.clone(),
        kind: m.kind,
        locative: false,
        weak: false,
    }
}

impl Coref {
    /// Adds mentions for references the dictionary cannot see.
    pub(super) fn resolve(&self, finder: &MentionFinder, toks: &[Token], mentions: &mut Vec<Mention>) {
        let covered = |i: usize, ms: &[Mention]| ms.iter().any(|m| m.start <= i && i < m.end);
        let key = |i: usize| toks.get(i).map_or("", |t| t.key.as_str());
        let mut added: Vec<Mention> = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            if covered(i, mentions) {
                i += 1;
                continue;
            }
            let k = key(i);
            // "the two countries", "both sides", "the neighbours".
            let pair_len = if (k == "the" && key(i + 1) == "two" && PAIR_NOUNS.contains(&key(i + 2)))
                || (k == "both" && PAIR_NOUNS.contains(&key(i + 1)) && key(i + 1) != "parties")
            {
                Some(if k == "the" { 3 } else { 2 })
            } else if k == "the" && matches!(key(i + 1), "neighbours" | "neighbors") {
                Some(2)
            } else {
                None
            };
            if let (Some(n), Some((a, b))) = (pair_len, &self.last_pair) {
                let role =
                    matches!(key(i + n - 1), "leaders" | "governments" | "delegations" | "capitals").then_some("GOV");
                added.push(country_level(a, i, i + n, role));
                added.push(country_level(b, i, i + n, role));
                i += n;
                continue;
            }
            // "The ministers agreed": the parties of the last meeting.
            if k == "the"
                && MEETING_PARTIES.contains(&key(i + 1))
                && self.last_meeting.len() >= 2
                && !mentions.iter().any(|m| m.start <= i + 1 && i + 1 < m.end && !m.weak)
            {
                let role = (key(i + 1) != "sides" && key(i + 1) != "parties").then_some("GOV");
                for m in &self.last_meeting {
                    added.push(country_level(m, i, i + 2, role));
                }
                i += 2;
                continue;
            }
            // "the country", "the country's foreign minister".
            if k == "the" && matches!(key(i + 1), "country" | "nation") {
                let before = mentions
                    .iter()
                    .chain(&added)
                    .filter(|m| m.end <= i && m.country.as_deref().is_some_and(|c| c.len() == 3))
                    .max_by_key(|m| m.end);
                let ante = before.cloned().or_else(|| self.last_subject.clone());
                if let Some(a) = ante {
                    let (end, role) = self.role_after(finder, toks, i + 2);
                    added.push(country_level(&a, i, end, role.as_deref()));
                    i = end;
                    continue;
                }
            }
            // "the bloc" → the last organisation.
            if k == "the"
                && ORG_NOUNS.contains(&key(i + 1))
                && let Some(o) = &self.last_org
            {
                added.push(Mention { start: i, end: i + 2, locative: false, weak: false, ..o.clone() });
                i += 2;
                continue;
            }
            // Possessives: "its own troops" (a role of the antecedent), "its commitment to
            // facilitating dialogue" (the antecedent acts).
            if matches!(k, "its" | "his" | "her") {
                let (end, role) = self.role_after(finder, toks, i + 1);
                if let Some(a) = self.antecedent(k, i, mentions, &added) {
                    match role {
                        Some(r) => {
                            added.push(country_level(&a, i, end, Some(&r)));
                            i = end;
                        }
                        None => {
                            added.push(Mention { start: i, end: i + 1, locative: false, weak: false, ..a });
                            i += 1;
                        }
                    }
                    continue;
                }
            }
            // Subject pronouns before a verb ("it will", "he said"), not the expletive "it is".
            if matches!(k, "it" | "he" | "she")
                && toks.get(i + 1).is_some_and(|t| t.kind == TokenKind::Word)
                && !matches!(key(i + 1), "is" | "was" | "has" | "would" | "will" | "seems" | "appears" if k == "it" && matches!(key(i + 2), "agreed" | "expected" | "reported" | "believed" | "unclear" | "likely" | "possible" | "important" | "not" | "time" | "said" | "hoped" | "thought" | "understood" | "clear" | "be"))
                && let Some(a) = self.antecedent(k, i, mentions, &added)
            {
                added.push(Mention { start: i, end: i + 1, locative: false, weak: false, ..a });
                i += 1;
                continue;
            }
            // A surname alone after the full name ("Bristow" after "Laurie Bristow").
            if toks[i].capitalized
                && toks[i].kind == TokenKind::Word
                && let Some(p) = self.persons.get(&toks[i].key)
            {
                added.push(Mention { start: i, end: i + 1, locative: false, weak: false, ..p.clone() });
            }
            i += 1;
        }
        // A resolved phrase replaces the mentions inside it ("its own troops" over "troops").
        mentions.retain(|m| {
            !added.iter().any(|a| a.start <= m.start && m.end <= a.end && (a.start, a.end) != (m.start, m.end))
        });
        mentions.extend(added);
    }

    /// A role phrase after `i` ("foreign minister", "'s army"): its end and role code.
    fn role_after(&self, finder: &MentionFinder, toks: &[Token], i: usize) -> (usize, Option<String>) {
        let mut j = i;
        if toks.get(j).is_some_and(|t| t.kind == TokenKind::Possessive) {
            j += 1;
        }
        while toks
            .get(j)
            .is_some_and(|t| matches!(t.key.as_str(), "own" | "top" | "senior" | "chief" | "deputy" | "new"))
        {
            j += 1;
        }
        match finder.role_at(toks, j) {
            Some((end, r)) => (end, Some(r.to_string())),
            None => (i, None),
        }
    }

    /// What a pronoun refers to: the last fitting actor earlier in the sentence, else in the document.
    fn antecedent(&self, pronoun: &str, i: usize, mentions: &[Mention], added: &[Mention]) -> Option<Mention> {
        let person = matches!(pronoun, "he" | "she" | "his" | "her");
        let fits = |m: &&Mention| {
            m.end <= i && !m.locative && !m.code.starts_with("---") && (m.kind == NameKind::Person) == person
        };
        let in_sentence = mentions.iter().chain(added).filter(fits).min_by_key(|m| m.start).cloned();
        in_sentence.or_else(|| if person { self.last_person.clone() } else { self.last_subject.clone() })
    }

    /// Learns from a coded sentence.
    pub(super) fn update(&mut self, s: &CodedSentence) {
        let mut parties: Vec<Mention> = Vec::new();
        for e in s.events.iter().filter(|e| e.symmetric && e.code.starts_with("04")) {
            for m in [e.source_mention, e.target_mention].into_iter().flatten() {
                let m = &s.mentions[m];
                if m.country.is_some() && !parties.iter().any(|p| p.country == m.country) {
                    parties.push(m.clone());
                }
            }
        }
        if parties.len() >= 2 {
            self.last_meeting = parties;
        }
        let strong = |m: &&Mention| !m.weak && !m.locative && !m.code.starts_with("---");
        if let Some(e) = s.events.iter().find(|e| e.source_mention.is_some()) {
            if let Some(mi) = e.source_mention {
                self.last_subject = Some(s.mentions[mi].clone());
            }
        } else if let Some(m) = s.mentions.iter().find(strong) {
            self.last_subject = Some(m.clone());
        }
        let mut paired = false;
        for e in &s.events {
            if let (Some(a), Some(b)) = (e.source_mention, e.target_mention) {
                let (ma, mb) = (&s.mentions[a], &s.mentions[b]);
                if ma.country.is_some() && mb.country.is_some() && ma.country != mb.country {
                    self.last_pair = Some((ma.clone(), mb.clone()));
                    paired = true;
                    break;
                }
            }
        }
        // "between Turkey and Syria", "Turkey and Syria": two countries side by side.
        let countries: Vec<&Mention> =
            s.mentions.iter().filter(strong).filter(|m| m.country.as_deref().is_some_and(|c| c.len() == 3)).collect();
        for w in countries.windows(2).filter(|_| !paired) {
            let between = crate::domain::text::slice(&s.tokens, w[0].end, w[1].start);
            if between.len() == 1 && between[0].key == "and" && w[0].country != w[1].country {
                self.last_pair = Some((w[0].clone(), w[1].clone()));
            }
        }
        for m in &s.mentions {
            match m.kind {
                NameKind::Organisation | NameKind::Group if !m.locative => self.last_org = Some(m.clone()),
                NameKind::Person if !m.code.is_empty() => {
                    self.last_person = Some(m.clone());
                    let words = crate::domain::text::slice(&s.tokens, m.start, m.end);
                    if let Some(last) = words.iter().rev().find(|t| t.kind == TokenKind::Word && t.capitalized)
                        && words.iter().filter(|t| t.capitalized).count() >= 2
                    {
                        self.persons.insert(last.key.clone(), m.clone());
                    }
                }
                _ => {}
            }
        }
    }
}
