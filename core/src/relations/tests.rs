use super::*;
use crate::{AddOptions, Date, Event, Model, ModelOptions};

fn model() -> Model {
    Model::in_memory(&ModelOptions::default()).expect("model")
}

fn ev(id: &str, date: Date, s: &str, t: &str, code: &str) -> Event {
    Event::new(id, date, Some(s), Some(t), code).expect("event")
}

fn d(s: &str) -> Date {
    Date::parse(s).expect("date")
}

/// Monthly events TUR→SYR: cooperative before a freeze month, hostile after, noisy.
fn add_with_change(m: &Model, change_month: usize, months: usize) {
    let coop = ["057", "043", "036", "051", "040"];
    let hostile = ["111", "112", "190", "163", "173"];
    let mut events = Vec::new();
    let mut seed = 3u64;
    for i in 0..months {
        let (y, mo) = (2018 + (i / 12) as i32, (i % 12) as u32 + 1);
        for k in 0..6 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let set = if i < change_month { &coop } else { &hostile };
            let code = set[(seed % 5) as usize];
            let date = Date::from_ymd(y, mo, 1 + k as u32 * 4).expect("date");
            events.push(ev(&format!("s{i}-{k}"), date, "TURGOV", "SYRGOV", code));
        }
    }
    m.add_events(events, &AddOptions::default()).expect("add");
}

#[test]
fn series_has_every_period_and_counts_symmetric_events_once() {
    let m = model();
    let mut sym = ev("m1", d("2023-05-10"), "TURGOV", "SYRGOV", "040");
    sym.directed = false;
    m.add_events(
        vec![sym, ev("a", d("2023-03-02"), "SYRMIL", "TURMIL", "190"), ev("b", d("2023-05-20"), "TUR", "SYR", "051")],
        &AddOptions::default(),
    )
    .expect("add");
    let s = m.relation("TUR", "SYR", &SeriesOptions::default()).expect("series");
    let periods: Vec<String> = s.points.iter().map(|p| p.period.to_string()).collect();
    assert_eq!(periods, ["2023-03-01", "2023-04-01", "2023-05-01"]);
    assert_eq!(s.points[1].count, 0, "an empty month is a zero, not a gap");
    assert_eq!(s.points[2].count, 2);
    assert_eq!(s.points[0].quads, [0, 0, 0, 1]);
    // Directed SYR→TUR: the attack, and the symmetric consultation, not TUR's praise.
    let dir = m.relation("SYR", "TUR", &SeriesOptions { directed: true, ..Default::default() }).expect("directed");
    assert_eq!(dir.points.iter().map(|p| p.count).collect::<Vec<_>>(), [1, 0, 1]);
    // Exact codes.
    let exact = m.relation("SYRMIL", "TURMIL", &SeriesOptions { exact: true, ..Default::default() }).expect("exact");
    assert_eq!(exact.points.iter().map(|p| p.count).sum::<i64>(), 1);
    // Dropping statements and appeals; weeks; an explicit range with zeros.
    let opts = SeriesOptions {
        freq: Freq::Week,
        start: Some(d("2023-05-01")),
        end: Some(d("2023-05-31")),
        ..Default::default()
    };
    let weeks = m.relation("TUR", "SYR", &opts).expect("weeks");
    assert_eq!(weeks.points.len(), 5);
    assert_eq!(weeks.points.iter().map(|p| p.count).sum::<i64>(), 2);
    // Every point can list its events.
    let behind = m.relation_events("TUR", "SYR", &SeriesOptions::default(), d("2023-05-15")).expect("events");
    let mut ids: Vec<String> = behind.into_iter().map(|e| e.id).collect();
    ids.sort();
    assert_eq!(ids, ["b", "m1"]);
}

