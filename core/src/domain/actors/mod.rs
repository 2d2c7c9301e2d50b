//! The actor dictionary: countries, capitals, demonyms, organisations, groups, government bodies,
//! role words and persons with time-bounded offices, all from data files a user can read and
//! extend. Resolves names to actor codes as they held on a date, and normalises actor codes.
//!
//! Precedence: entries added through the API (kept in the store) over user dictionary files given
//! at startup over the built-in files in `core/data/actors/`.

mod code;
mod file;

pub use code::{ActorCode, is_transnational_root, is_well_formed_code};
pub use file::{check_entry, parse_dictionary};

use crate::domain::date::Date;
use crate::domain::text::{is_case_sensitive_name, name_key, tokenize};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The built-in files, in load order: the entries converted from the Phoenix dictionaries first,
/// so that our own files, loaded after, give the canonical names of the codes both hold.
const BUILTIN: &[(&str, &str)] = &[
    ("phoenix-places.tsv", include_str!("../../../data/actors/phoenix-places.tsv")),
    ("phoenix-bodies.tsv", include_str!("../../../data/actors/phoenix-bodies.tsv")),
    ("phoenix-organisations.tsv", include_str!("../../../data/actors/phoenix-organisations.tsv")),
    ("phoenix-roles.tsv", include_str!("../../../data/actors/phoenix-roles.tsv")),
    ("phoenix-persons.tsv", include_str!("../../../data/actors/phoenix-persons.tsv")),
    ("countries.tsv", include_str!("../../../data/actors/countries.tsv")),
    ("regions.tsv", include_str!("../../../data/actors/regions.tsv")),
    ("organisations.tsv", include_str!("../../../data/actors/organisations.tsv")),
    ("roles.tsv", include_str!("../../../data/actors/roles.tsv")),
    ("persons.tsv", include_str!("../../../data/actors/persons.tsv")),
    ("leaders.tsv", include_str!("../../../data/actors/leaders.tsv")),
];

/// The built-in dictionary files' texts (what `core/data/actors/*.tsv` held at build time).
pub fn builtin_tables() -> Vec<&'static str> {
    BUILTIN.iter().map(|(_, text)| *text).collect()
}

/// What kind of thing a dictionary line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameKind {
    /// A country's name ("Türkiye", "Turkey").
    Country,
    /// A demonym or adjective ("Turkish", "Syrians").
    Demonym,
    /// A capital, standing for the government ("Ankara said").
    Capital,
    /// A CAMEO regional pseudo-country ("Middle East").
    Region,
    /// An international or non-governmental organisation ("Arab League").
    Organisation,
    /// A non-state armed or political group ("Hamas").
    Group,
    /// A named body standing for one actor ("the Kremlin").
    Body,
    /// A role word that combines with a country ("army" → MIL).
    Role,
    /// A person, resolved to the office held on a date.
    Person,
    /// A place that is never an actor ("South China Sea"): it keeps the words of its name from
    /// being read as actors ("China").
    Place,
    /// A legacy actor code and its current replacement (ROM → ROU).
    Legacy,
    /// A full PETRARCH organisation code and its bare code (IGOWSTNAT → NAT).
    Full,
}

impl NameKind {
    /// The lowercase name used in files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Country => "country",
            NameKind::Demonym => "demonym",
            NameKind::Capital => "capital",
            NameKind::Region => "region",
            NameKind::Organisation => "organisation",
            NameKind::Group => "group",
            NameKind::Body => "body",
            NameKind::Role => "role",
            NameKind::Person => "person",
            NameKind::Place => "place",
            NameKind::Legacy => "legacy",
            NameKind::Full => "full",
        }
    }

    /// Parses a kind name (`organization` is accepted for `organisation`).
    pub fn parse(s: &str) -> Option<NameKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "country" => NameKind::Country,
            "demonym" => NameKind::Demonym,
            "capital" => NameKind::Capital,
            "region" => NameKind::Region,
            "organisation" | "organization" | "igo" | "ngo" => NameKind::Organisation,
            "group" => NameKind::Group,
            "body" => NameKind::Body,
            "role" => NameKind::Role,
            "person" => NameKind::Person,
            "place" => NameKind::Place,
            "legacy" => NameKind::Legacy,
            "full" => NameKind::Full,
            _ => return None,
        })
    }

    /// Parses a kind name, with an error naming the field `kind` when it is none.
    pub fn from_name(s: &str) -> crate::Result<NameKind> {
        NameKind::parse(s).ok_or_else(|| {
            crate::Error::invalid(
                "kind",
                format!(
                    "`{s}` is not a kind of name (country, demonym, capital, region, organisation, group, body, role, person, place)"
                ),
            )
        })
    }

    /// True for kinds whose code is an actor in its own right (a country slot or organisation).
    fn is_principal(self) -> bool {
        matches!(self, NameKind::Country | NameKind::Region | NameKind::Organisation | NameKind::Group)
    }
}

