//! What importers look up, once per distinct value and per worker: actor codes normalised
//! through the dictionary, CAMEO codes checked against the taxonomy, country names, FIPS 10-4
//! place codes, and actor sectors as CAMEO roles.

use super::rows::CachedKeys;
use crate::domain::actors::Dictionary;
use crate::domain::taxonomy::{QuadScheme, taxonomy};

/// Maps hashed with aHash: these are on the write path of millions of rows.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
use std::rc::Rc;
use std::sync::OnceLock;

/// A normalised actor.
#[derive(Debug)]
pub(crate) struct Actor {
    /// The normalised code (`TURGOV`, `---CVL`).
    pub code: String,
    /// Its country or organisation.
    pub country: Option<String>,
    /// The dataset's code, when it differs.
    pub raw: Option<String>,
    /// Its keys in the source columns being built.
    pub(crate) as_source: CachedKeys<3>,
    /// Its keys in the target columns being built.
    pub(crate) as_target: CachedKeys<3>,
}

impl Actor {
    fn new(code: String, country: Option<String>, raw: Option<String>) -> Actor {
        Actor { code, country, raw, as_source: CachedKeys::default(), as_target: CachedKeys::default() }
    }
}

/// A checked CAMEO code.
#[derive(Debug)]
pub(crate) struct Code {
    /// The code.
    pub code: String,
    /// Its root.
    pub root: String,
    /// QuadClass, GDELT scheme.
    pub quad: u8,
    /// Its Goldstein value (GDELT's table).
    pub goldstein: f64,
    /// PLOVER type from the crosswalk.
    pub plover: Option<String>,
    /// Its keys in the (code, root, PLOVER) columns being built.
    pub(crate) keys: CachedKeys<3>,
}

/// The keys of a GDELT actor's name (as source and as target) in the columns being built.
#[derive(Debug, Default)]
pub(crate) struct NameKeys {
    pub(crate) as_source: CachedKeys<1>,
    pub(crate) as_target: CachedKeys<1>,
}

/// What the text of some fields makes, cached by that text: one hash and one comparison of
/// it per row, no allocation.
type ByText<V> = hashbrown::HashTable<(Box<str>, V)>;

/// The value cached for `text`, made by `make` the first time.
fn by_text<V: Clone>(table: &mut ByText<V>, hasher: &ahash::RandomState, text: &str, make: impl FnOnce() -> V) -> V {
    let h = hasher.hash_one(text);
    if let Some((_, v)) = table.find(h, |(k, _)| **k == *text) {
        return v.clone();
    }
    let v = make();
    table.insert_unique(h, (text.into(), v.clone()), |(k, _)| hasher.hash_one(&**k));
    v
}

/// What a GDELT actor's fields make: the actor (or why not), and its name's keys.
type GdeltMade = (Result<Option<Rc<Actor>>, String>, Rc<NameKeys>);

/// A GDELT actor and its name's keys.
pub(crate) type GdeltSide = (Option<Rc<Actor>>, Rc<NameKeys>);

/// Per-worker caches.
pub(crate) struct Lookup<'d> {
    dict: &'d Dictionary,
    actors: HashMap<Vec<u8>, Result<Option<Rc<Actor>>, String>>,
    /// GDELT actors by the text of their fields.
    /// (Fields code to known group, tabs included: the actor, and its name's keys.)
    gdelt: ByText<GdeltMade>,
    /// GDELT places by the text of their (name, country) fields, with their keys.
    places: ByText<Rc<CachedKeys<2>>>,
    hasher: ahash::RandomState,
    codes: HashMap<String, Result<Rc<Code>, String>>,
    countries: HashMap<String, Option<Rc<str>>>,
}

fn fips_table() -> &'static HashMap<String, Option<String>> {
    static T: OnceLock<HashMap<String, Option<String>>> = OnceLock::new();
    T.get_or_init(|| {
        include_str!("../../../data/fips_iso.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("fips\t"))
            .filter_map(|l| {
                let mut f = l.split('\t');
                let fips = f.next()?.trim();
                let iso = f.next().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
                (fips.len() == 2).then(|| (fips.to_string(), iso))
            })
            .collect()
    })
}

fn sector_table() -> &'static Vec<(String, &'static str)> {
    static T: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        include_str!("../../../data/sectors.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (sector, role) = l.split_once('\t')?;
                Some((sector.trim().to_ascii_lowercase(), role.trim()))
            })
            .collect()
    })
}

/// The ISO 3166 alpha-3 code of a FIPS 10-4 country code (`TU` → `TUR`).
pub(crate) fn iso_of_fips(fips: &str) -> Option<&'static str> {
    // Every FIPS code is two capital letters: a 26 × 26 array answers without hashing (this is
    // called for every GDELT row).
    static BY_LETTERS: OnceLock<Vec<Option<&'static str>>> = OnceLock::new();
    let index = |code: &[u8]| match code {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(usize::from(a - b'A') * 26 + usize::from(b - b'A')),
        _ => None,
    };
    let table = BY_LETTERS.get_or_init(|| {
        let mut t = vec![None; 26 * 26];
        for (fips, iso) in fips_table() {
            if let (Some(i), Some(iso)) = (index(fips.as_bytes()), iso.as_deref()) {
                t[i] = Some(iso);
            }
        }
        t
    });
    index(fips.as_bytes()).and_then(|i| table[i])
}

