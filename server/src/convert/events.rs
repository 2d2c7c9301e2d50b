//! Events and documents between messages and the core's records: the event with its read
//! mask, documents and their outcomes, and the event filter both ways.

use super::{choice, date_from_pb, date_to_pb, number, opt, opt_date_to_pb, origin_from_pb, required_date, some};
use crate::pb;
use detente_core::{DatePrecision, DocumentOutcome, DocumentStatus, Error, Event, EventQuery, Place, Result};

/// A field selection from a read mask (unset or empty: every field).
pub fn read_mask(mask: Option<&prost_types::FieldMask>) -> Result<Option<Vec<&'static str>>> {
    detente_core::domain::event::field_selection(mask.map_or(&[][..], |m| m.paths.as_slice()))
}

/// The canonical record as a message.
pub fn event_to_pb(e: &Event) -> pb::Event {
    pb::Event {
        id: e.id.clone(),
        date: Some(date_to_pb(e.date)),
        date_precision: number(e.date_precision.as_str(), "DATE_PRECISION_", pb::DatePrecision::from_str_name),
        source: e.source.clone(),
        target: e.target.clone(),
        source_country: e.source_country.clone(),
        target_country: e.target_country.clone(),
        source_name: e.source_name.clone(),
        target_name: e.target_name.clone(),
        source_raw: e.source_raw.clone(),
        target_raw: e.target_raw.clone(),
        code: e.code.clone(),
        root_code: e.root_code.clone(),
        directed: Some(e.directed),
        plover: e.plover.clone(),
        quad_class: u32::from(e.quad_class),
        goldstein: Some(e.goldstein),
        location: e.location.as_ref().map(|p| pb::Location {
            name: p.name.clone().unwrap_or_default(),
            country: p.country.clone().unwrap_or_default(),
        }),
        topics: e.topics.clone(),
        historical: e.historical,
        planned: e.planned,
        group: e.group.clone(),
        participants: e.participants.clone(),
        reported: opt_date_to_pb(e.reported),
        doc_id: e.doc_id.clone(),
        sentence: e.sentence,
        evidence: e.evidence.clone(),
        span: e.span.map(|[start, end]| pb::Span { start, end }),
        rule: e.rule.clone(),
        mentions: i64::from(e.mentions),
        origin: number(e.origin.as_str(), "ORIGIN_", pb::Origin::from_str_name),
    }
}

/// The record as a message with only the `fields` chosen (all when `None`).
pub fn event_to_pb_masked(e: &Event, fields: Option<&[&str]>) -> pb::Event {
    let mut m = event_to_pb(e);
    if let Some(fields) = fields {
        for name in detente_core::domain::event::FIELDS.iter().filter(|f| !fields.contains(f)) {
            clear_field(&mut m, name);
        }
    }
    m
}

/// Resets one field of the record's message to its default (unset).
pub(super) fn clear_field(m: &mut pb::Event, name: &str) {
    match name {
        "id" => m.id.clear(),
        "date" => m.date = None,
        "date_precision" => m.date_precision = 0,
        "source" => m.source = None,
        "target" => m.target = None,
        "source_country" => m.source_country = None,
        "target_country" => m.target_country = None,
        "source_name" => m.source_name = None,
        "target_name" => m.target_name = None,
        "source_raw" => m.source_raw = None,
        "target_raw" => m.target_raw = None,
        "code" => m.code.clear(),
        "root_code" => m.root_code.clear(),
        "directed" => m.directed = None,
        "plover" => m.plover = None,
        "quad_class" => m.quad_class = 0,
        "goldstein" => m.goldstein = None,
        "location" => m.location = None,
        "topics" => m.topics.clear(),
        "historical" => m.historical = false,
        "planned" => m.planned = false,
        "group" => m.group = None,
        "participants" => m.participants.clear(),
        "reported" => m.reported = None,
        "doc_id" => m.doc_id = None,
        "sentence" => m.sentence = None,
        "evidence" => m.evidence = None,
        "span" => m.span = None,
        "rule" => m.rule = None,
        "mentions" => m.mentions = 0,
        "origin" => m.origin = 0,
        _ => {}
    }
}

/// Events as messages, masked.
pub fn events_to_pb(events: &[Event], fields: Option<&[&str]>) -> Vec<pb::Event> {
    events.iter().map(|e| event_to_pb_masked(e, fields)).collect()
}

