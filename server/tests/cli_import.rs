//! Bulk data through the `detente` command: importing the real samples and our own malformed
//! fixtures, strict mode, importing twice, collapsed listings, and exports that import back.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn detente(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detente")).arg("--data").arg(data).args(args).output().expect("run detente")
}

fn jsonl(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/samples").join(name);
    if p.exists() {
        return Some(p);
    }
    assert!(std::env::var_os("CI").is_none(), "sample {name} missing in CI");
    None
}

/// A GDELT 2.0 row of our own: TUR and SYR governments, one code, a Goldstein value.
fn gdelt_row(id: &str, date: &str, a: &str, b: &str, code: &str, mentions: &str) -> String {
    let mut f = vec![String::new(); 61];
    for (i, v) in
        [(0, id), (1, date), (5, a), (7, &a[..3]), (15, b), (17, &b[..3]), (26, code), (31, mentions), (53, "SY")]
    {
        f[i] = v.to_string();
    }
    f.join("\t")
}

/// A store in `dir` with these GDELT 2.0 rows imported.
fn store_with(dir: &Path, rows: &[String]) -> PathBuf {
    let data = dir.join("store");
    let file = dir.join("day.export.CSV");
    std::fs::write(&file, rows.join("\n") + "\n").expect("write");
    let o = detente(&data, &["import", "gdelt2", file.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    data
}

#[test]
fn the_samples_import_with_their_counts_and_twice_is_once() {
    let (Some(g1), Some(g2), Some(icews)) = (
        sample("gdelt1_daily_events_sample.reconstructed.tsv"),
        sample("gdelt2_export_sample.reconstructed.tsv"),
        sample("icews_events.2018.sample.tab"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    for (kind, file, rows) in [("gdelt1", &g1, 50), ("gdelt2", &g2, 50), ("icews", &icews, 3705)] {
        let o = detente(&data, &["import", kind, file.to_str().expect("path"), "--strict", "--format", "jsonl"]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        let r = &jsonl(&o)[0];
        assert_eq!((r["rows"].as_u64(), r["bad"].as_u64()), (Some(rows), Some(0)), "{kind}: {r}");
    }
    let again = detente(&data, &["import", "icews", icews.to_str().expect("path"), "--format", "jsonl"]);
    assert_eq!(jsonl(&again)[0]["already_imported"], true);
    let icews_events = detente(&data, &["events", "list", "--origin", "icews", "--limit", "5000", "--format", "jsonl"]);
    assert_eq!(jsonl(&icews_events).len(), 3705);
    // Codes stay strings with their zeros; ICEWS countries became codes.
    let first = &jsonl(&icews_events)[0];
    assert_eq!(first["code"], "040");
    assert_eq!(first["source_country"], "BGD");
}

#[test]
fn bad_rows_are_reported_and_strict_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("mixed.export.CSV");
    let text = [
        gdelt_row("1", "20230510", "TURGOV", "SYRGOV", "040", "2"),
        "2\t20230510\tonly three columns".to_string(),
        gdelt_row("3", "20230510", "TURGOV", "SYRGOV", "04X", "1"),
        gdelt_row("4", "20230511", "SYRGOV", "TURGOV", "112", "1"),
    ]
    .join("\n");
    std::fs::write(&file, text + "\n").expect("write");
    let f = file.to_str().expect("path");
    let strict = dir.path().join("strict");
    let o = detente(&strict, &["import", "gdelt2", f, "--strict"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    let listed = detente(&strict, &["events", "list", "--format", "jsonl"]);
    assert!(jsonl(&listed).is_empty(), "nothing written");
    let data = dir.path().join("lenient");
    let o = detente(&data, &["import", "gdelt2", f, "--format", "jsonl"]);
    assert!(o.status.success());
    assert_eq!((jsonl(&o)[0]["added"].as_u64(), jsonl(&o)[0]["bad"].as_u64()), (Some(2), Some(2)));
    let err = stderr(&o);
    assert!(err.contains("mixed.export.CSV:2:") && err.contains("columns"), "{err}");
    assert!(err.contains("mixed.export.CSV:3:") && err.contains("04X"), "{err}");
    let bad_kind = detente(&data, &["import", "acled", f]);
    assert_eq!(bad_kind.status.code(), Some(2));
}

#[test]
fn exports_read_back_and_repeated_reports_collapse() {
    let dir = tempfile::tempdir().expect("tmp");
    // Three reports of one accusation, one consultation.
    let data = store_with(
        dir.path(),
        &[
            gdelt_row("11", "20230510", "SYRGOV", "TURGOV", "112", "2"),
            gdelt_row("12", "20230510", "SYRGOV", "TURGOV", "112", "3"),
            gdelt_row("13", "20230510", "SYRGOV", "TURGOV", "112", "4"),
            gdelt_row("14", "20230510", "TURGOV", "SYRGOV", "040", "1"),
        ],
    );
    let collapsed = jsonl(&detente(&data, &["events", "list", "--collapse", "--format", "jsonl"]));
    assert_eq!(collapsed.len(), 2);
    assert_eq!(collapsed.iter().find(|e| e["code"] == "112").map(|e| e["mentions"].clone()), Some(9.into()));
    let series = jsonl(&detente(&data, &["relation", "TUR", "SYR", "--collapse", "--format", "jsonl"]));
    assert_eq!(series[0]["count"], 2);

    for ext in ["parquet", "csv"] {
        let out = dir.path().join(format!("events.{ext}"));
        let o = detente(
            &data,
            &["export", "events", "--dyad", "TUR,SYR", "--to", out.to_str().expect("path"), "--format", "jsonl"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(jsonl(&o)[0]["events"], 4);
        // Into a fresh store and back out: the same events.
        let copy = dir.path().join(format!("copy-{ext}"));
        let mut args = vec!["events", "add", out.to_str().expect("path"), "--format", "jsonl"];
        if ext == "csv" {
            args.push("--csv");
        }
        let added = detente(&copy, &args);
        assert!(added.status.success(), "{}", stderr(&added));
        assert_eq!(jsonl(&added)[0]["added"], 4);
        let again = detente(&data, &args);
        assert_eq!(jsonl(&again)[0]["unchanged"], 4, "identical content: nothing changes");
    }
    let series_file = dir.path().join("series.csv");
    let o = detente(
        &data,
        &["export", "series", "TUR", "SYR", "--freq", "day", "--to", series_file.to_str().expect("path")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&series_file).expect("series");
    assert!(csv.starts_with("period,count,") && csv.contains("2023-05-10,4,"), "{csv}");
    let bad = detente(&data, &["export", "events", "--to", dir.path().join("x.xlsx").to_str().expect("path")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains(".parquet or .csv"));
}

#[test]
fn a_partitioned_dataset_export_reads_back_file_by_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = store_with(
        dir.path(),
        &[
            gdelt_row("21", "20230425", "TURGOV", "SYRGOV", "040", "1"),
            gdelt_row("22", "20230510", "TURGOV", "SYRGOV", "043", "2"),
            gdelt_row("23", "20230510", "SYRGOV", "TURGOV", "112", "1"),
            gdelt_row("24", "20240115", "SYRGOV", "TURGOV", "112", "1"),
        ],
    );
    let out = dir.path().join("events");
    let args =
        ["export", "events", "--to", out.to_str().expect("path"), "--partition-by", "month", "--format", "jsonl"];
    let o = detente(&data, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<(String, u64)> = jsonl(&o)
        .iter()
        .map(|r| (r["file"].as_str().unwrap_or("").to_string(), r["events"].as_u64().unwrap_or(0)))
        .collect();
    let expected = [
        ("year=2023/month=4/part-0.parquet", 1),
        ("year=2023/month=5/part-0.parquet", 2),
        ("year=2024/month=1/part-0.parquet", 1),
    ];
    assert_eq!(files, expected.map(|(f, n)| (f.to_string(), n)));
    // Each file is a Parquet export like any other: into a fresh store, the same events.
    let copy = dir.path().join("copy");
    for (f, n) in &files {
        let added = detente(&copy, &["events", "add", out.join(f).to_str().expect("path"), "--format", "jsonl"]);
        assert_eq!(jsonl(&added)[0]["added"], *n, "{}", stderr(&added));
    }
    let listed = |store: &Path| jsonl(&detente(store, &["events", "list", "--format", "jsonl"]));
    assert_eq!(listed(&copy), listed(&data));
    // The whole dataset at once, as an import: one report row per file; a second time, each
    // file is known and nothing is read.
    let whole = dir.path().join("whole");
    let import = ["import", "parquet", out.to_str().expect("path"), "--format", "jsonl"];
    let first = jsonl(&detente(&whole, &import));
    let added: Vec<u64> = first.iter().map(|r| r["added"].as_u64().unwrap_or(0)).collect();
    assert_eq!(added, [1, 2, 1]);
    assert_eq!(listed(&whole), listed(&data));
    let second = jsonl(&detente(&whole, &import));
    assert!(second.iter().all(|r| r["already_imported"] == true), "{second:?}");
    // A glob the shell did not expand, over one month.
    let glob = out.join("year=2023").join("month=5").join("*.parquet");
    let may = jsonl(&detente(
        &dir.path().join("may"),
        &["import", "parquet", glob.to_str().expect("path"), "--format", "jsonl"],
    ));
    assert_eq!(may.len(), 1);
    assert_eq!(may[0]["added"], 2);
    // A second export into the same folder is refused, and the first stays whole.
    let again = detente(&data, &args);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    assert!(out.join("year=2024/month=1/part-0.parquet").exists());
}

#[test]
fn the_schema_is_given_per_column_and_as_spark_ddl() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let rows = jsonl(&detente(&data, &["schema", "events", "--format", "jsonl"]));
    let column = |name: &str| rows.iter().find(|r| r["column"] == name).cloned().unwrap_or_default();
    assert_eq!(column("date")["spark"], "DATE");
    assert_eq!(column("date")["nullable"], false);
    assert_eq!(column("topics")["spark"], "ARRAY<STRING>");
    let ddl = detente(&data, &["schema", "events", "--spark-ddl"]);
    let ddl = String::from_utf8_lossy(&ddl.stdout);
    assert!(ddl.starts_with("`id` STRING NOT NULL, `date` DATE NOT NULL,"), "{ddl}");
    for r in &rows {
        let (name, spark) = (r["column"].as_str().unwrap_or(""), r["spark"].as_str().unwrap_or(""));
        assert!(ddl.contains(&format!("`{name}` {spark}")), "{name} in {ddl}");
    }
}

#[test]
fn many_small_files_import_like_one_and_leave_one_segment() {
    // GDELT 2.0 comes as 15-minute files: the real sample cut into 25 files of two rows each
    // imports as the whole file does, and the store ends with one segment, not 25.
    let Some(path) = sample("gdelt2_export_sample.reconstructed.tsv") else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(&path).expect("sample");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 50);
    let files: Vec<String> = lines
        .chunks(2)
        .enumerate()
        .map(|(i, rows)| {
            let f = dir.path().join(format!("2023052{}{:04}.export.CSV", i / 10, i * 15));
            std::fs::write(&f, rows.join("\n") + "\n").expect("write");
            f.to_string_lossy().into_owned()
        })
        .collect();
    let (many, one) = (dir.path().join("many"), dir.path().join("one"));
    let mut args = vec!["--format", "jsonl", "import", "gdelt2"];
    args.extend(files.iter().map(String::as_str));
    let o = detente(&many, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let reports = jsonl(&o);
    assert_eq!(reports.len(), 25);
    assert!(reports.iter().all(|r| r["rows"] == 2 && r["bad"] == 0), "{reports:?}");
    // (One parsing thread: the same events; a file of one piece is parsed on one anyway.)
    let o = detente(&one, &["import", "gdelt2", path.to_str().unwrap_or_default(), "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let segments = std::fs::read_dir(many.join("segments")).expect("segments").count();
    assert_eq!(segments, 1);
    let list = |data: &Path| {
        let o = detente(data, &["events", "list", "--format", "jsonl", "--limit", "1000"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut events = jsonl(&o);
        events.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        events
    };
    let (a, b) = (list(&many), list(&one));
    assert_eq!(a.len(), 50);
    assert_eq!(a, b);
    // Imported files stay known after the merge: importing them again adds nothing.
    let o = detente(&many, &args);
    let again = jsonl(&o);
    assert!(again.iter().all(|r| r["already_imported"] == true), "{again:?}");
}

#[test]
fn the_listing_and_the_export_write_the_same_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    // The Moscow talks of May 2023, with every kind of field the flattening touches: a place, a
    // span, lists, a negative whole Goldstein value, an evidence sentence with a comma and quotes.
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"id":"manual:moscow-1","date":"2023-05-10","source":"TURGOV","target":"SYRGOV","code":"043","#,
            r#""location":{"name":"Moscow","country":"RUS"},"topics":["refugees","security"],"#,
            r#""participants":["TUR","SYR","RUS","IRN"],"group":"g1","span":[0,96],"sentence":0,"#,
            r#""evidence":"Cavusoglu met Mekdad in Moscow, \"a constructive meeting\", the ministry said.","#,
            r#""origin":"manual"}"#,
            "\n",
            r#"{"id":"manual:strike-1","date":"2022-11-20","source":"TUR","target":"SYR","code":"195","goldstein":-10.0}"#,
            "\n"
        ),
    )
    .expect("fixture");
    let o = detente(&data, &["events", "add", events.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let export = dir.path().join("out.csv");
    let o = detente(&data, &["export", "events", "--to", export.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = detente(&data, &["events", "list", "--format", "csv", "--limit", "10"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let exported = std::fs::read_to_string(&export).expect("export");
    assert_eq!(String::from_utf8_lossy(&listed.stdout), exported, "one flattening for both");
    assert!(exported.contains("Moscow,RUS") && exported.contains("refugees;security"), "{exported}");
    assert!(exported.contains(",-10.0,"), "a whole Goldstein value keeps its JSON form: {exported}");
}
