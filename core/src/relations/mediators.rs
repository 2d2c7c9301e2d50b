//! Mediators of a dyad: third parties ranked by the evidence that they broker between the two.
//!
//! **Score** of a third party X for the dyad A–B over the window:
//!
//! `score = 5·M·b + 2·O + 3·H + 1·P + 0.5·ln(1 + min(C_A, C_B))·h`
//!
//! * `M` mediation events (045) from X toward A or B; `b = 1.5` when X mediated toward both
//!   sides, else 1;
//! * `O` offers to mediate or calls to accept mediation (039, 028) from X toward A or B;
//! * `H` meetings X hosted that both sides attended: groups in which X hosted (043) both A and
//!   B, or consultations between A and B held in X's country;
//! * `P` appeals (root 02) from X, counted only when X appealed to both sides;
//! * `C_A`, `C_B` X's cooperative events (QuadClass 1–2, either direction) with A and with B;
//!   counted (`h = 1`) only while the dyad is hostile (mean Goldstein below 0 over the window) or
//!   improving (second half of the window above the first).
//!
//! Counts are events, not mentions, so that a widely reported act does not outweigh several
//! acts. Every mediator lists the ids of the events behind its score.

use super::series::dyad_rows;
use crate::domain::date::Date;
use crate::store::{ActorSel, StoreView};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Mediators an answer lists unless asked for more or fewer.
pub const DEFAULT_LIMIT: usize = 10;

/// A third party and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mediator {
    /// Country or organisation code.
    pub actor: String,
    /// The score (see the module documentation).
    pub score: f64,
    /// Mediation events toward A or B.
    pub mediations: usize,
    /// Offers to mediate and calls to accept mediation.
    pub offers: usize,
    /// Meetings hosted that both sides attended.
    pub hosted: usize,
    /// Appeals to both sides.
    pub appeals: usize,
    /// Cooperative events with A and with B.
    pub cooperation: [usize; 2],
    /// Ids of the events behind the score, sorted.
    pub events: Vec<String>,
    /// Their rows in the store, in (date, storage) order.
    #[serde(skip)]
    pub rows: Vec<u32>,
}

#[derive(Default)]
struct Tally {
    med: [usize; 2],
    offers: usize,
    hosted_groups: BTreeSet<String>,
    hosts: BTreeMap<String, [bool; 2]>,
    appeals: [usize; 2],
    coop: [usize; 2],
    /// Rows of the events behind the score, and of the cooperation that counts when it does.
    events: BTreeSet<u32>,
    coop_events: BTreeSet<u32>,
}