/// A message as the canonical record, before the core normalises it (derived fields filled in
/// and checked by [`detente_core::Model::add_events`]).
pub fn event_from_pb(p: pb::Event) -> Result<Event> {
    let date = required_date(p.date.as_ref(), "date")?;
    let word = choice(
        p.date_precision,
        pb::DatePrecision::try_from(p.date_precision).ok().map(|o| o.as_str_name()),
        "DATE_PRECISION_",
        "date_precision",
    )?;
    let date_precision = word.map(|w| DatePrecision::parse(&w)).transpose()?.unwrap_or_default();
    if p.quad_class > 4 {
        return Err(Error::invalid("quad_class", format!("quad_class {} is not 1, 2, 3 or 4", p.quad_class)));
    }
    let origin = origin_from_pb(p.origin, "origin")?.unwrap_or_default();
    let mentions = match p.mentions {
        0 => 1,
        n => {
            u32::try_from(n).map_err(|_| Error::invalid("mentions", format!("mentions {n} is not 1 to 4294967295")))?
        }
    };
    let location = p.location.and_then(|l| {
        let (name, country) = (some(&l.name), some(&l.country));
        (name.is_some() || country.is_some()).then_some(Place { name, country })
    });
    Ok(Event {
        id: p.id.trim().to_string(),
        date,
        date_precision,
        source: opt(p.source),
        target: opt(p.target),
        source_country: opt(p.source_country),
        target_country: opt(p.target_country),
        source_name: opt(p.source_name),
        target_name: opt(p.target_name),
        source_raw: opt(p.source_raw),
        target_raw: opt(p.target_raw),
        code: p.code,
        root_code: p.root_code.trim().to_string(),
        directed: p.directed.unwrap_or(true),
        plover: opt(p.plover),
        quad_class: p.quad_class as u8,
        goldstein: p.goldstein.unwrap_or(f64::NAN),
        location,
        topics: p.topics,
        historical: p.historical,
        planned: p.planned,
        group: opt(p.group),
        participants: p.participants,
        reported: date_from_pb(p.reported.as_ref(), "reported")?,
        doc_id: opt(p.doc_id),
        sentence: p.sentence,
        evidence: opt(p.evidence),
        span: p.span.map(|s| [s.start, s.end]),
        rule: opt(p.rule),
        mentions,
        origin,
    })
}

/// A document message as a core document (the publication date is required).
pub fn document_from_pb(p: &pb::Document) -> Result<detente_core::Document> {
    let published = required_date(p.published.as_ref(), "published")?;
    detente_core::Document::new(Some(&p.id), published, Some(&p.title), &p.text)
}

/// A core document as a message.
pub fn document_to_pb(d: &detente_core::Document) -> pb::Document {
    pb::Document {
        id: d.id.clone(),
        published: Some(date_to_pb(d.published)),
        title: d.title.clone().unwrap_or_default(),
        text: d.text.clone(),
        create_time: None,
        event_count: 0,
    }
}

/// A listed document as a message.
pub fn document_entry_to_pb(d: &detente_core::DocumentEntry) -> pb::Document {
    pb::Document {
        create_time: Some(prost_types::Timestamp { seconds: d.added, nanos: 0 }),
        event_count: d.events as i64,
        ..document_to_pb(&d.document)
    }
}

/// What an ingest did with a document, as a message.
pub fn outcome_to_pb(o: &DocumentOutcome) -> pb::DocumentOutcome {
    pb::DocumentOutcome { id: o.id.clone(), status: status_to_pb(o.status) as i32, events: o.events as i64 }
}

/// A document status as the enum of the contract.
pub fn status_to_pb(s: DocumentStatus) -> pb::DocumentStatus {
    match s {
        DocumentStatus::New => pb::DocumentStatus::New,
        DocumentStatus::Unchanged => pb::DocumentStatus::Unchanged,
        DocumentStatus::Recoded => pb::DocumentStatus::Recoded,
    }
}

/// An event filter as the core's query (page and cursor set by the caller).
pub fn query_from_pb(f: Option<pb::EventFilter>) -> Result<EventQuery> {
    let f = f.unwrap_or_default();
    let dyad = match f.dyad.as_slice() {
        [] => None,
        [a, b] => Some((a.clone(), b.clone())),
        other => return Err(Error::invalid("dyad", format!("a dyad is two actors, not {}", other.len()))),
    };
    let quads = f
        .quad_classes
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            u8::try_from(q).map_err(|_| {
                Error::invalid(format!("quad_classes[{i}]"), format!("quad class {q} is not 1, 2, 3 or 4"))
            })
        })
        .collect::<Result<Vec<u8>>>()?;
    Ok(EventQuery {
        dyad,
        actor: some(&f.actor),
        directed: f.directed,
        exact: f.exact,
        codes: f.codes,
        roots: f.roots,
        quads,
        start: date_from_pb(f.start.as_ref(), "start")?,
        end: date_from_pb(f.end.as_ref(), "end")?,
        topic: some(&f.topic),
        origin: origin_from_pb(f.origin, "origin")?,
        ids: f.ids,
        doc_id: some(&f.doc_id),
        ..Default::default()
    })
}

/// A core query's filter as a message (what a client sends; the reverse of [`query_from_pb`]).
pub fn query_to_pb(q: &EventQuery) -> pb::EventFilter {
    pb::EventFilter {
        dyad: q.dyad.iter().flat_map(|(a, b)| [a.clone(), b.clone()]).collect(),
        actor: q.actor.clone().unwrap_or_default(),
        directed: q.directed,
        exact: q.exact,
        codes: q.codes.clone(),
        roots: q.roots.clone(),
        quad_classes: q.quads.iter().map(|&n| u32::from(n)).collect(),
        start: opt_date_to_pb(q.start),
        end: opt_date_to_pb(q.end),
        topic: q.topic.clone().unwrap_or_default(),
        origin: q.origin.map_or(0, |o| number(o.as_str(), "ORIGIN_", pb::Origin::from_str_name)),
        ids: q.ids.clone(),
        doc_id: q.doc_id.clone().unwrap_or_default(),
    }
}
