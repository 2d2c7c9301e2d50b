//! POLECAT files: tab-separated with a header (extra columns, a stray `Headline` name and
//! trailing empty columns tolerated). The PLOVER event type is kept in `plover`; the CAMEO code
//! is the root the crosswalk maps that type to most often, and Goldstein that root's value.
//! Countries are ISO 3166 alpha-3 already; the primary sector gives the role.

use super::icews::{flexible_date, header_columns, value};
use super::lookup::{Lookup, role_of_sectors};
use super::{Parsed, Row, Rows, Unit, estimate_rows, fields, parse_pieces};
use crate::domain::taxonomy::{normalize_plover, taxonomy};
use crate::error::Result;
use std::collections::HashMap;

const REQUIRED: &[&str] = &["Event ID", "Event Date", "Event Type", "Actor Country", "Recipient Country"];

/// Column positions from the header.
pub(crate) struct Polecat {
    at: HashMap<String, usize>,
    width: usize,
}

impl Polecat {
    /// A reader for the file whose first line is `header`.
    pub(crate) fn new(header: &[u8], file: &str) -> Result<Polecat> {
        let (at, width) = header_columns(header, file, REQUIRED)?;
        Ok(Polecat { at, width })
    }

    /// Parses a unit of a file (whole pieces).
    pub(crate) fn parse(&self, unit: Unit<'_>, lookup: &mut Lookup<'_>) -> Result<Parsed> {
        let mut f: Vec<&str> = Vec::with_capacity(48);
        let rows = Rows::new("polecat", "polecat:", estimate_rows(unit.bytes));
        let only_tabs = |line: &[u8]| line.iter().all(|b| *b == b'\t');
        parse_pieces(unit, rows, only_tabs, |line, rows| self.row(line, &mut f, lookup, rows))
    }

    fn row<'a>(
        &self,
        line: &'a str,
        f: &mut Vec<&'a str>,
        lookup: &mut Lookup<'_>,
        rows: &mut Rows,
    ) -> std::result::Result<(), String> {
        fields(line, f);
        if f.len() < self.width {
            return Err(format!("{} columns, the header names at least {}", f.len(), self.width));
        }
        let v = |name: &str| value(f, self.at.get(name));
        let id = v("Event ID").ok_or("missing Event ID")?;
        let date =
            flexible_date(v("Event Date").ok_or("missing Event Date")?).map_err(|e| format!("Event Date: {e}"))?;
        let raw_type = v("Event Type").ok_or("missing Event Type")?;
        let plover =
            normalize_plover(raw_type).ok_or_else(|| format!("Event Type `{raw_type}` is not a PLOVER type"))?;
        let root = taxonomy()
            .root_of_plover(plover)
            .ok_or_else(|| format!("no CAMEO root for PLOVER type `{plover}`"))?
            .to_string();
        let code = lookup.code(&root)?;
        let mut side = |country: &str, sector: &str| -> std::result::Result<_, String> {
            match v(country) {
                Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    lookup.country_actor(&c.to_ascii_uppercase(), v(sector).and_then(role_of_sectors))
                }
                Some(c) => match lookup.country_by_name(c) {
                    Some(code) => lookup.country_actor(&code, v(sector).and_then(role_of_sectors)),
                    None => Ok(None),
                },
                None => Ok(None),
            }
        };
        let source = side("Actor Country", "Primary Actor Sector")?;
        let target = side("Recipient Country", "Primary Recipient Sector")?;
        let reported = match v("Publication Date") {
            Some(p) => Some(flexible_date(p).map_err(|e| format!("Publication Date: {e}"))?.days()),
            None => None,
        };
        let place_country = v("Country").map(|c| c.to_ascii_uppercase());
        let row = Row {
            id,
            id_suffix: None,
            date: date.days(),
            source: source.as_deref(),
            target: target.as_deref(),
            source_name: v("Actor Name"),
            target_name: v("Recipient Name"),
            source_name_keys: None,
            target_name_keys: None,
            code: &code,
            plover: Some(plover),
            goldstein: code.goldstein,
            mentions: 1,
            reported,
            location_name: v("Placename").or_else(|| v("City")),
            location_country: place_country.as_deref(),
            place_keys: None,
            doc_id: v("Source"),
            sentence: None,
        };
        rows.push(&row);
        Ok(())
    }
}
