//! The answers as rows: one JSON object per period, shift, mediator, node, edge, file or report,
//! with the column names every front-end shows (`detente … --format jsonl|csv|table`; the
//! meanings are in [`crate::relations::columns`]). The command line prints these rows; nothing
//! outside the core decides what a row holds. Numbers keep their full precision: a front-end
//! rounds for display.

use super::requests::{AddReport, DocumentEntry, IngestReport};
use crate::domain::actors::Entry;
use crate::io::import::FileReport;
use crate::relations::{Edge, Mediator, Node, Series, Shift};
use serde_json::{Value, json};

/// One row per period of a series; `volume` and `intensity` when it was normalised.
pub fn series_rows(s: &Series, normalized: bool) -> Vec<Value> {
    s.points
        .iter()
        .map(|p| {
            let mut v = json!({"period": p.period, "count": p.count, "quad1": p.quads[0], "quad2": p.quads[1],
                "quad3": p.quads[2], "quad4": p.quads[3], "goldstein_sum": p.goldstein_sum,
                "goldstein_mean": p.goldstein_mean, "cooperation_share": p.cooperation_share,
                "mentions": p.mentions, "score": p.score, "score_weight": p.score_weight});
            if normalized {
                v["volume"] = json!(p.volume);
                v["intensity"] = json!(p.intensity);
            }
            v
        })
        .collect()
}

/// A shift as a row; its explaining `events` whole (`full`), or as their ids (for flat formats).
pub fn shift_row(s: &Shift, full: bool) -> Value {
    let events = if full {
        serde_json::to_value(&s.events).unwrap_or(Value::Null)
    } else {
        json!(s.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
    };
    json!({"period": s.period, "direction": s.direction, "magnitude": s.magnitude, "before": s.before,
        "after": s.after, "events": events})
}

/// A mediator as a row.
pub fn mediator_row(m: &Mediator) -> Value {
    json!({"actor": m.actor, "score": m.score, "mediations": m.mediations, "offers": m.offers, "hosted": m.hosted,
        "appeals": m.appeals, "cooperation_a": m.cooperation[0], "cooperation_b": m.cooperation[1],
        "events": m.events})
}

/// A network node as a row.
pub fn node_row(n: &Node) -> Value {
    json!({"actor": n.actor, "bloc": n.bloc, "degree": n.degree, "events": n.events, "strength": n.strength,
        "centrality": n.centrality, "betweenness": n.betweenness, "constraint": n.constraint})
}

/// A network edge as a row.
pub fn edge_row(e: &Edge) -> Value {
    json!({"a": e.a, "b": e.b, "events": e.events, "goldstein_sum": e.goldstein_sum, "weight": e.weight,
        "sign": e.sign})
}

/// What an ingest did, in one row.
pub fn ingest_row(r: &IngestReport) -> Value {
    json!({"new_documents": r.new_documents, "unchanged_documents": r.unchanged_documents,
        "recoded_documents": r.recoded_documents, "events_added": r.events_added, "events_removed": r.events_removed})
}

/// What an add of events did, in one row.
pub fn add_row(r: &AddReport) -> Value {
    let s = &r.summary;
    json!({"added": s.added, "unchanged": s.unchanged, "replaced": s.replaced, "unknown_actors": r.unknown_actors})
}

/// What an import did with one file, in one row.
pub fn import_file_row(f: &FileReport) -> Value {
    json!({"file": f.file, "rows": f.rows, "added": f.added, "unchanged": f.unchanged, "duplicates": f.duplicates,
        "bad": f.bad, "already_imported": f.already_imported})
}

/// A dictionary entry as a row (`id` for the entries users added).
pub fn entry_row(e: &Entry) -> Value {
    json!({"id": e.id, "code": e.code, "kind": e.kind.as_str(), "names": e.names, "from": e.from, "until": e.until,
        "office": e.office, "origin": e.origin})
}

/// A stored document as a listing row, with its text when asked.
pub fn document_row(d: &DocumentEntry, with_text: bool) -> Value {
    let mut row = serde_json::Map::new();
    row.insert("id".into(), json!(d.document.id));
    row.insert("published".into(), json!(d.document.published));
    row.insert("title".into(), json!(d.document.title));
    if with_text {
        row.insert("text".into(), json!(d.document.text));
    }
    row.insert("events".into(), json!(d.events));
    row.insert("added".into(), json!(d.added));
    Value::Object(row)
}

/// A negotiation's pair as a row: the two actors, their codes, and their relation.
pub fn pair_relation_row(p: &super::PairRelation) -> Value {
    json!({"a": p.a, "b": p.b, "a_code": p.a_code, "b_code": p.b_code, "events": p.events,
        "last_period": p.last_period, "score": p.score})
}
