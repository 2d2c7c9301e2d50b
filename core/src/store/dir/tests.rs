//! Tests of the directory backend: merging a run of segments, migrating a store of format 4,
//! and a reader racing the creation of a store.

use super::super::backend::{Backend, Commit};
use super::super::files::{QUARANTINE, SegmentName};
use super::super::ipc::read_meta;
use super::catalog::strings;
use super::*;
use crate::domain::columnar::{event_schema, events_to_batch};
use arrow_array::RecordBatch;

fn batch() -> RecordBatch {
    let ev = |id, s, t| super::super::tests::ev(id, "2023-05-10", s, t, "040");
    events_to_batch(&[ev("a", "TURGOV", "SYRGOV"), ev("b", "RUSGOV", "IRNGOV"), ev("c", "TURGOV", "RUSGOV")])
        .expect("batch")
}

#[test]
fn merged_segments_replace_their_run_and_a_missing_file_is_a_located_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let backend = DirBackend::open(dir.path(), Access::ReadWrite).expect("open");
    let seqs: Vec<u64> = (0..3)
        .map(|_| {
            let c = backend.commit(Commit { batch: Some(batch()), ..Default::default() }).expect("commit");
            c.segment.expect("segment").seq
        })
        .collect();
    let two = arrow_select::concat::concat_batches(&event_schema(), &[batch(), batch()]).expect("concat");
    // Not a run of the catalog's, or not its rows: refused, nothing changed.
    assert!(backend.merge_segments(&[(seqs[0], 3), (seqs[2], 3)], &two).is_err());
    assert!(backend.merge_segments(&[(seqs[1], 2), (seqs[2], 4)], &two).is_err());
    assert!(backend.merge_segments(&[(seqs[1], 3), (seqs[2], 3)], &batch()).is_err());
    assert_eq!(fs::read_dir(dir.path().join(SEGMENTS)).expect("dir").count(), 3);
    let merged = backend.merge_segments(&[(seqs[1], 3), (seqs[2], 3)], &two).expect("merge");
    assert_eq!(merged.segment.as_ref().map(|s| s.seq), Some(seqs[2]), "in the last one's place");
    let loaded = backend.load().expect("load");
    assert_eq!(
        loaded.segments.iter().map(|s| (s.seq, s.batch.num_rows())).collect::<Vec<_>>(),
        [(seqs[0], 3), (seqs[2], 6)]
    );
    assert_eq!(loaded.generation, merged.generation);
    let files = fs::read_dir(dir.path().join(SEGMENTS)).expect("dir").count();
    assert_eq!(files, 2, "the merged files are removed");
    // A segment file gone without the catalog changing: the load gives up with the file named
    // and the way out.
    let first = backend.segment_path(&listed(&backend)[0]);
    fs::remove_file(&first).expect("remove");
    match backend.load() {
        Err(Error::Corrupt { path, message }) => {
            assert_eq!(path, first);
            assert!(message.contains("missing") && message.contains("store repair"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// The files the catalog lists, in order.
fn listed(backend: &DirBackend) -> Vec<String> {
    strings(&backend.conn.lock(), "SELECT file FROM segments ORDER BY seq").expect("files")
}

/// Writes a store as the build before format 5 left it: two segments named by sequence
/// number (the second's middle row removed), a dictionary entry, an imported file, and an
/// orphan file of a write that never committed.
fn write_format_4(root: &Path) {
    fs::create_dir_all(root.join(SEGMENTS)).expect("dir");
    let conn = Connection::open(root.join(CATALOG)).expect("catalog");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE segments(seq INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL,
                               bytes INTEGER NOT NULL, created INTEGER NOT NULL);
         CREATE TABLE tombstones(row INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
         CREATE TABLE documents(id TEXT PRIMARY KEY, published TEXT NOT NULL, title TEXT, text TEXT NOT NULL,
                                hash INTEGER NOT NULL, added INTEGER NOT NULL);
         CREATE TABLE actors(id INTEGER PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, names TEXT NOT NULL,
                             valid_from TEXT, valid_until TEXT, office TEXT, added INTEGER NOT NULL);
         CREATE TABLE imports(fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, format TEXT NOT NULL,
                              rows INTEGER NOT NULL, added INTEGER NOT NULL);
         INSERT INTO meta VALUES ('generation', '7'), ('schema_version', '4');
         INSERT INTO segments VALUES (1, '00000001.arrow', 3, 0, 0), (3, '00000003-6.arrow', 3, 0, 0);
         INSERT INTO tombstones VALUES (4, 3);
         INSERT INTO actors VALUES (1, 'RUR', 'country', 'Ruritania', NULL, NULL, NULL, 0);
         INSERT INTO imports VALUES ('gdelt2:00000000000000ff:10', 'a.CSV', 'gdelt2', 3, 0);",
    )
    .expect("format 4 catalog");
    for name in ["00000001.arrow", "00000003-6.arrow", "00000004.arrow"] {
        let file = File::create(root.join(SEGMENTS).join(name)).expect("file");
        let mut w = arrow_ipc::writer::FileWriter::try_new(file, &event_schema()).expect("writer");
        w.write(&batch()).expect("write");
        w.finish().expect("finish");
    }
}

#[test]
fn a_store_of_format_4_is_migrated_on_writing_and_newer_ones_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    write_format_4(dir.path());
    // Read-only: an older store is named as such, with what to do.
    match DirBackend::open(dir.path(), Access::ReadOnly) {
        Err(Error::Corrupt { message, .. }) => assert!(message.contains("open it for writing once"), "{message}"),
        other => panic!("{other:?}"),
    }
    let backend = DirBackend::open(dir.path(), Access::ReadWrite).expect("migrated");
    let loaded = backend.load().expect("load");
    assert_eq!(loaded.segments.iter().map(|s| (s.seq, s.batch.num_rows())).collect::<Vec<_>>(), [(1, 3), (3, 3)]);
    assert_eq!(loaded.tombstones, [4], "the removed row kept, now in the segments");
    assert!(loaded.generation > 7);
    let files = listed(&backend);
    assert!(files.iter().all(|f| SegmentName::parse(f).is_some()), "{files:?}");
    let last = read_meta(&backend.segment_path(&files[1])).expect("meta").expect("some");
    assert_eq!((last.base, last.rows, last.removed.as_slice()), (3, 3, &[4u32][..]));
    assert_eq!(last.imports.len(), 1, "the imported files recorded in the segments");
    assert_eq!(backend.actor_entries().expect("entries")[0].code, "RUR");
    // The old files are gone; the orphan an older build would have deleted is set aside.
    assert_eq!(segment_files(dir.path()).expect("files"), files);
    assert!(dir.path().join(QUARANTINE).join("00000004.arrow").exists());
    assert_eq!(schema_version(&backend.conn.lock()).expect("version"), SCHEMA_VERSION);
    drop(backend);
    assert_eq!(DirBackend::open(dir.path(), Access::ReadOnly).expect("read").load().expect("load").segments.len(), 2);

    // A store a newer build wrote: refused either way, with a word on what to do.
    let conn = Connection::open(dir.path().join(CATALOG)).expect("catalog");
    set_schema_version(&conn, SCHEMA_VERSION + 1).expect("version");
    drop(conn);
    for access in [Access::ReadOnly, Access::ReadWrite] {
        match DirBackend::open(dir.path(), access) {
            Err(Error::Corrupt { message, .. }) => assert!(message.contains("upgrade detente"), "{message}"),
            other => panic!("{access:?}: {other:?}"),
        }
    }
}

#[test]
fn a_reader_racing_the_creation_of_a_store_sees_none_or_all_of_it() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("store");
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                drop(DirBackend::open(&root, Access::ReadWrite).expect("create"));
                done.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                match DirBackend::open(&root, Access::ReadOnly) {
                    Ok(b) => assert_eq!(b.load().expect("load").segments.len(), 0),
                    Err(Error::NotFound { .. }) => assert!(!finished, "made, yet not found"),
                    Err(e) => panic!("a reader met a store half made: {e}"),
                }
                if finished {
                    break;
                }
            }
        });
    }
}
