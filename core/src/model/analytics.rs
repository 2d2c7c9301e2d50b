//! The relation analytics over the store: series, the events behind a period, shifts,
//! mediators and networks, whole or paged.

use super::Model;
use super::requests::NetworkPage;
use crate::domain::date::Date;
use crate::domain::event::Event;
use crate::error::{Error, Result};
use crate::paging::{Page, PageRequest};
use crate::relations::{Mediator, Network, Series, SeriesOptions, Shift, ShiftOptions};
use crate::store::{ActorSel, StoreView};

impl Model {
    /// The two actors of a relation, resolved: the same actor twice is an error (a relation is
    /// between two).
    pub(super) fn dyad_args(&self, a: &str, b: &str) -> Result<(ActorSel, ActorSel)> {
        let (sa, sb) = (self.actor_arg(a)?, self.actor_arg(b)?);
        if sa.code == sb.code {
            return Err(Error::invalid(
                "b",
                format!("a relation is between two actors: `{}` and `{}` are both {}", a.trim(), b.trim(), sa.code),
            ));
        }
        Ok((sa, sb))
    }

    /// The relation series of a dyad (actors as codes or names; unknown actors are an error).
    pub fn relation(&self, a: &str, b: &str, opts: &SeriesOptions) -> Result<Series> {
        let (a, b) = self.dyad_args(a, b)?;
        crate::relations::series(&self.view(), &a, &b, opts)
    }

    /// The events behind one period of a relation series.
    pub fn relation_events(&self, a: &str, b: &str, opts: &SeriesOptions, period: Date) -> Result<Vec<Event>> {
        let (a, b) = self.dyad_args(a, b)?;
        let view = self.view();
        let rows = crate::relations::series::period_rows(&view, &a, &b, opts, period);
        Ok(view.events(&rows))
    }

    /// The shifts (thaws and freezes) of a dyad's relation, with the events that explain them.
    pub fn shifts(&self, a: &str, b: &str, sopts: &SeriesOptions, opts: &ShiftOptions) -> Result<Vec<Shift>> {
        let (a, b) = self.dyad_args(a, b)?;
        let view = self.view();
        let series = crate::relations::series(&view, &a, &b, sopts)?;
        crate::relations::shifts(&view, &a, &b, &series, sopts, opts)
    }

    /// The third parties brokering between two actors over a window, strongest evidence first.
    pub fn mediators(
        &self,
        a: &str,
        b: &str,
        start: Option<Date>,
        end: Option<Date>,
        limit: usize,
    ) -> Result<Vec<Mediator>> {
        let (a, b) = self.dyad_args(a, b)?;
        Ok(crate::relations::mediators(
            &self.view(),
            &a,
            &b,
            start.unwrap_or(Date::MIN),
            end.unwrap_or(Date::MAX),
            limit,
        ))
    }

    /// The network of relations over a window.
    pub fn network(&self, start: Option<Date>, end: Option<Date>, min_events: i64) -> Result<Network> {
        Date::check_window(start, end)?;
        Ok(crate::relations::network(&self.view(), start.unwrap_or(Date::MIN), end.unwrap_or(Date::MAX), min_events))
    }

    /// The events behind one period of a relation series, in (date, storage) order, a page at a
    /// time.
    pub fn relation_events_page(
        &self,
        a: &str,
        b: &str,
        opts: &SeriesOptions,
        period: Date,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let (sa, sb) = self.dyad_args(a, b)?;
        let view = self.view();
        let rows = crate::relations::series::period_rows(&view, &sa, &sb, opts, period);
        let fp = crate::paging::fingerprint(&[
            "relation",
            &sa.code,
            &sb.code,
            &format!("{opts:?}"),
            &opts.freq.period_start(period).to_string(),
        ]);
        page_of_rows(&view, rows, fp, page)
    }

