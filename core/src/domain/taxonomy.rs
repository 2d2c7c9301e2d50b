//! The CAMEO event taxonomy: every code with its name, Goldstein value and QuadClass (in the
//! scheme asked for), and the CAMEO→PLOVER crosswalk. The facts are data files in
//! `core/data/` compiled into the binary.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::OnceLock;

const CODES_TSV: &str = include_str!("../../data/cameo_event_codes.tsv");
const PLOVER_TSV: &str = include_str!("../../data/cameo_plover.tsv");

/// How event codes are grouped into four (or five) classes. GDELT and the ICEWS/academic
/// convention draw the lines between roots differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QuadScheme {
    /// GDELT: roots 01–05 → 1 verbal cooperation, 06–09 → 2 material cooperation,
    /// 10–14 → 3 verbal conflict, 15–20 → 4 material conflict. The stored scheme.
    #[default]
    Gdelt,
    /// ICEWS / academic: 01–05 → 1, 06–08 → 2, 09–13 → 3, 14–20 → 4.
    Icews,
    /// Phoenix 0–4: 01–02 → 0 neutral, 03–05 → 1, 06–08 → 2, 09–13 and 16 → 3, 14–15 and 17–20 → 4.
    Phoenix,
    /// PLOVER's quad categories of the code's PLOVER type; codes without one (roots 01, 02) have none.
    Plover,
}

impl QuadScheme {
    /// Parses `gdelt`, `icews` (or `academic`), `phoenix`, `plover`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "gdelt" => Ok(QuadScheme::Gdelt),
            "icews" | "academic" => Ok(QuadScheme::Icews),
            "phoenix" => Ok(QuadScheme::Phoenix),
            "plover" => Ok(QuadScheme::Plover),
            _ => Err(Error::invalid("quad_scheme", format!("`{s}` is not one of gdelt, icews, phoenix, plover"))),
        }
    }
}

/// Which published Goldstein table to read values from (they differ for 016, 022, 164, 165).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GoldsteinScale {
    /// The values GDELT records carry (the stored default).
    #[default]
    Gdelt,
    /// The ICEWS event-type table.
    Icews,
}

/// A CAMEO event type's PLOVER counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PloverType {
    /// The PLOVER event type, e.g. `CONSULT`.
    pub event: String,
    /// The PLOVER mode, e.g. `visit`, when the mapping gives one.
    pub mode: Option<String>,
    /// PLOVER contexts the mapping gives, e.g. `economic`.
    pub contexts: Vec<String>,
}

/// One CAMEO event code.
#[derive(Debug, Clone, PartialEq)]
pub struct EventCode {
    /// The code as a string: `"04"`, `"043"`, `"0431"` (never a number: "010" and "10" differ).
    pub code: String,
    /// CAMEO 1.1b3 name.
    pub name: String,
    /// Goldstein value as GDELT records carry it.
    pub goldstein_gdelt: f64,
    /// Goldstein value of the ICEWS table.
    pub goldstein_icews: f64,
    /// The PLOVER type, for codes outside roots 01 and 02.
    pub plover: Option<PloverType>,
}

impl EventCode {
    /// The 2-digit root (`"04"` for `"0431"`).
    pub fn root(&self) -> &str {
        &self.code[..2]
    }
    /// The root as a number 1..=20.
    pub fn root_number(&self) -> u8 {
        root_number(&self.code)
    }
    /// The 3-digit base code, or the root itself for a root.
    pub fn base(&self) -> &str {
        &self.code[..self.code.len().min(3)]
    }
    /// Goldstein value on a scale.
    pub fn goldstein(&self, scale: GoldsteinScale) -> f64 {
        match scale {
            GoldsteinScale::Gdelt => self.goldstein_gdelt,
            GoldsteinScale::Icews => self.goldstein_icews,
        }
    }
    /// QuadClass in a scheme; `None` only in the PLOVER scheme for codes without a PLOVER type.
    pub fn quad(&self, scheme: QuadScheme) -> Option<u8> {
        match scheme {
            QuadScheme::Plover => self.plover.as_ref().and_then(|p| plover_quad(&p.event)),
            other => Some(quad_of_root(self.root_number(), other)),
        }
    }
}

fn root_number(code: &str) -> u8 {
    code.as_bytes().get(..2).map_or(0, |b| (b[0] - b'0') * 10 + (b[1] - b'0'))
}