/// Which source an entry came from; a higher layer wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The files compiled into detente.
    Builtin,
    /// A user dictionary file given at startup (`--actors`, `DETENTE_ACTORS`).
    File,
    /// An entry added through the API and kept in the store.
    Store,
}

/// One dictionary line: a code, the kind of names, the names, an optional validity window and,
/// for persons, the office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The actor code the names stand for (`TURGOV`, `NAT`), or a role block (`MIL`).
    pub code: String,
    /// What the names are.
    pub kind: NameKind,
    /// The names; the first is the canonical one.
    pub names: Vec<String>,
    /// First day the entry holds (inclusive).
    pub from: Option<Date>,
    /// Last day the entry holds (inclusive).
    pub until: Option<Date>,
    /// The office a person held ("foreign minister").
    pub office: Option<String>,
    /// Where it came from.
    pub layer: Layer,
    /// The file and line (or `store:ID`) it was read from.
    pub origin: String,
    /// The id of an entry a user added (kept in the store, stable across restarts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

impl Entry {
    /// An entry a user gives (through the API, the command line or Python), held always, before
    /// the checks of [`check_entry`] and before the store gives it an id.
    pub fn user(code: impl Into<String>, kind: NameKind, names: Vec<String>) -> Entry {
        Entry {
            code: code.into(),
            kind,
            names,
            from: None,
            until: None,
            office: None,
            layer: Layer::Store,
            origin: String::new(),
            id: None,
        }
    }

    /// True when the entry holds on `date` (always, when it has no window).
    pub fn holds_on(&self, date: Date) -> bool {
        self.from.is_none_or(|f| f <= date) && self.until.is_none_or(|u| date <= u)
    }
    /// The canonical name.
    pub fn canonical(&self) -> &str {
        self.names.first().map_or("", String::as_str)
    }
}

/// The answer to a name lookup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The actor code that held on the date (`TURGOV`).
    pub code: String,
    /// The code's country (or organisation) block (`TUR`, `NAT`).
    pub country: Option<String>,
    /// What kind of name matched.
    pub kind: NameKind,
    /// The canonical name of the entry.
    pub name: String,
    /// For a person: the office held on the date; "former …" when none was held that day.
    pub office: Option<String>,
    /// Start of the matched entry's window.
    pub from: Option<Date>,
    /// End of the matched entry's window.
    pub until: Option<Date>,
    /// The file and line (or `store`) of the matched entry.
    pub origin: String,
}

/// The actor dictionary, indexed for lookups. Cheap to share behind an [`Arc`].
#[derive(Debug, Clone)]
pub struct Dictionary {
    entries: Vec<Entry>,
    /// Case-insensitive names → entries.
    names: HashMap<String, Vec<u32>>,
    /// Short all-capital acronyms ("US", "UN") → entries; they match only written in capitals.
    acronyms: HashMap<String, Vec<u32>>,
    /// Last name token of persons → entries.
    surnames: HashMap<String, Vec<u32>>,
    /// Codes of countries, regions, organisations and groups → the entry that defines them.
    principals: HashMap<String, u32>,
    /// Every entry's code: a code a user added is known as a code, not only by its names.
    codes: HashSet<String>,
    /// Role blocks (GOV, MIL, MOS…).
    roles: HashSet<String>,
    /// Legacy country codes → current ones.
    legacy: HashMap<String, String>,
    /// Full organisation codes → bare ones.
    full: HashMap<String, String>,
}

