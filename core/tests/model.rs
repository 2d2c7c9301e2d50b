//! The model as a caller uses it: errors that name fields, events got and deleted, listings in
//! both orders, documents, the watch, the actor entries users add, a store on disk reopened,
//! writers and readers side by side.

use detente_core::domain::actors::{Entry, NameKind};
use detente_core::paging::PageRequest;
use detente_core::relations::SeriesOptions;
use detente_core::{
    AddOptions, Date, Document, DocumentQuery, Error, Event, EventQuery, IngestOptions, Model, ModelOptions,
};
use serde_json::json;

fn event(v: serde_json::Value) -> Event {
    Event::from_json(&v).expect("record")
}

#[test]
fn errors_name_the_field_and_the_item() {
    let m = Model::in_memory(&ModelOptions::default()).expect("model");
    let field = |e: Error| (e.field().map(str::to_string), e.location().and_then(|l| l.line));
    let q = EventQuery { quads: vec![1, 5], ..Default::default() };
    assert_eq!(field(m.events(&q).unwrap_err()), (Some("quad_classes[1]".into()), None));
    let q = EventQuery { roots: vec!["19".into(), "190".into()], ..Default::default() };
    assert_eq!(field(m.events(&q).unwrap_err()), (Some("roots[1]".into()), None));
    let q = EventQuery { codes: vec!["040".into(), "999".into()], ..Default::default() };
    assert_eq!(field(m.events(&q).unwrap_err()), (Some("codes[1]".into()), None));
    // A relation is between two actors.
    let e = m.relation("TUR", "Turkey", &SeriesOptions::default()).unwrap_err();
    assert_eq!((e.kind(), e.field()), (detente_core::ErrorKind::InvalidInput, Some("b")));
    // The third entry is the bad one, and nothing is stored.
    let entry = |code: &str, name: &str| Entry::user(code, NameKind::Country, vec![name.into()]);
    let bad = vec![entry("ZZA", "Zedland"), entry("ZZB", "Zedonia"), entry("zz", "Zed")];
    assert_eq!(field(m.add_actors(bad).unwrap_err()), (Some("code".into()), Some(3)));
    assert!(m.resolve("Zedland", None).is_err(), "nothing added");
    let e = m.add_actors(vec![entry("ZZA", "Zed\tZedland")]).unwrap_err();
    assert_eq!(e.field(), Some("names[0]"));
    // A `;` is part of a name: stored whole, resolved whole.
    m.add_actors(vec![entry("ZZA", "Zed; Zedland")]).expect("a name with `;`");
    assert_eq!(m.resolve("Zed; Zedland", None).expect("resolves").code, "ZZA");
    // The second document of an ingest holds a stored id with other text.
    let doc = |id: &str, text: &str| Document::new(Some(id), Date::MIN, None, text).expect("doc");
    m.ingest(vec![doc("d1", "Turkey met Syria.")], &IngestOptions::default()).expect("ingest");
    let e = m
        .ingest(vec![doc("d0", "Iran met Iraq."), doc("d1", "Turkey condemned Syria.")], &IngestOptions::default())
        .unwrap_err();
    assert_eq!((e.reason(), field(e)), ("ID_CONFLICT", (Some("text".into()), Some(2))));
}

