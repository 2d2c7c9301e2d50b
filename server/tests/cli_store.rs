//! The store through the `detente` command: adds, listings, idempotence, bad input, two
//! processes, and a crash in the middle of a write.

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn detente(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detente")).arg("--data").arg(data).args(args).output().expect("run detente")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn jsonl(o: &Output) -> Vec<Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

const COUNTRIES: [&str; 8] = ["TUR", "SYR", "RUS", "IRN", "USA", "FRA", "ISR", "EGY"];
const ROLES: [&str; 3] = ["GOV", "MIL", ""];
const CODES: [&str; 8] = ["040", "043", "036", "057", "112", "190", "0311", "1011"];

/// Deterministic mixed events; returns the ids of the TUR–SYR ones (either direction).
fn write_events(path: &Path, n: usize, offset: usize) -> Vec<String> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut tur_syr = Vec::new();
    let mut x: u64 = 0x9e3779b97f4a7c15 ^ offset as u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let a = COUNTRIES[(next() % 8) as usize];
        let mut b = COUNTRIES[(next() % 8) as usize];
        if a == b {
            b = COUNTRIES[(COUNTRIES.iter().position(|c| *c == a).unwrap_or(0) + 1) % 8];
        }
        let (ra, rb) = (ROLES[(next() % 3) as usize], ROLES[(next() % 3) as usize]);
        let id = format!("t:{}", i + offset);
        if (a == "TUR" && b == "SYR") || (a == "SYR" && b == "TUR") {
            tur_syr.push(id.clone());
        }
        let day = 1 + (next() % 28);
        let month = 1 + (next() % 12);
        let v = json!({"id": id, "date": format!("20{:02}-{month:02}-{day:02}", 10 + next() % 14),
            "source": format!("{a}{ra}"), "target": format!("{b}{rb}"), "code": CODES[(next() % 8) as usize],
            "mentions": 1 + next() % 5});
        writeln!(f, "{v}").expect("write");
    }
    tur_syr
}

