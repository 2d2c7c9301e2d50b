//! The canonical event record (docs/ARCHITECTURE.md, "The record"), its JSON form, and the validation that turns
//! whatever a user or a dataset gave into a normalised record (codes checked, actor codes
//! normalised, root, QuadClass, Goldstein and PLOVER type filled in).

mod fields;

use crate::domain::actors::Dictionary;
use crate::domain::date::{Date, DatePrecision};
use crate::domain::taxonomy::{normalize_plover, taxonomy};
use crate::error::{Error, Result};
use fields::{CsvFields, JsonFields};
pub(crate) use fields::{Fields, from_fields};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use xxhash_rust::xxh3::Xxh3;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Coded from text by detente's coder.
    Coder,
    /// Imported from GDELT.
    Gdelt,
    /// Imported from ICEWS.
    Icews,
    /// Imported from POLECAT.
    Polecat,
    /// Added by hand (the default for records without an origin).
    #[default]
    Manual,
}

impl Origin {
    /// All origins.
    pub const ALL: [Origin; 5] = [Origin::Coder, Origin::Gdelt, Origin::Icews, Origin::Polecat, Origin::Manual];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Coder => "coder",
            Origin::Gdelt => "gdelt",
            Origin::Icews => "icews",
            Origin::Polecat => "polecat",
            Origin::Manual => "manual",
        }
    }

    /// Parses an origin name.
    pub fn parse(s: &str) -> Result<Origin> {
        Origin::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| {
            Error::invalid("origin", format!("`{s}` is not one of coder, gdelt, icews, polecat, manual"))
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an event happened.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// Place name as written or as the dataset gave it ("Moscow").
    pub name: Option<String>,
    /// Its country code ("RUS").
    pub country: Option<String>,
}

/// One event in the canonical form shared by every part of detente.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable id, namespaced by origin (`gdelt:1234`, `doc:…`, `manual:…`).
    pub id: String,
    /// When it happened (the first day of the period for coarser precisions).
    pub date: Date,
    /// How precisely the date is known.
    pub date_precision: DatePrecision,
    /// Source actor code.
    pub source: Option<String>,
    /// Target actor code.
    pub target: Option<String>,
    /// Source country (or organisation) code.
    pub source_country: Option<String>,
    /// Target country (or organisation) code.
    pub target_country: Option<String>,
    /// Text or canonical name the source was resolved from.
    pub source_name: Option<String>,
    /// Text or canonical name the target was resolved from.
    pub target_name: Option<String>,
    /// Source code exactly as the input gave it, when it differs.
    pub source_raw: Option<String>,
    /// Target code exactly as the input gave it, when it differs.
    pub target_raw: Option<String>,
    /// CAMEO code, a string (`"043"`).
    pub code: String,
    /// Its 2-digit root (`"04"`).
    pub root_code: String,
    /// False for symmetric events (the pairwise consultations of a meeting).
    pub directed: bool,
    /// PLOVER event type, when known.
    pub plover: Option<String>,
    /// QuadClass in the GDELT scheme.
    pub quad_class: u8,
    /// Goldstein value, −10 … +10.
    pub goldstein: f64,
    /// Where it happened.
    pub location: Option<Place>,
    /// Controlled topic words.
    pub topics: Vec<String>,
    /// Background from before the document's time.
    pub historical: bool,
    /// An announced future event.
    pub planned: bool,
    /// Shared id of the events expanded from one multilateral event.
    pub group: Option<String>,
    /// All parties of that multilateral event.
    pub participants: Vec<String>,
    /// When the source reported it.
    pub reported: Option<Date>,
    /// Document id (coded events).
    pub doc_id: Option<String>,
    /// Sentence index in the document.
    pub sentence: Option<u32>,
    /// The sentence text.
    pub evidence: Option<String>,
    /// `[start, end)` in Unicode characters of the document.
    pub span: Option<[u32; 2]>,
    /// The lexicon entry that produced a coded event.
    pub rule: Option<String>,
    /// Reports merged into this event.
    pub mentions: u32,
    /// Where the event came from.
    pub origin: Origin,
}

