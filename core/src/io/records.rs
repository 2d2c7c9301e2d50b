//! Reading canonical event records from files: JSON Lines, or the flattened CSV form. Every
//! error names the input and the line.

use crate::domain::event::Event;
use crate::error::{Error, Location, Result};
use serde_json::{Map, Value};
use std::io::BufRead;

/// The text formats events are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordFormat {
    /// One JSON object per line (blank lines ignored).
    #[default]
    JsonLines,
    /// CSV with a header row of the record's flattened column names (`CSV_COLUMNS`).
    Csv,
}

/// Events read from an input, each with its 1-based line number.
#[derive(Debug, Default)]
pub struct Records {
    /// The events, not yet normalised.
    pub events: Vec<Event>,
    /// The line each came from.
    pub lines: Vec<u64>,
}

/// A JSON row as the flattened CSV form writes it: nested objects as `parent_child` columns,
/// a two-item `span` as `span_start` and `span_end`, other lists joined with `;`. The one
/// flattening: exports write events with it, the command line prints every row with it.
pub fn flatten_row(row: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in row {
        match v {
            Value::Object(inner) => {
                for (ik, iv) in inner {
                    out.insert(format!("{k}_{ik}"), iv.clone());
                }
            }
            Value::Array(items) if k == "span" && items.len() == 2 => {
                out.insert("span_start".into(), items[0].clone());
                out.insert("span_end".into(), items[1].clone());
            }
            Value::Array(items) => {
                let joined = items.iter().map(cell_text).collect::<Vec<_>>().join(";");
                out.insert(k.clone(), Value::String(joined));
            }
            other => {
                out.insert(k.clone(), other.clone());
            }
        }
    }
    out
}

/// A value as one CSV cell: null as empty, a string as it is, anything else as JSON.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One event in the flattened CSV form, in [`CSV_COLUMNS`](crate::domain::event::CSV_COLUMNS) order: the cells [`flatten_row`]
/// gives its JSON form, written straight from the fields (an export writes millions of them; a
/// JSON value per event made exports three times slower). Numbers are formatted as JSON
/// formats them, so the two agree (the CLI tests hold the listing's CSV and the export's byte
/// for byte).
pub fn csv_fields(e: &Event) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let loc = e.location.as_ref();
    vec![
        e.id.clone(),
        e.date.to_string(),
        e.date_precision.as_str().into(),
        o(&e.source),
        o(&e.target),
        o(&e.source_country),
        o(&e.target_country),
        o(&e.source_name),
        o(&e.target_name),
        o(&e.source_raw),
        o(&e.target_raw),
        e.code.clone(),
        e.root_code.clone(),
        e.directed.to_string(),
        o(&e.plover),
        e.quad_class.to_string(),
        serde_json::Number::from_f64(e.goldstein).map(|n| n.to_string()).unwrap_or_default(),
        loc.and_then(|l| l.name.clone()).unwrap_or_default(),
        loc.and_then(|l| l.country.clone()).unwrap_or_default(),
        e.topics.join(";"),
        e.historical.to_string(),
        e.planned.to_string(),
        o(&e.group),
        e.participants.join(";"),
        e.reported.map(|d| d.to_string()).unwrap_or_default(),
        o(&e.doc_id),
        e.sentence.map(|s| s.to_string()).unwrap_or_default(),
        o(&e.evidence),
        e.span.map(|s| s[0].to_string()).unwrap_or_default(),
        e.span.map(|s| s[1].to_string()).unwrap_or_default(),
        o(&e.rule),
        e.mentions.to_string(),
        e.origin.as_str().into(),
    ]
}