#[test]
fn the_score_decays_toward_recent_events() {
    let m = model();
    m.add_events(
        vec![ev("x", d("2020-01-01"), "TUR", "SYR", "190"), ev("y", d("2020-07-01"), "TUR", "SYR", "057")],
        &AddOptions::default(),
    )
    .expect("add");
    let s = m.relation("TUR", "SYR", &SeriesOptions { half_life_days: 30.0, ..Default::default() }).expect("s");
    let last = s.points.last().expect("points");
    // Six months on, the old attack weighs ~1/64 of the new agreement.
    assert!(last.score > 7.5 && last.score < 8.0, "{}", last.score);
    assert_eq!(s.points[0].score, -10.0);
    let slow = m.relation("TUR", "SYR", &SeriesOptions { half_life_days: 10_000.0, ..Default::default() }).expect("s");
    assert!((slow.points.last().map_or(0.0, |p| p.score) - (-1.0)).abs() < 0.1);
}

#[test]
fn shifts_find_a_known_freeze_and_nothing_on_a_flat_relation() {
    let m = model();
    add_with_change(&m, 18, 36);
    let shifts = m.shifts("TUR", "SYR", &SeriesOptions::default(), &ShiftOptions::default()).expect("shifts");
    assert_eq!(shifts.len(), 1, "{shifts:?}");
    let s = &shifts[0];
    assert_eq!(s.direction, "freeze");
    let month = |d: Date| d.year() * 12 + d.ymd().1 as i32;
    assert!((month(s.period) - month(d("2019-07-01"))).abs() <= 1, "{}", s.period);
    assert!(s.before > 2.0 && s.after < -2.0);
    assert!(!s.events.is_empty() && s.events.iter().all(|e| e.goldstein < 0.0));
    assert!(s.events.windows(2).all(|w| w[0].weight >= w[1].weight));
    let flat = model();
    add_with_change(&flat, 99, 36);
    assert!(flat.shifts("TUR", "SYR", &SeriesOptions::default(), &ShiftOptions::default()).expect("s").is_empty());
}