/// Field names of the record, in canonical order.
pub const FIELDS: &[&str] = &[
    "id",
    "date",
    "date_precision",
    "source",
    "target",
    "source_country",
    "target_country",
    "source_name",
    "target_name",
    "source_raw",
    "target_raw",
    "code",
    "root_code",
    "directed",
    "plover",
    "quad_class",
    "goldstein",
    "location",
    "topics",
    "historical",
    "planned",
    "group",
    "participants",
    "reported",
    "doc_id",
    "sentence",
    "evidence",
    "span",
    "rule",
    "mentions",
    "origin",
];

/// A choice of the record's fields (a read mask): the names given, checked against [`FIELDS`];
/// none given means all of them. A bad name is an error naming `read_mask.paths[i]`.
pub fn field_selection(paths: &[String]) -> crate::Result<Option<Vec<&'static str>>> {
    let mut chosen = Vec::with_capacity(paths.len());
    for (i, p) in paths.iter().enumerate() {
        let name = p.trim();
        // A nested path (`location.name`) selects its whole top-level field.
        let top = name.split('.').next().unwrap_or(name);
        let field = FIELDS.iter().find(|f| **f == top).ok_or_else(|| {
            crate::Error::invalid(
                format!("read_mask.paths[{i}]"),
                format!("`{name}` is not a field of the event record ({})", FIELDS.join(", ")),
            )
        })?;
        chosen.push(*field);
    }
    Ok((!chosen.is_empty()).then_some(chosen))
}

/// The flattened column names of the CSV form (nested fields split, lists joined with `;`).
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "date",
    "date_precision",
    "source",
    "target",
    "source_country",
    "target_country",
    "source_name",
    "target_name",
    "source_raw",
    "target_raw",
    "code",
    "root_code",
    "directed",
    "plover",
    "quad_class",
    "goldstein",
    "location_name",
    "location_country",
    "topics",
    "historical",
    "planned",
    "group",
    "participants",
    "reported",
    "doc_id",
    "sentence",
    "evidence",
    "span_start",
    "span_end",
    "rule",
    "mentions",
    "origin",
];

/// What normalising one record noticed that is not an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    /// Well-formed actor codes the dictionary does not know.
    pub unknown_actors: Vec<String>,
}

/// What makes two reports one event: date, the two actors (a symmetric event's in code
/// order, so either orientation is the same), code and direction.
pub(crate) type ReportKey = (Date, Option<String>, Option<String>, String, bool);

impl Event {
    /// This event's [`ReportKey`].
    pub fn report_key(&self) -> ReportKey {
        let (s, t) = (self.source.clone(), self.target.clone());
        let (s, t) = if !self.directed && s > t { (t, s) } else { (s, t) };
        (self.date, s, t, self.code.clone(), self.directed)
    }

    /// A minimal valid event (for tests and builders): the code's root, quad and Goldstein value
    /// filled in, everything optional empty.
    pub fn new(
        id: impl Into<String>,
        date: Date,
        source: Option<&str>,
        target: Option<&str>,
        code: &str,
    ) -> Result<Event> {
        let c = taxonomy().get(code)?;
        Ok(Event {
            id: id.into(),
            date,
            date_precision: DatePrecision::Day,
            source: source.map(String::from),
            target: target.map(String::from),
            source_country: None,
            target_country: None,
            source_name: None,
            target_name: None,
            source_raw: None,
            target_raw: None,
            code: c.code.clone(),
            root_code: c.root().to_string(),
            directed: true,
            plover: c.plover.as_ref().map(|p| p.event.clone()),
            quad_class: c.quad(crate::QuadScheme::Gdelt).unwrap_or(0),
            goldstein: c.goldstein_gdelt,
            location: None,
            topics: Vec::new(),
            historical: false,
            planned: false,
            group: None,
            participants: Vec::new(),
            reported: None,
            doc_id: None,
            sentence: None,
            evidence: None,
            span: None,
            rule: None,
            mentions: 1,
            origin: Origin::Manual,
        })
    }