/// QuadClass of a root (1..=20) in a scheme other than PLOVER.
pub(crate) fn quad_of_root(root: u8, scheme: QuadScheme) -> u8 {
    match scheme {
        QuadScheme::Gdelt | QuadScheme::Plover => match root {
            1..=5 => 1,
            6..=9 => 2,
            10..=14 => 3,
            _ => 4,
        },
        QuadScheme::Icews => match root {
            1..=5 => 1,
            6..=8 => 2,
            9..=13 => 3,
            _ => 4,
        },
        QuadScheme::Phoenix => match root {
            1 | 2 => 0,
            3..=5 => 1,
            6..=8 => 2,
            9..=13 | 16 => 3,
            _ => 4,
        },
    }
}

/// PLOVER's quad category of an event type (1 verbal cooperation … 4 material conflict).
pub(crate) fn plover_quad(event: &str) -> Option<u8> {
    Some(match event {
        "AGREE" | "CONSULT" | "SUPPORT" | "CONCEDE" => 1,
        "COOPERATE" | "AID" | "RETREAT" => 2,
        "REQUEST" | "ACCUSE" | "REJECT" | "THREATEN" => 3,
        "PROTEST" | "SANCTION" | "MOBILIZE" | "COERCE" | "ASSAULT" => 4,
        _ => return None,
    })
}

/// The current PLOVER name of an event type, mapping PLOVER 0.5 names (used by the 2016 gold
/// records and older POLECAT documentation) to 0.8: DEMAND→REQUEST, DISAPPROVE and
/// INVESTIGATE→ACCUSE, FIGHT→ASSAULT, CRIME→COERCE. Unknown names give `None`.
pub fn normalize_plover(event: &str) -> Option<&'static str> {
    let up = event.trim().to_ascii_uppercase();
    Some(match up.as_str() {
        "AGREE" => "AGREE",
        "CONSULT" => "CONSULT",
        "SUPPORT" => "SUPPORT",
        "CONCEDE" => "CONCEDE",
        "COOPERATE" => "COOPERATE",
        "AID" => "AID",
        "RETREAT" => "RETREAT",
        "REQUEST" | "DEMAND" => "REQUEST",
        "ACCUSE" | "DISAPPROVE" | "INVESTIGATE" => "ACCUSE",
        "REJECT" => "REJECT",
        "THREATEN" => "THREATEN",
        "PROTEST" => "PROTEST",
        "SANCTION" => "SANCTION",
        "MOBILIZE" => "MOBILIZE",
        "COERCE" | "CRIME" => "COERCE",
        "ASSAULT" | "FIGHT" => "ASSAULT",
        _ => return None,
    })
}

/// The whole CAMEO taxonomy.
#[derive(Debug)]
pub struct Taxonomy {
    codes: Vec<EventCode>,
    index: HashMap<String, usize>,
    plover_root: HashMap<String, String>,
}

/// The taxonomy compiled into this build.
pub fn taxonomy() -> &'static Taxonomy {
    static T: OnceLock<Taxonomy> = OnceLock::new();
    T.get_or_init(Taxonomy::load)
}

impl Taxonomy {
    fn load() -> Taxonomy {
        let mut plover: HashMap<&str, PloverType> = HashMap::new();
        for line in data_lines(PLOVER_TSV) {
            let f: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| f.get(i).map(|s| s.trim()).unwrap_or("");
            let contexts = field(3).split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
            let mode = Some(field(2)).filter(|s| !s.is_empty()).map(String::from);
            plover.insert(field(0), PloverType { event: field(1).to_string(), mode, contexts });
        }
        let mut codes = Vec::new();
        for line in data_lines(CODES_TSV) {
            let f: Vec<&str> = line.split('\t').collect();
            let num = |i: usize| f.get(i).and_then(|s| s.trim().parse::<f64>().ok()).unwrap_or(0.0);
            let code = f[0].trim().to_string();
            codes.push(EventCode {
                plover: plover.remove(code.as_str()),
                name: f.get(1).map_or("", |s| s.trim()).to_string(),
                goldstein_gdelt: num(2),
                goldstein_icews: num(3),
                code,
            });
        }
        let index = codes.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        // For each PLOVER type, the CAMEO root most of its codes come from (ties: the lower root).
        let mut counts: HashMap<(String, String), usize> = HashMap::new();
        for c in &codes {
            if let Some(p) = &c.plover {
                *counts.entry((p.event.clone(), c.root().to_string())).or_default() += 1;
            }
        }
        let mut plover_root: HashMap<String, (String, usize)> = HashMap::new();
        for ((event, root), n) in counts {
            let e = plover_root.entry(event).or_insert_with(|| (root.clone(), 0));
            if n > e.1 || (n == e.1 && root < e.0) {
                *e = (root, n);
            }
        }
        Taxonomy { codes, index, plover_root: plover_root.into_iter().map(|(k, v)| (k, v.0)).collect() }
    }

    /// Every code, roots first within each root's block, in codebook order.
    pub fn codes(&self) -> &[EventCode] {
        &self.codes
    }

