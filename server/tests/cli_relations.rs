//! Relation analytics through the `detente` command: series in every format, the events behind a
//! period, shifts, mediators, the network's two tables, and the errors a user can run into.
//!
//! The events are our own coding of the 2022–2023 Turkish–Syrian rapprochement talks in Moscow
//! (defence ministers on 28 December 2022, foreign ministers on 10 May 2023, both hosted by
//! Russia) and a hostile exchange in between.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EVENTS: &str = r#"{"id":"dm1","date":"2022-12-28","source":"TURMIL","target":"SYRMIL","code":"040","directed":false,"mentions":12,"group":"moscow-2022-12"}
{"id":"dm2","date":"2022-12-28","source":"RUSGOV","target":"TURMIL","code":"043","mentions":6,"group":"moscow-2022-12"}
{"id":"dm3","date":"2022-12-28","source":"RUSGOV","target":"SYRMIL","code":"043","mentions":6,"group":"moscow-2022-12"}
{"id":"sh1","date":"2023-03-02","source":"TURMIL","target":"SYRMIL","code":"190","mentions":2}
{"id":"sh2","date":"2023-03-03","source":"SYRGOV","target":"TURGOV","code":"111","mentions":3}
{"id":"fm1","date":"2023-05-10","source":"TURGOV","target":"SYRGOV","code":"040","directed":false,"mentions":30,"group":"moscow-2023-05"}
{"id":"fm2","date":"2023-05-10","source":"RUSGOV","target":"TURGOV","code":"043","mentions":10,"group":"moscow-2023-05"}
{"id":"fm3","date":"2023-05-10","source":"RUSGOV","target":"SYRGOV","code":"043","mentions":10,"group":"moscow-2023-05"}
{"id":"fm4","date":"2023-05-10","source":"IRNGOV","target":"TURGOV","code":"040","directed":false,"mentions":5,"group":"moscow-2023-05"}
{"id":"fm5","date":"2023-05-10","source":"SYRGOV","target":"TURGOV","code":"1041","mentions":8,"group":"moscow-2023-05"}
"#;

struct Store {
    dir: tempfile::TempDir,
}