    /// Parses one JSON object in the canonical form (as `events add` reads JSON Lines). Missing
    /// optional fields take their defaults; the result still needs [`Event::normalize`].
    pub fn from_json(v: &Value) -> Result<Event> {
        let obj = v.as_object().ok_or_else(|| Error::invalid("record", "expected a JSON object"))?;
        from_fields(&JsonFields(obj))
    }

    /// Parses one flattened CSV row ([`CSV_COLUMNS`]) given the header.
    pub fn from_csv(header: &[String], row: &csv::StringRecord) -> Result<Event> {
        from_fields(&CsvFields { header, row })
    }

    /// Checks and completes the record: the code must exist; root, QuadClass (GDELT scheme),
    /// Goldstein and PLOVER type are derived when absent and must agree when present; actor codes
    /// are normalised (the raw code kept), countries derived; dates truncated to their precision;
    /// a missing id is derived from the content (`manual:…`).
    pub fn normalize(&mut self, dict: &Dictionary) -> Result<Warnings> {
        let mut warnings = Warnings::default();
        let code = taxonomy().get(self.code.trim())?;
        self.code = code.code.clone();
        let root = code.root().to_string();
        if !self.root_code.is_empty() && self.root_code != root {
            return Err(Error::invalid(
                "root_code",
                format!("root_code `{}` does not match code `{}`", self.root_code, self.code),
            ));
        }
        self.root_code = root;
        let quad = code.quad(crate::QuadScheme::Gdelt).unwrap_or(0);
        if self.quad_class != 0 && self.quad_class != quad {
            return Err(Error::invalid(
                "quad_class",
                format!("quad_class {} does not match code `{}` (GDELT scheme: {quad})", self.quad_class, self.code),
            ));
        }
        self.quad_class = quad;
        if self.goldstein.is_nan() {
            self.goldstein = code.goldstein_gdelt;
        } else if !(-10.0..=10.0).contains(&self.goldstein) {
            return Err(Error::invalid("goldstein", format!("goldstein {} is outside -10..10", self.goldstein)));
        }
        self.plover = match self.plover.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Some(
                normalize_plover(p)
                    .ok_or_else(|| Error::invalid("plover", format!("`{p}` is not a PLOVER event type")))?
                    .to_string(),
            ),
            None => code.plover.as_ref().map(|p| p.event.clone()),
        };
        for side in [Side::Source, Side::Target] {
            normalize_actor(self, side, dict, &mut warnings)?;
        }
        let mut parts = Vec::with_capacity(self.participants.len());
        for p in &self.participants {
            let c = dict.normalize_code(p.trim()).map_err(|e| e.in_field("participants"))?;
            if !c.known {
                warnings.unknown_actors.push(c.code.clone());
            }
            if !parts.contains(&c.code) {
                parts.push(c.code);
            }
        }
        self.participants = parts;
        if let Some(place) = &mut self.location {
            if let Some(c) = place.country.as_deref().filter(|c| !c.is_empty()) {
                let n = dict.normalize_code(c).map_err(|e| e.in_field("location"))?;
                place.country = n.country.or(Some(n.code));
            }
            if place.name.is_none() && place.country.is_none() {
                self.location = None;
            }
        }
        self.date = self.date.truncate(self.date_precision);
        if self.mentions == 0 {
            return Err(Error::invalid("mentions", "mentions must be at least 1"));
        }
        if let Some([s, e]) = self.span
            && s > e
        {
            return Err(Error::invalid("span", format!("span start {s} is after its end {e}")));
        }
        let mut topics = Vec::with_capacity(self.topics.len());
        for t in &self.topics {
            let t = t.trim();
            let ok = t.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(Error::invalid("topics", format!("topic `{t}` is not a lowercase word (a-z, 0-9, _)")));
            }
            if !topics.iter().any(|x: &String| x == t) {
                topics.push(t.to_string());
            }
        }
        self.topics = topics;
        self.id = self.id.trim().to_string();
        if self.id.is_empty() {
            self.id = format!("{}:{:016x}", self.origin.as_str(), self.content_hash());
        }
        Ok(warnings)
    }

    /// A hash of every field but `id`: two records with the same id and the same hash are the
    /// same event. Stable across runs and versions (xxh3 over a fixed field order).
    pub fn content_hash(&self) -> u64 {
        let mut h = Xxh3::new();
        let s = |h: &mut Xxh3, v: &Option<String>| match v {
            Some(x) => {
                h.update(&[1]);
                h.update(x.as_bytes());
                h.update(&[0]);
            }
            None => h.update(&[2]),
        };
        h.update(&self.date.days().to_le_bytes());
        h.update(&[self.date_precision as u8]);
        for v in [
            &self.source,
            &self.target,
            &self.source_country,
            &self.target_country,
            &self.source_name,
            &self.target_name,
            &self.source_raw,
            &self.target_raw,
        ] {
            s(&mut h, v);
        }
        h.update(self.code.as_bytes());
        h.update(&[0, self.directed as u8, self.quad_class]);
        s(&mut h, &self.plover);
        h.update(&self.goldstein.to_bits().to_le_bytes());
        match &self.location {
            Some(p) => {
                h.update(&[1]);
                s(&mut h, &p.name);
                s(&mut h, &p.country);
            }
            None => h.update(&[2]),
        }
        for list in [&self.topics, &self.participants] {
            h.update(&(list.len() as u32).to_le_bytes());
            for t in list {
                h.update(t.as_bytes());
                h.update(&[0]);
            }
        }
        h.update(&[self.historical as u8, self.planned as u8]);
        s(&mut h, &self.group);
        h.update(&self.reported.map_or(i32::MIN, |d| d.days()).to_le_bytes());
        s(&mut h, &self.doc_id);
        h.update(&self.sentence.map_or(u64::MAX, u64::from).to_le_bytes());
        s(&mut h, &self.evidence);
        match self.span {
            Some([a, b]) => {
                h.update(&a.to_le_bytes());
                h.update(&b.to_le_bytes());
            }
            None => h.update(&[2]),
        }
        s(&mut h, &self.rule);
        h.update(&self.mentions.to_le_bytes());
        h.update(self.origin.as_str().as_bytes());
        h.digest()
    }

    /// The record as a JSON object in canonical field order (nulls kept, so every row has every
    /// column).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Clone, Copy)]
