use super::index::UNPACKED_BUILDS;
use super::*;
use crate::Dictionary;
use crate::aggregates::{DyadKey, Sums};
use crate::domain::date::Date;

/// A normalised event (also the segment files' fixture in `dir`).
pub(super) fn ev(id: &str, date: &str, s: &str, t: &str, code: &str) -> Event {
    let mut e = Event::new(id, Date::parse(date).unwrap_or(Date::MIN), Some(s), Some(t), code).expect("event");
    e.normalize(&Dictionary::builtin()).expect("normal");
    e
}

pub(super) fn sel(c: &str) -> ActorSel {
    ActorSel { country: c[..3].to_string(), code: c.to_string() }
}

pub(super) fn mem() -> Store {
    Store::open(Box::new(MemoryBackend::default())).expect("store")
}

pub(super) fn ids(store: &Store, f: &EventFilter) -> Vec<String> {
    let v = store.view();
    let (rows, _) = v.list(f, 1000, None).expect("list");
    v.events(&rows).into_iter().map(|e| e.id).collect()
}

#[test]
fn dyad_queries_either_way_directed_and_exact() {
    let store = mem();
    let events = vec![
        ev("a", "2023-05-10", "TURGOV", "SYRGOV", "040"),
        ev("b", "2023-05-09", "SYRMIL", "TURMIL", "190"),
        ev("c", "2023-05-11", "RUSGOV", "TURGOV", "043"),
        {
            let mut e = ev("d", "2023-05-10", "SYRGOV", "TURGOV", "040");
            e.directed = false;
            e
        },
    ];
    let s = store.add_events(&events, false).expect("add");
    assert_eq!(s.added, 4);
    let either = EventFilter { dyad: Some((sel("TUR"), sel("SYR"))), ..Default::default() };
    assert_eq!(ids(&store, &either), ["b", "a", "d"]);
    let directed = EventFilter { directed: true, ..either.clone() };
    // TUR→SYR directed: a, and the symmetric d.
    assert_eq!(ids(&store, &directed), ["a", "d"]);
    let exact = EventFilter { dyad: Some((sel("TURMIL"), sel("SYRMIL"))), exact: true, ..Default::default() };
    assert_eq!(ids(&store, &exact), ["b"]);
    let actor = EventFilter { actor: Some(sel("TUR")), ..Default::default() };
    assert_eq!(ids(&store, &actor), ["b", "a", "d", "c"]);
    let code = EventFilter { codes: vec!["04".into()], ..Default::default() };
    assert_eq!(ids(&store, &code), ["a", "d", "c"]);
    let quad = EventFilter { quads: vec![4], ..Default::default() };
    assert_eq!(ids(&store, &quad), ["b"]);
}

#[test]
fn idempotent_and_conflicts() {
    let store = mem();
    let a = ev("a", "2023-05-10", "TUR", "SYR", "040");
    assert_eq!(store.add_events(std::slice::from_ref(&a), false).map(|s| s.added).ok(), Some(1));
    let again = store.add_events(std::slice::from_ref(&a), false).expect("again");
    assert_eq!((again.added, again.unchanged), (0, 1));
    let mut changed = a.clone();
    changed.mentions = 5;
    let b = ev("b", "2023-05-10", "TUR", "SYR", "040");
    let err = store.add_events(&[b.clone(), changed.clone()], false).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Conflict);
    // Nothing of the rejected batch was written.
    assert_eq!(store.view().len(), 1);
    let s = store.add_events(&[b, changed], true).expect("replace");
    assert_eq!((s.added, s.replaced), (2, 1));
    let v = store.view();
    assert_eq!(v.len(), 2);
    let (rows, _) = v.list(&EventFilter { ids: vec!["a".into()], ..Default::default() }, 10, None).expect("list");
    assert_eq!(v.events(&rows).first().map(|e| e.mentions), Some(5));
}