    /// The events behind one mediator's score between two actors over a window, in (date,
    /// storage) order, a page at a time (none for an actor that is not a mediator of the dyad).
    pub fn mediator_events(
        &self,
        a: &str,
        b: &str,
        start: Option<Date>,
        end: Option<Date>,
        mediator: &str,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let m = self.actor_arg(mediator)?;
        let all = self.mediators(a, b, start, end, usize::MAX)?;
        let rows = all.into_iter().find(|x| x.actor == m.country || x.actor == m.code).map(|x| x.rows);
        let window = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let fp = crate::paging::fingerprint(&["mediator", a.trim(), b.trim(), &window(start), &window(end), &m.code]);
        page_of_rows(&self.view(), rows.unwrap_or_default(), fp, page)
    }

    /// The network of relations over a window, its edges a page at a time (by their actors).
    pub fn network_page(
        &self,
        start: Option<Date>,
        end: Option<Date>,
        min_events: i64,
        page: &PageRequest,
    ) -> Result<NetworkPage> {
        let mut network = self.network(start, end, min_events)?;
        let window = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let fp = crate::paging::fingerprint(&["network", &window(start), &window(end), &min_events.to_string()]);
        let first = page.token.as_deref().is_none_or(str::is_empty);
        let mut edges = std::mem::take(&mut network.edges);
        edges.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
        let edges = page.page(edges, fp, |e| format!("{}\t{}", e.a, e.b))?;
        network.edges = edges.items;
        if !first {
            network.nodes.clear();
        }
        Ok(NetworkPage { network, next_page_token: edges.next_page_token, total_size: edges.total_size })
    }
}

/// A page of stored rows in (date, storage) order, the events built for that page only.
pub(super) fn page_of_rows(
    view: &StoreView,
    rows: Vec<u32>,
    fingerprint: u64,
    page: &PageRequest,
) -> Result<Page<Event>> {
    let mut keys: Vec<(i32, u32)> = rows.into_iter().filter_map(|r| view.row_brief(r).map(|b| (b.date, r))).collect();
    keys.sort_unstable();
    let key = |k: &(i32, u32)| crate::paging::date_row_key(k.0, k.1);
    let found = page.page(keys, fingerprint, key)?;
    let rows: Vec<u32> = found.items.iter().map(|k| k.1).collect();
    Ok(Page { items: view.events(&rows), next_page_token: found.next_page_token, total_size: found.total_size })
}

/// One pair of a negotiation's actors as the relations model sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRelation {
    /// The first actor, as the scenario names it.
    pub a: String,
    /// The second.
    pub b: String,
    /// The first actor's code, when the dictionary knows the name.
    pub a_code: Option<String>,
    /// The second's.
    pub b_code: Option<String>,
    /// Events between the two in the store.
    pub events: i64,
    /// The last period with events.
    pub last_period: Option<Date>,
    /// The relation score at that period (−10 hostile … +10 cooperative).
    pub score: Option<f64>,
}

impl Model {
    /// Every pair of a negotiation's actors with its relation: the names resolved through the
    /// dictionary (a name it does not know has no code and no relation), and the score of the
    /// pair's latest period with events under `opts`.
    pub fn negotiation_relations(
        &self,
        scenario: &crate::negotiation::Scenario,
        opts: &SeriesOptions,
    ) -> Result<Vec<PairRelation>> {
        let actors = scenario.actors();
        let codes: Vec<Option<String>> = actors.iter().map(|a| self.resolve(a, None).ok().map(|r| r.code)).collect();
        let mut pairs = Vec::new();
        for i in 0..actors.len() {
            for j in i + 1..actors.len() {
                let (mut events, mut last_period, mut score) = (0, None, None);
                if let (Some(_), Some(_)) = (&codes[i], &codes[j])
                    && let Ok(series) = self.relation(&actors[i], &actors[j], opts)
                {
                    events = series.points.iter().map(|p| p.count).sum();
                    if let Some(p) = series.points.iter().rev().find(|p| p.count > 0) {
                        (last_period, score) = (Some(p.period), Some(p.score));
                    }
                }
                pairs.push(PairRelation {
                    a: actors[i].clone(),
                    b: actors[j].clone(),
                    a_code: codes[i].clone(),
                    b_code: codes[j].clone(),
                    events,
                    last_period,
                    score,
                });
            }
        }
        Ok(pairs)
    }
}
