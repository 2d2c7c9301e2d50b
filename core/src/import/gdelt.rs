//! GDELT 1.0 and 2.0 event exports: tab-separated, no header (one is tolerated), 57/58 or 61
//! columns. Only the columns an event needs are parsed: the id, the event date, both actors
//! (code, name, country, known group), the event code, Goldstein, NumMentions, the action's
//! place (FIPS 10-4 country mapped to ISO), DATEADDED as `reported` and SOURCEURL as `doc_id`.

use super::lookup::{Lookup, iso_of_fips};
use super::{Format, Parsed, Row, Rows, Unit, estimate_rows, parse_pieces, some_fields, trim};
use crate::date::Date;
use crate::error::Result;

/// The text of `line` from the start of field `first` to the end of field `last` (both sliced
/// from `line`).
fn span<'a>(line: &'a str, first: &str, last: &str) -> &'a str {
    let at = |s: &str| (s.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    line.get(at(first)..at(last) + last.len()).unwrap_or(line)
}

/// Column positions of one GDELT version.
pub struct Gdelt {
    columns: &'static [usize],
    action_geo: usize,
    date_added: usize,
    /// The fields read, one bit each.
    wanted: u64,
    header: bool,
    version: &'static str,
}

impl Gdelt {
    /// A reader of `format`, noticing a header row.
    pub fn new(format: Format, first_line: &[u8]) -> Gdelt {
        let header = !first_line.first().is_some_and(u8::is_ascii_digit);
        // 1.0: 57 columns (backfiles), 58 with SOURCEURL (daily files); geo blocks of 7.
        let (columns, action_geo, date_added, version): (&'static [usize], _, _, _) = match format {
            Format::Gdelt1 => (&[57, 58], 49, 56, "1.0"),
            _ => (&[61], 51, 59, "2.0"),
        };
        let read =
            [0, 1, 5, 6, 7, 8, 15, 16, 17, 18, 26, 30, 31, action_geo + 1, action_geo + 2, date_added, date_added + 1];
        let wanted = read.iter().fold(0u64, |w, i| w | 1 << i);
        Gdelt { columns, action_geo, date_added, wanted, header, version }
    }

    /// True when the file starts with a header row.
    pub fn has_header(&self) -> bool {
        self.header
    }

    /// Parses a unit of a file (whole pieces).
    pub(crate) fn parse(&self, unit: Unit<'_>, lookup: &mut Lookup<'_>, _format: Format) -> Result<Parsed> {
        let mut f: [&str; 64] = [""; 64];
        let rows = Rows::new("gdelt", "gdelt:", estimate_rows(unit.bytes));
        parse_pieces(unit, rows, |_| false, |line, rows| self.row(line, &mut f, lookup, rows))
    }

    fn row<'a>(
        &self,
        line: &'a str,
        f: &mut [&'a str; 64],
        lookup: &mut Lookup<'_>,
        rows: &mut Rows,
    ) -> std::result::Result<(), String> {
        let width = some_fields(line, self.wanted, f);
        if !self.columns.contains(&width) {
            return Err(format!(
                "{} columns, a GDELT {} event row has {}",
                width,
                self.version,
                self.columns.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" or ")
            ));
        }
        let s = |i: usize| trim(f[i]);
        let opt = |i: usize| Some(s(i)).filter(|v| !v.is_empty());
        let id = s(0);
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("GLOBALEVENTID `{id}` is not a number"));
        }
        let date = Date::parse_compact(s(1)).map_err(|e| format!("SQLDATE: {e}"))?;
        let (a1, name1) = lookup.gdelt_actor(span(line, f[5], f[8]), f[5], f[7], f[8])?;
        let (a2, name2) = lookup.gdelt_actor(span(line, f[15], f[18]), f[15], f[17], f[18])?;
        let code = lookup.code(f[26]).map_err(|e| format!("EventCode: {e}"))?;
        let goldstein = match opt(30) {
            None => code.goldstein,
            Some(g) => match g.parse::<f64>() {
                Ok(v) if (-10.0..=10.0).contains(&v) => v,
                _ => return Err(format!("GoldsteinScale `{g}` is not a number in -10..10")),
            },
        };
        let mentions = match opt(31) {
            None => 1,
            Some(m) => m.parse::<u32>().map_err(|_| format!("NumMentions `{m}` is not a count"))?,
        };
        let geo = self.action_geo;
        let location_country = opt(geo + 2).map(|fips| iso_of_fips(fips).unwrap_or(fips));
        let place = lookup.gdelt_place(span(line, f[geo + 1], f[geo + 2]));
        let reported = match opt(self.date_added) {
            None => None,
            Some(d) => Some(
                d.get(..8)
                    .ok_or_else(|| format!("DATEADDED `{d}` is not a date"))
                    .and_then(|d8| Date::parse_compact(d8).map_err(|e| format!("DATEADDED: {e}")))?
                    .days(),
            ),
        };
        let doc_id = Some(self.date_added + 1).filter(|&i| i < width).map(s).filter(|u| !u.is_empty());
        let row = Row {
            id,
            id_suffix: None,
            date: date.days(),
            source: a1.as_deref(),
            target: a2.as_deref(),
            source_name: opt(6),
            target_name: opt(16),
            source_name_keys: Some(&name1.as_source),
            target_name_keys: Some(&name2.as_target),
            code: &code,
            plover: None,
            goldstein,
            mentions,
            reported,
            location_name: opt(geo + 1),
            location_country,
            place_keys: Some(&place),
            doc_id,
            sentence: None,
        };
        rows.push(&row);
        Ok(())
    }
}
