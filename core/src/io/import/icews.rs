//! ICEWS coded event files: tab-separated with a header, `NA` for missing values. Countries come
//! as names (mapped to codes through the dictionary), roles as sector lists (mapped through
//! `data/sectors.tsv`), Goldstein as `Intensity`. Event ids are not unique in ICEWS (the same id
//! on different rows): each id gets a suffix from its row's content, so exact duplicate rows
//! stay one event and different rows never collide.

use super::lookup::{Lookup, role_of_sectors};
use super::{Parsed, Row, Rows, Unit, estimate_rows, fields, parse_pieces};
use crate::domain::date::Date;
use crate::error::{Error, Result};
use std::collections::HashMap;

const REQUIRED: &[&str] = &[
    "Event ID",
    "Event Date",
    "Source Name",
    "Source Sectors",
    "Source Country",
    "CAMEO Code",
    "Intensity",
    "Target Name",
    "Target Sectors",
    "Target Country",
];

/// Column positions from the header.
pub(crate) struct Icews {
    at: HashMap<String, usize>,
    width: usize,
}

/// A header's column positions, checked for the required names.
pub(crate) fn header_columns(header: &[u8], file: &str, required: &[&str]) -> Result<(HashMap<String, usize>, usize)> {
    let text = std::str::from_utf8(header)
        .map_err(|_| Error::invalid_at(crate::error::Location::line(file, 1), "the header is not UTF-8"))?;
    let names: Vec<&str> = text.trim_end_matches(['\r', '\n']).split('\t').map(str::trim).collect();
    let at: HashMap<String, usize> = names.iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect();
    if let Some(missing) = required.iter().find(|r| !at.contains_key(**r)) {
        return Err(Error::invalid_at(
            crate::error::Location::line(file, 1).with_field(*missing),
            format!("the header has no `{missing}` column"),
        ));
    }
    let width = required.iter().filter_map(|r| at.get(*r)).max().map_or(0, |m| m + 1);
    Ok((at, width))
}

/// `NA` and empty are missing.
pub(crate) fn value<'a>(f: &[&'a str], at: Option<&usize>) -> Option<&'a str> {
    let v = super::trim(f.get(*at?)?);
    (!v.is_empty() && v != "NA").then_some(v)
}

/// `YYYY-MM-DD` (a longer timestamp is cut to its date), or `M/D/YYYY` as in the 2017 ICEWS file.
pub(crate) fn flexible_date(s: &str) -> std::result::Result<Date, String> {
    if let Some(d) = s.get(..10).and_then(|d| Date::parse(d).ok()) {
        return Ok(d);
    }
    let parts: Vec<&str> = s.split('/').collect();
    if let [m, d, y] = parts.as_slice()
        && let (Ok(m), Ok(d), Ok(y)) = (m.parse::<u32>(), d.parse::<u32>(), y.parse::<i32>())
        && let Some(date) = Date::from_ymd(y, m, d)
    {
        return Ok(date);
    }
    Err(format!("`{s}` is not a date (YYYY-MM-DD or M/D/YYYY)"))
}

impl Icews {
    /// A reader for the file whose first line is `header`.
    pub(crate) fn new(header: &[u8], file: &str) -> Result<Icews> {
        let (at, width) = header_columns(header, file, REQUIRED)?;
        Ok(Icews { at, width })
    }

    /// Parses a unit of a file (whole pieces).
    pub(crate) fn parse(&self, unit: Unit<'_>, lookup: &mut Lookup<'_>) -> Result<Parsed> {
        let mut f: Vec<&str> = Vec::with_capacity(24);
        let rows = Rows::new("icews", "icews:", estimate_rows(unit.bytes));
        parse_pieces(unit, rows, |_| false, |line, rows| self.row(line, &mut f, lookup, rows))
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
        let code = lookup.code(v("CAMEO Code").ok_or("missing CAMEO Code")?).map_err(|e| format!("CAMEO Code: {e}"))?;
        let goldstein = match v("Intensity") {
            None => code.goldstein,
            Some(g) => match g.parse::<f64>() {
                Ok(x) if (-10.0..=10.0).contains(&x) => x,
                _ => return Err(format!("Intensity `{g}` is not a number in -10..10")),
            },
        };
        let mut side = |country: &str, sectors: &str| -> std::result::Result<_, String> {
            match v(country).and_then(|c| lookup.country_by_name(c)) {
                Some(c) => lookup.country_actor(&c, v(sectors).and_then(role_of_sectors)),
                None => Ok(None),
            }
        };
        let source = side("Source Country", "Source Sectors")?;
        let target = side("Target Country", "Target Sectors")?;
        let place_country = v("Country").and_then(|c| lookup.country_by_name(c));
        // ICEWS ids are not unique: the row's own hash makes them so (the same row, the same id).
        let suffix = format!("{:08x}", xxhash_rust::xxh3::xxh3_64(line.as_bytes()) as u32);
        let sentence = v("Sentence Number").and_then(|s| s.parse::<u32>().ok());
        let row = Row {
            id,
            id_suffix: Some(&suffix),
            date: date.days(),
            source: source.as_deref(),
            target: target.as_deref(),
            source_name: v("Source Name"),
            target_name: v("Target Name"),
            source_name_keys: None,
            target_name_keys: None,
            code: &code,
            plover: None,
            goldstein,
            mentions: 1,
            reported: None,
            location_name: v("City").or_else(|| v("Province")),
            location_country: place_country.as_deref(),
            place_keys: None,
            doc_id: v("Story ID"),
            sentence,
        };
        rows.push(&row);
        Ok(())
    }
}
