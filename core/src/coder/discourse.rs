//! What spans sentences: coreference ("the country", "the two countries", "its troops", a
//! surname after the full name), multilateral meetings (one consultation per pair with a shared
//! group, the host's hosting events), dates and their precision, background and announced
//! events, places, topics, and the same event mentioned twice.

use super::engine::{self, CodedSentence, SentenceEvent};
use super::lexicon::Lexicon;
use super::mentions::{Mention, MentionFinder};
use super::time::{self, Direction, TimeKind};
use crate::domain::actors::NameKind;
use crate::domain::date::{Date, DatePrecision};
use crate::domain::document::Document;
use crate::domain::event::{Event, Origin, Place};
use crate::domain::taxonomy::{QuadScheme, taxonomy};
use crate::domain::text::{CharOffsets, Token, TokenKind};
use crate::syntax::SyntaxModel;
use crate::syntax::sentences;
use std::collections::HashMap;
use xxhash_rust::xxh3::Xxh3;

/// What the document has said so far, for resolving references.
#[derive(Debug, Default)]
struct Coref {
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

/// A multilateral meeting (or mediation) found in the document.
#[derive(Debug, Clone)]
struct Meeting {
    group: String,
    /// Indexes of its events in the document's list.
    events: Vec<usize>,
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
const MEETING_NOUNS: &[&str] =
    &["meeting", "talks", "discussions", "summit", "gathering", "conference", "negotiations", "consultations"];

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
    fn resolve(&self, finder: &MentionFinder, toks: &[Token], mentions: &mut Vec<Mention>) {
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
    fn update(&mut self, s: &CodedSentence) {
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

/// Topics of a sentence, in the order they appear.
fn topics_of(lex: &Lexicon, toks: &[Token]) -> Vec<String> {
    let keys: Vec<&str> = toks.iter().map(|t| t.key.as_str()).collect();
    let eq = |k: &str, p: &str| k == p || k.strip_suffix('s') == Some(p) || p.strip_suffix('s') == Some(k);
    let mut found: Vec<(usize, String)> = Vec::new();
    for (name, phrases, _) in &lex.topics {
        let first = phrases
            .iter()
            .filter_map(|p| {
                (0..keys.len())
                    .find(|&i| i + p.len() <= keys.len() && p.iter().enumerate().all(|(k, w)| eq(keys[i + k], w)))
            })
            .min();
        if let Some(pos) = first {
            found.push((pos, name.clone()));
        }
    }
    found.sort();
    found.into_iter().map(|x| x.1).collect()
}

/// Whether the sentence talks about a meeting already reported ("the talks", "during the meeting").
fn refers_to_meeting(toks: &[Token]) -> bool {
    toks.windows(2)
        .any(|w| matches!(w[0].key.as_str(), "the" | "this" | "that") && MEETING_NOUNS.contains(&w[1].key.as_str()))
}

/// Nouns that name acts, with the predicates and CAMEO roots of the acts they can name.
const ACT_NOUNS: &[(&str, &[&str], &[&str])] = &[
    ("invasion", &["invade"], &["19"]),
    ("occupation", &["occupy"], &["19"]),
    ("annexation", &["annex"], &["19"]),
    ("seizure", &["seize", "capture"], &["17", "19"]),
    ("expulsion", &["expel"], &["16"]),
    ("sanction", &["sanction", "impose"], &["16"]),
    ("strike", &[], &["18", "19", "20"]),
    ("airstrike", &[], &["18", "19", "20"]),
    ("raid", &[], &["18", "19", "20"]),
    ("bombing", &[], &["18", "19", "20"]),
    ("attack", &[], &["18", "19", "20"]),
    ("assault", &[], &["18", "19", "20"]),
    ("offensive", &[], &["18", "19", "20"]),
    ("shelling", &[], &["18", "19", "20"]),
    ("killing", &[], &["18", "19", "20"]),
    ("assassination", &[], &["18", "19", "20"]),
    ("massacre", &[], &["18", "19", "20"]),
    ("test", &["launch", "fire", "test"], &["15", "19"]),
    ("launch", &["launch", "fire"], &["15", "19"]),
    ("demand", &[], &["10", "02"]),
    ("request", &[], &["02", "10"]),
    ("appeal", &[], &["02"]),
    ("call", &[], &["02", "10"]),
    ("ultimatum", &[], &["13", "10"]),
    ("threat", &[], &["13"]),
    ("offer", &[], &["03"]),
    ("proposal", &[], &["03"]),
];
/// Words that name whatever was done last ("supported the decision", "condemned it").
const ANY_ACT: &[&str] = &["decision", "move", "action", "step", "measure", "it", "this", "that", "operation"];

/// The author of the latest act that `noun` can name, not one of the current source's own
/// country: its code and name.
fn author_of(
    noun: &str,
    acts: &[(String, String, String, Option<String>)],
    source_country: Option<&str>,
    dict: &crate::domain::actors::Dictionary,
) -> Option<(String, Option<String>)> {
    let fits = |(predicate, root, _, _): &(String, String, String, Option<String>)| {
        if ANY_ACT.contains(&noun) {
            // Material acts, not statements about them.
            return matches!(root.as_str(), "15" | "16" | "17" | "18" | "19" | "20" | "05" | "06" | "07" | "08");
        }
        ACT_NOUNS.iter().any(|(n, predicates, roots)| {
            *n == noun && (predicates.contains(&predicate.as_str()) || roots.contains(&root.as_str()))
        })
    };
    acts.iter()
        .rev()
        .filter(|a| fits(a))
        .find(|a| source_country.is_none() || dict.country_of(&a.2).as_deref() != source_country)
        .map(|a| (a.2.clone(), a.3.clone()))
}

/// The place of an event: a locative mention in its clause, outside its complement.
fn place_of(finder: &MentionFinder, s: &CodedSentence, e: &SentenceEvent, text: &str) -> Option<Place> {
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
fn date_of<'a>(s: &CodedSentence, e: &SentenceEvent, exprs: &'a [time::TimeExpr]) -> Option<&'a TimeKind> {
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
fn past_tense(t: &Token, lex: &Lexicon) -> bool {
    let k = t.key.as_str();
    k.ends_with("ed") || lex.lemmas.lemmas(k).iter().any(|l| l != k && !k.ends_with("ing") && !k.ends_with('s'))
}

/// True when the verb at `head` is in the past perfect ("had supported").
fn past_perfect(toks: &[Token], head: usize) -> bool {
    let from = head.saturating_sub(4);
    toks[from..head].iter().any(|t| t.key == "had")
}

/// Codes a whole document.
pub fn code_document(
    finder: &MentionFinder,
    lex: &Lexicon,
    syntax: Option<&SyntaxModel>,
    doc: &Document,
) -> Vec<Event> {
    code_document_traced(finder, lex, syntax, doc, None)
}

/// Codes a whole document, keeping each coded sentence (actors after coreference, events,
/// skipped matches) in `trace` when given.
pub fn code_document_traced(
    finder: &MentionFinder,
    lex: &Lexicon,
    syntax: Option<&SyntaxModel>,
    doc: &Document,
    mut trace: Option<&mut Vec<CodedSentence>>,
) -> Vec<Event> {
    let text = doc.text.as_str();
    let (sents, _datelines) = sentences::split(text);
    let offsets = CharOffsets::new(text);
    let dict = finder.dictionary();
    let published = doc.published;
    let mut coref = Coref::default();
    let mut events: Vec<Event> = Vec::new();
    let mut meetings: Vec<Meeting> = Vec::new();
    // The acts reported so far (predicate lemma, root, source code and name), for objects that
    // name an act instead of its author ("condemned the invasion").
    let mut acts: Vec<(String, String, String, Option<String>)> = Vec::new();
    let mut reference = published;
    let mut paragraph = usize::MAX;
    let mut background_paragraph = false;
    for (si, sent) in sents.iter().enumerate() {
        if sent.paragraph != paragraph {
            paragraph = sent.paragraph;
            background_paragraph = false;
        }
        let coded =
            engine::code_sentence_with(finder, lex, syntax, text, sent.start, sent.end, published, &mut |toks, ms| {
                coref.resolve(finder, toks, ms)
            });
        let exprs = time::find(&coded.tokens);
        let topics = topics_of(lex, &coded.tokens);
        let about_meeting = refers_to_meeting(&coded.tokens);
        let mut sentence_background = false;
        let first_event = events.len();
        for e in &coded.events {
            let Ok(code) = taxonomy().get(&e.code) else { continue };
            let direction = if e.planned { Direction::Future } else { Direction::Past };
            let when = date_of(&coded, e, &exprs);
            let resolved = when.and_then(|k| time::resolve(k, published, reference, direction));
            let perfect = past_perfect(&coded.tokens, e.head);
            let mut historical = perfect || when.is_some_and(time::is_background);
            if let Some((d, _)) = resolved {
                if !e.planned && d < published.add_days(-31) {
                    historical = true;
                }
            } else if background_paragraph && !e.planned && past_tense(&coded.tokens[e.head], lex) {
                // Background continues through its paragraph ("The country deployed …").
                historical = true;
            }
            sentence_background |= historical;
            let (date, precision) = match resolved {
                Some(x) => x,
                // Undated background is never placed at the publication date: the year before.
                None if historical => {
                    (Date::from_ymd(published.year() - 1, 1, 1).unwrap_or(published), DatePrecision::Year)
                }
                None => (published, DatePrecision::Day),
            };
            // "a day earlier" counts from the last event dated to the day.
            if resolved.is_some() && precision == DatePrecision::Day && !historical {
                reference = date;
            }
            let span = [offsets.char_index(e.span.0) as u32, offsets.char_index(e.span.1) as u32];
            let country = |c: &Option<String>| c.as_deref().and_then(|c| dict.country_of(c));
            let mut e = e.clone();
            if e.target.is_none()
                && let Some(noun) = &e.pending_target
                && let Some((code, name)) = author_of(noun, &acts, country(&e.source).as_deref(), dict)
            {
                e.target = Some(code);
                e.target_name = name;
            }
            if let Some(src) = &e.source
                && !e.predicate.is_empty()
            {
                acts.push((e.predicate.clone(), code.root().to_string(), src.clone(), e.source_name.clone()));
            }
            let mut h = Xxh3::new();
            for part in
                [doc.id.as_str(), e.source.as_deref().unwrap_or(""), e.target.as_deref().unwrap_or(""), e.code.as_str()]
            {
                h.update(part.as_bytes());
                h.update(&[0]);
            }
            h.update(&(si as u64).to_le_bytes());
            h.update(&span[0].to_le_bytes());
            events.push(Event {
                id: format!("coder:{:016x}", h.digest()),
                date: date.truncate(precision),
                date_precision: precision,
                source_country: country(&e.source),
                target_country: country(&e.target),
                source: e.source.clone(),
                target: e.target.clone(),
                source_name: e.source_name.clone(),
                target_name: e.target_name.clone(),
                source_raw: None,
                target_raw: None,
                code: code.code.clone(),
                root_code: code.root().to_string(),
                directed: !e.symmetric,
                plover: code.plover.as_ref().map(|p| p.event.clone()),
                quad_class: code.quad(QuadScheme::Gdelt).unwrap_or(0),
                goldstein: code.goldstein_gdelt,
                location: place_of(finder, &coded, &e, text),
                topics: topics.clone(),
                historical,
                planned: e.planned,
                group: None,
                participants: Vec::new(),
                reported: Some(published),
                doc_id: Some(doc.id.clone()),
                sentence: Some(si as u32),
                evidence: Some(text[sent.start..sent.end].to_string()),
                span: Some(span),
                rule: Some(e.rule.clone()),
                mentions: 1,
                origin: Origin::Coder,
            });
        }
        // A sentence in the past perfect, or one reaching back ("since 2017"), is background; so
        // are the sentences after it in its paragraph.
        let perfect_sentence =
            coded.tokens.windows(2).any(|w| w[0].key == "had" && w[1].kind == TokenKind::Word && w[1].key != "to");
        background_paragraph |= perfect_sentence || exprs.iter().any(|x| time::is_background(&x.kind));
        // "Italy hosted the talks": hosting events toward the reported meeting's parties.
        if about_meeting {
            expand_hosting(&mut events, first_event, &meetings, &doc.id);
        }
        let _ = sentence_background;
        group_sentence(&doc.id, &coded, first_event, &mut events, &mut meetings);
        // "The discussions centered around …": the sentence's topics belong to the last meeting.
        if about_meeting && !topics.is_empty() {
            // The last meeting reported as news, else the last one at all.
            let current = meetings
                .iter()
                .rev()
                .find(|m| m.group.contains("#meeting") && m.events.iter().all(|&i| !events[i].historical));
            if let Some(m) = current.or_else(|| meetings.iter().rev().find(|m| m.group.contains("#meeting"))) {
                for &i in &m.events {
                    for t in &topics {
                        if !events[i].topics.contains(t) {
                            events[i].topics.push(t.clone());
                        }
                    }
                }
            }
        }
        coref.update(&coded);
        if let Some(t) = trace.as_mut() {
            t.push(coded);
        }
    }
    merge_duplicates(events)
}

/// Gives the events of one multilateral act a shared group and the full party list, and adds
/// the host's hosting events toward each visiting party.
fn group_sentence(doc_id: &str, s: &CodedSentence, first: usize, events: &mut Vec<Event>, meetings: &mut Vec<Meeting>) {
    let mut by_match: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut k = first;
    for e in &s.events {
        if taxonomy().get(&e.code).is_err() {
            continue;
        }
        by_match.entry(e.match_id).or_default().push(k);
        k += 1;
    }
    let mut ids: Vec<usize> = by_match.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let idx = &by_match[&id];
        let first_ev = &events[idx[0]];
        let consult = first_ev.root_code == "04" && !first_ev.directed;
        let mediation = first_ev.code == "045" && idx.len() >= 2;
        if !consult && !mediation {
            continue;
        }
        let kind = if consult { "meeting" } else { "mediation" };
        let group = format!("{doc_id}#{kind}{}", meetings.len() + 1);
        let mut parties: Vec<String> = Vec::new();
        for &i in idx {
            for p in [&events[i].source, &events[i].target].into_iter().flatten() {
                if !parties.contains(p) {
                    parties.push(p.clone());
                }
            }
        }
        for &i in idx {
            events[i].group = Some(group.clone());
            events[i].participants = parties.clone();
        }
        let mut members = idx.clone();
        // The host (the meeting place's country) hosts every visiting party.
        if consult {
            let template = events[idx[0]].clone();
            if let Some(host) = template.location.as_ref().and_then(|l| l.country.clone()) {
                let host_actor = parties.iter().find(|p| p.starts_with(&host)).cloned().unwrap_or_else(|| host.clone());
                if let Ok(code) = taxonomy().get("043") {
                    for p in &parties {
                        if p.starts_with(&host) {
                            continue;
                        }
                        let mut h = Xxh3::new();
                        h.update(group.as_bytes());
                        h.update(p.as_bytes());
                        let mut ev = template.clone();
                        ev.id = format!("coder:{:016x}", h.digest());
                        ev.source = Some(host_actor.clone());
                        ev.source_country = Some(host.clone());
                        ev.source_name = template.location.as_ref().and_then(|l| l.name.clone());
                        ev.target = Some(p.clone());
                        ev.target_country = Some(p[..3.min(p.len())].to_string());
                        ev.target_name = None;
                        ev.code = code.code.clone();
                        ev.root_code = code.root().to_string();
                        ev.directed = true;
                        ev.plover = code.plover.as_ref().map(|x| x.event.clone());
                        ev.goldstein = code.goldstein_gdelt;
                        ev.rule = Some("coder:host-of-meeting".into());
                        events.push(ev);
                        members.push(events.len() - 1);
                    }
                }
            }
        }
        meetings.push(Meeting { group, events: members });
    }
}

/// A hosting event without a target in a sentence about a meeting becomes one hosting event
/// toward each party of the last meeting reported as news.
fn expand_hosting(events: &mut Vec<Event>, first: usize, meetings: &[Meeting], doc_id: &str) {
    let current =
        meetings.iter().rev().find(|m| m.group.contains("#meeting") && m.events.iter().all(|&i| !events[i].historical));
    let Some(meeting) = current else { return };
    let Some(&anchor) = meeting.events.first() else { return };
    let parties = events[anchor].participants.clone();
    let group = meeting.group.clone();
    let hosts: Vec<usize> =
        (first..events.len()).filter(|&i| events[i].code == "043" && events[i].target.is_none()).collect();
    let mut added = Vec::new();
    for &i in &hosts {
        let host_country = events[i].source_country.clone();
        for p in &parties {
            if host_country.as_deref().is_some_and(|h| p.starts_with(h)) {
                continue;
            }
            let mut ev = events[i].clone();
            let mut h = Xxh3::new();
            for part in [doc_id, ev.id.as_str(), p.as_str()] {
                h.update(part.as_bytes());
            }
            ev.id = format!("coder:{:016x}", h.digest());
            ev.target = Some(p.clone());
            ev.target_country = Some(p[..3.min(p.len())].to_string());
            ev.group = Some(group.clone());
            ev.participants = parties.clone();
            ev.date = events[anchor].date;
            ev.date_precision = events[anchor].date_precision;
            ev.location = events[anchor].location.clone();
            added.push(ev);
        }
    }
    if !added.is_empty() {
        let mut k = 0;
        events.retain(|_| {
            let keep = !hosts.contains(&k);
            k += 1;
            keep
        });
        events.extend(added);
    }
}

/// The same event told twice (same actors, code, date) is one event with its mentions counted;
/// the first sentence stays its provenance.
fn merge_duplicates(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut seen: HashMap<(Option<String>, Option<String>, String, Date, bool), usize> = HashMap::new();
    for e in events {
        let (a, b) = if e.directed || e.source <= e.target {
            (e.source.clone(), e.target.clone())
        } else {
            (e.target.clone(), e.source.clone())
        };
        let key = (a, b, e.code.clone(), e.date, e.directed);
        match seen.get(&key) {
            Some(&i) => {
                out[i].mentions += 1;
                for t in e.topics {
                    if !out[i].topics.contains(&t) {
                        out[i].topics.push(t);
                    }
                }
            }
            None => {
                seen.insert(key, out.len());
                out.push(e);
            }
        }
    }
    // An event without a target that repeats one with a target (same source, code, date) is a
    // mention of it.
    let mut keep = vec![true; out.len()];
    for i in 0..out.len() {
        if out[i].target.is_none()
            && let Some(j) = (0..out.len()).find(|&j| {
                j != i
                    && keep[j]
                    && out[j].target.is_some()
                    && out[j].source == out[i].source
                    && out[j].code == out[i].code
                    && out[j].date == out[i].date
            })
        {
            keep[i] = false;
            out[j].mentions += 1;
        }
    }
    out.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect()
}
