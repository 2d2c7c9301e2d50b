//! The dictionary file format: tab-separated lines `code, kind, names, from, until, office`,
//! `#` comments, an optional header line. Names are separated by `;`, the first is canonical.

use super::{Entry, Layer, NameKind, is_well_formed_code};
use crate::domain::date::Date;
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
        let names: Vec<String> = fields[2].split(';').map(|s| s.trim().to_string()).collect();
        let date = |i: usize, name: &str| -> Result<Option<Date>> {
            match fields.get(i).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Date::parse(s).map(Some).map_err(|e| match e {
                    Error::Invalid { message, .. } => Error::invalid_at(at(name), message),
                    other => other,
                }),
            }
        };
        let entry = Entry {
            code: fields[0].to_string(),
            kind,
            names,
            from: date(3, "from")?,
            until: date(4, "until")?,
            office: fields.get(5).filter(|s| !s.is_empty()).map(|s| s.to_string()),
            layer,
            origin: format!("{input}:{line_no}"),
            id: None,
        };
        entries.push(check_entry(entry).map_err(|e| e.at(input, line_no))?);
    }
    Ok(entries)
}

/// Checks an entry's rules, whoever wrote it (a dictionary line, a request): a code well formed
/// for its kind, names present and free of tabs, line breaks and U+001F (a request's names may
/// hold `;`, which separates them in files), one
/// code for a legacy or full line, `from` not after `until`. Errors name the field.
pub fn check_entry(entry: Entry) -> Result<Entry> {
    let code = entry.code.as_str();
    let code_ok = match entry.kind {
        NameKind::Role => code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
        _ => is_well_formed_code(code),
    };
    if !code_ok {
        return Err(Error::invalid("code", format!("malformed actor code `{code}`")));
    }
    if entry.names.is_empty() {
        return Err(Error::invalid("names", "no names (in a file, names are separated by `;`)"));
    }
    for (i, n) in entry.names.iter().enumerate() {
        if n.trim().is_empty() {
            return Err(Error::invalid(format!("names[{i}]"), "empty name (in a file, names are separated by `;`)"));
        }
        // The store ends names with U+001F, files split lines at tabs and line breaks.
        if n.contains(['\u{1f}', '\t', '\n', '\r']) {
            return Err(Error::invalid(
                format!("names[{i}]"),
                format!("a name cannot hold a tab, a line break or U+001F: {n:?}"),
            ));
        }
    }
    if matches!(entry.kind, NameKind::Legacy | NameKind::Full)
        && (entry.names.len() != 1 || !is_well_formed_code(&entry.names[0]))
    {
        return Err(Error::invalid(
            "names",
            format!(
                "a {} line maps to exactly one actor code, found `{}`",
                entry.kind.as_str(),
                entry.names.join("; ")
            ),
        ));
    }
    if let (Some(f), Some(u)) = (entry.from, entry.until)
        && f > u
    {
        return Err(Error::invalid("until", format!("`until` {u} is before `from` {f}")));
    }
    Ok(entry)
}
