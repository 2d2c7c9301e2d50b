//! A record's fields as they come, from a JSON object or a flattened CSV row, read into an
//! [`Event`] with each error naming its field.

use super::{CSV_COLUMNS, Event, FIELDS, Origin, Place};
use crate::domain::date::{Date, DatePrecision};
use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Field access shared by the JSON, CSV and table readers.
pub(crate) trait Fields {
    fn str(&self, name: &str) -> Result<Option<String>>;
    fn bool(&self, name: &str) -> Result<Option<bool>>;
    fn f64(&self, name: &str) -> Result<Option<f64>>;
    fn u64(&self, name: &str) -> Result<Option<u64>>;
    fn list(&self, name: &str) -> Result<Vec<String>>;
    fn location(&self) -> Result<Option<Place>>;
    fn span(&self) -> Result<Option<[u32; 2]>>;
    fn unknown_field(&self) -> Option<String>;
}

pub(crate) fn from_fields(f: &dyn Fields) -> Result<Event> {
    if let Some(extra) = f.unknown_field() {
        return Err(Error::invalid(extra.clone(), format!("unknown field `{extra}`")));
    }
    let date_s = f.str("date")?.ok_or_else(|| Error::invalid("date", "missing date"))?;
    let date = Date::parse(&date_s)?;
    let date_precision = f.str("date_precision")?.map(|p| DatePrecision::parse(&p)).transpose()?.unwrap_or_default();
    let code = f.str("code")?.ok_or_else(|| Error::invalid("code", "missing code"))?;
    let origin = f.str("origin")?.map(|o| Origin::parse(&o)).transpose()?.unwrap_or_default();
    let reported = f.str("reported")?.map(|r| Date::parse(&r).map_err(|e| e.in_field("reported"))).transpose()?;
    let quad_class = match f.u64("quad_class")? {
        Some(q @ 1..=4) => q as u8,
        Some(q) => return Err(Error::invalid("quad_class", format!("quad_class {q} is not 1, 2, 3 or 4"))),
        None => 0,
    };
    let mentions = match f.u64("mentions")? {
        Some(m) if m <= u32::MAX as u64 => m as u32,
        Some(m) => return Err(Error::invalid("mentions", format!("mentions {m} is too large"))),
        None => 1,
    };
    let sentence = match f.u64("sentence")? {
        Some(s) if s <= u32::MAX as u64 => Some(s as u32),
        Some(s) => return Err(Error::invalid("sentence", format!("sentence {s} is too large"))),
        None => None,
    };
    Ok(Event {
        id: f.str("id")?.unwrap_or_default(),
        date,
        date_precision,
        source: f.str("source")?,
        target: f.str("target")?,
        source_country: f.str("source_country")?,
        target_country: f.str("target_country")?,
        source_name: f.str("source_name")?,
        target_name: f.str("target_name")?,
        source_raw: f.str("source_raw")?,
        target_raw: f.str("target_raw")?,
        code,
        root_code: f.str("root_code")?.unwrap_or_default(),
        directed: f.bool("directed")?.unwrap_or(true),
        plover: f.str("plover")?,
        quad_class,
        goldstein: f.f64("goldstein")?.unwrap_or(f64::NAN),
        location: f.location()?,
        topics: f.list("topics")?,
        historical: f.bool("historical")?.unwrap_or(false),
        planned: f.bool("planned")?.unwrap_or(false),
        group: f.str("group")?,
        participants: f.list("participants")?,
        reported,
        doc_id: f.str("doc_id")?,
        sentence,
        evidence: f.str("evidence")?,
        span: f.span()?,
        rule: f.str("rule")?,
        mentions,
        origin,
    })
}

pub(super) struct JsonFields<'a>(pub(super) &'a Map<String, Value>);

