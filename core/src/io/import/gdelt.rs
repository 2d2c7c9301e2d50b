//! GDELT 1.0 and 2.0 event exports: tab-separated, no header (one is tolerated), 57/58 or 61
//! columns. Only the columns an event needs are parsed: the id, the event date, both actors
//! (code, name, country, known group), the event code, Goldstein, NumMentions, the action's
//! place (FIPS 10-4 country mapped to ISO), DATEADDED as `reported` and SOURCEURL as `doc_id`.

use super::lookup::{Lookup, iso_of_fips};
use super::{Format, Parsed, Row, Rows, Unit, estimate_rows, parse_pieces, some_fields, trim};
use crate::domain::date::Date;
use crate::error::Result;

/// The text of `line` from the start of field `first` to the end of field `last` (both sliced
/// from `line`).
fn span<'a>(line: &'a str, first: &str, last: &str) -> &'a str {
    let at = |s: &str| (s.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    line.get(at(first)..at(last) + last.len()).unwrap_or(line)
}

/// What the rows before gave, which the next rows often repeat: an article's events share their
/// dates (69% of rows repeat the row before in the benchmark file), and Goldstein takes a few
/// dozen values. Parsing them again is a few percent of an import.
struct Recent {
    /// SQLDATE's 8 bytes and its day.
    date: (u64, i32),
    /// DATEADDED's first 8 bytes and its day.
    added: (u64, i32),
    /// Goldstein texts (packed with their length) and values, by a hash of the text.
    goldstein: [(u64, f64); 64],
}

impl Default for Recent {
    fn default() -> Self {
        // Key 0 is no date (eight NUL bytes) and no Goldstein text (an empty one, never looked up).
        Recent { date: (0, 0), added: (0, 0), goldstein: [(0, 0.0); 64] }
    }
}

/// The day of an 8-byte `YYYYMMDD` text, from `slot` when it holds the same text.
fn day_of(slot: &mut (u64, i32), text: &str) -> Result<i32, crate::error::Error> {
    let key = <[u8; 8]>::try_from(text.as_bytes()).map(u64::from_le_bytes).unwrap_or(0);
    if key != 0 && slot.0 == key {
        return Ok(slot.1);
    }
    let day = Date::parse_compact(text)?.days();
    *slot = (key, day);
    Ok(day)
}

/// A Goldstein value in -10..10 from its text, remembered by its text when that is short.
fn goldstein_of(recent: &mut [(u64, f64); 64], text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let key = (b.len() <= 7).then(|| {
        let mut k = [0u8; 8];
        k[..b.len()].copy_from_slice(b);
        k[7] = b.len() as u8;
        u64::from_le_bytes(k)
    });
    let slot = key.map(|k| (k, (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize));
    if let Some((k, i)) = slot
        && recent[i].0 == k
    {
        return Some(recent[i].1);
    }
    let v = text.parse::<f64>().ok().filter(|v| (-10.0..=10.0).contains(v))?;
    if let Some((k, i)) = slot {
        recent[i] = (k, v);
    }
    Some(v)
}

/// Column positions of one GDELT version.
pub(crate) struct Gdelt {
    columns: &'static [usize],
    action_geo: usize,
    date_added: usize,
    /// The fields read, one bit each.
    wanted: u64,
    header: bool,
    version: &'static str,
}

impl Gdelt {
    /// A reader of `format`, noticing a header row by its content: its first field is
    /// `GLOBALEVENTID` (any case, spaces around). Any other first line is a row (a bad one if it
    /// is junk), so a row is never lost as a header.
    pub(crate) fn new(format: Format, first_line: &[u8]) -> Gdelt {
        let first = first_line.split(|&b| b == b'\t').next().unwrap_or(b"");
        let header = first.trim_ascii().eq_ignore_ascii_case(b"GLOBALEVENTID");
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
    pub(crate) fn has_header(&self) -> bool {
        self.header
    }

    /// Parses a unit of a file (whole pieces).
    pub(crate) fn parse(&self, unit: Unit<'_>, lookup: &mut Lookup<'_>, _format: Format) -> Result<Parsed> {
        let mut f: [&str; 64] = [""; 64];
        let mut recent = Recent::default();
        let rows = Rows::new("gdelt", "gdelt:", estimate_rows(unit.bytes));
        parse_pieces(unit, rows, |_| false, |line, rows| self.row(line, &mut f, &mut recent, lookup, rows))
    }

    fn row<'a>(
        &self,
        line: &'a str,
        f: &mut [&'a str; 64],
        recent: &mut Recent,
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
        let date = day_of(&mut recent.date, s(1)).map_err(|e| format!("SQLDATE: {e}"))?;
        let (a1, name1) = lookup.gdelt_actor(span(line, f[5], f[8]), f[5], f[7], f[8])?;
        let (a2, name2) = lookup.gdelt_actor(span(line, f[15], f[18]), f[15], f[17], f[18])?;
        let code = lookup.code(f[26]).map_err(|e| format!("EventCode: {e}"))?;
        let goldstein = match opt(30) {
            None => code.goldstein,
            Some(g) => goldstein_of(&mut recent.goldstein, g)
                .ok_or_else(|| format!("GoldsteinScale `{g}` is not a number in -10..10"))?,
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
                    .and_then(|d8| day_of(&mut recent.added, d8).map_err(|e| format!("DATEADDED: {e}")))?,
            ),
        };
        let doc_id = Some(self.date_added + 1).filter(|&i| i < width).map(s).filter(|u| !u.is_empty());
        let row = Row {
            id,
            id_suffix: None,
            date,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_dates_and_goldstein_values_are_the_parsed_ones() {
        let mut r = Recent::default();
        let may10 = Date::parse_compact("20230510").map(Date::days).ok();
        assert_eq!(day_of(&mut r.date, "20230510").ok(), may10);
        assert_eq!(day_of(&mut r.date, "20230510").ok(), may10, "remembered");
        assert_eq!(day_of(&mut r.date, "20230511").ok(), may10.map(|d| d + 1));
        // A bad date after good ones is still bad, and leaves the good one remembered.
        assert!(day_of(&mut r.date, "20231340").is_err());
        assert!(day_of(&mut r.date, "2023051").is_err());
        assert!(day_of(&mut r.date, "\0\0\0\0\0\0\0\0").is_err());
        assert_eq!(day_of(&mut r.date, "20230511").ok(), may10.map(|d| d + 1));

        let g = &mut r.goldstein;
        for (text, want) in
            [("1.0", Some(1.0)), ("-10.0", Some(-10.0)), ("1.0", Some(1.0)), ("10.5", None), ("abc", None)]
        {
            assert_eq!(goldstein_of(g, text), want, "{text}");
        }
        // Texts that share a prefix or a slot are told apart by their length and bytes.
        assert_eq!(goldstein_of(g, "1"), Some(1.0));
        assert_eq!(goldstein_of(g, "1.00000000001"), Some(1.00000000001));
        assert_eq!(goldstein_of(g, "NaN"), None);
        assert_eq!(goldstein_of(g, "-2.8"), Some(-2.8));
        assert_eq!(goldstein_of(g, "-2.8"), Some(-2.8));
    }
}
