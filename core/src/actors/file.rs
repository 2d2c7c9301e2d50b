//! The dictionary file format: tab-separated lines `code, kind, names, from, until, office`,
//! `#` comments, an optional header line. Names are separated by `;`, the first is canonical.

use super::{Entry, Layer, NameKind, is_well_formed_code};
use crate::date::Date;
use crate::error::{Error, Location, Result};

/// Parses a dictionary file. `input` names it in errors ("actors.tsv, line 7, field `from`: …").
pub fn parse_dictionary(text: &str, input: &str, layer: Layer) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if fields[0] == "code" && fields.get(1) == Some(&"kind") {
            continue; // header
        }
        let at = |field: &str| Location::line(input, line_no).with_field(field);
        if fields.len() < 3 {
            return Err(Error::invalid_at(
                Location::line(input, line_no),
                format!("expected at least 3 tab-separated fields (code, kind, names), found {}", fields.len()),
            ));
        }
        if fields.len() > 6 {
            return Err(Error::invalid_at(
                Location::line(input, line_no),
                format!("expected at most 6 tab-separated fields, found {}", fields.len()),
            ));
        }
        let kind = NameKind::parse(fields[1]).ok_or_else(|| {
            Error::invalid_at(
                at("kind"),
                format!("unknown kind `{}` (expected country, demonym, capital, region, organisation, group, body, role, person, place, legacy or full)", fields[1]),
            )
        })?;
        let code = fields[0];
        let code_ok = match kind {
            NameKind::Role => code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
            _ => is_well_formed_code(code),
        };
        if !code_ok {
            return Err(Error::invalid_at(at("code"), format!("malformed actor code `{code}`")));
        }
        let names: Vec<String> = fields[2].split(';').map(|s| s.trim().to_string()).collect();
        if names.iter().any(String::is_empty) {
            return Err(Error::invalid_at(at("names"), "empty name (names are separated by `;`)"));
        }
        if matches!(kind, NameKind::Legacy | NameKind::Full) && (names.len() != 1 || !is_well_formed_code(&names[0])) {
            return Err(Error::invalid_at(
                at("names"),
                format!("a {} line maps to exactly one actor code, found `{}`", kind.as_str(), fields[2]),
            ));
        }
        let date = |i: usize, name: &str| -> Result<Option<Date>> {
            match fields.get(i).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Date::parse(s).map(Some).map_err(|e| match e {
                    Error::Invalid { message, .. } => Error::invalid_at(at(name), message),
                    other => other,
                }),
            }
        };
        let from = date(3, "from")?;
        let until = date(4, "until")?;
        if let (Some(f), Some(u)) = (from, until)
            && f > u
        {
            return Err(Error::invalid_at(at("until"), format!("`until` {u} is before `from` {f}")));
        }
        let office = fields.get(5).filter(|s| !s.is_empty()).map(|s| s.to_string());
        entries.push(Entry {
            code: code.to_string(),
            kind,
            names,
            from,
            until,
            office,
            layer,
            origin: format!("{input}:{line_no}"),
        });
    }
    Ok(entries)
}
