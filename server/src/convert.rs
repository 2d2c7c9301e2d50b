//! Protobuf ↔ core conversions. Pure functions: every rule they apply (date formats, defaults of
//! the canonical record) is the core's; bad fields come back as core errors naming the field.

use crate::pb;
use detente_core::actors::{Entry, Layer, NameKind, Resolution};
use detente_core::relations::{Evidence, Freq, Mediator, Network, Series, SeriesOptions, Shift, ShiftOptions};
use detente_core::{
    Date, DatePrecision, DocumentOutcome, DocumentStatus, Error, Event, EventQuery, Origin, Place, Result,
};

/// Listings' default page size.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Listings' largest page size (larger requests are lowered to it).
pub const MAX_PAGE_SIZE: usize = 1000;
/// Streamed events per message: default and largest.
pub const DEFAULT_CHUNK: usize = 500;
/// The largest chunk.
pub const MAX_CHUNK: usize = 5000;

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn opt(s: Option<String>) -> Option<String> {
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

/// The canonical record as a message.
pub fn event_to_pb(e: &Event) -> pb::Event {
    pb::Event {
        id: e.id.clone(),
        date: e.date.to_string(),
        date_precision: e.date_precision.as_str().into(),
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
        reported: e.reported.map(|d| d.to_string()).unwrap_or_default(),
        doc_id: e.doc_id.clone(),
        sentence: e.sentence,
        evidence: e.evidence.clone(),
        span: e.span.map(|[start, end]| pb::Span { start, end }),
        rule: e.rule.clone(),
        mentions: e.mentions,
        origin: e.origin.as_str().into(),
    }
}

/// A message as the canonical record, before the core normalises it (derived fields filled in
/// and checked by [`detente_core::Model::add_events`]).
pub fn event_from_pb(p: pb::Event) -> Result<Event> {
    let date = Date::parse_field(&p.date, "date")?.ok_or_else(|| Error::invalid("date", "missing date"))?;
    let date_precision = match some(&p.date_precision) {
        Some(s) => DatePrecision::parse(&s)?,
        None => DatePrecision::default(),
    };
    if p.quad_class > 4 {
        return Err(Error::invalid("quad_class", format!("quad_class {} is not 1, 2, 3 or 4", p.quad_class)));
    }
    let origin = match some(&p.origin) {
        Some(o) => Origin::parse(&o)?,
        None => Origin::default(),
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
        reported: Date::parse_field(&p.reported, "reported")?,
        doc_id: opt(p.doc_id),
        sentence: p.sentence,
        evidence: opt(p.evidence),
        span: p.span.map(|s| [s.start, s.end]),
        rule: opt(p.rule),
        mentions: p.mentions.max(1),
        origin,
    })
}

/// A document message as a core document (the publication date is required).
pub fn document_from_pb(p: &pb::Document) -> Result<detente_core::Document> {
    let published = Date::parse_field(&p.published, "published")?
        .ok_or_else(|| Error::invalid("published", "missing publication date (YYYY-MM-DD)"))?;
    detente_core::Document::new(Some(&p.id), published, Some(&p.title), &p.text)
}

/// A core document as a message.
pub fn document_to_pb(d: &detente_core::Document) -> pb::Document {
    pb::Document {
        id: d.id.clone(),
        published: d.published.to_string(),
        title: d.title.clone().unwrap_or_default(),
        text: d.text.clone(),
    }
}

/// What an ingest did with a document, as a message.
pub fn outcome_to_pb(o: &DocumentOutcome) -> pb::DocumentOutcome {
    pb::DocumentOutcome { id: o.id.clone(), status: status_to_pb(o.status) as i32, events: o.events as u32 }
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
        start: Date::parse_field(&f.start, "start")?,
        end: Date::parse_field(&f.end, "end")?,
        topic: some(&f.topic),
        origin: some(&f.origin).map(|o| Origin::parse(&o)).transpose()?,
        ids: f.ids,
        doc_id: some(&f.doc_id),
        limit: None,
        cursor: None,
        collapse: false,
    })
}

/// Series options from a message (unset fields take the core's defaults).
pub fn series_options_from_pb(o: Option<pb::SeriesOptions>) -> Result<SeriesOptions> {
    let o = o.unwrap_or_default();
    let freq = match pb::Frequency::try_from(o.freq) {
        Ok(pb::Frequency::Unspecified | pb::Frequency::Month) => Freq::Month,
        Ok(pb::Frequency::Day) => Freq::Day,
        Ok(pb::Frequency::Week) => Freq::Week,
        Ok(pb::Frequency::Quarter) => Freq::Quarter,
        Ok(pb::Frequency::Year) => Freq::Year,
        Err(_) => return Err(Error::invalid("freq", format!("{} is not a frequency", o.freq))),
    };
    let defaults = SeriesOptions::default();
    Ok(SeriesOptions {
        freq,
        start: Date::parse_field(&o.start, "start")?,
        end: Date::parse_field(&o.end, "end")?,
        directed: o.directed,
        exact: o.exact,
        drop_low_info: o.drop_low_info,
        half_life_days: o.half_life_days.unwrap_or(defaults.half_life_days),
        weight_mentions: o.weight_mentions,
        collapse: o.collapse,
        normalize: o.normalize,
    })
}