impl Store {
    fn new() -> Store {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store { dir };
        let file = s.dir.path().join("events.jsonl");
        std::fs::write(&file, EVENTS).expect("write events");
        let o = s.run(&["events", "add", file.to_str().expect("path")]);
        assert!(o.status.success(), "{}", stderr(&o));
        s
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn run(&self, args: &[&str]) -> Output {
        detente(&self.data(), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn jsonl(&self, args: &[&str]) -> Vec<Value> {
        let mut all = args.to_vec();
        all.extend(["--format", "jsonl"]);
        self.ok(&all).lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
    }
}

fn detente(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detente")).arg("--data").arg(data).args(args).output().expect("run detente")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn monthly_series_has_every_month_and_the_meetings() {
    let s = Store::new();
    let points = s.jsonl(&["relation", "TUR", "SYR", "--start", "2022-12-01", "--end", "2023-06-30"]);
    let months: Vec<&str> = points.iter().filter_map(|p| p["period"].as_str()).collect();
    assert_eq!(
        months,
        ["2022-12-01", "2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01", "2023-06-01"]
    );
    let count = |i: usize| points[i]["count"].as_i64();
    // December: the defence ministers' consultation (symmetric: once); empty months are zeros.
    assert_eq!(
        (count(0), count(1), count(2), count(3), count(5), count(6)),
        (Some(1), Some(0), Some(0), Some(2), Some(2), Some(0))
    );
    assert!(points[3]["goldstein_sum"].as_f64().is_some_and(|g| g < 0.0), "March is hostile");
    // The score carries the last level through empty months.
    assert_eq!(points[1]["score"], points[0]["score"]);
    // Directed SYR→TUR: only the March denunciation, the May demand, and the symmetric meetings.
    let directed = s.jsonl(&["relation", "SYR", "TUR", "--directed", "--start", "2023-03-01", "--end", "2023-05-31"]);
    assert_eq!(directed.iter().map(|p| p["count"].as_i64().unwrap_or(-1)).collect::<Vec<_>>(), [1, 0, 2]);
    // Exact codes: the governments only.
    let exact = s.jsonl(&["relation", "TURGOV", "SYRGOV", "--exact", "--freq", "year"]);
    assert_eq!(exact.iter().map(|p| p["count"].as_i64().unwrap_or(-1)).collect::<Vec<_>>(), [3]);
}

#[test]
fn every_format_says_the_same() {
    let s = Store::new();
    let args = ["relation", "TUR", "SYR", "--freq", "quarter"];
    let json: Vec<Value> =
        serde_json::from_str(&s.ok(&[&args[..], &["--format", "json"]].concat())).expect("json array");
    assert_eq!(json, s.jsonl(&args));
    let csv = s.ok(&[&args[..], &["--format", "csv"]].concat());
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    assert!(header.starts_with(&["period", "count"]), "{header:?}");
    assert_eq!(lines.count(), json.len());
    let table = s.ok(&[&args[..], &["--format", "table"]].concat());
    assert!(table.lines().next().is_some_and(|l| l.contains("period") && l.contains("score")), "{table}");
    assert!(table.contains("2023-04-01"));
}

#[test]
fn the_events_behind_a_period_are_listed() {
    let s = Store::new();
    let ids: Vec<String> = s
        .jsonl(&["relation", "TUR", "SYR", "--events", "2023-05-01"])
        .iter()
        .filter_map(|e| e["id"].as_str().map(String::from))
        .collect();
    assert_eq!(ids, ["fm1", "fm5"]);
}

#[test]
fn russia_mediates_the_moscow_talks() {
    let s = Store::new();
    let mediators = s.jsonl(&["mediators", "TUR", "SYR"]);
    assert_eq!(mediators.first().and_then(|m| m["actor"].as_str()), Some("RUS"), "{mediators:?}");
    assert_eq!(mediators[0]["hosted"].as_i64(), Some(2), "both meetings");
    let evidence: Vec<&str> =
        mediators[0]["events"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    for id in ["dm2", "dm3", "fm2", "fm3"] {
        assert!(evidence.contains(&id), "{id} in {evidence:?}");
    }
    // Iran attended but hosted nothing: below Russia, if listed at all.
    if let Some(i) = mediators.iter().position(|m| m["actor"] == "IRN") {
        assert!(i > 0 && mediators[i]["score"].as_f64() < mediators[0]["score"].as_f64());
    }
}

#[test]
fn shifts_name_their_direction_and_evidence() {
    let s = Store::new();
    let shifts = s.jsonl(&["shifts", "TUR", "SYR", "--freq", "month", "--penalty", "1", "--min-size", "1"]);
    assert!(!shifts.is_empty(), "a low penalty finds the March freeze");
    for sh in &shifts {
        assert!(matches!(sh["direction"].as_str(), Some("thaw" | "freeze")), "{sh}");
        assert!(sh["events"].as_array().is_some_and(|e| !e.is_empty()), "{sh}");
    }
    assert!(shifts.iter().any(|sh| sh["direction"] == "freeze" && sh["period"] == "2023-03-01"), "{shifts:?}");
}

#[test]
fn network_tables_in_any_format() {
    let s = Store::new();
    let edges = s.jsonl(&["network", "--table", "edges"]);
    let pair = |a: &str, b: &str| edges.iter().find(|e| e["a"] == a && e["b"] == b).cloned();
    assert_eq!(pair("SYR", "TUR").and_then(|e| e["events"].as_i64()), Some(5));
    assert_eq!(pair("RUS", "TUR").and_then(|e| e["sign"].as_i64()), Some(1));
    let nodes = s.jsonl(&["network", "--table", "nodes"]);
    assert_eq!(nodes.len(), 4, "IRN, RUS, SYR, TUR");
    let csv = s.ok(&["network", "--table", "edges", "--format", "csv"]);
    assert_eq!(csv.lines().count(), edges.len() + 1);
    assert!(csv.starts_with("a,b,events"));
    let both: Value = serde_json::from_str(&s.ok(&["network", "--format", "json"])).expect("json");
    assert!(both["nodes"].is_array() && both["edges"].is_array() && both["balanced_share"].is_number());
}

#[test]
fn bad_requests_are_named_errors() {
    let s = Store::new();
    let cases: [(&[&str], &str); 5] = [
        (&["relation", "TUR", "QQQ"], "QQQ"),
        (&["relation", "TUR", "SYR", "--freq", "fortnight"], "fortnight"),
        (&["relation", "TUR", "SYR", "--start", "2023-05-01", "--end", "2023-01-01"], "before"),
        (&["relation", "TUR", "SYR", "--start", "2023-13-01"], "2023-13-01"),
        (&["mediators", "Ruritania", "SYR"], "Ruritania"),
    ];
    for (args, needle) in cases {
        let o = s.run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    // A dyad never seen is an empty answer, not an error.
    assert_eq!(s.ok(&["relation", "FRA", "JPN", "--format", "jsonl"]), "");
    // A store that does not exist (a mistyped --data) is named, not silently empty.
    let empty = tempfile::tempdir().expect("tempdir");
    let o = detente(&empty.path().join("none"), &["network", "--format", "jsonl", "--table", "edges"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("none") && stderr(&o).contains("not found"), "{}", stderr(&o));
}
