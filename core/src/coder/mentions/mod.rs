//! Actors in text: names from the dictionary (countries, demonyms, capitals, organisations,
//! bodies, persons) matched over folded tokens, composed with role words ("Turkey's foreign
//! ministry" → TURGOV, "the Syrian army" → SYRMIL) and titles ("Foreign Minister Mevlut
//! Cavusoglu"), persons resolved to the office they held on the document's date, and mentions
//! after "in", "at" … marked as places.
//!
//! This file holds the matcher and its dictionary names; `compose` reads one mention (titles,
//! persons, roles after a name) and `words` holds the word lists it reads them with.

mod compose;
mod words;

use crate::domain::actors::{Dictionary, NameKind};
use crate::domain::date::Date;
use crate::domain::text::{Token, TokenKind, slice, tokenize};
use std::collections::HashMap;
use std::sync::Arc;

/// One actor mention in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The actor code (`TURGOV`; `---REB` for a role without a country).
    pub code: String,
    /// The country (or organisation) block, when known.
    pub country: Option<String>,
    /// The text or canonical name it was resolved from.
    pub name: String,
    /// What matched.
    pub kind: NameKind,
    /// Preceded by "in", "at" … : a place rather than an actor.
    pub locative: bool,
    /// A demonym or role word standing alone: an actor only where nothing better is found.
    pub weak: bool,
}

/// A dictionary name split into token keys.
#[derive(Debug, Clone)]
struct Name {
    keys: Vec<String>,
    /// The entry indexes (several entries may share a name: offices over time).
    entries: Vec<u32>,
    /// Written in capitals in the dictionary ("Turkey"): the first token must be capitalised.
    capitalized: bool,
    /// A short acronym ("US"): every token must be written in capitals.
    acronym: bool,
}

/// The actor matcher built from a dictionary.
#[derive(Debug)]
pub(crate) struct MentionFinder {
    dict: Arc<Dictionary>,
    /// First token key → candidate names, longest first.
    names: HashMap<String, Vec<Name>>,
    /// First token key → role phrases (keys, role code), longest first.
    roles: HashMap<String, Vec<(Vec<String>, String)>>,
}

/// Words that introduce a place: "in Moscow", "at the Kremlin"?, "near Aleppo".
const LOCATIVE: &[&str] =
    &["in", "at", "inside", "within", "near", "across", "throughout", "outside", "around", "across", "beyond", "via"];
/// Direction words between a locative preposition and the place ("in northern Syria").
const DIRECTIONS: &[&str] = &[
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
    "northeastern",
    "northwestern",
    "southeastern",
    "southwestern",
    "north",
    "south",
    "east",
    "west",
    "the",
    "neighbouring",
    "neighboring",
    "war",
    "torn",
    "occupied",
    "rebel",
    "held",
];

impl MentionFinder {
    /// Builds the matcher over a dictionary.
    pub(crate) fn new(dict: Arc<Dictionary>) -> MentionFinder {
        let mut by_name: HashMap<Vec<String>, Name> = HashMap::new();
        let mut roles: HashMap<String, Vec<(Vec<String>, String)>> = HashMap::new();
        for (i, e) in dict.entries().iter().enumerate() {
            match e.kind {
                NameKind::Legacy | NameKind::Full => continue,
                NameKind::Role => {
                    for n in &e.names {
                        let keys: Vec<String> = tokenize(n).into_iter().map(|t| t.key).collect();
                        if let Some(first) = keys.first().cloned() {
                            roles.entry(first).or_default().push((keys, e.code.clone()));
                        }
                    }
                }
                _ => {
                    for n in &e.names {
                        let toks = tokenize(n);
                        let keys: Vec<String> = toks.iter().map(|t| t.key.clone()).collect();
                        // "the Kremlin": the article is matched (or skipped) in text, not here.
                        let keys: Vec<String> =
                            if keys.len() > 1 && keys[0] == "the" { keys[1..].to_vec() } else { keys };
                        if keys.is_empty() {
                            continue;
                        }
                        let acronym = crate::domain::text::is_case_sensitive_name(n);
                        let capitalized = toks
                            .iter()
                            .find(|t| t.kind == TokenKind::Word && t.key != "the")
                            .is_some_and(|t| t.capitalized || t.all_caps);
                        let name = by_name.entry(keys.clone()).or_insert_with(|| Name {
                            keys,
                            entries: Vec::new(),
                            capitalized,
                            acronym,
                        });
                        name.acronym &= acronym;
                        name.capitalized &= capitalized;
                        if !name.entries.contains(&(i as u32)) {
                            name.entries.push(i as u32);
                        }
                    }
                }
            }
        }
        let mut names: HashMap<String, Vec<Name>> = HashMap::new();
        for (_, n) in by_name {
            names.entry(n.keys[0].clone()).or_default().push(n);
        }
        for v in names.values_mut() {
            v.sort_by_key(|n| std::cmp::Reverse(n.keys.len()));
        }
        for v in roles.values_mut() {
            v.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
        }
        MentionFinder { dict, names, roles }
    }