/// The CAMEO role of a comma-separated sector list: the first of `data/sectors.tsv`'s order.
pub(crate) fn role_of_sectors(sectors: &str) -> Option<&'static str> {
    let table = sector_table();
    sectors
        .split(',')
        .filter_map(|s| {
            let s = s.trim().to_ascii_lowercase();
            table.iter().position(|(name, _)| *name == s)
        })
        .min()
        .map(|i| table[i].1)
}

impl<'d> Lookup<'d> {
    /// Empty caches over a dictionary.
    pub(crate) fn new(dict: &'d Dictionary) -> Lookup<'d> {
        Lookup {
            dict,
            actors: HashMap::default(),
            gdelt: ByText::new(),
            places: ByText::new(),
            hasher: ahash::RandomState::new(),
            codes: HashMap::default(),
            countries: HashMap::default(),
        }
    }

    /// A GDELT actor from its code, country code and known-group code. A code made only of role
    /// blocks (`CVL`) gets the country, or `---`, in front. `None` when all three are empty.
    /// `fields` is the text the three come from (the row's columns from code to group): no
    /// allocation per row, one hash and one comparison of that text.
    pub(crate) fn gdelt_actor(
        &mut self,
        fields: &str,
        code: &str,
        country: &str,
        group: &str,
    ) -> Result<GdeltSide, String> {
        let dict = self.dict;
        let make = || (Self::make_gdelt_actor(dict, code, country, group), Rc::new(NameKeys::default()));
        let Lookup { gdelt, hasher, .. } = self;
        let (actor, names) = by_text(gdelt, hasher, fields, make);
        actor.map(|a| (a, names))
    }

    /// Where the keys of a GDELT place are cached, by the text of its fields (a place's
    /// name and country come from them alone).
    pub(crate) fn gdelt_place(&mut self, fields: &str) -> Rc<CachedKeys<2>> {
        by_text(&mut self.places, &self.hasher, fields, Default::default)
    }

    fn make_gdelt_actor(
        dict: &Dictionary,
        code: &str,
        country: &str,
        group: &str,
    ) -> Result<Option<Rc<Actor>>, String> {
        let (raw, country, group) = (code.trim(), country.trim(), group.trim());
        let base = if !raw.is_empty() {
            raw
        } else if !country.is_empty() {
            country
        } else if !group.is_empty() {
            group
        } else {
            return Ok(None);
        };
        let first = base.get(..3).unwrap_or(base);
        let full = if dict.is_role(first) && !crate::domain::actors::is_transnational_root(first) {
            let head = if country.is_empty() { "---" } else { country };
            format!("{head}{base}")
        } else {
            base.to_string()
        };
        let norm = dict.normalize_code(&full).map_err(|e| format!("actor code `{raw}`: {e}"))?;
        let fallback = |c: &str| (!c.is_empty()).then(|| dict.normalize_code(c).ok().map(|n| n.code)).flatten();
        let country = norm.country.clone().or_else(|| fallback(country)).or_else(|| fallback(group));
        let raw = (raw != norm.code && !raw.is_empty()).then(|| raw.to_string());
        Ok(Some(Rc::new(Actor::new(norm.code, country, raw))))
    }

    /// An actor from a country code (ISO3) and a role, as ICEWS and POLECAT give them.
    pub(crate) fn country_actor(&mut self, country: &str, role: Option<&str>) -> Result<Option<Rc<Actor>>, String> {
        let code = format!("{country}{}", role.unwrap_or(""));
        if let Some(hit) = self.actors.get(code.as_bytes()) {
            return hit.clone();
        }
        let value = self
            .dict
            .normalize_code(&code)
            .map(|n| Some(Rc::new(Actor::new(n.code, n.country.or(Some(country.to_string())), None))))
            .map_err(|e| e.to_string());
        self.actors.insert(code.into_bytes(), value.clone());
        value
    }

    /// A CAMEO code checked against the taxonomy (zero-padded strings only).
    pub(crate) fn code(&mut self, code: &str) -> Result<Rc<Code>, String> {
        if let Some(hit) = self.codes.get(code) {
            return hit.clone();
        }
        let value = taxonomy().get(code.trim()).map_err(|e| e.to_string()).map(|c| {
            Rc::new(Code {
                code: c.code.clone(),
                root: c.root().to_string(),
                quad: c.quad(QuadScheme::Gdelt).unwrap_or(0),
                goldstein: c.goldstein_gdelt,
                plover: c.plover.as_ref().map(|p| p.event.clone()),
                keys: CachedKeys::default(),
            })
        });
        self.codes.insert(code.to_string(), value.clone());
        value
    }

    /// The country code of a country name (`Russian Federation` → `RUS`), or of a code.
    pub(crate) fn country_by_name(&mut self, name: &str) -> Option<Rc<str>> {
        if let Some(hit) = self.countries.get(name) {
            return hit.clone();
        }
        let value = self.dict.resolve(name, None).ok().and_then(|r| r.country.or(Some(r.code))).map(Rc::from);
        self.countries.insert(name.to_string(), value.clone());
        value
    }
}
