//! Parquet datasets back into a store: our own exports, folders as Spark writes them, bad rows
//! and files located, strict imports, repeated imports.

use super::*;
use crate::domain::date::Date;
use crate::io::dataset::Partitioning;
use crate::io::import::ImportKind;
use crate::{EventQuery, Model, ModelOptions};
use arrow_array::{Float64Array, StringArray};

fn model() -> Model {
    Model::in_memory(&ModelOptions::default()).expect("model")
}

fn event(id: &str, date: &str, s: &str, t: &str, code: &str) -> Event {
    Event::new(id, Date::parse(date).expect("date"), Some(s), Some(t), code).expect("event")
}

/// The Moscow talks of May 2023 and what came before and after.
fn events() -> Vec<Event> {
    vec![
        event("e1", "2023-04-25", "TUR", "SYR", "040"),
        event("e2", "2023-05-10", "TUR", "SYR", "043"),
        event("e3", "2023-05-10", "RUS", "IRN", "042"),
        event("e4", "2023-06-20", "TUR", "SYR", "036"),
        event("e5", "2024-01-15", "SYR", "TUR", "112"),
    ]
}

fn all(m: &Model) -> Vec<Event> {
    m.events(&EventQuery { limit: Some(1000), ..Default::default() }).expect("list").events
}

fn exported(dir: &Path) -> Model {
    let m = model();
    m.add_events(events(), &Default::default()).expect("add");
    m.export_dataset(&EventQuery::default(), dir, Partitioning::Month).expect("export");
    m
}

/// A Parquet file of string columns (and a Goldstein column, when given).
fn write_table(path: &Path, cols: &[(&str, Vec<&str>)], goldstein: Option<Vec<f64>>) {
    let mut arrays: Vec<(String, ArrayRef)> =
        cols.iter().map(|(n, v)| (n.to_string(), Arc::new(StringArray::from(v.clone())) as ArrayRef)).collect();
    if let Some(g) = goldstein {
        arrays.push(("goldstein".into(), Arc::new(Float64Array::from(g))));
    }
    let batch = RecordBatch::try_from_iter(arrays).expect("batch");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let file = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

#[test]
fn an_exported_dataset_comes_back_whole_and_a_second_import_skips_every_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("events");
    let source = exported(&dir);
    // What Spark leaves beside its files is passed over.
    std::fs::write(dir.join("_SUCCESS"), "").expect("marker");
    std::fs::write(dir.join("year=2023").join(".part-0.parquet.crc"), "crc").expect("crc");

    let m = model();
    let report = m.import(ImportKind::Parquet, std::slice::from_ref(&dir), &ImportOptions::default()).expect("import");
    assert_eq!(report.files.len(), 4, "{report:?}");
    assert_eq!((report.rows(), report.added(), report.bad()), (5, 5, 0));
    assert_eq!(all(&m), all(&source));

    let again = m.import(ImportKind::Parquet, &[dir], &ImportOptions::default()).expect("again");
    assert!(again.files.iter().all(|f| f.already_imported), "{again:?}");
    assert_eq!(again.added(), 0);
    assert_eq!(all(&m).len(), 5);
}

#[test]
fn a_glob_picks_files_at_any_depth_and_nothing_else() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("events");
    exported(&dir);
    let may = parquet_files(&dir.join("year=2023").join("month=5").join("*.parquet")).expect("one folder");
    assert_eq!(may.len(), 1);
    assert_eq!(may[0].partition, [("year".to_string(), "2023".to_string()), ("month".to_string(), "5".to_string())]);
    let every = parquet_files(&dir.join("**").join("part-?.parquet")).expect("any depth");
    assert_eq!(every.len(), 4);
    let none = parquet_files(&dir.join("**").join("*.csv")).expect_err("no match");
    assert_eq!(none.field(), Some("files"));
    assert!(none.to_string().contains("no Parquet files"), "{none}");
}

