//! Protobuf ↔ core conversions. Pure functions: every rule they apply (date formats, defaults of
//! the canonical record) is the core's; bad fields come back as core errors naming the field.

use crate::pb;
use crate::proto::google::r#type::Date as GDate;
use detente_core::domain::actors::{Entry, NameKind, Resolution};
use detente_core::relations::{Evidence, Freq, Mediator, Series, SeriesOptions, Shift, ShiftOptions};
use detente_core::{
    Date, DatePrecision, DocumentOutcome, DocumentStatus, Error, Event, EventQuery, NetworkPage, Origin, Place, Result,
};

pub use detente_core::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
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

/// A core date as google.type.Date.
pub fn date_to_pb(d: Date) -> GDate {
    let (year, month, day) = d.ymd();
    GDate { year, month: month as i32, day: day as i32 }
}

fn opt_date_to_pb(d: Option<Date>) -> Option<GDate> {
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

fn required_date(d: Option<&GDate>, field: &str) -> Result<Date> {
    date_from_pb(d, field)?.ok_or_else(|| Error::invalid(field, format!("missing {field}")))
}

/// The core's word for a contract enum value (`ORIGIN_GDELT` → `gdelt`; UNSPECIFIED → `None`);
/// a number the contract does not define is an error naming `field`.
fn choice(n: i32, name: Option<&'static str>, prefix: &str, field: &str) -> Result<Option<String>> {
    let name = name.ok_or_else(|| Error::invalid(field, format!("{n} is not a value of {field}")))?;
    Ok(name.strip_prefix(prefix).filter(|w| *w != "UNSPECIFIED").map(str::to_ascii_lowercase))
}

/// The contract enum number of a core word (`gdelt` → ORIGIN_GDELT).
fn number<E: Into<i32> + Default>(word: &str, prefix: &str, from: impl Fn(&str) -> Option<E>) -> i32 {
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
fn clear_field(m: &mut pb::Event, name: &str) {
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
        start: date_from_pb(o.start.as_ref(), "start")?,
        end: date_from_pb(o.end.as_ref(), "end")?,
        directed: o.directed,
        exact: o.exact,
        drop_low_info: o.drop_low_info,
        half_life_days: o.half_life_days.unwrap_or(defaults.half_life_days),
        weight_mentions: o.weight_mentions,
        collapse: o.collapse,
        normalize: o.normalize,
    })
}

/// A count from a request: 0 is the default, a negative one is an error naming `field`.
pub fn count(n: impl Into<i64>, field: &str, default: usize) -> Result<usize> {
    match n.into() {
        0 => Ok(default),
        n if n < 0 => Err(Error::invalid(field, format!("{field} must not be negative, got {n}"))),
        n => Ok(n as usize),
    }
}

/// Change-point options from a request (0 means the default).
pub fn shift_options_from_pb(r: &pb::GetShiftsRequest) -> Result<ShiftOptions> {
    let d = ShiftOptions::default();
    Ok(ShiftOptions {
        penalty: r.penalty,
        min_size: count(r.min_size, "min_size", d.min_size)?,
        weighted: !r.unweighted,
        window: d.window,
        top_events: count(r.top_events, "top_events", d.top_events)?,
    })
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
                period: Some(date_to_pb(p.period)),
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
        date: Some(date_to_pb(e.date)),
        source: e.source.clone().unwrap_or_default(),
        target: e.target.clone().unwrap_or_default(),
        code: e.code.clone(),
        goldstein: e.goldstein,
        mentions: i64::from(e.mentions),
        weight: e.weight,
        doc_id: e.doc_id.clone().unwrap_or_default(),
        evidence: e.evidence.clone().unwrap_or_default(),
    }
}

/// A shift as a message.
pub fn shift_to_pb(s: &Shift) -> pb::Shift {
    pb::Shift {
        period: Some(date_to_pb(s.period)),
        direction: number(&s.direction, "SHIFT_DIRECTION_", pb::ShiftDirection::from_str_name),
        magnitude: s.magnitude,
        before: s.before,
        after: s.after,
        events: s.events.iter().map(evidence_to_pb).collect(),
    }
}

/// A mediator as a message, with at most `ids` of its event ids.
pub fn mediator_to_pb(m: &Mediator, ids: usize) -> pb::Mediator {
    pb::Mediator {
        actor: m.actor.clone(),
        score: m.score,
        mediations: m.mediations as i64,
        offers: m.offers as i64,
        hosted: m.hosted as i64,
        appeals: m.appeals as i64,
        cooperation_a: m.cooperation[0] as i64,
        cooperation_b: m.cooperation[1] as i64,
        event_ids: m.events.iter().take(ids).cloned().collect(),
        event_count: m.events.len() as i64,
    }
}

