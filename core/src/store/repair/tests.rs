//! Tests of checking and repairing a store: lost or damaged catalogs and segments, and what
//! interrupted writes and repairs leave behind.

use super::super::files::QUARANTINE;
use super::super::tests::ev;
use super::super::{EventFilter, Store, Write};
use super::*;
use crate::domain::columnar::events_to_batch;
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::domain::event::Event;
use arrow_array::RecordBatch;
use rusqlite::Connection;

fn open(root: &Path, access: Access) -> Result<Store> {
    Store::open(Box::new(DirBackend::open(root, access)?))
}

/// Every live event of a store opened read-only, by id.
fn events_of(root: &Path) -> Result<Vec<Event>> {
    let store = open(root, Access::ReadOnly)?;
    let v = store.view();
    let mut events = v.events(&v.list(&EventFilter::default(), 100_000, None)?.0);
    events.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(events)
}

fn batch(range: std::ops::Range<usize>, code: &str) -> RecordBatch {
    let events: Vec<Event> = range.map(|i| ev(&format!("e{i:03}"), "2023-05-10", "TURGOV", "SYRGOV", code)).collect();
    events_to_batch(&events).expect("batch")
}

/// A store of 50 events in five segments (compaction held off): 30, then four writes of
/// five, the last of which replaces an event of the third (a removed row after the second
/// segment), one with a document and one with an imported file. Returns its events.
fn build(root: &Path) -> Vec<Event> {
    let store = open(root, Access::ReadWrite).expect("store");
    std::mem::forget(store.defer_compaction());
    store.write(Write { events: Some(batch(0..30, "040")), ..Default::default() }).expect("first");
    let doc = Document {
        id: "moscow".into(),
        published: Date::parse("2023-05-10").expect("date"),
        title: None,
        text: "Turkey and Syria met in Moscow.".into(),
    };
    store.write(Write { events: Some(batch(30..35, "040")), documents: vec![doc], ..Default::default() }).expect("2");
    let import =
        ImportRecord { fingerprint: "gdelt2:00ff:9".into(), name: "a.CSV".into(), format: "gdelt2".into(), rows: 5 };
    store.write(Write { events: Some(batch(35..40, "040")), imports: vec![import], ..Default::default() }).expect("3");
    store.write(Write { events: Some(batch(40..45, "040")), ..Default::default() }).expect("4");
    let replaced = store.write(Write { events: Some(batch(37..38, "043")), replace: true, ..Default::default() });
    assert_eq!(replaced.expect("replace").replaced, 1);
    drop(store);
    events_of(root).expect("events")
}

fn refused(result: Result<Store>) -> String {
    match result {
        Err(Error::Corrupt { message, .. }) => message,
        Err(other) => panic!("expected a damaged store, got {other}"),
        Ok(_) => panic!("expected a damaged store, it opened"),
    }
}