impl Dictionary {
    /// The built-in dictionary (parsed once per process, then cloned).
    pub fn builtin() -> Arc<Dictionary> {
        static D: OnceLock<Arc<Dictionary>> = OnceLock::new();
        D.get_or_init(|| {
            let mut entries = Vec::new();
            for (name, text) in BUILTIN {
                match parse_dictionary(text, &format!("builtin:{name}"), Layer::Builtin) {
                    Ok(e) => entries.extend(e),
                    // The built-in files are tested; a broken one is a bug, reported loudly once.
                    Err(e) => tracing::error!("built-in dictionary file is broken: {e}"),
                }
            }
            Arc::new(Dictionary::from_entries(entries))
        })
        .clone()
    }

    /// Builds the index over a list of entries.
    pub fn from_entries(entries: Vec<Entry>) -> Dictionary {
        let mut d = Dictionary {
            entries: Vec::new(),
            names: HashMap::new(),
            acronyms: HashMap::new(),
            surnames: HashMap::new(),
            principals: HashMap::new(),
            codes: HashSet::new(),
            roles: HashSet::new(),
            legacy: HashMap::new(),
            full: HashMap::new(),
        };
        for e in entries {
            d.insert(e);
        }
        d
    }

    fn insert(&mut self, e: Entry) {
        let idx = self.entries.len() as u32;
        match e.kind {
            NameKind::Legacy => {
                if let Some(target) = e.names.first() {
                    self.legacy.insert(e.code.clone(), target.clone());
                }
            }
            NameKind::Full => {
                if let Some(target) = e.names.first() {
                    self.full.insert(e.code.clone(), target.clone());
                }
            }
            NameKind::Role => {
                self.roles.insert(e.code.clone());
            }
            _ => {}
        }
        if !matches!(e.kind, NameKind::Legacy | NameKind::Full) {
            self.codes.insert(e.code.clone());
        }
        if e.kind.is_principal() {
            let keep = self.principals.get(&e.code).is_none_or(|&old| self.entries[old as usize].layer <= e.layer);
            if keep {
                self.principals.insert(e.code.clone(), idx);
            }
        }
        if !matches!(e.kind, NameKind::Legacy | NameKind::Full | NameKind::Role) {
            for name in &e.names {
                let key = name_key(name);
                if key.is_empty() {
                    continue;
                }
                let map = if is_case_sensitive_name(name) { &mut self.acronyms } else { &mut self.names };
                let list = map.entry(key).or_default();
                if !list.contains(&idx) {
                    list.push(idx);
                }
                if e.kind == NameKind::Person
                    && let Some(last) = tokenize(name).last().filter(|t| t.key.len() > 2)
                {
                    let list = self.surnames.entry(last.key.clone()).or_default();
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
            }
        }
        self.entries.push(e);
    }

    /// A new dictionary with more entries (a user file, entries from the store) layered on top.
    pub fn extended(&self, more: Vec<Entry>) -> Dictionary {
        let mut d = self.clone();
        for e in more {
            d.insert(e);
        }
        d
    }

    /// Reads a user dictionary file (same format as the built-in files) as a [`Layer::File`].
    pub fn load_file(path: &Path) -> Result<Vec<Entry>> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        parse_dictionary(&text, &path.display().to_string(), Layer::File)
    }

    /// Every entry, in load order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries indexed under a folded name key, case-insensitive names only.
    pub fn lookup_key(&self, key: &str) -> &[u32] {
        self.names.get(key).map_or(&[], Vec::as_slice)
    }

    /// The entries of a short acronym written in capitals ("US", "UN").
    pub fn lookup_acronym(&self, key: &str) -> &[u32] {
        self.acronyms.get(key).map_or(&[], Vec::as_slice)
    }

    /// The person entries whose last name token is `key`.
    pub fn lookup_surname(&self, key: &str) -> &[u32] {
        self.surnames.get(key).map_or(&[], Vec::as_slice)
    }

    /// The entry at an index returned by the lookups.
    pub fn entry(&self, idx: u32) -> &Entry {
        &self.entries[idx as usize]
    }

    /// True when `block` is a known role block (GOV, MIL, …).
    pub fn is_role(&self, block: &str) -> bool {
        self.roles.contains(block)
    }

    /// True when some entry (not a legacy or full-code line) has exactly this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    /// The defining entry of a country, region, organisation or group code.
    pub fn principal(&self, code: &str) -> Option<&Entry> {
        self.principals.get(code).map(|&i| &self.entries[i as usize])
    }