/// A page of the network as the response message.
pub fn network_to_pb(p: &NetworkPage) -> pb::GetNetworkResponse {
    let n = &p.network;
    pb::GetNetworkResponse {
        nodes: n
            .nodes
            .iter()
            .map(|x| pb::NetworkNode {
                actor: x.actor.clone(),
                bloc: x.bloc as i32,
                degree: x.degree as i64,
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
        triads: n.triads as i64,
        balanced_share: n.balanced_share,
        next_page_token: p.next_page_token.clone().unwrap_or_default(),
        total_size: p.total_size as i64,
    }
}

/// A resolution as the response message.
pub fn resolution_to_pb(r: &Resolution) -> pb::ResolveActorResponse {
    pb::ResolveActorResponse {
        code: r.code.clone(),
        kind: kind_to_pb(r.kind),
        name: r.name.clone(),
        office: r.office.clone().unwrap_or_default(),
        country: r.country.clone().unwrap_or_default(),
        valid_from: opt_date_to_pb(r.from),
        valid_until: opt_date_to_pb(r.until),
        origin: r.origin.clone(),
    }
}

/// A dictionary entry as a message.
pub fn entry_to_pb(e: &Entry) -> pb::ActorEntry {
    pb::ActorEntry {
        code: e.code.clone(),
        kind: kind_to_pb(e.kind),
        names: e.names.clone(),
        valid_from: opt_date_to_pb(e.from),
        valid_until: opt_date_to_pb(e.until),
        office: e.office.clone().unwrap_or_default(),
        origin: e.origin.clone(),
        id: e.id.unwrap_or_default(),
    }
}

/// A dictionary entry from a message (checked further by the core as a dictionary line is).
pub fn entry_from_pb(p: &pb::ActorEntry) -> Result<Entry> {
    let kind = kind_from_pb(p.kind, "kind")?
        .ok_or_else(|| Error::invalid("kind", "the kind is required (country, person, organisation, …)"))?;
    Ok(Entry {
        from: date_from_pb(p.valid_from.as_ref(), "valid_from")?,
        until: date_from_pb(p.valid_until.as_ref(), "valid_until")?,
        office: some(&p.office),
        ..Entry::user(p.code.trim(), kind, p.names.iter().map(|n| n.trim().to_string()).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_date() -> impl Strategy<Value = Option<GDate>> {
        proptest::option::of((any::<i32>(), -2i32..15, -2i32..40).prop_map(|(year, month, day)| GDate {
            year,
            month,
            day,
        }))
    }

    fn any_event() -> impl Strategy<Value = pb::Event> {
        let s = || proptest::option::of("\\PC{0,12}");
        (
            ("\\PC{0,12}", any_date(), any::<i32>(), s(), s()),
            ("\\PC{0,6}", "\\PC{0,3}", any::<Option<bool>>(), any::<u32>(), any::<Option<f64>>()),
            (proptest::collection::vec("\\PC{0,8}", 0..3), any::<Option<u32>>(), any::<i64>(), any::<i32>()),
            (any::<Option<(u32, u32)>>(), any_date(), s()),
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
            start in any_date(), end in any_date(), freq in any::<i32>(), quads in proptest::collection::vec(any::<u32>(), 0..3),
            half in any::<Option<f64>>(), origin in any::<i32>(),
        ) {
            let f = pb::EventFilter { dyad, start, end, quad_classes: quads, origin, ..Default::default() };
            let _ = query_from_pb(Some(f));
            let o = pb::SeriesOptions { freq, start, end, half_life_days: half, ..Default::default() };
            let _ = series_options_from_pb(Some(o));
        }

        #[test]
        fn no_document_or_entry_panics(id in "\\PC{0,8}", published in any_date(), text in "\\PC{0,40}", kind in any::<i32>()) {
            let _ = document_from_pb(&pb::Document { id, published, text, ..Default::default() });
            let _ = entry_from_pb(&pb::ActorEntry { code: "RUR".into(), kind, names: vec!["Ruritania".into()], valid_from: published, ..Default::default() });
        }
    }

    fn ymd(year: i32, month: i32, day: i32) -> Option<GDate> {
        Some(GDate { year, month, day })
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
        e.origin = Origin::Gdelt;
        e.date_precision = DatePrecision::Month;
        e.normalize(&dict).expect("normalize");
        let p = event_to_pb(&e);
        assert_eq!(p.date, ymd(2023, 5, 1), "a month's date is its first day");
        assert_eq!(p.origin, pb::Origin::Gdelt as i32);
        assert_eq!(p.date_precision, pb::DatePrecision::Month as i32);
        let mut back = event_from_pb(p).expect("back");
        back.normalize(&dict).expect("normalize");
        assert_eq!(back, e);
    }

    #[test]
    fn every_kind_and_origin_has_its_enum_value() {
        for k in [
            "country",
            "demonym",
            "capital",
            "region",
            "organisation",
            "group",
            "body",
            "role",
            "person",
            "place",
            "legacy",
            "full",
        ] {
            let kind = NameKind::from_name(k).expect("kind");
            let n = kind_to_pb(kind);
            assert_ne!(n, 0, "{k}");
            assert_eq!(kind_from_pb(n, "kind").expect("back"), Some(kind));
        }
        for o in ["coder", "gdelt", "icews", "polecat", "manual"] {
            let origin = Origin::parse(o).expect("origin");
            let n = number(origin.as_str(), "ORIGIN_", pb::Origin::from_str_name);
            assert_eq!(origin_from_pb(n, "origin").expect("back"), Some(origin));
        }
        assert_eq!(origin_from_pb(0, "origin").expect("unset"), None);
        assert_eq!(
            number("thaw", "SHIFT_DIRECTION_", pb::ShiftDirection::from_str_name),
            pb::ShiftDirection::Thaw as i32
        );
    }

    #[test]
    fn a_mask_keeps_only_the_fields_named() {
        let e = Event::new("x:1", Date::parse("2023-05-10").expect("date"), Some("TURGOV"), Some("SYRGOV"), "040")
            .expect("event");
        let fields =
            read_mask(Some(&prost_types::FieldMask { paths: vec!["id".into(), "code".into()] })).expect("mask");
        let m = event_to_pb_masked(&e, fields.as_deref());
        assert_eq!((m.id.as_str(), m.code.as_str(), m.date, m.source), ("x:1", "040", None, None));
        let bad = read_mask(Some(&prost_types::FieldMask { paths: vec!["id".into(), "colour".into()] }));
        assert_eq!(bad.err().and_then(|e| e.field().map(String::from)).as_deref(), Some("read_mask.paths[1]"));
    }

    #[test]
    fn every_field_of_the_record_can_be_masked_out() {
        let s = |x: &str| Some(x.to_string());
        let full = pb::Event {
            id: "x".into(),
            date: ymd(2023, 5, 10),
            date_precision: 1,
            source: s("TUR"),
            target: s("SYR"),
            source_country: s("TUR"),
            target_country: s("SYR"),
            source_name: s("Turkey"),
            target_name: s("Syria"),
            source_raw: s("TUR"),
            target_raw: s("SYR"),
            code: "040".into(),
            root_code: "04".into(),
            directed: Some(false),
            plover: s("CONSULT"),
            quad_class: 1,
            goldstein: Some(1.0),
            location: Some(pb::Location { name: "Moscow".into(), country: "RUS".into() }),
            topics: vec!["refugees".into()],
            historical: true,
            planned: true,
            group: s("g"),
            participants: vec!["TUR".into()],
            reported: ymd(2023, 5, 11),
            doc_id: s("d"),
            sentence: Some(1),
            evidence: s("text"),
            span: Some(pb::Span { start: 1, end: 2 }),
            rule: s("r"),
            mentions: 2,
            origin: 2,
        };
        for f in detente_core::domain::event::FIELDS {
            let mut m = full.clone();
            clear_field(&mut m, f);
            assert_ne!(m, full, "`{f}` is not cleared");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let bad = |p: pb::Event| event_from_pb(p).err().and_then(|e| e.field().map(String::from));
        assert_eq!(
            bad(pb::Event { date: ymd(2023, 13, 1), code: "040".into(), ..Default::default() }).as_deref(),
            Some("date")
        );
        assert_eq!(
            bad(pb::Event { date: ymd(2023, 2, 0), code: "040".into(), ..Default::default() }).as_deref(),
            Some("date")
        );
        assert_eq!(bad(pb::Event { code: "040".into(), ..Default::default() }).as_deref(), Some("date"));
        assert_eq!(
            bad(pb::Event { date: ymd(2023, 1, 1), reported: ymd(2023, 2, 30), ..Default::default() }).as_deref(),
            Some("reported")
        );
        assert_eq!(
            bad(pb::Event { date: ymd(2023, 1, 1), quad_class: 7, ..Default::default() }).as_deref(),
            Some("quad_class")
        );
        assert_eq!(
            bad(pb::Event { date: ymd(2023, 1, 1), origin: 42, ..Default::default() }).as_deref(),
            Some("origin")
        );
        assert_eq!(
            bad(pb::Event { date: ymd(2023, 1, 1), mentions: -1, ..Default::default() }).as_deref(),
            Some("mentions")
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