#[test]
fn paging_with_a_cursor_visits_everything_once() {
    let store = mem();
    let events: Vec<Event> =
        (0..57).map(|i| ev(&format!("e{i}"), &format!("2023-01-{:02}", 1 + i % 28), "TUR", "SYR", "040")).collect();
    store.add_events(&events, false).expect("add");
    for f in [EventFilter::default(), EventFilter { dyad: Some((sel("SYR"), sel("TUR"))), ..Default::default() }] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let v = store.view();
            let (rows, next) = v.list(&f, 10, cursor).expect("page");
            seen.extend(v.events(&rows).into_iter().map(|e| (e.date, e.id)));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 57);
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
        let mut unique: Vec<_> = seen.iter().map(|x| x.1.clone()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 57);
    }
}

#[test]
fn aggregates_match_a_brute_force_recount() {
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;
    let countries = ["TUR", "SYR", "RUS", "IRN"];
    let codes = ["040", "043", "190", "112", "057", "0311"];
    let mut runner = TestRunner::new(proptest::test_runner::Config { cases: 24, ..Default::default() });
    let strategy = proptest::collection::vec(
        (0usize..4, 0usize..4, 0usize..6, 0i32..40, any::<bool>(), any::<bool>(), 1u32..5, 0usize..30),
        1..60,
    );
    runner
        .run(&strategy, |spec| {
            let store = mem();
            let mut all: HashMap<String, Event> = HashMap::default();
            for chunk in spec.chunks(7) {
                let batch: Vec<Event> = chunk
                    .iter()
                    .map(|&(s, t, c, day, directed, planned, mentions, id)| {
                        let mut e = ev(&format!("id{id}"), "2023-01-01", countries[s], countries[t], codes[c]);
                        e.date = e.date.add_days(day);
                        e.directed = directed;
                        e.planned = planned;
                        e.mentions = mentions;
                        e
                    })
                    .collect();
                // Last version of an id wins inside a batch when replacing.
                store.add_events(&batch, true).map_err(|e| TestCaseError::fail(e.to_string()))?;
                for e in batch {
                    all.insert(e.id.clone(), e);
                }
            }
            let v = store.view();
            prop_assert_eq!(v.len(), all.len());
            let mut brute: HashMap<(String, String, bool, i32), crate::aggregates::DayCell> = HashMap::default();
            for e in all.values().filter(|e| !e.planned) {
                let (s, t) =
                    (e.source_country.clone().unwrap_or_default(), e.target_country.clone().unwrap_or_default());
                let (s, t) = if e.directed || s <= t { (s, t) } else { (t, s) };
                let root = e.root_code.parse::<u8>().unwrap_or(0);
                let day = e.date.days();
                brute
                    .entry((s, t, e.directed, day))
                    .or_insert(crate::aggregates::DayCell::new(day))
                    .add(root, &Sums::of_event(e.goldstein, e.mentions, 1));
            }
            let mut stored: HashMap<(String, String, bool, i32), crate::aggregates::DayCell> = HashMap::default();
            for key in v.aggregates().keys() {
                for c in v.aggregates().days_between(key, Date::MIN, Date::MAX) {
                    let (s, t) =
                        (v.countries().name(key.source).to_string(), v.countries().name(key.target).to_string());
                    let (s, t) = if key.directed || s <= t { (s, t) } else { (t, s) };
                    stored.insert((s, t, key.directed, c.day), *c);
                }
            }
            prop_assert_eq!(stored, brute);
            prop_assert_eq!(UNPACKED_BUILDS.with(|c| c.get()), 0, "the store's rows pack");
            Ok(())
        })
        .expect("aggregates equal a recount");
}