#[test]
fn events_are_got_and_deleted_by_id_or_by_filter() {
    let m = Model::in_memory(&ModelOptions::default()).expect("model");
    let e = |id: &str, code: &str| {
        event(json!({"id": id, "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": code}))
    };
    m.add_events(vec![e("a", "040"), e("b", "111"), e("c", "190"), e("d", "036")], &AddOptions::default())
        .expect("add");
    let got = m.events_by_id(&["c".into(), "a".into()]).expect("get");
    assert_eq!(got.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), ["190", "040"], "in the order asked");
    let err = m.events_by_id(&["a".into(), "zz".into()]).unwrap_err();
    assert_eq!((err.reason(), err.to_string()), ("EVENT_NOT_FOUND", "event `zz` not found".to_string()));
    // All or none: an unknown id deletes nothing.
    assert!(m.delete_events(&["a".into(), "zz".into()], None, false).is_err());
    assert_eq!(m.delete_events(&["a".into()], None, false).expect("delete"), 1);
    assert!(m.events_by_id(&["a".into()]).is_err());
    let conflict = EventQuery { roots: vec!["19".into(), "11".into()], ..Default::default() };
    let e = m.delete_events(&[], Some(&conflict), false).unwrap_err();
    assert_eq!(e.field(), Some("confirm"), "a filter deletes only when confirmed");
    assert_eq!(m.delete_events(&[], Some(&conflict), true).expect("delete"), 2);
    let left = m.events(&EventQuery::default()).expect("list").events;
    assert_eq!(left.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["d"]);
    assert_eq!(m.delete_events(&[], Some(&conflict), true).expect("again"), 0);
}

/// Every page of a listing, `size` at a time.
fn all_pages(m: &Model, q: &EventQuery, size: usize) -> Vec<String> {
    let mut q = EventQuery { limit: Some(size), ..q.clone() };
    let mut ids = Vec::new();
    loop {
        let page = m.events(&q).expect("page");
        ids.extend(page.events.into_iter().map(|e| e.id));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return ids,
        }
    }
}

#[test]
fn newest_first_is_the_oldest_first_listing_reversed_on_every_path() {
    let m = Model::in_memory(&ModelOptions::default()).expect("model");
    // Three writes (segments), dates out of order, several events a day, two dyads.
    for batch in 0..3 {
        let events = (0..40)
            .map(|i| {
                let (s, t) = if i % 3 == 0 { ("EGY", "ETH") } else { ("TUR", "SYR") };
                let day = 1 + (i * 7 + batch * 5) % 20;
                event(json!({"id": format!("o:{batch}:{i}"), "date": format!("2023-03-{day:02}"),
                             "source": s, "target": t, "code": if i % 2 == 0 { "040" } else { "111" }}))
            })
            .collect();
        m.add_events(events, &AddOptions::default()).expect("add");
    }
    let queries = [
        EventQuery::default(),
        EventQuery { dyad: Some(("TUR".into(), "SYR".into())), ..Default::default() },
        EventQuery { actor: Some("EGY".into()), roots: vec!["04".into()], ..Default::default() },
        EventQuery { start: Date::parse("2023-03-05").ok(), end: Date::parse("2023-03-12").ok(), ..Default::default() },
        EventQuery {
            dyad: Some(("SYR".into(), "TUR".into())),
            start: Date::parse("2023-03-05").ok(),
            end: Date::parse("2023-03-12").ok(),
            ..Default::default()
        },
    ];
    for q in queries {
        let oldest_first = all_pages(&m, &q, 7);
        let newest_first = all_pages(&m, &q.clone().order_by("date desc").expect("order"), 7);
        assert!(!oldest_first.is_empty());
        let mut reversed = oldest_first.clone();
        reversed.reverse();
        assert_eq!(newest_first, reversed, "{q:?}");
    }
    // A token pages one order only.
    let first = m.events(&EventQuery { limit: Some(2), ..Default::default() }).expect("page");
    let q = EventQuery { cursor: first.next_cursor, ..Default::default() }.order_by("date desc").expect("order");
    assert_eq!(m.events(&q).unwrap_err().field(), Some("page_token"));
    assert_eq!(EventQuery::default().order_by("size").unwrap_err().field(), Some("order_by"));
}