#[test]
fn a_lost_emptied_or_row_less_catalog_costs_no_events() {
    for damage in ["deleted", "emptied", "row-less"] {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        let events = build(root);
        assert_eq!(events.len(), 45);
        let files = segment_files(root).expect("files");
        assert_eq!(files.len(), 5);
        let catalog = root.join(CATALOG);
        match damage {
            "deleted" => fs::remove_file(&catalog).expect("remove"),
            "emptied" => fs::write(&catalog, b"").expect("truncate"),
            _ => {
                let conn = Connection::open(&catalog).expect("catalog");
                conn.execute("DELETE FROM segments", []).expect("rows");
            }
        }
        // Neither a writer nor a reader serves it, and nothing is deleted; both name the way out.
        let writing = refused(open(root, Access::ReadWrite));
        let reading = refused(open(root, Access::ReadOnly));
        for message in [&writing, &reading] {
            assert!(message.contains("detente store repair"), "{damage}: {message}");
            assert!(!message.contains("open it for writing"), "{damage}: {message}");
        }
        assert_eq!(segment_files(root).expect("files"), files, "{damage}: no segment removed");
        let found = check(root).expect("check");
        assert!(!found.healthy(), "{damage}: {found:?}");

        let repaired = repair(root).expect("repair");
        assert_eq!((repaired.segments, repaired.rows), (5, 46), "{damage}: {repaired:?}");
        assert!(repaired.quarantined.is_empty() && repaired.lost_rows.is_empty(), "{damage}: {repaired:?}");
        assert_eq!(
            events_of(root).expect("repaired"),
            events,
            "{damage}: every event back, the replaced one still replaced"
        );
        assert_eq!(repaired.imports, 1, "{damage}: the imported file is in its segment");
        // Documents live in the catalog only: kept when it still reads.
        assert_eq!(repaired.documents, usize::from(damage == "row-less"), "{damage}");
        if damage != "deleted" {
            assert!(repaired.previous_catalog.is_some(), "{damage}: the old catalog is kept");
        }
        assert!(check(root).expect("check").healthy(), "{damage}");
        // And it takes writes again.
        let store = open(root, Access::ReadWrite).expect("writable");
        store.write(Write { events: Some(batch(45..46, "040")), ..Default::default() }).expect("write");
        drop(store);
        assert_eq!(events_of(root).expect("events").len(), 46, "{damage}");
        assert!(repair(root).expect("again").nothing_to_repair);
    }
}

#[test]
fn a_flipped_byte_anywhere_in_a_segment_is_a_damaged_store_naming_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let events = build(root);
    let (mut tried, mut caught) = (0, 0);
    for name in segment_files(root).expect("files") {
        let path = root.join(SEGMENTS).join(&name);
        let good = fs::read(&path).expect("bytes");
        for at in (0..good.len()).step_by(41).chain([good.len() - 1]) {
            let mut bad = good.clone();
            bad[at] ^= 1 << (at % 8);
            fs::write(&path, &bad).expect("flip");
            tried += 1;
            match events_of(root) {
                Err(Error::Corrupt { path: p, .. }) if p == path => caught += 1,
                other => panic!("{name} byte {at}: {:?}", other.map(|e| e.len())),
            }
        }
        fs::write(&path, &good).expect("restore");
    }
    assert_eq!(caught, tried);
    assert!(tried > 100, "{tried}");
    assert_eq!(events_of(root).expect("restored"), events);
}

#[test]
fn a_damaged_segment_is_set_aside_and_the_rows_after_it_renumbered() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let events = build(root);
    // The second segment (events 30-34) damaged; the replacement after it removed a row of
    // the third, which moves down by five.
    let files = segment_files(root).expect("files");
    let second = root.join(SEGMENTS).join(&files[1]);
    let mut bytes = fs::read(&second).expect("bytes");
    bytes[100] ^= 0x40;
    fs::write(&second, &bytes).expect("damage");
    let found = check(root).expect("check");
    assert!(found.findings.iter().any(|f| f.path == second && f.severity == Severity::Damage), "{found:?}");

    let repaired = repair(root).expect("repair");
    assert_eq!(repaired.quarantined.len(), 1);
    assert!(repaired.quarantined[0].0.starts_with(root.join(QUARANTINE)));
    assert_eq!(repaired.lost_rows, [(30, 35)]);
    assert_eq!(repaired.rewritten, 3, "the three segments after it");
    let kept: Vec<Event> = events.into_iter().filter(|e| !("e030".."e035").contains(&e.id.as_str())).collect();
    assert_eq!(events_of(root).expect("repaired"), kept);
    let replaced = kept.iter().find(|e| e.id == "e037").expect("e037");
    assert_eq!(replaced.code, "043", "the replaced version stays removed");
    assert!(check(root).expect("check").healthy());
}

