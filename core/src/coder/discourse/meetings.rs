//! Multilateral meetings and mediations: one group per act with its full party list, the
//! host's hosting events toward each visiting party.

use crate::coder::engine::CodedSentence;
use crate::domain::event::Event;
use crate::domain::taxonomy::taxonomy;
use std::collections::HashMap;
use xxhash_rust::xxh3::Xxh3;

/// A multilateral meeting (or mediation) found in the document.
#[derive(Debug, Clone)]
pub(super) struct Meeting {
    pub(super) group: String,
    /// Indexes of its events in the document's list.
    pub(super) events: Vec<usize>,
}

/// Gives the events of one multilateral act a shared group and the full party list, and adds
/// the host's hosting events toward each visiting party.
pub(super) fn group_sentence(
    doc_id: &str,
    s: &CodedSentence,
    first: usize,
    events: &mut Vec<Event>,
    meetings: &mut Vec<Meeting>,
) {
    let mut by_match: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut k = first;
    for e in &s.events {
        if taxonomy().get(&e.code).is_err() {
            continue;
        }
        by_match.entry(e.match_id).or_default().push(k);
        k += 1;
    }
    let mut ids: Vec<usize> = by_match.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let idx = &by_match[&id];
        let first_ev = &events[idx[0]];
        let consult = first_ev.root_code == "04" && !first_ev.directed;
        let mediation = first_ev.code == "045" && idx.len() >= 2;
        if !consult && !mediation {
            continue;
        }
        let kind = if consult { "meeting" } else { "mediation" };
        let group = format!("{doc_id}#{kind}{}", meetings.len() + 1);
        let mut parties: Vec<String> = Vec::new();
        for &i in idx {
            for p in [&events[i].source, &events[i].target].into_iter().flatten() {
                if !parties.contains(p) {
                    parties.push(p.clone());
                }
            }
        }
        for &i in idx {
            events[i].group = Some(group.clone());
            events[i].participants = parties.clone();
        }
        let mut members = idx.clone();
        // The host (the meeting place's country) hosts every visiting party.
        if consult {
            let template = events[idx[0]].clone();
            if let Some(host) = template.location.as_ref().and_then(|l| l.country.clone()) {
                let host_actor = parties.iter().find(|p| p.starts_with(&host)).cloned().unwrap_or_else(|| host.clone());
                if let Ok(code) = taxonomy().get("043") {
                    for p in &parties {
                        if p.starts_with(&host) {
                            continue;
                        }
                        let mut h = Xxh3::new();
                        h.update(group.as_bytes());
                        h.update(p.as_bytes());
                        let mut ev = template.clone();
                        ev.id = format!("coder:{:016x}", h.digest());
                        ev.source = Some(host_actor.clone());
                        ev.source_country = Some(host.clone());
                        ev.source_name = template.location.as_ref().and_then(|l| l.name.clone());
                        ev.target = Some(p.clone());
                        ev.target_country = Some(p[..3.min(p.len())].to_string());
                        ev.target_name = None;
                        ev.code = code.code.clone();
                        ev.root_code = code.root().to_string();
                        ev.directed = true;
                        ev.plover = code.plover.as_ref().map(|x| x.event.clone());
                        ev.goldstein = code.goldstein_gdelt;
                        ev.rule = Some("coder:host-of-meeting".into());
                        events.push(ev);
                        members.push(events.len() - 1);
                    }
                }
            }
        }
        meetings.push(Meeting { group, events: members });
    }
}

/// A hosting event without a target in a sentence about a meeting becomes one hosting event
/// toward each party of the last meeting reported as news.
pub(super) fn expand_hosting(events: &mut Vec<Event>, first: usize, meetings: &[Meeting], doc_id: &str) {
    let current =
        meetings.iter().rev().find(|m| m.group.contains("#meeting") && m.events.iter().all(|&i| !events[i].historical));
    let Some(meeting) = current else { return };
    let Some(&anchor) = meeting.events.first() else { return };
    let parties = events[anchor].participants.clone();
    let group = meeting.group.clone();
    let hosts: Vec<usize> =
        (first..events.len()).filter(|&i| events[i].code == "043" && events[i].target.is_none()).collect();
    let mut added = Vec::new();
    for &i in &hosts {
        let host_country = events[i].source_country.clone();
        for p in &parties {
            if host_country.as_deref().is_some_and(|h| p.starts_with(h)) {
                continue;
            }
            let mut ev = events[i].clone();
            let mut h = Xxh3::new();
            for part in [doc_id, ev.id.as_str(), p.as_str()] {
                h.update(part.as_bytes());
            }
            ev.id = format!("coder:{:016x}", h.digest());
            ev.target = Some(p.clone());
            ev.target_country = Some(p[..3.min(p.len())].to_string());
            ev.group = Some(group.clone());
            ev.participants = parties.clone();
            ev.date = events[anchor].date;
            ev.date_precision = events[anchor].date_precision;
            ev.location = events[anchor].location.clone();
            added.push(ev);
        }
    }
    if !added.is_empty() {
        let mut k = 0;
        events.retain(|_| {
            let keep = !hosts.contains(&k);
            k += 1;
            keep
        });
        events.extend(added);
    }
}

/// Adds a sentence's topics to the events of the last meeting reported as news, else of the
/// last one at all.
pub(super) fn share_topics(events: &mut [Event], meetings: &[Meeting], topics: &[String]) {
    // The last meeting reported as news, else the last one at all.
    let current =
        meetings.iter().rev().find(|m| m.group.contains("#meeting") && m.events.iter().all(|&i| !events[i].historical));
    if let Some(m) = current.or_else(|| meetings.iter().rev().find(|m| m.group.contains("#meeting"))) {
        for &i in &m.events {
            for t in topics {
                if !events[i].topics.contains(t) {
                    events[i].topics.push(t.clone());
                }
            }
        }
    }
}