impl Fields for JsonFields<'_> {
    fn str(&self, name: &str) -> Result<Option<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // Codes written as numbers lose their leading zeros: refuse rather than guess.
            Some(other) => Err(Error::invalid(name, format!("expected a string, found {other}"))),
        }
    }
    fn bool(&self, name: &str) -> Result<Option<bool>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::invalid(name, format!("expected true or false, found {other}"))),
        }
    }
    fn f64(&self, name: &str) -> Result<Option<f64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(|| Error::invalid(name, "not a number")),
            Some(other) => Err(Error::invalid(name, format!("expected a number, found {other}"))),
        }
    }
    fn u64(&self, name: &str) -> Result<Option<u64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| Error::invalid(name, format!("expected a non-negative integer, found {n}"))),
            Some(other) => Err(Error::invalid(name, format!("expected an integer, found {other}"))),
        }
    }
    fn list(&self, name: &str) -> Result<Vec<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(Error::invalid(name, format!("expected a list of strings, found {other}"))),
                })
                .collect(),
            Some(other) => Err(Error::invalid(name, format!("expected a list of strings, found {other}"))),
        }
    }
    fn location(&self) -> Result<Option<Place>> {
        match self.0.get("location") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => {
                let inner = JsonFields(o);
                if let Some(k) = o.keys().find(|k| *k != "name" && *k != "country") {
                    return Err(Error::invalid("location", format!("unknown field `location.{k}`")));
                }
                Ok(Some(Place {
                    name: inner.str("name").map_err(|e| e.in_field("location"))?,
                    country: inner.str("country").map_err(|e| e.in_field("location"))?,
                }))
            }
            Some(other) => Err(Error::invalid("location", format!("expected {{name, country}}, found {other}"))),
        }
    }
    fn span(&self) -> Result<Option<[u32; 2]>> {
        match self.0.get("span") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) if a.len() == 2 => {
                let n = |v: &Value| v.as_u64().filter(|x| *x <= u32::MAX as u64).map(|x| x as u32);
                match (n(&a[0]), n(&a[1])) {
                    (Some(s), Some(e)) => Ok(Some([s, e])),
                    _ => Err(Error::invalid("span", "expected [start, end] as non-negative integers")),
                }
            }
            Some(other) => Err(Error::invalid("span", format!("expected [start, end], found {other}"))),
        }
    }
    fn unknown_field(&self) -> Option<String> {
        self.0.keys().find(|k| !FIELDS.contains(&k.as_str())).cloned()
    }
}

pub(super) struct CsvFields<'a> {
    pub(super) header: &'a [String],
    pub(super) row: &'a csv::StringRecord,
}

impl CsvFields<'_> {
    fn raw(&self, name: &str) -> Option<&str> {
        let i = self.header.iter().position(|h| h == name)?;
        self.row.get(i).map(str::trim).filter(|s| !s.is_empty())
    }
}

impl Fields for CsvFields<'_> {
    fn str(&self, name: &str) -> Result<Option<String>> {
        Ok(self.raw(name).map(String::from))
    }
    fn bool(&self, name: &str) -> Result<Option<bool>> {
        match self.raw(name) {
            None => Ok(None),
            Some("true" | "True" | "TRUE" | "1") => Ok(Some(true)),
            Some("false" | "False" | "FALSE" | "0") => Ok(Some(false)),
            Some(other) => Err(Error::invalid(name, format!("expected true or false, found `{other}`"))),
        }
    }
    fn f64(&self, name: &str) -> Result<Option<f64>> {
        self.raw(name)
            .map(|s| s.parse::<f64>().map_err(|_| Error::invalid(name, format!("`{s}` is not a number"))))
            .transpose()
    }
    fn u64(&self, name: &str) -> Result<Option<u64>> {
        self.raw(name)
            .map(|s| s.parse::<u64>().map_err(|_| Error::invalid(name, format!("`{s}` is not a non-negative integer"))))
            .transpose()
    }
    fn list(&self, name: &str) -> Result<Vec<String>> {
        Ok(self
            .raw(name)
            .map(|s| s.split(';').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default())
    }
    fn location(&self) -> Result<Option<Place>> {
        let name = self.str("location_name")?;
        let country = self.str("location_country")?;
        Ok((name.is_some() || country.is_some()).then_some(Place { name, country }))
    }
    fn span(&self) -> Result<Option<[u32; 2]>> {
        match (self.u64("span_start")?, self.u64("span_end")?) {
            (None, None) => Ok(None),
            (Some(s), Some(e)) if s <= u32::MAX as u64 && e <= u32::MAX as u64 => Ok(Some([s as u32, e as u32])),
            _ => Err(Error::invalid("span", "span_start and span_end must both be given")),
        }
    }
    fn unknown_field(&self) -> Option<String> {
        self.header.iter().find(|h| !CSV_COLUMNS.contains(&h.as_str())).cloned()
    }
}