#[test]
fn a_document_is_listed_by_date_and_deleted_with_its_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = Model::open(dir.path(), &ModelOptions::default()).expect("model");
    let doc = |id: &str, day: u32| {
        Document::new(Some(id), Date::from_ymd(2023, 5, day).expect("day"), None, "Turkey met Syria in Moscow.")
            .expect("doc")
    };
    m.ingest(vec![doc("b", 2), doc("a", 2), doc("c", 1)], &IngestOptions::default()).expect("ingest");
    let q = DocumentQuery::default();
    let first = m.documents(&q, &PageRequest::first(2)).expect("page");
    let ids: Vec<&str> = first.items.iter().map(|d| d.document.id.as_str()).collect();
    assert_eq!((ids, first.total_size), (vec!["c", "a"], 3), "by date, then id");
    assert!(first.items.iter().all(|d| d.document.text.is_empty() && d.events > 0));
    let next = PageRequest { size: 2, token: first.next_page_token };
    assert_eq!(m.documents(&q, &next).expect("page").items[0].document.id, "b");
    let events = m.document("a").expect("doc").1.len();
    let before = m.revision();
    assert_eq!(m.delete_document("a").expect("delete"), events);
    // A watcher sees the document's events removed, in one write.
    let all = m.filter(&EventQuery::default()).expect("filter");
    let (changes, _) = m.changes_since(&all, before).expect("changes");
    assert_eq!(changes.len(), 1);
    assert!(changes[0].added.is_empty());
    assert_eq!(changes[0].removed.iter().filter(|e| e.doc_id.as_deref() == Some("a")).count(), events);
    assert_eq!(changes[0].removed.len(), events);
    assert_eq!(m.document("a").unwrap_err().reason(), "DOCUMENT_NOT_FOUND");
    assert!(m.events(&EventQuery { doc_id: Some("a".into()), ..Default::default() }).expect("list").events.is_empty());
    // Reopened, the document stays gone and the others stay.
    drop(m);
    let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
    let left = m.documents(&q, &PageRequest::first(10)).expect("page");
    assert_eq!(left.items.iter().map(|d| d.document.id.as_str()).collect::<Vec<_>>(), ["c", "b"]);
}

#[test]
fn a_watch_replays_additions_and_removals_from_a_revision() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = Model::open(dir.path(), &ModelOptions::default()).expect("open");
    let e = |id: &str, code: &str| {
        event(json!({"id": id, "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": code}))
    };
    m.add_events(vec![e("a", "040")], &AddOptions::default()).expect("add");
    let start = m.revision();
    let all = m.filter(&EventQuery::default()).expect("filter");
    let conflict = m.filter(&EventQuery { roots: vec!["19".into()], ..Default::default() }).expect("filter");
    // After `start`: two added, one replaced by a new version, one deleted.
    m.add_events(vec![e("b", "111"), e("c", "190")], &AddOptions::default()).expect("add");
    m.add_events(vec![e("b", "112")], &AddOptions { replace: true, ..Default::default() }).expect("replace");
    m.delete_events(&["c".into()], None, false).expect("delete");
    let (changes, now) = m.changes_since(&all, start).expect("changes");
    assert_eq!(now, m.revision());
    let seen: Vec<(Vec<&str>, Vec<&str>)> = changes
        .iter()
        .map(|c| {
            (c.added.iter().map(|e| e.code.as_str()).collect(), c.removed.iter().map(|e| e.code.as_str()).collect())
        })
        .collect();
    assert_eq!(seen, [(vec!["111", "190"], vec![]), (vec!["112"], vec!["111"]), (vec![], vec!["190"])]);
    assert!(changes.windows(2).all(|w| w[0].revision < w[1].revision));
    // A filter sees only its own: the conflict event's addition and removal.
    let (changes, _) = m.changes_since(&conflict, start).expect("changes");
    assert_eq!(changes.iter().map(|c| (c.added.len(), c.removed.len())).collect::<Vec<_>>(), [(1, 0), (0, 1)]);
    // Resuming from the last revision seen gives nothing twice.
    assert!(m.changes_since(&all, now).expect("none").0.is_empty());
    assert_eq!(m.changes_since(&all, now + 1).unwrap_err().field(), Some("start_revision"));
    drop(m);
    // Another process cannot replay what this one wrote.
    let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
    let e = m.changes_since(&all, start).unwrap_err();
    assert_eq!((e.reason(), e.kind()), ("REVISION_TOO_OLD", detente_core::ErrorKind::InvalidInput));
    assert!(m.changes_since(&all, m.revision()).is_ok());
}