#[test]
fn a_folder_as_spark_writes_it_fills_its_partition_columns_and_checks_dates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("spark");
    // Partitioned by year, month and origin: those columns are not in the files. The second
    // row of the May file is dated June: moved to the wrong folder.
    let may = dir.join("year=2023/month=5/origin=icews/part-00000-1a.snappy.parquet");
    write_table(
        &may,
        &[
            ("id", vec!["icews:1", "icews:2", "icews:3"]),
            ("date", vec!["2023-05-10", "2023-06-01", "2023-05-11"]),
            ("source", vec!["TUR", "RUS", "IRN"]),
            ("target", vec!["SYR", "IRN", "SYR"]),
            ("code", vec!["043", "042", "036"]),
        ],
        Some(vec![2.8, 1.9, 4.0]),
    );
    let m = model();
    let report = m.import(ImportKind::Parquet, std::slice::from_ref(&dir), &ImportOptions::default()).expect("import");
    assert_eq!((report.rows(), report.added(), report.bad()), (3, 2, 1));
    let bad = &report.bad_rows[0];
    assert_eq!((bad.file.as_str(), bad.line), (may.display().to_string().as_str(), 2));
    assert!(bad.message.contains("outside its partition folder `month=5`"), "{}", bad.message);
    let stored = all(&m);
    assert!(stored.iter().all(|e| e.origin == crate::domain::event::Origin::Icews), "{stored:?}");
    assert_eq!(stored.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["icews:1", "icews:3"]);

    // Strict: the file is refused whole, at its bad row, and the store keeps what it had.
    let fresh = model();
    let opts = ImportOptions { strict: true, ..Default::default() };
    let err = fresh.import(ImportKind::Parquet, &[dir], &opts).expect_err("strict");
    let at = err.location().expect("located");
    assert_eq!((at.input.as_deref(), at.line), (Some(may.display().to_string().as_str()), Some(2)));
    assert!(all(&fresh).is_empty());
}

#[test]
fn bad_rows_and_conflicts_are_reported_at_their_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("events.parquet");
    write_table(
        &file,
        &[
            ("id", vec!["x:1", "x:2", "x:3", "x:4"]),
            ("date", vec!["2023-05-10", "2023-05-10", "2023-13-40", "2023-05-10"]),
            ("source", vec!["TUR", "TUR", "TUR", "RUS"]),
            ("target", vec!["SYR", "SYR", "SYR", "IRN"]),
            ("code", vec!["043", "999", "043", "042"]),
        ],
        None,
    );
    let m = model();
    // x:4 is stored already with other content.
    m.add_events(vec![event("x:4", "2023-05-10", "RUS", "IRN", "111")], &Default::default()).expect("add");
    let report = m.import(ImportKind::Parquet, std::slice::from_ref(&file), &ImportOptions::default()).expect("import");
    assert_eq!((report.rows(), report.added(), report.bad()), (4, 1, 3));
    let lines: Vec<u64> = report.bad_rows.iter().map(|b| b.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(report.bad_rows[0].message.starts_with("field `code`"), "{:?}", report.bad_rows[0]);
    assert!(report.bad_rows[2].message.contains("already stored with other content"), "{:?}", report.bad_rows[2]);
    assert_eq!(all(&m).len(), 2);

    // Replacing takes the file's version; the file is new content to no one, but forced.
    let opts = ImportOptions { replace: true, force: true, ..Default::default() };
    let replaced = m.import(ImportKind::Parquet, &[file], &opts).expect("replace");
    assert_eq!(replaced.bad(), 2);
    let x4 = m.events_by_id(&["x:4".to_string()]).expect("get");
    assert_eq!(x4[0].code, "042");
}

