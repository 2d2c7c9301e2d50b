//! The relation answers as Arrow tables (for the Python module, and for exports): one row per
//! series period, shift, mediator, network node or edge. Dates are Arrow dates; lists stay lists.

use super::{Mediator, Network, Series, Shift};
use crate::error::{Error, Result};
use arrow_array::builder::{ListBuilder, StringBuilder, StructBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int8Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Fields};
use std::sync::Arc;

fn batch(cols: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    RecordBatch::try_from_iter(cols.into_iter().map(|(n, a)| (n.to_string(), a)))
        .map_err(|e| Error::Internal(format!("arrow: {e}")))
}

fn f64s(v: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(v))
}

fn i64s(v: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(v))
}

fn dates(v: impl Iterator<Item = i32>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(v))
}

fn strings<'a>(v: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(v))
}

fn string_lists<'a>(rows: impl Iterator<Item = &'a [String]>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for row in rows {
        for s in row {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

impl Series {
    /// One row per period: period (date), count, quad1..quad4, goldstein_sum, goldstein_mean,
    /// cooperation_share, mentions, goldstein_mentions_sum, score, volume, intensity.
    pub fn to_batch(&self) -> Result<RecordBatch> {
        let p = &self.points;
        batch(vec![
            ("period", dates(p.iter().map(|x| x.period.days()))),
            ("count", i64s(p.iter().map(|x| x.count))),
            ("quad1", i64s(p.iter().map(|x| x.quads[0]))),
            ("quad2", i64s(p.iter().map(|x| x.quads[1]))),
            ("quad3", i64s(p.iter().map(|x| x.quads[2]))),
            ("quad4", i64s(p.iter().map(|x| x.quads[3]))),
            ("goldstein_sum", f64s(p.iter().map(|x| x.goldstein_sum))),
            ("goldstein_mean", f64s(p.iter().map(|x| x.goldstein_mean))),
            ("cooperation_share", f64s(p.iter().map(|x| x.cooperation_share))),
            ("mentions", i64s(p.iter().map(|x| x.mentions))),
            ("goldstein_mentions_sum", f64s(p.iter().map(|x| x.goldstein_mentions_sum))),
            ("score", f64s(p.iter().map(|x| x.score))),
            ("score_weight", f64s(p.iter().map(|x| x.score_weight))),
            ("volume", i64s(p.iter().map(|x| x.volume))),
            ("intensity", f64s(p.iter().map(|x| x.intensity))),
        ])
    }
}

/// Shifts as a table: period, direction, magnitude, before, after, and `events`, a list of
/// structs {id, date, source, target, code, goldstein, mentions, weight, doc_id, evidence},
/// strongest first.
pub fn shifts_to_batch(shifts: &[Shift]) -> Result<RecordBatch> {
    let fields = Fields::from(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("source", DataType::Utf8, true),
        Field::new("target", DataType::Utf8, true),
        Field::new("code", DataType::Utf8, false),
        Field::new("goldstein", DataType::Float64, false),
        Field::new("mentions", DataType::UInt32, false),
        Field::new("weight", DataType::Float64, false),
        Field::new("doc_id", DataType::Utf8, true),
        Field::new("evidence", DataType::Utf8, true),
    ]);
    let mut events = ListBuilder::new(StructBuilder::from_fields(fields.clone(), 0));
    for s in shifts {
        let sb = events.values();
        for e in &s.events {
            macro_rules! field {
                ($i:expr, $t:ty) => {
                    sb.field_builder::<$t>($i).ok_or_else(|| Error::Internal("shift table builder".into()))?
                };
            }
            field!(0, StringBuilder).append_value(&e.id);
            field!(1, arrow_array::builder::Date32Builder).append_value(e.date.days());
            field!(2, StringBuilder).append_option(e.source.as_deref());
            field!(3, StringBuilder).append_option(e.target.as_deref());
            field!(4, StringBuilder).append_value(&e.code);
            field!(5, arrow_array::builder::Float64Builder).append_value(e.goldstein);
            field!(6, arrow_array::builder::UInt32Builder).append_value(e.mentions);
            field!(7, arrow_array::builder::Float64Builder).append_value(e.weight);
            field!(8, StringBuilder).append_option(e.doc_id.as_deref());
            field!(9, StringBuilder).append_option(e.evidence.as_deref());
            sb.append(true);
        }
        events.append(true);
    }
    batch(vec![
        ("period", dates(shifts.iter().map(|s| s.period.days()))),
        ("direction", strings(shifts.iter().map(|s| s.direction.as_str()))),
        ("magnitude", f64s(shifts.iter().map(|s| s.magnitude))),
        ("before", f64s(shifts.iter().map(|s| s.before))),
        ("after", f64s(shifts.iter().map(|s| s.after))),
        ("events", Arc::new(events.finish())),
    ])
}

/// Mediators as a table: actor, score, mediations, offers, hosted, appeals, cooperation_a,
/// cooperation_b, and `events` (the ids behind the score).
pub fn mediators_to_batch(mediators: &[Mediator]) -> Result<RecordBatch> {
    let u = |f: fn(&Mediator) -> usize| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(mediators.iter().map(|m| f(m) as u32)))
    };
    batch(vec![
        ("actor", strings(mediators.iter().map(|m| m.actor.as_str()))),
        ("score", f64s(mediators.iter().map(|m| m.score))),
        ("mediations", u(|m| m.mediations)),
        ("offers", u(|m| m.offers)),
        ("hosted", u(|m| m.hosted)),
        ("appeals", u(|m| m.appeals)),
        ("cooperation_a", u(|m| m.cooperation[0])),
        ("cooperation_b", u(|m| m.cooperation[1])),
        ("events", string_lists(mediators.iter().map(|m| m.events.as_slice()))),
    ])
}