#[test]
fn a_follower_wakes_when_a_write_commits() {
    let m = Model::in_memory(&ModelOptions::default()).expect("model");
    let start = m.revision();
    // Nothing written: the wait ends at its timeout with the revision unchanged.
    assert_eq!(m.wait_for_change(start, std::time::Duration::from_millis(20)), start);
    let writer = m.clone();
    let write = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let e = event(json!({"id": "w", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"}));
        writer.add_events(vec![e], &AddOptions::default()).expect("add");
    });
    // Woken by the write, long before the minute is up.
    let now = m.wait_for_change(start, std::time::Duration::from_secs(60));
    assert!(now > start);
    write.join().expect("writer");
    let (changes, _) = m.changes_since(&m.filter(&EventQuery::default()).expect("filter"), start).expect("changes");
    assert_eq!(changes.iter().map(|c| c.added.len()).sum::<usize>(), 1);
}

#[test]
fn added_actors_are_stored_once_and_usable_by_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let entry = Entry::user("ZZZGOV", NameKind::Body, vec!["Zedland government".into()]);
    {
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("open");
        assert_eq!(m.add_actors(vec![entry.clone(), entry.clone()]).expect("add"), 1, "given twice, stored once");
        assert_eq!(m.add_actors(vec![entry.clone()]).expect("again"), 0, "already stored");
        // Known as a code before any event names it.
        let q = EventQuery { actor: Some("ZZZGOV".into()), ..Default::default() };
        assert!(m.events(&q).expect("a known code").events.is_empty());
        m.add_events(
            vec![event(json!({"id": "z", "date": "2023-05-10", "source": "ZZZGOV", "target": "TUR", "code": "040"}))],
            &AddOptions::default(),
        )
        .expect("add");
    }
    let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
    let stored = m.dictionary().entries().iter().filter(|e| e.code == "ZZZGOV").count();
    assert_eq!(stored, 1);
    // The added code is a code everywhere, as its name is.
    assert_eq!(m.resolve("Zedland government", None).expect("by name").code, "ZZZGOV");
    let q = EventQuery { actor: Some("ZZZGOV".into()), exact: true, ..Default::default() };
    assert_eq!(m.events(&q).expect("by code").events.len(), 1);
    assert!(m.relation("ZZZGOV", "TUR", &SeriesOptions::default()).is_ok());
}

#[test]
fn store_round_trip_on_disk_and_reopen() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = ModelOptions::default();
    assert!(!Model::exists(dir.path()), "an empty folder holds no store");
    {
        let m = Model::open(dir.path(), &opts).expect("open");
        assert!(Model::exists(dir.path()));
        let r = m
            .add_events(
                vec![
                    event(
                        json!({"id": "a", "date": "2023-05-10", "source": "TURGOV", "target": "SYRGOV", "code": "040",
                                "topics": ["refugees"], "location": {"name": "Moscow", "country": "RUS"}}),
                    ),
                    event(json!({"id": "b", "date": "2023-05-11", "source": "XYZGOV", "target": "SYR", "code": "112"})),
                ],
                &AddOptions::default(),
            )
            .expect("add");
        assert_eq!(r.summary.added, 2);
        assert_eq!(r.unknown_actors, ["XYZGOV"]);
    }
    let m = Model::open(dir.path(), &opts).expect("reopen");
    let page =
        m.events(&EventQuery { dyad: Some(("SYR".into(), "Turkey".into())), ..Default::default() }).expect("list");
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].topics, ["refugees"]);
    // A code only the store knows is a valid query; one nobody knows is not.
    assert!(m.events(&EventQuery { actor: Some("XYZ".into()), ..Default::default() }).is_ok());
    let e = m.events(&EventQuery { actor: Some("QQQ".into()), ..Default::default() }).unwrap_err();
    assert_eq!(e.kind(), detente_core::ErrorKind::NotFound);
}