/// Reads every record of an input. `input` names it in errors; `progress` is called with the
/// number of bytes read so far, now and then.
pub fn read_records(
    mut reader: impl BufRead,
    format: RecordFormat,
    input: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<Records> {
    let mut out = Records::default();
    let at = |line: u64| Location::line(input, line);
    match format {
        RecordFormat::JsonLines => {
            let mut buf = Vec::new();
            let mut line = 0u64;
            let mut bytes = 0u64;
            loop {
                buf.clear();
                let n = reader.read_until(b'\n', &mut buf).map_err(|e| Error::io(input, e))?;
                if n == 0 {
                    break;
                }
                line += 1;
                bytes += n as u64;
                if line.is_multiple_of(8192) {
                    progress(bytes);
                }
                let text = std::str::from_utf8(&buf)
                    .map_err(|_| Error::invalid_at(at(line), "the line is not valid UTF-8"))?;
                if text.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| Error::invalid_at(at(line), format!("malformed JSON (column {}): {e}", e.column())))?;
                let event = Event::from_json(&value).map_err(|e| e.at(input, line))?;
                out.events.push(event);
                out.lines.push(line);
            }
            progress(bytes);
        }
        RecordFormat::Csv => {
            let mut r = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
            let header: Vec<String> = r
                .headers()
                .map_err(|e| Error::invalid_at(at(1), format!("malformed CSV header: {e}")))?
                .iter()
                .map(|h| h.trim().to_string())
                .collect();
            let mut record = csv::StringRecord::new();
            loop {
                let more = r.read_record(&mut record).map_err(|e| {
                    let line = e.position().map_or(0, |p| p.line());
                    Error::invalid_at(at(line), format!("malformed CSV: {e}"))
                })?;
                if !more {
                    break;
                }
                let line = record.position().map_or(0, |p| p.line());
                let event = Event::from_csv(&header, &record).map_err(|e| e.at(input, line))?;
                out.events.push(event);
                out.lines.push(line);
                if line.is_multiple_of(8192) {
                    progress(record.position().map_or(0, |p| p.byte()));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::CSV_COLUMNS;

    #[test]
    fn a_malformed_line_is_named() {
        let text = "{\"id\":\"a\",\"date\":\"2023-05-10\",\"code\":\"040\"}\n\n{\"id\":\"b\",\"date\":\"2023-05-10\",\"code\":\"040\"\n";
        let e = read_records(text.as_bytes(), RecordFormat::JsonLines, "x.jsonl", &mut |_| {}).unwrap_err();
        assert!(e.to_string().starts_with("x.jsonl, line 3: malformed JSON"), "{e}");
        let text = "{\"id\":\"a\",\"date\":\"2023-05-10\",\"code\":\"040\"}\n{\"id\":\"b\",\"date\":\"2023-05-32\",\"code\":\"040\"}\n";
        let e = read_records(text.as_bytes(), RecordFormat::JsonLines, "x.jsonl", &mut |_| {}).unwrap_err();
        assert_eq!(e.field(), Some("date"));
        assert!(e.to_string().starts_with("x.jsonl, line 2, field `date`"), "{e}");
    }

    #[test]
    fn csv_rows() {
        let text = "id,date,source,target,code,topics,location_name,location_country,span_start,span_end\n\
                    a,2023-05-10,TURGOV,SYRGOV,040,refugees;trade,Moscow,RUS,3,9\n";
        let r = read_records(text.as_bytes(), RecordFormat::Csv, "x.csv", &mut |_| {}).expect("csv");
        let e = &r.events[0];
        assert_eq!(e.topics, ["refugees", "trade"]);
        assert_eq!(e.location.as_ref().and_then(|l| l.name.as_deref()), Some("Moscow"));
        assert_eq!(e.span, Some([3, 9]));
        assert_eq!(r.lines, [2]);
        let bad = "id,date,code,colour\na,2023-05-10,040,red\n";
        let e = read_records(bad.as_bytes(), RecordFormat::Csv, "x.csv", &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("line 2") && e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn an_events_csv_cells_are_its_json_form_flattened() {
        // Every field the flattening touches: a place, a span, lists, a whole Goldstein value.
        let rich = Event::from_json(&serde_json::json!({
            "id": "manual:moscow-1", "date": "2023-05-10", "source": "TURGOV", "target": "SYRGOV", "code": "043",
            "location": {"name": "Moscow", "country": "RUS"}, "topics": ["refugees", "security"],
            "participants": ["TUR", "SYR", "RUS", "IRN"], "group": "g1", "span": [0, 96], "sentence": 0,
            "evidence": "Cavusoglu met Mekdad in Moscow.", "goldstein": -10.0, "reported": "2023-05-11",
        }))
        .expect("event");
        let plain = Event::from_json(&serde_json::json!({"id": "x", "date": "2022-11-20", "code": "195"})).expect("e");
        for e in [rich, plain] {
            let json = e.to_json();
            let flat = flatten_row(json.as_object().expect("object"));
            let from_json: Vec<String> =
                CSV_COLUMNS.iter().map(|c| flat.get(*c).map(cell_text).unwrap_or_default()).collect();
            assert_eq!(csv_fields(&e), from_json);
        }
    }
}