    /// The dictionary behind the matcher.
    pub(crate) fn dictionary(&self) -> &Arc<Dictionary> {
        &self.dict
    }

    /// The longest dictionary name starting at token `i`: (end, name).
    fn name_at(&self, toks: &[Token], i: usize) -> Option<(usize, &Name)> {
        let cands = self.names.get(&toks.get(i)?.key)?;
        for n in cands {
            let end = i + n.keys.len();
            if end > toks.len() {
                continue;
            }
            if !n.keys.iter().zip(&toks[i..end]).all(|(k, t)| *k == t.key) {
                continue;
            }
            if n.acronym && !toks[i..end].iter().all(|t| t.all_caps) {
                continue;
            }
            if n.capitalized && !(toks[i].capitalized || toks[i].all_caps) {
                continue;
            }
            return Some((end, n));
        }
        None
    }

    /// The longest role phrase at token `i`: (end, role code).
    pub(crate) fn role_at(&self, toks: &[Token], i: usize) -> Option<(usize, &str)> {
        let cands = self.roles.get(toks.get(i)?.key.as_str())?;
        for (keys, code) in cands {
            let end = i + keys.len();
            if end <= toks.len() && keys.iter().zip(&toks[i..end]).all(|(k, t)| *k == t.key) {
                return Some((end, code.as_str()));
            }
        }
        None
    }

    /// The entry a name stands for on `date`: the dated office for persons (a former official
    /// when none was held), the highest layer otherwise.
    fn resolve_name(&self, n: &Name, date: Date, text: &str) -> Option<(String, NameKind, String)> {
        if let Some(e) = self.dict.choose(&n.entries, Some(date)) {
            return Some((e.code.clone(), e.kind, e.canonical().to_string()));
        }
        // A former state or organisation ("the Soviet Union" in a later text) is still itself;
        // only persons change code with time.
        let timeless: Vec<u32> =
            n.entries.iter().copied().filter(|&i| self.dict.entry(i).kind != NameKind::Person).collect();
        if let Some(e) = self.dict.choose(&timeless, None) {
            return Some((e.code.clone(), e.kind, e.canonical().to_string()));
        }
        // A person out of office on that date.
        let r = self.dict.resolve(text, Some(date)).ok()?;
        Some((r.code, r.kind, r.name))
    }

    /// Finds the actor mentions of a sentence's tokens. `date` dates persons' offices.
    pub(crate) fn find(&self, toks: &[Token], text: &str, date: Date) -> Vec<Mention> {
        let mut out: Vec<Mention> = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            match self.mention_at(toks, text, date, i) {
                Some(m) => {
                    i = m.end;
                    out.push(m);
                }
                None => i += 1,
            }
        }
        // Demonyms and countries coordinated before a shared role: "Syrian and Turkish officials".
        for k in (0..out.len()).rev() {
            if k + 1 < out.len() && out[k].weak && out[k].code.len() == 3 {
                let next = &out[k + 1];
                let between: Vec<&str> = slice(toks, out[k].end, next.start).iter().map(|t| t.key.as_str()).collect();
                if matches!(between.as_slice(), ["and"] | [","] | ["or"])
                    && next.code.len() == 6
                    && next.country.is_some()
                {
                    let role = next.code[3..].to_string();
                    out[k].code.push_str(&role);
                    out[k].weak = false;
                }
            }
        }
        // "Foreign ministers from Turkiye, Syria and Iran": the role applies to each country.
        let mut k = 0;
        while k + 1 < out.len() {
            let role = &out[k];
            let joined = role.code.starts_with("---")
                && (matches!(toks.get(role.end).map(|t| t.key.as_str()), Some("from" | "of" | "in"))
                    || (matches!(toks.get(role.end).map(|t| t.key.as_str()), Some("to" | "against"))
                        && matches!(&role.code[3..], "OPP" | "REB" | "INS")))
                && out[k + 1].start == role.end + 1
                && out[k + 1].country.is_some();
            if joined {
                let r = role.code[3..].to_string();
                // The first country takes in the role phrase: "foreign ministers of Turkey".
                out[k + 1].start = role.start;
                let mut j = k + 1;
                loop {
                    // "opposition to Syrian President Assad": the opposition in Assad's country.
                    let country = out[j].country.clone().unwrap_or_else(|| out[j].code.clone());
                    out[j].code = format!("{country}{r}");
                    out[j].kind = NameKind::Country;
                    out[j].weak = false;
                    let next_ok = j + 1 < out.len() && out[j + 1].country.is_some() && {
                        let between = slice(toks, out[j].end, out[j + 1].start);
                        !between.is_empty() && between.iter().all(|t| matches!(t.key.as_str(), "," | "and" | "the"))
                    };
                    if !next_ok {
                        break;
                    }
                    j += 1;
                }
                out.remove(k);
                continue;
            }
            k += 1;
        }
        for m in &mut out {
            m.locative = m.locative || m.kind == NameKind::Place || is_locative(toks, m.start);
        }
        out
    }
}