/// Change-point options from a request (0 means the default).
pub fn shift_options_from_pb(r: &pb::GetShiftsRequest) -> ShiftOptions {
    let d = ShiftOptions::default();
    ShiftOptions {
        penalty: r.penalty,
        min_size: if r.min_size == 0 { d.min_size } else { r.min_size as usize },
        weighted: !r.unweighted,
        window: d.window,
        top_events: if r.top_events == 0 { d.top_events } else { r.top_events as usize },
    }
}

/// A series as the response message.
pub fn series_to_pb(s: &Series) -> pb::GetRelationResponse {
    pb::GetRelationResponse {
        a: s.a.clone(),
        b: s.b.clone(),
        points: s
            .points
            .iter()
            .map(|p| pb::SeriesPoint {
                period: p.period.to_string(),
                count: p.count,
                quad1: p.quads[0],
                quad2: p.quads[1],
                quad3: p.quads[2],
                quad4: p.quads[3],
                goldstein_sum: p.goldstein_sum,
                goldstein_mean: p.goldstein_mean,
                cooperation_share: p.cooperation_share,
                mentions: p.mentions,
                goldstein_mentions_sum: p.goldstein_mentions_sum,
                score: p.score,
                score_weight: p.score_weight,
                volume: p.volume,
                intensity: p.intensity,
            })
            .collect(),
    }
}

fn evidence_to_pb(e: &Evidence) -> pb::ShiftEvidence {
    pb::ShiftEvidence {
        id: e.id.clone(),
        date: e.date.to_string(),
        source: e.source.clone().unwrap_or_default(),
        target: e.target.clone().unwrap_or_default(),
        code: e.code.clone(),
        goldstein: e.goldstein,
        mentions: e.mentions,
        weight: e.weight,
        doc_id: e.doc_id.clone().unwrap_or_default(),
        evidence: e.evidence.clone().unwrap_or_default(),
    }
}

/// A shift as a message.
pub fn shift_to_pb(s: &Shift) -> pb::Shift {
    pb::Shift {
        period: s.period.to_string(),
        direction: s.direction.clone(),
        magnitude: s.magnitude,
        before: s.before,
        after: s.after,
        events: s.events.iter().map(evidence_to_pb).collect(),
    }
}

/// A mediator as a message.
pub fn mediator_to_pb(m: &Mediator) -> pb::Mediator {
    pb::Mediator {
        actor: m.actor.clone(),
        score: m.score,
        mediations: m.mediations as u32,
        offers: m.offers as u32,
        hosted: m.hosted as u32,
        appeals: m.appeals as u32,
        cooperation_a: m.cooperation[0] as u32,
        cooperation_b: m.cooperation[1] as u32,
        events: m.events.clone(),
    }
}

/// The network as the response message.
pub fn network_to_pb(n: &Network) -> pb::GetNetworkResponse {
    pb::GetNetworkResponse {
        nodes: n
            .nodes
            .iter()
            .map(|x| pb::NetworkNode {
                actor: x.actor.clone(),
                bloc: x.bloc as u32,
                degree: x.degree as u32,
                events: x.events,
                strength: x.strength,
                centrality: x.centrality,
                betweenness: x.betweenness,
                constraint: x.constraint,
            })
            .collect(),
        edges: n
            .edges
            .iter()
            .map(|e| pb::NetworkEdge {
                a: e.a.clone(),
                b: e.b.clone(),
                events: e.events,
                goldstein_sum: e.goldstein_sum,
                weight: e.weight,
                sign: i32::from(e.sign),
            })
            .collect(),
        modularity: n.modularity,
        triads: n.triads as u32,
        balanced_share: n.balanced_share,
    }
}

/// A resolution as the response message.
pub fn resolution_to_pb(r: &Resolution) -> pb::ResolveActorResponse {
    pb::ResolveActorResponse {
        code: r.code.clone(),
        kind: r.kind.as_str().into(),
        name: r.name.clone(),
        office: r.office.clone().unwrap_or_default(),
        country: r.country.clone().unwrap_or_default(),
        from: r.from.map(|d| d.to_string()).unwrap_or_default(),
        until: r.until.map(|d| d.to_string()).unwrap_or_default(),
        origin: r.origin.clone(),
    }
}

/// A dictionary entry as a message.
pub fn entry_to_pb(e: &Entry) -> pb::ActorEntry {
    pb::ActorEntry {
        code: e.code.clone(),
        kind: e.kind.as_str().into(),
        names: e.names.clone(),
        from: e.from.map(|d| d.to_string()).unwrap_or_default(),
        until: e.until.map(|d| d.to_string()).unwrap_or_default(),
        office: e.office.clone().unwrap_or_default(),
        origin: e.origin.clone(),
    }
}