impl Network {
    /// The nodes table: actor, bloc, degree, events, strength, centrality, betweenness, constraint.
    pub fn nodes_batch(&self) -> Result<RecordBatch> {
        let n = &self.nodes;
        batch(vec![
            ("actor", strings(n.iter().map(|x| x.actor.as_str()))),
            ("bloc", Arc::new(UInt32Array::from_iter_values(n.iter().map(|x| x.bloc as u32)))),
            ("degree", Arc::new(UInt32Array::from_iter_values(n.iter().map(|x| x.degree as u32)))),
            ("events", i64s(n.iter().map(|x| x.events))),
            ("strength", f64s(n.iter().map(|x| x.strength))),
            ("centrality", f64s(n.iter().map(|x| x.centrality))),
            ("betweenness", f64s(n.iter().map(|x| x.betweenness))),
            ("constraint", f64s(n.iter().map(|x| x.constraint))),
        ])
    }

    /// The edges table: a, b, events, goldstein_sum, weight, sign, positive.
    pub fn edges_batch(&self) -> Result<RecordBatch> {
        let e = &self.edges;
        batch(vec![
            ("a", strings(e.iter().map(|x| x.a.as_str()))),
            ("b", strings(e.iter().map(|x| x.b.as_str()))),
            ("events", i64s(e.iter().map(|x| x.events))),
            ("goldstein_sum", f64s(e.iter().map(|x| x.goldstein_sum))),
            ("weight", f64s(e.iter().map(|x| x.weight))),
            ("sign", Arc::new(Int8Array::from_iter_values(e.iter().map(|x| x.sign)))),
            ("positive", Arc::new(BooleanArray::from_iter(e.iter().map(|x| Some(x.sign > 0))))),
        ])
    }
}

/// Dictionary entries as a table: code, kind, names (list), from, until, office, origin.
pub fn entries_to_batch(entries: &[crate::domain::actors::Entry]) -> Result<RecordBatch> {
    let opt_dates = |f: fn(&crate::domain::actors::Entry) -> Option<crate::Date>| -> ArrayRef {
        Arc::new(Date32Array::from_iter(entries.iter().map(|e| f(e).map(|d| d.days()))))
    };
    batch(vec![
        ("code", strings(entries.iter().map(|e| e.code.as_str()))),
        ("kind", strings(entries.iter().map(|e| e.kind.as_str()))),
        ("names", string_lists(entries.iter().map(|e| e.names.as_slice()))),
        ("from", opt_dates(|e| e.from)),
        ("until", opt_dates(|e| e.until)),
        ("office", Arc::new(StringArray::from_iter(entries.iter().map(|e| e.office.as_deref())))),
        ("origin", strings(entries.iter().map(|e| e.origin.as_str()))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relations::{Freq, SeriesOptions};
    use crate::{AddOptions, Date, Event, Model, ModelOptions};

    #[test]
    fn answers_become_tables() {
        let m = Model::in_memory(&ModelOptions::default()).expect("model");
        let d = |s: &str| Date::parse(s).expect("date");
        let ev =
            |id: &str, date: &str, s: &str, t: &str, c: &str| Event::new(id, d(date), Some(s), Some(t), c).expect("e");
        m.add_events(
            vec![
                ev("a", "2023-01-10", "TURGOV", "SYRGOV", "057"),
                ev("b", "2023-03-10", "TURGOV", "SYRGOV", "190"),
                ev("c", "2023-03-11", "RUSGOV", "TURGOV", "043"),
            ],
            &AddOptions::default(),
        )
        .expect("add");
        let s = m.relation("TUR", "SYR", &SeriesOptions { freq: Freq::Month, ..Default::default() }).expect("series");
        let b = s.to_batch().expect("batch");
        assert_eq!((b.num_rows(), b.schema().field(0).data_type()), (3, &DataType::Date32));
        let net = m.network(None, None, 1).expect("net");
        assert_eq!(net.edges_batch().expect("edges").num_rows(), 2);
        assert_eq!(net.nodes_batch().expect("nodes").num_rows(), 3);
        let shifts = m
            .shifts(
                "TUR",
                "SYR",
                &SeriesOptions::default(),
                &crate::relations::ShiftOptions { penalty: Some(0.1), min_size: 1, ..Default::default() },
            )
            .expect("shifts");
        let t = shifts_to_batch(&shifts).expect("shifts table");
        assert_eq!(t.num_rows(), shifts.len());
        let meds = m.mediators("TUR", "SYR", None, None, 5).expect("mediators");
        assert_eq!(mediators_to_batch(&meds).expect("table").num_rows(), meds.len());
    }
}