    /// The code, or an error naming it: malformed (not 2–4 digits starting 01–20) or unknown.
    pub fn get(&self, code: &str) -> Result<&EventCode> {
        self.index.get(code).map(|&i| &self.codes[i]).ok_or_else(|| {
            let well_formed = (2..=4).contains(&code.len())
                && code.bytes().all(|b| b.is_ascii_digit())
                && (1..=20).contains(&root_number(code));
            if well_formed {
                Error::invalid("code", format!("unknown CAMEO event code `{code}`"))
            } else {
                Error::invalid(
                    "code",
                    format!("malformed CAMEO event code `{code}` (expected 2 to 4 digits, root 01 to 20)"),
                )
            }
        })
    }

    /// The position of a code in [`Taxonomy::codes`] (a compact id for storage).
    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    /// The 20 root codes.
    pub fn roots(&self) -> impl Iterator<Item = &EventCode> {
        self.codes.iter().filter(|c| c.code.len() == 2)
    }

    /// The CAMEO root a PLOVER type maps back to: the root most of its codes come from.
    pub fn root_of_plover(&self, event: &str) -> Option<&str> {
        let e = normalize_plover(event)?;
        self.plover_root.get(e).map(String::as_str)
    }
}

/// Non-comment, non-header lines of an embedded TSV.
fn data_lines(tsv: &str) -> impl Iterator<Item = &str> {
    tsv.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).skip(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_root_and_all_children() {
        let t = taxonomy();
        let roots: Vec<&str> = t.roots().map(|c| c.code.as_str()).collect();
        let expected: Vec<String> = (1..=20).map(|r| format!("{r:02}")).collect();
        assert_eq!(roots, expected);
        assert_eq!(t.codes().len(), 317);
        assert!(t.codes().iter().all(|c| c.root_number() >= 1 && c.root_number() <= 20));
        assert!(t.codes().iter().filter(|c| c.code.len() == 4).count() > 100);
    }

    #[test]
    fn goldstein_and_quads() {
        let t = taxonomy();
        let g = |c: &str| t.get(c).map(|e| e.goldstein_gdelt).unwrap_or(f64::NAN);
        assert_eq!(g("043"), 2.8);
        assert_eq!(g("045"), 5.0);
        assert_eq!(g("1011"), -5.0);
        assert_eq!(g("190"), -10.0);
        assert_eq!(g("016"), -2.0);
        assert_eq!(t.get("016").map(|e| e.goldstein(GoldsteinScale::Icews)).ok(), Some(-5.0));
        let q = |c: &str, s| t.get(c).ok().and_then(|e| e.quad(s));
        assert_eq!(q("090", QuadScheme::Gdelt), Some(2));
        assert_eq!(q("090", QuadScheme::Icews), Some(3));
        assert_eq!(q("140", QuadScheme::Gdelt), Some(3));
        assert_eq!(q("140", QuadScheme::Icews), Some(4));
        assert_eq!(q("160", QuadScheme::Phoenix), Some(3));
        assert_eq!(q("010", QuadScheme::Phoenix), Some(0));
        assert_eq!(q("010", QuadScheme::Plover), None);
        assert_eq!(q("0311", QuadScheme::Plover), Some(1));
        assert_eq!(q("1011", QuadScheme::Plover), Some(3));
    }

    #[test]
    fn unknown_and_malformed_codes_are_named() {
        let t = taxonomy();
        let e = t.get("099").map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("unknown") && e.contains("099"), "{e}");
        for bad in ["21", "4", "04a", "00", "12345", ""] {
            let e = t.get(bad).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains("malformed") && e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn plover_crosswalk() {
        let t = taxonomy();
        let p = |c: &str| t.get(c).ok().and_then(|e| e.plover.as_ref()).map(|p| p.event.clone());
        assert_eq!(p("043").as_deref(), Some("CONSULT"));
        assert_eq!(
            t.get("043").ok().and_then(|e| e.plover.as_ref()).and_then(|p| p.mode.clone()).as_deref(),
            Some("visit")
        );
        assert_eq!(p("175").as_deref(), Some("ASSAULT"));
        assert_eq!(p("191").as_deref(), Some("COERCE"));
        assert_eq!(p("010"), None);
        assert_eq!(t.root_of_plover("CONSULT"), Some("04"));
        assert_eq!(t.root_of_plover("ASSAULT"), Some("18"));
        assert_eq!(t.root_of_plover("REQUEST"), Some("10"));
        assert_eq!(t.root_of_plover("DEMAND"), Some("10"));
        assert_eq!(t.root_of_plover("ACCUSE"), Some("11"));
        assert_eq!(t.root_of_plover("nonsense"), None);
    }
}