/// A dictionary entry from a message (checked further by the core as a dictionary line is).
pub fn entry_from_pb(p: &pb::ActorEntry) -> Result<Entry> {
    Ok(Entry {
        code: p.code.trim().to_string(),
        kind: NameKind::from_name(&p.kind)?,
        names: p.names.iter().map(|n| n.trim().to_string()).collect(),
        from: Date::parse_field(&p.from, "from")?,
        until: Date::parse_field(&p.until, "until")?,
        office: some(&p.office),
        layer: Layer::Store,
        origin: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_event() -> impl Strategy<Value = pb::Event> {
        let s = || proptest::option::of("\\PC{0,12}");
        (
            ("\\PC{0,12}", "\\PC{0,12}", "\\PC{0,6}", s(), s()),
            ("\\PC{0,6}", "\\PC{0,3}", any::<Option<bool>>(), any::<u32>(), any::<Option<f64>>()),
            (proptest::collection::vec("\\PC{0,8}", 0..3), any::<Option<u32>>(), any::<u32>(), "\\PC{0,8}"),
            (any::<Option<(u32, u32)>>(), "\\PC{0,12}", s()),
        )
            .prop_map(|(a, b, c, d)| pb::Event {
                id: a.0,
                date: a.1,
                date_precision: a.2,
                source: a.3,
                target: a.4,
                code: b.0,
                root_code: b.1,
                directed: b.2,
                quad_class: b.3,
                goldstein: b.4,
                topics: c.0,
                sentence: c.1,
                mentions: c.2,
                origin: c.3,
                span: d.0.map(|(start, end)| pb::Span { start, end }),
                reported: d.1,
                plover: d.2,
                ..Default::default()
            })
    }

    proptest! {
        // Whatever a client sends, conversion and the core's checks answer without panicking.
        #[test]
        fn no_event_message_panics(p in any_event()) {
            let dict = detente_core::Dictionary::builtin();
            if let Ok(mut e) = event_from_pb(p) {
                let _ = e.normalize(&dict);
            }
        }

        #[test]
        fn no_filter_or_options_panic(
            dyad in proptest::collection::vec("\\PC{0,8}", 0..4),
            start in "\\PC{0,12}", end in "[0-9-]{0,10}", freq in any::<i32>(), quads in proptest::collection::vec(any::<u32>(), 0..3),
            half in any::<Option<f64>>(), origin in "\\PC{0,8}",
        ) {
            let f = pb::EventFilter { dyad, start: start.clone(), end: end.clone(), quad_classes: quads, origin, ..Default::default() };
            let _ = query_from_pb(Some(f));
            let o = pb::SeriesOptions { freq, start, end, half_life_days: half, ..Default::default() };
            let _ = series_options_from_pb(Some(o));
        }

        #[test]
        fn no_document_or_entry_panics(id in "\\PC{0,8}", published in "\\PC{0,12}", text in "\\PC{0,40}", kind in "\\PC{0,10}") {
            let _ = document_from_pb(&pb::Document { id, published: published.clone(), title: String::new(), text });
            let _ = entry_from_pb(&pb::ActorEntry { code: "RUR".into(), kind, names: vec!["Ruritania".into()], from: published, ..Default::default() });
        }
    }

    #[test]
    fn an_event_survives_the_round_trip() {
        let dict = detente_core::Dictionary::builtin();
        let mut e = Event::new("x:1", Date::parse("2023-05-10").expect("date"), Some("TURGOV"), Some("SYRGOV"), "040")
            .expect("event");
        e.directed = false;
        e.topics = vec!["refugees".into()];
        e.location = Some(Place { name: Some("Moscow".into()), country: Some("RUS".into()) });
        e.span = Some([3, 40]);
        e.normalize(&dict).expect("normalize");
        let mut back = event_from_pb(event_to_pb(&e)).expect("back");
        back.normalize(&dict).expect("normalize");
        assert_eq!(back, e);
    }

    #[test]
    fn bad_fields_are_named() {
        let bad = |p: pb::Event| event_from_pb(p).err().and_then(|e| e.field().map(String::from));
        assert_eq!(
            bad(pb::Event { date: "2023-13-01".into(), code: "040".into(), ..Default::default() }).as_deref(),
            Some("date")
        );
        assert_eq!(
            bad(pb::Event { date: "2023-01-01".into(), reported: "yesterday".into(), ..Default::default() }).as_deref(),
            Some("reported")
        );
        assert_eq!(
            bad(pb::Event { date: "2023-01-01".into(), quad_class: 7, ..Default::default() }).as_deref(),
            Some("quad_class")
        );
        let f = pb::EventFilter { dyad: vec!["TUR".into()], ..Default::default() };
        assert_eq!(query_from_pb(Some(f)).err().and_then(|e| e.field().map(String::from)).as_deref(), Some("dyad"));
        let o = pb::SeriesOptions { freq: 99, ..Default::default() };
        assert_eq!(
            series_options_from_pb(Some(o)).err().and_then(|e| e.field().map(String::from)).as_deref(),
            Some("freq")
        );
    }
}
