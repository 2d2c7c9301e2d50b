//! One actor mention at a token: a title before a person, a dictionary name extended with a
//! role ("Turkey's foreign ministry") or a person after it, a known surname alone, a role
//! without a country.

use super::words::{ROLE_MODIFIERS, TITLES, is_function_word, is_place_noun, is_plural_people};
use super::{Mention, MentionFinder};
use crate::domain::actors::NameKind;
use crate::domain::date::Date;
use crate::domain::text::{Token, TokenKind};

impl MentionFinder {
    /// The mention starting at token `i`, if any.
    pub(super) fn mention_at(&self, toks: &[Token], text: &str, date: Date, i: usize) -> Option<Mention> {
        let t = &toks[i];
        if t.kind != TokenKind::Word {
            return None;
        }
        // A title before a person: "Foreign Minister Faisal Mekdad", "President Assad", "Energy
        // Minister Kiraitu Murungi" (a capitalised portfolio before the title word).
        let portfolio = t.capitalized
            && !TITLES.contains(&t.key.as_str())
            && toks.get(i + 1).is_some_and(|n| n.capitalized && matches!(n.key.as_str(), "minister" | "secretary"))
            && self.name_at(toks, i).is_none();
        if t.capitalized && (TITLES.contains(&t.key.as_str()) || portfolio) {
            let mut j = if portfolio { i + 1 } else { i };
            while j < toks.len() && toks[j].capitalized && TITLES.contains(&toks[j].key.as_str()) {
                j += 1;
            }
            if j > i && j < toks.len() {
                if let Some(p) = self.person_at(toks, text, date, j) {
                    return Some(Mention { start: i, ..p });
                }
                // A title before a name the dictionary does not know: an official of an
                // unknown country ("Prime Minister Mahendra Chaudhry").
                let name_end = unknown_name_end(toks, j);
                if name_end > j && self.name_at(toks, j).is_none() {
                    return Some(countryless(toks, text, i..name_end, title_role(&toks[i..j]), NameKind::Person));
                }
            }
        }
        if let Some((end, name)) = self.name_at(toks, i) {
            let surface = &text[toks[i].start..toks[end - 1].end];
            let (code, kind, canonical) = self.resolve_name(name, date, surface)?;
            let mut m = Mention {
                start: i,
                end,
                country: self.dict.country_of(&code),
                code,
                name: canonical,
                kind,
                locative: false,
                weak: false,
            };
            if matches!(
                kind,
                NameKind::Country
                    | NameKind::Demonym
                    | NameKind::Capital
                    | NameKind::Organisation
                    | NameKind::Region
                    | NameKind::Group
            ) {
                self.extend_with_role(toks, text, date, &mut m);
            }
            return Some(m);
        }
        if let Some(m) = self.surname_at(toks, date, i) {
            return Some(m);
        }
        // A role without a country ("rebels", "the government"): weak, country unknown.
        if let Some((end, role)) = self.role_at(toks, i)
            && (!t.capitalized || i == 0)
        {
            return Some(countryless(toks, text, i..end, role, NameKind::Role));
        }
        None
    }

    /// A person at token `j` (full name or known surname).
    /// A surname alone that the dictionary knows, capitalised, of the one person in office on
    /// the date with that name; not when another capitalised word joins it into a different full
    /// name ("Blair Kennedy", "Cherie Blair" are not Tony Blair).
    fn surname_at(&self, toks: &[Token], date: Date, i: usize) -> Option<Mention> {
        // A surname alone that the dictionary knows, capitalised, in office on the date; not when
        // another capitalised word joins it into a different full name ("Blair Kennedy", "Cherie
        // Blair" are not Tony Blair).
        let t = toks.get(i)?;
        let name_word = |x: &Token| x.kind == TokenKind::Word && x.capitalized && !x.all_caps;
        let title = |j: usize| {
            matches!(
                toks[j].key.as_str(),
                "mr" | "mrs" | "ms" | "dr" | "sir" | "lord" | "lady" | "dame" | "sheikh" | "emir"
            ) || self.role_at(toks, j).is_some()
        };
        let other_name = toks.get(i + 1).is_some_and(name_word)
            || (i > 0
                && name_word(&toks[i - 1])
                && !title(i - 1)
                // A sentence's first word is capitalised whatever it is.
                && !(i == 1
                    && matches!(
                        toks[0].key.as_str(),
                        "the" | "but" | "and" | "yesterday" | "today" | "meanwhile" | "later" | "earlier" | "then"
                            | "now" | "also" | "however" | "still" | "when" | "after" | "before" | "there" | "here"
                    )));
        if t.capitalized && t.key.len() > 3 && !other_name {
            let hits: Vec<u32> = self
                .dict
                .lookup_surname(&t.key)
                .iter()
                .copied()
                .filter(|&e| self.dict.entry(e).holds_on(date))
                .collect();
            // People in office (not elites, `…ELI`) first: "Blair" in 2003 is the prime minister,
            // not a retired admiral of the same name.
            let in_office: Vec<u32> =
                hits.iter().copied().filter(|&e| !self.dict.entry(e).code.ends_with("ELI")).collect();
            let hits = if in_office.is_empty() { hits } else { in_office };
            let people: std::collections::HashSet<&str> =
                hits.iter().map(|&e| self.dict.entry(e).canonical()).collect();
            if people.len() == 1
                && let Some(e) = self.dict.choose(&hits, Some(date))
            {
                return Some(Mention {
                    start: i,
                    end: i + 1,
                    code: e.code.clone(),
                    country: self.dict.country_of(&e.code),
                    name: e.canonical().to_string(),
                    kind: NameKind::Person,
                    locative: false,
                    weak: false,
                });
            }
        }
        None
    }

