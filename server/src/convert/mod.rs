//! Protobuf ↔ core conversions. Pure functions: every rule they apply (date formats, defaults of
//! the canonical record) is the core's; bad fields come back as core errors naming the field.

mod analytics;
mod events;
pub mod negotiation;

pub use analytics::*;
pub use events::*;

use crate::pb;
use crate::proto::google::r#type::Date as GDate;
use detente_core::domain::actors::NameKind;
use detente_core::{Date, Error, Origin, Result};

pub use detente_core::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
/// Streamed events per message: default and largest.
pub const DEFAULT_CHUNK: usize = 500;
/// The largest chunk.
pub const MAX_CHUNK: usize = 5000;

pub(crate) fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub(crate) fn opt(s: Option<String>) -> Option<String> {
    s.and_then(|s| some(&s))
}

/// A page size from a request (AIP-158): 0 is the default, above the maximum is the maximum, a
/// negative size is an error naming `field`.
pub fn page_size(n: i32, field: &str, default: usize, max: usize) -> Result<usize> {
    match n {
        0 => Ok(default),
        n if n < 0 => Err(Error::invalid(field, format!("{field} must not be negative, got {n}"))),
        n => Ok((n as usize).min(max)),
    }
}

/// A core date as google.type.Date.
pub fn date_to_pb(d: Date) -> GDate {
    let (year, month, day) = d.ymd();
    GDate { year, month: month as i32, day: day as i32 }
}

pub(crate) fn opt_date_to_pb(d: Option<Date>) -> Option<GDate> {
    d.map(date_to_pb)
}

/// A google.type.Date from a request: unset (or all zeros) is `None`; a partial or impossible
/// date is an error naming `field`.
pub fn date_from_pb(d: Option<&GDate>, field: &str) -> Result<Option<Date>> {
    let Some(d) = d.filter(|d| (d.year, d.month, d.day) != (0, 0, 0)) else { return Ok(None) };
    let bad = || {
        Error::invalid(
            field,
            format!(
                "{:04}-{:02}-{:02} is not a whole calendar date (year, month and day all set)",
                d.year, d.month, d.day
            ),
        )
    };
    let (month, day) = (u32::try_from(d.month).map_err(|_| bad())?, u32::try_from(d.day).map_err(|_| bad())?);
    Date::from_ymd(d.year, month, day).map(Some).ok_or_else(bad)
}

pub(crate) fn required_date(d: Option<&GDate>, field: &str) -> Result<Date> {
    date_from_pb(d, field)?.ok_or_else(|| Error::invalid(field, format!("missing {field}")))
}

/// The core's word for a contract enum value (`ORIGIN_GDELT` → `gdelt`; UNSPECIFIED → `None`);
/// a number the contract does not define is an error naming `field`.
pub(crate) fn choice(n: i32, name: Option<&'static str>, prefix: &str, field: &str) -> Result<Option<String>> {
    let name = name.ok_or_else(|| Error::invalid(field, format!("{n} is not a value of {field}")))?;
    Ok(name.strip_prefix(prefix).filter(|w| *w != "UNSPECIFIED").map(str::to_ascii_lowercase))
}

/// The contract enum number of a core word (`gdelt` → ORIGIN_GDELT).
pub(crate) fn number<E: Into<i32> + Default>(word: &str, prefix: &str, from: impl Fn(&str) -> Option<E>) -> i32 {
    from(&format!("{prefix}{}", word.to_ascii_uppercase())).unwrap_or_default().into()
}

/// An origin from a request (unset: `None`).
pub fn origin_from_pb(n: i32, field: &str) -> Result<Option<Origin>> {
    let word = choice(n, pb::Origin::try_from(n).ok().map(|o| o.as_str_name()), "ORIGIN_", field)?;
    word.map(|w| Origin::parse(&w)).transpose()
}

/// A kind of name from a request (unset: `None`).
pub fn kind_from_pb(n: i32, field: &str) -> Result<Option<NameKind>> {
    let word = choice(n, pb::ActorKind::try_from(n).ok().map(|o| o.as_str_name()), "ACTOR_KIND_", field)?;
    word.map(|w| NameKind::from_name(&w)).transpose()
}

/// A kind of name as the contract's enum.
pub fn kind_to_pb(k: NameKind) -> i32 {
    number(k.as_str(), "ACTOR_KIND_", pb::ActorKind::from_str_name)
}

/// An import format from a request (required).
pub fn import_format_from_pb(n: i32) -> Result<detente_core::io::import::Format> {
    let word = choice(n, pb::ImportFormat::try_from(n).ok().map(|o| o.as_str_name()), "IMPORT_FORMAT_", "format")?;
    let word =
        word.ok_or_else(|| Error::invalid("format", "the format is required: gdelt1, gdelt2, icews or polecat"))?;
    detente_core::io::import::Format::parse(&word)
}

/// A count from a request: 0 is the default, a negative one is an error naming `field`.
pub fn count(n: impl Into<i64>, field: &str, default: usize) -> Result<usize> {
    match n.into() {
        0 => Ok(default),
        n if n < 0 => Err(Error::invalid(field, format!("{field} must not be negative, got {n}"))),
        n => Ok(n as usize),
    }
}

#[cfg(test)]
mod tests;