#[test]
fn one_big_write_indexes_like_many_small_ones() {
    // 120,000 events (a segment that big is indexed on several threads) in random date order
    // over ten years; the same events again in 40 writes of 3,000 (one thread, merged lists).
    let countries = ["TUR", "SYR", "RUS", "IRN", "USA", "FRA", "DEU", "EGY"];
    let codes = ["040", "043", "190", "057", "111", "010"];
    let start = Date::parse("2015-01-01").expect("date");
    let mut next = crate::testing::below(0x2545_f491_4f6c_dd1d);
    let events: Vec<Event> = (0..120_000)
        .map(|i| {
            let s = countries[next(8) as usize];
            let t = countries[next(8) as usize];
            let code = codes[next(6) as usize];
            let mut e =
                Event::new(format!("e{i}"), start.add_days(next(3653) as i32), Some(s), Some(t), code).expect("event");
            e.goldstein = next(200) as f64 / 10.0 - 10.0;
            e.mentions = 1 + next(9) as u32;
            e.normalize(&Dictionary::builtin()).expect("normal");
            e
        })
        .collect();
    // The dyad index is built on first use: asking before writing makes the writes maintain it.
    let big = mem();
    assert!(big.view().dyad_rows("TUR", "SYR").is_empty());
    assert_eq!(big.add_events(&events, false).expect("big").added, 120_000);
    let small = mem();
    assert!(small.view().dyad_rows("TUR", "SYR").is_empty());
    for chunk in events.chunks(3_000) {
        small.add_events(chunk, false).expect("small");
    }
    // Built afterwards, from all 40 segments at once.
    let lazy = mem();
    for chunk in events.chunks(3_000) {
        lazy.add_events(chunk, false).expect("lazy");
    }
    // A bulk load into prepared stores: the indexes are let go of and built once at its end;
    // in the second, a query half-way builds them and the writes after it keep them.
    let bulk = |query_midway: bool| {
        let store = mem();
        store.add_events(&events[..3_000], false).expect("first");
        store.prepare();
        let load = store.bulk_load(117_000, 39);
        assert!(!store.view().aggregates_built(), "let go of for the load");
        for (i, chunk) in events[3_000..].chunks(3_000).enumerate() {
            store.add_events(chunk, false).expect("bulk");
            if query_midway && i == 20 {
                // The query builds both indexes; the writes after it keep them.
                assert!(!store.view().dyad_rows("TUR", "SYR").is_empty());
                store.view().aggregates();
            }
        }
        drop(load);
        assert!(store.view().aggregates_built(), "built again at the end of the load");
        store
    };
    let (quiet, queried) = (bulk(false), bulk(true));
    let (b, s, l, q, m) = (big.view(), small.view(), lazy.view(), quiet.view(), queried.view());
    for a in countries {
        for c in countries {
            let rows = b.dyad_rows(a, c);
            assert!(!rows.is_empty() && rows.windows(2).all(|w| w[0] < w[1]), "{a}-{c} in (date, row) order");
            for other in [&s, &l, &q, &m] {
                assert_eq!(rows, other.dyad_rows(a, c), "{a}-{c}");
            }
        }
        let totals = b.aggregates().country_totals(b.countries().get(a).expect("country"));
        for other in [&s, &l, &q, &m] {
            assert_eq!(totals, other.aggregates().country_totals(other.countries().get(a).expect("country")), "{a}");
        }
    }
    let keys: Vec<_> = b.aggregates().keys().copied().collect();
    assert!(!keys.is_empty());
    for key in &keys {
        let days = b.aggregates().days_between(key, Date::MIN, Date::MAX);
        for other in [&s, &l, &q, &m] {
            assert_eq!(days, other.aggregates().days_between(key, Date::MIN, Date::MAX));
        }
    }
    let total: i64 =
        keys.iter().flat_map(|k| b.aggregates().days_between(k, Date::MIN, Date::MAX)).map(|c| c.sums().count).sum();
    assert_eq!(total, 120_000);
    assert_eq!(UNPACKED_BUILDS.with(|c| c.get()), 0, "the store's rows pack");
    drop((b, s, l, q, m));
    // The id index of the big write knows every event.
    let again = big.add_events(&events[1000..1010], false).expect("again");
    assert_eq!((again.added, again.unchanged), (0, 10));
}