#[test]
fn a_file_that_is_not_events_is_refused_with_its_name_and_column() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("prices.parquet");
    write_table(&file, &[("date", vec!["2023-05-10"]), ("code", vec!["043"]), ("price", vec!["12.5"])], None);
    let m = model();
    let err = m
        .import(ImportKind::Parquet, std::slice::from_ref(&file), &ImportOptions::default())
        .expect_err("unknown column");
    let at = err.location().expect("located");
    assert_eq!((at.input.as_deref(), at.field.as_deref()), (Some(file.display().to_string().as_str()), Some("price")));

    let text = tmp.path().join("notes.parquet");
    std::fs::write(&text, "not parquet").expect("write");
    let err = m.import(ImportKind::Parquet, &[text], &ImportOptions::default()).expect_err("not parquet");
    assert!(err.to_string().contains("not a readable Parquet file"), "{err}");

    let wrong = tmp.path().join("d/region=europe/part-0.parquet");
    write_table(&wrong, &[("date", vec!["2023-05-10"]), ("code", vec!["043"])], None);
    let err =
        m.import(ImportKind::Parquet, &[tmp.path().join("d")], &ImportOptions::default()).expect_err("unknown key");
    assert_eq!(err.field(), Some("region"));
    assert!(all(&m).is_empty());
}

#[test]
fn many_small_files_land_in_one_write_each_counted_apart() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("parts");
    for (i, e) in events().iter().enumerate() {
        let date = e.date.to_string();
        let cols = [
            ("id", vec![e.id.as_str()]),
            ("date", vec![date.as_str()]),
            ("source", vec![e.source.as_deref().unwrap_or("")]),
            ("target", vec![e.target.as_deref().unwrap_or("")]),
            ("code", vec![e.code.as_str()]),
        ];
        write_table(&dir.join(format!("part-{i:05}.parquet")), &cols, None);
    }
    // A copy of the first file under another name: the same bytes, imported once.
    std::fs::copy(dir.join("part-00000.parquet"), dir.join("part-00009.parquet")).expect("copy");
    let m = model();
    let commits = m.store().view().revision();
    let report = m.import(ImportKind::Parquet, &[dir], &ImportOptions::default()).expect("import");
    assert_eq!(report.files.iter().map(|f| f.added).collect::<Vec<_>>(), [1, 1, 1, 1, 1, 0]);
    assert!(report.files[5].already_imported);
    assert_eq!(m.store().view().revision(), commits + 1, "one write for the small files");
}

#[test]
fn a_large_file_is_written_as_it_is_read_and_counts_its_repeats() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("all.parquet");
    let source = model();
    let mut twice = events();
    twice.push(events()[1].clone());
    // Written as a table (the listing would give each event once): e2 is in the file twice.
    let batch = crate::domain::columnar::events_to_batch(&twice).expect("batch");
    crate::io::export::export_batch(&batch, &file).expect("write");
    source.add_events(events(), &Default::default()).expect("add");

    let m = model();
    // Read 65,536 rows at a time, written every 2: several writes for one file.
    let opts = ImportOptions { batch_rows: 2, ..Default::default() };
    let report = m.import(ImportKind::Parquet, std::slice::from_ref(&file), &opts).expect("import");
    let f = &report.files[0];
    assert_eq!((f.rows, f.added, f.duplicates, f.bad), (6, 5, 1, 0), "{f:?}");
    assert_eq!(all(&m), all(&source));
}

#[test]
fn a_large_file_whose_rows_are_all_stored_with_other_content_is_reported_not_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("changed.parquet");
    let stored = events();
    let mut changed = events();
    for e in &mut changed {
        e.mentions += 1;
    }
    let batch = crate::domain::columnar::events_to_batch(&changed).expect("batch");
    crate::io::export::export_batch(&batch, &file).expect("write");
    let m = model();
    m.add_events(stored, &Default::default()).expect("add");
    let opts = ImportOptions { batch_rows: 2, ..Default::default() };
    let report = m.import(ImportKind::Parquet, std::slice::from_ref(&file), &opts).expect("reported");
    assert_eq!((report.rows(), report.added(), report.bad()), (5, 0, 5));
    assert!(report.bad_rows.iter().all(|b| b.message.contains("other content")), "{:?}", report.bad_rows);
    assert_eq!(report.bad_rows.iter().map(|b| b.line).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
}