/// True when the mention at token `i` follows a locative preposition ("in Moscow", "in northern Syria").
pub(crate) fn is_locative(toks: &[Token], i: usize) -> bool {
    let mut j = i;
    while j > 0 && DIRECTIONS.contains(&toks[j - 1].key.as_str()) && i - j < 3 {
        j -= 1;
    }
    j > 0 && LOCATIVE.contains(&toks[j - 1].key.as_str())
}

/// Drops mentions that did not resolve to anything (demonyms used as adjectives).
pub(crate) fn keep_actors(mentions: Vec<Mention>) -> Vec<Mention> {
    mentions.into_iter().filter(|m| !m.code.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str, date: &str) -> Vec<(String, bool)> {
        let f = MentionFinder::new(Dictionary::builtin());
        let toks = tokenize(text);
        keep_actors(f.find(&toks, text, Date::parse(date).unwrap_or(Date::MIN)))
            .into_iter()
            .map(|m| (m.code, m.locative))
            .collect()
    }

    #[test]
    fn countries_roles_titles_and_people() {
        let c = codes(
            "Turkish Foreign Minister Mevlut Cavusoglu met Faisal Mekdad, Syria's foreign minister, in Moscow.",
            "2023-05-10",
        );
        assert_eq!(
            c,
            [("TURGOV".into(), false), ("SYRGOV".into(), false), ("SYRGOV".into(), false), ("RUSGOV".into(), true)]
        );
        let c = codes("The Russian foreign ministry said Turkey's forces and the Syrian army clashed.", "2023-05-10");
        assert_eq!(c.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["RUSGOV", "TURMIL", "SYRMIL"]);
        let c = codes("Ankara and Damascus held talks with the Arab League and the U.S.", "2023-05-10");
        assert_eq!(c.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["TURGOV", "SYRGOV", "ARL", "USA"]);
        let c = codes("Minister Cavusoglu spoke about the Syrian civil war and Syrian refugees.", "2023-05-10");
        assert_eq!(c.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["TURGOV", "SYRREF"]);
        let c = codes("Syrian and Turkish officials met the Assad regime.", "2023-05-10");
        assert_eq!(c.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["SYRGOV", "TURGOV", "SYRGOV"]);
        let c = codes("Defence Minister Hulusi Akar visited troops in northern Syria.", "2022-12-28");
        assert_eq!(c, [("TURMIL".into(), false), ("---MIL".into(), false), ("SYR".into(), true)]);
    }

    #[test]
    fn a_surname_alone_is_the_known_person_but_not_inside_another_name() {
        assert_eq!(codes("Blair said Britain would stay.", "2003-03-01")[0].0, "GBRGOV");
        assert_eq!(codes("Mr Blair said Britain would stay.", "2003-03-01")[0].0, "GBRGOV");
        let c = codes("Analyst Blair Kennedy said Britain would stay.", "2003-03-01");
        assert!(!c.iter().any(|x| x.0 == "GBRGOV" || x.0 == "GBRELI"), "{c:?}");
        let c = codes("Cherie Blair spoke in London.", "2003-03-01");
        assert!(!c.iter().any(|x| x.0 == "GBRGOV" && !x.1), "London is a place; Cherie Blair no one we know: {c:?}");
    }
}