#[test]
fn country_totals_are_the_same_over_two_centuries() {
    // Thirty countries over two centuries are too many (country × day) cells for a table: the
    // totals are summed in a map instead, and must equal those added one event at a time.
    let countries = [
        "TUR", "SYR", "RUS", "IRN", "USA", "FRA", "DEU", "EGY", "CHN", "IND", "BRA", "ZAF", "NGA", "JPN", "KOR", "MEX",
        "CAN", "AUS", "ITA", "ESP", "GBR", "POL", "UKR", "ISR", "SAU", "QAT", "PAK", "AFG", "IRQ", "LBN",
    ];
    let dates = ["1901-01-02", "1914-07-28", "2023-05-10", "2023-05-10", "2099-12-30"];
    let mut events = Vec::new();
    for (i, c) in countries.iter().enumerate() {
        for (j, d) in dates.iter().enumerate() {
            events.push(ev(&format!("c{i}-{j}"), d, "TURGOV", c, "040"));
        }
    }
    let together = mem();
    together.add_events(&events, false).expect("together");
    let apart = mem();
    for e in &events {
        apart.add_events(std::slice::from_ref(e), false).expect("apart");
    }
    let (a, b) = (together.view(), apart.view());
    for c in countries {
        let totals = a.aggregates().country_totals(a.countries().get(c).expect("country"));
        assert_eq!(totals, b.aggregates().country_totals(b.countries().get(c).expect("country")), "{c}");
        assert_eq!(totals.len(), 4, "{c}");
    }
    // Turkey takes part in all 150 events, once each (TUR–TUR counts once).
    let tur = a.aggregates().country_totals(a.countries().get("TUR").expect("TUR"));
    assert_eq!(tur.iter().map(|t| t.count).sum::<i64>(), 150);
}

#[test]
fn an_id_repeated_in_one_write_keeps_its_last_version_and_every_row_its_id() {
    let store = mem();
    let stored = ev("s", "2023-05-09", "TUR", "SYR", "040");
    store.add_events(std::slice::from_ref(&stored), false).expect("first");
    let a1 = ev("a", "2023-05-10", "TUR", "SYR", "040");
    let mut a2 = a1.clone();
    a2.mentions = 7;
    let mut s2 = stored.clone();
    s2.mentions = 3;
    let (b, c) = (ev("b", "2023-05-10", "RUS", "IRN", "043"), ev("c", "2023-05-11", "IRN", "SYR", "190"));
    // Without replace, a second version of `a` in the same batch is a conflict: nothing lands.
    let err = store.add_events(&[a1.clone(), b.clone(), a2.clone(), c.clone()], false).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Conflict);
    assert_eq!(store.view().len(), 1);
    // With replace: a1 gives way to a2 (the rows after it move down), and s to its new version.
    let w = store.add_events(&[a1, b.clone(), a2.clone(), s2.clone(), c.clone(), b.clone()], true).expect("replace");
    assert_eq!((w.added, w.replaced, w.unchanged), (4, 1, 1));
    assert_eq!(store.view().len(), 4);
    // The id index points every id at its own row: writing them again changes nothing, and
    // an id read back is the event written under it.
    let again = store.add_events(&[b.clone(), c.clone(), a2.clone(), s2.clone()], false).expect("again");
    assert_eq!((again.added, again.unchanged), (0, 4));
    let v = store.view();
    for e in [&a2, &b, &c, &s2] {
        let (rows, _) = v.list(&EventFilter { ids: vec![e.id.clone()], ..Default::default() }, 10, None).expect("list");
        assert_eq!(
            v.events(&rows).iter().map(|x| x.content_hash()).collect::<Vec<_>>(),
            [e.content_hash()],
            "{}",
            e.id
        );
    }
}

