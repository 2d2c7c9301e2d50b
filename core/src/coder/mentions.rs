//! Actors in text: names from the dictionary (countries, demonyms, capitals, organisations,
//! bodies, persons) matched over folded tokens, composed with role words ("Turkey's foreign
//! ministry" → TURGOV, "the Syrian army" → SYRMIL) and titles ("Foreign Minister Mevlut
//! Cavusoglu"), persons resolved to the office they held on the document's date, and mentions
//! after "in", "at" … marked as places.

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
pub struct MentionFinder {
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
/// Modifiers allowed between a country and its role word ("Syria's top diplomat").
const ROLE_MODIFIERS: &[&str] = &[
    "top",
    "senior",
    "chief",
    "deputy",
    "former",
    "new",
    "acting",
    "interim",
    "outgoing",
    "then",
    "ruling",
    "own",
    "visiting",
    "incoming",
    "caretaker",
    "elected",
    "exiled",
    "local",
    "regional",
    "federal",
    "national",
    "main",
    "two",
    "three",
    "four",
    "several",
    "some",
    "other",
    "foreign",
    "defence",
    "defense",
    "interior",
    "state",
    "armed",
    "security",
    "opposition",
    "rebel",
    "coalition",
    "military",
    "government",
    "navy",
    "border",
    "special",
];
/// Titles that precede a person's name.
const TITLES: &[&str] = &[
    "president",
    "minister",
    "prime",
    "premier",
    "foreign",
    "defence",
    "defense",
    "secretary",
    "chancellor",
    "king",
    "queen",
    "prince",
    "emir",
    "sheikh",
    "general",
    "gen",
    "ambassador",
    "envoy",
    "spokesman",
    "spokeswoman",
    "leader",
    "chairman",
    "ayatollah",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sultan",
    "crown",
    "vice",
    "deputy",
    "state",
    "counterpart",
    "lieutenant",
    "colonel",
    "marshal",
    "admiral",
    "commander",
    "chief",
    "of",
    "staff",
    "speaker",
    "senator",
    "diplomat",
    "top",
    "lord",
];

impl MentionFinder {
    /// Builds the matcher over a dictionary.
    pub fn new(dict: Arc<Dictionary>) -> MentionFinder {
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
    pub fn dictionary(&self) -> &Arc<Dictionary> {
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
    pub fn role_at(&self, toks: &[Token], i: usize) -> Option<(usize, &str)> {
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
    pub fn find(&self, toks: &[Token], text: &str, date: Date) -> Vec<Mention> {
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

    fn mention_at(&self, toks: &[Token], text: &str, date: Date, i: usize) -> Option<Mention> {
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

/// Nouns of places: after a demonym the demonym names where, not who.
fn is_place_noun(k: &str) -> bool {
    matches!(
        k,
        "town"
            | "city"
            | "village"
            | "villages"
            | "towns"
            | "cities"
            | "province"
            | "region"
            | "capital"
            | "border"
            | "territory"
            | "airspace"
            | "port"
            | "base"
            | "camp"
            | "island"
            | "islands"
            | "coast"
            | "waters"
            | "soil"
            | "side"
            | "enclave"
            | "district"
            | "state"
            | "mainland"
            | "frontier"
    )
}

/// A plural noun that names people after a demonym ("prisoners", "immigrants", "farmers"):
/// the demonym is then an actor. Things ("missiles", "goods", "forces" are roles) are not.
fn is_plural_people(k: &str) -> bool {
    const NOT_PEOPLE: &[&str] = &[
        "missiles",
        "goods",
        "products",
        "exports",
        "imports",
        "weapons",
        "arms",
        "tanks",
        "rockets",
        "sanctions",
        "interests",
        "assets",
        "funds",
        "relations",
        "ties",
        "talks",
        "elections",
        "waters",
        "lands",
        "territories",
        "borders",
        "cities",
        "towns",
        "villages",
        "positions",
        "bases",
        "gas",
        "supplies",
        "affairs",
        "issues",
        "plans",
        "efforts",
        "demands",
        "claims",
        "reports",
        "news",
        "media",
        "authorities",
        "years",
        "months",
        "areas",
        "regions",
        "provinces",
        "islands",
        "embassies",
        "companies",
        "banks",
        "markets",
        "prices",
        "laws",
        "rights",
    ];
    k.len() > 4 && k.ends_with('s') && !k.ends_with("ss") && !NOT_PEOPLE.contains(&k)
}

/// Words that may follow a demonym used as a noun ("the Syrians said", "Turks and Kurds").
fn is_function_word(k: &str) -> bool {
    matches!(
        k,
        "and"
            | "or"
            | "said"
            | "say"
            | "says"
            | "have"
            | "has"
            | "had"
            | "are"
            | "were"
            | "is"
            | "was"
            | "will"
            | "would"
            | "to"
            | "of"
            | "in"
            | "on"
            | "at"
            | "from"
            | "with"
            | "who"
            | "which"
            | "that"
            | "also"
            | "both"
            | "themselves"
            | "could"
            | "should"
            | "may"
            | "might"
            | "must"
            | "can"
    )
}

/// True when the mention at token `i` follows a locative preposition ("in Moscow", "in northern Syria").
pub fn is_locative(toks: &[Token], i: usize) -> bool {
    let mut j = i;
    while j > 0 && DIRECTIONS.contains(&toks[j - 1].key.as_str()) && i - j < 3 {
        j -= 1;
    }
    j > 0 && LOCATIVE.contains(&toks[j - 1].key.as_str())
}

/// Drops mentions that did not resolve to anything (demonyms used as adjectives).
pub fn keep_actors(mentions: Vec<Mention>) -> Vec<Mention> {
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
