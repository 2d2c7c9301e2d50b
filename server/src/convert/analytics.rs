//! The relation analytics between messages and the core: series and shift options in, series,
//! shifts, mediators, networks and actor entries out.

use super::{count, date_from_pb, date_to_pb, kind_from_pb, kind_to_pb, number, opt_date_to_pb, some};
use crate::pb;
use detente_core::domain::actors::{Entry, Resolution};
use detente_core::relations::{Evidence, Freq, Mediator, Series, SeriesOptions, Shift, ShiftOptions};
use detente_core::{Error, NetworkPage, Result};

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

pub(super) fn evidence_to_pb(e: &Evidence) -> pb::ShiftEvidence {
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