/// Ranks the third parties of a dyad (countries) over `[from, to]`.
pub fn mediators(view: &StoreView, a: &ActorSel, b: &ActorSel, from: Date, to: Date, limit: usize) -> Vec<Mediator> {
    let sides = [a.country.as_str(), b.country.as_str()];
    // Candidates: actors with events with both sides.
    let partners = |c: &str| -> BTreeSet<String> {
        view.dyads_of(c)
            .into_iter()
            .map(|(s, t)| if s == c { t.to_string() } else { s.to_string() })
            .filter(|x| !x.is_empty())
            .collect()
    };
    let (pa, pb) = (partners(sides[0]), partners(sides[1]));
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for x in pa.intersection(&pb) {
        if sides.contains(&x.as_str()) {
            continue;
        }
        let xs = ActorSel { country: x.clone(), code: x.clone() };
        let t = tallies.entry(x.clone()).or_default();
        for (k, side) in [a, b].iter().enumerate() {
            for (_, r) in dyad_rows(view, &xs, side, false, false, from, to) {
                let Some(e) = view.row_brief(r) else { continue };
                if e.planned {
                    continue;
                }
                let from_x = e.source_country == Some(x.as_str());
                if from_x && e.code == "045" {
                    t.med[k] += 1;
                    t.events.insert(r);
                } else if from_x && (e.code == "039" || e.code == "028") {
                    t.offers += 1;
                    t.events.insert(r);
                } else if from_x && e.code == "043" {
                    if let Some(g) = e.group {
                        t.hosts.entry(g.to_string()).or_default()[k] = true;
                        t.events.insert(r);
                    }
                } else if from_x && e.root == 2 {
                    t.appeals[k] += 1;
                    t.events.insert(r);
                }
                if e.quad <= 2 {
                    t.coop[k] += 1;
                    t.coop_events.insert(r);
                }
            }
        }
    }
    // Consultations between A and B held in a third country: its host brokered the meeting.
    for (_, r) in dyad_rows(view, a, b, false, false, from, to) {
        let Some(e) = view.event(r) else { continue };
        if e.planned || e.root_code != "04" || e.directed {
            continue;
        }
        let Some(host) = e.location.as_ref().and_then(|l| l.country.clone()) else { continue };
        if sides.contains(&host.as_str()) {
            continue;
        }
        let t = tallies.entry(host.clone()).or_default();
        let key = e.group.clone().unwrap_or_else(|| e.id.clone());
        t.hosted_groups.insert(key);
        t.events.insert(r);
    }
    // Is the dyad hostile or improving over the window?
    let goldstein: Vec<(i32, f64)> = dyad_rows(view, a, b, false, false, from, to)
        .into_iter()
        .filter_map(|(d, r)| view.row_brief(r).filter(|x| !x.planned).map(|x| (d, x.goldstein)))
        .collect();
    let mean = |v: &[(i32, f64)]| if v.is_empty() { 0.0 } else { v.iter().map(|x| x.1).sum::<f64>() / v.len() as f64 };
    let half = goldstein.len() / 2;
    let hostile_or_improving = !goldstein.is_empty()
        && (mean(&goldstein) < 0.0 || (half > 0 && mean(&goldstein[half..]) > mean(&goldstein[..half])));
    let mut out: Vec<Mediator> = tallies
        .into_iter()
        .map(|(actor, t)| {
            // A meeting counts once, whether seen through the host's visits or its place.
            let mut meetings = t.hosted_groups.clone();
            meetings.extend(t.hosts.iter().filter(|(_, s)| s[0] && s[1]).map(|(g, _)| g.clone()));
            let hosted = meetings.len();
            let med = t.med[0] + t.med[1];
            let both = if t.med[0] > 0 && t.med[1] > 0 { 1.5 } else { 1.0 };
            let appeals = if t.appeals[0] > 0 && t.appeals[1] > 0 { t.appeals[0] + t.appeals[1] } else { 0 };
            let coop = if hostile_or_improving { 0.5 * (1.0 + t.coop[0].min(t.coop[1]) as f64).ln() } else { 0.0 };
            let score = 5.0 * med as f64 * both + 2.0 * t.offers as f64 + 3.0 * hosted as f64 + appeals as f64 + coop;
            let mut rows = t.events;
            if coop > 0.0 {
                rows.extend(t.coop_events);
            }
            // Ids only for the mediators kept, below.
            let rows = rows.into_iter().collect();
            Mediator {
                actor,
                score,
                mediations: med,
                offers: t.offers,
                hosted,
                appeals,
                cooperation: t.coop,
                events: Vec::new(),
                rows,
            }
        })
        .filter(|m| m.score > 0.0)
        .collect();
    out.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.actor.cmp(&y.actor)));
    out.truncate(limit);
    for m in &mut out {
        m.rows.sort_by_key(|&r| (view.row_brief(r).map_or(i32::MIN, |b| b.date), r));
        m.events = m.rows.iter().filter_map(|&r| view.row_id(r).map(str::to_string)).collect();
        m.events.sort();
    }
    out
}

/// Mediators from aggregates that travelled (a Spark or Dask job's).
impl crate::aggregates::AggregateSet {
    /// Refused, always: a mediator's score rests on what per-dyad sums by root do not keep —
    /// exact codes (045 mediation, 039 and 028 offers, 043 hosting), which meetings shared a group
    /// or a host country, and the ids of the events behind it. Ask a Model of the events (bring
    /// them back with `add_events` or `import parquet`).
    pub fn mediators(&self) -> crate::Result<Vec<Mediator>> {
        Err(crate::Error::invalid(
            "mediators",
            "mediators need the events (exact codes, groups, places and ids), which aggregates do not keep: \
             ask a Model of the events",
        ))
    }
}
