//! The store's compaction as queries see it: merged segments answer as the writes did, an
//! older build's many segments merge on demand, and deferred merging waits for its guards.

use super::tests::{ev, ids, mem, sel};
use super::*;
use crate::Dictionary;
use crate::aggregates::DyadKey;
use crate::domain::date::Date;

#[test]
fn small_writes_are_merged_and_every_query_answers_as_before() {
    // 400 writes of 40 events, every tenth replacing events of earlier writes: the store on
    // disk ends with a few segments, and answers as one holding the final events in one write.
    let countries = ["TUR", "SYR", "RUS", "IRN", "USA"];
    let codes = ["040", "043", "190", "057", "111"];
    let start = Date::parse("2020-01-01").expect("date");
    let mut next = crate::testing::below(0x9e37_79b9_7f4a_7c15);
    let mut event = |id: usize, mentions: u32| {
        let (s, t) = (countries[next(5) as usize], countries[next(5) as usize]);
        let day = start.add_days(next(1500) as i32);
        let mut e = Event::new(format!("e{id}"), day, Some(s), Some(t), codes[next(5) as usize]).expect("event");
        e.mentions = mentions;
        e.normalize(&Dictionary::builtin()).expect("normal");
        e
    };
    let writes: Vec<(Vec<Event>, bool)> = (0..400)
        .map(|w| match w % 10 {
            // Ten events of earlier writes (by then in merged segments) replaced.
            9 => {
                let earlier = |k: usize| match (w * 7 + k * 131) % w {
                    j if j % 10 == 9 => j - 1,
                    j => j,
                };
                ((0..10).map(|k| event(earlier(k) * 40 + k, 7)).collect(), true)
            }
            _ => ((0..40).map(|k| event(w * 40 + k, 1)).collect(), false),
        })
        .collect();
    let dir = tempfile::tempdir().expect("tmp");
    let open = |access| Store::open(Box::new(DirBackend::open(dir.path(), access).expect("open"))).expect("store");
    let disk = open(Access::ReadWrite);
    let reader = open(Access::ReadOnly);
    let mut last: std::collections::BTreeMap<String, Event> = Default::default();
    for (events, replace) in &writes {
        disk.add_events(events, *replace).expect("write");
        last.extend(events.iter().map(|e| (e.id.clone(), e.clone())));
    }
    let segments = disk.view().segment_count();
    assert!(segments <= 25, "{segments} segments after 400 writes");
    let files = std::fs::read_dir(dir.path().join("segments")).expect("dir").count();
    assert_eq!(files, segments, "merged segments' files are removed");
    let whole = mem();
    let final_events: Vec<Event> = last.into_values().collect();
    assert_eq!(final_events.len(), 360 * 40);
    whole.add_events(&final_events, false).expect("one write");
    // Read-only: sees the merged store after a refresh.
    assert!(reader.refresh().expect("refresh"));
    let sorted = |store: &Store, f: &EventFilter| {
        let v = store.view();
        let mut events = v.events(&v.list(f, 100_000, None).expect("list").0);
        events.sort_by(|a, b| a.id.cmp(&b.id));
        events
    };
    let check = |store: &Store| {
        assert_eq!(store.view().len(), final_events.len());
        assert_eq!(sorted(store, &EventFilter::default()), final_events);
        for a in countries {
            for b in countries {
                let dyad = EventFilter { dyad: Some((sel(a), sel(b))), ..Default::default() };
                assert_eq!(sorted(store, &dyad), sorted(&whole, &dyad), "{a}-{b}");
                let days = |store: &Store| {
                    let v = store.view();
                    let (a, b) = (v.countries().get(a).expect("a"), v.countries().get(b).expect("b"));
                    v.aggregates().days_between(&DyadKey::of(a, b, true), Date::MIN, Date::MAX).to_vec()
                };
                assert_eq!(days(store), days(&whole), "{a}-{b} aggregates");
            }
        }
    };
    check(&disk);
    check(&reader);
    drop(disk);
    let reopened = open(Access::ReadWrite);
    check(&reopened);
    // Replacing an event stored in a merged segment still replaces it.
    let replaced = reopened.add_events(&[event(5, 9)], true).expect("replace");
    assert_eq!((replaced.added, replaced.replaced), (1, 1));
    assert_eq!(reopened.view().len(), final_events.len());
}

#[test]
fn a_store_of_many_segments_from_an_older_build_compacts_on_demand() {
    // Segments committed straight to the backend, as builds before compaction left them.
    let backend = MemoryBackend::default();
    let mut all = Vec::new();
    for w in 0..50 {
        let events: Vec<Event> = (0..20)
            .map(|k| {
                let (s, t) = if k % 2 == 0 { ("TURGOV", "SYRGOV") } else { ("RUSGOV", "IRNGOV") };
                ev(&format!("old{w}-{k}"), &format!("2019-{:02}-{:02}", 1 + w % 12, 1 + k), s, t, "040")
            })
            .collect();
        backend
            .commit(Commit { batch: Some(events_to_batch(&events).expect("batch")), ..Default::default() })
            .expect("commit");
        all.extend(events);
    }
    let store = Store::open(Box::new(backend)).expect("open");
    assert_eq!(store.view().segment_count(), 50);
    let tur_syr = EventFilter { dyad: Some((sel("TUR"), sel("SYR"))), ..Default::default() };
    let before = ids(&store, &tur_syr);
    assert_eq!(before.len(), 500);
    assert_eq!(store.compact().expect("compact"), 49, "1,000 rows: one segment");
    assert_eq!(store.view().segment_count(), 1);
    assert_eq!(ids(&store, &tur_syr), before);
    let v = store.view();
    let mut listed = v.events(&v.list(&EventFilter::default(), 10_000, None).expect("list").0);
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    all.sort_by(|a, b| a.id.cmp(&b.id));
    assert!(listed == all, "the events after compaction differ");
    drop(v);
    // The id index still finds every event.
    let again = store.add_events(&all[..30], false).expect("again");
    assert_eq!((again.added, again.unchanged), (0, 30));
}

#[test]
fn deferred_compaction_merges_once_at_the_end() {
    let store = mem();
    let write = |w: usize| {
        let events: Vec<Event> =
            (0..100).map(|k| ev(&format!("d{w}-{k}"), "2021-03-01", "TURGOV", "SYRGOV", "040")).collect();
        store.add_events(&events, false).expect("write");
    };
    {
        let _outer = store.defer_compaction();
        let inner = store.defer_compaction();
        for w in 0..30 {
            write(w);
        }
        drop(inner);
        assert_eq!(store.view().segment_count(), 30, "deferred while any guard is held");
    }
    assert_eq!(store.view().segment_count(), 1, "merged when the last guard goes");
    assert_eq!(store.view().len(), 3_000);
    // Not deferred: writes merge as they go (eight 100-row writes make a tier).
    for w in 30..37 {
        write(w);
    }
    assert_eq!(store.view().segment_count(), 8);
    write(37);
    assert_eq!(store.view().segment_count(), 2);
}