    /// Picks, among candidate entries, the one that holds on `date` with the highest layer;
    /// without a date, the current one (no end) or else the most recent.
    pub fn choose(&self, candidates: &[u32], date: Option<Date>) -> Option<&Entry> {
        let mut best: Option<&Entry> = None;
        for e in candidates.iter().map(|&i| &self.entries[i as usize]) {
            let ok = match date {
                Some(d) => e.holds_on(d),
                None => true,
            };
            if !ok {
                continue;
            }
            best = match best {
                None => Some(e),
                Some(b) => {
                    let rank =
                        |x: &Entry| (x.layer, x.until.is_none(), x.until.unwrap_or(Date::MIN), kind_rank(x.kind));
                    if rank(e) > rank(b) { Some(e) } else { Some(b) }
                }
            };
        }
        best
    }

    /// Resolves a name (country, capital, demonym, organisation, body, person) or an actor code
    /// to the code that held on `date` (today when `None` for persons: the current office).
    pub fn resolve(&self, name: &str, date: Option<Date>) -> Result<Resolution> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("name", "an empty name cannot be resolved"));
        }
        let key = name_key(trimmed);
        let toks = tokenize(trimmed);
        let acronym = toks.len() == 1 && toks[0].all_caps;
        let mut candidates: Vec<u32> = self.lookup_key(&key).to_vec();
        if acronym {
            candidates.extend_from_slice(self.lookup_acronym(&key));
        }
        if !candidates.is_empty() {
            if let Some(e) = self.choose(&candidates, date) {
                return Ok(self.resolution(e, date));
            }
            // A known person on a day without office: a former official.
            if let Some(r) = self.former(&candidates, date) {
                return Ok(r);
            }
        }
        // A surname alone ("Cavusoglu"), when exactly one person of that name holds office.
        let surname_hits: Vec<u32> = self
            .lookup_surname(&key)
            .iter()
            .copied()
            .filter(|&i| date.is_none_or(|d| self.entries[i as usize].holds_on(d)))
            .collect();
        let people: HashSet<&str> = surname_hits.iter().map(|&i| self.entries[i as usize].canonical()).collect();
        if people.len() == 1
            && let Some(e) = self.choose(&surname_hits, date)
        {
            return Ok(self.resolution(e, date));
        }
        // An actor code ("TUR", "IGOWSTNAT", "ROMGOV").
        if is_well_formed_code(trimmed) {
            let c = self.normalize_code(trimmed)?;
            if c.known {
                let entry = c.country.as_deref().and_then(|k| self.principal(k));
                return Ok(Resolution {
                    code: c.code.clone(),
                    country: c.country.clone(),
                    kind: entry.map_or(NameKind::Country, |e| e.kind),
                    name: entry.map_or_else(|| c.code.clone(), |e| e.canonical().to_string()),
                    office: None,
                    from: None,
                    until: None,
                    origin: entry.map_or_else(String::new, |e| e.origin.clone()),
                });
            }
        }
        Err(Error::UnknownActor { name: trimmed.to_string() })
    }

    fn former(&self, candidates: &[u32], date: Option<Date>) -> Option<Resolution> {
        let d = date?;
        let past = candidates
            .iter()
            .map(|&i| &self.entries[i as usize])
            .filter(|e| e.kind == NameKind::Person && e.until.is_some_and(|u| u < d))
            .max_by_key(|e| e.until)?;
        let country = past.code.get(..3)?.to_string();
        Some(Resolution {
            code: format!("{country}ELI"),
            country: Some(country),
            kind: NameKind::Person,
            name: past.canonical().to_string(),
            office: past.office.as_ref().map(|o| format!("former {o}")),
            from: past.until.map(|u| u.add_days(1)),
            until: None,
            origin: past.origin.clone(),
        })
    }

    fn resolution(&self, e: &Entry, _date: Option<Date>) -> Resolution {
        Resolution {
            code: e.code.clone(),
            country: self.country_of(&e.code),
            kind: e.kind,
            name: e.canonical().to_string(),
            office: e.office.clone(),
            from: e.from,
            until: e.until,
            origin: e.origin.clone(),
        }
    }
}

/// Among equally valid entries: persons and principals before demonyms and capitals.
fn kind_rank(k: NameKind) -> u8 {
    match k {
        NameKind::Person => 5,
        NameKind::Country | NameKind::Organisation | NameKind::Group => 4,
        NameKind::Body => 3,
        NameKind::Capital => 2,
        NameKind::Region => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