#[test]
fn edge_cases_are_answers_or_clear_errors() {
    let m = model();
    // No events at all, a dyad never seen: empty series, no shifts, no mediators.
    assert!(m.relation("TUR", "SYR", &SeriesOptions::default()).expect("empty").points.is_empty());
    let ranged = SeriesOptions { start: Some(d("2023-01-01")), end: Some(d("2023-03-31")), ..Default::default() };
    assert_eq!(m.relation("TUR", "SYR", &ranged).expect("zeros").points.len(), 3);
    assert!(m.shifts("TUR", "SYR", &SeriesOptions::default(), &ShiftOptions::default()).expect("none").is_empty());
    assert!(m.mediators("TUR", "SYR", None, None, 10).expect("none").is_empty());
    // One event.
    m.add_events(vec![ev("one", d("2023-05-10"), "TUR", "SYR", "040")], &AddOptions::default()).expect("add");
    let s = m.relation("TUR", "SYR", &SeriesOptions::default()).expect("one");
    assert_eq!((s.points.len(), s.points[0].count), (1, 1));
    assert!(m.shifts("TUR", "SYR", &SeriesOptions::default(), &ShiftOptions::default()).expect("none").is_empty());
    // An actor nobody knows.
    let e = m.relation("TUR", "QQQ", &SeriesOptions::default()).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    let e = m.relation("Turkey", "Ruritania", &SeriesOptions::default()).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    // Bad options.
    let bad = SeriesOptions { half_life_days: 0.0, ..Default::default() };
    assert_eq!(m.relation("TUR", "SYR", &bad).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
}

#[test]
fn a_mediator_who_is_neither_host_nor_alone_ranks_first() {
    let m = model();
    let text = "Iran and the United States held indirect talks in Rome on Saturday, mediated by Oman. \
                Italy hosted the talks. Russia said it was ready to help. \
                Oman's foreign minister shuttled between the Iranian and American delegations.";
    let doc = crate::Document::new(Some("rome"), d("2025-04-20"), None, text).expect("doc");
    m.ingest(vec![doc], &crate::IngestOptions::default()).expect("ingest");
    let ms = m.mediators("IRN", "USA", None, None, 10).expect("mediators");
    assert_eq!(ms.first().map(|x| x.actor.as_str()), Some("OMN"), "{ms:?}");
    assert!(ms.iter().any(|x| x.actor == "ITA" && x.hosted >= 1), "{ms:?}");
    assert!(ms[0].mediations >= 2 && !ms[0].events.is_empty());
}

#[test]
fn the_network_of_stored_events() {
    let m = model();
    let mut events = Vec::new();
    for (i, (s, t, c)) in [
        ("USA", "GBR", "057"),
        ("USA", "FRA", "051"),
        ("GBR", "FRA", "040"),
        ("RUS", "CHN", "057"),
        ("USA", "RUS", "111"),
        ("GBR", "RUS", "163"),
    ]
    .iter()
    .enumerate()
    {
        events.push(ev(&format!("n{i}"), d("2022-06-01"), s, t, c));
    }
    m.add_events(events, &AddOptions::default()).expect("add");
    let net = m.network(None, None, 1).expect("network");
    assert_eq!(net.edges.len(), 6);
    let bloc = |a: &str| net.nodes.iter().find(|n| n.actor == a).map(|n| n.bloc);
    assert_eq!(bloc("USA"), bloc("GBR"));
    assert_eq!(bloc("RUS"), bloc("CHN"));
    assert_ne!(bloc("USA"), bloc("RUS"));
    // Triads: USA-GBR-FRA (+++) balanced; USA-GBR-RUS (+,-,-) balanced.
    assert_eq!(net.triads, 2);
    assert_eq!(net.balanced_share, 1.0);
}

#[test]
fn aggregates_built_apart_and_merged_give_the_stores_series() {
    let m = model();
    add_with_change(&m, 12, 24);
    let mut events = m.events(&crate::EventQuery { limit: Some(10_000), ..Default::default() }).expect("events").events;
    events.push({
        let mut e = ev("sym", d("2018-03-05"), "SYRGOV", "TURGOV", "040");
        e.directed = false;
        e
    });
    m.add_events(vec![events.last().cloned().expect("sym")], &AddOptions::default()).expect("add");
    let dict = crate::Dictionary::builtin();
    for e in &mut events {
        e.normalize(&dict).expect("normalize");
    }
    // Two workers, each with half of the events, merged on the driver.
    let (left, right) = events.split_at(events.len() / 2);
    let mut merged = crate::aggregates::AggregateSet::from_events(left);
    merged.merge(&crate::aggregates::AggregateSet::from_events(right));
    let whole = crate::aggregates::AggregateSet::from_events(&events);
    assert_eq!(merged.to_batch().expect("batch"), whole.to_batch().expect("batch"));
    assert_eq!(merged.events(), events.len() as i64);
    for directed in [false, true] {
        let opts = SeriesOptions { directed, ..Default::default() };
        assert_eq!(
            merged.relation("TUR", "SYR", &opts).expect("series"),
            m.relation("TUR", "SYR", &opts).expect("series")
        );
    }
    // Through its table and back: the same sums.
    let back = crate::aggregates::AggregateSet::from_batch(&merged.to_batch().expect("batch")).expect("from table");
    assert_eq!(back.to_batch().expect("batch"), merged.to_batch().expect("batch"));
    let exact = SeriesOptions { exact: true, ..Default::default() };
    assert_eq!(merged.relation("TUR", "SYR", &exact).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
}

#[test]
fn repeated_reports_collapse_in_listings_and_series() {
    let m = model();
    let mut events = Vec::new();
    for (i, mentions) in [2u32, 3, 4].iter().enumerate() {
        let mut e = ev(&format!("r{i}"), d("2023-05-10"), "TURGOV", "SYRGOV", "112");
        e.mentions = *mentions;
        events.push(e);
    }
    events.push(ev("other", d("2023-05-10"), "TURGOV", "SYRGOV", "040"));
    events.push(ev("next-day", d("2023-05-11"), "TURGOV", "SYRGOV", "112"));
    m.add_events(events, &AddOptions::default()).expect("add");
    // Listing: three reports of one accusation become one, mentions summed; pages end at a day's end.
    let q = crate::EventQuery { collapse: true, limit: Some(2), ..Default::default() };
    let page = m.events(&q).expect("page");
    assert_eq!(page.events.len(), 2, "the whole first day: the accusation and the consultation");
    let acc = page.events.iter().find(|e| e.code == "112").expect("accusation");
    assert_eq!((acc.id.as_str(), acc.mentions), ("r0", 9));
    let rest = m.events(&crate::EventQuery { cursor: page.next_cursor, ..q }).expect("rest");
    assert_eq!(rest.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["next-day"]);
    assert_eq!(
        m.events(&crate::EventQuery { limit: Some(10), ..Default::default() }).expect("all").events.len(),
        5,
        "the store keeps every report"
    );
    // Series: the collapsed count is 3 events over two days, mentions unchanged.
    let day = SeriesOptions { freq: Freq::Day, ..Default::default() };
    let plain = m.relation("TUR", "SYR", &day).expect("plain");
    let collapsed = m.relation("TUR", "SYR", &SeriesOptions { collapse: true, ..day }).expect("collapsed");
    assert_eq!(plain.points.iter().map(|p| p.count).collect::<Vec<_>>(), [4, 1]);
    assert_eq!(collapsed.points.iter().map(|p| p.count).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(collapsed.points[0].mentions, plain.points[0].mentions);
    assert!((collapsed.points[0].goldstein_sum - (-2.0 + 1.0)).abs() < 1e-9, "{:?}", collapsed.points[0]);
}

#[test]
fn a_series_is_the_same_before_and_after_the_aggregates_are_built() {
    // Before the store's aggregates exist a series is summed from the pair's own events; after,
    // read from the aggregates. Random events of five countries over three years, some
    // symmetric, some planned, some replaced by a second version (removed rows).
    let m = Model::in_memory(&ModelOptions { one_off: true, ..Default::default() }).expect("model");
    let countries = ["TURGOV", "SYRMIL", "RUS", "IRNGOV", "USA"];
    let codes = ["040", "043", "051", "057", "111", "190", "010", "020", "0311"];
    let mut next = crate::testing::below(0x5eed);
    let start = d("2021-01-01");
    let mut events: Vec<Event> = (0..3000)
        .map(|i| {
            let mut e = ev(
                &format!("p{i}"),
                start.add_days(next(1095) as i32),
                countries[next(5) as usize],
                countries[next(5) as usize],
                codes[next(9) as usize],
            );
            e.directed = next(5) != 0;
            e.planned = next(20) == 0;
            e.mentions = 1 + next(7) as u32;
            e
        })
        .collect();
    m.add_events(events.clone(), &AddOptions::default()).expect("add");
    for e in events.iter_mut().take(300) {
        e.date = e.date.add_days(40);
    }
    m.add_events(events[..300].to_vec(), &AddOptions { replace: true, ..Default::default() }).expect("replace");
    let cases = [
        ("TUR", "SYR", SeriesOptions::default()),
        ("SYR", "TUR", SeriesOptions { directed: true, freq: Freq::Day, ..Default::default() }),
        ("RUS", "IRN", SeriesOptions { drop_low_info: true, weight_mentions: true, ..Default::default() }),
        ("USA", "GBR", SeriesOptions { freq: Freq::Week, ..Default::default() }),
        (
            "IRN",
            "TUR",
            SeriesOptions {
                freq: Freq::Day,
                start: Some(d("2022-02-01")),
                end: Some(d("2022-03-15")),
                ..Default::default()
            },
        ),
        ("TUR", "ARG", SeriesOptions::default()),
    ];
    let before: Vec<Series> = cases.iter().map(|(a, b, o)| m.relation(a, b, o).expect("before")).collect();
    assert!(!m.view().aggregates_built(), "no query above needed the store's aggregates");
    assert!(model().view().aggregates_built(), "a model not opened for one command builds them at once");
    m.prepare();
    assert!(m.view().aggregates_built());
    for ((a, b, o), earlier) in cases.iter().zip(before) {
        let after = m.relation(a, b, o).expect("after");
        assert_eq!(earlier, after, "{a}-{b} {o:?}");
    }
    assert!(m.relation("TUR", "SYR", &SeriesOptions::default()).expect("s").points.iter().any(|p| p.count > 0));
}