#[test]
fn a_second_writer_is_refused_and_readers_are_fine() {
    let dir = tempfile::tempdir().expect("tmp");
    let w = Model::open(dir.path(), &ModelOptions::default()).expect("writer");
    let e = Model::open(dir.path(), &ModelOptions::default()).unwrap_err();
    assert_eq!(e.kind(), detente_core::ErrorKind::FailedPrecondition);
    let ro = ModelOptions { read_only: true, ..Default::default() };
    let r = Model::open(dir.path(), &ro).expect("reader");
    w.add_events(
        vec![event(json!({"id": "a", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"}))],
        &AddOptions::default(),
    )
    .expect("add");
    assert_eq!(r.len(), 0);
    assert!(r.refresh().expect("refresh"));
    assert_eq!(r.len(), 1);
    let e = r.add_events(vec![], &AddOptions::default()).unwrap_err();
    assert_eq!(e.kind(), detente_core::ErrorKind::FailedPrecondition);
}

#[test]
fn actors_added_to_the_store_win_and_persist() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let m = Model::open(dir.path(), &ModelOptions::default()).expect("open");
        let entry = Entry::user("XYZGOV", detente_core::NameKind::Capital, vec!["Ankara".into()]);
        m.add_actors(vec![entry]).expect("add actor");
        assert_eq!(m.resolve("Ankara", None).map(|r| r.code).ok().as_deref(), Some("XYZGOV"));
    }
    let m = Model::open(dir.path(), &ModelOptions::default()).expect("reopen");
    assert_eq!(m.resolve("Ankara", None).map(|r| r.code).ok().as_deref(), Some("XYZGOV"));
}

#[test]
fn readers_during_writes_see_whole_batches() {
    let m = Model::in_memory(&ModelOptions::default()).expect("model");
    let writer = {
        let m = m.clone();
        std::thread::spawn(move || {
            for b in 0..40 {
                let events = (0..25)
                    .map(|i| event(json!({"id": format!("{b}-{i}"), "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"})))
                    .collect();
                m.add_events(events, &AddOptions::default()).expect("add");
            }
        })
    };
    let mut last = 0;
    while last < 1000 {
        let n = m.len();
        assert_eq!(n % 25, 0, "a reader saw part of a batch");
        assert!(n >= last);
        last = n;
    }
    writer.join().expect("writer");
}

/// The Moscow example's pairs, resolved through the dictionary, with the relation the store
/// holds between Turkiye and Syria after a report of the talks is ingested.
#[test]
fn a_negotiations_pairs_come_with_their_relation() {
    use detente_core::negotiation::example_scenario;
    let model = Model::in_memory(&ModelOptions::default()).expect("model");
    let text = "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow.";
    let report = Document::new(Some("moscow"), Date::from_ymd(2023, 5, 11).expect("day"), None, text).expect("doc");
    model.ingest(vec![report], &IngestOptions::default()).expect("ingest");
    let scenario = example_scenario("moscow-2023").expect("example");
    let pairs = model.negotiation_relations(&scenario, &SeriesOptions::default()).expect("pairs");
    assert_eq!(pairs.len(), 6, "four actors, six pairs");
    let codes: Vec<_> = pairs.iter().map(|p| (p.a_code.as_deref(), p.b_code.as_deref())).collect();
    assert_eq!(codes[0], (Some("TUR"), Some("SYR")));
    assert_eq!(codes[5], (Some("RUS"), Some("IRN")));
    let tur_syr = &pairs[0];
    assert!(tur_syr.events > 0 && tur_syr.score.is_some_and(|s| s > 0.0), "a meeting: {tur_syr:?}");
    assert_eq!(tur_syr.last_period, Some(Date::from_ymd(2023, 5, 1).expect("month")));
    assert!(pairs[5].events == 0 && pairs[5].score.is_none(), "no report of Russia and Iran");
}