    fn person_at(&self, toks: &[Token], text: &str, date: Date, j: usize) -> Option<Mention> {
        if let Some((end, name)) = self.name_at(toks, j) {
            let surface = &text[toks[j].start..toks[end - 1].end];
            let (code, kind, canonical) = self.resolve_name(name, date, surface)?;
            if kind == NameKind::Person {
                return Some(Mention {
                    start: j,
                    end,
                    country: self.dict.country_of(&code),
                    code,
                    name: canonical,
                    kind,
                    locative: false,
                    weak: false,
                });
            }
        }
        self.surname_at(toks, date, j)
    }

    /// "Turkey's foreign ministry", "Syrian President Bashar al-Assad", "the Syrian army".
    fn extend_with_role(&self, toks: &[Token], text: &str, date: Date, m: &mut Mention) {
        let country = m.country.clone().unwrap_or_else(|| m.code.clone());
        let mut j = m.end;
        if toks.get(j).is_some_and(|t| t.kind == TokenKind::Possessive) {
            j += 1;
        }
        let mut k = j;
        let mut role: Option<(usize, String)> = None;
        while k < toks.len() && k < j + 5 {
            if let Some((end, r)) = self.role_at(toks, k) {
                role = Some((end, r.to_string()));
                // Keep the longest stretch of role words ("foreign minister").
                k = end;
                continue;
            }
            if role.is_none() && ROLE_MODIFIERS.contains(&toks[k].key.as_str()) {
                k += 1;
                continue;
            }
            break;
        }
        // A person's name after the role: "Syrian President Bashar al-Assad".
        let person_from = role.as_ref().map_or(j, |r| r.0);
        if let Some(p) = self.person_at(toks, text, date, person_from) {
            m.end = p.end;
            m.code = p.code;
            m.country = p.country;
            m.name = p.name;
            m.kind = NameKind::Person;
            return;
        }
        match role {
            Some((end, r)) if m.code.len() == 3 || m.kind == NameKind::Capital => {
                // An unknown name after the role belongs to the mention ("Egyptian President
                // Hosni Mubarak"), which is then a person.
                let name_end = unknown_name_end(toks, end);
                if name_end > end {
                    m.kind = NameKind::Person;
                }
                m.end = name_end.max(end);
                m.code = format!("{country}{r}");
            }
            Some(_) => {}
            // A demonym before a place noun names a place ("the Pakistani town of Balakot").
            None if matches!(m.kind, NameKind::Demonym | NameKind::Country)
                && toks.get(m.end).is_some_and(|t| is_place_noun(&t.key)) =>
            {
                m.locative = true;
                m.code = country.clone();
            }
            // A region before a noun is an adjective ("the Gulf rivals", "Middle East peace").
            None if m.kind == NameKind::Region
                && toks
                    .get(m.end)
                    .is_some_and(|t| t.kind == TokenKind::Word && !t.capitalized && !is_function_word(&t.key)) =>
            {
                m.code.clear();
            }
            None if m.kind == NameKind::Demonym => {
                // A demonym before another noun is an adjective ("Syrian civil war"), not an
                // actor — unless the noun is plural people ("Palestinian prisoners").
                let next = toks.get(m.end);
                let adjective =
                    next.is_some_and(|t| t.kind == TokenKind::Word && !t.capitalized && !is_function_word(&t.key));
                let people = next.is_some_and(|t| is_plural_people(&t.key));
                m.weak = true;
                if adjective && !people {
                    m.code.clear();
                } else if people {
                    m.end += 1;
                }
            }
            None => {}
        }
    }
}

/// The end of a run of one to four capitalised words starting at `j` (a name), or `j`.
fn unknown_name_end(toks: &[Token], j: usize) -> usize {
    let mut k = j;
    while k < toks.len() && k < j + 4 && toks[k].kind == TokenKind::Word && toks[k].capitalized && !toks[k].all_caps {
        k += 1;
    }
    k
}

/// The role a title implies: GOV for civilian offices, MIL for military ranks, LEG for legislators.
/// A weak mention of tokens `span` as `role` of no known country (`---REB`).
fn countryless(toks: &[Token], text: &str, span: std::ops::Range<usize>, role: &str, kind: NameKind) -> Mention {
    Mention {
        code: format!("---{role}"),
        country: None,
        name: text[toks[span.start].start..toks[span.end - 1].end].to_string(),
        kind,
        locative: false,
        weak: true,
        start: span.start,
        end: span.end,
    }
}

fn title_role(title: &[Token]) -> &'static str {
    let has = |w: &str| title.iter().any(|t| t.key == w);
    if has("general")
        || has("gen")
        || has("commander")
        || has("colonel")
        || has("admiral")
        || has("marshal")
        || has("lieutenant")
        || has("defence")
        || has("defense")
    {
        "MIL"
    } else if has("senator") || has("speaker") {
        "LEG"
    } else {
        "GOV"
    }
}