enum Side {
    Source,
    Target,
}

fn normalize_actor(ev: &mut Event, side: Side, dict: &Dictionary, warnings: &mut Warnings) -> Result<()> {
    let (code, country, actor, actor_country, raw) = match side {
        Side::Source => ("source", "source_country", &mut ev.source, &mut ev.source_country, &mut ev.source_raw),
        Side::Target => ("target", "target_country", &mut ev.target, &mut ev.target_country, &mut ev.target_raw),
    };
    if actor.as_deref().is_some_and(|a| a.trim().is_empty()) {
        *actor = None;
    }
    if actor_country.as_deref().is_some_and(|a| a.trim().is_empty()) {
        *actor_country = None;
    }
    if let Some(a) = actor.as_deref() {
        let n = dict.normalize_code(a.trim()).map_err(|e| e.in_field(code))?;
        if !n.known {
            warnings.unknown_actors.push(n.code.clone());
        }
        if n.code != a && raw.is_none() {
            *raw = Some(a.to_string());
        }
        if let (Some(given), Some(derived)) = (actor_country.as_deref(), n.country.as_deref()) {
            let given_norm = dict.normalize_code(given.trim()).map_err(|e| e.in_field(country))?;
            let g = given_norm.country.unwrap_or(given_norm.code);
            if g != derived {
                return Err(Error::invalid(
                    country,
                    format!("{country} `{given}` does not match {code} `{a}` ({derived})"),
                ));
            }
        }
        *actor_country = n.country.clone().or_else(|| actor_country.clone());
        *actor = Some(n.code);
    } else if let Some(c) = actor_country.as_deref() {
        let n = dict.normalize_code(c.trim()).map_err(|e| e.in_field(country))?;
        if !n.known {
            warnings.unknown_actors.push(n.code.clone());
        }
        *actor_country = n.country.or(Some(n.code));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