#[test]
fn hundred_thousand_events_dyad_listing_and_idempotent_re_add() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let file = dir.path().join("events.jsonl");
    let mut expected = write_events(&file, 100_000, 0);
    let o = detente(&data, &["events", "add", file.to_str().unwrap_or_default(), "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(jsonl(&o)[0]["added"], 100_000);

    let o = detente(&data, &["events", "list", "--dyad", "TUR,SYR", "--format", "jsonl", "--limit", "1000000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    let mut got: Vec<String> = rows.iter().map(|r| r["id"].as_str().unwrap_or_default().to_string()).collect();
    assert!(rows.windows(2).all(|w| w[0]["date"].as_str() <= w[1]["date"].as_str()), "date order");
    got.sort();
    expected.sort();
    assert_eq!(got, expected);

    let o = detente(&data, &["events", "add", file.to_str().unwrap_or_default(), "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = &jsonl(&o)[0];
    assert_eq!((summary["added"].as_u64(), summary["unchanged"].as_u64()), (Some(0), Some(100_000)));
}

#[test]
fn a_malformed_third_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"date\":\"2023-05-10\",\"source\":\"TUR\",\"target\":\"SYR\",\"code\":\"040\"}\n\
         {\"id\":\"b\",\"date\":\"2023-05-10\",\"source\":\"TUR\",\"target\":\"SYR\",\"code\":\"040\"}\n\
         {\"id\":\"c\",\"date\":\"2023-05-10\",\"source\":\"TUR\"\n",
    )
    .expect("write");
    let o = detente(&data, &["events", "add", file.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("line 3") && err.lines().count() == 1, "{err}");
    let o = detente(&data, &["events", "list", "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(jsonl(&o).is_empty());

    for (line, field) in [
        ("{\"id\":\"x\",\"date\":\"2023-02-30\",\"code\":\"040\"}", "`date`"),
        ("{\"id\":\"x\",\"date\":\"2023-02-01\",\"code\":\"099\"}", "unknown CAMEO event code `099`"),
    ] {
        std::fs::write(&file, format!("{line}\n")).expect("write");
        let o = detente(&data, &["events", "add", file.to_str().unwrap_or_default()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("line 1") && stderr(&o).contains(field), "{}", stderr(&o));
    }
}

#[test]
fn a_conflicting_id_is_refused_unless_replacing() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let file = dir.path().join("e.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"date\":\"2023-05-10\",\"source\":\"TUR\",\"target\":\"SYR\",\"code\":\"040\"}\n",
    )
    .expect("write");
    assert!(detente(&data, &["events", "add", file.to_str().unwrap_or_default()]).status.success());
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"date\":\"2023-05-11\",\"source\":\"TUR\",\"target\":\"SYR\",\"code\":\"040\"}\n",
    )
    .expect("write");
    let o = detente(&data, &["events", "add", file.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("event `a` is already stored with different content"), "{}", stderr(&o));
    let o = detente(&data, &["events", "add", "--replace", file.to_str().unwrap_or_default(), "--format", "jsonl"]);
    assert_eq!(jsonl(&o)[0]["replaced"], 1);
    let o = detente(&data, &["events", "list", "--format", "jsonl"]);
    assert_eq!(jsonl(&o)[0]["date"], "2023-05-11");
}

#[test]
fn two_processes_one_writer_and_readers() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let file = dir.path().join("e.jsonl");
    write_events(&file, 20_000, 0);
    assert!(detente(&data, &["events", "add", file.to_str().unwrap_or_default()]).status.success());
    // A long-running writer holds the store; meanwhile a second writer gets a clear error and
    // readers see whole batches.
    let big = dir.path().join("big.jsonl");
    write_events(&big, 150_000, 1_000_000);
    let mut writer = Command::new(env!("CARGO_BIN_EXE_detente"))
        .arg("--data")
        .arg(&data)
        .args(["events", "add", big.to_str().unwrap_or_default()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let second = detente(&data, &["events", "add", file.to_str().unwrap_or_default()]);
    let err = stderr(&second);
    if writer.try_wait().ok().flatten().is_none() {
        assert!(!second.status.success());
        assert!(err.contains("another process is writing it"), "{err}");
    }
    loop {
        let o = detente(&data, &["events", "list", "--format", "jsonl", "--limit", "1000000"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let n = stdout(&o).lines().count();
        assert!(n == 20_000 || n == 170_000, "a reader saw {n} events");
        if writer.try_wait().ok().flatten().is_some() {
            break;
        }
    }
    assert!(writer.wait().expect("wait").success());
    let o = detente(&data, &["events", "list", "--format", "jsonl", "--limit", "1000000"]);
    assert_eq!(stdout(&o).lines().count(), 170_000);
}

#[test]
fn a_crash_mid_batch_leaves_the_earlier_batches() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let first = dir.path().join("first.jsonl");
    write_events(&first, 5_000, 0);
    assert!(detente(&data, &["events", "add", first.to_str().unwrap_or_default()]).status.success());
    let second = dir.path().join("second.jsonl");
    write_events(&second, 50_000, 100_000);
    // Deterministic: the child dies after writing the segment file, before the catalog commit.
    let o = Command::new(env!("CARGO_BIN_EXE_detente"))
        .arg("--data")
        .arg(&data)
        .args(["events", "add", second.to_str().unwrap_or_default()])
        .env("DETENTE_FAULT_ABORT_BEFORE_COMMIT", "1")
        .output()
        .expect("run");
    assert!(!o.status.success());
    let count = |data: &Path| {
        let o = detente(data, &["events", "list", "--format", "jsonl", "--limit", "1000000"]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().count()
    };
    assert_eq!(count(&data), 5_000);
    // Killed at an arbitrary moment: the store holds the earlier batches, or those and this one.
    for delay in [30u64, 120, 400] {
        let before = count(&data);
        let third = dir.path().join(format!("third-{delay}.jsonl"));
        write_events(&third, 60_000, 1_000_000 * delay as usize);
        let mut child = Command::new(env!("CARGO_BIN_EXE_detente"))
            .arg("--data")
            .arg(&data)
            .args(["events", "add", third.to_str().unwrap_or_default()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let after = count(&data);
        assert!(after == before || after == before + 60_000, "{before} -> {after}");
    }
    // A writable open removes what the interrupted writes left behind.
    assert!(detente(&data, &["events", "add", first.to_str().unwrap_or_default()]).status.success());
    let leftovers: Vec<_> = std::fs::read_dir(data.join("segments"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

fn segment_files(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("segments"))
        .expect("segments")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn count_events(data: &Path) -> usize {
    let o = detente(data, &["events", "list", "--format", "jsonl", "--limit", "1000000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().count()
}

#[test]
fn small_writes_merge_while_readers_read() {
    // 48 writes of 100 events, each its own process; readers meanwhile list everything. A
    // reader may open the store just as a merge removes the files it merged: it must still see
    // whole writes, never fail.
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let files: Vec<_> = (0..48)
        .map(|i| {
            let f = dir.path().join(format!("w{i}.jsonl"));
            write_events(&f, 100, i * 100);
            f
        })
        .collect();
    assert!(detente(&data, &["events", "add", files[0].to_str().unwrap_or_default()]).status.success());
    let writer = {
        let (data, files) = (data.clone(), files.clone());
        std::thread::spawn(move || {
            for f in &files[1..] {
                let o = detente(&data, &["events", "add", f.to_str().unwrap_or_default()]);
                assert!(o.status.success(), "{}", stderr(&o));
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() {
        let n = count_events(&data);
        assert_eq!(n % 100, 0, "a reader saw {n} events");
        reads += 1;
    }
    assert!(writer.join().is_ok(), "the writer failed");
    assert!(reads > 0);
    assert_eq!(count_events(&data), 4_800);
    // 48 segments written; merged into a few, their files removed.
    let segments = segment_files(&data);
    assert!(segments.len() <= 12, "{segments:?}");
    let o = detente(&data, &["compact", "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(jsonl(&o), [json!({"segments_merged": 0, "segments": segments.len()})]);
}

#[test]
fn a_crash_mid_merge_leaves_every_write() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let add = |i: usize, fault: Option<&str>| {
        let f = dir.path().join(format!("w{i}.jsonl"));
        write_events(&f, 100, i * 100);
        let mut c = Command::new(env!("CARGO_BIN_EXE_detente"));
        c.arg("--data").arg(&data).args(["events", "add", f.to_str().unwrap_or_default()]);
        if let Some(var) = fault {
            c.env(var, "1");
        }
        c.output().expect("run")
    };
    // Writes of 100 events merge at the eighth (eight segments, 512 rows or more).
    for i in 0..7 {
        assert!(add(i, None).status.success());
    }
    assert_eq!(segment_files(&data).len(), 7);
    // The eighth write lands; the process dies with the merged segment written, uncommitted.
    let o = add(7, Some("DETENTE_FAULT_ABORT_BEFORE_MERGE"));
    assert!(!o.status.success());
    assert_eq!(segment_files(&data).len(), 9, "eight segments and the merged one's file");
    assert_eq!(count_events(&data), 800);
    // The next writer removes the orphan, and its write merges the nine.
    assert!(add(8, None).status.success());
    let left = segment_files(&data);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(count_events(&data), 900);
}

#[test]
fn compacting_a_store_that_is_not_there_creates_none() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("mistyped");
    let o = detente(&data, &["compact"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no store at"), "{}", stderr(&o));
    assert!(!data.exists(), "compact created {}", data.display());
}

#[test]
fn a_lost_catalog_is_refused_by_writes_and_reads_checked_and_repaired_without_losing_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    for (i, offset) in [0, 500, 900].into_iter().enumerate() {
        let f = dir.path().join(format!("e{i}.jsonl"));
        write_events(&f, 400, offset);
        assert!(detente(&data, &["events", "add", f.to_str().expect("utf-8")]).status.success());
    }
    let before = count_events(&data);
    assert_eq!(before, 1200);
    let healthy = detente(&data, &["store", "check"]);
    assert!(healthy.status.success(), "{}", stderr(&healthy));
    let files = segment_files(&data);
    for name in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    // The next write refuses instead of deleting the segments as leftovers; a read names the
    // repair, never "open it for writing".
    let f = dir.path().join("more.jsonl");
    write_events(&f, 10, 5000);
    for args in [vec!["events", "add", f.to_str().expect("utf-8")], vec!["events", "list"]] {
        let o = detente(&data, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("catalog") && err.contains("detente store repair"), "{err}");
        assert!(!err.contains("open it for writing"), "{err}");
    }
    assert_eq!(segment_files(&data), files, "no segment removed");
    let checked = detente(&data, &["store", "check", "--format", "jsonl"]);
    assert_eq!(checked.status.code(), Some(1));
    let findings = jsonl(&checked);
    assert!(
        findings.iter().any(|f| f["severity"] == "damage" && f["problem"] == "the catalog is missing"),
        "{findings:?}"
    );
    let repaired = detente(&data, &["store", "repair", "--format", "jsonl"]);
    assert!(repaired.status.success(), "{}", stderr(&repaired));
    let report = &jsonl(&repaired)[0];
    assert_eq!(report["rows"], 1200);
    assert_eq!(report["adopted"].as_array().map(Vec::len), Some(files.len()));
    assert_eq!(count_events(&data), before);
    assert!(detente(&data, &["events", "add", f.to_str().expect("utf-8")]).status.success());
    assert_eq!(count_events(&data), before + 10);
}

#[test]
fn a_failed_write_removes_its_temporary_segment_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let f = dir.path().join("e.jsonl");
    write_events(&f, 50, 0);
    let o = Command::new(env!("CARGO_BIN_EXE_detente"))
        .arg("--data")
        .arg(&data)
        .args(["events", "add", f.to_str().expect("utf-8")])
        .env("DETENTE_FAULT_FAIL_SEGMENT_WRITE", "1")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("injected failure"), "{}", stderr(&o));
    assert_eq!(segment_files(&data), Vec::<String>::new(), "nothing left for the next writer to find");
    let conn_pending = detente(&data, &["store", "check", "--format", "jsonl"]);
    assert!(conn_pending.status.success() && stdout(&conn_pending).is_empty(), "{}", stdout(&conn_pending));
    assert!(detente(&data, &["events", "add", f.to_str().expect("utf-8")]).status.success());
    assert_eq!(count_events(&data), 50);
}

#[test]
fn events_get_and_delete_by_id_or_by_confirmed_filter() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let file = dir.path().join("e.jsonl");
    let tur_syr = write_events(&file, 200, 0);
    assert!(detente(&data, &["events", "add", file.to_str().unwrap_or_default()]).status.success());
    let o = detente(&data, &["--format", "jsonl", "events", "get", "t:7", "t:3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ids: Vec<String> = jsonl(&o).iter().map(|e| e["id"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(ids, ["t:7", "t:3"]);
    let o = detente(&data, &["events", "get", "t:7", "t:9999"]);
    assert!(!o.status.success() && stderr(&o).contains("t:9999"), "{}", stderr(&o));
    // By id, all or none.
    assert!(!detente(&data, &["events", "delete", "t:1", "t:9999"]).status.success());
    let o = detente(&data, &["--format", "jsonl", "events", "delete", "t:1"]);
    assert_eq!(jsonl(&o)[0]["deleted"], 1, "{}", stderr(&o));
    // A filter deletes only when confirmed.
    let o = detente(&data, &["events", "delete", "--dyad", "TUR,SYR"]);
    assert!(!o.status.success() && stderr(&o).contains("confirm"), "{}", stderr(&o));
    let o = detente(&data, &["--format", "jsonl", "events", "delete", "--dyad", "TUR,SYR", "--confirm"]);
    let gone = tur_syr.iter().filter(|id| *id != "t:1").count();
    assert_eq!(jsonl(&o)[0]["deleted"], gone as u64, "{}", stderr(&o));
    let o = detente(&data, &["--format", "jsonl", "events", "list", "--dyad", "TUR,SYR"]);
    assert!(jsonl(&o).is_empty());
}