#[test]
fn repeats_count_events_of_the_same_input_only() {
    let store = mem();
    let (a, b, c) = (
        ev("a", "2023-05-10", "TUR", "SYR", "040"),
        ev("b", "2023-05-10", "RUS", "IRN", "043"),
        ev("c", "2023-05-11", "IRN", "SYR", "190"),
    );
    store.add_events(std::slice::from_ref(&a), false).expect("an earlier input");
    let input_starts = store.view().end_row();
    let write = |events: &[Event]| {
        let batch = events_to_batch(events).expect("batch");
        store
            .write(Write { events: Some(batch), repeats_from: Some(input_starts), ..Default::default() })
            .expect("write")
    };
    // `a` is stored from before this input: unchanged, not a repeat. `b` twice in one write:
    // the second is a repeat.
    let first = write(&[a.clone(), b.clone(), b.clone()]);
    assert_eq!((first.added, first.unchanged, first.repeats), (1, 2, 1));
    // A later write of the same input finds `b` again: a repeat; `c` is new.
    let second = write(&[b, c, a]);
    assert_eq!((second.added, second.unchanged, second.repeats), (1, 2, 1));
}

#[test]
fn symmetric_events_of_a_country_never_a_target_still_pack() {
    // IRN comes last among four sources, so it has the largest id (wider than the targets',
    // TUR and SYR, need), and is never a target; its symmetric event is kept under (TUR, IRN),
    // with IRN as the key's target.
    let store = mem();
    let mut met = ev("d", "2023-05-11", "IRNGOV", "TURGOV", "043");
    met.directed = false;
    let events = [
        ev("a", "2023-05-10", "TURGOV", "SYRGOV", "040"),
        ev("b", "2023-05-10", "SYRGOV", "TURGOV", "040"),
        ev("c", "2023-05-10", "RUSGOV", "TURGOV", "040"),
        met,
    ];
    store.add_events(&events, false).expect("add");
    let v = store.view();
    let (tur, irn) = (v.countries().get("TUR").expect("TUR"), v.countries().get("IRN").expect("IRN"));
    let days = v.aggregates().days_between(&DyadKey::of(irn, tur, false), Date::MIN, Date::MAX);
    assert_eq!(days.iter().map(|c| c.sums().count).sum::<i64>(), 1);
    assert_eq!(UNPACKED_BUILDS.with(|c| c.get()), 0, "the store's rows pack");
}

#[test]
fn a_removal_without_new_events_is_kept_in_a_segment_of_no_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let open = |access| Store::open(Box::new(DirBackend::open(dir.path(), access).expect("open"))).expect("store");
    let store = open(Access::ReadWrite);
    let events: Vec<Event> = (0..5).map(|i| ev(&format!("r{i}"), "2023-05-10", "TURGOV", "SYRGOV", "040")).collect();
    store.add_events(&events, false).expect("add");
    let summary = store.write(Write { remove: vec![1, 3], ..Default::default() }).expect("remove");
    assert_eq!(summary.removed, 2);
    assert_eq!(store.view().len(), 3);
    drop(store);
    // The removal survives a reopen (it lives in the segments), and a repair.
    let reader = open(Access::ReadOnly);
    assert_eq!(ids(&reader, &EventFilter::default()), ["r0", "r2", "r4"]);
    drop(reader);
    std::fs::remove_file(dir.path().join("catalog.sqlite")).expect("lose the catalog");
    super::repair::repair(dir.path()).expect("repair");
    assert_eq!(ids(&open(Access::ReadOnly), &EventFilter::default()), ["r0", "r2", "r4"]);
    // More writes after it, merged with it, keep it.
    let store = open(Access::ReadWrite);
    store.add_events(&[ev("r5", "2023-05-11", "TURGOV", "SYRGOV", "040")], false).expect("add");
    store.compact().expect("compact");
    drop(store);
    assert_eq!(ids(&open(Access::ReadOnly), &EventFilter::default()), ["r0", "r2", "r4", "r5"]);
}