#[test]
fn leftovers_of_interrupted_writes_are_removed_and_unknown_files_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let events = build(root);
    let segments = root.join(SEGMENTS);
    // A temporary file, and a file of a write noted pending that never committed (the next
    // generation's): provably garbage, removed by the next writer. A note of another
    // generation proves nothing.
    let conn = Connection::open(root.join(CATALOG)).expect("catalog");
    let next = super::super::dir::generation(&conn).expect("generation") + 1;
    let prefix = SegmentName::prefix(9, next);
    fs::write(segments.join(format!("{prefix}.arrow.tmp")), b"half").expect("tmp");
    let first = segments.join(&segment_files(root).expect("files")[0]);
    fs::copy(&first, segments.join(format!("{prefix}-0123456789abcdef.arrow"))).expect("copy");
    conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&prefix]).expect("pending");
    let stale = SegmentName::prefix(9, next + 5);
    conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&stale]).expect("pending");
    drop(conn);
    // And an upload a killed service was spooling.
    fs::create_dir_all(root.join(super::super::UPLOADS)).expect("uploads");
    fs::write(root.join(super::super::UPLOADS).join("upload-1-0"), b"half an upload").expect("upload");
    let found = check(root).expect("check");
    assert!(found.healthy() && found.findings.len() == 2, "{found:?}");
    drop(open(root, Access::ReadWrite).expect("writer"));
    assert_eq!(segment_files(root).expect("files").len(), 5);
    assert!(!segments.join(format!("{prefix}.arrow.tmp")).exists());
    assert_eq!(fs::read_dir(root.join(super::super::UPLOADS)).expect("uploads").count(), 0);
    // A segment the catalog knows nothing of (here under a stale note): refused by readers
    // and writers alike, with nothing removed; taken back by a repair only if it fits (a
    // copy of the first does not: set aside).
    let unknown = segments.join(format!("{stale}-0123456789abcdef.arrow"));
    fs::copy(&first, &unknown).expect("copy");
    let conn = Connection::open(root.join(CATALOG)).expect("catalog");
    conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&stale]).expect("pending");
    drop(conn);
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let message = refused(open(root, access));
        assert!(message.contains("does not list"), "{message}");
    }
    assert!(unknown.exists());
    let repaired = repair(root).expect("repair");
    assert_eq!(repaired.quarantined.len(), 1, "{repaired:?}");
    assert_eq!(events_of(root).expect("events"), events);
}

#[test]
fn a_repair_that_stopped_half_way_is_cleared_by_the_next() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let events = build(root);
    let files = segment_files(root).expect("files");
    let second = root.join(SEGMENTS).join(&files[1]);
    let mut bytes = fs::read(&second).expect("bytes");
    bytes[100] ^= 0x40;
    fs::write(&second, &bytes).expect("damage");
    // What an interrupted repair leaves: its new catalog, noting a rewritten segment as
    // pending, and that segment (here a copy of the third, renumbered as it would be).
    let conn = open_catalog(&root.join(REPAIR_CATALOG)).expect("catalog");
    conn.execute_batch(CATALOG_SCHEMA).expect("schema");
    let rewritten = SegmentName::prefix(3, 999);
    conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&rewritten]).expect("pending");
    drop(conn);
    let third = root.join(SEGMENTS).join(&files[2]);
    let leftover = root.join(SEGMENTS).join(format!("{rewritten}-00000000000000ff.arrow"));
    fs::copy(&third, &leftover).expect("copy");

    let repaired = repair(root).expect("repair");
    assert!(repaired.removed.contains(&leftover), "{repaired:?}");
    assert!(!root.join(REPAIR_CATALOG).exists());
    assert_eq!((repaired.lost_rows.as_slice(), repaired.quarantined.len()), (&[(30, 35)][..], 1), "{repaired:?}");
    let kept: Vec<Event> = events.into_iter().filter(|e| !("e030".."e035").contains(&e.id.as_str())).collect();
    assert_eq!(events_of(root).expect("repaired"), kept);
    // The imported file's events are in the third segment, which kept its record of it.
    assert_eq!(repaired.imports, 1);
}
